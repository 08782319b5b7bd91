/* src/sock.c: sockets: open, bind, listen, accept, connect with timeouts,
 * data to and from regions, scatter-gather, batches, options, peer
 * credentials and fd passing. Their addresses are the addr layer's
 * (src/addr.c). */
#include "addr_internal.h"

#include <memregion/sock.h>

#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>

/* Iovecs and batch headers up to these counts live on the stack; a call
 * with more takes them from the caller's allocator. */
#define IOV_STACK 32
#define BATCH_STACK 8

/* Addresses mr_sock_open_connect_text tries. */
#define CONNECT_TRIES 16

#define SEND_FLAGS (MSG_DONTWAIT | MSG_MORE | MSG_OOB | MSG_EOR | MSG_DONTROUTE | MSG_CONFIRM | \
                    MSG_NOSIGNAL)
#define RECV_FLAGS (MSG_PEEK | MSG_DONTWAIT | MSG_WAITALL | MSG_OOB | MSG_TRUNC)

/* ==== time ================================================================= */

static int64_t now_ns(void)
{
    struct timespec ts;
    /* CLOCK_MONOTONIC cannot fail with a valid pointer. */
    mr__sys_clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* The moment a timeout ends, or -1 for never. */
static int64_t deadline_at(int timeout_ms)
{
    return timeout_ms < 0 ? -1 : now_ns() + (int64_t)timeout_ms * 1000000;
}

/* Milliseconds to the deadline for poll: -1 for never, and rounded up, so
 * that a poll that returns 0 means the deadline has passed. */
static int ms_left(int64_t at)
{
    if (at < 0)
        return -1;
    int64_t left = at - now_ns();
    if (left <= 0)
        return 0;
    int64_t ms = (left + 999999) / 1000000;
    return ms > INT_MAX ? INT_MAX : (int)ms;
}

/* Wait for ev on fd until the deadline: 0 (ready, or an error or hang-up
 * that the next call will report), -ETIMEDOUT, -EBADF or poll's error. */
static int wait_fd(int fd, short ev, int64_t at)
{
    for (;;) {
        int ms = ms_left(at);
        struct pollfd p = { .fd = fd, .events = ev, .revents = 0 };
        int rc = mr__sys_poll(&p, 1, ms);
        if (rc > 0)
            return (p.revents & POLLNVAL) ? -EBADF : 0;
        if (rc == 0) {
            if (ms == 0)
                return -ETIMEDOUT;
            continue;
        }
        if (rc != -EINTR)
            return rc;
    }
}

/* ==== sockets: opening and closing ======================================== */

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

static int set_int_opt(int fd, int level, int name, int v)
{
    return mr__sys_setsockopt(fd, level, name, &v, sizeof v);
}

static int get_int_opt(int fd, int level, int name, int *v)
{
    socklen_t len = sizeof *v;
    return mr__sys_getsockopt(fd, level, name, v, &len);
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
        int rc = set_int_opt(fd, IPPROTO_IPV6, IPV6_V6ONLY, (flags & MR_SOCK_V6ONLY) != 0);
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

int mr_sock_open_fd(struct mr_sock *out, int fd, unsigned flags)
{
    sock_set_closed(out);
    if (flags != 0)
        return -EINVAL;
    if (fd < 0)
        return -EBADF;
    int family, type, listening;
    int rc = get_int_opt(fd, SOL_SOCKET, SO_DOMAIN, &family);
    if (rc < 0)
        return rc;
    if (!family_ok(family))
        return -EAFNOSUPPORT;
    if ((rc = get_int_opt(fd, SOL_SOCKET, SO_TYPE, &type)) < 0)
        return rc;
    if (!type_ok(type))
        return -ESOCKTNOSUPPORT;
    if ((rc = get_int_opt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening)) < 0)
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
    if (addr == NULL || addr->len == 0 || timeout_ms < -1)
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
    if (timeout_ms < -1)
        return mr__addr_fail(err, 0, -EINVAL, "timeout must be -1 or more");
    /* The lookup's time counts against the timeout too. */
    int64_t at = deadline_at(timeout_ms);
    struct mr_addr list[CONNECT_TRIES];
    int n = mr_addr_resolve(text, type, list, CONNECT_TRIES, err);
    if (n < 0)
        return n;
    int rc = -ETIMEDOUT;
    for (int i = 0; i < n; i++) {
        /* A zero timeout tries each address once without waiting. */
        int left = ms_left(at);
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

/* ==== sockets: state ====================================================== */

/* The address to hand the kernel for this socket: addr itself, or its
 * v4-mapped form (IPv4 on an IPv6 socket) or its IPv4 form (v4-mapped on an
 * IPv4 socket) in *tmp. */
static int addr_for(const struct mr_sock *s, const struct mr_addr *addr, struct mr_addr *tmp,
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
    const unsigned known = MR_SOCK_V6ONLY | MR_SOCK_REUSEADDR | MR_SOCK_NO_REUSEADDR |
                           MR_SOCK_REUSEPORT;
    if ((flags & ~known) || (flags & MR_SOCK_REUSEADDR && flags & MR_SOCK_NO_REUSEADDR))
        return -EINVAL;
    struct mr_addr tmp;
    const struct mr_addr *use;
    int rc = addr_for(s, addr, &tmp, &use);
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
            (rc = set_int_opt(s->fd, SOL_SOCKET, SO_REUSEADDR, reuse)) < 0)
            return rc;
        if ((flags & MR_SOCK_REUSEPORT) &&
            (rc = set_int_opt(s->fd, SOL_SOCKET, SO_REUSEPORT, 1)) < 0)
            return rc;
        if ((flags & MR_SOCK_V6ONLY) && (rc = set_int_opt(s->fd, IPPROTO_IPV6, IPV6_V6ONLY, 1)) < 0)
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
    if (timeout_ms < -1 || !(s->flags & MR_SOCK_PASSIVE))
        return -EINVAL;
    int64_t at = deadline_at(timeout_ms);
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
            int rc = wait_fd(s->fd, POLLIN, at);
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
    int64_t at = deadline_at(timeout_ms);
    rc = mr__sys_connect(s->fd, &a->sa, a->len);
    if (rc == -EINPROGRESS) {
        rc = wait_fd(s->fd, POLLOUT, at);
        if (rc == 0) {
            int soerr = 0;
            rc = get_int_opt(s->fd, SOL_SOCKET, SO_ERROR, &soerr);
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
    int64_t at = deadline_at(timeout_ms);
    for (;;) {
        if (timeout_ms != 0) {
            int ms = ms_left(at);
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
    if (timeout_ms < -1)
        return -EINVAL;
    struct mr_addr tmp;
    const struct mr_addr *use;
    int rc = addr_for(s, addr, &tmp, &use);
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
    if (s->type != SOCK_DGRAM)
        return -EOPNOTSUPP;
    struct sockaddr unspec;
    memset(&unspec, 0, sizeof unspec);
    unspec.sa_family = AF_UNSPEC;
    return mr__sys_connect(s->fd, &unspec, sizeof unspec);
}

int mr_sock_shutdown(struct mr_sock *s, int how)
{
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
    if (events == 0 || (events & ~(MR_SOCK_READABLE | MR_SOCK_WRITABLE)) || timeout_ms < -1)
        return -EINVAL;
    short ev = (short)(((events & MR_SOCK_READABLE) ? POLLIN : 0) |
                       ((events & MR_SOCK_WRITABLE) ? POLLOUT : 0));
    int64_t at = deadline_at(timeout_ms);
    for (;;) {
        int ms = ms_left(at);
        struct pollfd p = { .fd = s->fd, .events = ev, .revents = 0 };
        int rc = mr__sys_poll(&p, 1, ms);
        if (rc > 0) {
            if (p.revents & POLLNVAL)
                return -EBADF;
            if (p.revents & (POLLERR | POLLHUP))
                return (int)events;
            unsigned ready = ((p.revents & POLLIN) ? MR_SOCK_READABLE : 0u) |
                             ((p.revents & POLLOUT) ? MR_SOCK_WRITABLE : 0u);
            return (int)(ready & events ? ready & events : events);
        }
        if (rc == 0) {
            if (ms == 0)
                return -ETIMEDOUT;
            continue;
        }
        if (rc != -EINTR)
            return rc;
    }
}

/* ==== data ================================================================= */

/* EAGAIN from a call that was allowed to block means SO_SNDTIMEO or
 * SO_RCVTIMEO ran out: a timeout, not "nothing now". */
static ssize_t would_block(const struct mr_sock *s, int flags)
{
    return ((flags & MSG_DONTWAIT) || (s->flags & MR_SOCK_NONBLOCKING)) ? -EAGAIN : -ETIMEDOUT;
}

/* A receive's region: writable, and not empty on a stream socket (where 0
 * is reserved for the end of the stream). */
static int recv_region_check(const struct mr_sock *s, struct mr_region r)
{
    if (mr_region_is_ro(r))
        return -EACCES;
    if (r.len == 0 && s->type == SOCK_STREAM)
        return -EINVAL;
    return 0;
}

ssize_t mr_sock_send(const struct mr_sock *s, struct mr_region r, int flags)
{
    if (MR_UNLIKELY(flags & ~SEND_FLAGS))
        return -EINVAL;
    ssize_t n = mr__sys_send(s->fd, r.ptr, r.len, flags | MSG_NOSIGNAL);
    if (MR_UNLIKELY(n == -EAGAIN))
        return would_block(s, flags);
    return n;
}

ssize_t mr_sock_recv(const struct mr_sock *s, struct mr_region r, int flags)
{
    if (MR_UNLIKELY(flags & ~RECV_FLAGS))
        return -EINVAL;
    int rc = recv_region_check(s, r);
    if (MR_UNLIKELY(rc < 0))
        return rc;
    ssize_t n = mr__sys_recv(s->fd, r.ptr, r.len, flags);
    if (MR_UNLIKELY(n == -EAGAIN))
        return would_block(s, flags);
    return n;
}

ssize_t mr_sock_send_all(const struct mr_sock *s, struct mr_region r, int timeout_ms, size_t *done)
{
    size_t sent = 0;
    ssize_t rc = 0;
    if (done != NULL)
        *done = 0;
    if (timeout_ms < -1)
        return -EINVAL;
    if (r.len == 0 && s->type == SOCK_STREAM)
        return 0;
    /* With no deadline on a blocking socket, a blocking send does it all
     * in one call (the kernel loops), as a raw write would. */
    bool polled = timeout_ms >= 0 || (s->flags & MR_SOCK_NONBLOCKING);
    int flags = MSG_NOSIGNAL | (polled ? MSG_DONTWAIT : 0);
    int64_t at = polled ? deadline_at(timeout_ms) : -1;
    const unsigned char *p = r.ptr;
    do {
        ssize_t n = mr__sys_send(s->fd, r.len ? p + sent : p, r.len - sent, flags);
        if (n >= 0) {
            sent += (size_t)n;
            continue;
        }
        if (n != -EAGAIN) {
            rc = n;
            break;
        }
        if (!polled) {
            rc = -ETIMEDOUT;
            break;
        }
        if ((rc = wait_fd(s->fd, POLLOUT, at)) < 0)
            break;
    } while (sent < r.len);
    if (done != NULL)
        *done = sent;
    return rc < 0 ? rc : (ssize_t)r.len;
}

ssize_t mr_sock_recv_exact(const struct mr_sock *s, struct mr_region r, int timeout_ms,
                           size_t *done)
{
    size_t got = 0;
    ssize_t rc = 0;
    if (done != NULL)
        *done = 0;
    if (s->type != SOCK_STREAM)
        return -EOPNOTSUPP;
    if (timeout_ms < -1 || r.len == 0)
        return -EINVAL;
    if (mr_region_is_ro(r))
        return -EACCES;
    /* MSG_WAITALL lets a blocking socket fill the region in one call. */
    bool polled = timeout_ms >= 0 || (s->flags & MR_SOCK_NONBLOCKING);
    int flags = polled ? MSG_DONTWAIT : MSG_WAITALL;
    int64_t at = polled ? deadline_at(timeout_ms) : -1;
    unsigned char *p = r.ptr;
    while (got < r.len) {
        ssize_t n = mr__sys_recv(s->fd, p + got, r.len - got, flags);
        if (n > 0) {
            got += (size_t)n;
            continue;
        }
        if (n == 0) {
            rc = got == 0 ? 0 : -EPIPE;
            break;
        }
        if (n != -EAGAIN) {
            rc = n;
            break;
        }
        if (!polled) {
            rc = -ETIMEDOUT;
            break;
        }
        if ((rc = wait_fd(s->fd, POLLIN, at)) < 0)
            break;
    }
    if (done != NULL)
        *done = got;
    if (got < r.len)
        return rc;
    return (ssize_t)r.len;
}

ssize_t mr_sock_send_to(const struct mr_sock *s, struct mr_region r, int flags,
                        const struct mr_addr *to)
{
    if (to == NULL)
        return mr_sock_send(s, r, flags);
    if (flags & ~SEND_FLAGS)
        return -EINVAL;
    struct mr_addr tmp;
    const struct mr_addr *use;
    int rc = addr_for(s, to, &tmp, &use);
    if (rc < 0)
        return rc;
    ssize_t n = mr__sys_sendto(s->fd, r.ptr, r.len, flags | MSG_NOSIGNAL, &use->sa, use->len);
    if (n == -EAGAIN)
        return would_block(s, flags);
    return n;
}

/* The sender's address as recvfrom or recvmsg left it: an unnamed Unix
 * sender comes back with no address at all, and is made unnamed here. */
static void set_from(const struct mr_sock *s, struct mr_addr *from, socklen_t len)
{
    from->len = len > sizeof from->storage ? (socklen_t)sizeof from->storage : len;
    if (from->len == 0 && s->family == AF_UNIX && s->type == SOCK_DGRAM) {
        from->un.sun_family = AF_UNIX;
        from->len = sizeof(sa_family_t);
    }
}

ssize_t mr_sock_recv_from(const struct mr_sock *s, struct mr_region r, int flags,
                          struct mr_addr *from, size_t *full_len)
{
    if (flags & ~RECV_FLAGS)
        return -EINVAL;
    int rc = recv_region_check(s, r);
    if (rc < 0)
        return rc;
    bool dgram = s->type == SOCK_DGRAM;
    socklen_t alen = from ? (socklen_t)sizeof from->storage : 0;
    if (from != NULL)
        memset(from, 0, sizeof *from);
    /* On a datagram socket MSG_TRUNC makes the kernel return the real
     * length (on TCP it would discard the data instead). */
    ssize_t n = mr__sys_recvfrom(s->fd, r.ptr, r.len, flags | (dgram ? MSG_TRUNC : 0),
                                 from ? &from->sa : NULL, from ? &alen : NULL);
    if (n < 0)
        return n == -EAGAIN ? would_block(s, flags) : n;
    if (from != NULL)
        set_from(s, from, alen);
    if (full_len != NULL)
        *full_len = (size_t)n;
    return dgram && (size_t)n > r.len ? (ssize_t)r.len : n;
}

/* The iovecs for n regions: on the stack (stack, IOV_STACK of them) or
 * from a, in *blk (to free). *total is the sum of the lengths. */
static int iov_build(const struct mr_region *rv, size_t n, bool writing, struct iovec *stack,
                     struct mr_allocator *a, struct iovec **out, struct mr_region *blk,
                     size_t *total)
{
    *blk = mr_region_make(NULL, 0);
    if (n > 0 && rv == NULL)
        return -EINVAL;
    if (n > IOV_MAX)
        return -EMSGSIZE;
    size_t sum = 0;
    for (size_t i = 0; i < n; i++) {
        if (writing && mr_region_is_ro(rv[i]))
            return -EACCES;
        if (__builtin_add_overflow(sum, rv[i].len, &sum) || sum > SSIZE_MAX)
            return -EINVAL;
    }
    struct iovec *iov = stack;
    if (n > IOV_STACK) {
        int rc = mr_alloc(a ? a : mr_heap(), n * sizeof *iov, _Alignof(struct iovec), blk);
        if (rc < 0)
            return rc;
        iov = blk->ptr;
    }
    for (size_t i = 0; i < n; i++) {
        iov[i].iov_base = rv[i].ptr;
        iov[i].iov_len = rv[i].len;
    }
    *out = iov;
    *total = sum;
    return 0;
}

ssize_t mr_sock_sendv(const struct mr_sock *s, const struct mr_region *rv, size_t n, int flags,
                      struct mr_allocator *a)
{
    if (flags & ~SEND_FLAGS)
        return -EINVAL;
    struct iovec stack[IOV_STACK], *iov;
    struct mr_region blk;
    size_t total;
    int rc = iov_build(rv, n, false, stack, a, &iov, &blk, &total);
    if (rc < 0)
        return rc;
    struct msghdr m;
    memset(&m, 0, sizeof m);
    m.msg_iov = iov;
    m.msg_iovlen = n;
    ssize_t k = mr__sys_sendmsg(s->fd, &m, flags | MSG_NOSIGNAL);
    mr_free(a ? a : mr_heap(), blk);
    return k == -EAGAIN ? would_block(s, flags) : k;
}

ssize_t mr_sock_recvv(const struct mr_sock *s, const struct mr_region *rv, size_t n, int flags,
                      struct mr_allocator *a)
{
    if (flags & ~RECV_FLAGS)
        return -EINVAL;
    struct iovec stack[IOV_STACK], *iov;
    struct mr_region blk;
    size_t total;
    int rc = iov_build(rv, n, true, stack, a, &iov, &blk, &total);
    if (rc < 0)
        return rc;
    if (total == 0 && s->type == SOCK_STREAM) {
        mr_free(a ? a : mr_heap(), blk);
        return -EINVAL;
    }
    struct msghdr m;
    memset(&m, 0, sizeof m);
    m.msg_iov = iov;
    m.msg_iovlen = n;
    ssize_t k = mr__sys_recvmsg(s->fd, &m, flags | MSG_CMSG_CLOEXEC);
    mr_free(a ? a : mr_heap(), blk);
    return k == -EAGAIN ? would_block(s, flags) : k;
}

/* ==== batches ============================================================= */

/* The arrays sendmmsg and recvmmsg need, for n messages: headers, one iovec
 * each, and (for sends) room for an address converted to the socket's
 * family. On the stack up to BATCH_STACK, else one block from a. */
struct batch {
    struct mmsghdr *h;
    struct iovec *iov;
    struct sockaddr_in6 *conv;
    struct mr_region blk;
    struct mr_allocator *a;
    struct mmsghdr h_stack[BATCH_STACK];
    struct iovec iov_stack[BATCH_STACK];
    struct sockaddr_in6 conv_stack[BATCH_STACK];
};

static int batch_init(struct batch *b, size_t n, struct mr_allocator *a)
{
    b->a = a ? a : mr_heap();
    b->blk = mr_region_make(NULL, 0);
    if (n <= BATCH_STACK) {
        b->h = b->h_stack;
        b->iov = b->iov_stack;
        b->conv = b->conv_stack;
        return 0;
    }
    size_t per = sizeof(struct mmsghdr) + sizeof(struct iovec) + sizeof(struct sockaddr_in6);
    int rc = mr_alloc(b->a, n * per, _Alignof(struct mmsghdr), &b->blk);
    if (rc < 0)
        return rc;
    /* mmsghdr and iovec sizes are multiples of the pointer size, so the
     * arrays that follow each other stay aligned. */
    unsigned char *p = b->blk.ptr;
    b->h = (struct mmsghdr *)(void *)p;
    b->iov = (struct iovec *)(void *)(p + n * sizeof(struct mmsghdr));
    b->conv = (struct sockaddr_in6 *)(void *)(p + n * (sizeof(struct mmsghdr) +
                                                       sizeof(struct iovec)));
    return 0;
}

static void batch_fini(struct batch *b)
{
    mr_free(b->a, b->blk);
}

int mr_sock_send_batch(const struct mr_sock *s, struct mr_sock_msg *msgs, size_t n, int flags,
                       struct mr_allocator *a)
{
    if (flags & ~SEND_FLAGS)
        return -EINVAL;
    if (s->type != SOCK_DGRAM)
        return -EOPNOTSUPP;
    if (n == 0 || msgs == NULL)
        return -EINVAL;
    if (n > MR_SOCK_BATCH_MAX)
        n = MR_SOCK_BATCH_MAX;
    struct batch b;
    int rc = batch_init(&b, n, a);
    if (rc < 0)
        return rc;
    memset(b.h, 0, n * sizeof *b.h);
    for (size_t i = 0; i < n; i++) {
        b.iov[i].iov_base = msgs[i].data.ptr;
        b.iov[i].iov_len = msgs[i].data.len;
        b.h[i].msg_hdr.msg_iov = &b.iov[i];
        b.h[i].msg_hdr.msg_iovlen = 1;
        msgs[i].len = 0;
        if (msgs[i].addr != NULL) {
            struct mr_addr tmp;
            const struct mr_addr *use;
            if ((rc = addr_for(s, msgs[i].addr, &tmp, &use)) < 0) {
                batch_fini(&b);
                return rc;
            }
            if (use == &tmp) {
                memcpy(&b.conv[i], &tmp.storage, tmp.len);
                b.h[i].msg_hdr.msg_name = &b.conv[i];
            } else {
                b.h[i].msg_hdr.msg_name = (void *)&use->storage;
            }
            b.h[i].msg_hdr.msg_namelen = use->len;
        }
    }
    rc = mr__sys_sendmmsg(s->fd, b.h, (unsigned)n, flags | MSG_NOSIGNAL);
    for (int i = 0; i < rc; i++)
        msgs[i].len = b.h[i].msg_len;
    batch_fini(&b);
    return rc == -EAGAIN ? (int)would_block(s, flags) : rc;
}

int mr_sock_recv_batch(const struct mr_sock *s, struct mr_sock_msg *msgs, size_t n,
                       int timeout_ms, struct mr_allocator *a)
{
    if (s->type != SOCK_DGRAM)
        return -EOPNOTSUPP;
    if (n == 0 || msgs == NULL || timeout_ms < -1)
        return -EINVAL;
    if (n > MR_SOCK_BATCH_MAX)
        n = MR_SOCK_BATCH_MAX;
    for (size_t i = 0; i < n; i++) {
        if (mr_region_is_ro(msgs[i].data))
            return -EACCES;
    }
    struct batch b;
    int rc = batch_init(&b, n, a);
    if (rc < 0)
        return rc;
    memset(b.h, 0, n * sizeof *b.h);
    for (size_t i = 0; i < n; i++) {
        b.iov[i].iov_base = msgs[i].data.ptr;
        b.iov[i].iov_len = msgs[i].data.len;
        b.h[i].msg_hdr.msg_iov = &b.iov[i];
        b.h[i].msg_hdr.msg_iovlen = 1;
        if (msgs[i].addr != NULL) {
            memset(msgs[i].addr, 0, sizeof *msgs[i].addr);
            b.h[i].msg_hdr.msg_name = &msgs[i].addr->storage;
            b.h[i].msg_hdr.msg_namelen = sizeof msgs[i].addr->storage;
        }
    }
    /* recvmmsg's own timeout is checked only between datagrams, so the
     * wait for the first is a poll; the rest are taken as they are. */
    int64_t at = deadline_at(timeout_ms);
    for (;;) {
        rc = mr__sys_recvmmsg(s->fd, b.h, (unsigned)n, MSG_DONTWAIT | MSG_TRUNC | MSG_CMSG_CLOEXEC);
        if (rc != -EAGAIN)
            break;
        if ((rc = wait_fd(s->fd, POLLIN, at)) < 0)
            break;
    }
    for (int i = 0; i < rc; i++) {
        size_t full = b.h[i].msg_len;
        msgs[i].full_len = full;
        msgs[i].len = full < msgs[i].data.len ? full : msgs[i].data.len;
        if (msgs[i].addr != NULL)
            set_from(s, msgs[i].addr, b.h[i].msg_hdr.msg_namelen);
    }
    batch_fini(&b);
    return rc;
}

/* ==== options ============================================================= */

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
        return set_int_opt(s->fd, o->level, o->name, value);
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
        if ((rc = get_int_opt(s->fd, o->level, o->name, &v)) < 0)
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

/* ==== peer credentials ===================================================== */

int mr_sock_peer_cred(const struct mr_sock *s, struct mr_sock_cred *out)
{
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

/* ==== fd passing =========================================================== */

/* SO_PASSPIDFD (Linux 6.5) adds the sender's pidfd to every receive that
 * has room for control messages; older headers lack the names. */
#ifndef SCM_PIDFD
#define SCM_PIDFD 0x04
#endif

/* A control buffer for the most fds one message carries, plus room for a
 * credentials message (SO_PASSCRED) and a pidfd (SO_PASSPIDFD), sent along
 * when the socket asks for them, which would otherwise truncate the fds'. */
#define FD_CONTROL_EXTRA (CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(sizeof(int)))
union fd_control {
    char buf[CMSG_SPACE(sizeof(int) * MR_SOCK_FDS_MAX) + FD_CONTROL_EXTRA];
    struct cmsghdr align;
};

ssize_t mr_sock_send_fds(const struct mr_sock *s, struct mr_region payload, const int *fds,
                         size_t n, int flags)
{
    if (payload.len == 0 || n > MR_SOCK_FDS_MAX || (flags & ~MSG_DONTWAIT) ||
        (n > 0 && fds == NULL))
        return -EINVAL;
    if (s->family != AF_UNIX)
        return -ENOPROTOOPT;
    for (size_t i = 0; i < n; i++) {
        if (fds[i] < 0)
            return -EBADF;
    }
    union fd_control ctl;
    struct iovec iov = { payload.ptr, payload.len };
    struct msghdr m;
    memset(&m, 0, sizeof m);
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    if (n > 0) {
        m.msg_control = ctl.buf;
        m.msg_controllen = CMSG_SPACE(n * sizeof(int));
        /* The padding after the fds goes to the kernel too: no stack garbage. */
        memset(ctl.buf, 0, m.msg_controllen);
        struct cmsghdr *c = CMSG_FIRSTHDR(&m);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(n * sizeof(int));
        memcpy(CMSG_DATA(c), fds, n * sizeof(int));
    }
    ssize_t k = mr__sys_sendmsg(s->fd, &m, flags | MSG_NOSIGNAL);
    if (k < 0)
        return k == -EAGAIN ? would_block(s, flags) : k;
    if ((size_t)k < payload.len && s->type == SOCK_STREAM && !(flags & MSG_DONTWAIT)) {
        struct mr_region rest;
        mr_region_tail(payload, (size_t)k, &rest);
        size_t done = 0;
        /* The fds went with the first part: an error now (the peer closed)
         * is reported as a short count, not as an error the caller would
         * take to mean that nothing, fds included, was sent. The next call
         * meets the error again. */
        if (mr_sock_send_all(s, rest, -1, &done) < 0)
            return (ssize_t)((size_t)k + done);
        k = (ssize_t)payload.len;
    }
    return k;
}

ssize_t mr_sock_recv_fds(const struct mr_sock *s, struct mr_region payload, int *fds, size_t max,
                         size_t *n_received, int flags)
{
    if (n_received == NULL || (max > 0 && fds == NULL))
        return -EINVAL;
    *n_received = 0;
    for (size_t i = 0; i < max; i++)
        fds[i] = -1;
    if (payload.len == 0 || (flags & ~MSG_DONTWAIT))
        return -EINVAL;
    if (mr_region_is_ro(payload))
        return -EACCES;
    if (s->family != AF_UNIX)
        return -ENOPROTOOPT;
    size_t cap = max > MR_SOCK_FDS_MAX ? MR_SOCK_FDS_MAX : max;
    union fd_control ctl;
    struct iovec iov = { payload.ptr, payload.len };
    struct msghdr m;
    memset(&m, 0, sizeof m);
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    m.msg_control = ctl.buf;
    m.msg_controllen = CMSG_SPACE(cap * sizeof(int)) + FD_CONTROL_EXTRA;
    ssize_t k = mr__sys_recvmsg(s->fd, &m, flags | MSG_CMSG_CLOEXEC);
    if (k < 0)
        return k == -EAGAIN ? would_block(s, flags) : k;

    /* Walk every control message: fds past cap (the extra room can hold a
     * few), in a second SCM_RIGHTS, in a malformed message, or a pidfd the
     * caller cannot see must be closed, never left open in this process. */
    size_t got = 0;
    ssize_t bad = 0;
    const unsigned char *end = (const unsigned char *)ctl.buf + m.msg_controllen;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c != NULL; c = CMSG_NXTHDR(&m, c)) {
        if (c->cmsg_level != SOL_SOCKET)
            continue;
        if (c->cmsg_type == SCM_PIDFD && c->cmsg_len == CMSG_LEN(sizeof(int))) {
            int fd;
            memcpy(&fd, CMSG_DATA(c), sizeof fd);
            mr__sys_close(fd);
            continue;
        }
        if (c->cmsg_type != SCM_RIGHTS)
            continue;
        const unsigned char *data = CMSG_DATA(c);
        size_t bytes = c->cmsg_len >= CMSG_LEN(0) ? c->cmsg_len - CMSG_LEN(0) : 0;
        if (c->cmsg_len < CMSG_LEN(0) || bytes % sizeof(int) != 0 || bytes > (size_t)(end - data)) {
            bad = bad ? bad : -EBADMSG;
            if (bytes > (size_t)(end - data))
                bytes = (size_t)(end - data);
        }
        for (size_t i = 0; i + sizeof(int) <= bytes; i += sizeof(int)) {
            int fd;
            memcpy(&fd, data + i, sizeof fd);
            if (got < cap) {
                fds[got++] = fd;
            } else {
                mr__sys_close(fd);
                bad = -EMSGSIZE;
            }
        }
    }
    if (m.msg_flags & MSG_CTRUNC)
        bad = -EMSGSIZE;
    if ((m.msg_flags & MSG_TRUNC) && s->type == SOCK_DGRAM)
        bad = -EMSGSIZE;
    if (bad < 0) {
        for (size_t i = 0; i < got; i++) {
            mr__sys_close(fds[i]);
            fds[i] = -1;
        }
        return bad;
    }
    *n_received = got;
    return k;
}
