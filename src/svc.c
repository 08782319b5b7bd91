/* SPDX-License-Identifier: MIT */
/* src/svc.c: services: offering a name, accepting and connecting with the
 * greeting and the credential checks, handing the channels over, and
 * listing this user's services. Names and the greeting's bytes are in
 * src/svc_proto.c. */
#include "svc_internal.h"

#include <dirent.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#define SVC_FLAGS (MR_SVC_DUPLEX | MR_SVC_TO_CLIENT | MR_SVC_ANY_UID | MR_SVC_FENCED | MR_SVC_NO_CHANNELS)
#define SVC_SHAPES (MR_SVC_DUPLEX | MR_SVC_TO_CLIENT | MR_SVC_FENCED)
/* How long offer's and list's probe of a socket file waits for a server
 * (a live one answers at once: it only has to be listening). */
#define PROBE_MS 200
/* The longest connect sleeps between two looks for its service. */
#define RETRY_MAX_MS 10

static bool peer_allowed(mr_svc_allow_fn *allow, void *arg, unsigned flags,
                         const struct mr_sock_cred *peer)
{
    if (allow)
        return allow(peer, arg);
    return (flags & MR_SVC_ANY_UID) != 0 || peer->uid == geteuid();
}

/* A greeting step waits for the caller's deadline but never longer than
 * MR_SVC_HANDSHAKE_MS: a silent peer must not hold the other forever. */
static int64_t handshake_deadline(int64_t deadline)
{
    int64_t h = mr__deadline(MR_SVC_HANDSHAKE_MS);
    return deadline < h ? deadline : h;
}

/* ==== offering ============================================================ */

/* Listen on addr. On a path name, a socket file nobody listens on (its
 * server died) is removed and the listen tried again, under the
 * directory's lock so that two servers replacing the same stale file
 * cannot remove each other's new one. */
static int listen_on(struct mr_sock *l, const struct mr_addr *addr, int dirfd)
{
    int rc = mr_sock_open_listen(l, addr, -1, 0);
    if (rc != -EADDRINUSE || dirfd < 0)
        return rc;
    struct mr_sock probe = MR_SOCK_INIT;
    int prc = mr_sock_open_connect(&probe, addr, SOCK_STREAM, PROBE_MS, 0);
    mr_sock_close(&probe);
    if (prc != -ECONNREFUSED)
        return -EADDRINUSE;
    rc = mr__sys_unlink(addr->un.sun_path);
    if (rc < 0 && rc != -ENOENT)
        return rc;
    return mr_sock_open_listen(l, addr, -1, 0);
}

int mr_svc_offer(struct mr_svc *out, const char *name, const struct mr_svc_opts *opts)
{
    static const struct mr_svc_opts defaults = { 0, 0, NULL, NULL };
    const struct mr_svc_opts *o = opts ? opts : &defaults;
    struct mr_svc closed = MR_SVC_INIT;
    *out = closed;
    size_t cap = o->capacity ? o->capacity : MR_SVC_CAPACITY_DEFAULT;
    if ((o->flags & ~SVC_FLAGS) != 0 ||
        (o->flags & (MR_SVC_DUPLEX | MR_SVC_TO_CLIENT)) == (MR_SVC_DUPLEX | MR_SVC_TO_CLIENT) ||
        ((o->flags & MR_SVC_NO_CHANNELS) && (o->flags & SVC_SHAPES)) ||
        cap < MR_CHAN_CAPACITY_MIN || cap > MR_CHAN_CAPACITY_MAX || !mr__is_pow2(cap))
        return -EINVAL;
    struct mr_addr addr;
    int dirfd;
    int rc = mr__svc_where(name, true, &addr, &dirfd);
    if (rc < 0)
        return rc;
    if (dirfd >= 0)
        rc = mr__sys_flock(dirfd, LOCK_EX);
    if (rc == 0)
        rc = listen_on(&out->listener, &addr, dirfd);
    if (dirfd >= 0)
        mr__sys_close(dirfd); /* and the lock with it */
    if (rc < 0)
        return rc;
    out->capacity = cap;
    out->flags = o->flags;
    out->allow = o->allow;
    out->allow_arg = o->allow_arg;
    return 0;
}

int mr_svc_close(struct mr_svc *s)
{
    int rc = mr_sock_close(&s->listener);
    struct mr_svc closed = MR_SVC_INIT;
    *s = closed;
    return rc;
}

/* ==== a connection ======================================================== */

int mr_svc_conn_close(struct mr_svc_conn *c)
{
    int rc = mr_chan_close(&c->tx);
    int r2 = mr_chan_close(&c->rx);
    int r3 = mr_sock_close(&c->sock);
    memset(&c->peer, 0, sizeof c->peer);
    return rc < 0 ? rc : r2 < 0 ? r2 : r3;
}

