/* SPDX-License-Identifier: MIT */
/* test/test_sock_data.c: moving regions through sockets.
 *
 * One send and receive, peek and don't-wait, the socket's own receive
 * timeout; send-all and receive-exactly of 4 MiB with small socket buffers
 * (many short transfers) over a Unix pair and TCP, with and without a
 * deadline; both deadlines running out (-ETIMEDOUT, with the count done so
 * far, and a resume from there); signals (SIGALRM without SA_RESTART)
 * interrupting blocking receives, accepts and waits; no SIGPIPE from any
 * send to a closed peer; a peer that closes mid-message; truncated
 * datagrams with their real length; scatter-gather with an allocation
 * failure walk; sendmmsg/recvmmsg batches; IPv4 on a dual-stack IPv6
 * socket. Every wait is bounded; fds are counted around each test. */
#include "sock_test.h"

#include <fcntl.h>
#include <limits.h>
#include <sys/time.h>

static bool have_v6;

#define BIG (4u << 20)

static unsigned char pattern_at(size_t i)
{
    return (unsigned char)((i * 131u) ^ (i >> 9));
}

static void fill_pattern(unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = pattern_at(i);
}

static void check_pattern(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i] != pattern_at(i))
            mr_test_fail(__FILE__, __LINE__, "byte %zu is %u, expected %u", i, p[i], pattern_at(i));
    }
}

/* A connected TCP pair over 127.0.0.1. */
static void tcp_pair(struct mr_sock *a, struct mr_sock *b)
{
    struct mr_sock l = MR_SOCK_INIT;
    struct mr_addr addr;
    ASSERT_OK(mr_addr_loopback(&addr, AF_INET, 0));
    ASSERT_OK(mr_sock_open_listen(&l, &addr, 1, 0));
    ASSERT_OK(mr_sock_local_addr(&l, &addr));
    ASSERT_OK(mr_sock_open_connect(a, &addr, SOCK_STREAM, 2000, 0));
    ASSERT_OK(mr_sock_accept(&l, b, NULL, 2000));
    mr_sock_close(&l);
}

static void test_send_recv(void)
{
    struct mr_sock a = MR_SOCK_INIT, b = MR_SOCK_INIT;
    char buf[16];
    ASSERT_OK(mr_sock_open_pair(&a, &b, SOCK_STREAM, 0));

    ASSERT_EQ(mr_sock_send(&a, mr_region_make("hello", 5), 0), 5);
    /* Peek leaves the bytes for the next receive. */
    ASSERT_EQ(mr_sock_recv(&b, MR_REGION_OF_ARRAY(buf), MSG_PEEK), 5);
    ASSERT_MEM_EQ(buf, "hello", 5);
    memset(buf, 0, sizeof buf);
    ASSERT_EQ(mr_sock_recv(&b, MR_REGION_OF_ARRAY(buf), 0), 5);
    ASSERT_MEM_EQ(buf, "hello", 5);
    /* Nothing there: don't-wait says so. */
    ASSERT_ERR(mr_sock_recv(&b, MR_REGION_OF_ARRAY(buf), MSG_DONTWAIT), -EAGAIN);
    ASSERT_ERR(mr_sock_recv(&b, MR_REGION_OF_ARRAY(buf), MSG_DONTWAIT | MSG_PEEK), -EAGAIN);

    /* Refusals: an empty region on a stream (0 means the end), a read-only
     * one, unknown flags. */
    ASSERT_ERR(mr_sock_recv(&b, mr_region_make(buf, 0), 0), -EINVAL);
    ASSERT_ERR(mr_sock_recv(&b, mr_region_ro(MR_REGION_OF_ARRAY(buf)), 0), -EACCES);
    ASSERT_ERR(mr_sock_recv(&b, MR_REGION_OF_ARRAY(buf), MSG_NOSIGNAL), -EINVAL);
    ASSERT_ERR(mr_sock_recv_exact(&b, mr_region_make(buf, 0), 100, NULL), -EINVAL);
    ASSERT_ERR(mr_sock_recv_exact(&b, mr_region_ro(MR_REGION_OF_ARRAY(buf)), 100, NULL), -EACCES);
    ASSERT_ERR(mr_sock_recv_exact(&b, MR_REGION_OF_ARRAY(buf), -5, NULL), -EINVAL);
    ASSERT_ERR(mr_sock_send(&a, MR_REGION_OF_ARRAY(buf), MSG_PEEK), -EINVAL);
    ASSERT_ERR(mr_sock_send_all(&a, MR_REGION_OF_ARRAY(buf), -7, NULL), -EINVAL);
    /* Sending from a read-only region is fine; an empty send is 0. */
    ASSERT_EQ(mr_sock_send(&a, mr_region_make_ro("x", 1), 0), 1);
    ASSERT_EQ(mr_sock_send(&a, mr_region_make(NULL, 0), 0), 0);
    ASSERT_EQ(mr_sock_send_all(&a, mr_region_make(NULL, 0), 100, NULL), 0);
    ASSERT_EQ(mr_sock_recv(&b, MR_REGION_OF_ARRAY(buf), 0), 1);

    /* The socket's own receive timeout: a blocking receive gives up and
     * says -ETIMEDOUT, not "nothing". */
    ASSERT_OK(mr_sock_set_opt(&b, MR_SOCK_OPT_RCVTIMEO, 60));
    int64_t t0 = mr_test_now_ms();
    ASSERT_ERR(mr_sock_recv(&b, MR_REGION_OF_ARRAY(buf), 0), -ETIMEDOUT);
    ASSERT_GE(mr_test_now_ms() - t0, 55);
    ASSERT_ERR(mr_sock_recv_exact(&b, MR_REGION_OF_ARRAY(buf), -1, NULL), -ETIMEDOUT);
    mr_sock_close(&a);
    mr_sock_close(&b);

    /* Datagrams: an empty region takes (and drops) one datagram; with
     * MSG_TRUNC the return is its real length. */
    ASSERT_OK(mr_sock_open_pair(&a, &b, SOCK_DGRAM, 0));
    ASSERT_EQ(mr_sock_send(&a, mr_region_make("abc", 3), 0), 3);
    ASSERT_EQ(mr_sock_send(&a, mr_region_make("defg", 4), 0), 4);
    ASSERT_EQ(mr_sock_send(&a, mr_region_make(NULL, 0), 0), 0);
    ASSERT_EQ(mr_sock_recv(&b, mr_region_make(NULL, 0), 0), 0);
    ASSERT_EQ(mr_sock_recv(&b, mr_region_make(buf, 1), MSG_TRUNC), 4);
    ASSERT_EQ(buf[0], 'd');
    ASSERT_EQ(mr_sock_recv(&b, MR_REGION_OF_ARRAY(buf), 0), 0); /* the empty datagram */
    ASSERT_ERR(mr_sock_recv(&b, MR_REGION_OF_ARRAY(buf), MSG_DONTWAIT), -EAGAIN);
    ASSERT_ERR(mr_sock_recv_exact(&b, MR_REGION_OF_ARRAY(buf), 0, NULL), -EOPNOTSUPP);
    mr_sock_close(&a);
    mr_sock_close(&b);
}

