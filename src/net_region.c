/* SPDX-License-Identifier: MIT */
/* net_region.c: remote regions: exports and their tokens, import, get and
 * put, in checked mode (active messages the exporter validates) and direct
 * mode (UCX one-sided get/put on registered memory). */
#include "net_internal.h"
#include "shm_internal.h"

#include <stdlib.h>
#include <string.h>

/* Token: magic, version, rights, id, length, then a check over those 32
 * bytes, all little-endian. */
#define TOKEN_MAGIC 0x4b524d4du /* "MMRK" */
#define TOKEN_VERSION 1
#define TOKEN_CHECKED 32
/* How long revoking waits for peers to take the bytes of replies in
 * flight before it drops them. */
#define REVOKE_MS 1000
/* A direct import's packed UCX key: no longer than this. */
#define RKEY_MAX 4096

/* FNV-1a: catches a garbled token before it costs a round trip; the id,
 * not this, is what makes a token unguessable. */
static uint64_t token_check(const unsigned char *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 0x100000001b3ull;
    return h;
}

/* The reply an exporter sends: its header lives until UCX is done. */
struct reply {
    unsigned char hdr[MR__NET_REPLY_HDR];
    struct mr_net_export *e; /* listed in its replies while the reply uses it */
    struct reply *next;      /* in e's list */
    struct mr_net *n;
    ucp_ep_h ep;
    uint64_t off, len;
};

static struct mr_net_export *find_export(struct mr_net *n, const unsigned char *id)
{
    for (struct mr_net_export *e = n->exports; e; e = e->next)
        if (memcmp(e->id, id, MR__NET_ID_LEN) == 0)
            return e;
    return NULL;
}

/* r uses its export's region until unbusy: revoke waits for it. */
static void busy(struct reply *r, struct mr_net_export *e, ucp_ep_h ep)
{
    r->e = e;
    r->ep = ep;
    r->next = e->replies;
    e->replies = r;
}

static void unbusy(struct reply *r)
{
    struct mr_net_export *e = r->e;
    if (!e)
        return;
    for (struct reply **pp = (struct reply **)&e->replies; *pp; pp = &(*pp)->next) {
        if (*pp == r) {
            *pp = r->next;
            break;
        }
    }
    r->e = NULL;
}

static void reply_sent(void *request, ucs_status_t st, void *user)
{
    (void)st;
    struct reply *r = user;
    r->n->sends--;
    unbusy(r);
    if (request)
        ucp_request_free(request);
    free(r);
}

/* Send a reply (status, and for an import the export's details; for a get
 * data bytes of the export) on ep. */
static void reply(struct mr_net *n, ucp_ep_h ep, uint64_t req, int status,
                  struct mr_net_export *e, const void *data, size_t len, bool import)
{
    struct reply *r = calloc(1, sizeof *r);
    if (!r)
        return; /* the asker times out: nothing better to do without memory */
    r->n = n;
    n->sends++;
    mr_store_u64le(r->hdr, 0, req);
    mr_store_u32le(r->hdr, 8, (uint32_t)status);
    if (import && status == 0) {
        mr_store_u32le(r->hdr, 12, e->flags);
        mr_store_u64le(r->hdr, 16, e->r.len);
        mr_store_u64le(r->hdr, 24, e->flags & MR_NET_DIRECT ? (uint64_t)(uintptr_t)e->r.ptr : 0);
    }
    /* The region's bytes, or (an import) its packed key: revoke frees
     * neither while UCX still reads them. */
    if (data)
        busy(r, e, ep);
    ucp_request_param_t prm = { 0 };
    prm.op_attr_mask = UCP_OP_ATTR_FIELD_CALLBACK | UCP_OP_ATTR_FIELD_USER_DATA;
    prm.cb.send = reply_sent;
    prm.user_data = r;
    void *sr = ucp_am_send_nbx(ep, MR__NET_AM_REPLY, r->hdr, sizeof r->hdr, data, data ? len : 0,
                               &prm);
    if (!UCS_PTR_IS_PTR(sr))
        reply_sent(NULL, UCS_PTR_STATUS(sr), r);
}

