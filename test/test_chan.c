/* SPDX-License-Identifier: MIT */
/* test/test_chan.c: both ends of a channel in one process: reserve, commit,
 * peek and release; every size from 0 to the largest; the ring wrapping
 * many times; full and empty rings with and without deadlines; misuse;
 * closes seen by the other end; exact figures; every way an attach can
 * refuse an object; named channels; handing a channel over a socket; and
 * watching a process. */
#include "chan_test.h"
#include "chan_internal.h" /* mr__chan_no_membarrier */

#include <signal.h>
#include <sys/syscall.h>
#include <sys/time.h>

#define CAP ((size_t)4096 * 4)

static void test_basic(void)
{
    struct mr_chan p = MR_CHAN_INIT, c = MR_CHAN_INIT;
    mr_test_chan_pair(&p, &c, CAP);
    ASSERT_EQ(mr_chan_capacity(&p), CAP);
    ASSERT_EQ(mr_chan_max_msg(&p), CAP - 16);
    ASSERT_EQ(mr_chan_max_msg(&c), CAP - 16);

    struct mr_region r, m, m2;
    ASSERT_ERR(mr_chan_try_peek(&c, &m), -EAGAIN);
    ASSERT_OK(mr_chan_reserve(&p, 5, -1, &r));
    ASSERT_EQ(r.len, 5u);
    ASSERT_EQ(r.flags, 0u);
    ASSERT_EQ((uintptr_t)r.ptr % 8, 0u);
    memcpy(r.ptr, "hello", 5);
    /* Nothing is visible before the commit. */
    ASSERT_ERR(mr_chan_try_peek(&c, &m), -EAGAIN);
    ASSERT_OK(mr_chan_commit(&p, 5));

    ASSERT_OK(mr_chan_peek(&c, 0, &m));
    ASSERT_EQ(m.len, 5u);
    ASSERT_TRUE(mr_region_is_ro(m));
    ASSERT_EQ((uintptr_t)m.ptr % 8, 0u);
    ASSERT_MEM_EQ(m.ptr, "hello", 5);
    /* Peeking again before the release gives the same message. */
    ASSERT_OK(mr_chan_peek(&c, 0, &m2));
    ASSERT_PTR_EQ(m2.ptr, m.ptr);
    ASSERT_EQ(m2.len, m.len);
    ASSERT_ERR(mr_region_set_u8(m, 0, 1), -EACCES);
    ASSERT_OK(mr_chan_release(&c));
    ASSERT_ERR(mr_chan_try_peek(&c, &m), -EAGAIN);

    /* A reservation committed shorter gives the rest back. */
    ASSERT_OK(mr_chan_reserve(&p, 1000, 0, &r));
    memset(r.ptr, 'x', 3);
    ASSERT_OK(mr_chan_commit(&p, 3));
    ASSERT_EQ(mr_chan_send(&p, mr_region_make("abc", 3), 0), 3);
    char buf[16];
    ASSERT_EQ(mr_chan_recv(&c, MR_REGION_OF_ARRAY(buf), 0), 3);
    ASSERT_MEM_EQ(buf, "xxx", 3);
    ASSERT_EQ(mr_chan_try_recv(&c, MR_REGION_OF_ARRAY(buf)), 3);
    ASSERT_MEM_EQ(buf, "abc", 3);
    ASSERT_ERR(mr_chan_try_recv(&c, MR_REGION_OF_ARRAY(buf)), -EAGAIN);

    struct mr_chan_stats ps, cs;
    mr_chan_stats(&p, &ps);
    mr_chan_stats(&c, &cs);
    ASSERT_EQ(ps.messages, 3u);
    ASSERT_EQ(ps.bytes, 11u);
    ASSERT_EQ(cs.messages, 3u);
    ASSERT_EQ(cs.bytes, 11u);
    ASSERT_EQ(ps.waits + cs.waits + ps.sleeps + cs.sleeps + ps.wakes + cs.wakes, 0u);

    ASSERT_OK(mr_chan_close(&p));
    ASSERT_OK(mr_chan_close(&c));
    ASSERT_OK(mr_chan_close(&c)); /* closed: a no-op */
    ASSERT_ERR(mr_chan_fd(&c), -EBADF);
    ASSERT_EQ(mr_chan_capacity(&c), 0u);
}

/* Every length from 0 to the largest, each through reserve and through
 * send, with the largest filling the ring but for the next record's commit
 * word. */
static void test_sizes(void)
{
    struct mr_chan p = MR_CHAN_INIT, c = MR_CHAN_INIT;
    mr_test_chan_pair(&p, &c, 4096);
    size_t max = mr_chan_max_msg(&p);
    ASSERT_EQ(max, 4080u);
    static unsigned char buf[4096];
    size_t step = mr_test_under_valgrind() ? 7 : 1;
    for (size_t len = 0; len <= max; len += (len < max && len + step > max) ? max - len : step) {
        struct mr_region r, m;
        ASSERT_OK(mr_chan_reserve(&p, len, 0, &r));
        ASSERT_EQ(r.len, len);
        mr_test_chan_fill(r.ptr, len, len);
        ASSERT_OK(mr_chan_commit(&p, len));
        ASSERT_OK(mr_chan_peek(&c, 0, &m));
        ASSERT_EQ(m.len, len);
        ASSERT_TRUE(mr_test_chan_check(m.ptr, len, len));
        ASSERT_OK(mr_chan_release(&c));

        mr_test_chan_fill(buf, len, len + 1);
        ASSERT_EQ(mr_chan_send(&p, mr_region_make(buf, len), 0), (ssize_t)len);
        memset(buf, 0, sizeof buf);
        ASSERT_EQ(mr_chan_recv(&c, MR_REGION_OF_ARRAY(buf), 0), (ssize_t)len);
        ASSERT_TRUE(mr_test_chan_check(buf, len, len + 1));
        if (len == max)
            break;
    }
    /* One more than the largest. */
    struct mr_region r;
    ASSERT_ERR(mr_chan_reserve(&p, max + 1, 0, &r), -EMSGSIZE);
    ASSERT_ERR(mr_chan_reserve(&p, SIZE_MAX, -1, &r), -EMSGSIZE);
    ASSERT_ERR(mr_chan_send(&p, mr_region_make(buf, max + 1), -1), -EMSGSIZE);
    ASSERT_OK(mr_chan_close(&p));
    ASSERT_OK(mr_chan_close(&c));
}

/* The consumer polls the commit word at its index: the bytes of an
 * earlier lap there, here a payload made of (length 8, committed) pairs,
 * must never pass for a record. The producer zeroes the next record's
 * commit word with every commit. */
