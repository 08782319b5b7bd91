/* SPDX-License-Identifier: MIT */
/* src/topic_sub.c: a topic's subscriber: attaching by name (the two
 * objects checked and mapped: the data read-only, the control page
 * read-write), reading records in place with every check, being lapped
 * (latest) or dropped (reliable), waiting on the header's wake word, and
 * releasing. Layouts are in src/topic_internal.h, the argument in
 * docs/topic.md. */
#include "topic_internal.h"

#include <memregion/shm.h>

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>


static uint64_t hload(const struct mr_topic_sub *s, size_t off, int order)
{
    return __atomic_load_n(mr__topic_u64(s->hdr, off), order);
}

/* ==== attaching ================================================================ */

/* Adopt fd as an object of exactly size bytes carrying our seals. */
static int adopt(struct mr_shm *shm, int fd, uint64_t size)
{
    int rc = mr_shm_adopt_fd(shm, fd);
    if (rc < 0) {
        mr__sys_close(fd);
        return rc;
    }
    struct mr_shm_stat st;
    if ((rc = mr_shm_require_seals(shm, MR_SEAL_SHRINK | MR_SEAL_GROW, 0, NULL)) < 0 ||
        (rc = mr_shm_stat(shm, &st)) < 0 || st.size != size) {
        mr_shm_close(shm);
        return rc < 0 ? rc : -EPROTO;
    }
    return 0;
}

static int sub_free(struct mr_topic_sub *s)
{
    size_t page = mr__page_size();
    if (s->hdr) {
        struct mr__ring r = mr__ring_at(s->hdr, page, s->cap);
        mr__ring_unmap(&r);
    }
    if (s->ctl)
        mr__sys_munmap(s->ctl, page);
    if (s->pidfd >= 0)
        mr__sys_close(s->pidfd);
    int rc = mr_svc_conn_close(&s->conn);
    free(s);
    return rc;
}

static int map_data(struct mr_topic_sub *s, const struct mr__topic_greet *g, int fd)
{
    size_t page = mr__page_size();
    if (g->version != MR__TOPIC_VERSION || g->policy > MR_TOPIC_LATEST || g->mode > 1 ||
        g->capacity < MR_CHAN_CAPACITY_MIN || g->capacity > MR_CHAN_CAPACITY_MAX ||
        !mr__is_pow2((size_t)g->capacity) || (g->start & 7) != 0) {
        mr__sys_close(fd);
        return -EPROTO;
    }
    struct mr_shm shm;
    int rc = adopt(&shm, fd, page + g->capacity);
    if (rc < 0)
        return rc;
    struct mr__ring r;
    rc = mr__ring_map(&r, shm.fd, page, PROT_READ, (size_t)g->capacity, PROT_READ, false);
    mr_shm_close(&shm);
    if (rc < 0)
        return rc;
    s->hdr = r.hdr;
    s->ring = r.ring;
    s->cap = (size_t)g->capacity;
    s->mask = s->cap - 1;
    s->max_msg = s->cap - 2 * MR_TOPIC_MSG_OVERHEAD;
    s->policy = g->policy;
    s->light = g->mode == 0;
    s->pos = g->start;
    s->seq = g->start_seq;
    if (hload(s, MR__TOPIC_H_MAGIC, __ATOMIC_ACQUIRE) != MR__TOPIC_MAGIC ||
        __atomic_load_n(mr__topic_u32(s->hdr, MR__TOPIC_H_VERSION), __ATOMIC_RELAXED) != MR__TOPIC_VERSION ||
        __atomic_load_n(mr__topic_u32(s->hdr, MR__TOPIC_H_POLICY), __ATOMIC_RELAXED) != g->policy ||
        __atomic_load_n(mr__topic_u32(s->hdr, MR__TOPIC_H_MODE), __ATOMIC_RELAXED) != g->mode ||
        hload(s, MR__TOPIC_H_CAPACITY, __ATOMIC_RELAXED) != g->capacity ||
        hload(s, MR__TOPIC_H_HEAD, __ATOMIC_ACQUIRE) < g->start)
        return -EPROTO;
    if (s->light && mr__wake_join() < 0)
        return -EOPNOTSUPP;
    return 0;
}

