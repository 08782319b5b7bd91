/* SPDX-License-Identifier: MIT */
/* memregion/sap.h: system-area pointers, the bottom layer.
 *
 * A SAP is a raw byte pointer. This header gives address arithmetic, typed
 * loads and stores at a signed byte offset, and atomics. Nothing here checks
 * bounds: that is the region layer's job (memregion/region.h). Everything is
 * inline and compiles to the plain instructions a hand-written access would
 * use: unaligned-safe loads are memcpy of a fixed size, which compilers turn
 * into a single mov on machines that allow unaligned access, and the byte-order
 * variants add one bswap only when the order differs from the host's.
 *
 * Loads and stores, for every T in
 *   u8 u16 u32 u64 i8 i16 i32 i64 f32 f64
 * in host order, little-endian (le) and big-endian (be):
 *   T    mr_load_T(const void *base, ptrdiff_t off);   mr_load_Tle, mr_load_Tbe
 *   void mr_store_T(void *base, ptrdiff_t off, T v);   mr_store_Tle, mr_store_Tbe
 * and for pointers (host order only; a pointer is meaningless in wire order):
 *   void *mr_load_ptr(const void *base, ptrdiff_t off);
 *   void  mr_store_ptr(void *base, ptrdiff_t off, void *v);
 * The type names of f32 and f64 are float and double. The address accessed
 * need not be aligned. Thread-safety: plain memory accesses, as in C.
 */
#ifndef MEMREGION_SAP_H
#define MEMREGION_SAP_H

#include <memregion/base.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

#if !defined(__BYTE_ORDER__) || !defined(__ORDER_LITTLE_ENDIAN__)
#error "memregion needs a compiler that defines __BYTE_ORDER__ (GCC or Clang)"
#endif
#define MR_HOST_LITTLE_ENDIAN (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__)

/* A byte order, for the layers that choose one at run time (views, I/O
 * buffers). MR_ORDER_HOST is whichever of the other two this machine uses. */
enum mr_order {
    MR_ORDER_HOST = 0,
    MR_ORDER_LE = 1,
    MR_ORDER_BE = 2,
};

/* ---- address arithmetic ---------------------------------------------------
 * Done on integers, so that pointers may point anywhere (not only inside one
 * C object) without undefined behaviour. */

/* The address of p as an integer (the byte offset from address 0). */
MR_INLINE uintptr_t mr_sap_to_int(const void *p) { return (uintptr_t)p; }
/* The pointer whose address is a. */
MR_INLINE void *mr_sap_from_int(uintptr_t a) { return (void *)a; }
/* p moved by a signed byte offset. The result is not const: a SAP is raw. */
MR_INLINE void *mr_sap_add(const void *p, ptrdiff_t off)
{
    return (void *)((uintptr_t)p + (uintptr_t)off);
}
/* a - b in bytes, signed. */
MR_INLINE ptrdiff_t mr_sap_diff(const void *a, const void *b)
{
    return (ptrdiff_t)((uintptr_t)a - (uintptr_t)b);
}
/* -1, 0 or 1 as address a is below, equal to or above address b. */
MR_INLINE int mr_sap_cmp(const void *a, const void *b)
{
    uintptr_t x = (uintptr_t)a, y = (uintptr_t)b;
    return (x > y) - (x < y);
}
MR_INLINE bool mr_sap_eq(const void *a, const void *b) { return (uintptr_t)a == (uintptr_t)b; }
MR_INLINE bool mr_sap_lt(const void *a, const void *b) { return (uintptr_t)a < (uintptr_t)b; }

/* ---- byte swaps ------------------------------------------------------------ */
MR_INLINE uint8_t mr_bswap8(uint8_t v) { return v; }
MR_INLINE uint16_t mr_bswap16(uint16_t v) { return __builtin_bswap16(v); }
MR_INLINE uint32_t mr_bswap32(uint32_t v) { return __builtin_bswap32(v); }
MR_INLINE uint64_t mr_bswap64(uint64_t v) { return __builtin_bswap64(v); }

#if MR_HOST_LITTLE_ENDIAN
#define MR__LE(bits, v) (v)
#define MR__BE(bits, v) mr_bswap##bits(v)
#else
#define MR__LE(bits, v) mr_bswap##bits(v)
#define MR__BE(bits, v) (v)
#endif

/* ---- loads and stores ------------------------------------------------------
 * MR__SAP_INT(name, type, utype, bits) defines, for an integer type, the host,
 * le and be loads and stores. The signed types go through the unsigned type of
 * the same width, so the byte swap never touches a sign bit. */
#define MR__SAP_INT(name, type, utype, bits)                                    \
    MR_INLINE type mr_load_##name(const void *base, ptrdiff_t off)             \
    {                                                                           \
        type v;                                                                 \
        memcpy(&v, (const unsigned char *)base + off, sizeof v);                \
        return v;                                                               \
    }                                                                           \
    MR_INLINE void mr_store_##name(void *base, ptrdiff_t off, type v)          \
    {                                                                           \
        memcpy((unsigned char *)base + off, &v, sizeof v);                      \
    }                                                                           \
    MR_INLINE type mr_load_##name##le(const void *base, ptrdiff_t off)         \
    {                                                                           \
        utype u;                                                                \
        memcpy(&u, (const unsigned char *)base + off, sizeof u);                \
        return (type)MR__LE(bits, u);                                           \
    }                                                                           \
    MR_INLINE type mr_load_##name##be(const void *base, ptrdiff_t off)         \
    {                                                                           \
        utype u;                                                                \
        memcpy(&u, (const unsigned char *)base + off, sizeof u);                \
        return (type)MR__BE(bits, u);                                           \
    }                                                                           \
    MR_INLINE void mr_store_##name##le(void *base, ptrdiff_t off, type v)      \
    {                                                                           \
        utype u = MR__LE(bits, (utype)v);                                       \
        memcpy((unsigned char *)base + off, &u, sizeof u);                      \
    }                                                                           \
    MR_INLINE void mr_store_##name##be(void *base, ptrdiff_t off, type v)      \
    {                                                                           \
        utype u = MR__BE(bits, (utype)v);                                       \
        memcpy((unsigned char *)base + off, &u, sizeof u);                      \
    }

