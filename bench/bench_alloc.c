/* SPDX-License-Identifier: MIT */
/* bench/bench_alloc.c: arena and pool against malloc/free (issue 2, goal b).
 *
 * Every variant performs OPS allocations with sizes cycling 16, 32, ..., 256
 * bytes (the same sequence for all), writes 8 bytes into each block and lets
 * the pointer escape to code the compiler cannot see (an empty asm with a
 * memory clobber), as a real caller would use the block. One "op" is one
 * allocation together with its share of freeing:
 *   malloc_free         malloc, then free at once (a pair): the baseline
 *   malloc_batch        malloc CYCLE blocks, then free them in the same order
 *   arena_*             CYCLE allocations, then mr_arena_reset (or a rewind)
 *   pool_*, heap_generic  allocate, then free at once (a pair)
 *
 * The *_inline variants use the inline fast paths (mr_arena_alloc,
 * mr_pool_alloc, mr_pool_free); the *_generic ones go through mr_alloc and
 * mr_free and the allocator's vtable.
 *
 * A cycle of CYCLE blocks takes about 550 KiB. The arena variants use 1 MiB
 * chunks, so that a cycle stays in the first chunk, which reset keeps: they
 * measure the allocation path. arena_inline_64k uses the default options
 * (64 KiB chunks): each cycle takes nine chunks from the heap and the reset
 * gives eight back, and that churn is part of its figure. arena_inline_256
 * resets every 256 allocations (34 KiB, inside the L1 data cache), to show
 * how much of the arena's time is writing to fresh memory.
 */
#define _POSIX_C_SOURCE 200809L
#include <memregion/alloc.h>

#include "bench.h"

#define OPS ((size_t)1 << 21) /* allocations per repetition */
#define CYCLE ((size_t)4096)  /* allocations between arena resets / batch frees */
#define SHORT_CYCLE ((size_t)256) /* arena_inline_256: a cycle that fits in L1 */
#define ARENA_CHUNK ((size_t)1 << 20)
#define NSIZES 16
#define ROUNDS 15

static const size_t sizes[NSIZES] = {
    16, 32, 48, 64, 80, 96, 112, 128, 144, 160, 176, 192, 208, 224, 240, 256,
};

/* ---- the measured loops: each returns its count of failed allocations ---- */

static BENCH_NOINLINE size_t malloc_free_pairs(size_t ops)
{
    size_t fails = 0;
    for (size_t i = 0; i < ops; i++) {
        void *p = malloc(sizes[i % NSIZES]);
        if (p == NULL) {
            fails++;
            continue;
        }
        mr_store_u64(p, 0, i);
        bench_escape(p);
        free(p);
    }
    return fails;
}

static BENCH_NOINLINE size_t malloc_free_batch(void **ptrs, size_t ops)
{
    size_t fails = 0;
    for (size_t i = 0; i < ops; i += CYCLE) {
        for (size_t j = 0; j < CYCLE; j++) {
            void *p = malloc(sizes[(i + j) % NSIZES]);
            ptrs[j] = p;
            if (p == NULL) {
                fails++;
                continue;
            }
            mr_store_u64(p, 0, i + j);
            bench_escape(p);
        }
        for (size_t j = 0; j < CYCLE; j++)
            free(ptrs[j]);
    }
    return fails;
}

static BENCH_NOINLINE size_t arena_inline_reset(struct mr_arena *a, size_t ops, size_t cycle)
{
    size_t fails = 0;
    for (size_t i = 0; i < ops; i += cycle) {
        for (size_t j = 0; j < cycle; j++) {
            struct mr_region r;
            if (mr_arena_alloc(a, sizes[(i + j) % NSIZES], MR_ALIGN_DEFAULT, &r) < 0) {
                fails++;
                continue;
            }
            mr_store_u64(r.ptr, 0, i + j);
            bench_escape(r.ptr);
        }
        mr_arena_reset(a);
    }
    return fails;
}

static BENCH_NOINLINE size_t arena_inline_rewind(struct mr_arena *a, size_t ops)
{
    size_t fails = 0;
    for (size_t i = 0; i < ops; i += CYCLE) {
        struct mr_arena_mark m = mr_arena_save(a);
        for (size_t j = 0; j < CYCLE; j++) {
            struct mr_region r;
            if (mr_arena_alloc(a, sizes[(i + j) % NSIZES], MR_ALIGN_DEFAULT, &r) < 0) {
                fails++;
                continue;
            }
            mr_store_u64(r.ptr, 0, i + j);
            bench_escape(r.ptr);
        }
        if (mr_arena_rewind(a, m) < 0)
            fails++;
    }
    return fails;
}

/* arena_inline_reset under other names, for callgrind: on an arena with the
 * default options, and with a reset every SHORT_CYCLE allocations. */
