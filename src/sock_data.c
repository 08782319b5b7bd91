/* SPDX-License-Identifier: MIT */
/* src/sock_data.c: data between sockets and regions: single sends and
 * receives, send-all and receive-exactly with deadlines, to and from an
 * address, scatter-gather, and batches of datagrams (sendmmsg, recvmmsg). */
#include "sock_internal.h"

#include <limits.h>
#include <poll.h>
#include <string.h>
#include <sys/uio.h>

/* Iovecs and batch headers up to these counts live on the stack; a call
 * with more takes them from the caller's allocator. */
#define IOV_STACK 32
#define BATCH_STACK 8

#define SEND_FLAGS (MSG_DONTWAIT | MSG_MORE | MSG_OOB | MSG_EOR | MSG_DONTROUTE | MSG_CONFIRM | \
                    MSG_NOSIGNAL)
#define RECV_FLAGS (MSG_PEEK | MSG_DONTWAIT | MSG_WAITALL | MSG_OOB | MSG_TRUNC)

/* A receive's region: writable, and not empty on a stream socket (where 0
 * is reserved for the end of the stream). */
static int recv_region_check(const struct mr_sock *s, struct mr_region r)
{
    if (mr_region_is_ro(r))
        return -EACCES;
    if (r.len == 0 && s->type == SOCK_STREAM)
        return -EINVAL;
    return 0;
}

ssize_t mr_sock_send(const struct mr_sock *s, struct mr_region r, int flags)
{
    if (MR_UNLIKELY(flags & ~SEND_FLAGS))
        return -EINVAL;
    ssize_t n = mr__sys_send(s->fd, r.ptr, r.len, flags | MSG_NOSIGNAL);
    if (MR_UNLIKELY(n == -EAGAIN))
        return mr__sock_would_block(s, flags);
    return n;
}

ssize_t mr_sock_recv(const struct mr_sock *s, struct mr_region r, int flags)
{
    if (MR_UNLIKELY(flags & ~RECV_FLAGS))
        return -EINVAL;
    int rc = recv_region_check(s, r);
    if (MR_UNLIKELY(rc < 0))
        return rc;
    ssize_t n = mr__sys_recv(s->fd, r.ptr, r.len, flags);
    if (MR_UNLIKELY(n == -EAGAIN))
        return mr__sock_would_block(s, flags);
    return n;
}

ssize_t mr_sock_send_all(const struct mr_sock *s, struct mr_region r, int timeout_ms, size_t *done)
{
    size_t sent = 0;
    ssize_t rc = 0;
    if (done != NULL)
        *done = 0;
    if (!mr__timeout_ok(timeout_ms))
        return -EINVAL;
    if (r.len == 0 && s->type == SOCK_STREAM)
        return 0;
    /* With no deadline on a blocking socket, a blocking send does it all
     * in one call (the kernel loops), as a raw write would. */
    bool polled = timeout_ms >= 0 || (s->flags & MR_SOCK_NONBLOCKING);
    int flags = MSG_NOSIGNAL | (polled ? MSG_DONTWAIT : 0);
    int64_t at = polled ? mr__deadline(timeout_ms) : MR__NEVER;
    const unsigned char *p = r.ptr;
    do {
        ssize_t n = mr__sys_send(s->fd, r.len ? p + sent : p, r.len - sent, flags);
        if (n >= 0) {
            sent += (size_t)n;
            continue;
        }
        if (n != -EAGAIN) {
            rc = n;
            break;
        }
        if (!polled) {
            rc = -ETIMEDOUT;
            break;
        }
        if ((rc = mr__sock_wait_fd(s->fd, POLLOUT, at)) < 0)
            break;
    } while (sent < r.len);
    if (done != NULL)
        *done = sent;
    return rc < 0 ? rc : (ssize_t)r.len;
}

