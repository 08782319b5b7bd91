/* SPDX-License-Identifier: MIT */
/* bench/bench_reqresp: request and response (issue 15). One server
 * process, client processes each sending a 64-byte request and blocking
 * for its 64-byte reply (the request's bytes complemented), over:
 *
 *   svc     a duplex service (svc.h); the server waits on every client's
 *           request end in one waitset and answers in place (peek,
 *           reserve, commit, release); a client mr_chan_send, mr_chan_recv
 *   sock    a Unix stream socket pair per client; the server waits in
 *           epoll_wait and answers with read, write; a client write, read
 *   chan    (one client only) the same service, the server blocking in
 *           mr_chan_recv and mr_chan_send on its one client: the channel's
 *           blocking round trip as it is without a waitset (bench_chan's
 *           chan_rt_block)
 *
 * 64 clients, SECONDS per run: total requests per second (the sum of each
 * client's requests over its own time) and the ratio svc / sock of the
 * same round (the target: at least 2x). One client, a fixed count
 * of round trips: the median round trip, and the ratios to chan and to
 * sock of the same round (target: svc no worse than chan). Placements:
 * everything pinned to one CPU; then the server pinned to one CPU and every
 * client to the other. Variants interleaved, ROUNDS rounds (3 with
 * BENCH_QUICK=1, and 0.3 s runs); figures are medians over rounds, ratios
 * medians of per-round ratios.
 *
 *   bench_reqresp [SECONDS]     everything (SECONDS 1: about 40 s)
 *   bench_reqresp VARIANT N     one run of N clients for 1 s, both CPUs,
 *                               for strace -c -f or callgrind
 */
#define _GNU_SOURCE 1
#include <memregion/svc.h>
#include <memregion/waitset.h>

#include "bench.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>

#define MSG 64
#define CLIENTS 64
#define ROUNDS 5
#define RTT_N 20000
#define CAP ((size_t)64 * 1024)

enum { SVC, SOCK, CHAN, VARIANTS };
static const char *const names[VARIANTS] = { "svc", "sock", "chan" };

static char svc_name[64];

static void die(const char *what, long rc)
{
    fprintf(stderr, "bench_reqresp: %s: %s\n", what, mr_strerror((int)rc));
    exit(1);
}


