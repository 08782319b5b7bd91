/* SPDX-License-Identifier: MIT */
/* test_waitset: many channel ends and an ordinary fd waited on together
 * (mr_waitset_*): 64 ends over 32 duplex socket pairs to 32 child
 * processes plus a pipe, every message in order; a busy channel reported
 * without arming it; timeouts; a closed, a killed and a locally closed
 * peer reported; the shared registration of a duplex pair outliving the
 * end it was made for; a svc.h server answering its clients' requests
 * from one waitset; every documented error. */
#include "chan_test.h"

#include <memregion/svc.h>
#include <memregion/waitset.h>

#include <poll.h>
#include <signal.h>

#define CAP ((size_t)4096)
#define LIMIT_MS 10000
#define MSG_MAX 64

/* ---- helpers ---------------------------------------------------------------- */

/* Message i of a stream: its number, then i % 57 bytes derived from it. */
static size_t make_msg(unsigned char *buf, uint32_t i)
{
    size_t len = sizeof i + i % 57;
    memcpy(buf, &i, sizeof i);
    for (size_t k = sizeof i; k < len; k++)
        buf[k] = (unsigned char)(i * 31 + k);
    return len;
}

static void check_msg(const unsigned char *buf, ssize_t n, uint32_t want)
{
    unsigned char m[MSG_MAX];
    size_t len = make_msg(m, want);
    ASSERT_EQ((size_t)n, len);
    ASSERT_MEM_EQ(buf, m, len);
}

/* A duplex pair in this process over one socket pair: *p1 (shared over a)
 * feeds *c1 (attached on b), *p2 (shared over b) feeds *c2 (attached on
 * a). p1 and c2 hold dups of a, p2 and c1 of b. */
static void duplex_local(struct mr_chan *p1, struct mr_chan *c1, struct mr_chan *p2,
                         struct mr_chan *c2)
{
    struct mr_sock a = MR_SOCK_INIT, b = MR_SOCK_INIT;
    ASSERT_OK(mr_sock_open_pair(&a, &b, SOCK_STREAM, 0));
    ASSERT_OK(mr_chan_create(p1, CAP, MR_CHAN_PRODUCER, 0));
    ASSERT_OK(mr_chan_share(p1, &a));
    ASSERT_OK(mr_chan_attach_sock(c1, &b, CAP, MR_CHAN_CONSUMER, 0, LIMIT_MS));
    ASSERT_OK(mr_chan_create(p2, CAP, MR_CHAN_PRODUCER, 0));
    ASSERT_OK(mr_chan_share(p2, &b));
    ASSERT_OK(mr_chan_attach_sock(c2, &a, CAP, MR_CHAN_CONSUMER, 0, LIMIT_MS));
    ASSERT_OK(mr_sock_close(&a));
    ASSERT_OK(mr_sock_close(&b));
}

/* ---- errors ------------------------------------------------------------------ */

