/* SPDX-License-Identifier: MIT */
/* src/object.c: objects: a layout over a region, read and written by path
 * or field index, and printed as text or JSON. */
#include "internal.h"

#include <memregion/object.h>
#include <string.h>

static bool is_ident_start(int c) { return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static bool is_ident_char(int c) { return is_ident_start(c) || (c >= '0' && c <= '9'); }

/* Bytes of one element of field f. */
static size_t elem_size(const struct mr_field *f)
{
    return f->type == MR_TYPE_STRUCT ? mr_layout_size(f->nested) : mr_type_size(f->type);
}

static int flush_status(FILE *out)
{
    int rc = fflush(out);
    return rc != 0 || ferror(out) ? -EIO : 0;
}

int mr_object_init(struct mr_object *o, const struct mr_layout *l, struct mr_region r)
{
    struct mr_region sub;
    if (mr_region_sub(r, 0, mr_layout_size(l), &sub) < 0)
        return -ERANGE;
    o->layout = l;
    o->region = sub;
    return 0;
}

/* What a path names: a field, at a byte offset in the object, and how many
 * of its elements (1 for a scalar or a single element, else the count). */
struct target {
    const struct mr_field *f;
    size_t off;
    size_t n;
    bool whole_array;
};

static int resolve(const struct mr_layout *l, const char *path, struct target *t)
{
    size_t base = 0;
    const char *s = path;

    if (path == NULL)
        return -EINVAL;
    for (;;) {
        const char *name = s;
        if (!is_ident_start((unsigned char)*s))
            return -EINVAL;
        while (is_ident_char((unsigned char)*s))
            s++;
        size_t len = (size_t)(s - name);
        char key[MR_LAYOUT_MAX_NAME + 1];
        if (len > MR_LAYOUT_MAX_NAME)
            return -ENOENT;
        memcpy(key, name, len);
        key[len] = '\0';
        ssize_t idx = mr_layout_find(l, key);
        if (idx < 0)
            return (int)idx;
        const struct mr_field *f = mr_layout_field(l, (size_t)idx);
        t->f = f;
        t->off = base + f->offset;
        t->n = f->count ? f->count : 1;
        t->whole_array = f->count != 0;
        if (*s == '[') {
            size_t i = 0;
            bool too_big = false;
            if (f->count == 0)
                return -EINVAL;
            s++;
            if (*s < '0' || *s > '9')
                return -EINVAL;
            for (; *s >= '0' && *s <= '9'; s++)
                if (__builtin_mul_overflow(i, 10, &i) ||
                    __builtin_add_overflow(i, (size_t)(*s - '0'), &i))
                    too_big = true;
            if (*s++ != ']')
                return -EINVAL;
            if (too_big || i >= f->count)
                return -ERANGE;
            t->off += i * elem_size(f);
            t->n = 1;
            t->whole_array = false;
        }
        if (*s == '\0')
            return 0;
        if (*s != '.' || f->type != MR_TYPE_STRUCT || t->whole_array)
            return -EINVAL;
        s++;
        l = f->nested;
        base = t->off;
    }
}

/* A single scalar value: not a struct, not a whole array. */
static int resolve_value(const struct mr_object *o, const char *path, struct target *t)
{
    int rc = resolve(o->layout, path, t);
    if (rc < 0)
        return rc;
    if (t->f->type == MR_TYPE_STRUCT || t->whole_array)
        return -EINVAL;
    return 0;
}

int mr_object_get(const struct mr_object *o, const char *path, union mr_value *out)
{
    struct target t;
    int rc = resolve_value(o, path, &t);
    if (rc < 0)
        return rc;
    return mr_value_get(o->region, t.off, t.f->type, t.f->order, out);
}

int mr_object_set(const struct mr_object *o, const char *path, union mr_value v)
{
    struct target t;
    int rc = resolve_value(o, path, &t);
    if (rc < 0)
        return rc;
    return mr_value_set(o->region, t.off, t.f->type, t.f->order, v);
}

static int target_at(const struct mr_object *o, size_t index, size_t elem, struct target *t)
{
    const struct mr_field *f = mr_layout_field(o->layout, index);
    if (f == NULL)
        return -ERANGE;
    if (f->type == MR_TYPE_STRUCT)
        return -EINVAL;
    if (elem >= (f->count ? f->count : 1))
        return -ERANGE;
    t->f = f;
    t->off = f->offset + elem * elem_size(f);
    t->n = 1;
    t->whole_array = false;
    return 0;
}

int mr_object_get_at(const struct mr_object *o, size_t index, size_t elem, union mr_value *out)
{
    struct target t;
    int rc = target_at(o, index, elem, &t);
    if (rc < 0)
        return rc;
    return mr_value_get(o->region, t.off, t.f->type, t.f->order, out);
}

int mr_object_set_at(const struct mr_object *o, size_t index, size_t elem, union mr_value v)
{
    struct target t;
    int rc = target_at(o, index, elem, &t);
    if (rc < 0)
        return rc;
    return mr_value_set(o->region, t.off, t.f->type, t.f->order, v);
}

ssize_t mr_object_get_str(const struct mr_object *o, const char *path, char *dst, size_t dst_size)
{
    struct target t;
    int rc = resolve(o->layout, path, &t);
    if (rc < 0)
        return rc;
    if (t.f->type != MR_TYPE_CHAR || dst == NULL || dst_size == 0)
        return -EINVAL;
    const char *p = (const char *)o->region.ptr + t.off;
    size_t len = strnlen(p, t.n);
    if (len >= dst_size)
        return -EOVERFLOW;
    memcpy(dst, p, len);
    dst[len] = '\0';
    return (ssize_t)len;
}

int mr_object_set_str(const struct mr_object *o, const char *path, const char *s)
{
    struct target t;
    int rc = resolve(o->layout, path, &t);
    if (rc < 0)
        return rc;
    if (t.f->type != MR_TYPE_CHAR || s == NULL)
        return -EINVAL;
    if (o->region.flags & MR_REGION_RDONLY)
        return -EACCES;
    size_t len = strnlen(s, t.n + 1);
    if (len > t.n)
        return -EOVERFLOW;
    char *p = (char *)o->region.ptr + t.off;
    memcpy(p, s, len);
    memset(p + len, 0, t.n - len);
    return 0;
}

int mr_object_field(const struct mr_object *o, size_t index, struct mr_array *out)
{
    struct mr_region r;
    const struct mr_field *f = mr_layout_field(o->layout, index);
    if (f == NULL)
        return -ERANGE;
    if (f->type == MR_TYPE_STRUCT)
        return -EINVAL;
    if (mr_region_tail(o->region, f->offset, &r) < 0)
        return -ERANGE;
    return mr_array_init(out, r, f->type, f->order, 0, f->count ? f->count : 1);
}

int mr_object_nested(const struct mr_object *o, size_t index, size_t elem, struct mr_object *out)
{
    struct mr_region r;
    const struct mr_field *f = mr_layout_field(o->layout, index);
    if (f == NULL)
        return -ERANGE;
    if (f->type != MR_TYPE_STRUCT)
        return -EINVAL;
    if (elem >= (f->count ? f->count : 1))
        return -ERANGE;
    size_t size = mr_layout_size(f->nested);
    if (mr_region_sub(o->region, f->offset + elem * size, size, &r) < 0)
        return -ERANGE;
    out->layout = f->nested;
    out->region = r;
    return 0;
}

/* ---- printing -------------------------------------------------------------------- */

static void print_value(FILE *out, const struct mr_field *f, union mr_value v, bool json)
{
    char buf[MR_VALUE_TEXT_MAX];
    (void)mr_value_format(f->type, v, json ? MR_VALUE_FMT_JSON : 0, buf, sizeof buf);
    fputs(buf, out);
}

/* The field's value or values: a string, a scalar, or an array of scalars. */
static void print_field_data(FILE *out, struct mr_region r, size_t off, const struct mr_field *f,
                             bool json)
{
    size_t n = f->count ? f->count : 1;
    size_t es = mr_type_size(f->type);
    union mr_value v = { 0 };

    if (f->type == MR_TYPE_CHAR) {
        const char *s = (const char *)r.ptr + off;
        (void)mr_value_print_str(out, s, strnlen(s, n), json ? MR_VALUE_FMT_JSON : 0);
        return;
    }
    if (f->count)
        fputc('[', out);
    for (size_t i = 0; i < n; i++) {
        if (i)
            fputs(", ", out);
        (void)mr_value_get(r, off + i * es, f->type, f->order, &v);
        print_value(out, f, v, json);
    }
    if (f->count)
        fputc(']', out);
}

/* Paths are at most MR_LAYOUT_MAX_DEPTH names, indices and dots. */
#define PATH_MAX_LEN (MR_LAYOUT_MAX_DEPTH * (MR_LAYOUT_MAX_NAME + 24) + 1)

static void print_text_level(FILE *out, struct mr_region r, size_t base, const struct mr_layout *l,
                             char *path, size_t plen)
{
    for (size_t i = 0; i < mr_layout_field_count(l); i++) {
        const struct mr_field *f = mr_layout_field(l, i);
        size_t off = base + f->offset;
        if (f->type != MR_TYPE_STRUCT) {
            fprintf(out, "%.*s%s = ", (int)plen, path, f->name);
            print_field_data(out, r, off, f, false);
            fputc('\n', out);
            continue;
        }
        size_t n = f->count ? f->count : 1;
        for (size_t e = 0; e < n; e++) {
            int k = f->count ? snprintf(path + plen, PATH_MAX_LEN - plen, "%s[%zu].", f->name, e)
                             : snprintf(path + plen, PATH_MAX_LEN - plen, "%s.", f->name);
            print_text_level(out, r, off + e * mr_layout_size(f->nested), f->nested, path,
                             plen + (size_t)k);
        }
    }
}

static void print_json_level(FILE *out, struct mr_region r, size_t base, const struct mr_layout *l)
{
    fputc('{', out);
    for (size_t i = 0; i < mr_layout_field_count(l); i++) {
        const struct mr_field *f = mr_layout_field(l, i);
        size_t off = base + f->offset;
        fprintf(out, "%s\"%s\": ", i ? ", " : "", f->name);
        if (f->type != MR_TYPE_STRUCT) {
            print_field_data(out, r, off, f, true);
            continue;
        }
        if (f->count == 0) {
            print_json_level(out, r, off, f->nested);
            continue;
        }
        fputc('[', out);
        for (size_t e = 0; e < f->count; e++) {
            if (e)
                fputs(", ", out);
            print_json_level(out, r, off + e * mr_layout_size(f->nested), f->nested);
        }
        fputc(']', out);
    }
    fputc('}', out);
}

int mr_object_print(const struct mr_object *o, FILE *out)
{
    char path[PATH_MAX_LEN];
    print_text_level(out, o->region, 0, o->layout, path, 0);
    return flush_status(out);
}

int mr_object_print_json(const struct mr_object *o, FILE *out)
{
    print_json_level(out, o->region, 0, o->layout);
    fputc('\n', out);
    return flush_status(out);
}
