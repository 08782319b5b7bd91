/* SPDX-License-Identifier: MIT */
/* test/test_sock_fds.c: passing fds over Unix sockets.
 *
 * Several fds with a payload, over stream and datagram pairs, received
 * close-on-exec; a sealed memfd passed to a forked child, which maps it and
 * writes, and the parent sees the write; MSG_CTRUNC provoked both ways (a
 * receiver that accepts fewer fds than were sent, and a receiver whose
 * RLIMIT_NOFILE leaves room for only one) with every fd that arrived closed
 * (counted in /proc/self/fd); more fds than asked for arriving without
 * MSG_CTRUNC; a truncated datagram carrying fds; a pidfd that SO_PASSPIDFD
 * adds closed, not leaked; an empty payload refused;
 * "nothing received" never reported as fd 0; a payload too large for one
 * send. */
#include "sock_test.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/resource.h>

static void assert_cloexec(int fd)
{
    int fl = fcntl(fd, F_GETFD);
    ASSERT_TRUE(fl >= 0 && (fl & FD_CLOEXEC));
}

static int make_memfd(const char *text, unsigned flags)
{
    int fd = memfd_create("mr-test", MFD_CLOEXEC | flags);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    return fd;
}

/* Three kinds of fd: a pipe's read end with bytes in it, a memfd, and
 * /dev/null; each checked on the receiving side for what it is. */
static void several_on(int type)
{
    struct mr_sock a = MR_SOCK_INIT, b = MR_SOCK_INIT;
    ASSERT_OK(mr_sock_open_pair(&a, &b, type, 0));
    int p[2];
    ASSERT_OK(pipe2(p, O_CLOEXEC));
    ASSERT_EQ(write(p[1], "piped", 5), 5);
    int mfd = make_memfd("in memory", 0);
    int nul = open("/dev/null", O_WRONLY | O_CLOEXEC);
    ASSERT_GE(nul, 0);
    int send[3] = { p[0], mfd, nul };

    ASSERT_EQ(mr_sock_send_fds(&a, mr_region_make("fds!", 4), send, 3, 0), 4);
    /* Ours stay ours. */
    for (int i = 0; i < 3; i++)
        ASSERT_GE(fcntl(send[i], F_GETFD), 0);

    int got[8];
    size_t n = 99;
    char pay[16];
    ASSERT_EQ(mr_sock_recv_fds(&b, MR_REGION_OF_ARRAY(pay), got, 8, &n, 0), 4);
    ASSERT_MEM_EQ(pay, "fds!", 4);
    ASSERT_EQ(n, (size_t)3);
    for (size_t i = 0; i < 3; i++) {
        ASSERT_GE(got[i], 0);
        for (int k = 0; k < 3; k++)
            ASSERT_NE(got[i], send[k]);
        assert_cloexec(got[i]);
    }
    for (size_t i = 3; i < 8; i++)
        ASSERT_EQ(got[i], -1);
    char buf[16] = { 0 };
    ASSERT_EQ(read(got[0], buf, sizeof buf), 5);
    ASSERT_MEM_EQ(buf, "piped", 5);
    ASSERT_EQ(pread(got[1], buf, 9, 0), 9);
    ASSERT_MEM_EQ(buf, "in memory", 9);
    ASSERT_EQ(write(got[2], "x", 1), 1);
    for (size_t i = 0; i < 3; i++)
        close(got[i]);
    close(p[0]);
    close(p[1]);
    close(mfd);
    close(nul);
    mr_sock_close(&a);
    mr_sock_close(&b);
}

static void test_several_fds(void)
{
    several_on(SOCK_STREAM);
    several_on(SOCK_DGRAM);
}

/* ---- a sealed memfd shared with a child ----------------------------------- */

static const char before_text[] = "written by the parent";
static const char after_text[] = "changed by the child!";

static void child_maps_and_writes(void *arg)
{
    struct mr_sock *s = arg;
    int fd;
    size_t n;
    char pay[8];
    ASSERT_EQ(mr_sock_recv_fds(s, MR_REGION_OF_ARRAY(pay), &fd, 1, &n, 0), 5);
    ASSERT_EQ(n, (size_t)1);
    assert_cloexec(fd);
    /* The seals hold here too: it cannot shrink or grow. */
    int seals = fcntl(fd, F_GET_SEALS);
    ASSERT_EQ(seals, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL);
    ASSERT_TRUE(ftruncate(fd, 0) < 0 && errno == EPERM);
    unsigned char *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    ASSERT_TRUE(m != MAP_FAILED);
    ASSERT_MEM_EQ(m, before_text, sizeof before_text);
    memcpy(m, after_text, sizeof after_text);
    munmap(m, 4096);
    close(fd);
    /* Tell the parent the write is done. */
    ASSERT_EQ(mr_sock_send_all(s, mr_region_make("done", 4), 5000, NULL), 4);
    mr_sock_close(s);
}

