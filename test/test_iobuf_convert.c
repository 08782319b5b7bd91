/* SPDX-License-Identifier: MIT */
/* test/test_iobuf_convert.c: host-order arrays to wire-order bytes and back,
 * for every width and order, with every conversion kernel this CPU runs
 * (the portable one always), at odd counts that end in each kernel's tail,
 * at unaligned addresses on both sides and in place, against a reference
 * computed byte by byte; and the refusals (short region, read-only region,
 * bad order, overflow), which must write nothing. */
#include "helpers.h"
#include "swap_internal.h"

static const char *const kernel_names[] = { "portable", "ssse3", "avx2", "avx512bw" };
static const enum mr_order orders[] = { MR_ORDER_HOST, MR_ORDER_LE, MR_ORDER_BE };
static const size_t widths[] = { 2, 4, 8 };
/* Around every step of the kernels: 16, 32, 64, 128 and 256 bytes. */
static const size_t counts[] = { 0,  1,  2,  3,  4,  5,  7,  8,   9,   15,  16,  17,  31,
                                 32, 33, 63, 64, 65, 96, 127, 128, 129, 200, 257, 300 };
static const size_t skews[] = { 0, 1, 3, 4, 7 };

#define MAX_BYTES (300 * 8)
#define GUARD 16
#define SENTINEL 0xa5

static bool wire_is_le(enum mr_order o)
{
    return o == MR_ORDER_LE || (o == MR_ORDER_HOST && MR_HOST_LITTLE_ENDIAN);
}

/* Element i of a host array of width w, read byte by byte through the host's
 * own representation (memcpy into an integer of that width). */
static uint64_t host_get(const unsigned char *p, size_t w, size_t i)
{
    uint16_t a;
    uint32_t b;
    uint64_t c;
    switch (w) {
    case 2: memcpy(&a, p + i * 2, 2); return a;
    case 4: memcpy(&b, p + i * 4, 4); return b;
    default: memcpy(&c, p + i * 8, 8); return c;
    }
}

/* The reference wire bytes of value v: byte k holds bits 8k.. (LE) or the
 * k-th most significant byte (BE). */
static void wire_put(unsigned char *p, size_t w, uint64_t v, bool le)
{
    for (size_t k = 0; k < w; k++)
        p[k] = (unsigned char)(v >> (8 * (le ? k : w - 1 - k)));
}

static uint64_t wire_get(const unsigned char *p, size_t w, bool le)
{
    uint64_t v = 0;
    for (size_t k = 0; k < w; k++)
        v |= (uint64_t)p[k] << (8 * (le ? k : w - 1 - k));
    return v;
}

static ssize_t encode(size_t w, struct mr_region dst, const void *src, size_t n, enum mr_order o)
{
    return w == 2   ? mr_iobuf_encode_u16(dst, src, n, o)
           : w == 4 ? mr_iobuf_encode_u32(dst, src, n, o)
                    : mr_iobuf_encode_u64(dst, src, n, o);
}

static ssize_t decode(size_t w, void *dst, struct mr_region src, size_t n, enum mr_order o)
{
    return w == 2   ? mr_iobuf_decode_u16(dst, src, n, o)
           : w == 4 ? mr_iobuf_decode_u32(dst, src, n, o)
                    : mr_iobuf_decode_u64(dst, src, n, o);
}

static uint64_t rng_state = 0x9e3779b9u;
static unsigned char rnd(void) { return (unsigned char)mr_test_rand(&rng_state); }

/* Buffers with room for the largest case, a guard on both sides and a skew. */
static unsigned char src_buf[GUARD + 8 + MAX_BYTES + GUARD];
static unsigned char dst_buf[GUARD + 8 + MAX_BYTES + GUARD];
static unsigned char want[GUARD + 8 + MAX_BYTES + GUARD];

static void fill_random(unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = rnd();
}

