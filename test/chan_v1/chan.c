/* SPDX-License-Identifier: MIT */
/* src/chan.c: the SPSC channel's record protocol: a ring in a sealed
 * memfd, records with commit words, and checks on everything the peer can
 * write; built on the core of src/chan_internal.h (the double-mapped ring,
 * sleep/wake, peer watching, handover). The design argument is in
 * docs/chan.md; this file keeps the layout and the invariants it relies
 * on, each with the section that argues it. */
#include "chan_internal.h"

#include <memregion/shm.h>

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
#define ST_LIGHT 0x4u     /* the channel's mode is MODE_MEMBARRIER */

/* docs/chan.md, "Waiting, and the lost wake-up". */
#define MODE_MEMBARRIER 0u
#define MODE_FENCED 1u

static inline uint64_t *w64(const struct mr_chan *c, size_t off)
{
    return (uint64_t *)(void *)(c->hdr + off);
}

static inline uint32_t *w32(const struct mr_chan *c, size_t off)
{
    return (uint32_t *)(void *)(c->hdr + off);
}

static inline bool is_producer(const struct mr_chan *c) { return c->role == MR_CHAN_PRODUCER; }
static inline bool light(const struct mr_chan *c) { return (c->state & ST_LIGHT) != 0; }
static inline size_t own_closed(const struct mr_chan *c) { return is_producer(c) ? H_PROD_CLOSED : H_CONS_CLOSED; }
static inline size_t peer_closed(const struct mr_chan *c) { return is_producer(c) ? H_CONS_CLOSED : H_PROD_CLOSED; }
static inline size_t own_wait(const struct mr_chan *c) { return is_producer(c) ? H_PROD_WAIT : H_CONS_WAIT; }
static inline size_t peer_wait(const struct mr_chan *c) { return is_producer(c) ? H_CONS_WAIT : H_PROD_WAIT; }

static inline uint64_t record_size(size_t len)
{
    return MR_CHAN_MSG_OVERHEAD + (((uint64_t)len + (MR_CHAN_MSG_ALIGN - 1)) & ~(uint64_t)(MR_CHAN_MSG_ALIGN - 1));
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
    c->state |= ST_BROKEN;
    c->pending = 0;
    return -EPROTO;
}

/* ==== checking what the peer wrote (docs/chan.md, "The peer is hostile") ===== */

/* The fields written once at creation still hold what this end verified at
 * attach. */
static inline bool header_intact(const struct mr_chan *c)
{
    uint32_t page = (uint32_t)((size_t)(c->ring - c->hdr) / 2);
    uint32_t mode = (c->state & ST_LIGHT) ? MODE_MEMBARRIER : MODE_FENCED;
    return __atomic_load_n(w64(c, H_MAGIC), __ATOMIC_RELAXED) == CHAN_MAGIC &&
           __atomic_load_n(w32(c, H_VERSION), __ATOMIC_RELAXED) == CHAN_VERSION &&
           __atomic_load_n(w32(c, H_HDR_SIZE), __ATOMIC_RELAXED) == page &&
           __atomic_load_n(w64(c, H_CAPACITY), __ATOMIC_RELAXED) == c->capacity &&
           __atomic_load_n(w32(c, H_MODE), __ATOMIC_RELAXED) == mode;
}

/* The producer's look at the tail: accepted only if old tail <= tail <=
 * pos and 8-aligned. seq_cst: S2 of the sleep protocol. The header is
 * checked when the tail moved, before anything new is used, not on every
 * empty poll. */
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

/* The commit word at the consumer's index, loaded once: 1, the record is
 * there (an acquire: so are its bytes); 0, not yet; else -EPROTO. seq_cst:
 * S2 of the sleep protocol. */
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
        /* One more look: the producer's last commit came before its close
         * (docs/chan.md, "What it guarantees": closing). */
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

/* The record at pos, whose commit word consumer_ready saw at 1: its length,
 * read once, at most max_msg. */
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

/* Wait until ready(c, need) or timeout_ms. */
static int chan_wait(struct mr_chan *c, uint64_t need, int timeout_ms)
{
    int rc = ready(c, need);
    if (rc != 0)
        return rc < 0 ? rc : 0;
    if (timeout_ms == 0)
        return -EAGAIN;
    struct want want = { c, need };
    struct mr__waiter w = {
        .word = w32(c, own_wait(c)),
        .light = light(c),
        .ready = want_ready,
        .check = want_check,
        .ctx = &want,
        .spin_ns = &c->spin_ns,
        .waits = &c->stats.waits,
        .sleeps = &c->stats.sleeps,
    };
    return mr__wait(&w, mr__deadline(timeout_ms));
}

/* P2 for the peer, off the fast paths. */
static void wake_peer(struct mr_chan *c)
{
    mr__wake_check(w32(c, peer_wait(c)), light(c), &c->stats.wakes);
}

/* ==== mapping ================================================================ */

static int chan_map(struct mr_chan *c, int fd, size_t cap)
{
    struct mr__ring r;
    /* The consumer only reads the ring: a stray write of its own faults
     * instead of corrupting messages. */
    int rprot = c->role == MR_CHAN_PRODUCER ? PROT_READ | PROT_WRITE : PROT_READ;
    int rc = mr__ring_map(&r, fd, mr__page_size(), PROT_READ | PROT_WRITE, cap, rprot);
    if (rc < 0)
        return rc;
    c->base = r.base;
    c->base_len = r.len;
    c->hdr = r.hdr;
    c->ring = r.ring;
    c->capacity = cap;
    c->max_msg = cap - 2 * MR_CHAN_MSG_OVERHEAD;
    c->spin_ns = MR__WAKE_SPIN_MAX_NS;
    return 0;
}

