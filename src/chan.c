/* src/chan.c: the shared-memory channel: a ring in a sealed memfd, mapped
 * twice back to back, futex wake-ups only for a sleeping peer, and checks
 * on everything the peer can write. */
#include "internal.h"

#include <memregion/chan.h>
#include <memregion/shm.h>

#include <fcntl.h>
#include <linux/membarrier.h>
#include <poll.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

/* ==== the shared layout ======================================================
 *
 * The object is one header page followed by the ring (capacity bytes):
 *
 *   header   0  u64 magic          written once by the creator, never again
 *            8  u32 version
 *           12  u32 header size    (the page size: the ring's file offset)
 *           16  u64 capacity
 *           24  u32 roles          which ends have attached (bit = role)
 *           28  u32 mode           0: membarrier, 1: fenced (see "waiting")
 *          128  u64 head           producer's index: bytes ever committed
 *          256  u32 producer closed, 260 u32 producer sleeping (futex word)
 *          384  u64 tail           consumer's index: bytes ever released
 *          512  u32 consumer closed, 516 u32 consumer sleeping (futex word)
 *   ring     page size .. page size + capacity
 *
 * Each word one side writes often sits 128 bytes from the others: the
 * indices change once per message, and x86's adjacent-line prefetcher
 * moves lines in pairs, so 64 bytes apart would still share. The sleeping
 * words sit apart from the indices because the other side reads them after
 * every publish: that line stays in its cache, shared, as long as nobody
 * sleeps.
 *
 * A record is a u32 length, a u32 commit word, and the bytes, padded to 8:
 * indices are multiples of 8 and every region starts 8-aligned. Indices
 * are 64-bit byte counts that never wrap; the position in the ring is
 * index & (capacity - 1).
 *
 * The consumer does not read the head: it polls the commit word of the
 * record at its own index, 1 when the record is there, 0 when not yet.
 * Reading the head first and the record after it costs one more cache-line
 * transfer between the cores per message, a third of a busy round trip
 * (FastForward's observation). For the word at the consumer's index to be
 * 0 until that record is committed, stale bytes of an earlier lap there
 * (possibly the payload of a message, which could hold anything) must be
 * overwritten first: a commit stores a 0 commit word just past its record,
 * where the next record will start, before it stores its own 1. So the
 * producer keeps 8 bytes of the ring free beyond every record, and the
 * largest message is capacity - 16 bytes. The ring starts zeroed (a fresh
 * object). The producer still publishes the head, as its figure of bytes
 * committed; nothing relies on it.
 *
 * Why the ring is mapped twice, back to back, rather than padding a message
 * that does not fit before the end to the start: a record is then always
 * contiguous in the address space, so reserve and peek hand out one region
 * however the ring wraps, with no copy; a message may fill nearly the
 * whole ring (capacity - 16 bytes), where padding limits it to half the
 * ring to be sure it ever fits; and there is no padding marker for a
 * hostile peer to forge, only a length to check. The cost is setup:
 * capacity is a multiple of the page size, and mapping takes a reservation
 * and three mmap calls. Around the header and the two views are
 * inaccessible guard pages:
 *
 *   [guard][header][guard][ring view 1][ring view 2][guard]
 *
 * so an access outside the header and the ring faults at once instead of
 * reading a neighbour's memory. The map layer has no call that places a
 * mapping at a fixed address (mr_map_open_fd lets the kernel choose), so
 * the three mappings are made here with mr__sys_mmap and MAP_FIXED inside
 * a PROT_NONE reservation of our own, which nothing else can take. */

#define CHAN_MAGIC UINT64_C(0x31304e414843524d) /* "MRCHAN01" read little-endian */
#define CHAN_VERSION 2u
#define GREETING_MAGIC UINT64_C(0x4446534e414843d2)

#define H_MAGIC 0
#define H_VERSION 8
#define H_HDR_SIZE 12
#define H_CAPACITY 16
#define H_ROLES 24
#define H_MODE 28
#define H_HEAD 128
#define H_PROD_CLOSED 256
#define H_PROD_WAIT 260
#define H_TAIL 384
#define H_CONS_CLOSED 512
#define H_CONS_WAIT 516

#define ROLE_BITS (MR_CHAN_PRODUCER | MR_CHAN_CONSUMER)
#define REQUIRED_SEALS (MR_SEAL_SHRINK | MR_SEAL_GROW | MR_SEAL_SEAL)

/* struct mr_chan's private state bits. */
#define ST_BROKEN 0x1u    /* the peer broke the protocol: -EPROTO from now on */
#define ST_PEER_GONE 0x2u /* a watched fd said the peer is gone */
#define ST_LIGHT 0x4u     /* the channel's mode is 0: publish without a fence */

#define MODE_MEMBARRIER 0u
#define MODE_FENCED 1u

/* Spinning: a futex sleep and wake-up costs the sleeper several
 * microseconds (two system calls, a trip through the scheduler, often an
 * idle CPU waking up), so a wait first spins up to spin_ns. The budget
 * adapts: it doubles when a spin sees the peer progress, and halves when it
 * does not, down to nothing: two processes on one CPU never win a spin (the
 * peer cannot run while we spin), and a spin there only delays the switch
 * to the peer. At zero, every PROBE_EVERY-th wait still spins PROBE_NS, so
 * that a peer busy again on another CPU brings the budget back. */
#define SPIN_MAX_NS 20000u
#define SPIN_STEP_NS 500u
#define PROBE_NS 2000u
#define PROBE_EVERY 16u
#define YIELDS 4u
#define DEATH_CHECK_NS ((int64_t)MR_CHAN_DEATH_CHECK_MS * 1000000)

static inline uint64_t *w64(const struct mr_chan *c, size_t off)
{
    return (uint64_t *)(void *)(c->hdr + off);
}

