/* SPDX-License-Identifier: MIT */
/* test/test_value.c: typed values at an offset (every type and byte order,
 * bounds, read-only, range checks), and their text: numbers in both float
 * forms (fewest digits, and MR_VALUE_FMT_DIG) and as JSON, reading back
 * exactly; strings escaped as text and as JSON, decoded back to the same
 * bytes; and the refusals (bad type or flags, a short buffer, a failing
 * stream). */
#include "value_test.h"

#include <float.h>
#include <math.h>

static bool value_same(union mr_value a, union mr_value b) { return memcmp(&a, &b, sizeof a) == 0; }

/* ---- typed values at an offset ---------------------------------------------------- */

static void test_value_every_type_and_order(void)
{
    unsigned char buf[24];
    for (size_t k = 0; k < sizeof buf; k++)
        buf[k] = (unsigned char)(0x11 * k + 3);
    struct mr_region r = MR_REGION_OF_ARRAY(buf);

    for (size_t ti = 0; ti < MR_TEST_COUNT(mr_test_value_types); ti++) {
        enum mr_type t = mr_test_value_types[ti];
        size_t size = mr_type_size(t);
        for (size_t oi = 0; oi < MR_TEST_COUNT(mr_test_value_orders); oi++) {
            enum mr_order o = mr_test_value_orders[oi];
            for (size_t off = 0; off + size <= sizeof buf; off += 3) {
                union mr_value v, w;
                ASSERT_OK(mr_value_get(r, off, t, o, &v));
                w = mr_test_value_sap_read(buf + off, t, o);
                if (t == MR_TYPE_F32 || t == MR_TYPE_F64)
                    ASSERT_MEM_EQ(&v.f, &w.f, sizeof v.f); /* NaN patterns too */
                else
                    ASSERT_TRUE(value_same(v, w));

                /* Writing back what was read leaves the bytes as they were
                 * (a NaN read as f32 and widened may come back quieted, so
                 * floats are tested with values below). */
                if (t != MR_TYPE_F32 && t != MR_TYPE_F64) {
                    unsigned char before[sizeof buf];
                    memcpy(before, buf, sizeof buf);
                    ASSERT_OK(mr_value_set(r, off, t, o, v));
                    ASSERT_MEM_EQ(buf, before, sizeof buf);
                }
            }
            /* The last position that fits, the first that does not. */
            union mr_value v;
            ASSERT_OK(mr_value_get(r, sizeof buf - size, t, o, &v));
            ASSERT_ERR(mr_value_get(r, sizeof buf - size + 1, t, o, &v), -ERANGE);
            ASSERT_ERR(mr_value_get(r, SIZE_MAX, t, o, &v), -ERANGE);
            ASSERT_ERR(mr_value_set(r, sizeof buf - size + 1, t, o, v), -ERANGE);
            ASSERT_ERR(mr_value_set(r, SIZE_MAX - 1, t, o, v), -ERANGE);
        }
    }
}

