/* SPDX-License-Identifier: MIT */
/* memregion/type.h: element types: what a typed value, an array element or
 * a layout field is (a type and a byte order), their sizes, and their names
 * as the layout spec writes them ("u8", "u32le", "f64be", "char"), parsed
 * and written by the same table the layout spec parser uses.
 *
 * Thread-safety: every function here is pure and thread-safe.
 */
#ifndef MEMREGION_TYPE_H
#define MEMREGION_TYPE_H

#include <memregion/sap.h>

#ifdef __cplusplus
extern "C" {
#endif

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

/* Bytes of one element of type t: 1, 2, 4 or 8; 0 for MR_TYPE_STRUCT (its
 * size is its layout's) and for a value outside the enum. Thread-safe. */
MR_API size_t mr_type_size(enum mr_type t);

/* The type's name as the layout spec writes it ("u8", "f64", "char"), or
 * "struct"; "?" for a value outside the enum. Static text. Thread-safe. */
MR_API const char *mr_type_name(enum mr_type t);

/* Which member of union mr_value (memregion/value.h) holds a value of type
 * t: i for the signed integers i8..i64 (mr_type_is_signed), f for f32 and
 * f64 (mr_type_is_float), u for the others (u8..u64 and char). Both are
 * false for MR_TYPE_STRUCT and a value outside the enum. Thread-safe. */
MR_API bool mr_type_is_signed(enum mr_type t);
MR_API bool mr_type_is_float(enum mr_type t);

/* Parse an element type as the layout spec writes it: u8, i8 or char, or
 * u16 u32 u64 i16 i32 i64 f32 f64 with an optional "le" or "be" (without
 * one, MR_ORDER_HOST). The type is all len bytes of text (no NUL needed):
 * "u32le" is a type, "u32le " and "u8le" are not, nor is "struct". 0 and
 * *t, *o set, or -EINVAL with *t and *o untouched. Thread-safe. */
MR_API int mr_type_parse(const char *text, size_t len, enum mr_type *t, enum mr_order *o);

/* Bytes mr_type_format writes at most, the NUL included ("struct"). */
#define MR_TYPE_NAME_MAX 8

/* Write the name of type t in order o into buf, as mr_type_parse reads it:
 * mr_type_name(t) and "le" or "be" for MR_ORDER_LE or MR_ORDER_BE; none for
 * MR_ORDER_HOST, one-byte types and MR_TYPE_STRUCT ("u32le", "u8", "f64").
 * Returns the length without the NUL, or -EINVAL (t or o outside its enum)
 * or -EOVERFLOW (size cannot hold the name and its NUL); buf is untouched on
 * failure. Thread-safe. */
MR_API int mr_type_format(enum mr_type t, enum mr_order o, char *buf, size_t size);

#ifdef __cplusplus
}
#endif

#endif
