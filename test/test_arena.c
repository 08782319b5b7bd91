/* SPDX-License-Identifier: MIT */
/* test/test_arena.c: the arena allocator: creation, bump allocation at every
 * alignment, the last-block rules, nested marks, reset, the limit, the usage
 * figures, and that every chunk goes back to the backing allocator.
 *
 * Chunks come from a tracker (below) over a struct mr_failing: the failing
 * allocator counts what is outstanding, the tracker remembers each chunk so
 * that a test can tell which chunk a block lies in. */
#include "helpers.h"

#include <stdint.h>
#include <unistd.h>

/* ---- a backing allocator that records its live blocks --------------------- */

#define TRACK_MAX 1024

struct tracker {
    struct mr_allocator base;
    struct mr_failing fail;         /* underneath: counts what is outstanding */
    struct mr_region live[TRACK_MAX];
    size_t n;
    bool recycle;                   /* keep one freed block and hand it out again */
    struct mr_region kept;
};

static struct tracker *tracker_of(struct mr_allocator *a) { return (struct tracker *)a; }

static void track_add(struct tracker *t, struct mr_region r)
{
    if (t->n == TRACK_MAX)
        mr_test_fail(__FILE__, __LINE__, "tracker: more than %d live blocks", TRACK_MAX);
    t->live[t->n++] = r;
}

static void track_remove(struct tracker *t, void *ptr, size_t size)
{
    for (size_t i = 0; i < t->n; i++) {
        if (t->live[i].ptr == ptr) {
            if (t->live[i].len != size)
                mr_test_fail(__FILE__, __LINE__, "tracker: block %p freed with size %zu, allocated with %zu",
                             ptr, size, t->live[i].len);
            t->live[i] = t->live[--t->n];
            return;
        }
    }
    mr_test_fail(__FILE__, __LINE__, "tracker: free of %p, which is not a live block", ptr);
}

static int tr_alloc(struct mr_allocator *a, size_t size, size_t align, void **out)
{
    struct tracker *t = tracker_of(a);
    struct mr_region r;
    if (t->recycle && t->kept.len == size && ((uintptr_t)t->kept.ptr & (align - 1)) == 0) {
        r = t->kept;
        t->kept = mr_region_make(NULL, 0);
    } else {
        int rc = mr_alloc(mr_failing_allocator(&t->fail), size, align, &r);
        if (rc < 0)
            return rc;
    }
    track_add(t, r);
    *out = r.ptr;
    return 0;
}

static int tr_resize(struct mr_allocator *a, void *ptr, size_t old_size, size_t new_size, size_t align,
                     void **out)
{
    struct tracker *t = tracker_of(a);
    struct mr_region r = mr_region_make(ptr, old_size);
    int rc = mr_realloc(mr_failing_allocator(&t->fail), &r, new_size, align);
    if (rc < 0)
        return rc;
    track_remove(t, ptr, old_size);
    track_add(t, r);
    *out = r.ptr;
    return 0;
}

static void tr_free(struct mr_allocator *a, void *ptr, size_t size)
{
    struct tracker *t = tracker_of(a);
    track_remove(t, ptr, size);
    if (t->recycle && t->kept.len == 0)
        t->kept = mr_region_make(ptr, size);
    else
        mr_free(mr_failing_allocator(&t->fail), mr_region_make(ptr, size));
}

static void tr_stats(struct mr_allocator *a, struct mr_alloc_stats *out)
{
    mr_alloc_stats(mr_failing_allocator(&tracker_of(a)->fail), out);
}

static const struct mr_allocator_ops tracker_ops = {
    "tracker", tr_alloc, tr_resize, tr_free, tr_stats,
};

static void tracker_init(struct tracker *t, long fail_after)
{
    memset(t, 0, sizeof *t);
    t->base.ops = &tracker_ops;
    mr_failing_init(&t->fail, NULL, fail_after);
}

/* Everything was returned: checked once the arena is destroyed. */
static void tracker_fini(struct tracker *t)
{
    ASSERT_EQ(t->n, (size_t)0);
    mr_free(mr_failing_allocator(&t->fail), t->kept);
    t->kept = mr_region_make(NULL, 0);
    ASSERT_EQ(t->fail.live_blocks, (size_t)0);
    ASSERT_EQ(t->fail.live_bytes, (size_t)0);
}

/* The live chunk that holds [p, p + n), or NULL. */
static const struct mr_region *chunk_holding(const struct tracker *t, const void *p, size_t n)
{
    uintptr_t x = (uintptr_t)p;
    for (size_t i = 0; i < t->n; i++) {
        uintptr_t c = (uintptr_t)t->live[i].ptr;
        if (x >= c && x - c <= t->live[i].len && n <= t->live[i].len - (x - c))
            return &t->live[i];
    }
    return NULL;
}

/* The tracker's live chunks: its live blocks less the arena object itself. */
static size_t chunk_count(const struct tracker *t) { return t->n - 1; }

/* The one live chunk of arena a (the other live block is a itself). */
static void *only_chunk(const struct tracker *t, const struct mr_arena *a)
{
    ASSERT_EQ(t->n, (size_t)2);
    return t->live[0].ptr == (const void *)a ? t->live[1].ptr : t->live[0].ptr;
}

/* ---- helpers -------------------------------------------------------------- */

static size_t page_size(void) { return (size_t)sysconf(_SC_PAGESIZE); }

static struct mr_alloc_stats stats_of(struct mr_arena *a)
{
    struct mr_alloc_stats s;
    memset(&s, 0xa5, sizeof s);
    mr_alloc_stats(mr_arena_allocator(a), &s);
    return s;
}

#define ASSERT_STATS_EQ(x, y)                                                   \
    do {                                                                        \
        struct mr_alloc_stats x_ = (x), y_ = (y);                               \
        ASSERT_EQ(x_.total, y_.total);                                          \
        ASSERT_EQ(x_.used, y_.used);                                            \
        ASSERT_EQ(x_.free, y_.free);                                            \
        ASSERT_EQ(x_.largest, y_.largest);                                      \
        ASSERT_EQ(x_.blocks, y_.blocks);                                        \
    } while (0)

typedef int (*alloc_fn)(struct mr_arena *a, size_t size, size_t align, struct mr_region *out);

static int via_inline(struct mr_arena *a, size_t size, size_t align, struct mr_region *out)
{
    return mr_arena_alloc(a, size, align, out);
}

static int via_generic(struct mr_arena *a, size_t size, size_t align, struct mr_region *out)
{
    return mr_alloc(mr_arena_allocator(a), size, align, out);
}

static struct mr_arena *make_arena(struct mr_allocator *backing, size_t chunk_size, size_t limit)
{
    struct mr_arena_opts o = { backing, chunk_size, limit };
    struct mr_arena *a = NULL;
    ASSERT_OK(mr_arena_create(&o, &a));
    ASSERT_TRUE(a != NULL);
    return a;
}

/* The bytes of a chunk's header: what a fresh chunk of chunk_size lacks. */
static size_t header_bytes(struct mr_arena *a, size_t chunk_size)
{
    struct mr_alloc_stats s = stats_of(a);
    ASSERT_EQ(s.total, chunk_size);
    ASSERT_LT(s.free, chunk_size);
    size_t hdr = chunk_size - s.free;
    ASSERT_LE(hdr, (size_t)64);
    return hdr;
}

