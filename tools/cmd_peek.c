/* SPDX-License-Identifier: MIT */
/* tools/cmd_peek.c: `memregion peek` and `memregion poke`: one typed value
 * at an offset of a file or shared-memory object, read or written through
 * the SIGBUS guard. */
#include "cli.h"

#include <string.h>

static const char peek_help[] =
    "usage: memregion peek TARGET --at OFF [--as TYPE] [--json]\n"
    "\n"
    "Read one value of type TYPE at byte OFF of TARGET (a file path, or a\n"
    "shared-memory object written shm:/name) and print it.\n"
    "\n"
    "TYPE is u8 (the default), i8, char, or u16 u32 u64 i16 i32 i64 f32 f64,\n"
    "each with an optional byte order: le (little-endian) or be (big-endian);\n"
    "without one, this machine's order.\n"
    "\n"
    "options:\n"
    "  -a, --at OFF     the byte offset (decimal or 0x hex; K, M, G suffixes)\n"
    "  -t, --as TYPE    the value's type (default u8)\n"
    "      --json       {\"target\", \"offset\", \"type\", \"value\"}\n"
    "  -h, --help       show this help\n"
    "\n"
    "example:\n"
    "  memregion peek /bin/ls --at 0x12 --as u16le      # the ELF machine: 62\n";

static const char poke_help[] =
    "usage: memregion poke TARGET --at OFF [--as TYPE] VALUE\n"
    "\n"
    "Write VALUE as one value of type TYPE at byte OFF of TARGET (a file path,\n"
    "or a shared-memory object written shm:/name), in place: the file's size\n"
    "never changes, and every process that maps it sees the new bytes.\n"
    "\n"
    "TYPE is as for 'memregion peek' (default u8). VALUE is a decimal or 0x hex\n"
    "integer (negative for signed types), or a number such as 1.5e3, nan or inf\n"
    "for f32 and f64. A value that does not fit the type is refused, and so is\n"
    "a target this user may not write.\n"
    "\n"
    "options:\n"
    "  -a, --at OFF     the byte offset (decimal or 0x hex; K, M, G suffixes)\n"
    "  -t, --as TYPE    the value's type (default u8)\n"
    "  -h, --help       show this help\n"
    "\n"
    "example:\n"
    "  memregion poke shm:/frames --at 8 --as u32be 0xdeadbeef\n";

struct peek_opts {
    uint64_t at;
    bool at_set, json;
    const char *as;
};

enum { OPT_JSON = 1000 };

static int peek_opt(int c, const char *arg, void *ctx)
{
    struct peek_opts *o = ctx;
    switch (c) {
    case 'a':
        o->at_set = true;
        return cli_opt_u64("offset", arg, true, &o->at);
    case 't':
        o->as = arg;
        return 0;
    case OPT_JSON:
        o->json = true;
        return 0;
    }
    return CLI_USAGE;
}

static const struct option peek_longs[] = { { "at", required_argument, NULL, 'a' },
                                            { "as", required_argument, NULL, 't' },
                                            { "json", no_argument, NULL, OPT_JSON },
                                            { 0 } };
static const struct option poke_longs[] = { { "at", required_argument, NULL, 'a' },
                                            { "as", required_argument, NULL, 't' },
                                            { 0 } };

static int common(int argc, char **argv, bool poke, struct peek_opts *o, enum mr_type *type,
                  enum mr_order *order, int *first)
{
    int rc = cli_getopt(argc, argv, "a:t:", poke ? poke_longs : peek_longs,
                        poke ? poke_help : peek_help, peek_opt, o, first);
    if (rc >= 0)
        return rc;
    int want = poke ? 2 : 1;
    if (argc - *first < 1)
        return cli_usage_error("missing TARGET (a file, or shm:/name)");
    if (argc - *first < want)
        return cli_usage_error("missing VALUE");
    if (argc - *first > want)
        return cli_usage_error("unexpected argument '%s'", argv[*first + want]);
    if (!o->at_set)
        return cli_usage_error("missing --at OFF");
    const char *as = o->as ? o->as : "u8";
    if (mr_type_parse(as, strlen(as), type, order) < 0)
        return cli_usage_error("invalid type '%s': expected u8, i8, char, or u16..u64, i16..i64, "
                               "f32, f64 with an optional le or be",
                               o->as);
    return -1;
}

