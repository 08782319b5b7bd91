/* SPDX-License-Identifier: MIT */
/* src/map.c: files as regions (mmap); the copies in and out of them are
 * guarded by the SIGBUS guard (src/guard.c). */
#include "internal.h"
#include "map_internal.h"

#include <memregion/map.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22 /* Linux 5.14; older C library headers lack it */
#endif

/* struct mr_map's private flag bits. */
#define MAP_HAS_FD 0x1u

#define MAP_OPEN_FLAGS (MR_MAP_POPULATE | MR_MAP_NO_FD)

/* The largest file offset off_t holds: a file's size and every offset into
 * it are at most this. */
#define MAP_OFF_MAX ((uint64_t)(sizeof(off_t) == 8 ? INT64_MAX : INT32_MAX))

/* ---- system calls ----------------------------------------------------------------
 * msync and madvise are not retried: neither sleeps interruptibly, except
 * MADV_POPULATE_*, which returns EINTR only when a fatal signal is pending. */

static int mr__sys_msync(void *addr, size_t len, int flags)
{
    return msync(addr, len, flags) < 0 ? -errno : 0;
}

static int mr__sys_madvise(void *addr, size_t len, int advice)
{
    return madvise(addr, len, advice) < 0 ? -errno : 0;
}

int mr__map_touch(const void *p, size_t len)
{
    size_t page = mr__page_size();
    uintptr_t a = (uintptr_t)p, end = a + len;
    unsigned char b;

    while (a < end) {
        int rc = mr_guard_copy(&b, (const void *)a, 1);
        if (rc < 0)
            return rc;
        a = (a | (page - 1)) + 1;
    }
    return 0;
}

static bool mode_ok(int mode)
{
    return mode == MR_MAP_READ || mode == MR_MAP_SHARED || mode == MR_MAP_PRIVATE;
}

static void map_clear(struct mr_map *m)
{
    memset(m, 0, sizeof *m);
    m->fd = -1;
}

/* Map the range of fd into *m (which the caller cleared), leaving the fd's
 * ownership to the caller. On failure nothing is mapped and *m is unchanged. */
static int map_fd_range(struct mr_map *m, int fd, int mode, uint64_t off, size_t len,
                        unsigned flags)
{
    struct stat st;
    int rc;

    if ((rc = mr__sys_fstat(fd, &st)) < 0)
        return rc;
    if (S_ISDIR(st.st_mode))
        return -EISDIR;
    if (!S_ISREG(st.st_mode))
        return -ENODEV;
    /* Checked against the size now, before mmap: a page past the end of the
     * file would map without complaint and raise SIGBUS at first touch. */
    uint64_t size = (uint64_t)st.st_size;
    if (off > size)
        return -ERANGE;
    if (len == MR_MAP_TO_END) {
        if (size - off > (uint64_t)PTRDIFF_MAX)
            return -ERANGE;
        len = (size_t)(size - off);
    } else if ((uint64_t)len > size - off || len > PTRDIFF_MAX) {
        return -ERANGE;
    }

    size_t delta = (size_t)(off & (mr__page_size() - 1));
    void *base = NULL;
    if (len > 0) {
        int prot = mode == MR_MAP_READ ? PROT_READ : PROT_READ | PROT_WRITE;
        int type = mode == MR_MAP_PRIVATE ? MAP_PRIVATE : MAP_SHARED;
        if ((rc = mr__sys_mmap(NULL, delta + len, prot, type, fd, (off_t)(off - delta), &base)) < 0)
            return rc;
    }
    m->region.ptr = base ? (unsigned char *)base + delta : NULL;
    m->region.len = len;
    m->region.flags = mode == MR_MAP_READ ? MR_REGION_RDONLY : 0;
    m->base = base;
    m->map_len = base ? delta + len : 0;
    m->offset = off;
    m->mode = (unsigned)mode;
    if (flags & MR_MAP_POPULATE)
        (void)mr_map_populate(m);
    return 0;
}

/* fd is the map's own: keep it, or close it at once with MR_MAP_NO_FD. */
static void map_take_fd(struct mr_map *m, int fd, unsigned flags)
{
    if (flags & MR_MAP_NO_FD) {
        mr__sys_close(fd);
        return;
    }
    m->fd = fd;
    m->flags |= MAP_HAS_FD;
}

