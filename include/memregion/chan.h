/* SPDX-License-Identifier: MIT */
/* memregion/chan.h: a zero-copy shared-memory channel between processes.
 *
 * A channel carries messages of 0 to mr_chan_max_msg(c) bytes, in order,
 * from ONE producer to ONE consumer (single-producer single-consumer; a
 * second producer or consumer is refused with -EBUSY when it attaches; for
 * several producers, give each its own channel). The messages live in a
 * ring inside a shared-memory object: a memfd (mr_chan_create), handed to
 * the other process over a Unix socket (mr_chan_share, mr_chan_attach_sock)
 * or by inheritance (mr_chan_attach_fd), or a named object in /dev/shm
 * (mr_chan_create_named, mr_chan_attach_named). Each process holds one END
 * of the channel, a struct mr_chan with the role MR_CHAN_PRODUCER or
 * MR_CHAN_CONSUMER.
 *
 *   producer                                consumer
 *   mr_chan_reserve(c, n, ms, &r)           mr_chan_peek(c, ms, &r)
 *   ... write up to n bytes into r ...      ... read r.len bytes of r ...
 *   mr_chan_commit(c, used)                 mr_chan_release(c)
 *
 * Zero-copy: reserve gives the producer a region inside the ring, commit
 * publishes it, peek gives the consumer the next message as a region of
 * the ring, release frees its space. A region is contiguous even where the
 * ring wraps: the ring is mapped twice, back to back. It stays valid until
 * commit or release (or mr_chan_close). The consumer's regions are
 * read-only (MR_REGION_RDONLY, and the ring is mapped read-only in the
 * consumer). mr_chan_send and mr_chan_recv copy instead; the try variants
 * never wait.
 *
 * TIMEOUTS are base.h's (MR_FOREVER); with 0, a call that cannot proceed
 * now returns -EAGAIN. A waiting call spins briefly, then sleeps on a
 * futex in the shared header; a side wakes the other only when the other
 * really sleeps, so while both are busy no system call is made per
 * message. The memory barrier that rule needs is paid by the side about to
 * sleep, with membarrier(2), so publishing a message costs no barrier at
 * all; a channel created with MR_CHAN_FENCED instead puts a full barrier in
 * every commit and release (for peers that cannot use membarrier: a kernel
 * before 4.16, a seccomp filter).
 *
 * THE PEER IS HOSTILE. Everything read from shared memory (the consumer's
 * index, message lengths and commit words, the header) is checked before
 * use: the index whenever the producer loads it, a commit word whenever
 * the consumer polls it, a length whenever a message is peeked, and the
 * header's fixed fields before anything new is used and in
 * mr_chan_check_peer. The consumer does not read the producer's index. A peer that breaks the
 * protocol (or memory that was scribbled on) makes the call that meets it
 * fail with -EPROTO, never read or write outside the ring; the end then
 * stays broken: every later data call returns -EPROTO. What is never
 * trusted: this end's own index, the capacity and the mapping are private
 * copies. What cannot be prevented: a hostile producer can change the bytes
 * of a message while the consumer reads them through the peeked region.
 * A consumer that validates a message and then uses it must copy it first
 * (mr_chan_recv), or read each field once.
 *
 * CLOSING AND DEATH. mr_chan_close marks this end closed in the shared
 * header and wakes the peer. A consumer whose producer closed reads every
 * message committed before the close, then gets -EPIPE; a producer whose
 * consumer closed gets -EPIPE at once. A peer that dies without closing is
 * noticed by the blocking calls within MR_CHAN_DEATH_CHECK_MS of their
 * starting to sleep, through what the end watches: the socket the channel
 * was shared over (mr_chan_share, mr_chan_attach_sock: the peer's end of it
 * closing, which its process exiting does, counts as the peer gone) and a
 * process (mr_chan_watch_pid, a pidfd). A crash is not a close: where a
 * close gives -EPIPE, a peer that went without closing gives -ECONNRESET
 * (a consumer still reads every message committed before). An end that
 * watches nothing sees only orderly closes: a pid written by the peer into shared memory would
 * be a lie a hostile peer could tell, so none is read. The try variants
 * look at the closed flags but never make a system call; mr_chan_check_peer
 * asks the watched fds.
 *
 * CLOSED ENDS. An end is closed when it is MR_CHAN_INIT or all zero bytes,
 * after a create or attach that failed, and after mr_chan_close. Every
 * call below that takes a closed end returns -EBADF, whatever its other
 * arguments, except: mr_chan_close does nothing and returns 0;
 * mr_chan_capacity and mr_chan_max_msg return 0; mr_chan_stats gives
 * figures that are all 0. The calls' own comments do not repeat this.
 *
 * Every fd an end holds is close-on-exec. Thread-safety: an end is used by
 * one thread at a time (its calls change its private state); the two ends
 * of one channel are used concurrently, by two threads or two processes.
 * After fork, only one of the two processes may use or close an inherited
 * end (closing it marks it closed in the shared header for both).
 */
#ifndef MEMREGION_CHAN_H
#define MEMREGION_CHAN_H

#include <memregion/region.h>
#include <memregion/sock.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Capacities: a power of two, at least the page size (4096 on x86-64;
 * MR_CHAN_CAPACITY_MIN is that), at most MR_CHAN_CAPACITY_MAX. The object
 * holds one header page and the ring. */
#define MR_CHAN_CAPACITY_MIN ((size_t)4096)
#define MR_CHAN_CAPACITY_MAX ((size_t)1 << 30)

