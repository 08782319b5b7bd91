/* SPDX-License-Identifier: MIT */
/* fuzz/fuzz_chan_protocol.c: both ends of a channel in one process, driven
 * by the input through every call, while the input also scribbles anywhere
 * in the shared object, as a hostile peer could.
 *
 * The input is a list of steps, one byte of operation and its arguments:
 * send, recv, reserve, commit, peek, release (with lengths from the input;
 * a reservation or a peeked message stays pending across later steps),
 * write bytes at an offset of the shared header or ring, check_peer on
 * either end, close either end. Every call is made without waiting.
 *
 * Checked after every step:
 *   - no access outside the mapping (the sanitizers, and every byte of a
 *     peeked message is read);
 *   - every result is one the header lists for that call; a region a call
 *     hands out lies in the ring, holds at most mr_chan_max_msg bytes, and a
 *     consumer's is read-only;
 *   - an end that returned -EPROTO stays broken: every later data call on it
 *     returns -EPROTO;
 *   - a closed end gives -EBADF;
 *   - while nothing has been scribbled, the channel is exact: the messages
 *     come out in order with the bytes that went in, a send fails only when
 *     the ring is full, a receive only when it is empty, and the consumer
 *     sees -EPIPE only after the producer closed and every message was read. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include <memregion.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"

#define CAP 4096
#define QUEUE_MAX 1024

struct input {
    const uint8_t *p;
    size_t n;
};

static unsigned take(struct input *in, unsigned bytes)
{
    unsigned v = 0;
    for (unsigned i = 0; i < bytes && in->n; i++, in->p++, in->n--)
        v |= (unsigned)in->p[0] << (8 * i);
    return v;
}

/* The bytes of message number seq: the model regenerates them to compare. */
static uint8_t msg_byte(uint32_t seq, size_t i)
{
    return (uint8_t)(seq * 131u + i * 7u + (i >> 8));
}

struct model {
    uint32_t len[QUEUE_MAX];
    uint32_t seq[QUEUE_MAX];
    size_t head, count;
    uint32_t next_seq;
    size_t used;            /* ring bytes the queued records take */
    bool scribbled;         /* after this, only the safety checks hold */
    bool broken[2];         /* an end returned -EPROTO */
    bool closed[2];         /* this end was closed */
};

enum { PROD, CONS };

static size_t record_size(size_t len)
{
    return MR_CHAN_MSG_OVERHEAD + ((len + MR_CHAN_MSG_ALIGN - 1) & ~(MR_CHAN_MSG_ALIGN - 1));
}

struct world {
    struct mr_chan end[2];
    unsigned char *map;     /* the attacker's read-write view of the object */
    size_t map_len;
    size_t max_msg;
    bool reserved, peeked;  /* a reservation or a peeked message is pending */
    struct mr_region reservation, peek;
    struct model m;
};

/* A result of a data call on end e, given what the end has met before. */
static void after_call(struct world *w, int e, long rc)
{
    if (w->m.closed[e]) {
        CHECK(rc == -EBADF);
        return;
    }
    if (w->m.broken[e]) {
        CHECK(rc == -EPROTO);
        return;
    }
    if (rc == -EPROTO) {
        /* Only memory the input wrote can break a channel. */
        CHECK(w->m.scribbled);
        w->m.broken[e] = true;
    }
}

/* A region a call handed out: inside the mapping, no longer than a
 * message can be (its bytes are read to the last one by the caller). */
static bool region_ok(const struct world *w, struct mr_region r)
{
    return r.ptr != NULL && r.len <= w->max_msg &&
           ((uintptr_t)r.ptr & (MR_CHAN_MSG_ALIGN - 1)) == 0;
}

static void queue_push(struct model *m, size_t len)
{
    size_t i = (m->head + m->count) % QUEUE_MAX;
    m->len[i] = (uint32_t)len;
    m->seq[i] = m->next_seq++;
    m->count++;
    m->used += record_size(len);
}

/* The len bytes at p are the oldest message still queued (while nothing
 * was scribbled: after that only the safety checks hold). */
static void check_head(const struct model *m, const unsigned char *p, size_t len)
{
    if (m->scribbled)
        return;
    CHECK(m->count > 0);
    CHECK(len == m->len[m->head]);
    for (size_t i = 0; i < len; i++)
        CHECK(p[i] == msg_byte(m->seq[m->head], i));
}

/* The oldest message left the ring. */
static void queue_pop(struct model *m)
{
    if (m->scribbled)
        return;
    m->used -= record_size(m->len[m->head]);
    m->head = (m->head + 1) % QUEUE_MAX;
    m->count--;
}

/* Could the producer's call have failed with this code, nothing scribbled? */
static void check_send_refusal(const struct world *w, size_t len, long rc)
{
    const struct model *m = &w->m;
    if (m->scribbled || m->closed[PROD] || m->broken[PROD])
        return;
    if (len > w->max_msg) {
        CHECK(rc == -EMSGSIZE);
    } else if (m->closed[CONS]) {
        CHECK(rc == -EPIPE);
    } else {
        /* Full: the record does not fit in what the consumer has not freed.
         * The ring keeps room for the next record's commit word. */
        CHECK(rc == -EAGAIN);
        CHECK(m->used + record_size(len) + MR_CHAN_MSG_OVERHEAD > CAP || m->count == QUEUE_MAX);
    }
}

