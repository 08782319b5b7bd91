/* SPDX-License-Identifier: MIT */
/* src/sock.c: sockets' lifetimes and state: open (new, adopted, paired,
 * listening, bound, connected, connected by name), close, bind, listen,
 * accept, connect with timeouts, disconnect, shutdown, their addresses, and
 * waiting for readiness. Data, options and fd passing are in the other
 * src/sock_*.c files, behind src/sock_internal.h. */
#include "sock_internal.h"

#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/stat.h>

/* Addresses mr_sock_open_connect_text tries. */
#define CONNECT_TRIES 16

/* ==== opening and closing ================================================= */

static void sock_set_closed(struct mr_sock *s)
{
    s->fd = -1;
    s->family = 0;
    s->type = 0;
    s->flags = 0;
    s->path_pid = 0;
    s->path_dev = 0;
    s->path_ino = 0;
    s->path[0] = '\0';
}

static bool family_ok(int family)
{
    return family == AF_INET || family == AF_INET6 || family == AF_UNIX;
}

static bool type_ok(int type)
{
    return type == SOCK_STREAM || type == SOCK_DGRAM;
}

/* Turn O_NONBLOCK on or off; *old gets the flags before (for restore_fl). */
static int set_nonblock(int fd, bool on, int *old)
{
    int fl = mr__sys_fcntl(fd, F_GETFL, 0);
    if (fl < 0)
        return fl;
    *old = fl;
    int want = on ? (fl | O_NONBLOCK) : (fl & ~O_NONBLOCK);
    return want == fl ? 0 : mr__sys_fcntl(fd, F_SETFL, want);
}

static int restore_fl(int fd, int old)
{
    int fl = mr__sys_fcntl(fd, F_GETFL, 0);
    if (fl < 0)
        return fl;
    return fl == old ? 0 : mr__sys_fcntl(fd, F_SETFL, old);
}

int mr_sock_open(struct mr_sock *out, int family, int type, unsigned flags)
{
    sock_set_closed(out);
    if (flags & ~MR_SOCK_V6ONLY)
        return -EINVAL;
    if (!family_ok(family))
        return -EAFNOSUPPORT;
    if (!type_ok(type))
        return -ESOCKTNOSUPPORT;
    if ((flags & MR_SOCK_V6ONLY) && family != AF_INET6)
        return -EINVAL;
    int fd = mr__sys_socket(family, type | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return fd;
    /* Set either way: the system's default (net.ipv6.bindv6only) varies. */
    if (family == AF_INET6) {
        int rc = mr__sock_set_int_opt(fd, IPPROTO_IPV6, IPV6_V6ONLY, (flags & MR_SOCK_V6ONLY) != 0);
        if (rc < 0) {
            mr__sys_close(fd);
            return rc;
        }
    }
    out->fd = fd;
    out->family = family;
    out->type = type;
    return 0;
}

int mr_sock_adopt_fd(struct mr_sock *out, int fd, unsigned flags)
{
    sock_set_closed(out);
    if (flags != 0)
        return -EINVAL;
    if (fd < 0)
        return -EBADF;
    int family, type, listening;
    int rc = mr__sock_get_int_opt(fd, SOL_SOCKET, SO_DOMAIN, &family);
    if (rc < 0)
        return rc;
    if (!family_ok(family))
        return -EAFNOSUPPORT;
    if ((rc = mr__sock_get_int_opt(fd, SOL_SOCKET, SO_TYPE, &type)) < 0)
        return rc;
    if (!type_ok(type))
        return -ESOCKTNOSUPPORT;
    if ((rc = mr__sock_get_int_opt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening)) < 0)
        return rc;
    int fl = mr__sys_fcntl(fd, F_GETFL, 0);
    if (fl < 0)
        return fl;
    int fdfl = mr__sys_fcntl(fd, F_GETFD, 0);
    if (fdfl < 0)
        return fdfl;
    if (!(fdfl & FD_CLOEXEC) && (rc = mr__sys_fcntl(fd, F_SETFD, fdfl | FD_CLOEXEC)) < 0)
        return rc;
    if (listening && !(fl & O_NONBLOCK)) {
        rc = mr__sys_fcntl(fd, F_SETFL, fl | O_NONBLOCK);
        if (rc < 0) {
            /* Give the fd back as it came. */
            mr__sys_fcntl(fd, F_SETFD, fdfl);
            return rc;
        }
        fl |= O_NONBLOCK;
    }
    out->fd = fd;
    out->family = family;
    out->type = type;
    out->flags = (listening ? MR_SOCK_PASSIVE : 0u) |
                 ((fl & O_NONBLOCK) ? MR_SOCK_NONBLOCKING : 0u);
    return 0;
}

