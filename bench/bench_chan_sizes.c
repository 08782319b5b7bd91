/* SPDX-License-Identifier: MIT */
/* bench/bench_chan_sizes.c: a channel's copying calls across message sizes,
 * from 1 byte to 1 MiB, to find size cliffs: every power of two and its
 * neighbours 8 bytes either side, and every size of the form 4096k - 8 up to
 * 1 MiB (a record of exactly k pages: the 8-byte header puts such payloads
 * just past the source modulo 4 KiB, where some memcpy paths slow down).
 *
 * Both ends live in this process, on one pinned CPU, in two patterns: one
 * by one (each message received right after it is sent, so its bytes stay in
 * cache, where a copy's own speed shows) and in batches (as many messages as
 * the ring holds, then all received). Each round moves a byte budget, timing
 * sends (mr_chan_send) and receives (mr_chan_recv) apart. The baseline, measured for the same size in the same round, is the
 * same copy by memcpy between plain page-aligned buffers. Printed: GB/s and
 * the ratio to memcpy (1.0: as fast) of each side, medians over rounds, and
 * at the end each 4096k-8 size's speed against that of 4096k, 8 bytes more:
 * a cliff shows as a figure below 1.
 *
 *   bench_chan_sizes [--cpu N]     (BENCH_QUICK=1: a quarter of the work)
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include <memregion.h>

#include <fcntl.h>
#include <sched.h>

#include "bench.h"

#define CAPACITY ((size_t)4 << 20)
#define MAX_SIZE ((size_t)1 << 20)
#define ROUNDS 5

static size_t sizes[1024];
static bool cliff[1024];
static size_t nsizes;

static void add_size(size_t n)
{
    if (n == 0 || n > MAX_SIZE)
        return;
    for (size_t i = 0; i < nsizes; i++)
        if (sizes[i] == n)
            return;
    sizes[nsizes++] = n;
}

static int cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return (x > y) - (x < y);
}

/* Send reps messages of n bytes and receive them, in batches that fit the
 * ring, timing the sends and the receives apart: t[0] and t[1], in ns. */
static BENCH_NOINLINE void run_chan(struct mr_chan *p, struct mr_chan *c, unsigned char *in,
                                    unsigned char *out, size_t n, size_t reps, bool one_by_one,
                                    double t[2])
{
    size_t fit = one_by_one ? 1 : CAPACITY / (n + 2 * MR_CHAN_MSG_OVERHEAD + MR_CHAN_MSG_ALIGN);
    if (fit == 0)
        fit = 1;
    t[0] = t[1] = 0;
    for (size_t done = 0; done < reps;) {
        size_t k = reps - done < fit ? reps - done : fit;
        double a = bench_now_ns();
        for (size_t i = 0; i < k; i++)
            if (mr_chan_send(p, mr_region_make(in, n), 0) != (ssize_t)n) {
                fprintf(stderr, "bench_chan_sizes: the channel refused a %zu-byte message\n", n);
                exit(1);
            }
        double b = bench_now_ns();
        for (size_t i = 0; i < k; i++)
            if (mr_chan_recv(c, mr_region_make(out, n), 0) != (ssize_t)n) {
                fprintf(stderr, "bench_chan_sizes: no %zu-byte message to receive\n", n);
                exit(1);
            }
        bench_escape(out);
        t[0] += b - a;
        t[1] += bench_now_ns() - b;
        done += k;
    }
}

/* The same copies between plain page-aligned buffers: in to mid, then mid
 * to out, timed apart. */
static BENCH_NOINLINE void run_memcpy(unsigned char *mid, unsigned char *in, unsigned char *out,
                                      size_t n, size_t reps, double t[2])
{
    double a = bench_now_ns();
    for (size_t i = 0; i < reps; i++) {
        memcpy(mid, in, n);
        bench_escape(mid);
    }
    double b = bench_now_ns();
    for (size_t i = 0; i < reps; i++) {
        memcpy(out, mid, n);
        bench_escape(out);
    }
    t[0] = b - a;
    t[1] = bench_now_ns() - b;
}

