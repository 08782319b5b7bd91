/* SPDX-License-Identifier: MIT */
/* test/test_chan_batch.c: the channel's batch calls (chan.h, "batches")
 * against their contract, both ends in one process unless a second one is
 * the point: every count from 1 to n; partial batches when the ring is
 * nearly full; commit_n of a prefix and commit after reserve_n; every
 * error each call documents; recv_n setting the lengths and stopping at a
 * message too long for its buffer; recv_fixed_n stopping at a message of
 * another length; batches across the end of the ring's first view; exact
 * figures; a close with a batch held; and each blocking batch call woken
 * by its peer in another process. The peer playing foul is
 * test_chan_batch_hostile.c's. */
#include "chan_test.h"

#include <limits.h>
#include <sched.h>

#define CAP ((size_t)4096)
#define MAXN 80

static uint64_t rec(size_t len)
{
    return MR_CHAN_MSG_OVERHEAD + ((len + 7) & ~(size_t)7);
}

/* The offset in the ring of p, in either view of c's ring. */
static size_t ring_off(const struct mr_chan *c, const void *p)
{
    ASSERT_GE((uintptr_t)p, (uintptr_t)c->ring);
    ASSERT_LT((uintptr_t)p, (uintptr_t)c->ring + 2 * mr_chan_capacity(c));
    return (size_t)((const unsigned char *)p - c->ring) % mr_chan_capacity(c);
}

static unsigned char src[CAP * 2];
static unsigned char dst[CAP * MAXN];

/* Regions for n messages of len bytes, message seq0 + i in the i-th. */
static void make_msgs(struct mr_region *m, size_t n, size_t len, uint64_t seq0)
{
    ASSERT_LE(n * len, sizeof dst);
    for (size_t i = 0; i < n; i++) {
        m[i] = mr_region_make(dst + i * len, len);
        mr_test_chan_fill(m[i].ptr, len, seq0 + i);
    }
}

/* The next message on c is message seq, of len bytes. */
static void expect_msg(struct mr_chan *c, size_t len, uint64_t seq)
{
    struct mr_region m;
    ASSERT_OK(mr_chan_peek(c, 0, &m));
    ASSERT_EQ(m.len, len);
    ASSERT_TRUE(mr_test_chan_check(m.ptr, len, seq));
    ASSERT_OK(mr_chan_release(c));
}

static void expect_empty(struct mr_chan *c)
{
    struct mr_region m;
    ASSERT_ERR(mr_chan_try_peek(c, &m), -EAGAIN);
}

static void send_one(struct mr_chan *p, size_t len, uint64_t seq)
{
    mr_test_chan_fill(src, len, seq);
    ASSERT_EQ(mr_chan_send(p, mr_region_make(src, len), 0), (ssize_t)len);
}

static void expect_stats(const struct mr_chan *c, uint64_t messages, uint64_t bytes)
{
    struct mr_chan_stats s;
    mr_chan_stats(c, &s);
    ASSERT_EQ(s.messages, messages);
    ASSERT_EQ(s.bytes, bytes);
}

static void close_pair(struct mr_chan *p, struct mr_chan *c)
{
    ASSERT_OK(mr_chan_close(p));
    ASSERT_OK(mr_chan_close(c));
}

/* ---- counts 1..n, each call ------------------------------------------------------- */

/* Every call with every count from 1 to 8, of several lengths, both modes:
 * all n go when there is room; the regions of a batch lie back to back,
 * 8-byte aligned, in order; the figures count every message. */
static void test_counts(void)
{
    static const size_t lens[] = { 0, 1, 7, 8, 13, 64, 100 };
    for (unsigned mode = 0; mode < 2; mode++) {
        struct mr_chan p = MR_CHAN_INIT, c = MR_CHAN_INIT;
        mr_test_chan_pair_flags(&p, &c, CAP, mode ? MR_CHAN_FENCED : 0);
        uint64_t seq = 0, msgs = 0, bytes = 0;
        for (size_t li = 0; li < MR_TEST_COUNT(lens); li++) {
            size_t len = lens[li];
            for (size_t n = 1; n <= 8; n++) {
                struct mr_region m[8], out[8];
                char bufs[8][128];
                struct mr_region b[8];

                /* send_n, then recv_n. */
                make_msgs(m, n, len, seq);
                ASSERT_EQ(mr_chan_send_n(&p, m, n, 0), (ssize_t)n);
                for (size_t i = 0; i < n; i++)
                    b[i] = MR_REGION_OF_ARRAY(bufs[i]);
                ASSERT_EQ(mr_chan_recv_n(&c, b, n, 0), (ssize_t)n);
                for (size_t i = 0; i < n; i++) {
                    ASSERT_EQ(b[i].len, len);
                    ASSERT_PTR_EQ(b[i].ptr, bufs[i]);
                    ASSERT_TRUE(mr_test_chan_check(bufs[i], len, seq + i));
                }
                expect_empty(&c);
                seq += n;

                /* send_fixed_n, then recv_fixed_n. */
                for (size_t i = 0; i < n; i++)
                    mr_test_chan_fill(src + i * len, len, seq + i);
                ASSERT_EQ(mr_chan_send_fixed_n(&p, src, len, n, 0), (ssize_t)n);
                memset(dst, 0xa5, n * len + 8);
                ASSERT_EQ(mr_chan_recv_fixed_n(&c, dst, len, n, 0), (ssize_t)n);
                for (size_t i = 0; i < n; i++)
                    ASSERT_TRUE(mr_test_chan_check(dst + i * len, len, seq + i));
                ASSERT_ALL_BYTES(dst + n * len, 8, 0xa5);
                expect_empty(&c);
                seq += n;

                /* reserve_n and commit_n, then peek_n and release. */
                ASSERT_EQ(mr_chan_reserve_n(&p, len, out, n, 0), (int)n);
                for (size_t i = 0; i < n; i++) {
                    ASSERT_EQ(out[i].len, len);
                    ASSERT_EQ(out[i].flags, 0u);
                    ASSERT_ALIGNED(out[i].ptr, 8);
                    ASSERT_PTR_EQ(out[i].ptr, (unsigned char *)out[0].ptr + i * rec(len));
                    mr_test_chan_fill(out[i].ptr, len, seq + i);
                }
                /* Nothing is visible before the commit. */
                expect_empty(&c);
                ASSERT_OK(mr_chan_commit_n(&p, n));
                ASSERT_EQ(mr_chan_peek_n(&c, out, n, 0), (int)n);
                for (size_t i = 0; i < n; i++) {
                    ASSERT_EQ(out[i].len, len);
                    ASSERT_EQ(out[i].flags, (unsigned)MR_REGION_RDONLY);
                    ASSERT_ALIGNED(out[i].ptr, 8);
                    ASSERT_TRUE(mr_test_chan_check(out[i].ptr, len, seq + i));
                }
                ASSERT_OK(mr_chan_release(&c));
                expect_empty(&c);
                seq += n;

                msgs += 3 * n;
                bytes += 3 * n * len;
                expect_stats(&p, msgs, bytes);
                expect_stats(&c, msgs, bytes);
            }
        }
        /* Lengths that differ within one batch. */
        struct mr_region m[6];
        size_t mixed[6] = { 5, 0, 300, 8, 1, 64 };
        size_t off = 0, total = 0;
        for (size_t i = 0; i < 6; i++) {
            m[i] = mr_region_make(dst + off, mixed[i]);
            mr_test_chan_fill(m[i].ptr, mixed[i], seq + i);
            off += mixed[i];
            total += mixed[i];
        }
        ASSERT_EQ(mr_chan_send_n(&p, m, 6, 0), 6);
        struct mr_region out[6];
        ASSERT_EQ(mr_chan_peek_n(&c, out, 6, 0), 6);
        for (size_t i = 0; i < 6; i++) {
            ASSERT_EQ(out[i].len, mixed[i]);
            ASSERT_TRUE(mr_test_chan_check(out[i].ptr, mixed[i], seq + i));
            if (i > 0) /* the next record in the ring, wherever it wraps */
                ASSERT_EQ(ring_off(&c, out[i].ptr), (ring_off(&c, out[i - 1].ptr) + rec(mixed[i - 1])) % CAP);
        }
        ASSERT_OK(mr_chan_release(&c));
        expect_stats(&p, msgs + 6, bytes + total);
        expect_stats(&c, msgs + 6, bytes + total);
        /* A batch call takes fewer than n when fewer are there. */
        send_one(&p, 3, 1000);
        send_one(&p, 4, 1001);
        ASSERT_EQ(mr_chan_peek_n(&c, out, 6, 0), 2);
        ASSERT_OK(mr_chan_release(&c));
        close_pair(&p, &c);
    }
}

