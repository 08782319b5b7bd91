/* SPDX-License-Identifier: MIT */
/* src/alloc.c: the allocator front end and its implementations (heap, arena,
 * pool, pages, failing). */
#include "internal.h"

#include <memregion/alloc.h>
#include <malloc.h>
#include <string.h>
#include <sys/mman.h>

/* ==== front end ============================================================ */

static const struct mr_region empty_region;

int mr_alloc(struct mr_allocator *a, size_t size, size_t align, struct mr_region *out)
{
    void *p;
    int rc;

    if (a == NULL || out == NULL)
        return -EINVAL;
    if ((rc = mr__check_align(align)) < 0)
        return rc;
    if (size > PTRDIFF_MAX)
        return -E2BIG;
    if (size == 0) {
        *out = empty_region;
        return 0;
    }
    if ((rc = a->ops->alloc(a, size, align, &p)) < 0)
        return rc;
    MR__CHECK(p != NULL && ((uintptr_t)p & (align - 1)) == 0,
              "allocator returned a NULL or misaligned block");
    *out = mr_region_make(p, size);
    return 0;
}

int mr_alloc_zeroed(struct mr_allocator *a, size_t size, size_t align, struct mr_region *out)
{
    struct mr_region r;
    int rc = mr_alloc(a, size, align, &r);
    if (rc < 0)
        return rc;
    mr_region_clear(r);
    *out = r;
    return 0;
}

int mr_realloc(struct mr_allocator *a, struct mr_region *r, size_t new_size, size_t align)
{
    void *p;
    int rc;

    if (a == NULL || r == NULL)
        return -EINVAL;
    if ((rc = mr__check_align(align)) < 0)
        return rc;
    if (new_size > PTRDIFF_MAX)
        return -E2BIG;
    if (r->len == 0)
        return mr_alloc(a, new_size, align, r);
    if (new_size == 0) {
        mr_free(a, *r);
        *r = empty_region;
        return 0;
    }
    if (new_size == r->len) {
        r->flags = 0;
        return 0;
    }
    if ((rc = a->ops->resize(a, r->ptr, r->len, new_size, align, &p)) < 0)
        return rc;
    MR__CHECK(p != NULL && ((uintptr_t)p & (align - 1)) == 0,
              "allocator returned a NULL or misaligned block");
    *r = mr_region_make(p, new_size);
    return 0;
}

void mr_alloc_stats(struct mr_allocator *a, struct mr_alloc_stats *out)
{
    memset(out, 0, sizeof *out);
    a->ops->stats(a, out);
}

const char *mr_alloc_name(const struct mr_allocator *a)
{
    return a->ops->name;
}

static size_t min_size(size_t a, size_t b) { return a < b ? a : b; }

/* ==== heap ================================================================= */

static int heap_alloc(struct mr_allocator *a, size_t size, size_t align, void **out)
{
    void *p;
    (void)a;
    if (align <= MR_ALIGN_DEFAULT) {
        p = malloc(size);
        if (p == NULL)
            return -ENOMEM;
    } else {
        int e = posix_memalign(&p, align, size);
        if (e != 0)
            return -e;
    }
    *out = p;
    return 0;
}

static int heap_resize(struct mr_allocator *a, void *ptr, size_t old_size, size_t new_size,
                       size_t align, void **out)
{
    void *p;
    (void)a;
    if (align <= MR_ALIGN_DEFAULT) {
        p = realloc(ptr, new_size);
        if (p == NULL)
            return -ENOMEM;
    } else {
        /* realloc keeps only malloc's alignment: move by hand. */
        int e = posix_memalign(&p, align, new_size);
        if (e != 0)
            return -e;
        memcpy(p, ptr, min_size(old_size, new_size));
        free(ptr);
    }
    *out = p;
    return 0;
}

static void heap_free(struct mr_allocator *a, void *ptr, size_t size)
{
    (void)a;
    (void)size;
    free(ptr);
}

/* Counting here would cost every malloc an atomic add or two (four times the
 * price of malloc itself, measured in bench_alloc); the C library keeps the
 * figures anyway. */
static void heap_stats(struct mr_allocator *a, struct mr_alloc_stats *st)
{
    (void)a;
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
    struct mallinfo2 mi = mallinfo2();
    st->used = mi.uordblks + mi.hblkhd;
    st->free = mi.fordblks;
    st->total = st->used + st->free;
#endif
    st->largest = PTRDIFF_MAX;
    st->blocks = 0;
}

