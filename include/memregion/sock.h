/* SPDX-License-Identifier: MIT */
/* memregion/sock.h: sockets that move regions. Their addresses (struct
 * mr_addr, parsed, resolved and formatted) are in memregion/addr.h, which
 * this header includes.
 *
 * SOCKETS. struct mr_sock lives in the caller's storage and owns its fd:
 * each socket has one mr_sock_close, and a call that fails leaves no fd open
 * and (for the open calls) the struct closed. A struct set to MR_SOCK_INIT,
 * whose open failed or that was closed is closed: closing it again is a
 * no-op, and every other call that takes it returns -EBADF. Families are
 * AF_INET, AF_INET6 and AF_UNIX; types SOCK_STREAM and SOCK_DGRAM (the
 * system's constants). Every fd is close-on-exec, received ones too.
 *
 * An IPv6 socket is dual-stack unless MR_SOCK_V6ONLY is given: an IPv4
 * address passed to it (connect, bind, send-to) is used in its v4-mapped
 * form, and IPv4 peers appear v4-mapped (mr_addr_unmap_v4 turns them back).
 * An IPv4 socket accepts v4-mapped addresses too. Other mismatches between
 * the socket's family and an address are -EAFNOSUPPORT.
 *
 * TIMEOUTS: every timeout_ms means what memregion/base.h says (MR_FOREVER,
 * or 0 to try once without waiting); a call whose time runs out says so
 * with -ETIMEDOUT, never with a silent nothing.
 *
 * DATA always goes from and into regions. Sends never raise SIGPIPE (a
 * closed peer is -EPIPE). A receive returning 0 on a stream socket is the
 * end of the stream, always: a receive into an empty region on a stream
 * socket is -EINVAL, and one into a read-only region -EACCES. Signals are
 * handled inside: an interrupted call that moved nothing is restarted (a
 * caller that must stop waiting when a signal comes uses a timeout).
 * Flags are the system's MSG_* values: sends take MSG_DONTWAIT, MSG_MORE,
 * MSG_OOB, MSG_EOR, MSG_DONTROUTE, MSG_CONFIRM (and MSG_NOSIGNAL, always
 * on); receives take MSG_PEEK, MSG_DONTWAIT, MSG_WAITALL, MSG_OOB,
 * MSG_TRUNC. Other bits are -EINVAL. With MSG_DONTWAIT, "nothing now" is
 * -EAGAIN; without it, -EAGAIN from a blocking socket means the socket's
 * own send or receive timeout (MR_SOCK_OPT_SNDTIMEO/RCVTIMEO) ran out and
 * is returned as -ETIMEDOUT.
 *
 * THREAD-SAFETY: the data calls, mr_sock_accept, mr_sock_wait and the
 * option and address calls only read the struct and may run concurrently on
 * one socket (the kernel orders the bytes; several threads may accept on one
 * listener). The calls that change the socket's state (bind, listen,
 * connect, disconnect, shutdown, close) must not race any other call on it.
 */
#ifndef MEMREGION_SOCK_H
#define MEMREGION_SOCK_H

#include <memregion/addr.h>
#include <memregion/alloc.h>
#include <sys/socket.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Set by the library in struct mr_sock's flags, never passed in. */
#define MR_SOCK_PASSIVE 0x1u     /* listening: accepts connections */
#define MR_SOCK_NONBLOCKING 0x2u /* the fd is O_NONBLOCK (passive sockets, adopted fds) */
#define MR_SOCK_OWNS_PATH 0x4u   /* bound a Unix path that mr_sock_close removes */

/* Passed in, to the open and bind calls that say they take them. The
 * reuse flags apply to IPv4 and IPv6 (a Unix socket ignores the REUSEADDR
 * pair and refuses REUSEPORT and V6ONLY with -EINVAL). */
#define MR_SOCK_V6ONLY 0x100u       /* an IPv6 socket refuses IPv4 (IPV6_V6ONLY) */
#define MR_SOCK_REUSEADDR 0x200u    /* SO_REUSEADDR on (default for stream binds) */
#define MR_SOCK_NO_REUSEADDR 0x400u /* SO_REUSEADDR off (default for datagram binds) */
#define MR_SOCK_REUSEPORT 0x800u    /* SO_REUSEPORT on: several sockets share a port */

