/* SPDX-License-Identifier: MIT */
/* test/value_test.h: what test_value.c and test_array.c share (static: each
 * test is one program): every scalar type and byte order, a seeded random
 * generator, and the value the sap layer reads, the reference the typed
 * accessors are checked against. */
#ifndef MEMREGION_TEST_VALUE_TEST_H
#define MEMREGION_TEST_VALUE_TEST_H

#include "helpers.h"

static const enum mr_type mr_test_value_types[] = {
    MR_TYPE_U8,  MR_TYPE_U16, MR_TYPE_U32, MR_TYPE_U64, MR_TYPE_I8,  MR_TYPE_I16,
    MR_TYPE_I32, MR_TYPE_I64, MR_TYPE_F32, MR_TYPE_F64, MR_TYPE_CHAR,
};
static const enum mr_order mr_test_value_orders[] = { MR_ORDER_HOST, MR_ORDER_LE, MR_ORDER_BE };

/* The state of a small deterministic generator (mr_test_rand), so that
 * failures reproduce. */
static uint64_t mr_test_value_rng = 0x9e3779b97f4a7c15u;

/* What the sap layer reads at p as type t in order o, as a union mr_value. */
static inline union mr_value mr_test_value_sap_read(const void *p, enum mr_type t, enum mr_order o)
{
    union mr_value v = { 0 };
    bool le = o == MR_ORDER_LE, be = o == MR_ORDER_BE;
#define RD(name, member)                                                        \
    v.member = le ? mr_load_##name##le(p, 0) : be ? mr_load_##name##be(p, 0) : mr_load_##name(p, 0)
    switch (t) {
    case MR_TYPE_U8:
    case MR_TYPE_CHAR:
        v.u = mr_load_u8(p, 0);
        break;
    case MR_TYPE_U16:
        RD(u16, u);
        break;
    case MR_TYPE_U32:
        RD(u32, u);
        break;
    case MR_TYPE_U64:
        RD(u64, u);
        break;
    case MR_TYPE_I8:
        v.i = mr_load_i8(p, 0);
        break;
    case MR_TYPE_I16:
        RD(i16, i);
        break;
    case MR_TYPE_I32:
        RD(i32, i);
        break;
    case MR_TYPE_I64:
        RD(i64, i);
        break;
    case MR_TYPE_F32:
        RD(f32, f);
        break;
    case MR_TYPE_F64:
        RD(f64, f);
        break;
    default:
        break;
    }
#undef RD
    return v;
}

#endif
