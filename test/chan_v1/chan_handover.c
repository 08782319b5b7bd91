/* SPDX-License-Identifier: MIT */
/* src/chan_handover.c: handing an object's fd to the peer over a Unix
 * stream socket, as one message (a greeting that names the protocol, with
 * the fd attached), and receiving it with every check. */
#include "chan_internal.h"

#include <string.h>

int mr__handover_send(const struct mr_sock *s, int fd, const void *g, size_t len)
{
    if (!mr__sock_stream_unix(s))
        return -ENOPROTOOPT;
    ssize_t n = mr_sock_send_fds(s, mr_region_make((void *)(uintptr_t)g, len), &fd, 1, 0);
    return n < 0 ? (int)n : 0;
}

int mr__handover_recv(const struct mr_sock *s, void *g, size_t len, uint64_t magic,
                      int64_t deadline, int *fd)
{
    if (!mr__sock_stream_unix(s))
        return -ENOPROTOOPT;
    int got = -1;
    size_t nfd = 0;
    ssize_t n;
    for (;;) {
        int rc = mr_sock_wait(s, MR_SOCK_READABLE, mr__poll_ms(deadline));
        if (rc < 0)
            return rc;
        n = mr_sock_recv_fds(s, mr_region_make(g, len), &got, 1, &nfd, MSG_DONTWAIT);
        if (n != -EAGAIN)
            break;
    }
    /* More fds than one, or a malformed control message, is not a greeting
     * (the sock layer closed whatever arrived). */
    if (n == -EMSGSIZE || n == -EBADMSG)
        return -EPROTO;
    if (n < 0)
        return (int)n;
    if (n == 0)
        return -EPIPE;
    bool ok = nfd == 1 && (size_t)n == len;
    if (ok) {
        uint64_t m;
        memcpy(&m, g, sizeof m);
        ok = m == magic;
    }
    if (!ok) {
        if (nfd == 1)
            mr__sys_close(got);
        return -EPROTO;
    }
    *fd = got;
    return 0;
}
