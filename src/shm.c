/* SPDX-License-Identifier: MIT */
/* src/shm.c: POSIX shared-memory objects in /dev/shm, memfds and seals,
 * mapping with a size check, and the /dev/shm listing. */
#include "internal.h"
#include "shm_internal.h"

#include <memregion/shm.h>

#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

/* glibc's shm_open builds the same path (its mount point is fixed at
 * /dev/shm since 2.34), so objects opened here and by shm_open are the same. */
#define SHM_DIR "/dev/shm"
#define SHM_PATH_MAX (sizeof SHM_DIR + MR_SHM_NAME_MAX + 2)

/* A race (another process creating or unlinking the same name between our
 * two calls) costs one more round; this many in a row means someone is
 * fighting us for the name. */
#define OPEN_TRIES 16
#define ANON_TRIES 16

/* memfd_create refuses longer names: 255 minus the "memfd:" prefix. */
#define MEMFD_LABEL_MAX 249

_Static_assert(MR_SHM_NAME_MAX == NAME_MAX, "shm names are one /dev/shm directory entry");

/* ==== names =============================================================== */

static const char *name_problem(const char *name, int *code)
{
    *code = -EINVAL;
    if (name == NULL)
        return "name is NULL";
    if (name[0] == '\0')
        return "name is empty";
    if (name[0] != '/')
        return "name must start with '/'";
    if (name[1] == '\0')
        return "name has nothing after the '/'";
    if (strchr(name + 1, '/') != NULL)
        return "name must not contain a '/' after the first character";
    if (strcmp(name, "/.") == 0 || strcmp(name, "/..") == 0)
        return "name must not be \"/.\" or \"/..\"";
    if (strlen(name + 1) > MR_SHM_NAME_MAX) {
        *code = -ENAMETOOLONG;
        return "name is longer than NAME_MAX (255) bytes after the '/'";
    }
    *code = 0;
    return NULL;
}

int mr_shm_name_check(const char *name)
{
    int code;
    name_problem(name, &code);
    return code;
}

const char *mr_shm_name_error(const char *name)
{
    int code;
    return name_problem(name, &code);
}

static int shm_path(char path[SHM_PATH_MAX], const char *name)
{
    int code;
    name_problem(name, &code);
    if (code < 0)
        return code;
    memcpy(path, SHM_DIR, sizeof SHM_DIR - 1);
    strcpy(path + sizeof SHM_DIR - 1, name);
    return 0;
}

static void shm_set_closed(struct mr_shm *s)
{
    s->fd = -1;
    s->flags = 0;
    s->name[0] = '\0';
}

/* ==== opening ============================================================== */

/* Open an existing object. O_NONBLOCK: a FIFO planted under the name would
 * otherwise block a read-only open until a writer came; it is refused below
 * and the flag is cleared again for the regular file. */
static int open_existing(const char *path, int acc, bool trunc)
{
    int oflags = acc | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | (trunc ? O_TRUNC : 0);
    int fd = mr__sys_open(path, oflags, 0);
    if (fd < 0)
        return fd;
    struct stat st;
    int rc = mr__sys_fstat(fd, &st);
    if (rc == 0 && !S_ISREG(st.st_mode))
        rc = -EINVAL;
    if (rc == 0)
        rc = mr__sys_fcntl(fd, F_SETFL, 0);
    if (rc < 0) {
        mr__sys_close(fd);
        return rc;
    }
    return fd;
}

/* Create a new object. O_EXCL never follows a symlink (it fails with
 * EEXIST), so what it creates is ours and a regular file. The fchmod gives
 * exactly mode: open(2) would have narrowed it by the umask. */