static inline uint32_t *w32(const struct mr_chan *c, size_t off)
{
    return (uint32_t *)(void *)(c->hdr + off);
}

static inline bool is_producer(const struct mr_chan *c) { return c->role == MR_CHAN_PRODUCER; }
static inline size_t own_closed(const struct mr_chan *c) { return is_producer(c) ? H_PROD_CLOSED : H_CONS_CLOSED; }
static inline size_t peer_closed(const struct mr_chan *c) { return is_producer(c) ? H_CONS_CLOSED : H_PROD_CLOSED; }
static inline size_t own_wait(const struct mr_chan *c) { return is_producer(c) ? H_PROD_WAIT : H_CONS_WAIT; }
static inline size_t peer_wait(const struct mr_chan *c) { return is_producer(c) ? H_CONS_WAIT : H_PROD_WAIT; }

static inline uint64_t record_size(size_t len)
{
    return MR_CHAN_MSG_OVERHEAD + (((uint64_t)len + (MR_CHAN_MSG_ALIGN - 1)) & ~(uint64_t)(MR_CHAN_MSG_ALIGN - 1));
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield" ::: "memory");
#else
    __asm__ __volatile__("" ::: "memory");
#endif
}

static int64_t now_ns(void)
{
    struct timespec ts;
    /* CLOCK_MONOTONIC with a valid pointer cannot fail. */
    mr__sys_clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void chan_reset(struct mr_chan *c)
{
    struct mr_chan closed = MR_CHAN_INIT;
    *c = closed;
}

static bool role_ok(int role) { return role == MR_CHAN_PRODUCER || role == MR_CHAN_CONSUMER; }

static bool capacity_ok(uint64_t cap)
{
    return cap >= MR_CHAN_CAPACITY_MIN && cap >= mr__page_size() && cap <= MR_CHAN_CAPACITY_MAX &&
           mr__is_pow2((size_t)cap);
}

static int broken(struct mr_chan *c)
{
    c->state |= ST_BROKEN;
    return -EPROTO;
}

/* ==== checking what the peer wrote ==========================================
 * Indices are loaded once per look, into private memory, and checked there;
 * a length is loaded once, with an atomic load, so the compiler cannot
 * fetch it a second time after the check. */

/* The fields written once at creation still hold what this end verified at
 * attach: a peer that rewrites them is breaking the protocol. */
static inline bool header_intact(const struct mr_chan *c)
{
    /* The header page's size, from where the mapping put the ring (two
     * pages after the header: see chan_map), not from a call per message. */
    uint32_t page = (uint32_t)((size_t)(c->ring - c->hdr) / 2);
    uint32_t mode = (c->state & ST_LIGHT) ? MODE_MEMBARRIER : MODE_FENCED;
    return __atomic_load_n(w64(c, H_MAGIC), __ATOMIC_RELAXED) == CHAN_MAGIC &&
           __atomic_load_n(w32(c, H_VERSION), __ATOMIC_RELAXED) == CHAN_VERSION &&
           __atomic_load_n(w32(c, H_HDR_SIZE), __ATOMIC_RELAXED) == page &&
           __atomic_load_n(w64(c, H_CAPACITY), __ATOMIC_RELAXED) == c->capacity &&
           __atomic_load_n(w32(c, H_MODE), __ATOMIC_RELAXED) == mode;
}

/* The producer's look at the tail: accepted only if it moved forward, stays
 * 8-aligned, and frees no more than was committed: old tail <= tail <= pos.
 * The load is seq_cst for the sleep protocol (see chan_sleep). The fixed
 * header fields are checked whenever the tail moved, that is before
 * anything new is used, but not on every empty poll of a spinning wait
 * (they cost a tenth of a busy round trip there). */
static int load_peer(struct mr_chan *c)
{
    uint64_t v = __atomic_load_n(w64(c, H_TAIL), __ATOMIC_SEQ_CST);
    bool ok = c->pos - v <= c->pos - c->peer;
    if (!ok || (v & (MR_CHAN_MSG_ALIGN - 1)) != 0)
        return broken(c);
    if (v != c->peer && !header_intact(c))
        return broken(c);
    c->peer = v;
    return 0;
}

/* 1: there is room for a record of need bytes; 0: not now; < 0: error. */
static int producer_ready(struct mr_chan *c, uint64_t need)
{
    if (__atomic_load_n(w32(c, H_CONS_CLOSED), __ATOMIC_SEQ_CST) != 0 || (c->state & ST_PEER_GONE))
        return -EPIPE;
    if (c->pos + need - c->peer <= c->capacity)
        return 1;
    int rc = load_peer(c);
    if (rc < 0)
        return rc;
    return c->pos + need - c->peer <= c->capacity;
}

/* The commit word of the record at the consumer's index, loaded once: 1,
 * the record is there (the load is an acquire, so are its bytes); 0, not
 * yet; anything else breaks the protocol. seq_cst for the sleep protocol
 * (see chan_sleep). The fixed header fields are checked before a new
 * record is used, not on every empty poll. */
static int commit_word(struct mr_chan *c)
{
    const unsigned char *h = c->ring + (c->pos & (c->capacity - 1));
    uint32_t w = __atomic_load_n((const uint32_t *)(const void *)(h + 4), __ATOMIC_SEQ_CST);
    if (w > 1 || (w == 1 && !header_intact(c)))
        return broken(c);
    return (int)w;
}

/* 1: a record is there; 0: not now; < 0: error (-EPIPE once the producer
 * is gone and every record it committed has been read). */
static int consumer_ready(struct mr_chan *c)
{
    int rc = commit_word(c);
    if (rc != 0)
        return rc;
    if (__atomic_load_n(w32(c, H_PROD_CLOSED), __ATOMIC_SEQ_CST) != 0 || (c->state & ST_PEER_GONE)) {
        /* The producer commits its last record before it sets closed (or
         * before it died), so one more look after seeing either finds every
         * record it committed. */
        if ((rc = commit_word(c)) != 0)
            return rc;
        return -EPIPE;
    }
    return 0;
}

static inline int ready(struct mr_chan *c, uint64_t need)
{
    return is_producer(c) ? producer_ready(c, need) : consumer_ready(c);
}

/* The record at pos, whose commit word consumer_ready saw at 1: its length
 * is read once and must be at most max_msg, so that the record and the
 * commit word after it lie within capacity bytes of pos: inside the two
 * views, wherever pos is. Nothing else bounds it: a producer that forges a
 * record no head covers only sends a message of its own making. */
static int parse_record(struct mr_chan *c)
{
    const unsigned char *h = c->ring + (c->pos & (c->capacity - 1));
    uint32_t len = __atomic_load_n((const uint32_t *)(const void *)h, __ATOMIC_RELAXED);
    if (len > c->max_msg)
        return broken(c);
    c->pending = (size_t)record_size(len);
    c->pending_len = len;
    return 0;
}

/* ==== waiting and waking =====================================================
 *
 * The lost wake-up. A side that finds no room (no message) and means to
 * sleep does, in this order:
 *   S1  store 1 to its sleeping word
 *   S2  look for progress, and not sleep if there is: the producer loads
 *       the tail, the consumer the commit word of the record at its index;
 *       both load the peer's closed flag
 *   S3  futex_wait(sleeping word, 1)
 * and the other side, after it publishes:
 *   P1  store what S2 loads: the consumer its tail, the producer the
 *       record's commit word (or either, its closed flag)
 *   P2  load the sleeper's word; if it is not 0, exchange it to 0 and, if
 *       it was, futex_wake.
 * What must not happen is that S2 misses P1 while P2 misses S1: the peer
 * would sleep on a message nobody will announce. Each side's store and
 * load are to different addresses, so x86 (whose store buffer lets a load
 * pass an earlier store) allows exactly that unless something orders each
 * store before the load that follows it: this is Dekker's pattern, and it
 * needs a full barrier on both sides. The waker clears the word before
 * waking, and the kernel compares it with 1 under its own lock in S3, so a
 * wake that comes between S2 and S3 is not lost: futex_wait then returns
 * at once (EAGAIN).
 *
 * Where the barriers are depends on the channel's mode, fixed in the
 * header by the creator:
 *
 * FENCED: S1, S2, P1 and P2 are all seq_cst. They fall in one total order
 * that agrees with each side's program order: if S2 comes before P1 in it,
 * then S1 < S2 < P1 < P2, and P2 reads the 1 of S1; otherwise P1 < S2, and
 * S2 sees the progress. The price is a full barrier (xchg, or mov+mfence)
 * in every commit and every release: the store buffer drains, and the
 * publishing side waits for the cache lines of the message it just wrote.
 * Measured on 64-byte messages: a quarter of the time of a message.
 *
 * MEMBARRIER (the default): the barrier moves entirely to the side that is
 * about to sleep, which is slow anyway. P1 is a release store and P2 a
 * relaxed load, with only a compiler barrier between them; S1 is seq_cst
 * and is followed by membarrier(MEMBARRIER_CMD_GLOBAL_EXPEDITED) before S2.
 * That call returns only after every CPU running a thread of a process
 * registered for it (both ends register when they create or attach) has
 * executed a full barrier, at some point B during the call; a thread not
 * running then is between context switches, which are full barriers. If
 * the waker's P2 comes after B, then S1, globally visible before the call
 * began, is what P2 reads. If P2 comes before B, so does P1, and the
 * barrier at B drains it to memory before the call returns: S2, after the
 * call, sees it. Either way no wake-up is lost, and the fast path of both
 * sides has no barrier at all: as cheap as a hand-written ring. This is
 * the asymmetric use of membarrier that its manual page describes. A
 * process that cannot register (a kernel before 4.16, a seccomp filter)
 * creates FENCED channels, and cannot attach to MEMBARRIER ones (the
 * creator would never fence for it): -EOPNOTSUPP.
 *
 * The sleep is cut into slices of MR_CHAN_DEATH_CHECK_MS: a dead peer never
 * wakes anyone, so at the end of each slice the watched fds are asked. A
 * hostile peer can wake us for nothing, clear our word, or lie about the
 * mode it registered for; each only makes us look again sooner or later,
 * which it could also get by never publishing. */

static bool no_membarrier; /* tests: act as if membarrier were unavailable */

void mr__chan_no_membarrier(bool on)
{
    __atomic_store_n(&no_membarrier, on, __ATOMIC_RELAXED);
}

/* Register this process for the membarrier protocol: 0, or why not. */
static int join_membarrier(void)
{
    if (__atomic_load_n(&no_membarrier, __ATOMIC_RELAXED))
        return -ENOSYS;
    int rc = mr__sys_membarrier(MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED, 0);
    return rc < 0 ? rc : 0;
}

static __attribute__((noinline)) void wake_word(struct mr_chan *c, uint32_t *w)
{
    if (__atomic_exchange_n(w, 0, __ATOMIC_SEQ_CST) != 0) {
        mr__sys_futex_wake(w, 1);
        c->stats.wakes++;
    }
}

/* P2: wake the peer if its sleeping word, at off, says it sleeps. The load
 * is all a publish costs while nobody sleeps. */
static inline void wake_at(struct mr_chan *c, size_t off)
{
    uint32_t *w = w32(c, off);
    uint32_t v = (c->state & ST_LIGHT) ? __atomic_load_n(w, __ATOMIC_RELAXED)
                                        : __atomic_load_n(w, __ATOMIC_SEQ_CST);
    if (MR_UNLIKELY(v != 0))
        wake_word(c, w);
}

static void wake_peer(struct mr_chan *c)
{
    wake_at(c, peer_wait(c));
}

/* P1 and P2 of the protocol above, for the consumer's tail (the producer's
 * P1 is the commit word: see put_record). */
static inline void publish_tail(struct mr_chan *c)
{
    if (c->state & ST_LIGHT) {
        __atomic_store_n(w64(c, H_TAIL), c->pos, __ATOMIC_RELEASE);
        __atomic_signal_fence(__ATOMIC_SEQ_CST);
    } else {
        __atomic_store_n(w64(c, H_TAIL), c->pos, __ATOMIC_SEQ_CST);
    }
    wake_at(c, H_PROD_WAIT);
}

static bool peer_gone(const struct mr_chan *c)
{
    struct pollfd p[2];
    unsigned long n = 0;
    /* A pidfd polls readable once its process has exited; a socket whose
     * peer closed polls POLLHUP even with no events asked, so data the
     * caller may exchange on it is left alone. */
    if (c->pidfd >= 0)
        p[n++] = (struct pollfd){ .fd = c->pidfd, .events = POLLIN, .revents = 0 };
    if (c->sockfd >= 0)
        p[n++] = (struct pollfd){ .fd = c->sockfd, .events = 0, .revents = 0 };
    if (n == 0 || mr__sys_poll(p, n, 0) <= 0)
        return false;
    for (unsigned long i = 0; i < n; i++)
        if (p[i].revents & (POLLIN | POLLHUP | POLLERR | POLLNVAL))
            return true;
    return false;
}

static int chan_sleep(struct mr_chan *c, uint64_t need, int64_t deadline)
{
    uint32_t *w = w32(c, own_wait(c));
    /* The watched fds are asked by the clock, not only when a slice runs
     * out: a signal handler that runs more often than that (a profiler's
     * timer) cuts every slice short with EINTR, and a dead peer would
     * never be looked for. */
    int64_t check_at = now_ns() + DEATH_CHECK_NS;
    for (;;) {
        __atomic_store_n(w, 1, __ATOMIC_SEQ_CST);
        /* Registered at create or attach, so this cannot fail short of a
         * kernel bug; if it did, a short slice bounds a lost wake-up. */
        int64_t cap = DEATH_CHECK_NS;
        if ((c->state & ST_LIGHT) && mr__sys_membarrier(MEMBARRIER_CMD_GLOBAL_EXPEDITED, 0) < 0)
            cap = 1000000;
        int rc = ready(c, need);
        if (rc != 0) {
            __atomic_store_n(w, 0, __ATOMIC_RELAXED);
            return rc < 0 ? rc : 0;
        }
        int64_t now = now_ns();
        if (now >= deadline) {
            __atomic_store_n(w, 0, __ATOMIC_RELAXED);
            return -ETIMEDOUT;
        }
        int64_t slice = deadline - now < cap ? deadline - now : cap;
        struct timespec rel = { .tv_sec = (time_t)(slice / 1000000000), .tv_nsec = (long)(slice % 1000000000) };
        c->stats.sleeps++;
        int frc = mr__sys_futex_wait(w, 1, &rel);
        __atomic_store_n(w, 0, __ATOMIC_RELAXED);
        if (frc != 0 && frc != -ETIMEDOUT && frc != -EAGAIN && frc != -EINTR)
            return frc;
        if ((now = now_ns()) >= check_at || frc == -ETIMEDOUT) {
            check_at = now + DEATH_CHECK_NS;
            if (peer_gone(c))
                c->state |= ST_PEER_GONE;
        }
        /* Woken, most likely by progress: look before announcing again,
         * which would cost another membarrier. */
        if ((rc = ready(c, need)) != 0)
            return rc < 0 ? rc : 0;
    }
}

/* Wait until ready(c, need) or the deadline. The clock is read only every
 * 64 turns of the spin: a vDSO call costs about what 64 pauses do. */
static int chan_wait(struct mr_chan *c, uint64_t need, int timeout_ms)
{
    int rc = ready(c, need);
    if (rc != 0)
        return rc < 0 ? rc : 0;
    if (timeout_ms == 0)
        return -EAGAIN;
    c->stats.waits++;
    int64_t start = now_ns();
    int64_t deadline = timeout_ms < 0 ? INT64_MAX : start + (int64_t)timeout_ms * 1000000;
    uint32_t spin = c->spin_ns;
    if (spin == 0 && c->stats.waits % PROBE_EVERY == 0)
        spin = PROBE_NS;
    if (spin > 0) {
        int64_t spin_end = start + spin;
        for (unsigned i = 1;; i++) {
            cpu_relax();
            rc = ready(c, need);
            if (rc != 0) {
                if (rc > 0)
                    c->spin_ns = spin * 2 + SPIN_STEP_NS < SPIN_MAX_NS ? spin * 2 + SPIN_STEP_NS : SPIN_MAX_NS;
                return rc < 0 ? rc : 0;
            }
            if ((i & 63) == 0) {
                int64_t now = now_ns();
                if (now >= spin_end || now >= deadline)
                    break;
            }
        }
        /* A failed probe leaves the budget at zero. */
        c->spin_ns = c->spin_ns / 2 >= SPIN_STEP_NS ? c->spin_ns / 2 : 0;
    }
    /* Before sleeping, give the CPU away a few times: when the peer is
     * runnable on this same CPU (where spinning never pays), a yield runs
     * it at once, and it fills or drains the ring before it yields back,
     * for the price of one system call and no wake-up on either side.
     * The peer's turn may last a time slice: not past the deadline. */
    for (unsigned i = 0; i < YIELDS && now_ns() < deadline; i++) {
        mr__sys_sched_yield();
        if ((rc = ready(c, need)) != 0)
            return rc < 0 ? rc : 0;
    }
    return chan_sleep(c, need, deadline);
}

/* ==== mapping ================================================================ */

static int chan_map(struct mr_chan *c, int fd, size_t cap)
{
    size_t page = mr__page_size();
    size_t len = 4 * page + 2 * cap;
    void *base, *got;
    int rc = mr__sys_mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0,
                          &base);
    if (rc < 0)
        return rc;
    unsigned char *hdr = (unsigned char *)base + page;
    unsigned char *ring = hdr + 2 * page;
    /* The consumer only reads the ring: a stray write of its own faults
     * instead of corrupting messages. */
    int rprot = c->role == MR_CHAN_PRODUCER ? PROT_READ | PROT_WRITE : PROT_READ;
    if ((rc = mr__sys_mmap(hdr, page, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0, &got)) < 0 ||
        (rc = mr__sys_mmap(ring, cap, rprot, MAP_SHARED | MAP_FIXED, fd, (off_t)page, &got)) < 0 ||
        (rc = mr__sys_mmap(ring + cap, cap, rprot, MAP_SHARED | MAP_FIXED, fd, (off_t)page, &got)) < 0) {
        mr__sys_munmap(base, len);
        return rc;
    }
    c->base = base;
    c->base_len = len;
    c->hdr = hdr;
    c->ring = ring;
    c->capacity = cap;
    c->max_msg = cap - 2 * MR_CHAN_MSG_OVERHEAD;
    c->spin_ns = SPIN_MAX_NS;
    return 0;
}