static void test_stale_payload(void)
{
    struct mr_chan p = MR_CHAN_INIT, c = MR_CHAN_INIT;
    mr_test_chan_pair(&p, &c, 4096);
    static uint32_t fake[(4096 - 16) / 4];
    for (size_t i = 0; i < sizeof fake / sizeof fake[0]; i++)
        fake[i] = i % 2 == 0 ? 8 : 1;
    char buf[4096];
    struct mr_region m;
    for (int lap = 0; lap < 3; lap++) {
        ASSERT_EQ(mr_chan_send(&p, mr_region_make(fake, sizeof fake), 0), (ssize_t)sizeof fake);
        ASSERT_EQ(mr_chan_recv(&c, MR_REGION_OF_ARRAY(buf), 0), (ssize_t)sizeof fake);
        ASSERT_ERR(mr_chan_try_peek(&c, &m), -EAGAIN);
        for (int k = 0; k < 5; k++) {
            ASSERT_EQ(mr_chan_send(&p, mr_region_make("12345678", 8), 0), 8);
            ASSERT_EQ(mr_chan_recv(&c, MR_REGION_OF_ARRAY(buf), 0), 8);
            ASSERT_ERR(mr_chan_try_peek(&c, &m), -EAGAIN);
        }
    }
    ASSERT_OK(mr_chan_close(&p));
    ASSERT_OK(mr_chan_close(&c));
}

/* The producer fills the ring as far as it goes, the consumer drains a
 * random part of it, many times round: every message arrives whole and in
 * order wherever it sits, across the seam between the two views too. */
static void test_wrap(void)
{
    struct mr_chan p = MR_CHAN_INIT, c = MR_CHAN_INIT;
    mr_test_chan_pair(&p, &c, 4096);
    uint64_t rnd = 1, sent = 0, got = 0, bytes = 0;
    uint64_t total = mr_test_scale(300000);
    /* The consumer replays the producer's lengths from the same seed. */
    uint64_t plens = 7, clens = 7;
    size_t pend = (size_t)(mr_test_rand(&plens) % 700);
    size_t next_len = (size_t)(mr_test_rand(&clens) % 700);
    while (got < total) {
        for (;;) {
            struct mr_region r;
            if (sent == total)
                break;
            int rc = mr_chan_try_reserve(&p, pend, &r);
            if (rc == -EAGAIN)
                break;
            ASSERT_OK(rc);
            mr_test_chan_fill(r.ptr, pend, sent);
            ASSERT_OK(mr_chan_commit(&p, pend));
            bytes += pend;
            sent++;
            pend = (size_t)(mr_test_rand(&plens) % 700);
        }
        uint64_t k = mr_test_rand(&rnd) % 8 + 1;
        for (uint64_t i = 0; i < k && got < sent; i++) {
            struct mr_region m;
            ASSERT_OK(mr_chan_try_peek(&c, &m));
            if (m.len != next_len || !mr_test_chan_check(m.ptr, m.len, got))
                mr_test_fail(__FILE__, __LINE__, "message %llu: wrong (len %zu, want %zu)",
                             (unsigned long long)got, m.len, next_len);
            ASSERT_OK(mr_chan_release(&c));
            got++;
            next_len = (size_t)(mr_test_rand(&clens) % 700);
        }
    }
    ASSERT_ERR(mr_chan_try_peek(&c, &(struct mr_region){ 0 }), -EAGAIN);
    struct mr_chan_stats ps, cs;
    mr_chan_stats(&p, &ps);
    mr_chan_stats(&c, &cs);
    ASSERT_EQ(ps.messages, total);
    ASSERT_EQ(cs.messages, total);
    ASSERT_EQ(ps.bytes, bytes);
    ASSERT_EQ(cs.bytes, bytes);
    /* Many times round a 4 KiB ring (messages average 350 bytes). */
    ASSERT_GT(bytes / 4096, total / 20);
    ASSERT_OK(mr_chan_close(&p));
    ASSERT_OK(mr_chan_close(&c));
}

static void test_full_and_empty(void)
{
    struct mr_chan p = MR_CHAN_INIT, c = MR_CHAN_INIT;
    mr_test_chan_pair(&p, &c, 4096);
    struct mr_region r, m;
    /* 4096 bytes hold 63 records of 56 + 8 bytes and one of 48 + 8, and
     * the next record's commit word. */
    for (int i = 0; i < 63; i++) {
        ASSERT_OK(mr_chan_try_reserve(&p, 56, &r));
        ASSERT_OK(mr_chan_commit(&p, 56));
    }
    ASSERT_ERR(mr_chan_try_reserve(&p, 49, &r), -EAGAIN);
    ASSERT_OK(mr_chan_try_reserve(&p, 48, &r));
    ASSERT_OK(mr_chan_commit(&p, 48));
    ASSERT_ERR(mr_chan_try_reserve(&p, 0, &r), -EAGAIN);
    int64_t t0 = mr_test_now_ms();
    ASSERT_ERR(mr_chan_reserve(&p, 0, 60, &r), -ETIMEDOUT);
    int64_t dt = mr_test_now_ms() - t0;
    ASSERT_GE(dt, 60);
    ASSERT_LT(dt, 2000);
    struct mr_chan_stats ps;
    mr_chan_stats(&p, &ps);
    ASSERT_EQ(ps.waits, 1u);
    ASSERT_GE(ps.sleeps, 1u);
    ASSERT_EQ(ps.wakes, 0u);

    /* One release makes room for exactly one more of the same size. */
    ASSERT_OK(mr_chan_peek(&c, 0, &m));
    ASSERT_OK(mr_chan_release(&c));
    ASSERT_ERR(mr_chan_try_reserve(&p, 57, &r), -EAGAIN);
    ASSERT_OK(mr_chan_try_reserve(&p, 56, &r));
    ASSERT_OK(mr_chan_commit(&p, 56));
    for (int i = 0; i < 64; i++) {
        ASSERT_OK(mr_chan_peek(&c, 0, &m));
        ASSERT_OK(mr_chan_release(&c));
    }
    ASSERT_ERR(mr_chan_try_peek(&c, &m), -EAGAIN);
    t0 = mr_test_now_ms();
    ASSERT_ERR(mr_chan_peek(&c, 30, &m), -ETIMEDOUT);
    ASSERT_GE(mr_test_now_ms() - t0, 30);
    char small[4];
    ASSERT_ERR(mr_chan_recv(&c, MR_REGION_OF_ARRAY(small), 20), -ETIMEDOUT);
    struct mr_chan_stats cs;
    mr_chan_stats(&c, &cs);
    ASSERT_EQ(cs.messages, 65u);
    ASSERT_EQ(cs.bytes, 64u * 56 + 48);
    ASSERT_EQ(cs.waits, 2u);
    /* At least one of the two slept: on a loaded machine a 20 ms wait can
     * spend its whole time spinning and yielding. */
    ASSERT_GE(cs.sleeps, 1u);

    /* A message larger than the buffer stays for a larger one. */
    ASSERT_EQ(mr_chan_send(&p, mr_region_make("0123456789", 10), 0), 10);
    ASSERT_ERR(mr_chan_recv(&c, MR_REGION_OF_ARRAY(small), 0), -EMSGSIZE);
    ASSERT_ERR(mr_chan_recv(&c, mr_region_make_ro(small, 4), 0), -EACCES);
    char big[10];
    ASSERT_EQ(mr_chan_recv(&c, MR_REGION_OF_ARRAY(big), 0), 10);
    ASSERT_MEM_EQ(big, "0123456789", 10);
    ASSERT_OK(mr_chan_close(&p));
    ASSERT_OK(mr_chan_close(&c));
}

