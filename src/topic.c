/* SPDX-License-Identifier: MIT */
/* src/topic.c: the publisher of a topic: the sealed data object, accepting
 * subscribers and handing them their objects, reserving room under the
 * policy (waiting on the slowest subscriber, dropping the dead, stalled
 * and broken), publishing and waking the sleepers. Layouts are in
 * src/topic_internal.h, the argument in docs/topic.md. */
#include "topic_internal.h"

#include <memregion/shm.h>

#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define TOPIC_FLAGS (MR_TOPIC_FENCED | MR_TOPIC_ANY_UID)

static uint64_t *h64(const struct mr_topic *t, size_t off)
{
    return mr__topic_u64(t->hdr, off);
}

static uint32_t *c32(const struct mr__topic_slot *sl, size_t off)
{
    return mr__topic_u32(sl->ctl, off);
}

/* ==== subscribers ============================================================ */

/* Wake every subscriber asleep on the header's wake word. */
static void wake_all(struct mr_topic *t)
{
    __atomic_add_fetch(mr__topic_u32(t->hdr, MR__TOPIC_H_WAKE), 1u, __ATOMIC_SEQ_CST);
    mr__sys_futex_wake(mr__topic_u32(t->hdr, MR__TOPIC_H_WAKE), INT_MAX);
}

/* Mark a subscriber dropped: it no longer bounds the room nor is woken,
 * and it learns why from its control page. Its mappings and fds are freed
 * by reap(), outside any wait that may still touch its words. */
static void doom(struct mr_topic *t, struct mr__topic_slot *sl)
{
    if (sl->state != MR__TOPIC_LIVE)
        return;
    sl->state = MR__TOPIC_DOOMED;
    /* Out of the live list: the last one takes its place. */
    unsigned last = t->live[--t->nlive];
    t->live[sl->at] = last;
    t->live_sleep[sl->at] = t->live_sleep[t->nlive];
    t->slots[last].at = sl->at;
    __atomic_store_n(c32(sl, MR__TOPIC_C_DROPPED), 1u, __ATOMIC_SEQ_CST);
    /* Before any store that may overwrite what it reads: a reliable reader
     * checks this word where a latest one checks oldest (still_whole). */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    wake_all(t);
    t->limit = 0; /* recompute without it */
    t->stats.dropped++;
}

static void slot_free(struct mr__topic_slot *sl)
{
    if (sl->ctl)
        mr__sys_munmap(sl->ctl, mr__page_size());
    mr_sock_close(&sl->sock);
    if (sl->pidfd >= 0)
        mr__sys_close(sl->pidfd);
    memset(sl, 0, sizeof *sl);
    sl->sock.fd = -1;
    sl->pidfd = -1;
}

static void reap(struct mr_topic *t)
{
    for (unsigned i = 0; i < t->max_subs; i++)
        if (t->slots[i].state == MR__TOPIC_DOOMED)
            slot_free(&t->slots[i]);
}

/* The subscriber's position, loaded once and checked: 8-aligned, not
 * backwards, not past the head. false: it broke the protocol. seq_cst in
 * both modes: it pairs with the subscriber's release of what it read
 * before the publisher writes there, and it is the wait predicate's load
 * (never per message: only when the cached room runs out). */
static bool load_pos(struct mr_topic *t, struct mr__topic_slot *sl)
{
    uint64_t p = __atomic_load_n(mr__topic_u64(sl->ctl, MR__TOPIC_C_POS), __ATOMIC_SEQ_CST);
    if ((p & 7) != 0 || p < sl->pos || p > t->head)
        return false;
    sl->pos = p;
    return true;
}

/* The subscriber is still there and keeps the protocol (its position
 * loaded and checked); false: it must be dropped. */
static bool sub_ok(struct mr_topic *t, struct mr__topic_slot *sl)
{
    return __atomic_load_n(c32(sl, MR__TOPIC_C_LEFT), __ATOMIC_RELAXED) == 0 && load_pos(t, sl);
}

/* Recompute where room ends (reliable): the smallest live position plus
 * the capacity; a subscriber that left, broke the protocol, or has held
 * the publisher back past stall_ms (when need is past its room) is
 * dropped. Records the slowest in t->slowest. */
