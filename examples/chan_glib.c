/* SPDX-License-Identifier: MIT */
/* chan_glib: a channel's consumer end inside a GLib main loop. A child
 * process produces numbered messages over a channel shared on a socket
 * pair; the parent waits in g_main_loop_run only: a GSource of its own
 * polls mr_chan_event_fd. Its prepare drains nothing and arms the end
 * (mr_chan_arm saying 1: dispatch at once, without polling), its check
 * acks the fd when it polled readable, and its dispatch drains the channel
 * with mr_chan_try_recv. Usage: example_chan_glib [MESSAGES]; exit 0 when
 * every message arrived in order, then the producer's close. Built when
 * pkg-config finds glib-2.0 (Debian: libglib2.0-dev). */
#include <memregion.h>

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

struct chan_source {
    GSource source;
    struct mr_chan *c;
    gpointer fd_tag;
    gboolean ready; /* arm said 1 (or the peer is gone): dispatch without polling */
};

struct app {
    struct mr_chan c;
    GMainLoop *loop;
    uint32_t want, got;
    int rc;
};

static gboolean chan_prepare(GSource *s, gint *timeout)
{
    struct chan_source *cs = (struct chan_source *)s;
    *timeout = -1;
    int rc = mr_chan_arm(cs->c, 0);
    cs->ready = rc != 0; /* 1, or an error the next receive reports */
    return cs->ready;
}

static gboolean chan_check(GSource *s)
{
    struct chan_source *cs = (struct chan_source *)s;
    if (g_source_query_unix_fd(s, cs->fd_tag) != 0) {
        mr_chan_ack(cs->c);
        cs->ready = TRUE;
    }
    return cs->ready;
}

static gboolean chan_dispatch(GSource *s, GSourceFunc cb, gpointer data)
{
    (void)s;
    return cb(data);
}

static GSourceFuncs chan_funcs = { chan_prepare, chan_check, chan_dispatch, NULL, NULL, NULL };

/* A GSource that is ready when the consumer end c can make progress. */
static GSource *chan_source_new(struct mr_chan *c)
{
    GSource *s = g_source_new(&chan_funcs, sizeof(struct chan_source));
    struct chan_source *cs = (struct chan_source *)s;
    cs->c = c;
    cs->fd_tag = g_source_add_unix_fd(s, mr_chan_event_fd(c), G_IO_IN | G_IO_HUP | G_IO_ERR);
    return s;
}

static gboolean on_ready(gpointer data)
{
    struct app *a = data;
    uint32_t v;
    ssize_t n;
    while ((n = mr_chan_try_recv(&a->c, MR_REGION_OF(v))) >= 0) {
        if (n != (ssize_t)sizeof v || v != a->got) {
            fprintf(stderr, "message %u: got %u\n", a->got, v);
            a->rc = 1;
            g_main_loop_quit(a->loop);
            return G_SOURCE_REMOVE;
        }
        a->got++;
    }
    if (n == -EAGAIN)
        return G_SOURCE_CONTINUE;
    /* -EPIPE: the producer closed after its last message. */
    if (n != -EPIPE || a->got != a->want)
        fprintf(stderr, "ended with %s after %u of %u messages\n", mr_strerror((int)n), a->got,
                a->want);
    a->rc = n == -EPIPE && a->got == a->want ? 0 : 1;
    g_main_loop_quit(a->loop);
    return G_SOURCE_REMOVE;
}

static gboolean on_timeout(gpointer data)
{
    struct app *a = data;
    fprintf(stderr, "timed out after %u of %u messages\n", a->got, a->want);
    a->rc = 1;
    g_main_loop_quit(a->loop);
    return G_SOURCE_REMOVE;
}

static void produce(struct mr_sock *s, uint32_t n)
{
    struct mr_chan p = MR_CHAN_INIT;
    if (mr_chan_attach_sock(&p, s, 0, MR_CHAN_PRODUCER, 0, 5000) < 0)
        _exit(1);
    mr_sock_close(s);
    for (uint32_t i = 0; i < n; i++)
        if (mr_chan_send(&p, mr_region_make(&i, sizeof i), 5000) < 0)
            _exit(1);
    _exit(mr_chan_close(&p) < 0);
}

int main(int argc, char **argv)
{
    struct app a = { .c = MR_CHAN_INIT, .rc = 1 };
    a.want = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 100000;
    struct mr_sock s0 = MR_SOCK_INIT, s1 = MR_SOCK_INIT;
    int rc = mr_sock_open_pair(&s0, &s1, SOCK_STREAM, 0);
    if (rc < 0) {
        fprintf(stderr, "socket pair: %s\n", mr_strerror(rc));
        return 1;
    }
    pid_t pid = fork();
    if (pid == 0) {
        mr_sock_close(&s0);
        produce(&s1, a.want);
    }
    mr_sock_close(&s1);
    if (pid < 0 || (rc = mr_chan_create(&a.c, 64 * 1024, MR_CHAN_CONSUMER, 0)) < 0 ||
        (rc = mr_chan_share(&a.c, &s0)) < 0) {
        fprintf(stderr, "setting up: %s\n", pid < 0 ? "fork failed" : mr_strerror(rc));
        return 1;
    }
    mr_sock_close(&s0);

    a.loop = g_main_loop_new(NULL, FALSE);
    GSource *src = chan_source_new(&a.c);
    g_source_set_callback(src, on_ready, &a, NULL);
    g_source_attach(src, NULL);
    guint timer = g_timeout_add_seconds(10, on_timeout, &a);
    g_main_loop_run(a.loop);
    g_source_destroy(src);
    g_source_unref(src);
    g_source_remove(timer);
    g_main_loop_unref(a.loop);

    int status;
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        a.rc = 1;
    mr_chan_close(&a.c);
    if (a.rc == 0)
        printf("chan_glib: %u messages received in a GLib main loop\n", a.got);
    return a.rc;
}
