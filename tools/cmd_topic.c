/* SPDX-License-Identifier: MIT */
/* tools/cmd_topic.c: `memregion pub NAME` and `memregion sub NAME`:
 * standard input published line by line (or in fixed-size records) on a
 * topic (memregion/topic.h), and a subscriber that writes every message to
 * standard output, so `pub < file` with any number of `sub > copy` gives
 * each copy byte for byte (reliable; --latest may lose lines, never tear
 * one).
 *
 * sub follows one or several topics (a waitset over their fds, as
 * docs/topic.md shows), writing each message whole.
 *
 * pub waits for --wait subscribers, then reads stdin in one poll(2) loop
 * that also accepts subscribers arriving later; each message is written
 * into reserved ring space, once, whatever the number of subscribers. */
#include "cli.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define READ_CHUNK ((size_t)64 * 1024)

static const char pub_help[] =
    "usage: memregion pub NAME [--capacity BYTES] [--latest] [--keep N] [--size BYTES]\n"
    "                          [--wait N] [--timeout SECONDS] [--any-user] [--json]\n"
    "\n"
    "Publish standard input on the topic NAME, one message per line (the\n"
    "newline included), or per --size bytes, to every 'memregion sub NAME'\n"
    "(or program attached with mr_topic_attach). Each message is written once\n"
    "into a ring in a sealed memfd that every subscriber reads in place; no\n"
    "subscriber can write what another reads. Reliable by default: each\n"
    "subscriber gets every message, and one that holds the publisher back for\n"
    "a second without reading is dropped. With --latest the publisher never\n"
    "waits: a slow subscriber loses lines (whole lines, never part of one).\n"
    "Subscribers may come and go while it runs. A line longer than 64 KiB is\n"
    "split. NAME is a service name ('man mr_svc_offer').\n"
    "\n"
    "pub exits 0 at the end of its input (the subscribers then read what is\n"
    "left and end too).\n"
    "\n"
    "options:\n"
    "  -c, --capacity BYTES   the ring: a power of two, 4K to 1G (default 1M)\n"
    "  -l, --latest           never wait for subscribers (they may lose lines)\n"
    "  -k, --keep N           a subscriber that comes late first gets the last\n"
    "                         N messages still in the ring (default 0)\n"
    "  -s, --size BYTES       fixed-size records instead of lines\n"
    "  -w, --wait N           wait for N subscribers before reading the input\n"
    "                         (default 1; 0 starts at once)\n"
    "  -t, --timeout SECONDS  give up when they do not come within this long\n"
    "                         (default 30; 0 waits forever)\n"
    "  -a, --any-user         accept subscribers of any user (by default only\n"
    "                         this user's processes)\n"
    "  -j, --json             figures on exit, as JSON on standard output\n"
    "  -h, --help             show this help\n"
    "\n"
    "example:\n"
    "  tail -f app.log | memregion pub logs --latest --wait 0\n";

static const char sub_help[] =
    "usage: memregion sub NAME [NAME...] [--timeout SECONDS] [--any-user] [--json]\n"
    "\n"
    "Subscribe to the topic NAME ('memregion pub NAME', or any program\n"
    "publishing with mr_topic_create), waiting for it, and write every message\n"
    "to standard output as it comes. With several NAMEs (up to 64: one topic\n"
    "with several publishers is several names, cam.0, cam.1, ...), follow\n"
    "them all at once: each message is written whole, in its publisher's\n"
    "order; messages of different publishers interleave as they come.\n"
    "\n"
    "sub exits 0 when every publisher has ended and every message is written,\n"
    "or when standard output's reader quits; 1 when a publisher dies or\n"
    "drops this subscriber (it read too slowly), after following the others\n"
    "to their end.\n"
    "\n"
    "options:\n"
    "  -t, --timeout SECONDS  give up when a publisher does not accept within\n"
    "                         this long (each; default 30; 0 waits forever)\n"
    "  -a, --any-user         follow a publisher of any user (by default only\n"
    "                         this user's)\n"
    "  -j, --json             figures on exit (messages, bytes, lost, summed over\n"
    "                         the topics; topics), as JSON on standard error\n"
    "  -h, --help             show this help\n"
    "\n"
    "examples:\n"
    "  memregion sub logs | grep ERROR\n"
    "  memregion sub cam.0 cam.1 cam.2 > frames\n";