struct mr_sock {
    int fd;         /* owned by this struct; -1 when closed */
    int family;     /* AF_INET, AF_INET6 or AF_UNIX */
    int type;       /* SOCK_STREAM or SOCK_DGRAM */
    unsigned flags; /* MR_SOCK_PASSIVE, MR_SOCK_NONBLOCKING, MR_SOCK_OWNS_PATH */
    /* Private: the Unix path this socket bound. mr_sock_close removes it
     * only in the process that bound it, and only while the path is still
     * this socket's file (same device and inode), so a forked child, or a
     * server started since on the same path, is safe from it. */
    pid_t path_pid;
    uint64_t path_dev;
    uint64_t path_ino;
    char path[MR_ADDR_UNIX_MAX + 2]; /* a full sun_path may lack its NUL */
};

/* A closed socket: mr_sock_close on it does nothing. */
#define MR_SOCK_INIT { -1, 0, 0, 0, 0, 0, 0, { 0 } }

/* ---- opening and closing ---------------------------------------------------
 * Every open call takes an out that holds no open socket (it would leak). On
 * failure *out is closed (fd -1) and nothing is left behind: no fd, no path. */

/* A new unbound, unconnected socket. flags: 0 or MR_SOCK_V6ONLY (IPv6
 * only). 0; or -EAFNOSUPPORT (family), -ESOCKTNOSUPPORT (type), -EINVAL
 * (flags), socket(2)'s errors (-EMFILE, ...). Thread-safe for distinct out. */
MR_API int mr_sock_open(struct mr_sock *out, int family, int type, unsigned flags);

/* Adopt fd, a socket from elsewhere (inherited, passed over a socket). Its
 * family (SO_DOMAIN), type (SO_TYPE) and whether it listens (SO_ACCEPTCONN)
 * are read from the kernel. On success *out owns fd, which is made
 * close-on-exec, and a listening one non-blocking (mr_sock_accept waits with
 * poll). On failure the caller still owns fd, unchanged, and *out is
 * closed: -EBADF, -ENOTSOCK, -EAFNOSUPPORT (another family),
 * -ESOCKTNOSUPPORT (another type), -EINVAL (flags other than 0). A Unix
 * path it is bound to is never removed by mr_sock_close (this library did
 * not create it). Thread-safe for distinct out. */
MR_API int mr_sock_adopt_fd(struct mr_sock *out, int fd, unsigned flags);

/* The old name of mr_sock_adopt_fd, with the same contract: it too takes
 * ownership of fd. Kept for this release. */
MR_API int mr_sock_open_fd(struct mr_sock *out, int fd, unsigned flags)
    MR_DEPRECATED("use mr_sock_adopt_fd");

/* Two connected Unix sockets of type SOCK_STREAM or SOCK_DGRAM (socketpair).
 * flags must be 0. 0; or -ESOCKTNOSUPPORT, -EINVAL, -EMFILE, ... with both
 * closed. Thread-safe for distinct a and b. */
MR_API int mr_sock_open_pair(struct mr_sock *a, struct mr_sock *b, int type, unsigned flags);

/* A passive stream socket: bound to addr (port 0: the system picks one,
 * see mr_sock_local_addr) with SO_REUSEADDR on, and listening with backlog
 * (-1: SOMAXCONN). flags: MR_SOCK_V6ONLY, MR_SOCK_NO_REUSEADDR,
 * MR_SOCK_REUSEPORT. A Unix path it binds is removed by mr_sock_close.
 * 0; or -EINVAL, -EADDRINUSE, -EACCES, ... Thread-safe for distinct out. */
MR_API int mr_sock_open_listen(struct mr_sock *out, const struct mr_addr *addr, int backlog,
                               unsigned flags);

/* A socket of the given type bound to addr and not listening: a datagram
 * server, or a client that picks its own address. SO_REUSEADDR is on for
 * stream and off for datagram sockets unless flags say otherwise
 * (MR_SOCK_REUSEADDR, MR_SOCK_NO_REUSEADDR; also MR_SOCK_V6ONLY,
 * MR_SOCK_REUSEPORT). A Unix path it binds is removed by mr_sock_close.
 * Returns as mr_sock_open_listen. Thread-safe for distinct out. */
MR_API int mr_sock_open_bind(struct mr_sock *out, const struct mr_addr *addr, int type,
                             unsigned flags);

/* An active socket of the given type connected to addr, as mr_sock_connect
 * does it (timeout_ms for a stream connection). flags: 0 or MR_SOCK_V6ONLY.
 * 0; or -ECONNREFUSED, -ETIMEDOUT, -ENOENT (no such Unix path), ... with
 * *out closed. Thread-safe for distinct out. */