/* ---- partial batches ------------------------------------------------------------------ */

/* 4096 bytes hold 63 records of 56 + 8 bytes and 56 bytes more (the last
 * 8 of a lap always stay free): a batch producer call takes what fits,
 * fails or waits only when not even the first fits, and stops at the
 * first message that does not fit, not at the next one that would. */
static void test_partial(void)
{
    struct mr_chan p = MR_CHAN_INIT, c = MR_CHAN_INIT;
    mr_test_chan_pair(&p, &c, CAP);
    static struct mr_region m[MAXN], out[MAXN];
    make_msgs(m, MAXN, 56, 0);
    ASSERT_EQ(mr_chan_send_n(&p, m, MAXN, 0), 63);
    ASSERT_ERR(mr_chan_send_n(&p, m, MAXN, 0), -EAGAIN);
    ASSERT_ERR(mr_chan_reserve_n(&p, 56, out, 4, 0), -EAGAIN);
    ASSERT_ERR(mr_chan_send_fixed_n(&p, src, 56, 4, 0), -EAGAIN);
    int64_t t0 = mr_test_now_ms();
    ASSERT_ERR(mr_chan_send_n(&p, m, MAXN, 30), -ETIMEDOUT);
    ASSERT_GE(mr_test_now_ms() - t0, 30);
    ASSERT_ERR(mr_chan_reserve_n(&p, 56, out, 2, 20), -ETIMEDOUT);
    ASSERT_ERR(mr_chan_send_fixed_n(&p, src, 56, 2, 20), -ETIMEDOUT);
    struct mr_chan_stats st;
    mr_chan_stats(&p, &st);
    ASSERT_EQ(st.waits, 3u);
    expect_stats(&p, 63, 63 * 56);

    /* 56 bytes left: seven empty records, or one of 40 + 8. */
    ASSERT_EQ(mr_chan_reserve_n(&p, 0, out, MAXN, 0), 7);
    ASSERT_OK(mr_chan_commit_n(&p, 1)); /* the other six given back */
    ASSERT_ERR(mr_chan_send_fixed_n(&p, src, 48, 5, 0), -EAGAIN);
    ASSERT_EQ(mr_chan_send_fixed_n(&p, src, 40, 5, 0), 1);
    ASSERT_ERR(mr_chan_send_fixed_n(&p, src, 0, 5, 0), -EAGAIN);

    /* Three released: 192 bytes of room. */
    for (uint64_t i = 0; i < 3; i++)
        expect_msg(&c, 56, i);
    ASSERT_EQ(mr_chan_reserve_n(&p, 0, out, MAXN, 0), 24);
    for (int i = 0; i < 24; i++)
        ASSERT_PTR_EQ(out[i].ptr, (unsigned char *)out[0].ptr + i * 8);
    ASSERT_OK(mr_chan_commit_n(&p, 1));
    ASSERT_EQ(mr_chan_reserve_n(&p, 176, out, MAXN, 0), 1);
    ASSERT_OK(mr_chan_commit(&p, 0));
    ASSERT_EQ(mr_chan_send_fixed_n(&p, src, 81, 5, 0), 1); /* 96 of 176 */
    ASSERT_EQ(mr_chan_send_fixed_n(&p, src, 64, 5, 0), 1); /* 72 of 80 */
    ASSERT_EQ(mr_chan_send_fixed_n(&p, src, 0, 5, 0), 1);
    ASSERT_ERR(mr_chan_send_fixed_n(&p, src, 0, 5, 0), -EAGAIN);
    ASSERT_ERR(mr_chan_reserve_n(&p, 0, out, 5, 0), -EAGAIN);
    expect_stats(&p, 70, 63 * 56 + 40 + 81 + 64);

    /* Drain: the 60 left of the first batch, then the small ones. */
    for (uint64_t i = 3; i < 63; i++)
        expect_msg(&c, 56, i);
    struct mr_region pk[8];
    static const size_t small[7] = { 0, 40, 0, 0, 81, 64, 0 };
    ASSERT_EQ(mr_chan_peek_n(&c, pk, 8, 0), 7);
    for (int i = 0; i < 7; i++)
        ASSERT_EQ(pk[i].len, small[i]);
    ASSERT_OK(mr_chan_release(&c));
    expect_empty(&c);
    expect_stats(&c, 70, 63 * 56 + 40 + 81 + 64);

    /* 2008 + 2112 bytes do not fit in 4088: the batch ends before the
     * second message, though the third and fourth would fit. */
    size_t lens[4] = { 2000, 2100, 8, 8 };
    struct mr_region v[4];
    for (int i = 0; i < 4; i++) {
        v[i] = mr_region_make(dst + (size_t)i * 4096, lens[i]);
        mr_test_chan_fill(v[i].ptr, lens[i], 200 + (uint64_t)i);
    }
    ASSERT_EQ(mr_chan_send_n(&p, v, 4, 0), 1);
    ASSERT_EQ(mr_chan_send_n(&p, v + 2, 2, 0), 2);
    expect_msg(&c, 2000, 200);
    expect_msg(&c, 8, 202);
    expect_msg(&c, 8, 203);
    expect_empty(&c);
    close_pair(&p, &c);
}

