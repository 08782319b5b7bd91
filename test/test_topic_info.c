/* SPDX-License-Identifier: MIT */
/* test/test_topic_info.c: a topic looked at from outside (mr_topic_info):
 * three subscriber processes, one held back by a known count, are
 * reported with their pids and exactly that lag, and asking changes
 * nothing for them (every message still arrives, none is dropped); a
 * service that is not a topic, and a socket speaking nonsense, are errors
 * in bounded time, not a hang or a crash. */
#include "svc_test.h"
#include "topic_internal.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define WAIT_MS 10000
#define N 100
#define HELD 60 /* the slow subscriber reads this many before the info */

static size_t msg_len(uint64_t i)
{
    return 8 + (size_t)(mr_test_mix(i) % 200);
}

/* A subscriber: attach, say so; read first_n messages, say so; wait for
 * the go; read the rest (each one's index checked), then -EPIPE. */
struct sub_arg {
    const char *name;
    uint64_t first_n;
    int ready; /* one byte after attaching, one after first_n */
    int go;
};

static void subscriber(void *p)
{
    struct sub_arg *a = p;
    struct mr_topic_sub *s;
    mr_test_die_with_parent();
    ASSERT_OK(mr_topic_attach(&s, a->name, NULL, WAIT_MS));
    ASSERT_EQ(write(a->ready, "a", 1), 1);
    unsigned char buf[256];
    for (uint64_t i = 0; i <= N; i++) {
        if (i == a->first_n) {
            char c;
            ASSERT_EQ(write(a->ready, "b", 1), 1);
            ASSERT_EQ(read(a->go, &c, 1), 1);
        }
        if (i == N)
            break;
        uint64_t got;
        ssize_t n = mr_topic_recv(s, MR_REGION_OF_ARRAY(buf), WAIT_MS, NULL);
        ASSERT_EQ(n, (ssize_t)msg_len(i));
        memcpy(&got, buf, 8);
        ASSERT_EQ(got, i);
    }
    struct mr_region r;
    ASSERT_ERR(mr_topic_peek(s, WAIT_MS, &r, NULL), -EPIPE);
    ASSERT_OK(mr_topic_detach(s));
}

/* An asker process: its mr_topic_info against what is expected. */
struct ask_arg {
    const char *name;
    pid_t pid[3];
    uint64_t slow_bytes;
};

static void asker(void *p)
{
    struct ask_arg *a = p;
    struct mr_topic_info ti;
    struct mr_topic_sub_info si[4];
    mr_test_die_with_parent();
    ASSERT_EQ(mr_topic_info(a->name, NULL, &ti, si, 4, WAIT_MS), 3);
    ASSERT_EQ(ti.policy, MR_TOPIC_RELIABLE);
    ASSERT_EQ(ti.capacity, (uint64_t)1 << 16);
    ASSERT_EQ(ti.published, (uint64_t)N);
    ASSERT_EQ(ti.subscribers, 3u);
    ASSERT_EQ(ti.max_subs, 8u);
    int seen = 0;
    for (int i = 0; i < 3; i++) {
        int k = si[i].pid == a->pid[0] ? 0 : si[i].pid == a->pid[1] ? 1 : si[i].pid == a->pid[2] ? 2 : -1;
        ASSERT_GE(k, 0);
        seen |= 1 << k;
        ASSERT_EQ(si[i].flags, 0u);
        ASSERT_EQ(si[i].behind_messages, k == 2 ? (uint64_t)(N - HELD) : 0u);
        ASSERT_EQ(si[i].behind_bytes, k == 2 ? a->slow_bytes : 0u);
    }
    ASSERT_EQ(seen, 7);
    /* Fewer entries than subscribers: the count still says 3. */
    ASSERT_EQ(mr_topic_info(a->name, NULL, &ti, si, 1, WAIT_MS), 3);
    ASSERT_EQ(mr_topic_info(a->name, NULL, &ti, NULL, 0, WAIT_MS), 3);
}

/* Accept (answering askers) until the asker process exits; its status. */
static int serve_asker(struct mr_topic *t, pid_t pid)
{
    int64_t end = mr__now_ns() + (int64_t)WAIT_MS * 1000000;
    for (;;) {
        int st, rc = mr_topic_accept(t, 20);
        ASSERT_ERR(rc, -ETIMEDOUT);
        pid_t w = waitpid(pid, &st, WNOHANG);
        if (w == pid)
            return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
        ASSERT_LT(mr__now_ns(), end);
    }
}

