/* SPDX-License-Identifier: MIT */
/* test_net: contexts and peers of the net layer, two processes on loopback:
 * open with each transport, listen, connect and accept with deadlines, an
 * orderly close (-EPIPE) and a death (-ECONNRESET, within MR_NET_DEATH_MS),
 * a refused port, an address that never answers, the allow-list refusing a
 * peer, mr_net_fd and mr_net_progress in a poll loop, fds close-on-exec. */
#include "net_test.h"

#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>

static void test_open_transports(void)
{
    static const enum mr_net_transport ts[] = { MR_NET_AUTO, MR_NET_TCP, MR_NET_SM };
    for (size_t i = 0; i < MR_TEST_COUNT(ts); i++) {
        struct mr_net *n;
        if (mr_test_net_open(&n, ts[i]) < 0)
            continue;
        ASSERT_GE(mr_net_fd(n), 0);
        ASSERT_TRUE(mr_test_is_cloexec(mr_net_fd(n)));
        ASSERT_GE(mr_net_progress(n), 0);
        ASSERT_EQ(mr_net_close(n), 0);
    }
    /* No RDMA device on a machine without one: said at open. */
    struct mr_net_opts o = { .transport = MR_NET_RDMA };
    struct mr_net *n = NULL;
    int rc = mr_net_open(&n, &o);
    if (rc == 0)
        mr_net_close(n);
    else
        ASSERT_EQ(rc, -ENODEV);

    struct mr_net_opts bad = { .transport = (enum mr_net_transport)9 };
    ASSERT_EQ(mr_net_open(&n, &bad), -EINVAL);
    const char *allow[] = { "10.0.0.0/33" };
    struct mr_net_opts bad_allow = { .allow = allow, .allow_count = 1 };
    ASSERT_EQ(mr_net_open(&n, &bad_allow), -EINVAL);
    allow[0] = "not-an-address";
    ASSERT_EQ(mr_net_open(&n, &bad_allow), -EINVAL);
    ASSERT_EQ(mr_net_close(NULL), 0);
}

/* The child: connect to text, then close in order or die, as told. */
struct child {
    enum mr_net_transport t;
    char text[MR_ADDR_TEXT_MAX];
    int how; /* 0: close in order; 1: SIGKILL itself; 2: expect a refusal */
};

static void child_connect(void *arg)
{
    struct child *c = arg;
    struct mr_net *n;
    ASSERT_EQ(mr_test_net_open(&n, c->t), 0);
    struct mr_net_peer *p = NULL;
    int rc = mr_net_connect(n, c->text, 5000, &p);
    if (c->how == 2) {
        ASSERT_EQ(rc, -ECONNREFUSED);
        mr_net_close(n);
        return;
    }
    ASSERT_EQ(rc, 0);
    ASSERT_EQ(mr_net_peer_status(p), 0);
    if (c->how == 1)
        raise(SIGKILL);
    ASSERT_EQ(mr_net_peer_close(p), 0);
    ASSERT_EQ(mr_net_close(n), 0);
}

/* Poll mr_net_fd, making progress, until p's status is not 0 or ms pass:
 * the status. */
static int wait_status(struct mr_net *n, struct mr_net_peer *p, int ms)
{
    int64_t end = mr_test_now_ms() + ms;
    while (mr_test_now_ms() < end) {
        int rc;
        while ((rc = mr_net_progress(n)) > 0)
            ;
        ASSERT_EQ(rc, 0);
        if (mr_net_peer_status(p) != 0)
            return mr_net_peer_status(p);
        struct pollfd pfd = { .fd = mr_net_fd(n), .events = POLLIN };
        poll(&pfd, 1, 50);
    }
    return mr_net_peer_status(p);
}