/* Each message takes an 8-byte header and its bytes rounded up to 8, so a
 * region from reserve or peek is 8-byte aligned. The ring always keeps
 * room for the next message's header, so the largest message is
 * capacity - 2 * MR_CHAN_MSG_OVERHEAD bytes. */
#define MR_CHAN_MSG_OVERHEAD ((size_t)8)
#define MR_CHAN_MSG_ALIGN ((size_t)8)

/* The longest a blocking call sleeps between two looks at the watched
 * peer; a dead peer is seen within about this long. */
#define MR_CHAN_DEATH_CHECK_MS 50

enum mr_chan_role {
    MR_CHAN_PRODUCER = 1,
    MR_CHAN_CONSUMER = 2,
};

/* mr_chan_attach_fd and mr_chan_attach_sock flag: accept an object that is
 * not sealed against resizing. Only for a peer trusted not to shrink the
 * object under the mapping (which would raise SIGBUS here). */
#define MR_CHAN_NO_SEALS 0x1u

/* mr_chan_create, mr_chan_attach_fd, mr_chan_attach_named and
 * mr_chan_attach_sock flag: fault
 * the whole ring (and the header) into this end's mapping at create or
 * attach, so that the first lap of messages takes no page faults (about a
 * millisecond per MiB of ring, paid up front). The pages then stay resident
 * until the channel is gone. */
#define MR_CHAN_PREFAULT 0x4u

/* mr_chan_create flag: a full memory barrier in every commit and release
 * instead of membarrier(2) when a side goes to sleep, so that processes
 * which cannot register for membarrier can attach. Small messages cost
 * about a quarter more. A creator that cannot register gets this anyway. */
#define MR_CHAN_FENCED 0x2u

/* This end's figures, kept in private memory: a peer cannot falsify them. */
struct mr_chan_stats {
    uint64_t messages; /* committed (producer) or released (consumer) */
    uint64_t bytes;    /* the payload bytes of those messages */
    uint64_t waits;    /* calls that found no room (no message) and waited */
    uint64_t sleeps;   /* futex waits entered by those calls */
    uint64_t wakes;    /* futex wakes issued to a sleeping peer */
};

/* One end of a channel. The fields are private. MR_CHAN_INIT (or all zero
 * bytes) is a closed end: see CLOSED ENDS above. The inline forms at the
 * end of this header read and write some of them (see INLINE FORMS). */
struct mr_chan {
    unsigned char *hdr;  /* the shared header page; NULL when closed */
    unsigned char *ring; /* the ring's first view; the second follows it */
    size_t mask;         /* capacity - 1 */
    uint64_t hdr_w1;     /* the header's word at offset 8 as attached (version, header size) */
    size_t capacity;
    size_t max_msg;
    uint64_t pos;        /* this end's index: head (producer) or tail (consumer) */
    uint64_t limit;      /* producer: the tail as last checked + capacity - 8, where room
                          * ends; consumer: how many messages are peeked */
    size_t pending;      /* bytes of the reserved or peeked records; 0: none */
    size_t pending_len;  /* producer: the length reserved (of each record);
                          * consumer: the payload bytes peeked */
    int fd;              /* the object; -1 when closed */
    int pidfd;           /* the watched process; -1: none */
    int sockfd;          /* the watched socket; -1: none */
    unsigned role;       /* enum mr_chan_role; 0 when closed */
    unsigned state;      /* private bits, MR__CHAN_ST_* */
    uint32_t spin_ns;    /* how long a wait spins before it sleeps (adaptive) */
    struct mr_chan_stats stats;
};

#define MR_CHAN_INIT { NULL, NULL, 0, 0, 0, 0, 0, 0, 0, 0, -1, -1, -1, 0, 0, 0, { 0, 0, 0, 0, 0 } }

/* ---- creating and attaching -------------------------------------------------
 * Every call here takes an out that holds no open end (it would leak); on
 * failure *out is closed and nothing is left behind: no fd, no mapping, no
 * name in /dev/shm that the call created. */

/* Create a channel in a new memfd of capacity bytes (see
 * MR_CHAN_CAPACITY_MIN), sealed against shrinking, growing and further
 * seals, and become its end of the given role. flags: 0, MR_CHAN_FENCED,
 * MR_CHAN_PREFAULT.
 * 0 with *out open; or -EINVAL (capacity, role, flags), -ENOMEM, -EMFILE,
 * ... The end owns the memfd (mr_chan_fd; mr_chan_share hands it on).
 * Where memfd_create is unavailable the object is an unlinked /dev/shm
 * file, which takes no seals: attach it with MR_CHAN_NO_SEALS. Thread-safe
 * for distinct out. */
MR_API int mr_chan_create(struct mr_chan *out, size_t capacity, enum mr_chan_role role,
                          unsigned flags);

/* Create a channel as the named /dev/shm object name ("/name", made
 * exclusively with mode, 0: 0600), and become its end of the given role.
 * Named objects cannot be sealed: whoever can open the name for writing
 * can truncate it, and a process mapping it then dies of SIGBUS on the
 * next access. Use memfds between processes that do not trust each other.
 * The name stays until mr_shm_unlink (the ends work on without it). 0; or
 * -EINVAL, -EEXIST, -ENAMETOOLONG, -EACCES, ... as mr_shm_open. Thread-safe
 * for distinct out. */
MR_API int mr_chan_create_named(struct mr_chan *out, const char *name, size_t capacity,
                                enum mr_chan_role role, mode_t mode);

