/* SPDX-License-Identifier: MIT */
/* test/test_chan_hostile.c: the peer is hostile. This test plays it: with a
 * writable mapping of its own of the channel's header and ring, it
 * scribbles on what the other end reads (the tail, the message headers
 * with their commit words, the fixed header fields; and the head, which the
 * consumer ignores) and proves that the end under attack
 * fails cleanly with -EPROTO and stays failed, never touching memory
 * outside its ring. Then random scribbles, many times: every call returns
 * a documented code, and every region handed out lies inside the ring and
 * is read to its last byte.
 *
 * How "never outside the ring" is proved: an end maps
 *   [guard][header][guard][ring][ring again][guard]
 * with PROT_NONE guard pages, so a stray access before or after the ring
 * faults (the process dies of SIGSEGV, and the test with it); the first
 * test below shows that the guards are there, by touching each one in a
 * child that must die of SIGSEGV. Every region returned is checked against
 * the ring's bounds and read whole; mappings are not instrumented by ASan
 * or valgrind, which is why the guards do that job. */
#include "chan_test.h"

#include <signal.h>

#define CAP ((size_t)4096)

static size_t page;


/* ---- the guards are there ---------------------------------------------------------- */

static volatile unsigned char sink;

static void touch_read(void *addr)
{
    sink = *(volatile unsigned char *)addr;
}

static void touch_write(void *addr)
{
    *(volatile unsigned char *)addr = 1;
}

static void test_guards(void)
{
    if (mr_test_under_valgrind()) {
        /* The faults are the point; valgrind would report each one. */
        mr_test_skip_case("test_guards", "its faults are errors to valgrind (the plain run covers it)");
        return;
    }
    struct mr_chan p = MR_CHAN_INIT, c = MR_CHAN_INIT;
    mr_test_chan_pair(&p, &c, CAP);
    ASSERT_EQ(mr_chan_send(&p, mr_region_make("x", 1), 0), 1);
    struct mr_region m;
    ASSERT_OK(mr_chan_peek(&c, 0, &m));
    unsigned char *ring = (unsigned char *)m.ptr - MR_CHAN_MSG_OVERHEAD;
    ASSERT_PTR_EQ(ring, c.ring);
    /* The two views are one ring. */
    ASSERT_EQ(ring[CAP + 8], ring[8]);
    ASSERT_EQ(ring[CAP + 8], 'x');
    /* Every byte next to them is a guard. */
    ASSERT_EQ(mr_test_in_child(touch_read, ring - 1, SIGSEGV), 1000 + SIGSEGV);
    ASSERT_EQ(mr_test_in_child(touch_read, ring + 2 * CAP, SIGSEGV), 1000 + SIGSEGV);
    ASSERT_EQ(mr_test_in_child(touch_read, c.hdr - 1, SIGSEGV), 1000 + SIGSEGV);
    ASSERT_EQ(mr_test_in_child(touch_read, c.hdr + page, SIGSEGV), 1000 + SIGSEGV);
    /* The consumer's ring is read-only: a write through a peeked region
     * faults instead of changing the message. */
    ASSERT_EQ(mr_test_in_child(touch_write, m.ptr, SIGSEGV), 1000 + SIGSEGV);
    ASSERT_EQ(mr_test_in_child(touch_write, ring + CAP + 8, SIGSEGV), 1000 + SIGSEGV);
    /* Positive control: the same child code on readable memory survives. */
    ASSERT_EQ(mr_test_in_child(touch_read, ring, SIGSEGV), 0);
    ASSERT_EQ(mr_test_in_child(touch_read, ring + 2 * CAP - 1, SIGSEGV), 0);
    ASSERT_OK(mr_chan_close(&p));
    ASSERT_OK(mr_chan_close(&c));
}

/* ---- the consumer under attack --------------------------------------------------------- */

/* Every call of a broken consumer fails, and the end stays broken. */
static void assert_consumer_broken(struct mr_chan *c)
{
    struct mr_region m;
    char buf[64];
    ASSERT_ERR(mr_chan_try_peek(c, &m), -EPROTO);
    ASSERT_ERR(mr_chan_peek(c, -1, &m), -EPROTO);
    ASSERT_ERR(mr_chan_peek(c, 10, &m), -EPROTO);
    ASSERT_ERR(mr_chan_recv(c, MR_REGION_OF_ARRAY(buf), -1), -EPROTO);
    ASSERT_ERR(mr_chan_release(c), -EPROTO);
    ASSERT_ERR(mr_chan_check_peer(c), -EPROTO);
}

