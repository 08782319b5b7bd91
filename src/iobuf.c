/* SPDX-License-Identifier: MIT */
/* src/iobuf.c: iobufs and their registry, stages, and conversion between
 * host-order arrays and wire-order bytes (on the kernels of src/swap.c). */
#include "internal.h"
#include "swap_internal.h"

#include <memregion/iobuf.h>
#include <pthread.h>
#include <string.h>

/* ==== iobufs and the registry ============================================== */

struct iobuf_node {
    struct iobuf_node *prev, *next; /* sorted by address */
    uintptr_t start;
    size_t len;
    struct mr_allocator *alloc;
};

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct iobuf_node *registry;

/* The node of the buffer that holds address p, or NULL. Called locked. */
static struct iobuf_node *registry_lookup(uintptr_t p)
{
    /* Live buffers never overlap, so the list in address order stops at the
     * first buffer that starts above p. */
    for (struct iobuf_node *n = registry; n && n->start <= p; n = n->next)
        if (p - n->start < n->len)
            return n;
    return NULL;
}

static void registry_insert(struct iobuf_node *node)
{
    struct iobuf_node **link = &registry, *prev = NULL;

    pthread_mutex_lock(&registry_lock);
    while (*link && (*link)->start < node->start) {
        prev = *link;
        link = &prev->next;
    }
    MR__CHECK(*link == NULL || node->start + node->len <= (*link)->start,
              "iobuf: allocator returned a block that overlaps a live iobuf");
    MR__CHECK(prev == NULL || prev->start + prev->len <= node->start,
              "iobuf: allocator returned a block that overlaps a live iobuf");
    node->prev = prev;
    node->next = *link;
    if (*link)
        (*link)->prev = node;
    *link = node;
    pthread_mutex_unlock(&registry_lock);
}

int mr_iobuf_alloc(struct mr_allocator *a, size_t size, size_t align, unsigned flags,
                   struct mr_region *out)
{
    struct mr_region node_block, buf;
    int rc;

    if (out == NULL || size == 0 || (flags & ~MR_IOBUF_ZERO))
        return -EINVAL;
    if ((rc = mr__check_align(align)) < 0)
        return rc;
    if (a == NULL)
        a = mr_heap();
    if ((rc = mr_alloc(a, sizeof(struct iobuf_node), _Alignof(struct iobuf_node), &node_block)) < 0)
        return rc;
    if (flags & MR_IOBUF_ZERO)
        rc = mr_alloc_zeroed(a, size, align, &buf);
    else
        rc = mr_alloc(a, size, align, &buf);
    if (rc < 0) {
        mr_free(a, node_block);
        return rc;
    }
    struct iobuf_node *node = node_block.ptr;
    node->start = (uintptr_t)buf.ptr;
    node->len = buf.len;
    node->alloc = a;
    registry_insert(node);
    *out = buf;
    return 0;
}

void mr_iobuf_free(struct mr_region buf)
{
    if (buf.len == 0)
        return;
    pthread_mutex_lock(&registry_lock);
    struct iobuf_node *n = registry_lookup((uintptr_t)buf.ptr);
    MR__CHECK(n != NULL && n->start == (uintptr_t)buf.ptr && n->len == buf.len,
              "iobuf: freed region is not a live iobuf (freed twice, a sub-region, or never one)");
    if (n->prev)
        n->prev->next = n->next;
    else
        registry = n->next;
    if (n->next)
        n->next->prev = n->prev;
    pthread_mutex_unlock(&registry_lock);
    /* The allocator is called unlocked: it may be slow (munmap) or take locks
     * of its own. */
    struct mr_allocator *a = n->alloc;
    mr_free(a, mr_region_make(buf.ptr, buf.len));
    mr_free(a, mr_region_make(n, sizeof *n));
}

int mr_iobuf_find(const void *p, struct mr_region *out)
{
    int rc = -ENOENT;

    if (p == NULL)
        return rc;
    pthread_mutex_lock(&registry_lock);
    struct iobuf_node *n = registry_lookup((uintptr_t)p);
    if (n) {
        if (out)
            *out = mr_region_make((void *)n->start, n->len);
        rc = 0;
    }
    pthread_mutex_unlock(&registry_lock);
    return rc;
}

/* ==== stages =============================================================== */

static const struct mr_io_stage finished_stage;

int mr_io_stage_prepare(struct mr_io_stage *s, struct mr_region user, size_t align,
                        enum mr_io_dir dir, struct mr_allocator *a)
{
    struct mr_region block;
    size_t len;
    int rc;

