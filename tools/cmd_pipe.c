/* SPDX-License-Identifier: MIT */
/* tools/cmd_pipe.c: `memregion pipe send NAME` and `memregion pipe recv NAME`:
 * a shared-memory channel in place of a shell pipe, between two shells.
 *
 * Rendezvous: send listens on the Unix socket
 *   $XDG_RUNTIME_DIR/memregion-<uid>/pipe-NAME.sock  (or under /tmp)
 * in a directory of mode 0700 that must belong to this user, made 0600
 * itself; recv connects to it (retrying until the socket appears, so
 * either side may start first), says hello, and receives the channel's
 * memfd (mr_chan_share); both sides check that the other runs as the same
 * user. send then removes the socket path: one sender, one receiver.
 *
 * On the socket, after the connection: the messages of pipe_proto.h.
 * In the channel: the bytes of stdin as messages of any length, then one
 * empty message for the end of the input. A channel that closes without
 * that empty message means the sender stopped early (died, or failed). */
#include "cli.h"
#include "pipe_proto.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PIPE_NAME_MAX 64
/* Sizes measured with bench/pipe_dd.sh (docs/cli/pipe.md, "Speed"). A
 * kernel pipe of the default 64 KiB makes its two ends take turns every
 * 64 KiB (two context switches, or a wake-up of the other CPU); grown to
 * 1 MiB, the most an unprivileged process may ask by default
 * (pipe-max-size), 16 times less often. send reads up to a pipe's worth at
 * a time into a ring of four: rings of 1 and 2 MiB were slower, of 8 and
 * 16 MiB no faster. */
#define KERNEL_PIPE_SIZE (1 << 20)
#define DEFAULT_CAPACITY ((uint64_t)4 << 20)
#define CHUNK_MAX ((size_t)KERNEL_PIPE_SIZE)

static const char pipe_help[] =
    "usage: memregion pipe send NAME [options]    (reads standard input)\n"
    "       memregion pipe recv NAME [options]    (writes standard output)\n"
    "\n"
    "A shared-memory channel in place of a shell pipe, between two shells or\n"
    "two programs that do not share a parent:\n"
    "  producer | memregion pipe send x        # in one shell\n"
    "  memregion pipe recv x | consumer        # in another\n"
    "The bytes arrive exactly as sent. send reads its input straight into the\n"
    "channel's ring (a memfd both processes map), recv writes straight out of\n"
    "it: no socket carries the data. Either side may start first; they meet\n"
    "by NAME, through a Unix socket in a private directory of this user\n"
    "($XDG_RUNTIME_DIR/memregion-UID, or /tmp/memregion-UID), and each\n"
    "checks that the other runs as the same user.\n"
    "\n"
    "When the input ends, recv writes what is left and exits 0. If either side\n"
    "dies, the other exits 1 with a message. If recv's reader quits, recv\n"
    "exits 0 and send exits 1 (its input was not all delivered).\n"
    "\n"
    "Run 'memregion pipe send --help' or 'memregion pipe recv --help' for the\n"
    "options.\n";

static const char send_help[] =
    "usage: memregion pipe send NAME [--capacity BYTES] [--timeout SECONDS]\n"
    "                                [--size BYTES] [--quiet]\n"
    "\n"
    "Send standard input to 'memregion pipe recv NAME' through a shared-memory\n"
    "channel. NAME is 1 to 64 letters, digits, '.', '_' or '-'.\n"
    "A progress bar goes to stderr when stderr is a terminal.\n"
    "\n"
    "options:\n"
    "  -c, --capacity BYTES   the channel's ring: a power of two, 4K to 1G\n"
    "                         (default 4M; K, M, G suffixes)\n"
    "  -t, --timeout SECONDS  give up when no receiver comes within this long\n"
    "                         (default 30; 0 waits forever). Once connected,\n"
    "                         the pipe may stay idle for any time.\n"
    "  -s, --size BYTES       the input's size, for the progress bar's time left\n"
    "                         (found by itself when stdin is a regular file)\n"
    "  -q, --quiet            no progress bar\n"
    "  -h, --help             show this help\n"
    "\n"
    "example:\n"
    "  tar c dir | memregion pipe send backup\n";