/* O_NONBLOCK: opening a FIFO would otherwise wait for a writer, only for the
 * FIFO to be refused right after (it has no size to check). It changes
 * nothing for a regular file. */
#define MAP_OPEN_OFLAGS (O_CLOEXEC | O_NOCTTY | O_NONBLOCK)

int mr_map_open_range(struct mr_map *m, const char *path, enum mr_map_mode mode, uint64_t off,
                      size_t len, unsigned flags)
{
    if (m == NULL)
        return -EINVAL;
    map_clear(m);
    if (path == NULL || !mode_ok((int)mode) || (flags & ~MAP_OPEN_FLAGS))
        return -EINVAL;
    /* A private mapping never writes the file, so read access is enough. */
    int acc = mode == MR_MAP_SHARED ? O_RDWR : O_RDONLY;
    int fd = mr__sys_open(path, acc | MAP_OPEN_OFLAGS, 0);
    if (fd < 0)
        return fd;
    int rc = map_fd_range(m, fd, (int)mode, off, len, flags);
    if (rc < 0) {
        mr__sys_close(fd);
        map_clear(m);
        return rc;
    }
    map_take_fd(m, fd, flags);
    return 0;
}

int mr_map_open(struct mr_map *m, const char *path, enum mr_map_mode mode, unsigned flags)
{
    return mr_map_open_range(m, path, mode, 0, MR_MAP_TO_END, flags);
}

int mr_map_open_fd(struct mr_map *m, int fd, enum mr_map_mode mode, uint64_t off, size_t len,
                   unsigned flags)
{
    if (m == NULL)
        return -EINVAL;
    map_clear(m);
    if (!mode_ok((int)mode) || (flags & ~MAP_OPEN_FLAGS))
        return -EINVAL;
    if (fd < 0)
        return -EBADF;
    int own = fd;
    if (!(flags & MR_MAP_NO_FD) && (own = mr__sys_fcntl(fd, F_DUPFD_CLOEXEC, 0)) < 0)
        return own;
    int rc = map_fd_range(m, own, (int)mode, off, len, flags);
    if (rc < 0) {
        if (own != fd)
            mr__sys_close(own);
        map_clear(m);
        return rc;
    }
    if (own != fd) {
        m->fd = own;
        m->flags |= MAP_HAS_FD;
    }
    return 0;
}

int mr_map_open_new(struct mr_map *m, const char *path, size_t size, mode_t perm, unsigned flags)
{
    const int oflags = O_RDWR | MAP_OPEN_OFLAGS;
    bool created = false;
    struct stat st;
    void *base = NULL;
    int fd, rc;

    if (m == NULL)
        return -EINVAL;
    map_clear(m);
    if (path == NULL || (flags & ~(MAP_OPEN_FLAGS | MR_MAP_EXCL)) || (perm & ~(mode_t)07777))
        return -EINVAL;
    if (size > PTRDIFF_MAX || (uint64_t)size > MAP_OFF_MAX)
        return -ERANGE;
    if (perm == 0)
        perm = 0600;
    /* Exclusive creation first, even without MR_MAP_EXCL: it tells whether
     * this call made the file, which a failure must then remove. A file
     * removed between the two opens is created on the next turn. */
    for (int turn = 0;; turn++) {
        if ((fd = mr__sys_open(path, oflags | O_CREAT | O_EXCL, perm)) >= 0) {
            created = true;
            break;
        }
        if (fd != -EEXIST || (flags & MR_MAP_EXCL))
            return fd;
        if ((fd = mr__sys_open(path, oflags, 0)) >= 0)
            break;
        if (fd != -ENOENT || turn == 8)
            return fd;
    }
    if ((rc = mr__sys_fstat(fd, &st)) < 0)
        goto fail;
    rc = S_ISDIR(st.st_mode) ? -EISDIR : !S_ISREG(st.st_mode) ? -ENODEV : 0;
    if (rc < 0)
        goto fail;
    /* Map first, size second: mmap may map past the end of a file, and the
     * length of an existing file then changes only once nothing else can
     * fail. */
    if (size > 0 &&
        (rc = mr__sys_mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0, &base)) < 0)
        goto fail;
    if ((uint64_t)st.st_size != (uint64_t)size && (rc = mr__sys_ftruncate(fd, (off_t)size)) < 0) {
        if (base)
            mr__sys_munmap(base, size);
        goto fail;
    }
    m->region = mr_region_make(base, size);
    m->base = base;
    m->map_len = size;
    m->mode = MR_MAP_SHARED;
    if (flags & MR_MAP_POPULATE)
        (void)mr_map_populate(m);
    map_take_fd(m, fd, flags);
    return 0;

