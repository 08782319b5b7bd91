/* SPDX-License-Identifier: MIT */
/* test/test_pages.c: the pages allocator: flags, blocks of many sizes at every
 * alignment with and without a guard page (aligned, zeroed, usable, exact
 * usage figures), the guard page faulting, a wrong free aborting, realloc,
 * and destroy unmapping the blocks still live. */
#include "helpers.h"

#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

static size_t ps; /* the page size */

/* Valgrind reports msync on unmapped memory as an error; mincore gives the
 * same answer (ENOMEM for a range that is not mapped) without one. */

/* 0 if every page of [p, p + len) is mapped, else -errno (ENOMEM: some page is not). */
static int mapped(const void *p, size_t len)
{
    void *page = (void *)((uintptr_t)p & ~(uintptr_t)(ps - 1));
    len += (uintptr_t)p - (uintptr_t)page;
    if (mr_test_under_valgrind()) {
        static unsigned char vec[1024];
        if ((len + ps - 1) / ps > sizeof vec)
            mr_test_fail(__FILE__, __LINE__, "mapped(): range too long for mincore");
        return mincore(page, len, vec) == 0 ? 0 : -errno;
    }
    return msync(page, len, MS_ASYNC) == 0 ? 0 : -errno;
}

static struct mr_alloc_stats stats_of(struct mr_pages *p)
{
    struct mr_alloc_stats s;
    memset(&s, 0xa5, sizeof s);
    mr_alloc_stats(mr_pages_allocator(p), &s);
    return s;
}

#define ASSERT_STATS(p, total_, used_, blocks_)                                 \
    do {                                                                        \
        struct mr_alloc_stats s_ = stats_of(p);                                 \
        ASSERT_EQ(s_.total, (size_t)(total_));                                  \
        ASSERT_EQ(s_.used, (size_t)(used_));                                    \
        ASSERT_EQ(s_.free, (size_t)0);                                          \
        ASSERT_EQ(s_.blocks, (size_t)(blocks_));                                \
        ASSERT_GE(s_.largest, (size_t)PTRDIFF_MAX - 4 * ps);                    \
    } while (0)

/* The first nonzero byte of r, or r.len. */
static size_t first_nonzero(struct mr_region r)
{
    static const unsigned char zero[4096];
    const unsigned char *p = r.ptr;
    size_t i = 0;
    while (i < r.len) {
        size_t n = r.len - i < sizeof zero ? r.len - i : sizeof zero;
        if (memcmp(p + i, zero, n) != 0)
            break;
        i += n;
    }
    while (i < r.len && p[i] == 0)
        i++;
    return i;
}

static size_t round_up(size_t x, size_t a) { return (x + a - 1) / a * a; }

static uintptr_t page_of(uintptr_t x) { return x & ~(uintptr_t)(ps - 1); }

/* The header in front of each block: how far a block of alignment 1 without a
 * guard page lies from the start of its mapping. Measured once. */
static size_t hdr;

/* The bytes a block maps, from the layout the header promises: without a
 * guard the block follows the header (at its alignment); with one it ends
 * as close to the guard as its alignment allows, the header in front. */
static size_t expected_map(size_t size, size_t align, bool guard)
{
    if (!guard)
        return round_up(round_up(hdr, align) + size, ps);
    size_t slack = (align - size % align) % align;
    return round_up(hdr + slack + size, ps) + ps;
}

static struct mr_pages *make_pages(struct mr_failing *f, unsigned flags)
{
    struct mr_pages *p = NULL;
    ASSERT_OK(mr_pages_create(f ? &f->base : NULL, flags, &p));
    ASSERT_TRUE(p != NULL);
    return p;
}

static struct mr_region must_alloc(struct mr_pages *p, size_t size, size_t align)
{
    struct mr_region r = mr_test_sentinel();
    ASSERT_OK(mr_alloc(mr_pages_allocator(p), size, align, &r));
    ASSERT_TRUE(r.ptr != NULL);
    ASSERT_EQ(r.len, size);
    ASSERT_EQ(r.flags, 0u);
    ASSERT_ALIGNED(r.ptr, align);
    return r;
}

