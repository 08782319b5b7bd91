/* SPDX-License-Identifier: MIT */
/* bench/bench_topic_peers: the topic against ZeroMQ PUB/SUB over ipc://
 * and iceoryx publish/subscribe, in one run (issue 16). One publisher
 * process, 1 and 4 subscriber processes, 64 B and 64 KiB messages:
 *
 *   topic    mr_topic (reliable). 64 KiB: reserve, fill in place, commit;
 *            every subscriber peeks, reads in place, releases. 64 B: the
 *            copying fast path, mr_topic_publish and mr_topic_recv
 *   zeromq   a PUB socket bound to ipc://@NAME with ZMQ_XPUB_NODROP (the
 *            publisher blocks at the high-water mark, 1000 messages, instead
 *            of dropping); the publisher fills a private buffer and
 *            zmq_send copies it; each SUB reads the received zmq_msg_t in place
 *   iceoryx  publisher ConsumerTooSlowPolicy_WAIT_FOR_CONSUMER, subscribers
 *            QueueFullPolicy_BLOCK_PRODUCER with 256-chunk queues (nothing is
 *            dropped: the publisher waits); loan, fill, publish; take, read,
 *            release. The iox-roudi daemon is started by this program with
 *            a private config (mempools for 64 B and 64 KiB chunks), waited
 *            for, and stopped at the end and on every error path
 *
 * Every message is the publisher's sequence number followed by its low byte
 * repeated; each subscriber reads every byte of every message (a sum of its
 * words, checked), so a torn, lost or repeated message is counted; the
 * counts are printed. Subscribers block when idle (the topic's futex,
 * zmq_msg_recv, an iceoryx waitset). Processes pinned: all on one CPU, then
 * the publisher on one and the subscribers on another. Timed from the
 * publisher's first message to the last subscriber's last; variants
 * interleaved in ROUNDS rounds (3 with BENCH_QUICK=1); medians, and ratios
 * to the topic in the same round.
 *
 * A peer not found at build time (bench/CMakeLists.txt; `make bench-deps`
 * installs both) or whose daemon does not start is reported and skipped;
 * the rest runs. Licenses: libzmq is LGPL-3.0, iceoryx Apache-2.0; only
 * this benchmark links them (dynamically), never the library or the program.
 *
 *   bench_topic_peers               everything (about 1-2 minutes; BENCH_QUICK=1: less)
 *   bench_topic_peers zeromq|iceoryx  the topic and the peers named only
 */
#define _GNU_SOURCE 1
#include <memregion/topic.h>

#include "bench.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sched.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

#ifdef BENCH_HAVE_ZMQ
#include <zmq.h>
#endif
#ifdef BENCH_HAVE_ICEORYX
#include <iceoryx_binding_c/log.h>
#include <iceoryx_binding_c/publisher.h>
#include <iceoryx_binding_c/runtime.h>
#include <iceoryx_binding_c/subscriber.h>
#include <iceoryx_binding_c/wait_set.h>
#endif

#define BIG ((size_t)64 * 1024)
#define SMALL ((size_t)64)
/* Ring sizes: 64 messages of 64 KiB (as bench_topic); about 900 of 64 B,
 * near zmq's high-water mark of 1000 messages (iceoryx queues 256), and
 * small enough that its first touch does not weigh on a short run. */
#define CAP ((size_t)4 << 20)
#define CAP_SMALL ((size_t)64 << 10)
#define ROUNDS 5
#define MAXN 4
#define WATCHDOG_S 120 /* a child stuck this long is killed (SIGALRM) */
/* iceoryx apps are named IOX_PREFIX<our pid>-...; each leaves a socket
 * and a lock file of that name in IOX_DIR when it is killed. */
#define IOX_PREFIX "mr-bench-"
#define IOX_DIR "/tmp"

enum { TOPIC, ZEROMQ, ICEORYX, NPEER };
static const char *const peer_name[NPEER] = { "memregion topic", "ZeroMQ PUB/SUB ipc://", "iceoryx 2.0" };
static bool peer_on[NPEER] = { true, false, false };

/* Filled by the children, read by the parent: a shared anonymous page. */
struct shared {
    double t0;              /* publisher: just before its first message */
    double end[MAXN];       /* each subscriber: just after its last (before its teardown) */
    atomic_int pub_done;    /* publisher: the last message is out */
    uint64_t got[MAXN];     /* messages each subscriber read */
    uint64_t lost[MAXN];    /* sequence numbers it never saw */
    uint64_t bad[MAXN];     /* messages whose bytes were not the publisher's */
};
static struct shared *sh;