static int map_ctl(struct mr_topic_sub *s, int fd)
{
    size_t page = mr__page_size();
    struct mr_shm shm;
    int rc = adopt(&shm, fd, page);
    if (rc < 0)
        return rc;
    void *p = NULL;
    rc = mr__sys_mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, shm.fd, 0, &p);
    mr_shm_close(&shm);
    if (rc < 0)
        return rc;
    s->ctl = p;
    return 0;
}

int mr_topic_attach(struct mr_topic_sub **out, const char *name, const struct mr_topic_opts *opts,
                    int timeout_ms)
{
    if (!out)
        return -EINVAL;
    *out = NULL;
    if ((opts && (opts->flags & ~(unsigned)MR_TOPIC_ANY_UID)) || !mr__timeout_ok(timeout_ms))
        return -EINVAL;
    struct mr_topic_sub *s = calloc(1, sizeof *s);
    if (!s)
        return -ENOMEM;
    struct mr_svc_conn closed = MR_SVC_CONN_INIT;
    s->conn = closed;
    s->pidfd = -1;
    s->spin_ns = MR__WAKE_SPIN_MAX_NS;
    struct mr_svc_opts so = mr__topic_svc_opts(opts);
    int64_t deadline = mr__deadline(timeout_ms);
    int rc = mr_svc_connect(&s->conn, name, &so, timeout_ms);
    /* The publisher hands the objects over when it accepts us: wait for
     * that to the caller's deadline. */
    struct mr__topic_greet g;
    int fd = -1;
    if (rc == 0)
        rc = mr__handover_recv(&s->conn.sock, &g, sizeof g, MR__TOPIC_G_DATA_MAGIC, deadline, &fd);
    if (rc == 0 && g.status != 0) {
        mr__sys_close(fd);
        rc = g.status == EUSERS ? -EUSERS : -EPROTO;
    } else if (rc == 0) {
        rc = map_data(s, &g, fd);
    }
    struct mr__topic_greet_ctl gc;
    if (rc == 0)
        rc = mr__handover_recv(&s->conn.sock, &gc, sizeof gc, MR__TOPIC_G_CTL_MAGIC, deadline, &fd);
    if (rc == 0)
        rc = gc.version == MR__TOPIC_VERSION && gc.index == g.index ? map_ctl(s, fd) : (mr__sys_close(fd), -EPROTO);
    if (rc == 0) {
        int pfd = mr__watch_pid(s->conn.peer.pid);
        s->pidfd = pfd >= 0 ? pfd : -1;
    }
    if (rc == -ENOPROTOOPT)
        rc = -EPROTO;
    if (rc < 0) {
        sub_free(s);
        return rc;
    }
    *out = s;
    return 0;
}

int mr_topic_detach(struct mr_topic_sub *s)
{
    if (!s)
        return 0;
    if (s->ctl) {
        __atomic_store_n(mr__topic_u32(s->ctl, MR__TOPIC_C_LEFT), 1u, __ATOMIC_SEQ_CST);
        mr__wake(mr__topic_u32(s->ctl, MR__TOPIC_C_PUB_WAIT), 1, NULL);
    }
    return sub_free(s);
}

/* ==== reading ================================================================== */

/* Why there is nothing to read: 0 (wait), or the error to return. */
static int why_empty(struct mr_topic_sub *s)
{
    if (__atomic_load_n(mr__topic_u32(s->ctl, MR__TOPIC_C_DROPPED), __ATOMIC_ACQUIRE) != 0)
        return -ECONNABORTED;
    if (__atomic_load_n(mr__topic_u32(s->hdr, MR__TOPIC_H_CLOSED), __ATOMIC_ACQUIRE) != 0)
        return -EPIPE;
    if (s->state & MR__TOPIC_SUB_GONE)
        return -ECONNRESET;
    return 0;
}

/* Reliable: the record at our position, if published. Its word is 0
 * until then; one compare checks the rest (committed, our sequence
 * number, the length it gives). 1 with the length in *len, 0 when there is
 * none yet, -1 when the word says something else (we were dropped and it
 * was overwritten, or a lie). */