/* ---- commit_n of a prefix, commit after reserve_n ------------------------------------------ */

static void test_commit_prefix(void)
{
    struct mr_chan p = MR_CHAN_INIT, c = MR_CHAN_INIT;
    mr_test_chan_pair(&p, &c, CAP);
    struct mr_region out[8], again[8], r;

    /* k < reserved: the first k go, the rest is given back and the next
     * reservation starts right after the last committed. */
    ASSERT_EQ(mr_chan_reserve_n(&p, 16, out, 5, 0), 5);
    for (int i = 0; i < 5; i++)
        mr_test_chan_fill(out[i].ptr, 16, (uint64_t)i);
    ASSERT_ERR(mr_chan_commit_n(&p, 0), -ERANGE);
    ASSERT_ERR(mr_chan_commit_n(&p, 6), -ERANGE);
    ASSERT_ERR(mr_chan_commit_n(&p, SIZE_MAX), -ERANGE);
    ASSERT_ERR(mr_chan_reserve_n(&p, 16, again, 2, 0), -EBUSY); /* still reserved */
    ASSERT_OK(mr_chan_commit_n(&p, 2));
    ASSERT_ERR(mr_chan_commit_n(&p, 1), -EINVAL);
    ASSERT_ERR(mr_chan_commit(&p, 0), -EINVAL);
    ASSERT_OK(mr_chan_reserve(&p, 16, 0, &r));
    ASSERT_PTR_EQ(r.ptr, out[2].ptr);
    mr_test_chan_fill(r.ptr, 16, 2);
    ASSERT_OK(mr_chan_commit(&p, 16));
    expect_msg(&c, 16, 0);
    expect_msg(&c, 16, 1);
    expect_msg(&c, 16, 2);
    expect_empty(&c);

    /* mr_chan_commit after reserve_n: the first alone, at most its length;
     * the others are given back. */
    ASSERT_EQ(mr_chan_reserve_n(&p, 40, out, 4, 0), 4);
    mr_test_chan_fill(out[0].ptr, 10, 3);
    mr_test_chan_fill(out[1].ptr, 40, 99);
    ASSERT_ERR(mr_chan_commit(&p, 41), -ERANGE);
    ASSERT_OK(mr_chan_commit(&p, 10));
    ASSERT_EQ(mr_chan_reserve_n(&p, 8, again, 3, 0), 3);
    ASSERT_PTR_EQ(again[0].ptr, (unsigned char *)out[0].ptr + rec(10));
    ASSERT_PTR_EQ(again[0].ptr, (unsigned char *)out[0].ptr + 24);
    /* commit_n of all three, each of the length reserved. */
    for (int i = 0; i < 3; i++)
        mr_test_chan_fill(again[i].ptr, 8, 4 + (uint64_t)i);
    ASSERT_OK(mr_chan_commit_n(&p, 3));
    expect_msg(&c, 10, 3);
    for (uint64_t i = 4; i < 7; i++)
        expect_msg(&c, 8, i);
    expect_empty(&c);

    /* commit_n after a single reserve: k must be 1. */
    ASSERT_OK(mr_chan_reserve(&p, 24, 0, &r));
    mr_test_chan_fill(r.ptr, 24, 7);
    ASSERT_ERR(mr_chan_commit_n(&p, 2), -ERANGE);
    ASSERT_OK(mr_chan_commit_n(&p, 1));
    expect_msg(&c, 24, 7);

    /* reserve_n of one is a plain reservation. */
    ASSERT_EQ(mr_chan_reserve_n(&p, 3, out, 1, 0), 1);
    memcpy(out[0].ptr, "abc", 3);
    ASSERT_OK(mr_chan_commit(&p, 2));
    char b[8];
    ASSERT_EQ(mr_chan_recv(&c, MR_REGION_OF_ARRAY(b), 0), 2);
    ASSERT_MEM_EQ(b, "ab", 2);

    expect_stats(&p, 9, 16 * 3 + 10 + 8 * 3 + 24 + 2);
    expect_stats(&c, 9, 16 * 3 + 10 + 8 * 3 + 24 + 2);
    close_pair(&p, &c);
}

/* ---- errors ------------------------------------------------------------------------------ */

static const size_t bad_ns[] = { 0, (size_t)INT_MAX + 1, SIZE_MAX };

/* Every batch call on x: -EBADF (closed, or the wrong role for all of
 * them when role is 0), whatever the other arguments. */
