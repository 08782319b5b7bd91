/* SPDX-License-Identifier: MIT */
/* test_chan_poll: an end waited on through its fd (mr_chan_event_fd,
 * mr_chan_arm, mr_chan_ack) instead of in a blocking call: a consumer and
 * a producer in another process that wait in poll(2), a close and a death
 * seen through the fd, no ring while nobody is armed, and the errors. */
#include "chan_test.h"

#include <poll.h>
#include <signal.h>
#include <unistd.h>

#define CAP ((size_t)4096)
#define POLL_LIMIT_MS 5000

/* Wait in poll(2) for the end's fd, then take the wake bytes: 0, or fail
 * the test when nothing comes within POLL_LIMIT_MS. */
static void wait_fd(struct mr_chan *c)
{
    struct pollfd p = { mr_chan_event_fd(c), POLLIN, 0 };
    ASSERT_GE(p.fd, 0);
    ASSERT_EQ(poll(&p, 1, POLL_LIMIT_MS), 1);
    ASSERT_OK(mr_chan_ack(c));
}

/* A pair of ends in two processes, shared over a socket pair: the child
 * runs child(c) on its end of the given role and exits 0. */
static pid_t share_pair(struct mr_chan *mine, enum mr_chan_role role, unsigned flags,
                        void (*child)(struct mr_chan *c))
{
    struct mr_sock a = MR_SOCK_INIT, b = MR_SOCK_INIT;
    ASSERT_OK(mr_sock_open_pair(&a, &b, SOCK_STREAM, 0));
    pid_t pid = mr_test_fork();
    if (pid == 0) {
        struct mr_chan c = MR_CHAN_INIT;
        mr_sock_close(&a);
        enum mr_chan_role theirs = role == MR_CHAN_PRODUCER ? MR_CHAN_CONSUMER : MR_CHAN_PRODUCER;
        ASSERT_OK(mr_chan_attach_sock(&c, &b, CAP, theirs, 0, POLL_LIMIT_MS));
        mr_sock_close(&b);
        child(&c);
        mr_chan_close(&c);
        _exit(0);
    }
    ASSERT_OK(mr_sock_close(&b));
    ASSERT_OK(mr_chan_create(mine, CAP, role, flags));
    ASSERT_OK(mr_chan_share(mine, &a));
    ASSERT_OK(mr_sock_close(&a));
    return pid;
}

#define N_MSGS 2000

/* The child produces N_MSGS numbered messages, pausing now and then so
 * that the consumer runs dry and waits in poll. */
static void produce_slowly(struct mr_chan *p)
{
    for (uint32_t i = 0; i < N_MSGS; i++) {
        if (i % 100 == 0)
            usleep(2000);
        ASSERT_EQ(mr_chan_send(p, mr_region_make(&i, sizeof i), POLL_LIMIT_MS), (ssize_t)sizeof i);
    }
}

/* A consumer that never blocks in the library: every message arrives, in
 * order, and the producer rang it (its wakes) when it waited. */
static void test_consumer_polls(unsigned flags)
{
    struct mr_chan c = MR_CHAN_INIT;
    pid_t pid = share_pair(&c, MR_CHAN_CONSUMER, flags, produce_slowly);
    uint32_t want = 0, got;
    unsigned polls = 0;
    for (;;) {
        ssize_t n;
        while ((n = mr_chan_try_recv(&c, MR_REGION_OF(got))) >= 0) {
            ASSERT_EQ(n, (ssize_t)sizeof got);
            ASSERT_EQ(got, want);
            want++;
        }
        if (n == -EPIPE)
            break;
        ASSERT_ERR(n, -EAGAIN);
        int rc = mr_chan_arm(&c, 0);
        ASSERT_GE(rc, 0);
        if (rc == 0) {
            wait_fd(&c);
            polls++;
        }
    }
    ASSERT_EQ(want, (uint32_t)N_MSGS);
    ASSERT_GT(polls, 0u);
    ASSERT_EQ(mr_test_wait(pid), 0);
    ASSERT_OK(mr_chan_close(&c));
}