static void chan_unmap(struct mr_chan *c)
{
    struct mr__ring r = { .base = c->base, .len = c->base_len, .hdr = c->hdr, .ring = c->ring };
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
    /* Last, a release: an attacher by name that sees the magic sees a whole
     * header (docs/chan.md, "Shared layout"). */
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
    /* A write seal would make the writable mapping fail with EPERM: no
     * working channel can live in such an object. */
    int seals = mr_shm_seal_get(shm);
    if (seals > 0 && (seals & (MR_SEAL_WRITE | MR_SEAL_FUTURE_WRITE)))
        return -EPROTO;
    /* Seals before the size: only SHRINK keeps it from dropping under the
     * mapping (docs/chan.md, "Sealing"). */
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
    if ((flags & ~MR_CHAN_NO_SEALS) || !role_ok((int)role) || (capacity != 0 && !capacity_ok(capacity)))
        return -EINVAL;
    struct mr_shm shm;
    int rc = mr_shm_adopt_fd(&shm, fd);
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
    if ((flags & ~MR_CHAN_NO_SEALS) || !role_ok((int)role) ||
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
 * Each call has an inline fast path, the whole call while the peer keeps
 * up; anything unusual takes the general path, which decides again from
 * the start: the fast path changes nothing before it commits to an answer
 * (docs/chan.md, "The busy round trip"). */

/* The record at the producer's index, if there is room for len bytes (and
 * the next record's commit word) without waiting and nothing stands in the
 * way; NULL otherwise. */
static inline unsigned char *room_now(struct mr_chan *c, size_t len, int timeout_ms)
{
    if (MR_UNLIKELY(c->role != MR_CHAN_PRODUCER || c->hdr == NULL || c->pending != 0 ||
                    (c->state & (ST_BROKEN | ST_PEER_GONE)) != 0 || len > c->max_msg ||
                    !mr__timeout_ok(timeout_ms)))
        return NULL;
    if (c->pos + record_size(len) + MR_CHAN_MSG_OVERHEAD - c->peer > c->capacity)
        return NULL;
    if (__atomic_load_n(w32(c, H_CONS_CLOSED), __ATOMIC_SEQ_CST) != 0)
        return NULL;
    return c->ring + (c->pos & (c->capacity - 1));
}

/* Publish the record at h, the producer's index, with len bytes: the next
 * record's commit word to 0, then this one's to 1 (P1), then P2. */
static inline void put_record(struct mr_chan *c, unsigned char *h, size_t len)
{
    uint64_t rec = record_size(len);
    __atomic_store_n((uint32_t *)(void *)h, (uint32_t)len, __ATOMIC_RELAXED);
    __atomic_store_n((uint32_t *)(void *)(h + rec + 4), 0, __ATOMIC_RELAXED);
    MR__WAKE_PUBLISH((uint32_t *)(void *)(h + 4), 1u, light(c));
    c->pos += rec;
    c->stats.messages++;
    c->stats.bytes += len;
    __atomic_store_n(w64(c, H_HEAD), c->pos, __ATOMIC_RELEASE);
    mr__wake_check(w32(c, H_CONS_WAIT), light(c), &c->stats.wakes);
}

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

/* Why a commit or release finds nothing to finish (broken() dropped what
 * a broken end had pending). */
static int finish_error(const struct mr_chan *c, unsigned role)
{
    if (c->hdr == NULL || c->role != role)
        return -EBADF;
    return (c->state & ST_BROKEN) ? -EPROTO : -EINVAL;
}

int mr_chan_commit(struct mr_chan *c, size_t len)
{
    if (MR_UNLIKELY(c->hdr == NULL || c->role != MR_CHAN_PRODUCER || c->pending == 0))
        return finish_error(c, MR_CHAN_PRODUCER);
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
                    (c->state & ST_BROKEN) != 0 || !mr__timeout_ok(timeout_ms)))
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

/* Free the record of n bytes at the consumer's index: the tail is P1 (at
 * least a release: our reads of the record come before the producer may
 * overwrite it), then P2. */
static inline void drop_record(struct mr_chan *c, size_t n)
{
    c->pos += record_size(n);
    c->stats.messages++;
    c->stats.bytes += n;
    MR__WAKE_PUBLISH(w64(c, H_TAIL), c->pos, light(c));
    mr__wake_check(w32(c, H_PROD_WAIT), light(c), &c->stats.wakes);
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
    if (MR_UNLIKELY(c->hdr == NULL || c->role != MR_CHAN_CONSUMER || c->pending == 0))
        return finish_error(c, MR_CHAN_CONSUMER);
    c->pending = 0;
    drop_record(c, c->pending_len);
    return 0;
}

ssize_t mr_chan_recv(struct mr_chan *c, struct mr_region buf, int timeout_ms)
{
    if (MR_UNLIKELY(mr_region_is_ro(buf)))
        return c->hdr == NULL ? -EBADF : -EACCES;
    const unsigned char *h;
    uint32_t len;
    int rc = record(c, timeout_ms, &h, &len);
    if (rc < 0)
        return rc;
    if (len > buf.len) {
        hold_record(c, len); /* it stays, peeked, for a larger buf */
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
    if (mr__watch_gone(c->pidfd, c->sockfd)) {
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
    return c->hdr ? c->fd : -EBADF;
}
