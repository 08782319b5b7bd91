/* SPDX-License-Identifier: MIT */
/* bench_net: the net layer (memregion/net.h, over UCX) against plain TCP
 * loopback, two processes, in one run (issue 17's speed lines):
 *   msg64k   64 KiB messages: a remote channel against send() of 64 KiB,
 *            the receiver reading 256 KiB at a time
 *   msg64    64-byte messages: a remote channel against one send() per
 *            message, and against messages batched by hand into 64 KiB
 *            sends (4-byte length before each, parsed by the receiver)
 *   rma64m   64 MiB: mr_net_get and mr_net_put (checked mode) against
 *            send()/recv() of 64 MiB
 * over UCX's tcp transport and its shared-memory one (the TCP baselines
 * are always TCP), each with both processes on CPU 0 ("same CPU") and on
 * CPUs 0 and 1. The parent measures; the child is the receiver or the
 * exporter, told what to do over a Unix socket pair. Loopback is not a
 * network: see docs/net.md for what only a cluster shows.
 *
 *   bench_net            every suite, every transport and placement
 *   bench_net tcp | sm   that transport only
 *   BENCH_QUICK=1        3 rounds instead of 7
 */
#define _GNU_SOURCE 1
#include "bench.h"

#include <memregion.h>
#include <memregion/net.h>

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/wait.h>

#define K64 65536
#define MSGS64K 1024 /* 64 MiB of 64 KiB messages */
#define MSGS64 200000
#define BIG ((size_t)64 << 20)
#define ROUNDS 7
#define READ_CHUNK (256 * 1024)

enum { OP_QUIT, OP_TCP_STREAM, OP_TCP_BATCHED, OP_CHAN, OP_SERVE };

struct ctx {
    int cmd;          /* Unix socket to the child */
    int tcp;          /* plain TCP connection to the child */
    struct mr_net *n;
    struct mr_net_peer *p;
    struct mr_net_chan *ch;
    struct mr_net_remote *r;
    unsigned char *buf; /* BIG bytes */
    pid_t child;
};

__attribute__((noreturn)) static void die(const char *what)
{
    fprintf(stderr, "bench_net: %s\n", what);
    exit(1);
}

/* The first two CPUs this process may run on (bench_two_cpus). */
static int cpus[2] = { -1, -1 };

static void pin(int cpu)
{
    if (bench_pin(cpu) != 0)
        die("sched_setaffinity");
}

static void write_all(int fd, const void *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            die("write");
        p = (const char *)p + w;
        n -= (size_t)w;
    }
}

