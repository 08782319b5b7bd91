/* memregion/view.h: typed views of a region: typed arrays and struct layouts.
 *
 * Three things live here:
 *   - typed values at an offset chosen at run time (a type and a byte order),
 *     built on the checked access of memregion/region.h;
 *   - typed arrays: a region seen as N elements of one type, with a stride,
 *     so that one field of an array of structs is an array too;
 *   - layouts: named fields at offsets, checked once to fit, written as C
 *     arrays or as text; and objects, a layout applied to a region, read and
 *     written by field name or index and printed as text or JSON.
 *
 * Every access is bounds-checked (-ERANGE), every write refuses a read-only
 * region (-EACCES), and a value that does not fit its destination is refused
 * (-EOVERFLOW) with nothing written.
 *
 * Layout spec grammar (whitespace is ' ', tab, CR, LF, VT, FF; '#' starts a
 * comment that runs to the end of the line and counts as whitespace):
 *
 *   spec    := ws* [ item { ws+ item } ] ws*
 *   item    := field | "size=" number
 *   field   := name ":" type [ "[" number "]" ] [ "@" number ] [ "!" ]
 *   name    := [A-Za-z_][A-Za-z0-9_]*             at most 63 bytes
 *   type    := "u8" | "i8" | "char"
 *            | ("u16"|"u32"|"u64"|"i16"|"i32"|"i64"|"f32"|"f64") [ "le" | "be" ]
 *            | "{" ws* [ item { ws+ item } ] ws* "}"          a nested layout
 *   number  := [0-9]+ | "0x" [0-9a-fA-F]+
 *
 * A type without "le" or "be" is in host order. "[N]" makes an array of N > 0
 * elements. "@N" places the field at byte offset N; without it the field
 * starts where the previous field (in the text) ends, with no padding. "!"
 * declares that the field may overlap others (a union member). "size=N" sets
 * the layout's size (at most once per level); without it the size is the end
 * of the field that ends last. A nested layout must not be empty (size 0).
 * Names are unique within their level.
 *
 *   magic:u32be len:u16le flags:u8 pad:u8[3] name:char[16]
 *   word:u32le@0 bytes:u8[4]@0! hdr:{ kind:u8 ver:u8 }[2] size=64
 *
 * Limits, so that hostile text costs bounded stack and time: at most
 * MR_LAYOUT_MAX_DEPTH levels of nesting, MR_LAYOUT_MAX_FIELDS fields per
 * level, names of MR_LAYOUT_MAX_NAME bytes, and a size of at most PTRDIFF_MAX.
 *
 * Thread-safety: arrays and objects are plain values, the memory behind them
 * is shared as the caller arranges. A layout never changes once made, so
 * threads may use one layout at the same time; destroying it needs all of
 * them to be done.
 */
#ifndef MEMREGION_VIEW_H
#define MEMREGION_VIEW_H

#include <memregion/alloc.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- types and values -------------------------------------------------------*/

/* An element type. MR_TYPE_CHAR is a byte of text (char[N] is a string
 * field); MR_TYPE_STRUCT is a nested layout and exists only in layouts. */
enum mr_type {
    MR_TYPE_U8,
    MR_TYPE_U16,
    MR_TYPE_U32,
    MR_TYPE_U64,
    MR_TYPE_I8,
    MR_TYPE_I16,
    MR_TYPE_I32,
    MR_TYPE_I64,
    MR_TYPE_F32,
    MR_TYPE_F64,
    MR_TYPE_CHAR,
    MR_TYPE_STRUCT,
};

/* A value of any element type. Which member holds it follows the type:
 * u (u8..u64 and char), i (i8..i64) or f (f32 and f64, an f32 widened). */
union mr_value {
    uint64_t u;
    int64_t i;
    double f;
};

/* Bytes of one element of type t: 1, 2, 4 or 8; 0 for MR_TYPE_STRUCT (its
 * size is its layout's) and for a value outside the enum. Thread-safe. */
MR_API size_t mr_type_size(enum mr_type t);

/* The type's name as the layout spec writes it ("u8", "f64", "char"), or
 * "struct"; "?" for a value outside the enum. Static text. Thread-safe. */
