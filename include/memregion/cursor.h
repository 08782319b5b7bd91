/* SPDX-License-Identifier: MIT */
/* memregion/cursor.h: a position inside a region, for sequential reads and
 * writes; and FILE * streams over regions.
 *
 * A cursor reads and writes typed values, bytes, strings and LEB128 varints
 * at its position and moves past them. Errors are sticky: the first read or
 * write that does not fit (-ERANGE), is malformed (-EBADMSG), overflows
 * (-EOVERFLOW) or is refused (-EACCES on a read-only region, -ENOMEM when a
 * growable writer cannot grow) is recorded, moves nothing and copies nothing;
 * after it every call does nothing (reads return 0, other calls return the
 * recorded error) until mr_cursor_clear_error. A parser reads every field and
 * checks mr_cursor_error once at the end.
 *
 *   struct mr_cursor c;
 *   mr_cursor_init(&c, packet);
 *   uint32_t magic = mr_cursor_read_u32be(&c);
 *   uint64_t len = mr_cursor_read_uleb128(&c);
 *   if (mr_cursor_error(&c)) ... (magic and len are 0 if they did not fit)
 *
 * Typed reads and writes, for every T of memregion/sap.h (u8 u16 u32 u64 i8
 * i16 i32 i64 f32 f64, each in host order, le and be):
 *   T   mr_cursor_read_T(struct mr_cursor *c);        0 on error
 *   int mr_cursor_write_T(struct mr_cursor *c, T v);  0 or the error
 * They are inline and cost a subtract, a compare and a load or store while
 * in bounds. Everything a parse loop calls on the fast path is inline and
 * never hands the cursor's address to another function, so the compiler can
 * keep the cursor in registers; and consecutive checks are written so that
 * one can prove the next: after mr_cursor_has(c, 6), the checks of a u32 and
 * a u16 read compile away (bench/bench_cursor measures both styles).
 *
 * A cursor is not thread-safe. It never owns a fixed region; a growable
 * writer owns its buffer until mr_cursor_fini or mr_cursor_take.
 */
#ifndef MEMREGION_CURSOR_H
#define MEMREGION_CURSOR_H

#include <memregion/alloc.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Public only so that the typed calls can be inline; the fields are private. */
struct mr_cursor {
    unsigned char *base;
    size_t pos;
    size_t left;   /* bytes readable after pos: limit - pos, or 0 while an error is set */
    size_t wend;   /* writes may end here without growing: cap, or 0 (read-only, error) */
    size_t limit;  /* readable bytes: the region's length, or what a growable writer wrote */
    size_t cap;    /* bytes of the region */
    int error;     /* the first error, or 0 */
    unsigned flags;
    struct mr_allocator *alloc; /* a growable writer's allocator, else NULL */
};

#define MR__CURSOR_GROWABLE 0x100u

/* The bounds the fast paths test, from the state: while an error is
 * recorded, reads may not pass the position and writes may not start, so
 * every fast path falls through to a slow one, which does nothing. */
MR_INLINE void mr__cursor_set_ends(struct mr_cursor *c)
{
    if (c->error) {
        c->left = 0;
        c->wend = 0;
        return;
    }
    c->left = c->limit - c->pos;
    c->wend = (c->flags & MR_REGION_RDONLY) ? 0 : c->cap;
}

/* Record err, unless an error is recorded already, and return the recorded
 * one. Inline: a call would take the cursor's address and keep the whole
 * cursor in memory in the caller's loop. */
MR_INLINE int mr__cursor_fail(struct mr_cursor *c, int err)
{
    if (c->error == 0)
        c->error = err;
    mr__cursor_set_ends(c);
    return c->error;
}

/* A cursor at the start of r. Reads see all of r; writes are refused with
 * -EACCES if r is read-only. The caller keeps r alive. */
MR_INLINE void mr_cursor_init(struct mr_cursor *c, struct mr_region r)
{
    c->base = (unsigned char *)r.ptr;
    c->pos = 0;
    c->limit = c->cap = r.len;
    c->error = 0;
    c->flags = r.flags & MR_REGION_RDONLY;
    c->alloc = NULL;
    mr__cursor_set_ends(c);
}

/* A growable writer: an empty cursor whose buffer comes from a (NULL:
 * mr_heap()) and doubles when a write needs room. 0, or -EINVAL (c NULL) or
 * -ENOMEM/-E2BIG from the allocator (then nothing is allocated). Reads and
 * seeks see the bytes written so far. Release with mr_cursor_fini, or take
 * the buffer with mr_cursor_take. */
