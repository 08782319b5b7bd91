/* SPDX-License-Identifier: MIT */
/* test/test_atomic_threads.c: the sap atomics under contention from several
 * threads: fetch_add and a CAS loop lose no update, and a release store
 * publishes plain writes to an acquire load (ThreadSanitizer checks the
 * ordering; the reader checks the data). */
#include "helpers.h"

#include <pthread.h>
#include <sched.h>

#define NTHREADS 4
#define MSG_BYTES 512

/* The shared words, naturally aligned, at fixed offsets in one block, as they
 * would sit in a shared-memory header. */
enum {
    OFF_CNT32 = 0,  /* u32 fetch_add counter */
    OFF_CAS32 = 4,  /* u32 CAS counter */
    OFF_CNT64 = 8,  /* u64 fetch_add counter */
    OFF_CAS64 = 16, /* u64 CAS counter */
    OFF_START = 24, /* u32: threads spin here until all are ready */
    SHARED_BYTES = 64,
};
static _Alignas(64) unsigned char shared[SHARED_BYTES];

static unsigned long iterations;

/* The u64 counters start below 2^32 so that the count carries into the high
 * half: a 64-bit add done as two 32-bit halves would lose the carry. */
#define START64 ((uint64_t)0xffffff00u)
#define STEP64 ((uint64_t)0x100000001u)

static void wait_for_start(void)
{
    mr_atomic_fetch_add_u32(shared, OFF_START, 1);
    while (mr_atomic_load_acq_u32(shared, OFF_START) < NTHREADS)
        sched_yield();
}

static void *counter_thread(void *arg)
{
    (void)arg;
    wait_for_start();
    for (unsigned long i = 0; i < iterations; i++) {
        mr_atomic_fetch_add_u32(shared, OFF_CNT32, 1);
        mr_atomic_fetch_add_u64(shared, OFF_CNT64, STEP64);

        uint32_t e32 = mr_atomic_load_relaxed_u32(shared, OFF_CAS32);
        while (!mr_atomic_cas_u32(shared, OFF_CAS32, &e32, e32 + 1))
            ; /* e32 now holds the current value: retry from it */

        uint64_t e64 = mr_atomic_load_relaxed_u64(shared, OFF_CAS64);
        while (!mr_atomic_cas_u64(shared, OFF_CAS64, &e64, e64 + STEP64))
            ;
    }
    return NULL;
}

static void test_counters(void)
{
    memset(shared, 0, sizeof shared);
    mr_store_u64(shared, OFF_CNT64, START64);
    mr_store_u64(shared, OFF_CAS64, START64);

    pthread_t t[NTHREADS];
    for (int i = 0; i < NTHREADS; i++)
        ASSERT_EQ(pthread_create(&t[i], NULL, counter_thread, NULL), 0);
    for (int i = 0; i < NTHREADS; i++)
        ASSERT_EQ(pthread_join(t[i], NULL), 0);

    uint64_t n = (uint64_t)NTHREADS * iterations;
    ASSERT_EQ(mr_atomic_load_acq_u32(shared, OFF_CNT32), (uint32_t)n);
    ASSERT_EQ(mr_atomic_load_acq_u32(shared, OFF_CAS32), (uint32_t)n);
    ASSERT_EQ(mr_atomic_load_acq_u64(shared, OFF_CNT64), START64 + n * STEP64);
    ASSERT_EQ(mr_atomic_load_acq_u64(shared, OFF_CAS64), START64 + n * STEP64);
    /* Past 2^32, where an operation on 32 bits would have wrapped. */
    ASSERT_GT(mr_atomic_load_acq_u64(shared, OFF_CNT64), (uint64_t)UINT32_MAX);
}

/* ---- message passing ---------------------------------------------------------
 * The writer fills msg with plain stores, then publishes the round number
 * with a release store to flag. The reader spins on an acquire load of flag,
 * then reads msg with plain loads: it must see every byte of that round, and
 * ThreadSanitizer must see no race. The reader acknowledges with a release
 * store to ack, which the writer acquires before it overwrites msg. */
static struct {
    _Alignas(64) unsigned char flag[4];
    _Alignas(64) unsigned char ack[4];
    _Alignas(64) unsigned char msg[MSG_BYTES];
} mp;
static unsigned rounds;

static unsigned char msg_byte(uint32_t round, size_t i)
{
    return (unsigned char)(round * 131u + i * 7u + (i >> 8));
}

static void *writer_thread(void *arg)
{
    (void)arg;
    for (uint32_t round = 1; round <= rounds; round++) {
        while (mr_atomic_load_acq_u32(mp.ack, 0) != round - 1)
            sched_yield();
        for (size_t i = 0; i < MSG_BYTES; i++)
            mp.msg[i] = msg_byte(round, i);
        mr_atomic_store_rel_u32(mp.flag, 0, round);
    }
    return NULL;
}

static void *reader_thread(void *arg)
{
    size_t *bad = arg;
    for (uint32_t round = 1; round <= rounds; round++) {
        uint32_t seen;
        while ((seen = mr_atomic_load_acq_u32(mp.flag, 0)) != round) {
            if (seen > round) { /* the writer ran ahead: protocol broken */
                *bad = (size_t)-1;
                return NULL;
            }
            sched_yield();
        }
        for (size_t i = 0; i < MSG_BYTES; i++)
            if (mp.msg[i] != msg_byte(round, i))
                (*bad)++;
        mr_atomic_store_rel_u32(mp.ack, 0, round);
    }
    return NULL;
}

static void test_message_passing(void)
{
    memset(&mp, 0, sizeof mp);
    size_t bad = 0;
    pthread_t w, r;
    ASSERT_EQ(pthread_create(&r, NULL, reader_thread, &bad), 0);
    ASSERT_EQ(pthread_create(&w, NULL, writer_thread, NULL), 0);
    ASSERT_EQ(pthread_join(w, NULL), 0);
    ASSERT_EQ(pthread_join(r, NULL), 0);
    ASSERT_EQ(bad, (size_t)0);
    ASSERT_EQ(mr_atomic_load_acq_u32(mp.flag, 0), (uint32_t)rounds);
    ASSERT_EQ(mr_atomic_load_acq_u32(mp.ack, 0), (uint32_t)rounds);
    for (size_t i = 0; i < MSG_BYTES; i++)
        ASSERT_EQ(mp.msg[i], msg_byte((uint32_t)rounds, i));
}

int main(void)
{
    /* Bounded in time: valgrind runs one thread at a time, so do less there. */
    bool slow = mr_test_under_valgrind();
    iterations = slow ? 5000 : 50000;
    rounds = slow ? 100 : 500;

    test_counters();
    test_message_passing();
    return 0;
}
