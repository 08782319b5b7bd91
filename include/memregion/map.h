/* SPDX-License-Identifier: MIT */
/* memregion/map.h: files as regions.
 *
 * A struct mr_map lives in the caller's storage and maps a file, or a range
 * of one, with mmap. Its region member is the bytes the caller asked for:
 *   MR_MAP_READ     read-only: the region is read-only (MR_REGION_RDONLY), so
 *                   region writes return -EACCES instead of faulting;
 *   MR_MAP_SHARED   read-write, shared: writes reach the file (and every
 *                   other mapping of it), msync makes them durable;
 *   MR_MAP_PRIVATE  read-write, copy-on-write: writes stay in this process.
 * An offset need not be a multiple of the page size: the page holding it is
 * mapped and the region starts inside it. An empty file, or an empty range,
 * maps to an empty region (ptr NULL, len 0) and maps nothing. A range that
 * reaches past the end of the file is refused (-ERANGE) before anything is
 * mapped, so a first touch never meets a missing page.
 *
 *   struct mr_map m;
 *   int rc = mr_map_open(&m, "data.bin", MR_MAP_READ, 0);
 *   if (rc < 0) ...
 *   uint32_t magic;
 *   rc = mr_region_get_u32le(m.region, 0, &magic);
 *   mr_map_close(&m);
 *
 * SIGBUS. A page can still vanish after mapping: when another process
 * truncates the file, touching a page past the new end raises SIGBUS, whose
 * default action ends the process. The guarded copies below (mr_map_copy_out,
 * mr_map_copy_in) and those of memregion/guard.h (mr_guard_*, included here)
 * turn that fault into an error (-EFAULT) instead; guard.h says how their
 * SIGBUS handler shares the signal with the program's own.
 * Plain access through m.region (mr_region_get_*, memcpy) is not guarded.
 *
 * Descriptors: every fd the layer opens is close-on-exec. A map keeps a
 * descriptor of its own (for mr_map_resize) unless opened with MR_MAP_NO_FD;
 * mr_map_close closes it.
 *
 * Thread-safety: a struct mr_map is not shared between threads while one of
 * them opens, resizes or closes it; sync, advise, populate and the guarded
 * copies only read it and may run in many threads at once. The guard itself
 * is thread-safe and async-signal-safe once installed (see memregion/guard.h).
 */
#ifndef MEMREGION_MAP_H
#define MEMREGION_MAP_H

#include <memregion/guard.h>
#include <memregion/region.h>

