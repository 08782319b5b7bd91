/* SPDX-License-Identifier: MIT */
/* bench/bench_pipe.c: `memregion pipe` against a kernel pipe (issue 7: move
 * 1 GiB byte-exact faster than a kernel pipe does, in wall time).
 *
 * The same generator and consumer (this program, run as `bench_pipe gen N`
 * and `bench_pipe cons`) are connected two ways:
 *   pipe   gen | cons
 *   chan   gen | memregion pipe send X      memregion pipe recv X | cons
 * The generator writes N pseudo-random bytes in 1 MiB writes (each MiB
 * stamped with its number, so that a lost, repeated or reordered block
 * changes the checksum); the consumer reads in 1 MiB reads and prints a
 * checksum of everything it read (four interleaved FNV-style lanes over
 * 8-byte words, order-sensitive) and the byte count, which the driver
 * compares with the checksum of the stream it computed itself. A variant's
 * time runs from the first fork to the last process's exit, so it includes
 * starting memregion twice and its rendezvous (a few ms).
 *
 * Placements: one CPU (every process on CPU 0), then two CPUs (the
 * producing side, gen and send, on CPU 0; the consuming side, recv and
 * cons, on CPU 1; for the kernel pipe, gen on 0 and cons on 1). Variants
 * run interleaved, rounds starting with a different one each time; the
 * ratio is the median over rounds of (variant time / kernel pipe's time in
 * the same round), as bench.h does it.
 *
 *   bench_pipe [--quick] [--size BYTES] [--rounds N]   the comparison
 *   bench_pipe --list                                  the variants
 *   bench_pipe gen BYTES | bench_pipe cons             the two ends
 * memregion is found next to this program (../tools/memregion in the
 * build tree, or memregion in the same directory), or in $MEMREGION. */
#define _GNU_SOURCE 1
#include "bench.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/wait.h>
#include <unistd.h>

#define BLOCK ((size_t)1 << 20)
#define MAX_ROUNDS 32

static void die(const char *what)
{
    fprintf(stderr, "bench_pipe: %s: %s\n", what, strerror(errno));
    exit(1);
}

/* ---- the stream and its checksum ---------------------------------------------- */

static void fill_block(unsigned char *b)
{
    uint64_t x = 0x243f6a8885a308d3u;
    for (size_t i = 0; i < BLOCK; i += 8) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        memcpy(b + i, &x, 8);
    }
}

static void stamp_block(unsigned char *b, uint64_t k)
{
    for (size_t i = 0; i < BLOCK; i += 4096)
        memcpy(b + i, &k, 8);
}

struct sum {
    uint64_t h[4];
    uint64_t bytes;
    unsigned char tail[32];
    size_t ntail;
};

static void sum_init(struct sum *s)
{
    memset(s, 0, sizeof *s);
    for (int i = 0; i < 4; i++)
        s->h[i] = 0xcbf29ce484222325u + (uint64_t)i;
}

static void sum_words(struct sum *s, const unsigned char *p, size_t n)
{
    uint64_t a = s->h[0], b = s->h[1], c = s->h[2], d = s->h[3];
    for (size_t i = 0; i < n; i += 32) {
        uint64_t w[4];
        memcpy(w, p + i, 32);
        a = (a ^ w[0]) * 0x100000001b3u;
        b = (b ^ w[1]) * 0x100000001b3u;
        c = (c ^ w[2]) * 0x100000001b3u;
        d = (d ^ w[3]) * 0x100000001b3u;
    }
    s->h[0] = a, s->h[1] = b, s->h[2] = c, s->h[3] = d;
}

/* Any split of the stream into reads gives the same sum: whole 32-byte
 * groups go to the lanes, and a partial one waits in tail. */
static void sum_add(struct sum *s, const unsigned char *p, size_t n)
{
    s->bytes += n;
    if (s->ntail) {
        size_t k = 32 - s->ntail < n ? 32 - s->ntail : n;
        memcpy(s->tail + s->ntail, p, k);
        s->ntail += k, p += k, n -= k;
        if (s->ntail < 32)
            return;
        sum_words(s, s->tail, 32);
        s->ntail = 0;
    }
    size_t whole = n & ~(size_t)31;
    sum_words(s, p, whole);
    memcpy(s->tail, p + whole, n - whole);
    s->ntail = n - whole;
}

static uint64_t sum_end(struct sum *s)
{
    uint64_t h = s->h[0] ^ (s->h[1] << 1) ^ (s->h[2] << 2) ^ (s->h[3] << 3) ^ s->bytes;
    for (size_t i = 0; i < s->ntail; i++)
        h = (h ^ s->tail[i]) * 0x100000001b3u;
    return h;
}

static int run_gen(uint64_t total)
{
    unsigned char *b = malloc(BLOCK);
    if (!b)
        die("malloc");
    fill_block(b);
    for (uint64_t k = 0, done = 0; done < total; k++) {
        stamp_block(b, k);
        size_t n = total - done < BLOCK ? (size_t)(total - done) : BLOCK;
        for (size_t off = 0; off < n;) {
            ssize_t w = write(1, b + off, n - off);
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0)
                die("gen: write");
            off += (size_t)w;
        }
        done += n;
    }
    return 0;
}