fail:
    mr__sys_close(fd);
    if (created)
        mr__sys_unlink(path);
    return rc;
}

int mr_map_close(struct mr_map *m)
{
    int rc = 0;

    if (m == NULL)
        return 0;
    if (m->base != NULL)
        mr__sys_munmap(m->base, m->map_len);
    if (m->flags & MAP_HAS_FD)
        rc = mr__sys_close(m->fd);
    map_clear(m);
    return rc;
}

/* The whole pages holding the len bytes at off of the region. They lie in
 * the mapping: it starts at a page boundary at or below the region and ends
 * in the page that holds the region's end. */
static int map_pages(const struct mr_map *m, size_t off, size_t len, void **start, size_t *plen)
{
    if (!mr_region_fits(m->region, off, len))
        return -ERANGE;
    *plen = 0;
    if (len == 0)
        return 0;
    uintptr_t a = (uintptr_t)m->region.ptr + off;
    uintptr_t lo = a & ~(uintptr_t)(mr__page_size() - 1);
    *start = (void *)lo;
    *plen = a + len - lo;
    return 0;
}

int mr_map_sync_range(const struct mr_map *m, size_t off, size_t len, int how)
{
    void *start = NULL;
    size_t plen;
    int rc;

    if (m == NULL || (how != MR_MAP_SYNC && how != MR_MAP_ASYNC))
        return -EINVAL;
    if ((rc = map_pages(m, off, len, &start, &plen)) < 0)
        return rc;
    if (plen == 0 || m->mode != MR_MAP_SHARED)
        return 0;
    return mr__sys_msync(start, plen, how == MR_MAP_SYNC ? MS_SYNC : MS_ASYNC);
}

int mr_map_sync(const struct mr_map *m, int how)
{
    if (m == NULL)
        return -EINVAL;
    return mr_map_sync_range(m, 0, m->region.len, how);
}

static int advice_of(enum mr_map_advice a)
{
    switch (a) {
    case MR_MAP_NORMAL:
        return MADV_NORMAL;
    case MR_MAP_SEQUENTIAL:
        return MADV_SEQUENTIAL;
    case MR_MAP_RANDOM:
        return MADV_RANDOM;
    case MR_MAP_WILLNEED:
        return MADV_WILLNEED;
    case MR_MAP_DONTNEED:
        return MADV_DONTNEED;
    case MR_MAP_HUGEPAGE:
#ifdef MADV_HUGEPAGE
        return MADV_HUGEPAGE;
#else
        return -1;
#endif
    }
    return -1;
}

int mr_map_advise_range(const struct mr_map *m, size_t off, size_t len, enum mr_map_advice advice)
{
    void *start = NULL;
    size_t plen;
    int adv = advice_of(advice), rc;

    if (m == NULL || adv < 0)
        return -EINVAL;
    if ((rc = map_pages(m, off, len, &start, &plen)) < 0 || plen == 0)
        return rc;
    return mr__sys_madvise(start, plen, adv);
}

int mr_map_advise(const struct mr_map *m, enum mr_map_advice advice)
{
    if (m == NULL)
        return -EINVAL;
    return mr_map_advise_range(m, 0, m->region.len, advice);
}

