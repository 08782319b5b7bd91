/* SPDX-License-Identifier: MIT */
/* src/chan_internal.h: the channel's reusable core, for the SPSC channel
 * (src/chan.c) and any later messaging pattern built on shared memory:
 *
 *   ring      a header and a ring mapped twice back to back, with guard
 *             pages (src/chan_ring.c)
 *   wake      the sleep/wake protocol on a shared 32-bit word, and
 *             membarrier registration (src/chan_wake.c)
 *   watch     noticing a peer's death: a socket that hangs up, a pidfd
 *             (src/chan_watch.c)
 *   handover  an fd with a greeting over a Unix stream socket
 *             (src/chan_handover.c)
 *
 * Nothing here knows struct mr_chan: the protocol on top supplies the
 * words, a "ready" predicate and its figures. The design argument is in
 * docs/chan.md; the sections named below are where each rule comes from. */
#ifndef MEMREGION_CHAN_INTERNAL_H
#define MEMREGION_CHAN_INTERNAL_H

#include "internal.h"

#include <memregion/chan.h>
#include <memregion/sock.h>

/* ---- ring: docs/chan.md, "Why the ring is mapped twice" -------------------- */

/* One end's mapping of an object of hdr_len header bytes followed by a
 * ring of cap bytes:
 *
 *   base: [guard page][header][guard page][ring][ring again][guard page]
 *
 * so ring == hdr + hdr_len + page size, and ring[i + cap] is ring[i]. */
struct mr__ring {
    void *base; /* the whole reservation, guard pages included */
    size_t len;
    unsigned char *hdr;
    unsigned char *ring;
};

/* Map fd as above: the header (file offset 0, hdr_len bytes, a multiple of
 * the page size) with hdr_prot, and the ring (file offset hdr_len, cap
 * bytes, a multiple of the page size) twice with ring_prot, all shared,
 * inside one PROT_NONE reservation of our own; with populate, every page
 * faulted in now (MAP_POPULATE). 0 and *out, or -errno with nothing
 * mapped. The caller keeps fd. Thread-safe. */
int mr__ring_map(struct mr__ring *out, int fd, size_t hdr_len, int hdr_prot, size_t cap,
                 int ring_prot, bool populate);

/* The mapping mr__ring_map made whose header is at hdr: its base and
 * length follow from the layout above. */
static inline struct mr__ring mr__ring_at(unsigned char *hdr, size_t hdr_len, size_t cap)
{
    size_t page = mr__page_size();
    struct mr__ring r = { hdr - page, 3 * page + hdr_len + 2 * cap, hdr, hdr + hdr_len + page };
    return r;
}
/* Unmap what mr__ring_map made (the regions from it die). */
void mr__ring_unmap(const struct mr__ring *r);

/* ---- wake: docs/chan.md, "Waiting, and the lost wake-up" -------------------
 * A side that cannot go on sleeps on its own 32-bit word in shared memory
 * (1: asleep, 0: awake); a side that makes progress for it publishes (P1)
 * and then looks at that word (P2). light is the channel's mode: true for
 * MEMBARRIER (no barrier when publishing; the sleeper calls membarrier),
 * false for FENCED (seq_cst everywhere). */

/* P1: store v to *p, a 32- or 64-bit word the sleeper's look loads: a
 * release store followed by a compiler barrier (MEMBARRIER), or a seq_cst
 * store (FENCED, whose barrier is here). A macro: __atomic_store_n takes
 * either width. */
#define MR__WAKE_PUBLISH(p, v, light)                                         \
    do {                                                                      \
        if (light) {                                                          \
            __atomic_store_n((p), (v), __ATOMIC_RELEASE);                     \
            __atomic_signal_fence(__ATOMIC_SEQ_CST);                          \
        } else {                                                              \
            __atomic_store_n((p), (v), __ATOMIC_SEQ_CST);                     \
        }                                                                     \
    } while (0)

/* A sleeping word's values: 0 awake, MR__WAKE_FUTEX asleep on the futex,
 * MR__WAKE_FD waiting in poll(2) on an fd of its own, which the waker must
 * make readable instead (the protocol on top knows how). */
#define MR__WAKE_FUTEX 1u
#define MR__WAKE_FD 2u