static void compute_limit(struct mr_topic *t, uint64_t need)
{
    uint64_t lim = UINT64_MAX;
    int64_t now = 0;
    /* Backwards: doom() moves the last live one into the place it frees. */
    for (unsigned k = t->nlive; k-- > 0;) {
        unsigned i = t->live[k];
        struct mr__topic_slot *sl = &t->slots[i];
        if (!sub_ok(t, sl)) {
            doom(t, sl);
            continue;
        }
        uint64_t l = sl->pos + t->cap;
        if (l < need) {
            /* It holds the publisher back: since when, without moving? */
            if (sl->stall_since == 0 || sl->stall_pos != sl->pos) {
                if (now == 0)
                    now = mr__now_ns();
                sl->stall_since = now;
                sl->stall_pos = sl->pos;
            } else if (t->stall_ms >= 0) {
                if (now == 0)
                    now = mr__now_ns();
                if (now - sl->stall_since > (int64_t)t->stall_ms * 1000000) {
                    doom(t, sl);
                    continue;
                }
            }
        } else {
            sl->stall_since = 0;
        }
        if (l < lim) {
            lim = l;
            t->slowest = i;
        }
    }
    t->limit = lim;
}

/* Look at every live subscriber's socket and pidfd in one poll(2): drop
 * those that are gone. */
static void check_gone(struct mr_topic *t)
{
    unsigned long n = 0;
    for (unsigned k = 0; k < t->nlive; k++) {
        struct mr__topic_slot *sl = &t->slots[t->live[k]];
        t->pfds[n++] = (struct pollfd){ .fd = sl->sock.fd, .events = 0, .revents = 0 };
        t->pfds[n++] = (struct pollfd){ .fd = sl->pidfd, .events = POLLIN, .revents = 0 };
    }
    if (n == 0 || mr__sys_poll(t->pfds, n, 0) <= 0)
        return;
    for (unsigned k = t->nlive; k-- > 0;) {
        short a = t->pfds[2 * k].revents, b = t->pfds[2 * k + 1].revents;
        if ((a | b) & (POLLIN | POLLHUP | POLLERR | POLLNVAL))
            doom(t, &t->slots[t->live[k]]);
    }
}

int mr_topic_check(struct mr_topic *t)
{
    if (!t)
        return -EINVAL;
    check_gone(t);
    for (unsigned k = t->nlive; k-- > 0;) {
        struct mr__topic_slot *sl = &t->slots[t->live[k]];
        if (!sub_ok(t, sl))
            doom(t, sl);
    }
    reap(t);
    t->limit = 0;
    return (int)t->nlive;
}

/* ==== creating ================================================================ */

static int data_setup(struct mr_topic *t, const struct mr_shm *shm)
{
    size_t page = mr__page_size();
    int rc = mr_shm_resize(shm, (uint64_t)page + t->cap);
    if (rc < 0)
        return rc;
    if (!(shm->flags & MR_SHM_MEMFD))
        return -EOPNOTSUPP;
    struct mr__ring r;
    if ((rc = mr__ring_map(&r, shm->fd, page, PROT_READ | PROT_WRITE, t->cap,
                           PROT_READ | PROT_WRITE, false)) < 0)
        return rc;
    /* Sealed after our own mapping: nobody can map it writable from now
     * on, through any fd (docs/topic.md, "Memory"). */
    rc = mr_shm_seal_add(shm, MR__TOPIC_SEALS | MR_SEAL_FUTURE_WRITE);
    if (rc < 0) {
        mr__ring_unmap(&r);
        return rc == -EINVAL || rc == -EPERM ? -EOPNOTSUPP : rc;
    }
    t->hdr = r.hdr;
    t->ring = r.ring;
    __atomic_store_n(mr__topic_u32(t->hdr, MR__TOPIC_H_VERSION), MR__TOPIC_VERSION, __ATOMIC_RELAXED);
    __atomic_store_n(mr__topic_u32(t->hdr, MR__TOPIC_H_POLICY), t->policy, __ATOMIC_RELAXED);
    __atomic_store_n(h64(t, MR__TOPIC_H_CAPACITY), (uint64_t)t->cap, __ATOMIC_RELAXED);
    __atomic_store_n(mr__topic_u32(t->hdr, MR__TOPIC_H_MODE), t->light ? 0u : 1u, __ATOMIC_RELAXED);
    __atomic_store_n(h64(t, MR__TOPIC_H_MAGIC), MR__TOPIC_MAGIC, __ATOMIC_RELEASE);
    t->fd = shm->fd;
    return 0;
}

