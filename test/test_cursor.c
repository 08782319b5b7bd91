/* SPDX-License-Identifier: MIT */
/* test/test_cursor.c: cursors over fixed regions: init, tell and remaining,
 * seeks (inside, at both ends, outside, extreme offsets, bad whence), every
 * typed read and write in every byte order, the sticky error after each kind
 * of first error, bytes (read_exact, read_upto, read_region, write_fill),
 * strings (fixed fields and C strings) and LEB128 varints (known vectors,
 * round trips, overlong, overflow, truncation). Growable writers are tested
 * in test_cursor_growable.c, FILE * streams in test_cursor_stream.c. */
#include "helpers.h"

#include <limits.h>

#define GUARD 0xa5
#define SENTINEL 0x5c

/* What a failing check was looking at, printed if the program exits while
 * it is set (the assertions report only their own line). */
static const char *check_ctx;

static void print_ctx(void)
{
    if (check_ctx)
        fprintf(stderr, "    while checking: %s\n", check_ctx);
}

/* The state of a small deterministic generator (mr_test_rand), so that
 * failures reproduce. */
static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static void set_sentinel(void *p, size_t n) { memset(p, SENTINEL, n); }

/* ---- the sticky error --------------------------------------------------------
 * Every call on a cursor whose error is set must do nothing: reads return 0
 * and copy nothing, other calls return the recorded error, no byte of the
 * data changes, the position stays, and a second error (of another kind)
 * does not replace the first. */

#define SNAP_MAX 4096

static void check_sticky(struct mr_cursor *c, int err, const char *what)
{
    static unsigned char snap[SNAP_MAX];
    unsigned char dst[32];
    struct mr_region out, data = mr_cursor_data(c);
    size_t pos = mr_cursor_tell(c), rem = mr_cursor_remaining(c);

    check_ctx = what;
    ASSERT_TRUE(err < 0);
    ASSERT_EQ(mr_cursor_error(c), err);
    ASSERT_LE(data.len, (size_t)SNAP_MAX);
    if (data.len)
        memcpy(snap, data.ptr, data.len);
    set_sentinel(dst, sizeof dst);

    /* Reads of every kind. */
    ASSERT_EQ(mr_cursor_read_u8(c), 0);
    ASSERT_EQ(mr_cursor_read_i8(c), 0);
    ASSERT_EQ(mr_cursor_read_u16be(c), 0);
    ASSERT_EQ(mr_cursor_read_i32le(c), 0);
    ASSERT_EQ(mr_cursor_read_u64(c), 0u);
    ASSERT_FEQ(mr_cursor_read_f32be(c), 0.0);
    ASSERT_FEQ(mr_cursor_read_f64le(c), 0.0);
    ASSERT_EQ(mr_cursor_read_uleb128(c), 0u);
    ASSERT_EQ(mr_cursor_read_sleb128(c), 0);
    ASSERT_ERR(mr_cursor_read_exact(c, dst, 1), err);
    ASSERT_ERR(mr_cursor_read_exact(c, dst, 0), err);
    ASSERT_EQ(mr_cursor_read_upto(c, dst, sizeof dst), (size_t)0);
    ASSERT_EQ(mr_cursor_read_upto(c, dst, 0), (size_t)0);
    set_sentinel(&out, sizeof out);
    ASSERT_ERR(mr_cursor_read_region(c, 1, &out), err);
    ASSERT_ERR(mr_cursor_read_region(c, 0, &out), err);
    ASSERT_ALL_BYTES(&out, sizeof out, SENTINEL);
    ASSERT_ERR(mr_cursor_read_str(c, 1, (char *)dst, sizeof dst), err);
    ASSERT_ERR(mr_cursor_read_str(c, 0, (char *)dst, sizeof dst), err);
    ASSERT_ERR(mr_cursor_read_str(c, 1, NULL, 0), err); /* would be -EINVAL */
    ASSERT_ERR(mr_cursor_read_cstr(c, (char *)dst, sizeof dst), err);
    ASSERT_ERR(mr_cursor_read_cstr(c, NULL, 0), err);
    ASSERT_ERR(mr_cursor_read_cstr_region(c, &out), err);
    ASSERT_ALL_BYTES(&out, sizeof out, SENTINEL);
    ASSERT_ALL_BYTES(dst, sizeof dst, SENTINEL);

    /* Writes of every kind. */
    ASSERT_ERR(mr_cursor_write_u8(c, 0xee), err);
    ASSERT_ERR(mr_cursor_write_i16le(c, -2), err);
    ASSERT_ERR(mr_cursor_write_u32be(c, 0xeeeeeeee), err);
    ASSERT_ERR(mr_cursor_write_u64le(c, 1), err);
    ASSERT_ERR(mr_cursor_write_f32(c, 1.0f), err);
    ASSERT_ERR(mr_cursor_write_f64be(c, 2.0), err);
    ASSERT_ERR(mr_cursor_write_bytes(c, "xy", 2), err);
    ASSERT_ERR(mr_cursor_write_bytes(c, "xy", 0), err);
    ASSERT_ERR(mr_cursor_write_fill(c, 0xee, 3), err);
    ASSERT_ERR(mr_cursor_write_fill(c, 0xee, 0), err);
    ASSERT_ERR(mr_cursor_write_str(c, "ab", 4), err);
    ASSERT_ERR(mr_cursor_write_str(c, "", 0), err);
    ASSERT_ERR(mr_cursor_write_str(c, "abcdef", 4), err); /* would be -EOVERFLOW */
    ASSERT_ERR(mr_cursor_write_cstr(c, "ab"), err);
    ASSERT_ERR(mr_cursor_write_cstr(c, ""), err);
    ASSERT_ERR(mr_cursor_write_uleb128(c, 300), err);
    ASSERT_ERR(mr_cursor_write_sleb128(c, -300), err);

    /* Seeks, valid or not, return the recorded error and move nothing. */
    ASSERT_ERR(mr_cursor_seek(c, 0, SEEK_SET), err);
    ASSERT_ERR(mr_cursor_seek(c, 0, SEEK_END), err);
    ASSERT_ERR(mr_cursor_seek(c, -1, SEEK_SET), err);
    ASSERT_ERR(mr_cursor_seek(c, 0, 12345), err);

    ASSERT_EQ(mr_cursor_error(c), err);
    ASSERT_EQ(mr_cursor_tell(c), pos);
    ASSERT_EQ(mr_cursor_remaining(c), rem);
    struct mr_region after = mr_cursor_data(c);
    ASSERT_REGION(after, data.ptr, data.len, data.flags);
    ASSERT_MEM_EQ(after.ptr, snap, data.len);
    check_ctx = NULL;
}

/* ---- init, tell, remaining, data -------------------------------------------- */

static void test_init(void)
{
    unsigned char buf[24];
    struct mr_cursor c;

    memset(buf, 0, sizeof buf);
    mr_cursor_init(&c, mr_region_make(buf, sizeof buf));
    ASSERT_EQ(mr_cursor_tell(&c), (size_t)0);
    ASSERT_EQ(mr_cursor_remaining(&c), (size_t)24);
    ASSERT_EQ(mr_cursor_error(&c), 0);
    ASSERT_REGION(mr_cursor_data(&c), buf, 24, 0);
    ASSERT_OK(mr_cursor_write_u32le(&c, 7));
    ASSERT_EQ(mr_cursor_tell(&c), (size_t)4);
    ASSERT_EQ(mr_cursor_remaining(&c), (size_t)20);
    /* Writing inside a fixed region never changes how much there is to read. */
    ASSERT_REGION(mr_cursor_data(&c), buf, 24, 0);

    mr_cursor_init(&c, mr_region_make_ro(buf + 4, 10));
    ASSERT_EQ(mr_cursor_tell(&c), (size_t)0);
    ASSERT_EQ(mr_cursor_remaining(&c), (size_t)10);
    ASSERT_EQ(mr_cursor_error(&c), 0);
    ASSERT_REGION(mr_cursor_data(&c), buf + 4, 10, MR_REGION_RDONLY);
    ASSERT_EQ(mr_cursor_read_u16le(&c), 0);
    ASSERT_EQ(mr_cursor_remaining(&c), (size_t)8);

    /* Re-initialising forgets everything, the error included. */
    ASSERT_ERR(mr_cursor_write_u8(&c, 1), -EACCES);
    mr_cursor_init(&c, mr_region_make(buf, 3));
    ASSERT_EQ(mr_cursor_error(&c), 0);
    ASSERT_EQ(mr_cursor_tell(&c), (size_t)0);
    ASSERT_REGION(mr_cursor_data(&c), buf, 3, 0);

    /* mr_cursor_fini on a cursor over a region frees nothing (valgrind and
     * ASan would see a bad free) and leaves the memory alone. */
    mr_cursor_init(&c, mr_region_make(buf, sizeof buf));
    ASSERT_EQ(mr_cursor_read_u8(&c), 7u);
    mr_cursor_fini(&c);
    ASSERT_EQ(buf[0], 7);
    /* ... and is a no-op, as the header says: position and data stay. */
    ASSERT_EQ(mr_cursor_tell(&c), (size_t)1);
    ASSERT_EQ(mr_cursor_remaining(&c), sizeof buf - 1);
    ASSERT_REGION(mr_cursor_data(&c), buf, sizeof buf, 0);
    struct mr_region out;
    set_sentinel(&out, sizeof out);
    mr_cursor_init(&c, mr_region_make(buf, sizeof buf));
    ASSERT_ERR(mr_cursor_take(&c, &out), -EINVAL);
    ASSERT_ALL_BYTES(&out, sizeof out, SENTINEL);
    ASSERT_EQ(mr_cursor_error(&c), 0);
}

