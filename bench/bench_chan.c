/* SPDX-License-Identifier: MIT */
/* bench/bench_chan.c: the shared-memory channel between two processes
 * (issues 6 and 14), against a Unix socket pair and a minimal hand-written
 * shared-memory ring measured in the same run.
 *
 *   64 KiB messages, one way   chan zero-copy, chan copying, hand ring (16 slots
 *                              of 64 KiB: the channel's 1 MiB) read in place and
 *                              copied out, socket pair
 *   64-byte messages, one way  zero-copy: chan calls, their _inline forms,
 *                              batches of 32 (reserve_n/commit_n, peek_n/release);
 *                              copying: chan calls, _inline forms, batches of 32
 *                              (send_fixed_n/recv_fixed_n, send_n/recv_n), a
 *                              fenced channel (calls and _inline forms);
 *                              hand ring read in place and copied out, socket pair
 *
 * Producers copy each message in from a private buffer (memcpy into the
 * reserved region, the ring slot, or write(2)). Consumers touch each byte
 * once: the zero-copy consumers (chan peek, hand ring read in place) sum
 * the message in place, the copying ones copy it out (mr_chan_recv, the
 * ring's copy out, read(2)). Each kind is compared with the hand ring that
 * does the same work: copying with ring_*_copy, zero-copy with ring_*.
 *   round trip, 64-byte messages  busy-waiting: chan calls and _inline forms
 *                                 on prefaulted channels (MR_CHAN_PREFAULT),
 *                                 the _inline forms without it, hand ring
 *                                 (prefaulted); blocking allowed: chan,
 *                                 socket pair
 *
 * Every measurement forks a child (the consumer, or the echoing side) on
 * fresh channels and rings and times the parent's side from the child's
 * "ready" to its "done", both on a pipe, outside the loop. Processes are
 * pinned with sched_setaffinity: both to one CPU, then to two CPUs.
 * Variants run interleaved, ROUNDS rounds (3 with BENCH_QUICK=1, as
 * memregion bench --quick sets), each round starting at a different
 * variant; figures are medians over rounds, ratios the median of the
 * per-round ratio to the baseline of the same round (the machine's speed
 * drifts, so only figures taken seconds apart compare). Round trips are
 * timed one by one: p50 and p99 per round, then the median of those over
 * rounds. Busy-waiting variants run on two CPUs only: on one CPU a spinning
 * process only stops when the scheduler preempts it (milliseconds). At the
 * end, a table of issue 14's speed lines: the figure in each placement, the
 * target, met or not.
 *
 *   bench_chan            everything (1-2 minutes; BENCH_QUICK=1: about 20 s)
 *   bench_chan --list     the variants
 *   bench_chan VARIANT    one variant once, on two CPUs (or one)
 *
 * The cost in instructions, which does not drift with the machine's
 * speed: one process sends a 64-byte message and receives it back from
 * the same ring, so nothing ever waits, and bench/callgrind.sh counts what
 * the library executes per message, against the hand ring's put and get.
 * On a busy round trip every one of these instructions on the receiving
 * and answering side lies between two cache-line transfers.
 *   bench_chan --instr-list          the single-process variants
 *   bench_chan --instr VARIANT       run one
 */
#define _GNU_SOURCE 1
#include <memregion/chan.h>

#include "bench.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define ROUNDS 15 /* the most; BENCH_QUICK=1 (memregion bench --quick) takes 3 */
#define BIG ((size_t)64 << 10)
#define SMALL ((size_t)64)
#define CHAN_CAP ((size_t)1 << 20)
#define BATCH 32 /* messages per batch call */

static void die(const char *what, long rc)
{
    fprintf(stderr, "bench_chan: %s failed (%ld: %s)\n", what, rc, rc < 0 ? mr_strerror((int)rc) : "");
    exit(1);
}

static inline void relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#else
    __asm__ __volatile__("" ::: "memory");
#endif
}

/* ---- what a run shares between the two processes ----------------------------------- */

struct run {
    size_t size;        /* message size */
    uint64_t count;     /* messages or round trips */
    int sv[2];          /* socket pair: [0] parent's, [1] child's */
    struct mr_chan a;   /* parent -> child (parent's end) */
    struct mr_chan b;   /* child -> parent (parent's end) */
    struct hring *ra;   /* hand rings, parent -> child and back */
    struct hring *rb;
    double *rtt;        /* per round trip ns, count of them */
    int ready[2], done[2];
};

/* ---- the hand-written ring: the least a shared-memory SPSC ring needs --------------------
 * Fixed slots of the message size, a head and a tail on lines of their
 * own, each side caching the other's index; a release store publishes, an
 * acquire load observes. The waiting side spins, and after 256 spins
 * yields the CPU (so that it works when both share one CPU). */
#define HRING_BYTES CHAN_CAP

struct hring {
    _Alignas(128) uint64_t head;
    _Alignas(128) uint64_t tail;
    _Alignas(128) unsigned char slots[];
};

static struct hring *hring_new(size_t slot)
{
    (void)slot;
    void *p = mmap(NULL, sizeof(struct hring) + HRING_BYTES, PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        die("mmap", -errno);
    return p;
}

/* Map every page of the ring into this process's page tables before the
 * run, as MR_CHAN_PREFAULT does for a channel: a fork does not copy the
 * page tables of a shared mapping, so each process does it. */
static void hring_prefault(struct hring *r)
{
    volatile unsigned char *p = r->slots;
    for (size_t off = 0; off < HRING_BYTES; off += 4096)
        p[off] = 0;
}

static void hring_free(struct hring *r)
{
    munmap(r, sizeof(struct hring) + HRING_BYTES);
}

static inline void hring_wait(unsigned *spins, bool yield)
{
    relax();
    if (yield && ++*spins % 256 == 0)
        sched_yield();
}

static inline void hring_put(struct hring *r, const void *src, size_t slot, uint64_t *head,
                             uint64_t *tail_seen, bool yield)
{
    uint64_t n = HRING_BYTES / slot;
    unsigned spins = 0;
    while (*head - *tail_seen >= n) {
        *tail_seen = __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE);
        if (*head - *tail_seen >= n)
            hring_wait(&spins, yield);
    }
    memcpy(r->slots + (*head % n) * slot, src, slot);
    __atomic_store_n(&r->head, ++*head, __ATOMIC_RELEASE);
}

/* Wait for the next slot: its bytes. hring_done gives it back. */
static inline const unsigned char *hring_next(struct hring *r, size_t slot, uint64_t *tail,
                                              uint64_t *head_seen, bool yield)
{
    uint64_t n = HRING_BYTES / slot;
    unsigned spins = 0;
    while (*tail == *head_seen) {
        *head_seen = __atomic_load_n(&r->head, __ATOMIC_ACQUIRE);
        if (*tail == *head_seen)
            hring_wait(&spins, yield);
    }
    return r->slots + (*tail % n) * slot;
}

static inline void hring_done(struct hring *r, uint64_t *tail)
{
    __atomic_store_n(&r->tail, ++*tail, __ATOMIC_RELEASE);
}

static inline void hring_get(struct hring *r, void *dst, size_t slot, uint64_t *tail,
                             uint64_t *head_seen, bool yield)
{
    memcpy(dst, hring_next(r, slot, tail, head_seen, yield), slot);
    hring_done(r, tail);
}

/* ---- message contents: the sequence number at both ends of each message ----------------- */

static unsigned char src_buf[BIG], dst_buf[BIG];

static inline void stamp(void *p, size_t size, uint64_t seq)
{
    memcpy(p, &seq, 8);
    memcpy((unsigned char *)p + size - 8, &seq, 8);
}

