/* SPDX-License-Identifier: MIT */
/* bench/bench.h: the harness shared by the bench_*.c programs.
 *
 * A benchmark is a table of variants. Each variant does its whole job (N
 * elements or N operations) inside one noinline function whose name the
 * table records, so that callgrind can count that function alone
 * (--toggle-collect). Each variant names its baseline, another variant of
 * the same table measured in the same run.
 *
 *   bench_x --list       one line per variant: name, function, count, unit, baseline
 *   bench_x VARIANT      run that variant once (for callgrind); prints a check
 *   bench_x              wall-clock: every variant, interleaved, many rounds
 *                        (3 rounds when the environment has BENCH_QUICK=1)
 *
 * Wall-clock figures are medians over rounds; ratios are the median of the
 * per-round ratio to the baseline of the same round, because the CPU speed of
 * the machines we run on drifts from one minute to the next, so only figures
 * taken seconds apart compare.
 */
#ifndef MR_BENCH_H
#define MR_BENCH_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/prctl.h>
#include <signal.h>
#include <unistd.h>

/* Keep the measured function out of line and uncloned (so it keeps its name
 * for callgrind), and stop the compiler from reasoning across the call (e.g.
 * deciding it is pure and hoisting repeated calls out of a loop). */
#if defined(__clang__)
#define BENCH_NOINLINE __attribute__((noinline))
#else
#define BENCH_NOINLINE __attribute__((noipa))
#endif

/* The compiler must assume all memory was read and written here. */
static inline void bench_clobber(void) { __asm__ __volatile__("" ::: "memory"); }

/* p escapes to code the compiler cannot see, which may read or write memory. */
static inline void bench_escape(const void *p) { __asm__ __volatile__("" : : "r"(p) : "memory"); }

/* In a forked peer: die with the parent. A benchmark stopped mid-run (^C,
 * a test's time limit) must not leave a peer spinning on shared memory
 * forever. parent is the parent's pid, taken before the fork. */
static inline void bench_die_with_parent(pid_t parent)
{
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
        _exit(1);
}

#ifdef _GNU_SOURCE
#include <errno.h>
#include <sched.h>

/* Pin the calling process to cpu: 0 or -errno. */
static inline int bench_pin(int cpu)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return sched_setaffinity(0, sizeof set, &set) < 0 ? -errno : 0;
}

/* The first two CPUs this process may run on, into cpus (-1 when there
 * is no second): how many there are (0..2), or -errno. */
static inline int bench_two_cpus(int cpus[2])
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) < 0)
        return -errno;
    int n = 0;
    cpus[0] = cpus[1] = -1;
    for (int c = 0; c < CPU_SETSIZE && n < 2; c++)
        if (CPU_ISSET(c, &set))
            cpus[n++] = c;
    return n;
}
#endif