/* ---- creation ------------------------------------------------------------- */

static void test_create(void)
{
    struct mr_failing f;
    mr_failing_init(&f, NULL, -1);
    struct mr_pages *const untouched = (struct mr_pages *)&f;
    struct mr_pages *p = untouched;

    const unsigned bad[] = { 2, 3, 4, 0x80u, 0x100u, MR_PAGES_GUARD | 0x8000u, 0x80000000u, ~0u };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ASSERT_ERR(mr_pages_create(&f.base, bad[i], &p), -EINVAL);
        ASSERT_ERR(mr_pages_create(NULL, bad[i], &p), -EINVAL);
    }
    ASSERT_ERR(mr_pages_create(&f.base, 0, NULL), -EINVAL);
    ASSERT_ERR(mr_pages_create(&f.base, MR_PAGES_GUARD, NULL), -EINVAL);
    ASSERT_PTR_EQ(p, untouched);
    ASSERT_EQ(f.attempts, (size_t)0);

    struct mr_failing none;
    mr_failing_init(&none, NULL, 0);
    ASSERT_ERR(mr_pages_create(&none.base, 0, &p), -ENOMEM);
    ASSERT_ERR(mr_pages_create(&none.base, MR_PAGES_GUARD, &p), -ENOMEM);
    ASSERT_PTR_EQ(p, untouched);
    ASSERT_EQ(none.live_blocks, (size_t)0);

    for (unsigned flags = 0; flags <= MR_PAGES_GUARD; flags++) {
        p = make_pages(&f, flags);
        ASSERT_STR_EQ(mr_alloc_name(mr_pages_allocator(p)), "pages");
        ASSERT_EQ(f.live_blocks, (size_t)1);
        ASSERT_STATS(p, 0, 0, 0);
        mr_pages_destroy(p);
        ASSERT_EQ(f.live_blocks, (size_t)0);
        ASSERT_EQ(f.live_bytes, (size_t)0);
    }
    p = make_pages(NULL, 0); /* the heap */
    mr_pages_destroy(p);
    mr_pages_destroy(NULL);
}

/* The header: measured, and as documented. */
static void test_header(void)
{
    struct mr_pages *p = make_pages(NULL, 0);
    struct mr_region r = must_alloc(p, 1, 1);
    hdr = (uintptr_t)r.ptr & (ps - 1);
    /* Five words: magic, two links, mapping length, size. */
    ASSERT_EQ(hdr, sizeof(uint64_t) + 2 * sizeof(void *) + 2 * sizeof(size_t));
    if (sizeof(void *) == 8)
        ASSERT_EQ(hdr, (size_t)40);
    ASSERT_STATS(p, ps, 1, 1);
    mr_free(mr_pages_allocator(p), r);
    ASSERT_STATS(p, 0, 0, 0);
    mr_pages_destroy(p);
}

/* ---- blocks of every size and alignment ----------------------------------- */

static void check_layout(struct mr_region r, size_t align, bool guard, size_t map)
{
    uintptr_t start = (uintptr_t)r.ptr, end = start + r.len;
    uintptr_t base = page_of(start - hdr); /* the mapping starts with the header */
    ASSERT_GE(start - base, hdr);
    if (guard) {
        uintptr_t g = round_up(end, ps);
        ASSERT_LT(g - end, align);        /* as close to the guard as the alignment allows */
        if (align == 1)
            ASSERT_EQ(g, end);
        ASSERT_EQ(g + ps - base, map);
        ASSERT_OK(mapped((void *)base, g - base));
    } else {
        ASSERT_EQ(start - base, round_up(hdr, align));
        ASSERT_EQ(round_up(end, ps) - base, map);
        ASSERT_OK(mapped((void *)base, map));
    }
}

