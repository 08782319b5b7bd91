/* SPDX-License-Identifier: MIT */
/* src/value.c: typed values at an offset, and the text of values and
 * strings that the object printer and the memregion program share. */
#include "internal.h"

#include <memregion/value.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The enum's underlying type is the compiler's choice: comparing as unsigned
 * refuses negative values too. mr_type_size is 0 for MR_TYPE_STRUCT and
 * for values outside the enum. */
static bool type_order_ok(enum mr_type t, enum mr_order o)
{
    return mr_type_size(t) != 0 && (unsigned)o <= (unsigned)MR_ORDER_BE;
}

#define VALUE_GET(name, ctype, member)                                          \
    do {                                                                        \
        ctype v_;                                                               \
        int rc_ = o == MR_ORDER_LE   ? mr_region_get_##name##le(r, off, &v_)    \
                  : o == MR_ORDER_BE ? mr_region_get_##name##be(r, off, &v_)    \
                                     : mr_region_get_##name(r, off, &v_);       \
        if (rc_ < 0)                                                            \
            return rc_;                                                         \
        out->member = v_;                                                       \
        return 0;                                                               \
    } while (0)

int mr_value_get(struct mr_region r, size_t off, enum mr_type t, enum mr_order o,
                 union mr_value *out)
{
    if (!type_order_ok(t, o))
        return -EINVAL;
    switch (t) {
    case MR_TYPE_U8:
    case MR_TYPE_CHAR:
        VALUE_GET(u8, uint8_t, u);
    case MR_TYPE_U16:
        VALUE_GET(u16, uint16_t, u);
    case MR_TYPE_U32:
        VALUE_GET(u32, uint32_t, u);
    case MR_TYPE_U64:
        VALUE_GET(u64, uint64_t, u);
    case MR_TYPE_I8:
        VALUE_GET(i8, int8_t, i);
    case MR_TYPE_I16:
        VALUE_GET(i16, int16_t, i);
    case MR_TYPE_I32:
        VALUE_GET(i32, int32_t, i);
    case MR_TYPE_I64:
        VALUE_GET(i64, int64_t, i);
    case MR_TYPE_F32:
        VALUE_GET(f32, float, f);
    case MR_TYPE_F64:
        VALUE_GET(f64, double, f);
    default:
        return -EINVAL;
    }
}

/* The bounds and the read-only flag were checked by the caller, so the
 * region's own checks cannot fail here. */
#define VALUE_SET(name, ctype, expr)                                            \
    do {                                                                        \
        ctype v_ = (ctype)(expr);                                               \
        if (o == MR_ORDER_LE)                                                   \
            (void)mr_region_set_##name##le(r, off, v_);                         \
        else if (o == MR_ORDER_BE)                                              \
            (void)mr_region_set_##name##be(r, off, v_);                         \
        else                                                                    \
            (void)mr_region_set_##name(r, off, v_);                             \
        return 0;                                                               \
    } while (0)

static bool u_fits(uint64_t v, uint64_t max) { return v <= max; }
static bool i_fits(int64_t v, int64_t min, int64_t max) { return v >= min && v <= max; }

