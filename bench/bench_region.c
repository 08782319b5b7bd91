/* SPDX-License-Identifier: MIT */
/* bench/bench_region.c: the cost of bounds checks (issue 2, goal a).
 *
 * Sums 16M u32le values (a 64 MiB buffer) through a raw pointer, through the
 * unchecked sap loads and through checked region access, and stores 16M
 * values raw and through checked region sets (which also test the read-only
 * flag). Every loop is in its own noinline function, named in the table, so
 * that callgrind can count it alone (bench/callgrind.sh).
 *
 * Wall clock runs twice: over the 64 MiB buffer (bounded by memory bandwidth
 * as much as by instructions) and as 4096 passes over a 16 KiB buffer that
 * stays in the L1 cache (bounded by instructions), the same 16M values.
 */
#define _POSIX_C_SOURCE 200809L
#include <memregion/region.h>
#include <memregion/sap.h>

#include "bench.h"

#define COLD_VALUES ((size_t)1 << 24) /* 16M values, 64 MiB */
#define HOT_VALUES ((size_t)1 << 12)  /* 4096 values, 16 KiB */
#define ROUNDS 15

/* ---- the measured loops ------------------------------------------------------
 * All take the element count n at run time, as a parser would get it, so the
 * compiler knows no more about the trip count than it would in real code. */

/* The baseline: a plain pointer loop, host order (little-endian here). */
static BENCH_NOINLINE uint64_t sum_raw(const uint32_t *p, size_t n)
{
    uint64_t s = 0;
    for (size_t i = 0; i < n; i++)
        s += p[i];
    return s;
}

/* Unchecked SAP loads at byte offsets. */
static BENCH_NOINLINE uint64_t sum_sap(const void *base, size_t n)
{
    uint64_t s = 0;
    for (size_t i = 0; i < n; i++)
        s += mr_load_u32le(base, (ptrdiff_t)(i * 4));
    return s;
}

/* Checked gets with a count that comes from elsewhere (a header field, an
 * argument): the compiler cannot prove the offsets fit, so each get checks. */
static BENCH_NOINLINE int sum_checked(struct mr_region r, size_t n, uint64_t *out)
{
    uint64_t s = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t v;
        int rc = mr_region_get_u32le(r, i * 4, &v);
        if (rc < 0)
            return rc;
        s += v;
    }
    *out = s;
    return 0;
}

/* Checked gets in a loop bounded by the region's length, as an index: the
 * compiler does not connect i < r.len / 4 with the get's check. */
static BENCH_NOINLINE int sum_checked_len(struct mr_region r, uint64_t *out)
{
    uint64_t s = 0;
    for (size_t i = 0; i < r.len / 4; i++) {
        uint32_t v;
        int rc = mr_region_get_u32le(r, i * 4, &v);
        if (rc < 0)
            return rc;
        s += v;
    }
    *out = s;
    return 0;
}

/* Checked gets in the loop region.h recommends: bounded by mr_region_fits
 * itself, so that the compiler sees every get succeed and drops its check. */
static BENCH_NOINLINE int sum_checked_fits(struct mr_region r, uint64_t *out)
{
    uint64_t s = 0;
    for (size_t off = 0; mr_region_fits(r, off, 4); off += 4) {
        uint32_t v;
        int rc = mr_region_get_u32le(r, off, &v);
        if (rc < 0)
            return rc;
        s += v;
    }
    *out = s;
    return 0;
}

/* One check for the whole range (mr_region_sub), then unchecked SAP loads:
 * what to write when a loop must run at raw speed. */
static BENCH_NOINLINE int sum_checked_once(struct mr_region r, size_t n, uint64_t *out)
{
    struct mr_region w;
    if (n > SIZE_MAX / 4 || mr_region_sub(r, 0, n * 4, &w) < 0)
        return -ERANGE;
    uint64_t s = 0;
    for (size_t i = 0; i < n; i++)
        s += mr_load_u32le(w.ptr, (ptrdiff_t)(i * 4));
    *out = s;
    return 0;
}

/* The baseline store loop. */
static BENCH_NOINLINE void store_raw(uint32_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint32_t)i;
}

