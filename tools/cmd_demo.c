/* SPDX-License-Identifier: MIT */
/* tools/cmd_demo.c: `memregion demo`: every layer working together on real
 * operating-system objects, in a second or two, with the figures measured.
 * Everything it makes (a temp dir, a memfd, sockets, child processes) is
 * gone when it returns. */
#include "cli.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char demo_help[] =
    "usage: memregion demo\n"
    "\n"
    "Show memregion's layers working together on real operating-system objects,\n"
    "in a few seconds, and print what happened with the figures measured:\n"
    "  1. map + view   write a binary record to a file in a temporary\n"
    "                  directory, map the file and decode the record with a\n"
    "                  layout written as text;\n"
    "  2. shm          create an anonymous memfd, fill it, and seal it so that\n"
    "                  nobody can shrink or grow it;\n"
    "  3. sock         pass the memfd to a child process over a Unix socket;\n"
    "                  the child checks the seals, maps it, verifies it and\n"
    "                  writes a reply into the very same memory;\n"
    "  4. chan         stream messages to a child through a zero-copy\n"
    "                  shared-memory channel;\n"
    "  5. TCP          send a region to a child over loopback TCP.\n"
    "Checksums are compared at every step. Nothing is left behind.\n"
    "This is what 'make run' runs.\n"
    "\n"
    "options:\n"
    "  -h, --help   show this help\n";

#define TIMEOUT_MS 10000

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* A quick checksum of whole 8-byte words and the tail (not cryptographic). */
static uint64_t checksum(const void *p, size_t n)
{
    const unsigned char *b = p;
    uint64_t h = 0x9e3779b97f4a7c15u;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, b + i, 8);
        h = (h ^ w) * 0x100000001b3u;
        h ^= h >> 29;
    }
    for (; i < n; i++)
        h = (h ^ b[i]) * 0x100000001b3u;
    return h;
}

static void fill_pattern(struct mr_region r, uint64_t seed)
{
    uint64_t x = seed;
    size_t i = 0;
    for (; i + 8 <= r.len; i += 8) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        mr_store_u64((unsigned char *)r.ptr, (ptrdiff_t)i, x);
    }
    for (; i < r.len; i++)
        ((unsigned char *)r.ptr)[i] = (unsigned char)i;
}

static const char *rate(double bytes, double secs, char *buf, size_t size)
{
    double r = secs > 0 ? bytes / secs : 0;
    if (r >= 1e9)
        snprintf(buf, size, "%.2f GB/s", r / 1e9);
    else
        snprintf(buf, size, "%.1f MB/s", r / 1e6);
    return buf;
}

static int wait_child(pid_t pid)
{
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            return -errno;
    return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -ECHILD;
}

/* ---- 1. map + view --------------------------------------------------------------- */

static const char record_spec[] =
    "magic:char[4] version:u16le flags:u16be count:u32le scale:f64le name:char[16]";

