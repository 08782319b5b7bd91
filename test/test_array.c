/* SPDX-License-Identifier: MIT */
/* test/test_array.c: typed arrays: init, stride, get and set with their
 * conversions, sub-views, bulk copies out and in. */
#include "value_test.h"

#include <math.h>

/* ---- arrays: init ---------------------------------------------------------------- */

static void set_sentinel(struct mr_array *a) { memset(a, 0x5c, sizeof *a); }

static void test_array_init(void)
{
    unsigned char buf[40];
    struct mr_region r = MR_REGION_OF_ARRAY(buf);
    struct mr_array a;

    ASSERT_OK(mr_array_init(&a, r, MR_TYPE_U32, MR_ORDER_BE, 0, 10));
    ASSERT_EQ(mr_array_count(&a), (size_t)10);
    ASSERT_EQ(a.size, (size_t)4);
    ASSERT_EQ(a.stride, (size_t)4);
    ASSERT_EQ(a.region.len, (size_t)40);
    ASSERT_EQ((int)a.order, (int)MR_ORDER_BE);

    /* Fewer elements than fit: the region is trimmed to them. */
    ASSERT_OK(mr_array_init(&a, r, MR_TYPE_U16, MR_ORDER_LE, 6, 3));
    ASSERT_EQ(a.region.len, (size_t)(2 * 6 + 2));
    ASSERT_PTR_EQ(a.region.ptr, buf);

    /* The last element may end inside the stride: 7 * 5 + 4 = 39 bytes. */
    ASSERT_OK(mr_array_init(&a, r, MR_TYPE_F32, MR_ORDER_HOST, 5, 8));
    ASSERT_EQ(a.region.len, (size_t)39);
    set_sentinel(&a);
    ASSERT_ERR(mr_array_init(&a, r, MR_TYPE_F32, MR_ORDER_HOST, 5, 9), -ERANGE);
    ASSERT_ALL_BYTES(&a, sizeof a, 0x5c);

    /* MR_ARRAY_FIT: as many as fit. */
    ASSERT_OK(mr_array_init(&a, r, MR_TYPE_U64, MR_ORDER_LE, 0, MR_ARRAY_FIT));
    ASSERT_EQ(a.count, (size_t)5);
    ASSERT_OK(mr_array_init(&a, r, MR_TYPE_U64, MR_ORDER_LE, 12, MR_ARRAY_FIT));
    ASSERT_EQ(a.count, (size_t)3); /* 0, 12, 24 (ends 32); 36 would end at 44 */
    ASSERT_OK(mr_array_init(&a, mr_region_make(buf, 7), MR_TYPE_U64, MR_ORDER_LE, 0, MR_ARRAY_FIT));
    ASSERT_EQ(a.count, (size_t)0);
    ASSERT_OK(mr_array_init(&a, mr_region_make(NULL, 0), MR_TYPE_U8, MR_ORDER_HOST, 0, MR_ARRAY_FIT));
    ASSERT_EQ(a.count, (size_t)0);
    ASSERT_OK(mr_array_init(&a, mr_region_make(NULL, 0), MR_TYPE_U32, MR_ORDER_HOST, 0, 0));
    ASSERT_EQ(a.region.len, (size_t)0);

    /* One-byte types have no order. */
    ASSERT_OK(mr_array_init(&a, r, MR_TYPE_I8, MR_ORDER_BE, 0, 4));
    ASSERT_EQ((int)a.order, (int)MR_ORDER_HOST);

    /* Refusals, *a untouched. */
    set_sentinel(&a);
    ASSERT_ERR(mr_array_init(&a, r, MR_TYPE_U32, MR_ORDER_LE, 3, 2), -EINVAL);
    ASSERT_ERR(mr_array_init(&a, r, MR_TYPE_STRUCT, MR_ORDER_LE, 0, 1), -EINVAL);
    ASSERT_ERR(mr_array_init(&a, r, (enum mr_type)40, MR_ORDER_LE, 0, 1), -EINVAL);
    ASSERT_ERR(mr_array_init(&a, r, MR_TYPE_U8, (enum mr_order)3, 0, 1), -EINVAL);
    ASSERT_ERR(mr_array_init(&a, r, MR_TYPE_U32, MR_ORDER_LE, 0, 11), -ERANGE);
    ASSERT_ERR(mr_array_init(&a, r, MR_TYPE_U32, MR_ORDER_LE, 0, SIZE_MAX / 4 + 2), -ERANGE);
    ASSERT_ERR(mr_array_init(&a, r, MR_TYPE_U32, MR_ORDER_LE, SIZE_MAX, 2), -ERANGE);
    ASSERT_ERR(mr_array_init(&a, r, MR_TYPE_U64, MR_ORDER_LE, SIZE_MAX / 2, 3), -ERANGE);
    ASSERT_ERR(mr_array_init(&a, mr_region_make(NULL, 0), MR_TYPE_U8, MR_ORDER_HOST, 0, 1), -ERANGE);
    ASSERT_ALL_BYTES(&a, sizeof a, 0x5c);

    /* A huge stride with one element is fine: only the element must fit. */
    ASSERT_OK(mr_array_init(&a, r, MR_TYPE_U32, MR_ORDER_LE, SIZE_MAX, 1));
    ASSERT_EQ(a.region.len, (size_t)4);
}

