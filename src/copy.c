/* SPDX-License-Identifier: MIT */
/* src/copy.c: the vector copies (AVX2 or SSE2, chosen at run time) that
 * mr__copy uses for the source/destination distances where the C library's
 * memcpy slows down, and the measurements that chose those distances. */
#include "copy_internal.h"

#include <stdint.h>
#include <string.h>

#if defined(__x86_64__)
#define MR__COPY_X86 1
#include <immintrin.h>
#else
#define MR__COPY_X86 0
#endif

/* Why mr__copy dispatches where it does (copy_internal.h): measured on an
 * AMD EPYC Zen 5 (family 26) VM with glibc 2.36 by bench/bench_copy, in
 * GB/s: "fixed" copies between two cache-resident buffers (--placement
 * fixed), "send" from one buffer into a 4 MiB ring at record start + 8.
 *
 * - glibc copies more than 2112 and less than 1 MiB bytes with rep movsb
 *   here (its x86_rep_movsb_threshold and rep_movsb_stop_threshold), and
 *   this CPU's rep movsb is slow when d = (dst - src) mod 4096 is 1..63
 *   (glibc BZ 30994). Fixed, 4088 bytes: 143-145 at d = 0, 64 and 4032, 84
 *   at d = 1, 8 and 63; 64 KiB: 128 and 96 (--distances). The channel puts
 *   each payload 8 bytes past its record, so a 4096k-8-byte message sent
 *   from a page-aligned buffer always copies at d = 8.
 * - Just above the threshold it is worst: fixed at d = 8, memcpy copies 2112
 *   bytes at 136 and 2120 at 49; the AVX2 loop below copies both at 146-150.
 *   Up to 2112 bytes glibc's vector code has no cliff (d = 8: 136-142) and
 *   beats the loop at d = 0 (225-236 vs 166), so memcpy keeps them.
 * - Up to 24 KiB the loop removes the cliff: fixed d = 8, 4088 bytes 79 ->
 *   157 (d = 0: 136), 8184: 103 -> 136, 16376: 120 -> 128; send, 4088:
 *   71 -> 102 (4096 bytes: 78-88), 8184: 85 -> 90-103 (8192: 93-105).
 * - From 28 KiB nothing tried beats the slowed rep movsb at d = 8: send,
 *   28664 bytes 71 either way against 117 for 28672, 65528: 56-61 against
 *   80-118 for 65536; fixed, 65528: 82 vs 86. rep movsb at a good distance
 *   seems to write whole lines without reading them first, which stores
 *   cannot. Tried in throwaway code: AVX2 forward, backward, with aligned
 *   stores, with loads a step ahead, with prefetchw; AVX-512; SSE2;
 *   non-temporal stores (send: 35); rep stosb before each 4 KiB (52); a 4-8
 *   KiB bounce buffer so that rep movsb sees d >= 64 (57-60); rep movsb
 *   backwards (3). The loop stays up to 1 MiB: never slower there.
 * - From 1 MiB glibc leaves rep movsb, and its own loop copies backwards
 *   when the two are 4K-aliased; from 24 MiB it uses non-temporal stores,
 *   which this loop would lose to. A destination just before the source
 *   (d = 4033..4095, a receive into a page-aligned buffer) is not slow.
 * - AVX2 rather than AVX-512: 64-byte moves copy faster between cache-
 *   resident buffers (fixed d = 8, 4088 bytes: 207 vs 168) but slower out
 *   of a ring (4096-16376 bytes: 50-78 vs 73-96). SSE2 serves x86-64 CPUs
 *   without AVX2 (80-88 here); elsewhere memcpy does everything. */

typedef void (*copy_fn)(unsigned char *restrict d, const unsigned char *restrict s, size_t n);

struct kernel {
    const char *name;
    copy_fn copy;
};

static void copy_portable(unsigned char *restrict d, const unsigned char *restrict s, size_t n)
{
    memcpy(d, s, n);
}

static const struct kernel portable_kernel = {"portable", copy_portable};

#if MR__COPY_X86
/* The first and the last w bytes of n (w <= n <= 2w), whatever lies
 * between them overwritten by both: one load and one store each when w is
 * a constant (fixed-size memcpys compile to single moves). */
static inline void copy_ends(unsigned char *restrict d, const unsigned char *restrict s, size_t n,
                             size_t w)
{
    uint64_t a, b;
    memcpy(&a, s, w);
    memcpy(&b, s + n - w, w);
    memcpy(d, &a, w);
    memcpy(d + n - w, &b, w);
}

