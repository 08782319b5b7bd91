/* SPDX-License-Identifier: MIT */
/* test_alloc_oom: the out-of-memory walk (after libuv's OOM tests). Each
 * scenario runs over a failing allocator that refuses the (N+1)th allocation,
 * for N = 0, 1, 2, ... until the scenario succeeds. Every failure must be a
 * clean -ENOMEM with nothing left allocated, and every N must fail at a new
 * point, so that each allocation's error path is taken once. */
#include "helpers.h"

/* An arena over the backing allocator: chunks spill, marks rewind across
 * chunks, the last block grows past its chunk, a big block gets its own chunk. */
static int arena_scenario(struct mr_allocator *backing)
{
    struct mr_arena_opts o = { .backing = backing, .chunk_size = 256 };
    struct mr_arena *a;
    struct mr_region r;
    int rc;

    if ((rc = mr_arena_create(&o, &a)) < 0)
        return rc;
    for (int i = 0; i < 20; i++)
        if ((rc = mr_arena_alloc(a, 50 + (size_t)i, 8, &r)) < 0)
            goto out;
    struct mr_arena_mark m = mr_arena_save(a);
    for (int i = 0; i < 10; i++)
        if ((rc = mr_alloc(mr_arena_allocator(a), 100, 16, &r)) < 0)
            goto out;
    if ((rc = mr_realloc(mr_arena_allocator(a), &r, 1000, 16)) < 0)
        goto out;
    if ((rc = mr_arena_rewind(a, m)) < 0)
        goto out;
    if ((rc = mr_arena_alloc(a, 4000, 64, &r)) < 0)
        goto out;
    mr_arena_reset(a);
    rc = mr_arena_alloc(a, 10, 1, &r);
out:
    mr_arena_destroy(a);
    return rc;
}

/* A pool over the backing allocator, grown over several chunks. */
static int pool_scenario(struct mr_allocator *backing)
{
    struct mr_pool_opts o = { .backing = backing, .block_size = 48, .blocks_per_chunk = 16 };
    struct mr_region blocks[100];
    struct mr_pool *p;
    int rc = 0, n = 0;

    if ((rc = mr_pool_create(&o, &p)) < 0)
        return rc;
    for (; n < 100; n++)
        if ((rc = mr_pool_alloc(p, &blocks[n])) < 0)
            break;
    while (n > 0)
        mr_pool_free(p, blocks[--n]);
    mr_pool_destroy(p);
    return rc;
}

/* The pages allocator takes only its own object from the backing. */
static int pages_scenario(struct mr_allocator *backing)
{
    struct mr_pages *pg;
    struct mr_region r;
    int rc;

    if ((rc = mr_pages_create(backing, MR_PAGES_GUARD, &pg)) < 0)
        return rc;
    rc = mr_alloc(mr_pages_allocator(pg), 10000, 64, &r);
    mr_pages_destroy(pg);
    return rc;
}

/* Allocators stacked: a pool whose chunks come from an arena whose chunks
 * come from the backing allocator. */
static int stacked_scenario(struct mr_allocator *backing)
{
    struct mr_arena_opts ao = { .backing = backing, .chunk_size = 1024 };
    struct mr_arena *a;
    struct mr_pool *p;
    struct mr_region r;
    int rc;

    if ((rc = mr_arena_create(&ao, &a)) < 0)
        return rc;
    struct mr_pool_opts po = { .backing = mr_arena_allocator(a), .block_size = 100,
                               .blocks_per_chunk = 8 };
    if ((rc = mr_pool_create(&po, &p)) < 0)
        goto out_arena;
    for (int i = 0; i < 40; i++)
        if ((rc = mr_pool_alloc(p, &r)) < 0)
            break;
    mr_pool_destroy(p);
out_arena:
    mr_arena_destroy(a);
    return rc;
}

int main(void)
{
    /* The minimum counts below prove that each scenario really allocates
     * through the backing allocator as often as its design says. */
    mr_test_oom_walk("arena", arena_scenario, 0, 5, 10000);
    mr_test_oom_walk("pool", pool_scenario, 0, 8, 10000);
    mr_test_oom_walk("pages", pages_scenario, 0, 1, 10000);
    mr_test_oom_walk("stacked", stacked_scenario, 0, 4, 10000);
    return 0;
}