/* ---- arrays: get, set and their conversions -------------------------------------- */

static void test_array_get_set(void)
{
    unsigned char buf[64] = { 0 };
    struct mr_region r = MR_REGION_OF_ARRAY(buf);
    struct mr_array a;
    uint64_t u = 99;
    int64_t i = 99;
    double d = 99;

    /* Every type and order: what set writes, get reads, and the bytes are
     * those the sap layer writes. */
    for (size_t ti = 0; ti < MR_TEST_COUNT(mr_test_value_types); ti++) {
        enum mr_type t = mr_test_value_types[ti];
        for (size_t oi = 0; oi < MR_TEST_COUNT(mr_test_value_orders); oi++) {
            ASSERT_OK(mr_array_init(&a, r, t, mr_test_value_orders[oi], 9, 7));
            for (size_t k = 0; k < 7; k++)
                ASSERT_OK(mr_array_set_u64(&a, k, 100 + k));
            for (size_t k = 0; k < 7; k++) {
                ASSERT_OK(mr_array_get_u64(&a, k, &u));
                ASSERT_EQ(u, (uint64_t)(100 + k));
                ASSERT_OK(mr_array_get_i64(&a, k, &i));
                ASSERT_EQ(i, (int64_t)(100 + k));
                ASSERT_OK(mr_array_get_f64(&a, k, &d));
                ASSERT_FEQ(d, 100.0 + (double)k);
                union mr_value v = mr_test_value_sap_read(buf + 9 * k, t, a.order);
                if (t == MR_TYPE_F32 || t == MR_TYPE_F64)
                    ASSERT_FEQ(v.f, 100.0 + (double)k);
                else
                    ASSERT_EQ(v.u, (uint64_t)(100 + k));
            }
            ASSERT_ERR(mr_array_get_u64(&a, 7, &u), -ERANGE);
            ASSERT_ERR(mr_array_get_i64(&a, SIZE_MAX, &i), -ERANGE);
            ASSERT_ERR(mr_array_get_f64(&a, 7, &d), -ERANGE);
            ASSERT_ERR(mr_array_set_u64(&a, 7, 1), -ERANGE);
            ASSERT_ERR(mr_array_set_i64(&a, 7, 1), -ERANGE);
            ASSERT_ERR(mr_array_set_f64(&a, SIZE_MAX, 1), -ERANGE);
        }
    }

    /* Reading: to an integer exactly or not at all. */
    memset(buf, 0, sizeof buf);
    ASSERT_OK(mr_array_init(&a, r, MR_TYPE_I16, MR_ORDER_BE, 0, 4));
    ASSERT_OK(mr_array_set_i64(&a, 0, -5));
    u = 42;
    ASSERT_ERR(mr_array_get_u64(&a, 0, &u), -EOVERFLOW);
    ASSERT_EQ(u, (uint64_t)42);
    ASSERT_OK(mr_array_get_i64(&a, 0, &i));
    ASSERT_EQ(i, (int64_t)-5);
    ASSERT_OK(mr_array_get_f64(&a, 0, &d));
    ASSERT_FEQ(d, -5.0);

    ASSERT_OK(mr_array_init(&a, r, MR_TYPE_U64, MR_ORDER_LE, 0, 4));
    ASSERT_OK(mr_array_set_u64(&a, 1, UINT64_MAX));
    i = 42;
    ASSERT_ERR(mr_array_get_i64(&a, 1, &i), -EOVERFLOW);
    ASSERT_EQ(i, (int64_t)42);
    ASSERT_OK(mr_array_get_f64(&a, 1, &d));
    ASSERT_FEQ(d, 18446744073709551616.0); /* rounded */
    ASSERT_OK(mr_array_set_u64(&a, 1, (uint64_t)INT64_MAX));
    ASSERT_OK(mr_array_get_i64(&a, 1, &i));
    ASSERT_EQ(i, INT64_MAX);

    ASSERT_OK(mr_array_init(&a, r, MR_TYPE_F64, MR_ORDER_BE, 0, 6));
    static const struct {
        double v;
        bool u_ok, i_ok;
        uint64_t u;
        int64_t i;
    } conv[] = {
        { 3.0, true, true, 3, 3 },
        { -3.0, false, true, 0, -3 },
        { 1.5, false, false, 0, 0 },
        { -0.0, true, true, 0, 0 },
        { 9223372036854775808.0, true, false, 1ull << 63, 0 },
        { -9223372036854775808.0, false, true, 0, INT64_MIN },
        { 18446744073709551616.0, false, false, 0, 0 },
        { 1e300, false, false, 0, 0 },
        { INFINITY, false, false, 0, 0 },
        { -INFINITY, false, false, 0, 0 },
        { NAN, false, false, 0, 0 },
    };
    for (size_t k = 0; k < MR_TEST_COUNT(conv); k++) {
        ASSERT_OK(mr_array_set_f64(&a, 2, conv[k].v));
        u = 42;
        i = 42;
        if (conv[k].u_ok) {
            ASSERT_OK(mr_array_get_u64(&a, 2, &u));
            ASSERT_EQ(u, conv[k].u);
        } else {
            ASSERT_ERR(mr_array_get_u64(&a, 2, &u), -EOVERFLOW);
            ASSERT_EQ(u, (uint64_t)42);
        }
        if (conv[k].i_ok) {
            ASSERT_OK(mr_array_get_i64(&a, 2, &i));
            ASSERT_EQ(i, conv[k].i);
        } else {
            ASSERT_ERR(mr_array_get_i64(&a, 2, &i), -EOVERFLOW);
            ASSERT_EQ(i, (int64_t)42);
        }
    }

    /* Writing: a value that does not fit writes nothing. */
    memset(buf, 0xee, sizeof buf);
    unsigned char before[sizeof buf];
    memcpy(before, buf, sizeof buf);
    ASSERT_OK(mr_array_init(&a, r, MR_TYPE_U8, MR_ORDER_HOST, 0, 4));
    ASSERT_ERR(mr_array_set_u64(&a, 0, 256), -EOVERFLOW);
    ASSERT_ERR(mr_array_set_i64(&a, 0, -1), -EOVERFLOW);
    ASSERT_ERR(mr_array_set_f64(&a, 0, 255.5), -EOVERFLOW);
    ASSERT_ERR(mr_array_set_f64(&a, 0, NAN), -EOVERFLOW);
    ASSERT_ERR(mr_array_set_f64(&a, 0, -1.0), -EOVERFLOW);
    ASSERT_OK(mr_array_init(&a, r, MR_TYPE_I32, MR_ORDER_BE, 0, 4));
    ASSERT_ERR(mr_array_set_u64(&a, 1, 1ull << 31), -EOVERFLOW);
    ASSERT_ERR(mr_array_set_u64(&a, 1, UINT64_MAX), -EOVERFLOW);
    ASSERT_ERR(mr_array_set_i64(&a, 1, INT32_MIN - 1ll), -EOVERFLOW);
    ASSERT_ERR(mr_array_set_f64(&a, 1, 2147483648.0), -EOVERFLOW);
    ASSERT_OK(mr_array_init(&a, r, MR_TYPE_I64, MR_ORDER_BE, 0, 4));
    ASSERT_ERR(mr_array_set_u64(&a, 1, 1ull << 63), -EOVERFLOW);
    ASSERT_ERR(mr_array_set_f64(&a, 1, 9223372036854775808.0), -EOVERFLOW);
    ASSERT_OK(mr_array_init(&a, r, MR_TYPE_F32, MR_ORDER_LE, 0, 4));
    ASSERT_ERR(mr_array_set_f64(&a, 3, 1e39), -EOVERFLOW);
    ASSERT_MEM_EQ(buf, before, sizeof buf);

    ASSERT_OK(mr_array_init(&a, r, MR_TYPE_I32, MR_ORDER_BE, 0, 4));
    ASSERT_OK(mr_array_set_f64(&a, 1, -2147483648.0));
    ASSERT_MEM_EQ(buf + 4, "\x80\0\0\0", 4);
    ASSERT_OK(mr_array_set_u64(&a, 2, 0x7fffffff));
    ASSERT_MEM_EQ(buf + 8, "\x7f\xff\xff\xff", 4);
    ASSERT_OK(mr_array_init(&a, r, MR_TYPE_U16, MR_ORDER_BE, 0, 4));
    ASSERT_OK(mr_array_set_i64(&a, 3, 65535));
    ASSERT_MEM_EQ(buf + 6, "\xff\xff", 2);
    ASSERT_ERR(mr_array_set_i64(&a, 3, 65536), -EOVERFLOW);
    /* Integers into floats round. */
    ASSERT_OK(mr_array_init(&a, r, MR_TYPE_F32, MR_ORDER_LE, 0, 4));
    ASSERT_OK(mr_array_set_u64(&a, 0, UINT64_MAX));
    ASSERT_OK(mr_array_get_f64(&a, 0, &d));
    ASSERT_FEQ(d, 18446744073709551616.0);
    ASSERT_OK(mr_array_set_i64(&a, 1, -16777217));
    ASSERT_OK(mr_array_get_f64(&a, 1, &d));
    ASSERT_FEQ(d, -16777216.0);

    /* Read-only: every setter refuses, before looking at the index or value. */
    ASSERT_OK(mr_array_init(&a, mr_region_ro(r), MR_TYPE_U16, MR_ORDER_LE, 0, 4));
    memcpy(before, buf, sizeof buf);
    ASSERT_ERR(mr_array_set_u64(&a, 0, 1), -EACCES);
    ASSERT_ERR(mr_array_set_i64(&a, 99, 1), -EACCES);
    ASSERT_ERR(mr_array_set_f64(&a, 0, 1e100), -EACCES);
    ASSERT_OK(mr_array_get_u64(&a, 0, &u));
    ASSERT_MEM_EQ(buf, before, sizeof buf);
}

