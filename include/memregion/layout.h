/* SPDX-License-Identifier: MIT */
/* memregion/layout.h: struct layouts: named fields at offsets, checked once
 * to fit, written as C arrays or as text.
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
 * The element types are those of memregion/type.h, and mr_type_parse reads
 * them. A type without "le" or "be" is in host order. "[N]" makes an array of N > 0
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
 * Thread-safety: a layout never changes once made, so threads may use one
 * layout at the same time; destroying it needs all of them to be done.
 */
#ifndef MEMREGION_LAYOUT_H
#define MEMREGION_LAYOUT_H

#include <memregion/alloc.h>
#include <memregion/type.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

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

#ifdef __cplusplus
}
#endif

#endif
