/* SPDX-License-Identifier: MIT */
/* src/sock_sys.c: the system-call wrappers only the sock layer calls
 * (declared in src/sock_internal.h): sockets and their options, names and
 * transfers, and the caller's process and user ids. */
#include "sock_internal.h"

#include <unistd.h>

/* send and recv (and their msg, to/from and mmsg forms) return EINTR only
 * when nothing was transferred, and accept only when nothing was accepted,
 * so a retry is the same call again. connect is not retried: after EINTR a
 * blocking connect goes on in the background, and a second call would say
 * EALREADY. */

int mr__sys_socket(int domain, int type, int protocol)
{
    int fd = socket(domain, type, protocol);
    return fd < 0 ? -errno : fd;
}

int mr__sys_socketpair(int domain, int type, int protocol, int sv[2])
{
    return socketpair(domain, type, protocol, sv) < 0 ? -errno : 0;
}

int mr__sys_bind(int fd, const struct sockaddr *sa, socklen_t len)
{
    return bind(fd, sa, len) < 0 ? -errno : 0;
}

int mr__sys_listen(int fd, int backlog)
{
    return listen(fd, backlog) < 0 ? -errno : 0;
}

int mr__sys_accept4(int fd, struct sockaddr *sa, socklen_t *len, int flags)
{
    int rc;
    do
        rc = accept4(fd, sa, len, flags);
    while (rc < 0 && errno == EINTR);
    return rc < 0 ? -errno : rc;
}

int mr__sys_connect(int fd, const struct sockaddr *sa, socklen_t len)
{
    return connect(fd, sa, len) < 0 ? -errno : 0;
}

int mr__sys_shutdown(int fd, int how)
{
    return shutdown(fd, how) < 0 ? -errno : 0;
}
int mr__sys_getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
    return getsockopt(fd, level, name, val, len) < 0 ? -errno : 0;
}

int mr__sys_setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
    return setsockopt(fd, level, name, val, len) < 0 ? -errno : 0;
}

int mr__sys_getsockname(int fd, struct sockaddr *sa, socklen_t *len)
{
    return getsockname(fd, sa, len) < 0 ? -errno : 0;
}

int mr__sys_getpeername(int fd, struct sockaddr *sa, socklen_t *len)
{
    return getpeername(fd, sa, len) < 0 ? -errno : 0;
}

ssize_t mr__sys_send(int fd, const void *buf, size_t len, int flags)
{
    ssize_t n;
    do
        n = send(fd, buf, len, flags);
    while (n < 0 && errno == EINTR);
    return n < 0 ? -errno : n;
}

ssize_t mr__sys_recv(int fd, void *buf, size_t len, int flags)
{
    ssize_t n;
    do
        n = recv(fd, buf, len, flags);
    while (n < 0 && errno == EINTR);
    return n < 0 ? -errno : n;
}

ssize_t mr__sys_sendto(int fd, const void *buf, size_t len, int flags,
                       const struct sockaddr *sa, socklen_t salen)
{
    ssize_t n;
    do
        n = sendto(fd, buf, len, flags, sa, salen);
    while (n < 0 && errno == EINTR);
    return n < 0 ? -errno : n;
}

ssize_t mr__sys_recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr *sa,
                         socklen_t *salen)
{
    ssize_t n;
    do
        n = recvfrom(fd, buf, len, flags, sa, salen);
    while (n < 0 && errno == EINTR);
    return n < 0 ? -errno : n;
}

ssize_t mr__sys_sendmsg(int fd, const struct msghdr *msg, int flags)
{
    ssize_t n;
    do
        n = sendmsg(fd, msg, flags);
    while (n < 0 && errno == EINTR);
    return n < 0 ? -errno : n;
}

ssize_t mr__sys_recvmsg(int fd, struct msghdr *msg, int flags)
{
    ssize_t n;
    do
        n = recvmsg(fd, msg, flags);
    while (n < 0 && errno == EINTR);
    return n < 0 ? -errno : n;
}

int mr__sys_sendmmsg(int fd, struct mmsghdr *msgs, unsigned n, int flags)
{
    int rc;
    do
        rc = sendmmsg(fd, msgs, n, flags);
    while (rc < 0 && errno == EINTR);
    return rc < 0 ? -errno : rc;
}

int mr__sys_recvmmsg(int fd, struct mmsghdr *msgs, unsigned n, int flags)
{
    int rc;
    do
        rc = recvmmsg(fd, msgs, n, flags, NULL);
    while (rc < 0 && errno == EINTR);
    return rc < 0 ? -errno : rc;
}

pid_t mr__sys_getpid(void)
{
    return getpid();
}

uid_t mr__sys_geteuid(void)
{
    return geteuid();
}