static void one_case(size_t w, enum mr_order o, size_t n, size_t sskew, size_t dskew)
{
    size_t bytes = n * w;
    bool le = wire_is_le(o);
    unsigned char *src = src_buf + GUARD + sskew;
    unsigned char *dst = dst_buf + GUARD + dskew;
    unsigned char *ref = want + GUARD + dskew;
    size_t span = GUARD + 8 + bytes + GUARD; /* what the checks look at */

    /* Encode: host array at src, wire bytes at dst. The region may be longer
     * than needed: only the first n * w bytes are written. */
    fill_random(src_buf, span);
    memset(dst_buf, SENTINEL, span);
    memset(want, SENTINEL, span);
    for (size_t i = 0; i < n; i++)
        wire_put(ref + i * w, w, host_get(src, w, i), le);
    ASSERT_EQ(encode(w, mr_region_make(dst, bytes + 3), src, n, o), (ssize_t)bytes);
    if (memcmp(dst_buf, want, span) != 0)
        mr_test_fail(__FILE__, __LINE__,
                     "encode w=%zu order=%d n=%zu skews=%zu/%zu (%s): first difference at %zd",
                     w, (int)o, n, sskew, dskew, mr_iobuf_convert_impl(),
                     (ssize_t)mr_test_first_diff(dst_buf, want, span) - GUARD - (ssize_t)dskew);

    /* Decode: wire bytes at src, host array at dst. */
    fill_random(src_buf, span);
    memset(dst_buf, SENTINEL, span);
    memset(want, SENTINEL, span);
    for (size_t i = 0; i < n; i++) {
        uint64_t v = wire_get(src + i * w, w, le);
        uint16_t a = (uint16_t)v;
        uint32_t b = (uint32_t)v;
        memcpy(ref + i * w, w == 2 ? (void *)&a : w == 4 ? (void *)&b : (void *)&v, w);
    }
    ASSERT_EQ(decode(w, dst, mr_region_make_ro(src, bytes), n, o), (ssize_t)bytes);
    if (memcmp(dst_buf, want, span) != 0)
        mr_test_fail(__FILE__, __LINE__,
                     "decode w=%zu order=%d n=%zu skews=%zu/%zu (%s): first difference at %zd",
                     w, (int)o, n, sskew, dskew, mr_iobuf_convert_impl(),
                     (ssize_t)mr_test_first_diff(dst_buf, want, span) - GUARD - (ssize_t)dskew);

    /* In place, both ways: the decoded array encodes back to the wire bytes. */
    if (sskew == dskew) {
        memcpy(dst_buf, src_buf, span);
        struct mr_region r = mr_region_make(dst, bytes);
        ASSERT_EQ(decode(w, dst, r, n, o), (ssize_t)bytes);
        ASSERT_MEM_EQ(dst, ref, bytes); /* the same as decoding apart */
        ASSERT_EQ(encode(w, r, dst, n, o), (ssize_t)bytes);
        ASSERT_MEM_EQ(dst_buf, src_buf, span);
    }
}

static void test_all_kernels(void)
{
    size_t ran = 0;
    for (size_t k = 0; k < sizeof kernel_names / sizeof kernel_names[0]; k++) {
        int rc = mr__swap_force(kernel_names[k]);
        if (rc == -ENOTSUP) {
            mr_test_skip_case(kernel_names[k], "this CPU lacks the instructions it needs");
            continue;
        }
        ASSERT_OK(rc);
        ASSERT_STR_EQ(mr_iobuf_convert_impl(), kernel_names[k]);
        ran++;
        for (size_t wi = 0; wi < 3; wi++)
            for (size_t oi = 0; oi < 3; oi++)
                for (size_t ci = 0; ci < sizeof counts / sizeof counts[0]; ci++)
                    for (size_t si = 0; si < sizeof skews / sizeof skews[0]; si++)
                        for (size_t di = 0; di < sizeof skews / sizeof skews[0]; di++)
                            one_case(widths[wi], orders[oi], counts[ci], skews[si], skews[di]);
    }
    ASSERT_GE(ran, (size_t)1);
    ASSERT_OK(mr__swap_force(NULL));
}

/* A few known values, so that the reference itself is checked. */
static void test_known(void)
{
    const uint16_t a[2] = { 0x0102, 0xa0b0 };
    const uint32_t b[2] = { 0x01020304u, 0xdeadbeefu };
    const uint64_t c[1] = { UINT64_C(0x0102030405060708) };
    unsigned char out[16];
    struct mr_region r = MR_REGION_OF_ARRAY(out);

    ASSERT_EQ(mr_iobuf_encode_u16(r, a, 2, MR_ORDER_BE), (ssize_t)4);
    ASSERT_MEM_EQ(out, "\x01\x02\xa0\xb0", 4);
    ASSERT_EQ(mr_iobuf_encode_u16(r, a, 2, MR_ORDER_LE), (ssize_t)4);
    ASSERT_MEM_EQ(out, "\x02\x01\xb0\xa0", 4);
    ASSERT_EQ(mr_iobuf_encode_u32(r, b, 2, MR_ORDER_BE), (ssize_t)8);
    ASSERT_MEM_EQ(out, "\x01\x02\x03\x04\xde\xad\xbe\xef", 8);
    ASSERT_EQ(mr_iobuf_encode_u64(r, c, 1, MR_ORDER_LE), (ssize_t)8);
    ASSERT_MEM_EQ(out, "\x08\x07\x06\x05\x04\x03\x02\x01", 8);

    uint32_t back[2];
    ASSERT_EQ(mr_iobuf_decode_u32(back, mr_region_make_ro("\xde\xad\xbe\xef\x00\x00\x00\x2a", 8), 2,
                                  MR_ORDER_BE),
              (ssize_t)8);
    ASSERT_EQ(back[0], 0xdeadbeefu);
    ASSERT_EQ(back[1], 42u);

    /* Signed and floating-point arrays go through as their bytes. */
    const double d = -1.5;
    double e = 0;
    ASSERT_EQ(mr_iobuf_encode_u64(r, &d, 1, MR_ORDER_BE), (ssize_t)8);
    ASSERT_FEQ(mr_load_f64be(out, 0), -1.5);
    ASSERT_EQ(mr_iobuf_decode_u64(&e, mr_region_make(out, 8), 1, MR_ORDER_BE), (ssize_t)8);
    ASSERT_FEQ(e, -1.5);
}