static struct mr_region must_alloc(struct mr_arena *a, size_t size, size_t align)
{
    struct mr_region r = mr_test_sentinel();
    ASSERT_OK(mr_arena_alloc(a, size, align, &r));
    ASSERT_EQ(r.len, size);
    ASSERT_EQ(r.flags, 0u);
    ASSERT_TRUE(r.ptr != NULL);
    ASSERT_ALIGNED(r.ptr, align);
    return r;
}

/* Rewind or reset, then return the spare chunks, so that the arena's figures
 * and its backing allocator's counts are as they were at the mark. (The
 * spares themselves are tested in test_spares.) */
static int rewind_trim(struct mr_arena *a, struct mr_arena_mark m)
{
    int rc = mr_arena_rewind(a, m);
    if (rc == 0)
        mr_arena_trim(a);
    return rc;
}

static void reset_trim(struct mr_arena *a)
{
    mr_arena_reset(a);
    mr_arena_trim(a);
}

/* ---- creation ------------------------------------------------------------- */

static void test_create(void)
{
    struct mr_failing f;
    mr_failing_init(&f, NULL, -1);
    struct mr_arena *const untouched = (struct mr_arena *)&f;
    struct mr_arena *a = untouched;

    ASSERT_ERR(mr_arena_create(NULL, NULL), -EINVAL);
    struct mr_arena_opts o = { &f.base, 4096, 0 };
    ASSERT_ERR(mr_arena_create(&o, NULL), -EINVAL);

    const struct { size_t chunk, limit; } bad[] = {
        { 1, 0 }, { 63, 0 }, { 63, 4096 },          /* below 64 bytes */
        { (size_t)PTRDIFF_MAX + 1, 0 }, { SIZE_MAX, 0 },
        { 2048, 2047 }, { 65, 64 }, { 64, 63 },    /* above an explicit limit */
        { 0, 63 }, { 0, 1 },                       /* the default shrinks below 64 */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        o.chunk_size = bad[i].chunk;
        o.limit = bad[i].limit;
        ASSERT_ERR(mr_arena_create(&o, &a), -EINVAL);
        ASSERT_PTR_EQ(a, untouched);
    }
    ASSERT_EQ(f.attempts, (size_t)0);

    /* The smallest chunk; a chunk exactly at the limit. */
    const struct { size_t chunk, limit, total; } good[] = {
        { 64, 0, 64 }, { 64, 64, 64 }, { 4096, 4096, 4096 }, { 1000, 0, 1000 },
        { 0, 1000, 1000 }, { 0, 64, 64 }, { 0, 0, 65536 }, { 0, 1u << 20, 65536 },
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        o.chunk_size = good[i].chunk;
        o.limit = good[i].limit;
        a = NULL;
        ASSERT_OK(mr_arena_create(&o, &a));
        ASSERT_TRUE(a != NULL);
        ASSERT_STR_EQ(mr_alloc_name(mr_arena_allocator(a)), "arena");
        struct mr_alloc_stats s = stats_of(a);
        ASSERT_EQ(s.total, good[i].total);
        ASSERT_EQ(f.live_blocks, (size_t)2); /* the arena and its first chunk */
        ASSERT_EQ(f.live_bytes, sizeof(struct mr_arena) + good[i].total);
        /* The whole first chunk is usable at alignment 1. */
        struct mr_region r = must_alloc(a, s.free, 1);
        mr_test_fill(r, 1);
        ASSERT_EQ(stats_of(a).total, good[i].total);
        ASSERT_EQ(stats_of(a).free, (size_t)0);
        ASSERT_FILLED(r, 1);
        mr_arena_destroy(a);
        ASSERT_EQ(f.live_blocks, (size_t)0);
        ASSERT_EQ(f.live_bytes, (size_t)0);
    }

    /* chunk_size 0 with a small limit: the chunk shrinks to the limit, and no
     * second chunk fits. */
    o.chunk_size = 0;
    o.limit = 512;
    ASSERT_OK(mr_arena_create(&o, &a));
    struct mr_alloc_stats s = stats_of(a);
    ASSERT_EQ(s.total, (size_t)512);
    struct mr_region r1 = must_alloc(a, s.free, 1), r2 = mr_test_sentinel();
    ASSERT_ERR(mr_arena_alloc(a, 1, 1, &r2), -ENOMEM);
    ASSERT_REGION_EQ(r2, mr_test_sentinel());
    (void)r1;
    mr_arena_destroy(a);
    ASSERT_EQ(f.live_blocks, (size_t)0);

    /* NULL opts: the heap and 64 KiB chunks. */
    a = NULL;
    ASSERT_OK(mr_arena_create(NULL, &a));
    ASSERT_EQ(stats_of(a).total, (size_t)65536);
    struct mr_region big = must_alloc(a, 100000, 64);
    mr_test_fill(big, 2);
    ASSERT_GT(stats_of(a).total, (size_t)65536 + 100000);
    ASSERT_FILLED(big, 2);
    mr_arena_destroy(a);

    /* Backing NULL in the options: the heap too. */
    o.backing = NULL;
    o.chunk_size = 256;
    o.limit = 0;
    ASSERT_OK(mr_arena_create(&o, &a));
    ASSERT_EQ(stats_of(a).total, (size_t)256);
    mr_arena_destroy(a);

    mr_arena_destroy(NULL);
}

static void test_create_oom(void)
{
    for (long n = 0; n < 2; n++) {
        struct mr_failing f;
        mr_failing_init(&f, NULL, n);
        struct mr_arena_opts o = { &f.base, 4096, 0 };
        struct mr_arena *const untouched = (struct mr_arena *)&f;
        struct mr_arena *a = untouched;
        ASSERT_ERR(mr_arena_create(&o, &a), -ENOMEM);
        ASSERT_PTR_EQ(a, untouched);
        ASSERT_EQ(f.attempts, (size_t)n + 1);
        ASSERT_EQ(f.failures, (size_t)1);
        ASSERT_EQ(f.live_blocks, (size_t)0);
        ASSERT_EQ(f.live_bytes, (size_t)0);
    }
}

/* ---- bump allocation ------------------------------------------------------ */

static int by_address(const void *x, const void *y)
{
    uintptr_t a = (uintptr_t)((const struct mr_region *)x)->ptr;
    uintptr_t b = (uintptr_t)((const struct mr_region *)y)->ptr;
    return a < b ? -1 : a > b;
}

#define MIXED_N 800

