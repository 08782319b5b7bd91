/* SPDX-License-Identifier: MIT */
/* tools/cmd_pipe.c: `memregion pipe send NAME` and `memregion pipe recv NAME`:
 * a shared-memory channel in place of a shell pipe, between two shells.
 *
 * The two sides meet through the services of memregion/svc.h: send offers
 * the service "pipe-NAME" with one channel from server to client
 * (MR_SVC_TO_CLIENT), accepts one receiver and stops offering; recv
 * connects to it, waiting for it up to --timeout. Directory checks, stale
 * sockets, credentials and handing the channel over are all the service's.
 *
 * In the channel (docs/wire.md): send's info message (pipe_proto.h), the
 * bytes of stdin as messages of any length, then one empty message for the
 * end of the input. After it, send waits until recv has released every
 * message (all of it was written out) and closes; recv waits for that
 * close before it closes its own end. So a close by either side before the
 * end says that it stopped early (recv: its reader quit), and a side that
 * dies is told apart from one that closed (-ECONNRESET, not -EPIPE). */
#include "cli.h"
#include "pipe_net.h"
#include "pipe_proto.h"

#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The service's name is PIPE_PREFIX NAME: NAME may be as long as the rest
 * of what a service name allows. */
#define PIPE_PREFIX "pipe-"
#define PIPE_NAME_MAX (MR_SVC_NAME_MAX - (int)(sizeof PIPE_PREFIX - 1))
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
    "by NAME: send offers the service pipe-NAME (a Unix socket in a private\n"
    "directory of this user, $XDG_RUNTIME_DIR/memregion-UID or\n"
    "/tmp/memregion-UID, listed by 'memregion services' while it waits),\n"
    "recv connects to it, and each checks that the other runs as the same\n"
    "user.\n"
    "\n"
    "When the input ends, recv writes what is left and exits 0. If either side\n"
    "dies, the other exits 1 with a message. If recv's reader quits, recv\n"
    "exits 0 and send exits 1 (its input was not all delivered).\n"
    "\n"    "Across hosts, over memregion's network layer (UCX), recv listens and\n"
    "send connects; either may still start first, and NAME must match:\n"
    "  hostB$ memregion pipe recv x --listen 0.0.0.0:7118 --allow 10.0.0.0/8\n"
    "  hostA$ producer | memregion pipe send x --to hostB:7118\n"
    "The network carries the bytes unencrypted: see 'memregion net --help'.\n"
    "\n"
    "Run 'memregion pipe send --help' or 'memregion pipe recv --help' for the\n"
    "options.\n";

static const char send_help[] =
    "usage: memregion pipe send NAME [--capacity BYTES] [--timeout SECONDS]\n"
    "                                [--size BYTES] [--quiet]\n"
    "       memregion pipe send NAME --to HOST:PORT [--transport T]\n"
    "                                [--timeout SECONDS] [--size BYTES] [--quiet]\n"
    "\n"
    "Send standard input to 'memregion pipe recv NAME' through a shared-memory\n"
    "channel. NAME is 1 to 59 letters, digits, '.', '_' or '-', not starting\n"
    "with '.' (the service's name, pipe-NAME, has at most 64).\n"
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
    "      --to HOST:PORT     send to 'memregion pipe recv NAME --listen' on\n"
    "                         another host, trying again until it listens\n"
    "                         (within --timeout)\n"
    "  -T, --transport T      with --to: tcp (default), auto, sm or rdma\n"
    "  -h, --help             show this help\n"
    "\n"
    "examples:\n"
    "  tar c dir | memregion pipe send backup\n"
    "  tar c dir | memregion pipe send backup --to hostB:7118\n";

static const char recv_help[] =
    "usage: memregion pipe recv NAME [--timeout SECONDS] [--size BYTES] [--quiet]\n"    "       memregion pipe recv NAME --listen ADDR [--allow ADDR[/BITS]]...\n"
    "                                [--transport T] [--timeout SECONDS] [--quiet]\n"
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
    "  -l, --listen ADDR      receive from 'memregion pipe send NAME --to' on\n"
    "                         another host: listen on ADDR (0.0.0.0:7118; port\n"
    "                         0 picks one), said on stderr, for one sender\n"
    "  -a, --allow ADDR[/BITS] with --listen: accept a sender from this address\n"
    "                         or network (repeat up to 16; default loopback)\n"
    "  -T, --transport T      with --listen: tcp (default), auto, sm or rdma\n"
    "  -h, --help             show this help\n"
    "\n"
    "examples:\n"
    "  memregion pipe recv backup | tar x\n"
    "  memregion pipe recv backup --listen 0.0.0.0:7118 --allow 10.1.2.3 | tar x\n";

