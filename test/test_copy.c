/* SPDX-License-Identifier: MIT */
/* test/test_copy.c: mr__copy (src/copy.c) gives memcpy's result, and so
 * does each copy code this CPU runs (portable, sse2, avx2) on its own
 * (mr__copy_kernel) and inside mr__copy: every size from 0 to 300 bytes at
 * every distance
 * (dst - src) mod 4096 in 0..130 and 3966..4095, from misaligned sources
 * and from sources that end (or start) at the end (start) of their block,
 * so that ASan and valgrind see any read past the source; sizes 4096k +-64
 * up to 1 MiB at the distances that matter. The bytes just before and after
 * the destination must stay untouched. And the hook's refusals. */
#include "copy_internal.h"
#include "helpers.h"

#include <stdint.h>

static const char *const kernel_names[] = { "portable", "sse2", "avx2" };

#define MAX_N (((size_t)1 << 20) + 64)
#define GUARD 64
#define SENTINEL 0xa5
#define PAGE ((size_t)4096)
/* MAX_N + 3 pages, rounded up to a page as aligned_alloc requires. */
#define DST_LEN (((size_t)1 << 20) + 4 * PAGE)

static unsigned char *src_buf; /* MAX_N + PAGE bytes, never SENTINEL */
static size_t src_len;
static unsigned char *dst_buf; /* DST_LEN bytes, SENTINEL between copies */
static const char *what; /* the copy under test, for failure messages */

typedef void (*copy_fn)(void *restrict dst, const void *restrict src, size_t n);
static copy_fn copy;

static void copy_inline(void *restrict dst, const void *restrict src, size_t n)
{
    mr__copy(dst, src, n);
}

/* One copy of n bytes from s to the destination (dst - s) mod 4096 == d
 * bytes past it, checked, then the destination's bytes put back. */
static void one(const unsigned char *s, size_t n, size_t d)
{
    unsigned char *base = dst_buf + PAGE; /* page-aligned, a page of room before it */
    unsigned char *dst = base + (((uintptr_t)s + d) & (PAGE - 1));
    copy(dst, s, n);
    size_t bad = n == 0 || memcmp(dst, s, n) == 0 ? n : mr_test_first_diff(dst, s, n);
    size_t before = mr_test_first_not(dst - GUARD, GUARD, SENTINEL);
    size_t after = mr_test_first_not(dst + n, GUARD, SENTINEL);
    if (bad != n || before != GUARD || after != GUARD)
        mr_test_fail(__FILE__, __LINE__,
                     "%s (%s), %zu bytes, distance %zu, source %% 64 = %zu: "
                     "first wrong byte %zd, guard before %s, guard after %s",
                     what, mr__copy_impl(), n, d,
                     (size_t)((uintptr_t)s & 63), bad == n ? (ssize_t)-1 : (ssize_t)bad,
                     before == GUARD ? "intact" : "written", after == GUARD ? "intact" : "written");
    memset(dst, SENTINEL, n);
}

static bool small_distance(size_t d)
{
    return d <= 130 || d >= PAGE - 130;
}

/* Every size to 300 at every small distance, the source's alignment
 * varying with both. */
static void test_small(void)
{
    for (size_t d = 0; d < PAGE; d++) {
        if (!small_distance(d))
            continue;
        for (size_t n = 0; n <= 300; n++)
            one(src_buf + (n * 7 + d * 3) % 64, n, d);
    }
}

/* The source at the very start and the very end of its block. */
static void test_edges(void)
{
    for (size_t n = 0; n <= 300; n++) {
        one(src_buf, n, (n * 13) % 131);
        one(src_buf + src_len - n, n, PAGE - 1 - (n * 13) % 131);
        one(src_buf + src_len - n, n, 8);
    }
}

/* Around every step of 4 KiB where the channel's cliff was, up to 1 MiB:
 * every 4096k-64 .. 4096k+64 for the first pages, a few beyond. */
