/* SPDX-License-Identifier: MIT */
/* test/test_chan_inline.c: the inline forms of chan.h (mr_chan_send_inline,
 * _recv_inline, _reserve_inline, _commit_inline, _peek_inline,
 * _release_inline) do what the exported calls do. A table of cases, each a
 * state two identical pairs of ends are brought to and a call with its
 * arguments: the exported call on one pair, the inline form on the other,
 * in both modes (MR_CHAN_FENCED and not). The two must return the same
 * (and what the table says chan.h promises), hand out the same region (by
 * its place in the ring), and leave the two pairs in the same state: the
 * same figures, and the same answers to the same calls afterwards. The
 * cases are the fast paths' own, with and without a copy above 64 bytes,
 * and every way off them: a closed end (MR_CHAN_INIT or zeroed), the
 * wrong role, a reservation or a peek pending (single or batch), a timeout
 * below -1, a message too long, a read-only buffer, a buffer too short
 * (the message stays peeked), no room or no message (now or by a
 * deadline), the peer closed, and a broken end. */
#include "chan_test.h"

#include <limits.h>

#define CAP ((size_t)4096)
#define MAX (CAP - 16)

enum call { SEND, RECV, RESERVE, COMMIT, PEEK, RELEASE };
static const char *const call_names[] = { "send", "recv", "reserve", "commit", "peek", "release" };

/* What the two ends hold before the call. */
enum state {
    CLOSED,       /* MR_CHAN_INIT */
    ZEROED,       /* all zero bytes */
    EMPTY,        /* a fresh pair */
    MSGS,         /* messages of 16 and 100 bytes committed */
    BIG_FIRST,    /* 100, then 16 */
    FULL,         /* no room, not even for an empty message */
    RESERVED,     /* one message committed, a reservation of 16 pending */
    RESERVED_N,   /* one message committed, reserve_n of 3 x 16 pending */
    PEEKED,       /* MSGS with the first peeked */
    PEEKED_N,     /* MSGS with both peeked by peek_n */
    SHORT_PEEKED, /* MSGS with the first left peeked by a recv too short */
    PEER_CLOSED,  /* MSGS, and the other end closed */
    DRAINED,      /* the producer closed, nothing left */
    BROKEN,       /* MSGS with a reservation, both ends broken */
};

/* Where the call goes: the end of the role it is for, or the other. */
enum { MINE, OTHER };

/* Arguments: len is the length sent, reserved or committed, or the
 * buffer's; ro makes the message or buffer read-only. */
struct tcase {
    enum call call;
    enum state state;
    int end;
    size_t len;
    int timeout;
    bool ro;
    long long want;
};