static void chan_unmap(struct mr_chan *c)
{
    mr__sys_munmap(c->base, c->base_len);
    chan_reset(c);
}

/* ==== creating ================================================================ */

/* Size, seal, map and initialise the fresh object in shm; c owns nothing
 * on failure (the caller closes shm). */
static int chan_setup(struct mr_chan *c, const struct mr_shm *shm, size_t cap, unsigned role,
                      unsigned flags)
{
    size_t page = mr__page_size();
    uint32_t mode = !(flags & MR_CHAN_FENCED) && join_membarrier() == 0 ? MODE_MEMBARRIER : MODE_FENCED;
    int rc = mr_shm_resize(shm, (uint64_t)page + cap);
    if (rc < 0)
        return rc;
    if ((shm->flags & MR_SHM_MEMFD) && (rc = mr_shm_seal_add(shm, REQUIRED_SEALS)) < 0)
        return rc;
    c->role = role;
    if ((rc = chan_map(c, shm->fd, cap)) < 0) {
        chan_reset(c);
        return rc;
    }
    __atomic_store_n(w32(c, H_VERSION), CHAN_VERSION, __ATOMIC_RELAXED);
    __atomic_store_n(w32(c, H_HDR_SIZE), (uint32_t)page, __ATOMIC_RELAXED);
    __atomic_store_n(w64(c, H_CAPACITY), (uint64_t)cap, __ATOMIC_RELAXED);
    __atomic_store_n(w32(c, H_ROLES), role, __ATOMIC_RELAXED);
    __atomic_store_n(w32(c, H_MODE), mode, __ATOMIC_RELAXED);
    if (mode == MODE_MEMBARRIER)
        c->state |= ST_LIGHT;
    /* Last, with release: an attacher by name that sees the magic (acquire)
     * sees a whole header; before it, it sees none and says -EAGAIN. */
    __atomic_store_n(w64(c, H_MAGIC), CHAN_MAGIC, __ATOMIC_RELEASE);
    c->fd = shm->fd;
    return 0;
}