static void assert_producer_broken(struct mr_chan *p)
{
    struct mr_region r;
    ASSERT_ERR(mr_chan_try_reserve(p, 8, &r), -EPROTO);
    ASSERT_ERR(mr_chan_reserve(p, 8, -1, &r), -EPROTO);
    ASSERT_ERR(mr_chan_send(p, mr_region_make("x", 1), -1), -EPROTO);
    ASSERT_ERR(mr_chan_commit(p, 0), -EPROTO);
    ASSERT_ERR(mr_chan_check_peer(p), -EPROTO);
}

/* A fresh pair of capacity CAP with n messages of 16 bytes, `read` of
 * them consumed, and a scribbler (chan_test.h). */
static struct mr_test_chan_scribbler setup(struct mr_chan *p, struct mr_chan *c, int n, int read)
{
    return mr_test_chan_scribble_setup(p, c, CAP, n, read);
}

/* The consumer does not read the head (it polls each record's commit
 * word): whatever is written there changes nothing for it. The producer
 * does not write it either (nobody reads it): it stays 0. */
static void test_head_ignored(void)
{
    static const uint64_t heads[] = { 24 + CAP + 8, UINT64_MAX - 7, 0, 20 };
    for (size_t i = 0; i < sizeof heads / sizeof heads[0]; i++) {
        struct mr_chan p, c;
        struct mr_test_chan_scribbler s = setup(&p, &c, 2, 1);
        ASSERT_EQ(mr_test_chan_get64(s.h, MR_TEST_CHAN_HEAD), 0u);
        mr_test_chan_set64(s.h, MR_TEST_CHAN_HEAD, heads[i]);
        struct mr_region m;
        ASSERT_OK(mr_chan_peek(&c, 0, &m));
        ASSERT_TRUE(mr_test_chan_check(m.ptr, m.len, 1));
        ASSERT_OK(mr_chan_release(&c));
        ASSERT_ERR(mr_chan_try_peek(&c, &m), -EAGAIN);
        ASSERT_OK(mr_chan_check_peer(&c));
        mr_test_chan_scribble_teardown(&p, &c, &s);
    }
}

static void test_bad_lengths(void)
{
    uint32_t lens[MR_TEST_CHAN_BAD_LENGTHS];
    mr_test_chan_bad_lengths(CAP, lens);
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        struct mr_chan p, c;
        struct mr_test_chan_scribbler s = setup(&p, &c, 1, 0);
        mr_test_chan_set32(s.ring, 0, lens[i]);
        assert_consumer_broken(&c);
        mr_test_chan_scribble_teardown(&p, &c, &s);
    }
    /* The length of a later record, after the consumer read earlier ones. */
    struct mr_chan p, c;
    struct mr_test_chan_scribbler s = setup(&p, &c, 3, 1);
    mr_test_chan_set32(s.ring, 48, (uint32_t)CAP);
    struct mr_region m;
    ASSERT_OK(mr_chan_peek(&c, 0, &m));
    ASSERT_OK(mr_chan_release(&c));
    assert_consumer_broken(&c);
    mr_test_chan_scribble_teardown(&p, &c, &s);
}

/* A commit word is 0 or 1: anything else breaks the protocol, on the
 * first record or a later one. A 0 where a record was committed only
 * withholds it: the consumer waits, as for a producer that sends nothing. */
