/* SPDX-License-Identifier: MIT */
/* bench/bench_iobuf.c: bulk byte-order conversion against memcpy (issue 3).
 *
 * Converts 64 MiB per repetition from wire-order bytes to host-order arrays
 * (decode) and back (encode), and copies the same bytes with memcpy, the
 * baseline, in the same rounds. Three working sets: 16 KiB (4096 passes, L1),
 * 256 KiB (256 passes, L2) and 64 MiB (one pass, memory). The goal: decoding
 * u32be runs at >= 0.5x memcpy's bandwidth, that is a time ratio <= 2 (the
 * "x faster" column is the bandwidth relative to memcpy: >= 0.5).
 *
 * Variants with a kernel in their name force that conversion code
 * (mr__swap_force) before they run; the others use the best this CPU runs.
 * Kernels the CPU lacks are left out of the table. Every variant is its own
 * noinline function, named in the table, for bench/callgrind.sh.
 */
#define _POSIX_C_SOURCE 200809L
#include <memregion/iobuf.h>

#include "bench.h"
#include "swap_internal.h"

#define BYTES_PER_REP ((size_t)64 << 20)
#define ROUNDS 15

struct ctx {
    unsigned char *src;  /* wire bytes: u32be of the index at every 4-byte slot */
    unsigned char *dst;  /* what a variant writes */
    unsigned char *host; /* host order: the index at every 4-byte slot */
    size_t bytes;       /* per pass */
    size_t passes;
};

/* ---- the measured functions ------------------------------------------------
 * Each does every pass of one repetition. */

static BENCH_NOINLINE void copy_memcpy(struct ctx *c)
{
    for (size_t k = 0; k < c->passes; k++) {
        memcpy(c->dst, c->src, c->bytes);
        bench_clobber();
    }
}

static int decode_passes(struct ctx *c, size_t w, size_t skew)
{
    struct mr_region r = mr_region_make_ro(c->src + skew, c->bytes);
    size_t n = c->bytes / w;
    for (size_t k = 0; k < c->passes; k++) {
        ssize_t rc = w == 2   ? mr_iobuf_decode_u16(c->dst + skew, r, n, MR_ORDER_BE)
                     : w == 4 ? mr_iobuf_decode_u32(c->dst + skew, r, n, MR_ORDER_BE)
                              : mr_iobuf_decode_u64(c->dst + skew, r, n, MR_ORDER_BE);
        if (rc < 0)
            return (int)rc;
        bench_clobber();
    }
    return 0;
}

/* The same work under different names, so that callgrind counts each. */
static BENCH_NOINLINE int decode_u32be(struct ctx *c) { return decode_passes(c, 4, 0); }
static BENCH_NOINLINE int decode_u32be_avx2(struct ctx *c) { return decode_passes(c, 4, 0); }
static BENCH_NOINLINE int decode_u32be_ssse3(struct ctx *c) { return decode_passes(c, 4, 0); }
static BENCH_NOINLINE int decode_u32be_portable(struct ctx *c) { return decode_passes(c, 4, 0); }
/* Source and destination both one byte off any alignment. */
static BENCH_NOINLINE int decode_u32be_unaligned(struct ctx *c) { return decode_passes(c, 4, 1); }
static BENCH_NOINLINE int decode_u16be(struct ctx *c) { return decode_passes(c, 2, 0); }
static BENCH_NOINLINE int decode_u64be(struct ctx *c) { return decode_passes(c, 8, 0); }

/* A host array to wire bytes. */
static BENCH_NOINLINE int encode_u32be(struct ctx *c)
{
    struct mr_region r = mr_region_make(c->dst, c->bytes);
    for (size_t k = 0; k < c->passes; k++) {
        ssize_t rc = mr_iobuf_encode_u32(r, c->host, c->bytes / 4, MR_ORDER_BE);
        if (rc < 0)
            return (int)rc;
        bench_clobber();
    }
    return 0;
}

/* ---- drivers ---------------------------------------------------------------*/

static void fail(const char *what)
{
    fprintf(stderr, "bench_iobuf: %s: wrong result\n", what);
    exit(1);
}

static void force(const char *kernel)
{
    if (mr__swap_force(kernel) < 0)
        fail("mr__swap_force");
}

/* Spot checks: a few elements of dst against the wire bytes at skew. */
static void check(const struct ctx *c, size_t w, size_t skew, const char *what)
{
    size_t n = c->bytes / w;
    size_t at[] = { 0, 1, n / 3, n / 2, n - 1 };
    for (size_t i = 0; i < sizeof at / sizeof at[0]; i++) {
        ptrdiff_t off = (ptrdiff_t)(skew + at[i] * w);
        bool ok = w == 2   ? mr_load_u16(c->dst, off) == mr_load_u16be(c->src, off)
                  : w == 4 ? mr_load_u32(c->dst, off) == mr_load_u32be(c->src, off)
                           : mr_load_u64(c->dst, off) == mr_load_u64be(c->src, off);
        if (!ok)
            fail(what);
    }
}

static void run_memcpy(void *p)
{
    struct ctx *c = p;
    copy_memcpy(c);
    if (memcmp(c->dst + c->bytes - 8, c->src + c->bytes - 8, 8) != 0)
        fail("copy_memcpy");
}