/* The y field of an array of packed records, read through a stride. */
static void test_array_of_structs(void)
{
    struct rec {
        uint32_t id;
        uint16_t x, y;
    } recs[5];
    _Static_assert(sizeof(struct rec) == 8, "packed as declared");
    for (int k = 0; k < 5; k++) {
        recs[k].id = 1000u + (uint32_t)k;
        recs[k].x = (uint16_t)k;
        recs[k].y = (uint16_t)(k * k);
    }
    struct mr_region r = MR_REGION_OF_ARRAY(recs), ys;
    struct mr_array a;
    uint64_t u;

    ASSERT_OK(mr_region_tail(r, offsetof(struct rec, y), &ys));
    ASSERT_OK(mr_array_init(&a, ys, MR_TYPE_U16, MR_ORDER_HOST, sizeof(struct rec), 5));
    ASSERT_EQ(a.region.len, (size_t)(4 * 8 + 2));
    for (size_t k = 0; k < 5; k++) {
        ASSERT_OK(mr_array_get_u64(&a, k, &u));
        ASSERT_EQ(u, (uint64_t)(k * k));
    }
    ASSERT_OK(mr_array_set_u64(&a, 3, 777));
    ASSERT_EQ(recs[3].y, 777);
    ASSERT_EQ(recs[3].x, 3);
    ASSERT_EQ(recs[4].id, 1004u);
    uint16_t out[5];
    ASSERT_EQ(mr_array_copy_out(&a, 0, out, 5), 5);
    ASSERT_EQ(out[3], 777);
    ASSERT_EQ(out[4], 16);
    /* One more record does not fit: the sixth y would be past the end. */
    ASSERT_ERR(mr_array_init(&a, ys, MR_TYPE_U16, MR_ORDER_HOST, sizeof(struct rec), 6), -ERANGE);
    ASSERT_OK(mr_array_init(&a, ys, MR_TYPE_U16, MR_ORDER_HOST, sizeof(struct rec), MR_ARRAY_FIT));
    ASSERT_EQ(a.count, (size_t)5);
}