static void expect_batch_ebadf(struct mr_chan *x, unsigned role)
{
    static const int timeouts[] = { 0, -1, 10, -2, INT_MIN };
    struct mr_region out[2] = { mr_test_sentinel(), mr_test_sentinel() };
    char buf[16];
    struct mr_region bufs[2] = { MR_REGION_OF_ARRAY(buf), mr_region_make_ro(buf, 4) };
    const size_t ns[] = { 1, 2, 0, SIZE_MAX };
    for (size_t t = 0; t < MR_TEST_COUNT(timeouts); t++) {
        for (size_t k = 0; k < MR_TEST_COUNT(ns); k++) {
            size_t n = ns[k] > 2 && ns[k] != SIZE_MAX ? 2 : ns[k];
            int to = timeouts[t];
            if (role != MR_CHAN_PRODUCER) {
                ASSERT_ERR(mr_chan_reserve_n(x, 8, out, n, to), -EBADF);
                ASSERT_ERR(mr_chan_reserve_n(x, SIZE_MAX, out, n, to), -EBADF);
                ASSERT_ERR(mr_chan_send_n(x, bufs, n, to), -EBADF);
                ASSERT_ERR(mr_chan_send_fixed_n(x, buf, 4, n, to), -EBADF);
            }
            if (role != MR_CHAN_CONSUMER) {
                ASSERT_ERR(mr_chan_peek_n(x, out, n, to), -EBADF);
                ASSERT_ERR(mr_chan_recv_n(x, bufs, n, to), -EBADF);
                ASSERT_ERR(mr_chan_recv_fixed_n(x, buf, 4, n, to), -EBADF);
            }
        }
    }
    if (role != MR_CHAN_PRODUCER) {
        ASSERT_ERR(mr_chan_commit_n(x, 1), -EBADF);
        ASSERT_ERR(mr_chan_commit_n(x, 0), -EBADF);
    }
    ASSERT_REGION_EQ(out[0], mr_test_sentinel());
    ASSERT_REGION_EQ(out[1], mr_test_sentinel());
}

/* Every batch call on a producer (p) or consumer (c) whose n is 0 or above
 * INT_MAX: -EINVAL, nothing done. */
static void expect_bad_n(struct mr_chan *p, struct mr_chan *c)
{
    struct mr_region out[2] = { mr_test_sentinel(), mr_test_sentinel() };
    char buf[16];
    struct mr_region bufs[2] = { MR_REGION_OF_ARRAY(buf), MR_REGION_OF_ARRAY(buf) };
    for (size_t i = 0; i < MR_TEST_COUNT(bad_ns); i++) {
        size_t n = bad_ns[i];
        ASSERT_ERR(mr_chan_reserve_n(p, 8, out, n, 0), -EINVAL);
        ASSERT_ERR(mr_chan_reserve_n(p, 8, out, n, -1), -EINVAL);
        ASSERT_ERR(mr_chan_send_n(p, bufs, n, 0), -EINVAL);
        ASSERT_ERR(mr_chan_send_fixed_n(p, buf, 4, n, -1), -EINVAL);
        ASSERT_ERR(mr_chan_peek_n(c, out, n, 0), -EINVAL);
        ASSERT_ERR(mr_chan_peek_n(c, out, n, -1), -EINVAL);
        ASSERT_ERR(mr_chan_recv_n(c, bufs, n, -1), -EINVAL);
        ASSERT_ERR(mr_chan_recv_fixed_n(c, buf, 4, n, -1), -EINVAL);
    }
    ASSERT_REGION_EQ(out[0], mr_test_sentinel());
}

