/* SPDX-License-Identifier: MIT */
/* test/test_iobuf.c: iobufs (alignment, zeroing, refused arguments), the
 * registry (queries at every boundary, adjacent buffers, bad frees, several
 * threads at once), stages by direction, and an out-of-memory walk over both. */
#include "helpers.h"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

static size_t page_size(void) { return (size_t)sysconf(_SC_PAGESIZE); }

static bool is_aligned(const void *p, size_t a) { return ((uintptr_t)p & (a - 1)) == 0; }

/* p lies in buf, found as exactly buf. */
static void expect_found(const void *p, struct mr_region buf)
{
    struct mr_region got = { NULL, 0, 0 };
    ASSERT_OK(mr_iobuf_find(p, &got));
    ASSERT_PTR_EQ(got.ptr, buf.ptr);
    ASSERT_EQ(got.len, buf.len);
    ASSERT_EQ(got.flags, 0u);
    ASSERT_OK(mr_iobuf_find(p, NULL));
}

/* p is one past the end of a buffer: in no buffer, or (when an allocator put
 * two blocks back to back, as ThreadSanitizer's does) the start of another. */
static void expect_past_end(const void *p)
{
    struct mr_region got;
    int rc = mr_iobuf_find(p, &got);
    if (rc == 0)
        ASSERT_PTR_EQ(got.ptr, p);
    else
        ASSERT_ERR(rc, -ENOENT);
}

/* ---- buffers -------------------------------------------------------------- */

static void test_alignments(void)
{
    static const size_t sizes[] = { 1, 3, 100, 4096, 5000 };
    struct mr_failing f;
    mr_failing_init(&f, NULL, -1);

    for (size_t align = 1; align <= page_size(); align *= 2) {
        for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
            struct mr_region b, z;
            ASSERT_OK(mr_iobuf_alloc(mr_failing_allocator(&f), sizes[i], align, 0, &b));
            ASSERT_OK(mr_iobuf_alloc(mr_failing_allocator(&f), sizes[i], align, MR_IOBUF_ZERO, &z));
            ASSERT_EQ(b.len, sizes[i]);
            ASSERT_EQ(b.flags, 0u);
            ASSERT_TRUE(is_aligned(b.ptr, align));
            ASSERT_TRUE(is_aligned(z.ptr, align));
            ASSERT_ALL_BYTES(z.ptr, z.len, 0);
            /* Every byte is the caller's (ASan and valgrind check the ends). */
            mr_region_fill(b, 0xab);
            mr_region_fill(z, 0xcd);
            ASSERT_EQ(f.live_blocks, (size_t)4); /* two buffers, two registry nodes */

            expect_found(b.ptr, b);
            expect_found((char *)b.ptr + b.len / 2, b);
            expect_found((char *)b.ptr + b.len - 1, b);
            expect_found(z.ptr, z);
            expect_found((char *)z.ptr + z.len - 1, z);
            expect_past_end((char *)b.ptr + b.len);
            expect_past_end((char *)z.ptr + z.len);

            mr_iobuf_free(b);
            ASSERT_ERR(mr_iobuf_find(b.ptr, NULL), -ENOENT);
            expect_found(z.ptr, z);
            mr_iobuf_free(mr_region_ro(z)); /* the read-only flag does not matter */
            ASSERT_ERR(mr_iobuf_find(z.ptr, NULL), -ENOENT);
            ASSERT_EQ(f.live_blocks, (size_t)0);
        }
    }
    ASSERT_EQ(f.live_bytes, (size_t)0);
}