static const char recv_help[] =
    "usage: memregion pipe recv NAME [--timeout SECONDS] [--size BYTES] [--quiet]\n"
    "\n"
    "Receive what 'memregion pipe send NAME' reads, and write it to standard\n"
    "output. Exits 0 at the end of the sender's input (also when standard\n"
    "output's reader quits first), 1 when the sender dies or fails before it.\n"
    "A progress bar goes to stderr when stderr is a terminal.\n"
    "\n"
    "options:\n"
    "  -t, --timeout SECONDS  give up when no sender appears within this long\n"
    "                         (default 30; 0 waits forever)\n"
    "  -s, --size BYTES       the size to expect, for the progress bar (by\n"
    "                         default the sender's, when it knows it)\n"
    "  -q, --quiet            no progress bar\n"
    "  -h, --help             show this help\n"
    "\n"
    "example:\n"
    "  memregion pipe recv backup | tar x\n";

struct pipe_opts {
    uint64_t capacity, timeout_s, size;
    bool capacity_set, size_set, quiet;
};

static int pipe_opt(int c, const char *arg, void *ctx)
{
    struct pipe_opts *o = ctx;
    switch (c) {
    case 'c':
        o->capacity_set = true;
        if (cli_opt_u64("capacity", arg, true, &o->capacity) != 0)
            return CLI_USAGE;
        if (o->capacity < MR_CHAN_CAPACITY_MIN || o->capacity > MR_CHAN_CAPACITY_MAX ||
            (o->capacity & (o->capacity - 1)) != 0)
            return cli_usage_error("invalid capacity '%s': a power of two from 4K to 1G", arg);
        return 0;
    case 't':
        if (cli_parse_u64(arg, false, &o->timeout_s) < 0 || o->timeout_s > 86400 * 365)
            return cli_usage_error("invalid timeout '%s': expected whole seconds", arg);
        return 0;
    case 's':
        o->size_set = true;
        return cli_opt_u64("size", arg, true, &o->size);
    case 'q':
        o->quiet = true;
        return 0;
    }
    return CLI_USAGE;
}

static int64_t now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Milliseconds left before deadline (INT64_MAX: none) for a sock call. */
static int ms_left(int64_t deadline)
{
    if (deadline == INT64_MAX)
        return -1;
    int64_t left = deadline - now_ms();
    return left <= 0 ? 0 : left > INT32_MAX ? INT32_MAX : (int)left;
}

static bool name_ok(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > PIPE_NAME_MAX || name[0] == '.')
        return false;
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '.' || *p == '_' || *p == '-'))
            return false;
    return true;
}

/* The socket's path for name, making the private directory when asked.
 * A directory that another user owns, or that others may enter, would let
 * them plant a socket of their own under the name: it is refused. */
static int socket_path(const char *name, bool make, char *buf, size_t size)
{
    const char *base = getenv("XDG_RUNTIME_DIR");
    if (!base || base[0] != '/')
        base = "/tmp";
    char dir[256];
    uid_t uid = geteuid();
    int n = snprintf(dir, sizeof dir, "%s/memregion-%lu", base, (unsigned long)uid);
    if (n < 0 || (size_t)n >= sizeof dir)
        return cli_fail(name, -ENAMETOOLONG, "the directory for pipes under %s: %s", base,
                        mr_strerror(-ENAMETOOLONG));
    if (make && mkdir(dir, 0700) < 0 && errno != EEXIST)
        return cli_fail(dir, -errno, NULL);
    struct stat st;
    if (lstat(dir, &st) == 0) {
        if (!S_ISDIR(st.st_mode) || st.st_uid != uid || (st.st_mode & 077) != 0)
            return cli_fail(dir, -EPERM, "refused: not a directory of mode 0700 owned by uid %lu "
                                         "(remove it, it will be made again)",
                            (unsigned long)uid);
    } else if (errno != ENOENT || make) {
        return cli_fail(dir, -errno, NULL);
    }
    n = snprintf(buf, size, "%s/pipe-%s.sock", dir, name);
    if (n < 0 || (size_t)n >= size || (size_t)n > MR_ADDR_UNIX_MAX)
        return cli_fail(name, -ENAMETOOLONG, "the socket path %s/pipe-%s.sock is too long for a "
                                             "Unix socket (set XDG_RUNTIME_DIR to a shorter directory)",
                        dir, name);
    return 0;
}

/* Grow fd's kernel pipe towards KERNEL_PIPE_SIZE, when fd is a pipe. A
 * size refused (a lower pipe-max-size, this user's pipe quota used up)
 * leaves the pipe as it is: it works, only slower. */