static void test_bad_commit_word(void)
{
    static const uint32_t words[] = { 2, 0x80000000u, UINT32_MAX };
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
        struct mr_chan p, c;
        struct mr_test_chan_scribbler s = setup(&p, &c, 1, 0);
        mr_test_chan_set32(s.ring, 4, words[i]);
        assert_consumer_broken(&c);
        mr_test_chan_scribble_teardown(&p, &c, &s);

        s = setup(&p, &c, 0, 0);
        mr_test_chan_set32(s.ring, 4, words[i]); /* nothing committed yet */
        assert_consumer_broken(&c);
        mr_test_chan_scribble_teardown(&p, &c, &s);

        s = setup(&p, &c, 3, 1);
        mr_test_chan_set32(s.ring, 52, words[i]);
        struct mr_region m;
        ASSERT_OK(mr_chan_peek(&c, 0, &m));
        ASSERT_OK(mr_chan_release(&c));
        assert_consumer_broken(&c);
        mr_test_chan_scribble_teardown(&p, &c, &s);
    }
    struct mr_chan p, c;
    struct mr_test_chan_scribbler s = setup(&p, &c, 2, 1);
    mr_test_chan_set32(s.ring, 28, 0);
    struct mr_region m;
    ASSERT_ERR(mr_chan_try_peek(&c, &m), -EAGAIN);
    ASSERT_ERR(mr_chan_peek(&c, 20, &m), -ETIMEDOUT);
    mr_test_chan_set32(s.ring, 28, 1);
    ASSERT_OK(mr_chan_peek(&c, 0, &m));
    ASSERT_TRUE(mr_test_chan_check(m.ptr, m.len, 1));
    ASSERT_OK(mr_chan_release(&c));
    mr_test_chan_scribble_teardown(&p, &c, &s);
}

/* The fixed fields are checked before a new record is used (the consumer)
 * or whenever the tail has moved (the producer), and by
 * mr_chan_check_peer. */
static void test_header_fields(void)
{
    static const size_t offs[] = { MR_TEST_CHAN_MAGIC, MR_TEST_CHAN_VERSION, MR_TEST_CHAN_HDR_SIZE,
                                   MR_TEST_CHAN_CAPACITY, MR_TEST_CHAN_MODE };
    for (size_t i = 0; i < sizeof offs / sizeof offs[0]; i++) {
        struct mr_chan p, c;
        struct mr_test_chan_scribbler s = setup(&p, &c, 1, 1);
        s.h[offs[i]] ^= 0x40;
        struct mr_region m;
        /* Nothing new: nothing is read, nothing is wrong yet. */
        ASSERT_ERR(mr_chan_try_peek(&c, &m), -EAGAIN);
        ASSERT_EQ(mr_chan_send(&p, mr_region_make("z", 1), 0), 1);
        assert_consumer_broken(&c);
        mr_test_chan_scribble_teardown(&p, &c, &s);

        s = setup(&p, &c, 1, 1);
        s.h[offs[i]] ^= 0x40;
        ASSERT_ERR(mr_chan_check_peer(&c), -EPROTO);
        assert_consumer_broken(&c);
        mr_test_chan_scribble_teardown(&p, &c, &s);

        /* The producer too, when it next finds the tail moved. */
        s = setup(&p, &c, 1, 0);
        ASSERT_OK(mr_chan_peek(&c, 0, &m)); /* the consumer has seen its head */
        struct mr_region r;
        int rc;
        while ((rc = mr_chan_try_reserve(&p, 1000, &r)) == 0)
            ASSERT_OK(mr_chan_commit(&p, 1000));
        ASSERT_ERR(rc, -EAGAIN);
        s.h[offs[i]] ^= 0x40;
        ASSERT_OK(mr_chan_release(&c));
        ASSERT_ERR(mr_chan_try_reserve(&p, 1000, &r), -EPROTO);
        assert_producer_broken(&p);
        mr_test_chan_scribble_teardown(&p, &c, &s);
    }
}

/* An end that breaks while a reservation or a peek is pending publishes
 * nothing more: the commit publishes no record, the release does not move
 * the tail; both say -EPROTO, and so does every later call. */