static void test_refused(void)
{
    const size_t bad_align[] = { 0, 3, 6, 12, 4095, page_size() * 2, (size_t)1 << 40, SIZE_MAX };
    struct mr_region out = { (void *)&out, 77, 0 };
    struct mr_failing f;
    mr_failing_init(&f, NULL, -1);
    struct mr_allocator *a = mr_failing_allocator(&f);

    for (size_t i = 0; i < sizeof bad_align / sizeof bad_align[0]; i++)
        ASSERT_ERR(mr_iobuf_alloc(a, 64, bad_align[i], 0, &out), -EINVAL);
    ASSERT_ERR(mr_iobuf_alloc(a, 0, 8, 0, &out), -EINVAL);
    ASSERT_ERR(mr_iobuf_alloc(a, 0, 8, MR_IOBUF_ZERO, &out), -EINVAL);
    ASSERT_ERR(mr_iobuf_alloc(a, 64, 8, 0x2, &out), -EINVAL);
    ASSERT_ERR(mr_iobuf_alloc(a, 64, 8, ~0u, &out), -EINVAL);
    ASSERT_ERR(mr_iobuf_alloc(a, 64, 8, 0, NULL), -EINVAL);
    ASSERT_EQ(f.attempts, (size_t)0); /* refused before allocating anything */

    /* Too big for any allocator: the node is allocated first, then given back. */
    ASSERT_ERR(mr_iobuf_alloc(a, (size_t)PTRDIFF_MAX + 1, 8, 0, &out), -E2BIG);
    ASSERT_EQ(f.live_blocks, (size_t)0);
    ASSERT_PTR_EQ(out.ptr, &out); /* untouched */
    ASSERT_EQ(out.len, (size_t)77);

    /* Nothing here is an iobuf. */
    int local;
    void *heap = malloc(16);
    ASSERT_TRUE(heap != NULL);
    ASSERT_ERR(mr_iobuf_find(NULL, &out), -ENOENT);
    ASSERT_ERR(mr_iobuf_find(&local, NULL), -ENOENT);
    ASSERT_ERR(mr_iobuf_find(heap, NULL), -ENOENT);
    ASSERT_ERR(mr_iobuf_find((void *)UINTPTR_MAX, NULL), -ENOENT);
    ASSERT_PTR_EQ(out.ptr, &out);
    free(heap);

    mr_iobuf_free(mr_region_make(NULL, 0)); /* an empty region is a no-op */
}

/* NULL means the heap. */
static void test_default_allocator(void)
{
    struct mr_region b;
    ASSERT_OK(mr_iobuf_alloc(NULL, 10000, 512, MR_IOBUF_ZERO, &b));
    ASSERT_TRUE(is_aligned(b.ptr, 512));
    ASSERT_ALL_BYTES(b.ptr, b.len, 0);
    expect_found((char *)b.ptr + 9999, b);
    mr_iobuf_free(b);
}

/* Buffers that touch: an allocator that hands out blocks of a page or more
 * back to back from one static area (and smaller ones, the registry's
 * nodes, from the heap), so that one buffer ends where the next begins. */
#define SPLIT_AREA (8 * 65536)
static _Alignas(65536) unsigned char split_area[SPLIT_AREA];
static size_t split_used;

static int split_alloc(struct mr_allocator *a, size_t size, size_t align, void **out)
{
    (void)a;
    if (size < page_size()) {
        struct mr_region r;
        int rc = mr_alloc(mr_heap(), size, align, &r);
        if (rc == 0)
            *out = r.ptr;
        return rc;
    }
    size_t at = (split_used + align - 1) & ~(align - 1);
    if (at + size > SPLIT_AREA)
        return -ENOMEM;
    split_used = at + size;
    *out = split_area + at;
    return 0;
}

static int split_resize(struct mr_allocator *a, void *p, size_t o, size_t n, size_t al, void **out)
{
    (void)a, (void)p, (void)o, (void)n, (void)al, (void)out;
    return -ENOMEM;
}

static void split_free(struct mr_allocator *a, void *p, size_t size)
{
    (void)a;
    if (size < page_size())
        mr_free(mr_heap(), mr_region_make(p, size));
}

static void split_stats(struct mr_allocator *a, struct mr_alloc_stats *st)
{
    (void)a, (void)st;
}

static const struct mr_allocator_ops split_ops = {
    "split", split_alloc, split_resize, split_free, split_stats,
};