static void test_consumer_polls_light(void) { test_consumer_polls(0); }
static void test_consumer_polls_fenced(void) { test_consumer_polls(MR_CHAN_FENCED); }

/* The child consumes everything, slowly. */
static void consume_slowly(struct mr_chan *c)
{
    char buf[1024];
    uint64_t total = 0;
    ssize_t n;
    while ((n = mr_chan_recv(c, MR_REGION_OF_ARRAY(buf), POLL_LIMIT_MS)) >= 0) {
        total += (uint64_t)n;
        if (total % (16 * 1000) < 1000)
            usleep(1000);
    }
    ASSERT_ERR(n, -EPIPE);
    ASSERT_EQ(total, (uint64_t)200 * 1000);
}

/* A producer that waits for room in poll. */
static void test_producer_polls(void)
{
    struct mr_chan p = MR_CHAN_INIT;
    pid_t pid = share_pair(&p, MR_CHAN_PRODUCER, 0, consume_slowly);
    char msg[1000];
    memset(msg, 'x', sizeof msg);
    unsigned polls = 0;
    for (int sent = 0; sent < 200;) {
        ssize_t n = mr_chan_try_send(&p, MR_REGION_OF_ARRAY(msg));
        if (n >= 0) {
            sent++;
            continue;
        }
        ASSERT_ERR(n, -EAGAIN);
        int rc = mr_chan_arm(&p, sizeof msg);
        ASSERT_GE(rc, 0);
        if (rc == 0) {
            wait_fd(&p);
            polls++;
        }
    }
    ASSERT_GT(polls, 0u);
    ASSERT_OK(mr_chan_close(&p));
    ASSERT_EQ(mr_test_wait(pid), 0);
}

/* The child closes at once, after the parent armed; or dies. */
static int sync_pipe[2];

static void close_later(struct mr_chan *c)
{
    (void)c;
    char x;
    ASSERT_EQ(read(sync_pipe[0], &x, 1), 1);
}

static void die_later(struct mr_chan *c)
{
    (void)c;
    char x;
    ASSERT_EQ(read(sync_pipe[0], &x, 1), 1);
    raise(SIGKILL);
}

/* An armed end learns of a close (-EPIPE) and of a death (-ECONNRESET)
 * through its fd. */
static void test_gone(bool dies)
{
    ASSERT_EQ(pipe(sync_pipe), 0);
    struct mr_chan c = MR_CHAN_INIT;
    pid_t pid = share_pair(&c, MR_CHAN_CONSUMER, 0, dies ? die_later : close_later);
    close(sync_pipe[0]);
    ASSERT_EQ(mr_chan_arm(&c, 0), 0);
    ASSERT_EQ(write(sync_pipe[1], "g", 1), 1);
    wait_fd(&c);
    struct mr_region m;
    ASSERT_ERR(mr_chan_try_peek(&c, &m), dies ? -ECONNRESET : -EPIPE);
    ASSERT_ERR(mr_chan_arm(&c, 0), dies ? -ECONNRESET : -EPIPE);
    ASSERT_EQ(mr_test_wait(pid), dies ? 1000 + SIGKILL : 0);
    close(sync_pipe[1]);
    ASSERT_OK(mr_chan_close(&c));
}

static void test_closed_peer(void) { test_gone(false); }
static void test_dead_peer(void) { test_gone(true); }

/* Nobody armed: no byte on the socket, no wake counted, however many
 * messages; arm says 1 when there is something to do, and a held message
 * counts. */
