/* SPDX-License-Identifier: MIT */
/* test/test_object.c: objects, a layout over a region: init, get and set by
 * path and by field index, strings, fields as arrays and nested objects,
 * read-only regions, and printing as "name = value" lines and as JSON
 * (compared with exact text, and the JSON also checked by python3's parser
 * when python3 is there, all documents in one run). */
#include "helpers.h"

#include <math.h>
#include <sys/wait.h>

static struct mr_layout *parse_ok(const char *spec)
{
    struct mr_layout *l = NULL;
    struct mr_layout_error err = { 0, "" };
    if (mr_layout_parse(NULL, spec, strlen(spec), &l, &err) != 0)
        mr_test_fail(__FILE__, __LINE__, "parsing \"%s\": %s at %zu", spec, err.reason, err.pos);
    return l;
}

/* What print or print_json writes, as a string in buf. */
static const char *printed(const struct mr_object *o, bool json, char *buf, size_t size)
{
    /* fmemopen writes no NUL when nothing was written. */
    memset(buf, 0, size);
    FILE *f = fmemopen(buf, size, "w");
    ASSERT_TRUE(f != NULL);
    ASSERT_OK(json ? mr_object_print_json(o, f) : mr_object_print(o, f));
    ASSERT_EQ(fclose(f), 0);
    return buf;
}

/* JSON documents printed by the tests, checked at the end by one python3
 * run (starting python3 costs more than all the rest of this test). */
static char *json_docs[8];
static size_t json_count;

static void check_json_valid(const char *text)
{
    ASSERT_LT(json_count, MR_TEST_COUNT(json_docs));
    ASSERT_TRUE((json_docs[json_count++] = strdup(text)) != NULL);
}

/* python3's json module reads each document, one per line, and a broken one
 * last, which it must refuse. Skipped, with a note, without python3. */
static void validate_json_docs(void)
{
    static const char broken[] = "{\"a\": 1,}\n";
    char path[128], cmd[512], verdicts[16] = "";
    mr_test_tmp_path(path, sizeof path, "json");
    FILE *f = fopen(path, "w");
    ASSERT_TRUE(f != NULL);
    for (size_t i = 0; i < json_count; i++)
        fputs(json_docs[i], f);
    fputs(broken, f);
    ASSERT_EQ(fclose(f), 0);
    snprintf(cmd, sizeof cmd,
             "python3 -c 'import json, sys\n"
             "for line in open(sys.argv[1]):\n"
             "    try:\n"
             "        json.loads(line); print(1, end=\"\")\n"
             "    except ValueError:\n"
             "        print(0, end=\"\")\n' %s 2>/dev/null",
             path);
    FILE *p = popen(cmd, "r");
    size_t n = p ? fread(verdicts, 1, sizeof verdicts - 1, p) : 0;
    int st = p ? pclose(p) : -1;
    remove(path);
    if (n == 0 && (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) == 127)) {
        mr_test_skip_case("validate_json_docs", "python3 not found: JSON not validated (install python3)");
    } else {
        char want[16] = "";
        memset(want, '1', json_count);
        want[json_count] = '0';
        if (strcmp(verdicts, want) != 0)
            mr_test_fail(__FILE__, __LINE__, "python3's verdicts on the JSON: %s, want %s",
                         verdicts, want);
    }
    for (size_t i = 0; i < json_count; i++)
        free(json_docs[i]);
}

static const char spec[] = "magic:u32be len:u16le flags:u8 pad:u8[3] name:char[8] temp:f32le "
                           "ratio:f64be delta:i16be hdr:{kind:u8 ver:i8} items:{x:u16le y:i8}[2] c:char";
enum { SIZE = 41 };

#define U(x) ((union mr_value){ .u = (x) })
#define I(x) ((union mr_value){ .i = (x) })
#define D(x) ((union mr_value){ .f = (x) })

/* ---- init ---------------------------------------------------------------------- */