static void test_adjacent(void)
{
    struct mr_allocator split = { &split_ops };
    struct mr_region b[3];
    size_t ps = page_size();

    for (int i = 0; i < 3; i++)
        ASSERT_OK(mr_iobuf_alloc(&split, ps + 8 * (size_t)i, 8, 0, &b[i]));
    ASSERT_PTR_EQ((char *)b[0].ptr + b[0].len, b[1].ptr);
    ASSERT_PTR_EQ((char *)b[1].ptr + b[1].len, b[2].ptr);
    for (int i = 0; i < 3; i++) {
        expect_found(b[i].ptr, b[i]);
        expect_found((char *)b[i].ptr + b[i].len - 1, b[i]);
    }
    ASSERT_ERR(mr_iobuf_find((char *)b[2].ptr + b[2].len, NULL), -ENOENT);
    ASSERT_ERR(mr_iobuf_find((char *)b[0].ptr - 1, NULL), -ENOENT);
    /* The middle one gone: its bytes are in no buffer, its neighbours' still are. */
    mr_iobuf_free(b[1]);
    ASSERT_ERR(mr_iobuf_find(b[1].ptr, NULL), -ENOENT);
    ASSERT_ERR(mr_iobuf_find((char *)b[1].ptr + b[1].len - 1, NULL), -ENOENT);
    expect_found((char *)b[0].ptr + b[0].len - 1, b[0]);
    expect_found(b[2].ptr, b[2]);
    mr_iobuf_free(b[0]);
    mr_iobuf_free(b[2]);
}

/* A registry of many buffers, freed in a scrambled order, checked against a
 * plain list after every free. */
static void test_many(void)
{
    enum { N = 40 };
    struct mr_region b[N];
    bool live[N];
    uint32_t rng = 12345;

    for (int i = 0; i < N; i++) {
        rng = rng * 1103515245u + 12345u;
        size_t size = 1 + (rng >> 8) % 3000;
        size_t align = (size_t)1 << ((rng >> 4) % 13);
        if (align > page_size())
            align = page_size();
        ASSERT_OK(mr_iobuf_alloc(NULL, size, align, 0, &b[i]));
        live[i] = true;
    }
    for (int k = 0; k < N; k++) {
        int victim = (k * 17 + 5) % N; /* 17 is prime to 40: a permutation */
        mr_iobuf_free(b[victim]);
        live[victim] = false;
        for (int i = 0; i < N; i++) {
            char *mid = (char *)b[i].ptr + b[i].len / 2;
            if (live[i])
                expect_found(mid, b[i]);
            else if (mr_iobuf_find(mid, NULL) == 0)
                mr_test_fail(__FILE__, __LINE__, "freed buffer %d still found", i);
        }
    }
}

struct bad_free {
    struct mr_region r;
};

static void free_in_child(void *arg)
{
    mr_iobuf_free(((struct bad_free *)arg)->r);
}

static void test_bad_free(void)
{
    struct mr_region b;
    ASSERT_OK(mr_iobuf_alloc(NULL, 256, 64, 0, &b));
    char local[16];

    /* The child machinery: a good free exits normally. */
    struct bad_free ok = { b };
    ASSERT_EQ(mr_test_in_child(free_in_child, &ok, SIGABRT), 0);

    const struct mr_region bad[] = {
        mr_region_make((char *)b.ptr + 1, 255), /* a sub-region */
        mr_region_make(b.ptr, 128),             /* the wrong length */
        mr_region_make(b.ptr, 257),
        MR_REGION_OF_ARRAY(local),              /* never an iobuf */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct bad_free bf = { bad[i] };
        int st = mr_test_in_child(free_in_child, &bf, SIGABRT);
        if (st != 1000 + SIGABRT)
            mr_test_fail(__FILE__, __LINE__, "bad free %zu: child ended with %d, want %d", i, st,
                         1000 + SIGABRT);
    }
    mr_iobuf_free(b);
    struct bad_free twice = { b };
    ASSERT_EQ(mr_test_in_child(free_in_child, &twice, SIGABRT), 1000 + SIGABRT);
}

/* ---- the registry under threads -------------------------------------------- */

#define NTHREADS 4

static struct mr_region shared_buf;
static unsigned long thread_rounds;

