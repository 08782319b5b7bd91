/* SPDX-License-Identifier: MIT */
/* memregion/alloc.h: allocators.
 *
 * One interface, struct mr_allocator, and five implementations:
 *   heap     malloc/posix_memalign, process-wide, thread-safe    mr_heap()
 *   arena    bump allocation from chunks, nested marks, reset     mr_arena_*
 *   pool     fixed-size blocks on a free list                     mr_pool_*
 *   pages    one mmap per block, optional guard page after it     mr_pages_*
 *   failing  wraps another, fails after N allocations (tests)     mr_failing_*
 * Allocations are regions (memregion/region.h). Every allocator that needs
 * memory for itself takes it from a backing allocator (NULL means mr_heap()),
 * so a failing allocator underneath proves each error path clean.
 *
 * Rules for every allocator, checked by mr_alloc and mr_realloc:
 *   - align is a power of two from 1 to the page size, else -EINVAL;
 *   - a size above PTRDIFF_MAX, or above what this allocator can ever give
 *     (a pool's block size, an arena's limit), is -E2BIG;
 *   - running out of memory now is -ENOMEM; nothing is changed or leaked;
 *   - size 0 succeeds with an empty region (ptr NULL) and allocates nothing.
 * Blocks are freed with the region they were returned as (the length tells
 * the allocator the size). Objects are not thread-safe unless stated.
 */
#ifndef MEMREGION_ALLOC_H
#define MEMREGION_ALLOC_H

#include <memregion/region.h>