/* Become the end of the given role of the channel in fd (a memfd from
 * mr_chan_fd, inherited or received), after checking it: a regular file
 * open read-write, sealed against shrinking, growing and new seals (unless
 * flags has MR_CHAN_NO_SEALS), of one header page plus a power-of-two
 * capacity in size, equal to capacity if that is not 0, whose header holds
 * the magic, this version, the page size and that capacity, and whose role
 * is not taken. On success the end owns fd; on failure the caller still
 * does. 0; or -EINVAL (arguments), -EBADF, -EACCES (not open read-write),
 * -EPROTO (not a channel, another version or capacity, seals missing,
 * sealed against writing, size wrong), -EAGAIN (the object is still being set up: size 0 or no magic
 * yet), -EBUSY (another end of this role attached already), -EOPNOTSUPP
 * (the channel relies on membarrier(2) and this process cannot register
 * for it: its creator must use MR_CHAN_FENCED), -ENOMEM. Thread-safe for
 * distinct out. */
MR_API int mr_chan_attach_fd(struct mr_chan *out, int fd, size_t capacity,
                             enum mr_chan_role role, unsigned flags);

/* As mr_chan_attach_fd, for the object called name in /dev/shm, without
 * the seal check (named objects have none; see mr_chan_create_named). flags:
 * 0 or MR_CHAN_PREFAULT. -ENOENT when there is no such object; -EAGAIN while its creator
 * is still setting it up. Thread-safe for distinct out. */
MR_API int mr_chan_attach_named(struct mr_chan *out, const char *name, size_t capacity,
                                enum mr_chan_role role, unsigned flags);

/* Hand the channel to the process at the other end of the Unix socket s:
 * sends the object's fd (with a 16-byte greeting) for mr_chan_attach_sock,
 * and from now on watches s for the peer's death (a duplicate of s is
 * kept, so the socket stays open in this process until mr_chan_close; the
 * caller may close s at once). Replaces a socket watched before. 0; or
 * -ENOPROTOOPT (not a Unix SOCK_STREAM socket: a
 * datagram socket never reports its peer gone), -EPIPE, -EMFILE,
 * ... as mr_sock_send_fds; on failure nothing is watched anew. Waits as a
 * blocking send does. Not thread-safe with other use of c. */
MR_API int mr_chan_share(struct mr_chan *c, const struct mr_sock *s);

/* Receive a channel handed over with mr_chan_share on the Unix socket s,
 * waiting up to timeout_ms for it, and attach to it as mr_chan_attach_fd
 * does (with capacity and flags); then watch s for the peer's death as
 * mr_chan_share does. 0; or -ETIMEDOUT, -EPIPE (the socket's peer closed
 * before sending), -EPROTO (a message that is not a channel's greeting
 * with exactly one fd), and the errors of mr_chan_attach_fd. The received
 * fd is the end's on success and closed on failure. Thread-safe for
 * distinct out. */
MR_API int mr_chan_attach_sock(struct mr_chan *out, const struct mr_sock *s, size_t capacity,
                               enum mr_chan_role role, unsigned flags, int timeout_ms);

/* Watch process pid for the peer's death (a pidfd; replaces one watched
 * before). The pid must come from a source that cannot lie and cannot be
 * reused meanwhile: fork's return value for a child not yet waited for, or
 * a socket's SO_PEERCRED (mr_sock_peer_cred) while the peer holds it. 0;
 * or -ESRCH (no such process), -ENOSYS (a kernel before Linux 5.3, or
 * valgrind before 3.20), -EINVAL (pid <= 0), -EMFILE.
 * Not thread-safe with other use of c. */
MR_API int mr_chan_watch_pid(struct mr_chan *c, pid_t pid);

/* Close this end: mark it closed in the shared header, wake the peer, drop
 * a pending reservation or peeked message, unmap, and close the object's
 * fd and the watched fds. Regions from this end die here; the end is
 * closed. Returns 0 (the first close(2) error, if any; everything is closed
 * anyway). Not thread-safe with other use of c. */
MR_API int mr_chan_close(struct mr_chan *c);

/* ---- producing ------------------------------------------------------------------
 * These calls, and those of the next two sections, change the end's private
 * state: one thread at a time per end. Regions never hold an fd. */

/* Reserve room for a message of up to len bytes, waiting up to timeout_ms
 * for it: 0 and *out set to a writable, 8-byte aligned region of len bytes
 * inside the ring, valid until mr_chan_commit or mr_chan_close. Or
 * -EMSGSIZE (len > mr_chan_max_msg), -EAGAIN (timeout 0, no room now),
 * -ETIMEDOUT, -EPIPE (the consumer closed), -ECONNRESET (it died), -EPROTO (the consumer
 * broke the protocol), -EBUSY (a reservation is pending), -EBADF (not the
 * producer), -EINVAL (timeout); *out is untouched on failure. */
MR_API int mr_chan_reserve(struct mr_chan *c, size_t len, int timeout_ms, struct mr_region *out);

/* Publish the first len bytes of the pending reservation (len at most what
 * was reserved; the rest of the room is given back; after mr_chan_reserve_n,
 * of its first message, and the others are given back) as the next message,
 * and wake the consumer if it sleeps. Never waits. 0; or -EBADF (not the
 * producer), -EPROTO (the end is broken: the reservation is dropped, nothing
 * is published), -EINVAL (no reservation pending), -ERANGE (len above the
 * reservation; it stays pending). */
MR_API int mr_chan_commit(struct mr_chan *c, size_t len);

/* Send a copy of msg as one message: reserve, copy, commit. Returns msg.len,
 * or the errors of mr_chan_reserve. */
