/* src/view.c: typed values, typed arrays, layouts (made from fields or parsed
 * from text), and objects. */
#include "internal.h"
#include "swap_internal.h"

#include <memregion/view.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <string.h>

/* ---- types and values ------------------------------------------------------- */

static const struct {
    const char *name;
    size_t size;
} type_info[] = {
    [MR_TYPE_U8] = { "u8", 1 },     [MR_TYPE_U16] = { "u16", 2 },
    [MR_TYPE_U32] = { "u32", 4 },   [MR_TYPE_U64] = { "u64", 8 },
    [MR_TYPE_I8] = { "i8", 1 },     [MR_TYPE_I16] = { "i16", 2 },
    [MR_TYPE_I32] = { "i32", 4 },   [MR_TYPE_I64] = { "i64", 8 },
    [MR_TYPE_F32] = { "f32", 4 },   [MR_TYPE_F64] = { "f64", 8 },
    [MR_TYPE_CHAR] = { "char", 1 }, [MR_TYPE_STRUCT] = { "struct", 0 },
};

enum kind { KIND_U, KIND_I, KIND_F };

/* The enum's underlying type is the compiler's choice: comparing as unsigned
 * refuses negative values too. */
static bool type_is_scalar(enum mr_type t) { return (unsigned)t < (unsigned)MR_TYPE_STRUCT; }
static bool order_is_valid(enum mr_order o) { return (unsigned)o <= (unsigned)MR_ORDER_BE; }

static enum kind type_kind(enum mr_type t)
{
    switch (t) {
    case MR_TYPE_I8:
    case MR_TYPE_I16:
    case MR_TYPE_I32:
    case MR_TYPE_I64:
        return KIND_I;
    case MR_TYPE_F32:
    case MR_TYPE_F64:
        return KIND_F;
    default:
        return KIND_U;
    }
}

size_t mr_type_size(enum mr_type t)
{
    return (unsigned)t <= (unsigned)MR_TYPE_STRUCT ? type_info[t].size : 0;
}

const char *mr_type_name(enum mr_type t)
{
    return (unsigned)t <= (unsigned)MR_TYPE_STRUCT ? type_info[t].name : "?";
}

#define VALUE_GET(name, ctype, member)                                          \
    do {                                                                        \
        ctype v_;                                                               \
        int rc_ = o == MR_ORDER_LE   ? mr_region_get_##name##le(r, off, &v_)    \
                  : o == MR_ORDER_BE ? mr_region_get_##name##be(r, off, &v_)    \
                                     : mr_region_get_##name(r, off, &v_);       \
        if (rc_ < 0)                                                            \
            return rc_;                                                         \
        out->member = v_;                                                       \
        return 0;                                                               \
    } while (0)

int mr_value_get(struct mr_region r, size_t off, enum mr_type t, enum mr_order o,
                 union mr_value *out)
{
    if (!type_is_scalar(t) || !order_is_valid(o))
        return -EINVAL;
    switch (t) {
    case MR_TYPE_U8:
    case MR_TYPE_CHAR:
        VALUE_GET(u8, uint8_t, u);
    case MR_TYPE_U16:
        VALUE_GET(u16, uint16_t, u);
    case MR_TYPE_U32:
        VALUE_GET(u32, uint32_t, u);
    case MR_TYPE_U64:
        VALUE_GET(u64, uint64_t, u);
    case MR_TYPE_I8:
        VALUE_GET(i8, int8_t, i);
    case MR_TYPE_I16:
        VALUE_GET(i16, int16_t, i);
    case MR_TYPE_I32:
        VALUE_GET(i32, int32_t, i);
    case MR_TYPE_I64:
        VALUE_GET(i64, int64_t, i);
    case MR_TYPE_F32:
        VALUE_GET(f32, float, f);
    case MR_TYPE_F64:
        VALUE_GET(f64, double, f);
    default:
        return -EINVAL;
    }
}

/* The bounds and the read-only flag were checked by the caller, so the
 * region's own checks cannot fail here. */
#define VALUE_SET(name, ctype, expr)                                            \
    do {                                                                        \
        ctype v_ = (ctype)(expr);                                               \
        if (o == MR_ORDER_LE)                                                   \
            (void)mr_region_set_##name##le(r, off, v_);                         \
        else if (o == MR_ORDER_BE)                                              \
            (void)mr_region_set_##name##be(r, off, v_);                         \
        else                                                                    \
            (void)mr_region_set_##name(r, off, v_);                             \
        return 0;                                                               \
    } while (0)

static bool u_fits(uint64_t v, uint64_t max) { return v <= max; }
static bool i_fits(int64_t v, int64_t min, int64_t max) { return v >= min && v <= max; }