static const struct mr_allocator_ops heap_ops = {
    "heap", heap_alloc, heap_resize, heap_free, heap_stats,
};
static struct mr_allocator heap_allocator = { &heap_ops };

struct mr_allocator *mr_heap(void)
{
    return &heap_allocator;
}

/* ==== arena ================================================================ */

struct mr__arena_chunk {
    struct mr__arena_chunk *prev; /* the next older chunk */
    size_t size;                  /* bytes of the chunk, this header included */
    uint64_t seq;
};

#define ARENA_DEFAULT_CHUNK ((size_t)64 * 1024)
#define ARENA_MIN_CHUNK ((size_t)64)

static struct mr_arena *arena_of(struct mr_allocator *a) { return (struct mr_arena *)a; }

static uintptr_t chunk_data(const struct mr__arena_chunk *c) { return (uintptr_t)(c + 1); }
static uintptr_t chunk_end(const struct mr__arena_chunk *c) { return (uintptr_t)c + c->size; }

/* Make c the current chunk with its free space starting at cur. Blocks
 * below cur (an earlier scope's) must not free or grow in place. */
static void arena_enter(struct mr_arena *a, struct mr__arena_chunk *c, uintptr_t cur)
{
    a->chunk = c;
    a->cur = cur;
    a->end = chunk_end(c);
    a->floor = cur;
}

static void arena_free_chunk(struct mr_arena *a, struct mr__arena_chunk *c)
{
    a->held -= c->size;
    mr_free(a->backing, mr_region_make(c, c->size));
}

void mr_arena_trim(struct mr_arena *a)
{
    while (a->spare) {
        struct mr__arena_chunk *c = a->spare;
        a->spare = c->prev;
        a->spare_bytes -= c->size;
        arena_free_chunk(a, c);
    }
}

/* A new current chunk of size bytes: a spare when it is of the standard
 * size, else from the backing allocator. A fresh sequence number either way,
 * so that marks into the chunk's earlier life are refused. */
static int arena_new_chunk(struct mr_arena *a, size_t size)
{
    struct mr__arena_chunk *c;
    struct mr_region r;
    int rc;

    if (size == a->chunk_size && a->spare) {
        c = a->spare;
        a->spare = c->prev;
        a->spare_bytes -= c->size;
    } else {
        if (a->limit && size > a->limit - a->held)
            mr_arena_trim(a);
        if (a->limit && size > a->limit - a->held)
            return -ENOMEM;
        if ((rc = mr_alloc(a->backing, size, MR_ALIGN_DEFAULT, &r)) < 0)
            return rc;
        c = r.ptr;
        c->size = size;
        a->held += size;
    }
    c->prev = a->chunk;
    c->seq = a->next_seq++;
    arena_enter(a, c, chunk_data(c));
    return 0;
}

/* A chunk a rewind or reset no longer needs: standard ones are kept. */
static void arena_drop_chunk(struct mr_arena *a, struct mr__arena_chunk *c)
{
    if (c->size != a->chunk_size) {
        arena_free_chunk(a, c);
        return;
    }
    c->prev = a->spare;
    a->spare = c;
    a->spare_bytes += c->size;
}

/* The block at p of size bytes is the most recent one of this scope. */
static bool arena_is_top(const struct mr_arena *a, uintptr_t p, size_t size)
{
    return p >= a->floor && p + size == a->cur;
}

/* The largest block of alignment align an arena could ever give: in a fresh
 * chunk as big as the limit allows next to the first chunk, which is never
 * returned before destroy, or in the first chunk itself after a reset. */
static size_t arena_max_block(const struct mr_arena *a, size_t align)
{
    size_t hdr = sizeof(struct mr__arena_chunk) + align - 1;
    size_t room = a->limit - a->chunk_size;
    size_t in_new = room > hdr ? room - hdr : 0;
    size_t in_first = a->chunk_size > hdr ? a->chunk_size - hdr : 0;
    return in_new > in_first ? in_new : in_first;
}

