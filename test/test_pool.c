/* SPDX-License-Identifier: MIT */
/* test/test_pool.c: the pool allocator: creation errors, block placement and
 * alignment, LIFO reuse, chunks and max_blocks, the generic path, exact usage
 * figures, out-of-memory, and that a bad free aborts.
 *
 * Chunks come from a struct mr_failing, which counts what is outstanding. */
#include "helpers.h"

#include <signal.h>
#include <stdint.h>
#include <unistd.h>

static size_t page_size(void) { return (size_t)sysconf(_SC_PAGESIZE); }

static struct mr_alloc_stats stats_of(struct mr_pool *p)
{
    struct mr_alloc_stats s;
    memset(&s, 0xa5, sizeof s);
    mr_alloc_stats(mr_pool_allocator(p), &s);
    return s;
}

#define ASSERT_STATS(p, total_, used_, largest_, blocks_)                       \
    do {                                                                        \
        struct mr_alloc_stats s_ = stats_of(p);                                 \
        ASSERT_EQ(s_.total, (size_t)(total_));                                  \
        ASSERT_EQ(s_.used, (size_t)(used_));                                    \
        ASSERT_EQ(s_.free, (size_t)(total_) - (size_t)(used_));                 \
        ASSERT_EQ(s_.largest, (size_t)(largest_));                              \
        ASSERT_EQ(s_.blocks, (size_t)(blocks_));                                \
    } while (0)

static size_t round_up(size_t x, size_t a) { return (x + a - 1) / a * a; }

/* The block size a pool uses for a request: at least a pointer, a multiple
 * of the alignment. */
static size_t rounded(size_t block_size, size_t align)
{
    if (align == 0)
        align = MR_ALIGN_DEFAULT;
    return round_up(block_size < sizeof(void *) ? sizeof(void *) : block_size, align);
}

static struct mr_pool *make_pool(struct mr_failing *f, size_t bs, size_t align, size_t per_chunk,
                                 size_t max)
{
    struct mr_pool_opts o = { f ? &f->base : NULL, bs, align, per_chunk, max };
    struct mr_pool *p = NULL;
    ASSERT_OK(mr_pool_create(&o, &p));
    ASSERT_TRUE(p != NULL);
    return p;
}

static struct mr_region must_get(struct mr_pool *p)
{
    struct mr_region r = mr_test_sentinel();
    ASSERT_OK(mr_pool_alloc(p, &r));
    ASSERT_TRUE(r.ptr != NULL);
    ASSERT_EQ(r.flags, 0u);
    return r;
}

/* ---- creation ------------------------------------------------------------- */