static void test_init(void)
{
    struct mr_layout *l = parse_ok(spec);
    unsigned char buf[100];
    struct mr_object o, keep;

    ASSERT_EQ(mr_layout_size(l), (size_t)SIZE);
    memset(&o, 0x5c, sizeof o);
    keep = o;
    ASSERT_ERR(mr_object_init(&o, l, mr_region_make(buf, SIZE - 1)), -ERANGE);
    ASSERT_ERR(mr_object_init(&o, l, mr_region_make(NULL, 0)), -ERANGE);
    ASSERT_MEM_EQ(&o, &keep, sizeof o);
    ASSERT_OK(mr_object_init(&o, l, MR_REGION_OF_ARRAY(buf)));
    ASSERT_PTR_EQ(o.layout, l);
    ASSERT_PTR_EQ(o.region.ptr, buf);
    ASSERT_EQ(o.region.len, (size_t)SIZE); /* trimmed to the layout */
    ASSERT_OK(mr_object_init(&o, l, mr_region_make_ro(buf, SIZE)));
    ASSERT_TRUE(mr_region_is_ro(o.region));
    mr_layout_destroy(l);

    /* An empty layout fits anywhere, even an empty region. */
    l = parse_ok("");
    ASSERT_OK(mr_object_init(&o, l, mr_region_make(NULL, 0)));
    char out[16];
    ASSERT_STR_EQ(printed(&o, false, out, sizeof out), "");
    ASSERT_STR_EQ(printed(&o, true, out, sizeof out), "{}\n");
    mr_layout_destroy(l);
}

/* ---- get and set by path ----------------------------------------------------------- */

static void fill(const struct mr_object *o)
{
    ASSERT_OK(mr_object_set(o, "magic", U(0xcafebabe)));
    ASSERT_OK(mr_object_set(o, "len", U(513)));
    ASSERT_OK(mr_object_set(o, "flags", U(255)));
    ASSERT_OK(mr_object_set(o, "pad[0]", U(1)));
    ASSERT_OK(mr_object_set(o, "pad[1]", U(2)));
    ASSERT_OK(mr_object_set(o, "pad[2]", U(3)));
    ASSERT_OK(mr_object_set_str(o, "name", "hi"));
    ASSERT_OK(mr_object_set(o, "temp", D(1.5)));
    ASSERT_OK(mr_object_set(o, "ratio", D(-0.25)));
    ASSERT_OK(mr_object_set(o, "delta", I(-300)));
    ASSERT_OK(mr_object_set(o, "hdr.kind", U(7)));
    ASSERT_OK(mr_object_set(o, "hdr.ver", I(-1)));
    ASSERT_OK(mr_object_set(o, "items[1].x", U(65535)));
    ASSERT_OK(mr_object_set(o, "items[0].y", I(-128)));
    ASSERT_OK(mr_object_set(o, "c", U('Q')));
}

