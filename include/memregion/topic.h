/* SPDX-License-Identifier: MIT */
/* memregion/topic.h: publish/subscribe: one publisher, many read-only
 * subscribers, met by name (issue 16). The design is in docs/topic.md.
 *
 * The publisher creates a topic under a service name (svc.h names: NAME
 * in this user's private directory, @NAME in the abstract namespace) and
 * accepts subscribers; each message is written once into a ring in a
 * sealed memfd, and every subscriber reads the same bytes in place, in
 * order, through a read-only mapping:
 *
 *   publisher                                subscriber
 *   mr_topic_create(&t, "cam", &opts)        mr_topic_attach(&s, "cam", NULL, ms)
 *   mr_topic_accept(t, ms)  (each one)
 *   mr_topic_reserve(t, n, ms, &r)           mr_topic_peek(s, ms, &r, &lost)
 *   ... write up to n bytes into r ...       ... read r.len bytes of r ...
 *   mr_topic_commit(t, used)                 mr_topic_release(s)
 *
 * POLICIES, chosen at creation. MR_TOPIC_RELIABLE: every live subscriber
 * receives every message; the publisher waits (to its deadline) for the
 * slowest to release room, and drops a subscriber that has held it back
 * without moving for longer than opts.stall_ms: that subscriber's next
 * call returns -ECONNABORTED. MR_TOPIC_LATEST: the publisher never waits
 * and overwrites the oldest messages; a subscriber that fell behind is told
 * how many it lost (the lost out value) and goes on from the oldest still
 * held; a copy (mr_topic_recv) never returns a message that was being
 * overwritten while it copied, and mr_topic_release says -ESTALE when the
 * bytes a peek handed out were overwritten while held.
 *
 * SAFETY. A subscriber cannot write anything the publisher or another
 * subscriber reads: the ring is sealed against writable mappings after the
 * publisher mapped it (F_SEAL_FUTURE_WRITE), and each subscriber writes
 * only its own control page, which the publisher checks on every look. A
 * subscriber that dies is noticed through its connection within
 * MR_CHAN_DEATH_CHECK_MS of the publisher waiting on it (or at the next
 * mr_topic_accept or mr_topic_check); one that breaks the protocol is
 * dropped; neither stops the others.
 *
 * TIMEOUTS are base.h's (MR_FOREVER; 0 only looks: -EAGAIN). Every fd is
 * close-on-exec. Thread-safety: a topic (publisher) and a subscription are
 * each used by one thread at a time; distinct ones need nothing. */
#ifndef MEMREGION_TOPIC_H
#define MEMREGION_TOPIC_H

#include <memregion/base.h>
#include <memregion/region.h>
#include <memregion/svc.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Policies (struct mr_topic_opts.policy). */
#define MR_TOPIC_RELIABLE 0u
#define MR_TOPIC_LATEST 1u

/* Flags (struct mr_topic_opts.flags). */
#define MR_TOPIC_FENCED 0x1u  /* a full barrier in every publish and release instead of
                               * membarrier(2) when a side goes to sleep (as MR_CHAN_FENCED) */
#define MR_TOPIC_ANY_UID 0x2u /* accept (subscriber: follow) a peer of any uid */

/* Defaults and bounds. */
#define MR_TOPIC_CAPACITY_DEFAULT ((size_t)1 << 20)
#define MR_TOPIC_SUBS_DEFAULT 64u
#define MR_TOPIC_SUBS_MAX 1024u
#define MR_TOPIC_STALL_DEFAULT_MS 1000
/* Each message takes an 8-byte header and its bytes rounded up to 8; the
 * ring keeps room for the next header, so the largest is capacity -
 * 2 * MR_TOPIC_MSG_OVERHEAD. */
#define MR_TOPIC_MSG_OVERHEAD ((size_t)8)

/* Options for mr_topic_create (NULL: all defaults) and mr_topic_attach (a
 * subscriber uses only flags' MR_TOPIC_ANY_UID, allow and allow_arg). */