static int topic_free(struct mr_topic *t)
{
    if (t->hdr) {
        struct mr__ring r = mr__ring_at(t->hdr, mr__page_size(), t->cap);
        mr__ring_unmap(&r);
    }
    if (t->fd >= 0)
        mr__sys_close(t->fd);
    if (t->slots)
        for (unsigned i = 0; i < t->max_subs; i++)
            slot_free(&t->slots[i]);
    int rc = mr_svc_close(&t->svc);
    free(t->slots);
    free(t->pfds);
    free(t->live);
    free(t->live_sleep);
    free(t->keep_pos);
    free(t);
    return rc;
}

int mr_topic_create(struct mr_topic **out, const char *name, const struct mr_topic_opts *opts)
{
    static const struct mr_topic_opts defaults = { 0, 0, 0, 0, 0, 0, NULL, NULL };
    const struct mr_topic_opts *o = opts ? opts : &defaults;
    if (!out)
        return -EINVAL;
    *out = NULL;
    size_t cap = o->capacity ? o->capacity : MR_TOPIC_CAPACITY_DEFAULT;
    unsigned max = o->max_subs ? o->max_subs : MR_TOPIC_SUBS_DEFAULT;
    if ((o->flags & ~TOPIC_FLAGS) != 0 || o->policy > MR_TOPIC_LATEST ||
        cap < MR_CHAN_CAPACITY_MIN || cap > MR_CHAN_CAPACITY_MAX || !mr__is_pow2(cap) ||
        max > MR_TOPIC_SUBS_MAX || o->keep > cap / 8 || o->stall_ms < -1)
        return -EINVAL;
    struct mr_topic *t = calloc(1, sizeof *t);
    if (!t)
        return -ENOMEM;
    struct mr_svc closed = MR_SVC_INIT;
    t->svc = closed;
    t->fd = -1;
    t->cap = cap;
    t->mask = cap - 1;
    t->max_msg = cap - 2 * MR_TOPIC_MSG_OVERHEAD;
    t->policy = o->policy;
    t->max_subs = max;
    t->keep = o->keep;
    t->stall_ms = o->stall_ms == 0 ? MR_TOPIC_STALL_DEFAULT_MS : o->stall_ms;
    t->light = !(o->flags & MR_TOPIC_FENCED) && mr__wake_join() == 0;
    t->spin_ns = MR__WAKE_SPIN_MAX_NS;
    t->slots = calloc(max, sizeof *t->slots);
    for (unsigned i = 0; t->slots && i < max; i++) {
        t->slots[i].sock.fd = -1; /* before topic_free may look at them */
        t->slots[i].pidfd = -1;
    }
    t->pfds = calloc(2 * (size_t)max, sizeof *t->pfds);
    t->live = calloc(max, sizeof *t->live);
    t->live_sleep = calloc(max, sizeof *t->live_sleep);
    t->keep_pos = t->keep ? calloc(t->keep, sizeof *t->keep_pos) : NULL;
    if (!t->slots || !t->pfds || !t->live || !t->live_sleep || (t->keep && !t->keep_pos)) {
        topic_free(t);
        return -ENOMEM;
    }
    struct mr_shm shm;
    int rc = mr_shm_open_anon(&shm, "memregion-topic", 0);
    if (rc == 0 && (rc = data_setup(t, &shm)) < 0)
        mr_shm_close(&shm);
    if (rc == 0) {
        struct mr_svc_opts so = mr__topic_svc_opts(o);
        rc = mr_svc_offer(&t->svc, name, &so);
    }
    if (rc < 0) {
        topic_free(t);
        return rc;
    }
    *out = t;
    return 0;
}

int mr_topic_destroy(struct mr_topic *t)
{
    if (!t)
        return 0;
    if (t->hdr) {
        __atomic_store_n(mr__topic_u32(t->hdr, MR__TOPIC_H_CLOSED), 1u, __ATOMIC_SEQ_CST);
        wake_all(t);
    }
    return topic_free(t);
}

/* ==== accepting ================================================================ */

