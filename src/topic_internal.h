/* SPDX-License-Identifier: MIT */
/* src/topic_internal.h: what the topic layer's sources share: the shared
 * layouts of the data header and of a subscriber's control page, the
 * handover greetings, and the two sides' private structures (the
 * publisher in src/topic.c, the subscriber in src/topic_sub.c). The
 * design argument is in docs/topic.md. */
#ifndef MEMREGION_SRC_TOPIC_INTERNAL_H
#define MEMREGION_SRC_TOPIC_INTERNAL_H

#include "chan_internal.h"
#include "svc_internal.h"

#include <memregion/topic.h>

/* ---- the data object: a header page, then the ring ---------------------------
 * Written by the publisher only (sealed F_SEAL_FUTURE_WRITE). */
#define MR__TOPIC_MAGIC 0x3143504f54524d4dULL /* "MMRTOPC1" */
#define MR__TOPIC_VERSION 1u
#define MR__TOPIC_H_MAGIC 0       /* u64 */
#define MR__TOPIC_H_VERSION 8     /* u32 */
#define MR__TOPIC_H_POLICY 12     /* u32 */
#define MR__TOPIC_H_CAPACITY 16   /* u64 */
#define MR__TOPIC_H_MODE 24       /* u32: 0 membarrier, 1 fenced */
#define MR__TOPIC_H_HEAD 64       /* u64: the end of the last published record */
#define MR__TOPIC_H_OLDEST 128    /* u64: the first record not overwritten */
#define MR__TOPIC_H_OLDEST_SEQ 136 /* u64: its sequence number */
#define MR__TOPIC_H_OLDEST_GEN 144 /* u64: odd while the two above change (a seqlock) */
#define MR__TOPIC_H_WAKE 192      /* u32: bumped before waking sleepers (their futex) */
#define MR__TOPIC_H_CLOSED 256    /* u32: the publisher closed */

/* ---- a subscriber's control page: that subscriber and the publisher -------- */
#define MR__TOPIC_C_POS 0         /* u64: released up to (subscriber writes) */
#define MR__TOPIC_C_SLEEP 64      /* u32: the subscriber sleeps (MR__WAKE_FUTEX) or waits on
                                   * its fd (MR__WAKE_FD); the publisher clears it */
#define MR__TOPIC_C_PUB_WAIT 128  /* u32: the publisher's sleeping word on this subscriber */
#define MR__TOPIC_C_DROPPED 192   /* u32: the publisher dropped this subscriber */
#define MR__TOPIC_C_LEFT 196      /* u32: the subscriber detached */

/* A record's header word: the length with MR__TOPIC_COMMITTED set (so a
 * word is never 0: the publisher zeroes the next record's word before it
 * publishes one, and a reliable reader polls that word), and the low 32
 * bits of its sequence number. */
#define MR__TOPIC_COMMITTED 0x80000000u
static inline uint64_t mr__topic_word(uint64_t seq, size_t len)
{
    return (uint64_t)(uint32_t)seq << 32 | (uint32_t)len | MR__TOPIC_COMMITTED;
}

/* The length in a word (without the committed bit). */
static inline size_t mr__topic_len(uint64_t w)
{
    return (size_t)(w & 0x7fffffffu);
}

static inline uint64_t mr__topic_rec(size_t len)
{
    return 8 + (((uint64_t)len + 7) & ~(uint64_t)7);
}

static inline uint64_t *mr__topic_u64(unsigned char *base, size_t off)
{
    return (uint64_t *)(void *)(base + off);
}

static inline uint32_t *mr__topic_u32(unsigned char *base, size_t off)
{
    return (uint32_t *)(void *)(base + off);
}

/* ---- the handover: two greetings on the connection's socket ------------------
 * data (with the data memfd): magic "MRTOPDT1", u32 version, u32 status (0,
 * or EUSERS: full, and no control page follows), u32 policy, u32 mode, u64
 * capacity, u64 start position, u64 start sequence number, u32 index, u32
 * 0. control (with the control memfd): magic "MRTOPCT1", u32 version, u32
 * index. Host byte order: both ends run on one machine. */
#define MR__TOPIC_G_DATA_MAGIC 0x315444504f544d52ULL
#define MR__TOPIC_G_CTL_MAGIC 0x315443504f544d52ULL
struct mr__topic_greet {
    uint64_t magic;
    uint32_t version;
    uint32_t status;
    uint32_t policy;
    uint32_t mode;
    uint64_t capacity;
    uint64_t start;
    uint64_t start_seq;
    uint32_t index;
    uint32_t zero;
};
struct mr__topic_greet_ctl {
    uint64_t magic;
    uint32_t version;
    uint32_t index;
};

/* ---- the info answer (src/topic_info.c; docs/wire.md) ------------------------
 * To a hello of kind MR__SVC_KIND_INFO: a head, then one entry per live
 * subscriber, then the publisher closes. Little-endian. */
