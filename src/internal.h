/* src/internal.h: mr__ helpers shared by the sources: system-call wrappers
 * that convert errno exactly once, and always-on invariant checks. */
#ifndef MEMREGION_INTERNAL_H
#define MEMREGION_INTERNAL_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include <memregion/base.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>

/* An invariant the library relies on is broken (heap corruption, a pointer
 * freed to the wrong allocator): report and abort, as musl's malloc does.
 * These are never argument errors, which are returned as -EINVAL. */
#define MR__CHECK(cond, what)                                                 \
    do {                                                                      \
        if (MR_UNLIKELY(!(cond)))                                             \
            mr__panic(__FILE__, __LINE__, (what));                            \
    } while (0)

__attribute__((noreturn, cold)) void mr__panic(const char *file, int line, const char *what);

/* The system's page size, read once. */
size_t mr__page_size(void);

/* x is a power of two (0 is not). */
static inline bool mr__is_pow2(size_t x) { return x != 0 && (x & (x - 1)) == 0; }

/* Round x up to a multiple of the power of two a; false on overflow. */
static inline bool mr__round_up(size_t x, size_t a, size_t *out)
{
    size_t r;
    if (__builtin_add_overflow(x, a - 1, &r))
        return false;
    *out = r & ~(a - 1);
    return true;
}

/* System-call wrappers: -errno on failure, EINTR retried where retrying is
 * correct. They are the only places that read errno. */
int mr__sys_close(int fd);
int mr__sys_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off, void **out);
int mr__sys_munmap(void *addr, size_t len);
int mr__sys_mprotect(void *addr, size_t len, int prot);
int mr__sys_mremap(void *old, size_t old_len, size_t new_len, int flags, void **out);

/* shm layer: open(2) and friends for /dev/shm objects and memfds. mr__sys_open
 * and mr__sys_memfd_create return the new fd; mr__sys_getrandom fills all
 * len bytes or fails; mr__sys_fcntl returns fcntl's non-negative result. */
struct stat;
int mr__sys_open(const char *path, int flags, mode_t mode);
int mr__sys_fstat(int fd, struct stat *st);
int mr__sys_fstatat(int dirfd, const char *path, struct stat *st, int flags);
int mr__sys_ftruncate(int fd, off_t len);
int mr__sys_fchmod(int fd, mode_t mode);
int mr__sys_fchown(int fd, uid_t uid, gid_t gid);
int mr__sys_unlink(const char *path);
int mr__sys_fcntl(int fd, int cmd, int arg);
int mr__sys_memfd_create(const char *name, unsigned flags);
int mr__sys_getrandom(void *buf, size_t len, unsigned flags);
ssize_t mr__sys_getdents64(int fd, void *buf, size_t len);

/* map layer: msync and madvise for mapped files, and the calls the SIGBUS
 * guard's handler makes. sigaction, sigmask and raise are async-signal-safe
 * (the handler saves and restores errno around them). */
#include <signal.h>
int mr__sys_msync(void *addr, size_t len, int flags);
int mr__sys_madvise(void *addr, size_t len, int advice);
int mr__sys_sigaction(int sig, const struct sigaction *act, struct sigaction *old);
int mr__sys_sigmask(int how, const sigset_t *set, sigset_t *old);
int mr__sys_raise(int sig);

#endif
