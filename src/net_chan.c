/* SPDX-License-Identifier: MIT */
/* net_chan.c: remote channels: a producer batches committed records into
 * active messages of up to MR_NET_CHAN_BATCH bytes, within the credits the
 * consumer grants; the consumer checks every record of a batch, keeps the
 * batches in its own memory, and gives credits back as it releases. */
#include "net_internal.h"

#include <stdlib.h>
#include <string.h>

/* Batch flags. */
#define END_MARK 0x1u /* the producer closed: nothing after this batch */
/* Credit flags. */
#define CONSUMER_CLOSED 0x1u
#define END_SEEN 0x2u

#define DATA_HDR 24   /* chan u32, flags u32, seq u64, bytes u64 */
#define CREDIT_HDR 24 /* chan u32, flags u32, window u64, released u64 */
#define REC_HDR 8     /* len u32, zero u32 */
#define CAP_MIN 4096
#define CAP_MAX ((size_t)1 << 30)

static size_t rec_size(size_t len)
{
    return REC_HDR + ((len + 7) & ~(size_t)7);
}

/* A batch on its way out: the header and the records, alive until UCX is
 * done with them. */
struct out {
    unsigned char hdr[DATA_HDR];
    struct mr_net *n;       /* counts it in sends */
    size_t size;            /* bytes allocated */
    struct mr_net_chan *c;  /* lists it in its outs, until the channel goes */
    struct out *next;       /* in c's list of those */
    unsigned char data[];
};

/* A credit on its way out. */
struct credit {
    unsigned char hdr[CREDIT_HDR];
    struct mr_net *n;
};

/* A batch that came in. */
struct in {
    struct in *next;
    struct mr_net *n;
    size_t size;           /* bytes allocated */
    struct mr_net_chan *c; /* NULL once the channel is gone (orphan) */
    size_t len, pos;
    int ready;  /* every byte is here */
    int end;    /* the end mark came with it */
    uint64_t pad;
    unsigned char data[];
};

/* Credits for a channel not open here yet. */
/* Channels a peer may announce (as consumer) before they are open here. */
#define STASH_MAX 1024

struct stash {
    struct stash *next;
    uint32_t id;
    unsigned flags;
    uint64_t window, released;
};

struct mr_net_chan {
    struct mr_net *n;
    struct mr_net_peer *p;
    struct mr_net_chan *next;
    uint32_t id;
    int role;
    int status;   /* 0, -EPIPE (other side closed), -EPROTO */
    size_t max_msg;
    /* producer */
    struct out *ob;
    struct out *outs; /* batches UCX has not sent yet */
    size_t blen, bcap;
    size_t rlen;
    int reserved;
    uint64_t seq;
    uint64_t committed, credited, window;
    int credit;    /* a credit came: window is known */
    int end_seen;  /* the consumer has the end mark */
    /* consumer */
    struct in *head, *tail;
    uint64_t received, released, told;
    int peeked;
    int ended;     /* the end mark was read */
    int end_in;    /* the end mark came */
    int end_told;  /* and the producer knows every batch is here */
};

static struct mr_net_chan *find(struct mr_net *n, struct mr_net_peer *p, uint32_t id, int role)
{
    for (struct mr_net_chan *c = n->chans; c; c = c->next)
        if (c->p == p && c->id == id && c->role == role)
            return c;
    return NULL;
}

/* Batch buffers of BUF_ROOM bytes are kept for reuse while the context
 * lives: a fresh malloc of 64-128 KiB per batch faults its pages in every
 * time (glibc gives the top of its heap back to the kernel), which cost
 * more than the copy. Only a request of more than half that takes one: a
 * small batch costs its own size, so that the consumer's memory stays
 * within twice its window however small the producer's batches. */
#define BUF_ROOM (2 * (size_t)MR_NET_CHAN_BATCH + 128)
#define CACHE_MAX 64

/* A buffer of at least *size bytes; *size becomes what it holds. */
static void *buf_get(struct mr_net *n, size_t *size)
{
    if (*size > BUF_ROOM / 2 && *size <= BUF_ROOM) {
        *size = BUF_ROOM;
        if (n->cache) {
            void *p = n->cache;
            n->cache = *(void **)p;
            n->cached--;
            return p;
        }
    }
    return malloc(*size);
}

static void buf_put(struct mr_net *n, void *p, size_t size)
{
    if (size == BUF_ROOM && n->cached < CACHE_MAX) {
        *(void **)p = n->cache;
        n->cache = p;
        n->cached++;
        return;
    }
    free(p);
}

