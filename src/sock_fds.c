/* SPDX-License-Identifier: MIT */
/* src/sock_fds.c: passing fds over Unix sockets (SCM_RIGHTS), with every
 * received control message checked and nothing left open on failure. */
#include "sock_internal.h"

#include <string.h>
#include <sys/uio.h>

/* SO_PASSPIDFD (Linux 6.5) adds the sender's pidfd to every receive that
 * has room for control messages; older headers lack the names. */
#ifndef SCM_PIDFD
#define SCM_PIDFD 0x04
#endif

/* A control buffer for the most fds one message carries, plus room for
 * every other control message a Unix socket adds to a receive when the
 * receiver asks for it: credentials (SO_PASSCRED), the sender's pidfd
 * (SO_PASSPIDFD), a timestamp (SO_TIMESTAMP or SO_TIMESTAMPNS: one
 * timespec at most) and another from SO_TIMESTAMPING (three), the drop
 * count (SO_RXQ_OVFL) and a security label (SO_PASSSEC: room for a page,
 * more than the labels of the security modules in use). The kernel puts
 * these before the fds; without room for them it truncates the fds, which
 * it then closes, and the payload read with them would have to be refused.
 * A send needs room for its fds only. */
#define FD_CONTROL_EXTRA                                                                  \
    (CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(sizeof(int)) +                        \
     CMSG_SPACE(sizeof(struct timespec)) + CMSG_SPACE(3 * sizeof(struct timespec)) +        \
     CMSG_SPACE(sizeof(uint32_t)) + CMSG_SPACE(4096))
union fd_control {
    char buf[CMSG_SPACE(sizeof(int) * MR_SOCK_FDS_MAX) + FD_CONTROL_EXTRA];
    struct cmsghdr align;
};
union fd_send_control {
    char buf[CMSG_SPACE(sizeof(int) * MR_SOCK_FDS_MAX)];
    struct cmsghdr align;
};

ssize_t mr_sock_send_fds(const struct mr_sock *s, struct mr_region payload, const int *fds,
                         size_t n, int flags)
{
    if (payload.len == 0 || n > MR_SOCK_FDS_MAX || (flags & ~MSG_DONTWAIT) ||
        (n > 0 && fds == NULL))
        return -EINVAL;
    /* A closed socket's family is 0: it is told apart here, off the hot path. */
    if (s->family != AF_UNIX)
        return s->fd < 0 ? -EBADF : -ENOPROTOOPT;
    for (size_t i = 0; i < n; i++) {
        if (fds[i] < 0)
            return -EBADF;
    }
    union fd_send_control ctl;
    struct iovec iov = { payload.ptr, payload.len };
    struct msghdr m;
    memset(&m, 0, sizeof m);
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    if (n > 0) {
        m.msg_control = ctl.buf;
        m.msg_controllen = CMSG_SPACE(n * sizeof(int));
        /* The padding after the fds goes to the kernel too: no stack garbage. */
        memset(ctl.buf, 0, m.msg_controllen);
        struct cmsghdr *c = CMSG_FIRSTHDR(&m);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(n * sizeof(int));
        memcpy(CMSG_DATA(c), fds, n * sizeof(int));
    }
    ssize_t k = mr__sys_sendmsg(s->fd, &m, flags | MSG_NOSIGNAL);
    if (k < 0)
        return k == -EAGAIN ? mr__sock_would_block(s, flags) : k;
    if ((size_t)k < payload.len && s->type == SOCK_STREAM && !(flags & MSG_DONTWAIT)) {
        struct mr_region rest;
        mr_region_tail(payload, (size_t)k, &rest);
        size_t done = 0;
        /* The fds went with the first part: an error now (the peer closed)
         * is reported as a short count, not as an error the caller would
         * take to mean that nothing, fds included, was sent. The next call
         * meets the error again. */
        if (mr_sock_send_all(s, rest, MR_FOREVER, &done) < 0)
            return (ssize_t)((size_t)k + done);
        k = (ssize_t)payload.len;
    }
    return k;
}

ssize_t mr_sock_recv_fds(const struct mr_sock *s, struct mr_region payload, int *fds, size_t max,
                         size_t *n_received, int flags)
{
    if (n_received == NULL || (max > 0 && fds == NULL))
        return -EINVAL;
    *n_received = 0;
    for (size_t i = 0; i < max; i++)
        fds[i] = -1;
    if (payload.len == 0 || (flags & ~MSG_DONTWAIT))
        return -EINVAL;
    if (mr_region_is_ro(payload))
        return -EACCES;
    if (s->family != AF_UNIX)
        return s->fd < 0 ? -EBADF : -ENOPROTOOPT;
    size_t cap = max > MR_SOCK_FDS_MAX ? MR_SOCK_FDS_MAX : max;
    union fd_control ctl;
    struct iovec iov = { payload.ptr, payload.len };
    struct msghdr m;
    memset(&m, 0, sizeof m);
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    m.msg_control = ctl.buf;
    m.msg_controllen = CMSG_SPACE(cap * sizeof(int)) + FD_CONTROL_EXTRA;
    ssize_t k = mr__sys_recvmsg(s->fd, &m, flags | MSG_CMSG_CLOEXEC);
    if (k < 0)
        return k == -EAGAIN ? mr__sock_would_block(s, flags) : k;

    /* Walk every control message: fds past cap (the extra room can hold a
     * few), in a second SCM_RIGHTS, in a malformed message, or a pidfd the
     * caller cannot see must be closed, never left open in this process. */
    size_t got = 0;
    ssize_t bad = 0;
    const unsigned char *end = (const unsigned char *)ctl.buf + m.msg_controllen;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c != NULL; c = CMSG_NXTHDR(&m, c)) {
        if (c->cmsg_level != SOL_SOCKET)
            continue;
        if (c->cmsg_type == SCM_PIDFD && c->cmsg_len == CMSG_LEN(sizeof(int))) {
            int fd;
            memcpy(&fd, CMSG_DATA(c), sizeof fd);
            mr__sys_close(fd);
            continue;
        }
        if (c->cmsg_type != SCM_RIGHTS)
            continue;
        const unsigned char *data = CMSG_DATA(c);
        size_t bytes = c->cmsg_len >= CMSG_LEN(0) ? c->cmsg_len - CMSG_LEN(0) : 0;
        if (c->cmsg_len < CMSG_LEN(0) || bytes % sizeof(int) != 0 || bytes > (size_t)(end - data)) {
            bad = bad ? bad : -EBADMSG;
            if (bytes > (size_t)(end - data))
                bytes = (size_t)(end - data);
        }
        for (size_t i = 0; i + sizeof(int) <= bytes; i += sizeof(int)) {
            int fd;
            memcpy(&fd, data + i, sizeof fd);
            if (got < cap) {
                fds[got++] = fd;
            } else {
                mr__sys_close(fd);
                bad = -EMSGSIZE;
            }
        }
    }
    if (m.msg_flags & MSG_CTRUNC)
        bad = -EMSGSIZE;
    if ((m.msg_flags & MSG_TRUNC) && s->type == SOCK_DGRAM)
        bad = -EMSGSIZE;
    if (bad < 0) {
        for (size_t i = 0; i < got; i++) {
            mr__sys_close(fds[i]);
            fds[i] = -1;
        }
        return bad;
    }
    *n_received = got;
    return k;
}