static void test_large(void)
{
    static const size_t few_k[] = { 1, 2, 3, 4 };
    static const size_t many_k[] = { 8, 16, 64, 255, 256 };
    static const size_t dists[] = { 0, 1, 8, 63, 64, 4032, 4088, 4095 };
    static const long deltas[] = { -64, -8, -1, 0, 1, 8, 64 };

    for (size_t ki = 0; ki < MR_TEST_COUNT(few_k); ki++)
        for (long delta = -64; delta <= 64; delta++)
            for (size_t di = 0; di < MR_TEST_COUNT(dists); di++) {
                size_t n = (size_t)((long)(PAGE * few_k[ki]) + delta);
                one(src_buf + (di * 5 + (size_t)(delta + 64)) % 64, n, dists[di]);
            }
    /* Under valgrind the largest sizes take minutes: every size up to 64
     * pages, then 1 MiB itself at distance 8. */
    bool slow = mr_test_under_valgrind();
    for (size_t ki = 0; ki < MR_TEST_COUNT(many_k); ki++) {
        if (slow && many_k[ki] > 64 && many_k[ki] != 256)
            continue;
        for (size_t xi = 0; xi < MR_TEST_COUNT(deltas); xi++)
            for (size_t di = 0; di < MR_TEST_COUNT(dists); di++) {
                if (slow && (many_k[ki] == 256 ? dists[di] != 8 || deltas[xi] != 0 : di % 2))
                    continue;
                size_t n = (size_t)((long)(PAGE * many_k[ki]) + deltas[xi]);
                one(src_buf + (di * 7 + xi) % 64, n, dists[di]);
            }
    }
}

static void all_cases(copy_fn f, const char *name)
{
    copy = f;
    what = name;
    /* Nothing to copy: any pointer, even NULL. */
    f(NULL, NULL, 0);
    f(dst_buf, NULL, 0);
    test_small();
    test_edges();
    test_large();
}

/* Each copy code alone, and inside mr__copy where memcpy would be slow. */
static void test_kernels(void)
{
    size_t ran = 0;
    for (size_t k = 0; k < MR_TEST_COUNT(kernel_names); k++) {
        int rc = mr__copy_force(kernel_names[k]);
        if (rc == -ENOTSUP) {
            mr_test_skip_case(kernel_names[k], "this CPU or build lacks the instructions it needs");
            continue;
        }
        ASSERT_OK(rc);
        ASSERT_STR_EQ(mr__copy_impl(), kernel_names[k]);
        ran++;
        all_cases(mr__copy_kernel, "mr__copy_kernel");
        copy = copy_inline;
        what = "mr__copy";
        test_large();
    }
    ASSERT_GE(ran, (size_t)1);
    ASSERT_OK(mr__copy_force(NULL));
}

/* The normal choice, every case. */
static void test_copy(void)
{
    ASSERT_OK(mr__copy_force(NULL));
    all_cases(copy_inline, "mr__copy");
}

static void test_force(void)
{
    ASSERT_OK(mr__copy_force(NULL));
    const char *best = mr__copy_impl();
#if defined(__x86_64__)
    ASSERT_STR_EQ(best, __builtin_cpu_supports("avx2") ? "avx2" : "sse2");
    ASSERT_OK(mr__copy_force("sse2"));
    ASSERT_STR_EQ(mr__copy_impl(), "sse2");
#else
    ASSERT_STR_EQ(best, "portable");
    ASSERT_ERR(mr__copy_force("sse2"), -ENOTSUP);
    ASSERT_ERR(mr__copy_force("avx2"), -ENOTSUP);
#endif
    ASSERT_OK(mr__copy_force("portable"));
    ASSERT_STR_EQ(mr__copy_impl(), "portable");
    /* A refused name changes nothing. */
    ASSERT_ERR(mr__copy_force("avx9"), -EINVAL);
    ASSERT_ERR(mr__copy_force(""), -EINVAL);
    ASSERT_STR_EQ(mr__copy_impl(), "portable");
    ASSERT_OK(mr__copy_force(NULL));
    ASSERT_STR_EQ(mr__copy_impl(), best);
}

int main(void)
{
    src_len = MAX_N + PAGE;
    src_buf = malloc(src_len);
    dst_buf = aligned_alloc(PAGE, DST_LEN);
    ASSERT_TRUE(src_buf != NULL && dst_buf != NULL);
    uint64_t rng = 14;
    for (size_t i = 0; i < src_len; i++) {
        unsigned char c = (unsigned char)mr_test_rand(&rng);
        src_buf[i] = c == SENTINEL ? (unsigned char)~c : c;
    }
    memset(dst_buf, SENTINEL, DST_LEN);

    MR_TEST_RUN(test_force);
    MR_TEST_RUN(test_copy);
    MR_TEST_RUN(test_kernels);

    free(src_buf);
    free(dst_buf);
    return 0;
}
