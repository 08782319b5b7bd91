/* SPDX-License-Identifier: MIT */
/* memregion/iobuf.h: buffers for direct I/O.
 *
 * Three parts:
 *   - iobufs: aligned buffers (a power of two up to the page size), zeroed
 *     or not as asked, freed explicitly, and a process-wide registry that
 *     answers whether a pointer lies in a live iobuf (mr_iobuf_find);
 *   - stages: prepare and commit by direction. Given the caller's memory and
 *     the alignment an I/O needs (O_DIRECT: the logical block size, for the
 *     address and the length), a stage hands out either that memory itself,
 *     when it already fits, or an aligned staging block, copying the caller's
 *     bytes in before the I/O (MR_IO_OUT, MR_IO_INOUT) and back after it
 *     (MR_IO_IN, MR_IO_INOUT);
 *   - conversion: arrays of 16-, 32- and 64-bit elements in host order to
 *     wire-order bytes in a region (little- or big-endian) and back, at close
 *     to memcpy speed (SIMD byte shuffles where the CPU has them).
 *
 *   struct mr_io_stage st;
 *   int rc = mr_io_stage_prepare(&st, mr_region_make(data, len), 4096, MR_IO_IN, NULL);
 *   if (rc < 0) ...
 *   ssize_t n = pread(fd, st.io.ptr, st.io.len, off);   (fd opened with O_DIRECT)
 *   if (n < 0) mr_io_stage_abort(&st); else n = mr_io_stage_commit(&st, (size_t)n);
 *
 * Thread-safety is stated per function.
 */
#ifndef MEMREGION_IOBUF_H
#define MEMREGION_IOBUF_H

#include <memregion/alloc.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- iobufs ----------------------------------------------------------------
 * Every live iobuf is recorded in one process-wide registry, a list sorted by
 * address under a mutex. Its node is a separate block from the same allocator
 * (so an overrun of the buffer cannot corrupt it). Cost: alloc, free and find
 * each take the mutex and walk the list, O(live iobufs); iobufs are meant to
 * be few and big. */

/* mr_iobuf_alloc flag: the buffer is zeroed. Without it, its bytes are
 * whatever the allocator left there. */
#define MR_IOBUF_ZERO 0x1u

/* Allocate a buffer of size bytes at an address that is a multiple of align,
 * from a (NULL: mr_heap()), and register it. 0 and *out set to a writable
 * region of exactly size bytes; or -EINVAL (align not a power of two from 1 to
 * the page size, size 0: an empty buffer has no address to align or find,
 * unknown flags, out NULL), -E2BIG or -ENOMEM from the allocator, with
 * nothing allocated and *out untouched. The caller owns the buffer until
 * mr_iobuf_free. Thread-safe as far as a is (mr_heap() is). */
MR_API int mr_iobuf_alloc(struct mr_allocator *a, size_t size, size_t align, unsigned flags,
                          struct mr_region *out);

/* Unregister the iobuf buf (exactly as mr_iobuf_alloc returned it; the
 * read-only flag is ignored) and return it to its allocator. An empty region
 * is a no-op. Anything else (a sub-region, a block freed twice, memory that
 * is not an iobuf) is a bug that aborts the process. Thread-safe as far as
 * the buffer's allocator is; the buffer must not be used by anyone after. */
MR_API void mr_iobuf_free(struct mr_region buf);

/* Does p point into a live iobuf? 0, and if out is not NULL *out set to that
 * whole buffer (writable); or -ENOENT (p outside every iobuf: one past the
 * end is outside, NULL always is). The answer is a snapshot: the buffer may be
 * freed by another thread right after. Thread-safe. */
MR_API int mr_iobuf_find(const void *p, struct mr_region *out);

/* ---- stages ----------------------------------------------------------------
 * A stage lives in the caller's storage. mr_io_stage_prepare sets io, the
 * memory to hand to read(2)/write(2); mr_io_stage_commit (after the I/O) or
 * mr_io_stage_abort (instead of it) finishes the stage and frees what it
 * allocated. A stage whose prepare failed, or that is finished, holds
 * nothing: abort on it is a no-op, so an error path may always call abort.
 *
 * When the caller's region already fits (its address and its length are
 * multiples of align; an empty region always fits), io is that region: no
 * copy, no allocation. Otherwise io is a staging block of the length rounded
 * up to align, from the stage's allocator:
 *   MR_IO_OUT, MR_IO_INOUT  the caller's bytes are copied in, and the
 *                           round-up tail is zeroed;
 *   MR_IO_IN                its contents are unspecified until the I/O.
 * The round-up tail: O_DIRECT transfers whole blocks, so a staged write of
 * 1000 bytes at align 512 writes 1024 (the last 24 zero; the caller may
 * ftruncate the file afterwards), and a staged read may bring in up to
 * io.len bytes, of which only the first user-length reach the caller.
 * Not thread-safe: one stage belongs to one thread at a time. */
