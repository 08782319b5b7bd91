/* SPDX-License-Identifier: MIT */
/* test/test_chan_batch_hostile.c: the batch calls under a hostile peer.
 * As test_chan_hostile.c does for the single calls, this test scribbles,
 * through a writable mapping of its own, on what the end under attack
 * reads, and shows for every batch call: a bad commit word or length in
 * the middle of a batch gives the valid records before it and -EPROTO to
 * the next call; a bad first record gives -EPROTO at once; a scribbled
 * header (magic, version, header size, capacity, mode) fails the call with
 * -EPROTO before anything is handed out, the consumer's as soon as there
 * is a record to use, the producer's as soon as it needs the room the
 * consumer freed; a forged chain of records longer than the ring ends the
 * batch before the lap, every region inside the two views and none
 * overlapping another; a scribbled tail met in the middle of a reserve_n or
 * send_n breaks the end and publishes nothing. Then random scribbles
 * between random batch calls: every result is one the header documents and
 * every region lies in the ring (test_chan_hostile.c shows that the guard
 * pages around it would stop a stray access). */
#include "chan_test.h"

#include <limits.h>

#define CAP ((size_t)4096)
#define MAXN 600

static volatile unsigned char sink;

/* The consumer's batch calls, as one. */
enum ccall { PEEK_N, RECV_N, RECV_FIXED_N, CCALLS };

static unsigned char bytes[CAP * 8];
static struct mr_region out[MAXN], bufs[MAXN];

/* Read every byte of r, and check that it lies inside c's two views. */
static void check_inside(const struct mr_chan *c, struct mr_region r)
{
    ASSERT_LE(r.len, CAP - 16);
    ASSERT_GE((uintptr_t)r.ptr, (uintptr_t)c->ring);
    ASSERT_LE((uintptr_t)r.ptr + r.len, (uintptr_t)c->ring + 2 * CAP);
    unsigned sum = 0;
    for (size_t i = 0; i < r.len; i++)
        sum += ((const unsigned char *)r.ptr)[i];
    sink = (unsigned char)sum;
}

/* The offset in the ring of a record's first byte (its header), from a
 * region of its payload. */
static uint64_t rec_off(const struct mr_chan *c, struct mr_region r)
{
    return (uint64_t)((const unsigned char *)r.ptr - c->ring - 8) % CAP;
}

/* The k regions of a batch are records one after the other, from the
 * consumer's index, none past a lap of the first. */
static void check_batch(const struct mr_chan *c, int k, uint64_t start)
{
    uint64_t at = start;
    for (int i = 0; i < k; i++) {
        check_inside(c, out[i]);
        ASSERT_EQ(rec_off(c, out[i]), at % CAP);
        at += 8 + ((out[i].len + 7) & ~(size_t)7);
    }
    ASSERT_LE(at - start, CAP - 8);
}

/* Call the consumer's batch call of kind k for up to n messages of len
 * bytes (recv_fixed_n) into fresh buffers of CAP bytes each (recv_n); a
 * peek_n's batch is checked and released. Returns the call's result. */
static ssize_t ccall(struct mr_chan *c, enum ccall k, size_t n, size_t len, int timeout)
{
    ASSERT_LE(n, (size_t)MAXN);
    switch (k) {
    case PEEK_N: {
        for (size_t i = 0; i < n; i++)
            out[i] = mr_test_sentinel();
        uint64_t start = c->pos;
        int rc = mr_chan_peek_n(c, out, n, timeout);
        if (rc > 0) {
            check_batch(c, rc, start);
            ASSERT_OK(mr_chan_release(c));
        } else {
            ASSERT_REGION_EQ(out[0], mr_test_sentinel());
        }
        return rc;
    }
    case RECV_N: {
        static unsigned char big[8][CAP];
        size_t m = n < 8 ? n : 8;
        for (size_t i = 0; i < n; i++)
            bufs[i] = i < m ? MR_REGION_OF_ARRAY(big[i]) : mr_region_make(bytes, 0);
        memset(big, 0x77, m * CAP);
        ssize_t rc = mr_chan_recv_n(c, bufs, n, timeout);
        for (ssize_t i = 0; i < rc; i++) {
            ASSERT_LE(bufs[i].len, (size_t)i < m ? CAP - 16 : 0);
            if ((size_t)i < m)
                ASSERT_ALL_BYTES(big[i] + bufs[i].len, CAP - bufs[i].len, 0x77);
        }
        if (rc <= 0)
            ASSERT_ALL_BYTES(big[0], CAP, 0x77);
        return rc;
    }
    default: {
        memset(bytes, 0x77, sizeof bytes);
        ASSERT_LE(n * len, sizeof bytes);
        ssize_t rc = mr_chan_recv_fixed_n(c, bytes, len, n, timeout);
        size_t got = rc > 0 ? (size_t)rc * len : 0;
        ASSERT_ALL_BYTES(bytes + got, sizeof bytes - got, 0x77);
        return rc;
    }
    }
}