/* Checked sets: read-only flag, then bounds, then the store. */
static BENCH_NOINLINE int store_checked(struct mr_region r, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int rc = mr_region_set_u32le(r, i * 4, (uint32_t)i);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* Checked sets in the same loop, after one read-only test (region.h's
 * advice: with it, the compiler drops the flag test inside the loop). */
static BENCH_NOINLINE int store_checked_fits(struct mr_region r)
{
    if (mr_region_is_ro(r))
        return -EACCES;
    uint32_t i = 0;
    for (size_t off = 0; mr_region_fits(r, off, 4); off += 4) {
        int rc = mr_region_set_u32le(r, off, i++);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* ---- drivers -----------------------------------------------------------------
 * The buffer holds value i at index i, and the store loops write the same
 * values back, so every sum has one known answer, checked after every run. */
struct ctx {
    uint32_t *buf;
    size_t n;      /* values per pass */
    size_t passes; /* passes per repetition */
    uint64_t expect; /* the sum of one pass */
};

static void fail(const char *what)
{
    fprintf(stderr, "bench_region: %s: wrong result\n", what);
    exit(1);
}

static void run_raw(void *p)
{
    struct ctx *c = p;
    for (size_t k = 0; k < c->passes; k++) {
        if (sum_raw(c->buf, c->n) != c->expect)
            fail("sum_raw");
        bench_clobber();
    }
}

static void run_sap(void *p)
{
    struct ctx *c = p;
    for (size_t k = 0; k < c->passes; k++) {
        if (sum_sap(c->buf, c->n) != c->expect)
            fail("sum_sap");
        bench_clobber();
    }
}

static void run_checked(void *p)
{
    struct ctx *c = p;
    struct mr_region r = mr_region_make(c->buf, c->n * 4);
    for (size_t k = 0; k < c->passes; k++) {
        uint64_t s = 0;
        if (sum_checked(r, c->n, &s) != 0 || s != c->expect)
            fail("sum_checked");
        bench_clobber();
    }
}

static void run_checked_len(void *p)
{
    struct ctx *c = p;
    struct mr_region r = mr_region_make(c->buf, c->n * 4);
    for (size_t k = 0; k < c->passes; k++) {
        uint64_t s = 0;
        if (sum_checked_len(r, &s) != 0 || s != c->expect)
            fail("sum_checked_len");
        bench_clobber();
    }
}

static void run_checked_once(void *p)
{
    struct ctx *c = p;
    struct mr_region r = mr_region_make(c->buf, c->n * 4);
    for (size_t k = 0; k < c->passes; k++) {
        uint64_t s = 0;
        if (sum_checked_once(r, c->n, &s) != 0 || s != c->expect)
            fail("sum_checked_once");
        bench_clobber();
    }
}

static void run_store_raw(void *p)
{
    struct ctx *c = p;
    for (size_t k = 0; k < c->passes; k++) {
        store_raw(c->buf, c->n);
        bench_clobber();
    }
    if (c->buf[c->n - 1] != (uint32_t)(c->n - 1))
        fail("store_raw");
}

static void run_store_checked(void *p)
{
    struct ctx *c = p;
    struct mr_region r = mr_region_make(c->buf, c->n * 4);
    for (size_t k = 0; k < c->passes; k++) {
        if (store_checked(r, c->n) != 0)
            fail("store_checked");
        bench_clobber();
    }
    if (c->buf[c->n - 1] != (uint32_t)(c->n - 1))
        fail("store_checked");
    /* The flag must really be tested: a read-only region refuses the store. */
    if (store_checked(mr_region_ro(r), c->n) != -EACCES)
        fail("store_checked on a read-only region");
}

static void run_checked_fits(void *p)
{
    struct ctx *c = p;
    struct mr_region r = mr_region_make(c->buf, c->n * 4);
    for (size_t k = 0; k < c->passes; k++) {
        uint64_t s = 0;
        if (sum_checked_fits(r, &s) != 0 || s != c->expect)
            fail("sum_checked_fits");
        bench_clobber();
    }
}

static void run_store_checked_fits(void *p)
{
    struct ctx *c = p;
    struct mr_region r = mr_region_make(c->buf, c->n * 4);
    for (size_t k = 0; k < c->passes; k++) {
        if (store_checked_fits(r) != 0)
            fail("store_checked_fits");
        bench_clobber();
    }
    if (c->buf[c->n - 1] != (uint32_t)(c->n - 1))
        fail("store_checked_fits");
    if (store_checked_fits(mr_region_ro(r)) != -EACCES)
        fail("store_checked_fits on a read-only region");
}

static const struct bench_variant variants[] = {
    { "raw", "sum_raw", "s += p[i], uint32_t *p", run_raw, "raw" },
    { "sap", "sum_sap", "s += mr_load_u32le(base, i*4)", run_sap, "raw" },
    { "checked", "sum_checked", "mr_region_get_u32le(r, i*4), i < n (n given)", run_checked, "raw" },
    { "checked_len", "sum_checked_len", "mr_region_get_u32le(r, i*4), i < r.len/4", run_checked_len,
      "raw" },
    { "checked_fits", "sum_checked_fits", "mr_region_get_u32le(r, off), while mr_region_fits(r, off, 4)",
      run_checked_fits, "raw" },
    { "checked_once", "sum_checked_once", "mr_region_sub once, then mr_load_u32le", run_checked_once,
      "raw" },
    { "raw_store", "store_raw", "p[i] = i", run_store_raw, "raw_store" },
    { "checked_store", "store_checked", "mr_region_set_u32le(r, i*4, i)", run_store_checked,
      "raw_store" },
    { "checked_store_fits", "store_checked_fits", "is_ro once; mr_region_set_u32le while mr_region_fits",
      run_store_checked_fits, "raw_store" },
};
#define NVARIANTS (sizeof variants / sizeof variants[0])

static void setup(struct ctx *c, size_t n, size_t passes)
{
    c->n = n;
    c->passes = passes;
    c->buf = malloc(n * sizeof *c->buf);
    if (c->buf == NULL) {
        fprintf(stderr, "bench_region: out of memory\n");
        exit(1);
    }
    c->expect = 0;
    for (size_t i = 0; i < n; i++) {
        c->buf[i] = (uint32_t)i;
        c->expect += (uint32_t)i;
    }
}

int main(int argc, char **argv)
{
    struct ctx cold, hot;
    setup(&cold, COLD_VALUES, 1);
    struct bench_suite s = {
        .title = "bench_region: 16M u32 values in a 64 MiB buffer",
        .unit = "elem", .count = COLD_VALUES, .rounds = ROUNDS, .v = variants, .nv = NVARIANTS,
        .ctx = &cold,
    };
    int rc = bench_dispatch(&s, argc, argv);
    if (rc >= 0)
        return rc;

    bench_time_suite(&s);

    setup(&hot, HOT_VALUES, COLD_VALUES / HOT_VALUES);
    s.title = "bench_region: 16M u32 values as 4096 passes over a 16 KiB buffer (L1-resident)";
    s.ctx = &hot;
    bench_time_suite(&s);

    free(cold.buf);
    free(hot.buf);
    return 0;
}
