/* SPDX-License-Identifier: MIT */
/* test/test_sock.c: socket lifetimes and state.
 *
 * Every family and type opens close-on-exec; socket pairs of both types;
 * bind, listen and accept with both kinds of timeout (-ETIMEDOUT, never a
 * silent nothing), over IPv4, IPv6 (dual-stack and v6-only), Unix paths and
 * abstract names; connect refused, connect timed out (see the two tests for
 * how a loopback-only timeout is provoked), connect by name trying each
 * address; disconnect of datagram sockets; shutdown each way; the Unix path
 * removed on close (and only then); adopting an fd; every option, with the
 * wrong family and type refused; peer credentials, and refusing another
 * user. Loopback only; every wait is bounded; fds are counted around every
 * test (MR_TEST_RUN). IPv6 parts are skipped, with a note, where ::1 is missing. */
#include "sock_test.h"

#include <fcntl.h>
#include <net/if.h>
#include <pwd.h>
#include <sys/socket.h>

static bool have_v6;

static void assert_cloexec(int fd)
{
    int fl = fcntl(fd, F_GETFD);
    ASSERT_TRUE(fl >= 0 && (fl & FD_CLOEXEC));
}

static bool is_nonblocking(int fd)
{
    return (fcntl(fd, F_GETFL) & O_NONBLOCK) != 0;
}

/* A listener's address with its real port. */
static struct mr_addr local_of(const struct mr_sock *s)
{
    struct mr_addr a;
    ASSERT_OK(mr_sock_local_addr(s, &a));
    return a;
}

/* One byte each way over a connected pair of sockets. */
static void ping(const struct mr_sock *a, const struct mr_sock *b)
{
    char x = 'x', y = 0;
    ASSERT_EQ(mr_sock_send_all(a, MR_REGION_OF(x), 2000, NULL), 1);
    ASSERT_EQ(b->type == SOCK_STREAM ? mr_sock_recv_exact(b, MR_REGION_OF(y), 2000, NULL)
                                     : (mr_sock_wait(b, MR_SOCK_READABLE, 2000) > 0
                                            ? mr_sock_recv(b, MR_REGION_OF(y), 0)
                                            : -ETIMEDOUT),
              1);
    ASSERT_EQ(y, 'x');
}

static void test_open_every_kind(void)
{
    const int fams[] = { AF_INET, AF_INET6, AF_UNIX };
    const int types[] = { SOCK_STREAM, SOCK_DGRAM };
    for (size_t f = 0; f < 3; f++) {
        for (size_t t = 0; t < 2; t++) {
            struct mr_sock s = MR_SOCK_INIT;
            int rc = mr_sock_open(&s, fams[f], types[t], 0);
            if (fams[f] == AF_INET6 && rc == -EAFNOSUPPORT)
                continue;
            ASSERT_OK(rc);
            ASSERT_GE(s.fd, 0);
            ASSERT_EQ(s.family, fams[f]);
            ASSERT_EQ(s.type, types[t]);
            ASSERT_EQ(s.flags, 0u);
            assert_cloexec(s.fd);
            ASSERT_OK(mr_sock_close(&s));
            ASSERT_EQ(s.fd, -1);
            ASSERT_OK(mr_sock_close(&s)); /* closed: a no-op */
        }
    }
    struct mr_sock s;
    ASSERT_ERR(mr_sock_open(&s, AF_PACKET, SOCK_STREAM, 0), -EAFNOSUPPORT);
    ASSERT_EQ(s.fd, -1);
    ASSERT_ERR(mr_sock_open(&s, AF_INET, SOCK_RAW, 0), -ESOCKTNOSUPPORT);
    ASSERT_ERR(mr_sock_open(&s, AF_INET, SOCK_STREAM, 0x8000), -EINVAL);
    ASSERT_ERR(mr_sock_open(&s, AF_INET, SOCK_STREAM, MR_SOCK_V6ONLY), -EINVAL);
    ASSERT_ERR(mr_sock_open(&s, AF_INET, SOCK_STREAM, MR_SOCK_PASSIVE), -EINVAL);

    if (have_v6) {
        int v;
        ASSERT_OK(mr_sock_open(&s, AF_INET6, SOCK_STREAM, 0));
        ASSERT_OK(mr_sock_get_opt(&s, MR_SOCK_OPT_V6ONLY, &v));
        ASSERT_EQ(v, 0);
        mr_sock_close(&s);
        ASSERT_OK(mr_sock_open(&s, AF_INET6, SOCK_DGRAM, MR_SOCK_V6ONLY));
        ASSERT_OK(mr_sock_get_opt(&s, MR_SOCK_OPT_V6ONLY, &v));
        ASSERT_EQ(v, 1);
        mr_sock_close(&s);
    }
}

static void test_pairs(void)
{
    const int types[] = { SOCK_STREAM, SOCK_DGRAM };
    for (size_t t = 0; t < 2; t++) {
        struct mr_sock a = MR_SOCK_INIT, b = MR_SOCK_INIT;
        ASSERT_OK(mr_sock_open_pair(&a, &b, types[t], 0));
        ASSERT_EQ(a.family, AF_UNIX);
        ASSERT_EQ(b.type, types[t]);
        assert_cloexec(a.fd);
        assert_cloexec(b.fd);
        ping(&a, &b);
        ping(&b, &a);
        struct mr_addr peer;
        char text[MR_ADDR_TEXT_MAX];
        ASSERT_OK(mr_sock_peer_addr(&a, &peer));
        ASSERT_EQ(mr_addr_family(&peer), AF_UNIX);
        ASSERT_EQ(mr_addr_format(&peer, text, sizeof text), 5); /* "unix:": unnamed */
        mr_sock_close(&a);
        mr_sock_close(&b);
    }
    struct mr_sock a, b;
    ASSERT_ERR(mr_sock_open_pair(&a, &b, SOCK_RAW, 0), -ESOCKTNOSUPPORT);
    ASSERT_ERR(mr_sock_open_pair(&a, &b, SOCK_STREAM, 1), -EINVAL);
    ASSERT_EQ(a.fd, -1);
    ASSERT_EQ(b.fd, -1);
}

/* Listen on addr, check the accept timeouts, connect, accept, and check
 * both ends' addresses. */
