/* SPDX-License-Identifier: MIT */
/* tools/cmd_share.c: `memregion share` and `memregion attach`: hand an open
 * file or shared-memory object to another process as a file descriptor over
 * a Unix socket, and receive it. The messages are in share_proto.h. */
#include "cli.h"
#include "share_proto.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* How long share waits for the receiver's answer once the fd is sent. */
#define ACK_TIMEOUT_MS 5000

static const char share_help[] =
    "usage: memregion share TARGET --socket PATH [--timeout SECONDS] [--keep] [--any-user]\n"
    "\n"
    "Hand TARGET (a file path, or a shared-memory object written shm:/name) to\n"
    "another process: share listens on the Unix socket PATH, and sends the\n"
    "object's open file descriptor, with its name and size, to the first\n"
    "process that connects ('memregion attach PATH', or any program using\n"
    "memregion's sock layer). The receiver maps the very same memory: no byte\n"
    "is copied, and it needs no permission to open the object by name.\n"
    "The descriptor is read-only: the receiver cannot write through it.\n"
    "Only processes of the same user get it (the kernel tells who connected);\n"
    "others are refused, named on stderr, and share keeps waiting.\n"
    "share counts the object as handed over, and exits 0, only when the\n"
    "receiver answers that it holds it: a relay that cannot pass descriptors\n"
    "(socat, ssh) is reported as a failure, not as a success.\n"
    "\n"
    "options:\n"
    "  -s, --socket PATH      the Unix socket to listen on (created, and\n"
    "                         removed on exit; it must not exist)\n"
    "  -t, --timeout SECONDS  give up when nobody connects within this long\n"
    "                         (default 30; 0 waits forever)\n"
    "  -k, --keep             serve every process that connects, until the\n"
    "                         timeout passes with nobody connecting\n"
    "  -a, --any-user         hand the object to processes of any user\n"
    "  -h, --help             show this help\n"
    "\n"
    "example:\n"
    "  memregion share shm:/frames --socket /tmp/frames.sock &\n"
    "  memregion attach /tmp/frames.sock --dump\n";

static const char attach_help[] =
    "usage: memregion attach PATH [--timeout SECONDS] [--json] [--dump [--len N]]\n"
    "\n"
    "Connect to the Unix socket PATH, where 'memregion share' is waiting,\n"
    "receive the file descriptor it sends, map the object read-only and show\n"
    "what arrived: its name, size, seals, and the process that sent it. The\n"
    "size shown is the object's real size, read from the descriptor itself.\n"
    "\n"
    "options:\n"
    "  -t, --timeout SECONDS  give up after this long (default 30; 0: forever)\n"
    "      --json             what arrived, as one JSON object\n"
    "  -d, --dump             also show the object's bytes as a hex dump\n"
    "  -n, --len N            dump only the first N bytes\n"
    "  -h, --help             show this help\n";

struct share_opts {
    const char *socket;
    uint64_t timeout_s, len;
    bool keep, any_user, json, dump, len_set;
};

enum { OPT_JSON = 1000 };

static int share_opt(int c, const char *arg, void *ctx)
{
    struct share_opts *o = ctx;
    switch (c) {
    case 's':
        o->socket = arg;
        return 0;
    case 't':
        if (cli_parse_u64(arg, false, &o->timeout_s) < 0 || o->timeout_s > 86400 * 365)
            return cli_usage_error("invalid timeout '%s': expected whole seconds", arg);
        return 0;
    case 'k':
        o->keep = true;
        return 0;
    case 'a':
        o->any_user = true;
        return 0;
    case 'd':
        o->dump = true;
        return 0;
    case 'n':
        o->len_set = true;
        return cli_opt_u64("length", arg, true, &o->len);
    case OPT_JSON:
        o->json = true;
        return 0;
    }
    return CLI_USAGE;
}

static int timeout_ms(uint64_t s)
{
    return s == 0 ? -1 : (int)(s > 2000000 ? 2000000000 : s * 1000);
}

