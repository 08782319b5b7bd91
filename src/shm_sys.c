/* SPDX-License-Identifier: MIT */
/* src/shm_sys.c: the system-call wrappers only the shm layer uses
 * (declared in src/shm_internal.h).
 *
 * getrandom can be interrupted before it does anything (a signal while
 * it waits for entropy), so a retry is the same call again. fchmod,
 * fchown, rename and memfd_create do not sleep interruptibly and are not
 * retried. */
#include "internal.h"
#include "shm_internal.h"

#include <stdio.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

int mr__sys_fchmod(int fd, mode_t mode)
{
    return fchmod(fd, mode) < 0 ? -errno : 0;
}

int mr__sys_fchown(int fd, uid_t uid, gid_t gid)
{
    return fchown(fd, uid, gid) < 0 ? -errno : 0;
}

int mr__sys_rename(const char *from, const char *to)
{
    return rename(from, to) < 0 ? -errno : 0;
}

int mr__sys_memfd_create(const char *name, unsigned flags)
{
    int fd = memfd_create(name, flags);
    return fd < 0 ? -errno : fd;
}

int mr__sys_getrandom(void *buf, size_t len, unsigned flags)
{
    unsigned char *p = buf;
    while (len > 0) {
        ssize_t n = getrandom(p, len, flags);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}