static void test_lag(void)
{
    const char *name = mr_test_svc_name("info");
    struct mr_topic *t;
    struct mr_topic_opts o = { 1 << 16, MR_TOPIC_RELIABLE, 0, 8, 0, MR_FOREVER, NULL, NULL };
    ASSERT_OK(mr_topic_create(&t, name, &o));
    int rp[2], gp[2];
    ASSERT_EQ(pipe2(rp, O_CLOEXEC), 0);
    ASSERT_EQ(pipe2(gp, O_CLOEXEC), 0);
    struct sub_arg fast = { name, N, rp[1], gp[0] }, slow = { name, HELD, rp[1], gp[0] };
    struct ask_arg a = { name, { 0, 0, 0 }, 0 };
    for (int i = 0; i < 3; i++) {
        a.pid[i] = mr_test_start(subscriber, i == 2 ? &slow : &fast);
        ASSERT_GE(mr_topic_accept(t, WAIT_MS), 0);
    }
    char c;
    for (int i = 0; i < 3; i++)
        ASSERT_EQ(read(rp[0], &c, 1), 1);
    for (uint64_t i = 0; i < N; i++) {
        unsigned char m[256];
        memset(m, (int)i, sizeof m);
        memcpy(m, &i, 8);
        ASSERT_EQ(mr_topic_publish(t, (struct mr_region){ m, msg_len(i), 0 }, WAIT_MS), (ssize_t)msg_len(i));
        if (i >= HELD)
            a.slow_bytes += MR_TOPIC_MSG_OVERHEAD + ((msg_len(i) + 7) & ~(size_t)7);
    }
    for (int i = 0; i < 3; i++)
        ASSERT_EQ(read(rp[0], &c, 1), 1);
    struct mr_topic_stats before;
    mr_topic_stats(t, &before);

    ASSERT_EQ(serve_asker(t, mr_test_start(asker, &a)), 0);

    /* Nothing changed for the stream. */
    struct mr_topic_stats after;
    mr_topic_stats(t, &after);
    ASSERT_EQ(after.accepted, before.accepted);
    ASSERT_EQ(after.dropped, 0u);
    ASSERT_EQ(after.messages, (uint64_t)N);
    ASSERT_EQ(mr_topic_subscribers(t), 3);
    ASSERT_EQ(t->svc.dropped, 0u);
    ASSERT_EQ(write(gp[1], "ggg", 3), 3);
    ASSERT_OK(mr_topic_destroy(t));
    for (int i = 0; i < 3; i++)
        ASSERT_EQ(mr_test_wait(a.pid[i]), 0);
    close(rp[0]);
    close(rp[1]);
    close(gp[0]);
    close(gp[1]);
}

/* A service with channels, and one without (its own protocol): each
 * refuses the info request, read as "not a topic"; the server's accept
 * goes on waiting, neither counting it nor returning it. */
static void not_topic(void *p)
{
    const char *name = p;
    struct mr_topic_info ti;
    mr_test_die_with_parent();
    ASSERT_ERR(mr_topic_info(name, NULL, &ti, NULL, 0, WAIT_MS), -EPROTOTYPE);
    ASSERT_EQ(ti.subscribers, 0u);
}

static void test_not_topic(void)
{
    static const unsigned flags[] = { 0, MR_SVC_NO_CHANNELS };
    for (int k = 0; k < 2; k++) {
        const char *name = mr_test_svc_name(k ? "bare" : "chans");
        struct mr_svc s = MR_SVC_INIT;
        struct mr_svc_opts so = { 0, flags[k], NULL, NULL };
        ASSERT_OK(mr_svc_offer(&s, name, &so));
        pid_t pid = mr_test_start(not_topic, (void *)name);
        struct mr_svc_conn c;
        ASSERT_ERR(mr_svc_accept(&s, &c, 1000), -ETIMEDOUT);
        ASSERT_EQ(mr_test_wait(pid), 0);
        ASSERT_EQ(s.dropped, 0u);
        ASSERT_OK(mr_svc_close(&s));
    }
}

