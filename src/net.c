/* SPDX-License-Identifier: MIT */
/* net.c: the net layer's contexts and peers: a UCX context and worker per
 * mr_net, the control connection and endpoint per peer, progress, waiting
 * with a deadline, and telling an orderly close from a death. */
#include "net_internal.h"

#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <poll.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/socket.h>


/* The control connection's greeting: magic, version, then the UCX worker
 * address (length, bytes). Anything else is -EPROTO. */
#define NET_MAGIC 0x544e524du /* "MRNT" little-endian */
#define NET_VERSION 1
#define NET_HELLO_HDR 12
#define NET_ADDR_MAX 4096
/* The bytes on the control connection after the greetings: ready (the
 * endpoint is up), and the orderly close. */
#define NET_READY 'R'
#define NET_BYE 'B'
/* Rounds of progress a blocking call makes before it sleeps in poll: an
 * answer within some microseconds costs no wake-up, and a peer on the same
 * CPU is not starved for long. */
#define NET_SPINS 32
/* How long closing waits for UCX to finish cancelled requests. */
#define NET_DRAIN_MS 1000

int mr__net_errno(ucs_status_t st)
{
    switch (st) {
    case UCS_OK:
        return 0;
    case UCS_ERR_NO_MEMORY:
        return -ENOMEM;
    case UCS_ERR_INVALID_PARAM:
        return -EINVAL;
    case UCS_ERR_NO_DEVICE:
    case UCS_ERR_UNSUPPORTED:
        return -ENODEV;
    case UCS_ERR_TIMED_OUT:
        return -ETIMEDOUT;
    case UCS_ERR_CANCELED:
    case UCS_ERR_CONNECTION_RESET:
    case UCS_ERR_ENDPOINT_TIMEOUT:
    case UCS_ERR_UNREACHABLE:
    case UCS_ERR_NOT_CONNECTED:
        return -ECONNRESET;
    case UCS_ERR_REJECTED:
        return -ECONNREFUSED;
    default:
        return -EIO;
    }
}

static int parse_allow(struct mr_net *n, const char *text)
{
    char buf[64];
    size_t len = strlen(text);
    if (len == 0 || len >= sizeof buf)
        return -EINVAL;
    memcpy(buf, text, len + 1);
    char *slash = strchr(buf, '/');
    long bits = -1;
    if (slash) {
        char *end;
        *slash = 0;
        if (slash[1] < '0' || slash[1] > '9')
            return -EINVAL;
        bits = strtol(slash + 1, &end, 10);
        if (*end)
            return -EINVAL;
    }
    size_t i = n->allow_count;
    memset(n->allow[i].addr, 0, sizeof n->allow[i].addr);
    if (inet_pton(AF_INET, buf, n->allow[i].addr) == 1) {
        n->allow[i].family = AF_INET;
        if (bits < 0)
            bits = 32;
        if (bits > 32)
            return -EINVAL;
    } else if (inet_pton(AF_INET6, buf, n->allow[i].addr) == 1) {
        n->allow[i].family = AF_INET6;
        if (bits < 0)
            bits = 128;
        if (bits > 128)
            return -EINVAL;
    } else {
        return -EINVAL;
    }
    n->allow[i].bits = (unsigned)bits;
    n->allow_count++;
    return 0;
}

static bool prefix_match(const unsigned char *a, const unsigned char *b, unsigned bits)
{
    unsigned full = bits / 8, rest = bits % 8;
    if (memcmp(a, b, full) != 0)
        return false;
    if (rest == 0)
        return true;
    unsigned char mask = (unsigned char)(0xffu << (8 - rest));
    return (a[full] & mask) == (b[full] & mask);
}

static bool allowed(const struct mr_net *n, const struct mr_addr *peer)
{
    struct mr_addr a = *peer;
    if (mr_addr_is_v4mapped(&a))
        mr_addr_unmap_v4(&a, &a);
    int fam = mr_addr_family(&a);
    const unsigned char *bytes = fam == AF_INET ? (const unsigned char *)&a.in4.sin_addr
                               : fam == AF_INET6 ? (const unsigned char *)&a.in6.sin6_addr
                                                 : NULL;
    if (!bytes)
        return false;
    for (size_t i = 0; i < n->allow_count; i++)
        if (n->allow[i].family == fam && prefix_match(bytes, n->allow[i].addr, n->allow[i].bits))
            return true;
    return false;
}