static int create_excl(const char *path, int acc, mode_t mode)
{
    int fd = mr__sys_open(path, acc | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    if (fd < 0)
        return fd;
    int rc = mr__sys_fchmod(fd, mode);
    if (rc < 0) {
        mr__sys_unlink(path);
        mr__sys_close(fd);
        return rc;
    }
    return fd;
}

static int supersede(const char *path, int acc, mode_t mode, enum mr_shm_missing if_missing,
                     bool *created);

int mr_shm_open(struct mr_shm *out, const char *name, unsigned flags,
                enum mr_shm_exists if_exists, enum mr_shm_missing if_missing, mode_t mode)
{
    char path[SHM_PATH_MAX];
    int fd = -ENOENT;
    bool created = false;

    /* The name first: it may be out->name, kept by mr_shm_close. */
    int rc = shm_path(path, name);
    shm_set_closed(out);
    if (flags != MR_SHM_READ && flags != MR_SHM_RDWR)
        return -EINVAL;
    if ((unsigned)if_exists > MR_SHM_SUPERSEDE || (unsigned)if_missing > MR_SHM_CREATE)
        return -EINVAL;
    if (mode & ~(mode_t)0777)
        return -EINVAL;
    /* POSIX leaves O_TRUNC on a read-only open undefined (Linux truncates). */
    if (flags == MR_SHM_READ && if_exists == MR_SHM_TRUNCATE)
        return -EINVAL;
    if (if_exists == MR_SHM_EXISTS_FAIL && if_missing == MR_SHM_MISSING_FAIL)
        return -EINVAL;
    if (rc < 0)
        return rc;
    if (mode == 0)
        mode = 0600;
    int acc = flags == MR_SHM_RDWR ? O_RDWR : O_RDONLY;

    /* Creation is always O_EXCL, never a bare O_CREAT: then this call knows
     * whether it made the object (MR_SHM_CREATED, the exact mode), and a
     * symlink under the name can never be followed to create a file
     * elsewhere. Races with other processes loop. */
    bool existed = false;
    for (int tries = 0; tries < OPEN_TRIES; tries++) {
        switch (if_exists) {
        case MR_SHM_SUPERSEDE:
            fd = supersede(path, acc, mode, existed ? MR_SHM_CREATE : if_missing, &created);
            existed = true; /* a later round after -EEXIST: it was there */
            break;
        case MR_SHM_EXISTS_FAIL:
            fd = create_excl(path, acc, mode);
            created = fd >= 0;
            if (fd == -EEXIST)
                return fd;
            break;
        case MR_SHM_USE:
        case MR_SHM_TRUNCATE:
            fd = open_existing(path, acc, if_exists == MR_SHM_TRUNCATE);
            if (fd == -ENOENT && if_missing == MR_SHM_CREATE) {
                fd = create_excl(path, acc, mode);
                created = fd >= 0;
            }
            break;
        }
        if (fd != -EEXIST)
            break;
    }
    if (fd < 0)
        return fd;
    out->fd = fd;
    out->flags = flags | (created ? MR_SHM_CREATED : 0u);
    strcpy(out->name, path + sizeof SHM_DIR - 1);
    return 0;
}

static bool fallback_forced;
static uint64_t fallback_next_name; /* 0: draw names from getrandom */

void mr__shm_force_fallback(bool on, uint64_t first_name)
{
    __atomic_store_n(&fallback_next_name, on ? first_name : 0, __ATOMIC_RELAXED);
    __atomic_store_n(&fallback_forced, on, __ATOMIC_RELAXED);
}

/* A name in /dev/shm nobody is likely to hold: prefix and 64 random bits
 * (or, while a test forces the fallback, the next of its chosen names). */
static int random_name(char path[SHM_PATH_MAX], const char *prefix)
{
    uint64_t r = __atomic_load_n(&fallback_next_name, __ATOMIC_RELAXED);
    if (r != 0) {
        r = __atomic_fetch_add(&fallback_next_name, 1, __ATOMIC_RELAXED);
    } else {
        int rc = mr__sys_getrandom(&r, sizeof r, 0);
        if (rc < 0)
            return rc;
    }
    snprintf(path, SHM_PATH_MAX, SHM_DIR "/%s%016" PRIx64, prefix, r);
    return 0;
}

/* Replace the object at path, if there is one, atomically: the new object
 * is made under a name of its own and renamed over the old one, so a failure
 * at any step leaves the old object as it was (unlinking it first, then
 * creating, would lose it when the creation fails). Openers of the old
 * object keep it, as after an unlink. A missing object is created directly,
 * or -ENOENT when if_missing says so; -EEXIST asks the caller to try again. */
static int supersede(const char *path, int acc, mode_t mode, enum mr_shm_missing if_missing,
                     bool *created)
{
    struct stat st;
    int rc = mr__sys_fstatat(AT_FDCWD, path, &st, AT_SYMLINK_NOFOLLOW);
    if (rc == -ENOENT) {
        if (if_missing == MR_SHM_MISSING_FAIL)
            return -ENOENT;
        int fd = create_excl(path, acc, mode);
        *created = fd >= 0;
        return fd;
    }
    if (rc < 0)
        return rc;
    /* What open_existing refuses, supersede refuses too: a planted link is
     * reported, not silently replaced. */
    if (S_ISLNK(st.st_mode))
        return -ELOOP;
    if (S_ISDIR(st.st_mode))
        return acc == O_RDWR ? -EISDIR : -EINVAL;
    if (!S_ISREG(st.st_mode))
        return -EINVAL;
    char tmp[SHM_PATH_MAX];
    for (int tries = 0; tries < ANON_TRIES; tries++) {
        if ((rc = random_name(tmp, ".mr-new-")) < 0)
            return rc;
        int fd = create_excl(tmp, acc, mode);
        if (fd == -EEXIST)
            continue;
        if (fd < 0)
            return fd;
        if ((rc = mr__sys_rename(tmp, path)) < 0) {
            mr__sys_unlink(tmp);
            mr__sys_close(fd);
            return rc;
        }
        *created = true;
        return fd;
    }
    return -EEXIST;
}

/* The name is unlinked before anyone could know it was chosen; a
 * collision means someone holds that name, so another one is drawn. */
static int anon_fallback(void)
{
    char path[SHM_PATH_MAX];
    for (int tries = 0; tries < ANON_TRIES; tries++) {
        int rc = random_name(path, "mr-anon-");
        if (rc < 0)
            return rc;
        int fd = create_excl(path, O_RDWR, 0600);
        if (fd == -EEXIST)
            continue;
        if (fd < 0)
            return fd;
        if ((rc = mr__sys_unlink(path)) < 0) {
            mr__sys_close(fd);
            return rc;
        }
        return fd;
    }
    return -EEXIST;
}

int mr_shm_open_anon(struct mr_shm *out, const char *label, unsigned flags)
{
    shm_set_closed(out);
    if (flags != 0)
        return -EINVAL;
    if (label == NULL)
        label = "memregion";
    if (strlen(label) > MEMFD_LABEL_MAX)
        return -EINVAL;

    if (!__atomic_load_n(&fallback_forced, __ATOMIC_RELAXED)) {
        int fd = mr__sys_memfd_create(label, MFD_CLOEXEC | MFD_ALLOW_SEALING);
        if (fd >= 0) {
            /* A memfd is born 0777, and a peer of another user that gets a
             * read-only fd of it could reopen it for writing through
             * /proc/<pid>/fd/<n>. */
            int rc = mr__sys_fchmod(fd, 0600);
            if (rc < 0) {
                mr__sys_close(fd);
                return rc;
            }
            out->fd = fd;
            out->flags = MR_SHM_RDWR | MR_SHM_CREATED | MR_SHM_ANON | MR_SHM_MEMFD;
            return 0;
        }
        /* Only "memfd_create is not available here" falls back: an old
         * kernel, or a seccomp or LSM policy that forbids it. */
        if (fd != -ENOSYS && fd != -EPERM && fd != -EACCES)
            return fd;
    }
    int fd = anon_fallback();
    if (fd < 0)
        return fd;
    out->fd = fd;
    out->flags = MR_SHM_RDWR | MR_SHM_CREATED | MR_SHM_ANON;
    return 0;
}

int mr_shm_adopt_fd(struct mr_shm *out, int fd)
{
    shm_set_closed(out);
    if (fd < 0)
        return -EBADF;
    int fl = mr__sys_fcntl(fd, F_GETFL, 0);
    if (fl < 0)
        return fl;
    /* An O_PATH fd reads back as O_RDONLY but can be neither read nor mapped. */
    if (fl & O_PATH)
        return -EBADF;
    unsigned acc;
    switch (fl & O_ACCMODE) {
    case O_RDONLY:
        acc = MR_SHM_READ;
        break;
    case O_RDWR:
        acc = MR_SHM_RDWR;
        break;
    default:
        return -EACCES; /* mmap needs read access */
    }
    struct stat st;
    int rc = mr__sys_fstat(fd, &st);
    if (rc < 0)
        return rc;
    if (!S_ISREG(st.st_mode))
        return -EINVAL;
    if ((rc = mr__sys_fcntl(fd, F_SETFD, FD_CLOEXEC)) < 0)
        return rc;
    out->fd = fd;
    out->flags = acc;
    return 0;
}

int mr_shm_open_fd(struct mr_shm *out, int fd)
{
    return mr_shm_adopt_fd(out, fd);
}

int mr_shm_close(struct mr_shm *shm)
{
    if (shm->fd < 0)
        return 0;
    int rc = mr__sys_close(shm->fd);
    shm->fd = -1;
    shm->flags = 0;
    return rc;
}

int mr_shm_unlink(const char *name)
{
    char path[SHM_PATH_MAX];
    int rc = shm_path(path, name);
    return rc < 0 ? rc : mr__sys_unlink(path);
}

/* ==== operations =========================================================== */

int mr_shm_resize(const struct mr_shm *shm, uint64_t size)
{
    if (shm->fd < 0)
        return -EBADF;
    /* ftruncate on a read-only fd says EINVAL, which would read as a bad size. */
    if (!(shm->flags & MR_SHM_RDWR))
        return -EACCES;
    /* What off_t holds: a 32-bit one would cut 2^32 to 0. */
    if (size > (uint64_t)(sizeof(off_t) == 8 ? INT64_MAX : INT32_MAX))
        return -EFBIG;
    return mr__sys_ftruncate(shm->fd, (off_t)size);
}

int mr_shm_chmod(const struct mr_shm *shm, mode_t mode)
{
    if (mode & ~(mode_t)0777)
        return -EINVAL;
    return mr__sys_fchmod(shm->fd, mode);
}

int mr_shm_chown(const struct mr_shm *shm, uid_t uid, gid_t gid)
{
    return mr__sys_fchown(shm->fd, uid, gid);
}

static void stat_from(struct mr_shm_stat *out, const struct stat *st)
{
    out->size = (uint64_t)st->st_size;
    out->mode = st->st_mode & 0777;
    out->uid = st->st_uid;
    out->gid = st->st_gid;
    out->atime = st->st_atim;
    out->mtime = st->st_mtim;
    out->ctime = st->st_ctim;
}

int mr_shm_stat(const struct mr_shm *shm, struct mr_shm_stat *out)
{
    struct stat st;
    int rc = mr__sys_fstat(shm->fd, &st);
    if (rc < 0)
        return rc;
    stat_from(out, &st);
    return 0;
}

/* ==== mapping ============================================================== */

int mr_shm_map(const struct mr_shm *shm, uint64_t off, size_t len, unsigned flags,
               struct mr_map *out)
{
    if (flags & ~(MR_SHM_MAP_RDONLY | MR_SHM_MAP_POPULATE)) {
        memset(out, 0, sizeof *out);
        return -EINVAL;
    }
    bool writable = (shm->flags & MR_SHM_RDWR) && !(flags & MR_SHM_MAP_RDONLY);
    /* MR_MAP_NO_FD: the object's fd is the caller's to close; a map that
     * never resizes needs no duplicate of it. */
    return mr_map_open_fd(out, shm->fd, writable ? MR_MAP_SHARED : MR_MAP_READ, off, len,
                          MR_MAP_NO_FD | (flags & MR_SHM_MAP_POPULATE ? MR_MAP_POPULATE : 0u));
}

/* ==== seals ================================================================ */

static const struct {
    unsigned mr;
    int kernel;
    const char *name;
} seal_table[] = {
    { MR_SEAL_SEAL, F_SEAL_SEAL, "SEAL" },
    { MR_SEAL_SHRINK, F_SEAL_SHRINK, "SHRINK" },
    { MR_SEAL_GROW, F_SEAL_GROW, "GROW" },
    { MR_SEAL_WRITE, F_SEAL_WRITE, "WRITE" },
    { MR_SEAL_FUTURE_WRITE, F_SEAL_FUTURE_WRITE, "FUTURE_WRITE" },
};
#define NSEALS (sizeof seal_table / sizeof seal_table[0])

int mr_shm_seal_add(const struct mr_shm *shm, unsigned seals)
{
    if (seals & ~MR_SEAL_ALL)
        return -EINVAL;
    int k = 0;
    for (size_t i = 0; i < NSEALS; i++)
        if (seals & seal_table[i].mr)
            k |= seal_table[i].kernel;
    int rc = mr__sys_fcntl(shm->fd, F_ADD_SEALS, k);
    return rc < 0 ? rc : 0;
}

int mr_shm_seal_get(const struct mr_shm *shm)
{
    int k = mr__sys_fcntl(shm->fd, F_GET_SEALS, 0);
    if (k < 0)
        return k;
    /* Seals this library does not know (F_SEAL_EXEC, newer ones) are left out. */
    int seals = 0;
    for (size_t i = 0; i < NSEALS; i++)
        if (k & seal_table[i].kernel)
            seals |= (int)seal_table[i].mr;
    return seals;
}

int mr_shm_require_seals(const struct mr_shm *shm, unsigned seals, uint64_t min_size,
                         unsigned *missing)
{
    struct stat st;
    int rc;

    if (missing)
        *missing = 0;
    if (seals & ~MR_SEAL_ALL)
        return -EINVAL;
    if ((rc = mr__sys_fstat(shm->fd, &st)) < 0)
        return rc;
    if (!S_ISREG(st.st_mode))
        return -EINVAL;
    if (seals != 0) {
        int have = mr_shm_seal_get(shm);
        /* EINVAL: a file whose filesystem has no seals; it lacks them all. */
        if (have == -EINVAL)
            have = 0;
        if (have < 0)
            return have;
        unsigned lack = seals & ~(unsigned)have;
        if (lack != 0) {
            if (missing)
                *missing = lack;
            return -EPROTO;
        }
        /* The size again, now that the seals are known: read before them, it
         * could predate a shrink the peer made just before sealing SHRINK;
         * read after, it can only have grown since. */
        if ((rc = mr__sys_fstat(shm->fd, &st)) < 0)
            return rc;
    }
    if ((uint64_t)(st.st_size > 0 ? st.st_size : 0) < min_size)
        return -ERANGE;
    return 0;
}

size_t mr_shm_seal_names(unsigned seals, char *buf, size_t size)
{
    char tmp[96];
    size_t n = 0;

    if (seals == 0) {
        n = (size_t)snprintf(tmp, sizeof tmp, "none");
    } else {
        for (size_t i = 0; i < NSEALS; i++)
            if (seals & seal_table[i].mr)
                n += (size_t)snprintf(tmp + n, sizeof tmp - n, "%s%s", n ? "|" : "",
                                      seal_table[i].name);
        if (seals & ~MR_SEAL_ALL)
            n += (size_t)snprintf(tmp + n, sizeof tmp - n, "%s0x%x", n ? "|" : "",
                                  seals & ~MR_SEAL_ALL);
    }
    if (size > 0) {
        size_t c = n < size - 1 ? n : size - 1;
        memcpy(buf, tmp, c);
        buf[c] = '\0';
    }
    return n;
}

/* ==== listing ============================================================== */

/* getdents64 rather than opendir: the buffer comes from the caller's
 * allocator like everything else, and no DIR is malloc'ed behind its back. */
#define DIRENT_BUF 32768

static int entry_cmp(const void *a, const void *b)
{
    return strcmp(((const struct mr_shm_entry *)a)->name, ((const struct mr_shm_entry *)b)->name);
}

static int list_add(struct mr_shm_list *l, size_t *cap, const char *name, const struct stat *st)
{
    if (l->count == *cap) {
        size_t ncap = *cap ? *cap * 2 : 16;
        int rc = mr_realloc(l->alloc, &l->mem, ncap * sizeof(struct mr_shm_entry),
                            _Alignof(struct mr_shm_entry));
        if (rc < 0)
            return rc;
        *cap = ncap;
        l->entries = l->mem.ptr;
    }
    struct mr_shm_entry *e = &l->entries[l->count++];
    e->name[0] = '/';
    strcpy(e->name + 1, name);
    stat_from(&e->st, st);
    return 0;
}

int mr_shm_list_init(struct mr_shm_list *out, struct mr_allocator *a)
{
    struct mr_shm_list l = { NULL, 0, a ? a : mr_heap(), { NULL, 0, 0 } };
    struct mr_region buf = { NULL, 0, 0 };
    size_t cap = 0;
    int rc;

    memset(out, 0, sizeof *out);
    int dfd = mr__sys_open(SHM_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
    if (dfd < 0)
        return dfd;
    if ((rc = mr_alloc(l.alloc, DIRENT_BUF, _Alignof(struct dirent64), &buf)) < 0)
        goto fail;
    for (;;) {
        ssize_t n = mr__sys_getdents64(dfd, buf.ptr, buf.len);
        if (n < 0) {
            rc = (int)n;
            goto fail;
        }
        if (n == 0)
            break;
        for (size_t pos = 0; pos < (size_t)n;) {
            const struct dirent64 *d = (const struct dirent64 *)((char *)buf.ptr + pos);
            pos += d->d_reclen;
            if (d->d_type != DT_REG && d->d_type != DT_UNKNOWN)
                continue;
            if (strlen(d->d_name) > MR_SHM_NAME_MAX)
                continue;
            struct stat st;
            rc = mr__sys_fstatat(dfd, d->d_name, &st, AT_SYMLINK_NOFOLLOW);
            if (rc == -ENOENT)
                continue; /* unlinked since getdents64 saw it */
            if (rc < 0)
                goto fail;
            if (!S_ISREG(st.st_mode))
                continue;
            if ((rc = list_add(&l, &cap, d->d_name, &st)) < 0)
                goto fail;
        }
    }
    mr_free(l.alloc, buf);
    mr__sys_close(dfd);
    if (l.count > 1)
        qsort(l.entries, l.count, sizeof *l.entries, entry_cmp);
    *out = l;
    return 0;

fail:
    mr_free(l.alloc, l.mem);
    mr_free(l.alloc, buf);
    mr__sys_close(dfd);
    return rc;
}

void mr_shm_list_fini(struct mr_shm_list *l)
{
    mr_free(l->alloc, l->mem);
    memset(l, 0, sizeof *l);
}