struct topic_opts {
    uint64_t capacity, keep, size, wait, timeout_s;
    bool latest, any_user, json, pub_only;
};

static int topic_opt(int c, const char *arg, void *ctx)
{
    struct topic_opts *o = ctx;
    switch (c) {
    case 'c':
        o->pub_only = true;
        return cli_opt_capacity(arg, &o->capacity);
    case 'l':
        o->pub_only = true;
        o->latest = true;
        return 0;
    case 'k':
        o->pub_only = true;
        return cli_opt_u64("keep", arg, false, &o->keep);
    case 's':
        o->pub_only = true;
        return cli_opt_u64("size", arg, true, &o->size);
    case 'w':
        o->pub_only = true;
        return cli_opt_u64("wait", arg, false, &o->wait);
    case 't':
        return cli_opt_timeout(arg, &o->timeout_s);
    case 'a':
        o->any_user = true;
        return 0;
    case 'j':
        o->json = true;
        return 0;
    }
    return CLI_USAGE;
}

/* The options of pub or sub: -1 and *first the index of the first
 * operand, or an exit status. */
static int topic_args(int argc, char **argv, const char *help, struct topic_opts *o, int *first)
{
    static const struct option longs[] = { { "capacity", required_argument, NULL, 'c' },
                                           { "latest", no_argument, NULL, 'l' },
                                           { "keep", required_argument, NULL, 'k' },
                                           { "size", required_argument, NULL, 's' },
                                           { "wait", required_argument, NULL, 'w' },
                                           { "timeout", required_argument, NULL, 't' },
                                           { "any-user", no_argument, NULL, 'a' },
                                           { "json", no_argument, NULL, 'j' },
                                           { 0 } };
    return cli_getopt(argc, argv, "c:lk:s:w:t:aj", longs, help, topic_opt, o, first);
}

/* ---- pub ----------------------------------------------------------------------- */

/* Publish the n bytes at p as messages: lines (the newline kept) or
 * records of size; a part left at the end (no newline yet, a short record)
 * is kept in *left for the next chunk unless end is true. */
static int publish_chunk(struct mr_topic *t, const char *name, size_t size, const char *p,
                         size_t n, bool end, size_t *left)
{
    size_t max = mr_topic_max_msg(t), off = 0;
    while (off < n) {
        size_t len;
        if (size) {
            len = n - off < size ? n - off : size;
            if (len < size && !end)
                break;
        } else {
            const char *nl = memchr(p + off, '\n', n - off);
            len = nl ? (size_t)(nl - (p + off)) + 1 : n - off;
            if (!nl && !end && len <= max)
                break;
        }
        if (len > max)
            len = max;
        ssize_t k = mr_topic_publish(t, mr_region_make((void *)(p + off), len), MR_FOREVER);
        if (k < 0)
            return cli_fail(name, (int)k, NULL);
        off += len;
    }
    *left = n - off;
    return 0;
}

static int pub_run(struct mr_topic *t, const char *name, const struct topic_opts *o)
{
    static char buf[2 * READ_CHUNK];
    size_t have = 0;
    int lfd = mr_topic_listen_fd(t);
    for (;;) {
        struct pollfd p[2] = { { STDIN_FILENO, POLLIN, 0 }, { lfd, POLLIN, 0 } };
        if (poll(p, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            return cli_fail("poll", -errno, NULL);
        }
        if (p[1].revents & POLLIN) {
            int rc = mr_topic_accept(t, 0);
            if (rc < 0 && rc != -ETIMEDOUT && rc != -EUSERS)
                return cli_fail(name, rc, NULL);
        }
        if (!(p[0].revents & (POLLIN | POLLHUP | POLLERR)))
            continue;
        /* A line that fills the buffer's first half goes out as it is: the
         * second half takes the next read. */
        size_t left = 0;
        if (have >= READ_CHUNK) {
            int rc = publish_chunk(t, name, (size_t)o->size, buf, have, true, &left);
            if (rc != 0)
                return rc;
            have = 0;
        }
        ssize_t k = read(STDIN_FILENO, buf + have, READ_CHUNK);
        if (k < 0) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            return cli_fail("standard input", -errno, NULL);
        }
        size_t n = have + (size_t)k;
        int rc = publish_chunk(t, name, (size_t)o->size, buf, n, k == 0, &left);
        if (rc != 0)
            return rc;
        if (k == 0)
            return CLI_OK;
        memmove(buf, buf + n - left, left);
        have = left;
    }
}