static void pipe_grow(int fd)
{
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISFIFO(st.st_mode))
        return;
    int have = fcntl(fd, F_GETPIPE_SZ);
    for (int size = KERNEL_PIPE_SIZE; have > 0 && size > have; size /= 2)
        if (fcntl(fd, F_SETPIPE_SZ, size) >= 0)
            return;
}

/* ---- the progress bar --------------------------------------------------------- */

struct progress {
    bool on;
    uint64_t total; /* PIPE_SIZE_UNKNOWN: unknown */
    int64_t start, last;
};

static void progress_init(struct progress *p, bool quiet, uint64_t total)
{
    p->on = !quiet && isatty(STDERR_FILENO);
    p->total = total;
    p->start = p->last = now_ms();
}

static void progress_show(struct progress *p, uint64_t done, bool final)
{
    if (!p->on)
        return;
    int64_t now = now_ms();
    if (!final && now - p->last < 200)
        return;
    p->last = now;
    double secs = (double)(now - p->start) / 1000;
    double rate = secs > 0 ? (double)done / secs : 0;
    char a[32], b[32], line[160];
    int n = snprintf(line, sizeof line, "\r%10s  %10s/s", cli_human_bytes(done, a, sizeof a),
                     cli_human_bytes((uint64_t)rate, b, sizeof b));
    if (p->total != PIPE_SIZE_UNKNOWN && p->total > 0 && n > 0 && (size_t)n < sizeof line) {
        double f = (double)done / (double)p->total;
        if (f > 1)
            f = 1;
        char bar[21];
        int fill = (int)(f * 20);
        for (int i = 0; i < 20; i++)
            bar[i] = i < fill ? '=' : ' ';
        bar[20] = '\0';
        if (final || rate <= 0)
            snprintf(line + n, sizeof line - (size_t)n, "  [%s] %3d%%  %5.1f s      ", bar,
                     (int)(f * 100), secs);
        else {
            double left = (double)(p->total > done ? p->total - done : 0) / rate;
            snprintf(line + n, sizeof line - (size_t)n, "  [%s] %3d%%  %5.1f s left ", bar,
                     (int)(f * 100), left);
        }
    } else if (n > 0 && (size_t)n < sizeof line) {
        snprintf(line + n, sizeof line - (size_t)n, "  %5.1f s ", secs);
    }
    fputs(line, stderr);
    if (final)
        fputc('\n', stderr);
    fflush(stderr);
}

/* ---- send --------------------------------------------------------------------- */

/* The listening socket's path, for the signal handler: a sender stopped by
 * ^C or kill while it waits for its receiver must not leave it behind. */
static char listen_path[MR_ADDR_UNIX_MAX + 1];

static void on_stop_signal(int sig)
{
    if (listen_path[0])
        unlink(listen_path);
    signal(sig, SIG_DFL);
    raise(sig);
}

static void stop_signals(void (*handler)(int))
{
    static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        signal(sigs[i], handler);
}

/* Listen on path, clearing a socket left by a sender that was killed: one
 * nobody listens on. A live sender on the name is an error. */
static int send_listen(const char *name, const char *path, struct mr_sock *l)
{
    struct mr_addr addr;
    int rc = mr_addr_unix(&addr, path);
    if (rc < 0)
        return cli_fail(name, rc, NULL);
    for (int attempt = 0;; attempt++) {
        rc = mr_sock_open_listen(l, &addr, 4, 0);
        if (rc != -EADDRINUSE || attempt > 0)
            break;
        struct mr_sock probe = MR_SOCK_INIT;
        int prc = mr_sock_open_connect(&probe, &addr, SOCK_STREAM, 1000, 0);
        mr_sock_close(&probe);
        if (prc == 0 || prc == -ETIMEDOUT || prc == -EAGAIN)
            return cli_fail(name, -EADDRINUSE, "another 'memregion pipe send %s' is waiting "
                                               "(pick another name)",
                            name);
        if (prc != -ECONNREFUSED)
            break;
        unlink(path);
    }
    if (rc < 0)
        return cli_fail(path, rc, NULL);
    if (chmod(path, 0600) < 0) {
        rc = -errno;
        mr_sock_close(l);
        return cli_fail(path, rc, NULL);
    }
    return 0;
}

/* Accept until a process of this user says hello, or the deadline. A
 * connection that is not a receiver (another sender probing the name, a
 * stray client) is dropped and the wait goes on. */
