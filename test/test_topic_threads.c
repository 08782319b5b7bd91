/* SPDX-License-Identifier: MIT */
/* test/test_topic_threads.c: a topic's publisher and four subscribers as
 * threads of one process (so ThreadSanitizer sees both sides of every
 * shared word): each subscriber, half copying and half reading in place,
 * receives every message in order, the ring small enough that the
 * publisher waits and sleeps on the slowest; then the publisher closes and
 * each sees -EPIPE. Also run with a fenced topic. */
#include "helpers.h"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#define WAIT_MS 20000
#define SUBS 4

struct arg {
    const char *name;
    uint64_t n;
    int index;
    int fail;
};

static void *sub_thread(void *p)
{
    struct arg *a = p;
    struct mr_topic_sub *s;
    if (mr_topic_attach(&s, a->name, NULL, WAIT_MS) != 0) {
        a->fail = 1;
        return NULL;
    }
    unsigned char buf[128];
    for (uint64_t i = 0; i < a->n && !a->fail; i++) {
        uint64_t got, lost = 1;
        size_t len;
        if (a->index & 1) {
            struct mr_region r;
            if (mr_topic_peek(s, WAIT_MS, &r, &lost) != 0) {
                a->fail = 2;
                break;
            }
            len = r.len;
            memcpy(buf, r.ptr, len < sizeof buf ? len : sizeof buf);
            if (mr_topic_release(s) != 0)
                a->fail = 3;
        } else {
            ssize_t k = mr_topic_recv(s, MR_REGION_OF_ARRAY(buf), WAIT_MS, &lost);
            if (k < 0) {
                a->fail = 4;
                break;
            }
            len = (size_t)k;
        }
        memcpy(&got, buf, 8);
        if (len != 8 + i % 100 || got != i || lost != 0 || (len > 8 && buf[len - 1] != (unsigned char)i))
            a->fail = 5;
    }
    struct mr_region r;
    if (!a->fail && mr_topic_peek(s, WAIT_MS, &r, NULL) != -EPIPE)
        a->fail = 6;
    mr_topic_detach(s);
    return NULL;
}

static void run(unsigned flags)
{
    char name[64];
    snprintf(name, sizeof name, "thr-%ld-%u", (long)getpid(), flags);
    uint64_t n = mr_test_scale(200000);
    struct mr_topic *t;
    struct mr_topic_opts o = { 4096, MR_TOPIC_RELIABLE, flags, 0, 0, MR_FOREVER, NULL, NULL };
    ASSERT_OK(mr_topic_create(&t, name, &o));
    pthread_t th[SUBS];
    struct arg a[SUBS];
    for (int i = 0; i < SUBS; i++) {
        a[i] = (struct arg){ name, n, i, 0 };
        ASSERT_EQ(pthread_create(&th[i], NULL, sub_thread, &a[i]), 0);
    }
    for (int i = 0; i < SUBS; i++)
        ASSERT_GE(mr_topic_accept(t, WAIT_MS), 0);
    for (uint64_t i = 0; i < n; i++) {
        unsigned char m[128];
        size_t len = 8 + i % 100;
        memcpy(m, &i, 8);
        memset(m + 8, (unsigned char)i, len - 8);
        ASSERT_EQ(mr_topic_publish(t, mr_region_make(m, len), WAIT_MS), (ssize_t)len);
    }
    struct mr_topic_stats st;
    mr_topic_stats(t, &st);
    ASSERT_OK(mr_topic_destroy(t));
    for (int i = 0; i < SUBS; i++) {
        ASSERT_EQ(pthread_join(th[i], NULL), 0);
        ASSERT_EQ(a[i].fail, 0);
    }
    ASSERT_EQ(st.messages, n);
    ASSERT_EQ(st.dropped, 0u);
    printf("flags %u: %llu messages, publisher waited %llu times, slept %llu\n", flags,
           (unsigned long long)n, (unsigned long long)st.waits, (unsigned long long)st.sleeps);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    setenv("XDG_RUNTIME_DIR", mr_test_tmpdir(), 1);
    run(0);
    run(MR_TOPIC_FENCED);
    return 0;
}
