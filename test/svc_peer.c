/* SPDX-License-Identifier: MIT */
/* test/svc_peer.c: the other process of test_svc, started with exec so
 * that it shares nothing with the test but a service's name (and the
 * environment that places its directory). Not a test itself.
 *
 *   svc_peer serve NAME N    offer NAME (duplex), say "offered", accept one
 *                            client, answer each of its N requests "x" with
 *                            "x!", then wait for it to close
 *   svc_peer connect NAME N  say "connecting", connect to NAME (duplex),
 *                            send N requests and check each reply
 *   svc_peer hold NAME       offer NAME (duplex), accept one client, say
 *                            "accepted", and wait to be killed (20 s)
 * Lines go to stdout, unbuffered, for the test to wait on. Exit 0 when
 * everything went as said, else 1 with a message on stderr. */
#include <memregion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define WAIT_MS 20000

static int fail(const char *what, int rc)
{
    fprintf(stderr, "svc_peer: %s: %s\n", what, mr_strerror(rc));
    return 1;
}

static void say(const char *line)
{
    fputs(line, stdout);
    fputc('\n', stdout);
    fflush(stdout);
}

static int serve(const char *name, int n)
{
    struct mr_svc s = MR_SVC_INIT;
    struct mr_svc_opts o = { 0, MR_SVC_DUPLEX, NULL, NULL };
    int rc = mr_svc_offer(&s, name, &o);
    if (rc < 0)
        return fail("offer", rc);
    say("offered");
    struct mr_svc_conn c = MR_SVC_CONN_INIT;
    rc = mr_svc_accept(&s, &c, WAIT_MS);
    mr_svc_close(&s);
    if (rc < 0)
        return fail("accept", rc);
    for (int i = 0; i < n; i++) {
        char buf[64];
        ssize_t k = mr_chan_recv(&c.rx, mr_region_make(buf, sizeof buf - 1), WAIT_MS);
        if (k < 0)
            return fail("recv", (int)k);
        buf[k] = '!';
        if ((rc = (int)mr_chan_send(&c.tx, mr_region_make(buf, (size_t)k + 1), WAIT_MS)) < 0)
            return fail("send", rc);
    }
    struct mr_region r;
    rc = mr_chan_peek(&c.rx, WAIT_MS, &r);
    mr_svc_conn_close(&c);
    return rc == -EPIPE ? 0 : fail("the client's close", rc < 0 ? rc : -EPROTO);
}

static int connect_to(const char *name, int n)
{
    struct mr_svc_conn c = MR_SVC_CONN_INIT;
    say("connecting");
    int rc = mr_svc_connect(&c, name, NULL, WAIT_MS);
    if (rc < 0)
        return fail("connect", rc);
    if (c.peer.uid != geteuid() || c.peer.pid <= 0)
        return fail("the server's credentials", -EPROTO);
    for (int i = 0; i < n; i++) {
        char req[32], want[33], got[64];
        int len = snprintf(req, sizeof req, "request %d", i);
        snprintf(want, sizeof want, "%s!", req);
        if ((rc = (int)mr_chan_send(&c.tx, mr_region_make(req, (size_t)len), WAIT_MS)) < 0)
            return fail("send", rc);
        ssize_t k = mr_chan_recv(&c.rx, mr_region_make(got, sizeof got), WAIT_MS);
        if (k < 0)
            return fail("recv", (int)k);
        if ((size_t)k != strlen(want) || memcmp(got, want, (size_t)k) != 0)
            return fail("the reply", -EPROTO);
    }
    mr_svc_conn_close(&c);
    return 0;
}

static int hold(const char *name)
{
    struct mr_svc s = MR_SVC_INIT;
    struct mr_svc_opts o = { 0, MR_SVC_DUPLEX, NULL, NULL };
    int rc = mr_svc_offer(&s, name, &o);
    if (rc < 0)
        return fail("offer", rc);
    say("offered");
    struct mr_svc_conn c = MR_SVC_CONN_INIT;
    if ((rc = mr_svc_accept(&s, &c, WAIT_MS)) < 0)
        return fail("accept", rc);
    say("accepted");
    sleep(WAIT_MS / 1000);
    return fail("hold", -ETIMEDOUT); /* nobody killed it */
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "serve") == 0)
        return serve(argv[2], atoi(argv[3]));
    if (argc == 4 && strcmp(argv[1], "connect") == 0)
        return connect_to(argv[2], atoi(argv[3]));
    if (argc == 3 && strcmp(argv[1], "hold") == 0)
        return hold(argv[2]);
    fprintf(stderr, "usage: svc_peer serve|connect NAME N, svc_peer hold NAME\n");
    return 2;
}
