/* SPDX-License-Identifier: MIT */
/* tools/cmd_net.c: `memregion net export`, `net get`, `net put`: a file or
 * shared-memory object offered to other hosts for remote get and put, and
 * the two commands that fetch and store its bytes, over the net layer
 * (memregion/net.h, UCX). Built always, so that --help and usage errors
 * work; without the net layer the commands stop after parsing
 * (cli_net_missing). */
#include "net_cli.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#ifdef MR_CLI_NET
#include <poll.h>
#endif

#define NET_DEFAULT_LISTEN "0.0.0.0:7117"
/* get and put move this much per call, so that progress shows and a
 * timeout bounds each step rather than the whole transfer. */
#define NET_CHUNK ((size_t)4 << 20)

static const char net_help[] =
    "usage: memregion net export FILE|shm:NAME [options]   (serve it)\n"
    "       memregion net get ADDR TOKEN OUT [options]     (fetch bytes)\n"
    "       memregion net put ADDR TOKEN IN [options]      (store bytes)\n"
    "\n"
    "Offer a file or a POSIX shared-memory object to other hosts, and read or\n"
    "write it from there, over memregion's network layer (UCX: TCP here,\n"
    "RDMA on a cluster). 'net export' maps the object and prints a token, a\n"
    "capability of 40 bytes: whoever holds it (and may connect) can get, and\n"
    "with --write put, the object's bytes, nothing outside them. Pass the\n"
    "token to the other host any way you like (ssh, a file, copy and paste).\n"
    "\n"
    "  host A$ memregion net export data.bin --listen 0.0.0.0:7117 --allow 10.0.0.0/8\n"
    "  4d4d524b0100...                   (the token, on standard output)\n"
    "  host B$ memregion net get hostA:7117 4d4d524b0100... copy.bin\n"
    "\n"
    "The connection is neither encrypted nor authenticated: the token and\n"
    "--allow are all the access control there is. Across networks you do not\n"
    "trust, run it inside a VPN or an SSH tunnel (ssh -L 7117:localhost:7117).\n"
    "\n"
    "Run 'memregion net export --help', 'net get --help' or 'net put --help'\n"
    "for the options.\n";

static const char export_help[] =
    "usage: memregion net export FILE|shm:NAME [--listen ADDR] [--write]\n"
    "                            [--allow ADDR[/BITS]]... [--token-file PATH]\n"
    "                            [--base64] [--once] [--transport T]\n"
    "\n"
    "Map FILE (or the shared-memory object NAME) and serve it to 'memregion\n"
    "net get' and 'net put' on other hosts until SIGINT or SIGTERM (or, with\n"
    "--once, until the first client leaves). The token goes to standard\n"
    "output as one line of hex (or base64), or to --token-file; the address\n"
    "it listens on to stderr. Each get and put is checked against the\n"
    "object's bounds and the token's rights by this process before it\n"
    "touches a byte; a wrong token or a bad offset is refused and the export\n"
    "serves on. If another process shrinks the file while it is served,\n"
    "export stops serving and exits 1 (a get in flight at that moment may\n"
    "receive zeros for the bytes that vanished).\n"
    "\n"
    "options:\n"
    "  -l, --listen ADDR      the address to listen on (default " NET_DEFAULT_LISTEN ";\n"
    "                         port 0 picks a free one, printed on stderr)\n"
    "  -w, --write            let clients put (the token grants it); read-only\n"
    "                         otherwise\n"
    "  -a, --allow ADDR[/BITS] accept clients from this address or network\n"
    "                         (repeat up to 16 times; default: loopback only)\n"
    "  -o, --token-file PATH  write the token there (mode 600) instead\n"
    "  -b, --base64           the token in base64 rather than hex\n"
    "  -1, --once             exit after the first client leaves\n"
    "  -T, --transport T      UCX transports: tcp (default), auto, sm (one\n"
    "                         host, shared memory) or rdma\n"
    "  -h, --help             show this help\n"
    "\n"
    "examples:\n"
    "  memregion net export big.img --allow 192.168.1.0/24\n"
    "  memregion net export shm:frames --write --listen 127.0.0.1:0 --token-file t\n";