enum mr_io_dir {
    MR_IO_IN = 1,    /* the I/O fills the memory (read): copied back at commit */
    MR_IO_OUT = 2,   /* the I/O reads the memory (write): copied in at prepare */
    MR_IO_INOUT = 3, /* both */
};

/* io is public; the other fields are private. */
struct mr_io_stage {
    struct mr_region io;    /* for the I/O: the caller's region (flags kept) or the block */
    struct mr_region user;  /* the caller's region */
    struct mr_region block; /* the staging block; empty when io is the caller's memory */
    struct mr_allocator *alloc;
    int dir;                /* an enum mr_io_dir while prepared, 0 when finished */
};

/* Prepare s for an I/O of direction dir over the caller's region user, which
 * needs its address and length to be multiples of align. a (NULL: mr_heap())
 * gives the staging block when one is needed. 0 and s->io set; or -EINVAL
 * (s NULL, unknown dir, align not a power of two from 1 to the page size,
 * user NULL with a nonzero length),
 * -EACCES (user is read-only and dir is MR_IO_IN or MR_IO_INOUT), -E2BIG or
 * -ENOMEM from the allocator; on failure s is finished and holds nothing.
 * The caller keeps user alive and unused until the stage is finished. */
MR_API int mr_io_stage_prepare(struct mr_io_stage *s, struct mr_region user, size_t align,
                               enum mr_io_dir dir, struct mr_allocator *a);

/* Finish s after an I/O that moved transferred bytes of s->io (what read or
 * write returned). For MR_IO_IN and MR_IO_INOUT through a staging block, the
 * first min(transferred, user length) bytes are copied back to the caller's
 * region; bytes beyond the caller's length (the round-up tail) are dropped.
 * Returns min(transferred, user length), the caller's bytes the I/O moved,
 * and frees the block. -ERANGE if transferred > s->io.len (nothing copied,
 * s stays prepared: commit again or abort), -EINVAL if s is not prepared. */
MR_API ssize_t mr_io_stage_commit(struct mr_io_stage *s, size_t transferred);

/* Finish s without copying anything back (the I/O failed or never ran), and
 * free the block. A no-op on a finished stage. */
MR_API void mr_io_stage_abort(struct mr_io_stage *s);

/* True if s->io is a staging block rather than the caller's own memory. */
MR_INLINE bool mr_io_stage_is_staged(const struct mr_io_stage *s) { return s->block.len != 0; }

/* ---- conversion ------------------------------------------------------------
 * For W = 16, 32, 64:
 *   encode: n elements of W bits in host order at src go to dst as n * W/8
 *           bytes in the given order, from dst's first byte;
 *   decode: the first n * W/8 bytes of src, in the given order, go to n
 *           elements in host order at dst.
 * The host array is any memory of n * W/8 bytes, at any alignment (arrays of
 * signed integers, float (W 32) and double (W 64) work too: bytes are moved,
 * values never interpreted); the caller vouches for it, as for memcpy. The
 * region is checked. Returns n * W/8, or -ERANGE (the region is shorter, or
 * n * W/8 overflows), -EACCES (encode into a read-only region), -EINVAL
 * (order not an enum mr_order, a NULL host array with n > 0); on failure
 * nothing is written. In-place conversion (host array and region at the same
 * address) works; any other overlap is undefined, as with memcpy.
 * Thread-safe (plain memory accesses). */
MR_API ssize_t mr_iobuf_encode_u16(struct mr_region dst, const void *src, size_t n,
                                   enum mr_order order);
MR_API ssize_t mr_iobuf_encode_u32(struct mr_region dst, const void *src, size_t n,
                                   enum mr_order order);
MR_API ssize_t mr_iobuf_encode_u64(struct mr_region dst, const void *src, size_t n,
                                   enum mr_order order);
MR_API ssize_t mr_iobuf_decode_u16(void *dst, struct mr_region src, size_t n,
                                   enum mr_order order);
MR_API ssize_t mr_iobuf_decode_u32(void *dst, struct mr_region src, size_t n,
                                   enum mr_order order);
MR_API ssize_t mr_iobuf_decode_u64(void *dst, struct mr_region src, size_t n,
                                   enum mr_order order);

/* The conversion code this process uses: "avx512bw", "avx2", "ssse3" (x86
 * byte shuffles) or "portable" (plain C), the best the CPU runs unless
 * forced. The string is static. Thread-safe. */
MR_API const char *mr_iobuf_convert_impl(void);

#ifdef __cplusplus
}
#endif

#endif
