/* SPDX-License-Identifier: MIT */
/* src/topic_info.c: a topic looked at from outside: the publisher's
 * answer to an info request (its figures and each subscriber's lag, from
 * the positions it already checks) and mr_topic_info, the asker, which
 * checks every byte of that answer. The bytes are in docs/wire.md. */
#include "topic_internal.h"

#include <stdlib.h>
#include <string.h>

#define INFO_MAGIC "MRTOPIN1"
/* The answer fits a socket's buffer many times over: a publisher never
 * waits on an asker that does not read. */
#define INFO_SEND_MS 100

void mr__topic_info_make(unsigned char buf[MR__TOPIC_INFO_LEN], uint32_t policy, uint64_t capacity,
                         uint64_t published, uint32_t subscribers, uint32_t max_subs)
{
    memcpy(buf, INFO_MAGIC, 8);
    mr_store_u32le(buf, 8, MR__TOPIC_INFO_VERSION);
    mr_store_u32le(buf, 12, policy);
    mr_store_u64le(buf, 16, capacity);
    mr_store_u64le(buf, 24, published);
    mr_store_u32le(buf, 32, subscribers);
    mr_store_u32le(buf, 36, max_subs);
}

void mr__topic_info_sub_make(unsigned char buf[MR__TOPIC_INFO_SUB_LEN], uint32_t pid, uint32_t flags,
                             uint64_t behind_messages, uint64_t behind_bytes)
{
    mr_store_u32le(buf, 0, pid);
    mr_store_u32le(buf, 4, flags);
    mr_store_u64le(buf, 8, behind_messages);
    mr_store_u64le(buf, 16, behind_bytes);
}

/* ==== the publisher's answer ==================================================== */

struct at {
    uint64_t pos;
    uint64_t before; /* records from the walk's start to pos */
    unsigned slot;
};

static int by_pos(const void *a, const void *b)
{
    uint64_t x = ((const struct at *)a)->pos, y = ((const struct at *)b)->pos;
    return x < y ? -1 : x > y;
}

/* Each live subscriber's lag. Messages behind are counted by walking the
 * publisher's own records once, from the slowest position still in the
 * ring to the head (the subscribers write only positions, never a count
 * we could trust). */
static void fill(const struct mr_topic *t, unsigned char *buf, struct at *v, unsigned n)
{
    for (unsigned k = 0; k < n; k++)
        v[k] = (struct at){ t->slots[t->live[k]].pos, 0, t->live[k] };
    qsort(v, n, sizeof *v, by_pos);
    uint64_t from = mr__topic_kept_from(t), count = 0;
    unsigned first = 0;
    while (first < n && v[first].pos < from)
        first++;
    uint64_t p = first < n ? v[first].pos : t->head;
    unsigned k = first;
    while (k < n) {
        if (p >= v[k].pos || p >= t->head) {
            v[k++].before = count;
            continue;
        }
        uint64_t w = __atomic_load_n(mr__topic_u64(t->ring, p & t->mask), __ATOMIC_RELAXED);
        if (!(w & MR__TOPIC_COMMITTED) || mr__topic_len(w) > t->max_msg) {
            p = t->head; /* cannot be: our own records; count no further */
            continue;
        }
        p += mr__topic_rec(mr__topic_len(w));
        count++;
    }
    while (p < t->head) {
        uint64_t w = __atomic_load_n(mr__topic_u64(t->ring, p & t->mask), __ATOMIC_RELAXED);
        if (!(w & MR__TOPIC_COMMITTED) || mr__topic_len(w) > t->max_msg)
            break;
        p += mr__topic_rec(mr__topic_len(w));
        count++;
    }
    for (unsigned j = 0; j < n; j++) {
        const struct mr__topic_slot *sl = &t->slots[v[j].slot];
        bool lapped = j < first;
        uint64_t msgs = lapped ? t->seq - t->oldest_seq : count - v[j].before;
        mr__topic_info_sub_make(buf + (size_t)j * MR__TOPIC_INFO_SUB_LEN, (uint32_t)sl->pid,
                                lapped ? MR_TOPIC_SUB_LAPPED : 0u, msgs, t->head - sl->pos);
    }
}

void mr__topic_info_answer(struct mr_topic *t, struct mr_svc_conn *c)
{
    mr_topic_check(t);
    unsigned n = t->nlive;
    size_t len = MR__TOPIC_INFO_LEN + (size_t)n * MR__TOPIC_INFO_SUB_LEN;
    unsigned char *buf = malloc(len);
    struct at *v = malloc((n ? n : 1) * sizeof *v);
    if (buf && v) {
        mr__topic_info_make(buf, t->policy, t->cap, t->seq, n, t->max_subs);
        fill(t, buf + MR__TOPIC_INFO_LEN, v, n);
        (void)mr_sock_send_all(&c->sock, (struct mr_region){ buf, len, 0 }, INFO_SEND_MS, NULL);
    }
    /* Out of memory: the asker sees the connection close (-EPROTO). */
    free(buf);
    free(v);
    mr_svc_conn_close(c);
}

