/* SPDX-License-Identifier: MIT */
/* test/chan_v1/chan_v1.h: the channel as it was at main's commit a53502b,
 * for test/test_chan_diff.c, which drives it and today's channel with the
 * same calls and compares what they return.
 *
 * The files beside this one are verbatim copies, as of commit a53502b, of
 * src/chan.c, src/chan_ring.c, src/chan_wake.c, src/chan_watch.c,
 * src/chan_handover.c, src/chan_internal.h and include/memregion/chan.h
 * (as memregion/chan.h). They are never edited: a change of the channel
 * goes to src/, and this copy is what it is compared with. They are built
 * with rename.h force-included, so every name they define is v1_<name>
 * (struct v1_mr_chan, v1_mr_chan_reserve, v1_mr__wait, ...), and they call
 * the rest of today's library (shm, sock, base).
 *
 * This header is what a program on today's chan.h may include: struct
 * v1_mr_chan stays opaque (its size comes from mr_test_chan_v1_new), the
 * old calls are declared by their v1_ names with the types of today's
 * region.h, and chan_v1.c adds what the test needs of the old end's
 * private state. The old inline try variants were the calls with timeout
 * 0. Roles are today's values (MR_CHAN_PRODUCER 1, MR_CHAN_CONSUMER 2),
 * which the old header had too. Not thread-safe per end, as chan.h. */
#ifndef MEMREGION_TEST_CHAN_V1_H
#define MEMREGION_TEST_CHAN_V1_H

#include <memregion/region.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct v1_mr_chan;

/* The old struct mr_chan_stats, field by field. */
struct mr_test_chan_v1_stats {
    uint64_t messages, bytes, waits, sleeps, wakes;
};

/* A closed old end (MR_CHAN_INIT) in memory of its own, NULL when out of
 * memory; mr_test_chan_v1_free closes it if it is open, and frees it. */
struct v1_mr_chan *mr_test_chan_v1_new(void);
void mr_test_chan_v1_free(struct v1_mr_chan *c);

/* The old mr_chan_create and mr_chan_attach_fd, with the role as an int. */
int mr_test_chan_v1_create(struct v1_mr_chan *out, size_t capacity, int role, unsigned flags);
int mr_test_chan_v1_attach_fd(struct v1_mr_chan *out, int fd, size_t capacity, int role,
                              unsigned flags);

/* The old mr_chan_stats. */
void mr_test_chan_v1_stats(const struct v1_mr_chan *c, struct mr_test_chan_v1_stats *out);

/* The end's private index: bytes committed (producer) or released
 * (consumer) so far; 0 for a closed end. */
uint64_t mr_test_chan_v1_pos(const struct v1_mr_chan *c);

/* The old producer's tail as it last loaded and checked it (0 for a
 * closed end or a consumer), and whether a reservation or a peek is
 * pending (the bytes of its record; 0: none). */
uint64_t mr_test_chan_v1_peer(const struct v1_mr_chan *c);
size_t mr_test_chan_v1_pending(const struct v1_mr_chan *c);

/* Tell the old producer that it saw the tail at v, as its own look at a
 * good tail does (today's reserve_n looks at the tail for room it then
 * gives back, where the old single calls would not have looked). */
void mr_test_chan_v1_saw_tail(struct v1_mr_chan *c, uint64_t v);

/* The checks every old waiting call of role starts with, in their order:
 * -EBADF (closed, another role), -EINVAL (timeout), -EPROTO (broken); 0
 * when they pass. Changes nothing. */
int mr_test_chan_v1_usable(const struct v1_mr_chan *c, int role, int timeout_ms);

/* Could a call of role (MR_CHAN_PRODUCER: reserve or send of len bytes;
 * MR_CHAN_CONSUMER: peek or recv) on c with a timeout other than 0 wait,
 * as far as the end's state and the shared words say now? false means it
 * returns at once (with a result or an error); true is said when unsure.
 * Reads shared memory, changes nothing. */
bool mr_test_chan_v1_may_wait(const struct v1_mr_chan *c, int role, size_t len);

/* The old calls (include/memregion/chan.h of a53502b, renamed). */
int v1_mr_chan_close(struct v1_mr_chan *c);
int v1_mr_chan_reserve(struct v1_mr_chan *c, size_t len, int timeout_ms, struct mr_region *out);
int v1_mr_chan_commit(struct v1_mr_chan *c, size_t len);
ssize_t v1_mr_chan_send(struct v1_mr_chan *c, struct mr_region msg, int timeout_ms);
int v1_mr_chan_peek(struct v1_mr_chan *c, int timeout_ms, struct mr_region *out);
int v1_mr_chan_release(struct v1_mr_chan *c);
ssize_t v1_mr_chan_recv(struct v1_mr_chan *c, struct mr_region buf, int timeout_ms);
int v1_mr_chan_check_peer(struct v1_mr_chan *c);
int v1_mr_chan_watch_pid(struct v1_mr_chan *c, pid_t pid);
size_t v1_mr_chan_capacity(const struct v1_mr_chan *c);
size_t v1_mr_chan_max_msg(const struct v1_mr_chan *c);
int v1_mr_chan_fd(const struct v1_mr_chan *c);

#endif