static void test_sizes(void)
{
    const size_t sizes[] = { 1, 100, 4095, 4096, 4097, 1u << 20, ps - 32, ps - 40, ps - 41, ps - 48,
                             2 * ps - 40, 3 * ps + 1 };
    enum { NS = sizeof sizes / sizeof sizes[0] };
    struct mr_failing f;
    mr_failing_init(&f, NULL, -1);

    for (unsigned flags = 0; flags <= MR_PAGES_GUARD; flags++) {
        bool guard = flags & MR_PAGES_GUARD;
        struct mr_pages *p = make_pages(&f, flags);
        for (size_t align = 1; align <= 4096 && align <= ps; align <<= 1) {
            struct mr_region r[NS];
            size_t total = 0, used = 0;
            for (size_t i = 0; i < NS; i++) {
                r[i] = must_alloc(p, sizes[i], align);
                size_t map = expected_map(sizes[i], align, guard);
                total += map;
                used += sizes[i];
                ASSERT_STATS(p, total, used, i + 1);
                check_layout(r[i], align, guard, map);
                size_t nz = first_nonzero(r[i]);
                if (nz != r[i].len)
                    mr_test_fail(__FILE__, __LINE__, "size %zu align %zu guard %d: byte %zu not zero",
                                 sizes[i], align, guard, nz);
                mr_test_fill(r[i], (unsigned)(i + align));
            }
            for (size_t i = 0; i < NS; i++)
                ASSERT_FILLED(r[i], (unsigned)(i + align));
            /* Free from the middle, the newest, the oldest, then the rest. */
            const size_t order[NS] = { 5, NS - 1, 0, 1, 2, 3, 4, 6, 7, 8, 9, 10 };
            for (size_t k = 0; k < NS; k++) {
                size_t i = order[k];
                ASSERT_FILLED(r[i], (unsigned)(i + align));
                mr_free(mr_pages_allocator(p), r[i]);
                total -= expected_map(sizes[i], align, guard);
                used -= sizes[i];
                ASSERT_STATS(p, total, used, NS - k - 1);
            }
        }
        /* Zeroed through mr_alloc_zeroed too, and size 0 is empty. */
        struct mr_region z = mr_test_sentinel();
        ASSERT_OK(mr_alloc_zeroed(mr_pages_allocator(p), 5000, 64, &z));
        ASSERT_EQ(first_nonzero(z), z.len);
        struct mr_region e = mr_test_sentinel();
        ASSERT_OK(mr_alloc(mr_pages_allocator(p), 0, 64, &e));
        ASSERT_TRUE(e.ptr == NULL);
        ASSERT_EQ(e.len, (size_t)0);
        ASSERT_STATS(p, expected_map(5000, 64, guard), 5000, 1);
        mr_free(mr_pages_allocator(p), z);
        mr_free(mr_pages_allocator(p), e);
        ASSERT_STATS(p, 0, 0, 0);
        mr_pages_destroy(p);
        ASSERT_EQ(f.live_blocks, (size_t)0);
    }
}

static void test_errors(void)
{
    for (unsigned flags = 0; flags <= MR_PAGES_GUARD; flags++) {
        struct mr_pages *p = make_pages(NULL, flags);
        struct mr_allocator *al = mr_pages_allocator(p);
        struct mr_region keep = must_alloc(p, 10, 8);
        struct mr_alloc_stats s = stats_of(p);
        struct mr_region r = mr_test_sentinel();
        const size_t bad_align[] = { 0, 3, 6, 100, ps + 1, 2 * ps, SIZE_MAX };
        for (size_t i = 0; i < sizeof bad_align / sizeof bad_align[0]; i++)
            ASSERT_ERR(mr_alloc(al, 10, bad_align[i], &r), -EINVAL);
        ASSERT_ERR(mr_alloc(al, SIZE_MAX, 1, &r), -E2BIG);
        ASSERT_ERR(mr_alloc(al, (size_t)PTRDIFF_MAX + 1, 1, &r), -E2BIG);
        ASSERT_ERR(mr_alloc(al, (size_t)PTRDIFF_MAX, 1, &r), -E2BIG);
        ASSERT_ERR(mr_alloc(al, (size_t)PTRDIFF_MAX - ps, ps, &r), -E2BIG);
        /* stats.largest is possible in principle: out of memory now, not too
         * big. (Valgrind's mmap refuses such a length with EINVAL.) */
        for (size_t align = 1; align <= ps; align *= ps) {
            int rc = mr_alloc(al, s.largest, align, &r);
            if (mr_test_under_valgrind()) {
                ASSERT_LT(rc, 0);
                ASSERT_NE(rc, -E2BIG);
            } else {
                ASSERT_ERR(rc, -ENOMEM);
            }
        }
        ASSERT_REGION_EQ(r, mr_test_sentinel());
        ASSERT_STATS(p, s.total, s.used, s.blocks);
        mr_free(al, keep);
        mr_pages_destroy(p);
    }
}