static void *registry_thread(void *arg)
{
    uintptr_t id = (uintptr_t)arg;
    uint32_t rng = (uint32_t)id * 2654435761u + 1;
    int on_stack;

    for (unsigned long i = 0; i < thread_rounds; i++) {
        struct mr_region b, got;
        rng = rng * 1103515245u + 12345u;
        size_t size = 1 + (rng >> 8) % 8192;
        size_t align = (size_t)1 << ((rng >> 3) % 13);
        if (align > page_size())
            align = page_size();
        if (mr_iobuf_alloc(NULL, size, align, (rng & 1) ? MR_IOBUF_ZERO : 0, &b) < 0 ||
            !is_aligned(b.ptr, align))
            return "alloc";
        memset(b.ptr, (int)id, b.len); /* a race on the buffer would show here */
        if (mr_iobuf_find((char *)b.ptr + size - 1, &got) < 0 || got.ptr != b.ptr ||
            got.len != size)
            return "find own";
        if (mr_iobuf_find(shared_buf.ptr, &got) < 0 || got.ptr != shared_buf.ptr)
            return "find shared";
        if (mr_iobuf_find(&on_stack, NULL) != -ENOENT)
            return "find stack";
        mr_iobuf_free(b);
    }
    return NULL;
}

static void test_threads(void)
{
    pthread_t t[NTHREADS];
    thread_rounds = mr_test_under_valgrind() ? 300 : 3000;
    ASSERT_OK(mr_iobuf_alloc(NULL, 1 << 16, 4096, 0, &shared_buf));
    for (uintptr_t i = 0; i < NTHREADS; i++)
        ASSERT_EQ(pthread_create(&t[i], NULL, registry_thread, (void *)(i + 1)), 0);
    for (int i = 0; i < NTHREADS; i++) {
        void *err;
        ASSERT_EQ(pthread_join(t[i], &err), 0);
        if (err)
            mr_test_fail(__FILE__, __LINE__, "thread %d: %s failed", i, (const char *)err);
    }
    mr_iobuf_free(shared_buf);
}

/* ---- stages ---------------------------------------------------------------- */

/* An aligned region is used as it is: same pointer, same length, and the
 * allocator (which would refuse anything) is never asked. */
static void test_stage_no_copy(void)
{
    struct mr_failing f;
    mr_failing_init(&f, NULL, 0);
    struct mr_allocator *a = mr_failing_allocator(&f);
    static const enum mr_io_dir dirs[] = { MR_IO_IN, MR_IO_OUT, MR_IO_INOUT };
    struct mr_region buf;
    ASSERT_OK(mr_iobuf_alloc(NULL, 8192, 4096, MR_IOBUF_ZERO, &buf));

    for (size_t d = 0; d < 3; d++) {
        for (size_t align = 1; align <= 4096; align *= 2) {
            struct mr_io_stage s;
            ASSERT_OK(mr_io_stage_prepare(&s, buf, align, dirs[d], a));
            ASSERT_FALSE(mr_io_stage_is_staged(&s));
            ASSERT_PTR_EQ(s.io.ptr, buf.ptr);
            ASSERT_EQ(s.io.len, buf.len);
            mr_region_fill(s.io, 0x5a);
            ASSERT_EQ(mr_io_stage_commit(&s, 100), (ssize_t)100);
            ASSERT_ALL_BYTES(buf.ptr, buf.len, 0x5a);
            ASSERT_EQ(s.io.len, (size_t)0);
        }
        /* A length that is a multiple of a small alignment only. */
        struct mr_io_stage s;
        struct mr_region part = mr_region_make((char *)buf.ptr + 512, 1024);
        ASSERT_OK(mr_io_stage_prepare(&s, part, 512, dirs[d], a));
        ASSERT_PTR_EQ(s.io.ptr, part.ptr);
        mr_io_stage_abort(&s);
        /* An empty region always fits. */
        ASSERT_OK(mr_io_stage_prepare(&s, mr_region_make(NULL, 0), 4096, dirs[d], a));
        ASSERT_EQ(s.io.len, (size_t)0);
        ASSERT_EQ(mr_io_stage_commit(&s, 0), (ssize_t)0);
        /* Also at a misaligned address: used as it is, its flags kept, and
         * nothing allocated (the failing allocator counts attempts). */
        struct mr_region empty = mr_region_make((char *)buf.ptr + 3, 0);
        if (dirs[d] == MR_IO_OUT)
            empty = mr_region_ro(empty);
        ASSERT_OK(mr_io_stage_prepare(&s, empty, 4096, dirs[d], a));
        ASSERT_FALSE(mr_io_stage_is_staged(&s));
        ASSERT_PTR_EQ(s.io.ptr, empty.ptr);
        ASSERT_EQ(s.io.len, (size_t)0);
        if (dirs[d] == MR_IO_OUT)
            ASSERT_TRUE(mr_region_is_ro(s.io));
        ASSERT_EQ(mr_io_stage_commit(&s, 0), (ssize_t)0);
    }
    /* Any alignment fits align 1; a read-only region may be written out. */
    char odd[7] = "abcdef";
    struct mr_io_stage s;
    ASSERT_OK(mr_io_stage_prepare(&s, mr_region_make_ro(odd + 1, 5), 1, MR_IO_OUT, a));
    ASSERT_PTR_EQ(s.io.ptr, odd + 1);
    ASSERT_TRUE(mr_region_is_ro(s.io));
    ASSERT_EQ(mr_io_stage_commit(&s, 5), (ssize_t)5);
    ASSERT_EQ(f.attempts, (size_t)0);
    mr_iobuf_free(buf);
}