static int make_ctl(struct mr_shm *shm, unsigned char **ctl)
{
    size_t page = mr__page_size();
    int rc = mr_shm_open_anon(shm, "memregion-topic-ctl", 0);
    if (rc < 0)
        return rc;
    void *p = NULL;
    if ((rc = mr_shm_resize(shm, page)) < 0 || (rc = mr_shm_seal_add(shm, MR__TOPIC_SEALS)) < 0 ||
        (rc = mr__sys_mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, shm->fd, 0, &p)) < 0) {
        mr_shm_close(shm);
        return rc == -EPERM ? -EOPNOTSUPP : rc;
    }
    *ctl = p;
    return 0;
}

/* Where a new subscriber starts: the oldest of the last keep records that
 * is still in the ring, or the head. */
static void start_of(const struct mr_topic *t, uint64_t *pos, uint64_t *seq)
{
    uint64_t k = t->keep < t->seq ? t->keep : t->seq, from = mr__topic_kept_from(t);
    for (; k > 0; k--) {
        uint64_t s = t->seq - k;
        uint64_t p = t->keep_pos[s % t->keep];
        if (p >= from) {
            *pos = p;
            *seq = s;
            return;
        }
    }
    *pos = t->head;
    *seq = t->seq;
}

static void greet_data(const struct mr_topic *t, struct mr__topic_greet *g, uint32_t status,
                       uint64_t start, uint64_t start_seq, unsigned index)
{
    memset(g, 0, sizeof *g);
    g->magic = MR__TOPIC_G_DATA_MAGIC;
    g->version = MR__TOPIC_VERSION;
    g->status = status;
    g->policy = t->policy;
    g->mode = t->light ? 0 : 1;
    g->capacity = t->cap;
    g->start = start;
    g->start_seq = start_seq;
    g->index = index;
}

/* Hand the subscriber on c its objects: its index; or -EUSERS (full; it
 * is told so), -ECONNABORTED (it went away meanwhile), an error of ours.
 * c is the slot's on success, closed otherwise. */
static int accept_one(struct mr_topic *t, struct mr_svc_conn *cc)
{
    struct mr_svc_conn c = *cc;
    int rc;
    unsigned i;
    for (i = 0; i < t->max_subs && t->slots[i].state != MR__TOPIC_FREE; i++)
        ;
    struct mr__topic_greet g;
    if (i == t->max_subs) {
        greet_data(t, &g, EUSERS, 0, 0, 0);
        (void)mr__handover_send(&c.sock, t->fd, &g, sizeof g);
        mr_svc_conn_close(&c);
        return -EUSERS;
    }
    struct mr__topic_slot *sl = &t->slots[i];
    struct mr_shm shm;
    unsigned char *ctl;
    if ((rc = make_ctl(&shm, &ctl)) < 0) {
        mr_svc_conn_close(&c);
        return rc;
    }
    uint64_t start, start_seq;
    start_of(t, &start, &start_seq);
    __atomic_store_n(mr__topic_u64(ctl, MR__TOPIC_C_POS), start, __ATOMIC_RELAXED);
    greet_data(t, &g, 0, start, start_seq, i);
    struct mr__topic_greet_ctl gc = { MR__TOPIC_G_CTL_MAGIC, MR__TOPIC_VERSION, i };
    if ((rc = mr__handover_send(&c.sock, t->fd, &g, sizeof g)) < 0 ||
        (rc = mr__handover_send(&c.sock, shm.fd, &gc, sizeof gc)) < 0) {
        mr__sys_munmap(ctl, mr__page_size());
        mr_shm_close(&shm);
        mr_svc_conn_close(&c);
        return rc == -EPIPE || rc == -ECONNRESET ? -ECONNABORTED : rc;
    }
    mr_shm_close(&shm);
    *cc = c;
    sl->ctl = ctl;
    sl->sock = c.sock;
    sl->pid = c.peer.pid;
    int pfd = mr__watch_pid(c.peer.pid);
    sl->pidfd = pfd >= 0 ? pfd : -1;
    sl->pos = start;
    sl->stall_since = 0;
    sl->state = MR__TOPIC_LIVE;
    sl->at = t->nlive;
    t->live_sleep[t->nlive] = c32(sl, MR__TOPIC_C_SLEEP);
    t->live[t->nlive++] = i;
    t->stats.accepted++;
    if (t->limit > start + t->cap)
        t->limit = start + t->cap;
    return (int)i;
}