/* The wake path, exactly: a consumer marked asleep in the shared header is
 * woken by the next commit (once: the word is cleared), and an awake one
 * never is. */
static void test_wakes(void)
{
    struct mr_chan p = MR_CHAN_INIT, c = MR_CHAN_INIT;
    mr_test_chan_pair(&p, &c, 4096);
    unsigned char *h = mr_test_chan_map_header(&p);
    ASSERT_EQ(mr_chan_send(&p, mr_region_make("a", 1), 0), 1);
    mr_test_chan_set32(h, MR_TEST_CHAN_CONS_WAIT, 1);
    ASSERT_EQ(mr_chan_send(&p, mr_region_make("b", 1), 0), 1);
    ASSERT_EQ(mr_test_chan_get32(h, MR_TEST_CHAN_CONS_WAIT), 0u);
    ASSERT_EQ(mr_chan_send(&p, mr_region_make("c", 1), 0), 1);
    struct mr_chan_stats s;
    mr_chan_stats(&p, &s);
    ASSERT_EQ(s.wakes, 1u);
    mr_test_chan_set32(h, MR_TEST_CHAN_PROD_WAIT, 7);
    char b[1];
    ASSERT_EQ(mr_chan_recv(&c, MR_REGION_OF_ARRAY(b), 0), 1);
    ASSERT_EQ(mr_test_chan_get32(h, MR_TEST_CHAN_PROD_WAIT), 0u);
    mr_chan_stats(&c, &s);
    ASSERT_EQ(s.wakes, 1u);
    mr_test_chan_unmap_header(h);
    ASSERT_OK(mr_chan_close(&p));
    ASSERT_OK(mr_chan_close(&c));
}

static void test_misuse(void)
{
    struct mr_chan p = MR_CHAN_INIT, c = MR_CHAN_INIT;
    struct mr_region r, m;
    /* Closed ends. */
    ASSERT_ERR(mr_chan_reserve(&p, 1, 0, &r), -EBADF);
    ASSERT_ERR(mr_chan_peek(&c, 0, &m), -EBADF);
    ASSERT_ERR(mr_chan_commit(&p, 0), -EBADF);
    ASSERT_ERR(mr_chan_release(&c), -EBADF);
    ASSERT_ERR(mr_chan_check_peer(&p), -EBADF);
    ASSERT_ERR(mr_chan_watch_pid(&p, getpid()), -EBADF);
    ASSERT_ERR(mr_chan_fd(&p), -EBADF);
    struct mr_chan zeroed;
    memset(&zeroed, 0, sizeof zeroed);
    ASSERT_OK(mr_chan_close(&zeroed));

    /* Bad arguments: nothing is created. */
    ASSERT_ERR(mr_chan_create(&p, 0, MR_CHAN_PRODUCER, 0), -EINVAL);
    ASSERT_ERR(mr_chan_create(&p, 4095, MR_CHAN_PRODUCER, 0), -EINVAL);
    ASSERT_ERR(mr_chan_create(&p, 2048, MR_CHAN_PRODUCER, 0), -EINVAL);
    ASSERT_ERR(mr_chan_create(&p, 8192 + 4096, MR_CHAN_PRODUCER, 0), -EINVAL);
    ASSERT_ERR(mr_chan_create(&p, MR_CHAN_CAPACITY_MAX * 2, MR_CHAN_PRODUCER, 0), -EINVAL);
    ASSERT_ERR(mr_chan_create(&p, 4096, (enum mr_chan_role)3, 0), -EINVAL);
    ASSERT_ERR(mr_chan_create(&p, 4096, (enum mr_chan_role)0, 0), -EINVAL);
    ASSERT_ERR(mr_chan_create(&p, 4096, MR_CHAN_PRODUCER, 1), -EINVAL);
    ASSERT_ERR(mr_chan_create(&p, 4096, MR_CHAN_PRODUCER, 0x10), -EINVAL);
    ASSERT_ERR(mr_chan_fd(&p), -EBADF);

    mr_test_chan_pair(&p, &c, 4096);
    /* The wrong role. */
    ASSERT_ERR(mr_chan_peek(&p, 0, &m), -EBADF);
    ASSERT_ERR(mr_chan_reserve(&c, 1, 0, &r), -EBADF);
    ASSERT_ERR(mr_chan_send(&c, mr_region_make("x", 1), 0), -EBADF);
    char b[4];
    ASSERT_ERR(mr_chan_recv(&p, MR_REGION_OF_ARRAY(b), 0), -EBADF);
    ASSERT_ERR(mr_chan_release(&p), -EBADF);
    ASSERT_ERR(mr_chan_commit(&c, 0), -EBADF);
    /* Out of order. */
    ASSERT_ERR(mr_chan_commit(&p, 0), -EINVAL);
    ASSERT_ERR(mr_chan_release(&c), -EINVAL);
    ASSERT_ERR(mr_chan_reserve(&p, 1, -2, &r), -EINVAL);
    ASSERT_ERR(mr_chan_peek(&c, -5, &m), -EINVAL);
    ASSERT_OK(mr_chan_reserve(&p, 8, 0, &r));
    ASSERT_ERR(mr_chan_reserve(&p, 8, 0, &r), -EBUSY);
    ASSERT_ERR(mr_chan_send(&p, mr_region_make("x", 1), 0), -EBUSY);
    ASSERT_ERR(mr_chan_commit(&p, 9), -ERANGE);
    memcpy(r.ptr, "12345678", 8);
    ASSERT_OK(mr_chan_commit(&p, 8));
    ASSERT_ERR(mr_chan_commit(&p, 8), -EINVAL);
    ASSERT_OK(mr_chan_peek(&c, 0, &m));
    ASSERT_OK(mr_chan_release(&c));
    ASSERT_ERR(mr_chan_release(&c), -EINVAL);
    ASSERT_ERR(mr_chan_watch_pid(&p, 0), -EINVAL);
    ASSERT_ERR(mr_chan_watch_pid(&p, -1), -EINVAL);
    ASSERT_OK(mr_chan_check_peer(&p));
    ASSERT_OK(mr_chan_check_peer(&c));
    /* A pending reservation dies with the close. */
    ASSERT_OK(mr_chan_reserve(&p, 8, 0, &r));
    ASSERT_OK(mr_chan_close(&p));
    ASSERT_ERR(mr_chan_peek(&c, -1, &m), -EPIPE);
    ASSERT_OK(mr_chan_close(&c));
}

