/* SPDX-License-Identifier: MIT */
/* test/test_topic.c: publish/subscribe (memregion/topic.h), reliable
 * policy: subscribers in processes of their own receive every message in
 * order, checked byte by byte; a SIGKILLed subscriber is dropped and the
 * others go on; a stuck one is dropped after stall_ms; a subscriber that
 * scribbles on every page it can map, and tries to map the ring writable,
 * harms nobody but itself; a subscriber dropped while its record is still
 * whole learns it on its next call, whichever (the fast paths too); bad
 * arguments; nothing is left behind (fds, socket files, /dev/shm). */
#include "svc_test.h"
#include "topic_internal.h"

#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define WAIT_MS 10000


/* ---- messages: message i has a length and bytes that follow from i ------------ */

static size_t msg_len(uint64_t i, size_t max)
{
    size_t l = 8 + (size_t)(mr_test_mix(i) % 249);
    return l < max ? l : max;
}

static void msg_fill(unsigned char *p, uint64_t i, size_t len)
{
    memcpy(p, &i, 8);
    for (size_t j = 8; j < len; j++)
        p[j] = (unsigned char)(i * 31 + j);
}

static bool msg_ok(const unsigned char *p, size_t len, uint64_t i, size_t max)
{
    uint64_t got;
    if (len != msg_len(i, max) || len < 8)
        return false;
    memcpy(&got, p, 8);
    if (got != i)
        return false;
    for (size_t j = 8; j < len; j++)
        if (p[j] != (unsigned char)(i * 31 + j))
            return false;
    return true;
}

/* A stall limit for a test: under valgrind or a sanitizer an honest
 * subscriber may go unscheduled for longer than a plain build's limit. */
static int stall_limit(int ms)
{
    return mr_test_under_valgrind() ? ms * 20 : mr_test_sanitized() ? ms * 5 : ms;
}

static void publish_n(struct mr_topic *t, uint64_t from, uint64_t n)
{
    size_t max = 256;
    for (uint64_t i = from; i < from + n; i++) {
        struct mr_region r;
        size_t len = msg_len(i, max);
        ASSERT_OK(mr_topic_reserve(t, len, WAIT_MS, &r));
        msg_fill(r.ptr, i, len);
        ASSERT_OK(mr_topic_commit(t, len));
    }
}

/* A subscriber process: attach, say so on fd ready (one byte), then read
 * n messages from first in order (every byte checked), then expect
 * -EPIPE. Exits 0 when all was as expected. */
struct sub_arg {
    const char *name;
    uint64_t first;
    uint64_t n;
    int ready;   /* write end of a pipe: one byte once attached */
    bool zero_copy;
};

static void subscriber(void *p)
{
    struct sub_arg *a = p;
    struct mr_topic_sub *s;
    /* A parent that fails must not leave this child holding ctest's pipes. */
    mr_test_die_with_parent();
    ASSERT_OK(mr_topic_attach(&s, a->name, NULL, WAIT_MS));
    ASSERT_EQ(write(a->ready, "r", 1), 1);
    unsigned char buf[256];
    for (uint64_t i = a->first; i < a->first + a->n; i++) {
        uint64_t lost = 1;
        if (a->zero_copy) {
            struct mr_region r;
            ASSERT_OK(mr_topic_peek(s, WAIT_MS, &r, &lost));
            ASSERT_EQ(r.flags, MR_REGION_RDONLY);
            if (!msg_ok(r.ptr, r.len, i, 256))
                mr_test_fail(__FILE__, __LINE__, "message %llu wrong", (unsigned long long)i);
            ASSERT_OK(mr_topic_release(s));
        } else {
            ssize_t n = mr_topic_recv(s, MR_REGION_OF_ARRAY(buf), WAIT_MS, &lost);
            ASSERT_GE(n, 8);
            if (!msg_ok(buf, (size_t)n, i, 256))
                mr_test_fail(__FILE__, __LINE__, "message %llu wrong", (unsigned long long)i);
        }
        ASSERT_EQ(lost, 0u);
    }
    struct mr_region r;
    ASSERT_ERR(mr_topic_peek(s, WAIT_MS, &r, NULL), -EPIPE);
    struct mr_topic_stats st;
    mr_topic_sub_stats(s, &st);
    ASSERT_EQ(st.messages, a->n);
    ASSERT_EQ(st.lost, 0u);
    ASSERT_OK(mr_topic_detach(s));
}