struct mr_topic_opts {
    size_t capacity;         /* ring bytes: a power of two, MR_CHAN_CAPACITY_MIN..MAX;
                                0: MR_TOPIC_CAPACITY_DEFAULT */
    unsigned policy;         /* MR_TOPIC_RELIABLE or MR_TOPIC_LATEST */
    unsigned flags;          /* MR_TOPIC_* */
    unsigned max_subs;       /* 1..MR_TOPIC_SUBS_MAX; 0: MR_TOPIC_SUBS_DEFAULT */
    unsigned keep;           /* a new subscriber starts with the last keep messages still
                                in the ring (0: only those published after it) */
    int stall_ms;            /* reliable: drop a subscriber holding the publisher back
                                this long; 0: MR_TOPIC_STALL_DEFAULT_MS; MR_FOREVER: never */
    mr_svc_allow_fn *allow;  /* NULL: the peer must run as our effective uid */
    void *allow_arg;
};

/* Figures of one side, in private memory. */
struct mr_topic_stats {
    uint64_t messages; /* published (publisher), received (subscriber) */
    uint64_t bytes;    /* their payload bytes */
    uint64_t lost;     /* subscriber: messages lost (overwritten before read: latest) */
    uint64_t waits;    /* calls that found no room (no message) and waited */
    uint64_t sleeps;   /* futex waits entered */
    uint64_t wakes;    /* futex wakes issued */
    uint64_t accepted; /* publisher: subscribers accepted */
    uint64_t dropped;  /* publisher: subscribers dropped (gone, stuck, broken) */
};

/* The publisher's topic and a subscription: opaque. */
struct mr_topic;
struct mr_topic_sub;

/* ---- the publisher ------------------------------------------------------------ */

/* Create the topic name with opts (NULL: defaults) into *out, owned by the
 * caller (mr_topic_destroy). 0; or -EINVAL (opts), -EOPNOTSUPP (no sealed
 * memfds with F_SEAL_FUTURE_WRITE here), -EADDRINUSE (a live server offers
 * name), -ENOMEM, and the errors of mr_svc_offer. On failure *out is NULL
 * and nothing is left behind. */
MR_API int mr_topic_create(struct mr_topic **out, const char *name,
                           const struct mr_topic_opts *opts);

/* Close the topic: subscribers read what was published, then get -EPIPE;
 * drop every connection, remove the name, free t (NULL: nothing). 0, or the
 * first close error (everything is freed anyway). Drops a pending
 * reservation. */
MR_API int mr_topic_destroy(struct mr_topic *t);

/* Accept one subscriber within timeout_ms (also looks at the subscribers
 * for dead ones first, and answers any mr_topic_info asking meanwhile:
 * that is no subscriber, the wait goes on). Its index (>= 0, for
 * mr_topic_sub_pid); or
 * -ETIMEDOUT, -EUSERS (max_subs live: the subscriber is told so and
 * dropped), -ENOMEM, -EMFILE, -EINVAL (timeout). */
MR_API int mr_topic_accept(struct mr_topic *t, int timeout_ms);

/* The listening fd: polls readable when a subscriber waits to be
 * accepted. Owned by t. */
MR_API int mr_topic_listen_fd(const struct mr_topic *t);

/* Reserve room for a message of up to len bytes: 0 and *out set to a
 * writable, 8-byte aligned region inside the ring, valid until
 * mr_topic_commit or mr_topic_destroy. Reliable: waits up to timeout_ms
 * for the slowest live subscriber (dropping one stalled past stall_ms or
 * gone); latest: never waits. Or -EMSGSIZE, -EAGAIN (timeout 0, no room),
 * -ETIMEDOUT, -EBUSY (a reservation is pending), -EINVAL. */
MR_API int mr_topic_reserve(struct mr_topic *t, size_t len, int timeout_ms, struct mr_region *out);

