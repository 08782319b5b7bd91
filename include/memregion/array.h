/* SPDX-License-Identifier: MIT */
/* memregion/array.h: typed arrays: a region seen as N elements of one type,
 * with a stride, so that one field of an array of structs is an array too.
 *
 * Every access is bounds-checked (-ERANGE), every write refuses a read-only
 * region (-EACCES), and a value that does not fit its destination is refused
 * (-EOVERFLOW) with nothing written.
 *
 * Thread-safety: arrays are plain values, the memory behind them is shared
 * as the caller arranges.
 */
#ifndef MEMREGION_ARRAY_H
#define MEMREGION_ARRAY_H

#include <memregion/value.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Element i lies at byte i * stride of the array's region. The accessors
 * convert between the element's type and the caller's: a conversion to an
 * integer must be exact (a negative value read as u64, 1.5 or NaN read or
 * stored as an integer, 300 stored in a u8 are all -EOVERFLOW); a conversion
 * to a float rounds to nearest (a u64 read as f64 may lose low bits).
 * The fields are set by mr_array_init and mr_array_sub, and the other calls
 * rely on them: read them freely, change them never. */
struct mr_array {
    struct mr_region region; /* from element 0 to the end of the last one */
    enum mr_type type;
    enum mr_order order;     /* MR_ORDER_HOST for one-byte types */
    size_t size;             /* bytes of one element: mr_type_size(type) */
    size_t stride;           /* bytes from one element to the next, >= size */
    size_t count;
};

/* For mr_array_init: as many elements as fit in the region. */
#define MR_ARRAY_FIT SIZE_MAX

/* View count elements of type t in order o, stride bytes apart (0: packed,
 * the element's size), from the start of r. 0 and *a set, or -EINVAL (t is
 * MR_TYPE_STRUCT or not a type, o not an order, stride nonzero and smaller
 * than an element) or -ERANGE (the elements do not fit in r, also when the
 * arithmetic overflows); *a is untouched on failure. The caller keeps r's
 * memory alive; a read-only r gives a read-only array. */
MR_API int mr_array_init(struct mr_array *a, struct mr_region r, enum mr_type t, enum mr_order o,
                         size_t stride, size_t count);

/* The number of elements. */
MR_INLINE size_t mr_array_count(const struct mr_array *a) { return a->count; }

/* Element i as u64, i64 or f64 (see the conversion rules above): 0, -ERANGE
 * (i >= count) or -EOVERFLOW; *out is untouched on failure. */
MR_API int mr_array_get_u64(const struct mr_array *a, size_t i, uint64_t *out);
MR_API int mr_array_get_i64(const struct mr_array *a, size_t i, int64_t *out);
MR_API int mr_array_get_f64(const struct mr_array *a, size_t i, double *out);

/* Store v into element i: 0, -EACCES (read-only), -ERANGE (i >= count) or
 * -EOVERFLOW (v does not fit the element's type); nothing written on failure. */
MR_API int mr_array_set_u64(const struct mr_array *a, size_t i, uint64_t v);
MR_API int mr_array_set_i64(const struct mr_array *a, size_t i, int64_t v);
MR_API int mr_array_set_f64(const struct mr_array *a, size_t i, double v);

/* Elements first .. first + count - 1 of a, as an array with the same type,
 * order and stride sharing a's memory. 0, or -ERANGE when they are not all
 * inside a (then *out is untouched). */
MR_API int mr_array_sub(const struct mr_array *a, size_t first, size_t count,
                        struct mr_array *out);

/* Copy elements from index first into dst, a host-order C array of the
 * element's C type (uint8_t, uint16_t, ..., int64_t, float, double, char),
 * at most n of them. Returns the count copied (n, or fewer at the end of the
 * array), or -ERANGE when first > count. */
MR_API ssize_t mr_array_copy_out(const struct mr_array *a, size_t first, void *dst, size_t n);

/* Copy at most n elements from src, a host-order C array of the element's C
 * type, into a from index first, converting to a's byte order. Returns the
 * count copied, or -EACCES (read-only, nothing copied) or -ERANGE (first >
 * count). */
MR_API ssize_t mr_array_copy_in(const struct mr_array *a, size_t first, const void *src, size_t n);

#ifdef __cplusplus
}
#endif

#endif
