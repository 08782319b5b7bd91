/* SPDX-License-Identifier: MIT */
/* test/test_reqresp.c: request and response over a duplex service (issue
 * 15): a server in this process waits on its listening socket and every
 * client's request channel in one waitset (the pattern of docs/svc.md and
 * examples/reqresp.c) and answers each request on that client's reply
 * channel. The clients are test/reqresp_peer, started with exec. 64
 * clients at once, every reply checked against its request; a client
 * SIGKILLed after sending and before reading its reply, and one killed
 * while the server waits to write a reply into its full reply ring: the
 * server frees their channels within the bound and goes on serving and
 * accepting. Afterwards no fd, memfd mapping, socket file or /dev/shm name
 * is left. */
#include "svc_test.h"

#include <dirent.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#define WAIT_MS 20000
#define REQ_LEN 64
#define PEERS_MAX 80

/* ---- what is left behind ---------------------------------------------------------- */

/* Mappings of memfds (the channels' rings) in this process. */
static int memfd_maps(void)
{
    FILE *f = fopen("/proc/self/maps", "re");
    ASSERT_TRUE(f != NULL);
    char line[512];
    int n = 0;
    while (fgets(line, sizeof line, f))
        if (strstr(line, "/memfd:") != NULL)
            n++;
    fclose(f);
    return n;
}

/* Names in /dev/shm made by this process or one of pids: with "-PID-" in
 * them, as the tests' names (shm_test.h) have; the library's own channels
 * are memfds (memfd_maps above). */
static int shm_names_of(const pid_t *pids, int n)
{
    DIR *d = opendir("/dev/shm");
    if (!d)
        return 0;
    int k = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        char p[24];
        snprintf(p, sizeof p, "-%ld-", (long)getpid());
        bool mine = strstr(e->d_name, p) != NULL;
        for (int i = 0; i < n && !mine; i++) {
            snprintf(p, sizeof p, "-%ld-", (long)pids[i]);
            mine = strstr(e->d_name, p) != NULL;
        }
        k += mine;
    }
    closedir(d);
    return k;
}

/* ---- the server under test ------------------------------------------------------ */

struct client {
    struct mr_svc_conn conn;
    pid_t pid;           /* from the socket's credentials */
    bool open;
    bool waiting_room;   /* the waitset holds conn.tx: the reply ring is full */
    size_t room;
    uint64_t answered;
    int gone_rc;         /* the error that ended it */
    int64_t gone_ms;     /* when the server dropped it */
};

struct server {
    char name[64];
    int fds_before, maps_before; /* to find what is left behind */
    struct mr_svc svc;
    struct mr_waitset *ws;
    struct client c[PEERS_MAX];
    int came, gone;
};

/* Offer base-PID, noting what is open before. */
static void server_start(struct server *s, const char *base, size_t capacity)
{
    memset(s, 0, sizeof *s);
    snprintf(s->name, sizeof s->name, "%s-%ld", base, (long)getpid());
    s->fds_before = mr_test_count_fds();
    s->maps_before = memfd_maps();
    s->svc = (struct mr_svc)MR_SVC_INIT;
    struct mr_svc_opts o = { capacity, MR_SVC_DUPLEX, NULL, NULL };
    ASSERT_OK(mr_svc_offer(&s->svc, s->name, &o));
    ASSERT_OK(mr_waitset_create(&s->ws));
    ASSERT_OK(mr_waitset_add_fd(s->ws, s->svc.listener.fd, POLLIN, NULL));
}

/* Answer what c has: 0 nothing left, 1 its reply ring is full, or the
 * error that ends it. */
static int answer(struct client *c)
{
    for (;;) {
        struct mr_region req, rep;
        int rc = mr_chan_try_peek(&c->conn.rx, &req);
        if (rc < 0)
            return rc == -EAGAIN ? 0 : rc;
        rc = mr_chan_try_reserve(&c->conn.tx, req.len, &rep);
        if (rc == -EAGAIN) {
            c->room = req.len;
            return 1;
        }
        if (rc < 0)
            return rc;
        const unsigned char *in = req.ptr;
        unsigned char *out = rep.ptr;
        for (size_t k = 0; k < req.len; k++)
            out[k] = (unsigned char)~in[k];
        ASSERT_OK(mr_chan_commit(&c->conn.tx, req.len));
        ASSERT_OK(mr_chan_release(&c->conn.rx));
        c->answered++;
    }
}