/* --to has no short form. */
#define PIPE_OPT_TO 256

static int pipe_opt(int c, const char *arg, void *ctx)
{
    struct pipe_opts *o = ctx;
    switch (c) {
    case 'c':
        o->capacity_set = true;
        return cli_opt_capacity(arg, &o->capacity);
    case 't':
        return cli_opt_timeout(arg, &o->timeout_s);
    case 's':
        o->size_set = true;
        return cli_opt_u64("size", arg, true, &o->size);
    case 'q':
        o->quiet = true;
        return 0;
    case PIPE_OPT_TO:
        o->to = arg;
        return 0;
    case 'l':
        o->listen = arg;
        return 0;
    case 'a':
        return cli_net_opt_allow(&o->net, arg);
    case 'T':
        return cli_net_opt_transport(&o->net, arg);
    }
    return CLI_USAGE;
}

/* The command line of send or recv: -1 with the service's name in svc
 * (PIPE_PREFIX NAME) and *name set, or an exit status (CLI_OK after
 * --help). missing: what the usage error for a missing NAME says. */
static int pipe_args(int argc, char **argv, const char *help, const char *missing,
                     struct pipe_opts *o, const char **name, char svc[MR_SVC_NAME_MAX + 1])
{
    static const struct option longs[] = { { "capacity", required_argument, NULL, 'c' },
                                           { "timeout", required_argument, NULL, 't' },
                                           { "size", required_argument, NULL, 's' },
                                           { "quiet", no_argument, NULL, 'q' },
                                           { "to", required_argument, NULL, PIPE_OPT_TO },
                                           { "listen", required_argument, NULL, 'l' },
                                           { "allow", required_argument, NULL, 'a' },
                                           { "transport", required_argument, NULL, 'T' },
                                           { 0 } };
    int first, rc;
    if ((rc = cli_getopt(argc, argv, "c:t:s:ql:a:T:", longs, help, pipe_opt, o, &first)) >= 0)
        return rc;
    const char *n = NULL;
    if ((rc = cli_one_operand(argc, argv, first, missing, &n)) >= 0)
        return rc;
    if (!cli_name_ok(n, false) || strlen(n) > PIPE_NAME_MAX)
        return cli_usage_error("invalid NAME '%s': 1 to %d letters, digits, '.', '_' or '-', "
                               "not starting with '.'", n, PIPE_NAME_MAX);
    snprintf(svc, MR_SVC_NAME_MAX + 1, PIPE_PREFIX "%s", n);
    *name = n;
    return -1;
}

/* Grow fd's kernel pipe towards KERNEL_PIPE_SIZE, when fd is a pipe. A
 * size refused (a lower pipe-max-size, this user's pipe quota used up)
 * leaves the pipe as it is: it works, only slower. */
void pipe_grow(int fd)
{
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISFIFO(st.st_mode))
        return;
    int have = fcntl(fd, F_GETPIPE_SZ);
    for (int size = KERNEL_PIPE_SIZE; have > 0 && size > have; size /= 2)
        if (fcntl(fd, F_SETPIPE_SZ, size) >= 0)
            return;
}

/* The failure to meet the peer that both sides word alike. */
static int meet_failed(const char *name, int rc)
{
    if (rc == -ENAMETOOLONG)
        return cli_fail(name, rc, "the service's socket path is too long for a Unix socket "
                                  "(set XDG_RUNTIME_DIR to a shorter directory)");
    return cli_fail(name, rc, NULL);
}

/* The peer stopped before the end of the input: closed (its own message
 * says why: for the receiver, its reader quit), went without closing, or
 * broke something. peer is "sender" or "receiver". */