#ifdef __cplusplus
extern "C" {
#endif

/* __alignof__ rather than _Alignof in C11: the same for a struct, but clang
 * 14's -Weverything calls _Alignof incompatible with C++98, even in C. C99
 * has no max_align_t: the alignment of the two types GCC's and Clang's
 * max_align_t is made of (test/compile/dialect_all.c checks, in C11, that it
 * is the same). */
#define MR__ALIGN_MAX_C99 ((size_t)__alignof__(union { long long mr__ll; long double mr__ld; }))
#if defined(__cplusplus)
#define MR__ALIGN_MAX ((size_t)alignof(max_align_t))
#elif defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
#define MR__ALIGN_MAX ((size_t)__alignof__(max_align_t))
#else
#define MR__ALIGN_MAX MR__ALIGN_MAX_C99
#endif

/* A convenient default alignment: that of max_align_t. */
#define MR_ALIGN_DEFAULT MR__ALIGN_MAX

struct mr_allocator;

/* Usage figures. What each counts depends on the allocator and is stated at
 * its constructor. */
struct mr_alloc_stats {
    size_t total;   /* bytes the allocator holds from its source */
    size_t used;    /* bytes handed out and not returned (see each allocator) */
    size_t free;    /* bytes held and ready to hand out */
    size_t largest; /* the largest single block an allocation can get now */
    size_t blocks;  /* live blocks, where the allocator counts them (else 0) */
};

/* The operations an allocator implements. The front-end functions below have
 * already validated size (1..PTRDIFF_MAX) and align (power of two, <= page
 * size) and handled size 0, so an implementation sees only real requests.
 * alloc and resize return 0 or -errno and leave *out alone on failure; resize
 * keeps the old block valid when it fails. */
struct mr_allocator_ops {
    const char *name;
    int (*alloc)(struct mr_allocator *a, size_t size, size_t align, void **out);
    int (*resize)(struct mr_allocator *a, void *ptr, size_t old_size, size_t new_size,
                  size_t align, void **out);
    void (*free)(struct mr_allocator *a, void *ptr, size_t size);
    void (*stats)(struct mr_allocator *a, struct mr_alloc_stats *out);
};

/* An allocator is anything whose first member is this. */
struct mr_allocator {
    const struct mr_allocator_ops *ops;
};

/* Allocate size bytes aligned to align: 0 and *out set to a writable region
 * of exactly size bytes (not zeroed), or -EINVAL / -E2BIG / -ENOMEM with *out
 * untouched. The caller owns the block until mr_free. */
MR_API int mr_alloc(struct mr_allocator *a, size_t size, size_t align, struct mr_region *out);

/* As mr_alloc, and the block is zeroed. */
MR_API int mr_alloc_zeroed(struct mr_allocator *a, size_t size, size_t align,
                           struct mr_region *out);

/* Resize the block *r to new_size, keeping its first min(old, new) bytes;
 * align must be the alignment it was allocated with. 0 and *r updated (its
 * pointer may move), or -errno with *r and its memory unchanged. An empty *r
 * allocates; new_size 0 frees and leaves *r empty. */
MR_API int mr_realloc(struct mr_allocator *a, struct mr_region *r, size_t new_size, size_t align);

/* Return a block to the allocator it came from. An empty region is a no-op.
 * Freeing anything else (a block of another allocator, a sub-region) is
 * undefined; the allocators catch what they cheaply can and abort. Inline,
 * so that the region travels in registers, not through the stack. */
MR_INLINE void mr_free(struct mr_allocator *a, struct mr_region r)
{
    if (a != NULL && r.len != 0)
        a->ops->free(a, r.ptr, r.len);
}

/* Fill *out with a's usage figures. */
MR_API void mr_alloc_stats(struct mr_allocator *a, struct mr_alloc_stats *out);

/* The allocator's name ("heap", "arena", ...). */
MR_API const char *mr_alloc_name(const struct mr_allocator *a);

/* ---- heap ------------------------------------------------------------------
 * The process-wide heap allocator: malloc for alignments up to
 * MR_ALIGN_DEFAULT, posix_memalign above. Thread-safe, and as fast as malloc:
 * it counts nothing itself. Stats are the C library's figures for the whole
 * process heap (glibc's mallinfo2; zeros elsewhere): used is the bytes in
 * live allocations of anyone in the process, free the bytes malloc holds
 * unused, total their sum, blocks 0 (not counted), largest PTRDIFF_MAX.
 * Never destroyed. */
MR_API struct mr_allocator *mr_heap(void);

/* ---- arena -----------------------------------------------------------------
 * Bump allocation from chunks taken from a backing allocator. Freeing the most
 * recent block gives its space back (and then the one before it, if it ends
 * where that one began), and the most recent block grows and shrinks in
 * place; other frees are no-ops until a rewind or reset reclaims everything
 * after a point. Chunks that a rewind or reset frees are kept for reuse (no
 * trip to the backing allocator in a loop of scopes) until mr_arena_trim or
 * mr_arena_destroy returns them. Not thread-safe. */
struct mr_arena_opts {
    struct mr_allocator *backing; /* chunks come from here; NULL: mr_heap() */
    size_t chunk_size;            /* bytes per chunk; 0: 64 KiB. Larger blocks get a chunk of their own */
    size_t limit;                 /* most bytes of chunks held at once; 0: no limit */
};

struct mr__arena_chunk;

/* Public only so that mr_arena_alloc can be inline; the fields are private. */
struct mr_arena {
    struct mr_allocator base;
    uintptr_t cur;                 /* next free byte of the current chunk */
    uintptr_t end;                 /* end of the current chunk */
    uintptr_t floor;               /* blocks below this do not free or grow in place */
    struct mr__arena_chunk *chunk; /* current chunk; chunks link to older ones */
    struct mr__arena_chunk *spare; /* freed standard chunks, kept for reuse */
    struct mr_allocator *backing;
    size_t chunk_size;
    size_t limit;
    size_t held;                   /* bytes of all chunks, spares included */
    size_t spare_bytes;            /* bytes of the spare chunks */
    uint64_t next_seq;             /* sequence number of the next chunk */
};

/* A position in an arena, for mr_arena_rewind. */
struct mr_arena_mark {
    struct mr__arena_chunk *chunk;
    uint64_t seq;                  /* the chunk's sequence number, so a reused address is no match */
    uintptr_t cur;
};

/* Create an arena (its first chunk is allocated now). opts may be NULL for
 * the defaults. 0 and *out set, or -EINVAL (chunk_size below 64 bytes or
 * above PTRDIFF_MAX, or above a nonzero limit; with chunk_size 0 the default
 * shrinks to the limit), or -ENOMEM with nothing allocated. Free with
 * mr_arena_destroy. */
MR_API int mr_arena_create(const struct mr_arena_opts *opts, struct mr_arena **out);

/* Return every chunk and the arena itself to the backing allocator. Every
 * block from the arena dies with it. NULL is a no-op. */
MR_API void mr_arena_destroy(struct mr_arena *a);

/* The arena as a generic allocator (mr_alloc, mr_free, ...). Stats: total is
 * the bytes of chunks held (headers and spares included), free the bytes
 * left in the current chunk and in the spares, used = total - free (blocks,
 * alignment padding, out-of-order frees, headers and the unused ends of
 * earlier chunks: the arena reclaims those only on rewind or reset), largest
 * what one allocation of alignment 1 can get now without exceeding the limit,
 * blocks 0 (not counted). */
MR_API struct mr_allocator *mr_arena_allocator(struct mr_arena *a);

/* The slow path hands back a pointer, not the region: were the caller's
 * region to escape into this call, the compiler would keep it in memory on
 * the fast path too (four more instructions per allocation). */
MR_API int mr__arena_alloc_slow(struct mr_arena *a, size_t size, size_t align, void **out);

/* mr_alloc on an arena, inline: a handful of instructions while the current
 * chunk has room (with a constant align, the alignment checks compile away).
 * Same results and errors as mr_alloc. */
MR_INLINE int mr_arena_alloc(struct mr_arena *a, size_t size, size_t align, struct mr_region *out)
{
    void *ptr;
    int rc;
    if (MR_LIKELY((align & (align - 1)) == 0 && align - 1 < 4096)) {
        uintptr_t p = (a->cur + (align - 1)) & ~(uintptr_t)(align - 1);
        uintptr_t q = p + size;
        /* p < q: size is not 0 and p + size did not wrap; q <= end: it fits
         * (and so p < end). One pair of compares for all three. */
        if (MR_LIKELY(p < q && q <= a->end)) {
            a->cur = q;
            out->ptr = (void *)p;
            out->len = size;
            out->flags = 0;
            return 0;
        }
    }
    rc = mr__arena_alloc_slow(a, size, align, &ptr);
    if (rc < 0)
        return rc;
    out->ptr = ptr;
    out->len = size;
    out->flags = 0;
    return 0;
}

/* The current position. Marks nest: rewinding to a mark frees everything
 * allocated since it, including inner marks, which become invalid. Blocks
 * allocated before the mark no longer grow, shrink or free in place (they
 * would cross it); a realloc moves them instead. */
MR_API struct mr_arena_mark mr_arena_save(struct mr_arena *a);

/* Free every block allocated since m; the chunks taken since then become
 * spares. 0, or -EINVAL if m is not a live position of this arena, and then nothing
 * changes. Refused: a mark from another arena, one whose chunk was returned
 * (even if its address was reused), one ahead of the current position. A mark
 * rewound past and then overtaken by new allocations in the same chunk cannot
 * be told from a live one: rewinding to it frees what came after it. */
MR_API int mr_arena_rewind(struct mr_arena *a, struct mr_arena_mark m);

/* Free every block. The chunks stay with the arena for reuse. */
MR_API void mr_arena_reset(struct mr_arena *a);

/* Return the spare chunks (those freed by rewind or reset) to the backing
 * allocator. After mr_arena_reset, this leaves only the first chunk. */
MR_API void mr_arena_trim(struct mr_arena *a);

/* ---- pool ------------------------------------------------------------------
 * Fixed-size blocks on a free list, carved from chunks of a backing
 * allocator. Not thread-safe. */
struct mr_pool_opts {
    struct mr_allocator *backing; /* NULL: mr_heap() */
    size_t block_size;            /* bytes per block, >= 1 (rounded up to align and a pointer) */
    size_t align;                 /* block alignment, power of two <= page size; 0: MR_ALIGN_DEFAULT */
    size_t blocks_per_chunk;      /* 0: as many as fit in 64 KiB, at least 1 */
    size_t max_blocks;            /* 0: no limit; beyond it, -ENOMEM */
};

struct mr__pool_chunk;

/* Public only so that mr_pool_alloc and mr_pool_free can be inline. */
struct mr_pool {
    struct mr_allocator base;
    void *free_list;              /* first free block; each holds the next */
    size_t block_size;            /* as rounded */
    size_t requested_size;        /* as asked: mr_alloc above it is -E2BIG */
    size_t align;
    size_t blocks_per_chunk;
    size_t max_blocks;
    size_t capacity;              /* blocks in all chunks */
    size_t live;                  /* blocks handed out */
    struct mr__pool_chunk *chunks;
    struct mr_allocator *backing;
};

/* Create a pool. 0 and *out set, or -EINVAL (block_size 0, bad align),
 * -E2BIG (a chunk's size overflows), -ENOMEM. No chunk is allocated until the
 * first block is. Free with mr_pool_destroy. */
MR_API int mr_pool_create(const struct mr_pool_opts *opts, struct mr_pool **out);

/* Return every chunk and the pool to the backing allocator. NULL: no-op. */
MR_API void mr_pool_destroy(struct mr_pool *p);

/* The pool as a generic allocator: mr_alloc of up to the block size (larger:
 * -E2BIG) at up to the pool's alignment (larger: -EINVAL). Stats count whole
 * blocks: total = capacity, used = live blocks, times the block size. */
MR_API struct mr_allocator *mr_pool_allocator(struct mr_pool *p);

MR_API int mr__pool_grow(struct mr_pool *p);

/* One block of the pool's block size, inline: 0 and *out set, or -ENOMEM. */
MR_INLINE int mr_pool_alloc(struct mr_pool *p, struct mr_region *out)
{
    void *b;
    if (MR_UNLIKELY(p->free_list == NULL)) {
        int rc = mr__pool_grow(p);
        if (rc < 0)
            return rc;
    }
    b = p->free_list;
    p->free_list = mr_load_ptr(b, 0);
    p->live++;
    out->ptr = b;
    out->len = p->requested_size;
    out->flags = 0;
    return 0;
}

/* Return a block from mr_pool_alloc, inline. */
MR_INLINE void mr_pool_free(struct mr_pool *p, struct mr_region r)
{
    if (r.ptr == NULL)
        return;
    mr_store_ptr(r.ptr, 0, p->free_list);
    p->free_list = r.ptr;
    p->live--;
}

/* ---- pages -----------------------------------------------------------------
 * Every block is its own anonymous mapping, rounded up to whole pages. With
 * MR_PAGES_GUARD, an inaccessible page follows each block and the block ends
 * as close to it as its alignment allows (with align 1, exactly at it), so an
 * overrun faults on its first byte. A header of five words (40 bytes on
 * 64-bit systems) in front of each block (in its mapping) lets free check that
 * the block is one of this allocator's and lets destroy find live blocks.
 * Blocks are zeroed (fresh pages). Not thread-safe. */
#define MR_PAGES_GUARD 0x1u

struct mr_pages;

/* Create a pages allocator. flags: 0 or MR_PAGES_GUARD, else -EINVAL. The
 * allocator object comes from backing (NULL: mr_heap()); -ENOMEM if it cannot.
 * Free with mr_pages_destroy. */
MR_API int mr_pages_create(struct mr_allocator *backing, unsigned flags, struct mr_pages **out);

/* Destroy the allocator. Blocks still live are unmapped too. NULL: no-op. */
MR_API void mr_pages_destroy(struct mr_pages *p);

/* The allocator. Stats: total is the bytes mapped (headers and guard pages
 * included), used the bytes of live blocks as requested, blocks their count,
 * free 0 (nothing is held in reserve), largest PTRDIFF_MAX less overheads. */
MR_API struct mr_allocator *mr_pages_allocator(struct mr_pages *p);

/* ---- failing ---------------------------------------------------------------
 * For tests: passes requests on to a backing allocator until fail_after
 * allocations (and resizes) have succeeded, then fails every one with
 * -ENOMEM. It counts what is live, so a test can prove that nothing leaked.
 * Lives in the caller's storage; no fini needed. Not thread-safe. */
struct mr_failing {
    struct mr_allocator base;
    struct mr_allocator *backing;
    long remaining;      /* successes left before failing; < 0: never fail */
    size_t attempts;     /* allocations and resizes asked for */
    size_t failures;     /* of those, refused by this allocator */
    size_t live_blocks;  /* allocated and not yet freed */
    size_t live_bytes;
};

/* Initialise f over backing (NULL: mr_heap()); fail_after < 0 never fails. */
MR_API void mr_failing_init(struct mr_failing *f, struct mr_allocator *backing, long fail_after);

MR_API struct mr_allocator *mr_failing_allocator(struct mr_failing *f);

#ifdef __cplusplus
}
#endif

#endif