static struct mr_chan *watched(struct client *c)
{
    return c->waiting_room ? &c->conn.tx : &c->conn.rx;
}

static void drop(struct server *s, struct client *c, int rc)
{
    ASSERT_OK(mr_waitset_remove_chan(s->ws, watched(c)));
    ASSERT_OK(mr_svc_conn_close(&c->conn));
    c->open = false;
    c->gone_rc = rc;
    c->gone_ms = mr_test_now_ms();
    s->gone++;
}

/* One wait of the server (up to timeout_ms), and what it brought. */
static void server_step(struct server *s, int timeout_ms)
{
    struct mr_waitset_event ev[16];
    int n = mr_waitset_wait(s->ws, timeout_ms, ev, 16);
    if (n == -ETIMEDOUT)
        return;
    ASSERT_GT(n, 0);
    for (int e = 0; e < n; e++) {
        struct client *c = ev[e].tag;
        if (c == NULL) {
            ASSERT_LT(s->came, PEERS_MAX);
            c = &s->c[s->came];
            c->conn = (struct mr_svc_conn)MR_SVC_CONN_INIT;
            ASSERT_OK(mr_svc_accept(&s->svc, &c->conn, 0));
            ASSERT_OK(mr_waitset_add_chan(s->ws, &c->conn.rx, 0, c));
            c->pid = c->conn.peer.pid;
            c->open = true;
            s->came++;
            continue;
        }
        ASSERT_TRUE(c->open);
        int rc = ev[e].status < 0 ? ev[e].status : answer(c);
        if (rc < 0) {
            drop(s, c, rc);
        } else if ((rc == 1) != c->waiting_room) {
            ASSERT_OK(mr_waitset_remove_chan(s->ws, watched(c)));
            c->waiting_room = rc == 1;
            ASSERT_OK(mr_waitset_add_chan(s->ws, watched(c), c->room, c));
        }
    }
}

static struct client *server_find(struct server *s, pid_t pid)
{
    for (int i = 0; i < s->came; i++)
        if (s->c[i].pid == pid)
            return &s->c[i];
    return NULL;
}

/* Serve until `gone` clients have gone, within *end. */
static void serve_until_gone(struct server *s, int gone, int64_t end)
{
    while (s->gone < gone) {
        ASSERT_LT(mr_test_now_ms(), end);
        server_step(s, 1000);
    }
}

/* The ask clients pid[0..n) all exited 0, every one of their `requests`
 * answered, each closing in order. */
static void asked_all(struct server *s, const pid_t *pid, int n, long requests)
{
    for (int k = 0; k < n; k++) {
        ASSERT_EQ(mr_test_wait(pid[k]), 0);
        struct client *c = server_find(s, pid[k]);
        ASSERT_TRUE(c != NULL);
        ASSERT_EQ(c->answered, (uint64_t)requests);
        ASSERT_ERR(c->gone_rc, -EPIPE);
    }
}

/* Close everything, and check that nothing is left: no fd, no memfd
 * mapping, no socket file, no /dev/shm name of this process or of its
 * clients pids[0..n). */
static void server_stop(struct server *s, const pid_t *pids, int n)
{
    for (int i = 0; i < s->came; i++)
        if (s->c[i].open)
            drop(s, &s->c[i], 0);
    ASSERT_OK(mr_waitset_destroy(s->ws));
    ASSERT_OK(mr_svc_close(&s->svc));
    ASSERT_EQ(mr_test_count_fds(), s->fds_before);
    ASSERT_EQ(memfd_maps(), s->maps_before);
    ASSERT_EQ(mr_test_svc_dir_entries(), 0);
    ASSERT_EQ(shm_names_of(pids, n), 0);
}

/* ---- the clients ------------------------------------------------------------------- */

static pid_t client_start(const char *mode, const char *name, long id, long n)
{
    char ids[24], ns[24];
    snprintf(ids, sizeof ids, "%ld", id);
    snprintf(ns, sizeof ns, "%ld", n);
    pid_t pid = mr_test_fork();
    if (pid == 0) {
        /* A test that fails must not leave a client behind. */
        mr_test_die_with_parent();
        char *argv[] = { (char *)MR_REQRESP_PEER, (char *)mode, (char *)name, ids, ns, NULL };
        execv(MR_REQRESP_PEER, argv);
        _exit(127);
    }
    return pid;
}