/* A server speaking nonsense: garbage after a good greeting, a short
 * answer, a bad count, and silence: errors, each within its bound. */
static void test_garbage(void)
{
    const char *name = mr_test_svc_name("junk");
    for (int mode = 0; mode < 6; mode++) {
        struct mr_svc s = MR_SVC_INIT;
        struct mr_svc_opts so = { 0, MR_SVC_NO_CHANNELS, NULL, NULL };
        ASSERT_OK(mr_svc_offer(&s, name, &so));
        pid_t pid = mr_test_fork();
        if (pid == 0) {
            struct mr_topic_info ti;
            struct mr_topic_sub_info si[2];
            mr_test_die_with_parent();
            int rc = mr_topic_info(name, NULL, &ti, si, 2, mode == 5 ? 300 : WAIT_MS);
            _exit(rc == (mode == 5 ? -ETIMEDOUT : -EPROTO) ? 0 : 1);
        }
        struct mr_sock c = MR_SOCK_INIT;
        ASSERT_OK(mr_sock_accept(&s.listener, &c, NULL, WAIT_MS));
        unsigned char hello[16], buf[MR__TOPIC_INFO_LEN + 2 * MR__TOPIC_INFO_SUB_LEN];
        ASSERT_EQ(mr_sock_recv_exact(&c, MR_REGION_OF_ARRAY(hello), WAIT_MS, NULL), 16);
        unsigned char ok[MR__SVC_REPLY_LEN];
        mr__svc_reply_make(ok, 0, 0, 0, 0);
        size_t len = sizeof buf;
        mr__topic_info_make(buf, MR_TOPIC_RELIABLE, 4096, 5, 2, 8);
        mr__topic_info_sub_make(buf + MR__TOPIC_INFO_LEN, (uint32_t)getpid(), 0, 1, 16);
        mr__topic_info_sub_make(buf + MR__TOPIC_INFO_LEN + MR__TOPIC_INFO_SUB_LEN, 1, 0, 0, 0);
        if (mode == 0)
            memset(ok, 0x5a, sizeof ok); /* not a greeting */
        else if (mode == 1)
            len = MR__TOPIC_INFO_LEN + 3; /* cut short */
        else if (mode == 2)
            mr_store_u32le(buf, 32, 9); /* more subscribers than max_subs */
        else if (mode == 3)
            mr__topic_info_sub_make(buf + MR__TOPIC_INFO_LEN, 7, 0, 9, 16); /* 9 messages in 16 bytes */
        else if (mode == 4)
            buf[3] ^= 1; /* another magic */
        if (mode != 5) {
            ASSERT_EQ(mr_sock_send_all(&c, MR_REGION_OF_ARRAY(ok), WAIT_MS, NULL), (ssize_t)sizeof ok);
            /* The asker may have hung up already (a bad greeting). */
            (void)mr_sock_send_all(&c, (struct mr_region){ buf, len, 0 }, WAIT_MS, NULL);
        }
        if (mode != 5)
            mr_sock_close(&c);
        ASSERT_EQ(mr_test_wait(pid), 0);
        mr_sock_close(&c);
        ASSERT_OK(mr_svc_close(&s));
    }
}

static void test_args(void)
{
    struct mr_topic_info ti;
    struct mr_topic_sub_info si;
    ASSERT_ERR(mr_topic_info(NULL, NULL, &ti, NULL, 0, 0), -EINVAL);
    ASSERT_ERR(mr_topic_info("x", NULL, NULL, NULL, 0, 0), -EINVAL);
    ASSERT_ERR(mr_topic_info("x", NULL, &ti, NULL, 1, 0), -EINVAL);
    ASSERT_ERR(mr_topic_info("x", NULL, &ti, &si, 1, -5), -EINVAL);
    ASSERT_ERR(mr_topic_info(mr_test_svc_name("none"), NULL, &ti, &si, 1, 0), -ENOENT);
}

int main(void)
{
    mr_test_svc_setup();
    MR_TEST_SVC_RUN(test_args);
    MR_TEST_SVC_RUN(test_lag);
    MR_TEST_SVC_RUN(test_not_topic);
    MR_TEST_SVC_RUN(test_garbage);
    return 0;
}