static void test_get_set(void)
{
    struct mr_layout *l = parse_ok(spec);
    unsigned char buf[SIZE];
    struct mr_object o;
    union mr_value v;

    memset(buf, 0, sizeof buf);
    ASSERT_OK(mr_object_init(&o, l, MR_REGION_OF_ARRAY(buf)));
    fill(&o);

    /* The bytes are where and how the layout says. */
    static const unsigned char want[SIZE] = {
        0xca, 0xfe, 0xba, 0xbe,         /* magic, big-endian */
        0x01, 0x02,                     /* len 513, little-endian */
        0xff,                           /* flags */
        1, 2, 3,                        /* pad */
        'h', 'i', 0, 0, 0, 0, 0, 0,     /* name */
        0x00, 0x00, 0xc0, 0x3f,         /* temp 1.5f, little-endian */
        0xbf, 0xd0, 0, 0, 0, 0, 0, 0,   /* ratio -0.25, big-endian */
        0xfe, 0xd4,                     /* delta -300, big-endian */
        7, 0xff,                        /* hdr */
        0, 0, 0x80, 0xff, 0xff, 0,      /* items */
        'Q',
    };
    ASSERT_MEM_EQ(buf, want, SIZE);

    ASSERT_OK(mr_object_get(&o, "magic", &v));
    ASSERT_EQ(v.u, (uint64_t)0xcafebabe);
    ASSERT_OK(mr_object_get(&o, "len", &v));
    ASSERT_EQ(v.u, (uint64_t)513);
    ASSERT_OK(mr_object_get(&o, "pad[2]", &v));
    ASSERT_EQ(v.u, (uint64_t)3);
    ASSERT_OK(mr_object_get(&o, "name[1]", &v));
    ASSERT_EQ(v.u, (uint64_t)'i');
    ASSERT_OK(mr_object_get(&o, "temp", &v));
    ASSERT_FEQ(v.f, 1.5);
    ASSERT_OK(mr_object_get(&o, "ratio", &v));
    ASSERT_FEQ(v.f, -0.25);
    ASSERT_OK(mr_object_get(&o, "delta", &v));
    ASSERT_EQ(v.i, (int64_t)-300);
    ASSERT_OK(mr_object_get(&o, "hdr.ver", &v));
    ASSERT_EQ(v.i, (int64_t)-1);
    ASSERT_OK(mr_object_get(&o, "items[1].x", &v));
    ASSERT_EQ(v.u, (uint64_t)65535);
    ASSERT_OK(mr_object_get(&o, "items[0].y", &v));
    ASSERT_EQ(v.i, (int64_t)-128);
    ASSERT_OK(mr_object_get(&o, "pad[002]", &v));
    ASSERT_EQ(v.u, (uint64_t)3);

    /* Values that do not fit are refused, nothing written. */
    ASSERT_ERR(mr_object_set(&o, "flags", U(256)), -EOVERFLOW);
    ASSERT_ERR(mr_object_set(&o, "delta", I(40000)), -EOVERFLOW);
    ASSERT_ERR(mr_object_set(&o, "items[0].y", I(128)), -EOVERFLOW);
    ASSERT_ERR(mr_object_set(&o, "temp", D(1e300)), -EOVERFLOW);
    ASSERT_ERR(mr_object_set(&o, "c", U(300)), -EOVERFLOW);
    ASSERT_MEM_EQ(buf, want, SIZE);

    /* Path errors. */
    static const struct {
        const char *path;
        int rc;
    } bad[] = {
        { "nope", -ENOENT },
        { "hdr.nope", -ENOENT },
        { "items[0].z", -ENOENT },
        { "Magic", -ENOENT },
        { "mag", -ENOENT },
        { "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", -ENOENT },
        { "pad[3]", -ERANGE },
        { "items[2].x", -ERANGE },
        { "items[99999999999999999999999999].x", -ERANGE },
        { "hdr", -EINVAL },       /* a struct */
        { "items", -EINVAL },     /* an array */
        { "pad", -EINVAL },
        { "items[0]", -EINVAL },  /* a struct */
        { "items.x", -EINVAL },   /* '.' after a whole array */
        { "magic[0]", -EINVAL },  /* index on a scalar */
        { "hdr[0].kind", -EINVAL },
        { "magic.x", -EINVAL },   /* '.' after a non-struct */
        { "pad[1", -EINVAL },
        { "pad[]", -EINVAL },
        { "pad[x]", -EINVAL },
        { "pad[-1]", -EINVAL },
        { "pad[ 1]", -EINVAL },
        { "pad[1]x", -EINVAL },
        { "pad[1][0]", -EINVAL },
        { "", -EINVAL },
        { ".magic", -EINVAL },
        { "hdr.", -EINVAL },
        { "hdr..kind", -EINVAL },
        { "items[0].", -EINVAL },
        { "magic ", -EINVAL },
        { "9", -EINVAL },
        { NULL, -EINVAL },
    };
    for (size_t i = 0; i < MR_TEST_COUNT(bad); i++) {
        v.u = 0x5c5c;
        int rc = mr_object_get(&o, bad[i].path, &v);
        if (rc != bad[i].rc)
            mr_test_fail(__FILE__, __LINE__, "get \"%s\": %d, want %d", bad[i].path ? bad[i].path : "(null)",
                         rc, bad[i].rc);
        ASSERT_EQ(v.u, (uint64_t)0x5c5c);
        rc = mr_object_set(&o, bad[i].path, U(1));
        if (rc != bad[i].rc)
            mr_test_fail(__FILE__, __LINE__, "set \"%s\": %d, want %d", bad[i].path ? bad[i].path : "(null)",
                         rc, bad[i].rc);
    }
    ASSERT_MEM_EQ(buf, want, SIZE);

    /* Read-only: every write refuses, reads work. */
    struct mr_object ro;
    ASSERT_OK(mr_object_init(&ro, l, mr_region_make_ro(buf, sizeof buf)));
    ASSERT_ERR(mr_object_set(&ro, "magic", U(1)), -EACCES);
    ASSERT_ERR(mr_object_set(&ro, "flags", U(999)), -EACCES);
    ASSERT_ERR(mr_object_set_at(&ro, 0, 0, U(1)), -EACCES);
    ASSERT_ERR(mr_object_set_str(&ro, "name", "x"), -EACCES);
    ASSERT_OK(mr_object_get(&ro, "magic", &v));
    ASSERT_EQ(v.u, (uint64_t)0xcafebabe);
    struct mr_array a;
    ASSERT_OK(mr_object_field(&ro, 1, &a));
    ASSERT_ERR(mr_array_set_u64(&a, 0, 1), -EACCES);
    ASSERT_MEM_EQ(buf, want, SIZE);
    mr_layout_destroy(l);
}