/* Every call on a closed end x: -EBADF from each that returns int or
 * ssize_t, whatever its other arguments (a bad timeout, a read-only
 * buffer, a bad pid); 0 from capacity and max_msg, zero figures, and a
 * close that does nothing (chan.h, "CLOSED ENDS"). x stays closed. */
static void expect_closed(struct mr_chan *x)
{
    struct mr_sock a = MR_SOCK_INIT, b = MR_SOCK_INIT;
    ASSERT_OK(mr_sock_open_pair(&a, &b, SOCK_STREAM, 0));
    struct mr_region r = { NULL, 0, 0 };
    char buf[8];
    struct mr_region rw = MR_REGION_OF_ARRAY(buf), ro = mr_region_make_ro(buf, sizeof buf);
    int timeouts[] = { 0, -1, 10, -2 };
    for (size_t i = 0; i < sizeof timeouts / sizeof timeouts[0]; i++) {
        int t = timeouts[i];
        ASSERT_ERR(mr_chan_reserve(x, 1, t, &r), -EBADF);
        ASSERT_ERR(mr_chan_send(x, mr_region_make("x", 1), t), -EBADF);
        ASSERT_ERR(mr_chan_peek(x, t, &r), -EBADF);
        ASSERT_ERR(mr_chan_recv(x, rw, t), -EBADF);
        ASSERT_ERR(mr_chan_recv(x, ro, t), -EBADF);
    }
    ASSERT_PTR_EQ(r.ptr, NULL); /* untouched on failure */
    ASSERT_ERR(mr_chan_try_reserve(x, 1, &r), -EBADF);
    ASSERT_ERR(mr_chan_try_send(x, mr_region_make("x", 1)), -EBADF);
    ASSERT_ERR(mr_chan_try_peek(x, &r), -EBADF);
    ASSERT_ERR(mr_chan_try_recv(x, rw), -EBADF);
    ASSERT_ERR(mr_chan_try_recv(x, ro), -EBADF);
    ASSERT_ERR(mr_chan_commit(x, 0), -EBADF);
    ASSERT_ERR(mr_chan_commit(x, 100), -EBADF);
    ASSERT_ERR(mr_chan_release(x), -EBADF);
    ASSERT_ERR(mr_chan_share(x, &a), -EBADF);
    ASSERT_ERR(mr_chan_watch_pid(x, getpid()), -EBADF);
    ASSERT_ERR(mr_chan_watch_pid(x, 0), -EBADF);
    ASSERT_ERR(mr_chan_check_peer(x), -EBADF);
    ASSERT_ERR(mr_chan_fd(x), -EBADF);
    ASSERT_EQ(mr_chan_capacity(x), 0u);
    ASSERT_EQ(mr_chan_max_msg(x), 0u);
    struct mr_chan_stats st;
    memset(&st, 0xff, sizeof st);
    mr_chan_stats(x, &st);
    ASSERT_EQ(st.messages + st.bytes + st.waits + st.sleeps + st.wakes, 0u);
    ASSERT_OK(mr_chan_close(x));
    ASSERT_OK(mr_chan_close(x));
    ASSERT_ERR(mr_chan_fd(x), -EBADF);
    ASSERT_OK(mr_sock_close(&a));
    ASSERT_OK(mr_sock_close(&b));
}

/* A closed end is one thing whatever made it so: MR_CHAN_INIT, zeroed, a
 * failed create or attach (before or after it mapped anything), a close of
 * either end that had been used. */
static void test_closed_ends(void)
{
    struct mr_chan x = MR_CHAN_INIT;
    expect_closed(&x);

    memset(&x, 0, sizeof x);
    expect_closed(&x);

    ASSERT_ERR(mr_chan_create(&x, 4095, MR_CHAN_PRODUCER, 0), -EINVAL);
    expect_closed(&x);
    ASSERT_ERR(mr_chan_attach_fd(&x, -1, 0, MR_CHAN_CONSUMER, 0), -EBADF);
    expect_closed(&x);

    struct mr_chan p = MR_CHAN_INIT, c = MR_CHAN_INIT;
    mr_test_chan_pair(&p, &c, 4096);
    int fd = fcntl(mr_chan_fd(&p), F_DUPFD_CLOEXEC, 0);
    ASSERT_GE(fd, 0);
    ASSERT_ERR(mr_chan_attach_fd(&x, fd, 0, MR_CHAN_CONSUMER, 0), -EBUSY); /* mapped, then refused */
    close(fd);
    expect_closed(&x);

    ASSERT_EQ(mr_chan_send(&p, mr_region_make("x", 1), 0), 1);
    struct mr_region m;
    ASSERT_OK(mr_chan_peek(&c, 0, &m));
    ASSERT_OK(mr_chan_reserve(&p, 8, 0, &m));
    ASSERT_OK(mr_chan_close(&p)); /* with a reservation pending */
    expect_closed(&p);
    ASSERT_OK(mr_chan_close(&c)); /* with a message peeked */
    expect_closed(&c);
}

/* A close by either end is seen by the other: the consumer drains what was
 * committed first. */
static void test_close(void)
{
    struct mr_chan p = MR_CHAN_INIT, c = MR_CHAN_INIT;
    mr_test_chan_pair(&p, &c, 4096);
    for (uint64_t i = 0; i < 3; i++) {
        struct mr_region r;
        ASSERT_OK(mr_chan_reserve(&p, 16, 0, &r));
        mr_test_chan_fill(r.ptr, 16, i);
        ASSERT_OK(mr_chan_commit(&p, 16));
    }
    ASSERT_OK(mr_chan_check_peer(&c));
    ASSERT_OK(mr_chan_close(&p));
    ASSERT_ERR(mr_chan_check_peer(&c), -EPIPE);
    for (uint64_t i = 0; i < 3; i++) {
        struct mr_region m;
        ASSERT_OK(mr_chan_peek(&c, i == 0 ? 0 : -1, &m));
        ASSERT_TRUE(mr_test_chan_check(m.ptr, m.len, i));
        ASSERT_OK(mr_chan_release(&c));
    }
    struct mr_region m;
    ASSERT_ERR(mr_chan_try_peek(&c, &m), -EPIPE);
    ASSERT_ERR(mr_chan_peek(&c, -1, &m), -EPIPE);
    ASSERT_ERR(mr_chan_peek(&c, 100, &m), -EPIPE);
    ASSERT_OK(mr_chan_close(&c));

    mr_test_chan_pair(&p, &c, 4096);
    ASSERT_EQ(mr_chan_send(&p, mr_region_make("x", 1), 0), 1);
    ASSERT_OK(mr_chan_close(&c));
    struct mr_region r;
    ASSERT_ERR(mr_chan_try_reserve(&p, 1, &r), -EPIPE);
    ASSERT_ERR(mr_chan_reserve(&p, 1, -1, &r), -EPIPE);
    ASSERT_ERR(mr_chan_send(&p, mr_region_make("x", 1), 10), -EPIPE);
    ASSERT_ERR(mr_chan_check_peer(&p), -EPIPE);
    ASSERT_OK(mr_chan_close(&p));
}

