/* SPDX-License-Identifier: MIT */
/* tools/cmd_bench.c: `memregion bench`: run the benchmark programs of every
 * layer (bench/bench_* in the build tree, or installed next to memregion),
 * read the tables they print, and show one table of ratios, each to a
 * baseline the same program measured in the same run.
 *
 * The programs print three kinds of table (a header line, then one row per
 * variant until a blank or unindented line):
 *   bench.h      variant function <ns/unit> baseline ratio [min .. max] ...
 *   chan, one way   variant function count msgs/s GB/s base x-base ...
 *   chan, round trips   variant function count p50 p99 base p50/base ...
 * Every ratio here is a time ratio, variant / baseline (below 1: faster);
 * "x base" columns, which are speed-ups, are inverted to match. */
#include "cli.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char bench_help[] =
    "usage: memregion bench [--quick] [--only LAYERS] [--json] [--svg FILE]\n"
    "\n"
    "Run the benchmarks of every layer and print one table. Each figure comes\n"
    "with a ratio to a baseline measured by the same program in the same run\n"
    "on this machine (memcpy, malloc, a raw system call, a kernel pipe, ...):\n"
    "ratio = variant's time / baseline's time, so below 1 is faster. Only\n"
    "these ratios compare across runs: a machine's speed drifts.\n"
    "The programs are bench/bench_* next to this program in the build tree\n"
    "(or installed beside it); build them first.\n"
    "\n"
    "options:\n"
    "      --quick         a quick look, under a minute: 3 rounds each, a 256 MiB\n"
    "                      pipe transfer, and without bench_shm (which maps 1 GiB\n"
    "                      of shared memory)\n"
    "      --only LAYERS   only these, comma-separated: region, alloc, cursor,\n"
    "                      iobuf, map, shm, sock, chan, pipe\n"
    "      --json          the results as one JSON object\n"
    "      --svg FILE      also draw the ratios (and the channel's throughput\n"
    "                      and latency) as a bar chart in FILE\n"
    "  -h, --help          show this help\n"
    "\n"
    "Progress goes to stderr when stderr is a terminal. Takes a few minutes\n"
    "without --quick.\n";

struct bench_prog {
    const char *layer;
    const char *exe;
    bool in_quick;
    const char *quick_arg; /* an argument that makes it quick, if it has one */
};

static const struct bench_prog progs[] = {
    { "region", "bench_region", true, NULL }, { "alloc", "bench_alloc", true, NULL },
    { "cursor", "bench_cursor", true, NULL }, { "iobuf", "bench_iobuf", true, NULL },
    { "map", "bench_map", true, NULL },       { "shm", "bench_shm", false, NULL },
    { "sock", "bench_sock", true, NULL },     { "chan", "bench_chan", true, NULL },
    { "pipe", "bench_pipe", true, "--quick" },
};
#define NPROGS (sizeof progs / sizeof progs[0])

struct row {
    const char *layer;
    char *title;   /* the table's title, "bench_x: " taken off */
    char *variant, *function, *baseline;
    double figure; /* in unit */
    char unit[16];
    double ratio; /* variant time / baseline time */
    double p99;   /* round trips: p99 ns, else NAN */
};

struct results {
    struct row *rows;
    size_t n, cap;
    char notes[NPROGS][160];
    int status[NPROGS]; /* 0 ran, 1 failed, 2 skipped, -1 not run */
    double secs[NPROGS];
};

struct bench_opts {
    bool quick, json;
    const char *svg;
    const char *only;
};

enum { OPT_JSON = 1000, OPT_QUICK, OPT_SVG, OPT_ONLY };

/* Is layer one of the comma-separated names in list? */
static bool listed(const char *list, const char *layer)
{
    size_t n = strlen(layer);
    for (const char *p = list; *p;) {
        size_t k = strcspn(p, ",");
        if (k == n && strncmp(p, layer, n) == 0)
            return true;
        p += k + (p[k] == ',');
    }
    return false;
}

