/* SPDX-License-Identifier: MIT */
/* test/soak.c: the soak test behind `make soak` (minutes long, so not part of
 * `make check`, and not a test_*.c: ctest does not run it). Until its time is
 * up it runs rounds, channel and pipe in turn, each with new processes:
 * producers and consumers moving messages of random sizes over a channel
 * (created by either end and shared over a socket pair, or created here and
 * inherited; both ends on one CPU or on two), and `memregion pipe send` /
 * `recv` moving a known byte stream; in most rounds one peer is SIGKILLed at
 * a random moment. Every round checks that nothing committed or acknowledged
 * was lost, repeated, reordered or corrupted, that the survivor noticed in
 * time and exited as documented, and that nothing was left behind. Only the
 * public API and the built program are used (and two of the test helpers).
 * `soak --help` says more. */
#define _GNU_SOURCE 1

#include <memregion.h>

#include "helpers.h" /* mr_test_count_fds, mr_test_first_diff and mr_test_rand */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The bounds the run holds the library and the program to, and its own. */
#define DEATH_BOUND_MS 2000  /* a channel end sees its peer's death within this of the kill */
#define WAIT_MS 10000        /* the longest any data call waits: past it, a hang */
#define CHILD_LIMIT_MS 20000 /* a channel process that is still running then gives up */
#define ROUND_LIMIT_MS 30000 /* every process of a round has exited by then */
#define PIPE_TIMEOUT_S 3     /* memregion pipe --timeout */
#define PIPE_EXIT_MS 3000    /* a pipe process exits within this of its cue */
#define KILL_MAX_MS 300      /* a peer is killed within this of the round's start */
#define WATCHDOG_EXTRA_S (2 * ROUND_LIMIT_MS / 1000 + 30)
#define IO_CHUNK ((size_t)256 << 10)
#define CAP_LOG_MIN 12 /* rings of 4 KiB ... */
#define CAP_LOG_MAX 20 /* ... to 1 MiB */

static const char help[] =
    "usage: soak [--seconds N] [--memregion PATH] [--seed N] [--only chan|pipe] [--verbose]\n"
    "\n"
    "The memregion soak test (`make soak`, SOAK_SECONDS=N; not part of `make check`).\n"
    "For N seconds (default 120) it runs rounds, each with new processes, in turn:\n"
    "\n"
    "channel rounds: a producer process sends messages of random sizes (0 bytes\n"
    "  to the ring's largest, each carrying its sequence number and a checksum)\n"
    "  to a consumer process, through a channel (ring of 4 KiB to 1 MiB) that one\n"
    "  end creates and shares over a Unix socket pair (mr_chan_share,\n"
    "  mr_chan_attach_sock), or that this program creates and the ends inherit\n"
    "  (mr_chan_attach_fd, mr_chan_watch_pid); the two ends on the same CPU or on\n"
    "  two, alternating (sched_setaffinity). The producer records in memory this\n"
    "  program owns how many messages it committed, after each commit returns;\n"
    "  the consumer records the last sequence number it received, after checking\n"
    "  the message.\n"
    "  A third of the rounds end with an orderly close, a third SIGKILL the\n"
    "  producer, a third the consumer, at a random moment (0 to 300 ms in).\n"
    "  Checked: every message arrives once, in order, with its bytes intact; the\n"
    "  consumer receives every message the producer recorded (at most one more:\n"
    "  the one committed as it was killed) before it sees -EPIPE; it never has\n"
    "  more than the producer committed; the survivor of a kill sees -EPIPE (or\n"
    "  -ECONNRESET) within 2000 ms of it, and exits 0; no call waits 10 s.\n"
    "\n"
    "pipe rounds: `memregion pipe send NAME` reads a pseudo-random byte stream\n"
    "  from this program and `memregion pipe recv NAME` writes it back; either\n"
    "  is started first; send, recv or neither is SIGKILLed at a random moment\n"
    "  (most 0 to 300 ms after the first bytes arrive, some 0 to 150 ms after the\n"
    "  start, while the two are still meeting).\n"
    "  Checked: what arrives is an exact prefix of what was sent (all of it when\n"
    "  nobody was killed); exit statuses as docs/cli/pipe.md says (0 and 0; the\n"
    "  survivor of a kill 1, with 'memregion: pipe ...' on stderr; no sanitizer\n"
    "  report), within 3 s of the end of the input or of the kill (6 s when\n"
    "  nothing had arrived: the survivor may still wait for its --timeout 3);\n"
    "  no socket file left in the rendezvous directory (a sender killed while it\n"
    "  waited leaves its socket, as documented: the next round reuses the name\n"
    "  and must replace it; some senders are started alone and killed 0 to 50 ms\n"
    "  after their socket appears, so that this happens).\n"
    "\n"
    "After every round: this process has no more fds than at the start\n"
    "(/proc/self/fd) and no memfd or /dev/shm mapping (/proc/self/maps); new\n"
    "mr-anon-* or *soak* names in /dev/shm are noted, and any still there at\n"
    "the end is a leak (other processes of this user make such names for a\n"
    "while, so only those that stay count). Pipes meet in a private\n"
    "XDG_RUNTIME_DIR under /tmp, removed at the end. A watchdog ends the run\n"
    "(exit 1) if it lasts N + 90 s; each process dies with this one.\n"
    "\n"
    "options:\n"
    "  -s, --seconds N      run for N seconds (1 to 86400; default 120); the last\n"
    "                       round is finished, and at least one round of each kind runs\n"
    "  -m, --memregion PATH the memregion program (default: ../tools/memregion\n"
    "                       next to this program, as in a build tree)\n"
    "  -r, --seed N         the random seed (default: from the clock; printed, so\n"
    "                       that a run's choices can be repeated)\n"
    "  -o, --only KIND      only channel rounds (chan) or only pipe rounds (pipe)\n"
    "  -v, --verbose        one line per round\n"
    "  -h, --help           show this help\n"
    "\n"
    "At the end one summary: rounds, messages and bytes moved, kills survived by\n"
    "kind, what was lost, duplicated or corrupted (must be 0), leaks (must be\n"
    "none). Exit status: 0 every invariant held; 1 one did not (each failure is\n"
    "printed when it happens, the first again at the end); 2 wrong usage, or the\n"
    "run could not start.\n";

/* ---- what the processes of a round share --------------------------------- */

enum { PROD = 0, CONS = 1 };
enum victim { NOBODY = 0, VICTIM_PROD = 1, VICTIM_CONS = 2 };

/* Written by one child (with atomic stores), read by the supervisor. */
struct side {
    uint64_t count;   /* messages committed (producer) or received and checked (consumer) */
    uint64_t next;    /* consumer: the last sequence number received + 1 (from base) */
    uint64_t bytes;   /* their payload bytes */
    int64_t gone_ns;  /* when a call said the peer is gone (CLOCK_MONOTONIC); 0: never */
    int64_t gone_rc;  /* what that call returned */
    uint64_t lost, dup, corrupt; /* the consumer's findings, message by message */
    char why[320];    /* the first thing that went wrong in this process */
};

struct shared {
    struct side side[2];
    int64_t peer_pid; /* inherited ends: the pid of the end's holder, for the other end */
};

static struct shared *g_sh;
static pid_t g_supervisor;

/* For the signal handlers: the children to kill and the files to remove. */
static volatile pid_t g_live[2];
static char g_round_text[256];
static char g_tmpdir[64], g_sockdir[128], g_sockfile[256];

/* ---- time and random numbers ---------------------------------------------- */

static int64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static void nap_us(long us)
{
    struct timespec t = { us / 1000000, (us % 1000000) * 1000 };
    nanosleep(&t, NULL);
}

/* The generator is helpers.h's mr_test_rand (splitmix64); mix64(x) is its
 * output for the state x. */
static uint64_t mix64(uint64_t x)
{
    return mr_test_rand(&x);
}

static uint64_t rnd_below(uint64_t *st, uint64_t n)
{
    return n ? mr_test_rand(st) % n : 0;
}

/* The bytes [off, off + n) of the stream named by seed: byte i is byte i % 8
 * of mix64(seed + i / 8), so any stretch can be made without the rest. */