struct subs {
    pid_t pid[16];
    int n;
};

/* Start n subscriber processes and accept them all. */
static void start_subs(struct mr_topic *t, struct subs *ss, int n, struct sub_arg *a)
{
    int p[2];
    ASSERT_EQ(pipe2(p, O_CLOEXEC), 0);
    a->ready = p[1];
    for (int i = 0; i < n; i++) {
        ss->pid[ss->n++] = mr_test_start(subscriber, a);
        ASSERT_GE(mr_topic_accept(t, WAIT_MS), 0);
    }
    for (int i = 0; i < n; i++) {
        char c;
        ASSERT_EQ(read(p[0], &c, 1), 1);
    }
    close(p[0]);
    close(p[1]);
}

/* ---- cases ---------------------------------------------------------------------- */

static void test_args(void)
{
    struct mr_topic *t = (struct mr_topic *)1;
    const char *name = mr_test_svc_name("args");
    struct mr_topic_opts o = { 3000, 0, 0, 0, 0, 0, NULL, NULL };
    ASSERT_ERR(mr_topic_create(&t, name, &o), -EINVAL);
    ASSERT_TRUE(t == NULL);
    o.capacity = 4096;
    o.policy = 2;
    ASSERT_ERR(mr_topic_create(&t, name, &o), -EINVAL);
    o.policy = 0;
    o.max_subs = MR_TOPIC_SUBS_MAX + 1;
    ASSERT_ERR(mr_topic_create(&t, name, &o), -EINVAL);
    o.max_subs = 0;
    o.flags = 0x80;
    ASSERT_ERR(mr_topic_create(&t, name, &o), -EINVAL);
    o.flags = 0;
    ASSERT_ERR(mr_topic_create(&t, "bad/name", &o), -EINVAL);
    ASSERT_OK(mr_topic_create(&t, name, &o));
    struct mr_topic *t2;
    ASSERT_ERR(mr_topic_create(&t2, name, &o), -EADDRINUSE);
    ASSERT_EQ(mr_topic_max_msg(t), (size_t)4096 - 16);
    struct mr_region r;
    ASSERT_ERR(mr_topic_reserve(t, 4081, 0, &r), -EMSGSIZE);
    ASSERT_OK(mr_topic_reserve(t, 4080, 0, &r));
    ASSERT_OK(mr_topic_commit(t, 4080));
    ASSERT_ERR(mr_topic_commit(t, 0), -EINVAL);
    ASSERT_OK(mr_topic_reserve(t, 16, 0, &r));
    ASSERT_ERR(mr_topic_reserve(t, 16, 0, &r), -EBUSY);
    ASSERT_ERR(mr_topic_commit(t, 17), -ERANGE);
    ASSERT_OK(mr_topic_commit(t, 16));
    /* No subscriber: the ring turns over without waiting. */
    for (int i = 0; i < 1000; i++)
        ASSERT_EQ(mr_topic_publish(t, mr_region_make((void *)"hello", 5), 0), 5);
    ASSERT_EQ(mr_topic_subscribers(t), 0);
    ASSERT_ERR(mr_topic_accept(t, 0), -ETIMEDOUT);
    ASSERT_ERR(mr_topic_sub_pid(t, 0), -ENOENT);
    ASSERT_GE(mr_topic_listen_fd(t), 0);
    struct mr_topic_sub *s = (struct mr_topic_sub *)1;
    ASSERT_ERR(mr_topic_attach(&s, mr_test_svc_name("nobody"), NULL, 0), -ENOENT);
    ASSERT_TRUE(s == NULL);
    ASSERT_OK(mr_topic_destroy(t));
    ASSERT_OK(mr_topic_destroy(NULL));
    ASSERT_OK(mr_topic_detach(NULL));
}

