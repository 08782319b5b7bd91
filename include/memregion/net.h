/* SPDX-License-Identifier: MIT */
/* memregion/net.h: regions across hosts, over UCX (libmemregion-net).
 *
 * An optional layer, in a library of its own: link -lmemregion-net
 * (pkg-config memregion-net, CMake memregion::net_shared), built only when
 * UCX was found (libucx-dev). <memregion.h> does not include this header.
 *
 * CONTEXTS AND PEERS. A struct mr_net is one UCX context with one worker. A
 * peer is a connection to another context: one side listens (an address in
 * the sock layer's syntax, memregion/addr.h) and accepts, the other
 * connects. The connection is a TCP control connection plus a UCX endpoint
 * made from the worker addresses the two exchange over it. The control
 * connection carries the orderly close and tells a dead peer at once when
 * its host is up (a killed process): every call on a peer then returns
 * -ECONNRESET (died) or -EPIPE (closed in order).
 *
 * DEATH. A peer that dies is reported as -ECONNRESET within MR_NET_DEATH_MS:
 * at once (milliseconds) when its host closes the connection (a killed
 * process on a live host), at the latest after the keepalive (1 s idle, then
 * three 1 s probes on the control connection; UCX's keepalive every 1 s)
 * when its host is gone or the network is cut.
 *
 * WHO MAY CONNECT. A listener takes an allow-list of peer addresses; the
 * default is loopback only (127.0.0.0/8 and ::1). A connection from any
 * other address is closed before anything is said: the other side's
 * mr_net_connect returns -ECONNREFUSED. A token (below) is a capability: an
 * unguessable 128-bit id and the rights it grants. The wire is neither
 * authenticated nor encrypted beyond that: anyone on the path can read and
 * change the bytes. Across networks you do not trust, carry the connection
 * in a VPN or an SSH or TLS tunnel (WireGuard, ssh -L, stunnel).
 *
 * REMOTE REGIONS. mr_net_export offers a region to this context's peers
 * and gives a token to send them any way (a socket, a file). A peer imports
 * it (mr_net_import asks the exporter, who checks the id and the rights),
 * then gets and puts bytes at offsets. The token carries no address: the
 * importer knows only an id, rights and a length. Every offset and length
 * is checked against the exported length before anything is sent (-ERANGE).
 * Two modes:
 *  - checked (the default): every get and put is a message that the
 *    exporter checks against its export (id, rights, bounds) before it
 *    touches a byte. A hostile or buggy peer cannot reach outside the
 *    region, whatever the transport. This is the mode for peers you do not
 *    trust, and the only one whose revocation holds against every peer.
 *  - direct (MR_NET_DIRECT): one-sided UCX get/put on registered memory.
 *    The importer's library receives the region's address and UCX key
 *    (never the user), after the exporter checked the id. Only for trusted
 *    peers: tcp and shared-memory transports do not check UCX keys or
 *    bounds, so a peer that skips this library's checks can reach any
 *    address of the exporter; only RDMA hardware enforces keys. Over tcp
 *    the exporter must make progress (mr_net_progress) for gets and puts to
 *    move.
 * The exporter makes progress for both modes: a get or put of a peer is
 * served only inside the exporter's calls into this layer (mr_net_progress,
 * or any blocking call here).
 *
 * PROGRESS AND EVENT LOOPS. mr_net_fd is an fd to poll for input: when it
 * is readable, call mr_net_progress until it returns 0; it returns 0 only
 * when nothing is left to do and the fd is armed, so the next event wakes
 * the poll. Blocking calls here make progress themselves while they wait.
 *
 * UCX SETTINGS. The layer configures its own UCX context (ucp_config_modify),
 * never the environment, on top of the UCX_* variables the user set:
 *   TLS              tcp / sm (posix, sysv, cma) / rc,ud,dc / all, from
 *                    mr_net_opts.transport (plus "self")
 *   NET_DEVICES      mr_net_opts.devices (e.g. "lo"); unset: UCX's default
 *   KEEPALIVE_INTERVAL 1s, and peer error handling on every endpoint
 *   MM_ERROR_HANDLING y (auto, sm: shared memory with peer error handling)
 *   TCP TX_SEG_SIZE 64k, RX_SEG_SIZE 256k (auto, tcp: UCX_TCP_*; speed)
 * UCX also installs handlers for SIGILL, SIGSEGV, SIGBUS and SIGFPE when
 * libucs loads (UCX_ERROR_SIGNALS): process-wide, and before this layer
 * runs. Linked normally, libucs loads first and memregion's SIGBUS guard
 * (memregion/guard.h), installed later, runs first and returns -EFAULT as
 * it should. Loaded with dlopen after the guard started, libucs's handler
 * replaces the guard's, which UCX 1.13 cannot undo: set UCX_ERROR_SIGNALS=
 * (empty) in the environment before loading it, or link it normally.
 *
 * FORK. A child of fork may not use its parent's contexts, peers, exports
 * or remotes (UCX state is per process). It inherits their fds (UCX's own
 * are not all close-on-exec), and a context it opens then does not always
 * connect back to the parent: fork before opening contexts, or exec.
 *
 * THREADS. A context and everything made from it (peers, exports, remotes)
 * is used by one thread at a time; distinct contexts are independent.
 */