static void test_errors(void)
{
    struct mr_waitset *ws;
    ASSERT_ERR(mr_waitset_create(NULL), -EINVAL);
    ASSERT_OK(mr_waitset_create(&ws));
    ASSERT_EQ(mr_waitset_count(ws), 0);

    struct mr_chan p = MR_CHAN_INIT, c = MR_CHAN_INIT;
    ASSERT_ERR(mr_waitset_add_chan(ws, &c, 0, NULL), -EBADF);
    ASSERT_ERR(mr_waitset_add_chan(NULL, &c, 0, NULL), -EINVAL);
    ASSERT_ERR(mr_waitset_add_chan(ws, NULL, 0, NULL), -EINVAL);
    mr_test_chan_pair(&p, &c, CAP);
    ASSERT_ERR(mr_waitset_add_chan(ws, &c, 0, NULL), -EOPNOTSUPP);
    ASSERT_ERR(mr_waitset_add_chan(ws, &p, 16, NULL), -EOPNOTSUPP);
    ASSERT_OK(mr_chan_close(&p));
    ASSERT_OK(mr_chan_close(&c));

    struct mr_chan p1 = MR_CHAN_INIT, c1 = MR_CHAN_INIT, p2 = MR_CHAN_INIT, c2 = MR_CHAN_INIT;
    duplex_local(&p1, &c1, &p2, &c2);
    ASSERT_ERR(mr_waitset_add_chan(ws, &p1, mr_chan_max_msg(&p1) + 1, NULL), -EMSGSIZE);
    ASSERT_OK(mr_waitset_add_chan(ws, &p1, mr_chan_max_msg(&p1), NULL));
    ASSERT_ERR(mr_waitset_add_chan(ws, &p1, 0, NULL), -EEXIST);
    ASSERT_OK(mr_waitset_add_chan(ws, &c1, 12345, NULL)); /* len: ignored for a consumer */
    ASSERT_EQ(mr_waitset_count(ws), 2);
    ASSERT_ERR(mr_waitset_remove_chan(ws, &c2), -ENOENT);
    ASSERT_ERR(mr_waitset_remove_chan(NULL, &c2), -EINVAL);
    ASSERT_OK(mr_waitset_remove_chan(ws, &c1));
    ASSERT_ERR(mr_waitset_remove_chan(ws, &c1), -ENOENT);

    int pfd[2];
    ASSERT_EQ(pipe2(pfd, O_CLOEXEC), 0);
    ASSERT_ERR(mr_waitset_add_fd(ws, -1, POLLIN, NULL), -EBADF);
    ASSERT_ERR(mr_waitset_add_fd(ws, 1000000, POLLIN, NULL), -EBADF);
    ASSERT_ERR(mr_waitset_add_fd(ws, pfd[0], POLLIN | POLLHUP, NULL), -EINVAL);
    ASSERT_ERR(mr_waitset_add_fd(NULL, pfd[0], POLLIN, NULL), -EINVAL);
    ASSERT_OK(mr_waitset_add_fd(ws, pfd[0], POLLIN, NULL));
    ASSERT_ERR(mr_waitset_add_fd(ws, pfd[0], POLLIN, NULL), -EEXIST);
    int file = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
    ASSERT_GE(file, 0);
    ASSERT_ERR(mr_waitset_add_fd(ws, file, POLLIN, NULL), -EPERM);
    ASSERT_EQ(close(file), 0);
    ASSERT_ERR(mr_waitset_remove_fd(ws, pfd[1]), -ENOENT);
    ASSERT_ERR(mr_waitset_remove_fd(NULL, pfd[0]), -EINVAL);

    struct mr_waitset_event ev[4];
    ASSERT_ERR(mr_waitset_wait(ws, 0, ev, 0), -EINVAL);
    ASSERT_ERR(mr_waitset_wait(ws, 0, NULL, 4), -EINVAL);
    ASSERT_ERR(mr_waitset_wait(ws, -2, ev, 4), -EINVAL);
    ASSERT_ERR(mr_waitset_wait(NULL, 0, ev, 4), -EINVAL);
    ASSERT_EQ(mr_waitset_count(ws), 2);

    ASSERT_OK(mr_waitset_destroy(ws)); /* with members: they stay open */
    ASSERT_OK(mr_waitset_destroy(NULL));
    ASSERT_EQ(mr_waitset_count(NULL), 0);
    ASSERT_EQ(close(pfd[0]), 0);
    ASSERT_EQ(close(pfd[1]), 0);
    ASSERT_OK(mr_chan_close(&p1));
    ASSERT_OK(mr_chan_close(&c1));
    ASSERT_OK(mr_chan_close(&p2));
    ASSERT_OK(mr_chan_close(&c2));
}

/* ---- readiness in one process ------------------------------------------------- */

/* Nothing ready: -ETIMEDOUT after the timeout, at once for 0; a message
 * and room reported, each with its tag; a busy consumer is reported
 * without arming (the producer never rings); an armed one is rung once. */