static int step_map(const char *dir)
{
    char path[512];
    struct mr_map m = { 0 };
    struct mr_layout *l = NULL;
    int rc;
    snprintf(path, sizeof path, "%s/record.bin", dir);

    /* Write the record with a cursor over a new shared file mapping. */
    if ((rc = mr_map_open_new(&m, path, 36, 0600, MR_MAP_EXCL)) < 0)
        return cli_fail(path, rc, NULL);
    struct mr_cursor c;
    mr_cursor_init(&c, m.region);
    mr_cursor_write_bytes(&c, "MRGN", 4);
    mr_cursor_write_u16le(&c, 1);
    mr_cursor_write_u16be(&c, 0x8001);
    mr_cursor_write_u32le(&c, 3);
    mr_cursor_write_f64le(&c, 0.125);
    char name[16] = "demo record";
    mr_cursor_write_bytes(&c, name, sizeof name);
    rc = mr_cursor_error(&c);
    if (rc == 0)
        rc = mr_map_sync(&m, MR_MAP_SYNC);
    mr_map_close(&m);
    if (rc < 0)
        return cli_fail(path, rc, NULL);

    double t0 = now_s();
    if ((rc = mr_map_open(&m, path, MR_MAP_READ, 0)) < 0)
        return cli_fail(path, rc, NULL);
    struct mr_layout_error err;
    if ((rc = mr_layout_parse(NULL, record_spec, strlen(record_spec), &l, &err)) < 0) {
        mr_map_close(&m);
        return cli_fail("layout", rc, "%s at byte %zu", err.reason, err.pos);
    }
    struct mr_object o;
    if ((rc = mr_object_init(&o, l, m.region)) < 0) {
        mr_layout_destroy(l);
        mr_map_close(&m);
        return cli_fail(path, rc, NULL);
    }
    union mr_value count;
    mr_object_get(&o, "count", &count);
    double t1 = now_s();
    printf("1. map + view: a file decoded with a layout\n"
           "   wrote %s (%zu bytes) through a shared mapping and a cursor,\n"
           "   mapped it read-only and applied the layout\n"
           "     %s\n"
           "   (%.0f us from open to the first field):\n",
           path, m.region.len, record_spec, (t1 - t0) * 1e6);
    fflush(stdout);
    /* Indent the object's lines. */
    char *text = NULL;
    size_t text_len = 0;
    FILE *mem = open_memstream(&text, &text_len);
    if (mem) {
        mr_object_print(&o, mem);
        fclose(mem);
        for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n"))
            printf("     %s\n", line);
        free(text);
    }
    /* A write through the read-only region is refused, not a crash. */
    union mr_value v = { .u = 9 };
    rc = mr_object_set(&o, "count", v);
    printf("   writing count through the read-only mapping: %s (refused, as it must be)\n\n",
           mr_strerror(rc));
    mr_layout_destroy(l);
    mr_map_close(&m);
    return rc == -EACCES ? CLI_OK : cli_fail(path, rc, "a write to a read-only map was not refused");
}

/* ---- 2 + 3. sealed memfd passed to a child ---------------------------------------------- */

#define MEMFD_SIZE ((size_t)1 << 20)
#define DEMO_SEALS (MR_SEAL_SHRINK | MR_SEAL_GROW | MR_SEAL_SEAL)
static const char reply[] = "hello from the child";

/* The child: receive the fd, demand the seals, map, verify, reply in place. */
static int memfd_child(struct mr_sock *s, uint64_t want_sum)
{
    unsigned char msg[8];
    int fd = -1;
    size_t n = 0;
    ssize_t got = mr_sock_recv_fds(s, MR_REGION_OF_ARRAY(msg), &fd, 1, &n, 0);
    if (got != 8 || n != 1)
        return 1;
    struct mr_shm shm = MR_SHM_INIT;
    struct mr_map m = { 0 };
    if (mr_shm_adopt_fd(&shm, fd) < 0) {
        close(fd);
        return 1;
    }
    int rc = mr_shm_require_seals(&shm, DEMO_SEALS, MEMFD_SIZE, NULL);
    if (rc == 0)
        rc = mr_shm_map(&shm, 0, MR_SHM_TO_END, 0, &m);
    if (rc == 0 && checksum(m.region.ptr, m.region.len) != want_sum)
        rc = -EPROTO;
    if (rc == 0)
        memcpy(m.region.ptr, reply, sizeof reply);
    mr_shm_unmap(&m);
    mr_shm_close(&shm);
    unsigned char ok = rc == 0;
    mr_sock_send_all(s, mr_region_make(&ok, 1), TIMEOUT_MS, NULL);
    return rc == 0 ? 0 : 1;
}

