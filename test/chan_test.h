/* SPDX-License-Identifier: MIT */
/* test/chan_test.h: what only the test_chan*.c programs share (static,
 * header-only), on top of helpers.h: both ends of a channel in one process,
 * a scribbler's view of a channel's header, and message contents that
 * prove order and integrity. */
#ifndef MEMREGION_TEST_CHAN_TEST_H
#define MEMREGION_TEST_CHAN_TEST_H

#include "helpers.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* A producer that created the channel (with flags) and a consumer
 * attached to a duplicate of its fd, in this process. */
static inline void mr_test_chan_pair_flags(struct mr_chan *p, struct mr_chan *c, size_t cap,
                                           unsigned flags)
{
    ASSERT_OK(mr_chan_create(p, cap, MR_CHAN_PRODUCER, flags));
    int fd = fcntl(mr_chan_fd(p), F_DUPFD_CLOEXEC, 0);
    ASSERT_GE(fd, 0);
    ASSERT_OK(mr_chan_attach_fd(c, fd, cap, MR_CHAN_CONSUMER, 0));
}

static inline void mr_test_chan_pair(struct mr_chan *p, struct mr_chan *c, size_t cap)
{
    mr_test_chan_pair_flags(p, c, cap, 0);
}

/* The header page as a third party sees it: a writable mapping of its own,
 * for tests that play a hostile peer. Unmap with mr_test_chan_unmap_header. */
static inline unsigned char *mr_test_chan_map_header(const struct mr_chan *c)
{
    void *p = mmap(NULL, (size_t)sysconf(_SC_PAGESIZE), PROT_READ | PROT_WRITE, MAP_SHARED,
                   mr_chan_fd(c), 0);
    if (p == MAP_FAILED)
        mr_test_fail(__FILE__, __LINE__, "mmap of the header failed");
    return p;
}

static inline void mr_test_chan_unmap_header(unsigned char *h)
{
    munmap(h, (size_t)sysconf(_SC_PAGESIZE));
}

/* The whole object as a third party sees it: the header page and, after
 * it, the ring once, in one writable mapping of its own, for tests that
 * play a hostile peer. Close with mr_test_chan_scribble_close. */
struct mr_test_chan_scribbler {
    unsigned char *h;    /* the header */
    unsigned char *ring; /* the ring, once */
    size_t len;          /* of the mapping */
};

static inline struct mr_test_chan_scribbler mr_test_chan_scribble_open(const struct mr_chan *c)
{
    struct mr_test_chan_scribbler s;
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    s.len = page + mr_chan_capacity(c);
    void *p = mmap(NULL, s.len, PROT_READ | PROT_WRITE, MAP_SHARED, mr_chan_fd(c), 0);
    if (p == MAP_FAILED)
        mr_test_fail(__FILE__, __LINE__, "mmap of the channel's object failed");
    s.h = p;
    s.ring = s.h + page;
    return s;
}

static inline void mr_test_chan_scribble_close(struct mr_test_chan_scribbler *s)
{
    munmap(s->h, s->len);
}

/* Record lengths a consumer of a ring of cap bytes must refuse, into
 * out[MR_TEST_CHAN_BAD_LENGTHS]. */
#define MR_TEST_CHAN_BAD_LENGTHS 5
static inline void mr_test_chan_bad_lengths(size_t cap, uint32_t *out)
{
    out[0] = (uint32_t)cap * 2;  /* larger than the ring */
    out[1] = UINT32_MAX;         /* would wrap a 32-bit sum */
    out[2] = (uint32_t)cap - 15; /* one more than the largest message */
    out[3] = (uint32_t)cap - 8;  /* would leave no room for the next commit word */
    out[4] = (uint32_t)cap;
}

/* A fresh pair of capacity cap with n messages of 16 bytes committed
 * (message i as mr_test_chan_fill makes it, records of 24 bytes from the
 * ring's start), the first `read` of them consumed, and a scribbler on
 * it. mr_test_chan_scribble_teardown closes all three. */
static inline struct mr_test_chan_scribbler mr_test_chan_scribble_setup(struct mr_chan *p, struct mr_chan *c,
                                                                        size_t cap, int n, int read);