/* ---- the guard page ------------------------------------------------------- */

static void write_byte(void *arg)
{
    *(volatile unsigned char *)arg = 0x5a;
    if (*(volatile unsigned char *)arg != 0x5a)
        _exit(3);
}

static void read_byte(void *arg)
{
    volatile unsigned char c = *(volatile unsigned char *)arg;
    (void)c;
}

static void test_guard(void)
{
    struct mr_failing f;
    mr_failing_init(&f, NULL, -1);
    struct mr_pages *p = make_pages(&f, MR_PAGES_GUARD);

    /* Alignment 1: the byte just past the end is the guard's first. */
    const size_t sizes[] = { 1, 100, ps - 1, ps, ps + 1 };
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        struct mr_region r = must_alloc(p, sizes[i], 1);
        unsigned char *b = r.ptr;
        ASSERT_EQ(mr_test_in_child(write_byte, b + r.len - 1, SIGSEGV), 0);
        ASSERT_EQ(mr_test_in_child(write_byte, b, SIGSEGV), 0);
        ASSERT_EQ(mr_test_in_child(write_byte, b + r.len, SIGSEGV), 1000 + SIGSEGV);
        ASSERT_EQ(mr_test_in_child(read_byte, b + r.len, SIGSEGV), 1000 + SIGSEGV);
        mr_free(mr_pages_allocator(p), r);
    }

    /* Alignment 16, size 100: the block ends 12 bytes before the guard, and
     * the page after the one holding its last byte faults. */
    struct mr_region r = must_alloc(p, 100, 16);
    uintptr_t end = (uintptr_t)r.ptr + r.len;
    uintptr_t next_page = page_of(end - 1) + ps;
    ASSERT_EQ(next_page - end, (uintptr_t)12);
    ASSERT_EQ(mr_test_in_child(write_byte, (char *)r.ptr + 99, SIGSEGV), 0);
    ASSERT_EQ(mr_test_in_child(write_byte, (void *)(end + 11), SIGSEGV), 0); /* slack: mapped */
    ASSERT_EQ(mr_test_in_child(write_byte, (void *)next_page, SIGSEGV), 1000 + SIGSEGV);
    ASSERT_EQ(mr_test_in_child(write_byte, (void *)(next_page + ps - 1), SIGSEGV), 1000 + SIGSEGV);
    mr_free(mr_pages_allocator(p), r);

    /* Every alignment: the page after the block's last byte is the guard. */
    for (size_t align = 2; align <= 4096 && align <= ps; align <<= 1) {
        r = must_alloc(p, 100, align);
        end = (uintptr_t)r.ptr + r.len;
        next_page = page_of(end - 1) + ps;
        ASSERT_LT(next_page - end, align);
        ASSERT_EQ(mr_test_in_child(write_byte, (void *)(end - 1), SIGSEGV), 0);
        ASSERT_EQ(mr_test_in_child(write_byte, (void *)next_page, SIGSEGV), 1000 + SIGSEGV);
        mr_free(mr_pages_allocator(p), r);
    }
    ASSERT_STATS(p, 0, 0, 0);
    mr_pages_destroy(p);
    ASSERT_EQ(f.live_blocks, (size_t)0);
}

/* ---- a wrong free aborts -------------------------------------------------- */

struct bad_free {
    struct mr_pages *pages;
    struct mr_region r;
};