static int bench_opt(int c, const char *arg, void *ctx)
{
    struct bench_opts *o = ctx;
    switch (c) {
    case OPT_QUICK:
        o->quick = true;
        return 0;
    case OPT_JSON:
        o->json = true;
        return 0;
    case OPT_SVG:
        if (!*arg)
            return cli_usage_error("--svg needs a file name");
        o->svg = arg;
        return 0;
    case OPT_ONLY:
        for (const char *p = arg; *p;) {
            size_t k = strcspn(p, ","), i;
            for (i = 0; i < NPROGS; i++)
                if (strlen(progs[i].layer) == k && strncmp(p, progs[i].layer, k) == 0)
                    break;
            if (i == NPROGS || k == 0)
                return cli_usage_error("invalid --only '%s': layers are region, alloc, cursor, "
                                       "iobuf, map, shm, sock, chan, pipe", arg);
            p += k + (p[k] == ',');
        }
        if (!*arg)
            return cli_usage_error("invalid --only '': name one layer or more");
        o->only = arg;
        return 0;
    }
    return CLI_USAGE;
}

/* The directory holding the bench programs: ../bench from the program in
 * the build tree, else the program's own directory, else ../libexec/memregion. */
static int find_bench_dir(char *buf, size_t size)
{
    char self[1024];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n < 0)
        return cli_fail("/proc/self/exe", -errno, NULL);
    self[n] = '\0';
    char *slash = strrchr(self, '/');
    if (slash)
        *slash = '\0';
    static const char *const rel[] = { "/../bench", "", "/../libexec/memregion" };
    for (size_t i = 0; i < sizeof rel / sizeof rel[0]; i++) {
        char probe[1200];
        snprintf(probe, sizeof probe, "%s%s/bench_region", self, rel[i]);
        if (access(probe, X_OK) == 0) {
            snprintf(buf, size, "%s%s", self, rel[i]);
            return 0;
        }
    }
    return cli_fail("bench_region", -ENOENT, "the bench programs are not built (looked in "
                                             "%s/../bench, %s and %s/../libexec/memregion; "
                                             "run 'cmake --build' on the build tree)",
                    self, self, self);
}

static char *xstrdup(const char *s)
{
    char *d = strdup(s ? s : "");
    if (!d) {
        fputs("memregion: bench: out of memory\n", stderr);
        exit(CLI_FAIL);
    }
    return d;
}

/* Split line into at most max whitespace-separated tokens (in place). */
static size_t tokens(char *line, char **tok, size_t max)
{
    size_t n = 0;
    for (char *p = strtok(line, " \t\n"); p && n < max; p = strtok(NULL, " \t\n"))
        tok[n++] = p;
    return n;
}

/* A figure such as "0.115M" or "1.05M" (bench_chan's msgs/s): the number. */
static double number(const char *s)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s)
        return NAN;
    if (*end == 'M')
        v *= 1e6;
    return v;
}

static void add_row(struct results *r, const struct row *x)
{
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 64;
        struct row *p = realloc(r->rows, cap * sizeof *p);
        if (!p) {
            fputs("memregion: bench: out of memory\n", stderr);
            exit(CLI_FAIL);
        }
        r->rows = p;
        r->cap = cap;
    }
    r->rows[r->n++] = *x;
}

enum style { NONE, STYLE_BENCH_H, STYLE_CHAN_RATE, STYLE_CHAN_RTT };

