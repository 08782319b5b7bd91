/* SPDX-License-Identifier: MIT */
/* src/chan_watch.c: noticing that a peer died without closing, through fds
 * whose state it cannot forge: a pidfd, and our duplicate of the Unix
 * stream socket shared with it (docs/chan.md, "What it guarantees": a dead
 * peer). */
#include "chan_internal.h"
#include "sock_internal.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Raw syscall(2): the C library wraps pidfd_open only since glibc 2.36. */
int mr__sys_pidfd_open(pid_t pid, unsigned flags)
{
#ifdef SYS_pidfd_open
    long rc = syscall(SYS_pidfd_open, pid, flags);
    return rc < 0 ? -errno : (int)rc;
#else
    (void)pid;
    (void)flags;
    return -ENOSYS;
#endif
}

int mr__watch_pid(pid_t pid)
{
    if (pid <= 0)
        return -EINVAL;
    return mr__sys_pidfd_open(pid, 0);
}

int mr__watch_sock(const struct mr_sock *s)
{
    if (!mr__sock_stream_unix(s))
        return -ENOPROTOOPT;
    return mr__sys_fcntl(s->fd, F_DUPFD_CLOEXEC, 0);
}

void mr__watch_replace(int *slot, int fd)
{
    if (*slot >= 0)
        mr__sys_close(*slot);
    *slot = fd;
}

bool mr__watch_gone(int pidfd, int sockfd)
{
    struct pollfd p[2];
    unsigned long n = 0;
    /* A pidfd polls readable once its process has exited; a socket whose
     * peer closed polls POLLHUP even with no events asked, so data the
     * caller may exchange on it is left alone. */
    if (pidfd >= 0)
        p[n++] = (struct pollfd){ .fd = pidfd, .events = POLLIN, .revents = 0 };
    if (sockfd >= 0)
        p[n++] = (struct pollfd){ .fd = sockfd, .events = 0, .revents = 0 };
    if (n == 0 || mr__sys_poll(p, n, 0) <= 0)
        return false;
    for (unsigned long i = 0; i < n; i++)
        if (p[i].revents & (POLLIN | POLLHUP | POLLERR | POLLNVAL))
            return true;
    return false;
}

/* ---- the watched socket as a doorbell (docs/chan.md, "Polling an end") ----- */

void mr__watch_ring(int sockfd)
{
    /* A full buffer already holds a wake; a gone peer needs none. */
    char b = 1;
    (void)mr__sys_send(sockfd, &b, 1, MSG_DONTWAIT | MSG_NOSIGNAL);
}

int mr__watch_drain(int sockfd)
{
    char buf[64];
    int n = 0;
    for (;;) {
        ssize_t rc = mr__sys_recv(sockfd, buf, sizeof buf, MSG_DONTWAIT);
        if (rc == 0)
            return -EPIPE;
        if (rc < 0)
            return rc == -EAGAIN ? n : (int)rc;
        n += (int)rc;
    }
}