/* max_subs live: the next subscriber is told -EUSERS. */
static void test_full(void)
{
    const char *name = mr_test_svc_name("full");
    struct mr_topic *t;
    struct mr_topic_opts o = { 4096, MR_TOPIC_RELIABLE, 0, 1, 0, MR_FOREVER, NULL, NULL };
    ASSERT_OK(mr_topic_create(&t, name, &o));
    struct subs ss = { { 0 }, 0 };
    struct sub_arg a = { name, 0, 10, -1, false };
    start_subs(t, &ss, 1, &a);
    ASSERT_EQ(mr_topic_subscribers(t), 1);
    pid_t second = mr_test_fork();
    if (second == 0) {
        struct mr_topic_sub *s;
        _exit(mr_topic_attach(&s, name, NULL, WAIT_MS) == -EUSERS && s == NULL ? 0 : 1);
    }
    ASSERT_ERR(mr_topic_accept(t, WAIT_MS), -EUSERS);
    ASSERT_EQ(mr_test_wait(second), 0);
    publish_n(t, 0, 10);
    ASSERT_OK(mr_topic_destroy(t));
    ASSERT_EQ(mr_test_wait(ss.pid[0]), 0);
}

/* A topic's first subscriber, the messages before it attached not seen;
 * then the publisher closes: -EPIPE after the last message. */
static void test_basic(void)
{
    const char *name = mr_test_svc_name("basic");
    struct mr_topic *t;
    struct mr_topic_opts o = { 1 << 16, MR_TOPIC_RELIABLE, 0, 0, 0, MR_FOREVER, NULL, NULL };
    ASSERT_OK(mr_topic_create(&t, name, &o));
    publish_n(t, 0, 10);
    struct subs ss = { { 0 }, 0 };
    struct sub_arg a = { name, 10, 1000, -1, true };
    start_subs(t, &ss, 1, &a);
    ASSERT_EQ(mr_topic_subscribers(t), 1);
    ASSERT_EQ(mr_topic_sub_pid(t, 0), ss.pid[0]);
    publish_n(t, 10, 1000);
    ASSERT_OK(mr_topic_destroy(t));
    ASSERT_EQ(mr_test_wait(ss.pid[0]), 0);
}

/* Eight subscriber processes each receive every message of many (a
 * million in a plain build), in order, every byte checked; half copy, half
 * read in place. The publisher's figures add up. */
static void test_eight(void)
{
    const char *name = mr_test_svc_name("eight");
    uint64_t n = mr_test_scale(1000000);
    struct mr_topic *t;
    struct mr_topic_opts o = { 1 << 16, MR_TOPIC_RELIABLE, 0, 0, 0, MR_FOREVER, NULL, NULL };
    ASSERT_OK(mr_topic_create(&t, name, &o));
    struct subs ss = { { 0 }, 0 };
    struct sub_arg a = { name, 0, n, -1, false };
    start_subs(t, &ss, 4, &a);
    a.zero_copy = true;
    start_subs(t, &ss, 4, &a);
    ASSERT_EQ(mr_topic_subscribers(t), 8);
    int64_t t0 = mr_test_now_ms();
    publish_n(t, 0, n);
    struct mr_topic_stats st;
    mr_topic_stats(t, &st);
    ASSERT_EQ(st.messages, n);
    ASSERT_EQ(st.accepted, 8u);
    ASSERT_EQ(st.dropped, 0u);
    ASSERT_OK(mr_topic_destroy(t));
    for (int i = 0; i < ss.n; i++)
        ASSERT_EQ(mr_test_wait(ss.pid[i]), 0);
    printf("eight: %llu messages to 8 subscribers in %lld ms\n", (unsigned long long)n,
           (long long)(mr_test_now_ms() - t0));
}

/* A subscriber SIGKILLed mid-stream: the publisher drops it and the
 * others get every message. */
static void sleepy(void *p)
{
    struct sub_arg *a = p;
    struct mr_topic_sub *s;
    /* A parent that fails must not leave this child holding ctest's pipes. */
    mr_test_die_with_parent();
    ASSERT_OK(mr_topic_attach(&s, a->name, NULL, WAIT_MS));
    ASSERT_EQ(write(a->ready, "r", 1), 1);
    unsigned char buf[256];
    for (;;) {
        ASSERT_GE(mr_topic_recv(s, MR_REGION_OF_ARRAY(buf), WAIT_MS, NULL), 0);
    }
}

