/* SPDX-License-Identifier: MIT */
/* src/cursor.c: the out-of-line parts of cursors, and FILE * streams over
 * regions (fopencookie). */
#include "internal.h"

#include <memregion/cursor.h>
#include <string.h>

static bool cursor_writable(const struct mr_cursor *c)
{
    return !(c->flags & MR_REGION_RDONLY);
}

/* The byte at the position. An empty region may have a NULL base, and NULL + 0
 * is undefined in C, so it is kept apart (as in mr_region_sub). */
static unsigned char *cursor_at(const struct mr_cursor *c)
{
    return c->base ? c->base + c->pos : NULL;
}

int mr_cursor_init_growable(struct mr_cursor *c, struct mr_allocator *a, size_t initial_capacity)
{
    struct mr_region r;
    int rc;

    if (c == NULL)
        return -EINVAL;
    if (a == NULL)
        a = mr_heap();
    if ((rc = mr_alloc(a, initial_capacity, 1, &r)) < 0)
        return rc;
    memset(c, 0, sizeof *c);
    c->base = r.ptr;
    c->cap = r.len;
    c->flags = MR__CURSOR_GROWABLE;
    c->alloc = a;
    mr__cursor_set_ends(c);
    return 0;
}

void mr_cursor_fini(struct mr_cursor *c)
{
    if (!(c->flags & MR__CURSOR_GROWABLE))
        return;
    mr_free(c->alloc, mr_region_make(c->base, c->cap));
    c->base = NULL;
    c->pos = c->limit = c->cap = 0;
    mr__cursor_set_ends(c);
}

int mr_cursor_take(struct mr_cursor *c, struct mr_region *out)
{
    struct mr_region r;
    int rc;

    if (!(c->flags & MR__CURSOR_GROWABLE))
        return -EINVAL;
    r = mr_region_make(c->base, c->cap);
    if ((rc = mr_realloc(c->alloc, &r, c->limit, 1)) < 0)
        return rc;
    *out = r;
    c->base = NULL;
    c->pos = c->limit = c->cap = 0;
    mr__cursor_set_ends(c);
    return 0;
}

struct mr_region mr_cursor_data(const struct mr_cursor *c)
{
    struct mr_region r = mr_region_make(c->base, c->limit);
    r.flags = c->flags & MR_REGION_RDONLY;
    return r;
}

void mr_cursor_clear_error(struct mr_cursor *c)
{
    c->error = 0;
    mr__cursor_set_ends(c);
}

int mr_cursor_seek(struct mr_cursor *c, int64_t offset, int whence)
{
    int64_t from;

    if (c->error)
        return c->error;
    switch (whence) {
    case SEEK_SET:
        from = 0;
        break;
    case SEEK_CUR:
        from = (int64_t)c->pos;
        break;
    case SEEK_END:
        from = (int64_t)c->limit;
        break;
    default:
        return mr__cursor_fail(c, -EINVAL);
    }
    /* pos and limit are at most PTRDIFF_MAX, so only offset can overflow. */
    int64_t to;
    if (__builtin_add_overflow(from, offset, &to) || to < 0 || (uint64_t)to > c->limit)
        return mr__cursor_fail(c, -ERANGE);
    c->pos = (size_t)to;
    mr__cursor_set_ends(c);
    return 0;
}

/* Make room for n bytes at pos in a growable writer: double the buffer (at
 * least to pos + n). The allocator's error is returned as is. */
static int cursor_grow(struct mr_cursor *c, size_t n)
{
    size_t need, cap;
    struct mr_region r;
    int rc;

    if (__builtin_add_overflow(c->pos, n, &need) || need > PTRDIFF_MAX)
        return -E2BIG;
    cap = c->cap < 64 ? 64 : c->cap;
    while (cap < need)
        cap = cap > PTRDIFF_MAX / 2 ? need : cap * 2;
    r = mr_region_make(c->base, c->cap);
    if ((rc = mr_realloc(c->alloc, &r, cap, 1)) < 0)
        return rc;
    c->base = r.ptr;
    c->cap = r.len;
    return 0;
}

/* Make room for n bytes at the position, growing a growable writer: 0, or
 * the error, recorded. Nothing is written. */