/* A buffer at offset 3 of a larger block, so that its address is unaligned,
 * and bytes around it to prove nothing outside it is touched. */
struct user_buf {
    unsigned char *block;
    struct mr_region r;
};

static struct user_buf user_make(size_t len, size_t skew)
{
    struct user_buf u;
    u.block = malloc(len + 64);
    ASSERT_TRUE(u.block != NULL);
    memset(u.block, 0xee, len + 64);
    u.r = mr_region_make(u.block + 16 + skew, len);
    for (size_t i = 0; i < len; i++)
        ((unsigned char *)u.r.ptr)[i] = (unsigned char)(i * 7 + 1);
    return u;
}

static void user_check_guards(const struct user_buf *u, size_t skew)
{
    ASSERT_ALL_BYTES(u->block, 16 + skew, 0xee);
    for (size_t i = 16 + skew + u->r.len; i < u->r.len + 64; i++)
        ASSERT_EQ(u->block[i], 0xee);
}

static void test_stage_out(void)
{
    struct mr_failing f;
    mr_failing_init(&f, NULL, -1);
    /* Unaligned address, unaligned length, and both. */
    static const struct { size_t len, skew; } cases[] = { { 1000, 3 }, { 1000, 0 }, { 1024, 3 } };

    for (size_t c = 0; c < 3; c++) {
        for (int inout = 0; inout < 2; inout++) {
            struct user_buf u = user_make(cases[c].len, cases[c].skew);
            struct mr_io_stage s;
            /* Output may come from read-only memory; input may not. */
            ASSERT_OK(mr_io_stage_prepare(&s, inout ? u.r : mr_region_ro(u.r), 512,
                                          inout ? MR_IO_INOUT : MR_IO_OUT,
                                          mr_failing_allocator(&f)));
            ASSERT_TRUE(mr_io_stage_is_staged(&s));
            ASSERT_NE(s.io.ptr, u.r.ptr);
            ASSERT_TRUE(is_aligned(s.io.ptr, 512));
            ASSERT_EQ(s.io.len, (size_t)1024);
            ASSERT_FALSE(mr_region_is_ro(s.io));
            ASSERT_EQ(f.live_blocks, (size_t)1);
            /* The caller's bytes, then a zeroed tail. */
            ASSERT_MEM_EQ(s.io.ptr, u.r.ptr, u.r.len);
            struct mr_region tail;
            ASSERT_OK(mr_region_tail(s.io, u.r.len, &tail));
            ASSERT_ALL_BYTES(tail.ptr, tail.len, 0);

            /* The "device" overwrites the block; OUT copies nothing back. */
            mr_region_fill(s.io, 0x11);
            ssize_t n = mr_io_stage_commit(&s, 1024);
            ASSERT_EQ(n, (ssize_t)u.r.len); /* the tail is not the caller's */
            ASSERT_EQ(f.live_blocks, (size_t)0);
            unsigned char first = ((unsigned char *)u.r.ptr)[0];
            ASSERT_EQ(first, inout ? 0x11 : 1);
            user_check_guards(&u, cases[c].skew);
            free(u.block);
        }
    }
}