int mr_chan_create(struct mr_chan *out, size_t capacity, enum mr_chan_role role, unsigned flags)
{
    chan_reset(out);
    if ((flags & ~MR_CHAN_FENCED) || !role_ok((int)role) || !capacity_ok(capacity))
        return -EINVAL;
    struct mr_shm shm;
    int rc = mr_shm_open_anon(&shm, "memregion-chan", 0);
    if (rc < 0)
        return rc;
    if ((rc = chan_setup(out, &shm, capacity, role, flags)) < 0)
        mr_shm_close(&shm);
    return rc;
}

int mr_chan_create_named(struct mr_chan *out, const char *name, size_t capacity,
                         enum mr_chan_role role, mode_t mode)
{
    chan_reset(out);
    if (!role_ok((int)role) || !capacity_ok(capacity))
        return -EINVAL;
    struct mr_shm shm;
    int rc = mr_shm_open(&shm, name, MR_SHM_RDWR, MR_SHM_EXISTS_FAIL, MR_SHM_CREATE, mode);
    if (rc < 0)
        return rc;
    if ((rc = chan_setup(out, &shm, capacity, role, 0)) < 0) {
        mr_shm_unlink(name);
        mr_shm_close(&shm);
    }
    return rc;
}

/* ==== attaching ================================================================ */