static void test_refused(void)
{
    unsigned char wire[64], host[64], before_w[64], before_h[64];
    fill_random(wire, sizeof wire);
    fill_random(host, sizeof host);
    memcpy(before_w, wire, sizeof wire);
    memcpy(before_h, host, sizeof host);

    for (size_t wi = 0; wi < 3; wi++) {
        size_t w = widths[wi];
        size_t n = 64 / w;
        for (size_t oi = 0; oi < 3; oi++) {
            enum mr_order o = orders[oi];
            /* One byte short, and a count whose byte size overflows. */
            ASSERT_ERR(encode(w, mr_region_make(wire, 63), host, n, o), -ERANGE);
            ASSERT_ERR(decode(w, host, mr_region_make(wire, 63), n, o), -ERANGE);
            ASSERT_ERR(encode(w, mr_region_make(wire, 0), host, 1, o), -ERANGE);
            ASSERT_ERR(encode(w, mr_region_make(wire, 64), host, SIZE_MAX / w + 1, o), -ERANGE);
            ASSERT_ERR(decode(w, host, mr_region_make(wire, 64), SIZE_MAX / 2 + 1, o), -ERANGE);
            /* Read-only destination; it wins over the other errors. */
            ASSERT_ERR(encode(w, mr_region_make_ro(wire, 64), host, n, o), -EACCES);
            ASSERT_ERR(encode(w, mr_region_make_ro(wire, 1), host, n, o), -EACCES);
            /* A NULL host array. */
            ASSERT_ERR(encode(w, mr_region_make(wire, 64), NULL, 1, o), -EINVAL);
            ASSERT_ERR(decode(w, NULL, mr_region_make(wire, 64), 1, o), -EINVAL);
            /* Nothing at all to do. */
            ASSERT_EQ(encode(w, mr_region_make(NULL, 0), NULL, 0, o), (ssize_t)0);
            ASSERT_EQ(decode(w, NULL, mr_region_make(NULL, 0), 0, o), (ssize_t)0);
            ASSERT_EQ(decode(w, host, mr_region_make(wire, 64), 0, o), (ssize_t)0);
        }
        ASSERT_ERR(encode(w, mr_region_make(wire, 64), host, n, (enum mr_order)3), -EINVAL);
        ASSERT_ERR(decode(w, host, mr_region_make(wire, 64), n, (enum mr_order)-1), -EINVAL);
    }
    ASSERT_MEM_EQ(wire, before_w, sizeof wire);
    ASSERT_MEM_EQ(host, before_h, sizeof host);

    ASSERT_ERR(mr__swap_force("sse9"), -EINVAL);
    ASSERT_ERR(mr__swap_force(""), -EINVAL);
}

/* A large array round trip with the default kernels. */
static void test_large(void)
{
    size_t n = (1 << 20) + 3;
    uint32_t *a = malloc(n * 4), *b = malloc(n * 4);
    unsigned char *wire = malloc(n * 4 + 1);
    ASSERT_TRUE(a && b && wire);
    for (size_t i = 0; i < n; i++)
        a[i] = (uint32_t)(i * 2654435761u);
    struct mr_region r = mr_region_make(wire + 1, n * 4);
    ASSERT_EQ(mr_iobuf_encode_u32(r, a, n, MR_ORDER_BE), (ssize_t)(n * 4));
    ASSERT_EQ(mr_load_u32be(wire, 1 + 4 * 12345), a[12345]);
    ASSERT_EQ(mr_iobuf_decode_u32(b, r, n, MR_ORDER_BE), (ssize_t)(n * 4));
    ASSERT_MEM_EQ(a, b, n * 4);
    free(a);
    free(b);
    free(wire);
}

int main(void)
{
    fprintf(stderr, "default conversion kernels: %s\n", mr_iobuf_convert_impl());
    test_known();
    test_refused();
    test_all_kernels();
    test_large();
    return 0;
}
