/* SPDX-License-Identifier: MIT */
/* src/svc_sys.c: the system-call wrappers only the svc layer uses
 * (declared in src/svc_internal.h). */
#include "svc_internal.h"

#include <sys/file.h>
#include <sys/stat.h>

int mr__sys_mkdir(const char *path, mode_t mode)
{
    return mkdir(path, mode) < 0 ? -errno : 0;
}

int mr__sys_flock(int fd, int op)
{
    int rc;
    do
        rc = flock(fd, op);
    while (rc < 0 && errno == EINTR);
    return rc < 0 ? -errno : 0;
}