static const struct tcase cases[] = {
    /* send */
    { SEND, EMPTY, MINE, 16, 0, false, 16 },
    { SEND, EMPTY, MINE, 0, -1, false, 0 },
    { SEND, EMPTY, MINE, 1, 0, false, 1 },
    { SEND, EMPTY, MINE, 64, 0, false, 64 },
    { SEND, EMPTY, MINE, 65, 0, false, 65 },
    { SEND, EMPTY, MINE, 1000, 0, true, 1000 }, /* a read-only source is fine */
    { SEND, EMPTY, MINE, MAX, 0, false, (long long)MAX },
    { SEND, EMPTY, MINE, MAX + 1, 0, false, -EMSGSIZE },
    { SEND, EMPTY, MINE, SIZE_MAX, -1, false, -EMSGSIZE },
    { SEND, EMPTY, MINE, 16, -2, false, -EINVAL },
    { SEND, EMPTY, MINE, 16, INT_MIN, false, -EINVAL },
    { SEND, CLOSED, MINE, 16, 0, false, -EBADF },
    { SEND, CLOSED, MINE, 16, -2, false, -EBADF },
    { SEND, ZEROED, MINE, 16, 0, false, -EBADF },
    { SEND, EMPTY, OTHER, 16, 0, false, -EBADF },
    { SEND, FULL, MINE, 16, 0, false, -EAGAIN },
    { SEND, FULL, MINE, 16, 5, false, -ETIMEDOUT },
    { SEND, FULL, MINE, 0, 0, false, -EAGAIN },
    { SEND, RESERVED, MINE, 16, 0, false, -EBUSY },
    { SEND, RESERVED_N, MINE, 16, -1, false, -EBUSY },
    { SEND, PEER_CLOSED, MINE, 16, -1, false, -EPIPE },
    { SEND, BROKEN, MINE, 16, -1, false, -EPROTO },
    /* reserve */
    { RESERVE, EMPTY, MINE, 16, 0, false, 0 },
    { RESERVE, EMPTY, MINE, 0, -1, false, 0 },
    { RESERVE, EMPTY, MINE, MAX, 0, false, 0 },
    { RESERVE, EMPTY, MINE, MAX + 1, 0, false, -EMSGSIZE },
    { RESERVE, EMPTY, MINE, SIZE_MAX, 0, false, -EMSGSIZE },
    { RESERVE, EMPTY, MINE, 16, -2, false, -EINVAL },
    { RESERVE, CLOSED, MINE, 16, 0, false, -EBADF },
    { RESERVE, ZEROED, MINE, 16, INT_MIN, false, -EBADF },
    { RESERVE, EMPTY, OTHER, 16, 0, false, -EBADF },
    { RESERVE, FULL, MINE, 16, 0, false, -EAGAIN },
    { RESERVE, FULL, MINE, 16, 5, false, -ETIMEDOUT },
    { RESERVE, RESERVED, MINE, 16, 0, false, -EBUSY },
    { RESERVE, RESERVED_N, MINE, 16, 0, false, -EBUSY },
    { RESERVE, PEER_CLOSED, MINE, 16, 0, false, -EPIPE },
    { RESERVE, BROKEN, MINE, 16, 0, false, -EPROTO },
    /* commit */
    { COMMIT, RESERVED, MINE, 16, 0, false, 0 },
    { COMMIT, RESERVED, MINE, 5, 0, false, 0 },
    { COMMIT, RESERVED, MINE, 0, 0, false, 0 },
    { COMMIT, RESERVED, MINE, 17, 0, false, -ERANGE },
    { COMMIT, RESERVED, MINE, SIZE_MAX, 0, false, -ERANGE },
    { COMMIT, RESERVED_N, MINE, 16, 0, false, 0 },
    { COMMIT, RESERVED_N, MINE, 17, 0, false, -ERANGE },
    { COMMIT, EMPTY, MINE, 0, 0, false, -EINVAL },
    { COMMIT, CLOSED, MINE, 0, 0, false, -EBADF },
    { COMMIT, ZEROED, MINE, 0, 0, false, -EBADF },
    { COMMIT, PEEKED, OTHER, 0, 0, false, -EBADF },
    { COMMIT, BROKEN, MINE, 16, 0, false, -EPROTO },
    /* peek */
    { PEEK, MSGS, MINE, 0, 0, false, 0 },
    { PEEK, BIG_FIRST, MINE, 0, -1, false, 0 },
    { PEEK, PEEKED, MINE, 0, 0, false, 0 },
    { PEEK, SHORT_PEEKED, MINE, 0, 0, false, 0 },
    { PEEK, PEEKED_N, MINE, 0, 0, false, -EBUSY },
    { PEEK, EMPTY, MINE, 0, 0, false, -EAGAIN },
    { PEEK, EMPTY, MINE, 0, 5, false, -ETIMEDOUT },
    { PEEK, MSGS, MINE, 0, -2, false, -EINVAL },
    { PEEK, CLOSED, MINE, 0, 0, false, -EBADF },
    { PEEK, ZEROED, MINE, 0, -1, false, -EBADF },
    { PEEK, MSGS, OTHER, 0, 0, false, -EBADF },
    { PEEK, PEER_CLOSED, MINE, 0, -1, false, 0 },
    { PEEK, DRAINED, MINE, 0, -1, false, -EPIPE },
    { PEEK, BROKEN, MINE, 0, 0, false, -EPROTO },
    /* release */
    { RELEASE, PEEKED, MINE, 0, 0, false, 0 },
    { RELEASE, PEEKED_N, MINE, 0, 0, false, 0 },
    { RELEASE, SHORT_PEEKED, MINE, 0, 0, false, 0 },
    { RELEASE, MSGS, MINE, 0, 0, false, -EINVAL },
    { RELEASE, EMPTY, MINE, 0, 0, false, -EINVAL },
    { RELEASE, CLOSED, MINE, 0, 0, false, -EBADF },
    { RELEASE, ZEROED, MINE, 0, 0, false, -EBADF },
    { RELEASE, RESERVED, OTHER, 0, 0, false, -EBADF },
    { RELEASE, BROKEN, MINE, 0, 0, false, -EPROTO },
    /* recv */
    { RECV, MSGS, MINE, 200, 0, false, 16 },
    { RECV, MSGS, MINE, 16, -1, false, 16 },
    { RECV, BIG_FIRST, MINE, 200, 0, false, 100 },
    { RECV, BIG_FIRST, MINE, 100, 0, false, 100 },
    { RECV, MSGS, MINE, 15, 0, false, -EMSGSIZE },
    { RECV, MSGS, MINE, 0, 0, false, -EMSGSIZE },
    { RECV, BIG_FIRST, MINE, 64, -1, false, -EMSGSIZE },
    { RECV, MSGS, MINE, 200, 0, true, -EACCES },
    { RECV, EMPTY, MINE, 200, 0, true, -EACCES },
    { RECV, MSGS, MINE, 200, -2, false, -EINVAL },
    { RECV, MSGS, MINE, 200, INT_MIN, true, -EACCES },
    { RECV, PEEKED, MINE, 200, 0, false, 16 },
    { RECV, PEEKED, MINE, 8, 0, false, -EMSGSIZE },
    { RECV, SHORT_PEEKED, MINE, 200, 0, false, 16 },
    { RECV, PEEKED_N, MINE, 200, 0, false, -EBUSY },
    { RECV, EMPTY, MINE, 200, 0, false, -EAGAIN },
    { RECV, EMPTY, MINE, 200, 5, false, -ETIMEDOUT },
    { RECV, CLOSED, MINE, 200, 0, false, -EBADF },
    { RECV, CLOSED, MINE, 200, 0, true, -EBADF },
    { RECV, ZEROED, MINE, 200, -2, false, -EBADF },
    { RECV, MSGS, OTHER, 200, 0, false, -EBADF },
    { RECV, MSGS, OTHER, 200, 0, true, -EACCES },
    { RECV, PEER_CLOSED, MINE, 200, -1, false, 16 },
    { RECV, DRAINED, MINE, 200, -1, false, -EPIPE },
    { RECV, BROKEN, MINE, 200, -1, false, -EPROTO },
    { RECV, BROKEN, MINE, 200, -1, true, -EACCES },
};

