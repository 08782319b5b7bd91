/* SPDX-License-Identifier: MIT */
/* test/test_type.c: the type table (sizes, names, which member of union
 * mr_value holds each type's values), and type names as the layout spec
 * writes them: every type and order parsed and formatted, the two agreeing
 * with each other and with the layout parser, and the refusals (no order on
 * one-byte types, partial and foreign names, a buffer too short), which
 * leave the outputs untouched. */
#include "helpers.h"

/* ---- the type table ------------------------------------------------------------ */

static void test_types(void)
{
    static const struct {
        enum mr_type t;
        size_t size;
        const char *name;
    } want[] = {
        { MR_TYPE_U8, 1, "u8" },     { MR_TYPE_U16, 2, "u16" },   { MR_TYPE_U32, 4, "u32" },
        { MR_TYPE_U64, 8, "u64" },   { MR_TYPE_I8, 1, "i8" },     { MR_TYPE_I16, 2, "i16" },
        { MR_TYPE_I32, 4, "i32" },   { MR_TYPE_I64, 8, "i64" },   { MR_TYPE_F32, 4, "f32" },
        { MR_TYPE_F64, 8, "f64" },   { MR_TYPE_CHAR, 1, "char" }, { MR_TYPE_STRUCT, 0, "struct" },
    };
    for (size_t i = 0; i < MR_TEST_COUNT(want); i++) {
        ASSERT_EQ(mr_type_size(want[i].t), want[i].size);
        ASSERT_STR_EQ(mr_type_name(want[i].t), want[i].name);
    }
    ASSERT_EQ(mr_type_size((enum mr_type)12), (size_t)0);
    ASSERT_EQ(mr_type_size((enum mr_type)-1), (size_t)0);
    ASSERT_STR_EQ(mr_type_name((enum mr_type)12), "?");
    ASSERT_STR_EQ(mr_type_name((enum mr_type)-1), "?");
}

/* Which member of union mr_value holds each type's values. */
static void test_kinds(void)
{
    static const struct {
        enum mr_type t;
        bool is_signed, is_float;
    } want[] = {
        { MR_TYPE_U8, false, false },  { MR_TYPE_U16, false, false },
        { MR_TYPE_U32, false, false }, { MR_TYPE_U64, false, false },
        { MR_TYPE_I8, true, false },   { MR_TYPE_I16, true, false },
        { MR_TYPE_I32, true, false },  { MR_TYPE_I64, true, false },
        { MR_TYPE_F32, false, true },  { MR_TYPE_F64, false, true },
        { MR_TYPE_CHAR, false, false }, { MR_TYPE_STRUCT, false, false },
        { (enum mr_type)12, false, false }, { (enum mr_type)-1, false, false },
    };
    for (size_t i = 0; i < MR_TEST_COUNT(want); i++) {
        ASSERT_EQ(mr_type_is_signed(want[i].t), want[i].is_signed);
        ASSERT_EQ(mr_type_is_float(want[i].t), want[i].is_float);
    }
}

/* ---- names: parse and format --------------------------------------------------- */

static void test_parse_every_name(void)
{
    static const struct {
        const char *text;
        enum mr_type t;
        enum mr_order o;
    } want[] = {
        { "u8", MR_TYPE_U8, MR_ORDER_HOST },      { "i8", MR_TYPE_I8, MR_ORDER_HOST },
        { "char", MR_TYPE_CHAR, MR_ORDER_HOST },  { "u16", MR_TYPE_U16, MR_ORDER_HOST },
        { "u16le", MR_TYPE_U16, MR_ORDER_LE },    { "u16be", MR_TYPE_U16, MR_ORDER_BE },
        { "u32", MR_TYPE_U32, MR_ORDER_HOST },    { "u32le", MR_TYPE_U32, MR_ORDER_LE },
        { "u32be", MR_TYPE_U32, MR_ORDER_BE },    { "u64", MR_TYPE_U64, MR_ORDER_HOST },
        { "u64le", MR_TYPE_U64, MR_ORDER_LE },    { "u64be", MR_TYPE_U64, MR_ORDER_BE },
        { "i16", MR_TYPE_I16, MR_ORDER_HOST },    { "i16le", MR_TYPE_I16, MR_ORDER_LE },
        { "i16be", MR_TYPE_I16, MR_ORDER_BE },    { "i32", MR_TYPE_I32, MR_ORDER_HOST },
        { "i32le", MR_TYPE_I32, MR_ORDER_LE },    { "i32be", MR_TYPE_I32, MR_ORDER_BE },
        { "i64", MR_TYPE_I64, MR_ORDER_HOST },    { "i64le", MR_TYPE_I64, MR_ORDER_LE },
        { "i64be", MR_TYPE_I64, MR_ORDER_BE },    { "f32", MR_TYPE_F32, MR_ORDER_HOST },
        { "f32le", MR_TYPE_F32, MR_ORDER_LE },    { "f32be", MR_TYPE_F32, MR_ORDER_BE },
        { "f64", MR_TYPE_F64, MR_ORDER_HOST },    { "f64le", MR_TYPE_F64, MR_ORDER_LE },
        { "f64be", MR_TYPE_F64, MR_ORDER_BE },
    };
    for (size_t i = 0; i < MR_TEST_COUNT(want); i++) {
        enum mr_type t = MR_TYPE_STRUCT;
        enum mr_order o = (enum mr_order)7;
        char name[MR_TYPE_NAME_MAX];
        size_t len = strlen(want[i].text);

        ASSERT_OK(mr_type_parse(want[i].text, len, &t, &o));
        ASSERT_EQ((int)t, (int)want[i].t);
        ASSERT_EQ((int)o, (int)want[i].o);
        /* Formatting gives back the same text. */
        ASSERT_EQ(mr_type_format(t, o, name, sizeof name), (int)len);
        ASSERT_STR_EQ(name, want[i].text);

        /* The layout spec reads the same name as the same type. */
        char spec[32];
        struct mr_layout *l;
        snprintf(spec, sizeof spec, "x:%s", want[i].text);
        ASSERT_OK(mr_layout_parse(NULL, spec, strlen(spec), &l, NULL));
        ASSERT_EQ((int)mr_layout_field(l, 0)->type, (int)want[i].t);
        ASSERT_EQ((int)mr_layout_field(l, 0)->order, (int)want[i].o);
        mr_layout_destroy(l);
    }
}