ssize_t mr_sock_recv_exact(const struct mr_sock *s, struct mr_region r, int timeout_ms,
                           size_t *done)
{
    size_t got = 0;
    ssize_t rc = 0;
    if (done != NULL)
        *done = 0;
    /* A closed socket's type is 0: it is told apart here, off the hot path. */
    if (s->type != SOCK_STREAM)
        return s->fd < 0 ? -EBADF : -EOPNOTSUPP;
    if (!mr__timeout_ok(timeout_ms) || r.len == 0)
        return -EINVAL;
    if (mr_region_is_ro(r))
        return -EACCES;
    /* MSG_WAITALL lets a blocking socket fill the region in one call. */
    bool polled = timeout_ms >= 0 || (s->flags & MR_SOCK_NONBLOCKING);
    int flags = polled ? MSG_DONTWAIT : MSG_WAITALL;
    int64_t at = polled ? mr__deadline(timeout_ms) : MR__NEVER;
    unsigned char *p = r.ptr;
    while (got < r.len) {
        ssize_t n = mr__sys_recv(s->fd, p + got, r.len - got, flags);
        if (n > 0) {
            got += (size_t)n;
            continue;
        }
        if (n == 0) {
            rc = got == 0 ? 0 : -EPIPE;
            break;
        }
        if (n != -EAGAIN) {
            rc = n;
            break;
        }
        if (!polled) {
            rc = -ETIMEDOUT;
            break;
        }
        if ((rc = mr__sock_wait_fd(s->fd, POLLIN, at)) < 0)
            break;
    }
    if (done != NULL)
        *done = got;
    if (got < r.len)
        return rc;
    return (ssize_t)r.len;
}

ssize_t mr_sock_send_to(const struct mr_sock *s, struct mr_region r, int flags,
                        const struct mr_addr *to)
{
    if (to == NULL)
        return mr_sock_send(s, r, flags);
    if (s->fd < 0)
        return -EBADF;
    if (flags & ~SEND_FLAGS)
        return -EINVAL;
    struct mr_addr tmp;
    const struct mr_addr *use;
    int rc = mr__sock_addr_for(s, to, &tmp, &use);
    if (rc < 0)
        return rc;
    ssize_t n = mr__sys_sendto(s->fd, r.ptr, r.len, flags | MSG_NOSIGNAL, &use->sa, use->len);
    if (n == -EAGAIN)
        return mr__sock_would_block(s, flags);
    return n;
}

/* The sender's address as recvfrom or recvmsg left it: an unnamed Unix
 * sender comes back with no address at all, and is made unnamed here. */
static void set_from(const struct mr_sock *s, struct mr_addr *from, socklen_t len)
{
    from->len = len > sizeof from->storage ? (socklen_t)sizeof from->storage : len;
    if (from->len == 0 && s->family == AF_UNIX && s->type == SOCK_DGRAM) {
        from->un.sun_family = AF_UNIX;
        from->len = sizeof(sa_family_t);
    }
}

ssize_t mr_sock_recv_from(const struct mr_sock *s, struct mr_region r, int flags,
                          struct mr_addr *from, size_t *full_len)
{
    if (flags & ~RECV_FLAGS)
        return -EINVAL;
    int rc = recv_region_check(s, r);
    if (rc < 0)
        return rc;
    bool dgram = s->type == SOCK_DGRAM;
    socklen_t alen = from ? (socklen_t)sizeof from->storage : 0;
    if (from != NULL)
        memset(from, 0, sizeof *from);
    /* On a datagram socket MSG_TRUNC makes the kernel return the real
     * length (on TCP it would discard the data instead). */
    ssize_t n = mr__sys_recvfrom(s->fd, r.ptr, r.len, flags | (dgram ? MSG_TRUNC : 0),
                                 from ? &from->sa : NULL, from ? &alen : NULL);
    if (n < 0)
        return n == -EAGAIN ? mr__sock_would_block(s, flags) : n;
    if (from != NULL)
        set_from(s, from, alen);
    if (full_len != NULL)
        *full_len = (size_t)n;
    return dgram && (size_t)n > r.len ? (ssize_t)r.len : n;
}

/* The iovecs for n regions: on the stack (stack, IOV_STACK of them) or
 * from a, in *blk (to free). *total is the sum of the lengths. */
static int iov_build(const struct mr_region *rv, size_t n, bool writing, struct iovec *stack,
                     struct mr_allocator *a, struct iovec **out, struct mr_region *blk,
                     size_t *total)
{
    *blk = mr_region_make(NULL, 0);
    if (n > 0 && rv == NULL)
        return -EINVAL;
    if (n > IOV_MAX)
        return -EMSGSIZE;
    size_t sum = 0;
    for (size_t i = 0; i < n; i++) {
        if (writing && mr_region_is_ro(rv[i]))
            return -EACCES;
        if (__builtin_add_overflow(sum, rv[i].len, &sum) || sum > SSIZE_MAX)
            return -EINVAL;
    }
    struct iovec *iov = stack;
    if (n > IOV_STACK) {
        int rc = mr_alloc(a ? a : mr_heap(), n * sizeof *iov, _Alignof(struct iovec), blk);
        if (rc < 0)
            return rc;
        iov = blk->ptr;
    }
    for (size_t i = 0; i < n; i++) {
        iov[i].iov_base = rv[i].ptr;
        iov[i].iov_len = rv[i].len;
    }
    *out = iov;
    *total = sum;
    return 0;
}

