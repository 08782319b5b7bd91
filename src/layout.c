/* SPDX-License-Identifier: MIT */
/* src/layout.c: layouts, made from fields or parsed from spec text, and
 * written back as spec text. */
#include "internal.h"

#include <memregion/layout.h>
#include <stdarg.h>
#include <string.h>

/* A layout is one block from its allocator: this header, the fields, the
 * indices of the fields sorted by name, then the names. Nested layouts are
 * blocks of their own, owned by the field that points to them. */
struct mr_layout {
    struct mr_allocator *alloc;
    size_t block_size;
    size_t size;
    size_t nfields;
    unsigned depth;
    struct mr_field *fields;
    uint32_t *by_name;
};

/* A field on its way into a layout: its name need not be NUL-terminated
 * (parsed names point into the text), and pos locates it for errors. */
struct field_in {
    struct mr_field f;
    size_t name_len;
    size_t pos;
};

static int layout_error(struct mr_layout_error *err, size_t pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int layout_error(struct mr_layout_error *err, size_t pos, const char *fmt, ...)
{
    va_list ap;
    err->pos = pos;
    va_start(ap, fmt);
    vsnprintf(err->reason, sizeof err->reason, fmt, ap);
    va_end(ap);
    return -EINVAL;
}

static int name_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
    int c = memcmp(a, b, alen < blen ? alen : blen);
    if (c)
        return c;
    return (alen > blen) - (alen < blen);
}

typedef int (*field_cmp_fn)(const struct field_in *in, uint32_t a, uint32_t b);

static int cmp_by_name(const struct field_in *in, uint32_t a, uint32_t b)
{
    int c = name_cmp(in[a].f.name, in[a].name_len, in[b].f.name, in[b].name_len);
    return c ? c : (a > b) - (a < b);
}

static int cmp_by_offset(const struct field_in *in, uint32_t a, uint32_t b)
{
    size_t x = in[a].f.offset, y = in[b].f.offset;
    if (x != y)
        return x < y ? -1 : 1;
    return (a > b) - (a < b);
}

/* Heapsort: no recursion, no allocation (qsort may call malloc, which would
 * bypass the caller's allocator), O(n log n) on hostile input. */
static void sift_down(uint32_t *v, size_t root, size_t n, const struct field_in *in,
                      field_cmp_fn cmp)
{
    for (;;) {
        size_t child = 2 * root + 1;
        if (child >= n)
            return;
        if (child + 1 < n && cmp(in, v[child], v[child + 1]) < 0)
            child++;
        if (cmp(in, v[root], v[child]) >= 0)
            return;
        uint32_t t = v[root];
        v[root] = v[child];
        v[child] = t;
        root = child;
    }
}

static void sort_indices(uint32_t *v, size_t n, const struct field_in *in, field_cmp_fn cmp)
{
    for (size_t i = n / 2; i-- > 0;)
        sift_down(v, i, n, in, cmp);
    for (size_t end = n; end-- > 1;) {
        uint32_t t = v[0];
        v[0] = v[end];
        v[end] = t;
        sift_down(v, 0, end, in, cmp);
    }
}

static size_t elem_size(const struct mr_field *f)
{
    return f->type == MR_TYPE_STRUCT ? f->nested->size : mr_type_size(f->type);
}

size_t mr_field_size(const struct mr_field *f)
{
    return elem_size(f) * (f->count ? f->count : 1);
}