int mr_map_populate(const struct mr_map *m)
{
    void *start = NULL;
    size_t plen;
    int rc;

    if (m == NULL)
        return -EINVAL;
    if ((rc = map_pages(m, 0, m->region.len, &start, &plen)) < 0 || plen == 0)
        return rc;
    /* READ for every mode: POPULATE_WRITE would dirty every page of a shared
     * map (all written back) and copy every page of a private one. A kernel
     * before 5.14 does not know the advice (-EINVAL): touch the pages. */
    rc = mr__sys_madvise(start, plen, MADV_POPULATE_READ);
    if (rc == -EINVAL)
        rc = mr__map_touch(start, plen);
    return rc;
}

int mr_map_resize(struct mr_map *m, size_t new_len)
{
    struct stat st;
    int rc;

    if (m == NULL)
        return -EINVAL;
    if (m->mode == 0)
        return -EBADF;
    if (m->mode != MR_MAP_SHARED)
        return -EACCES;
    if (!(m->flags & MAP_HAS_FD))
        return -EBADF;
    if (new_len > PTRDIFF_MAX || (uint64_t)new_len > MAP_OFF_MAX - m->offset)
        return -ERANGE;
    if ((rc = mr__sys_fstat(m->fd, &st)) < 0)
        return rc;
    /* Only a map that ends at the end of the file may set its length: any
     * other would cut off, or leave a hole of zeros before, bytes it does
     * not map. */
    if ((uint64_t)st.st_size != m->offset + m->region.len)
        return -EINVAL;
    if (new_len == m->region.len)
        return 0;

    size_t delta = (size_t)(m->offset & (mr__page_size() - 1));
    off_t new_end = (off_t)(m->offset + new_len);
    void *base = m->base;
    if (new_len > m->region.len) {
        /* The larger mapping is made before the file grows, so that a
         * failed mapping (address space, RLIMIT_AS) leaves the file as it
         * was: undoing a grow with ftruncate fails on a memfd sealed
         * against shrinking. In place if mremap can; else a second mapping
         * that replaces the first only once the file has grown, so that a
         * failed ftruncate (a memfd sealed against growing, RLIMIT_FSIZE,
         * a full disk) leaves the region where it was. The pages past the
         * old end are mapped for a moment beyond the file's end, outside
         * the region, where nothing reaches them. */
        void *grown = NULL;
        bool in_place = base != NULL && mr__sys_mremap(base, m->map_len, delta + new_len, 0, &grown) == 0;
        if (!in_place &&
            (rc = mr__sys_mmap(NULL, delta + new_len, PROT_READ | PROT_WRITE, MAP_SHARED, m->fd,
                               (off_t)(m->offset - delta), &grown)) < 0)
            return rc;
        if ((rc = mr__sys_ftruncate(m->fd, new_end)) < 0) {
            void *back;
            if (!in_place)
                mr__sys_munmap(grown, delta + new_len);
            else if (mr__sys_mremap(base, delta + new_len, m->map_len, 0, &back) < 0)
                m->map_len = delta + new_len; /* stays larger, past the region; goes at close */
            return rc;
        }
        if (!in_place && base != NULL)
            mr__sys_munmap(base, m->map_len);
        m->base = grown;
        m->map_len = delta + new_len;
    } else {
        /* The file shrinks first: a failed ftruncate (a memfd sealed against
         * shrinking) then changes nothing. The pages past the new end are
         * unmapped after it; should that fail, they stay mapped beyond the
         * region's end, out of its reach, and go at close. */
        if ((rc = mr__sys_ftruncate(m->fd, new_end)) < 0)
            return rc;
        if (new_len == 0) {
            if (mr__sys_munmap(base, m->map_len) == 0) {
                m->base = NULL;
                m->map_len = 0;
            }
        } else if (mr__sys_mremap(base, m->map_len, delta + new_len, 0, &base) == 0) {
            m->map_len = delta + new_len;
        }
    }
    m->region.ptr = new_len ? (unsigned char *)m->base + delta : NULL;
    m->region.len = new_len;
    return 0;
}

int mr_map_copy_out(const struct mr_map *m, size_t off, void *dst, size_t n)
{
    if (m == NULL)
        return -EINVAL;
    return mr_guard_read(m->region, off, dst, n);
}

int mr_map_copy_in(const struct mr_map *m, size_t off, const void *src, size_t n)
{
    if (m == NULL)
        return -EINVAL;
    return mr_guard_write(m->region, off, src, n);
}