/* An empty region (NULL pointer): every call behaves, nothing dereferences
 * the pointer (valgrind/ASan), and zero-length operations succeed. */
static void test_empty_region(void)
{
    struct mr_cursor c;
    struct mr_region out;
    char dst[4];

    for (int ro = 0; ro <= 1; ro++) {
        struct mr_region r = ro ? mr_region_make_ro(NULL, 0) : mr_region_make(NULL, 0);
        mr_cursor_init(&c, r);
        ASSERT_EQ(mr_cursor_remaining(&c), (size_t)0);
        ASSERT_OK(mr_cursor_seek(&c, 0, SEEK_SET));
        ASSERT_OK(mr_cursor_seek(&c, 0, SEEK_END));
        ASSERT_OK(mr_cursor_read_exact(&c, dst, 0));
        ASSERT_EQ(mr_cursor_read_upto(&c, dst, sizeof dst), (size_t)0);
        set_sentinel(&out, sizeof out);
        ASSERT_OK(mr_cursor_read_region(&c, 0, &out));
        ASSERT_EQ(out.len, (size_t)0);
        ASSERT_EQ(out.flags, ro ? MR_REGION_RDONLY : 0u);
        set_sentinel(dst, sizeof dst);
        ASSERT_EQ(mr_cursor_read_str(&c, 0, dst, sizeof dst), 0);
        ASSERT_STR_EQ(dst, "");
        ASSERT_EQ(mr_cursor_error(&c), 0);
        if (!ro) {
            ASSERT_OK(mr_cursor_write_bytes(&c, "x", 0));
            ASSERT_OK(mr_cursor_write_fill(&c, 1, 0));
            ASSERT_OK(mr_cursor_write_str(&c, "", 0));
            ASSERT_EQ(mr_cursor_error(&c), 0);
            ASSERT_ERR(mr_cursor_write_u8(&c, 1), -ERANGE);
        } else {
            ASSERT_ERR(mr_cursor_write_fill(&c, 1, 0), -EACCES);
        }
        mr_cursor_clear_error(&c);
        ASSERT_EQ(mr_cursor_read_u8(&c), 0);
        ASSERT_EQ(mr_cursor_error(&c), -ERANGE);
        check_sticky(&c, -ERANGE, "read on an empty region");
        mr_cursor_clear_error(&c);
        ASSERT_ERR(mr_cursor_read_cstr_region(&c, &out), -EBADMSG);
        check_sticky(&c, -EBADMSG, "read_cstr_region on an empty region");
    }
}

/* ---- seeks ------------------------------------------------------------------ */

static void test_seek(void)
{
    unsigned char buf[10];
    struct mr_cursor c;

    for (int ro = 0; ro <= 1; ro++) {
        for (size_t i = 0; i < sizeof buf; i++)
            buf[i] = (unsigned char)(0x30 + i);
        mr_cursor_init(&c, ro ? mr_region_make_ro(buf, sizeof buf) : mr_region_make(buf, sizeof buf));

        ASSERT_OK(mr_cursor_seek(&c, 4, SEEK_SET));
        ASSERT_EQ(mr_cursor_tell(&c), (size_t)4);
        ASSERT_EQ(mr_cursor_remaining(&c), (size_t)6);
        ASSERT_EQ(mr_cursor_read_u8(&c), 0x34);
        ASSERT_OK(mr_cursor_seek(&c, 0, SEEK_SET));
        ASSERT_EQ(mr_cursor_tell(&c), (size_t)0);
        ASSERT_OK(mr_cursor_seek(&c, 10, SEEK_SET));
        ASSERT_EQ(mr_cursor_tell(&c), (size_t)10);
        ASSERT_EQ(mr_cursor_remaining(&c), (size_t)0);
        ASSERT_OK(mr_cursor_seek(&c, -3, SEEK_CUR));
        ASSERT_EQ(mr_cursor_tell(&c), (size_t)7);
        ASSERT_OK(mr_cursor_seek(&c, 2, SEEK_CUR));
        ASSERT_EQ(mr_cursor_tell(&c), (size_t)9);
        ASSERT_OK(mr_cursor_seek(&c, 0, SEEK_CUR));
        ASSERT_EQ(mr_cursor_tell(&c), (size_t)9);
        ASSERT_OK(mr_cursor_seek(&c, 1, SEEK_CUR));
        ASSERT_EQ(mr_cursor_tell(&c), (size_t)10);
        ASSERT_OK(mr_cursor_seek(&c, -10, SEEK_CUR));
        ASSERT_EQ(mr_cursor_tell(&c), (size_t)0);
        ASSERT_OK(mr_cursor_seek(&c, 0, SEEK_END));
        ASSERT_EQ(mr_cursor_tell(&c), (size_t)10);
        ASSERT_OK(mr_cursor_seek(&c, -10, SEEK_END));
        ASSERT_EQ(mr_cursor_tell(&c), (size_t)0);
        ASSERT_OK(mr_cursor_seek(&c, -4, SEEK_END));
        ASSERT_EQ(mr_cursor_tell(&c), (size_t)6);
        ASSERT_EQ(mr_cursor_read_u8(&c), 0x36);
        ASSERT_EQ(mr_cursor_error(&c), 0);

        /* Outside, both ways, and offsets that overflow any sum: -ERANGE,
         * recorded, the position unchanged. */
        static const struct {
            int64_t off;
            int whence;
        } bad[] = {
            { 11, SEEK_SET },        { -1, SEEK_SET },        { 7, SEEK_CUR },
            { -5, SEEK_CUR },        { 1, SEEK_END },         { -11, SEEK_END },
            { INT64_MIN, SEEK_SET }, { INT64_MIN, SEEK_CUR }, { INT64_MIN, SEEK_END },
            { INT64_MAX, SEEK_SET }, { INT64_MAX, SEEK_CUR }, { INT64_MAX, SEEK_END },
            { INT64_MIN + 4, SEEK_CUR }, { (int64_t)1 << 62, SEEK_SET },
        };
        for (size_t i = 0; i < MR_TEST_COUNT(bad); i++) {
            ASSERT_OK(mr_cursor_seek(&c, 4, SEEK_SET));
            ASSERT_ERR(mr_cursor_seek(&c, bad[i].off, bad[i].whence), -ERANGE);
            ASSERT_EQ(mr_cursor_tell(&c), (size_t)4);
            ASSERT_EQ(mr_cursor_error(&c), -ERANGE);
            if (i == 0)
                check_sticky(&c, -ERANGE, "seek outside");
            mr_cursor_clear_error(&c);
            ASSERT_EQ(mr_cursor_error(&c), 0);
            ASSERT_EQ(mr_cursor_tell(&c), (size_t)4);
            ASSERT_EQ(mr_cursor_read_u8(&c), 0x34);
        }

        /* A bad whence: -EINVAL, recorded, the position unchanged. */
        static const int bad_whence[] = { -1, 3, 4, 99, INT_MIN, INT_MAX };
        for (size_t i = 0; i < MR_TEST_COUNT(bad_whence); i++) {
            ASSERT_OK(mr_cursor_seek(&c, 3, SEEK_SET));
            ASSERT_ERR(mr_cursor_seek(&c, 0, bad_whence[i]), -EINVAL);
            ASSERT_EQ(mr_cursor_tell(&c), (size_t)3);
            ASSERT_EQ(mr_cursor_error(&c), -EINVAL);
            if (i == 0)
                check_sticky(&c, -EINVAL, "bad whence");
            mr_cursor_clear_error(&c);
            ASSERT_EQ(mr_cursor_read_u8(&c), 0x33);
        }

        /* The first error is the one kept. */
        ASSERT_OK(mr_cursor_seek(&c, 2, SEEK_SET));
        ASSERT_ERR(mr_cursor_seek(&c, 0, 77), -EINVAL);
        ASSERT_ERR(mr_cursor_seek(&c, 100, SEEK_SET), -EINVAL);
        ASSERT_EQ(mr_cursor_error(&c), -EINVAL);
        mr_cursor_clear_error(&c);
        ASSERT_ERR(mr_cursor_seek(&c, 100, SEEK_SET), -ERANGE);
        ASSERT_ERR(mr_cursor_seek(&c, 0, 77), -ERANGE);
        ASSERT_EQ(mr_cursor_error(&c), -ERANGE);
        mr_cursor_clear_error(&c);
        ASSERT_EQ(mr_cursor_tell(&c), (size_t)2);
    }
}

/* ---- typed reads and writes -------------------------------------------------
 * Every type in every byte order, from bit patterns: the value's bits give the
 * expected bytes independently of the library (least significant first for
 * le, most significant first for be, the host's order for the plain names). */

enum ord { HOST, LE, BE };

static uint64_t to_bits(const void *p, size_t n)
{
    switch (n) {
    case 1: { uint8_t x; memcpy(&x, p, 1); return x; }
    case 2: { uint16_t x; memcpy(&x, p, 2); return x; }
    case 4: { uint32_t x; memcpy(&x, p, 4); return x; }
    default: { uint64_t x; memcpy(&x, p, 8); return x; }
    }
}

static void from_bits(void *p, size_t n, uint64_t bits)
{
    switch (n) {
    case 1: { uint8_t x = (uint8_t)bits; memcpy(p, &x, 1); break; }
    case 2: { uint16_t x = (uint16_t)bits; memcpy(p, &x, 2); break; }
    case 4: { uint32_t x = (uint32_t)bits; memcpy(p, &x, 4); break; }
    default: memcpy(p, &bits, 8); break;
    }
}

static void expected_bytes(uint64_t bits, size_t n, enum ord o, unsigned char *out)
{
    if (o == HOST)
        o = __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? LE : BE;
    for (size_t i = 0; i < n; i++) {
        unsigned char b = (unsigned char)(bits >> (8 * i));
        out[o == LE ? i : n - 1 - i] = b;
    }
}