static const char get_help[] =
    "usage: memregion net get ADDR TOKEN OUT [--offset N] [--length N]\n"
    "                         [--timeout SECONDS] [--quiet] [--transport T]\n"
    "\n"
    "Fetch the bytes of the object that 'memregion net export' serves at ADDR\n"
    "(HOST:PORT) under TOKEN (its hex or base64 line, or @FILE to read it from\n"
    "a file) into OUT: a file, created or truncated, or - for standard\n"
    "output. The whole object by default. A progress bar goes to stderr when\n"
    "stderr is a terminal.\n"
    "\n"
    "options:\n"
    "  -O, --offset N         start at byte N of the object (K, M, G suffixes)\n"
    "  -n, --length N         fetch N bytes (default: to the end)\n"
    "  -t, --timeout SECONDS  give up when the exporter does not answer (or\n"
    "                         cannot be reached) within this long (default 30;\n"
    "                         0 waits forever)\n"
    "  -q, --quiet            no progress bar\n"
    "  -T, --transport T      tcp (default), auto, sm or rdma: as the exporter's\n"
    "  -h, --help             show this help\n"
    "\n"
    "example:\n"
    "  memregion net get hostA:7117 @token copy.bin && cmp copy.bin data.bin\n";

static const char put_help[] =
    "usage: memregion net put ADDR TOKEN IN [--offset N] [--length N]\n"
    "                         [--timeout SECONDS] [--quiet] [--transport T]\n"
    "\n"
    "Store the bytes of IN (a file, or - for standard input) into the object\n"
    "that 'memregion net export --write' serves at ADDR under TOKEN (hex,\n"
    "base64 or @FILE), from --offset on. IN must fit in the object: put never\n"
    "grows it. With --length, only the first N bytes of IN. A progress bar\n"
    "goes to stderr when stderr is a terminal.\n"
    "\n"
    "options:\n"
    "  -O, --offset N         store at byte N of the object (K, M, G suffixes)\n"
    "  -n, --length N         store only the first N bytes of IN\n"
    "  -t, --timeout SECONDS  give up when the exporter does not answer within\n"
    "                         this long (default 30; 0 waits forever)\n"
    "  -q, --quiet            no progress bar\n"
    "  -T, --transport T      tcp (default), auto, sm or rdma: as the exporter's\n"
    "  -h, --help             show this help\n"
    "\n"
    "example:\n"
    "  memregion net put hostA:7117 @token patched.bin\n";

static const struct option export_longs[] = {
    { "listen", required_argument, NULL, 'l' },   { "write", no_argument, NULL, 'w' },
    { "allow", required_argument, NULL, 'a' },    { "token-file", required_argument, NULL, 'o' },
    { "base64", no_argument, NULL, 'b' },         { "once", no_argument, NULL, '1' },
    { "transport", required_argument, NULL, 'T' }, { 0 }
};
#define EXPORT_SHORTS "l:wa:o:b1T:"
static const struct option xfer_longs[] = {
    { "offset", required_argument, NULL, 'O' }, { "length", required_argument, NULL, 'n' },
    { "timeout", required_argument, NULL, 't' }, { "quiet", no_argument, NULL, 'q' },
    { "transport", required_argument, NULL, 'T' }, { 0 }
};
#define XFER_SHORTS "O:n:t:qT:"

struct net_args {
    struct cli_net_opts net;
    const char *listen, *token_file;
    uint64_t offset, length;
    bool write, base64, once, quiet, length_set;
};