static void stream_fill(uint64_t seed, uint64_t off, unsigned char *p, size_t n)
{
    while (n > 0) {
        uint64_t w = mix64(seed + off / 8);
        size_t at = (size_t)(off % 8), k = 8 - at < n ? 8 - at : n;
        memcpy(p, (unsigned char *)&w + at, k);
        p += k;
        off += k;
        n -= k;
    }
}

/* ---- messages -----------------------------------------------------------------
 * A message of len bytes is the 16-byte header {seq, hash(seq, len, body)}
 * followed by a body of stream bytes named by seq; one shorter than 16 bytes
 * is the first len bytes of the header of an empty body. */

static uint64_t msg_hash(uint64_t seq, size_t len, const unsigned char *body, size_t n)
{
    uint64_t h = mix64(seq ^ ((uint64_t)len << 40) ^ len);
    for (size_t i = 0; i < n; i += 8) {
        uint64_t w = 0, k = n - i < 8 ? n - i : 8;
        memcpy(&w, body + i, k);
        h = mix64(h ^ w ^ (k << 60));
    }
    return h;
}

static void msg_fill(unsigned char *p, size_t len, uint64_t seq)
{
    size_t body = len > 16 ? len - 16 : 0;
    if (body)
        stream_fill(mix64(seq), 0, p + 16, body);
    uint64_t hdr[2] = { seq, msg_hash(seq, len, body ? p + 16 : NULL, body) };
    if (len > 0)
        memcpy(p, hdr, len < 16 ? len : 16);
}

/* Lengths: mostly small, some up to a quarter of the ring, a few at the
 * largest the ring takes, some below the header's 16 bytes (0 too). */
static size_t draw_len(uint64_t *st, size_t max)
{
    uint64_t pick = rnd_below(st, 100);
    size_t len;
    if (pick < 6)
        len = (size_t)rnd_below(st, 16);
    else if (pick < 55)
        len = 16 + (size_t)rnd_below(st, 240);
    else if (pick < 85)
        len = (size_t)rnd_below(st, 4096);
    else if (pick < 97)
        len = (size_t)rnd_below(st, max / 4 + 1);
    else
        len = max - (size_t)rnd_below(st, 64);
    return len > max ? max : len;
}

/* ---- the children ---------------------------------------------------------- */

static bool peer_gone(long rc)
{
    return rc == -EPIPE || rc == -ECONNRESET;
}

__attribute__((format(printf, 2, 3))) static void side_note(struct side *me, const char *fmt, ...)
{
    if (me->why[0])
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(me->why, sizeof me->why, fmt, ap);
    va_end(ap);
}

__attribute__((noreturn, format(printf, 2, 3))) static void child_fail(struct side *me,
                                                                     const char *fmt, ...)
{
    if (!me->why[0]) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(me->why, sizeof me->why, fmt, ap);
        va_end(ap);
    }
    _exit(1);
}

static void saw_peer_gone(struct side *me, long rc)
{
    __atomic_store_n(&me->gone_rc, (int64_t)rc, __ATOMIC_RELAXED);
    __atomic_store_n(&me->gone_ns, now_ns(), __ATOMIC_RELEASE);
}

/* After fork, in the child: default signals (the supervisor's handlers
 * would kill its children, ignored SIGPIPE would survive exec), death with
 * the supervisor, and the CPU (-1: any). */
static void child_prepare(int cpu)
{
    static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGALRM, SIGPIPE };
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        signal(sigs[i], SIG_DFL);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != g_supervisor)
        _exit(99);
    if (cpu >= 0) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(cpu, &set);
        sched_setaffinity(0, sizeof set, &set);
    }
}

static pid_t fork_child(int cpu, int slot)
{
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0)
        child_prepare(cpu);
    else if (pid > 0)
        g_live[slot] = pid;
    return pid;
}

/* ---- channel rounds -------------------------------------------------------- */

enum setup {
    SHARE_BY_PRODUCER,
    SHARE_BY_CONSUMER,
    INHERIT_PRODUCER_END,
    INHERIT_CONSUMER_END,
    SETUPS
};

static const char *const setup_text[SETUPS] = {
    "made by the producer, shared over a socket pair",
    "made by the consumer, shared over a socket pair",
    "made here, the producer's end inherited",
    "made here, the consumer's end inherited",
};

struct chan_plan {
    enum setup setup;
    bool two_cpus, fenced, slow_consumer, bursty_producer;
    int cpu[2];
    size_t capacity;
    enum victim victim;
    int kill_after_ms; /* victim: when */
    int run_ms;        /* nobody: the producer closes after this long */
    uint64_t base;     /* the first sequence number */
    uint64_t seed;
};

static void produce(struct mr_chan *c, const struct chan_plan *pl, struct side *me)
{
    size_t max = mr_chan_max_msg(c);
    unsigned char *buf = malloc(max ? max : 1);
    if (!buf)
        child_fail(me, "producer: out of memory");
    uint64_t rng = pl->seed ^ 0x70726f64u, seq = pl->base;
    int64_t start = now_ns();
    int64_t stop = pl->victim == NOBODY ? start + (int64_t)pl->run_ms * 1000000 : INT64_MAX;
    int64_t limit = start + (int64_t)CHILD_LIMIT_MS * 1000000;
    for (;;) {
        int64_t t = now_ns();
        if (t >= stop)
            break;
        if (t >= limit)
            child_fail(me, "the producer was still running after %d s (never stopped, never "
                           "saw its consumer gone)", CHILD_LIMIT_MS / 1000);
        size_t len = draw_len(&rng, max);
        long rc;
        switch (rnd_below(&rng, 4)) {
        case 0:
        case 1: {
            struct mr_region r;
            rc = mr_chan_reserve(c, len, WAIT_MS, &r);
            if (rc == 0) {
                if (r.len != len)
                    child_fail(me, "mr_chan_reserve(%zu) gave a region of %zu bytes", len, r.len);
                msg_fill(r.ptr, len, seq);
                rc = mr_chan_commit(c, len);
                if (rc < 0)
                    child_fail(me, "mr_chan_commit(%zu) after a reserve: %s", len,
                               mr_strerror((int)rc));
            }
            break;
        }
        case 2:
            msg_fill(buf, len, seq);
            rc = (long)mr_chan_send(c, mr_region_make(buf, len), WAIT_MS);
            break;
        default:
            msg_fill(buf, len, seq);
            rc = (long)mr_chan_try_send(c, mr_region_make(buf, len));
            if (rc == -EAGAIN)
                rc = (long)mr_chan_send(c, mr_region_make(buf, len), WAIT_MS);
            break;
        }
        if (rc < 0) {
            if (peer_gone(rc)) {
                saw_peer_gone(me, rc);
                break;
            }
            child_fail(me, "sending message %llu (%zu bytes): %s%s",
                       (unsigned long long)(seq - pl->base), len, mr_strerror((int)rc),
                       rc == -ETIMEDOUT ? " (no room for 10 s, the consumer was not seen gone)"
                                        : "");
        }
        seq++;
        __atomic_store_n(&me->bytes, me->bytes + len, __ATOMIC_RELAXED);
        __atomic_store_n(&me->count, seq - pl->base, __ATOMIC_RELEASE);
        if (pl->bursty_producer && rnd_below(&rng, 256) == 0)
            nap_us((long)rnd_below(&rng, 2000));
    }
    free(buf);
    int rc = mr_chan_close(c);
    if (rc < 0)
        child_fail(me, "mr_chan_close: %s", mr_strerror(rc));
    _exit(0);
}

/* Check one message against the sequence number it should carry; *want
 * moves on past it (past the one it carries, when that is later). */