/* Read one program's output and take the rows of its tables. */
static void parse_output(struct results *res, const char *layer, FILE *in)
{
    char line[1024], title[256] = "", unit[16] = "";
    enum style st = NONE;
    while (fgets(line, sizeof line, in)) {
        char copy[1024], *tok[24];
        snprintf(copy, sizeof copy, "%s", line);
        size_t n = tokens(copy, tok, 24);
        if (line[0] != ' ') {
            st = NONE;
            if (strncmp(line, "bench_", 6) == 0) {
                const char *t = strchr(line, ':');
                t = t ? t + 1 : line;
                while (*t == ' ')
                    t++;
                snprintf(title, sizeof title, "%.*s", (int)strcspn(t, "\n"), t);
            }
            continue;
        }
        if (n >= 5 && strcmp(tok[0], "variant") == 0) {
            if (strcmp(tok[3], "baseline") == 0 && strcmp(tok[4], "ratio") == 0) {
                st = STYLE_BENCH_H;
                snprintf(unit, sizeof unit, "%s", tok[2]);
            } else if (strcmp(tok[3], "msgs/s") == 0) {
                st = STYLE_CHAN_RATE;
                snprintf(unit, sizeof unit, "GB/s");
            } else if (strcmp(tok[3], "p50") == 0) {
                st = STYLE_CHAN_RTT;
                snprintf(unit, sizeof unit, "ns p50");
            } else {
                st = NONE;
            }
            continue;
        }
        char *end;
        if (st == NONE || n < 7 || (strtod(tok[2], &end), *end != '\0'))
            continue;
        struct row x = { .layer = layer, .p99 = NAN };
        snprintf(x.unit, sizeof x.unit, "%s", unit);
        char *base = NULL;
        if (st == STYLE_BENCH_H) {
            x.figure = strtod(tok[2], NULL);
            base = tok[3];
            x.ratio = strtod(tok[4], NULL);
        } else if (st == STYLE_CHAN_RATE) {
            x.figure = strtod(tok[4], NULL);
            base = tok[5];
            double speedup = strtod(tok[6], NULL);
            x.ratio = speedup > 0 ? 1 / speedup : NAN;
        } else {
            x.figure = number(tok[3]);
            x.p99 = number(tok[4]);
            base = tok[5];
            x.ratio = strtod(tok[6], NULL);
        }
        if (!isfinite(x.figure) || !(x.ratio > 0))
            continue;
        char t[300];
        snprintf(t, sizeof t, "%s%s", title,
                 st == STYLE_CHAN_RATE ? " [one way]" : st == STYLE_CHAN_RTT ? " [round trips]" : "");
        x.title = xstrdup(t);
        x.variant = xstrdup(tok[0]);
        x.function = xstrdup(tok[1]);
        x.baseline = xstrdup(base);
        add_row(res, &x);
    }
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Run one program with its stdout into a temporary file, then parse it. */
static void run_prog(struct results *res, size_t i, const char *dir, bool quick)
{
    const struct bench_prog *p = &progs[i];
    char exe[1300];
    snprintf(exe, sizeof exe, "%s/%s", dir, p->exe);
    if (access(exe, X_OK) != 0) {
        res->status[i] = 2;
        snprintf(res->notes[i], sizeof res->notes[i], "not built");
        return;
    }
    FILE *out = tmpfile();
    if (!out) {
        res->status[i] = 1;
        snprintf(res->notes[i], sizeof res->notes[i], "no temporary file: %s",
                 mr_strerror(-errno));
        return;
    }
    double t0 = now_s();
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        if (dup2(fileno(out), STDOUT_FILENO) < 0)
            _exit(126);
        if (quick)
            setenv("BENCH_QUICK", "1", 1);
        char *argv[] = { exe, quick && p->quick_arg ? (char *)p->quick_arg : NULL, NULL };
        execv(exe, argv);
        _exit(127);
    }
    int wst = 0;
    if (pid < 0) {
        res->status[i] = 1;
        snprintf(res->notes[i], sizeof res->notes[i], "fork: %s", mr_strerror(-errno));
        fclose(out);
        return;
    }
    while (waitpid(pid, &wst, 0) < 0 && errno == EINTR)
        ;
    res->secs[i] = now_s() - t0;
    rewind(out);
    size_t before = res->n;
    parse_output(res, p->layer, out);
    if (!WIFEXITED(wst) || WEXITSTATUS(wst) != 0) {
        res->status[i] = 1;
        snprintf(res->notes[i], sizeof res->notes[i], "%s failed (%s %d)", p->exe,
                 WIFEXITED(wst) ? "exit status" : "signal",
                 WIFEXITED(wst) ? WEXITSTATUS(wst) : WTERMSIG(wst));
    } else if (res->n == before) {
        /* A program that ran but printed no table skipped itself (bench_shm
         * without 1 GiB free in /dev/shm): its first line says why. */
        char line[160] = "";
        rewind(out);
        if (!fgets(line, sizeof line, out))
            line[0] = '\0';
        line[strcspn(line, "\n")] = '\0';
        res->status[i] = 2;
        snprintf(res->notes[i], sizeof res->notes[i], "%s", line[0] ? line : "no table printed");
    } else {
        res->status[i] = 0;
    }
    fclose(out);
}