/* ---- by field index ------------------------------------------------------------------ */

static void test_by_index(void)
{
    struct mr_layout *l = parse_ok(spec);
    unsigned char buf[SIZE] = { 0 };
    struct mr_object o;
    union mr_value v;

    ASSERT_OK(mr_object_init(&o, l, MR_REGION_OF_ARRAY(buf)));
    fill(&o);
    ASSERT_OK(mr_object_get_at(&o, 0, 0, &v));
    ASSERT_EQ(v.u, (uint64_t)0xcafebabe);
    ASSERT_OK(mr_object_get_at(&o, 3, 2, &v));
    ASSERT_EQ(v.u, (uint64_t)3);
    ASSERT_OK(mr_object_set_at(&o, 3, 1, U(20)));
    ASSERT_EQ(buf[8], 20);
    ASSERT_OK(mr_object_set_at(&o, 7, 0, I(-2)));
    ASSERT_OK(mr_object_get(&o, "delta", &v));
    ASSERT_EQ(v.i, (int64_t)-2);
    ASSERT_OK(mr_object_get_at(&o, 10, 0, &v));
    ASSERT_EQ(v.u, (uint64_t)'Q');

    v.u = 77;
    ASSERT_ERR(mr_object_get_at(&o, 3, 3, &v), -ERANGE);
    ASSERT_ERR(mr_object_get_at(&o, 0, 1, &v), -ERANGE);
    ASSERT_ERR(mr_object_get_at(&o, 11, 0, &v), -ERANGE);
    ASSERT_ERR(mr_object_get_at(&o, SIZE_MAX, 0, &v), -ERANGE);
    ASSERT_ERR(mr_object_get_at(&o, 8, 0, &v), -EINVAL); /* hdr, a struct */
    ASSERT_EQ(v.u, (uint64_t)77);
    ASSERT_ERR(mr_object_set_at(&o, 3, 3, U(1)), -ERANGE);
    ASSERT_ERR(mr_object_set_at(&o, 9, 0, U(1)), -EINVAL);
    ASSERT_ERR(mr_object_set_at(&o, 2, 0, U(256)), -EOVERFLOW);

    /* Fields as typed arrays. */
    struct mr_array a;
    uint8_t pad[3];
    ASSERT_OK(mr_object_field(&o, 3, &a));
    ASSERT_EQ(mr_array_count(&a), (size_t)3);
    ASSERT_EQ(mr_array_copy_out(&a, 0, pad, 3), 3);
    ASSERT_EQ(pad[1], 20);
    ASSERT_OK(mr_object_field(&o, 0, &a));
    ASSERT_EQ(mr_array_count(&a), (size_t)1);
    ASSERT_EQ((int)a.order, (int)MR_ORDER_BE);
    ASSERT_OK(mr_array_set_u64(&a, 0, 0x01020304));
    ASSERT_MEM_EQ(buf, "\x01\x02\x03\x04", 4);
    ASSERT_ERR(mr_object_field(&o, 8, &a), -EINVAL);
    ASSERT_ERR(mr_object_field(&o, 11, &a), -ERANGE);

    /* Struct fields as objects. */
    struct mr_object sub;
    ASSERT_OK(mr_object_nested(&o, 9, 1, &sub));
    ASSERT_PTR_EQ(sub.layout, mr_layout_field(l, 9)->nested);
    ASSERT_PTR_EQ(sub.region.ptr, buf + 37);
    ASSERT_EQ(sub.region.len, (size_t)3);
    ASSERT_OK(mr_object_get(&sub, "x", &v));
    ASSERT_EQ(v.u, (uint64_t)65535);
    ASSERT_OK(mr_object_nested(&o, 8, 0, &sub));
    ASSERT_OK(mr_object_get(&sub, "kind", &v));
    ASSERT_EQ(v.u, (uint64_t)7);
    ASSERT_ERR(mr_object_nested(&o, 8, 1, &sub), -ERANGE);
    ASSERT_ERR(mr_object_nested(&o, 9, 2, &sub), -ERANGE);
    ASSERT_ERR(mr_object_nested(&o, 0, 0, &sub), -EINVAL);
    ASSERT_ERR(mr_object_nested(&o, 11, 0, &sub), -ERANGE);
    mr_layout_destroy(l);
}