MR_API ssize_t mr_chan_send(struct mr_chan *c, struct mr_region msg, int timeout_ms);

/* mr_chan_reserve without waiting. */
MR_INLINE int mr_chan_try_reserve(struct mr_chan *c, size_t len, struct mr_region *out)
{
    return mr_chan_reserve(c, len, 0, out);
}

/* mr_chan_send without waiting. */
MR_INLINE ssize_t mr_chan_try_send(struct mr_chan *c, struct mr_region msg)
{
    return mr_chan_send(c, msg, 0);
}

/* ---- consuming ------------------------------------------------------------------ */

/* The next message, waiting up to timeout_ms for one: 0 and *out set to a
 * read-only, 8-byte aligned region of its bytes inside the ring, valid
 * until mr_chan_release or mr_chan_close. Peeking again before the release
 * gives the same message. Or -EAGAIN (timeout 0, no message now),
 * -ETIMEDOUT, -EPIPE (no message left, and the producer closed),
 * -ECONNRESET (no message left, and the producer died),
 * -EPROTO (the producer broke the protocol), -EBADF (not the consumer),
 * -EINVAL (timeout), -EBUSY (more than one message peeked by mr_chan_peek_n); *out
 * is untouched on failure. */
MR_API int mr_chan_peek(struct mr_chan *c, int timeout_ms, struct mr_region *out);

/* Free the peeked message's room (all of the messages peeked by
 * mr_chan_peek_n), and wake the producer if it sleeps. Never waits. 0; or -EBADF (not the consumer), -EPROTO (the end is broken:
 * the tail does not move), -EINVAL (no message peeked). */
MR_API int mr_chan_release(struct mr_chan *c);

/* Receive the next message into buf: peek, copy, release. Returns its
 * length; or -EMSGSIZE (buf is shorter: the message stays, and is left
 * peeked: a larger recv takes it, mr_chan_peek shows it in place, and
 * mr_chan_release skips it), -EACCES (buf read-only), and the errors of
 * mr_chan_peek. */
MR_API ssize_t mr_chan_recv(struct mr_chan *c, struct mr_region buf, int timeout_ms);

/* mr_chan_peek without waiting. */
MR_INLINE int mr_chan_try_peek(struct mr_chan *c, struct mr_region *out)
{
    return mr_chan_peek(c, 0, out);
}

/* mr_chan_recv without waiting. */
MR_INLINE ssize_t mr_chan_try_recv(struct mr_chan *c, struct mr_region buf)
{
    return mr_chan_recv(c, buf, 0);
}

/* ---- batches ---------------------------------------------------------------------
 * Several messages per call: the checks of a single call hold for every
 * message of a batch (each record's commit word and length are loaded once
 * and checked before anything of it is used; the header is checked once per
 * call, before anything new is used), and the peer is looked at (closed
 * flags, a wake) once per call instead of once per message. A batch call
 * waits, as its single form does, only until the FIRST message can go; it
 * then takes as many of the rest as can go now. */

/* Reserve room for up to n messages of len bytes each, waiting up to
 * timeout_ms for the first: k (1 to n) and out[0..k-1] set as by
 * mr_chan_reserve, valid until mr_chan_commit_n (or mr_chan_commit, which
 * publishes the first alone) or mr_chan_close. Or the errors of
 * mr_chan_reserve, and -EINVAL (n is 0 or above INT_MAX); out is untouched
 * on failure. */
MR_API int mr_chan_reserve_n(struct mr_chan *c, size_t len, struct mr_region out[], size_t n,
                             int timeout_ms);

/* Publish the first k messages reserved by mr_chan_reserve_n, each of the
 * len reserved (the rest of the room is given back), and wake the consumer
 * if it sleeps. Never waits. 0; or -EBADF (not the producer), -EPROTO (the
 * end is broken: nothing is published), -EINVAL (nothing reserved), -ERANGE
 * (k is 0 or more than were reserved; they stay reserved). */
MR_API int mr_chan_commit_n(struct mr_chan *c, size_t k);

/* Send copies of msgs[0..n-1], in order, each as one message, waiting up to
 * timeout_ms for room for the first: how many were sent (1 to n), or the
 * errors of mr_chan_reserve (-EMSGSIZE: msgs[0] is too long; a later one
 * that is too long ends the batch before it), and -EINVAL (n is 0 or above
 * INT_MAX). */
MR_API ssize_t mr_chan_send_n(struct mr_chan *c, const struct mr_region msgs[], size_t n,
                              int timeout_ms);

/* mr_chan_send_n for n messages of len bytes each, laid out back to back
 * from src (n * len bytes). */
MR_API ssize_t mr_chan_send_fixed_n(struct mr_chan *c, const void *src, size_t len, size_t n,
                                    int timeout_ms);

/* The next messages, up to n, waiting up to timeout_ms for the first: k (1
 * to n) and out[0..k-1] set as by mr_chan_peek, valid until mr_chan_release
 * (which frees all k) or mr_chan_close. A message that breaks the protocol
 * ends the batch before it (the call that meets it first gets -EPROTO).
 * While messages are peeked, mr_chan_peek_n returns -EBUSY. Or the errors of
 * mr_chan_peek, and -EINVAL (n is 0 or above INT_MAX); out is untouched on
 * failure. */
MR_API int mr_chan_peek_n(struct mr_chan *c, struct mr_region out[], size_t n, int timeout_ms);

