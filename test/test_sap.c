/* SPDX-License-Identifier: MIT */
/* test/test_sap.c: system-area pointers: address arithmetic, unaligned typed
 * loads and stores in host, little- and big-endian order, and single-threaded
 * atomics (test_atomic_threads.c covers them under contention). */
#include "helpers.h"

#include <float.h>
#include <math.h>

#define GUARD 0xa5
#define BUFSZ 64
#define AT 16 /* an aligned offset inside buf; the misalignment is added to it */

static _Alignas(16) unsigned char buf[BUFSZ];

static void fill_guard(void) { memset(buf, GUARD, sizeof buf); }

/* The bytes of an n-byte unsigned value, least significant first, and most
 * significant first: what a little- and a big-endian store must write. */
static void le_bytes(uint64_t u, size_t n, unsigned char *out)
{
    for (size_t i = 0; i < n; i++)
        out[i] = (unsigned char)(u >> (8 * i));
}

static void be_bytes(uint64_t u, size_t n, unsigned char *out)
{
    for (size_t i = 0; i < n; i++)
        out[i] = (unsigned char)(u >> (8 * (n - 1 - i)));
}

static void dump_hex(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        fprintf(stderr, " %02x", p[i]);
    fputc('\n', stderr);
}

/* buf holds want[0..n) at off and GUARD everywhere else. */
static void check_buf(int line, const char *what, size_t mis, size_t off, const unsigned char *want, size_t n)
{
    for (size_t i = 0; i < BUFSZ; i++) {
        bool inside = i >= off && i < off + n;
        unsigned char expect = inside ? want[i - off] : GUARD;
        if (buf[i] != expect) {
            fprintf(stderr, "  want at %zu:", off);
            dump_hex(want, n);
            fprintf(stderr, "  have at %zu:", off);
            dump_hex(buf + off, n);
            mr_test_fail(__FILE__, line, "%s, misalignment %zu: byte %zu is 0x%02x, expected 0x%02x (%s)",
                         what, mis, i, buf[i], expect, inside ? "stored value" : "guard byte touched");
        }
    }
}

/* Two values have the same bit pattern (so NaN payloads and -0.0 count). */
static void check_bits(int line, const char *what, size_t mis, const void *got, const void *want, size_t n)
{
    if (memcmp(got, want, n) != 0) {
        fprintf(stderr, "  want:");
        dump_hex(want, n);
        fprintf(stderr, "  got: ");
        dump_hex(got, n);
        mr_test_fail(__FILE__, line, "%s, misalignment %zu: loaded value differs", what, mis);
    }
}

/* ---- address arithmetic ---------------------------------------------------- */