MR_API int mr_sock_open_connect(struct mr_sock *out, const struct mr_addr *addr, int type,
                                int timeout_ms, unsigned flags);

/* Resolve text (mr_addr_resolve, up to 16 addresses) and connect to each
 * address in turn until one succeeds, all within timeout_ms. 0; or the
 * resolver's error (with *err filled if err is not NULL), -ETIMEDOUT when
 * the time ran out, or else the last address's error. Thread-safe for
 * distinct out. */
MR_API int mr_sock_open_connect_text(struct mr_sock *out, const char *text, int type,
                                     int timeout_ms, struct mr_addr_error *err);

/* Remove the Unix path this socket bound (see struct mr_sock), then close
 * the fd. s->fd becomes -1. A closed socket is a no-op returning 0. Returns
 * close(2)'s error (the fd is closed anyway). Not thread-safe with any
 * other use of s. */
MR_API int mr_sock_close(struct mr_sock *s);

/* ---- state ---------------------------------------------------------------- */

/* Bind to addr. SO_REUSEADDR and the other flags as mr_sock_open_bind.
 * A Unix path it binds is removed by mr_sock_close. 0; or -EINVAL (flags,
 * an address of no family), -EAFNOSUPPORT, -EADDRINUSE, -EACCES, ... */
MR_API int mr_sock_bind(struct mr_sock *s, const struct mr_addr *addr, unsigned flags);

/* Start accepting connections on a bound stream socket (unbound IP
 * sockets get a free port), with backlog (-1: SOMAXCONN; 0 is the
 * system's smallest queue). The fd becomes non-blocking and MR_SOCK_PASSIVE
 * is set. 0; or -EOPNOTSUPP (a datagram socket), -EINVAL, ... */
MR_API int mr_sock_listen(struct mr_sock *s, int backlog);

/* Take one connection from a listening socket's queue, waiting up to
 * timeout_ms for one (0: only look). *out is a new blocking stream socket
 * that owns its fd (close-on-exec), and *peer (if not NULL) the peer's
 * address. 0; -ETIMEDOUT when none came in time; -EINVAL (not listening);
 * -EMFILE, -ENFILE, -ENOBUFS, ... with *out closed. Connections that die in
 * the queue (ECONNABORTED and other network errors) are skipped. */
MR_API int mr_sock_accept(const struct mr_sock *s, struct mr_sock *out, struct mr_addr *peer,
                          int timeout_ms);

/* Connect to addr. A stream connection is made without blocking, then
 * waited for with poll up to timeout_ms, and its result read from SO_ERROR
 * (a Unix one waits for room in the listener's queue, as long). A datagram
 * socket just records its peer (and may again, or disconnect). 0;
 * -ETIMEDOUT (the attempt is abandoned and the socket is unconnected, so it
 * may try again); -ECONNREFUSED, -ENETUNREACH, -ENOENT (Unix path),
 * -EISCONN, ... as the kernel says. */
MR_API int mr_sock_connect(struct mr_sock *s, const struct mr_addr *addr, int timeout_ms);

/* Dissolve a datagram socket's association with its peer: it then sends
 * only with an address and receives from anyone. On IPv4 and IPv6, a port
 * the system chose (bound to port 0, or never bound) is given up too, as
 * Linux does, and the next send takes a new one; a port bound by number is
 * kept. 0; -EOPNOTSUPP on a stream socket (close or shut it down instead). */
MR_API int mr_sock_disconnect(struct mr_sock *s);

/* Shut down part of a connection: SHUT_RD (no more receiving: receives
 * return 0), SHUT_WR (no more sending: the peer reads the end of the
 * stream), or SHUT_RDWR. The fd stays open until mr_sock_close. 0; -EINVAL
 * (how), -ENOTCONN, ... */
MR_API int mr_sock_shutdown(struct mr_sock *s, int how);

/* This socket's own address (after bind: the port the system chose): 0 or
 * -errno. */
MR_API int mr_sock_local_addr(const struct mr_sock *s, struct mr_addr *out);

/* The connected peer's address: 0, -ENOTCONN, or another -errno. */
MR_API int mr_sock_peer_addr(const struct mr_sock *s, struct mr_addr *out);

/* Wait until the socket can be read (MR_SOCK_READABLE: data, a connection
 * to accept, the end of the stream, an error) or written (MR_SOCK_WRITABLE)
 * as events asks. Returns the events that are ready (> 0: an error or a
 * hang-up counts as both, so that the next call reports it), -ETIMEDOUT,
 * or -EINVAL (events 0 or unknown bits). */