static int step_memfd(void)
{
    struct mr_shm shm = MR_SHM_INIT;
    struct mr_map m = { 0 };
    struct mr_sock a = MR_SOCK_INIT, b = MR_SOCK_INIT;
    int rc, status = CLI_FAIL;
    char seals[64], hb[32];

    if ((rc = mr_shm_open_anon(&shm, "memregion-demo", 0)) < 0 ||
        (rc = mr_shm_resize(&shm, MEMFD_SIZE)) < 0 ||
        (rc = mr_shm_map(&shm, 0, MR_SHM_TO_END, 0, &m)) < 0) {
        cli_fail("memfd", rc, NULL);
        goto out;
    }
    fill_pattern(m.region, 0x5eed);
    uint64_t sum = checksum(m.region.ptr, m.region.len);
    if ((rc = mr_shm_seal_add(&shm, DEMO_SEALS)) < 0) {
        cli_fail("memfd", rc, "cannot seal: %s", mr_strerror(rc));
        goto out;
    }
    int got = mr_shm_seal_get(&shm);
    mr_shm_seal_names(got < 0 ? 0 : (unsigned)got, seals, sizeof seals);
    rc = mr_shm_resize(&shm, MEMFD_SIZE / 2);
    printf("2. shm: a sealed memfd\n"
           "   created memfd:memregion-demo, %s, filled with a pattern (checksum %016llx)\n"
           "   sealed %s; shrinking it now fails: %s\n\n",
           cli_human_bytes(MEMFD_SIZE, hb, sizeof hb), (unsigned long long)sum, seals,
           mr_strerror(rc));

    if ((rc = mr_sock_open_pair(&a, &b, SOCK_STREAM, 0)) < 0) {
        cli_fail("socketpair", rc, NULL);
        goto out;
    }
    fflush(stdout);
    double t0 = now_s();
    pid_t pid = fork();
    if (pid < 0) {
        cli_fail("fork", -errno, NULL);
        goto out;
    }
    if (pid == 0) {
        mr_sock_close(&a);
        _exit(memfd_child(&b, sum));
    }
    mr_sock_close(&b);
    unsigned char hello[8] = "memfd!!";
    ssize_t n = mr_sock_send_fds(&a, MR_REGION_OF_ARRAY(hello), &shm.fd, 1, 0);
    unsigned char ok = 0;
    if (n == 8)
        n = mr_sock_recv_exact(&a, mr_region_make(&ok, 1), TIMEOUT_MS, NULL);
    double t1 = now_s();
    mr_sock_close(&a); /* a child still waiting sees the end of the socket */
    rc = wait_child(pid);
    if (n < 0 || !ok || rc < 0) {
        cli_fail("child", n < 0 ? (int)n : -EPROTO, "the child did not accept the memfd");
        goto out;
    }
    char seen[sizeof reply] = "";
    mr_guard_read(m.region, 0, seen, sizeof reply);
    seen[sizeof reply - 1] = '\0';
    printf("3. sock: the memfd passed to a child process over a Unix socket pair\n"
           "   child %ld received the fd, required seals %s and at least %s,\n"
           "   mapped it, found the same checksum, and wrote into the same memory;\n"
           "   the parent now reads there: \"%s\"\n"
           "   (fork, pass, check 1 MiB, reply: %.2f ms; no byte of the memfd was copied)\n\n",
           (long)pid, seals, hb, seen, (t1 - t0) * 1e3);
    status = strcmp(seen, reply) == 0 ? CLI_OK : cli_fail("memfd", -EPROTO, "no reply in memory");
out:
    mr_sock_close(&a);
    mr_sock_close(&b);
    mr_shm_unmap(&m);
    mr_shm_close(&shm);
    return status;
}

/* ---- 4. chan ------------------------------------------------------------------------ */

#define CHAN_MSGS 200000u
#define CHAN_MSG_LEN 64u

static int chan_child(struct mr_sock *s)
{
    struct mr_chan c = MR_CHAN_INIT;
    if (mr_chan_attach_sock(&c, s, 0, MR_CHAN_CONSUMER, 0, TIMEOUT_MS) < 0)
        return 1;
    uint64_t sum = 0, count = 0;
    for (;;) {
        struct mr_region r;
        int rc = mr_chan_peek(&c, TIMEOUT_MS, &r);
        if (rc == -EPIPE)
            break;
        if (rc < 0) {
            mr_chan_close(&c);
            return 1;
        }
        sum += checksum(r.ptr, r.len);
        count++;
        mr_chan_release(&c);
    }
    mr_chan_close(&c);
    uint64_t out[2] = { count, sum };
    return mr_sock_send_all(s, MR_REGION_OF_ARRAY(out), TIMEOUT_MS, NULL) < 0;
}

