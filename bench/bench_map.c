/* SPDX-License-Identifier: MIT */
/* bench/bench_map.c: the SIGBUS guard's cost (issue 4).
 *
 * Copies out of and into a shared mapping of a file (created in $TMPDIR or
 * /tmp, removed at exit) with memcpy, the baseline, and with the guarded
 * copies, in the same rounds. The goal: a guarded copy out of a mapping runs
 * at >= 0.9x memcpy's bandwidth for 64 KiB copies, that is a time ratio
 * <= 1.11 (the "x faster" column is the bandwidth relative to memcpy:
 * >= 0.9). The guard's cost is fixed per copy (a sigsetjmp that saves no
 * signal mask, two thread-local stores, the bounds check), so the table is
 * printed for 64 KiB, then for 256 B, 4 KiB and 1 MiB copies to show how it
 * weighs on small and large ones. 64 MiB are copied per repetition, from
 * and to the same bytes (cache-resident up to 1 MiB). Every variant is its
 * own noinline function, named in the table, for bench/callgrind.sh.
 */
#define _POSIX_C_SOURCE 200809L
#include <memregion/map.h>

#include <unistd.h>

#include "bench.h"

#define BYTES_PER_REP ((size_t)64 << 20)
#define MAP_BYTES ((size_t)1 << 20)
#define ROUNDS 15

struct ctx {
    struct mr_map m;     /* MAP_BYTES of a file, shared */
    unsigned char *buf;  /* the other side of every copy */
    size_t size;         /* bytes per copy */
    size_t copies;       /* per repetition */
};

/* ---- the measured functions -------------------------------------------------
 * Each does every copy of one repetition. */

static BENCH_NOINLINE void out_memcpy(struct ctx *c)
{
    for (size_t k = 0; k < c->copies; k++) {
        memcpy(c->buf, c->m.region.ptr, c->size);
        bench_clobber();
    }
}

static BENCH_NOINLINE int out_guard_copy(struct ctx *c)
{
    for (size_t k = 0; k < c->copies; k++) {
        int rc = mr_guard_copy(c->buf, c->m.region.ptr, c->size);
        if (rc < 0)
            return rc;
        bench_clobber();
    }
    return 0;
}

static BENCH_NOINLINE int out_map_copy(struct ctx *c)
{
    for (size_t k = 0; k < c->copies; k++) {
        int rc = mr_map_copy_out(&c->m, 0, c->buf, c->size);
        if (rc < 0)
            return rc;
        bench_clobber();
    }
    return 0;
}

static BENCH_NOINLINE void in_memcpy(struct ctx *c)
{
    for (size_t k = 0; k < c->copies; k++) {
        memcpy(c->m.region.ptr, c->buf, c->size);
        bench_clobber();
    }
}

static BENCH_NOINLINE int in_map_copy(struct ctx *c)
{
    for (size_t k = 0; k < c->copies; k++) {
        int rc = mr_map_copy_in(&c->m, 0, c->buf, c->size);
        if (rc < 0)
            return rc;
        bench_clobber();
    }
    return 0;
}

/* ---- drivers ----------------------------------------------------------------
 * The file holds byte i & 0xff at offset i, and the buffer the same bytes,
 * so copies either way change nothing and the check after each run holds. */

static void fail(const char *what)
{
    fprintf(stderr, "bench_map: %s failed\n", what);
    exit(1);
}

static void check(struct ctx *c, const char *what)
{
    const unsigned char *p = c->m.region.ptr;
    if (c->buf[c->size - 1] != (unsigned char)(c->size - 1) ||
        p[c->size - 1] != (unsigned char)(c->size - 1))
        fail(what);
}

static void run_out_memcpy(void *p) { out_memcpy(p); check(p, "out_memcpy"); }
static void run_out_guard_copy(void *p)
{
    if (out_guard_copy(p) < 0)
        fail("mr_guard_copy");
    check(p, "out_guard_copy");
}
static void run_out_map_copy(void *p)
{
    if (out_map_copy(p) < 0)
        fail("mr_map_copy_out");
    check(p, "out_map_copy");
}
static void run_in_memcpy(void *p) { in_memcpy(p); check(p, "in_memcpy"); }
static void run_in_map_copy(void *p)
{
    if (in_map_copy(p) < 0)
        fail("mr_map_copy_in");
    check(p, "in_map_copy");
}

static const struct bench_variant variants[] = {
    { "out_memcpy", "out_memcpy", "memcpy(buf, map, n)", run_out_memcpy, "out_memcpy" },
    { "out_guard", "out_guard_copy", "mr_guard_copy(buf, map, n)", run_out_guard_copy,
      "out_memcpy" },
    { "out_map", "out_map_copy", "mr_map_copy_out(&m, 0, buf, n)", run_out_map_copy, "out_memcpy" },
    { "in_memcpy", "in_memcpy", "memcpy(map, buf, n)", run_in_memcpy, "in_memcpy" },
    { "in_map", "in_map_copy", "mr_map_copy_in(&m, 0, buf, n)", run_in_map_copy, "in_memcpy" },
};
#define NVARIANTS (sizeof variants / sizeof variants[0])

static char path[512];

static void remove_file(void)
{
    if (path[0])
        unlink(path);
}

static void setup(struct ctx *c)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(path, sizeof path, "%s/mr-bench-map-%ld", tmp && *tmp ? tmp : "/tmp", (long)getpid());
    atexit(remove_file);
    if (mr_map_open_new(&c->m, path, MAP_BYTES, 0, MR_MAP_EXCL) < 0)
        fail("mr_map_open_new");
    c->buf = malloc(MAP_BYTES);
    if (c->buf == NULL)
        fail("malloc");
    unsigned char *p = c->m.region.ptr;
    for (size_t i = 0; i < MAP_BYTES; i++)
        p[i] = c->buf[i] = (unsigned char)i;
}

static void set_size(struct ctx *c, size_t size)
{
    c->size = size;
    c->copies = BYTES_PER_REP / size;
}

int main(int argc, char **argv)
{
    static const size_t others[] = { 256, 4096, (size_t)1 << 20 };
    static char title[128];
    struct ctx c;

    setup(&c);
    set_size(&c, (size_t)64 << 10);
    struct bench_suite s = {
        .title = "bench_map: 64 KiB copies out of and into a shared file mapping "
                 "(the goal: out_guard, out_map >= 0.9x memcpy)",
        .unit = "op", .count = c.copies, .rounds = ROUNDS, .v = variants, .nv = NVARIANTS,
        .ctx = &c, .speedup = 1,
    };
    int rc = bench_dispatch(&s, argc, argv);
    if (rc < 0) {
        bench_time_suite(&s);
        for (size_t i = 0; i < sizeof others / sizeof others[0]; i++) {
            set_size(&c, others[i]);
            snprintf(title, sizeof title, "bench_map: %zu-byte copies (%zu per repetition)",
                     others[i], c.copies);
            s.title = title;
            s.count = c.copies;
            bench_time_suite(&s);
        }
        rc = 0;
    }
    mr_map_close(&c.m);
    free(c.buf);
    return rc;
}