/* Read every byte once, in place: what a zero-copy consumer does. 16-byte
 * loads into four independent sums, so that, like memcpy, it keeps many
 * cache lines in flight (a plain 8-byte loop reads a remote cache at half
 * memcpy's speed). n is a multiple of 64. */
static volatile uint64_t sink;
typedef uint64_t v2u64 __attribute__((vector_size(16)));

static inline void read_words(const void *p, size_t n)
{
    const unsigned char *b = p;
    v2u64 s0 = { 0, 0 }, s1 = s0, s2 = s0, s3 = s0;
    for (size_t i = 0; i + 64 <= n; i += 64) {
        v2u64 x0, x1, x2, x3;
        memcpy(&x0, b + i, 16);
        memcpy(&x1, b + i + 16, 16);
        memcpy(&x2, b + i + 32, 16);
        memcpy(&x3, b + i + 48, 16);
        s0 += x0;
        s1 += x1;
        s2 += x2;
        s3 += x3;
    }
    v2u64 t = s0 + s1 + s2 + s3;
    sink = t[0] + t[1];
}

static inline void check(const void *p, size_t size, uint64_t seq)
{
    uint64_t a, b;
    memcpy(&a, p, 8);
    memcpy(&b, (const unsigned char *)p + size - 8, 8);
    if (a != seq || b != seq) {
        fprintf(stderr, "bench_chan: message %llu arrived wrong\n", (unsigned long long)seq);
        exit(1);
    }
}

static inline size_t batch_of(uint64_t left)
{
    return left < BATCH ? (size_t)left : BATCH;
}

/* ---- one way: the parent produces, the child consumes ------------------------------------ */