static int step_chan(void)
{
    struct mr_chan c = MR_CHAN_INIT;
    struct mr_sock a = MR_SOCK_INIT, b = MR_SOCK_INIT;
    int rc, status = CLI_FAIL;
    if ((rc = mr_sock_open_pair(&a, &b, SOCK_STREAM, 0)) < 0) {
        cli_fail("socketpair", rc, NULL);
        goto out;
    }
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) {
        cli_fail("fork", -errno, NULL);
        goto out;
    }
    if (pid == 0) {
        mr_sock_close(&a);
        _exit(chan_child(&b));
    }
    mr_sock_close(&b);
    /* Created after the fork: a child that inherited the producer end and
     * closed it would mark it closed for both (see chan.h). */
    if ((rc = mr_chan_create(&c, (size_t)1 << 20, MR_CHAN_PRODUCER, 0)) < 0 ||
        (rc = mr_chan_share(&c, &a)) < 0) {
        cli_fail("channel", rc, "cannot hand it to the child: %s", mr_strerror(rc));
        mr_sock_close(&a); /* the child sees the end of the socket and stops */
        wait_child(pid);
        goto out;
    }
    uint64_t sum = 0;
    double t0 = now_s();
    for (uint32_t i = 0; i < CHAN_MSGS; i++) {
        struct mr_region r;
        if ((rc = mr_chan_reserve(&c, CHAN_MSG_LEN, TIMEOUT_MS, &r)) < 0)
            break;
        for (uint32_t k = 0; k < CHAN_MSG_LEN; k += 8)
            mr_store_u64((unsigned char *)r.ptr, (ptrdiff_t)k, (uint64_t)i * 0x9e3779b97f4a7c15u + k);
        sum += checksum(r.ptr, CHAN_MSG_LEN);
        mr_chan_commit(&c, CHAN_MSG_LEN);
    }
    struct mr_chan_stats st;
    mr_chan_stats(&c, &st);
    mr_chan_close(&c); /* the consumer reads what is left, then sees the end */
    uint64_t back[2] = { 0, 0 };
    ssize_t n = rc < 0 ? rc : mr_sock_recv_exact(&a, MR_REGION_OF_ARRAY(back), TIMEOUT_MS, NULL);
    double t1 = now_s();
    mr_sock_close(&a);
    int crc = wait_child(pid);
    if (n < 0 || crc < 0 || back[0] != CHAN_MSGS || back[1] != sum) {
        cli_fail("channel", n < 0 ? (int)n : -EPROTO, "the child did not receive every message");
        goto out;
    }
    char rb[32];
    double secs = t1 - t0;
    printf("4. chan: %u messages of %u bytes to a child through a shared-memory channel\n"
           "   a 1 MiB ring in a sealed memfd, handed over the socket pair; the child\n"
           "   counted %llu messages and the same checksum: %.1f M messages/s, %s\n"
           "   (%llu times the producer found the ring full and waited, %llu futex sleeps)\n\n",
           CHAN_MSGS, CHAN_MSG_LEN, (unsigned long long)back[0], CHAN_MSGS / secs / 1e6,
           rate((double)CHAN_MSGS * CHAN_MSG_LEN, secs, rb, sizeof rb),
           (unsigned long long)st.waits, (unsigned long long)st.sleeps);
    status = CLI_OK;
out:
    mr_chan_close(&c);
    mr_sock_close(&a);
    mr_sock_close(&b);
    return status;
}

/* ---- 5. TCP loopback ------------------------------------------------------------------ */

#define TCP_BYTES ((size_t)64 << 20)

static int tcp_child(const struct mr_addr *addr)
{
    struct mr_sock s = MR_SOCK_INIT;
    unsigned char *buf = malloc(TCP_BYTES);
    int status = 1;
    if (buf && mr_sock_open_connect(&s, addr, SOCK_STREAM, TIMEOUT_MS, 0) == 0 &&
        mr_sock_recv_exact(&s, mr_region_make(buf, TCP_BYTES), TIMEOUT_MS, NULL) ==
            (ssize_t)TCP_BYTES) {
        uint64_t sum = checksum(buf, TCP_BYTES);
        status = mr_sock_send_all(&s, MR_REGION_OF(sum), TIMEOUT_MS, NULL) < 0;
    }
    mr_sock_close(&s);
    free(buf);
    return status;
}