int mr_topic_accept(struct mr_topic *t, int timeout_ms)
{
    if (!t || !mr__timeout_ok(timeout_ms))
        return -EINVAL;
    mr_topic_check(t);
    int64_t deadline = mr__deadline(timeout_ms);
    for (;;) {
        struct mr_svc_conn c = MR_SVC_CONN_INIT;
        int kind = 0;
        int rc = mr__svc_accept_kind(&t->svc, &c, mr__poll_ms(deadline), true, &kind);
        if (rc < 0)
            return rc;
        if (kind == MR__SVC_KIND_INFO) {
            mr__topic_info_answer(t, &c);
            rc = -ECONNABORTED; /* no subscriber came: wait on */
        } else {
            rc = accept_one(t, &c);
        }
        /* One that left during the handover is no error of ours: as
         * mr_svc_accept does, wait for the next while time is left. */
        if (rc != -ECONNABORTED || timeout_ms == 0 || mr__poll_ms(deadline) == 0)
            return rc == -ECONNABORTED ? -ETIMEDOUT : rc;
    }
}

int mr_topic_listen_fd(const struct mr_topic *t)
{
    return t ? t->svc.listener.fd : -EINVAL;
}

/* ==== publishing ============================================================== */

struct room_wait {
    struct mr_topic *t;
    uint64_t need;
    unsigned slot;
};

/* The publisher's wait predicate: room now, or the slot it sleeps on is no
 * longer the slowest (the caller then sleeps on the next one). */
static int room_ready(void *ctx)
{
    struct room_wait *w = ctx;
    compute_limit(w->t, w->need);
    return w->t->limit >= w->need || w->t->slowest != w->slot ||
           w->t->slots[w->slot].state != MR__TOPIC_LIVE;
}

static void room_check(void *ctx)
{
    struct room_wait *w = ctx;
    check_gone(w->t);
}

/* Wait for room up to need (reliable). */
static int wait_room(struct mr_topic *t, uint64_t need, int timeout_ms)
{
    int64_t deadline = mr__deadline(timeout_ms);
    for (;;) {
        compute_limit(t, need); /* walks the live list only */
        reap(t);
        if (t->limit >= need)
            return 0;
        if (timeout_ms == 0)
            return -EAGAIN;
        int64_t now = mr__now_ns();
        if (now >= deadline)
            return -ETIMEDOUT;
        struct mr__topic_slot *sl = &t->slots[t->slowest];
        int64_t until = deadline;
        if (t->stall_ms >= 0 && sl->stall_since != 0) {
            int64_t s = sl->stall_since + (int64_t)t->stall_ms * 1000000 + 1000000;
            if (s < until)
                until = s;
        }
        struct room_wait ctx = { t, need, t->slowest };
        struct mr__waiter w = { .word = c32(sl, MR__TOPIC_C_PUB_WAIT), .light = t->light,
                                .ready = room_ready, .check = room_check, .ctx = &ctx,
                                .spin_ns = &t->spin_ns, .waits = &t->stats.waits,
                                .sleeps = &t->stats.sleeps };
        int rc = mr__wait(&w, until);
        if (rc < 0 && rc != -ETIMEDOUT)
            return rc;
    }
}

/* Move the oldest record past the space the next record ends at (end -
 * capacity), then a release fence: a reader that copied bytes from that
 * space and then sees the new oldest knows they may be torn. */
static inline void make_room(struct mr_topic *t, uint64_t end)
{
    /* Reliable readers never look at oldest (the publisher overwrites
     * only what every live one released; a dropped one learns it from its
     * control page, stored before this): the furthest end reserved says
     * what is still whole (kept_from). */
    if (t->policy == MR_TOPIC_RELIABLE) {
        if (end > t->reach)
            t->reach = end;
        return;
    }
    if (end <= t->oldest + t->cap)
        return;
    while (t->oldest + t->cap < end && t->oldest < t->head) {
        /* Our own records: only this process writes the ring. */
        uint64_t w = __atomic_load_n(mr__topic_u64(t->ring, t->oldest & t->mask), __ATOMIC_RELAXED);
        t->oldest += mr__topic_rec(mr__topic_len(w));
        t->oldest_seq++;
    }
    if (t->oldest + t->cap < end) {
        t->oldest = end - t->cap;
        t->oldest_seq = t->seq;
    }
    /* A reader takes oldest and its sequence number as one pair (what it
     * lost): between two equal even looks at the generation. */
    __atomic_store_n(h64(t, MR__TOPIC_H_OLDEST_GEN), t->oldest_gen + 1, __ATOMIC_RELAXED);
    __atomic_thread_fence(__ATOMIC_RELEASE);
    __atomic_store_n(h64(t, MR__TOPIC_H_OLDEST_SEQ), t->oldest_seq, __ATOMIC_RELAXED);
    __atomic_store_n(h64(t, MR__TOPIC_H_OLDEST), t->oldest, __ATOMIC_RELAXED);
    t->oldest_gen += 2;
    __atomic_store_n(h64(t, MR__TOPIC_H_OLDEST_GEN), t->oldest_gen, __ATOMIC_RELEASE);
    /* Orders the stores above before the caller's stores into the space
     * (a store-store barrier; free on x86): the seqlock's writer side. */
    __atomic_thread_fence(__ATOMIC_RELEASE);
}