static void test_connect_close(enum mr_net_transport t, int how)
{
    struct mr_net *n;
    if (mr_test_net_open(&n, t) < 0)
        return;
    struct mr_addr bound;
    ASSERT_EQ(mr_net_listen(n, "127.0.0.1:0", &bound), 0);
    ASSERT_GT(mr_addr_port(&bound), 0);
    ASSERT_EQ(mr_net_listen(n, "127.0.0.1:0", NULL), -EBUSY);
    struct child c = { .t = t, .how = how };
    mr_test_net_text(&bound, c.text, sizeof c.text);
    pid_t pid = mr_test_start(child_connect, &c);
    struct mr_net_peer *p = NULL;
    ASSERT_EQ(mr_net_accept(n, 5000, &p), 0);
    struct mr_addr pa;
    ASSERT_EQ(mr_net_peer_addr(p, &pa), 0);
    ASSERT_EQ(mr_addr_family(&pa), AF_INET);
    int64_t t0 = mr_test_now_ms();
    int st = wait_status(n, p, 10000);
    int64_t took = mr_test_now_ms() - t0;
    if (how == 0) {
        ASSERT_EQ(st, -EPIPE);
        ASSERT_EQ(mr_test_wait(pid), 0);
    } else {
        ASSERT_EQ(st, -ECONNRESET);
        ASSERT_LT(took, MR_NET_DEATH_MS);
        ASSERT_EQ(mr_test_wait(pid), 1000 + SIGKILL);
    }
    ASSERT_EQ(mr_net_peer_close(p), 0);
    ASSERT_EQ(mr_net_close(n), 0);
}

/* An event loop polls for connections with mr_net_accept(n, 0): a waiting
 * connection is taken, its greeting waited for (it needs round trips that
 * a timeout of 0 leaves no time for). */
static void test_accept_polled(void)
{
    struct mr_net *n;
    if (mr_test_net_open(&n, MR_NET_TCP) < 0)
        return;
    struct mr_addr bound;
    ASSERT_EQ(mr_net_listen(n, "127.0.0.1:0", &bound), 0);
    struct child c = { .t = MR_NET_TCP, .how = 0 };
    mr_test_net_text(&bound, c.text, sizeof c.text);
    pid_t pid = mr_test_start(child_connect, &c);
    struct mr_net_peer *p = NULL;
    int rc = -ETIMEDOUT;
    for (int64_t end = mr_test_now_ms() + 5000; rc == -ETIMEDOUT && mr_test_now_ms() < end;) {
        rc = mr_net_accept(n, 0, &p);
        if (rc == -ETIMEDOUT)
            poll(NULL, 0, 10);
    }
    ASSERT_EQ(rc, 0);
    ASSERT_EQ(wait_status(n, p, 10000), -EPIPE);
    ASSERT_EQ(mr_test_wait(pid), 0);
    ASSERT_EQ(mr_net_peer_close(p), 0);
    ASSERT_EQ(mr_net_close(n), 0);
}