static void test_errors(void)
{
    /* Closed ends, whatever made them so. */
    struct mr_chan x = MR_CHAN_INIT;
    expect_batch_ebadf(&x, 0);
    memset(&x, 0, sizeof x);
    expect_batch_ebadf(&x, 0);

    for (unsigned mode = 0; mode < 2; mode++) {
        struct mr_chan p = MR_CHAN_INIT, c = MR_CHAN_INIT;
        mr_test_chan_pair_flags(&p, &c, CAP, mode ? MR_CHAN_FENCED : 0);
        struct mr_region out[4] = { mr_test_sentinel(), mr_test_sentinel(), mr_test_sentinel(),
                                    mr_test_sentinel() };
        char b0[64], b1[64];
        struct mr_region bufs[2] = { MR_REGION_OF_ARRAY(b0), MR_REGION_OF_ARRAY(b1) };

        /* The wrong role. */
        expect_batch_ebadf(&p, MR_CHAN_PRODUCER);
        expect_batch_ebadf(&c, MR_CHAN_CONSUMER);
        /* n. */
        expect_bad_n(&p, &c);
        /* A bad timeout. */
        ASSERT_ERR(mr_chan_reserve_n(&p, 8, out, 2, -2), -EINVAL);
        ASSERT_ERR(mr_chan_send_n(&p, bufs, 2, INT_MIN), -EINVAL);
        ASSERT_ERR(mr_chan_send_fixed_n(&p, b0, 4, 2, -3), -EINVAL);
        ASSERT_ERR(mr_chan_peek_n(&c, out, 2, -2), -EINVAL);
        ASSERT_ERR(mr_chan_recv_n(&c, bufs, 2, -2), -EINVAL);
        ASSERT_ERR(mr_chan_recv_fixed_n(&c, b0, 4, 2, INT_MIN), -EINVAL);
        /* Nothing reserved. */
        ASSERT_ERR(mr_chan_commit_n(&p, 1), -EINVAL);
        ASSERT_ERR(mr_chan_commit_n(&p, 0), -EINVAL);
        /* Empty. */
        ASSERT_ERR(mr_chan_peek_n(&c, out, 2, 0), -EAGAIN);
        ASSERT_ERR(mr_chan_recv_n(&c, bufs, 2, 0), -EAGAIN);
        ASSERT_ERR(mr_chan_recv_fixed_n(&c, b0, 4, 2, 0), -EAGAIN);
        ASSERT_ERR(mr_chan_peek_n(&c, out, 2, 10), -ETIMEDOUT);
        ASSERT_ERR(mr_chan_recv_n(&c, bufs, 2, 10), -ETIMEDOUT);
        ASSERT_ERR(mr_chan_recv_fixed_n(&c, b0, 4, 2, 10), -ETIMEDOUT);
        ASSERT_REGION_EQ(out[0], mr_test_sentinel());
        /* Too long: the first (the others end the batch before them). */
        size_t max = mr_chan_max_msg(&p);
        ASSERT_ERR(mr_chan_reserve_n(&p, max + 1, out, 2, -1), -EMSGSIZE);
        ASSERT_ERR(mr_chan_reserve_n(&p, SIZE_MAX, out, 2, -1), -EMSGSIZE);
        ASSERT_ERR(mr_chan_send_fixed_n(&p, src, max + 1, 1, -1), -EMSGSIZE);
        struct mr_region big[2] = { mr_region_make(dst, max + 1), mr_region_make(dst, 1) };
        ASSERT_ERR(mr_chan_send_n(&p, big, 2, -1), -EMSGSIZE);
        big[0] = mr_region_make(dst, 1);
        big[1] = mr_region_make(dst, max + 1);
        ASSERT_EQ(mr_chan_send_n(&p, big, 2, 0), 1);
        expect_stats(&p, 1, 1);
        char one[1];
        ASSERT_EQ(mr_chan_recv(&c, MR_REGION_OF_ARRAY(one), 0), 1);
        expect_empty(&c);

        /* Pending: a single reservation or a batch blocks the producer's
         * batch calls; a single peek or a batch the consumer's peek_n. */
        struct mr_region r;
        ASSERT_OK(mr_chan_reserve(&p, 8, 0, &r));
        ASSERT_ERR(mr_chan_reserve_n(&p, 8, out, 2, 0), -EBUSY);
        ASSERT_ERR(mr_chan_send_n(&p, bufs, 2, -1), -EBUSY);
        ASSERT_ERR(mr_chan_send_fixed_n(&p, b0, 4, 2, -1), -EBUSY);
        ASSERT_OK(mr_chan_commit(&p, 0));
        ASSERT_EQ(mr_chan_reserve_n(&p, 8, out, 2, 0), 2);
        ASSERT_ERR(mr_chan_reserve_n(&p, 8, out + 2, 2, 0), -EBUSY);
        ASSERT_ERR(mr_chan_reserve(&p, 8, 0, &r), -EBUSY);
        ASSERT_ERR(mr_chan_send(&p, mr_region_make(b0, 1), -1), -EBUSY);
        ASSERT_ERR(mr_chan_send_n(&p, bufs, 2, -1), -EBUSY);
        ASSERT_ERR(mr_chan_send_fixed_n(&p, b0, 4, 2, 0), -EBUSY);
        memset(out[0].ptr, 1, 8);
        memset(out[1].ptr, 2, 8);
        ASSERT_OK(mr_chan_commit_n(&p, 2));

        struct mr_region m;
        ASSERT_OK(mr_chan_peek(&c, 0, &m)); /* the empty message */
        ASSERT_ERR(mr_chan_peek_n(&c, out, 2, -1), -EBUSY);
        ASSERT_OK(mr_chan_release(&c));
        ASSERT_EQ(mr_chan_peek_n(&c, out, 4, 0), 2);
        ASSERT_ERR(mr_chan_peek_n(&c, out + 2, 2, -1), -EBUSY);
        ASSERT_ERR(mr_chan_peek(&c, -1, &m), -EBUSY);
        ASSERT_ERR(mr_chan_recv(&c, MR_REGION_OF_ARRAY(b0), -1), -EBUSY);
        ASSERT_ERR(mr_chan_recv_n(&c, bufs, 2, -1), -EBUSY);
        ASSERT_ERR(mr_chan_recv_fixed_n(&c, b0, 8, 2, -1), -EBUSY);
        ASSERT_OK(mr_chan_release(&c));
        ASSERT_ERR(mr_chan_release(&c), -EINVAL);

        /* Read-only buffers, any of them: -EACCES before anything. */
        send_one(&p, 4, 10);
        struct mr_region ro[3] = { MR_REGION_OF_ARRAY(b0), MR_REGION_OF_ARRAY(b1),
                                   mr_region_make_ro(b1, 8) };
        ASSERT_ERR(mr_chan_recv_n(&c, ro, 3, -1), -EACCES);
        ASSERT_ERR(mr_chan_recv_n(&c, ro + 2, 1, 0), -EACCES);
        ASSERT_EQ(mr_chan_recv_n(&c, ro, 2, 0), 1);
        ASSERT_TRUE(mr_test_chan_check(b0, 4, 10));

        /* A close of the peer. */
        send_one(&p, 4, 11);
        send_one(&p, 4, 12);
        ASSERT_OK(mr_chan_close(&p));
        bufs[0] = MR_REGION_OF_ARRAY(b0);
        bufs[1] = MR_REGION_OF_ARRAY(b1);
        ASSERT_EQ(mr_chan_recv_n(&c, bufs, 2, -1), 2);
        ASSERT_ERR(mr_chan_peek_n(&c, out, 2, -1), -EPIPE);
        ASSERT_ERR(mr_chan_recv_n(&c, bufs, 2, -1), -EPIPE);
        ASSERT_ERR(mr_chan_recv_fixed_n(&c, b0, 4, 2, 100), -EPIPE);
        ASSERT_OK(mr_chan_close(&c));
        expect_batch_ebadf(&p, 0);
        expect_batch_ebadf(&c, 0);

        mr_test_chan_pair_flags(&p, &c, CAP, mode ? MR_CHAN_FENCED : 0);
        ASSERT_OK(mr_chan_close(&c));
        ASSERT_ERR(mr_chan_reserve_n(&p, 8, out, 2, -1), -EPIPE);
        ASSERT_ERR(mr_chan_send_n(&p, bufs, 2, -1), -EPIPE);
        ASSERT_ERR(mr_chan_send_fixed_n(&p, b0, 4, 2, 0), -EPIPE);
        expect_stats(&p, 0, 0);
        ASSERT_OK(mr_chan_close(&p));

        /* A broken end (the header scribbled on): -EPROTO from each, and a
         * reserved batch is dropped. */
        mr_test_chan_pair_flags(&p, &c, CAP, mode ? MR_CHAN_FENCED : 0);
        unsigned char *h = mr_test_chan_map_header(&p);
        send_one(&p, 4, 13);
        ASSERT_EQ(mr_chan_reserve_n(&p, 8, out, 3, 0), 3);
        h[MR_TEST_CHAN_MAGIC] ^= 0x40;
        ASSERT_ERR(mr_chan_check_peer(&p), -EPROTO);
        ASSERT_ERR(mr_chan_check_peer(&c), -EPROTO);
        ASSERT_ERR(mr_chan_commit_n(&p, 3), -EPROTO);
        ASSERT_ERR(mr_chan_commit_n(&p, 1), -EPROTO);
        ASSERT_ERR(mr_chan_reserve_n(&p, 8, out, 3, 0), -EPROTO);
        ASSERT_ERR(mr_chan_send_n(&p, bufs, 2, -1), -EPROTO);
        ASSERT_ERR(mr_chan_send_fixed_n(&p, b0, 4, 2, -1), -EPROTO);
        ASSERT_ERR(mr_chan_peek_n(&c, out, 2, -1), -EPROTO);
        ASSERT_ERR(mr_chan_recv_n(&c, bufs, 2, -1), -EPROTO);
        ASSERT_ERR(mr_chan_recv_fixed_n(&c, b0, 4, 2, -1), -EPROTO);
        /* n is looked at after the end. */
        ASSERT_ERR(mr_chan_recv_n(&c, bufs, 0, 0), -EPROTO);
        h[MR_TEST_CHAN_MAGIC] ^= 0x40;
        ASSERT_ERR(mr_chan_peek_n(&c, out, 2, 0), -EPROTO); /* broken for good */
        expect_stats(&p, 1, 4);
        expect_stats(&c, 0, 0);
        mr_test_chan_unmap_header(h);
        close_pair(&p, &c);
    }
}