static void test_value_bytes(void)
{
    unsigned char buf[8] = { 0 };
    struct mr_region r = MR_REGION_OF_ARRAY(buf);
    union mr_value v;

    ASSERT_OK(mr_value_set(r, 1, MR_TYPE_U32, MR_ORDER_BE, (union mr_value){ .u = 0x01020304 }));
    ASSERT_MEM_EQ(buf, "\0\x01\x02\x03\x04\0\0\0", 8);
    ASSERT_OK(mr_value_set(r, 4, MR_TYPE_U16, MR_ORDER_LE, (union mr_value){ .u = 0xaabb }));
    ASSERT_MEM_EQ(buf, "\0\x01\x02\x03\xbb\xaa\0\0", 8);
    ASSERT_OK(mr_value_get(r, 1, MR_TYPE_U32, MR_ORDER_LE, &v));
    ASSERT_EQ(v.u, (uint64_t)0xbb030201);
    ASSERT_OK(mr_value_set(r, 0, MR_TYPE_I16, MR_ORDER_BE, (union mr_value){ .i = -2 }));
    ASSERT_MEM_EQ(buf, "\xff\xfe", 2);
    ASSERT_OK(mr_value_get(r, 0, MR_TYPE_I16, MR_ORDER_BE, &v));
    ASSERT_EQ(v.i, (int64_t)-2);
    ASSERT_OK(mr_value_get(r, 0, MR_TYPE_U16, MR_ORDER_BE, &v));
    ASSERT_EQ(v.u, (uint64_t)0xfffe);
    ASSERT_OK(mr_value_set(r, 0, MR_TYPE_F64, MR_ORDER_BE, (union mr_value){ .f = 1.0 }));
    ASSERT_MEM_EQ(buf, "\x3f\xf0\0\0\0\0\0\0", 8);
    ASSERT_OK(mr_value_set(r, 4, MR_TYPE_F32, MR_ORDER_LE, (union mr_value){ .f = -2.0 }));
    ASSERT_MEM_EQ(buf + 4, "\0\0\0\xc0", 4);
    ASSERT_OK(mr_value_get(r, 4, MR_TYPE_F32, MR_ORDER_LE, &v));
    ASSERT_FEQ(v.f, -2.0);
    /* f32 rounds to nearest. */
    ASSERT_OK(mr_value_set(r, 0, MR_TYPE_F32, MR_ORDER_HOST, (union mr_value){ .f = 0.1 }));
    ASSERT_OK(mr_value_get(r, 0, MR_TYPE_F32, MR_ORDER_HOST, &v));
    ASSERT_FEQ(v.f, (double)0.1f);
    /* char is a byte, read as unsigned. */
    buf[7] = 0xe9;
    ASSERT_OK(mr_value_get(r, 7, MR_TYPE_CHAR, MR_ORDER_BE, &v));
    ASSERT_EQ(v.u, (uint64_t)0xe9);
}