/* Why the request for [off, off + len) of e with right is refused, or 0. */
static int refuse(const struct mr_net_export *e, unsigned right, uint64_t off, uint64_t len)
{
    if (!e)
        return -EPROTO;
    if (!(e->flags & right))
        return -EACCES;
    if (off > e->r.len || len > e->r.len - off)
        return -ERANGE;
    return 0;
}

/* A put whose bytes come by rendezvous: replied to when they are in. */
static void put_done(void *request, ucs_status_t st, size_t length, void *user)
{
    (void)length;
    struct reply *r = user;
    uint64_t req = mr_load_u64le(r->hdr, 0);
    unbusy(r);
    if (request)
        ucp_request_free(request);
    if (mr__net_peer_of(r->n, r->ep))
        reply(r->n, r->ep, req, st == UCS_OK ? 0 : mr__net_errno(st), NULL, NULL, 0, false);
    free(r);
}

static ucs_status_t on_request(void *arg, const void *header, size_t hlen, void *data,
                               size_t length, const ucp_am_recv_param_t *param, unsigned id)
{
    struct mr_net *n = arg;
    bool rndv = param->recv_attr & UCP_AM_RECV_ATTR_FLAG_RNDV;
    ucp_ep_h ep = param->recv_attr & UCP_AM_RECV_ATTR_FIELD_REPLY_EP ? param->reply_ep : NULL;
    /* Only the peers this context accepted or connected may ask. */
    if (!ep || !mr__net_peer_of(n, ep) || hlen != (id == MR__NET_AM_IMPORT ? 24u : MR__NET_REQ_HDR)) {
        if (rndv)
            ucp_am_data_release(n->worker, data);
        return UCS_OK;
    }
    uint64_t req = mr_load_u64le(header, 0);
    struct mr_net_export *e = find_export(n, (const unsigned char *)header + 8);
    if (id == MR__NET_AM_IMPORT) {
        reply(n, ep, req, e ? 0 : -EPROTO, e, e ? e->rkey : NULL, e ? e->rkey_len : 0, true);
        return UCS_OK;
    }
    uint64_t off = mr_load_u64le(header, 24), len = mr_load_u64le(header, 32);
    if (id == MR__NET_AM_GET) {
        int rc = refuse(e, MR_NET_READ, off, len);
        reply(n, ep, req, rc, e, rc == 0 ? (char *)e->r.ptr + off : NULL, rc == 0 ? len : 0, false);
        return UCS_OK;
    }
    int rc = refuse(e, MR_NET_WRITE, off, len);
    if (rc == 0 && length != len)
        rc = -EPROTO;
    if (rc < 0) {
        if (rndv)
            ucp_am_data_release(n->worker, data);
        reply(n, ep, req, rc, NULL, NULL, 0, false);
        return UCS_OK;
    }
    if (!rndv) {
        memcpy((char *)e->r.ptr + off, data, len);
        reply(n, ep, req, 0, NULL, NULL, 0, false);
        return UCS_OK;
    }
    struct reply *r = calloc(1, sizeof *r);
    if (!r) {
        ucp_am_data_release(n->worker, data);
        reply(n, ep, req, -ENOMEM, NULL, NULL, 0, false);
        return UCS_OK;
    }
    mr_store_u64le(r->hdr, 0, req);
    r->n = n;
    busy(r, e, ep);
    ucp_request_param_t prm = { 0 };
    prm.op_attr_mask = UCP_OP_ATTR_FIELD_CALLBACK | UCP_OP_ATTR_FIELD_USER_DATA;
    prm.cb.recv_am = put_done;
    prm.user_data = r;
    void *rr = ucp_am_recv_data_nbx(n->worker, data, (char *)e->r.ptr + off, len, &prm);
    if (!UCS_PTR_IS_PTR(rr))
        put_done(NULL, UCS_PTR_STATUS(rr), len, r);
    return UCS_OK;
}

static ucs_status_t am_import(void *arg, const void *h, size_t hl, void *d, size_t l,
                              const ucp_am_recv_param_t *p)
{
    return on_request(arg, h, hl, d, l, p, MR__NET_AM_IMPORT);
}

static ucs_status_t am_get(void *arg, const void *h, size_t hl, void *d, size_t l,
                           const ucp_am_recv_param_t *p)
{
    return on_request(arg, h, hl, d, l, p, MR__NET_AM_GET);
}

