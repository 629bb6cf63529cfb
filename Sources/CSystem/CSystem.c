#define _GNU_SOURCE
#include <fcntl.h>
#include <stdlib.h>
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