static void test_memfd_to_child(void)
{
    struct mr_sock a = MR_SOCK_INIT, b = MR_SOCK_INIT;
    ASSERT_OK(mr_sock_open_pair(&a, &b, SOCK_STREAM, 0));
    int fd = memfd_create("mr-shared", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    ASSERT_GE(fd, 0);
    ASSERT_OK(ftruncate(fd, 4096));
    unsigned char *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    ASSERT_TRUE(m != MAP_FAILED);
    memcpy(m, before_text, sizeof before_text);
    ASSERT_OK(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL));

    pid_t pid = mr_test_start(child_maps_and_writes, &b);
    mr_sock_close(&b);
    ASSERT_EQ(mr_sock_send_fds(&a, mr_region_make("memfd", 5), &fd, 1, 0), 5);
    char done[4];
    ASSERT_EQ(mr_sock_recv_exact(&a, MR_REGION_OF_ARRAY(done), 5000, NULL), 4);
    ASSERT_EQ(mr_test_wait(pid), 0);
    ASSERT_MEM_EQ(m, after_text, sizeof after_text);
    munmap(m, 4096);
    close(fd);
    mr_sock_close(&a);
}

/* ---- MSG_CTRUNC and other overflows --------------------------------------- */

static int open_n(int *fds, int n)
{
    for (int i = 0; i < n; i++) {
        fds[i] = open("/dev/null", O_RDONLY | O_CLOEXEC);
        ASSERT_GE(fds[i], 0);
    }
    return n;
}

static void close_n(const int *fds, int n)
{
    for (int i = 0; i < n; i++)
        close(fds[i]);
}

static void test_too_many_for_max(void)
{
    struct mr_sock a = MR_SOCK_INIT, b = MR_SOCK_INIT;
    ASSERT_OK(mr_sock_open_pair(&a, &b, SOCK_STREAM, 0));
    int mine[40], got[4];
    open_n(mine, 40);
    char pay[8];
    size_t n = 77;

    /* 3 fds, max 2: they fit the control buffer (which has room for a
     * credentials message), the kernel sets no MSG_CTRUNC, and the extra
     * one must still be caught. Then 40, max 2: MSG_CTRUNC. Then max 0. */
    const int counts[] = { 3, 40, 1 };
    const size_t maxes[] = { 2, 2, 0 };
    for (int k = 0; k < 3; k++) {
        ASSERT_EQ(mr_sock_send_fds(&a, mr_region_make("x", 1), mine, (size_t)counts[k], 0), 1);
        int before = mr_test_count_fds();
        ASSERT_ERR(mr_sock_recv_fds(&b, MR_REGION_OF_ARRAY(pay), got, maxes[k], &n, 0), -EMSGSIZE);
        ASSERT_EQ(mr_test_count_fds(), before); /* every fd that arrived was closed */
        ASSERT_EQ(n, (size_t)0);
        for (size_t i = 0; i < maxes[k]; i++)
            ASSERT_EQ(got[i], -1);
    }
    /* The stream goes on. */
    ASSERT_EQ(mr_sock_send_fds(&a, mr_region_make("y", 1), mine, 2, 0), 1);
    ASSERT_EQ(mr_sock_recv_fds(&b, MR_REGION_OF_ARRAY(pay), got, 2, &n, 0), 1);
    ASSERT_EQ(n, (size_t)2);
    close_n(got, 2);
    close_n(mine, 40);
    mr_sock_close(&a);
    mr_sock_close(&b);
}

struct rlimit_case {
    struct mr_sock *s;
};

/* In a child: RLIMIT_NOFILE just above the lowest free fd, so the kernel
 * installs the first fd of three and stops with MSG_CTRUNC. */
