/* SPDX-License-Identifier: MIT */
/* memregion/region.h: memory regions.
 *
 * A region is a pointer with a length. It does not own its memory: whoever
 * made the memory frees it, and a region must not be used after that. A
 * zero-length region is valid (its pointer may be NULL). Regions are small
 * values, passed and returned by value like slices.
 *
 * Every operation here is bounds-checked: an offset and length that reach
 * outside the region, or whose sum overflows, are refused with -ERANGE and
 * change nothing, including the output argument. A region can be read-only
 * (MR_REGION_RDONLY): every writing operation on it returns -EACCES instead of
 * writing, so memory that is mapped read-only is refused, never faulted on.
 *
 * Checked typed access, for every T and byte order of memregion/sap.h
 * (T = u8 u16 u32 u64 i8 i16 i32 i64 f32 f64 with suffix "", le or be, and ptr
 * in host order):
 *   int mr_region_get_T(struct mr_region r, size_t off, type *out);
 *   int mr_region_set_T(struct mr_region r, size_t off, type v);
 * get returns 0 or -ERANGE; set returns 0, -ERANGE or -EACCES (read-only
 * wins). They are inline: the check is a compare or two, and nothing at all
 * in a loop bounded by mr_region_fits (see there).
 *
 * Thread-safety: a region is a plain value; the memory behind it is shared as
 * the caller arranges.
 */
#ifndef MEMREGION_REGION_H
#define MEMREGION_REGION_H

#include <memregion/sap.h>
#include <stdio.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The region is read-only: writes through region functions are refused.
 * It is a flag beside the length, so reads cost nothing extra. A set tests
 * it; GCC at -O2 does not move that test out of a loop by itself, so a
 * writing loop that tests mr_region_is_ro once before it runs without it
 * (bench/bench_region: 7 instructions per store without, 6 with, 4 raw). */
#define MR_REGION_RDONLY 0x1u

struct mr_region {
    void *ptr;      /* first byte; NULL allowed only when len == 0 */
    size_t len;     /* length in bytes, at most PTRDIFF_MAX */
    unsigned flags; /* MR_REGION_RDONLY; other bits are reserved, zero */
};

/* A region over len bytes at ptr, writable. Unchecked: for a pointer and
 * length the caller knows to be right (see mr_region_init for untrusted ones). */
MR_INLINE struct mr_region mr_region_make(void *ptr, size_t len)
{
    struct mr_region r = { ptr, len, 0 };
    return r;
}

/* A read-only region over len bytes at ptr. Unchecked, like mr_region_make. */
MR_INLINE struct mr_region mr_region_make_ro(const void *ptr, size_t len)
{
    struct mr_region r = { (void *)(uintptr_t)ptr, len, MR_REGION_RDONLY };
    return r;
}

#if defined(__cplusplus) && __cplusplus >= 201103L
/* C++ has no __builtin_types_compatible_p and no types defined inside
 * sizeof: the declared type of arr is checked by a template, whose static
 * assertion fires when sizeof needs the class complete. A namespace, as C++
 * reserves names holding "__" (the C side's mr__ prefix). */
extern "C++" {
namespace mr_detail {
template <typename T> struct is_array { enum { value = 0 }; };
template <typename T, size_t N> struct is_array<T[N]> { enum { value = 1 }; };
template <typename T> struct is_array<T &> : is_array<T> {};
template <typename T> struct is_array<T &&> : is_array<T> {};
template <bool IsArray> struct array_check {
    MR_STATIC_ASSERT(IsArray, "MR_REGION_OF_ARRAY needs an array, not a pointer");
};
}
}
#define MR__ARRAY_CHECK(arr)                                                    \
    sizeof(::mr_detail::array_check< ::mr_detail::is_array<decltype(arr)>::value != 0>)
#elif !defined(__cplusplus) && (defined(__GNUC__) || defined(__clang__)) &&   \
    defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
#define MR__ARRAY_CHECK(arr)                                                    \
    sizeof(struct {                                                             \
        _Static_assert(!__builtin_types_compatible_p(__typeof__(arr), __typeof__(&(arr)[0])), \
                       "MR_REGION_OF_ARRAY needs an array, not a pointer");     \
        int mr__dummy;                                                          \
    })
#elif !defined(__cplusplus) && (defined(__GNUC__) || defined(__clang__))
/* C99: no _Static_assert inside a struct (glibc turns it into a declaration
 * there), so the refusal is a bit-field of negative width named after it. */
#define MR__ARRAY_CHECK(arr)                                                    \
    sizeof(struct {                                                             \
        int MR_REGION_OF_ARRAY_needs_an_array_not_a_pointer :                   \
            __builtin_types_compatible_p(__typeof__(arr), __typeof__(&(arr)[0])) ? -1 : 1; \
    })
#else
#define MR__ARRAY_CHECK(arr) 0
#endif

/* The region covering one object or a whole array: MR_REGION_OF(hdr),
 * MR_REGION_OF(buf). MR_REGION_OF_ARRAY refuses, at compile time, a pointer
 * passed where an array was meant (sizeof would give the pointer's size). */
#define MR_REGION_OF(obj) mr_region_make((void *)&(obj), sizeof(obj))
#define MR_REGION_OF_ARRAY(arr) mr_region_make((void *)(arr), sizeof(arr) + 0 * MR__ARRAY_CHECK(arr))

/* Checked constructor: 0 and *out set, or -EINVAL (NULL pointer with a
 * nonzero length, unknown flag bits) or -ERANGE (len above PTRDIFF_MAX, or
 * ptr + len wraps the address space). *out is untouched on failure. */
