/* SPDX-License-Identifier: MIT */
/* test/test_topic_latest.c: the latest policy and late joiners
 * (memregion/topic.h): a publisher overwriting as fast as it can never
 * waits, even for a subscriber that reads nothing; slow subscribers (one
 * copying, one reading in place) are told exactly how many messages they
 * lost and never see a torn one (every message carries a checksum of its
 * bytes); a late joiner gets exactly the last K messages (fewer when fewer
 * were published or fewer fit), in both policies. */
#include "svc_test.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>

#define WAIT_MS 10000

/* Message i: u64 i, u64 checksum of the rest, then bytes from i. */
static size_t msg_len(uint64_t i)
{
    return 16 + (size_t)(mr_test_mix(i) % 1000);
}

static uint64_t sum(const unsigned char *p, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t j = 0; j < n; j++)
        h = (h ^ p[j]) * 1099511628211ULL;
    return h;
}

static void msg_fill(unsigned char *p, uint64_t i, size_t len)
{
    uint64_t st = i;
    memcpy(p, &i, 8);
    for (size_t j = 16; j < len; j++)
        p[j] = (unsigned char)mr_test_rand(&st);
    uint64_t h = sum(p + 16, len - 16);
    memcpy(p + 8, &h, 8);
}

/* The message is whole: its length, its checksum; its number in *i. */
static bool msg_whole(const unsigned char *p, size_t len, uint64_t *i)
{
    uint64_t h;
    if (len < 16)
        return false;
    memcpy(i, p, 8);
    memcpy(&h, p + 8, 8);
    return len == msg_len(*i) && h == sum(p + 16, len - 16);
}

struct slow {
    const char *name;
    int ready;
    int result; /* write end: the counts, as three u64: received, lost, stale */
    int first;  /* write end: a byte once the first message is read */
    int go;     /* read end: a byte once the publisher has lapped us */
    bool zero_copy;
};

/* Read slowly to the end (-EPIPE): every message whole, numbers rising,
 * each gap exactly what lost says. */
static void slow_sub(void *p)
{
    struct slow *a = p;
    struct mr_topic_sub *s;
    mr_test_die_with_parent();
    ASSERT_OK(mr_topic_attach(&s, a->name, NULL, WAIT_MS));
    ASSERT_EQ(write(a->ready, "r", 1), 1);
    static unsigned char buf[1 << 12];
    uint64_t next = 0, got = 0, lost_total = 0, stale = 0;
    for (;;) {
        uint64_t lost = 0, i = 0;
        if (a->zero_copy) {
            struct mr_region r;
            int rc = mr_topic_peek(s, WAIT_MS, &r, &lost);
            if (rc == -EPIPE)
                break;
            ASSERT_OK(rc);
            bool whole = msg_whole(r.ptr, r.len, &i);
            rc = mr_topic_release(s);
            lost_total += lost;
            if (rc == -ESTALE) {
                /* Overwritten while held: whatever was read is void. */
                stale++;
                next += lost + 1;
                continue;
            }
            ASSERT_OK(rc);
            ASSERT_TRUE(whole);
        } else {
            ssize_t n = mr_topic_recv(s, MR_REGION_OF_ARRAY(buf), WAIT_MS, &lost);
            if (n == -EPIPE)
                break;
            ASSERT_GE(n, 16);
            ASSERT_TRUE(msg_whole(buf, (size_t)n, &i));
            lost_total += lost;
        }
        ASSERT_EQ(i, next + lost);
        next = i + 1;
        got++;
        /* After the first message, wait until the publisher has lapped us
         * (it says so), however loaded the machine; then read slowly. */
        if (got == 1) {
            char c;
            ASSERT_EQ(write(a->first, "f", 1), 1);
            ASSERT_EQ(read(a->go, &c, 1), 1);
        } else if (got % 64 == 0) {
            usleep(200);
        }
    }
    struct mr_topic_stats st;
    mr_topic_sub_stats(s, &st);
    ASSERT_EQ(st.messages, got);
    ASSERT_EQ(st.lost, lost_total + stale);
    uint64_t out[3] = { got, lost_total, stale };
    ASSERT_EQ(write(a->result, out, sizeof out), (ssize_t)sizeof out);
    ASSERT_OK(mr_topic_detach(s));
}