int cmd_pub(int argc, char **argv)
{
    struct topic_opts o = { .capacity = MR_TOPIC_CAPACITY_DEFAULT, .wait = 1, .timeout_s = 30 };
    const char *name = NULL;
    int first, rc = topic_args(argc, argv, pub_help, &o, &first);
    if (rc >= 0 || (rc = cli_name_operand(argc, argv, first, "NAME (the topic's name)", &name)) >= 0)
        return rc;
    if (o.size > o.capacity - 2 * MR_TOPIC_MSG_OVERHEAD || o.size > READ_CHUNK)
        return cli_usage_error("invalid size '%llu': at most the capacity less 16 and 64K",
                               (unsigned long long)o.size);
    if (o.keep > o.capacity / 16)
        return cli_usage_error("invalid keep '%llu': at most the capacity / 16",
                               (unsigned long long)o.keep);
    if (o.wait > MR_TOPIC_SUBS_DEFAULT)
        return cli_usage_error("invalid wait '%llu': at most %u subscribers",
                               (unsigned long long)o.wait, MR_TOPIC_SUBS_DEFAULT);
    struct mr_topic_opts to = { (size_t)o.capacity, o.latest ? MR_TOPIC_LATEST : MR_TOPIC_RELIABLE,
                                o.any_user ? MR_TOPIC_ANY_UID : 0u, 0, (unsigned)o.keep, 0,
                                NULL, NULL };
    struct mr_topic *t;
    if ((rc = mr_topic_create(&t, name, &to)) < 0) {
        if (rc == -EADDRINUSE)
            return cli_fail(name, rc, "another server offers %s (pick another name)", name);
        return cli_fail(name, rc, NULL);
    }
    int status = CLI_OK, ms = cli_timeout_ms(o.timeout_s);
    int64_t end = ms == MR_FOREVER ? INT64_MAX : cli_now_ms() + ms; /* for them all */
    for (uint64_t i = 0; i < o.wait && status == CLI_OK; i++) {
        rc = mr_topic_accept(t, cli_left_ms(end));
        if (rc == -ETIMEDOUT)
            status = cli_fail(name, rc, "%llu of %llu subscribers came within %llu s",
                              (unsigned long long)i, (unsigned long long)o.wait,
                              (unsigned long long)o.timeout_s);
        else if (rc < 0)
            status = cli_fail(name, rc, NULL);
    }
    if (status == CLI_OK)
        status = pub_run(t, name, &o);
    struct mr_topic_stats st;
    mr_topic_stats(t, &st);
    mr_topic_destroy(t);
    if (o.json && status == CLI_OK) {
        struct cli_json j;
        cli_json_init(&j, stdout);
        cli_json_begin_object(&j);
        cli_json_key(&j, "messages");
        cli_json_u64(&j, st.messages);
        cli_json_key(&j, "bytes");
        cli_json_u64(&j, st.bytes);
        cli_json_key(&j, "subscribers");
        cli_json_u64(&j, st.accepted);
        cli_json_key(&j, "dropped");
        cli_json_u64(&j, st.dropped);
        cli_json_key(&j, "waits");
        cli_json_u64(&j, st.waits);
        cli_json_end_object(&j);
        cli_json_end(&j);
    }
    return status;
}

/* ---- sub ----------------------------------------------------------------------- */

/* Messages are gathered and written OUT_BATCH bytes at a time (and
 * whenever sub is about to wait): one write(2) per message was most of
 * sub's system time, and held a reliable publisher back. */
#define OUT_BATCH ((size_t)64 * 1024)