static unsigned char src[CAP];
static unsigned char bufs[2][CAP];

struct pair {
    struct mr_chan p, c;
};

static void send_seq(struct mr_chan *p, size_t len, uint64_t seq)
{
    mr_test_chan_fill(src, len, seq);
    ASSERT_EQ(mr_chan_send(p, mr_region_make(src, len), 0), (ssize_t)len);
}

/* Bring a fresh pair to st. */
static void setup(struct pair *x, enum state st, unsigned flags)
{
    x->p = (struct mr_chan)MR_CHAN_INIT;
    x->c = (struct mr_chan)MR_CHAN_INIT;
    if (st == CLOSED)
        return;
    if (st == ZEROED) {
        memset(&x->p, 0, sizeof x->p);
        memset(&x->c, 0, sizeof x->c);
        return;
    }
    mr_test_chan_pair_flags(&x->p, &x->c, CAP, flags);
    struct mr_region r, out[3];
    switch (st) {
    case EMPTY:
        break;
    case BIG_FIRST:
        send_seq(&x->p, 100, 1);
        send_seq(&x->p, 16, 2);
        break;
    case FULL:
        /* 63 records of 56 + 8 bytes and one of 48 + 8: 4088 bytes. */
        for (uint64_t i = 0; i < 63; i++)
            send_seq(&x->p, 56, 10 + i);
        send_seq(&x->p, 48, 73);
        break;
    case RESERVED:
    case RESERVED_N:
        send_seq(&x->p, 16, 1);
        if (st == RESERVED) {
            ASSERT_OK(mr_chan_reserve(&x->p, 16, 0, &r));
            mr_test_chan_fill(r.ptr, 16, 2);
        } else {
            ASSERT_EQ(mr_chan_reserve_n(&x->p, 16, out, 3, 0), 3);
            for (int i = 0; i < 3; i++)
                mr_test_chan_fill(out[i].ptr, 16, 2 + (uint64_t)i);
        }
        break;
    case DRAINED:
        ASSERT_OK(mr_chan_close(&x->p));
        break;
    default: /* MSGS and what starts from it */
        send_seq(&x->p, 16, 1);
        send_seq(&x->p, 100, 2);
        break;
    }
    switch (st) {
    case PEEKED:
        ASSERT_OK(mr_chan_peek(&x->c, 0, &r));
        break;
    case PEEKED_N:
        ASSERT_EQ(mr_chan_peek_n(&x->c, out, 3, 0), 2);
        break;
    case SHORT_PEEKED:
        ASSERT_ERR(mr_chan_recv(&x->c, mr_region_make(bufs[0], 4), 0), -EMSGSIZE);
        break;
    case PEER_CLOSED:
        ASSERT_OK(mr_chan_close(&x->p)); /* for the producer's calls, the consumer closes below */
        break;
    case BROKEN: {
        ASSERT_OK(mr_chan_reserve(&x->p, 16, 0, &r));
        unsigned char *h = mr_test_chan_map_header(&x->p);
        h[MR_TEST_CHAN_VERSION] ^= 1;
        ASSERT_ERR(mr_chan_check_peer(&x->p), -EPROTO);
        ASSERT_ERR(mr_chan_check_peer(&x->c), -EPROTO);
        h[MR_TEST_CHAN_VERSION] ^= 1; /* broken they stay */
        mr_test_chan_unmap_header(h);
        break;
    }
    default:
        break;
    }
}

