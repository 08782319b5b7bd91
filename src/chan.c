/* SPDX-License-Identifier: MIT */
/* src/chan.c: the SPSC channel's record protocol: a ring in a sealed
 * memfd, records with commit words, and checks on everything the peer can
 * write; built on the core of src/chan_internal.h (the double-mapped ring,
 * sleep/wake, peer watching, handover). The design argument is in
 * docs/chan.md; this file keeps the layout and the invariants it relies
 * on, each with the section that argues it. */
#include "chan_internal.h"
#include "copy_internal.h"

#include <memregion/shm.h>

#include <limits.h>
#include <string.h>
#include <sys/mman.h>

/* ==== the shared layout (docs/chan.md, "Shared layout") =======================
 *
 *   header   0  u64 magic          written once by the creator, never again
 *            8  u32 version
 *           12  u32 header size    (the page size: the ring's file offset)
 *           16  u64 capacity
 *           24  u32 roles          which ends have attached (bit = role)
 *           28  u32 mode           MODE_MEMBARRIER or MODE_FENCED
 *          128  u64 head           producer's index: bytes ever committed
 *          256  u32 producer closed, 260 u32 producer sleeping (futex word)
 *          384  u64 tail           consumer's index: bytes ever released
 *          512  u32 consumer closed, 516 u32 consumer sleeping (futex word)
 *   ring     page size .. page size + capacity, mapped twice (chan_ring.c)
 *
 * A record: u32 length, u32 commit word, the bytes padded to 8. Indices are
 * 64-bit byte counts that never wrap, multiples of 8; the position in the
 * ring is index & (capacity - 1).
 *
 * Invariants this file relies on:
 * - The consumer never reads the head; it polls the commit word at its own
 *   index. So every commit stores a 0 commit word just past its record
 *   before its own 1, and the producer keeps 8 bytes free beyond every
 *   record: the largest message is capacity - 16 ("Commit words, not the
 *   head").
 * - A length of at most max_msg puts the record and the next commit word
 *   within capacity bytes of its start: inside the two views, wherever it
 *   starts ("The peer is hostile").
 * - Everything read from shared memory is loaded once, atomically, into
 *   private memory and checked there; capacity, mode, mapping and this
 *   end's index are private copies ("The peer is hostile").
 * - ring - hdr is two pages (chan_ring.c: the header page, a guard page).
 * - An end is open exactly when hdr != NULL, and then role is its role.
 *   Every closed end (chan.h, "CLOSED ENDS") has hdr NULL and role 0, and
 *   the calls read nothing else of it but the figures: a zeroed one holds
 *   fd 0. */

#define CHAN_MAGIC MR__CHAN_MAGIC /* "MRCHAN01" read little-endian */
#define CHAN_VERSION 2u
#define GREETING_MAGIC UINT64_C(0x4446534e414843d2)

#define H_MAGIC 0
#define H_VERSION 8
#define H_HDR_SIZE 12
#define H_CAPACITY MR__CHAN_H_CAPACITY
#define H_ROLES 24
#define H_MODE MR__CHAN_H_MODE
#define H_HEAD 128
#define H_PROD_CLOSED 256
#define H_PROD_WAIT MR__CHAN_H_PROD_WAIT
#define H_TAIL MR__CHAN_H_TAIL
#define H_CONS_CLOSED MR__CHAN_H_CONS_CLOSED
#define H_CONS_WAIT MR__CHAN_H_CONS_WAIT

#define ROLE_BITS (MR_CHAN_PRODUCER | MR_CHAN_CONSUMER)
#define REQUIRED_SEALS (MR_SEAL_SHRINK | MR_SEAL_GROW | MR_SEAL_SEAL)

/* struct mr_chan's private state bits (chan.h, INLINE FORMS): an open end
 * has ST_FAST and its role's bit; ST_FENCED mirrors the mode word, so
 * that the header check compares the two directly. */
#define ST_FENCED MR__CHAN_ST_FENCED
#define ST_BROKEN MR__CHAN_ST_BROKEN
#define ST_PEER_GONE MR__CHAN_ST_GONE
#define ST_PENDING MR__CHAN_ST_PENDING
#define ST_BATCH MR__CHAN_ST_BATCH
#define ST_HELD (ST_PENDING | ST_BATCH)
#define ST_PRODUCER MR__CHAN_ST_PRODUCER
#define ST_CONSUMER MR__CHAN_ST_CONSUMER
#define ST_FAST MR__CHAN_ST_FAST

/* docs/chan.md, "Waiting, and the lost wake-up". */
#define MODE_MEMBARRIER 0u
#define MODE_FENCED 1u
MR_STATIC_ASSERT(MODE_FENCED == ST_FENCED, "the header check compares the mode with this bit");


/* The most a batch call takes: its count is returned as an int. */
#define BATCH_MAX ((size_t)INT_MAX)

static inline uint64_t *w64(const struct mr_chan *c, size_t off)
{
    return (uint64_t *)(void *)(c->hdr + off);
}

static inline uint32_t *w32(const struct mr_chan *c, size_t off)
{
    return (uint32_t *)(void *)(c->hdr + off);
}

static inline bool is_producer(const struct mr_chan *c) { return c->role == MR_CHAN_PRODUCER; }
static inline bool light(const struct mr_chan *c) { return (c->state & ST_FENCED) == 0; }
static inline size_t own_closed(const struct mr_chan *c) { return is_producer(c) ? H_PROD_CLOSED : H_CONS_CLOSED; }
static inline size_t peer_closed(const struct mr_chan *c) { return is_producer(c) ? H_CONS_CLOSED : H_PROD_CLOSED; }
static inline size_t own_wait(const struct mr_chan *c) { return is_producer(c) ? H_PROD_WAIT : H_CONS_WAIT; }
static inline size_t peer_wait(const struct mr_chan *c) { return is_producer(c) ? H_CONS_WAIT : H_PROD_WAIT; }
static inline unsigned char *at(const struct mr_chan *c, uint64_t pos) { return c->ring + (pos & c->mask); }

#define record_size mr__chan_rec

/* The header's word at offset 8 (version, then header size, in memory
 * order) as a 64-bit load sees it. */