MR_API const char *mr_type_name(enum mr_type t);

/* Read the value of type t in byte order o at byte off of r into *out (the
 * member named at union mr_value). 0, -ERANGE (does not fit in r) or -EINVAL
 * (t is MR_TYPE_STRUCT or not a type, o not an order); *out is untouched on
 * failure. Thread-safety: a plain read of r's memory. */
MR_API int mr_value_get(struct mr_region r, size_t off, enum mr_type t, enum mr_order o,
                        union mr_value *out);

/* Write v (the member for t) as type t in order o at byte off of r. An
 * integer outside t's range, or a finite f64 beyond FLT_MAX for an f32, is
 * -EOVERFLOW; an f32 is rounded to nearest. Also -EACCES (r read-only, which
 * wins), -ERANGE, -EINVAL as mr_value_get. Nothing is written on failure. */
MR_API int mr_value_set(struct mr_region r, size_t off, enum mr_type t, enum mr_order o,
                        union mr_value v);

/* ---- typed arrays -------------------------------------------------------------
 * Element i lies at byte i * stride of the array's region. The accessors
 * convert between the element's type and the caller's: a conversion to an
 * integer must be exact (a negative value read as u64, 1.5 or NaN read or
 * stored as an integer, 300 stored in a u8 are all -EOVERFLOW); a conversion
 * to a float rounds to nearest (a u64 read as f64 may lose low bits).
 * The fields are set by mr_array_init and mr_array_sub, and the other calls
 * rely on them: read them freely, change them never. */
struct mr_array {
    struct mr_region region; /* from element 0 to the end of the last one */
    enum mr_type type;
    enum mr_order order;     /* MR_ORDER_HOST for one-byte types */
    size_t size;             /* bytes of one element: mr_type_size(type) */
    size_t stride;           /* bytes from one element to the next, >= size */
    size_t count;
};

/* For mr_array_init: as many elements as fit in the region. */
#define MR_ARRAY_FIT SIZE_MAX

/* View count elements of type t in order o, stride bytes apart (0: packed,
 * the element's size), from the start of r. 0 and *a set, or -EINVAL (t is
 * MR_TYPE_STRUCT or not a type, o not an order, stride nonzero and smaller
 * than an element) or -ERANGE (the elements do not fit in r, also when the
 * arithmetic overflows); *a is untouched on failure. The caller keeps r's
 * memory alive; a read-only r gives a read-only array. */
MR_API int mr_array_init(struct mr_array *a, struct mr_region r, enum mr_type t, enum mr_order o,
                         size_t stride, size_t count);

/* The number of elements. */
MR_INLINE size_t mr_array_count(const struct mr_array *a) { return a->count; }

/* Element i as u64, i64 or f64 (see the conversion rules above): 0, -ERANGE
 * (i >= count) or -EOVERFLOW; *out is untouched on failure. */
MR_API int mr_array_get_u64(const struct mr_array *a, size_t i, uint64_t *out);
MR_API int mr_array_get_i64(const struct mr_array *a, size_t i, int64_t *out);
MR_API int mr_array_get_f64(const struct mr_array *a, size_t i, double *out);

/* Store v into element i: 0, -EACCES (read-only), -ERANGE (i >= count) or
 * -EOVERFLOW (v does not fit the element's type); nothing written on failure. */
MR_API int mr_array_set_u64(const struct mr_array *a, size_t i, uint64_t v);
MR_API int mr_array_set_i64(const struct mr_array *a, size_t i, int64_t v);
MR_API int mr_array_set_f64(const struct mr_array *a, size_t i, double v);

/* Elements first .. first + count - 1 of a, as an array with the same type,
 * order and stride sharing a's memory. 0, or -ERANGE when they are not all
 * inside a (then *out is untouched). */
MR_API int mr_array_sub(const struct mr_array *a, size_t first, size_t count,
                        struct mr_array *out);

/* Copy elements from index first into dst, a host-order C array of the
 * element's C type (uint8_t, uint16_t, ..., int64_t, float, double, char),
 * at most n of them. Returns the count copied (n, or fewer at the end of the
 * array), or -ERANGE when first > count. */
MR_API ssize_t mr_array_copy_out(const struct mr_array *a, size_t first, void *dst, size_t n);