#ifndef MEMREGION_NET_H
#define MEMREGION_NET_H

#include <memregion/addr.h>
#include <memregion/base.h>
#include <memregion/region.h>

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

struct mr_net;
struct mr_net_peer;
struct mr_net_export;
struct mr_net_remote;
struct mr_net_chan;

/* The bound, in milliseconds, from a peer's death to -ECONNRESET (see
 * DEATH above). */
#define MR_NET_DEATH_MS 5000

/* Which UCX transports a context uses. */
enum mr_net_transport {
    MR_NET_AUTO = 0, /* whatever UCX finds: shared memory on one host, else tcp or RDMA */
    MR_NET_TCP = 1,  /* UCX's tcp transport */
    MR_NET_SM = 2,   /* shared memory only (posix, sysv, cma): both ends on one host */
    MR_NET_RDMA = 3  /* RDMA verbs only (rc, ud, dc): -ENODEV at open without a device */
};

/* The longest allow-list. */
#define MR_NET_ALLOW_MAX 16

/* Options of mr_net_open; all zero (or NULL options) is the default. */
struct mr_net_opts {
    enum mr_net_transport transport;
    /* UCX_NET_DEVICES for this context ("lo", "eth0,eth1", "mlx5_0:1");
     * NULL: UCX's default (all). */
    const char *devices;
    /* The peers a listener accepts: up to MR_NET_ALLOW_MAX entries, each an
     * IPv4 or IPv6 address with an optional prefix length ("10.0.0.0/8",
     * "::1", "0.0.0.0/0" for any IPv4 peer). allow_count 0: loopback only. */
    const char *const *allow;
    size_t allow_count;
};

/* ---- contexts ------------------------------------------------------------ */

/* Open a context (options: NULL for the defaults). 0 and *out set; or
 * -EINVAL (options, an allow-list entry that does not parse), -ENODEV (UCX
 * found no transport of the kind asked for), -ENOMEM, -EIO (another UCX
 * failure). The caller owns *out (mr_net_close). Thread-safe. */
MR_API int mr_net_open(struct mr_net **out, const struct mr_net_opts *opts);
/* Close a context: its peers (told in order), exports (revoked) and
 * remotes, its listener and fds. Pointers to any of them are invalid after.
 * 0 (also for NULL). */
MR_API int mr_net_close(struct mr_net *n);
/* An fd to poll for POLLIN (see PROGRESS above); owned by n. */
MR_API int mr_net_fd(const struct mr_net *n);
/* Make progress: serve peers' gets and puts, notice closes and deaths.
 * Returns > 0 when it did something (call it again), 0 when idle with
 * mr_net_fd armed; or -errno. Never blocks. */
MR_API int mr_net_progress(struct mr_net *n);

/* ---- peers --------------------------------------------------------------- */

/* Listen on addr, text in the sock layer's syntax ("127.0.0.1:0": port 0
 * picks a free one): IPv4 or IPv6. *bound (if not NULL) is the address
 * bound. One listener per context. 0; or -EINVAL (text), -EBUSY (already
 * listening), -EADDRINUSE, ... */
MR_API int mr_net_listen(struct mr_net *n, const char *addr, struct mr_addr *bound);
/* Take one connection, waiting up to timeout_ms (0: only look; MR_FOREVER).
 * A connection from an address off the allow-list is closed unanswered,
 * and the wait goes on. Once a connection is taken, its greeting is waited
 * for up to MR_NET_DEATH_MS even when timeout_ms is shorter (or 0). 0 and *out (owned by the caller: mr_net_peer_close);
 * or -EINVAL (not listening), -ETIMEDOUT, -EPROTO (the other side spoke
 * something else), -ENOMEM, ... */
MR_API int mr_net_accept(struct mr_net *n, int timeout_ms, struct mr_net_peer **out);
/* Connect to a listener at addr ("host:port"; names are resolved) within
 * timeout_ms. 0 and *out (the caller's: mr_net_peer_close); or
 * -ECONNREFUSED (nobody listens, or the listener's allow-list refused this
 * address), -ETIMEDOUT (also for an unreachable address), -ENETUNREACH,
 * -EPROTO, -ENOMEM, ... */
