/* SPDX-License-Identifier: MIT */
/* test/test_cursor_growable.c: growable writers: init over the heap and over
 * a failing allocator, growth from capacity 0 and 1 across many doublings,
 * the data() view, seeking back and overwriting, reads that see only the
 * bytes written, take (exact length, from the writer's allocator, cursor left
 * usable, refused on a fixed region, failing cleanly), fini, oversized
 * requests, and the out-of-memory walk (after test_alloc_oom.c): each refused
 * growth is a recorded, sticky -ENOMEM that changes nothing, with nothing
 * leaked and the data before it intact. */
#include "helpers.h"

#define SENTINEL 0x5c

/* The byte the pattern writes at offset i. */
static unsigned char pat(size_t i) { return (unsigned char)(i * 131 + (i >> 8) + 7); }

static void check_empty(const struct mr_cursor *c)
{
    ASSERT_EQ(mr_cursor_tell(c), (size_t)0);
    ASSERT_EQ(mr_cursor_remaining(c), (size_t)0);
    ASSERT_EQ(mr_cursor_data(c).len, (size_t)0);
}

/* ---- growth ------------------------------------------------------------------ */

/* Write n bytes one at a time (each crossing of the capacity goes through the
 * slow path) and then as u32s, from the given initial capacity. The failing
 * allocator never fails here: it counts the allocations, which must be
 * logarithmic in the size (doubling), and proves the buffer is its. */
static void check_growth(size_t initial, size_t n)
{
    struct mr_failing fl;
    struct mr_cursor c;

    mr_failing_init(&fl, NULL, -1);
    ASSERT_OK(mr_cursor_init_growable(&c, mr_failing_allocator(&fl), initial));
    check_empty(&c);
    ASSERT_EQ(mr_cursor_error(&c), 0);
    ASSERT_EQ(fl.live_blocks, initial ? (size_t)1 : 0);
    ASSERT_EQ(fl.live_bytes, initial);
    /* Nothing written yet: nothing to read, though there is capacity. */
    ASSERT_EQ(mr_cursor_read_u8(&c), 0);
    ASSERT_EQ(mr_cursor_error(&c), -ERANGE);
    mr_cursor_clear_error(&c);
    ASSERT_ERR(mr_cursor_seek(&c, 1, SEEK_SET), -ERANGE);
    mr_cursor_clear_error(&c);

    for (size_t i = 0; i < n; i++) {
        ASSERT_OK(mr_cursor_write_u8(&c, pat(i)));
        ASSERT_EQ(mr_cursor_tell(&c), i + 1);
    }
    ASSERT_EQ(mr_cursor_remaining(&c), (size_t)0);
    struct mr_region d = mr_cursor_data(&c);
    ASSERT_EQ(d.len, n);
    ASSERT_EQ(d.flags, 0u);
    for (size_t i = 0; i < n; i++)
        if (((unsigned char *)d.ptr)[i] != pat(i))
            mr_test_fail(__FILE__, __LINE__, "byte %zu of %zu is wrong", i, n);
    ASSERT_EQ(fl.live_blocks, (size_t)1);
    /* At least 64 bytes, then doubling: one allocation per doubling, and
     * byte writes never need more than one doubling at a time. */
    size_t allocs = initial ? 1 : 0, cap = initial;
    if (cap < n) {
        if (cap < 64) {
            cap = 64;
            allocs++;
        }
        while (cap < n) {
            cap *= 2;
            allocs++;
        }
    }
    ASSERT_EQ(fl.attempts, allocs);
    ASSERT_EQ(fl.live_bytes, cap);

    for (size_t i = 0; i < n / 4; i++)
        ASSERT_OK(mr_cursor_write_u32be(&c, (uint32_t)i * 2654435761u));
    ASSERT_EQ(mr_cursor_tell(&c), n + n / 4 * 4);
    ASSERT_OK(mr_cursor_seek(&c, (int64_t)n, SEEK_SET));
    for (size_t i = 0; i < n / 4; i++)
        ASSERT_EQ(mr_cursor_read_u32be(&c), (uint32_t)i * 2654435761u);
    ASSERT_EQ(mr_cursor_read_u8(&c), 0);
    ASSERT_EQ(mr_cursor_error(&c), -ERANGE);
    mr_cursor_fini(&c);
    ASSERT_EQ(fl.live_blocks, (size_t)0);
    ASSERT_EQ(fl.live_bytes, (size_t)0);
    check_empty(&c);
}

