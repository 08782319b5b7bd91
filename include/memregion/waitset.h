/* SPDX-License-Identifier: MIT */
/* memregion/waitset.h: wait on many channel ends and ordinary fds at once,
 * with a deadline, and learn which are ready (issue 15).
 *
 * A waitset holds channel ends shared over a Unix socket (mr_chan_share,
 * mr_chan_attach_sock; see chan.h, "polling") and ordinary fds, each with a
 * tag of the caller's. mr_waitset_wait returns the ready ones. It is built on
 * mr_chan_arm / mr_chan_ack and one epoll(7) instance:
 *
 *   - while a channel can make progress, wait looks at the shared memory
 *     only and makes no system call for it (none at all when the set holds
 *     no ordinary fd), so a busy channel costs nothing per message;
 *   - only when nothing is ready does it arm every channel (mr_chan_arm)
 *     and sleep in epoll_wait; the peer then rings the socket;
 *   - ends that share one socket (the two channels of a duplex pair) share
 *     one epoll registration: ack them all, check them all, arm them all.
 *
 * Readiness is level-triggered, as in poll(2): an end reported ready and
 * not used is reported again by the next wait. A channel is ready when the
 * caller's next non-blocking call on it would not return -EAGAIN: a message
 * to peek (consumer), room for a message of the len given to
 * mr_waitset_add_chan (producer), a message or reservation held, or the
 * peer gone (the next call returns -EPIPE or -ECONNRESET; the event says
 * which). The loop:
 *
 *   while ((n = mr_waitset_wait(ws, MR_FOREVER, ev, 16)) > 0)
 *       for (i = 0; i < n; i++)
 *           if (ev[i].chan) drain it with mr_chan_try_recv until -EAGAIN;
 *           else handle ev[i].fd, ev[i].revents;
 *
 * Thread-safety: a waitset, and the ends and fds in it, are used by one
 * thread at a time. */
#ifndef MEMREGION_WAITSET_H
#define MEMREGION_WAITSET_H

#include <memregion/base.h>
#include <memregion/chan.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The set: opaque, made by mr_waitset_create. */
struct mr_waitset;

/* One ready member, as mr_waitset_wait reports it. */
struct mr_waitset_event {
    void *tag;            /* the tag given when the member was added */
    struct mr_chan *chan; /* the channel end; NULL for an ordinary fd */
    int fd;               /* the ordinary fd; -1 for a channel */
    int status;           /* channel: 1 progress can be made, or the error the
                           * next call on it returns (-EPIPE the peer closed,
                           * -ECONNRESET it died, -EPROTO, -EBADF the end was
                           * closed while in the set); fd: 0 */
    short revents;        /* fd: poll(2) events (POLLIN, POLLOUT, POLLPRI,
                           * POLLERR, POLLHUP); channel: 0 */
};

/* A new, empty waitset in *out, owned by the caller (mr_waitset_destroy).
 * 0; or -ENOMEM, -EMFILE, -EINVAL (out NULL). Opens one close-on-exec
 * epoll fd. Thread-safe. */
MR_API int mr_waitset_create(struct mr_waitset **out);

/* Free ws and its epoll fd (NULL: nothing). The ends and fds in it stay
 * open: the waitset never owned them. 0; or the error of closing its fd
 * (the waitset is freed anyway). */
MR_API int mr_waitset_destroy(struct mr_waitset *ws);

/* Add the channel end c, reported with tag. A producer is ready when a
 * message of len bytes fits (len is ignored for a consumer). c stays the
 * caller's; remove it before closing it. 0; or -EBADF (c closed),
 * -EOPNOTSUPP (not shared over a Unix socket), -EEXIST (c is in ws),
 * -EMSGSIZE (len above mr_chan_max_msg), -EINVAL (ws or c NULL), -ENOMEM. */
MR_API int mr_waitset_add_chan(struct mr_waitset *ws, struct mr_chan *c, size_t len,
                               void *tag);

/* Take c out of ws (c may have been closed meanwhile). 0; or -ENOENT (c
 * not in ws), -EINVAL (NULL). */
MR_API int mr_waitset_remove_chan(struct mr_waitset *ws, struct mr_chan *c);

/* Add the ordinary fd, waited on for events (a mask of POLLIN, POLLOUT,
 * POLLPRI; POLLERR and POLLHUP are always reported), reported with tag.
 * The fd stays the caller's; remove it before closing it. 0; or -EBADF (fd
 * negative or not open), -EEXIST (fd is in ws), -EPERM (a regular file or
 * directory: epoll(7) refuses them), -EINVAL (events, ws NULL), -ENOMEM. */
MR_API int mr_waitset_add_fd(struct mr_waitset *ws, int fd, short events, void *tag);

/* Take fd out of ws. 0; or -ENOENT (fd not in ws), -EINVAL (ws NULL). */
MR_API int mr_waitset_remove_fd(struct mr_waitset *ws, int fd);

/* Wait up to timeout_ms (base.h) until a member is ready, and fill out[0..]
 * with at most n of the ready ones (the next wait starts where this one
 * stopped, so that every member gets its turn). The count (1..n); or
 * -ETIMEDOUT (nothing ready by the deadline; with 0, nothing ready now),
 * -EINVAL (n < 1, out or ws NULL, timeout), or epoll_wait's error. A signal
 * does not end the wait. An empty set waits out its timeout. */
MR_API int mr_waitset_wait(struct mr_waitset *ws, int timeout_ms, struct mr_waitset_event *out,
                           int n);

/* How many members (channels and fds) ws holds. */
MR_API int mr_waitset_count(const struct mr_waitset *ws);

#ifdef __cplusplus
}
#endif

#endif