static inline void mr_test_chan_scribble_teardown(struct mr_chan *p, struct mr_chan *c,
                                                  struct mr_test_chan_scribbler *s)
{
    mr_test_chan_scribble_close(s);
    ASSERT_OK(mr_chan_close(p));
    ASSERT_OK(mr_chan_close(c));
}

/* The shared layout (docs/chan.md), for the scribblers. */
#define MR_TEST_CHAN_MAGIC 0
#define MR_TEST_CHAN_VERSION 8
#define MR_TEST_CHAN_HDR_SIZE 12
#define MR_TEST_CHAN_CAPACITY 16
#define MR_TEST_CHAN_ROLES 24
#define MR_TEST_CHAN_MODE 28
#define MR_TEST_CHAN_HEAD 128
#define MR_TEST_CHAN_PROD_CLOSED 256
#define MR_TEST_CHAN_PROD_WAIT 260
#define MR_TEST_CHAN_TAIL 384
#define MR_TEST_CHAN_CONS_CLOSED 512
#define MR_TEST_CHAN_CONS_WAIT 516

/* A word of the header (or the ring) at byte off, as the other end sees it. */
static inline uint64_t mr_test_chan_get64(const unsigned char *h, size_t off)
{
    return mr_atomic_load_acq_u64(h, (ptrdiff_t)off);
}
static inline void mr_test_chan_set64(unsigned char *h, size_t off, uint64_t v)
{
    mr_atomic_store_rel_u64(h, (ptrdiff_t)off, v);
}
static inline uint32_t mr_test_chan_get32(const unsigned char *h, size_t off)
{
    return mr_atomic_load_acq_u32(h, (ptrdiff_t)off);
}
static inline void mr_test_chan_set32(unsigned char *h, size_t off, uint32_t v)
{
    mr_atomic_store_rel_u32(h, (ptrdiff_t)off, v);
}

/* A message length from the generator at st: below 65 bytes small_pct
 * times in 100, below 16384 once in 100, below 1024 otherwise. */
static inline size_t mr_test_chan_draw_len(uint64_t *st, unsigned small_pct)
{
    uint64_t r = mr_test_rand(st);
    unsigned pick = (unsigned)(r % 100);
    if (pick < small_pct)
        return (size_t)((r >> 8) % 65);
    if (pick < 99)
        return (size_t)((r >> 8) % 1024);
    return (size_t)((r >> 8) % 16384);
}

/* ---- message contents ------------------------------------------------------
 * Message seq of length len: the first 8 bytes (or fewer) are seq, the rest
 * the stream of mr_test_rand seeded from seq and len, so a lost, repeated,
 * reordered, truncated or corrupted message fails the check. */
static inline void mr_test_chan_fill(void *dst, size_t len, uint64_t seq)
{
    unsigned char *p = dst;
    uint64_t s = mr_test_mix(seq * 2 + 1 + ((uint64_t)len << 40)), w = seq;
    for (size_t i = 0; i < len; i += 8, w = mr_test_rand(&s))
        memcpy(p + i, &w, len - i < 8 ? len - i : 8);
}

/* true when the len bytes at src are message seq. */
static inline bool mr_test_chan_check(const void *src, size_t len, uint64_t seq)
{
    const unsigned char *p = src;
    uint64_t s = mr_test_mix(seq * 2 + 1 + ((uint64_t)len << 40)), w = seq;
    for (size_t i = 0; i < len; i += 8, w = mr_test_rand(&s))
        if (memcmp(p + i, &w, len - i < 8 ? len - i : 8) != 0)
            return false;
    return true;
}

static inline struct mr_test_chan_scribbler mr_test_chan_scribble_setup(struct mr_chan *p, struct mr_chan *c,
                                                                        size_t cap, int n, int read)
{
    mr_test_chan_pair(p, c, cap);
    for (int i = 0; i < n; i++) {
        struct mr_region r;
        ASSERT_OK(mr_chan_reserve(p, 16, 0, &r));
        mr_test_chan_fill(r.ptr, 16, (uint64_t)i);
        ASSERT_OK(mr_chan_commit(p, 16));
    }
    for (int i = 0; i < read; i++) {
        struct mr_region m;
        ASSERT_OK(mr_chan_peek(c, 0, &m));
        ASSERT_TRUE(mr_test_chan_check(m.ptr, m.len, (uint64_t)i));
        ASSERT_OK(mr_chan_release(c));
    }
    return mr_test_chan_scribble_open(p);
}


#endif
