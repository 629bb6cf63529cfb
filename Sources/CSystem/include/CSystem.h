// CSystem: the few glibc calls Swift's Glibc module does not import (they need _GNU_SOURCE).
// No system header is included here, so that the Glibc module keeps owning their types.
#ifndef C_SYSTEM_H
#define C_SYSTEM_H

/// accept4(2) with SOCK_CLOEXEC: the accepted socket is never inherited by a program started
/// meanwhile (which would keep the connection open after we close it). `address` points to a
/// `struct sockaddr` of `*length` bytes, as for accept(2).
int csystem_accept_cloexec(int fd, void *address, unsigned int *length);

/// mkostemp(3) with O_CLOEXEC: a temporary file (a wallet being written) that no program
/// started meanwhile inherits.
int csystem_mkstemp_cloexec(char *template_path);

/// pipe2(2) with O_CLOEXEC: neither end is inherited by a program started meanwhile.
int csystem_pipe_cloexec(int ends[2]);

/// Remembers the terminal settings of `fd` as they are now (call it before anything changes
/// them: readline, a password prompt with echo off) and makes SIGTERM, SIGHUP, SIGINT and
/// SIGQUIT restore them, write `farewell` (`length` bytes, e.g. the sequence that ends
/// bracketed paste) to standard output, and end the process at once with the signal's own
/// default action, whichever thread receives the signal. Returns 0, or -1 when `fd` is not a
/// terminal (nothing is installed then).
int csystem_restore_terminal_on_signals(int fd, const char *farewell, unsigned long length);

/// With `on` non-zero, the SIGINT handler of `csystem_restore_terminal_on_signals` only notes
/// the signal (for `csystem_take_interrupt`) instead of ending the process: Ctrl-C at the line
/// editor's prompt discards the line typed, as in a shell. With `on` zero (a command running,
/// the password prompt) SIGINT ends the process as before. Either way a noted one is forgotten.
void csystem_note_interrupts_only(int on);

/// 1 when a SIGINT was noted (see `csystem_note_interrupts_only`) since the last call, else 0.
int csystem_take_interrupt(void);

/// Installs the SIGTERM and SIGHUP handlers of `csystem_restore_terminal_on_signals` again:
/// readline replaces them with its own for every line it reads, and its own only notes the
/// signal for later, which a signal arriving just before readline waits for a key defers
/// until the next key.
void csystem_reclaim_terminating_signals(void);

/// Starts `path` with `argv` and `envp` (NULL-terminated arrays) through posix_spawn(3): file
/// descriptors `in`, `out` and `err` become the child's 0, 1 and 2 and every other descriptor is
/// closed in the child (closefrom, without listing /proc/self/fd), `directory` (or NULL) is its
/// working directory, its signal mask is empty and SIGPIPE, SIGTERM, SIGINT and SIGHUP have their
/// default actions, and it leads a process group of its own. Stores the child's id in `*pid`.
/// Returns 0 or the error number (posix_spawn's, or the one a step before it failed with).
int csystem_spawn(int *pid, const char *path, char *const argv[], char *const envp[],
                  int in, int out, int err, const char *directory);

#endif