static void test_value_errors(void)
{
    unsigned char buf[8];
    memset(buf, 0x77, sizeof buf);
    struct mr_region r = MR_REGION_OF_ARRAY(buf);
    union mr_value v = { .u = 0x5c5c5c5c5c5c5c5c }, keep = v;

    /* Bad types and orders. */
    ASSERT_ERR(mr_value_get(r, 0, MR_TYPE_STRUCT, MR_ORDER_HOST, &v), -EINVAL);
    ASSERT_ERR(mr_value_get(r, 0, (enum mr_type)12, MR_ORDER_HOST, &v), -EINVAL);
    ASSERT_ERR(mr_value_get(r, 0, (enum mr_type)-1, MR_ORDER_HOST, &v), -EINVAL);
    ASSERT_ERR(mr_value_get(r, 0, MR_TYPE_U8, (enum mr_order)3, &v), -EINVAL);
    ASSERT_ERR(mr_value_set(r, 0, MR_TYPE_STRUCT, MR_ORDER_HOST, v), -EINVAL);
    ASSERT_ERR(mr_value_set(r, 0, MR_TYPE_U16, (enum mr_order)-1, v), -EINVAL);
    ASSERT_ERR(mr_value_get(r, 8, MR_TYPE_U8, MR_ORDER_HOST, &v), -ERANGE);
    ASSERT_TRUE(value_same(v, keep));

    /* Read-only wins over bounds and range. */
    struct mr_region ro = mr_region_ro(r);
    ASSERT_ERR(mr_value_set(ro, 0, MR_TYPE_U8, MR_ORDER_HOST, (union mr_value){ .u = 1 }), -EACCES);
    ASSERT_ERR(mr_value_set(ro, 100, MR_TYPE_U8, MR_ORDER_HOST, (union mr_value){ .u = 1 }), -EACCES);
    ASSERT_ERR(mr_value_set(ro, 0, MR_TYPE_U8, MR_ORDER_HOST, (union mr_value){ .u = 999 }), -EACCES);
    ASSERT_OK(mr_value_get(ro, 0, MR_TYPE_U8, MR_ORDER_HOST, &v));
    ASSERT_EQ(v.u, (uint64_t)0x77);

    /* The range of every type: the limits fit, one past them does not. */
    static const struct {
        enum mr_type t;
        union mr_value ok_lo, ok_hi, bad_lo, bad_hi;
    } lim[] = {
        { MR_TYPE_U8, { .u = 0 }, { .u = 255 }, { .u = UINT64_MAX }, { .u = 256 } },
        { MR_TYPE_CHAR, { .u = 0 }, { .u = 255 }, { .u = UINT64_MAX }, { .u = 256 } },
        { MR_TYPE_U16, { .u = 0 }, { .u = 65535 }, { .u = UINT64_MAX }, { .u = 65536 } },
        { MR_TYPE_U32, { .u = 0 }, { .u = UINT32_MAX }, { .u = UINT64_MAX }, { .u = 1ull << 32 } },
        { MR_TYPE_I8, { .i = -128 }, { .i = 127 }, { .i = -129 }, { .i = 128 } },
        { MR_TYPE_I16, { .i = INT16_MIN }, { .i = INT16_MAX }, { .i = INT16_MIN - 1 }, { .i = INT16_MAX + 1 } },
        { MR_TYPE_I32, { .i = INT32_MIN }, { .i = INT32_MAX }, { .i = INT32_MIN - 1ll }, { .i = INT32_MAX + 1ll } },
        { MR_TYPE_F32, { .f = -FLT_MAX }, { .f = FLT_MAX }, { .f = -1e39 }, { .f = DBL_MAX } },
    };
    for (size_t i = 0; i < MR_TEST_COUNT(lim); i++) {
        for (size_t oi = 0; oi < MR_TEST_COUNT(mr_test_value_orders); oi++) {
            enum mr_order o = mr_test_value_orders[oi];
            union mr_value back;
            ASSERT_OK(mr_value_set(r, 0, lim[i].t, o, lim[i].ok_lo));
            ASSERT_OK(mr_value_get(r, 0, lim[i].t, o, &back));
            ASSERT_TRUE(value_same(back, lim[i].ok_lo));
            ASSERT_OK(mr_value_set(r, 0, lim[i].t, o, lim[i].ok_hi));
            ASSERT_OK(mr_value_get(r, 0, lim[i].t, o, &back));
            ASSERT_TRUE(value_same(back, lim[i].ok_hi));
            unsigned char before[8];
            memcpy(before, buf, 8);
            ASSERT_ERR(mr_value_set(r, 0, lim[i].t, o, lim[i].bad_lo), -EOVERFLOW);
            ASSERT_ERR(mr_value_set(r, 0, lim[i].t, o, lim[i].bad_hi), -EOVERFLOW);
            ASSERT_MEM_EQ(buf, before, 8);
        }
    }
    /* u64, i64 and f64 take everything; f32 takes NaN and the infinities. */
    ASSERT_OK(mr_value_set(r, 0, MR_TYPE_U64, MR_ORDER_BE, (union mr_value){ .u = UINT64_MAX }));
    ASSERT_OK(mr_value_set(r, 0, MR_TYPE_I64, MR_ORDER_BE, (union mr_value){ .i = INT64_MIN }));
    ASSERT_OK(mr_value_set(r, 0, MR_TYPE_F64, MR_ORDER_BE, (union mr_value){ .f = -DBL_MAX }));
    ASSERT_OK(mr_value_set(r, 0, MR_TYPE_F32, MR_ORDER_LE, (union mr_value){ .f = INFINITY }));
    ASSERT_OK(mr_value_get(r, 0, MR_TYPE_F32, MR_ORDER_LE, &v));
    ASSERT_TRUE(isinf(v.f) && v.f > 0);
    ASSERT_OK(mr_value_set(r, 0, MR_TYPE_F32, MR_ORDER_BE, (union mr_value){ .f = -INFINITY }));
    ASSERT_OK(mr_value_set(r, 0, MR_TYPE_F32, MR_ORDER_BE, (union mr_value){ .f = NAN }));
    ASSERT_OK(mr_value_get(r, 0, MR_TYPE_F32, MR_ORDER_BE, &v));
    ASSERT_TRUE(isnan(v.f));

    /* An empty region, with a NULL pointer. */
    struct mr_region empty = mr_region_make(NULL, 0);
    ASSERT_ERR(mr_value_get(empty, 0, MR_TYPE_U8, MR_ORDER_HOST, &v), -ERANGE);
    ASSERT_ERR(mr_value_set(empty, 0, MR_TYPE_U8, MR_ORDER_HOST, v), -ERANGE);
}