static void full_io(int fd, void *buf, size_t n, bool out)
{
    unsigned char *p = buf;
    while (n > 0) {
        ssize_t k = out ? write(fd, p, n) : read(fd, p, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            die(out ? "write" : "read", k < 0 ? -errno : -EPIPE);
        p += k;
        n -= (size_t)k;
    }
}

/* ---- the clients ---------------------------------------------------------- */

/* What a client reports to the server process when it is done. */
struct report {
    double requests;
    double ns;
    double median_ns; /* one client: the median round trip */
};

static double rtt[RTT_N];

static void check(const unsigned char *req, const unsigned char *rep)
{
    for (size_t k = 0; k < MSG; k++)
        if ((rep[k] ^ req[k]) != 0xff)
            die("a reply that is not its request's", -EPROTO);
}

/* One request and its reply, over a service connection or a socket. */
static void ask_svc(void *ctx, const unsigned char *req, unsigned char *rep)
{
    struct mr_svc_conn *c = ctx;
    ssize_t k = mr_chan_send(&c->tx, mr_region_make((void *)req, MSG), MR_FOREVER);
    if (k >= 0)
        k = mr_chan_recv(&c->rx, mr_region_make(rep, MSG), MR_FOREVER);
    if (k != MSG)
        die("client request", k < 0 ? k : -EPROTO);
}

static void ask_sock(void *ctx, const unsigned char *req, unsigned char *rep)
{
    int fd = *(int *)ctx;
    full_io(fd, (void *)req, MSG, true);
    full_io(fd, rep, MSG, false);
}

/* Requests until the time is up (count 0) or count of them. */
static BENCH_NOINLINE void client_loop(void (*ask)(void *, const unsigned char *, unsigned char *),
                                       void *ctx, double end, uint64_t count, struct report *r)
{
    unsigned char req[MSG], rep[MSG];
    memset(req, 0x5a, sizeof req);
    double t0 = bench_now_ns(), now = t0;
    uint64_t i;
    for (i = 0; count ? i < count : now < end; i++) {
        req[0] = (unsigned char)i;
        ask(ctx, req, rep);
        check(req, rep);
        double t = bench_now_ns();
        if (count)
            rtt[i] = t - now;
        now = t;
    }
    r->requests = (double)i;
    r->ns = now - t0;
}

/* A client process: connect (svc) or take its socket, say it is ready,
 * wait for the start, run, report on out and close. */
static void client(int variant, int sock, int go, int out, double secs, uint64_t count)
{
    struct mr_svc_conn c = MR_SVC_CONN_INIT;
    if (variant != SOCK) {
        int rc = mr_svc_connect(&c, svc_name, NULL, 10000);
        if (rc < 0)
            die("connect", rc);
    }
    char x;
    full_io(go, &x, 1, false);
    struct report r = { 0, 0, 0 };
    double end = bench_now_ns() + secs * 1e9;
    if (variant == SOCK)
        client_loop(ask_sock, &sock, end, count, &r);
    else
        client_loop(ask_svc, &c, end, count, &r);
    if (count)
        r.median_ns = bench_median(rtt, (size_t)count);
    full_io(out, &r, sizeof r, true);
    mr_svc_conn_close(&c);
    close(sock);
}

/* ---- the servers ---------------------------------------------------------- */

/* Answer every request c has, in place: -EAGAIN when none is left, or the
 * error that ends the client (its close: -EPIPE). The reply ring has room:
 * each client waits for its reply before the next request. */
static inline int answer(struct mr_svc_conn *c)
{
    for (;;) {
        struct mr_region req, rep;
        int rc = mr_chan_peek_inline(&c->rx, 0, &req);
        if (rc < 0)
            return rc;
        if ((rc = mr_chan_reserve_inline(&c->tx, req.len, 0, &rep)) < 0)
            die("reserve", rc);
        const unsigned char *in = req.ptr;
        unsigned char *o = rep.ptr;
        for (size_t k = 0; k < req.len; k++)
            o[k] = (unsigned char)~in[k];
        mr_chan_commit_inline(&c->tx, req.len);
        mr_chan_release_inline(&c->rx);
    }
}

static BENCH_NOINLINE void serve_waitset(struct mr_svc_conn *conn, int n)
{
    struct mr_waitset *ws;
    int rc = mr_waitset_create(&ws);
    for (int k = 0; k < n && rc == 0; k++)
        rc = mr_waitset_add_chan(ws, &conn[k].rx, 0, &conn[k]);
    if (rc < 0)
        die("waitset", rc);
    struct mr_waitset_event ev[CLIENTS];
    for (int open = n; open > 0;) {
        int k = mr_waitset_wait(ws, MR_FOREVER, ev, CLIENTS);
        if (k < 0)
            die("mr_waitset_wait", k);
        for (int e = 0; e < k; e++) {
            struct mr_svc_conn *c = ev[e].tag;
            rc = ev[e].status < 0 ? ev[e].status : answer(c);
            if (rc == -EAGAIN)
                continue;
            if (rc != -EPIPE)
                die("serve", rc);
            mr_waitset_remove_chan(ws, &c->rx);
            mr_svc_conn_close(c);
            open--;
        }
    }
    mr_waitset_destroy(ws);
}

static BENCH_NOINLINE void serve_blocking(struct mr_svc_conn *c)
{
    unsigned char buf[MSG];
    ssize_t k;
    while ((k = mr_chan_recv(&c->rx, mr_region_make(buf, MSG), MR_FOREVER)) == MSG) {
        for (size_t b = 0; b < MSG; b++)
            buf[b] = (unsigned char)~buf[b];
        if ((k = mr_chan_send(&c->tx, mr_region_make(buf, MSG), MR_FOREVER)) != MSG)
            break;
    }
    if (k != -EPIPE)
        die("serve", k);
    mr_svc_conn_close(c);
}

static BENCH_NOINLINE void serve_epoll(const int *fd, int n)
{
    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0)
        die("epoll_create1", -errno);
    for (int k = 0; k < n; k++) {
        struct epoll_event e = { .events = EPOLLIN, .data = { .fd = fd[k] } };
        if (epoll_ctl(ep, EPOLL_CTL_ADD, fd[k], &e) < 0)
            die("epoll_ctl", -errno);
    }
    struct epoll_event ev[CLIENTS];
    for (int open = n; open > 0;) {
        int k = epoll_wait(ep, ev, CLIENTS, -1);
        if (k < 0 && errno != EINTR)
            die("epoll_wait", -errno);
        for (int e = 0; e < k; e++) {
            unsigned char buf[MSG];
            ssize_t got = read(ev[e].data.fd, buf, MSG);
            if (got == 0) {
                close(ev[e].data.fd);
                open--;
                continue;
            }
            if (got < 0)
                die("read", -errno);
            if (got < MSG)
                full_io(ev[e].data.fd, buf + got, MSG - (size_t)got, false);
            for (size_t b = 0; b < MSG; b++)
                buf[b] = (unsigned char)~buf[b];
            full_io(ev[e].data.fd, buf, MSG, true);
        }
    }
    close(ep);
}