static void check_msg(struct side *me, const unsigned char *p, size_t len, uint64_t *want,
                      uint64_t base)
{
    unsigned long long idx = (unsigned long long)(*want - base);
    uint64_t seq = *want, h;
    if (len >= 8)
        memcpy(&seq, p, 8);
    if (len >= 16) {
        memcpy(&h, p + 8, 8);
        if (h != msg_hash(seq, len, p + 16, len - 16)) {
            me->corrupt++;
            side_note(me, "message %llu (%zu bytes): checksum wrong (carries sequence %lld)",
                      idx, len, (long long)(seq - base));
            (*want)++;
            return;
        }
    } else if (seq == *want) {
        uint64_t hdr[2] = { seq, msg_hash(seq, len, NULL, 0) };
        if (len > 0 && memcmp(p, hdr, len) != 0) {
            me->corrupt++;
            side_note(me, "message %llu (%zu bytes): its bytes are not the ones sent", idx, len);
        }
    }
    if (seq == *want) {
        (*want)++;
    } else if (seq < *want) {
        me->dup++;
        side_note(me, "message %llu (%zu bytes) is again message %lld: duplicated", idx, len,
                  (long long)(seq - base));
    } else {
        me->lost += seq - *want;
        side_note(me, "after message %lld came message %llu: %llu lost", (long long)idx - 1,
                  (unsigned long long)(seq - base), (unsigned long long)(seq - *want));
        *want = seq + 1;
    }
}

static void consume(struct mr_chan *c, const struct chan_plan *pl, struct side *me)
{
    size_t max = mr_chan_max_msg(c);
    unsigned char *buf = malloc(max ? max : 1);
    if (!buf)
        child_fail(me, "consumer: out of memory");
    uint64_t rng = pl->seed ^ 0x636f6e73u, want = pl->base, n = 0, bytes = 0;
    int64_t limit = now_ns() + (int64_t)CHILD_LIMIT_MS * 1000000;
    for (;;) {
        if (now_ns() >= limit)
            child_fail(me, "the consumer was still running after %d s (never saw its producer "
                           "gone)", CHILD_LIMIT_MS / 1000);
        struct mr_region m;
        bool copied = false;
        long rc;
        switch (rnd_below(&rng, 3)) {
        case 0:
            rc = mr_chan_peek(c, WAIT_MS, &m);
            break;
        case 1:
            rc = (long)mr_chan_recv(c, mr_region_make(buf, max), WAIT_MS);
            if (rc >= 0) {
                m = mr_region_make(buf, (size_t)rc);
                copied = true;
                rc = 0;
            }
            break;
        default:
            rc = mr_chan_try_peek(c, &m);
            if (rc == -EAGAIN)
                rc = mr_chan_peek(c, WAIT_MS, &m);
            break;
        }
        if (rc < 0) {
            if (peer_gone(rc)) {
                saw_peer_gone(me, rc);
                break;
            }
            child_fail(me, "receiving message %llu: %s%s", (unsigned long long)(want - pl->base),
                       mr_strerror((int)rc),
                       rc == -ETIMEDOUT ? " (nothing for 10 s, the producer was not seen gone)"
                                        : "");
        }
        check_msg(me, m.ptr, m.len, &want, pl->base);
        if (!copied && (rc = mr_chan_release(c)) < 0)
            child_fail(me, "mr_chan_release: %s", mr_strerror((int)rc));
        n++;
        bytes += m.len;
        __atomic_store_n(&me->bytes, bytes, __ATOMIC_RELAXED);
        __atomic_store_n(&me->count, n, __ATOMIC_RELAXED);
        __atomic_store_n(&me->next, want - pl->base, __ATOMIC_RELEASE);
        if (pl->slow_consumer && n % 32 == 0)
            nap_us(200);
    }
    free(buf);
    int rc = mr_chan_close(c);
    if (rc < 0)
        child_fail(me, "mr_chan_close: %s", mr_strerror(rc));
    _exit(me->lost || me->dup || me->corrupt ? 1 : 0);
}

/* One end's process: set up its end (sup: the end made here, inherited;
 * mine, theirs: the two sockets of the pair), then produce or consume. */
__attribute__((noreturn)) static void chan_child(const struct chan_plan *pl, int role,
                                                 const struct mr_chan *sup, struct mr_sock *mine,
                                                 struct mr_sock *theirs, pid_t holder_peer)
{
    struct side *me = &g_sh->side[role];
    enum mr_chan_role r = role == PROD ? MR_CHAN_PRODUCER : MR_CHAN_CONSUMER;
    struct mr_chan c = MR_CHAN_INIT;
    int rc;
    /* The peer's socket must be open only in the peer, or its death would
     * not close it. */
    mr_sock_close(theirs);
    if (pl->setup == SHARE_BY_PRODUCER || pl->setup == SHARE_BY_CONSUMER) {
        bool maker = (pl->setup == SHARE_BY_PRODUCER) == (role == PROD);
        if (maker) {
            rc = mr_chan_create(&c, pl->capacity, r, pl->fenced ? MR_CHAN_FENCED : 0);
            if (rc < 0)
                child_fail(me, "mr_chan_create: %s", mr_strerror(rc));
            rc = mr_chan_share(&c, mine);
        } else {
            rc = mr_chan_attach_sock(&c, mine, pl->capacity, r, 0, WAIT_MS);
        }
        mr_sock_close(mine);
    } else if ((pl->setup == INHERIT_PRODUCER_END) == (role == PROD)) {
        c = *sup;
        rc = mr_chan_watch_pid(&c, holder_peer);
    } else {
        int fd = fcntl(mr_chan_fd(sup), F_DUPFD_CLOEXEC, 0);
        rc = fd < 0 ? -errno : mr_chan_attach_fd(&c, fd, pl->capacity, r, 0);
        if (rc < 0 && fd >= 0)
            close(fd);
        if (rc == 0) {
            /* The holder's pid comes from the supervisor, which reaps
             * nobody before both ends have exited. */
            int64_t pid, limit = now_ns() + (int64_t)WAIT_MS * 1000000;
            while ((pid = __atomic_load_n(&g_sh->peer_pid, __ATOMIC_ACQUIRE)) == 0) {
                if (now_ns() >= limit)
                    child_fail(me, "the supervisor never said the other end's pid");
                nap_us(100);
            }
            rc = mr_chan_watch_pid(&c, (pid_t)pid);
        }
    }
    if (rc < 0) {
        if (peer_gone(rc)) {
            saw_peer_gone(me, rc);
            mr_chan_close(&c);
            _exit(0);
        }
        child_fail(me, "setting up the %s's end: %s", role == PROD ? "producer" : "consumer",
                   mr_strerror(rc));
    }
    if (role == PROD)
        produce(&c, pl, me);
    else
        consume(&c, pl, me);
    _exit(1);
}

/* ---- the supervisor ----------------------------------------------------------- */

enum kill_kind { KILL_CHAN_PROD, KILL_CHAN_CONS, KILL_PIPE_SEND, KILL_PIPE_RECV, KILL_KINDS };

struct soak {
    /* options */
    int seconds;
    const char *memregion;
    uint64_t seed;
    int only; /* 0 both, 1 chan, 2 pipe */
    bool verbose;
    /* the machine */
    int cpus[2], ncpus;
    bool pidfd_ok;
    /* the run */
    uint64_t rng;
    unsigned round;
    bool round_failed;
    uint64_t next_seq;
    char pending_name[80]; /* a pipe name whose socket a killed sender left */
    int base_fds;
    struct shm_seen {
        char name[256];
        unsigned round; /* after which it was first seen; 0: there at the start */
    } *shm;
    size_t nshm;
    /* figures */
    unsigned chan_rounds, pipe_rounds, by_setup[SETUPS], by_place[2], pipe_place[2];
    unsigned kills[KILL_KINDS], orderly[2];
    unsigned early_kills;   /* of those, before the first message or byte had arrived */
    unsigned names_reused;  /* pipe rounds that met on a name a killed sender left */
    unsigned alone_kills;   /* pipe senders killed while they waited, no receiver started */
    uint64_t messages, msg_bytes, pipe_bytes, pipe_complete;
    uint64_t lost, dup, corrupt, leaks, failures;
    int64_t max_seen_ns[2]; /* channel: [PROD] producer's death seen, [CONS] consumer's */
    int64_t max_pipe_exit_ns;
    char first[1280];
};

__attribute__((format(printf, 2, 3))) static void fail(struct soak *s, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    size_t n = strlen(msg);
    while (n > 0 && msg[n - 1] == '\n')
        msg[--n] = '\0';
    s->failures++;
    s->round_failed = true;
    fprintf(stderr, "soak: FAIL: round %u (%s): %s\n", s->round, g_round_text, msg);
    if (!s->first[0])
        snprintf(s->first, sizeof s->first, "round %u (%s): %s", s->round, g_round_text, msg);
}