MR_INLINE int word_here(const struct mr_topic_sub *s, size_t *len)
{
    const uint64_t *p = mr__topic_u64(s->ring, s->pos & s->mask);
    uint64_t w = s->light ? __atomic_load_n(p, __ATOMIC_ACQUIRE) : __atomic_load_n(p, __ATOMIC_SEQ_CST);
    size_t l = mr__topic_len(w);
    if (MR_LIKELY(w == mr__topic_word(s->seq, l) && l <= s->max_msg)) {
        *len = l;
        return 1;
    }
    return w == 0 ? 0 : -1;
}

/* The next record: 1 with its length in *len (at s->pos), adding to *lost
 * the records skipped because they were overwritten; 0 when there is none
 * yet; or the error. What the publisher wrote is checked before use. */
static int next(struct mr_topic_sub *s, size_t *len, uint64_t *lost)
{
    if (s->state & MR__TOPIC_SUB_BROKEN)
        return -EPROTO;
    if (__atomic_load_n(mr__topic_u32(s->ctl, MR__TOPIC_C_DROPPED), __ATOMIC_RELAXED) != 0)
        return -ECONNABORTED;
    if (s->policy == MR_TOPIC_RELIABLE) {
        /* The publisher overwrites nothing we have not released while we
         * are live: no oldest to look at, and no head: the record's word
         * is 0 until it is published (the publisher zeroed it with the
         * record before), then says its length and sequence number. */
        int r = word_here(s, len);
        if (r >= 0)
            return r;
        goto dropped;
    }
    for (unsigned looks = 0;;) {
        uint64_t head = hload(s, MR__TOPIC_H_HEAD, s->light ? __ATOMIC_ACQUIRE : __ATOMIC_SEQ_CST);
        uint64_t pos = s->pos;
        if (head == pos)
            return 0;
        if (head < pos || (head & 7) != 0)
            goto broken;
        uint64_t g = hload(s, MR__TOPIC_H_OLDEST_GEN, __ATOMIC_ACQUIRE);
        uint64_t oldest = hload(s, MR__TOPIC_H_OLDEST, __ATOMIC_RELAXED);
        uint64_t oseq = hload(s, MR__TOPIC_H_OLDEST_SEQ, __ATOMIC_RELAXED);
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        if ((g & 1) || hload(s, MR__TOPIC_H_OLDEST_GEN, __ATOMIC_RELAXED) != g || oldest > head) {
            /* The publisher is moving oldest, or moved it past the head
             * we loaded: look again, a while; then nothing for now (ready
             * waits for the generation to settle). */
            if (++looks > 1000)
                return 0;
            mr__cpu_relax();
            continue;
        }
        if (pos < oldest) {
            /* Lapped: go on from the oldest record still there. */
            if (oseq < s->seq)
                goto broken;
            *lost += oseq - s->seq;
            s->stats.lost += oseq - s->seq;
            s->seq = oseq;
            s->pos = oldest;
            continue;
        }
        uint64_t w = __atomic_load_n(mr__topic_u64(s->ring, pos & s->mask), __ATOMIC_RELAXED);
        size_t l = mr__topic_len(w);
        if ((uint32_t)(w >> 32) != (uint32_t)s->seq || !(w & MR__TOPIC_COMMITTED) || l > s->max_msg ||
            pos + mr__topic_rec(l) > head) {
            /* Overwritten since we looked at oldest, or a lie. */
            __atomic_thread_fence(__ATOMIC_ACQUIRE);
            if (hload(s, MR__TOPIC_H_OLDEST, __ATOMIC_RELAXED) > pos)
                continue;
            goto broken;
        }
        *len = l;
        return 1;
    }
broken:
    s->state |= MR__TOPIC_SUB_BROKEN;
    return -EPROTO;
dropped:
    /* A reliable reader's record is overwritten only after it was dropped. */
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    return why_empty(s) == -ECONNABORTED ? -ECONNABORTED : (s->state |= MR__TOPIC_SUB_BROKEN, -EPROTO);
}

/* Were the bytes at s->pos still whole when we finished reading them?
 * The seqlock's reader side: the publisher moves oldest (latest), or
 * drops us (reliable), before it overwrites them. */