static int set(ucp_config_t *cfg, const char *name, const char *value)
{
    return mr__net_errno(ucp_config_modify(cfg, name, value));
}

static int configure(ucp_config_t *cfg, const struct mr_net_opts *o)
{
    static const char *const tls[] = { "all", "tcp,self", "sm,self", "rc,ud,dc,self" };
    bool tcp = o->transport == MR_NET_AUTO || o->transport == MR_NET_TCP;
    bool sm = o->transport == MR_NET_AUTO || o->transport == MR_NET_SM;
    int rc = set(cfg, "TLS", tls[o->transport]);
    if (rc == 0 && o->devices)
        rc = set(cfg, "NET_DEVICES", o->devices);
    if (rc == 0)
        rc = set(cfg, "KEEPALIVE_INTERVAL", "1s");
    /* UCX warns about a setting no transport of the context takes: each
     * only where it applies. The segment sizes are the tcp transport's
     * (TX_SEG_SIZE, RX_SEG_SIZE: as UCX_TCP_*). */
    if (rc == 0 && sm)
        rc = set(cfg, "MM_ERROR_HANDLING", "y");
    if (rc == 0 && tcp)
        rc = set(cfg, "TX_SEG_SIZE", "64k");
    if (rc == 0 && tcp)
        rc = set(cfg, "RX_SEG_SIZE", "256k");
    return rc;
}

int mr_net_open(struct mr_net **out, const struct mr_net_opts *opts)
{
    static const struct mr_net_opts defaults;
    const struct mr_net_opts *o = opts ? opts : &defaults;
    if (!out || (unsigned)o->transport > MR_NET_RDMA || o->allow_count > MR_NET_ALLOW_MAX ||
        (o->allow_count && !o->allow))
        return -EINVAL;
    struct mr_net *n = calloc(1, sizeof *n);
    if (!n)
        return -ENOMEM;
    n->epfd = -1;
    n->lsock = (struct mr_sock)MR_SOCK_INIT;
    n->next_req = 1;
    int rc = 0;
    for (size_t i = 0; i < o->allow_count && rc == 0; i++)
        rc = o->allow[i] ? parse_allow(n, o->allow[i]) : -EINVAL;
    if (rc == 0 && o->allow_count == 0) {
        parse_allow(n, "127.0.0.0/8");
        parse_allow(n, "::1");
    }
    if (rc < 0) {
        free(n);
        return rc;
    }

    ucp_config_t *cfg;
    ucs_status_t st = ucp_config_read(NULL, NULL, &cfg);
    if (st != UCS_OK) {
        free(n);
        return mr__net_errno(st);
    }
    rc = configure(cfg, o);
    if (rc == 0) {
        ucp_params_t p = { 0 };
        p.field_mask = UCP_PARAM_FIELD_FEATURES;
        p.features = UCP_FEATURE_AM | UCP_FEATURE_RMA | UCP_FEATURE_WAKEUP;
        st = ucp_init(&p, cfg, &n->ctx);
        rc = mr__net_errno(st);
    }
    ucp_config_release(cfg);
    if (rc < 0) {
        free(n);
        return rc;
    }
    ucp_worker_params_t wp = { 0 };
    wp.field_mask = UCP_WORKER_PARAM_FIELD_THREAD_MODE;
    wp.thread_mode = UCS_THREAD_MODE_SINGLE;
    st = ucp_worker_create(n->ctx, &wp, &n->worker);
    if (st != UCS_OK) {
        rc = mr__net_errno(st);
        n->worker = NULL;
        goto fail;
    }
    int wfd; /* the worker's: it closes it */
    st = ucp_worker_get_efd(n->worker, &wfd);
    if (st != UCS_OK) {
        rc = mr__net_errno(st);
        goto fail;
    }
    n->epfd = mr__sys_net_epoll_create();
    if (n->epfd < 0) {
        rc = n->epfd;
        goto fail;
    }
    rc = mr__sys_net_epoll_ctl(n->epfd, EPOLL_CTL_ADD, wfd, NULL);
    if (rc < 0)
        goto fail;
    rc = mr__net_am_init(n);
    if (rc < 0)
        goto fail;
    *out = n;
    return 0;
fail:
    if (n->epfd >= 0)
        mr__sys_close(n->epfd);
    if (n->worker)
        ucp_worker_destroy(n->worker);
    ucp_cleanup(n->ctx);
    free(n);
    return rc;
}