static void test_array_sub(void)
{
    uint8_t buf[30];
    for (int k = 0; k < 30; k++)
        buf[k] = (uint8_t)k;
    struct mr_array a, s;
    uint64_t u;

    ASSERT_OK(mr_array_init(&a, MR_REGION_OF_ARRAY(buf), MR_TYPE_U16, MR_ORDER_BE, 3, 10));
    ASSERT_OK(mr_array_sub(&a, 2, 5, &s));
    ASSERT_EQ(mr_array_count(&s), (size_t)5);
    ASSERT_EQ(s.stride, (size_t)3);
    ASSERT_EQ((int)s.order, (int)MR_ORDER_BE);
    ASSERT_PTR_EQ(s.region.ptr, buf + 6);
    ASSERT_EQ(s.region.len, (size_t)(4 * 3 + 2));
    for (size_t k = 0; k < 5; k++) {
        uint64_t w;
        ASSERT_OK(mr_array_get_u64(&s, k, &u));
        ASSERT_OK(mr_array_get_u64(&a, k + 2, &w));
        ASSERT_EQ(u, w);
    }
    ASSERT_ERR(mr_array_get_u64(&s, 5, &u), -ERANGE);
    /* A sub-view of a sub-view, and the empty ones. */
    struct mr_array s2;
    ASSERT_OK(mr_array_sub(&s, 4, 1, &s2));
    ASSERT_OK(mr_array_get_u64(&s2, 0, &u));
    ASSERT_EQ(u, (uint64_t)((18 << 8) | 19));
    ASSERT_OK(mr_array_sub(&a, 10, 0, &s2));
    ASSERT_EQ(s2.count, (size_t)0);
    ASSERT_EQ(s2.region.len, (size_t)0);
    ASSERT_OK(mr_array_sub(&a, 0, 10, &s2));
    ASSERT_EQ(s2.region.len, a.region.len);
    /* Out of range, also when first + count overflows. */
    set_sentinel(&s2);
    ASSERT_ERR(mr_array_sub(&a, 0, 11, &s2), -ERANGE);
    ASSERT_ERR(mr_array_sub(&a, 11, 0, &s2), -ERANGE);
    ASSERT_ERR(mr_array_sub(&a, 5, 6, &s2), -ERANGE);
    ASSERT_ERR(mr_array_sub(&a, 5, SIZE_MAX, &s2), -ERANGE);
    ASSERT_ERR(mr_array_sub(&a, SIZE_MAX, 2, &s2), -ERANGE);
    ASSERT_ALL_BYTES(&s2, sizeof s2, 0x5c);
    /* Read-only carries over. */
    ASSERT_OK(mr_array_init(&a, mr_region_make_ro(buf, sizeof buf), MR_TYPE_U8, MR_ORDER_HOST, 0, 30));
    ASSERT_OK(mr_array_sub(&a, 1, 2, &s));
    ASSERT_ERR(mr_array_set_u64(&s, 0, 1), -EACCES);
}