/* One run: n clients of variant, the server on cpu_s and the clients on
 * cpu_c; the total requests per second, and in *median the clients'
 * median round trip (one client, count round trips). */
static double run(int variant, int n, int cpu_s, int cpu_c, double secs, uint64_t count,
                  double *median)
{
    int go[2], out[2];
    if (pipe2(go, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0)
        die("pipe", -errno);
    struct mr_svc svc = MR_SVC_INIT;
    struct mr_svc_opts o = { CAP, MR_SVC_DUPLEX, NULL, NULL };
    int rc;
    if (variant != SOCK && (rc = mr_svc_offer(&svc, svc_name, &o)) < 0)
        die("offer", rc);
    if ((rc = bench_pin(cpu_s)) < 0)
        die("pin", rc);
    static int fd[CLIENTS];
    static pid_t pid[CLIENTS];
    pid_t parent = getpid();
    for (int k = 0; k < n; k++) {
        int sv[2] = { -1, -1 };
        if (variant == SOCK && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
            die("socketpair", -errno);
        fflush(stdout);
        if ((pid[k] = fork()) < 0)
            die("fork", -errno);
        if (pid[k] == 0) {
            bench_die_with_parent(parent);
            if ((rc = bench_pin(cpu_c)) < 0)
                die("pin", rc);
            mr_sock_close(&svc.listener); /* not mr_svc_close: the file is the server's */
            for (int j = 0; j < k; j++)
                close(fd[j]);
            close(sv[0]);
            close(go[1]);
            close(out[0]);
            client(variant, sv[1], go[0], out[1], secs, count);
            _exit(0);
        }
        fd[k] = sv[0];
        if (sv[1] >= 0)
            close(sv[1]);
    }
    close(go[0]);
    close(out[1]);
    static struct mr_svc_conn conn[CLIENTS];
    for (int k = 0; k < n && variant != SOCK; k++) {
        conn[k] = (struct mr_svc_conn)MR_SVC_CONN_INIT;
        if ((rc = mr_svc_accept(&svc, &conn[k], 10000)) < 0)
            die("accept", rc);
    }
    mr_svc_close(&svc);
    for (int k = 0; k < n; k++)
        full_io(go[1], "g", 1, true);
    close(go[1]);
    if (variant == SOCK)
        serve_epoll(fd, n);
    else if (variant == CHAN)
        serve_blocking(&conn[0]);
    else
        serve_waitset(conn, n);
    double rate = 0;
    *median = 0;
    for (int k = 0; k < n; k++) {
        struct report r;
        full_io(out[0], &r, sizeof r, false);
        rate += r.requests / r.ns * 1e9;
        *median += r.median_ns / n;
    }
    close(out[0]);
    for (int k = 0; k < n; k++) {
        int st;
        if (waitpid(pid[k], &st, 0) != pid[k] || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
            die("a client", -EPROTO);
    }
    return rate;
}

int main(int argc, char **argv)
{
    int cpus[2], ncpu = bench_two_cpus(cpus);
    if (ncpu < 1)
        die("sched_getaffinity", ncpu);
    if (argc == 3) {
        for (int v = 0; v < VARIANTS; v++) {
            int n = atoi(argv[2]);
            if (strcmp(argv[1], names[v]) != 0 || n < 1 || n > CLIENTS || (v == CHAN && n != 1))
                continue;
            snprintf(svc_name, sizeof svc_name, "@bench-reqresp-%ld", (long)getpid());
            double unused, rate = run(v, n, cpus[0], ncpu > 1 ? cpus[1] : cpus[0], 1.0, 0, &unused);
            printf("%s, %d clients: %.0f requests/s\n", names[v], n, rate);
            return 0;
        }
        fprintf(stderr, "usage: bench_reqresp [SECONDS] | bench_reqresp svc|sock N | chan 1\n");
        return 2;
    }
    bool quick = getenv("BENCH_QUICK") && strcmp(getenv("BENCH_QUICK"), "1") == 0;
    int rounds = quick ? 3 : ROUNDS;
    double secs = argc > 1 ? atof(argv[1]) : quick ? 0.3 : 1.0;
    if (secs <= 0 || secs > 60) {
        fprintf(stderr, "usage: bench_reqresp [SECONDS (0..60]]\n");
        return 2;
    }
    snprintf(svc_name, sizeof svc_name, "@bench-reqresp-%ld", (long)getpid());
    printf("bench_reqresp: 64-byte requests and replies, each client blocking for its reply;\n"
           "  %d rounds interleaved, medians over rounds, ratios medians of per-round ratios\n",
           rounds);
    for (int place = 0; place < 2; place++) {
        if (place == 1 && ncpu < 2) {
            printf("two CPUs: skipped (one CPU available)\n");
            break;
        }
        int cs = cpus[0], cc = place ? cpus[1] : cpus[0];
        const char *where = place ? "two CPUs (server on one, every client on the other)"
                                  : "same CPU (server and clients)";
        double rate[VARIANTS][ROUNDS], ratio[ROUNDS], med[VARIANTS][ROUNDS];
        double r_chan[ROUNDS], r_sock[ROUNDS], unused;
        for (int r = 0; r < rounds; r++) {
            for (int k = 0; k < 2; k++) {
                int v = (r + k) % 2;
                rate[v][r] = run(v, CLIENTS, cs, cc, secs, 0, &unused);
            }
            ratio[r] = rate[SVC][r] / rate[SOCK][r];
        }
        printf("%s, %d clients, %.1f s per run:\n", where, CLIENTS, secs);
        double q = bench_median(ratio, (size_t)rounds);
        for (int v = 0; v < 2; v++)
            printf("  %-5s %9.0f k requests/s\n", names[v], bench_median(rate[v], (size_t)rounds) / 1e3);
        printf("  svc / sock %5.2fx   (target 2x: %s)\n", q, q >= 2 ? "met" : "NOT met");
        for (int r = 0; r < rounds; r++) {
            for (int k = 0; k < VARIANTS; k++) {
                int v = (r + k) % VARIANTS;
                run(v, 1, cs, cc, 0, RTT_N, &med[v][r]);
            }
            r_chan[r] = med[SVC][r] / med[CHAN][r];
            r_sock[r] = med[SVC][r] / med[SOCK][r];
        }
        printf("%s, 1 client, %d round trips per run, median round trip:\n", where, RTT_N);
        for (int v = 0; v < VARIANTS; v++)
            printf("  %-5s %8.2f us\n", names[v], bench_median(med[v], (size_t)rounds) / 1e3);
        double qc = bench_median(r_chan, (size_t)rounds);
        printf("  svc / chan %5.2fx   (target <= 1: %s)\n", qc, qc <= 1 ? "met" : "NOT met");
        printf("  svc / sock %5.2fx\n", bench_median(r_sock, (size_t)rounds));
    }
    return 0;
}
