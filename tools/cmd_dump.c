/* SPDX-License-Identifier: MIT */
/* tools/cmd_dump.c: `memregion dump`: a hex, typed or structured view of a
 * file or shared-memory object. Every byte is read through the SIGBUS guard,
 * since another process may truncate the object under the mapping. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

static const char dump_help[] =
    "usage: memregion dump TARGET [--at OFF] [--len N] [--json]\n"
    "       memregion dump TARGET --as TYPE [--at OFF] [--count N | --len N] [--json]\n"
    "       memregion dump TARGET --layout SPEC [--at OFF] [--count N] [--json]\n"
    "\n"
    "Show the bytes of TARGET: a file path, or a POSIX shared-memory object\n"
    "written shm:/name (or shm:name).\n"
    "\n"
    "Without --as or --layout the bytes are shown as xxd does: the offset, 16\n"
    "bytes in hex, and the same bytes as text ('.' for anything unprintable).\n"
    "\n"
    "--as TYPE shows the bytes as values of one type, one per line with its\n"
    "offset. TYPE is u8, i8, char, or u16 u32 u64 i16 i32 i64 f32 f64, each\n"
    "with an optional byte order: le (little-endian) or be (big-endian); the\n"
    "default is this machine's order.\n"
    "\n"
    "--layout SPEC decodes a structure, written as fields 'name:type', one after\n"
    "the other, for example\n"
    "    'magic:u32be len:u16le flags:u8 pad:u8[3] name:char[16]'\n"
    "Arrays are type[N]; '@N' places a field at byte N; nested structures are\n"
    "'{ ... }'; 'size=N' sets the structure's size. SPEC may also be @FILE, to\n"
    "read it from a file. A malformed SPEC is shown with a caret under the\n"
    "first error.\n"
    "\n"
    "options:\n"
    "  -a, --at OFF       start at byte OFF (default 0)\n"
    "  -n, --len N        show N bytes (default: to the end)\n"
    "  -t, --as TYPE      show values of TYPE (see above)\n"
    "  -l, --layout SPEC  decode structures (see above)\n"
    "  -c, --count N      how many values or structures (default: --as, as many\n"
    "                     as fit; --layout, 1)\n"
    "      --json         data as JSON: {\"target\", \"offset\", \"hex\"} for bytes,\n"
    "                     an array of values for --as, an object (or an array of\n"
    "                     them with --count) for --layout\n"
    "  -h, --help         show this help\n"
    "\n"
    "Offsets and lengths are decimal or 0x hex, with an optional K, M, G suffix.\n"
    "\n"
    "examples:\n"
    "  memregion dump /bin/ls --len 64\n"
    "  memregion dump /bin/ls --layout 'magic:u8[4] class:u8 data:u8' --json\n"
    "  memregion dump shm:/frames --as f32le --count 8\n";

struct dump_opts {
    uint64_t at, len, count;
    bool len_set, count_set, json;
    const char *as;
    const char *layout;
};

enum { OPT_JSON = 1000 };

static int dump_opt(int c, const char *arg, void *ctx)
{
    struct dump_opts *o = ctx;
    switch (c) {
    case 'a':
        return cli_opt_u64("offset", arg, true, &o->at);
    case 'n':
        o->len_set = true;
        return cli_opt_u64("length", arg, true, &o->len);
    case 'c':
        o->count_set = true;
        return cli_opt_u64("count", arg, true, &o->count);
    case 't':
        o->as = arg;
        return 0;
    case 'l':
        o->layout = arg;
        return 0;
    case OPT_JSON:
        o->json = true;
        return 0;
    }
    return CLI_USAGE;
}

/* Read a spec given as @FILE into a heap string. */
static char *read_spec_file(const char *path, int *err)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        *err = -errno;
        return NULL;
    }
    size_t cap = 4096, n = 0;
    char *s = malloc(cap);
    while (s) {
        n += fread(s + n, 1, cap - n - 1, f);
        if (n < cap - 1)
            break;
        char *t = realloc(s, cap * 2);
        if (!t) {
            free(s);
            s = NULL;
            break;
        }
        s = t;
        cap *= 2;
    }
    *err = ferror(f) ? -EIO : -ENOMEM;
    fclose(f);
    if (s)
        s[n] = '\0';
    return s;
}