/* A subscriber that attaches and sleeps until killed. */
static void idle_sub(void *p)
{
    struct slow *a = p;
    struct mr_topic_sub *s;
    mr_test_die_with_parent();
    ASSERT_OK(mr_topic_attach(&s, a->name, NULL, WAIT_MS));
    ASSERT_EQ(write(a->ready, "r", 1), 1);
    for (;;)
        pause();
}

static void test_stress(void)
{
    const char *name = mr_test_svc_name("latest");
    uint64_t n = mr_test_scale(300000);
    struct mr_topic *t;
    struct mr_topic_opts o = { 1 << 15, MR_TOPIC_LATEST, 0, 0, 0, 0, NULL, NULL };
    ASSERT_OK(mr_topic_create(&t, name, &o));
    int rd[2], res[2], first[2], go[2];
    ASSERT_EQ(pipe2(rd, O_CLOEXEC), 0);
    ASSERT_EQ(pipe2(res, O_CLOEXEC), 0);
    ASSERT_EQ(pipe2(first, O_CLOEXEC), 0);
    ASSERT_EQ(pipe2(go, O_CLOEXEC), 0);
    struct slow a = { name, rd[1], res[1], first[1], go[0], false };
    pid_t pid[3];
    pid[0] = mr_test_start(slow_sub, &a);
    ASSERT_GE(mr_topic_accept(t, WAIT_MS), 0);
    a.zero_copy = true;
    pid[1] = mr_test_start(slow_sub, &a);
    ASSERT_GE(mr_topic_accept(t, WAIT_MS), 0);
    pid[2] = mr_test_start(idle_sub, &a);
    ASSERT_GE(mr_topic_accept(t, WAIT_MS), 0);
    /* Only the subscribers hold the write ends now: one that fails
     * closes them, and the reads below see the end instead of hanging. */
    close(rd[1]);
    close(res[1]);
    close(first[1]);
    char c;
    for (int i = 0; i < 3; i++)
        ASSERT_EQ(read(rd[0], &c, 1), 1);
    static unsigned char m[1 << 12];
    for (uint64_t i = 0; i < n; i++) {
        size_t len = msg_len(i);
        msg_fill(m, i, len);
        /* Never waits: timeout 0 always succeeds. */
        ASSERT_EQ(mr_topic_publish(t, mr_region_make(m, len), 0), (ssize_t)len);
        if (i == 0) {
            /* Both slow ones have read message 0 and wait: lap them (the
             * ring holds about 60 of these), then let them go on. */
            ASSERT_EQ(read(first[0], &c, 1), 1);
            ASSERT_EQ(read(first[0], &c, 1), 1);
        } else if (i == 1000 || (n <= 1000 && i == n - 1)) {
            ASSERT_EQ(write(go[1], "gg", 2), 2);
        }
    }
    ASSERT_EQ(mr_topic_subscribers(t), 3);
    ASSERT_OK(mr_topic_destroy(t));
    for (int k = 0; k < 2; k++) {
        uint64_t out[3];
        ASSERT_EQ(read(res[0], out, sizeof out), (ssize_t)sizeof out);
        /* Every message is accounted for exactly: read, lost, or stale. */
        ASSERT_EQ(out[0] + out[1] + out[2], n);
        ASSERT_GT(out[1], 0u);
        printf("latest: %llu messages: one subscriber read %llu, lost %llu, stale %llu\n",
               (unsigned long long)n, (unsigned long long)out[0], (unsigned long long)out[1],
               (unsigned long long)out[2]);
    }
    ASSERT_EQ(mr_test_wait(pid[0]), 0);
    ASSERT_EQ(mr_test_wait(pid[1]), 0);
    kill(pid[2], SIGKILL);
    ASSERT_EQ(mr_test_wait(pid[2]), 1000 + SIGKILL);
    close(rd[0]);
    close(res[0]);
    close(first[0]);
    close(go[0]);
    close(go[1]);
}

