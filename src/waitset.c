/* SPDX-License-Identifier: MIT */
/* src/waitset.c: many channel ends and ordinary fds waited on together
 * (include/memregion/waitset.h): a look at the shared memory while anything
 * is ready, a short spin, then mr_chan_arm on every end and one epoll_wait. */
#include "internal.h"
#include "chan_internal.h"

#include <memregion/waitset.h>

#include <poll.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/stat.h>

struct member {
    struct mr_chan *chan; /* NULL: an ordinary fd */
    void *tag;
    size_t len;           /* producer: the message that must fit */
    int fd;               /* channel: its event fd when added; else the fd */
    int key;              /* the registered fd whose events are this member's */
    dev_t dev;            /* channel: the socket's identity, shared by its dups */
    ino_t ino;
    short events;
    short revents;        /* fd: what the last epoll_wait said */
    int status;           /* channel: 1 or an error when ready, 0 not */
};

struct mr_waitset {
    int epfd;
    int count;
    int cap;
    int nfds;            /* ordinary fds among the members */
    int next;            /* where the next report starts */
    uint32_t spin_ns;    /* adaptive, as a channel's wait */
    int64_t checked;     /* when the idle ends' peers were last looked at */
    struct member *m;
};

#define EVENTS_MAX 64
#define FD_EVENTS (POLLIN | POLLOUT | POLLPRI)
#define YIELDS 4
#define CHECK_NS ((int64_t)MR_CHAN_DEATH_CHECK_MS * 1000000)

static int sys_epoll_create(void)
{
    int rc = epoll_create1(EPOLL_CLOEXEC);
    return rc < 0 ? -errno : rc;
}

static int sys_epoll_ctl(int epfd, int op, int fd, uint32_t events)
{
    struct epoll_event ev = { .events = events, .data = { .fd = fd } };
    return epoll_ctl(epfd, op, fd, &ev) < 0 ? -errno : 0;
}

/* Not retried: the caller recomputes the time left. */
static int sys_epoll_wait(int epfd, struct epoll_event *ev, int n, int timeout_ms)
{
    int rc = epoll_wait(epfd, ev, n, timeout_ms);
    return rc < 0 ? -errno : rc;
}

int mr_waitset_create(struct mr_waitset **out)
{
    if (out == NULL)
        return -EINVAL;
    *out = NULL;
    struct mr_waitset *ws = calloc(1, sizeof *ws);
    if (ws == NULL)
        return -ENOMEM;
    int fd = sys_epoll_create();
    if (fd < 0) {
        free(ws);
        return fd;
    }
    ws->epfd = fd;
    ws->spin_ns = MR__WAKE_SPIN_MAX_NS;
    *out = ws;
    return 0;
}

int mr_waitset_destroy(struct mr_waitset *ws)
{
    if (ws == NULL)
        return 0;
    int rc = mr__sys_close(ws->epfd);
    free(ws->m);
    free(ws);
    return rc;
}

int mr_waitset_count(const struct mr_waitset *ws)
{
    return ws == NULL ? 0 : ws->count;
}

static int find_chan(const struct mr_waitset *ws, const struct mr_chan *c)
{
    for (int i = 0; i < ws->count; i++)
        if (ws->m[i].chan == c)
            return i;
    return -1;
}

static int find_fd(const struct mr_waitset *ws, int fd)
{
    for (int i = 0; i < ws->count; i++)
        if (ws->m[i].chan == NULL && ws->m[i].fd == fd)
            return i;
    return -1;
}

/* Room for one more member, made before anything is registered, so that a
 * failed add leaves nothing behind. */
static int reserve(struct mr_waitset *ws)
{
    if (ws->count < ws->cap)
        return 0;
    int cap = ws->cap ? ws->cap * 2 : 8;
    struct member *m = realloc(ws->m, (size_t)cap * sizeof *m);
    if (m == NULL)
        return -ENOMEM;
    ws->m = m;
    ws->cap = cap;
    return 0;
}

int mr_waitset_add_chan(struct mr_waitset *ws, struct mr_chan *c, size_t len, void *tag)
{
    if (ws == NULL || c == NULL)
        return -EINVAL;
    int fd = mr_chan_event_fd(c);
    if (fd < 0)
        return fd;
    if (find_chan(ws, c) >= 0)
        return -EEXIST;
    bool producer = c->role == MR_CHAN_PRODUCER;
    if (producer && len > mr_chan_max_msg(c))
        return -EMSGSIZE;
    struct stat st;
    int rc = mr__sys_fstat(fd, &st);
    if (rc < 0)
        return rc;
    if ((rc = reserve(ws)) < 0)
        return rc;
    /* Two ends shared over one socket hold two dups of it: one
     * registration serves both, as chan.h's polling loop says. */
    int key = -1;
    for (int i = 0; i < ws->count && key < 0; i++)
        if (ws->m[i].chan != NULL && ws->m[i].dev == st.st_dev && ws->m[i].ino == st.st_ino)
            key = ws->m[i].key;
    if (key < 0) {
        if ((rc = sys_epoll_ctl(ws->epfd, EPOLL_CTL_ADD, fd, EPOLLIN)) < 0)
            return rc;
        key = fd;
    }
    ws->m[ws->count++] = (struct member){
        .chan = c, .tag = tag, .len = producer ? len : 0, .fd = fd, .key = key,
        .dev = st.st_dev, .ino = st.st_ino,
    };
    return 0;
}

