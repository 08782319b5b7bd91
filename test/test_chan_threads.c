/* SPDX-License-Identifier: MIT */
/* test/test_chan_threads.c: a producer thread and a consumer thread pass
 * 1M messages of random lengths through a small ring, both blocking, with
 * sequence numbers and checksums: none lost, repeated, reordered or
 * corrupted; then half as many through a MR_CHAN_FENCED channel. Then a consumer that closes early wakes a producer blocked on
 * a full ring, and a producer that closes wakes a consumer blocked on an
 * empty one. Run under ThreadSanitizer too (label "threads"; fewer
 * messages there and under valgrind). */
#include "chan_test.h"

#include <pthread.h>

#define CAP ((size_t)1 << 16)

static struct mr_chan prod = MR_CHAN_INIT, cons = MR_CHAN_INIT;
static uint64_t total;

static void *producer(void *arg)
{
    (void)arg;
    uint64_t st = 42;
    static unsigned char buf[16384];
    for (uint64_t i = 0; i < total; i++) {
        size_t len = mr_test_chan_draw_len(&st, 80);
        if (i % 4 == 3) {
            mr_test_chan_fill(buf, len, i);
            if (mr_chan_send(&prod, mr_region_make(buf, len), -1) != (ssize_t)len)
                return (void *)1;
        } else {
            struct mr_region r;
            if (mr_chan_reserve(&prod, len, -1, &r) != 0)
                return (void *)2;
            mr_test_chan_fill(r.ptr, len, i);
            if (mr_chan_commit(&prod, len) != 0)
                return (void *)3;
        }
    }
    return mr_chan_close(&prod) == 0 ? NULL : (void *)4;
}

static void million(uint64_t messages, unsigned flags)
{
    total = mr_test_scale(messages);
    mr_test_chan_pair_flags(&prod, &cons, CAP, flags);
    pthread_t t;
    ASSERT_EQ(pthread_create(&t, NULL, producer, NULL), 0);
    uint64_t st = 42, bytes = 0;
    static unsigned char buf[16384];
    for (uint64_t i = 0; i < total; i++) {
        size_t len = mr_test_chan_draw_len(&st, 80);
        if (i % 5 == 4) {
            ssize_t n = mr_chan_recv(&cons, MR_REGION_OF_ARRAY(buf), -1);
            if (n != (ssize_t)len || !mr_test_chan_check(buf, len, i))
                mr_test_fail(__FILE__, __LINE__, "message %llu: got %zd bytes, want %zu",
                             (unsigned long long)i, n, len);
        } else {
            struct mr_region m;
            ASSERT_OK(mr_chan_peek(&cons, -1, &m));
            if (m.len != len || !mr_test_chan_check(m.ptr, len, i))
                mr_test_fail(__FILE__, __LINE__, "message %llu: got %zu bytes, want %zu",
                             (unsigned long long)i, m.len, len);
            ASSERT_OK(mr_chan_release(&cons));
        }
        bytes += len;
    }
    struct mr_region m;
    ASSERT_ERR(mr_chan_peek(&cons, -1, &m), -EPIPE);
    void *res;
    ASSERT_EQ(pthread_join(t, &res), 0);
    ASSERT_PTR_EQ(res, NULL);
    struct mr_chan_stats cs;
    mr_chan_stats(&cons, &cs);
    ASSERT_EQ(cs.messages, total);
    ASSERT_EQ(cs.bytes, bytes);
    fprintf(stderr, "%s: %llu messages, %llu bytes; consumer waited %llu times, slept %llu, woke the producer %llu\n",
            flags ? "fenced" : "membarrier", (unsigned long long)cs.messages, (unsigned long long)cs.bytes,
            (unsigned long long)cs.waits, (unsigned long long)cs.sleeps,
            (unsigned long long)cs.wakes);
    ASSERT_OK(mr_chan_close(&cons));
}

static void test_million(void)
{
    million(1000000, 0);
}

static void test_half_million_fenced(void)
{
    million(500000, MR_CHAN_FENCED);
}

/* The other thread blocks forever, and a close must end its wait. */
static void *blocked_producer(void *arg)
{
    (void)arg;
    struct mr_region r;
    int rc;
    while ((rc = mr_chan_reserve(&prod, 1000, -1, &r)) == 0)
        mr_chan_commit(&prod, 1000);
    return (void *)(intptr_t)rc;
}

static void *blocked_consumer(void *arg)
{
    (void)arg;
    struct mr_region m;
    int rc;
    while ((rc = mr_chan_peek(&cons, -1, &m)) == 0)
        mr_chan_release(&cons);
    return (void *)(intptr_t)rc;
}

static void test_close_wakes(void)
{
    mr_test_chan_pair(&prod, &cons, 4096);
    pthread_t t;
    ASSERT_EQ(pthread_create(&t, NULL, blocked_producer, NULL), 0);
    /* Take a few messages so the producer is surely running, then close. */
    struct mr_region m;
    for (int i = 0; i < 10; i++) {
        ASSERT_OK(mr_chan_peek(&cons, -1, &m));
        ASSERT_OK(mr_chan_release(&cons));
    }
    ASSERT_OK(mr_chan_close(&cons));
    void *res;
    ASSERT_EQ(pthread_join(t, &res), 0);
    ASSERT_EQ((intptr_t)res, -EPIPE);
    ASSERT_OK(mr_chan_close(&prod));

    mr_test_chan_pair(&prod, &cons, 4096);
    ASSERT_EQ(pthread_create(&t, NULL, blocked_consumer, NULL), 0);
    for (int i = 0; i < 10; i++)
        ASSERT_EQ(mr_chan_send(&prod, mr_region_make("0123456789", 10), -1), 10);
    ASSERT_OK(mr_chan_close(&prod));
    ASSERT_EQ(pthread_join(t, &res), 0);
    ASSERT_EQ((intptr_t)res, -EPIPE);
    struct mr_chan_stats cs;
    mr_chan_stats(&cons, &cs);
    ASSERT_EQ(cs.messages, 10u);
    ASSERT_OK(mr_chan_close(&cons));
}

int main(void)
{
    MR_TEST_RUN(test_million);
    MR_TEST_RUN(test_half_million_fenced);
    MR_TEST_RUN(test_close_wakes);
    return 0;
}
