/* SPDX-License-Identifier: MIT */
/* test/chan_v1/chan_v1.c: the shim of chan_v1.h, built with the frozen copy
 * of commit a53502b (rename.h force-included, so struct mr_chan below is
 * the old struct v1_mr_chan): it is the one file that sees the old end's
 * private fields. */
#include <memregion/chan.h>

#include "chan_v1.h"

#include <errno.h>
#include <stdlib.h>

/* The old shared layout and state bits (test/chan_v1/chan.c). */
#define V1_H_PROD_CLOSED 256
#define V1_H_TAIL 384
#define V1_H_CONS_CLOSED 512
#define V1_ST_BROKEN 0x1u
#define V1_ST_PEER_GONE 0x2u

struct mr_chan *mr_test_chan_v1_new(void)
{
    struct mr_chan *c = malloc(sizeof *c);
    if (c != NULL) {
        struct mr_chan closed = MR_CHAN_INIT;
        *c = closed;
    }
    return c;
}

void mr_test_chan_v1_free(struct mr_chan *c)
{
    if (c != NULL)
        mr_chan_close(c);
    free(c);
}

int mr_test_chan_v1_create(struct mr_chan *out, size_t capacity, int role, unsigned flags)
{
    return mr_chan_create(out, capacity, (enum mr_chan_role)role, flags);
}

int mr_test_chan_v1_attach_fd(struct mr_chan *out, int fd, size_t capacity, int role,
                              unsigned flags)
{
    return mr_chan_attach_fd(out, fd, capacity, (enum mr_chan_role)role, flags);
}

void mr_test_chan_v1_stats(const struct mr_chan *c, struct mr_test_chan_v1_stats *out)
{
    struct mr_chan_stats s;
    mr_chan_stats(c, &s);
    *out = (struct mr_test_chan_v1_stats){ s.messages, s.bytes, s.waits, s.sleeps, s.wakes };
}

uint64_t mr_test_chan_v1_pos(const struct mr_chan *c)
{
    return c->hdr != NULL ? c->pos : 0;
}

uint64_t mr_test_chan_v1_peer(const struct mr_chan *c)
{
    return c->hdr != NULL && c->role == MR_CHAN_PRODUCER ? c->peer : 0;
}

size_t mr_test_chan_v1_pending(const struct mr_chan *c)
{
    return c->hdr != NULL ? c->pending : 0;
}

void mr_test_chan_v1_saw_tail(struct mr_chan *c, uint64_t v)
{
    if (c->hdr != NULL && c->role == MR_CHAN_PRODUCER)
        c->peer = v;
}

int mr_test_chan_v1_usable(const struct mr_chan *c, int role, int timeout_ms)
{
    if (c->hdr == NULL || (int)c->role != role)
        return -EBADF;
    if (timeout_ms < -1)
        return -EINVAL;
    return (c->state & V1_ST_BROKEN) ? -EPROTO : 0;
}

static uint32_t load32(const unsigned char *p)
{
    return __atomic_load_n((const uint32_t *)(const void *)p, __ATOMIC_SEQ_CST);
}

/* What the old producer_ready and consumer_ready decide, without their
 * side effects (a bad tail or commit word breaks the end: no wait). */
bool mr_test_chan_v1_may_wait(const struct mr_chan *c, int role, size_t len)
{
    if (c->hdr == NULL || (int)c->role != role || c->pending != 0 ||
        (c->state & (V1_ST_BROKEN | V1_ST_PEER_GONE)) != 0)
        return false;
    if (role == MR_CHAN_CONSUMER)
        return load32(c->ring + (c->pos & (c->capacity - 1)) + 4) == 0 &&
               load32(c->hdr + V1_H_PROD_CLOSED) == 0;
    if (len > c->max_msg || load32(c->hdr + V1_H_CONS_CLOSED) != 0)
        return false;
    uint64_t need = MR_CHAN_MSG_OVERHEAD + (((uint64_t)len + 7) & ~(uint64_t)7) + MR_CHAN_MSG_OVERHEAD;
    if (c->pos + need - c->peer <= c->capacity)
        return false;
    uint64_t tail = __atomic_load_n((const uint64_t *)(const void *)(c->hdr + V1_H_TAIL), __ATOMIC_SEQ_CST);
    if (c->pos - tail > c->pos - c->peer || (tail & 7) != 0)
        return false;
    return c->pos + need - tail > c->capacity;
}
