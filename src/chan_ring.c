/* SPDX-License-Identifier: MIT */
/* src/chan_ring.c: a header and a ring mapped twice back to back, between
 * guard pages, so that a record is contiguous however the ring wraps and
 * an access outside the mapping faults at once (docs/chan.md, "Why the
 * ring is mapped twice"). */
#include "chan_internal.h"

#include <sys/mman.h>

int mr__ring_map(struct mr__ring *out, int fd, size_t hdr_len, int hdr_prot, size_t cap,
                 int ring_prot, bool populate)
{
    size_t page = mr__page_size();
    size_t len = 3 * page + hdr_len + 2 * cap;
    void *base, *got;
    /* The map layer places mappings where the kernel chooses; these three
     * must sit at fixed places, inside a reservation of our own that nothing
     * else can take. */
    int rc = mr__sys_mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0,
                          &base);
    if (rc < 0)
        return rc;
    unsigned char *hdr = (unsigned char *)base + page;
    unsigned char *ring = hdr + hdr_len + page;
    int fl = MAP_SHARED | MAP_FIXED | (populate ? MAP_POPULATE : 0);
    if ((rc = mr__sys_mmap(hdr, hdr_len, hdr_prot, fl, fd, 0, &got)) < 0 ||
        (rc = mr__sys_mmap(ring, cap, ring_prot, fl, fd, (off_t)hdr_len, &got)) < 0 ||
        (rc = mr__sys_mmap(ring + cap, cap, ring_prot, fl, fd, (off_t)hdr_len, &got)) < 0) {
        mr__sys_munmap(base, len);
        return rc;
    }
    *out = mr__ring_at(hdr, hdr_len, cap);
    return 0;
}

void mr__ring_unmap(const struct mr__ring *r)
{
    mr__sys_munmap(r->base, r->len);
}