MR__SAP_INT(u8, uint8_t, uint8_t, 8)
MR__SAP_INT(u16, uint16_t, uint16_t, 16)
MR__SAP_INT(u32, uint32_t, uint32_t, 32)
MR__SAP_INT(u64, uint64_t, uint64_t, 64)
MR__SAP_INT(i8, int8_t, uint8_t, 8)
MR__SAP_INT(i16, int16_t, uint16_t, 16)
MR__SAP_INT(i32, int32_t, uint32_t, 32)
MR__SAP_INT(i64, int64_t, uint64_t, 64)

/* Floats travel as the bit pattern of the unsigned integer of their width. */
#define MR__SAP_FLOAT(name, type, bits, sfx)                                    \
    MR_INLINE type mr_load_##name##sfx(const void *base, ptrdiff_t off)        \
    {                                                                           \
        uint##bits##_t u = mr_load_u##bits##sfx(base, off);                     \
        type v;                                                                 \
        memcpy(&v, &u, sizeof v);                                               \
        return v;                                                               \
    }                                                                           \
    MR_INLINE void mr_store_##name##sfx(void *base, ptrdiff_t off, type v)     \
    {                                                                           \
        uint##bits##_t u;                                                       \
        memcpy(&u, &v, sizeof u);                                               \
        mr_store_u##bits##sfx(base, off, u);                                    \
    }
MR_STATIC_ASSERT(sizeof(float) == 4 && sizeof(double) == 8, "IEEE 754 binary32/64 expected");
MR__SAP_FLOAT(f32, float, 32, )
MR__SAP_FLOAT(f32, float, 32, le)
MR__SAP_FLOAT(f32, float, 32, be)
MR__SAP_FLOAT(f64, double, 64, )
MR__SAP_FLOAT(f64, double, 64, le)
MR__SAP_FLOAT(f64, double, 64, be)

MR_INLINE void *mr_load_ptr(const void *base, ptrdiff_t off)
{
    void *v;
    memcpy(&v, (const unsigned char *)base + off, sizeof v);
    return v;
}
MR_INLINE void mr_store_ptr(void *base, ptrdiff_t off, void *v)
{
    memcpy((unsigned char *)base + off, &v, sizeof v);
}

/* ---- atomics ---------------------------------------------------------------
 * On a naturally aligned 32- or 64-bit word at base + off (misalignment is
 * undefined behaviour: the hardware may tear the access). Acquire loads pair
 * with release stores: everything written before a release store is visible
 * to the thread or process whose acquire load sees the stored value. Safe on
 * memory shared between processes. Thread-safe by definition. */
#define MR__SAP_ATOMIC(bits)                                                    \
    MR_INLINE uint##bits##_t mr_atomic_load_acq_u##bits(const void *base, ptrdiff_t off) \
    {                                                                           \
        return __atomic_load_n((const uint##bits##_t *)(const void *)((const unsigned char *)base + off), \
                               __ATOMIC_ACQUIRE);                               \
    }                                                                           \
    MR_INLINE uint##bits##_t mr_atomic_load_relaxed_u##bits(const void *base, ptrdiff_t off) \
    {                                                                           \
        return __atomic_load_n((const uint##bits##_t *)(const void *)((const unsigned char *)base + off), \
                               __ATOMIC_RELAXED);                               \
    }                                                                           \
    MR_INLINE void mr_atomic_store_rel_u##bits(void *base, ptrdiff_t off, uint##bits##_t v) \
    {                                                                           \
        __atomic_store_n((uint##bits##_t *)(void *)((unsigned char *)base + off), v, __ATOMIC_RELEASE); \
    }                                                                           \
    /* If the word equals *expected, store desired and return true; otherwise \
     * copy the word into *expected and return false. Acquire-release. */     \
    MR_INLINE bool mr_atomic_cas_u##bits(void *base, ptrdiff_t off,           \
                                         uint##bits##_t *expected, uint##bits##_t desired) \
    {                                                                           \
        return __atomic_compare_exchange_n((uint##bits##_t *)(void *)((unsigned char *)base + off), \
                                           expected, desired, false,           \
                                           __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE); \
    }                                                                           \
    /* Add v and return the value before the addition. Acquire-release. */    \
    MR_INLINE uint##bits##_t mr_atomic_fetch_add_u##bits(void *base, ptrdiff_t off, uint##bits##_t v) \
    {                                                                           \
        return __atomic_fetch_add((uint##bits##_t *)(void *)((unsigned char *)base + off), v, \
                                  __ATOMIC_ACQ_REL);                            \
    }

MR__SAP_ATOMIC(32)
MR__SAP_ATOMIC(64)

#ifdef __cplusplus
}
#endif

#endif