static void test_create(void)
{
    struct mr_failing f;
    mr_failing_init(&f, NULL, -1);
    struct mr_pool *const untouched = (struct mr_pool *)&f;
    struct mr_pool *p = untouched;
    struct mr_pool_opts o = { &f.base, 64, 0, 0, 0 };
    const size_t ps = page_size();

    ASSERT_ERR(mr_pool_create(NULL, &p), -EINVAL);
    ASSERT_ERR(mr_pool_create(&o, NULL), -EINVAL);
    ASSERT_ERR(mr_pool_create(NULL, NULL), -EINVAL);
    o.block_size = 0;
    ASSERT_ERR(mr_pool_create(&o, &p), -EINVAL);
    o.block_size = 64;
    const size_t bad_align[] = { 3, 5, 6, 12, 24, 100, 4095, ps + 1, 2 * ps, 8192 > ps ? 8192 : 4 * ps,
                                 SIZE_MAX, (size_t)1 << (sizeof(size_t) * 8 - 1) };
    for (size_t i = 0; i < sizeof bad_align / sizeof bad_align[0]; i++) {
        o.align = bad_align[i];
        ASSERT_ERR(mr_pool_create(&o, &p), -EINVAL);
    }
    o.align = 0;

    const struct { size_t bs, align, per_chunk; } big[] = {
        { (size_t)PTRDIFF_MAX, 0, 0 }, { (size_t)PTRDIFF_MAX, 1, 1 }, { (size_t)PTRDIFF_MAX + 1, 1, 0 },
        { SIZE_MAX, 0, 0 }, { (size_t)PTRDIFF_MAX - 8, 1, 1 },
        { 64, 0, SIZE_MAX / 32 },              /* blocks_per_chunk * size overflows */
        { 1u << 20, 0, (size_t)1 << 43 },      /* a chunk above PTRDIFF_MAX */
        { (size_t)1 << 62, 0, 2 },
    };
    for (size_t i = 0; i < sizeof big / sizeof big[0]; i++) {
        o.block_size = big[i].bs;
        o.align = big[i].align;
        o.blocks_per_chunk = big[i].per_chunk;
        int rc = mr_pool_create(&o, &p);
        if (rc != -E2BIG)
            mr_test_fail(__FILE__, __LINE__, "block_size %zu align %zu per_chunk %zu: got %d, want -E2BIG",
                         big[i].bs, big[i].align, big[i].per_chunk, rc);
    }
    ASSERT_PTR_EQ(p, untouched);
    ASSERT_EQ(f.attempts, (size_t)0);

    /* The pool object itself cannot be had. */
    struct mr_failing none;
    mr_failing_init(&none, NULL, 0);
    struct mr_pool_opts on = { &none.base, 64, 0, 0, 0 };
    ASSERT_ERR(mr_pool_create(&on, &p), -ENOMEM);
    ASSERT_PTR_EQ(p, untouched);
    ASSERT_EQ(none.live_blocks, (size_t)0);

    /* A good pool takes no chunk until the first block. */
    p = make_pool(&f, 100, 0, 0, 0);
    ASSERT_STR_EQ(mr_alloc_name(mr_pool_allocator(p)), "pool");
    ASSERT_EQ(f.live_blocks, (size_t)1);
    ASSERT_EQ(f.live_bytes, sizeof(struct mr_pool));
    ASSERT_STATS(p, 0, 0, 100, 0);

    /* blocks_per_chunk 0: as many as fit in 64 KiB. */
    const size_t bs = rounded(100, 0);
    struct mr_region r = must_get(p);
    ASSERT_EQ(r.len, (size_t)100);
    ASSERT_ALIGNED(r.ptr, MR_ALIGN_DEFAULT);
    ASSERT_EQ(f.live_blocks, (size_t)2);
    size_t chunk = f.live_bytes - sizeof(struct mr_pool);
    struct mr_alloc_stats s = stats_of(p);
    ASSERT_EQ(s.total % bs, (size_t)0);
    ASSERT_LE(chunk, (size_t)65536);
    ASSERT_GT(chunk, s.total);                  /* a header in front */
    ASSERT_LT(65536 - s.total, bs + 64);        /* no room for one more block */
    ASSERT_STATS(p, s.total, bs, 100, 1);
    mr_pool_destroy(p);
    ASSERT_EQ(f.live_blocks, (size_t)0);
    ASSERT_EQ(f.live_bytes, (size_t)0);

    /* A block larger than 64 KiB: one per chunk. */
    p = make_pool(&f, 100000, 0, 0, 0);
    must_get(p);
    ASSERT_STATS(p, rounded(100000, 0), rounded(100000, 0), 100000, 1);
    must_get(p);
    ASSERT_EQ(f.live_blocks, (size_t)3);
    mr_pool_destroy(p);
    ASSERT_EQ(f.live_blocks, (size_t)0);

    /* NULL backing: the heap. */
    p = make_pool(NULL, 8, 8, 4, 0);
    struct mr_region h = must_get(p);
    mr_test_fill(h, 1);
    mr_pool_free(p, h);
    mr_pool_destroy(p);
    mr_pool_destroy(NULL);
}

/* ---- blocks --------------------------------------------------------------- */

#define PER_CHUNK 8
#define NBLK (2 * PER_CHUNK)