static void test_growth(void)
{
    check_growth(0, 100000);
    check_growth(1, 100000);
    check_growth(1, 1);
    check_growth(0, 64);
    check_growth(0, 65);
    check_growth(1000, 100);
    check_growth(4096, 4096);
    check_growth(4096, 4097);

    /* One big write from nothing grows at once to what it needs. */
    static unsigned char big[300000];
    struct mr_cursor c;
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = pat(i);
    ASSERT_OK(mr_cursor_init_growable(&c, mr_heap(), 0));
    ASSERT_OK(mr_cursor_write_u8(&c, 1));
    ASSERT_OK(mr_cursor_write_bytes(&c, big, sizeof big));
    ASSERT_EQ(mr_cursor_data(&c).len, 1 + sizeof big);
    ASSERT_MEM_EQ((unsigned char *)mr_cursor_data(&c).ptr + 1, big, sizeof big);
    mr_cursor_fini(&c);

    /* Every kind of write grows the buffer. */
    ASSERT_OK(mr_cursor_init_growable(&c, NULL, 1));
    for (int i = 0; i < 300; i++) {
        ASSERT_OK(mr_cursor_write_fill(&c, 0xab, 3));
        ASSERT_OK(mr_cursor_write_str(&c, "str", 5));
        ASSERT_OK(mr_cursor_write_cstr(&c, "cs"));
        ASSERT_OK(mr_cursor_write_uleb128(&c, UINT64_MAX >> (i % 64)));
        ASSERT_OK(mr_cursor_write_sleb128(&c, -(int64_t)i * 1000003));
        ASSERT_OK(mr_cursor_write_f64le(&c, i * 0.5));
        ASSERT_OK(mr_cursor_write_i16be(&c, (int16_t)-i));
    }
    ASSERT_OK(mr_cursor_seek(&c, 0, SEEK_SET));
    for (int i = 0; i < 300; i++) {
        unsigned char fill[3];
        char s[8];
        ASSERT_OK(mr_cursor_read_exact(&c, fill, 3));
        ASSERT_MEM_EQ(fill, "\xab\xab\xab", 3);
        ASSERT_EQ(mr_cursor_read_str(&c, 5, s, sizeof s), 3);
        ASSERT_STR_EQ(s, "str");
        ASSERT_EQ(mr_cursor_read_cstr(&c, s, sizeof s), 2);
        ASSERT_STR_EQ(s, "cs");
        ASSERT_EQ(mr_cursor_read_uleb128(&c), UINT64_MAX >> (i % 64));
        ASSERT_EQ(mr_cursor_read_sleb128(&c), -(int64_t)i * 1000003);
        ASSERT_FEQ(mr_cursor_read_f64le(&c), i * 0.5);
        ASSERT_EQ(mr_cursor_read_i16be(&c), (int16_t)-i);
    }
    ASSERT_EQ(mr_cursor_remaining(&c), (size_t)0);
    ASSERT_EQ(mr_cursor_error(&c), 0);
    mr_cursor_fini(&c);
}

/* ---- init, fini, bad sizes ----------------------------------------------------- */