static bool is_ident_start(int c) { return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static bool is_ident_char(int c) { return is_ident_start(c) || (c >= '0' && c <= '9'); }

/* The field's end offset, or false when it passes PTRDIFF_MAX (the largest
 * region) or the arithmetic overflows. */
static bool field_end(const struct mr_field *f, size_t *end)
{
    size_t total;
    if (__builtin_mul_overflow(elem_size(f), f->count ? f->count : 1, &total) ||
        __builtin_add_overflow(f->offset, total, end))
        return false;
    return *end <= PTRDIFF_MAX;
}

static void layout_free_nested(struct field_in *in, size_t n)
{
    for (size_t i = 0; i < n; i++)
        mr_layout_destroy((struct mr_layout *)(uintptr_t)in[i].f.nested);
}

void mr_layout_destroy(struct mr_layout *l)
{
    if (l == NULL)
        return;
    for (size_t i = 0; i < l->nfields; i++)
        mr_layout_destroy((struct mr_layout *)(uintptr_t)l->fields[i].nested);
    mr_free(l->alloc, mr_region_make(l, l->block_size));
}

/* A copy of src, nested layouts included, from allocator a. The block is
 * position-independent apart from its pointers, which are moved over. */
static int layout_clone(struct mr_allocator *a, const struct mr_layout *src, struct mr_layout **out)
{
    struct mr_region blk;
    int rc = mr_alloc(a, src->block_size, MR_ALIGN_DEFAULT, &blk);
    if (rc < 0)
        return rc;
    struct mr_layout *l = blk.ptr;
    char *base = blk.ptr;
    const char *sbase = (const char *)src;
    memcpy(l, src, src->block_size);
    l->alloc = a;
    l->fields = (struct mr_field *)(void *)(base + ((const char *)src->fields - sbase));
    l->by_name = (uint32_t *)(void *)(base + ((const char *)src->by_name - sbase));
    for (size_t i = 0; i < l->nfields; i++) {
        l->fields[i].name = base + (src->fields[i].name - sbase);
        l->fields[i].nested = NULL;
    }
    for (size_t i = 0; i < l->nfields; i++) {
        struct mr_layout *sub;
        if (src->fields[i].nested == NULL)
            continue;
        if ((rc = layout_clone(a, src->fields[i].nested, &sub)) < 0) {
            mr_layout_destroy(l);
            return rc;
        }
        l->fields[i].nested = sub;
    }
    *out = l;
    return 0;
}

/* Check n fields and make a layout of them. With adopt, the nested layouts
 * become the new layout's on success (on failure they stay the caller's);
 * without, they are cloned. have_size false: the size is the largest end. */
static int layout_build(struct mr_allocator *a, struct field_in *in, size_t n, bool have_size,
                        size_t size, bool adopt, struct mr_layout **out,
                        struct mr_layout_error *err)
{
    size_t max_end = 0, names = 0;
    unsigned depth = 1;
    int rc;

    /* n <= MR_LAYOUT_MAX_FIELDS: both callers refuse more, each at its own
     * position, so the indices fit in 32 bits. */
    for (size_t i = 0; i < n; i++) {
        struct mr_field *f = &in[i].f;
        const int nl = (int)in[i].name_len;
        size_t end;

        if (f->name == NULL || in[i].name_len == 0)
            return layout_error(err, in[i].pos, "field has no name");
        if (in[i].name_len > MR_LAYOUT_MAX_NAME)
            return layout_error(err, in[i].pos, "field name longer than %d bytes",
                                MR_LAYOUT_MAX_NAME);
        for (size_t k = 0; k < in[i].name_len; k++)
            if (!(k ? is_ident_char(f->name[k]) : is_ident_start(f->name[k])))
                return layout_error(err, in[i].pos, "field name is not an identifier");
        if (f->flags & ~MR_FIELD_OVERLAP)
            return layout_error(err, in[i].pos, "unknown field flags");
        if ((unsigned)f->type > (unsigned)MR_TYPE_STRUCT)
            return layout_error(err, in[i].pos, "unknown type");
        if ((unsigned)f->order > (unsigned)MR_ORDER_BE)
            return layout_error(err, in[i].pos, "unknown byte order");
        if (f->type == MR_TYPE_STRUCT) {
            if (f->nested == NULL)
                return layout_error(err, in[i].pos, "struct field without a nested layout");
            if (f->nested->size == 0)
                return layout_error(err, in[i].pos, "nested layout is empty");
            if (f->nested->depth + 1 > MR_LAYOUT_MAX_DEPTH)
                return layout_error(err, in[i].pos, "nesting too deep");
            if (f->nested->depth + 1 > depth)
                depth = f->nested->depth + 1;
        } else if (f->nested != NULL) {
            return layout_error(err, in[i].pos, "nested layout on a non-struct field");
        }
        if (!field_end(f, &end))
            return layout_error(err, in[i].pos, "field '%.*s' ends past the size limit", nl,
                                f->name);
        if (have_size && end > size)
            return layout_error(err, in[i].pos, "field '%.*s' ends past the layout size", nl,
                                f->name);
        if (end > max_end)
            max_end = end;
        names += in[i].name_len + 1;
    }
    if (have_size && size > PTRDIFF_MAX)
        return layout_error(err, n, "size overflows");

    /* Header, fields, indices, names: no padding is needed between them, as
     * each part's alignment is at most that of the part before it. */
    size_t off_fields = sizeof(struct mr_layout);
    size_t off_index = off_fields + n * sizeof(struct mr_field);
    size_t off_names = off_index + n * sizeof(uint32_t);
    struct mr_region blk;
    if ((rc = mr_alloc(a, off_names + names, MR_ALIGN_DEFAULT, &blk)) < 0)
        return rc;
    struct mr_layout *l = blk.ptr;
    memset(l, 0, sizeof *l);
    l->alloc = a;
    l->block_size = blk.len;
    l->size = have_size ? size : max_end;
    l->depth = depth;
    l->fields = (struct mr_field *)(void *)((char *)blk.ptr + off_fields);
    l->by_name = (uint32_t *)(void *)((char *)blk.ptr + off_index);

    /* Duplicates: report the first field whose name an earlier one has. */
    size_t dup = SIZE_MAX;
    for (size_t i = 0; i < n; i++)
        l->by_name[i] = (uint32_t)i;
    sort_indices(l->by_name, n, in, cmp_by_name);
    for (size_t i = 1; i < n; i++) {
        uint32_t x = l->by_name[i - 1], y = l->by_name[i];
        if (name_cmp(in[x].f.name, in[x].name_len, in[y].f.name, in[y].name_len) == 0 && y < dup)
            dup = y;
    }
    if (dup != SIZE_MAX) {
        rc = layout_error(err, in[dup].pos, "duplicate field name '%.*s'", (int)in[dup].name_len,
                          in[dup].f.name);
        goto fail;
    }

    /* Overlaps: only fields without MR_FIELD_OVERLAP, and with bytes, can
     * clash. Sorted by offset, a field clashes with an earlier one exactly
     * when it starts before the furthest end seen so far. */
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (!(in[i].f.flags & MR_FIELD_OVERLAP) && mr_field_size(&in[i].f) > 0)
            l->by_name[m++] = (uint32_t)i;
    sort_indices(l->by_name, m, in, cmp_by_offset);
    size_t reach = 0;
    uint32_t reacher = 0;
    for (size_t k = 0; k < m; k++) {
        uint32_t i = l->by_name[k];
        size_t end = in[i].f.offset + mr_field_size(&in[i].f);
        if (k > 0 && in[i].f.offset < reach) {
            uint32_t later = i > reacher ? i : reacher, earlier = i > reacher ? reacher : i;
            rc = layout_error(err, in[later].pos, "field '%.*s' overlaps field '%.*s'",
                              (int)in[later].name_len, in[later].f.name,
                              (int)in[earlier].name_len, in[earlier].f.name);
            goto fail;
        }
        if (end > reach) {
            reach = end;
            reacher = i;
        }
    }

    char *names_at = (char *)blk.ptr + off_names;
    for (size_t i = 0; i < n; i++) {
        struct mr_field *f = &l->fields[i];
        *f = in[i].f;
        memcpy(names_at, in[i].f.name, in[i].name_len);
        names_at[in[i].name_len] = '\0';
        f->name = names_at;
        names_at += in[i].name_len + 1;
        if (mr_type_size(f->type) == 1 || f->type == MR_TYPE_STRUCT)
            f->order = MR_ORDER_HOST;
        f->nested = NULL;
    }
    /* Counted before the clones, so that destroying a half-cloned layout
     * finds the clones made so far. */
    l->nfields = n;
    for (size_t i = 0; i < n; i++) {
        if (in[i].f.nested == NULL)
            continue;
        if (adopt) {
            l->fields[i].nested = in[i].f.nested;
            continue;
        }
        struct mr_layout *sub;
        if ((rc = layout_clone(a, in[i].f.nested, &sub)) < 0) {
            mr_layout_destroy(l);
            return rc;
        }
        l->fields[i].nested = sub;
    }
    for (size_t i = 0; i < n; i++)
        l->by_name[i] = (uint32_t)i;
    sort_indices(l->by_name, n, in, cmp_by_name);
    *out = l;
    return 0;

fail:
    mr_free(a, blk);
    return rc;
}

static void oom_error(struct mr_layout_error *err)
{
    err->pos = 0;
    snprintf(err->reason, sizeof err->reason, "out of memory");
}

int mr_layout_create(struct mr_allocator *a, const struct mr_field *fields, size_t n, size_t size,
                     struct mr_layout **out, struct mr_layout_error *err)
{
    struct mr_layout_error dummy;
    struct mr_region tmp = { NULL, 0, 0 };
    int rc;

    if (err == NULL)
        err = &dummy;
    if (a == NULL)
        a = mr_heap();
    if (out == NULL || (fields == NULL && n > 0))
        return layout_error(err, 0, "invalid argument");
    if (n > MR_LAYOUT_MAX_FIELDS)
        return layout_error(err, MR_LAYOUT_MAX_FIELDS, "too many fields");
    if ((rc = mr_alloc(a, n * sizeof(struct field_in), MR_ALIGN_DEFAULT, &tmp)) < 0) {
        oom_error(err);
        return rc;
    }
    struct field_in *in = tmp.ptr;
    for (size_t i = 0; i < n; i++) {
        in[i].f = fields[i];
        in[i].name_len = fields[i].name ? strnlen(fields[i].name, MR_LAYOUT_MAX_NAME + 1) : 0;
        in[i].pos = i;
    }
    rc = layout_build(a, in, n, size != 0, size, false, out, err);
    if (rc == -ENOMEM)
        oom_error(err);
    mr_free(a, tmp);
    return rc;
}

size_t mr_layout_size(const struct mr_layout *l) { return l->size; }
size_t mr_layout_field_count(const struct mr_layout *l) { return l->nfields; }

const struct mr_field *mr_layout_field(const struct mr_layout *l, size_t i)
{
    return i < l->nfields ? &l->fields[i] : NULL;
}

static ssize_t layout_find_n(const struct mr_layout *l, const char *name, size_t len)
{
    size_t lo = 0, hi = l->nfields;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const char *s = l->fields[l->by_name[mid]].name;
        int c = name_cmp(name, len, s, strlen(s));
        if (c == 0)
            return l->by_name[mid];
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return -ENOENT;
}

ssize_t mr_layout_find(const struct mr_layout *l, const char *name)
{
    if (name == NULL)
        return -ENOENT;
    return layout_find_n(l, name, strnlen(name, MR_LAYOUT_MAX_NAME + 1));
}

/* ---- the spec parser -----------------------------------------------------------
 * Recursive descent, one level per nested layout: the depth limit bounds the
 * recursion, and each level's fields grow in one array from the allocator. */

struct parser {
    struct mr_allocator *alloc;
    const char *s;
    size_t len;
    size_t pos;
    struct mr_layout_error *err;
};

static int peek(const struct parser *p)
{
    return p->pos < p->len ? (unsigned char)p->s[p->pos] : -1;
}

static bool is_space(int c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static void skip_space(struct parser *p)
{
    for (;;) {
        int c = peek(p);
        if (is_space(c)) {
            p->pos++;
        } else if (c == '#') {
            while (p->pos < p->len && p->s[p->pos] != '\n')
                p->pos++;
        } else {
            return;
        }
    }
}

/* An item ends at whitespace, a comment, a '}' or the end of the text. */
static bool at_item_end(const struct parser *p)
{
    int c = peek(p);
    return c < 0 || is_space(c) || c == '#' || c == '}';
}

static int hex_digit(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* A decimal or 0x-hex number up to PTRDIFF_MAX. */
static int parse_number(struct parser *p, const char *expected, const char *overflows, size_t *out)
{
    size_t start = p->pos, v = 0;
    unsigned base = 10;
    int c = peek(p);

    if (c < '0' || c > '9')
        return layout_error(p->err, p->pos, "%s", expected);
    if (c == '0' && p->pos + 1 < p->len && (p->s[p->pos + 1] == 'x' || p->s[p->pos + 1] == 'X')) {
        base = 16;
        p->pos += 2;
        if (hex_digit(peek(p)) < 0)
            return layout_error(p->err, p->pos, "expected hex digits after '0x'");
    }
    for (;;) {
        int d = hex_digit(peek(p));
        if (d < 0 || (unsigned)d >= base)
            break;
        if (__builtin_mul_overflow(v, base, &v) || __builtin_add_overflow(v, (size_t)d, &v) ||
            v > PTRDIFF_MAX)
            return layout_error(p->err, start, "%s", overflows);
        p->pos++;
    }
    *out = v;
    return 0;
}

static int parse_type(struct parser *p, enum mr_type *t, enum mr_order *o)
{
    size_t start = p->pos;
    while (is_ident_char(peek(p)))
        p->pos++;
    const char *tok = p->s + start;
    size_t len = p->pos - start;
    enum mr_type bare;
    enum mr_order unused;

    if (len == 0)
        return layout_error(p->err, start, "expected type after ':'");
    if (mr_type_parse(tok, len, t, o) == 0)
        return 0;
    if (len > 2 && (memcmp(tok + len - 2, "le", 2) == 0 || memcmp(tok + len - 2, "be", 2) == 0) &&
        mr_type_parse(tok, len - 2, &bare, &unused) == 0 && mr_type_size(bare) == 1)
        return layout_error(p->err, start, "type '%s' takes no byte order", mr_type_name(bare));
    /* Long enough to recognise, short enough that the reason always fits. */
    if (len > 32)
        return layout_error(p->err, start, "unknown type '%.32s...'", tok);
    return layout_error(p->err, start, "unknown type '%.*s'", (int)len, tok);
}

static int parse_level(struct parser *p, unsigned depth, size_t open_pos, struct mr_layout **out);

/* One field, from its name (at start, name_len bytes, already read) on. */
static int parse_field(struct parser *p, unsigned depth, size_t start, size_t name_len,
                       size_t next_off, struct field_in *fi)
{
    struct mr_layout *nested = NULL;
    struct mr_field *f = &fi->f;
    size_t end;
    int rc;

    memset(fi, 0, sizeof *fi);
    f->name = p->s + start;
    fi->name_len = name_len;
    fi->pos = start;
    if (peek(p) != ':')
        return layout_error(p->err, p->pos, "expected ':' after field name");
    p->pos++;
    if (peek(p) == '{') {
        size_t open = p->pos;
        if (depth + 1 > MR_LAYOUT_MAX_DEPTH)
            return layout_error(p->err, open, "nesting too deep");
        p->pos++;
        if ((rc = parse_level(p, depth + 1, open, &nested)) < 0)
            return rc;
        if (nested->size == 0) {
            rc = layout_error(p->err, open, "nested layout is empty");
            goto fail;
        }
        f->type = MR_TYPE_STRUCT;
        f->order = MR_ORDER_HOST;
        f->nested = nested;
    } else if ((rc = parse_type(p, &f->type, &f->order)) < 0) {
        return rc;
    }
    if (peek(p) == '[') {
        p->pos++;
        size_t at = p->pos;
        if ((rc = parse_number(p, "expected array count", "array count overflows", &f->count)) < 0)
            goto fail;
        if (f->count == 0) {
            rc = layout_error(p->err, at, "array count is zero");
            goto fail;
        }
        if (peek(p) != ']') {
            rc = layout_error(p->err, p->pos, "expected ']' after array count");
            goto fail;
        }
        p->pos++;
    }
    f->offset = next_off;
    if (peek(p) == '@') {
        p->pos++;
        if ((rc = parse_number(p, "expected offset after '@'", "offset overflows", &f->offset)) < 0)
            goto fail;
    }
    if (peek(p) == '!') {
        p->pos++;
        f->flags = MR_FIELD_OVERLAP;
    }
    if (!at_item_end(p)) {
        rc = layout_error(p->err, p->pos, "unexpected character after field");
        goto fail;
    }
    if (!field_end(f, &end)) {
        rc = layout_error(p->err, start, "field '%.*s' ends past the size limit", (int)name_len,
                          f->name);
        goto fail;
    }
    return 0;

fail:
    mr_layout_destroy(nested);
    f->nested = NULL;
    return rc;
}

static int parse_level(struct parser *p, unsigned depth, size_t open_pos, struct mr_layout **out)
{
    struct mr_region vec = { NULL, 0, 0 };
    struct field_in *in = NULL;
    size_t n = 0, next_off = 0, size = 0;
    bool have_size = false;
    int rc;

    for (;;) {
        skip_space(p);
        int c = peek(p);
        if (c < 0) {
            if (depth > 1) {
                rc = layout_error(p->err, open_pos, "unterminated '{'");
                goto out;
            }
            break;
        }
        if (c == '}') {
            if (depth == 1) {
                rc = layout_error(p->err, p->pos, "unexpected '}'");
                goto out;
            }
            p->pos++;
            break;
        }
        size_t start = p->pos;
        if (!is_ident_start(c)) {
            rc = layout_error(p->err, p->pos, "expected field name");
            goto out;
        }
        while (is_ident_char(peek(p)))
            p->pos++;
        size_t name_len = p->pos - start;
        if (name_len > MR_LAYOUT_MAX_NAME) {
            rc = layout_error(p->err, start, "field name longer than %d bytes", MR_LAYOUT_MAX_NAME);
            goto out;
        }
        if (peek(p) == '=' && name_len == 4 && memcmp(p->s + start, "size", 4) == 0) {
            p->pos++;
            if (have_size) {
                rc = layout_error(p->err, start, "duplicate size directive");
                goto out;
            }
            if ((rc = parse_number(p, "expected size after 'size='", "size overflows", &size)) < 0)
                goto out;
            if (!at_item_end(p)) {
                rc = layout_error(p->err, p->pos, "unexpected character after size");
                goto out;
            }
            have_size = true;
            continue;
        }
        if (n == MR_LAYOUT_MAX_FIELDS) {
            rc = layout_error(p->err, start, "too many fields");
            goto out;
        }
        if (n * sizeof *in == vec.len) {
            size_t cap = n ? 2 * n : 8;
            if ((rc = mr_realloc(p->alloc, &vec, cap * sizeof *in, MR_ALIGN_DEFAULT)) < 0)
                goto out;
            in = vec.ptr;
        }
        if ((rc = parse_field(p, depth, start, name_len, next_off, &in[n])) < 0)
            goto out;
        next_off = in[n].f.offset + mr_field_size(&in[n].f);
        n++;
    }
    rc = layout_build(p->alloc, in, n, have_size, size, true, out, p->err);
    if (rc == 0)
        n = 0;
out:
    layout_free_nested(in, n);
    mr_free(p->alloc, vec);
    return rc;
}

int mr_layout_parse(struct mr_allocator *a, const char *text, size_t len, struct mr_layout **out,
                    struct mr_layout_error *err)
{
    struct mr_layout_error dummy;
    if (err == NULL)
        err = &dummy;
    if (a == NULL)
        a = mr_heap();
    if (out == NULL || (text == NULL && len > 0))
        return layout_error(err, 0, "invalid argument");
    struct parser p = { a, text, len, 0, err };
    int rc = parse_level(&p, 1, 0, out);
    if (rc == -ENOMEM)
        oom_error(err);
    return rc;
}

static void print_spec_level(const struct mr_layout *l, FILE *out)
{
    for (size_t i = 0; i < l->nfields; i++) {
        const struct mr_field *f = &l->fields[i];
        fprintf(out, "%s:", f->name);
        if (f->type == MR_TYPE_STRUCT) {
            fputc('{', out);
            print_spec_level(f->nested, out);
            fputc('}', out);
        } else {
            char name[MR_TYPE_NAME_MAX];
            (void)mr_type_format(f->type, f->order, name, sizeof name);
            fputs(name, out);
        }
        if (f->count)
            fprintf(out, "[%zu]", f->count);
        fprintf(out, "@%zu%s ", f->offset, (f->flags & MR_FIELD_OVERLAP) ? "!" : "");
    }
    fprintf(out, "size=%zu", l->size);
}

static int flush_status(FILE *out)
{
    int rc = fflush(out);
    return rc != 0 || ferror(out) ? -EIO : 0;
}

int mr_layout_print(const struct mr_layout *l, FILE *out)
{
    print_spec_level(l, out);
    fputc('\n', out);
    return flush_status(out);
}
