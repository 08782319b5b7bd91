/* SPDX-License-Identifier: MIT */
/* net_internal.h: the net layer's objects and wire formats, shared by
 * src/net.c (contexts, peers, progress) and src/net_region.c (exports,
 * tokens, get and put), and the test hooks. */
#ifndef MEMREGION_NET_INTERNAL_H
#define MEMREGION_NET_INTERNAL_H

#include "internal.h"

#include <memregion/net.h>
#include <memregion/sock.h>

#include <ucp/api/ucp.h>

/* Active message ids. */
enum {
    MR__NET_AM_IMPORT = 1, /* header: req, id */
    MR__NET_AM_GET = 2,    /* header: req, id, off, len */
    MR__NET_AM_PUT = 3,    /* header: req, id, off, len; data: the bytes */
    MR__NET_AM_REPLY = 4,  /* header: req, status, flags, length, base; data */
    MR__NET_AM_DATA = 5,   /* header: chan, flags, seq, bytes; data: records */
    MR__NET_AM_CREDIT = 6  /* header: chan, flags, window, released */
};

#define MR__NET_ID_LEN 16
/* req u64, id 16, off u64, len u64 */
#define MR__NET_REQ_HDR 40
/* req u64, status i32, flags u32, length u64, base u64 */
#define MR__NET_REPLY_HDR 32

struct mr_net_peer;
struct mr_net_export;

/* A call waiting for its reply or its UCX completion. */
struct mr__net_op {
    struct mr__net_op *next;
    struct mr_net *n;
    struct mr_net_peer *peer; /* NULL once the peer is freed (the op abandoned) */
    uint64_t req;
    int done;      /* 1 once complete */
    int status;    /* 0 or -errno once done */
    void *dst;     /* where a get's reply goes */
    size_t len;    /* its expected length */
    unsigned flags;  /* an import's reply: rights */
    uint64_t length; /* an import's reply: the exported length */
    uint64_t base;   /* an import's reply (direct): the address */
    void *rkey;      /* an import's reply (direct): the packed key, malloc'd */
    size_t rkey_len;
    int inflight;    /* UCX requests still pointing at this op */
    int abandoned;   /* the caller left: the last completion frees it */
    int import;      /* an import: reply data is the packed key */
    int on_sent;     /* done when the last UCX request completes (RMA) */
    unsigned char hdr[MR__NET_REQ_HDR]; /* the request header, alive while UCX sends it */
};

struct mr_net {
    ucp_context_h ctx;
    ucp_worker_h worker;
    int epfd; /* mr_net_fd: the worker's fd and every control socket */
    struct mr_sock lsock;
    struct { unsigned char addr[16]; int family; unsigned bits; } allow[MR_NET_ALLOW_MAX];
    size_t allow_count;
    struct mr_net_peer *peers;
    struct mr_net_export *exports;
    struct mr__net_op *ops;
    uint64_t next_req;
    struct mr_net_chan *chans;
    int sends; /* replies, batches and credits UCX has not finished */
    void *cache; /* batch buffers for reuse (net_chan.c) */
    int cached;
};

struct mr_net_peer {
    struct mr_net *n;
    struct mr_net_peer *next;
    struct mr_sock sock; /* the control connection */
    struct mr_addr addr;
    ucp_ep_h ep;
    int status; /* 0, -EPIPE, -ECONNRESET, -ETIMEDOUT */
    struct mr_net_remote *remotes;
    void *credits; /* credits for channels not open here yet (net_chan.c) */
};

struct mr_net_export {
    struct mr_net *n;
    struct mr_net_export *next;
    struct mr_region r;
    unsigned flags;
    unsigned char id[MR__NET_ID_LEN];
    void *replies; /* replies in flight that use r (net_region.c): revoke waits for them */
    ucp_mem_h memh;
    void *rkey;
    size_t rkey_len;
};

struct mr_net_remote {
    struct mr_net_peer *peer;
    struct mr_net_remote *next;
    unsigned char id[MR__NET_ID_LEN];
    unsigned flags;
    uint64_t length;
    uint64_t base;
    ucp_rkey_h rkey;
};

/* net.c */
/* Wait for op (made progress on, its peer watched) until it is done or the
 * deadline passes: op's status, or -ETIMEDOUT / the peer's error, after
 * which the peer is dropped. */
int mr__net_wait(struct mr_net *n, struct mr__net_op *op, int64_t deadline);
/* Make progress until ready(arg), p's end (its status; p may be NULL) or
 * the deadline (-ETIMEDOUT, p kept): 0 once ready. Producers' batches go
 * out before it sleeps. */
int mr__net_block(struct mr_net *n, struct mr_net_peer *p, int64_t deadline,
                  bool (*ready)(void *), void *arg);
/* Free op, or leave it to its last UCX completion. */
void mr__net_op_release(struct mr_net *n, struct mr__net_op *op);
/* A new op for peer, linked in n's list: NULL when out of memory. */
struct mr__net_op *mr__net_op_new(struct mr_net_peer *p);
/* The live peer whose endpoint is ep (a request's reply endpoint): only
 * peers this context accepted or connected may ask anything. */
struct mr_net_peer *mr__net_peer_of(struct mr_net *n, ucp_ep_h ep);
/* The UCX status as -errno. */
int mr__net_errno(ucs_status_t st);
/* The send-completion callback of an op's UCX requests. */
void mr__net_op_sent(void *request, ucs_status_t st, void *user);
/* Drop a peer's connection: its endpoint is closed at once and every op
 * waiting on it fails with err. */
void mr__net_peer_fail(struct mr_net_peer *p, int err);

/* net_sys.c: epoll, each -errno on failure. A new close-on-exec epoll fd. */
int mr__sys_net_epoll_create(void);
/* EPOLL_CTL_ADD / DEL of fd for input, with ptr as its data. */
int mr__sys_net_epoll_ctl(int epfd, int op, int fd, void *ptr);
/* Without waiting: the data of up to max (at most 16) ready fds. */
int mr__sys_net_epoll_wait(int epfd, void **ready, int max);

/* net_region.c */
/* Register the active-message handlers on n's worker. */
int mr__net_am_init(struct mr_net *n);
/* Forget what n's exports and remotes hold of p (it is going away). */
void mr__net_remotes_drop(struct mr_net_peer *p);
/* net_chan.c */
/* Register the channel handlers on n's worker. */
int mr__net_chan_init(struct mr_net *n);
/* Ship every producer's pending batch: how many went. */
int mr__net_chan_idle(struct mr_net *n);
/* Free the buffers kept for reuse. */
void mr__net_chan_fini(struct mr_net *n);
/* Close p's channels without a word (p is going away). */
void mr__net_chans_drop(struct mr_net_peer *p);

/* Test hook: ask for len bytes at off of r without checking them here, as a
 * hostile peer would (checked mode): the exporter's answer. */
int mr__net_get_unchecked(struct mr_net_remote *r, uint64_t off, uint64_t len,
                          struct mr_region dst, int timeout_ms);

#endif