static void test_mixed(void)
{
    static struct tracker t;
    static struct mr_region blk[MIXED_N], sorted[MIXED_N];
    static unsigned seed[MIXED_N];
    tracker_init(&t, -1);
    struct mr_arena *a = make_arena(&t.base, 4096, 0);
    size_t n = 0;

    for (size_t i = 0; n < MIXED_N; i++) {
        size_t size = 1 + (i * 37) % 300;
        size_t align = (size_t)1 << (i % 13); /* 1 .. 4096 */
        alloc_fn fn = (i & 1) ? via_generic : via_inline;

        if (i % 50 == 7) {
            /* Size 0: an empty region, and nothing moves. */
            struct mr_alloc_stats s = stats_of(a);
            struct mr_region e = mr_test_sentinel();
            ASSERT_OK(fn(a, 0, align, &e));
            ASSERT_TRUE(e.ptr == NULL);
            ASSERT_EQ(e.len, (size_t)0);
            ASSERT_EQ(e.flags, 0u);
            ASSERT_STATS_EQ(stats_of(a), s);
            continue;
        }
        struct mr_region r = mr_test_sentinel();
        ASSERT_OK(fn(a, size, align, &r));
        ASSERT_EQ(r.len, size);
        ASSERT_EQ(r.flags, 0u);
        ASSERT_ALIGNED(r.ptr, align);
        if (chunk_holding(&t, r.ptr, r.len) == NULL)
            mr_test_fail(__FILE__, __LINE__, "block %zu (%p, %zu bytes) is not inside a live chunk", n,
                         r.ptr, r.len);
        seed[n] = (unsigned)i;
        mr_test_fill(r, seed[n]);
        blk[n++] = r;
    }
    ASSERT_GT(chunk_count(&t), (size_t)10); /* the test did cross many chunks */

    for (size_t i = 0; i < n; i++)
        ASSERT_FILLED(blk[i], seed[i]);
    memcpy(sorted, blk, sizeof blk);
    qsort(sorted, n, sizeof sorted[0], by_address);
    for (size_t i = 0; i + 1 < n; i++) {
        uintptr_t end = (uintptr_t)sorted[i].ptr + sorted[i].len;
        if (end > (uintptr_t)sorted[i + 1].ptr)
            mr_test_fail(__FILE__, __LINE__, "blocks overlap: %p+%zu and %p", sorted[i].ptr,
                         sorted[i].len, sorted[i + 1].ptr);
    }

    mr_arena_destroy(a);
    tracker_fini(&t);
}

/* The inline and the generic path refuse the same requests with the same
 * codes and leave *out and the arena alone. */
static void test_errors(alloc_fn fn)
{
    struct mr_failing f;
    mr_failing_init(&f, NULL, -1);
    struct mr_arena *a = make_arena(&f.base, 1024, 0);
    struct mr_region keep = must_alloc(a, 10, 1);
    const size_t ps = page_size();
    const size_t bad_align[] = { 0, 3, 5, 6, 12, 100, 4095, 4097, 2 * ps, ps + 1, SIZE_MAX,
                                 (size_t)1 << (sizeof(size_t) * 8 - 1) };
    const size_t sizes[] = { 0, 1, 16, 4096, SIZE_MAX };
    struct mr_alloc_stats s0 = stats_of(a);
    size_t attempts = f.attempts;

    for (size_t i = 0; i < sizeof bad_align / sizeof bad_align[0]; i++) {
        for (size_t j = 0; j < sizeof sizes / sizeof sizes[0]; j++) {
            struct mr_region r = mr_test_sentinel();
            int rc = fn(a, sizes[j], bad_align[i], &r);
            if (rc != -EINVAL)
                mr_test_fail(__FILE__, __LINE__, "size %zu align %zu: got %d, want -EINVAL", sizes[j],
                             bad_align[i], rc);
            ASSERT_REGION_EQ(r, mr_test_sentinel());
        }
    }
    const size_t huge[] = { SIZE_MAX, (size_t)PTRDIFF_MAX + 1, (size_t)PTRDIFF_MAX };
    for (size_t i = 0; i < sizeof huge / sizeof huge[0]; i++) {
        for (size_t align = 1; align <= 4096; align <<= 1) {
            struct mr_region r = mr_test_sentinel();
            int rc = fn(a, huge[i], align, &r);
            if (rc != -E2BIG)
                mr_test_fail(__FILE__, __LINE__, "size %zu align %zu: got %d, want -E2BIG", huge[i],
                             align, rc);
            ASSERT_REGION_EQ(r, mr_test_sentinel());
        }
    }
    ASSERT_STATS_EQ(stats_of(a), s0);
    ASSERT_EQ(f.attempts, attempts);
    ASSERT_EQ(f.live_blocks, (size_t)2);

    /* Size 0 at every alignment: an empty region, nothing allocated, and the
     * last block is still the last (freeing it gives its space back). */
    for (size_t align = 1; align <= 4096; align <<= 1) {
        struct mr_region e = mr_test_sentinel();
        ASSERT_OK(fn(a, 0, align, &e));
        ASSERT_TRUE(e.ptr == NULL);
        ASSERT_EQ(e.len, (size_t)0);
        ASSERT_EQ(e.flags, 0u);
        ASSERT_STATS_EQ(stats_of(a), s0);
    }
    struct mr_region r = mr_test_sentinel();
    ASSERT_OK(fn(a, 8, 1, &r));
    ASSERT_PTR_EQ(r.ptr, (char *)keep.ptr + keep.len);
    struct mr_region e = mr_test_sentinel();
    ASSERT_OK(fn(a, 0, 64, &e));
    ASSERT_TRUE(e.ptr == NULL);
    mr_free(mr_arena_allocator(a), r);
    ASSERT_STATS_EQ(stats_of(a), s0);

    /* Still usable, and the next block follows the last good one. */
    r = mr_test_sentinel();
    ASSERT_OK(fn(a, 8, 1, &r));
    ASSERT_PTR_EQ(r.ptr, (char *)keep.ptr + keep.len);
    mr_arena_destroy(a);
    ASSERT_EQ(f.live_blocks, (size_t)0);
}

/* From the same state both paths give the same block. */
static void test_same_placement(void)
{
    struct tracker t;
    tracker_init(&t, -1);
    struct mr_arena *a = make_arena(&t.base, 2048, 0);
    for (size_t i = 0; i < 300; i++) {
        size_t size = 1 + (i * 53) % 700;
        size_t align = (size_t)1 << (i % 13);
        struct mr_arena_mark m = mr_arena_save(a);
        struct mr_alloc_stats before = stats_of(a);
        struct mr_region r1 = mr_test_sentinel(), r2 = mr_test_sentinel();
        ASSERT_OK(mr_arena_alloc(a, size, align, &r1));
        struct mr_alloc_stats s1 = stats_of(a);
        ASSERT_OK(rewind_trim(a, m));
        ASSERT_STATS_EQ(stats_of(a), before);
        ASSERT_OK(mr_alloc(mr_arena_allocator(a), size, align, &r2));
        ASSERT_EQ(r1.len, r2.len);
        ASSERT_EQ(r2.flags, 0u);
        ASSERT_ALIGNED(r2.ptr, align);
        if (s1.total == before.total) {
            /* No new chunk: the very same place. */
            ASSERT_PTR_EQ(r1.ptr, r2.ptr);
            ASSERT_STATS_EQ(stats_of(a), s1);
        } else {
            /* A new chunk of the same size; the padding in it depends on
             * where the backing put it. */
            ASSERT_EQ(stats_of(a).total, s1.total);
        }
        ASSERT_TRUE(chunk_holding(&t, r2.ptr, r2.len) != NULL);
    }
    mr_arena_destroy(a);
    tracker_fini(&t);
}

