/* SPDX-License-Identifier: MIT */
/* test_net_region: remote regions between two processes on loopback, over
 * UCX's tcp and shared-memory transports, checked and direct: 64 MiB got
 * and put, verified byte for byte on both sides; tokens garbled, of another
 * version, guessed (a valid one with its id changed), revoked before and
 * after import; an offset past the end (-ERANGE, nothing sent); in checked
 * mode a peer that asks outside the export (refused by the exporter, which
 * lives on); rights; the exporter SIGKILLed mid-transfer (-ECONNRESET
 * within MR_NET_DEATH_MS); the SIGBUS guard after the layer started. */
#include "net_test.h"
#include "net_internal.h"
#include "sigbus_test.h"

#include <poll.h>
#include <signal.h>
#include <sys/mman.h>

#define BIG ((size_t)64 << 20)

static uint8_t pat(size_t i, unsigned seed)
{
    return (uint8_t)((i * 131u) ^ (i >> 11) ^ seed);
}

static void fill(uint8_t *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = pat(i, seed);
}

static size_t first_bad(const uint8_t *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != pat(i, seed))
            return i;
    return n;
}

/* The token's check, recomputed by a forger (FNV-1a over its first 32 bytes). */
static void resign(unsigned char *t)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < 32; i++)
        h = (h ^ t[i]) * 0x100000001b3ull;
    mr_store_u64le(t, 32, h);
}

struct setup {
    enum mr_net_transport t;
    unsigned mode; /* 0 or MR_NET_DIRECT */
    char text[MR_ADDR_TEXT_MAX];
    unsigned char big[MR_NET_TOKEN_SIZE];    /* 64 MiB, read and write */
    unsigned char ro[MR_NET_TOKEN_SIZE];     /* 4 KiB, read only */
    unsigned char gone[MR_NET_TOKEN_SIZE];   /* revoked before the child starts */
    unsigned char later[MR_NET_TOKEN_SIZE];  /* revoked when the child asks */
    int ask;   /* the child writes here: 'r' revoke "later" */
    int told;  /* and reads the parent's 'k' here */
};

