/* SPDX-License-Identifier: MIT */
/* chan_libuv: a channel's consumer end inside a libuv loop. A child
 * process produces numbered messages over a channel shared on a socket
 * pair; the parent never blocks in the library: a uv_poll_t watches
 * mr_chan_event_fd, and each time it fires the callback acks the fd,
 * drains the channel with mr_chan_try_recv and arms it again (mr_chan_arm
 * saying 1 means a message came in meanwhile: drain again, do not wait).
 * Usage: example_chan_libuv [MESSAGES]; exit 0 when every message arrived
 * in order, then the producer's close. Built when pkg-config finds libuv
 * (Debian: libuv1-dev). */
/* uv.h needs POSIX types (pthread_rwlock_t) that -std=c11 hides. */
#define _GNU_SOURCE 1
#include <memregion.h>

#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uv.h>

struct app {
    struct mr_chan c;
    uv_poll_t poll;
    uv_timer_t timer;
    uint32_t want, got;
    int rc; /* -1 while running; then the exit status */
};

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

static void finish(struct app *a, int rc)
{
    a->rc = rc;
    uv_poll_stop(&a->poll);
    uv_timer_stop(&a->timer);
    uv_close((uv_handle_t *)&a->poll, NULL);
    uv_close((uv_handle_t *)&a->timer, NULL);
}

/* Take every message there is, then arm; the loop polls the fd only when
 * arm says 0. */
static void drain(struct app *a)
{
    for (;;) {
        uint32_t v;
        ssize_t n;
        while ((n = mr_chan_try_recv(&a->c, MR_REGION_OF(v))) >= 0) {
            if (n != (ssize_t)sizeof v || v != a->got) {
                fprintf(stderr, "message %u: got %u\n", a->got, v);
                finish(a, 1);
                return;
            }
            a->got++;
        }
        if (n != -EAGAIN) {
            /* -EPIPE: the producer closed after its last message. */
            if (n != -EPIPE || a->got != a->want)
                fprintf(stderr, "ended with %s after %u of %u messages\n", mr_strerror((int)n),
                        a->got, a->want);
            finish(a, n == -EPIPE && a->got == a->want ? 0 : 1);
            return;
        }
        int rc = mr_chan_arm(&a->c, 0);
        if (rc == 0)
            return;
        if (rc < 0 && rc != -EPIPE && rc != -ECONNRESET) {
            fprintf(stderr, "mr_chan_arm: %s\n", mr_strerror(rc));
            finish(a, 1);
            return;
        }
    }
}

static void on_event(uv_poll_t *h, int status, int events)
{
    struct app *a = h->data;
    (void)events;
    if (status < 0) {
        fprintf(stderr, "uv_poll: %s\n", uv_strerror(status));
        finish(a, 1);
        return;
    }
    mr_chan_ack(&a->c);
    drain(a);
}

static void on_timeout(uv_timer_t *t)
{
    struct app *a = t->data;
    fprintf(stderr, "timed out after %u of %u messages\n", a->got, a->want);
    finish(a, 1);
}

int main(int argc, char **argv)
{
    struct app a = { .c = MR_CHAN_INIT, .rc = -1 };
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

    uv_loop_t *loop = uv_default_loop();
    uv_poll_init(loop, &a.poll, mr_chan_event_fd(&a.c));
    uv_timer_init(loop, &a.timer);
    a.poll.data = &a;
    a.timer.data = &a;
    uv_poll_start(&a.poll, UV_READABLE, on_event);
    uv_timer_start(&a.timer, on_timeout, 10000, 0);
    drain(&a);
    uv_run(loop, UV_RUN_DEFAULT);
    uv_loop_close(loop);

    int status;
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        a.rc = 1;
    mr_chan_close(&a.c);
    if (a.rc == 0)
        printf("chan_libuv: %u messages received in a libuv loop\n", a.got);
    return a.rc;
}