struct run {
    int peer, nsub, cpu_p, cpu_s;
    size_t len;
    uint64_t n;
    unsigned id; /* names this run's topic, endpoint or event */
};

static pid_t main_pid;
static void roudi_stop(void);

static void die(const char *what, long rc)
{
    if (what)
        fprintf(stderr, "bench_topic_peers: %s: %s\n", what, mr_strerror((int)rc));
    if (getpid() != main_pid)
        _exit(1);
    roudi_stop();
    exit(1);
}

static void pin(int cpu)
{
    int rc = bench_pin(cpu);
    if (rc < 0)
        die("pinning", rc);
}

static void fill(void *p, uint64_t seq, size_t len)
{
    memset(p, (int)(seq & 0xff), len);
    memcpy(p, &seq, sizeof seq);
}

/* Read every byte of a message of subscriber i: its sequence number; counts
 * what it got, what it missed before it and whether its bytes are whole. */
static uint64_t check(int i, const void *p, size_t len, uint64_t *next)
{
    const unsigned char *b = p;
    uint64_t seq = UINT64_MAX, s = 0, w;
    for (size_t k = 0; k + 8 <= len; k += 8) {
        memcpy(&w, b + k, 8);
        s += w;
    }
    if (len >= 8)
        memcpy(&seq, b, 8);
    if (len < 8 || s != seq + 0x0101010101010101ull * (seq & 0xff) * (len / 8 - 1))
        sh->bad[i]++;
    if (seq >= *next && seq != UINT64_MAX) {
        sh->lost[i] += seq - *next;
        *next = seq + 1;
    }
    sh->got[i]++;
    return seq;
}

static void start(void)
{
    sh->t0 = bench_now_ns();
}

/* The publisher closes only once the parent saw every subscriber finish:
 * iceoryx and zmq must not tear the connection down under a reader. */
static void finish(int go)
{
    atomic_store(&sh->pub_done, 1);
    char c;
    while (read(go, &c, 1) < 0 && errno == EINTR)
        ;
}

#if defined(BENCH_HAVE_ZMQ) || defined(BENCH_HAVE_ICEORYX)
/* Wait for n subscribers to say they are ready (one byte each). */
static void wait_ready(int ready, int n)
{
    char c[MAXN];
    while (n > 0) {
        ssize_t k = read(ready, c, (size_t)n);
        if (k <= 0)
            die("a subscriber went before it was ready", k < 0 ? -errno : -EPIPE);
        n -= (int)k;
    }
}

static void say_ready(int ready)
{
    if (write(ready, "r", 1) != 1)
        die("ready pipe", -errno);
}
#endif

/* ---- memregion topic --------------------------------------------------------- */

static void topic_name(char *buf, size_t n, const struct run *r)
{
    snprintf(buf, n, "bench-peers-%ld-%u", (long)main_pid, r->id);
}

static void topic_pub(const struct run *r, int ready, int go)
{
    (void)ready;
    char name[64];
    topic_name(name, sizeof name, r);
    struct mr_topic *t;
    struct mr_topic_opts o = { r->len == SMALL ? CAP_SMALL : CAP, MR_TOPIC_RELIABLE, 0, 0, 0, MR_FOREVER, NULL, NULL };
    int rc = mr_topic_create(&t, name, &o);
    if (rc < 0)
        die("topic create", rc);
    for (int i = 0; i < r->nsub; i++)
        if ((rc = mr_topic_accept(t, 10000)) < 0)
            die("topic accept", rc);
    start();
    static unsigned char buf[SMALL];
    for (uint64_t seq = 0; seq < r->n; seq++) {
        struct mr_region m;
        if (r->len == SMALL) { /* small: a copy, the topic's fast path */
            fill(buf, seq, SMALL);
            ssize_t k = mr_topic_publish(t, mr_region_make(buf, SMALL), MR_FOREVER);
            if (k < 0)
                die("topic publish", k);
            continue;
        }
        if ((rc = mr_topic_reserve(t, r->len, MR_FOREVER, &m)) < 0)
            die("topic reserve", rc);
        fill(m.ptr, seq, r->len);
        if ((rc = mr_topic_commit(t, r->len)) < 0)
            die("topic commit", rc);
    }
    finish(go);
    mr_topic_destroy(t);
}

