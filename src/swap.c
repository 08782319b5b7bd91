/* SPDX-License-Identifier: MIT */
/* src/swap.c: the byte-order kernels (portable C, and SSSE3/AVX2/AVX-512BW
 * chosen at run time) that the iobuf layer's conversions and the array
 * code's bulk copies share. */
#include "swap_internal.h"

#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#define MR__SWAP_X86 1
#include <immintrin.h>
#else
#define MR__SWAP_X86 0
#endif

/* A kernel reverses the bytes of each of n elements from src to dst. They
 * work in place (dst == src) because every load of a step comes before its
 * stores. */

typedef void (*swap_fn)(void *dst, const void *src, size_t n);

struct kernels {
    const char *name;
    swap_fn swap16, swap32, swap64;
};

/* The loads and stores go through memcpy so that any alignment works and the
 * host array may be of any element type. */
static void swap16_portable(void *dst, const void *src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;
    for (size_t i = 0; i < n; i++) {
        uint16_t v;
        memcpy(&v, s + 2 * i, 2);
        v = __builtin_bswap16(v);
        memcpy(d + 2 * i, &v, 2);
    }
}

static void swap32_portable(void *dst, const void *src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;
    for (size_t i = 0; i < n; i++) {
        uint32_t v;
        memcpy(&v, s + 4 * i, 4);
        v = __builtin_bswap32(v);
        memcpy(d + 4 * i, &v, 4);
    }
}

static void swap64_portable(void *dst, const void *src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;
    for (size_t i = 0; i < n; i++) {
        uint64_t v;
        memcpy(&v, s + 8 * i, 8);
        v = __builtin_bswap64(v);
        memcpy(d + 8 * i, &v, 8);
    }
}

static const struct kernels portable_kernels = {
    "portable", swap16_portable, swap32_portable, swap64_portable,
};

#if MR__SWAP_X86
/* Why hand-written kernels: GCC 12 at -O2 does not vectorise the portable
 * loop at all, and baseline x86-64 (SSE2) has no byte shuffle to vectorise a
 * byte swap with, so the portable loop runs at 0.05x memcpy's speed on
 * L1-resident data (bench/bench_iobuf). One byte shuffle per 16 (SSSE3) or
 * 32 (AVX2) bytes, four per step to keep the load and store ports busy; the
 * elements left over go to the portable loop. The loads and stores are the
 * unaligned forms because the caller's arrays may have any alignment; on
 * aligned data they cost nothing more. */
#define MR__SSSE3_MASK(w)                                                       \
    ((w) == 2   ? _mm_setr_epi8(1, 0, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10, 13, 12, 15, 14) \
     : (w) == 4 ? _mm_setr_epi8(3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12) \
                : _mm_setr_epi8(7, 6, 5, 4, 3, 2, 1, 0, 15, 14, 13, 12, 11, 10, 9, 8))

#define MR__SWAP_SSSE3(bits, w)                                                 \
    __attribute__((target("ssse3"))) static void swap##bits##_ssse3(void *dst, const void *src, \
                                                                     size_t n)  \
    {                                                                           \
        const __m128i m = MR__SSSE3_MASK(w);                                    \
        unsigned char *d = dst;                                                 \
        const unsigned char *s = src;                                           \
        size_t bytes = n * (w), i = 0;                                          \
        for (; bytes - i >= 64; i += 64) {                                      \
            __m128i a = _mm_loadu_si128((const __m128i *)(const void *)(s + i)); \
            __m128i b = _mm_loadu_si128((const __m128i *)(const void *)(s + i + 16)); \
            __m128i c = _mm_loadu_si128((const __m128i *)(const void *)(s + i + 32)); \
            __m128i e = _mm_loadu_si128((const __m128i *)(const void *)(s + i + 48)); \
            _mm_storeu_si128((__m128i *)(void *)(d + i), _mm_shuffle_epi8(a, m)); \
            _mm_storeu_si128((__m128i *)(void *)(d + i + 16), _mm_shuffle_epi8(b, m)); \
            _mm_storeu_si128((__m128i *)(void *)(d + i + 32), _mm_shuffle_epi8(c, m)); \
            _mm_storeu_si128((__m128i *)(void *)(d + i + 48), _mm_shuffle_epi8(e, m)); \
        }                                                                       \
        for (; bytes - i >= 16; i += 16) {                                      \
            __m128i a = _mm_loadu_si128((const __m128i *)(const void *)(s + i)); \
            _mm_storeu_si128((__m128i *)(void *)(d + i), _mm_shuffle_epi8(a, m)); \
        }                                                                       \
        swap##bits##_portable(d + i, s + i, (bytes - i) / (w));                 \
    }