/* ---- output ------------------------------------------------------------------- */

static void print_table(const struct results *r, bool quick, const char *only, double total)
{
    printf("memregion bench%s: ratio = variant's time / baseline's time, both measured in this "
           "run\n(below 1: faster than the baseline); figures are medians over rounds\n\n",
           quick ? " --quick" : "");
    printf("%-7s %-44s %-18s %12s %-8s %-18s %7s\n", "layer", "benchmark", "variant", "figure",
           "unit", "baseline", "ratio");
    const char *last = "";
    for (size_t i = 0; i < r->n; i++) {
        const struct row *x = &r->rows[i];
        char t[48];
        if (strcmp(x->title, last) == 0)
            t[0] = '\0';
        else if (strlen(x->title) > 44)
            snprintf(t, sizeof t, "%.41s...", x->title);
        else
            snprintf(t, sizeof t, "%s", x->title);
        last = x->title;
        printf("%-7s %-44s %-18s %12.3f %-8s %-18s %7.3f\n", t[0] ? x->layer : "", t, x->variant,
               x->figure, x->unit, x->baseline, x->ratio);
    }
    printf("\n");
    size_t ran = 0;
    for (size_t i = 0; i < NPROGS; i++) {
        ran += r->status[i] == 0;
        if (r->status[i] > 0)
            printf("%-7s %s: %s\n", progs[i].layer, progs[i].exe, r->notes[i]);
        else if (r->status[i] < 0)
            printf("%-7s %s: not run%s\n", progs[i].layer, progs[i].exe,
                   only ? " (not in --only)" : quick ? " by --quick (it maps 1 GiB of shared "
                                                       "memory; run without --quick)" : "");
    }
    printf("%zu figures from %zu programs in %.0f s\n", r->n, ran, total);
}

static void print_json(const struct results *r, bool quick, double total)
{
    struct cli_json j;
    cli_json_init(&j, stdout);
    cli_json_begin_object(&j);
    cli_json_key(&j, "quick");
    cli_json_bool(&j, quick);
    cli_json_key(&j, "seconds");
    cli_json_f64(&j, total);
    cli_json_key(&j, "programs");
    cli_json_begin_array(&j);
    for (size_t i = 0; i < NPROGS; i++) {
        static const char *const st[] = { "ran", "failed", "skipped" };
        cli_json_begin_object(&j);
        cli_json_key(&j, "layer");
        cli_json_str(&j, progs[i].layer);
        cli_json_key(&j, "program");
        cli_json_str(&j, progs[i].exe);
        cli_json_key(&j, "status");
        cli_json_str(&j, r->status[i] < 0 ? "not run" : st[r->status[i]]);
        cli_json_key(&j, "note");
        cli_json_str(&j, r->notes[i]);
        cli_json_key(&j, "seconds");
        cli_json_f64(&j, r->secs[i]);
        cli_json_end_object(&j);
    }
    cli_json_end_array(&j);
    cli_json_key(&j, "results");
    cli_json_begin_array(&j);
    for (size_t i = 0; i < r->n; i++) {
        const struct row *x = &r->rows[i];
        cli_json_begin_object(&j);
        cli_json_key(&j, "layer");
        cli_json_str(&j, x->layer);
        cli_json_key(&j, "benchmark");
        cli_json_str(&j, x->title);
        cli_json_key(&j, "variant");
        cli_json_str(&j, x->variant);
        cli_json_key(&j, "function");
        cli_json_str(&j, x->function);
        cli_json_key(&j, "figure");
        cli_json_f64(&j, x->figure);
        cli_json_key(&j, "unit");
        cli_json_str(&j, x->unit);
        if (isfinite(x->p99)) {
            cli_json_key(&j, "p99_ns");
            cli_json_f64(&j, x->p99);
        }
        cli_json_key(&j, "baseline");
        cli_json_str(&j, x->baseline);
        cli_json_key(&j, "ratio");
        cli_json_f64(&j, x->ratio);
        cli_json_end_object(&j);
    }
    cli_json_end_array(&j);
    cli_json_end_object(&j);
    cli_json_end(&j);
}

