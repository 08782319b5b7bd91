/* SPDX-License-Identifier: MIT */
/* test/test_chan_diff.c: today's channel against the channel of commit
 * a53502b (test/chan_v1/, the implementation before the fast-path rewrite
 * of issue 14), driven with the same random calls and the same scribbles.
 * Nothing may differ.
 *
 * Each implementation gets a producer that created the channel and a
 * consumer attached to a duplicate of its fd, of the same capacity (4096
 * or 65536) and mode (MR_CHAN_FENCED or not), in this one process; both
 * pairs get every step: send, reserve, commit (less or more than was
 * reserved), recv (into a buffer too short, or read-only), peek, release,
 * the try variants, check_peer, watch_pid, close of either end, a third
 * end attaching, and calls on the wrong end. Timeouts are 0 mostly; a
 * blocking call (MR_FOREVER or 2 s) is made only when the old end's state
 * says it returns at once, and some calls that do wait get 1 ms. A pair
 * lives for a random number of steps, then both are closed and new ones
 * made.
 *
 * Scribbles: at random steps (how often is drawn per pair, from never to
 * often) the same value goes to the same offset of both objects through a
 * writable mapping of each: the header's fixed fields, roles, closed
 * flags, sleeping words and tail, and in the ring the length and commit
 * word of the records the consumer reads next. Never the head, which today's
 * channel may publish lazily (nobody reads it).
 *
 * Compared after every step: return codes; regions handed out (length,
 * flags, offset from the ring's start, untouched on failure); the bytes
 * peeked or received (and a receive buffer's bytes past the message);
 * every end's figures but sleeps (how often a wait slept depends on the
 * clock), capacity, max_msg and whether it has an fd. Shared memory is
 * compared only as the bytes of messages, and not where the two may
 * rightly differ: a message whose length was scribbled may cover the
 * record header the producer prepared at its index, whose length half an
 * implementation may write or not, so those 8 bytes are left out.
 *
 * Batches: today's send_n, send_fixed_n, recv_n, recv_fixed_n, reserve_n
 * (then commit_n of all or a prefix, or commit of the first alone) and
 * peek_n (then release) are compared with a loop of the old single calls
 * that stops where chan.h says the batch stops: after the first call (with
 * the step's timeout), the old side makes the next single call (timeout 0)
 * only for a message the batch takes, which it decides as the batch does:
 * the producer by the message's length and the old end's answer (EAGAIN:
 * no room), or for reserve_n by the tail the old end would load; the
 * consumer by the next record in the old ring (committed, at most max_msg
 * long, within a lap of the batch's first, its buffer long enough, the
 * header's fixed fields intact). The checks every batch call starts with
 * (the end, the timeout, a broken end, n, read-only buffers, a batch held)
 * are the old end's as the shim reports them. Two things the old calls
 * cannot do. A producer batch that meets a bad tail after its first
 * message publishes nothing (-EPROTO), where the loop has published the
 * messages before; and the batch judges a tail against the head before
 * it, so that a tail inside its own records, which nobody can have read
 * yet, is bad, where the loop, having published them, takes it. The test
 * then checks that today's call returned -EPROTO with nothing published,
 * and starts a new pair. And reserve_n looks at the tail for records it
 * gives back, where the old loop reserves none: the old end is then told
 * the tail (mr_test_chan_v1_saw_tail), as its own look would have. Single
 * steps use the inline forms of chan.h (mr_chan_send_inline, ...) one
 * time in four.
 *
 * Usage: test_chan_diff [SEED [STEPS]]: one seed; without arguments,
 * SEEDS fixed seeds of STEPS steps each (scaled down under valgrind and the
 * sanitizers). A difference prints the seed, the step and the last steps
 * before it. A new operation is one more case in step()'s switch. */
#include "chan_test.h"

#include "chan_v1/chan_v1.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#define SEEDS 8
#define STEPS 20000
#define HISTORY 12
/* The most messages a batch call is asked for (but for n that is refused). */
#define BATCH_MAX 64
/* How long a call that must return at once may take before the test
 * reports it hung. */
#define WATCHDOG_S 30

enum { NOW, OLD };
enum { P, C };

enum op {
    OP_SEND, OP_TRY_SEND, OP_RESERVE, OP_TRY_RESERVE, OP_COMMIT,
    OP_RECV, OP_TRY_RECV, OP_PEEK, OP_TRY_PEEK, OP_RELEASE,
    OP_SEND_N, OP_SEND_FIXED_N, OP_RESERVE_N, OP_RECV_N, OP_RECV_FIXED_N, OP_PEEK_N,
    OP_CHECK_PEER, OP_WATCH_PID, OP_CLOSE, OP_ATTACH, OP_SCRIBBLE,
    OP_COUNT
};

/* Each call's name, how often it is drawn (per 1000 steps, scribbles
 * apart) and the end it is meant for (one call in 20 goes to the
 * other). */
static const struct {
    const char *name;
    unsigned weight;
    int end;
} ops[OP_COUNT] = {
    [OP_SEND] = { "send", 170, P },
    [OP_TRY_SEND] = { "try_send", 60, P },
    [OP_RESERVE] = { "reserve", 90, P },
    [OP_TRY_RESERVE] = { "try_reserve", 40, P },
    [OP_COMMIT] = { "commit", 40, P },
    [OP_RECV] = { "recv", 160, C },
    [OP_TRY_RECV] = { "try_recv", 50, C },
    [OP_PEEK] = { "peek", 90, C },
    [OP_TRY_PEEK] = { "try_peek", 40, C },
    [OP_RELEASE] = { "release", 50, C },
    [OP_SEND_N] = { "send_n", 50, P },
    [OP_SEND_FIXED_N] = { "send_fixed_n", 25, P },
    [OP_RESERVE_N] = { "reserve_n", 35, P },
    [OP_RECV_N] = { "recv_n", 50, C },
    [OP_RECV_FIXED_N] = { "recv_fixed_n", 25, C },
    [OP_PEEK_N] = { "peek_n", 35, C },
    [OP_CHECK_PEER] = { "check_peer", 20, -1 },
    [OP_WATCH_PID] = { "watch_pid", 2, -1 },
    [OP_CLOSE] = { "close", 3, -1 },
    [OP_ATTACH] = { "attach_fd", 5, -1 },
    [OP_SCRIBBLE] = { "scribble", 0, -1 },
};

/* One mapping of a channel's object in this process. */
struct span {
    uintptr_t lo, hi;
    uint64_t off;
};

/* One implementation's channel as the test sees it from outside. */
struct side {
    struct span spans[16];
    unsigned nspans;
    unsigned char *map;     /* the scribbler's view: the header page and the ring */
    int fd;                 /* a duplicate of the object's fd, for a third end */
    unsigned char orig[32]; /* the header's fixed fields as created */
};

/* What a step did, for the report of a difference. */
struct step {
    unsigned long n;
    int op, end;
    size_t len;
    size_t count;       /* a batch call's n */
    int timeout;
    unsigned kind;      /* buffer kind (recv), bytes written (scribble), role (attach) */
    uint64_t off, value;
    long long rc[2];
};

struct run {
    uint64_t seed, rng;
    unsigned long step, pairs;
    struct step hist[HISTORY];
    struct step *cur;

    struct mr_chan now[2];
    struct v1_mr_chan *old[2];
    struct side side[2];
    size_t cap, page, max_msg;
    unsigned flags;
    unsigned scribble_pm; /* scribbles per 1000 steps for this pair */
    unsigned long left;   /* steps left to this pair */
    uint64_t prod_pos;    /* the old producer's index, last seen while open */
    size_t reserved;      /* the length of the last reservation */
    enum op follow;       /* what the last step most likely leads to */

    unsigned char *src;   /* what sends send */
    unsigned char *buf[2];
    size_t buf_size;
    unsigned char *bsrc;  /* what batches send: BATCH_MAX slots of buf_size */
    unsigned char *bbuf[2];
    bool diverged;        /* a producer batch met a bad tail: see above */