static void topic_sub(const struct run *r, int i, int ready)
{
    (void)ready;
    char name[64];
    topic_name(name, sizeof name, r);
    struct mr_topic_sub *s;
    int rc = mr_topic_attach(&s, name, NULL, 10000);
    if (rc < 0)
        die("topic attach", rc);
    uint64_t next = 0, seq;
    static unsigned char buf[SMALL];
    do {
        struct mr_region m;
        if (r->len == SMALL) {
            ssize_t k = mr_topic_recv(s, mr_region_make(buf, SMALL), MR_FOREVER, NULL);
            if (k < 0)
                die("topic recv", k);
            seq = check(i, buf, (size_t)k, &next);
            continue;
        }
        if ((rc = mr_topic_peek(s, MR_FOREVER, &m, NULL)) < 0)
            die("topic peek", rc);
        seq = check(i, m.ptr, m.len, &next);
        if ((rc = mr_topic_release(s)) < 0)
            die("topic release", rc);
    } while (seq + 1 < r->n);
    sh->end[i] = bench_now_ns();
    mr_topic_detach(s);
}

/* ---- ZeroMQ ------------------------------------------------------------------ */

#ifdef BENCH_HAVE_ZMQ
#define PROBE UINT64_MAX

static void zmq_endpoint(char *buf, size_t n, const struct run *r)
{
    snprintf(buf, n, "ipc://@bench-peers-%ld-%u", (long)main_pid, r->id);
}

static void zmq_die(const char *what)
{
    die(what, -zmq_errno());
}

/* PUB/SUB forgets what it sends before a subscription reached the
 * publisher: probes go out until every subscriber has seen one. */
static void zmq_pub(const struct run *r, int ready, int go)
{
    char ep[96];
    zmq_endpoint(ep, sizeof ep, r);
    void *ctx = zmq_ctx_new(), *s = ctx ? zmq_socket(ctx, ZMQ_PUB) : NULL;
    int one = 1, zero = 0;
    if (!s || zmq_setsockopt(s, ZMQ_XPUB_NODROP, &one, sizeof one) < 0 || zmq_bind(s, ep) < 0)
        zmq_die("zmq publisher");
    uint64_t probe = PROBE;
    for (int seen = 0; seen < r->nsub;) {
        if (zmq_send(s, &probe, sizeof probe, ZMQ_DONTWAIT) < 0 && zmq_errno() != EAGAIN)
            zmq_die("zmq probe");
        struct pollfd p = { ready, POLLIN, 0 };
        if (poll(&p, 1, 1) > 0) {
            wait_ready(ready, 1);
            seen++;
        }
    }
    static unsigned char buf[BIG];
    start();
    for (uint64_t seq = 0; seq < r->n; seq++) {
        fill(buf, seq, r->len);
        if (zmq_send(s, buf, r->len, 0) != (int)r->len)
            zmq_die("zmq_send");
    }
    finish(go);
    zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero);
    zmq_close(s);
    zmq_ctx_term(ctx);
}

static void zmq_sub(const struct run *r, int i, int ready)
{
    char ep[96];
    zmq_endpoint(ep, sizeof ep, r);
    void *ctx = zmq_ctx_new(), *s = ctx ? zmq_socket(ctx, ZMQ_SUB) : NULL;
    int tmo = 200;
    if (!s || zmq_setsockopt(s, ZMQ_SUBSCRIBE, "", 0) < 0 ||
        zmq_setsockopt(s, ZMQ_RCVTIMEO, &tmo, sizeof tmo) < 0 || zmq_connect(s, ep) < 0)
        zmq_die("zmq subscriber");
    bool said = false;
    uint64_t next = 0, seq = 0;
    zmq_msg_t m;
    zmq_msg_init(&m);
    for (;;) {
        if (zmq_msg_recv(&m, s, 0) < 0) {
            /* A drop would leave us waiting for a message that never
             * comes: a quiet publisher that is done ends the run. */
            if (zmq_errno() == EAGAIN && atomic_load(&sh->pub_done))
                break;
            if (zmq_errno() == EAGAIN || zmq_errno() == EINTR)
                continue;
            zmq_die("zmq_msg_recv");
        }
        size_t len = zmq_msg_size(&m);
        if (len == sizeof(uint64_t) && r->len != len) {
            if (!said)
                say_ready(ready);
            said = true;
            continue;
        }
        seq = check(i, zmq_msg_data(&m), len, &next);
        if (seq + 1 >= r->n)
            break;
    }
    sh->end[i] = bench_now_ns();
    zmq_msg_close(&m);
    sh->lost[i] += r->n - next;
    zmq_close(s);
    zmq_ctx_term(ctx);
}
#endif