static void importer(void *arg)
{
    struct setup *s = arg;
    struct mr_net *n;
    struct mr_net_peer *p = mr_test_net_dial(s->t, s->text, &n);

    /* Tokens refused on import. */
    struct mr_net_remote *r;
    unsigned char t[MR_NET_TOKEN_SIZE];
    memcpy(t, s->big, sizeof t);
    t[12] ^= 0x40;
    ASSERT_EQ(mr_net_import(p, MR_REGION_OF(t), 5000, &r), -EPROTO); /* garbled */
    resign(t);
    ASSERT_EQ(mr_net_import(p, MR_REGION_OF(t), 5000, &r), -EPROTO); /* guessed id */
    memcpy(t, s->big, sizeof t);
    t[4] = 2;
    resign(t);
    ASSERT_EQ(mr_net_import(p, MR_REGION_OF(t), 5000, &r), -EPROTO); /* version 2 */
    ASSERT_EQ(mr_net_import(p, mr_region_make(s->big, 39), 5000, &r), -EPROTO);
    ASSERT_EQ(mr_net_import(p, MR_REGION_OF(s->gone), 5000, &r), -EPROTO); /* revoked */
    memcpy(t, s->big, sizeof t);
    mr_store_u64le(t, 24, BIG * 2); /* a longer length than exported */
    resign(t);
    ASSERT_EQ(mr_net_import(p, MR_REGION_OF(t), 5000, &r), -EPROTO);

    /* 64 MiB each way. */
    ASSERT_EQ(mr_net_import(p, MR_REGION_OF(s->big), 5000, &r), 0);
    ASSERT_EQ(mr_net_remote_size(r), BIG);
    ASSERT_EQ(mr_net_remote_flags(r), MR_NET_READ | MR_NET_WRITE | s->mode);
    uint8_t *buf = malloc(BIG);
    ASSERT_TRUE(buf != NULL);
    memset(buf, 0, BIG);
    ASSERT_EQ(mr_net_get(r, 0, mr_region_make(buf, BIG), 30000), 0);
    ASSERT_EQ(first_bad(buf, BIG, 1), BIG);
    fill(buf, BIG, 2);
    ASSERT_EQ(mr_net_put(r, 0, mr_region_make(buf, BIG), 30000), 0);
    /* Pieces at odd offsets. */
    uint8_t piece[1000];
    ASSERT_EQ(mr_net_get(r, 12345, MR_REGION_OF_ARRAY(piece), 5000), 0);
    ASSERT_EQ(memcmp(piece, buf + 12345, sizeof piece), 0);
    ASSERT_EQ(mr_net_get(r, BIG - 1000, MR_REGION_OF_ARRAY(piece), 5000), 0);
    ASSERT_EQ(memcmp(piece, buf + BIG - 1000, sizeof piece), 0);
    ASSERT_EQ(mr_net_get(r, BIG, mr_region_make(piece, 0), 5000), 0);

    /* Out of range: refused here, before anything is sent. */
    ASSERT_EQ(mr_net_get(r, BIG - 999, MR_REGION_OF_ARRAY(piece), 5000), -ERANGE);
    ASSERT_EQ(mr_net_put(r, BIG + 1, mr_region_make(piece, 0), 5000), -ERANGE);
    ASSERT_EQ(mr_net_get(r, SIZE_MAX, MR_REGION_OF_ARRAY(piece), 5000), -ERANGE);
    ASSERT_EQ(mr_net_get(r, 0, mr_region_make_ro(piece, 10), 5000), -EACCES);
    ASSERT_EQ(mr_net_get(r, 0, MR_REGION_OF_ARRAY(piece), -5), -EINVAL);
    if (!(s->mode & MR_NET_DIRECT)) {
        /* A hostile peer that skips those checks: the exporter refuses. */
        ASSERT_EQ(mr__net_get_unchecked(r, BIG - 10, 100, MR_REGION_OF_ARRAY(piece), 5000),
                  -ERANGE);
        ASSERT_EQ(mr__net_get_unchecked(r, UINT64_MAX - 5, 10, MR_REGION_OF_ARRAY(piece), 5000),
                  -ERANGE);
        ASSERT_EQ(mr__net_get_unchecked(r, (uint64_t)1 << 40, 4, MR_REGION_OF_ARRAY(piece), 5000),
                  -ERANGE);
        /* and still serves. */
        ASSERT_EQ(mr_net_get(r, 0, MR_REGION_OF_ARRAY(piece), 5000), 0);
        ASSERT_EQ(memcmp(piece, buf, sizeof piece), 0);
    }

    /* A read-only export. */
    struct mr_net_remote *ro;
    ASSERT_EQ(mr_net_import(p, MR_REGION_OF(s->ro), 5000, &ro), 0);
    ASSERT_EQ(mr_net_put(ro, 0, mr_region_make(piece, 8), 5000), -EACCES);
    ASSERT_EQ(mr_net_get(ro, 0, mr_region_make(piece, 8), 5000), 0);
    ASSERT_EQ(first_bad(piece, 8, 3), (size_t)8);
    ASSERT_EQ(mr_net_remote_close(ro), 0);

    /* Revoked after import. */
    struct mr_net_remote *later;
    ASSERT_EQ(mr_net_import(p, MR_REGION_OF(s->later), 5000, &later), 0);
    ASSERT_EQ(mr_net_get(later, 0, mr_region_make(piece, 8), 5000), 0);
    mr_test_net_write(s->ask, "r", 1);
    char k;
    mr_test_net_read(s->told, &k, 1);
    ASSERT_EQ(mr_net_import(p, MR_REGION_OF(s->later), 5000, &r), -EPROTO);
    if (!(s->mode & MR_NET_DIRECT))
        ASSERT_EQ(mr_net_get(later, 0, mr_region_make(piece, 8), 5000), -EPROTO);

    free(buf);
    ASSERT_EQ(mr_net_peer_close(p), 0);
    ASSERT_EQ(mr_net_close(n), 0);
}

/* Serve until the peer goes, answering the child's revoke request. */
static void serve(struct mr_net *n, struct mr_net_peer *p, struct setup *s,
                  struct mr_net_export **later)
{
    int64_t end = mr_test_now_ms() + 100000;
    while (mr_net_peer_status(p) == 0) {
        ASSERT_LT(mr_test_now_ms(), end);
        int rc;
        while ((rc = mr_net_progress(n)) > 0)
            ;
        ASSERT_EQ(rc, 0);
        struct pollfd pfd[2] = { { .fd = mr_net_fd(n), .events = POLLIN },
                                 { .fd = s->ask, .events = POLLIN } };
        poll(pfd, 2, 20);
        if (pfd[1].revents & POLLIN) {
            char c;
            mr_test_net_read(s->ask, &c, 1);
            ASSERT_EQ(c, 'r');
            ASSERT_EQ(mr_net_revoke(*later), 0);
            *later = NULL;
            mr_test_net_write(s->told, "k", 1);
        }
    }
    ASSERT_EQ(mr_net_peer_status(p), -EPIPE);
}