MR_INLINE bool still_whole(const struct mr_topic_sub *s)
{
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    if (s->policy == MR_TOPIC_RELIABLE)
        return __atomic_load_n(mr__topic_u32(s->ctl, MR__TOPIC_C_DROPPED), __ATOMIC_RELAXED) == 0;
    return hload(s, MR__TOPIC_H_OLDEST, __ATOMIC_RELAXED) <= s->pos;
}

/* ==== waiting ================================================================== */

/* Is there something at our position? What the publisher's P1 stored:
 * the record's word (reliable) or the head (latest). */
static bool has_next(const struct mr_topic_sub *s)
{
    if (s->policy == MR_TOPIC_RELIABLE)
        return __atomic_load_n(mr__topic_u64(s->ring, s->pos & s->mask), __ATOMIC_SEQ_CST) != 0;
    return hload(s, MR__TOPIC_H_HEAD, __ATOMIC_SEQ_CST) != s->pos &&
           (hload(s, MR__TOPIC_H_OLDEST_GEN, __ATOMIC_ACQUIRE) & 1) == 0;
}

static bool ready(struct mr_topic_sub *s)
{
    return has_next(s) || why_empty(s) != 0 || (s->state & MR__TOPIC_SUB_BROKEN);
}

static void look_at_peer(struct mr_topic_sub *s)
{
    if (mr__watch_gone(s->pidfd, s->conn.sock.fd))
        s->state |= MR__TOPIC_SUB_GONE;
}

static int wait_ready(void *ctx)
{
    return ready(ctx) ? 1 : 0;
}

static void wait_check(void *ctx)
{
    look_at_peer(ctx);
}

/* The channel's wait (src/chan_wake.c): spin for the adaptive budget,
 * yield, then sleep on the header's wake word after saying so in the
 * control page (docs/topic.md, "Wake-ups"), looking at the publisher
 * every MR_CHAN_DEATH_CHECK_MS: 0 when something may have changed,
 * -ETIMEDOUT. */
static int sub_wait(struct mr_topic_sub *s, int64_t deadline)
{
    struct mr__waiter w = { .word = mr__topic_u32(s->ctl, MR__TOPIC_C_SLEEP), .light = s->light,
                            .ready = wait_ready, .check = wait_check, .ctx = s,
                            .spin_ns = &s->spin_ns, .waits = &s->stats.waits,
                            .sleeps = &s->stats.sleeps, .futex = mr__topic_u32(s->hdr, MR__TOPIC_H_WAKE) };
    return mr__wait(&w, deadline);
}

/* ==== the calls ================================================================ */

/* Hand out the record at s->pos (len bytes), held until release: 0. */
MR_INLINE int held(struct mr_topic_sub *s, size_t len, struct mr_region *out)
{
    s->state |= MR__TOPIC_SUB_PEEKED;
    s->peek_len = len;
    out->ptr = s->ring + (s->pos & s->mask) + 8;
    out->len = len;
    out->flags = MR_REGION_RDONLY;
    return 0;
}

static MR__NOINLINE int peek_slow(struct mr_topic_sub *s, int timeout_ms, struct mr_region *out,
                                 uint64_t *lost)
{
    uint64_t l0 = 0;
    if (!s || !out || !mr__timeout_ok(timeout_ms))
        return -EINVAL;
    if (!lost)
        lost = &l0;
    *lost = 0;
    int64_t deadline = MR__NEVER;
    bool timed = false;
    size_t len = 0;
    for (;;) {
        int rc = next(s, &len, lost);
        if (rc < 0)
            return rc;
        if (rc > 0)
            break;
        if ((rc = why_empty(s)) < 0) {
            /* One more look: the last message may have come just before
             * the close (or the end) we saw. */
            int r = next(s, &len, lost);
            if (r <= 0)
                return r < 0 ? r : rc;
            break;
        }
        if (timeout_ms == 0)
            return -EAGAIN;
        if (!timed) {
            deadline = mr__deadline(timeout_ms);
            timed = true;
        }
        if ((rc = sub_wait(s, deadline)) < 0)
            return rc;
    }
    return held(s, len, out);
}