int mr__arena_alloc_slow(struct mr_arena *a, size_t size, size_t align, void **out)
{
    size_t need;
    int rc;

    if ((rc = mr__check_align(align)) < 0)
        return rc;
    if (size == 0) {
        *out = NULL;
        return 0;
    }
    if (size > PTRDIFF_MAX)
        return -E2BIG;
    /* The fast path also comes here for alignments above 4096 on machines
     * with larger pages: the current chunk may still have room. */
    uintptr_t p = (a->cur + (align - 1)) & ~(uintptr_t)(align - 1);
    if (!(p <= a->end && size <= a->end - p)) {
        if (__builtin_add_overflow(size, sizeof(struct mr__arena_chunk) + align - 1, &need) ||
            need > PTRDIFF_MAX)
            return -E2BIG;
        if (a->limit && size > arena_max_block(a, align))
            return -E2BIG;
        if ((rc = arena_new_chunk(a, need > a->chunk_size ? need : a->chunk_size)) < 0)
            return rc;
        p = (a->cur + (align - 1)) & ~(uintptr_t)(align - 1);
    }
    a->cur = p + size;
    *out = (void *)p;
    return 0;
}

static int arena_alloc_op(struct mr_allocator *base, size_t size, size_t align, void **out)
{
    struct mr_region r;
    int rc = mr_arena_alloc(arena_of(base), size, align, &r);
    if (rc < 0)
        return rc;
    *out = r.ptr;
    return 0;
}

static int arena_resize(struct mr_allocator *base, void *ptr, size_t old_size, size_t new_size,
                        size_t align, void **out)
{
    struct mr_arena *a = arena_of(base);
    uintptr_t p = (uintptr_t)ptr;
    struct mr_region r;
    int rc;

    /* In place only if the block already has the alignment asked for now. */
    bool aligned = (p & (align - 1)) == 0;
    if (aligned && arena_is_top(a, p, old_size) && new_size <= a->end - p) {
        a->cur = p + new_size;
        *out = ptr;
        return 0;
    }
    if (aligned && new_size <= old_size) {
        *out = ptr;
        return 0;
    }
    if ((rc = mr_arena_alloc(a, new_size, align, &r)) < 0)
        return rc;
    memcpy(r.ptr, ptr, min_size(old_size, new_size));
    *out = r.ptr;
    return 0;
}

static void arena_free(struct mr_allocator *base, void *ptr, size_t size)
{
    struct mr_arena *a = arena_of(base);
    uintptr_t p = (uintptr_t)ptr;
    if (arena_is_top(a, p, size))
        a->cur = p;
}

static void arena_stats(struct mr_allocator *base, struct mr_alloc_stats *st)
{
    struct mr_arena *a = arena_of(base);
    size_t here = a->end - a->cur;
    size_t hdr = sizeof(struct mr__arena_chunk);
    size_t spare_free = a->spare_bytes - (a->spare_bytes / a->chunk_size) * hdr;
    size_t fresh;

    if (a->limit) {
        /* A new chunk is never smaller than chunk_size: with less room than
         * that under the limit, none can be taken. Spares are returned to
         * make room when needed, so their bytes count as room. */
        size_t room = a->limit - a->held + a->spare_bytes;
        fresh = room >= a->chunk_size && room > hdr ? room - hdr : 0;
    } else {
        struct mr_alloc_stats b;
        mr_alloc_stats(a->backing, &b);
        fresh = b.largest > hdr ? b.largest - hdr : 0;
    }
    st->total = a->held;
    st->free = here + spare_free;
    st->used = a->held - st->free;
    st->largest = fresh > here ? fresh : here;
    if (a->spare && a->chunk_size - hdr > st->largest)
        st->largest = a->chunk_size - hdr;
    st->blocks = 0;
}

static const struct mr_allocator_ops arena_ops = {
    "arena", arena_alloc_op, arena_resize, arena_free, arena_stats,
};

