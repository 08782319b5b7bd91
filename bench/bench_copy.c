/* SPDX-License-Identifier: MIT */
/* bench/bench_copy.c: mr__copy (src/copy.c, the channel's copy) against
 * memcpy, from 1 byte to 1 MiB: every power of two and its neighbours 8
 * bytes either side, and every 4096k-8 and 4096k up to 1 MiB, in the
 * placements where memcpy can slow down by the distance d = (dst - src) mod
 * 4096 between destination and source:
 *
 *   fixed   the same two page-aligned buffers copied again and again (data
 *           in cache), the destination 0, 8 or 4088 (-8) bytes past the
 *           source modulo 4 KiB (--distances: others). At 4088, a copy's
 *           loads wait on the previous copy's stores to the same offsets,
 *           whatever the copy code: an artefact of copying again and again;
 *   send    as a channel's send: from one page-aligned buffer into a 4 MiB
 *           ring, each copy 8 bytes past a record start, the records one
 *           after another (8-byte aligned), so a 4096k-8-byte message
 *           always lands at d = 8;
 *   recv    as a channel's receive: out of that ring into one page-aligned
 *           buffer (d = 4088 for 4096k-8 bytes).
 *
 * One process pinned to one CPU (a copy has no second placement). Every
 * round times every size, memcpy and mr__copy taking turns going first;
 * printed: GB/s of each (the median over rounds) and the ratio mr__copy /
 * memcpy (the median of the per-round ratios; above 1 is faster). At the
 * end of each placement, the cliffs: each d against d = 0 for the same size
 * (fixed), or each 4096k-8 size against 4096k, 8 bytes more, and each size
 * against its neighbours in the list (send, recv): the median and the worst.
 *
 *   bench_copy [--cpu N] [--kernel NAME] [--placement fixed|send|recv]
 *              [--sizes N,N,...] [--distances D,D,...]
 *
 * --kernel measures that copy code (avx2, sse2, portable: mr__copy_force)
 * on every copy (mr__copy_kernel) instead of mr__copy, to compare it with
 * memcpy where memcpy is not slow too. --distances replaces fixed's 0, 8
 * and 4088 (0..4095, at most 16). BENCH_QUICK=1: a quarter of the bytes, 3
 * rounds.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include <errno.h>
#include <sched.h>
#include <stdint.h>

#include "bench.h"
#include "copy_internal.h"

#define MAX_SIZE ((size_t)1 << 20)
#define RING ((size_t)4 << 20)
#define MAX_SIZES 1024
#define MAX_ROUNDS 9

enum placement { FIXED, SEND, RECV };
static const char *const placement_names[] = {"fixed", "send", "recv"};
#define MAX_DIST 16
static size_t distances[MAX_DIST] = {0, 8, 4088};
static size_t ndist = 3;

static size_t sizes[MAX_SIZES];
static size_t nsizes;

static int cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return (x > y) - (x < y);
}

/* Sorts sizes[] and drops the repeats. */
static void sort_sizes(void)
{
    qsort(sizes, nsizes, sizeof sizes[0], cmp_size);
    size_t k = 0;
    for (size_t i = 0; i < nsizes; i++)
        if (k == 0 || sizes[i] != sizes[k - 1])
            sizes[k++] = sizes[i];
    nsizes = k;
}

struct bufs {
    unsigned char *a, *b; /* page-aligned, MAX_SIZE + 2 pages each */
    unsigned char *ring;  /* page-aligned, RING + MAX_SIZE + a page */
};

/* One run: reps copies of n bytes, in the placement p (d: the distance of
 * FIXED), by memcpy, mr__copy or mr__copy_kernel. Returns ns. The
 * ring position restarts at 0 every run, so that both copies see the same
 * sequence of distances. One macro, so that the two differ only in the
 * function they call. */