static void test_address_arithmetic(void)
{
    unsigned char arr[32] = { 0 };
    void *p = arr;

    ASSERT_EQ(mr_sap_to_int(p), (uintptr_t)p);
    ASSERT_PTR_EQ(mr_sap_from_int(mr_sap_to_int(p)), p);
    ASSERT_PTR_EQ(mr_sap_from_int(mr_sap_to_int(arr + 7)), arr + 7);
    ASSERT_PTR_EQ(mr_sap_from_int(0), NULL);
    ASSERT_EQ(mr_sap_to_int(NULL), (uintptr_t)0);
    ASSERT_EQ(mr_sap_to_int(mr_sap_from_int(UINTPTR_MAX)), UINTPTR_MAX);
    ASSERT_EQ(mr_sap_to_int(mr_sap_from_int((uintptr_t)0x12345678)), (uintptr_t)0x12345678);

    /* add: positive, negative, zero */
    ASSERT_PTR_EQ(mr_sap_add(arr, 0), arr);
    ASSERT_PTR_EQ(mr_sap_add(arr, 5), arr + 5);
    ASSERT_PTR_EQ(mr_sap_add(arr, 31), arr + 31);
    ASSERT_PTR_EQ(mr_sap_add(arr + 10, -7), arr + 3);
    ASSERT_PTR_EQ(mr_sap_add(arr + 31, -31), arr);
    ASSERT_PTR_EQ(mr_sap_add(mr_sap_add(arr, 20), -20), arr);
    /* Outside any object, by integer arithmetic: wraps modulo the address space. */
    ASSERT_EQ(mr_sap_to_int(mr_sap_add(mr_sap_from_int(0x10), -0x20)), (uintptr_t)0 - 0x10);
    ASSERT_EQ(mr_sap_to_int(mr_sap_add(mr_sap_from_int(UINTPTR_MAX), 1)), (uintptr_t)0);
    ASSERT_EQ(mr_sap_to_int(mr_sap_add(mr_sap_from_int(0x1000), PTRDIFF_MAX)), (uintptr_t)0x1000 + (uintptr_t)PTRDIFF_MAX);
    ASSERT_EQ(mr_sap_to_int(mr_sap_add(mr_sap_from_int(UINTPTR_MAX), PTRDIFF_MIN)),
              UINTPTR_MAX - (uintptr_t)PTRDIFF_MAX - 1);
    /* const in, non-const out */
    const unsigned char *cp = arr;
    unsigned char *wp = mr_sap_add(cp, 2);
    ASSERT_PTR_EQ(wp, arr + 2);

    /* diff is signed */
    ASSERT_EQ(mr_sap_diff(arr + 10, arr + 3), (ptrdiff_t)7);
    ASSERT_EQ(mr_sap_diff(arr + 3, arr + 10), (ptrdiff_t)-7);
    ASSERT_EQ(mr_sap_diff(arr, arr), (ptrdiff_t)0);
    ASSERT_EQ(mr_sap_diff(mr_sap_from_int(0), mr_sap_from_int(1)), (ptrdiff_t)-1);
    ASSERT_EQ(mr_sap_diff(mr_sap_from_int(1), mr_sap_from_int(0)), (ptrdiff_t)1);
    ASSERT_EQ(mr_sap_diff(mr_sap_add(arr, -100), arr), (ptrdiff_t)-100);
    for (ptrdiff_t d = -40; d <= 40; d += 3)
        ASSERT_EQ(mr_sap_diff(mr_sap_add(arr, d), arr), d);

    /* cmp, eq, lt: unsigned address order, sign only */
    ASSERT_EQ(mr_sap_cmp(arr, arr), 0);
    ASSERT_EQ(mr_sap_cmp(arr, arr + 1), -1);
    ASSERT_EQ(mr_sap_cmp(arr + 1, arr), 1);
    ASSERT_EQ(mr_sap_cmp(arr, arr + 31), -1);
    ASSERT_EQ(mr_sap_cmp(arr + 31, arr), 1);
    ASSERT_EQ(mr_sap_cmp(NULL, arr), -1);
    ASSERT_EQ(mr_sap_cmp(NULL, NULL), 0);
    /* An address with the top bit set is above one without (no signed compare). */
    void *low = mr_sap_from_int(1);
    void *high = mr_sap_from_int(UINTPTR_MAX);
    void *mid = mr_sap_from_int((uintptr_t)1 << (sizeof(uintptr_t) * 8 - 1));
    ASSERT_EQ(mr_sap_cmp(low, high), -1);
    ASSERT_EQ(mr_sap_cmp(high, low), 1);
    ASSERT_EQ(mr_sap_cmp(low, mid), -1);
    ASSERT_EQ(mr_sap_cmp(mid, low), 1);
    ASSERT_EQ(mr_sap_cmp(mid, high), -1);
    ASSERT_TRUE(mr_sap_lt(low, high));
    ASSERT_FALSE(mr_sap_lt(high, low));
    ASSERT_TRUE(mr_sap_lt(low, mid));
    ASSERT_FALSE(mr_sap_lt(mid, low));
    ASSERT_TRUE(mr_sap_lt(arr, arr + 1));
    ASSERT_FALSE(mr_sap_lt(arr + 1, arr));
    ASSERT_FALSE(mr_sap_lt(arr, arr));
    ASSERT_TRUE(mr_sap_eq(arr, arr));
    ASSERT_TRUE(mr_sap_eq(arr + 4, mr_sap_add(arr, 4)));
    ASSERT_FALSE(mr_sap_eq(arr, arr + 1));
    ASSERT_TRUE(mr_sap_eq(NULL, mr_sap_from_int(0)));
    ASSERT_FALSE(mr_sap_eq(low, high));
}

static void test_bswap(void)
{
    ASSERT_EQ(mr_bswap8(0xab), (uint8_t)0xab);
    ASSERT_EQ(mr_bswap16(0x0102), (uint16_t)0x0201);
    ASSERT_EQ(mr_bswap16(0xff00), (uint16_t)0x00ff);
    ASSERT_EQ(mr_bswap32(0x01020304), (uint32_t)0x04030201);
    ASSERT_EQ(mr_bswap32(0x80000000), (uint32_t)0x00000080);
    ASSERT_EQ(mr_bswap64(0x0102030405060708), (uint64_t)0x0807060504030201);
    ASSERT_EQ(mr_bswap64(0xff00000000000000), (uint64_t)0xff);
    ASSERT_EQ(mr_bswap64(mr_bswap64(0xfedcba9876543210)), (uint64_t)0xfedcba9876543210);
}