static ucs_status_t am_put(void *arg, const void *h, size_t hl, void *d, size_t l,
                           const ucp_am_recv_param_t *p)
{
    return on_request(arg, h, hl, d, l, p, MR__NET_AM_PUT);
}

static void reply_recvd(void *request, ucs_status_t st, size_t length, void *user)
{
    (void)length;
    struct mr__net_op *op = user;
    if (!op->done) {
        op->done = 1;
        op->status = mr__net_errno(st);
    }
    mr__net_op_sent(request, UCS_OK, op);
}

static ucs_status_t am_reply(void *arg, const void *header, size_t hlen, void *data,
                             size_t length, const ucp_am_recv_param_t *param)
{
    struct mr_net *n = arg;
    bool rndv = param->recv_attr & UCP_AM_RECV_ATTR_FLAG_RNDV;
    struct mr__net_op *op = NULL;
    if (hlen == MR__NET_REPLY_HDR) {
        uint64_t req = mr_load_u64le(header, 0);
        for (op = n->ops; op; op = op->next)
            if (op->req == req)
                break;
    }
    /* A reply nobody waits for (late, forged, or for a peer dropped since),
     * or one from another peer than the one asked. */
    ucp_ep_h ep = param->recv_attr & UCP_AM_RECV_ATTR_FIELD_REPLY_EP ? param->reply_ep : NULL;
    if (!op || op->done || op->abandoned || (ep && ep != op->peer->ep)) {
        if (rndv)
            ucp_am_data_release(n->worker, data);
        return UCS_OK;
    }
    int status = (int32_t)mr_load_u32le(header, 8);
    if (status > 0 || status < -4095)
        status = -EPROTO;
    op->flags = mr_load_u32le(header, 12);
    op->length = mr_load_u64le(header, 16);
    op->base = mr_load_u64le(header, 24);
    void *dst = op->dst;
    size_t want = op->len;
    if (status == 0 && op->import && length > 0) {
        /* An import's packed key. */
        if (length > RKEY_MAX) {
            status = -EPROTO;
        } else if (!(op->rkey = malloc(length))) {
            status = -ENOMEM;
        } else {
            op->rkey_len = length;
            dst = op->rkey;
            want = length;
        }
    }
    if (status == 0 && length != want)
        status = -EPROTO;
    if (status < 0 || length == 0) {
        if (rndv)
            ucp_am_data_release(n->worker, data);
        op->done = 1;
        op->status = status;
        return UCS_OK;
    }
    if (!rndv) {
        memcpy(dst, data, length);
        op->done = 1;
        return UCS_OK;
    }
    ucp_request_param_t prm = { 0 };
    prm.op_attr_mask = UCP_OP_ATTR_FIELD_CALLBACK | UCP_OP_ATTR_FIELD_USER_DATA;
    prm.cb.recv_am = reply_recvd;
    prm.user_data = op;
    op->inflight++;
    void *rr = ucp_am_recv_data_nbx(n->worker, data, dst, length, &prm);
    if (!UCS_PTR_IS_PTR(rr))
        reply_recvd(NULL, UCS_PTR_STATUS(rr), length, op);
    return UCS_OK;
}

int mr__net_am_init(struct mr_net *n)
{
    static ucp_am_recv_callback_t const cbs[] = { am_import, am_get, am_put, am_reply };
    for (unsigned i = 0; i < 4; i++) {
        ucp_am_handler_param_t p = { 0 };
        p.field_mask = UCP_AM_HANDLER_PARAM_FIELD_ID | UCP_AM_HANDLER_PARAM_FIELD_CB |
                       UCP_AM_HANDLER_PARAM_FIELD_ARG | UCP_AM_HANDLER_PARAM_FIELD_FLAGS;
        p.id = i + 1;
        p.cb = cbs[i];
        p.arg = n;
        p.flags = UCP_AM_FLAG_WHOLE_MSG;
        ucs_status_t st = ucp_worker_set_am_recv_handler(n->worker, &p);
        if (st != UCS_OK)
            return mr__net_errno(st);
    }
    return mr__net_chan_init(n);
}

/* ---- exports ------------------------------------------------------------- */