ssize_t mr_sock_sendv(const struct mr_sock *s, const struct mr_region *rv, size_t n, int flags,
                      struct mr_allocator *a)
{
    if (flags & ~SEND_FLAGS)
        return -EINVAL;
    struct iovec stack[IOV_STACK], *iov;
    struct mr_region blk;
    size_t total;
    int rc = iov_build(rv, n, false, stack, a, &iov, &blk, &total);
    if (rc < 0)
        return rc;
    struct msghdr m;
    memset(&m, 0, sizeof m);
    m.msg_iov = iov;
    m.msg_iovlen = n;
    ssize_t k = mr__sys_sendmsg(s->fd, &m, flags | MSG_NOSIGNAL);
    mr_free(a ? a : mr_heap(), blk);
    return k == -EAGAIN ? mr__sock_would_block(s, flags) : k;
}

ssize_t mr_sock_recvv(const struct mr_sock *s, const struct mr_region *rv, size_t n, int flags,
                      struct mr_allocator *a)
{
    if (flags & ~RECV_FLAGS)
        return -EINVAL;
    struct iovec stack[IOV_STACK], *iov;
    struct mr_region blk;
    size_t total;
    int rc = iov_build(rv, n, true, stack, a, &iov, &blk, &total);
    if (rc < 0)
        return rc;
    if (total == 0 && s->type == SOCK_STREAM) {
        mr_free(a ? a : mr_heap(), blk);
        return -EINVAL;
    }
    struct msghdr m;
    memset(&m, 0, sizeof m);
    m.msg_iov = iov;
    m.msg_iovlen = n;
    ssize_t k = mr__sys_recvmsg(s->fd, &m, flags | MSG_CMSG_CLOEXEC);
    mr_free(a ? a : mr_heap(), blk);
    return k == -EAGAIN ? mr__sock_would_block(s, flags) : k;
}

/* ==== batches ============================================================= */

/* The arrays sendmmsg and recvmmsg need, for n messages: headers, one iovec
 * each, and (for sends) room for an address converted to the socket's
 * family. On the stack up to BATCH_STACK, else one block from a. */
struct batch {
    struct mmsghdr *h;
    struct iovec *iov;
    struct sockaddr_in6 *conv;
    struct mr_region blk;
    struct mr_allocator *a;
    struct mmsghdr h_stack[BATCH_STACK];
    struct iovec iov_stack[BATCH_STACK];
    struct sockaddr_in6 conv_stack[BATCH_STACK];
};

static int batch_init(struct batch *b, size_t n, struct mr_allocator *a)
{
    b->a = a ? a : mr_heap();
    b->blk = mr_region_make(NULL, 0);
    if (n <= BATCH_STACK) {
        b->h = b->h_stack;
        b->iov = b->iov_stack;
        b->conv = b->conv_stack;
        return 0;
    }
    size_t per = sizeof(struct mmsghdr) + sizeof(struct iovec) + sizeof(struct sockaddr_in6);
    int rc = mr_alloc(b->a, n * per, _Alignof(struct mmsghdr), &b->blk);
    if (rc < 0)
        return rc;
    /* mmsghdr and iovec sizes are multiples of the pointer size, so the
     * arrays that follow each other stay aligned. */
    unsigned char *p = b->blk.ptr;
    b->h = (struct mmsghdr *)(void *)p;
    b->iov = (struct iovec *)(void *)(p + n * sizeof(struct mmsghdr));
    b->conv = (struct sockaddr_in6 *)(void *)(p + n * (sizeof(struct mmsghdr) +
                                                       sizeof(struct iovec)));
    return 0;
}

static void batch_fini(struct batch *b)
{
    mr_free(b->a, b->blk);
}