static void check_blocks(size_t block_size, size_t align)
{
    struct mr_failing f;
    mr_failing_init(&f, NULL, -1);
    struct mr_pool *p = make_pool(&f, block_size, align, PER_CHUNK, 0);
    const size_t ea = align ? align : MR_ALIGN_DEFAULT;
    const size_t bs = rounded(block_size, align);
    struct mr_region b[NBLK];

    for (size_t i = 0; i < NBLK; i++) {
        b[i] = must_get(p);
        ASSERT_EQ(b[i].len, block_size);
        ASSERT_ALIGNED(b[i].ptr, ea);
        size_t chunks = i / PER_CHUNK + 1;
        ASSERT_EQ(f.live_blocks, 1 + chunks);
        ASSERT_GE(f.live_bytes - sizeof(struct mr_pool), chunks * PER_CHUNK * bs);
        ASSERT_STATS(p, chunks * PER_CHUNK * bs, (i + 1) * bs, block_size, i + 1);
        /* In address order within a chunk, one rounded block apart. */
        if (i % PER_CHUNK != 0)
            ASSERT_PTR_EQ(b[i].ptr, (char *)b[i - 1].ptr + bs);
        for (size_t j = 0; j < i; j++)
            ASSERT_TRUE(b[j].ptr != b[i].ptr);
        mr_test_fill(b[i], (unsigned)i);
    }
    /* Two chunks, not overlapping. */
    uintptr_t c0 = (uintptr_t)b[0].ptr, c1 = (uintptr_t)b[PER_CHUNK].ptr;
    ASSERT_TRUE(c1 + PER_CHUNK * bs <= c0 || c0 + PER_CHUNK * bs <= c1);
    for (size_t i = 0; i < NBLK; i++)
        ASSERT_FILLED(b[i], (unsigned)i);

    /* LIFO reuse, with frees through both paths. */
    mr_pool_free(p, b[3]);
    mr_free(mr_pool_allocator(p), b[12]);
    mr_pool_free(p, b[7]);
    ASSERT_STATS(p, NBLK * bs, (NBLK - 3) * bs, block_size, NBLK - 3);
    struct mr_region r = must_get(p);
    ASSERT_PTR_EQ(r.ptr, b[7].ptr);
    r = must_get(p);
    ASSERT_PTR_EQ(r.ptr, b[12].ptr);
    ASSERT_OK(mr_alloc(mr_pool_allocator(p), block_size, ea, &r));
    ASSERT_PTR_EQ(r.ptr, b[3].ptr);
    ASSERT_EQ(r.len, block_size);
    ASSERT_STATS(p, NBLK * bs, NBLK * bs, block_size, NBLK);
    ASSERT_EQ(f.live_blocks, (size_t)3);
    for (size_t i = 0; i < NBLK; i++)
        if (i != 3 && i != 7 && i != 12)
            ASSERT_FILLED(b[i], (unsigned)i);

    /* Everything back: the chunks stay. */
    for (size_t i = 0; i < NBLK; i++)
        mr_pool_free(p, b[i]);
    ASSERT_STATS(p, NBLK * bs, 0, block_size, 0);
    ASSERT_EQ(f.live_blocks, (size_t)3);
    r = must_get(p);
    ASSERT_PTR_EQ(r.ptr, b[NBLK - 1].ptr);

    mr_pool_destroy(p);
    ASSERT_EQ(f.live_blocks, (size_t)0);
    ASSERT_EQ(f.live_bytes, (size_t)0);
}

static void test_blocks(void)
{
    const size_t aligns[] = { 0, 1, 2, 8, 16, 64, 4096 };
    const size_t sizes[] = { 1, 2, 7, 8, 9, 24, 100, 4096, 5000 };
    for (size_t i = 0; i < sizeof aligns / sizeof aligns[0]; i++)
        for (size_t j = 0; j < sizeof sizes / sizeof sizes[0]; j++)
            check_blocks(sizes[j], aligns[i]);
    /* The rounding itself, as the header states it. */
    ASSERT_EQ(rounded(1, 1), sizeof(void *));
    ASSERT_EQ(rounded(9, 8), (size_t)16);
    ASSERT_EQ(rounded(1, 4096), (size_t)4096);
}

/* ---- max_blocks ----------------------------------------------------------- */

