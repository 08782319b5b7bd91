/* SPDX-License-Identifier: MIT */
/* memregion/shm.h: POSIX shared-memory objects and memfds.
 *
 * An object is a struct mr_shm in the caller's storage: the fd, the name it
 * was opened by ("/name", or "" for anonymous objects) and flags. The struct
 * owns the fd: each object has exactly one mr_shm_close, and every function
 * that fails leaves no fd open. A struct set to MR_SHM_INIT, or whose open
 * failed, is closed, and mr_shm_close on it is a no-op, so one cleanup label
 * serves every error path:
 *
 *   struct mr_shm shm = MR_SHM_INIT;
 *   struct mr_map m = MR_MAP_INIT;
 *   int rc = mr_shm_open(&shm, "/frames", MR_SHM_RDWR, MR_SHM_USE, MR_SHM_CREATE, 0);
 *   if (rc < 0 || (rc = mr_shm_resize(&shm, 4096)) < 0 ||
 *       (rc = mr_shm_map(&shm, 0, MR_SHM_TO_END, 0, &m)) < 0)
 *       goto out;
 *   ... m.region ...
 * out:
 *   mr_shm_unmap(&m);
 *   mr_shm_close(&shm);
 *
 * Named objects live in /dev/shm (where glibc's shm_open puts them, so
 * Python's multiprocessing.shared_memory and any other POSIX program can
 * open them too; but Python's resource tracker removes an object when the
 * interpreter that created it exits, and before Python 3.13 also one it
 * only attached to, unless the script passes track=False (3.13) or
 * unregisters it). They are opened with open(2) and O_NOFOLLOW, so a symlink
 * planted under the name is refused (-ELOOP), and anything there that is not
 * a regular file is refused: a FIFO with -EINVAL, a directory with -EINVAL
 * (read-only) or -EISDIR (read-write). This holds for every open policy,
 * MR_SHM_SUPERSEDE included: it replaces an object, never a link or a FIFO.
 *
 * Anonymous objects are memfds (sealable: see "seals" below), or where
 * memfd_create is unavailable, /dev/shm objects created under a random name
 * and unlinked at once. They are passed to other processes as fds.
 *
 * Mapping checks the object's size first: a range past the end is refused
 * with -ERANGE before mmap, so it cannot raise SIGBUS on first touch. That
 * check holds only while nobody shrinks the object; across processes, only
 * MR_SEAL_SHRINK makes it hold for good (mr_shm_require_seals).
 *
 * Every fd is close-on-exec. Thread-safety: the calls are system calls on
 * the object's fd and may run concurrently on one object, except
 * mr_shm_close, which must not race any other use of that object.
 */
#ifndef MEMREGION_SHM_H
#define MEMREGION_SHM_H

#include <memregion/alloc.h>
#include <memregion/map.h>
#include <sys/types.h>
#include <time.h>
#if !defined(__cplusplus) && (!defined(__STDC_VERSION__) || __STDC_VERSION__ < 201112L)
/* struct timespec (struct mr_shm_stat): C99's <time.h> lacks it, and glibc
 * declares it there only from C11 or with a POSIX feature macro; POSIX has
 * <sched.h> declare it, and glibc's does in every mode. */
#include <sched.h>
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* The longest name, in bytes after the leading '/' (NAME_MAX). */
#define MR_SHM_NAME_MAX 255

/* Access, for mr_shm_open: exactly one of the two. */
#define MR_SHM_READ 0x1u
#define MR_SHM_RDWR 0x2u
/* Set by the library in struct mr_shm's flags, never passed in. */
#define MR_SHM_CREATED 0x100u /* this open created the object */
#define MR_SHM_ANON 0x200u    /* anonymous: no name in /dev/shm */
#define MR_SHM_MEMFD 0x400u   /* made by memfd_create: it can take seals */

/* What mr_shm_open does when the object exists. */
enum mr_shm_exists {
    MR_SHM_USE = 0,       /* open it as it is */
    MR_SHM_TRUNCATE = 1,  /* open it and cut it to size 0 (needs MR_SHM_RDWR) */
    MR_SHM_EXISTS_FAIL = 2, /* fail with -EEXIST */
    MR_SHM_SUPERSEDE = 3, /* replace it by a new one, atomically: made under a temporary
                             name and renamed over it, so on failure the old one stays */
};