/* Copy at most n elements from src, a host-order C array of the element's C
 * type, into a from index first, converting to a's byte order. Returns the
 * count copied, or -EACCES (read-only, nothing copied) or -ERANGE (first >
 * count). */
MR_API ssize_t mr_array_copy_in(const struct mr_array *a, size_t first, const void *src, size_t n);

/* ---- layouts --------------------------------------------------------------- */

#define MR_LAYOUT_MAX_DEPTH 16    /* levels, the outermost one included */
#define MR_LAYOUT_MAX_FIELDS 4096 /* fields per level */
#define MR_LAYOUT_MAX_NAME 63     /* bytes of a field name */

/* The field may overlap other fields (a union member, a view of the same
 * bytes as another type). A pair of fields may overlap if either has it. */
#define MR_FIELD_OVERLAP 0x1u

struct mr_layout;

/* One field. count 0 is a scalar, N > 0 an array of N elements. order is
 * ignored (and reads back as MR_ORDER_HOST) for one-byte types and structs.
 * nested is the layout of a MR_TYPE_STRUCT field, NULL for the others. */
struct mr_field {
    const char *name;
    enum mr_type type;
    enum mr_order order;
    size_t offset;
    size_t count;
    const struct mr_layout *nested;
    unsigned flags;
};

#define MR_LAYOUT_REASON_MAX 192

/* Why a layout was refused. pos is the byte offset in the text (parse) or the
 * field's index (create) where the problem is; reason says what it is, a
 * NUL-terminated sentence fragment such as "expected ':' after field name". */
struct mr_layout_error {
    size_t pos;
    char reason[MR_LAYOUT_REASON_MAX];
};

/* Make a layout of n fields and size bytes (0: the end of the field that ends
 * last). Every field must lie inside the size, fields may overlap only with
 * MR_FIELD_OVERLAP, names must be unique identifiers. Names and nested
 * layouts are copied: the caller keeps ownership of fields and of what it
 * points to. Memory comes from a (NULL: mr_heap()). 0 and *out set (free it
 * with mr_layout_destroy), or -EINVAL with *err filled (if err is not NULL)
 * or -ENOMEM (reason "out of memory"); *out is untouched on failure and
 * nothing is left allocated. */
MR_API int mr_layout_create(struct mr_allocator *a, const struct mr_field *fields, size_t n,
                            size_t size, struct mr_layout **out, struct mr_layout_error *err);

/* Make a layout from len bytes of spec text (see the grammar at the top; no
 * NUL needed, and a NUL byte is an error like any other). Returns as
 * mr_layout_create: 0, -EINVAL with err->pos the byte offset of the problem,
 * or -ENOMEM. The text is not referenced after the call. */
MR_API int mr_layout_parse(struct mr_allocator *a, const char *text, size_t len,
                           struct mr_layout **out, struct mr_layout_error *err);

/* Free a layout and its nested layouts, through the allocator it was made
 * with. NULL is a no-op. No field or object may use it afterwards. */
MR_API void mr_layout_destroy(struct mr_layout *l);

/* Bytes the layout covers. */
MR_API size_t mr_layout_size(const struct mr_layout *l);

/* Number of fields (of the outermost level). */
MR_API size_t mr_layout_field_count(const struct mr_layout *l);

/* Field i in the order given, or NULL when i >= the count. The field and its
 * name belong to the layout. */
MR_API const struct mr_field *mr_layout_field(const struct mr_layout *l, size_t i);

/* The index of the field called name, or -ENOENT. O(log n). */
MR_API ssize_t mr_layout_find(const struct mr_layout *l, const char *name);

/* Bytes of one field: its element size (a nested layout's size) times its
 * count (1 for a scalar). */
MR_API size_t mr_field_size(const struct mr_field *f);

/* Write l as spec text on one line, every field with its "@offset" and the
 * level's "size=" last, so that mr_layout_parse gives back the same layout.
 * 0, or -EIO when the stream reports an error (out is flushed). */
MR_API int mr_layout_print(const struct mr_layout *l, FILE *out);

/* ---- objects -----------------------------------------------------------------
 * A path names a value inside an object: field names joined by '.' to go
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