#define RUN_DECODE(fn, kernel, w, skew)                                         \
    static void run_##fn(void *p)                                               \
    {                                                                           \
        struct ctx *c = p;                                                      \
        force(kernel);                                                          \
        if (fn(c) != 0)                                                         \
            fail(#fn);                                                          \
        check(c, w, skew, #fn);                                                 \
    }
RUN_DECODE(decode_u32be, NULL, 4, 0)
RUN_DECODE(decode_u32be_avx2, "avx2", 4, 0)
RUN_DECODE(decode_u32be_ssse3, "ssse3", 4, 0)
RUN_DECODE(decode_u32be_portable, "portable", 4, 0)
RUN_DECODE(decode_u32be_unaligned, NULL, 4, 1)
RUN_DECODE(decode_u16be, NULL, 2, 0)
RUN_DECODE(decode_u64be, NULL, 8, 0)

static void run_encode_u32be(void *p)
{
    struct ctx *c = p;
    force(NULL);
    if (encode_u32be(c) != 0 || memcmp(c->dst, c->src, 8) != 0 ||
        memcmp(c->dst + c->bytes - 8, c->src + c->bytes - 8, 8) != 0)
        fail("encode_u32be");
}

static const struct bench_variant all_variants[] = {
    { "memcpy", "copy_memcpy", "memcpy(dst, src, bytes)", run_memcpy, "memcpy" },
    { "u32be", "decode_u32be", "mr_iobuf_decode_u32 BE, best kernels", run_decode_u32be, "memcpy" },
    { "u32be_avx2", "decode_u32be_avx2", "the same, AVX2 kernels forced", run_decode_u32be_avx2,
      "memcpy" },
    { "u32be_ssse3", "decode_u32be_ssse3", "the same, SSSE3 kernels forced", run_decode_u32be_ssse3,
      "memcpy" },
    { "u32be_portable", "decode_u32be_portable", "the same, portable C forced",
      run_decode_u32be_portable, "memcpy" },
    { "u32be_unaligned", "decode_u32be_unaligned", "u32be, src and dst at address 1 mod 64",
      run_decode_u32be_unaligned, "memcpy" },
    { "u16be", "decode_u16be", "mr_iobuf_decode_u16 BE", run_decode_u16be, "memcpy" },
    { "u64be", "decode_u64be", "mr_iobuf_decode_u64 BE", run_decode_u64be, "memcpy" },
    { "enc_u32be", "encode_u32be", "mr_iobuf_encode_u32 BE (host to wire)", run_encode_u32be,
      "memcpy" },
};
#define NALL (sizeof all_variants / sizeof all_variants[0])

static void setup(struct ctx *c, size_t bytes)
{
    struct mr_region s, d, h;
    /* Spare bytes for the unaligned variant. */
    if (mr_iobuf_alloc(NULL, bytes + 64, 64, 0, &s) < 0 ||
        mr_iobuf_alloc(NULL, bytes + 64, 64, MR_IOBUF_ZERO, &d) < 0 ||
        mr_iobuf_alloc(NULL, bytes + 64, 64, 0, &h) < 0) {
        fprintf(stderr, "bench_iobuf: out of memory\n");
        exit(1);
    }
    c->src = s.ptr;
    c->dst = d.ptr;
    c->host = h.ptr;
    c->bytes = bytes;
    c->passes = BYTES_PER_REP / bytes;
    for (size_t i = 0; i < (bytes + 64) / 4; i++) {
        mr_store_u32be(c->src, (ptrdiff_t)(i * 4), (uint32_t)i);
        mr_store_u32(c->host, (ptrdiff_t)(i * 4), (uint32_t)i);
    }
}

static void teardown(struct ctx *c)
{
    mr_iobuf_free(mr_region_make(c->src, c->bytes + 64));
    mr_iobuf_free(mr_region_make(c->dst, c->bytes + 64));
    mr_iobuf_free(mr_region_make(c->host, c->bytes + 64));
}

int main(int argc, char **argv)
{
    struct bench_variant v[NALL];
    size_t nv = 0;
    /* Only the kernels this CPU runs; then the default again. */
    for (size_t i = 0; i < NALL; i++) {
        const char *name = all_variants[i].name;
        if ((strcmp(name, "u32be_ssse3") == 0 && mr__swap_force("ssse3") < 0) ||
            (strcmp(name, "u32be_avx2") == 0 && mr__swap_force("avx2") < 0))
            continue;
        v[nv++] = all_variants[i];
    }
    force(NULL);

    static const size_t sizes[] = { (size_t)16 << 10, (size_t)256 << 10, (size_t)64 << 20 };
    static const char *const titles[] = {
        "bench_iobuf: 64 MiB per repetition as 4096 passes over 16 KiB (L1-resident)",
        "bench_iobuf: 64 MiB per repetition as 256 passes over 256 KiB (L2-resident)",
        "bench_iobuf: 64 MiB per repetition as one pass over 64 MiB (memory)",
    };
    struct ctx c;
    struct bench_suite s = {
        .unit = "KiB", .count = BYTES_PER_REP >> 10, .rounds = ROUNDS, .v = v, .nv = nv,
        .ctx = &c, .speedup = 1,
    };

    if (argc >= 2 && strcmp(argv[1], "--list") != 0) {
        /* One variant once, for callgrind: the L2 working set. */
        setup(&c, sizes[1]);
        int rc = bench_dispatch(&s, argc, argv);
        teardown(&c);
        return rc;
    }
    if (argc >= 2)
        return bench_dispatch(&s, argc, argv);

    printf("bench_iobuf: conversion kernels %s; \"x faster\" = bandwidth relative to memcpy "
           "(goal for u32be: >= 0.5)\n\n",
           mr_iobuf_convert_impl());
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        setup(&c, sizes[i]);
        s.title = titles[i];
        bench_time_suite(&s);
        teardown(&c);
    }
    return 0;
}