MR_API int mr_net_connect(struct mr_net *n, const char *addr, int timeout_ms,
                          struct mr_net_peer **out);
/* 0 while the peer is there; -EPIPE once it closed in order, -ECONNRESET
 * once it died (see DEATH), -ETIMEDOUT after a call on it timed out (the
 * connection is dropped then). Looks without waiting. */
MR_API int mr_net_peer_status(struct mr_net_peer *p);
/* The peer's address (its control connection's). 0 or -ENOTCONN. */
MR_API int mr_net_peer_addr(const struct mr_net_peer *p, struct mr_addr *out);
/* Close the connection in order (the other side sees -EPIPE), and the
 * remotes imported over it. 0 (also for NULL). */
MR_API int mr_net_peer_close(struct mr_net_peer *p);

/* ---- remote regions ------------------------------------------------------ */

/* Export flags, and the rights a token grants. */
#define MR_NET_READ 0x1u   /* peers may get */
#define MR_NET_WRITE 0x2u  /* peers may put */
#define MR_NET_DIRECT 0x4u /* one-sided UCX get/put, for trusted peers (see above) */
/* The size of a token: every token is exactly this long. */
#define MR_NET_TOKEN_SIZE 40

/* Offer region r to the context's peers with flags (MR_NET_READ and/or
 * MR_NET_WRITE, optionally MR_NET_DIRECT). r stays the caller's and must
 * outlive the export. 0 and *out (the caller's: mr_net_revoke); or -EINVAL
 * (flags, no right, an empty region), -EACCES (MR_NET_WRITE on a read-only
 * region), -ENOMEM, -EIO (UCX could not register the memory). */
MR_API int mr_net_export(struct mr_net *n, struct mr_region r, unsigned flags,
                         struct mr_net_export **out);
/* Write the export's token (MR_NET_TOKEN_SIZE bytes: magic, version, id,
 * rights, length; no address) to the start of buf. Returns its length, or
 * -ENOSPC (buf too small), -EACCES (buf read-only). */
MR_API ssize_t mr_net_token(const struct mr_net_export *e, struct mr_region buf);
/* Revoke an export and free it: later imports of its token fail with
 * -EPROTO, and in checked mode so do gets and puts through remotes already
 * imported (see above for direct mode). Waits (making progress) for replies
 * that still read the region. 0 (also for NULL). */
MR_API int mr_net_revoke(struct mr_net_export *e);

/* Import a token from the peer that exported it, asking it within
 * timeout_ms. 0 and *out (owned by the caller: mr_net_remote_close; closed
 * with the peer too); or -EPROTO (not a token: wrong size or magic, another
 * version, a length or rights out of range; or an id the exporter does not
 * know: made up, revoked, from a closed context), -ETIMEDOUT, -EPIPE,
 * -ECONNRESET, -ENOMEM. */
MR_API int mr_net_import(struct mr_net_peer *p, struct mr_region token, int timeout_ms,
                         struct mr_net_remote **out);
/* The exported length and the rights (MR_NET_READ, MR_NET_WRITE,
 * MR_NET_DIRECT) of a remote. */
MR_API size_t mr_net_remote_size(const struct mr_net_remote *r);
MR_API unsigned mr_net_remote_flags(const struct mr_net_remote *r);
/* Copy dst.len bytes at offset off of the remote region into dst, within
 * timeout_ms. 0; or -ERANGE (off + dst.len past the end; nothing sent),
 * -EACCES (no read right, or dst read-only), -EPROTO (the export was
 * revoked), -ETIMEDOUT (the connection is dropped: dst may hold part),
 * -EPIPE, -ECONNRESET. */
MR_API int mr_net_get(struct mr_net_remote *r, size_t off, struct mr_region dst, int timeout_ms);
/* Copy src into the remote region at offset off, within timeout_ms; on 0
 * the bytes are in the exporter's memory. Errors as mr_net_get (-EACCES:
 * no write right). */
MR_API int mr_net_put(struct mr_net_remote *r, size_t off, struct mr_region src, int timeout_ms);
/* Forget an imported region. 0 (also for NULL). */
MR_API int mr_net_remote_close(struct mr_net_remote *r);