/* The i-th buffer or region of the last ccall of kind k: message seq? */
static bool got_msg(enum ccall k, size_t i, size_t len, uint64_t seq)
{
    switch (k) {
    case PEEK_N: return false; /* released already: checked by the caller before */
    case RECV_N: return bufs[i].len == len && mr_test_chan_check(bufs[i].ptr, len, seq);
    default: return mr_test_chan_check(bytes + i * len, len, seq);
    }
}

/* Every call of a broken end fails, and it stays broken. */
static void assert_consumer_broken(struct mr_chan *c)
{
    struct mr_region m;
    char buf[64];
    for (int k = 0; k < CCALLS; k++) {
        ASSERT_ERR(ccall(c, (enum ccall)k, 4, 16, 0), -EPROTO);
        ASSERT_ERR(ccall(c, (enum ccall)k, 1, 16, -1), -EPROTO);
    }
    ASSERT_ERR(mr_chan_peek(c, -1, &m), -EPROTO);
    ASSERT_ERR(mr_chan_recv(c, MR_REGION_OF_ARRAY(buf), -1), -EPROTO);
    ASSERT_ERR(mr_chan_release(c), -EPROTO);
    ASSERT_ERR(mr_chan_check_peer(c), -EPROTO);
}

static void assert_producer_broken(struct mr_chan *p)
{
    struct mr_region r[2];
    struct mr_region m[2] = { mr_region_make(bytes, 1), mr_region_make(bytes, 1) };
    ASSERT_ERR(mr_chan_reserve_n(p, 8, r, 2, 0), -EPROTO);
    ASSERT_ERR(mr_chan_reserve_n(p, 8, r, 2, -1), -EPROTO);
    ASSERT_ERR(mr_chan_send_n(p, m, 2, -1), -EPROTO);
    ASSERT_ERR(mr_chan_send_fixed_n(p, bytes, 8, 2, -1), -EPROTO);
    ASSERT_ERR(mr_chan_commit_n(p, 1), -EPROTO);
    ASSERT_ERR(mr_chan_commit(p, 0), -EPROTO);
    ASSERT_ERR(mr_chan_send(p, mr_region_make("x", 1), -1), -EPROTO);
    ASSERT_ERR(mr_chan_check_peer(p), -EPROTO);
}

/* A fresh pair of capacity CAP with n messages of 16 bytes, `read` of
 * them consumed, and a scribbler (chan_test.h). */
static struct mr_test_chan_scribbler setup(struct mr_chan *p, struct mr_chan *c, int n, int read)
{
    return mr_test_chan_scribble_setup(p, c, CAP, n, read);
}

/* ---- the consumer: a bad record in the middle, or first ------------------------------------ */

/* Scribble on record `at` (of 16 bytes each) of a fresh pair of five: its
 * length (word 0) or commit word (word 1) becomes v. */
