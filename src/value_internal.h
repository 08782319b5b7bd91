/* SPDX-License-Identifier: MIT */
/* src/value_internal.h: the conversions between a union mr_value of one kind
 * and a u64, i64 or f64, which the array accessors apply (src/value.c). */
#ifndef MEMREGION_VALUE_INTERNAL_H
#define MEMREGION_VALUE_INTERNAL_H

#include "type_internal.h"

#include <memregion/value.h>

/* v, of kind k, as the target type: 0, or -EOVERFLOW when it is not exactly
 * representable (a negative or fractional value, NaN, out of range); *out is
 * untouched on failure. To f64 always succeeds and rounds to nearest. */
int mr__value_to_u64(enum mr__kind k, union mr_value v, uint64_t *out);
int mr__value_to_i64(enum mr__kind k, union mr_value v, int64_t *out);
double mr__value_to_f64(enum mr__kind k, union mr_value v);

#endif