/* ---- send-all / receive-exactly ----------------------------------------- */

struct xfer {
    struct mr_sock *s;
    int timeout_ms;
    size_t chunk; /* the reader's receive size: small, so the writer waits */
};

static void read_all_child(void *arg)
{
    struct xfer *x = arg;
    unsigned char *buf = malloc(BIG);
    ASSERT_TRUE(buf != NULL);
    size_t got = 0;
    if (x->chunk == 0) {
        size_t done;
        ASSERT_EQ(mr_sock_recv_exact(x->s, mr_region_make(buf, BIG), x->timeout_ms, &done),
                  (ssize_t)BIG);
        ASSERT_EQ(done, (size_t)BIG);
        got = BIG;
    } else {
        while (got < BIG) {
            size_t n = BIG - got < x->chunk ? BIG - got : x->chunk;
            ASSERT_GT(mr_sock_wait(x->s, MR_SOCK_READABLE, 5000), 0);
            ssize_t k = mr_sock_recv(x->s, mr_region_make(buf + got, n), 0);
            ASSERT_GT(k, 0);
            got += (size_t)k;
        }
    }
    check_pattern(buf, BIG);
    /* Acknowledge, so the writer knows every byte arrived. */
    ASSERT_EQ(mr_sock_send_all(x->s, mr_region_make("k", 1), 5000, NULL), 1);
    free(buf);
}

/* Blocks that are live when a child is forked are held in statics: the
 * child exits without freeing them, and valgrind's leak check in the child
 * must see them as reachable (volatile: stores never read are not dropped). */
static unsigned char *volatile held;

static void big_transfer(struct mr_sock *w, struct mr_sock *r, int w_timeout, int r_timeout,
                         size_t r_chunk)
{
    unsigned char *buf = held = malloc(BIG);
    ASSERT_TRUE(buf != NULL);
    fill_pattern(buf, BIG);
    struct xfer x = { r, r_timeout, r_chunk };
    pid_t pid = mr_test_start(read_all_child, &x);
    size_t done = 0;
    ASSERT_EQ(mr_sock_send_all(w, mr_region_make(buf, BIG), w_timeout, &done), (ssize_t)BIG);
    ASSERT_EQ(done, (size_t)BIG);
    char k;
    ASSERT_EQ(mr_sock_recv_exact(w, MR_REGION_OF(k), 10000, NULL), 1);
    ASSERT_EQ(k, 'k');
    ASSERT_EQ(mr_test_wait(pid), 0);
    free(buf);
    held = NULL;
}

static void test_send_all_recv_exact(void)
{
    struct mr_sock a = MR_SOCK_INIT, b = MR_SOCK_INIT;
    /* Small buffers: every call moves a few KiB, so the loops run many
     * times and the writer waits on the reader. */
    ASSERT_OK(mr_sock_open_pair(&a, &b, SOCK_STREAM, 0));
    ASSERT_OK(mr_sock_set_opt(&a, MR_SOCK_OPT_SNDBUF, 4096));
    ASSERT_OK(mr_sock_set_opt(&b, MR_SOCK_OPT_RCVBUF, 4096));
    big_transfer(&a, &b, -1, 5000, 0);    /* blocking writer, polled reader */
    big_transfer(&a, &b, 5000, -1, 0);    /* polled writer, blocking reader */
    big_transfer(&a, &b, 5000, 0, 1000);  /* a reader taking 1000 bytes at a time */
    mr_sock_close(&a);
    mr_sock_close(&b);

    /* TCP with its own buffers (a 4 KiB one would wait on delayed ACKs). */
    tcp_pair(&a, &b);
    big_transfer(&a, &b, 5000, 5000, 0);
    big_transfer(&b, &a, -1, -1, 0);
    big_transfer(&a, &b, -1, 0, 3000);
    mr_sock_close(&a);
    mr_sock_close(&b);
}