/* ---- iceoryx ------------------------------------------------------------------ */

#ifdef BENCH_HAVE_ICEORYX
#define IOX_SERVICE "memregion-bench"
#define IOX_INSTANCE "peers"

/* Register this process with RouDi (its debug lines silenced); the event
 * name of this run into ev. */
static void iox_start(const char *side, const struct run *r, char ev[16])
{
    char rt[64];
    snprintf(rt, sizeof rt, "%s%ld-%s-%ld", IOX_PREFIX, (long)main_pid, side, (long)getpid());
    snprintf(ev, 16, "run%u", r->id);
    iox_set_loglevel(Iceoryx_LogLevel_Warn);
    iox_runtime_init(rt);
}

static void iox_pub(const struct run *r, int ready, int go)
{
    char ev[16];
    iox_start("pub", r, ev);
    iox_pub_options_t o;
    iox_pub_options_init(&o);
    o.subscriberTooSlowPolicy = ConsumerTooSlowPolicy_WAIT_FOR_CONSUMER;
    iox_pub_storage_t st;
    iox_pub_t p = iox_pub_init(&st, IOX_SERVICE, IOX_INSTANCE, ev, &o);
    wait_ready(ready, r->nsub);
    start();
    for (uint64_t seq = 0; seq < r->n; seq++) {
        void *c;
        enum iox_AllocationResult a;
        /* Chunks still held by the subscribers' queues: wait for one. */
        while ((a = iox_pub_loan_chunk(p, &c, (uint32_t)r->len)) == AllocationResult_RUNNING_OUT_OF_CHUNKS)
            sched_yield();
        if (a != AllocationResult_SUCCESS)
            die("iox_pub_loan_chunk", -ENOMEM);
        fill(c, seq, r->len);
        iox_pub_publish_chunk(p, c);
    }
    finish(go);
    iox_pub_deinit(p);
}

static void iox_sub(const struct run *r, int i, int ready)
{
    char ev[16];
    iox_start("sub", r, ev);
    iox_sub_options_t o;
    iox_sub_options_init(&o);
    o.queueCapacity = 256;
    o.queueFullPolicy = QueueFullPolicy_BLOCK_PRODUCER;
    iox_sub_storage_t st;
    iox_sub_t s = iox_sub_init(&st, IOX_SERVICE, IOX_INSTANCE, ev, &o);
    while (iox_sub_get_subscription_state(s) != SubscribeState_SUBSCRIBED)
        usleep(1000);
    iox_ws_storage_t wst;
    iox_ws_t ws = iox_ws_init(&wst);
    if (iox_ws_attach_subscriber_state(ws, s, SubscriberState_HAS_DATA, 0, NULL) != WaitSetResult_SUCCESS)
        die("iox_ws_attach_subscriber_state", -ENOMEM);
    say_ready(ready);
    uint64_t next = 0, seq = 0;
    for (;;) {
        const void *c;
        while (seq + 1 < r->n && iox_sub_take_chunk(s, &c) == ChunkReceiveResult_SUCCESS) {
            seq = check(i, c, r->len, &next);
            iox_sub_release_chunk(s, c);
        }
        if (seq + 1 >= r->n)
            break;
        iox_notification_info_t ev_info[1];
        uint64_t missed;
        struct timespec tmo = { 0, 200 * 1000 * 1000 };
        if (iox_ws_timed_wait(ws, tmo, ev_info, 1, &missed) == 0 && atomic_load(&sh->pub_done) &&
            !iox_sub_has_chunks(s))
            break; /* lost the last ones */
    }
    sh->end[i] = bench_now_ns();
    sh->lost[i] += r->n - next;
    iox_ws_deinit(ws);
    iox_sub_deinit(s);
}

/* ---- iox-roudi ---------------------------------------------------------------- */