static void check_recv_refusal(const struct world *w, long rc)
{
    const struct model *m = &w->m;
    if (m->scribbled || m->closed[CONS] || m->broken[CONS])
        return;
    if (rc == -EAGAIN)
        CHECK(m->count == 0 && !m->closed[PROD]);
    else if (rc == -EPIPE)
        CHECK(m->count == 0 && m->closed[PROD]);
}

static void do_send(struct world *w, struct input *in)
{
    size_t len = take(in, 2) % (w->max_msg + 64);
    unsigned char *buf = malloc(len ? len : 1);
    CHECK(buf != NULL);
    for (size_t i = 0; i < len; i++)
        buf[i] = msg_byte(w->m.next_seq, i);
    ssize_t rc = mr_chan_send(&w->end[PROD], mr_region_make(buf, len), 0);
    free(buf);
    after_call(w, PROD, rc);
    CHECK(rc == (ssize_t)len || rc == -EAGAIN || rc == -EMSGSIZE || rc == -EPIPE || rc == -EPROTO ||
          rc == -EBADF || (rc == -EBUSY && w->reserved));
    if (rc == (ssize_t)len) {
        CHECK(!w->reserved);
        CHECK(len <= w->max_msg);
        if (!w->m.scribbled) {
            CHECK(!w->m.closed[CONS]);
            CHECK(w->m.count < QUEUE_MAX);
        }
        queue_push(&w->m, len);
    } else if (!w->reserved) {
        check_send_refusal(w, len, rc);
    }
}

static void do_reserve(struct world *w, struct input *in)
{
    size_t len = take(in, 2) % (w->max_msg + 64);
    struct mr_region r = mr_region_make(NULL, 12345);
    int rc = mr_chan_reserve(&w->end[PROD], len, 0, &r);
    after_call(w, PROD, rc);
    CHECK(rc == 0 || rc == -EAGAIN || rc == -EMSGSIZE || rc == -EPIPE || rc == -EPROTO ||
          rc == -EBADF || rc == -EBUSY);
    if (rc == -EBUSY)
        CHECK(w->reserved);
    if (rc != 0) {
        CHECK(r.ptr == NULL && r.len == 12345);
        if (rc != -EBUSY && !w->reserved)
            check_send_refusal(w, len, rc);
        return;
    }
    CHECK(!w->reserved);
    CHECK(r.len == len && region_ok(w, r) && !mr_region_is_ro(r));
    w->reserved = true;
    w->reservation = r;
}

/* Commit what the input says of the pending reservation (or, with none
 * pending, show that commit refuses). */
static void do_commit(struct world *w, struct input *in)
{
    if (!w->reserved) {
        int rc = mr_chan_commit(&w->end[PROD], 0);
        after_call(w, PROD, rc);
        CHECK(rc == -EINVAL || rc == -EPROTO || rc == -EBADF);
        return;
    }
    size_t len = w->reservation.len;
    size_t used = len ? take(in, 2) % (len + 1) : 0;
    unsigned char *p = w->reservation.ptr;
    for (size_t i = 0; i < used; i++)
        p[i] = msg_byte(w->m.next_seq, i);
    int rc = mr_chan_commit(&w->end[PROD], used);
    after_call(w, PROD, rc);
    CHECK(rc == 0 || rc == -EPROTO || rc == -EBADF);
    w->reserved = false;
    if (rc == 0)
        queue_push(&w->m, used);
}

static void do_recv(struct world *w, struct input *in)
{
    size_t size = take(in, 2) % (CAP + 64);
    unsigned char *buf = malloc(size ? size : 1);
    CHECK(buf != NULL);
    ssize_t rc = mr_chan_recv(&w->end[CONS], mr_region_make(buf, size), 0);
    after_call(w, CONS, rc);
    CHECK(rc >= 0 || rc == -EAGAIN || rc == -EMSGSIZE || rc == -EPIPE || rc == -EPROTO ||
          rc == -EBADF);
    if (rc >= 0) {
        CHECK((size_t)rc <= size && (size_t)rc <= w->max_msg);
        check_head(&w->m, buf, (size_t)rc);
        queue_pop(&w->m);
        w->peeked = false; /* a pending peek was this message: gone with it */
    } else if (rc == -EMSGSIZE) {
        if (!w->m.scribbled)
            CHECK(w->m.count > 0 && w->m.len[w->m.head] > size);
        /* The header: the message is left peeked (where, the next peek says). */
        if (!w->peeked)
            w->peek = mr_region_make(NULL, 0);
        w->peeked = true;
    } else {
        check_recv_refusal(w, rc);
    }
    free(buf);
}

