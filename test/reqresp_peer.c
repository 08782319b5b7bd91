/* SPDX-License-Identifier: MIT */
/* test/reqresp_peer.c: a client of test_reqresp's server, started with
 * exec so that it shares nothing with the server but the service's name
 * (and the environment that places its directory). Not a test itself.
 *
 *   reqresp_peer ask NAME ID N   connect, send N requests of REQ_LEN bytes
 *                                one at a time, check each reply
 *   reqresp_peer hang NAME       connect, send one request, never read the
 *                                reply: wait to be killed (20 s)
 *   reqresp_peer flood NAME      connect, send requests without reading a
 *                                reply until the sends block: wait to be
 *                                killed (20 s)
 * A reply is the request with every byte complemented. Exit 0 when every
 * reply matched, else 1 with a message on stderr. */
#include <memregion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define WAIT_MS 20000
#define REQ_LEN 64

static int fail(const char *what, long rc)
{
    fprintf(stderr, "reqresp_peer %ld: %s: %s\n", (long)getpid(), what, mr_strerror((int)rc));
    return 1;
}

static void request(unsigned char *req, long id, long i)
{
    memset(req, 0, REQ_LEN);
    snprintf((char *)req, REQ_LEN, "client %ld request %ld", id, i);
    req[REQ_LEN - 1] = (unsigned char)(id ^ i);
}

static int ask(struct mr_svc_conn *c, long id, long n)
{
    for (long i = 0; i < n; i++) {
        unsigned char req[REQ_LEN], rep[REQ_LEN + 8];
        request(req, id, i);
        ssize_t k = mr_chan_send(&c->tx, MR_REGION_OF_ARRAY(req), WAIT_MS);
        if (k < 0)
            return fail("send", k);
        if ((k = mr_chan_recv(&c->rx, MR_REGION_OF_ARRAY(rep), WAIT_MS)) < 0)
            return fail("recv", k);
        if (k != REQ_LEN)
            return fail("the reply's length", -EPROTO);
        for (size_t b = 0; b < REQ_LEN; b++)
            if (rep[b] != (unsigned char)~req[b])
                return fail("a reply that is not its request's", -EPROTO);
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: reqresp_peer ask NAME ID N | hang NAME | flood NAME\n");
        return 2;
    }
    struct mr_svc_conn c = MR_SVC_CONN_INIT;
    int rc = mr_svc_connect(&c, argv[2], NULL, WAIT_MS);
    if (rc < 0)
        return fail("connect", rc);
    unsigned char req[REQ_LEN];
    if (strcmp(argv[1], "ask") == 0 && argc == 5) {
        rc = ask(&c, atol(argv[3]), atol(argv[4]));
        mr_svc_conn_close(&c);
        return rc;
    }
    if (strcmp(argv[1], "hang") == 0) {
        request(req, 0, 0);
        ssize_t k = mr_chan_send(&c.tx, MR_REGION_OF_ARRAY(req), WAIT_MS);
        if (k < 0)
            return fail("send", k);
    } else if (strcmp(argv[1], "flood") == 0) {
        for (long i = 0;; i++) {
            request(req, 0, i);
            ssize_t k = mr_chan_send(&c.tx, MR_REGION_OF_ARRAY(req), WAIT_MS);
            if (k < 0)
                return fail("send", k);
        }
    } else {
        return fail(argv[1], -EINVAL);
    }
    sleep(WAIT_MS / 1000);
    return fail("waiting to be killed", -ETIMEDOUT);
}
