/* SPDX-License-Identifier: MIT */
/* bench/bench_waitset: does waiting through the fd slow the busy path
 * (issue 15)? A producer process streams 64-byte messages (mr_chan_send,
 * blocking) over a channel shared on a socket pair; the consumer takes
 * each in place (peek, sum, release) and waits in one of three ways:
 *
 *   peek      blocking in mr_chan_peek (the baseline)
 *   epoll     its own epoll loop: try_peek until -EAGAIN, mr_chan_arm,
 *             epoll_wait on mr_chan_event_fd, mr_chan_ack
 *   waitset   mr_waitset_wait on a set holding the end, then try_peek
 *             until -EAGAIN
 *
 * Messages per second, timed in the consumer from the first message to the
 * producer's close, and the ratio to peek of the same round (the issue's
 * target: at least 0.8x). Processes pinned both to one CPU, then to two.
 * Variants interleaved, ROUNDS rounds (3 with BENCH_QUICK=1); figures are
 * medians over rounds, ratios medians of per-round ratios.
 *
 *   bench_waitset         everything (about 20 s; BENCH_QUICK=1: 6 s)
 */
#define _GNU_SOURCE 1
#include <memregion/chan.h>
#include <memregion/waitset.h>

#include "bench.h"

#include <errno.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/wait.h>

#define MSG 64
#define CAP ((size_t)256 * 1024)
#define ROUNDS 7

enum { PEEK, EPOLL, WAITSET, VARIANTS };
static const char *const names[VARIANTS] = { "peek", "epoll", "waitset" };

static void die(const char *what, long rc)
{
    fprintf(stderr, "bench_waitset: %s: %s\n", what, mr_strerror((int)rc));
    exit(1);
}

static void pin(int cpu)
{
    int rc = bench_pin(cpu);
    if (rc < 0)
        die("sched_setaffinity", rc);
}

static void produce(struct mr_sock *s, uint64_t n)
{
    struct mr_chan p = MR_CHAN_INIT;
    int rc = mr_chan_attach_sock(&p, s, CAP, MR_CHAN_PRODUCER, 0, 5000);
    if (rc < 0)
        die("attach", rc);
    mr_sock_close(s);
    unsigned char msg[MSG];
    memset(msg, 7, sizeof msg);
    for (uint64_t i = 0; i < n; i++) {
        msg[0] = (unsigned char)i;
        ssize_t r = mr_chan_send_inline(&p, mr_region_make(msg, sizeof msg), MR_FOREVER);
        if (r < 0)
            die("send", r);
    }
    mr_chan_close(&p);
}

static inline uint64_t take(struct mr_region m)
{
    uint64_t sum = 0;
    const unsigned char *b = m.ptr;
    for (size_t k = 0; k < m.len; k++)
        sum += b[k];
    return sum;
}

/* Drain what is there, counting into *got: 0 or -EAGAIN (nothing more
 * now), or the error that ended it. */
static inline int drain(struct mr_chan *c, uint64_t *sum, uint64_t *got)
{
    struct mr_region m;
    int rc;
    while ((rc = mr_chan_peek_inline(c, 0, &m)) == 0) {
        *sum += take(m);
        mr_chan_release_inline(c);
        ++*got;
    }
    return rc;
}

static BENCH_NOINLINE uint64_t consume_peek(struct mr_chan *c, uint64_t *sum)
{
    struct mr_region m;
    uint64_t got = 0;
    int rc;
    while ((rc = mr_chan_peek_inline(c, MR_FOREVER, &m)) == 0) {
        *sum += take(m);
        mr_chan_release_inline(c);
        got++;
    }
    if (rc != -EPIPE)
        die("peek", rc);
    return got;
}

static BENCH_NOINLINE uint64_t consume_epoll(struct mr_chan *c, uint64_t *sum)
{
    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = { .events = EPOLLIN };
    if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, mr_chan_event_fd(c), &ev) < 0)
        die("epoll", -errno);
    uint64_t got = 0;
    for (;;) {
        uint64_t before = got;
        int rc = drain(c, sum, &got);
        if (rc != -EAGAIN) {
            if (rc != -EPIPE)
                die("epoll drain", rc);
            break;
        }
        if (got > before)
            continue;
        rc = mr_chan_arm(c, 0);
        if (rc < 0 && rc != -EPIPE)
            die("arm", rc);
        if (rc == 0) {
            if (epoll_wait(ep, &ev, 1, -1) < 0 && errno != EINTR)
                die("epoll_wait", -errno);
            mr_chan_ack(c);
        }
    }
    close(ep);
    return got;
}

