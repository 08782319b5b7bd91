/* src/base.c: version, error text, and the system-call wrappers of internal.h. */
#include "internal.h"

#include <limits.h>
#include <string.h>
#include <sys/mman.h>
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
    /* strerrordesc_np returns static text and is thread-safe, unlike strerror. */
    const char *s = strerrordesc_np(code);
    return s ? s : "Unknown error";
}

void mr__panic(const char *file, int line, const char *what)
{
    fprintf(stderr, "memregion: invariant broken at %s:%d: %s\n", file, line, what);
    fflush(stderr);
    abort();
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