static void test_stage_in(void)
{
    struct mr_failing f;
    mr_failing_init(&f, NULL, -1);
    struct mr_allocator *a = mr_failing_allocator(&f);
    struct user_buf u = user_make(1000, 3);
    unsigned char orig[1000];
    memcpy(orig, u.r.ptr, sizeof orig);
    struct mr_io_stage s;

    /* A full transfer: the caller gets its 1000 bytes, the tail is dropped. */
    ASSERT_OK(mr_io_stage_prepare(&s, u.r, 4096, MR_IO_IN, a));
    ASSERT_TRUE(mr_io_stage_is_staged(&s));
    ASSERT_EQ(s.io.len, (size_t)4096);
    for (size_t i = 0; i < s.io.len; i++)
        ((unsigned char *)s.io.ptr)[i] = (unsigned char)(i ^ 0x3c);
    ASSERT_EQ(mr_io_stage_commit(&s, 4096), (ssize_t)1000);
    for (size_t i = 0; i < 1000; i++)
        ASSERT_EQ(((unsigned char *)u.r.ptr)[i], (unsigned char)(i ^ 0x3c));
    user_check_guards(&u, 3);

    /* A short transfer: only what came in is copied. */
    memcpy(u.r.ptr, orig, sizeof orig);
    ASSERT_OK(mr_io_stage_prepare(&s, u.r, 64, MR_IO_IN, a));
    ASSERT_EQ(s.io.len, (size_t)1024);
    mr_region_fill(s.io, 0x77);
    ASSERT_EQ(mr_io_stage_commit(&s, 10), (ssize_t)10);
    ASSERT_ALL_BYTES(u.r.ptr, 10, 0x77);
    ASSERT_MEM_EQ((char *)u.r.ptr + 10, orig + 10, 990);

    /* Zero bytes (end of file). */
    ASSERT_OK(mr_io_stage_prepare(&s, u.r, 64, MR_IO_IN, a));
    mr_region_fill(s.io, 0x99);
    ASSERT_EQ(mr_io_stage_commit(&s, 0), (ssize_t)0);
    ASSERT_EQ(((unsigned char *)u.r.ptr)[0], 0x77);

    /* More than the I/O region holds: refused, and the stage stays prepared. */
    ASSERT_OK(mr_io_stage_prepare(&s, u.r, 64, MR_IO_IN, a));
    mr_region_fill(s.io, 0x42);
    ASSERT_ERR(mr_io_stage_commit(&s, 1025), -ERANGE);
    ASSERT_ERR(mr_io_stage_commit(&s, (size_t)-1), -ERANGE);
    ASSERT_EQ(((unsigned char *)u.r.ptr)[0], 0x77);
    ASSERT_EQ(f.live_blocks, (size_t)1);
    ASSERT_EQ(mr_io_stage_commit(&s, 1024), (ssize_t)1000);
    ASSERT_EQ(((unsigned char *)u.r.ptr)[999], 0x42);

    /* Abort copies nothing back and frees the block. */
    ASSERT_OK(mr_io_stage_prepare(&s, u.r, 64, MR_IO_IN, a));
    mr_region_fill(s.io, 0x01);
    mr_io_stage_abort(&s);
    ASSERT_EQ(((unsigned char *)u.r.ptr)[0], 0x42);
    ASSERT_EQ(f.live_blocks, (size_t)0);

    /* Finished stages: commit refuses, abort is a no-op. */
    ASSERT_ERR(mr_io_stage_commit(&s, 0), -EINVAL);
    mr_io_stage_abort(&s);
    mr_io_stage_abort(NULL);
    ASSERT_ERR(mr_io_stage_commit(NULL, 0), -EINVAL);
    user_check_guards(&u, 3);
    free(u.block);
    ASSERT_EQ(f.live_blocks, (size_t)0);
}