static void test_init_fini(void)
{
    struct mr_failing fl;
    struct mr_cursor c;

    ASSERT_ERR(mr_cursor_init_growable(NULL, mr_heap(), 0), -EINVAL);

    /* The first allocation refused: -ENOMEM, nothing allocated. */
    mr_failing_init(&fl, NULL, 0);
    ASSERT_ERR(mr_cursor_init_growable(&c, mr_failing_allocator(&fl), 16), -ENOMEM);
    ASSERT_EQ(fl.live_blocks, (size_t)0);
    /* Capacity 0 allocates nothing, so it cannot fail; the first write can. */
    ASSERT_OK(mr_cursor_init_growable(&c, mr_failing_allocator(&fl), 0));
    ASSERT_EQ(fl.attempts, (size_t)1);
    ASSERT_ERR(mr_cursor_write_u8(&c, 1), -ENOMEM);
    ASSERT_EQ(mr_cursor_error(&c), -ENOMEM);
    check_empty(&c);
    mr_cursor_fini(&c);
    ASSERT_EQ(fl.live_blocks, (size_t)0);

    /* Larger than any allocator gives. */
    ASSERT_ERR(mr_cursor_init_growable(&c, mr_heap(), SIZE_MAX), -E2BIG);
    ASSERT_ERR(mr_cursor_init_growable(&c, mr_heap(), (size_t)PTRDIFF_MAX + 1), -E2BIG);

    /* A write whose end passes PTRDIFF_MAX or wraps: -E2BIG, recorded,
     * nothing allocated or changed. */
    mr_failing_init(&fl, NULL, -1);
    ASSERT_OK(mr_cursor_init_growable(&c, mr_failing_allocator(&fl), 0));
    ASSERT_OK(mr_cursor_write_bytes(&c, "abc", 3));
    size_t attempts = fl.attempts;
    ASSERT_ERR(mr_cursor_write_fill(&c, 0, SIZE_MAX), -E2BIG);
    ASSERT_EQ(mr_cursor_error(&c), -E2BIG);
    ASSERT_EQ(mr_cursor_tell(&c), (size_t)3);
    ASSERT_ERR(mr_cursor_write_u8(&c, 0), -E2BIG);
    mr_cursor_clear_error(&c);
    ASSERT_ERR(mr_cursor_write_fill(&c, 0, (size_t)PTRDIFF_MAX - 2), -E2BIG);
    mr_cursor_clear_error(&c);
    volatile size_t huge_v = SIZE_MAX - 1;
    ASSERT_ERR(mr_cursor_write_bytes(&c, "x", huge_v), -E2BIG);
    mr_cursor_clear_error(&c);
    ASSERT_EQ(fl.attempts, attempts);
    ASSERT_EQ(mr_cursor_data(&c).len, (size_t)3);
    ASSERT_MEM_EQ(mr_cursor_data(&c).ptr, "abc", 3);
    ASSERT_OK(mr_cursor_write_u8(&c, 'd'));
    ASSERT_MEM_EQ(mr_cursor_data(&c).ptr, "abcd", 4);

    /* fini frees, and leaves an empty cursor. */
    mr_cursor_fini(&c);
    ASSERT_EQ(fl.live_blocks, (size_t)0);
    ASSERT_EQ(fl.live_bytes, (size_t)0);
    check_empty(&c);

    mr_failing_init(&fl, NULL, -1);
    ASSERT_OK(mr_cursor_init_growable(&c, mr_failing_allocator(&fl), 100));
    ASSERT_EQ(fl.live_bytes, (size_t)100);
    mr_cursor_fini(&c);
    ASSERT_EQ(fl.live_blocks, (size_t)0);
}

/* ---- data, seek, overwrite, reads ----------------------------------------------- */