static void listen_accept_on(const struct mr_addr *addr, unsigned flags, int client_family)
{
    struct mr_sock l = MR_SOCK_INIT, c = MR_SOCK_INIT, a = MR_SOCK_INIT;
    struct mr_addr where, peer, mine;
    ASSERT_OK(mr_sock_open_listen(&l, addr, -1, flags));
    ASSERT_TRUE(l.flags & MR_SOCK_PASSIVE);
    ASSERT_TRUE(is_nonblocking(l.fd));
    assert_cloexec(l.fd);
    where = local_of(&l);
    if (mr_addr_family(&where) != AF_UNIX)
        ASSERT_GT(mr_addr_port(&where), 0);

    /* Nothing pending: "only look" and a short wait both say so. */
    int64_t t0 = mr_test_now_ms();
    ASSERT_ERR(mr_sock_accept(&l, &a, &peer, 0), -ETIMEDOUT);
    ASSERT_LT(mr_test_now_ms() - t0, 1000);
    t0 = mr_test_now_ms();
    ASSERT_ERR(mr_sock_accept(&l, &a, &peer, 60), -ETIMEDOUT);
    int64_t took = mr_test_now_ms() - t0;
    ASSERT_GE(took, 59);
    ASSERT_LT(took, 3000);
    ASSERT_EQ(a.fd, -1);

    /* A client of another family reaches a dual-stack listener. */
    struct mr_addr target = where;
    if (client_family == AF_INET && mr_addr_family(&where) == AF_INET6) {
        ASSERT_OK(mr_addr_loopback(&target, AF_INET, (unsigned)mr_addr_port(&where)));
    }
    ASSERT_OK(mr_sock_open_connect(&c, &target, SOCK_STREAM, 2000, 0));
    ASSERT_FALSE(is_nonblocking(c.fd));
    ASSERT_OK(mr_sock_accept(&l, &a, &peer, 2000));
    ASSERT_EQ(a.family, l.family);
    ASSERT_EQ(a.type, SOCK_STREAM);
    ASSERT_EQ(a.flags, 0u);
    ASSERT_FALSE(is_nonblocking(a.fd));
    assert_cloexec(a.fd);
    ASSERT_OK(mr_sock_local_addr(&c, &mine));
    if (client_family == AF_INET && mr_addr_family(&peer) == AF_INET6) {
        ASSERT_TRUE(mr_addr_is_v4mapped(&peer));
        ASSERT_OK(mr_addr_unmap_v4(&peer, &peer));
    }
    ASSERT_TRUE(mr_addr_equal(&peer, &mine));
    ping(&c, &a);
    ping(&a, &c);

    mr_sock_close(&a);
    /* A connected or unbound socket is not listening. */
    ASSERT_ERR(mr_sock_accept(&c, &a, NULL, 0), -EINVAL);
    ASSERT_EQ(a.fd, -1);
    mr_sock_close(&c);
    mr_sock_close(&l);
}

static void test_listen_accept(void)
{
    struct mr_addr a;
    struct mr_addr_error err;
    char path[128], text[160];

    ASSERT_OK(mr_addr_loopback(&a, AF_INET, 0));
    listen_accept_on(&a, 0, AF_INET);

    if (have_v6) {
        ASSERT_OK(mr_addr_loopback(&a, AF_INET6, 0));
        listen_accept_on(&a, MR_SOCK_V6ONLY, AF_INET6);
        /* Dual-stack: an IPv4 client shows up v4-mapped. */
        ASSERT_OK(mr_addr_any(&a, AF_INET6, 0));
        listen_accept_on(&a, 0, AF_INET);
    } else {
        mr_test_skip_case("IPv6 listen/accept", "no IPv6 loopback here (sysctl net.ipv6.conf.lo.disable_ipv6=0)");
    }

    snprintf(text, sizeof text, "unix:%s", mr_test_tmp_path(path, sizeof path, "listen"));
    ASSERT_OK(mr_addr_parse(&a, text, &err));
    listen_accept_on(&a, 0, AF_UNIX);

    snprintf(text, sizeof text, "unix:@mr-test-%ld-listen", (long)getpid());
    ASSERT_OK(mr_addr_parse(&a, text, &err));
    listen_accept_on(&a, 0, AF_UNIX);

    /* Datagram sockets do not listen; bad backlogs and flags. */
    struct mr_sock s = MR_SOCK_INIT;
    ASSERT_OK(mr_addr_loopback(&a, AF_INET, 0));
    ASSERT_OK(mr_sock_open_bind(&s, &a, SOCK_DGRAM, 0));
    ASSERT_ERR(mr_sock_listen(&s, 1), -EOPNOTSUPP);
    mr_sock_close(&s);
    ASSERT_ERR(mr_sock_open_listen(&s, &a, -2, 0), -EINVAL);
    ASSERT_ERR(mr_sock_open_listen(&s, &a, 1, MR_SOCK_REUSEADDR), -EINVAL);
    ASSERT_ERR(mr_sock_open_listen(&s, NULL, 1, 0), -EINVAL);
    ASSERT_EQ(s.fd, -1);

    /* A taken port: -EADDRINUSE, and the failed open leaves nothing. */
    struct mr_sock l = MR_SOCK_INIT;
    ASSERT_OK(mr_sock_open_listen(&l, &a, 1, 0));
    struct mr_addr taken = local_of(&l);
    ASSERT_ERR(mr_sock_open_listen(&s, &taken, 1, 0), -EADDRINUSE);
    ASSERT_EQ(s.fd, -1);
    mr_sock_close(&l);

    /* SO_REUSEPORT lets two listeners share a port. */
    struct mr_sock l2 = MR_SOCK_INIT;
    ASSERT_OK(mr_sock_open_listen(&l, &a, 1, MR_SOCK_REUSEPORT));
    taken = local_of(&l);
    ASSERT_OK(mr_sock_open_listen(&l2, &taken, 1, MR_SOCK_REUSEPORT));
    mr_sock_close(&l2);
    mr_sock_close(&l);
}

/* A port that was bound and then closed refuses; so does a Unix path with
 * a socket that does not listen; a missing path is -ENOENT. */
static void test_connect_refused(void)
{
    struct mr_sock s = MR_SOCK_INIT, c = MR_SOCK_INIT;
    struct mr_addr a;
    char path[128];

    ASSERT_OK(mr_addr_loopback(&a, AF_INET, 0));
    ASSERT_OK(mr_sock_open_listen(&s, &a, 1, 0));
    a = local_of(&s);
    mr_sock_close(&s);
    ASSERT_ERR(mr_sock_open_connect(&c, &a, SOCK_STREAM, 2000, 0), -ECONNREFUSED);
    ASSERT_EQ(c.fd, -1);
    /* The same socket, opened by hand, also reports it and stays usable. */
    ASSERT_OK(mr_sock_open(&c, AF_INET, SOCK_STREAM, 0));
    ASSERT_ERR(mr_sock_connect(&c, &a, -1), -ECONNREFUSED);
    ASSERT_FALSE(is_nonblocking(c.fd));
    mr_sock_close(&c);

    if (have_v6) {
        ASSERT_OK(mr_addr_loopback(&a, AF_INET6, 0));
        ASSERT_OK(mr_sock_open_listen(&s, &a, 1, 0));
        a = local_of(&s);
        mr_sock_close(&s);
        ASSERT_ERR(mr_sock_open_connect(&c, &a, SOCK_STREAM, 2000, 0), -ECONNREFUSED);
    }

    ASSERT_OK(mr_addr_unix(&a, mr_test_tmp_path(path, sizeof path, "refuse")));
    ASSERT_OK(mr_sock_open_bind(&s, &a, SOCK_STREAM, 0));
    ASSERT_ERR(mr_sock_open_connect(&c, &a, SOCK_STREAM, 2000, 0), -ECONNREFUSED);
    mr_sock_close(&s);
    ASSERT_ERR(mr_sock_open_connect(&c, &a, SOCK_STREAM, 2000, 0), -ENOENT);
    ASSERT_OK(mr_addr_unix_abstract(&a, "mr-nobody-listens-here", 22));
    ASSERT_ERR(mr_sock_open_connect(&c, &a, SOCK_STREAM, 2000, 0), -ECONNREFUSED);

    /* Addresses of the wrong family. */
    ASSERT_OK(mr_addr_loopback(&a, AF_INET, 1));
    ASSERT_OK(mr_sock_open(&c, AF_UNIX, SOCK_STREAM, 0));
    ASSERT_ERR(mr_sock_connect(&c, &a, 100), -EAFNOSUPPORT);
    ASSERT_ERR(mr_sock_connect(&c, &a, -2), -EINVAL);
    mr_sock_close(&c);
}

/* Unix: a listener that never accepts, with backlog 0, queues one
 * connection (Linux admits one more than the backlog); the next connect
 * waits for room and times out. Deterministic: the queue is only ours. */
