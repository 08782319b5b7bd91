/* SPDX-License-Identifier: MIT */
/* src/region.c: the out-of-line region operations. */
#include "internal.h"

#include <memregion/region.h>
#include <string.h>

int mr_region_init(struct mr_region *out, void *ptr, size_t len, unsigned flags)
{
    uintptr_t end;
    if (flags & ~MR_REGION_RDONLY)
        return -EINVAL;
    if (ptr == NULL && len != 0)
        return -EINVAL;
    if (len > PTRDIFF_MAX || __builtin_add_overflow((uintptr_t)ptr, len, &end))
        return -ERANGE;
    out->ptr = ptr;
    out->len = len;
    out->flags = flags;
    return 0;
}

int mr_region_fill(struct mr_region r, uint8_t byte)
{
    if (r.flags & MR_REGION_RDONLY)
        return -EACCES;
    if (r.len)
        memset(r.ptr, byte, r.len);
    return 0;
}

int mr_region_clear(struct mr_region r)
{
    return mr_region_fill(r, 0);
}

ssize_t mr_region_copy(struct mr_region dst, struct mr_region src)
{
    size_t n = dst.len < src.len ? dst.len : src.len;
    if (dst.flags & MR_REGION_RDONLY)
        return -EACCES;
    /* memmove with n == 0 may still be handed NULL, which C forbids. */
    if (n)
        memmove(dst.ptr, src.ptr, n);
    return (ssize_t)n;
}

ssize_t mr_region_copy_all(struct mr_region dst, struct mr_region src)
{
    if (dst.flags & MR_REGION_RDONLY)
        return -EACCES;
    if (dst.len < src.len)
        return -ERANGE;
    return mr_region_copy(dst, src);
}

int mr_region_cmp(struct mr_region a, struct mr_region b)
{
    size_t n = a.len < b.len ? a.len : b.len;
    int c = n ? memcmp(a.ptr, b.ptr, n) : 0;
    if (c)
        return c < 0 ? -1 : 1;
    return (a.len > b.len) - (a.len < b.len);
}

bool mr_region_equal(struct mr_region a, struct mr_region b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

ssize_t mr_region_find(struct mr_region hay, struct mr_region needle)
{
    if (needle.len == 0)
        return 0;
    if (needle.len > hay.len)
        return -ENOENT;
    const unsigned char *p = memmem(hay.ptr, hay.len, needle.ptr, needle.len);
    return p ? (ssize_t)(p - (const unsigned char *)hay.ptr) : -ENOENT;
}

int mr_region_hexdump(struct mr_region r, FILE *out, size_t base)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = r.ptr;
    /* One line: offset (up to 16 hex digits), ": ", 39 hex columns, 2 spaces,
     * 16 characters, newline. */
    char line[16 + 2 + 39 + 2 + 16 + 2];

    for (size_t off = 0; off < r.len; off += 16) {
        size_t n = r.len - off < 16 ? r.len - off : 16;
        int k = snprintf(line, sizeof line, "%08zx: ", base + off);
        char *h = line + k;
        char *t = h + 39 + 2;
        memset(h, ' ', 39 + 2);
        for (size_t i = 0; i < n; i++) {
            unsigned char c = p[off + i];
            char *col = h + i * 2 + i / 2;
            col[0] = hex[c >> 4];
            col[1] = hex[c & 15];
            *t++ = (c >= 0x20 && c < 0x7f) ? (char)c : '.';
        }
        *t++ = '\n';
        if (fwrite(line, 1, (size_t)(t - line), out) != (size_t)(t - line))
            return -EIO;
    }
    return ferror(out) ? -EIO : 0;
}
