/* SPDX-License-Identifier: MIT */
/* tools/cli.c: option parsing, numbers, messages, targets and JSON for the
 * memregion program. */
#include "cli.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char command_path[64] = "";

void cli_set_command(const char *path)
{
    snprintf(command_path, sizeof command_path, "%s", path);
}

const char *cli_command(void)
{
    return command_path;
}

int cli_fail(const char *object, int code, const char *fmt, ...)
{
    fprintf(stderr, "memregion: ");
    if (command_path[0])
        fprintf(stderr, "%s: ", command_path);
    if (object)
        fprintf(stderr, "%s: ", object);
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
    } else {
        fputs(mr_strerror(code), stderr);
    }
    fputc('\n', stderr);
    return CLI_FAIL;
}

int cli_usage_error(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "memregion: ");
    if (command_path[0])
        fprintf(stderr, "%s: ", command_path);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nusage: see 'memregion %s%s--help'\n", command_path,
            command_path[0] ? " " : "");
    return CLI_USAGE;
}

int cli_help(const char *help)
{
    fputs(help, stdout);
    return CLI_OK;
}

int cli_dispatch(const char *group, const struct cli_cmd *subs, size_t n, const char *help,
                 const char *missing, int argc, char **argv)
{
    if (argc < 2)
        return cli_usage_error("%s", missing);
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)
        return cli_help(help);
    for (size_t i = 0; i < n; i++) {
        if (strcmp(argv[1], subs[i].name) == 0) {
            char path[32];
            snprintf(path, sizeof path, "%s %s", group, subs[i].name);
            cli_set_command(path);
            return subs[i].run(argc - 1, argv + 1);
        }
    }
    return cli_usage_error("unknown subcommand '%s'", argv[1]);
}

int cli_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts,
               const char *help, int (*on_opt)(int c, const char *arg, void *ctx), void *ctx,
               int *first_arg)
{
    /* getopt permutes, so options may follow operands ("shm create x
     * --size 4K"); the leading ':' tells a missing value from an unknown
     * option. */
    char shorts[64];
    struct option longs[32];
    size_t n = 0;

    snprintf(shorts, sizeof shorts, ":h%s", shortopts ? shortopts : "");
    for (; longopts && longopts[n].name && n < 30; n++)
        longs[n] = longopts[n];
    longs[n++] = (struct option){ "help", no_argument, NULL, 'h' };
    longs[n] = (struct option){ NULL, 0, NULL, 0 };

    optind = 0; /* glibc: 0 starts a fresh scan, also after a previous command */
    opterr = 0;
    for (;;) {
        int c = getopt_long(argc, argv, shorts, longs, NULL);
        if (c == -1)
            break;
        if (c == 'h')
            return cli_help(help);
        if (c == '?') {
            if (optopt)
                return cli_usage_error("unknown option '-%c'", optopt);
            return cli_usage_error("unknown option '%s'", argv[optind - 1]);
        }
        if (c == ':')
            return cli_usage_error("option '%s' needs a value", argv[optind - 1]);
        int rc = on_opt ? on_opt(c, optarg, ctx) : CLI_USAGE;
        if (rc != 0)
            return rc;
    }
    *first_arg = optind;
    return -1;
}

/* ---- numbers ---------------------------------------------------------------- */

int cli_one_operand(int argc, char **argv, int first, const char *missing, const char **out)
{
    if (argc - first < 1)
        return cli_usage_error("missing %s", missing);
    if (argc - first > 1)
        return cli_usage_error("unexpected argument '%s'", argv[first + 1]);
    *out = argv[first];
    return -1;
}

int cli_parse_u64(const char *s, bool suffixes, uint64_t *out)
{
    uint64_t v = 0;
    unsigned base = 10;
    const char *p = s;

    if (!s || !*s)
        return -EINVAL;
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
        base = 16;
        p += 2;
    }
    if (!*p)
        return -EINVAL;
    const char *digits = p;
    for (; *p; p++) {
        unsigned d;
        if (*p >= '0' && *p <= '9')
            d = (unsigned)(*p - '0');
        else if (base == 16 && isxdigit((unsigned char)*p))
            d = (unsigned)(tolower((unsigned char)*p) - 'a' + 10);
        else
            break;
        if (v > (UINT64_MAX - d) / base)
            return -ERANGE;
        v = v * base + d;
    }
    if (p == digits)
        return -EINVAL;
    if (*p) {
        unsigned shift;
        if (!suffixes)
            return -EINVAL;
        switch (toupper((unsigned char)*p)) {
        case 'K': shift = 10; break;
        case 'M': shift = 20; break;
        case 'G': shift = 30; break;
        case 'T': shift = 40; break;
        default: return -EINVAL;
        }
        p++;
        if (*p == 'i' || *p == 'I')
            p++;
        if (*p == 'b' || *p == 'B')
            p++;
        if (*p)
            return -EINVAL;
        if (v > (UINT64_MAX >> shift))
            return -ERANGE;
        v <<= shift;
    }
    *out = v;
    return 0;
}