static void receive_under_rlimit(void *arg)
{
    struct rlimit_case *c = arg;
    int lowest = dup(0);
    ASSERT_GE(lowest, 0);
    close(lowest);
    int before = mr_test_count_fds();
    struct rlimit old, low;
    ASSERT_OK(getrlimit(RLIMIT_NOFILE, &old));
    low = old;
    low.rlim_cur = (rlim_t)lowest + 1;
    ASSERT_OK(setrlimit(RLIMIT_NOFILE, &low));
    int got[8];
    size_t n = 5;
    char pay[4];
    ssize_t rc = mr_sock_recv_fds(c->s, MR_REGION_OF_ARRAY(pay), got, 8, &n, 0);
    ASSERT_OK(setrlimit(RLIMIT_NOFILE, &old));
    ASSERT_ERR(rc, -EMSGSIZE);
    ASSERT_EQ(n, (size_t)0);
    for (int i = 0; i < 8; i++)
        ASSERT_EQ(got[i], -1);
    ASSERT_EQ(mr_test_count_fds(), before);
    /* The fd number the kernel used is free again. */
    int again = dup(0);
    ASSERT_EQ(again, lowest);
    close(again);
}

static void test_ctrunc_rlimit(void)
{
    if (mr_test_under_valgrind()) {
        /* valgrind keeps RLIMIT_NOFILE to itself: the kernel never sees it. */
        mr_test_skip_case("test_ctrunc_rlimit", "valgrind keeps RLIMIT_NOFILE to itself (the plain run covers it)");
        return;
    }
    struct mr_sock a = MR_SOCK_INIT, b = MR_SOCK_INIT;
    ASSERT_OK(mr_sock_open_pair(&a, &b, SOCK_STREAM, 0));
    int mine[3];
    open_n(mine, 3);
    ASSERT_EQ(mr_sock_send_fds(&a, mr_region_make("z", 1), mine, 3, 0), 1);
    struct rlimit_case c = { &b };
    ASSERT_EQ(mr_test_wait(mr_test_start(receive_under_rlimit, &c)), 0);
    close_n(mine, 3);
    mr_sock_close(&a);
    mr_sock_close(&b);
}

static void test_truncated_datagram(void)
{
    struct mr_sock a = MR_SOCK_INIT, b = MR_SOCK_INIT;
    ASSERT_OK(mr_sock_open_pair(&a, &b, SOCK_DGRAM, 0));
    int mine[2], got[2];
    open_n(mine, 2);
    char big[100] = { 0 }, small[10];
    size_t n;
    ASSERT_EQ(mr_sock_send_fds(&a, MR_REGION_OF_ARRAY(big), mine, 2, 0), 100);
    int before = mr_test_count_fds();
    ASSERT_ERR(mr_sock_recv_fds(&b, MR_REGION_OF_ARRAY(small), got, 2, &n, 0), -EMSGSIZE);
    ASSERT_EQ(mr_test_count_fds(), before);
    ASSERT_EQ(n, (size_t)0);
    ASSERT_EQ(got[0], -1);
    close_n(mine, 2);
    mr_sock_close(&a);
    mr_sock_close(&b);
}

/* SO_PASSPIDFD (Linux 6.5) makes every receive with room for control
 * messages install a pidfd of the sender (SCM_PIDFD) besides the fds it
 * asked for: the caller of mr_sock_recv_fds never sees it, so it must be
 * closed, and its room must not push the fds into MSG_CTRUNC. */
#ifndef SO_PASSPIDFD
#define SO_PASSPIDFD 76
#endif

static void test_pidfd_not_leaked(void)
{
    struct mr_sock a = MR_SOCK_INIT, b = MR_SOCK_INIT;
    ASSERT_OK(mr_sock_open_pair(&a, &b, SOCK_STREAM, 0));
    int one = 1;
    if (setsockopt(b.fd, SOL_SOCKET, SO_PASSPIDFD, &one, sizeof one) < 0) {
        mr_test_skip_case("test_pidfd_not_leaked", "no SO_PASSPIDFD here (needs Linux 6.5+)");
        mr_sock_close(&a);
        mr_sock_close(&b);
        return;
    }
    int mine[2], got[2];
    open_n(mine, 2);
    char pay[4];
    size_t n;
    for (int passcred = 0; passcred < 2; passcred++) {
        ASSERT_OK(setsockopt(b.fd, SOL_SOCKET, SO_PASSCRED, &passcred, sizeof passcred));
        ASSERT_EQ(mr_sock_send_fds(&a, mr_region_make("p", 1), mine, 2, 0), 1);
        int before = mr_test_count_fds();
        ASSERT_EQ(mr_sock_recv_fds(&b, MR_REGION_OF_ARRAY(pay), got, 2, &n, 0), 1);
        ASSERT_EQ(n, (size_t)2);
        ASSERT_EQ(mr_test_count_fds(), before + 2); /* the two asked for, no pidfd */
        close_n(got, 2);
    }
    close_n(mine, 2);
    mr_sock_close(&a);
    mr_sock_close(&b);
}

