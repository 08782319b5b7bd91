/* SPDX-License-Identifier: MIT */
/* test/test_topic_poll.c: a subscription's pollable fd (mr_topic_event_fd,
 * _arm, _ack): an armed subscription's fd stays quiet until the publisher
 * publishes, then polls readable; a message there makes arm say 1; one
 * subscriber process follows three publishers with one waitset (each
 * publisher's messages in order, every one; each publisher's close seen
 * as -EPIPE), with pauses so that it really sleeps in epoll; a publisher
 * that dies hangs the fd up (-ECONNRESET); a dropped subscriber's fd hangs
 * up too (-ECONNABORTED). */
#include "svc_test.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>

#define WAIT_MS 10000
#define PUBS 3

struct follow {
    const char *names[PUBS];
    uint64_t n;
    int ready; /* write end: a byte once armed with nothing to read */
    int go;    /* read end: a byte once the first message is out */
};

static bool readable(int fd, int ms)
{
    struct pollfd p = { fd, POLLIN, 0 };
    return poll(&p, 1, ms) == 1 && (p.revents & (POLLIN | POLLHUP));
}

static void follower(void *p)
{
    struct follow *a = p;
    struct mr_topic_sub *s[PUBS];
    for (int i = 0; i < PUBS; i++)
        ASSERT_OK(mr_topic_attach(&s[i], a->names[i], NULL, WAIT_MS));
    /* Nothing yet: arm says 0, the fd stays quiet. */
    int fd = mr_topic_event_fd(s[0]);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(mr_topic_arm(s[0]), 0);
    ASSERT_FALSE(readable(fd, 0));
    ASSERT_EQ(write(a->ready, "r", 1), 1);
    ASSERT_TRUE(readable(fd, WAIT_MS));
    ASSERT_OK(mr_topic_ack(s[0]));
    ASSERT_FALSE(readable(fd, 0));
    ASSERT_EQ(mr_topic_arm(s[0]), 1);
    char c;
    ASSERT_EQ(read(a->go, &c, 1), 1);

    struct mr_waitset *ws;
    ASSERT_OK(mr_waitset_create(&ws));
    for (int i = 0; i < PUBS; i++)
        ASSERT_OK(mr_waitset_add_fd(ws, mr_topic_event_fd(s[i]), POLLIN, s[i]));
    uint64_t next[PUBS] = { 0 };
    bool ended[PUBS] = { false };
    int live = PUBS;
    uint64_t sleeps = 0;
    while (live > 0) {
        bool progress = false;
        for (int i = 0; i < PUBS; i++) {
            if (ended[i])
                continue;
            uint64_t m, lost;
            ssize_t k;
            while ((k = mr_topic_recv(s[i], mr_region_make(&m, 8), 0, &lost)) == 8) {
                /* The latest topic may lap us: told exactly by how much. */
                ASSERT_EQ(m, next[i] + lost);
                if (i != 1)
                    ASSERT_EQ(lost, 0u);
                next[i] = m + 1;
            }
            if (k == -EPIPE) {
                ASSERT_OK(mr_waitset_remove_fd(ws, mr_topic_event_fd(s[i])));
                ended[i] = true;
                live--;
                continue;
            }
            ASSERT_ERR(k, -EAGAIN);
            int rc = mr_topic_arm(s[i]);
            ASSERT_GE(rc, 0);
            if (rc == 1)
                progress = true;
        }
        if (progress || live == 0)
            continue;
        struct mr_waitset_event ev[PUBS];
        int n = mr_waitset_wait(ws, WAIT_MS, ev, PUBS);
        ASSERT_GT(n, 0);
        sleeps++;
        for (int j = 0; j < n; j++)
            ASSERT_OK(mr_topic_ack(ev[j].tag));
    }
    for (int i = 0; i < PUBS; i++) {
        ASSERT_EQ(next[i], a->n);
        ASSERT_OK(mr_topic_detach(s[i]));
    }
    ASSERT_GT(sleeps, 0u);
    ASSERT_OK(mr_waitset_destroy(ws));
}

static void test_waitset(void)
{
    uint64_t n = mr_test_scale(100000);
    int rd[2], go[2];
    ASSERT_EQ(pipe2(rd, O_CLOEXEC), 0);
    ASSERT_EQ(pipe2(go, O_CLOEXEC), 0);
    struct follow a = { { mr_test_svc_name("pa"), mr_test_svc_name("pb"), mr_test_svc_name("pc") },
                        n, rd[1], go[0] };
    pid_t pid = mr_test_start(follower, &a);
    /* The follower's ends only: one that fails ends the read below. */
    close(rd[1]);
    close(go[0]);
    struct mr_topic *t[PUBS];
    for (int i = 0; i < PUBS; i++) {
        struct mr_topic_opts o = { 1 << 12, i == 1 ? MR_TOPIC_LATEST : MR_TOPIC_RELIABLE,
                                   i == 2 ? MR_TOPIC_FENCED : 0, 0, 0, MR_FOREVER, NULL, NULL };
        ASSERT_OK(mr_topic_create(&t[i], a.names[i], &o));
        ASSERT_GE(mr_topic_accept(t[i], WAIT_MS), 0);
    }
    char c;
    ASSERT_EQ(read(rd[0], &c, 1), 1);
    uint64_t zero = 0;
    ASSERT_EQ(mr_topic_publish(t[0], mr_region_make(&zero, 8), WAIT_MS), 8);
    ASSERT_EQ(write(go[1], "g", 1), 1);
    uint64_t sent[PUBS] = { 1, 0, 0 };
    uint64_t rng = 42;
    for (uint64_t k = 0; k < 3 * n - 1; k++) {
        int i = (int)(mr_test_rand(&rng) % PUBS);
        while (sent[i] == n)
            i = (i + 1) % PUBS;
        ASSERT_EQ(mr_topic_publish(t[i], mr_region_make(&sent[i], 8), WAIT_MS), 8);
        sent[i]++;
        /* Pauses: the follower empties everything and sleeps in epoll. */
        if (k % 1000 == 999)
            usleep(2000);
    }
    for (int i = 0; i < PUBS; i++)
        ASSERT_OK(mr_topic_destroy(t[i]));
    ASSERT_EQ(mr_test_wait(pid), 0);
    close(rd[0]);
    close(go[1]);
}