static void bad_record(int word, uint32_t v)
{
    for (int k = 0; k < CCALLS; k++) {
        /* In the middle: the two before it, then -EPROTO. */
        struct mr_chan p, c;
        struct mr_test_chan_scribbler s = setup(&p, &c, 5, 1);
        mr_test_chan_set32(s.ring, 3 * 24 + (size_t)word * 4, v);
        struct mr_region m;
        if (k == PEEK_N) {
            ASSERT_EQ(mr_chan_peek_n(&c, out, 8, 0), 2);
            ASSERT_TRUE(mr_test_chan_check(out[0].ptr, 16, 1));
            ASSERT_TRUE(mr_test_chan_check(out[1].ptr, 16, 2));
            check_batch(&c, 2, 24);
            ASSERT_OK(mr_chan_release(&c));
        } else {
            ASSERT_EQ(ccall(&c, (enum ccall)k, 8, 16, -1), 2);
            ASSERT_TRUE(got_msg((enum ccall)k, 0, 16, 1));
            ASSERT_TRUE(got_msg((enum ccall)k, 1, 16, 2));
        }
        struct mr_chan_stats st;
        mr_chan_stats(&c, &st);
        ASSERT_EQ(st.messages, 3u);
        ASSERT_ERR(ccall(&c, (enum ccall)k, 8, 16, -1), -EPROTO);
        assert_consumer_broken(&c);
        ASSERT_ERR(mr_chan_try_peek(&c, &m), -EPROTO);
        mr_test_chan_scribble_teardown(&p, &c, &s);

        /* First: -EPROTO at once, nothing handed out. */
        s = setup(&p, &c, 5, 1);
        mr_test_chan_set32(s.ring, 1 * 24 + (size_t)word * 4, v);
        ASSERT_ERR(ccall(&c, (enum ccall)k, 8, 16, 0), -EPROTO);
        mr_chan_stats(&c, &st);
        ASSERT_EQ(st.messages, 1u);
        assert_consumer_broken(&c);
        mr_test_chan_scribble_teardown(&p, &c, &s);
    }
}

static void test_bad_lengths(void)
{
    uint32_t lens[MR_TEST_CHAN_BAD_LENGTHS];
    mr_test_chan_bad_lengths(CAP, lens);
    for (size_t i = 0; i < MR_TEST_COUNT(lens); i++)
        bad_record(0, lens[i]);
}

static void test_bad_commit_words(void)
{
    static const uint32_t words[] = { 2, 0x80000000u, UINT32_MAX };
    for (size_t i = 0; i < MR_TEST_COUNT(words); i++)
        bad_record(1, words[i]);

    /* A commit word of 0 in the middle only withholds the rest: the batch
     * ends there, and goes on once it is 1 again. */
    for (int k = 0; k < CCALLS; k++) {
        struct mr_chan p, c;
        struct mr_test_chan_scribbler s = setup(&p, &c, 5, 0);
        mr_test_chan_set32(s.ring, 2 * 24 + 4, 0);
        ASSERT_EQ(ccall(&c, (enum ccall)k, 8, 16, 0), 2);
        ASSERT_ERR(ccall(&c, (enum ccall)k, 8, 16, 0), -EAGAIN);
        ASSERT_ERR(ccall(&c, (enum ccall)k, 8, 16, 10), -ETIMEDOUT);
        mr_test_chan_set32(s.ring, 2 * 24 + 4, 1);
        ASSERT_EQ(ccall(&c, (enum ccall)k, 8, 16, 0), 3);
        if (k != PEEK_N)
            ASSERT_TRUE(got_msg((enum ccall)k, 2, 16, 4));
        mr_test_chan_scribble_teardown(&p, &c, &s);
    }
}

/* ---- the header --------------------------------------------------------------------------- */

static const size_t fixed_offs[] = { MR_TEST_CHAN_MAGIC, MR_TEST_CHAN_VERSION,
                                     MR_TEST_CHAN_HDR_SIZE, MR_TEST_CHAN_CAPACITY,
                                     MR_TEST_CHAN_MODE };

/* Fill the producer's ring with records of 56 + 8 bytes until it has to
 * look at the tail again. */
static int fill(struct mr_chan *p)
{
    ssize_t rc;
    while ((rc = mr_chan_send_fixed_n(p, bytes, 56, 8, 0)) > 0)
        ;
    return (int)rc;
}

/* The producer's room is exactly one record of 56 + 8 bytes (its last
 * look at the tail saw the ring empty), after the consumer drained and
 * released all but what that room leaves. */
