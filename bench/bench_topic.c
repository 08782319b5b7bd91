/* SPDX-License-Identifier: MIT */
/* bench/bench_topic: publish/subscribe against what users write today
 * (issue 16). Subscribers are processes that block when there is nothing
 * to read; each reads every cache line of every message it gets.
 *
 *   fan-out, 64 KiB messages, N = 1, 2, 4, 8 subscribers:
 *     topic   one mr_topic (reliable): the publisher writes each message
 *             once into reserved ring space; every subscriber reads it in
 *             place (peek, read, release)
 *     chans   one SPSC channel per subscriber: the publisher fills one
 *             private buffer, then mr_chan_send copies it into each channel
 *   reported: the publisher's bytes per second (messages x 64 KiB / time),
 *   the total delivered (x N), the bytes the publisher wrote or copied per
 *   message, and topic / chans per round; topic's publisher rate at N over
 *   its rate at N = 1 in the same round; the publisher's own CPU time per
 *   message (CLOCK_PROCESS_CPUTIME_ID), which is what a subscriber more costs it: with 2
 *   CPUs the subscribers reading every byte bound the wall-clock rate.
 *
 *   and a second topic table with subscribers that read only the first and
 *   last cache line of each message: the publisher's rate without the
 *   subscribers' reading, with each side's CPU time per message and the
 *   ratio to N = 1 the CPUs allow at those costs (on two CPUs a subscriber's
 *   time includes its spinning while it waits, so that bound is loose).
 *
 *   one subscriber, 64-byte messages: mr_topic_publish / mr_topic_recv
 *   against an SPSC channel, through its calls (mr_chan_send / mr_chan_recv:
 *   like for like, the topic has no inline forms) and through its _inline
 *   forms (the fastest the channel offers).
 *
 * Timed from the first message to the last subscriber's exit. Processes
 * pinned all to one CPU, then the publisher to one and the subscribers to
 * another. Variants interleaved, ROUNDS rounds (3 with BENCH_QUICK=1);
 * figures are medians over rounds, ratios medians of per-round ratios.
 *
 *   bench_topic         everything (about a minute; BENCH_QUICK=1: 20 s)
 *   bench_topic fanout  the fan-out tables only; bench_topic small: the 64 B line
 *
 * The cost in instructions, which does not drift with the machine's speed:
 * one process publishes a 64-byte message and takes it back as the topic's
 * only subscriber (attached from a thread that then ends), so nothing ever
 * waits; bench/callgrind.sh counts what the library executes per message,
 * against mr_chan_send + mr_chan_recv and their _inline forms.
 *   bench_topic --instr-list         the single-process variants
 *   bench_topic --instr VARIANT      run one
 */
#define _GNU_SOURCE 1
#include <memregion/chan.h>
#include <memregion/topic.h>

#include "bench.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/wait.h>

#define BIG ((size_t)64 * 1024)
#define SMALL ((size_t)64)
#define CAP ((size_t)4 << 20)
#define ROUNDS 5
#define MAXN 8

static void die(const char *what, long rc)
{
    fprintf(stderr, "bench_topic: %s: %s\n", what, mr_strerror((int)rc));
    exit(1);
}

/* The first two CPUs this process may run on (-1: none), found once. */
static int cpus[2] = { -1, -1 };

/* Run this process on cpus[k] only. */
static void pin(int k)
{
    int rc = bench_pin(cpus[k]);
    if (rc < 0)
        die("pinning", rc);
}

/* Read every cache line of the message. */
static inline uint64_t touch(const void *p, size_t len)
{
    const unsigned char *b = p;
    uint64_t s = 0, v;
    for (size_t k = 0; k + 8 <= len; k += 64) {
        memcpy(&v, b + k, 8);
        s += v;
    }
    return s;
}

/* The CPU time this process used so far, in ns. */
static double cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* The publisher's CPU ns per message in the last run; each topic
 * subscriber's, from its first message to its last (the mean over them),
 * which they write into a shared page. */
static double pub_cpu, sub_cpu;
static double *sub_cpu_at;