/* Watch the peer's pid as well as the socket: a pidfd reports a death even
 * when the peer's socket lives on in a child it forked. Where pidfds do not
 * work (old kernels, valgrind before 3.20), or the peer is already gone,
 * the socket alone tells. */
static int watch_peer(struct mr_chan *c, pid_t pid)
{
    if (c->fd < 0 || pid <= 0)
        return 0;
    int rc = mr_chan_watch_pid(c, pid);
    return rc == -ENOSYS || rc == -ESRCH ? 0 : rc;
}

/* ==== accepting =========================================================== */

/* The server's side of one connection, from the client's hello on: 0 with
 * *out complete; 1 when the client was dropped (refused, silent, garbage,
 * just looking, gone); or an error of the server's own (out of memory or
 * fds) to return. *out->sock is closed on every return but 0. */
static int serve_one(struct mr_svc *s, struct mr_svc_conn *out, bool info, int *kind_out)
{
    int64_t hd = mr__deadline(MR_SVC_HANDSHAKE_MS);
    unsigned char hello[MR__SVC_HELLO_LEN];
    ssize_t n = mr_sock_recv_exact(&out->sock, MR_REGION_OF_ARRAY(hello),
                                   mr__poll_ms(hd), NULL);
    int kind = n == (ssize_t)sizeof hello ? mr__svc_hello_parse(hello, sizeof hello) : -EPROTO;
    int rc = kind < 0 || kind == MR__SVC_KIND_LOOK ? 1 : 0;
    if (kind < 0)
        s->dropped++;
    if (kind == MR__SVC_KIND_INFO && !info) {
        /* Said, not dropped in silence: the asker must tell "not a topic"
         * from a peer that broke the greeting. */
        unsigned char no[MR__SVC_REPLY_LEN];
        mr__svc_reply_make(no, ENOPROTOOPT, 0, 0, 0);
        mr_sock_send(&out->sock, MR_REGION_OF_ARRAY(no), MSG_DONTWAIT);
        rc = 1;
    }
    if (kind_out)
        *kind_out = kind;
    if (rc == 0 && (mr_sock_peer_cred(&out->sock, &out->peer) < 0 ||
                    !peer_allowed(s->allow, s->allow_arg, s->flags, &out->peer))) {
        unsigned char no[MR__SVC_REPLY_LEN];
        mr__svc_reply_make(no, EACCES, 0, 0, 0);
        mr_sock_send(&out->sock, MR_REGION_OF_ARRAY(no), MSG_DONTWAIT);
        s->refused++;
        rc = 1;
    }
    uint32_t shape = s->flags & MR_SVC_NO_CHANNELS ? 0
                     : s->flags & MR_SVC_DUPLEX    ? MR__SVC_SHAPE_C2S | MR__SVC_SHAPE_S2C
                     : s->flags & MR_SVC_TO_CLIENT ? MR__SVC_SHAPE_S2C
                                                   : MR__SVC_SHAPE_C2S;
    unsigned cflags = s->flags & MR_SVC_FENCED ? MR_CHAN_FENCED : 0;
    if (rc == 0 && (shape & MR__SVC_SHAPE_C2S))
        rc = mr_chan_create(&out->rx, s->capacity, MR_CHAN_CONSUMER, cflags);
    if (rc == 0 && (shape & MR__SVC_SHAPE_S2C))
        rc = mr_chan_create(&out->tx, s->capacity, MR_CHAN_PRODUCER, cflags);
    if (rc == 0) {
        unsigned char yes[MR__SVC_REPLY_LEN];
        mr__svc_reply_make(yes, 0, shape, shape && cflags ? MR__SVC_REPLY_FENCED : 0,
                           shape ? s->capacity : 0);
        ssize_t k = mr_sock_send_all(&out->sock, MR_REGION_OF_ARRAY(yes),
                                     mr__poll_ms(hd), NULL);
        if (k < 0)
            rc = 1; /* the client went away */
    }
    /* The client attaches in this order: client to server first. */
    if (rc == 0 && out->rx.fd >= 0 && mr_chan_share(&out->rx, &out->sock) < 0)
        rc = 1;
    if (rc == 0 && out->tx.fd >= 0 && mr_chan_share(&out->tx, &out->sock) < 0)
        rc = 1;
    if (rc == 0)
        rc = watch_peer(&out->rx, out->peer.pid);
    if (rc == 0)
        rc = watch_peer(&out->tx, out->peer.pid);
    if (rc != 0)
        mr_svc_conn_close(out);
    return rc;
}