int mr_arena_create(const struct mr_arena_opts *opts, struct mr_arena **out)
{
    static const struct mr_arena_opts defaults;
    struct mr_region r;
    int rc;

    if (out == NULL)
        return -EINVAL;
    if (opts == NULL)
        opts = &defaults;
    size_t chunk = opts->chunk_size ? opts->chunk_size : ARENA_DEFAULT_CHUNK;
    if (opts->limit && chunk > opts->limit) {
        if (opts->chunk_size)
            return -EINVAL;
        chunk = opts->limit;
    }
    if (chunk < ARENA_MIN_CHUNK || chunk > PTRDIFF_MAX)
        return -EINVAL;

    struct mr_allocator *backing = opts->backing ? opts->backing : mr_heap();
    if ((rc = mr_alloc(backing, sizeof(struct mr_arena), _Alignof(struct mr_arena), &r)) < 0)
        return rc;
    struct mr_arena *a = r.ptr;
    memset(a, 0, sizeof *a);
    a->base.ops = &arena_ops;
    a->backing = backing;
    a->chunk_size = chunk;
    a->limit = opts->limit;
    if ((rc = arena_new_chunk(a, chunk)) < 0) {
        mr_free(backing, r);
        return rc;
    }
    *out = a;
    return 0;
}

void mr_arena_destroy(struct mr_arena *a)
{
    if (a == NULL)
        return;
    mr_arena_trim(a);
    for (struct mr__arena_chunk *c = a->chunk, *prev; c; c = prev) {
        prev = c->prev;
        arena_free_chunk(a, c);
    }
    mr_free(a->backing, mr_region_make(a, sizeof *a));
}

struct mr_allocator *mr_arena_allocator(struct mr_arena *a)
{
    return &a->base;
}

struct mr_arena_mark mr_arena_save(struct mr_arena *a)
{
    struct mr_arena_mark m = { a->chunk, a->chunk->seq, a->cur };
    /* A block from before the mark must not grow in place across it (a
     * rewind would then hand its tail out again), nor be freed below it. */
    a->floor = a->cur;
    return m;
}

int mr_arena_rewind(struct mr_arena *a, struct mr_arena_mark m)
{
    struct mr__arena_chunk *c = a->chunk;

    /* Chunks are linked newest first with falling sequence numbers, so a
     * mark's chunk is live only if it is found by that walk. */
    while (c && c != m.chunk)
        c = c->prev;
    if (c == NULL || c->seq != m.seq || m.cur < chunk_data(c) || m.cur > chunk_end(c))
        return -EINVAL;
    if (c == a->chunk && m.cur > a->cur)
        return -EINVAL;
    while (a->chunk != c) {
        struct mr__arena_chunk *newer = a->chunk;
        a->chunk = newer->prev;
        arena_drop_chunk(a, newer);
    }
    arena_enter(a, c, m.cur);
    return 0;
}

void mr_arena_reset(struct mr_arena *a)
{
    while (a->chunk->prev) {
        struct mr__arena_chunk *newer = a->chunk;
        a->chunk = newer->prev;
        arena_drop_chunk(a, newer);
    }
    arena_enter(a, a->chunk, chunk_data(a->chunk));
}

/* ==== pool ================================================================= */

struct mr__pool_chunk {
    struct mr__pool_chunk *next;
    size_t size; /* bytes of the chunk, header included */
};

#define POOL_DEFAULT_CHUNK ((size_t)64 * 1024)

static struct mr_pool *pool_of(struct mr_allocator *a) { return (struct mr_pool *)a; }

/* Blocks start after the header, rounded up to the block alignment. */
static size_t pool_header(const struct mr_pool *p)
{
    size_t h = sizeof(struct mr__pool_chunk);
    return (h + p->align - 1) & ~(p->align - 1);
}

static size_t pool_chunk_align(const struct mr_pool *p)
{
    return p->align > _Alignof(struct mr__pool_chunk) ? p->align : _Alignof(struct mr__pool_chunk);
}

int mr__pool_grow(struct mr_pool *p)
{
    struct mr_region r;
    size_t n = p->blocks_per_chunk;
    int rc;

    if (p->max_blocks) {
        if (p->capacity >= p->max_blocks)
            return -ENOMEM;
        n = min_size(n, p->max_blocks - p->capacity);
    }
    /* mr_pool_create proved header + blocks_per_chunk * block_size fits. */
    size_t bytes = pool_header(p) + n * p->block_size;
    if ((rc = mr_alloc(p->backing, bytes, pool_chunk_align(p), &r)) < 0)
        return rc;
    struct mr__pool_chunk *c = r.ptr;
    c->next = p->chunks;
    c->size = bytes;
    p->chunks = c;
    /* Thread the blocks from the last to the first, so that they are handed
     * out in address order. */
    unsigned char *blocks = (unsigned char *)c + pool_header(p);
    void *head = p->free_list;
    for (size_t i = n; i-- > 0;) {
        mr_store_ptr(blocks + i * p->block_size, 0, head);
        head = blocks + i * p->block_size;
    }
    p->free_list = head;
    p->capacity += n;
    return 0;
}