/* ---- the last-block rules ------------------------------------------------- */

static void test_last_block_free(void)
{
    struct mr_failing f;
    mr_failing_init(&f, NULL, -1);
    struct mr_arena *a = make_arena(&f.base, 4096, 0);
    struct mr_allocator *al = mr_arena_allocator(a);

    /* Free the last block, and the same request gets the same place. */
    struct mr_alloc_stats s0 = stats_of(a);
    struct mr_region A = must_alloc(a, 100, 1);
    ASSERT_EQ(stats_of(a).free, s0.free - 100);
    mr_free(al, A);
    ASSERT_STATS_EQ(stats_of(a), s0);
    struct mr_region B = must_alloc(a, 100, 1);
    ASSERT_PTR_EQ(B.ptr, A.ptr);

    /* With alignment padding in front of it, too. */
    struct mr_region P = must_alloc(a, 10, 256);
    mr_free(al, P);
    struct mr_region P2 = must_alloc(a, 10, 256);
    ASSERT_PTR_EQ(P2.ptr, P.ptr);

    /* Freeing a block that is not the last is a no-op. */
    struct mr_region C = must_alloc(a, 50, 8);
    struct mr_alloc_stats s1 = stats_of(a);
    mr_free(al, B);
    mr_free(al, P2);
    ASSERT_STATS_EQ(stats_of(a), s1);
    struct mr_region D = must_alloc(a, 100, 1);
    ASSERT_TRUE(D.ptr != B.ptr);
    ASSERT_TRUE((uintptr_t)D.ptr >= (uintptr_t)C.ptr + C.len);

    /* Frees go back like a stack: after the most recent block, the one
     * that ends where it began (C, right before D) is the top. Freeing D
     * twice frees it once. */
    ASSERT_PTR_EQ(D.ptr, (char *)C.ptr + C.len);
    struct mr_alloc_stats s2 = stats_of(a);
    mr_free(al, D);
    ASSERT_EQ(stats_of(a).free, s2.free + 100);
    mr_free(al, D);
    ASSERT_EQ(stats_of(a).free, s2.free + 100);
    mr_free(al, C);
    struct mr_alloc_stats s3 = stats_of(a);
    ASSERT_EQ(s3.free, s2.free + 150);
    ASSERT_PTR_EQ(must_alloc(a, 1, 1).ptr, C.ptr);
    mr_free(al, mr_region_make(C.ptr, 1));

    /* An empty region is a no-op. */
    mr_free(al, mr_region_make(NULL, 0));
    ASSERT_STATS_EQ(stats_of(a), s3);

    /* A block obtained through the generic path is "last" as well. */
    struct mr_region G = mr_test_sentinel();
    ASSERT_OK(mr_alloc(al, 64, 16, &G));
    mr_free(al, G);
    struct mr_region G2 = must_alloc(a, 64, 16);
    ASSERT_PTR_EQ(G2.ptr, G.ptr);

    mr_arena_destroy(a);
    ASSERT_EQ(f.live_blocks, (size_t)0);
}

static void test_last_block_realloc(void)
{
    struct tracker t;
    tracker_init(&t, -1);
    struct mr_arena *a = make_arena(&t.base, 4096, 0);
    struct mr_allocator *al = mr_arena_allocator(a);

    /* The last block grows and shrinks in place. */
    struct mr_region R = must_alloc(a, 100, 16);
    mr_test_fill(R, 1);
    void *const at = R.ptr;
    struct mr_alloc_stats s = stats_of(a);
    ASSERT_OK(mr_realloc(al, &R, 200, 16));
    ASSERT_PTR_EQ(R.ptr, at);
    ASSERT_EQ(R.len, (size_t)200);
    ASSERT_EQ(stats_of(a).free, s.free - 100);
    ASSERT_EQ(stats_of(a).total, s.total);
    ASSERT_FILLED_N(R, 1, 100);

    ASSERT_OK(mr_realloc(al, &R, 40, 16));
    ASSERT_PTR_EQ(R.ptr, at);
    ASSERT_EQ(R.len, (size_t)40);
    ASSERT_EQ(stats_of(a).free, s.free + 60);
    ASSERT_FILLED_N(R, 1, 40);

    /* Up to the very end of the chunk, still in place. */
    size_t room = stats_of(a).free;
    ASSERT_OK(mr_realloc(al, &R, 40 + room, 16));
    ASSERT_PTR_EQ(R.ptr, at);
    ASSERT_EQ(stats_of(a).free, (size_t)0);
    ASSERT_EQ(stats_of(a).total, s.total);
    ASSERT_FILLED_N(R, 1, 40);
    mr_test_fill(R, 2);

    /* One byte more: it moves to a new chunk, content kept. */
    size_t old_len = R.len;
    ASSERT_OK(mr_realloc(al, &R, old_len + 1, 16));
    ASSERT_TRUE(R.ptr != at);
    ASSERT_EQ(R.len, old_len + 1);
    ASSERT_ALIGNED(R.ptr, 16);
    ASSERT_GT(stats_of(a).total, s.total);
    ASSERT_FILLED_N(R, 2, old_len);
    ASSERT_TRUE(chunk_holding(&t, R.ptr, R.len) != NULL);
    ASSERT_TRUE(chunk_holding(&t, R.ptr, R.len) != chunk_holding(&t, at, old_len));

    /* A block that is not the last moves when it grows, keeping its content
     * and leaving its neighbour alone. */
    struct mr_region X = must_alloc(a, 64, 8), Y = must_alloc(a, 64, 8);
    mr_test_fill(X, 3);
    mr_test_fill(Y, 4);
    void *const x_at = X.ptr;
    ASSERT_OK(mr_realloc(al, &X, 128, 8));
    ASSERT_TRUE(X.ptr != x_at);
    ASSERT_EQ(X.len, (size_t)128);
    ASSERT_ALIGNED(X.ptr, 8);
    ASSERT_TRUE((uintptr_t)X.ptr >= (uintptr_t)Y.ptr + Y.len);
    ASSERT_FILLED_N(X, 3, 64);
    ASSERT_FILLED(Y, 4);

    /* ... and stays where it is when it shrinks. */
    struct mr_alloc_stats s4 = stats_of(a);
    ASSERT_OK(mr_realloc(al, &Y, 32, 8));
    ASSERT_EQ(Y.len, (size_t)32);
    ASSERT_FILLED(Y, 4);
    ASSERT_STATS_EQ(stats_of(a), s4);

    /* The moved block is the last one now: it grows in place. */
    void *const x2 = X.ptr;
    ASSERT_OK(mr_realloc(al, &X, 256, 8));
    ASSERT_PTR_EQ(X.ptr, x2);
    ASSERT_FILLED_N(X, 3, 64);

    /* To size 0: freed (it was the last, so its space comes back). */
    struct mr_alloc_stats s5 = stats_of(a);
    ASSERT_OK(mr_realloc(al, &X, 0, 8));
    ASSERT_TRUE(X.ptr == NULL);
    ASSERT_EQ(X.len, (size_t)0);
    ASSERT_EQ(stats_of(a).free, s5.free + 256);

    /* From empty: allocates, at the place just freed. */
    ASSERT_OK(mr_realloc(al, &X, 10, 8));
    ASSERT_PTR_EQ(X.ptr, x2);
    ASSERT_EQ(X.len, (size_t)10);

    mr_arena_destroy(a);
    tracker_fini(&t);
}