/* Receive up to n messages, the i-th into bufs[i] with bufs[i].len set to
 * its length, waiting up to timeout_ms for the first: how many (1 to n). A
 * message longer than its buffer ends the batch before it; if it is the
 * first, -EMSGSIZE and it stays peeked, as mr_chan_recv leaves it. Or
 * -EACCES (a read-only buffer), -EBUSY (messages peeked by mr_chan_peek_n),
 * -EINVAL (n is 0 or above INT_MAX), and the errors of mr_chan_peek. */
MR_API ssize_t mr_chan_recv_n(struct mr_chan *c, struct mr_region bufs[], size_t n, int timeout_ms);

/* Receive up to n messages of exactly len bytes each into dst, back to
 * back (room for n * len bytes), waiting up to timeout_ms for the first:
 * how many (1 to n). A message of another length ends the batch before it;
 * if it is the first, -EBADMSG and it stays peeked (mr_chan_recv takes it).
 * Or the errors of mr_chan_recv_n. */
MR_API ssize_t mr_chan_recv_fixed_n(struct mr_chan *c, void *dst, size_t len, size_t n,
                                    int timeout_ms);

/* ---- polling -----------------------------------------------------------------------
 * An end shared over a Unix socket (mr_chan_share, mr_chan_attach_sock) can
 * be waited on in poll(2), epoll, io_uring or an event loop instead of in a
 * blocking call, when both ends use that socket for nothing else from then
 * on (the services of svc.h set this up): the peer writes a byte into it
 * when it makes progress for an end that is armed, and the peer's death
 * hangs it up. While both ends are busy no system call is made: only a
 * peer that finds this end armed rings. The loop:
 *
 *   for (;;) {
 *       while ((n = mr_chan_try_recv(c, buf)) >= 0) use(buf, n);
 *       if (n != -EAGAIN) break;                      (-EPIPE, -ECONNRESET, ...)
 *       if ((rc = mr_chan_arm(c, 0)) < 0) break;
 *       if (rc == 0) { poll mr_chan_event_fd(c) for POLLIN; mr_chan_ack(c); }
 *   }
 *
 * Ends that share one socket (the two channels of a duplex service) share
 * its doorbell: ack them all, then try them all, then arm them all, then
 * poll. */

/* The fd to poll for POLLIN, owned by the end (a duplicate of the socket it
 * was shared over): >= 0; or -EOPNOTSUPP (not shared over a socket). */
MR_API int mr_chan_event_fd(const struct mr_chan *c);

/* Make the end's fd readable at the peer's next progress for it: a message
 * to peek (consumer; len is ignored), room for a message of len bytes
 * (producer), or the peer gone. 1: there is progress to make now (do not
 * poll; a message or reservation held counts); 0: armed, poll the fd; or
 * -EPIPE, -ECONNRESET (the peer closed, died), -EPROTO, -EMSGSIZE (len),
 * -EOPNOTSUPP (no socket). One system call in a channel that is not
 * MR_CHAN_FENCED (membarrier(2)). Not thread-safe with other use of c. */
MR_API int mr_chan_arm(struct mr_chan *c, size_t len);

/* After the fd polled readable: take the peer's wake bytes from it (and
 * note a peer whose end hung up: the next call reports it). 0; or
 * -EOPNOTSUPP, or the socket's error. Not thread-safe with other use of
 * c. */
MR_API int mr_chan_ack(struct mr_chan *c);

/* ---- inspecting ----------------------------------------------------------------- */

/* Is the peer still there? 0 when it is, as far as can be told; -EPIPE
 * when it closed; -ECONNRESET when a watched socket or process says it is
 * gone without closing (one poll(2) when anything is watched); -EPROTO if the end is broken or the
 * header is no longer a channel's (the end is broken from then on). Not
 * thread-safe with other use of c. */
MR_API int mr_chan_check_peer(struct mr_chan *c);

/* This end's figures (struct mr_chan_stats). */
MR_API void mr_chan_stats(const struct mr_chan *c, struct mr_chan_stats *out);

/* The ring's capacity in bytes, and the largest message (capacity - 16). */
MR_API size_t mr_chan_capacity(const struct mr_chan *c);
MR_API size_t mr_chan_max_msg(const struct mr_chan *c);

/* The object's fd, still owned by the end (for passing it on by other
 * means than mr_chan_share). */
MR_API int mr_chan_fd(const struct mr_chan *c);

/* ---- INLINE FORMS ------------------------------------------------------------------
 * mr_chan_reserve_inline, _commit_inline, _send_inline, _peek_inline,
 * _release_inline and _recv_inline do what the call without the suffix
 * does, with the same arguments, results and checks, but compile the
 * common case (the end usable, room or a message there now) into the
 * caller: about 40 instructions for a 64-byte send instead of a call of
 * about 80. Anything else (waiting, errors, a broken or closed end) calls
 * the exported function.
 *
 * ABI: a program using them reads the shared record layout and these
 * private fields of struct mr_chan, as this version of the library lays
 * them out: hdr, ring, mask, hdr_w1, capacity, max_msg, pos, limit,
 * pending, pending_len, state, stats. The library marks every end it
 * opens with the version of that layout (MR__CHAN_ST_FAST); a later
 * library that lays them out otherwise marks its ends differently, and the
 * inline forms of a program built against this header then always call the
 * exported functions: the program keeps working, at their speed, until it
 * is rebuilt. The size of struct mr_chan, and the calls without the suffix,
 * never depend on this. */

