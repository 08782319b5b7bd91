/* SPDX-License-Identifier: MIT */
/* examples/reqresp.c: request and response over a service (issue 15). One
 * server answers many clients from one waitset: the listening socket and
 * every client's request channel wait together, a new client is accepted
 * while the others are served, each request is answered on its client's
 * own reply channel, and a client that closes or dies is removed and its
 * channels freed. The clients are child processes here; any process of
 * the same user that connects by the name is served the same way.
 *
 *   example_reqresp [CLIENTS [REQUESTS]]     default 8 clients, 1000 each
 *
 * A request is a line of text; its reply is the line in capitals. Exit 0
 * when every reply matched its request. */
#define _GNU_SOURCE 1
#include <memregion.h>

#include <ctype.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define WAIT_MS 10000
#define CLIENTS_MAX 256

static char name[64];

static int fail(const char *what, long rc)
{
    fprintf(stderr, "example_reqresp: %s: %s\n", what, mr_strerror((int)rc));
    return 1;
}

/* ---- the client: a blocking call per request ------------------------------ */

static int client(int id, int requests)
{
    struct mr_svc_conn conn = MR_SVC_CONN_INIT;
    int rc = mr_svc_connect(&conn, name, NULL, WAIT_MS);
    if (rc < 0)
        return fail("connect", rc);
    for (int i = 0; i < requests; i++) {
        char req[64], rep[64];
        int len = snprintf(req, sizeof req, "client %d, request %d", id, i);
        ssize_t n = mr_chan_send(&conn.tx, mr_region_make(req, (size_t)len), WAIT_MS);
        if (n >= 0)
            n = mr_chan_recv(&conn.rx, mr_region_make(rep, sizeof rep), WAIT_MS);
        if (n < 0)
            return fail("request", n);
        for (int k = 0; k < len; k++)
            req[k] = (char)toupper((unsigned char)req[k]);
        if (n != len || memcmp(rep, req, (size_t)len) != 0) {
            fprintf(stderr, "example_reqresp: client %d: a wrong reply\n", id);
            return 1;
        }
    }
    mr_svc_conn_close(&conn);
    return 0;
}

/* ---- the server ----------------------------------------------------------- */

/* A client. While its reply channel is full (it is not reading), the
 * waitset holds its reply end, waiting for room, instead of its request
 * end: the request stays peeked until its reply fits. */
struct peer {
    struct mr_svc_conn conn;
    bool waiting_room;
    size_t room; /* the reply that must fit */
};

/* Answer every request there is, without waiting: 0 when no request is
 * left, 1 when the reply channel is full, or the error that ends the
 * client (-EPIPE it closed, -ECONNRESET it died). */
static int answer(struct peer *p)
{
    for (;;) {
        struct mr_region req, rep;
        int rc = mr_chan_peek(&p->conn.rx, 0, &req);
        if (rc < 0)
            return rc == -EAGAIN ? 0 : rc;
        rc = mr_chan_reserve(&p->conn.tx, req.len, 0, &rep);
        if (rc == -EAGAIN) {
            p->room = req.len;
            return 1;
        }
        if (rc < 0)
            return rc;
        /* The request is in memory the client can still write: read each
         * byte once. */
        const unsigned char *in = req.ptr;
        unsigned char *out = rep.ptr;
        for (size_t k = 0; k < req.len; k++)
            out[k] = (unsigned char)toupper(in[k]);
        if ((rc = mr_chan_commit(&p->conn.tx, req.len)) < 0 ||
            (rc = mr_chan_release(&p->conn.rx)) < 0)
            return rc;
    }
}

/* Put in ws the end of p the server waits on now. */
static int watch(struct mr_waitset *ws, struct peer *p, bool room)
{
    struct mr_chan *was = p->waiting_room ? &p->conn.tx : &p->conn.rx;
    int rc = mr_waitset_remove_chan(ws, was);
    if (rc < 0 && rc != -ENOENT)
        return rc;
    p->waiting_room = room;
    return room ? mr_waitset_add_chan(ws, &p->conn.tx, p->room, p)
                : mr_waitset_add_chan(ws, &p->conn.rx, 0, p);
}

