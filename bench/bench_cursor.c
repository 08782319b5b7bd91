/* SPDX-License-Identifier: MIT */
/* bench/bench_cursor.c: the cost of parsing with a cursor (cursor issue goal).
 *
 * "Parsing 1M records of (u32le, u16be, varint, 8-byte string) with a cursor
 * costs at most 1.3x the instructions of a hand-written raw-pointer parser of
 * the same records (callgrind), and beats reading them through fread on an
 * fmemopen stream in wall time."
 *
 * 1M records are generated once, deterministically: the varints mostly one
 * byte, some two, a few three or four, and one in twenty of up to ten bytes.
 * Five parsers read them, each in its own noinline function (named in the
 * table, so that callgrind can count it alone, bench/callgrind.sh):
 *   raw             pointers, one bounds check per record (for the longest
 *                   record, 24 bytes; the last few records, nearer the end
 *                   than that, are checked field by field), the varint
 *                   decoded by hand with the same overflow checks as the
 *                   cursor's
 *   cursor          mr_cursor_read_u32le, _u16be, _uleb128, read_exact for
 *                   the string; mr_cursor_error checked once at the end
 *   cursor_has      the same reads, after one mr_cursor_has(24) per record:
 *                   the raw parser's strategy, with which the compiler drops
 *                   the checks of the covered reads
 *   fmemopen_fread  fread of each field from an fmemopen stream, the varint
 *                   byte by byte with getc
 *   mr_fopen_fread  the same through a stream from mr_fopen
 * Every parser folds the fields into the same checksum, which must equal the
 * one computed while generating; any difference fails the run.
 */
#define _GNU_SOURCE 1
#include <memregion/cursor.h>

#include "bench.h"

#include <endian.h>

#define RECORDS ((size_t)1 << 20)
#define MAX_RECORD (4 + 2 + 10 + 8)
#define ROUNDS 15

/* The checksum: order-sensitive, and cheap next to the parsing. */
static inline uint64_t mix(uint64_t s, uint32_t a, uint16_t b, uint64_t v, uint64_t str)
{
    s = (s ^ a) + b;
    s = (s ^ v) + str;
    return (s << 7) | (s >> 57);
}

/* ---- the parsers ---------------------------------------------------------------
 * All take the record count at run time (as from a header), return 0 or a
 * negative errno, and store the checksum. */

/* A varint by hand, as a careful C programmer writes it: at most ten bytes,
 * the tenth holding only bit 63. p must have ten bytes (or the caller checks
 * each one: see the tail loop). */
#define RAW_VARINT(p, v, fail_overflow)                                         \
    do {                                                                        \
        v = *p++;                                                               \
        if (v >= 0x80) {                                                        \
            v &= 0x7f;                                                          \
            for (unsigned shift_ = 7;; shift_ += 7) {                          \
                unsigned b_ = *p++;                                             \
                if (shift_ == 63 && b_ > 1)                                     \
                    fail_overflow;                                              \
                v |= (uint64_t)(b_ & 0x7f) << shift_;                           \
                if (b_ < 0x80)                                                  \
                    break;                                                      \
                if (shift_ == 63)                                               \
                    fail_overflow;                                              \
            }                                                                   \
        }                                                                       \
    } while (0)

static BENCH_NOINLINE int parse_raw(const unsigned char *p, size_t len, size_t n, uint64_t *out)
{
    const unsigned char *end = p + len;
    uint64_t s = 0;
    size_t i = 0;

    /* One check per record: room for the longest one. */
    for (; i < n && (size_t)(end - p) >= MAX_RECORD; i++) {
        uint32_t a;
        uint16_t b;
        uint64_t v, str;
        memcpy(&a, p, 4);
        memcpy(&b, p + 4, 2);
        a = le32toh(a);
        b = be16toh(b);
        p += 6;
        RAW_VARINT(p, v, return -EOVERFLOW);
        memcpy(&str, p, 8);
        p += 8;
        s = mix(s, a, b, v, str);
    }
    /* The last records, too near the end for that: each field checked. */
    for (; i < n; i++) {
        uint32_t a;
        uint16_t b;
        uint64_t v = 0, str;
        if (end - p < 7)
            return -ERANGE;
        memcpy(&a, p, 4);
        memcpy(&b, p + 4, 2);
        a = le32toh(a);
        b = be16toh(b);
        p += 6;
        for (unsigned shift = 0;; shift += 7) {
            if (p == end)
                return -ERANGE;
            unsigned byte = *p++;
            if (shift == 63 && byte > 1)
                return -EOVERFLOW;
            v |= (uint64_t)(byte & 0x7f) << shift;
            if (byte < 0x80)
                break;
            if (shift == 63)
                return -EOVERFLOW;
        }
        if (end - p < 8)
            return -ERANGE;
        memcpy(&str, p, 8);
        p += 8;
        s = mix(s, a, b, v, str);
    }
    *out = s;
    return 0;
}