static void test_connect_timeout_unix(void)
{
    struct mr_sock l = MR_SOCK_INIT, c1 = MR_SOCK_INIT, c2 = MR_SOCK_INIT, a = MR_SOCK_INIT;
    struct mr_addr addr;
    char name[64];
    int n = snprintf(name, sizeof name, "mr-test-%ld-full", (long)getpid());
    ASSERT_OK(mr_addr_unix_abstract(&addr, name, (size_t)n));
    ASSERT_OK(mr_sock_open_listen(&l, &addr, 0, 0));

    /* Fill the queue: connects succeed at once until it is full. */
    struct mr_sock filler[4];
    size_t nf = 0;
    for (;;) {
        ASSERT_LT(nf, (size_t)4);
        int rc = mr_sock_open_connect(&filler[nf], &addr, SOCK_STREAM, 0, 0);
        if (rc == -ETIMEDOUT)
            break;
        ASSERT_OK(rc);
        nf++;
    }
    ASSERT_GE(nf, (size_t)1);

    ASSERT_OK(mr_sock_open(&c2, AF_UNIX, SOCK_STREAM, 0));
    int64_t t0 = mr_test_now_ms();
    ASSERT_ERR(mr_sock_connect(&c2, &addr, 150), -ETIMEDOUT);
    int64_t took = mr_test_now_ms() - t0;
    ASSERT_GE(took, 140);
    ASSERT_LT(took, 3000);
    /* Poll once: at once. */
    t0 = mr_test_now_ms();
    ASSERT_ERR(mr_sock_connect(&c2, &addr, 0), -ETIMEDOUT);
    ASSERT_LT(mr_test_now_ms() - t0, 1000);
    /* The socket's own send timeout and blocking mode are as they were. */
    int v;
    ASSERT_OK(mr_sock_get_opt(&c2, MR_SOCK_OPT_SNDTIMEO, &v));
    ASSERT_EQ(v, -1);
    ASSERT_FALSE(is_nonblocking(c2.fd));

    /* Room again (one accepted): the same socket connects. */
    ASSERT_OK(mr_sock_accept(&l, &a, NULL, 2000));
    ASSERT_OK(mr_sock_connect(&c2, &addr, 2000));
    mr_sock_close(&a);
    mr_sock_close(&c2);
    mr_sock_close(&c1);
    for (size_t i = 0; i < nf; i++)
        mr_sock_close(&filler[i]);
    mr_sock_close(&l);
}

/* TCP: when a listener's accept queue is full, Linux drops incoming SYNs
 * (tcp_conn_request: "listen overflows"), and the client would retransmit
 * only after its 1 s initial RTO. A listener with backlog 0 that never
 * accepts fills after the first connection completes (a second may
 * complete before the first reaches the queue, so up to 8 are tried), and
 * then a connect with a 200 ms timeout times out: loopback only, no
 * unroutable address and no network namespace needed. */
static void test_connect_timeout_tcp(void)
{
    struct mr_sock l = MR_SOCK_INIT;
    struct mr_sock c[8];
    struct mr_addr addr;
    ASSERT_OK(mr_addr_loopback(&addr, AF_INET, 0));
    ASSERT_OK(mr_sock_open_listen(&l, &addr, 0, 0));
    addr = local_of(&l);

    int timed_out = -1;
    for (int i = 0; i < 8 && timed_out < 0; i++) {
        int64_t t0 = mr_test_now_ms();
        int rc = mr_sock_open_connect(&c[i], &addr, SOCK_STREAM, 200, 0);
        int64_t took = mr_test_now_ms() - t0;
        if (rc == -ETIMEDOUT) {
            ASSERT_GE(took, 190);
            ASSERT_LT(took, 3000);
            ASSERT_EQ(c[i].fd, -1);
            timed_out = i;
        } else {
            ASSERT_OK(rc);
        }
    }
    if (timed_out < 0)
        mr_test_fail(__FILE__, __LINE__, "no connect timed out against a full accept queue");

    /* A socket whose connect timed out is unconnected and tries again. */
    struct mr_sock again = MR_SOCK_INIT;
    ASSERT_OK(mr_sock_open(&again, AF_INET, SOCK_STREAM, 0));
    ASSERT_ERR(mr_sock_connect(&again, &addr, 100), -ETIMEDOUT);
    ASSERT_FALSE(is_nonblocking(again.fd));
    for (int i = 0; i < timed_out; i++)
        mr_sock_close(&c[i]);
    struct mr_sock acc = MR_SOCK_INIT;
    while (mr_sock_accept(&l, &acc, NULL, 0) == 0)
        mr_sock_close(&acc);
    ASSERT_OK(mr_sock_connect(&again, &addr, 3000));
    ASSERT_OK(mr_sock_accept(&l, &acc, NULL, 3000));
    ping(&again, &acc);
    mr_sock_close(&acc);
    mr_sock_close(&again);
    mr_sock_close(&l);
}

static void test_connect_text(void)
{
    struct mr_sock l = MR_SOCK_INIT, c = MR_SOCK_INIT, a = MR_SOCK_INIT;
    struct mr_addr addr;
    struct mr_addr_error err;
    char text[160], path[128];

    /* localhost may resolve to ::1 first, which refuses: the next address
     * (127.0.0.1) is tried. */
    ASSERT_OK(mr_addr_loopback(&addr, AF_INET, 0));
    ASSERT_OK(mr_sock_open_listen(&l, &addr, -1, 0));
    struct mr_addr bound = local_of(&l);
    snprintf(text, sizeof text, "localhost:%d", mr_addr_port(&bound));
    ASSERT_OK(mr_sock_open_connect_text(&c, text, SOCK_STREAM, 3000, &err));
    ASSERT_EQ(c.family, AF_INET);
    ASSERT_OK(mr_sock_accept(&l, &a, NULL, 2000));
    ping(&c, &a);
    mr_sock_close(&a);
    mr_sock_close(&c);
    mr_sock_close(&l);

    snprintf(text, sizeof text, "unix:%s", mr_test_tmp_path(path, sizeof path, "text"));
    ASSERT_OK(mr_addr_parse(&addr, text, &err));
    ASSERT_OK(mr_sock_open_listen(&l, &addr, -1, 0));
    ASSERT_OK(mr_sock_open_connect_text(&c, text, SOCK_STREAM, 2000, &err));
    ASSERT_OK(mr_sock_accept(&l, &a, NULL, 2000));
    ping(&a, &c);
    mr_sock_close(&a);
    mr_sock_close(&c);
    mr_sock_close(&l);
    ASSERT_ERR(mr_sock_open_connect_text(&c, text, SOCK_STREAM, 2000, &err), -ENOENT);

    ASSERT_ERR(mr_sock_open_connect_text(&c, "nonsense", SOCK_STREAM, 100, &err), -EINVAL);
    ASSERT_TRUE(strstr(err.reason, "missing port") != NULL);
    ASSERT_EQ(c.fd, -1);
}

/* A connected datagram socket hears only its peer and sends without an
 * address; disconnected, it needs one and hears everyone. */