static int cursor_reserve(struct mr_cursor *c, size_t n)
{
    int rc;

    if (c->error)
        return c->error;
    if (!cursor_writable(c))
        return mr__cursor_fail(c, -EACCES);
    if (!(n <= c->cap && c->pos <= c->cap - n)) {
        if (!(c->flags & MR__CURSOR_GROWABLE))
            return mr__cursor_fail(c, -ERANGE);
        if ((rc = cursor_grow(c, n)) < 0)
            return mr__cursor_fail(c, rc);
    }
    return 0;
}

/* Move past n bytes just written. */
static void cursor_advance(struct mr_cursor *c, size_t n)
{
    c->pos += n;
    if (c->pos > c->limit)
        c->limit = c->pos;
    mr__cursor_set_ends(c);
}

int mr__cursor_write_slow(struct mr_cursor *c, const void *src, size_t n)
{
    int rc = cursor_reserve(c, n);
    if (rc < 0)
        return rc;
    if (n)
        memcpy(c->base + c->pos, src, n);
    cursor_advance(c, n);
    return 0;
}

size_t mr_cursor_read_upto(struct mr_cursor *c, void *dst, size_t n)
{
    if (n > c->left)
        n = c->left;
    if (n)
        memcpy(dst, c->base + c->pos, n);
    c->pos += n;
    c->left -= n;
    return n;
}

int mr_cursor_read_region(struct mr_cursor *c, size_t n, struct mr_region *out)
{
    if (c->error)
        return c->error;
    if (n > c->left)
        return mr__cursor_fail(c, -ERANGE);
    *out = mr_region_make(cursor_at(c), n);
    out->flags = c->flags & MR_REGION_RDONLY;
    c->pos += n;
    c->left -= n;
    return 0;
}

int mr_cursor_write_fill(struct mr_cursor *c, uint8_t byte, size_t n)
{
    int rc = cursor_reserve(c, n);
    if (rc < 0)
        return rc;
    if (n)
        memset(c->base + c->pos, byte, n);
    cursor_advance(c, n);
    return 0;
}

ssize_t mr_cursor_read_str(struct mr_cursor *c, size_t field_len, char *dst, size_t dst_size)
{
    if (c->error)
        return c->error;
    if (dst == NULL || dst_size == 0)
        return mr__cursor_fail(c, -EINVAL);
    if (field_len > c->left)
        return mr__cursor_fail(c, -ERANGE);
    const unsigned char *field = cursor_at(c);
    const unsigned char *nul = field_len ? memchr(field, 0, field_len) : NULL;
    size_t len = nul ? (size_t)(nul - field) : field_len;
    if (len >= dst_size)
        return mr__cursor_fail(c, -EOVERFLOW);
    if (len)
        memcpy(dst, field, len);
    dst[len] = '\0';
    c->pos += field_len;
    c->left -= field_len;
    return (ssize_t)len;
}

int mr_cursor_read_cstr_region(struct mr_cursor *c, struct mr_region *out)
{
    if (c->error)
        return c->error;
    size_t avail = c->left;
    const unsigned char *start = cursor_at(c);
    const unsigned char *nul = avail ? memchr(start, 0, avail) : NULL;
    if (nul == NULL)
        return mr__cursor_fail(c, -EBADMSG);
    *out = mr_region_make((void *)start, (size_t)(nul - start));
    out->flags = c->flags & MR_REGION_RDONLY;
    c->pos += out->len + 1;
    c->left -= out->len + 1;
    return 0;
}

ssize_t mr_cursor_read_cstr(struct mr_cursor *c, char *dst, size_t dst_size)
{
    struct mr_region s;
    size_t start = c->pos;
    int rc;

    if (c->error)
        return c->error;
    if (dst == NULL || dst_size == 0)
        return mr__cursor_fail(c, -EINVAL);
    if ((rc = mr_cursor_read_cstr_region(c, &s)) < 0)
        return rc;
    if (s.len >= dst_size) {
        c->pos = start;
        mr__cursor_set_ends(c);
        return mr__cursor_fail(c, -EOVERFLOW);
    }
    if (s.len)
        memcpy(dst, s.ptr, s.len);
    dst[s.len] = '\0';
    return (ssize_t)s.len;
}