int cmd_peek(int argc, char **argv)
{
    struct peek_opts o = { 0 };
    enum mr_type type;
    enum mr_order order;
    int first, rc;
    if ((rc = common(argc, argv, false, &o, &type, &order, &first)) >= 0)
        return rc;
    const char *spec = argv[first];
    struct cli_target t;
    if ((rc = cli_target_open(&t, spec, false)) < 0)
        return cli_fail(spec, rc, rc == -ENOENT ? "no such file or shared-memory object" : NULL);
    unsigned char bytes[8];
    size_t size = mr_type_size(type);
    if (cli_target_read(&t, o.at, bytes, size) != 0) {
        cli_target_close(&t);
        return CLI_FAIL;
    }
    cli_target_close(&t);
    union mr_value v;
    mr_value_get(mr_region_make_ro(bytes, size), 0, type, order, &v);
    char text[MR_VALUE_TEXT_MAX], tname[MR_TYPE_NAME_MAX];
    mr_value_format(type, v, MR_VALUE_FMT_DIG, text, sizeof text);
    mr_type_format(type, order, tname, sizeof tname);
    if (o.json) {
        struct cli_json j;
        cli_json_init(&j, stdout);
        cli_json_begin_object(&j);
        cli_json_key(&j, "target");
        cli_json_str(&j, spec);
        cli_json_key(&j, "offset");
        cli_json_u64(&j, o.at);
        cli_json_key(&j, "type");
        cli_json_str(&j, tname);
        cli_json_key(&j, "value");
        cli_json_value(&j, type, v);
        cli_json_end_object(&j);
        cli_json_end(&j);
    } else {
        puts(text);
    }
    return CLI_OK;
}

static int parse_value(const char *s, enum mr_type type, enum mr_order order,
                       unsigned char *bytes, const char *tname)
{
    union mr_value v;
    int rc;
    if (mr_type_is_signed(type))
        rc = cli_parse_i64(s, &v.i);
    else if (mr_type_is_float(type))
        rc = cli_parse_f64(s, &v.f);
    else
        rc = cli_parse_u64(s, false, &v.u);
    if (rc == -EINVAL)
        return cli_usage_error("invalid value '%s' for %s", s, tname);
    if (rc == 0)
        rc = mr_value_set(mr_region_make(bytes, 8), 0, type, order, v);
    if (rc == -ERANGE || rc == -EOVERFLOW)
        return cli_usage_error("value '%s' does not fit in %s", s, tname);
    return rc < 0 ? cli_usage_error("invalid value '%s' for %s", s, tname) : 0;
}

/* A negative VALUE ("-2", "-1.5", "-inf") is not an option: such words
 * move behind a "--" at the end, where getopt leaves operands alone. */
static bool negative_number(const char *s)
{
    if (s[0] != '-')
        return false;
    if (s[1] && strchr("0123456789.", s[1]))
        return true;
    return strcmp(s, "-inf") == 0 || strcmp(s, "-nan") == 0;
}

int cmd_poke(int argc, char **argv)
{
    struct peek_opts o = { 0 };
    enum mr_type type;
    enum mr_order order;
    int first, rc;
    char *args[64];
    int n = 0, nneg = 0;
    if (argc > 60)
        return cli_usage_error("too many arguments");
    for (int i = 0; i < argc; i++)
        if (i == 0 || !negative_number(argv[i]))
            args[n++] = argv[i];
    args[n++] = (char *)"--";
    for (int i = 1; i < argc; i++)
        if (negative_number(argv[i])) {
            args[n++] = argv[i];
            nneg++;
        }
    if (nneg == 0)
        n--;
    args[n] = NULL;
    argc = n;
    argv = args;
    if ((rc = common(argc, argv, true, &o, &type, &order, &first)) >= 0)
        return rc;
    const char *spec = argv[first];
    unsigned char bytes[8];
    char tname[MR_TYPE_NAME_MAX];
    mr_type_format(type, order, tname, sizeof tname);
    if ((rc = parse_value(argv[first + 1], type, order, bytes, tname)) != 0)
        return rc;
    struct cli_target t;
    if ((rc = cli_target_open(&t, spec, true)) < 0) {
        if (rc == -EACCES || rc == -EPERM || rc == -EROFS)
            return cli_fail(spec, rc, "cannot write: %s (the target is read-only for this user)",
                            mr_strerror(rc));
        return cli_fail(spec, rc, rc == -ENOENT ? "no such file or shared-memory object" : NULL);
    }
    size_t size = mr_type_size(type);
    if (o.at > t.map.region.len) {
        cli_target_close(&t);
        return cli_fail(spec, -ERANGE, "offset %llu is past the end (%zu bytes)",
                        (unsigned long long)o.at, t.map.region.len);
    }
    rc = mr_guard_write(t.map.region, (size_t)o.at, bytes, size);
    size_t len = t.map.region.len;
    cli_target_close(&t);
    if (rc == -ERANGE)
        return cli_fail(spec, rc, "%zu bytes at offset %llu reach past the end (%zu bytes)", size,
                        (unsigned long long)o.at, len);
    if (rc == -EFAULT)
        return cli_fail(spec, rc, "the object shrank while being written");
    return rc < 0 ? cli_fail(spec, rc, NULL) : CLI_OK;
}