static int run_cons(void)
{
    unsigned char *b = malloc(BLOCK);
    if (!b)
        die("malloc");
    struct sum s;
    sum_init(&s);
    for (;;) {
        ssize_t n = read(0, b, BLOCK);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            die("cons: read");
        if (n == 0)
            break;
        sum_add(&s, b, (size_t)n);
    }
    uint64_t bytes = s.bytes;
    printf("%016llx %llu\n", (unsigned long long)sum_end(&s), (unsigned long long)bytes);
    return 0;
}

static uint64_t expected_sum(uint64_t total)
{
    unsigned char *b = malloc(BLOCK);
    if (!b)
        die("malloc");
    fill_block(b);
    struct sum s;
    sum_init(&s);
    for (uint64_t k = 0, done = 0; done < total; k++) {
        stamp_block(b, k);
        size_t n = total - done < BLOCK ? (size_t)(total - done) : BLOCK;
        sum_add(&s, b, n);
        done += n;
    }
    free(b);
    return sum_end(&s);
}

/* ---- running the pipelines ------------------------------------------------------ */

static char self[2048], memregion[4096];

/* Fork a process on cpu (-1: anywhere) with stdin in and stdout out
 * (-1: inherited), exec'ing argv. Every other pipe fd is closed by the
 * caller's list. */
static pid_t spawn(int cpu, int in, int out, const int *close_fds, size_t nclose, char *const *argv)
{
    pid_t p = fork();
    if (p < 0)
        die("fork");
    if (p > 0)
        return p;
    if (cpu >= 0) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(cpu, &set);
        if (sched_setaffinity(0, sizeof set, &set) < 0)
            _exit(126);
    }
    if (in >= 0 && dup2(in, 0) < 0)
        _exit(126);
    if (out >= 0 && dup2(out, 1) < 0)
        _exit(126);
    for (size_t i = 0; i < nclose; i++)
        close(close_fds[i]);
    execv(argv[0], argv);
    _exit(127);
}

/* One run: the seconds it took, after checking the consumer's sum. */
static double run_variant(bool chan, int cpu_prod, int cpu_cons, uint64_t total, uint64_t want,
                          unsigned seq)
{
    char size[32], name[64];
    snprintf(size, sizeof size, "%llu", (unsigned long long)total);
    snprintf(name, sizeof name, "bench-pipe-%ld-%u", (long)getpid(), seq);
    char *gen[] = { self, (char *)"gen", size, NULL };
    char *cons[] = { self, (char *)"cons", NULL };
    char *send[] = { memregion, (char *)"pipe", (char *)"send", name, (char *)"--quiet", NULL };
    char *recv[] = { memregion, (char *)"pipe", (char *)"recv", name, (char *)"--quiet", NULL };
    int a[2], b[2], r[2];
    if (pipe2(a, O_CLOEXEC) < 0 || pipe2(b, O_CLOEXEC) < 0 || pipe2(r, O_CLOEXEC) < 0)
        die("pipe");
    int all[6] = { a[0], a[1], b[0], b[1], r[0], r[1] };
    pid_t pids[4];
    size_t np = 0;

    double t0 = bench_now_ns();
    if (!chan) {
        pids[np++] = spawn(cpu_prod, -1, a[1], all, 6, gen);
        pids[np++] = spawn(cpu_cons, a[0], r[1], all, 6, cons);
    } else {
        pids[np++] = spawn(cpu_cons, b[0], r[1], all, 6, cons);
        pids[np++] = spawn(cpu_cons, -1, b[1], all, 6, recv);
        pids[np++] = spawn(cpu_prod, a[0], -1, all, 6, send);
        pids[np++] = spawn(cpu_prod, -1, a[1], all, 6, gen);
    }
    for (int i = 0; i < 6; i++)
        if (all[i] != r[0])
            close(all[i]);
    char out[128];
    size_t got = 0;
    for (;;) {
        ssize_t n = read(r[0], out + got, sizeof out - 1 - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(r[0]);
    bool ok = true;
    for (size_t i = 0; i < np; i++) {
        int st;
        while (waitpid(pids[i], &st, 0) < 0)
            if (errno != EINTR)
                die("waitpid");
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
            fprintf(stderr, "bench_pipe: %s: a process failed (status 0x%x)\n",
                    chan ? "chan" : "pipe", st);
            ok = false;
        }
    }
    double t = (bench_now_ns() - t0) / 1e9;
    out[got] = '\0';
    unsigned long long sum = 0, bytes = 0;
    if (!ok || sscanf(out, "%llx %llu", &sum, &bytes) != 2 || sum != want || bytes != total) {
        fprintf(stderr, "bench_pipe: %s: the consumer got %llu bytes, checksum %016llx; expected "
                        "%llu bytes, %016llx\n",
                chan ? "chan" : "pipe", bytes, sum, (unsigned long long)total,
                (unsigned long long)want);
        exit(1);
    }
    return t;
}

static void placement(const char *title, int cpu_prod, int cpu_cons, uint64_t total, uint64_t want,
                      int rounds)
{
    static const char *names[2] = { "pipe", "chan" };
    static const char *what[2] = { "gen | cons", "gen | pipe send X; pipe recv X | cons" };
    double t[2][MAX_ROUNDS], tmp[MAX_ROUNDS];
    static unsigned seq;
    for (int r = 0; r < rounds; r++)
        for (int k = 0; k < 2; k++) {
            int i = (k + r) % 2;
            t[i][r] = run_variant(i == 1, cpu_prod, cpu_cons, total, want, seq++);
        }
    printf("bench_pipe: %s, %.0f MiB, %d rounds interleaved\n", title, (double)total / (1 << 20),
           rounds);
    printf("  median s per transfer; ratio = median over rounds of (variant / pipe in the same\n"
           "  round), [min .. max] of that ratio; x faster = 1 / ratio; checksums compared\n");
    printf("  %-8s %-14s %9s %-8s %6s  %-17s %8s %8s  %s\n", "variant", "function", "s",
           "baseline", "ratio", "[min .. max]", "x faster", "GiB/s", "what");
    for (int i = 0; i < 2; i++) {
        double lo = 1e300, hi = 0;
        for (int r = 0; r < rounds; r++) {
            tmp[r] = t[i][r] / t[0][r];
            lo = tmp[r] < lo ? tmp[r] : lo;
            hi = tmp[r] > hi ? tmp[r] : hi;
        }
        double ratio = bench_median(tmp, (size_t)rounds);
        for (int r = 0; r < rounds; r++)
            tmp[r] = t[i][r];
        double s = bench_median(tmp, (size_t)rounds);
        char range[40];
        snprintf(range, sizeof range, "[%.2f .. %.2f]", lo, hi);
        printf("  %-8s %-14s %9.3f %-8s %6.3f  %-17s %8.2f %8.2f  %s\n", names[i],
               i ? "memregion_pipe" : "kernel_pipe", s, "pipe", ratio, range, 1 / ratio,
               (double)total / (1 << 30) / s, what[i]);
        if (i == 1)
            printf("  goal: memregion pipe faster than a kernel pipe: %.2fx  %s\n\n", 1 / ratio,
                   ratio < 1 ? "met" : "NOT met");
    }
}

static void find_memregion(void)
{
    const char *env = getenv("MEMREGION");
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n < 0)
        die("/proc/self/exe");
    self[n] = '\0';
    if (env && *env) {
        snprintf(memregion, sizeof memregion, "%s", env);
        return;
    }
    char dir[2048];
    snprintf(dir, sizeof dir, "%s", self);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    snprintf(memregion, sizeof memregion, "%s/../tools/memregion", dir);
    if (access(memregion, X_OK) == 0)
        return;
    snprintf(memregion, sizeof memregion, "%s/memregion", dir);
    if (access(memregion, X_OK) == 0)
        return;
    fprintf(stderr, "bench_pipe: memregion not found next to %s (build it, or set MEMREGION)\n",
            self);
    exit(1);
}