static void svg_text(FILE *f, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '&': fputs("&amp;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&apos;", f); break;
        default:
            if ((unsigned char)*s >= 0x20 && (unsigned char)*s < 0x7f)
                fputc(*s, f);
        }
    }
}

/* Bars on a log2 scale around 1 (ratio = 1: no bar): faster than the
 * baseline to the right in green, slower to the left in red. Then, for the
 * channel, its throughput and its round-trip latencies as plain bars. */
static int write_svg(const struct results *r, const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return cli_fail(path, -errno, NULL);
    const int label_w = 560, half = 240, row_h = 16, top = 60;
    size_t nchan = 0, nbars = 0;
    for (size_t i = 0; i < r->n; i++) {
        nchan += strcmp(r->rows[i].layer, "chan") == 0;
        nbars += strcmp(r->rows[i].variant, r->rows[i].baseline) != 0;
    }
    int width = label_w + 2 * half + 200;
    int height = top + (int)nbars * row_h + 60 + (nchan ? 50 + (int)nchan * row_h : 0);
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
               "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
               "viewBox=\"0 0 %d %d\" font-family=\"monospace\" font-size=\"11\">\n"
               "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
            width, height, width, height);
    fprintf(f, "<text x=\"10\" y=\"20\" font-size=\"14\" font-weight=\"bold\">memregion bench: "
               "speed relative to each baseline measured in the same run</text>\n"
               "<text x=\"10\" y=\"38\">bar = baseline time / variant time on a log scale; "
               "right of the line (green): faster than the baseline</text>\n");
    int axis = label_w + half;
    double scale = half / 4.0; /* 4 doublings each way fill the half */
    for (int k = -4; k <= 4; k++) {
        int x = axis + (int)(k * scale);
        fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\"/>\n", x, top - 8, x,
                top + (int)nbars * row_h, k == 0 ? "black" : "#ddd");
        fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s%gx</text>\n", x, top - 10,
                k < 0 ? "1/" : "", pow(2, abs(k)));
    }
    int y = top - row_h;
    for (size_t i = 0; i < r->n; i++) {
        const struct row *x = &r->rows[i];
        if (strcmp(x->variant, x->baseline) == 0)
            continue; /* the baseline itself: 1 by definition */
        y += row_h;
        char t[40];
        snprintf(t, sizeof t, "%s", x->title);
        double l2 = -log2(x->ratio);
        if (l2 > 4)
            l2 = 4;
        if (l2 < -4)
            l2 = -4;
        int w = (int)fabs(l2 * scale);
        fprintf(f, "<text x=\"10\" y=\"%d\">", y + 11);
        svg_text(f, x->layer);
        fputs(": ", f);
        svg_text(f, x->variant);
        fputs(" vs ", f);
        svg_text(f, x->baseline);
        fputs(" (", f);
        svg_text(f, t);
        fputs(strlen(x->title) > sizeof t - 1 ? "...)" : ")", f);
        fprintf(f, "</text>\n<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\"/>\n",
                l2 >= 0 ? axis : axis - w, y + 2, w, row_h - 4, l2 >= 0 ? "#4a4" : "#c44");
        fprintf(f, "<text x=\"%d\" y=\"%d\">%.2fx</text>\n", axis + half + 6, y + 11,
                1 / x->ratio);
        fprintf(f, "<title>");
        svg_text(f, x->title);
        fprintf(f, "</title>\n");
    }
    if (nchan) {
        int y0 = top + (int)nbars * row_h + 40;
        fprintf(f, "<text x=\"10\" y=\"%d\" font-size=\"13\" font-weight=\"bold\">chan: "
                   "throughput by message size (GB/s) and round-trip latency (ns, p50 and "
                   "p99)</text>\n", y0);
        double maxv[2] = { 0, 0 };
        for (size_t i = 0; i < r->n; i++) {
            const struct row *x = &r->rows[i];
            if (strcmp(x->layer, "chan") != 0)
                continue;
            bool lat = isfinite(x->p99);
            double v = lat ? x->p99 : x->figure;
            if (v > maxv[lat])
                maxv[lat] = v;
        }
        y = y0 + 10;
        for (size_t i = 0; i < r->n; i++) {
            const struct row *x = &r->rows[i];
            if (strcmp(x->layer, "chan") != 0)
                continue;
            bool lat = isfinite(x->p99);
            double m = maxv[lat] > 0 ? maxv[lat] : 1;
            int w = (int)(x->figure / m * 2 * half);
            fprintf(f, "<text x=\"10\" y=\"%d\">", y + 11);
            svg_text(f, x->variant);
            fputs(" (", f);
            svg_text(f, strstr(x->title, "two CPUs") ? "two CPUs" : "one CPU");
            fprintf(f, ")</text>\n<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\"/>\n",
                    label_w, y + 2, w, row_h - 4, lat ? "#48c" : "#4a4");
            if (lat) {
                int w99 = (int)(x->p99 / m * 2 * half);
                fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" "
                           "stroke=\"#48c\"/>\n",
                        label_w, y + 2, w99, row_h - 4);
                fprintf(f, "<text x=\"%d\" y=\"%d\">p50 %.0f ns, p99 %.0f ns</text>\n",
                        label_w + 2 * half + 6, y + 11, x->figure, x->p99);
            } else {
                fprintf(f, "<text x=\"%d\" y=\"%d\">%.2f GB/s</text>\n", label_w + 2 * half + 6,
                        y + 11, x->figure);
            }
            y += row_h;
        }
    }
    fputs("</svg>\n", f);
    if (fclose(f) != 0)
        return cli_fail(path, -errno, NULL);
    return 0;
}

