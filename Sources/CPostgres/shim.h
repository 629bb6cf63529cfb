// libpq, PostgreSQL's C client library, for the mail queue's shared store.
#ifndef SMTP_CONVERSATION_CPOSTGRES_SHIM_H
#define SMTP_CONVERSATION_CPOSTGRES_SHIM_H
#include <libpq-fe.h>
#endif