static void free_in_child(void *arg)
{
    struct bad_free *bf = arg;
    mr_free(mr_pages_allocator(bf->pages), bf->r);
}

static void test_bad_free_aborts(void)
{
    for (unsigned flags = 0; flags <= MR_PAGES_GUARD; flags++) {
        struct mr_pages *p = make_pages(NULL, flags);
        struct mr_region r = must_alloc(p, 100, 16);
        struct bad_free ok = { p, r };
        ASSERT_EQ(mr_test_in_child(free_in_child, &ok, SIGABRT), 0);

        const struct mr_region bad[] = {
            mr_region_make(r.ptr, 99),
            mr_region_make(r.ptr, 101),
            mr_region_make(r.ptr, 4096),
            mr_region_make((char *)r.ptr + 8, 92), /* a sub-region */
        };
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
            struct bad_free bf = { p, bad[i] };
            int st = mr_test_in_child(free_in_child, &bf, SIGABRT);
            if (st != 1000 + SIGABRT)
                mr_test_fail(__FILE__, __LINE__, "flags %u, bad free %zu: child ended with %d, want %d",
                             flags, i, st, 1000 + SIGABRT);
        }

        /* Memory that is not a block of this allocator at all. */
        void *foreign = NULL;
        ASSERT_EQ(posix_memalign(&foreign, ps, 2 * ps), 0);
        memset(foreign, 0, 2 * ps);
        struct bad_free bf = { p, mr_region_make((char *)foreign + ps + 64, 100) };
        ASSERT_EQ(mr_test_in_child(free_in_child, &bf, SIGABRT), 1000 + SIGABRT);
        free(foreign);

        ASSERT_STATS(p, expected_map(100, 16, flags), 100, 1);
        mr_free(mr_pages_allocator(p), r);
        ASSERT_STATS(p, 0, 0, 0);
        mr_pages_destroy(p);
    }
}

/* ---- realloc -------------------------------------------------------------- */

static void test_realloc(void)
{
    struct mr_failing f;
    mr_failing_init(&f, NULL, -1);
    for (unsigned flags = 0; flags <= MR_PAGES_GUARD; flags++) {
        bool guard = flags & MR_PAGES_GUARD;
        struct mr_pages *p = make_pages(&f, flags);
        struct mr_allocator *al = mr_pages_allocator(p);

        struct mr_region r = must_alloc(p, 100, 16);
        mr_test_fill(r, 1);
        void *old = r.ptr;
        size_t old_map = expected_map(100, 16, guard);
        uintptr_t old_base = page_of((uintptr_t)old - hdr);

        /* Grow: content kept, the rest zero, the old mapping gone. */
        ASSERT_OK(mr_realloc(al, &r, 10000, 16));
        ASSERT_EQ(r.len, (size_t)10000);
        ASSERT_ALIGNED(r.ptr, 16);
        ASSERT_FILLED_N(r, 1, 100);
        struct mr_region tail = { (char *)r.ptr + 100, r.len - 100, 0 };
        ASSERT_EQ(first_nonzero(tail), tail.len);
        ASSERT_STATS(p, expected_map(10000, 16, guard), 10000, 1);
        check_layout(r, 16, guard, expected_map(10000, 16, guard));
        ASSERT_ERR(mapped((void *)old_base, old_map), -ENOMEM);
        mr_test_fill(r, 2);

        /* Shrink: the first bytes kept. */
        old = r.ptr;
        ASSERT_OK(mr_realloc(al, &r, 50, 16));
        ASSERT_EQ(r.len, (size_t)50);
        ASSERT_FILLED(r, 2);
        ASSERT_STATS(p, expected_map(50, 16, guard), 50, 1);
        check_layout(r, 16, guard, expected_map(50, 16, guard));
        ASSERT_ERR(mapped((void *)page_of((uintptr_t)old - hdr), ps), -ENOMEM);

        /* Same size: nothing moves. */
        old = r.ptr;
        ASSERT_OK(mr_realloc(al, &r, 50, 16));
        ASSERT_PTR_EQ(r.ptr, old);
        ASSERT_STATS(p, expected_map(50, 16, guard), 50, 1);

        /* Too big: -E2BIG, nothing changes. */
        struct mr_region saved = r;
        ASSERT_ERR(mr_realloc(al, &r, (size_t)PTRDIFF_MAX, 16), -E2BIG);
        ASSERT_ERR(mr_realloc(al, &r, SIZE_MAX, 16), -E2BIG);
        ASSERT_ERR(mr_realloc(al, &r, 100, 3), -EINVAL);
        ASSERT_REGION_EQ(r, saved);
        ASSERT_FILLED(r, 2);
        ASSERT_STATS(p, expected_map(50, 16, guard), 50, 1);

        /* Alignment 4096, across page counts. */
        ASSERT_OK(mr_realloc(al, &r, 3 * ps + 7, 4096 <= ps ? 4096 : ps));
        ASSERT_FILLED_N(r, 2, 50);
        ASSERT_ALIGNED(r.ptr, 4096 <= ps ? 4096 : ps);

        /* To 0: freed. From empty: allocates. */
        ASSERT_OK(mr_realloc(al, &r, 0, 16));
        ASSERT_TRUE(r.ptr == NULL);
        ASSERT_EQ(r.len, (size_t)0);
        ASSERT_STATS(p, 0, 0, 0);
        ASSERT_OK(mr_realloc(al, &r, 77, 8));
        ASSERT_EQ(r.len, (size_t)77);
        ASSERT_EQ(first_nonzero(r), r.len);
        ASSERT_STATS(p, expected_map(77, 8, guard), 77, 1);
        mr_free(al, r);
        mr_pages_destroy(p);
    }
    ASSERT_EQ(f.live_blocks, (size_t)0);
}

