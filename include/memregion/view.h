/* SPDX-License-Identifier: MIT */
/* memregion/view.h: typed views of a region: typed arrays and struct layouts.
 *
 * Three things live here, each in its own header that this one includes:
 *   - typed values at an offset chosen at run time (a type and a byte order),
 *     built on the checked access of memregion/region.h: memregion/type.h
 *     (element types and their names) and memregion/value.h (values and
 *     their text);
 *   - typed arrays: a region seen as N elements of one type, with a stride,
 *     so that one field of an array of structs is an array too:
 *     memregion/array.h;
 *   - layouts: named fields at offsets, checked once to fit, written as C
 *     arrays or as text (memregion/layout.h, with the spec grammar); and
 *     objects, a layout applied to a region, read and written by field name
 *     or index and printed as text or JSON (memregion/object.h).
 *
 * Every access is bounds-checked (-ERANGE), every write refuses a read-only
 * region (-EACCES), and a value that does not fit its destination is refused
 * (-EOVERFLOW) with nothing written.
 *
 * Thread-safety: arrays and objects are plain values, the memory behind them
 * is shared as the caller arranges. A layout never changes once made, so
 * threads may use one layout at the same time; destroying it needs all of
 * them to be done.
 */
#ifndef MEMREGION_VIEW_H
#define MEMREGION_VIEW_H

#include <memregion/type.h>
#include <memregion/value.h>
#include <memregion/array.h>
#include <memregion/layout.h>
#include <memregion/object.h>

#endif
