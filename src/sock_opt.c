/* SPDX-License-Identifier: MIT */
/* src/sock_opt.c: socket options (a table of which apply to which family
 * and type, and their value ranges), the bound device, and the peer's
 * credentials on Unix sockets. */
#include "sock_internal.h"

#include <limits.h>
#include <net/if.h>
#include <netinet/tcp.h>
#include <string.h>

enum { FAM4 = 1, FAM6 = 2, FAMU = 4, FAMIP = FAM4 | FAM6, FAMANY = FAM4 | FAM6 | FAMU };
enum { TSTREAM = 1, TDGRAM = 2, TANY = TSTREAM | TDGRAM };
enum { K_BOOL, K_RANGE, K_LINGER, K_BUF, K_TIMEO, K_ERROR };

struct opt_info {
    int level, name;
    unsigned char families, types, kind;
    int lo, hi;
};

static const struct opt_info opt_table[] = {
    [MR_SOCK_OPT_NODELAY] = { IPPROTO_TCP, TCP_NODELAY, FAMIP, TSTREAM, K_BOOL, 0, 1 },
    [MR_SOCK_OPT_KEEPALIVE] = { SOL_SOCKET, SO_KEEPALIVE, FAMIP, TSTREAM, K_BOOL, 0, 1 },
    [MR_SOCK_OPT_KEEPIDLE] = { IPPROTO_TCP, TCP_KEEPIDLE, FAMIP, TSTREAM, K_RANGE, 1, 32767 },
    [MR_SOCK_OPT_KEEPINTVL] = { IPPROTO_TCP, TCP_KEEPINTVL, FAMIP, TSTREAM, K_RANGE, 1, 32767 },
    [MR_SOCK_OPT_KEEPCNT] = { IPPROTO_TCP, TCP_KEEPCNT, FAMIP, TSTREAM, K_RANGE, 1, 127 },
    [MR_SOCK_OPT_LINGER] = { SOL_SOCKET, SO_LINGER, FAMANY, TSTREAM, K_LINGER, -1, INT_MAX },
    [MR_SOCK_OPT_SNDBUF] = { SOL_SOCKET, SO_SNDBUF, FAMANY, TANY, K_BUF, 1, INT_MAX },
    [MR_SOCK_OPT_RCVBUF] = { SOL_SOCKET, SO_RCVBUF, FAMANY, TANY, K_BUF, 1, INT_MAX },
    [MR_SOCK_OPT_SNDTIMEO] = { SOL_SOCKET, SO_SNDTIMEO, FAMANY, TANY, K_TIMEO, -1, INT_MAX },
    [MR_SOCK_OPT_RCVTIMEO] = { SOL_SOCKET, SO_RCVTIMEO, FAMANY, TANY, K_TIMEO, -1, INT_MAX },
    [MR_SOCK_OPT_BROADCAST] = { SOL_SOCKET, SO_BROADCAST, FAM4, TDGRAM, K_BOOL, 0, 1 },
    [MR_SOCK_OPT_REUSEADDR] = { SOL_SOCKET, SO_REUSEADDR, FAMIP, TANY, K_BOOL, 0, 1 },
    [MR_SOCK_OPT_REUSEPORT] = { SOL_SOCKET, SO_REUSEPORT, FAMIP, TANY, K_BOOL, 0, 1 },
    [MR_SOCK_OPT_V6ONLY] = { IPPROTO_IPV6, IPV6_V6ONLY, FAM6, TANY, K_BOOL, 0, 1 },
    [MR_SOCK_OPT_ERROR] = { SOL_SOCKET, SO_ERROR, FAMANY, TANY, K_ERROR, 0, 0 },
};

static int opt_lookup(const struct mr_sock *s, enum mr_sock_opt opt, const struct opt_info **out)
{
    if (s->fd < 0)
        return -EBADF;
    if ((unsigned)opt >= sizeof opt_table / sizeof opt_table[0])
        return -EINVAL;
    const struct opt_info *o = &opt_table[opt];
    unsigned fam = s->family == AF_INET ? FAM4 : s->family == AF_INET6 ? FAM6 : FAMU;
    unsigned type = s->type == SOCK_STREAM ? TSTREAM : TDGRAM;
    if (!(o->families & fam) || !(o->types & type))
        return -ENOPROTOOPT;
    *out = o;
    return 0;
}

int mr_sock_set_opt(const struct mr_sock *s, enum mr_sock_opt opt, int value)
{
    const struct opt_info *o;
    int rc = opt_lookup(s, opt, &o);
    if (rc < 0)
        return rc;
    switch (o->kind) {
    case K_BOOL:
    case K_RANGE:
    case K_BUF:
        if (value < o->lo || value > o->hi)
            return -EINVAL;
        return mr__sock_set_int_opt(s->fd, o->level, o->name, value);
    case K_LINGER: {
        if (value < -1)
            return -EINVAL;
        struct linger l = { value >= 0, value >= 0 ? value : 0 };
        return mr__sys_setsockopt(s->fd, o->level, o->name, &l, sizeof l);
    }
    case K_TIMEO: {
        if (value < -1)
            return -EINVAL;
        struct timeval tv = { 0, 0 };
        if (value > 0) {
            tv.tv_sec = value / 1000;
            tv.tv_usec = (value % 1000) * 1000;
        }
        return mr__sys_setsockopt(s->fd, o->level, o->name, &tv, sizeof tv);
    }
    default:
        return -EINVAL;
    }
}