static void do_peek(struct world *w, struct input *in)
{
    (void)in;
    struct mr_region r = mr_region_make(NULL, 12345);
    int rc = mr_chan_peek(&w->end[CONS], 0, &r);
    after_call(w, CONS, rc);
    CHECK(rc == 0 || rc == -EAGAIN || rc == -EPIPE || rc == -EPROTO || rc == -EBADF);
    if (rc != 0) {
        CHECK(r.ptr == NULL && r.len == 12345);
        if (!w->peeked)
            check_recv_refusal(w, rc);
        return;
    }
    CHECK(region_ok(w, r) && mr_region_is_ro(r));
    /* Every byte is readable: a length that pointed past the ring would
     * fault here (or under the sanitizers) instead of passing. */
    const volatile unsigned char *p = r.ptr;
    unsigned sum = 0;
    for (size_t i = 0; i < r.len; i++)
        sum += p[i];
    (void)sum;
    /* Peeking again before the release gives the same message. */
    if (w->peeked && !w->m.scribbled && w->peek.ptr != NULL)
        CHECK(r.ptr == w->peek.ptr && r.len == w->peek.len);
    if (!w->peeked)
        check_head(&w->m, r.ptr, r.len);
    w->peeked = true;
    w->peek = r;
}

static void do_release(struct world *w, struct input *in)
{
    (void)in;
    int rc = mr_chan_release(&w->end[CONS]);
    after_call(w, CONS, rc);
    if (!w->peeked) {
        CHECK(rc == -EINVAL || rc == -EPROTO || rc == -EBADF);
        return;
    }
    CHECK(rc == 0 || rc == -EPROTO || rc == -EBADF);
    w->peeked = false;
    if (rc == 0)
        queue_pop(&w->m);
}

static void do_scribble(struct world *w, struct input *in)
{
    size_t off = take(in, 2) % w->map_len;
    size_t n = take(in, 1) % 17;
    for (size_t i = 0; i < n && off + i < w->map_len && in->n; i++)
        w->map[off + i] = (unsigned char)take(in, 1);
    w->m.scribbled = true;
}

static void do_check_peer(struct world *w, struct input *in)
{
    int e = (int)(take(in, 1) & 1);
    int rc = mr_chan_check_peer(&w->end[e]);
    if (w->m.closed[e]) {
        CHECK(rc == -EBADF);
        return;
    }
    CHECK(rc == 0 || rc == -EPIPE || rc == -EPROTO);
    if (rc == -EPROTO) {
        CHECK(w->m.scribbled || w->m.broken[e]);
        w->m.broken[e] = true;
    } else {
        CHECK(!w->m.broken[e]);
        if (!w->m.scribbled)
            CHECK((rc == -EPIPE) == w->m.closed[!e]);
    }
}

static void do_close(struct world *w, struct input *in)
{
    int e = (int)(take(in, 1) & 1);
    int rc = mr_chan_close(&w->end[e]);
    CHECK(rc == 0);
    w->m.closed[e] = true;
    if (e == PROD)
        w->reserved = false;
    else
        w->peeked = false;
    CHECK(mr_chan_fd(&w->end[e]) == -EBADF);
    CHECK(mr_chan_capacity(&w->end[e]) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct world w;
    memset(&w, 0, sizeof w);
    struct mr_chan init = MR_CHAN_INIT;
    w.end[PROD] = w.end[CONS] = init;

    CHECK(mr_chan_create(&w.end[PROD], CAP, MR_CHAN_PRODUCER, 0) == 0);
    int fd = fcntl(mr_chan_fd(&w.end[PROD]), F_DUPFD_CLOEXEC, 0);
    CHECK(fd >= 0);
    if (mr_chan_attach_fd(&w.end[CONS], fd, CAP, MR_CHAN_CONSUMER, 0) != 0) {
        close(fd);
        CHECK(!"the consumer attaches to a fresh channel");
    }
    struct stat st;
    CHECK(fstat(mr_chan_fd(&w.end[PROD]), &st) == 0 && st.st_size > 0);
    w.map_len = (size_t)st.st_size;
    w.map = mmap(NULL, w.map_len, PROT_READ | PROT_WRITE, MAP_SHARED, mr_chan_fd(&w.end[PROD]), 0);
    CHECK(w.map != MAP_FAILED);
    w.max_msg = mr_chan_max_msg(&w.end[PROD]);
    CHECK(w.max_msg == mr_chan_max_msg(&w.end[CONS]) && w.max_msg < CAP);

    struct input in = { data, size };
    for (unsigned steps = 0; in.n > 0 && steps < 4096; steps++) {
        switch (take(&in, 1) % 10) {
        case 0: do_send(&w, &in); break;
        case 1: do_recv(&w, &in); break;
        case 2: do_reserve(&w, &in); break;
        case 3: do_commit(&w, &in); break;
        case 4: do_peek(&w, &in); break;
        case 5: do_release(&w, &in); break;
        case 6: do_scribble(&w, &in); break;
        case 7: do_check_peer(&w, &in); break;
        case 8: do_close(&w, &in); break;
        default: do_send(&w, &in); do_recv(&w, &in); break;
        }
    }
    munmap(w.map, w.map_len);
    CHECK(mr_chan_close(&w.end[PROD]) == 0);
    CHECK(mr_chan_close(&w.end[CONS]) == 0);
    return 0;
}