/* The consumer's calls are for MR_CHAN_CONSUMER. */
static bool for_consumer(enum call k)
{
    return k == RECV || k == PEEK || k == RELEASE;
}

/* The end the case's call goes to. PEER_CLOSED: for a producer's call,
 * the consumer is the one closed (setup closed the producer: reopen). */
static struct mr_chan *target(struct pair *x, const struct tcase *t, unsigned flags)
{
    bool cons = for_consumer(t->call) == (t->end == MINE);
    if (t->state == PEER_CLOSED && !for_consumer(t->call)) {
        ASSERT_OK(mr_chan_close(&x->c));
        mr_test_chan_pair_flags(&x->p, &x->c, CAP, flags);
        send_seq(&x->p, 16, 1);
        ASSERT_OK(mr_chan_close(&x->c));
    }
    return cons ? &x->c : &x->p;
}

/* The call, in one form or the other (inl). */
static long long call(bool inl, struct mr_chan *e, const struct tcase *t, unsigned char *buf,
                      struct mr_region *out)
{
    unsigned f = t->ro ? MR_REGION_RDONLY : 0;
    struct mr_region msg = { src, t->len, f }, b = { buf, t->len, f };
    switch (t->call) {
    case SEND:
        mr_test_chan_fill(src, t->len <= MAX ? t->len : 0, 77);
        return inl ? mr_chan_send_inline(e, msg, t->timeout) : mr_chan_send(e, msg, t->timeout);
    case RECV:
        return inl ? mr_chan_recv_inline(e, b, t->timeout) : mr_chan_recv(e, b, t->timeout);
    case RESERVE:
        return inl ? mr_chan_reserve_inline(e, t->len, t->timeout, out)
                   : mr_chan_reserve(e, t->len, t->timeout, out);
    case COMMIT:
        return inl ? mr_chan_commit_inline(e, t->len) : mr_chan_commit(e, t->len);
    case PEEK:
        return inl ? mr_chan_peek_inline(e, t->timeout, out) : mr_chan_peek(e, t->timeout, out);
    default:
        return inl ? mr_chan_release_inline(e) : mr_chan_release(e);
    }
}