static BENCH_NOINLINE size_t arena_inline_reset_64k(struct mr_arena *a, size_t ops)
{
    return arena_inline_reset(a, ops, CYCLE);
}

static BENCH_NOINLINE size_t arena_inline_reset_256(struct mr_arena *a, size_t ops)
{
    return arena_inline_reset(a, ops, SHORT_CYCLE);
}

/* The arena through the vtable: mr_alloc only, reset every CYCLE. */
static BENCH_NOINLINE size_t arena_generic_reset(struct mr_arena *a, struct mr_allocator *al,
                                                 size_t ops)
{
    size_t fails = 0;
    for (size_t i = 0; i < ops; i += CYCLE) {
        for (size_t j = 0; j < CYCLE; j++) {
            struct mr_region r;
            if (mr_alloc(al, sizes[(i + j) % NSIZES], MR_ALIGN_DEFAULT, &r) < 0) {
                fails++;
                continue;
            }
            mr_store_u64(r.ptr, 0, i + j);
            bench_escape(r.ptr);
        }
        mr_arena_reset(a);
    }
    return fails;
}

/* The arena through the vtable as a malloc/free replacement: mr_alloc then
 * mr_free at once (the arena takes the most recent block back). The reset
 * every CYCLE only guards against growth; it finds nothing to do. */
static BENCH_NOINLINE size_t arena_generic_pairs(struct mr_arena *a, struct mr_allocator *al,
                                                 size_t ops)
{
    size_t fails = 0;
    for (size_t i = 0; i < ops; i += CYCLE) {
        for (size_t j = 0; j < CYCLE; j++) {
            struct mr_region r;
            if (mr_alloc(al, sizes[(i + j) % NSIZES], MR_ALIGN_DEFAULT, &r) < 0) {
                fails++;
                continue;
            }
            mr_store_u64(r.ptr, 0, i + j);
            bench_escape(r.ptr);
            mr_free(al, r);
        }
        mr_arena_reset(a);
    }
    return fails;
}

/* Pool blocks are all 256 bytes, so the inline path takes no size. */
static BENCH_NOINLINE size_t pool_inline_pairs(struct mr_pool *p, size_t ops)
{
    size_t fails = 0;
    for (size_t i = 0; i < ops; i++) {
        struct mr_region r;
        if (mr_pool_alloc(p, &r) < 0) {
            fails++;
            continue;
        }
        mr_store_u64(r.ptr, 0, i);
        bench_escape(r.ptr);
        mr_pool_free(p, r);
    }
    return fails;
}

/* mr_alloc/mr_free pairs through any allocator's vtable (pool, heap). */
static BENCH_NOINLINE size_t generic_pairs(struct mr_allocator *al, size_t ops)
{
    size_t fails = 0;
    for (size_t i = 0; i < ops; i++) {
        struct mr_region r;
        if (mr_alloc(al, sizes[i % NSIZES], MR_ALIGN_DEFAULT, &r) < 0) {
            fails++;
            continue;
        }
        mr_store_u64(r.ptr, 0, i);
        bench_escape(r.ptr);
        mr_free(al, r);
    }
    return fails;
}

/* generic_pairs under two names, so that callgrind can tell them apart. */
static BENCH_NOINLINE size_t pool_generic_pairs(struct mr_allocator *al, size_t ops)
{
    return generic_pairs(al, ops);
}

/* A diagnostic, not a way to use the library: pool_generic_pairs with the
 * free done by the allocator's free op, the pointer and length passed as two
 * registers, instead of by mr_free, which takes the 24-byte struct mr_region
 * by value (in memory, under the x86-64 ABI). The difference is the cost of
 * passing a region by value to a function that is not inlined. */
static BENCH_NOINLINE size_t pool_generic_ops_free(struct mr_allocator *al, size_t ops)
{
    size_t fails = 0;
    for (size_t i = 0; i < ops; i++) {
        struct mr_region r;
        if (mr_alloc(al, sizes[i % NSIZES], MR_ALIGN_DEFAULT, &r) < 0) {
            fails++;
            continue;
        }
        mr_store_u64(r.ptr, 0, i);
        bench_escape(r.ptr);
        al->ops->free(al, r.ptr, r.len);
    }
    return fails;
}

static BENCH_NOINLINE size_t heap_generic_pairs(struct mr_allocator *al, size_t ops)
{
    return generic_pairs(al, ops);
}

/* ---- drivers ---------------------------------------------------------------- */
struct ctx {
    struct mr_arena *arena;     /* 1 MiB chunks */
    struct mr_arena *arena_64k; /* default options */
    struct mr_pool *pool;
    void **ptrs;
};

static void check(const char *what, size_t fails)
{
    if (fails != 0) {
        fprintf(stderr, "bench_alloc: %s: %zu allocations failed\n", what, fails);
        exit(1);
    }
}

static void run_malloc_free(void *p)
{
    (void)p;
    check("malloc_free", malloc_free_pairs(OPS));
}

