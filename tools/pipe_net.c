/* SPDX-License-Identifier: MIT */
/* tools/pipe_net.c: `memregion pipe send NAME --to HOST:PORT` and
 * `memregion pipe recv NAME --listen ADDR`: the pipe across hosts, over
 * two remote channels of the net layer (the protocol: pipe_net.h). */
#include "pipe_net.h"
#include "pipe_proto.h"

#include <signal.h>
#include <string.h>
#include <unistd.h>

#ifdef MR_CLI_NET

/* send reads up to this much per message; the receiver holds up to
 * PIPE_NET_CAPACITY unread (a ring of four, as the local pipe's). */
#define PIPE_NET_CHUNK ((size_t)1 << 20)
#define PIPE_NET_CAPACITY ((size_t)4 << 20)

/* What the two sides hold, closed in reverse by pipe_net_close. */
struct pipe_net {
    struct mr_net *n;
    struct mr_net_peer *p;
    struct mr_net_chan *data, *ack;
};

static void pipe_net_close(struct pipe_net *c)
{
    mr_net_chan_close(c->ack);
    mr_net_chan_close(c->data);
    mr_net_peer_close(c->p);
    mr_net_close(c->n);
}

static int send_stream(struct pipe_net *c, const char *name, uint64_t size, bool quiet)
{
    unsigned char info[PIPE_INFO_LEN];
    pipe_info_make(info, size);
    ssize_t sent = mr_net_chan_send(c->data, MR_REGION_OF_ARRAY(info), MR_FOREVER);
    if (sent >= 0)
        sent = mr_net_chan_send(c->data, mr_region_make((void *)name, strlen(name)), MR_FOREVER);
    if (sent < 0)
        return pipe_peer_gone(name, (int)sent, "receiver");

    struct cli_progress pr;
    cli_progress_init(&pr, quiet, size);
    uint64_t done = 0;
    int rc, status = CLI_OK;
    for (;;) {
        struct mr_region r;
        if ((rc = mr_net_chan_reserve(c->data, PIPE_NET_CHUNK, MR_FOREVER, &r)) < 0) {
            status = pipe_peer_gone(name, rc, "receiver");
            break;
        }
        ssize_t k;
        do
            k = read(STDIN_FILENO, r.ptr, r.len);
        while (k < 0 && errno == EINTR);
        if (k < 0) {
            /* No end message: the receiver must not take a failed input
             * for a complete one. */
            status = cli_fail("stdin", -errno, NULL);
            break;
        }
        if ((rc = mr_net_chan_commit(c->data, (size_t)k)) < 0) {
            status = cli_fail(name, rc, NULL);
            break;
        }
        if (k == 0) {
            /* The end went: the receiver says when it wrote everything. */
            unsigned char done_msg[sizeof PIPE_NET_DONE];
            ssize_t got = mr_net_chan_recv(c->ack, MR_REGION_OF_ARRAY(done_msg), MR_FOREVER);
            if (got < 0)
                status = pipe_peer_gone(name, (int)got, "receiver");
            else if ((size_t)got != strlen(PIPE_NET_DONE) ||
                     memcmp(done_msg, PIPE_NET_DONE, (size_t)got) != 0)
                status = cli_fail(name, -EPROTO, "the receiver answered something else");
            break;
        }
        done += (uint64_t)k;
        cli_progress_show(&pr, done, false);
    }
    cli_progress_show(&pr, done, true);
    return status;
}

int pipe_net_send(const char *name, const struct pipe_opts *o, uint64_t size)
{
    struct pipe_net c = { 0 };
    int rc, status = CLI_FAIL;
    if (cli_net_open(&o->net, &c.n) != 0)
        return CLI_FAIL;
    struct cli_net_opts no = o->net;
    no.timeout_s = o->timeout_s;
    if (cli_net_connect(c.n, o->to, &no, true, &c.p) != 0)
        goto out;
    if ((rc = mr_net_chan_open(c.p, PIPE_NET_DATA, MR_NET_PRODUCER, PIPE_NET_CHUNK + 8,
                               &c.data)) < 0 ||
        (rc = mr_net_chan_open(c.p, PIPE_NET_ACK, MR_NET_CONSUMER, 4096, &c.ack)) < 0) {
        status = pipe_peer_gone(name, rc, "receiver");
        goto out;
    }
    status = send_stream(&c, name, size, o->quiet);
out:
    pipe_net_close(&c);
    return status;
}