/* Private: the state word, and the shared layout the inline forms use. */
#define MR__CHAN_ST_FENCED 0x1u   /* the channel's mode is FENCED (its mode word is 1) */
#define MR__CHAN_ST_BROKEN 0x2u   /* the peer broke the protocol */
#define MR__CHAN_ST_GONE 0x4u     /* a watched fd said the peer is gone */
#define MR__CHAN_ST_PENDING 0x8u  /* one message reserved or peeked */
#define MR__CHAN_ST_BATCH 0x10u   /* a batch reserved or peeked */
#define MR__CHAN_ST_PRODUCER 0x20u
#define MR__CHAN_ST_CONSUMER 0x40u
#define MR__CHAN_ST_FAST 0x100u   /* the private layout above, version 1 */
#define MR__CHAN_MAGIC 0x31304e414843524dULL
#define MR__CHAN_H_CAPACITY 16
#define MR__CHAN_H_MODE 28
#define MR__CHAN_H_PROD_WAIT 260
#define MR__CHAN_H_TAIL 384
#define MR__CHAN_H_CONS_CLOSED 512
#define MR__CHAN_H_CONS_WAIT 516

/* Wake the peer sleeping on the word at hdr + off (out of line: rare). */
MR_API void mr__chan_wake(struct mr_chan *c, size_t off);
/* Copy n bytes (more than 64) as the channel's calls do. */
MR_API void mr__chan_copy_big(void *dst, const void *src, size_t n);

/* A record: its 8-byte header word (length, then a commit word of 1, in
 * memory order) and its size in the ring. */
MR_INLINE uint64_t mr__chan_word(uint64_t len)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    return len << 32 | 1u;
#else
    return len | (uint64_t)1 << 32;
#endif
}

MR_INLINE uint64_t mr__chan_rec(size_t len)
{
    return 8 + (((uint64_t)len + 7) & ~(uint64_t)7);
}

MR_INLINE uint32_t *mr__chan_u32(const struct mr_chan *c, size_t off)
{
    return (uint32_t *)(void *)(c->hdr + off);
}

MR_INLINE uint64_t *mr__chan_u64(const unsigned char *p)
{
    return (uint64_t *)(void *)(uintptr_t)p;
}

/* Does the peer sleep on the word at hdr + off? Loaded after this end's
 * publish; seq_cst, as a fenced channel needs (on x86 a plain load). */
MR_INLINE bool mr__chan_sleeping(const struct mr_chan *c, size_t off)
{
    return __atomic_load_n(mr__chan_u32(c, off), __ATOMIC_SEQ_CST) != 0;
}

/* Nonzero unless the header's fixed fields (magic, version, header size,
 * capacity, mode) hold what this end attached to. */
MR_INLINE uint64_t mr__chan_hdr_bad(const struct mr_chan *c)
{
    const unsigned char *h = c->hdr;
    return (__atomic_load_n(mr__chan_u64(h), __ATOMIC_RELAXED) ^ MR__CHAN_MAGIC) |
           (__atomic_load_n(mr__chan_u64(h + 8), __ATOMIC_RELAXED) ^ c->hdr_w1) |
           (__atomic_load_n(mr__chan_u64(h + MR__CHAN_H_CAPACITY), __ATOMIC_RELAXED) ^ c->capacity) |
           (__atomic_load_n(mr__chan_u32(c, MR__CHAN_H_MODE), __ATOMIC_RELAXED) ^
            (c->state & MR__CHAN_ST_FENCED));
}

/* Copy n bytes between buffers that do not overlap, inline up to 64 (two
 * moves that may overlap each other; only the n bytes are touched). */
MR_INLINE void mr__chan_copy(void *dst, const void *src, size_t n)
{
    unsigned char *d = (unsigned char *)dst;
    const unsigned char *s = (const unsigned char *)src;
    if (n > 32) {
        if (MR_UNLIKELY(n > 64)) {
            mr__chan_copy_big(d, s, n);
            return;
        }
        __builtin_memcpy(d, s, 32);
        __builtin_memcpy(d + n - 32, s + n - 32, 32);
    } else if (n > 16) {
        __builtin_memcpy(d, s, 16);
        __builtin_memcpy(d + n - 16, s + n - 16, 16);
    } else if (n >= 8) {
        __builtin_memcpy(d, s, 8);
        __builtin_memcpy(d + n - 8, s + n - 8, 8);
    } else if (n >= 4) {
        __builtin_memcpy(d, s, 4);
        __builtin_memcpy(d + n - 4, s + n - 4, 4);
    } else if (n > 0) {
        d[0] = s[0];
        d[n / 2] = s[n / 2];
        d[n - 1] = s[n - 1];
    }
}

/* Is the state st that of an open end of this role (MR__CHAN_ST_PRODUCER
 * or _CONSUMER) with nothing wrong and nothing else held than held? The
 * unfenced case first: one compare. */
MR_INLINE bool mr__chan_gate(unsigned st, unsigned role)
{
    return MR_LIKELY(st == (MR__CHAN_ST_FAST | role)) || st == (MR__CHAN_ST_FAST | MR__CHAN_ST_FENCED | role);
}

/* Is the end a producer, usable and idle, with room now for a record of
 * len bytes, and has the consumer not closed? Then its index in *pos. */
MR_INLINE bool mr__chan_room(const struct mr_chan *c, size_t len, int timeout_ms, uint64_t *pos)
{
    uint64_t p = c->pos;
    if (MR_UNLIKELY(!mr__chan_gate(c->state, MR__CHAN_ST_PRODUCER) || len > c->max_msg || timeout_ms < -1 || p + mr__chan_rec(len) > c->limit ||
                    __atomic_load_n(mr__chan_u32(c, MR__CHAN_H_CONS_CLOSED), __ATOMIC_RELAXED) != 0))
        return false;
    *pos = p;
    return true;
}