void mr__net_chan_fini(struct mr_net *n)
{
    while (n->cache) {
        void *p = n->cache;
        n->cache = *(void **)p;
        free(p);
    }
    n->cached = 0;
}

/* The first member of both struct out and struct credit is the header,
 * the second the context. */
static void out_sent(void *request, ucs_status_t st, void *user)
{
    (void)st;
    struct credit *o = user;
    o->n->sends--;
    free(user);
    if (request)
        ucp_request_free(request);
}

static void unlist(struct out *ob)
{
    struct mr_net_chan *c = ob->c;
    if (!c)
        return;
    for (struct out **pp = &c->outs; *pp; pp = &(*pp)->next) {
        if (*pp == ob) {
            *pp = ob->next;
            break;
        }
    }
    ob->c = NULL;
}

static void batch_sent(void *request, ucs_status_t st, void *user)
{
    (void)st;
    struct out *ob = user;
    unlist(ob);
    ob->n->sends--;
    buf_put(ob->n, ob, ob->size);
    if (request)
        ucp_request_free(request);
}

static void send_am(struct mr_net_peer *p, unsigned id, void *hdr, size_t hlen, void *data,
                    size_t len, void *owner, ucp_send_nbx_callback_t done)
{
    p->n->sends++;
    ucp_request_param_t prm = { 0 };
    prm.op_attr_mask = UCP_OP_ATTR_FIELD_CALLBACK | UCP_OP_ATTR_FIELD_USER_DATA |
                       UCP_OP_ATTR_FIELD_FLAGS;
    /* Eager: a batch is at most MR_NET_CHAN_BATCH plus one message, and a
     * rendezvous costs round trips (and the sender's progress) per batch. */
    prm.flags = UCP_AM_SEND_FLAG_REPLY | UCP_AM_SEND_FLAG_EAGER;
    prm.cb.send = done;
    prm.user_data = owner;
    void *sr = ucp_am_send_nbx(p->ep, id, hdr, hlen, data, len, &prm);
    if (!UCS_PTR_IS_PTR(sr))
        done(NULL, UCS_PTR_STATUS(sr), owner);
}

/* 0, or -ENOMEM: the next release tries again (the first credit, at the
 * open, must not be lost: nothing would come to release). */
static int send_credit(struct mr_net_chan *c, unsigned flags)
{
    if (c->p->status != 0)
        return 0;
    struct credit *cr = malloc(sizeof *cr);
    if (!cr)
        return -ENOMEM;
    cr->n = c->n;
    unsigned char *h = cr->hdr;
    mr_store_u32le(h, 0, c->id);
    mr_store_u32le(h, 4, flags);
    mr_store_u64le(h, 8, c->window);
    mr_store_u64le(h, 16, c->released);
    c->told = c->released;
    send_am(c->p, MR__NET_AM_CREDIT, h, CREDIT_HDR, NULL, 0, cr, out_sent);
    return 0;
}

/* Hand the producer's batch to UCX (with flags); a new one starts at the
 * next reserve. */
static void ship(struct mr_net_chan *c, unsigned flags)
{
    if (!c->ob && !flags)
        return;
    struct out *ob = c->ob;
    if (!ob) {
        size_t size = sizeof *ob;
        if (!(ob = buf_get(c->n, &size)))
            return;
        ob->size = size;
    }
    c->ob = NULL;
    ob->n = c->n;
    mr_store_u32le(ob->hdr, 0, c->id);
    mr_store_u32le(ob->hdr, 4, flags);
    mr_store_u64le(ob->hdr, 8, c->seq++);
    mr_store_u64le(ob->hdr, 16, c->blen);
    size_t len = c->blen;
    c->blen = 0;
    if (c->p->status != 0) {
        buf_put(c->n, ob, ob->size);
        return;
    }
    ob->c = c;
    ob->next = c->outs;
    c->outs = ob;
    send_am(c->p, MR__NET_AM_DATA, ob->hdr, DATA_HDR, len ? ob->data : NULL, len, ob, batch_sent);
}

int mr__net_chan_idle(struct mr_net *n)
{
    int count = 0;
    for (struct mr_net_chan *c = n->chans; c; c = c->next) {
        if (c->role == MR_NET_PRODUCER && c->ob && c->blen > 0 && !c->reserved) {
            ship(c, 0);
            count++;
        }
    }
    return count;
}