MR_INLINE void reserved(struct mr_topic *t, size_t len, struct mr_region *out)
{
    t->reserved = true;
    t->pending_len = len;
    out->ptr = t->ring + (t->head & t->mask) + 8;
    out->len = len;
    out->flags = 0;
}

static MR__NOINLINE int reserve_slow(struct mr_topic *t, size_t len, int timeout_ms, struct mr_region *out)
{
    if (!t || !out || !mr__timeout_ok(timeout_ms))
        return -EINVAL;
    if (t->reserved)
        return -EBUSY;
    if (len > t->max_msg)
        return -EMSGSIZE;
    /* And 8 bytes more: the next record's word, zeroed at the commit. */
    uint64_t end = t->head + mr__topic_rec(len) + MR_TOPIC_MSG_OVERHEAD;
    if (t->policy == MR_TOPIC_RELIABLE && end > t->limit) {
        int rc = wait_room(t, end, timeout_ms);
        if (rc < 0)
            return rc;
    }
    make_room(t, end);
    reserved(t, len, out);
    return 0;
}

/* The common case is a leaf: room now (reliable), or none needed (latest,
 * which overwrites). */
int mr_topic_reserve(struct mr_topic *t, size_t len, int timeout_ms, struct mr_region *out)
{
    if (MR_UNLIKELY(!t || !out || timeout_ms < MR_FOREVER || t->reserved || len > t->max_msg))
        return reserve_slow(t, len, timeout_ms, out);
    uint64_t end = t->head + mr__topic_rec(len) + MR_TOPIC_MSG_OVERHEAD;
    if (MR_UNLIKELY(t->policy == MR_TOPIC_RELIABLE && end > t->limit))
        return reserve_slow(t, len, timeout_ms, out);
    make_room(t, end);
    reserved(t, len, out);
    return 0;
}

/* Wake the subscribers that announced they sleep: clear their words, bump
 * the header's wake word they sleep on, one futex wake for all; those
 * waiting on their fds get a byte on their socket. */
static MR__NOINLINE void wake_sleepers(struct mr_topic *t)
{
    bool futex = false;
    for (unsigned k = 0; k < t->nlive; k++) {
        uint32_t *w = t->live_sleep[k];
        uint32_t v = t->light ? __atomic_load_n(w, __ATOMIC_RELAXED) : __atomic_load_n(w, __ATOMIC_SEQ_CST);
        if (v == 0)
            continue;
        v = __atomic_exchange_n(w, 0, __ATOMIC_SEQ_CST);
        if (v == MR__WAKE_FD)
            mr__watch_ring(t->slots[t->live[k]].sock.fd);
        else if (v != 0)
            futex = true;
    }
    if (futex) {
        wake_all(t);
        t->stats.wakes++;
    }
}

/* Publish the record of len bytes at the head (its bytes are written):
 * true when a subscriber announced it sleeps (then wake_sleepers). */