/* The publisher dies (its process is killed): the armed subscriber's fd
 * hangs up and the next call says -ECONNRESET. */
static void test_publisher_dies(void)
{
    const char *name = mr_test_svc_name("dies");
    pid_t pub = mr_test_fork();
    if (pub == 0) {
        struct mr_topic *t;
        mr_test_die_with_parent(); /* killed below, or with a failing parent */
        if (mr_topic_create(&t, name, NULL) != 0 || mr_topic_accept(t, WAIT_MS) < 0)
            _exit(1);
        uint64_t v = 7;
        mr_topic_publish(t, mr_region_make(&v, 8), WAIT_MS);
        for (;;)
            pause();
    }
    struct mr_topic_sub *s;
    ASSERT_OK(mr_topic_attach(&s, name, NULL, WAIT_MS));
    uint64_t v = 0;
    ASSERT_EQ(mr_topic_recv(s, mr_region_make(&v, 8), WAIT_MS, NULL), 8);
    ASSERT_EQ(v, 7u);
    ASSERT_EQ(mr_topic_arm(s), 0);
    ASSERT_EQ(kill(pub, SIGKILL), 0);
    ASSERT_EQ(mr_test_wait(pub), 1000 + SIGKILL);
    ASSERT_TRUE(readable(mr_topic_event_fd(s), WAIT_MS));
    ASSERT_OK(mr_topic_ack(s));
    ASSERT_ERR(mr_topic_recv(s, mr_region_make(&v, 8), 0, NULL), -ECONNRESET);
    ASSERT_ERR(mr_topic_arm(s), -ECONNRESET);
    ASSERT_OK(mr_topic_detach(s));
    /* The dead publisher's socket file is replaced by the next one. */
    struct mr_topic *t;
    ASSERT_OK(mr_topic_create(&t, name, NULL));
    ASSERT_OK(mr_topic_destroy(t));
}

/* A subscriber dropped (stalled) while armed: its fd hangs up, and the
 * next call says -ECONNABORTED. */
static void test_dropped_armed(void)
{
    const char *name = mr_test_svc_name("drop");
    int rd[2];
    ASSERT_EQ(pipe2(rd, O_CLOEXEC), 0);
    pid_t pid = mr_test_fork();
    if (pid == 0) {
        struct mr_topic_sub *s;
        bool ok = mr_topic_attach(&s, name, NULL, WAIT_MS) == 0;
        ok = ok && write(rd[1], "r", 1) == 1;
        /* Hold the publisher: read nothing until the fd says something. */
        ok = ok && readable(mr_topic_event_fd(s), WAIT_MS) && mr_topic_ack(s) == 0;
        uint64_t v;
        ssize_t k = 0;
        while (ok && (k = mr_topic_recv(s, mr_region_make(&v, 8), 0, NULL)) == 8)
            ;
        ok = ok && k == -ECONNABORTED && mr_topic_arm(s) == -ECONNABORTED;
        mr_topic_detach(s);
        _exit(ok ? 0 : 1);
    }
    struct mr_topic *t;
    struct mr_topic_opts o = { 4096, MR_TOPIC_RELIABLE, 0, 0, 0, 100, NULL, NULL };
    ASSERT_OK(mr_topic_create(&t, name, &o));
    ASSERT_GE(mr_topic_accept(t, WAIT_MS), 0);
    char c;
    ASSERT_EQ(read(rd[0], &c, 1), 1);
    /* Its fd is not armed yet: published messages ring nothing until it
     * arms; it is dropped after 100 ms of holding the publisher. */
    for (uint64_t i = 0; i < 2000; i++)
        ASSERT_EQ(mr_topic_publish(t, mr_region_make(&i, 8), WAIT_MS), 8);
    struct mr_topic_stats st;
    mr_topic_stats(t, &st);
    ASSERT_EQ(st.dropped, 1u);
    ASSERT_EQ(mr_test_wait(pid), 0);
    ASSERT_OK(mr_topic_destroy(t));
    close(rd[0]);
    close(rd[1]);
}

#define RUN(fn) MR_TEST_SVC_RUN(fn)

int main(void)
{
    mr_test_svc_setup();
    RUN(test_waitset);
    RUN(test_publisher_dies);
    RUN(test_dropped_armed);
    return 0;
}