static struct mr_test_chan_scribbler setup_one_left(struct mr_chan *p, struct mr_chan *c)
{
    mr_test_chan_pair(p, c, CAP);
    /* 62 records of 64: the room left is 56 + 64. */
    for (uint64_t i = 0; i < 62; i++) {
        mr_test_chan_fill(bytes, 56, i);
        ASSERT_EQ(mr_chan_send(p, mr_region_make(bytes, 56), 0), 56);
    }
    /* Three read: the tail moved, but the producer has not looked. */
    for (int i = 0; i < 3; i++)
        ASSERT_EQ(mr_chan_recv(c, mr_region_make(bytes, 64), 0), 56);
    return mr_test_chan_scribble_open(p);
}

/* What the consumer finds next: messages `from` to `to` of
 * setup_one_left, then (when two, the producer's messages of 56 and 48
 * bytes) and then nothing. */
static void expect_only(struct mr_chan *c, uint64_t from, uint64_t to, bool two)
{
    unsigned char b[64];
    for (uint64_t i = from; i < to; i++) {
        ASSERT_EQ(mr_chan_recv(c, MR_REGION_OF_ARRAY(b), 0), 56);
        ASSERT_TRUE(mr_test_chan_check(b, 56, i));
    }
    if (two) {
        ASSERT_EQ(mr_chan_recv(c, MR_REGION_OF_ARRAY(b), 0), 56);
        ASSERT_EQ(mr_chan_recv(c, MR_REGION_OF_ARRAY(b), 0), 48);
    }
    ASSERT_ERR(mr_chan_recv(c, MR_REGION_OF_ARRAY(b), 0), -EAGAIN);
}

enum pcall { RESERVE_N, SEND_N, SEND_FIXED_N, PCALLS };

static ssize_t pcall(struct mr_chan *p, enum pcall k, size_t n, int timeout)
{
    struct mr_region m[8];
    ASSERT_LE(n, (size_t)8);
    for (size_t i = 0; i < n; i++) {
        m[i] = mr_region_make(bytes + i * 56, 56);
        mr_test_chan_fill(m[i].ptr, 56, 1000 + i);
        out[i] = mr_test_sentinel();
    }
    switch (k) {
    case RESERVE_N: {
        int rc = mr_chan_reserve_n(p, 56, out, n, timeout);
        if (rc > 0) {
            for (int i = 0; i < rc; i++)
                mr_test_chan_fill(out[i].ptr, 56, 1000 + (uint64_t)i);
            ASSERT_OK(mr_chan_commit_n(p, (size_t)rc));
        } else {
            ASSERT_REGION_EQ(out[0], mr_test_sentinel());
        }
        return rc;
    }
    case SEND_N: return mr_chan_send_n(p, m, n, timeout);
    default: return mr_chan_send_fixed_n(p, bytes, 56, n, timeout);
    }
}