/* Check the object in shm and map it as the end role: c owns nothing on
 * failure, and the caller keeps shm's fd either way until it hands it to
 * c (c->fd, on success). */
static int chan_attach(struct mr_chan *c, const struct mr_shm *shm, size_t want, unsigned role,
                       bool need_seals)
{
    size_t page = mr__page_size();
    int rc;

    if (!(shm->flags & MR_SHM_RDWR))
        return -EACCES;
    /* Seals first: only with SHRINK can the size checked below not drop
     * under the mapping (SIGBUS) once mapped. */
    if (need_seals && (rc = mr_shm_require_seals(shm, REQUIRED_SEALS, 0, NULL)) < 0)
        return rc;
    struct mr_shm_stat st;
    if ((rc = mr_shm_stat(shm, &st)) < 0)
        return rc;
    if (st.size == 0)
        return -EAGAIN;
    uint64_t cap = st.size > page ? st.size - page : 0;
    if (!capacity_ok(cap) || (want != 0 && cap != want))
        return -EPROTO;

    c->role = role;
    if ((rc = chan_map(c, shm->fd, (size_t)cap)) < 0) {
        chan_reset(c);
        return rc;
    }
    uint64_t magic = __atomic_load_n(w64(c, H_MAGIC), __ATOMIC_ACQUIRE);
    if (magic == 0) {
        rc = -EAGAIN;
        goto fail;
    }
    uint32_t mode = __atomic_load_n(w32(c, H_MODE), __ATOMIC_RELAXED);
    if (mode == MODE_MEMBARRIER)
        c->state |= ST_LIGHT;
    if (!header_intact(c) || (mode != MODE_MEMBARRIER && mode != MODE_FENCED)) {
        rc = -EPROTO;
        goto fail;
    }
    if (mode == MODE_MEMBARRIER && join_membarrier() < 0) {
        rc = -EOPNOTSUPP;
        goto fail;
    }
    uint32_t roles = __atomic_load_n(w32(c, H_ROLES), __ATOMIC_RELAXED);
    do {
        if (roles & ~(uint32_t)ROLE_BITS) {
            rc = -EPROTO;
            goto fail;
        }
        if (roles & role) {
            rc = -EBUSY;
            goto fail;
        }
        /* An unclaimed end's index is where it started: nobody may have
         * moved it. */
        if (__atomic_load_n(w64(c, role == MR_CHAN_PRODUCER ? H_HEAD : H_TAIL), __ATOMIC_RELAXED) != 0) {
            rc = -EPROTO;
            goto fail;
        }
    } while (!__atomic_compare_exchange_n(w32(c, H_ROLES), &roles, roles | role, false,
                                          __ATOMIC_ACQ_REL, __ATOMIC_RELAXED));
    c->fd = shm->fd;
    return 0;

fail:
    chan_unmap(c);
    return rc;
}