static void drop(struct mr_waitset *ws, int i)
{
    ws->m[i] = ws->m[--ws->count];
    if (ws->next > ws->count)
        ws->next = 0;
}

int mr_waitset_remove_chan(struct mr_waitset *ws, struct mr_chan *c)
{
    if (ws == NULL || c == NULL)
        return -EINVAL;
    int i = find_chan(ws, c);
    if (i < 0)
        return -ENOENT;
    int key = ws->m[i].key;
    bool was_key = ws->m[i].fd == key;
    drop(ws, i);
    int heir = -1;
    for (int j = 0; j < ws->count && heir < 0; j++)
        if (ws->m[j].chan != NULL && ws->m[j].key == key)
            heir = j;
    if (heir >= 0 && !was_key)
        return 0;
    /* Errors ignored: an end closed before its removal took its
     * registration with it. */
    (void)sys_epoll_ctl(ws->epfd, EPOLL_CTL_DEL, key, 0);
    if (heir < 0)
        return 0;
    int nkey = ws->m[heir].fd;
    int rc = sys_epoll_ctl(ws->epfd, EPOLL_CTL_ADD, nkey, EPOLLIN);
    for (int j = 0; j < ws->count; j++)
        if (ws->m[j].chan != NULL && ws->m[j].key == key)
            ws->m[j].key = nkey;
    return rc == -EEXIST ? 0 : rc < 0 ? rc : 0;
}

int mr_waitset_add_fd(struct mr_waitset *ws, int fd, short events, void *tag)
{
    if (ws == NULL || (events & ~FD_EVENTS) != 0)
        return -EINVAL;
    if (fd < 0)
        return -EBADF;
    if (find_fd(ws, fd) >= 0)
        return -EEXIST;
    int rc = reserve(ws);
    if (rc < 0)
        return rc;
    /* poll(2)'s event bits are epoll's. */
    if ((rc = sys_epoll_ctl(ws->epfd, EPOLL_CTL_ADD, fd, (uint32_t)(unsigned short)events)) < 0)
        return rc;
    ws->m[ws->count++] = (struct member){ .tag = tag, .fd = fd, .key = fd, .events = events };
    ws->nfds++;
    return 0;
}

int mr_waitset_remove_fd(struct mr_waitset *ws, int fd)
{
    if (ws == NULL)
        return -EINVAL;
    int i = find_fd(ws, fd);
    if (i < 0)
        return -ENOENT;
    drop(ws, i);
    ws->nfds--;
    /* A closed fd took its registration with it. */
    (void)sys_epoll_ctl(ws->epfd, EPOLL_CTL_DEL, fd, 0);
    return 0;
}

/* Can the end make progress now, by the shared memory alone (no system
 * call)? 1 yes, 0 no, or the error its next call returns. */
static int probe(const struct member *m)
{
    return mr__chan_ready(m->chan, m->len);
}

/* Look at every channel; the number ready. */
static int look(struct mr_waitset *ws)
{
    int k = 0;
    for (int i = 0; i < ws->count; i++) {
        struct member *m = &ws->m[i];
        m->revents = 0;
        if (m->chan != NULL && (m->status = probe(m)) != 0)
            k++;
    }
    return k;
}

/* mr_chan_arm on every end, a barrier per ARM_BATCH ends rather than one
 * each (the barrier is most of an arm's cost). */
#define ARM_BATCH 64

static int arm_all(struct mr_waitset *ws)
{
    int k = 0;
    for (int i = 0; i < ws->count;) {
        struct mr_chan *cs[ARM_BATCH];
        size_t lens[ARM_BATCH];
        int status[ARM_BATCH], at[ARM_BATCH], n = 0;
        for (; i < ws->count && n < ARM_BATCH; i++) {
            if (ws->m[i].chan == NULL)
                continue;
            cs[n] = ws->m[i].chan;
            lens[n] = ws->m[i].len;
            at[n++] = i;
        }
        k += mr__chan_arm_n(cs, lens, status, n);
        for (int j = 0; j < n; j++)
            ws->m[at[j]].status = status[j];
    }
    return k;
}

/* Before arming (a system call per end, and a ring from the peer), look
 * again for up to the spin budget, then yield a few times: a peer that is
 * about to publish is cheaper to wait for here. The budget doubles when
 * the spin saw progress, halves when it did not. */