static void read_all(int fd, void *p, size_t n)
{
    while (n > 0) {
        ssize_t r = read(fd, p, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            die("read");
        p = (char *)p + r;
        n -= (size_t)r;
    }
}

static void command(struct ctx *c, uint64_t op, uint64_t arg)
{
    uint64_t m[2] = { op, arg };
    write_all(c->cmd, m, sizeof m);
}

static void await_done(struct ctx *c)
{
    char b;
    read_all(c->cmd, &b, 1);
}

/* ---- the child: receiver and exporter ------------------------------------- */

static void child_loop(struct ctx *c)
{
    for (;;) {
        /* Idle: serve the parent's gets and puts while waiting for a command. */
        struct pollfd pfd[2] = { { .fd = c->cmd, .events = POLLIN },
                                 { .fd = mr_net_fd(c->n), .events = POLLIN } };
        while (mr_net_progress(c->n) > 0)
            ;
        if (poll(pfd, 2, -1) < 0 && errno != EINTR)
            die("poll");
        if (!(pfd[0].revents & POLLIN))
            continue;
        uint64_t m[2];
        read_all(c->cmd, m, sizeof m);
        uint64_t left = m[1];
        switch (m[0]) {
        case OP_QUIT:
            mr_net_chan_close(c->ch);
            mr_net_close(c->n);
            _exit(0);
        case OP_TCP_STREAM:
        case OP_TCP_BATCHED:
            while (left > 0) {
                ssize_t r = read(c->tcp, c->buf, left < READ_CHUNK ? left : READ_CHUNK);
                if (r <= 0)
                    die("child read");
                if (m[0] == OP_TCP_BATCHED) {
                    /* The receiver of a hand-made batch looks at each length. */
                    uint32_t l;
                    for (ssize_t i = 0; i + 4 <= r; i += 4 + 64)
                        memcpy(&l, c->buf + i, 4), bench_escape(&l);
                }
                left -= (uint64_t)r;
            }
            break;
        case OP_CHAN:
            for (; left > 0; left--) {
                struct mr_region msg;
                int rc = mr_net_chan_peek(c->ch, 30000, &msg);
                if (rc != 0) {
                    fprintf(stderr, "bench_net: child peek: %s (peer %d)\n", strerror(-rc), mr_net_peer_status(c->p));
                    exit(1);
                }
                bench_escape(msg.ptr);
                mr_net_chan_release(c->ch);
            }
            break;
        }
        write_all(c->cmd, "d", 1);
    }
}

/* ---- the parent's variants --------------------------------------------------- */

static BENCH_NOINLINE void tcp_send(int fd, const unsigned char *buf, size_t len, size_t n)
{
    for (size_t i = 0; i < n; i++)
        write_all(fd, buf, len);
}

static void run_tcp64k(void *p)
{
    struct ctx *c = p;
    command(c, OP_TCP_STREAM, (uint64_t)K64 * MSGS64K);
    tcp_send(c->tcp, c->buf, K64, MSGS64K);
    await_done(c);
}

static BENCH_NOINLINE void chan_send(struct mr_net_chan *ch, const unsigned char *buf, size_t len,
                                     size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (mr_net_chan_send(ch, mr_region_make((void *)buf, len), 30000) != (ssize_t)len)
            die("mr_net_chan_send");
    if (mr_net_chan_flush(ch, 30000) != 0)
        die("mr_net_chan_flush");
}

static void run_chan64k(void *p)
{
    struct ctx *c = p;
    command(c, OP_CHAN, MSGS64K);
    chan_send(c->ch, c->buf, K64, MSGS64K);
    await_done(c);
}

static void run_tcp64_each(void *p)
{
    struct ctx *c = p;
    command(c, OP_TCP_STREAM, (uint64_t)64 * MSGS64);
    tcp_send(c->tcp, c->buf, 64, MSGS64);
    await_done(c);
}

static BENCH_NOINLINE void tcp_batched(int fd, unsigned char *batch, const unsigned char *msg,
                                       size_t n)
{
    size_t used = 0;
    for (size_t i = 0; i < n; i++) {
        if (used + 4 + 64 > K64) {
            write_all(fd, batch, used);
            used = 0;
        }
        uint32_t l = 64;
        memcpy(batch + used, &l, 4);
        memcpy(batch + used + 4, msg, 64);
        used += 4 + 64;
    }
    if (used)
        write_all(fd, batch, used);
}

static void run_tcp64_batched(void *p)
{
    struct ctx *c = p;
    command(c, OP_TCP_BATCHED, (uint64_t)(4 + 64) * MSGS64);
    tcp_batched(c->tcp, c->buf + K64, c->buf, MSGS64);
    await_done(c);
}

static void run_chan64(void *p)
{
    struct ctx *c = p;
    command(c, OP_CHAN, MSGS64);
    chan_send(c->ch, c->buf, 64, MSGS64);
    await_done(c);
}

static void run_tcp64m(void *p)
{
    struct ctx *c = p;
    command(c, OP_TCP_STREAM, BIG);
    tcp_send(c->tcp, c->buf, BIG, 1);
    await_done(c);
}

static BENCH_NOINLINE void net_get(struct mr_net_remote *r, unsigned char *buf, size_t len)
{
    if (mr_net_get(r, 0, mr_region_make(buf, len), 30000) != 0)
        die("mr_net_get");
}

static BENCH_NOINLINE void net_put(struct mr_net_remote *r, unsigned char *buf, size_t len)
{
    if (mr_net_put(r, 0, mr_region_make(buf, len), 30000) != 0)
        die("mr_net_put");
}

static void run_get64m(void *p)
{
    struct ctx *c = p;
    net_get(c->r, c->buf, BIG);
}

static void run_put64m(void *p)
{
    struct ctx *c = p;
    net_put(c->r, c->buf, BIG);
}

static const struct bench_variant msg64k_v[] = {
    { "tcp64k", "tcp_send", "64 KiB: send() each, TCP loopback", run_tcp64k, "tcp64k" },
    { "chan64k", "chan_send", "64 KiB: mr_net_chan_send each", run_chan64k, "tcp64k" },
};
static const struct bench_variant msg64_v[] = {
    { "tcp64_each", "tcp_send", "64 B: one send() per message", run_tcp64_each, "tcp64_each" },
    { "tcp64_batched", "tcp_batched", "64 B: batched by hand, 64 KiB sends", run_tcp64_batched,
      "tcp64_batched" },
    { "chan64", "chan_send", "64 B: mr_net_chan_send each", run_chan64, "tcp64_each" },
    { "chan64_vs_batch", "chan_send", "the same, against the hand batching", run_chan64,
      "tcp64_batched" },
};
static const struct bench_variant rma_v[] = {
    { "tcp64m", "tcp_send", "64 MiB: send()/recv(), TCP loopback", run_tcp64m, "tcp64m" },
    { "get64m", "net_get", "64 MiB: mr_net_get (checked)", run_get64m, "tcp64m" },
    { "put64m", "net_put", "64 MiB: mr_net_put (checked)", run_put64m, "tcp64m" },
};

/* ---- setup -------------------------------------------------------------------- */

static int tcp_pair(int *a, int *b)
{
    struct mr_sock l = MR_SOCK_INIT, x = MR_SOCK_INIT, y = MR_SOCK_INIT;
    struct mr_addr addr;
    if (mr_addr_loopback(&addr, AF_INET, 0) < 0 || mr_sock_open_listen(&l, &addr, 1, 0) < 0 ||
        mr_sock_local_addr(&l, &addr) < 0 ||
        mr_sock_open_connect(&x, &addr, SOCK_STREAM, 5000, 0) < 0 ||
        mr_sock_accept(&l, &y, NULL, 5000) < 0)
        return -1;
    mr_sock_close(&l);
    mr_sock_set_opt(&x, MR_SOCK_OPT_NODELAY, 1);
    mr_sock_set_opt(&y, MR_SOCK_OPT_NODELAY, 1);
    *a = x.fd;
    *b = y.fd;
    return 0;
}

static struct mr_net *open_net(enum mr_net_transport t)
{
    struct mr_net_opts o = { .transport = t, .devices = "lo" };
    struct mr_net *n;
    if (mr_net_open(&n, &o) != 0)
        die("mr_net_open");
    return n;
}

/* A child pinned to child_cpu, the parent to cpus[0]: the child listens and
 * exports BIG bytes, the parent connects, imports and opens the channel. */
static void setup(struct ctx *c, enum mr_net_transport t, int child_cpu)
{
    int sv[2], ta = -1, tb = -1;
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0 || tcp_pair(&ta, &tb) != 0)
        die("sockets");
    pin(cpus[0]);
    fflush(NULL);
    pid_t parent = getpid();
    /* Fork before any UCX context exists (net.h, FORK). */
    c->child = fork();
    if (c->child < 0)
        die("fork");
    if (c->child == 0) {
        bench_die_with_parent(parent);
        close(sv[0]);
        close(ta);
        pin(child_cpu);
        c->cmd = sv[1];
        c->tcp = tb;
        c->n = open_net(t);
        struct mr_addr bound;
        struct mr_net_export *e;
        unsigned char token[MR_NET_TOKEN_SIZE];
        if (mr_net_listen(c->n, "127.0.0.1:0", &bound) != 0 ||
            mr_net_export(c->n, mr_region_make(c->buf, BIG), MR_NET_READ | MR_NET_WRITE, &e) != 0 ||
            mr_net_token(e, MR_REGION_OF_ARRAY(token)) != MR_NET_TOKEN_SIZE)
            die("child setup");
        write_all(c->cmd, &bound, sizeof bound);
        write_all(c->cmd, token, sizeof token);
        if (mr_net_accept(c->n, 10000, &c->p) != 0 ||
            mr_net_chan_open(c->p, 1, MR_NET_CONSUMER, 4 << 20, &c->ch) != 0)
            die("child accept");
        child_loop(c);
    }
    close(sv[1]);
    close(tb);
    c->cmd = sv[0];
    c->tcp = ta;
    c->n = open_net(t);
    struct mr_addr bound;
    unsigned char token[MR_NET_TOKEN_SIZE];
    read_all(c->cmd, &bound, sizeof bound);
    read_all(c->cmd, token, sizeof token);
    char text[MR_ADDR_TEXT_MAX];
    if (mr_addr_format(&bound, text, sizeof text) < 0 || mr_net_connect(c->n, text, 10000, &c->p) != 0 ||
        mr_net_import(c->p, MR_REGION_OF_ARRAY(token), 10000, &c->r) != 0 ||
        mr_net_chan_open(c->p, 1, MR_NET_PRODUCER, K64 + 8, &c->ch) != 0)
        die("parent setup");
}

