/* SPDX-License-Identifier: MIT */
/* test/test_region.c: regions: constructors, mr_region_init, sub-regions,
 * checked typed access of every type and byte order, fill, clear, copy,
 * compare, find, and zero-length regions with every operation.
 * (The hex dump's layout is tested in test_hexdump.c.) */
#include "helpers.h"

#include <limits.h>

#define GUARD 0xa5

/* ---- an out-argument that a failed call must not touch ---------------------- */

static void set_sentinel(struct mr_region *s) { memset(s, 0x5c, sizeof *s); }

/* The state of a small deterministic generator (mr_test_rand), so that
 * failures reproduce. */
static uint64_t rng_state = 0x12345678;

/* ---- constructors ------------------------------------------------------------ */

struct hdr {
    uint32_t magic;
    uint16_t version;
    uint8_t kind;
};

static void test_constructors(void)
{
    unsigned char buf[16];

    struct mr_region r = mr_region_make(buf, sizeof buf);
    ASSERT_REGION(r, buf, 16, 0);
    ASSERT_FALSE(mr_region_is_ro(r));

    struct mr_region ro = mr_region_make_ro(buf + 2, 5);
    ASSERT_REGION(ro, buf + 2, 5, MR_REGION_RDONLY);
    ASSERT_TRUE(mr_region_is_ro(ro));

    const char text[] = "const";
    struct mr_region ct = mr_region_make_ro(text, sizeof text - 1);
    ASSERT_REGION(ct, text, 5, MR_REGION_RDONLY);

    /* mr_region_ro works on a copy: the original stays writable. */
    struct mr_region r2 = mr_region_ro(r);
    ASSERT_REGION(r2, buf, 16, MR_REGION_RDONLY);
    ASSERT_FALSE(mr_region_is_ro(r));
    ASSERT_REGION(mr_region_ro(r2), buf, 16, MR_REGION_RDONLY);

    struct mr_region empty = mr_region_make(NULL, 0);
    ASSERT_REGION(empty, NULL, 0, 0);

    struct hdr h;
    struct mr_region hr = MR_REGION_OF(h);
    ASSERT_REGION(hr, &h, sizeof h, 0);
    uint64_t word;
    ASSERT_REGION(MR_REGION_OF(word), &word, 8, 0);
    char chars[10];
    ASSERT_REGION(MR_REGION_OF(chars), chars, 10, 0);

    uint32_t arr[7];
    struct mr_region ar = MR_REGION_OF_ARRAY(arr);
    ASSERT_REGION(ar, arr, 7 * sizeof(uint32_t), 0);
    struct hdr hdrs[3];
    ASSERT_REGION(MR_REGION_OF_ARRAY(hdrs), hdrs, 3 * sizeof(struct hdr), 0);
    /* The region really covers the object: the last byte is reachable, one
     * more is not. */
    ASSERT_EQ(mr_region_set_u8(ar, sizeof arr - 1, 0x42), 0);
    ASSERT_ERR(mr_region_set_u8(ar, sizeof arr, 0x42), -ERANGE);
    ASSERT_EQ(mr_region_set_u32(hr, 0, 0xfeedface), 0);
    ASSERT_EQ(h.magic, (uint32_t)0xfeedface);
}

static void test_fits(void)
{
    unsigned char buf[8];
    struct mr_region r = mr_region_make(buf, 8);
    ASSERT_TRUE(mr_region_fits(r, 0, 8));
    ASSERT_TRUE(mr_region_fits(r, 8, 0));
    ASSERT_TRUE(mr_region_fits(r, 3, 5));
    ASSERT_FALSE(mr_region_fits(r, 3, 6));
    ASSERT_FALSE(mr_region_fits(r, 9, 0));
    ASSERT_FALSE(mr_region_fits(r, 0, 9));
    ASSERT_FALSE(mr_region_fits(r, 1, SIZE_MAX));
    ASSERT_FALSE(mr_region_fits(r, SIZE_MAX, 1));
    ASSERT_FALSE(mr_region_fits(r, SIZE_MAX, SIZE_MAX));
    ASSERT_FALSE(mr_region_fits(r, 4, SIZE_MAX - 3)); /* 4 + that wraps to 0 */
    ASSERT_TRUE(mr_region_fits(mr_region_make(NULL, 0), 0, 0));
    ASSERT_FALSE(mr_region_fits(mr_region_make(NULL, 0), 0, 1));
    ASSERT_FALSE(mr_region_fits(mr_region_make(NULL, 0), 1, 0));
}

/* ---- mr_region_init -------------------------------------------------------- */

#define INIT_FAILS(p, l, f, code)                                               \
    do {                                                                        \
        struct mr_region o_;                                                    \
        set_sentinel(&o_);                                                      \
        ASSERT_ERR(mr_region_init(&o_, (p), (l), (f)), (code));                 \
        ASSERT_ALL_BYTES(&o_, sizeof o_, 0x5c);                                 \
    } while (0)