static void test_killed(void)
{
    const char *name = mr_test_svc_name("killed");
    uint64_t n = mr_test_scale(200000);
    struct mr_topic *t;
    struct mr_topic_opts o = { 1 << 14, MR_TOPIC_RELIABLE, 0, 0, 0, MR_FOREVER, NULL, NULL };
    ASSERT_OK(mr_topic_create(&t, name, &o));
    struct subs ss = { { 0 }, 0 };
    struct sub_arg a = { name, 0, n, -1, false };
    start_subs(t, &ss, 3, &a);
    int p[2];
    ASSERT_EQ(pipe2(p, O_CLOEXEC), 0);
    struct sub_arg b = { name, 0, 0, p[1], false };
    pid_t victim = mr_test_start(sleepy, &b);
    ASSERT_GE(mr_topic_accept(t, WAIT_MS), 0);
    char c;
    ASSERT_EQ(read(p[0], &c, 1), 1);
    close(p[0]);
    close(p[1]);
    publish_n(t, 0, n / 2);
    ASSERT_EQ(kill(victim, SIGKILL), 0);
    int64_t t0 = mr_test_now_ms();
    publish_n(t, n / 2, n - n / 2);
    struct mr_topic_stats st;
    mr_topic_stats(t, &st);
    ASSERT_EQ(st.dropped, 1u);
    ASSERT_EQ(mr_topic_subscribers(t), 3);
    ASSERT_OK(mr_topic_destroy(t));
    for (int i = 0; i < ss.n; i++)
        ASSERT_EQ(mr_test_wait(ss.pid[i]), 0);
    ASSERT_EQ(mr_test_wait(victim), 1000 + SIGKILL);
    printf("killed: the rest published %lld ms after the kill\n", (long long)(mr_test_now_ms() - t0));
}

/* A subscriber that attaches and reads nothing until told: the publisher
 * drops it after stall_ms and goes on; its next call is -ECONNABORTED. */
static void stuck(void *p)
{
    struct sub_arg *a = p;
    struct mr_topic_sub *s;
    /* A parent that fails must not leave this child holding ctest's pipes. */
    mr_test_die_with_parent();
    ASSERT_OK(mr_topic_attach(&s, a->name, NULL, WAIT_MS));
    ASSERT_EQ(write(a->ready, "r", 1), 1);
    char c;
    ASSERT_EQ(read((int)a->first, &c, 1), 1); /* the test says: now read */
    struct mr_region r;
    ASSERT_ERR(mr_topic_peek(s, WAIT_MS, &r, NULL), -ECONNABORTED);
    unsigned char buf[64];
    ASSERT_ERR(mr_topic_recv(s, MR_REGION_OF_ARRAY(buf), 0, NULL), -ECONNABORTED);
    ASSERT_OK(mr_topic_detach(s));
}

static void test_stuck(void)
{
    const char *name = mr_test_svc_name("stuck");
    uint64_t n = 20000;
    struct mr_topic *t;
    int stall = stall_limit(200);
    struct mr_topic_opts o = { 1 << 12, MR_TOPIC_RELIABLE, 0, 0, 0, stall, NULL, NULL };
    ASSERT_OK(mr_topic_create(&t, name, &o));
    struct subs ss = { { 0 }, 0 };
    struct sub_arg a = { name, 0, n, -1, false };
    start_subs(t, &ss, 2, &a);
    int go[2], p[2];
    ASSERT_EQ(pipe2(go, O_CLOEXEC), 0);
    ASSERT_EQ(pipe2(p, O_CLOEXEC), 0);
    struct sub_arg b = { name, (uint64_t)go[0], 0, p[1], false };
    pid_t pid = mr_test_start(stuck, &b);
    ASSERT_GE(mr_topic_accept(t, WAIT_MS), 0);
    char c;
    ASSERT_EQ(read(p[0], &c, 1), 1);
    int64_t t0 = mr_test_now_ms();
    publish_n(t, 0, n);
    int64_t took = mr_test_now_ms() - t0;
    struct mr_topic_stats st;
    mr_topic_stats(t, &st);
    ASSERT_EQ(st.dropped, 1u);
    ASSERT_GE(took, stall);
    ASSERT_LT(took, stall + 5000);
    ASSERT_EQ(write(go[1], "g", 1), 1);
    ASSERT_EQ(mr_test_wait(pid), 0);
    ASSERT_OK(mr_topic_destroy(t));
    for (int i = 0; i < ss.n; i++)
        ASSERT_EQ(mr_test_wait(ss.pid[i]), 0);
    close(go[0]);
    close(go[1]);
    close(p[0]);
    close(p[1]);
}

