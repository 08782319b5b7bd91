/* SPDX-License-Identifier: MIT */
/* test/test_chan_prefault.c: MR_CHAN_PREFAULT. A channel created, or
 * attached to by fd, by name or over a socket, with the flag works as any
 * other (messages flow, a lap and more, both modes); the flag does not make
 * a refused combination of flags acceptable; and it does what it says:
 * right after create or attach, this end's mappings of the ring (both
 * views) and of the header are resident, as /proc/self/smaps counts them
 * (Rss), where without the flag nothing of the ring is (unless this kernel
 * faults it in anyway: that half is then skipped, with a message). */
#include "chan_test.h"

#include <limits.h>

#define CAP ((size_t)1 << 20)

/* The Rss, in bytes, of the mapping of this process that holds addr; -1
 * if none does. */
static long long rss_of(const void *addr)
{
    FILE *f = fopen("/proc/self/smaps", "re");
    ASSERT_TRUE(f != NULL);
    char line[512];
    bool in = false;
    long long rss = -1;
    while (fgets(line, sizeof line, f) != NULL) {
        unsigned long lo, hi;
        if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 && strchr(line, '-') != NULL &&
            line[0] != ' ' && strncmp(line, "Rss:", 4) != 0) {
            in = (uintptr_t)addr >= lo && (uintptr_t)addr < hi;
            continue;
        }
        long long kb;
        if (in && sscanf(line, "Rss: %lld kB", &kb) == 1) {
            rss = kb * 1024;
            break;
        }
    }
    fclose(f);
    return rss;
}

/* The bytes of e's ring (both views) and header resident now. */
static long long ring_rss(const struct mr_chan *e)
{
    return rss_of(e->ring) + rss_of(e->ring + CAP);
}

/* A lap and a half of messages from p to c, of every size up to 3000. */
static void flow(struct mr_chan *p, struct mr_chan *c)
{
    static unsigned char buf[4096];
    uint64_t sent = 0, got = 0, bytes = 0;
    size_t len = 0;
    while (bytes < CAP + CAP / 2) {
        mr_test_chan_fill(buf, len, sent);
        ASSERT_EQ(mr_chan_send(p, mr_region_make(buf, len), 0), (ssize_t)len);
        sent++;
        bytes += len;
        ssize_t n = mr_chan_recv(c, MR_REGION_OF_ARRAY(buf), 0);
        ASSERT_EQ(n, (ssize_t)len);
        ASSERT_TRUE(mr_test_chan_check(buf, len, got));
        got++;
        len = (len + 97) % 3000;
    }
    struct mr_region m;
    ASSERT_ERR(mr_chan_try_peek(c, &m), -EAGAIN);
}

static void test_flow(void)
{
    for (unsigned mode = 0; mode < 2; mode++) {
        unsigned fenced = mode ? MR_CHAN_FENCED : 0;
        /* Created with it, attached to with it or without it. */
        for (int both = 0; both < 2; both++) {
            struct mr_chan p = MR_CHAN_INIT, c = MR_CHAN_INIT;
            ASSERT_OK(mr_chan_create(&p, CAP, MR_CHAN_PRODUCER, fenced | MR_CHAN_PREFAULT));
            int fd = fcntl(mr_chan_fd(&p), F_DUPFD_CLOEXEC, 0);
            ASSERT_GE(fd, 0);
            ASSERT_OK(mr_chan_attach_fd(&c, fd, CAP, MR_CHAN_CONSUMER, both ? MR_CHAN_PREFAULT : 0));
            flow(&p, &c);
            ASSERT_OK(mr_chan_close(&p));
            ASSERT_OK(mr_chan_close(&c));
        }
        /* Created without, attached to with it (and MR_CHAN_NO_SEALS). */
        struct mr_chan p = MR_CHAN_INIT, c = MR_CHAN_INIT;
        ASSERT_OK(mr_chan_create(&p, CAP, MR_CHAN_CONSUMER, fenced));
        int fd = fcntl(mr_chan_fd(&p), F_DUPFD_CLOEXEC, 0);
        ASSERT_GE(fd, 0);
        ASSERT_OK(mr_chan_attach_fd(&c, fd, 0, MR_CHAN_PRODUCER, MR_CHAN_PREFAULT | MR_CHAN_NO_SEALS));
        flow(&c, &p);
        ASSERT_OK(mr_chan_close(&p));
        ASSERT_OK(mr_chan_close(&c));
    }

    /* Over a socket. */
    struct mr_sock a = MR_SOCK_INIT, b = MR_SOCK_INIT;
    ASSERT_OK(mr_sock_open_pair(&a, &b, SOCK_STREAM, 0));
    struct mr_chan p = MR_CHAN_INIT, c = MR_CHAN_INIT;
    ASSERT_OK(mr_chan_create(&p, CAP, MR_CHAN_PRODUCER, 0));
    ASSERT_OK(mr_chan_share(&p, &a));
    ASSERT_OK(mr_chan_attach_sock(&c, &b, CAP, MR_CHAN_CONSUMER, MR_CHAN_PREFAULT, 1000));
    ASSERT_GE(ring_rss(&c), (long long)(2 * CAP));
    flow(&p, &c);
    ASSERT_OK(mr_chan_close(&p));
    ASSERT_OK(mr_chan_close(&c));
    ASSERT_OK(mr_sock_close(&a));
    ASSERT_OK(mr_sock_close(&b));

    /* By name. */
    char name[64];
    snprintf(name, sizeof name, "/mr-test-prefault-%ld", (long)getpid());
    ASSERT_OK(mr_chan_create_named(&p, name, CAP, MR_CHAN_PRODUCER, 0));
    ASSERT_OK(mr_chan_attach_named(&c, name, CAP, MR_CHAN_CONSUMER, MR_CHAN_PREFAULT));
    ASSERT_OK(mr_shm_unlink(name));
    ASSERT_GE(ring_rss(&c), (long long)(2 * CAP));
    flow(&p, &c);
    ASSERT_OK(mr_chan_close(&p));
    ASSERT_OK(mr_chan_close(&c));
}

