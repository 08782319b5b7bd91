/* SPDX-License-Identifier: MIT */
/* test_alloc: the allocator front end (mr_alloc, mr_realloc, mr_free,
 * mr_alloc_zeroed, stats) over every allocator, every alignment from 1 to the
 * page size, refused alignments and sizes; the heap and the failing
 * allocator themselves. */
#include "helpers.h"

#include <unistd.h>

/* Every allocator under test, made fresh for each case. */
enum kind { HEAP, ARENA, POOL, PAGES, PAGES_GUARD, FAILING, NKINDS };
static const char *const kind_name[NKINDS] = { "heap", "arena", "pool", "pages", "pages+guard",
                                               "failing" };

struct subject {
    struct mr_allocator *a;
    struct mr_arena *arena;
    struct mr_pool *pool;
    struct mr_pages *pages;
    struct mr_failing failing;
};

#define POOL_BLOCK 512

static void open_subject(enum kind k, struct subject *s)
{
    memset(s, 0, sizeof *s);
    switch (k) {
    case HEAP:
        s->a = mr_heap();
        break;
    case ARENA: {
        struct mr_arena_opts o = { .chunk_size = 1024 };
        ASSERT_OK(mr_arena_create(&o, &s->arena));
        s->a = mr_arena_allocator(s->arena);
        break;
    }
    case POOL: {
        struct mr_pool_opts o = { .block_size = POOL_BLOCK, .align = (size_t)getpagesize() };
        ASSERT_OK(mr_pool_create(&o, &s->pool));
        s->a = mr_pool_allocator(s->pool);
        break;
    }
    case PAGES:
    case PAGES_GUARD:
        ASSERT_OK(mr_pages_create(NULL, k == PAGES_GUARD ? MR_PAGES_GUARD : 0, &s->pages));
        s->a = mr_pages_allocator(s->pages);
        break;
    case FAILING:
        mr_failing_init(&s->failing, NULL, -1);
        s->a = mr_failing_allocator(&s->failing);
        break;
    default:
        ASSERT_TRUE(!"unknown kind");
    }
}

static void close_subject(struct subject *s)
{
    mr_arena_destroy(s->arena);
    mr_pool_destroy(s->pool);
    mr_pages_destroy(s->pages);
    if (s->a == &s->failing.base)
        ASSERT_EQ(s->failing.live_blocks, (size_t)0);
}

static void fill_pattern(struct mr_region r, unsigned seed)
{
    unsigned char *p = r.ptr;
    for (size_t i = 0; i < r.len; i++)
        p[i] = (unsigned char)(seed + i * 7);
}

static void check_pattern(struct mr_region r, size_t n, unsigned seed)
{
    const unsigned char *p = r.ptr;
    for (size_t i = 0; i < n; i++)
        if (p[i] != (unsigned char)(seed + i * 7))
            mr_test_fail(__FILE__, __LINE__, "pattern broken at byte %zu of %zu", i, n);
}

/* Every alignment from 1 to the page size gives an aligned, writable block of
 * exactly the size asked. */
static void test_every_alignment(enum kind k)
{
    size_t page = (size_t)getpagesize();
    for (size_t align = 1; align <= page; align *= 2) {
        struct subject s;
        struct mr_region r;
        open_subject(k, &s);
        ASSERT_OK(mr_alloc(s.a, 100, align, &r));
        ASSERT_EQ(r.len, (size_t)100);
        ASSERT_EQ(r.flags, 0u);
        ASSERT_EQ((uintptr_t)r.ptr % align, (uintptr_t)0);
        fill_pattern(r, (unsigned)align);
        check_pattern(r, r.len, (unsigned)align);
        mr_free(s.a, r);
        close_subject(&s);
    }
}

/* Not a power of two, zero, or above the page size: -EINVAL, out untouched. */
static void test_refused_alignments(enum kind k)
{
    size_t page = (size_t)getpagesize();
    const size_t bad[] = { 0, 3, 5, 6, 12, 100, page - 1, page + 1, page * 2, SIZE_MAX };
    struct subject s;
    open_subject(k, &s);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct mr_region r = { (void *)&s, 12345, 77 };
        ASSERT_ERR(mr_alloc(s.a, 16, bad[i], &r), -EINVAL);
        ASSERT_PTR_EQ(r.ptr, &s);
        ASSERT_EQ(r.len, (size_t)12345);
        ASSERT_EQ(r.flags, 77u);
        ASSERT_ERR(mr_alloc_zeroed(s.a, 16, bad[i], &r), -EINVAL);
        ASSERT_EQ(r.len, (size_t)12345);
    }
    close_subject(&s);
}