static void test_deadlines(void)
{
    struct mr_sock a = MR_SOCK_INIT, b = MR_SOCK_INIT;
    unsigned char buf[100];
    size_t done = 99;

    /* Receive-exactly: half the bytes come, then nothing. */
    ASSERT_OK(mr_sock_open_pair(&a, &b, SOCK_STREAM, 0));
    fill_pattern(buf, sizeof buf);
    ASSERT_EQ(mr_sock_send(&a, mr_region_make(buf, 50), 0), 50);
    unsigned char in[100];
    int64_t t0 = mr_test_now_ms();
    ASSERT_ERR(mr_sock_recv_exact(&b, MR_REGION_OF_ARRAY(in), 80, &done), -ETIMEDOUT);
    int64_t took = mr_test_now_ms() - t0;
    ASSERT_GE(took, 79);
    ASSERT_LT(took, 3000);
    ASSERT_EQ(done, (size_t)50);
    /* Resume where it stopped once the rest comes. */
    ASSERT_EQ(mr_sock_send(&a, mr_region_make(buf + 50, 50), 0), 50);
    struct mr_region rest;
    ASSERT_OK(mr_region_tail(MR_REGION_OF_ARRAY(in), done, &rest));
    ASSERT_EQ(mr_sock_recv_exact(&b, rest, 1000, &done), 50);
    check_pattern(in, sizeof in);
    /* Poll once: nothing there. */
    t0 = mr_test_now_ms();
    ASSERT_ERR(mr_sock_recv_exact(&b, MR_REGION_OF_ARRAY(in), 0, &done), -ETIMEDOUT);
    ASSERT_EQ(done, (size_t)0);
    ASSERT_LT(mr_test_now_ms() - t0, 1000);

    /* Send-all: the peer does not read, so the buffers fill. */
    ASSERT_OK(mr_sock_set_opt(&a, MR_SOCK_OPT_SNDBUF, 4096));
    unsigned char *big = malloc(BIG);
    ASSERT_TRUE(big != NULL);
    fill_pattern(big, BIG);
    t0 = mr_test_now_ms();
    ASSERT_ERR(mr_sock_send_all(&a, mr_region_make(big, BIG), 80, &done), -ETIMEDOUT);
    took = mr_test_now_ms() - t0;
    ASSERT_GE(took, 79);
    ASSERT_LT(took, 3000);
    ASSERT_GT(done, (size_t)0);
    ASSERT_LT(done, (size_t)BIG);
    /* The bytes sent are the first ones, in order. */
    unsigned char *got = malloc(done);
    ASSERT_TRUE(got != NULL);
    ASSERT_EQ(mr_sock_recv_exact(&b, mr_region_make(got, done), 2000, NULL), (ssize_t)done);
    check_pattern(got, done);
    free(got);
    free(big);
    mr_sock_close(&a);
    mr_sock_close(&b);
}

/* ---- signals ------------------------------------------------------------
 * SIGALRM every 5 ms, its handler installed without SA_RESTART, so every
 * blocking call it lands in returns EINTR. On the fourth signal the handler
 * writes the bytes the call waits for (write(2) is async-signal-safe). */
static volatile sig_atomic_t alarms;
static volatile sig_atomic_t feed_fd = -1;
static const char feed[] = "after the signals";

static void on_alarm(int sig)
{
    (void)sig;
    if (++alarms == 4 && feed_fd >= 0) {
        ssize_t k = write(feed_fd, feed, sizeof feed);
        (void)k;
    }
}

static void alarms_start(int fd)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART */
    ASSERT_OK(sigaction(SIGALRM, &sa, NULL));
    alarms = 0;
    feed_fd = fd;
    struct itimerval it = { { 0, 5000 }, { 0, 5000 } };
    ASSERT_OK(setitimer(ITIMER_REAL, &it, NULL));
}

static void alarms_stop(void)
{
    struct itimerval it;
    memset(&it, 0, sizeof it);
    ASSERT_OK(setitimer(ITIMER_REAL, &it, NULL));
    feed_fd = -1;
    /* Ignored, not SIG_DFL: valgrind can deliver a signal it queued after
     * the timer stopped, and the default action would end the test. */
    signal(SIGALRM, SIG_IGN);
}