static void disconnect_family(int family)
{
    struct mr_sock a = MR_SOCK_INIT, b = MR_SOCK_INIT, x = MR_SOCK_INIT;
    struct mr_addr aa, ba, xa, from;
    char buf[8];
    char p1[128], p2[128], p3[128];
    if (family == AF_UNIX) {
        ASSERT_OK(mr_addr_unix(&aa, mr_test_tmp_path(p1, sizeof p1, "dg-a")));
        ASSERT_OK(mr_addr_unix(&ba, mr_test_tmp_path(p2, sizeof p2, "dg-b")));
        ASSERT_OK(mr_addr_unix(&xa, mr_test_tmp_path(p3, sizeof p3, "dg-x")));
    } else {
        ASSERT_OK(mr_addr_loopback(&aa, family, 0));
        ba = xa = aa;
    }
    ASSERT_OK(mr_sock_open_bind(&a, &aa, SOCK_DGRAM, 0));
    ASSERT_OK(mr_sock_open_bind(&b, &ba, SOCK_DGRAM, 0));
    ASSERT_OK(mr_sock_open_bind(&x, &xa, SOCK_DGRAM, 0));
    aa = local_of(&a);
    ba = local_of(&b);

    ASSERT_OK(mr_sock_connect(&a, &ba, 0));
    ASSERT_EQ(mr_sock_send(&a, mr_region_make("hi", 2), 0), 2);
    ASSERT_GT(mr_sock_wait(&b, MR_SOCK_READABLE, 2000), 0);
    ASSERT_EQ(mr_sock_recv_from(&b, MR_REGION_OF_ARRAY(buf), 0, &from, NULL), 2);
    ASSERT_TRUE(mr_addr_equal(&from, &aa));

    /* x's datagram to a is dropped (a hears only b) on IP; a connected Unix
     * datagram socket refuses other senders outright. */
    ssize_t rc = mr_sock_send_to(&x, mr_region_make("no", 2), 0, &aa);
    if (family == AF_UNIX)
        ASSERT_ERR(rc, -EPERM);
    else
        ASSERT_EQ(rc, 2);
    ASSERT_ERR(mr_sock_recv(&a, MR_REGION_OF_ARRAY(buf), MSG_DONTWAIT), -EAGAIN);

    ASSERT_OK(mr_sock_disconnect(&a));
    ASSERT_ERR(mr_sock_send(&a, mr_region_make("hi", 2), 0),
               family == AF_UNIX ? -ENOTCONN : -EDESTADDRREQ);
    ASSERT_EQ(mr_sock_send_to(&a, mr_region_make("to", 2), 0, &ba), 2);
    ASSERT_GT(mr_sock_wait(&b, MR_SOCK_READABLE, 2000), 0);
    ASSERT_EQ(mr_sock_recv(&b, MR_REGION_OF_ARRAY(buf), 0), 2);
    /* On IP, a port the system chose is given up on disconnect (Linux's
     * udp_disconnect), and the send above took a new one. */
    aa = local_of(&a);
    ASSERT_EQ(mr_sock_send_to(&x, mr_region_make("ok", 2), 0, &aa), 2);
    ASSERT_GT(mr_sock_wait(&a, MR_SOCK_READABLE, 2000), 0);
    ASSERT_EQ(mr_sock_recv(&a, MR_REGION_OF_ARRAY(buf), 0), 2);
    ASSERT_MEM_EQ(buf, "ok", 2);

    mr_sock_close(&a);
    mr_sock_close(&b);
    mr_sock_close(&x);
}

static void test_disconnect(void)
{
    disconnect_family(AF_INET);
    if (have_v6)
        disconnect_family(AF_INET6);
    disconnect_family(AF_UNIX);

    struct mr_sock a = MR_SOCK_INIT, b = MR_SOCK_INIT;
    ASSERT_OK(mr_sock_open_pair(&a, &b, SOCK_STREAM, 0));
    ASSERT_ERR(mr_sock_disconnect(&a), -EOPNOTSUPP);
    mr_sock_close(&a);
    mr_sock_close(&b);
}

static void test_shutdown(void)
{
    struct mr_sock a = MR_SOCK_INIT, b = MR_SOCK_INIT;
    char c;

    /* Write side: the peer reads the end of the stream; the other way
     * still works. */
    ASSERT_OK(mr_sock_open_pair(&a, &b, SOCK_STREAM, 0));
    ASSERT_OK(mr_sock_shutdown(&a, SHUT_WR));
    ASSERT_EQ(mr_sock_recv(&b, MR_REGION_OF(c), 0), 0);
    ASSERT_ERR(mr_sock_send(&a, MR_REGION_OF(c), 0), -EPIPE);
    ping(&b, &a);
    mr_sock_close(&a);
    mr_sock_close(&b);

    /* Read side: receives see the end at once; sending still works. */
    ASSERT_OK(mr_sock_open_pair(&a, &b, SOCK_STREAM, 0));
    ASSERT_OK(mr_sock_shutdown(&a, SHUT_RD));
    ASSERT_EQ(mr_sock_recv(&a, MR_REGION_OF(c), 0), 0);
    ping(&a, &b);
    mr_sock_close(&a);
    mr_sock_close(&b);

    /* Both, over TCP. */
    struct mr_sock l = MR_SOCK_INIT;
    struct mr_addr addr;
    ASSERT_OK(mr_addr_loopback(&addr, AF_INET, 0));
    ASSERT_OK(mr_sock_open_listen(&l, &addr, 1, 0));
    addr = local_of(&l);
    ASSERT_OK(mr_sock_open_connect(&a, &addr, SOCK_STREAM, 2000, 0));
    ASSERT_OK(mr_sock_accept(&l, &b, NULL, 2000));
    ASSERT_OK(mr_sock_shutdown(&a, SHUT_RDWR));
    ASSERT_EQ(mr_sock_recv_exact(&b, MR_REGION_OF(c), 2000, NULL), 0);
    ASSERT_EQ(mr_sock_recv(&a, MR_REGION_OF(c), 0), 0);
    ASSERT_ERR(mr_sock_send(&a, MR_REGION_OF(c), 0), -EPIPE);
    ASSERT_ERR(mr_sock_shutdown(&a, 7), -EINVAL);
    mr_sock_close(&a);
    mr_sock_close(&b);
    mr_sock_close(&l);
}

static void close_in_child(void *arg)
{
    struct mr_sock *s = arg;
    if (mr_sock_close(s) != 0)
        _exit(2);
}

/* A path that fills sun_path, with no NUL (valid to the kernel): bound,
 * recorded and removed on close like any other. */
static void test_unix_path_full_length(void)
{
    struct mr_sock d = MR_SOCK_INIT;
    struct sockaddr_un un;
    struct mr_addr addr;
    struct stat st;
    char dir[128], path[sizeof un.sun_path + 1];

    mr_test_tmp_path(dir, sizeof dir, "");
    size_t dlen = strlen(dir);
    ASSERT_LT(dlen + 8, sizeof un.sun_path);
    memset(&un, 0, sizeof un);
    un.sun_family = AF_UNIX;
    memcpy(un.sun_path, dir, dlen);
    memset(un.sun_path + dlen, 'p', sizeof un.sun_path - dlen);
    memcpy(path, un.sun_path, sizeof un.sun_path);
    path[sizeof un.sun_path] = '\0';
    ASSERT_OK(mr_addr_from_sockaddr(&addr, (const struct sockaddr *)&un, sizeof un));
    ASSERT_OK(mr_sock_open_bind(&d, &addr, SOCK_DGRAM, 0));
    ASSERT_OK(stat(path, &st));
    ASSERT_STR_EQ(d.path, path);
    ASSERT_OK(mr_sock_close(&d));
    ASSERT_TRUE(stat(path, &st) < 0 && errno == ENOENT);
}