int mr_sock_open_fd(struct mr_sock *out, int fd, unsigned flags)
{
    return mr_sock_adopt_fd(out, fd, flags);
}

int mr_sock_open_pair(struct mr_sock *a, struct mr_sock *b, int type, unsigned flags)
{
    sock_set_closed(a);
    sock_set_closed(b);
    if (flags != 0)
        return -EINVAL;
    if (!type_ok(type))
        return -ESOCKTNOSUPPORT;
    int sv[2];
    int rc = mr__sys_socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, sv);
    if (rc < 0)
        return rc;
    a->fd = sv[0];
    b->fd = sv[1];
    a->family = b->family = AF_UNIX;
    a->type = b->type = type;
    return 0;
}

int mr_sock_open_listen(struct mr_sock *out, const struct mr_addr *addr, int backlog,
                        unsigned flags)
{
    sock_set_closed(out);
    if (addr == NULL || addr->len == 0 || backlog < -1 ||
        (flags & ~(MR_SOCK_V6ONLY | MR_SOCK_NO_REUSEADDR | MR_SOCK_REUSEPORT)))
        return -EINVAL;
    int rc = mr_sock_open(out, mr_addr_family(addr), SOCK_STREAM, flags & MR_SOCK_V6ONLY);
    if (rc < 0)
        return rc;
    if ((rc = mr_sock_bind(out, addr, flags & ~MR_SOCK_V6ONLY)) < 0 ||
        (rc = mr_sock_listen(out, backlog)) < 0) {
        mr_sock_close(out);
        return rc;
    }
    return 0;
}

int mr_sock_open_bind(struct mr_sock *out, const struct mr_addr *addr, int type, unsigned flags)
{
    sock_set_closed(out);
    if (addr == NULL || addr->len == 0 ||
        (flags & ~(MR_SOCK_V6ONLY | MR_SOCK_REUSEADDR | MR_SOCK_NO_REUSEADDR | MR_SOCK_REUSEPORT)))
        return -EINVAL;
    int rc = mr_sock_open(out, mr_addr_family(addr), type, flags & MR_SOCK_V6ONLY);
    if (rc < 0)
        return rc;
    if ((rc = mr_sock_bind(out, addr, flags & ~MR_SOCK_V6ONLY)) < 0) {
        mr_sock_close(out);
        return rc;
    }
    return 0;
}

int mr_sock_open_connect(struct mr_sock *out, const struct mr_addr *addr, int type,
                         int timeout_ms, unsigned flags)
{
    sock_set_closed(out);
    if (addr == NULL || addr->len == 0 || !mr__timeout_ok(timeout_ms))
        return -EINVAL;
    int rc = mr_sock_open(out, mr_addr_family(addr), type, flags);
    if (rc < 0)
        return rc;
    if ((rc = mr_sock_connect(out, addr, timeout_ms)) < 0) {
        mr_sock_close(out);
        return rc;
    }
    return 0;
}

int mr_sock_open_connect_text(struct mr_sock *out, const char *text, int type, int timeout_ms,
                              struct mr_addr_error *err)
{
    sock_set_closed(out);
    if (!mr__timeout_ok(timeout_ms))
        return mr__addr_fail(err, 0, -EINVAL, "timeout must be -1 or more");
    /* The lookup's time counts against the timeout too. */
    int64_t at = mr__deadline(timeout_ms);
    struct mr_addr list[CONNECT_TRIES];
    int n = mr_addr_resolve(text, type, list, CONNECT_TRIES, err);
    if (n < 0)
        return n;
    int rc = -ETIMEDOUT;
    for (int i = 0; i < n; i++) {
        /* A zero timeout tries each address once without waiting. */
        int left = mr__poll_ms(at);
        if (left == 0 && timeout_ms > 0) {
            rc = -ETIMEDOUT;
            break;
        }
        rc = mr_sock_open_connect(out, &list[i], type, left, 0);
        if (rc == 0)
            return 0;
    }
    return rc;
}