/* What the two pairs answer afterwards, compared step by step. */
static void same_after(struct pair *x, struct pair *y, const char *what)
{
    struct mr_chan *a[2] = { &x->p, &x->c }, *b[2] = { &y->p, &y->c };
    for (int e = 0; e < 2; e++) {
        struct mr_chan_stats sa, sb;
        mr_chan_stats(a[e], &sa);
        mr_chan_stats(b[e], &sb);
        /* How often a wait slept depends on the clock. */
        if (sa.messages != sb.messages || sa.bytes != sb.bytes || sa.waits != sb.waits ||
            sa.wakes != sb.wakes)
            mr_test_fail(__FILE__, __LINE__, "%s: the figures of the %s differ", what,
                         e ? "consumer" : "producer");
        ASSERT_EQ(mr_chan_check_peer(a[e]), mr_chan_check_peer(b[e]));
    }
    /* A pending reservation, a peeked message. */
    ASSERT_EQ(mr_chan_commit(&x->p, 0), mr_chan_commit(&y->p, 0));
    ASSERT_EQ(mr_chan_release(&x->c), mr_chan_release(&y->c));
    /* What is left to read, in order. */
    for (int i = 0; i < 80; i++) {
        ssize_t ra = mr_chan_recv(&x->c, mr_region_make(bufs[0], CAP), 0);
        ssize_t rb = mr_chan_recv(&y->c, mr_region_make(bufs[1], CAP), 0);
        ASSERT_EQ(ra, rb);
        if (ra < 0)
            break;
        ASSERT_MEM_EQ(bufs[0], bufs[1], (size_t)ra);
    }
    ASSERT_EQ(mr_chan_send(&x->p, mr_region_make(src, 1), 0), mr_chan_send(&y->p, mr_region_make(src, 1), 0));
    ASSERT_EQ(mr_chan_capacity(&x->p), mr_chan_capacity(&y->p));
    ASSERT_EQ(mr_chan_fd(&x->c) >= 0, mr_chan_fd(&y->c) >= 0);
}

static void run_case(const struct tcase *t, unsigned flags)
{
    char what[128];
    snprintf(what, sizeof what, "%s on %s end, state %d, len %zu, timeout %d%s, %s", call_names[t->call],
             t->end == MINE ? "its" : "the other", (int)t->state, t->len, t->timeout,
             t->ro ? ", read-only" : "", flags ? "fenced" : "membarrier");
    struct pair x, y;
    setup(&x, t->state, flags);
    setup(&y, t->state, flags);
    struct mr_chan *ex = target(&x, t, flags), *ey = target(&y, t, flags);
    struct mr_region ox = mr_test_sentinel(), oy = mr_test_sentinel();
    memset(bufs, 0x5c, sizeof bufs);
    long long a = call(false, ex, t, bufs[0], &ox);
    long long b = call(true, ey, t, bufs[1], &oy);
    if (a != t->want || b != t->want)
        mr_test_fail(__FILE__, __LINE__, "%s: exported %lld, inline %lld, want %lld", what, a, b, t->want);
    /* The same region, at the same place of its ring; the same buffer. */
    ASSERT_EQ(oy.len, ox.len);
    ASSERT_EQ(oy.flags, ox.flags);
    if (ox.ptr == mr_test_sentinel().ptr) {
        ASSERT_PTR_EQ(oy.ptr, ox.ptr);
    } else {
        ASSERT_EQ((unsigned char *)oy.ptr - ey->ring, (unsigned char *)ox.ptr - ex->ring);
        ASSERT_MEM_EQ(ox.ptr, oy.ptr, ox.len);
    }
    ASSERT_MEM_EQ(bufs[0], bufs[1], CAP);
    if (t->call == RESERVE && a == 0) {
        mr_test_chan_fill(ox.ptr, ox.len, 88);
        mr_test_chan_fill(oy.ptr, oy.len, 88);
    }
    same_after(&x, &y, what);
    ASSERT_OK(mr_chan_close(&x.p));
    ASSERT_OK(mr_chan_close(&x.c));
    ASSERT_OK(mr_chan_close(&y.p));
    ASSERT_OK(mr_chan_close(&y.c));
}