static BENCH_NOINLINE uint64_t consume_waitset(struct mr_chan *c, uint64_t *sum)
{
    struct mr_waitset *ws;
    int rc = mr_waitset_create(&ws);
    if (rc < 0 || (rc = mr_waitset_add_chan(ws, c, 0, NULL)) < 0)
        die("waitset", rc);
    uint64_t got = 0;
    struct mr_waitset_event ev[4];
    for (;;) {
        if ((rc = mr_waitset_wait(ws, MR_FOREVER, ev, 4)) < 0)
            die("mr_waitset_wait", rc);
        if ((rc = drain(c, sum, &got)) != -EAGAIN) {
            if (rc != -EPIPE)
                die("waitset drain", rc);
            break;
        }
    }
    mr_waitset_destroy(ws);
    return got;
}

/* One run: messages per second. */
static double run(int variant, int cpu_p, int cpu_c, uint64_t n)
{
    struct mr_sock a = MR_SOCK_INIT, b = MR_SOCK_INIT;
    int rc = mr_sock_open_pair(&a, &b, SOCK_STREAM, 0);
    if (rc < 0)
        die("socket pair", rc);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0)
        die("fork", -errno);
    if (pid == 0) {
        bench_die_with_parent(parent);
        mr_sock_close(&a);
        pin(cpu_p);
        produce(&b, n);
        _exit(0);
    }
    mr_sock_close(&b);
    pin(cpu_c);
    struct mr_chan c = MR_CHAN_INIT;
    if ((rc = mr_chan_create(&c, CAP, MR_CHAN_CONSUMER, MR_CHAN_PREFAULT)) < 0 ||
        (rc = mr_chan_share(&c, &a)) < 0)
        die("create", rc);
    mr_sock_close(&a);
    struct mr_region m;
    if ((rc = mr_chan_peek(&c, MR_FOREVER, &m)) < 0)
        die("first peek", rc);
    double t0 = bench_now_ns();
    uint64_t sum = take(m);
    mr_chan_release(&c);
    uint64_t got = 1 + (variant == PEEK ? consume_peek(&c, &sum)
                        : variant == EPOLL ? consume_epoll(&c, &sum)
                                           : consume_waitset(&c, &sum));
    double t = bench_now_ns() - t0;
    bench_escape(&sum);
    int st;
    if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
        die("producer", -EPROTO);
    if (got != n) {
        fprintf(stderr, "bench_waitset: %s: %llu of %llu messages\n", names[variant],
                (unsigned long long)got, (unsigned long long)n);
        exit(1);
    }
    mr_chan_close(&c);
    return (double)(n - 1) / t * 1e9;
}

int main(void)
{
    int rounds = getenv("BENCH_QUICK") && strcmp(getenv("BENCH_QUICK"), "1") == 0 ? 3 : ROUNDS;
    uint64_t n = 2000000;
    int cpus[2], ncpu = bench_two_cpus(cpus);
    if (ncpu < 1)
        die("sched_getaffinity", ncpu);
    printf("bench_waitset: %llu messages of %d bytes, consumer waiting three ways; %d rounds\n",
           (unsigned long long)n, MSG, rounds);
    for (int place = 0; place < 2; place++) {
        if (place == 1 && ncpu < 2) {
            printf("two CPUs: skipped (one CPU available)\n");
            break;
        }
        int cp = cpus[0], cc = place ? cpus[1] : cpus[0];
        double rate[VARIANTS][ROUNDS], ratio[VARIANTS][ROUNDS];
        for (int r = 0; r < rounds; r++) {
            for (int k = 0; k < VARIANTS; k++) {
                int v = (r + k) % VARIANTS;
                rate[v][r] = run(v, cp, cc, n);
            }
            for (int v = 0; v < VARIANTS; v++)
                ratio[v][r] = rate[v][r] / rate[PEEK][r];
        }
        printf("%s:\n", place ? "two CPUs" : "same CPU");
        for (int v = 0; v < VARIANTS; v++)
            printf("  %-8s %8.2f M msg/s  %5.2fx peek%s\n", names[v], bench_median(rate[v], (size_t)rounds) / 1e6,
                   bench_median(ratio[v], (size_t)rounds),
                   v == PEEK ? "" : bench_median(ratio[v], (size_t)rounds) >= 0.8 ? "  (target 0.8x: met)" : "  (target 0.8x: NOT met)");
    }
    return 0;
}