static void test_broken_pending(void)
{
    struct mr_chan p, c;
    struct mr_test_chan_scribbler s = setup(&p, &c, 1, 0);
    struct mr_region r, m;
    ASSERT_OK(mr_chan_reserve(&p, 16, 0, &r));
    mr_test_chan_fill(r.ptr, 16, 1);
    s.h[MR_TEST_CHAN_MAGIC] ^= 0x40;
    ASSERT_ERR(mr_chan_check_peer(&p), -EPROTO);
    ASSERT_ERR(mr_chan_commit(&p, 16), -EPROTO);
    s.h[MR_TEST_CHAN_MAGIC] ^= 0x40; /* the consumer's view is intact again */
    ASSERT_OK(mr_chan_peek(&c, 0, &m));
    ASSERT_TRUE(mr_test_chan_check(m.ptr, m.len, 0));
    ASSERT_OK(mr_chan_release(&c));
    ASSERT_ERR(mr_chan_try_peek(&c, &m), -EAGAIN); /* message 1 was never published */
    assert_producer_broken(&p);
    mr_test_chan_scribble_teardown(&p, &c, &s);

    s = setup(&p, &c, 2, 0);
    ASSERT_OK(mr_chan_peek(&c, 0, &m));
    s.h[MR_TEST_CHAN_MAGIC] ^= 0x40;
    ASSERT_ERR(mr_chan_check_peer(&c), -EPROTO);
    uint64_t tail = mr_test_chan_get64(s.h, MR_TEST_CHAN_TAIL);
    ASSERT_ERR(mr_chan_release(&c), -EPROTO);
    ASSERT_EQ(mr_test_chan_get64(s.h, MR_TEST_CHAN_TAIL), tail);
    assert_consumer_broken(&c);
    mr_test_chan_scribble_teardown(&p, &c, &s);
}

/* A recv into a buffer too short for the message leaves it peeked, as the
 * header says: a larger recv takes it, peek shows it, release skips it. */
static void test_recv_too_short(void)
{
    struct mr_chan p, c;
    struct mr_test_chan_scribbler s = setup(&p, &c, 2, 0);
    char small[8], big[64];
    struct mr_region m;
    ASSERT_ERR(mr_chan_recv(&c, MR_REGION_OF_ARRAY(small), 0), -EMSGSIZE);
    ASSERT_OK(mr_chan_peek(&c, 0, &m));
    ASSERT_TRUE(mr_test_chan_check(m.ptr, m.len, 0));
    ASSERT_ERR(mr_chan_recv(&c, MR_REGION_OF_ARRAY(small), 0), -EMSGSIZE);
    ASSERT_OK(mr_chan_release(&c));
    ASSERT_ERR(mr_chan_recv(&c, MR_REGION_OF_ARRAY(small), 0), -EMSGSIZE);
    ASSERT_EQ(mr_chan_recv(&c, MR_REGION_OF_ARRAY(big), 0), 16);
    ASSERT_TRUE(mr_test_chan_check(big, 16, 1));
    ASSERT_ERR(mr_chan_try_peek(&c, &m), -EAGAIN);
    mr_test_chan_scribble_teardown(&p, &c, &s);
}

/* A record the scribbler forges whole is a message like any other, head
 * or no head: the checks are about bounds, not trust. The largest one may
 * start anywhere and run across the end of the first view into the
 * second: it is read to its last byte, and the commit word after it is
 * read too (here forged to 0). */
static void test_forged_but_valid(void)
{
    struct mr_chan p, c;
    struct mr_test_chan_scribbler s = setup(&p, &c, 1, 1); /* consumer at 24 */
    mr_test_chan_set32(s.ring, 24, (uint32_t)(CAP - 16));
    mr_test_chan_set32(s.ring, 28, 1);
    mr_test_chan_set32(s.ring, 20, 0); /* the word after it, at 24 + CAP - 8 + 4 */
    struct mr_region m;
    ASSERT_OK(mr_chan_peek(&c, 0, &m));
    ASSERT_EQ(m.len, CAP - 16);
    ASSERT_PTR_EQ(m.ptr, c.ring + 32);
    unsigned sum = 0;
    for (size_t i = 0; i < m.len; i++)
        sum += ((const unsigned char *)m.ptr)[i];
    sink = (unsigned char)sum;
    ASSERT_OK(mr_chan_release(&c));
    ASSERT_ERR(mr_chan_try_peek(&c, &m), -EAGAIN);
    mr_test_chan_scribble_teardown(&p, &c, &s);
}

/* Garbage in the futex words and closed flags is not a protocol error:
 * it costs a wake-up, or reads as a close. */