static int net_opt(int c, const char *arg, void *ctx)
{
    struct net_args *o = ctx;
    switch (c) {
    case 'l': o->listen = arg; return 0;
    case 'w': o->write = true; return 0;
    case 'a': return cli_net_opt_allow(&o->net, arg);
    case 'o': o->token_file = arg; return 0;
    case 'b': o->base64 = true; return 0;
    case '1': o->once = true; return 0;
    case 'T': return cli_net_opt_transport(&o->net, arg);
    case 'O': return cli_opt_u64("offset", arg, true, &o->offset);
    case 'n': o->length_set = true; return cli_opt_u64("length", arg, true, &o->length);
    case 't': return cli_opt_timeout(arg, &o->net.timeout_s);
    case 'q': o->quiet = true; return 0;
    }
    return CLI_USAGE;
}

/* ---- tokens as text ------------------------------------------------------------ */

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void token_text(const unsigned char *t, size_t n, bool base64, char *out)
{
    if (!base64) {
        for (size_t i = 0; i < n; i++)
            sprintf(out + 2 * i, "%02x", t[i]);
        return;
    }
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)t[i] << 16 | (i + 1 < n ? (uint32_t)t[i + 1] << 8 : 0) |
                     (i + 2 < n ? t[i + 2] : 0);
        out[o++] = b64[v >> 18 & 63];
        out[o++] = b64[v >> 12 & 63];
        out[o++] = i + 1 < n ? b64[v >> 6 & 63] : '=';
        out[o++] = i + 2 < n ? b64[v & 63] : '=';
    }
    out[o] = '\0';
}

/* Hex or base64 text of exactly MR_NET_TOKEN_SIZE_TEXT bytes into t: 0 or
 * -EINVAL. */
static int token_parse(const char *s, unsigned char *t, size_t n)
{
    size_t len = strlen(s);
    while (len && (s[len - 1] == '\n' || s[len - 1] == '\r' || s[len - 1] == ' '))
        len--;
    if (len == 2 * n) {
        for (size_t i = 0; i < n; i++) {
            unsigned v = 0;
            for (int k = 0; k < 2; k++) {
                char c = s[2 * i + (size_t)k];
                const char *h = strchr("0123456789abcdef0123456789ABCDEF", c);
                if (!c || !h)
                    return -EINVAL;
                v = v * 16 + (unsigned)((h - "0123456789abcdef0123456789ABCDEF") % 16);
            }
            t[i] = (unsigned char)v;
        }
        return 0;
    }
    if (len != (n + 2) / 3 * 4)
        return -EINVAL;
    size_t o = 0;
    for (size_t i = 0; i < len; i += 4) {
        uint32_t v = 0;
        int pad = 0;
        for (int k = 0; k < 4; k++) {
            char c = s[i + (size_t)k];
            const char *p = c ? strchr(b64, c) : NULL;
            if (c == '=' && i + 4 == len && k >= 2) {
                pad++;
                v <<= 6;
                continue;
            }
            if (!p || pad)
                return -EINVAL;
            v = v << 6 | (uint32_t)(p - b64);
        }
        for (int k = 0; k < 3 - pad && o < n; k++)
            t[o++] = (unsigned char)(v >> (16 - 8 * k));
    }
    return o == n ? 0 : -EINVAL;
}

/* TOKEN as given (text, or @FILE): 0, or an exit status after saying why. */
static int token_arg(const char *arg, unsigned char *t, size_t n)
{
    char buf[256];
    const char *text = arg;
    if (arg[0] == '@') {
        FILE *f = fopen(arg + 1, "r");
        if (!f)
            return cli_fail(arg + 1, -errno, NULL);
        size_t k = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[k] = '\0';
        text = buf;
    }
    if (token_parse(text, t, n) < 0)
        return cli_usage_error("invalid TOKEN '%.100s': expected what 'memregion net export' "
                               "printed (%zu hex digits or %zu base64 characters), or @FILE",
                               text, 2 * n, (n + 2) / 3 * 4);
    return 0;
}

#ifdef MR_CLI_NET

/* ---- export -------------------------------------------------------------------- */

