// GNU readline and history for smtp-repl's interactive mode.
// readline's settings are C global variables; Swift 6 refuses to touch shared mutable state
// directly, so each one the REPL sets or reads goes through a static inline function here
// (readline is used from one thread only: the REPL's).
#ifndef SMTP_CONVERSATION_CREADLINE_SHIM_H
#define SMTP_CONVERSATION_CREADLINE_SHIM_H
#include <stdio.h>
#include <readline/readline.h>
#include <readline/history.h>

static inline void creadline_set_name(const char *name) { rl_readline_name = name; }
static inline void creadline_set_completion(rl_completion_func_t *function) {
    rl_attempted_completion_function = function;
}
static inline void creadline_set_startup_hook(rl_hook_func_t *hook) { rl_startup_hook = hook; }
static inline const char *creadline_line_buffer(void) { return rl_line_buffer; }
static inline void creadline_completion_over(void) { rl_attempted_completion_over = 1; }
static inline void creadline_suppress_append(void) { rl_completion_suppress_append = 1; }
static inline void creadline_set_getc(rl_getc_func_t *function) { rl_getc_function = function; }
#endif