static void test_harmless_words(void)
{
    struct mr_chan p, c;
    struct mr_test_chan_scribbler s = setup(&p, &c, 1, 0);
    mr_test_chan_set32(s.h, MR_TEST_CHAN_CONS_WAIT, 0xdeadbeef);
    mr_test_chan_set32(s.h, MR_TEST_CHAN_PROD_WAIT, 0xdeadbeef);
    ASSERT_EQ(mr_chan_send(&p, mr_region_make("y", 1), 0), 1);
    char b[32];
    ASSERT_EQ(mr_chan_recv(&c, MR_REGION_OF_ARRAY(b), 0), 16);
    ASSERT_EQ(mr_chan_recv(&c, MR_REGION_OF_ARRAY(b), 0), 1);
    mr_test_chan_set32(s.h, MR_TEST_CHAN_CONS_CLOSED, 0x1234);
    struct mr_region r;
    ASSERT_ERR(mr_chan_reserve(&p, 1, -1, &r), -EPIPE);
    mr_test_chan_set32(s.h, MR_TEST_CHAN_PROD_CLOSED, 7);
    ASSERT_ERR(mr_chan_peek(&c, -1, &r), -EPIPE);
    mr_test_chan_scribble_teardown(&p, &c, &s);
}

/* ---- the producer under attack ------------------------------------------------------------ */

/* Fill the ring until the producer has to look at the tail again. */
static int fill(struct mr_chan *p)
{
    struct mr_region r;
    int rc;
    while ((rc = mr_chan_try_reserve(p, 40, &r)) == 0)
        ASSERT_OK(mr_chan_commit(p, 40));
    return rc;
}

static void test_tail(void)
{
    /* Ahead of the head. */
    struct mr_chan p, c;
    struct mr_test_chan_scribbler s = setup(&p, &c, 0, 0);
    ASSERT_ERR(fill(&p), -EAGAIN);
    struct mr_chan_stats st;
    mr_chan_stats(&p, &st);
    /* The producer's index: every record of fill() is 48 bytes. */
    mr_test_chan_set64(s.h, MR_TEST_CHAN_TAIL, st.messages * 48 + 8);
    ASSERT_ERR(fill(&p), -EPROTO);
    assert_producer_broken(&p);
    mr_test_chan_scribble_teardown(&p, &c, &s);

    /* Backwards, after the producer saw it further on. */
    s = setup(&p, &c, 0, 0);
    ASSERT_ERR(fill(&p), -EAGAIN);
    struct mr_region m;
    for (int i = 0; i < 3; i++) {
        ASSERT_OK(mr_chan_peek(&c, 0, &m));
        ASSERT_OK(mr_chan_release(&c));
    }
    ASSERT_ERR(fill(&p), -EAGAIN); /* it loaded tail = 144 */
    mr_test_chan_set64(s.h, MR_TEST_CHAN_TAIL, 96);
    ASSERT_ERR(fill(&p), -EPROTO);
    assert_producer_broken(&p);
    mr_test_chan_scribble_teardown(&p, &c, &s);

    /* Misaligned. */
    s = setup(&p, &c, 0, 0);
    ASSERT_ERR(fill(&p), -EAGAIN);
    mr_test_chan_set64(s.h, MR_TEST_CHAN_TAIL, 4);
    ASSERT_ERR(fill(&p), -EPROTO);
    mr_test_chan_scribble_teardown(&p, &c, &s);

    /* Wildly far behind (head - tail > capacity). */
    s = setup(&p, &c, 0, 0);
    ASSERT_ERR(fill(&p), -EAGAIN);
    mr_test_chan_set64(s.h, MR_TEST_CHAN_TAIL, UINT64_MAX - 7);
    ASSERT_ERR(fill(&p), -EPROTO);
    mr_test_chan_scribble_teardown(&p, &c, &s);
}

/* ---- random scribbles ------------------------------------------------------------------------ */

static void check_region(const struct mr_chan *c, struct mr_region m)
{
    ASSERT_LE(m.len, CAP - 16);
    ASSERT_GE((uintptr_t)m.ptr, (uintptr_t)c->ring);
    ASSERT_LE((uintptr_t)m.ptr + m.len, (uintptr_t)c->ring + 2 * CAP);
    unsigned sum = 0;
    for (size_t i = 0; i < m.len; i++)
        sum += ((const unsigned char *)m.ptr)[i];
    sink = (unsigned char)sum;
}

static uint64_t scribble_value(uint64_t *rnd, uint64_t was)
{
    uint64_t r = mr_test_rand(rnd);
    switch (r % 6) {
    case 0: return was + 8 * ((r >> 8) % 8);
    case 1: return was - 8 * ((r >> 8) % 8);
    case 2: return was + ((r >> 8) % 16);
    case 3: return (r >> 8) % (4 * CAP);
    case 4: return r >> 3;
    default: return 0;
    }
}