static const char *status_text(int st, char *buf, size_t size)
{
    if (WIFEXITED(st))
        snprintf(buf, size, "exited with status %d", WEXITSTATUS(st));
    else if (WIFSIGNALED(st))
        snprintf(buf, size, "was killed by signal %d (%s)", WTERMSIG(st), strsignal(WTERMSIG(st)));
    else
        snprintf(buf, size, "ended with wait status 0x%x", (unsigned)st);
    return buf;
}

/* Has pid exited? Looks without reaping it, so that its pid stays its own
 * while the other end may still watch it. */
static bool has_exited(pid_t pid)
{
    siginfo_t si;
    memset(&si, 0, sizeof si);
    if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0)
        return errno == ECHILD;
    return si.si_pid == pid;
}

static int reap(pid_t pid, int slot)
{
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    g_live[slot] = 0;
    return st;
}

static void kill_and_reap(pid_t pid[2], bool exited[2], int st[2])
{
    for (int i = 0; i < 2; i++)
        if (pid[i] > 0 && !exited[i])
            kill(pid[i], SIGKILL);
    for (int i = 0; i < 2; i++)
        if (pid[i] > 0) {
            st[i] = reap(pid[i], i);
            exited[i] = true;
        }
}

static void chan_round(struct soak *s)
{
    struct chan_plan pl;
    memset(&pl, 0, sizeof pl);
    unsigned k = s->chan_rounds++;
    pl.setup = (enum setup)(s->pidfd_ok ? k % SETUPS : k % 2);
    pl.two_cpus = s->ncpus > 1 && (k / SETUPS) % 2 == 1;
    int a = (int)rnd_below(&s->rng, (uint64_t)s->ncpus);
    pl.cpu[PROD] = s->cpus[a];
    pl.cpu[CONS] = pl.two_cpus ? s->cpus[1 - a] : s->cpus[a];
    pl.fenced = rnd_below(&s->rng, 4) == 0;
    pl.slow_consumer = rnd_below(&s->rng, 3) == 0;
    pl.bursty_producer = rnd_below(&s->rng, 3) == 0;
    pl.capacity = (size_t)1 << (CAP_LOG_MIN + rnd_below(&s->rng, CAP_LOG_MAX - CAP_LOG_MIN + 1));
    pl.victim = (enum victim)rnd_below(&s->rng, 3);
    /* Some kills land while the ends are still being set up. */
    pl.kill_after_ms = rnd_below(&s->rng, 8) == 0 ? (int)rnd_below(&s->rng, 6)
                                                   : (int)rnd_below(&s->rng, KILL_MAX_MS + 1);
    pl.run_ms = (int)rnd_below(&s->rng, KILL_MAX_MS + 1);
    pl.base = s->next_seq;
    pl.seed = mr_test_rand(&s->rng);
    s->by_setup[pl.setup]++;
    s->by_place[pl.two_cpus]++;
    snprintf(g_round_text, sizeof g_round_text,
             "channel %s, %zu KiB ring%s, %s%s%s, %s %d ms in", setup_text[pl.setup],
             pl.capacity >> 10, pl.fenced ? " (fenced)" : "",
             pl.two_cpus ? "two CPUs" : "one CPU", pl.slow_consumer ? ", slow consumer" : "",
             pl.bursty_producer ? ", bursty producer" : "",
             pl.victim == NOBODY ? "producer closes" : pl.victim == VICTIM_PROD
                                                           ? "producer SIGKILLed"
                                                           : "consumer SIGKILLed",
             pl.victim == NOBODY ? pl.run_ms : pl.kill_after_ms);

    memset(g_sh, 0, sizeof *g_sh);
    struct mr_chan sup = MR_CHAN_INIT;
    struct mr_sock sk[2] = { MR_SOCK_INIT, MR_SOCK_INIT };
    bool inherit = pl.setup == INHERIT_PRODUCER_END || pl.setup == INHERIT_CONSUMER_END;
    int rc = inherit ? mr_chan_create(&sup, pl.capacity,
                                      pl.setup == INHERIT_PRODUCER_END ? MR_CHAN_PRODUCER
                                                                       : MR_CHAN_CONSUMER,
                                      pl.fenced ? MR_CHAN_FENCED : 0)
                     : mr_sock_open_pair(&sk[PROD], &sk[CONS], SOCK_STREAM, 0);
    if (rc < 0) {
        fail(s, "setting up: %s", mr_strerror(rc));
        return;
    }
    /* The holder of an inherited end is forked second, so that it knows its
     * peer's pid from fork; its peer learns the holder's from g_sh. */
    int first = inherit ? (pl.setup == INHERIT_PRODUCER_END ? CONS : PROD)
                        : (int)rnd_below(&s->rng, 2);
    pid_t pid[2] = { 0, 0 };
    bool exited[2] = { false, false };
    int st[2] = { 0, 0 };
    for (int i = 0; i < 2; i++) {
        int role = i == 0 ? first : 1 - first;
        pid[role] = fork_child(pl.cpu[role], role);
        if (pid[role] == 0)
            chan_child(&pl, role, &sup, &sk[role], &sk[1 - role], pid[first]);
        if (pid[role] < 0) {
            fail(s, "fork: %s", strerror(errno));
            pid[role] = 0;
            exited[role] = true;
        }
    }
    mr_sock_close(&sk[0]);
    mr_sock_close(&sk[1]);
    if (inherit)
        __atomic_store_n(&g_sh->peer_pid, (int64_t)pid[1 - first], __ATOMIC_RELEASE);

    int64_t t0 = now_ns(), kill_ns = 0;
    int64_t kill_at = pl.victim == NOBODY ? INT64_MAX : t0 + (int64_t)pl.kill_after_ms * 1000000;
    int vrole = pl.victim == VICTIM_PROD ? PROD : CONS;
    bool hung = false, early = false;
    while (!exited[PROD] || !exited[CONS]) {
        int64_t t = now_ns();
        if (!kill_ns && t >= kill_at) {
            if (exited[vrole])
                early = true;
            kill_ns = t;
            if (pid[vrole] > 0)
                kill(pid[vrole], SIGKILL);
        }
        for (int r = 0; r < 2; r++)
            if (!exited[r] && has_exited(pid[r]))
                exited[r] = true;
        if (t - t0 > (int64_t)ROUND_LIMIT_MS * 1000000) {
            hung = true;
            break;
        }
        nap_us(1000);
    }
    bool was_running[2] = { !exited[PROD], !exited[CONS] };
    kill_and_reap(pid, exited, st);
    mr_chan_close(&sup);
    if (hung) {
        fail(s, "%s%s%s still running after %d s: killed", was_running[PROD] ? "the producer" : "",
             was_running[PROD] && was_running[CONS] ? " and " : "",
             was_running[CONS] ? "the consumer" : "", ROUND_LIMIT_MS / 1000);
        return;
    }

    struct side *p = &g_sh->side[PROD], *c = &g_sh->side[CONS];
    static const char *const who[2] = { "producer", "consumer" };
    char buf[96];
    for (int r = 0; r < 2; r++) {
        bool ok = r == vrole && pl.victim != NOBODY
                      ? !early && WIFSIGNALED(st[r]) && WTERMSIG(st[r]) == SIGKILL
                      : WIFEXITED(st[r]) && WEXITSTATUS(st[r]) == 0;
        if (!ok)
            fail(s, "the %s %s%s%s%s", who[r], status_text(st[r], buf, sizeof buf),
                 early && r == vrole ? " before it was to be killed" : "",
                 g_sh->side[r].why[0] ? ": " : "", g_sh->side[r].why);
    }
    uint64_t committed = __atomic_load_n(&p->count, __ATOMIC_ACQUIRE);
    uint64_t received = __atomic_load_n(&c->count, __ATOMIC_ACQUIRE);
    /* Where the consumer got to: gaps and repeats inside were counted by
     * the consumer, message by message; this is what it never got. */
    uint64_t upto = __atomic_load_n(&c->next, __ATOMIC_ACQUIRE);
    s->messages += received;
    s->msg_bytes += c->bytes;
    s->next_seq += committed + received + 2;
    s->lost += c->lost;
    s->dup += c->dup;
    s->corrupt += c->corrupt;
    if ((c->lost || c->dup || c->corrupt) && pl.victim == VICTIM_CONS)
        fail(s, "the consumer found %llu lost, %llu duplicated, %llu corrupted before it was "
                "killed: %s", (unsigned long long)c->lost, (unsigned long long)c->dup,
             (unsigned long long)c->corrupt, c->why);

    /* The producer records a message after its commit returns: a killed
     * producer may have committed one more than it recorded, never fewer. */
    uint64_t at_least = committed, at_most = committed + (pl.victim == VICTIM_PROD);
    if (pl.victim != VICTIM_CONS && upto < at_least) {
        s->lost += at_least - upto;
        fail(s, "the consumer saw its producer gone (%s) after message %lld, but the producer "
                "had committed up to message %lld: %llu lost", mr_strerror((int)c->gone_rc),
             (long long)upto - 1, (long long)committed - 1,
             (unsigned long long)(at_least - upto));
    }
    if (upto > at_most) {
        s->dup += upto - at_most;
        fail(s, "the consumer received up to message %lld, the producer committed up to %lld%s",
             (long long)upto - 1, (long long)committed - 1,
             pl.victim == VICTIM_PROD ? " (+1 unrecorded at most)" : "");
    }
    if (pl.victim == NOBODY && c->gone_rc != -EPIPE)
        fail(s, "the consumer ended with %s, not -EPIPE after the producer's close",
             c->gone_rc ? mr_strerror((int)c->gone_rc) : "nothing");
    if (pl.victim != NOBODY && !early) {
        /* The survivor's notice, measured from the kill. */
        struct side *sv = &g_sh->side[1 - vrole];
        int64_t seen = sv->gone_ns ? sv->gone_ns - kill_ns : -1;
        if (!sv->gone_ns)
            fail(s, "the %s never saw its peer gone", who[1 - vrole]);
        else if (seen < 0)
            fail(s, "the %s saw its peer gone %lld ms before it was killed", who[1 - vrole],
                 (long long)(-seen / 1000000));
        else if (seen > (int64_t)DEATH_BOUND_MS * 1000000)
            fail(s, "the %s saw its peer gone %lld ms after the kill (bound %d ms)",
                 who[1 - vrole], (long long)(seen / 1000000), DEATH_BOUND_MS);
        if (seen > s->max_seen_ns[vrole])
            s->max_seen_ns[vrole] = seen;
    }
    if (!s->round_failed) {
        if (pl.victim == NOBODY)
            s->orderly[0]++;
        else
            s->kills[pl.victim == VICTIM_PROD ? KILL_CHAN_PROD : KILL_CHAN_CONS]++;
        if (pl.victim != NOBODY && received == 0)
            s->early_kills++;
    }
    if (s->verbose)
        printf("soak: round %u: %s: %llu of %llu messages, %s\n", s->round, g_round_text,
               (unsigned long long)received, (unsigned long long)committed,
               s->round_failed ? "FAILED" : "ok");
}