#define MR__SWAP_AVX2(bits, w)                                                  \
    __attribute__((target("avx2"))) static void swap##bits##_avx2(void *dst, const void *src, \
                                                                   size_t n)    \
    {                                                                           \
        const __m256i m = _mm256_broadcastsi128_si256(MR__SSSE3_MASK(w));       \
        unsigned char *d = dst;                                                 \
        const unsigned char *s = src;                                           \
        size_t bytes = n * (w), i = 0;                                          \
        for (; bytes - i >= 128; i += 128) {                                    \
            __m256i a = _mm256_loadu_si256((const __m256i *)(const void *)(s + i)); \
            __m256i b = _mm256_loadu_si256((const __m256i *)(const void *)(s + i + 32)); \
            __m256i c = _mm256_loadu_si256((const __m256i *)(const void *)(s + i + 64)); \
            __m256i e = _mm256_loadu_si256((const __m256i *)(const void *)(s + i + 96)); \
            _mm256_storeu_si256((__m256i *)(void *)(d + i), _mm256_shuffle_epi8(a, m)); \
            _mm256_storeu_si256((__m256i *)(void *)(d + i + 32), _mm256_shuffle_epi8(b, m)); \
            _mm256_storeu_si256((__m256i *)(void *)(d + i + 64), _mm256_shuffle_epi8(c, m)); \
            _mm256_storeu_si256((__m256i *)(void *)(d + i + 96), _mm256_shuffle_epi8(e, m)); \
        }                                                                       \
        for (; bytes - i >= 32; i += 32) {                                      \
            __m256i a = _mm256_loadu_si256((const __m256i *)(const void *)(s + i)); \
            _mm256_storeu_si256((__m256i *)(void *)(d + i), _mm256_shuffle_epi8(a, m)); \
        }                                                                       \
        swap##bits##_portable(d + i, s + i, (bytes - i) / (w));                 \
    }

/* 64 bytes a shuffle: where memcpy moves 64 bytes an instruction (as glibc's
 * does on CPUs with AVX-512), 32-byte shuffles reach only about half its
 * speed on data in the L1 cache. The last 63 bytes or less go to the AVX2
 * kernel. */
#define MR__SWAP_AVX512(bits, w)                                                \
    __attribute__((target("avx512bw"))) static void swap##bits##_avx512(void *dst, const void *src, \
                                                                        size_t n) \
    {                                                                           \
        const __m512i m = _mm512_broadcast_i32x4(MR__SSSE3_MASK(w));            \
        unsigned char *d = dst;                                                 \
        const unsigned char *s = src;                                           \
        size_t bytes = n * (w), i = 0;                                          \
        for (; bytes - i >= 256; i += 256) {                                    \
            __m512i a = _mm512_loadu_si512((const void *)(s + i));              \
            __m512i b = _mm512_loadu_si512((const void *)(s + i + 64));         \
            __m512i c = _mm512_loadu_si512((const void *)(s + i + 128));        \
            __m512i e = _mm512_loadu_si512((const void *)(s + i + 192));        \
            _mm512_storeu_si512((void *)(d + i), _mm512_shuffle_epi8(a, m));    \
            _mm512_storeu_si512((void *)(d + i + 64), _mm512_shuffle_epi8(b, m)); \
            _mm512_storeu_si512((void *)(d + i + 128), _mm512_shuffle_epi8(c, m)); \
            _mm512_storeu_si512((void *)(d + i + 192), _mm512_shuffle_epi8(e, m)); \
        }                                                                       \
        for (; bytes - i >= 64; i += 64) {                                      \
            __m512i a = _mm512_loadu_si512((const void *)(s + i));              \
            _mm512_storeu_si512((void *)(d + i), _mm512_shuffle_epi8(a, m));    \
        }                                                                       \
        swap##bits##_avx2(d + i, s + i, (bytes - i) / (w));                     \
    }

