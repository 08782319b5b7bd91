/* SPDX-License-Identifier: MIT */
/* test/test_layout.c: layouts made from fields and parsed from spec text:
 * the queries, nesting, the limits, every error reason of mr_layout_create
 * and of the parser with its position, printing back as a spec, and an
 * out-of-memory walk over parse and create proving that failures leak
 * nothing. */
#include "helpers.h"

static struct mr_layout *parse_ok(const char *spec)
{
    struct mr_layout *l = NULL;
    struct mr_layout_error err = { 0, "" };
    int rc = mr_layout_parse(NULL, spec, strlen(spec), &l, &err);
    if (rc != 0)
        mr_test_fail(__FILE__, __LINE__, "parsing \"%s\": %d at %zu: %s", spec, rc, err.pos,
                     err.reason);
    return l;
}

/* The layout printed as a spec, into buf. */
static const char *spec_of(const struct mr_layout *l, char *buf, size_t size)
{
    memset(buf, 0, size);
    FILE *f = fmemopen(buf, size, "w");
    ASSERT_TRUE(f != NULL);
    ASSERT_OK(mr_layout_print(l, f));
    ASSERT_EQ(fclose(f), 0);
    return buf;
}

#define ASSERT_FIELD(l, i, nm, ty, ord, off, cnt, fl)                           \
    do {                                                                        \
        const struct mr_field *f_ = mr_layout_field((l), (i));                  \
        ASSERT_TRUE(f_ != NULL);                                                \
        ASSERT_STR_EQ(f_->name, (nm));                                          \
        ASSERT_EQ((int)f_->type, (int)(ty));                                    \
        ASSERT_EQ((int)f_->order, (int)(ord));                                  \
        ASSERT_EQ(f_->offset, (size_t)(off));                                   \
        ASSERT_EQ(f_->count, (size_t)(cnt));                                    \
        ASSERT_EQ(f_->flags, (unsigned)(fl));                                   \
    } while (0)

/* ---- made from fields ---------------------------------------------------------- */