static void test_eintr(void)
{
    struct mr_sock a = MR_SOCK_INIT, b = MR_SOCK_INIT;
    char in[sizeof feed];
    ASSERT_OK(mr_sock_open_pair(&a, &b, SOCK_STREAM, 0));

    /* A blocking receive-exactly (MSG_WAITALL), a polled one, a plain
     * receive and a wait: each sees the bytes the fourth signal sends. */
    for (int mode = 0; mode < 4; mode++) {
        memset(in, 0, sizeof in);
        alarms_start(a.fd);
        ssize_t rc;
        if (mode == 0)
            rc = mr_sock_recv_exact(&b, MR_REGION_OF_ARRAY(in), -1, NULL);
        else if (mode == 1)
            rc = mr_sock_recv_exact(&b, MR_REGION_OF_ARRAY(in), 5000, NULL);
        else if (mode == 2)
            rc = mr_sock_recv(&b, MR_REGION_OF_ARRAY(in), MSG_WAITALL);
        else
            rc = mr_sock_wait(&b, MR_SOCK_READABLE, 5000) > 0
                     ? mr_sock_recv_exact(&b, MR_REGION_OF_ARRAY(in), 0, NULL)
                     : -1;
        alarms_stop();
        ASSERT_EQ(rc, (ssize_t)sizeof feed);
        ASSERT_GE(alarms, 4);
        ASSERT_STR_EQ(in, feed);
    }

    /* A deadline that signals keep interrupting still ends on time. */
    alarms_start(-1);
    int64_t t0 = mr_test_now_ms();
    ASSERT_ERR(mr_sock_recv_exact(&b, MR_REGION_OF_ARRAY(in), 60, NULL), -ETIMEDOUT);
    int64_t took = mr_test_now_ms() - t0;
    alarms_stop();
    ASSERT_GE(took, 59);
    ASSERT_LT(took, 3000);
    ASSERT_GE(alarms, 2);

    /* accept's wait too. */
    struct mr_sock l = MR_SOCK_INIT, c = MR_SOCK_INIT;
    struct mr_addr addr;
    ASSERT_OK(mr_addr_loopback(&addr, AF_INET, 0));
    ASSERT_OK(mr_sock_open_listen(&l, &addr, 1, 0));
    alarms_start(-1);
    ASSERT_ERR(mr_sock_accept(&l, &c, NULL, 60), -ETIMEDOUT);
    alarms_stop();
    ASSERT_GE(alarms, 2);
    mr_sock_close(&l);
    mr_sock_close(&a);
    mr_sock_close(&b);
}

/* ---- closed peers --------------------------------------------------------- */

static void test_no_sigpipe(void)
{
    /* SIGPIPE's default action kills: the sends below must not raise it. */
    signal(SIGPIPE, SIG_DFL);
    struct mr_sock a = MR_SOCK_INIT, b = MR_SOCK_INIT;
    char buf[64] = { 0 };
    ASSERT_OK(mr_sock_open_pair(&a, &b, SOCK_STREAM, 0));
    mr_sock_close(&b);
    ASSERT_ERR(mr_sock_send(&a, MR_REGION_OF_ARRAY(buf), 0), -EPIPE);
    ASSERT_ERR(mr_sock_send_all(&a, MR_REGION_OF_ARRAY(buf), -1, NULL), -EPIPE);
    ASSERT_ERR(mr_sock_send_all(&a, MR_REGION_OF_ARRAY(buf), 100, NULL), -EPIPE);
    struct mr_region rv[2] = { MR_REGION_OF_ARRAY(buf), MR_REGION_OF_ARRAY(buf) };
    ASSERT_ERR(mr_sock_sendv(&a, rv, 2, 0, NULL), -EPIPE);
    int fd = 0;
    ASSERT_ERR(mr_sock_send_fds(&a, MR_REGION_OF_ARRAY(buf), &fd, 1, 0), -EPIPE);
    mr_sock_close(&a);

    /* TCP: the first send after the peer closed may still be accepted;
     * the RST it draws makes a later one fail. */
    tcp_pair(&a, &b);
    struct mr_addr to;
    ASSERT_OK(mr_sock_peer_addr(&a, &to));
    mr_sock_close(&b);
    ssize_t rc = 0;
    for (int i = 0; i < 100 && rc >= 0; i++)
        rc = mr_sock_send_all(&a, MR_REGION_OF_ARRAY(buf), 1000, NULL);
    ASSERT_TRUE(rc == -EPIPE || rc == -ECONNRESET);
    /* sendto with an address (TCP ignores it) and sendmsg: -EPIPE now. */
    ASSERT_ERR(mr_sock_send_to(&a, MR_REGION_OF_ARRAY(buf), 0, &to), -EPIPE);
    ASSERT_ERR(mr_sock_sendv(&a, rv, 2, 0, NULL), -EPIPE);
    mr_sock_close(&a);
}

static void send_some_and_close(void *arg)
{
    struct mr_sock *s = arg;
    unsigned char buf[1000];
    fill_pattern(buf, sizeof buf);
    ASSERT_EQ(mr_sock_send_all(s, MR_REGION_OF_ARRAY(buf), 2000, NULL), (ssize_t)sizeof buf);
    mr_sock_close(s);
}

static void read_some_and_close(void *arg)
{
    struct mr_sock *s = arg;
    unsigned char buf[10000];
    ASSERT_EQ(mr_sock_recv_exact(s, MR_REGION_OF_ARRAY(buf), 5000, NULL), (ssize_t)sizeof buf);
    mr_sock_close(s);
}

