/* SPDX-License-Identifier: MIT */
/* bench/bench_chan_sizes.c: a channel's copying calls across message sizes,
 * from 1 byte to 1 MiB, to find size cliffs: every power of two and its
 * neighbours 8 bytes either side, and every size of the form 4096k - 8 up to
 * 1 MiB (a record of exactly k pages: the 8-byte header puts such payloads
 * just past the source modulo 4 KiB, where some memcpy paths slow down).
 *
 * Both ends live in this process, on one pinned CPU: each round sends a
 * message (mr_chan_send) and receives it (mr_chan_recv) until a byte budget
 * is moved. The baseline, measured for the same size in the same round, is
 * two memcpy calls between plain page-aligned buffers, the copies the
 * channel makes. Printed: GB/s of each and the ratio (channel / memcpy),
 * medians over rounds, and at the end the median ratio of the 4096k-8 sizes
 * against that of all the others: a cliff shows as a lower figure.
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

static BENCH_NOINLINE double run_chan(struct mr_chan *p, struct mr_chan *c, unsigned char *in,
                                      unsigned char *out, size_t n, size_t reps)
{
    double t = bench_now_ns();
    for (size_t i = 0; i < reps; i++) {
        if (mr_chan_send(p, mr_region_make(in, n), 0) != (ssize_t)n ||
            mr_chan_recv(c, mr_region_make(out, n), 0) != (ssize_t)n) {
            fprintf(stderr, "bench_chan_sizes: the channel refused a %zu-byte message\n", n);
            exit(1);
        }
    }
    bench_escape(out);
    return bench_now_ns() - t;
}

static BENCH_NOINLINE double run_memcpy(unsigned char *mid, unsigned char *in, unsigned char *out,
                                        size_t n, size_t reps)
{
    double t = bench_now_ns();
    for (size_t i = 0; i < reps; i++) {
        memcpy(mid, in, n);
        bench_escape(mid);
        memcpy(out, mid, n);
        bench_escape(out);
    }
    return bench_now_ns() - t;
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

    struct mr_chan p = MR_CHAN_INIT, c = MR_CHAN_INIT;
    int rc = mr_chan_create(&p, CAPACITY, MR_CHAN_PRODUCER, 0);
    int fd = rc == 0 ? fcntl(mr_chan_fd(&p), F_DUPFD_CLOEXEC, 0) : -1;
    if (fd < 0 || (rc = mr_chan_attach_fd(&c, fd, CAPACITY, MR_CHAN_CONSUMER, 0)) < 0) {
        fprintf(stderr, "bench_chan_sizes: cannot make a channel: %s\n", mr_strerror(rc));
        return 1;
    }

    printf("chan send+recv vs two memcpy, one process on CPU %d, %.0f MiB per size and round, "
           "medians of %d rounds\n", cpu, budget / (1 << 20), ROUNDS);
    printf("%9s %12s %12s %7s\n", "bytes", "chan GB/s", "memcpy GB/s", "ratio");
    double cliff_ratio[1024], other_ratio[1024];
    size_t ncliff = 0, nother = 0;
    for (size_t i = 0; i < nsizes; i++) {
        size_t n = sizes[i];
        size_t reps = (size_t)(budget / (double)n);
        if (reps < 4)
            reps = 4;
        if (reps > 200000)
            reps = 200000;
        double chan[ROUNDS], base[ROUNDS], ratio[ROUNDS];
        for (int r = 0; r < ROUNDS; r++) {
            double tc = run_chan(&p, &c, in, out, n, reps);
            double tb = run_memcpy(mid, in, out, n, reps);
            chan[r] = (double)n * (double)reps / tc;
            base[r] = (double)n * (double)reps / tb;
            ratio[r] = chan[r] / base[r];
        }
        double rm = bench_median(ratio, ROUNDS);
        printf("%9zu %12.2f %12.2f %7.2f%s\n", n, bench_median(chan, ROUNDS),
               bench_median(base, ROUNDS), rm, cliff[i] ? "  (4096k-8)" : "");
        if (cliff[i])
            cliff_ratio[ncliff++] = rm;
        else if (n >= 4096)
            other_ratio[nother++] = rm;
    }
    printf("median ratio to memcpy, sizes >= 4 KiB: 4096k-8 sizes %.2f (%zu sizes), others %.2f "
           "(%zu sizes)\n",
           bench_median(cliff_ratio, ncliff), ncliff, bench_median(other_ratio, nother), nother);
    mr_chan_close(&p);
    mr_chan_close(&c);
    free(in);
    free(out);
    free(mid);
    return 0;
}