    unsigned long ok, errs[160], scribbles, waited;
    unsigned long batched, divergences; /* messages of batches of 2 and more */
    unsigned long calls[OP_COUNT], calls_ok[OP_COUNT];
};

static uint64_t rnd(struct run *r, uint64_t n)
{
    return mr_test_rand(&r->rng) % n;
}

/* ---- reporting ---------------------------------------------------------------- */

static const char *end_name(int e)
{
    return e == P ? "producer" : e == C ? "consumer" : "-";
}

static void print_step(const struct step *s)
{
    if (s->op == OP_SCRIBBLE) {
        fprintf(stderr, "  step %lu: scribble %u bytes at object offset %llu: 0x%llx\n", s->n,
                s->kind, (unsigned long long)s->off, (unsigned long long)s->value);
        return;
    }
    fprintf(stderr, "  step %lu: %s on the %s end, len %zu, n %zu, timeout %d, kind %u: now %lld, old %lld\n",
            s->n, ops[s->op].name, end_name(s->end), s->len, s->count, s->timeout, s->kind, s->rc[NOW],
            s->rc[OLD]);
}

static void seed_line(const struct run *r)
{
    fprintf(stderr, "test_chan_diff: seed %llu, step %lu, pair %lu (capacity %zu, %s, %u scribbles per 1000 steps)\n"
            "  reproduce: test_chan_diff %llu %lu\n  the steps before:\n",
            (unsigned long long)r->seed, r->step, r->pairs, r->cap,
            r->flags & MR_CHAN_FENCED ? "fenced" : "membarrier", r->scribble_pm,
            (unsigned long long)r->seed, r->step + 1);
    unsigned long first = r->step >= HISTORY ? r->step - HISTORY + 1 : 0;
    for (unsigned long i = first; i <= r->step; i++)
        print_step(&r->hist[i % HISTORY]);
}

#define DIFF(r, ...)                                                            \
    do {                                                                        \
        seed_line(r);                                                           \
        mr_test_fail(__FILE__, __LINE__, __VA_ARGS__);                          \
    } while (0)

#define SAME(r, what, a, b)                                                     \
    do {                                                                        \
        long long a__ = (long long)(a), b__ = (long long)(b);                   \
        if (a__ != b__)                                                         \
            DIFF(r, "%s differs: now %lld (%s), old %lld (%s)", (what), a__,    \
                 a__ < 0 ? mr_strerror((int)a__) : "", b__,                     \
                 b__ < 0 ? mr_strerror((int)b__) : "");                         \
    } while (0)

/* The two return codes of this step, counted. */
static void same_rc(struct run *r, long long a, long long b)
{
    r->cur->rc[NOW] = a;
    r->cur->rc[OLD] = b;
    SAME(r, "the return code", a, b);
    r->calls[r->cur->op]++;
    if (a >= 0) {
        r->ok++;
        r->calls_ok[r->cur->op]++;
    } else if (-a < (long long)MR_TEST_COUNT(r->errs)) {
        r->errs[-a]++;
    }
}

/* A call that must return at once, under the watchdog. */
static char hung[160];
static size_t hung_len;

static void on_alarm(int sig)
{
    (void)sig;
    ssize_t n = write(2, hung, hung_len);
    (void)n;
    _exit(1);
}

static void watchdog(struct run *r, bool on)
{
    if (on) {
        int n = snprintf(hung, sizeof hung,
                         "test_chan_diff: seed %llu step %lu: a call that should return at once "
                         "has not in %d s\n", (unsigned long long)r->seed, r->step, WATCHDOG_S);
        hung_len = n > 0 && (size_t)n < sizeof hung ? (size_t)n : sizeof hung - 1;
    }
    alarm(on ? WATCHDOG_S : 0);
}

/* ---- where a region lies ----------------------------------------------------- */

/* The mappings of the object behind fd, from /proc/self/maps: regions are
 * placed by their offset in the object, whatever address each
 * implementation maps it at. */
static void side_spans(struct side *s, int fd)
{
    struct stat st;
    ASSERT_OK(fstat(fd, &st));
    FILE *f = fopen("/proc/self/maps", "re");
    ASSERT_TRUE(f != NULL);
    char *line = NULL;
    size_t size = 0;
    s->nspans = 0;
    while (getline(&line, &size, f) > 0) {
        unsigned long lo, hi, off, ino;
        unsigned maj, min;
        char perms[8];
        if (sscanf(line, "%lx-%lx %7s %lx %x:%x %lu", &lo, &hi, perms, &off, &maj, &min, &ino) != 7)
            continue;
        if (ino != st.st_ino || makedev(maj, min) != st.st_dev)
            continue;
        ASSERT_LT(s->nspans, MR_TEST_COUNT(s->spans));
        s->spans[s->nspans++] = (struct span){ lo, hi, off };
    }
    free(line);
    fclose(f);
}

/* The offset from the ring's start of the region at p, handed out by side
 * (modulo the capacity: a region may start in the second view). */
static uint64_t ring_offset(struct run *r, int side, const void *p)
{
    const struct side *s = &r->side[side];
    uintptr_t a = (uintptr_t)p;
    for (unsigned i = 0; i < s->nspans; i++)
        if (a >= s->spans[i].lo && a < s->spans[i].hi)
            return (s->spans[i].off + (a - s->spans[i].lo) - r->page) & (r->cap - 1);
    DIFF(r, "%s region at %p lies in no mapping of its channel's object",
         side == NOW ? "today's" : "the old", p);
}

static bool untouched(struct mr_region m)
{
    struct mr_region s = mr_test_sentinel();
    return m.ptr == s.ptr && m.len == s.len && m.flags == s.flags;
}

/* The regions the two calls handed out (or did not). */
static void same_region(struct run *r, struct mr_region a, struct mr_region b)
{
    SAME(r, "whether the region was set", untouched(a), untouched(b));
    if (untouched(a))
        return;
    SAME(r, "the region's length", a.len, b.len);
    SAME(r, "the region's flags", a.flags, b.flags);
    SAME(r, "the region's offset in the ring", ring_offset(r, NOW, a.ptr), ring_offset(r, OLD, b.ptr));
}

/* The first of the n bytes at a and b that differ, ring position idx being
 * that of their first, but for the 8 at the producer's index (see above);
 * n when none. */
static size_t msg_diff(const struct run *r, const unsigned char *a, const unsigned char *b, size_t n,
                       uint64_t idx)
{
    uint64_t mask = r->cap - 1;
    for (size_t i = 0; i < n;) {
        if (memcmp(a + i, b + i, n - i) == 0)
            return n;
        size_t d = i + mr_test_first_diff(a + i, b + i, n - i);
        if (((idx + d - r->prod_pos) & mask) >= MR_CHAN_MSG_OVERHEAD)
            return d;
        i = d + 1;
    }
    return n;
}

static void same_bytes(struct run *r, const char *what, const void *a, const void *b, size_t n,
                       uint64_t idx)
{
    size_t d = msg_diff(r, a, b, n, idx);
    if (d != n)
        DIFF(r, "%s differ at byte %zu of %zu: now 0x%02x, old 0x%02x", what, d, n,
             ((const unsigned char *)a)[d], ((const unsigned char *)b)[d]);
}

/* ---- every end, after every step ------------------------------------------------ */