/* Flags each call refuses, with MR_CHAN_PREFAULT or without: -EINVAL, and
 * nothing created, attached or received. */
static void test_bad_flags(void)
{
    struct mr_chan p = MR_CHAN_INIT, c = MR_CHAN_INIT;
    static const unsigned bad_create[] = { MR_CHAN_PREFAULT | MR_CHAN_NO_SEALS, MR_CHAN_PREFAULT | 0x8,
                                           MR_CHAN_PREFAULT | 0x80000000u, 0x8, UINT_MAX };
    for (size_t i = 0; i < MR_TEST_COUNT(bad_create); i++) {
        ASSERT_ERR(mr_chan_create(&p, CAP, MR_CHAN_PRODUCER, bad_create[i]), -EINVAL);
        ASSERT_ERR(mr_chan_fd(&p), -EBADF);
    }
    /* Other arguments still checked with the flag. */
    ASSERT_ERR(mr_chan_create(&p, 4095, MR_CHAN_PRODUCER, MR_CHAN_PREFAULT), -EINVAL);
    ASSERT_ERR(mr_chan_create(&p, CAP, (enum mr_chan_role)3, MR_CHAN_PREFAULT), -EINVAL);

    ASSERT_OK(mr_chan_create(&p, CAP, MR_CHAN_PRODUCER, 0));
    static const unsigned bad_attach[] = { MR_CHAN_PREFAULT | MR_CHAN_FENCED, MR_CHAN_PREFAULT | 0x8,
                                           MR_CHAN_FENCED, UINT_MAX };
    int fd = fcntl(mr_chan_fd(&p), F_DUPFD_CLOEXEC, 0);
    ASSERT_GE(fd, 0);
    for (size_t i = 0; i < MR_TEST_COUNT(bad_attach); i++) {
        ASSERT_ERR(mr_chan_attach_fd(&c, fd, CAP, MR_CHAN_CONSUMER, bad_attach[i]), -EINVAL);
        ASSERT_ERR(mr_chan_fd(&c), -EBADF);
        ASSERT_GE(fcntl(fd, F_GETFD), 0); /* still the caller's */
    }
    ASSERT_ERR(mr_chan_attach_fd(&c, fd, 1000, MR_CHAN_CONSUMER, MR_CHAN_PREFAULT), -EINVAL);
    close(fd);

    /* By name: MR_CHAN_PREFAULT alone. */
    char name[64];
    snprintf(name, sizeof name, "/mr-test-prefault-flags-%ld", (long)getpid());
    struct mr_chan n = MR_CHAN_INIT;
    ASSERT_OK(mr_chan_create_named(&n, name, 4096, MR_CHAN_PRODUCER, 0));
    static const unsigned bad_named[] = { MR_CHAN_PREFAULT | MR_CHAN_NO_SEALS, MR_CHAN_PREFAULT | MR_CHAN_FENCED,
                                          MR_CHAN_NO_SEALS, MR_CHAN_PREFAULT | 0x8 };
    for (size_t i = 0; i < MR_TEST_COUNT(bad_named); i++)
        ASSERT_ERR(mr_chan_attach_named(&c, name, 0, MR_CHAN_CONSUMER, bad_named[i]), -EINVAL);
    ASSERT_OK(mr_shm_unlink(name));
    ASSERT_OK(mr_chan_close(&n));

    /* Over a socket: refused before anything is received, so the greeting
     * waits for a good attach. */
    struct mr_sock a = MR_SOCK_INIT, b = MR_SOCK_INIT;
    ASSERT_OK(mr_sock_open_pair(&a, &b, SOCK_STREAM, 0));
    ASSERT_OK(mr_chan_share(&p, &a));
    for (size_t i = 0; i < MR_TEST_COUNT(bad_attach); i++)
        ASSERT_ERR(mr_chan_attach_sock(&c, &b, CAP, MR_CHAN_CONSUMER, bad_attach[i], 0), -EINVAL);
    ASSERT_OK(mr_chan_attach_sock(&c, &b, CAP, MR_CHAN_CONSUMER, MR_CHAN_PREFAULT, 0));
    ASSERT_OK(mr_chan_close(&c));
    ASSERT_OK(mr_chan_close(&p));
    ASSERT_OK(mr_sock_close(&a));
    ASSERT_OK(mr_sock_close(&b));
}

