/* SPDX-License-Identifier: MIT */
/* tools/cmd_serve.c: `memregion serve NAME` and `memregion connect NAME`:
 * standard input and output carried over a duplex service (memregion/svc.h),
 * as `socat - UNIX-LISTEN:path` and `socat - UNIX-CONNECT:path` carry them
 * over a socket.
 *
 * serve offers NAME, accepts one client and stops offering; connect meets
 * it by NAME. Each side then moves its stdin into its tx channel (read(2)
 * straight into reserved ring space, one message per read, an empty
 * message at the end of the input) and its rx channel to its stdout
 * (write(2) straight from the peeked message), in one thread and one
 * poll(2) loop over stdin, stdout and the connection's doorbell. Each side
 * exits 0 when both directions have ended (the peer's empty message or its
 * close, and its own input's end), 1 when the peer dies. */
#include "cli.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* As `memregion pipe`: a chunk of a quarter of the ring, at most 1 MiB,
 * lets the peer drain three while one fills. */
#define CHUNK_MAX ((size_t)1 << 20)
/* Messages written out before input gets a turn, so that neither direction
 * starves the other. */
#define OUT_BURST 16

static const char serve_help[] =
    "usage: memregion serve NAME [--capacity BYTES] [--timeout SECONDS] [--any-user]\n"
    "\n"
    "Offer the service NAME, wait for one 'memregion connect NAME' (or any\n"
    "program connecting with mr_svc_connect), then carry standard input to it\n"
    "and what it sends to standard output, like 'socat - UNIX-LISTEN:PATH'\n"
    "does over a socket. One client, as socat's default: the name is free\n"
    "again as soon as the client is connected. The bytes go through a pair of\n"
    "shared-memory channels (sealed memfds), one each way; the service's\n"
    "socket carries only the rendezvous and the wake-ups.\n"
    "NAME is 1 to 64 letters, digits, '.', '_' or '-', not starting with '.';\n"
    "'@NAME' is in Linux's abstract namespace (no file; see 'man mr_svc_offer').\n"
    "\n"
    "serve exits 0 when both directions have ended: its input has ended\n"
    "and the client has ended its own (or closed). If the client dies, serve\n"
    "exits 1 with a message. If standard output's reader quits, serve exits 0\n"
    "and closes the connection.\n"
    "\n"
    "options:\n"
    "  -c, --capacity BYTES   each channel's ring: a power of two, 4K to 1G\n"
    "                         (default 1M; K, M, G suffixes)\n"
    "  -t, --timeout SECONDS  give up when no client comes within this long\n"
    "                         (default 30; 0 waits forever). Once connected,\n"
    "                         the connection may stay idle for any time.\n"
    "  -a, --any-user         accept a client of any user (by default only\n"
    "                         this user's processes)\n"
    "  -h, --help             show this help\n"
    "\n"
    "example:\n"
    "  memregion serve files < request.txt > reply.txt\n";

static const char connect_help[] =
    "usage: memregion connect NAME [--timeout SECONDS] [--any-user]\n"
    "\n"
    "Connect to the service NAME ('memregion serve NAME', or any program\n"
    "offering it with mr_svc_offer), waiting for it to be offered, then carry\n"
    "standard input to it and what it sends to standard output, like\n"
    "'socat - UNIX-CONNECT:PATH'. A service that sends only one way is\n"
    "carried that way.\n"
    "\n"
    "connect exits 0 when both directions have ended: its input has ended\n"
    "and the server has ended its own (or closed). If the server dies,\n"
    "connect exits 1 with a message. If standard output's reader quits,\n"
    "connect exits 0 and closes the connection.\n"
    "\n"
    "options:\n"
    "  -t, --timeout SECONDS  give up when no server offers NAME within this\n"
    "                         long (default 30; 0 waits forever)\n"
    "  -a, --any-user         accept a server of any user (by default only\n"
    "                         this user's)\n"
    "  -h, --help             show this help\n"
    "\n"
    "example:\n"
    "  memregion connect files < reply.txt > request.txt\n";

struct serve_opts {
    uint64_t capacity, timeout_s;
    bool capacity_set, any_user;
};

static int serve_opt(int c, const char *arg, void *ctx)
{
    struct serve_opts *o = ctx;
    switch (c) {
    case 'c':
        o->capacity_set = true;
        return cli_opt_capacity(arg, &o->capacity);
    case 't':
        return cli_opt_timeout(arg, &o->timeout_s);
    case 'a':
        o->any_user = true;
        return 0;
    }
    return CLI_USAGE;
}