static void test_peer_closes_mid_transfer(void)
{
    struct mr_sock a = MR_SOCK_INIT, b = MR_SOCK_INIT;
    unsigned char in[4000];
    size_t done;

    /* Receive-exactly: 1000 of 4000 bytes, then the end: -EPIPE, with the
     * 1000 kept; then the end between messages: 0. */
    for (int tcp = 0; tcp < 2; tcp++) {
        if (tcp)
            tcp_pair(&a, &b);
        else
            ASSERT_OK(mr_sock_open_pair(&a, &b, SOCK_STREAM, 0));
        pid_t pid = mr_test_start(send_some_and_close, &b);
        mr_sock_close(&b);
        ASSERT_ERR(mr_sock_recv_exact(&a, MR_REGION_OF_ARRAY(in), 5000, &done), -EPIPE);
        ASSERT_EQ(done, (size_t)1000);
        check_pattern(in, done);
        ASSERT_EQ(mr_sock_recv_exact(&a, MR_REGION_OF_ARRAY(in), 5000, &done), 0);
        ASSERT_EQ(done, (size_t)0);
        ASSERT_EQ(mr_sock_recv_exact(&a, MR_REGION_OF_ARRAY(in), -1, &done), 0);
        ASSERT_EQ(mr_test_wait(pid), 0);
        mr_sock_close(&a);
    }

    /* Send-all: the reader takes 10000 bytes of 4 MiB and leaves. */
    unsigned char *big = held = malloc(BIG);
    ASSERT_TRUE(big != NULL);
    fill_pattern(big, BIG);
    for (int tcp = 0; tcp < 2; tcp++) {
        if (tcp)
            tcp_pair(&a, &b);
        else
            ASSERT_OK(mr_sock_open_pair(&a, &b, SOCK_STREAM, 0));
        /* Small buffers on both sides: loopback TCP's autotuned ones can
         * take all 4 MiB before the reader leaves, and the send succeed. */
        ASSERT_OK(mr_sock_set_opt(&a, MR_SOCK_OPT_SNDBUF, 4096));
        ASSERT_OK(mr_sock_set_opt(&b, MR_SOCK_OPT_RCVBUF, 4096));
        pid_t pid = mr_test_start(read_some_and_close, &b);
        mr_sock_close(&b);
        ssize_t rc = mr_sock_send_all(&a, mr_region_make(big, BIG), 5000, &done);
        ASSERT_TRUE(rc == -EPIPE || rc == -ECONNRESET);
        ASSERT_GE(done, (size_t)10000);
        ASSERT_LT(done, (size_t)BIG);
        ASSERT_EQ(mr_test_wait(pid), 0);
        mr_sock_close(&a);
    }
    free(big);
    held = NULL;
}

/* ---- datagrams ------------------------------------------------------------ */

static void truncated_on(struct mr_sock *tx, struct mr_sock *rx, const struct mr_addr *to)
{
    unsigned char out[100], in[10];
    struct mr_addr from, txaddr;
    size_t full = 0;
    fill_pattern(out, sizeof out);
    ASSERT_EQ(mr_sock_send_to(tx, MR_REGION_OF_ARRAY(out), 0, to), 100);
    ASSERT_GT(mr_sock_wait(rx, MR_SOCK_READABLE, 2000), 0);
    ASSERT_EQ(mr_sock_recv_from(rx, MR_REGION_OF_ARRAY(in), 0, &from, &full), 10);
    ASSERT_EQ(full, (size_t)100);
    check_pattern(in, sizeof in);
    ASSERT_OK(mr_sock_local_addr(tx, &txaddr));
    ASSERT_TRUE(mr_addr_equal(&from, &txaddr));

    /* One that fits: full length = stored length. */
    ASSERT_EQ(mr_sock_send_to(tx, mr_region_make(out, 5), 0, to), 5);
    ASSERT_GT(mr_sock_wait(rx, MR_SOCK_READABLE, 2000), 0);
    ASSERT_EQ(mr_sock_recv_from(rx, MR_REGION_OF_ARRAY(in), 0, NULL, &full), 5);
    ASSERT_EQ(full, (size_t)5);
    /* An empty one. */
    ASSERT_EQ(mr_sock_send_to(tx, mr_region_make(NULL, 0), 0, to), 0);
    ASSERT_GT(mr_sock_wait(rx, MR_SOCK_READABLE, 2000), 0);
    ASSERT_EQ(mr_sock_recv_from(rx, MR_REGION_OF_ARRAY(in), 0, &from, &full), 0);
    ASSERT_EQ(full, (size_t)0);
    /* Peeked, then taken. */
    ASSERT_EQ(mr_sock_send_to(tx, MR_REGION_OF_ARRAY(out), 0, to), 100);
    ASSERT_GT(mr_sock_wait(rx, MR_SOCK_READABLE, 2000), 0);
    ASSERT_EQ(mr_sock_recv_from(rx, MR_REGION_OF_ARRAY(in), MSG_PEEK, NULL, &full), 10);
    ASSERT_EQ(full, (size_t)100);
    ASSERT_EQ(mr_sock_recv_from(rx, MR_REGION_OF_ARRAY(in), MSG_DONTWAIT, NULL, &full), 10);
    ASSERT_ERR(mr_sock_recv_from(rx, MR_REGION_OF_ARRAY(in), MSG_DONTWAIT, NULL, &full), -EAGAIN);
}