/* ---- recv_n and recv_fixed_n: lengths, and where they stop -------------------------------- */

static void test_recv_n(void)
{
    struct mr_chan p = MR_CHAN_INIT, c = MR_CHAN_INIT;
    mr_test_chan_pair(&p, &c, CAP);
    char b[5][32];
    struct mr_region bufs[5];
    static const size_t lens[5] = { 3, 0, 32, 17, 33 };
    for (uint64_t i = 0; i < 5; i++)
        send_one(&p, lens[i], i);
    /* The buffers keep their pointers and get the messages' lengths. */
    for (int i = 0; i < 5; i++)
        bufs[i] = MR_REGION_OF_ARRAY(b[i]);
    memset(b, 0x5a, sizeof b);
    ASSERT_EQ(mr_chan_recv_n(&c, bufs, 5, 0), 4); /* the fifth does not fit */
    for (int i = 0; i < 4; i++) {
        ASSERT_PTR_EQ(bufs[i].ptr, b[i]);
        ASSERT_EQ(bufs[i].len, lens[i]);
        ASSERT_EQ(bufs[i].flags, 0u);
        ASSERT_TRUE(mr_test_chan_check(b[i], lens[i], (uint64_t)i));
        ASSERT_ALL_BYTES(b[i] + lens[i], sizeof b[i] - lens[i], 0x5a);
    }
    ASSERT_EQ(bufs[4].len, 32u); /* untouched */
    ASSERT_ALL_BYTES(b[4], sizeof b[4], 0x5a);
    expect_stats(&c, 4, 52);

    /* The one that did not fit was not peeked: a release finds nothing. */
    ASSERT_ERR(mr_chan_release(&c), -EINVAL);
    /* First and too long: -EMSGSIZE, and it stays peeked. */
    bufs[0] = MR_REGION_OF_ARRAY(b[0]);
    ASSERT_ERR(mr_chan_recv_n(&c, bufs, 2, 0), -EMSGSIZE);
    ASSERT_EQ(bufs[0].len, 32u);
    struct mr_region m;
    ASSERT_OK(mr_chan_peek(&c, 0, &m));
    ASSERT_EQ(m.len, 33u);
    ASSERT_ERR(mr_chan_recv_n(&c, bufs, 1, -1), -EMSGSIZE);
    ASSERT_ERR(mr_chan_recv_fixed_n(&c, dst, 32, 1, -1), -EBADMSG);
    ASSERT_ERR(mr_chan_peek_n(&c, &m, 1, 0), -EBUSY);
    /* A larger buffer takes it, with the next ones. */
    send_one(&p, 1, 5);
    send_one(&p, 2, 6);
    char large[64];
    bufs[0] = MR_REGION_OF_ARRAY(large);
    bufs[1] = MR_REGION_OF_ARRAY(b[1]);
    bufs[2] = mr_region_make(b[2], 1); /* too short for message 6 */
    ASSERT_EQ(mr_chan_recv_n(&c, bufs, 3, 0), 2);
    ASSERT_EQ(bufs[0].len, 33u);
    ASSERT_TRUE(mr_test_chan_check(large, 33, 4));
    ASSERT_TRUE(mr_test_chan_check(b[1], 1, 5));
    ASSERT_EQ(bufs[2].len, 1u);
    /* mr_chan_release skips a message left peeked by recv_n. */
    bufs[0] = mr_region_make(b[0], 1);
    ASSERT_ERR(mr_chan_recv_n(&c, bufs, 3, 0), -EMSGSIZE);
    ASSERT_OK(mr_chan_release(&c));
    expect_empty(&c);
    expect_stats(&c, 7, 52 + 33 + 1 + 2);
    close_pair(&p, &c);
}

