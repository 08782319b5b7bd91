/* SPDX-License-Identifier: MIT */
/* src/array.c: typed arrays: init, sub-views, element get and set with
 * their conversions, and bulk copies to and from host-order C arrays. */
#include "swap_internal.h"

#include <memregion/array.h>
#include <string.h>

/* Which member of union mr_value holds a value of the type. */
enum kind { KIND_U, KIND_I, KIND_F };

static enum kind type_kind(enum mr_type t)
{
    return mr_type_is_float(t) ? KIND_F : mr_type_is_signed(t) ? KIND_I : KIND_U;
}

/* Conversions for the typed accessors. To an integer: exact or -EOVERFLOW. To a float: rounded. The range tests
 * come before each cast, because casting an out-of-range double to an
 * integer is undefined behaviour. */

#define TWO_POW_63 9223372036854775808.0
#define TWO_POW_64 18446744073709551616.0

static int value_to_u64(enum kind k, union mr_value v, uint64_t *out)
{
    if (k == KIND_U) {
        *out = v.u;
    } else if (k == KIND_I) {
        if (v.i < 0)
            return -EOVERFLOW;
        *out = (uint64_t)v.i;
    } else {
        if (!(v.f >= 0 && v.f < TWO_POW_64) || (double)(uint64_t)v.f != v.f)
            return -EOVERFLOW;
        *out = (uint64_t)v.f;
    }
    return 0;
}

static int value_to_i64(enum kind k, union mr_value v, int64_t *out)
{
    if (k == KIND_U) {
        if (v.u > INT64_MAX)
            return -EOVERFLOW;
        *out = (int64_t)v.u;
    } else if (k == KIND_I) {
        *out = v.i;
    } else {
        if (!(v.f >= -TWO_POW_63 && v.f < TWO_POW_63) || (double)(int64_t)v.f != v.f)
            return -EOVERFLOW;
        *out = (int64_t)v.f;
    }
    return 0;
}

static double value_to_f64(enum kind k, union mr_value v)
{
    return k == KIND_U ? (double)v.u : k == KIND_I ? (double)v.i : v.f;
}

int mr_array_init(struct mr_array *a, struct mr_region r, enum mr_type t, enum mr_order o,
                  size_t stride, size_t count)
{
    size_t size, span;

    /* mr_type_size is 0 for MR_TYPE_STRUCT and values outside the enum. */
    size = mr_type_size(t);
    if (size == 0 || (unsigned)o > (unsigned)MR_ORDER_BE)
        return -EINVAL;
    if (stride == 0)
        stride = size;
    else if (stride < size)
        return -EINVAL;
    if (count == MR_ARRAY_FIT)
        count = r.len < size ? 0 : (r.len - size) / stride + 1;
    if (count == 0)
        span = 0;
    else if (__builtin_mul_overflow(count - 1, stride, &span) ||
             __builtin_add_overflow(span, size, &span))
        return -ERANGE;
    if (mr_region_sub(r, 0, span, &a->region) < 0)
        return -ERANGE;
    a->type = t;
    a->order = size == 1 ? MR_ORDER_HOST : o;
    a->size = size;
    a->stride = stride;
    a->count = count;
    return 0;
}

static int array_load(const struct mr_array *a, size_t i, union mr_value *v)
{
    if (i >= a->count)
        return -ERANGE;
    return mr_value_get(a->region, i * a->stride, a->type, a->order, v);
}

int mr_array_get_u64(const struct mr_array *a, size_t i, uint64_t *out)
{
    union mr_value v;
    int rc = array_load(a, i, &v);
    return rc < 0 ? rc : value_to_u64(type_kind(a->type), v, out);
}

int mr_array_get_i64(const struct mr_array *a, size_t i, int64_t *out)
{
    union mr_value v;
    int rc = array_load(a, i, &v);
    return rc < 0 ? rc : value_to_i64(type_kind(a->type), v, out);
}

int mr_array_get_f64(const struct mr_array *a, size_t i, double *out)
{
    union mr_value v;
    int rc = array_load(a, i, &v);
    if (rc < 0)
        return rc;
    *out = value_to_f64(type_kind(a->type), v);
    return 0;
}