/* The command line of serve or connect: -1 and *name set, or an exit
 * status (CLI_OK after --help). */
static int serve_args(int argc, char **argv, const char *help, struct serve_opts *o,
                      const char **name)
{
    static const struct option longs[] = { { "capacity", required_argument, NULL, 'c' },
                                           { "timeout", required_argument, NULL, 't' },
                                           { "any-user", no_argument, NULL, 'a' },
                                           { 0 } };
    int first, rc;
    if ((rc = cli_getopt(argc, argv, "c:t:a", longs, help, serve_opt, o, &first)) >= 0)
        return rc;
    return cli_name_operand(argc, argv, first, "NAME (the service's name)", name);
}

/* ---- what a signal must undo ------------------------------------------------------
 * Neither side may leave standard output non-blocking for the shell that
 * shares it. (A serve stopped while it waits for its client is
 * cli_svc_accept_one's to clean up after.) */

static volatile sig_atomic_t stdout_flags = -1;

static void undo(void)
{
    if (stdout_flags >= 0)
        fcntl(STDOUT_FILENO, F_SETFL, (int)stdout_flags);
}

/* ---- the two directions -------------------------------------------------------- */

struct duplex {
    struct mr_svc_conn *c;
    const char *name, *peer; /* "client" or "server", for messages */
    size_t chunk;
    bool in_done, out_done;
    bool in_ready;           /* stdin polled readable (always, for a file) */
    bool in_file;
    bool reserved;           /* res is held in tx */
    struct mr_region res;
    bool peeked;             /* msg is held in rx, off bytes of it written */
    struct mr_region msg;
    size_t off;
    bool out_blocked;        /* stdout said EAGAIN: wait for POLLOUT */
    bool out_watch;          /* stdout is a pipe or socket: its reader can leave */
    int bell;                /* the ends' event fd; -1 once it hung up */
};

static int peer_error(const struct duplex *d, int rc)
{
    if (rc == -ECONNRESET)
        return cli_fail(d->name, rc, "the %s went away without closing (it died or was killed)",
                        d->peer);
    return cli_fail(d->name, rc, NULL);
}

/* Write peeked messages out until none is left, stdout would block, or a
 * burst is done. 0, or an exit status. */
static int pump_out(struct duplex *d, bool *progress)
{
    for (int i = 0; i < OUT_BURST && !d->out_done; i++) {
        if (!d->peeked) {
            int rc = mr_chan_try_peek(&d->c->rx, &d->msg);
            if (rc == -EAGAIN)
                return 0;
            if (rc == -EPIPE) {
                d->out_done = true;
                return 0;
            }
            if (rc < 0)
                return peer_error(d, rc);
            *progress = true;
            if (d->msg.len == 0) {
                d->out_done = true;
                rc = mr_chan_release(&d->c->rx);
                return rc < 0 ? peer_error(d, rc) : 0;
            }
            d->peeked = true;
            d->off = 0;
        }
        if (d->out_blocked)
            return 0;
        ssize_t k = write(STDOUT_FILENO, (const unsigned char *)d->msg.ptr + d->off,
                          d->msg.len - d->off);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN) {
                d->out_blocked = true;
                return 0;
            }
            if (errno == EPIPE) {
                /* The reader quit, as `serve x | head` ends: nothing more
                 * to do for either direction. */
                d->out_done = d->in_done = true;
                return 0;
            }
            return cli_fail("stdout", -errno, NULL);
        }
        *progress = true;
        d->off += (size_t)k;
        if (d->off == d->msg.len) {
            d->peeked = false;
            int rc = mr_chan_release(&d->c->rx);
            if (rc < 0)
                return peer_error(d, rc);
        }
    }
    return 0;
}

/* Read one chunk of input into the ring when there is room and stdin is
 * readable. 0, or an exit status. */