/* Resident right after create or attach with the flag; not without it. */
static void test_resident(void)
{
    long long page = (long long)sysconf(_SC_PAGESIZE);
    for (unsigned mode = 0; mode < 2; mode++) {
        unsigned fenced = mode ? MR_CHAN_FENCED : 0;
        struct mr_chan p = MR_CHAN_INIT, c = MR_CHAN_INIT;
        ASSERT_OK(mr_chan_create(&p, CAP, MR_CHAN_PRODUCER, fenced | MR_CHAN_PREFAULT));
        ASSERT_EQ(ring_rss(&p), (long long)(2 * CAP));
        ASSERT_EQ(rss_of(p.hdr), page);
        /* A reservation's region is in pages already there. */
        struct mr_region r;
        ASSERT_OK(mr_chan_reserve(&p, CAP / 2, 0, &r));
        ASSERT_EQ(rss_of(r.ptr), (long long)CAP);
        ASSERT_OK(mr_chan_commit(&p, 0));

        /* The consumer attached without the flag has faulted in nothing of
         * the ring (its pages exist: the producer's faulted them). */
        int fd = fcntl(mr_chan_fd(&p), F_DUPFD_CLOEXEC, 0);
        ASSERT_GE(fd, 0);
        ASSERT_OK(mr_chan_attach_fd(&c, fd, CAP, MR_CHAN_CONSUMER, 0));
        long long without = ring_rss(&c);
        ASSERT_OK(mr_chan_close(&c));
        ASSERT_OK(mr_chan_close(&p));
        /* With it, both views. */
        ASSERT_OK(mr_chan_create(&p, CAP, MR_CHAN_PRODUCER, fenced | MR_CHAN_PREFAULT));
        fd = fcntl(mr_chan_fd(&p), F_DUPFD_CLOEXEC, 0);
        ASSERT_GE(fd, 0);
        ASSERT_OK(mr_chan_attach_fd(&c, fd, CAP, MR_CHAN_CONSUMER, MR_CHAN_PREFAULT));
        ASSERT_EQ(ring_rss(&c), (long long)(2 * CAP));
        ASSERT_EQ(rss_of(c.hdr), page);
        ASSERT_OK(mr_chan_close(&c));
        ASSERT_OK(mr_chan_close(&p));

        /* A fresh channel without the flag: the creator wrote its header,
         * nothing of its ring. An end attached with the flag faults in
         * even pages nobody has touched yet. */
        ASSERT_OK(mr_chan_create(&p, CAP, MR_CHAN_CONSUMER, fenced));
        long long fresh = ring_rss(&p);
        fd = fcntl(mr_chan_fd(&p), F_DUPFD_CLOEXEC, 0);
        ASSERT_GE(fd, 0);
        ASSERT_OK(mr_chan_attach_fd(&c, fd, CAP, MR_CHAN_PRODUCER, MR_CHAN_PREFAULT));
        ASSERT_EQ(ring_rss(&c), (long long)(2 * CAP));
        ASSERT_OK(mr_chan_close(&c));
        ASSERT_OK(mr_chan_close(&p));

        if (without != 0 || fresh != 0) {
            mr_test_skip_case("test_resident (without the flag)",
                              "this kernel faults in mappings at mmap anyway (%lld and %lld bytes resident)",
                              without, fresh);
            continue;
        }
        ASSERT_EQ(without, 0);
        ASSERT_EQ(fresh, 0);
    }
}

int main(void)
{
    MR_TEST_RUN(test_flow);
    MR_TEST_RUN(test_bad_flags);
    MR_TEST_RUN(test_resident);
    return 0;
}