int mr_net_fd(const struct mr_net *n)
{
    return n->epfd;
}

/* Mark p broken (err) and fail what waits on it. */
void mr__net_peer_fail(struct mr_net_peer *p, int err)
{
    if (p->status != 0)
        return;
    p->status = err;
    if (p->sock.fd >= 0)
        mr__sys_net_epoll_ctl(p->n->epfd, EPOLL_CTL_DEL, p->sock.fd, NULL);
    for (struct mr__net_op *op = p->n->ops; op; op = op->next) {
        if (op->peer == p && !op->done) {
            op->done = 1;
            op->status = err;
        }
    }
    if (p->ep) {
        ucp_request_param_t prm = { 0 };
        prm.op_attr_mask = UCP_OP_ATTR_FIELD_FLAGS;
        prm.flags = UCP_EP_CLOSE_FLAG_FORCE;
        void *req = ucp_ep_close_nbx(p->ep, &prm);
        if (UCS_PTR_IS_PTR(req))
            ucp_request_free(req);
        p->ep = NULL;
    }
}

/* Read the control connection without waiting: 0 (nothing), or the
 * peer's end: -EPIPE (it said goodbye) or -ECONNRESET. */
static int control_state(struct mr_net_peer *p)
{
    char c;
    ssize_t got = mr_sock_recv(&p->sock, MR_REGION_OF(c), MSG_DONTWAIT);
    if (got == 1)
        return c == NET_BYE ? -EPIPE : -ECONNRESET;
    if (got == -EAGAIN || got == -EINTR)
        return 0;
    return -ECONNRESET;
}

static void ep_error(void *arg, ucp_ep_h ep, ucs_status_t st)
{
    (void)ep;
    (void)st;
    struct mr_net_peer *p = arg;
    if (p->status != 0)
        return;
    /* An orderly close says goodbye on the control connection before it
     * drops the endpoint: the goodbye, if it is there, tells a close from a
     * death. */
    struct pollfd pfd = { .fd = p->sock.fd, .events = POLLIN };
    mr__sys_poll(&pfd, 1, 50);
    int end = control_state(p);
    mr__net_peer_fail(p, end ? end : -ECONNRESET);
}

/* One round of progress: UCX's, then every control connection that has
 * something to say (when watch is set). The number of events. */
static int progress(struct mr_net *n, bool watch)
{
    int count = 0;
    while (ucp_worker_progress(n->worker) != 0)
        count++;
    if (!watch)
        return count;
    void *ready[16];
    int got = mr__sys_net_epoll_wait(n->epfd, ready, 16);
    for (int i = 0; i < got; i++) {
        struct mr_net_peer *p = ready[i];
        if (!p || p->status != 0)
            continue;
        int end = control_state(p);
        if (end) {
            mr__net_peer_fail(p, end);
            count++;
        }
    }
    return count;
}

int mr_net_progress(struct mr_net *n)
{
    int count = progress(n, true);
    if (count > 0)
        return count;
    count = mr__net_chan_idle(n);
    if (count > 0)
        return count;
    ucs_status_t st = ucp_worker_arm(n->worker);
    if (st == UCS_ERR_BUSY)
        return 1;
    return st == UCS_OK ? 0 : mr__net_errno(st);
}

struct mr_net_peer *mr__net_peer_of(struct mr_net *n, ucp_ep_h ep)
{
    for (struct mr_net_peer *p = n->peers; ep && p; p = p->next)
        if (p->ep == ep && p->status == 0)
            return p;
    return NULL;
}