/* Open TARGET read-only as an fd of our own. */
static int open_target_fd(const char *spec, int *fd, uint64_t *size)
{
    struct stat st;
    if (strncmp(spec, "shm:", 4) == 0) {
        char name[MR_SHM_NAME_MAX + 2];
        struct mr_shm shm = MR_SHM_INIT;
        int rc = cli_shm_name(spec, name, sizeof name);
        if (rc == 0)
            rc = mr_shm_open(&shm, name, MR_SHM_READ, MR_SHM_USE, MR_SHM_MISSING_FAIL, 0);
        if (rc < 0)
            return rc;
        *fd = shm.fd; /* taken over from the struct: closed by the caller */
    } else {
        *fd = open(spec, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (*fd < 0)
            return -errno;
    }
    int rc = 0;
    if (fstat(*fd, &st) < 0)
        rc = -errno;
    else if (S_ISDIR(st.st_mode))
        rc = -EISDIR;
    else if (!S_ISREG(st.st_mode))
        rc = -ENODEV;
    if (rc < 0) {
        close(*fd);
        return rc;
    }
    *size = (uint64_t)st.st_size;
    return 0;
}

int cmd_share(int argc, char **argv)
{
    static const struct option longs[] = { { "socket", required_argument, NULL, 's' },
                                           { "timeout", required_argument, NULL, 't' },
                                           { "keep", no_argument, NULL, 'k' },
                                           { "any-user", no_argument, NULL, 'a' },
                                           { 0 } };
    struct share_opts o = { .timeout_s = 30 };
    int first, rc;
    if ((rc = cli_getopt(argc, argv, "s:t:ka", longs, share_help, share_opt, &o, &first)) >= 0)
        return rc;
    if (argc - first < 1)
        return cli_usage_error("missing TARGET (a file, or shm:/name)");
    if (argc - first > 1)
        return cli_usage_error("unexpected argument '%s'", argv[first + 1]);
    if (!o.socket)
        return cli_usage_error("missing --socket PATH");

    const char *spec = argv[first];
    int fd = -1;
    uint64_t size = 0;
    if ((rc = open_target_fd(spec, &fd, &size)) < 0)
        return cli_fail(spec, rc, rc == -ENOENT ? "no such file or shared-memory object"
                                  : rc == -ENODEV ? "not a regular file or shared-memory object"
                                                  : NULL);

    unsigned char hdr[SHARE_GREETING_MAX];
    size_t hdr_len = share_greeting_make(hdr, spec, size);

    struct mr_addr addr;
    struct mr_sock l = MR_SOCK_INIT;
    if ((rc = mr_addr_unix(&addr, o.socket)) < 0 ||
        (rc = mr_sock_open_listen(&l, &addr, -1, 0)) < 0) {
        close(fd);
        return cli_fail(o.socket, rc, rc == -EADDRINUSE ? "exists already (remove it, or pick "
                                                          "another path)"
                                                        : NULL);
    }
    fprintf(stderr, "memregion share: %s (%llu bytes) waiting on %s\n", spec,
            (unsigned long long)size, o.socket);
    int status = CLI_OK;
    unsigned served = 0;
    for (;;) {
        struct mr_sock c = MR_SOCK_INIT;
        rc = mr_sock_accept(&l, &c, NULL, timeout_ms(o.timeout_s));
        if (rc == -ETIMEDOUT && served > 0)
            break;
        if (rc < 0) {
            status = cli_fail(o.socket, rc, rc == -ETIMEDOUT ? "nobody connected within %llu s"
                                                             : NULL,
                              (unsigned long long)o.timeout_s);
            break;
        }
        struct mr_sock_cred cred = { 0, 0, 0 };
        mr_sock_peer_cred(&c, &cred);
        /* A socket file is connectable by whoever may write it, which the
         * umask decides: the kernel's word on the peer is what counts. */
        if (!o.any_user && (rc = mr_sock_peer_check_user(&c)) < 0) {
            mr_sock_close(&c);
            cli_fail(o.socket, rc, "refused pid %ld (uid %lu): not this user (see --any-user)",
                     (long)cred.pid, (unsigned long)cred.uid);
            continue;
        }
        ssize_t n = mr_sock_send_fds(&c, mr_region_make(hdr, hdr_len), &fd, 1, 0);
        /* Delivered only when the receiver says it holds the object: a
         * relay that cannot carry fds (socat) takes the bytes and drops the
         * fd, and its pid is not the one that should be named. */
        unsigned char ack = 0;
        if (n >= 0)
            n = mr_sock_recv_exact(&c, MR_REGION_OF(ack), ACK_TIMEOUT_MS, NULL);
        mr_sock_close(&c);
        if (n < 0 || ack != SHARE_ACK_OK) {
            status = n < 0 && n != -ETIMEDOUT && n != -EPIPE && n != -ECONNRESET
                         ? cli_fail(o.socket, (int)n, NULL)
                         : cli_fail(o.socket, -EPROTO,
                                    ack == SHARE_ACK_REFUSED
                                        ? "pid %ld refused the object (a relay, such as "
                                          "socat, refuses for a receiver the descriptor "
                                          "did not reach)"
                                        : "pid %ld did not confirm it received the object (not "
                                          "'memregion attach', or a relay that cannot pass "
                                          "file descriptors, such as socat, is in between)",
                                    (long)cred.pid);
            if (!o.keep)
                break;
            continue;
        }
        served++;
        printf("shared %s (%llu bytes) with pid %ld (uid %lu)\n", spec, (unsigned long long)size,
               (long)cred.pid, (unsigned long)cred.uid);
        fflush(stdout);
        if (!o.keep)
            break;
    }
    mr_sock_close(&l);
    close(fd);
    return status;
}

/* Tell the sender whether the object arrived, and hang up: a sender gone
 * already is no reason to fail here. */
static void answer(struct mr_sock *s, unsigned char ack)
{
    mr_sock_send(s, MR_REGION_OF(ack), MSG_DONTWAIT);
    mr_sock_close(s);
}

int cmd_attach(int argc, char **argv)
{
    static const struct option longs[] = { { "timeout", required_argument, NULL, 't' },
                                           { "json", no_argument, NULL, OPT_JSON },
                                           { "dump", no_argument, NULL, 'd' },
                                           { "len", required_argument, NULL, 'n' },
                                           { 0 } };
    struct share_opts o = { .timeout_s = 30 };
    int first, rc;
    if ((rc = cli_getopt(argc, argv, "t:dn:", longs, attach_help, share_opt, &o, &first)) >= 0)
        return rc;
    if (argc - first < 1)
        return cli_usage_error("missing PATH (the socket 'memregion share' listens on)");
    if (argc - first > 1)
        return cli_usage_error("unexpected argument '%s'", argv[first + 1]);
    if (o.json && o.dump)
        return cli_usage_error("--json and --dump exclude each other");
    const char *path = argv[first];

    struct mr_addr addr;
    struct mr_sock s = MR_SOCK_INIT;
    if ((rc = mr_addr_unix(&addr, path)) < 0 ||
        (rc = mr_sock_open_connect(&s, &addr, SOCK_STREAM, timeout_ms(o.timeout_s), 0)) < 0)
        return cli_fail(path, rc, rc == -ENOENT ? "no such socket (is 'memregion share' running?)"
                                  : rc == -ECONNREFUSED ? "nobody listens on it"
                                                        : NULL);
    if (o.timeout_s)
        mr_sock_set_opt(&s, MR_SOCK_OPT_RCVTIMEO, timeout_ms(o.timeout_s));
    struct mr_sock_cred cred = { 0, 0, 0 };
    mr_sock_peer_cred(&s, &cred);

    unsigned char hdr[SHARE_GREETING_MAX];
    int fds[1];
    size_t nfd = 0;
    ssize_t n = mr_sock_recv_fds(&s, MR_REGION_OF_ARRAY(hdr), fds, 1, &nfd, 0);
    if (n < 0) {
        mr_sock_close(&s);
        return cli_fail(path, (int)n, n == -EMSGSIZE ? "the peer sent more than one file "
                                                       "descriptor"
                                                     : NULL);
    }
    struct share_greeting g;
    const char *why = NULL;
    if ((rc = share_greeting_parse(hdr, (size_t)n, nfd, &g, &why)) < 0) {
        if (nfd == 1)
            close(fds[0]);
        answer(&s, SHARE_ACK_REFUSED);
        return cli_fail(path, rc, "%s", why);
    }
    uint64_t claimed = g.size;
    const char *name = g.name;
    struct cli_target t = { .shm = MR_SHM_INIT, .spec = name, .is_shm = true };
    if ((rc = mr_shm_adopt_fd(&t.shm, fds[0])) < 0) {
        close(fds[0]);
        answer(&s, SHARE_ACK_REFUSED);
        return cli_fail(name, rc, "the received descriptor is unusable: %s", mr_strerror(rc));
    }
    struct mr_shm_stat st;
    if ((rc = mr_shm_stat(&t.shm, &st)) < 0 ||
        (rc = mr_shm_map(&t.shm, 0, MR_SHM_TO_END, MR_SHM_MAP_RDONLY, &t.map)) < 0) {
        cli_target_close(&t);
        answer(&s, SHARE_ACK_REFUSED);
        return cli_fail(name, rc, NULL);
    }
    answer(&s, SHARE_ACK_OK);
    int seals = mr_shm_seal_get(&t.shm);
    char seal_text[96] = "none";
    if (seals > 0)
        mr_shm_seal_names((unsigned)seals, seal_text, sizeof seal_text);

    int status = CLI_OK;
    if (o.json) {
        struct cli_json j;
        cli_json_init(&j, stdout);
        cli_json_begin_object(&j);
        cli_json_key(&j, "name");
        cli_json_str(&j, name);
        cli_json_key(&j, "size");
        cli_json_u64(&j, st.size);
        cli_json_key(&j, "size_claimed");
        cli_json_u64(&j, claimed);
        cli_json_key(&j, "mode");
        char mode[8];
        snprintf(mode, sizeof mode, "%04o", (unsigned)st.mode);
        cli_json_str(&j, mode);
        cli_json_key(&j, "seals");
        cli_json_str(&j, seal_text);
        cli_json_key(&j, "peer_pid");
        cli_json_i64(&j, cred.pid);
        cli_json_key(&j, "peer_uid");
        cli_json_u64(&j, cred.uid);
        cli_json_end_object(&j);
        cli_json_end(&j);
    } else {
        printf("received %s: %llu bytes, mode %04o, seals %s, from pid %ld (uid %lu)\n", name,
               (unsigned long long)st.size, (unsigned)st.mode, seal_text, (long)cred.pid,
               (unsigned long)cred.uid);
        if (claimed != st.size)
            printf("note: the sender said %llu bytes; the object has %llu now\n",
                   (unsigned long long)claimed, (unsigned long long)st.size);
    }
    if (o.dump) {
        size_t len = t.map.region.len;
        if (o.len_set && o.len < len)
            len = (size_t)o.len;
        unsigned char buf[4096];
        for (size_t off = 0; off < len && status == CLI_OK; off += sizeof buf) {
            size_t k = len - off < sizeof buf ? len - off : sizeof buf;
            if (cli_target_read(&t, off, buf, k) != 0)
                status = CLI_FAIL;
            else
                mr_region_hexdump(mr_region_make_ro(buf, k), stdout, off);
        }
    }
    cli_target_close(&t);
    return status;
}