/* ---- values as text ------------------------------------------------------------ */

#define U(x) ((union mr_value){ .u = (x) })
#define I(x) ((union mr_value){ .i = (x) })
#define D(x) ((union mr_value){ .f = (x) })

/* mr_value_format's text, checked to fit MR_VALUE_TEXT_MAX with its length
 * returned right. */
static const char *fmt(enum mr_type t, union mr_value v, unsigned flags)
{
    static char buf[MR_VALUE_TEXT_MAX];
    memset(buf, 'z', sizeof buf);
    int n = mr_value_format(t, v, flags, buf, sizeof buf);
    ASSERT_GE(n, 1);
    ASSERT_EQ(strlen(buf), (size_t)n);
    return buf;
}

static void test_format_numbers(void)
{
    static const struct {
        enum mr_type t;
        union mr_value v;
        const char *fewest, *dig;
    } want[] = {
        { MR_TYPE_U8, { .u = 255 }, "255", "255" },
        { MR_TYPE_CHAR, { .u = 'A' }, "65", "65" },
        { MR_TYPE_U64, { .u = UINT64_MAX }, "18446744073709551615", "18446744073709551615" },
        { MR_TYPE_I8, { .i = -1 }, "-1", "-1" },
        { MR_TYPE_I64, { .i = INT64_MIN }, "-9223372036854775808", "-9223372036854775808" },
        { MR_TYPE_F64, { .f = 0.1 }, "0.1", "0.1" },
        { MR_TYPE_F64, { .f = 1.5 }, "1.5", "1.5" },
        { MR_TYPE_F64, { .f = 100 }, "1e+02", "100" },
        { MR_TYPE_F64, { .f = 1200 }, "1.2e+03", "1200" },
        { MR_TYPE_F64, { .f = 123456 }, "123456", "123456" },
        { MR_TYPE_F64, { .f = 1e15 }, "1e+15", "1e+15" },
        { MR_TYPE_F64, { .f = -0.0 }, "-0", "-0" },
        { MR_TYPE_F64, { .f = 1.0 / 3 }, "0.3333333333333333", "0.3333333333333333" },
        { MR_TYPE_F64, { .f = 5e-324 }, "5e-324", "4.94065645841247e-324" },
        { MR_TYPE_F64, { .f = -DBL_MIN }, "-2.2250738585072014e-308", "-2.2250738585072014e-308" },
        { MR_TYPE_F64, { .f = DBL_MAX }, "1.7976931348623157e+308", "1.7976931348623157e+308" },
        /* An f32 needs only the digits that read back as the float. */
        { MR_TYPE_F32, { .f = (double)0.1f }, "0.1", "0.1" },
        { MR_TYPE_F32, { .f = (double)(1.0f / 3) }, "0.33333334", "0.33333334" },
        { MR_TYPE_F32, { .f = 1e5 }, "1e+05", "100000" },
        { MR_TYPE_F32, { .f = 1e6 }, "1e+06", "1e+06" },
        { MR_TYPE_F32, { .f = (double)FLT_MAX }, "3.4028235e+38", "3.4028235e+38" },
    };
    for (size_t i = 0; i < MR_TEST_COUNT(want); i++) {
        ASSERT_STR_EQ(fmt(want[i].t, want[i].v, 0), want[i].fewest);
        ASSERT_STR_EQ(fmt(want[i].t, want[i].v, MR_VALUE_FMT_DIG), want[i].dig);
        /* Finite numbers are the same in JSON. */
        ASSERT_STR_EQ(fmt(want[i].t, want[i].v, MR_VALUE_FMT_JSON), want[i].fewest);
        ASSERT_STR_EQ(fmt(want[i].t, want[i].v, MR_VALUE_FMT_JSON | MR_VALUE_FMT_DIG),
                      want[i].dig);
    }

    /* NaN (of either sign) and the infinities; null in JSON. */
    static const enum mr_type floats[] = { MR_TYPE_F32, MR_TYPE_F64 };
    for (size_t i = 0; i < MR_TEST_COUNT(floats); i++) {
        for (unsigned flags = 0; flags <= MR_VALUE_FMT_DIG; flags += MR_VALUE_FMT_DIG) {
            ASSERT_STR_EQ(fmt(floats[i], D(NAN), flags), "nan");
            ASSERT_STR_EQ(fmt(floats[i], D(-NAN), flags), "nan");
            ASSERT_STR_EQ(fmt(floats[i], D(INFINITY), flags), "inf");
            ASSERT_STR_EQ(fmt(floats[i], D(-INFINITY), flags), "-inf");
            unsigned json = flags | MR_VALUE_FMT_JSON;
            ASSERT_STR_EQ(fmt(floats[i], D(NAN), json), "null");
            ASSERT_STR_EQ(fmt(floats[i], D(INFINITY), json), "null");
            ASSERT_STR_EQ(fmt(floats[i], D(-INFINITY), json), "null");
        }
    }
}