/* ---- strings -------------------------------------------------------------------------- */

static void test_strings(void)
{
    struct mr_layout *l = parse_ok(spec);
    unsigned char buf[SIZE];
    struct mr_object o;
    char s[16];

    memset(buf, 0xee, sizeof buf);
    ASSERT_OK(mr_object_init(&o, l, MR_REGION_OF_ARRAY(buf)));
    ASSERT_OK(mr_object_set_str(&o, "name", "hello"));
    ASSERT_MEM_EQ(buf + 10, "hello\0\0\0", 8); /* NUL-padded */
    ASSERT_EQ(buf[9], 0xee);
    ASSERT_EQ(buf[18], 0xee);
    ASSERT_EQ(mr_object_get_str(&o, "name", s, sizeof s), 5);
    ASSERT_STR_EQ(s, "hello");
    /* Exactly the field's length: no NUL. */
    ASSERT_OK(mr_object_set_str(&o, "name", "12345678"));
    ASSERT_MEM_EQ(buf + 10, "12345678", 8);
    ASSERT_EQ(buf[18], 0xee);
    ASSERT_EQ(mr_object_get_str(&o, "name", s, sizeof s), 8);
    ASSERT_STR_EQ(s, "12345678");
    /* dst must hold the text and a NUL. */
    strcpy(s, "untouched");
    ASSERT_ERR(mr_object_get_str(&o, "name", s, 8), -EOVERFLOW);
    ASSERT_STR_EQ(s, "untouched");
    ASSERT_EQ(mr_object_get_str(&o, "name", s, 9), 8);
    ASSERT_ERR(mr_object_set_str(&o, "name", "123456789"), -EOVERFLOW);
    ASSERT_MEM_EQ(buf + 10, "12345678", 8);
    ASSERT_OK(mr_object_set_str(&o, "name", ""));
    ASSERT_MEM_EQ(buf + 10, "\0\0\0\0\0\0\0\0", 8);
    ASSERT_EQ(mr_object_get_str(&o, "name", s, 1), 0);
    ASSERT_STR_EQ(s, "");

    /* A char scalar and an element are one-byte strings. */
    ASSERT_OK(mr_object_set_str(&o, "c", "Z"));
    ASSERT_EQ(buf[40], 'Z');
    ASSERT_ERR(mr_object_set_str(&o, "c", "ZZ"), -EOVERFLOW);
    ASSERT_EQ(mr_object_get_str(&o, "c", s, sizeof s), 1);
    ASSERT_STR_EQ(s, "Z");
    ASSERT_OK(mr_object_set_str(&o, "name[3]", "q"));
    ASSERT_EQ(buf[13], 'q');

    /* Not a char field, bad arguments, path errors. */
    ASSERT_ERR(mr_object_set_str(&o, "magic", "x"), -EINVAL);
    ASSERT_ERR(mr_object_set_str(&o, "pad", "x"), -EINVAL);
    ASSERT_ERR(mr_object_set_str(&o, "hdr", "x"), -EINVAL);
    ASSERT_ERR(mr_object_set_str(&o, "name", NULL), -EINVAL);
    ASSERT_ERR(mr_object_get_str(&o, "magic", s, sizeof s), -EINVAL);
    ASSERT_ERR(mr_object_get_str(&o, "name", NULL, 8), -EINVAL);
    ASSERT_ERR(mr_object_get_str(&o, "name", s, 0), -EINVAL);
    ASSERT_ERR(mr_object_get_str(&o, "nom", s, sizeof s), -ENOENT);
    ASSERT_ERR(mr_object_set_str(&o, "name[8]", "x"), -ERANGE);
    ASSERT_ERR(mr_object_set_str(&o, "name.x", "x"), -EINVAL);
    mr_layout_destroy(l);
}

/* ---- printing -------------------------------------------------------------------------- */