struct mr__net_op *mr__net_op_new(struct mr_net_peer *p)
{
    struct mr__net_op *op = calloc(1, sizeof *op);
    if (!op)
        return NULL;
    op->n = p->n;
    op->peer = p;
    op->req = p->n->next_req++;
    op->next = p->n->ops;
    p->n->ops = op;
    return op;
}

static void op_free(struct mr_net *n, struct mr__net_op *op)
{
    for (struct mr__net_op **pp = &n->ops; *pp; pp = &(*pp)->next) {
        if (*pp == op) {
            *pp = op->next;
            break;
        }
    }
    free(op->rkey);
    free(op);
}

void mr__net_op_sent(void *request, ucs_status_t st, void *user)
{
    struct mr__net_op *op = user;
    op->inflight--;
    if (st != UCS_OK && !op->done) {
        op->done = 1;
        op->status = mr__net_errno(st);
    }
    if (op->on_sent && op->inflight == 0)
        op->done = 1;
    if (request)
        ucp_request_free(request);
    if (op->abandoned && op->inflight == 0)
        op_free(op->n, op);
}

/* Wait, making progress, until op is done, the peer is gone or deadline. */
int mr__net_block(struct mr_net *n, struct mr_net_peer *p, int64_t deadline,
                  bool (*ready)(void *), void *arg)
{
    unsigned spins = 0;
    for (;;) {
        progress(n, (++spins & 63) == 0);
        if (ready(arg))
            return 0;
        if (p && p->status != 0)
            return p->status;
        if (mr__now_ns() >= deadline)
            return -ETIMEDOUT;
        if (spins < NET_SPINS) {
            /* A peer on this CPU gets it now, not at the end of our slice. */
            if (spins > NET_SPINS / 4)
                sched_yield();
            continue;
        }
        /* About to sleep: what producers have batched goes out now. */
        if (mr__net_chan_idle(n) > 0)
            continue;
        if (ucp_worker_arm(n->worker) != UCS_OK)
            continue;
        struct pollfd pfd = { .fd = n->epfd, .events = POLLIN };
        int ms = mr__poll_ms(deadline);
        mr__sys_poll(&pfd, 1, ms < 0 || ms > 100 ? 100 : ms);
        progress(n, true);
    }
}

static bool op_done(void *arg)
{
    return ((struct mr__net_op *)arg)->done;
}

int mr__net_wait(struct mr_net *n, struct mr__net_op *op, int64_t deadline)
{
    struct mr_net_peer *p = op->peer;
    int rc = mr__net_block(n, p, deadline, op_done, op);
    if (!op->done) {
        if (rc == -ETIMEDOUT)
            mr__net_peer_fail(p, -ETIMEDOUT);
        op->done = 1;
        op->status = rc;
    }
    /* Cancelled requests finish inside UCX's progress: wait for them, so
     * that none writes into the caller's buffer after this returns. */
    int64_t drain = mr__deadline(NET_DRAIN_MS);
    while (op->inflight > 0 && mr__now_ns() < drain)
        progress(n, false);
    return op->status;
}

void mr__net_op_release(struct mr_net *n, struct mr__net_op *op)
{
    if (op->inflight > 0)
        op->abandoned = 1;
    else
        op_free(n, op);
}

static void drain_peer(struct mr_net *n, struct mr_net_peer *p);

static void unlink_peer(struct mr_net *n, struct mr_net_peer *p)
{
    for (struct mr_net_peer **pp = &n->peers; *pp; pp = &(*pp)->next) {
        if (*pp == p) {
            *pp = p->next;
            break;
        }
    }
}