/* The order of the checks makes read-only win over a bad index, and both
 * over a value that does not fit, as for the region's own setters. */
static int array_store_check(const struct mr_array *a, size_t i)
{
    if (a->region.flags & MR_REGION_RDONLY)
        return -EACCES;
    return i < a->count ? 0 : -ERANGE;
}

int mr_array_set_u64(const struct mr_array *a, size_t i, uint64_t x)
{
    union mr_value v;
    int rc = array_store_check(a, i);
    if (rc < 0)
        return rc;
    switch (type_kind(a->type)) {
    case KIND_U:
        v.u = x;
        break;
    case KIND_I:
        if (x > INT64_MAX)
            return -EOVERFLOW;
        v.i = (int64_t)x;
        break;
    default:
        v.f = (double)x;
        break;
    }
    return mr_value_set(a->region, i * a->stride, a->type, a->order, v);
}

int mr_array_set_i64(const struct mr_array *a, size_t i, int64_t x)
{
    union mr_value v;
    int rc = array_store_check(a, i);
    if (rc < 0)
        return rc;
    switch (type_kind(a->type)) {
    case KIND_U:
        if (x < 0)
            return -EOVERFLOW;
        v.u = (uint64_t)x;
        break;
    case KIND_I:
        v.i = x;
        break;
    default:
        v.f = (double)x;
        break;
    }
    return mr_value_set(a->region, i * a->stride, a->type, a->order, v);
}

int mr_array_set_f64(const struct mr_array *a, size_t i, double x)
{
    union mr_value v;
    union mr_value in = { .f = x };
    int rc = array_store_check(a, i);
    if (rc < 0)
        return rc;
    switch (type_kind(a->type)) {
    case KIND_U:
        rc = value_to_u64(KIND_F, in, &v.u);
        break;
    case KIND_I:
        rc = value_to_i64(KIND_F, in, &v.i);
        break;
    default:
        v.f = x;
        break;
    }
    if (rc < 0)
        return rc;
    return mr_value_set(a->region, i * a->stride, a->type, a->order, v);
}

int mr_array_sub(const struct mr_array *a, size_t first, size_t count, struct mr_array *out)
{
    struct mr_region r;
    if (first > a->count || count > a->count - first)
        return -ERANGE;
    /* first * stride cannot overflow: it is at most the stride with one
     * element, and at most twice the span checked at init with more. An
     * empty view past the last element sits at the end. */
    size_t off = first * a->stride;
    if (count == 0 && off > a->region.len)
        off = a->region.len;
    if (mr_region_sub(a->region, off, count ? (count - 1) * a->stride + a->size : 0, &r) < 0)
        return -ERANGE;
    *out = *a;
    out->region = r;
    out->count = count;
    return 0;
}

/* Bulk copies move bit patterns of the element's width: a float's byte order
 * is that of the integer of its width, and signed and unsigned share theirs.
 * The caller's array is reached through memcpy stores, so its C type never
 * matters to aliasing. */
#define ARRAY_COPY(bits)                                                        \
    static void copy_out_##bits(const unsigned char *p, size_t stride, enum mr_order o, \
                                unsigned char *dst, size_t n)                   \
    {                                                                           \
        const ptrdiff_t w = bits / 8;                                           \
        if (o == MR_ORDER_LE)                                                   \
            for (size_t i = 0; i < n; i++)                                      \
                mr_store_u##bits(dst, (ptrdiff_t)i * w,                         \
                                 mr_load_u##bits##le(p, (ptrdiff_t)(i * stride))); \
        else if (o == MR_ORDER_BE)                                              \
            for (size_t i = 0; i < n; i++)                                      \
                mr_store_u##bits(dst, (ptrdiff_t)i * w,                         \
                                 mr_load_u##bits##be(p, (ptrdiff_t)(i * stride))); \
        else                                                                    \
            for (size_t i = 0; i < n; i++)                                      \
                mr_store_u##bits(dst, (ptrdiff_t)i * w,                         \
                                 mr_load_u##bits(p, (ptrdiff_t)(i * stride)));  \
    }                                                                           \
    static void copy_in_##bits(unsigned char *p, size_t stride, enum mr_order o, \
                               const unsigned char *src, size_t n)              \
    {                                                                           \
        const ptrdiff_t w = bits / 8;                                           \
        if (o == MR_ORDER_LE)                                                   \
            for (size_t i = 0; i < n; i++)                                      \
                mr_store_u##bits##le(p, (ptrdiff_t)(i * stride),                \
                                     mr_load_u##bits(src, (ptrdiff_t)i * w));   \
        else if (o == MR_ORDER_BE)                                              \
            for (size_t i = 0; i < n; i++)                                      \
                mr_store_u##bits##be(p, (ptrdiff_t)(i * stride),                \
                                     mr_load_u##bits(src, (ptrdiff_t)i * w));   \
        else                                                                    \
            for (size_t i = 0; i < n; i++)                                      \
                mr_store_u##bits(p, (ptrdiff_t)(i * stride),                    \
                                 mr_load_u##bits(src, (ptrdiff_t)i * w));       \
    }