static void test_print(void)
{
    struct mr_layout *l = parse_ok(spec);
    unsigned char buf[SIZE] = { 0 };
    struct mr_object o;
    char out[1024];

    ASSERT_OK(mr_object_init(&o, l, MR_REGION_OF_ARRAY(buf)));
    fill(&o);
    ASSERT_STR_EQ(printed(&o, false, out, sizeof out),
                  "magic = 3405691582\n"
                  "len = 513\n"
                  "flags = 255\n"
                  "pad = [1, 2, 3]\n"
                  "name = \"hi\"\n"
                  "temp = 1.5\n"
                  "ratio = -0.25\n"
                  "delta = -300\n"
                  "hdr.kind = 7\n"
                  "hdr.ver = -1\n"
                  "items[0].x = 0\n"
                  "items[0].y = -128\n"
                  "items[1].x = 65535\n"
                  "items[1].y = 0\n"
                  "c = \"Q\"\n");
    const char *json = printed(&o, true, out, sizeof out);
    ASSERT_STR_EQ(json,
                  "{\"magic\": 3405691582, \"len\": 513, \"flags\": 255, \"pad\": [1, 2, 3], "
                  "\"name\": \"hi\", \"temp\": 1.5, \"ratio\": -0.25, \"delta\": -300, "
                  "\"hdr\": {\"kind\": 7, \"ver\": -1}, "
                  "\"items\": [{\"x\": 0, \"y\": -128}, {\"x\": 65535, \"y\": 0}], \"c\": \"Q\"}\n");
    check_json_valid(json);

    /* Errors of the stream are reported. */
    FILE *full = fopen("/dev/full", "w");
    if (full != NULL) {
        ASSERT_ERR(mr_object_print(&o, full), -EIO);
        clearerr(full);
        ASSERT_ERR(mr_object_print_json(&o, full), -EIO);
        fclose(full);
    }
    mr_layout_destroy(l);
}

/* Strings with every kind of byte, floats at their edges, integer limits. */
static void test_print_values(void)
{
    struct mr_layout *l = parse_ok("s:char[12] f:f32 d:f64be nan:f64 inf:f32le ninf:f64 "
                                   "big:u64 small:i64be tiny:f64 third:f32 nz:f64 large:f64 "
                                   "huge:f32 e:char[2]");
    unsigned char buf[128] = { 0 };
    struct mr_object o;
    char out[1024];

    ASSERT_OK(mr_object_init(&o, l, MR_REGION_OF_ARRAY(buf)));
    memcpy(buf, "a\"\\\n\t\r\x01\x7f\xe9z\0x", 12);
    ASSERT_OK(mr_object_set(&o, "f", D(0.1)));
    ASSERT_OK(mr_object_set(&o, "d", D(0.1)));
    ASSERT_OK(mr_object_set(&o, "nan", D(NAN)));
    ASSERT_OK(mr_object_set(&o, "inf", D(INFINITY)));
    ASSERT_OK(mr_object_set(&o, "ninf", D(-INFINITY)));
    ASSERT_OK(mr_object_set(&o, "big", U(UINT64_MAX)));
    ASSERT_OK(mr_object_set(&o, "small", I(INT64_MIN)));
    ASSERT_OK(mr_object_set(&o, "tiny", D(1e-300)));
    ASSERT_OK(mr_object_set(&o, "third", D(1.0 / 3)));
    ASSERT_OK(mr_object_set(&o, "nz", D(-0.0)));
    ASSERT_OK(mr_object_set(&o, "large", D(123456789012.0)));
    ASSERT_OK(mr_object_set(&o, "huge", D(3e38)));

    ASSERT_STR_EQ(printed(&o, false, out, sizeof out),
                  "s = \"a\\\"\\\\\\n\\t\\r\\x01\\x7f\\xe9z\"\n"
                  "f = 0.1\n"
                  "d = 0.1\n"
                  "nan = nan\n"
                  "inf = inf\n"
                  "ninf = -inf\n"
                  "big = 18446744073709551615\n"
                  "small = -9223372036854775808\n"
                  "tiny = 1e-300\n"
                  "third = 0.33333334\n"
                  "nz = -0\n"
                  "large = 123456789012\n"
                  "huge = 3e+38\n"
                  "e = \"\"\n");
    const char *json = printed(&o, true, out, sizeof out);
    ASSERT_STR_EQ(json,
                  "{\"s\": \"a\\\"\\\\\\n\\t\\r\\u0001\\u007f\\u00e9z\", \"f\": 0.1, \"d\": 0.1, "
                  "\"nan\": null, \"inf\": null, \"ninf\": null, \"big\": 18446744073709551615, "
                  "\"small\": -9223372036854775808, \"tiny\": 1e-300, \"third\": 0.33333334, "
                  "\"nz\": -0, \"large\": 123456789012, \"huge\": 3e+38, \"e\": \"\"}\n");
    check_json_valid(json);

    /* A negative NaN prints as nan too; every byte value survives JSON. */
    ASSERT_OK(mr_object_set(&o, "nan", D(-NAN)));
    for (int k = 0; k < 11; k++)
        buf[k] = (unsigned char)(0x80 + 11 * k);
    json = printed(&o, true, out, sizeof out);
    check_json_valid(json);
    ASSERT_TRUE(strstr(printed(&o, false, out, sizeof out), "nan = nan\n") != NULL);
    mr_layout_destroy(l);
}

