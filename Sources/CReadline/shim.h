// GNU readline and history for smtp-repl's interactive mode.
#ifndef SMTP_CONVERSATION_CREADLINE_SHIM_H
#define SMTP_CONVERSATION_CREADLINE_SHIM_H
#include <stdio.h>
#include <readline/readline.h>
#include <readline/history.h>
#endif