static int pool_alloc_op(struct mr_allocator *base, size_t size, size_t align, void **out)
{
    struct mr_pool *p = pool_of(base);
    struct mr_region r;
    int rc;

    if (align > p->align)
        return -EINVAL;
    if (size > p->requested_size)
        return -E2BIG;
    if ((rc = mr_pool_alloc(p, &r)) < 0)
        return rc;
    *out = r.ptr;
    return 0;
}

static int pool_resize(struct mr_allocator *base, void *ptr, size_t old_size, size_t new_size,
                       size_t align, void **out)
{
    struct mr_pool *p = pool_of(base);
    (void)old_size;
    if (align > p->align)
        return -EINVAL;
    if (new_size > p->requested_size)
        return -E2BIG;
    *out = ptr;
    return 0;
}

static void pool_free_op(struct mr_allocator *base, void *ptr, size_t size)
{
    struct mr_pool *p = pool_of(base);
    MR__CHECK(((uintptr_t)ptr & (p->align - 1)) == 0 && size <= p->requested_size && p->live > 0,
              "pool: freed block is not one of this pool's");
    mr_pool_free(p, mr_region_make(ptr, size));
}

static void pool_stats(struct mr_allocator *base, struct mr_alloc_stats *st)
{
    struct mr_pool *p = pool_of(base);
    bool can_grow = !p->max_blocks || p->capacity < p->max_blocks;
    st->total = p->capacity * p->block_size;
    st->used = p->live * p->block_size;
    st->free = st->total - st->used;
    st->largest = (p->free_list || can_grow) ? p->requested_size : 0;
    st->blocks = p->live;
}

static const struct mr_allocator_ops pool_ops = {
    "pool", pool_alloc_op, pool_resize, pool_free_op, pool_stats,
};

int mr_pool_create(const struct mr_pool_opts *opts, struct mr_pool **out)
{
    struct mr_pool tmp = { .base = { &pool_ops } };
    struct mr_region r;
    size_t bs, bytes;
    int rc;

    if (opts == NULL || out == NULL || opts->block_size == 0)
        return -EINVAL;
    tmp.align = opts->align ? opts->align : MR_ALIGN_DEFAULT;
    if ((rc = mr__check_align(tmp.align)) < 0)
        return rc;
    if (opts->block_size > PTRDIFF_MAX)
        return -E2BIG;
    bs = opts->block_size < sizeof(void *) ? sizeof(void *) : opts->block_size;
    if (!mr__round_up(bs, tmp.align, &bs))
        return -E2BIG;
    tmp.block_size = bs;
    tmp.requested_size = opts->block_size;
    tmp.max_blocks = opts->max_blocks;
    tmp.blocks_per_chunk = opts->blocks_per_chunk;
    if (tmp.blocks_per_chunk == 0) {
        size_t room = POOL_DEFAULT_CHUNK - pool_header(&tmp);
        tmp.blocks_per_chunk = room / bs ? room / bs : 1;
    }
    if (tmp.max_blocks && tmp.blocks_per_chunk > tmp.max_blocks)
        tmp.blocks_per_chunk = tmp.max_blocks;
    if (__builtin_mul_overflow(tmp.blocks_per_chunk, bs, &bytes) ||
        __builtin_add_overflow(bytes, pool_header(&tmp), &bytes) || bytes > PTRDIFF_MAX)
        return -E2BIG;
    tmp.backing = opts->backing ? opts->backing : mr_heap();

    if ((rc = mr_alloc(tmp.backing, sizeof tmp, _Alignof(struct mr_pool), &r)) < 0)
        return rc;
    memcpy(r.ptr, &tmp, sizeof tmp);
    *out = r.ptr;
    return 0;
}

void mr_pool_destroy(struct mr_pool *p)
{
    if (p == NULL)
        return;
    for (struct mr__pool_chunk *c = p->chunks, *next; c; c = next) {
        next = c->next;
        mr_free(p->backing, mr_region_make(c, c->size));
    }
    mr_free(p->backing, mr_region_make(p, sizeof *p));
}