static void test_unix_path_removed(void)
{
    struct mr_sock l = MR_SOCK_INIT, d = MR_SOCK_INIT, w = MR_SOCK_INIT;
    struct mr_addr addr;
    struct stat st;
    char path[128];

    /* A listener removes its path on close. */
    ASSERT_OK(mr_addr_unix(&addr, mr_test_tmp_path(path, sizeof path, "gone")));
    ASSERT_OK(mr_sock_open_listen(&l, &addr, -1, 0));
    ASSERT_TRUE(l.flags & MR_SOCK_OWNS_PATH);
    ASSERT_OK(stat(path, &st));
    ASSERT_TRUE(S_ISSOCK(st.st_mode));
    /* A second bind of the same path: -EADDRINUSE, and the loser leaves the
     * winner's file alone. */
    ASSERT_ERR(mr_sock_open_listen(&d, &addr, -1, 0), -EADDRINUSE);
    ASSERT_OK(stat(path, &st));
    /* A forked child closing its copy leaves the path. */
    ASSERT_EQ(mr_test_wait(mr_test_start(close_in_child, &l)), 0);
    ASSERT_OK(stat(path, &st));
    ASSERT_OK(mr_sock_close(&l));
    ASSERT_TRUE(stat(path, &st) < 0 && errno == ENOENT);

    /* So does a bound datagram socket. */
    ASSERT_OK(mr_sock_open_bind(&d, &addr, SOCK_DGRAM, 0));
    ASSERT_OK(stat(path, &st));
    mr_sock_close(&d);
    ASSERT_TRUE(stat(path, &st) < 0 && errno == ENOENT);

    /* A path replaced since (by a new socket elsewhere, here a file) is
     * not ours to remove. */
    ASSERT_OK(mr_sock_open_listen(&l, &addr, -1, 0));
    ASSERT_OK(unlink(path));
    int fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
    ASSERT_GE(fd, 0);
    close(fd);
    mr_sock_close(&l);
    ASSERT_OK(stat(path, &st));
    ASSERT_TRUE(S_ISREG(st.st_mode));
    ASSERT_OK(unlink(path));
    /* Replaced by another server's socket, which only the file's identity
     * tells apart: the new server keeps its path. */
    ASSERT_OK(mr_sock_open_listen(&l, &addr, -1, 0));
    ASSERT_OK(unlink(path));
    ASSERT_OK(mr_sock_open_listen(&d, &addr, -1, 0));
    ASSERT_OK(stat(path, &st));
    mr_sock_close(&l);
    struct stat st2;
    ASSERT_OK(stat(path, &st2));
    ASSERT_EQ(st2.st_ino, st.st_ino);
    mr_sock_close(&d);
    ASSERT_TRUE(stat(path, &st) < 0 && errno == ENOENT);

    /* An adopted socket's path was not made here: it stays. */
    int raw = socket(AF_UNIX, SOCK_STREAM, 0);
    ASSERT_GE(raw, 0);
    ASSERT_OK(bind(raw, &addr.sa, addr.len));
    ASSERT_OK(mr_sock_adopt_fd(&w, raw, 0));
    ASSERT_FALSE(w.flags & MR_SOCK_OWNS_PATH);
    mr_sock_close(&w);
    ASSERT_OK(stat(path, &st));
    ASSERT_OK(unlink(path));
}

static void test_adopt_fd(void)
{
    const struct {
        int family, type;
        bool listen;
    } kinds[] = {
        { AF_INET, SOCK_STREAM, false }, { AF_INET, SOCK_STREAM, true },
        { AF_INET, SOCK_DGRAM, false },  { AF_INET6, SOCK_STREAM, true },
        { AF_INET6, SOCK_DGRAM, false }, { AF_UNIX, SOCK_STREAM, false },
        { AF_UNIX, SOCK_STREAM, true },  { AF_UNIX, SOCK_DGRAM, false },
    };
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        if (kinds[i].family == AF_INET6 && !have_v6)
            continue;
        int fd = socket(kinds[i].family, kinds[i].type, 0); /* no SOCK_CLOEXEC */
        ASSERT_GE(fd, 0);
        if (kinds[i].listen) {
            if (kinds[i].family == AF_UNIX) {
                struct mr_addr a;
                char name[64];
                int n = snprintf(name, sizeof name, "mr-test-%ld-wrap", (long)getpid());
                ASSERT_OK(mr_addr_unix_abstract(&a, name, (size_t)n));
                ASSERT_OK(bind(fd, &a.sa, a.len));
            }
            ASSERT_OK(listen(fd, 4));
        }
        struct mr_sock s = MR_SOCK_INIT;
        ASSERT_OK(mr_sock_adopt_fd(&s, fd, 0));
        ASSERT_EQ(s.fd, fd);
        ASSERT_EQ(s.family, kinds[i].family);
        ASSERT_EQ(s.type, kinds[i].type);
        ASSERT_EQ((s.flags & MR_SOCK_PASSIVE) != 0, kinds[i].listen);
        ASSERT_EQ(is_nonblocking(fd), kinds[i].listen);
        ASSERT_EQ((s.flags & MR_SOCK_NONBLOCKING) != 0, kinds[i].listen);
        assert_cloexec(fd);
        mr_sock_close(&s);
    }

    /* Refusals leave the caller's fd open and unchanged. */
    struct mr_sock s;
    int p[2];
    ASSERT_OK(pipe(p));
    ASSERT_ERR(mr_sock_adopt_fd(&s, p[0], 0), -ENOTSOCK);
    ASSERT_EQ(s.fd, -1);
    ASSERT_EQ(fcntl(p[0], F_GETFD), 0);
    close(p[0]);
    close(p[1]);
    int sp = socket(AF_UNIX, SOCK_SEQPACKET, 0);
    ASSERT_ERR(mr_sock_adopt_fd(&s, sp, 0), -ESOCKTNOSUPPORT);
    ASSERT_EQ(fcntl(sp, F_GETFD), 0);
    close(sp);
    int nl = socket(AF_NETLINK, SOCK_DGRAM, 0);
    if (nl >= 0) {
        ASSERT_ERR(mr_sock_adopt_fd(&s, nl, 0), -EAFNOSUPPORT);
        close(nl);
    }
    ASSERT_ERR(mr_sock_adopt_fd(&s, -1, 0), -EBADF);
    ASSERT_ERR(mr_sock_adopt_fd(&s, 1000000, 0), -EBADF);
    int ok = socket(AF_INET, SOCK_DGRAM, 0);
    ASSERT_ERR(mr_sock_adopt_fd(&s, ok, 1), -EINVAL);
    close(ok);
}

/* The old name still works, with the same contract: it adopts the fd. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
static void test_open_fd_deprecated(void)
{
    struct mr_sock s = MR_SOCK_INIT;
    int fd = socket(AF_UNIX, SOCK_DGRAM, 0); /* no SOCK_CLOEXEC */
    ASSERT_GE(fd, 0);
    ASSERT_OK(mr_sock_open_fd(&s, fd, 0));
    ASSERT_EQ(s.fd, fd);
    ASSERT_EQ(s.family, AF_UNIX);
    ASSERT_EQ(s.type, SOCK_DGRAM);
    assert_cloexec(fd);
    ASSERT_OK(mr_sock_close(&s));
    ASSERT_EQ(fcntl(fd, F_GETFD), -1); /* closed with the socket */
    int p[2];
    ASSERT_OK(pipe(p));
    ASSERT_ERR(mr_sock_open_fd(&s, p[0], 0), -ENOTSOCK);
    ASSERT_EQ(s.fd, -1);
    ASSERT_EQ(close(p[0]), 0); /* refused: still the caller's */
    close(p[1]);
}
#pragma GCC diagnostic pop