/* Step past the record at s->pos and tell the publisher: true when it
 * sleeps on us (then wake_pub). */
MR_INLINE bool step(struct mr_topic_sub *s, size_t len)
{
    uint64_t pos = s->pos + mr__topic_rec(len);
    bool light = s->light;
    unsigned char *ctl = s->ctl;
    s->pos = pos;
    s->seq++;
    s->stats.messages++;
    s->stats.bytes += len;
    MR__WAKE_PUBLISH(mr__topic_u64(ctl, MR__TOPIC_C_POS), pos, light);
    uint32_t *w = mr__topic_u32(ctl, MR__TOPIC_C_PUB_WAIT);
    return (light ? __atomic_load_n(w, __ATOMIC_RELAXED) : __atomic_load_n(w, __ATOMIC_SEQ_CST)) != 0;
}

static MR__NOINLINE void wake_pub(struct mr_topic_sub *s)
{
    mr__wake(mr__topic_u32(s->ctl, MR__TOPIC_C_PUB_WAIT), 1, &s->stats.wakes);
}

static void advance(struct mr_topic_sub *s, size_t len)
{
    if (MR_UNLIKELY(step(s, len)))
        wake_pub(s);
}

static MR__NOINLINE int release_slow(struct mr_topic_sub *s)
{
    if (!s)
        return -EINVAL;
    if (!(s->state & MR__TOPIC_SUB_PEEKED))
        return -EINVAL;
    s->state &= ~MR__TOPIC_SUB_PEEKED;
    bool whole = still_whole(s);
    advance(s, s->peek_len);
    if (!whole) {
        /* Stepped past, not received. */
        s->stats.messages--;
        s->stats.bytes -= s->peek_len;
        if (s->policy == MR_TOPIC_RELIABLE)
            return -ECONNABORTED;
        s->stats.lost++;
        return -ESTALE;
    }
    return 0;
}

static MR__NOINLINE ssize_t wake_then(struct mr_topic_sub *s, ssize_t rc)
{
    wake_pub(s);
    return rc;
}

/* The common cases are leaves, as mr_topic_recv's below: a reliable
 * subscriber not dropped whose record is there (peek), or that was not
 * dropped while it held it (release). */
int mr_topic_peek(struct mr_topic_sub *s, int timeout_ms, struct mr_region *out, uint64_t *lost)
{
    size_t len;
    if (MR_UNLIKELY(!s || !out || s->state != 0 || s->policy != MR_TOPIC_RELIABLE || timeout_ms < MR_FOREVER ||
                    __atomic_load_n(mr__topic_u32(s->ctl, MR__TOPIC_C_DROPPED), __ATOMIC_RELAXED) != 0 ||
                    word_here(s, &len) != 1))
        return peek_slow(s, timeout_ms, out, lost);
    if (lost)
        *lost = 0;
    return held(s, len, out);
}

int mr_topic_release(struct mr_topic_sub *s)
{
    if (MR_UNLIKELY(!s || s->state != MR__TOPIC_SUB_PEEKED || s->policy != MR_TOPIC_RELIABLE))
        return release_slow(s);
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    if (MR_UNLIKELY(__atomic_load_n(mr__topic_u32(s->ctl, MR__TOPIC_C_DROPPED), __ATOMIC_RELAXED) != 0))
        return release_slow(s);
    s->state = 0;
    if (MR_UNLIKELY(step(s, s->peek_len)))
        return (int)wake_then(s, 0);
    return 0;
}

/* Everything but the common case of mr_topic_recv: a latest
 * subscriber, a wait, a message that does not fit, a drop. */