int mr_chan_attach_fd(struct mr_chan *out, int fd, size_t capacity, enum mr_chan_role role,
                      unsigned flags)
{
    chan_reset(out);
    if ((flags & ~MR_CHAN_NO_SEALS) || !role_ok((int)role) || (capacity != 0 && !capacity_ok(capacity)))
        return -EINVAL;
    struct mr_shm shm;
    int rc = mr_shm_open_fd(&shm, fd);
    if (rc < 0)
        return rc;
    return chan_attach(out, &shm, capacity, role, !(flags & MR_CHAN_NO_SEALS));
}

int mr_chan_attach_named(struct mr_chan *out, const char *name, size_t capacity,
                         enum mr_chan_role role, unsigned flags)
{
    chan_reset(out);
    if (flags != 0 || !role_ok((int)role) || (capacity != 0 && !capacity_ok(capacity)))
        return -EINVAL;
    struct mr_shm shm;
    int rc = mr_shm_open(&shm, name, MR_SHM_RDWR, MR_SHM_USE, MR_SHM_MISSING_FAIL, 0);
    if (rc < 0)
        return rc;
    if ((rc = chan_attach(out, &shm, capacity, role, false)) < 0)
        mr_shm_close(&shm);
    return rc;
}

/* ==== handing over ================================================================ */

struct greeting {
    uint64_t magic;
    uint64_t capacity;
};

int mr_chan_share(struct mr_chan *c, const struct mr_sock *s)
{
    if (c->hdr == NULL)
        return -EBADF;
    /* A stream socket: only its peer's close polls POLLHUP (a datagram
     * socket reports nothing), and the watch is built on that. */
    if (s->family != AF_UNIX || s->type != SOCK_STREAM)
        return -ENOPROTOOPT;
    /* Duplicated before sending, so that nothing can fail after the fd is
     * in the peer's hands. */
    int watch = mr__sys_fcntl(s->fd, F_DUPFD_CLOEXEC, 0);
    if (watch < 0)
        return watch;
    struct greeting g = { GREETING_MAGIC, c->capacity };
    ssize_t n = mr_sock_send_fds(s, mr_region_make(&g, sizeof g), &c->fd, 1, 0);
    if (n < 0) {
        mr__sys_close(watch);
        return (int)n;
    }
    if (c->sockfd >= 0)
        mr__sys_close(c->sockfd);
    c->sockfd = watch;
    return 0;
}

int mr_chan_attach_sock(struct mr_chan *out, const struct mr_sock *s, size_t capacity,
                        enum mr_chan_role role, unsigned flags, int timeout_ms)
{
    chan_reset(out);
    if ((flags & ~MR_CHAN_NO_SEALS) || !role_ok((int)role) ||
        (capacity != 0 && !capacity_ok(capacity)) || timeout_ms < -1)
        return -EINVAL;
    if (s->family != AF_UNIX || s->type != SOCK_STREAM)
        return -ENOPROTOOPT;

    int64_t deadline = timeout_ms < 0 ? INT64_MAX : now_ns() + (int64_t)timeout_ms * 1000000;
    struct greeting g;
    int fd = -1;
    size_t nfd = 0;
    ssize_t n;
    for (;;) {
        int ms = -1;
        if (deadline != INT64_MAX) {
            int64_t left = (deadline - now_ns() + 999999) / 1000000;
            ms = left > 0 ? (int)left : 0;
        }
        int rc = mr_sock_wait(s, MR_SOCK_READABLE, ms);
        if (rc < 0)
            return rc;
        n = mr_sock_recv_fds(s, mr_region_make(&g, sizeof g), &fd, 1, &nfd, MSG_DONTWAIT);
        if (n != -EAGAIN)
            break;
    }
    if (n < 0)
        return (int)n;
    if (n == 0)
        return -EPIPE;
    if (nfd != 1 || (size_t)n != sizeof g || g.magic != GREETING_MAGIC ||
        (capacity != 0 && g.capacity != capacity)) {
        if (nfd == 1)
            mr__sys_close(fd);
        return -EPROTO;
    }
    int watch = mr__sys_fcntl(s->fd, F_DUPFD_CLOEXEC, 0);
    if (watch < 0) {
        mr__sys_close(fd);
        return watch;
    }
    int rc = mr_chan_attach_fd(out, fd, capacity, role, flags);
    if (rc < 0) {
        mr__sys_close(fd);
        mr__sys_close(watch);
        return rc;
    }
    out->sockfd = watch;
    return 0;
}

