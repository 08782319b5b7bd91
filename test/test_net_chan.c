/* SPDX-License-Identifier: MIT */
/* test_net_chan: remote channels between two processes on loopback, over
 * UCX's tcp and shared-memory transports: a million messages of random
 * lengths (0 to 8000 bytes, most short), in order, every byte checked and
 * the whole checksummed, then -EPIPE after the producer's close; a
 * producer that dies mid-stream (the consumer reads what came, then
 * -ECONNRESET within MR_NET_DEATH_MS); a consumer that dies or closes (the
 * producer gets -ECONNRESET / -EPIPE); roles, sizes and misuse. */
#include "net_test.h"

#include <signal.h>

#define ID 7

struct child {
    enum mr_net_transport t;
    char text[MR_ADDR_TEXT_MAX];
    uint64_t count;
    int die_after; /* 0: close in order; else SIGKILL after that many */
};

static size_t msg_len(uint64_t *rng)
{
    uint64_t r = mr_test_rand(rng);
    if ((r & 255) == 0)
        return (size_t)(r >> 8) % 8001;
    return (size_t)(r >> 8) % 200;
}

static uint8_t msg_byte(uint64_t seq, size_t i)
{
    return (uint8_t)(seq * 7 + i * 13 + (i >> 8));
}

static void producer(void *arg)
{
    struct child *c = arg;
    struct mr_net *n;
    struct mr_net_peer *p = mr_test_net_dial(c->t, c->text, &n);
    struct mr_net_chan *ch;
    ASSERT_EQ(mr_net_chan_open(p, ID, MR_NET_PRODUCER, 8192, &ch), 0);
    uint64_t rng = 42;
    for (uint64_t seq = 0; seq < c->count; seq++) {
        size_t len = msg_len(&rng);
        struct mr_region r;
        ASSERT_EQ(mr_net_chan_reserve(ch, len, 10000, &r), 0);
        unsigned char *b = r.ptr;
        for (size_t i = 0; i < len; i++)
            b[i] = msg_byte(seq, i);
        ASSERT_EQ(mr_net_chan_commit(ch, len), 0);
        if (c->die_after && seq + 1 == (uint64_t)c->die_after) {
            ASSERT_EQ(mr_net_chan_flush(ch, 30000), 0);
            int64_t end = mr_test_now_ms() + 200;
            while (mr_test_now_ms() < end)
                mr_net_progress(n);
            raise(SIGKILL);
        }
    }
    ASSERT_EQ(mr_net_chan_close(ch), 0);
    ASSERT_EQ(mr_net_peer_close(p), 0);
    ASSERT_EQ(mr_net_close(n), 0);
}

static void test_stream(enum mr_net_transport t, uint64_t count, int die_after)
{
    struct mr_net *n;
    if (mr_test_net_open(&n, t) < 0)
        return;
    struct child c = { .t = t, .count = count, .die_after = die_after };
    struct mr_addr bound;
    ASSERT_EQ(mr_net_listen(n, "127.0.0.1:0", &bound), 0);
    mr_test_net_text(&bound, c.text, sizeof c.text);
    pid_t pid = mr_test_start(producer, &c);
    struct mr_net_peer *p;
    ASSERT_EQ(mr_net_accept(n, 5000, &p), 0);
    struct mr_net_chan *ch;
    ASSERT_EQ(mr_net_chan_open(p, ID, MR_NET_CONSUMER, 1 << 20, &ch), 0);
    ASSERT_EQ(mr_net_chan_open(p, ID, MR_NET_CONSUMER, 1 << 20, &ch), -EBUSY);
    uint64_t rng = 42, seq = 0, sum = 0, want = 0;
    int64_t t0 = mr_test_now_ms(), last = t0;
    int rc;
    struct mr_region m;
    while ((rc = mr_net_chan_peek(ch, 20000, &m)) == 0) {
        size_t len = msg_len(&rng);
        ASSERT_EQ(m.len, len);
        ASSERT_TRUE(m.flags & MR_REGION_RDONLY);
        ASSERT_ALIGNED(m.ptr, 8);
        const unsigned char *b = m.ptr;
        for (size_t i = 0; i < len; i++) {
            if (b[i] != msg_byte(seq, i))
                mr_test_fail(__FILE__, __LINE__, "message %llu byte %zu", (unsigned long long)seq, i);
            sum = sum * 31 + b[i];
            want = want * 31 + msg_byte(seq, i);
        }
        ASSERT_EQ(mr_net_chan_release(ch), 0);
        seq++;
        last = mr_test_now_ms();
    }
    int64_t took = mr_test_now_ms() - last;
    ASSERT_EQ(sum, want);
    if (!die_after) {
        ASSERT_EQ(rc, -EPIPE);
        ASSERT_EQ(seq, count);
        ASSERT_EQ(mr_test_wait(pid), 0);
        printf("transport %d: %llu messages in %lld ms, in order, checksum %016llx\n", (int)t,
               (unsigned long long)seq, (long long)(last - t0), (unsigned long long)sum);
    } else {
        ASSERT_EQ(rc, -ECONNRESET);
        ASSERT_GE(seq, (uint64_t)die_after);
        ASSERT_LT(took, MR_NET_DEATH_MS);
        ASSERT_EQ(mr_test_wait(pid), 1000 + SIGKILL);
    }
    ASSERT_EQ(mr_net_chan_peek(ch, 0, &m), rc);
    ASSERT_EQ(mr_net_chan_close(ch), 0);
    ASSERT_EQ(mr_net_peer_close(p), 0);
    ASSERT_EQ(mr_net_close(n), 0);
}