static void test_random(void)
{
    uint64_t rnd = 12345;
    uint64_t rounds = mr_test_scale(3000);
    uint64_t eproto = 0, ok = 0;
    for (uint64_t round = 0; round < rounds; round++) {
        struct mr_chan p, c;
        mr_test_chan_pair(&p, &c, CAP);
        struct mr_test_chan_scribbler s = mr_test_chan_scribble_open(&p);
        for (int step = 0; step < 40; step++) {
            uint64_t r = mr_test_rand(&rnd);
            struct mr_region reg;
            char buf[CAP];
            int rc;
            switch (r % 8) {
            case 0: case 1: /* the producer sends something */
                rc = mr_chan_try_reserve(&p, (size_t)((r >> 8) % 600), &reg);
                ASSERT_TRUE(rc == 0 || rc == -EAGAIN || rc == -EPROTO || rc == -EPIPE);
                if (rc == 0)
                    ASSERT_OK(mr_chan_commit(&p, reg.len));
                break;
            case 2: case 3: /* the consumer reads something */
                rc = mr_chan_try_peek(&c, &reg);
                ASSERT_TRUE(rc == 0 || rc == -EAGAIN || rc == -EPROTO || rc == -EPIPE);
                if (rc == 0) {
                    check_region(&c, reg);
                    ASSERT_OK(mr_chan_release(&c));
                }
                break;
            case 4: {
                ssize_t n = mr_chan_try_recv(&c, mr_region_make(buf, (r >> 8) % sizeof buf));
                ASSERT_TRUE(n >= 0 || n == -EAGAIN || n == -EPROTO || n == -EPIPE || n == -EMSGSIZE);
                if (n == -EMSGSIZE)
                    ASSERT_OK(mr_chan_release(&c)); /* the message stayed peeked */
                break;
            }
            case 5: { /* scribble on a record header, somewhere in the ring */
                size_t off = (size_t)((r >> 8) % (CAP / 8)) * 8 + ((r >> 20) & 1) * 4;
                mr_test_chan_set32(s.ring, off,
                                   (uint32_t)scribble_value(&rnd, mr_test_chan_get32(s.ring, off)));
                break;
            }
            case 6: { /* scribble on an index (the consumer ignores the head) */
                size_t off = (r >> 8) & 1 ? MR_TEST_CHAN_HEAD : MR_TEST_CHAN_TAIL;
                mr_test_chan_set64(s.h, off, scribble_value(&rnd, mr_test_chan_get64(s.h, off)));
                break;
            }
            default: { /* scribble on any word of the header's first lines */
                size_t off = (size_t)((r >> 8) % 136) * 4;
                mr_test_chan_set32(s.h, off,
                                   (uint32_t)scribble_value(&rnd, mr_test_chan_get32(s.h, off)));
                break;
            }
            }
        }
        struct mr_region m;
        int rc = mr_chan_try_peek(&c, &m);
        if (rc == -EPROTO)
            eproto++;
        else if (rc == 0 || rc == -EAGAIN)
            ok++;
        mr_test_chan_scribble_close(&s);
        ASSERT_OK(mr_chan_close(&p));
        ASSERT_OK(mr_chan_close(&c));
    }
    fprintf(stderr, "test_random: %llu rounds, %llu consumers broken (-EPROTO), %llu still fine\n",
            (unsigned long long)rounds, (unsigned long long)eproto, (unsigned long long)ok);
    ASSERT_GT(eproto, 0u);
}

int main(void)
{
    page = (size_t)sysconf(_SC_PAGESIZE);
    MR_TEST_RUN(test_guards);
    MR_TEST_RUN(test_head_ignored);
    MR_TEST_RUN(test_bad_lengths);
    MR_TEST_RUN(test_bad_commit_word);
    MR_TEST_RUN(test_header_fields);
    MR_TEST_RUN(test_forged_but_valid);
    MR_TEST_RUN(test_harmless_words);
    MR_TEST_RUN(test_tail);
    MR_TEST_RUN(test_broken_pending);
    MR_TEST_RUN(test_recv_too_short);
    MR_TEST_RUN(test_random);
    return 0;
}
