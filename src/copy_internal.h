/* SPDX-License-Identifier: MIT */
/* src/copy_internal.h: mr__copy, the channel's copy of a message into and
 * out of its ring (src/copy.c), at the base of the layers. It is memcpy
 * without the slowdown some CPUs and C libraries show when the destination
 * sits a few bytes past the source modulo 4 KiB, where the channel's 8-byte
 * record header puts every payload of a 4096k-8-byte message. */
#ifndef MEMREGION_COPY_INTERNAL_H
#define MEMREGION_COPY_INTERNAL_H

#include "internal.h"

#include <string.h>

/* The copies memcpy is slow at: more than MR__COPY_ABOVE and fewer than
 * MR__COPY_BELOW bytes, the destination 1..MR__COPY_NEAR bytes past the
 * source modulo 4096 (src/copy.c has the measurements). */
#define MR__COPY_ABOVE ((size_t)2112)
#define MR__COPY_BELOW ((size_t)1 << 20)
#define MR__COPY_NEAR ((size_t)63)

/* mr__copy's copy where memcpy is slow: the vector code mr__copy_impl
 * names, for any n. Thread-safe. */
void mr__copy_near(void *restrict dst, const void *restrict src, size_t n);

/* Copies n bytes from src to dst, as memcpy does: the two must not overlap;
 * with n == 0 either may be NULL. Inline, so that a constant n folds the
 * choice away and the copy of a small message becomes a few moves; copies
 * that would slow memcpy down go to mr__copy_near. Thread-safe. */
static inline void mr__copy(void *restrict dst, const void *restrict src, size_t n)
{
    /* Unsigned wrap-around makes each range one compare. */
    size_t near = ((uintptr_t)dst - (uintptr_t)src) & 4095;
    if (MR_UNLIKELY(n - (MR__COPY_ABOVE + 1) < MR__COPY_BELOW - (MR__COPY_ABOVE + 1) &&
                    near - 1 < MR__COPY_NEAR))
        mr__copy_near(dst, src, n);
    else if (n > 0) /* C forbids memcpy from or to NULL, even of 0 bytes */
        memcpy(dst, src, n);
}

/* The vector code mr__copy_near uses: "avx2", "sse2" (x86-64 loops) or
 * "portable" (memcpy itself), the best the CPU runs unless forced. The
 * string is static. Thread-safe. */
const char *mr__copy_impl(void);

/* For tests and benchmarks: use the named copy code from now on (NULL: the
 * best the CPU runs). 0, -EINVAL (unknown name) or -ENOTSUP (this CPU or
 * build lacks it; nothing changes). Thread-safe: a copy already running
 * finishes with the code it started with. */
int mr__copy_force(const char *name);

/* For tests and benchmarks: n bytes from src to dst by the code
 * mr__copy_impl names, whatever the size and distance (mr__copy uses it only
 * where memcpy is slow). Thread-safe. */
void mr__copy_kernel(void *restrict dst, const void *restrict src, size_t n);

#endif