/* What sub writes out: max (the largest message) + OUT_BATCH bytes. */
struct out {
    char *buf;
    size_t used, max;
    int quit; /* 1: stdout's reader quit; -1: writing failed (said) */
};

/* Where the next message goes. */
static struct mr_region out_room(const struct out *o)
{
    return mr_region_make(o->buf + o->used, o->max);
}

/* Write what is gathered: false (and o->quit set) when sub must stop. */
static bool out_flush(struct out *o, int *status)
{
    if (o->used == 0 || o->quit)
        return !o->quit;
    int w = cli_write_all(STDOUT_FILENO, o->buf, o->used);
    o->used = 0;
    if (w == -EPIPE) {
        o->quit = 1;
    } else if (w < 0) {
        *status = cli_fail("standard output", w, NULL);
        o->quit = -1;
    }
    return !o->quit;
}

/* A message of n bytes was received at out_room: false when sub must stop. */
static bool out_add(struct out *o, size_t n, int *status)
{
    o->used += n;
    return o->used < OUT_BATCH || out_flush(o, status);
}

/* The topics sub follows: at most this many names. */
#define SUB_MAX 64

/* One followed topic. */
struct followed {
    const char *name;
    struct mr_topic_sub *s;
    bool ended;
};

/* What ends a topic: 0 for its orderly end (-EPIPE), or the exit status
 * after saying why. */
static int topic_end(const char *name, int rc)
{
    if (rc == -EPIPE)
        return CLI_OK;
    if (rc == -ECONNRESET)
        return cli_fail(name, rc, "the publisher went away without closing (it died or was killed)");
    if (rc == -ECONNABORTED)
        return cli_fail(name, rc, "the publisher dropped this subscriber (it read too slowly)");
    return cli_fail(name, rc, NULL);
}

/* One topic: take what is there, block in mr_topic_recv when nothing is.
 * The exit status is in *status. */
static void follow_one(struct followed *f, struct out *o, int *status)
{
    for (;;) {
        ssize_t n = mr_topic_recv(f->s, out_room(o), o->used ? 0 : MR_FOREVER, NULL);
        if (n == -EAGAIN) {
            if (!out_flush(o, status))
                return;
            continue;
        }
        if (n < 0) {
            if (out_flush(o, status))
                *status = topic_end(f->name, (int)n);
            return;
        }
        if (!out_add(o, (size_t)n, status))
            return;
    }
}

/* Several: the waitset loop of docs/topic.md, at most BATCH messages of
 * one topic before the next is looked at, so that a fast publisher does
 * not starve the others. Same results as follow_one; a topic that ends
 * badly is reported and the others are followed on (status 1 at the end). */
#define BATCH 64
static void follow_many(struct followed *f, int nf, struct out *o, int *status)
{
    struct mr_waitset *ws;
    int rc = mr_waitset_create(&ws);
    if (rc < 0) {
        *status = cli_fail("waitset", rc, NULL);
        return;
    }
    for (int i = 0; i < nf && rc == 0; i++)
        rc = mr_waitset_add_fd(ws, mr_topic_event_fd(f[i].s), POLLIN, &f[i]);
    if (rc < 0) {
        mr_waitset_destroy(ws);
        *status = cli_fail("waitset", rc, NULL);
        return;
    }
    int live = nf;
    while (live > 0 && !o->quit) {
        bool now = false;
        for (int i = 0; i < nf && !o->quit; i++) {
            if (f[i].ended)
                continue;
            ssize_t n = 0;
            for (int k = 0; k < BATCH; k++) {
                n = mr_topic_recv(f[i].s, out_room(o), 0, NULL);
                if (n < 0 || !out_add(o, (size_t)n, status))
                    break;
            }
            if (o->quit)
                break;
            if (n >= 0) {
                now = true; /* more may be there: the next round */
                continue;
            }
            if (n == -EAGAIN && (n = mr_topic_arm(f[i].s)) >= 0) {
                now = now || n == 1;
                continue;
            }
            int st = topic_end(f[i].name, (int)n);
            if (st != CLI_OK)
                *status = st;
            mr_waitset_remove_fd(ws, mr_topic_event_fd(f[i].s));
            f[i].ended = true;
            live--;
        }
        if (o->quit || live == 0 || now)
            continue;
        if (!out_flush(o, status))
            break;
        struct mr_waitset_event ev[SUB_MAX];
        int n = mr_waitset_wait(ws, MR_FOREVER, ev, SUB_MAX);
        if (n < 0 && n != -EINTR) {
            *status = cli_fail("waitset", n, NULL);
            break;
        }
        for (int j = 0; j < n; j++)
            mr_topic_ack(((struct followed *)ev[j].tag)->s);
    }
    out_flush(o, status);
    mr_waitset_destroy(ws);
}