#define MR_SOCK_READABLE 0x1u
#define MR_SOCK_WRITABLE 0x2u
MR_API int mr_sock_wait(const struct mr_sock *s, unsigned events, int timeout_ms);

/* ---- data ------------------------------------------------------------------ */

/* One send(2) of r: the count sent (a stream socket may send less than
 * r.len only with MSG_DONTWAIT or when a signal interrupts it mid-way), or
 * -EPIPE (the peer closed), -ECONNRESET, -EAGAIN (MSG_DONTWAIT),
 * -ETIMEDOUT (SO_SNDTIMEO), -EDESTADDRREQ (an unconnected datagram
 * socket), -EMSGSIZE (a datagram too large), -EINVAL (flags). */
MR_API ssize_t mr_sock_send(const struct mr_sock *s, struct mr_region r, int flags);

/* One recv(2) into r: the count stored, 0 at the end of a stream (on a
 * datagram socket: an empty datagram), or -EAGAIN (MSG_DONTWAIT),
 * -ETIMEDOUT (SO_RCVTIMEO), -ECONNRESET, -EACCES (r read-only), -EINVAL
 * (flags; an empty r on a stream socket). On a datagram socket, bytes of a
 * datagram beyond r.len are lost; with MSG_TRUNC the return is the
 * datagram's real length (only r.len bytes are stored), and
 * mr_sock_recv_from reports it anyway. */
MR_API ssize_t mr_sock_recv(const struct mr_sock *s, struct mr_region r, int flags);

/* All of r, sent in as many calls as it takes, within timeout_ms. Returns
 * r.len; or -ETIMEDOUT, -EPIPE, -ECONNRESET, ... with *done (if not NULL)
 * the bytes sent before the error, so that the caller can resume from
 * there. On a datagram socket, r goes as one datagram. */
MR_API ssize_t mr_sock_send_all(const struct mr_sock *s, struct mr_region r, int timeout_ms,
                                size_t *done);

/* Exactly r.len bytes from a stream socket into r, within timeout_ms.
 * Returns r.len; 0 when the stream ended before the first byte (the peer
 * closed between messages); -EPIPE when it ended after some but not all
 * bytes (the peer closed mid-message); -ETIMEDOUT, -ECONNRESET, ...; in
 * every case *done (if not NULL) is the bytes stored. -EOPNOTSUPP on a
 * datagram socket; -EINVAL for an empty r; -EACCES for a read-only r. */
MR_API ssize_t mr_sock_recv_exact(const struct mr_sock *s, struct mr_region r, int timeout_ms,
                                  size_t *done);

/* One send of r to the address to (NULL: the connected peer), as
 * mr_sock_send. */
MR_API ssize_t mr_sock_send_to(const struct mr_sock *s, struct mr_region r, int flags,
                               const struct mr_addr *to);

/* One receive into r, as mr_sock_recv, also giving the sender's address in
 * *from (if not NULL; an unnamed Unix sender gives an unnamed address) and,
 * on a datagram socket, the datagram's real length in *full_len (if not
 * NULL): greater than the return value when the datagram was truncated to
 * fit r. On a stream socket *full_len is the return value. */
MR_API ssize_t mr_sock_recv_from(const struct mr_sock *s, struct mr_region r, int flags,
                                 struct mr_addr *from, size_t *full_len);

/* Scatter-gather: one sendmsg(2) of the n regions in order, or one
 * recvmsg(2) filling them in order. The iovec array is on the stack up to
 * 32 regions and comes from a (NULL: mr_heap()) beyond, up to IOV_MAX
 * (more: -EMSGSIZE); it is freed before the call returns. Returns as
 * mr_sock_send / mr_sock_recv (n = 0 or all empty counts as an empty
 * region), or -ENOMEM. A receive refuses any read-only region (-EACCES). */
MR_API ssize_t mr_sock_sendv(const struct mr_sock *s, const struct mr_region *rv, size_t n,
                             int flags, struct mr_allocator *a);
MR_API ssize_t mr_sock_recvv(const struct mr_sock *s, const struct mr_region *rv, size_t n,
                             int flags, struct mr_allocator *a);

/* ---- batches of datagrams (sendmmsg / recvmmsg) ---------------------------- */

/* The most messages one batch call handles; a larger n handles this many. */
#define MR_SOCK_BATCH_MAX 1024