static void test_recv_fixed_n(void)
{
    struct mr_chan p = MR_CHAN_INIT, c = MR_CHAN_INIT;
    mr_test_chan_pair(&p, &c, CAP);
    for (uint64_t i = 0; i < 3; i++)
        send_one(&p, 12, i);
    send_one(&p, 11, 3);
    send_one(&p, 12, 4);
    memset(dst, 0x33, 64);
    ASSERT_EQ(mr_chan_recv_fixed_n(&c, dst, 12, 8, 0), 3);
    for (uint64_t i = 0; i < 3; i++)
        ASSERT_TRUE(mr_test_chan_check(dst + i * 12, 12, i));
    ASSERT_ALL_BYTES(dst + 36, 28, 0x33);
    /* Another length first: -EBADMSG, it stays peeked, recv takes it. */
    ASSERT_ERR(mr_chan_recv_fixed_n(&c, dst, 12, 8, 0), -EBADMSG);
    ASSERT_ERR(mr_chan_recv_fixed_n(&c, dst, 10, 8, -1), -EBADMSG);
    struct mr_region m;
    ASSERT_OK(mr_chan_peek(&c, 0, &m));
    ASSERT_EQ(m.len, 11u);
    char b[16];
    ASSERT_EQ(mr_chan_recv(&c, MR_REGION_OF_ARRAY(b), 0), 11);
    ASSERT_TRUE(mr_test_chan_check(b, 11, 3));
    ASSERT_EQ(mr_chan_recv_fixed_n(&c, dst, 12, 8, 0), 1);
    ASSERT_TRUE(mr_test_chan_check(dst, 12, 4));
    /* A message left peeked by recv_fixed_n is taken by a later one of its
     * length, and by recv_n. */
    send_one(&p, 5, 5);
    send_one(&p, 5, 6);
    ASSERT_ERR(mr_chan_recv_fixed_n(&c, dst, 4, 2, 0), -EBADMSG);
    ASSERT_EQ(mr_chan_recv_fixed_n(&c, dst, 5, 2, 0), 2);
    ASSERT_TRUE(mr_test_chan_check(dst, 5, 5));
    ASSERT_TRUE(mr_test_chan_check(dst + 5, 5, 6));
    send_one(&p, 0, 7);
    send_one(&p, 0, 8);
    ASSERT_EQ(mr_chan_recv_fixed_n(&c, dst, 0, 8, 0), 2);
    expect_stats(&c, 9, 3 * 12 + 11 + 12 + 10);
    close_pair(&p, &c);
}

/* ---- across the end of the ring's first view ----------------------------------------------- */

/* Both indices brought to 4096 - 24: a batch's first record runs over the
 * seam into the second view, the next ones start at the ring's beginning
 * again. Every call sees them whole. */
static void test_wrap(void)
{
    struct mr_chan p = MR_CHAN_INIT, c = MR_CHAN_INIT;
    mr_test_chan_pair(&p, &c, CAP);
    unsigned char *ring = c.ring;
    for (int round = 0; round < 4; round++) {
        /* From 0 mod 4096 to 4072: 33 records of 112 + 8 bytes, one of 104 + 8. */
        for (uint64_t i = 0; i < 33; i++) {
            send_one(&p, 112, i);
            expect_msg(&c, 112, i);
        }
        send_one(&p, 104, 33);
        expect_msg(&c, 104, 33);
        uint64_t base = 100 * (uint64_t)(round + 1);
        struct mr_region out[4], m[4];
        make_msgs(m, 4, 40, base);
        switch (round) {
        case 0:
            ASSERT_EQ(mr_chan_send_n(&p, m, 4, 0), 4);
            break;
        case 1:
            for (int i = 0; i < 4; i++)
                mr_test_chan_fill(src + i * 40, 40, base + (uint64_t)i);
            ASSERT_EQ(mr_chan_send_fixed_n(&p, src, 40, 4, 0), 4);
            break;
        default:
            ASSERT_EQ(mr_chan_reserve_n(&p, 40, out, 4, 0), 4);
            /* The first region starts at 4080 and runs over the seam; the
             * others follow it in the second view. */
            ASSERT_PTR_EQ(out[0].ptr, p.ring + 4080);
            for (int i = 0; i < 4; i++) {
                ASSERT_PTR_EQ(out[i].ptr, p.ring + 4080 + (size_t)i * 48);
                mr_test_chan_fill(out[i].ptr, 40, base + (uint64_t)i);
            }
            ASSERT_OK(mr_chan_commit_n(&p, 4));
            break;
        }
        if (round % 2 == 0) {
            ASSERT_EQ(mr_chan_peek_n(&c, out, 4, 0), 4);
            ASSERT_PTR_EQ(out[0].ptr, ring + 4080);
            for (int i = 0; i < 4; i++) {
                ASSERT_EQ(out[i].len, 40u);
                ASSERT_GE((uintptr_t)out[i].ptr, (uintptr_t)ring);
                ASSERT_LE((uintptr_t)out[i].ptr + 40, (uintptr_t)ring + 2 * CAP);
                ASSERT_TRUE(mr_test_chan_check(out[i].ptr, 40, base + (uint64_t)i));
            }
            ASSERT_OK(mr_chan_release(&c));
        } else {
            char b[4][40];
            struct mr_region bufs[4];
            for (int i = 0; i < 4; i++)
                bufs[i] = MR_REGION_OF_ARRAY(b[i]);
            if (round == 1) {
                ASSERT_EQ(mr_chan_recv_n(&c, bufs, 4, 0), 4);
                for (int i = 0; i < 4; i++)
                    ASSERT_TRUE(mr_test_chan_check(b[i], 40, base + (uint64_t)i));
            } else {
                ASSERT_EQ(mr_chan_recv_fixed_n(&c, dst, 40, 4, 0), 4);
                for (int i = 0; i < 4; i++)
                    ASSERT_TRUE(mr_test_chan_check(dst + i * 40, 40, base + (uint64_t)i));
            }
        }
        /* From 4072 + 4 * 48 = 4264 to 8192, 0 mod 4096 again. */
        send_one(&p, 3920, 9);
        expect_msg(&c, 3920, 9);
    }
    close_pair(&p, &c);
}

/* ---- closing with a batch held ---------------------------------------------------------- */

static void test_close_held(void)
{
    struct mr_chan p = MR_CHAN_INIT, c = MR_CHAN_INIT;
    mr_test_chan_pair(&p, &c, CAP);
    struct mr_region out[4];
    send_one(&p, 8, 0);
    ASSERT_EQ(mr_chan_reserve_n(&p, 8, out, 4, 0), 4);
    memset(out[1].ptr, 1, 8);
    ASSERT_OK(mr_chan_close(&p)); /* nothing of the batch is published */
    expect_batch_ebadf(&p, 0);
    ASSERT_EQ(mr_chan_peek_n(&c, out, 4, 0), 1);
    ASSERT_TRUE(mr_test_chan_check(out[0].ptr, 8, 0));
    ASSERT_OK(mr_chan_release(&c));
    ASSERT_ERR(mr_chan_peek_n(&c, out, 4, 0), -EPIPE);
    ASSERT_OK(mr_chan_close(&c));

    mr_test_chan_pair(&p, &c, CAP);
    for (uint64_t i = 0; i < 3; i++)
        send_one(&p, 8, i);
    ASSERT_EQ(mr_chan_peek_n(&c, out, 4, 0), 3);
    ASSERT_OK(mr_chan_close(&c)); /* with three peeked */
    expect_batch_ebadf(&c, 0);
    ASSERT_ERR(mr_chan_reserve_n(&p, 8, out, 4, 0), -EPIPE);
    ASSERT_ERR(mr_chan_send_fixed_n(&p, src, 8, 4, -1), -EPIPE);
    ASSERT_OK(mr_chan_close(&p));
}