static void test_max_blocks(void)
{
    struct mr_failing f;
    mr_failing_init(&f, NULL, -1);
    struct mr_pool *p = make_pool(&f, 32, 16, 4, 10);
    struct mr_region b[10];
    const size_t want_total[10] = { 4, 4, 4, 4, 8, 8, 8, 8, 10, 10 };
    const size_t want_chunks[10] = { 1, 1, 1, 1, 2, 2, 2, 2, 3, 3 };

    for (size_t i = 0; i < 10; i++) {
        b[i] = must_get(p);
        mr_test_fill(b[i], (unsigned)i);
        ASSERT_EQ(f.live_blocks, 1 + want_chunks[i]);
        ASSERT_STATS(p, want_total[i] * 32, (i + 1) * 32, i == 9 ? 0 : 32, i + 1);
    }

    /* Full: -ENOMEM from both paths, nothing changes, the backing is not asked. */
    size_t attempts = f.attempts;
    struct mr_region r = mr_test_sentinel();
    ASSERT_ERR(mr_pool_alloc(p, &r), -ENOMEM);
    ASSERT_ERR(mr_alloc(mr_pool_allocator(p), 32, 16, &r), -ENOMEM);
    ASSERT_ERR(mr_alloc(mr_pool_allocator(p), 1, 1, &r), -ENOMEM);
    ASSERT_REGION_EQ(r, mr_test_sentinel());
    ASSERT_STATS(p, 320, 320, 0, 10);
    ASSERT_EQ(f.attempts, attempts);

    /* Free one: it comes back, and then the pool is full again. */
    mr_pool_free(p, b[5]);
    ASSERT_STATS(p, 320, 288, 32, 9);
    r = must_get(p);
    ASSERT_PTR_EQ(r.ptr, b[5].ptr);
    ASSERT_ERR(mr_pool_alloc(p, &r), -ENOMEM);
    for (size_t i = 0; i < 10; i++)
        if (i != 5)
            ASSERT_FILLED(b[i], (unsigned)i);
    mr_pool_destroy(p);
    ASSERT_EQ(f.live_blocks, (size_t)0);

    /* max_blocks below blocks_per_chunk: one chunk of max_blocks blocks. */
    p = make_pool(&f, 16, 16, 100, 5);
    must_get(p);
    ASSERT_STATS(p, 5 * 16, 16, 16, 1);
    ASSERT_LT(f.live_bytes - sizeof(struct mr_pool), (size_t)(6 * 16 + 64));
    for (int i = 0; i < 4; i++)
        must_get(p);
    ASSERT_ERR(mr_pool_alloc(p, &r), -ENOMEM);
    ASSERT_EQ(f.live_blocks, (size_t)2);
    mr_pool_destroy(p);
    ASSERT_EQ(f.live_blocks, (size_t)0);
}

/* ---- the generic path ----------------------------------------------------- */