/* Every control message a socket may add to a receive fits beside the
 * fds: each combination of the options that add one (those this kernel
 * knows; the timestamps are one option with two forms), on stream and
 * datagram sockets, with one fd and with the most one message carries: the
 * payload arrives whole and every fd with it, and nothing else stays open. */
static void test_every_control_message(void)
{
#ifndef SO_PASSPIDFD
#define SO_PASSPIDFD 76
#endif
    static const int opts[] = { SO_PASSCRED, SO_PASSPIDFD, SO_TIMESTAMP, SO_TIMESTAMPNS,
                                SO_RXQ_OVFL };
    static const char *const names[] = { "SO_PASSCRED", "SO_PASSPIDFD", "SO_TIMESTAMP",
                                         "SO_TIMESTAMPNS", "SO_RXQ_OVFL" };
    static int mine[MR_SOCK_FDS_MAX], got[MR_SOCK_FDS_MAX];
    open_n(mine, MR_SOCK_FDS_MAX);
    unsigned tried = 0;
    for (int type = 0; type < 2; type++) {
        for (unsigned combo = 0; combo < 32; combo++) {
            struct mr_sock a = MR_SOCK_INIT, b = MR_SOCK_INIT;
            ASSERT_OK(mr_sock_open_pair(&a, &b, type ? SOCK_DGRAM : SOCK_STREAM, 0));
            bool known = true;
            for (unsigned i = 0; i < 5 && known; i++) {
                int on = 1;
                if ((combo & (1u << i)) && setsockopt(b.fd, SOL_SOCKET, opts[i], &on, sizeof on) < 0) {
                    ASSERT_EQ(errno, ENOPROTOOPT);
                    mr_test_skip_case("test_every_control_message",
                                      "%s is unknown to this kernel (it needs a newer one): "
                                      "combination %#x not tried", names[i], combo);
                    known = false;
                }
            }
            for (size_t k = 0; known && k < 2; k++) {
                size_t nfd = k ? MR_SOCK_FDS_MAX : 1;
                char pay[8];
                size_t n = 0;
                int before = mr_test_count_fds();
                ASSERT_EQ(mr_sock_send_fds(&a, mr_region_make("control", 7), mine, nfd, 0), 7);
                ASSERT_EQ(mr_sock_recv_fds(&b, MR_REGION_OF_ARRAY(pay), got, nfd, &n, 0), 7);
                ASSERT_MEM_EQ(pay, "control", 7);
                ASSERT_EQ(n, nfd);
                ASSERT_EQ(mr_test_count_fds(), before + (int)nfd);
                close_n(got, nfd);
                tried++;
            }
            mr_sock_close(&a);
            mr_sock_close(&b);
        }
    }
    close_n(mine, MR_SOCK_FDS_MAX);
    ASSERT_GT(tried, 0u);
}

/* ---- refusals and "nothing" ----------------------------------------------- */