int mr_sock_close(struct mr_sock *s)
{
    if (s->fd < 0)
        return 0;
    if ((s->flags & MR_SOCK_OWNS_PATH) && s->path_pid == mr__sys_getpid()) {
        struct stat st;
        if (mr__sys_fstatat(AT_FDCWD, s->path, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
            S_ISSOCK(st.st_mode) && (uint64_t)st.st_dev == s->path_dev &&
            (uint64_t)st.st_ino == s->path_ino)
            mr__sys_unlink(s->path);
    }
    int rc = mr__sys_close(s->fd);
    sock_set_closed(s);
    return rc;
}

/* ==== state =============================================================== */

int mr__sock_addr_for(const struct mr_sock *s, const struct mr_addr *addr, struct mr_addr *tmp,
                      const struct mr_addr **use)
{
    if (addr == NULL || addr->len == 0 || addr->len > sizeof addr->storage)
        return -EINVAL;
    int fam = addr->sa.sa_family;
    if (fam == s->family) {
        *use = addr;
        return 0;
    }
    if (s->family == AF_INET6 && fam == AF_INET && mr_addr_map_v4(addr, tmp) == 0) {
        *use = tmp;
        return 0;
    }
    if (s->family == AF_INET && mr_addr_unmap_v4(addr, tmp) == 0) {
        *use = tmp;
        return 0;
    }
    return -EAFNOSUPPORT;
}

int mr_sock_bind(struct mr_sock *s, const struct mr_addr *addr, unsigned flags)
{
    if (s->fd < 0)
        return -EBADF;
    const unsigned known = MR_SOCK_V6ONLY | MR_SOCK_REUSEADDR | MR_SOCK_NO_REUSEADDR |
                           MR_SOCK_REUSEPORT;
    if ((flags & ~known) || (flags & MR_SOCK_REUSEADDR && flags & MR_SOCK_NO_REUSEADDR))
        return -EINVAL;
    struct mr_addr tmp;
    const struct mr_addr *use;
    int rc = mr__sock_addr_for(s, addr, &tmp, &use);
    if (rc < 0)
        return rc;
    if (s->family == AF_UNIX) {
        if (flags & (MR_SOCK_V6ONLY | MR_SOCK_REUSEPORT))
            return -EINVAL;
    } else {
        if ((flags & MR_SOCK_V6ONLY) && s->family != AF_INET6)
            return -EINVAL;
        bool reuse = (flags & MR_SOCK_REUSEADDR) ||
                     (s->type == SOCK_STREAM && !(flags & MR_SOCK_NO_REUSEADDR));
        if ((reuse || (flags & MR_SOCK_NO_REUSEADDR)) &&
            (rc = mr__sock_set_int_opt(s->fd, SOL_SOCKET, SO_REUSEADDR, reuse)) < 0)
            return rc;
        if ((flags & MR_SOCK_REUSEPORT) &&
            (rc = mr__sock_set_int_opt(s->fd, SOL_SOCKET, SO_REUSEPORT, 1)) < 0)
            return rc;
        if ((flags & MR_SOCK_V6ONLY) &&
            (rc = mr__sock_set_int_opt(s->fd, IPPROTO_IPV6, IPV6_V6ONLY, 1)) < 0)
            return rc;
    }
    rc = mr__sys_bind(s->fd, &use->sa, use->len);
    if (rc < 0)
        return rc;
    if (s->family == AF_UNIX && use->len > MR__UNIX_PATH_OFF && use->un.sun_path[0] != '\0') {
        size_t n = strnlen(use->un.sun_path, use->len - MR__UNIX_PATH_OFF);
        struct stat st;
        memcpy(s->path, use->un.sun_path, n);
        s->path[n] = '\0';
        /* Without the file's identity the path cannot be removed safely
         * later, so it is then left alone. */
        if (mr__sys_fstatat(AT_FDCWD, s->path, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
            S_ISSOCK(st.st_mode)) {
            s->path_pid = mr__sys_getpid();
            s->path_dev = (uint64_t)st.st_dev;
            s->path_ino = (uint64_t)st.st_ino;
            s->flags |= MR_SOCK_OWNS_PATH;
        }
    }
    return 0;
}

int mr_sock_listen(struct mr_sock *s, int backlog)
{
    if (s->fd < 0)
        return -EBADF;
    if (s->type != SOCK_STREAM)
        return -EOPNOTSUPP;
    if (backlog < -1)
        return -EINVAL;
    int old;
    int rc = set_nonblock(s->fd, true, &old);
    if (rc < 0)
        return rc;
    rc = mr__sys_listen(s->fd, backlog < 0 ? SOMAXCONN : backlog);
    if (rc < 0) {
        restore_fl(s->fd, old);
        return rc;
    }
    s->flags |= MR_SOCK_PASSIVE | MR_SOCK_NONBLOCKING;
    return 0;
}

/* Errors of a connection that died in the accept queue: accept(2) says to
 * treat them as "try again". */
static bool accept_skippable(int rc)
{
    switch (-rc) {
    case ECONNABORTED:
    case EPROTO:
    case ENETDOWN:
    case EHOSTDOWN:
    case ENONET:
    case EHOSTUNREACH:
    case ENETUNREACH:
        return true;
    default:
        return false;
    }
}

int mr_sock_accept(const struct mr_sock *s, struct mr_sock *out, struct mr_addr *peer,
                   int timeout_ms)
{
    sock_set_closed(out);
    if (s->fd < 0)
        return -EBADF;
    if (!mr__timeout_ok(timeout_ms) || !(s->flags & MR_SOCK_PASSIVE))
        return -EINVAL;
    int64_t at = mr__deadline(timeout_ms);
    for (;;) {
        struct mr_addr a;
        socklen_t len = sizeof a.storage;
        memset(&a, 0, sizeof a);
        int fd = mr__sys_accept4(s->fd, &a.sa, &len, SOCK_CLOEXEC);
        if (fd >= 0) {
            out->fd = fd;
            out->family = s->family;
            out->type = s->type;
            if (peer != NULL) {
                a.len = len > sizeof a.storage ? (socklen_t)sizeof a.storage : len;
                *peer = a;
            }
            return 0;
        }
        if (fd == -EAGAIN) {
            int rc = mr__sock_wait_fd(s->fd, POLLIN, at);
            if (rc < 0)
                return rc;
            continue;
        }
        if (!accept_skippable(fd))
            return fd;
    }
}

/* A non-blocking connect, waited for with poll. A Unix socket would say
 * EAGAIN at once when the listener's queue is full, so it goes through
 * connect_unix instead. */
static int connect_inet(struct mr_sock *s, const struct mr_addr *a, int timeout_ms)
{
    int old;
    int rc = set_nonblock(s->fd, true, &old);
    if (rc < 0)
        return rc;
    int64_t at = mr__deadline(timeout_ms);
    rc = mr__sys_connect(s->fd, &a->sa, a->len);
    if (rc == -EINPROGRESS) {
        rc = mr__sock_wait_fd(s->fd, POLLOUT, at);
        if (rc > 0) {
            int soerr = 0;
            rc = mr__sock_get_int_opt(s->fd, SOL_SOCKET, SO_ERROR, &soerr);
            if (rc == 0)
                rc = -soerr;
        } else if (rc == -ETIMEDOUT) {
            /* AF_UNSPEC abandons the half-open attempt (TCP goes back to
             * CLOSE), so the socket may connect again. */
            struct sockaddr unspec;
            memset(&unspec, 0, sizeof unspec);
            unspec.sa_family = AF_UNSPEC;
            mr__sys_connect(s->fd, &unspec, sizeof unspec);
        }
    }
    int rrc = restore_fl(s->fd, old);
    return rc < 0 ? rc : rrc;
}

/* A Unix stream connect blocks only while the listener's queue is full, and
 * for as long as SO_SNDTIMEO allows: the timeout goes there for the call. */
static int connect_unix(struct mr_sock *s, const struct mr_addr *a, int timeout_ms)
{
    int old;
    int rc = set_nonblock(s->fd, timeout_ms == 0, &old);
    if (rc < 0)
        return rc;
    struct timeval saved;
    socklen_t slen = sizeof saved;
    if ((rc = mr__sys_getsockopt(s->fd, SOL_SOCKET, SO_SNDTIMEO, &saved, &slen)) < 0) {
        restore_fl(s->fd, old);
        return rc;
    }
    int64_t at = mr__deadline(timeout_ms);
    for (;;) {
        if (timeout_ms != 0) {
            int ms = mr__poll_ms(at);
            if (ms == 0) {
                rc = -ETIMEDOUT;
                break;
            }
            struct timeval tv = { 0, 0 };
            if (ms > 0) {
                tv.tv_sec = ms / 1000;
                tv.tv_usec = (ms % 1000) * 1000;
            }
            if ((rc = mr__sys_setsockopt(s->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv)) < 0)
                break;
        }
        rc = mr__sys_connect(s->fd, &a->sa, a->len);
        /* Interrupted while it waited for room in the queue: nothing was
         * done, so the same call again is right. */
        if (rc != -EINTR)
            break;
    }
    if (rc == -EAGAIN)
        rc = -ETIMEDOUT;
    int r1 = mr__sys_setsockopt(s->fd, SOL_SOCKET, SO_SNDTIMEO, &saved, sizeof saved);
    int r2 = restore_fl(s->fd, old);
    return rc < 0 ? rc : r1 < 0 ? r1 : r2;
}

int mr_sock_connect(struct mr_sock *s, const struct mr_addr *addr, int timeout_ms)
{
    if (s->fd < 0)
        return -EBADF;
    if (!mr__timeout_ok(timeout_ms))
        return -EINVAL;
    struct mr_addr tmp;
    const struct mr_addr *use;
    int rc = mr__sock_addr_for(s, addr, &tmp, &use);
    if (rc < 0)
        return rc;
    if (s->type == SOCK_DGRAM)
        return mr__sys_connect(s->fd, &use->sa, use->len);
    if (s->family == AF_UNIX)
        return connect_unix(s, use, timeout_ms);
    return connect_inet(s, use, timeout_ms);
}

int mr_sock_disconnect(struct mr_sock *s)
{
    if (s->fd < 0)
        return -EBADF;
    if (s->type != SOCK_DGRAM)
        return -EOPNOTSUPP;
    struct sockaddr unspec;
    memset(&unspec, 0, sizeof unspec);
    unspec.sa_family = AF_UNSPEC;
    return mr__sys_connect(s->fd, &unspec, sizeof unspec);
}

int mr_sock_shutdown(struct mr_sock *s, int how)
{
    if (s->fd < 0)
        return -EBADF;
    if (how != SHUT_RD && how != SHUT_WR && how != SHUT_RDWR)
        return -EINVAL;
    return mr__sys_shutdown(s->fd, how);
}

static int sock_name(const struct mr_sock *s, struct mr_addr *out, bool peer)
{
    struct mr_addr a;
    socklen_t len = sizeof a.storage;
    memset(&a, 0, sizeof a);
    int rc = peer ? mr__sys_getpeername(s->fd, &a.sa, &len)
                  : mr__sys_getsockname(s->fd, &a.sa, &len);
    if (rc < 0)
        return rc;
    a.len = len > sizeof a.storage ? (socklen_t)sizeof a.storage : len;
    *out = a;
    return 0;
}

int mr_sock_local_addr(const struct mr_sock *s, struct mr_addr *out)
{
    return sock_name(s, out, false);
}

int mr_sock_peer_addr(const struct mr_sock *s, struct mr_addr *out)
{
    return sock_name(s, out, true);
}

int mr_sock_wait(const struct mr_sock *s, unsigned events, int timeout_ms)
{
    if (s->fd < 0)
        return -EBADF;
    if (events == 0 || (events & ~(MR_SOCK_READABLE | MR_SOCK_WRITABLE)) ||
        !mr__timeout_ok(timeout_ms))
        return -EINVAL;
    short ev = (short)(((events & MR_SOCK_READABLE) ? POLLIN : 0) |
                       ((events & MR_SOCK_WRITABLE) ? POLLOUT : 0));
    int rc = mr__sock_wait_fd(s->fd, ev, mr__deadline(timeout_ms));
    if (rc < 0)
        return rc;
    if (rc & (POLLERR | POLLHUP))
        return (int)events;
    unsigned ready = ((rc & POLLIN) ? MR_SOCK_READABLE : 0u) |
                     ((rc & POLLOUT) ? MR_SOCK_WRITABLE : 0u);
    return (int)(ready & events ? ready & events : events);
}

/* ==== waiting ============================================================= */

int mr__sock_wait_fd(int fd, short ev, int64_t deadline)
{
    for (;;) {
        int ms = mr__poll_ms(deadline);
        struct pollfd p = { .fd = fd, .events = ev, .revents = 0 };
        int rc = mr__sys_poll(&p, 1, ms);
        if (rc > 0)
            return (p.revents & POLLNVAL) ? -EBADF : p.revents;
        if (rc == 0) {
            if (ms == 0)
                return -ETIMEDOUT;
            continue;
        }
        if (rc != -EINTR)
            return rc;
    }
}