int mr_cursor_write_str(struct mr_cursor *c, const char *s, size_t field_len)
{
    size_t len = strlen(s);
    int rc;

    if (c->error)
        return c->error;
    if (len > field_len)
        return mr__cursor_fail(c, -EOVERFLOW);
    if ((rc = cursor_reserve(c, field_len)) < 0)
        return rc;
    if (len)
        memcpy(c->base + c->pos, s, len);
    if (field_len > len)
        memset(c->base + c->pos + len, 0, field_len - len);
    cursor_advance(c, field_len);
    return 0;
}

int mr_cursor_write_cstr(struct mr_cursor *c, const char *s)
{
    return mr_cursor_write_bytes(c, s, strlen(s) + 1);
}

/* LEB128: seven bits a byte, low groups first, the top bit set on every byte
 * but the last. Ten bytes hold 64 bits, the tenth contributing only bit 63.
 * The decoders see bytes, not a cursor (see mr__cursor_fail). */
struct mr__varint mr__uleb128_decode(const unsigned char *p, size_t avail)
{
    struct mr__varint r = { 0, 0 };
    size_t i = 0;

    for (unsigned shift = 0;; shift += 7) {
        if (i >= avail) {
            r.len = -ERANGE;
            return r;
        }
        uint8_t b = p[i++];
        if (shift == 63 && (b & 0xfe)) {
            /* Bits above 63, or a continuation past the tenth byte. */
            r.len = -EOVERFLOW;
            return r;
        }
        r.value |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            break;
    }
    r.len = (ptrdiff_t)i;
    return r;
}

struct mr__varint mr__sleb128_decode(const unsigned char *p, size_t avail)
{
    struct mr__varint r = { 0, 0 };
    uint64_t v = 0;
    size_t i = 0;
    unsigned shift = 0;

    for (;;) {
        if (i >= avail) {
            r.len = -ERANGE;
            return r;
        }
        uint8_t b = p[i++];
        if (shift == 63) {
            /* The last byte holds bit 63 and must repeat it in its other
             * bits (0x00 or 0x7f), with no continuation. */
            if (b != 0x00 && b != 0x7f) {
                r.len = -EOVERFLOW;
                return r;
            }
            v |= (uint64_t)(b & 1) << 63;
            break;
        }
        v |= (uint64_t)(b & 0x7f) << shift;
        shift += 7;
        if (!(b & 0x80)) {
            if (shift < 64 && (b & 0x40))
                v |= ~(uint64_t)0 << shift;
            break;
        }
    }
    r.value = v;
    r.len = (ptrdiff_t)i;
    return r;
}

int mr_cursor_write_uleb128(struct mr_cursor *c, uint64_t v)
{
    unsigned char b[10];
    size_t n = 0;
    do {
        b[n] = (unsigned char)(v & 0x7f);
        v >>= 7;
        if (v)
            b[n] |= 0x80;
        n++;
    } while (v);
    return mr_cursor_write_bytes(c, b, n);
}

int mr_cursor_write_sleb128(struct mr_cursor *c, int64_t sv)
{
    unsigned char b[10];
    size_t n = 0;
    uint64_t v = (uint64_t)sv;
    bool neg = sv < 0;
    for (;;) {
        unsigned char byte = (unsigned char)(v & 0x7f);
        /* Arithmetic shift by hand: C leaves >> of a negative value to the
         * implementation. */
        v = (v >> 7) | (neg ? ~(~(uint64_t)0 >> 7) : 0);
        bool done = (v == 0 && !(byte & 0x40)) || (v == ~(uint64_t)0 && (byte & 0x40));
        b[n++] = done ? byte : (unsigned char)(byte | 0x80);
        if (done)
            break;
    }
    return mr_cursor_write_bytes(c, b, n);
}

/* ==== FILE * streams ======================================================= */

/* The stream's state: a cursor over the region or a growable writer, and for
 * a growable stream where to publish the buffer. Allocated from alloc. */
struct stream {
    struct mr_cursor c;
    struct mr_allocator *alloc;
    struct mr_region *block; /* growable: published buffer */
    size_t *len;             /* growable: published length */
};

static void stream_publish(struct stream *s)
{
    if (s->block) {
        *s->block = mr_region_make(s->c.base, s->c.cap);
        *s->len = s->c.limit;
    }
}