/* Every record of a batch: inside it, no longer than the channel takes. */
static bool records_ok(const struct mr_net_chan *c, const unsigned char *d, size_t len)
{
    size_t pos = 0;
    while (pos < len) {
        if (len - pos < REC_HDR)
            return false;
        uint32_t l = mr_load_u32le(d, (ptrdiff_t)pos);
        if (l > c->max_msg || mr_load_u32le(d, (ptrdiff_t)pos + 4) != 0 ||
            rec_size(l) > len - pos)
            return false;
        pos += rec_size(l);
    }
    return true;
}

/* The producer may drop the connection once it knows the consumer has
 * the end mark: say so only when every batch before it is here too (the
 * bytes of a rendezvous come after its header). */
static void tell_end(struct mr_net_chan *c)
{
    if (!c->end_in || c->end_told)
        return;
    for (struct in *b = c->head; b; b = b->next)
        if (!b->ready)
            return;
    c->end_told = 1;
    send_credit(c, END_SEEN);
}

static void in_arrived(struct in *b)
{
    struct mr_net_chan *c = b->c;
    b->ready = 1;
    if (c && !records_ok(c, b->data, b->len))
        c->status = -EPROTO;
    if (c)
        tell_end(c);
}

static void in_recvd(void *request, ucs_status_t st, size_t length, void *user)
{
    (void)length;
    struct in *b = user;
    if (request)
        ucp_request_free(request);
    if (!b->c) {
        buf_put(b->n, b, b->size);
        return;
    }
    if (st != UCS_OK) {
        b->len = 0; /* the peer's death says the rest */
        b->ready = 1;
        b->c->status = mr__net_errno(st);
        return;
    }
    in_arrived(b);
}

static ucs_status_t am_data(void *arg, const void *header, size_t hlen, void *data,
                            size_t length, const ucp_am_recv_param_t *param)
{
    struct mr_net *n = arg;
    bool rndv = param->recv_attr & UCP_AM_RECV_ATTR_FLAG_RNDV;
    ucp_ep_h ep = param->recv_attr & UCP_AM_RECV_ATTR_FIELD_REPLY_EP ? param->reply_ep : NULL;
    struct mr_net_peer *p = mr__net_peer_of(n, ep);
    struct mr_net_chan *c = NULL;
    if (p && hlen == DATA_HDR)
        c = find(n, p, mr_load_u32le(header, 0), MR_NET_CONSUMER);
    struct in *b = NULL;
    size_t size = sizeof *b + length;
    if (c && c->status == 0 && !c->ended) {
        /* More than the credits granted is a broken producer; a batch we
         * cannot keep is lost, and the channel with it. */
        if (mr_load_u64le(header, 16) != length ||
            c->received - c->released + length > c->window)
            c->status = -EPROTO;
        else if (!(b = buf_get(n, &size)))
            c->status = -ENOMEM;
    }
    if (!b) {
        if (rndv)
            ucp_am_data_release(n->worker, data);
        return UCS_OK;
    }
    memset(b, 0, sizeof *b);
    b->n = n;
    b->size = size;
    b->c = c;
    b->len = length;
    b->end = mr_load_u32le(header, 4) & END_MARK;
    c->received += length;
    if (c->tail)
        c->tail->next = b;
    else
        c->head = b;
    c->tail = b;
    if (b->end)
        c->end_in = 1;
    if (!rndv) {
        memcpy(b->data, data, length);
        in_arrived(b);
        return UCS_OK;
    }
    ucp_request_param_t prm = { 0 };
    prm.op_attr_mask = UCP_OP_ATTR_FIELD_CALLBACK | UCP_OP_ATTR_FIELD_USER_DATA;
    prm.cb.recv_am = in_recvd;
    prm.user_data = b;
    void *rr = ucp_am_recv_data_nbx(n->worker, data, b->data, length, &prm);
    if (!UCS_PTR_IS_PTR(rr))
        in_recvd(NULL, UCS_PTR_STATUS(rr), length, b);
    return UCS_OK;
}

static void apply_credit(struct mr_net_chan *c, unsigned flags, uint64_t window, uint64_t released)
{
    if (window < CAP_MIN || window > CAP_MAX || released > c->committed ||
        (c->credit && window != c->window)) {
        c->status = -EPROTO;
        return;
    }
    c->window = window;
    c->credit = 1;
    if (released > c->credited)
        c->credited = released;
    if (flags & END_SEEN)
        c->end_seen = 1;
    if (flags & CONSUMER_CLOSED)
        c->status = -EPIPE;
}