static BENCH_NOINLINE int parse_cursor(struct mr_region r, size_t n, uint64_t *out)
{
    struct mr_cursor c;
    uint64_t s = 0;

    mr_cursor_init(&c, r);
    for (size_t i = 0; i < n; i++) {
        uint32_t a = mr_cursor_read_u32le(&c);
        uint16_t b = mr_cursor_read_u16be(&c);
        uint64_t v = mr_cursor_read_uleb128(&c);
        /* Zeroed: a read that fails copies nothing (and the checksum is
         * thrown away then, but the compiler cannot know that). */
        unsigned char str[8] = { 0 };
        mr_cursor_read_exact(&c, str, sizeof str);
        uint64_t sv;
        memcpy(&sv, str, 8);
        s = mix(s, a, b, v, sv);
    }
    if (mr_cursor_error(&c))
        return mr_cursor_error(&c);
    *out = s;
    return 0;
}

/* The raw parser's strategy with a cursor: one mr_cursor_has per record for
 * the longest record lets the compiler drop the checks of the reads it
 * covers; the last records, too near the end for that, take the checked
 * reads of parse_cursor. Same sticky-error handling. */
static BENCH_NOINLINE int parse_cursor_has(struct mr_region r, size_t n, uint64_t *out)
{
    struct mr_cursor c;
    uint64_t s = 0;
    size_t i = 0;

    mr_cursor_init(&c, r);
    for (; i < n && mr_cursor_has(&c, MAX_RECORD); i++) {
        uint32_t a = mr_cursor_read_u32le(&c);
        uint16_t b = mr_cursor_read_u16be(&c);
        uint64_t v = mr_cursor_read_uleb128(&c);
        unsigned char str[8] = { 0 };
        mr_cursor_read_exact(&c, str, sizeof str);
        uint64_t sv;
        memcpy(&sv, str, 8);
        s = mix(s, a, b, v, sv);
    }
    for (; i < n; i++) {
        uint32_t a = mr_cursor_read_u32le(&c);
        uint16_t b = mr_cursor_read_u16be(&c);
        uint64_t v = mr_cursor_read_uleb128(&c);
        unsigned char str[8] = { 0 };
        mr_cursor_read_exact(&c, str, sizeof str);
        uint64_t sv;
        memcpy(&sv, str, 8);
        s = mix(s, a, b, v, sv);
    }
    if (mr_cursor_error(&c))
        return mr_cursor_error(&c);
    *out = s;
    return 0;
}

/* Through stdio, as code written against FILE * reads records. */
static inline int parse_stdio(FILE *f, size_t n, uint64_t *out)
{
    uint64_t s = 0;

    for (size_t i = 0; i < n; i++) {
        unsigned char a4[4], b2[2], str[8];
        uint64_t v = 0;
        if (fread(a4, 1, 4, f) != 4 || fread(b2, 1, 2, f) != 2)
            return -ERANGE;
        for (unsigned shift = 0;; shift += 7) {
            int ch = getc(f);
            if (ch == EOF)
                return -ERANGE;
            if (shift == 63 && ch > 1)
                return -EOVERFLOW;
            v |= (uint64_t)(ch & 0x7f) << shift;
            if (ch < 0x80)
                break;
            if (shift == 63)
                return -EOVERFLOW;
        }
        if (fread(str, 1, 8, f) != 8)
            return -ERANGE;
        uint32_t a = (uint32_t)a4[0] | (uint32_t)a4[1] << 8 | (uint32_t)a4[2] << 16 |
                     (uint32_t)a4[3] << 24;
        uint16_t b = (uint16_t)(b2[0] << 8 | b2[1]);
        uint64_t sv;
        memcpy(&sv, str, 8);
        s = mix(s, a, b, v, sv);
    }
    *out = s;
    return 0;
}

static BENCH_NOINLINE int parse_fmemopen(FILE *f, size_t n, uint64_t *out)
{
    return parse_stdio(f, n, out);
}

static BENCH_NOINLINE int parse_mr_fopen(FILE *f, size_t n, uint64_t *out)
{
    return parse_stdio(f, n, out);
}

/* ---- data and drivers ------------------------------------------------------------ */

struct ctx {
    unsigned char *buf;
    size_t len;
    size_t n;
    uint64_t expect;
    size_t varint_bytes[11]; /* records by varint length */
};

static void fail(const char *what, int rc, uint64_t got, uint64_t expect)
{
    fprintf(stderr, "bench_cursor: %s: rc %d, checksum %016llx, expected %016llx\n", what, rc,
            (unsigned long long)got, (unsigned long long)expect);
    exit(1);
}

static void check(const struct ctx *c, const char *what, int rc, uint64_t got)
{
    if (rc != 0 || got != c->expect)
        fail(what, rc, got, c->expect);
}

static void run_raw(void *p)
{
    struct ctx *c = p;
    uint64_t s = 0;
    int rc = parse_raw(c->buf, c->len, c->n, &s);
    check(c, "raw", rc, s);
}

static void run_cursor_has(void *p)
{
    struct ctx *c = p;
    uint64_t s = 0;
    int rc = parse_cursor_has(mr_region_make_ro(c->buf, c->len), c->n, &s);
    check(c, "cursor_has", rc, s);
}