int mr_sock_get_opt(const struct mr_sock *s, enum mr_sock_opt opt, int *value)
{
    const struct opt_info *o;
    int rc = opt_lookup(s, opt, &o);
    if (rc < 0)
        return rc;
    switch (o->kind) {
    case K_LINGER: {
        struct linger l;
        socklen_t len = sizeof l;
        if ((rc = mr__sys_getsockopt(s->fd, o->level, o->name, &l, &len)) < 0)
            return rc;
        *value = l.l_onoff ? l.l_linger : -1;
        return 0;
    }
    case K_TIMEO: {
        struct timeval tv;
        socklen_t len = sizeof tv;
        if ((rc = mr__sys_getsockopt(s->fd, o->level, o->name, &tv, &len)) < 0)
            return rc;
        if (tv.tv_sec == 0 && tv.tv_usec == 0) {
            *value = -1;
        } else {
            int64_t ms = (int64_t)tv.tv_sec * 1000 + (tv.tv_usec + 999) / 1000;
            *value = ms > INT_MAX ? INT_MAX : (int)ms;
        }
        return 0;
    }
    default: {
        int v;
        if ((rc = mr__sock_get_int_opt(s->fd, o->level, o->name, &v)) < 0)
            return rc;
        *value = o->kind == K_BOOL ? (v != 0) : o->kind == K_ERROR ? -v : v;
        return 0;
    }
    }
}

int mr_sock_set_keepalive(const struct mr_sock *s, int idle_s, int interval_s, int count)
{
    int rc = mr_sock_set_opt(s, MR_SOCK_OPT_KEEPALIVE, 1);
    if (rc == 0 && idle_s != 0)
        rc = mr_sock_set_opt(s, MR_SOCK_OPT_KEEPIDLE, idle_s);
    if (rc == 0 && interval_s != 0)
        rc = mr_sock_set_opt(s, MR_SOCK_OPT_KEEPINTVL, interval_s);
    if (rc == 0 && count != 0)
        rc = mr_sock_set_opt(s, MR_SOCK_OPT_KEEPCNT, count);
    return rc;
}

int mr_sock_set_device(const struct mr_sock *s, const char *ifname)
{
    if (s->fd < 0)
        return -EBADF;
    if (s->family != AF_INET && s->family != AF_INET6)
        return -ENOPROTOOPT;
    if (ifname == NULL)
        ifname = "";
    size_t n = strlen(ifname);
    if (n >= IF_NAMESIZE)
        return -ENAMETOOLONG;
    return mr__sys_setsockopt(s->fd, SOL_SOCKET, SO_BINDTODEVICE, ifname, (socklen_t)n);
}

ssize_t mr_sock_get_device(const struct mr_sock *s, char *buf, size_t size)
{
    if (s->fd < 0)
        return -EBADF;
    if (s->family != AF_INET && s->family != AF_INET6)
        return -ENOPROTOOPT;
    char name[IF_NAMESIZE + 1];
    socklen_t len = IF_NAMESIZE;
    memset(name, 0, sizeof name);
    int rc = mr__sys_getsockopt(s->fd, SOL_SOCKET, SO_BINDTODEVICE, name, &len);
    if (rc < 0)
        return rc;
    size_t n = strnlen(name, IF_NAMESIZE);
    if (n >= size) {
        if (size > 0)
            buf[0] = '\0';
        return -ENOSPC;
    }
    memcpy(buf, name, n + 1);
    return (ssize_t)n;
}

/* ==== peer credentials ==================================================== */

int mr_sock_peer_cred(const struct mr_sock *s, struct mr_sock_cred *out)
{
    if (s->fd < 0)
        return -EBADF;
    if (s->family != AF_UNIX)
        return -ENOPROTOOPT;
    struct ucred uc;
    socklen_t len = sizeof uc;
    int rc = mr__sys_getsockopt(s->fd, SOL_SOCKET, SO_PEERCRED, &uc, &len);
    if (rc < 0)
        return rc;
    /* What the kernel reports when it holds no credentials for the peer. */
    if (uc.pid == 0 && uc.uid == (uid_t)-1)
        return -ENODATA;
    out->pid = uc.pid;
    out->uid = uc.uid;
    out->gid = uc.gid;
    return 0;
}

int mr_sock_peer_check_user(const struct mr_sock *s)
{
    struct mr_sock_cred c;
    int rc = mr_sock_peer_cred(s, &c);
    if (rc < 0)
        return rc;
    return c.uid == mr__sys_geteuid() ? 0 : -EPERM;
}