static void test_init(void)
{
    unsigned char buf[16];
    struct mr_region r;

    set_sentinel(&r);
    ASSERT_EQ(mr_region_init(&r, buf, sizeof buf, 0), 0);
    ASSERT_REGION(r, buf, 16, 0);
    set_sentinel(&r);
    ASSERT_EQ(mr_region_init(&r, buf + 1, 3, MR_REGION_RDONLY), 0);
    ASSERT_REGION(r, buf + 1, 3, MR_REGION_RDONLY);
    ASSERT_TRUE(mr_region_is_ro(r));
    set_sentinel(&r);
    ASSERT_EQ(mr_region_init(&r, NULL, 0, 0), 0);
    ASSERT_REGION(r, NULL, 0, 0);
    set_sentinel(&r);
    ASSERT_EQ(mr_region_init(&r, NULL, 0, MR_REGION_RDONLY), 0);
    ASSERT_REGION(r, NULL, 0, MR_REGION_RDONLY);
    set_sentinel(&r);
    ASSERT_EQ(mr_region_init(&r, buf, 0, 0), 0);
    ASSERT_REGION(r, buf, 0, 0);

    /* The largest length allowed is PTRDIFF_MAX (init checks arithmetic, not
     * whether the memory exists). */
    set_sentinel(&r);
    ASSERT_EQ(mr_region_init(&r, mr_sap_from_int(0x1000), PTRDIFF_MAX, 0), 0);
    ASSERT_EQ(r.len, (size_t)PTRDIFF_MAX);
    /* Ending exactly one byte below the top of the address space is fine. */
    set_sentinel(&r);
    ASSERT_EQ(mr_region_init(&r, mr_sap_from_int(UINTPTR_MAX - 16), 16, 0), 0);

    /* -EINVAL: NULL with a length, unknown flags */
    INIT_FAILS(NULL, 1, 0, -EINVAL);
    INIT_FAILS(NULL, 4096, MR_REGION_RDONLY, -EINVAL);
    INIT_FAILS(buf, sizeof buf, 0x2u, -EINVAL);
    INIT_FAILS(buf, sizeof buf, MR_REGION_RDONLY | 0x4u, -EINVAL);
    INIT_FAILS(buf, sizeof buf, 0x80000000u, -EINVAL);
    INIT_FAILS(buf, sizeof buf, ~0u, -EINVAL);
    INIT_FAILS(NULL, 0, 0x2u, -EINVAL);
    INIT_FAILS(buf, 0, ~MR_REGION_RDONLY, -EINVAL);

    /* -ERANGE: too long, or wrapping around the address space */
    INIT_FAILS(buf, (size_t)PTRDIFF_MAX + 1, 0, -ERANGE);
    INIT_FAILS(buf, SIZE_MAX, 0, -ERANGE);
    INIT_FAILS(buf, SIZE_MAX, MR_REGION_RDONLY, -ERANGE);
    INIT_FAILS(mr_sap_from_int(UINTPTR_MAX - 15), 17, 0, -ERANGE);
    INIT_FAILS(mr_sap_from_int(UINTPTR_MAX - 15), 4096, 0, -ERANGE);
    INIT_FAILS(mr_sap_from_int(UINTPTR_MAX), 2, 0, -ERANGE);
    /* len alone is allowed, ptr + len is not: only the wrap check catches it */
    INIT_FAILS(mr_sap_from_int(UINTPTR_MAX - (uintptr_t)PTRDIFF_MAX + 5), PTRDIFF_MAX, 0, -ERANGE);
}

/* ---- sub-regions ------------------------------------------------------------ */

#define SUB_FAILS(r, off, len)                                                  \
    do {                                                                        \
        struct mr_region o_;                                                    \
        set_sentinel(&o_);                                                      \
        ASSERT_ERR(mr_region_sub((r), (off), (len), &o_), -ERANGE);             \
        ASSERT_ALL_BYTES(&o_, sizeof o_, 0x5c);                                 \
    } while (0)

#define TAIL_FAILS(r, off)                                                      \
    do {                                                                        \
        struct mr_region o_;                                                    \
        set_sentinel(&o_);                                                      \
        ASSERT_ERR(mr_region_tail((r), (off), &o_), -ERANGE);                   \
        ASSERT_ALL_BYTES(&o_, sizeof o_, 0x5c);                                 \
    } while (0)