struct mr_allocator *mr_pool_allocator(struct mr_pool *p)
{
    return &p->base;
}

/* ==== pages ================================================================ */

/* Each block's mapping starts with this header; the block follows it. */
struct pages_block {
    uint64_t magic;
    struct pages_block *prev, *next; /* live blocks, for destroy */
    size_t map_len;                  /* the whole mapping, guard page included */
    size_t size;                     /* as requested */
};
#define PAGES_MAGIC UINT64_C(0x6d72706167657321) /* "mrpages!" */
#define PAGES_HDR sizeof(struct pages_block)

struct mr_pages {
    struct mr_allocator base;
    struct mr_allocator *backing;
    unsigned flags;
    struct pages_block *blocks;
    size_t mapped, used, count;
};

static struct mr_pages *pages_of(struct mr_allocator *a) { return (struct mr_pages *)a; }

/* The block starts less than a page past its header's page, so that free
 * finds the header from the block alone (pages_block_of). Without a guard it
 * follows the header; with one, it ends as close to the guard as its
 * alignment allows, and a page is added in front when that leaves no room
 * for the header. */
static int pages_alloc(struct mr_allocator *base, size_t size, size_t align, void **out)
{
    struct mr_pages *pg = pages_of(base);
    size_t page = mr__page_size();
    size_t guard = (pg->flags & MR_PAGES_GUARD) ? page : 0;
    size_t hdr = (PAGES_HDR + align - 1) & ~(align - 1);
    size_t data, len, off;
    void *map;
    int rc;

    if (__builtin_add_overflow(size, guard ? PAGES_HDR : hdr, &data) ||
        !mr__round_up(data, page, &data))
        return -E2BIG;
    if (guard) {
        off = (data - size) & ~(align - 1);
        if (off < PAGES_HDR) {
            if (__builtin_add_overflow(data, page, &data))
                return -E2BIG;
            off += page;
        }
    } else {
        off = hdr;
    }
    if (__builtin_add_overflow(data, guard, &len) || len > PTRDIFF_MAX)
        return -E2BIG;
    if ((rc = mr__sys_mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0,
                           &map)) < 0)
        return rc;
    if (guard && (rc = mr__sys_mprotect((char *)map + data, guard, PROT_NONE)) < 0) {
        mr__sys_munmap(map, len);
        return rc;
    }
    struct pages_block *b = map;
    b->magic = PAGES_MAGIC;
    b->prev = NULL;
    b->next = pg->blocks;
    if (pg->blocks)
        pg->blocks->prev = b;
    pg->blocks = b;
    b->map_len = len;
    b->size = size;
    pg->mapped += len;
    pg->used += size;
    pg->count++;
    *out = (char *)map + off;
    return 0;
}

/* The header of the block at ptr: see pages_alloc for why it is on the page
 * that holds ptr - PAGES_HDR. */
static struct pages_block *pages_block_of(void *ptr, size_t size)
{
    size_t page = mr__page_size();
    struct pages_block *b = (void *)(((uintptr_t)ptr - PAGES_HDR) & ~(uintptr_t)(page - 1));
    MR__CHECK(b->magic == PAGES_MAGIC && b->size == size,
              "pages: freed block is not one of this allocator's, or its size is wrong");
    return b;
}

static void pages_unmap(struct mr_pages *pg, struct pages_block *b)
{
    if (b->prev)
        b->prev->next = b->next;
    else
        pg->blocks = b->next;
    if (b->next)
        b->next->prev = b->prev;
    pg->mapped -= b->map_len;
    pg->used -= b->size;
    pg->count--;
    b->magic = 0;
    mr__sys_munmap(b, b->map_len);
}

static void pages_free(struct mr_allocator *base, void *ptr, size_t size)
{
    pages_unmap(pages_of(base), pages_block_of(ptr, size));
}

static int pages_resize(struct mr_allocator *base, void *ptr, size_t old_size, size_t new_size,
                        size_t align, void **out)
{
    void *p;
    int rc = pages_alloc(base, new_size, align, &p);
    if (rc < 0)
        return rc;
    memcpy(p, ptr, min_size(old_size, new_size));
    pages_free(base, ptr, old_size);
    *out = p;
    return 0;
}