/* Up to 32 bytes (SSE2 is part of x86-64). */
static inline void copy_upto32(unsigned char *restrict d, const unsigned char *restrict s, size_t n)
{
    if (n > 16) {
        __m128i a = _mm_loadu_si128((const __m128i *)(const void *)s);
        __m128i b = _mm_loadu_si128((const __m128i *)(const void *)(s + n - 16));
        _mm_storeu_si128((__m128i *)(void *)d, a);
        _mm_storeu_si128((__m128i *)(void *)(d + n - 16), b);
    } else if (n >= 8) {
        copy_ends(d, s, n, 8);
    } else if (n >= 4) {
        copy_ends(d, s, n, 4);
    } else if (n > 0) {
        d[0] = s[0];
        d[n / 2] = s[n / 2];
        d[n - 1] = s[n - 1];
    }
}

/* Forward, four vectors of W bytes a step, the last W bytes loaded first
 * and stored last (over bytes the loop stored, with the same values). */
#define MR__COPY_KERNEL(name, target, vec, W, LOAD, STORE)                      \
    target static void name(unsigned char *restrict d, const unsigned char *restrict s, size_t n) \
    {                                                                           \
        if (n <= (W)) {                                                         \
            copy_upto32(d, s, n);                                               \
            return;                                                             \
        }                                                                       \
        vec last = LOAD((const vec *)(const void *)(s + n - (W)));              \
        size_t i = 0;                                                           \
        for (; n - i > 4 * (W); i += 4 * (W)) {                                 \
            vec a = LOAD((const vec *)(const void *)(s + i));                   \
            vec b = LOAD((const vec *)(const void *)(s + i + (W)));             \
            vec c = LOAD((const vec *)(const void *)(s + i + 2 * (W)));         \
            vec e = LOAD((const vec *)(const void *)(s + i + 3 * (W)));         \
            STORE((vec *)(void *)(d + i), a);                                   \
            STORE((vec *)(void *)(d + i + (W)), b);                             \
            STORE((vec *)(void *)(d + i + 2 * (W)), c);                         \
            STORE((vec *)(void *)(d + i + 3 * (W)), e);                         \
        }                                                                       \
        for (; n - i > (W); i += (W))                                           \
            STORE((vec *)(void *)(d + i), LOAD((const vec *)(const void *)(s + i))); \
        STORE((vec *)(void *)(d + n - (W)), last);                              \
    }

MR__COPY_KERNEL(copy_sse2, , __m128i, 16, _mm_loadu_si128, _mm_storeu_si128)
MR__COPY_KERNEL(copy_avx2, __attribute__((target("avx2"))), __m256i, 32, _mm256_loadu_si256,
                _mm256_storeu_si256)

static const struct kernel sse2_kernel = {"sse2", copy_sse2};
static const struct kernel avx2_kernel = {"avx2", copy_avx2};
#endif

static bool kernel_supported(const struct kernel *k)
{
#if MR__COPY_X86
    if (k == &avx2_kernel) {
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx2");
    }
    if (k == &sse2_kernel)
        return true; /* part of x86-64 */
#endif
    return k == &portable_kernel;
}

static const struct kernel *const all_kernels[] = {
#if MR__COPY_X86
    &avx2_kernel,
    &sse2_kernel,
#endif
    &portable_kernel,
};
#define NKERNELS (sizeof all_kernels / sizeof all_kernels[0])

static const struct kernel *best_kernel(void)
{
    for (size_t i = 0; i < NKERNELS; i++)
        if (kernel_supported(all_kernels[i]))
            return all_kernels[i];
    return &portable_kernel;
}

/* Chosen on first use. Relaxed is enough: the kernels are constant data, and
 * two threads racing to choose store the same pointer. */
static const struct kernel *active_kernel;

static const struct kernel *kernel(void)
{
    const struct kernel *k = __atomic_load_n(&active_kernel, __ATOMIC_RELAXED);
    if (MR_UNLIKELY(k == NULL)) {
        k = best_kernel();
        __atomic_store_n(&active_kernel, k, __ATOMIC_RELAXED);
    }
    return k;
}

const char *mr__copy_impl(void)
{
    return kernel()->name;
}

int mr__copy_force(const char *name)
{
    const struct kernel *k = NULL;

    if (name == NULL) {
        k = best_kernel();
    } else {
        for (size_t i = 0; i < NKERNELS && k == NULL; i++)
            if (strcmp(all_kernels[i]->name, name) == 0)
                k = all_kernels[i];
        if (k == NULL) {
            /* A name known on other machines is missing here, not malformed. */
            return strcmp(name, "sse2") == 0 || strcmp(name, "avx2") == 0 ? -ENOTSUP : -EINVAL;
        }
        if (!kernel_supported(k))
            return -ENOTSUP;
    }
    __atomic_store_n(&active_kernel, k, __ATOMIC_RELAXED);
    return 0;
}

void mr__copy_near(void *restrict dst, const void *restrict src, size_t n)
{
    kernel()->copy(dst, src, n);
}

void mr__copy_kernel(void *restrict dst, const void *restrict src, size_t n)
{
    if (n > 0) /* the kernels may step through NULL + 0 otherwise */
        kernel()->copy(dst, src, n);
}