/* ---- the cases ---------------------------------------------------------------------- */

#define MANY 64

/* 64 clients on one waitset, each sending its requests one at a time and
 * checking each reply; all served, all closes seen as closes. */
static void test_64_clients(void)
{
    long n = (long)mr_test_scale(2000);
    struct server s;
    server_start(&s, "reqresp-64", 64 * 1024);
    pid_t pid[MANY];
    for (int k = 0; k < MANY; k++)
        pid[k] = client_start("ask", s.name, k, n);
    serve_until_gone(&s, MANY, mr_test_now_ms() + 5 * WAIT_MS);
    ASSERT_EQ(s.came, MANY);
    asked_all(&s, pid, MANY, n);
    server_stop(&s, pid, MANY);
}

#define OTHERS 4

/* How long the server may take to free a killed client's channels: chan.h
 * bounds the notice by MR_CHAN_DEATH_CHECK_MS; the rest is the time the
 * kernel takes to end the process and this machine's load. */
static int64_t death_bound_ms(void)
{
    return mr_test_under_valgrind() ? 5000 : 1000;
}

/* A client killed after sending, before reading its reply, and one killed
 * while the server waits for room in its full reply ring (4 KiB rings, so
 * that it fills at once): each is dropped with -ECONNRESET within the
 * bound, while clients started before go on being served and clients
 * started after are accepted and served. */
static void test_killed_clients(void)
{
    long n = (long)mr_test_scale(2000);
    struct server s;
    server_start(&s, "reqresp-kill", MR_CHAN_CAPACITY_MIN);
    pid_t pid[2 + 2 * OTHERS];
    int np = 0;
    pid_t hang = pid[np++] = client_start("hang", s.name, 0, 0);
    pid_t flood = pid[np++] = client_start("flood", s.name, 0, 0);
    for (int k = 0; k < OTHERS; k++)
        pid[np++] = client_start("ask", s.name, k, n);
    int64_t killed[2] = { 0, 0 };
    int64_t end = mr_test_now_ms() + 5 * WAIT_MS;
    while (killed[0] == 0 || killed[1] == 0) {
        ASSERT_LT(mr_test_now_ms(), end);
        server_step(&s, 1000);
        struct client *h = server_find(&s, hang), *f = server_find(&s, flood);
        if (killed[0] == 0 && h != NULL && h->answered > 0) {
            ASSERT_EQ(kill(hang, SIGKILL), 0);
            killed[0] = mr_test_now_ms();
        }
        if (killed[1] == 0 && f != NULL && f->waiting_room) {
            ASSERT_TRUE(f->open);
            ASSERT_EQ(kill(flood, SIGKILL), 0);
            killed[1] = mr_test_now_ms();
        }
    }
    struct client *h = server_find(&s, hang), *f = server_find(&s, flood);
    while (h->open || f->open) {
        ASSERT_LT(mr_test_now_ms(), end);
        server_step(&s, 100);
    }
    ASSERT_ERR(h->gone_rc, -ECONNRESET);
    ASSERT_ERR(f->gone_rc, -ECONNRESET);
    ASSERT_EQ(h->answered, 1u);
    printf("a client killed after its request freed in %lld ms, one killed with its reply "
           "ring full in %lld ms (bound %lld ms)\n",
           (long long)(h->gone_ms - killed[0]), (long long)(f->gone_ms - killed[1]),
           (long long)death_bound_ms());
    ASSERT_LE(h->gone_ms - killed[0], death_bound_ms());
    ASSERT_LE(f->gone_ms - killed[1], death_bound_ms());
    ASSERT_EQ(mr_test_wait(hang), 1000 + SIGKILL);
    ASSERT_EQ(mr_test_wait(flood), 1000 + SIGKILL);
    /* New clients are accepted and served as before. */
    for (int k = 0; k < OTHERS; k++)
        pid[np++] = client_start("ask", s.name, OTHERS + k, n);
    serve_until_gone(&s, np, end);
    asked_all(&s, pid + 2, np - 2, n);
    server_stop(&s, pid, np);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    mr_test_svc_setup();
    MR_TEST_RUN(test_64_clients);
    MR_TEST_RUN(test_killed_clients);
    return 0;
}