/* A resize that needs a chunk the backing refuses: -ENOMEM, nothing moves. */
static void test_realloc_oom(void)
{
    struct mr_failing f;
    mr_failing_init(&f, NULL, 2); /* the arena and its first chunk */
    struct mr_arena *a = make_arena(&f.base, 1024, 0);
    struct mr_allocator *al = mr_arena_allocator(a);

    struct mr_region R = must_alloc(a, 100, 8), X = must_alloc(a, 50, 8);
    mr_test_fill(R, 5);
    mr_test_fill(X, 6);
    struct mr_region saved = R;
    struct mr_alloc_stats s = stats_of(a);
    ASSERT_ERR(mr_realloc(al, &R, 5000, 8), -ENOMEM); /* R is not the last */
    ASSERT_REGION_EQ(R, saved);
    ASSERT_ERR(mr_realloc(al, &X, 5000, 8), -ENOMEM); /* X is */
    ASSERT_STATS_EQ(stats_of(a), s);
    ASSERT_FILLED(R, 5);
    ASSERT_FILLED(X, 6);
    struct mr_region n = mr_test_sentinel();
    ASSERT_ERR(mr_arena_alloc(a, 2000, 1, &n), -ENOMEM);
    ASSERT_ERR(mr_alloc(al, 2000, 1, &n), -ENOMEM);
    ASSERT_REGION_EQ(n, mr_test_sentinel());
    ASSERT_STATS_EQ(stats_of(a), s);
    ASSERT_EQ(f.live_blocks, (size_t)2);

    /* X is still the last block: growing it within the chunk needs no memory. */
    ASSERT_OK(mr_realloc(al, &X, 60, 8));
    ASSERT_FILLED_N(X, 6, 50);

    mr_arena_destroy(a);
    ASSERT_EQ(f.live_blocks, (size_t)0);
    ASSERT_EQ(f.live_bytes, (size_t)0);
}

/* A block larger than a chunk gets a chunk of its own. */
static void test_big_block(void)
{
    struct tracker t;
    tracker_init(&t, -1);
    struct mr_arena *a = make_arena(&t.base, 256, 0);
    size_t hdr = header_bytes(a, 256);

    /* What the first chunk offers fits in it. */
    struct mr_region first = must_alloc(a, 256 - hdr, 1);
    ASSERT_EQ(stats_of(a).total, (size_t)256);
    ASSERT_EQ(chunk_count(&t), (size_t)1);
    mr_test_fill(first, 1);

    struct mr_region big = must_alloc(a, 1000, 16);
    const struct mr_region *c = chunk_holding(&t, big.ptr, big.len);
    ASSERT_TRUE(c != NULL);
    ASSERT_GE(c->len, 1000 + hdr);
    ASSERT_EQ(chunk_count(&t), (size_t)2);
    ASSERT_EQ(stats_of(a).total, 256 + c->len);
    ASSERT_EQ(t.fail.live_bytes, sizeof(struct mr_arena) + 256 + c->len);
    mr_test_fill(big, 2);

    struct mr_region huge = must_alloc(a, 100000, 4096);
    ASSERT_TRUE(chunk_holding(&t, huge.ptr, huge.len) != NULL);
    mr_test_fill(huge, 3);

    struct mr_region small = must_alloc(a, 30, 4);
    ASSERT_TRUE(chunk_holding(&t, small.ptr, small.len) != NULL);
    mr_test_fill(small, 4);

    ASSERT_FILLED(first, 1);
    ASSERT_FILLED(big, 2);
    ASSERT_FILLED(huge, 3);
    ASSERT_FILLED(small, 4);
    mr_arena_destroy(a);
    tracker_fini(&t);
}

/* ---- marks ---------------------------------------------------------------- */

static void test_marks_nested(void)
{
    struct mr_failing f;
    mr_failing_init(&f, NULL, -1);
    struct mr_arena *a = make_arena(&f.base, 8192, 0);

    struct mr_region keep = must_alloc(a, 24, 8);
    mr_test_fill(keep, 9);
    struct mr_arena_mark m1 = mr_arena_save(a);
    struct mr_alloc_stats s_m1 = stats_of(a);
    struct mr_region after1 = must_alloc(a, 100, 1);
    must_alloc(a, 33, 16);
    must_alloc(a, 7, 64);
    struct mr_arena_mark m2 = mr_arena_save(a);
    struct mr_alloc_stats s_m2 = stats_of(a);
    struct mr_region after2 = must_alloc(a, 50, 1);
    must_alloc(a, 300, 32);
    must_alloc(a, 1, 1);
    ASSERT_LT(stats_of(a).free, s_m2.free);

    ASSERT_OK(rewind_trim(a, m2));
    ASSERT_STATS_EQ(stats_of(a), s_m2);
    struct mr_region again2 = must_alloc(a, 50, 1);
    ASSERT_PTR_EQ(again2.ptr, after2.ptr);

    /* A mark can be rewound to more than once while it is live. */
    ASSERT_OK(rewind_trim(a, m2));
    ASSERT_OK(rewind_trim(a, m2));
    ASSERT_STATS_EQ(stats_of(a), s_m2);

    ASSERT_OK(rewind_trim(a, m1));
    ASSERT_STATS_EQ(stats_of(a), s_m1);
    struct mr_region again1 = must_alloc(a, 10, 1);
    ASSERT_PTR_EQ(again1.ptr, after1.ptr);

    /* m2 lies beyond the current position: stale. Nothing changes. */
    struct mr_alloc_stats s = stats_of(a);
    ASSERT_ERR(mr_arena_rewind(a, m2), -EINVAL);
    ASSERT_STATS_EQ(stats_of(a), s);
    struct mr_region next = must_alloc(a, 5, 1);
    ASSERT_PTR_EQ(next.ptr, (char *)again1.ptr + 10);

    /* A mark at the very start of the arena. */
    reset_trim(a);
    struct mr_arena_mark m0 = mr_arena_save(a);
    struct mr_alloc_stats s0 = stats_of(a);
    struct mr_region z = must_alloc(a, 1, 1);
    must_alloc(a, 8000, 1);
    must_alloc(a, 8000, 1);
    ASSERT_OK(rewind_trim(a, m0));
    ASSERT_STATS_EQ(stats_of(a), s0);
    ASSERT_EQ(f.live_blocks, (size_t)2);
    ASSERT_PTR_EQ(must_alloc(a, 1, 1).ptr, z.ptr);

    mr_arena_destroy(a);
    ASSERT_EQ(f.live_blocks, (size_t)0);
}

/* A block from before a mark cannot grow in place across the mark (after a
 * rewind its tail would be handed out again) nor be freed below it: it moves,
 * and the mark stays good. */