static inline double bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static inline int bench_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median of v[0..n) (sorts v). */
static inline double bench_median(double *v, size_t n)
{
    qsort(v, n, sizeof *v, bench_cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

struct bench_variant {
    const char *name; /* command-line name */
    const char *func; /* the noinline function that does the work */
    const char *what; /* one line for the table */
    void (*run)(void *ctx); /* one full repetition: `count` elements or operations */
    const char *base; /* the variant it is compared with */
};

struct bench_suite {
    const char *title;
    const char *unit; /* "elem", "op" */
    size_t count;     /* elements or operations per repetition */
    int rounds;
    const struct bench_variant *v;
    size_t nv;
    void *ctx;
    int speedup; /* also print baseline / variant ("x faster"; exact for odd rounds) */
};

#define BENCH_MAX_VARIANTS 16
#define BENCH_MAX_ROUNDS 64

static inline size_t bench_find(const struct bench_suite *s, const char *name)
{
    for (size_t i = 0; i < s->nv; i++)
        if (strcmp(s->v[i].name, name) == 0)
            return i;
    return s->nv;
}

/* Time every variant of s, interleaved: round r runs all variants, starting
 * at a different one each round so none always runs first. Prints a table. */
static inline void bench_time_suite(const struct bench_suite *s)
{
    static double t[BENCH_MAX_VARIANTS][BENCH_MAX_ROUNDS];
    static double tmp[BENCH_MAX_ROUNDS];
    size_t nv = s->nv, rounds = (size_t)s->rounds;
    /* BENCH_QUICK=1 (memregion bench --quick): 3 rounds, a quick look. */
    const char *quick = getenv("BENCH_QUICK");
    if (quick && *quick && strcmp(quick, "0") != 0 && rounds > 3)
        rounds = 3;

    if (nv > BENCH_MAX_VARIANTS || rounds > BENCH_MAX_ROUNDS || rounds == 0) {
        fprintf(stderr, "bench: too many variants or rounds\n");
        exit(2);
    }
    for (size_t i = 0; i < nv; i++) {
        if (bench_find(s, s->v[i].base) == nv) {
            fprintf(stderr, "bench: %s: no baseline %s\n", s->v[i].name, s->v[i].base);
            exit(2);
        }
    }
    for (size_t i = 0; i < nv; i++) /* warm-up: page faults, caches, clock */
        s->v[i].run(s->ctx);
    for (size_t r = 0; r < rounds; r++) {
        for (size_t k = 0; k < nv; k++) {
            size_t i = (k + r) % nv;
            double t0 = bench_now_ns();
            s->v[i].run(s->ctx);
            t[i][r] = bench_now_ns() - t0;
        }
    }

    printf("%s\n", s->title);
    printf("  %zu %ss per repetition, %zu rounds interleaved; median ns/%s; ratio = median over\n"
           "  rounds of (variant / its baseline in the same round), [min .. max] of that ratio%s\n",
           s->count, s->unit, rounds, s->unit, s->speedup ? ";\n  x faster = 1 / ratio" : "");
    char col[16];
    snprintf(col, sizeof col, "ns/%s", s->unit);
    printf("  %-18s %-22s %9s %-13s %6s  %-17s%s %s\n", "variant", "function", col, "baseline",
           "ratio", "[min .. max]", s->speedup ? " x faster" : "", "what");
    for (size_t i = 0; i < nv; i++) {
        size_t b = bench_find(s, s->v[i].base);
        double lo = 1e300, hi = 0;
        for (size_t r = 0; r < rounds; r++) {
            tmp[r] = t[i][r] / t[b][r];
            if (tmp[r] < lo)
                lo = tmp[r];
            if (tmp[r] > hi)
                hi = tmp[r];
        }
        double ratio = bench_median(tmp, rounds);
        for (size_t r = 0; r < rounds; r++)
            tmp[r] = t[i][r];
        double ns = bench_median(tmp, rounds) / (double)s->count;
        char range[40];
        snprintf(range, sizeof range, "[%.2f .. %.2f]", lo, hi);
        char fast[16] = "";
        if (s->speedup)
            snprintf(fast, sizeof fast, " %8.2f", 1 / ratio);
        printf("  %-18s %-22s %9.3f %-13s %6.3f  %-17s%s %s\n", s->v[i].name, s->v[i].func, ns,
               s->v[i].base, ratio, range, fast, s->v[i].what);
    }
    printf("\n");
}

/* --list, or one named variant once. Returns -1 when argv names nothing (so
 * the caller times everything), else the exit status. */
static inline int bench_dispatch(const struct bench_suite *s, int argc, char **argv)
{
    if (argc < 2)
        return -1;
    if (strcmp(argv[1], "--list") == 0) {
        for (size_t i = 0; i < s->nv; i++)
            printf("%s %s %zu %s %s\n", s->v[i].name, s->v[i].func, s->count, s->unit, s->v[i].base);
        return 0;
    }
    for (size_t i = 0; i < s->nv; i++) {
        if (strcmp(argv[1], s->v[i].name) == 0) {
            s->v[i].run(s->ctx);
            printf("%s: ran %s once (%zu %ss)\n", argv[0], s->v[i].name, s->count, s->unit);
            return 0;
        }
    }
    fprintf(stderr, "usage: %s [--list | VARIANT]\nvariants:", argv[0]);
    for (size_t i = 0; i < s->nv; i++)
        fprintf(stderr, " %s", s->v[i].name);
    fprintf(stderr, "\n");
    return 2;
}

#endif