static int spin(struct mr_waitset *ws, int64_t deadline)
{
    int64_t start = mr__now_ns(), end = start + ws->spin_ns;
    if (end > deadline)
        end = deadline;
    for (unsigned i = 1;; i++) {
        int k = look(ws);
        if (k > 0) {
            uint32_t s = ws->spin_ns * 2 + 500u;
            ws->spin_ns = s > MR__WAKE_SPIN_MAX_NS ? MR__WAKE_SPIN_MAX_NS : s;
            return k;
        }
        if (i % 32 == 0 && mr__now_ns() >= end)
            break;
        mr__cpu_relax();
    }
    ws->spin_ns /= 2;
    for (int y = 0; y < YIELDS; y++) {
        mr__sys_sched_yield();
        int k = look(ws);
        if (k > 0)
            return k;
    }
    return 0;
}

/* While some ends are busy the others are never armed, so nothing rings
 * for them: every CHECK_NS, ask each idle end whether its peer closed or
 * died (one poll(2) each), so that a busy end does not hide a gone peer
 * for longer than a blocking call would. */
static int check_idle(struct mr_waitset *ws)
{
    int64_t now = mr__now_ns();
    if (now - ws->checked < CHECK_NS)
        return 0;
    ws->checked = now;
    int k = 0;
    for (int i = 0; i < ws->count; i++) {
        struct member *m = &ws->m[i];
        if (m->chan == NULL || m->status != 0)
            continue;
        int rc = mr_chan_check_peer(m->chan);
        if (rc < 0) {
            m->status = rc;
            k++;
        }
    }
    return k;
}

/* Take what epoll_wait said: ack the channels of each ringing socket, note
 * each fd's events; the number of members that became ready. */
static int take(struct mr_waitset *ws, const struct epoll_event *ev, int got)
{
    int k = 0;
    for (int e = 0; e < got; e++) {
        for (int i = 0; i < ws->count; i++) {
            struct member *m = &ws->m[i];
            if (m->key != ev[e].data.fd)
                continue;
            if (m->chan != NULL) {
                /* ack notes a peer that hung up (GONE), but not one whose
                 * socket reset (it died with our bytes unread): check_peer
                 * polls for that hang-up. Without a system call when GONE. */
                int rc = mr_chan_ack(m->chan);
                if (m->status == 0 && (rc < 0 || (m->chan->state & MR__CHAN_ST_GONE)) &&
                    (rc = mr_chan_check_peer(m->chan)) < 0) {
                    m->status = rc;
                    k++;
                }
            } else {
                m->revents = (short)(ev[e].events & 0xffffu);
                k++;
            }
        }
    }
    return k;
}

/* Fill out with up to n ready members, starting where the last report
 * stopped. */
static int report(struct mr_waitset *ws, struct mr_waitset_event *out, int n)
{
    int k = 0, last = ws->next;
    for (int j = 0; j < ws->count && k < n; j++) {
        int i = (ws->next + j) % ws->count;
        const struct member *m = &ws->m[i];
        if (m->chan != NULL && m->status != 0)
            out[k++] = (struct mr_waitset_event){ m->tag, m->chan, -1, m->status, 0 };
        else if (m->chan == NULL && m->revents != 0)
            out[k++] = (struct mr_waitset_event){ m->tag, NULL, m->fd, 0, m->revents };
        else
            continue;
        last = i;
    }
    ws->next = ws->count ? (last + 1) % ws->count : 0;
    return k;
}

int mr_waitset_wait(struct mr_waitset *ws, int timeout_ms, struct mr_waitset_event *out, int n)
{
    if (ws == NULL || out == NULL || n < 1 || !mr__timeout_ok(timeout_ms))
        return -EINVAL;
    int64_t deadline = mr__deadline(timeout_ms);
    struct epoll_event ev[EVENTS_MAX];
    for (;;) {
        int k = look(ws);
        if (k == 0 && timeout_ms != 0 && ws->count > ws->nfds)
            k = spin(ws, deadline);
        bool armed = k == 0;
        if (armed) {
            ws->checked = mr__now_ns();
            k = arm_all(ws);
        } else {
            k += check_idle(ws);
        }
        /* After arming, the sockets may tell of peers that arming cannot
         * see (one that died): look at them before reporting. */
        if (k > 0 && ws->nfds == 0 && !armed)
            return report(ws, out, n);
        int got = sys_epoll_wait(ws->epfd, ev, EVENTS_MAX, k > 0 ? 0 : mr__poll_ms(deadline));
        if (got < 0 && got != -EINTR)
            return got;
        if (got > 0)
            k += take(ws, ev, got);
        if (k > 0)
            return report(ws, out, n);
        if (mr__poll_ms(deadline) == 0)
            return -ETIMEDOUT;
    }
}