static int send_hello(struct mr_net *n, const struct mr_sock *s, int64_t deadline)
{
    ucp_address_t *addr;
    size_t len;
    ucs_status_t st = ucp_worker_get_address(n->worker, &addr, &len);
    if (st != UCS_OK)
        return mr__net_errno(st);
    unsigned char *buf = malloc(NET_HELLO_HDR + len);
    if (!buf) {
        ucp_worker_release_address(n->worker, addr);
        return -ENOMEM;
    }
    mr_store_u32le(buf, 0, NET_MAGIC);
    mr_store_u32le(buf, 4, NET_VERSION);
    mr_store_u32le(buf, 8, (uint32_t)len);
    memcpy(buf + NET_HELLO_HDR, addr, len);
    ucp_worker_release_address(n->worker, addr);
    ssize_t got = mr_sock_send_all(s, mr_region_make(buf, NET_HELLO_HDR + len),
                                   mr__poll_ms(deadline), NULL);
    free(buf);
    return got < 0 ? (int)got : 0;
}

/* The other side's greeting: its worker address, malloc'd, in *out. */
static int recv_hello(const struct mr_sock *s, int64_t deadline, void **out)
{
    unsigned char hdr[NET_HELLO_HDR];
    ssize_t got = mr_sock_recv_exact(s, MR_REGION_OF_ARRAY(hdr), mr__poll_ms(deadline), NULL);
    if (got == 0)
        return -ECONNREFUSED;
    if (got < 0)
        return got == -EPIPE ? -EPROTO : (int)got;
    uint32_t len = mr_load_u32le(hdr, 8);
    if (mr_load_u32le(hdr, 0) != NET_MAGIC || mr_load_u32le(hdr, 4) != NET_VERSION ||
        len == 0 || len > NET_ADDR_MAX)
        return -EPROTO;
    void *addr = malloc(len);
    if (!addr)
        return -ENOMEM;
    got = mr_sock_recv_exact(s, mr_region_make(addr, len), mr__poll_ms(deadline), NULL);
    if (got != (ssize_t)len) {
        free(addr);
        return got < 0 && got != -EPIPE ? (int)got : -EPROTO;
    }
    *out = addr;
    return 0;
}

/* Wait for the control connection's one-byte go-ahead, making progress
 * meanwhile (the other side's UCX may need ours to connect). */
static int await_ready(struct mr_net *n, const struct mr_sock *s, int64_t deadline)
{
    for (;;) {
        progress(n, false);
        char c;
        ssize_t got = mr_sock_recv(s, MR_REGION_OF(c), MSG_DONTWAIT);
        if (got == 1)
            return c == NET_READY ? 0 : -EPROTO;
        if (got != -EAGAIN && got != -EINTR)
            return -ECONNRESET;
        if (mr__now_ns() >= deadline)
            return -ETIMEDOUT;
        if (ucp_worker_arm(n->worker) != UCS_OK)
            continue;
        struct pollfd pfd[2] = { { .fd = s->fd, .events = POLLIN }, { .fd = n->epfd, .events = POLLIN } };
        int ms = mr__poll_ms(deadline);
        mr__sys_poll(pfd, 2, ms < 0 || ms > 100 ? 100 : ms);
    }
}

/* Flush p's endpoint: UCX connects lazily, and this makes it connect now. */
static int flush_peer(struct mr_net *n, struct mr_net_peer *p, int64_t deadline)
{
    struct mr__net_op *op = mr__net_op_new(p);
    if (!op)
        return -ENOMEM;
    op->on_sent = 1;
    op->inflight = 1;
    ucp_request_param_t prm = { 0 };
    prm.op_attr_mask = UCP_OP_ATTR_FIELD_CALLBACK | UCP_OP_ATTR_FIELD_USER_DATA;
    prm.cb.send = mr__net_op_sent;
    prm.user_data = op;
    void *fr = ucp_ep_flush_nbx(p->ep, &prm);
    if (!UCS_PTR_IS_PTR(fr))
        mr__net_op_sent(NULL, UCS_PTR_STATUS(fr), op);
    int rc = mr__net_wait(n, op, deadline);
    mr__net_op_release(n, op);
    return rc;
}

/* Make a peer of a connected control socket. Greetings (worker addresses)
 * both ways, the connecting side first; then the connecting side makes its
 * endpoint, flushes it and says ready, and only then the listening side
 * makes its own, which UCX matches to the connection already up, and says
 * ready. Endpoints made on both sides at once would connect twice at the
 * same time, which UCX's tcp transport does not always survive. Takes s
 * either way. */