static int step_tcp(void)
{
    struct mr_sock l = MR_SOCK_INIT, c = MR_SOCK_INIT;
    struct mr_addr addr;
    unsigned char *buf = NULL;
    int rc, status = CLI_FAIL;
    char text[MR_ADDR_TEXT_MAX] = "127.0.0.1";
    if ((rc = mr_addr_loopback(&addr, AF_INET, 0)) < 0 ||
        (rc = mr_sock_open_listen(&l, &addr, -1, 0)) < 0 ||
        (rc = mr_sock_local_addr(&l, &addr)) < 0) {
        cli_fail("127.0.0.1", rc, NULL);
        goto out;
    }
    mr_addr_format(&addr, text, sizeof text);
    if (!(buf = malloc(TCP_BYTES))) {
        cli_fail("buffer", -ENOMEM, NULL);
        goto out;
    }
    struct mr_region r = mr_region_make(buf, TCP_BYTES);
    fill_pattern(r, 0xc0ffee);
    uint64_t sum = checksum(buf, TCP_BYTES);
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) {
        cli_fail("fork", -errno, NULL);
        goto out;
    }
    if (pid == 0) {
        mr_sock_close(&l);
        free(buf);
        _exit(tcp_child(&addr));
    }
    double t0 = now_s();
    rc = mr_sock_accept(&l, &c, NULL, TIMEOUT_MS);
    ssize_t n = rc < 0 ? rc : mr_sock_send_all(&c, r, TIMEOUT_MS, NULL);
    uint64_t back = 0;
    if (n >= 0)
        n = mr_sock_recv_exact(&c, MR_REGION_OF(back), TIMEOUT_MS, NULL);
    double t1 = now_s();
    mr_sock_close(&c);
    int crc = wait_child(pid);
    if (n < 0 || crc < 0 || back != sum) {
        cli_fail(text, n < 0 ? (int)n : -EPROTO, "the child did not receive the region intact");
        goto out;
    }
    char rb[32];
    printf("5. TCP: a 64 MiB region sent to a child over loopback (%s)\n"
           "   the child's checksum matches: %s, %.1f ms\n\n",
           text, rate((double)TCP_BYTES, t1 - t0, rb, sizeof rb), (t1 - t0) * 1e3);
    status = CLI_OK;
out:
    free(buf);
    mr_sock_close(&c);
    mr_sock_close(&l);
    return status;
}

/* ---- the whole demo --------------------------------------------------------------------- */

static void remove_dir(const char *dir)
{
    char path[512];
    snprintf(path, sizeof path, "%s/record.bin", dir);
    unlink(path);
    rmdir(dir);
}

int cmd_demo(int argc, char **argv)
{
    int first, rc;
    if ((rc = cli_getopt(argc, argv, "", NULL, demo_help, NULL, NULL, &first)) >= 0)
        return rc;
    if (first < argc)
        return cli_usage_error("unexpected argument '%s'", argv[first]);

    const char *tmpdir = getenv("TMPDIR");
    char dir[256];
    snprintf(dir, sizeof dir, "%s/memregion-demo-XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
    if (!mkdtemp(dir))
        return cli_fail(dir, -errno, NULL);

    double t0 = now_s();
    printf("memregion %s demo: every layer on real operating-system objects\n\n", mr_version());
    int status = step_map(dir);
    if (status == CLI_OK)
        status = step_memfd();
    if (status == CLI_OK)
        status = step_chan();
    if (status == CLI_OK)
        status = step_tcp();
    remove_dir(dir);
    if (status == CLI_OK)
        printf("done in %.2f s; the temporary directory, memfds, sockets and child\n"
               "processes are all gone.\n", now_s() - t0);
    return status;
}