static void teardown(struct ctx *c)
{
    command(c, OP_QUIT, 0);
    mr_net_chan_close(c->ch);
    int st;
    while (waitpid(c->child, &st, 0) < 0)
        if (errno != EINTR)
            die("waitpid");
    mr_net_close(c->n);
    close(c->cmd);
    close(c->tcp);
}

int main(int argc, char **argv)
{
    static const char *tname[] = { "auto", "UCX tcp", "UCX shared memory", "rdma" };
    static const enum mr_net_transport ts[] = { MR_NET_TCP, MR_NET_SM };
    struct ctx c = { 0 };
    int ncpu = bench_two_cpus(cpus);
    if (ncpu < 1)
        die("sched_getaffinity");
    c.buf = malloc(BIG);
    if (!c.buf)
        die("malloc");
    memset(c.buf, 0x5a, BIG);
    signal(SIGPIPE, SIG_IGN);
    bool two = ncpu == 2;
    if (!two)
        printf("bench_net: one CPU available: two-CPU placement skipped\n\n");
    /* bench_net tcp | sm: that transport only. */
    const char *only = argc > 1 ? argv[1] : NULL;
    for (int split = 0; split < (two ? 2 : 1); split++) {
        for (size_t k = 0; k < sizeof ts / sizeof ts[0]; k++) {
            if (only && strcmp(only, ts[k] == MR_NET_TCP ? "tcp" : "sm") != 0)
                continue;
            setup(&c, ts[k], cpus[split]);
            char place[64];
            if (split)
                snprintf(place, sizeof place, "two CPUs (%d and %d)", cpus[0], cpus[1]);
            else
                snprintf(place, sizeof place, "same CPU (%d)", cpus[0]);
            struct {
                const char *what;
                const struct bench_variant *v;
                size_t nv, count;
                const char *unit;
            } suites[] = {
                { "64 KiB messages", msg64k_v, 2, MSGS64K, "msg" },
                { "64-byte messages", msg64_v, 4, MSGS64, "msg" },
                { "64 MiB get/put", rma_v, 3, 1, "64MiB" },
            };
            for (size_t i = 0; i < sizeof suites / sizeof suites[0]; i++) {
                char title[200];
                snprintf(title, sizeof title, "bench_net %s: net layer over %s, %s", suites[i].what,
                         tname[ts[k]], place);
                struct bench_suite s = { .title = title, .unit = suites[i].unit,
                                         .count = suites[i].count, .rounds = ROUNDS,
                                         .v = suites[i].v, .nv = suites[i].nv, .ctx = &c,
                                         .speedup = 1 };
                bench_time_suite(&s);
                fflush(stdout);
            }
            teardown(&c);
        }
    }
    free(c.buf);
    return 0;
}