/* ---- pipe rounds ------------------------------------------------------------- */

/* Up to cap bytes of what a child writes to stderr. */
struct capture {
    int fd;
    size_t len;
    char text[2048];
};

static void capture_read(struct capture *cp)
{
    char tmp[4096];
    ssize_t n = read(cp->fd, tmp, sizeof tmp);
    if (n > 0) {
        size_t room = sizeof cp->text - 1 - cp->len, k = (size_t)n < room ? (size_t)n : room;
        memcpy(cp->text + cp->len, tmp, k);
        cp->len += k;
        cp->text[cp->len] = '\0';
    } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
        close(cp->fd);
        cp->fd = -1;
    }
}

static pid_t spawn(char *const argv[], int in, int out, int err, int cpu, int slot)
{
    pid_t pid = fork_child(cpu, slot);
    if (pid != 0)
        return pid;
    if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
        _exit(127);
    execv(argv[0], argv);
    _exit(127);
}

static void pipe_round(struct soak *s, bool cleanup)
{
    enum { SEND = 0, RECV = 1 };
    static unsigned char wbuf[IO_CHUNK], rbuf[IO_CHUNK], ref[IO_CHUNK];
    unsigned k = s->pipe_rounds++;
    enum victim victim = cleanup ? NOBODY : (enum victim)rnd_below(&s->rng, 3);
    /* Most kills come while bytes flow (counted from the first that
     * arrive); the others while the two are still starting and meeting. */
    bool during_setup = rnd_below(&s->rng, 6) == 0;
    int kill_after_ms = (int)rnd_below(&s->rng, during_setup ? 150 : KILL_MAX_MS + 1);
    /* Or a sender killed while it waits alone, 0 to 50 ms after its socket
     * appears: the one way to leave a socket behind (docs/cli/pipe.md says
     * the next sender on the name replaces it; the next round checks). */
    bool alone = victim == VICTIM_PROD && during_setup && rnd_below(&s->rng, 2) == 0;
    if (alone)
        kill_after_ms = (int)rnd_below(&s->rng, 51);
    uint64_t pick = rnd_below(&s->rng, 10), size;
    if (pick == 0)
        size = 0;
    else if (pick < 3)
        size = rnd_below(&s->rng, 4096);
    else if (pick < 7)
        size = rnd_below(&s->rng, (uint64_t)1 << 20);
    else
        size = rnd_below(&s->rng, (uint64_t)64 << 20);
    uint64_t planned = victim == NOBODY ? size : UINT64_MAX;
    uint64_t seed = mr_test_rand(&s->rng);
    bool two = s->ncpus > 1 && k % 2 == 1;
    int a = (int)rnd_below(&s->rng, (uint64_t)s->ncpus);
    int cpu[2] = { s->cpus[a], two ? s->cpus[1 - a] : s->cpus[a] };
    int first = alone ? SEND : (int)rnd_below(&s->rng, 2), gap_ms = (int)rnd_below(&s->rng, 30);
    char cap[16] = "";
    if (rnd_below(&s->rng, 2))
        snprintf(cap, sizeof cap, "%u",
                 1u << (CAP_LOG_MIN + rnd_below(&s->rng, CAP_LOG_MAX - CAP_LOG_MIN + 1)));
    char name[80];
    bool reused = s->pending_name[0] != '\0';
    if (reused)
        snprintf(name, sizeof name, "%s", s->pending_name);
    else
        snprintf(name, sizeof name, "soak-%d-%u", (int)g_supervisor, s->round);
    s->pending_name[0] = '\0';
    snprintf(g_sockfile, sizeof g_sockfile, "%s/pipe-%s.svc", g_sockdir, name);
    s->pipe_place[two]++;
    char sizetext[48];
    if (victim == NOBODY)
        snprintf(sizetext, sizeof sizetext, "%llu bytes", (unsigned long long)size);
    else
        snprintf(sizetext, sizeof sizetext, "a stream");
    snprintf(g_round_text, sizeof g_round_text,
             "memregion pipe %s%s, %s, ring %s, %s, %s first, %s", name,
             reused ? " (a killed sender's name)" : "", sizetext, cap[0] ? cap : "default",
             two ? "two CPUs" : "one CPU", first == SEND ? "send" : "recv",
             victim == NOBODY ? "nobody killed" : victim == VICTIM_PROD ? "send SIGKILLed"
                                                                        : "recv SIGKILLed");
    if (victim != NOBODY) {
        size_t n = strlen(g_round_text);
        snprintf(g_round_text + n, sizeof g_round_text - n, " %d ms %s", kill_after_ms,
                 alone ? "after its socket appeared, no recv started"
                       : during_setup ? "after the start" : "after the first bytes");
    }

    int in[2] = { -1, -1 }, out[2] = { -1, -1 }, err[2][2] = { { -1, -1 }, { -1, -1 } };
    int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (devnull < 0 || pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0 ||
        pipe2(err[0], O_CLOEXEC) < 0 || pipe2(err[1], O_CLOEXEC) < 0) {
        fail(s, "pipes: %s", strerror(errno));
        int *all[] = { &devnull, &in[0], &in[1], &out[0], &out[1],
                       &err[0][0], &err[0][1], &err[1][0], &err[1][1] };
        for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
            if (*all[i] >= 0)
                close(*all[i]);
        return;
    }
    char timeout[16];
    snprintf(timeout, sizeof timeout, "%d", PIPE_TIMEOUT_S);
    char *prog = (char *)s->memregion;
    char *send_argv[] = { prog, "pipe", "send", name, "--quiet", "--timeout", timeout,
                          cap[0] ? "--capacity" : NULL, cap, NULL };
    char *recv_argv[] = { prog, "pipe", "recv", name, "--quiet", "--timeout", timeout, NULL };
    pid_t pid[2] = { 0, 0 };
    bool exited[2] = { false, false };
    int st[2] = { 0, 0 };
    int64_t exit_ns[2] = { 0, 0 };
    if (alone) {
        pid[RECV] = 0;
        exited[RECV] = true;
    }
    for (int i = 0; i < (alone ? 1 : 2); i++) {
        int who = i == 0 ? first : 1 - first;
        if (i == 1 && gap_ms)
            nap_us(gap_ms * 1000L);
        pid[who] = who == SEND ? spawn(send_argv, in[0], devnull, err[SEND][1], cpu[SEND], SEND)
                               : spawn(recv_argv, devnull, out[1], err[RECV][1], cpu[RECV], RECV);
        if (pid[who] < 0) {
            fail(s, "fork: %s", strerror(errno));
            pid[who] = 0;
            exited[who] = true;
        }
    }
    close(in[0]);
    close(out[1]);
    close(err[0][1]);
    close(err[1][1]);
    close(devnull);
    int in_w = in[1], out_r = out[0];
    struct capture cp[2] = { { err[SEND][0], 0, "" }, { err[RECV][0], 0, "" } };
    fcntl(in_w, F_SETFL, O_NONBLOCK);
    fcntl(out_r, F_SETFL, O_NONBLOCK);
    fcntl(cp[0].fd, F_SETFL, O_NONBLOCK);
    fcntl(cp[1].fd, F_SETFL, O_NONBLOCK);

    int64_t t0 = now_ns(), kill_ns = 0, cue_ns = 0;
    int64_t kill_at = victim == NOBODY || !during_setup || alone
                          ? INT64_MAX
                          : t0 + (int64_t)kill_after_ms * 1000000;
    int vidx = victim == VICTIM_PROD ? SEND : RECV;
    uint64_t wpos = 0, got = 0, got_at_kill = 0;
    size_t wlen = 0, woff = 0;
    bool early = false, hung = false, diverged = false;
    while (!exited[SEND] || !exited[RECV] || out_r >= 0 || cp[0].fd >= 0 || cp[1].fd >= 0) {
        int64_t t = now_ns();
        struct stat sb;
        if (alone && kill_at == INT64_MAX) {
            if (stat(g_sockfile, &sb) == 0)
                kill_at = t + (int64_t)kill_after_ms * 1000000;
            else if (t - t0 > (int64_t)PIPE_EXIT_MS * 1000000)
                kill_at = t; /* and its status will say why it made none */
        }
        if (!kill_ns && t >= kill_at) {
            if (exited[vidx])
                early = true;
            kill_ns = cue_ns = t;
            got_at_kill = got;
            if (pid[vidx] > 0)
                kill(pid[vidx], SIGKILL);
            if (in_w >= 0) {
                close(in_w);
                in_w = -1;
            }
        }
        if (in_w >= 0 && woff == wlen && wpos + wlen == planned) {
            close(in_w);
            in_w = -1;
            cue_ns = t;
        }
        for (int r = 0; r < 2; r++)
            if (!exited[r] && has_exited(pid[r])) {
                exited[r] = true;
                exit_ns[r] = now_ns();
            }
        if (t - t0 > (int64_t)ROUND_LIMIT_MS * 1000000) {
            hung = true;
            break;
        }
        struct pollfd pf[4];
        int np = 0, iw = -1, ir = -1, ie[2] = { -1, -1 };
        if (in_w >= 0) {
            iw = np;
            pf[np++] = (struct pollfd){ in_w, POLLOUT, 0 };
        }
        if (out_r >= 0) {
            ir = np;
            pf[np++] = (struct pollfd){ out_r, POLLIN, 0 };
        }
        for (int r = 0; r < 2; r++)
            if (cp[r].fd >= 0) {
                ie[r] = np;
                pf[np++] = (struct pollfd){ cp[r].fd, POLLIN, 0 };
            }
        if (poll(pf, (nfds_t)np, 2) < 0 && errno != EINTR) {
            fail(s, "poll: %s", strerror(errno));
            hung = true;
            break;
        }
        if (iw >= 0 && pf[iw].revents) {
            if (woff == wlen) {
                wpos += wlen;
                uint64_t left = planned - wpos;
                size_t n = 1 + (size_t)rnd_below(&s->rng, IO_CHUNK);
                wlen = left < n ? (size_t)left : n;
                woff = 0;
                stream_fill(seed, wpos, wbuf, wlen);
            }
            ssize_t n = wlen > woff ? write(in_w, wbuf + woff, wlen - woff) : 0;
            if (n > 0) {
                woff += (size_t)n;
            } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
                /* send is gone; its exit status tells why. */
                close(in_w);
                in_w = -1;
            }
        }
        if (ir >= 0 && pf[ir].revents) {
            ssize_t n = read(out_r, rbuf, sizeof rbuf);
            if (n > 0 && !diverged) {
                uint64_t sent = wpos + woff;
                if (got + (uint64_t)n > sent) {
                    fail(s, "recv wrote %llu bytes, but only %llu were sent",
                         (unsigned long long)(got + (uint64_t)n), (unsigned long long)sent);
                    diverged = true;
                } else {
                    stream_fill(seed, got, ref, (size_t)n);
                    if (memcmp(ref, rbuf, (size_t)n) != 0) {
                        size_t at = mr_test_first_diff(ref, rbuf, (size_t)n);
                        fail(s, "what arrived is not a prefix of what was sent: byte %llu is "
                                "0x%02x, sent 0x%02x", (unsigned long long)(got + at), rbuf[at],
                             ref[at]);
                        s->corrupt++;
                        diverged = true;
                    }
                }
                if (got == 0 && victim != NOBODY && !during_setup)
                    kill_at = now_ns() + (int64_t)kill_after_ms * 1000000;
                got += (uint64_t)n;
            } else if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
                close(out_r);
                out_r = -1;
            }
        }
        for (int r = 0; r < 2; r++)
            if (ie[r] >= 0 && pf[ie[r]].revents)
                capture_read(&cp[r]);
    }
    if (in_w >= 0)
        close(in_w);
    if (out_r >= 0)
        close(out_r);
    for (int r = 0; r < 2; r++)
        if (cp[r].fd >= 0)
            close(cp[r].fd);
    bool was_running[2] = { !exited[SEND], !exited[RECV] };
    kill_and_reap(pid, exited, st);
    s->pipe_bytes += got;
    static const char *const who[2] = { "send", "recv" };
    if (hung) {
        fail(s, "%s%s%s still running after %d s: killed", was_running[SEND] ? "send" : "",
             was_running[SEND] && was_running[RECV] ? " and " : "",
             was_running[RECV] ? "recv" : "", ROUND_LIMIT_MS / 1000);
    } else {
        char buf[96];
        for (int r = 0; r < 2; r++) {
            if (pid[r] == 0)
                continue;
            bool killed = victim != NOBODY && r == vidx;
            int want = victim == NOBODY ? 0 : 1;
            bool ok = killed ? !early && WIFSIGNALED(st[r]) && WTERMSIG(st[r]) == SIGKILL
                             : WIFEXITED(st[r]) && WEXITSTATUS(st[r]) == want;
            if (!ok)
                fail(s, "%s %s%s, expected %s; its stderr: %s", who[r],
                     status_text(st[r], buf, sizeof buf),
                     killed && early ? " before it was to be killed" : "",
                     killed ? "SIGKILL" : want ? "exit status 1" : "exit status 0",
                     cp[r].len ? cp[r].text : "(empty)");
            else if (!killed && want == 1 &&
                     strncmp(cp[r].text, r == SEND ? "memregion: pipe send: "
                                                   : "memregion: pipe recv: ", 22) != 0)
                fail(s, "%s exited 1 without its 'memregion: pipe %s: ' message: %s", who[r],
                     who[r], cp[r].len ? cp[r].text : "(empty)");
            else if (!killed && want == 0 && cp[r].len)
                fail(s, "%s exited 0 but wrote to stderr: %s", who[r], cp[r].text);
            if (strstr(cp[r].text, "Sanitizer") || strstr(cp[r].text, "runtime error"))
                fail(s, "%s reported a sanitizer error: %s", who[r], cp[r].text);
            /* The bound on exit: from the end of the input, or from the
             * kill; a survivor that had not yet met its peer may wait out
             * its --timeout first. */
            if (!killed && !hung && exited[r] && cue_ns) {
                int64_t took = exit_ns[r] - cue_ns;
                int64_t bound = (int64_t)PIPE_EXIT_MS * 1000000;
                if (victim != NOBODY && got_at_kill == 0)
                    bound += (int64_t)PIPE_TIMEOUT_S * 1000000000;
                if (took > bound)
                    fail(s, "%s exited %lld ms after %s (bound %lld ms)", who[r],
                         (long long)(took / 1000000),
                         victim == NOBODY ? "the end of its input" : "the kill",
                         (long long)(bound / 1000000));
                if (victim != NOBODY && got_at_kill > 0 && took > s->max_pipe_exit_ns)
                    s->max_pipe_exit_ns = took;
            }
        }
        if (victim == NOBODY && !diverged && got != size)
            fail(s, "recv wrote %llu of the %llu bytes sent", (unsigned long long)got,
                 (unsigned long long)size);
        if (victim == NOBODY && !cue_ns)
            fail(s, "send stopped taking its input after %llu of %llu bytes",
                 (unsigned long long)(wpos + woff), (unsigned long long)size);
    }
    /* A sender killed while it waited for its receiver leaves its socket
     * (docs/cli/pipe.md); the next round takes the name and must clear it. */
    struct stat sb;
    if (victim == VICTIM_PROD && stat(g_sockfile, &sb) == 0)
        snprintf(s->pending_name, sizeof s->pending_name, "%s", name);
    else
        g_sockfile[0] = '\0';
    if (!s->round_failed) {
        if (victim == NOBODY) {
            s->orderly[1]++;
            s->pipe_complete++;
        } else {
            s->kills[victim == VICTIM_PROD ? KILL_PIPE_SEND : KILL_PIPE_RECV]++;
            s->early_kills += got_at_kill == 0;
            s->alone_kills += alone;
        }
        s->names_reused += reused;
    }
    if (s->verbose)
        printf("soak: round %u: %s: %llu bytes arrived, %s\n", s->round, g_round_text,
               (unsigned long long)got, s->round_failed ? "FAILED" : "ok");
}