/* ---- arrays: bulk copies ------------------------------------------------------------- */

/* The C type of each element type, by size and kind, to compare copies with
 * element-wise reads. */
static double host_elem(const void *arr, size_t k, enum mr_type t)
{
    switch (t) {
    case MR_TYPE_U8:
        return ((const uint8_t *)arr)[k];
    case MR_TYPE_CHAR:
        return (unsigned char)((const char *)arr)[k];
    case MR_TYPE_U16:
        return ((const uint16_t *)arr)[k];
    case MR_TYPE_U32:
        return ((const uint32_t *)arr)[k];
    case MR_TYPE_U64:
        return (double)(((const uint64_t *)arr)[k] & 0xfffffffffffffu);
    case MR_TYPE_I8:
        return ((const int8_t *)arr)[k];
    case MR_TYPE_I16:
        return ((const int16_t *)arr)[k];
    case MR_TYPE_I32:
        return ((const int32_t *)arr)[k];
    case MR_TYPE_I64:
        return (double)(((const int64_t *)arr)[k] >> 12);
    case MR_TYPE_F32:
        return ((const float *)arr)[k];
    default:
        return ((const double *)arr)[k];
    }
}

static double view_elem(const struct mr_array *a, size_t k)
{
    union mr_value v;
    ASSERT_OK(mr_value_get(a->region, k * a->stride, a->type, a->order, &v));
    switch (a->type) {
    case MR_TYPE_U64:
        return (double)(v.u & 0xfffffffffffffu);
    case MR_TYPE_I64:
        return (double)(v.i >> 12);
    case MR_TYPE_I8:
    case MR_TYPE_I16:
    case MR_TYPE_I32:
        return (double)v.i;
    case MR_TYPE_F32:
    case MR_TYPE_F64:
        return v.f;
    default:
        return (double)v.u;
    }
}