MR__SWAP_SSSE3(16, 2)
MR__SWAP_SSSE3(32, 4)
MR__SWAP_SSSE3(64, 8)
MR__SWAP_AVX2(16, 2)
MR__SWAP_AVX2(32, 4)
MR__SWAP_AVX2(64, 8)
MR__SWAP_AVX512(16, 2)
MR__SWAP_AVX512(32, 4)
MR__SWAP_AVX512(64, 8)

static const struct kernels ssse3_kernels = {
    "ssse3", swap16_ssse3, swap32_ssse3, swap64_ssse3,
};
static const struct kernels avx2_kernels = {
    "avx2", swap16_avx2, swap32_avx2, swap64_avx2,
};
static const struct kernels avx512_kernels = {
    "avx512bw", swap16_avx512, swap32_avx512, swap64_avx512,
};
#endif

static bool kernels_supported(const struct kernels *k)
{
#if MR__SWAP_X86
    __builtin_cpu_init();
    if (k == &avx512_kernels)
        return __builtin_cpu_supports("avx512bw");
    if (k == &avx2_kernels)
        return __builtin_cpu_supports("avx2");
    if (k == &ssse3_kernels)
        return __builtin_cpu_supports("ssse3");
#endif
    return k == &portable_kernels;
}

static const struct kernels *const all_kernels[] = {
#if MR__SWAP_X86
    &avx512_kernels,
    &avx2_kernels,
    &ssse3_kernels,
#endif
    &portable_kernels,
};
#define NKERNELS (sizeof all_kernels / sizeof all_kernels[0])

static const struct kernels *best_kernels(void)
{
    for (size_t i = 0; i < NKERNELS; i++)
        if (kernels_supported(all_kernels[i]))
            return all_kernels[i];
    return &portable_kernels;
}

/* Chosen on first use. Relaxed is enough: the kernels are constant data, and
 * two threads racing to choose store the same pointer. */
static const struct kernels *active_kernels;

static const struct kernels *kernels(void)
{
    const struct kernels *k = __atomic_load_n(&active_kernels, __ATOMIC_RELAXED);
    if (MR_UNLIKELY(k == NULL)) {
        k = best_kernels();
        __atomic_store_n(&active_kernels, k, __ATOMIC_RELAXED);
    }
    return k;
}

const char *mr__swap_impl(void)
{
    return kernels()->name;
}

int mr__swap_force(const char *name)
{
    const struct kernels *k = NULL;

    if (name == NULL) {
        k = best_kernels();
    } else {
        for (size_t i = 0; i < NKERNELS && k == NULL; i++)
            if (strcmp(all_kernels[i]->name, name) == 0)
                k = all_kernels[i];
        if (k == NULL) {
            /* A name known on other machines is missing here, not malformed. */
            return strcmp(name, "ssse3") == 0 || strcmp(name, "avx2") == 0 ||
                           strcmp(name, "avx512bw") == 0
                       ? -ENOTSUP
                       : -EINVAL;
        }
        if (!kernels_supported(k))
            return -ENOTSUP;
    }
    __atomic_store_n(&active_kernels, k, __ATOMIC_RELAXED);
    return 0;
}

void mr__swap_array(void *dst, const void *src, size_t n, size_t w)
{
    /* Nothing to do, and an empty region's pointer may be NULL, to which C
     * forbids even adding 0 (the kernels step through it). */
    if (n == 0)
        return;
    const struct kernels *k = kernels();
    swap_fn f = w == 2 ? k->swap16 : w == 4 ? k->swap32 : k->swap64;
    f(dst, src, n);
}