static void same_ends(struct run *r)
{
    for (int e = P; e <= C; e++) {
        struct mr_chan_stats a;
        struct mr_test_chan_v1_stats b;
        mr_chan_stats(&r->now[e], &a);
        mr_test_chan_v1_stats(r->old[e], &b);
        SAME(r, e == P ? "the producer's messages" : "the consumer's messages", a.messages, b.messages);
        SAME(r, e == P ? "the producer's bytes" : "the consumer's bytes", a.bytes, b.bytes);
        SAME(r, e == P ? "the producer's waits" : "the consumer's waits", a.waits, b.waits);
        SAME(r, e == P ? "the producer's wakes" : "the consumer's wakes", a.wakes, b.wakes);
        SAME(r, "the capacity", mr_chan_capacity(&r->now[e]), v1_mr_chan_capacity(r->old[e]));
        SAME(r, "max_msg", mr_chan_max_msg(&r->now[e]), v1_mr_chan_max_msg(r->old[e]));
        SAME(r, "whether the end has an fd", mr_chan_fd(&r->now[e]) >= 0, v1_mr_chan_fd(r->old[e]) >= 0);
    }
    if (v1_mr_chan_fd(r->old[P]) >= 0)
        r->prod_pos = mr_test_chan_v1_pos(r->old[P]);
}

/* ---- a pair of each ---------------------------------------------------------------- */

static int dup_fd(int fd)
{
    int d = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    ASSERT_GE(d, 0);
    return d;
}

