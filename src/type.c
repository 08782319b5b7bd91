/* SPDX-License-Identifier: MIT */
/* src/type.c: the table of element types: sizes, names, and the names'
 * parser and formatter that the layout spec and the memregion program
 * share. */
#include "type_internal.h"

#include <string.h>

static const struct {
    const char *name;
    size_t size;
} type_info[] = {
    [MR_TYPE_U8] = { "u8", 1 },     [MR_TYPE_U16] = { "u16", 2 },
    [MR_TYPE_U32] = { "u32", 4 },   [MR_TYPE_U64] = { "u64", 8 },
    [MR_TYPE_I8] = { "i8", 1 },     [MR_TYPE_I16] = { "i16", 2 },
    [MR_TYPE_I32] = { "i32", 4 },   [MR_TYPE_I64] = { "i64", 8 },
    [MR_TYPE_F32] = { "f32", 4 },   [MR_TYPE_F64] = { "f64", 8 },
    [MR_TYPE_CHAR] = { "char", 1 }, [MR_TYPE_STRUCT] = { "struct", 0 },
};

static bool type_is_valid(enum mr_type t) { return (unsigned)t <= (unsigned)MR_TYPE_STRUCT; }

size_t mr_type_size(enum mr_type t)
{
    return type_is_valid(t) ? type_info[t].size : 0;
}

const char *mr_type_name(enum mr_type t)
{
    return type_is_valid(t) ? type_info[t].name : "?";
}

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
    if (!type_is_valid(t) || !mr__order_is_valid(o))
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