static void test_stage_refused(void)
{
    struct mr_failing f;
    mr_failing_init(&f, NULL, -1);
    struct mr_allocator *a = mr_failing_allocator(&f);
    char buf[100];
    struct mr_region r = MR_REGION_OF_ARRAY(buf);
    struct mr_io_stage s;

    ASSERT_ERR(mr_io_stage_prepare(NULL, r, 64, MR_IO_IN, a), -EINVAL);
    ASSERT_ERR(mr_io_stage_prepare(&s, r, 64, (enum mr_io_dir)0, a), -EINVAL);
    ASSERT_ERR(mr_io_stage_commit(&s, 0), -EINVAL); /* a failed prepare leaves it finished */
    ASSERT_ERR(mr_io_stage_prepare(&s, r, 64, (enum mr_io_dir)4, a), -EINVAL);
    ASSERT_ERR(mr_io_stage_prepare(&s, r, 0, MR_IO_OUT, a), -EINVAL);
    ASSERT_ERR(mr_io_stage_prepare(&s, r, 48, MR_IO_OUT, a), -EINVAL);
    ASSERT_ERR(mr_io_stage_prepare(&s, r, page_size() * 2, MR_IO_OUT, a), -EINVAL);
    ASSERT_ERR(mr_io_stage_prepare(&s, mr_region_make(NULL, 8), 64, MR_IO_OUT, a), -EINVAL);
    ASSERT_ERR(mr_io_stage_prepare(&s, mr_region_ro(r), 64, MR_IO_IN, a), -EACCES);
    ASSERT_ERR(mr_io_stage_prepare(&s, mr_region_ro(r), 64, MR_IO_INOUT, a), -EACCES);
    /* Read-only and already aligned: still refused for input. */
    ASSERT_ERR(mr_io_stage_prepare(&s, mr_region_ro(r), 1, MR_IO_IN, a), -EACCES);
    mr_io_stage_abort(&s);
    ASSERT_EQ(f.attempts, (size_t)0);

    /* The allocator's refusal comes back as it is, and nothing is held. */
    struct mr_failing none;
    mr_failing_init(&none, NULL, 0);
    ASSERT_ERR(mr_io_stage_prepare(&s, r, 64, MR_IO_OUT, mr_failing_allocator(&none)), -ENOMEM);
    mr_io_stage_abort(&s);
    ASSERT_EQ(none.live_blocks, (size_t)0);
}

/* NULL means the heap. */
static void test_stage_default_allocator(void)
{
    struct user_buf u = user_make(300, 1);
    struct mr_io_stage s;
    ASSERT_OK(mr_io_stage_prepare(&s, u.r, 256, MR_IO_INOUT, NULL));
    ASSERT_TRUE(mr_io_stage_is_staged(&s));
    ASSERT_MEM_EQ(s.io.ptr, u.r.ptr, 300);
    ASSERT_EQ(mr_io_stage_commit(&s, 512), (ssize_t)300);
    free(u.block);
}

/* ---- out of memory --------------------------------------------------------- */

/* Three buffers, a staged prepare and commit, a staged abort. */
static int oom_scenario(struct mr_allocator *a)
{
    struct mr_region b[3] = { { 0 } };
    struct mr_io_stage s;
    char user[1000];
    int rc;

    memset(user, 1, sizeof user);
    if ((rc = mr_iobuf_alloc(a, 100, 1, 0, &b[0])) < 0)
        goto out;
    if ((rc = mr_iobuf_alloc(a, 5000, 4096, MR_IOBUF_ZERO, &b[1])) < 0)
        goto out;
    if ((rc = mr_iobuf_alloc(a, 64, 64, 0, &b[2])) < 0)
        goto out;
    if ((rc = mr_io_stage_prepare(&s, mr_region_make(user + 1, 999), 512, MR_IO_INOUT, a)) < 0)
        goto out;
    if ((rc = (int)mr_io_stage_commit(&s, 512)) < 0)
        goto out;
    if ((rc = mr_io_stage_prepare(&s, mr_region_make(user, 999), 512, MR_IO_IN, a)) < 0)
        goto out;
    mr_io_stage_abort(&s);
    rc = 0;
out:
    for (int i = 0; i < 3; i++)
        mr_iobuf_free(b[i]);
    return rc;
}

static void test_oom(void)
{
    /* Two blocks per buffer (the node and the buffer) and one per stage. */
    ASSERT_EQ(mr_test_oom_walk("iobuf", oom_scenario, 0, 8, 100), 8);
}

int main(void)
{
    test_alignments();
    test_refused();
    test_default_allocator();
    test_adjacent();
    test_many();
    test_bad_free();
    test_threads();
    test_stage_no_copy();
    test_stage_out();
    test_stage_in();
    test_stage_refused();
    test_stage_default_allocator();
    test_oom();
    return 0;
}