static void test_truncated_datagram(void)
{
    struct mr_sock tx = MR_SOCK_INIT, rx = MR_SOCK_INIT;
    struct mr_addr addr;
    char path[128], path2[128];

    ASSERT_OK(mr_addr_loopback(&addr, AF_INET, 0));
    ASSERT_OK(mr_sock_open_bind(&rx, &addr, SOCK_DGRAM, 0));
    ASSERT_OK(mr_sock_open_bind(&tx, &addr, SOCK_DGRAM, 0));
    ASSERT_OK(mr_sock_local_addr(&rx, &addr));
    truncated_on(&tx, &rx, &addr);
    mr_sock_close(&tx);
    mr_sock_close(&rx);

    ASSERT_OK(mr_addr_unix(&addr, mr_test_tmp_path(path, sizeof path, "trunc-rx")));
    ASSERT_OK(mr_sock_open_bind(&rx, &addr, SOCK_DGRAM, 0));
    struct mr_addr txa;
    ASSERT_OK(mr_addr_unix(&txa, mr_test_tmp_path(path2, sizeof path2, "trunc-tx")));
    ASSERT_OK(mr_sock_open_bind(&tx, &txa, SOCK_DGRAM, 0));
    truncated_on(&tx, &rx, &addr);
    mr_sock_close(&tx);

    /* An unbound Unix sender: its address is unnamed. */
    ASSERT_OK(mr_sock_open(&tx, AF_UNIX, SOCK_DGRAM, 0));
    ASSERT_EQ(mr_sock_send_to(&tx, mr_region_make("u", 1), 0, &addr), 1);
    char c;
    struct mr_addr from;
    ASSERT_GT(mr_sock_wait(&rx, MR_SOCK_READABLE, 2000), 0);
    ASSERT_EQ(mr_sock_recv_from(&rx, MR_REGION_OF(c), 0, &from, NULL), 1);
    ASSERT_EQ(mr_addr_family(&from), AF_UNIX);
    ASSERT_EQ(from.len, sizeof(sa_family_t));
    mr_sock_close(&tx);
    mr_sock_close(&rx);

    /* A stream socket's full length is what was stored. */
    struct mr_sock a = MR_SOCK_INIT, b = MR_SOCK_INIT;
    size_t full = 0;
    ASSERT_OK(mr_sock_open_pair(&a, &b, SOCK_STREAM, 0));
    ASSERT_EQ(mr_sock_send(&a, mr_region_make("abcdef", 6), 0), 6);
    ASSERT_EQ(mr_sock_recv_from(&b, mr_region_make(path, 4), 0, NULL, &full), 4);
    ASSERT_EQ(full, (size_t)4);
    ASSERT_EQ(mr_sock_recv(&b, mr_region_make(path, 4), 0), 2);
    mr_sock_close(&a);
    mr_sock_close(&b);
}

/* IPv4 peers of a dual-stack IPv6 socket: addresses go in as IPv4 and come
 * out v4-mapped. */
static void test_dual_stack(void)
{
    if (!have_v6) {
        mr_test_skip_case("test_dual_stack", "no IPv6 loopback here (sysctl net.ipv6.conf.lo.disable_ipv6=0)");
        return;
    }
    struct mr_sock s6 = MR_SOCK_INIT, s4 = MR_SOCK_INIT;
    struct mr_addr any6, lo4, a6, a4, from;
    char buf[8];
    ASSERT_OK(mr_addr_any(&any6, AF_INET6, 0));
    ASSERT_OK(mr_sock_open_bind(&s6, &any6, SOCK_DGRAM, 0));
    ASSERT_OK(mr_addr_loopback(&lo4, AF_INET, 0));
    ASSERT_OK(mr_sock_open_bind(&s4, &lo4, SOCK_DGRAM, 0));
    ASSERT_OK(mr_sock_local_addr(&s6, &a6));
    ASSERT_OK(mr_sock_local_addr(&s4, &a4));

    ASSERT_EQ(mr_sock_send_to(&s6, mr_region_make("v6", 2), 0, &a4), 2); /* mapped for us */
    ASSERT_GT(mr_sock_wait(&s4, MR_SOCK_READABLE, 2000), 0);
    ASSERT_EQ(mr_sock_recv_from(&s4, MR_REGION_OF_ARRAY(buf), 0, &from, NULL), 2);
    ASSERT_EQ(mr_addr_family(&from), AF_INET);

    struct mr_addr to6;
    ASSERT_OK(mr_addr_loopback(&to6, AF_INET, (unsigned)mr_addr_port(&a6)));
    ASSERT_EQ(mr_sock_send_to(&s4, mr_region_make("v4", 2), 0, &to6), 2);
    ASSERT_GT(mr_sock_wait(&s6, MR_SOCK_READABLE, 2000), 0);
    ASSERT_EQ(mr_sock_recv_from(&s6, MR_REGION_OF_ARRAY(buf), 0, &from, NULL), 2);
    ASSERT_TRUE(mr_addr_is_v4mapped(&from));
    ASSERT_OK(mr_addr_unmap_v4(&from, &from));
    ASSERT_TRUE(mr_addr_equal(&from, &a4));

    /* And a v4-mapped address on an IPv4 socket is used as IPv4. */
    struct mr_addr m;
    ASSERT_OK(mr_addr_map_v4(&to6, &m));
    ASSERT_EQ(mr_sock_send_to(&s4, mr_region_make("m", 1), 0, &m), 1);
    ASSERT_GT(mr_sock_wait(&s6, MR_SOCK_READABLE, 2000), 0);
    ASSERT_EQ(mr_sock_recv(&s6, MR_REGION_OF_ARRAY(buf), 0), 1);
    /* A real IPv6 address on an IPv4 socket is not. */
    ASSERT_ERR(mr_sock_send_to(&s4, mr_region_make("m", 1), 0, &a6), -EAFNOSUPPORT);
    mr_sock_close(&s6);
    mr_sock_close(&s4);

    /* A v6-only socket refuses IPv4. */
    ASSERT_OK(mr_sock_open(&s6, AF_INET6, SOCK_DGRAM, MR_SOCK_V6ONLY));
    ssize_t rc = mr_sock_send_to(&s6, mr_region_make("x", 1), 0, &a4);
    ASSERT_TRUE(rc == -ENETUNREACH || rc == -EAFNOSUPPORT);
    mr_sock_close(&s6);
}