static void test_array_copy(void)
{
    enum { N = 23 };
    unsigned char buf[N * 11 + 8], before[sizeof buf];
    union {
        uint64_t align;
        unsigned char b[N * 8];
    } host, back;
    size_t strides[] = { 0, 8, 11 };

    for (size_t ti = 0; ti < MR_TEST_COUNT(mr_test_value_types); ti++) {
        enum mr_type t = mr_test_value_types[ti];
        size_t size = mr_type_size(t);
        for (size_t oi = 0; oi < MR_TEST_COUNT(mr_test_value_orders); oi++) {
            for (size_t si = 0; si < MR_TEST_COUNT(strides); si++) {
                struct mr_array a;
                for (size_t k = 0; k < sizeof buf; k++)
                    buf[k] = (unsigned char)mr_test_rand(&mr_test_value_rng);
                /* Floats: finite values, so that comparisons are exact. */
                for (size_t k = 0; k < N * 8; k += 8) {
                    uint64_t x = mr_test_rand(&mr_test_value_rng);
                    if (t == MR_TYPE_F32)
                        x &= ~((1ull << 62) | (1ull << 30)); /* exponents below all-ones */
                    if (t == MR_TYPE_F64)
                        x &= ~(1ull << 62);
                    memcpy(host.b + k, &x, 8);
                }
                if (strides[si] && strides[si] < size)
                    continue;
                ASSERT_OK(mr_array_init(&a, mr_region_make(buf + 1, sizeof buf - 1), t,
                                        mr_test_value_orders[oi], strides[si], N));
                memcpy(before, buf, sizeof buf);

                /* In, then compare element-wise and copy back out. */
                ASSERT_EQ(mr_array_copy_in(&a, 0, host.b, N), (ssize_t)N);
                for (size_t k = 0; k < N; k++)
                    ASSERT_FEQ(view_elem(&a, k), host_elem(host.b, k, t));
                memset(back.b, 0, sizeof back.b);
                ASSERT_EQ(mr_array_copy_out(&a, 0, back.b, N), (ssize_t)N);
                ASSERT_MEM_EQ(back.b, host.b, N * size);
                /* Bytes between elements are untouched. */
                for (size_t k = 0; k < sizeof buf; k++) {
                    size_t rel = k - 1, st = a.stride;
                    bool inside = k >= 1 && rel < a.region.len && rel % st < size;
                    if (!inside)
                        ASSERT_EQ(buf[k], before[k]);
                }

                /* Partial copies: from an index, clipped at the end. */
                memset(back.b, 0, sizeof back.b);
                ASSERT_EQ(mr_array_copy_out(&a, 20, back.b, 10), (ssize_t)3);
                ASSERT_MEM_EQ(back.b, host.b + 20 * size, 3 * size);
                ASSERT_EQ(mr_array_copy_out(&a, N, back.b, 10), (ssize_t)0);
                ASSERT_ERR(mr_array_copy_out(&a, N + 1, back.b, 1), -ERANGE);
                ASSERT_EQ(mr_array_copy_out(&a, 5, back.b, 0), (ssize_t)0);
                ASSERT_EQ(mr_array_copy_in(&a, 21, host.b, 5), (ssize_t)2);
                for (size_t k = 21; k < N; k++)
                    ASSERT_FEQ(view_elem(&a, k), host_elem(host.b, k - 21, t));
                ASSERT_EQ(mr_array_copy_in(&a, N, host.b, 5), (ssize_t)0);
                ASSERT_ERR(mr_array_copy_in(&a, SIZE_MAX, host.b, 5), -ERANGE);

                /* Read-only refuses, even a copy of nothing. */
                struct mr_array ro;
                ASSERT_OK(mr_array_init(&ro, mr_region_make_ro(buf + 1, sizeof buf - 1), t,
                                        mr_test_value_orders[oi], strides[si], N));
                ASSERT_ERR(mr_array_copy_in(&ro, 0, host.b, N), -EACCES);
                ASSERT_ERR(mr_array_copy_in(&ro, 0, host.b, 0), -EACCES);
                ASSERT_EQ(mr_array_copy_out(&ro, 0, back.b, N), (ssize_t)N);
            }
        }
    }
}