struct mr_sock_msg {
    struct mr_region data; /* send: the datagram; receive: where it goes */
    struct mr_addr *addr;  /* send: the destination (NULL: the peer);
                              receive: the sender (NULL: not wanted) */
    size_t len;            /* out: bytes sent, or bytes stored */
    size_t full_len;       /* out, receive: the datagram's real length (> len: truncated) */
};

/* Send the datagrams of msgs[0..n) in one system call. Returns how many
 * were sent (from the start; fewer than n when the socket's buffer filled
 * under MSG_DONTWAIT or an error stopped the batch after the first), with
 * each one's len set; or, when none was, the error (as mr_sock_send).
 * Flags as mr_sock_send. The kernel's headers are on the stack up to 8
 * messages, else from a (NULL: mr_heap()); -ENOMEM if that fails.
 * -EOPNOTSUPP on a stream socket. */
MR_API int mr_sock_send_batch(const struct mr_sock *s, struct mr_sock_msg *msgs, size_t n,
                              int flags, struct mr_allocator *a);

/* Receive up to n datagrams in one system call: waits up to timeout_ms for
 * the first, then takes those already queued behind it. Returns the count
 * (>= 1), each message's len, full_len and addr set; or -ETIMEDOUT when
 * none came, -EACCES (a read-only region), -ENOMEM, -EOPNOTSUPP (stream). */
MR_API int mr_sock_recv_batch(const struct mr_sock *s, struct mr_sock_msg *msgs, size_t n,
                              int timeout_ms, struct mr_allocator *a);

/* ---- options --------------------------------------------------------------
 * Each option applies to some families and types; anywhere else it is
 * -ENOPROTOOPT, on get and on set, before the kernel is asked. Values:
 * booleans are 0 or 1; times as stated. Other values are -EINVAL. */
enum mr_sock_opt {
    MR_SOCK_OPT_NODELAY,   /* TCP (IPv4/IPv6 stream): send small segments at once (bool) */
    MR_SOCK_OPT_KEEPALIVE, /* TCP: probe an idle connection (bool) */
    MR_SOCK_OPT_KEEPIDLE,  /* TCP: idle seconds before the first probe, 1..32767 */
    MR_SOCK_OPT_KEEPINTVL, /* TCP: seconds between probes, 1..32767 */
    MR_SOCK_OPT_KEEPCNT,   /* TCP: unanswered probes before the connection dies, 1..127 */
    MR_SOCK_OPT_LINGER,    /* stream: close waits this many seconds for unsent data, -1: off */
    MR_SOCK_OPT_SNDBUF,    /* any: send buffer bytes, > 0 (get: what the kernel uses,
                              on Linux twice what was set) */
    MR_SOCK_OPT_RCVBUF,    /* any: receive buffer bytes, as SNDBUF */
    MR_SOCK_OPT_SNDTIMEO,  /* any: a blocking send gives up after this many ms; -1 (or 0): never
                              (kept in clock ticks: get may read a few ms more) */
    MR_SOCK_OPT_RCVTIMEO,  /* any: a blocking receive gives up after this many ms, as SNDTIMEO */
    MR_SOCK_OPT_BROADCAST, /* IPv4 datagram: may send to broadcast addresses (bool) */
    MR_SOCK_OPT_REUSEADDR, /* IPv4/IPv6: SO_REUSEADDR (bool) */
    MR_SOCK_OPT_REUSEPORT, /* IPv4/IPv6: SO_REUSEPORT (bool) */
    MR_SOCK_OPT_V6ONLY,    /* IPv6: refuse IPv4 peers (bool; set before bind or connect) */
    MR_SOCK_OPT_ERROR,     /* any, get only: the pending error as -errno (or 0); reading
                              clears it */
};

/* Set opt to value: 0, -ENOPROTOOPT (not for this family or type), -EINVAL
 * (value, or an opt that is get-only or unknown), or setsockopt's error. */
MR_API int mr_sock_set_opt(const struct mr_sock *s, enum mr_sock_opt opt, int value);

/* Read opt into *value: 0, -ENOPROTOOPT, -EINVAL (unknown opt), or
 * getsockopt's error. */
MR_API int mr_sock_get_opt(const struct mr_sock *s, enum mr_sock_opt opt, int *value);

/* TCP keepalive in one call: on, first probe after idle_s idle seconds,
 * then every interval_s seconds, dead after count unanswered probes (each
 * 0: leave the system's default). 0 or as mr_sock_set_opt; on failure some
 * of the four may be set. */