static ucs_status_t am_credit(void *arg, const void *header, size_t hlen, void *data,
                              size_t length, const ucp_am_recv_param_t *param)
{
    (void)length;
    struct mr_net *n = arg;
    ucp_ep_h ep = param->recv_attr & UCP_AM_RECV_ATTR_FIELD_REPLY_EP ? param->reply_ep : NULL;
    struct mr_net_peer *p = mr__net_peer_of(n, ep);
    if (param->recv_attr & UCP_AM_RECV_ATTR_FLAG_RNDV)
        ucp_am_data_release(n->worker, data);
    if (!p || hlen != CREDIT_HDR)
        return UCS_OK;
    uint32_t id = mr_load_u32le(header, 0);
    unsigned flags = mr_load_u32le(header, 4);
    uint64_t window = mr_load_u64le(header, 8), released = mr_load_u64le(header, 16);
    struct mr_net_chan *c = find(n, p, id, MR_NET_PRODUCER);
    if (c) {
        apply_credit(c, flags, window, released);
        return UCS_OK;
    }
    /* Not open here yet: kept for mr_net_chan_open (the latest per id),
     * for at most STASH_MAX ids: a peer that names more is dropped. */
    struct stash *s;
    unsigned kept = 0;
    for (s = p->credits; s && s->id != id; s = s->next)
        kept++;
    if (!s && kept >= STASH_MAX) {
        mr__net_peer_fail(p, -EPROTO);
        return UCS_OK;
    }
    if (!s && (s = calloc(1, sizeof *s))) {
        s->id = id;
        s->next = p->credits;
        p->credits = s;
    }
    if (s) {
        s->flags |= flags;
        s->window = window;
        s->released = released;
    }
    return UCS_OK;
}

int mr__net_chan_init(struct mr_net *n)
{
    static ucp_am_recv_callback_t const cbs[] = { am_data, am_credit };
    for (unsigned i = 0; i < 2; i++) {
        ucp_am_handler_param_t p = { 0 };
        p.field_mask = UCP_AM_HANDLER_PARAM_FIELD_ID | UCP_AM_HANDLER_PARAM_FIELD_CB |
                       UCP_AM_HANDLER_PARAM_FIELD_ARG | UCP_AM_HANDLER_PARAM_FIELD_FLAGS;
        p.id = MR__NET_AM_DATA + i;
        p.cb = cbs[i];
        p.arg = n;
        p.flags = UCP_AM_FLAG_WHOLE_MSG;
        ucs_status_t st = ucp_worker_set_am_recv_handler(n->worker, &p);
        if (st != UCS_OK)
            return mr__net_errno(st);
    }
    return 0;
}

int mr_net_chan_open(struct mr_net_peer *p, uint32_t id, enum mr_net_chan_role role,
                     size_t capacity, struct mr_net_chan **out)
{
    if ((role != MR_NET_PRODUCER && role != MR_NET_CONSUMER) || capacity > CAP_MAX)
        return -EINVAL;
    if (role == MR_NET_CONSUMER && capacity < CAP_MIN)
        return -EINVAL;
    if (p->status != 0)
        return p->status;
    if (find(p->n, p, id, role))
        return -EBUSY;
    struct mr_net_chan *c = calloc(1, sizeof *c);
    if (!c)
        return -ENOMEM;
    c->n = p->n;
    c->p = p;
    c->id = id;
    c->role = role;
    if (capacity < CAP_MIN)
        capacity = CAP_MIN;
    capacity = (capacity + 7) & ~(size_t)7;
    c->max_msg = capacity - REC_HDR;
    if (role == MR_NET_CONSUMER) {
        /* Before it is listed: nothing comes before progress is made. */
        c->window = capacity;
        if (send_credit(c, 0) < 0) {
            free(c);
            return -ENOMEM;
        }
    }
    c->next = p->n->chans;
    p->n->chans = c;
    if (role == MR_NET_PRODUCER) {
        for (struct stash **sp = (struct stash **)&p->credits; *sp; sp = &(*sp)->next) {
            struct stash *s = *sp;
            if (s->id == id) {
                apply_credit(c, s->flags, s->window, 0);
                *sp = s->next;
                free(s);
                break;
            }
        }
    }
    *out = c;
    return 0;
}

size_t mr_net_chan_max_msg(const struct mr_net_chan *c)
{
    size_t m = c->max_msg;
    if (c->role == MR_NET_PRODUCER && c->credit && c->window - REC_HDR < m)
        m = (size_t)c->window - REC_HDR;
    return m;
}