#define FOR_EACH_TYPE(X)                                                        \
    X(u8, uint8_t, HOST) X(u8le, uint8_t, LE) X(u8be, uint8_t, BE)              \
    X(u16, uint16_t, HOST) X(u16le, uint16_t, LE) X(u16be, uint16_t, BE)        \
    X(u32, uint32_t, HOST) X(u32le, uint32_t, LE) X(u32be, uint32_t, BE)        \
    X(u64, uint64_t, HOST) X(u64le, uint64_t, LE) X(u64be, uint64_t, BE)        \
    X(i8, int8_t, HOST) X(i8le, int8_t, LE) X(i8be, int8_t, BE)                 \
    X(i16, int16_t, HOST) X(i16le, int16_t, LE) X(i16be, int16_t, BE)           \
    X(i32, int32_t, HOST) X(i32le, int32_t, LE) X(i32be, int32_t, BE)           \
    X(i64, int64_t, HOST) X(i64le, int64_t, LE) X(i64be, int64_t, BE)           \
    X(f32, float, HOST) X(f32le, float, LE) X(f32be, float, BE)                 \
    X(f64, double, HOST) X(f64le, double, LE) X(f64be, double, BE)

/* One type, one value: round trip after an unaligned prefix, the exact bytes,
 * nothing beyond them touched; then the exact fit, one byte short (read and
 * write, from the start and from inside), and a read-only region. */