int mr_value_set(struct mr_region r, size_t off, enum mr_type t, enum mr_order o,
                 union mr_value v)
{
    if (!type_order_ok(t, o))
        return -EINVAL;
    if (r.flags & MR_REGION_RDONLY)
        return -EACCES;
    if (!mr_region_fits(r, off, mr_type_size(t)))
        return -ERANGE;
    switch (t) {
    case MR_TYPE_U8:
    case MR_TYPE_CHAR:
        if (!u_fits(v.u, UINT8_MAX))
            return -EOVERFLOW;
        VALUE_SET(u8, uint8_t, v.u);
    case MR_TYPE_U16:
        if (!u_fits(v.u, UINT16_MAX))
            return -EOVERFLOW;
        VALUE_SET(u16, uint16_t, v.u);
    case MR_TYPE_U32:
        if (!u_fits(v.u, UINT32_MAX))
            return -EOVERFLOW;
        VALUE_SET(u32, uint32_t, v.u);
    case MR_TYPE_U64:
        VALUE_SET(u64, uint64_t, v.u);
    case MR_TYPE_I8:
        if (!i_fits(v.i, INT8_MIN, INT8_MAX))
            return -EOVERFLOW;
        VALUE_SET(i8, int8_t, v.i);
    case MR_TYPE_I16:
        if (!i_fits(v.i, INT16_MIN, INT16_MAX))
            return -EOVERFLOW;
        VALUE_SET(i16, int16_t, v.i);
    case MR_TYPE_I32:
        if (!i_fits(v.i, INT32_MIN, INT32_MAX))
            return -EOVERFLOW;
        VALUE_SET(i32, int32_t, v.i);
    case MR_TYPE_I64:
        VALUE_SET(i64, int64_t, v.i);
    case MR_TYPE_F32:
        /* Converting a finite double beyond the float range is undefined
         * behaviour in ISO C; NaN and the infinities convert exactly. */
        if (isfinite(v.f) && (v.f > FLT_MAX || v.f < -FLT_MAX))
            return -EOVERFLOW;
        VALUE_SET(f32, float, v.f);
    case MR_TYPE_F64:
        VALUE_SET(f64, double, v.f);
    default:
        return -EINVAL;
    }
}

/* ---- text ------------------------------------------------------------------- */

#define FMT_FLAGS (MR_VALUE_FMT_JSON | MR_VALUE_FMT_DIG)

/* The shortest %g text that reads back as the same value (as a float for an
 * f32), so that 0.1 prints as 0.1 and not 0.10000000000000001. */
static void format_float(char *buf, size_t cap, double d, bool single, unsigned flags)
{
    if (!isfinite(d)) {
        snprintf(buf, cap, "%s", (flags & MR_VALUE_FMT_JSON) ? "null" : isnan(d) ? "nan"
                                                              : d < 0      ? "-inf"
                                                                           : "inf");
        return;
    }
    int prec = !(flags & MR_VALUE_FMT_DIG) ? 1 : single ? FLT_DIG : DBL_DIG;
    for (; prec <= 17; prec++) {
        snprintf(buf, cap, "%.*g", prec, d);
        if (single ? strtof(buf, NULL) == (float)d : strtod(buf, NULL) == d)
            break;
    }
    /* Under a locale whose decimal point is a comma, printf and strtod agree
     * with each other but not with JSON or the spec syntax. */
    for (char *c = buf; *c; c++)
        if (*c == ',')
            *c = '.';
}

int mr_value_format(enum mr_type t, union mr_value v, unsigned flags, char *buf, size_t size)
{
    char text[MR_VALUE_TEXT_MAX];

    if (mr_type_size(t) == 0 || (flags & ~FMT_FLAGS))
        return -EINVAL;
    if (mr_type_is_float(t))
        format_float(text, sizeof text, v.f, t == MR_TYPE_F32, flags);
    else if (mr_type_is_signed(t))
        snprintf(text, sizeof text, "%" PRId64, v.i);
    else
        snprintf(text, sizeof text, "%" PRIu64, v.u);
    size_t len = strlen(text);
    if (buf == NULL || len >= size)
        return -EOVERFLOW;
    memcpy(buf, text, len + 1);
    return (int)len;
}

int mr_value_print_str(FILE *out, const void *s, size_t n, unsigned flags)
{
    const unsigned char *p = s;

    if ((flags & ~FMT_FLAGS) || (p == NULL && n > 0))
        return -EINVAL;
    fputc('"', out);
    for (size_t i = 0; i < n; i++) {
        unsigned c = p[i];
        switch (c) {
        case '"':
            fputs("\\\"", out);
            break;
        case '\\':
            fputs("\\\\", out);
            break;
        case '\n':
            fputs("\\n", out);
            break;
        case '\r':
            fputs("\\r", out);
            break;
        case '\t':
            fputs("\\t", out);
            break;
        default:
            if (c >= 0x20 && c < 0x7f)
                fputc((int)c, out);
            else if (flags & MR_VALUE_FMT_JSON)
                fprintf(out, "\\u%04x", c);
            else
                fprintf(out, "\\x%02x", c);
            break;
        }
    }
    fputc('"', out);
    return ferror(out) ? -EIO : 0;
}