static void test_header_fields(void)
{
    for (size_t f = 0; f < MR_TEST_COUNT(fixed_offs); f++) {
        size_t off = fixed_offs[f];
        for (int k = 0; k < CCALLS; k++) {
            /* Nothing new: nothing read, nothing wrong yet; then a record. */
            struct mr_chan p, c;
            struct mr_test_chan_scribbler s = setup(&p, &c, 2, 2);
            s.h[off] ^= 0x40;
            ASSERT_ERR(ccall(&c, (enum ccall)k, 8, 16, 0), -EAGAIN);
            mr_test_chan_fill(bytes, 16, 2);
            ASSERT_EQ(mr_chan_send(&p, mr_region_make(bytes, 16), 0), 16);
            ASSERT_ERR(ccall(&c, (enum ccall)k, 8, 16, -1), -EPROTO);
            assert_consumer_broken(&c);
            mr_test_chan_scribble_teardown(&p, &c, &s);

            /* Records there: -EPROTO, before any of them is handed out. */
            s = setup(&p, &c, 4, 1);
            s.h[off] ^= 0x40;
            ASSERT_ERR(ccall(&c, (enum ccall)k, 8, 16, 0), -EPROTO);
            struct mr_chan_stats st;
            mr_chan_stats(&c, &st);
            ASSERT_EQ(st.messages, 1u);
            assert_consumer_broken(&c);
            mr_test_chan_scribble_teardown(&p, &c, &s);
        }

        /* A message peeked before the scribble was checked then: recv_n
         * and recv_fixed_n hand it out, and use nothing new (-EPROTO when
         * they next would). */
        for (int k = RECV_N; k < CCALLS; k++) {
            struct mr_chan p, c;
            struct mr_test_chan_scribbler s = setup(&p, &c, 4, 1);
            struct mr_region m;
            ASSERT_OK(mr_chan_peek(&c, 0, &m));
            s.h[off] ^= 0x40;
            ASSERT_ERR(mr_chan_peek_n(&c, out, 4, 0), -EBUSY);
            ASSERT_EQ(ccall(&c, (enum ccall)k, 4, 16, 0), 1);
            ASSERT_TRUE(got_msg((enum ccall)k, 0, 16, 1));
            ASSERT_ERR(ccall(&c, (enum ccall)k, 4, 16, 0), -EPROTO);
            assert_consumer_broken(&c);
            mr_test_chan_scribble_teardown(&p, &c, &s);
        }

        /* The producer: when it needs the room the consumer freed, before
         * the first message or in the middle of a batch. Nothing of the
         * batch is published either way. */
        for (int k = 0; k < PCALLS; k++) {
            for (int middle = 0; middle < 2; middle++) {
                struct mr_chan p, c;
                struct mr_test_chan_scribbler s = setup_one_left(&p, &c);
                if (!middle) {
                    ASSERT_EQ(mr_chan_send(&p, mr_region_make(bytes, 56), 0), 56);
                    ASSERT_EQ(mr_chan_send(&p, mr_region_make(bytes, 48), 0), 48);
                }
                s.h[off] ^= 0x40;
                ASSERT_ERR(pcall(&p, (enum pcall)k, 3, -1), -EPROTO);
                assert_producer_broken(&p);
                s.h[off] ^= 0x40; /* the consumer's view intact again */
                expect_only(&c, 3, 62, !middle);
                struct mr_chan_stats st;
                mr_chan_stats(&p, &st);
                ASSERT_EQ(st.messages, middle ? 62u : 64u);
                mr_test_chan_scribble_teardown(&p, &c, &s);
            }
        }
    }
}

/* ---- the tail -------------------------------------------------------------------------------- */

/* Tails the producer must refuse, which last saw the tail at 0 and is at
 * head: ahead of its index, misaligned, a lap and more behind. */
static uint64_t bad_tail(int i, uint64_t head)
{
    switch (i) {
    case 0: return head + 8;
    case 1: return 4;
    case 2: return head + CAP;
    default: return UINT64_MAX - 7;
    }
}

static void test_tail(void)
{
    for (int t = 0; t < 4; t++) {
        for (int k = 0; k < PCALLS; k++) {
            for (int middle = 0; middle < 2; middle++) {
                struct mr_chan p, c;
                struct mr_test_chan_scribbler s = setup_one_left(&p, &c);
                if (!middle) { /* the first message needs the tail already */
                    ASSERT_EQ(mr_chan_send(&p, mr_region_make(bytes, 56), 0), 56);
                    ASSERT_EQ(mr_chan_send(&p, mr_region_make(bytes, 48), 0), 48);
                }
                uint64_t head = middle ? 62 * 64 : 62 * 64 + 64 + 56;
                mr_test_chan_set64(s.h, MR_TEST_CHAN_TAIL, bad_tail(t, head));
                ASSERT_ERR(pcall(&p, (enum pcall)k, 3, -1), -EPROTO);
                assert_producer_broken(&p);
                /* Nothing published: the commit word at the producer's
                 * index is still 0, and the consumer finds nothing new. */
                ASSERT_EQ(mr_test_chan_get32(s.ring, head % CAP + 4), 0u);
                expect_only(&c, 3, 62, !middle);
                mr_test_chan_scribble_teardown(&p, &c, &s);
            }
        }
    }
    /* A tail seen once, then moved backwards: refused by the next batch. */
    for (int k = 0; k < PCALLS; k++) {
        struct mr_chan p, c;
        struct mr_test_chan_scribbler s = setup(&p, &c, 0, 0);
        ASSERT_ERR(fill(&p), -EAGAIN);
        for (int i = 0; i < 4; i++)
            ASSERT_EQ(mr_chan_recv(&c, mr_region_make(bytes, 64), 0), 56);
        ASSERT_EQ(pcall(&p, (enum pcall)k, 8, 0), 4); /* it saw tail = 256 */
        mr_test_chan_set64(s.h, MR_TEST_CHAN_TAIL, 248);
        ASSERT_ERR(pcall(&p, (enum pcall)k, 8, 0), -EPROTO);
        assert_producer_broken(&p);
        mr_test_chan_scribble_teardown(&p, &c, &s);
    }
}