static void test_mark_fences_earlier_block(void)
{
    struct mr_failing f;
    mr_failing_init(&f, NULL, -1);
    struct mr_arena *a = make_arena(&f.base, 8192, 0);
    struct mr_allocator *g = mr_arena_allocator(a);

    struct mr_region before = must_alloc(a, 100, 1);
    mr_test_fill(before, 4);
    struct mr_arena_mark m = mr_arena_save(a);
    void *old = before.ptr;
    ASSERT_OK(mr_realloc(g, &before, 200, 1));
    ASSERT_TRUE(before.ptr != old);
    ASSERT_FILLED_N(before, 4, 100);
    ASSERT_OK(rewind_trim(a, m));
    struct mr_region next = must_alloc(a, 100, 1);
    ASSERT_PTR_EQ(next.ptr, (char *)old + 100);

    /* Freeing it is a no-op now: the mark is still live. */
    struct mr_region first = must_alloc(a, 10, 1);
    struct mr_arena_mark m2 = mr_arena_save(a);
    mr_free(g, first);
    ASSERT_OK(rewind_trim(a, m2));
    ASSERT_PTR_EQ(must_alloc(a, 1, 1).ptr, (char *)first.ptr + 10);

    mr_arena_destroy(a);
    ASSERT_EQ(f.live_blocks, (size_t)0);
}

/* Chunks that a rewind or reset frees stay with the arena: a loop of scopes
 * that spill into new chunks asks the backing allocator only once, and
 * mr_arena_trim returns them. A mark into a spare's earlier life is refused. */
static void test_spares(void)
{
    struct mr_failing f;
    mr_failing_init(&f, NULL, -1);
    struct mr_arena *a = make_arena(&f.base, 256, 0);
    struct mr_alloc_stats st;

    size_t blocks_at_start = f.live_blocks;
    struct mr_arena_mark m = mr_arena_save(a);
    for (int i = 0; i < 10; i++)
        must_alloc(a, 100, 8);
    size_t blocks_full = f.live_blocks;
    ASSERT_GT(blocks_full, blocks_at_start + 2);
    struct mr_arena_mark inner = mr_arena_save(a);
    ASSERT_OK(mr_arena_rewind(a, m));
    ASSERT_EQ(f.live_blocks, blocks_full); /* kept as spares */
    mr_alloc_stats(mr_arena_allocator(a), &st);
    ASSERT_EQ(st.used + st.free, st.total);
    ASSERT_GE(st.free, (size_t)(blocks_full - blocks_at_start) * 200);

    for (int round = 0; round < 50; round++) {
        struct mr_arena_mark s = mr_arena_save(a);
        for (int i = 0; i < 10; i++)
            must_alloc(a, 100, 8);
        ASSERT_OK(mr_arena_rewind(a, s));
    }
    ASSERT_EQ(f.live_blocks, blocks_full); /* no new chunk was taken */
    ASSERT_EQ(f.attempts, blocks_full);
    ASSERT_ERR(mr_arena_rewind(a, inner), -EINVAL);

    mr_arena_reset(a);
    ASSERT_EQ(f.live_blocks, blocks_full);
    mr_arena_trim(a);
    ASSERT_EQ(f.live_blocks, (size_t)2); /* the arena and its first chunk */
    mr_arena_trim(a);
    ASSERT_EQ(f.live_blocks, (size_t)2);

    /* Oversized chunks are not kept. */
    struct mr_arena_mark big = mr_arena_save(a);
    must_alloc(a, 5000, 8);
    ASSERT_EQ(f.live_blocks, (size_t)3);
    ASSERT_OK(mr_arena_rewind(a, big));
    ASSERT_EQ(f.live_blocks, (size_t)2);

    /* Destroy returns spares too. */
    must_alloc(a, 200, 8);
    must_alloc(a, 200, 8);
    mr_arena_reset(a);
    mr_arena_destroy(a);
    ASSERT_EQ(f.live_blocks, (size_t)0);
    ASSERT_EQ(f.live_bytes, (size_t)0);
}

/* With a limit, spares are returned when a bigger chunk needs their room. */
static void test_spares_limit(void)
{
    struct mr_failing f;
    mr_failing_init(&f, NULL, -1);
    struct mr_arena *a = make_arena(&f.base, 1024, 4096);
    struct mr_arena_mark m = mr_arena_save(a);
    for (int i = 0; i < 3; i++)
        must_alloc(a, 900, 1); /* three chunks */
    ASSERT_OK(mr_arena_rewind(a, m)); /* two spares */
    ASSERT_EQ(f.live_blocks, (size_t)4);
    struct mr_region r;
    ASSERT_OK(mr_arena_alloc(a, 2900, 1, &r)); /* needs the spares' room */
    ASSERT_EQ(f.live_blocks, (size_t)3);
    mr_arena_destroy(a);
    ASSERT_EQ(f.live_blocks, (size_t)0);
}

static void test_marks_chunks(void)
{
    struct tracker t;
    tracker_init(&t, -1);
    struct mr_arena *a = make_arena(&t.base, 256, 0);

    must_alloc(a, 100, 8);
    struct mr_arena_mark m = mr_arena_save(a);
    struct mr_alloc_stats s_m = stats_of(a);
    size_t blocks_m = t.fail.live_blocks, bytes_m = t.fail.live_bytes;
    ASSERT_EQ(blocks_m, (size_t)2);

    struct mr_region first_after = must_alloc(a, 64, 8);
    for (int i = 0; i < 20; i++)
        mr_test_fill(must_alloc(a, 100, 8), (unsigned)i);
    struct mr_region big = must_alloc(a, 3000, 64);
    mr_test_fill(big, 1);
    ASSERT_GE(t.fail.live_blocks, blocks_m + 5);
    struct mr_arena_mark inner = mr_arena_save(a);
    for (int i = 0; i < 10; i++)
        must_alloc(a, 200, 1);

    ASSERT_OK(rewind_trim(a, m));
    ASSERT_EQ(t.fail.live_blocks, blocks_m);
    ASSERT_EQ(t.fail.live_bytes, bytes_m);
    ASSERT_STATS_EQ(stats_of(a), s_m);
    ASSERT_PTR_EQ(must_alloc(a, 64, 8).ptr, first_after.ptr);

    /* The inner mark's chunk is gone. */
    struct mr_alloc_stats s = stats_of(a);
    ASSERT_ERR(mr_arena_rewind(a, inner), -EINVAL);
    ASSERT_STATS_EQ(stats_of(a), s);
    ASSERT_EQ(t.fail.live_blocks, blocks_m);

    mr_arena_destroy(a);
    tracker_fini(&t);
}

/* A mark whose chunk was returned stays dead when a new chunk is given the
 * same address: the tracker hands the freed chunk straight back. */