/* Clear the sleeping word at word and, if it was set, wake the waiter: a
 * futex wake of up to n sleepers (MR__WAKE_FUTEX), or nothing more
 * (MR__WAKE_FD: the caller signals the waiter's fd); add 1 to *wakes (a
 * figure; NULL: not counted). Returns the word's old value. Out of line:
 * the rare half of P2. Thread-safe. */
uint32_t mr__wake(uint32_t *word, int n, uint64_t *wakes);

/* P2: wake the sleeper on word if it says it sleeps (counted in *wakes as
 * mr__wake does). While nobody sleeps this is one load and a branch, all a
 * publish costs. */
static inline void mr__wake_check(uint32_t *word, bool light, uint64_t *wakes)
{
    uint32_t v = light ? __atomic_load_n(word, __ATOMIC_RELAXED) : __atomic_load_n(word, __ATOMIC_SEQ_CST);
    if (MR_UNLIKELY(v != 0))
        mr__wake(word, 1, wakes);
}

/* One side's wait: what it sleeps on, how it learns it may go on, and its
 * private figures. The predicate must load what the other side's P1
 * stores, with seq_cst loads (S2 of the protocol). */
struct mr__waiter {
    uint32_t *word;            /* this side's sleeping word, in shared memory */
    bool light;                /* the mode: see above */
    int (*ready)(void *ctx);   /* 1: go on; 0: not yet; < 0: stop with that error */
    void (*check)(void *ctx);  /* every MR_CHAN_DEATH_CHECK_MS asleep: look at the peer
                                * (a dead one never wakes anyone); NULL: nothing to do */
    void *ctx;
    uint32_t *spin_ns;         /* the adaptive spin budget, private to this side */
    uint64_t *waits;           /* waits begun (counted here) */
    uint64_t *sleeps;          /* futex sleeps entered (counted here) */
    uint32_t *futex;           /* what it sleeps on when that is not word (a topic's
                                * subscribers share one futex, announcing on their own
                                * words): loaded before word is announced, and the waker
                                * changes it after clearing word; NULL: word */
};

/* The most a wait spins before it yields and sleeps; a waiter's spin
 * budget starts here. */
#define MR__WAKE_SPIN_MAX_NS 20000u

/* Wait until w->ready says 1 (then 0) or < 0 (that error), or until the
 * deadline (mr__deadline; MR__NEVER for none): -ETIMEDOUT. Spins for up to
 * *w->spin_ns (adapting it), yields a few times, then announces itself on
 * w->word and sleeps in slices. The caller has looked once already and
 * found nothing. Not thread-safe for one waiter. */
int mr__wait(const struct mr__waiter *w, int64_t deadline);

/* Announce the n waiters w[] as waiting on their fds (MR__WAKE_FD), with
 * one barrier for all, and look once more at each: out[i] is 1 when
 * w[i].ready says it may go on now (its word is cleared: do not wait), 0
 * when armed (wait in poll(2) for the fd the waker signals), or the error
 * (w[i].ready's, or the barrier's for all). Returns how many are not 0.
 * Thread-safe as mr__wait, for waiters of distinct ends. */
int mr__wait_arm(const struct mr__waiter *w, int n, int *out);

/* Register this process for MEMBARRIER_CMD_GLOBAL_EXPEDITED: 0, or why it
 * cannot (then it must use FENCED words, and cannot take part in
 * MEMBARRIER ones). Idempotent, thread-safe. */
int mr__wake_join(void);

/* For tests: on, mr__wake_join fails as if membarrier(2) were unavailable
 * (channels are created MR_CHAN_FENCED, attaching to other channels is
 * -EOPNOTSUPP). Thread-safe. */
void mr__chan_no_membarrier(bool on);

/* futex(2) on words shared between processes (not _PRIVATE), membarrier(2)
 * and sched_yield(2). mr__sys_futex_wait sleeps while *addr == expected, at
 * most rel (NULL: no limit): 0 when woken (or spuriously), -EAGAIN when
 * *addr differed, -ETIMEDOUT, or -EINTR (not retried: the caller
 * recomputes its deadline). mr__sys_futex_wake returns how many sleepers it
 * woke. mr__sys_membarrier returns membarrier(2)'s result. */