static void test_generic(void)
{
    struct mr_failing f;
    mr_failing_init(&f, NULL, -1);
    struct mr_pool *p = make_pool(&f, 48, 16, 4, 0);
    struct mr_allocator *al = mr_pool_allocator(p);
    const size_t bs = rounded(48, 16);

    struct mr_region a = mr_test_sentinel(), b = mr_test_sentinel(), r = mr_test_sentinel();
    ASSERT_OK(mr_alloc(al, 48, 16, &a));
    ASSERT_EQ(a.len, (size_t)48);
    ASSERT_ALIGNED(a.ptr, 16);
    ASSERT_OK(mr_alloc(al, 1, 1, &b));
    ASSERT_EQ(b.len, (size_t)1);
    ASSERT_PTR_EQ(b.ptr, (char *)a.ptr + bs);
    ASSERT_STATS(p, 4 * bs, 2 * bs, 48, 2);

    /* Refused: larger than a block, more aligned than the pool, too big for
     * anything, a malformed alignment. */
    ASSERT_ERR(mr_alloc(al, 49, 16, &r), -E2BIG);
    ASSERT_ERR(mr_alloc(al, 49, 1, &r), -E2BIG);
    ASSERT_ERR(mr_alloc(al, 4096, 8, &r), -E2BIG);
    ASSERT_ERR(mr_alloc(al, 8, 32, &r), -EINVAL);
    ASSERT_ERR(mr_alloc(al, 48, 4096, &r), -EINVAL);
    ASSERT_ERR(mr_alloc(al, 8, 3, &r), -EINVAL);
    ASSERT_ERR(mr_alloc(al, 8, 0, &r), -EINVAL);
    ASSERT_ERR(mr_alloc(al, (size_t)PTRDIFF_MAX + 1, 16, &r), -E2BIG);
    ASSERT_ERR(mr_alloc(al, SIZE_MAX, 16, &r), -E2BIG);
    ASSERT_REGION_EQ(r, mr_test_sentinel());
    ASSERT_STATS(p, 4 * bs, 2 * bs, 48, 2);

    /* Size 0: empty, no block. */
    ASSERT_OK(mr_alloc(al, 0, 16, &r));
    ASSERT_TRUE(r.ptr == NULL);
    ASSERT_EQ(r.len, (size_t)0);
    ASSERT_STATS(p, 4 * bs, 2 * bs, 48, 2);

    /* Resizing within the block keeps the pointer. */
    mr_test_fill(a, 1);
    void *const at = a.ptr;
    ASSERT_OK(mr_realloc(al, &a, 40, 16));
    ASSERT_PTR_EQ(a.ptr, at);
    ASSERT_EQ(a.len, (size_t)40);
    ASSERT_FILLED(a, 1);
    ASSERT_OK(mr_realloc(al, &a, 48, 8));
    ASSERT_PTR_EQ(a.ptr, at);
    ASSERT_EQ(a.len, (size_t)48);
    mr_test_fill(a, 2);
    ASSERT_OK(mr_realloc(al, &b, 48, 1));
    ASSERT_EQ(b.len, (size_t)48);
    mr_test_fill(b, 3);
    ASSERT_STATS(p, 4 * bs, 2 * bs, 48, 2);

    /* Beyond it: -E2BIG, the region and its bytes unchanged. */
    struct mr_region saved = a;
    ASSERT_ERR(mr_realloc(al, &a, 49, 16), -E2BIG);
    ASSERT_ERR(mr_realloc(al, &a, 1000, 16), -E2BIG);
    ASSERT_ERR(mr_realloc(al, &a, 40, 32), -EINVAL);
    ASSERT_REGION_EQ(a, saved);
    ASSERT_FILLED(a, 2);
    ASSERT_FILLED(b, 3);
    ASSERT_STATS(p, 4 * bs, 2 * bs, 48, 2);

    /* To 0: freed, empty. From empty: allocates (the block just freed). */
    ASSERT_OK(mr_realloc(al, &a, 0, 16));
    ASSERT_TRUE(a.ptr == NULL);
    ASSERT_EQ(a.len, (size_t)0);
    ASSERT_STATS(p, 4 * bs, bs, 48, 1);
    ASSERT_OK(mr_realloc(al, &a, 20, 16));
    ASSERT_PTR_EQ(a.ptr, at);
    ASSERT_EQ(a.len, (size_t)20);
    ASSERT_STATS(p, 4 * bs, 2 * bs, 48, 2);

    /* mr_free, then the inline path gets that block back; and the reverse. */
    mr_free(al, b);
    ASSERT_STATS(p, 4 * bs, bs, 48, 1);
    r = must_get(p);
    ASSERT_PTR_EQ(r.ptr, b.ptr);
    ASSERT_EQ(r.len, (size_t)48);
    mr_pool_free(p, r);
    mr_free(al, mr_region_make(NULL, 0)); /* empty: no-op */
    ASSERT_STATS(p, 4 * bs, bs, 48, 1);

    /* A dirty block comes back zeroed from mr_alloc_zeroed. */
    memset(b.ptr, 0xee, 48);
    struct mr_region z = mr_test_sentinel();
    ASSERT_OK(mr_alloc_zeroed(al, 48, 16, &z));
    ASSERT_PTR_EQ(z.ptr, b.ptr);
    static const unsigned char zero[48];
    ASSERT_MEM_EQ(z.ptr, zero, 48);

    mr_pool_destroy(p);
    ASSERT_EQ(f.live_blocks, (size_t)0);
    ASSERT_EQ(f.live_bytes, (size_t)0);
}

/* ---- out of memory -------------------------------------------------------- */

