#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <termios.h>
#include <sys/socket.h>
#include <unistd.h>
#include "CSystem.h"

int csystem_accept_cloexec(int fd, void *address, unsigned int *length) {
    return accept4(fd, (struct sockaddr *)address, (socklen_t *)length, SOCK_CLOEXEC);
}

int csystem_mkstemp_cloexec(char *template_path) {
    return mkostemp(template_path, O_CLOEXEC);
}

int csystem_pipe_cloexec(int ends[2]) {
    return pipe2(ends, O_CLOEXEC);
}

static struct termios csystem_saved_terminal;
static int csystem_terminal_fd = -1;
static char csystem_farewell[64];
static size_t csystem_farewell_length;
static volatile sig_atomic_t csystem_interrupt_only_noted = 0;
static volatile sig_atomic_t csystem_interrupt_noted = 0;

/* Async-signal-safe only: tcsetattr, write, sigaction, pthread_sigmask and raise. */
static void csystem_restore_and_end(int signal_number) {
    if (signal_number == SIGINT && csystem_interrupt_only_noted) {
        csystem_interrupt_noted = 1;
        return;
    }
    tcsetattr(csystem_terminal_fd, TCSANOW, &csystem_saved_terminal);
    if (csystem_farewell_length > 0) {
        ssize_t ignored = write(STDOUT_FILENO, csystem_farewell, csystem_farewell_length);
        (void)ignored;
    }
    struct sigaction fallback;
    fallback.sa_handler = SIG_DFL;
    fallback.sa_flags = 0;
    sigemptyset(&fallback.sa_mask);
    sigaction(signal_number, &fallback, NULL);
    sigset_t unblock;
    sigemptyset(&unblock);
    sigaddset(&unblock, signal_number);
    pthread_sigmask(SIG_UNBLOCK, &unblock, NULL);
    raise(signal_number);
}

static void csystem_catch(int signal_number) {
    struct sigaction action;
    action.sa_handler = csystem_restore_and_end;
    action.sa_flags = 0;
    sigfillset(&action.sa_mask);
    sigaction(signal_number, &action, NULL);
}

int csystem_restore_terminal_on_signals(int fd, const char *farewell, unsigned long length) {
    if (tcgetattr(fd, &csystem_saved_terminal) != 0) return -1;
    csystem_terminal_fd = fd;
    csystem_farewell_length = length < sizeof csystem_farewell ? length : 0;
    for (size_t i = 0; i < csystem_farewell_length; i++) csystem_farewell[i] = farewell[i];
    csystem_catch(SIGTERM);
    csystem_catch(SIGHUP);
    csystem_catch(SIGINT);
    csystem_catch(SIGQUIT);
    return 0;
}

void csystem_note_interrupts_only(int on) {
    csystem_interrupt_noted = 0;
    csystem_interrupt_only_noted = on != 0;
}

int csystem_take_interrupt(void) {
    int noted = csystem_interrupt_noted;
    csystem_interrupt_noted = 0;
    return noted;
}

void csystem_reclaim_terminating_signals(void) {
    if (csystem_terminal_fd < 0) return;
    csystem_catch(SIGTERM);
    csystem_catch(SIGHUP);
}

int csystem_spawn(int *pid, const char *path, char *const argv[], char *const envp[],
                  int in, int out, int err, const char *directory) {
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attributes;
    int result = posix_spawn_file_actions_init(&actions);
    if (result != 0) return result;
    result = posix_spawnattr_init(&attributes);
    if (result != 0) {
        posix_spawn_file_actions_destroy(&actions);
        return result;
    }
    sigset_t none, defaults;
    sigemptyset(&none);
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGPIPE);
    sigaddset(&defaults, SIGTERM);
    sigaddset(&defaults, SIGINT);
    sigaddset(&defaults, SIGHUP);
    if (result == 0) result = posix_spawn_file_actions_adddup2(&actions, in, 0);
    if (result == 0) result = posix_spawn_file_actions_adddup2(&actions, out, 1);
    if (result == 0) result = posix_spawn_file_actions_adddup2(&actions, err, 2);
    if (result == 0) result = posix_spawn_file_actions_addclosefrom_np(&actions, 3);
    if (result == 0 && directory != NULL) result = posix_spawn_file_actions_addchdir_np(&actions, directory);
    if (result == 0) result = posix_spawnattr_setsigmask(&attributes, &none);
    if (result == 0) result = posix_spawnattr_setsigdefault(&attributes, &defaults);
    if (result == 0) result = posix_spawnattr_setpgroup(&attributes, 0);
    if (result == 0) {
        result = posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
    }
    if (result == 0) result = posix_spawn(pid, path, &actions, &attributes, argv, envp);
    posix_spawnattr_destroy(&attributes);
    posix_spawn_file_actions_destroy(&actions);
    return result;
}