/* Publish the record of len bytes at pos, the producer's index: a zero
 * header for the next record, then this one's header word, a release (or
 * in a fenced channel a full barrier): the consumer polls it; then look at
 * the consumer's sleeping word (docs/chan.md, "Waiting, and the lost
 * wake-up"): true when it must be woken (mr__chan_put does). The caller
 * loaded st (the state) and hdr before it copied the bytes, which the
 * compiler must assume may change anything. */
MR_INLINE bool mr__chan_publish(struct mr_chan *c, unsigned st, unsigned char *hdr, uint64_t pos,
                                size_t len)
{
    unsigned char *h = c->ring + (pos & c->mask);
    uint64_t rec = mr__chan_rec(len);
    __atomic_store_n(mr__chan_u64(h + rec), 0, __ATOMIC_RELAXED);
    if (st & MR__CHAN_ST_FENCED) {
        __atomic_store_n(mr__chan_u64(h), mr__chan_word(len), __ATOMIC_SEQ_CST);
    } else {
        __atomic_store_n(mr__chan_u64(h), mr__chan_word(len), __ATOMIC_RELEASE);
        __atomic_signal_fence(__ATOMIC_SEQ_CST);
    }
    c->pos = pos + rec;
    c->stats.messages++;
    c->stats.bytes += len;
    return __atomic_load_n((uint32_t *)(void *)(hdr + MR__CHAN_H_CONS_WAIT), __ATOMIC_SEQ_CST) != 0;
}

MR_INLINE void mr__chan_put(struct mr_chan *c, unsigned st, unsigned char *hdr, uint64_t pos,
                            size_t len)
{
    if (MR_UNLIKELY(mr__chan_publish(c, st, hdr, pos, len)))
        mr__chan_wake(c, MR__CHAN_H_CONS_WAIT);
}

/* Is the end a consumer, usable and idle, whose next record (at its index
 * *pos) is committed with a length of at most max_msg (its word loaded
 * once, into *len), and do the header's fixed fields hold what was
 * attached? */
MR_INLINE bool mr__chan_next(const struct mr_chan *c, int timeout_ms, uint64_t *pos, uint64_t *len)
{
    unsigned st = c->state;
    uint64_t p = c->pos;
    uint64_t w;
    if (MR_UNLIKELY(!mr__chan_gate(st, MR__CHAN_ST_CONSUMER) || timeout_ms < -1))
        return false;
    w = __atomic_load_n(mr__chan_u64(c->ring + (p & c->mask)), __ATOMIC_ACQUIRE) ^ mr__chan_word(0);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    w = w >> 32 | w << 32;
#endif
    /* A commit word of 1 and a length of at most max_msg, in one compare. */
    if (MR_UNLIKELY(w > c->max_msg || mr__chan_hdr_bad(c) != 0))
        return false;
    *pos = p;
    *len = w;
    return true;
}

/* Free the consumer's record of len bytes at pos: the tail (at least a
 * release: the reads of the record come before the producer may overwrite
 * it), then look at the producer's sleeping word: true when it must be
 * woken (mr__chan_drop does). st and hdr as for mr__chan_publish. */
MR_INLINE bool mr__chan_free(struct mr_chan *c, unsigned st, unsigned char *hdr, uint64_t pos,
                             size_t len)
{
    uint64_t *tail = mr__chan_u64(hdr + MR__CHAN_H_TAIL);
    pos += mr__chan_rec(len);
    c->pos = pos;
    c->stats.messages++;
    c->stats.bytes += len;
    if (st & MR__CHAN_ST_FENCED) {
        __atomic_store_n(tail, pos, __ATOMIC_SEQ_CST);
    } else {
        __atomic_store_n(tail, pos, __ATOMIC_RELEASE);
        __atomic_signal_fence(__ATOMIC_SEQ_CST);
    }
    return __atomic_load_n((uint32_t *)(void *)(hdr + MR__CHAN_H_PROD_WAIT), __ATOMIC_SEQ_CST) != 0;
}

MR_INLINE void mr__chan_drop(struct mr_chan *c, unsigned st, unsigned char *hdr, uint64_t pos,
                             size_t len)
{
    if (MR_UNLIKELY(mr__chan_free(c, st, hdr, pos, len)))
        mr__chan_wake(c, MR__CHAN_H_PROD_WAIT);
}

/* The common cases, for the inline forms below and the library's own
 * calls: each does the whole call, or nothing and returns MR__CHAN_SLOW
 * for the caller to make the general call. */
#define MR__CHAN_SLOW (-0x7fffffff - 1)

MR_INLINE ssize_t mr__chan_send_fast(struct mr_chan *c, const void *p, size_t n, int timeout_ms)
{
    uint64_t pos;
    unsigned st;
    unsigned char *hdr;
    if (MR_UNLIKELY(!mr__chan_room(c, n, timeout_ms, &pos)))
        return MR__CHAN_SLOW;
    st = c->state;
    hdr = c->hdr;
    mr__chan_copy(c->ring + (pos & c->mask) + 8, p, n);
    mr__chan_put(c, st, hdr, pos, n);
    return (ssize_t)n;
}

MR_INLINE int mr__chan_reserve_fast(struct mr_chan *c, size_t len, int timeout_ms,
                                    struct mr_region *out)
{
    uint64_t pos;
    if (MR_UNLIKELY(!mr__chan_room(c, len, timeout_ms, &pos)))
        return MR__CHAN_SLOW;
    c->state |= MR__CHAN_ST_PENDING;
    c->pending = (size_t)mr__chan_rec(len);
    c->pending_len = len;
    out->ptr = c->ring + (pos & c->mask) + 8;
    out->len = len;
    out->flags = 0;
    return 0;
}