static void test_options(void)
{
    struct mr_sock t = MR_SOCK_INIT, u = MR_SOCK_INIT, x = MR_SOCK_INIT, y = MR_SOCK_INIT;
    int v;
    ASSERT_OK(mr_sock_open(&t, AF_INET, SOCK_STREAM, 0));
    ASSERT_OK(mr_sock_open(&u, AF_INET, SOCK_DGRAM, 0));
    ASSERT_OK(mr_sock_open_pair(&x, &y, SOCK_STREAM, 0));

    /* Booleans, on TCP. */
    const enum mr_sock_opt bools[] = { MR_SOCK_OPT_NODELAY, MR_SOCK_OPT_KEEPALIVE,
                                       MR_SOCK_OPT_REUSEADDR, MR_SOCK_OPT_REUSEPORT };
    for (size_t i = 0; i < sizeof bools / sizeof bools[0]; i++) {
        ASSERT_OK(mr_sock_set_opt(&t, bools[i], 1));
        ASSERT_OK(mr_sock_get_opt(&t, bools[i], &v));
        ASSERT_EQ(v, 1);
        ASSERT_OK(mr_sock_set_opt(&t, bools[i], 0));
        ASSERT_OK(mr_sock_get_opt(&t, bools[i], &v));
        ASSERT_EQ(v, 0);
        ASSERT_ERR(mr_sock_set_opt(&t, bools[i], 2), -EINVAL);
    }

    /* Keepalive, in one call and each. */
    ASSERT_OK(mr_sock_set_keepalive(&t, 30, 5, 4));
    ASSERT_OK(mr_sock_get_opt(&t, MR_SOCK_OPT_KEEPALIVE, &v));
    ASSERT_EQ(v, 1);
    ASSERT_OK(mr_sock_get_opt(&t, MR_SOCK_OPT_KEEPIDLE, &v));
    ASSERT_EQ(v, 30);
    ASSERT_OK(mr_sock_get_opt(&t, MR_SOCK_OPT_KEEPINTVL, &v));
    ASSERT_EQ(v, 5);
    ASSERT_OK(mr_sock_get_opt(&t, MR_SOCK_OPT_KEEPCNT, &v));
    ASSERT_EQ(v, 4);
    ASSERT_ERR(mr_sock_set_opt(&t, MR_SOCK_OPT_KEEPIDLE, 0), -EINVAL);
    ASSERT_ERR(mr_sock_set_opt(&t, MR_SOCK_OPT_KEEPCNT, 128), -EINVAL);
    ASSERT_ERR(mr_sock_set_keepalive(&u, 1, 1, 1), -ENOPROTOOPT);

    /* Linger, in seconds, -1 for off, on stream sockets of any family. */
    ASSERT_OK(mr_sock_get_opt(&t, MR_SOCK_OPT_LINGER, &v));
    ASSERT_EQ(v, -1);
    ASSERT_OK(mr_sock_set_opt(&t, MR_SOCK_OPT_LINGER, 3));
    ASSERT_OK(mr_sock_get_opt(&t, MR_SOCK_OPT_LINGER, &v));
    ASSERT_EQ(v, 3);
    ASSERT_OK(mr_sock_set_opt(&x, MR_SOCK_OPT_LINGER, 0));
    ASSERT_OK(mr_sock_get_opt(&x, MR_SOCK_OPT_LINGER, &v));
    ASSERT_EQ(v, 0);
    ASSERT_OK(mr_sock_set_opt(&t, MR_SOCK_OPT_LINGER, -1));
    ASSERT_OK(mr_sock_get_opt(&t, MR_SOCK_OPT_LINGER, &v));
    ASSERT_EQ(v, -1);
    ASSERT_ERR(mr_sock_set_opt(&t, MR_SOCK_OPT_LINGER, -2), -EINVAL);

    /* Buffers: the kernel doubles what it is given. */
    ASSERT_OK(mr_sock_set_opt(&u, MR_SOCK_OPT_SNDBUF, 16384));
    ASSERT_OK(mr_sock_get_opt(&u, MR_SOCK_OPT_SNDBUF, &v));
    ASSERT_EQ(v, 32768);
    ASSERT_OK(mr_sock_set_opt(&x, MR_SOCK_OPT_RCVBUF, 16384));
    ASSERT_OK(mr_sock_get_opt(&x, MR_SOCK_OPT_RCVBUF, &v));
    ASSERT_EQ(v, 32768);
    ASSERT_ERR(mr_sock_set_opt(&x, MR_SOCK_OPT_RCVBUF, 0), -EINVAL);

    /* Timeouts in ms, -1 (or 0) for none. */
    ASSERT_OK(mr_sock_get_opt(&x, MR_SOCK_OPT_RCVTIMEO, &v));
    ASSERT_EQ(v, -1);
    ASSERT_OK(mr_sock_set_opt(&x, MR_SOCK_OPT_RCVTIMEO, 1500));
    ASSERT_OK(mr_sock_get_opt(&x, MR_SOCK_OPT_RCVTIMEO, &v));
    ASSERT_EQ(v, 1500);
    /* The kernel keeps it in clock ticks (4 ms at HZ=250). */
    ASSERT_OK(mr_sock_set_opt(&x, MR_SOCK_OPT_SNDTIMEO, 250));
    ASSERT_OK(mr_sock_get_opt(&x, MR_SOCK_OPT_SNDTIMEO, &v));
    ASSERT_GE(v, 250);
    ASSERT_LE(v, 260);
    ASSERT_OK(mr_sock_set_opt(&x, MR_SOCK_OPT_SNDTIMEO, 0));
    ASSERT_OK(mr_sock_get_opt(&x, MR_SOCK_OPT_SNDTIMEO, &v));
    ASSERT_EQ(v, -1);
    ASSERT_ERR(mr_sock_set_opt(&x, MR_SOCK_OPT_SNDTIMEO, -5), -EINVAL);

    /* Broadcast: IPv4 datagrams only. */
    ASSERT_OK(mr_sock_set_opt(&u, MR_SOCK_OPT_BROADCAST, 1));
    ASSERT_OK(mr_sock_get_opt(&u, MR_SOCK_OPT_BROADCAST, &v));
    ASSERT_EQ(v, 1);

    /* The pending error: none, as -errno. */
    ASSERT_OK(mr_sock_get_opt(&t, MR_SOCK_OPT_ERROR, &v));
    ASSERT_EQ(v, 0);
    ASSERT_ERR(mr_sock_set_opt(&t, MR_SOCK_OPT_ERROR, 0), -EINVAL);

    /* Wrong family or type: refused before the kernel is asked. */
    ASSERT_ERR(mr_sock_set_opt(&x, MR_SOCK_OPT_NODELAY, 1), -ENOPROTOOPT);
    ASSERT_ERR(mr_sock_get_opt(&x, MR_SOCK_OPT_NODELAY, &v), -ENOPROTOOPT);
    ASSERT_ERR(mr_sock_set_opt(&u, MR_SOCK_OPT_NODELAY, 1), -ENOPROTOOPT);
    ASSERT_ERR(mr_sock_set_opt(&u, MR_SOCK_OPT_KEEPALIVE, 1), -ENOPROTOOPT);
    ASSERT_ERR(mr_sock_set_opt(&u, MR_SOCK_OPT_LINGER, 1), -ENOPROTOOPT);
    ASSERT_ERR(mr_sock_set_opt(&t, MR_SOCK_OPT_BROADCAST, 1), -ENOPROTOOPT);
    ASSERT_ERR(mr_sock_set_opt(&x, MR_SOCK_OPT_REUSEADDR, 1), -ENOPROTOOPT);
    ASSERT_ERR(mr_sock_set_opt(&t, MR_SOCK_OPT_V6ONLY, 1), -ENOPROTOOPT);
    ASSERT_ERR(mr_sock_get_opt(&t, (enum mr_sock_opt)99, &v), -EINVAL);
    ASSERT_ERR(mr_sock_set_opt(&t, (enum mr_sock_opt)-1, 0), -EINVAL);

    /* Bind to a device: IP only. Rebinding needs privilege. */
    char dev[IF_NAMESIZE];
    ASSERT_EQ(mr_sock_get_device(&u, dev, sizeof dev), 0);
    ASSERT_STR_EQ(dev, "");
    int rc = mr_sock_set_device(&u, "lo");
    if (rc == 0) {
        ASSERT_EQ(mr_sock_get_device(&u, dev, sizeof dev), 2);
        ASSERT_STR_EQ(dev, "lo");
        ASSERT_ERR(mr_sock_get_device(&u, dev, 2), -ENOSPC);
        ASSERT_STR_EQ(dev, "");
        rc = mr_sock_set_device(&u, NULL);
        ASSERT_TRUE(rc == 0 || rc == -EPERM);
    } else {
        ASSERT_ERR(rc, -EPERM);
    }
    ASSERT_ERR(mr_sock_set_device(&t, "mrnoif0"), -ENODEV);
    ASSERT_ERR(mr_sock_set_device(&t, "abcdefghijklmnopq"), -ENAMETOOLONG);
    ASSERT_ERR(mr_sock_set_device(&x, "lo"), -ENOPROTOOPT);
    ASSERT_ERR(mr_sock_get_device(&x, dev, sizeof dev), -ENOPROTOOPT);

    if (have_v6) {
        struct mr_sock s6 = MR_SOCK_INIT;
        ASSERT_OK(mr_sock_open(&s6, AF_INET6, SOCK_DGRAM, 0));
        ASSERT_OK(mr_sock_set_opt(&s6, MR_SOCK_OPT_V6ONLY, 1));
        ASSERT_OK(mr_sock_get_opt(&s6, MR_SOCK_OPT_V6ONLY, &v));
        ASSERT_EQ(v, 1);
        ASSERT_ERR(mr_sock_set_opt(&s6, MR_SOCK_OPT_BROADCAST, 1), -ENOPROTOOPT);
        mr_sock_close(&s6);
    }
    mr_sock_close(&t);
    mr_sock_close(&u);
    mr_sock_close(&x);
    mr_sock_close(&y);
}