static void test_oom(void)
{
    struct mr_failing f;
    mr_failing_init(&f, NULL, 1); /* the pool object, then nothing */
    struct mr_pool *p = make_pool(&f, 64, 8, 2, 0);
    struct mr_region r = mr_test_sentinel();
    ASSERT_ERR(mr_pool_alloc(p, &r), -ENOMEM);
    ASSERT_ERR(mr_alloc(mr_pool_allocator(p), 64, 8, &r), -ENOMEM);
    ASSERT_REGION_EQ(r, mr_test_sentinel());
    ASSERT_STATS(p, 0, 0, 64, 0);
    ASSERT_EQ(f.live_blocks, (size_t)1);

    f.remaining = 1; /* one chunk */
    struct mr_region a = must_get(p), b = must_get(p);
    ASSERT_ERR(mr_pool_alloc(p, &r), -ENOMEM);
    ASSERT_REGION_EQ(r, mr_test_sentinel());
    ASSERT_STATS(p, 128, 128, 64, 2);
    ASSERT_EQ(f.live_blocks, (size_t)2);
    mr_pool_free(p, b);
    r = must_get(p); /* from the free list: no memory needed */
    ASSERT_PTR_EQ(r.ptr, b.ptr);
    (void)a;

    f.remaining = -1;
    r = must_get(p);
    ASSERT_STATS(p, 256, 192, 64, 3);
    mr_pool_destroy(p);
    ASSERT_EQ(f.live_blocks, (size_t)0);
    ASSERT_EQ(f.live_bytes, (size_t)0);
}

/* ---- destroy -------------------------------------------------------------- */

static void test_destroy(void)
{
    struct mr_failing f;
    mr_failing_init(&f, NULL, -1);
    struct mr_pool *p = make_pool(&f, 40, 8, 3, 0);
    struct mr_region keep[50];
    for (int i = 0; i < 50; i++)
        keep[i] = must_get(p);
    for (int i = 0; i < 50; i += 3)
        mr_pool_free(p, keep[i]);
    ASSERT_EQ(f.live_blocks, (size_t)(1 + 17));
    mr_pool_destroy(p);
    ASSERT_EQ(f.live_blocks, (size_t)0);
    ASSERT_EQ(f.live_bytes, (size_t)0);
    mr_pool_destroy(NULL);
}

/* ---- a bad free aborts ---------------------------------------------------- */

struct bad_free {
    struct mr_pool *pool;
    struct mr_region r;
};

static void free_in_child(void *arg)
{
    struct bad_free *bf = arg;
    mr_free(mr_pool_allocator(bf->pool), bf->r);
}

static void test_bad_free_aborts(void)
{
    struct mr_failing f;
    mr_failing_init(&f, NULL, -1);
    struct mr_pool *p = make_pool(&f, 64, 64, 4, 0);
    struct mr_region a = must_get(p), b = must_get(p);
    struct mr_alloc_stats s = stats_of(p);

    /* A good free in a child exits normally: the child machinery works. */
    struct bad_free ok = { p, a };
    ASSERT_EQ(mr_test_in_child(free_in_child, &ok, SIGABRT), 0);

    const struct mr_region bad[] = {
        mr_region_make((char *)a.ptr + 1, 1),   /* misaligned */
        mr_region_make((char *)a.ptr + 8, 8),
        mr_region_make((char *)b.ptr + 32, 32),
        mr_region_make(a.ptr, 65),               /* larger than a block */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct bad_free bf = { p, bad[i] };
        int st = mr_test_in_child(free_in_child, &bf, SIGABRT);
        if (st != 1000 + SIGABRT)
            mr_test_fail(__FILE__, __LINE__, "bad free %zu: child ended with %d, want %d", i, st,
                         1000 + SIGABRT);
    }

    /* More frees than blocks handed out. */
    mr_pool_free(p, a);
    mr_pool_free(p, b);
    struct bad_free twice = { p, b };
    ASSERT_EQ(mr_test_in_child(free_in_child, &twice, SIGABRT), 1000 + SIGABRT);

    /* The parent's pool is as it was. */
    ASSERT_STATS(p, s.total, 0, 64, 0);
    ASSERT_PTR_EQ(must_get(p).ptr, b.ptr);
    ASSERT_PTR_EQ(must_get(p).ptr, a.ptr);
    mr_pool_destroy(p);
    ASSERT_EQ(f.live_blocks, (size_t)0);
}

int main(void)
{
    test_create();
    test_blocks();
    test_max_blocks();
    test_generic();
    test_oom();
    test_destroy();
    test_bad_free_aborts();
    return 0;
}