/* A file or object shrunk under the export faults in whatever touches the
 * vanished pages: UCX sending a reply, or writing a put. The guard cannot
 * cover UCX's own copies, so this handler puts a private zero page where
 * the fault was (the access then completes) and tells the loop, which stops
 * serving. Faults elsewhere go to the handler before it (memregion's guard,
 * then UCX's, or the default). */
static char *volatile bus_lo, *volatile bus_hi;
static volatile sig_atomic_t bus_hit, stop_sig;
static struct sigaction bus_prev;

static void on_bus(int sig, siginfo_t *si, void *uc)
{
    char *a = si->si_addr;
    if (a >= bus_lo && a < bus_hi) {
        uintptr_t page = (uintptr_t)a & ~(uintptr_t)(sysconf(_SC_PAGESIZE) - 1);
        if (mmap((void *)page, (size_t)sysconf(_SC_PAGESIZE), PROT_READ | PROT_WRITE,
                 MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) != MAP_FAILED) {
            bus_hit = 1;
            return;
        }
    }
    if (bus_prev.sa_flags & SA_SIGINFO)
        bus_prev.sa_sigaction(sig, si, uc);
    else if (bus_prev.sa_handler != SIG_DFL && bus_prev.sa_handler != SIG_IGN)
        bus_prev.sa_handler(sig);
    else {
        signal(SIGBUS, SIG_DFL);
        raise(SIGBUS);
    }
}

static void on_stop(int sig)
{
    stop_sig = sig;
}

/* The object's size now (files and objects may shrink while served). */
static int64_t current_size(int fd)
{
    struct stat st;
    return fstat(fd, &st) < 0 ? -1 : (int64_t)st.st_size;
}

