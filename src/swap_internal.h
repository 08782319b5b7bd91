/* SPDX-License-Identifier: MIT */
/* src/swap_internal.h: the byte-order kernels, at the base of the layers
 * (src/swap.c). The iobuf layer's conversions and the view layer's bulk
 * copies of arrays both call them, so that neither reaches into the other. */
#ifndef MEMREGION_SWAP_INTERNAL_H
#define MEMREGION_SWAP_INTERNAL_H

#include "internal.h"

/* n elements of w bytes (2, 4 or 8) from src to dst, each with its bytes
 * reversed, by the fastest kernel this CPU has (the iobuf layer's
 * conversions; the view layer's bulk copies of contiguous arrays use it
 * too). dst == src works; any other overlap does not. */
void mr__swap_array(void *dst, const void *src, size_t n, size_t w);

/* The kernels mr__swap_array uses: "avx512bw", "avx2", "ssse3" (x86 byte
 * shuffles) or "portable" (plain C), the best the CPU runs unless forced
 * (mr_iobuf_convert_impl reports it). The string is static. Thread-safe. */
const char *mr__swap_impl(void);

/* For tests and benchmarks: use the named conversion code from now on (NULL:
 * the best the CPU runs). 0, -EINVAL (unknown name) or -ENOTSUP (this CPU or
 * build lacks it; nothing changes). Thread-safe: a conversion already running
 * finishes with the code it started with. */
int mr__swap_force(const char *name);

#endif