int mr_net_export(struct mr_net *n, struct mr_region r, unsigned flags, struct mr_net_export **out)
{
    if (flags & ~(MR_NET_READ | MR_NET_WRITE | MR_NET_DIRECT) ||
        !(flags & (MR_NET_READ | MR_NET_WRITE)) || r.len == 0 || !r.ptr)
        return -EINVAL;
    if ((flags & MR_NET_WRITE) && (r.flags & MR_REGION_RDONLY))
        return -EACCES;
    struct mr_net_export *e = calloc(1, sizeof *e);
    if (!e)
        return -ENOMEM;
    e->n = n;
    e->r = r;
    e->flags = flags;
    int rc = mr__sys_getrandom(e->id, sizeof e->id, 0);
    if (rc == 0 && (flags & MR_NET_DIRECT)) {
        ucp_mem_map_params_t mp = { 0 };
        mp.field_mask = UCP_MEM_MAP_PARAM_FIELD_ADDRESS | UCP_MEM_MAP_PARAM_FIELD_LENGTH;
        mp.address = r.ptr;
        mp.length = r.len;
        ucs_status_t st = ucp_mem_map(n->ctx, &mp, &e->memh);
        rc = st == UCS_OK ? 0 : st == UCS_ERR_NO_MEMORY ? -ENOMEM : -EIO;
        if (rc == 0) {
            st = ucp_rkey_pack(n->ctx, e->memh, &e->rkey, &e->rkey_len);
            if (st != UCS_OK) {
                ucp_mem_unmap(n->ctx, e->memh);
                rc = st == UCS_ERR_NO_MEMORY ? -ENOMEM : -EIO;
            }
        }
    }
    if (rc < 0) {
        free(e);
        return rc;
    }
    e->next = n->exports;
    n->exports = e;
    *out = e;
    return 0;
}

ssize_t mr_net_token(const struct mr_net_export *e, struct mr_region buf)
{
    if (buf.flags & MR_REGION_RDONLY)
        return -EACCES;
    if (buf.len < MR_NET_TOKEN_SIZE)
        return -ENOSPC;
    unsigned char *t = buf.ptr;
    mr_store_u32le(t, 0, TOKEN_MAGIC);
    mr_store_u16le(t, 4, TOKEN_VERSION);
    mr_store_u16le(t, 6, (uint16_t)e->flags);
    memcpy(t + 8, e->id, MR__NET_ID_LEN);
    mr_store_u64le(t, 24, e->r.len);
    mr_store_u64le(t, TOKEN_CHECKED, token_check(t, TOKEN_CHECKED));
    return MR_NET_TOKEN_SIZE;
}

int mr_net_revoke(struct mr_net_export *e)
{
    if (!e)
        return 0;
    struct mr_net *n = e->n;
    for (struct mr_net_export **pp = &n->exports; *pp; pp = &(*pp)->next) {
        if (*pp == e) {
            *pp = e->next;
            break;
        }
    }
    /* Replies in flight still read the region, and rendezvous puts write
     * it: they end (done, or cancelled when a peer goes) before it is
     * given back. A peer that does not take its bytes in time is dropped,
     * which cancels them. */
    int64_t deadline = mr__deadline(REVOKE_MS);
    while (e->replies) {
        ucp_worker_progress(n->worker);
        if (e->replies && mr__now_ns() >= deadline) {
            /* Failing a peer closes its endpoint, whose purge may end
             * (and free) replies of this list: look again from its head.
             * A failed peer is no longer found, so this ends. */
            for (struct reply *r = e->replies; r;) {
                struct mr_net_peer *p = mr__net_peer_of(n, r->ep);
                if (p) {
                    mr__net_peer_fail(p, -ETIMEDOUT);
                    r = e->replies;
                } else {
                    r = r->next;
                }
            }
            deadline = MR__NEVER;
        }
    }
    if (e->memh) {
        ucp_rkey_buffer_release(e->rkey);
        ucp_mem_unmap(n->ctx, e->memh);
    }
    free(e);
    return 0;
}

/* ---- remotes ------------------------------------------------------------- */