/* What mr_shm_open does when the object does not exist. */
enum mr_shm_missing {
    MR_SHM_MISSING_FAIL = 0, /* fail with -ENOENT */
    MR_SHM_CREATE = 1,       /* create it, empty, with the mode given */
};

struct mr_shm {
    int fd;         /* owned by this struct; -1 when closed */
    unsigned flags; /* MR_SHM_READ or MR_SHM_RDWR, and MR_SHM_CREATED, _ANON, _MEMFD */
    char name[MR_SHM_NAME_MAX + 2]; /* "/name" as opened; "" when anonymous or adopted */
};

/* A closed object: mr_shm_close on it does nothing. */
#define MR_SHM_INIT { -1, 0, { 0 } }

/* ---- names ----------------------------------------------------------------
 * A name is '/' followed by 1 to MR_SHM_NAME_MAX bytes, none of them '/', and
 * not "." or "..". */

/* 0 if name is valid; -EINVAL if it is malformed (NULL, empty, no leading
 * '/', another '/', nothing after the '/', "." or ".."), -ENAMETOOLONG if it
 * is longer than MR_SHM_NAME_MAX after the '/'. Thread-safe. */
MR_API int mr_shm_name_check(const char *name);

/* NULL if name is valid, else why not, as static text for a message
 * ("name must start with '/'"). Thread-safe. */
MR_API const char *mr_shm_name_error(const char *name);

/* ---- opening and closing --------------------------------------------------- */

/* Open the object called name, or create it, as if_exists and if_missing
 * say (the 2 x 4 x 2 cases are tested in test/test_shm_open.c).
 * flags is MR_SHM_READ or MR_SHM_RDWR. A new object gets exactly mode (0:
 * 0600; the umask does not narrow it; bits outside 0777 are -EINVAL) and
 * has size 0; MR_SHM_CREATED in out->flags tells whether this call made it.
 * Returns 0 with *out open; or -EINVAL (flags, mode or enums out of range;
 * MR_SHM_READ with MR_SHM_TRUNCATE; MR_SHM_EXISTS_FAIL with
 * MR_SHM_MISSING_FAIL, which can never succeed; a malformed name; not a
 * regular file), -ENAMETOOLONG, -EEXIST, -ENOENT, -ELOOP (a symlink), or
 * open(2)'s error (-EACCES, -EMFILE, ...), and then *out is closed (fd -1)
 * and no fd is left open. out must not hold an open object (it would leak).
 * Thread-safe for distinct out. */
MR_API int mr_shm_open(struct mr_shm *out, const char *name, unsigned flags,
                       enum mr_shm_exists if_exists, enum mr_shm_missing if_missing,
                       mode_t mode);

/* Create an anonymous read-write object of size 0: a memfd named
 * "memfd:<label>" in /proc (label NULL: "memregion"; at most 249 bytes),
 * close-on-exec, mode 0600, sealable (MR_SHM_MEMFD set). Where memfd_create
 * is unavailable (ENOSYS, or refused with EPERM or EACCES by a sandbox), a
 * /dev/shm object under a random name from getrandom(), created exclusively
 * with mode 0600 (a name that is taken is drawn again, up to 16 times, then
 * -EEXIST) and unlinked at once; it cannot take seals. flags must be 0.
 * 0 with *out open; or -errno with *out closed and nothing left behind.
 * Thread-safe for distinct out. */
MR_API int mr_shm_open_anon(struct mr_shm *out, const char *label, unsigned flags);

/* Adopt fd, e.g. one a peer passed over a socket: it must be a regular file
 * (a memfd, a shm object, any file; a pipe, socket or directory is -EINVAL)
 * open for reading (read-write gives MR_SHM_RDWR, read-only MR_SHM_READ;
 * write-only is -EACCES; an O_PATH fd or no fd, -EBADF). On success *out
 * owns fd, now close-on-exec, and mr_shm_close closes it; on failure the
 * caller still owns fd and *out is closed. Thread-safe for distinct out. */