int cmd_bench(int argc, char **argv)
{
    static const struct option longs[] = { { "quick", no_argument, NULL, OPT_QUICK },
                                           { "json", no_argument, NULL, OPT_JSON },
                                           { "svg", required_argument, NULL, OPT_SVG },
                                           { "only", required_argument, NULL, OPT_ONLY },
                                           { 0 } };
    struct bench_opts o = { 0 };
    int first, rc;
    if ((rc = cli_getopt(argc, argv, "", longs, bench_help, bench_opt, &o, &first)) >= 0)
        return rc;
    if (argc - first > 0)
        return cli_usage_error("unexpected argument '%s'", argv[first]);
    char dir[1200];
    if ((rc = find_bench_dir(dir, sizeof dir)) != 0)
        return rc;

    struct results res = { 0 };
    bool tty = isatty(STDERR_FILENO);
    double t0 = now_s();
    for (size_t i = 0; i < NPROGS; i++) {
        res.status[i] = -1;
        if (o.only ? !listed(o.only, progs[i].layer) : o.quick && !progs[i].in_quick)
            continue;
        if (tty)
            fprintf(stderr, "\rmemregion bench: %-12s (%zu of %zu, %.0f s so far)   ",
                    progs[i].exe, i + 1, NPROGS, now_s() - t0);
        run_prog(&res, i, dir, o.quick);
    }
    if (tty)
        fprintf(stderr, "\r%60s\r", "");
    double total = now_s() - t0;

    int status = CLI_OK;
    for (size_t i = 0; i < NPROGS; i++)
        if (res.status[i] == 1)
            status = cli_fail(progs[i].exe, -EIO, "%s", res.notes[i]);
    if (o.json)
        print_json(&res, o.quick, total);
    else
        print_table(&res, o.quick, o.only, total);
    if (o.svg && write_svg(&res, o.svg) != 0)
        status = CLI_FAIL;
    for (size_t i = 0; i < res.n; i++) {
        free(res.rows[i].title);
        free(res.rows[i].variant);
        free(res.rows[i].function);
        free(res.rows[i].baseline);
    }
    free(res.rows);
    return status;
}