/* ---- remote channels ------------------------------------------------------
 * A one-way channel of messages over a peer, with the calls of mr_chan
 * (memregion/chan.h): the producer reserves room, writes and commits; the
 * consumer peeks, reads and releases. Both sides open it with the same id
 * (any number the two agree on; one channel per id, peer and direction)
 * and opposite roles. Committed messages are batched into transfers of up
 * to MR_NET_CHAN_BATCH bytes, shipped when a batch fills, on
 * mr_net_chan_flush, when any call of the context is about to sleep
 * (mr_net_progress, a blocking call) and on close. The consumer checks every
 * record of a batch (-EPROTO and the channel broken if one is malformed)
 * and keeps the batches in its own memory; released bytes go back to the
 * producer as credits, so that at most the consumer's capacity is ever in
 * flight or unread. After the producer's mr_net_chan_close, the consumer
 * gets every message, then -EPIPE; when the peer dies, the messages that
 * arrived, then -ECONNRESET (within MR_NET_DEATH_MS). The producer gets
 * -EPIPE once the consumer closed, -ECONNRESET once it died. */

/* Bytes of messages shipped as one transfer. */
#define MR_NET_CHAN_BATCH 65536

enum mr_net_chan_role { MR_NET_PRODUCER = 1, MR_NET_CONSUMER = 2 };

/* Open channel id over p as role. capacity: for the consumer, the bytes of
 * messages (8 bytes each plus the length rounded up to 8) it holds unread
 * at most: 4 KiB .. 1 GiB; the producer's capacity is its largest message
 * plus 8, rounded up (at least 4 KiB). 0 and *out (the caller's:
 * mr_net_chan_close; closed with the peer too); or -EINVAL (role,
 * capacity), -EBUSY (id open here in that role), -ENOMEM, the peer's
 * -EPIPE / -ECONNRESET. The first message waits for the consumer's open. A
 * peer whose consumers wait on more than 1024 ids not open here as
 * producers is dropped (-EPROTO): it could otherwise grow this side's
 * memory without bound. */
MR_API int mr_net_chan_open(struct mr_net_peer *p, uint32_t id, enum mr_net_chan_role role,
                            size_t capacity, struct mr_net_chan **out);
/* Close: a producer ships what is committed and an end mark, and waits
 * (making progress, up to MR_NET_DEATH_MS) until the consumer has them; a
 * consumer tells the producer. Messages peeked or reserved die here. 0
 * (also for NULL), or the peer's error when the end mark could not be
 * delivered (the channel is freed anyway). */
MR_API int mr_net_chan_close(struct mr_net_chan *c);
/* The largest message the channel carries. */
MR_API size_t mr_net_chan_max_msg(const struct mr_net_chan *c);
/* Reserve room for a message of up to len bytes, waiting up to timeout_ms
 * for credits: 0 and *out (writable, 8-byte aligned, valid until commit);
 * or -EMSGSIZE, -EAGAIN (timeout 0), -ETIMEDOUT, -EPIPE, -ECONNRESET,
 * -EBUSY (a reservation pending), -EBADF (not the producer), -EINVAL. */
MR_API int mr_net_chan_reserve(struct mr_net_chan *c, size_t len, int timeout_ms,
                               struct mr_region *out);
/* Commit the first len bytes of the reservation as the next message. 0; or
 * -EINVAL (nothing reserved), -ERANGE (len above the reservation), -EBADF.
 * Never waits (a full batch is handed to UCX, not waited for). */
MR_API int mr_net_chan_commit(struct mr_net_chan *c, size_t len);
/* Reserve, copy, commit: msg.len, or the errors of mr_net_chan_reserve. */
MR_API ssize_t mr_net_chan_send(struct mr_net_chan *c, struct mr_region msg, int timeout_ms);
/* Ship the committed messages now, and wait up to timeout_ms (making
 * progress) until UCX has sent every batch: a producer that then does
 * something else than calls of this layer leaves nothing behind. 0; or
 * -EAGAIN (timeout 0, some still going), -ETIMEDOUT, -EBADF, -EINVAL, the
 * peer's -EPIPE / -ECONNRESET. */
MR_API int mr_net_chan_flush(struct mr_net_chan *c, int timeout_ms);
/* The next message, waiting up to timeout_ms: 0 and *out (read-only,
 * 8-byte aligned, valid until release); or -EAGAIN (timeout 0),
 * -ETIMEDOUT, -EPIPE (all read, and the producer closed), -ECONNRESET (all
 * read, and the peer died), -EPROTO (a malformed batch came), -EBADF (not
 * the consumer), -EINVAL. Peeking again gives the same message. */
MR_API int mr_net_chan_peek(struct mr_net_chan *c, int timeout_ms, struct mr_region *out);
/* Free the peeked message (credits go back). 0, -EINVAL (none), -EBADF. */
MR_API int mr_net_chan_release(struct mr_net_chan *c);
/* Peek, copy into buf, release: the length; or -EMSGSIZE (buf shorter:
 * the message stays peeked), -EACCES (buf read-only), the peek errors. */
MR_API ssize_t mr_net_chan_recv(struct mr_net_chan *c, struct mr_region buf, int timeout_ms);

#ifdef __cplusplus
}
#endif

#endif