/* ---- woken from another process ------------------------------------------------------------ */

enum call { C_RESERVE_N, C_SEND_N, C_SEND_FIXED_N, C_PEEK_N, C_RECV_N, C_RECV_FIXED_N, C_COUNT };

struct waker {
    int fd;        /* the channel's object, inherited */
    unsigned role; /* the child's */
    size_t word;   /* the sleeping word it waits for */
};

/* The child: the other end, on the inherited fd; once the parent sleeps
 * (its sleeping word set), it sends three messages of 16 bytes, or reads
 * three to make room, and exits. Exits 1 if the parent never sleeps
 * (10 s). */
static void waker(void *arg)
{
    const struct waker *w = arg;
    struct mr_chan e = MR_CHAN_INIT;
    int fd = fcntl(w->fd, F_DUPFD_CLOEXEC, 0);
    ASSERT_GE(fd, 0);
    ASSERT_OK(mr_chan_attach_fd(&e, fd, CAP, (enum mr_chan_role)w->role, 0));
    unsigned char *h = mr_test_chan_map_header(&e);
    int64_t end = mr_test_now_ms() + 10000;
    while (mr_test_chan_get32(h, w->word) == 0) {
        ASSERT_LT(mr_test_now_ms(), end);
        sched_yield();
    }
    mr_test_chan_unmap_header(h);
    if (w->role == MR_CHAN_PRODUCER) {
        for (int i = 0; i < 3; i++)
            mr_test_chan_fill(src + i * 16, 16, 500 + (uint64_t)i);
        ASSERT_EQ(mr_chan_send_fixed_n(&e, src, 16, 3, 0), 3);
    } else {
        ASSERT_EQ(mr_chan_recv_fixed_n(&e, dst, 56, 3, 0), 3);
    }
    /* No close: a producer whose consumer closed gets -EPIPE, even when
     * there is room now. The end goes with the process. */
}

/* The parent's end of role, created here; the call blocks (the ring
 * empty, or full of 56-byte messages) until the child acts. */
static void wake_case(enum call call, unsigned mode)
{
    bool producer = call <= C_SEND_FIXED_N;
    struct mr_chan e = MR_CHAN_INIT;
    ASSERT_OK(mr_chan_create(&e, CAP, producer ? MR_CHAN_PRODUCER : MR_CHAN_CONSUMER,
                             mode ? MR_CHAN_FENCED : 0));
    struct waker w = { mr_chan_fd(&e), producer ? MR_CHAN_CONSUMER : MR_CHAN_PRODUCER,
                       producer ? MR_TEST_CHAN_PROD_WAIT : MR_TEST_CHAN_CONS_WAIT };
    static struct mr_region m[MAXN], out[MAXN];
    if (producer) {
        make_msgs(m, MAXN, 56, 0);
        ASSERT_EQ(mr_chan_send_n(&e, m, MAXN, 0), 63);
    }
    pid_t pid = mr_test_start(waker, &w);
    int64_t t0 = mr_test_now_ms();
    ssize_t rc = -1;
    char b[3][16];
    struct mr_region bufs[3] = { MR_REGION_OF_ARRAY(b[0]), MR_REGION_OF_ARRAY(b[1]),
                                 MR_REGION_OF_ARRAY(b[2]) };
    switch (call) {
    case C_RESERVE_N:
        rc = mr_chan_reserve_n(&e, 56, out, MAXN, 20000);
        if (rc > 0)
            ASSERT_OK(mr_chan_commit_n(&e, (size_t)rc));
        break;
    case C_SEND_N: rc = mr_chan_send_n(&e, m, MAXN, 20000); break;
    case C_SEND_FIXED_N: rc = mr_chan_send_fixed_n(&e, src, 56, MAXN, 20000); break;
    case C_PEEK_N:
        rc = mr_chan_peek_n(&e, out, 3, 20000);
        break;
    case C_RECV_N: rc = mr_chan_recv_n(&e, bufs, 3, 20000); break;
    case C_RECV_FIXED_N: rc = mr_chan_recv_fixed_n(&e, dst, 16, 3, 20000); break;
    case C_COUNT: break;
    }
    int64_t dt = mr_test_now_ms() - t0;
    ASSERT_EQ(mr_test_wait(pid), 0);
    ASSERT_GE(rc, 1);
    ASSERT_LE(rc, 3);
    ASSERT_LT(dt, 15000);
    struct mr_chan_stats st;
    mr_chan_stats(&e, &st);
    ASSERT_EQ(st.waits, 1u);
    ASSERT_GE(st.sleeps, 1u);
    /* The first message (or room) is there; the rest as far as the child
     * got by then. */
    if (!producer) {
        for (ssize_t i = 0; i < rc; i++) {
            const void *got = call == C_PEEK_N ? out[i].ptr : call == C_RECV_N ? (void *)b[i] : dst + i * 16;
            ASSERT_TRUE(mr_test_chan_check(got, 16, 500 + (uint64_t)i));
        }
        if (call == C_PEEK_N)
            ASSERT_OK(mr_chan_release(&e));
    }
    ASSERT_OK(mr_chan_close(&e));
}

static void test_woken(void)
{
    for (unsigned mode = 0; mode < 2; mode++)
        for (int call = 0; call < C_COUNT; call++)
            wake_case((enum call)call, mode);
}

int main(void)
{
    MR_TEST_RUN(test_counts);
    MR_TEST_RUN(test_partial);
    MR_TEST_RUN(test_commit_prefix);
    MR_TEST_RUN(test_errors);
    MR_TEST_RUN(test_recv_n);
    MR_TEST_RUN(test_recv_fixed_n);
    MR_TEST_RUN(test_wrap);
    MR_TEST_RUN(test_close_held);
    MR_TEST_RUN(test_woken);
    return 0;
}