/* Why c cannot go on, or 0. */
static int broken(const struct mr_net_chan *c)
{
    if (c->status)
        return c->status;
    return c->p->status;
}

struct room {
    struct mr_net_chan *c;
    size_t need;
};

static bool has_room(void *arg)
{
    struct room *r = arg;
    struct mr_net_chan *c = r->c;
    return broken(c) || (c->credit && c->committed - c->credited + r->need <= c->window);
}

int mr_net_chan_reserve(struct mr_net_chan *c, size_t len, int timeout_ms, struct mr_region *out)
{
    if (c->role != MR_NET_PRODUCER)
        return -EBADF;
    if (!mr__timeout_ok(timeout_ms))
        return -EINVAL;
    if (c->reserved)
        return -EBUSY;
    if (len > mr_net_chan_max_msg(c))
        return -EMSGSIZE;
    int rc = broken(c);
    if (rc)
        return rc;
    struct room r = { c, rec_size(len) };
    if (!has_room(&r)) {
        ship(c, 0); /* the consumer can release only what it has */
        rc = mr__net_block(c->n, c->p, mr__deadline(timeout_ms), has_room, &r);
        if (rc == 0)
            rc = broken(c);
        if (rc)
            return rc == -ETIMEDOUT && timeout_ms == 0 ? -EAGAIN : rc;
        if (len > mr_net_chan_max_msg(c))
            return -EMSGSIZE;
    }
    if (c->ob && c->blen + r.need > c->bcap)
        ship(c, 0);
    if (!c->ob) {
        /* A batch ships once it holds MR_NET_CHAN_BATCH bytes: room for
         * that less one byte plus one message of up to the same again. */
        size_t cap = r.need > MR_NET_CHAN_BATCH ? r.need : BUF_ROOM - sizeof *c->ob;
        size_t size = sizeof *c->ob + cap;
        if (!(c->ob = buf_get(c->n, &size)))
            return -ENOMEM;
        c->ob->size = size;
        c->bcap = cap;
        c->blen = 0;
    }
    c->reserved = 1;
    c->rlen = len;
    *out = mr_region_make(c->ob->data + c->blen + REC_HDR, len);
    return 0;
}

int mr_net_chan_commit(struct mr_net_chan *c, size_t len)
{
    if (c->role != MR_NET_PRODUCER)
        return -EBADF;
    if (!c->reserved)
        return -EINVAL;
    if (len > c->rlen)
        return -ERANGE;
    unsigned char *h = c->ob->data + c->blen;
    mr_store_u32le(h, 0, (uint32_t)len);
    mr_store_u32le(h, 4, 0);
    size_t pad = rec_size(len) - REC_HDR - len;
    memset(h + REC_HDR + len, 0, pad);
    c->blen += rec_size(len);
    c->committed += rec_size(len);
    c->reserved = 0;
    if (c->blen >= MR_NET_CHAN_BATCH)
        ship(c, 0);
    return 0;
}

ssize_t mr_net_chan_send(struct mr_net_chan *c, struct mr_region msg, int timeout_ms)
{
    struct mr_region r;
    int rc = mr_net_chan_reserve(c, msg.len, timeout_ms, &r);
    if (rc < 0)
        return rc;
    memcpy(r.ptr, msg.ptr, msg.len);
    mr_net_chan_commit(c, msg.len);
    return (ssize_t)msg.len;
}

static bool all_sent(void *arg)
{
    struct mr_net_chan *c = arg;
    return !c->outs || broken(c);
}

int mr_net_chan_flush(struct mr_net_chan *c, int timeout_ms)
{
    if (c->role != MR_NET_PRODUCER)
        return -EBADF;
    if (!mr__timeout_ok(timeout_ms))
        return -EINVAL;
    int rc = broken(c);
    if (rc)
        return rc;
    if (!c->reserved)
        ship(c, 0);
    rc = mr__net_block(c->n, c->p, mr__deadline(timeout_ms), all_sent, c);
    if (rc == 0)
        rc = broken(c);
    return rc == -ETIMEDOUT && timeout_ms == 0 ? -EAGAIN : rc;
}

/* The consumer's queue: drop consumed batches, note the end mark. */
static void tidy(struct mr_net_chan *c)
{
    while (c->head && c->head->ready && c->head->pos >= c->head->len && !c->peeked) {
        struct in *b = c->head;
        c->head = b->next;
        if (!c->head)
            c->tail = NULL;
        if (b->end)
            c->ended = 1;
        buf_put(c->n, b, b->size);
    }
}