static void test_regions(enum mr_net_transport t, unsigned mode)
{
    struct mr_net *n;
    if (mr_test_net_open(&n, t) < 0)
        return;
    printf("transport %d, %s\n", (int)t, mode ? "direct" : "checked");
    struct setup s = { .t = t, .mode = mode };
    struct mr_addr bound;
    ASSERT_EQ(mr_net_listen(n, "127.0.0.1:0", &bound), 0);
    mr_test_net_text(&bound, s.text, sizeof s.text);
    uint8_t *big = malloc(BIG);
    ASSERT_TRUE(big != NULL);
    fill(big, BIG, 1);
    uint8_t small[4096], small2[64];
    fill(small, sizeof small, 3);
    fill(small2, sizeof small2, 4);
    struct mr_net_export *eb, *ero, *egone, *elater;
    ASSERT_EQ(mr_net_export(n, mr_region_make(big, BIG), MR_NET_READ | MR_NET_WRITE | mode, &eb), 0);
    ASSERT_EQ(mr_net_export(n, mr_region_make_ro(small, sizeof small), MR_NET_READ | mode, &ero), 0);
    ASSERT_EQ(mr_net_export(n, MR_REGION_OF_ARRAY(small2), MR_NET_READ | mode, &egone), 0);
    ASSERT_EQ(mr_net_export(n, MR_REGION_OF_ARRAY(small2), MR_NET_READ | mode, &elater), 0);
    ASSERT_EQ(mr_net_token(eb, MR_REGION_OF(s.big)), MR_NET_TOKEN_SIZE);
    ASSERT_EQ(mr_net_token(ero, MR_REGION_OF(s.ro)), MR_NET_TOKEN_SIZE);
    ASSERT_EQ(mr_net_token(egone, MR_REGION_OF(s.gone)), MR_NET_TOKEN_SIZE);
    ASSERT_EQ(mr_net_token(elater, MR_REGION_OF(s.later)), MR_NET_TOKEN_SIZE);
    ASSERT_EQ(mr_net_token(eb, mr_region_make(s.big, 39)), -ENOSPC);
    ASSERT_EQ(mr_net_token(eb, mr_region_make_ro(s.big, 40)), -EACCES);
    ASSERT_EQ(mr_net_revoke(egone), 0);
    /* Tokens never hold the address. */
    uintptr_t addr = (uintptr_t)big;
    ASSERT_TRUE(memmem(s.big, sizeof s.big, &addr, sizeof addr) == NULL);

    int ask[2], told[2];
    ASSERT_EQ(pipe(ask), 0);
    ASSERT_EQ(pipe(told), 0);
    s.ask = ask[1];
    s.told = told[0];
    pid_t pid = mr_test_start(importer, &s);
    close(ask[1]);
    close(told[0]);
    s.ask = ask[0];
    s.told = told[1];
    struct mr_net_peer *p;
    ASSERT_EQ(mr_net_accept(n, 5000, &p), 0);
    serve(n, p, &s, &elater);
    ASSERT_EQ(mr_test_wait(pid), 0);
    ASSERT_EQ(first_bad(big, BIG, 2), BIG);
    ASSERT_TRUE(elater == NULL);
    close(ask[0]);
    close(told[1]);
    ASSERT_EQ(mr_net_peer_close(p), 0);
    ASSERT_EQ(mr_net_revoke(ero), 0);
    ASSERT_EQ(mr_net_close(n), 0); /* revokes eb */
    free(big);
}

/* The exporter serves for a while, then dies by SIGKILL; the importer,
 * getting 64 MiB again and again, sees -ECONNRESET within the bound. */