int cli_parse_i64(const char *s, int64_t *out)
{
    uint64_t mag;
    bool neg = false;
    int rc;

    if (!s)
        return -EINVAL;
    if (*s == '-') {
        neg = true;
        s++;
    }
    if ((rc = cli_parse_u64(s, false, &mag)) < 0)
        return rc;
    if (neg) {
        if (mag > (uint64_t)INT64_MAX + 1)
            return -ERANGE;
        *out = mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag;
    } else {
        if (mag > (uint64_t)INT64_MAX)
            return -ERANGE;
        *out = (int64_t)mag;
    }
    return 0;
}

int cli_parse_f64(const char *s, double *out)
{
    char *end;
    if (!s || !*s || isspace((unsigned char)*s))
        return -EINVAL;
    errno = 0;
    double v = strtod(s, &end);
    if (*end)
        return -EINVAL;
    if (errno == ERANGE && isinf(v))
        return -ERANGE;
    *out = v;
    return 0;
}

int cli_parse_mode(const char *s, mode_t *out)
{
    unsigned v = 0;
    if (!s || !*s || strlen(s) > 4)
        return -EINVAL;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '7')
            return -EINVAL;
        v = v * 8 + (unsigned)(*p - '0');
    }
    if (v > 0777)
        return -EINVAL;
    *out = (mode_t)v;
    return 0;
}

int cli_opt_u64(const char *what, const char *s, bool suffixes, uint64_t *out)
{
    int rc = cli_parse_u64(s, suffixes, out);
    if (rc == -ERANGE)
        return cli_usage_error("invalid %s '%s': too large", what, s);
    if (rc < 0)
        return cli_usage_error("invalid %s '%s': expected a number%s", what, s,
                               suffixes ? " (decimal or 0x hex, optional K, M, G suffix)"
                                        : " (decimal or 0x hex)");
    return 0;
}

int cli_opt_capacity(const char *s, uint64_t *out)
{
    if (cli_opt_u64("capacity", s, true, out) != 0)
        return CLI_USAGE;
    if (*out < MR_CHAN_CAPACITY_MIN || *out > MR_CHAN_CAPACITY_MAX || (*out & (*out - 1)) != 0)
        return cli_usage_error("invalid capacity '%s': a power of two from 4K to 1G", s);
    return 0;
}

int cli_opt_timeout(const char *s, uint64_t *out)
{
    if (cli_parse_u64(s, false, out) < 0 || *out > 86400 * 365)
        return cli_usage_error("invalid timeout '%s': expected whole seconds", s);
    return 0;
}

int cli_timeout_ms(uint64_t seconds)
{
    return seconds == 0 ? MR_FOREVER
           : seconds > INT32_MAX / 1000 ? INT32_MAX
                                        : (int)(seconds * 1000);
}

bool cli_name_ok(const char *name, bool abstract)
{
    if (abstract && name[0] == '@')
        name++;
    size_t n = strlen(name);
    if (n == 0 || n > MR_SVC_NAME_MAX || name[0] == '.')
        return false;
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '.' || *p == '_' || *p == '-'))
            return false;
    return true;
}

int cli_name_operand(int argc, char **argv, int first, const char *missing, const char **out)
{
    const char *n = NULL;
    int rc = cli_one_operand(argc, argv, first, missing, &n);
    if (rc >= 0)
        return rc;
    if ((rc = cli_name_arg(n)) >= 0)
        return rc;
    *out = n;
    return -1;
}

int cli_name_arg(const char *n)
{
    if (cli_name_ok(n, true))
        return -1;
    return cli_usage_error("invalid NAME '%s': 1 to %d letters, digits, '.', '_' or '-', not "
                           "starting with '.' (and '@' in front for an abstract name)",
                           n, MR_SVC_NAME_MAX);
}

static void (*volatile stop_undo)(void);

static void on_stop_signal(int sig)
{
    void (*undo)(void) = stop_undo;
    if (undo)
        undo();
    signal(sig, SIG_DFL);
    raise(sig);
}

void cli_stop_signals(void (*undo)(void))
{
    static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
    stop_undo = undo;
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        signal(sigs[i], undo ? on_stop_signal : SIG_DFL);
}

/* The socket file of the service cli_svc_accept_one offers, for a stop
 * signal to remove: a server stopped by ^C or kill while it waits must not
 * leave it behind. */
static char accept_path[MR_ADDR_UNIX_MAX + 2];

static void accept_undo(void)
{
    if (accept_path[0])
        unlink(accept_path);
}