static int send_request(struct mr_net_peer *p, struct mr__net_op *op, unsigned id,
                        const unsigned char *hdr, size_t hlen, const void *data, size_t len)
{
    ucp_request_param_t prm = { 0 };
    prm.op_attr_mask = UCP_OP_ATTR_FIELD_CALLBACK | UCP_OP_ATTR_FIELD_USER_DATA |
                       UCP_OP_ATTR_FIELD_FLAGS;
    prm.flags = UCP_AM_SEND_FLAG_REPLY;
    prm.cb.send = mr__net_op_sent;
    prm.user_data = op;
    op->inflight++;
    void *sr = ucp_am_send_nbx(p->ep, id, hdr, hlen, data, len, &prm);
    if (!UCS_PTR_IS_PTR(sr))
        mr__net_op_sent(NULL, UCS_PTR_STATUS(sr), op);
    return 0;
}

/* A request header and op, sent; the op's status once answered. */
static int ask(struct mr_net_peer *p, unsigned id, const unsigned char *xid, uint64_t off,
               uint64_t len, void *dst, const void *src, int timeout_ms)
{
    if (!mr__timeout_ok(timeout_ms))
        return -EINVAL;
    if (p->status != 0)
        return p->status;
    int64_t deadline = mr__deadline(timeout_ms);
    struct mr__net_op *op = mr__net_op_new(p);
    if (!op)
        return -ENOMEM;
    /* The header must live until UCX is done with it: inside the op. */
    unsigned char *hdr = (unsigned char *)op->hdr;
    mr_store_u64le(hdr, 0, op->req);
    memcpy(hdr + 8, xid, MR__NET_ID_LEN);
    mr_store_u64le(hdr, 24, off);
    mr_store_u64le(hdr, 32, len);
    op->dst = dst;
    op->len = dst ? len : 0;
    send_request(p, op, id, hdr, MR__NET_REQ_HDR, src, src ? len : 0);
    int rc = mr__net_wait(p->n, op, deadline);
    mr__net_op_release(p->n, op);
    return rc;
}

int mr_net_import(struct mr_net_peer *p, struct mr_region token, int timeout_ms,
                  struct mr_net_remote **out)
{
    const unsigned char *t = token.ptr;
    if (token.len != MR_NET_TOKEN_SIZE || !t || mr_load_u32le(t, 0) != TOKEN_MAGIC ||
        mr_load_u16le(t, 4) != TOKEN_VERSION ||
        mr_load_u64le(t, TOKEN_CHECKED) != token_check(t, TOKEN_CHECKED))
        return -EPROTO;
    unsigned flags = mr_load_u16le(t, 6);
    uint64_t length = mr_load_u64le(t, 24);
    if (flags & ~(MR_NET_READ | MR_NET_WRITE | MR_NET_DIRECT) ||
        !(flags & (MR_NET_READ | MR_NET_WRITE)) || length == 0 || length > PTRDIFF_MAX)
        return -EPROTO;
    if (!mr__timeout_ok(timeout_ms))
        return -EINVAL;
    if (p->status != 0)
        return p->status;
    struct mr_net_remote *r = calloc(1, sizeof *r);
    if (!r)
        return -ENOMEM;
    struct mr__net_op *op = mr__net_op_new(p);
    if (!op) {
        free(r);
        return -ENOMEM;
    }
    int64_t deadline = mr__deadline(timeout_ms);
    unsigned char *hdr = (unsigned char *)op->hdr;
    mr_store_u64le(hdr, 0, op->req);
    memcpy(hdr + 8, t + 8, MR__NET_ID_LEN);
    op->import = 1;
    send_request(p, op, MR__NET_AM_IMPORT, hdr, 24, NULL, 0);
    int rc = mr__net_wait(p->n, op, deadline);
    /* What the exporter says must be what the token says. */
    if (rc == 0 && (op->flags != flags || op->length != length))
        rc = -EPROTO;
    if (rc == 0 && (flags & MR_NET_DIRECT)) {
        ucs_status_t st;
        if (!p->ep) /* the peer ended in the progress that brought the reply */
            rc = p->status ? p->status : -ECONNRESET;
        else if (!op->rkey)
            rc = -EPROTO;
        else if ((st = ucp_ep_rkey_unpack(p->ep, op->rkey, &r->rkey)) != UCS_OK)
            rc = st == UCS_ERR_NO_MEMORY ? -ENOMEM : -EPROTO;
        r->base = op->base;
    }
    mr__net_op_release(p->n, op);
    if (rc < 0) {
        free(r);
        return rc;
    }
    r->peer = p;
    memcpy(r->id, t + 8, MR__NET_ID_LEN);
    r->flags = flags;
    r->length = length;
    r->next = p->remotes;
    p->remotes = r;
    *out = r;
    return 0;
}