MR_API int mr_cursor_init_growable(struct mr_cursor *c, struct mr_allocator *a,
                                   size_t initial_capacity);

/* Free a growable writer's buffer; the writer is left empty. A no-op for a
 * cursor over a region: its position, data and error stay as they were. */
MR_API void mr_cursor_fini(struct mr_cursor *c);

/* Hand a growable writer's bytes to the caller: *out is a block of exactly
 * the bytes written, allocated from the writer's allocator (free it with
 * mr_free on that allocator), and the cursor is left empty (still usable).
 * 0, -EINVAL for a cursor over a region, or the allocator's error when the
 * buffer cannot be trimmed (then nothing changes). */
MR_API int mr_cursor_take(struct mr_cursor *c, struct mr_region *out);

/* The bytes a cursor can read: its region, or what a growable writer wrote.
 * Valid until the next write to a growable writer. */
MR_API struct mr_region mr_cursor_data(const struct mr_cursor *c);

/* Position, and bytes from it to the end of the readable data (whether or
 * not an error is recorded). */
MR_INLINE size_t mr_cursor_tell(const struct mr_cursor *c) { return c->pos; }
MR_INLINE size_t mr_cursor_remaining(const struct mr_cursor *c) { return c->limit - c->pos; }

/* The recorded error (negative), or 0. */
MR_INLINE int mr_cursor_error(const struct mr_cursor *c) { return c->error; }

/* Forget the recorded error; the position is where the error left it. */
MR_API void mr_cursor_clear_error(struct mr_cursor *c);

/* Move to offset from SEEK_SET (the start), SEEK_CUR or SEEK_END (the end of
 * the readable data). 0, or -ERANGE for a position outside [0, length] and
 * -EINVAL for another whence; both are recorded. */
MR_API int mr_cursor_seek(struct mr_cursor *c, int64_t offset, int whence);

/* At least n bytes are left to read. A cheap test that also lets the
 * compiler drop the checks of the reads it covers; it records nothing. */
MR_INLINE bool mr_cursor_has(const struct mr_cursor *c, size_t n)
{
    return n <= c->left;
}

/* Out-of-line parts of the inline calls; not for direct use. A varint is
 * decoded from a pointer and a length, not from the cursor, for the reason
 * given at mr__cursor_fail; len is the bytes used, or a negative error. */
struct mr__varint {
    uint64_t value;
    ptrdiff_t len;
};
MR_API int mr__cursor_write_slow(struct mr_cursor *c, const void *src, size_t n);
MR_API struct mr__varint mr__uleb128_decode(const unsigned char *p, size_t avail);
MR_API struct mr__varint mr__sleb128_decode(const unsigned char *p, size_t avail);

#define MR__CURSOR_RW(name, type)                                               \
    MR_INLINE type mr_cursor_read_##name(struct mr_cursor *c)                  \
    {                                                                           \
        if (MR_LIKELY(sizeof(type) <= c->left)) {                               \
            type v = mr_load_##name(c->base, (ptrdiff_t)c->pos);                \
            c->pos += sizeof(type);                                             \
            c->left -= sizeof(type);                                            \
            return v;                                                           \
        }                                                                       \
        mr__cursor_fail(c, -ERANGE);                                            \
        return 0;                                                               \
    }                                                                           \
    MR_INLINE int mr_cursor_write_##name(struct mr_cursor *c, type v)          \
    {                                                                           \
        unsigned char b_[sizeof(type)];                                         \
        if (MR_LIKELY(c->pos + sizeof(type) <= c->wend)) {                      \
            mr_store_##name(c->base, (ptrdiff_t)c->pos, v);                     \
            c->pos += sizeof(type);                                             \
            if (MR_UNLIKELY(c->pos > c->limit))                                 \
                c->limit = c->pos;                                              \
            c->left = c->limit - c->pos;                                        \
            return 0;                                                           \
        }                                                                       \
        mr_store_##name(b_, 0, v);                                              \
        return mr__cursor_write_slow(c, b_, sizeof b_);                         \
    }