static void test_ready_and_timeouts(void)
{
    struct mr_waitset *ws;
    ASSERT_OK(mr_waitset_create(&ws));
    struct mr_waitset_event ev[4];
    int64_t t0 = mr_test_now_ms();
    ASSERT_ERR(mr_waitset_wait(ws, 50, ev, 4), -ETIMEDOUT); /* empty */
    ASSERT_GE(mr_test_now_ms() - t0, 50);

    struct mr_chan p1 = MR_CHAN_INIT, c1 = MR_CHAN_INIT, p2 = MR_CHAN_INIT, c2 = MR_CHAN_INIT;
    duplex_local(&p1, &c1, &p2, &c2);
    int tag_c1, tag_p2;
    ASSERT_OK(mr_waitset_add_chan(ws, &c1, 0, &tag_c1));
    t0 = mr_test_now_ms();
    ASSERT_ERR(mr_waitset_wait(ws, 0, ev, 4), -ETIMEDOUT);
    ASSERT_ERR(mr_waitset_wait(ws, 30, ev, 4), -ETIMEDOUT);
    ASSERT_GE(mr_test_now_ms() - t0, 30);

    struct mr_chan_stats st;
    mr_chan_stats(&p1, &st);
    uint64_t wakes = st.wakes;
    ASSERT_EQ(mr_chan_send(&p1, mr_region_make("hello", 5), 0), 5);
    mr_chan_stats(&p1, &st);
    ASSERT_EQ(st.wakes, wakes + 1); /* c1 was armed by the waits */
    for (int round = 0; round < 1000; round++) {
        ASSERT_EQ(mr_waitset_wait(ws, LIMIT_MS, ev, 4), 1);
        ASSERT_PTR_EQ(ev[0].tag, &tag_c1);
        ASSERT_PTR_EQ(ev[0].chan, &c1);
        ASSERT_EQ(ev[0].fd, -1);
        ASSERT_EQ(ev[0].status, 1);
        ASSERT_EQ(ev[0].revents, 0);
        char buf[8];
        ASSERT_EQ(mr_chan_try_recv(&c1, MR_REGION_OF_ARRAY(buf)), round == 0 ? 5 : 4);
        ASSERT_EQ(mr_chan_send(&p1, mr_region_make("busy", 4), 0), 4);
    }
    mr_chan_stats(&p1, &st);
    ASSERT_EQ(st.wakes, wakes + 1); /* busy: never armed again */

    /* A producer with room; a full one is not ready until the consumer
     * releases, which rings it. */
    ASSERT_OK(mr_waitset_add_chan(ws, &p2, 1000, &tag_p2));
    ASSERT_EQ(mr_waitset_wait(ws, 0, ev, 4), 2);
    struct mr_region r;
    while (mr_chan_try_reserve(&p2, 1000, &r) == 0)
        ASSERT_OK(mr_chan_commit(&p2, 1000));
    ASSERT_EQ(mr_waitset_wait(ws, 0, ev, 4), 1); /* c1 still has "busy" */
    ASSERT_PTR_EQ(ev[0].tag, &tag_c1);
    char buf[8];
    ASSERT_EQ(mr_chan_try_recv(&c1, MR_REGION_OF_ARRAY(buf)), 4);
    ASSERT_ERR(mr_waitset_wait(ws, 20, ev, 4), -ETIMEDOUT);
    char big[1000];
    ASSERT_EQ(mr_chan_recv(&c2, MR_REGION_OF_ARRAY(big), 0), 1000);
    ASSERT_EQ(mr_waitset_wait(ws, LIMIT_MS, ev, 4), 1);
    ASSERT_PTR_EQ(ev[0].tag, &tag_p2);
    ASSERT_EQ(ev[0].status, 1);
    ASSERT_OK(mr_chan_try_reserve(&p2, 1000, &r));
    ASSERT_EQ(mr_waitset_wait(ws, 0, ev, 4), 1); /* a reservation held counts */
    ASSERT_OK(mr_chan_commit(&p2, 1000));

    /* Only one report slot: members take turns. */
    ASSERT_EQ(mr_chan_send(&p1, mr_region_make("x", 1), 0), 1);
    ASSERT_EQ(mr_chan_recv(&c2, MR_REGION_OF_ARRAY(big), 0), 1000);
    void *seen[2];
    ASSERT_EQ(mr_waitset_wait(ws, 0, ev, 1), 1);
    seen[0] = ev[0].tag;
    ASSERT_EQ(mr_waitset_wait(ws, 0, ev, 1), 1);
    seen[1] = ev[0].tag;
    ASSERT_TRUE(seen[0] != seen[1]);

    ASSERT_OK(mr_waitset_destroy(ws));
    ASSERT_OK(mr_chan_close(&p1));
    ASSERT_OK(mr_chan_close(&c1));
    ASSERT_OK(mr_chan_close(&p2));
    ASSERT_OK(mr_chan_close(&c2));
}

/* The two ends on one socket share one registration: after the end it was
 * made for leaves (and is closed), the other still sleeps and wakes. An
 * end closed while in the set is reported with -EBADF. */