static void test_create(void)
{
    char name_buf[8] = "flags";
    struct mr_field fields[] = {
        { "magic", MR_TYPE_U32, MR_ORDER_BE, 0, 0, NULL, 0 },
        { "len", MR_TYPE_U16, MR_ORDER_LE, 4, 0, NULL, 0 },
        { name_buf, MR_TYPE_U8, MR_ORDER_BE, 6, 0, NULL, 0 },
        { "pad", MR_TYPE_U8, MR_ORDER_HOST, 7, 3, NULL, 0 },
        { "name", MR_TYPE_CHAR, MR_ORDER_HOST, 10, 16, NULL, 0 },
    };
    struct mr_layout *l;
    struct mr_layout_error err;

    ASSERT_OK(mr_layout_create(NULL, fields, MR_TEST_COUNT(fields), 0, &l, &err));
    strcpy(name_buf, "XXXX"); /* names were copied */
    ASSERT_EQ(mr_layout_size(l), (size_t)26);
    ASSERT_EQ(mr_layout_field_count(l), (size_t)5);
    ASSERT_FIELD(l, 0, "magic", MR_TYPE_U32, MR_ORDER_BE, 0, 0, 0);
    ASSERT_FIELD(l, 1, "len", MR_TYPE_U16, MR_ORDER_LE, 4, 0, 0);
    ASSERT_FIELD(l, 2, "flags", MR_TYPE_U8, MR_ORDER_HOST, 6, 0, 0); /* order dropped */
    ASSERT_FIELD(l, 3, "pad", MR_TYPE_U8, MR_ORDER_HOST, 7, 3, 0);
    ASSERT_FIELD(l, 4, "name", MR_TYPE_CHAR, MR_ORDER_HOST, 10, 16, 0);
    ASSERT_TRUE(mr_layout_field(l, 5) == NULL);
    ASSERT_TRUE(mr_layout_field(l, SIZE_MAX) == NULL);
    ASSERT_TRUE(mr_layout_field(l, 0)->nested == NULL);
    ASSERT_EQ(mr_field_size(mr_layout_field(l, 0)), (size_t)4);
    ASSERT_EQ(mr_field_size(mr_layout_field(l, 3)), (size_t)3);
    ASSERT_EQ(mr_field_size(mr_layout_field(l, 4)), (size_t)16);

    static const char *names[] = { "magic", "len", "flags", "pad", "name" };
    for (size_t i = 0; i < MR_TEST_COUNT(names); i++)
        ASSERT_EQ(mr_layout_find(l, names[i]), (ssize_t)i);
    ASSERT_ERR(mr_layout_find(l, "nope"), -ENOENT);
    ASSERT_ERR(mr_layout_find(l, ""), -ENOENT);
    ASSERT_ERR(mr_layout_find(l, "magi"), -ENOENT);
    ASSERT_ERR(mr_layout_find(l, "magicc"), -ENOENT);
    ASSERT_ERR(mr_layout_find(l, NULL), -ENOENT);
    char longname[200];
    memset(longname, 'a', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    ASSERT_ERR(mr_layout_find(l, longname), -ENOENT);
    mr_layout_destroy(l);

    /* An explicit size, larger than the fields. */
    ASSERT_OK(mr_layout_create(NULL, fields, 2, 64, &l, NULL));
    ASSERT_EQ(mr_layout_size(l), (size_t)64);
    mr_layout_destroy(l);

    /* No fields: size 0, or the size given. */
    ASSERT_OK(mr_layout_create(NULL, NULL, 0, 0, &l, &err));
    ASSERT_EQ(mr_layout_size(l), (size_t)0);
    ASSERT_EQ(mr_layout_field_count(l), (size_t)0);
    ASSERT_ERR(mr_layout_find(l, "a"), -ENOENT);
    mr_layout_destroy(l);
    ASSERT_OK(mr_layout_create(NULL, NULL, 0, 12, &l, &err));
    ASSERT_EQ(mr_layout_size(l), (size_t)12);
    mr_layout_destroy(l);
    mr_layout_destroy(NULL);

    /* Declared overlaps: either field of a pair may carry the flag. */
    struct mr_field un[] = {
        { "word", MR_TYPE_U32, MR_ORDER_LE, 0, 0, NULL, 0 },
        { "bytes", MR_TYPE_U8, MR_ORDER_HOST, 0, 4, NULL, MR_FIELD_OVERLAP },
        { "low", MR_TYPE_U16, MR_ORDER_LE, 0, 0, NULL, MR_FIELD_OVERLAP },
        { "next", MR_TYPE_U32, MR_ORDER_LE, 4, 0, NULL, 0 },
    };
    ASSERT_OK(mr_layout_create(NULL, un, MR_TEST_COUNT(un), 0, &l, &err));
    ASSERT_EQ(mr_layout_size(l), (size_t)8);
    ASSERT_FIELD(l, 1, "bytes", MR_TYPE_U8, MR_ORDER_HOST, 0, 4, MR_FIELD_OVERLAP);
    mr_layout_destroy(l);
}

static void test_create_nested(void)
{
    struct mr_field in_fields[] = {
        { "kind", MR_TYPE_U8, MR_ORDER_HOST, 0, 0, NULL, 0 },
        { "val", MR_TYPE_I16, MR_ORDER_BE, 1, 0, NULL, 0 },
    };
    struct mr_layout *inner, *outer;
    struct mr_layout_error err;
    ASSERT_OK(mr_layout_create(NULL, in_fields, 2, 4, &inner, &err));

    struct mr_field out_fields[] = {
        { "id", MR_TYPE_U32, MR_ORDER_LE, 0, 0, NULL, 0 },
        { "one", MR_TYPE_STRUCT, MR_ORDER_BE, 4, 0, inner, 0 },
        { "many", MR_TYPE_STRUCT, MR_ORDER_HOST, 8, 3, inner, 0 },
    };
    ASSERT_OK(mr_layout_create(NULL, out_fields, 3, 0, &outer, &err));
    /* The nested layouts are the outer layout's own copies. */
    mr_layout_destroy(inner);
    ASSERT_EQ(mr_layout_size(outer), (size_t)20);
    ASSERT_FIELD(outer, 1, "one", MR_TYPE_STRUCT, MR_ORDER_HOST, 4, 0, 0);
    ASSERT_FIELD(outer, 2, "many", MR_TYPE_STRUCT, MR_ORDER_HOST, 8, 3, 0);
    const struct mr_layout *n1 = mr_layout_field(outer, 1)->nested;
    const struct mr_layout *n2 = mr_layout_field(outer, 2)->nested;
    ASSERT_TRUE(n1 != NULL && n2 != NULL && n1 != n2);
    ASSERT_EQ(mr_layout_size(n1), (size_t)4);
    ASSERT_FIELD(n2, 1, "val", MR_TYPE_I16, MR_ORDER_BE, 1, 0, 0);
    ASSERT_EQ(mr_layout_find(n2, "val"), (ssize_t)1);
    ASSERT_EQ(mr_field_size(mr_layout_field(outer, 2)), (size_t)12);
    char buf[256];
    ASSERT_STR_EQ(spec_of(outer, buf, sizeof buf),
                  "id:u32le@0 one:{kind:u8@0 val:i16be@1 size=4}@4 "
                  "many:{kind:u8@0 val:i16be@1 size=4}[3]@8 size=20\n");

    /* A copy of a copy: nesting a layout that itself nests. */
    struct mr_field top_fields[] = { { "o", MR_TYPE_STRUCT, MR_ORDER_HOST, 2, 2, outer, 0 } };
    struct mr_layout *top;
    ASSERT_OK(mr_layout_create(NULL, top_fields, 1, 0, &top, &err));
    mr_layout_destroy(outer);
    ASSERT_EQ(mr_layout_size(top), (size_t)42);
    const struct mr_layout *o = mr_layout_field(top, 0)->nested;
    ASSERT_EQ(mr_layout_size(mr_layout_field(o, 2)->nested), (size_t)4);
    mr_layout_destroy(top);
}

/* A chain of levels: level 1 is {x:u8}, level k nests level k - 1. */
static void test_create_depth(void)
{
    struct mr_field leaf = { "x", MR_TYPE_U8, MR_ORDER_HOST, 0, 0, NULL, 0 };
    struct mr_layout *levels[MR_LAYOUT_MAX_DEPTH + 1];
    struct mr_layout_error err;

    ASSERT_OK(mr_layout_create(NULL, &leaf, 1, 0, &levels[0], &err));
    for (int k = 1; k < MR_LAYOUT_MAX_DEPTH; k++) {
        struct mr_field f = { "n", MR_TYPE_STRUCT, MR_ORDER_HOST, 1, 0, levels[k - 1], 0 };
        ASSERT_OK(mr_layout_create(NULL, &f, 1, 0, &levels[k], &err));
        ASSERT_EQ(mr_layout_size(levels[k]), (size_t)(k + 1));
    }
    struct mr_field f = { "n", MR_TYPE_STRUCT, MR_ORDER_HOST, 0, 0,
                          levels[MR_LAYOUT_MAX_DEPTH - 1], 0 };
    struct mr_layout *l = (struct mr_layout *)&err; /* must stay untouched */
    ASSERT_ERR(mr_layout_create(NULL, &f, 1, 0, &l, &err), -EINVAL);
    ASSERT_STR_EQ(err.reason, "nesting too deep");
    ASSERT_EQ(err.pos, (size_t)0);
    ASSERT_PTR_EQ(l, &err);
    for (int k = 0; k < MR_LAYOUT_MAX_DEPTH; k++)
        mr_layout_destroy(levels[k]);
}

struct create_case {
    const char *reason;
    size_t pos;
    size_t size;
    size_t n;
    struct mr_field f[3];
};

#define F(nm, ty, off, cnt) { nm, ty, MR_ORDER_HOST, off, cnt, NULL, 0 }

static void test_create_errors(void)
{
    struct mr_layout *empty, *one, *l;
    struct mr_layout_error err;
    ASSERT_OK(mr_layout_create(NULL, NULL, 0, 0, &empty, &err));
    struct mr_field x = F("x", MR_TYPE_U8, 0, 0);
    ASSERT_OK(mr_layout_create(NULL, &x, 1, 0, &one, &err));
    char long_name[MR_LAYOUT_MAX_NAME + 2];
    memset(long_name, 'n', sizeof long_name - 1);
    long_name[sizeof long_name - 1] = '\0';

    const struct create_case cases[] = {
        { "field has no name", 1, 0, 2, { F("a", MR_TYPE_U8, 0, 0), F(NULL, MR_TYPE_U8, 1, 0) } },
        { "field has no name", 0, 0, 1, { F("", MR_TYPE_U8, 0, 0) } },
        { "field name longer than 63 bytes", 0, 0, 1, { F(long_name, MR_TYPE_U8, 0, 0) } },
        { "field name is not an identifier", 1, 0, 2,
          { F("a", MR_TYPE_U8, 0, 0), F("9b", MR_TYPE_U8, 1, 0) } },
        { "field name is not an identifier", 0, 0, 1, { F("a-b", MR_TYPE_U8, 0, 0) } },
        { "field name is not an identifier", 0, 0, 1, { F("a.b", MR_TYPE_U8, 0, 0) } },
        { "unknown field flags", 0, 0, 1,
          { { "a", MR_TYPE_U8, MR_ORDER_HOST, 0, 0, NULL, 0x2 } } },
        { "unknown type", 0, 0, 1, { F("a", (enum mr_type)12, 0, 0) } },
        { "unknown type", 0, 0, 1, { F("a", (enum mr_type)-1, 0, 0) } },
        { "unknown byte order", 0, 0, 1, { { "a", MR_TYPE_U16, (enum mr_order)3, 0, 0, NULL, 0 } } },
        { "struct field without a nested layout", 0, 0, 1, { F("s", MR_TYPE_STRUCT, 0, 0) } },
        { "nested layout on a non-struct field", 0, 0, 1,
          { { "a", MR_TYPE_U32, MR_ORDER_HOST, 0, 0, one, 0 } } },
        { "nested layout is empty", 0, 0, 1,
          { { "s", MR_TYPE_STRUCT, MR_ORDER_HOST, 0, 0, empty, 0 } } },
        { "field 'a' ends past the size limit", 0, 0, 1, { F("a", MR_TYPE_U16, PTRDIFF_MAX, 0) } },
        { "field 'a' ends past the size limit", 0, 0, 1, { F("a", MR_TYPE_U32, 0, SIZE_MAX / 2) } },
        { "field 'a' ends past the size limit", 0, 0, 1, { F("a", MR_TYPE_U8, SIZE_MAX, 0) } },
        { "field 'b' ends past the layout size", 1, 5, 2,
          { F("a", MR_TYPE_U8, 0, 0), F("b", MR_TYPE_U32, 2, 0) } },
        { "duplicate field name 'a'", 2, 0, 3,
          { F("a", MR_TYPE_U8, 0, 0), F("b", MR_TYPE_U8, 1, 0), F("a", MR_TYPE_U8, 2, 0) } },
        { "field 'b' overlaps field 'a'", 1, 0, 2,
          { F("a", MR_TYPE_U32, 0, 0), F("b", MR_TYPE_U8, 3, 0) } },
        { "field 'b' overlaps field 'a'", 1, 0, 2,
          { F("a", MR_TYPE_U32, 4, 0), F("b", MR_TYPE_U16, 3, 0) } },
        /* A clash hidden behind a field between the two. */
        { "field 'c' overlaps field 'a'", 2, 0, 3,
          { F("a", MR_TYPE_U8, 0, 100), F("b", MR_TYPE_U8, 200, 0), F("c", MR_TYPE_U8, 50, 0) } },
        { "size overflows", 0, (size_t)PTRDIFF_MAX + 1, 0, { F("a", MR_TYPE_U8, 0, 0) } },
    };
    for (size_t i = 0; i < MR_TEST_COUNT(cases); i++) {
        memset(&err, 0, sizeof err);
        l = (struct mr_layout *)&err;
        int rc = mr_layout_create(NULL, cases[i].f, cases[i].n, cases[i].size, &l, &err);
        if (rc != -EINVAL || strcmp(err.reason, cases[i].reason) != 0 || err.pos != cases[i].pos)
            mr_test_fail(__FILE__, __LINE__, "case %zu: got %d \"%s\" at %zu, want \"%s\" at %zu",
                         i, rc, err.reason, err.pos, cases[i].reason, cases[i].pos);
        ASSERT_PTR_EQ(l, &err);
    }

    /* Too many fields. */
    size_t n = MR_LAYOUT_MAX_FIELDS + 1;
    struct mr_field *many = calloc(n, sizeof *many);
    char (*names)[8] = calloc(n, sizeof *names);
    ASSERT_TRUE(many && names);
    for (size_t i = 0; i < n; i++) {
        snprintf(names[i], sizeof names[i], "f%zu", i);
        many[i] = (struct mr_field){ names[i], MR_TYPE_U8, MR_ORDER_HOST, i, 0, NULL, 0 };
    }
    ASSERT_ERR(mr_layout_create(NULL, many, n, 0, &l, &err), -EINVAL);
    ASSERT_STR_EQ(err.reason, "too many fields");
    ASSERT_EQ(err.pos, (size_t)MR_LAYOUT_MAX_FIELDS);
    ASSERT_OK(mr_layout_create(NULL, many, n - 1, 0, &l, &err));
    ASSERT_EQ(mr_layout_size(l), (size_t)MR_LAYOUT_MAX_FIELDS);
    for (size_t i = 0; i < n - 1; i += 97)
        ASSERT_EQ(mr_layout_find(l, names[i]), (ssize_t)i);
    mr_layout_destroy(l);
    free(many);
    free(names);

    /* Bad arguments; err may be NULL. */
    ASSERT_ERR(mr_layout_create(NULL, &x, 1, 0, NULL, &err), -EINVAL);
    ASSERT_STR_EQ(err.reason, "invalid argument");
    ASSERT_ERR(mr_layout_create(NULL, NULL, 1, 0, &l, &err), -EINVAL);
    ASSERT_STR_EQ(err.reason, "invalid argument");
    ASSERT_ERR(mr_layout_create(NULL, cases[0].f, 2, 0, &l, NULL), -EINVAL);

    mr_layout_destroy(empty);
    mr_layout_destroy(one);
}

/* ---- parsed from text ---------------------------------------------------------- */

static void test_parse(void)
{
    static const struct {
        const char *spec, *printed;
    } cases[] = {
        { "magic:u32be len:u16le flags:u8 pad:u8[3] name:char[16]",
          "magic:u32be@0 len:u16le@4 flags:u8@6 pad:u8[3]@7 name:char[16]@10 size=26\n" },
        { "a:u8 b:u16 c:u16le d:u16be e:u32 f:u32le g:u32be h:u64 i:u64le j:u64be",
          "a:u8@0 b:u16@1 c:u16le@3 d:u16be@5 e:u32@7 f:u32le@11 g:u32be@15 h:u64@19 i:u64le@27 "
          "j:u64be@35 size=43\n" },
        { "k:i8 l:i16be m:i32le n:i64 o:f32 p:f32be q:f64le r:char",
          "k:i8@0 l:i16be@1 m:i32le@3 n:i64@7 o:f32@15 p:f32be@19 q:f64le@23 r:char@31 size=32\n" },
        { "word:u32le@0 bytes:u8[4]@0! half:u16be[2]@0! next:u8",
          "word:u32le@0 bytes:u8[4]@0! half:u16be[2]@0! next:u8@4 size=5\n" },
        { "a:u32@0x10 b:u16@0X2 c:u8[0x4]@0x20 size=0x40",
          "a:u32@16 b:u16@2 c:u8[4]@32 size=64\n" },
        { "hdr:{ kind:u8 ver:u8 len:u16be }[2] body:{ x:f32 inner:{ z:i8 }[3] } size=64",
          "hdr:{kind:u8@0 ver:u8@1 len:u16be@2 size=4}[2]@0 "
          "body:{x:f32@0 inner:{z:i8@0 size=1}[3]@4 size=7}@8 size=64\n" },
        { "n:{a:u8 size=4}[3]@1 tail:char[5]", "n:{a:u8@0 size=4}[3]@1 tail:char[5]@13 size=18\n" },
        { "# header\nmagic:u32be  # the magic\n\tlen:u16le\r\n\v\f# end", "magic:u32be@0 len:u16le@4 size=6\n" },
        { "a:u8#comment right after\nb:u8", "a:u8@0 b:u8@1 size=2\n" },
        { "a:{b:u8}#c\n", "a:{b:u8@0 size=1}@0 size=1\n" },
        { "a:u8@8 b:u8@0 c:u8", "a:u8@8 b:u8@0 c:u8@1 size=9\n" },
        { "size:u32 count:u16 size=8", "size:u32@0 count:u16@4 size=8\n" },
        { "size=16", "size=16\n" },
        { "size=0", "size=0\n" },
        { "", "size=0\n" },
        { "  \n\t ", "size=0\n" },
        { "size=8 a:u8", "a:u8@0 size=8\n" },
        { "_x9:u8 X_:u8", "_x9:u8@0 X_:u8@1 size=2\n" },
        { "a:u8[007]@010", "a:u8[7]@10 size=17\n" },
        { "a:u8[0xA]@0XfF", "a:u8[10]@255 size=265\n" },
        { "s:{a:u8 b:u8@3 size=8}! t:u8@0", "s:{a:u8@0 b:u8@3 size=8}@0! t:u8@0 size=8\n" },
        { "a:u8@0x7ffffffffffffffe", "a:u8@9223372036854775806 size=9223372036854775807\n" },
    };
    char buf[512];
    for (size_t i = 0; i < MR_TEST_COUNT(cases); i++) {
        struct mr_layout *l = parse_ok(cases[i].spec);
        const char *got = spec_of(l, buf, sizeof buf);
        if (strcmp(got, cases[i].printed) != 0)
            mr_test_fail(__FILE__, __LINE__, "spec \"%s\"\n    printed:  \"%s\"\n    expected: \"%s\"",
                         cases[i].spec, got, cases[i].printed);
        /* What is printed parses back to what prints the same. */
        struct mr_layout *again = parse_ok(got);
        char buf2[512];
        ASSERT_STR_EQ(spec_of(again, buf2, sizeof buf2), got);
        mr_layout_destroy(again);
        mr_layout_destroy(l);
    }

    /* The text need not be NUL-terminated: only len bytes are read. */
    struct mr_layout *l;
    ASSERT_OK(mr_layout_parse(NULL, "a:u16be b:u8 garbage", 12, &l, NULL));
    ASSERT_STR_EQ(spec_of(l, buf, sizeof buf), "a:u16be@0 b:u8@2 size=3\n");
    mr_layout_destroy(l);
    ASSERT_OK(mr_layout_parse(NULL, NULL, 0, &l, NULL));
    ASSERT_EQ(mr_layout_size(l), (size_t)0);
    mr_layout_destroy(l);

    /* Nested fields and queries on them. */
    l = parse_ok("h:{k:u8 v:i16be}[2] z:f64");
    const struct mr_field *h = mr_layout_field(l, 0);
    ASSERT_EQ((int)h->type, (int)MR_TYPE_STRUCT);
    ASSERT_EQ(mr_layout_size(h->nested), (size_t)3);
    ASSERT_FIELD(h->nested, 1, "v", MR_TYPE_I16, MR_ORDER_BE, 1, 0, 0);
    ASSERT_FIELD(l, 1, "z", MR_TYPE_F64, MR_ORDER_HOST, 6, 0, 0);
    mr_layout_destroy(l);
}

struct parse_case {
    const char *spec;
    size_t pos;
    const char *reason;
};

static void check_parse_error(const char *spec, size_t len, size_t pos, const char *reason, int line)
{
    struct mr_layout *l = (struct mr_layout *)&l;
    struct mr_layout_error err;
    memset(&err, 0, sizeof err);
    int rc = mr_layout_parse(NULL, spec, len, &l, &err);
    if (rc != -EINVAL || err.pos != pos || strcmp(err.reason, reason) != 0)
        mr_test_fail(__FILE__, line, "spec \"%.*s\"\n    got:  %d, %zu, \"%s\"\n    want: -22, %zu, \"%s\"",
                     (int)len, spec, rc, err.pos, err.reason, pos, reason);
    if (l != (struct mr_layout *)&l)
        mr_test_fail(__FILE__, line, "*out changed on failure");
}

static void test_parse_errors(void)
{
    static const struct parse_case cases[] = {
        /* names */
        { "1a:u8", 0, "expected field name" },
        { ":u8", 0, "expected field name" },
        { "a:u8 ,b:u8", 5, "expected field name" },
        { "a:u8 -", 5, "expected field name" },
        { "magic u32", 5, "expected ':' after field name" },
        { "a", 1, "expected ':' after field name" },
        { "a=u8", 1, "expected ':' after field name" },
        { "size =4", 4, "expected ':' after field name" },
        /* types */
        { "a:", 2, "expected type after ':'" },
        { "a: u8", 2, "expected type after ':'" },
        { "a:[3]", 2, "expected type after ':'" },
        { "x:u24", 2, "unknown type 'u24'" },
        { "x:U32", 2, "unknown type 'U32'" },
        { "x:u16xe", 2, "unknown type 'u16xe'" },
        { "x:u32lebe", 2, "unknown type 'u32lebe'" },
        { "a:u8 b:int", 7, "unknown type 'int'" },
        { "x:u8b:u8", 2, "unknown type 'u8b'" },
        { "x:abcdefghijabcdefghijabcdefghijabcdefghij", 2,
          "unknown type 'abcdefghijabcdefghijabcdefghijab...'" },
        { "x:u8le", 2, "type 'u8' takes no byte order" },
        { "x:i8be", 2, "type 'i8' takes no byte order" },
        { "x:charle", 2, "type 'char' takes no byte order" },
        /* array counts */
        { "x:u8[", 5, "expected array count" },
        { "x:u8[]", 5, "expected array count" },
        { "x:u8[-1]", 5, "expected array count" },
        { "x:u8[ 4]", 5, "expected array count" },
        { "x:u8[99999999999999999999]", 5, "array count overflows" },
        { "x:u8[0x8000000000000000]", 5, "array count overflows" },
        { "x:u8[0]", 5, "array count is zero" },
        { "x:u8[0x0]", 5, "array count is zero" },
        { "x:u8[4", 6, "expected ']' after array count" },
        { "x:u8[4}", 6, "expected ']' after array count" },
        { "x:u8[4 ]", 6, "expected ']' after array count" },
        { "x:u8[0xg]", 7, "expected hex digits after '0x'" },
        /* offsets */
        { "x:u8@", 5, "expected offset after '@'" },
        { "x:u8@x", 5, "expected offset after '@'" },
        { "x:u8@-1", 5, "expected offset after '@'" },
        { "x:u8@0x", 7, "expected hex digits after '0x'" },
        { "x:u8@0x8000000000000000", 5, "offset overflows" },
        { "x:u8@9223372036854775808", 5, "offset overflows" },
        /* what may follow a field */
        { "x:u8,y:u8", 4, "unexpected character after field" },
        { "x:u8!!", 5, "unexpected character after field" },
        { "x:u8[2]@1[3]", 9, "unexpected character after field" },
        { "x:u8@1!@2", 7, "unexpected character after field" },
        { "x:{a:u8}y:u8", 8, "unexpected character after field" },
        { "x:u16be:", 7, "unexpected character after field" },
        /* size directives */
        { "size=", 5, "expected size after 'size='" },
        { "size=x", 5, "expected size after 'size='" },
        { "size=0x8000000000000000", 5, "size overflows" },
        { "size=4 size=4", 7, "duplicate size directive" },
        { "a:{size=1 size=2}", 10, "duplicate size directive" },
        { "size=4x", 6, "unexpected character after size" },
        /* braces */
        { "a:u8 }", 5, "unexpected '}'" },
        { "}", 0, "unexpected '}'" },
        { "a:{b:u8}}", 8, "unexpected '}'" },
        { "a:{ b:u8", 2, "unterminated '{'" },
        { "a:{b:{c:u8}", 2, "unterminated '{'" },
        { "x:u8 a:{", 7, "unterminated '{'" },
        { "a:{}", 2, "nested layout is empty" },
        { "a:{ size=0 }", 2, "nested layout is empty" },
        { "a:{ # nothing\n }[4]", 2, "nested layout is empty" },
        /* semantic checks, at the field they concern */
        { "x:u32 y:u16@2", 6, "field 'y' overlaps field 'x'" },
        { "x:u32@2 y:u16@1", 8, "field 'y' overlaps field 'x'" },
        { "a:u8[4] b:u8[4]@8 c:u8[20]@2", 18, "field 'c' overlaps field 'a'" },
        { "a:u8[100] b:u8@200 c:u8@50", 19, "field 'c' overlaps field 'a'" },
        { "a:u64@0 b:u8@0! c:u32", 16, "field 'c' overlaps field 'a'" },
        { "s:{a:u8 b:u8@0}", 8, "field 'b' overlaps field 'a'" },
        { "x:u8 y:u8 x:u16", 10, "duplicate field name 'x'" },
        { "a:u8 b:u8 b:u8 a:u8", 10, "duplicate field name 'b'" },
        { "a:{x:u8 x:u8}", 8, "duplicate field name 'x'" },
        { "x:u32 size=3", 0, "field 'x' ends past the layout size" },
        { "a:u8 s:{x:u8 y:u16 size=2}", 13, "field 'y' ends past the layout size" },
        { "a:u64[0x1000000000000000]", 0, "field 'a' ends past the size limit" },
        { "a:u8@0x7fffffffffffffff", 0, "field 'a' ends past the size limit" },
        { "a:u8[0x7fffffffffffffff] b:u8", 25, "field 'b' ends past the size limit" },
        { "s:{a:u8[0x4000000000000000]}[2]", 0, "field 's' ends past the size limit" },
    };
    for (size_t i = 0; i < MR_TEST_COUNT(cases); i++)
        check_parse_error(cases[i].spec, strlen(cases[i].spec), cases[i].pos, cases[i].reason,
                          __LINE__);

    /* A NUL byte is a character like any other. */
    check_parse_error("a:u8 \0b:u8", 10, 5, "expected field name", __LINE__);
    check_parse_error("a:u8\0", 5, 4, "unexpected character after field", __LINE__);
    check_parse_error("a:u\0" "8", 5, 2, "unknown type 'u'", __LINE__);
    /* The end of the text is where len says, not at a NUL. */
    check_parse_error("a:u8[4]", 6, 6, "expected ']' after array count", __LINE__);
    check_parse_error("abc:u8", 3, 3, "expected ':' after field name", __LINE__);

    /* Names: 63 bytes fit, 64 do not. */
    char spec[200];
    memset(spec, 'n', MR_LAYOUT_MAX_NAME);
    strcpy(spec + MR_LAYOUT_MAX_NAME, ":u8");
    mr_layout_destroy(parse_ok(spec));
    memset(spec, 'n', MR_LAYOUT_MAX_NAME + 1);
    strcpy(spec + MR_LAYOUT_MAX_NAME + 1, ":u8");
    check_parse_error(spec, strlen(spec), 0, "field name longer than 63 bytes", __LINE__);
    snprintf(spec, sizeof spec, "a:u8 %0*d", MR_LAYOUT_MAX_NAME + 1, 0);
    spec[5] = 'x';
    check_parse_error(spec, strlen(spec), 5, "field name longer than 63 bytes", __LINE__);

    /* Bad arguments; err may be NULL. */
    struct mr_layout *l;
    struct mr_layout_error err;
    ASSERT_ERR(mr_layout_parse(NULL, "a:u8", 4, NULL, &err), -EINVAL);
    ASSERT_STR_EQ(err.reason, "invalid argument");
    ASSERT_ERR(mr_layout_parse(NULL, NULL, 4, &l, &err), -EINVAL);
    ASSERT_STR_EQ(err.reason, "invalid argument");
    ASSERT_ERR(mr_layout_parse(NULL, "a:", 2, &l, NULL), -EINVAL);
}

/* The limits on nesting and fields, at and one past them. */
static void test_parse_limits(void)
{
    char spec[256];
    size_t k = 0;
    /* MR_LAYOUT_MAX_DEPTH levels: the outermost and 15 nested ones. */
    for (int d = 1; d < MR_LAYOUT_MAX_DEPTH; d++)
        k += (size_t)snprintf(spec + k, sizeof spec - k, "n:{");
    k += (size_t)snprintf(spec + k, sizeof spec - k, "x:u8");
    for (int d = 1; d < MR_LAYOUT_MAX_DEPTH; d++)
        k += (size_t)snprintf(spec + k, sizeof spec - k, "}");
    struct mr_layout *l = parse_ok(spec);
    ASSERT_EQ(mr_layout_size(l), (size_t)1);
    mr_layout_destroy(l);

    k = 0;
    for (int d = 1; d <= MR_LAYOUT_MAX_DEPTH; d++)
        k += (size_t)snprintf(spec + k, sizeof spec - k, "n:{");
    k += (size_t)snprintf(spec + k, sizeof spec - k, "x:u8");
    for (int d = 1; d <= MR_LAYOUT_MAX_DEPTH; d++)
        k += (size_t)snprintf(spec + k, sizeof spec - k, "}");
    /* The 16th '{' would open level 17. */
    check_parse_error(spec, k, 3 * (MR_LAYOUT_MAX_DEPTH - 1) + 2, "nesting too deep", __LINE__);
    /* Far deeper text is refused at the same point, without recursing. */
    char *deep = malloc(300000);
    ASSERT_TRUE(deep != NULL);
    for (size_t i = 0; i < 100000; i++)
        memcpy(deep + 3 * i, "n:{", 3);
    check_parse_error(deep, 300000, 3 * (MR_LAYOUT_MAX_DEPTH - 1) + 2, "nesting too deep", __LINE__);
    free(deep);

    /* MR_LAYOUT_MAX_FIELDS fields in one level; the next is refused where it
     * starts. Nested levels have their own count. */
    size_t cap = (MR_LAYOUT_MAX_FIELDS + 2) * 12, len = 0, last = 0;
    char *many = malloc(cap);
    ASSERT_TRUE(many != NULL);
    for (int i = 0; i < MR_LAYOUT_MAX_FIELDS; i++)
        len += (size_t)snprintf(many + len, cap - len, "f%d:u8 ", i);
    l = parse_ok(many);
    ASSERT_EQ(mr_layout_field_count(l), (size_t)MR_LAYOUT_MAX_FIELDS);
    ASSERT_EQ(mr_layout_find(l, "f4095"), (ssize_t)4095);
    ASSERT_EQ(mr_layout_find(l, "f1234"), (ssize_t)1234);
    mr_layout_destroy(l);
    last = len;
    len += (size_t)snprintf(many + len, cap - len, "g:u8");
    check_parse_error(many, len, last, "too many fields", __LINE__);
    /* size directives are not fields. */
    many[last] = '\0';
    len = last + (size_t)snprintf(many + last, cap - last, "size=5000");
    l = parse_ok(many);
    mr_layout_destroy(l);
    free(many);
}

/* ---- printing as a spec ---------------------------------------------------------- */

static void test_print(void)
{
    struct mr_layout *l = parse_ok("a:u32be b:{c:u8 d:f64le}[2]@8! e:char[3]");
    char buf[256];
    ASSERT_STR_EQ(spec_of(l, buf, sizeof buf),
                  "a:u32be@0 b:{c:u8@0 d:f64le@1 size=9}[2]@8! e:char[3]@26 size=29\n");

    /* A stream that fails reports -EIO. */
    FILE *full = fopen("/dev/full", "w");
    if (full != NULL) {
        ASSERT_ERR(mr_layout_print(l, full), -EIO);
        fclose(full);
    }
    mr_layout_destroy(l);
}

/* ---- out of memory ---------------------------------------------------------------- */

static const char big_spec[] =
    "magic:u32be len:u16le "
    "hdr:{ kind:u8 ver:u8 flags:{ a:u8 b:u8 }[2] }[3] "
    "f0:u8 f1:u8 f2:u8 f3:u8 f4:u8 f5:u8 f6:u8 f7:u8 f8:u8 f9:u8 "
    "g0:u8 g1:u8 g2:u8 g3:u8 g4:u8 g5:u8 g6:u8 g7:u8 g8:u8 g9:u8 "
    "tail:{ x:f32 y:f32 }";

static int parse_scenario(struct mr_allocator *a)
{
    struct mr_layout *l;
    struct mr_layout_error err;
    int rc = mr_layout_parse(a, big_spec, strlen(big_spec), &l, &err);
    if (rc == -ENOMEM) {
        ASSERT_STR_EQ(err.reason, "out of memory");
        return rc;
    }
    ASSERT_OK(rc);
    ASSERT_EQ(mr_layout_field_count(l), (size_t)24);
    mr_layout_destroy(l);
    return 0;
}

/* Nested layouts are built, then the outer level is refused: the built ones
 * must be freed on every path. */
static int parse_fails_late_scenario(struct mr_allocator *a)
{
    static const char spec[] = "a:{x:u8 y:{z:u8}} b:{w:u8}[2] a:u8";
    struct mr_layout *l;
    struct mr_layout_error err;
    int rc = mr_layout_parse(a, spec, strlen(spec), &l, &err);
    if (rc == -EINVAL)
        ASSERT_STR_EQ(err.reason, "duplicate field name 'a'");
    return rc;
}

static int create_scenario(struct mr_allocator *a)
{
    struct mr_layout *inner, *l;
    struct mr_layout_error err;
    int rc;
    /* The nested layout comes from the heap; its copies come from a. */
    ASSERT_OK(mr_layout_parse(NULL, "k:u8 v:{p:u8 q:u8}[2]", 21, &inner, &err));
    struct mr_field fields[] = {
        { "one", MR_TYPE_STRUCT, MR_ORDER_HOST, 0, 0, inner, 0 },
        { "two", MR_TYPE_STRUCT, MR_ORDER_HOST, 5, 2, inner, 0 },
        { "n", MR_TYPE_U64, MR_ORDER_BE, 15, 0, NULL, 0 },
    };
    rc = mr_layout_create(a, fields, MR_TEST_COUNT(fields), 0, &l, &err);
    mr_layout_destroy(inner);
    if (rc == -ENOMEM) {
        ASSERT_STR_EQ(err.reason, "out of memory");
        return rc;
    }
    ASSERT_OK(rc);
    ASSERT_EQ(mr_layout_size(l), (size_t)23);
    mr_layout_destroy(l);
    return 0;
}

static void test_oom(void)
{
    /* parse: per level a field array and the layout's block, and the top
     * level's array grows twice (8 -> 16 -> 32 fields); create: the copy of
     * the fields, the block, and a clone per nested layout. */
    mr_test_oom_walk("parse", parse_scenario, 0, 10, 10000);
    mr_test_oom_walk("parse fails late", parse_fails_late_scenario, -EINVAL, 6, 10000);
    mr_test_oom_walk("create", create_scenario, 0, 6, 10000);
}

int main(void)
{
    test_create();
    test_create_nested();
    test_create_depth();
    test_create_errors();
    test_parse();
    test_parse_errors();
    test_parse_limits();
    test_print();
    test_oom();
    return 0;
}