MR_INLINE int mr__chan_commit_fast(struct mr_chan *c, size_t len)
{
    unsigned st = c->state;
    if (MR_UNLIKELY(!mr__chan_gate(st, MR__CHAN_ST_PRODUCER | MR__CHAN_ST_PENDING) ||
                    len > c->pending_len))
        return MR__CHAN_SLOW;
    c->state = st & ~MR__CHAN_ST_PENDING;
    c->pending = 0;
    mr__chan_put(c, st, c->hdr, c->pos, len);
    return 0;
}

MR_INLINE int mr__chan_peek_fast(struct mr_chan *c, int timeout_ms, struct mr_region *out)
{
    uint64_t pos, len;
    if (MR_UNLIKELY(!mr__chan_next(c, timeout_ms, &pos, &len)))
        return MR__CHAN_SLOW;
    c->state |= MR__CHAN_ST_PENDING;
    c->pending = (size_t)mr__chan_rec(len);
    c->pending_len = (size_t)len;
    c->limit = 1;
    out->ptr = c->ring + (pos & c->mask) + 8;
    out->len = (size_t)len;
    out->flags = MR_REGION_RDONLY;
    return 0;
}

MR_INLINE int mr__chan_release_fast(struct mr_chan *c)
{
    unsigned st = c->state;
    if (MR_UNLIKELY(!mr__chan_gate(st, MR__CHAN_ST_CONSUMER | MR__CHAN_ST_PENDING)))
        return MR__CHAN_SLOW;
    c->state = st & ~MR__CHAN_ST_PENDING;
    c->pending = 0;
    mr__chan_drop(c, st, c->hdr, c->pos, c->pending_len);
    return 0;
}

MR_INLINE ssize_t mr__chan_recv_fast(struct mr_chan *c, void *p, size_t n, unsigned flags,
                                     int timeout_ms)
{
    uint64_t pos, len;
    unsigned st;
    unsigned char *hdr;
    if (MR_UNLIKELY(!mr__chan_next(c, timeout_ms, &pos, &len) || len > n || (flags & MR_REGION_RDONLY)))
        return MR__CHAN_SLOW;
    st = c->state;
    hdr = c->hdr;
    mr__chan_copy(p, c->ring + (pos & c->mask) + 8, (size_t)len);
    mr__chan_drop(c, st, hdr, pos, (size_t)len);
    return (ssize_t)len;
}

/* The inline forms' way out, kept out of the caller's loop: mr_chan_send
 * and mr_chan_recv with the region's fields as arguments (a region passed
 * by value would be built in memory on every iteration). */
MR_API ssize_t mr__chan_send_out(struct mr_chan *c, void *p, size_t n, unsigned f, int t);
MR_API ssize_t mr__chan_recv_out(struct mr_chan *c, void *p, size_t n, unsigned f, int t);

/* mr_chan_send, its common case compiled in. */
MR_INLINE ssize_t mr_chan_send_inline(struct mr_chan *c, struct mr_region msg, int timeout_ms)
{
    ssize_t rc = mr__chan_send_fast(c, msg.ptr, msg.len, timeout_ms);
    if (MR_UNLIKELY(rc == MR__CHAN_SLOW))
        return mr__chan_send_out(c, msg.ptr, msg.len, msg.flags, timeout_ms);
    return rc;
}

/* mr_chan_reserve, its common case compiled in. */
MR_INLINE int mr_chan_reserve_inline(struct mr_chan *c, size_t len, int timeout_ms,
                                     struct mr_region *out)
{
    int rc = mr__chan_reserve_fast(c, len, timeout_ms, out);
    return MR_LIKELY(rc != MR__CHAN_SLOW) ? rc : mr_chan_reserve(c, len, timeout_ms, out);
}

/* mr_chan_commit, its common case compiled in. */
MR_INLINE int mr_chan_commit_inline(struct mr_chan *c, size_t len)
{
    int rc = mr__chan_commit_fast(c, len);
    return MR_LIKELY(rc != MR__CHAN_SLOW) ? rc : mr_chan_commit(c, len);
}

/* mr_chan_peek, its common case compiled in. */
MR_INLINE int mr_chan_peek_inline(struct mr_chan *c, int timeout_ms, struct mr_region *out)
{
    int rc = mr__chan_peek_fast(c, timeout_ms, out);
    return MR_LIKELY(rc != MR__CHAN_SLOW) ? rc : mr_chan_peek(c, timeout_ms, out);
}

/* mr_chan_release, its common case compiled in. */
MR_INLINE int mr_chan_release_inline(struct mr_chan *c)
{
    int rc = mr__chan_release_fast(c);
    return MR_LIKELY(rc != MR__CHAN_SLOW) ? rc : mr_chan_release(c);
}

/* mr_chan_recv, its common case compiled in. */
MR_INLINE ssize_t mr_chan_recv_inline(struct mr_chan *c, struct mr_region buf, int timeout_ms)
{
    ssize_t rc = mr__chan_recv_fast(c, buf.ptr, buf.len, buf.flags, timeout_ms);
    if (MR_UNLIKELY(rc == MR__CHAN_SLOW))
        return mr__chan_recv_out(c, buf.ptr, buf.len, buf.flags, timeout_ms);
    return rc;
}

#ifdef __cplusplus
}
#endif

#endif