static uint64_t hdr_word1(size_t page)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    return (uint64_t)CHAN_VERSION << 32 | (uint32_t)page;
#else
    return CHAN_VERSION | (uint64_t)page << 32;
#endif
}

/* A record's header word as a 64-bit load sees it, reordered so that the
 * length is the low half and the commit word the high half. */
static inline uint64_t word_le(uint64_t w)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    w = w >> 32 | w << 32;
#endif
    return w;
}

/* The length in a record's header word; its commit word in *commit. */
static inline uint32_t word_len(uint64_t w, uint32_t *commit)
{
    uint64_t le = word_le(w);
    *commit = (uint32_t)(le >> 32);
    return (uint32_t)le;
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

/* A broken end publishes nothing more: a pending reservation or peek is
 * dropped here, so that commit and release fall to their general path,
 * which reports -EPROTO, at no cost to their fast path. */
static int broken(struct mr_chan *c)
{
    c->state = (c->state | ST_BROKEN) & ~ST_HELD;
    c->pending = 0;
    return -EPROTO;
}

static inline void unhold(struct mr_chan *c)
{
    c->state &= ~ST_HELD;
    c->pending = 0;
}

/* ==== checking what the peer wrote (docs/chan.md, "The peer is hostile") ===== */

/* The fields written once at creation still hold what this end verified at
 * attach. */
static inline bool header_intact(const struct mr_chan *c)
{
    return mr__chan_hdr_bad(c) == 0;
}

/* The producer's look at the tail: accepted only if old tail <= tail <=
 * pos and 8-aligned. seq_cst: S2 of the sleep protocol. The header is
 * checked when the tail moved, before anything new is used, not on every
 * empty poll. The room then ends 8 bytes (the next record's header) short
 * of a lap past the tail. */
static int load_peer(struct mr_chan *c)
{
    uint64_t old = c->limit + MR_CHAN_MSG_OVERHEAD - c->capacity;
    uint64_t v = __atomic_load_n(w64(c, H_TAIL), __ATOMIC_SEQ_CST);
    bool ok = c->pos - v <= c->pos - old;
    if (!ok || (v & (MR_CHAN_MSG_ALIGN - 1)) != 0)
        return broken(c);
    if (v != old && !header_intact(c))
        return broken(c);
    c->limit = v + c->capacity - MR_CHAN_MSG_OVERHEAD;
    return 0;
}

/* Is the peer gone? -EPIPE when it closed (its flag, which its close sets
 * before it closes the fds we watch), -ECONNRESET when a watched fd says it
 * went without closing (it died), 0 when neither. */
static int peer_end(const struct mr_chan *c)
{
    if (__atomic_load_n(w32(c, peer_closed(c)), __ATOMIC_SEQ_CST) != 0)
        return -EPIPE;
    return (c->state & ST_PEER_GONE) ? -ECONNRESET : 0;
}

/* 1: there is room for a record of need bytes; 0: not now; < 0: error. */
static int producer_ready(struct mr_chan *c, uint64_t need)
{
    int rc = peer_end(c);
    if (rc < 0)
        return rc;
    if (c->pos + need <= c->limit)
        return 1;
    if ((rc = load_peer(c)) < 0)
        return rc;
    return c->pos + need <= c->limit;
}

/* The commit word at the consumer's index, loaded once: 1, the record is
 * there (an acquire: so are its bytes); 0, not yet; else -EPROTO. seq_cst:
 * S2 of the sleep protocol. */
static int commit_word(struct mr_chan *c)
{
    uint32_t w;
    word_len(__atomic_load_n(mr__chan_u64(at(c, c->pos)), __ATOMIC_SEQ_CST), &w);
    if (w > 1 || (w == 1 && !header_intact(c)))
        return broken(c);
    return (int)w;
}

/* 1: a record is there; 0: not now; < 0: error (peer_end's, once the
 * producer is gone and every record it committed has been read). */
static int consumer_ready(struct mr_chan *c)
{
    int rc = commit_word(c);
    if (rc != 0)
        return rc;
    int gone = peer_end(c);
    if (gone < 0) {
        /* One more look: the producer's last commit came before its close
         * (docs/chan.md, "What it guarantees": closing). */
        if ((rc = commit_word(c)) != 0)
            return rc;
        return gone;
    }
    return 0;
}

static inline int ready(struct mr_chan *c, uint64_t need)
{
    return is_producer(c) ? producer_ready(c, need) : consumer_ready(c);
}

/* Hold the record of len bytes at the consumer's index as peeked. */
static inline void hold_record(struct mr_chan *c, uint32_t len)
{
    c->state |= ST_PENDING;
    c->pending = (size_t)record_size(len);
    c->pending_len = len;
    c->limit = 1;
}

/* The record at pos, whose commit word consumer_ready saw at 1: its length,
 * read once, at most max_msg; the record is then held as peeked. */
static int parse_record(struct mr_chan *c)
{
    uint32_t commit;
    uint32_t len = word_len(__atomic_load_n(mr__chan_u64(at(c, c->pos)), __ATOMIC_RELAXED), &commit);
    if (len > c->max_msg)
        return broken(c);
    hold_record(c, len);
    return 0;
}

/* ==== waiting (src/chan_wake.c) ============================================== */

struct want {
    struct mr_chan *c;
    uint64_t need;
};

static int want_ready(void *ctx)
{
    struct want *w = ctx;
    return ready(w->c, w->need);
}

static void want_check(void *ctx)
{
    struct mr_chan *c = ((struct want *)ctx)->c;
    if (mr__watch_gone(c->pidfd, c->sockfd))
        c->state |= ST_PEER_GONE;
}

/* The waiter for want->c: its own sleeping word, its mode, its budget. */
static struct mr__waiter waiter(struct want *want)
{
    struct mr_chan *c = want->c;
    return (struct mr__waiter){
        .word = w32(c, own_wait(c)),
        .light = light(c),
        .ready = want_ready,
        .check = want_check,
        .ctx = want,
        .spin_ns = &c->spin_ns,
        .waits = &c->stats.waits,
        .sleeps = &c->stats.sleeps,
    };
}

/* Wait until ready(c, need) or timeout_ms. */
static int chan_wait(struct mr_chan *c, uint64_t need, int timeout_ms)
{
    int rc = ready(c, need);
    if (rc != 0)
        return rc < 0 ? rc : 0;
    if (timeout_ms == 0)
        return -EAGAIN;
    struct want want = { c, need };
    struct mr__waiter w = waiter(&want);
    return mr__wait(&w, mr__deadline(timeout_ms));
}

void mr__chan_wake(struct mr_chan *c, size_t off)
{
    /* A peer waiting in poll(2) is woken through the socket both ends
     * watch (docs/chan.md, "Polling an end"). */
    if (mr__wake(w32(c, off), 1, &c->stats.wakes) == MR__WAKE_FD && c->sockfd >= 0)
        mr__watch_ring(c->sockfd);
}

/* P2 for the peer, off the fast paths. */
static void wake_peer(struct mr_chan *c)
{
    uint32_t *word = w32(c, peer_wait(c));
    uint32_t v = light(c) ? __atomic_load_n(word, __ATOMIC_RELAXED) : __atomic_load_n(word, __ATOMIC_SEQ_CST);
    if (v != 0)
        mr__chan_wake(c, peer_wait(c));
}

/* ==== polling (docs/chan.md, "Polling an end") ================================ */

int mr_chan_event_fd(const struct mr_chan *c)
{
    if (c->hdr == NULL)
        return -EBADF;
    return c->sockfd >= 0 ? c->sockfd : -EOPNOTSUPP;
}

int mr_chan_ack(struct mr_chan *c)
{
    int rc = mr_chan_event_fd(c);
    if (rc < 0)
        return rc;
    rc = mr__watch_drain(c->sockfd);
    if (rc == -EPIPE || rc == -ECONNRESET) {
        c->state |= ST_PEER_GONE;
        return 0;
    }
    return rc < 0 ? rc : 0;
}


/* What an open end says before it looks at the ring: an error, 1 (held:
 * the caller can go on), or 0. */
static int end_check(const struct mr_chan *c, size_t len)
{
    if (c->state & ST_BROKEN)
        return -EPROTO;
    if (c->state & ST_HELD)
        return 1;
    if (is_producer(c) && len > c->max_msg)
        return -EMSGSIZE;
    return 0;
}

/* Ends armed per barrier: the stack a call of mr__chan_arm_n takes. */
#define ARM_CHUNK 64

int mr__chan_arm_n(struct mr_chan *const *cs, const size_t *lens, int *status, int n)
{
    int k = 0;
    for (int base = 0; base < n; base += ARM_CHUNK) {
        struct want want[ARM_CHUNK];
        struct mr__waiter w[ARM_CHUNK];
        int at[ARM_CHUNK], out[ARM_CHUNK], m = 0;
        for (int i = base; i < n && i < base + ARM_CHUNK; i++) {
            struct mr_chan *c = cs[i];
            int rc = mr_chan_event_fd(c);
            if ((status[i] = rc < 0 ? rc : end_check(c, lens[i])) != 0) {
                k++;
                continue;
            }
            want[m] = (struct want){ c, is_producer(c) ? record_size(lens[i]) : 0 };
            w[m] = waiter(&want[m]);
            at[m++] = i;
        }
        if (m > 0)
            k += mr__wait_arm(w, m, out);
        for (int j = 0; j < m; j++)
            status[at[j]] = out[j];
    }
    return k;
}

int mr__chan_ready(struct mr_chan *c, size_t len)
{
    if (c->hdr == NULL)
        return -EBADF;
    int rc = end_check(c, len);
    return rc != 0 ? rc : ready(c, is_producer(c) ? record_size(len) : 0);
}

int mr_chan_arm(struct mr_chan *c, size_t len)
{
    int status;
    mr__chan_arm_n(&c, &len, &status, 1);
    return status;
}

void mr__chan_copy_big(void *dst, const void *src, size_t n)
{
    mr__copy(dst, src, n);
}

/* ==== mapping ================================================================ */

static int chan_map(struct mr_chan *c, int fd, size_t cap, unsigned role, unsigned flags)
{
    struct mr__ring r;
    /* The consumer only reads the ring: a stray write of its own faults
     * instead of corrupting messages. */
    int rprot = role == MR_CHAN_PRODUCER ? PROT_READ | PROT_WRITE : PROT_READ;
    int rc = mr__ring_map(&r, fd, mr__page_size(), PROT_READ | PROT_WRITE, cap, rprot,
                          (flags & MR_CHAN_PREFAULT) != 0);
    if (rc < 0)
        return rc;
    c->hdr = r.hdr;
    c->ring = r.ring;
    c->mask = cap - 1;
    c->hdr_w1 = hdr_word1(mr__page_size());
    c->capacity = cap;
    c->max_msg = cap - 2 * MR_CHAN_MSG_OVERHEAD;
    c->limit = role == MR_CHAN_PRODUCER ? cap - MR_CHAN_MSG_OVERHEAD : 0;
    c->role = role;
    c->state = ST_FAST | (role == MR_CHAN_PRODUCER ? ST_PRODUCER : ST_CONSUMER);
    c->spin_ns = MR__WAKE_SPIN_MAX_NS;
    return 0;
}

static void chan_unmap(struct mr_chan *c)
{
    struct mr__ring r = mr__ring_at(c->hdr, mr__page_size(), c->capacity);
    mr__ring_unmap(&r);
    chan_reset(c);
}

/* ==== creating ================================================================ */

/* Size, seal, map and initialise the fresh object in shm; c owns nothing
 * on failure (the caller closes shm). */
static int chan_setup(struct mr_chan *c, const struct mr_shm *shm, size_t cap, unsigned role,
                      unsigned flags)
{
    size_t page = mr__page_size();
    uint32_t mode = !(flags & MR_CHAN_FENCED) && mr__wake_join() == 0 ? MODE_MEMBARRIER : MODE_FENCED;
    int rc = mr_shm_resize(shm, (uint64_t)page + cap);
    if (rc < 0)
        return rc;
    if ((shm->flags & MR_SHM_MEMFD) && (rc = mr_shm_seal_add(shm, REQUIRED_SEALS)) < 0)
        return rc;
    if ((rc = chan_map(c, shm->fd, cap, role, flags)) < 0) {
        chan_reset(c);
        return rc;
    }
    __atomic_store_n(w32(c, H_VERSION), CHAN_VERSION, __ATOMIC_RELAXED);
    __atomic_store_n(w32(c, H_HDR_SIZE), (uint32_t)page, __ATOMIC_RELAXED);
    __atomic_store_n(w64(c, H_CAPACITY), (uint64_t)cap, __ATOMIC_RELAXED);
    __atomic_store_n(w32(c, H_ROLES), role, __ATOMIC_RELAXED);
    __atomic_store_n(w32(c, H_MODE), mode, __ATOMIC_RELAXED);
    if (mode == MODE_FENCED)
        c->state |= ST_FENCED;
    /* Last, a release: an attacher by name that sees the magic sees a whole
     * header (docs/chan.md, "Shared layout"). */
    __atomic_store_n(w64(c, H_MAGIC), CHAN_MAGIC, __ATOMIC_RELEASE);
    c->fd = shm->fd;
    return 0;
}

int mr_chan_create(struct mr_chan *out, size_t capacity, enum mr_chan_role role, unsigned flags)
{
    chan_reset(out);
    if ((flags & ~(MR_CHAN_FENCED | MR_CHAN_PREFAULT)) || !role_ok((int)role) || !capacity_ok(capacity))
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
                       unsigned flags)
{
    size_t page = mr__page_size();
    int rc;

    if (!(shm->flags & MR_SHM_RDWR))
        return -EACCES;
    /* A write seal would make the writable mapping fail with EPERM: no
     * working channel can live in such an object. */
    int seals = mr_shm_seal_get(shm);
    if (seals > 0 && (seals & (MR_SEAL_WRITE | MR_SEAL_FUTURE_WRITE)))
        return -EPROTO;
    /* Seals before the size: only SHRINK keeps it from dropping under the
     * mapping (docs/chan.md, "Sealing"). */
    if (!(flags & MR_CHAN_NO_SEALS) && (rc = mr_shm_require_seals(shm, REQUIRED_SEALS, 0, NULL)) < 0)
        return rc;
    struct mr_shm_stat st;
    if ((rc = mr_shm_stat(shm, &st)) < 0)
        return rc;
    if (st.size == 0)
        return -EAGAIN;
    uint64_t cap = st.size > page ? st.size - page : 0;
    if (!capacity_ok(cap) || (want != 0 && cap != want))
        return -EPROTO;

    if ((rc = chan_map(c, shm->fd, (size_t)cap, role, flags)) < 0) {
        chan_reset(c);
        return rc;
    }
    uint64_t magic = __atomic_load_n(w64(c, H_MAGIC), __ATOMIC_ACQUIRE);
    if (magic == 0) {
        rc = -EAGAIN;
        goto fail;
    }
    uint32_t mode = __atomic_load_n(w32(c, H_MODE), __ATOMIC_RELAXED);
    if (mode != MODE_MEMBARRIER)
        c->state |= ST_FENCED;
    if (!header_intact(c) || (mode != MODE_MEMBARRIER && mode != MODE_FENCED)) {
        rc = -EPROTO;
        goto fail;
    }
    if (mode == MODE_MEMBARRIER && mr__wake_join() < 0) {
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
        /* An unclaimed end's index is where it started. */
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
    if ((flags & ~(MR_CHAN_NO_SEALS | MR_CHAN_PREFAULT)) || !role_ok((int)role) ||
        (capacity != 0 && !capacity_ok(capacity)))
        return -EINVAL;
    struct mr_shm shm;
    int rc = mr_shm_adopt_fd(&shm, fd);
    if (rc < 0)
        return rc;
    return chan_attach(out, &shm, capacity, role, flags);
}

int mr_chan_attach_named(struct mr_chan *out, const char *name, size_t capacity,
                         enum mr_chan_role role, unsigned flags)
{
    chan_reset(out);
    if ((flags & ~MR_CHAN_PREFAULT) || !role_ok((int)role) || (capacity != 0 && !capacity_ok(capacity)))
        return -EINVAL;
    struct mr_shm shm;
    int rc = mr_shm_open(&shm, name, MR_SHM_RDWR, MR_SHM_USE, MR_SHM_MISSING_FAIL, 0);
    if (rc < 0)
        return rc;
    if ((rc = chan_attach(out, &shm, capacity, role, flags | MR_CHAN_NO_SEALS)) < 0)
        mr_shm_close(&shm);
    return rc;
}

/* ==== handing over (src/chan_handover.c) and watching (src/chan_watch.c) ====== */

struct greeting {
    uint64_t magic;
    uint64_t capacity;
};

int mr_chan_share(struct mr_chan *c, const struct mr_sock *s)
{
    if (c->hdr == NULL)
        return -EBADF;
    /* The watch first, so that nothing can fail once the fd is in the
     * peer's hands. */
    int watch = mr__watch_sock(s);
    if (watch < 0)
        return watch;
    struct greeting g = { GREETING_MAGIC, c->capacity };
    int rc = mr__handover_send(s, c->fd, &g, sizeof g);
    if (rc < 0) {
        mr__sys_close(watch);
        return rc;
    }
    mr__watch_replace(&c->sockfd, watch);
    return 0;
}

int mr_chan_attach_sock(struct mr_chan *out, const struct mr_sock *s, size_t capacity,
                        enum mr_chan_role role, unsigned flags, int timeout_ms)
{
    chan_reset(out);
    if ((flags & ~(MR_CHAN_NO_SEALS | MR_CHAN_PREFAULT)) || !role_ok((int)role) ||
        (capacity != 0 && !capacity_ok(capacity)) || !mr__timeout_ok(timeout_ms))
        return -EINVAL;
    struct greeting g;
    int fd;
    int rc = mr__handover_recv(s, &g, sizeof g, GREETING_MAGIC, mr__deadline(timeout_ms), &fd);
    if (rc < 0)
        return rc;
    if (capacity != 0 && g.capacity != capacity) {
        mr__sys_close(fd);
        return -EPROTO;
    }
    int watch = mr__watch_sock(s);
    if (watch < 0) {
        mr__sys_close(fd);
        return watch;
    }
    if ((rc = mr_chan_attach_fd(out, fd, capacity, role, flags)) < 0) {
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
    int fd = mr__watch_pid(pid);
    if (fd < 0)
        return fd;
    mr__watch_replace(&c->pidfd, fd);
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
 * Each call starts with the fast path of chan.h (mr__chan_room, _put,
 * _next, _drop), the whole call while the peer keeps up; anything unusual
 * takes the general path, which decides again from the start: the fast
 * path changes nothing before it commits to an answer (docs/chan.md, "The
 * busy round trip"). */

/* The checks every waiting call of an end of this role starts with. */
static int end_usable(const struct mr_chan *c, unsigned role, int timeout_ms)
{
    if (c->hdr == NULL || c->role != role)
        return -EBADF;
    if (!mr__timeout_ok(timeout_ms))
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
    if (c->state & ST_HELD)
        return -EBUSY;
    if (len > c->max_msg)
        return -EMSGSIZE;
    return chan_wait(c, record_size(len), timeout_ms);
}

/* The record at the producer's index, with room for len bytes: 0 and *h,
 * or the error. */
static inline int room(struct mr_chan *c, size_t len, int timeout_ms, unsigned char **h)
{
    uint64_t pos;
    if (MR_UNLIKELY(!mr__chan_room(c, len, timeout_ms, &pos))) {
        int rc = room_wait(c, len, timeout_ms);
        if (rc < 0)
            return rc;
    }
    *h = at(c, c->pos);
    return 0;
}

static MR__NOINLINE int reserve_slow(struct mr_chan *c, size_t len, int timeout_ms,
                                    struct mr_region *out)
{
    int rc = room_wait(c, len, timeout_ms);
    if (rc < 0)
        return rc;
    c->state |= ST_PENDING;
    c->pending = (size_t)record_size(len);
    c->pending_len = len;
    *out = (struct mr_region){ at(c, c->pos) + MR_CHAN_MSG_OVERHEAD, len, 0 };
    return 0;
}

int mr_chan_reserve(struct mr_chan *c, size_t len, int timeout_ms, struct mr_region *out)
{
    int rc = mr__chan_reserve_fast(c, len, timeout_ms, out);
    return MR_LIKELY(rc != MR__CHAN_SLOW) ? rc : reserve_slow(c, len, timeout_ms, out);
}

/* Why a commit or release finds nothing to finish (broken() dropped what
 * a broken end had pending). */
static int finish_error(const struct mr_chan *c, unsigned role)
{
    if (c->hdr == NULL || c->role != role)
        return -EBADF;
    return (c->state & ST_BROKEN) ? -EPROTO : -EINVAL;
}

static MR__NOINLINE int commit_slow(struct mr_chan *c, size_t len)
{
    if (c->hdr == NULL || c->role != MR_CHAN_PRODUCER || !(c->state & ST_HELD))
        return finish_error(c, MR_CHAN_PRODUCER);
    if (len > c->pending_len)
        return -ERANGE;
    unhold(c);
    mr__chan_put(c, c->state, c->hdr, c->pos, len);
    return 0;
}

int mr_chan_commit(struct mr_chan *c, size_t len)
{
    int rc = mr__chan_commit_fast(c, len);
    return MR_LIKELY(rc != MR__CHAN_SLOW) ? rc : commit_slow(c, len);
}

static MR__NOINLINE ssize_t send_slow(struct mr_chan *c, struct mr_region msg, int timeout_ms)
{
    int rc = room_wait(c, msg.len, timeout_ms);
    if (rc < 0)
        return rc;
    mr__chan_copy(at(c, c->pos) + MR_CHAN_MSG_OVERHEAD, msg.ptr, msg.len);
    mr__chan_put(c, c->state, c->hdr, c->pos, msg.len);
    return (ssize_t)msg.len;
}

ssize_t mr__chan_send_out(struct mr_chan *c, void *p, size_t n, unsigned f, int t)
{
    return send_slow(c, (struct mr_region){ p, n, f }, t);
}

/* The wake after a publish or a release, kept out of the fast paths (which
 * then need no registers of their own) and returning what they return. */
static MR__NOINLINE ssize_t wake_then(struct mr_chan *c, size_t off, ssize_t rc)
{
    mr__chan_wake(c, off);
    return rc;
}

/* mr_chan_send and mr_chan_recv are leaves while the peer keeps up: a copy
 * of more than 64 bytes, a wake and everything unusual are tail calls. */
ssize_t mr_chan_send(struct mr_chan *c, struct mr_region msg, int timeout_ms)
{
    uint64_t pos;
    if (MR_UNLIKELY(msg.len > 64 || !mr__chan_room(c, msg.len, timeout_ms, &pos)))
        return send_slow(c, msg, timeout_ms);
    unsigned st = c->state;
    unsigned char *hdr = c->hdr;
    mr__chan_copy(at(c, pos) + MR_CHAN_MSG_OVERHEAD, msg.ptr, msg.len);
    if (MR_UNLIKELY(mr__chan_publish(c, st, hdr, pos, msg.len)))
        return wake_then(c, H_CONS_WAIT, (ssize_t)msg.len);
    return (ssize_t)msg.len;
}

/* ---- batches: docs/chan.md, "Batches" -------------------------------------- */

/* The batch calls' checks of the end and of their own arguments. */
static int batch_ok(const struct mr_chan *c, unsigned role, size_t n, int timeout_ms)
{
    int rc = end_usable(c, role, timeout_ms);
    if (rc < 0)
        return rc;
    return n == 0 || n > BATCH_MAX ? -EINVAL : 0;
}

/* Is there room for one more record of rec bytes after end? A look at the
 * tail (load_peer) only when the room seen so far ends short of it. */
static bool room_for(struct mr_chan *c, uint64_t end, uint64_t rec)
{
    if (end + rec <= c->limit)
        return true;
    return load_peer(c) == 0 && end + rec <= c->limit;
}

/* Publish the k records from the producer's index to end, whose headers
 * 1..k-1 are written: a zero header past the last, then the first's word
 * (the consumer reads none of the others before it), then P2. */
static void put_batch(struct mr_chan *c, uint64_t end, uint64_t k, uint64_t bytes, size_t len0)
{
    unsigned char *h = at(c, c->pos);
    __atomic_store_n(mr__chan_u64(at(c, end)), 0, __ATOMIC_RELAXED);
    MR__WAKE_PUBLISH(mr__chan_u64(h), mr__chan_word(len0), light(c));
    c->pos = end;
    c->stats.messages += k;
    c->stats.bytes += bytes;
    if (MR_UNLIKELY(mr__chan_sleeping(c, H_CONS_WAIT)))
        mr__chan_wake(c, H_CONS_WAIT);
}

/* How many records of rec bytes (at most n, at least the one room() found)
 * fit from the producer's index, the tail looked at again once if not all
 * do (which may break the end: the caller checks). */
static size_t fit(struct mr_chan *c, uint64_t rec, size_t n)
{
    uint64_t k = (c->limit - c->pos) / rec;
    if (k < n && load_peer(c) == 0)
        k = (c->limit - c->pos) / rec;
    return k < n ? (size_t)k : n;
}

int mr_chan_reserve_n(struct mr_chan *c, size_t len, struct mr_region out[], size_t n,
                      int timeout_ms)
{
    int rc = batch_ok(c, MR_CHAN_PRODUCER, n, timeout_ms);
    unsigned char *h;
    if (rc < 0 || (rc = room(c, len, timeout_ms, &h)) < 0)
        return rc;
    uint64_t rec = record_size(len);
    size_t k = fit(c, rec, n);
    if (c->state & ST_BROKEN)
        return -EPROTO;
    unsigned char *p = h + MR_CHAN_MSG_OVERHEAD; /* within a lap: contiguous */
    for (size_t i = 0; i < k; i++, p += rec)
        out[i] = (struct mr_region){ p, len, 0 };
    c->state |= k == 1 ? ST_PENDING : ST_BATCH;
    c->pending = (size_t)(k * rec);
    c->pending_len = len;
    return (int)k;
}

int mr_chan_commit_n(struct mr_chan *c, size_t k)
{
    if (MR_UNLIKELY(c->hdr == NULL || c->role != MR_CHAN_PRODUCER || !(c->state & ST_HELD)))
        return finish_error(c, MR_CHAN_PRODUCER);
    uint64_t rec = record_size(c->pending_len);
    if (k == 0 || k > c->pending / rec)
        return -ERANGE;
    uint64_t w = mr__chan_word(c->pending_len);
    unsigned char *r = at(c, c->pos); /* within a lap: contiguous */
    for (size_t i = 1; i < k; i++)
        __atomic_store_n(mr__chan_u64(r + i * rec), w, __ATOMIC_RELAXED);
    unhold(c);
    put_batch(c, c->pos + k * rec, k, (uint64_t)k * c->pending_len, c->pending_len);
    return 0;
}

/* send_n and send_fixed_n: up to n messages, the i-th of len(i) bytes
 * copied from src(i). */
struct source {
    const struct mr_region *msgs;
    const unsigned char *base;
    size_t len;
};

static inline size_t src_len(const struct source *s, size_t i)
{
    return s->msgs ? s->msgs[i].len : s->len;
}

static inline const void *src_ptr(const struct source *s, size_t i)
{
    return s->msgs ? s->msgs[i].ptr : s->base + i * s->len;
}

MR_INLINE ssize_t send_batch(struct mr_chan *c, const struct source *s, size_t n, int timeout_ms)
{
    int rc = batch_ok(c, MR_CHAN_PRODUCER, n, timeout_ms);
    unsigned char *h;
    if (rc < 0 || (rc = room(c, src_len(s, 0), timeout_ms, &h)) < 0)
        return rc;
    uint64_t end = c->pos, bytes = 0;
    size_t k = 0;
    do {
        size_t len = src_len(s, k);
        uint64_t rec = record_size(len);
        if (k > 0 && (len > c->max_msg || !room_for(c, end, rec)))
            break;
        unsigned char *r = h + (end - c->pos); /* within a lap: contiguous */
        mr__chan_copy(r + MR_CHAN_MSG_OVERHEAD, src_ptr(s, k), len);
        if (k > 0)
            __atomic_store_n(mr__chan_u64(r), mr__chan_word(len), __ATOMIC_RELAXED);
        end += rec;
        bytes += len;
    } while (++k < n);
    if (c->state & ST_BROKEN)
        return -EPROTO;
    put_batch(c, end, k, bytes, src_len(s, 0));
    return (ssize_t)k;
}

ssize_t mr_chan_send_n(struct mr_chan *c, const struct mr_region msgs[], size_t n, int timeout_ms)
{
    struct source s = { msgs, NULL, 0 };
    return send_batch(c, &s, n, timeout_ms);
}

/* send_fixed_n's copies for a len known to lie in [lo, hi], so that the
 * copy's choice by size is made once per batch, not once per message. */
MR_INLINE void fixed_out(struct mr_chan *c, const unsigned char *src, size_t len,
                                        size_t k, size_t lo, size_t hi)
{
    if (len < lo || len > hi)
        __builtin_unreachable();
    /* The batch lies within a lap from the producer's index: contiguous in
     * the ring's two views. */
    uint64_t rec = record_size(len), w = mr__chan_word(len);
    unsigned char *r = at(c, c->pos);
    mr__chan_copy(r + MR_CHAN_MSG_OVERHEAD, src, len);
    for (size_t i = 1; i < k; i++) {
        r += rec;
        src += len;
        mr__chan_copy(r + MR_CHAN_MSG_OVERHEAD, src, len);
        __atomic_store_n(mr__chan_u64(r), w, __ATOMIC_RELAXED);
    }
}

ssize_t mr_chan_send_fixed_n(struct mr_chan *c, const void *src, size_t len, size_t n,
                             int timeout_ms)
{
    int rc = batch_ok(c, MR_CHAN_PRODUCER, n, timeout_ms);
    unsigned char *h;
    if (rc < 0 || (rc = room(c, len, timeout_ms, &h)) < 0)
        return rc;
    /* As many as fit now, the tail looked at again once if not all do. */
    uint64_t rec = record_size(len);
    size_t k = fit(c, rec, n);
    if (c->state & ST_BROKEN)
        return -EPROTO;
    if (len > 64)
        fixed_out(c, src, len, k, 65, SIZE_MAX);
    else if (len > 32)
        fixed_out(c, src, len, k, 33, 64);
    else if (len > 16)
        fixed_out(c, src, len, k, 17, 32);
    else
        fixed_out(c, src, len, k, 0, 16);
    put_batch(c, c->pos + k * rec, k, k * len, len);
    return (ssize_t)k;
}

/* ==== consuming ===================================================================== */

/* Why there is no record to peek now, or 0 once a wait found one, 1 if
 * one is peeked already: it is then held, c->pending_len its length. */
static int record_wait(struct mr_chan *c, int timeout_ms)
{
    int rc = end_usable(c, MR_CHAN_CONSUMER, timeout_ms);
    if (rc < 0)
        return rc;
    if (c->state & ST_BATCH)
        return -EBUSY;
    if (c->state & ST_PENDING)
        return 1;
    rc = chan_wait(c, 0, timeout_ms);
    return rc < 0 ? rc : parse_record(c);
}

/* The record at the consumer's index, its length checked: 0 (1 if it was
 * peeked before this call), *h and *len, with the record held if the
 * general path found it; or the error. */
MR_INLINE int record(struct mr_chan *c, int timeout_ms, const unsigned char **h,
                                    uint32_t *len)
{
    uint64_t pos, n;
    *h = at(c, c->pos);
    if (MR_LIKELY(mr__chan_next(c, timeout_ms, &pos, &n))) {
        *len = (uint32_t)n;
        return 0;
    }
    int rc = record_wait(c, timeout_ms);
    if (rc < 0)
        return rc;
    *len = (uint32_t)c->pending_len;
    return rc;
}

static MR__NOINLINE int peek_slow(struct mr_chan *c, int timeout_ms, struct mr_region *out)
{
    int rc = record_wait(c, timeout_ms);
    if (rc < 0)
        return rc;
    *out = (struct mr_region){ at(c, c->pos) + MR_CHAN_MSG_OVERHEAD, c->pending_len, MR_REGION_RDONLY };
    return 0;
}

int mr_chan_peek(struct mr_chan *c, int timeout_ms, struct mr_region *out)
{
    int rc = mr__chan_peek_fast(c, timeout_ms, out);
    return MR_LIKELY(rc != MR__CHAN_SLOW) ? rc : peek_slow(c, timeout_ms, out);
}

/* Free the held records: their bytes, how many, and their payload. */
static void drop_held(struct mr_chan *c)
{
    c->pos += c->pending;
    c->stats.messages += c->limit;
    c->stats.bytes += c->pending_len;
    unhold(c);
    MR__WAKE_PUBLISH(w64(c, H_TAIL), c->pos, light(c));
    if (MR_UNLIKELY(mr__chan_sleeping(c, H_PROD_WAIT)))
        mr__chan_wake(c, H_PROD_WAIT);
}

static MR__NOINLINE int release_slow(struct mr_chan *c)
{
    if (c->hdr == NULL || c->role != MR_CHAN_CONSUMER || !(c->state & ST_HELD))
        return finish_error(c, MR_CHAN_CONSUMER);
    drop_held(c);
    return 0;
}

int mr_chan_release(struct mr_chan *c)
{
    int rc = mr__chan_release_fast(c);
    return MR_LIKELY(rc != MR__CHAN_SLOW) ? rc : release_slow(c);
}

static MR__NOINLINE ssize_t recv_slow(struct mr_chan *c, struct mr_region buf, int timeout_ms)
{
    if (mr_region_is_ro(buf))
        return c->hdr == NULL ? -EBADF : -EACCES;
    int rc = record_wait(c, timeout_ms);
    if (rc < 0)
        return rc;
    size_t len = c->pending_len; /* held now, and stays if buf is too short */
    if (len > buf.len)
        return -EMSGSIZE;
    mr__chan_copy(buf.ptr, at(c, c->pos) + MR_CHAN_MSG_OVERHEAD, len);
    unhold(c);
    mr__chan_drop(c, c->state, c->hdr, c->pos, len);
    return (ssize_t)len;
}

ssize_t mr__chan_recv_out(struct mr_chan *c, void *p, size_t n, unsigned f, int t)
{
    return recv_slow(c, (struct mr_region){ p, n, f }, t);
}

ssize_t mr_chan_recv(struct mr_chan *c, struct mr_region buf, int timeout_ms)
{
    uint64_t pos, len;
    if (MR_UNLIKELY(!mr__chan_next(c, timeout_ms, &pos, &len) || len > buf.len || len > 64 ||
                    (buf.flags & MR_REGION_RDONLY)))
        return recv_slow(c, buf, timeout_ms);
    unsigned st = c->state;
    unsigned char *hdr = c->hdr;
    mr__chan_copy(buf.ptr, at(c, pos) + MR_CHAN_MSG_OVERHEAD, (size_t)len);
    if (MR_UNLIKELY(mr__chan_free(c, st, hdr, pos, (size_t)len)))
        return wake_then(c, H_PROD_WAIT, (ssize_t)len);
    return (ssize_t)len;
}

/* ---- batches ---------------------------------------------------------------- */

/* The consumer's batch: the first record found as a single call finds it
 * (waiting for it, and checking the header), then each further record
 * whose word says committed with a length of at most max_msg, loaded once
 * each, while the records fit in a lap (a forged chain of records cannot
 * make one region overlap another) and take(ctx, i, record, len) says yes
 * (1; 0 ends the batch before record i; it is never called again for the
 * record it refused). The records are held as peeked: how many in
 * c->limit. Returns that count, or the first record's error. */
MR_INLINE ssize_t walk(struct mr_chan *c, size_t n, int timeout_ms,
                    int (*take)(void *ctx, size_t i, const unsigned char *rec, uint32_t len), void *ctx)
{
    const unsigned char *h;
    uint32_t len;
    int rc = record(c, timeout_ms, &h, &len);
    if (rc < 0)
        return rc;
    /* A record peeked before this call was checked then, with the header;
     * the next ones are new: not without the header checked now. */
    if (rc > 0 && !header_intact(c))
        n = 1;
    if (!take(ctx, 0, h + MR_CHAN_MSG_OVERHEAD, len)) {
        hold_record(c, len);
        return 0;
    }
    /* Within a lap from h: contiguous; stop is where the lap ends. */
    uint64_t off = record_size(len), bytes = len;
    uint64_t stop = c->capacity - MR_CHAN_MSG_OVERHEAD, max = c->max_msg;
    size_t k = 1;
    for (; k < n; k++) {
        const unsigned char *r = h + off;
        /* Its length if the commit word is 1 and the length at most
         * max_msg; else above max_msg. */
        uint64_t l = word_le(__atomic_load_n(mr__chan_u64(r), __ATOMIC_ACQUIRE)) ^ (uint64_t)1 << 32;
        if (l > max || off + record_size(l) > stop || !take(ctx, k, r + MR_CHAN_MSG_OVERHEAD, (uint32_t)l))
            break;
        off += record_size(l);
        bytes += l;
    }
    uint64_t end = c->pos + off;
    c->state = (c->state & ~ST_HELD) | (k == 1 ? ST_PENDING : ST_BATCH);
    c->pending = (size_t)(end - c->pos);
    c->pending_len = (size_t)bytes;
    c->limit = k;
    return (ssize_t)k;
}

MR_INLINE int take_peek(void *ctx, size_t i, const unsigned char *p, uint32_t len)
{
    struct mr_region *out = ctx;
    out[i] = (struct mr_region){ (void *)(uintptr_t)p, len, MR_REGION_RDONLY };
    return 1;
}

int mr_chan_peek_n(struct mr_chan *c, struct mr_region out[], size_t n, int timeout_ms)
{
    int rc = batch_ok(c, MR_CHAN_CONSUMER, n, timeout_ms);
    if (rc < 0)
        return rc;
    if (c->state & ST_HELD)
        return -EBUSY;
    return (int)walk(c, n, timeout_ms, take_peek, out);
}

MR_INLINE int take_recv(void *ctx, size_t i, const unsigned char *p, uint32_t len)
{
    struct mr_region *bufs = ctx;
    if (len > bufs[i].len)
        return 0;
    mr__chan_copy(bufs[i].ptr, p, len);
    bufs[i].len = len;
    return 1;
}

/* A walk that copied its records out: free them, or say why the first one
 * stays. */
static ssize_t recv_done(struct mr_chan *c, ssize_t k, int refused)
{
    if (k <= 0)
        return k < 0 ? k : refused;
    drop_held(c);
    return k;
}

ssize_t mr_chan_recv_n(struct mr_chan *c, struct mr_region bufs[], size_t n, int timeout_ms)
{
    int rc = batch_ok(c, MR_CHAN_CONSUMER, n, timeout_ms);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < n; i++)
        if (mr_region_is_ro(bufs[i]))
            return -EACCES;
    return recv_done(c, walk(c, n, timeout_ms, take_recv, bufs), -EMSGSIZE);
}

/* recv_fixed_n's walk past the first record (known to be len bytes) for a
 * len known to lie in [lo, hi]: each further record's word loaded once and
 * taken only if it is exactly a committed record of len bytes, at most max
 * records in all (a lap). Copies them all; returns how many. */
MR_INLINE size_t fixed_in(struct mr_chan *c, unsigned char *dst, size_t len,
                                         size_t max, size_t lo, size_t hi)
{
    if (len < lo || len > hi)
        __builtin_unreachable();
    /* At most a lap from the consumer's index: contiguous in the ring's two
     * views. */
    uint64_t rec = record_size(len), w = mr__chan_word(len);
    const unsigned char *r = at(c, c->pos);
    size_t k = 1;
    mr__chan_copy(dst, r + MR_CHAN_MSG_OVERHEAD, len);
    for (; k < max; k++) {
        r += rec;
        dst += len;
        if (__atomic_load_n(mr__chan_u64(r), __ATOMIC_ACQUIRE) != w)
            break;
        mr__chan_copy(dst, r + MR_CHAN_MSG_OVERHEAD, len);
    }
    return k;
}

ssize_t mr_chan_recv_fixed_n(struct mr_chan *c, void *dst, size_t len, size_t n, int timeout_ms)
{
    int rc = batch_ok(c, MR_CHAN_CONSUMER, n, timeout_ms);
    const unsigned char *h;
    uint32_t len0;
    if (rc < 0 || (rc = record(c, timeout_ms, &h, &len0)) < 0)
        return rc;
    if (len0 != len) {
        hold_record(c, len0);
        return -EBADMSG;
    }
    uint64_t lap = (c->capacity - MR_CHAN_MSG_OVERHEAD) / record_size(len);
    size_t max = n < lap ? n : (size_t)lap, k;
    if (rc > 0 && !header_intact(c))
        max = 1; /* peeked before this call: see walk */
    if (len > 64)
        k = fixed_in(c, dst, len, max, 65, SIZE_MAX);
    else if (len > 32)
        k = fixed_in(c, dst, len, max, 33, 64);
    else if (len > 16)
        k = fixed_in(c, dst, len, max, 17, 32);
    else
        k = fixed_in(c, dst, len, max, 0, 16);
    c->state = (c->state & ~ST_HELD) | ST_BATCH;
    c->pending = (size_t)(k * record_size(len));
    c->pending_len = k * len;
    c->limit = k;
    drop_held(c);
    return (ssize_t)k;
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
    int rc = peer_end(c);
    if (rc < 0)
        return rc;
    if (mr__watch_gone(c->pidfd, c->sockfd)) {
        c->state |= ST_PEER_GONE;
        return peer_end(c);
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
    return c->hdr ? c->fd : -EBADF;
}