static void drop(struct mr_waitset *ws, struct peer *p)
{
    mr_waitset_remove_chan(ws, p->waiting_room ? &p->conn.tx : &p->conn.rx);
    mr_svc_conn_close(&p->conn);
    free(p);
}

/* Serve until `clients` clients came and went. Returns 0 or the error that
 * stopped the server (a client's failure never does). */
static int serve(struct mr_svc *svc, int clients)
{
    struct mr_waitset *ws;
    int rc = mr_waitset_create(&ws);
    if (rc < 0)
        return rc;
    /* The listening socket waits with the channels: a connecting client
     * makes it readable. */
    if ((rc = mr_waitset_add_fd(ws, svc->listener.fd, POLLIN, NULL)) < 0) {
        mr_waitset_destroy(ws);
        return rc;
    }
    int gone = 0;
    struct mr_waitset_event ev[16];
    while (gone < clients && rc >= 0) {
        int n = mr_waitset_wait(ws, WAIT_MS, ev, 16);
        if (n < 0)
            rc = n;
        for (int e = 0; e < n && rc >= 0; e++) {
            struct peer *p = ev[e].tag;
            if (p == NULL) {
                /* A client is connecting: 0 is "do not wait for another"
                 * (its greeting gets its own time, MR_SVC_HANDSHAKE_MS). */
                if ((p = calloc(1, sizeof *p)) == NULL) {
                    rc = -ENOMEM;
                    break;
                }
                p->conn = (struct mr_svc_conn)MR_SVC_CONN_INIT;
                int a = mr_svc_accept(svc, &p->conn, 0);
                if (a == 0 && (rc = mr_waitset_add_chan(ws, &p->conn.rx, 0, p)) == 0)
                    continue;
                mr_svc_conn_close(&p->conn);
                free(p);
                continue; /* a client that failed its greeting is dropped */
            }
            int r = ev[e].status < 0 ? ev[e].status : answer(p);
            if (r >= 0 && (r == 1) != p->waiting_room)
                r = watch(ws, p, r == 1); /* the reply channel filled, or has room again */
            if (r < 0) {
                drop(ws, p); /* -EPIPE: closed; -ECONNRESET: died */
                gone++;
            }
        }
    }
    /* On an error this program exits; a server that goes on would close
     * the peers still open (drop). */
    mr_waitset_destroy(ws);
    return rc;
}

int main(int argc, char **argv)
{
    int clients = argc > 1 ? atoi(argv[1]) : 8;
    int requests = argc > 2 ? atoi(argv[2]) : 1000;
    if (clients < 1 || clients > CLIENTS_MAX || requests < 0) {
        fprintf(stderr, "usage: example_reqresp [CLIENTS (1..%d) [REQUESTS]]\n", CLIENTS_MAX);
        return 2;
    }
    snprintf(name, sizeof name, "example-reqresp-%ld", (long)getpid());
    struct mr_svc svc = MR_SVC_INIT;
    struct mr_svc_opts opts = { 64 * 1024, MR_SVC_DUPLEX, NULL, NULL };
    int rc = mr_svc_offer(&svc, name, &opts);
    if (rc < 0)
        return fail("offer", rc);
    pid_t pid[CLIENTS_MAX];
    for (int k = 0; k < clients; k++) {
        fflush(stdout);
        if ((pid[k] = fork()) == 0)
            _exit(client(k, requests));
    }
    rc = serve(&svc, clients);
    mr_svc_close(&svc);
    int failed = rc < 0 ? fail("serve", rc) : 0;
    for (int k = 0; k < clients; k++) {
        int st;
        if (pid[k] > 0 && (waitpid(pid[k], &st, 0) != pid[k] || !WIFEXITED(st) ||
                           WEXITSTATUS(st) != 0))
            failed = 1;
    }
    if (!failed)
        printf("example_reqresp: %d clients, %d requests each, every reply right\n", clients,
               requests);
    return failed;
}
