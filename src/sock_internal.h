/* SPDX-License-Identifier: MIT */
/* src/sock_internal.h: what the sock layer's sources share: src/sock.c
 * (lifetimes, state, waiting), src/sock_data.c (data, scatter-gather,
 * batches), src/sock_opt.c (options, peer credentials), src/sock_fds.c (fd
 * passing), and the system-call wrappers only this layer calls
 * (src/sock_sys.c). */
#ifndef MEMREGION_SOCK_INTERNAL_H
#define MEMREGION_SOCK_INTERNAL_H

#include "addr_internal.h"

#include <memregion/sock.h>

/* Wait for ev (POLLIN, POLLOUT) on fd until the deadline (MR__NEVER: no
 * limit): the events poll reported (> 0; POLLERR or POLLHUP when an error
 * or hang-up is pending, which the next call on fd will report), or
 * -ETIMEDOUT, -EBADF or poll's error. */
int mr__sock_wait_fd(int fd, short ev, int64_t deadline);

/* The address to hand the kernel for socket s: addr itself, or its
 * v4-mapped form (IPv4 on an IPv6 socket) or its IPv4 form (v4-mapped on an
 * IPv4 socket) in *tmp; *use points at the one to use. -EINVAL (no
 * address) or -EAFNOSUPPORT. */
int mr__sock_addr_for(const struct mr_sock *s, const struct mr_addr *addr, struct mr_addr *tmp,
                      const struct mr_addr **use);

/* EAGAIN from a call that was allowed to block means SO_SNDTIMEO or
 * SO_RCVTIMEO ran out: a timeout, not "nothing now". */
static inline ssize_t mr__sock_would_block(const struct mr_sock *s, int flags)
{
    return ((flags & MSG_DONTWAIT) || (s->flags & MR_SOCK_NONBLOCKING)) ? -EAGAIN : -ETIMEDOUT;
}

/* System-call wrappers: -errno on failure, read exactly once here. The
 * transfer calls and accept4 retry EINTR (nothing was transferred or
 * accepted when they return it); connect does not (a blocking connect goes
 * on in the background after EINTR). */
struct mmsghdr;
int mr__sys_socket(int domain, int type, int protocol);
int mr__sys_socketpair(int domain, int type, int protocol, int sv[2]);
int mr__sys_bind(int fd, const struct sockaddr *sa, socklen_t len);
int mr__sys_listen(int fd, int backlog);
int mr__sys_accept4(int fd, struct sockaddr *sa, socklen_t *len, int flags);
int mr__sys_connect(int fd, const struct sockaddr *sa, socklen_t len);
int mr__sys_shutdown(int fd, int how);
int mr__sys_getsockopt(int fd, int level, int name, void *val, socklen_t *len);
int mr__sys_setsockopt(int fd, int level, int name, const void *val, socklen_t len);
int mr__sys_getsockname(int fd, struct sockaddr *sa, socklen_t *len);
int mr__sys_getpeername(int fd, struct sockaddr *sa, socklen_t *len);
ssize_t mr__sys_send(int fd, const void *buf, size_t len, int flags);
ssize_t mr__sys_recv(int fd, void *buf, size_t len, int flags);
ssize_t mr__sys_sendto(int fd, const void *buf, size_t len, int flags,
                       const struct sockaddr *sa, socklen_t salen);
ssize_t mr__sys_recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr *sa,
                         socklen_t *salen);
ssize_t mr__sys_sendmsg(int fd, const struct msghdr *msg, int flags);
ssize_t mr__sys_recvmsg(int fd, struct msghdr *msg, int flags);
int mr__sys_sendmmsg(int fd, struct mmsghdr *msgs, unsigned n, int flags);
int mr__sys_recvmmsg(int fd, struct mmsghdr *msgs, unsigned n, int flags);
pid_t mr__sys_getpid(void);
uid_t mr__sys_geteuid(void);

/* An int socket option, through the wrappers above. */
static inline int mr__sock_set_int_opt(int fd, int level, int name, int v)
{
    return mr__sys_setsockopt(fd, level, name, &v, sizeof v);
}

static inline int mr__sock_get_int_opt(int fd, int level, int name, int *v)
{
    socklen_t len = sizeof *v;
    return mr__sys_getsockopt(fd, level, name, v, &len);
}

#endif