/* Publish the first len bytes of the reservation to every subscriber and
 * wake those that sleep. Never waits. 0; or -EINVAL (none pending),
 * -ERANGE (len above the reservation; it stays pending). */
MR_API int mr_topic_commit(struct mr_topic *t, size_t len);

/* Publish a copy of msg: reserve, copy, commit. msg.len, or the errors of
 * mr_topic_reserve. */
MR_API ssize_t mr_topic_publish(struct mr_topic *t, struct mr_region msg, int timeout_ms);

/* Look at every subscriber now (one poll(2)) and drop the dead, stalled
 * or broken ones. The number of live subscribers. */
MR_API int mr_topic_check(struct mr_topic *t);

/* The number of live subscribers, without looking. */
MR_API int mr_topic_subscribers(const struct mr_topic *t);

/* The pid of the subscriber with index i (from mr_topic_accept), from its
 * socket's credentials; -ENOENT when that index is not live. */
MR_API pid_t mr_topic_sub_pid(const struct mr_topic *t, int i);

/* The largest message (capacity - 16). */
MR_API size_t mr_topic_max_msg(const struct mr_topic *t);

/* The publisher's figures. */
MR_API void mr_topic_stats(const struct mr_topic *t, struct mr_topic_stats *out);

/* ---- looking at a topic from outside ------------------------------------------- */

/* One subscriber as the publisher sees it (mr_topic_info). */
struct mr_topic_sub_info {
    pid_t pid;                 /* from its socket's credentials */
    unsigned flags;            /* MR_TOPIC_SUB_LAPPED */
    uint64_t behind_messages;  /* published and not yet released by it */
    uint64_t behind_bytes;     /* the same in ring bytes (headers and padding included) */
};
/* latest: it was overwritten (it will be told what it lost); behind_messages
 * then counts only those still in the ring. */
#define MR_TOPIC_SUB_LAPPED 0x1u

/* A topic as its publisher sees it (mr_topic_info). */
struct mr_topic_info {
    unsigned policy;       /* MR_TOPIC_RELIABLE or MR_TOPIC_LATEST */
    unsigned max_subs;
    uint64_t capacity;     /* ring bytes */
    uint64_t published;    /* messages published so far */
    unsigned subscribers;  /* live subscribers */
};

/* Ask the live publisher of the topic name for a snapshot, without
 * subscribing and without any effect on the stream: it answers the next
 * time it runs mr_topic_accept (as `memregion pub` does whenever its
 * listening fd polls readable), so a publisher that is not accepting
 * leaves the call to its timeout. opts (NULL: defaults) as for
 * mr_topic_attach (flags MR_TOPIC_ANY_UID, allow); the publisher checks our
 * credentials as for a subscriber. Fills *out and up to max_subs entries of
 * subs (NULL when max_subs is 0), in no order. Returns the number of
 * subscribers (may exceed max_subs); or -ENOENT (timeout 0, no service),
 * -ETIMEDOUT (none offered, or no answer in time), -EPROTOTYPE (a service
 * of another kind: not a topic), -EACCES (credentials), -EPROTO (the
 * answer is not a topic's of this version), -EINVAL. Every byte of the
 * answer is checked before use. Thread-safe. */
MR_API int mr_topic_info(const char *name, const struct mr_topic_opts *opts,
                         struct mr_topic_info *out, struct mr_topic_sub_info *subs,
                         size_t max_subs, int timeout_ms);

/* ---- the subscriber ----------------------------------------------------------- */

/* Subscribe to the topic name, waiting up to timeout_ms for it to be
 * offered and for the publisher to accept us: *out, owned by the caller
 * (mr_topic_detach). 0; or -ETIMEDOUT, -ENOENT (timeout 0, no topic),
 * -EUSERS (the topic is full), -EACCES (credentials), -EPROTO (the peer is
 * not a topic of this version, or broke the handover), -EOPNOTSUPP (the
 * topic relies on membarrier(2) and this process cannot register), the
 * errors of mr_svc_connect, -ENOMEM. On failure *out is NULL. */