/* ---- what must not be left behind ------------------------------------------- */

/* The shared-memory mappings of this process: memfds and /dev/shm files. */
static int shm_mappings(char *first, size_t size)
{
    FILE *f = fopen("/proc/self/maps", "re");
    if (!f)
        return -1;
    char line[512];
    int n = 0;
    while (fgets(line, sizeof line, f))
        if (strstr(line, "/memfd:") || strstr(line, " /dev/shm/")) {
            if (n++ == 0)
                snprintf(first, size, "%s", line);
        }
    fclose(f);
    return n;
}

static bool shm_name_ours(const char *name)
{
    return strncmp(name, "mr-anon-", 8) == 0 || strstr(name, "soak") != NULL;
}

static const struct shm_seen *shm_find(const struct soak *s, const char *name)
{
    for (size_t i = 0; i < s->nshm; i++)
        if (strcmp(s->shm[i].name, name) == 0)
            return &s->shm[i];
    return NULL;
}

static void shm_remember(struct soak *s, const char *name, unsigned round)
{
    struct shm_seen *grown = realloc(s->shm, (s->nshm + 1) * sizeof *grown);
    if (!grown)
        return;
    s->shm = grown;
    snprintf(s->shm[s->nshm].name, sizeof s->shm[s->nshm].name, "%s", name);
    s->shm[s->nshm++].round = round;
}