static void test_shared_registration(void)
{
    struct mr_waitset *ws;
    ASSERT_OK(mr_waitset_create(&ws));
    struct mr_chan p1 = MR_CHAN_INIT, c1 = MR_CHAN_INIT, p2 = MR_CHAN_INIT, c2 = MR_CHAN_INIT;
    duplex_local(&p1, &c1, &p2, &c2);
    struct mr_region r;
    while (mr_chan_try_reserve(&p1, 100, &r) == 0)
        ASSERT_OK(mr_chan_commit(&p1, 100));
    ASSERT_OK(mr_waitset_add_chan(ws, &p1, 100, &p1));
    ASSERT_OK(mr_waitset_add_chan(ws, &c2, 0, &c2));
    struct mr_waitset_event ev[4];
    ASSERT_ERR(mr_waitset_wait(ws, 0, ev, 4), -ETIMEDOUT);
    ASSERT_OK(mr_waitset_remove_chan(ws, &p1));
    ASSERT_OK(mr_chan_close(&p1));
    ASSERT_ERR(mr_waitset_wait(ws, 20, ev, 4), -ETIMEDOUT);
    pid_t pid = mr_test_fork();
    if (pid == 0) {
        usleep(50000);
        ASSERT_EQ(mr_chan_send(&p2, mr_region_make("late", 4), 0), 4);
        _exit(0);
    }
    ASSERT_EQ(mr_waitset_wait(ws, LIMIT_MS, ev, 4), 1);
    ASSERT_PTR_EQ(ev[0].tag, &c2);
    ASSERT_EQ(mr_test_wait(pid), 0);
    char buf[8];
    ASSERT_EQ(mr_chan_try_recv(&c2, MR_REGION_OF_ARRAY(buf)), 4);
    /* The child's copy of p2 has no say: the parent's p2 is still open. */
    ASSERT_ERR(mr_chan_try_recv(&c2, MR_REGION_OF_ARRAY(buf)), -EAGAIN);

    ASSERT_OK(mr_chan_close(&c2));
    ASSERT_EQ(mr_waitset_wait(ws, 0, ev, 4), 1);
    ASSERT_EQ(ev[0].status, -EBADF);
    ASSERT_OK(mr_waitset_remove_chan(ws, &c2));
    ASSERT_EQ(mr_waitset_count(ws), 0);
    ASSERT_OK(mr_waitset_destroy(ws));
    ASSERT_OK(mr_chan_close(&c1));
    ASSERT_OK(mr_chan_close(&p2));
}

/* ---- 64 ends, 32 children ------------------------------------------------------- */

#define CHILDREN 32

static uint32_t n_msgs;

/* The child's side of a duplex pair over s: it receives the parent's
 * stream and sends its own, both of n_msgs messages, with blocking calls,
 * then closes its producer and reads to the parent's close. Child 0 also
 * writes to the pipe when it is done sending. */
static void child_duplex(struct mr_sock *s, int pipe_w)
{
    struct mr_chan c = MR_CHAN_INIT, p = MR_CHAN_INIT;
    ASSERT_OK(mr_chan_attach_sock(&c, s, CAP, MR_CHAN_CONSUMER, 0, LIMIT_MS));
    ASSERT_OK(mr_chan_create(&p, CAP, MR_CHAN_PRODUCER, 0));
    ASSERT_OK(mr_chan_share(&p, s));
    mr_sock_close(s);
    unsigned char buf[MSG_MAX];
    uint32_t got = 0;
    ssize_t n = -EAGAIN;
    for (uint32_t i = 0; i < n_msgs; i++) {
        size_t len = make_msg(buf, i);
        ASSERT_EQ(mr_chan_send(&p, mr_region_make(buf, len), LIMIT_MS), (ssize_t)len);
        if (n == -EPIPE)
            continue; /* the parent sent everything first */
        while ((n = mr_chan_try_recv(&c, MR_REGION_OF_ARRAY(buf))) >= 0)
            check_msg(buf, n, got++);
        if (n != -EAGAIN)
            ASSERT_ERR(n, -EPIPE);
    }
    ASSERT_OK(mr_chan_close(&p));
    if (pipe_w >= 0)
        ASSERT_EQ(write(pipe_w, "d", 1), 1);
    if (n != -EPIPE) {
        while ((n = mr_chan_recv(&c, MR_REGION_OF_ARRAY(buf), LIMIT_MS)) >= 0)
            check_msg(buf, n, got++);
    }
    ASSERT_ERR(n, -EPIPE);
    ASSERT_EQ(got, n_msgs);
    mr_chan_close(&c);
}