static void test_refused_and_silent(void)
{
    struct mr_net *n;
    if (mr_test_net_open(&n, MR_NET_TCP) < 0)
        return;
    /* A port nobody listens on: refused at once. */
    struct mr_sock s = MR_SOCK_INIT;
    struct mr_addr a;
    ASSERT_EQ(mr_addr_loopback(&a, AF_INET, 0), 0);
    ASSERT_EQ(mr_sock_open_listen(&s, &a, 0, 0), 0);
    ASSERT_EQ(mr_sock_local_addr(&s, &a), 0);
    char text[MR_ADDR_TEXT_MAX];
    mr_test_net_text(&a, text, sizeof text);
    mr_sock_close(&s);
    struct mr_net_peer *p = NULL;
    int64_t t0 = mr_test_now_ms();
    ASSERT_EQ(mr_net_connect(n, text, 5000, &p), -ECONNREFUSED);
    ASSERT_LT(mr_test_now_ms() - t0, 1000);

    /* A listener that never accepts and whose queue is full: SYNs go
     * unanswered, as from an unreachable host. */
    ASSERT_EQ(mr_addr_loopback(&a, AF_INET, 0), 0);
    ASSERT_EQ(mr_sock_open_listen(&s, &a, 0, 0), 0);
    ASSERT_EQ(mr_sock_local_addr(&s, &a), 0);
    mr_test_net_text(&a, text, sizeof text);
    struct mr_sock fill[4];
    int filled = 0;
    for (; filled < 4; filled++) {
        fill[filled] = (struct mr_sock)MR_SOCK_INIT;
        if (mr_sock_open_connect(&fill[filled], &a, SOCK_STREAM, 200, 0) != 0)
            break;
    }
    t0 = mr_test_now_ms();
    int rc = mr_net_connect(n, text, 300, &p);
    int64_t took = mr_test_now_ms() - t0;
    /* Either no answer in time, or (a kernel that accepts into a full
     * queue) a greeting that never comes. */
    ASSERT_EQ(rc, -ETIMEDOUT);
    ASSERT_LT(took, 2000);
    for (int i = 0; i < filled; i++)
        mr_sock_close(&fill[i]);
    mr_sock_close(&s);

    /* Nothing to accept: a timeout, and no listener: -EINVAL. */
    ASSERT_EQ(mr_net_accept(n, 0, &p), -EINVAL);
    ASSERT_EQ(mr_net_listen(n, "127.0.0.1:0", NULL), 0);
    t0 = mr_test_now_ms();
    ASSERT_EQ(mr_net_accept(n, 100, &p), -ETIMEDOUT);
    ASSERT_GE(mr_test_now_ms() - t0, 90);
    ASSERT_EQ(mr_net_connect(n, "no such address", 100, &p) < 0, 1);
    ASSERT_EQ(mr_net_connect(n, text, -7, &p), -EINVAL);
    ASSERT_EQ(mr_net_close(n), 0);

    ASSERT_EQ(mr_test_net_open(&n, MR_NET_TCP), 0);
    ASSERT_EQ(mr_net_listen(n, "unix:/tmp/x", NULL), -EINVAL);
    ASSERT_EQ(mr_net_listen(n, "nonsense", NULL), -EINVAL);
    ASSERT_EQ(mr_net_close(n), 0);
}

/* A listener whose allow-list leaves out loopback: the child is refused,
 * the listener waits on. */
static void test_allow_list(void)
{
    const char *allow[] = { "10.1.2.3", "192.168.0.0/16" };
    struct mr_net_opts o = { .transport = MR_NET_TCP, .devices = "lo", .allow = allow,
                             .allow_count = 2 };
    struct mr_net *n;
    ASSERT_EQ(mr_net_open(&n, &o), 0);
    struct mr_addr bound;
    ASSERT_EQ(mr_net_listen(n, "127.0.0.1:0", &bound), 0);
    struct child c = { .t = MR_NET_TCP, .how = 2 };
    mr_test_net_text(&bound, c.text, sizeof c.text);
    pid_t pid = mr_test_start(child_connect, &c);
    struct mr_net_peer *p = NULL;
    ASSERT_EQ(mr_net_accept(n, 1500, &p), -ETIMEDOUT);
    ASSERT_EQ(mr_test_wait(pid), 0);
    ASSERT_EQ(mr_net_close(n), 0);

    /* Any IPv4 peer. */
    const char *any[] = { "0.0.0.0/0" };
    o.allow = any;
    o.allow_count = 1;
    ASSERT_EQ(mr_net_open(&n, &o), 0);
    ASSERT_EQ(mr_net_listen(n, "127.0.0.1:0", &bound), 0);
    c.how = 0;
    mr_test_net_text(&bound, c.text, sizeof c.text);
    pid = mr_test_start(child_connect, &c);
    ASSERT_EQ(mr_net_accept(n, 5000, &p), 0);
    ASSERT_EQ(wait_status(n, p, 10000), -EPIPE);
    ASSERT_EQ(mr_test_wait(pid), 0);
    ASSERT_EQ(mr_net_close(n), 0);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    MR_TEST_RUN(test_open_transports);
    test_connect_close(MR_NET_TCP, 0);
    test_connect_close(MR_NET_TCP, 1);
    test_connect_close(MR_NET_SM, 0);
    test_connect_close(MR_NET_SM, 1);
    test_connect_close(MR_NET_AUTO, 0);
    test_accept_polled();
    MR_TEST_RUN(test_refused_and_silent);
    test_allow_list();
    printf("ok\n");
    return 0;
}