/* Remembers the names in /dev/shm at the start (round 0), then, after each
 * round, the new ones of the kinds the library or this program would make.
 * Other processes of this user make such names too (the test suite, run
 * alongside, does), so a name is held against this run only if it is still
 * there at the end (shm_left). */
static void shm_scan(struct soak *s, unsigned round)
{
    DIR *d = opendir("/dev/shm");
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.' && (round == 0 || shm_name_ours(e->d_name)) &&
            !shm_find(s, e->d_name))
            shm_remember(s, e->d_name, round);
    closedir(d);
}

static unsigned shm_left(struct soak *s, bool report)
{
    unsigned n = 0;
    for (size_t i = 0; i < s->nshm; i++) {
        char path[320];
        snprintf(path, sizeof path, "/dev/shm/%s", s->shm[i].name);
        if (s->shm[i].round == 0 || access(path, F_OK) != 0)
            continue;
        n++;
        if (report) {
            s->leaks++;
            fail(s, "left in /dev/shm: %s (there since round %u)", s->shm[i].name,
                 s->shm[i].round);
        }
    }
    return n;
}

static void check_leaks(struct soak *s)
{
    int fds = mr_test_count_fds();
    if (fds != s->base_fds) {
        s->leaks++;
        fail(s, "this process has %d fds open, %d at the start", fds, s->base_fds);
        s->base_fds = fds;
    }
    char line[512] = "";
    int maps = shm_mappings(line, sizeof line);
    if (maps != 0) {
        s->leaks++;
        fail(s, "%d shared-memory mappings left in this process, as %s", maps, line);
    }
    shm_scan(s, s->round);
    DIR *d = opendir(g_sockdir);
    if (d) {
        char allowed[128] = "";
        if (s->pending_name[0])
            snprintf(allowed, sizeof allowed, "pipe-%s.svc", s->pending_name);
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (e->d_name[0] == '.' || strcmp(e->d_name, allowed) == 0)
                continue;
            s->leaks++;
            fail(s, "left in %s: %s", g_sockdir, e->d_name);
            char path[512];
            snprintf(path, sizeof path, "%s/%s", g_sockdir, e->d_name);
            unlink(path);
        }
        closedir(d);
    }
}

/* ---- the run ------------------------------------------------------------------- */

static void on_signal(int sig)
{
    static const char dog[] = "soak: FAIL: the watchdog fired: the run went past its bound "
                              "(a round hung): ";
    static const char stop[] = "soak: stopped by a signal during: ";
    for (int i = 0; i < 2; i++)
        if (g_live[i] > 0)
            kill(g_live[i], SIGKILL);
    const char *m = sig == SIGALRM ? dog : stop;
    ssize_t ignored = write(2, m, strlen(m));
    ignored = write(2, g_round_text, strnlen(g_round_text, sizeof g_round_text));
    ignored = write(2, "\n", 1);
    (void)ignored;
    if (g_sockfile[0])
        unlink(g_sockfile);
    if (g_sockdir[0])
        rmdir(g_sockdir);
    if (g_tmpdir[0])
        rmdir(g_tmpdir);
    _exit(1);
}