static int write_token(const struct net_args *o, const char *text)
{
    if (!o->token_file) {
        printf("%s\n", text);
        if (fflush(stdout) != 0)
            return cli_fail("stdout", -errno, NULL);
        return 0;
    }
    int fd = open(o->token_file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return cli_fail(o->token_file, -errno, NULL);
    /* Mode 600 also for a file that was there (open sets it only when it
     * makes one): the token is the export's key. */
    if (fchmod(fd, 0600) < 0 || dprintf(fd, "%s\n", text) < 0) {
        int e = -errno;
        close(fd);
        return cli_fail(o->token_file, e, NULL);
    }
    if (close(fd) < 0)
        return cli_fail(o->token_file, -errno, NULL);
    return 0;
}

#define EXPORT_PEERS_MAX 64

static int serve(struct mr_net *n, const struct net_args *o, const char *spec, int size_fd,
                 size_t len)
{
    struct mr_net_peer *peers[EXPORT_PEERS_MAX];
    size_t np = 0;
    bool served = false;
    int status = CLI_OK;
    while (!stop_sig) {
        struct pollfd pfd = { .fd = mr_net_fd(n), .events = POLLIN };
        (void)poll(&pfd, 1, 100);
        /* Before serving what came (no reply from vanished pages when it
         * can be seen), and after (a fault while serving). */
        bool shrunk = size_fd >= 0 && current_size(size_fd) < (int64_t)len;
        while (!shrunk && mr_net_progress(n) > 0)
            ;
        if (shrunk || bus_hit || (size_fd >= 0 && current_size(size_fd) < (int64_t)len)) {
            status = cli_fail(spec, -EFAULT, "the object shrank while served (another process "
                                             "truncated it): stopped serving");
            break;
        }
        struct mr_net_peer *p;
        if (np < EXPORT_PEERS_MAX && mr_net_accept(n, 0, &p) == 0)
            peers[np++] = p;
        for (size_t i = 0; i < np;) {
            if (mr_net_peer_status(peers[i]) != 0) {
                mr_net_peer_close(peers[i]);
                peers[i] = peers[--np];
                served = true;
                continue;
            }
            i++;
        }
        if (o->once && served && np == 0)
            break;
    }
    for (size_t i = 0; i < np; i++)
        mr_net_peer_close(peers[i]);
    return status;
}

static int net_export(int argc, char **argv)
{
    struct net_args o = { .net.transport = MR_NET_TCP, .listen = NET_DEFAULT_LISTEN };
    int first, rc;
    if ((rc = cli_getopt(argc, argv, EXPORT_SHORTS, export_longs, export_help, net_opt, &o, &first)) >= 0)
        return rc;
    const char *spec;
    if ((rc = cli_one_operand(argc, argv, first, "FILE or shm:NAME to export", &spec)) >= 0)
        return rc;

    struct cli_target t;
    if ((rc = cli_target_open(&t, spec, o.write)) < 0)
        return cli_fail(spec, rc, NULL);
    /* The object's size is watched through the descriptor the map holds:
     * the same file, whatever is renamed meanwhile. */
    int size_fd = t.is_shm ? t.shm.fd : t.map.fd;
    struct mr_net *n = NULL;
    struct mr_net_export *e = NULL;
    int status = CLI_FAIL;
    char bound[128];
    if (t.map.region.len == 0) {
        cli_fail(spec, -EINVAL, "empty: nothing to export");
        goto out;
    }
    if (cli_net_open(&o.net, &n) != 0 || cli_net_listen(n, o.listen, bound, sizeof bound) != 0)
        goto out;

    /* After UCX loaded (its handler) and the guard's: this one runs first. */
    mr_guard_install();
    bus_lo = t.map.region.ptr;
    bus_hi = (char *)t.map.region.ptr + t.map.region.len;
    struct sigaction sa = { .sa_sigaction = on_bus, .sa_flags = SA_SIGINFO | SA_NODEFER };
    sigemptyset(&sa.sa_mask);
    sigaction(SIGBUS, &sa, &bus_prev);
    struct sigaction st = { .sa_handler = on_stop };
    sigemptyset(&st.sa_mask);
    sigaction(SIGINT, &st, NULL);
    sigaction(SIGTERM, &st, NULL);

    rc = mr_net_export(n, t.map.region, MR_NET_READ | (o.write ? MR_NET_WRITE : 0), &e);
    if (rc < 0) {
        cli_fail(spec, rc, "cannot export: %s", mr_strerror(rc));
        goto out;
    }
    unsigned char tok[MR_NET_TOKEN_SIZE];
    if ((rc = (int)mr_net_token(e, MR_REGION_OF_ARRAY(tok))) < 0) {
        cli_fail(spec, rc, NULL);
        goto out;
    }
    char text[2 * MR_NET_TOKEN_SIZE + 1];
    token_text(tok, sizeof tok, o.base64, text);
    if (write_token(&o, text) != 0)
        goto out;
    char human[32];
    fprintf(stderr, "memregion: net export: %s: %zu bytes (%s, %s) on %s until SIGINT/SIGTERM%s\n",
            spec, t.map.region.len, cli_human_bytes(t.map.region.len, human, sizeof human),
            o.write ? "read-write" : "read-only", bound, o.once ? " or the first client left" : "");
    status = serve(n, &o, spec, size_fd, t.map.region.len);
out:
    mr_net_revoke(e);
    mr_net_close(n);
    if (bus_lo)
        sigaction(SIGBUS, &bus_prev, NULL);
    bus_lo = bus_hi = NULL;
    cli_target_close(&t);
    return status;
}

/* ---- get and put ---------------------------------------------------------------- */

/* The import's error in words. */
static int import_failed(const char *addr, int rc)
{
    if (rc == -EPROTO)
        return cli_fail(addr, rc, "the exporter does not know this token (mistyped, revoked, "
                                  "or its export stopped)");
    if (rc == -ETIMEDOUT)
        return cli_fail(addr, rc, "the exporter did not answer in time");
    return cli_fail(addr, rc, "the exporter went away: %s", mr_strerror(rc));
}

static int xfer_failed(const char *addr, int rc, bool put)
{
    if (rc == -EACCES && put)
        return cli_fail(addr, rc, "the export is read-only (serve it with 'net export --write')");
    if (rc == -EACCES)
        return cli_fail(addr, rc, "the token does not grant reading");
    if (rc == -EPROTO)
        return cli_fail(addr, rc, "the export was revoked while in use");
    if (rc == -ECONNRESET)
        return cli_fail(addr, rc, "the exporter died or the network failed");
    if (rc == -EPIPE)
        return cli_fail(addr, rc, "the exporter stopped");
    return cli_fail(addr, rc, NULL);
}

static ssize_t full_read(int fd, unsigned char *p, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t k = read(fd, p + got, n - got);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            return -errno;
        if (k == 0)
            break;
        got += (size_t)k;
    }
    return (ssize_t)got;
}