ARRAY_COPY(8)
ARRAY_COPY(16)
ARRAY_COPY(32)
ARRAY_COPY(64)

static bool order_is_host(enum mr_order o)
{
    return o == MR_ORDER_HOST || o == (MR_HOST_LITTLE_ENDIAN ? MR_ORDER_LE : MR_ORDER_BE);
}

/* A copy of n elements between a contiguous array (no gaps between them)
 * and a host-order C array in one go: memmove in host order, else the
 * byte-swap kernels of src/swap.c (SIMD where the CPU has it), which allow
 * dst == src but no other overlap. false: the caller copies element by
 * element. */
static bool copy_contiguous(const struct mr_array *a, void *dst, const void *src, size_t n)
{
    if (a->stride != a->size)
        return false;
    size_t bytes = n * a->size;
    if (a->size == 1 || order_is_host(a->order)) {
        memmove(dst, src, bytes);
        return true;
    }
    uintptr_t d = (uintptr_t)dst, s = (uintptr_t)src;
    if (d != s && d < s + bytes && s < d + bytes)
        return false;
    mr__swap_array(dst, src, n, a->size);
    return true;
}

/* How many elements from first a copy of at most n moves, or -ERANGE. */
static ssize_t copy_count(const struct mr_array *a, size_t first, size_t n)
{
    if (first > a->count)
        return -ERANGE;
    n = n < a->count - first ? n : a->count - first;
    /* Counts come from regions, which are at most PTRDIFF_MAX bytes. */
    return (ssize_t)n;
}

ssize_t mr_array_copy_out(const struct mr_array *a, size_t first, void *dst, size_t n)
{
    ssize_t k = copy_count(a, first, n);
    if (k <= 0)
        return k;
    const unsigned char *p = (const unsigned char *)a->region.ptr + first * a->stride;
    if (copy_contiguous(a, dst, p, (size_t)k))
        return k;
    switch (a->size) {
    case 1:
        copy_out_8(p, a->stride, a->order, dst, (size_t)k);
        break;
    case 2:
        copy_out_16(p, a->stride, a->order, dst, (size_t)k);
        break;
    case 4:
        copy_out_32(p, a->stride, a->order, dst, (size_t)k);
        break;
    default:
        copy_out_64(p, a->stride, a->order, dst, (size_t)k);
        break;
    }
    return k;
}

ssize_t mr_array_copy_in(const struct mr_array *a, size_t first, const void *src, size_t n)
{
    if (a->region.flags & MR_REGION_RDONLY)
        return -EACCES;
    ssize_t k = copy_count(a, first, n);
    if (k <= 0)
        return k;
    unsigned char *p = (unsigned char *)a->region.ptr + first * a->stride;
    if (copy_contiguous(a, p, src, (size_t)k))
        return k;
    switch (a->size) {
    case 1:
        copy_in_8(p, a->stride, a->order, src, (size_t)k);
        break;
    case 2:
        copy_in_16(p, a->stride, a->order, src, (size_t)k);
        break;
    case 4:
        copy_in_32(p, a->stride, a->order, src, (size_t)k);
        break;
    default:
        copy_in_64(p, a->stride, a->order, src, (size_t)k);
        break;
    }
    return k;
}