/* ---- attaching: every refusal, and the fd stays the caller's ---------------- */

/* A copy of a good channel's object, sealed or not, sized size, with its
 * header changed by poke (NULL: unchanged); returns the new fd. */
static int forge(size_t cap, uint64_t size, bool seal, void (*poke)(unsigned char *))
{
    struct mr_chan p = MR_CHAN_INIT;
    ASSERT_OK(mr_chan_create(&p, cap, MR_CHAN_CONSUMER, 0));
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    unsigned char *src = mr_test_chan_map_header(&p);
    int fd = (int)syscall(SYS_memfd_create, "forge", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(ftruncate(fd, (off_t)size), 0);
    if (size >= page) {
        unsigned char *dst = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        ASSERT_TRUE(dst != MAP_FAILED);
        memcpy(dst, src, page);
        if (poke)
            poke(dst);
        munmap(dst, page);
    }
    mr_test_chan_unmap_header(src);
    ASSERT_OK(mr_chan_close(&p));
    if (seal)
        ASSERT_EQ(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL), 0);
    return fd;
}

static void poke_magic(unsigned char *h) { h[MR_TEST_CHAN_MAGIC] ^= 1; }
static void poke_zero_magic(unsigned char *h) { mr_test_chan_set64(h, MR_TEST_CHAN_MAGIC, 0); }
/* The format before commit words. */
static void poke_version(unsigned char *h) { mr_test_chan_set32(h, MR_TEST_CHAN_VERSION, 1); }
static void poke_hdr_size(unsigned char *h) { mr_test_chan_set32(h, MR_TEST_CHAN_HDR_SIZE, 8192); }
static void poke_capacity(unsigned char *h) { mr_test_chan_set64(h, MR_TEST_CHAN_CAPACITY, 8192); }
static void poke_roles(unsigned char *h) { mr_test_chan_set32(h, MR_TEST_CHAN_ROLES, 0x10 | 2); }
static void poke_head(unsigned char *h) { mr_test_chan_set64(h, MR_TEST_CHAN_HEAD, 64); }

/* Attach as a producer must fail with want; fd is still open afterwards
 * (the caller's), then closed here. */
static void expect_refused(int fd, size_t cap, unsigned flags, int want)
{
    struct mr_chan e = MR_CHAN_INIT;
    ASSERT_ERR(mr_chan_attach_fd(&e, fd, cap, MR_CHAN_PRODUCER, flags), want);
    ASSERT_ERR(mr_chan_fd(&e), -EBADF);
    ASSERT_GE(fcntl(fd, F_GETFD), 0);
    close(fd);
}

static void test_attach_checks(void)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t cap = 4096;
    /* The forgery itself is accepted, so each refusal below is its poke's. */
    struct mr_chan e = MR_CHAN_INIT;
    int fd = forge(cap, page + cap, true, NULL);
    ASSERT_OK(mr_chan_attach_fd(&e, fd, cap, MR_CHAN_PRODUCER, 0));
    ASSERT_OK(mr_chan_close(&e));
    fd = forge(cap, page + cap, true, NULL);
    ASSERT_OK(mr_chan_attach_fd(&e, fd, 0, MR_CHAN_PRODUCER, 0));
    ASSERT_EQ(mr_chan_capacity(&e), cap);
    ASSERT_OK(mr_chan_close(&e));

    expect_refused(forge(cap, page + cap, true, poke_magic), cap, 0, -EPROTO);
    expect_refused(forge(cap, page + cap, true, poke_zero_magic), cap, 0, -EAGAIN);
    expect_refused(forge(cap, page + cap, true, poke_version), cap, 0, -EPROTO);
    expect_refused(forge(cap, page + cap, true, poke_hdr_size), cap, 0, -EPROTO);
    expect_refused(forge(cap, page + cap, true, poke_capacity), cap, 0, -EPROTO);
    expect_refused(forge(cap, page + cap, true, poke_roles), cap, 0, -EPROTO);
    expect_refused(forge(cap, page + cap, true, poke_head), cap, 0, -EPROTO);
    /* The capacity asked for is not the object's. */
    expect_refused(forge(cap, page + cap, true, NULL), 8192, 0, -EPROTO);
    /* Sizes: not header + a power of two, not the header's capacity, no
     * ring at all, nothing yet. */
    expect_refused(forge(cap, page + cap + page, true, NULL), 0, 0, -EPROTO);
    expect_refused(forge(cap, page + 2 * cap, true, NULL), 0, 0, -EPROTO);
    expect_refused(forge(cap, page, true, NULL), 0, 0, -EPROTO);
    expect_refused(forge(cap, 100, true, NULL), 0, 0, -EPROTO);
    expect_refused(forge(cap, 0, true, NULL), 0, 0, -EAGAIN);
    /* Seals missing: refused, unless the caller waives them. */
    expect_refused(forge(cap, page + cap, false, NULL), cap, 0, -EPROTO);
    fd = forge(cap, page + cap, false, NULL);
    ASSERT_OK(mr_chan_attach_fd(&e, fd, cap, MR_CHAN_PRODUCER, MR_CHAN_NO_SEALS));
    ASSERT_OK(mr_chan_close(&e));
    fd = (int)syscall(SYS_memfd_create, "forge", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    ASSERT_EQ(ftruncate(fd, (off_t)(page + cap)), 0);
    ASSERT_EQ(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW), 0);
    expect_refused(fd, cap, 0, -EPROTO); /* SEAL missing: more seals could come */
    /* Sealed against writing (now or in future): never a working channel,
     * refused up front with -EPROTO, seals waived or not. */
    static const int write_seals[] = { F_SEAL_WRITE, F_SEAL_FUTURE_WRITE };
    for (size_t i = 0; i < sizeof write_seals / sizeof write_seals[0]; i++) {
        for (unsigned waive = 0; waive < 2; waive++) {
            fd = forge(cap, page + cap, false, NULL);
            ASSERT_EQ(fcntl(fd, F_ADD_SEALS, write_seals[i] | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL), 0);
            expect_refused(fd, cap, waive ? MR_CHAN_NO_SEALS : 0, -EPROTO);
        }
    }

    /* Not a file, not open, not writable. */
    int pfd[2];
    ASSERT_EQ(pipe2(pfd, O_CLOEXEC), 0);
    close(pfd[1]);
    expect_refused(pfd[0], 0, 0, -EINVAL);
    ASSERT_ERR(mr_chan_attach_fd(&e, -1, 0, MR_CHAN_PRODUCER, 0), -EBADF);
    struct mr_chan p = MR_CHAN_INIT;
    ASSERT_OK(mr_chan_create(&p, cap, MR_CHAN_CONSUMER, 0));
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", mr_chan_fd(&p));
    fd = open(path, O_RDONLY | O_CLOEXEC);
    ASSERT_GE(fd, 0);
    expect_refused(fd, cap, 0, -EACCES);
    /* Bad arguments. */
    fd = fcntl(mr_chan_fd(&p), F_DUPFD_CLOEXEC, 0);
    expect_refused(fd, 1000, 0, -EINVAL);
    fd = fcntl(mr_chan_fd(&p), F_DUPFD_CLOEXEC, 0);
    expect_refused(fd, 0, 0x10, -EINVAL);
    fd = fcntl(mr_chan_fd(&p), F_DUPFD_CLOEXEC, 0);
    ASSERT_ERR(mr_chan_attach_fd(&e, fd, 0, (enum mr_chan_role)7, 0), -EINVAL);
    /* Roles: the creator's is taken, and the other only once. */
    ASSERT_ERR(mr_chan_attach_fd(&e, fd, 0, MR_CHAN_CONSUMER, 0), -EBUSY);
    ASSERT_OK(mr_chan_attach_fd(&e, fd, 0, MR_CHAN_PRODUCER, 0));
    fd = fcntl(mr_chan_fd(&p), F_DUPFD_CLOEXEC, 0);
    expect_refused(fd, 0, 0, -EBUSY);
    ASSERT_OK(mr_chan_close(&e));
    fd = fcntl(mr_chan_fd(&p), F_DUPFD_CLOEXEC, 0);
    expect_refused(fd, 0, 0, -EBUSY); /* closing does not give the role back */
    ASSERT_OK(mr_chan_close(&p));
}

