/* SPDX-License-Identifier: MIT */
/* src/base.c: version, error text, and the system-call wrappers of internal.h. */
#include "internal.h"

#include <dirent.h>
#include <limits.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

const char *mr_version(void)
{
    return MR_VERSION_STRING;
}

const char *mr_strerror(int code)
{
    if (code == INT_MIN)
        return "Unknown error";
    if (code < 0)
        code = -code;
    /* The codes below carry a library-wide meaning that the C library's text
     * ("Numerical result out of range", "Argument list too long") hides. */
    switch (code) {
    case 0:
        return "Success";
    case ERANGE:
        return "Out of bounds: offset or length outside the region";
    case E2BIG:
        return "Too big: larger than the allocator or object can ever hold";
    case EPROTO:
        return "Protocol error: the peer broke the shared-memory contract";
    default:
        break;
    }
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 32))
    /* strerrordesc_np returns static text and is thread-safe, unlike glibc's
     * strerror, which writes unknown codes into a static buffer. */
    const char *s = strerrordesc_np(code);
    return s ? s : "Unknown error";
#elif defined(__GLIBC__)
    /* glibc before 2.32 has no strerrordesc_np. Its GNU strerror_r returns
     * the static text of a known code without touching the buffer, and
     * writes an unknown one into the buffer, which is how we tell them apart. */
    char buf[1];
    const char *s = strerror_r(code, buf, sizeof buf);
    return s == buf ? "Unknown error" : s;
#else
    /* musl, and C libraries like it: strerror returns text from a static
     * table and is thread-safe there; an unknown code gets the text of 0. */
    const char *s = strerror(code);
    return s == strerror(0) ? "Unknown error" : s;
#endif
}

void mr__panic(const char *file, int line, const char *what)
{
    fprintf(stderr, "memregion: invariant broken at %s:%d: %s\n", file, line, what);
    fflush(stderr);
    abort();
}

int64_t mr__now_ns(void)
{
    struct timespec ts;
    /* CLOCK_MONOTONIC with a valid pointer cannot fail. */
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t mr__deadline(int timeout_ms)
{
    if (timeout_ms < 0)
        return MR__NEVER;
    return mr__now_ns() + (int64_t)timeout_ms * 1000000;
}

int mr__poll_ms(int64_t deadline)
{
    if (deadline == MR__NEVER)
        return -1;
    int64_t left = deadline - mr__now_ns();
    if (left <= 0)
        return 0;
    int64_t ms = (left + 999999) / 1000000;
    return ms > INT_MAX ? INT_MAX : (int)ms;
}

struct timespec mr__timespec_ns(int64_t ns)
{
    return (struct timespec){ .tv_sec = (time_t)(ns / 1000000000), .tv_nsec = (long)(ns % 1000000000) };
}

size_t mr__page_size(void)
{
    static size_t cached;
    size_t ps = __atomic_load_n(&cached, __ATOMIC_RELAXED);
    if (MR_UNLIKELY(ps == 0)) {
        long v = sysconf(_SC_PAGESIZE);
        ps = v > 0 ? (size_t)v : 4096;
        __atomic_store_n(&cached, ps, __ATOMIC_RELAXED);
    }
    return ps;
}

int mr__sys_close(int fd)
{
    /* Never retry close on EINTR: on Linux the fd is already gone, and a retry
     * could close a descriptor another thread just opened. */
    if (close(fd) < 0 && errno != EINTR)
        return -errno;
    return 0;
}

int mr__sys_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off, void **out)
{
    void *p = mmap(addr, len, prot, flags, fd, off);
    if (p == MAP_FAILED)
        return -errno;
    *out = p;
    return 0;
}

int mr__sys_munmap(void *addr, size_t len)
{
    return munmap(addr, len) < 0 ? -errno : 0;
}

int mr__sys_mprotect(void *addr, size_t len, int prot)
{
    return mprotect(addr, len, prot) < 0 ? -errno : 0;
}

int mr__sys_mremap(void *old, size_t old_len, size_t new_len, int flags, void **out)
{
    void *p = mremap(old, old_len, new_len, flags);
    if (p == MAP_FAILED)
        return -errno;
    *out = p;
    return 0;
}

/* ---- files -------------------------------------------------------------------
 * open and ftruncate can be interrupted before they do anything (a FIFO or
 * lock on open), so a retry is the same call again. unlink, fstat and the
 * fcntl commands used do not sleep interruptibly and are not retried. */

int mr__sys_open(const char *path, int flags, mode_t mode)
{
    int fd;
    do
        fd = open(path, flags, mode);
    while (fd < 0 && errno == EINTR);
    return fd < 0 ? -errno : fd;
}

int mr__sys_fstat(int fd, struct stat *st)
{
    return fstat(fd, st) < 0 ? -errno : 0;
}

int mr__sys_fstatat(int dirfd, const char *path, struct stat *st, int flags)
{
    return fstatat(dirfd, path, st, flags) < 0 ? -errno : 0;
}

int mr__sys_ftruncate(int fd, off_t len)
{
    int rc;
    do
        rc = ftruncate(fd, len);
    while (rc < 0 && errno == EINTR);
    return rc < 0 ? -errno : 0;
}

int mr__sys_unlink(const char *path)
{
    return unlink(path) < 0 ? -errno : 0;
}

int mr__sys_fcntl(int fd, int cmd, int arg)
{
    int rc = fcntl(fd, cmd, arg);
    return rc < 0 ? -errno : rc;
}

/* ---- sock and chan layers ---------------------------------------------------
 * poll is not retried here because its timeout must shrink. */
#include <poll.h>

ssize_t mr__sys_getdents64(int fd, void *buf, size_t len)
{
    ssize_t n;
    do
        n = getdents64(fd, buf, len);
    while (n < 0 && errno == EINTR);
    return n < 0 ? -errno : n;
}

int mr__sys_poll(struct pollfd *fds, unsigned long n, int timeout_ms)
{
    int rc = poll(fds, n, timeout_ms);
    return rc < 0 ? -errno : rc;
}
