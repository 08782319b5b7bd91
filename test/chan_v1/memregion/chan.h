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
 * process (mr_chan_watch_pid, a pidfd). An end that watches nothing sees
 * only orderly closes: a pid written by the peer into shared memory would
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
 * bytes) is a closed end: see CLOSED ENDS above. */
struct mr_chan {
    unsigned char *hdr;  /* the shared header page; NULL when closed */
    unsigned char *ring; /* the ring's first view; the second follows it */
    void *base;          /* the whole reservation, guard pages included */
    size_t base_len;
    size_t capacity;
    size_t max_msg;
    uint64_t pos;        /* this end's index: head (producer) or tail (consumer) */
    uint64_t peer;       /* producer: the tail as last loaded and checked */
    size_t pending;      /* bytes of the reserved or peeked record; 0: none */
    size_t pending_len;  /* its payload length */
    int fd;              /* the object; -1 when closed */
    int pidfd;           /* the watched process; -1: none */
    int sockfd;          /* the watched socket; -1: none */
    unsigned role;       /* enum mr_chan_role; 0 when closed */
    unsigned state;      /* private bits */
    uint32_t spin_ns;    /* how long a wait spins before it sleeps (adaptive) */
    struct mr_chan_stats stats;
};

#define MR_CHAN_INIT { NULL, NULL, NULL, 0, 0, 0, 0, 0, 0, 0, -1, -1, -1, 0, 0, 0, { 0, 0, 0, 0, 0 } }

/* ---- creating and attaching -------------------------------------------------
 * Every call here takes an out that holds no open end (it would leak); on
 * failure *out is closed and nothing is left behind: no fd, no mapping, no
 * name in /dev/shm that the call created. */

/* Create a channel in a new memfd of capacity bytes (see
 * MR_CHAN_CAPACITY_MIN), sealed against shrinking, growing and further
 * seals, and become its end of the given role. flags: 0 or MR_CHAN_FENCED.
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
 * the seal check (named objects have none; see mr_chan_create_named). flags
 * must be 0. -ENOENT when there is no such object; -EAGAIN while its creator
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
 * -ETIMEDOUT, -EPIPE (the consumer closed or died), -EPROTO (the consumer
 * broke the protocol), -EBUSY (a reservation is pending), -EBADF (not the
 * producer), -EINVAL (timeout); *out is untouched on failure. */
MR_API int mr_chan_reserve(struct mr_chan *c, size_t len, int timeout_ms, struct mr_region *out);

/* Publish the first len bytes of the pending reservation (len at most what
 * was reserved; the rest of the room is given back) as the next message,
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
 * -ETIMEDOUT, -EPIPE (no message left, and the producer closed or died),
 * -EPROTO (the producer broke the protocol), -EBADF (not the consumer),
 * -EINVAL (timeout); *out is untouched on failure. */
MR_API int mr_chan_peek(struct mr_chan *c, int timeout_ms, struct mr_region *out);

/* Free the peeked message's room, and wake the producer if it sleeps.
 * Never waits. 0; or -EBADF (not the consumer), -EPROTO (the end is broken:
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

/* ---- inspecting ----------------------------------------------------------------- */

/* Is the peer still there? 0 when it is, as far as can be told; -EPIPE
 * when it closed, or a watched socket or process says it is gone (one
 * poll(2) when anything is watched); -EPROTO if the end is broken or the
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

#ifdef __cplusplus
}
#endif

#endif