int mr__sys_futex_wait(uint32_t *addr, uint32_t expected, const struct timespec *rel);
int mr__sys_futex_wake(uint32_t *addr, int n);
int mr__sys_membarrier(int cmd, unsigned flags);
void mr__sys_sched_yield(void);

/* ---- for other layers that wait on channel ends (src/waitset.c) ---------- */

/* Could the end make progress now, as its next call would find, without a
 * system call: 1 (a message to peek, or held; room for a message of len
 * bytes, or held), 0 (not now), or the error its next call returns (-EBADF,
 * -EPROTO, -EPIPE, -ECONNRESET, -EMSGSIZE). What it reads from shared
 * memory is checked as the data calls check it. Not thread-safe with
 * other use of c. */
int mr__chan_ready(struct mr_chan *c, size_t len);

/* mr_chan_arm on n ends at once (cs[i] waiting for lens[i]; distinct
 * ends), with one barrier for all of them instead of one each: status[i]
 * as mr_chan_arm returns for cs[i]. Returns how many are not 0. */
int mr__chan_arm_n(struct mr_chan *const *cs, const size_t *lens, int *status, int n);

/* A Unix stream socket: the only kind whose peer closing polls POLLHUP (so
 * it can be watched) and that carries an fd with a greeting in order. */
static inline bool mr__sock_stream_unix(const struct mr_sock *s)
{
    return s->family == AF_UNIX && s->type == SOCK_STREAM;
}

/* ---- watch: docs/chan.md, "What it guarantees" (A dead peer) ---------------
 * A peer is watched through fds whose state it cannot forge: a pidfd, or
 * our duplicate of the Unix stream socket we share with it. Nothing is
 * read from shared memory for this. */

/* A pidfd for process pid (close-on-exec): the fd, or -EINVAL (pid <= 0),
 * -ESRCH, -ENOSYS, -EMFILE. */
int mr__watch_pid(pid_t pid);

/* A close-on-exec duplicate of s's fd to watch its peer through: the fd,
 * or -ENOPROTOOPT (s is not a Unix SOCK_STREAM socket: a datagram socket
 * never reports its peer gone), -EMFILE. */
int mr__watch_sock(const struct mr_sock *s);

/* Put fd (>= 0) in *slot, closing the fd watched there before, if any. */
void mr__watch_replace(int *slot, int fd);

/* Is the peer gone, as far as the watched fds tell (-1: not watched)? One
 * poll(2) without waiting; false when nothing is watched. */
bool mr__watch_gone(int pidfd, int sockfd);

/* The watched socket as a doorbell between two ends that use it for
 * nothing else: ring sends one byte without waiting (a full buffer already
 * holds one); drain reads every byte there without waiting: how many, or
 * -EPIPE when the peer's end is closed (it is gone), or another -errno. */
void mr__watch_ring(int sockfd);
int mr__watch_drain(int sockfd);

/* pidfd_open(2): the new fd (close-on-exec by the kernel) or -errno. */
int mr__sys_pidfd_open(pid_t pid, unsigned flags);

/* ---- handover: docs/chan.md, "What it guarantees" and "Sealing" ------------
 * An object's fd goes to the peer as one message on a Unix stream socket:
 * a greeting of len bytes whose first 8 are a magic naming the protocol,
 * with the fd attached to it. */

/* Send fd with the greeting g (len >= 8 bytes) over s, waiting as a
 * blocking send does. 0; or -ENOPROTOOPT (not a Unix SOCK_STREAM socket),
 * -EPIPE, ... as mr_sock_send_fds. The caller keeps fd. */
int mr__handover_send(const struct mr_sock *s, int fd, const void *g, size_t len);

/* Receive what mr__handover_send sent, waiting until deadline: 0 with the
 * greeting in g and the fd in *fd (the caller's from then on). Every check
 * is made here: -ENOPROTOOPT (not a Unix SOCK_STREAM socket), -ETIMEDOUT,
 * -EPIPE (the peer closed before sending), -EPROTO (not exactly len bytes
 * with exactly one fd, or a magic other than magic), or the errors of
 * mr_sock_recv_fds; nothing received is left open on failure. */
int mr__handover_recv(const struct mr_sock *s, void *g, size_t len, uint64_t magic,
                      int64_t deadline, int *fd);

#endif