int mr_sock_send_batch(const struct mr_sock *s, struct mr_sock_msg *msgs, size_t n, int flags,
                       struct mr_allocator *a)
{
    if (s->fd < 0)
        return -EBADF;
    if (flags & ~SEND_FLAGS)
        return -EINVAL;
    if (s->type != SOCK_DGRAM)
        return -EOPNOTSUPP;
    if (n == 0 || msgs == NULL)
        return -EINVAL;
    if (n > MR_SOCK_BATCH_MAX)
        n = MR_SOCK_BATCH_MAX;
    struct batch b;
    int rc = batch_init(&b, n, a);
    if (rc < 0)
        return rc;
    memset(b.h, 0, n * sizeof *b.h);
    for (size_t i = 0; i < n; i++) {
        b.iov[i].iov_base = msgs[i].data.ptr;
        b.iov[i].iov_len = msgs[i].data.len;
        b.h[i].msg_hdr.msg_iov = &b.iov[i];
        b.h[i].msg_hdr.msg_iovlen = 1;
        msgs[i].len = 0;
        if (msgs[i].addr != NULL) {
            struct mr_addr tmp;
            const struct mr_addr *use;
            if ((rc = mr__sock_addr_for(s, msgs[i].addr, &tmp, &use)) < 0) {
                batch_fini(&b);
                return rc;
            }
            if (use == &tmp) {
                memcpy(&b.conv[i], &tmp.storage, tmp.len);
                b.h[i].msg_hdr.msg_name = &b.conv[i];
            } else {
                b.h[i].msg_hdr.msg_name = (void *)&use->storage;
            }
            b.h[i].msg_hdr.msg_namelen = use->len;
        }
    }
    rc = mr__sys_sendmmsg(s->fd, b.h, (unsigned)n, flags | MSG_NOSIGNAL);
    for (int i = 0; i < rc; i++)
        msgs[i].len = b.h[i].msg_len;
    batch_fini(&b);
    return rc == -EAGAIN ? (int)mr__sock_would_block(s, flags) : rc;
}

int mr_sock_recv_batch(const struct mr_sock *s, struct mr_sock_msg *msgs, size_t n,
                       int timeout_ms, struct mr_allocator *a)
{
    if (s->fd < 0)
        return -EBADF;
    if (s->type != SOCK_DGRAM)
        return -EOPNOTSUPP;
    if (n == 0 || msgs == NULL || !mr__timeout_ok(timeout_ms))
        return -EINVAL;
    if (n > MR_SOCK_BATCH_MAX)
        n = MR_SOCK_BATCH_MAX;
    for (size_t i = 0; i < n; i++) {
        if (mr_region_is_ro(msgs[i].data))
            return -EACCES;
    }
    struct batch b;
    int rc = batch_init(&b, n, a);
    if (rc < 0)
        return rc;
    memset(b.h, 0, n * sizeof *b.h);
    for (size_t i = 0; i < n; i++) {
        b.iov[i].iov_base = msgs[i].data.ptr;
        b.iov[i].iov_len = msgs[i].data.len;
        b.h[i].msg_hdr.msg_iov = &b.iov[i];
        b.h[i].msg_hdr.msg_iovlen = 1;
        if (msgs[i].addr != NULL) {
            memset(msgs[i].addr, 0, sizeof *msgs[i].addr);
            b.h[i].msg_hdr.msg_name = &msgs[i].addr->storage;
            b.h[i].msg_hdr.msg_namelen = sizeof msgs[i].addr->storage;
        }
    }
    /* recvmmsg's own timeout is checked only between datagrams, so the
     * wait for the first is a poll; the rest are taken as they are. */
    int64_t at = mr__deadline(timeout_ms);
    for (;;) {
        rc = mr__sys_recvmmsg(s->fd, b.h, (unsigned)n, MSG_DONTWAIT | MSG_TRUNC | MSG_CMSG_CLOEXEC);
        if (rc != -EAGAIN)
            break;
        if ((rc = mr__sock_wait_fd(s->fd, POLLIN, at)) < 0)
            break;
    }
    for (int i = 0; i < rc; i++) {
        size_t full = b.h[i].msg_len;
        msgs[i].full_len = full;
        msgs[i].len = full < msgs[i].data.len ? full : msgs[i].data.len;
        if (msgs[i].addr != NULL)
            set_from(s, msgs[i].addr, b.h[i].msg_hdr.msg_namelen);
    }
    batch_fini(&b);
    return rc;
}