static void test_array_copy_bytes(void)
{
    unsigned char buf[12] = { 0 };
    struct mr_array a;
    uint32_t in[3] = { 0x01020304, 0xa0b0c0d0, 7 }, out[3];

    ASSERT_OK(mr_array_init(&a, MR_REGION_OF_ARRAY(buf), MR_TYPE_U32, MR_ORDER_BE, 0, 3));
    ASSERT_EQ(mr_array_copy_in(&a, 0, in, 3), 3);
    ASSERT_MEM_EQ(buf, "\x01\x02\x03\x04\xa0\xb0\xc0\xd0\0\0\0\x07", 12);
    ASSERT_OK(mr_array_init(&a, MR_REGION_OF_ARRAY(buf), MR_TYPE_U32, MR_ORDER_LE, 0, 3));
    ASSERT_EQ(mr_array_copy_out(&a, 0, out, 3), 3);
    ASSERT_EQ(out[0], 0x04030201u);
    ASSERT_EQ(out[2], 0x07000000u);

    /* char arrays copy text. */
    char text[6] = "hello", got[6] = { 0 };
    ASSERT_OK(mr_array_init(&a, MR_REGION_OF_ARRAY(buf), MR_TYPE_CHAR, MR_ORDER_HOST, 2, 6));
    ASSERT_EQ(mr_array_copy_in(&a, 0, text, 5), 5);
    ASSERT_EQ(buf[0], 'h');
    ASSERT_EQ(buf[2], 'e');
    ASSERT_EQ(buf[8], 'o');
    ASSERT_EQ(mr_array_copy_out(&a, 0, got, 5), 5);
    ASSERT_STR_EQ(got, "hello");

    /* f64 big-endian, as a network protocol would carry it. */
    double dv[2] = { 1.0, -0.5 }, dback[2];
    unsigned char b16[16];
    ASSERT_OK(mr_array_init(&a, MR_REGION_OF_ARRAY(b16), MR_TYPE_F64, MR_ORDER_BE, 0, 2));
    ASSERT_EQ(mr_array_copy_in(&a, 0, dv, 2), 2);
    ASSERT_MEM_EQ(b16, "\x3f\xf0\0\0\0\0\0\0\xbf\xe0\0\0\0\0\0\0", 16);
    ASSERT_EQ(mr_array_copy_out(&a, 0, dback, 2), 2);
    ASSERT_FEQ(dback[0], 1.0);
    ASSERT_FEQ(dback[1], -0.5);

    /* An empty array over NULL. */
    ASSERT_OK(mr_array_init(&a, mr_region_make(NULL, 0), MR_TYPE_U16, MR_ORDER_BE, 0, 0));
    ASSERT_EQ(mr_array_copy_out(&a, 0, out, 3), 0);
    ASSERT_EQ(mr_array_copy_in(&a, 0, in, 3), 0);
    ASSERT_ERR(mr_array_copy_in(&a, 1, in, 3), -ERANGE);
}

int main(void)
{
    test_array_init();
    test_array_get_set();
    test_array_of_structs();
    test_array_sub();
    test_array_copy();
    test_array_copy_bytes();
    return 0;
}