int cli_layout_from_arg(const char *arg, struct mr_layout **out)
{
    char *owned = NULL;
    const char *spec = arg;
    int rc;
    if (arg[0] == '@') {
        owned = read_spec_file(arg + 1, &rc);
        if (!owned)
            return cli_fail(arg + 1, rc, NULL);
        spec = owned;
    }
    struct mr_layout_error err;
    rc = mr_layout_parse(NULL, spec, strlen(spec), out, &err);
    if (rc == -EINVAL) {
        /* Show the line of the spec that holds the error, and a caret. */
        size_t line_start = 0, pos = err.pos > strlen(spec) ? strlen(spec) : err.pos;
        for (size_t i = 0; i < pos; i++)
            if (spec[i] == '\n')
                line_start = i + 1;
        size_t line_end = strcspn(spec + line_start, "\n") + line_start;
        fprintf(stderr, "memregion: %s: layout: %s (at byte %zu)\n  %.*s\n  %*s^\n", cli_command(),
                err.reason, err.pos, (int)(line_end - line_start), spec + line_start,
                (int)(pos - line_start), "");
        free(owned);
        return CLI_USAGE;
    }
    free(owned);
    if (rc < 0)
        return cli_fail("layout", rc, NULL);
    return 0;
}

#define CHUNK ((size_t)64 << 10)

static int dump_hex(const struct cli_target *t, uint64_t at, uint64_t len, bool json)
{
    unsigned char *buf = malloc(CHUNK);
    struct cli_json j;
    int status = CLI_OK;
    if (!buf)
        return cli_fail(t->spec, -ENOMEM, NULL);
    if (json) {
        cli_json_init(&j, stdout);
        cli_json_begin_object(&j);
        cli_json_key(&j, "target");
        cli_json_str(&j, t->spec);
        cli_json_key(&j, "offset");
        cli_json_u64(&j, at);
        cli_json_key(&j, "length");
        cli_json_u64(&j, len);
        cli_json_key(&j, "hex");
        cli_json_raw(&j, "\""); /* the hex digits follow as they are read */
    }
    for (uint64_t done = 0; done < len;) {
        size_t n = len - done < CHUNK ? (size_t)(len - done) : CHUNK;
        if (cli_target_read(t, at + done, buf, n) != 0) {
            status = CLI_FAIL;
            break;
        }
        if (json) {
            for (size_t i = 0; i < n; i++)
                printf("%02x", buf[i]);
        } else if (mr_region_hexdump(mr_region_make_ro(buf, n), stdout, (size_t)(at + done)) < 0) {
            status = cli_fail("stdout", -EIO, NULL);
            break;
        }
        done += n;
    }
    if (json && status == CLI_OK) {
        fputc('"', stdout);
        cli_json_end_object(&j);
        cli_json_end(&j);
    } else if (json) {
        fputc('\n', stdout);
    }
    free(buf);
    return status;
}

static int dump_typed(const struct cli_target *t, uint64_t at, uint64_t len, const struct dump_opts *o)
{
    enum mr_type type;
    enum mr_order order;
    if (mr_type_parse(o->as, strlen(o->as), &type, &order) < 0)
        return cli_usage_error("invalid type '%s': expected u8, i8, char, or u16..u64, i16..i64, "
                               "f32, f64 with an optional le or be",
                               o->as);
    size_t size = mr_type_size(type);
    uint64_t count = o->count_set ? o->count : len / size;
    if (o->count_set && count > (UINT64_MAX - at) / size)
        return cli_fail(t->spec, -ERANGE, "--count %llu is past the end",
                        (unsigned long long)count);
    struct cli_json j;
    if (o->json) {
        cli_json_init(&j, stdout);
        cli_json_begin_array(&j);
    }
    unsigned char v8[8];
    for (uint64_t i = 0; i < count; i++) {
        uint64_t off = at + i * size;
        union mr_value v;
        if (cli_target_read(t, off, v8, size) != 0) {
            if (o->json)
                fputc('\n', stdout);
            return CLI_FAIL;
        }
        mr_value_get(mr_region_make_ro(v8, size), 0, type, order, &v);
        if (o->json) {
            cli_json_value(&j, type, v);
        } else {
            char text[MR_VALUE_TEXT_MAX];
            mr_value_format(type, v, MR_VALUE_FMT_DIG, text, sizeof text);
            printf("%08llx: %s", (unsigned long long)off, text);
            if (type == MR_TYPE_CHAR && v.u >= 0x20 && v.u < 0x7f)
                printf(" '%c'", (int)v.u);
            putchar('\n');
        }
    }
    if (o->json) {
        cli_json_end_array(&j);
        cli_json_end(&j);
    }
    return CLI_OK;
}