MR_API int mr_shm_adopt_fd(struct mr_shm *out, int fd);

/* The old name of mr_shm_adopt_fd, with the same contract: it too takes
 * ownership of fd. Kept for this release. */
MR_API int mr_shm_open_fd(struct mr_shm *out, int fd) MR_DEPRECATED("use mr_shm_adopt_fd");

/* Close the object's fd (mappings stay valid until unmapped). out->fd
 * becomes -1 and the name stays, for a later mr_shm_unlink(shm->name). A
 * closed object is a no-op returning 0. Returns close(2)'s error (the fd is
 * closed anyway). Not thread-safe with other use of shm. */
MR_API int mr_shm_close(struct mr_shm *shm);

/* Remove the name from /dev/shm; objects still open or mapped live on until
 * their last fd and mapping go. 0, or -EINVAL / -ENAMETOOLONG (the name),
 * -ENOENT, -EACCES / -EPERM (unlink(2)). Thread-safe. */
MR_API int mr_shm_unlink(const char *name);

/* ---- operations ------------------------------------------------------------ */

/* Set the object's size to size bytes: new bytes read as zero; mappings of
 * bytes cut off raise SIGBUS when touched. Interrupted calls are retried.
 * 0; -EACCES if the object is read-only (MR_SHM_READ), -EFBIG above
 * INT64_MAX or the filesystem's limit, -EPERM if a seal forbids it, -EBADF
 * if shm is closed. Thread-safe. */
MR_API int mr_shm_resize(const struct mr_shm *shm, uint64_t size);

/* Set the object's permission bits (mode & ~0777 is -EINVAL; 0 is allowed
 * here and means no access). 0, or -EPERM if we do not own it. Thread-safe. */
MR_API int mr_shm_chmod(const struct mr_shm *shm, mode_t mode);

/* Change the owner and group; (uid_t)-1 or (gid_t)-1 leaves that one
 * unchanged. 0, or -EPERM when not allowed, -EINVAL for an id the system
 * cannot represent. Thread-safe. */
MR_API int mr_shm_chown(const struct mr_shm *shm, uid_t uid, gid_t gid);

struct mr_shm_stat {
    uint64_t size;
    mode_t mode;   /* permission bits only (mode & 0777) */
    uid_t uid;
    gid_t gid;
    struct timespec atime, mtime, ctime;
};

/* Fill *out with the object's size, permission bits, owner, group and
 * times. 0, or -errno with *out untouched. Thread-safe. */
MR_API int mr_shm_stat(const struct mr_shm *shm, struct mr_shm_stat *out);

/* ---- mapping ----------------------------------------------------------------
 * Mappings are the map layer's struct mr_map (memregion/map.h): its region
 * member is the bytes asked for, starting at any byte offset inside the
 * mapped pages. A zeroed struct mr_map is an empty one. */

/* mr_shm_map flags. */
#define MR_SHM_MAP_RDONLY 0x1u   /* map read-only even if the object is read-write */
#define MR_SHM_MAP_POPULATE 0x2u /* fault every page in now (as mr_map_populate) */

/* len for mr_shm_map: from off to the object's current end. */
#define MR_SHM_TO_END MR_MAP_TO_END

/* Map len bytes of the object from byte off (any offset: the page that holds
 * it is mapped and the region starts inside it), shared, into out->region;
 * read-only (MR_MAP_READ, region flag MR_REGION_RDONLY) for a MR_SHM_READ
 * object or with MR_SHM_MAP_RDONLY, else read-write (MR_MAP_SHARED). The
 * range must lie within the object's size now: else -ERANGE, before any
 * mmap. len 0 (or MR_SHM_TO_END at the end) gives an empty region and maps
 * nothing. 0 and *out open; or -EINVAL (flags), -ERANGE, -EBADF (shm
 * closed), -EPERM (a write seal forbids a writable mapping), -ENOMEM, with
 * *out empty and nothing mapped. The mapping holds no fd of its own and
 * outlives shm's; free it with mr_shm_unmap. Thread-safe. */