MR_API int mr_region_init(struct mr_region *out, void *ptr, size_t len, unsigned flags);

/* The same region, read-only. */
MR_INLINE struct mr_region mr_region_ro(struct mr_region r)
{
    r.flags |= MR_REGION_RDONLY;
    return r;
}

MR_INLINE bool mr_region_is_ro(struct mr_region r) { return (r.flags & MR_REGION_RDONLY) != 0; }

/* off and n lie inside r: off + n <= r.len, without overflow.
 * Written so that n <= r.len is loop-invariant for a fixed n, and so that a
 * loop bounded by this same test needs no check inside: the compiler sees
 * that mr_region_get_u32le(r, off, &v) cannot fail in
 *     for (size_t off = 0; mr_region_fits(r, off, 4); off += 4)
 * and drops its check (bench/bench_region measures this: the loop costs what
 * a raw-pointer loop costs). */
MR_INLINE bool mr_region_fits(struct mr_region r, size_t off, size_t n)
{
    return n <= r.len && off <= r.len - n;
}

/* The len bytes at off, sharing r's memory and read-only flag. 0, or -ERANGE
 * when they do not fit (then *out is untouched). */
MR_INLINE int mr_region_sub(struct mr_region r, size_t off, size_t len, struct mr_region *out)
{
    if (!mr_region_fits(r, off, len))
        return -ERANGE;
    /* r.ptr is NULL only in an empty region, where off is 0: NULL + 0 is
     * still undefined in C, so it is kept apart. */
    out->ptr = r.ptr ? (unsigned char *)r.ptr + off : NULL;
    out->len = len;
    out->flags = r.flags;
    return 0;
}

/* The bytes from off to the end of r. 0, or -ERANGE when off > r.len. */
MR_INLINE int mr_region_tail(struct mr_region r, size_t off, struct mr_region *out)
{
    if (off > r.len)
        return -ERANGE;
    return mr_region_sub(r, off, r.len - off, out);
}

/* ---- checked typed access --------------------------------------------------*/
#define MR__REGION_ACCESS(name, type)                                           \
    MR_INLINE int mr_region_get_##name(struct mr_region r, size_t off, type *out) \
    {                                                                           \
        if (MR_UNLIKELY(!mr_region_fits(r, off, sizeof(type))))                \
            return -ERANGE;                                                     \
        *out = mr_load_##name(r.ptr, (ptrdiff_t)off);                           \
        return 0;                                                               \
    }                                                                           \
    MR_INLINE int mr_region_set_##name(struct mr_region r, size_t off, type v) \
    {                                                                           \
        if (MR_UNLIKELY(r.flags & MR_REGION_RDONLY))                            \
            return -EACCES;                                                     \
        if (MR_UNLIKELY(!mr_region_fits(r, off, sizeof(type))))                \
            return -ERANGE;                                                     \
        mr_store_##name(r.ptr, (ptrdiff_t)off, v);                              \
        return 0;                                                               \
    }
#define MR__REGION_ACCESS3(name, type)                                          \
    MR__REGION_ACCESS(name, type)                                               \
    MR__REGION_ACCESS(name##le, type)                                           \
    MR__REGION_ACCESS(name##be, type)

MR__REGION_ACCESS3(u8, uint8_t)
MR__REGION_ACCESS3(u16, uint16_t)
MR__REGION_ACCESS3(u32, uint32_t)
MR__REGION_ACCESS3(u64, uint64_t)
MR__REGION_ACCESS3(i8, int8_t)
MR__REGION_ACCESS3(i16, int16_t)
MR__REGION_ACCESS3(i32, int32_t)
MR__REGION_ACCESS3(i64, int64_t)
MR__REGION_ACCESS3(f32, float)
MR__REGION_ACCESS3(f64, double)
MR__REGION_ACCESS(ptr, void *)

/* ---- whole-region operations ---------------------------------------------- */

/* Set every byte of r to byte. 0, or -EACCES if r is read-only. */
MR_API int mr_region_fill(struct mr_region r, uint8_t byte);

/* Set every byte of r to zero. 0, or -EACCES if r is read-only. */
MR_API int mr_region_clear(struct mr_region r);

/* Copy min(dst.len, src.len) bytes from the start of src to the start of dst;
 * the two may overlap. Returns the count copied, or -EACCES if dst is
 * read-only (even when the count would be 0). */
MR_API ssize_t mr_region_copy(struct mr_region dst, struct mr_region src);

/* Copy all of src to the start of dst, or nothing: returns src.len, -ERANGE
 * when dst is shorter than src, or -EACCES if dst is read-only. Overlap is
 * allowed. */
MR_API ssize_t mr_region_copy_all(struct mr_region dst, struct mr_region src);

/* Compare byte by byte, then by length (a prefix sorts first): <0, 0 or >0. */
MR_API int mr_region_cmp(struct mr_region a, struct mr_region b);

/* Same length and same bytes. */
MR_API bool mr_region_equal(struct mr_region a, struct mr_region b);

/* Offset of the first occurrence of needle in hay, or -ENOENT. An empty
 * needle is found at offset 0. */
MR_API ssize_t mr_region_find(struct mr_region hay, struct mr_region needle);

/* Write r to out as `xxd` does: lines of "%08x: " (offset + base), sixteen
 * bytes as eight groups of four hex digits, two spaces, and the bytes as text
 * with '.' for anything outside printable ASCII. An empty region writes
 * nothing. 0, or -EIO if the stream reports a write error. */
MR_API int mr_region_hexdump(struct mr_region r, FILE *out, size_t base);

#ifdef __cplusplus
}
#endif

#endif