static int pump_in(struct duplex *d, bool *progress)
{
    if (d->in_done)
        return 0;
    if (!d->reserved) {
        int rc = mr_chan_try_reserve(&d->c->tx, d->chunk, &d->res);
        if (rc == -EAGAIN)
            return 0;
        if (rc == -EPIPE) {
            /* The peer takes no more: the rest of the input is not wanted. */
            d->in_done = true;
            return 0;
        }
        if (rc < 0)
            return peer_error(d, rc);
        d->reserved = true;
    }
    if (!d->in_ready)
        return 0;
    ssize_t n = read(STDIN_FILENO, d->res.ptr, d->res.len);
    if (n < 0) {
        if (errno == EINTR)
            return 0;
        if (errno == EAGAIN) {
            d->in_ready = false;
            return 0;
        }
        return cli_fail("stdin", -errno, NULL);
    }
    d->reserved = false;
    int rc = mr_chan_commit(&d->c->tx, (size_t)n);
    if (rc < 0)
        return peer_error(d, rc);
    *progress = true;
    if (n == 0)
        d->in_done = true;
    else if (!d->in_file)
        d->in_ready = false; /* a pipe or terminal may have no more now */
    return 0;
}

/* Arm the ends that wait: 1 when one of them can make progress already,
 * 0 when all waiting ones are armed, or an exit status (as -status). */
static int arm(struct duplex *d)
{
    int rc, now = 0;
    if (!d->out_done && !d->peeked) {
        rc = mr_chan_arm(&d->c->rx, 0);
        if (rc == -EPIPE || rc == 1)
            now = 1; /* the peek says which: a message, or the end */
        else if (rc < 0)
            return -peer_error(d, rc);
    }
    if (!d->in_done && !d->reserved) {
        rc = mr_chan_arm(&d->c->tx, d->chunk);
        if (rc == -EPIPE)
            d->in_done = true;
        else if (rc == 1)
            now = 1;
        else if (rc < 0)
            return -peer_error(d, rc);
    }
    return now;
}

/* The doorbell hung up: the peer closed or died. A reservation waiting
 * for input would never hear of it (nothing else rings now): ask. */
static int bell_hung_up(struct duplex *d)
{
    if (d->in_done || !d->reserved)
        return 0;
    int rc = mr_chan_check_peer(&d->c->tx);
    if (rc == -EPIPE)
        d->in_done = true;
    else if (rc < 0)
        return peer_error(d, rc);
    return 0;
}

/* Poll stdin (when room waits for it), stdout (when it said EAGAIN) and
 * the doorbell for up to timeout_ms, and note what is ready. 0 and *ready
 * set, or an exit status. */
static int wait_events(struct duplex *d, int timeout_ms, bool *ready)
{
    struct pollfd p[3] = { { d->bell, POLLIN, 0 }, { -1, 0, 0 }, { -1, 0, 0 } };
    if (!d->in_done && d->reserved)
        p[1] = (struct pollfd){ STDIN_FILENO, POLLIN, 0 };
    /* Polled for no event, a pipe whose reader left still says POLLERR:
     * `connect x | head -c 1` ends when head does, not at the next byte. */
    if (!d->out_done && (d->out_blocked || d->out_watch))
        p[2] = (struct pollfd){ STDOUT_FILENO, d->out_blocked ? POLLOUT : 0, 0 };
    int n = poll(p, 3, timeout_ms);
    *ready = n != 0;
    if (n < 0)
        return errno == EINTR ? 0 : cli_fail(d->name, -errno, NULL);
    if (p[0].revents) {
        if (d->c->rx.hdr)
            mr_chan_ack(&d->c->rx);
        if (d->c->tx.hdr)
            mr_chan_ack(&d->c->tx);
        if (p[0].revents & (POLLHUP | POLLERR)) {
            /* Readable for good from now on: polling it again would spin.
             * The ends know the peer is gone and say so. */
            d->bell = -1;
            int rc = bell_hung_up(d);
            if (rc != 0)
                return rc;
        }
    }
    if (p[1].revents)
        d->in_ready = true;
    if (p[2].revents & (POLLERR | POLLHUP) && !d->peeked) {
        /* The reader quit, as a write's EPIPE says (pump_out). */
        d->out_done = d->in_done = true;
    } else if (p[2].revents) {
        d->out_blocked = false; /* the write says what is wrong, if anything */
    }
    return 0;
}

static int duplex_run(struct duplex *d)
{
    d->bell = mr_chan_event_fd(d->c->rx.hdr ? &d->c->rx : &d->c->tx);
    if (d->bell < 0)
        return cli_fail(d->name, d->bell, NULL);
    for (;;) {
        bool progress = false, ready;
        int rc = pump_out(d, &progress);
        if (rc == 0)
            rc = pump_in(d, &progress);
        if (rc != 0)
            return rc;
        if (d->in_done && d->out_done)
            return CLI_OK;
        if (progress)
            continue;
        /* A pipe that has more input, or room again, is the common case
         * while data streams: a look costs less than arming the ends. */
        if ((rc = wait_events(d, 0, &ready)) != 0)
            return rc;
        if (ready)
            continue;
        if ((rc = arm(d)) < 0)
            return -rc;
        if (rc == 1 || (d->in_done && d->out_done))
            continue;
        if ((rc = wait_events(d, -1, &ready)) != 0)
            return rc;
    }
}

