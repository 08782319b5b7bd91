/* SPDX-License-Identifier: MIT */
/* src/type_internal.h: checks and classes of element types that the value,
 * array and layout code share (src/type.c holds the table). */
#ifndef MEMREGION_TYPE_INTERNAL_H
#define MEMREGION_TYPE_INTERNAL_H

#include "internal.h"

#include <memregion/type.h>

/* The enum's underlying type is the compiler's choice: comparing as unsigned
 * refuses negative values too. */
static inline bool mr__type_is_scalar(enum mr_type t)
{
    return (unsigned)t < (unsigned)MR_TYPE_STRUCT;
}

static inline bool mr__order_is_valid(enum mr_order o)
{
    return (unsigned)o <= (unsigned)MR_ORDER_BE;
}

/* Which member of union mr_value holds a value of the type. */
enum mr__kind { MR__KIND_U, MR__KIND_I, MR__KIND_F };

static inline enum mr__kind mr__type_kind(enum mr_type t)
{
    switch (t) {
    case MR_TYPE_I8:
    case MR_TYPE_I16:
    case MR_TYPE_I32:
    case MR_TYPE_I64:
        return MR__KIND_I;
    case MR_TYPE_F32:
    case MR_TYPE_F64:
        return MR__KIND_F;
    default:
        return MR__KIND_U;
    }
}

#endif