    if (s == NULL)
        return -EINVAL;
    *s = finished_stage;
    if (dir != MR_IO_IN && dir != MR_IO_OUT && dir != MR_IO_INOUT)
        return -EINVAL;
    if ((rc = mr__check_align(align)) < 0)
        return rc;
    if (user.ptr == NULL && user.len != 0)
        return -EINVAL;
    if ((dir & MR_IO_IN) && mr_region_is_ro(user))
        return -EACCES;
    if (user.len == 0 || (((uintptr_t)user.ptr | user.len) & (align - 1)) == 0) {
        s->io = user;
        s->user = user;
        s->dir = dir;
        return 0;
    }
    if (!mr__round_up(user.len, align, &len))
        return -E2BIG;
    if (a == NULL)
        a = mr_heap();
    if ((rc = mr_alloc(a, len, align, &block)) < 0)
        return rc;
    if (dir & MR_IO_OUT) {
        /* The tail goes to the device too: zeros, never stale heap bytes. */
        if (user.len)
            memcpy(block.ptr, user.ptr, user.len);
        memset((unsigned char *)block.ptr + user.len, 0, len - user.len);
    }
    s->io = block;
    s->user = user;
    s->block = block;
    s->alloc = a;
    s->dir = dir;
    return 0;
}

ssize_t mr_io_stage_commit(struct mr_io_stage *s, size_t transferred)
{
    if (s == NULL || s->dir == 0)
        return -EINVAL;
    if (transferred > s->io.len)
        return -ERANGE;
    size_t n = transferred < s->user.len ? transferred : s->user.len;
    if ((s->dir & MR_IO_IN) && s->block.len && n)
        memcpy(s->user.ptr, s->block.ptr, n);
    mr_io_stage_abort(s);
    return (ssize_t)n;
}

void mr_io_stage_abort(struct mr_io_stage *s)
{
    if (s == NULL || s->dir == 0)
        return;
    mr_free(s->alloc, s->block);
    *s = finished_stage;
}

/* ==== conversion =========================================================== */

const char *mr_iobuf_convert_impl(void)
{
    return mr__swap_impl();
}

/* Bytes in wire order `order` differ from host order. */
static bool order_swaps(enum mr_order order)
{
    return order == (MR_HOST_LITTLE_ENDIAN ? MR_ORDER_BE : MR_ORDER_LE);
}

static ssize_t convert(void *dst, const void *src, size_t n, size_t w, enum mr_order order)
{
    size_t bytes = n * w;
    if (bytes == 0)
        return 0;
    if (order_swaps(order)) {
        mr__swap_array(dst, src, n, w);
    } else if (dst != src) {
        memcpy(dst, src, bytes);
    }
    return (ssize_t)bytes;
}

/* The checks both directions share: 0 and *bytes set, or the error. */
static int check_convert(struct mr_region r, const void *host, size_t n, size_t w,
                         enum mr_order order, size_t *bytes)
{
    if (order != MR_ORDER_HOST && order != MR_ORDER_LE && order != MR_ORDER_BE)
        return -EINVAL;
    if (host == NULL && n != 0)
        return -EINVAL;
    if (__builtin_mul_overflow(n, w, bytes) || *bytes > r.len)
        return -ERANGE;
    return 0;
}

static ssize_t encode(struct mr_region dst, const void *src, size_t n, size_t w,
                      enum mr_order order)
{
    size_t bytes;
    int rc;
    if (mr_region_is_ro(dst))
        return -EACCES;
    if ((rc = check_convert(dst, src, n, w, order, &bytes)) < 0)
        return rc;
    return convert(dst.ptr, src, n, w, order);
}

static ssize_t decode(void *dst, struct mr_region src, size_t n, size_t w, enum mr_order order)
{
    size_t bytes;
    int rc;
    if ((rc = check_convert(src, dst, n, w, order, &bytes)) < 0)
        return rc;
    return convert(dst, src.ptr, n, w, order);
}

ssize_t mr_iobuf_encode_u16(struct mr_region dst, const void *src, size_t n, enum mr_order order)
{
    return encode(dst, src, n, 2, order);
}

ssize_t mr_iobuf_encode_u32(struct mr_region dst, const void *src, size_t n, enum mr_order order)
{
    return encode(dst, src, n, 4, order);
}

ssize_t mr_iobuf_encode_u64(struct mr_region dst, const void *src, size_t n, enum mr_order order)
{
    return encode(dst, src, n, 8, order);
}

ssize_t mr_iobuf_decode_u16(void *dst, struct mr_region src, size_t n, enum mr_order order)
{
    return decode(dst, src, n, 2, order);
}

ssize_t mr_iobuf_decode_u32(void *dst, struct mr_region src, size_t n, enum mr_order order)
{
    return decode(dst, src, n, 4, order);
}

ssize_t mr_iobuf_decode_u64(void *dst, struct mr_region src, size_t n, enum mr_order order)
{
    return decode(dst, src, n, 8, order);
}