/* Mempools for 64 B and 64 KiB payloads (each chunk has a header of up to
 * 64 bytes more): 400 of the big ones cover one publisher's loans plus a
 * 256-chunk queue, which all subscribers share. */
static const char roudi_config[] =
    "[general]\nversion = 1\n\n[[segment]]\n\n"
    "[[segment.mempool]]\nsize = 128\ncount = 4096\n\n"
    "[[segment.mempool]]\nsize = 65600\ncount = 400\n";
#endif

static pid_t roudi_pid = -1;
static char roudi_dir[64], roudi_cfg[96], roudi_log[96];

static void roudi_rm_files(void)
{
    if (roudi_dir[0]) {
        unlink(roudi_cfg);
        unlink(roudi_log);
        rmdir(roudi_dir);
        roudi_dir[0] = 0;
    }
}

/* Set when iceoryx apps were killed: RouDi 2.0 aborts when it is stopped
 * while it still lists an app that is gone (POSH__ROUDI_PROCESS_SHUTDOWN_FAILED),
 * so it is given time to notice them first (keep-alive timeout, 1.5 s). */
static volatile sig_atomic_t roudi_apps_killed;
/* Its shared memory: the management segment and one named after our group. */
static char roudi_group[64];

/* Stop the daemon (it removes its shared memory and sockets on SIGTERM;
 * if it does not, we do), remove the sockets of the apps killed on an error
 * path, and our files. Only from the main process; also from a signal
 * handler (opendir is not async-signal-safe, but the handler only ever
 * interrupts the main process waiting in waitpid, read or usleep). */
static void roudi_stop(void)
{
    if (getpid() != main_pid)
        return;
    if (roudi_pid > 0) {
        if (roudi_apps_killed)
            usleep(2500 * 1000);
        kill(roudi_pid, SIGTERM);
        int st = 0, k;
        for (k = 0; k < 1000 && waitpid(roudi_pid, &st, WNOHANG) == 0; k++)
            usleep(10000);
        if (k == 1000) {
            kill(roudi_pid, SIGKILL);
            waitpid(roudi_pid, &st, 0);
        }
        roudi_pid = -1;
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
            static const char msg[] = "bench_topic_peers: iox-roudi did not stop cleanly; "
                                      "removing its shared memory and sockets\n";
            if (write(2, msg, sizeof msg - 1) < 0) {
            }
            shm_unlink("iceoryx_mgmt");
            if (roudi_group[0])
                shm_unlink(roudi_group);
            unlink(IOX_DIR "/roudi");
            unlink(IOX_DIR "/roudi.lock");
            unlink(IOX_DIR "/iox-unique-roudi.lock");
        }
    }
    char prefix[64];
    int np = snprintf(prefix, sizeof prefix, "%s%ld-", IOX_PREFIX, (long)main_pid);
    DIR *d = opendir(IOX_DIR);
    for (struct dirent *e; d && (e = readdir(d));)
        if (strncmp(e->d_name, prefix, (size_t)np) == 0)
            unlinkat(dirfd(d), e->d_name, 0);
    if (d)
        closedir(d);
    roudi_rm_files();
}

static void on_signal(int sig)
{
    roudi_apps_killed = 1;
    roudi_stop();
    _exit(128 + sig);
}

#ifdef BENCH_HAVE_ICEORYX
/* Why RouDi stopped, from its log: the text of its first fatal line,
 * else its last line. */
static void roudi_reason(char *why, size_t n)
{
    char buf[8192];
    int fd = open(roudi_log, O_RDONLY | O_CLOEXEC);
    ssize_t k = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
    if (fd >= 0)
        close(fd);
    buf[k > 0 ? k : 0] = 0;
    char *line = strstr(buf, "Fatal"), *end;
    if (line && (line = strstr(line, ": ")))
        line += 2;
    else {
        end = buf + strlen(buf);
        while (end > buf && (end[-1] == '\n' || end[-1] == ' '))
            *--end = 0;
        line = strrchr(buf, '\n');
        line = line ? line + 1 : buf;
    }
    if ((end = strchr(line, '\n')))
        *end = 0;
    snprintf(why, n, "%s", line);
}

/* Start iox-roudi with our config and wait (10 s) until it takes clients:
 * 0, or -1 and why. */
