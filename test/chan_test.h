/* test/chan_test.h: what the test_chan*.c programs share (static,
 * header-only): counting open fds around each test, the time, how much work
 * fits the build (valgrind and the sanitizers run 10-50x slower), both ends
 * of a channel in one process, a scribbler's view of a channel's header,
 * and message contents that prove order and integrity. */
#ifndef MEMREGION_TEST_CHAN_TEST_H
#define MEMREGION_TEST_CHAN_TEST_H

#include "helpers.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define CHAN_TEST_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define CHAN_TEST_SANITIZED 1
#endif
#endif
#ifndef CHAN_TEST_SANITIZED
#define CHAN_TEST_SANITIZED 0
#endif

/* n for a plain build, n / 10 under a sanitizer, n / 20 under valgrind. */
static inline uint64_t chan_test_scale(uint64_t n)
{
    if (mr_test_under_valgrind())
        return n / 20 ? n / 20 : 1;
    if (CHAN_TEST_SANITIZED)
        return n / 10 ? n / 10 : 1;
    return n;
}

/* A producer that created the channel (with flags) and a consumer
 * attached to a duplicate of its fd, in this process. */
static inline void chan_test_pair_flags(struct mr_chan *p, struct mr_chan *c, size_t cap,
                                        unsigned flags)
{
    ASSERT_OK(mr_chan_create(p, cap, MR_CHAN_PRODUCER, flags));
    int fd = fcntl(mr_chan_fd(p), F_DUPFD_CLOEXEC, 0);
    ASSERT_GE(fd, 0);
    ASSERT_OK(mr_chan_attach_fd(c, fd, cap, MR_CHAN_CONSUMER, 0));
}

static inline void chan_test_pair(struct mr_chan *p, struct mr_chan *c, size_t cap)
{
    chan_test_pair_flags(p, c, cap, 0);
}

/* The header page as a third party sees it: a writable mapping of its own,
 * for tests that play a hostile peer. Unmap with chan_test_unmap_header. */
static inline unsigned char *chan_test_map_header(const struct mr_chan *c)
{
    void *p = mmap(NULL, (size_t)sysconf(_SC_PAGESIZE), PROT_READ | PROT_WRITE, MAP_SHARED,
                   mr_chan_fd(c), 0);
    if (p == MAP_FAILED)
        mr_test_fail(__FILE__, __LINE__, "mmap of the header failed");
    return p;
}

static inline void chan_test_unmap_header(unsigned char *h)
{
    munmap(h, (size_t)sysconf(_SC_PAGESIZE));
}

/* The shared layout (src/chan.c), for the scribblers. */
#define CT_MAGIC 0
#define CT_VERSION 8
#define CT_HDR_SIZE 12
#define CT_CAPACITY 16
#define CT_ROLES 24
#define CT_MODE 28
#define CT_HEAD 128
#define CT_PROD_CLOSED 256
#define CT_PROD_WAIT 260
#define CT_TAIL 384
#define CT_CONS_CLOSED 512
#define CT_CONS_WAIT 516

static inline uint64_t ct_get64(const unsigned char *h, size_t off)
{
    return __atomic_load_n((const uint64_t *)(const void *)(h + off), __ATOMIC_SEQ_CST);
}
static inline void ct_set64(unsigned char *h, size_t off, uint64_t v)
{
    __atomic_store_n((uint64_t *)(void *)(h + off), v, __ATOMIC_SEQ_CST);
}
static inline uint32_t ct_get32(const unsigned char *h, size_t off)
{
    return __atomic_load_n((const uint32_t *)(const void *)(h + off), __ATOMIC_SEQ_CST);
}
static inline void ct_set32(unsigned char *h, size_t off, uint32_t v)
{
    __atomic_store_n((uint32_t *)(void *)(h + off), v, __ATOMIC_SEQ_CST);
}

/* ---- message contents ------------------------------------------------------
 * Message seq of length len: the first 8 bytes (or fewer) are seq, the rest
 * a stream of a xorshift generator seeded from seq and len, so a lost,
 * repeated, reordered, truncated or corrupted message fails the check. */
static inline uint64_t ct_mix(uint64_t x)
{
    x ^= x >> 33;
    x *= UINT64_C(0xff51afd7ed558ccd);
    x ^= x >> 33;
    x *= UINT64_C(0xc4ceb9fe1a85ec53);
    x ^= x >> 33;
    return x;
}

static inline void ct_fill(void *dst, size_t len, uint64_t seq)
{
    unsigned char *p = dst;
    uint64_t s = ct_mix(seq * 2 + 1 + ((uint64_t)len << 40));
    size_t i = 0;
    unsigned char sb[8];
    memcpy(sb, &seq, 8);
    for (; i < len && i < 8; i++)
        p[i] = sb[i];
    for (; i + 8 <= len; i += 8) {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        memcpy(p + i, &s, 8);
    }
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    for (size_t k = 0; i < len; i++, k++)
        p[i] = (unsigned char)(s >> (8 * k));
}

/* 1 when the len bytes at src are message seq, 0 when not. */
static inline int ct_check(const void *src, size_t len, uint64_t seq)
{
    const unsigned char *p = src;
    uint64_t s = ct_mix(seq * 2 + 1 + ((uint64_t)len << 40));
    size_t i = 0;
    unsigned char sb[8];
    memcpy(sb, &seq, 8);
    for (; i < len && i < 8; i++)
        if (p[i] != sb[i])
            return 0;
    for (; i + 8 <= len; i += 8) {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        uint64_t v;
        memcpy(&v, p + i, 8);
        if (v != s)
            return 0;
    }
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    for (size_t k = 0; i < len; i++, k++)
        if (p[i] != (unsigned char)(s >> (8 * k)))
            return 0;
    return 1;
}

/* A deterministic generator for lengths and choices. */
static inline uint64_t ct_rand(uint64_t *state)
{
    *state += UINT64_C(0x9e3779b97f4a7c15);
    return ct_mix(*state);
}

#endif