/* ---- forged chains ------------------------------------------------------------------------------ */

/* A record forged at ring offset off: len, committed. */
static void forge(struct mr_test_chan_scribbler *s, size_t off, uint32_t len)
{
    mr_test_chan_set32(s->ring, off % CAP, len);
    mr_test_chan_set32(s->ring, off % CAP + 4, 1);
}

/* Records the producer never wrote, each within bounds alone: a batch takes
 * them while they fit in a lap from its first, every region inside the two
 * views and after the one before it; the record that would pass the lap
 * is left for the next call. */
static void test_forged_chains(void)
{
    for (int k = 0; k < CCALLS; k++) {
        /* 512 empty records fill 4096 bytes: 511 of them fit a lap. */
        struct mr_chan p, c;
        struct mr_test_chan_scribbler s = setup(&p, &c, 0, 0);
        for (size_t off = 0; off < CAP; off += 8)
            forge(&s, off, 0);
        ASSERT_EQ(ccall(&c, (enum ccall)k, MAXN, 0, 0), 511);
        /* The last is still there, and then the first again (it is the
         * forged 8 bytes at offset 0, still committed): a new lap. */
        ASSERT_EQ(ccall(&c, (enum ccall)k, MAXN, 0, 0), 511);
        mr_test_chan_scribble_teardown(&p, &c, &s);

        /* Two records of a half ring each: the second would end where the
         * first starts. */
        s = setup(&p, &c, 0, 0);
        forge(&s, 0, 2040);
        forge(&s, 2048, 2040);
        ASSERT_EQ(ccall(&c, (enum ccall)k, 8, 2040, 0), 1);
        ASSERT_EQ(ccall(&c, (enum ccall)k, 8, 2040, 0), 1);
        mr_test_chan_scribble_teardown(&p, &c, &s);

        /* Large records starting late in the ring, the last running over
         * the seam into the second view. */
        s = setup(&p, &c, 1, 1); /* the consumer at 24 */
        memset(s.ring, 0, CAP);
        forge(&s, 24, 1000);            /* 24 .. 1032 */
        forge(&s, 1032, 2000);          /* 1032 .. 3040 */
        forge(&s, 3040, 1000);          /* 3040 .. 4048: 4024 bytes in all */
        forge(&s, 4048, 100);           /* to 4156 - 24 > 4088: past the lap */
        int want = k == RECV_FIXED_N ? 1 : 3;
        ASSERT_EQ(ccall(&c, (enum ccall)k, 8, 1000, 0), want);
        if (k == RECV_FIXED_N) {
            ASSERT_EQ(mr_chan_recv(&c, mr_region_make(bytes, CAP), 0), 2000);
            ASSERT_EQ(ccall(&c, (enum ccall)k, 8, 1000, 0), 1);
        }
        /* The one past the lap, alone: it crosses the seam. */
        struct mr_region m;
        ASSERT_OK(mr_chan_peek(&c, 0, &m));
        ASSERT_EQ(m.len, 100u);
        check_inside(&c, m);
        ASSERT_PTR_EQ(m.ptr, c.ring + 4056);
        ASSERT_OK(mr_chan_release(&c));
        /* Next: offset 64, inside the first forged record's zeros. */
        ASSERT_ERR(ccall(&c, (enum ccall)k, 8, 0, 0), -EAGAIN);
        mr_test_chan_scribble_teardown(&p, &c, &s);
    }
}