int cmd_sub(int argc, char **argv)
{
    struct topic_opts o = { .timeout_s = 30 };
    int first, rc = topic_args(argc, argv, sub_help, &o, &first);
    if (rc >= 0)
        return rc;
    if (o.pub_only)
        return cli_usage_error("--capacity, --latest, --keep, --size and --wait are options of "
                               "'pub' (the publisher makes the topic)");
    int nf = argc - first;
    if (nf < 1)
        return cli_usage_error("missing NAME (the topic's name)");
    if (nf > SUB_MAX)
        return cli_usage_error("too many NAMEs: at most %d", SUB_MAX);
    struct followed f[SUB_MAX];
    for (int i = 0; i < nf; i++) {
        const char *n = argv[first + i];
        if ((rc = cli_name_arg(n)) >= 0)
            return rc;
        for (int j = 0; j < i; j++)
            if (strcmp(n, f[j].name) == 0)
                return cli_usage_error("NAME '%s' given twice", n);
        f[i] = (struct followed){ n, NULL, false };
    }
    signal(SIGPIPE, SIG_IGN);
    struct mr_topic_opts so = { 0, 0, o.any_user ? MR_TOPIC_ANY_UID : 0u, 0, 0, 0, NULL, NULL };
    int status = CLI_OK, attached = 0;
    size_t max = 0;
    for (; attached < nf; attached++) {
        const char *name = f[attached].name;
        rc = mr_topic_attach(&f[attached].s, name, &so, cli_timeout_ms(o.timeout_s));
        if (rc == -ETIMEDOUT)
            status = cli_fail(name, rc, "no 'memregion pub %s' accepted within %llu s", name,
                              (unsigned long long)o.timeout_s);
        else if (rc == -EACCES)
            status = cli_fail(name, rc, "the publisher runs as another user, or refused this one "
                                        "(--any-user follows a publisher of another user)");
        else if (rc < 0)
            status = cli_fail(name, rc, NULL);
        if (rc < 0)
            break;
        size_t m = mr_topic_sub_max_msg(f[attached].s);
        max = m > max ? m : max;
    }
    /* A copy, not the bytes in place: a latest publisher may overwrite a
     * message while it is written out; mr_topic_recv never returns one
     * that was. The pages are touched only as long messages come. */
    struct out out = { status == CLI_OK ? malloc(max + OUT_BATCH) : NULL, 0, max, 0 };
    if (status == CLI_OK && !out.buf)
        status = cli_fail(f[0].name, -ENOMEM, NULL);
    if (status == CLI_OK) {
        if (nf == 1)
            follow_one(&f[0], &out, &status);
        else
            follow_many(f, nf, &out, &status);
    }
    free(out.buf);
    struct mr_topic_stats sum = { 0 };
    for (int i = 0; i < attached; i++) {
        struct mr_topic_stats st;
        mr_topic_sub_stats(f[i].s, &st);
        sum.messages += st.messages;
        sum.bytes += st.bytes;
        sum.lost += st.lost;
        mr_topic_detach(f[i].s);
    }
    if (o.json) {
        struct cli_json j;
        cli_json_init(&j, stderr);
        cli_json_begin_object(&j);
        cli_json_key(&j, "messages");
        cli_json_u64(&j, sum.messages);
        cli_json_key(&j, "bytes");
        cli_json_u64(&j, sum.bytes);
        cli_json_key(&j, "lost");
        cli_json_u64(&j, sum.lost);
        cli_json_key(&j, "topics");
        cli_json_u64(&j, (uint64_t)attached);
        cli_json_end_object(&j);
        cli_json_end(&j);
    }
    return status;
}