/* The two modes (src/chan.c, "waiting and waking"): a process without
 * membarrier creates fenced channels, which anyone can attach to, and
 * cannot attach to the others. */
static void test_modes(void)
{
    struct mr_chan p = MR_CHAN_INIT, c = MR_CHAN_INIT;
    mr_test_chan_pair_flags(&p, &c, 4096, MR_CHAN_FENCED);
    unsigned char *h = mr_test_chan_map_header(&p);
    ASSERT_EQ(mr_test_chan_get32(h, MR_TEST_CHAN_MODE), 1u);
    mr_test_chan_unmap_header(h);
    ASSERT_EQ(mr_chan_send(&p, mr_region_make("f", 1), 0), 1);
    char b[4];
    ASSERT_EQ(mr_chan_recv(&c, MR_REGION_OF_ARRAY(b), 0), 1);
    ASSERT_OK(mr_chan_close(&p));
    ASSERT_OK(mr_chan_close(&c));

    mr_test_chan_pair(&p, &c, 4096);
    h = mr_test_chan_map_header(&p);
    uint32_t mode = mr_test_chan_get32(h, MR_TEST_CHAN_MODE);
    mr_test_chan_unmap_header(h);
    ASSERT_OK(mr_chan_close(&c));

    ASSERT_OK(mr_chan_close(&p));
    mr__chan_no_membarrier(true);
    ASSERT_OK(mr_chan_create(&p, 4096, MR_CHAN_CONSUMER, 0)); /* fenced: no membarrier */
    h = mr_test_chan_map_header(&p);
    ASSERT_EQ(mr_test_chan_get32(h, MR_TEST_CHAN_MODE), 1u);
    mr_test_chan_unmap_header(h);
    int fd = fcntl(mr_chan_fd(&p), F_DUPFD_CLOEXEC, 0);
    ASSERT_OK(mr_chan_attach_fd(&c, fd, 0, MR_CHAN_PRODUCER, 0));
    ASSERT_OK(mr_chan_close(&c));
    ASSERT_OK(mr_chan_close(&p));
    mr__chan_no_membarrier(false);

    if (mode == 0) {
        /* A membarrier channel refuses a process that cannot take part. */
        ASSERT_OK(mr_chan_create(&p, 4096, MR_CHAN_PRODUCER, 0));
        mr__chan_no_membarrier(true);
        fd = fcntl(mr_chan_fd(&p), F_DUPFD_CLOEXEC, 0);
        ASSERT_ERR(mr_chan_attach_fd(&c, fd, 0, MR_CHAN_CONSUMER, 0), -EOPNOTSUPP);
        mr__chan_no_membarrier(false);
        ASSERT_OK(mr_chan_attach_fd(&c, fd, 0, MR_CHAN_CONSUMER, 0));
        ASSERT_OK(mr_chan_close(&c));
        ASSERT_OK(mr_chan_close(&p));
    } else {
        mr_test_skip_case("membarrier mode", "membarrier(2) is unavailable here: every channel is fenced "
                          "(needs Linux 4.14+ with CONFIG_MEMBARRIER)");
    }
}

/* ---- named channels ------------------------------------------------------------ */

static char shm_name[64];

static void unlink_name(void)
{
    if (shm_name[0])
        mr_shm_unlink(shm_name);
}