static int roudi_start(char *why, size_t n)
{
    struct group *g = getgrgid(getegid());
    snprintf(roudi_group, sizeof roudi_group, "%s", g ? g->gr_name : "");
    snprintf(roudi_dir, sizeof roudi_dir, "/tmp/mr-bench-roudi.XXXXXX");
    if (!mkdtemp(roudi_dir)) {
        snprintf(why, n, "mkdtemp: %s", strerror(errno));
        roudi_dir[0] = 0;
        return -1;
    }
    snprintf(roudi_cfg, sizeof roudi_cfg, "%s/roudi.toml", roudi_dir);
    snprintf(roudi_log, sizeof roudi_log, "%s/roudi.log", roudi_dir);
    int fd = open(roudi_cfg, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0 || write(fd, roudi_config, sizeof roudi_config - 1) != (ssize_t)sizeof roudi_config - 1) {
        snprintf(why, n, "%s: %s", roudi_cfg, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    close(fd);
    int log = open(roudi_log, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (log < 0) {
        snprintf(why, n, "%s: %s", roudi_log, strerror(errno));
        return -1;
    }
    fflush(stdout);
    pid_t parent = getpid();
    roudi_pid = fork();
    if (roudi_pid == 0) {
        /* Should this program be killed, the daemon still cleans up. */
        if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 || getppid() != parent)
            _exit(1);
        setpgid(0, 0); /* a ^C reaches us, and we stop it in order */
        dup2(log, 1);
        dup2(log, 2);
        execlp("iox-roudi", "iox-roudi", "-c", roudi_cfg, "-k", "1", (char *)NULL);
        _exit(127);
    }
    close(log);
    if (roudi_pid < 0) {
        snprintf(why, n, "fork: %s", strerror(errno));
        return -1;
    }
    for (int k = 0; k < 1000; k++) {
        int st;
        if (waitpid(roudi_pid, &st, WNOHANG) == roudi_pid) {
            roudi_pid = -1;
            if (WIFEXITED(st) && WEXITSTATUS(st) == 127)
                snprintf(why, n, "iox-roudi not found (apt-get install iceoryx)");
            else {
                char last[200];
                roudi_reason(last, sizeof last);
                snprintf(why, n, "iox-roudi exited (status %#x): %s", (unsigned)st, last);
            }
            roudi_rm_files();
            return -1;
        }
        char buf[4096];
        int lf = open(roudi_log, O_RDONLY | O_CLOEXEC);
        ssize_t got = lf < 0 ? -1 : read(lf, buf, sizeof buf - 1);
        if (lf >= 0)
            close(lf);
        buf[got > 0 ? got : 0] = 0;
        if (strstr(buf, "RouDi is ready for clients")) {
            /* It has read its config and keeps its log open: were we
             * SIGKILLed now, nothing of ours would be left in /tmp. */
            roudi_rm_files();
            return 0;
        }
        usleep(10000);
    }
    snprintf(why, n, "iox-roudi not ready after 10 s");
    roudi_stop();
    return -1;
}
#endif

/* ---- one run ------------------------------------------------------------------ */

typedef void pub_fn(const struct run *r, int ready, int go);
typedef void sub_fn(const struct run *r, int i, int ready);

static pub_fn *const pubs[NPEER] = {
    topic_pub,
#ifdef BENCH_HAVE_ZMQ
    zmq_pub,
#else
    NULL,
#endif
#ifdef BENCH_HAVE_ICEORYX
    iox_pub,
#else
    NULL,
#endif
};
static sub_fn *const subs[NPEER] = {
    topic_sub,
#ifdef BENCH_HAVE_ZMQ
    zmq_sub,
#else
    NULL,
#endif
#ifdef BENCH_HAVE_ICEORYX
    iox_sub,
#else
    NULL,
#endif
};

static pid_t spawn(int cpu)
{
    pid_t pid = fork();
    if (pid < 0)
        die("fork", -errno);
    if (pid == 0) {
        bench_die_with_parent(main_pid);
        alarm(WATCHDOG_S);
        pin(cpu);
    }
    return pid;
}

/* One run: seconds from the first message to the last subscriber's end. */
static double run_one(const struct run *r)
{
    memset(sh, 0, sizeof *sh);
    int ready[2], go[2];
    if (pipe2(ready, O_CLOEXEC) < 0 || pipe2(go, O_CLOEXEC) < 0)
        die("pipe", -errno);
    pid_t pid[MAXN + 1];
    fflush(stdout);
    if ((pid[MAXN] = spawn(r->cpu_p)) == 0) {
        close(ready[1]);
        close(go[1]);
        pubs[r->peer](r, ready[0], go[0]);
        exit(0); /* not _exit: iceoryx's runtime leaves RouDi in a static destructor */
    }
    for (int i = 0; i < r->nsub; i++)
        if ((pid[i] = spawn(r->cpu_s)) == 0) {
            close(ready[0]);
            close(go[0]);
            close(go[1]);
            subs[r->peer](r, i, ready[1]);
            exit(0);
        }
    close(ready[0]);
    close(ready[1]);
    close(go[0]);
    for (int done = 0, left = r->nsub + 1; left > 0; left--) {
        int st;
        pid_t w = waitpid(-1, &st, 0);
        if (w < 0)
            die("waitpid", -errno);
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0 || (w == pid[MAXN] && done < r->nsub)) {
            int why = st;
            for (int i = 0; i < r->nsub; i++)
                kill(pid[i], SIGKILL);
            kill(pid[MAXN], SIGKILL);
            for (int i = 0; i < r->nsub; i++)
                waitpid(pid[i], &st, 0); /* not -1: iox-roudi is a child too */
            waitpid(pid[MAXN], &st, 0);
            if (r->peer == ICEORYX)
                roudi_apps_killed = 1;
            fprintf(stderr, "bench_topic_peers: %s, %zu B, %d subscribers: a process failed (status %#x)\n",
                    peer_name[r->peer], r->len, r->nsub, (unsigned)why);
            die(NULL, 0);
        }
        if (w != pid[MAXN] && ++done == r->nsub)
            close(go[1]); /* the publisher may close now */
    }
    /* To the last subscriber's last message: not its library's teardown. */
    double end = 0;
    for (int i = 0; i < r->nsub; i++)
        end = sh->end[i] > end ? sh->end[i] : end;
    return (end - sh->t0) / 1e9;
}

/* ---- the table ---------------------------------------------------------------- */

static const size_t lens[] = { SMALL, BIG };
static const int fans[] = { 1, MAXN };
#define NCONF 4

static unsigned run_id;

/* Messages per run, [peer][small, big]: each run lasts tens of ms or more,
 * so that the fixed costs of a run (first touches, wake-ups at the ends)
 * weigh little; iceoryx is given fewer small ones, being far slower. */
static const uint64_t count[NPEER][2] = { { 300000, 2000 }, { 100000, 1000 }, { 20000, 1000 } };

static void placement(int rounds, int cpu_p, int cpu_s)
{
    static double rate[NPEER][NCONF][ROUNDS], ratio[NPEER][NCONF][ROUNDS];
    uint64_t lost[NPEER] = { 0 }, bad[NPEER] = { 0 };
    int jobs[NCONF * NPEER][2], nj = 0;
    for (int c = 0; c < NCONF; c++)
        for (int p = 0; p < NPEER; p++)
            if (peer_on[p]) {
                jobs[nj][0] = c;
                jobs[nj++][1] = p;
            }
    for (int rd = 0; rd < rounds; rd++) {
        for (int k = 0; k < nj; k++) {
            int c = jobs[(k + rd) % nj][0], p = jobs[(k + rd) % nj][1];
            struct run r = { p, fans[c % 2], cpu_p, cpu_s, lens[c / 2], count[p][c / 2],
                             run_id++ };
            double s = run_one(&r);
            rate[p][c][rd] = (double)r.n / s;
            for (int i = 0; i < r.nsub; i++) {
                lost[p] += sh->lost[i];
                bad[p] += sh->bad[i];
                if (sh->got[i] + sh->lost[i] != r.n)
                    bad[p]++;
            }
        }
        for (int c = 0; c < NCONF; c++)
            for (int p = 0; p < NPEER; p++)
                ratio[p][c][rd] = rate[p][c][rd] / rate[TOPIC][c][rd];
    }
    printf("  %-7s %2s", "message", "N");
    for (int p = 0; p < NPEER; p++)
        printf(p + 1 < NPEER ? "  %-30s" : "  %s", peer_name[p]);
    printf("\n  %-7s %2s", "", "");
    for (int p = 0; p < NPEER; p++)
        printf(p + 1 < NPEER ? "  %-30s" : "  %s", p == TOPIC ? "M msg/s   GB/s" : "M msg/s   GB/s   vs topic");
    printf("\n");
    for (int c = 0; c < NCONF; c++) {
        size_t len = lens[c / 2];
        int n = fans[c % 2];
        printf("  %-7s %2d", len == SMALL ? "64 B" : "64 KiB", n);
        for (int p = 0; p < NPEER; p++) {
            char cell[64] = "not run";
            if (peer_on[p]) {
                double m = bench_median(rate[p][c], (size_t)rounds);
                int k = snprintf(cell, sizeof cell, "%7.3f %6.2f", m / 1e6, m * (double)len * n / 1e9);
                if (p != TOPIC)
                    snprintf(cell + k, sizeof cell - (size_t)k, "   %5.2fx",
                             bench_median(ratio[p][c], (size_t)rounds));
            }
            printf(p + 1 < NPEER ? "  %-30s" : "  %s", cell);
        }
        printf("\n");
    }
    printf("  every message read and checked:");
    for (int p = 0; p < NPEER; p++)
        if (peer_on[p])
            printf(" %s lost %llu, damaged %llu;", p == TOPIC ? "topic" : p == ZEROMQ ? "zeromq" : "iceoryx",
                   (unsigned long long)lost[p], (unsigned long long)bad[p]);
    printf("\n");
}

/* No arguments: every peer built; else only the peers named. */
static bool wanted(int argc, char **argv, const char *peer)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], peer) == 0)
            return true;
    return argc < 2;
}