int main(int argc, char **argv)
{
    int cpu = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--cpu") == 0 && i + 1 < argc) {
            cpu = atoi(argv[++i]);
        } else {
            fprintf(stderr, "usage: bench_chan_sizes [--cpu N]\n");
            return 2;
        }
    }
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (sched_setaffinity(0, sizeof set, &set) < 0)
        fprintf(stderr, "bench_chan_sizes: could not pin to CPU %d; figures are unpinned\n", cpu);

    for (size_t p = 1; p <= MAX_SIZE; p *= 2) {
        add_size(p);
        if (p > 8) {
            add_size(p - 8);
            add_size(p + 8);
        }
    }
    for (size_t k = 1; 4096 * k - 8 <= MAX_SIZE; k++)
        add_size(4096 * k - 8);
    qsort(sizes, nsizes, sizeof sizes[0], cmp_size);
    for (size_t i = 0; i < nsizes; i++)
        cliff[i] = sizes[i] >= 4088 && (sizes[i] + 8) % 4096 == 0;

    const char *quick = getenv("BENCH_QUICK");
    double budget = (quick && strcmp(quick, "1") == 0 ? 16.0 : 64.0) * (1 << 20);
    unsigned char *in = aligned_alloc(4096, MAX_SIZE), *out = aligned_alloc(4096, MAX_SIZE),
                  *mid = aligned_alloc(4096, MAX_SIZE);
    if (in == NULL || out == NULL || mid == NULL)
        return 1;
    memset(in, 0x5a, MAX_SIZE);
    memset(out, 0, MAX_SIZE);
    memset(mid, 0, MAX_SIZE);

    printf("chan send and recv, each as a ratio to one memcpy of the same size, one process on "
           "CPU %d,\n%.0f MiB per size and round, medians of %d rounds\n", cpu,
           budget / (1 << 20), ROUNDS);
    for (int pattern = 0; pattern < 2; pattern++) {
    bool one_by_one = pattern == 0;
    printf("\n%s\n", one_by_one ? "one by one: each message received right after it is sent "
                                   "(its bytes stay in cache)"
                                 : "batches: as many messages as the ring holds, then all received");
    printf("%9s %10s %7s %10s %7s\n", "bytes", "send GB/s", "ratio", "recv GB/s", "ratio");
    double speed[2][1024];
    for (size_t i = 0; i < nsizes; i++) {
        size_t n = sizes[i];
        size_t reps = (size_t)(budget / (double)n);
        if (reps < 4)
            reps = 4;
        if (reps > 200000)
            reps = 200000;
        /* A new channel for each size: its records start at the ring's
         * first byte, as in a channel that carries only this size, so that
         * a size of 4096k-8 keeps every payload at the same offset modulo
         * 4 KiB (a channel reused across sizes would start elsewhere). */
        struct mr_chan p = MR_CHAN_INIT, c = MR_CHAN_INIT;
        int rc = mr_chan_create(&p, CAPACITY, MR_CHAN_PRODUCER, 0);
        int fd = rc == 0 ? fcntl(mr_chan_fd(&p), F_DUPFD_CLOEXEC, 0) : -1;
        if (fd < 0 || (rc = mr_chan_attach_fd(&c, fd, CAPACITY, MR_CHAN_CONSUMER, 0)) < 0) {
            fprintf(stderr, "bench_chan_sizes: cannot make a channel: %s\n", mr_strerror(rc));
            return 1;
        }
        double gbs[2][ROUNDS], ratio[2][ROUNDS];
        for (int r = 0; r < ROUNDS; r++) {
            double tc[2], tb[2];
            run_chan(&p, &c, in, out, n, reps, one_by_one, tc);
            run_memcpy(mid, in, out, n, reps, tb);
            for (int d = 0; d < 2; d++) {
                gbs[d][r] = (double)n * (double)reps / tc[d];
                ratio[d][r] = tb[d] / tc[d];
            }
        }
        double rs = bench_median(ratio[0], ROUNDS), rr = bench_median(ratio[1], ROUNDS);
        speed[0][i] = bench_median(gbs[0], ROUNDS);
        speed[1][i] = bench_median(gbs[1], ROUNDS);
        printf("%9zu %10.2f %7.2f %10.2f %7.2f%s\n", n, speed[0][i], rs, speed[1][i], rr,
               cliff[i] ? "  (4096k-8)" : "");
        mr_chan_close(&p);
        mr_chan_close(&c);
    }
    /* The cliff itself: each 4096k-8 size against 4096k, 8 bytes more, in
     * the same run (k a power of two, where both sizes are measured). */
    double pair[2][32];
    size_t npair = 0;
    for (size_t i = 0; i + 1 < nsizes; i++)
        if (cliff[i] && sizes[i + 1] == sizes[i] + 8 && npair < 32) {
            pair[0][npair] = speed[0][i] / speed[0][i + 1];
            pair[1][npair++] = speed[1][i] / speed[1][i + 1];
        }
    if (npair > 0)
        printf("4096k-8 bytes against 4096k (k = 1, 2, 4 ... 256): send %.2fx, recv %.2fx as fast "
               "(median of %zu pairs)\n", bench_median(pair[0], npair), bench_median(pair[1], npair),
               npair);
    }
    free(in);
    free(out);
    free(mid);
    return 0;
}