/* ---- random scribbles -------------------------------------------------------------------------- */

static uint64_t scribble_value(uint64_t *rnd, uint64_t was)
{
    uint64_t r = mr_test_rand(rnd);
    switch (r % 7) {
    case 0: return was + 8 * ((r >> 8) % 8);
    case 1: return was - 8 * ((r >> 8) % 8);
    case 2: return was + ((r >> 8) % 16);
    case 3: return (r >> 8) % (4 * CAP);
    case 4: return r >> 3;
    case 5: return (r >> 8) % 2;
    default: return 0;
    }
}

static bool documented(long long rc, bool producer)
{
    if (rc >= 0)
        return true;
    return rc == -EAGAIN || rc == -EPROTO || rc == -EPIPE || rc == -EMSGSIZE ||
           (!producer && rc == -EBADMSG);
}

static void test_random(void)
{
    uint64_t rnd = 0x5eed;
    uint64_t rounds = mr_test_scale(1500);
    uint64_t eproto = 0, handed = 0;
    for (uint64_t round = 0; round < rounds; round++) {
        struct mr_chan p, c;
        mr_test_chan_pair(&p, &c, CAP);
        struct mr_test_chan_scribbler s = mr_test_chan_scribble_open(&p);
        for (int step = 0; step < 40; step++) {
            uint64_t r = mr_test_rand(&rnd);
            size_t n = 1 + (size_t)((r >> 8) % 12);
            size_t len = (size_t)((r >> 16) % 300);
            long long rc;
            switch (r % 8) {
            case 0: case 1: /* the producer */
                rc = pcall(&p, (enum pcall)((r >> 24) % PCALLS), n < 8 ? n : 8, 0);
                ASSERT_TRUE(documented(rc, true));
                break;
            case 2: case 3: case 4: /* the consumer */
                rc = ccall(&c, (enum ccall)((r >> 24) % CCALLS), n, len % 2 ? 56 : len, 0);
                ASSERT_TRUE(documented(rc, false));
                if (rc == -EPROTO)
                    eproto++;
                if (rc > 0)
                    handed += (uint64_t)rc;
                if (rc == -EMSGSIZE || rc == -EBADMSG)
                    ASSERT_OK(mr_chan_release(&c)); /* it stayed peeked */
                break;
            case 5: { /* a record header, near the consumer's index */
                size_t off = (size_t)((c.pos + 8 * ((r >> 8) % 64)) % CAP) + ((r >> 20) & 1) * 4;
                mr_test_chan_set32(s.ring, off, (uint32_t)scribble_value(&rnd, mr_test_chan_get32(s.ring, off)));
                break;
            }
            case 6: /* the tail */
                mr_test_chan_set64(s.h, MR_TEST_CHAN_TAIL,
                                   scribble_value(&rnd, mr_test_chan_get64(s.h, MR_TEST_CHAN_TAIL)));
                break;
            default: { /* any word of the header's first lines */
                size_t off = (size_t)((r >> 8) % 136) * 4;
                mr_test_chan_set32(s.h, off, (uint32_t)scribble_value(&rnd, mr_test_chan_get32(s.h, off)));
                break;
            }
            }
        }
        mr_test_chan_scribble_close(&s);
        ASSERT_OK(mr_chan_close(&p));
        ASSERT_OK(mr_chan_close(&c));
    }
    fprintf(stderr, "test_random: %llu rounds, %llu batch calls met -EPROTO, %llu messages handed out\n",
            (unsigned long long)rounds, (unsigned long long)eproto, (unsigned long long)handed);
    ASSERT_GT(eproto, 0u);
    ASSERT_GT(handed, 0u);
}

int main(void)
{
    MR_TEST_RUN(test_bad_lengths);
    MR_TEST_RUN(test_bad_commit_words);
    MR_TEST_RUN(test_header_fields);
    MR_TEST_RUN(test_tail);
    MR_TEST_RUN(test_forged_chains);
    MR_TEST_RUN(test_random);
    return 0;
}