MR_API int mr_topic_attach(struct mr_topic_sub **out, const char *name,
                           const struct mr_topic_opts *opts, int timeout_ms);

/* Leave the topic: the publisher stops waiting for us at once. Frees s
 * (NULL: nothing). 0 or the first close error. */
MR_API int mr_topic_detach(struct mr_topic_sub *s);

/* The next message, waiting up to timeout_ms: 0 and *out set to a
 * read-only, 8-byte aligned region of its bytes in the ring, valid until
 * mr_topic_release or mr_topic_detach; *lost (if not NULL) to how many
 * messages were overwritten before this subscriber could read them, just
 * before this one (latest; always 0 when reliable). Peeking again before
 * the release gives the same message. Or -EAGAIN (timeout 0, none now),
 * -ETIMEDOUT, -EPIPE (none left, the publisher closed), -ECONNRESET (none
 * left, it died), -ECONNABORTED (the publisher dropped this subscriber),
 * -EPROTO (the publisher broke the protocol; from then on every call),
 * -EINVAL. */
MR_API int mr_topic_peek(struct mr_topic_sub *s, int timeout_ms, struct mr_region *out,
                         uint64_t *lost);

/* Free the peeked message for the publisher. 0; -ESTALE (latest: the
 * bytes were overwritten while held: what was read of them is garbage;
 * the message counts as lost); -ECONNABORTED; -EINVAL (nothing peeked). */
MR_API int mr_topic_release(struct mr_topic_sub *s);

/* Receive a copy of the next message into buf: its length; *lost as for
 * mr_topic_peek (a message overwritten while being copied counts lost,
 * and the next one is taken). Or -EMSGSIZE (buf is shorter: the message
 * stays peeked), and the errors of mr_topic_peek. */
MR_API ssize_t mr_topic_recv(struct mr_topic_sub *s, struct mr_region buf, int timeout_ms,
                             uint64_t *lost);

/* ---- polling a subscription --------------------------------------------------
 * A subscription can be waited on in poll(2), epoll, io_uring, an event
 * loop or a waitset (mr_waitset_add_fd, POLLIN), as a channel end can
 * (chan.h, "polling"): the publisher writes a byte to the subscription's
 * socket only when it finds it armed, and the socket hangs up when the
 * publisher closes, dies or drops this subscriber. While the publisher is
 * busy no system call is made per message. The loop:
 *
 *   for (;;) {
 *       while ((n = mr_topic_recv(s, buf, 0, &lost)) >= 0) use(buf, n);
 *       if (n != -EAGAIN) break;                  (-EPIPE, -ECONNRESET, ...)
 *       if ((rc = mr_topic_arm(s)) < 0) break;
 *       if (rc == 0) { poll mr_topic_event_fd(s) for POLLIN; mr_topic_ack(s); }
 *   }
 */

/* The fd to poll for POLLIN, owned by s. */
MR_API int mr_topic_event_fd(const struct mr_topic_sub *s);

/* Make the fd readable at the publisher's next message (or when it goes).
 * 1: a message is there now, or the next call returns an error (do not
 * poll); 0: armed, poll the fd; or -EPIPE, -ECONNRESET, -ECONNABORTED,
 * -EPROTO when nothing is left to read. One membarrier(2) unless the topic
 * is MR_TOPIC_FENCED. */
MR_API int mr_topic_arm(struct mr_topic_sub *s);

/* After the fd polled readable: take the wake bytes from it (and note a
 * publisher whose socket hung up: the next call reports it). 0, or the
 * socket's error. */
MR_API int mr_topic_ack(struct mr_topic_sub *s);

/* The largest message of the topic (capacity - 16). */
MR_API size_t mr_topic_sub_max_msg(const struct mr_topic_sub *s);

/* The subscriber's figures. */
MR_API void mr_topic_sub_stats(const struct mr_topic_sub *s, struct mr_topic_stats *out);

#ifdef __cplusplus
}
#endif

#endif