static void test_sub_tail(void)
{
    unsigned char buf[16];
    struct mr_region r = mr_region_make(buf, 16);
    struct mr_region s;

    /* inside */
    set_sentinel(&s);
    ASSERT_EQ(mr_region_sub(r, 4, 8, &s), 0);
    ASSERT_REGION(s, buf + 4, 8, 0);
    ASSERT_EQ(mr_region_sub(r, 0, 16, &s), 0);
    ASSERT_REGION(s, buf, 16, 0);
    ASSERT_EQ(mr_region_sub(r, 0, 1, &s), 0);
    ASSERT_REGION(s, buf, 1, 0);
    /* exactly at the end */
    ASSERT_EQ(mr_region_sub(r, 8, 8, &s), 0);
    ASSERT_REGION(s, buf + 8, 8, 0);
    ASSERT_EQ(mr_region_sub(r, 15, 1, &s), 0);
    ASSERT_REGION(s, buf + 15, 1, 0);
    /* empty sub-regions still point at their offset */
    ASSERT_EQ(mr_region_sub(r, 5, 0, &s), 0);
    ASSERT_REGION(s, buf + 5, 0, 0);
    ASSERT_EQ(mr_region_tail(r, 16, &s), 0);
    ASSERT_REGION(s, buf + 16, 0, 0);
    set_sentinel(&s);
    ASSERT_EQ(mr_region_sub(r, 16, 0, &s), 0);
    ASSERT_EQ(s.len, (size_t)0);
    ASSERT_EQ(s.flags, 0u);
    set_sentinel(&s);
    ASSERT_EQ(mr_region_sub(r, 5, 0, &s), 0);
    ASSERT_EQ(s.len, (size_t)0);

    /* one past, and every overflow */
    SUB_FAILS(r, 8, 9);
    SUB_FAILS(r, 16, 1);
    SUB_FAILS(r, 17, 0);
    SUB_FAILS(r, 0, 17);
    SUB_FAILS(r, SIZE_MAX, 0);
    SUB_FAILS(r, SIZE_MAX, 1);
    SUB_FAILS(r, 0, SIZE_MAX);
    SUB_FAILS(r, 1, SIZE_MAX);        /* 1 + SIZE_MAX wraps to 0 */
    SUB_FAILS(r, 8, SIZE_MAX - 7);    /* wraps to 0 */
    SUB_FAILS(r, 8, SIZE_MAX - 6);    /* wraps to 1 */
    SUB_FAILS(r, SIZE_MAX, SIZE_MAX);
    SUB_FAILS(r, SIZE_MAX - 3, 8);    /* wraps to 4 */

    /* tail */
    set_sentinel(&s);
    ASSERT_EQ(mr_region_tail(r, 0, &s), 0);
    ASSERT_REGION(s, buf, 16, 0);
    ASSERT_EQ(mr_region_tail(r, 5, &s), 0);
    ASSERT_REGION(s, buf + 5, 11, 0);
    ASSERT_EQ(mr_region_tail(r, 15, &s), 0);
    ASSERT_REGION(s, buf + 15, 1, 0);
    set_sentinel(&s);
    ASSERT_EQ(mr_region_tail(r, 16, &s), 0);
    ASSERT_EQ(s.len, (size_t)0);
    ASSERT_EQ(s.flags, 0u);
    TAIL_FAILS(r, 17);
    TAIL_FAILS(r, SIZE_MAX);
    TAIL_FAILS(r, SIZE_MAX - 1);
    TAIL_FAILS(r, (size_t)PTRDIFF_MAX + 1);

    /* sub-regions inherit read-only, through any depth */
    struct mr_region ro = mr_region_ro(r), s1, s2;
    ASSERT_EQ(mr_region_sub(ro, 2, 10, &s1), 0);
    ASSERT_REGION(s1, buf + 2, 10, MR_REGION_RDONLY);
    ASSERT_EQ(mr_region_sub(s1, 3, 4, &s2), 0);
    ASSERT_REGION(s2, buf + 5, 4, MR_REGION_RDONLY);
    ASSERT_EQ(mr_region_tail(ro, 7, &s2), 0);
    ASSERT_REGION(s2, buf + 7, 9, MR_REGION_RDONLY);
    ASSERT_EQ(mr_region_sub(ro, 16, 0, &s2), 0);
    ASSERT_EQ(s2.flags, MR_REGION_RDONLY);
    ASSERT_ERR(mr_region_set_u8(s1, 0, 1), -EACCES);
    ASSERT_ERR(mr_region_fill(s1, 1), -EACCES);
    SUB_FAILS(s1, 0, 11);
    TAIL_FAILS(s1, 11);

    /* sub of sub: offsets add up, bounds are the inner region's */
    ASSERT_EQ(mr_region_sub(r, 4, 8, &s1), 0);
    ASSERT_EQ(mr_region_sub(s1, 2, 6, &s2), 0);
    ASSERT_REGION(s2, buf + 6, 6, 0);
    SUB_FAILS(s1, 2, 7); /* would still fit in r, not in s1 */
    TAIL_FAILS(s1, 9);
    /* writing through the sub-region writes the right bytes of buf */
    memset(buf, 0, sizeof buf);
    ASSERT_EQ(mr_region_set_u8(s2, 0, 0x77), 0);
    ASSERT_EQ(mr_region_set_u8(s2, 5, 0x88), 0);
    ASSERT_EQ(buf[6], 0x77);
    ASSERT_EQ(buf[11], 0x88);
    ASSERT_ERR(mr_region_set_u8(s2, 6, 0x99), -ERANGE);
    ASSERT_EQ(buf[12], 0);

    /* exhaustive: every off/len against the definition */
    for (size_t off = 0; off <= 18; off++) {
        for (size_t len = 0; len <= 18; len++) {
            set_sentinel(&s);
            int rc = mr_region_sub(r, off, len, &s);
            if (off + len <= 16) {
                ASSERT_EQ(rc, 0);
                ASSERT_EQ(s.len, len);
                if (len)
                    ASSERT_PTR_EQ(s.ptr, buf + off);
            } else {
                ASSERT_ERR(rc, -ERANGE);
                ASSERT_ALL_BYTES(&s, sizeof s, 0x5c);
            }
        }
    }
}

/* ---- checked typed access -----------------------------------------------------
 * ACCESS_TEST(name, type) checks mr_region_get_<name> and mr_region_set_<name>
 * against the sap layer's unchecked load and store of the same name. */
static const unsigned char pattern_v[8] = { 0x81, 0x42, 0x23, 0x14, 0x95, 0x66, 0x37, 0x08 };
static const unsigned char pattern_s[8] = { 0xde, 0xad, 0xbe, 0xef, 0xca, 0xfe, 0xba, 0xbe };

enum { ACC_PRE = 4, ACC_LEN = 24, ACC_POST = 4, ACC_MEM = ACC_PRE + ACC_LEN + ACC_POST };