static void test_refusals(void)
{
    struct mr_sock a = MR_SOCK_INIT, b = MR_SOCK_INIT;
    ASSERT_OK(mr_sock_open_pair(&a, &b, SOCK_STREAM, 0));
    int fd = 0, got[2];
    size_t n;
    char pay[4] = { 0 };
    static int many[MR_SOCK_FDS_MAX + 1];

    /* No payload: Linux would drop the fds on a stream socket. */
    ASSERT_ERR(mr_sock_send_fds(&a, mr_region_make(NULL, 0), &fd, 1, 0), -EINVAL);
    ASSERT_ERR(mr_sock_recv_fds(&b, mr_region_make(NULL, 0), got, 2, &n, 0), -EINVAL);
    ASSERT_EQ(got[0], -1);
    ASSERT_ERR(mr_sock_send_fds(&a, MR_REGION_OF_ARRAY(pay), many, MR_SOCK_FDS_MAX + 1, 0), -EINVAL);
    ASSERT_ERR(mr_sock_send_fds(&a, MR_REGION_OF_ARRAY(pay), NULL, 1, 0), -EINVAL);
    ASSERT_ERR(mr_sock_send_fds(&a, MR_REGION_OF_ARRAY(pay), &fd, 1, MSG_MORE), -EINVAL);
    int bad = -1;
    ASSERT_ERR(mr_sock_send_fds(&a, MR_REGION_OF_ARRAY(pay), &bad, 1, 0), -EBADF);
    bad = 1000000;
    ASSERT_ERR(mr_sock_send_fds(&a, MR_REGION_OF_ARRAY(pay), &bad, 1, 0), -EBADF);
    ASSERT_ERR(mr_sock_recv_fds(&b, mr_region_ro(MR_REGION_OF_ARRAY(pay)), got, 2, &n, 0), -EACCES);
    ASSERT_ERR(mr_sock_recv_fds(&b, MR_REGION_OF_ARRAY(pay), got, 2, NULL, 0), -EINVAL);
    ASSERT_ERR(mr_sock_recv_fds(&b, MR_REGION_OF_ARRAY(pay), NULL, 2, &n, 0), -EINVAL);
    ASSERT_ERR(mr_sock_recv_fds(&b, MR_REGION_OF_ARRAY(pay), got, 2, &n, MSG_PEEK), -EINVAL);
    ASSERT_ERR(mr_sock_recv_fds(&b, MR_REGION_OF_ARRAY(pay), got, 2, &n, MSG_DONTWAIT), -EAGAIN);
    /* Nothing was sent by the refused calls. */
    ASSERT_ERR(mr_sock_recv(&b, MR_REGION_OF_ARRAY(pay), MSG_DONTWAIT), -EAGAIN);

    /* Not a Unix socket. */
    struct mr_sock u = MR_SOCK_INIT;
    ASSERT_OK(mr_sock_open(&u, AF_INET, SOCK_DGRAM, 0));
    ASSERT_ERR(mr_sock_send_fds(&u, MR_REGION_OF_ARRAY(pay), &fd, 1, 0), -ENOPROTOOPT);
    ASSERT_ERR(mr_sock_recv_fds(&u, MR_REGION_OF_ARRAY(pay), got, 2, &n, 0), -ENOPROTOOPT);
    mr_sock_close(&u);
    mr_sock_close(&a);
    mr_sock_close(&b);
}

static void test_nothing_is_not_fd0(void)
{
    struct mr_sock a = MR_SOCK_INIT, b = MR_SOCK_INIT;
    ASSERT_OK(mr_sock_open_pair(&a, &b, SOCK_STREAM, 0));
    int got[3] = { 0, 0, 0 };
    size_t n = 9;
    char pay[8];

    /* Bytes without fds: the bytes, no fds, and -1 (not 0) in every slot. */
    ASSERT_EQ(mr_sock_send(&a, mr_region_make("plain", 5), 0), 5);
    ASSERT_EQ(mr_sock_recv_fds(&b, MR_REGION_OF_ARRAY(pay), got, 3, &n, 0), 5);
    ASSERT_EQ(n, (size_t)0);
    for (int i = 0; i < 3; i++)
        ASSERT_EQ(got[i], -1);
    /* n = 0 fds is a plain send. */
    ASSERT_EQ(mr_sock_send_fds(&a, mr_region_make("p", 1), NULL, 0, 0), 1);
    ASSERT_EQ(mr_sock_recv_fds(&b, MR_REGION_OF_ARRAY(pay), got, 3, &n, 0), 1);
    ASSERT_EQ(n, (size_t)0);

    /* The end of the stream: 0, no fds. */
    mr_sock_close(&a);
    got[0] = 0;
    ASSERT_EQ(mr_sock_recv_fds(&b, MR_REGION_OF_ARRAY(pay), got, 3, &n, 0), 0);
    ASSERT_EQ(n, (size_t)0);
    ASSERT_EQ(got[0], -1);
    mr_sock_close(&b);
}

/* ---- a payload larger than one send ------------------------------------- */

#define LARGE (1u << 20)