/* ---- destroy -------------------------------------------------------------- */

static void test_destroy(void)
{
    struct mr_failing f;
    mr_failing_init(&f, NULL, -1);
    for (unsigned flags = 0; flags <= MR_PAGES_GUARD; flags++) {
        bool guard = flags & MR_PAGES_GUARD;
        struct mr_pages *p = make_pages(&f, flags);
        enum { N = 12 };
        struct mr_region r[N];
        uintptr_t base[N];
        size_t map[N];
        for (size_t i = 0; i < N; i++) {
            size_t size = 1 + i * 1500, align = (size_t)1 << (i % 13);
            if (align > ps)
                align = ps;
            r[i] = must_alloc(p, size, align);
            mr_test_fill(r[i], (unsigned)i);
            base[i] = page_of((uintptr_t)r[i].ptr - hdr);
            map[i] = expected_map(size, align, guard);
            ASSERT_OK(mapped((void *)base[i], map[i] - (guard ? ps : 0)));
        }
        /* Some freed first: the live list loses its head, tail and middle. */
        mr_free(mr_pages_allocator(p), r[N - 1]);
        mr_free(mr_pages_allocator(p), r[0]);
        mr_free(mr_pages_allocator(p), r[5]);
        ASSERT_EQ(stats_of(p).blocks, (size_t)(N - 3));
        for (size_t i = 1; i < N - 1; i++)
            if (i != 5)
                ASSERT_FILLED(r[i], (unsigned)i);
        ASSERT_EQ(f.live_blocks, (size_t)1);

        mr_pages_destroy(p);
        ASSERT_EQ(f.live_blocks, (size_t)0);
        ASSERT_EQ(f.live_bytes, (size_t)0);
        for (size_t i = 0; i < N; i++) {
            for (size_t off = 0; off < map[i]; off += ps) {
                int rc = mapped((void *)(base[i] + off), ps);
                if (rc != -ENOMEM)
                    mr_test_fail(__FILE__, __LINE__, "flags %u block %zu: page %zu of %zu still mapped (%d)",
                                 flags, i, off / ps, map[i] / ps, rc);
            }
        }
    }
}

int main(void)
{
    ps = (size_t)sysconf(_SC_PAGESIZE);
    test_create();
    test_header();
    test_sizes();
    test_errors();
    test_guard();
    test_bad_free_aborts();
    test_realloc();
    test_destroy();
    return 0;
}