static int send_accept(const char *name, struct mr_sock *l, struct mr_sock *conn,
                       int64_t deadline, uint64_t timeout_s)
{
    for (;;) {
        int rc = mr_sock_accept(l, conn, NULL, ms_left(deadline));
        if (rc == -ETIMEDOUT)
            return cli_fail(name, rc, "nobody ran 'memregion pipe recv %s' within %llu s", name,
                            (unsigned long long)timeout_s);
        if (rc < 0)
            return cli_fail(name, rc, NULL);
        if (mr_sock_peer_check_user(conn) == 0) {
            char hello[8];
            int ms = ms_left(deadline);
            ssize_t n = mr_sock_recv_exact(conn, MR_REGION_OF_ARRAY(hello),
                                           ms < 0 || ms > 2000 ? 2000 : ms, NULL);
            if (n > 0 && pipe_hello_ok((const unsigned char *)hello, (size_t)n))
                return 0;
        }
        mr_sock_close(conn);
    }
}

/* Why the receiver went: it says 'Q' on the socket when its reader quit. */
static int send_peer_gone(const char *name, const struct mr_sock *conn, char q)
{
    if (q == 0) {
        mr_sock_wait(conn, MR_SOCK_READABLE, 100);
        if (mr_sock_recv(conn, MR_REGION_OF(q), MSG_DONTWAIT) != 1)
            q = 0;
    }
    if (q == PIPE_END_QUIT)
        return cli_fail(name, -EPIPE, "the receiver's reader quit before the end of the input");
    return cli_fail(name, -EPIPE, "the receiver went away before the end of the input (it died "
                                  "or was killed)");
}

static int pipe_send(int argc, char **argv)
{
    static const struct option longs[] = { { "capacity", required_argument, NULL, 'c' },
                                           { "timeout", required_argument, NULL, 't' },
                                           { "size", required_argument, NULL, 's' },
                                           { "quiet", no_argument, NULL, 'q' },
                                           { 0 } };
    struct pipe_opts o = { .capacity = DEFAULT_CAPACITY, .timeout_s = 30 };
    int first, rc;
    if ((rc = cli_getopt(argc, argv, "c:t:s:q", longs, send_help, pipe_opt, &o, &first)) >= 0)
        return rc;
    if (argc - first < 1)
        return cli_usage_error("missing NAME (the name 'memregion pipe recv' will use)");
    if (argc - first > 1)
        return cli_usage_error("unexpected argument '%s'", argv[first + 1]);
    const char *name = argv[first];
    if (!name_ok(name))
        return cli_usage_error("invalid NAME '%s': 1 to 64 letters, digits, '.', '_' or '-', "
                               "not starting with '.'", name);

    uint64_t size = o.size_set ? o.size : PIPE_SIZE_UNKNOWN;
    struct stat st;
    if (fstat(STDIN_FILENO, &st) < 0)
        return cli_fail("stdin", -errno, NULL);
    if (!o.size_set && S_ISREG(st.st_mode)) {
        off_t at = lseek(STDIN_FILENO, 0, SEEK_CUR);
        size = (uint64_t)st.st_size - (at > 0 && at <= st.st_size ? (uint64_t)at : 0);
    }
    /* Now, so that the producer can fill it while the receiver comes. */
    pipe_grow(STDIN_FILENO);

    char path[MR_ADDR_UNIX_MAX + 1];
    if ((rc = socket_path(name, true, path, sizeof path)) != 0)
        return rc;
    struct mr_chan c = MR_CHAN_INIT;
    if ((rc = mr_chan_create(&c, (size_t)o.capacity, MR_CHAN_PRODUCER, 0)) < 0)
        return cli_fail(name, rc, "cannot make a channel of %llu bytes: %s",
                        (unsigned long long)o.capacity, mr_strerror(rc));

    struct mr_sock l = MR_SOCK_INIT, conn = MR_SOCK_INIT;
    snprintf(listen_path, sizeof listen_path, "%s", path);
    stop_signals(on_stop_signal);
    int64_t deadline = o.timeout_s ? now_ms() + (int64_t)o.timeout_s * 1000 : INT64_MAX;
    int status = send_listen(name, path, &l);
    if (status == 0)
        status = send_accept(name, &l, &conn, deadline, o.timeout_s);
    mr_sock_close(&l); /* removes the path: the name is free again */
    stop_signals(SIG_DFL);
    listen_path[0] = '\0';
    if (status != 0)
        goto out;

    unsigned char info[PIPE_INFO_LEN];
    pipe_info_make(info, size);
    if ((rc = mr_chan_share(&c, &conn)) < 0 ||
        (rc = (int)mr_sock_send_all(&conn, MR_REGION_OF_ARRAY(info), 5000, NULL)) < 0) {
        status = cli_fail(name, rc, "handing the channel to the receiver: %s", mr_strerror(rc));
        goto out;
    }

    /* Read straight into the ring. A chunk of a quarter of the ring lets
     * the receiver drain three while one fills; reserve waits for that much
     * room, and what read did not fill is given back by the commit. */
    size_t chunk = mr_chan_capacity(&c) / 4;
    if (chunk > CHUNK_MAX)
        chunk = CHUNK_MAX;
    struct progress pr;
    progress_init(&pr, o.quiet, size);
    uint64_t done = 0;
    for (;;) {
        struct mr_region r;
        if ((rc = mr_chan_reserve(&c, chunk, -1, &r)) < 0) {
            status = rc == -EPIPE || rc == -ECONNRESET ? send_peer_gone(name, &conn, 0) : cli_fail(name, rc, NULL);
            break;
        }
        ssize_t n;
        do
            n = read(STDIN_FILENO, r.ptr, r.len);
        while (n < 0 && errno == EINTR);
        if (n < 0) {
            /* No end marker: the receiver must not take a failed input for
             * a complete one. */
            status = cli_fail("stdin", -errno, NULL);
            break;
        }
        mr_chan_commit(&c, (size_t)n);
        if (n == 0) {
            /* Wait for the receiver to say it wrote everything out, so
             * that this exit status says whether the input arrived. */
            unsigned char a = 0;
            ssize_t k = mr_sock_recv(&conn, MR_REGION_OF(a), 0);
            int end = pipe_end_parse(&a, k > 0 ? (size_t)k : 0);
            if (end != PIPE_END_ALL)
                status = send_peer_gone(name, &conn, (char)end);
            break;
        }
        done += (uint64_t)n;
        progress_show(&pr, done, false);
    }
    progress_show(&pr, done, true);
out:
    mr_chan_close(&c);
    mr_sock_close(&conn);
    return status;
}