size_t mr_net_remote_size(const struct mr_net_remote *r)
{
    return (size_t)r->length;
}

unsigned mr_net_remote_flags(const struct mr_net_remote *r)
{
    return r->flags;
}

/* One-sided get or put, then (a put) a flush, so that the bytes are there. */
static int rma(struct mr_net_remote *r, size_t off, struct mr_region buf, bool put, int timeout_ms)
{
    struct mr_net_peer *p = r->peer;
    int64_t deadline = mr__deadline(timeout_ms);
    struct mr__net_op *op = mr__net_op_new(p);
    if (!op)
        return -ENOMEM;
    ucp_request_param_t prm = { 0 };
    prm.op_attr_mask = UCP_OP_ATTR_FIELD_CALLBACK | UCP_OP_ATTR_FIELD_USER_DATA;
    prm.cb.send = mr__net_op_sent;
    prm.user_data = op;
    op->on_sent = 1;
    op->inflight = 2;
    void *req = put ? ucp_put_nbx(p->ep, buf.ptr, buf.len, r->base + off, r->rkey, &prm)
                    : ucp_get_nbx(p->ep, buf.ptr, buf.len, r->base + off, r->rkey, &prm);
    if (!UCS_PTR_IS_PTR(req))
        mr__net_op_sent(NULL, UCS_PTR_STATUS(req), op);
    void *fr = ucp_ep_flush_nbx(p->ep, &prm);
    if (!UCS_PTR_IS_PTR(fr))
        mr__net_op_sent(NULL, UCS_PTR_STATUS(fr), op);
    int rc = mr__net_wait(p->n, op, deadline);
    mr__net_op_release(p->n, op);
    return rc;
}

static int transfer(struct mr_net_remote *r, size_t off, struct mr_region buf, bool put,
                    int timeout_ms)
{
    if (!r || !mr__timeout_ok(timeout_ms))
        return -EINVAL;
    if (!(r->flags & (put ? MR_NET_WRITE : MR_NET_READ)) ||
        (!put && (buf.flags & MR_REGION_RDONLY)))
        return -EACCES;
    if (off > r->length || buf.len > r->length - off)
        return -ERANGE;
    if (r->peer->status != 0)
        return r->peer->status;
    if (buf.len == 0)
        return 0;
    if (r->flags & MR_NET_DIRECT)
        return rma(r, off, buf, put, timeout_ms);
    return ask(r->peer, put ? MR__NET_AM_PUT : MR__NET_AM_GET, r->id, off, buf.len,
               put ? NULL : buf.ptr, put ? buf.ptr : NULL, timeout_ms);
}

int mr_net_get(struct mr_net_remote *r, size_t off, struct mr_region dst, int timeout_ms)
{
    return transfer(r, off, dst, false, timeout_ms);
}

int mr_net_put(struct mr_net_remote *r, size_t off, struct mr_region src, int timeout_ms)
{
    return transfer(r, off, src, true, timeout_ms);
}

static void remote_free(struct mr_net_remote *r)
{
    if (r->rkey)
        ucp_rkey_destroy(r->rkey);
    free(r);
}

int mr_net_remote_close(struct mr_net_remote *r)
{
    if (!r)
        return 0;
    for (struct mr_net_remote **pp = &r->peer->remotes; *pp; pp = &(*pp)->next) {
        if (*pp == r) {
            *pp = r->next;
            break;
        }
    }
    remote_free(r);
    return 0;
}

void mr__net_remotes_drop(struct mr_net_peer *p)
{
    while (p->remotes) {
        struct mr_net_remote *r = p->remotes;
        p->remotes = r->next;
        remote_free(r);
    }
}

int mr__net_get_unchecked(struct mr_net_remote *r, uint64_t off, uint64_t len,
                          struct mr_region dst, int timeout_ms)
{
    return ask(r->peer, MR__NET_AM_GET, r->id, off, len, len <= dst.len ? dst.ptr : NULL, NULL,
               timeout_ms);
}