/* ---- late joiners ---------------------------------------------------------------- */

struct joiner {
    const char *name;
    uint64_t first; /* the first message it must get */
    uint64_t n;     /* how many, then -EAGAIN */
    int ready;
};

static void joiner(void *p)
{
    struct joiner *a = p;
    struct mr_topic_sub *s;
    mr_test_die_with_parent();
    ASSERT_OK(mr_topic_attach(&s, a->name, NULL, WAIT_MS));
    unsigned char buf[1 << 12];
    for (uint64_t k = 0; k < a->n; k++) {
        uint64_t i, lost = 1;
        ssize_t n = mr_topic_recv(s, MR_REGION_OF_ARRAY(buf), 0, &lost);
        ASSERT_GE(n, 16);
        ASSERT_TRUE(msg_whole(buf, (size_t)n, &i));
        ASSERT_EQ(i, a->first + k);
        ASSERT_EQ(lost, 0u);
    }
    ASSERT_ERR(mr_topic_recv(s, MR_REGION_OF_ARRAY(buf), 0, NULL), -EAGAIN);
    ASSERT_EQ(write(a->ready, "r", 1), 1);
    ASSERT_ERR(mr_topic_recv(s, MR_REGION_OF_ARRAY(buf), WAIT_MS, NULL), -EPIPE);
    ASSERT_OK(mr_topic_detach(s));
}

static void publish_range(struct mr_topic *t, uint64_t from, uint64_t to)
{
    static unsigned char m[1 << 12];
    for (uint64_t i = from; i < to; i++) {
        size_t len = msg_len(i);
        msg_fill(m, i, len);
        ASSERT_EQ(mr_topic_publish(t, mr_region_make(m, len), WAIT_MS), (ssize_t)len);
    }
}

/* After published messages, a joiner gets exactly the last want of them
 * (messages first..published-1). */
static void join_case(unsigned policy, size_t cap, unsigned keep, uint64_t published,
                      uint64_t first)
{
    const char *name = mr_test_svc_name("join");
    struct mr_topic *t;
    struct mr_topic_opts o = { cap, policy, 0, 0, keep, 0, NULL, NULL };
    ASSERT_OK(mr_topic_create(&t, name, &o));
    publish_range(t, 0, published);
    int rd[2];
    ASSERT_EQ(pipe2(rd, O_CLOEXEC), 0);
    struct joiner a = { name, first, published - first, rd[1] };
    pid_t pid = mr_test_start(joiner, &a);
    close(rd[1]); /* a joiner that fails ends the read below */
    ASSERT_GE(mr_topic_accept(t, WAIT_MS), 0);
    char c;
    ASSERT_EQ(read(rd[0], &c, 1), 1);
    ASSERT_OK(mr_topic_destroy(t));
    ASSERT_EQ(mr_test_wait(pid), 0);
    close(rd[0]);
}

/* The first of the last keep messages of 0..published-1 whose record is
 * still whole in a ring of cap bytes, from the layout docs/topic.md gives
 * (a record is an 8-byte word and the bytes rounded up to 8; publishing
 * also writes the 8-byte word after the last record): what a late joiner
 * must start at when the ring does not hold them all. */