static void test_quiet_when_busy(void)
{
    struct mr_sock a = MR_SOCK_INIT, b = MR_SOCK_INIT;
    ASSERT_OK(mr_sock_open_pair(&a, &b, SOCK_STREAM, 0));
    struct mr_chan p = MR_CHAN_INIT, c = MR_CHAN_INIT;
    ASSERT_OK(mr_chan_create(&p, CAP, MR_CHAN_PRODUCER, 0));
    ASSERT_OK(mr_chan_share(&p, &a));
    ASSERT_OK(mr_chan_attach_sock(&c, &b, CAP, MR_CHAN_CONSUMER, 0, POLL_LIMIT_MS));
    for (uint32_t i = 0; i < 10000; i++) {
        ASSERT_EQ(mr_chan_send(&p, mr_region_make(&i, sizeof i), 0), 4);
        uint32_t got;
        ASSERT_EQ(mr_chan_recv(&c, MR_REGION_OF(got), 0), 4);
    }
    struct mr_chan_stats st;
    mr_chan_stats(&p, &st);
    ASSERT_EQ(st.wakes, 0u);
    struct pollfd pf = { mr_chan_event_fd(&c), POLLIN, 0 };
    ASSERT_EQ(poll(&pf, 1, 0), 0);

    ASSERT_EQ(mr_chan_arm(&c, 0), 0);
    ASSERT_EQ(mr_chan_send(&p, mr_region_make("x", 1), 0), 1);
    mr_chan_stats(&p, &st);
    ASSERT_EQ(st.wakes, 1u);
    ASSERT_EQ(poll(&pf, 1, 0), 1);
    ASSERT_OK(mr_chan_ack(&c));
    ASSERT_EQ(poll(&pf, 1, 0), 0);
    ASSERT_EQ(mr_chan_arm(&c, 0), 1); /* the message is there */
    struct mr_region m;
    ASSERT_OK(mr_chan_peek(&c, 0, &m));
    ASSERT_EQ(mr_chan_arm(&c, 0), 1); /* and held */
    ASSERT_OK(mr_chan_release(&c));

    /* The producer: room now is 1, a message too long for the ring is an
     * error, and the consumer's release rings an armed producer. */
    ASSERT_EQ(mr_chan_arm(&p, 16), 1);
    ASSERT_ERR(mr_chan_arm(&p, CAP), -EMSGSIZE);
    struct mr_region r;
    while (mr_chan_try_reserve(&p, 1000, &r) == 0)
        ASSERT_OK(mr_chan_commit(&p, 1000));
    ASSERT_EQ(mr_chan_arm(&p, 1000), 0);
    ASSERT_OK(mr_chan_peek(&c, 0, &m));
    ASSERT_OK(mr_chan_release(&c));
    struct pollfd pp = { mr_chan_event_fd(&p), POLLIN, 0 };
    ASSERT_EQ(poll(&pp, 1, 0), 1);
    ASSERT_OK(mr_chan_ack(&p));
    ASSERT_EQ(mr_chan_arm(&p, 1000), 1);

    ASSERT_OK(mr_chan_close(&p));
    ASSERT_OK(mr_chan_close(&c));
    ASSERT_OK(mr_sock_close(&a));
    ASSERT_OK(mr_sock_close(&b));
}

/* Ends with nothing to poll, and closed ends. */
static void test_errors(void)
{
    struct mr_chan p = MR_CHAN_INIT, c = MR_CHAN_INIT;
    ASSERT_ERR(mr_chan_event_fd(&p), -EBADF);
    ASSERT_ERR(mr_chan_arm(&p, 0), -EBADF);
    ASSERT_ERR(mr_chan_ack(&p), -EBADF);
    mr_test_chan_pair(&p, &c, CAP);
    ASSERT_ERR(mr_chan_event_fd(&p), -EOPNOTSUPP);
    ASSERT_ERR(mr_chan_arm(&c, 0), -EOPNOTSUPP);
    ASSERT_ERR(mr_chan_ack(&c), -EOPNOTSUPP);
    ASSERT_OK(mr_chan_close(&p));
    ASSERT_OK(mr_chan_close(&c));
}

int main(void)
{
    MR_TEST_RUN(test_errors);
    MR_TEST_RUN(test_quiet_when_busy);
    MR_TEST_RUN(test_consumer_polls_light);
    MR_TEST_RUN(test_consumer_polls_fenced);
    MR_TEST_RUN(test_producer_polls);
    MR_TEST_RUN(test_closed_peer);
    MR_TEST_RUN(test_dead_peer);
    return 0;
}