/* The consumer reads a few messages, then dies or closes. */
static void consumer(void *arg)
{
    struct child *c = arg;
    struct mr_net *n;
    struct mr_net_peer *p = mr_test_net_dial(c->t, c->text, &n);
    struct mr_net_chan *ch;
    ASSERT_EQ(mr_net_chan_open(p, ID, MR_NET_CONSUMER, 4096, &ch), 0);
    char buf[64];
    for (int i = 0; i < 100; i++)
        ASSERT_EQ(mr_net_chan_recv(ch, MR_REGION_OF_ARRAY(buf), 10000), 10);
    if (c->die_after)
        raise(SIGKILL);
    ASSERT_EQ(mr_net_chan_close(ch), 0);
    /* The peer stays until the producer has seen the close. */
    while (mr_net_peer_status(p) == 0)
        mr_net_progress(n);
    mr_net_peer_close(p);
    mr_net_close(n);
}

static void test_consumer_end(enum mr_net_transport t, int die)
{
    struct mr_net *n;
    if (mr_test_net_open(&n, t) < 0)
        return;
    struct child c = { .t = t, .die_after = die };
    struct mr_addr bound;
    ASSERT_EQ(mr_net_listen(n, "127.0.0.1:0", &bound), 0);
    mr_test_net_text(&bound, c.text, sizeof c.text);
    pid_t pid = mr_test_start(consumer, &c);
    struct mr_net_peer *p;
    ASSERT_EQ(mr_net_accept(n, 5000, &p), 0);
    struct mr_net_chan *ch;
    ASSERT_EQ(mr_net_chan_open(p, ID, MR_NET_PRODUCER, 0, &ch), 0);
    struct mr_region r;
    ASSERT_EQ(mr_net_chan_peek(ch, 0, &r), -EBADF);
    ASSERT_EQ(mr_net_chan_commit(ch, 1), -EINVAL);
    ASSERT_EQ(mr_net_chan_reserve(ch, 5000, 0, &r), -EMSGSIZE);
    ASSERT_EQ(mr_net_chan_reserve(ch, 10, 5000, &r), 0);
    ASSERT_EQ(mr_net_chan_reserve(ch, 10, 5000, &r), -EBUSY);
    ASSERT_EQ(mr_net_chan_commit(ch, 11), -ERANGE);
    memcpy(r.ptr, "0123456789", 10);
    ASSERT_EQ(mr_net_chan_commit(ch, 10), 0);
    ssize_t sent;
    int64_t t0 = mr_test_now_ms();
    do {
        t0 = mr_test_now_ms();
        sent = mr_net_chan_send(ch, mr_region_make("0123456789", 10), 20000);
    } while (sent == 10);
    ASSERT_EQ(sent, die ? -ECONNRESET : -EPIPE);
    ASSERT_LT(mr_test_now_ms() - t0, MR_NET_DEATH_MS);
    ASSERT_EQ(mr_net_chan_close(ch), 0);
    ASSERT_EQ(mr_net_peer_close(p), 0);
    ASSERT_EQ(mr_test_wait(pid), die ? 1000 + SIGKILL : 0);
    ASSERT_EQ(mr_net_close(n), 0);
}

static void test_misuse(void)
{
    struct mr_net *n;
    if (mr_test_net_open(&n, MR_NET_TCP) < 0)
        return;
    struct mr_addr bound;
    ASSERT_EQ(mr_net_listen(n, "127.0.0.1:0", &bound), 0);
    struct child c = { .t = MR_NET_TCP, .count = 0 };
    mr_test_net_text(&bound, c.text, sizeof c.text);
    pid_t pid = mr_test_start(producer, &c);
    struct mr_net_peer *p;
    ASSERT_EQ(mr_net_accept(n, 5000, &p), 0);
    struct mr_net_chan *ch;
    ASSERT_EQ(mr_net_chan_open(p, ID, (enum mr_net_chan_role)0, 4096, &ch), -EINVAL);
    ASSERT_EQ(mr_net_chan_open(p, ID, MR_NET_CONSUMER, 100, &ch), -EINVAL);
    ASSERT_EQ(mr_net_chan_open(p, ID, MR_NET_CONSUMER, 4096, &ch), 0);
    ASSERT_EQ(mr_net_chan_max_msg(ch), (size_t)4088);
    struct mr_region r;
    ASSERT_EQ(mr_net_chan_reserve(ch, 1, 0, &r), -EBADF);
    ASSERT_EQ(mr_net_chan_release(ch), -EINVAL);
    ASSERT_EQ(mr_net_chan_peek(ch, -2, &r), -EINVAL);
    ASSERT_EQ(mr_net_chan_peek(ch, 5000, &r), -EPIPE); /* an empty stream, closed */
    ASSERT_EQ(mr_test_wait(pid), 0);
    ASSERT_EQ(mr_net_chan_close(ch), 0);
    ASSERT_EQ(mr_net_chan_close(NULL), 0);
    ASSERT_EQ(mr_net_close(n), 0); /* closes the peer */
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    uint64_t count = mr_test_scale(1000000);
    test_misuse();
    test_stream(MR_NET_TCP, count, 0);
    test_stream(MR_NET_SM, count, 0);
    test_stream(MR_NET_TCP, 1000000, 5000);
    test_stream(MR_NET_SM, 1000000, 5000);
    test_consumer_end(MR_NET_TCP, 0);
    test_consumer_end(MR_NET_TCP, 1);
    test_consumer_end(MR_NET_SM, 1);
    printf("ok\n");
    return 0;
}
