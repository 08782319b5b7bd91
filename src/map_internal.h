/* SPDX-License-Identifier: MIT */
/* src/map_internal.h: what the map layer shares with its tests. */
#ifndef MEMREGION_MAP_INTERNAL_H
#define MEMREGION_MAP_INTERNAL_H

#include <stddef.h>

/* Touch a byte of every page of [p, p + len), guarded: mr_map_populate on
 * kernels without MADV_POPULATE_READ. Not static so that test_map can run
 * it on a kernel that has it. 0, or mr_guard_copy's error (-EFAULT: a page
 * has vanished). */
int mr__map_touch(const void *p, size_t len);

#endif