static void test_parse_refusals(void)
{
    static const char *const bad[] = {
        "",       "u",       "u7",    "u24",     "U32",   "u32 ",  " u32",  "u32LE", "u32lebe",
        "u32l",   "u32lex",  "u8le",  "u8be",    "i8le",  "charle", "charbe", "struct", "int",
        "float",  "f16",     "f32ne", "u16xe",   "u64x",  "chars",
    };
    for (size_t i = 0; i < MR_TEST_COUNT(bad); i++) {
        enum mr_type t = (enum mr_type)99;
        enum mr_order o = (enum mr_order)99;
        ASSERT_ERR(mr_type_parse(bad[i], strlen(bad[i]), &t, &o), -EINVAL);
        ASSERT_EQ((int)t, 99);
        ASSERT_EQ((int)o, 99);
    }
    /* The type is exactly len bytes: a NUL or more text after it counts. */
    enum mr_type t;
    enum mr_order o;
    ASSERT_OK(mr_type_parse("u32lexyz", 5, &t, &o));
    ASSERT_EQ((int)t, (int)MR_TYPE_U32);
    ASSERT_EQ((int)o, (int)MR_ORDER_LE);
    ASSERT_OK(mr_type_parse("u32le", 3, &t, &o));
    ASSERT_EQ((int)o, (int)MR_ORDER_HOST);
    ASSERT_ERR(mr_type_parse("u8\0", 3, &t, &o), -EINVAL);
    ASSERT_ERR(mr_type_parse(NULL, 0, &t, &o), -EINVAL);
    ASSERT_ERR(mr_type_parse("u8", 2, NULL, &o), -EINVAL);
    ASSERT_ERR(mr_type_parse("u8", 2, &t, NULL), -EINVAL);
}

static void test_format(void)
{
    char buf[MR_TYPE_NAME_MAX];

    /* One-byte types and structs take no order; host order has no suffix. */
    ASSERT_EQ(mr_type_format(MR_TYPE_U8, MR_ORDER_BE, buf, sizeof buf), 2);
    ASSERT_STR_EQ(buf, "u8");
    ASSERT_EQ(mr_type_format(MR_TYPE_CHAR, MR_ORDER_LE, buf, sizeof buf), 4);
    ASSERT_STR_EQ(buf, "char");
    ASSERT_EQ(mr_type_format(MR_TYPE_STRUCT, MR_ORDER_BE, buf, sizeof buf), 6);
    ASSERT_STR_EQ(buf, "struct");
    ASSERT_EQ(mr_type_format(MR_TYPE_F64, MR_ORDER_HOST, buf, sizeof buf), 3);
    ASSERT_STR_EQ(buf, "f64");

    /* Exactly long enough, and one byte short: buf untouched. */
    char six[6];
    ASSERT_EQ(mr_type_format(MR_TYPE_U64, MR_ORDER_BE, six, sizeof six), 5);
    ASSERT_STR_EQ(six, "u64be");
    memset(six, 'z', sizeof six);
    ASSERT_ERR(mr_type_format(MR_TYPE_U64, MR_ORDER_BE, six, 5), -EOVERFLOW);
    ASSERT_ERR(mr_type_format(MR_TYPE_STRUCT, MR_ORDER_HOST, six, 6), -EOVERFLOW);
    ASSERT_ERR(mr_type_format(MR_TYPE_U8, MR_ORDER_HOST, six, 0), -EOVERFLOW);
    ASSERT_MEM_EQ(six, "zzzzzz", 6);
    ASSERT_ERR(mr_type_format(MR_TYPE_U8, MR_ORDER_HOST, NULL, 0), -EOVERFLOW);

    /* Outside the enums. */
    memset(buf, 'z', sizeof buf);
    ASSERT_ERR(mr_type_format((enum mr_type)12, MR_ORDER_HOST, buf, sizeof buf), -EINVAL);
    ASSERT_ERR(mr_type_format((enum mr_type)-1, MR_ORDER_HOST, buf, sizeof buf), -EINVAL);
    ASSERT_ERR(mr_type_format(MR_TYPE_U16, (enum mr_order)3, buf, sizeof buf), -EINVAL);
    ASSERT_ERR(mr_type_format(MR_TYPE_U16, (enum mr_order)-1, buf, sizeof buf), -EINVAL);
    ASSERT_MEM_EQ(buf, "zzzzzzzz", sizeof buf);

    /* MR_TYPE_NAME_MAX holds every name with every order. */
    for (int t = MR_TYPE_U8; t <= MR_TYPE_STRUCT; t++)
        for (int o = MR_ORDER_HOST; o <= MR_ORDER_BE; o++) {
            int n = mr_type_format((enum mr_type)t, (enum mr_order)o, buf, sizeof buf);
            ASSERT_GT(n, 0);
            ASSERT_LT((size_t)n, sizeof buf);
            ASSERT_EQ(strlen(buf), (size_t)n);
        }
}

int main(void)
{
    test_types();
    test_kinds();
    test_parse_every_name();
    test_parse_refusals();
    test_format();
    return 0;
}