int main(int argc, char **argv)
{
    uint64_t total = (uint64_t)1 << 30;
    int rounds = 5;
    if (argc >= 3 && strcmp(argv[1], "gen") == 0)
        return run_gen(strtoull(argv[2], NULL, 0));
    if (argc >= 2 && strcmp(argv[1], "cons") == 0)
        return run_cons();
    const char *quick = getenv("BENCH_QUICK");
    if (quick && *quick && strcmp(quick, "0") != 0) {
        total = (uint64_t)256 << 20;
        rounds = 3;
    }
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--list") == 0) {
            printf("pipe kernel_pipe 1 transfer pipe\nchan memregion_pipe 1 transfer pipe\n");
            return 0;
        } else if (strcmp(argv[i], "--quick") == 0) {
            total = (uint64_t)256 << 20;
            rounds = 3;
        } else if (strcmp(argv[i], "--size") == 0 && i + 1 < argc) {
            total = strtoull(argv[++i], NULL, 0);
        } else if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc) {
            rounds = atoi(argv[++i]);
        } else {
            fprintf(stderr, "usage: %s [--quick] [--size BYTES] [--rounds N] | --list | gen BYTES "
                            "| cons\n", argv[0]);
            return 2;
        }
    }
    if (rounds < 1 || rounds > MAX_ROUNDS || total == 0) {
        fprintf(stderr, "bench_pipe: rounds 1..%d, size > 0\n", MAX_ROUNDS);
        return 2;
    }
    find_memregion();
    uint64_t want = expected_sum(total);

    cpu_set_t set;
    CPU_ZERO(&set);
    bool two = sched_getaffinity(0, sizeof set, &set) == 0 && CPU_ISSET(0, &set) && CPU_ISSET(1, &set);
    printf("bench_pipe: %s -> %s\n", self, memregion);
    placement("one CPU (every process on CPU 0)", 0, 0, total, want, rounds);
    if (two)
        placement("two CPUs (gen and send on CPU 0, recv and cons on CPU 1)", 0, 1, total, want,
                  rounds);
    else
        printf("bench_pipe: CPUs 0 and 1 are not both available: no two-CPU placement\n");
    return 0;
}