static void connect_as_nobody(void *arg)
{
    const struct mr_addr *addr = arg;
    struct passwd *pw = getpwnam("nobody");
    uid_t uid = pw ? pw->pw_uid : 65534;
    gid_t gid = pw ? pw->pw_gid : 65534;
    if (setgid(gid) != 0 || setuid(uid) != 0)
        _exit(3);
    struct mr_sock c = MR_SOCK_INIT;
    if (mr_sock_open_connect(&c, addr, SOCK_STREAM, 2000, 0) != 0)
        _exit(4);
    char b;
    /* Wait for the server to look at us and hang up. */
    mr_sock_recv_exact(&c, MR_REGION_OF(b), 3000, NULL);
    mr_sock_close(&c);
}

static void connect_and_wait(void *arg)
{
    const struct mr_addr *addr = arg;
    struct mr_sock c = MR_SOCK_INIT;
    if (mr_sock_open_connect(&c, addr, SOCK_STREAM, 2000, 0) != 0)
        _exit(4);
    char b;
    mr_sock_recv_exact(&c, MR_REGION_OF(b), 3000, NULL);
    mr_sock_close(&c);
}

static void test_peer_cred(void)
{
    struct mr_sock a = MR_SOCK_INIT, b = MR_SOCK_INIT;
    struct mr_sock_cred cr;
    const int types[] = { SOCK_STREAM, SOCK_DGRAM };
    for (size_t t = 0; t < 2; t++) {
        ASSERT_OK(mr_sock_open_pair(&a, &b, types[t], 0));
        ASSERT_OK(mr_sock_peer_cred(&a, &cr));
        ASSERT_EQ(cr.pid, getpid());
        ASSERT_EQ(cr.uid, geteuid());
        ASSERT_EQ(cr.gid, getegid());
        ASSERT_OK(mr_sock_peer_check_user(&b));
        mr_sock_close(&a);
        mr_sock_close(&b);
    }

    /* An accepted connection names the process that connected. */
    struct mr_sock l = MR_SOCK_INIT, c = MR_SOCK_INIT;
    struct mr_addr addr;
    char path[128];
    ASSERT_OK(mr_addr_unix(&addr, mr_test_tmp_path(path, sizeof path, "cred")));
    ASSERT_OK(mr_sock_open_listen(&l, &addr, -1, 0));
    pid_t pid = mr_test_start(connect_and_wait, &addr);
    ASSERT_OK(mr_sock_accept(&l, &c, NULL, 3000));
    ASSERT_OK(mr_sock_peer_cred(&c, &cr));
    ASSERT_EQ(cr.pid, pid);
    ASSERT_OK(mr_sock_peer_check_user(&c));
    mr_sock_close(&c);
    ASSERT_EQ(mr_test_wait(pid), 0);

    /* Another user is refused. Only root can become one. */
    if (geteuid() == 0) {
        ASSERT_OK(chmod(path, 0777));
        ASSERT_OK(chmod(mr_test_tmpdir(), 0755));
        pid = mr_test_start(connect_as_nobody, &addr);
        ASSERT_OK(mr_sock_accept(&l, &c, NULL, 3000));
        ASSERT_OK(mr_sock_peer_cred(&c, &cr));
        ASSERT_NE(cr.uid, geteuid());
        ASSERT_ERR(mr_sock_peer_check_user(&c), -EPERM);
        mr_sock_close(&c);
        ASSERT_EQ(mr_test_wait(pid), 0);
    } else {
        mr_test_skip_case("another user refused", "only root can become another user (run the test as root)");
    }
    mr_sock_close(&l);

    /* No credentials: an unconnected Unix socket; not Unix at all. */
    ASSERT_OK(mr_sock_open(&a, AF_UNIX, SOCK_STREAM, 0));
    ASSERT_ERR(mr_sock_peer_cred(&a, &cr), -ENODATA);
    ASSERT_ERR(mr_sock_peer_check_user(&a), -ENODATA);
    mr_sock_close(&a);
    ASSERT_OK(mr_sock_open(&a, AF_INET, SOCK_STREAM, 0));
    ASSERT_ERR(mr_sock_peer_cred(&a, &cr), -ENOPROTOOPT);
    mr_sock_close(&a);
}

static void test_wait(void)
{
    struct mr_sock a = MR_SOCK_INIT, b = MR_SOCK_INIT;
    ASSERT_OK(mr_sock_open_pair(&a, &b, SOCK_STREAM, 0));
    ASSERT_EQ(mr_sock_wait(&a, MR_SOCK_WRITABLE, 0), (int)MR_SOCK_WRITABLE);
    ASSERT_ERR(mr_sock_wait(&a, MR_SOCK_READABLE, 0), -ETIMEDOUT);
    int64_t t0 = mr_test_now_ms();
    ASSERT_ERR(mr_sock_wait(&a, MR_SOCK_READABLE, 50), -ETIMEDOUT);
    ASSERT_GE(mr_test_now_ms() - t0, 49);
    ASSERT_EQ(mr_sock_wait(&a, MR_SOCK_READABLE | MR_SOCK_WRITABLE, 0), (int)MR_SOCK_WRITABLE);
    ping(&b, &a);
    ASSERT_ERR(mr_sock_wait(&a, 0, 0), -EINVAL);
    ASSERT_ERR(mr_sock_wait(&a, 4, 0), -EINVAL);
    ASSERT_ERR(mr_sock_wait(&a, MR_SOCK_READABLE, -2), -EINVAL);
    /* A peer gone is "ready": the next call reports it. */
    mr_sock_close(&b);
    ASSERT_GT(mr_sock_wait(&a, MR_SOCK_READABLE, 1000), 0);
    char c;
    ASSERT_EQ(mr_sock_recv(&a, MR_REGION_OF(c), 0), 0);
    mr_sock_close(&a);
}

