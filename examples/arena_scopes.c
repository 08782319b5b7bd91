/* SPDX-License-Identifier: MIT */
/* arena_scopes: scoped scratch memory with an arena. Each request takes its
 * scratch from the arena and a rewind to the mark frees all of it at once,
 * so the loop never calls malloc after warming up. Fixed-size records come
 * from a pool. */
#include <memregion.h>
#include <stdio.h>
#include <string.h>

struct record {
    uint64_t id;
    char name[24];
};

int main(void)
{
    struct mr_arena_opts ao = { .chunk_size = 4096 };
    struct mr_pool_opts po = { .block_size = sizeof(struct record) };
    struct mr_arena *arena = NULL;
    struct mr_pool *pool = NULL;
    struct mr_region rec = { NULL, 0, 0 };
    struct mr_alloc_stats st;
    int rc;

    if ((rc = mr_arena_create(&ao, &arena)) < 0)
        goto fail;
    if ((rc = mr_pool_create(&po, &pool)) < 0)
        goto fail;

    for (int request = 0; request < 3; request++) {
        struct mr_arena_mark scope = mr_arena_save(arena);
        struct mr_region scratch, line;
        /* Scratch space of any size and alignment for this request only. */
        if ((rc = mr_arena_alloc(arena, 1000 * (size_t)(request + 1), 64, &scratch)) < 0 ||
            (rc = mr_arena_alloc(arena, 80, 1, &line)) < 0)
            goto fail;
        mr_region_fill(scratch, (uint8_t)request);
        snprintf(line.ptr, line.len, "request %d used %zu bytes of scratch", request, scratch.len);
        mr_alloc_stats(mr_arena_allocator(arena), &st);
        printf("%s; arena holds %zu bytes\n", (char *)line.ptr, st.total);
        if ((rc = mr_arena_rewind(arena, scope)) < 0)
            goto fail;
    }
    mr_alloc_stats(mr_arena_allocator(arena), &st);
    printf("after the requests: %zu bytes in use (the chunk header only)\n", st.used);

    if ((rc = mr_pool_alloc(pool, &rec)) < 0)
        goto fail;
    struct record *r = rec.ptr;
    r->id = 42;
    snprintf(r->name, sizeof r->name, "%s", "answer");
    printf("record %llu: %s (a %zu-byte block from a pool)\n", (unsigned long long)r->id, r->name,
           rec.len);
    mr_pool_free(pool, rec);
    mr_pool_destroy(pool);
    mr_arena_destroy(arena);
    return 0;

fail:
    fprintf(stderr, "arena_scopes: %s\n", mr_strerror(rc));
    mr_pool_destroy(pool);
    mr_arena_destroy(arena);
    return 1;
}