int cli_svc_accept_one(const char *name, const struct mr_svc_opts *opts, uint64_t timeout_s,
                       struct mr_svc_conn *out)
{
    struct mr_svc_conn closed = MR_SVC_CONN_INIT;
    *out = closed;
    struct mr_svc s = MR_SVC_INIT;
    int rc = mr_svc_offer(&s, name, opts);
    if (rc < 0)
        return rc;
    snprintf(accept_path, sizeof accept_path, "%s", s.listener.path);
    cli_stop_signals(accept_undo);
    rc = mr_svc_accept(&s, out, cli_timeout_ms(timeout_s));
    mr_svc_close(&s);
    accept_path[0] = '\0';
    cli_stop_signals(NULL);
    return rc;
}

const char *cli_human_bytes(uint64_t n, char *buf, size_t size)
{
    static const char *units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
    double v = (double)n;
    unsigned u = 0;
    while (v >= 1024 && u < 4) {
        v /= 1024;
        u++;
    }
    if (u == 0)
        snprintf(buf, size, "%llu B", (unsigned long long)n);
    else
        snprintf(buf, size, "%.1f %s", v, units[u]);
    return buf;
}

int cli_write_all(int fd, const void *p, size_t n)
{
    const unsigned char *b = p;
    while (n > 0) {
        ssize_t k = write(fd, b, n);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN) { /* a descriptor left non-blocking by whoever gave it */
                struct pollfd q = { fd, POLLOUT, 0 };
                poll(&q, 1, -1);
                continue;
            }
            return -errno;
        }
        b += k;
        n -= (size_t)k;
    }
    return 0;
}

int64_t cli_now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

int cli_left_ms(int64_t end)
{
    if (end == INT64_MAX)
        return MR_FOREVER;
    int64_t left = end - cli_now_ms();
    return left <= 0 ? 0 : left > INT32_MAX ? INT32_MAX : (int)left;
}

/* ---- progress ---------------------------------------------------------------- */

void cli_progress_init(struct cli_progress *p, bool quiet, uint64_t total)
{
    p->on = !quiet && isatty(STDERR_FILENO);
    p->total = total;
    p->start = p->last = cli_now_ms();
}

void cli_progress_show(struct cli_progress *p, uint64_t done, bool final)
{
    if (!p->on)
        return;
    int64_t now = cli_now_ms();
    if (!final && now - p->last < 200)
        return;
    p->last = now;
    double secs = (double)(now - p->start) / 1000;
    double rate = secs > 0 ? (double)done / secs : 0;
    char a[32], b[32], line[160];
    int n = snprintf(line, sizeof line, "\r%10s  %10s/s", cli_human_bytes(done, a, sizeof a),
                     cli_human_bytes((uint64_t)rate, b, sizeof b));
    if (p->total != CLI_SIZE_UNKNOWN && p->total > 0 && n > 0 && (size_t)n < sizeof line) {
        double f = (double)done / (double)p->total;
        if (f > 1)
            f = 1;
        char bar[21];
        int fill = (int)(f * 20);
        for (int i = 0; i < 20; i++)
            bar[i] = i < fill ? '=' : ' ';
        bar[20] = '\0';
        if (final || rate <= 0)
            snprintf(line + n, sizeof line - (size_t)n, "  [%s] %3d%%  %5.1f s      ", bar,
                     (int)(f * 100), secs);
        else {
            double left = (double)(p->total > done ? p->total - done : 0) / rate;
            snprintf(line + n, sizeof line - (size_t)n, "  [%s] %3d%%  %5.1f s left ", bar,
                     (int)(f * 100), left);
        }
    } else if (n > 0 && (size_t)n < sizeof line) {
        snprintf(line + n, sizeof line - (size_t)n, "  %5.1f s ", secs);
    }
    fputs(line, stderr);
    if (final)
        fputc('\n', stderr);
    fflush(stderr);
}

/* ---- targets ---------------------------------------------------------------- */

int cli_shm_name(const char *in, char *buf, size_t size)
{
    if (strncmp(in, "shm:", 4) == 0)
        in += 4;
    int n = snprintf(buf, size, "%s%s", in[0] == '/' ? "" : "/", in);
    if (n < 0 || (size_t)n >= size)
        return -ENAMETOOLONG;
    return mr_shm_name_check(buf);
}

int cli_shm_name_arg(const char *in, char *buf, size_t size)
{
    int rc = cli_shm_name(in, buf, size);
    if (rc < 0) {
        const char *why = mr_shm_name_error(buf);
        return cli_fail(in, rc, "invalid name: %s", why ? why : mr_strerror(rc));
    }
    return 0;
}