int main(int argc, char **argv)
{
    main_pid = getpid();
    int rounds = getenv("BENCH_QUICK") && strcmp(getenv("BENCH_QUICK"), "1") == 0 ? 3 : ROUNDS;
    sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (sh == MAP_FAILED)
        die("mmap", -errno);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);

    printf("bench_topic_peers: one publisher, N = 1 and %d blocking subscribers (processes); messages "
           "per run of 64 B / 64 KiB: topic %llu / %llu, zeromq %llu / %llu, iceoryx %llu / %llu; "
           "%d rounds\n", MAXN, (unsigned long long)count[TOPIC][0], (unsigned long long)count[TOPIC][1],
           (unsigned long long)count[ZEROMQ][0], (unsigned long long)count[ZEROMQ][1],
           (unsigned long long)count[ICEORYX][0], (unsigned long long)count[ICEORYX][1], rounds);
    bool want_zmq = wanted(argc, argv, "zeromq"), want_iox = wanted(argc, argv, "iceoryx");
#ifdef BENCH_HAVE_ZMQ
    int major, minor, patch;
    zmq_version(&major, &minor, &patch);
    peer_on[ZEROMQ] = want_zmq;
    if (want_zmq)
        printf("zeromq: libzmq %d.%d.%d, PUB/SUB over ipc:// (abstract), ZMQ_XPUB_NODROP, "
               "high-water marks 1000\n", major, minor, patch);