int mr_chan_watch_pid(struct mr_chan *c, pid_t pid)
{
    if (c->hdr == NULL)
        return -EBADF;
    if (pid <= 0)
        return -EINVAL;
    int fd = mr__sys_pidfd_open(pid, 0);
    if (fd < 0)
        return fd;
    if (c->pidfd >= 0)
        mr__sys_close(c->pidfd);
    c->pidfd = fd;
    return 0;
}

int mr_chan_close(struct mr_chan *c)
{
    if (c->hdr == NULL)
        return 0;
    /* Rare enough for a full barrier in either mode. */
    __atomic_store_n(w32(c, own_closed(c)), 1, __ATOMIC_SEQ_CST);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    wake_peer(c);
    int rc = mr__sys_close(c->fd);
    int fds[2] = { c->pidfd, c->sockfd };
    for (int i = 0; i < 2; i++) {
        if (fds[i] >= 0) {
            int r = mr__sys_close(fds[i]);
            rc = rc < 0 ? rc : r;
        }
    }
    chan_unmap(c);
    return rc;
}

/* ==== producing =====================================================================
 *
 * Each call has a fast path, which is the whole call while the peer keeps
 * up: a few loads and compares, the copy, the stores of the record, and
 * one load of the peer's sleeping word. Anything unusual (a wait, a
 * pending reservation, an error to report) takes the general path, which
 * decides again from the start; the fast path changes nothing before it
 * commits to an answer. On a busy round trip every instruction of the
 * receiving and the answering call lies between the two cache-line
 * transfers, so they are kept few. */

/* The record at the producer's index, if there is room for len bytes (and
 * the next record's commit word) without waiting and nothing stands in the
 * way; NULL otherwise. */
static inline unsigned char *room_now(struct mr_chan *c, size_t len, int timeout_ms)
{
    if (MR_UNLIKELY(c->role != MR_CHAN_PRODUCER || c->hdr == NULL || c->pending != 0 ||
                    (c->state & (ST_BROKEN | ST_PEER_GONE)) != 0 || len > c->max_msg ||
                    timeout_ms < -1))
        return NULL;
    if (c->pos + record_size(len) + MR_CHAN_MSG_OVERHEAD - c->peer > c->capacity)
        return NULL;
    if (__atomic_load_n(w32(c, H_CONS_CLOSED), __ATOMIC_SEQ_CST) != 0)
        return NULL;
    return c->ring + (c->pos & (c->capacity - 1));
}

/* Publish the record at h, the producer's index, with len bytes. */
static inline void put_record(struct mr_chan *c, unsigned char *h, size_t len)
{
    uint64_t rec = record_size(len);
    __atomic_store_n((uint32_t *)(void *)h, (uint32_t)len, __ATOMIC_RELAXED);
    /* The next record's commit word to 0 (see "the shared layout"), then
     * this one's to 1, which publishes the record: P1 of the sleep
     * protocol, a release (seq_cst when fenced: the barrier is here). */
    __atomic_store_n((uint32_t *)(void *)(h + rec + 4), 0, __ATOMIC_RELAXED);
    if (c->state & ST_LIGHT)
        __atomic_store_n((uint32_t *)(void *)(h + 4), 1, __ATOMIC_RELEASE);
    else
        __atomic_store_n((uint32_t *)(void *)(h + 4), 1, __ATOMIC_SEQ_CST);
    c->pos += rec;
    c->stats.messages++;
    c->stats.bytes += len;
    __atomic_store_n(w64(c, H_HEAD), c->pos, __ATOMIC_RELEASE);
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    wake_at(c, H_CONS_WAIT);
}

/* The checks every waiting call of an end of this role starts with. */
static int end_usable(const struct mr_chan *c, unsigned role, int timeout_ms)
{
    if (c->hdr == NULL || c->role != role)
        return -EBADF;
    if (timeout_ms < -1)
        return -EINVAL;
    if (c->state & ST_BROKEN)
        return -EPROTO;
    return 0;
}

/* Why there is no room now for len bytes, or 0 once a wait found it. */
static int room_wait(struct mr_chan *c, size_t len, int timeout_ms)
{
    int rc = end_usable(c, MR_CHAN_PRODUCER, timeout_ms);
    if (rc < 0)
        return rc;
    if (c->pending != 0)
        return -EBUSY;
    if (len > c->max_msg)
        return -EMSGSIZE;
    /* And the next record's commit word. */
    return chan_wait(c, record_size(len) + MR_CHAN_MSG_OVERHEAD, timeout_ms);
}

/* The record at the producer's index, with room for len bytes: 0 and *h,
 * or the error. */
static inline int room(struct mr_chan *c, size_t len, int timeout_ms, unsigned char **h)
{
    *h = room_now(c, len, timeout_ms);
    if (MR_UNLIKELY(*h == NULL)) {
        int rc = room_wait(c, len, timeout_ms);
        if (rc < 0)
            return rc;
        *h = c->ring + (c->pos & (c->capacity - 1));
    }
    return 0;
}

int mr_chan_reserve(struct mr_chan *c, size_t len, int timeout_ms, struct mr_region *out)
{
    unsigned char *h;
    int rc = room(c, len, timeout_ms, &h);
    if (rc < 0)
        return rc;
    c->pending = (size_t)record_size(len);
    c->pending_len = len;
    out->ptr = h + MR_CHAN_MSG_OVERHEAD;
    out->len = len;
    out->flags = 0;
    return 0;
}