#define MR__TOPIC_INFO_VERSION 1u
#define MR__TOPIC_INFO_LEN 40
#define MR__TOPIC_INFO_SUB_LEN 24
void mr__topic_info_make(unsigned char buf[MR__TOPIC_INFO_LEN], uint32_t policy, uint64_t capacity,
                         uint64_t published, uint32_t subscribers, uint32_t max_subs);
void mr__topic_info_sub_make(unsigned char buf[MR__TOPIC_INFO_SUB_LEN], uint32_t pid, uint32_t flags,
                             uint64_t behind_messages, uint64_t behind_bytes);

/* The seals both objects carry; the data object also F_SEAL_FUTURE_WRITE. */
#define MR__TOPIC_SEALS (MR_SEAL_SHRINK | MR_SEAL_GROW | MR_SEAL_SEAL)

/* ---- the publisher ------------------------------------------------------------ */
enum { MR__TOPIC_FREE = 0, MR__TOPIC_LIVE = 1, MR__TOPIC_DOOMED = 2 };

struct mr__topic_slot {
    unsigned char *ctl; /* its control page, mapped read-write; NULL: free */
    struct mr_sock sock;
    int pidfd;          /* -1: not watched */
    pid_t pid;
    unsigned state;     /* MR__TOPIC_* */
    unsigned at;        /* where it is in the live list, while live */
    uint64_t pos;       /* its position as last checked */
    uint64_t stall_pos; /* its position when it began holding the publisher */
    int64_t stall_since; /* 0: not holding it */
};

struct mr_topic {
    struct mr_svc svc;
    unsigned char *hdr;
    unsigned char *ring;
    size_t cap;
    size_t mask;
    size_t max_msg;
    int fd;
    unsigned policy;
    unsigned max_subs;
    unsigned keep;
    int stall_ms;
    bool light;         /* membarrier mode; false: fenced */
    bool reserved;
    size_t pending_len;
    uint64_t head;      /* private copies of what the header says */
    uint64_t seq;
    uint64_t oldest;
    uint64_t oldest_seq;
    uint64_t oldest_gen;
    uint64_t limit;     /* reliable: where room ends, as last computed */
    uint64_t *keep_pos; /* where the last keep records start (by sequence) */
    unsigned keep_at;   /* where the next goes: seq % keep */
    uint64_t reach;     /* reliable: the furthest end reserved (the ring holds reach - cap
                         * to reach whole; it keeps no oldest: see kept_from) */
    unsigned nlive;
    unsigned *live;     /* the indices of the live slots, nlive of them, in no order */
    uint32_t **live_sleep; /* their sleep words, in the same order (one load each per publish) */
    unsigned slowest;   /* the slot that bounded limit */
    uint32_t spin_ns;
    struct mr__topic_slot *slots;
    struct pollfd *pfds; /* 2 * max_subs */
    struct mr_topic_stats stats; /* messages: seq */
};

/* ---- the subscriber ----------------------------------------------------------- */
#define MR__TOPIC_SUB_GONE 0x1u    /* the publisher's socket or pid says it is gone */
#define MR__TOPIC_SUB_BROKEN 0x2u  /* the publisher broke the protocol */
#define MR__TOPIC_SUB_PEEKED 0x4u

struct mr_topic_sub {
    unsigned char *hdr;
    unsigned char *ring;
    unsigned char *ctl;
    size_t cap;
    size_t mask;
    size_t max_msg;
    unsigned policy;
    bool light;
    unsigned state;
    uint64_t pos;       /* the next record's position and sequence number */
    uint64_t seq;
    size_t peek_len;
    struct mr_svc_conn conn;
    int pidfd;
    uint32_t spin_ns;
    struct mr_topic_stats stats;
};

/* The first position whose bytes are still whole (a record at p >= this
 * is intact): latest keeps oldest; reliable, which stores nothing per
 * message for it, the furthest end reserved less the capacity. */
static inline uint64_t mr__topic_kept_from(const struct mr_topic *t)
{
    if (t->policy == MR_TOPIC_LATEST)
        return t->oldest;
    return t->reach > t->cap ? t->reach - t->cap : 0;
}

/* The service options a subscriber or an asker connects with: opts'
 * MR_TOPIC_ANY_UID and allow (NULL: defaults). */
static inline struct mr_svc_opts mr__topic_svc_opts(const struct mr_topic_opts *opts)
{
    struct mr_svc_opts so = { 0, MR_SVC_NO_CHANNELS, NULL, NULL };
    if (opts) {
        so.flags |= opts->flags & MR_TOPIC_ANY_UID ? MR_SVC_ANY_UID : 0;
        so.allow = opts->allow;
        so.allow_arg = opts->allow_arg;
    }
    return so;
}

/* Answer the info request on c (accepted with kind MR__SVC_KIND_INFO) and
 * close c. Looks at the subscribers first (mr_topic_check). */
void mr__topic_info_answer(struct mr_topic *t, struct mr_svc_conn *c);

#endif