static void test_seek_overwrite(void)
{
    struct mr_cursor c;
    unsigned char expect[402];

    ASSERT_OK(mr_cursor_init_growable(&c, mr_heap(), 0));
    for (uint32_t i = 0; i < 100; i++) {
        ASSERT_OK(mr_cursor_write_u32le(&c, i));
        mr_store_u32le(expect, (ptrdiff_t)i * 4, i);
    }
    struct mr_region d = mr_cursor_data(&c);
    ASSERT_EQ(d.len, (size_t)400);
    ASSERT_MEM_EQ(d.ptr, expect, 400);

    /* Overwrite inside: the length stays. */
    ASSERT_OK(mr_cursor_seek(&c, 40, SEEK_SET));
    ASSERT_OK(mr_cursor_write_u32le(&c, 0xdeadbeef));
    mr_store_u32le(expect, 40, 0xdeadbeef);
    ASSERT_EQ(mr_cursor_tell(&c), (size_t)44);
    ASSERT_EQ(mr_cursor_remaining(&c), (size_t)356);
    ASSERT_EQ(mr_cursor_data(&c).len, (size_t)400);
    ASSERT_OK(mr_cursor_seek(&c, -4, SEEK_CUR));
    ASSERT_EQ(mr_cursor_read_u32le(&c), 0xdeadbeefu);
    ASSERT_OK(mr_cursor_seek(&c, 0, SEEK_SET));
    ASSERT_OK(mr_cursor_write_bytes(&c, "XY", 2));
    memcpy(expect, "XY", 2);

    /* Overwrite across the end: the length grows by what passed it. */
    ASSERT_OK(mr_cursor_seek(&c, -2, SEEK_END));
    ASSERT_OK(mr_cursor_write_u32be(&c, 0x01020304));
    mr_store_u32be(expect, 398, 0x01020304);
    ASSERT_EQ(mr_cursor_tell(&c), (size_t)402);
    d = mr_cursor_data(&c);
    ASSERT_EQ(d.len, (size_t)402);
    ASSERT_MEM_EQ(d.ptr, expect, 402);

    /* Seeks go as far as the bytes written, never into spare capacity. */
    ASSERT_OK(mr_cursor_seek(&c, 0, SEEK_END));
    ASSERT_EQ(mr_cursor_tell(&c), (size_t)402);
    ASSERT_ERR(mr_cursor_seek(&c, 403, SEEK_SET), -ERANGE);
    ASSERT_EQ(mr_cursor_tell(&c), (size_t)402);
    mr_cursor_clear_error(&c);
    ASSERT_ERR(mr_cursor_seek(&c, 1, SEEK_END), -ERANGE);
    mr_cursor_clear_error(&c);

    /* Reads see the bytes written and no more. */
    unsigned char got[500];
    memset(got, SENTINEL, sizeof got);
    ASSERT_OK(mr_cursor_seek(&c, 0, SEEK_SET));
    ASSERT_EQ(mr_cursor_read_upto(&c, got, sizeof got), (size_t)402);
    ASSERT_MEM_EQ(got, expect, 402);
    ASSERT_ALL_BYTES(got + 402, sizeof got - 402, SENTINEL);
    ASSERT_OK(mr_cursor_seek(&c, 398, SEEK_SET));
    ASSERT_EQ(mr_cursor_read_u64le(&c), 0u);
    ASSERT_EQ(mr_cursor_error(&c), -ERANGE);
    ASSERT_EQ(mr_cursor_tell(&c), (size_t)398);
    mr_cursor_clear_error(&c);
    ASSERT_ERR(mr_cursor_read_exact(&c, got, 5), -ERANGE);
    mr_cursor_clear_error(&c);
    struct mr_region sub;
    ASSERT_OK(mr_cursor_read_region(&c, 4, &sub));
    ASSERT_PTR_EQ(sub.ptr, (unsigned char *)mr_cursor_data(&c).ptr + 398);
    ASSERT_EQ(sub.flags, 0u);
    ASSERT_EQ(mr_cursor_read_cstr_region(&c, &sub), -EBADMSG);
    mr_cursor_clear_error(&c);
    mr_cursor_fini(&c);

    /* With spare capacity from the start: still only what was written. */
    ASSERT_OK(mr_cursor_init_growable(&c, mr_heap(), 1024));
    ASSERT_OK(mr_cursor_write_bytes(&c, "0123456789", 10));
    ASSERT_OK(mr_cursor_seek(&c, 0, SEEK_SET));
    ASSERT_OK(mr_cursor_read_exact(&c, got, 10));
    ASSERT_MEM_EQ(got, "0123456789", 10);
    ASSERT_EQ(mr_cursor_read_u8(&c), 0);
    ASSERT_EQ(mr_cursor_error(&c), -ERANGE);
    mr_cursor_clear_error(&c);
    ASSERT_OK(mr_cursor_seek(&c, 2, SEEK_SET));
    ASSERT_EQ(mr_cursor_read_upto(&c, got, 100), (size_t)8);
    mr_cursor_fini(&c);
}

/* ---- take ----------------------------------------------------------------------- */