#ifdef __cplusplus
extern "C" {
#endif

/* How a file is mapped. */
enum mr_map_mode {
    MR_MAP_READ = 1,    /* read-only, shared: sees writes by others */
    MR_MAP_SHARED = 2,  /* read-write, writes reach the file (needs write access) */
    MR_MAP_PRIVATE = 3, /* read-write, copy-on-write: writes never reach the file */
};

/* Flags of the mr_map_open* functions.
 * MR_MAP_POPULATE  prefault every page once mapped, as mr_map_populate does;
 *                  like mmap's MAP_POPULATE, a failure there does not fail
 *                  the open (call mr_map_populate to see it);
 * MR_MAP_NO_FD     keep no descriptor once mapped: one fd fewer held per
 *                  map, and no mr_map_resize;
 * MR_MAP_EXCL      mr_map_open_new only: -EEXIST if the file exists. */
#define MR_MAP_POPULATE 0x1u
#define MR_MAP_NO_FD 0x2u
#define MR_MAP_EXCL 0x4u

/* A length meaning "from the offset to the end of the file". */
#define MR_MAP_TO_END SIZE_MAX

/* How mr_map_sync waits. */
#define MR_MAP_SYNC 1  /* msync(MS_SYNC): return once the bytes are written to the file's storage */
#define MR_MAP_ASYNC 2 /* msync(MS_ASYNC): schedule the write-back and return */

/* Access patterns for mr_map_advise, passed to madvise(2). */
enum mr_map_advice {
    MR_MAP_NORMAL = 0,     /* no special treatment (undoes SEQUENTIAL, RANDOM) */
    MR_MAP_SEQUENTIAL = 1, /* read ahead aggressively, drop pages soon after */
    MR_MAP_RANDOM = 2,     /* no read-ahead */
    MR_MAP_WILLNEED = 3,   /* start reading the pages in now */
    MR_MAP_DONTNEED = 4,   /* drop the pages from this mapping now; see mr_map_advise */
    MR_MAP_HUGEPAGE = 5,   /* back with transparent huge pages where the kernel can */
};

/* region is public and is what the caller uses; the other fields are
 * private. A struct set to MR_MAP_INIT, a zeroed one, or one whose open
 * failed, is a closed map: mr_map_close on it is a no-op returning 0. A
 * closed map reads as an empty one: mr_map_sync, mr_map_advise and
 * mr_map_populate return 0, copies of n > 0 bytes -ERANGE, and
 * mr_map_resize -EBADF. */
struct mr_map {
    struct mr_region region; /* the bytes asked for; read-only for MR_MAP_READ */
    void *base;              /* the mapping, page-aligned; NULL when nothing is mapped */
    size_t map_len;          /* its length from base (region.ptr - base + region.len) */
    uint64_t offset;         /* the file offset of region.ptr */
    int fd;                  /* the map's own descriptor, when flags say it has one */
    unsigned mode;           /* an enum mr_map_mode; 0 when closed */
    unsigned flags;          /* private bits */
};

/* A closed map: mr_map_close on it does nothing. */
#define MR_MAP_INIT { { 0, 0, 0 }, 0, 0, 0, -1, 0, 0 }

/* Map the whole file at path in the given mode. 0 and *m open; or -EINVAL (m
 * or path NULL, unknown mode or flags: MR_MAP_POPULATE, MR_MAP_NO_FD),
 * -EISDIR (a directory), -ENODEV (not a regular file: a FIFO, a device, a
 * socket; their size cannot be checked), -ERANGE (larger than a region can
 * be), or what open(2) or mmap(2) say (-ENOENT, -EACCES, ...). The file is
 * opened read-only for MR_MAP_READ and MR_MAP_PRIVATE, read-write for
 * MR_MAP_SHARED. On failure *m is closed and nothing is left open or mapped.
 * The caller owns the map until mr_map_close. */
MR_API int mr_map_open(struct mr_map *m, const char *path, enum mr_map_mode mode, unsigned flags);

/* As mr_map_open, for the len bytes at offset off of the file (len may be
 * MR_MAP_TO_END). off need not be page-aligned. -ERANGE, before anything is
 * mapped, when off + len passes the end of the file or overflows. */
MR_API int mr_map_open_range(struct mr_map *m, const char *path, enum mr_map_mode mode,
                             uint64_t off, size_t len, unsigned flags);

/* Create the file at path with size bytes (zeros), and map all of it
 * MR_MAP_SHARED. perm is the new file's permission bits (0: 0600), filtered by
 * the umask as open(2) does. Without MR_MAP_EXCL an existing file is opened
 * instead and set to size bytes: its first bytes are kept, the rest cut off
 * or zero-filled. 0 and *m open; or -EINVAL (unknown flags: MR_MAP_EXCL,
 * MR_MAP_POPULATE, MR_MAP_NO_FD; perm above 07777), -ERANGE (size larger than
 * a region can be), -EEXIST (MR_MAP_EXCL and the file exists), -EISDIR,
 * -ENODEV, or what open(2), ftruncate(2), mmap(2) say. On failure *m is
 * closed, nothing is left open or mapped, and a file this call created is
 * removed. */
MR_API int mr_map_open_new(struct mr_map *m, const char *path, size_t size, mode_t perm,
                           unsigned flags);

/* Map the len bytes at offset off of the open file fd (len may be
 * MR_MAP_TO_END; off need not be page-aligned). It does not adopt fd, as
 * mr_shm_adopt_fd does: fd stays the caller's, who must close it;
 * unless MR_MAP_NO_FD is given, the map keeps a close-on-exec duplicate
 * (F_DUPFD_CLOEXEC) and the caller may close fd at once. fd's access mode
 * must allow the mode (MR_MAP_SHARED needs O_RDWR, else -EACCES from mmap).
 * Errors as mr_map_open_range, plus -EBADF. On failure *m is closed and
 * nothing is left open or mapped; fd is never closed. Any file a struct stat
 * calls regular works: files, POSIX shared memory objects, memfds. */
MR_API int mr_map_open_fd(struct mr_map *m, int fd, enum mr_map_mode mode, uint64_t off,
                          size_t len, unsigned flags);

/* Unmap and close the map's descriptor; *m is left closed (as MR_MAP_INIT).
 * A no-op on a closed map (MR_MAP_INIT, zeroed, failed to open, or closed
 * before), so it may be called twice. The region and anything pointing into
 * it die here. Returns 0, or close(2)'s error (the map is closed anyway); a
 * closed map, or m NULL: 0. Not thread-safe with other use of m. */
MR_API int mr_map_close(struct mr_map *m);

/* Write the modified pages of a MR_MAP_SHARED map back to the file: how is
 * MR_MAP_SYNC or MR_MAP_ASYNC. 0, or -EINVAL (unknown how, m NULL), or what
 * msync(2) says (-EIO: a write-back failed). On MR_MAP_READ and
 * MR_MAP_PRIVATE maps, and empty ones, there is nothing to write: 0. */
MR_API int mr_map_sync(const struct mr_map *m, int how);

/* mr_map_sync for the len bytes at off of the region only (whole pages: those
 * that hold them). -ERANGE when they do not fit in the region. */
MR_API int mr_map_sync_range(const struct mr_map *m, size_t off, size_t len, int how);

/* Tell the kernel how the whole map will be used: 0, or -EINVAL (advice
 * unknown, or one the kernel or this mapping does not support: MR_MAP_HUGEPAGE
 * without transparent huge pages), or what madvise(2) says. An empty map: 0.
 * MR_MAP_DONTNEED drops the pages from this process: in a MR_MAP_READ or
 * MR_MAP_SHARED map the next touch reads the file again (nothing is lost),
 * but in a MR_MAP_PRIVATE map it throws away this process's changes. */
MR_API int mr_map_advise(const struct mr_map *m, enum mr_map_advice advice);

/* mr_map_advise for the len bytes at off of the region only. The advice
 * applies to whole pages: with MR_MAP_DONTNEED on a private map, changes in
 * the pages that hold the ends of the range are lost too. -ERANGE when the
 * bytes do not fit in the region. */
MR_API int mr_map_advise_range(const struct mr_map *m, size_t off, size_t len,
                               enum mr_map_advice advice);

/* Read every page of the map in now and map it, so that later access takes
 * no page fault for reading (a first write to a page of a shared map still
 * takes one, to mark it dirty; of a private map, to copy it). Uses
 * madvise(MADV_POPULATE_READ) (Linux 5.14+) and, where the kernel lacks it,
 * guarded reads of a byte per page. 0, or -EFAULT (a page is past the end of
 * the file: it was truncated), -ENOMEM, -EINTR (a fatal signal is pending).
 * An empty map: 0. Thread-safe for distinct maps and for one map. */
MR_API int mr_map_populate(const struct mr_map *m);

/* Set the file's length to the map's offset + new_len and remap: the region
 * becomes new_len bytes long, keeping its first min(old, new) bytes; new
 * bytes are zeros. The region's pointer may move (mremap MREMAP_MAYMOVE):
 * read m->region again, and drop pointers into the old one. Only for a
 * MR_MAP_SHARED map that holds its descriptor and ends where the file ends,
 * since the file's length changes: a range in the middle of a file, or a
 * file someone else resized since, is refused. A non-page-aligned offset is
 * kept. 0, or -EACCES (MR_MAP_READ or MR_MAP_PRIVATE: the map may not
 * change the file), -EBADF (MR_MAP_NO_FD, or closed), -EINVAL (m NULL, or the
 * map does not end at the end of the file), -ERANGE (new_len larger than a
 * region can be), or what ftruncate(2), mmap(2) or mremap(2) say (-EPERM: a
 * sealed memfd; -ENOMEM: no room in the address space); on failure the file,
 * the map and the region's pointer are as they were: a grow maps the larger
 * range before it grows the file. */
MR_API int mr_map_resize(struct mr_map *m, size_t new_len);

/* Copy the n bytes at offset off of the map's region out to dst, guarded: 0,
 * or -ERANGE (they do not fit in the region; nothing copied), or -EFAULT (a
 * page of them vanished: the file was truncated under the map; or a page of
 * dst did, dst being guarded too, as in mr_guard_copy; dst holds some of the
 * bytes). The caller vouches for dst as for memcpy: a SIGSEGV is not caught.
 * Thread-safe. */
MR_API int mr_map_copy_out(const struct mr_map *m, size_t off, void *dst, size_t n);

/* Copy n bytes from src into the map's region at offset off, guarded: 0, or
 * -EACCES (a MR_MAP_READ map), -ERANGE (they do not fit; nothing copied), or
 * -EFAULT (a page vanished; some of the bytes may have been written).
 * Thread-safe; copies into the same bytes from two threads race as two
 * memcpy calls would. */
MR_API int mr_map_copy_in(const struct mr_map *m, size_t off, const void *src, size_t n);

#ifdef __cplusplus
}
#endif

#endif