static void test_mark_reused_address(void)
{
    struct tracker t;
    tracker_init(&t, -1);
    t.recycle = true;
    struct mr_arena *a = make_arena(&t.base, 256, 0);

    struct mr_arena_mark outer = mr_arena_save(a);
    must_alloc(a, stats_of(a).free, 1); /* the first chunk is full */
    struct mr_region in2 = must_alloc(a, 100, 1);
    const struct mr_region *c = chunk_holding(&t, in2.ptr, in2.len);
    ASSERT_TRUE(c != NULL);
    void *const chunk2 = c->ptr;
    struct mr_arena_mark inner = mr_arena_save(a);
    must_alloc(a, 20, 1);

    ASSERT_OK(rewind_trim(a, outer));
    ASSERT_EQ(stats_of(a).total, (size_t)256);
    ASSERT_TRUE(t.kept.ptr == chunk2); /* held for reuse */

    must_alloc(a, stats_of(a).free, 1);
    struct mr_region again = must_alloc(a, 100, 1);
    c = chunk_holding(&t, again.ptr, again.len);
    ASSERT_TRUE(c != NULL);
    ASSERT_PTR_EQ(c->ptr, chunk2);          /* the same address ... */
    ASSERT_PTR_EQ(again.ptr, in2.ptr);
    must_alloc(a, 60, 1);                   /* ... and a position past the mark */

    struct mr_alloc_stats s = stats_of(a);
    size_t live = t.fail.live_blocks;
    ASSERT_ERR(mr_arena_rewind(a, inner), -EINVAL);
    ASSERT_STATS_EQ(stats_of(a), s);
    ASSERT_EQ(t.fail.live_blocks, live);

    mr_arena_destroy(a);
    tracker_fini(&t);
}

static void test_mark_other_arena(void)
{
    struct mr_failing f;
    mr_failing_init(&f, NULL, -1);
    struct mr_arena *a = make_arena(&f.base, 1024, 0);
    struct mr_arena *b = make_arena(&f.base, 1024, 0);

    must_alloc(a, 100, 1);
    must_alloc(b, 10, 1);
    struct mr_arena_mark mb = mr_arena_save(b);
    must_alloc(b, 10, 1);
    struct mr_alloc_stats sa = stats_of(a), sb = stats_of(b);
    ASSERT_ERR(mr_arena_rewind(a, mb), -EINVAL);
    ASSERT_STATS_EQ(stats_of(a), sa);
    ASSERT_STATS_EQ(stats_of(b), sb);

    /* After a reset, a mark past the start is stale. */
    struct mr_arena_mark ma = mr_arena_save(a);
    reset_trim(a);
    struct mr_alloc_stats s = stats_of(a);
    ASSERT_ERR(mr_arena_rewind(a, ma), -EINVAL);
    ASSERT_STATS_EQ(stats_of(a), s);

    mr_arena_destroy(a);
    mr_arena_destroy(b);
    ASSERT_EQ(f.live_blocks, (size_t)0);
}

/* ---- reset ---------------------------------------------------------------- */

static void test_reset(void)
{
    struct tracker t;
    tracker_init(&t, -1);
    struct mr_arena *a = make_arena(&t.base, 256, 0);
    size_t hdr = header_bytes(a, 256);
    void *const chunk1 = only_chunk(&t, a);

    struct mr_region first = must_alloc(a, 1, 1);
    ASSERT_PTR_EQ(first.ptr, (char *)chunk1 + hdr);
    for (int i = 0; i < 30; i++)
        must_alloc(a, 100, 8);
    must_alloc(a, 5000, 1);
    ASSERT_GT(t.fail.live_blocks, (size_t)5);

    for (int round = 0; round < 2; round++) {
        reset_trim(a);
        ASSERT_EQ(t.fail.live_blocks, (size_t)2); /* the arena and one chunk */
        ASSERT_EQ(t.fail.live_bytes, sizeof(struct mr_arena) + 256);
        ASSERT_PTR_EQ(only_chunk(&t, a), chunk1); /* the first chunk is the one kept */
        struct mr_alloc_stats s = stats_of(a);
        ASSERT_EQ(s.total, (size_t)256);
        ASSERT_EQ(s.free, 256 - hdr);
        ASSERT_EQ(s.used, hdr);
        ASSERT_PTR_EQ(must_alloc(a, 1, 1).ptr, first.ptr);
        for (int i = 0; i < 10; i++)
            must_alloc(a, 100, 8);
    }
    mr_arena_destroy(a);
    tracker_fini(&t);
}

/* ---- the limit ------------------------------------------------------------ */

static void test_limit(void)
{
    struct mr_failing f;
    mr_failing_init(&f, NULL, -1);
    struct mr_arena *a = make_arena(&f.base, 1024, 4096);
    size_t hdr = header_bytes(a, 1024);
    size_t per_chunk = (1024 - hdr) / 100;

    size_t n = 0;
    struct mr_region r;
    int rc;
    while ((rc = mr_arena_alloc(a, 100, 1, &r)) == 0) {
        n++;
        ASSERT_LE(n, (size_t)1000);
    }
    ASSERT_ERR(rc, -ENOMEM);
    ASSERT_EQ(n, 4 * per_chunk);
    ASSERT_EQ(stats_of(a).total, (size_t)4096);
    ASSERT_EQ(f.live_bytes, sizeof(struct mr_arena) + 4096);

    /* Out of memory now: nothing changes, the backing is not even asked. */
    struct mr_alloc_stats s = stats_of(a);
    size_t attempts = f.attempts;
    r = mr_test_sentinel();
    ASSERT_ERR(mr_arena_alloc(a, 100, 1, &r), -ENOMEM);
    ASSERT_ERR(mr_alloc(mr_arena_allocator(a), 100, 1, &r), -ENOMEM);
    ASSERT_ERR(mr_arena_alloc(a, 2000, 8, &r), -ENOMEM);
    ASSERT_REGION_EQ(r, mr_test_sentinel());
    ASSERT_STATS_EQ(stats_of(a), s);
    ASSERT_EQ(f.attempts, attempts);
    /* What is left in the current chunk is still given out. */
    if (s.free > 0)
        must_alloc(a, s.free, 1);

    /* Never possible, whatever is freed: -E2BIG. The largest possible block
     * is a chunk of limit - chunk_size beside the first chunk. */
    size_t max = 4096 - 1024 - hdr;
    ASSERT_ERR(mr_arena_alloc(a, max + 1, 1, &r), -E2BIG);
    ASSERT_ERR(mr_alloc(mr_arena_allocator(a), max + 1, 1, &r), -E2BIG);
    ASSERT_ERR(mr_arena_alloc(a, 4096, 1, &r), -E2BIG);
    ASSERT_ERR(mr_arena_alloc(a, 100000, 1, &r), -E2BIG);
    ASSERT_ERR(mr_arena_alloc(a, max, 1, &r), -ENOMEM); /* possible, not now */
    ASSERT_REGION_EQ(r, mr_test_sentinel());
    ASSERT_EQ(f.attempts, attempts);

    /* After a reset, allocations succeed again, up to the largest block. */
    reset_trim(a);
    ASSERT_EQ(stats_of(a).total, (size_t)1024);
    struct mr_region m = must_alloc(a, max, 1);
    mr_test_fill(m, 1);
    ASSERT_EQ(stats_of(a).total, (size_t)4096);
    ASSERT_FILLED(m, 1);
    reset_trim(a);
    n = 0;
    while (mr_arena_alloc(a, 100, 1, &r) == 0)
        n++;
    ASSERT_EQ(n, 4 * per_chunk);

    mr_arena_destroy(a);
    ASSERT_EQ(f.live_blocks, (size_t)0);
}