static void run_cursor(void *p)
{
    struct ctx *c = p;
    uint64_t s = 0;
    int rc = parse_cursor(mr_region_make_ro(c->buf, c->len), c->n, &s);
    check(c, "cursor", rc, s);
}

static void run_fmemopen(void *p)
{
    struct ctx *c = p;
    uint64_t s = 0;
    FILE *f = fmemopen(c->buf, c->len, "r");
    if (f == NULL)
        fail("fmemopen", -errno, 0, c->expect);
    int rc = parse_fmemopen(f, c->n, &s);
    fclose(f);
    check(c, "fmemopen_fread", rc, s);
}

static void run_mr_fopen(void *p)
{
    struct ctx *c = p;
    uint64_t s = 0;
    FILE *f;
    int rc = mr_fopen(mr_region_make_ro(c->buf, c->len), "r", &f);
    if (rc < 0)
        fail("mr_fopen", rc, 0, c->expect);
    rc = parse_mr_fopen(f, c->n, &s);
    fclose(f);
    check(c, "mr_fopen_fread", rc, s);
}

static const struct bench_variant variants[] = {
    { "raw", "parse_raw", "pointers, one bounds check per record", run_raw, "raw" },
    { "cursor", "parse_cursor", "mr_cursor_read_*, error checked once", run_cursor, "raw" },
    { "cursor_has", "parse_cursor_has", "as cursor, one mr_cursor_has(24) per record like raw",
      run_cursor_has, "raw" },
    { "fmemopen_fread", "parse_fmemopen", "fread/getc on fmemopen (ratio to cursor)", run_fmemopen,
      "cursor" },
    { "mr_fopen_fread", "parse_mr_fopen", "fread/getc on mr_fopen (ratio to cursor)", run_mr_fopen,
      "cursor" },
};
#define NVARIANTS (sizeof variants / sizeof variants[0])

/* A small deterministic generator, so that every run parses the same bytes. */
static uint64_t rng_state = 0x2545f4914f6cdd1du;
static uint64_t rng(void)
{
    uint64_t x = rng_state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    rng_state = x;
    return x * 0x2545f4914f6cdd1du;
}

static void setup(struct ctx *c, size_t n)
{
    memset(c, 0, sizeof *c);
    c->n = n;
    c->buf = malloc(n * MAX_RECORD);
    if (c->buf == NULL) {
        fprintf(stderr, "bench_cursor: out of memory\n");
        exit(1);
    }
    unsigned char *p = c->buf;
    for (size_t i = 0; i < n; i++) {
        uint32_t a = (uint32_t)rng();
        uint16_t b = (uint16_t)rng();
        unsigned k = (unsigned)(rng() % 100);
        uint64_t v = rng();
        if (k < 70)
            v &= 0x7f; /* one byte */
        else if (k < 90)
            v &= 0x3fff; /* up to two */
        else if (k < 95)
            v &= 0xfffffff; /* up to four */
        else
            v >>= rng() % 8; /* up to ten */
        uint64_t str = 0;
        for (int j = 0; j < 8; j++) /* letters, NUL-padded after 1 to 8 of them */
            if (j <= (int)(i % 8))
                str |= (uint64_t)('a' + rng() % 26) << (8 * j);

        p[0] = (unsigned char)a;
        p[1] = (unsigned char)(a >> 8);
        p[2] = (unsigned char)(a >> 16);
        p[3] = (unsigned char)(a >> 24);
        p[4] = (unsigned char)(b >> 8);
        p[5] = (unsigned char)b;
        p += 6;
        size_t vl = 0;
        uint64_t x = v;
        do {
            unsigned char byte = x & 0x7f;
            x >>= 7;
            *p++ = x ? (unsigned char)(byte | 0x80) : byte;
            vl++;
        } while (x);
        c->varint_bytes[vl]++;
        for (int j = 0; j < 8; j++)
            *p++ = (unsigned char)(str >> (8 * j));
        c->expect = mix(c->expect, a, b, v, str);
    }
    c->len = (size_t)(p - c->buf);
}

int main(int argc, char **argv)
{
    struct ctx c;
    setup(&c, RECORDS);
    struct bench_suite s = {
        .title = "bench_cursor: parse 1M records (u32le, u16be, uleb128, 8-byte string)",
        .unit = "rec", .count = RECORDS, .rounds = ROUNDS, .v = variants, .nv = NVARIANTS,
        .ctx = &c,
    };
    int rc = bench_dispatch(&s, argc, argv);
    if (rc >= 0) {
        free(c.buf);
        return rc;
    }

    printf("bench_cursor: %zu records, %zu bytes; varint lengths:", c.n, c.len);
    for (int i = 1; i <= 10; i++)
        if (c.varint_bytes[i])
            printf(" %d:%.1f%%", i, 100.0 * (double)c.varint_bytes[i] / (double)c.n);
    printf("\n\n");
    bench_time_suite(&s);
    free(c.buf);
    return 0;
}