/* Every call that takes a socket says -EBADF for a closed one (set to
 * MR_SOCK_INIT, whose open failed, or closed), with otherwise valid
 * arguments, and never waits; closing it again is a no-op. */
static void closed_is_ebadf(struct mr_sock *s)
{
    struct mr_sock other = MR_SOCK_INIT;
    struct mr_addr addr, got;
    char buf[8] = "closed", name[32];
    struct mr_region rv[2] = { MR_REGION_OF_ARRAY(buf), MR_REGION_OF_ARRAY(buf) };
    struct mr_sock_msg msg = { MR_REGION_OF_ARRAY(buf), NULL, 0, 0 };
    struct mr_sock_cred cred;
    int v, fds[1], p[2];
    size_t n, done;

    ASSERT_OK(mr_addr_loopback(&addr, AF_INET, 9));
    ASSERT_ERR(mr_sock_bind(s, &addr, 0), -EBADF);
    ASSERT_ERR(mr_sock_listen(s, -1), -EBADF);
    ASSERT_ERR(mr_sock_accept(s, &other, NULL, 0), -EBADF);
    ASSERT_EQ(other.fd, -1);
    ASSERT_ERR(mr_sock_connect(s, &addr, 0), -EBADF);
    ASSERT_ERR(mr_sock_disconnect(s), -EBADF);
    ASSERT_ERR(mr_sock_shutdown(s, SHUT_RDWR), -EBADF);
    ASSERT_ERR(mr_sock_local_addr(s, &got), -EBADF);
    ASSERT_ERR(mr_sock_peer_addr(s, &got), -EBADF);
    ASSERT_ERR(mr_sock_wait(s, MR_SOCK_READABLE, 0), -EBADF);
    ASSERT_ERR(mr_sock_wait(s, MR_SOCK_WRITABLE, 0), -EBADF);

    ASSERT_ERR(mr_sock_send(s, MR_REGION_OF_ARRAY(buf), 0), -EBADF);
    ASSERT_ERR(mr_sock_recv(s, MR_REGION_OF_ARRAY(buf), 0), -EBADF);
    ASSERT_ERR(mr_sock_send_all(s, MR_REGION_OF_ARRAY(buf), 0, &done), -EBADF);
    ASSERT_EQ(done, 0u);
    ASSERT_ERR(mr_sock_recv_exact(s, MR_REGION_OF_ARRAY(buf), 0, &done), -EBADF);
    ASSERT_EQ(done, 0u);
    ASSERT_ERR(mr_sock_send_to(s, MR_REGION_OF_ARRAY(buf), 0, &addr), -EBADF);
    ASSERT_ERR(mr_sock_send_to(s, MR_REGION_OF_ARRAY(buf), 0, NULL), -EBADF);
    ASSERT_ERR(mr_sock_recv_from(s, MR_REGION_OF_ARRAY(buf), 0, &got, &n), -EBADF);
    ASSERT_ERR(mr_sock_sendv(s, rv, 2, 0, NULL), -EBADF);
    ASSERT_ERR(mr_sock_recvv(s, rv, 2, 0, NULL), -EBADF);
    ASSERT_ERR(mr_sock_send_batch(s, &msg, 1, 0, NULL), -EBADF);
    ASSERT_ERR(mr_sock_recv_batch(s, &msg, 1, 0, NULL), -EBADF);

    for (int opt = MR_SOCK_OPT_NODELAY; opt <= MR_SOCK_OPT_ERROR; opt++) {
        ASSERT_ERR(mr_sock_get_opt(s, (enum mr_sock_opt)opt, &v), -EBADF);
        if (opt != MR_SOCK_OPT_ERROR)
            ASSERT_ERR(mr_sock_set_opt(s, (enum mr_sock_opt)opt, 1), -EBADF);
    }
    ASSERT_ERR(mr_sock_set_keepalive(s, 10, 5, 3), -EBADF);
    ASSERT_ERR(mr_sock_set_device(s, ""), -EBADF);
    ASSERT_ERR(mr_sock_get_device(s, name, sizeof name), -EBADF);
    ASSERT_ERR(mr_sock_peer_cred(s, &cred), -EBADF);
    ASSERT_ERR(mr_sock_peer_check_user(s), -EBADF);

    ASSERT_OK(pipe(p));
    ASSERT_ERR(mr_sock_send_fds(s, MR_REGION_OF_ARRAY(buf), &p[0], 1, 0), -EBADF);
    ASSERT_ERR(mr_sock_recv_fds(s, MR_REGION_OF_ARRAY(buf), fds, 1, &n, 0), -EBADF);
    ASSERT_EQ(n, 0u);
    ASSERT_EQ(fds[0], -1);
    close(p[0]);
    close(p[1]);

    ASSERT_OK(mr_sock_close(s));
    ASSERT_OK(mr_sock_close(s));
    ASSERT_EQ(s->fd, -1);
}

static void test_closed_is_ebadf(void)
{
    struct mr_sock init = MR_SOCK_INIT, failed, a, b;
    closed_is_ebadf(&init);
    ASSERT_ERR(mr_sock_open(&failed, AF_INET, SOCK_RAW, 0), -ESOCKTNOSUPPORT);
    closed_is_ebadf(&failed);
    for (int type = SOCK_STREAM; type <= SOCK_DGRAM; type++) {
        ASSERT_OK(mr_sock_open_pair(&a, &b, type, 0));
        ASSERT_OK(mr_sock_close(&a));
        closed_is_ebadf(&a);
        mr_sock_close(&b);
    }
}

int main(void)
{
    mr_test_tmpdir(); /* before any fork: the directory is this process's */
    signal(SIGPIPE, SIG_DFL); /* a SIGPIPE would kill the test: none may come */
    have_v6 = mr_test_sock_ipv6();
    MR_TEST_RUN(test_open_every_kind);
    MR_TEST_RUN(test_pairs);
    MR_TEST_RUN(test_listen_accept);
    MR_TEST_RUN(test_connect_refused);
    MR_TEST_RUN(test_connect_timeout_unix);
    MR_TEST_RUN(test_connect_timeout_tcp);
    MR_TEST_RUN(test_connect_text);
    MR_TEST_RUN(test_disconnect);
    MR_TEST_RUN(test_shutdown);
    MR_TEST_RUN(test_unix_path_removed);
    MR_TEST_RUN(test_unix_path_full_length);
    MR_TEST_RUN(test_adopt_fd);
    MR_TEST_RUN(test_open_fd_deprecated);
    MR_TEST_RUN(test_options);
    MR_TEST_RUN(test_peer_cred);
    MR_TEST_RUN(test_wait);
    MR_TEST_RUN(test_closed_is_ebadf);
    if (!have_v6)
        mr_test_skip_case("IPv6 parts", "no IPv6 loopback here (sysctl net.ipv6.conf.lo.disable_ipv6=0)");
    return 0;
}
