/* SPDX-License-Identifier: MIT */
/* memregion/object.h: objects: a layout applied to a region, read and
 * written by field name or index and printed as text or JSON.
 *
 * Every access is bounds-checked (-ERANGE), every write refuses a read-only
 * region (-EACCES), and a value that does not fit its destination is refused
 * (-EOVERFLOW) with nothing written.
 *
 * Thread-safety: objects are plain values, the memory behind them is shared
 * as the caller arranges; the layout must outlive them.
 */
#ifndef MEMREGION_OBJECT_H
#define MEMREGION_OBJECT_H

#include <memregion/array.h>
#include <memregion/layout.h>
#include <memregion/value.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A path names a value inside an object: field names joined by '.' to go
 * into nested layouts, and "[i]" after an array field to pick an element:
 * "len", "name[3]", "hdr.kind", "items[2].x". Path errors: -ENOENT (no such
 * field), -ERANGE (index >= count), -EINVAL (malformed, an index on a scalar,
 * '.' after a non-struct, or a path that names a whole array or struct where
 * one value is wanted). The fields of struct mr_object are set by
 * mr_object_init and mr_object_nested; read them, do not change them. */
struct mr_object {
    const struct mr_layout *layout;
    struct mr_region region; /* exactly the layout's size */
};

/* Apply layout l to the start of r: 0, or -ERANGE when r is shorter than the
 * layout (then *o is untouched). The caller keeps l and r's memory alive. */
MR_API int mr_object_init(struct mr_object *o, const struct mr_layout *l, struct mr_region r);

/* Read or write the scalar (or array element) at path, as union mr_value
 * in the member for its type; set checks the range as mr_value_set does.
 * 0, a path error, -EACCES (set on a read-only region) or -EOVERFLOW. */
MR_API int mr_object_get(const struct mr_object *o, const char *path, union mr_value *out);
MR_API int mr_object_set(const struct mr_object *o, const char *path, union mr_value v);

/* By field index: element elem (0 for a scalar) of field index. As above,
 * with -ERANGE for an index or element out of range and -EINVAL for a
 * struct field. */
MR_API int mr_object_get_at(const struct mr_object *o, size_t index, size_t elem,
                            union mr_value *out);
MR_API int mr_object_set_at(const struct mr_object *o, size_t index, size_t elem,
                            union mr_value v);

/* Read the char field at path (char or char[N]) as a C string: its bytes up
 * to the first NUL. Returns the string's length, or a path error, -EINVAL
 * (not a char field, dst NULL, dst_size 0) or -EOVERFLOW (dst_size cannot
 * hold the string and its NUL); dst is untouched on failure. */
MR_API ssize_t mr_object_get_str(const struct mr_object *o, const char *path, char *dst,
                                 size_t dst_size);

/* Write s into the char field at path, padded with NULs (a string as long as
 * the field has none). 0, a path error, -EINVAL (not a char field),
 * -EOVERFLOW (strlen(s) > the field's length) or -EACCES; nothing written on
 * failure. */
MR_API int mr_object_set_str(const struct mr_object *o, const char *path, const char *s);

/* Field index (not a struct) as a typed array over the object's memory: a
 * scalar is an array of one. 0, -ERANGE (no field index) or -EINVAL (a
 * struct field). */
MR_API int mr_object_field(const struct mr_object *o, size_t index, struct mr_array *out);

/* Element elem (0 for a scalar) of struct field index, as an object of its
 * nested layout sharing o's memory. 0, -ERANGE or -EINVAL (not a struct). */
MR_API int mr_object_nested(const struct mr_object *o, size_t index, size_t elem,
                            struct mr_object *out);

/* Write the object as "name = value" lines, fields in layout order. Integers
 * are decimal; floats the shortest text that reads back exactly, or nan,
 * inf, -inf; char fields are a double-quoted string of their bytes up to the
 * first NUL, with \" \\ \n \r \t and, for other bytes outside printable
 * ASCII, \x and two hex digits; arrays are "[1, 2, 3]"; nested fields are
 * named by path ("hdr.kind", "items[1].x"). 0, or -EIO when the stream
 * reports an error (out is flushed). */
MR_API int mr_object_print(const struct mr_object *o, FILE *out);

/* Write the object as one line of JSON and a newline: an object whose keys
 * are field names in layout order, nested layouts as objects, arrays as
 * arrays, char fields as strings. NaN and infinities are written as null.
 * The output is ASCII: string bytes 0x80-0xff are written as \u0080-\u00ff
 * (read as Latin-1) and control bytes as \uXXXX, so it is always valid JSON.
 * 0, or -EIO as mr_object_print. */
MR_API int mr_object_print_json(const struct mr_object *o, FILE *out);

#ifdef __cplusplus
}
#endif

#endif