static void run_malloc_batch(void *p)
{
    struct ctx *c = p;
    check("malloc_batch", malloc_free_batch(c->ptrs, OPS));
}

static void run_arena_inline(void *p)
{
    struct ctx *c = p;
    check("arena_inline", arena_inline_reset(c->arena, OPS, CYCLE));
}

static void run_arena_inline_256(void *p)
{
    struct ctx *c = p;
    check("arena_inline_256", arena_inline_reset_256(c->arena, OPS));
}

static void run_arena_inline_64k(void *p)
{
    struct ctx *c = p;
    check("arena_inline_64k", arena_inline_reset_64k(c->arena_64k, OPS));
}

static void run_arena_rewind(void *p)
{
    struct ctx *c = p;
    check("arena_rewind", arena_inline_rewind(c->arena, OPS));
}

static void run_arena_generic(void *p)
{
    struct ctx *c = p;
    check("arena_generic", arena_generic_reset(c->arena, mr_arena_allocator(c->arena), OPS));
}

static void run_arena_generic_free(void *p)
{
    struct ctx *c = p;
    check("arena_generic_free", arena_generic_pairs(c->arena, mr_arena_allocator(c->arena), OPS));
}

static void run_pool_inline(void *p)
{
    struct ctx *c = p;
    check("pool_inline", pool_inline_pairs(c->pool, OPS));
}

static void run_pool_generic(void *p)
{
    struct ctx *c = p;
    check("pool_generic", pool_generic_pairs(mr_pool_allocator(c->pool), OPS));
}

static void run_pool_ops_free(void *p)
{
    struct ctx *c = p;
    check("pool_ops_free", pool_generic_ops_free(mr_pool_allocator(c->pool), OPS));
}

static void run_heap_generic(void *p)
{
    (void)p;
    check("heap_generic", heap_generic_pairs(mr_heap(), OPS));
}

#define VARIANT(name, func, what) { #name, #func, what, run_##name, "malloc_free" }
static const struct bench_variant variants[] = {
    VARIANT(malloc_free, malloc_free_pairs, "malloc + free at once"),
    VARIANT(malloc_batch, malloc_free_batch, "4096 x malloc, then 4096 x free"),
    VARIANT(arena_inline, arena_inline_reset, "mr_arena_alloc; mr_arena_reset per 4096"),
    VARIANT(arena_inline_64k, arena_inline_reset_64k, "as arena_inline, default 64 KiB chunks"),
    VARIANT(arena_inline_256, arena_inline_reset_256, "as arena_inline, reset per 256 (34 KiB)"),
    VARIANT(arena_rewind, arena_inline_rewind, "mr_arena_alloc; save/rewind per 4096"),
    VARIANT(arena_generic, arena_generic_reset, "mr_alloc(arena); reset per 4096"),
    VARIANT(arena_generic_free, arena_generic_pairs, "mr_alloc + mr_free at once (arena)"),
    VARIANT(pool_inline, pool_inline_pairs, "mr_pool_alloc + mr_pool_free"),
    VARIANT(pool_generic, pool_generic_pairs, "mr_alloc + mr_free (pool)"),
    VARIANT(pool_ops_free, pool_generic_ops_free, "mr_alloc + ops->free(ptr, len): no region by value"),
    VARIANT(heap_generic, heap_generic_pairs, "mr_alloc + mr_free (mr_heap)"),
};
#define NVARIANTS (sizeof variants / sizeof variants[0])

int main(int argc, char **argv)
{
    struct ctx c;
    struct mr_arena_opts ao = { .chunk_size = ARENA_CHUNK };
    struct mr_pool_opts po = { .block_size = 256 };
    int rc;

    if ((rc = mr_arena_create(&ao, &c.arena)) < 0 || (rc = mr_arena_create(NULL, &c.arena_64k)) < 0 ||
        (rc = mr_pool_create(&po, &c.pool)) < 0) {
        fprintf(stderr, "bench_alloc: %s\n", mr_strerror(rc));
        return 1;
    }
    c.ptrs = malloc(CYCLE * sizeof *c.ptrs);
    if (c.ptrs == NULL) {
        fprintf(stderr, "bench_alloc: out of memory\n");
        return 1;
    }

    struct bench_suite s = {
        .title = "bench_alloc: 2M allocations of 16..256 bytes (cycling), 8 bytes written to each",
        .unit = "op", .count = OPS, .rounds = ROUNDS, .v = variants, .nv = NVARIANTS, .ctx = &c,
        .speedup = 1,
    };
    rc = bench_dispatch(&s, argc, argv);
    if (rc < 0) {
        bench_time_suite(&s);
        rc = 0;
    }

    free(c.ptrs);
    mr_pool_destroy(c.pool);
    mr_arena_destroy(c.arena_64k);
    mr_arena_destroy(c.arena);
    return rc;
}