__attribute__((format(printf, 1, 2))) static int usage(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("soak: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputs("\nusage: see 'soak --help'\n", stderr);
    va_end(ap);
    return 2;
}

/* The program next to this one in a build tree: <build>/test/soak and
 * <build>/tools/memregion. */
static char *default_memregion(void)
{
    static char path[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", path, sizeof path - 32);
    if (n <= 0)
        return NULL;
    path[n] = '\0';
    char *slash = strrchr(path, '/');
    if (!slash)
        return NULL;
    strcpy(slash, "/../tools/memregion");
    return path;
}

static void print_summary(const struct soak *s, double secs)
{
    printf("soak: summary after %.1f s (seed %llu)\n", secs, (unsigned long long)s->seed);
    printf("  rounds          %u: %u channel (setups: %u producer-shared, %u consumer-shared, "
           "%u producer's end inherited, %u consumer's end inherited; %u on one CPU, %u on two), "
           "%u pipe (%u on one CPU, %u on two)\n",
           s->chan_rounds + s->pipe_rounds, s->chan_rounds, s->by_setup[0], s->by_setup[1],
           s->by_setup[2], s->by_setup[3], s->by_place[0], s->by_place[1], s->pipe_rounds,
           s->pipe_place[0], s->pipe_place[1]);
    printf("  moved           %llu messages (%.1f MiB) over channels; %.1f MiB through memregion "
           "pipe (%llu streams complete)\n",
           (unsigned long long)s->messages, (double)s->msg_bytes / 1048576.0,
           (double)s->pipe_bytes / 1048576.0, (unsigned long long)s->pipe_complete);
    printf("  kills survived  channel producer %u, channel consumer %u, pipe send %u, pipe recv "
           "%u (%u of them before the first message or byte arrived, %u of the senders alone "
           "and waiting); %u pipe rounds met on the socket a killed sender left; rounds "
           "without a kill that passed: %u channel, %u pipe\n",
           s->kills[KILL_CHAN_PROD], s->kills[KILL_CHAN_CONS], s->kills[KILL_PIPE_SEND],
           s->kills[KILL_PIPE_RECV], s->early_kills, s->alone_kills, s->names_reused,
           s->orderly[0],
           s->orderly[1]);
    printf("  death seen      by the consumer within %.0f ms of its producer's kill (drain "
           "included), by the producer within %.0f ms of its consumer's (bound %d ms); pipe "
           "survivor exited within %.0f ms (bound %d ms)\n",
           (double)s->max_seen_ns[PROD] / 1e6, (double)s->max_seen_ns[CONS] / 1e6,
           DEATH_BOUND_MS, (double)s->max_pipe_exit_ns / 1e6, PIPE_EXIT_MS);
    printf("  lost %llu, duplicated %llu, corrupted %llu\n", (unsigned long long)s->lost,
           (unsigned long long)s->dup, (unsigned long long)s->corrupt);
    printf("  leaks           %s\n", s->leaks ? "SOME (see above)" : "none (fds, shared-memory "
                                                                      "mappings, socket files, "
                                                                      "/dev/shm names)");
    if (s->failures)
        printf("soak: FAIL: %llu failures; the first: %s\n", (unsigned long long)s->failures,
               s->first);
    else
        printf("soak: PASS\n");
}

int main(int argc, char **argv)
{
    static const struct option longs[] = { { "seconds", required_argument, NULL, 's' },
                                           { "memregion", required_argument, NULL, 'm' },
                                           { "seed", required_argument, NULL, 'r' },
                                           { "only", required_argument, NULL, 'o' },
                                           { "verbose", no_argument, NULL, 'v' },
                                           { "help", no_argument, NULL, 'h' },
                                           { NULL, 0, NULL, 0 } };
    static struct soak s;
    s.seconds = 120;
    s.seed = (uint64_t)now_ns() ^ ((uint64_t)getpid() << 32);
    int opt;
    while ((opt = getopt_long(argc, argv, "s:m:r:o:vh", longs, NULL)) != -1) {
        char *end;
        switch (opt) {
        case 's': {
            long v = strtol(optarg, &end, 10);
            if (*optarg == '\0' || *end != '\0' || v < 1 || v > 86400)
                return usage("invalid --seconds '%s': 1 to 86400", optarg);
            s.seconds = (int)v;
            break;
        }
        case 'm':
            s.memregion = optarg;
            break;
        case 'r':
            s.seed = strtoull(optarg, &end, 0);
            if (*optarg == '\0' || *end != '\0')
                return usage("invalid --seed '%s'", optarg);
            break;
        case 'o':
            if (strcmp(optarg, "chan") == 0)
                s.only = 1;
            else if (strcmp(optarg, "pipe") == 0)
                s.only = 2;
            else
                return usage("invalid --only '%s': chan or pipe", optarg);
            break;
        case 'v':
            s.verbose = true;
            break;
        case 'h':
            fputs(help, stdout);
            return 0;
        default:
            return usage("%s", "unknown option");
        }
    }
    if (optind < argc)
        return usage("unexpected argument '%s'", argv[optind]);
    if (s.only != 1) {
        if (!s.memregion)
            s.memregion = default_memregion();
        if (!s.memregion || access(s.memregion, X_OK) != 0)
            return usage("the memregion program is not at '%s': give --memregion PATH",
                         s.memregion ? s.memregion : "?");
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    g_supervisor = getpid();
    s.rng = s.seed;

    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) == 0)
        for (int c = 0; c < CPU_SETSIZE && s.ncpus < 2; c++)
            if (CPU_ISSET(c, &set))
                s.cpus[s.ncpus++] = c;
    if (s.ncpus == 0) {
        s.cpus[0] = -1;
        s.ncpus = 1;
    }
    struct mr_chan probe = MR_CHAN_INIT;
    if (mr_chan_create(&probe, MR_CHAN_CAPACITY_MIN, MR_CHAN_PRODUCER, 0) == 0) {
        s.pidfd_ok = mr_chan_watch_pid(&probe, getpid()) == 0;
        mr_chan_close(&probe);
    }

    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t shlen = (sizeof(struct shared) + page - 1) / page * page;
    g_sh = mmap(NULL, shlen, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (g_sh == MAP_FAILED) {
        fprintf(stderr, "soak: mmap: %s\n", strerror(errno));
        return 2;
    }
    snprintf(g_tmpdir, sizeof g_tmpdir, "/tmp/mr-soak-XXXXXX");
    if (!mkdtemp(g_tmpdir)) {
        fprintf(stderr, "soak: mkdtemp: %s\n", strerror(errno));
        return 2;
    }
    snprintf(g_sockdir, sizeof g_sockdir, "%s/memregion-%lu", g_tmpdir,
             (unsigned long)geteuid());
    setenv("XDG_RUNTIME_DIR", g_tmpdir, 1);
    signal(SIGPIPE, SIG_IGN);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGALRM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    shm_scan(&s, 0);
    s.base_fds = mr_test_count_fds();
    alarm((unsigned)(s.seconds + WATCHDOG_EXTRA_S));

    printf("soak: %d s, seed %llu, CPUs %d%s%d, memregion at %s%s\n", s.seconds,
           (unsigned long long)s.seed, s.cpus[0], s.ncpus > 1 ? " and " : "",
           s.ncpus > 1 ? s.cpus[1] : -1, s.only == 1 ? "(not used)" : s.memregion,
           s.pidfd_ok ? "" : "; no pidfds here: inherited channels skipped");
    int64_t start = now_ns(), end = start + (int64_t)s.seconds * 1000000000;
    for (s.round = 1;; s.round++) {
        int kind = s.only ? s.only : (int)(s.round % 2 ? 1 : 2);
        bool both_ran = s.only ? s.round > 1 : s.round > 2;
        if (now_ns() >= end && both_ran)
            break;
        s.round_failed = false;
        if (kind == 1)
            chan_round(&s);
        else
            pipe_round(&s, false);
        check_leaks(&s);
    }
    if (s.pending_name[0]) {
        /* The last sender killed left its socket: one more round on that
         * name, nobody killed, must replace and remove it. */
        s.round_failed = false;
        pipe_round(&s, true);
        check_leaks(&s);
    }
    snprintf(g_round_text, sizeof g_round_text, "the end of the run");
    if (shm_left(&s, false) > 0) {
        nap_us(1000000); /* for names that another process is about to remove */
        shm_left(&s, true);
    }
    alarm(0);
    if (rmdir(g_sockdir) < 0 && errno != ENOENT) {
        s.leaks++;
        fail(&s, "removing %s: %s", g_sockdir, strerror(errno));
    }
    rmdir(g_tmpdir);
    munmap(g_sh, shlen);
    free(s.shm);
    print_summary(&s, (double)(now_ns() - start) / 1e9);
    return s.failures ? 1 : 0;
}