#define DEFINE_CHECK_RW(name, type, o)                                          \
    static void check_rw_##name(uint64_t pattern)                               \
    {                                                                           \
        type v, got;                                                            \
        unsigned char want[8], buf[1 + 8 + 4];                                  \
        const size_t n = sizeof(type);                                          \
        struct mr_cursor c;                                                     \
        check_ctx = "typed " #name;                                             \
        from_bits(&v, n, pattern);                                              \
        uint64_t vb = to_bits(&v, n);                                           \
        expected_bytes(vb, n, o, want);                                         \
        memset(buf, GUARD, sizeof buf);                                         \
        mr_cursor_init(&c, mr_region_make(buf, 1 + n + 1));                     \
        ASSERT_OK(mr_cursor_write_u8(&c, 0x11));                                \
        ASSERT_OK(mr_cursor_write_##name(&c, v));                               \
        ASSERT_EQ(mr_cursor_tell(&c), 1 + n);                                   \
        ASSERT_EQ(mr_cursor_remaining(&c), (size_t)1);                          \
        ASSERT_EQ(mr_cursor_error(&c), 0);                                      \
        ASSERT_EQ(buf[0], 0x11);                                                \
        ASSERT_MEM_EQ(buf + 1, want, n);                                        \
        ASSERT_ALL_BYTES(buf + 1 + n, sizeof buf - 1 - n, GUARD);               \
        mr_cursor_init(&c, mr_region_make_ro(buf, 1 + n + 1));                  \
        ASSERT_EQ(mr_cursor_read_u8(&c), 0x11);                                 \
        got = mr_cursor_read_##name(&c);                                        \
        ASSERT_EQ(to_bits(&got, n), vb);                                        \
        ASSERT_EQ(mr_cursor_tell(&c), 1 + n);                                   \
        ASSERT_EQ(mr_cursor_error(&c), 0);                                      \
        /* Exactly the length: fits, and the next one does not. */             \
        mr_cursor_init(&c, mr_region_make(buf + 1, n));                         \
        got = mr_cursor_read_##name(&c);                                        \
        ASSERT_EQ(to_bits(&got, n), vb);                                        \
        ASSERT_EQ(mr_cursor_remaining(&c), (size_t)0);                          \
        got = mr_cursor_read_##name(&c);                                        \
        ASSERT_EQ(to_bits(&got, n), (uint64_t)0);                               \
        ASSERT_EQ(mr_cursor_tell(&c), n);                                       \
        ASSERT_EQ(mr_cursor_error(&c), -ERANGE);                                \
        mr_cursor_init(&c, mr_region_make(buf + 1, n));                         \
        ASSERT_OK(mr_cursor_write_##name(&c, v));                               \
        ASSERT_ERR(mr_cursor_write_##name(&c, v), -ERANGE);                     \
        ASSERT_EQ(mr_cursor_tell(&c), n);                                       \
        /* One byte short, from the start: nothing read, written or moved. */  \
        memset(buf, GUARD, sizeof buf);                                         \
        mr_cursor_init(&c, mr_region_make(buf + 1, n - 1));                     \
        got = mr_cursor_read_##name(&c);                                        \
        ASSERT_EQ(to_bits(&got, n), (uint64_t)0);                               \
        ASSERT_EQ(mr_cursor_tell(&c), (size_t)0);                               \
        ASSERT_EQ(mr_cursor_error(&c), -ERANGE);                                \
        mr_cursor_init(&c, mr_region_make(buf + 1, n - 1));                     \
        ASSERT_ERR(mr_cursor_write_##name(&c, v), -ERANGE);                     \
        ASSERT_EQ(mr_cursor_tell(&c), (size_t)0);                               \
        ASSERT_EQ(mr_cursor_error(&c), -ERANGE);                                \
        ASSERT_ALL_BYTES(buf, sizeof buf, GUARD);                               \
        /* One byte short, from inside. */                                     \
        mr_cursor_init(&c, mr_region_make(buf, n));                             \
        ASSERT_OK(mr_cursor_seek(&c, 1, SEEK_SET));                             \
        ASSERT_ERR(mr_cursor_write_##name(&c, v), -ERANGE);                     \
        ASSERT_EQ(mr_cursor_tell(&c), (size_t)1);                               \
        ASSERT_ALL_BYTES(buf, sizeof buf, GUARD);                               \
        mr_cursor_clear_error(&c);                                              \
        got = mr_cursor_read_##name(&c);                                        \
        ASSERT_EQ(to_bits(&got, n), (uint64_t)0);                               \
        ASSERT_EQ(mr_cursor_tell(&c), (size_t)1);                               \
        ASSERT_EQ(mr_cursor_error(&c), -ERANGE);                                \
        /* Read-only: refused with -EACCES even where it would fit. */         \
        mr_cursor_init(&c, mr_region_make_ro(buf, sizeof buf));                 \
        ASSERT_ERR(mr_cursor_write_##name(&c, v), -EACCES);                     \
        ASSERT_EQ(mr_cursor_tell(&c), (size_t)0);                               \
        ASSERT_EQ(mr_cursor_error(&c), -EACCES);                                \
        ASSERT_ALL_BYTES(buf, sizeof buf, GUARD);                               \
        check_ctx = NULL;                                                       \
    }
FOR_EACH_TYPE(DEFINE_CHECK_RW)

#define CALL_CHECK_RW(name, type, o) check_rw_##name(pattern);
static void check_rw_all(uint64_t pattern) { FOR_EACH_TYPE(CALL_CHECK_RW) }

/* Every numeric element type the library knows (MR_TYPE_U8 .. MR_TYPE_F64 in
 * view.h), in three byte orders. */
#define COUNT_TYPE(name, type, o) +1
_Static_assert(0 FOR_EACH_TYPE(COUNT_TYPE) == 3 * (MR_TYPE_F64 - MR_TYPE_U8 + 1),
               "every numeric type of view.h in three byte orders");

static void test_typed(void)
{
    static const uint64_t patterns[] = {
        0, 1, 0x80, 0xff, 0x7f, 0x0102030405060708u, 0x8000000000000000u, 0x7fffffffffffffffu,
        UINT64_MAX, 0x80008000800080u, 0x3ff0000000000000u /* 1.0 */, 0x7ff8000000000001u /* NaN */,
        0x3fc00000u /* 1.5f */, 0x7f800000u /* inf f */, 0xff800001u /* f32 NaN */,
    };
    for (size_t i = 0; i < MR_TEST_COUNT(patterns); i++)
        check_rw_all(patterns[i]);
    for (int i = 0; i < 300; i++)
        check_rw_all(mr_test_rand(&rng_state));

    /* Known vectors, written by hand, and values of the signed types. */
    unsigned char buf[8];
    struct mr_cursor c;
    mr_cursor_init(&c, MR_REGION_OF_ARRAY(buf));
    ASSERT_OK(mr_cursor_write_u32be(&c, 0x01020304));
    ASSERT_OK(mr_cursor_write_u32le(&c, 0x01020304));
    ASSERT_MEM_EQ(buf, "\x01\x02\x03\x04\x04\x03\x02\x01", 8);
    mr_cursor_init(&c, MR_REGION_OF_ARRAY(buf));
    ASSERT_OK(mr_cursor_write_f32be(&c, 1.0f));
    ASSERT_OK(mr_cursor_write_i16le(&c, -2));
    ASSERT_OK(mr_cursor_write_i16be(&c, -2));
    ASSERT_MEM_EQ(buf, "\x3f\x80\x00\x00\xfe\xff\xff\xfe", 8);
    mr_cursor_init(&c, MR_REGION_OF_ARRAY(buf));
    ASSERT_OK(mr_cursor_write_f64le(&c, -2.5));
    ASSERT_MEM_EQ(buf, "\x00\x00\x00\x00\x00\x00\x04\xc0", 8);
    mr_cursor_init(&c, mr_region_make_ro(buf, 8));
    ASSERT_FEQ(mr_cursor_read_f64le(&c), -2.5);
    ASSERT_OK(mr_cursor_seek(&c, 0, SEEK_SET));
    ASSERT_EQ(mr_cursor_read_i32le(&c), 0);
    ASSERT_EQ(mr_cursor_read_i16be(&c), 0);
    ASSERT_EQ(mr_cursor_read_i8(&c), 4);
    ASSERT_EQ(mr_cursor_read_i8be(&c), -64);
    static const unsigned char ff[8] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x80 };
    mr_cursor_init(&c, mr_region_make_ro(ff, 8));
    ASSERT_EQ(mr_cursor_read_i32be(&c), -1);
    ASSERT_EQ(mr_cursor_read_i16le(&c), -1);
    ASSERT_EQ(mr_cursor_read_i16be(&c), -128);
    ASSERT_OK(mr_cursor_seek(&c, 0, SEEK_SET));
    ASSERT_EQ(mr_cursor_read_i64le(&c), (int64_t)0x80ffffffffffffffu);
    ASSERT_OK(mr_cursor_seek(&c, 0, SEEK_SET));
    ASSERT_EQ(mr_cursor_read_i64be(&c), (int64_t)-128);
    ASSERT_OK(mr_cursor_seek(&c, 0, SEEK_SET));
    ASSERT_EQ(mr_cursor_read_u64be(&c), 0xffffffffffffff80u);

    /* A long sequence of mixed writes then reads, back to back. */
    unsigned char big[4096];
    uint64_t seed = rng_state;
    mr_cursor_init(&c, MR_REGION_OF_ARRAY(big));
    size_t written = 0;
    for (int i = 0; i < 200; i++) {
        uint64_t p = mr_test_rand(&rng_state);
        ASSERT_OK(mr_cursor_write_u16be(&c, (uint16_t)p));
        ASSERT_OK(mr_cursor_write_i32le(&c, (int32_t)p));
        ASSERT_OK(mr_cursor_write_u64be(&c, p));
        ASSERT_OK(mr_cursor_write_i8(&c, (int8_t)p));
        written += 15;
    }
    ASSERT_EQ(mr_cursor_tell(&c), written);
    rng_state = seed;
    mr_cursor_init(&c, mr_region_make_ro(big, written));
    for (int i = 0; i < 200; i++) {
        uint64_t p = mr_test_rand(&rng_state);
        ASSERT_EQ(mr_cursor_read_u16be(&c), (uint16_t)p);
        ASSERT_EQ(mr_cursor_read_i32le(&c), (int32_t)p);
        ASSERT_EQ(mr_cursor_read_u64be(&c), p);
        ASSERT_EQ(mr_cursor_read_i8(&c), (int8_t)p);
    }
    ASSERT_EQ(mr_cursor_remaining(&c), (size_t)0);
    ASSERT_EQ(mr_cursor_error(&c), 0);
}

/* ---- each kind of first error is sticky ------------------------------------- */

static void test_sticky(void)
{
    unsigned char buf[16];
    struct mr_cursor c;
    char dst[8];
    struct mr_region out;

    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = (unsigned char)(0x40 + i);

    /* A read out of bounds. */
    mr_cursor_init(&c, MR_REGION_OF_ARRAY(buf));
    ASSERT_OK(mr_cursor_seek(&c, 13, SEEK_SET));
    ASSERT_EQ(mr_cursor_read_u32le(&c), 0u);
    ASSERT_EQ(mr_cursor_tell(&c), (size_t)13);
    check_sticky(&c, -ERANGE, "read out of bounds");
    mr_cursor_clear_error(&c);
    ASSERT_EQ(mr_cursor_tell(&c), (size_t)13);
    ASSERT_EQ(mr_cursor_read_u16be(&c), 0x4d4e);
    ASSERT_OK(mr_cursor_write_u8(&c, 0x99));
    ASSERT_EQ(buf[15], 0x99);
    buf[15] = 0x4f;

    /* A write out of bounds. */
    mr_cursor_init(&c, MR_REGION_OF_ARRAY(buf));
    ASSERT_OK(mr_cursor_seek(&c, 10, SEEK_SET));
    ASSERT_ERR(mr_cursor_write_u64be(&c, 0), -ERANGE);
    check_sticky(&c, -ERANGE, "write out of bounds");
    mr_cursor_clear_error(&c);
    ASSERT_EQ(mr_cursor_tell(&c), (size_t)10);
    ASSERT_EQ(mr_cursor_read_u8(&c), 0x4a);

    /* A truncated varint (malformed: runs past the data). */
    mr_cursor_init(&c, mr_region_make_ro("\x05\x80\x80", 3));
    ASSERT_EQ(mr_cursor_read_uleb128(&c), 5u);
    ASSERT_EQ(mr_cursor_read_uleb128(&c), 0u);
    ASSERT_EQ(mr_cursor_tell(&c), (size_t)1);
    check_sticky(&c, -ERANGE, "truncated uleb128");
    mr_cursor_clear_error(&c);
    ASSERT_EQ(mr_cursor_read_u8(&c), 0x80);

    /* A varint that overflows, unsigned and signed. */
    static const unsigned char ov[] = { 0x01, 0xff, 0xff, 0xff, 0xff, 0xff,
                                        0xff, 0xff, 0xff, 0xff, 0x02, 0x33 };
    mr_cursor_init(&c, mr_region_make_ro(ov, sizeof ov));
    ASSERT_EQ(mr_cursor_read_u8(&c), 1);
    ASSERT_EQ(mr_cursor_read_uleb128(&c), 0u);
    check_sticky(&c, -EOVERFLOW, "uleb128 overflow");
    mr_cursor_clear_error(&c);
    ASSERT_EQ(mr_cursor_tell(&c), (size_t)1);
    ASSERT_EQ(mr_cursor_read_sleb128(&c), 0);
    check_sticky(&c, -EOVERFLOW, "sleb128 overflow");
    mr_cursor_clear_error(&c);
    ASSERT_EQ(mr_cursor_read_u8(&c), 0xff);

    /* A C string without its NUL. */
    mr_cursor_init(&c, mr_region_make_ro("ab\0cd", 5));
    ASSERT_EQ(mr_cursor_read_cstr(&c, dst, sizeof dst), 2);
    ASSERT_EQ(mr_cursor_read_cstr(&c, dst, sizeof dst), -EBADMSG);
    ASSERT_STR_EQ(dst, "ab");
    check_sticky(&c, -EBADMSG, "cstr without NUL");
    mr_cursor_clear_error(&c);
    ASSERT_OK(mr_cursor_read_region(&c, 2, &out));
    ASSERT_MEM_EQ(out.ptr, "cd", 2);

    /* Strings: too long for dst, bad arguments, and too long for the field. */
    mr_cursor_init(&c, mr_region_make_ro("abcdefghij", 10));
    ASSERT_EQ(mr_cursor_read_str(&c, 10, dst, sizeof dst), -EOVERFLOW);
    check_sticky(&c, -EOVERFLOW, "read_str too long");
    mr_cursor_clear_error(&c);
    ASSERT_EQ(mr_cursor_read_str(&c, 3, dst, 4), 3);
    ASSERT_STR_EQ(dst, "abc");
    ASSERT_EQ(mr_cursor_read_str(&c, 3, NULL, 4), -EINVAL);
    check_sticky(&c, -EINVAL, "read_str NULL dst");
    mr_cursor_clear_error(&c);
    ASSERT_EQ(mr_cursor_read_cstr(&c, dst, 0), -EINVAL);
    ASSERT_EQ(mr_cursor_error(&c), -EINVAL);
    mr_cursor_clear_error(&c);
    ASSERT_EQ(mr_cursor_tell(&c), (size_t)3);
    mr_cursor_init(&c, MR_REGION_OF_ARRAY(buf));
    ASSERT_ERR(mr_cursor_write_str(&c, "abcde", 4), -EOVERFLOW);
    check_sticky(&c, -EOVERFLOW, "write_str too long");
    mr_cursor_clear_error(&c);
    ASSERT_EQ(mr_cursor_read_u8(&c), 0x40);

    /* A write to a read-only region, at the start and further in. */
    mr_cursor_init(&c, mr_region_make_ro(buf, sizeof buf));
    ASSERT_ERR(mr_cursor_write_u8(&c, 0), -EACCES);
    check_sticky(&c, -EACCES, "write to read-only at 0");
    mr_cursor_clear_error(&c);
    ASSERT_EQ(mr_cursor_read_u32be(&c), 0x40414243u);
    ASSERT_ERR(mr_cursor_write_bytes(&c, "x", 1), -EACCES);
    check_sticky(&c, -EACCES, "write to read-only at 4");
    mr_cursor_clear_error(&c);
    ASSERT_EQ(mr_cursor_read_u8(&c), 0x44);
    /* Zero-length writes are writes too, wherever the cursor is. */
    ASSERT_ERR(mr_cursor_write_bytes(&c, "x", 0), -EACCES);
    mr_cursor_clear_error(&c);
    ASSERT_OK(mr_cursor_seek(&c, 0, SEEK_SET));
    ASSERT_ERR(mr_cursor_write_bytes(&c, "x", 0), -EACCES);
    mr_cursor_clear_error(&c);
    ASSERT_ERR(mr_cursor_write_fill(&c, 0, 0), -EACCES);
    mr_cursor_clear_error(&c);
    ASSERT_ERR(mr_cursor_write_str(&c, "", 0), -EACCES);
    mr_cursor_clear_error(&c);

    /* A bad seek. */
    mr_cursor_init(&c, MR_REGION_OF_ARRAY(buf));
    ASSERT_OK(mr_cursor_seek(&c, 5, SEEK_SET));
    ASSERT_ERR(mr_cursor_seek(&c, 17, SEEK_SET), -ERANGE);
    check_sticky(&c, -ERANGE, "bad seek");
    mr_cursor_clear_error(&c);
    ASSERT_EQ(mr_cursor_read_u8(&c), 0x45);

    /* The first error is kept whatever comes after it. */
    mr_cursor_init(&c, mr_region_make_ro(buf, sizeof buf));
    ASSERT_ERR(mr_cursor_write_u16(&c, 0), -EACCES);
    ASSERT_ERR(mr_cursor_seek(&c, 0, 9), -EACCES);
    ASSERT_EQ(mr_cursor_read_cstr(&c, dst, sizeof dst), -EACCES);
    ASSERT_EQ(mr_cursor_error(&c), -EACCES);
    mr_cursor_clear_error(&c);
    ASSERT_ERR(mr_cursor_seek(&c, 0, 9), -EINVAL);
    ASSERT_ERR(mr_cursor_write_u16(&c, 0), -EINVAL);
    ASSERT_EQ(mr_cursor_error(&c), -EINVAL);
    mr_cursor_clear_error(&c);
    ASSERT_EQ(mr_cursor_error(&c), 0);

    /* Clearing with no error recorded changes nothing. */
    mr_cursor_init(&c, MR_REGION_OF_ARRAY(buf));
    ASSERT_OK(mr_cursor_seek(&c, 7, SEEK_SET));
    mr_cursor_clear_error(&c);
    ASSERT_EQ(mr_cursor_tell(&c), (size_t)7);
    ASSERT_EQ(mr_cursor_read_u8(&c), 0x47);
}

/* ---- bytes ------------------------------------------------------------------ */

static void test_bytes(void)
{
    unsigned char buf[10], dst[16];
    struct mr_cursor c;
    struct mr_region out;

    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = (unsigned char)i;

    /* read_exact: all or nothing. */
    mr_cursor_init(&c, MR_REGION_OF_ARRAY(buf));
    set_sentinel(dst, sizeof dst);
    ASSERT_OK(mr_cursor_read_exact(&c, dst, 4));
    ASSERT_MEM_EQ(dst, "\0\1\2\3", 4);
    ASSERT_ALL_BYTES(dst + 4, sizeof dst - 4, SENTINEL);
    ASSERT_OK(mr_cursor_read_exact(&c, dst, 0));
    ASSERT_EQ(mr_cursor_tell(&c), (size_t)4);
    set_sentinel(dst, sizeof dst);
    ASSERT_ERR(mr_cursor_read_exact(&c, dst, 7), -ERANGE);
    ASSERT_ALL_BYTES(dst, sizeof dst, SENTINEL);
    ASSERT_EQ(mr_cursor_tell(&c), (size_t)4);
    mr_cursor_clear_error(&c);
    /* Through a volatile, so that the compiler does not warn about a memcpy
     * of SIZE_MAX bytes on the (unreachable) success path. */
    volatile size_t huge_v = SIZE_MAX;
    size_t huge = huge_v;
    ASSERT_ERR(mr_cursor_read_exact(&c, dst, huge), -ERANGE);
    ASSERT_ERR(mr_cursor_error(&c), -ERANGE);
    mr_cursor_clear_error(&c);
    ASSERT_ERR(mr_cursor_read_exact(&c, dst, huge - 2), -ERANGE);
    mr_cursor_clear_error(&c);
    ASSERT_ALL_BYTES(dst, sizeof dst, SENTINEL);
    ASSERT_OK(mr_cursor_read_exact(&c, dst, 6));
    ASSERT_MEM_EQ(dst, "\4\5\6\7\10\11", 6);
    ASSERT_EQ(mr_cursor_remaining(&c), (size_t)0);
    ASSERT_OK(mr_cursor_read_exact(&c, dst, 0));
    ASSERT_ERR(mr_cursor_read_exact(&c, dst, 1), -ERANGE);

    /* read_upto: short at the end, then 0, never an error. */
    mr_cursor_init(&c, MR_REGION_OF_ARRAY(buf));
    ASSERT_OK(mr_cursor_seek(&c, 7, SEEK_SET));
    set_sentinel(dst, sizeof dst);
    ASSERT_EQ(mr_cursor_read_upto(&c, dst, 0), (size_t)0);
    ASSERT_EQ(mr_cursor_read_upto(&c, dst, 2), (size_t)2);
    ASSERT_MEM_EQ(dst, "\7\10", 2);
    ASSERT_EQ(mr_cursor_read_upto(&c, dst, 5), (size_t)1);
    ASSERT_EQ(dst[0], 9);
    ASSERT_ALL_BYTES(dst + 2, sizeof dst - 2, SENTINEL);
    ASSERT_EQ(mr_cursor_read_upto(&c, dst, 5), (size_t)0);
    ASSERT_EQ(mr_cursor_read_upto(&c, dst, SIZE_MAX), (size_t)0);
    ASSERT_EQ(mr_cursor_tell(&c), (size_t)10);
    ASSERT_EQ(mr_cursor_error(&c), 0);
    ASSERT_OK(mr_cursor_seek(&c, 0, SEEK_SET));
    ASSERT_EQ(mr_cursor_read_upto(&c, dst, SIZE_MAX), (size_t)10);
    ASSERT_MEM_EQ(dst, buf, 10);

    /* read_region: a view into the cursor's memory, flag inherited. */
    for (int ro = 0; ro <= 1; ro++) {
        mr_cursor_init(&c, ro ? mr_region_make_ro(buf, sizeof buf) : MR_REGION_OF_ARRAY(buf));
        ASSERT_OK(mr_cursor_seek(&c, 3, SEEK_SET));
        ASSERT_OK(mr_cursor_read_region(&c, 5, &out));
        ASSERT_REGION(out, buf + 3, 5, ro ? MR_REGION_RDONLY : 0);
        ASSERT_EQ(mr_cursor_tell(&c), (size_t)8);
        ASSERT_OK(mr_cursor_read_region(&c, 0, &out));
        ASSERT_REGION(out, buf + 8, 0, ro ? MR_REGION_RDONLY : 0);
        set_sentinel(&out, sizeof out);
        ASSERT_ERR(mr_cursor_read_region(&c, 3, &out), -ERANGE);
        ASSERT_ALL_BYTES(&out, sizeof out, SENTINEL);
        ASSERT_EQ(mr_cursor_tell(&c), (size_t)8);
        mr_cursor_clear_error(&c);
        ASSERT_ERR(mr_cursor_read_region(&c, SIZE_MAX, &out), -ERANGE);
        ASSERT_ALL_BYTES(&out, sizeof out, SENTINEL);
        mr_cursor_clear_error(&c);
        ASSERT_OK(mr_cursor_read_region(&c, 2, &out));
        ASSERT_REGION(out, buf + 8, 2, ro ? MR_REGION_RDONLY : 0);
        ASSERT_EQ(mr_cursor_remaining(&c), (size_t)0);
    }

    /* write_bytes and write_fill: exact bytes, all or nothing. */
    unsigned char w[12];
    memset(w, GUARD, sizeof w);
    mr_cursor_init(&c, mr_region_make(w, 10));
    ASSERT_OK(mr_cursor_write_fill(&c, 0x77, 3));
    ASSERT_OK(mr_cursor_write_fill(&c, 0x11, 0));
    ASSERT_OK(mr_cursor_write_bytes(&c, "ab", 2));
    ASSERT_OK(mr_cursor_write_bytes(&c, "zz", 0));
    ASSERT_EQ(mr_cursor_tell(&c), (size_t)5);
    ASSERT_MEM_EQ(w, "\x77\x77\x77" "ab", 5);
    ASSERT_ALL_BYTES(w + 5, 7, GUARD);
    ASSERT_ERR(mr_cursor_write_fill(&c, 0x66, 6), -ERANGE);
    ASSERT_EQ(mr_cursor_tell(&c), (size_t)5);
    ASSERT_ALL_BYTES(w + 5, 7, GUARD);
    mr_cursor_clear_error(&c);
    ASSERT_ERR(mr_cursor_write_fill(&c, 0x66, SIZE_MAX), -ERANGE);
    mr_cursor_clear_error(&c);
    ASSERT_ERR(mr_cursor_write_bytes(&c, "abcdef", 6), -ERANGE);
    ASSERT_ALL_BYTES(w + 5, 7, GUARD);
    mr_cursor_clear_error(&c);
    ASSERT_OK(mr_cursor_write_fill(&c, 0x66, 5));
    ASSERT_ALL_BYTES(w + 5, 5, 0x66);
    ASSERT_ALL_BYTES(w + 10, 2, GUARD);
    ASSERT_EQ(mr_cursor_remaining(&c), (size_t)0);
    ASSERT_OK(mr_cursor_write_fill(&c, 0x66, 0));
    ASSERT_OK(mr_cursor_write_bytes(&c, "", 0));
    ASSERT_ERR(mr_cursor_write_fill(&c, 0x66, 1), -ERANGE);
    ASSERT_ALL_BYTES(w + 10, 2, GUARD);

    /* write_fill on a read-only region. */
    mr_cursor_init(&c, mr_region_make_ro(w, 10));
    ASSERT_ERR(mr_cursor_write_fill(&c, 0, 2), -EACCES);
    ASSERT_EQ(w[0], 0x77);
}

/* ---- strings ----------------------------------------------------------------- */

static void test_read_str(void)
{
    static const char data[] = "abc\0\0\0\0\0" /* 8: "abc", padded */
                               "abcdefgh"      /* 8: no NUL */
                               "ab\0cd\0\0\0"  /* 8: embedded NUL */
                               "hi\0\0";       /* 4 */
    struct mr_cursor c;
    char dst[16];

    mr_cursor_init(&c, mr_region_make_ro(data, sizeof data - 1));
    set_sentinel(dst, sizeof dst);
    ASSERT_EQ(mr_cursor_read_str(&c, 8, dst, sizeof dst), 3); /* field shorter than dst */
    ASSERT_STR_EQ(dst, "abc");
    ASSERT_ALL_BYTES(dst + 4, sizeof dst - 4, SENTINEL);
    ASSERT_EQ(mr_cursor_tell(&c), (size_t)8);

    /* No NUL in the field: all of it, when dst has room for it and a NUL. */
    set_sentinel(dst, sizeof dst);
    ASSERT_EQ(mr_cursor_read_str(&c, 8, dst, 8), -EOVERFLOW); /* field exactly dst */
    ASSERT_ALL_BYTES(dst, sizeof dst, SENTINEL);
    ASSERT_EQ(mr_cursor_tell(&c), (size_t)8);
    mr_cursor_clear_error(&c);
    ASSERT_EQ(mr_cursor_read_str(&c, 8, dst, 9), 8);
    ASSERT_STR_EQ(dst, "abcdefgh");
    ASSERT_EQ(mr_cursor_tell(&c), (size_t)16);

    /* Embedded NUL: the text up to it; the whole field is consumed. */
    set_sentinel(dst, sizeof dst);
    ASSERT_EQ(mr_cursor_read_str(&c, 8, dst, 3), 2); /* field longer than dst, text fits */
    ASSERT_STR_EQ(dst, "ab");
    ASSERT_ALL_BYTES(dst + 3, sizeof dst - 3, SENTINEL);
    ASSERT_EQ(mr_cursor_tell(&c), (size_t)24);

    /* The last field, at the very end, and then nothing. */
    set_sentinel(dst, sizeof dst);
    ASSERT_EQ(mr_cursor_read_str(&c, 5, dst, sizeof dst), -ERANGE);
    ASSERT_ALL_BYTES(dst, sizeof dst, SENTINEL);
    ASSERT_EQ(mr_cursor_tell(&c), (size_t)24);
    mr_cursor_clear_error(&c);
    ASSERT_EQ(mr_cursor_read_str(&c, SIZE_MAX, dst, sizeof dst), -ERANGE);
    mr_cursor_clear_error(&c);
    ASSERT_EQ(mr_cursor_read_str(&c, 4, dst, 2), -EOVERFLOW);
    ASSERT_EQ(mr_cursor_tell(&c), (size_t)24);
    mr_cursor_clear_error(&c);
    ASSERT_EQ(mr_cursor_read_str(&c, 4, dst, 3), 2);
    ASSERT_STR_EQ(dst, "hi");
    ASSERT_EQ(mr_cursor_remaining(&c), (size_t)0);
    ASSERT_EQ(mr_cursor_read_str(&c, 0, dst, 1), 0);
    ASSERT_STR_EQ(dst, "");
    ASSERT_EQ(mr_cursor_read_str(&c, 1, dst, sizeof dst), -ERANGE);
    mr_cursor_clear_error(&c);

    /* -EINVAL before anything else, nothing moved. */
    ASSERT_OK(mr_cursor_seek(&c, 0, SEEK_SET));
    ASSERT_EQ(mr_cursor_read_str(&c, 8, NULL, 16), -EINVAL);
    ASSERT_EQ(mr_cursor_error(&c), -EINVAL);
    mr_cursor_clear_error(&c);
    set_sentinel(dst, sizeof dst);
    ASSERT_EQ(mr_cursor_read_str(&c, 8, dst, 0), -EINVAL);
    ASSERT_ALL_BYTES(dst, sizeof dst, SENTINEL);
    ASSERT_EQ(mr_cursor_tell(&c), (size_t)0);
    mr_cursor_clear_error(&c);
    /* A one-byte dst holds only the empty text. */
    ASSERT_EQ(mr_cursor_read_str(&c, 0, dst, 1), 0);
    ASSERT_EQ(mr_cursor_read_str(&c, 1, dst, 1), -EOVERFLOW);
    mr_cursor_clear_error(&c);
    ASSERT_OK(mr_cursor_seek(&c, 3, SEEK_SET));
    ASSERT_EQ(mr_cursor_read_str(&c, 5, dst, 1), 0);
    ASSERT_EQ(mr_cursor_tell(&c), (size_t)8);
}

static void test_read_cstr(void)
{
    static const char data[] = "hello\0\0world\0end"; /* "end" has no NUL */
    struct mr_cursor c;
    struct mr_region out;
    char dst[16];

    for (int ro = 0; ro <= 1; ro++) {
        char copy[sizeof data];
        memcpy(copy, data, sizeof data);
        struct mr_region r = mr_region_make(copy, sizeof data - 1);
        mr_cursor_init(&c, ro ? mr_region_ro(r) : r);

        ASSERT_EQ(mr_cursor_read_cstr(&c, dst, 5), -EOVERFLOW); /* needs 6 */
        ASSERT_EQ(mr_cursor_tell(&c), (size_t)0);
        mr_cursor_clear_error(&c);
        set_sentinel(dst, sizeof dst);
        ASSERT_EQ(mr_cursor_read_cstr(&c, dst, 6), 5);
        ASSERT_STR_EQ(dst, "hello");
        ASSERT_ALL_BYTES(dst + 6, sizeof dst - 6, SENTINEL);
        ASSERT_EQ(mr_cursor_tell(&c), (size_t)6);
        ASSERT_EQ(mr_cursor_read_cstr(&c, dst, 1), 0); /* the empty string */
        ASSERT_STR_EQ(dst, "");
        ASSERT_EQ(mr_cursor_tell(&c), (size_t)7);
        ASSERT_OK(mr_cursor_read_cstr_region(&c, &out));
        ASSERT_REGION(out, copy + 7, 5, ro ? MR_REGION_RDONLY : 0);
        ASSERT_EQ(mr_cursor_tell(&c), (size_t)13);

        /* Missing NUL: -EBADMSG, nothing moved or copied. */
        set_sentinel(dst, sizeof dst);
        ASSERT_EQ(mr_cursor_read_cstr(&c, dst, sizeof dst), -EBADMSG);
        ASSERT_ALL_BYTES(dst, sizeof dst, SENTINEL);
        ASSERT_EQ(mr_cursor_tell(&c), (size_t)13);
        mr_cursor_clear_error(&c);
        set_sentinel(&out, sizeof out);
        ASSERT_ERR(mr_cursor_read_cstr_region(&c, &out), -EBADMSG);
        ASSERT_ALL_BYTES(&out, sizeof out, SENTINEL);
        ASSERT_EQ(mr_cursor_tell(&c), (size_t)13);
        mr_cursor_clear_error(&c);
        ASSERT_EQ(mr_cursor_read_cstr(&c, NULL, 4), -EINVAL);
        ASSERT_EQ(mr_cursor_tell(&c), (size_t)13);
        mr_cursor_clear_error(&c);

        /* At the very end: "end" with its NUL is the last thing. */
        r.len = sizeof data; /* includes the literal's NUL */
        mr_cursor_init(&c, ro ? mr_region_ro(r) : r);
        ASSERT_OK(mr_cursor_seek(&c, 13, SEEK_SET));
        ASSERT_EQ(mr_cursor_read_cstr(&c, dst, 4), 3);
        ASSERT_STR_EQ(dst, "end");
        ASSERT_EQ(mr_cursor_remaining(&c), (size_t)0);
        ASSERT_EQ(mr_cursor_read_cstr(&c, dst, sizeof dst), -EBADMSG); /* nothing left */
        ASSERT_EQ(mr_cursor_tell(&c), sizeof data);
        mr_cursor_clear_error(&c);
        ASSERT_OK(mr_cursor_seek(&c, -4, SEEK_END));
        ASSERT_OK(mr_cursor_read_cstr_region(&c, &out));
        ASSERT_REGION(out, copy + 13, 3, ro ? MR_REGION_RDONLY : 0);
        ASSERT_ERR(mr_cursor_read_cstr_region(&c, &out), -EBADMSG);
        mr_cursor_clear_error(&c);
        ASSERT_OK(mr_cursor_seek(&c, -1, SEEK_END));
        ASSERT_OK(mr_cursor_read_cstr_region(&c, &out)); /* empty, the last byte */
        ASSERT_REGION(out, copy + sizeof data - 1, 0, ro ? MR_REGION_RDONLY : 0);
        ASSERT_EQ(mr_cursor_remaining(&c), (size_t)0);
    }
}

static void test_write_str(void)
{
    unsigned char buf[20];
    struct mr_cursor c;

    memset(buf, GUARD, sizeof buf);
    mr_cursor_init(&c, mr_region_make(buf, 16));
    ASSERT_OK(mr_cursor_write_str(&c, "abc", 8)); /* padding overwrites what was there */
    ASSERT_MEM_EQ(buf, "abc\0\0\0\0\0", 8);
    ASSERT_EQ(mr_cursor_tell(&c), (size_t)8);
    ASSERT_OK(mr_cursor_write_str(&c, "wxyz", 4)); /* exactly the field: no NUL */
    ASSERT_MEM_EQ(buf + 8, "wxyz", 4);
    ASSERT_EQ(buf[12], GUARD);
    ASSERT_OK(mr_cursor_write_str(&c, "", 0));
    ASSERT_EQ(mr_cursor_tell(&c), (size_t)12);

    ASSERT_ERR(mr_cursor_write_str(&c, "abcde", 4), -EOVERFLOW);
    ASSERT_EQ(mr_cursor_tell(&c), (size_t)12);
    ASSERT_ALL_BYTES(buf + 12, 8, GUARD);
    mr_cursor_clear_error(&c);
    ASSERT_ERR(mr_cursor_write_str(&c, "a", 0), -EOVERFLOW);
    mr_cursor_clear_error(&c);
    ASSERT_ERR(mr_cursor_write_str(&c, "ab", 5), -ERANGE); /* the field does not fit */
    ASSERT_ALL_BYTES(buf + 12, 8, GUARD);
    ASSERT_EQ(mr_cursor_tell(&c), (size_t)12);
    mr_cursor_clear_error(&c);
    ASSERT_OK(mr_cursor_write_str(&c, "ab", 4));
    ASSERT_MEM_EQ(buf + 12, "ab\0\0", 4);
    ASSERT_ALL_BYTES(buf + 16, 4, GUARD);

    /* Round trip through read_str. */
    char dst[16];
    mr_cursor_init(&c, mr_region_make_ro(buf, 16));
    ASSERT_EQ(mr_cursor_read_str(&c, 8, dst, sizeof dst), 3);
    ASSERT_STR_EQ(dst, "abc");
    ASSERT_EQ(mr_cursor_read_str(&c, 4, dst, sizeof dst), 4);
    ASSERT_STR_EQ(dst, "wxyz");
    ASSERT_EQ(mr_cursor_read_str(&c, 4, dst, sizeof dst), 2);
    ASSERT_STR_EQ(dst, "ab");

    /* write_cstr: the text and its NUL, all or nothing. */
    memset(buf, GUARD, sizeof buf);
    mr_cursor_init(&c, mr_region_make(buf, 8));
    ASSERT_OK(mr_cursor_write_cstr(&c, "hi"));
    ASSERT_OK(mr_cursor_write_cstr(&c, ""));
    ASSERT_MEM_EQ(buf, "hi\0\0", 4);
    ASSERT_EQ(mr_cursor_tell(&c), (size_t)4);
    ASSERT_ERR(mr_cursor_write_cstr(&c, "word"), -ERANGE); /* needs 5, 4 left */
    ASSERT_ALL_BYTES(buf + 4, 16, GUARD);
    ASSERT_EQ(mr_cursor_tell(&c), (size_t)4);
    mr_cursor_clear_error(&c);
    ASSERT_OK(mr_cursor_write_cstr(&c, "abc"));
    ASSERT_MEM_EQ(buf + 4, "abc\0", 4);
    ASSERT_EQ(buf[8], GUARD);
    mr_cursor_init(&c, mr_region_make_ro(buf, 8));
    char s[8];
    ASSERT_EQ(mr_cursor_read_cstr(&c, s, sizeof s), 2);
    ASSERT_STR_EQ(s, "hi");
    ASSERT_EQ(mr_cursor_read_cstr(&c, s, sizeof s), 0);
    ASSERT_EQ(mr_cursor_read_cstr(&c, s, sizeof s), 3);
    ASSERT_STR_EQ(s, "abc");

    /* Read-only. */
    mr_cursor_init(&c, mr_region_make_ro(buf, 8));
    ASSERT_ERR(mr_cursor_write_str(&c, "x", 2), -EACCES);
    mr_cursor_clear_error(&c);
    ASSERT_ERR(mr_cursor_write_cstr(&c, "x"), -EACCES);
    ASSERT_MEM_EQ(buf, "hi\0\0", 4);
}

/* ---- LEB128 ----------------------------------------------------------------- */

/* Reference encoders, written from the definition. */
static size_t ref_uleb(uint64_t v, unsigned char *out)
{
    size_t n = 0;
    do {
        unsigned char b = v & 0x7f;
        v >>= 7;
        out[n++] = v ? (unsigned char)(b | 0x80) : b;
    } while (v);
    return n;
}

static size_t ref_sleb(int64_t v, unsigned char *out)
{
    size_t n = 0;
    for (;;) {
        unsigned char b = (unsigned char)((uint64_t)v & 0x7f);
        v = v < 0 ? ~(~v / 128) : v / 128; /* floor(v / 128) */
        bool done = (v == 0 && !(b & 0x40)) || (v == -1 && (b & 0x40));
        out[n++] = done ? b : (unsigned char)(b | 0x80);
        if (done)
            return n;
    }
}

/* The shortest length: ceil(bits / 7), from the value's magnitude. */
static size_t uleb_len(uint64_t v)
{
    size_t n = 1;
    while (v >= 128) {
        v >>= 7;
        n++;
    }
    return n;
}

static size_t sleb_len(int64_t v)
{
    for (size_t n = 1; n < 10; n++) {
        int64_t lim = (int64_t)1 << (7 * n - 1);
        if (v >= -lim && v < lim)
            return n;
    }
    return 10;
}

static void check_uleb(uint64_t v)
{
    unsigned char want[10], buf[14];
    struct mr_cursor c;
    size_t n = ref_uleb(v, want);

    ASSERT_EQ(n, uleb_len(v));
    memset(buf, GUARD, sizeof buf);
    mr_cursor_init(&c, mr_region_make(buf, sizeof buf));
    ASSERT_OK(mr_cursor_write_u8(&c, 0x01));
    ASSERT_OK(mr_cursor_write_uleb128(&c, v));
    ASSERT_EQ(mr_cursor_tell(&c), 1 + n);
    ASSERT_MEM_EQ(buf + 1, want, n);
    ASSERT_ALL_BYTES(buf + 1 + n, sizeof buf - 1 - n, GUARD);
    mr_cursor_init(&c, mr_region_make_ro(buf, 1 + n));
    ASSERT_EQ(mr_cursor_read_u8(&c), 1);
    ASSERT_EQ(mr_cursor_read_uleb128(&c), v);
    ASSERT_EQ(mr_cursor_remaining(&c), (size_t)0);
    ASSERT_EQ(mr_cursor_error(&c), 0);
    /* Cut short: -ERANGE, nothing moved. */
    mr_cursor_init(&c, mr_region_make_ro(buf + 1, n - 1));
    ASSERT_EQ(mr_cursor_read_uleb128(&c), 0u);
    ASSERT_EQ(mr_cursor_tell(&c), (size_t)0);
    ASSERT_EQ(mr_cursor_error(&c), -ERANGE);
    /* No room to write: -ERANGE, nothing written. */
    memset(buf, GUARD, sizeof buf);
    mr_cursor_init(&c, mr_region_make(buf, n - 1));
    ASSERT_ERR(mr_cursor_write_uleb128(&c, v), -ERANGE);
    ASSERT_EQ(mr_cursor_tell(&c), (size_t)0);
    ASSERT_ALL_BYTES(buf, sizeof buf, GUARD);
}

static void check_sleb(int64_t v)
{
    unsigned char want[10], buf[14];
    struct mr_cursor c;
    size_t n = ref_sleb(v, want);

    ASSERT_EQ(n, sleb_len(v));
    memset(buf, GUARD, sizeof buf);
    mr_cursor_init(&c, mr_region_make(buf, sizeof buf));
    ASSERT_OK(mr_cursor_write_u8(&c, 0x01));
    ASSERT_OK(mr_cursor_write_sleb128(&c, v));
    ASSERT_EQ(mr_cursor_tell(&c), 1 + n);
    ASSERT_MEM_EQ(buf + 1, want, n);
    ASSERT_ALL_BYTES(buf + 1 + n, sizeof buf - 1 - n, GUARD);
    mr_cursor_init(&c, mr_region_make_ro(buf, 1 + n));
    ASSERT_EQ(mr_cursor_read_u8(&c), 1);
    ASSERT_EQ(mr_cursor_read_sleb128(&c), v);
    ASSERT_EQ(mr_cursor_remaining(&c), (size_t)0);
    ASSERT_EQ(mr_cursor_error(&c), 0);
    mr_cursor_init(&c, mr_region_make_ro(buf + 1, n - 1));
    ASSERT_EQ(mr_cursor_read_sleb128(&c), 0);
    ASSERT_EQ(mr_cursor_tell(&c), (size_t)0);
    ASSERT_EQ(mr_cursor_error(&c), -ERANGE);
    memset(buf, GUARD, sizeof buf);
    mr_cursor_init(&c, mr_region_make(buf, n - 1));
    ASSERT_ERR(mr_cursor_write_sleb128(&c, v), -ERANGE);
    ASSERT_EQ(mr_cursor_tell(&c), (size_t)0);
    ASSERT_ALL_BYTES(buf, sizeof buf, GUARD);
}

/* Decode bytes that must be accepted (as value v, consuming all of them) or
 * refused (with err, consuming nothing), after a prefix byte and followed by
 * a trailing byte that must not be read. */
static void check_uleb_bytes(const char *bytes, size_t n, uint64_t v, int err)
{
    unsigned char buf[16];
    struct mr_cursor c;
    memcpy(buf + 1, bytes, n);
    buf[0] = 0x42;
    buf[1 + n] = 0x33;
    mr_cursor_init(&c, mr_region_make_ro(buf, n + 2));
    ASSERT_EQ(mr_cursor_read_u8(&c), 0x42);
    ASSERT_EQ(mr_cursor_read_uleb128(&c), err ? 0 : v);
    ASSERT_EQ(mr_cursor_error(&c), err);
    ASSERT_EQ(mr_cursor_tell(&c), err ? 1 : 1 + n);
    if (!err)
        ASSERT_EQ(mr_cursor_read_u8(&c), 0x33);
}

static void check_sleb_bytes(const char *bytes, size_t n, int64_t v, int err)
{
    unsigned char buf[16];
    struct mr_cursor c;
    memcpy(buf + 1, bytes, n);
    buf[0] = 0x42;
    buf[1 + n] = 0x33;
    mr_cursor_init(&c, mr_region_make_ro(buf, n + 2));
    ASSERT_EQ(mr_cursor_read_u8(&c), 0x42);
    ASSERT_EQ(mr_cursor_read_sleb128(&c), err ? 0 : v);
    ASSERT_EQ(mr_cursor_error(&c), err);
    ASSERT_EQ(mr_cursor_tell(&c), err ? 1 : 1 + n);
    if (!err)
        ASSERT_EQ(mr_cursor_read_u8(&c), 0x33);
}

#define ULEB_OK(lit, v) check_uleb_bytes(lit, sizeof(lit) - 1, (v), 0)
#define ULEB_BAD(lit, err) check_uleb_bytes(lit, sizeof(lit) - 1, 0, (err))
#define SLEB_OK(lit, v) check_sleb_bytes(lit, sizeof(lit) - 1, (v), 0)
#define SLEB_BAD(lit, err) check_sleb_bytes(lit, sizeof(lit) - 1, 0, (err))

/* Known vectors: the encoder must produce exactly these bytes. */
static void check_uleb_vector(uint64_t v, const char *lit, size_t n)
{
    unsigned char buf[12];
    struct mr_cursor c;
    mr_cursor_init(&c, MR_REGION_OF_ARRAY(buf));
    ASSERT_OK(mr_cursor_write_uleb128(&c, v));
    ASSERT_EQ(mr_cursor_tell(&c), n);
    ASSERT_MEM_EQ(buf, lit, n);
    check_uleb_bytes(lit, n, v, 0);
}

static void check_sleb_vector(int64_t v, const char *lit, size_t n)
{
    unsigned char buf[12];
    struct mr_cursor c;
    mr_cursor_init(&c, MR_REGION_OF_ARRAY(buf));
    ASSERT_OK(mr_cursor_write_sleb128(&c, v));
    ASSERT_EQ(mr_cursor_tell(&c), n);
    ASSERT_MEM_EQ(buf, lit, n);
    check_sleb_bytes(lit, n, v, 0);
}

#define UVEC(v, lit) check_uleb_vector((v), lit, sizeof(lit) - 1)
#define SVEC(v, lit) check_sleb_vector((v), lit, sizeof(lit) - 1)

static void test_leb128(void)
{
    check_ctx = "LEB128 vectors";
    UVEC(0, "\x00");
    UVEC(1, "\x01");
    UVEC(127, "\x7f");
    UVEC(128, "\x80\x01");
    UVEC(300, "\xac\x02");
    UVEC(16383, "\xff\x7f");
    UVEC(16384, "\x80\x80\x01");
    UVEC(624485, "\xe5\x8e\x26");
    UVEC((uint64_t)1 << 63, "\x80\x80\x80\x80\x80\x80\x80\x80\x80\x01");
    UVEC(UINT64_MAX, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01");
    SVEC(0, "\x00");
    SVEC(1, "\x01");
    SVEC(-1, "\x7f");
    SVEC(63, "\x3f");
    SVEC(64, "\xc0\x00");
    SVEC(-64, "\x40");
    SVEC(-65, "\xbf\x7f");
    SVEC(127, "\xff\x00");
    SVEC(-128, "\x80\x7f");
    SVEC(-123456, "\xc0\xbb\x78");
    SVEC(INT64_MAX, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x00");
    SVEC(INT64_MIN, "\x80\x80\x80\x80\x80\x80\x80\x80\x80\x7f");

    /* Overlong encodings are accepted. */
    check_ctx = "LEB128 overlong";
    ULEB_OK("\x80\x00", 0);
    ULEB_OK("\xff\x80\x80\x00", 127);
    ULEB_OK("\x80\x80\x80\x80\x80\x80\x80\x80\x80\x00", 0);
    ULEB_OK("\x81\x80\x80\x80\x80\x80\x80\x80\x80\x00", 1);
    SLEB_OK("\x80\x00", 0);
    SLEB_OK("\xff\x7f", -1);
    SLEB_OK("\xc0\x7f", -64);
    SLEB_OK("\x80\x80\x80\x80\x80\x80\x80\x80\x80\x00", 0);
    SLEB_OK("\xff\xff\xff\xff\xff\xff\xff\xff\xff\x7f", -1);
    SLEB_OK("\x81\x80\x80\x80\x80\x80\x80\x80\x80\x00", 1);

    /* More than 64 bits: -EOVERFLOW, nothing moved. */
    check_ctx = "LEB128 overflow";
    ULEB_BAD("\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x00", -EOVERFLOW);     /* 11 bytes */
    ULEB_BAD("\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02", -EOVERFLOW);         /* bit 64 */
    ULEB_BAD("\x80\x80\x80\x80\x80\x80\x80\x80\x80\x02", -EOVERFLOW);
    ULEB_BAD("\x80\x80\x80\x80\x80\x80\x80\x80\x80\x7f", -EOVERFLOW);
    ULEB_BAD("\x80\x80\x80\x80\x80\x80\x80\x80\x80\x40", -EOVERFLOW);
    ULEB_BAD("\x80\x80\x80\x80\x80\x80\x80\x80\x80\x81\x00", -EOVERFLOW);     /* continues */
    ULEB_BAD("\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x00", -EOVERFLOW);
    ULEB_BAD("\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", -EOVERFLOW);
    SLEB_BAD("\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x00", -EOVERFLOW);     /* 11 bytes */
    SLEB_BAD("\x80\x80\x80\x80\x80\x80\x80\x80\x80\x01", -EOVERFLOW);
    SLEB_BAD("\x80\x80\x80\x80\x80\x80\x80\x80\x80\x02", -EOVERFLOW);
    SLEB_BAD("\xff\xff\xff\xff\xff\xff\xff\xff\xff\x3f", -EOVERFLOW);
    SLEB_BAD("\xff\xff\xff\xff\xff\xff\xff\xff\xff\x40", -EOVERFLOW);
    SLEB_BAD("\xff\xff\xff\xff\xff\xff\xff\xff\xff\x7e", -EOVERFLOW);
    SLEB_BAD("\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", -EOVERFLOW);
    SLEB_BAD("\x80\x80\x80\x80\x80\x80\x80\x80\x80\xff\x7f", -EOVERFLOW);     /* continues */
    SLEB_BAD("\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x00", -EOVERFLOW);

    /* Truncated: -ERANGE, nothing moved. */
    check_ctx = "LEB128 truncated";
    static const char *const trunc[] = { "", "\x80", "\xff\xff", "\x80\x80\x80\x80\x80\x80\x80\x80\x80" };
    for (size_t i = 0; i < MR_TEST_COUNT(trunc); i++) {
        struct mr_cursor c;
        size_t n = strlen(trunc[i]);
        mr_cursor_init(&c, mr_region_make_ro(trunc[i], n));
        ASSERT_EQ(mr_cursor_read_uleb128(&c), 0u);
        ASSERT_EQ(mr_cursor_error(&c), -ERANGE);
        ASSERT_EQ(mr_cursor_tell(&c), (size_t)0);
        mr_cursor_init(&c, mr_region_make_ro(trunc[i], n));
        ASSERT_EQ(mr_cursor_read_sleb128(&c), 0);
        ASSERT_EQ(mr_cursor_error(&c), -ERANGE);
        ASSERT_EQ(mr_cursor_tell(&c), (size_t)0);
    }

    /* Boundaries: 2^k - 1, 2^k, 2^k + 1, and their negatives. */
    check_ctx = "LEB128 boundaries";
    for (unsigned k = 0; k <= 64; k++) {
        uint64_t p = k < 64 ? (uint64_t)1 << k : 0;
        check_uleb(p - 1);
        if (k < 64) {
            check_uleb(p);
            check_uleb(p + 1);
        }
        if (k < 63) {
            int64_t s = (int64_t)p;
            check_sleb(s - 1);
            check_sleb(s);
            check_sleb(s + 1);
            check_sleb(-s + 1);
            check_sleb(-s);
            check_sleb(-s - 1);
        }
    }
    check_sleb(INT64_MIN);
    check_sleb(INT64_MIN + 1);
    check_sleb(INT64_MAX);
    check_sleb(INT64_MAX - 1);

    /* Random values, of every length: shifted so that short ones are common. */
    check_ctx = "LEB128 random";
    for (int i = 0; i < 20000; i++) {
        uint64_t r = mr_test_rand(&rng_state);
        unsigned sh = (unsigned)(mr_test_rand(&rng_state) % 64);
        check_uleb(r >> sh);
        uint64_t m = r >> sh;
        check_sleb((int64_t)(mr_test_rand(&rng_state) & 1 ? m : 0 - m));
        check_sleb((int64_t)r / ((int64_t)1 << (sh % 63)));
    }

    /* A stream of varints back to back, read in one pass. */
    check_ctx = "LEB128 stream";
    static unsigned char stream[20000];
    struct mr_cursor c;
    uint64_t seed = rng_state;
    mr_cursor_init(&c, MR_REGION_OF_ARRAY(stream));
    int count = 0;
    while (mr_cursor_remaining(&c) >= 20) {
        uint64_t r = mr_test_rand(&rng_state) >> (mr_test_rand(&rng_state) % 64);
        ASSERT_OK(mr_cursor_write_uleb128(&c, r));
        ASSERT_OK(mr_cursor_write_sleb128(&c, (int64_t)~r));
        count++;
    }
    size_t end = mr_cursor_tell(&c);
    rng_state = seed;
    mr_cursor_init(&c, mr_region_make_ro(stream, end));
    for (int i = 0; i < count; i++) {
        uint64_t r = mr_test_rand(&rng_state) >> (mr_test_rand(&rng_state) % 64);
        ASSERT_EQ(mr_cursor_read_uleb128(&c), r);
        ASSERT_EQ(mr_cursor_read_sleb128(&c), (int64_t)~r);
    }
    ASSERT_EQ(mr_cursor_remaining(&c), (size_t)0);
    ASSERT_EQ(mr_cursor_error(&c), 0);
    check_ctx = NULL;
}

int main(void)
{
    atexit(print_ctx);
    test_init();
    test_empty_region();
    test_seek();
    test_typed();
    test_sticky();
    test_bytes();
    test_read_str();
    test_read_cstr();
    test_write_str();
    test_leb128();
    return 0;
}