#define RUN_COPIES(name, copy_fn)                                               \
    static BENCH_NOINLINE double name(const struct bufs *b, enum placement p, size_t d, size_t n, \
                                      size_t reps)                              \
    {                                                                           \
        size_t stride = (n + 8 + 7) & ~(size_t)7, pos = 0;                      \
        double t0 = bench_now_ns();                                             \
        for (size_t i = 0; i < reps; i++) {                                     \
            if (p == FIXED) {                                                   \
                copy_fn(b->b + d, b->a, n);                                     \
            } else {                                                            \
                unsigned char *rec = b->ring + pos + 8;                         \
                if (p == SEND)                                                  \
                    copy_fn(rec, b->a, n);                                      \
                else                                                            \
                    copy_fn(b->b, rec, n);                                      \
                pos = (pos + stride) % RING;                                    \
            }                                                                   \
            bench_clobber();                                                    \
        }                                                                       \
        return bench_now_ns() - t0;                                             \
    }

RUN_COPIES(run_memcpy, memcpy)
RUN_COPIES(run_mr_copy, mr__copy)
RUN_COPIES(run_kernel, mr__copy_kernel)

/* What is measured against memcpy: run_mr_copy, or run_kernel (--kernel). */
static double (*run_other)(const struct bufs *b, enum placement p, size_t d, size_t n,
                           size_t reps) = run_mr_copy;

/* Speeds of one column: GB/s for each size, memcpy [0] and mr__copy [1],
 * and the ratio; t holds the rounds' times until then. */
struct column {
    double t[2][MAX_SIZES][MAX_ROUNDS];
    double gbs[2][MAX_SIZES];
    double ratio[MAX_SIZES];
};

static size_t reps_for(size_t n, double budget)
{
    double want = budget / (double)n;
    return want < 8 ? 8 : want > 100000 ? 100000 : (size_t)want;
}

/* Round k of size i: a short warm-up (other sizes ran since), then both
 * copies timed, taking turns going first. */
static void measure(const struct bufs *b, enum placement p, size_t d, size_t i, double budget,
                    int k, struct column *col)
{
    size_t n = sizes[i], reps = reps_for(n, budget);
    run_memcpy(b, p, d, n, 2);
    run_other(b, p, d, n, 2);
    if (k % 2 == 0) {
        col->t[0][i][k] = run_memcpy(b, p, d, n, reps);
        col->t[1][i][k] = run_other(b, p, d, n, reps);
    } else {
        col->t[1][i][k] = run_other(b, p, d, n, reps);
        col->t[0][i][k] = run_memcpy(b, p, d, n, reps);
    }
}

static void medians(struct column *col, size_t i, double budget, int rounds)
{
    size_t n = sizes[i], reps = reps_for(n, budget);
    double g[2][MAX_ROUNDS], r[MAX_ROUNDS];
    for (int k = 0; k < rounds; k++) {
        for (int f = 0; f < 2; f++)
            g[f][k] = (double)n * (double)reps / col->t[f][i][k];
        r[k] = col->t[0][i][k] / col->t[1][i][k];
    }
    col->gbs[0][i] = bench_median(g[0], (size_t)rounds);
    col->gbs[1][i] = bench_median(g[1], (size_t)rounds);
    col->ratio[i] = bench_median(r, (size_t)rounds);
}

/* a[ia[k]] / b[ib[k]] over the npairs pairs k: the median and the worst
 * (smallest), with the size where it was. */
struct cliff {
    double med, worst;
    size_t at;
    size_t npairs;
};

static struct cliff pairs(const double *a, const double *b, const size_t *ia, const size_t *ib,
                          size_t npairs)
{
    static double v[2 * MAX_SIZES];
    struct cliff c = {0, 1e300, 0, npairs};
    for (size_t k = 0; k < npairs; k++) {
        v[k] = a[ia[k]] / b[ib[k]];
        if (v[k] < c.worst) {
            c.worst = v[k];
            c.at = sizes[ia[k]];
        }
    }
    c.med = npairs ? bench_median(v, npairs) : 0;
    return c;
}

static void print_cliff(const char *what, const struct column *ca, const struct column *cb,
                        const size_t *ia, const size_t *ib, size_t npairs)
{
    for (int f = 0; f < 2; f++) {
        struct cliff c = pairs(ca->gbs[f], cb->gbs[f], ia, ib, npairs);
        printf("  %s, %-8s: median %.2fx, worst %.2fx (%zu bytes), %zu sizes\n", what,
               f ? "mr__copy" : "memcpy", c.med, c.worst, c.at, c.npairs);
    }
}