/* ---- recv --------------------------------------------------------------------- */

/* Connect to the sender's socket, waiting for it to appear. */
static int recv_connect(const char *name, const char *path, struct mr_sock *s, int64_t deadline,
                        uint64_t timeout_s)
{
    struct mr_addr addr;
    int rc = mr_addr_unix(&addr, path);
    if (rc < 0)
        return cli_fail(name, rc, NULL);
    /* Naps from 1 ms up to 20: a sender started at the same time as this
     * receiver (both halves of one command line) is met within about a
     * millisecond of its socket appearing, one started by hand later costs
     * a look every 20 ms. */
    for (int nap_ms = 1;; nap_ms = nap_ms * 2 > 20 ? 20 : nap_ms * 2) {
        rc = mr_sock_open_connect(s, &addr, SOCK_STREAM, ms_left(deadline), 0);
        if (rc == 0)
            return 0;
        /* No socket yet, or one left by a sender that was killed (nobody
         * listens on it): the sender is still to come. */
        if (rc != -ENOENT && rc != -ECONNREFUSED && rc != -ETIMEDOUT)
            return cli_fail(path, rc, NULL);
        int ms = ms_left(deadline);
        if (ms == 0)
            return cli_fail(name, -ETIMEDOUT, "no 'memregion pipe send %s' came within %llu s",
                            name, (unsigned long long)timeout_s);
        struct timespec nap = { 0, (ms < 0 || ms > nap_ms ? nap_ms : ms) * 1000000L };
        nanosleep(&nap, NULL);
    }
}