static void test_take(void)
{
    struct mr_failing fl;
    struct mr_allocator *a;
    struct mr_cursor c;
    struct mr_region out, out2, out3;

    mr_failing_init(&fl, NULL, -1);
    a = mr_failing_allocator(&fl);
    ASSERT_OK(mr_cursor_init_growable(&c, a, 0));
    for (size_t i = 0; i < 1000; i++)
        ASSERT_OK(mr_cursor_write_u8(&c, pat(i)));
    ASSERT_OK(mr_cursor_take(&c, &out));
    /* Exactly the bytes written, from the writer's allocator. */
    ASSERT_EQ(out.len, (size_t)1000);
    ASSERT_EQ(out.flags, 0u);
    for (size_t i = 0; i < 1000; i++)
        ASSERT_EQ(((unsigned char *)out.ptr)[i], pat(i));
    ASSERT_EQ(fl.live_blocks, (size_t)1);
    ASSERT_EQ(fl.live_bytes, (size_t)1000);
    /* The cursor is empty and still usable. */
    check_empty(&c);
    ASSERT_EQ(mr_cursor_error(&c), 0);
    ASSERT_OK(mr_cursor_write_bytes(&c, "hello", 5));
    ASSERT_EQ(mr_cursor_data(&c).len, (size_t)5);
    ASSERT_OK(mr_cursor_take(&c, &out2));
    ASSERT_EQ(out2.len, (size_t)5);
    ASSERT_MEM_EQ(out2.ptr, "hello", 5);
    ASSERT_EQ(fl.live_blocks, (size_t)2);
    ASSERT_EQ(fl.live_bytes, (size_t)1005);
    /* Nothing written: an empty block, nothing allocated. */
    ASSERT_OK(mr_cursor_take(&c, &out3));
    ASSERT_EQ(out3.len, (size_t)0);
    ASSERT_EQ(fl.live_blocks, (size_t)2);
    mr_free(a, out);
    mr_free(a, out2);
    mr_free(a, out3);
    ASSERT_EQ(fl.live_blocks, (size_t)0);
    ASSERT_EQ(fl.live_bytes, (size_t)0);

    /* A buffer with spare capacity, emptied by take: the spare goes too. */
    ASSERT_OK(mr_cursor_init_growable(&c, a, 500));
    ASSERT_OK(mr_cursor_take(&c, &out));
    ASSERT_EQ(out.len, (size_t)0);
    ASSERT_EQ(fl.live_blocks, (size_t)0);
    mr_free(a, out);
    mr_cursor_fini(&c);

    /* The allocator refuses the trim: the allocator's error, and nothing
     * changes (the cursor keeps its bytes, out is untouched). */
    ASSERT_OK(mr_cursor_init_growable(&c, a, 0));
    ASSERT_OK(mr_cursor_write_bytes(&c, "0123456789", 10));
    ASSERT_OK(mr_cursor_seek(&c, 4, SEEK_SET));
    fl.remaining = 0;
    memset(&out, SENTINEL, sizeof out);
    ASSERT_ERR(mr_cursor_take(&c, &out), -ENOMEM);
    ASSERT_ALL_BYTES(&out, sizeof out, SENTINEL);
    ASSERT_EQ(mr_cursor_tell(&c), (size_t)4);
    ASSERT_EQ(mr_cursor_data(&c).len, (size_t)10);
    ASSERT_MEM_EQ(mr_cursor_data(&c).ptr, "0123456789", 10);
    ASSERT_EQ(mr_cursor_read_u8(&c), '4');
    fl.remaining = -1;
    ASSERT_OK(mr_cursor_take(&c, &out));
    ASSERT_EQ(out.len, (size_t)10);
    ASSERT_MEM_EQ(out.ptr, "0123456789", 10);
    mr_free(a, out);
    mr_cursor_fini(&c);
    ASSERT_EQ(fl.live_blocks, (size_t)0);

    /* take on a cursor over a region: -EINVAL, out untouched. */
    unsigned char buf[8] = { 0 };
    mr_cursor_init(&c, MR_REGION_OF_ARRAY(buf));
    ASSERT_OK(mr_cursor_write_u8(&c, 1));
    memset(&out, SENTINEL, sizeof out);
    ASSERT_ERR(mr_cursor_take(&c, &out), -EINVAL);
    ASSERT_ALL_BYTES(&out, sizeof out, SENTINEL);
    ASSERT_EQ(mr_cursor_tell(&c), (size_t)1);
    mr_cursor_init(&c, mr_region_make_ro(buf, sizeof buf));
    ASSERT_ERR(mr_cursor_take(&c, &out), -EINVAL);
    ASSERT_ALL_BYTES(&out, sizeof out, SENTINEL);
}

/* ---- the out-of-memory walk ------------------------------------------------------ */

/* The writes of the scenario: a mix of every kind, about 20 KB. */
static int scenario_step(struct mr_cursor *c, int i)
{
    static const unsigned char chunk[37] = "a chunk of thirty-six bytes, or so..";
    switch (i % 8) {
    case 0: return mr_cursor_write_u8(c, (uint8_t)i);
    case 1: return mr_cursor_write_u32be(c, (uint32_t)i * 2654435761u);
    case 2: return mr_cursor_write_bytes(c, chunk, sizeof chunk);
    case 3: return mr_cursor_write_fill(c, 0x5a, (size_t)(i % 97));
    case 4: return mr_cursor_write_str(c, "name", 12);
    case 5: return mr_cursor_write_cstr(c, "xyz");
    case 6: return mr_cursor_write_uleb128(c, (uint64_t)i * 1000003u << (i % 40));
    default: return mr_cursor_write_sleb128(c, -(int64_t)i * 77);
    }
}

#define STEPS 1200