/* ==== the asker ================================================================= */

static int parse_head(const unsigned char *b, struct mr_topic_info *out)
{
    uint64_t cap = mr_load_u64le(b, 16);
    uint32_t policy = mr_load_u32le(b, 12), n = mr_load_u32le(b, 32), max = mr_load_u32le(b, 36);
    if (memcmp(b, INFO_MAGIC, 8) != 0 || mr_load_u32le(b, 8) != MR__TOPIC_INFO_VERSION ||
        policy > MR_TOPIC_LATEST || cap < MR_CHAN_CAPACITY_MIN || cap > MR_CHAN_CAPACITY_MAX ||
        !mr__is_pow2(cap) || max == 0 || max > MR_TOPIC_SUBS_MAX || n > max)
        return -EPROTO;
    out->policy = policy;
    out->max_subs = max;
    out->capacity = cap;
    out->published = mr_load_u64le(b, 24);
    out->subscribers = n;
    return 0;
}

static int parse_sub(const unsigned char *b, const struct mr_topic_info *t, struct mr_topic_sub_info *out)
{
    uint32_t pid = mr_load_u32le(b, 0), flags = mr_load_u32le(b, 4);
    uint64_t msgs = mr_load_u64le(b, 8), bytes = mr_load_u64le(b, 16);
    bool lapped = (flags & MR_TOPIC_SUB_LAPPED) != 0;
    /* A record takes at least 8 bytes; one not lapped is within the ring;
     * only a latest topic laps. */
    if (pid == 0 || pid > INT32_MAX || (flags & ~MR_TOPIC_SUB_LAPPED) != 0 || (bytes & 7) != 0 ||
        msgs > t->published || msgs > t->capacity / 8 ||
        (lapped ? t->policy != MR_TOPIC_LATEST : bytes > t->capacity || msgs > bytes / 8))
        return -EPROTO;
    out->pid = (pid_t)pid;
    out->flags = flags;
    out->behind_messages = msgs;
    out->behind_bytes = bytes;
    return 0;
}

static int read_answer(struct mr_svc_conn *c, struct mr_topic_info *out, struct mr_topic_sub_info *subs,
                       size_t max_subs, int64_t deadline)
{
    int64_t h = mr__deadline(MR_SVC_HANDSHAKE_MS);
    if (h < deadline)
        deadline = h;
    unsigned char head[MR__TOPIC_INFO_LEN], sub[MR__TOPIC_INFO_SUB_LEN];
    ssize_t k = mr_sock_recv_exact(&c->sock, MR_REGION_OF_ARRAY(head), mr__poll_ms(deadline), NULL);
    if (k == -ETIMEDOUT)
        return -ETIMEDOUT;
    int rc = k == (ssize_t)sizeof head ? parse_head(head, out) : -EPROTO;
    for (uint32_t i = 0; rc == 0 && i < out->subscribers; i++) {
        struct mr_topic_sub_info si;
        k = mr_sock_recv_exact(&c->sock, MR_REGION_OF_ARRAY(sub), mr__poll_ms(deadline), NULL);
        rc = k == -ETIMEDOUT ? -ETIMEDOUT : k == (ssize_t)sizeof sub ? parse_sub(sub, out, &si) : -EPROTO;
        if (rc == 0 && i < max_subs)
            subs[i] = si;
    }
    /* Then the publisher closes: one byte more is not a topic's answer. */
    if (rc == 0) {
        unsigned char extra;
        k = mr_sock_recv_exact(&c->sock, (struct mr_region){ &extra, 1, 0 }, mr__poll_ms(deadline), NULL);
        rc = k == 0 || k == -ECONNRESET ? 0 : k == -ETIMEDOUT ? -ETIMEDOUT : -EPROTO;
    }
    return rc;
}

int mr_topic_info(const char *name, const struct mr_topic_opts *opts, struct mr_topic_info *out,
                  struct mr_topic_sub_info *subs, size_t max_subs, int timeout_ms)
{
    if (!name || !out || (max_subs && !subs) || !mr__timeout_ok(timeout_ms) ||
        (opts && (opts->flags & ~(unsigned)MR_TOPIC_ANY_UID)))
        return -EINVAL;
    memset(out, 0, sizeof *out);
    struct mr_svc_opts so = mr__topic_svc_opts(opts);
    int64_t deadline = mr__deadline(timeout_ms);
    struct mr_svc_conn c;
    int rc = mr__svc_connect_kind(&c, name, &so, timeout_ms, MR__SVC_KIND_INFO);
    if (rc == -ENOPROTOOPT)
        return -EPROTOTYPE;
    if (rc == 0) {
        /* Timeout 0 still gives a publisher that accepted us the time to answer. */
        rc = read_answer(&c, out, subs, max_subs, timeout_ms == 0 ? MR__NEVER : deadline);
        mr_svc_conn_close(&c);
    }
    if (rc < 0) {
        memset(out, 0, sizeof *out);
        return rc;
    }
    return (int)out->subscribers;
}