struct peer {
    struct mr_chan p, c; /* this side's producer and consumer, on one socket */
    uint32_t sent, got;
    bool p_done, c_done;
    pid_t pid;
};

static void test_64_ends(void)
{
    n_msgs = (uint32_t)mr_test_scale(4000);
    static struct peer peers[CHILDREN];
    int pfd[2];
    ASSERT_EQ(pipe2(pfd, O_CLOEXEC), 0);
    struct mr_waitset *ws;
    ASSERT_OK(mr_waitset_create(&ws));
    for (int k = 0; k < CHILDREN; k++) {
        struct peer *pe = &peers[k];
        *pe = (struct peer){ .p = MR_CHAN_INIT, .c = MR_CHAN_INIT };
        struct mr_sock a = MR_SOCK_INIT, b = MR_SOCK_INIT;
        ASSERT_OK(mr_sock_open_pair(&a, &b, SOCK_STREAM, 0));
        pe->pid = mr_test_fork();
        if (pe->pid == 0) {
            mr_sock_close(&a);
            close(pfd[0]);
            /* The copies of the parent's other ends stay untouched: closing
             * one would mark it closed for its peer. */
            mr_waitset_destroy(ws);
            child_duplex(&b, k == 0 ? pfd[1] : -1);
            _exit(0);
        }
        ASSERT_OK(mr_sock_close(&b));
        ASSERT_OK(mr_chan_create(&pe->p, CAP, MR_CHAN_PRODUCER, 0));
        ASSERT_OK(mr_chan_share(&pe->p, &a));
        ASSERT_OK(mr_chan_attach_sock(&pe->c, &a, CAP, MR_CHAN_CONSUMER, 0, LIMIT_MS));
        ASSERT_OK(mr_sock_close(&a));
        ASSERT_OK(mr_waitset_add_chan(ws, &pe->p, MSG_MAX, pe));
        ASSERT_OK(mr_waitset_add_chan(ws, &pe->c, 0, pe));
    }
    ASSERT_EQ(close(pfd[1]), 0);
    ASSERT_OK(mr_waitset_add_fd(ws, pfd[0], POLLIN, pfd));
    ASSERT_EQ(mr_waitset_count(ws), 2 * CHILDREN + 1);

    int open_ends = 2 * CHILDREN, pipe_bytes = 0;
    bool pipe_eof = false;
    struct mr_waitset_event ev[16];
    unsigned char buf[MSG_MAX];
    while (open_ends > 0 || !pipe_eof) {
        int n = mr_waitset_wait(ws, LIMIT_MS, ev, (int)MR_TEST_COUNT(ev));
        ASSERT_GT(n, 0);
        for (int e = 0; e < n; e++) {
            if (ev[e].chan == NULL) {
                ASSERT_PTR_EQ(ev[e].tag, pfd);
                ASSERT_EQ(ev[e].fd, pfd[0]);
                ASSERT_NE(ev[e].revents & (POLLIN | POLLHUP), 0);
                char x;
                ssize_t r = read(pfd[0], &x, 1);
                ASSERT_GE(r, 0);
                pipe_bytes += (int)r;
                if (r == 0) {
                    pipe_eof = true;
                    ASSERT_OK(mr_waitset_remove_fd(ws, pfd[0]));
                }
                continue;
            }
            struct peer *pe = ev[e].tag;
            if (ev[e].chan == &pe->c) {
                ssize_t r;
                while ((r = mr_chan_try_recv(&pe->c, MR_REGION_OF_ARRAY(buf))) >= 0)
                    check_msg(buf, r, pe->got++);
                if (r == -EAGAIN)
                    continue;
                ASSERT_ERR(r, -EPIPE);
                ASSERT_TRUE(ev[e].status == 1 || ev[e].status == -EPIPE);
                ASSERT_EQ(pe->got, n_msgs);
                ASSERT_OK(mr_waitset_remove_chan(ws, &pe->c));
                ASSERT_OK(mr_chan_close(&pe->c));
                pe->c_done = true;
                open_ends--;
            } else {
                ASSERT_PTR_EQ(ev[e].chan, &pe->p);
                ASSERT_EQ(ev[e].status, 1);
                while (pe->sent < n_msgs) {
                    size_t len = make_msg(buf, pe->sent);
                    ssize_t r = mr_chan_try_send(&pe->p, mr_region_make(buf, len));
                    if (r == -EAGAIN)
                        break;
                    ASSERT_EQ(r, (ssize_t)len);
                    pe->sent++;
                }
                if (pe->sent == n_msgs) {
                    ASSERT_OK(mr_waitset_remove_chan(ws, &pe->p));
                    ASSERT_OK(mr_chan_close(&pe->p));
                    pe->p_done = true;
                    open_ends--;
                }
            }
        }
    }
    ASSERT_EQ(pipe_bytes, 1);
    ASSERT_EQ(mr_waitset_count(ws), 0);
    for (int k = 0; k < CHILDREN; k++)
        ASSERT_EQ(mr_test_wait(peers[k].pid), 0);
    ASSERT_OK(mr_waitset_destroy(ws));
    ASSERT_EQ(close(pfd[0]), 0);
}