static int write_all(int fd, const unsigned char *p, size_t n)
{
    while (n > 0) {
        ssize_t k = write(fd, p, n);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

static int pipe_recv(int argc, char **argv)
{
    static const struct option longs[] = { { "capacity", required_argument, NULL, 'c' },
                                           { "timeout", required_argument, NULL, 't' },
                                           { "size", required_argument, NULL, 's' },
                                           { "quiet", no_argument, NULL, 'q' },
                                           { 0 } };
    struct pipe_opts o = { .capacity = DEFAULT_CAPACITY, .timeout_s = 30 };
    int first, rc;
    if ((rc = cli_getopt(argc, argv, "c:t:s:q", longs, recv_help, pipe_opt, &o, &first)) >= 0)
        return rc;
    if (o.capacity_set)
        return cli_usage_error("--capacity is an option of 'pipe send' (the sender makes the "
                               "channel)");
    if (argc - first < 1)
        return cli_usage_error("missing NAME (the name 'memregion pipe send' uses)");
    if (argc - first > 1)
        return cli_usage_error("unexpected argument '%s'", argv[first + 1]);
    const char *name = argv[first];
    if (!name_ok(name))
        return cli_usage_error("invalid NAME '%s': 1 to 64 letters, digits, '.', '_' or '-', "
                               "not starting with '.'", name);

    char path[MR_ADDR_UNIX_MAX + 1];
    if ((rc = socket_path(name, false, path, sizeof path)) != 0)
        return rc;
    int64_t deadline = o.timeout_s ? now_ms() + (int64_t)o.timeout_s * 1000 : INT64_MAX;
    struct mr_sock s = MR_SOCK_INIT;
    struct mr_chan c = MR_CHAN_INIT;
    int status = recv_connect(name, path, &s, deadline, o.timeout_s);
    if (status != 0)
        return status;
    unsigned char info[PIPE_INFO_LEN];
    uint64_t size = PIPE_SIZE_UNKNOWN;
    if ((rc = mr_sock_peer_check_user(&s)) < 0) {
        status = cli_fail(path, rc, "the sender runs as another user: refused");
        goto out;
    }
    if ((rc = (int)mr_sock_send_all(&s, mr_region_make((void *)PIPE_HELLO, 8), 5000, NULL)) < 0 ||
        (rc = mr_chan_attach_sock(&c, &s, 0, MR_CHAN_CONSUMER, 0, ms_left(deadline))) < 0 ||
        (rc = (int)mr_sock_recv_exact(&s, MR_REGION_OF_ARRAY(info), 5000, NULL)) <= 0) {
        status = cli_fail(name, rc ? rc : -EPIPE, "receiving the channel from the sender: %s",
                          mr_strerror(rc ? rc : -EPIPE));
        goto out;
    }
    if (pipe_info_parse(info, sizeof info, &size) < 0) {
        status = cli_fail(name, -EPROTO, "the sender is not 'memregion pipe send'");
        goto out;
    }
    if (o.size_set)
        size = o.size;

    /* A reader that quits is the normal end of `recv | head`: EPIPE from
     * write, not a signal. */
    signal(SIGPIPE, SIG_IGN);
    pipe_grow(STDOUT_FILENO);

    struct progress pr;
    progress_init(&pr, o.quiet, size);
    uint64_t done = 0;
    for (;;) {
        struct mr_region r;
        if ((rc = mr_chan_peek(&c, -1, &r)) < 0) {
            status = rc == -EPIPE || rc == -ECONNRESET ? cli_fail(name, rc, "the sender went away before the end of "
                                                       "its input (it died, was killed, or "
                                                       "failed)")
                                  : cli_fail(name, rc, NULL);
            break;
        }
        if (r.len == 0) {
            mr_chan_release(&c);
            char e = PIPE_END_ALL;
            mr_sock_send(&s, MR_REGION_OF(e), MSG_DONTWAIT);
            break;
        }
        if ((rc = write_all(STDOUT_FILENO, r.ptr, r.len)) < 0) {
            if (rc == -EPIPE || rc == -ECONNRESET) {
                char q = PIPE_END_QUIT;
                mr_sock_send(&s, MR_REGION_OF(q), MSG_DONTWAIT);
            } else {
                status = cli_fail("stdout", rc, NULL);
            }
            break;
        }
        mr_chan_release(&c);
        done += r.len;
        progress_show(&pr, done, false);
    }
    progress_show(&pr, done, true);
out:
    mr_chan_close(&c);
    mr_sock_close(&s);
    return status;
}

int cmd_pipe(int argc, char **argv)
{
    static const struct cli_cmd subs[] = {
        { "send", "", pipe_send },
        { "recv", "", pipe_recv },
    };
    return cli_dispatch("pipe", subs, sizeof subs / sizeof subs[0], pipe_help,
                        "missing subcommand (send or recv)", argc, argv);
}