static int dump_layout(const struct cli_target *t, uint64_t at, const struct dump_opts *o)
{
    struct mr_layout *l;
    int rc = cli_layout_from_arg(o->layout, &l);
    if (rc != 0)
        return rc;
    size_t size = mr_layout_size(l);
    uint64_t count = o->count_set ? o->count : 1;
    unsigned char *buf = malloc(size ? size : 1);
    int status = CLI_OK;
    if (!buf) {
        mr_layout_destroy(l);
        return cli_fail(t->spec, -ENOMEM, NULL);
    }
    bool array = o->json && o->count_set;
    if (array)
        fputs("[", stdout);
    for (uint64_t i = 0; i < count; i++) {
        uint64_t off = at + i * size;
        if (size && i > (UINT64_MAX - at) / size) {
            status = cli_fail(t->spec, -ERANGE, "--count %llu is past the end",
                              (unsigned long long)count);
            break;
        }
        if (cli_target_read(t, off, buf, size) != 0) {
            status = CLI_FAIL;
            break;
        }
        struct mr_object obj;
        mr_object_init(&obj, l, mr_region_make_ro(buf, size));
        if (o->json) {
            if (array && i > 0)
                fputs(",", stdout);
            rc = mr_object_print_json(&obj, stdout);
        } else {
            if (count > 1 || o->count_set)
                printf("%s# [%llu] at offset %llu (0x%llx)\n", i ? "\n" : "", (unsigned long long)i,
                       (unsigned long long)off, (unsigned long long)off);
            rc = mr_object_print(&obj, stdout);
        }
        if (rc < 0) {
            status = cli_fail("stdout", rc, NULL);
            break;
        }
    }
    if (array)
        fputs(status == CLI_OK ? "]\n" : "\n", stdout);
    free(buf);
    mr_layout_destroy(l);
    return status;
}

int cmd_dump(int argc, char **argv)
{
    static const struct option longs[] = {
        { "at", required_argument, NULL, 'a' },    { "len", required_argument, NULL, 'n' },
        { "as", required_argument, NULL, 't' },    { "layout", required_argument, NULL, 'l' },
        { "count", required_argument, NULL, 'c' }, { "json", no_argument, NULL, OPT_JSON },
        { 0 }
    };
    struct dump_opts o = { 0 };
    int first, rc;
    if ((rc = cli_getopt(argc, argv, "a:n:t:l:c:", longs, dump_help, dump_opt, &o, &first)) >= 0)
        return rc;
    if (argc - first < 1)
        return cli_usage_error("missing TARGET (a file, or shm:/name)");
    if (argc - first > 1)
        return cli_usage_error("unexpected argument '%s'", argv[first + 1]);
    if (o.as && o.layout)
        return cli_usage_error("--as and --layout exclude each other");
    if (o.count_set && !o.as && !o.layout)
        return cli_usage_error("--count needs --as or --layout");
    if (o.count_set && o.len_set)
        return cli_usage_error("--count and --len exclude each other");
    if (o.layout && o.len_set)
        return cli_usage_error("--len does not apply to --layout (use --count)");

    const char *spec = argv[first];
    struct cli_target t;
    if ((rc = cli_target_open(&t, spec, false)) < 0)
        return cli_fail(spec, rc, rc == -ENOENT ? "no such file or shared-memory object" : NULL);
    size_t size = t.map.region.len;
    if (o.at > size) {
        cli_target_close(&t);
        return cli_fail(spec, -ERANGE, "offset %llu is past the end (%zu bytes)",
                        (unsigned long long)o.at, size);
    }
    uint64_t len = o.len_set ? o.len : size - o.at;
    if (o.len_set && len > size - o.at) {
        cli_target_close(&t);
        return cli_fail(spec, -ERANGE, "%llu bytes at offset %llu reach past the end (%zu bytes)",
                        (unsigned long long)len, (unsigned long long)o.at, size);
    }
    if (o.layout)
        rc = dump_layout(&t, o.at, &o);
    else if (o.as)
        rc = dump_typed(&t, o.at, len, &o);
    else
        rc = dump_hex(&t, o.at, len, o.json);
    cli_target_close(&t);
    return rc;
}