/* Every finite text reads back as the value it was made from: random bit
 * patterns, as f64 and as f32, in both forms. */
static void test_format_reads_back(void)
{
    for (int k = 0; k < 20000; k++) {
        uint64_t bits = mr_test_rand(&mr_test_value_rng);
        double d;
        float f;
        uint32_t fbits = (uint32_t)bits;
        memcpy(&d, &bits, sizeof d);
        memcpy(&f, &fbits, sizeof f);
        for (unsigned flags = 0; flags <= MR_VALUE_FMT_DIG; flags += MR_VALUE_FMT_DIG) {
            if (isfinite(d)) {
                double back = strtod(fmt(MR_TYPE_F64, D(d), flags), NULL);
                ASSERT_MEM_EQ(&back, &d, sizeof d);
            }
            if (isfinite(f)) {
                float back = strtof(fmt(MR_TYPE_F32, D((double)f), flags), NULL);
                ASSERT_MEM_EQ(&back, &f, sizeof f);
            }
        }
    }
}

static void test_format_refusals(void)
{
    char buf[MR_VALUE_TEXT_MAX];

    memset(buf, 'z', sizeof buf);
    ASSERT_ERR(mr_value_format(MR_TYPE_STRUCT, U(1), 0, buf, sizeof buf), -EINVAL);
    ASSERT_ERR(mr_value_format((enum mr_type)12, U(1), 0, buf, sizeof buf), -EINVAL);
    ASSERT_ERR(mr_value_format((enum mr_type)-1, U(1), 0, buf, sizeof buf), -EINVAL);
    ASSERT_ERR(mr_value_format(MR_TYPE_U8, U(1), 0x4, buf, sizeof buf), -EINVAL);
    /* Exactly long enough, then one byte short: buf untouched. */
    ASSERT_EQ(mr_value_format(MR_TYPE_U16, U(12345), 0, buf, 6), 5);
    ASSERT_STR_EQ(buf, "12345");
    memset(buf, 'z', sizeof buf);
    ASSERT_ERR(mr_value_format(MR_TYPE_U16, U(12345), 0, buf, 5), -EOVERFLOW);
    ASSERT_ERR(mr_value_format(MR_TYPE_F64, D(0.5), 0, buf, 0), -EOVERFLOW);
    ASSERT_ERR(mr_value_format(MR_TYPE_I8, I(-1), 0, NULL, 0), -EOVERFLOW);
    for (size_t k = 0; k < sizeof buf; k++)
        ASSERT_EQ(buf[k], 'z');
}

/* ---- strings as text ------------------------------------------------------------- */

/* What mr_value_print_str writes for the n bytes at s, NUL-terminated in buf. */
static size_t print_str(const void *s, size_t n, unsigned flags, char *buf, size_t size)
{
    memset(buf, 0, size);
    FILE *f = fmemopen(buf, size - 1, "w");
    ASSERT_TRUE(f != NULL);
    ASSERT_OK(mr_value_print_str(f, s, n, flags));
    ASSERT_EQ(fclose(f), 0);
    return strlen(buf);
}

