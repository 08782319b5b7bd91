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

#endif