static int get_put(int argc, char **argv, bool put)
{
    struct net_args o = { .net.transport = MR_NET_TCP, .net.timeout_s = 30 };
    int first, rc;
    if ((rc = cli_getopt(argc, argv, XFER_SHORTS, xfer_longs, put ? put_help : get_help, net_opt, &o,
                         &first)) >= 0)
        return rc;
    if (argc - first < 3)
        return cli_usage_error("missing %s", argc - first == 0 ? "ADDR (HOST:PORT of 'net export')"
                                             : argc - first == 1 ? "TOKEN"
                                             : put ? "IN (a file, or - for stdin)"
                                                   : "OUT (a file, or - for stdout)");
    if (argc - first > 3)
        return cli_usage_error("unexpected argument '%s'", argv[first + 3]);
    const char *addr = argv[first], *path = argv[first + 2];
    unsigned char tok[MR_NET_TOKEN_SIZE];
    if ((rc = token_arg(argv[first + 1], tok, sizeof tok)) != 0)
        return rc;

    /* The local side first: a file that cannot be opened costs no connection. */
    int fd;
    bool std = strcmp(path, "-") == 0;
    if (put)
        fd = std ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
    else
        fd = std ? STDOUT_FILENO : open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0666);
    if (fd < 0)
        return cli_fail(path, -errno, NULL);
    uint64_t in_size = CLI_SIZE_UNKNOWN;
    struct stat st;
    if (put && fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
        in_size = (uint64_t)st.st_size;
    if (!put)
        signal(SIGPIPE, SIG_IGN);

    int status = CLI_FAIL, ms = cli_timeout_ms(o.net.timeout_s);
    struct mr_net *n = NULL;
    struct mr_net_peer *p = NULL;
    struct mr_net_remote *r = NULL;
    unsigned char *buf = NULL;
    if (cli_net_open(&o.net, &n) != 0 || cli_net_connect(n, addr, &o.net, false, &p) != 0)
        goto out;
    if ((rc = mr_net_import(p, MR_REGION_OF_ARRAY(tok), ms, &r)) < 0) {
        import_failed(addr, rc);
        goto out;
    }
    /* OUT is emptied only now: a wrong token or host leaves it as it was. */
    if (!put && !std && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && ftruncate(fd, 0) < 0) {
        cli_fail(path, -errno, NULL);
        goto out;
    }
    uint64_t size = mr_net_remote_size(r);
    if (o.offset > size) {
        cli_fail(addr, -ERANGE, "offset %llu is past the end of the export (%llu bytes)",
                 (unsigned long long)o.offset, (unsigned long long)size);
        goto out;
    }
    uint64_t len = o.length_set ? o.length : size - o.offset;
    if (put && !o.length_set && in_size != CLI_SIZE_UNKNOWN)
        len = in_size;
    if (put && o.length_set && in_size != CLI_SIZE_UNKNOWN && in_size < len) {
        cli_fail(path, -ERANGE, "holds %llu bytes, fewer than --length %llu",
                 (unsigned long long)in_size, (unsigned long long)len);
        goto out;
    }
    if (len > size - o.offset) {
        cli_fail(addr, -ERANGE, "%llu bytes at offset %llu reach past the end of the export "
                                "(%llu bytes)", (unsigned long long)len,
                 (unsigned long long)o.offset, (unsigned long long)size);
        goto out;
    }
    if (!(buf = malloc(NET_CHUNK))) {
        cli_fail(path, -ENOMEM, NULL);
        goto out;
    }
    struct cli_progress pr;
    cli_progress_init(&pr, o.quiet, len);
    uint64_t done = 0;
    status = CLI_OK;
    /* put from a pipe without --length: until its end, as far as the export goes. */
    bool to_eof = put && !o.length_set && in_size == CLI_SIZE_UNKNOWN;
    while (done < len) {
        size_t k = len - done < NET_CHUNK ? (size_t)(len - done) : NET_CHUNK;
        if (put) {
            ssize_t got = full_read(fd, buf, k);
            if (got < 0) {
                status = cli_fail(path, (int)got, NULL);
                break;
            }
            if ((size_t)got < k && !to_eof) {
                status = cli_fail(path, -EIO, "ended after %llu bytes, before the %llu to put",
                                  (unsigned long long)(done + (uint64_t)got),
                                  (unsigned long long)len);
                break;
            }
            k = (size_t)got;
            if (k == 0)
                break;
            if ((rc = mr_net_put(r, (size_t)(o.offset + done), mr_region_make(buf, k), ms)) < 0) {
                status = xfer_failed(addr, rc, true);
                break;
            }
        } else {
            if ((rc = mr_net_get(r, (size_t)(o.offset + done), mr_region_make(buf, k), ms)) < 0) {
                status = xfer_failed(addr, rc, false);
                break;
            }
            if ((rc = cli_write_all(fd, buf, k)) < 0) {
                status = cli_fail(std ? "stdout" : path, rc, NULL);
                break;
            }
        }
        done += k;
        cli_progress_show(&pr, done, false);
    }
    cli_progress_show(&pr, done, true);
    if (status == CLI_OK && to_eof && done == len && full_read(fd, buf, 1) > 0)
        status = cli_fail(path, -ERANGE, "longer than the export's %llu bytes from offset %llu: "
                                         "stored the first %llu", (unsigned long long)size,
                          (unsigned long long)o.offset, (unsigned long long)done);
out:
    free(buf);
    mr_net_remote_close(r);
    mr_net_peer_close(p);
    mr_net_close(n);
    if (!std && fd >= 0 && close(fd) < 0 && status == CLI_OK)
        status = cli_fail(path, -errno, NULL);
    return status;
}

