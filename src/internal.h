/* SPDX-License-Identifier: MIT */
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
#include <time.h>

/* An invariant the library relies on is broken (heap corruption, a pointer
 * freed to the wrong allocator): report and abort, as musl's malloc does.
 * These are never argument errors, which are returned as -EINVAL. */
#define MR__CHECK(cond, what)                                                 \
    do {                                                                      \
        if (MR_UNLIKELY(!(cond)))                                             \
            mr__panic(__FILE__, __LINE__, (what));                            \
    } while (0)

__attribute__((noreturn, cold)) void mr__panic(const char *file, int line, const char *what);

/* A slow path kept out of line, so that the fast path calling it is a
 * leaf that saves no registers (the channel's and the topic's calls; what
 * such a path must have in line is MR_INLINE). */
#define MR__NOINLINE __attribute__((noinline))

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

/* An alignment a caller asked for: a power of two no larger than a page
 * (-EINVAL otherwise). The alloc and iobuf layers both accept exactly this. */
static inline int mr__check_align(size_t align)
{
    return mr__is_pow2(align) && align <= mr__page_size() ? 0 : -EINVAL;
}

/* Time and deadlines, one meaning everywhere. A public timeout_ms is
 * MR_FOREVER (-1, no limit), 0 (look once, never wait) or a count of
 * milliseconds; any other negative value is -EINVAL (mr__timeout_ok). Inside
 * the library a wait runs to a deadline: an absolute CLOCK_MONOTONIC time in
 * nanoseconds, MR__NEVER for none, so that a signal or a spurious wake-up
 * that restarts the wait never extends it. */
#define MR__NEVER INT64_MAX
static inline bool mr__timeout_ok(int timeout_ms) { return timeout_ms >= MR_FOREVER; }
/* CLOCK_MONOTONIC now, in nanoseconds. */
int64_t mr__now_ns(void);
/* The deadline timeout_ms from now: MR__NEVER for a negative timeout. */
int64_t mr__deadline(int timeout_ms);
/* The poll(2) timeout that ends at deadline: -1 for MR__NEVER, 0 once it
 * has passed, else the milliseconds left rounded up, so that a poll that
 * times out with a non-zero timeout means the deadline has passed. */
int mr__poll_ms(int64_t deadline);
/* A relative timespec for ns nanoseconds (ns >= 0), as futex(2) takes. */
struct timespec mr__timespec_ns(int64_t ns);

/* One step of a spin-wait: the CPU's pause hint (or a compiler barrier). */
static inline void mr__cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield" ::: "memory");
#else
    __asm__ __volatile__("" ::: "memory");
#endif
}

/* System-call wrappers: -errno on failure, EINTR retried where retrying is
 * correct. They are the only places that read errno. */
int mr__sys_close(int fd);
int mr__sys_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off, void **out);
int mr__sys_munmap(void *addr, size_t len);
int mr__sys_mprotect(void *addr, size_t len, int prot);
int mr__sys_mremap(void *old, size_t old_len, size_t new_len, int flags, void **out);

/* Files, for several layers: open(2) and friends.
 * mr__sys_open returns the new fd; mr__sys_fcntl returns fcntl's
 * non-negative result. (The calls only the shm layer makes are in
 * src/shm_internal.h.) */
struct stat;
int mr__sys_open(const char *path, int flags, mode_t mode);
int mr__sys_fstat(int fd, struct stat *st);
int mr__sys_fstatat(int dirfd, const char *path, struct stat *st, int flags);
int mr__sys_ftruncate(int fd, off_t len);
int mr__sys_unlink(const char *path);
int mr__sys_fcntl(int fd, int cmd, int arg);
/* shm and svc layers: directory entries (struct dirent64), the bytes read,
 * 0 at the end of the directory; EINTR retried. */
ssize_t mr__sys_getdents64(int fd, void *buf, size_t len);

/* sock and chan layers: poll (not retried: the caller recomputes the time
 * left). The socket calls are the sock layer's own (src/sock_internal.h),
 * the name services the addr layer's (src/addr_internal.h). */
struct pollfd;
int mr__sys_poll(struct pollfd *fds, unsigned long n, int timeout_ms);

#endif