static void test_named(void)
{
    snprintf(shm_name, sizeof shm_name, "/mr-test-%ld-chan", (long)getpid());
    atexit(unlink_name);
    struct mr_chan p = MR_CHAN_INIT, c = MR_CHAN_INIT, x = MR_CHAN_INIT;
    ASSERT_ERR(mr_chan_attach_named(&c, shm_name, 0, MR_CHAN_CONSUMER, 0), -ENOENT);
    ASSERT_OK(mr_chan_create_named(&p, shm_name, 8192, MR_CHAN_PRODUCER, 0));
    ASSERT_ERR(mr_chan_create_named(&x, shm_name, 8192, MR_CHAN_PRODUCER, 0), -EEXIST);
    ASSERT_ERR(mr_chan_attach_named(&c, shm_name, 4096, MR_CHAN_CONSUMER, 0), -EPROTO);
    ASSERT_ERR(mr_chan_attach_named(&c, shm_name, 0, MR_CHAN_CONSUMER, 1), -EINVAL);
    ASSERT_ERR(mr_chan_attach_named(&c, shm_name, 0, MR_CHAN_PRODUCER, 0), -EBUSY);
    ASSERT_OK(mr_chan_attach_named(&c, shm_name, 8192, MR_CHAN_CONSUMER, 0));
    ASSERT_OK(mr_shm_unlink(shm_name));
    ASSERT_EQ(mr_chan_send(&p, mr_region_make("named", 5), 0), 5);
    char b[8];
    ASSERT_EQ(mr_chan_recv(&c, MR_REGION_OF_ARRAY(b), 0), 5);
    ASSERT_MEM_EQ(b, "named", 5);
    ASSERT_OK(mr_chan_close(&p));
    ASSERT_OK(mr_chan_close(&c));

    /* An object whose creator has not set it up yet. */
    struct mr_shm s = MR_SHM_INIT;
    ASSERT_OK(mr_shm_open(&s, shm_name, MR_SHM_RDWR, MR_SHM_EXISTS_FAIL, MR_SHM_CREATE, 0));
    ASSERT_ERR(mr_chan_attach_named(&c, shm_name, 0, MR_CHAN_CONSUMER, 0), -EAGAIN);
    ASSERT_OK(mr_shm_resize(&s, 4096 + 4096));
    ASSERT_ERR(mr_chan_attach_named(&c, shm_name, 0, MR_CHAN_CONSUMER, 0), -EAGAIN);
    ASSERT_OK(mr_shm_close(&s));
    ASSERT_OK(mr_shm_unlink(shm_name));
    /* A failed create leaves no name behind. */
    ASSERT_ERR(mr_chan_create_named(&p, "bad", 4096, MR_CHAN_PRODUCER, 0), -EINVAL);
    ASSERT_ERR(mr_chan_create_named(&p, shm_name, 4096, MR_CHAN_PRODUCER, 01000), -EINVAL);
    ASSERT_ERR(mr_shm_unlink(shm_name), -ENOENT);
}

/* ---- handing over a socket ------------------------------------------------------ */

static void test_share(void)
{
    struct mr_sock a = MR_SOCK_INIT, b = MR_SOCK_INIT;
    ASSERT_OK(mr_sock_open_pair(&a, &b, SOCK_STREAM, 0));
    struct mr_chan p = MR_CHAN_INIT, c = MR_CHAN_INIT;
    ASSERT_OK(mr_chan_create(&p, 8192, MR_CHAN_PRODUCER, 0));

    ASSERT_ERR(mr_chan_attach_sock(&c, &b, 0, MR_CHAN_CONSUMER, 0, 0), -ETIMEDOUT);
    ASSERT_ERR(mr_chan_attach_sock(&c, &b, 0, MR_CHAN_CONSUMER, 0, 20), -ETIMEDOUT);
    ASSERT_ERR(mr_chan_attach_sock(&c, &b, 0, MR_CHAN_CONSUMER, 0, -2), -EINVAL);
    ASSERT_OK(mr_chan_share(&p, &a));
    ASSERT_OK(mr_chan_attach_sock(&c, &b, 8192, MR_CHAN_CONSUMER, 0, 1000));
    ASSERT_EQ(mr_chan_send(&p, mr_region_make("over", 4), -1), 4);
    char buf[8];
    ASSERT_EQ(mr_chan_recv(&c, MR_REGION_OF_ARRAY(buf), -1), 4);
    ASSERT_MEM_EQ(buf, "over", 4);
    ASSERT_OK(mr_chan_check_peer(&p));
    ASSERT_OK(mr_chan_check_peer(&c));

    /* Shared twice: the role is taken. A capacity that differs is refused
     * from the greeting alone. */
    struct mr_chan x = MR_CHAN_INIT;
    ASSERT_OK(mr_chan_share(&p, &a));
    ASSERT_ERR(mr_chan_attach_sock(&x, &b, 0, MR_CHAN_CONSUMER, 0, 1000), -EBUSY);
    ASSERT_OK(mr_chan_share(&p, &a));
    ASSERT_ERR(mr_chan_attach_sock(&x, &b, 4096, MR_CHAN_CONSUMER, 0, 1000), -EPROTO);

    /* Not a greeting: bytes without an fd, and an fd with other bytes. */
    ASSERT_EQ(mr_sock_send(&a, mr_region_make("0123456789abcdef", 16), 0), 16);
    ASSERT_ERR(mr_chan_attach_sock(&x, &b, 0, MR_CHAN_CONSUMER, 0, 1000), -EPROTO);
    int fd = mr_chan_fd(&p);
    ASSERT_EQ(mr_sock_send_fds(&a, mr_region_make("0123456789abcdef", 16), &fd, 1, 0), 16);
    int before = mr_test_count_fds();
    ASSERT_ERR(mr_chan_attach_sock(&x, &b, 0, MR_CHAN_CONSUMER, 0, 1000), -EPROTO);
    ASSERT_EQ(mr_test_count_fds(), before);
    ASSERT_EQ(mr_sock_send_fds(&a, mr_region_make("short", 5), &fd, 1, 0), 5);
    ASSERT_ERR(mr_chan_attach_sock(&x, &b, 0, MR_CHAN_CONSUMER, 0, 1000), -EPROTO);
    ASSERT_EQ(mr_test_count_fds(), before);
    /* A true greeting with two fds (or none) is not a greeting either:
     * -EPROTO, as the header says, and both fds closed. */
    unsigned char greeting[256];
    int got[2] = { -1, -1 };
    size_t ngot = 0;
    ASSERT_OK(mr_chan_share(&p, &a));
    ssize_t glen = mr_sock_recv_fds(&b, MR_REGION_OF_ARRAY(greeting), got, 2, &ngot, 0);
    ASSERT_GT(glen, 0);
    ASSERT_EQ(ngot, (size_t)1);
    int two[2] = { got[0], got[0] };
    ASSERT_EQ(mr_sock_send_fds(&a, mr_region_make(greeting, (size_t)glen), two, 2, 0), glen);
    ASSERT_ERR(mr_chan_attach_sock(&x, &b, 0, MR_CHAN_CONSUMER, 0, 1000), -EPROTO);
    ASSERT_EQ(mr_sock_send(&a, mr_region_make(greeting, (size_t)glen), 0), glen);
    ASSERT_ERR(mr_chan_attach_sock(&x, &b, 0, MR_CHAN_CONSUMER, 0, 1000), -EPROTO);
    ASSERT_EQ(close(got[0]), 0);
    ASSERT_EQ(mr_test_count_fds(), before);

    /* The watched socket: when the consumer's side of it is gone (its own
     * socket and the end's duplicate), the producer sees the peer gone. */
    ASSERT_OK(mr_chan_check_peer(&p));
    ASSERT_OK(mr_sock_close(&b));
    ASSERT_OK(mr_chan_check_peer(&p)); /* c still holds b's duplicate */
    ASSERT_OK(mr_chan_close(&c));
    ASSERT_ERR(mr_chan_check_peer(&p), -EPIPE);
    ASSERT_OK(mr_chan_close(&p));

    ASSERT_OK(mr_sock_close(&a));

    /* The socket's peer closed before sending anything. */
    struct mr_sock d = MR_SOCK_INIT, e = MR_SOCK_INIT;
    ASSERT_OK(mr_sock_open_pair(&d, &e, SOCK_STREAM, 0));
    ASSERT_OK(mr_sock_close(&d));
    ASSERT_ERR(mr_chan_attach_sock(&c, &e, 0, MR_CHAN_CONSUMER, 0, 1000), -EPIPE);
    ASSERT_OK(mr_sock_close(&e));
    ASSERT_ERR(mr_chan_share(&p, &e), -EBADF);

    /* A datagram socket never reports its peer gone (no POLLHUP when the
     * other end closes), so it cannot be watched: refused at both ends. */
    ASSERT_OK(mr_sock_open_pair(&d, &e, SOCK_DGRAM, 0));
    ASSERT_OK(mr_chan_create(&p, 4096, MR_CHAN_PRODUCER, 0));
    ASSERT_ERR(mr_chan_share(&p, &d), -ENOPROTOOPT);
    int pfd = mr_chan_fd(&p);
    ASSERT_EQ(mr_sock_send_fds(&d, mr_region_make("0123456789abcdef", 16), &pfd, 1, 0), 16);
    ASSERT_ERR(mr_chan_attach_sock(&c, &e, 0, MR_CHAN_CONSUMER, 0, 1000), -ENOPROTOOPT);
    ASSERT_OK(mr_chan_close(&p));
    ASSERT_OK(mr_sock_close(&d));
    ASSERT_OK(mr_sock_close(&e));
}