/* ---- the hostile subscriber ------------------------------------------------------ */

/* Every mapping of ours whose file is a topic object: try to make it
 * writable (mprotect, and a fresh shared mapping through
 * /proc/self/map_files, which gives a read-write fd to the same file):
 * the data object must refuse both. Scribble random bytes over every page
 * that is writable (the control page). Returns how many data mappings
 * were found. */
static int scribble(uint64_t *rng)
{
    FILE *f = fopen("/proc/self/maps", "r");
    ASSERT_TRUE(f != NULL);
    char line[512];
    int data = 0;
    while (fgets(line, sizeof line, f)) {
        unsigned long lo, hi;
        char perms[8];
        if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) != 3 || !strstr(line, "memfd:memregion-topic"))
            continue;
        void *p = (void *)lo;
        size_t len = hi - lo;
        if (strstr(line, "memregion-topic-ctl")) {
            ASSERT_EQ(perms[1], 'w');
            for (size_t i = 0; i + 8 <= len; i += 8) {
                uint64_t v = mr_test_rand(rng);
                memcpy((char *)p + i, &v, 8);
            }
            continue;
        }
        data++;
        ASSERT_EQ(perms[1], '-');
        ASSERT_EQ(mprotect(p, len, PROT_READ | PROT_WRITE), -1);
        char path[128];
        snprintf(path, sizeof path, "/proc/self/map_files/%lx-%lx", lo, hi);
        int fd = open(path, O_RDWR | O_CLOEXEC);
        if (fd >= 0) {
            ASSERT_TRUE(mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) == MAP_FAILED);
            ASSERT_EQ(write(fd, "x", 1), -1);
            ASSERT_EQ(ftruncate(fd, 0), -1);
            close(fd);
        }
    }
    fclose(f);
    return data;
}

static void scribbler(void *p)
{
    struct sub_arg *a = p;
    struct mr_topic_sub *s;
    /* A parent that fails must not leave this child holding ctest's pipes. */
    mr_test_die_with_parent();
    ASSERT_OK(mr_topic_attach(&s, a->name, NULL, WAIT_MS));
    ASSERT_EQ(write(a->ready, "r", 1), 1);
    uint64_t rng = (uint64_t)getpid();
    unsigned char buf[256];
    for (int round = 0; round < 200; round++) {
        ASSERT_GE(scribble(&rng), 1);
        ssize_t n = mr_topic_recv(s, MR_REGION_OF_ARRAY(buf), 100, NULL);
        if (n == -ECONNABORTED || n == -EPIPE)
            break; /* dropped, as it deserves; or the end */
        usleep(100);
    }
    mr_topic_detach(s);
}

static void test_scribbler(void)
{
    const char *name = mr_test_svc_name("scribble");
    uint64_t n = mr_test_scale(100000);
    /* Started before the topic exists (attach waits for it): it inherits
     * none of the publisher's writable mappings. */
    int p[2];
    ASSERT_EQ(pipe2(p, O_CLOEXEC), 0);
    struct sub_arg b = { name, 0, 0, p[1], false };
    pid_t bad = mr_test_start(scribbler, &b);
    struct mr_topic *t;
    struct mr_topic_opts o = { 1 << 14, MR_TOPIC_RELIABLE, 0, 0, 0, stall_limit(500), NULL, NULL };
    ASSERT_OK(mr_topic_create(&t, name, &o));
    ASSERT_GE(mr_topic_accept(t, WAIT_MS), 0);
    char c;
    ASSERT_EQ(read(p[0], &c, 1), 1);
    close(p[0]);
    close(p[1]);
    struct subs ss = { { 0 }, 0 };
    struct sub_arg a = { name, 0, n, -1, false };
    start_subs(t, &ss, 3, &a);
    publish_n(t, 0, n);
    struct mr_topic_stats st;
    mr_topic_stats(t, &st);
    printf("scribbler: dropped %llu\n", (unsigned long long)st.dropped);
    ASSERT_OK(mr_topic_destroy(t));
    for (int i = 0; i < ss.n; i++)
        ASSERT_EQ(mr_test_wait(ss.pid[i]), 0);
    ASSERT_EQ(mr_test_wait(bad), 0);
}