/* ---- scatter-gather ------------------------------------------------------- */

static void test_scatter_gather(void)
{
    struct mr_sock a = MR_SOCK_INIT, b = MR_SOCK_INIT;
    ASSERT_OK(mr_sock_open_pair(&a, &b, SOCK_STREAM, 0));

    struct mr_region out[3] = { mr_region_make_ro("head-", 5), mr_region_make(NULL, 0),
                                mr_region_make_ro("body", 4) };
    ASSERT_EQ(mr_sock_sendv(&a, out, 3, 0, NULL), 9);
    char x[2], y[3], z[10];
    struct mr_region in[3] = { MR_REGION_OF_ARRAY(x), MR_REGION_OF_ARRAY(y), MR_REGION_OF_ARRAY(z) };
    ASSERT_EQ(mr_sock_recvv(&b, in, 3, 0, NULL), 9);
    ASSERT_MEM_EQ(x, "he", 2);
    ASSERT_MEM_EQ(y, "ad-", 3);
    ASSERT_MEM_EQ(z, "body", 4);

    /* Refusals. */
    in[1] = mr_region_ro(in[1]);
    ASSERT_ERR(mr_sock_recvv(&b, in, 3, 0, NULL), -EACCES);
    struct mr_region none[1] = { mr_region_make(NULL, 0) };
    ASSERT_ERR(mr_sock_recvv(&b, none, 1, 0, NULL), -EINVAL);
    ASSERT_ERR(mr_sock_recvv(&b, NULL, 0, 0, NULL), -EINVAL);
    ASSERT_EQ(mr_sock_sendv(&a, NULL, 0, 0, NULL), 0);
    ASSERT_ERR(mr_sock_sendv(&a, NULL, 2, 0, NULL), -EINVAL);
    ASSERT_ERR(mr_sock_sendv(&a, out, (size_t)IOV_MAX + 1, 0, NULL), -EMSGSIZE);
    ASSERT_ERR(mr_sock_recvv(&b, in, 3, MSG_MORE, NULL), -EINVAL);

    /* 200 one-byte regions: beyond the stack, the iovecs come from the
     * allocator. Every allocation failure is clean: nothing sent, nothing
     * left allocated. */
    enum { N = 200 };
    static char bytes[N], back[N];
    static struct mr_region many[N], many_in[N];
    for (int i = 0; i < N; i++) {
        bytes[i] = (char)i;
        many[i] = mr_region_make(&bytes[i], 1);
        many_in[i] = mr_region_make(&back[i], 1);
    }
    for (long fail_after = 0;; fail_after++) {
        struct mr_failing f;
        mr_failing_init(&f, NULL, fail_after);
        ssize_t rc = mr_sock_sendv(&a, many, N, 0, mr_failing_allocator(&f));
        ASSERT_EQ(f.live_blocks, (size_t)0);
        if (rc == -ENOMEM) {
            ASSERT_ERR(mr_sock_recv(&b, MR_REGION_OF_ARRAY(z), MSG_DONTWAIT), -EAGAIN);
            continue;
        }
        ASSERT_EQ(rc, N);
        break;
    }
    for (long fail_after = 0;; fail_after++) {
        struct mr_failing f;
        mr_failing_init(&f, NULL, fail_after);
        ssize_t rc = mr_sock_recvv(&b, many_in, N, 0, mr_failing_allocator(&f));
        ASSERT_EQ(f.live_blocks, (size_t)0);
        if (rc == -ENOMEM)
            continue;
        ASSERT_EQ(rc, N);
        break;
    }
    ASSERT_MEM_EQ(back, bytes, N);
    mr_sock_close(&a);
    mr_sock_close(&b);
}

/* ---- batches ---------------------------------------------------------------- */

static void batch_on(struct mr_sock *tx, struct mr_sock *rx, struct mr_addr *to,
                     struct mr_allocator *alloc, size_t n)
{
    char out[32][16], in[32][8];
    struct mr_sock_msg m[32], r[32];
    struct mr_addr from[32], txaddr;
    ASSERT_LE(n, (size_t)32);
    for (size_t i = 0; i < 32; i++) {
        int len = snprintf(out[i], sizeof out[i], "msg %zu%s", i, i == 1 ? " is long" : "");
        m[i].data = mr_region_make(out[i], (size_t)len);
        m[i].addr = to;
        r[i].data = MR_REGION_OF_ARRAY(in[i]);
        r[i].addr = &from[i];
    }
    ASSERT_EQ(mr_sock_send_batch(tx, m, n, 0, alloc), (int)n);
    for (size_t i = 0; i < n; i++)
        ASSERT_EQ(m[i].len, m[i].data.len);
    /* Loopback delivers inside the send: all are queued now. */
    ASSERT_EQ(mr_sock_recv_batch(rx, r, n + 3 <= 32 ? n + 3 : 32, 2000, alloc), (int)n);
    ASSERT_OK(mr_sock_local_addr(tx, &txaddr));
    for (size_t i = 0; i < n; i++) {
        size_t want = m[i].data.len;
        ASSERT_EQ(r[i].full_len, want);
        ASSERT_EQ(r[i].len, want < sizeof in[i] ? want : sizeof in[i]);
        ASSERT_MEM_EQ(in[i], out[i], r[i].len);
        if (txaddr.len > sizeof(sa_family_t))
            ASSERT_TRUE(mr_addr_equal(&from[i], &txaddr));
    }
    ASSERT_GT(r[1].full_len, r[1].len); /* the long one was truncated */
    /* Nothing more: the wait times out. */
    ASSERT_ERR(mr_sock_recv_batch(rx, r, 4, 30, alloc), -ETIMEDOUT);
    ASSERT_ERR(mr_sock_recv_batch(rx, r, 4, 0, alloc), -ETIMEDOUT);
}