/* ---- loads and stores --------------------------------------------------------
 * ROUNDTRIP(name, type, utype) defines rt_<name>(v): for every misalignment
 * 0..7 and every byte order, a store writes exactly the expected bytes (built
 * here by shifting, not by the library) and touches no neighbour, and a load
 * of those bytes gives v back bit for bit; also through negative offsets. */
#define ROUNDTRIP(name, type, utype)                                            \
    static void rt_##name(type v)                                               \
    {                                                                           \
        utype bits;                                                             \
        memcpy(&bits, &v, sizeof bits);                                         \
        unsigned char le[8], be[8], host[8];                                    \
        le_bytes((uint64_t)bits, sizeof(type), le);                             \
        be_bytes((uint64_t)bits, sizeof(type), be);                             \
        memcpy(host, MR_HOST_LITTLE_ENDIAN ? le : be, sizeof(type));            \
        for (size_t mis = 0; mis < 8; mis++) {                                  \
            size_t off = AT + mis;                                              \
            ptrdiff_t o = (ptrdiff_t)off;                                       \
            type got;                                                           \
                                                                                \
            fill_guard();                                                       \
            mr_store_##name(buf, o, v);                                         \
            check_buf(__LINE__, "store_" #name, mis, off, host, sizeof(type)); \
            got = mr_load_##name(buf, o);                                       \
            check_bits(__LINE__, "load_" #name, mis, &got, &v, sizeof(type));  \
            ASSERT_MEM_EQ(buf + off, &v, sizeof(type));                         \
                                                                                \
            fill_guard();                                                       \
            mr_store_##name##le(buf, o, v);                                     \
            check_buf(__LINE__, "store_" #name "le", mis, off, le, sizeof(type)); \
            got = mr_load_##name##le(buf, o);                                   \
            check_bits(__LINE__, "load_" #name "le", mis, &got, &v, sizeof(type)); \
                                                                                \
            fill_guard();                                                       \
            mr_store_##name##be(buf, o, v);                                     \
            check_buf(__LINE__, "store_" #name "be", mis, off, be, sizeof(type)); \
            got = mr_load_##name##be(buf, o);                                   \
            check_bits(__LINE__, "load_" #name "be", mis, &got, &v, sizeof(type)); \
                                                                                \
            /* Loads of bytes placed by hand, from a base past them           \
             * (negative offset). */                                            \
            fill_guard();                                                       \
            memcpy(buf + off, le, sizeof(type));                                \
            got = mr_load_##name##le(buf + off + 8, -8);                        \
            check_bits(__LINE__, "load_" #name "le (hand-made)", mis, &got, &v, sizeof(type)); \
            memcpy(buf + off, be, sizeof(type));                                \
            got = mr_load_##name##be(buf + BUFSZ, o - BUFSZ);                   \
            check_bits(__LINE__, "load_" #name "be (hand-made)", mis, &got, &v, sizeof(type)); \
            memcpy(buf + off, host, sizeof(type));                              \
            got = mr_load_##name(buf + off, 0);                                 \
            check_bits(__LINE__, "load_" #name " (hand-made)", mis, &got, &v, sizeof(type)); \
                                                                                \
            /* Stores through a negative offset. */                            \
            fill_guard();                                                       \
            mr_store_##name##be(buf + BUFSZ, o - BUFSZ, v);                     \
            check_buf(__LINE__, "store_" #name "be (negative offset)", mis, off, be, sizeof(type)); \
            fill_guard();                                                       \
            mr_store_##name##le(buf + off + 3, -3, v);                          \
            check_buf(__LINE__, "store_" #name "le (negative offset)", mis, off, le, sizeof(type)); \
        }                                                                       \
    }

ROUNDTRIP(u8, uint8_t, uint8_t)
ROUNDTRIP(u16, uint16_t, uint16_t)
ROUNDTRIP(u32, uint32_t, uint32_t)
ROUNDTRIP(u64, uint64_t, uint64_t)
ROUNDTRIP(i8, int8_t, uint8_t)
ROUNDTRIP(i16, int16_t, uint16_t)
ROUNDTRIP(i32, int32_t, uint32_t)
ROUNDTRIP(i64, int64_t, uint64_t)
ROUNDTRIP(f32, float, uint32_t)
ROUNDTRIP(f64, double, uint64_t)

static float f32_of_bits(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static double f64_of_bits(uint64_t u)
{
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

static void test_roundtrip_all_types(void)
{
    static const uint8_t u8v[] = { 0, 1, 0x5a, 0x7f, 0x80, 0xfe, 0xff };
    static const uint16_t u16v[] = { 0, 1, 0x0102, 0x7fff, 0x8000, 0xa55a, 0xff00, 0xffff };
    static const uint32_t u32v[] = { 0, 1, 0x01020304, 0x7fffffff, 0x80000000, 0xdeadbeef, 0xff, 0xffffffff };
    static const uint64_t u64v[] = { 0, 1, 0x0102030405060708, 0x8000000000000000, 0xfedcba9876543210,
                                     0xff, 0x00000000ffffffff, UINT64_MAX };
    static const int8_t i8v[] = { 0, 1, -1, 0x12, INT8_MAX, INT8_MIN, -2 };
    static const int16_t i16v[] = { 0, 1, -1, 0x0102, INT16_MAX, INT16_MIN, -2, -256 };
    static const int32_t i32v[] = { 0, 1, -1, 0x01020304, INT32_MAX, INT32_MIN, -2, -65536 };
    static const int64_t i64v[] = { 0, 1, -1, 0x0102030405060708, INT64_MAX, INT64_MIN, -2, -4294967296 };

    for (size_t i = 0; i < MR_TEST_COUNT(u8v); i++) rt_u8(u8v[i]);
    for (size_t i = 0; i < MR_TEST_COUNT(u16v); i++) rt_u16(u16v[i]);
    for (size_t i = 0; i < MR_TEST_COUNT(u32v); i++) rt_u32(u32v[i]);
    for (size_t i = 0; i < MR_TEST_COUNT(u64v); i++) rt_u64(u64v[i]);
    for (size_t i = 0; i < MR_TEST_COUNT(i8v); i++) rt_i8(i8v[i]);
    for (size_t i = 0; i < MR_TEST_COUNT(i16v); i++) rt_i16(i16v[i]);
    for (size_t i = 0; i < MR_TEST_COUNT(i32v); i++) rt_i32(i32v[i]);
    for (size_t i = 0; i < MR_TEST_COUNT(i64v); i++) rt_i64(i64v[i]);

    const float f32v[] = { 0.0f, -0.0f, 1.0f, -2.5f, 3.14159265f, FLT_MIN, FLT_MAX, -FLT_MAX, FLT_EPSILON,
                           INFINITY, -INFINITY, f32_of_bits(0x00000001) /* smallest subnormal */ };
    const double f64v[] = { 0.0, -0.0, 1.0, -2.5, 3.141592653589793, DBL_MIN, DBL_MAX, -DBL_MAX, DBL_EPSILON,
                            INFINITY, -INFINITY, f64_of_bits(1) };
    for (size_t i = 0; i < MR_TEST_COUNT(f32v); i++) rt_f32(f32v[i]);
    for (size_t i = 0; i < MR_TEST_COUNT(f64v); i++) rt_f64(f64v[i]);

    /* NaNs keep their payload and sign bit through every store and load. */
    const uint32_t nan32[] = { 0x7fc00000, 0x7fc12345, 0xffc00001, 0x7fffffff, 0xffffffff,
#if !defined(__i386__)
                               /* signalling: an x87 load would quiet it */
                               0x7f800001, 0x7fa00abc,
#endif
    };
    const uint64_t nan64[] = { 0x7ff8000000000000, 0x7ff80000deadbeef, 0xfff8000000000001, 0x7fffffffffffffff,
#if !defined(__i386__)
                               0x7ff0000000000001, 0xfff4000000c0ffee,
#endif
    };
    for (size_t i = 0; i < MR_TEST_COUNT(nan32); i++) {
        float f = f32_of_bits(nan32[i]);
        ASSERT_TRUE(isnan(f));
        rt_f32(f);
    }
    for (size_t i = 0; i < MR_TEST_COUNT(nan64); i++) {
        double d = f64_of_bits(nan64[i]);
        ASSERT_TRUE(isnan(d));
        rt_f64(d);
    }
}

/* The byte layouts written out in full, independent of the helpers above. */
static void test_exact_layouts(void)
{
    unsigned char b[8];

    memset(b, 0, sizeof b);
    mr_store_u32le(b, 0, 0x01020304);
    ASSERT_MEM_EQ(b, "\x04\x03\x02\x01", 4);
    mr_store_u32be(b, 0, 0x01020304);
    ASSERT_MEM_EQ(b, "\x01\x02\x03\x04", 4);
    mr_store_u16le(b, 0, 0x0102);
    ASSERT_MEM_EQ(b, "\x02\x01", 2);
    mr_store_u16be(b, 0, 0x0102);
    ASSERT_MEM_EQ(b, "\x01\x02", 2);
    mr_store_u64le(b, 0, 0x0102030405060708);
    ASSERT_MEM_EQ(b, "\x08\x07\x06\x05\x04\x03\x02\x01", 8);
    mr_store_u64be(b, 0, 0x0102030405060708);
    ASSERT_MEM_EQ(b, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
    mr_store_u8le(b, 0, 0xab);
    ASSERT_EQ(b[0], 0xab);
    mr_store_u8be(b, 1, 0xcd);
    ASSERT_EQ(b[1], 0xcd);
    mr_store_i16be(b, 0, -2);
    ASSERT_MEM_EQ(b, "\xff\xfe", 2);
    mr_store_i32le(b, 0, -2);
    ASSERT_MEM_EQ(b, "\xfe\xff\xff\xff", 4);
    mr_store_i64be(b, 0, INT64_MIN);
    ASSERT_MEM_EQ(b, "\x80\x00\x00\x00\x00\x00\x00\x00", 8);
    mr_store_i64le(b, 0, INT64_MIN);
    ASSERT_MEM_EQ(b, "\x00\x00\x00\x00\x00\x00\x00\x80", 8);

    mr_store_u32(b, 0, 0x01020304);
    if (MR_HOST_LITTLE_ENDIAN)
        ASSERT_MEM_EQ(b, "\x04\x03\x02\x01", 4);
    else
        ASSERT_MEM_EQ(b, "\x01\x02\x03\x04", 4);

    ASSERT_EQ(mr_load_u32le("\x04\x03\x02\x01", 0), (uint32_t)0x01020304);
    ASSERT_EQ(mr_load_u32be("\x01\x02\x03\x04", 0), (uint32_t)0x01020304);
    ASSERT_EQ(mr_load_u16le("\x02\x01", 0), (uint16_t)0x0102);
    ASSERT_EQ(mr_load_u16be("\x01\x02", 0), (uint16_t)0x0102);
    ASSERT_EQ(mr_load_u64le("\x08\x07\x06\x05\x04\x03\x02\x01", 0), (uint64_t)0x0102030405060708);
    ASSERT_EQ(mr_load_u64be("\x01\x02\x03\x04\x05\x06\x07\x08", 0), (uint64_t)0x0102030405060708);
    ASSERT_EQ(mr_load_u32be("xx\x01\x02\x03\x04", 2), (uint32_t)0x01020304);
    ASSERT_EQ(mr_load_u16le("\x11\x22\x33", 1), (uint16_t)0x3322);
}

/* Signed loads sign-extend; unsigned loads of the same bytes do not. */
static void test_sign_extension(void)
{
    int64_t w;

    w = mr_load_i8("\x80", 0);
    ASSERT_EQ(w, (int64_t)-128);
    w = mr_load_i8le("\xff", 0);
    ASSERT_EQ(w, (int64_t)-1);
    w = mr_load_i8be("\x80", 0);
    ASSERT_EQ(w, (int64_t)-128);
    w = mr_load_i8("\x7f", 0);
    ASSERT_EQ(w, (int64_t)127);
    ASSERT_EQ(mr_load_u8("\x80", 0), (uint8_t)0x80);

    w = mr_load_i16le("\x00\x80", 0);
    ASSERT_EQ(w, (int64_t)INT16_MIN);
    w = mr_load_i16be("\x80\x00", 0);
    ASSERT_EQ(w, (int64_t)INT16_MIN);
    w = mr_load_i16le("\xff\xff", 0);
    ASSERT_EQ(w, (int64_t)-1);
    w = mr_load_i16be("\xff\x7f", 0);
    ASSERT_EQ(w, (int64_t)-129);
    w = mr_load_i16be("\x7f\xff", 0);
    ASSERT_EQ(w, (int64_t)32767);
    w = mr_load_i16(MR_HOST_LITTLE_ENDIAN ? "\x00\x80" : "\x80\x00", 0);
    ASSERT_EQ(w, (int64_t)INT16_MIN);
    ASSERT_EQ(mr_load_u16le("\x00\x80", 0), (uint16_t)0x8000);

    w = mr_load_i32le("\x00\x00\x00\x80", 0);
    ASSERT_EQ(w, (int64_t)INT32_MIN);
    w = mr_load_i32be("\x80\x00\x00\x00", 0);
    ASSERT_EQ(w, (int64_t)INT32_MIN);
    w = mr_load_i32le("\xff\xff\xff\xff", 0);
    ASSERT_EQ(w, (int64_t)-1);
    w = mr_load_i32be("\xff\xff\xff\xfe", 0);
    ASSERT_EQ(w, (int64_t)-2);
    w = mr_load_i32(MR_HOST_LITTLE_ENDIAN ? "\x00\x00\x00\x80" : "\x80\x00\x00\x00", 0);
    ASSERT_EQ(w, (int64_t)INT32_MIN);
    ASSERT_EQ(mr_load_u32be("\x80\x00\x00\x00", 0), (uint32_t)0x80000000);

    ASSERT_EQ(mr_load_i64le("\x00\x00\x00\x00\x00\x00\x00\x80", 0), INT64_MIN);
    ASSERT_EQ(mr_load_i64be("\x80\x00\x00\x00\x00\x00\x00\x00", 0), INT64_MIN);
    ASSERT_EQ(mr_load_i64le("\xff\xff\xff\xff\xff\xff\xff\xff", 0), (int64_t)-1);
    ASSERT_EQ(mr_load_i64be("\xff\xff\xff\xff\x00\x00\x00\x00", 0), (int64_t)-4294967296);
    ASSERT_EQ(mr_load_i64(MR_HOST_LITTLE_ENDIAN ? "\xfe\xff\xff\xff\xff\xff\xff\xff"
                                                : "\xff\xff\xff\xff\xff\xff\xff\xfe", 0),
              (int64_t)-2);
    ASSERT_EQ(mr_load_u64be("\x80\x00\x00\x00\x00\x00\x00\x00", 0), (uint64_t)0x8000000000000000);
}

static void test_float_layouts(void)
{
    unsigned char b[8];

    /* 1.0f is 0x3f800000. */
    mr_store_f32le(b, 0, 1.0f);
    ASSERT_MEM_EQ(b, "\x00\x00\x80\x3f", 4);
    mr_store_f32be(b, 0, 1.0f);
    ASSERT_MEM_EQ(b, "\x3f\x80\x00\x00", 4);
    ASSERT_FEQ(mr_load_f32be("\x3f\x80\x00\x00", 0), 1.0);
    ASSERT_FEQ(mr_load_f32le("\x00\x00\x80\x3f", 0), 1.0);
    ASSERT_EQ(mr_load_u32be(b, 0), (uint32_t)0x3f800000);

    /* -2.5 is 0xc004000000000000 as a double, 0xc0200000 as a float. */
    mr_store_f64le(b, 0, -2.5);
    ASSERT_MEM_EQ(b, "\x00\x00\x00\x00\x00\x00\x04\xc0", 8);
    mr_store_f64be(b, 0, -2.5);
    ASSERT_MEM_EQ(b, "\xc0\x04\x00\x00\x00\x00\x00\x00", 8);
    ASSERT_FEQ(mr_load_f64be("\xc0\x04\x00\x00\x00\x00\x00\x00", 0), -2.5);
    ASSERT_FEQ(mr_load_f64le("\x00\x00\x00\x00\x00\x00\x04\xc0", 0), -2.5);
    mr_store_f32be(b, 0, -2.5f);
    ASSERT_MEM_EQ(b, "\xc0\x20\x00\x00", 4);
    mr_store_f64(b, 0, 1.0);
    ASSERT_EQ(mr_load_u64(b, 0), (uint64_t)0x3ff0000000000000);

    /* -0.0 keeps its sign. */
    mr_store_f32le(b, 0, -0.0f);
    ASSERT_MEM_EQ(b, "\x00\x00\x00\x80", 4);
    float nz = mr_load_f32le(b, 0);
    ASSERT_TRUE(nz == 0.0f);
    ASSERT_TRUE(signbit(nz));
    mr_store_f64be(b, 0, -0.0);
    ASSERT_MEM_EQ(b, "\x80\x00\x00\x00\x00\x00\x00\x00", 8);
    double nzd = mr_load_f64be(b, 0);
    ASSERT_TRUE(nzd == 0.0);
    ASSERT_TRUE(signbit(nzd));
    mr_store_f64le(b, 0, 0.0);
    ASSERT_FALSE(signbit(mr_load_f64le(b, 0)));

    /* A NaN payload, stored big-endian, read back bit for bit. */
    mr_store_f32be(b, 0, f32_of_bits(0x7fc12345));
    ASSERT_MEM_EQ(b, "\x7f\xc1\x23\x45", 4);
    float nan = mr_load_f32be(b, 0);
    uint32_t nb;
    memcpy(&nb, &nan, sizeof nb);
    ASSERT_EQ(nb, (uint32_t)0x7fc12345);
    mr_store_f64le(b, 0, f64_of_bits(0x7ff80000deadbeef));
    ASSERT_MEM_EQ(b, "\xef\xbe\xad\xde\x00\x00\xf8\x7f", 8);
    double nand = mr_load_f64le(b, 0);
    uint64_t nbd;
    memcpy(&nbd, &nand, sizeof nbd);
    ASSERT_EQ(nbd, (uint64_t)0x7ff80000deadbeef);
}

static void test_pointers(void)
{
    int target = 0;
    void *vals[] = { &target, NULL, buf, mr_sap_from_int(UINTPTR_MAX), mr_sap_from_int(1),
                     mr_sap_from_int((uintptr_t)0x0102030405060708ull) };
    for (size_t i = 0; i < MR_TEST_COUNT(vals); i++) {
        void *v = vals[i];
        unsigned char want[sizeof(void *)];
        memcpy(want, &v, sizeof want);
        for (size_t mis = 0; mis < 8; mis++) {
            size_t off = AT + mis;
            fill_guard();
            mr_store_ptr(buf, (ptrdiff_t)off, v);
            check_buf(__LINE__, "store_ptr", mis, off, want, sizeof want);
            ASSERT_PTR_EQ(mr_load_ptr(buf, (ptrdiff_t)off), v);
            ASSERT_PTR_EQ(mr_load_ptr(buf + off + 5, -5), v);
            fill_guard();
            mr_store_ptr(buf + BUFSZ, (ptrdiff_t)off - BUFSZ, v);
            check_buf(__LINE__, "store_ptr (negative offset)", mis, off, want, sizeof want);
        }
    }
    /* The loaded pointer is usable. */
    fill_guard();
    mr_store_ptr(buf, AT + 3, &target);
    int *tp = mr_load_ptr(buf, AT + 3);
    *tp = 42;
    ASSERT_EQ(target, 42);
}

/* ---- atomics, single-threaded ------------------------------------------------ */

static void check_untouched(const unsigned char *p, size_t from, size_t to)
{
    for (size_t i = from; i < to; i++)
        if (p[i] != GUARD)
            mr_test_fail(__FILE__, __LINE__, "atomic touched neighbouring byte %zu (0x%02x)", i, p[i]);
}

static void test_atomics_u32(void)
{
    const ptrdiff_t o = 8; /* word at buf + 16 + 8, naturally aligned */
    unsigned char *w = buf + AT;
    fill_guard();

    mr_atomic_store_rel_u32(w, o, 0x01020304);
    ASSERT_EQ(mr_load_u32(w, o), (uint32_t)0x01020304);
    ASSERT_EQ(mr_atomic_load_acq_u32(w, o), (uint32_t)0x01020304);
    ASSERT_EQ(mr_atomic_load_relaxed_u32(w, o), (uint32_t)0x01020304);
    ASSERT_EQ(mr_atomic_load_acq_u32(w + 8, 0), (uint32_t)0x01020304);
    ASSERT_EQ(mr_atomic_load_relaxed_u32(w + 12, -4), (uint32_t)0x01020304);
    check_untouched(buf, 0, AT + 8);
    check_untouched(buf, AT + 12, BUFSZ);
    mr_store_u32(w, o, 0xcafef00d);
    ASSERT_EQ(mr_atomic_load_acq_u32(w, o), (uint32_t)0xcafef00d);

    /* CAS success: stores desired, returns true, leaves expected alone. */
    uint32_t expected = 0xcafef00d;
    ASSERT_TRUE(mr_atomic_cas_u32(w, o, &expected, 7));
    ASSERT_EQ(expected, (uint32_t)0xcafef00d);
    ASSERT_EQ(mr_atomic_load_relaxed_u32(w, o), (uint32_t)7);
    /* CAS failure: returns false, word unchanged, expected = current. */
    expected = 6;
    ASSERT_FALSE(mr_atomic_cas_u32(w, o, &expected, 99));
    ASSERT_EQ(expected, (uint32_t)7);
    ASSERT_EQ(mr_atomic_load_relaxed_u32(w, o), (uint32_t)7);
    /* The updated expected now succeeds. */
    ASSERT_TRUE(mr_atomic_cas_u32(w, o, &expected, 99));
    ASSERT_EQ(mr_atomic_load_acq_u32(w, o), (uint32_t)99);
    /* Differences in the high bits count. */
    expected = 99 | 0x80000000u;
    ASSERT_FALSE(mr_atomic_cas_u32(w, o, &expected, 1));
    ASSERT_EQ(expected, (uint32_t)99);

    /* fetch_add returns the old value; wraps at the maximum. */
    mr_atomic_store_rel_u32(w, o, 10);
    ASSERT_EQ(mr_atomic_fetch_add_u32(w, o, 5), (uint32_t)10);
    ASSERT_EQ(mr_atomic_load_acq_u32(w, o), (uint32_t)15);
    ASSERT_EQ(mr_atomic_fetch_add_u32(w, o, 0), (uint32_t)15);
    ASSERT_EQ(mr_atomic_load_acq_u32(w, o), (uint32_t)15);
    mr_atomic_store_rel_u32(w, o, UINT32_MAX);
    ASSERT_EQ(mr_atomic_fetch_add_u32(w, o, 1), UINT32_MAX);
    ASSERT_EQ(mr_atomic_load_acq_u32(w, o), (uint32_t)0);
    mr_atomic_store_rel_u32(w, o, UINT32_MAX - 1);
    ASSERT_EQ(mr_atomic_fetch_add_u32(w, o, 5), UINT32_MAX - 1);
    ASSERT_EQ(mr_atomic_load_acq_u32(w, o), (uint32_t)3);
    /* Adding the maximum subtracts one. */
    ASSERT_EQ(mr_atomic_fetch_add_u32(w, o, UINT32_MAX), (uint32_t)3);
    ASSERT_EQ(mr_atomic_load_acq_u32(w, o), (uint32_t)2);

    check_untouched(buf, 0, AT + 8);
    check_untouched(buf, AT + 12, BUFSZ);
}

static void test_atomics_u64(void)
{
    const ptrdiff_t o = 16; /* word at buf + 32, naturally aligned */
    unsigned char *w = buf + AT;
    fill_guard();

    mr_atomic_store_rel_u64(w, o, 0x0102030405060708);
    ASSERT_EQ(mr_load_u64(w, o), (uint64_t)0x0102030405060708);
    ASSERT_EQ(mr_atomic_load_acq_u64(w, o), (uint64_t)0x0102030405060708);
    ASSERT_EQ(mr_atomic_load_relaxed_u64(w, o), (uint64_t)0x0102030405060708);
    ASSERT_EQ(mr_atomic_load_acq_u64(w + 24, -8), (uint64_t)0x0102030405060708);
    check_untouched(buf, 0, AT + 16);
    check_untouched(buf, AT + 24, BUFSZ);
    mr_store_u64(w, o, 0xfedcba9876543210);
    ASSERT_EQ(mr_atomic_load_relaxed_u64(w, o), (uint64_t)0xfedcba9876543210);

    uint64_t expected = 0xfedcba9876543210;
    ASSERT_TRUE(mr_atomic_cas_u64(w, o, &expected, 0x100000000));
    ASSERT_EQ(expected, (uint64_t)0xfedcba9876543210);
    ASSERT_EQ(mr_atomic_load_acq_u64(w, o), (uint64_t)0x100000000);
    /* Same low half, different high half: must fail (a 32-bit CAS would not). */
    expected = 0x200000000;
    ASSERT_FALSE(mr_atomic_cas_u64(w, o, &expected, 5));
    ASSERT_EQ(expected, (uint64_t)0x100000000);
    ASSERT_EQ(mr_atomic_load_acq_u64(w, o), (uint64_t)0x100000000);
    ASSERT_TRUE(mr_atomic_cas_u64(w, o, &expected, UINT64_MAX));
    ASSERT_EQ(mr_atomic_load_acq_u64(w, o), UINT64_MAX);

    /* fetch_add: old value, carry into the high half, wrap at the maximum. */
    ASSERT_EQ(mr_atomic_fetch_add_u64(w, o, 1), UINT64_MAX);
    ASSERT_EQ(mr_atomic_load_acq_u64(w, o), (uint64_t)0);
    mr_atomic_store_rel_u64(w, o, 0xffffffff);
    ASSERT_EQ(mr_atomic_fetch_add_u64(w, o, 1), (uint64_t)0xffffffff);
    ASSERT_EQ(mr_atomic_load_acq_u64(w, o), (uint64_t)0x100000000);
    ASSERT_EQ(mr_atomic_fetch_add_u64(w, o, 0x100000000), (uint64_t)0x100000000);
    ASSERT_EQ(mr_atomic_load_acq_u64(w, o), (uint64_t)0x200000000);
    ASSERT_EQ(mr_atomic_fetch_add_u64(w, o, UINT64_MAX), (uint64_t)0x200000000);
    ASSERT_EQ(mr_atomic_load_acq_u64(w, o), (uint64_t)0x1ffffffff);
    mr_atomic_store_rel_u64(w, o, UINT64_MAX - 2);
    ASSERT_EQ(mr_atomic_fetch_add_u64(w, o, 10), UINT64_MAX - 2);
    ASSERT_EQ(mr_atomic_load_acq_u64(w, o), (uint64_t)7);

    check_untouched(buf, 0, AT + 16);
    check_untouched(buf, AT + 24, BUFSZ);
}

int main(void)
{
    test_address_arithmetic();
    test_bswap();
    test_roundtrip_all_types();
    test_exact_layouts();
    test_sign_extension();
    test_float_layouts();
    test_pointers();
    test_atomics_u32();
    test_atomics_u64();
    return 0;
}