/* Carry stdin and stdout over the connection c until both directions end. */
static int carry(struct mr_svc_conn *c, const char *name, const char *peer)
{
    struct duplex d = { .c = c, .name = name, .peer = peer };
    struct stat st;
    d.in_file = fstat(STDIN_FILENO, &st) == 0 && S_ISREG(st.st_mode);
    d.in_done = c->tx.hdr == NULL;
    d.out_done = c->rx.hdr == NULL;
    if (!d.in_done) {
        d.chunk = mr_chan_capacity(&c->tx) / 4;
        if (d.chunk > CHUNK_MAX)
            d.chunk = CHUNK_MAX;
        /* A pipe or terminal is read only after poll says it is readable,
         * when read(2) returns what is there without waiting. */
        d.in_ready = d.in_file;
    }
    /* A reader that quits is an end (EPIPE from write), not a signal. */
    signal(SIGPIPE, SIG_IGN);
    d.out_watch = !d.out_done && fstat(STDOUT_FILENO, &st) == 0 &&
                  (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode));
    if (!d.out_done && fstat(STDOUT_FILENO, &st) == 0 && !S_ISREG(st.st_mode)) {
        int fl = fcntl(STDOUT_FILENO, F_GETFL);
        if (fl >= 0 && !(fl & O_NONBLOCK) &&
            fcntl(STDOUT_FILENO, F_SETFL, fl | O_NONBLOCK) == 0)
            stdout_flags = fl;
    }
    cli_stop_signals(undo);
    int status = duplex_run(&d);
    cli_stop_signals(NULL);
    undo();
    stdout_flags = -1;
    return status;
}

/* ---- serve and connect ------------------------------------------------------------ */

int cmd_serve(int argc, char **argv)
{
    struct serve_opts o = { .capacity = MR_SVC_CAPACITY_DEFAULT, .timeout_s = 30 };
    const char *name = NULL;
    int rc = serve_args(argc, argv, serve_help, &o, &name);
    if (rc >= 0)
        return rc;
    struct mr_svc_opts so = { (size_t)o.capacity,
                              MR_SVC_DUPLEX | (o.any_user ? MR_SVC_ANY_UID : 0u), NULL, NULL };
    struct mr_svc_conn c;
    rc = cli_svc_accept_one(name, &so, o.timeout_s, &c);
    if (rc == -EADDRINUSE)
        return cli_fail(name, rc, "another server offers %s (pick another name)", name);
    if (rc == -ETIMEDOUT)
        return cli_fail(name, rc, "nobody ran 'memregion connect %s' within %llu s", name,
                        (unsigned long long)o.timeout_s);
    if (rc < 0)
        return cli_fail(name, rc, NULL);
    int status = carry(&c, name, "client");
    mr_svc_conn_close(&c);
    return status;
}

int cmd_connect(int argc, char **argv)
{
    struct serve_opts o = { .timeout_s = 30 };
    const char *name = NULL;
    int rc = serve_args(argc, argv, connect_help, &o, &name);
    if (rc >= 0)
        return rc;
    if (o.capacity_set)
        return cli_usage_error("--capacity is an option of 'serve' (the server makes the "
                               "channels)");
    struct mr_svc_opts so = { 0, o.any_user ? MR_SVC_ANY_UID : 0u, NULL, NULL };
    struct mr_svc_conn c = MR_SVC_CONN_INIT;
    rc = mr_svc_connect(&c, name, &so, cli_timeout_ms(o.timeout_s));
    if (rc == -ETIMEDOUT)
        return cli_fail(name, rc, "no 'memregion serve %s' came within %llu s", name,
                        (unsigned long long)o.timeout_s);
    if (rc == -EACCES)
        return cli_fail(name, rc, "the server runs as another user, or refused this one "
                                  "(--any-user accepts a server of another user)");
    if (rc < 0)
        return cli_fail(name, rc, NULL);
    int status = carry(&c, name, "server");
    mr_svc_conn_close(&c);
    return status;
}