static MR__NOINLINE ssize_t recv_slow(struct mr_topic_sub *s, struct mr_region buf, int timeout_ms,
                                     uint64_t *lost)
{
    uint64_t l0 = 0, more = 0;
    if (!lost)
        lost = &l0;
    *lost = 0;
    if (s && (buf.flags & MR_REGION_RDONLY))
        return -EACCES;
    /* A message there now, whole after the copy, without peek's and
     * release's checks twice. */
    size_t len;
    if (s && s->state == 0 && timeout_ms >= -1 && next(s, &len, lost) == 1 && len <= buf.len) {
        mr__chan_copy(buf.ptr, s->ring + (s->pos & s->mask) + 8, len);
        if (MR_LIKELY(still_whole(s))) {
            advance(s, len);
            return (ssize_t)len;
        }
    }
    for (;;) {
        struct mr_region r;
        int rc = mr_topic_peek(s, timeout_ms, &r, &more);
        *lost += more;
        if (rc < 0)
            return rc;
        if (r.len > buf.len)
            return -EMSGSIZE;
        mr__chan_copy(buf.ptr, r.ptr, r.len);
        rc = mr_topic_release(s);
        if (rc == 0)
            return (ssize_t)r.len;
        if (rc != -ESTALE)
            return rc;
        /* Torn while we copied: lost, and the next one is taken. */
        *lost += 1;
    }
}

/* The common case is a leaf: a reliable subscriber whose record of up to
 * 64 bytes (larger ones cost the copy) is there and fits looks at the record's word alone (the publisher overwrites it
 * only after dropping us, which the look at dropped after the copy sees;
 * the slow path then says so). */
ssize_t mr_topic_recv(struct mr_topic_sub *s, struct mr_region buf, int timeout_ms, uint64_t *lost)
{
    if (MR_UNLIKELY(!s || s->state != 0 || s->policy != MR_TOPIC_RELIABLE || timeout_ms < MR_FOREVER ||
                    (buf.flags & MR_REGION_RDONLY)))
        return recv_slow(s, buf, timeout_ms, lost);
    size_t len;
    if (MR_UNLIKELY(word_here(s, &len) != 1 || len > buf.len || len > 64))
        return recv_slow(s, buf, timeout_ms, lost);
    unsigned char *ctl = s->ctl;
    mr__chan_copy(buf.ptr, s->ring + (s->pos & s->mask) + 8, len);
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    if (MR_UNLIKELY(__atomic_load_n(mr__topic_u32(ctl, MR__TOPIC_C_DROPPED), __ATOMIC_RELAXED) != 0))
        return recv_slow(s, buf, timeout_ms, lost);
    if (lost)
        *lost = 0;
    if (MR_UNLIKELY(step(s, len)))
        return wake_then(s, (ssize_t)len);
    return (ssize_t)len;
}

/* ==== polling ================================================================== */

int mr_topic_event_fd(const struct mr_topic_sub *s)
{
    return s ? s->conn.sock.fd : -EINVAL;
}

int mr_topic_arm(struct mr_topic_sub *s)
{
    if (!s)
        return -EINVAL;
    if (s->state & MR__TOPIC_SUB_PEEKED)
        return 1;
    uint64_t spin = 0;
    struct mr__waiter w = { .word = mr__topic_u32(s->ctl, MR__TOPIC_C_SLEEP), .light = s->light,
                            .ready = wait_ready, .ctx = s, .spin_ns = &s->spin_ns, .waits = &spin,
                            .sleeps = &spin };
    int rc;
    mr__wait_arm(&w, 1, &rc);
    if (rc != 1)
        return rc;
    /* What the next call would return: as next() and peek decide. */
    if (s->state & MR__TOPIC_SUB_BROKEN)
        return -EPROTO;
    if ((rc = why_empty(s)) == -ECONNABORTED)
        return rc;
    if (has_next(s))
        return 1;
    return rc < 0 ? rc : 1;
}

int mr_topic_ack(struct mr_topic_sub *s)
{
    if (!s)
        return -EINVAL;
    int rc = mr__watch_drain(s->conn.sock.fd);
    if (rc == -EPIPE || rc == -ECONNRESET) {
        s->state |= MR__TOPIC_SUB_GONE;
        return 0;
    }
    return rc < 0 ? rc : 0;
}

size_t mr_topic_sub_max_msg(const struct mr_topic_sub *s)
{
    return s ? s->max_msg : 0;
}

void mr_topic_sub_stats(const struct mr_topic_sub *s, struct mr_topic_stats *out)
{
    if (s)
        *out = s->stats;
    else
        memset(out, 0, sizeof *out);
}
