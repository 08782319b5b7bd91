/* SPDX-License-Identifier: MIT */
/* src/svc_proto.c: the services' names and greeting (laid out in
 * docs/svc.md): where a name lives, with the private directory's checks,
 * and making and checking the two greeting messages. What a peer sent is
 * checked whole before any of it is used. */
#include "svc_internal.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define HELLO_MAGIC "MRSVCHI1"
#define REPLY_MAGIC "MRSVCOK1"

static bool name_ok(const char *name)
{
    size_t n = strnlen(name, MR_SVC_NAME_MAX + 1);
    if (n == 0 || n > MR_SVC_NAME_MAX || name[0] == '.')
        return false;
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '.' || *p == '_' || *p == '-'))
            return false;
    return true;
}

/* The directory is opened without following a link and checked through
 * the fd, so that nothing can be swapped in between the check and its use.
 * Another user's directory, or one others may enter, would let them plant
 * a socket of their own under a name. */
static int open_dir(const char *dir, uid_t uid)
{
    int fd = mr__sys_open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0);
    if (fd == -ELOOP || fd == -ENOTDIR) {
        /* A link (to a directory or not) is refused as a link, which
         * O_DIRECTORY reports as ENOTDIR. */
        struct stat st;
        if (mr__sys_fstatat(AT_FDCWD, dir, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
            return -EPERM;
        return -ENOTDIR;
    }
    if (fd < 0)
        return fd;
    struct stat st;
    int rc = mr__sys_fstat(fd, &st);
    if (rc == 0 && !S_ISDIR(st.st_mode))
        rc = -ENOTDIR;
    else if (rc == 0 && st.st_uid != uid)
        rc = -EPERM;
    else if (rc == 0 && (st.st_mode & 077) != 0)
        rc = -EACCES;
    if (rc < 0) {
        mr__sys_close(fd);
        return rc;
    }
    return fd;
}

int mr__svc_where(const char *name, bool make, struct mr_addr *addr, int *dirfd)
{
    *dirfd = -1;
    if (!name)
        return -EINVAL;
    unsigned long uid = (unsigned long)geteuid();
    if (name[0] == '@') {
        if (!name_ok(name + 1))
            return -EINVAL;
        char buf[MR_ADDR_UNIX_MAX + 1];
        int n = snprintf(buf, sizeof buf, "memregion-%s", name + 1);
        if (n < 0 || (size_t)n >= sizeof buf)
            return -ENAMETOOLONG;
        return mr_addr_unix_abstract(addr, buf, (size_t)n);
    }
    if (!name_ok(name))
        return -EINVAL;
    /* secure_getenv: a set-uid program must not be pointed at a directory
     * of its caller's choosing. */
    const char *base = secure_getenv("XDG_RUNTIME_DIR");
    if (!base || base[0] != '/')
        base = "/tmp";
    char dir[MR_ADDR_UNIX_MAX + 1], path[MR_ADDR_UNIX_MAX + 1];
    int n = snprintf(dir, sizeof dir, "%s/memregion-%lu", base, uid);
    if (n < 0 || (size_t)n >= sizeof dir)
        return -ENAMETOOLONG;
    n = snprintf(path, sizeof path, "%s/%s.svc", dir, name);
    if (n < 0 || (size_t)n >= sizeof path)
        return -ENAMETOOLONG;
    if (make) {
        int rc = mr__sys_mkdir(dir, 0700);
        if (rc < 0 && rc != -EEXIST)
            return rc;
    }
    int fd = open_dir(dir, (uid_t)uid);
    if (fd < 0)
        return fd;
    int rc = mr_addr_unix(addr, path);
    if (rc < 0) {
        mr__sys_close(fd);
        return rc;
    }
    *dirfd = fd;
    return 0;
}

void mr__svc_hello_make(unsigned char buf[MR__SVC_HELLO_LEN], uint32_t kind)
{
    memcpy(buf, HELLO_MAGIC, 8);
    mr_store_u32le(buf, 8, MR__SVC_VERSION);
    mr_store_u32le(buf, 12, kind);
}

int mr__svc_hello_parse(const unsigned char *buf, size_t n)
{
    if (n != MR__SVC_HELLO_LEN || memcmp(buf, HELLO_MAGIC, 8) != 0 ||
        mr_load_u32le(buf, 8) != MR__SVC_VERSION)
        return -EPROTO;
    uint32_t kind = mr_load_u32le(buf, 12);
    if (kind != MR__SVC_KIND_CONNECT && kind != MR__SVC_KIND_LOOK && kind != MR__SVC_KIND_INFO)
        return -EPROTO;
    return (int)kind;
}

void mr__svc_reply_make(unsigned char buf[MR__SVC_REPLY_LEN], uint32_t status, uint32_t shape,
                        uint32_t flags, uint64_t capacity)
{
    memcpy(buf, REPLY_MAGIC, 8);
    mr_store_u32le(buf, 8, MR__SVC_VERSION);
    mr_store_u32le(buf, 12, status);
    mr_store_u32le(buf, 16, shape);
    mr_store_u32le(buf, 20, flags);
    mr_store_u64le(buf, 24, capacity);
}

int mr__svc_reply_parse(const unsigned char *buf, size_t n, uint32_t *shape, uint32_t *flags,
                        uint64_t *capacity)
{
    if (n != MR__SVC_REPLY_LEN || memcmp(buf, REPLY_MAGIC, 8) != 0 ||
        mr_load_u32le(buf, 8) != MR__SVC_VERSION)
        return -EPROTO;
    uint32_t status = mr_load_u32le(buf, 12), sh = mr_load_u32le(buf, 16),
             fl = mr_load_u32le(buf, 20);
    uint64_t cap = mr_load_u64le(buf, 24);
    if (status == EACCES || status == ENOPROTOOPT)
        return sh == 0 && fl == 0 && cap == 0 ? -(int)status : -EPROTO;
    if (status == 0 && sh == 0 && fl == 0 && cap == 0) {
        /* A connection without channels (MR_SVC_NO_CHANNELS). */
        *shape = 0;
        *flags = 0;
        *capacity = 0;
        return 0;
    }
    if (status != 0 || sh == 0 || (sh & ~(MR__SVC_SHAPE_C2S | MR__SVC_SHAPE_S2C)) != 0 ||
        (fl & ~MR__SVC_REPLY_FENCED) != 0 || cap < MR_CHAN_CAPACITY_MIN ||
        cap > MR_CHAN_CAPACITY_MAX || (cap & (cap - 1)) != 0)
        return -EPROTO;
    *shape = sh;
    *flags = fl;
    *capacity = cap;
    return 0;
}