/* After a refused growth, every write returns -ENOMEM and changes nothing. */
static void check_stuck(struct mr_cursor *c, size_t pos, const unsigned char *ref)
{
    struct mr_region d = mr_cursor_data(c);
    ASSERT_EQ(mr_cursor_error(c), -ENOMEM);
    ASSERT_EQ(mr_cursor_tell(c), pos);
    ASSERT_EQ(d.len, pos);
    ASSERT_MEM_EQ(d.ptr, ref, pos);
    for (int i = 0; i < 8; i++)
        ASSERT_ERR(scenario_step(c, i), -ENOMEM);
    ASSERT_ERR(mr_cursor_write_f64(c, 1.0), -ENOMEM);
    ASSERT_ERR(mr_cursor_write_bytes(c, "", 0), -ENOMEM);
    ASSERT_ERR(mr_cursor_seek(c, 0, SEEK_SET), -ENOMEM);
    ASSERT_EQ(mr_cursor_read_u8(c), 0);
    ASSERT_EQ(mr_cursor_read_uleb128(c), 0u);
    ASSERT_EQ(mr_cursor_error(c), -ENOMEM);
    ASSERT_EQ(mr_cursor_tell(c), pos);
    ASSERT_PTR_EQ(mr_cursor_data(c).ptr, d.ptr);
    ASSERT_EQ(mr_cursor_data(c).len, pos);
    ASSERT_MEM_EQ(d.ptr, ref, pos);
}

static void test_oom_walk(void)
{
    static unsigned char ref[40000];
    struct mr_cursor c;
    size_t ref_len;
    long walked;

    /* The bytes the scenario writes, and how many allocations it makes. */
    struct mr_failing counter;
    mr_failing_init(&counter, NULL, -1);
    ASSERT_OK(mr_cursor_init_growable(&c, mr_failing_allocator(&counter), 0));
    for (int i = 0; i < STEPS; i++)
        ASSERT_OK(scenario_step(&c, i));
    ref_len = mr_cursor_data(&c).len;
    ASSERT_LE(ref_len, sizeof ref);
    memcpy(ref, mr_cursor_data(&c).ptr, ref_len);
    mr_cursor_fini(&c);

    for (walked = 0;; walked++) {
        struct mr_failing fl;
        bool failed = false;

        mr_failing_init(&fl, NULL, walked);
        ASSERT_OK(mr_cursor_init_growable(&c, mr_failing_allocator(&fl), 0));
        for (int i = 0; i < STEPS; i++) {
            size_t pos = mr_cursor_tell(&c);
            int rc = scenario_step(&c, i);
            if (rc == 0)
                continue;
            /* Refused: recorded, nothing moved, the data so far intact,
             * and every later call stuck on the same error. */
            ASSERT_FALSE(failed);
            failed = true;
            ASSERT_ERR(rc, -ENOMEM);
            ASSERT_EQ(fl.failures, (size_t)1);
            ASSERT_EQ(fl.attempts, (size_t)walked + 1);
            check_stuck(&c, pos, ref);
            /* Memory again, the error cleared: the same write goes on
             * from the same position. */
            fl.remaining = -1;
            mr_cursor_clear_error(&c);
            ASSERT_EQ(mr_cursor_tell(&c), pos);
            ASSERT_OK(scenario_step(&c, i));
        }
        ASSERT_EQ(mr_cursor_error(&c), 0);
        ASSERT_EQ(mr_cursor_data(&c).len, ref_len);
        ASSERT_MEM_EQ(mr_cursor_data(&c).ptr, ref, ref_len);
        ASSERT_EQ(fl.live_blocks, (size_t)1);
        mr_cursor_fini(&c);
        if (fl.live_blocks != 0 || fl.live_bytes != 0)
            mr_test_fail(__FILE__, __LINE__, "%zu blocks (%zu bytes) leaked with N = %ld",
                         fl.live_blocks, fl.live_bytes, walked);
        if (!failed) {
            ASSERT_EQ(fl.failures, (size_t)0);
            break;
        }
        ASSERT_LT(walked, 1000);
    }
    fprintf(stderr, "growable cursor: %ld allocation failures walked\n", walked);
    /* Each allocation's failure was walked once; doubling from 64 bytes to
     * some 20 KB takes nine or so. */
    ASSERT_EQ((size_t)walked, counter.attempts);
    ASSERT_GE(walked, 8);
}

int main(void)
{
    test_growth();
    test_init_fini();
    test_seek_overwrite();
    test_take();
    test_oom_walk();
    return 0;
}