static void wait_all(const pid_t *pid, int n)
{
    for (int i = 0; i < n; i++) {
        int st;
        if (waitpid(pid[i], &st, 0) != pid[i] || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
            die("subscriber", -EPROTO);
    }
}

/* ---- topic ---------------------------------------------------------------------- */

/* What a subscriber does with each message. */
enum { SUB_COPY, SUB_ALL, SUB_ENDS };

/* Read the first and the last cache line of the message: a subscriber that
 * routes, indexes or drops by a header and hands the bytes on. */
static inline uint64_t touch_ends(const void *p, size_t len)
{
    uint64_t a, b;
    memcpy(&a, p, 8);
    memcpy(&b, (const unsigned char *)p + len - 8, 8);
    return a + b;
}

static void topic_sub(const char *name, uint64_t n, int mode, size_t len, int index)
{
    struct mr_topic_sub *s;
    int rc = mr_topic_attach(&s, name, NULL, 10000);
    if (rc < 0)
        die("attach", rc);
    uint64_t sum = 0, got = 0;
    static unsigned char buf[BIG];
    double c0 = 0; /* from the first message on: not the wait for the others to attach */
    for (;;) {
        if (mode == SUB_COPY) {
            ssize_t k = mr_topic_recv(s, mr_region_make(buf, len), MR_FOREVER, NULL);
            if (k < 0) {
                rc = (int)k;
                break;
            }
            sum += buf[0];
        } else {
            struct mr_region r;
            if ((rc = mr_topic_peek(s, MR_FOREVER, &r, NULL)) < 0)
                break;
            sum += mode == SUB_ALL ? touch(r.ptr, r.len) : touch_ends(r.ptr, r.len);
            mr_topic_release(s);
        }
        if (got++ == 0)
            c0 = cpu_ns();
    }
    sub_cpu_at[index] = n > 1 ? (cpu_ns() - c0) / (double)(n - 1) : 0;
    bench_escape(&sum);
    if (rc != -EPIPE || got != n)
        die("subscriber end", rc != -EPIPE ? rc : -EPROTO);
    mr_topic_detach(s);
}

/* Publish n messages of len to nsub subscribers (that copy 64 B messages
 * out, read every cache line of larger ones, or with ends set only their
 * first and last): seconds. */
static double run_topic(int nsub, size_t len, uint64_t n, int cpu_p, int cpu_s, bool ends)
{
    static unsigned seq;
    char name[64];
    snprintf(name, sizeof name, "bench-topic-%ld-%u", (long)getpid(), seq++);
    pid_t parent = getpid(), pid[MAXN];
    if (!sub_cpu_at) {
        void *p = mmap(NULL, MAXN * sizeof *sub_cpu_at, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
            die("mmap", -errno);
        sub_cpu_at = p;
    }
    for (int i = 0; i < nsub; i++) {
        if ((pid[i] = fork()) < 0)
            die("fork", -errno);
        if (pid[i] == 0) {
            bench_die_with_parent(parent);
            pin(cpu_s);
            topic_sub(name, n, len == SMALL ? SUB_COPY : ends ? SUB_ENDS : SUB_ALL, len, i);
            _exit(0);
        }
    }
    pin(cpu_p);
    struct mr_topic *t;
    struct mr_topic_opts o = { CAP, MR_TOPIC_RELIABLE, 0, 0, 0, MR_FOREVER, NULL, NULL };
    int rc = mr_topic_create(&t, name, &o);
    if (rc < 0)
        die("create", rc);
    for (int i = 0; i < nsub; i++)
        if ((rc = mr_topic_accept(t, 10000)) < 0)
            die("accept", rc);
    static unsigned char msg[SMALL];
    double t0 = bench_now_ns(), c0 = cpu_ns();
    for (uint64_t i = 0; i < n; i++) {
        if (len == SMALL) {
            msg[0] = (unsigned char)i;
            ssize_t k = mr_topic_publish(t, mr_region_make(msg, SMALL), MR_FOREVER);
            if (k < 0)
                die("publish", k);
        } else {
            struct mr_region r;
            if ((rc = mr_topic_reserve(t, len, MR_FOREVER, &r)) < 0)
                die("reserve", rc);
            memset(r.ptr, (int)i, len);
            mr_topic_commit(t, len);
        }
    }
    mr_topic_destroy(t);
    pub_cpu = (cpu_ns() - c0) / (double)n;
    wait_all(pid, nsub);
    double t1 = bench_now_ns();
    sub_cpu = 0;
    for (int i = 0; i < nsub; i++)
        sub_cpu += sub_cpu_at[i] / nsub;
    return (t1 - t0) / 1e9;
}

/* ---- one channel per subscriber ---------------------------------------------------- */

/* The channel's calls instead of its _inline forms (the 64 B line). */
static bool chan_calls;

static void chan_sub(struct mr_sock *s, uint64_t n, bool copy, size_t len)
{
    struct mr_chan c = MR_CHAN_INIT;
    int rc = mr_chan_attach_sock(&c, s, CAP, MR_CHAN_CONSUMER, 0, 10000);
    if (rc < 0)
        die("chan attach", rc);
    mr_sock_close(s);
    uint64_t sum = 0, got = 0;
    static unsigned char buf[BIG];
    for (;;) {
        if (copy) {
            ssize_t k = chan_calls ? mr_chan_recv(&c, mr_region_make(buf, len), MR_FOREVER)
                                   : mr_chan_recv_inline(&c, mr_region_make(buf, len), MR_FOREVER);
            if (k < 0) {
                rc = (int)k;
                break;
            }
            sum += buf[0];
        } else {
            struct mr_region r;
            if ((rc = mr_chan_peek_inline(&c, MR_FOREVER, &r)) < 0)
                break;
            sum += touch(r.ptr, r.len);
            mr_chan_release_inline(&c);
        }
        got++;
    }
    bench_escape(&sum);
    if (rc != -EPIPE || got != n)
        die("chan subscriber end", rc != -EPIPE ? rc : -EPROTO);
    mr_chan_close(&c);
}

static double run_chans(int nsub, size_t len, uint64_t n, int cpu_p, int cpu_s)
{
    pid_t parent = getpid(), pid[MAXN];
    struct mr_chan c[MAXN];
    for (int i = 0; i < nsub; i++) {
        struct mr_sock a = MR_SOCK_INIT, b = MR_SOCK_INIT;
        int rc = mr_sock_open_pair(&a, &b, SOCK_STREAM, 0);
        if (rc < 0)
            die("socket pair", rc);
        if ((pid[i] = fork()) < 0)
            die("fork", -errno);
        if (pid[i] == 0) {
            bench_die_with_parent(parent);
            mr_sock_close(&a);
            /* The ends of the channels made before are the parent's: a
             * close here would close them for both. */
            pin(cpu_s);
            chan_sub(&b, n, len == SMALL, len);
            _exit(0);
        }
        mr_sock_close(&b);
        c[i] = (struct mr_chan)MR_CHAN_INIT;
        if ((rc = mr_chan_create(&c[i], CAP, MR_CHAN_PRODUCER, 0)) < 0 ||
            (rc = mr_chan_share(&c[i], &a)) < 0)
            die("chan create", rc);
        mr_sock_close(&a);
    }
    pin(cpu_p);
    static unsigned char msg[BIG];
    double t0 = bench_now_ns(), c0 = cpu_ns();
    for (uint64_t i = 0; i < n; i++) {
        memset(msg, (int)i, len == SMALL ? 1 : len);
        for (int k = 0; k < nsub; k++) {
            ssize_t r = chan_calls ? mr_chan_send(&c[k], mr_region_make(msg, len), MR_FOREVER)
                                   : mr_chan_send_inline(&c[k], mr_region_make(msg, len), MR_FOREVER);
            if (r < 0)
                die("chan send", r);
        }
    }
    for (int k = 0; k < nsub; k++)
        mr_chan_close(&c[k]);
    pub_cpu = (cpu_ns() - c0) / (double)n;
    wait_all(pid, nsub);
    return (bench_now_ns() - t0) / 1e9;
}

/* ---- instructions: both ends in one process ------------------------------------------ */

#define INSTR_COUNT 100000
static unsigned char src_buf[SMALL], dst_buf[SMALL];

static BENCH_NOINLINE void instr_topic_copy(struct mr_topic *t, struct mr_topic_sub *s, uint64_t n)
{
    for (uint64_t i = 0; i < n; i++) {
        if (mr_topic_publish(t, mr_region_make(src_buf, SMALL), 0) != (ssize_t)SMALL)
            die("mr_topic_publish", -EAGAIN);
        if (mr_topic_recv(s, mr_region_make(dst_buf, SMALL), 0, NULL) != (ssize_t)SMALL)
            die("mr_topic_recv", -EAGAIN);
    }
}

static BENCH_NOINLINE void instr_topic_zc(struct mr_topic *t, struct mr_topic_sub *s, uint64_t n)
{
    for (uint64_t i = 0; i < n; i++) {
        struct mr_region r;
        int rc;
        if ((rc = mr_topic_reserve(t, SMALL, 0, &r)) < 0)
            die("mr_topic_reserve", rc);
        memcpy(r.ptr, src_buf, SMALL);
        mr_topic_commit(t, SMALL);
        if ((rc = mr_topic_peek(s, 0, &r, NULL)) < 0)
            die("mr_topic_peek", rc);
        memcpy(dst_buf, r.ptr, SMALL);
        if ((rc = mr_topic_release(s)) < 0)
            die("mr_topic_release", rc);
    }
}

static BENCH_NOINLINE void instr_chan_copy(struct mr_chan *p, struct mr_chan *c, uint64_t n)
{
    for (uint64_t i = 0; i < n; i++) {
        if (mr_chan_send(p, mr_region_make(src_buf, SMALL), 0) != (ssize_t)SMALL)
            die("mr_chan_send", -EAGAIN);
        if (mr_chan_recv(c, mr_region_make(dst_buf, SMALL), 0) != (ssize_t)SMALL)
            die("mr_chan_recv", -EAGAIN);
    }
}

static BENCH_NOINLINE void instr_chan_copy_inline(struct mr_chan *p, struct mr_chan *c, uint64_t n)
{
    for (uint64_t i = 0; i < n; i++) {
        if (mr_chan_send_inline(p, mr_region_make(src_buf, SMALL), 0) != (ssize_t)SMALL)
            die("mr_chan_send_inline", -EAGAIN);
        if (mr_chan_recv_inline(c, mr_region_make(dst_buf, SMALL), 0) != (ssize_t)SMALL)
            die("mr_chan_recv_inline", -EAGAIN);
    }
}

typedef void instr_topic_fn(struct mr_topic *t, struct mr_topic_sub *s, uint64_t n);
typedef void instr_chan_fn(struct mr_chan *p, struct mr_chan *c, uint64_t n);

static const struct {
    const char *name, *func;
    instr_topic_fn *topic;
    instr_chan_fn *chan;
    unsigned policy;
} instr_variants[] = {
    { "topic_copy", "instr_topic_copy", instr_topic_copy, NULL, MR_TOPIC_RELIABLE },
    { "topic_zc", "instr_topic_zc", instr_topic_zc, NULL, MR_TOPIC_RELIABLE },
    { "topic_copy_latest", "instr_topic_copy", instr_topic_copy, NULL, MR_TOPIC_LATEST },
    { "topic_zc_latest", "instr_topic_zc", instr_topic_zc, NULL, MR_TOPIC_LATEST },
    { "chan_copy", "instr_chan_copy", NULL, instr_chan_copy, 0 },
    { "chan_copy_inline", "instr_chan_copy_inline", NULL, instr_chan_copy_inline, 0 },
};

/* This process's topic: runs side by side must not meet. */
static char instr_name[64];

static void *instr_attach(void *arg)
{
    struct mr_topic_sub **s = arg;
    int rc = mr_topic_attach(s, instr_name, NULL, 10000);
    if (rc < 0)
        die("mr_topic_attach", rc);
    return NULL;
}

static int instr_main(const char *name)
{
    size_t n = sizeof instr_variants / sizeof instr_variants[0], v = 0;
    if (name == NULL) {
        for (size_t i = 0; i < n; i++)
            printf("%s %s %d msg chan_copy\n", instr_variants[i].name, instr_variants[i].func, INSTR_COUNT);
        return 0;
    }
    while (v < n && strcmp(name, instr_variants[v].name) != 0)
        v++;
    if (v == n) {
        fprintf(stderr, "bench_topic: no instruction variant %s (see --instr-list)\n", name);
        return 2;
    }
    int rc;
    if (instr_variants[v].chan) {
        struct mr_chan p = MR_CHAN_INIT, c = MR_CHAN_INIT;
        if ((rc = mr_chan_create(&p, CAP, MR_CHAN_PRODUCER, 0)) < 0)
            die("mr_chan_create", rc);
        if ((rc = mr_chan_attach_fd(&c, dup(mr_chan_fd(&p)), CAP, MR_CHAN_CONSUMER, 0)) < 0)
            die("mr_chan_attach_fd", rc);
        instr_variants[v].chan(&p, &c, INSTR_COUNT);
        mr_chan_close(&c);
        mr_chan_close(&p);
        return 0;
    }
    struct mr_topic *t;
    struct mr_topic_sub *s = NULL;
    struct mr_topic_opts o = { CAP, instr_variants[v].policy, 0, 0, 0, MR_FOREVER, NULL, NULL };
    snprintf(instr_name, sizeof instr_name, "bench-topic-instr-%ld", (long)getpid());
    if ((rc = mr_topic_create(&t, instr_name, &o)) < 0)
        die("mr_topic_create", rc);
    pthread_t th;
    if ((rc = pthread_create(&th, NULL, instr_attach, &s)) != 0)
        die("pthread_create", -rc);
    if ((rc = mr_topic_accept(t, 10000)) < 0)
        die("mr_topic_accept", rc);
    pthread_join(th, NULL);
    instr_variants[v].topic(t, s, INSTR_COUNT);
    mr_topic_detach(s);
    mr_topic_destroy(t);
    return 0;
}

/* ---- the tables ---------------------------------------------------------------------- */

static const int fan[] = { 1, 2, 4, 8 };
#define NFAN 4

static void fanout(int rounds, int cpu_p, int cpu_s, uint64_t n)
{
    /* v: 0 topic, 1 chans, 2 topic with subscribers reading two lines. */
    double rate[3][NFAN][ROUNDS], cpu[3][NFAN][ROUNDS], scpu[NFAN][ROUNDS], vs[NFAN][ROUNDS],
        flat[2][NFAN][ROUNDS], bound[NFAN][ROUNDS];
    for (int r = 0; r < rounds; r++) {
        for (int k = 0; k < 3 * NFAN; k++) {
            int j = (k + r) % (3 * NFAN), f = j % NFAN, v = j / NFAN;
            double s = v == 1 ? run_chans(fan[f], BIG, n, cpu_p, cpu_s)
                              : run_topic(fan[f], BIG, n, cpu_p, cpu_s, v == 2);
            rate[v][f][r] = (double)n * BIG / s;
            cpu[v][f][r] = pub_cpu;
            if (v == 2)
                scpu[f][r] = sub_cpu;
        }
        for (int f = 0; f < NFAN; f++) {
            vs[f][r] = rate[0][f][r] / rate[1][f][r];
            flat[0][f][r] = rate[0][f][r] / rate[0][0][r];
            flat[1][f][r] = rate[2][f][r] / rate[2][0][r];
            /* What this round's CPU times allow, as flat is this round's. */
            double p1 = cpu[2][0][r], s1 = scpu[0][r], p = cpu[2][f][r], ns = fan[f] * scpu[f][r];
            bound[f][r] = cpu_p == cpu_s ? (p1 + s1) / (p + ns) : (p1 > s1 ? p1 : s1) / (p > ns ? p : ns);
        }
    }
    printf("  subscribers read every cache line of every message:\n");
    printf("  %3s  %-34s %-34s %9s %9s  %s\n", "N", "topic: publisher GB/s, delivered",
           "chans: publisher GB/s, delivered", "topic/chan", "vs N=1",
           "publisher CPU us/msg: topic, chans");
    for (int f = 0; f < NFAN; f++) {
        double t = bench_median(rate[0][f], (size_t)rounds), c = bench_median(rate[1][f], (size_t)rounds);
        char a[64], b[64];
        snprintf(a, sizeof a, "%6.2f, %6.2f (writes 64 KiB)", t / 1e9, t * fan[f] / 1e9);
        snprintf(b, sizeof b, "%6.2f, %6.2f (copies %3d KiB)", c / 1e9, c * fan[f] / 1e9, 64 * fan[f]);
        printf("  %3d  %-34s %-34s %8.2fx %8.2fx  %6.1f, %6.1f\n", fan[f], a, b,
               bench_median(vs[f], (size_t)rounds), bench_median(flat[0][f], (size_t)rounds),
               bench_median(cpu[0][f], (size_t)rounds) / 1e3, bench_median(cpu[1][f], (size_t)rounds) / 1e3);
    }
    printf("  topic, subscribers read the first and last cache line of each message (what the\n"
           "  subscribers do with the bytes taken out: the publishing cost alone). CPU us/msg:\n"
           "  the publisher's P and each subscriber's S (their mean); 'CPU bound': the ratio to\n"
           "  N=1 the CPUs allow, (P1 + S1) / (P + N S) on one CPU, max(P1, S1) / max(P, N S) on two:\n");
    printf("  %3s  %-26s %9s  %8s %8s %10s\n", "N", "publisher GB/s, delivered", "vs N=1", "P", "S",
           "CPU bound");
    for (int f = 0; f < NFAN; f++) {
        double t = bench_median(rate[2][f], (size_t)rounds);
        double p = bench_median(cpu[2][f], (size_t)rounds), sc = bench_median(scpu[f], (size_t)rounds);
        char a[64];
        snprintf(a, sizeof a, "%6.2f, %6.2f", t / 1e9, t * fan[f] / 1e9);
        printf("  %3d  %-26s %8.2fx  %8.2f %8.2f %9.2fx\n", fan[f], a, bench_median(flat[1][f], (size_t)rounds),
               p / 1e3, sc / 1e3, bench_median(bound[f], (size_t)rounds));
    }
}

static void small(int rounds, int cpu_p, int cpu_s, uint64_t n)
{
    /* v: 0 topic, 1 chan calls, 2 chan _inline forms. */
    double rate[3][ROUNDS], ratio[2][ROUNDS];
    for (int r = 0; r < rounds; r++) {
        for (int k = 0; k < 3; k++) {
            int v = (k + r) % 3;
            chan_calls = v == 1;
            double s = v == 0 ? run_topic(1, SMALL, n, cpu_p, cpu_s, false) : run_chans(1, SMALL, n, cpu_p, cpu_s);
            rate[v][r] = (double)n / s;
        }
        ratio[0][r] = rate[0][r] / rate[1][r];
        ratio[1][r] = rate[0][r] / rate[2][r];
    }
    chan_calls = false;
    double q = bench_median(ratio[0], (size_t)rounds), qi = bench_median(ratio[1], (size_t)rounds);
    printf("  64 B to 1 subscriber: topic %.2f M msg/s; SPSC chan, calls %.2f M msg/s: %.2fx%s\n",
           bench_median(rate[0], (size_t)rounds) / 1e6, bench_median(rate[1], (size_t)rounds) / 1e6, q,
           q >= 0.8 ? "  (target 0.8x: met)" : "  (target 0.8x: NOT met)");
    printf("                        SPSC chan, _inline forms %.2f M msg/s: %.2fx%s\n",
           bench_median(rate[2], (size_t)rounds) / 1e6, qi,
           qi >= 0.8 ? "  (target 0.8x: met)" : "  (target 0.8x: NOT met)");
}

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "--instr-list") == 0)
        return instr_main(NULL);
    if (argc >= 3 && strcmp(argv[1], "--instr") == 0)
        return instr_main(argv[2]);
    /* One table only: "fanout" or "small". */
    const char *only = argc >= 2 ? argv[1] : NULL;
    if (argc > 2 || (only && strcmp(only, "fanout") != 0 && strcmp(only, "small") != 0)) {
        fprintf(stderr, "usage: %s [fanout | small | --instr-list | --instr VARIANT]\n", argv[0]);
        return 2;
    }
    int rounds = getenv("BENCH_QUICK") && strcmp(getenv("BENCH_QUICK"), "1") == 0 ? 3 : ROUNDS;
    int ncpu = bench_two_cpus(cpus);
    if (ncpu < 0)
        die("sched_getaffinity", ncpu);
    uint64_t nbig = 2000, nsmall = 1000000;
    printf("bench_topic: %llu messages of 64 KiB to N blocking subscribers, %llu of 64 B to one; "
           "%d rounds\n", (unsigned long long)nbig, (unsigned long long)nsmall, rounds);
    for (int place = 0; place < 2; place++) {
        if (place == 1 && ncpu < 2) {
            printf("two CPUs: skipped (one CPU available)\n");
            break;
        }
        int cp = 0, cs = place;
        printf("%s:\n", place ? "two CPUs (publisher on one, subscribers on the other)" : "same CPU");
        if (!only || strcmp(only, "fanout") == 0)
            fanout(rounds, cp, cs, nbig);
        if (!only || strcmp(only, "small") == 0)
            small(rounds, cp, cs, nsmall);
    }
    return 0;
}