MR_API int mr_shm_map(const struct mr_shm *shm, uint64_t off, size_t len, unsigned flags,
                      struct mr_map *out);

/* Unmap m (mr_map_close) and leave it empty; an empty map is a no-op. The
 * region must not be used after. Not thread-safe with other use of m. */
MR_INLINE void mr_shm_unmap(struct mr_map *m)
{
    mr_map_close(m);
}

/* ---- seals -------------------------------------------------------------------
 * A memfd (MR_SHM_MEMFD) can be sealed: each seal forbids something for
 * good, for every process that has the object. A receiver demands the seals
 * it relies on with mr_shm_require_seals before it maps an fd from a peer. */
#define MR_SEAL_SEAL 0x01u         /* no more seals can be added */
#define MR_SEAL_SHRINK 0x02u       /* the size cannot go down */
#define MR_SEAL_GROW 0x04u         /* the size cannot go up */
#define MR_SEAL_WRITE 0x08u        /* no writes at all (no writable mapping may exist when added) */
#define MR_SEAL_FUTURE_WRITE 0x10u /* no new writes; existing writable mappings keep writing */
#define MR_SEAL_ALL 0x1fu

/* Add seals (MR_SEAL_*; other bits -EINVAL). 0; -EPERM if the object takes
 * no seals (a named object, an anonymous one made without memfd_create),
 * is sealed with MR_SEAL_SEAL, or is read-only; -EBUSY for MR_SEAL_WRITE
 * while a writable shared mapping exists. Thread-safe. */
MR_API int mr_shm_seal_add(const struct mr_shm *shm, unsigned seals);

/* The object's seals as MR_SEAL_* bits (>= 0), or -errno. A named object
 * reads as MR_SEAL_SEAL (it can take none); a file on a filesystem without
 * seals, -EINVAL. Thread-safe. */
MR_API int mr_shm_seal_get(const struct mr_shm *shm);

/* For a receiver, before it maps an object a peer handed it: the object is
 * a regular file, has every seal in seals, and holds at least min_size
 * bytes. 0; -EPROTO when seals are missing (also when the object cannot be
 * sealed at all), with the missing MR_SEAL_* bits in *missing if not NULL
 * (mr_shm_seal_names spells them); -ERANGE when it is smaller than min_size;
 * -EINVAL for unknown bits in seals or a non-regular file. Thread-safe. */
MR_API int mr_shm_require_seals(const struct mr_shm *shm, unsigned seals, uint64_t min_size,
                                unsigned *missing);

/* Write the names of seals to buf as "SHRINK|GROW" ("none" for 0; unknown
 * bits as hex), truncated to size - 1 bytes and terminated when size > 0.
 * Returns the full length, as snprintf does. Thread-safe. */
MR_API size_t mr_shm_seal_names(unsigned seals, char *buf, size_t size);

/* ---- listing ----------------------------------------------------------------
 * The objects in /dev/shm: regular files only (POSIX named semaphores, which
 * glibc keeps there as "sem.NAME", are listed too), sorted by name. */
struct mr_shm_entry {
    char name[MR_SHM_NAME_MAX + 2]; /* "/name", ready for mr_shm_open */
    struct mr_shm_stat st;
};

struct mr_shm_list {
    struct mr_shm_entry *entries; /* count entries */
    size_t count;
    struct mr_allocator *alloc;   /* private */
    struct mr_region mem;         /* private: the block entries live in */
};

/* Read /dev/shm into *out, every allocation from a (NULL: mr_heap()).
 * Objects that vanish while it reads are left out. 0 with *out set, to be
 * freed with mr_shm_list_fini; or -ENOMEM (or another allocator error) or
 * open(2)'s or getdents64's error, with *out empty (fini is then a no-op)
 * and nothing allocated or open. Thread-safe as far as a is. */
MR_API int mr_shm_list_init(struct mr_shm_list *out, struct mr_allocator *a);

/* Free the list's memory and empty it. An empty list is a no-op. */
MR_API void mr_shm_list_fini(struct mr_shm_list *l);

#ifdef __cplusplus
}
#endif

#endif