static int net_get(int argc, char **argv) { return get_put(argc, argv, false); }
static int net_put(int argc, char **argv) { return get_put(argc, argv, true); }

#else /* no net layer: the command line is checked, then the message */

static int net_parse_only(int argc, char **argv, const char *help, bool export)
{
    struct net_args o = { 0 };
    int first, rc;
    if ((rc = cli_getopt(argc, argv, export ? EXPORT_SHORTS : XFER_SHORTS,
                         export ? export_longs : xfer_longs, help, net_opt, &o, &first)) >= 0)
        return rc;
    int want = export ? 1 : 3;
    if (argc - first < want)
        return cli_usage_error("missing operands: see the usage above");
    if (argc - first > want)
        return cli_usage_error("unexpected argument '%s'", argv[first + want]);
    (void)token_text;
    (void)token_arg;
    return cli_net_missing();
}

static int net_export(int argc, char **argv) { return net_parse_only(argc, argv, export_help, true); }
static int net_get(int argc, char **argv) { return net_parse_only(argc, argv, get_help, false); }
static int net_put(int argc, char **argv) { return net_parse_only(argc, argv, put_help, false); }

#endif

int cmd_net(int argc, char **argv)
{
    static const struct cli_cmd subs[] = {
        { "export", "", net_export },
        { "get", "", net_get },
        { "put", "", net_put },
    };
    return cli_dispatch("net", subs, sizeof subs / sizeof subs[0], net_help,
                        "missing subcommand (export, get or put)", argc, argv);
}