/* A comma-separated list of numbers from lo to hi into out[], at most max
 * of them: their count, or -1. */
static int parse_list(const char *s, size_t *out, size_t max, size_t lo, size_t hi)
{
    size_t k = 0;
    while (*s) {
        char *end;
        errno = 0;
        unsigned long long v = strtoull(s, &end, 10);
        if (end == s || errno != 0 || v < lo || v > hi || (*end != ',' && *end != '\0') ||
            k == max)
            return -1;
        out[k++] = (size_t)v;
        s = *end == ',' ? end + 1 : end;
    }
    return (int)k;
}

static void usage(void)
{
    fprintf(stderr, "usage: bench_copy [--cpu N] [--kernel avx2|sse2|portable] "
                    "[--placement fixed|send|recv] [--sizes N,N,...] [--distances D,D,...]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    int cpu = 0, only = -1;
    const char *kernel = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--cpu") == 0 && i + 1 < argc) {
            cpu = atoi(argv[++i]);
        } else if (strcmp(argv[i], "--kernel") == 0 && i + 1 < argc) {
            kernel = argv[++i];
        } else if (strcmp(argv[i], "--placement") == 0 && i + 1 < argc) {
            const char *p = argv[++i];
            for (int k = 0; k < 3; k++)
                if (strcmp(p, placement_names[k]) == 0)
                    only = k;
            if (only < 0)
                usage();
        } else if (strcmp(argv[i], "--sizes") == 0 && i + 1 < argc) {
            int k = parse_list(argv[++i], sizes, MAX_SIZES, 1, MAX_SIZE);
            if (k <= 0)
                usage();
            nsizes = (size_t)k;
        } else if (strcmp(argv[i], "--distances") == 0 && i + 1 < argc) {
            int k = parse_list(argv[++i], distances, MAX_DIST, 0, 4095);
            if (k <= 0)
                usage();
            ndist = (size_t)k;
        } else {
            usage();
        }
    }
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (sched_setaffinity(0, sizeof set, &set) < 0)
        fprintf(stderr, "bench_copy: could not pin to CPU %d; figures are unpinned\n", cpu);
    if (kernel != NULL) {
        int rc = mr__copy_force(kernel);
        if (rc < 0) {
            fprintf(stderr, "bench_copy: kernel %s: %s\n", kernel, mr_strerror(rc));
            return rc == -ENOTSUP ? 77 : 2;
        }
        run_other = run_kernel;
    }

    if (nsizes == 0) {
        for (size_t p = 1; p <= MAX_SIZE; p *= 2) {
            sizes[nsizes++] = p;
            if (p > 8 && p < MAX_SIZE) {
                sizes[nsizes++] = p - 8;
                sizes[nsizes++] = p + 8;
            }
        }
        for (size_t k = 1; 4096 * k <= MAX_SIZE; k++) {
            sizes[nsizes++] = 4096 * k - 8;
            sizes[nsizes++] = 4096 * k;
        }
    }
    sort_sizes();

    const char *quick = getenv("BENCH_QUICK");
    bool is_quick = quick && *quick && strcmp(quick, "0") != 0;
    double budget = (is_quick ? 4.0 : 16.0) * (1 << 20);
    int rounds = is_quick ? 3 : 7;
    struct bufs b = {
        aligned_alloc(4096, MAX_SIZE + 2 * 4096),
        aligned_alloc(4096, MAX_SIZE + 2 * 4096),
        aligned_alloc(4096, RING + MAX_SIZE + 4096),
    };
    if (b.a == NULL || b.b == NULL || b.ring == NULL)
        return 1;
    memset(b.a, 0x5a, MAX_SIZE + 2 * 4096);
    memset(b.b, 0, MAX_SIZE + 2 * 4096);
    memset(b.ring, 0, RING + MAX_SIZE + 4096);

    static struct column cols[MAX_DIST];
    static size_t ia[2 * MAX_SIZES], ib[2 * MAX_SIZES];
    printf("bench_copy: mr__copy (%s%s) against memcpy, one process on CPU %d, about %.0f MiB per\n"
           "size and round, %d rounds over all sizes; GB/s medians, ratio = mr__copy's speed / "
           "memcpy's\n(median of the rounds' ratios, above 1 faster)\n",
           mr__copy_impl(), kernel ? ", for every copy" : " where memcpy is slow", cpu,
           budget / (1 << 20), rounds);
    for (int p = 0; p < 3; p++) {
        if (only >= 0 && p != only)
            continue;
        size_t ncols = p == FIXED ? ndist : 1;
        if (p == FIXED) {
            printf("\nfixed: the same page-aligned buffers, the destination d bytes past the "
                   "source mod 4096\n%8s", "bytes");
            for (size_t d = 0; d < ndist; d++)
                printf(" | d=%-4zu memcpy mr__copy ratio", distances[d]);
        } else {
            printf("\n%s: %s a 4 MiB ring at record start + 8, records back to back\n%8s %s",
                   placement_names[p], p == SEND ? "into" : "out of", "bytes",
                   "   memcpy mr__copy ratio");
        }
        printf("\n");
        /* Round after round over all sizes, so that a burst of other work
         * on the machine spoils one round of many sizes, not every round of
         * one size. */
        for (int k = 0; k < rounds; k++)
            for (size_t i = 0; i < nsizes; i++)
                for (size_t d = 0; d < ncols; d++)
                    measure(&b, (enum placement)p, distances[d], i, budget, k, &cols[d]);
        for (size_t i = 0; i < nsizes; i++) {
            printf("%8zu", sizes[i]);
            for (size_t d = 0; d < ncols; d++) {
                medians(&cols[d], i, budget, rounds);
                printf("%s %8.2f %8.2f %5.2f", p == FIXED ? " |       " : "   ", cols[d].gbs[0][i],
                       cols[d].gbs[1][i], cols[d].ratio[i]);
            }
            bool cliff = sizes[i] >= 4088 && (sizes[i] + 8) % 4096 == 0;
            printf("%s\n", p != FIXED && cliff ? "  (4096k-8)" : "");
            fflush(stdout);
        }
        size_t np = 0;
        if (p == FIXED) {
            size_t zero = ndist;
            for (size_t d = 0; d < ndist; d++)
                if (distances[d] == 0)
                    zero = d;
            for (size_t i = 0; i < nsizes; i++)
                if (sizes[i] >= 2048)
                    ia[np] = ib[np] = i, np++;
            for (size_t d = 0; d < ndist && zero < ndist; d++) {
                if (d == zero)
                    continue;
                char what[32];
                snprintf(what, sizeof what, "d=%zu", distances[d]);
                printf("fixed, speed at %s against d=0 of the same size (2048 bytes and up):\n",
                       what);
                print_cliff(what, &cols[d], &cols[zero], ia, ib, np);
            }
        } else {
            /* Apart below and from 32 KiB, where the causes differ (src/copy.c). */
            for (int big = 0; big < 2; big++) {
                np = 0;
                for (size_t i = 0; i + 1 < nsizes; i++)
                    if (sizes[i] >= 4088 && (sizes[i] + 8) % 4096 == 0 &&
                        sizes[i + 1] == sizes[i] + 8 && (sizes[i] + 8 >= 32768) == big)
                        ia[np] = i, ib[np] = i + 1, np++;
                printf("%s, speed of 4096k-8 bytes against 4096k, %s:\n", placement_names[p],
                       big ? "32 KiB to 1 MiB" : "4 KiB to 28 KiB");
                print_cliff("4096k-8", &cols[0], &cols[0], ia, ib, np);
            }
            /* Every size against the next one when it is at most 1/8 larger. */
            np = 0;
            for (size_t i = 0; i + 1 < nsizes; i++)
                if (sizes[i] >= 64 && sizes[i + 1] - sizes[i] <= sizes[i] / 8) {
                    ia[np] = i, ib[np] = i + 1, np++;
                    ia[np] = i + 1, ib[np] = i, np++;
                }
            printf("%s, speed of each size against a neighbour at most 1/8 apart (64 bytes and "
                   "up):\n", placement_names[p]);
            print_cliff("neighbour", &cols[0], &cols[0], ia, ib, np);
        }
    }
    free(b.a);
    free(b.b);
    free(b.ring);
    return 0;
}