static int make_peer(struct mr_net *n, struct mr_sock *s, const struct mr_addr *addr,
                     bool listener, int64_t deadline, struct mr_net_peer **out)
{
    void *remote = NULL;
    int rc = 0;
    if (!listener)
        rc = send_hello(n, s, deadline);
    if (rc == 0)
        rc = recv_hello(s, deadline, &remote);
    if (rc == 0 && listener)
        rc = send_hello(n, s, deadline);
    if (rc == 0 && listener)
        rc = await_ready(n, s, deadline);
    if (!listener && (rc == -ECONNRESET || rc == -EPIPE))
        rc = -ECONNREFUSED; /* closed before its greeting: the allow-list */
    struct mr_net_peer *p = NULL;
    if (rc == 0 && !(p = calloc(1, sizeof *p)))
        rc = -ENOMEM;
    if (rc == 0) {
        p->n = n;
        p->sock = *s;
        p->addr = *addr;
        ucp_ep_params_t ep = { 0 };
        ep.field_mask = UCP_EP_PARAM_FIELD_REMOTE_ADDRESS | UCP_EP_PARAM_FIELD_ERR_HANDLING_MODE |
                        UCP_EP_PARAM_FIELD_ERR_HANDLER;
        ep.address = remote;
        ep.err_mode = UCP_ERR_HANDLING_MODE_PEER;
        ep.err_handler.cb = ep_error;
        ep.err_handler.arg = p;
        ucs_status_t st = ucp_ep_create(n->worker, &ep, &p->ep);
        rc = mr__net_errno(st);
        if (rc < 0) {
            p->ep = NULL;
        } else {
            /* Known from now on: the other side may speak (a channel's
             * credits) before this side's call returns. */
            p->next = n->peers;
            n->peers = p;
        }
    }
    free(remote);
    if (rc == 0)
        rc = flush_peer(n, p, deadline);
    char ready = NET_READY;
    if (rc == 0) {
        ssize_t sent = mr_sock_send_all(s, MR_REGION_OF(ready), mr__poll_ms(deadline), NULL);
        rc = sent < 0 ? (int)sent : 0;
    }
    if (rc == 0 && !listener)
        rc = await_ready(n, s, deadline);
    if (rc == 0) {
        rc = mr__sys_net_epoll_ctl(n->epfd, EPOLL_CTL_ADD, p->sock.fd, p);
    }
    if (rc < 0) {
        if (p) {
            if (p->status == 0)
                mr__net_peer_fail(p, rc);
            drain_peer(n, p);
            mr__net_chans_drop(p);
            unlink_peer(n, p);
        }
        free(p);
        mr_sock_close(s);
        return rc;
    }
    mr_sock_set_opt(&p->sock, MR_SOCK_OPT_NODELAY, 1);
    mr_sock_set_keepalive(&p->sock, 1, 1, 3);
    *out = p;
    return 0;
}

/* Let the ops that name p and are still in UCX's hands finish, then free
 * every op of p; one UCX still holds after the wait is left to its last
 * completion (abandoned, without its peer). */
static void drain_peer(struct mr_net *n, struct mr_net_peer *p)
{
    int64_t drain = mr__deadline(NET_DRAIN_MS);
    for (;;) {
        bool busy = false;
        for (struct mr__net_op *op = n->ops; op; op = op->next)
            busy |= op->peer == p && op->inflight > 0;
        if (!busy || mr__now_ns() >= drain)
            break;
        progress(n, false);
    }
    for (struct mr__net_op **pp = &n->ops; *pp;) {
        struct mr__net_op *op = *pp;
        if (op->peer == p && op->inflight > 0) {
            op->abandoned = 1;
            op->peer = NULL;
            pp = &op->next;
        } else if (op->peer == p) {
            *pp = op->next;
            free(op->rkey);
            free(op);
        } else {
            pp = &op->next;
        }
    }
}