int mr_value_set(struct mr_region r, size_t off, enum mr_type t, enum mr_order o,
                 union mr_value v)
{
    if (!type_is_scalar(t) || !order_is_valid(o))
        return -EINVAL;
    if (r.flags & MR_REGION_RDONLY)
        return -EACCES;
    if (!mr_region_fits(r, off, type_info[t].size))
        return -ERANGE;
    switch (t) {
    case MR_TYPE_U8:
    case MR_TYPE_CHAR:
        if (!u_fits(v.u, UINT8_MAX))
            return -EOVERFLOW;
        VALUE_SET(u8, uint8_t, v.u);
    case MR_TYPE_U16:
        if (!u_fits(v.u, UINT16_MAX))
            return -EOVERFLOW;
        VALUE_SET(u16, uint16_t, v.u);
    case MR_TYPE_U32:
        if (!u_fits(v.u, UINT32_MAX))
            return -EOVERFLOW;
        VALUE_SET(u32, uint32_t, v.u);
    case MR_TYPE_U64:
        VALUE_SET(u64, uint64_t, v.u);
    case MR_TYPE_I8:
        if (!i_fits(v.i, INT8_MIN, INT8_MAX))
            return -EOVERFLOW;
        VALUE_SET(i8, int8_t, v.i);
    case MR_TYPE_I16:
        if (!i_fits(v.i, INT16_MIN, INT16_MAX))
            return -EOVERFLOW;
        VALUE_SET(i16, int16_t, v.i);
    case MR_TYPE_I32:
        if (!i_fits(v.i, INT32_MIN, INT32_MAX))
            return -EOVERFLOW;
        VALUE_SET(i32, int32_t, v.i);
    case MR_TYPE_I64:
        VALUE_SET(i64, int64_t, v.i);
    case MR_TYPE_F32:
        /* Converting a finite double beyond the float range is undefined
         * behaviour in ISO C; NaN and the infinities convert exactly. */
        if (isfinite(v.f) && (v.f > FLT_MAX || v.f < -FLT_MAX))
            return -EOVERFLOW;
        VALUE_SET(f32, float, v.f);
    case MR_TYPE_F64:
        VALUE_SET(f64, double, v.f);
    default:
        return -EINVAL;
    }
}

/* ---- conversions for the typed accessors ------------------------------------
 * To an integer: exact or -EOVERFLOW. To a float: rounded. The range tests
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

/* ---- typed arrays ----------------------------------------------------------- */