/* ---- a peer that closes, a peer that dies ---------------------------------------- */

static int go_pipe[2];

/* The child's producer end over s: it sends one message, waits for the
 * parent's go, then closes in order or dies. */
static void child_producer(struct mr_sock *s, bool dies)
{
    struct mr_chan p = MR_CHAN_INIT;
    ASSERT_OK(mr_chan_attach_sock(&p, s, CAP, MR_CHAN_PRODUCER, 0, LIMIT_MS));
    mr_sock_close(s);
    ASSERT_EQ(mr_chan_send(&p, mr_region_make("last", 4), LIMIT_MS), 4);
    char x;
    ASSERT_EQ(read(go_pipe[0], &x, 1), 1);
    if (dies)
        raise(SIGKILL);
    mr_chan_close(&p);
}

static void test_gone(void)
{
    ASSERT_EQ(pipe2(go_pipe, O_CLOEXEC), 0);
    struct mr_waitset *ws;
    ASSERT_OK(mr_waitset_create(&ws));
    struct mr_chan c[2] = { MR_CHAN_INIT, MR_CHAN_INIT };
    pid_t pid[2];
    for (int k = 0; k < 2; k++) {
        struct mr_sock a = MR_SOCK_INIT, b = MR_SOCK_INIT;
        ASSERT_OK(mr_sock_open_pair(&a, &b, SOCK_STREAM, 0));
        pid[k] = mr_test_fork();
        if (pid[k] == 0) {
            mr_sock_close(&a);
            mr_waitset_destroy(ws);
            child_producer(&b, k == 1);
            _exit(0);
        }
        ASSERT_OK(mr_sock_close(&b));
        ASSERT_OK(mr_chan_create(&c[k], CAP, MR_CHAN_CONSUMER, 0));
        ASSERT_OK(mr_chan_share(&c[k], &a));
        ASSERT_OK(mr_sock_close(&a));
        ASSERT_OK(mr_waitset_add_chan(ws, &c[k], 0, &c[k]));
    }
    /* Both messages, then nothing until the go. */
    struct mr_waitset_event ev[4];
    char buf[8];
    for (int seen = 0; seen < 2;) {
        int n = mr_waitset_wait(ws, LIMIT_MS, ev, 4);
        ASSERT_GT(n, 0);
        for (int e = 0; e < n; e++) {
            ASSERT_EQ(ev[e].status, 1);
            ASSERT_EQ(mr_chan_try_recv(ev[e].chan, MR_REGION_OF_ARRAY(buf)), 4);
            seen++;
        }
    }
    ASSERT_ERR(mr_waitset_wait(ws, 20, ev, 4), -ETIMEDOUT);
    ASSERT_EQ(write(go_pipe[1], "gg", 2), 2);
    int status[2] = { 0, 0 };
    while (status[0] == 0 || status[1] == 0) {
        int n = mr_waitset_wait(ws, LIMIT_MS, ev, 4);
        ASSERT_GT(n, 0);
        for (int e = 0; e < n; e++) {
            int k = ev[e].chan == &c[0] ? 0 : 1;
            ASSERT_PTR_EQ(ev[e].chan, &c[k]);
            status[k] = ev[e].status;
            ASSERT_LT(status[k], 0);
            ASSERT_ERR(mr_chan_try_recv(&c[k], MR_REGION_OF_ARRAY(buf)), status[k]);
        }
    }
    ASSERT_EQ(status[0], -EPIPE);
    ASSERT_EQ(status[1], -ECONNRESET);
    /* Level-triggered: still reported until removed. */
    ASSERT_EQ(mr_waitset_wait(ws, 0, ev, 4), 2);
    ASSERT_EQ(mr_test_wait(pid[0]), 0);
    ASSERT_EQ(mr_test_wait(pid[1]), 1000 + SIGKILL);
    for (int k = 0; k < 2; k++) {
        ASSERT_OK(mr_waitset_remove_chan(ws, &c[k]));
        ASSERT_OK(mr_chan_close(&c[k]));
    }
    ASSERT_OK(mr_waitset_destroy(ws));
    close(go_pipe[0]);
    close(go_pipe[1]);
}