int pipe_peer_gone(const char *name, int rc, const char *peer)
{
    bool sender = strcmp(peer, "sender") == 0;
    if (rc == -EPIPE && sender)
        return cli_fail(name, rc, "the sender stopped before the end of its input (it failed: "
                                  "see its message)");
    if (rc == -EPIPE)
        return cli_fail(name, rc, "the receiver's reader quit before the end of the input (or "
                                  "the receiver failed: see its message)");
    if (rc == -ECONNRESET)
        return cli_fail(name, rc, "the %s went away before the end of %s input (it died or "
                                  "was killed)", peer, sender ? "its" : "the");
    return cli_fail(name, rc, NULL);
}

/* ---- send --------------------------------------------------------------------- */

/* Send the info, stdin, and the end into c; then wait for the receiver to
 * have released everything. An exit status. */
static int send_stream(struct mr_chan *c, const char *name, uint64_t size, bool quiet)
{
    unsigned char info[PIPE_INFO_LEN];
    pipe_info_make(info, size);
    ssize_t sent = mr_chan_send(c, MR_REGION_OF_ARRAY(info), MR_FOREVER);
    if (sent < 0)
        return pipe_peer_gone(name, (int)sent, "receiver");

    /* Read straight into the ring. A chunk of a quarter of the ring lets
     * the receiver drain three while one fills; reserve waits for that much
     * room, and what read did not fill is given back by the commit. */
    size_t chunk = mr_chan_capacity(c) / 4;
    if (chunk > CHUNK_MAX)
        chunk = CHUNK_MAX;
    struct cli_progress pr;
    cli_progress_init(&pr, quiet, size);
    uint64_t done = 0;
    int rc, status = CLI_OK;
    for (;;) {
        struct mr_region r;
        if ((rc = mr_chan_reserve(c, chunk, MR_FOREVER, &r)) < 0) {
            status = pipe_peer_gone(name, rc, "receiver");
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
        if ((rc = mr_chan_commit(c, (size_t)n)) < 0) {
            status = cli_fail(name, rc, NULL);
            break;
        }
        if (n == 0) {
            /* Room for the largest message is there only once the ring is
             * empty: the receiver released the end marker, after writing
             * out everything before it. So this exit status says whether
             * the input arrived. */
            if ((rc = mr_chan_reserve(c, mr_chan_max_msg(c), MR_FOREVER, &r)) < 0)
                status = pipe_peer_gone(name, rc, "receiver");
            break;
        }
        done += (uint64_t)n;
        cli_progress_show(&pr, done, false);
    }
    cli_progress_show(&pr, done, true);
    return status;
}

static int pipe_send(int argc, char **argv)
{
    struct pipe_opts o = { .capacity = DEFAULT_CAPACITY, .timeout_s = 30, .net.transport = CLI_NET_TCP };
    const char *name = NULL;
    char svc[MR_SVC_NAME_MAX + 1];
    int rc = pipe_args(argc, argv, send_help, "NAME (the name 'memregion pipe recv' will use)",
                       &o, &name, svc);
    if (rc >= 0)
        return rc;
    if (o.listen || o.net.allow_count)
        return cli_usage_error("--listen and --allow are options of 'pipe recv' (send connects "
                               "to it with --to HOST:PORT)");
    if (!o.to && o.net.transport != CLI_NET_TCP)
        return cli_usage_error("--transport goes with --to");

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
    if (o.to)
        return pipe_net_send(name, &o, size);

    struct mr_svc_opts so = { (size_t)o.capacity, MR_SVC_TO_CLIENT, NULL, NULL };
    struct mr_svc_conn c;
    rc = cli_svc_accept_one(svc, &so, o.timeout_s, &c);
    if (rc == -EADDRINUSE)
        return cli_fail(name, rc, "another 'memregion pipe send %s' is waiting (pick another "
                                  "name)", name);
    if (rc == -ETIMEDOUT)
        return cli_fail(name, rc, "nobody ran 'memregion pipe recv %s' within %llu s", name,
                        (unsigned long long)o.timeout_s);
    if (rc == -ENOMEM)
        return cli_fail(name, rc, "cannot make a channel of %llu bytes: %s",
                        (unsigned long long)o.capacity, mr_strerror(rc));
    if (rc < 0)
        return meet_failed(name, rc);
    int status = send_stream(&c.tx, name, size, o.quiet);
    mr_svc_conn_close(&c);
    return status;
}

/* ---- recv --------------------------------------------------------------------- */

/* Write the messages of c to stdout up to the end marker. An exit status. */
static int recv_stream(struct mr_chan *c, const char *name, uint64_t size, bool quiet)
{
    /* A reader that quits is the normal end of `recv | head`: EPIPE from
     * write, not a signal. */
    signal(SIGPIPE, SIG_IGN);
    pipe_grow(STDOUT_FILENO);

    struct cli_progress pr;
    cli_progress_init(&pr, quiet, size);
    uint64_t done = 0;
    int rc, status = CLI_OK;
    for (;;) {
        struct mr_region r;
        if ((rc = mr_chan_peek(c, MR_FOREVER, &r)) < 0) {
            status = pipe_peer_gone(name, rc, "sender");
            break;
        }
        if (r.len == 0) {
            if ((rc = mr_chan_release(c)) < 0) {
                status = cli_fail(name, rc, NULL);
                break;
            }
            /* Closed now, this end could look to the sender, before it
             * sees the ring empty, like a reader that quit: wait for its
             * close (bounded: everything is written out already). */
            if (mr_chan_peek(c, MR_SVC_HANDSHAKE_MS, &r) == 0)
                status = cli_fail(name, -EPROTO, "the sender sent more after the end of its "
                                                 "input");
            break;
        }
        if ((rc = cli_write_all(STDOUT_FILENO, r.ptr, r.len)) < 0) {
            /* A reader that quit ends recv well; closing the channel tells
             * the sender, whose input was not all delivered. */
            if (rc != -EPIPE && rc != -ECONNRESET)
                status = cli_fail("stdout", rc, NULL);
            break;
        }
        if ((rc = mr_chan_release(c)) < 0) {
            status = cli_fail(name, rc, NULL);
            break;
        }
        done += r.len;
        cli_progress_show(&pr, done, false);
    }
    cli_progress_show(&pr, done, true);
    return status;
}

static int pipe_recv(int argc, char **argv)
{
    struct pipe_opts o = { .capacity = DEFAULT_CAPACITY, .timeout_s = 30, .net.transport = CLI_NET_TCP };
    const char *name = NULL;
    char svc[MR_SVC_NAME_MAX + 1];
    int rc = pipe_args(argc, argv, recv_help, "NAME (the name 'memregion pipe send' uses)", &o,
                       &name, svc);
    if (rc >= 0)
        return rc;
    if (o.capacity_set)
        return cli_usage_error("--capacity is an option of 'pipe send' (the sender makes the "
                               "channel)");
    if (o.to)
        return cli_usage_error("--to is an option of 'pipe send' (recv listens: --listen ADDR)");
    if (!o.listen && (o.net.allow_count || o.net.transport != CLI_NET_TCP))
        return cli_usage_error("--allow and --transport go with --listen");
    if (o.listen)
        return pipe_net_recv(name, &o);

    struct mr_svc_conn c;
    rc = mr_svc_connect(&c, svc, NULL, cli_timeout_ms(o.timeout_s));
    if (rc == -ETIMEDOUT)
        return cli_fail(name, rc, "no 'memregion pipe send %s' came within %llu s", name,
                        (unsigned long long)o.timeout_s);
    if (rc == -EACCES)
        return cli_fail(name, rc, "the sender runs as another user: refused");
    if (rc < 0 && rc != -EPROTO)
        return meet_failed(name, rc);
    /* The first message is the sender's info, sent as soon as it accepted:
     * a peer that has none to give is not 'memregion pipe send'. A closed
     * end has capacity 0: the service must have the one channel, to us. */
    int status = CLI_OK;
    uint64_t size = PIPE_SIZE_UNKNOWN;
    struct mr_region r;
    if (rc == 0 && (mr_chan_capacity(&c.rx) == 0 || mr_chan_capacity(&c.tx) != 0))
        rc = -EPROTO;
    else if (rc == 0 && (rc = mr_chan_peek(&c.rx, MR_SVC_HANDSHAKE_MS, &r)) == 0)
        rc = pipe_info_parse(r.ptr, r.len, &size) < 0 ? -EPROTO : mr_chan_release(&c.rx);
    if (rc == -EPROTO || rc == -ETIMEDOUT)
        status = cli_fail(name, rc, "%s is not 'memregion pipe send' of this version", svc);
    else if (rc < 0)
        status = pipe_peer_gone(name, rc, "sender");
    if (status == CLI_OK)
        status = recv_stream(&c.rx, name, o.size_set ? o.size : size, o.quiet);
    mr_svc_conn_close(&c);
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