MR_API int mr_sock_set_keepalive(const struct mr_sock *s, int idle_s, int interval_s, int count);

/* Bind the socket to one network interface (SO_BINDTODEVICE; "" or NULL
 * unbinds): IPv4/IPv6 only (-ENOPROTOOPT). 0; -ENAMETOOLONG; -ENODEV (no such
 * interface); -EPERM (rebinding needs CAP_NET_RAW). */
MR_API int mr_sock_set_device(const struct mr_sock *s, const char *ifname);

/* The interface the socket is bound to, into buf: its length (0 and "" when
 * none), -ENOSPC (size too small, buf then "" if size > 0), -ENOPROTOOPT. */
MR_API ssize_t mr_sock_get_device(const struct mr_sock *s, char *buf, size_t size);

/* ---- peer credentials (Unix sockets) -------------------------------------- */

/* Who is at the other end of a connected Unix socket, as the kernel saw it
 * when the connection was made (or the pair created). */
struct mr_sock_cred {
    pid_t pid;
    uid_t uid;
    gid_t gid;
};

/* The peer's credentials (SO_PEERCRED): 0; -ENOPROTOOPT (not a Unix
 * socket); -ENODATA (the kernel has none: an unconnected socket, a datagram
 * socket connected with connect(2)); -errno. */
MR_API int mr_sock_peer_cred(const struct mr_sock *s, struct mr_sock_cred *out);

/* 0 when the peer runs as this process's effective user; -EPERM when it
 * does not; or mr_sock_peer_cred's error. A server calls it on each accepted
 * connection to refuse other users. */
MR_API int mr_sock_peer_check_user(const struct mr_sock *s);

/* ---- fd passing (Unix sockets) --------------------------------------------
 * fds travel with a payload of at least one byte (Linux drops a control
 * message sent with no data on a stream socket), at most MR_SOCK_FDS_MAX
 * per message (the kernel's SCM_MAX_FD). */
#define MR_SOCK_FDS_MAX 253

/* Send payload with copies of the n fds attached to its first byte. The
 * caller keeps its fds (they are duplicated into the peer when it
 * receives), on success and on failure. Sends all of payload (on a stream
 * socket, the rest after a short first send follows without the fds),
 * unless flags has MSG_DONTWAIT, which may stop early, or an error stops
 * the rest after a first part went (with the fds): then the count sent so
 * far comes back, short, and the next call meets the error. A negative
 * return means nothing was sent, fds included. Returns the bytes sent; or
 * -EINVAL (empty payload, n > MR_SOCK_FDS_MAX, flags other than
 * MSG_DONTWAIT, fds NULL with n > 0), -EBADF (an fd that is not open),
 * -ENOPROTOOPT (not a Unix socket), -EPIPE, -ETOOMANYREFS (too many fds in
 * flight), ... */
MR_API ssize_t mr_sock_send_fds(const struct mr_sock *s, struct mr_region payload,
                                const int *fds, size_t n, int flags);

/* One receive into payload (as mr_sock_recv) accepting up to max fds
 * (max > MR_SOCK_FDS_MAX counts as MR_SOCK_FDS_MAX), received close-on-exec.
 * Returns the bytes stored, with *n_received set to the fds received into
 * fds[0..*n_received), which the caller then owns; fds[*n_received..max) are
 * set to -1, so nothing received never reads as fd 0. Every control message
 * is checked (level SOL_SOCKET, type SCM_RIGHTS, a length that holds whole
 * fds); a sender's pidfd (SO_PASSPIDFD) is closed, others are skipped.
 * Errors: -EMSGSIZE when the message did not fit
 * (more fds than max, or than RLIMIT_NOFILE let the kernel install, which
 * sets MSG_CTRUNC; or on a datagram socket a payload longer than the
 * region): every fd that did arrive is closed and *n_received is 0;
 * -EBADMSG (a malformed control message: every fd closed); -EINVAL (empty
 * payload, flags other than MSG_DONTWAIT); -EACCES (read-only payload);
 * -ENOPROTOOPT (not a Unix socket); as mr_sock_recv otherwise. A return of
 * 0 on a stream socket is the end of the stream, with no fds. */
MR_API ssize_t mr_sock_recv_fds(const struct mr_sock *s, struct mr_region payload, int *fds,
                                size_t max, size_t *n_received, int flags);

#ifdef __cplusplus
}
#endif

#endif