static void dying_exporter(void *arg)
{
    struct setup *s = arg;
    struct mr_net *n;
    ASSERT_EQ(mr_test_net_open(&n, s->t), 0);
    struct mr_addr bound;
    ASSERT_EQ(mr_net_listen(n, "127.0.0.1:0", &bound), 0);
    uint8_t *big = malloc(BIG);
    ASSERT_TRUE(big != NULL);
    fill(big, BIG, 1);
    struct mr_net_export *e;
    ASSERT_EQ(mr_net_export(n, mr_region_make(big, BIG), MR_NET_READ | MR_NET_WRITE | s->mode, &e),
              0);
    ASSERT_EQ(mr_net_token(e, MR_REGION_OF(s->big)), MR_NET_TOKEN_SIZE);
    mr_test_net_write(s->ask, s->big, sizeof s->big);
    mr_test_net_write(s->ask, &bound, sizeof bound);
    struct mr_net_peer *p;
    ASSERT_EQ(mr_net_accept(n, 5000, &p), 0);
    int64_t end = mr_test_now_ms() + 300;
    while (mr_test_now_ms() < end)
        mr_net_progress(n);
    raise(SIGKILL);
}

static void test_death(enum mr_net_transport t, unsigned mode)
{
    struct setup s = { .t = t, .mode = mode };
    int ask[2];
    ASSERT_EQ(pipe(ask), 0);
    s.ask = ask[1];
    /* The child first: one that inherits a context's fds from its parent
     * does not always connect back to it (see FORK in net.h). */
    pid_t pid = mr_test_start(dying_exporter, &s);
    close(ask[1]);
    struct mr_net *n;
    ASSERT_EQ(mr_test_net_open(&n, t), 0);
    struct mr_addr bound;
    mr_test_net_read(ask[0], s.big, sizeof s.big);
    mr_test_net_read(ask[0], &bound, sizeof bound);
    close(ask[0]);
    mr_test_net_text(&bound, s.text, sizeof s.text);
    struct mr_net_peer *p;
    ASSERT_EQ(mr_net_connect(n, s.text, 5000, &p), 0);
    struct mr_net_remote *r;
    ASSERT_EQ(mr_net_import(p, MR_REGION_OF(s.big), 5000, &r), 0);
    uint8_t *buf = malloc(BIG);
    ASSERT_TRUE(buf != NULL);
    int rc;
    int64_t t0;
    do {
        t0 = mr_test_now_ms();
        rc = mr_net_get(r, 0, mr_region_make(buf, BIG), 30000);
    } while (rc == 0);
    int64_t took = mr_test_now_ms() - t0;
    ASSERT_EQ(rc, -ECONNRESET);
    ASSERT_LT(took, MR_NET_DEATH_MS);
    ASSERT_EQ(mr_net_peer_status(p), -ECONNRESET);
    ASSERT_EQ(mr_net_get(r, 0, mr_region_make(buf, 10), 1000), -ECONNRESET);
    ASSERT_EQ(mr_test_wait(pid), 1000 + SIGKILL);
    free(buf);
    ASSERT_EQ(mr_net_close(n), 0);
}

/* memregion's SIGBUS guard keeps working once UCX is loaded and running. */
static void test_guard(void)
{
    struct mr_net *n;
    if (mr_test_net_open(&n, MR_NET_TCP) < 0)
        return;
    ps = (size_t)sysconf(_SC_PAGESIZE);
    const char *path = mr_test_sigbus_file("net-sigbus", 4);
    int fd = open(path, O_RDWR | O_CLOEXEC);
    ASSERT_GE(fd, 0);
    uint8_t *m = mmap(NULL, 4 * ps, PROT_READ, MAP_SHARED, fd, 0);
    ASSERT_TRUE(m != MAP_FAILED);
    ASSERT_EQ(ftruncate(fd, (off_t)ps), 0);
    uint8_t out[64];
    ASSERT_EQ(mr_guard_copy(out, m + 2 * ps, sizeof out), -EFAULT);
    ASSERT_EQ(mr_guard_copy(out, m, sizeof out), 0);
    munmap(m, 4 * ps);
    close(fd);
    unlink(path);
    ASSERT_EQ(mr_net_close(n), 0);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    test_guard();
    test_regions(MR_NET_TCP, 0);
    test_regions(MR_NET_SM, 0);
    test_regions(MR_NET_TCP, MR_NET_DIRECT);
    test_regions(MR_NET_SM, MR_NET_DIRECT);
    test_death(MR_NET_TCP, 0);
    test_death(MR_NET_SM, 0);
    test_death(MR_NET_TCP, MR_NET_DIRECT);
    printf("ok\n");
    return 0;
}