static uint64_t first_whole(size_t cap, unsigned keep, uint64_t published)
{
    uint64_t end = 0;
    for (uint64_t i = 0; i < published; i++)
        end += 8 + ((msg_len(i) + 7) & ~(size_t)7);
    uint64_t reach = end + 8, pos = 0, first = published;
    for (uint64_t i = 0; i < published; i++) {
        if (pos + cap >= reach && first == published)
            first = i;
        pos += 8 + ((msg_len(i) + 7) & ~(size_t)7);
    }
    uint64_t last_k = published > keep ? published - keep : 0;
    return first > last_k ? first : last_k;
}

static void test_late_joiners(void)
{
    for (unsigned policy = 0; policy <= MR_TOPIC_LATEST; policy++) {
        join_case(policy, 1 << 16, 0, 20, 20);  /* keep 0: nothing old */
        join_case(policy, 1 << 16, 5, 20, 15);  /* exactly the last 5 */
        join_case(policy, 1 << 16, 5, 3, 0);    /* only 3 were published */
        join_case(policy, 1 << 16, 5, 0, 0);    /* none */
        join_case(policy, 1 << 16, 60, 1000, 940);
        /* 60 kept, but a 4 KiB ring holds only the last few of them. */
        uint64_t f = first_whole(4096, 60, 1000);
        ASSERT_TRUE(f > 940 && f < 1000);
        join_case(policy, 4096, 60, 1000, f);
    }
}

/* Latest: a subscriber that falls a whole ring behind with the ring
 * exactly full is told the exact count, with no subscriber process: the
 * reader runs in this process between publishes. */
static void test_lapped_exact(void)
{
    const char *name = mr_test_svc_name("lap");
    struct mr_topic *t;
    struct mr_topic_opts o = { 4096, MR_TOPIC_LATEST, 0, 0, 0, 0, NULL, NULL };
    ASSERT_OK(mr_topic_create(&t, name, &o));
    int go[2];
    ASSERT_EQ(pipe2(go, O_CLOEXEC), 0);
    pid_t pid = mr_test_fork();
    if (pid == 0) {
        struct mr_topic_sub *s;
        mr_test_die_with_parent();
        close(go[1]); /* a parent that fails ends the read below */
        int rc = mr_topic_attach(&s, name, NULL, WAIT_MS);
        /* The publisher publishes 100 messages of 56 bytes (64 each) and
         * says so: 4096 bytes hold 63 and the next record's word, so the
         * first 37 were overwritten. */
        char c;
        bool ok = read(go[0], &c, 1) == 1;
        struct mr_region r;
        uint64_t lost = 0;
        ok = ok && rc == 0 && mr_topic_peek(s, 0, &r, &lost) == 0 && lost == 37 && r.len == 56 &&
             ((const unsigned char *)r.ptr)[0] == 37;
        ok = ok && mr_topic_release(s) == 0;
        unsigned char b[64];
        for (int i = 38; ok && i < 100; i++)
            ok = mr_topic_recv(s, MR_REGION_OF_ARRAY(b), 0, &lost) == 56 && lost == 0 && b[55] == i;
        ok = ok && mr_topic_recv(s, MR_REGION_OF_ARRAY(b), 0, &lost) == -EAGAIN;
        mr_topic_detach(s);
        _exit(ok ? 0 : 1);
    }
    ASSERT_GE(mr_topic_accept(t, WAIT_MS), 0);
    unsigned char m[56];
    for (int i = 0; i < 100; i++) {
        memset(m, i, sizeof m);
        ASSERT_EQ(mr_topic_publish(t, MR_REGION_OF_ARRAY(m), 0), 56);
    }
    ASSERT_EQ(write(go[1], "g", 1), 1);
    ASSERT_EQ(mr_test_wait(pid), 0);
    ASSERT_OK(mr_topic_destroy(t));
    close(go[0]);
    close(go[1]);
}

#define RUN(fn) MR_TEST_SVC_RUN(fn)

int main(void)
{
    mr_test_svc_setup();
    RUN(test_lapped_exact);
    RUN(test_late_joiners);
    RUN(test_stress);
    return 0;
}