int mr_svc_accept(struct mr_svc *s, struct mr_svc_conn *out, int timeout_ms)
{
    return mr__svc_accept_kind(s, out, timeout_ms, false, NULL);
}

int mr__svc_accept_kind(struct mr_svc *s, struct mr_svc_conn *out, int timeout_ms, bool info,
                        int *kind)
{
    struct mr_svc_conn closed = MR_SVC_CONN_INIT;
    *out = closed;
    if (s->listener.fd < 0)
        return -EBADF;
    if (!mr__timeout_ok(timeout_ms))
        return -EINVAL;
    int64_t deadline = mr__deadline(timeout_ms);
    for (;;) {
        int rc = mr_sock_accept(&s->listener, &out->sock, NULL, mr__poll_ms(deadline));
        if (rc < 0)
            return rc;
        /* The caller's timeout is for a client to come: one that came gets
         * the handshake's time, so that an event loop accepting with 0
         * after its poll does not drop a client whose hello is on its way. */
        rc = serve_one(s, out, info, kind);
        if (rc <= 0)
            return rc;
        /* Dropped: wait for the next client while time is left. */
        if (timeout_ms == 0 || (deadline != MR__NEVER && mr__now_ns() >= deadline))
            return -ETIMEDOUT;
    }
}

/* ==== connecting ========================================================== */

/* Connect to addr, waiting for a server to listen on it: a missing file,
 * or one that nobody listens on (its server died, the next is coming), is
 * looked at again after a sleep growing from 1 to RETRY_MAX_MS ms. */
static int connect_wait(struct mr_sock *s, const struct mr_addr *addr, int64_t deadline)
{
    int nap = 1;
    for (;;) {
        int rc = mr_sock_open_connect(s, addr, SOCK_STREAM, mr__poll_ms(deadline), 0);
        if (rc != -ENOENT && rc != -ECONNREFUSED)
            return rc;
        int left = mr__poll_ms(deadline);
        if (left == 0)
            return -ETIMEDOUT;
        mr__sys_poll(NULL, 0, left < 0 || left > nap ? nap : left);
        nap = nap * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : nap * 2;
    }
}

/* Until the directory exists, there is no service yet: wait for it as for
 * the socket, checking it once it is there. */
static int where_wait(const char *name, struct mr_addr *addr, int64_t deadline)
{
    int nap = 1;
    for (;;) {
        int dirfd;
        int rc = mr__svc_where(name, false, addr, &dirfd);
        if (dirfd >= 0)
            mr__sys_close(dirfd);
        if (rc != -ENOENT)
            return rc;
        int left = mr__poll_ms(deadline);
        if (left == 0)
            return -ETIMEDOUT;
        mr__sys_poll(NULL, 0, left < 0 || left > nap ? nap : left);
        nap = nap * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : nap * 2;
    }
}

/* The client's side once connected: 0 with *out complete, or an error with
 * everything but out->sock closed. */
static int greet_server(struct mr_svc_conn *out, const struct mr_svc_opts *o, int64_t deadline,
                        uint32_t kind)
{
    int rc = mr_sock_peer_cred(&out->sock, &out->peer);
    if (rc < 0)
        return rc;
    if (!peer_allowed(o->allow, o->allow_arg, o->flags, &out->peer))
        return -EACCES;
    int64_t hd = handshake_deadline(deadline);
    unsigned char hello[MR__SVC_HELLO_LEN], reply[MR__SVC_REPLY_LEN];
    mr__svc_hello_make(hello, kind);
    ssize_t n = mr_sock_send_all(&out->sock, MR_REGION_OF_ARRAY(hello), mr__poll_ms(hd), NULL);
    if (n < 0)
        return n == -ETIMEDOUT ? -ETIMEDOUT : -EPROTO;
    n = mr_sock_recv_exact(&out->sock, MR_REGION_OF_ARRAY(reply), mr__poll_ms(hd), NULL);
    if (n == -ETIMEDOUT)
        return -ETIMEDOUT;
    uint32_t shape = 0, flags = 0;
    uint64_t cap = 0;
    rc = n == (ssize_t)sizeof reply ? mr__svc_reply_parse(reply, sizeof reply, &shape, &flags, &cap)
                                    : -EPROTO;
    if (rc == -ENOPROTOOPT && kind != MR__SVC_KIND_INFO)
        rc = -EPROTO;
    /* A client that wants channels must not get a bare socket, nor one that
     * wants a bare socket channels: each is another protocol. */
    if (rc == 0 && (shape == 0) != ((o->flags & MR_SVC_NO_CHANNELS) != 0))
        rc = -EPROTO;
    if (rc == 0 && (shape & MR__SVC_SHAPE_C2S))
        rc = mr_chan_attach_sock(&out->tx, &out->sock, (size_t)cap, MR_CHAN_PRODUCER, 0,
                                 mr__poll_ms(hd));
    if (rc == 0 && (shape & MR__SVC_SHAPE_S2C))
        rc = mr_chan_attach_sock(&out->rx, &out->sock, (size_t)cap, MR_CHAN_CONSUMER, 0,
                                 mr__poll_ms(hd));
    if (rc == 0)
        rc = watch_peer(&out->tx, out->peer.pid);
    if (rc == 0)
        rc = watch_peer(&out->rx, out->peer.pid);
    return rc;
}