#define MR__CURSOR_RW3(name, type)                                              \
    MR__CURSOR_RW(name, type)                                                   \
    MR__CURSOR_RW(name##le, type)                                               \
    MR__CURSOR_RW(name##be, type)

MR__CURSOR_RW3(u8, uint8_t)
MR__CURSOR_RW3(u16, uint16_t)
MR__CURSOR_RW3(u32, uint32_t)
MR__CURSOR_RW3(u64, uint64_t)
MR__CURSOR_RW3(i8, int8_t)
MR__CURSOR_RW3(i16, int16_t)
MR__CURSOR_RW3(i32, int32_t)
MR__CURSOR_RW3(i64, int64_t)
MR__CURSOR_RW3(f32, float)
MR__CURSOR_RW3(f64, double)

/* ---- bytes ---------------------------------------------------------------- */

/* Copy exactly n bytes to dst and move past them: 0, or -ERANGE (recorded)
 * with nothing copied when fewer than n remain. */
MR_INLINE int mr_cursor_read_exact(struct mr_cursor *c, void *dst, size_t n)
{
    if (MR_LIKELY(n <= c->left)) {
        if (n)
            memcpy(dst, c->base + c->pos, n);
        c->pos += n;
        c->left -= n;
        /* An empty read at position 0 passes the test with an error set
         * (both ends are 0 then), and must still report it. */
        return c->error;
    }
    return mr__cursor_fail(c, -ERANGE);
}

/* Copy up to n bytes to dst: the count copied, which is short only at the
 * end of the data (0 there, or while an error is recorded). Never an error. */
MR_API size_t mr_cursor_read_upto(struct mr_cursor *c, void *dst, size_t n);

/* The next n bytes as a region of the cursor's memory (read-only if the
 * cursor's region is), without copying; the cursor moves past them. 0, or
 * -ERANGE (recorded). */
MR_API int mr_cursor_read_region(struct mr_cursor *c, size_t n, struct mr_region *out);

/* Write n bytes from src: 0, or the error (recorded) with nothing written. */
MR_INLINE int mr_cursor_write_bytes(struct mr_cursor *c, const void *src, size_t n)
{
    /* n - 1 < wend: an empty write takes the slow path, which refuses it
     * on a read-only region or while an error is set, as it refuses others. */
    if (MR_LIKELY(n - 1 < c->wend && c->pos <= c->wend - n)) {
        memcpy(c->base + c->pos, src, n);
        c->pos += n;
        if (MR_UNLIKELY(c->pos > c->limit))
            c->limit = c->pos;
        c->left = c->limit - c->pos;
        return 0;
    }
    return mr__cursor_write_slow(c, src, n);
}

/* Write n copies of byte (padding): 0, or the error (recorded). */
MR_API int mr_cursor_write_fill(struct mr_cursor *c, uint8_t byte, size_t n);

/* ---- strings ---------------------------------------------------------------
 * A fixed-length string field holds field_len bytes: the text, then NUL
 * padding (a text of exactly field_len bytes has no NUL). A C string is the
 * text and one NUL. */

/* Read a field of field_len bytes into dst as a C string (the text up to the
 * first NUL, or all field_len bytes). Returns the text's length, or -ERANGE
 * (the field does not fit), -EOVERFLOW (dst_size cannot hold the text and a
 * NUL), -EINVAL (dst NULL or dst_size 0); all recorded, nothing moved. */
MR_API ssize_t mr_cursor_read_str(struct mr_cursor *c, size_t field_len, char *dst,
                                  size_t dst_size);

/* Read a NUL-terminated string into dst (and move past its NUL). Returns its
 * length, or -EBADMSG (no NUL before the end of the data), -EOVERFLOW (too
 * long for dst), -EINVAL; all recorded, nothing moved. */
MR_API ssize_t mr_cursor_read_cstr(struct mr_cursor *c, char *dst, size_t dst_size);

/* A NUL-terminated string as a region of the cursor's memory (its NUL not
 * included), moving past the NUL. 0, or -EBADMSG (recorded). */
MR_API int mr_cursor_read_cstr_region(struct mr_cursor *c, struct mr_region *out);

/* Write s into a field of field_len bytes, NUL-padded. 0, or -EOVERFLOW when
 * strlen(s) > field_len, or a write error; all recorded, nothing written. */
MR_API int mr_cursor_write_str(struct mr_cursor *c, const char *s, size_t field_len);

/* Write s and its NUL. 0, or a write error (recorded). */
MR_API int mr_cursor_write_cstr(struct mr_cursor *c, const char *s);

/* ---- LEB128 varints --------------------------------------------------------
 * Unsigned and signed, up to 64 bits. Overlong encodings (0x80 0x00 for 0)
 * are accepted up to ten bytes, the most a 64-bit value needs, as WebAssembly
 * and protobuf readers accept them: a hostile input cannot make one read
 * scan without end. A varint that runs past the data is -ERANGE; one longer
 * than ten bytes, or whose value needs more than 64 bits (the tenth byte of
 * an unsigned one above 1; of a signed one other than 0x00 or 0x7f), is
 * -EOVERFLOW. Both are recorded and move nothing. */

MR_INLINE uint64_t mr_cursor_read_uleb128(struct mr_cursor *c)
{
    size_t avail = c->left;
    uint8_t b;
    struct mr__varint v;
    if (MR_UNLIKELY(avail == 0)) {
        mr__cursor_fail(c, -ERANGE);
        return 0;
    }
    b = c->base[c->pos];
    if (MR_LIKELY(b < 0x80)) {
        c->pos++;
        c->left--;
        return b;
    }
    /* Two bytes (values below 16384) are common enough to stay inline. */
    if (MR_LIKELY(avail >= 2)) {
        uint8_t b1 = c->base[c->pos + 1];
        if (MR_LIKELY(b1 < 0x80)) {
            c->pos += 2;
            c->left -= 2;
            return (uint64_t)(b & 0x7f) | (uint64_t)b1 << 7;
        }
    }
    v = mr__uleb128_decode(c->base + c->pos, avail);
    if (MR_UNLIKELY(v.len < 0)) {
        mr__cursor_fail(c, (int)v.len);
        return 0;
    }
    c->pos += (size_t)v.len;
    c->left -= (size_t)v.len;
    return v.value;
}

MR_INLINE int64_t mr_cursor_read_sleb128(struct mr_cursor *c)
{
    size_t avail = c->left;
    struct mr__varint v;
    if (MR_UNLIKELY(avail == 0)) {
        mr__cursor_fail(c, -ERANGE);
        return 0;
    }
    v = mr__sleb128_decode(c->base + c->pos, avail);
    if (MR_UNLIKELY(v.len < 0)) {
        mr__cursor_fail(c, (int)v.len);
        return 0;
    }
    c->pos += (size_t)v.len;
    c->left -= (size_t)v.len;
    /* Two's complement reinterpretation; GCC and Clang define it. */
    return (int64_t)v.value;
}
MR_API int mr_cursor_write_uleb128(struct mr_cursor *c, uint64_t v);
MR_API int mr_cursor_write_sleb128(struct mr_cursor *c, int64_t v);

/* ---- FILE * over a region --------------------------------------------------
 * For code that reads or writes through stdio. Backed by fopencookie, so
 * fread, fwrite, fseek, ftell, fgets, fprintf and the rest work. */

/* A stream over r. mode is "r" (read), "r+" or "w" or "w+" (read and write,
 * from the start; the length is r's and "w" does not clear it); a "b" is
 * accepted and ignored. Reading at the end of r is end of file; a write that
 * would pass the end writes what fits and sets the stream's error indicator.
 * Streams are unbuffered, so r holds every byte as soon as fwrite returns.
 * Seeks outside [0, r.len] fail with EINVAL and move nothing. 0 and *out
 * set, or -EINVAL (bad mode), -EACCES (a writing mode on a read-only region),
 * -ENOMEM. Close with fclose; the caller keeps r alive until then.
 * Unbuffered costs small reads: getc-style parsing measured about 5x slower
 * than glibc's fmemopen (bench/bench_cursor). A caller that reads in small
 * pieces and never seeks past the end can call setvbuf(f, NULL, _IOFBF,
 * BUFSIZ) after opening: reads then cost what fmemopen's do, but glibc splits
 * a buffered fseek into steps, and one that fails past the end can leave the
 * position moved (fmemopen behaves the same). */
MR_API int mr_fopen(struct mr_region r, const char *mode, FILE **out);

/* A write-and-read stream whose buffer grows through a (NULL: mr_heap()), in
 * the manner of open_memstream: after each fflush and at fclose, *block is
 * the buffer (free it after fclose with mr_free(a, *block), or with
 * mr_free(mr_heap(), *block) when a was NULL; it may be empty)
 * and *len the bytes written, the data being the first *len bytes of *block.
 * 0 and *out set, or -EINVAL, -ENOMEM. */
MR_API int mr_fopen_growable(struct mr_allocator *a, struct mr_region *block, size_t *len,
                             FILE **out);

#ifdef __cplusplus
}
#endif

#endif