#else
    if (want_zmq)
        printf("zeromq: not built (apt-get install libzmq3-dev, or make bench-deps; then rebuild)\n");
#endif
#ifdef BENCH_HAVE_ICEORYX
    char why[300];
    if (want_iox && roudi_start(why, sizeof why) == 0) {
        peer_on[ICEORYX] = true;
        printf("iceoryx: 2.0 C binding, iox-roudi (pid %ld) started with a private config; publisher "
               "WAIT_FOR_CONSUMER, subscribers BLOCK_PRODUCER, queues of 256, waitset\n",
               (long)roudi_pid);
    } else if (want_iox) {
        printf("iceoryx: not run: %s\n", why);
    }
#else
    if (want_iox)
        printf("iceoryx: not built (apt-get install libiceoryx-binding-c-dev iceoryx, or make "
               "bench-deps; then rebuild)\n");
#endif
    int cpus[2];
    int ncpu = bench_two_cpus(cpus);
    if (ncpu < 1)
        die("sched_getaffinity", ncpu < 0 ? ncpu : -ENODEV);
    for (int place = 0; place < 2; place++) {
        if (place == 1 && ncpu < 2) {
            printf("two CPUs: skipped (one CPU available)\n");
            break;
        }
        printf("%s:\n", place ? "two CPUs (publisher on one, subscribers on the other)" : "same CPU");
        placement(rounds, cpus[0], cpus[place]);
    }
    roudi_stop();
    return 0;
}