static bool has_msg(void *arg)
{
    struct mr_net_chan *c = arg;
    tidy(c);
    if (c->head)
        return c->head->ready; /* a rendezvous in flight ends, done or cancelled */
    return c->ended || c->status || c->p->status;
}

int mr_net_chan_peek(struct mr_net_chan *c, int timeout_ms, struct mr_region *out)
{
    if (c->role != MR_NET_CONSUMER)
        return -EBADF;
    if (!mr__timeout_ok(timeout_ms))
        return -EINVAL;
    /* What is queued needs no progress: one message costs no UCX call. */
    int rc = has_msg(c) ? 0 : mr__net_block(c->n, NULL, mr__deadline(timeout_ms), has_msg, c);
    if (c->status == -EPROTO)
        return -EPROTO;
    if (!(c->head && c->head->ready)) {
        if (c->ended)
            return -EPIPE;
        if (c->status)
            return c->status;
        if (c->p->status)
            return c->p->status;
        return timeout_ms == 0 && rc == -ETIMEDOUT ? -EAGAIN : rc;
    }
    struct in *b = c->head;
    uint32_t l = mr_load_u32le(b->data, (ptrdiff_t)b->pos);
    *out = mr_region_make_ro(b->data + b->pos + REC_HDR, l);
    c->peeked = 1;
    return 0;
}

int mr_net_chan_release(struct mr_net_chan *c)
{
    if (c->role != MR_NET_CONSUMER)
        return -EBADF;
    if (!c->peeked)
        return -EINVAL;
    struct in *b = c->head;
    size_t rs = rec_size(mr_load_u32le(b->data, (ptrdiff_t)b->pos));
    b->pos += rs;
    c->released += rs;
    c->peeked = 0;
    tidy(c);
    /* Credits go back in quarters of the window, and at once when all is
     * read: a producer waiting for room then always gets it. */
    if (c->released - c->told >= c->window / 4 || (!c->head && c->released != c->told))
        send_credit(c, 0);
    return 0;
}

ssize_t mr_net_chan_recv(struct mr_net_chan *c, struct mr_region buf, int timeout_ms)
{
    if (buf.flags & MR_REGION_RDONLY)
        return -EACCES;
    struct mr_region m;
    int rc = mr_net_chan_peek(c, timeout_ms, &m);
    if (rc < 0)
        return rc;
    if (m.len > buf.len)
        return -EMSGSIZE;
    memcpy(buf.ptr, m.ptr, m.len);
    mr_net_chan_release(c);
    return (ssize_t)m.len;
}

static bool end_seen(void *arg)
{
    struct mr_net_chan *c = arg;
    return c->end_seen || c->status;
}

static void chan_free(struct mr_net_chan *c)
{
    for (struct mr_net_chan **pp = &c->n->chans; *pp; pp = &(*pp)->next) {
        if (*pp == c) {
            *pp = c->next;
            break;
        }
    }
    if (c->ob)
        buf_put(c->n, c->ob, c->ob->size);
    while (c->outs)
        unlist(c->outs);
    while (c->head) {
        struct in *b = c->head;
        c->head = b->next;
        if (b->ready)
            buf_put(c->n, b, b->size);
        else
            b->c = NULL; /* its rendezvous frees it when done */
    }
    free(c);
}

int mr_net_chan_close(struct mr_net_chan *c)
{
    if (!c)
        return 0;
    int rc = 0;
    if (c->role == MR_NET_PRODUCER && !broken(c)) {
        c->reserved = 0;
        int64_t deadline = mr__deadline(MR_NET_DEATH_MS);
        /* Nothing reaches a consumer that has not opened: its credit says it has. */
        struct room r = { c, 0 };
        rc = mr__net_block(c->n, c->p, deadline, has_room, &r);
        if (rc == 0 && !broken(c)) {
            ship(c, END_MARK);
            rc = mr__net_block(c->n, c->p, deadline, end_seen, c);
        }
        if (rc == 0 && c->status == -EPROTO)
            rc = -EPROTO;
    } else if (c->role == MR_NET_CONSUMER) {
        send_credit(c, CONSUMER_CLOSED);
    }
    chan_free(c);
    return rc == -EPIPE ? 0 : rc;
}

void mr__net_chans_drop(struct mr_net_peer *p)
{
    for (struct mr_net_chan *c = p->n->chans, *next; c; c = next) {
        next = c->next;
        if (c->p == p)
            chan_free(c);
    }
    while (p->credits) {
        struct stash *s = p->credits;
        p->credits = s->next;
        free(s);
    }
}