static int hex_value(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Decode a string as print_str writes it (the other direction, written
 * from the escape rules as documented): the bytes into out, their count. */
static size_t decode(const char *text, bool json, unsigned char *out)
{
    size_t len = strlen(text), n = 0;
    ASSERT_TRUE(len >= 2 && text[0] == '"' && text[len - 1] == '"');
    for (size_t i = 1; i < len - 1; i++) {
        unsigned char c = (unsigned char)text[i];
        ASSERT_TRUE(c >= 0x20 && c < 0x7f); /* the output is printable ASCII */
        ASSERT_TRUE(c != '"');
        if (c != '\\') {
            out[n++] = c;
            continue;
        }
        char e = text[++i];
        if (e == 'n' || e == 'r' || e == 't' || e == '"' || e == '\\') {
            out[n++] = e == 'n' ? '\n' : e == 'r' ? '\r' : e == 't' ? '\t' : (unsigned char)e;
        } else if (!json && e == 'x') {
            int hi = hex_value(text[i + 1]), lo = hex_value(text[i + 2]);
            ASSERT_TRUE(hi >= 0 && lo >= 0);
            out[n++] = (unsigned char)(hi * 16 + lo);
            i += 2;
        } else {
            ASSERT_TRUE(json && e == 'u');
            ASSERT_TRUE(text[i + 1] == '0' && text[i + 2] == '0');
            int hi = hex_value(text[i + 3]), lo = hex_value(text[i + 4]);
            ASSERT_TRUE(hi >= 0 && lo >= 0);
            out[n++] = (unsigned char)(hi * 16 + lo);
            i += 4;
        }
    }
    return n;
}

static void test_print_str(void)
{
    char buf[2048];
    unsigned char all[256], back[256];

    ASSERT_EQ(print_str("a\"b\\c\n\r\t\x01\x7f\x80\xff\0z", 14, 0, buf, sizeof buf), (size_t)36);
    ASSERT_STR_EQ(buf, "\"a\\\"b\\\\c\\n\\r\\t\\x01\\x7f\\x80\\xff\\x00z\"");
    print_str("a\"b\\c\n\r\t\x01\x7f\x80\xff\0z", 14, MR_VALUE_FMT_JSON, buf, sizeof buf);
    ASSERT_STR_EQ(buf, "\"a\\\"b\\\\c\\n\\r\\t\\u0001\\u007f\\u0080\\u00ff\\u0000z\"");

    /* Every byte value survives both forms. */
    for (size_t k = 0; k < sizeof all; k++)
        all[k] = (unsigned char)k;
    for (unsigned flags = 0; flags <= MR_VALUE_FMT_JSON; flags++) {
        print_str(all, sizeof all, flags, buf, sizeof buf);
        ASSERT_EQ(decode(buf, flags != 0, back), sizeof all);
        ASSERT_MEM_EQ(back, all, sizeof all);
    }

    /* Nothing is "", also from NULL. */
    ASSERT_EQ(print_str("xyz", 0, 0, buf, sizeof buf), (size_t)2);
    ASSERT_STR_EQ(buf, "\"\"");
    ASSERT_EQ(print_str(NULL, 0, MR_VALUE_FMT_JSON, buf, sizeof buf), (size_t)2);
    ASSERT_STR_EQ(buf, "\"\"");

    /* Refusals write nothing; a stream that fails is -EIO. */
    FILE *f = fmemopen(buf, sizeof buf, "w");
    ASSERT_TRUE(f != NULL);
    ASSERT_ERR(mr_value_print_str(f, NULL, 1, 0), -EINVAL);
    ASSERT_ERR(mr_value_print_str(f, "a", 1, 0x4), -EINVAL);
    ASSERT_EQ(ftell(f), 0L);
    ASSERT_EQ(fclose(f), 0);
    f = fopen("/dev/null", "r");
    ASSERT_TRUE(f != NULL);
    ASSERT_ERR(mr_value_print_str(f, "abc", 3, 0), -EIO);
    ASSERT_EQ(fclose(f), 0);
}

int main(void)
{
    test_value_every_type_and_order();
    test_value_bytes();
    test_value_errors();
    test_format_numbers();
    test_format_reads_back();
    test_format_refusals();
    test_print_str();
    return 0;
}