/* ---- services ---------------------------------------------------------------------- */

#define SVC_CLIENTS 4
#define SVC_REQUESTS 500

static char svc_name[64];

/* A client of the duplex service: each request waits for its reply. */
static void svc_client(void *arg)
{
    (void)arg;
    struct mr_svc_conn conn = MR_SVC_CONN_INIT;
    ASSERT_OK(mr_svc_connect(&conn, svc_name, NULL, LIMIT_MS));
    for (uint32_t i = 0; i < SVC_REQUESTS; i++) {
        uint32_t reply;
        ASSERT_EQ(mr_chan_send(&conn.tx, MR_REGION_OF(i), LIMIT_MS), 4);
        ASSERT_EQ(mr_chan_recv(&conn.rx, MR_REGION_OF(reply), LIMIT_MS), 4);
        ASSERT_EQ(reply, 2 * i + 1);
    }
    ASSERT_OK(mr_svc_conn_close(&conn));
}

/* A server of svc.h with its clients' request ends in one waitset: every
 * request answered, every close seen. */
static void test_svc(void)
{
    snprintf(svc_name, sizeof svc_name, "@test-waitset-%ld", (long)getpid());
    struct mr_svc svc = MR_SVC_INIT;
    struct mr_svc_opts opts = { .capacity = 64 * 1024, .flags = MR_SVC_DUPLEX };
    ASSERT_OK(mr_svc_offer(&svc, svc_name, &opts));
    pid_t pid[SVC_CLIENTS];
    for (int k = 0; k < SVC_CLIENTS; k++)
        pid[k] = mr_test_start(svc_client, NULL);
    static struct mr_svc_conn conn[SVC_CLIENTS];
    struct mr_waitset *ws;
    ASSERT_OK(mr_waitset_create(&ws));
    for (int k = 0; k < SVC_CLIENTS; k++) {
        conn[k] = (struct mr_svc_conn)MR_SVC_CONN_INIT;
        ASSERT_OK(mr_svc_accept(&svc, &conn[k], LIMIT_MS));
        ASSERT_OK(mr_waitset_add_chan(ws, &conn[k].rx, 0, &conn[k]));
    }
    int open_conns = SVC_CLIENTS;
    uint32_t served = 0;
    struct mr_waitset_event ev[8];
    while (open_conns > 0) {
        int n = mr_waitset_wait(ws, LIMIT_MS, ev, 8);
        ASSERT_GT(n, 0);
        for (int e = 0; e < n; e++) {
            struct mr_svc_conn *c = ev[e].tag;
            uint32_t req;
            ssize_t r;
            while ((r = mr_chan_try_recv(&c->rx, MR_REGION_OF(req))) == 4) {
                uint32_t reply = 2 * req + 1;
                ASSERT_EQ(mr_chan_send(&c->tx, MR_REGION_OF(reply), 0), 4);
                served++;
            }
            if (r == -EAGAIN)
                continue;
            ASSERT_ERR(r, -EPIPE);
            ASSERT_OK(mr_waitset_remove_chan(ws, &c->rx));
            ASSERT_OK(mr_svc_conn_close(c));
            open_conns--;
        }
    }
    ASSERT_EQ(served, (uint32_t)(SVC_CLIENTS * SVC_REQUESTS));
    for (int k = 0; k < SVC_CLIENTS; k++)
        ASSERT_EQ(mr_test_wait(pid[k]), 0);
    ASSERT_OK(mr_waitset_destroy(ws));
    ASSERT_OK(mr_svc_close(&svc));
}

int main(void)
{
    MR_TEST_RUN(test_errors);
    MR_TEST_RUN(test_ready_and_timeouts);
    MR_TEST_RUN(test_shared_registration);
    MR_TEST_RUN(test_gone);
    MR_TEST_RUN(test_64_ends);
    MR_TEST_RUN(test_svc);
    return 0;
}