/* A process whose signals come more often than a sleep slice (a profiler's
 * timer, say) still sees a dead peer: the watched fds are asked every
 * MR_CHAN_DEATH_CHECK_MS of sleep, not only when a slice runs out, which
 * an interrupted futex wait never does. The peer here is the other end of
 * the socket the channel was shared over, closed before the wait. */
static volatile sig_atomic_t ticks;

static void on_tick(int sig)
{
    (void)sig;
    ticks++;
}

static void test_death_under_signals(void)
{
    struct mr_sock a = MR_SOCK_INIT, b = MR_SOCK_INIT;
    ASSERT_OK(mr_sock_open_pair(&a, &b, SOCK_STREAM, 0));
    struct mr_chan p = MR_CHAN_INIT, c = MR_CHAN_INIT;
    mr_test_chan_pair(&p, &c, 4096);
    ASSERT_OK(mr_chan_share(&p, &a));
    struct mr_region r;
    while (mr_chan_try_reserve(&p, 100, &r) == 0)
        ASSERT_OK(mr_chan_commit(&p, 100));
    ASSERT_OK(mr_sock_close(&b)); /* the peer is gone */

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_tick;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART; /* a futex wait with a timeout is not restarted anyway */
    ASSERT_EQ(sigaction(SIGALRM, &sa, NULL), 0);
    struct itimerval it = { { 0, 2000 }, { 0, 2000 } }, off = { { 0, 0 }, { 0, 0 } };
    ASSERT_EQ(setitimer(ITIMER_REAL, &it, NULL), 0);
    int64_t t0 = mr_test_now_ms();
    int rc = mr_chan_reserve(&p, 100, 3000, &r);
    int64_t dt = mr_test_now_ms() - t0;
    ASSERT_EQ(setitimer(ITIMER_REAL, &off, NULL), 0);
    /* The counting handler stays: valgrind can deliver a tick after the
     * timer is off, which the default action would die of. */
    ASSERT_GT(ticks, 0);
    ASSERT_ERR(rc, -ECONNRESET); /* gone without closing: a crash, not a close */
    ASSERT_LT(dt, 1500);
    ASSERT_OK(mr_chan_close(&p));
    ASSERT_OK(mr_chan_close(&c));
    ASSERT_OK(mr_sock_close(&a));
}

/* ---- watching a process ------------------------------------------------------------- */

static void test_watch_pid(void)
{
    struct mr_chan p = MR_CHAN_INIT, c = MR_CHAN_INIT;
    mr_test_chan_pair(&p, &c, 4096);
    int rc = mr_chan_watch_pid(&p, getpid());
    if (rc == -ENOSYS) {
        mr_test_skip_case("test_watch_pid", "no pidfd_open here (needs Linux 5.3+)");
        ASSERT_OK(mr_chan_close(&p));
        ASSERT_OK(mr_chan_close(&c));
        return;
    }
    ASSERT_OK(rc);
    int pfd[2];
    ASSERT_EQ(pipe2(pfd, O_CLOEXEC), 0);
    pid_t pid = mr_test_fork();
    if (pid == 0) {
        char x;
        close(pfd[1]);
        while (read(pfd[0], &x, 1) < 0)
            ;
        _exit(0);
    }
    close(pfd[0]);
    ASSERT_OK(mr_chan_watch_pid(&p, pid));
    ASSERT_OK(mr_chan_check_peer(&p));
    struct mr_region r;
    while (mr_chan_try_reserve(&p, 100, &r) == 0)
        ASSERT_OK(mr_chan_commit(&p, 100));
    close(pfd[1]); /* the child exits (and stays a zombie until waited for) */
    /* A reserve blocked on the full ring sees the death within a slice. */
    int64_t t0 = mr_test_now_ms();
    ASSERT_ERR(mr_chan_reserve(&p, 100, -1, &r), -ECONNRESET); /* it exited without closing */
    ASSERT_LT(mr_test_now_ms() - t0, 2000);
    ASSERT_ERR(mr_chan_check_peer(&p), -ECONNRESET);
    ASSERT_EQ(mr_test_wait(pid), 0);
    ASSERT_OK(mr_chan_close(&p));
    ASSERT_OK(mr_chan_close(&c));
}

int main(void)
{
    MR_TEST_RUN(test_basic);
    MR_TEST_RUN(test_sizes);
    MR_TEST_RUN(test_stale_payload);
    MR_TEST_RUN(test_wrap);
    MR_TEST_RUN(test_full_and_empty);
    MR_TEST_RUN(test_wakes);
    MR_TEST_RUN(test_misuse);
    MR_TEST_RUN(test_closed_ends);
    MR_TEST_RUN(test_close);
    MR_TEST_RUN(test_attach_checks);
    MR_TEST_RUN(test_modes);
    MR_TEST_RUN(test_named);
    MR_TEST_RUN(test_share);
    MR_TEST_RUN(test_death_under_signals);
    if (!mr_test_under_valgrind())
        MR_TEST_RUN(test_watch_pid);
    else
        mr_test_skip_case("test_watch_pid", "valgrind 3.19 has no pidfd_open (the plain run covers it)");
    return 0;
}
