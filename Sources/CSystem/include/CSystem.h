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

#endif
