/* SPDX-License-Identifier: MIT */
/* memregion/value.h: typed values at an offset chosen at run time (a type
 * and a byte order), built on the checked access of memregion/region.h; and
 * their text: a value as a number, char bytes as a quoted string, in the
 * forms the object printer and the memregion program write (plain or JSON).
 *
 * Every access is bounds-checked (-ERANGE), every write refuses a read-only
 * region (-EACCES), and a value that does not fit its destination is refused
 * (-EOVERFLOW) with nothing written.
 */
#ifndef MEMREGION_VALUE_H
#define MEMREGION_VALUE_H

#include <memregion/region.h>
#include <memregion/type.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A value of any element type. Which member holds it follows the type:
 * u (u8..u64 and char), i (i8..i64) or f (f32 and f64, an f32 widened). */
union mr_value {
    uint64_t u;
    int64_t i;
    double f;
};

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

/* ---- text ----------------------------------------------------------------------
 * Flags for mr_value_format and mr_value_print_str. */

/* JSON: NaN and the infinities are written as null; string bytes outside
 * printable ASCII as \u00XX. */
#define MR_VALUE_FMT_JSON 0x1u
/* Floats with at least the digits their type always keeps (FLT_DIG, 6, for
 * an f32; DBL_DIG, 15, for an f64), more only where needed to read back
 * exactly: 100 is "100" and 0.1 is "0.1". Without it, the fewest digits
 * that read back, in %g form: 100 is "1e+02". */
#define MR_VALUE_FMT_DIG 0x2u

/* Bytes mr_value_format writes at most, the NUL included. */
#define MR_VALUE_TEXT_MAX 32

/* Write the value v (the member for type t) as text into buf: integers (and
 * char, as its code) in decimal; floats the shortest %g text that reads back
 * as the same value (as an f32 for MR_TYPE_F32), with '.' as the decimal
 * point whatever the locale, or nan, inf, -inf (null with
 * MR_VALUE_FMT_JSON). Returns the length without the NUL, or -EINVAL (t is
 * MR_TYPE_STRUCT or not a type, unknown flags) or -EOVERFLOW (size cannot
 * hold the text and its NUL; MR_VALUE_TEXT_MAX always can); buf is untouched
 * on failure. Thread-safe. */
MR_API int mr_value_format(enum mr_type t, union mr_value v, unsigned flags, char *buf,
                           size_t size);

/* Write the n bytes at s to out as a double-quoted string: \" \\ \n \r \t,
 * printable ASCII as it is, and every other byte (NUL too) as \x and two hex
 * digits, or with MR_VALUE_FMT_JSON as \u00XX (read as Latin-1), so that the
 * JSON form is ASCII and always valid JSON. 0, -EINVAL (unknown flags, or s
 * NULL with n > 0) or -EIO (the stream reports an error; it is not
 * flushed). Thread-safety: as the stream's. */
MR_API int mr_value_print_str(FILE *out, const void *s, size_t n, unsigned flags);

#ifdef __cplusplus
}
#endif

#endif