int cli_target_open(struct cli_target *t, const char *spec, bool writable)
{
    int rc;
    *t = (struct cli_target){ .shm = MR_SHM_INIT, .spec = spec };
    if (strncmp(spec, "shm:", 4) == 0) {
        char name[MR_SHM_NAME_MAX + 2];
        if ((rc = cli_shm_name(spec, name, sizeof name)) < 0)
            return rc;
        t->is_shm = true;
        rc = mr_shm_open(&t->shm, name, writable ? MR_SHM_RDWR : MR_SHM_READ, MR_SHM_USE,
                         MR_SHM_MISSING_FAIL, 0);
        if (rc < 0)
            return rc;
        rc = mr_shm_map(&t->shm, 0, MR_SHM_TO_END, writable ? 0 : MR_SHM_MAP_RDONLY, &t->map);
        if (rc < 0) {
            mr_shm_close(&t->shm);
            return rc;
        }
        return 0;
    }
    return mr_map_open(&t->map, spec, writable ? MR_MAP_SHARED : MR_MAP_READ, 0);
}

void cli_target_close(struct cli_target *t)
{
    mr_map_close(&t->map);
    mr_shm_close(&t->shm);
}

/* ---- JSON ---------------------------------------------------------------------- */

void cli_json_init(struct cli_json *j, FILE *out)
{
    memset(j, 0, sizeof *j);
    j->out = out;
}

static void json_value_start(struct cli_json *j)
{
    if (j->after_key) {
        j->after_key = false;
        return;
    }
    if (j->depth > 0 && j->need_comma[j->depth])
        fputs(", ", j->out);
    if (j->depth > 0)
        j->need_comma[j->depth] = true;
}

static void json_open(struct cli_json *j, char c)
{
    json_value_start(j);
    fputc(c, j->out);
    if (j->depth < 15)
        j->depth++;
    j->need_comma[j->depth] = false;
}

static void json_close(struct cli_json *j, char c)
{
    fputc(c, j->out);
    if (j->depth > 0)
        j->depth--;
}

void cli_json_begin_object(struct cli_json *j) { json_open(j, '{'); }
void cli_json_end_object(struct cli_json *j) { json_close(j, '}'); }
void cli_json_begin_array(struct cli_json *j) { json_open(j, '['); }
void cli_json_end_array(struct cli_json *j) { json_close(j, ']'); }

void cli_json_strn(struct cli_json *j, const char *s, size_t n)
{
    json_value_start(j);
    (void)mr_value_print_str(j->out, s, n, MR_VALUE_FMT_JSON);
}

void cli_json_str(struct cli_json *j, const char *s)
{
    cli_json_strn(j, s, strlen(s));
}

void cli_json_key(struct cli_json *j, const char *key)
{
    cli_json_str(j, key);
    fputs(": ", j->out);
    j->after_key = true;
}

void cli_json_u64(struct cli_json *j, uint64_t v)
{
    json_value_start(j);
    fprintf(j->out, "%llu", (unsigned long long)v);
}

void cli_json_i64(struct cli_json *j, int64_t v)
{
    json_value_start(j);
    fprintf(j->out, "%lld", (long long)v);
}

void cli_json_f64(struct cli_json *j, double v)
{
    cli_json_value(j, MR_TYPE_F64, (union mr_value){ .f = v });
}

void cli_json_bool(struct cli_json *j, bool v)
{
    json_value_start(j);
    fputs(v ? "true" : "false", j->out);
}

void cli_json_null(struct cli_json *j)
{
    json_value_start(j);
    fputs("null", j->out);
}

void cli_json_raw(struct cli_json *j, const char *text)
{
    json_value_start(j);
    fputs(text, j->out);
}

void cli_json_end(struct cli_json *j)
{
    fputc('\n', j->out);
}

/* ---- values ---------------------------------------------------------------------- */

void cli_json_value(struct cli_json *j, enum mr_type t, union mr_value v)
{
    char text[MR_VALUE_TEXT_MAX];
    /* At least 15 digits: JSON readers take every number as a double. */
    (void)mr_value_format(t == MR_TYPE_F32 ? MR_TYPE_F64 : t, v,
                          MR_VALUE_FMT_JSON | MR_VALUE_FMT_DIG, text, sizeof text);
    cli_json_raw(j, text);
}

int cli_target_read(const struct cli_target *t, uint64_t off, void *dst, size_t n)
{
    if (off > SIZE_MAX)
        return cli_fail(t->spec, -ERANGE, "offset %llu is past the end (%zu bytes)",
                        (unsigned long long)off, t->map.region.len);
    int rc = mr_guard_read(t->map.region, (size_t)off, dst, n);
    if (rc == -ERANGE)
        return cli_fail(t->spec, rc, "%zu bytes at offset %llu reach past the end (%zu bytes)", n,
                        (unsigned long long)off, t->map.region.len);
    if (rc == -EFAULT)
        return cli_fail(t->spec, rc, "the object shrank while being read (another process "
                                     "truncated it)");
    if (rc < 0)
        return cli_fail(t->spec, rc, NULL);
    return 0;
}