/* ---- dropped with its record whole ---------------------------------------------- */

struct attach_arg {
    const char *name;
    struct mr_topic_sub *s;
};

static void *attach_thread(void *p)
{
    struct attach_arg *a = p;
    ASSERT_OK(mr_topic_attach(&a->s, a->name, NULL, WAIT_MS));
    return NULL;
}

/* One process holds both ends (attached from a thread that then ends):
 * the subscriber breaks the protocol (an unaligned position in its control
 * page), mr_topic_check drops it, and every next call says -ECONNABORTED
 * although the records at its position were not overwritten: a release of
 * the record it holds, a receive of the next (which the fast path copies
 * before it looks at the drop), a peek. Neither counts as received. */
static void test_dropped_whole(void)
{
    const char *name = mr_test_svc_name("whole");
    struct mr_topic *t;
    struct mr_topic_opts o = { 1 << 16, MR_TOPIC_RELIABLE, 0, 0, 0, 0, NULL, NULL };
    ASSERT_OK(mr_topic_create(&t, name, &o));
    struct attach_arg a = { name, NULL };
    pthread_t th;
    ASSERT_EQ(pthread_create(&th, NULL, attach_thread, &a), 0);
    ASSERT_GE(mr_topic_accept(t, WAIT_MS), 0);
    ASSERT_EQ(pthread_join(th, NULL), 0);
    struct mr_topic_sub *s = a.s;
    unsigned char m[64], buf[64];
    for (uint64_t i = 0; i < 3; i++) {
        msg_fill(m, i, sizeof m);
        ASSERT_EQ(mr_topic_publish(t, mr_region_make(m, sizeof m), 0), (ssize_t)sizeof m);
    }
    ASSERT_EQ(mr_topic_recv(s, MR_REGION_OF_ARRAY(buf), 0, NULL), (ssize_t)sizeof buf);
    msg_fill(m, 0, sizeof m);
    ASSERT_EQ(memcmp(buf, m, sizeof m), 0);
    struct mr_region r;
    ASSERT_OK(mr_topic_peek(s, 0, &r, NULL));
    ASSERT_EQ(r.len, sizeof m);
    __atomic_store_n(mr__topic_u64(s->ctl, MR__TOPIC_C_POS), s->pos + 3, __ATOMIC_RELAXED);
    ASSERT_EQ(mr_topic_check(t), 0);
    ASSERT_ERR(mr_topic_release(s), -ECONNABORTED);
    ASSERT_ERR(mr_topic_recv(s, MR_REGION_OF_ARRAY(buf), 0, NULL), -ECONNABORTED);
    ASSERT_ERR(mr_topic_peek(s, 0, &r, NULL), -ECONNABORTED);
    struct mr_topic_stats st;
    mr_topic_sub_stats(s, &st);
    ASSERT_EQ(st.messages, 1u);
    ASSERT_EQ(st.bytes, sizeof m);
    ASSERT_OK(mr_topic_detach(s));
    ASSERT_OK(mr_topic_destroy(t));
}

#define RUN(fn) MR_TEST_SVC_RUN(fn)

int main(void)
{
    mr_test_svc_setup();
    RUN(test_args);
    RUN(test_basic);
    RUN(test_full);
    RUN(test_eight);
    RUN(test_killed);
    RUN(test_stuck);
    RUN(test_scribbler);
    RUN(test_dropped_whole);
    return 0;
}