/* Arrays of structs of arrays: paths and printing. */
static void test_nested_arrays(void)
{
    struct mr_layout *l = parse_ok("a:{b:{c:u8[2]}[2] t:i8}[2]");
    unsigned char buf[10] = { 0 };
    struct mr_object o;
    union mr_value v;
    char out[1024];

    ASSERT_EQ(mr_layout_size(l), (size_t)10);
    ASSERT_OK(mr_object_init(&o, l, MR_REGION_OF_ARRAY(buf)));
    ASSERT_OK(mr_object_set(&o, "a[1].b[0].c[1]", U(5)));
    ASSERT_EQ(buf[6], 5);
    ASSERT_OK(mr_object_set(&o, "a[0].t", I(-3)));
    ASSERT_EQ(buf[4], 0xfd);
    ASSERT_OK(mr_object_get(&o, "a[1].b[0].c[1]", &v));
    ASSERT_EQ(v.u, (uint64_t)5);
    ASSERT_ERR(mr_object_get(&o, "a[1].b[2].c[0]", &v), -ERANGE);
    ASSERT_ERR(mr_object_get(&o, "a[1].b.c[0]", &v), -EINVAL);
    ASSERT_ERR(mr_object_get(&o, "a[1].b[1].c", &v), -EINVAL);
    ASSERT_STR_EQ(printed(&o, false, out, sizeof out),
                  "a[0].b[0].c = [0, 0]\n"
                  "a[0].b[1].c = [0, 0]\n"
                  "a[0].t = -3\n"
                  "a[1].b[0].c = [0, 5]\n"
                  "a[1].b[1].c = [0, 0]\n"
                  "a[1].t = 0\n");
    const char *json = printed(&o, true, out, sizeof out);
    ASSERT_STR_EQ(json, "{\"a\": [{\"b\": [{\"c\": [0, 0]}, {\"c\": [0, 0]}], \"t\": -3}, "
                        "{\"b\": [{\"c\": [0, 5]}, {\"c\": [0, 0]}], \"t\": 0}]}\n");
    check_json_valid(json);
    mr_layout_destroy(l);

    /* The longest paths: every level nested, with the longest names. */
    char deep[4096], name[MR_LAYOUT_MAX_NAME + 1];
    size_t k = 0;
    memset(name, 'n', MR_LAYOUT_MAX_NAME);
    name[MR_LAYOUT_MAX_NAME] = '\0';
    for (int d = 1; d < MR_LAYOUT_MAX_DEPTH; d++)
        k += (size_t)snprintf(deep + k, sizeof deep - k, "%s:{", name);
    k += (size_t)snprintf(deep + k, sizeof deep - k, "%s:u8", name);
    for (int d = 1; d < MR_LAYOUT_MAX_DEPTH; d++)
        k += (size_t)snprintf(deep + k, sizeof deep - k, "}[1]");
    l = parse_ok(deep);
    ASSERT_EQ(mr_layout_size(l), (size_t)1);
    unsigned char *big = calloc(1, mr_layout_size(l));
    ASSERT_TRUE(big != NULL);
    ASSERT_OK(mr_object_init(&o, l, mr_region_make(big, mr_layout_size(l))));
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    ASSERT_TRUE(f != NULL);
    ASSERT_OK(mr_object_print(&o, f));
    ASSERT_EQ(fclose(f), 0);
    /* One line: 15 times a name and "[0].", the last name, " = 0\n". */
    ASSERT_EQ(len, (size_t)(15 * (MR_LAYOUT_MAX_NAME + 4) + MR_LAYOUT_MAX_NAME + 5));
    free(text);
    free(big);
    mr_layout_destroy(l);
}

int main(void)
{
    test_init();
    test_get_set();
    test_by_index();
    test_strings();
    test_print();
    test_print_values();
    test_nested_arrays();
    validate_json_docs();
    return 0;
}