static void test_cases(void)
{
    for (unsigned mode = 0; mode < 2; mode++)
        for (size_t i = 0; i < MR_TEST_COUNT(cases); i++)
            run_case(&cases[i], mode ? MR_CHAN_FENCED : 0);
}

/* The forms mixed on one pair, many times round the ring: each inline
 * call meets the state the exported ones left, and the other way round. */
static void test_mixed(void)
{
    for (unsigned mode = 0; mode < 2; mode++) {
        struct mr_chan p = MR_CHAN_INIT, c = MR_CHAN_INIT;
        mr_test_chan_pair_flags(&p, &c, CAP, mode ? MR_CHAN_FENCED : 0);
        uint64_t rnd = 99 + mode, sent = 0, got = 0;
        uint64_t total = mr_test_scale(20000);
        while (got < total) {
            uint64_t r = mr_test_rand(&rnd);
            size_t len = (size_t)((r >> 8) % (r & 1 ? 65 : 300));
            struct mr_region reg;
            if (sent < total && sent - got < 20) {
                mr_test_chan_fill(src, len, sent);
                ssize_t rc;
                switch ((r >> 20) % 3) {
                case 0: rc = mr_chan_send_inline(&p, mr_region_make(src, len), 0); break;
                case 1:
                    rc = mr_chan_reserve_inline(&p, len, 0, &reg);
                    if (rc == 0) {
                        memcpy(reg.ptr, src, len);
                        rc = (r >> 30) & 1 ? mr_chan_commit_inline(&p, len) : mr_chan_commit(&p, len);
                        ASSERT_OK(rc);
                        rc = (ssize_t)len;
                    }
                    break;
                default: rc = mr_chan_send(&p, mr_region_make(src, len), 0); break;
                }
                if (rc >= 0) {
                    ASSERT_EQ(rc, (ssize_t)len);
                    sent++;
                } else {
                    ASSERT_ERR(rc, -EAGAIN);
                }
            }
            if (got < sent && (r >> 40) % 3 != 0) {
                switch ((r >> 44) % 3) {
                case 0: {
                    ssize_t n = mr_chan_recv_inline(&c, mr_region_make(bufs[0], CAP), 0);
                    ASSERT_GE(n, 0);
                    ASSERT_TRUE(mr_test_chan_check(bufs[0], (size_t)n, got));
                    break;
                }
                case 1:
                    ASSERT_OK(mr_chan_peek_inline(&c, 0, &reg));
                    ASSERT_TRUE(mr_test_chan_check(reg.ptr, reg.len, got));
                    ASSERT_OK((r >> 50) & 1 ? mr_chan_release_inline(&c) : mr_chan_release(&c));
                    break;
                default: {
                    ssize_t n = mr_chan_recv(&c, mr_region_make(bufs[0], CAP), 0);
                    ASSERT_GE(n, 0);
                    ASSERT_TRUE(mr_test_chan_check(bufs[0], (size_t)n, got));
                    break;
                }
                }
                got++;
            }
        }
        struct mr_chan_stats ps, cs;
        mr_chan_stats(&p, &ps);
        mr_chan_stats(&c, &cs);
        ASSERT_EQ(ps.messages, total);
        ASSERT_EQ(cs.messages, total);
        ASSERT_EQ(ps.bytes, cs.bytes);
        ASSERT_OK(mr_chan_close(&p));
        ASSERT_OK(mr_chan_close(&c));
    }
}

int main(void)
{
    MR_TEST_RUN(test_cases);
    MR_TEST_RUN(test_mixed);
    return 0;
}