int mr_net_listen(struct mr_net *n, const char *addr, struct mr_addr *bound)
{
    if (n->lsock.fd >= 0)
        return -EBUSY;
    struct mr_addr a;
    int rc = mr_addr_parse(&a, addr, NULL);
    if (rc < 0)
        return rc;
    int fam = mr_addr_family(&a);
    if (fam != AF_INET && fam != AF_INET6)
        return -EINVAL;
    rc = mr_sock_open_listen(&n->lsock, &a, -1, 0);
    if (rc == 0 && bound)
        rc = mr_sock_local_addr(&n->lsock, bound);
    if (rc < 0)
        mr_sock_close(&n->lsock);
    return rc;
}

int mr_net_accept(struct mr_net *n, int timeout_ms, struct mr_net_peer **out)
{
    if (!mr__timeout_ok(timeout_ms))
        return -EINVAL;
    if (n->lsock.fd < 0)
        return -EINVAL;
    int64_t deadline = mr__deadline(timeout_ms);
    for (;;) {
        struct mr_sock s = MR_SOCK_INIT;
        struct mr_addr peer;
        int ms = mr__poll_ms(deadline);
        int rc = mr_sock_accept(&n->lsock, &s, &peer, ms < 0 ? MR_FOREVER : ms);
        if (rc < 0)
            return rc;
        if (!allowed(n, &peer)) {
            mr_sock_close(&s);
            continue;
        }
        /* The greeting takes round trips: a caller that only looks (0, an
         * event loop) still gets the connection it found. */
        int64_t greet = mr__deadline(MR_NET_DEATH_MS);
        return make_peer(n, &s, &peer, true, greet > deadline ? greet : deadline, out);
    }
}

int mr_net_connect(struct mr_net *n, const char *addr, int timeout_ms, struct mr_net_peer **out)
{
    if (!mr__timeout_ok(timeout_ms) || !addr)
        return -EINVAL;
    int64_t deadline = mr__deadline(timeout_ms);
    struct mr_sock s = MR_SOCK_INIT;
    int rc = mr_sock_open_connect_text(&s, addr, SOCK_STREAM, timeout_ms, NULL);
    if (rc < 0)
        return rc;
    struct mr_addr peer;
    rc = mr_sock_peer_addr(&s, &peer);
    if (rc < 0) {
        mr_sock_close(&s);
        return rc;
    }
    return make_peer(n, &s, &peer, false, deadline, out);
}

int mr_net_peer_status(struct mr_net_peer *p)
{
    if (p->status == 0)
        progress(p->n, true);
    return p->status;
}

int mr_net_peer_addr(const struct mr_net_peer *p, struct mr_addr *out)
{
    if (p->sock.fd < 0)
        return -ENOTCONN;
    *out = p->addr;
    return 0;
}

int mr_net_peer_close(struct mr_net_peer *p)
{
    if (!p)
        return 0;
    struct mr_net *n = p->n;
    mr__net_remotes_drop(p);
    mr__net_chans_drop(p);
    if (p->status == 0) {
        char bye = NET_BYE;
        mr_sock_send(&p->sock, MR_REGION_OF(bye), MSG_DONTWAIT);
        mr__net_peer_fail(p, -EPIPE);
    }
    drain_peer(n, p);
    unlink_peer(n, p);
    mr_sock_close(&p->sock);
    free(p);
    progress(n, false);
    return 0;
}

int mr_net_close(struct mr_net *n)
{
    if (!n)
        return 0;
    while (n->peers)
        mr_net_peer_close(n->peers);
    /* Sends to the peers just closed end, cancelled, in UCX's progress. */
    int64_t drain = mr__deadline(NET_DRAIN_MS);
    while (n->sends > 0 && mr__now_ns() < drain)
        progress(n, false);
    while (n->exports)
        mr_net_revoke(n->exports);
    while (n->ops)
        op_free(n, n->ops);
    mr__net_chan_fini(n);
    mr_sock_close(&n->lsock);
    mr__sys_close(n->epfd);
    ucp_worker_destroy(n->worker);
    ucp_cleanup(n->ctx);
    free(n);
    return 0;
}