MR_INLINE bool publish(struct mr_topic *t, size_t len)
{
    uint64_t pos = t->head, next = pos + mr__topic_rec(len);
    unsigned char *ring = t->ring, *hdr = t->hdr;
    uint64_t *word = mr__topic_u64(ring, pos & t->mask);
    uint64_t seq = t->seq;
    bool light = t->light;
    /* The next word is 0 before this one is seen: a reliable reader that
     * took this record finds 0 there until the next is published (the
     * channel's commit words, docs/chan.md). */
    __atomic_store_n(mr__topic_u64(ring, next & t->mask), 0, __ATOMIC_RELAXED);
    if (t->keep) {
        t->keep_pos[t->keep_at] = pos; /* keep_at is seq % keep, without the division */
        if (++t->keep_at == t->keep)
            t->keep_at = 0;
    }
    t->head = next;
    t->seq = seq + 1; /* also the messages published (mr_topic_stats) */
    t->stats.bytes += len;
    /* The store a reader of this policy polls is the protocol's P1 (a
     * reliable one polls the word, a latest one the head); the other is a
     * release. */
    if (t->policy == MR_TOPIC_RELIABLE) {
        MR__WAKE_PUBLISH(word, mr__topic_word(seq, len), light);
        __atomic_store_n(mr__topic_u64(hdr, MR__TOPIC_H_HEAD), next, __ATOMIC_RELEASE);
    } else {
        __atomic_store_n(word, mr__topic_word(seq, len), __ATOMIC_RELEASE);
        MR__WAKE_PUBLISH(mr__topic_u64(hdr, MR__TOPIC_H_HEAD), next, light);
    }
    /* Then each live subscriber's sleep word (S1 of the protocol on its
     * side): one load each. */
    uint32_t *const *sleep = t->live_sleep;
    for (unsigned k = 0, n = t->nlive; k < n; k++) {
        uint32_t v = light ? __atomic_load_n(sleep[k], __ATOMIC_RELAXED) : __atomic_load_n(sleep[k], __ATOMIC_SEQ_CST);
        if (MR_UNLIKELY(v != 0))
            return true;
    }
    return false;
}

static MR__NOINLINE int wake_then(struct mr_topic *t, int rc)
{
    wake_sleepers(t);
    return rc;
}

int mr_topic_commit(struct mr_topic *t, size_t len)
{
    if (!t || !t->reserved)
        return -EINVAL;
    if (len > t->pending_len)
        return -ERANGE;
    t->reserved = false;
    if (MR_UNLIKELY(publish(t, len)))
        return wake_then(t, 0);
    return 0;
}

static MR__NOINLINE ssize_t publish_slow(struct mr_topic *t, struct mr_region msg, int timeout_ms)
{
    struct mr_region r;
    int rc = mr_topic_reserve(t, msg.len, timeout_ms, &r);
    if (rc < 0)
        return rc;
    mr__chan_copy(r.ptr, msg.ptr, msg.len);
    mr_topic_commit(t, msg.len);
    return (ssize_t)msg.len;
}

/* The common case is a leaf: up to 64 bytes (larger ones cost the copy),
 * room now, no subscriber asleep. */
ssize_t mr_topic_publish(struct mr_topic *t, struct mr_region msg, int timeout_ms)
{
    if (MR_UNLIKELY(!t || t->reserved || msg.len > 64 || timeout_ms < MR_FOREVER))
        return publish_slow(t, msg, timeout_ms);
    uint64_t end = t->head + mr__topic_rec(msg.len) + MR_TOPIC_MSG_OVERHEAD;
    if (MR_UNLIKELY(t->policy == MR_TOPIC_RELIABLE && end > t->limit))
        return publish_slow(t, msg, timeout_ms);
    make_room(t, end);
    mr__chan_copy(t->ring + (t->head & t->mask) + 8, msg.ptr, msg.len);
    if (MR_UNLIKELY(publish(t, msg.len)))
        return wake_then(t, 0) + (ssize_t)msg.len;
    return (ssize_t)msg.len;
}

/* ==== inspecting =============================================================== */

int mr_topic_subscribers(const struct mr_topic *t)
{
    return t ? (int)t->nlive : 0;
}

pid_t mr_topic_sub_pid(const struct mr_topic *t, int i)
{
    if (!t || i < 0 || (unsigned)i >= t->max_subs || t->slots[i].state != MR__TOPIC_LIVE)
        return -ENOENT;
    return t->slots[i].pid;
}

size_t mr_topic_max_msg(const struct mr_topic *t)
{
    return t ? t->max_msg : 0;
}

void mr_topic_stats(const struct mr_topic *t, struct mr_topic_stats *out)
{
    if (t) {
        *out = t->stats;
        out->messages = t->seq;
    } else {
        memset(out, 0, sizeof *out);
    }
}
