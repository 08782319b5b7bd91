/* SPDX-License-Identifier: MIT */
/* net_sys.c: the net layer's system-call wrappers (epoll for mr_net_fd):
 * each returns -errno, retrying EINTR where the call may be repeated. */
#include "net_internal.h"

#include <sys/epoll.h>

int mr__sys_net_epoll_create(void)
{
    int fd = epoll_create1(EPOLL_CLOEXEC);
    return fd < 0 ? -errno : fd;
}

int mr__sys_net_epoll_ctl(int epfd, int op, int fd, void *ptr)
{
    struct epoll_event ev = { .events = EPOLLIN, .data.ptr = ptr };
    return epoll_ctl(epfd, op, fd, &ev) < 0 ? -errno : 0;
}

int mr__sys_net_epoll_wait(int epfd, void **ready, int max)
{
    struct epoll_event evs[16];
    if (max > 16)
        max = 16;
    int got;
    do
        got = epoll_wait(epfd, evs, max, 0);
    while (got < 0 && errno == EINTR);
    if (got < 0)
        return -errno;
    for (int i = 0; i < got; i++)
        ready[i] = evs[i].data.ptr;
    return got;
}