/* The sender's info and NAME: 0 and *size, or an exit status. */
static int recv_hello(struct pipe_net *c, const char *name, const char *from, uint64_t *size)
{
    struct mr_region r;
    int rc = mr_net_chan_peek(c->data, MR_SVC_HANDSHAKE_MS, &r);
    if (rc == 0)
        rc = pipe_info_parse(r.ptr, r.len, size) < 0 ? -EPROTO : mr_net_chan_release(c->data);
    if (rc == 0 && (rc = mr_net_chan_peek(c->data, MR_SVC_HANDSHAKE_MS, &r)) == 0) {
        bool same = r.len == strlen(name) && memcmp(r.ptr, name, r.len) == 0;
        if (!same)
            return cli_fail(name, -EPROTO, "%s sends the pipe '%.*s', not '%s'", from,
                            r.len > 64 ? 64 : (int)r.len, (const char *)r.ptr, name);
        rc = mr_net_chan_release(c->data);
    }
    if (rc == -EPROTO || rc == -ETIMEDOUT)
        return cli_fail(name, rc, "%s is not 'memregion pipe send --to' of this version", from);
    if (rc < 0)
        return pipe_peer_gone(name, rc, "sender");
    return 0;
}

static int recv_stream(struct pipe_net *c, const char *name, uint64_t size, bool quiet)
{
    struct cli_progress pr;
    cli_progress_init(&pr, quiet, size);
    uint64_t done = 0;
    int rc, status = CLI_OK;
    for (;;) {
        struct mr_region r;
        if ((rc = mr_net_chan_peek(c->data, MR_FOREVER, &r)) < 0) {
            status = pipe_peer_gone(name, rc, "sender");
            break;
        }
        if (r.len == 0) {
            mr_net_chan_release(c->data);
            ssize_t sent = mr_net_chan_send(c->ack, mr_region_make((void *)PIPE_NET_DONE,
                                                                   strlen(PIPE_NET_DONE)),
                                            MR_NET_DEATH_MS);
            /* Close waits until the sender has the message. */
            rc = sent < 0 ? (int)sent : mr_net_chan_close(c->ack);
            c->ack = NULL;
            if (rc < 0)
                status = pipe_peer_gone(name, rc, "sender");
            break;
        }
        if ((rc = cli_write_all(STDOUT_FILENO, r.ptr, r.len)) < 0) {
            /* A reader that quit ends recv well; closing tells the sender,
             * whose input was not all delivered. */
            if (rc != -EPIPE && rc != -ECONNRESET)
                status = cli_fail("stdout", rc, NULL);
            break;
        }
        if ((rc = mr_net_chan_release(c->data)) < 0) {
            status = cli_fail(name, rc, NULL);
            break;
        }
        done += r.len;
        cli_progress_show(&pr, done, false);
    }
    cli_progress_show(&pr, done, true);
    return status;
}

int pipe_net_recv(const char *name, const struct pipe_opts *o)
{
    signal(SIGPIPE, SIG_IGN);
    struct pipe_net c = { 0 };
    int rc, status = CLI_FAIL;
    char bound[128], from[128] = "the sender";
    if (cli_net_open(&o->net, &c.n) != 0)
        return CLI_FAIL;
    if (cli_net_listen(c.n, o->listen, bound, sizeof bound) != 0)
        goto out;
    fprintf(stderr, "memregion: pipe recv: %s: listening on %s\n", name, bound);
    rc = mr_net_accept(c.n, cli_timeout_ms(o->timeout_s), &c.p);
    if (rc == -ETIMEDOUT) {
        cli_fail(name, rc, "no 'memregion pipe send %s --to' came within %llu s", name,
                 (unsigned long long)o->timeout_s);
        goto out;
    }
    if (rc < 0) {
        cli_fail(name, rc, "a sender connected but: %s", mr_strerror(rc));
        goto out;
    }
    struct mr_addr pa;
    if (mr_net_peer_addr(c.p, &pa) == 0 && mr_addr_format(&pa, from + 11, sizeof from - 11) > 0)
        memcpy(from, "the sender ", 11);
    if ((rc = mr_net_chan_open(c.p, PIPE_NET_DATA, MR_NET_CONSUMER, PIPE_NET_CAPACITY,
                               &c.data)) < 0 ||
        (rc = mr_net_chan_open(c.p, PIPE_NET_ACK, MR_NET_PRODUCER, 4096, &c.ack)) < 0) {
        status = pipe_peer_gone(name, rc, "sender");
        goto out;
    }
    uint64_t size = PIPE_SIZE_UNKNOWN;
    if ((status = recv_hello(&c, name, from, &size)) != 0)
        goto out;
    pipe_grow(STDOUT_FILENO);
    status = recv_stream(&c, name, o->size_set ? o->size : size, o->quiet);
out:
    pipe_net_close(&c);
    return status;
}

#else

int pipe_net_send(const char *name, const struct pipe_opts *o, uint64_t size)
{
    (void)name, (void)o, (void)size;
    return cli_net_missing();
}

int pipe_net_recv(const char *name, const struct pipe_opts *o)
{
    (void)name, (void)o;
    return cli_net_missing();
}

#endif