int mr_chan_commit(struct mr_chan *c, size_t len)
{
    if (c->hdr == NULL || c->role != MR_CHAN_PRODUCER || c->pending == 0)
        return -EINVAL;
    if (len > c->pending_len)
        return -ERANGE;
    c->pending = 0;
    put_record(c, c->ring + (c->pos & (c->capacity - 1)), len);
    return 0;
}

ssize_t mr_chan_send(struct mr_chan *c, struct mr_region msg, int timeout_ms)
{
    unsigned char *h;
    int rc = room(c, msg.len, timeout_ms, &h);
    if (rc < 0)
        return rc;
    if (msg.len > 0)
        memcpy(h + MR_CHAN_MSG_OVERHEAD, msg.ptr, msg.len);
    put_record(c, h, msg.len);
    return (ssize_t)msg.len;
}

/* ==== consuming ===================================================================== */

/* The record at the consumer's index if it is there now, whole and
 * intact, with nothing peeked; NULL otherwise. Its length, loaded once and
 * checked, in *len. */
static inline const unsigned char *record_now(struct mr_chan *c, int timeout_ms, uint32_t *len)
{
    if (MR_UNLIKELY(c->role != MR_CHAN_CONSUMER || c->hdr == NULL || c->pending != 0 ||
                    (c->state & ST_BROKEN) != 0 || timeout_ms < -1))
        return NULL;
    const unsigned char *h = c->ring + (c->pos & (c->capacity - 1));
    /* The commit word as commit_word loads it; a value other than 0 or 1
     * (or a changed header) is left for the general path to report. */
    if (__atomic_load_n((const uint32_t *)(const void *)(h + 4), __ATOMIC_SEQ_CST) != 1 ||
        !header_intact(c))
        return NULL;
    uint32_t n = __atomic_load_n((const uint32_t *)(const void *)h, __ATOMIC_RELAXED);
    if (n > c->max_msg)
        return NULL;
    *len = n;
    return h;
}

/* Free the record of n bytes at the consumer's index. */
static inline void drop_record(struct mr_chan *c, size_t n)
{
    c->pos += record_size(n);
    c->stats.messages++;
    c->stats.bytes += n;
    /* At least a release: the producer may overwrite the record once it
     * sees the new tail, so our reads of it must come first. */
    publish_tail(c);
}

/* Why there is no record to peek now, or 0 once a wait found one (or one
 * is peeked already): c->pending and c->pending_len then describe it. */
static int record_wait(struct mr_chan *c, int timeout_ms)
{
    int rc = end_usable(c, MR_CHAN_CONSUMER, timeout_ms);
    if (rc < 0 || c->pending != 0)
        return rc;
    rc = chan_wait(c, 0, timeout_ms);
    return rc < 0 ? rc : parse_record(c);
}

/* The record at the consumer's index, its length checked: 0, *h and *len;
 * or the error. */
static inline int record(struct mr_chan *c, int timeout_ms, const unsigned char **h,
                         uint32_t *len)
{
    *h = record_now(c, timeout_ms, len);
    if (MR_LIKELY(*h != NULL))
        return 0;
    int rc = record_wait(c, timeout_ms);
    if (rc < 0)
        return rc;
    *h = c->ring + (c->pos & (c->capacity - 1));
    *len = (uint32_t)c->pending_len;
    return 0;
}

/* Mark the record of len bytes at the consumer's index as peeked. */
static inline void hold_record(struct mr_chan *c, uint32_t len)
{
    c->pending = (size_t)record_size(len);
    c->pending_len = len;
}

int mr_chan_peek(struct mr_chan *c, int timeout_ms, struct mr_region *out)
{
    const unsigned char *h;
    uint32_t len;
    int rc = record(c, timeout_ms, &h, &len);
    if (rc < 0)
        return rc;
    hold_record(c, len);
    out->ptr = (unsigned char *)(uintptr_t)h + MR_CHAN_MSG_OVERHEAD;
    out->len = len;
    out->flags = MR_REGION_RDONLY;
    return 0;
}

int mr_chan_release(struct mr_chan *c)
{
    if (c->hdr == NULL || c->role != MR_CHAN_CONSUMER || c->pending == 0)
        return -EINVAL;
    c->pending = 0;
    drop_record(c, c->pending_len);
    return 0;
}

ssize_t mr_chan_recv(struct mr_chan *c, struct mr_region buf, int timeout_ms)
{
    if (mr_region_is_ro(buf))
        return -EACCES;
    const unsigned char *h;
    uint32_t len;
    int rc = record(c, timeout_ms, &h, &len);
    if (rc < 0)
        return rc;
    if (len > buf.len) {
        hold_record(c, len); /* it stays, for a larger buf */
        return -EMSGSIZE;
    }
    if (len > 0)
        memcpy(buf.ptr, h + MR_CHAN_MSG_OVERHEAD, len);
    c->pending = 0;
    drop_record(c, len);
    return (ssize_t)len;
}

/* ==== inspecting ===================================================================== */

int mr_chan_check_peer(struct mr_chan *c)
{
    if (c->hdr == NULL)
        return -EBADF;
    if (c->state & ST_BROKEN)
        return -EPROTO;
    if (!header_intact(c))
        return broken(c);
    if ((c->state & ST_PEER_GONE) || __atomic_load_n(w32(c, peer_closed(c)), __ATOMIC_SEQ_CST) != 0)
        return -EPIPE;
    if (peer_gone(c)) {
        c->state |= ST_PEER_GONE;
        return -EPIPE;
    }
    return 0;
}

void mr_chan_stats(const struct mr_chan *c, struct mr_chan_stats *out)
{
    *out = c->stats;
}

size_t mr_chan_capacity(const struct mr_chan *c)
{
    return c->hdr ? c->capacity : 0;
}

size_t mr_chan_max_msg(const struct mr_chan *c)
{
    return c->hdr ? c->max_msg : 0;
}

int mr_chan_fd(const struct mr_chan *c)
{
    return c->hdr ? c->fd : -1;
}