static void receive_large(void *arg)
{
    struct mr_sock *s = arg;
    unsigned char *buf = malloc(LARGE);
    ASSERT_TRUE(buf != NULL);
    int fd;
    size_t n;
    ssize_t k = mr_sock_recv_fds(s, mr_region_make(buf, LARGE), &fd, 1, &n, 0);
    ASSERT_GT(k, 0);
    ASSERT_EQ(n, (size_t)1);
    close(fd);
    if ((size_t)k < LARGE) {
        struct mr_region rest;
        ASSERT_OK(mr_region_tail(mr_region_make(buf, LARGE), (size_t)k, &rest));
        ASSERT_EQ(mr_sock_recv_exact(s, rest, 5000, NULL), (ssize_t)rest.len);
    }
    for (size_t i = 0; i < LARGE; i++)
        if (buf[i] != (unsigned char)(i * 7))
            mr_test_fail(__FILE__, __LINE__, "byte %zu differs", i);
    free(buf);
}

/* Live across the fork: a static, so that valgrind's leak check in the
 * child (which exits without freeing it) sees it as reachable (volatile:
 * a store never read would be dropped). */
static unsigned char *volatile held;

static void test_large_payload(void)
{
    struct mr_sock a = MR_SOCK_INIT, b = MR_SOCK_INIT;
    ASSERT_OK(mr_sock_open_pair(&a, &b, SOCK_STREAM, 0));
    ASSERT_OK(mr_sock_set_opt(&a, MR_SOCK_OPT_SNDBUF, 4096));
    unsigned char *buf = held = malloc(LARGE);
    ASSERT_TRUE(buf != NULL);
    for (size_t i = 0; i < LARGE; i++)
        buf[i] = (unsigned char)(i * 7);
    pid_t pid = mr_test_start(receive_large, &b);
    mr_sock_close(&b);
    int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    ASSERT_EQ(mr_sock_send_fds(&a, mr_region_make(buf, LARGE), &fd, 1, 0), (ssize_t)LARGE);
    ASSERT_EQ(mr_test_wait(pid), 0);
    close(fd);
    free(buf);
    held = NULL;
    mr_sock_close(&a);
}

/* The peer takes the first part, with the fd, and closes: the rest fails,
 * and the caller hears a short count (the fd went), not an error (which
 * would say nothing went). */
static void receive_first_part(void *arg)
{
    struct mr_sock *s = arg;
    unsigned char buf[4096];
    int fd;
    size_t n;
    ASSERT_GT(mr_sock_recv_fds(s, MR_REGION_OF_ARRAY(buf), &fd, 1, &n, 0), 0);
    ASSERT_EQ(n, (size_t)1);
    close(fd);
    mr_sock_close(s);
}

static void test_peer_closes_after_fds(void)
{
    struct mr_sock a = MR_SOCK_INIT, b = MR_SOCK_INIT;
    ASSERT_OK(mr_sock_open_pair(&a, &b, SOCK_STREAM, 0));
    ASSERT_OK(mr_sock_set_opt(&a, MR_SOCK_OPT_SNDBUF, 4096));
    unsigned char *buf = held = calloc(1, LARGE);
    ASSERT_TRUE(buf != NULL);
    pid_t pid = mr_test_start(receive_first_part, &b);
    mr_sock_close(&b);
    int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    ssize_t k = mr_sock_send_fds(&a, mr_region_make(buf, LARGE), &fd, 1, 0);
    ASSERT_GT(k, 0);
    ASSERT_LT(k, (ssize_t)LARGE);
    ASSERT_EQ(mr_test_wait(pid), 0);
    /* The error, now that nothing more can go. */
    ASSERT_ERR(mr_sock_send_fds(&a, mr_region_make(buf, LARGE), &fd, 1, 0), -EPIPE);
    close(fd);
    free(buf);
    held = NULL;
    mr_sock_close(&a);
}

int main(void)
{
    signal(SIGPIPE, SIG_DFL);
    MR_TEST_RUN(test_several_fds);
    MR_TEST_RUN(test_memfd_to_child);
    MR_TEST_RUN(test_too_many_for_max);
    MR_TEST_RUN(test_ctrunc_rlimit);
    MR_TEST_RUN(test_truncated_datagram);
    MR_TEST_RUN(test_pidfd_not_leaked);
    MR_TEST_RUN(test_every_control_message);
    MR_TEST_RUN(test_refusals);
    MR_TEST_RUN(test_nothing_is_not_fd0);
    MR_TEST_RUN(test_large_payload);
    MR_TEST_RUN(test_peer_closes_after_fds);
    return 0;
}