/* Sizes no allocator can ever give are -E2BIG; size 0 is an empty region. */
static void test_sizes(enum kind k)
{
    struct subject s;
    struct mr_region r = { (void *)&s, 1, 0 };
    open_subject(k, &s);
    ASSERT_ERR(mr_alloc(s.a, SIZE_MAX, 1, &r), -E2BIG);
    ASSERT_ERR(mr_alloc(s.a, (size_t)PTRDIFF_MAX + 1, 8, &r), -E2BIG);
    ASSERT_PTR_EQ(r.ptr, &s);
    ASSERT_OK(mr_alloc(s.a, 0, 8, &r));
    ASSERT_PTR_EQ(r.ptr, NULL);
    ASSERT_EQ(r.len, (size_t)0);
    mr_free(s.a, r); /* a no-op */
    if (k == POOL) {
        ASSERT_ERR(mr_alloc(s.a, POOL_BLOCK + 1, 1, &r), -E2BIG);
        ASSERT_EQ(r.len, (size_t)0);
    }
    close_subject(&s);
}

/* Growing and shrinking keeps the content; an empty region allocates; size 0
 * frees; a same-size realloc keeps the block. */
static void test_realloc(enum kind k)
{
    size_t page = (size_t)getpagesize();
    for (size_t align = 1; align <= page; align *= 4) {
        struct subject s;
        struct mr_region r = { NULL, 0, 0 };
        size_t big = k == POOL ? POOL_BLOCK : 5000;
        open_subject(k, &s);
        ASSERT_OK(mr_realloc(s.a, &r, 40, align));
        ASSERT_EQ(r.len, (size_t)40);
        fill_pattern(r, 3);
        void *before = r.ptr;
        ASSERT_OK(mr_realloc(s.a, &r, 40, align));
        ASSERT_PTR_EQ(r.ptr, before);
        ASSERT_OK(mr_realloc(s.a, &r, big, align));
        ASSERT_EQ(r.len, big);
        ASSERT_EQ((uintptr_t)r.ptr % align, (uintptr_t)0);
        check_pattern(r, 40, 3);
        fill_pattern(r, 9);
        ASSERT_OK(mr_realloc(s.a, &r, 10, align));
        ASSERT_EQ(r.len, (size_t)10);
        ASSERT_EQ((uintptr_t)r.ptr % align, (uintptr_t)0);
        check_pattern(r, 10, 9);
        ASSERT_ERR(mr_realloc(s.a, &r, SIZE_MAX, align), -E2BIG);
        ASSERT_EQ(r.len, (size_t)10);
        ASSERT_ERR(mr_realloc(s.a, &r, 20, 3), -EINVAL);
        ASSERT_EQ(r.len, (size_t)10);
        check_pattern(r, 10, 9);
        ASSERT_OK(mr_realloc(s.a, &r, 0, align));
        ASSERT_PTR_EQ(r.ptr, NULL);
        ASSERT_EQ(r.len, (size_t)0);
        close_subject(&s);
    }
}

/* mr_alloc_zeroed zeroes even memory that held data before. */
static void test_zeroed(enum kind k)
{
    struct subject s;
    struct mr_region r;
    open_subject(k, &s);
    for (int round = 0; round < 3; round++) {
        ASSERT_OK(mr_alloc_zeroed(s.a, 300, 16, &r));
        ASSERT_ALL_BYTES(r.ptr, r.len, 0);
        mr_region_fill(r, 0xa5);
        mr_free(s.a, r);
    }
    close_subject(&s);
}

/* A realloc that asks for a larger alignment than the block has moves it to
 * an aligned place (the old alignment was only what the block happened to get). */
static void test_realloc_realign(enum kind k)
{
    struct subject s;
    struct mr_region one, r;
    open_subject(k, &s);
    ASSERT_OK(mr_alloc(s.a, 1, 1, &one));
    ASSERT_OK(mr_alloc(s.a, 30, 1, &r)); /* at an odd address in an arena */
    fill_pattern(r, 5);
    for (size_t align = 2; align <= 256; align *= 2) {
        size_t n = r.len;
        ASSERT_OK(mr_realloc(s.a, &r, k == POOL ? n : n + 1, align));
        ASSERT_EQ((uintptr_t)r.ptr % align, (uintptr_t)0);
        check_pattern(r, 30, 5);
    }
    ASSERT_OK(mr_realloc(s.a, &r, 20, 512));
    ASSERT_EQ((uintptr_t)r.ptr % 512, (uintptr_t)0);
    check_pattern(r, 20, 5);
    mr_free(s.a, r);
    mr_free(s.a, one);
    close_subject(&s);
}

static void test_names(void)
{
    const char *const want[NKINDS] = { "heap", "arena", "pool", "pages", "pages", "failing" };
    for (int k = 0; k < NKINDS; k++) {
        struct subject s;
        open_subject((enum kind)k, &s);
        ASSERT_STR_EQ(mr_alloc_name(s.a), want[k]);
        close_subject(&s);
    }
}