int mr_array_init(struct mr_array *a, struct mr_region r, enum mr_type t, enum mr_order o,
                  size_t stride, size_t count)
{
    size_t size, span;

    if (!type_is_scalar(t) || !order_is_valid(o))
        return -EINVAL;
    size = type_info[t].size;
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
 * iobuf layer's byte-swap kernels (SIMD where the CPU has it), which allow
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

/* ---- layouts -----------------------------------------------------------------
 * A layout is one block from its allocator: this header, the fields, the
 * indices of the fields sorted by name, then the names. Nested layouts are
 * blocks of their own, owned by the field that points to them. */
struct mr_layout {
    struct mr_allocator *alloc;
    size_t block_size;
    size_t size;
    size_t nfields;
    unsigned depth;
    struct mr_field *fields;
    uint32_t *by_name;
};

/* A field on its way into a layout: its name need not be NUL-terminated
 * (parsed names point into the text), and pos locates it for errors. */
struct field_in {
    struct mr_field f;
    size_t name_len;
    size_t pos;
};

static int layout_error(struct mr_layout_error *err, size_t pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int layout_error(struct mr_layout_error *err, size_t pos, const char *fmt, ...)
{
    va_list ap;
    err->pos = pos;
    va_start(ap, fmt);
    vsnprintf(err->reason, sizeof err->reason, fmt, ap);
    va_end(ap);
    return -EINVAL;
}

static int name_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
    int c = memcmp(a, b, alen < blen ? alen : blen);
    if (c)
        return c;
    return (alen > blen) - (alen < blen);
}

typedef int (*field_cmp_fn)(const struct field_in *in, uint32_t a, uint32_t b);

static int cmp_by_name(const struct field_in *in, uint32_t a, uint32_t b)
{
    int c = name_cmp(in[a].f.name, in[a].name_len, in[b].f.name, in[b].name_len);
    return c ? c : (a > b) - (a < b);
}

static int cmp_by_offset(const struct field_in *in, uint32_t a, uint32_t b)
{
    size_t x = in[a].f.offset, y = in[b].f.offset;
    if (x != y)
        return x < y ? -1 : 1;
    return (a > b) - (a < b);
}

/* Heapsort: no recursion, no allocation (qsort may call malloc, which would
 * bypass the caller's allocator), O(n log n) on hostile input. */
static void sift_down(uint32_t *v, size_t root, size_t n, const struct field_in *in,
                      field_cmp_fn cmp)
{
    for (;;) {
        size_t child = 2 * root + 1;
        if (child >= n)
            return;
        if (child + 1 < n && cmp(in, v[child], v[child + 1]) < 0)
            child++;
        if (cmp(in, v[root], v[child]) >= 0)
            return;
        uint32_t t = v[root];
        v[root] = v[child];
        v[child] = t;
        root = child;
    }
}

static void sort_indices(uint32_t *v, size_t n, const struct field_in *in, field_cmp_fn cmp)
{
    for (size_t i = n / 2; i-- > 0;)
        sift_down(v, i, n, in, cmp);
    for (size_t end = n; end-- > 1;) {
        uint32_t t = v[0];
        v[0] = v[end];
        v[end] = t;
        sift_down(v, 0, end, in, cmp);
    }
}

static size_t elem_size(const struct mr_field *f)
{
    return f->type == MR_TYPE_STRUCT ? f->nested->size : type_info[f->type].size;
}

size_t mr_field_size(const struct mr_field *f)
{
    return elem_size(f) * (f->count ? f->count : 1);
}

static bool is_ident_start(int c) { return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static bool is_ident_char(int c) { return is_ident_start(c) || (c >= '0' && c <= '9'); }

/* The field's end offset, or false when it passes PTRDIFF_MAX (the largest
 * region) or the arithmetic overflows. */
static bool field_end(const struct mr_field *f, size_t *end)
{
    size_t total;
    if (__builtin_mul_overflow(elem_size(f), f->count ? f->count : 1, &total) ||
        __builtin_add_overflow(f->offset, total, end))
        return false;
    return *end <= PTRDIFF_MAX;
}

static void layout_free_nested(struct field_in *in, size_t n)
{
    for (size_t i = 0; i < n; i++)
        mr_layout_destroy((struct mr_layout *)(uintptr_t)in[i].f.nested);
}

void mr_layout_destroy(struct mr_layout *l)
{
    if (l == NULL)
        return;
    for (size_t i = 0; i < l->nfields; i++)
        mr_layout_destroy((struct mr_layout *)(uintptr_t)l->fields[i].nested);
    mr_free(l->alloc, mr_region_make(l, l->block_size));
}

/* A copy of src, nested layouts included, from allocator a. The block is
 * position-independent apart from its pointers, which are moved over. */
static int layout_clone(struct mr_allocator *a, const struct mr_layout *src, struct mr_layout **out)
{
    struct mr_region blk;
    int rc = mr_alloc(a, src->block_size, MR_ALIGN_DEFAULT, &blk);
    if (rc < 0)
        return rc;
    struct mr_layout *l = blk.ptr;
    char *base = blk.ptr;
    const char *sbase = (const char *)src;
    memcpy(l, src, src->block_size);
    l->alloc = a;
    l->fields = (struct mr_field *)(void *)(base + ((const char *)src->fields - sbase));
    l->by_name = (uint32_t *)(void *)(base + ((const char *)src->by_name - sbase));
    for (size_t i = 0; i < l->nfields; i++) {
        l->fields[i].name = base + (src->fields[i].name - sbase);
        l->fields[i].nested = NULL;
    }
    for (size_t i = 0; i < l->nfields; i++) {
        struct mr_layout *sub;
        if (src->fields[i].nested == NULL)
            continue;
        if ((rc = layout_clone(a, src->fields[i].nested, &sub)) < 0) {
            mr_layout_destroy(l);
            return rc;
        }
        l->fields[i].nested = sub;
    }
    *out = l;
    return 0;
}

/* Check n fields and make a layout of them. With adopt, the nested layouts
 * become the new layout's on success (on failure they stay the caller's);
 * without, they are cloned. have_size false: the size is the largest end. */
static int layout_build(struct mr_allocator *a, struct field_in *in, size_t n, bool have_size,
                        size_t size, bool adopt, struct mr_layout **out,
                        struct mr_layout_error *err)
{
    size_t max_end = 0, names = 0;
    unsigned depth = 1;
    int rc;

    /* n <= MR_LAYOUT_MAX_FIELDS: both callers refuse more, each at its own
     * position, so the indices fit in 32 bits. */
    for (size_t i = 0; i < n; i++) {
        struct mr_field *f = &in[i].f;
        const int nl = (int)in[i].name_len;
        size_t end;

        if (f->name == NULL || in[i].name_len == 0)
            return layout_error(err, in[i].pos, "field has no name");
        if (in[i].name_len > MR_LAYOUT_MAX_NAME)
            return layout_error(err, in[i].pos, "field name longer than %d bytes",
                                MR_LAYOUT_MAX_NAME);
        for (size_t k = 0; k < in[i].name_len; k++)
            if (!(k ? is_ident_char(f->name[k]) : is_ident_start(f->name[k])))
                return layout_error(err, in[i].pos, "field name is not an identifier");
        if (f->flags & ~MR_FIELD_OVERLAP)
            return layout_error(err, in[i].pos, "unknown field flags");
        if ((unsigned)f->type > (unsigned)MR_TYPE_STRUCT)
            return layout_error(err, in[i].pos, "unknown type");
        if (!order_is_valid(f->order))
            return layout_error(err, in[i].pos, "unknown byte order");
        if (f->type == MR_TYPE_STRUCT) {
            if (f->nested == NULL)
                return layout_error(err, in[i].pos, "struct field without a nested layout");
            if (f->nested->size == 0)
                return layout_error(err, in[i].pos, "nested layout is empty");
            if (f->nested->depth + 1 > MR_LAYOUT_MAX_DEPTH)
                return layout_error(err, in[i].pos, "nesting too deep");
            if (f->nested->depth + 1 > depth)
                depth = f->nested->depth + 1;
        } else if (f->nested != NULL) {
            return layout_error(err, in[i].pos, "nested layout on a non-struct field");
        }
        if (!field_end(f, &end))
            return layout_error(err, in[i].pos, "field '%.*s' ends past the size limit", nl,
                                f->name);
        if (have_size && end > size)
            return layout_error(err, in[i].pos, "field '%.*s' ends past the layout size", nl,
                                f->name);
        if (end > max_end)
            max_end = end;
        names += in[i].name_len + 1;
    }
    if (have_size && size > PTRDIFF_MAX)
        return layout_error(err, n, "size overflows");

    /* Header, fields, indices, names: no padding is needed between them, as
     * each part's alignment is at most that of the part before it. */
    size_t off_fields = sizeof(struct mr_layout);
    size_t off_index = off_fields + n * sizeof(struct mr_field);
    size_t off_names = off_index + n * sizeof(uint32_t);
    struct mr_region blk;
    if ((rc = mr_alloc(a, off_names + names, MR_ALIGN_DEFAULT, &blk)) < 0)
        return rc;
    struct mr_layout *l = blk.ptr;
    memset(l, 0, sizeof *l);
    l->alloc = a;
    l->block_size = blk.len;
    l->size = have_size ? size : max_end;
    l->depth = depth;
    l->fields = (struct mr_field *)(void *)((char *)blk.ptr + off_fields);
    l->by_name = (uint32_t *)(void *)((char *)blk.ptr + off_index);

    /* Duplicates: report the first field whose name an earlier one has. */
    size_t dup = SIZE_MAX;
    for (size_t i = 0; i < n; i++)
        l->by_name[i] = (uint32_t)i;
    sort_indices(l->by_name, n, in, cmp_by_name);
    for (size_t i = 1; i < n; i++) {
        uint32_t x = l->by_name[i - 1], y = l->by_name[i];
        if (name_cmp(in[x].f.name, in[x].name_len, in[y].f.name, in[y].name_len) == 0 && y < dup)
            dup = y;
    }
    if (dup != SIZE_MAX) {
        rc = layout_error(err, in[dup].pos, "duplicate field name '%.*s'", (int)in[dup].name_len,
                          in[dup].f.name);
        goto fail;
    }

    /* Overlaps: only fields without MR_FIELD_OVERLAP, and with bytes, can
     * clash. Sorted by offset, a field clashes with an earlier one exactly
     * when it starts before the furthest end seen so far. */
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (!(in[i].f.flags & MR_FIELD_OVERLAP) && mr_field_size(&in[i].f) > 0)
            l->by_name[m++] = (uint32_t)i;
    sort_indices(l->by_name, m, in, cmp_by_offset);
    size_t reach = 0;
    uint32_t reacher = 0;
    for (size_t k = 0; k < m; k++) {
        uint32_t i = l->by_name[k];
        size_t end = in[i].f.offset + mr_field_size(&in[i].f);
        if (k > 0 && in[i].f.offset < reach) {
            uint32_t later = i > reacher ? i : reacher, earlier = i > reacher ? reacher : i;
            rc = layout_error(err, in[later].pos, "field '%.*s' overlaps field '%.*s'",
                              (int)in[later].name_len, in[later].f.name,
                              (int)in[earlier].name_len, in[earlier].f.name);
            goto fail;
        }
        if (end > reach) {
            reach = end;
            reacher = i;
        }
    }

    char *names_at = (char *)blk.ptr + off_names;
    for (size_t i = 0; i < n; i++) {
        struct mr_field *f = &l->fields[i];
        *f = in[i].f;
        memcpy(names_at, in[i].f.name, in[i].name_len);
        names_at[in[i].name_len] = '\0';
        f->name = names_at;
        names_at += in[i].name_len + 1;
        if (type_info[f->type].size == 1 || f->type == MR_TYPE_STRUCT)
            f->order = MR_ORDER_HOST;
        f->nested = NULL;
    }
    /* Counted before the clones, so that destroying a half-cloned layout
     * finds the clones made so far. */
    l->nfields = n;
    for (size_t i = 0; i < n; i++) {
        if (in[i].f.nested == NULL)
            continue;
        if (adopt) {
            l->fields[i].nested = in[i].f.nested;
            continue;
        }
        struct mr_layout *sub;
        if ((rc = layout_clone(a, in[i].f.nested, &sub)) < 0) {
            mr_layout_destroy(l);
            return rc;
        }
        l->fields[i].nested = sub;
    }
    for (size_t i = 0; i < n; i++)
        l->by_name[i] = (uint32_t)i;
    sort_indices(l->by_name, n, in, cmp_by_name);
    *out = l;
    return 0;

fail:
    mr_free(a, blk);
    return rc;
}

static void oom_error(struct mr_layout_error *err)
{
    err->pos = 0;
    snprintf(err->reason, sizeof err->reason, "out of memory");
}

int mr_layout_create(struct mr_allocator *a, const struct mr_field *fields, size_t n, size_t size,
                     struct mr_layout **out, struct mr_layout_error *err)
{
    struct mr_layout_error dummy;
    struct mr_region tmp = { NULL, 0, 0 };
    int rc;

    if (err == NULL)
        err = &dummy;
    if (a == NULL)
        a = mr_heap();
    if (out == NULL || (fields == NULL && n > 0))
        return layout_error(err, 0, "invalid argument");
    if (n > MR_LAYOUT_MAX_FIELDS)
        return layout_error(err, MR_LAYOUT_MAX_FIELDS, "too many fields");
    if ((rc = mr_alloc(a, n * sizeof(struct field_in), MR_ALIGN_DEFAULT, &tmp)) < 0) {
        oom_error(err);
        return rc;
    }
    struct field_in *in = tmp.ptr;
    for (size_t i = 0; i < n; i++) {
        in[i].f = fields[i];
        in[i].name_len = fields[i].name ? strnlen(fields[i].name, MR_LAYOUT_MAX_NAME + 1) : 0;
        in[i].pos = i;
    }
    rc = layout_build(a, in, n, size != 0, size, false, out, err);
    if (rc == -ENOMEM)
        oom_error(err);
    mr_free(a, tmp);
    return rc;
}

size_t mr_layout_size(const struct mr_layout *l) { return l->size; }
size_t mr_layout_field_count(const struct mr_layout *l) { return l->nfields; }

const struct mr_field *mr_layout_field(const struct mr_layout *l, size_t i)
{
    return i < l->nfields ? &l->fields[i] : NULL;
}

static ssize_t layout_find_n(const struct mr_layout *l, const char *name, size_t len)
{
    size_t lo = 0, hi = l->nfields;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const char *s = l->fields[l->by_name[mid]].name;
        int c = name_cmp(name, len, s, strlen(s));
        if (c == 0)
            return l->by_name[mid];
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return -ENOENT;
}

ssize_t mr_layout_find(const struct mr_layout *l, const char *name)
{
    if (name == NULL)
        return -ENOENT;
    return layout_find_n(l, name, strnlen(name, MR_LAYOUT_MAX_NAME + 1));
}

/* ---- the spec parser -----------------------------------------------------------
 * Recursive descent, one level per nested layout: the depth limit bounds the
 * recursion, and each level's fields grow in one array from the allocator. */

struct parser {
    struct mr_allocator *alloc;
    const char *s;
    size_t len;
    size_t pos;
    struct mr_layout_error *err;
};

static int peek(const struct parser *p)
{
    return p->pos < p->len ? (unsigned char)p->s[p->pos] : -1;
}

static bool is_space(int c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static void skip_space(struct parser *p)
{
    for (;;) {
        int c = peek(p);
        if (is_space(c)) {
            p->pos++;
        } else if (c == '#') {
            while (p->pos < p->len && p->s[p->pos] != '\n')
                p->pos++;
        } else {
            return;
        }
    }
}

/* An item ends at whitespace, a comment, a '}' or the end of the text. */
static bool at_item_end(const struct parser *p)
{
    int c = peek(p);
    return c < 0 || is_space(c) || c == '#' || c == '}';
}

static int hex_digit(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* A decimal or 0x-hex number up to PTRDIFF_MAX. */
static int parse_number(struct parser *p, const char *expected, const char *overflows, size_t *out)
{
    size_t start = p->pos, v = 0;
    unsigned base = 10;
    int c = peek(p);

    if (c < '0' || c > '9')
        return layout_error(p->err, p->pos, "%s", expected);
    if (c == '0' && p->pos + 1 < p->len && (p->s[p->pos + 1] == 'x' || p->s[p->pos + 1] == 'X')) {
        base = 16;
        p->pos += 2;
        if (hex_digit(peek(p)) < 0)
            return layout_error(p->err, p->pos, "expected hex digits after '0x'");
    }
    for (;;) {
        int d = hex_digit(peek(p));
        if (d < 0 || (unsigned)d >= base)
            break;
        if (__builtin_mul_overflow(v, base, &v) || __builtin_add_overflow(v, (size_t)d, &v) ||
            v > PTRDIFF_MAX)
            return layout_error(p->err, start, "%s", overflows);
        p->pos++;
    }
    *out = v;
    return 0;
}

static const struct {
    const char *name;
    enum mr_type type;
} type_names[] = {
    { "u8", MR_TYPE_U8 },   { "u16", MR_TYPE_U16 }, { "u32", MR_TYPE_U32 },
    { "u64", MR_TYPE_U64 }, { "i8", MR_TYPE_I8 },   { "i16", MR_TYPE_I16 },
    { "i32", MR_TYPE_I32 }, { "i64", MR_TYPE_I64 }, { "f32", MR_TYPE_F32 },
    { "f64", MR_TYPE_F64 }, { "char", MR_TYPE_CHAR },
};

static int parse_type(struct parser *p, enum mr_type *t, enum mr_order *o)
{
    size_t start = p->pos;
    while (is_ident_char(peek(p)))
        p->pos++;
    const char *tok = p->s + start;
    size_t len = p->pos - start;

    if (len == 0)
        return layout_error(p->err, start, "expected type after ':'");
    for (size_t i = 0; i < sizeof type_names / sizeof type_names[0]; i++) {
        size_t nl = strlen(type_names[i].name);
        if (len < nl || memcmp(tok, type_names[i].name, nl) != 0)
            continue;
        if (len == nl) {
            *t = type_names[i].type;
            *o = MR_ORDER_HOST;
            return 0;
        }
        if (len != nl + 2 || (memcmp(tok + nl, "le", 2) != 0 && memcmp(tok + nl, "be", 2) != 0))
            continue;
        if (type_info[type_names[i].type].size == 1)
            return layout_error(p->err, start, "type '%s' takes no byte order",
                                type_names[i].name);
        *t = type_names[i].type;
        *o = tok[nl] == 'l' ? MR_ORDER_LE : MR_ORDER_BE;
        return 0;
    }
    /* Long enough to recognise, short enough that the reason always fits. */
    if (len > 32)
        return layout_error(p->err, start, "unknown type '%.32s...'", tok);
    return layout_error(p->err, start, "unknown type '%.*s'", (int)len, tok);
}

static int parse_level(struct parser *p, unsigned depth, size_t open_pos, struct mr_layout **out);

/* One field, from its name (at start, name_len bytes, already read) on. */
static int parse_field(struct parser *p, unsigned depth, size_t start, size_t name_len,
                       size_t next_off, struct field_in *fi)
{
    struct mr_layout *nested = NULL;
    struct mr_field *f = &fi->f;
    size_t end;
    int rc;

    memset(fi, 0, sizeof *fi);
    f->name = p->s + start;
    fi->name_len = name_len;
    fi->pos = start;
    if (peek(p) != ':')
        return layout_error(p->err, p->pos, "expected ':' after field name");
    p->pos++;
    if (peek(p) == '{') {
        size_t open = p->pos;
        if (depth + 1 > MR_LAYOUT_MAX_DEPTH)
            return layout_error(p->err, open, "nesting too deep");
        p->pos++;
        if ((rc = parse_level(p, depth + 1, open, &nested)) < 0)
            return rc;
        if (nested->size == 0) {
            rc = layout_error(p->err, open, "nested layout is empty");
            goto fail;
        }
        f->type = MR_TYPE_STRUCT;
        f->order = MR_ORDER_HOST;
        f->nested = nested;
    } else if ((rc = parse_type(p, &f->type, &f->order)) < 0) {
        return rc;
    }
    if (peek(p) == '[') {
        p->pos++;
        size_t at = p->pos;
        if ((rc = parse_number(p, "expected array count", "array count overflows", &f->count)) < 0)
            goto fail;
        if (f->count == 0) {
            rc = layout_error(p->err, at, "array count is zero");
            goto fail;
        }
        if (peek(p) != ']') {
            rc = layout_error(p->err, p->pos, "expected ']' after array count");
            goto fail;
        }
        p->pos++;
    }
    f->offset = next_off;
    if (peek(p) == '@') {
        p->pos++;
        if ((rc = parse_number(p, "expected offset after '@'", "offset overflows", &f->offset)) < 0)
            goto fail;
    }
    if (peek(p) == '!') {
        p->pos++;
        f->flags = MR_FIELD_OVERLAP;
    }
    if (!at_item_end(p)) {
        rc = layout_error(p->err, p->pos, "unexpected character after field");
        goto fail;
    }
    if (!field_end(f, &end)) {
        rc = layout_error(p->err, start, "field '%.*s' ends past the size limit", (int)name_len,
                          f->name);
        goto fail;
    }
    return 0;

fail:
    mr_layout_destroy(nested);
    f->nested = NULL;
    return rc;
}

static int parse_level(struct parser *p, unsigned depth, size_t open_pos, struct mr_layout **out)
{
    struct mr_region vec = { NULL, 0, 0 };
    struct field_in *in = NULL;
    size_t n = 0, next_off = 0, size = 0;
    bool have_size = false;
    int rc;

    for (;;) {
        skip_space(p);
        int c = peek(p);
        if (c < 0) {
            if (depth > 1) {
                rc = layout_error(p->err, open_pos, "unterminated '{'");
                goto out;
            }
            break;
        }
        if (c == '}') {
            if (depth == 1) {
                rc = layout_error(p->err, p->pos, "unexpected '}'");
                goto out;
            }
            p->pos++;
            break;
        }
        size_t start = p->pos;
        if (!is_ident_start(c)) {
            rc = layout_error(p->err, p->pos, "expected field name");
            goto out;
        }
        while (is_ident_char(peek(p)))
            p->pos++;
        size_t name_len = p->pos - start;
        if (name_len > MR_LAYOUT_MAX_NAME) {
            rc = layout_error(p->err, start, "field name longer than %d bytes", MR_LAYOUT_MAX_NAME);
            goto out;
        }
        if (peek(p) == '=' && name_len == 4 && memcmp(p->s + start, "size", 4) == 0) {
            p->pos++;
            if (have_size) {
                rc = layout_error(p->err, start, "duplicate size directive");
                goto out;
            }
            if ((rc = parse_number(p, "expected size after 'size='", "size overflows", &size)) < 0)
                goto out;
            if (!at_item_end(p)) {
                rc = layout_error(p->err, p->pos, "unexpected character after size");
                goto out;
            }
            have_size = true;
            continue;
        }
        if (n == MR_LAYOUT_MAX_FIELDS) {
            rc = layout_error(p->err, start, "too many fields");
            goto out;
        }
        if (n * sizeof *in == vec.len) {
            size_t cap = n ? 2 * n : 8;
            if ((rc = mr_realloc(p->alloc, &vec, cap * sizeof *in, MR_ALIGN_DEFAULT)) < 0)
                goto out;
            in = vec.ptr;
        }
        if ((rc = parse_field(p, depth, start, name_len, next_off, &in[n])) < 0)
            goto out;
        next_off = in[n].f.offset + mr_field_size(&in[n].f);
        n++;
    }
    rc = layout_build(p->alloc, in, n, have_size, size, true, out, p->err);
    if (rc == 0)
        n = 0;
out:
    layout_free_nested(in, n);
    mr_free(p->alloc, vec);
    return rc;
}

int mr_layout_parse(struct mr_allocator *a, const char *text, size_t len, struct mr_layout **out,
                    struct mr_layout_error *err)
{
    struct mr_layout_error dummy;
    if (err == NULL)
        err = &dummy;
    if (a == NULL)
        a = mr_heap();
    if (out == NULL || (text == NULL && len > 0))
        return layout_error(err, 0, "invalid argument");
    struct parser p = { a, text, len, 0, err };
    int rc = parse_level(&p, 1, 0, out);
    if (rc == -ENOMEM)
        oom_error(err);
    return rc;
}

static void print_spec_level(const struct mr_layout *l, FILE *out)
{
    for (size_t i = 0; i < l->nfields; i++) {
        const struct mr_field *f = &l->fields[i];
        fprintf(out, "%s:", f->name);
        if (f->type == MR_TYPE_STRUCT) {
            fputc('{', out);
            print_spec_level(f->nested, out);
            fputc('}', out);
        } else {
            fputs(type_info[f->type].name, out);
            if (f->order == MR_ORDER_LE)
                fputs("le", out);
            else if (f->order == MR_ORDER_BE)
                fputs("be", out);
        }
        if (f->count)
            fprintf(out, "[%zu]", f->count);
        fprintf(out, "@%zu%s ", f->offset, (f->flags & MR_FIELD_OVERLAP) ? "!" : "");
    }
    fprintf(out, "size=%zu", l->size);
}

static int flush_status(FILE *out)
{
    int rc = fflush(out);
    return rc != 0 || ferror(out) ? -EIO : 0;
}

int mr_layout_print(const struct mr_layout *l, FILE *out)
{
    print_spec_level(l, out);
    fputc('\n', out);
    return flush_status(out);
}

/* ---- objects ------------------------------------------------------------------ */

int mr_object_init(struct mr_object *o, const struct mr_layout *l, struct mr_region r)
{
    struct mr_region sub;
    if (mr_region_sub(r, 0, l->size, &sub) < 0)
        return -ERANGE;
    o->layout = l;
    o->region = sub;
    return 0;
}

/* What a path names: a field, at a byte offset in the object, and how many
 * of its elements (1 for a scalar or a single element, else the count). */
struct target {
    const struct mr_field *f;
    size_t off;
    size_t n;
    bool whole_array;
};

static int resolve(const struct mr_layout *l, const char *path, struct target *t)
{
    size_t base = 0;
    const char *s = path;

    if (path == NULL)
        return -EINVAL;
    for (;;) {
        const char *name = s;
        if (!is_ident_start((unsigned char)*s))
            return -EINVAL;
        while (is_ident_char((unsigned char)*s))
            s++;
        if ((size_t)(s - name) > MR_LAYOUT_MAX_NAME)
            return -ENOENT;
        ssize_t idx = layout_find_n(l, name, (size_t)(s - name));
        if (idx < 0)
            return (int)idx;
        const struct mr_field *f = &l->fields[idx];
        t->f = f;
        t->off = base + f->offset;
        t->n = f->count ? f->count : 1;
        t->whole_array = f->count != 0;
        if (*s == '[') {
            size_t i = 0;
            bool too_big = false;
            if (f->count == 0)
                return -EINVAL;
            s++;
            if (*s < '0' || *s > '9')
                return -EINVAL;
            for (; *s >= '0' && *s <= '9'; s++)
                if (__builtin_mul_overflow(i, 10, &i) ||
                    __builtin_add_overflow(i, (size_t)(*s - '0'), &i))
                    too_big = true;
            if (*s++ != ']')
                return -EINVAL;
            if (too_big || i >= f->count)
                return -ERANGE;
            t->off += i * elem_size(f);
            t->n = 1;
            t->whole_array = false;
        }
        if (*s == '\0')
            return 0;
        if (*s != '.' || f->type != MR_TYPE_STRUCT || t->whole_array)
            return -EINVAL;
        s++;
        l = f->nested;
        base = t->off;
    }
}

/* A single scalar value: not a struct, not a whole array. */
static int resolve_value(const struct mr_object *o, const char *path, struct target *t)
{
    int rc = resolve(o->layout, path, t);
    if (rc < 0)
        return rc;
    if (t->f->type == MR_TYPE_STRUCT || t->whole_array)
        return -EINVAL;
    return 0;
}

int mr_object_get(const struct mr_object *o, const char *path, union mr_value *out)
{
    struct target t;
    int rc = resolve_value(o, path, &t);
    if (rc < 0)
        return rc;
    return mr_value_get(o->region, t.off, t.f->type, t.f->order, out);
}

int mr_object_set(const struct mr_object *o, const char *path, union mr_value v)
{
    struct target t;
    int rc = resolve_value(o, path, &t);
    if (rc < 0)
        return rc;
    return mr_value_set(o->region, t.off, t.f->type, t.f->order, v);
}

static int target_at(const struct mr_object *o, size_t index, size_t elem, struct target *t)
{
    if (index >= o->layout->nfields)
        return -ERANGE;
    const struct mr_field *f = &o->layout->fields[index];
    if (f->type == MR_TYPE_STRUCT)
        return -EINVAL;
    if (elem >= (f->count ? f->count : 1))
        return -ERANGE;
    t->f = f;
    t->off = f->offset + elem * elem_size(f);
    t->n = 1;
    t->whole_array = false;
    return 0;
}

int mr_object_get_at(const struct mr_object *o, size_t index, size_t elem, union mr_value *out)
{
    struct target t;
    int rc = target_at(o, index, elem, &t);
    if (rc < 0)
        return rc;
    return mr_value_get(o->region, t.off, t.f->type, t.f->order, out);
}

int mr_object_set_at(const struct mr_object *o, size_t index, size_t elem, union mr_value v)
{
    struct target t;
    int rc = target_at(o, index, elem, &t);
    if (rc < 0)
        return rc;
    return mr_value_set(o->region, t.off, t.f->type, t.f->order, v);
}

ssize_t mr_object_get_str(const struct mr_object *o, const char *path, char *dst, size_t dst_size)
{
    struct target t;
    int rc = resolve(o->layout, path, &t);
    if (rc < 0)
        return rc;
    if (t.f->type != MR_TYPE_CHAR || dst == NULL || dst_size == 0)
        return -EINVAL;
    const char *p = (const char *)o->region.ptr + t.off;
    size_t len = strnlen(p, t.n);
    if (len >= dst_size)
        return -EOVERFLOW;
    memcpy(dst, p, len);
    dst[len] = '\0';
    return (ssize_t)len;
}

int mr_object_set_str(const struct mr_object *o, const char *path, const char *s)
{
    struct target t;
    int rc = resolve(o->layout, path, &t);
    if (rc < 0)
        return rc;
    if (t.f->type != MR_TYPE_CHAR || s == NULL)
        return -EINVAL;
    if (o->region.flags & MR_REGION_RDONLY)
        return -EACCES;
    size_t len = strnlen(s, t.n + 1);
    if (len > t.n)
        return -EOVERFLOW;
    char *p = (char *)o->region.ptr + t.off;
    memcpy(p, s, len);
    memset(p + len, 0, t.n - len);
    return 0;
}

int mr_object_field(const struct mr_object *o, size_t index, struct mr_array *out)
{
    struct mr_region r;
    if (index >= o->layout->nfields)
        return -ERANGE;
    const struct mr_field *f = &o->layout->fields[index];
    if (f->type == MR_TYPE_STRUCT)
        return -EINVAL;
    if (mr_region_tail(o->region, f->offset, &r) < 0)
        return -ERANGE;
    return mr_array_init(out, r, f->type, f->order, 0, f->count ? f->count : 1);
}

int mr_object_nested(const struct mr_object *o, size_t index, size_t elem, struct mr_object *out)
{
    struct mr_region r;
    if (index >= o->layout->nfields)
        return -ERANGE;
    const struct mr_field *f = &o->layout->fields[index];
    if (f->type != MR_TYPE_STRUCT)
        return -EINVAL;
    if (elem >= (f->count ? f->count : 1))
        return -ERANGE;
    if (mr_region_sub(o->region, f->offset + elem * f->nested->size, f->nested->size, &r) < 0)
        return -ERANGE;
    out->layout = f->nested;
    out->region = r;
    return 0;
}

/* ---- printing -------------------------------------------------------------------- */

/* The shortest %g text that reads back as the same value (as a float for an
 * f32), so that 0.1 prints as 0.1 and not 0.10000000000000001. */
static void format_float(char *buf, size_t cap, double d, bool single)
{
    if (isnan(d)) {
        snprintf(buf, cap, "nan");
        return;
    }
    if (isinf(d)) {
        snprintf(buf, cap, "%s", d < 0 ? "-inf" : "inf");
        return;
    }
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, cap, "%.*g", prec, d);
        if (single ? strtof(buf, NULL) == (float)d : strtod(buf, NULL) == d)
            break;
    }
    /* Under a locale whose decimal point is a comma, printf and strtod agree
     * with each other but not with JSON or the spec syntax. */
    for (char *c = buf; *c; c++)
        if (*c == ',')
            *c = '.';
}

static void print_value(FILE *out, const struct mr_field *f, union mr_value v, bool json)
{
    char buf[48];
    switch (type_kind(f->type)) {
    case KIND_U:
        fprintf(out, "%" PRIu64, v.u);
        break;
    case KIND_I:
        fprintf(out, "%" PRId64, v.i);
        break;
    default:
        if (json && !isfinite(v.f)) {
            fputs("null", out);
            break;
        }
        format_float(buf, sizeof buf, v.f, f->type == MR_TYPE_F32);
        fputs(buf, out);
        break;
    }
}

static void print_string(FILE *out, const unsigned char *p, size_t n, bool json)
{
    fputc('"', out);
    for (size_t i = 0; i < n && p[i]; i++) {
        unsigned c = p[i];
        switch (c) {
        case '"':
            fputs("\\\"", out);
            break;
        case '\\':
            fputs("\\\\", out);
            break;
        case '\n':
            fputs("\\n", out);
            break;
        case '\r':
            fputs("\\r", out);
            break;
        case '\t':
            fputs("\\t", out);
            break;
        default:
            if (c >= 0x20 && c < 0x7f)
                fputc((int)c, out);
            else if (json)
                fprintf(out, "\\u%04x", c);
            else
                fprintf(out, "\\x%02x", c);
            break;
        }
    }
    fputc('"', out);
}

/* The field's value or values: a string, a scalar, or an array of scalars. */
static void print_field_data(FILE *out, struct mr_region r, size_t off, const struct mr_field *f,
                             bool json)
{
    size_t n = f->count ? f->count : 1;
    size_t es = type_info[f->type].size;
    union mr_value v = { 0 };

    if (f->type == MR_TYPE_CHAR) {
        print_string(out, (const unsigned char *)r.ptr + off, n, json);
        return;
    }
    if (f->count)
        fputc('[', out);
    for (size_t i = 0; i < n; i++) {
        if (i)
            fputs(", ", out);
        (void)mr_value_get(r, off + i * es, f->type, f->order, &v);
        print_value(out, f, v, json);
    }
    if (f->count)
        fputc(']', out);
}

/* Paths are at most MR_LAYOUT_MAX_DEPTH names, indices and dots. */
#define PATH_MAX_LEN (MR_LAYOUT_MAX_DEPTH * (MR_LAYOUT_MAX_NAME + 24) + 1)

static void print_text_level(FILE *out, struct mr_region r, size_t base, const struct mr_layout *l,
                             char *path, size_t plen)
{
    for (size_t i = 0; i < l->nfields; i++) {
        const struct mr_field *f = &l->fields[i];
        size_t off = base + f->offset;
        if (f->type != MR_TYPE_STRUCT) {
            fprintf(out, "%.*s%s = ", (int)plen, path, f->name);
            print_field_data(out, r, off, f, false);
            fputc('\n', out);
            continue;
        }
        size_t n = f->count ? f->count : 1;
        for (size_t e = 0; e < n; e++) {
            int k = f->count ? snprintf(path + plen, PATH_MAX_LEN - plen, "%s[%zu].", f->name, e)
                             : snprintf(path + plen, PATH_MAX_LEN - plen, "%s.", f->name);
            print_text_level(out, r, off + e * f->nested->size, f->nested, path, plen + (size_t)k);
        }
    }
}

static void print_json_level(FILE *out, struct mr_region r, size_t base, const struct mr_layout *l)
{
    fputc('{', out);
    for (size_t i = 0; i < l->nfields; i++) {
        const struct mr_field *f = &l->fields[i];
        size_t off = base + f->offset;
        fprintf(out, "%s\"%s\": ", i ? ", " : "", f->name);
        if (f->type != MR_TYPE_STRUCT) {
            print_field_data(out, r, off, f, true);
            continue;
        }
        if (f->count == 0) {
            print_json_level(out, r, off, f->nested);
            continue;
        }
        fputc('[', out);
        for (size_t e = 0; e < f->count; e++) {
            if (e)
                fputs(", ", out);
            print_json_level(out, r, off + e * f->nested->size, f->nested);
        }
        fputc(']', out);
    }
    fputc('}', out);
}

int mr_object_print(const struct mr_object *o, FILE *out)
{
    char path[PATH_MAX_LEN];
    print_text_level(out, o->region, 0, o->layout, path, 0);
    return flush_status(out);
}

int mr_object_print_json(const struct mr_object *o, FILE *out)
{
    print_json_level(out, o->region, 0, o->layout);
    fputc('\n', out);
    return flush_status(out);
}