static void pages_stats(struct mr_allocator *base, struct mr_alloc_stats *st)
{
    struct mr_pages *pg = pages_of(base);
    st->total = pg->mapped;
    st->used = pg->used;
    st->free = 0;
    st->largest = PTRDIFF_MAX - 3 * mr__page_size();
    st->blocks = pg->count;
}

static const struct mr_allocator_ops pages_ops = {
    "pages", pages_alloc, pages_resize, pages_free, pages_stats,
};

int mr_pages_create(struct mr_allocator *backing, unsigned flags, struct mr_pages **out)
{
    struct mr_region r;
    int rc;

    if (out == NULL || (flags & ~MR_PAGES_GUARD))
        return -EINVAL;
    if (backing == NULL)
        backing = mr_heap();
    if ((rc = mr_alloc(backing, sizeof(struct mr_pages), _Alignof(struct mr_pages), &r)) < 0)
        return rc;
    struct mr_pages *pg = r.ptr;
    memset(pg, 0, sizeof *pg);
    pg->base.ops = &pages_ops;
    pg->backing = backing;
    pg->flags = flags;
    *out = pg;
    return 0;
}

void mr_pages_destroy(struct mr_pages *pg)
{
    if (pg == NULL)
        return;
    while (pg->blocks)
        pages_unmap(pg, pg->blocks);
    mr_free(pg->backing, mr_region_make(pg, sizeof *pg));
}

struct mr_allocator *mr_pages_allocator(struct mr_pages *pg)
{
    return &pg->base;
}

/* ==== failing ============================================================== */

static struct mr_failing *failing_of(struct mr_allocator *a) { return (struct mr_failing *)a; }

/* Count an attempt; false if this one must fail. */
static bool failing_admit(struct mr_failing *f)
{
    f->attempts++;
    if (f->remaining == 0) {
        f->failures++;
        return false;
    }
    return true;
}

static void failing_succeeded(struct mr_failing *f)
{
    if (f->remaining > 0)
        f->remaining--;
}

static int failing_alloc(struct mr_allocator *base, size_t size, size_t align, void **out)
{
    struct mr_failing *f = failing_of(base);
    struct mr_region r;
    int rc;

    if (!failing_admit(f))
        return -ENOMEM;
    if ((rc = mr_alloc(f->backing, size, align, &r)) < 0)
        return rc;
    failing_succeeded(f);
    f->live_blocks++;
    f->live_bytes += size;
    *out = r.ptr;
    return 0;
}

static int failing_resize(struct mr_allocator *base, void *ptr, size_t old_size, size_t new_size,
                          size_t align, void **out)
{
    struct mr_failing *f = failing_of(base);
    struct mr_region r = mr_region_make(ptr, old_size);
    int rc;

    if (!failing_admit(f))
        return -ENOMEM;
    if ((rc = mr_realloc(f->backing, &r, new_size, align)) < 0)
        return rc;
    failing_succeeded(f);
    f->live_bytes += new_size - old_size;
    *out = r.ptr;
    return 0;
}

static void failing_free(struct mr_allocator *base, void *ptr, size_t size)
{
    struct mr_failing *f = failing_of(base);
    MR__CHECK(f->live_blocks > 0 && f->live_bytes >= size, "failing: more freed than allocated");
    mr_free(f->backing, mr_region_make(ptr, size));
    f->live_blocks--;
    f->live_bytes -= size;
}

static void failing_stats(struct mr_allocator *base, struct mr_alloc_stats *st)
{
    struct mr_failing *f = failing_of(base);
    mr_alloc_stats(f->backing, st);
    st->used = f->live_bytes;
    st->blocks = f->live_blocks;
    if (f->remaining == 0)
        st->largest = 0;
}

static const struct mr_allocator_ops failing_ops = {
    "failing", failing_alloc, failing_resize, failing_free, failing_stats,
};

void mr_failing_init(struct mr_failing *f, struct mr_allocator *backing, long fail_after)
{
    memset(f, 0, sizeof *f);
    f->base.ops = &failing_ops;
    f->backing = backing ? backing : mr_heap();
    f->remaining = fail_after;
}

struct mr_allocator *mr_failing_allocator(struct mr_failing *f)
{
    return &f->base;
}