/* stats.largest is what one allocation of alignment 1 can get now: that much
 * succeeds, one byte more does not. Also with a limit that is not a multiple
 * of the chunk size. */
static void check_largest(struct mr_arena *a)
{
    struct mr_alloc_stats s = stats_of(a);
    ASSERT_GE(s.largest, s.free);
    if (s.largest == 0)
        return;
    struct mr_arena_mark m = mr_arena_save(a);
    struct mr_region r = mr_test_sentinel();
    int rc = mr_arena_alloc(a, s.largest, 1, &r);
    if (rc != 0)
        mr_test_fail(__FILE__, __LINE__, "stats.largest = %zu (total %zu, free %zu) but allocating it: %s",
                     s.largest, s.total, s.free, mr_strerror(rc));
    ASSERT_OK(rewind_trim(a, m));
    ASSERT_STATS_EQ(stats_of(a), s);
    rc = mr_arena_alloc(a, s.largest + 1, 1, &r);
    if (rc != -ENOMEM && rc != -E2BIG)
        mr_test_fail(__FILE__, __LINE__, "stats.largest = %zu but %zu bytes: %d", s.largest,
                     s.largest + 1, rc);
    ASSERT_STATS_EQ(stats_of(a), s);
}

static void test_largest_with_limit(void)
{
    const size_t limits[] = { 4096, 4000, 3000, 2100, 1024 };
    for (size_t i = 0; i < sizeof limits / sizeof limits[0]; i++) {
        struct mr_failing f;
        mr_failing_init(&f, NULL, -1);
        struct mr_arena *a = make_arena(&f.base, 1024, limits[i]);
        struct mr_region r;
        check_largest(a);
        while (mr_arena_alloc(a, 100, 1, &r) == 0)
            check_largest(a);
        check_largest(a);
        mr_arena_destroy(a);
        ASSERT_EQ(f.live_blocks, (size_t)0);
    }
}

/* ---- usage figures -------------------------------------------------------- */

static void check_stats(struct mr_arena *a, const struct mr_failing *f)
{
    struct mr_alloc_stats s = stats_of(a);
    ASSERT_EQ(s.total, f->live_bytes - sizeof(struct mr_arena));
    ASSERT_EQ(s.used + s.free, s.total);
    ASSERT_GE(s.largest, s.free);
    ASSERT_EQ(s.blocks, (size_t)0);
}

static void test_stats(void)
{
    struct mr_failing f;
    mr_failing_init(&f, NULL, -1);
    struct mr_arena *a = make_arena(&f.base, 2048, 0);
    size_t hdr = header_bytes(a, 2048);
    struct mr_alloc_stats s = stats_of(a);
    ASSERT_EQ(s.used, hdr);
    check_stats(a, &f);

    for (size_t i = 0; i < 200; i++) {
        size_t size = 1 + (i * 97) % 900;
        must_alloc(a, size, (size_t)1 << (i % 8));
        check_stats(a, &f);
        if (i % 17 == 0) {
            /* Exactly what is free in the current chunk fits, without a new
             * chunk, and then nothing is free. */
            struct mr_alloc_stats b = stats_of(a);
            size_t live = f.live_blocks;
            if (b.free > 0) {
                must_alloc(a, b.free, 1);
                struct mr_alloc_stats c = stats_of(a);
                ASSERT_EQ(c.total, b.total);
                ASSERT_EQ(c.free, (size_t)0);
                ASSERT_EQ(c.used, c.total);
                ASSERT_EQ(f.live_blocks, live);
                check_stats(a, &f);
            }
        }
    }
    ASSERT_GT(f.live_blocks, (size_t)10);

    /* Used counts alignment padding: a 1-byte block at 1024 alignment costs
     * up to 1024 bytes. */
    reset_trim(a);
    struct mr_region q = must_alloc(a, 1, 1);
    struct mr_alloc_stats b = stats_of(a);
    struct mr_region p = must_alloc(a, 1, 1024);
    struct mr_alloc_stats c = stats_of(a);
    ASSERT_EQ(c.used - b.used, (size_t)((uintptr_t)p.ptr - (uintptr_t)q.ptr));
    ASSERT_EQ(b.free - c.free, c.used - b.used);
    ASSERT_LE(c.used - b.used, (size_t)1024);
    check_stats(a, &f);

    mr_arena_destroy(a);
    ASSERT_EQ(f.live_blocks, (size_t)0);
}

/* ---- destroy -------------------------------------------------------------- */

static void test_destroy(void)
{
    struct mr_failing f;
    mr_failing_init(&f, NULL, -1);
    struct mr_arena *a = make_arena(&f.base, 128, 0);
    for (int i = 0; i < 50; i++)
        must_alloc(a, 90, 1);
    must_alloc(a, 1 << 16, 4096);
    ASSERT_GT(f.live_blocks, (size_t)40);
    mr_arena_destroy(a);
    ASSERT_EQ(f.live_blocks, (size_t)0);
    ASSERT_EQ(f.live_bytes, (size_t)0);
    mr_arena_destroy(NULL);
}

/* An allocation that needs a chunk the backing refuses: -ENOMEM, *out and
 * the arena unchanged, and the arena keeps working. */
static void test_alloc_oom(void)
{
    struct mr_failing f;
    mr_failing_init(&f, NULL, 3); /* the arena, its first chunk, one more */
    struct mr_arena *a = make_arena(&f.base, 512, 0);
    must_alloc(a, 400, 1);
    must_alloc(a, 400, 1); /* the second chunk */
    struct mr_alloc_stats s = stats_of(a);
    struct mr_region r = mr_test_sentinel();
    ASSERT_ERR(mr_arena_alloc(a, 400, 1, &r), -ENOMEM);
    ASSERT_ERR(mr_alloc(mr_arena_allocator(a), 400, 1, &r), -ENOMEM);
    ASSERT_ERR(mr_arena_alloc(a, 10000, 1, &r), -ENOMEM);
    ASSERT_REGION_EQ(r, mr_test_sentinel());
    ASSERT_STATS_EQ(stats_of(a), s);
    ASSERT_EQ(f.live_blocks, (size_t)3);
    must_alloc(a, s.free, 1);
    mr_arena_destroy(a);
    ASSERT_EQ(f.live_blocks, (size_t)0);
    ASSERT_EQ(f.live_bytes, (size_t)0);
}

int main(void)
{
    test_create();
    test_create_oom();
    test_mixed();
    test_errors(via_inline);
    test_errors(via_generic);
    test_same_placement();
    test_last_block_free();
    test_last_block_realloc();
    test_realloc_oom();
    test_big_block();
    test_marks_nested();
    test_mark_fences_earlier_block();
    test_spares();
    test_spares_limit();
    test_marks_chunks();
    test_mark_reused_address();
    test_mark_other_arena();
    test_reset();
    test_limit();
    test_largest_with_limit();
    test_stats();
    test_destroy();
    test_alloc_oom();
    return 0;
}