int mr_svc_connect(struct mr_svc_conn *out, const char *name, const struct mr_svc_opts *opts,
                   int timeout_ms)
{
    return mr__svc_connect_kind(out, name, opts, timeout_ms, MR__SVC_KIND_CONNECT);
}

int mr__svc_connect_kind(struct mr_svc_conn *out, const char *name, const struct mr_svc_opts *opts,
                         int timeout_ms, uint32_t kind)
{
    static const struct mr_svc_opts defaults = { 0, 0, NULL, NULL };
    const struct mr_svc_opts *o = opts ? opts : &defaults;
    struct mr_svc_conn closed = MR_SVC_CONN_INIT;
    *out = closed;
    if (!mr__timeout_ok(timeout_ms) || (o->flags & ~SVC_FLAGS) != 0)
        return -EINVAL;
    int64_t deadline = mr__deadline(timeout_ms);
    struct mr_addr addr;
    int rc = where_wait(name, &addr, deadline);
    if (rc == 0)
        rc = connect_wait(&out->sock, &addr, deadline);
    if (rc == -ETIMEDOUT && timeout_ms == 0)
        rc = -ENOENT;
    if (rc == 0)
        rc = greet_server(out, o, deadline, kind);
    if (rc < 0)
        mr_svc_conn_close(out);
    return rc;
}

/* ==== listing ============================================================= */

/* Ask the server at addr who it is, with a hello that says we only look
 * (it drops the connection without counting it). */
static void look_at(const struct mr_addr *addr, struct mr_svc_info *info)
{
    struct mr_sock s = MR_SOCK_INIT;
    struct mr_sock_cred cred;
    info->live = false;
    if (mr_sock_open_connect(&s, addr, SOCK_STREAM, PROBE_MS, 0) == 0 &&
        mr_sock_peer_cred(&s, &cred) == 0) {
        unsigned char hello[MR__SVC_HELLO_LEN];
        mr__svc_hello_make(hello, MR__SVC_KIND_LOOK);
        mr_sock_send(&s, MR_REGION_OF_ARRAY(hello), MSG_DONTWAIT);
        info->live = true;
        info->pid = cred.pid;
        info->uid = cred.uid;
        info->gid = cred.gid;
    }
    mr_sock_close(&s);
}

int mr_svc_list(struct mr_svc_info *out, size_t max)
{
    struct mr_addr addr;
    int dirfd;
    /* Any valid name finds the directory. */
    int rc = mr__svc_where("x", false, &addr, &dirfd);
    if (rc == -ENOENT)
        return 0;
    if (rc < 0)
        return rc;
    _Alignas(struct dirent64) unsigned char buf[4096];
    size_t count = 0;
    for (;;) {
        ssize_t n = mr__sys_getdents64(dirfd, buf, sizeof buf);
        if (n <= 0) {
            rc = (int)n;
            break;
        }
        for (ssize_t off = 0; off < n;) {
            const struct dirent64 *d = (const struct dirent64 *)(const void *)(buf + off);
            off += d->d_reclen;
            size_t len = strlen(d->d_name);
            if (len <= 4 || len - 4 > MR_SVC_NAME_MAX || strcmp(d->d_name + len - 4, ".svc") != 0)
                continue;
            char name[MR_SVC_NAME_MAX + 1];
            memcpy(name, d->d_name, len - 4);
            name[len - 4] = '\0';
            struct mr_addr a;
            int dfd;
            if (mr__svc_where(name, false, &a, &dfd) < 0)
                continue; /* not a name we make */
            mr__sys_close(dfd);
            if (count < max) {
                memset(&out[count], 0, sizeof out[count]);
                memcpy(out[count].name, name, len - 3);
                look_at(&a, &out[count]);
            }
            count++;
        }
    }
    mr__sys_close(dirfd);
    if (rc < 0)
        return rc;
    return count > INT32_MAX ? INT32_MAX : (int)count;
}