/* Zero-copy, one message per call: the calls, or their _inline forms. */
#define ZC_PAIR(sfx, reserve, commit, peek, release)                                         \
    static BENCH_NOINLINE void chan_produce##sfx(struct mr_chan *c, size_t size, uint64_t n) \
    {                                                                                         \
        for (uint64_t i = 0; i < n; i++) {                                                    \
            struct mr_region r;                                                               \
            int rc = reserve(c, size, -1, &r);                                                \
            if (rc < 0)                                                                       \
                die(#reserve, rc);                                                            \
            memcpy(r.ptr, src_buf, size);                                                     \
            stamp(r.ptr, size, i);                                                            \
            if ((rc = commit(c, size)) < 0)                                                   \
                die(#commit, rc);                                                             \
        }                                                                                     \
    }                                                                                         \
    static BENCH_NOINLINE void chan_consume##sfx(struct mr_chan *c, size_t size, uint64_t n) \
    {                                                                                         \
        for (uint64_t i = 0; i < n; i++) {                                                    \
            struct mr_region m;                                                               \
            int rc = peek(c, -1, &m);                                                         \
            if (rc < 0 || m.len != size)                                                      \
                die(#peek, rc);                                                               \
            read_words(m.ptr, size);                                                          \
            check(m.ptr, size, i);                                                            \
            if ((rc = release(c)) < 0)                                                        \
                die(#release, rc);                                                            \
        }                                                                                     \
    }
ZC_PAIR(, mr_chan_reserve, mr_chan_commit, mr_chan_peek, mr_chan_release)
ZC_PAIR(_inl, mr_chan_reserve_inline, mr_chan_commit_inline, mr_chan_peek_inline,
        mr_chan_release_inline)

/* Copying, one message per call. */
#define COPY_PAIR(sfx, send, recv)                                                            \
    static BENCH_NOINLINE void chan_sendloop##sfx(struct mr_chan *c, size_t size, uint64_t n) \
    {                                                                                          \
        for (uint64_t i = 0; i < n; i++) {                                                     \
            stamp(src_buf, size, i);                                                           \
            ssize_t rc = send(c, mr_region_make(src_buf, size), -1);                           \
            if (rc != (ssize_t)size)                                                           \
                die(#send, rc);                                                                \
        }                                                                                      \
    }                                                                                          \
    static BENCH_NOINLINE void chan_recvloop##sfx(struct mr_chan *c, size_t size, uint64_t n) \
    {                                                                                          \
        for (uint64_t i = 0; i < n; i++) {                                                     \
            ssize_t rc = recv(c, mr_region_make(dst_buf, size), -1);                           \
            if (rc != (ssize_t)size)                                                           \
                die(#recv, rc);                                                                \
            check(dst_buf, size, i);                                                           \
        }                                                                                      \
    }
COPY_PAIR(, mr_chan_send, mr_chan_recv)
COPY_PAIR(_inl, mr_chan_send_inline, mr_chan_recv_inline)

/* Batches of up to BATCH: each call waits for the first message (or room
 * for it) and takes as many of the rest as can go now. */
static BENCH_NOINLINE void chan_produce_n(struct mr_chan *c, size_t size, uint64_t n)
{
    struct mr_region r[BATCH];
    for (uint64_t i = 0; i < n;) {
        int k = mr_chan_reserve_n(c, size, r, batch_of(n - i), -1);
        if (k <= 0)
            die("mr_chan_reserve_n", k);
        for (int j = 0; j < k; j++) {
            memcpy(r[j].ptr, src_buf, size);
            stamp(r[j].ptr, size, i + (uint64_t)j);
        }
        int rc = mr_chan_commit_n(c, (size_t)k);
        if (rc < 0)
            die("mr_chan_commit_n", rc);
        i += (uint64_t)k;
    }
}

static BENCH_NOINLINE void chan_consume_n(struct mr_chan *c, size_t size, uint64_t n)
{
    struct mr_region m[BATCH];
    for (uint64_t i = 0; i < n;) {
        int k = mr_chan_peek_n(c, m, batch_of(n - i), -1);
        if (k <= 0)
            die("mr_chan_peek_n", k);
        for (int j = 0; j < k; j++) {
            if (m[j].len != size)
                die("mr_chan_peek_n (length)", (long)m[j].len);
            read_words(m[j].ptr, size);
            check(m[j].ptr, size, i + (uint64_t)j);
        }
        int rc = mr_chan_release(c);
        if (rc < 0)
            die("mr_chan_release", rc);
        i += (uint64_t)k;
    }
}

/* The copying batches stamp up to BATCH messages back to back in src_buf,
 * each once, and send them in as many calls as it takes. */
static BENCH_NOINLINE void chan_send_fixed(struct mr_chan *c, size_t size, uint64_t n)
{
    for (uint64_t i = 0; i < n;) {
        size_t want = batch_of(n - i), done = 0;
        for (size_t j = 0; j < want; j++)
            stamp(src_buf + j * size, size, i + j);
        while (done < want) {
            ssize_t k = mr_chan_send_fixed_n(c, src_buf + done * size, size, want - done, -1);
            if (k <= 0)
                die("mr_chan_send_fixed_n", k);
            done += (size_t)k;
        }
        i += want;
    }
}

static BENCH_NOINLINE void chan_recv_fixed(struct mr_chan *c, size_t size, uint64_t n)
{
    for (uint64_t i = 0; i < n;) {
        ssize_t k = mr_chan_recv_fixed_n(c, dst_buf, size, batch_of(n - i), -1);
        if (k <= 0)
            die("mr_chan_recv_fixed_n", k);
        for (ssize_t j = 0; j < k; j++)
            check(dst_buf + (size_t)j * size, size, i + (uint64_t)j);
        i += (uint64_t)k;
    }
}

static BENCH_NOINLINE void chan_send_regions(struct mr_chan *c, size_t size, uint64_t n)
{
    struct mr_region m[BATCH];
    for (size_t j = 0; j < BATCH; j++)
        m[j] = mr_region_make(src_buf + j * size, size);
    for (uint64_t i = 0; i < n;) {
        size_t want = batch_of(n - i), done = 0;
        for (size_t j = 0; j < want; j++)
            stamp(src_buf + j * size, size, i + j);
        while (done < want) {
            ssize_t k = mr_chan_send_n(c, m + done, want - done, -1);
            if (k <= 0)
                die("mr_chan_send_n", k);
            done += (size_t)k;
        }
        i += want;
    }
}

static BENCH_NOINLINE void chan_recv_regions(struct mr_chan *c, size_t size, uint64_t n)
{
    struct mr_region b[BATCH];
    for (uint64_t i = 0; i < n;) {
        size_t want = batch_of(n - i);
        for (size_t j = 0; j < want; j++)
            b[j] = mr_region_make(dst_buf + j * size, size);
        ssize_t k = mr_chan_recv_n(c, b, want, -1);
        if (k <= 0)
            die("mr_chan_recv_n", k);
        for (ssize_t j = 0; j < k; j++) {
            if (b[j].len != size)
                die("mr_chan_recv_n (length)", (long)b[j].len);
            check(b[j].ptr, size, i + (uint64_t)j);
        }
        i += (uint64_t)k;
    }
}

static BENCH_NOINLINE void ring_produce(struct hring *r, size_t size, uint64_t n)
{
    uint64_t head = 0, tail_seen = 0;
    for (uint64_t i = 0; i < n; i++) {
        stamp(src_buf, size, i);
        hring_put(r, src_buf, size, &head, &tail_seen, true);
    }
}

static BENCH_NOINLINE void ring_consume(struct hring *r, size_t size, uint64_t n)
{
    uint64_t tail = 0, head_seen = 0;
    for (uint64_t i = 0; i < n; i++) {
        const unsigned char *p = hring_next(r, size, &tail, &head_seen, true);
        read_words(p, size);
        check(p, size, i);
        hring_done(r, &tail);
    }
}

static BENCH_NOINLINE void ring_consume_copy(struct hring *r, size_t size, uint64_t n)
{
    uint64_t tail = 0, head_seen = 0;
    for (uint64_t i = 0; i < n; i++) {
        hring_get(r, dst_buf, size, &tail, &head_seen, true);
        check(dst_buf, size, i);
    }
}

static void write_all(int fd, const void *p, size_t n)
{
    while (n > 0) {
        ssize_t k = write(fd, p, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            die("write", -errno);
        p = (const unsigned char *)p + k;
        n -= (size_t)k;
    }
}

static void read_all(int fd, void *p, size_t n)
{
    while (n > 0) {
        ssize_t k = read(fd, p, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            die("read", k < 0 ? -errno : -EPIPE);
        p = (unsigned char *)p + k;
        n -= (size_t)k;
    }
}

static BENCH_NOINLINE void sock_produce(int fd, size_t size, uint64_t n)
{
    for (uint64_t i = 0; i < n; i++) {
        stamp(src_buf, size, i);
        write_all(fd, src_buf, size);
    }
}

static BENCH_NOINLINE void sock_consume(int fd, size_t size, uint64_t n)
{
    for (uint64_t i = 0; i < n; i++) {
        read_all(fd, dst_buf, size);
        check(dst_buf, size, i);
    }
}

/* ---- round trips: the parent pings, the child echoes --------------------------------------- */

/* Busy-waiting (spin: timeout 0 and a pause between tries) or blocking
 * (timeout -1), through the calls or their _inline forms. */
#define PING_PAIR(sfx, send, recv)                                                             \
    static BENCH_NOINLINE void chan_ping##sfx(struct run *r, bool spin)                        \
    {                                                                                          \
        int wait = spin ? 0 : -1;                                                              \
        for (uint64_t i = 0; i < r->count; i++) {                                              \
            double t0 = bench_now_ns();                                                        \
            stamp(src_buf, SMALL, i);                                                          \
            ssize_t rc;                                                                        \
            while ((rc = send(&r->a, mr_region_make(src_buf, SMALL), wait)) == -EAGAIN)        \
                relax();                                                                       \
            if (rc != (ssize_t)SMALL)                                                          \
                die(#send, rc);                                                                \
            while ((rc = recv(&r->b, mr_region_make(dst_buf, SMALL), wait)) == -EAGAIN)        \
                relax();                                                                       \
            if (rc != (ssize_t)SMALL)                                                          \
                die(#recv, rc);                                                                \
            r->rtt[i] = bench_now_ns() - t0;                                                   \
            check(dst_buf, SMALL, i);                                                          \
        }                                                                                      \
    }                                                                                          \
    static void chan_echo##sfx(struct mr_chan *in, struct mr_chan *out, uint64_t n, bool spin) \
    {                                                                                          \
        int wait = spin ? 0 : -1;                                                              \
        for (uint64_t i = 0; i < n; i++) {                                                     \
            ssize_t rc;                                                                        \
            while ((rc = recv(in, mr_region_make(dst_buf, SMALL), wait)) == -EAGAIN)           \
                relax();                                                                       \
            if (rc != (ssize_t)SMALL)                                                          \
                die(#recv, rc);                                                                \
            while ((rc = send(out, mr_region_make(dst_buf, SMALL), wait)) == -EAGAIN)          \
                relax();                                                                       \
            if (rc != (ssize_t)SMALL)                                                          \
                die(#send, rc);                                                                \
        }                                                                                      \
    }
PING_PAIR(, mr_chan_send, mr_chan_recv)
PING_PAIR(_inl, mr_chan_send_inline, mr_chan_recv_inline)

static BENCH_NOINLINE void ring_ping(struct run *r)
{
    uint64_t ah = 0, at = 0, bt = 0, bh = 0;
    for (uint64_t i = 0; i < r->count; i++) {
        double t0 = bench_now_ns();
        stamp(src_buf, SMALL, i);
        hring_put(r->ra, src_buf, SMALL, &ah, &at, false);
        hring_get(r->rb, dst_buf, SMALL, &bt, &bh, false);
        r->rtt[i] = bench_now_ns() - t0;
        check(dst_buf, SMALL, i);
    }
}

static BENCH_NOINLINE void sock_ping(struct run *r)
{
    for (uint64_t i = 0; i < r->count; i++) {
        double t0 = bench_now_ns();
        stamp(src_buf, SMALL, i);
        write_all(r->sv[0], src_buf, SMALL);
        read_all(r->sv[0], dst_buf, SMALL);
        r->rtt[i] = bench_now_ns() - t0;
        check(dst_buf, SMALL, i);
    }
}

/* ---- the variants ------------------------------------------------------------------------------ */

enum kind { ONE_WAY, ROUND_TRIP };

enum res { R_SOCK = 1, R_RING = 2, R_CHAN = 4 };

typedef void parent_fn(struct run *);
typedef void child_fn(struct run *, struct mr_chan *in, struct mr_chan *out);

struct variant {
    const char *name;
    const char *func;   /* the parent's timed function */
    const char *what;
    const char *base;   /* baseline (same table) */
    const char *base2;  /* a second baseline, or NULL */
    enum kind kind;
    size_t size;
    uint64_t count;
    unsigned res;       /* what setup makes */
    unsigned flags;     /* the channels' create flags; MR_CHAN_PREFAULT also prefaults the
                         * child's ends and the hand rings */
    bool spin;          /* busy-waits: two CPUs only */
    parent_fn *parent;
    child_fn *child;
};

/* The parent and child sides of each one-way pair, and of the echoes. */
#define ONE_WAY_SIDES(tag, produce, consume)                                                \
    static void p_##tag(struct run *r) { produce(&r->a, r->size, r->count); }              \
    static void c_##tag(struct run *r, struct mr_chan *in, struct mr_chan *out)             \
    {                                                                                       \
        (void)out;                                                                          \
        consume(in, r->size, r->count);                                                     \
    }
ONE_WAY_SIDES(chan_zc, chan_produce, chan_consume)
ONE_WAY_SIDES(chan_zc_inl, chan_produce_inl, chan_consume_inl)
ONE_WAY_SIDES(chan_zc_n, chan_produce_n, chan_consume_n)
ONE_WAY_SIDES(chan_copy, chan_sendloop, chan_recvloop)
ONE_WAY_SIDES(chan_copy_inl, chan_sendloop_inl, chan_recvloop_inl)
ONE_WAY_SIDES(chan_fixed_n, chan_send_fixed, chan_recv_fixed)
ONE_WAY_SIDES(chan_regions_n, chan_send_regions, chan_recv_regions)

static void p_ring(struct run *r) { ring_produce(r->ra, r->size, r->count); }
static void c_ring(struct run *r, struct mr_chan *in, struct mr_chan *out) { (void)in; (void)out; ring_consume(r->ra, r->size, r->count); }
static void c_ring_copy(struct run *r, struct mr_chan *in, struct mr_chan *out) { (void)in; (void)out; ring_consume_copy(r->ra, r->size, r->count); }
static void p_sock(struct run *r) { sock_produce(r->sv[0], r->size, r->count); }
static void c_sock(struct run *r, struct mr_chan *in, struct mr_chan *out) { (void)in; (void)out; sock_consume(r->sv[1], r->size, r->count); }

static void p_chan_rt_spin(struct run *r) { chan_ping(r, true); }
static void p_chan_rt_block(struct run *r) { chan_ping(r, false); }
static void p_chan_rt_inl(struct run *r) { chan_ping_inl(r, true); }
static void c_chan_rt_spin(struct run *r, struct mr_chan *in, struct mr_chan *out) { chan_echo(in, out, r->count, true); }
static void c_chan_rt_block(struct run *r, struct mr_chan *in, struct mr_chan *out) { chan_echo(in, out, r->count, false); }
static void c_chan_rt_inl(struct run *r, struct mr_chan *in, struct mr_chan *out) { chan_echo_inl(in, out, r->count, true); }
static void p_ring_rt(struct run *r) { ring_ping(r); }
static void c_ring_rt(struct run *r, struct mr_chan *in, struct mr_chan *out)
{
    (void)in;
    (void)out;
    uint64_t at = 0, ah = 0, bh = 0, bt = 0;
    for (uint64_t i = 0; i < r->count; i++) {
        hring_get(r->ra, dst_buf, SMALL, &at, &ah, false);
        hring_put(r->rb, dst_buf, SMALL, &bh, &bt, false);
    }
}
static void p_sock_rt(struct run *r) { sock_ping(r); }
static void c_sock_rt(struct run *r, struct mr_chan *in, struct mr_chan *out)
{
    (void)in;
    (void)out;
    for (uint64_t i = 0; i < r->count; i++) {
        read_all(r->sv[1], dst_buf, SMALL);
        write_all(r->sv[1], dst_buf, SMALL);
    }
}

#define PF MR_CHAN_PREFAULT
#define FENCED MR_CHAN_FENCED
#define N64 ((uint64_t)1 << 20) /* 64-byte messages per one-way run */
#define NRT 100000              /* busy round trips per run */

static const struct variant variants[] = {
    { "chan_64k", "chan_produce", "reserve + memcpy in + commit / peek + read in place + release",
      "sock_64k", "ring_64k", ONE_WAY, BIG, 2048, R_CHAN, 0, false, p_chan_zc, c_chan_zc },
    { "chan_64k_copy", "chan_sendloop", "mr_chan_send / mr_chan_recv",
      "sock_64k", "ring_64k_copy", ONE_WAY, BIG, 2048, R_CHAN, 0, false, p_chan_copy, c_chan_copy },
    { "ring_64k", "ring_produce", "hand-written SPSC ring, 16 slots of 64 KiB, memcpy in / read in place",
      "sock_64k", NULL, ONE_WAY, BIG, 2048, R_RING, 0, false, p_ring, c_ring },
    { "ring_64k_copy", "ring_produce", "the same hand ring, memcpy in / memcpy out",
      "sock_64k", NULL, ONE_WAY, BIG, 2048, R_RING, 0, false, p_ring, c_ring_copy },
    { "sock_64k", "sock_produce", "Unix stream socket pair, write / read of 64 KiB",
      "sock_64k", NULL, ONE_WAY, BIG, 2048, R_SOCK, 0, false, p_sock, c_sock },
    { "chan_64", "chan_produce", "reserve + memcpy in + commit / peek + read in place + release",
      "ring_64", "sock_64", ONE_WAY, SMALL, N64, R_CHAN, 0, false, p_chan_zc, c_chan_zc },
    { "chan_64_inl", "chan_produce_inl", "chan_64 through the _inline forms",
      "ring_64", NULL, ONE_WAY, SMALL, N64, R_CHAN, 0, false, p_chan_zc_inl, c_chan_zc_inl },
    { "chan_64_zc_b32", "chan_produce_n", "reserve_n + memcpy in + commit_n / peek_n + read in place + release, 32",
      "ring_64", "ring_64_copy", ONE_WAY, SMALL, N64, R_CHAN, 0, false, p_chan_zc_n, c_chan_zc_n },
    { "chan_64_copy", "chan_sendloop", "mr_chan_send / mr_chan_recv",
      "ring_64_copy", "sock_64", ONE_WAY, SMALL, N64, R_CHAN, 0, false, p_chan_copy, c_chan_copy },
    { "chan_64_copy_inl", "chan_sendloop_inl", "mr_chan_send_inline / mr_chan_recv_inline",
      "ring_64_copy", "chan_64_copy", ONE_WAY, SMALL, N64, R_CHAN, 0, false, p_chan_copy_inl, c_chan_copy_inl },
    { "chan_64_fixed_b32", "chan_send_fixed", "mr_chan_send_fixed_n / mr_chan_recv_fixed_n, 32",
      "ring_64_copy", NULL, ONE_WAY, SMALL, N64, R_CHAN, 0, false, p_chan_fixed_n, c_chan_fixed_n },
    { "chan_64_send_b32", "chan_send_regions", "mr_chan_send_n / mr_chan_recv_n, 32",
      "ring_64_copy", NULL, ONE_WAY, SMALL, N64, R_CHAN, 0, false, p_chan_regions_n, c_chan_regions_n },
    { "chan_64_fenced", "chan_sendloop", "chan_64_copy, MR_CHAN_FENCED",
      "ring_64_copy", "chan_64_copy", ONE_WAY, SMALL, N64, R_CHAN, FENCED, false, p_chan_copy, c_chan_copy },
    { "chan_64_fenced_inl", "chan_sendloop_inl", "chan_64_copy_inl, MR_CHAN_FENCED",
      "ring_64_copy", "chan_64_copy_inl", ONE_WAY, SMALL, N64, R_CHAN, FENCED, false, p_chan_copy_inl, c_chan_copy_inl },
    { "ring_64", "ring_produce", "hand-written SPSC ring, 16384 slots of 64 bytes, read in place",
      "ring_64", "ring_64_copy", ONE_WAY, SMALL, N64, R_RING, 0, false, p_ring, c_ring },
    { "ring_64_copy", "ring_produce", "the same hand ring, memcpy in / memcpy out",
      "ring_64_copy", NULL, ONE_WAY, SMALL, N64, R_RING, 0, false, p_ring, c_ring_copy },
    { "sock_64", "sock_produce", "Unix stream socket pair, write / read of 64 bytes",
      "ring_64_copy", NULL, ONE_WAY, SMALL, 1u << 17, R_SOCK, 0, false, p_sock, c_sock },
    { "chan_rt_spin", "chan_ping", "64 B there and back, both sides try_send / try_recv in a loop, prefaulted",
      "ring_rt_spin", NULL, ROUND_TRIP, SMALL, NRT, R_CHAN, PF, true, p_chan_rt_spin, c_chan_rt_spin },
    { "chan_rt_spin_inl", "chan_ping_inl", "chan_rt_spin through the _inline forms, prefaulted",
      "ring_rt_spin", NULL, ROUND_TRIP, SMALL, NRT, R_CHAN, PF, true, p_chan_rt_inl, c_chan_rt_inl },
    { "chan_rt_inl_nopf", "chan_ping_inl", "chan_rt_spin_inl without MR_CHAN_PREFAULT",
      "ring_rt_spin", NULL, ROUND_TRIP, SMALL, NRT, R_CHAN, 0, true, p_chan_rt_inl, c_chan_rt_inl },
    { "ring_rt_spin", "ring_ping", "64 B there and back through two hand rings, spinning, prefaulted",
      "ring_rt_spin", NULL, ROUND_TRIP, SMALL, NRT, R_RING, PF, true, p_ring_rt, c_ring_rt },
    { "chan_rt_block", "chan_ping", "64 B there and back, mr_chan_send / mr_chan_recv, timeout -1",
      "sock_rt", NULL, ROUND_TRIP, SMALL, 10000, R_CHAN, 0, false, p_chan_rt_block, c_chan_rt_block },
    { "sock_rt", "sock_ping", "64 B there and back over a Unix stream socket pair, blocking",
      "sock_rt", NULL, ROUND_TRIP, SMALL, 10000, R_SOCK, 0, false, p_sock_rt, c_sock_rt },
};
#define NV (sizeof variants / sizeof variants[0])

static size_t find(const char *name)
{
    for (size_t i = 0; i < NV; i++)
        if (name && strcmp(variants[i].name, name) == 0)
            return i;
    return NV;
}

/* ---- instructions: one process, both ends ------------------------------------------------ */

#define INSTR_COUNT 100000

static BENCH_NOINLINE void instr_chan_copy(struct mr_chan *p, struct mr_chan *c, uint64_t n)
{
    for (uint64_t i = 0; i < n; i++) {
        if (mr_chan_send(p, mr_region_make(src_buf, SMALL), 0) != (ssize_t)SMALL)
            die("mr_chan_send", -EAGAIN);
        if (mr_chan_recv(c, mr_region_make(dst_buf, SMALL), 0) != (ssize_t)SMALL)
            die("mr_chan_recv", -EAGAIN);
    }
}

static BENCH_NOINLINE void instr_chan_zc(struct mr_chan *p, struct mr_chan *c, uint64_t n)
{
    for (uint64_t i = 0; i < n; i++) {
        struct mr_region r;
        int rc;
        if ((rc = mr_chan_reserve(p, SMALL, 0, &r)) < 0)
            die("mr_chan_reserve", rc);
        memcpy(r.ptr, src_buf, SMALL);
        mr_chan_commit(p, SMALL);
        if ((rc = mr_chan_peek(c, 0, &r)) < 0)
            die("mr_chan_peek", rc);
        memcpy(dst_buf, r.ptr, SMALL);
        mr_chan_release(c);
    }
}

static BENCH_NOINLINE void instr_chan_copy_inline(struct mr_chan *p, struct mr_chan *c, uint64_t n)
{
    for (uint64_t i = 0; i < n; i++) {
        if (mr_chan_send_inline(p, mr_region_make(src_buf, SMALL), 0) != (ssize_t)SMALL)
            die("mr_chan_send_inline", -EAGAIN);
        if (mr_chan_recv_inline(c, mr_region_make(dst_buf, SMALL), 0) != (ssize_t)SMALL)
            die("mr_chan_recv_inline", -EAGAIN);
    }
}

static BENCH_NOINLINE void instr_chan_zc_inline(struct mr_chan *p, struct mr_chan *c, uint64_t n)
{
    for (uint64_t i = 0; i < n; i++) {
        struct mr_region r;
        int rc;
        if ((rc = mr_chan_reserve_inline(p, SMALL, 0, &r)) < 0)
            die("mr_chan_reserve_inline", rc);
        memcpy(r.ptr, src_buf, SMALL);
        mr_chan_commit_inline(p, SMALL);
        if ((rc = mr_chan_peek_inline(c, 0, &r)) < 0)
            die("mr_chan_peek_inline", rc);
        memcpy(dst_buf, r.ptr, SMALL);
        mr_chan_release_inline(c);
    }
}

#define INSTR_BATCH_MAX 32
static size_t instr_batch; /* messages per batch call */

static BENCH_NOINLINE void instr_chan_zc_batch(struct mr_chan *p, struct mr_chan *c, uint64_t n)
{
    struct mr_region r[INSTR_BATCH_MAX];
    for (uint64_t i = 0; i < n; i += instr_batch) {
        int k = mr_chan_reserve_n(p, SMALL, r, instr_batch, 0);
        if (k != (int)instr_batch)
            die("mr_chan_reserve_n", k);
        for (int j = 0; j < k; j++)
            memcpy(r[j].ptr, src_buf, SMALL);
        mr_chan_commit_n(p, (size_t)k);
        if ((k = mr_chan_peek_n(c, r, instr_batch, 0)) != (int)instr_batch)
            die("mr_chan_peek_n", k);
        for (int j = 0; j < k; j++)
            memcpy(dst_buf + j * SMALL, r[j].ptr, SMALL);
        mr_chan_release(c);
    }
}

static BENCH_NOINLINE void instr_chan_copy_batch(struct mr_chan *p, struct mr_chan *c, uint64_t n)
{
    struct mr_region m[INSTR_BATCH_MAX], b[INSTR_BATCH_MAX];
    for (size_t j = 0; j < instr_batch; j++)
        m[j] = mr_region_make(src_buf + j * SMALL, SMALL);
    for (uint64_t i = 0; i < n; i += instr_batch) {
        ssize_t k = mr_chan_send_n(p, m, instr_batch, 0);
        if (k != (ssize_t)instr_batch)
            die("mr_chan_send_n", k);
        for (size_t j = 0; j < instr_batch; j++)
            b[j] = mr_region_make(dst_buf + j * SMALL, SMALL);
        if ((k = mr_chan_recv_n(c, b, instr_batch, 0)) != (ssize_t)instr_batch)
            die("mr_chan_recv_n", k);
    }
}

static BENCH_NOINLINE void instr_chan_fixed_batch(struct mr_chan *p, struct mr_chan *c, uint64_t n)
{
    for (uint64_t i = 0; i < n; i += instr_batch) {
        ssize_t k = mr_chan_send_fixed_n(p, src_buf, SMALL, instr_batch, 0);
        if (k != (ssize_t)instr_batch)
            die("mr_chan_send_fixed_n", k);
        if ((k = mr_chan_recv_fixed_n(c, dst_buf, SMALL, instr_batch, 0)) != (ssize_t)instr_batch)
            die("mr_chan_recv_fixed_n", k);
    }
}

static BENCH_NOINLINE void instr_ring(struct hring *r, uint64_t n)
{
    uint64_t head = 0, tail = 0, tail_seen = 0, head_seen = 0;
    for (uint64_t i = 0; i < n; i++) {
        hring_put(r, src_buf, SMALL, &head, &tail_seen, false);
        hring_get(r, dst_buf, SMALL, &tail, &head_seen, false);
    }
}

typedef void instr_fn(struct mr_chan *p, struct mr_chan *c, uint64_t n);

static const struct {
    const char *name, *func, *what;
    instr_fn *fn;
    unsigned flags;
    size_t batch;
} instr_variants[] = {
    { "chan_copy", "instr_chan_copy", "mr_chan_send + mr_chan_recv of 64 bytes", instr_chan_copy, 0, 1 },
    { "chan_zc", "instr_chan_zc", "reserve + memcpy + commit, peek + memcpy + release, 64 bytes",
      instr_chan_zc, 0, 1 },
    { "chan_copy_fenced", "instr_chan_copy", "mr_chan_send + mr_chan_recv of 64 bytes, MR_CHAN_FENCED",
      instr_chan_copy, MR_CHAN_FENCED, 1 },
    { "chan_copy_inline", "instr_chan_copy_inline", "mr_chan_send_inline + mr_chan_recv_inline, 64 bytes",
      instr_chan_copy_inline, 0, 1 },
    { "chan_zc_inline", "instr_chan_zc_inline", "the _inline forms of chan_zc", instr_chan_zc_inline, 0, 1 },
    { "chan_copy_inline_fenced", "instr_chan_copy_inline", "chan_copy_inline, MR_CHAN_FENCED",
      instr_chan_copy_inline, MR_CHAN_FENCED, 1 },
    { "chan_zc_b8", "instr_chan_zc_batch", "reserve_n + commit_n, peek_n + release, 8 x 64 bytes",
      instr_chan_zc_batch, 0, 8 },
    { "chan_zc_b32", "instr_chan_zc_batch", "reserve_n + commit_n, peek_n + release, 32 x 64 bytes",
      instr_chan_zc_batch, 0, 32 },
    { "chan_copy_b32", "instr_chan_copy_batch", "send_n + recv_n, 32 x 64 bytes", instr_chan_copy_batch,
      0, 32 },
    { "chan_fixed_b32", "instr_chan_fixed_batch", "send_fixed_n + recv_fixed_n, 32 x 64 bytes",
      instr_chan_fixed_batch, 0, 32 },
    { "ring", "instr_ring", "the hand ring's put + get of a 64-byte slot (memcpy both)", NULL, 0, 1 },
};

static int instr_main(const char *name)
{
    size_t n = sizeof instr_variants / sizeof instr_variants[0];
    if (name == NULL) {
        for (size_t i = 0; i < n; i++)
            printf("%s %s %d msg ring\n", instr_variants[i].name, instr_variants[i].func, INSTR_COUNT);
        return 0;
    }
    size_t v = 0;
    while (v < n && strcmp(name, instr_variants[v].name) != 0)
        v++;
    if (v == n) {
        fprintf(stderr, "bench_chan: no instruction variant %s (see --instr-list)\n", name);
        return 2;
    }
    if (instr_variants[v].fn == NULL) {
        struct hring *r = hring_new(SMALL);
        instr_ring(r, INSTR_COUNT);
        hring_free(r);
        return 0;
    }
    struct mr_chan p = MR_CHAN_INIT, c = MR_CHAN_INIT;
    int rc;
    if ((rc = mr_chan_create(&p, CHAN_CAP, MR_CHAN_PRODUCER, instr_variants[v].flags)) < 0)
        die("mr_chan_create", rc);
    if ((rc = mr_chan_attach_fd(&c, dup(mr_chan_fd(&p)), CHAN_CAP, MR_CHAN_CONSUMER, 0)) < 0)
        die("mr_chan_attach_fd", rc);
    instr_batch = instr_variants[v].batch;
    instr_variants[v].fn(&p, &c, INSTR_COUNT);
    mr_chan_close(&c);
    mr_chan_close(&p);
    return 0;
}

/* ---- running one variant once ---------------------------------------------------------------------- */

static void pin(int cpu)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (sched_setaffinity(0, sizeof set, &set) < 0)
        die("sched_setaffinity", -errno);
}

static void signal_byte(int fd)
{
    write_all(fd, "x", 1);
}

static void await_byte(int fd)
{
    char x;
    read_all(fd, &x, 1);
}

static int dup_fd(int fd)
{
    int d = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (d < 0)
        die("fcntl", -errno);
    return d;
}

/* Returns the parent's time from the child's "ready" to its "done"; round
 * trips leave their times in r->rtt. */
static double run_once(const struct variant *v, int parent_cpu, int child_cpu, double *rtt)
{
    struct run r;
    memset(&r, 0, sizeof r);
    struct mr_chan closed = MR_CHAN_INIT;
    r.a = closed;
    r.b = closed;
    r.size = v->size;
    r.count = v->count;
    r.rtt = rtt;
    r.sv[0] = r.sv[1] = -1;
    bool prefault = (v->flags & MR_CHAN_PREFAULT) != 0;
    int rc;
    if (pipe2(r.ready, O_CLOEXEC) < 0 || pipe2(r.done, O_CLOEXEC) < 0)
        die("pipe2", -errno);
    if ((v->res & R_SOCK) && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, r.sv) < 0)
        die("socketpair", -errno);
    pin(parent_cpu);
    if (v->res & R_RING) {
        r.ra = hring_new(v->size);
        r.rb = hring_new(v->size);
        if (prefault) {
            hring_prefault(r.ra);
            hring_prefault(r.rb);
        }
    }
    if (v->res & R_CHAN) {
        if ((rc = mr_chan_create(&r.a, CHAN_CAP, MR_CHAN_PRODUCER, v->flags)) < 0)
            die("mr_chan_create", rc);
        if ((rc = mr_chan_create(&r.b, CHAN_CAP, MR_CHAN_CONSUMER, v->flags)) < 0)
            die("mr_chan_create", rc);
    }
    fflush(NULL);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0)
        die("fork", -errno);
    if (pid == 0) {
        bench_die_with_parent(parent);
        /* The parent's ends (r.a, r.b) are inherited memory here: left
         * alone, never closed (closing would mark them closed). */
        struct mr_chan in = MR_CHAN_INIT, out = MR_CHAN_INIT;
        unsigned attach = v->flags & MR_CHAN_PREFAULT;
        pin(child_cpu);
        if (v->res & R_CHAN) {
            if ((rc = mr_chan_attach_fd(&in, dup_fd(mr_chan_fd(&r.a)), CHAN_CAP, MR_CHAN_CONSUMER, attach)) < 0)
                die("mr_chan_attach_fd", rc);
            if ((rc = mr_chan_attach_fd(&out, dup_fd(mr_chan_fd(&r.b)), CHAN_CAP, MR_CHAN_PRODUCER, attach)) < 0)
                die("mr_chan_attach_fd", rc);
        }
        if ((v->res & R_RING) && prefault) {
            hring_prefault(r.ra);
            hring_prefault(r.rb);
        }
        signal_byte(r.ready[1]);
        v->child(&r, &in, &out);
        signal_byte(r.done[1]);
        mr_chan_close(&in);
        mr_chan_close(&out);
        _exit(0);
    }
    await_byte(r.ready[0]);
    double t0 = bench_now_ns();
    v->parent(&r);
    await_byte(r.done[0]);
    double t = bench_now_ns() - t0;
    int status;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            perror("bench_chan: waitpid");
            exit(1);
        }
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "bench_chan: %s: the child failed\n", v->name);
        exit(1);
    }
    mr_chan_close(&r.a);
    mr_chan_close(&r.b);
    if (r.ra) {
        hring_free(r.ra);
        hring_free(r.rb);
    }
    for (int i = 0; i < 2; i++) {
        if (r.sv[i] >= 0)
            close(r.sv[i]);
        close(r.ready[i]);
        close(r.done[i]);
    }
    return t;
}

/* ---- timing everything ------------------------------------------------------------------------------ */

/* What one placement measured: per variant and round, the time of the run
 * and the round trips' p50, p99 and p99.9. */
struct placement {
    const char *title;
    bool ran;
    bool on[NV];
    double times[NV][ROUNDS];
    double p50[NV][ROUNDS], p99[NV][ROUNDS], p999[NV][ROUNDS];
};

enum { ONE_CPU, TWO_CPUS };
static struct placement placements[2] = { { .title = "one CPU" }, { .title = "two CPUs" } };
static int rounds = ROUNDS; /* rounds this run */
static double *rtt_buf;

static double quantile(double *v, size_t n, double q)
{
    qsort(v, n, sizeof *v, bench_cmp_double);
    size_t k = (size_t)(q * (double)(n - 1) + 0.5);
    return v[k];
}

/* Median, min and max over rounds of (f(i, r) / count(i)) / (f(b, r) / count(b)):
 * for times, the ratio of the time per message. */
static void ratio(double (*f)[ROUNDS], size_t i, size_t b, double *med, double *lo, double *hi)
{
    double t[ROUNDS];
    *lo = 1e300;
    *hi = 0;
    for (int r = 0; r < rounds; r++) {
        t[r] = (f[i][r] / (double)variants[i].count) / (f[b][r] / (double)variants[b].count);
        if (t[r] < *lo)
            *lo = t[r];
        if (t[r] > *hi)
            *hi = t[r];
    }
    *med = bench_median(t, (size_t)rounds);
}

/* The same for a per-round figure that does not scale with the count (a
 * round trip's p50 or p99). */
static double q_ratio(double (*f)[ROUNDS], size_t i, size_t b, double *lo, double *hi)
{
    double t[ROUNDS];
    *lo = 1e300;
    *hi = 0;
    for (int r = 0; r < rounds; r++) {
        t[r] = f[i][r] / f[b][r];
        *lo = t[r] < *lo ? t[r] : *lo;
        *hi = t[r] > *hi ? t[r] : *hi;
    }
    return bench_median(t, (size_t)rounds);
}

static double med_of(double (*f)[ROUNDS], size_t i)
{
    double t[ROUNDS];
    memcpy(t, f[i], sizeof t);
    return bench_median(t, (size_t)rounds);
}

static void time_placement(struct placement *pl, int pcpu, int ccpu, bool one_cpu)
{
    bool *on = pl->on;
    for (size_t i = 0; i < NV; i++)
        on[i] = !(one_cpu && variants[i].spin);
    for (size_t i = 0; i < NV; i++) /* warm-up: page faults, caches, the spin budget */
        if (on[i])
            run_once(&variants[i], pcpu, ccpu, rtt_buf);
    for (int r = 0; r < rounds; r++) {
        for (size_t k = 0; k < NV; k++) {
            size_t i = (k + (size_t)r) % NV;
            if (!on[i])
                continue;
            pl->times[i][r] = run_once(&variants[i], pcpu, ccpu, rtt_buf);
            if (variants[i].kind == ROUND_TRIP) {
                size_t n = variants[i].count;
                pl->p50[i][r] = quantile(rtt_buf, n, 0.50);
                pl->p99[i][r] = quantile(rtt_buf, n, 0.99);
                pl->p999[i][r] = quantile(rtt_buf, n, 0.999);
            }
        }
    }
    pl->ran = true;

    printf("bench_chan: %s (parent on CPU %d, child on CPU %d), %d rounds interleaved\n", pl->title,
           pcpu, ccpu, rounds);
    printf("  one way: median over rounds; x base = median over rounds of (base time / variant time)\n");
    printf("  %-18s %-17s %8s %10s %9s  %-13s %6s %-15s %-16s %7s\n", "variant", "function", "count",
           "msgs/s", "GB/s", "base", "x base", "[min .. max]", "base2", "x base2");
    for (size_t i = 0; i < NV; i++) {
        const struct variant *v = &variants[i];
        if (!on[i] || v->kind != ONE_WAY)
            continue;
        double t = med_of(pl->times, i);
        double mps = (double)v->count / t * 1e9;
        double lo, hi, m, lo2, hi2, m2 = 0;
        ratio(pl->times, i, find(v->base), &m, &lo, &hi);
        char range[40], b2[48] = "", xb[16];
        snprintf(range, sizeof range, "[%.2f .. %.2f]", 1 / hi, 1 / lo);
        if (1 / m < 0.1) /* a socket against a ring: two digits would round it to 0 */
            snprintf(xb, sizeof xb, "%.4f", 1 / m);
        else
            snprintf(xb, sizeof xb, "%.2f", 1 / m);
        if (v->base2 && on[find(v->base2)]) {
            ratio(pl->times, i, find(v->base2), &m2, &lo2, &hi2);
            snprintf(b2, sizeof b2, "%-16s %7.2f", v->base2, 1 / m2);
        }
        printf("  %-18s %-17s %8llu %10.3gM %9.2f  %-13s %6s %-15s %s\n", v->name, v->func,
               (unsigned long long)v->count, mps / 1e6, mps * (double)v->size / 1e9, v->base,
               xb, range, b2);
    }
    printf("  round trips: ns per round trip, p50 and p99 per round, median over rounds;\n"
           "  p50 / base = median over rounds of (p50 / base's p50)\n");
    printf("  %-18s %-17s %8s %9s %9s  %-13s %9s %-15s %9s\n", "variant", "function", "count",
           "p50 ns", "p99 ns", "base", "p50/base", "[min .. max]", "p99.9 ns");
    for (size_t i = 0; i < NV; i++) {
        const struct variant *v = &variants[i];
        if (!on[i] || v->kind != ROUND_TRIP)
            continue;
        double lo, hi;
        double m = q_ratio(pl->p50, i, find(v->base), &lo, &hi);
        char range[40];
        snprintf(range, sizeof range, "[%.2f .. %.2f]", lo, hi);
        printf("  %-18s %-17s %8llu %9.0f %9.0f  %-13s %9.3f %-15s %9.0f\n", v->name, v->func,
               (unsigned long long)v->count, med_of(pl->p50, i), med_of(pl->p99, i), v->base, m,
               range, med_of(pl->p999, i));
    }

    /* The goals of issue 6, read off this placement's figures. */
    double m, lo, hi;
    size_t c64k = find("chan_64k"), c64 = find("chan_64");
    printf("  goals (issue 6):\n");
    ratio(pl->times, c64k, find("sock_64k"), &m, &lo, &hi);
    printf("    64 KiB throughput >= 5x socket pair:          %6.2fx  %s\n", 1 / m, 1 / m >= 5 ? "met" : "NOT met");
    ratio(pl->times, c64k, find("ring_64k"), &m, &lo, &hi);
    printf("    64 KiB throughput >= 0.8x hand ring:          %6.2fx  %s\n", 1 / m, 1 / m >= 0.8 ? "met" : "NOT met");
    double mps = (double)variants[c64].count / med_of(pl->times, c64) * 1e9;
    printf("    64-byte messages >= 10M/s one way:            %6.1fM  %s\n", mps / 1e6, mps >= 1e7 ? "met" : "NOT met");
    size_t spin = find("chan_rt_spin");
    if (on[spin]) {
        double p = med_of(pl->p50, spin);
        printf("    busy round trip median < 500 ns:              %6.0f ns %s\n", p, p < 500 ? "met" : "NOT met");
    }
    double rb = q_ratio(pl->p50, find("chan_rt_block"), find("sock_rt"), &lo, &hi);
    printf("    blocking round trip <= socket pair's (p50):   %6.3fx  %s\n", rb, rb <= 1 ? "met" : "NOT met");
    printf("\n");
    fflush(stdout);
}

/* ---- issue 14's speed lines ---------------------------------------------------------------------------- */

enum measure {
    SPEED, /* messages (bytes) per second, variant / base: at least the target */
    COST,  /* time per message, variant / base: at most the target */
    P50,   /* round-trip p50, variant / base: at most the target */
};

struct speed_line {
    const char *line;
    const char *var, *base;
    enum measure m;
    double target;
    bool both;  /* judged in both placements; else on two CPUs (the other shown) */
};

static const struct speed_line speed_lines[] = {
    { "64 B copying, msgs/s: send/recv vs ring", "chan_64_copy", "ring_64_copy", SPEED, 1.0, false },
    { "64 B copying, msgs/s: _inline vs ring", "chan_64_copy_inl", "ring_64_copy", SPEED, 1.0, false },
    { "busy round trip p50: _inline vs ring", "chan_rt_spin_inl", "ring_rt_spin", P50, 1.2, false },
    { "busy round trip p50: send/recv vs ring", "chan_rt_spin", "ring_rt_spin", P50, 1.2, false },
    { "batch of 32: send_fixed_n/recv_fixed_n vs ring", "chan_64_fixed_b32", "ring_64_copy", SPEED, 2.0, false },
    { "batch of 32: send_n/recv_n vs ring", "chan_64_send_b32", "ring_64_copy", SPEED, 2.0, false },
    { "batch of 32: reserve_n/peek_n vs ring in place", "chan_64_zc_b32", "ring_64", SPEED, 2.0, false },
    { "64 KiB, GB/s: send/recv vs ring, same capacity", "chan_64k_copy", "ring_64k_copy", SPEED, 0.95, true },
    { "64 KiB, GB/s: zero-copy vs ring, same capacity", "chan_64k", "ring_64k", SPEED, 0.95, true },
    { "fenced 64 B cost: send/recv vs unfenced", "chan_64_fenced", "chan_64_copy", COST, 1.3, true },
    { "fenced 64 B cost: _inline vs unfenced", "chan_64_fenced_inl", "chan_64_copy_inl", COST, 1.3, true },
};

/* The line's figure in placement pl (NAN where it did not run), and
 * whether it meets the target. */
static double line_figure(struct placement *pl, const struct speed_line *s, bool *ok)
{
    size_t i = find(s->var), b = find(s->base);
    double m, lo, hi;
    *ok = false;
    if (!pl->ran || !pl->on[i] || !pl->on[b])
        return NAN;
    switch (s->m) {
    case SPEED:
        ratio(pl->times, i, b, &m, &lo, &hi);
        m = 1 / m;
        *ok = m >= s->target;
        return m;
    case COST:
        ratio(pl->times, i, b, &m, &lo, &hi);
        *ok = m <= s->target;
        return m;
    case P50:
        m = q_ratio(pl->p50, i, b, &lo, &hi);
        *ok = m <= s->target;
        return m;
    }
    return NAN;
}

static void print_speed_lines(void)
{
    printf("bench_chan: issue 14's speed lines, this run (ratios: median over rounds of the ratio\n"
           "measured within each round; judged on two CPUs, or in both placements where marked *)\n");
    printf("  %-48s %-9s %9s %9s  %s\n", "line", "target", "one CPU", "two CPUs", "met");
    for (size_t k = 0; k < sizeof speed_lines / sizeof speed_lines[0]; k++) {
        const struct speed_line *s = &speed_lines[k];
        bool ok1, ok2;
        double f1 = line_figure(&placements[ONE_CPU], s, &ok1);
        double f2 = line_figure(&placements[TWO_CPUS], s, &ok2);
        char target[16], c1[16] = "-", c2[16] = "-";
        snprintf(target, sizeof target, "%s %.2fx%s", s->m == SPEED ? ">=" : "<=", s->target,
                 s->both ? "*" : "");
        if (!isnan(f1))
            snprintf(c1, sizeof c1, "%.2fx", f1);
        if (!isnan(f2))
            snprintf(c2, sizeof c2, "%.2fx", f2);
        const char *met;
        if (s->both)
            met = isnan(f1) || isnan(f2) ? "not measured"
                  : ok1 && ok2           ? "met"
                  : ok2                  ? "NOT met (one CPU)"
                  : ok1                  ? "NOT met (two CPUs)"
                                         : "NOT met";
        else
            met = isnan(f2) ? "not measured" : ok2 ? "met" : "NOT met";
        printf("  %-48s %-9s %9s %9s  %s\n", s->line, target, c1, c2, met);
    }
    struct placement *two = &placements[TWO_CPUS];
    size_t pf = find("chan_rt_spin_inl"), nopf = find("chan_rt_inl_nopf"), ring = find("ring_rt_spin");
    if (two->ran)
        printf("  busy round trip on two CPUs, _inline forms, p99 (p99.9): %.0f (%.0f) ns with\n"
               "  MR_CHAN_PREFAULT, %.0f (%.0f) ns without; hand ring (prefaulted) %.0f (%.0f) ns\n",
               med_of(two->p99, pf), med_of(two->p999, pf), med_of(two->p99, nopf),
               med_of(two->p999, nopf), med_of(two->p99, ring), med_of(two->p999, ring));
    printf("  instruction counts (64 B send+recv <= 90, zero-copy <= 110, batch of 32 <= 1.25x the ring):\n"
           "  sh bench/callgrind.sh BUILD_DIR; sizes 1 B to 1 MiB, 65528 vs 65536 bytes: bench_chan_sizes\n");
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    size_t maxn = 0;
    for (size_t i = 0; i < NV; i++)
        if (variants[i].kind == ROUND_TRIP && variants[i].count > maxn)
            maxn = variants[i].count;
    rtt_buf = calloc(maxn, sizeof *rtt_buf);
    if (rtt_buf == NULL)
        die("calloc", -ENOMEM);
    memset(src_buf, 0x5a, sizeof src_buf);
    const char *quick = getenv("BENCH_QUICK");
    if (quick && *quick && strcmp(quick, "0") != 0)
        rounds = 3;

    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) < 0)
        die("sched_getaffinity", -errno);
    int cpus[2] = { -1, -1 }, ncpu = 0;
    for (int c = 0; c < CPU_SETSIZE && ncpu < 2; c++)
        if (CPU_ISSET(c, &set))
            cpus[ncpu++] = c;

    if (argc >= 2 && strcmp(argv[1], "--instr-list") == 0)
        return instr_main(NULL);
    if (argc >= 3 && strcmp(argv[1], "--instr") == 0)
        return instr_main(argv[2]);
    if (argc >= 2 && strcmp(argv[1], "--list") == 0) {
        for (size_t i = 0; i < NV; i++)
            printf("%s %s %llu %s %s\n", variants[i].name, variants[i].func,
                   (unsigned long long)variants[i].count,
                   variants[i].kind == ROUND_TRIP ? "roundtrip" : "msg", variants[i].base);
        return 0;
    }
    if (argc >= 2) {
        size_t i = find(argv[1]);
        if (i == NV) {
            fprintf(stderr, "usage: %s [--list | VARIANT]\n", argv[0]);
            return 2;
        }
        int cc = ncpu > 1 ? cpus[1] : cpus[0];
        double t = run_once(&variants[i], cpus[0], cc, rtt_buf);
        printf("%s: ran %s once: %.3f ms\n", argv[0], variants[i].name, t / 1e6);
        return 0;
    }

    time_placement(&placements[ONE_CPU], cpus[0], cpus[0], true);
    if (ncpu > 1)
        time_placement(&placements[TWO_CPUS], cpus[0], cpus[1], false);
    else
        printf("bench_chan: one CPU available: no two-CPU placement\n\n");
    print_speed_lines();
    free(rtt_buf);
    return 0;
}
