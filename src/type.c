/* SPDX-License-Identifier: MIT */
/* src/type.c: the table of element types: sizes, names, and the names'
 * parser and formatter that the layout spec and the memregion program
 * share. */
#include "internal.h"

#include <memregion/type.h>
#include <string.h>

/* kind: which member of union mr_value holds the type's values. */
static const struct {
    const char *name;
    size_t size;
    char kind;
} type_info[] = {
    [MR_TYPE_U8] = { "u8", 1, 'u' },     [MR_TYPE_U16] = { "u16", 2, 'u' },
    [MR_TYPE_U32] = { "u32", 4, 'u' },   [MR_TYPE_U64] = { "u64", 8, 'u' },
    [MR_TYPE_I8] = { "i8", 1, 'i' },     [MR_TYPE_I16] = { "i16", 2, 'i' },
    [MR_TYPE_I32] = { "i32", 4, 'i' },   [MR_TYPE_I64] = { "i64", 8, 'i' },
    [MR_TYPE_F32] = { "f32", 4, 'f' },   [MR_TYPE_F64] = { "f64", 8, 'f' },
    [MR_TYPE_CHAR] = { "char", 1, 'u' }, [MR_TYPE_STRUCT] = { "struct", 0, 0 },
};

/* The enum's underlying type is the compiler's choice: comparing as unsigned
 * refuses negative values too. */
static bool type_is_valid(enum mr_type t) { return (unsigned)t <= (unsigned)MR_TYPE_STRUCT; }

size_t mr_type_size(enum mr_type t)
{
    return type_is_valid(t) ? type_info[t].size : 0;
}

const char *mr_type_name(enum mr_type t)
{
    return type_is_valid(t) ? type_info[t].name : "?";
}

bool mr_type_is_signed(enum mr_type t) { return type_is_valid(t) && type_info[t].kind == 'i'; }
bool mr_type_is_float(enum mr_type t) { return type_is_valid(t) && type_info[t].kind == 'f'; }

int mr_type_parse(const char *text, size_t len, enum mr_type *t, enum mr_order *o)
{
    if (text == NULL || t == NULL || o == NULL)
        return -EINVAL;
    for (unsigned i = 0; i < (unsigned)MR_TYPE_STRUCT; i++) {
        size_t nl = strlen(type_info[i].name);
        if (len < nl || memcmp(text, type_info[i].name, nl) != 0)
            continue;
        if (len == nl) {
            *t = (enum mr_type)i;
            *o = MR_ORDER_HOST;
            return 0;
        }
        /* "u8le" is not a type: one byte has no order. */
        if (len != nl + 2 || type_info[i].size == 1)
            continue;
        if (memcmp(text + nl, "le", 2) != 0 && memcmp(text + nl, "be", 2) != 0)
            continue;
        *t = (enum mr_type)i;
        *o = text[nl] == 'l' ? MR_ORDER_LE : MR_ORDER_BE;
        return 0;
    }
    return -EINVAL;
}

int mr_type_format(enum mr_type t, enum mr_order o, char *buf, size_t size)
{
    if (!type_is_valid(t) || (unsigned)o > (unsigned)MR_ORDER_BE)
        return -EINVAL;
    const char *suffix = type_info[t].size <= 1 || o == MR_ORDER_HOST ? ""
                         : o == MR_ORDER_LE                          ? "le"
                                                                     : "be";
    size_t nl = strlen(type_info[t].name), sl = strlen(suffix);
    if (buf == NULL || nl + sl >= size)
        return -EOVERFLOW;
    memcpy(buf, type_info[t].name, nl);
    memcpy(buf + nl, suffix, sl + 1);
    return (int)(nl + sl);
}