static void test_null_arguments(void)
{
    struct mr_region r = { NULL, 0, 0 };
    ASSERT_ERR(mr_alloc(NULL, 8, 8, &r), -EINVAL);
    ASSERT_ERR(mr_alloc(mr_heap(), 8, 8, NULL), -EINVAL);
    ASSERT_ERR(mr_realloc(NULL, &r, 8, 8), -EINVAL);
    ASSERT_ERR(mr_realloc(mr_heap(), NULL, 8, 8), -EINVAL);
    mr_free(NULL, r);
}

/* The heap's figures are the C library's for the whole process: they rise by
 * at least what is allocated (malloc adds its own overhead), fall when it is
 * freed, and add up. A 1 MiB block is mmapped by malloc: counted too. */
static void test_heap_stats(void)
{
    struct mr_alloc_stats before, during, after;
    struct mr_region a, b;
    mr_alloc_stats(mr_heap(), &before);
#if defined(__GLIBC__)
    ASSERT_OK(mr_alloc(mr_heap(), 1000, 8, &a));
    ASSERT_OK(mr_alloc(mr_heap(), (size_t)1 << 20, 256, &b));
    mr_alloc_stats(mr_heap(), &during);
    ASSERT_EQ(during.total, during.used + during.free);
    ASSERT_EQ(during.largest, (size_t)PTRDIFF_MAX);
    /* valgrind and the sanitizers replace malloc, and glibc's figures then
     * describe a heap nobody uses. */
    if (mr_test_under_valgrind() || during.used == 0) {
        mr_free(mr_heap(), b);
        mr_free(mr_heap(), a);
        mr_test_skip_case("heap figures",
                          "valgrind or a sanitizer replaces malloc here (the plain build checks them)");
        return;
    }
    ASSERT_GE(during.used, before.used + 1000 + ((size_t)1 << 20));
    ASSERT_EQ(during.blocks, (size_t)0);
    mr_free(mr_heap(), b);
    mr_free(mr_heap(), a);
    mr_alloc_stats(mr_heap(), &after);
    ASSERT_LE(after.used + ((size_t)1 << 20), during.used);
#else
    (void)during;
    (void)after;
    (void)a;
    (void)b;
    ASSERT_EQ(before.largest, (size_t)PTRDIFF_MAX);
#endif
}

/* The failing allocator: exactly N successes, then -ENOMEM for allocations
 * and growing resizes, with its counters exact and the failed realloc's block
 * intact. */
static void test_failing(void)
{
    struct mr_failing f;
    struct mr_region r[3], extra = { NULL, 0, 0 };
    struct mr_alloc_stats st;
    mr_failing_init(&f, NULL, 3);
    struct mr_allocator *a = mr_failing_allocator(&f);
    for (int i = 0; i < 3; i++)
        ASSERT_OK(mr_alloc(a, 10 + (size_t)i, 1, &r[i]));
    ASSERT_EQ(f.live_blocks, (size_t)3);
    ASSERT_EQ(f.live_bytes, (size_t)33);
    ASSERT_ERR(mr_alloc(a, 5, 1, &extra), -ENOMEM);
    ASSERT_PTR_EQ(extra.ptr, NULL);
    fill_pattern(r[0], 1);
    ASSERT_ERR(mr_realloc(a, &r[0], 100, 1), -ENOMEM);
    ASSERT_EQ(r[0].len, (size_t)10);
    check_pattern(r[0], 10, 1);
    ASSERT_EQ(f.attempts, (size_t)5);
    ASSERT_EQ(f.failures, (size_t)2);
    mr_alloc_stats(a, &st);
    ASSERT_EQ(st.used, (size_t)33);
    ASSERT_EQ(st.blocks, (size_t)3);
    ASSERT_EQ(st.largest, (size_t)0);
    for (int i = 0; i < 3; i++)
        mr_free(a, r[i]);
    ASSERT_EQ(f.live_blocks, (size_t)0);
    ASSERT_EQ(f.live_bytes, (size_t)0);

    /* fail_after 0 fails the first request; < 0 never fails. */
    mr_failing_init(&f, NULL, 0);
    ASSERT_ERR(mr_alloc(mr_failing_allocator(&f), 1, 1, &extra), -ENOMEM);
    mr_failing_init(&f, NULL, -1);
    for (int i = 0; i < 100; i++) {
        ASSERT_OK(mr_alloc(mr_failing_allocator(&f), 1, 1, &extra));
        mr_free(mr_failing_allocator(&f), extra);
    }
    ASSERT_EQ(f.failures, (size_t)0);
}

int main(void)
{
    for (int k = 0; k < NKINDS; k++) {
        fprintf(stderr, "allocator: %s\n", kind_name[k]);
        test_every_alignment((enum kind)k);
        test_refused_alignments((enum kind)k);
        test_sizes((enum kind)k);
        test_realloc((enum kind)k);
        test_zeroed((enum kind)k);
        test_realloc_realign((enum kind)k);
    }
    test_names();
    test_null_arguments();
    test_heap_stats();
    test_failing();
    return 0;
}