static void side_open(struct run *r, struct side *s, int fd)
{
    s->fd = dup_fd(fd);
    void *m = mmap(NULL, r->page + r->cap, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    ASSERT_TRUE(m != MAP_FAILED);
    s->map = m;
    memcpy(s->orig, s->map, sizeof s->orig);
    side_spans(s, fd);
}

static void pair_open(struct run *r)
{
    static const unsigned rates[] = { 0, 0, 2, 10, 40 };
    r->pairs++;
    r->cap = rnd(r, 2) ? 4096 : 65536;
    r->flags = rnd(r, 2) ? MR_CHAN_FENCED : 0;
    r->max_msg = r->cap - 2 * MR_CHAN_MSG_OVERHEAD;
    r->scribble_pm = rates[rnd(r, MR_TEST_COUNT(rates))];
    r->left = 50 + rnd(r, 4000);
    r->prod_pos = 0;
    r->reserved = 0;
    r->follow = OP_COUNT;

    SAME(r, "create", mr_chan_create(&r->now[P], r->cap, MR_CHAN_PRODUCER, r->flags),
         mr_test_chan_v1_create(r->old[P], r->cap, MR_CHAN_PRODUCER, r->flags));
    int fa = dup_fd(mr_chan_fd(&r->now[P])), fb = dup_fd(v1_mr_chan_fd(r->old[P]));
    int a = mr_chan_attach_fd(&r->now[C], fa, r->cap, MR_CHAN_CONSUMER, 0);
    int b = mr_test_chan_v1_attach_fd(r->old[C], fb, r->cap, MR_CHAN_CONSUMER, 0);
    SAME(r, "attach_fd", a, b);
    ASSERT_OK(a);
    side_open(r, &r->side[NOW], fa);
    side_open(r, &r->side[OLD], fb);
}

static void pair_close(struct run *r)
{
    for (int e = P; e <= C; e++)
        SAME(r, "close", mr_chan_close(&r->now[e]), v1_mr_chan_close(r->old[e]));
    same_ends(r);
    for (int s = NOW; s <= OLD; s++) {
        munmap(r->side[s].map, r->page + r->cap);
        close(r->side[s].fd);
    }
}

/* ---- drawing arguments --------------------------------------------------------------- */

static size_t draw_len(struct run *r)
{
    switch (rnd(r, 40)) {
    case 0:
        return r->max_msg;
    case 1:
        return r->max_msg - (size_t)rnd(r, 16);
    case 2:
        return r->max_msg + 1 + (size_t)rnd(r, 16);
    case 3:
        return rnd(r, 8) ? (size_t)rnd(r, r->max_msg + 1) : SIZE_MAX - (size_t)rnd(r, 8);
    case 4: case 5: case 6: case 7:
        return (size_t)rnd(r, 1024);
    default:
        return (size_t)rnd(r, 65);
    }
}

/* A timeout for a call of the end e meant for role: 0 mostly; a blocking
 * one only where the old end says it returns at once; 1 ms now and then
 * where it may wait; rarely an invalid one. */
static int draw_timeout(struct run *r, int e, int role, size_t len)
{
    unsigned k = (unsigned)rnd(r, 1000);
    if (k < 4)
        return k < 2 ? -2 : INT_MIN;
    if (k >= 60)
        return 0;
    if (!mr_test_chan_v1_may_wait(r->old[e], role == P ? MR_CHAN_PRODUCER : MR_CHAN_CONSUMER, len))
        return k & 1 ? MR_FOREVER : 2000;
    return k < 8 ? 1 : 0;
}

static void call_begin(struct run *r, int timeout)
{
    if (timeout != 0)
        watchdog(r, true);
}

static void call_end(struct run *r, int timeout)
{
    if (timeout != 0)
        watchdog(r, false);
    if (timeout == 1)
        r->waited++;
}

/* ---- scribbles ------------------------------------------------------------------------ */

enum field { F_FIXED, F_ROLES, F_FLAG, F_SLEEP, F_TAIL, F_LEN, F_COMMIT, F_SLOT };

static const struct {
    size_t off;
    unsigned width;
    enum field field;
} header_fields[] = {
    { MR_TEST_CHAN_MAGIC, 8, F_FIXED },     { MR_TEST_CHAN_VERSION, 4, F_FIXED },
    { MR_TEST_CHAN_HDR_SIZE, 4, F_FIXED },  { MR_TEST_CHAN_CAPACITY, 8, F_FIXED },
    { MR_TEST_CHAN_ROLES, 4, F_ROLES },     { MR_TEST_CHAN_MODE, 4, F_FIXED },
    { MR_TEST_CHAN_PROD_CLOSED, 4, F_FLAG }, { MR_TEST_CHAN_PROD_WAIT, 4, F_SLEEP },
    { MR_TEST_CHAN_TAIL, 8, F_TAIL },       { MR_TEST_CHAN_CONS_CLOSED, 4, F_FLAG },
    { MR_TEST_CHAN_CONS_WAIT, 4, F_SLEEP },
};

static uint64_t get(const unsigned char *p, unsigned width)
{
    return width == 8 ? mr_test_chan_get64(p, 0) : mr_test_chan_get32(p, 0);
}

static void put(unsigned char *p, unsigned width, uint64_t v)
{
    if (width == 8)
        mr_test_chan_set64(p, 0, v);
    else
        mr_test_chan_set32(p, 0, (uint32_t)v);
}

static uint64_t draw_length_word(struct run *r, uint64_t old)
{
    switch (rnd(r, 8)) {
    case 0: return 0;
    case 1: return rnd(r, 65);
    case 2: return r->max_msg;
    case 3: return r->max_msg + 1 + rnd(r, 8);
    case 4: return old + 8 * rnd(r, 4) - 12;
    case 5: return rnd(r, r->max_msg + 1);
    default: return (uint32_t)mr_test_rand(&r->rng);
    }
}

static uint64_t draw_word(struct run *r)
{
    unsigned k = (unsigned)rnd(r, 8);
    return k < 3 ? k : k < 6 ? 0 : (uint32_t)mr_test_rand(&r->rng);
}

/* The ring position (an index) of a record the consumer reads next: its
 * own, one after it (by the lengths there, as far as the producer went),
 * or the producer's, where nothing is published yet. */
static uint64_t draw_record(struct run *r, bool *published)
{
    uint64_t at = mr_test_chan_v1_pos(r->old[C]);
    unsigned hops = (unsigned)rnd(r, 4);
    const unsigned char *ring = r->side[OLD].map + r->page;
    for (unsigned i = 0; i < hops && at < r->prod_pos; i++) {
        uint32_t len = mr_test_chan_get32(ring, at & (r->cap - 1));
        if (len > r->max_msg)
            break;
        at += MR_CHAN_MSG_OVERHEAD + ((len + 7u) & ~7u);
    }
    if (rnd(r, 4) == 0 || at >= r->prod_pos)
        at = r->prod_pos;
    *published = at < r->prod_pos && ((at - r->prod_pos) & (r->cap - 1)) != 0;
    return at;
}

static void scribble(struct run *r, struct step *s)
{
    s->op = OP_SCRIBBLE;
    s->end = -1;
    r->scribbles++;
    unsigned width;
    enum field field;
    if (rnd(r, 2)) {
        unsigned i = (unsigned)rnd(r, MR_TEST_COUNT(header_fields));
        s->off = header_fields[i].off;
        width = header_fields[i].width;
        field = header_fields[i].field;
    } else {
        bool published;
        s->off = r->page + (draw_record(r, &published) & (r->cap - 1));
        field = !published ? F_SLOT : rnd(r, 2) ? F_LEN : F_COMMIT;
        width = field == F_SLOT ? 8 : 4;
        if (field == F_COMMIT)
            s->off += 4;
    }
    s->kind = width;
    uint64_t old = get(r->side[OLD].map + s->off, width);
    uint64_t v;
    switch (field) {
    case F_FIXED:
        /* Each object back to what its creator wrote (the two may differ in
         * a field such as the version), or the same wrong value in both. */
        if (rnd(r, 3) == 0) {
            for (int i = NOW; i <= OLD; i++) {
                uint64_t orig = get(r->side[i].orig + s->off, width);
                put(r->side[i].map + s->off, width, orig);
            }
            s->value = get(r->side[OLD].orig + s->off, width);
            return;
        }
        v = rnd(r, 2) ? old ^ ((uint64_t)1 << rnd(r, width * 8)) : mr_test_rand(&r->rng);
        if (width == 4)
            v = (uint32_t)v;
        for (int i = NOW; i <= OLD; i++)
            if (v == get(r->side[i].orig + s->off, width))
                v ^= 1;
        break;
    case F_ROLES:
        v = rnd(r, 3) ? rnd(r, 5) : (uint32_t)mr_test_rand(&r->rng);
        r->follow = OP_ATTACH;
        break;
    case F_FLAG:
    case F_SLEEP:
    case F_COMMIT:
        v = draw_word(r);
        break;
    case F_TAIL:
        switch (rnd(r, 6)) {
        case 0: v = old + 8 * rnd(r, 4) + 8; break;
        case 1: v = old - 8 * rnd(r, 4) - 8; break;
        case 2: v = old + 1 + rnd(r, 7); break;
        case 3: v = r->prod_pos + 8 * rnd(r, 2); break;
        case 4: v = 0; break;
        default: v = mr_test_rand(&r->rng); break;
        }
        break;
    case F_LEN:
        v = draw_length_word(r, old);
        break;
    default:
        /* Not yet published: the whole record header, so that neither
         * implementation's preparation of it shows. */
        v = draw_length_word(r, old & 0xffffffffu) | (draw_word(r) << 32);
        break;
    }
    s->value = v;
    for (int i = NOW; i <= OLD; i++)
        put(r->side[i].map + s->off, width, v);
}

/* ---- the steps --------------------------------------------------------------------- */

static void send_msg(struct run *r, struct step *s, bool try)
{
    s->len = draw_len(r);
    s->timeout = try ? 0 : draw_timeout(r, s->end, P, s->len);
    size_t fill = s->len <= r->max_msg ? s->len : 0;
    mr_test_chan_fill(r->src, fill, r->step);
    struct mr_region m = { r->src, s->len, rnd(r, 8) ? 0 : MR_REGION_RDONLY };
    call_begin(r, s->timeout);
    ssize_t a = try ? mr_chan_try_send(&r->now[s->end], m)
              : rnd(r, 4) ? mr_chan_send(&r->now[s->end], m, s->timeout)
              : mr_chan_send_inline(&r->now[s->end], m, s->timeout);
    ssize_t b = v1_mr_chan_send(r->old[s->end], m, s->timeout);
    call_end(r, s->timeout);
    same_rc(r, a, b);
}

static void reserve(struct run *r, struct step *s, bool try)
{
    s->len = draw_len(r);
    s->timeout = try ? 0 : draw_timeout(r, s->end, P, s->len);
    struct mr_region ra = mr_test_sentinel(), rb = mr_test_sentinel();
    call_begin(r, s->timeout);
    int a = try ? mr_chan_try_reserve(&r->now[s->end], s->len, &ra)
            : rnd(r, 4) ? mr_chan_reserve(&r->now[s->end], s->len, s->timeout, &ra)
            : mr_chan_reserve_inline(&r->now[s->end], s->len, s->timeout, &ra);
    int b = v1_mr_chan_reserve(r->old[s->end], s->len, s->timeout, &rb);
    call_end(r, s->timeout);
    same_rc(r, a, b);
    same_region(r, ra, rb);
    if (a == 0) {
        r->reserved = s->len;
        r->follow = OP_COMMIT;
        size_t n = rnd(r, 4) ? s->len : (size_t)rnd(r, s->len + 1);
        mr_test_chan_fill(ra.ptr, n, r->step);
        mr_test_chan_fill(rb.ptr, n, r->step);
    }
}

static void commit(struct run *r, struct step *s)
{
    switch (rnd(r, 10)) {
    case 0: case 1: s->len = (size_t)rnd(r, r->reserved + 1); break;
    case 2: s->len = r->reserved + 1 + (size_t)rnd(r, 8); break;
    case 3: s->len = draw_len(r); break;
    default: s->len = r->reserved; break;
    }
    int a = rnd(r, 4) ? mr_chan_commit(&r->now[s->end], s->len) : mr_chan_commit_inline(&r->now[s->end], s->len);
    same_rc(r, a, v1_mr_chan_commit(r->old[s->end], s->len));
    if (a == -ERANGE)
        r->follow = OP_COMMIT;
}

static void recv_msg(struct run *r, struct step *s, bool try)
{
    /* kind: 0 room for anything, 1 short, 2 any length, 3 read-only, 4 a
     * length larger than the buffer (for a message that fits anyway). */
    static const unsigned kinds[] = { 0, 0, 0, 0, 0, 0, 1, 1, 2, 3, 4 };
    s->kind = kinds[rnd(r, MR_TEST_COUNT(kinds))];
    size_t len = s->kind == 0 ? r->max_msg : s->kind == 1 ? (size_t)rnd(r, 129)
               : s->kind == 2 ? (size_t)rnd(r, r->max_msg + 1) : s->kind == 3 ? r->max_msg
               : SIZE_MAX;
    s->len = len;
    s->timeout = try ? 0 : draw_timeout(r, s->end, C, 0);
    size_t n = len < r->buf_size ? len : r->buf_size;
    unsigned char junk = (unsigned char)r->step;
    memset(r->buf[NOW], junk, n);
    memset(r->buf[OLD], junk, n);
    unsigned flags = s->kind == 3 ? MR_REGION_RDONLY : 0;
    struct mr_region ba = { r->buf[NOW], len, flags }, bb = { r->buf[OLD], len, flags };
    uint64_t idx = mr_test_chan_v1_pos(r->old[s->end]) + MR_CHAN_MSG_OVERHEAD;
    call_begin(r, s->timeout);
    ssize_t a = try ? mr_chan_try_recv(&r->now[s->end], ba)
              : rnd(r, 4) ? mr_chan_recv(&r->now[s->end], ba, s->timeout)
              : mr_chan_recv_inline(&r->now[s->end], ba, s->timeout);
    ssize_t b = v1_mr_chan_recv(r->old[s->end], bb, s->timeout);
    call_end(r, s->timeout);
    same_rc(r, a, b);
    if (a == -EMSGSIZE)
        r->follow = rnd(r, 2) ? OP_RELEASE : OP_RECV;
    size_t got = a > 0 ? (size_t)a : 0;
    same_bytes(r, "the bytes received", r->buf[NOW], r->buf[OLD], got, idx);
    SAME(r, "the buffer past the message", memcmp(r->buf[NOW] + got, r->buf[OLD] + got, n - got), 0);
}

static void peek(struct run *r, struct step *s, bool try)
{
    s->timeout = try ? 0 : draw_timeout(r, s->end, C, 0);
    struct mr_region ra = mr_test_sentinel(), rb = mr_test_sentinel();
    call_begin(r, s->timeout);
    int a = try ? mr_chan_try_peek(&r->now[s->end], &ra)
            : rnd(r, 4) ? mr_chan_peek(&r->now[s->end], s->timeout, &ra)
            : mr_chan_peek_inline(&r->now[s->end], s->timeout, &ra);
    int b = v1_mr_chan_peek(r->old[s->end], s->timeout, &rb);
    call_end(r, s->timeout);
    same_rc(r, a, b);
    same_region(r, ra, rb);
    if (a == 0) {
        r->follow = rnd(r, 3) ? OP_RELEASE : OP_RECV;
        s->len = ra.len;
        same_bytes(r, "the bytes peeked", ra.ptr, rb.ptr, ra.len, ring_offset(r, OLD, rb.ptr));
    }
}

/* ---- batches ------------------------------------------------------------------------ */

/* A batch's n: mostly 1 to 8, sometimes up to BATCH_MAX, rarely one that
 * is refused (0, INT_MAX + 1, SIZE_MAX). */
static size_t draw_n(struct run *r)
{
    switch (rnd(r, 100)) {
    case 0: return 0;
    case 1: return rnd(r, 2) ? (size_t)INT_MAX + 1 : SIZE_MAX;
    default: return 1 + (size_t)rnd(r, rnd(r, 6) ? 8 : BATCH_MAX);
    }
}

static bool n_ok(size_t n)
{
    return n > 0 && n <= BATCH_MAX;
}

static uint64_t rec_size(size_t len)
{
    return MR_CHAN_MSG_OVERHEAD + (((uint64_t)len + 7) & ~(uint64_t)7);
}

/* The old end's answer to what every batch call looks at first: the end
 * (closed, role, timeout, broken), then n. */
static int old_batch_ok(struct run *r, int e, int role, size_t n, int timeout)
{
    int rc = mr_test_chan_v1_usable(r->old[e], role == P ? MR_CHAN_PRODUCER : MR_CHAN_CONSUMER, timeout);
    if (rc < 0)
        return rc;
    return n == 0 || n > INT_MAX ? -EINVAL : 0;
}

/* The old object's fixed header fields hold what its creator wrote. */
static bool old_header_intact(const struct run *r)
{
    const unsigned char *h = r->side[OLD].map, *o = r->side[OLD].orig;
    return memcmp(h, o, MR_TEST_CHAN_ROLES) == 0 &&
           memcmp(h + MR_TEST_CHAN_MODE, o + MR_TEST_CHAN_MODE, 4) == 0;
}

/* The length of the record at the old consumer's index if a batch that
 * started at index start goes on to it (committed, at most max_msg, inside
 * a lap of start, the header intact); -1 if it ends before it. */
static long long old_next_len(struct run *r, uint64_t start)
{
    uint64_t at = mr_test_chan_v1_pos(r->old[C]);
    const unsigned char *h = r->side[OLD].map + r->page + (at & (r->cap - 1));
    uint32_t len = mr_test_chan_get32(h, 0), commit = mr_test_chan_get32(h, 4);
    if (commit != 1 || len > r->max_msg || at + rec_size(len) - start > r->cap - MR_CHAN_MSG_OVERHEAD ||
        !old_header_intact(r))
        return -1;
    return len;
}

/* Room for a record of rec bytes at index end, in a batch that started at
 * index pos, as today's batch judges it from the old producer's state: 1,
 * 0, or -EPROTO (the tail it would load is bad, or the header after the
 * tail moved); *looked set if it would load the tail. A tail is judged
 * against pos, the head published before the batch: a tail inside the
 * batch's own records, which nobody can have read, is bad, where the old
 * loop, having published them one by one, takes it. */
static int old_room(struct run *r, uint64_t pos, uint64_t end, uint64_t rec, bool *looked)
{
    uint64_t peer = mr_test_chan_v1_peer(r->old[P]);
    uint64_t need = rec + MR_CHAN_MSG_OVERHEAD;
    if (end + need - peer <= r->cap)
        return 1;
    *looked = true;
    uint64_t v = mr_test_chan_get64(r->side[OLD].map, MR_TEST_CHAN_TAIL);
    if (pos - v > pos - peer || (v & 7) != 0 || (v != peer && !old_header_intact(r)))
        return -EPROTO;
    return end + need - v <= r->cap;
}

/* After the old loop met -EPROTO where today's batch published nothing:
 * today's producer must have published nothing, and the pair ends. */
static void diverge(struct run *r, long long a, uint64_t messages_before)
{
    r->cur->rc[NOW] = a;
    r->cur->rc[OLD] = -EPROTO;
    struct mr_chan_stats st;
    mr_chan_stats(&r->now[P], &st);
    SAME(r, "today's result where the old loop met a bad tail", a, -EPROTO);
    SAME(r, "today's messages after a batch that met a bad tail", st.messages, messages_before);
    r->diverged = true;
    r->divergences++;
}

static void count_batch(struct run *r, long long k)
{
    if (k > 1)
        r->batched += (unsigned long)k;
}

static uint64_t now_messages(struct run *r)
{
    struct mr_chan_stats st;
    mr_chan_stats(&r->now[P], &st);
    return st.messages;
}

/* send_n, or send_fixed_n (fixed): the old side sends one by one. */
static void send_batch(struct run *r, struct step *s, bool fixed)
{
    size_t n = draw_n(r), m = n_ok(n) ? n : 1;
    struct mr_region msgs[BATCH_MAX];
    s->count = n;
    s->len = draw_len(r);
    unsigned ro = rnd(r, 8) ? 0 : MR_REGION_RDONLY;
    for (size_t i = 0; i < m; i++) {
        size_t len = fixed || i == 0 ? s->len : draw_len(r);
        unsigned char *p = fixed ? r->bsrc + i * s->len : r->bsrc + i * r->buf_size;
        if (fixed && s->len > r->max_msg)
            p = r->bsrc;
        mr_test_chan_fill(p, len <= r->max_msg ? len : 0, r->step * BATCH_MAX + i);
        msgs[i] = (struct mr_region){ p, len, ro };
    }
    s->timeout = draw_timeout(r, s->end, P, s->len);
    uint64_t before = now_messages(r);
    call_begin(r, s->timeout);
    ssize_t a = fixed ? mr_chan_send_fixed_n(&r->now[s->end], r->bsrc, s->len, n, s->timeout)
                      : mr_chan_send_n(&r->now[s->end], msgs, n, s->timeout);
    long long b = old_batch_ok(r, s->end, P, n, s->timeout);
    bool bad_tail = false;
    uint64_t start = mr_test_chan_v1_pos(r->old[s->end]);
    if (b == 0 && (b = v1_mr_chan_send(r->old[s->end], msgs[0], s->timeout)) >= 0) {
        uint64_t end = start + rec_size(msgs[0].len);
        b = 1;
        for (size_t k = 1; k < n && msgs[k].len <= r->max_msg; k++) {
            bool looked = false;
            int room = old_room(r, start, end, rec_size(msgs[k].len), &looked);
            if (room < 0) {
                bad_tail = true;
                break;
            }
            ssize_t bk = v1_mr_chan_send(r->old[s->end], msgs[k], 0);
            SAME(r, "a later single send of the old loop", bk, room ? (long long)msgs[k].len : -EAGAIN);
            if (!room)
                break;
            end += rec_size(msgs[k].len);
            b = (long long)k + 1;
        }
    }
    call_end(r, s->timeout);
    if (bad_tail) {
        diverge(r, a, before);
        return;
    }
    same_rc(r, a, b);
    count_batch(r, a);
}

/* recv_n: buffers of every kind recv_msg draws; the old side receives
 * one by one. */
static void recv_batch(struct run *r, struct step *s)
{
    size_t n = draw_n(r), m = n_ok(n) ? n : 1;
    struct mr_region ba[BATCH_MAX], bb[BATCH_MAX];
    size_t junked[BATCH_MAX];
    uint64_t idx[BATCH_MAX];
    s->count = n;
    /* One batch in 20 has a read-only buffer somewhere. */
    size_t ro_at = rnd(r, 20) ? SIZE_MAX : (size_t)rnd(r, m);
    unsigned char junk = (unsigned char)r->step;
    for (size_t i = 0; i < m; i++) {
        static const unsigned kinds[] = { 0, 0, 0, 0, 0, 1, 2, 4 };
        unsigned kind = kinds[rnd(r, MR_TEST_COUNT(kinds))];
        size_t len = kind == 0 ? r->max_msg : kind == 1 ? (size_t)rnd(r, 129)
                   : kind == 2 ? (size_t)rnd(r, r->max_msg + 1) : SIZE_MAX;
        unsigned f = i == ro_at ? MR_REGION_RDONLY : 0;
        ba[i] = (struct mr_region){ r->bbuf[NOW] + i * r->buf_size, len, f };
        bb[i] = (struct mr_region){ r->bbuf[OLD] + i * r->buf_size, len, f };
        /* The bytes a message of up to 4 KiB and what follows it can touch. */
        junked[i] = len < 4096 + 64 ? len : 4096 + 64;
        memset(ba[i].ptr, junk, junked[i]);
        memset(bb[i].ptr, junk, junked[i]);
    }
    s->len = ba[0].len;
    s->timeout = draw_timeout(r, s->end, C, 0);
    call_begin(r, s->timeout);
    ssize_t a = mr_chan_recv_n(&r->now[s->end], ba, n, s->timeout);
    long long b = old_batch_ok(r, s->end, C, n, s->timeout);
    if (b == 0 && ro_at != SIZE_MAX)
        b = -EACCES;
    if (b == 0) {
        uint64_t start = mr_test_chan_v1_pos(r->old[s->end]);
        idx[0] = start + MR_CHAN_MSG_OVERHEAD;
        ssize_t b0 = v1_mr_chan_recv(r->old[s->end], bb[0], s->timeout);
        b = b0;
        if (b0 >= 0) {
            bb[0].len = (size_t)b0;
            b = 1;
            for (size_t k = 1; k < n; k++) {
                long long len = old_next_len(r, start);
                if (len < 0 || (size_t)len > bb[k].len)
                    break;
                idx[k] = mr_test_chan_v1_pos(r->old[s->end]) + MR_CHAN_MSG_OVERHEAD;
                ssize_t bk = v1_mr_chan_recv(r->old[s->end], bb[k], 0);
                SAME(r, "a later single recv of the old loop", bk, len);
                bb[k].len = (size_t)bk;
                b = (long long)k + 1;
            }
        }
    }
    call_end(r, s->timeout);
    same_rc(r, a, b);
    count_batch(r, a);
    if (a == -EMSGSIZE)
        r->follow = rnd(r, 2) ? OP_RELEASE : OP_RECV;
    for (size_t i = 0; i < m; i++) {
        size_t got = a > 0 && i < (size_t)a ? ba[i].len : 0;
        SAME(r, "a buffer's length", ba[i].len, bb[i].len);
        if (got > 0)
            same_bytes(r, "the bytes received", ba[i].ptr, bb[i].ptr, got, idx[i]);
        size_t tail = got < junked[i] ? junked[i] - got : 0;
        tail = tail < 64 ? tail : 64;
        SAME(r, "a buffer past its message",
             memcmp((unsigned char *)ba[i].ptr + got, (unsigned char *)bb[i].ptr + got, tail), 0);
    }
}

/* recv_fixed_n, its length mostly that of the next message. */
static void recv_fixed_batch(struct run *r, struct step *s)
{
    size_t n = draw_n(r), m = n_ok(n) ? n : 1;
    s->count = n;
    uint64_t at = mr_test_chan_v1_pos(r->old[C]);
    uint32_t next = mr_test_chan_get32(r->side[OLD].map + r->page + (at & (r->cap - 1)), 0);
    s->len = rnd(r, 4) && next <= r->max_msg ? next : draw_len(r);
    if (s->len > r->max_msg && rnd(r, 2))
        s->len = (size_t)rnd(r, 65);
    size_t span = s->len <= r->max_msg ? m * s->len : 0;
    size_t junked = span + 64 < 8192 ? span + 64 : 8192;
    unsigned char junk = (unsigned char)r->step;
    memset(r->bbuf[NOW], junk, junked);
    memset(r->bbuf[OLD], junk, junked);
    s->timeout = draw_timeout(r, s->end, C, 0);
    call_begin(r, s->timeout);
    ssize_t a = mr_chan_recv_fixed_n(&r->now[s->end], r->bbuf[NOW], s->len, n, s->timeout);
    long long b = old_batch_ok(r, s->end, C, n, s->timeout);
    uint64_t idx[BATCH_MAX];
    if (b == 0) {
        uint64_t start = mr_test_chan_v1_pos(r->old[s->end]);
        struct mr_region pk;
        b = v1_mr_chan_peek(r->old[s->end], s->timeout, &pk);
        if (b == 0 && pk.len != s->len)
            b = -EBADMSG; /* and it stays peeked, on both sides */
        for (size_t k = 0; b >= 0 && k < n; k++) {
            if (k > 0 && old_next_len(r, start) != (long long)s->len)
                break;
            idx[k] = mr_test_chan_v1_pos(r->old[s->end]) + MR_CHAN_MSG_OVERHEAD;
            struct mr_region d = { r->bbuf[OLD] + k * s->len, s->len, 0 };
            SAME(r, "a single recv of the old loop", v1_mr_chan_recv(r->old[s->end], d, 0), s->len);
            b = (long long)k + 1;
        }
    }
    call_end(r, s->timeout);
    same_rc(r, a, b);
    count_batch(r, a);
    if (a == -EBADMSG)
        r->follow = rnd(r, 2) ? OP_RELEASE : OP_RECV;
    size_t got = a > 0 ? (size_t)a : 0;
    for (size_t k = 0; k < got; k++)
        same_bytes(r, "the bytes received", r->bbuf[NOW] + k * s->len, r->bbuf[OLD] + k * s->len,
                   s->len, idx[k]);
    SAME(r, "the buffer past the messages",
         memcmp(r->bbuf[NOW] + got * s->len, r->bbuf[OLD] + got * s->len,
                got * s->len < junked ? junked - got * s->len : 0), 0);
}

/* peek_n, then release; the old side peeks and releases one by one. */
static void peek_batch(struct run *r, struct step *s)
{
    size_t n = draw_n(r);
    struct mr_region oa[BATCH_MAX], ob[BATCH_MAX];
    s->count = n;
    for (size_t i = 0; i < BATCH_MAX; i++)
        oa[i] = ob[i] = mr_test_sentinel();
    s->timeout = draw_timeout(r, s->end, C, 0);
    call_begin(r, s->timeout);
    int a = mr_chan_peek_n(&r->now[s->end], oa, n, s->timeout);
    long long b = old_batch_ok(r, s->end, C, n, s->timeout);
    if (b == 0 && mr_test_chan_v1_pending(r->old[s->end]) != 0)
        b = -EBUSY;
    if (b == 0) {
        uint64_t start = mr_test_chan_v1_pos(r->old[s->end]);
        b = v1_mr_chan_peek(r->old[s->end], s->timeout, &ob[0]);
        for (size_t k = 0; b >= 0 && k < n; k++) {
            if (k > 0) {
                long long len = old_next_len(r, start);
                if (len < 0)
                    break;
                SAME(r, "a later peek of the old loop", v1_mr_chan_peek(r->old[s->end], 0, &ob[k]), 0);
                SAME(r, "the length the old loop peeked", ob[k].len, len);
            }
            /* Its bytes stay in the ring: nobody writes there in this step. */
            SAME(r, "a release of the old loop", v1_mr_chan_release(r->old[s->end]), 0);
            b = (long long)k + 1;
        }
    }
    call_end(r, s->timeout);
    same_rc(r, a, b);
    count_batch(r, a);
    size_t k = a > 0 ? (size_t)a : 0;
    for (size_t i = 0; i < (k > 0 ? k : 1); i++)
        same_region(r, oa[i], ob[i]);
    for (size_t i = 0; i < k; i++)
        same_bytes(r, "the bytes peeked", oa[i].ptr, ob[i].ptr, oa[i].len, ring_offset(r, OLD, ob[i].ptr));
    if (a > 0)
        SAME(r, "the release after peek_n", mr_chan_release(&r->now[s->end]), 0);
}

/* reserve_n, then commit_n of all or a prefix, or commit of the first
 * alone (sometimes after a refused commit); the old side reserves and
 * commits one by one, as many as are committed. */
static void reserve_batch(struct run *r, struct step *s)
{
    size_t n = draw_n(r);
    struct mr_region oa[BATCH_MAX], rb = mr_test_sentinel();
    s->count = n;
    s->len = draw_len(r);
    for (size_t i = 0; i < BATCH_MAX; i++)
        oa[i] = mr_test_sentinel();
    s->timeout = draw_timeout(r, s->end, P, s->len);
    uint64_t before = now_messages(r);
    call_begin(r, s->timeout);
    int a = mr_chan_reserve_n(&r->now[s->end], s->len, oa, n, s->timeout);
    long long b = old_batch_ok(r, s->end, P, n, s->timeout);
    bool bad_tail = false, looked = false;
    uint64_t rec = 0;
    if (b == 0) {
        b = v1_mr_chan_reserve(r->old[s->end], s->len, s->timeout, &rb);
        if (b == 0) {
            uint64_t start = mr_test_chan_v1_pos(r->old[s->end]);
            rec = rec_size(s->len);
            b = 1;
            for (size_t k = 1; k < n; k++) {
                int room = old_room(r, start, start + k * rec, rec, &looked);
                if (room < 0)
                    bad_tail = true;
                if (room <= 0)
                    break;
                b = (long long)k + 1;
            }
        }
    }
    call_end(r, s->timeout);
    if (bad_tail) {
        /* The old end holds its first reservation; the pair ends. */
        diverge(r, a, before);
        return;
    }
    same_rc(r, a, b);
    same_region(r, oa[0], rb);
    if (a <= 0)
        return;
    count_batch(r, a);
    for (int i = 1; i < a; i++) {
        SAME(r, "a batch region's length", oa[i].len, s->len);
        SAME(r, "a batch region's flags", oa[i].flags, 0);
        SAME(r, "a batch region's offset in the ring", ring_offset(r, NOW, oa[i].ptr),
             (ring_offset(r, OLD, rb.ptr) + (uint64_t)i * rec) & (r->cap - 1));
    }
    /* j of a committed, each of s->len; or the first alone, of len1. */
    size_t j = (size_t)a, len1 = s->len;
    bool single = false;
    unsigned how = (unsigned)rnd(r, 20);
    if (how >= 14 && how < 17) {
        j = 1 + (size_t)rnd(r, (uint64_t)a);
    } else if (how == 17) {
        single = true;
        j = 1;
        len1 = (size_t)rnd(r, s->len + 1);
    } else if (how == 18) {
        SAME(r, "a commit_n of too many or none", mr_chan_commit_n(&r->now[s->end], rnd(r, 2) ? 0 : (size_t)a + 1), -ERANGE);
    } else if (how == 19) {
        SAME(r, "a commit of more than reserved", mr_chan_commit(&r->now[s->end], s->len + 1), -ERANGE);
    }
    for (size_t i = 0; i < j; i++)
        mr_test_chan_fill(oa[i].ptr, i == 0 ? len1 : s->len, r->step * BATCH_MAX + i);
    int ca = single ? mr_chan_commit_inline(&r->now[s->end], len1) : mr_chan_commit_n(&r->now[s->end], j);
    SAME(r, "today's commit after reserve_n", ca, 0);
    for (size_t i = 0; i < j; i++) {
        struct mr_region ri = rb;
        if (i > 0) {
            ri = mr_test_sentinel();
            SAME(r, "a later reserve of the old loop", v1_mr_chan_reserve(r->old[s->end], s->len, 0, &ri), 0);
            same_region(r, oa[i], ri);
        }
        mr_test_chan_fill(ri.ptr, i == 0 ? len1 : s->len, r->step * BATCH_MAX + i);
        SAME(r, "a commit of the old loop", v1_mr_chan_commit(r->old[s->end], i == 0 ? len1 : s->len), 0);
    }
    /* Today's end looked at the tail for records the old loop never
     * reserved (the ones given back, or the one that did not fit): the
     * old end learns what it saw, a tail old_room found good. */
    if (looked)
        mr_test_chan_v1_saw_tail(r->old[s->end], mr_test_chan_get64(r->side[OLD].map, MR_TEST_CHAN_TAIL));
}

/* A third end, of either role, attaching to each object: refused while
 * both roles are taken, unless a scribble freed one; closed at once if it
 * got in. */
static void attach(struct run *r, struct step *s)
{
    static const unsigned flag_set[] = { 0, 0, 0, 0, MR_CHAN_NO_SEALS, 0x80 };
    int role = rnd(r, 2) ? MR_CHAN_PRODUCER : MR_CHAN_CONSUMER;
    uint32_t roles = mr_test_chan_get32(r->side[OLD].map, MR_TEST_CHAN_ROLES);
    if ((roles & (uint32_t)role) && !(roles & (uint32_t)(3 - role)) && rnd(r, 4))
        role = 3 - role;
    size_t caps[] = { 0, r->cap, r->cap, r->cap, r->cap * 2, 1000 };
    size_t cap = caps[rnd(r, MR_TEST_COUNT(caps))];
    unsigned flags = flag_set[rnd(r, MR_TEST_COUNT(flag_set))];
    s->len = cap;
    s->kind = (unsigned)role;
    /* A producer attaching to a role that a scribble freed reads the head,
     * which today's producer may not have published yet: the same head in
     * both objects, the old one's or 0, keeps that from showing. */
    if (role == MR_CHAN_PRODUCER) {
        uint64_t head = rnd(r, 2) ? mr_test_chan_get64(r->side[OLD].map, MR_TEST_CHAN_HEAD) : 0;
        mr_test_chan_set64(r->side[NOW].map, MR_TEST_CHAN_HEAD, head);
        mr_test_chan_set64(r->side[OLD].map, MR_TEST_CHAN_HEAD, head);
    }
    struct mr_chan third = MR_CHAN_INIT;
    struct v1_mr_chan *old_third = mr_test_chan_v1_new();
    ASSERT_TRUE(old_third != NULL);
    int fa = dup_fd(r->side[NOW].fd), fb = dup_fd(r->side[OLD].fd);
    int a = mr_chan_attach_fd(&third, fa, cap, (enum mr_chan_role)role, flags);
    int b = mr_test_chan_v1_attach_fd(old_third, fb, cap, role, flags);
    if (a < 0)
        close(fa);
    if (b < 0)
        close(fb);
    same_rc(r, a, b);
    SAME(r, "close of the third end", mr_chan_close(&third), v1_mr_chan_close(old_third));
    mr_test_chan_v1_free(old_third);
}

static enum op draw_op(struct run *r)
{
    if (rnd(r, 1000) < r->scribble_pm)
        return OP_SCRIBBLE;
    if (r->follow != OP_COUNT && rnd(r, 4)) {
        enum op f = r->follow;
        r->follow = OP_COUNT;
        return f;
    }
    static unsigned total;
    if (total == 0)
        for (int i = 0; i < OP_COUNT; i++)
            total += ops[i].weight;
    unsigned k = (unsigned)rnd(r, total);
    int i = 0;
    while (k >= ops[i].weight)
        k -= ops[i++].weight;
    return (enum op)i;
}

static void step(struct run *r)
{
    struct step *s = &r->hist[r->step % HISTORY];
    *s = (struct step){ .n = r->step, .rc = { 0, 0 } };
    r->diverged = false;
    r->cur = s;
    s->op = draw_op(r);
    s->end = ops[s->op].end < 0 ? (int)rnd(r, 2) : rnd(r, 20) ? ops[s->op].end : 1 - ops[s->op].end;
    /* A batch call is one more case: today's call once, the old side a
     * loop of the single calls it stands for, then the same comparisons. */
    switch ((enum op)s->op) {
    case OP_SEND:
    case OP_TRY_SEND:
        send_msg(r, s, s->op == OP_TRY_SEND);
        break;
    case OP_RESERVE:
    case OP_TRY_RESERVE:
        reserve(r, s, s->op == OP_TRY_RESERVE);
        break;
    case OP_COMMIT:
        commit(r, s);
        break;
    case OP_RECV:
    case OP_TRY_RECV:
        recv_msg(r, s, s->op == OP_TRY_RECV);
        break;
    case OP_PEEK:
    case OP_TRY_PEEK:
        peek(r, s, s->op == OP_TRY_PEEK);
        break;
    case OP_RELEASE:
        same_rc(r, rnd(r, 4) ? mr_chan_release(&r->now[s->end]) : mr_chan_release_inline(&r->now[s->end]),
                v1_mr_chan_release(r->old[s->end]));
        break;
    case OP_SEND_N:
    case OP_SEND_FIXED_N:
        send_batch(r, s, s->op == OP_SEND_FIXED_N);
        break;
    case OP_RESERVE_N:
        reserve_batch(r, s);
        break;
    case OP_RECV_N:
        recv_batch(r, s);
        break;
    case OP_RECV_FIXED_N:
        recv_fixed_batch(r, s);
        break;
    case OP_PEEK_N:
        peek_batch(r, s);
        break;
    case OP_CHECK_PEER:
        same_rc(r, mr_chan_check_peer(&r->now[s->end]), v1_mr_chan_check_peer(r->old[s->end]));
        break;
    case OP_WATCH_PID:
        same_rc(r, mr_chan_watch_pid(&r->now[s->end], getpid()),
                v1_mr_chan_watch_pid(r->old[s->end], getpid()));
        break;
    case OP_CLOSE:
        same_rc(r, mr_chan_close(&r->now[s->end]), v1_mr_chan_close(r->old[s->end]));
        break;
    case OP_ATTACH:
        attach(r, s);
        break;
    case OP_SCRIBBLE:
        scribble(r, s);
        break;
    case OP_COUNT:
        break;
    }
    if (r->diverged) {
        r->left = 0;
        return;
    }
    same_ends(r);
    /* A closed or broken end answers little more that is new: the pair
     * makes way for a fresh one soon. */
    unsigned long rest = 20 + (unsigned long)rnd(r, 100);
    if ((s->op == OP_CLOSE || s->rc[NOW] == -EPROTO) && r->left > rest)
        r->left = rest;
}

/* ---- runs -------------------------------------------------------------------------------- */

static void run_seed(struct run *r, uint64_t seed, unsigned long steps)
{
    r->seed = seed;
    r->rng = seed;
    r->pairs = 0;
    for (r->step = 0; r->step < steps; r->step++) {
        bool open = mr_chan_fd(&r->now[P]) >= 0 || mr_chan_fd(&r->now[C]) >= 0 ||
                    v1_mr_chan_fd(r->old[P]) >= 0 || v1_mr_chan_fd(r->old[C]) >= 0;
        if (r->pairs > 0 && (!open || r->left == 0))
            pair_close(r);
        if (r->pairs == 0 || !open || r->left == 0)
            pair_open(r);
        r->left--;
        step(r);
    }
    pair_close(r);
}

int main(int argc, char **argv)
{
    struct run *r = calloc(1, sizeof *r);
    ASSERT_TRUE(r != NULL);
    r->page = (size_t)sysconf(_SC_PAGESIZE);
    r->buf_size = 65536 + 64;
    r->src = malloc(r->buf_size);
    r->buf[NOW] = malloc(r->buf_size);
    r->buf[OLD] = malloc(r->buf_size);
    r->bsrc = malloc(BATCH_MAX * r->buf_size);
    r->bbuf[NOW] = malloc(BATCH_MAX * r->buf_size);
    r->bbuf[OLD] = malloc(BATCH_MAX * r->buf_size);
    ASSERT_TRUE(r->src && r->buf[NOW] && r->buf[OLD] && r->bsrc && r->bbuf[NOW] && r->bbuf[OLD]);
    for (int e = P; e <= C; e++) {
        r->now[e] = (struct mr_chan)MR_CHAN_INIT;
        r->old[e] = mr_test_chan_v1_new();
        ASSERT_TRUE(r->old[e] != NULL);
    }
    signal(SIGALRM, on_alarm);

    unsigned long total = 0;
    int64_t t0 = mr_test_now_ms();
    if (argc > 1) {
        uint64_t seed = strtoull(argv[1], NULL, 0);
        unsigned long steps = argc > 2 ? strtoul(argv[2], NULL, 0) : STEPS;
        run_seed(r, seed, steps);
        total = steps;
    } else {
        unsigned long steps = (unsigned long)mr_test_scale(STEPS);
        for (uint64_t i = 0; i < SEEDS; i++) {
            run_seed(r, mr_test_mix(UINT64_C(0x6368616e64696666) + i), steps);
            total += steps;
        }
    }
    printf("chan diff: %lu steps in %lld ms: %lu ok, EAGAIN %lu, EPROTO %lu, EPIPE %lu, EBADF %lu, "
           "EMSGSIZE %lu, EINVAL %lu, ERANGE %lu, EBUSY %lu, EACCES %lu, ETIMEDOUT %lu; "
           "%lu scribbles, %lu waits of 1 ms, %lu messages in batches of 2 or more, "
           "%lu producer batches that met a bad tail; no difference\n",
           total, (long long)(mr_test_now_ms() - t0), r->ok, r->errs[EAGAIN], r->errs[EPROTO],
           r->errs[EPIPE], r->errs[EBADF], r->errs[EMSGSIZE], r->errs[EINVAL], r->errs[ERANGE],
           r->errs[EBUSY], r->errs[EACCES], r->errs[ETIMEDOUT], r->scribbles, r->waited, r->batched,
           r->divergences);
    printf("chan diff: calls that succeeded:");
    for (int i = 0; i < OP_SCRIBBLE; i++)
        printf(" %s %lu/%lu%s", ops[i].name, r->calls_ok[i], r->calls[i], i + 1 < OP_SCRIBBLE ? "," : "\n");
    if (argc <= 1) {
        /* The test is no test if the interesting answers never came. */
        ASSERT_GT(r->ok, 0ul);
        ASSERT_GT(r->errs[EPROTO], 0ul);
        ASSERT_GT(r->errs[EPIPE], 0ul);
        ASSERT_GT(r->errs[EMSGSIZE], 0ul);
        ASSERT_GT(r->scribbles, 0ul);
        ASSERT_GT(r->batched, 0ul);
        ASSERT_GT(r->errs[EBADMSG], 0ul);
        for (int i = OP_SEND_N; i <= OP_PEEK_N; i++)
            ASSERT_GT(r->calls_ok[i], 0ul);
    }
    for (int e = P; e <= C; e++)
        mr_test_chan_v1_free(r->old[e]);
    free(r->src);
    free(r->bsrc);
    free(r->bbuf[NOW]);
    free(r->bbuf[OLD]);
    free(r->buf[NOW]);
    free(r->buf[OLD]);
    free(r);
    return 0;
}