/* The cookie functions follow stdio's contract: -1 (or 0 bytes) and errno
 * on failure. They are the only place in memregion that sets errno. */
static ssize_t stream_read(void *cookie, char *buf, size_t size)
{
    struct stream *s = cookie;
    return (ssize_t)mr_cursor_read_upto(&s->c, buf, size);
}

static ssize_t stream_write(void *cookie, const char *buf, size_t size)
{
    struct stream *s = cookie;
    size_t room = s->c.cap - s->c.pos;
    int rc;

    if (!(s->c.flags & MR__CURSOR_GROWABLE) && size > room)
        size = room;
    if (size == 0) {
        errno = ENOSPC;
        return 0;
    }
    if ((rc = mr_cursor_write_bytes(&s->c, buf, size)) < 0) {
        mr_cursor_clear_error(&s->c);
        errno = -rc;
        return 0;
    }
    stream_publish(s);
    return (ssize_t)size;
}

static int stream_seek(void *cookie, off64_t *offset, int whence)
{
    struct stream *s = cookie;
    int rc = mr_cursor_seek(&s->c, *offset, whence);
    if (rc < 0) {
        mr_cursor_clear_error(&s->c);
        errno = EINVAL;
        return -1;
    }
    *offset = (off64_t)s->c.pos;
    return 0;
}

static int stream_close(void *cookie)
{
    struct stream *s = cookie;
    stream_publish(s);
    mr_free(s->alloc, mr_region_make(s, sizeof *s));
    return 0;
}

static const cookie_io_functions_t stream_io = {
    .read = stream_read,
    .write = stream_write,
    .seek = stream_seek,
    .close = stream_close,
};

/* Parse an fopen mode: 0 read-only, 1 read-write, or -EINVAL. */
static int parse_mode(const char *mode)
{
    int rw;
    if (mode == NULL)
        return -EINVAL;
    switch (*mode++) {
    case 'r':
        rw = 0;
        break;
    case 'w':
        rw = 1;
        break;
    default:
        return -EINVAL;
    }
    for (; *mode; mode++) {
        if (*mode == '+')
            rw = 1;
        else if (*mode != 'b')
            return -EINVAL;
    }
    return rw;
}

static int stream_open(struct stream *init, const char *mode, FILE **out)
{
    struct mr_region r;
    int rc;

    if ((rc = mr_alloc(init->alloc, sizeof *init, _Alignof(struct stream), &r)) < 0)
        return rc;
    struct stream *s = r.ptr;
    *s = *init;
    FILE *f = fopencookie(s, mode, stream_io);
    if (f == NULL) {
        mr_free(init->alloc, r);
        return -ENOMEM;
    }
    /* Unbuffered: the region must hold each byte when fwrite returns, and a
     * write past the end must fail at that fwrite. Read-only streams too:
     * glibc splits a buffered stream's fseek into a seek to a block boundary,
     * a read and a relative seek, so a seek past the end failed half done
     * and left the stream at a position nobody asked for. */
    if (setvbuf(f, NULL, _IONBF, 0) != 0) {
        s->block = NULL; /* the caller still owns a growable buffer */
        fclose(f);
        return -ENOMEM;
    }
    stream_publish(s);
    *out = f;
    return 0;
}

int mr_fopen(struct mr_region r, const char *mode, FILE **out)
{
    struct stream s = { .alloc = mr_heap() };
    int rw = parse_mode(mode);

    if (rw < 0 || out == NULL)
        return -EINVAL;
    if (rw && (r.flags & MR_REGION_RDONLY))
        return -EACCES;
    if (!rw)
        r.flags |= MR_REGION_RDONLY;
    mr_cursor_init(&s.c, r);
    return stream_open(&s, rw ? "r+" : "r", out);
}

int mr_fopen_growable(struct mr_allocator *a, struct mr_region *block, size_t *len, FILE **out)
{
    struct stream s = { .alloc = mr_heap(), .block = block, .len = len };
    int rc;

    if (block == NULL || len == NULL || out == NULL)
        return -EINVAL;
    if ((rc = mr_cursor_init_growable(&s.c, a, 0)) < 0)
        return rc;
    if ((rc = stream_open(&s, "w+", out)) < 0)
        mr_cursor_fini(&s.c);
    return rc;
}