#define ACCESS_TEST(name, type)                                                 \
    static void access_##name(void)                                             \
    {                                                                           \
        unsigned char mem[ACC_MEM], snap[ACC_MEM], want[ACC_MEM];               \
        const size_t n = sizeof(type);                                          \
        struct mr_region r = mr_region_make(mem + ACC_PRE, ACC_LEN);            \
        struct mr_region ro = mr_region_ro(r);                                  \
        typedef type T_; /* so that "void *" declares three pointers */   \
        T_ v, got, sentinel;                                                    \
        memcpy(&v, pattern_v, sizeof v);                                        \
        memcpy(&sentinel, pattern_s, sizeof sentinel);                          \
                                                                                \
        /* success at 0, 1 (unaligned) and at the last offset that fits */     \
        const size_t good[] = { 0, 1, ACC_LEN / 2 - 1, ACC_LEN - n };           \
        for (size_t i = 0; i < MR_TEST_COUNT(good); i++) {                              \
            size_t off = good[i];                                               \
            memset(mem, GUARD, sizeof mem);                                     \
            memset(want, GUARD, sizeof want);                                   \
            mr_store_##name(want + ACC_PRE, (ptrdiff_t)off, v);                 \
            ASSERT_EQ(mr_region_set_##name(r, off, v), 0);                      \
            ASSERT_MEM_EQ(mem, want, sizeof mem);                               \
            got = sentinel;                                                     \
            ASSERT_EQ(mr_region_get_##name(r, off, &got), 0);                   \
            ASSERT_MEM_EQ(&got, &v, n);                                         \
            got = sentinel;                                                     \
            ASSERT_EQ(mr_region_get_##name(ro, off, &got), 0);                  \
            ASSERT_MEM_EQ(&got, &v, n);                                         \
            /* get reads what the unchecked load reads, for other bytes too */ \
            for (size_t k = 0; k < n; k++)                                      \
                mem[ACC_PRE + off + k] = (unsigned char)(0x10 + 0x11 * k);      \
            T_ exp = mr_load_##name(mem + ACC_PRE, (ptrdiff_t)off);           \
            got = sentinel;                                                     \
            ASSERT_EQ(mr_region_get_##name(ro, off, &got), 0);                  \
            ASSERT_MEM_EQ(&got, &exp, n);                                       \
            /* set on a read-only region: -EACCES, no byte changes */          \
            memcpy(snap, mem, sizeof mem);                                      \
            ASSERT_ERR(mr_region_set_##name(ro, off, v), -EACCES);              \
            ASSERT_MEM_EQ(mem, snap, sizeof mem);                               \
        }                                                                       \
                                                                                \
        /* out of bounds: -ERANGE, nothing written, *out untouched */          \
        const size_t bad[] = { ACC_LEN - n + 1, ACC_LEN - 1, ACC_LEN, ACC_LEN + 1, \
                               (size_t)PTRDIFF_MAX, (size_t)PTRDIFF_MAX + 1,    \
                               SIZE_MAX - n, SIZE_MAX - n + 1, SIZE_MAX - 1, SIZE_MAX }; \
        for (size_t i = 0; i < MR_TEST_COUNT(bad); i++) {                               \
            size_t off = bad[i];                                                \
            if (off + n <= ACC_LEN && off + n >= off)                           \
                continue; /* ACC_LEN - 1 fits for one-byte types */            \
            memset(mem, GUARD, sizeof mem);                                     \
            memcpy(snap, mem, sizeof mem);                                      \
            got = sentinel;                                                     \
            ASSERT_ERR(mr_region_get_##name(r, off, &got), -ERANGE);            \
            ASSERT_MEM_EQ(&got, &sentinel, n);                                  \
            got = sentinel;                                                     \
            ASSERT_ERR(mr_region_get_##name(ro, off, &got), -ERANGE);           \
            ASSERT_MEM_EQ(&got, &sentinel, n);                                  \
            ASSERT_ERR(mr_region_set_##name(r, off, v), -ERANGE);               \
            ASSERT_MEM_EQ(mem, snap, sizeof mem);                               \
            ASSERT_ERR(mr_region_set_##name(ro, off, v), -EACCES);              \
            ASSERT_MEM_EQ(mem, snap, sizeof mem);                               \
        }                                                                       \
                                                                                \
        /* a region one byte too short, and one exactly the size of T */       \
        memset(mem, GUARD, sizeof mem);                                         \
        memcpy(snap, mem, sizeof mem);                                          \
        struct mr_region shortr = mr_region_make(mem + ACC_PRE, n - 1);         \
        got = sentinel;                                                         \
        ASSERT_ERR(mr_region_get_##name(shortr, 0, &got), -ERANGE);             \
        ASSERT_MEM_EQ(&got, &sentinel, n);                                      \
        ASSERT_ERR(mr_region_set_##name(shortr, 0, v), -ERANGE);                \
        ASSERT_MEM_EQ(mem, snap, sizeof mem);                                   \
        struct mr_region exact = mr_region_make(mem + ACC_PRE, n);              \
        ASSERT_EQ(mr_region_set_##name(exact, 0, v), 0);                        \
        got = sentinel;                                                         \
        ASSERT_EQ(mr_region_get_##name(exact, 0, &got), 0);                     \
        ASSERT_MEM_EQ(&got, &v, n);                                             \
        got = sentinel;                                                         \
        ASSERT_ERR(mr_region_get_##name(exact, 1, &got), -ERANGE);              \
        ASSERT_MEM_EQ(&got, &sentinel, n);                                      \
                                                                                \
        /* empty regions, with a NULL and a real pointer, writable and not */  \
        memset(mem, GUARD, sizeof mem);                                         \
        memcpy(snap, mem, sizeof mem);                                          \
        const struct mr_region empties[] = { mr_region_make(NULL, 0), mr_region_make(mem, 0), \
                                             mr_region_make_ro(NULL, 0), mr_region_make_ro(mem, 0) }; \
        const size_t eoffs[] = { 0, 1, SIZE_MAX - 1, SIZE_MAX };                \
        for (size_t e = 0; e < MR_TEST_COUNT(empties); e++) {                           \
            for (size_t j = 0; j < MR_TEST_COUNT(eoffs); j++) {                         \
                got = sentinel;                                                 \
                ASSERT_ERR(mr_region_get_##name(empties[e], eoffs[j], &got), -ERANGE); \
                ASSERT_MEM_EQ(&got, &sentinel, n);                              \
                ASSERT_ERR(mr_region_set_##name(empties[e], eoffs[j], v),       \
                           mr_region_is_ro(empties[e]) ? -EACCES : -ERANGE);    \
                ASSERT_MEM_EQ(mem, snap, sizeof mem);                           \
            }                                                                   \
        }                                                                       \
    }

#define ACCESS_TEST3(name, type)                                                \
    ACCESS_TEST(name, type)                                                     \
    ACCESS_TEST(name##le, type)                                                 \
    ACCESS_TEST(name##be, type)

ACCESS_TEST3(u8, uint8_t)
ACCESS_TEST3(u16, uint16_t)
ACCESS_TEST3(u32, uint32_t)
ACCESS_TEST3(u64, uint64_t)
ACCESS_TEST3(i8, int8_t)
ACCESS_TEST3(i16, int16_t)
ACCESS_TEST3(i32, int32_t)
ACCESS_TEST3(i64, int64_t)
ACCESS_TEST3(f32, float)
ACCESS_TEST3(f64, double)
ACCESS_TEST(ptr, void *)

static void test_access_all(void)
{
#define RUN3(name) access_##name(); access_##name##le(); access_##name##be();
    RUN3(u8) RUN3(u16) RUN3(u32) RUN3(u64)
    RUN3(i8) RUN3(i16) RUN3(i32) RUN3(i64)
    RUN3(f32) RUN3(f64)
#undef RUN3
    access_ptr();
}

/* A few access results spelled out, so that the byte order is checked
 * independently of the sap layer. */
static void test_access_values(void)
{
    unsigned char mem[8] = { 0 };
    struct mr_region r = MR_REGION_OF_ARRAY(mem);
    ASSERT_EQ(mr_region_set_u32be(r, 1, 0x01020304), 0);
    ASSERT_MEM_EQ(mem, "\x00\x01\x02\x03\x04\x00\x00\x00", 8);
    ASSERT_EQ(mr_region_set_u16le(r, 6, 0xa1b2), 0);
    ASSERT_MEM_EQ(mem, "\x00\x01\x02\x03\x04\x00\xb2\xa1", 8);
    uint32_t u32 = 0;
    ASSERT_EQ(mr_region_get_u32le(r, 1, &u32), 0);
    ASSERT_EQ(u32, (uint32_t)0x04030201);
    int16_t i16 = 0;
    ASSERT_EQ(mr_region_get_i16le(r, 6, &i16), 0);
    ASSERT_EQ(i16, (int16_t)(0xa1b2 - 0x10000));
    int8_t i8 = 0;
    ASSERT_EQ(mr_region_get_i8(r, 7, &i8), 0);
    ASSERT_EQ(i8, (int8_t)-95);
    ASSERT_EQ(mr_region_set_f64be(r, 0, -2.5), 0);
    ASSERT_MEM_EQ(mem, "\xc0\x04\x00\x00\x00\x00\x00\x00", 8);
    float f = 0;
    ASSERT_EQ(mr_region_set_u32be(r, 4, 0x3f800000), 0);
    ASSERT_EQ(mr_region_get_f32be(r, 4, &f), 0);
    ASSERT_FEQ(f, 1.0);
    uint64_t u64 = 0;
    ASSERT_EQ(mr_region_get_u64be(r, 0, &u64), 0);
    ASSERT_EQ(u64, (uint64_t)0xc00400003f800000);
}

/* ---- fill and clear ----------------------------------------------------------- */

static void test_fill_clear(void)
{
    unsigned char mem[32], snap[32];
    memset(mem, GUARD, sizeof mem);
    struct mr_region r = mr_region_make(mem + 4, 20);

    ASSERT_EQ(mr_region_fill(r, 0x5a), 0);
    for (size_t i = 0; i < sizeof mem; i++)
        ASSERT_EQ(mem[i], (unsigned char)(i >= 4 && i < 24 ? 0x5a : GUARD));
    ASSERT_EQ(mr_region_fill(r, 0xff), 0);
    for (size_t i = 0; i < sizeof mem; i++)
        ASSERT_EQ(mem[i], (unsigned char)(i >= 4 && i < 24 ? 0xff : GUARD));
    ASSERT_EQ(mr_region_clear(r), 0);
    for (size_t i = 0; i < sizeof mem; i++)
        ASSERT_EQ(mem[i], (unsigned char)(i >= 4 && i < 24 ? 0x00 : GUARD));
    ASSERT_EQ(mr_region_fill(mr_region_make(mem + 30, 1), 0x01), 0);
    ASSERT_EQ(mem[29], GUARD);
    ASSERT_EQ(mem[30], 0x01);
    ASSERT_EQ(mem[31], GUARD);

    /* read-only: -EACCES, memory unchanged */
    memcpy(snap, mem, sizeof mem);
    ASSERT_ERR(mr_region_fill(mr_region_ro(r), 0x77), -EACCES);
    ASSERT_MEM_EQ(mem, snap, sizeof mem);
    ASSERT_ERR(mr_region_clear(mr_region_ro(r)), -EACCES);
    ASSERT_MEM_EQ(mem, snap, sizeof mem);
    ASSERT_ERR(mr_region_fill(mr_region_make_ro(mem, sizeof mem), 0), -EACCES);
    ASSERT_MEM_EQ(mem, snap, sizeof mem);
    /* read-only and empty: still refused */
    ASSERT_ERR(mr_region_fill(mr_region_make_ro(NULL, 0), 0), -EACCES);
    ASSERT_ERR(mr_region_clear(mr_region_make_ro(mem, 0)), -EACCES);
}

/* ---- copy and copy_all --------------------------------------------------------- */

static void fill_pattern(unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)(i * 37 + 11);
}

static void test_copy(void)
{
    unsigned char a[16], b[16], snap[16];

    /* min length: a longer destination keeps its tail */
    fill_pattern(a, sizeof a);
    memset(b, GUARD, sizeof b);
    ASSERT_EQ(mr_region_copy(mr_region_make(b, 12), mr_region_make(a, 5)), (ssize_t)5);
    ASSERT_MEM_EQ(b, a, 5);
    ASSERT_ALL_BYTES(b + 5, 11, GUARD);
    /* a shorter destination takes only its length */
    memset(b, GUARD, sizeof b);
    ASSERT_EQ(mr_region_copy(mr_region_make(b, 3), mr_region_make(a, 16)), (ssize_t)3);
    ASSERT_MEM_EQ(b, a, 3);
    ASSERT_ALL_BYTES(b + 3, 13, GUARD);
    /* from a read-only source is fine */
    memset(b, 0, sizeof b);
    ASSERT_EQ(mr_region_copy(mr_region_make(b, 16), mr_region_make_ro(a, 16)), (ssize_t)16);
    ASSERT_MEM_EQ(b, a, 16);

    /* read-only destination: -EACCES and nothing copied, even for 0 bytes */
    memset(b, GUARD, sizeof b);
    memcpy(snap, b, sizeof b);
    ASSERT_ERR(mr_region_copy(mr_region_make_ro(b, 16), mr_region_make(a, 16)), -EACCES);
    ASSERT_MEM_EQ(b, snap, 16);
    ASSERT_ERR(mr_region_copy(mr_region_make_ro(b, 16), mr_region_make(NULL, 0)), -EACCES);
    ASSERT_ERR(mr_region_copy(mr_region_make_ro(NULL, 0), mr_region_make(a, 16)), -EACCES);
    ASSERT_ERR(mr_region_copy(mr_region_ro(mr_region_make(b, 4)), mr_region_make(a, 4)), -EACCES);
    ASSERT_MEM_EQ(b, snap, 16);

    /* overlapping, spelled out */
    unsigned char s[11] = "0123456789";
    ASSERT_EQ(mr_region_copy(mr_region_make(s + 2, 6), mr_region_make(s, 8)), (ssize_t)6);
    ASSERT_MEM_EQ(s, "0101234589", 10); /* forward: dst after src */
    memcpy(s, "0123456789", 10);
    ASSERT_EQ(mr_region_copy(mr_region_make(s, 8), mr_region_make(s + 2, 8)), (ssize_t)8);
    ASSERT_MEM_EQ(s, "2345678989", 10); /* backward: dst before src */
    memcpy(s, "0123456789", 10);
    ASSERT_EQ(mr_region_copy(mr_region_make(s, 10), mr_region_make(s, 10)), (ssize_t)10);
    ASSERT_MEM_EQ(s, "0123456789", 10);

    /* overlapping, exhaustively: every placement gives memmove's result */
    unsigned char mem[32], ref[32];
    for (size_t doff = 0; doff < 12; doff++)
        for (size_t soff = 0; soff < 12; soff++)
            for (size_t dlen = 0; dlen <= 12; dlen++)
                for (size_t slen = 0; slen <= 12; slen++) {
                    fill_pattern(mem, sizeof mem);
                    fill_pattern(ref, sizeof ref);
                    size_t n = dlen < slen ? dlen : slen;
                    memmove(ref + doff, ref + soff, n);
                    ssize_t rc = mr_region_copy(mr_region_make(mem + doff, dlen),
                                                mr_region_make(mem + soff, slen));
                    if (rc != (ssize_t)n || memcmp(mem, ref, sizeof mem) != 0)
                        mr_test_fail(__FILE__, __LINE__,
                                     "copy dst=%zu+%zu src=%zu+%zu: returned %zd (want %zu), bytes %s",
                                     doff, dlen, soff, slen, rc, n,
                                     memcmp(mem, ref, sizeof mem) ? "differ from memmove" : "ok");
                }
}

static void test_copy_all(void)
{
    unsigned char a[16], b[16], snap[16];
    fill_pattern(a, sizeof a);

    /* short destination: -ERANGE, nothing written */
    memset(b, GUARD, sizeof b);
    memcpy(snap, b, sizeof b);
    ASSERT_ERR(mr_region_copy_all(mr_region_make(b, 7), mr_region_make(a, 8)), -ERANGE);
    ASSERT_MEM_EQ(b, snap, 16);
    ASSERT_ERR(mr_region_copy_all(mr_region_make(b, 0), mr_region_make(a, 1)), -ERANGE);
    ASSERT_ERR(mr_region_copy_all(mr_region_make(NULL, 0), mr_region_make(a, 16)), -ERANGE);
    ASSERT_MEM_EQ(b, snap, 16);

    /* success returns src.len, leaves the rest of dst alone */
    ASSERT_EQ(mr_region_copy_all(mr_region_make(b, 16), mr_region_make(a, 8)), (ssize_t)8);
    ASSERT_MEM_EQ(b, a, 8);
    ASSERT_ALL_BYTES(b + 8, 8, GUARD);
    memset(b, 0, sizeof b);
    ASSERT_EQ(mr_region_copy_all(mr_region_make(b, 8), mr_region_make_ro(a + 3, 8)), (ssize_t)8);
    ASSERT_MEM_EQ(b, a + 3, 8);

    /* read-only destination */
    memset(b, GUARD, sizeof b);
    ASSERT_ERR(mr_region_copy_all(mr_region_make_ro(b, 16), mr_region_make(a, 8)), -EACCES);
    ASSERT_MEM_EQ(b, snap, 16);
    ASSERT_ERR(mr_region_copy_all(mr_region_make_ro(b, 16), mr_region_make(NULL, 0)), -EACCES);

    /* exhaustive against the definition, overlap included */
    unsigned char mem[32], ref[32];
    for (size_t doff = 0; doff < 12; doff++)
        for (size_t soff = 0; soff < 12; soff++)
            for (size_t dlen = 0; dlen <= 12; dlen++)
                for (size_t slen = 0; slen <= 12; slen++) {
                    fill_pattern(mem, sizeof mem);
                    fill_pattern(ref, sizeof ref);
                    ssize_t want = -ERANGE;
                    if (dlen >= slen) {
                        memmove(ref + doff, ref + soff, slen);
                        want = (ssize_t)slen;
                    }
                    ssize_t rc = mr_region_copy_all(mr_region_make(mem + doff, dlen),
                                                    mr_region_make(mem + soff, slen));
                    if (rc != want || memcmp(mem, ref, sizeof mem) != 0)
                        mr_test_fail(__FILE__, __LINE__,
                                     "copy_all dst=%zu+%zu src=%zu+%zu: returned %zd (want %zd), bytes %s",
                                     doff, dlen, soff, slen, rc, want,
                                     memcmp(mem, ref, sizeof mem) ? "wrong" : "ok");
                }
}

/* ---- cmp and equal ------------------------------------------------------------- */

static struct mr_region str_region(const char *s) { return mr_region_make_ro(s, strlen(s)); }

static int ref_cmp(const unsigned char *a, size_t al, const unsigned char *b, size_t bl)
{
    for (size_t i = 0; i < al && i < bl; i++)
        if (a[i] != b[i])
            return a[i] < b[i] ? -1 : 1;
    return al < bl ? -1 : al > bl ? 1 : 0;
}

static void test_cmp_equal(void)
{
    ASSERT_EQ(mr_region_cmp(str_region("abc"), str_region("abd")), -1);
    ASSERT_EQ(mr_region_cmp(str_region("abd"), str_region("abc")), 1);
    ASSERT_EQ(mr_region_cmp(str_region("abc"), str_region("abc")), 0);
    /* a prefix sorts first */
    ASSERT_EQ(mr_region_cmp(str_region("ab"), str_region("abc")), -1);
    ASSERT_EQ(mr_region_cmp(str_region("abc"), str_region("ab")), 1);
    /* bytes decide before length */
    ASSERT_EQ(mr_region_cmp(str_region("b"), str_region("aaaa")), 1);
    ASSERT_EQ(mr_region_cmp(str_region("aaaa"), str_region("b")), -1);
    /* bytes are unsigned, and the result is only the sign */
    unsigned char b00[1] = { 0x00 }, bff[1] = { 0xff }, b7f[1] = { 0x7f }, b80[1] = { 0x80 };
    struct mr_region lo = MR_REGION_OF_ARRAY(b00), hi = MR_REGION_OF_ARRAY(bff);
    struct mr_region m7 = MR_REGION_OF_ARRAY(b7f), m8 = MR_REGION_OF_ARRAY(b80);
    ASSERT_EQ(mr_region_cmp(lo, hi), -1);
    ASSERT_EQ(mr_region_cmp(hi, lo), 1);
    ASSERT_EQ(mr_region_cmp(m8, m7), 1);
    ASSERT_EQ(mr_region_cmp(m7, m8), -1);
    /* zero bytes are data, not terminators */
    ASSERT_EQ(mr_region_cmp(mr_region_make_ro("a\0b", 3), mr_region_make_ro("a\0c", 3)), -1);
    ASSERT_FALSE(mr_region_equal(mr_region_make_ro("a\0b", 3), mr_region_make_ro("a\0c", 3)));
    /* read-only and writable compare alike */
    char w[] = "abc";
    ASSERT_EQ(mr_region_cmp(mr_region_make(w, 3), str_region("abc")), 0);
    ASSERT_TRUE(mr_region_equal(mr_region_make(w, 3), str_region("abc")));

    ASSERT_TRUE(mr_region_equal(str_region("hello"), str_region("hello")));
    ASSERT_FALSE(mr_region_equal(str_region("hello"), str_region("hellO")));
    ASSERT_FALSE(mr_region_equal(str_region("hello"), str_region("hell")));
    ASSERT_FALSE(mr_region_equal(str_region("hell"), str_region("hello")));

    /* against a reference, over short strings of extreme bytes */
    static const unsigned char alpha[4] = { 0x00, 0x7f, 0x80, 0xff };
    unsigned char a[5], b[5];
    for (int iter = 0; iter < 3000; iter++) {
        size_t al = mr_test_rand(&rng_state) % 5, bl = mr_test_rand(&rng_state) % 5;
        for (size_t i = 0; i < al; i++)
            a[i] = alpha[mr_test_rand(&rng_state) % 4];
        for (size_t i = 0; i < bl; i++)
            b[i] = alpha[mr_test_rand(&rng_state) % 4];
        if (iter % 3 == 0) { /* make many of them share a prefix */
            memcpy(b, a, al < bl ? al : bl);
        }
        int want = ref_cmp(a, al, b, bl);
        struct mr_region ra = mr_region_make(al ? a : NULL, al);
        struct mr_region rb = mr_region_make(bl ? b : NULL, bl);
        int got = mr_region_cmp(ra, rb);
        if (got != want)
            mr_test_fail(__FILE__, __LINE__, "cmp of lengths %zu, %zu: got %d, want %d", al, bl, got, want);
        ASSERT_EQ(mr_region_cmp(rb, ra), -want);
        ASSERT_EQ(mr_region_equal(ra, rb), want == 0);
        ASSERT_EQ(mr_region_equal(rb, ra), want == 0);
    }
}

/* ---- find ------------------------------------------------------------------------ */

static ssize_t ref_find(const unsigned char *h, size_t hl, const unsigned char *n, size_t nl)
{
    for (size_t i = 0; i + nl <= hl; i++)
        if (memcmp(h + i, n, nl) == 0)
            return (ssize_t)i;
    return -ENOENT;
}

static void test_find(void)
{
    struct mr_region hay = str_region("hello world");
    ASSERT_EQ(mr_region_find(hay, str_region("hello")), (ssize_t)0);
    ASSERT_EQ(mr_region_find(hay, str_region("h")), (ssize_t)0);
    ASSERT_EQ(mr_region_find(hay, str_region("o w")), (ssize_t)4);
    ASSERT_EQ(mr_region_find(hay, str_region("o")), (ssize_t)4); /* the first one */
    ASSERT_EQ(mr_region_find(hay, str_region("world")), (ssize_t)6);
    ASSERT_EQ(mr_region_find(hay, str_region("d")), (ssize_t)10);
    ASSERT_EQ(mr_region_find(hay, str_region("hello world")), (ssize_t)0);
    ASSERT_ERR(mr_region_find(hay, str_region("xyz")), -ENOENT);
    ASSERT_ERR(mr_region_find(hay, str_region("worlds")), -ENOENT);
    ASSERT_ERR(mr_region_find(hay, str_region("hello world!")), -ENOENT); /* longer */
    ASSERT_ERR(mr_region_find(str_region("ab"), str_region("abc")), -ENOENT);
    /* empty needle: 0, whatever the hay */
    ASSERT_EQ(mr_region_find(hay, mr_region_make(NULL, 0)), (ssize_t)0);
    ASSERT_EQ(mr_region_find(hay, mr_region_make_ro("x", 0)), (ssize_t)0);
    /* overlapping patterns */
    ASSERT_EQ(mr_region_find(str_region("aaab"), str_region("aab")), (ssize_t)1);
    ASSERT_EQ(mr_region_find(str_region("ababc"), str_region("abc")), (ssize_t)2);
    ASSERT_EQ(mr_region_find(str_region("aaaa"), str_region("aa")), (ssize_t)0);
    ASSERT_EQ(mr_region_find(str_region("abaabaabb"), str_region("aabb")), (ssize_t)5);
    /* binary: zero bytes are data */
    ASSERT_EQ(mr_region_find(mr_region_make_ro("\x01\x00\x00\x01", 4), mr_region_make_ro("\x00\x01", 2)),
              (ssize_t)2);
    ASSERT_EQ(mr_region_find(mr_region_make_ro("a\0b\0c", 5), mr_region_make_ro("\0c", 2)), (ssize_t)3);
    ASSERT_EQ(mr_region_find(mr_region_make_ro("\xff\x80\xff", 3), mr_region_make_ro("\x80\xff", 2)),
              (ssize_t)1);
    /* the hay's bounds are respected: a match that runs past its end is not one */
    const char *big = "xxxabcxxx";
    ASSERT_ERR(mr_region_find(mr_region_make_ro(big, 5), str_region("abc")), -ENOENT);
    ASSERT_EQ(mr_region_find(mr_region_make_ro(big, 6), str_region("abc")), (ssize_t)3);
    /* the offset is relative to the hay, not to the memory it sits in */
    struct mr_region sub;
    ASSERT_EQ(mr_region_sub(str_region(big), 2, 7, &sub), 0);
    ASSERT_EQ(mr_region_find(sub, str_region("abc")), (ssize_t)1);
    /* the needle's bounds too: only its len bytes are looked for */
    ASSERT_EQ(mr_region_find(hay, mr_region_make_ro("worldXYZ", 5)), (ssize_t)6);
    /* writable regions work the same */
    char w[] = "needle in haystack";
    ASSERT_EQ(mr_region_find(mr_region_make(w, strlen(w)), mr_region_make(w + 10, 3)), (ssize_t)10);

    /* against a naive reference, over a two-letter alphabet (many near misses) */
    unsigned char h[10], n[5];
    for (int iter = 0; iter < 4000; iter++) {
        size_t hl = mr_test_rand(&rng_state) % 11, nl = mr_test_rand(&rng_state) % 6;
        for (size_t i = 0; i < hl; i++)
            h[i] = (unsigned char)('a' + mr_test_rand(&rng_state) % 2);
        for (size_t i = 0; i < nl; i++)
            n[i] = (unsigned char)('a' + mr_test_rand(&rng_state) % 2);
        ssize_t want = nl == 0 ? 0 : ref_find(h, hl, n, nl);
        ssize_t got = mr_region_find(mr_region_make_ro(hl ? h : NULL, hl), mr_region_make_ro(nl ? n : NULL, nl));
        if (got != want)
            mr_test_fail(__FILE__, __LINE__, "find \"%.*s\" in \"%.*s\": got %zd, want %zd",
                         (int)nl, (const char *)n, (int)hl, (const char *)h, got, want);
    }
}

/* ---- zero-length regions with every operation ------------------------------------ */

static void test_empty_everywhere(void)
{
    unsigned char mem[4] = { 1, 2, 3, 4 };
    const struct mr_region empties[] = { mr_region_make(NULL, 0), mr_region_make(mem, 0),
                                         mr_region_make(mem + 4, 0) };
    struct mr_region full = MR_REGION_OF_ARRAY(mem);

    for (size_t e = 0; e < MR_TEST_COUNT(empties); e++) {
        struct mr_region z = empties[e], s;

        set_sentinel(&s);
        ASSERT_EQ(mr_region_sub(z, 0, 0, &s), 0);
        ASSERT_EQ(s.len, (size_t)0);
        ASSERT_EQ(s.flags, 0u);
        SUB_FAILS(z, 0, 1);
        SUB_FAILS(z, 1, 0);
        SUB_FAILS(z, SIZE_MAX, 0);
        SUB_FAILS(z, 0, SIZE_MAX);
        set_sentinel(&s);
        ASSERT_EQ(mr_region_tail(z, 0, &s), 0);
        ASSERT_EQ(s.len, (size_t)0);
        TAIL_FAILS(z, 1);
        TAIL_FAILS(z, SIZE_MAX);

        ASSERT_EQ(mr_region_fill(z, 0xee), 0);
        ASSERT_EQ(mr_region_clear(z), 0);
        ASSERT_MEM_EQ(mem, "\x01\x02\x03\x04", 4);

        for (size_t f = 0; f < MR_TEST_COUNT(empties); f++) {
            ASSERT_EQ(mr_region_copy(z, empties[f]), (ssize_t)0);
            ASSERT_EQ(mr_region_copy_all(z, empties[f]), (ssize_t)0);
            ASSERT_EQ(mr_region_cmp(z, empties[f]), 0);
            ASSERT_TRUE(mr_region_equal(z, empties[f]));
            ASSERT_EQ(mr_region_find(z, empties[f]), (ssize_t)0);
        }
        ASSERT_EQ(mr_region_copy(z, full), (ssize_t)0);
        ASSERT_EQ(mr_region_copy(full, z), (ssize_t)0);
        ASSERT_ERR(mr_region_copy_all(z, full), -ERANGE);
        ASSERT_EQ(mr_region_copy_all(full, z), (ssize_t)0);
        ASSERT_MEM_EQ(mem, "\x01\x02\x03\x04", 4);
        ASSERT_EQ(mr_region_cmp(z, full), -1);
        ASSERT_EQ(mr_region_cmp(full, z), 1);
        ASSERT_FALSE(mr_region_equal(z, full));
        ASSERT_FALSE(mr_region_equal(full, z));
        ASSERT_ERR(mr_region_find(z, full), -ENOENT);
        ASSERT_EQ(mr_region_find(full, z), (ssize_t)0);

        /* read-only and empty: writes are still refused */
        struct mr_region zr = mr_region_ro(z);
        ASSERT_ERR(mr_region_fill(zr, 0), -EACCES);
        ASSERT_ERR(mr_region_clear(zr), -EACCES);
        ASSERT_ERR(mr_region_copy(zr, z), -EACCES);
        ASSERT_ERR(mr_region_copy_all(zr, z), -EACCES);
        ASSERT_EQ(mr_region_cmp(zr, z), 0);
        ASSERT_EQ(mr_region_find(zr, z), (ssize_t)0);
        set_sentinel(&s);
        ASSERT_EQ(mr_region_sub(zr, 0, 0, &s), 0);
        ASSERT_EQ(s.flags, MR_REGION_RDONLY);

        /* hexdump writes nothing */
        FILE *f = tmpfile();
        if (!f)
            mr_test_fail(__FILE__, __LINE__, "tmpfile failed");
        ASSERT_EQ(mr_region_hexdump(z, f, 0), 0);
        ASSERT_EQ(mr_region_hexdump(zr, f, 0x12345), 0);
        ASSERT_EQ(mr_region_hexdump(z, f, SIZE_MAX), 0);
        ASSERT_EQ(fflush(f), 0);
        ASSERT_EQ(ftell(f), 0L);
        fclose(f);
    }
}

int main(void)
{
    test_constructors();
    test_fits();
    test_init();
    test_sub_tail();
    test_access_all();
    test_access_values();
    test_fill_clear();
    test_copy();
    test_copy_all();
    test_cmp_equal();
    test_find();
    test_empty_everywhere();
    return 0;
}