static void test_batches(void)
{
    struct mr_sock tx = MR_SOCK_INIT, rx = MR_SOCK_INIT;
    struct mr_addr addr;
    ASSERT_OK(mr_addr_loopback(&addr, AF_INET, 0));
    ASSERT_OK(mr_sock_open_bind(&rx, &addr, SOCK_DGRAM, 0));
    ASSERT_OK(mr_sock_open_bind(&tx, &addr, SOCK_DGRAM, 0));
    ASSERT_OK(mr_sock_local_addr(&rx, &addr));
    batch_on(&tx, &rx, &addr, NULL, 5);
    batch_on(&tx, &rx, &addr, NULL, 20); /* beyond the stack */
    mr_sock_close(&tx);

    /* IPv4 destinations from a dual-stack IPv6 socket, mapped per message. */
    if (have_v6) {
        struct mr_addr any6;
        ASSERT_OK(mr_addr_any(&any6, AF_INET6, 0));
        ASSERT_OK(mr_sock_open_bind(&tx, &any6, SOCK_DGRAM, 0));
        struct mr_sock_msg m[2] = { { mr_region_make("a", 1), &addr, 0, 0 },
                                    { mr_region_make("b", 1), &addr, 0, 0 } };
        ASSERT_EQ(mr_sock_send_batch(&tx, m, 2, 0, NULL), 2);
        char c[2][4];
        struct mr_sock_msg r[2] = { { MR_REGION_OF_ARRAY(c[0]), NULL, 0, 0 },
                                    { MR_REGION_OF_ARRAY(c[1]), NULL, 0, 0 } };
        ASSERT_EQ(mr_sock_recv_batch(&rx, r, 2, 2000, NULL), 2);
        ASSERT_EQ(c[0][0], 'a');
        ASSERT_EQ(c[1][0], 'b');
        mr_sock_close(&tx);
    }
    mr_sock_close(&rx);

    /* A Unix datagram pair: no addresses. */
    ASSERT_OK(mr_sock_open_pair(&tx, &rx, SOCK_DGRAM, 0));
    batch_on(&tx, &rx, NULL, NULL, 3);

    /* Allocation failures beyond the stack: -ENOMEM and nothing sent. */
    struct mr_failing f;
    mr_failing_init(&f, NULL, 0);
    char one = 'x';
    struct mr_sock_msg big[9];
    for (int i = 0; i < 9; i++)
        big[i] = (struct mr_sock_msg){ MR_REGION_OF(one), NULL, 0, 0 };
    ASSERT_ERR(mr_sock_send_batch(&tx, big, 9, 0, mr_failing_allocator(&f)), -ENOMEM);
    ASSERT_ERR(mr_sock_recv(&rx, MR_REGION_OF(one), MSG_DONTWAIT), -EAGAIN);
    ASSERT_ERR(mr_sock_recv_batch(&rx, big, 9, 0, mr_failing_allocator(&f)), -ENOMEM);
    ASSERT_EQ(f.live_blocks, (size_t)0);
    mr_failing_init(&f, NULL, -1);
    batch_on(&tx, &rx, NULL, mr_failing_allocator(&f), 12);
    ASSERT_EQ(f.live_blocks, (size_t)0);

    /* Refusals. */
    big[0].data = mr_region_ro(big[0].data);
    ASSERT_ERR(mr_sock_recv_batch(&rx, big, 1, 0, NULL), -EACCES);
    ASSERT_ERR(mr_sock_recv_batch(&rx, big, 0, 0, NULL), -EINVAL);
    ASSERT_ERR(mr_sock_send_batch(&tx, big, 1, MSG_PEEK, NULL), -EINVAL);
    mr_sock_close(&tx);
    mr_sock_close(&rx);
    ASSERT_OK(mr_sock_open_pair(&tx, &rx, SOCK_STREAM, 0));
    ASSERT_ERR(mr_sock_send_batch(&tx, big, 1, 0, NULL), -EOPNOTSUPP);
    ASSERT_ERR(mr_sock_recv_batch(&rx, big, 1, 0, NULL), -EOPNOTSUPP);
    mr_sock_close(&tx);
    mr_sock_close(&rx);
}

int main(void)
{
    mr_test_tmpdir(); /* before any fork: the directory is this process's */
    have_v6 = mr_test_sock_ipv6();
    MR_TEST_RUN(test_send_recv);
    MR_TEST_RUN(test_send_all_recv_exact);
    MR_TEST_RUN(test_deadlines);
    MR_TEST_RUN(test_eintr);
    MR_TEST_RUN(test_no_sigpipe);
    MR_TEST_RUN(test_peer_closes_mid_transfer);
    MR_TEST_RUN(test_truncated_datagram);
    MR_TEST_RUN(test_dual_stack);
    MR_TEST_RUN(test_scatter_gather);
    MR_TEST_RUN(test_batches);
    return 0;
}
