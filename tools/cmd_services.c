/* SPDX-License-Identifier: MIT */
/* tools/cmd_services.c: `memregion services`: the services offered in this
 * user's directory (mr_svc_list), live or stale, with each server's pid
 * and uid. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

static const char services_help[] =
    "usage: memregion services [--json]\n"
    "\n"
    "List the services offered in this user's directory\n"
    "($XDG_RUNTIME_DIR/memregion-UID, or /tmp/memregion-UID), sorted by name:\n"
    "NAME, STATE (live: a server accepts on it; stale: a socket file left by a\n"
    "server that died, replaced by the next one to offer the name), and the\n"
    "server's PID and UID (asked over a connection that says it only looks;\n"
    "'-' when stale). Services in the abstract namespace ('@NAME') are not\n"
    "listed: they have no directory to be found in.\n"
    "\n"
    "options:\n"
    "  --json     one JSON array of objects with name, live (true or false),\n"
    "             pid and uid (null when stale)\n"
    "  -h, --help show this help\n";

enum { OPT_JSON = 1000 };

static int services_opt(int c, const char *arg, void *ctx)
{
    (void)arg;
    if (c != OPT_JSON)
        return CLI_USAGE;
    *(bool *)ctx = true;
    return 0;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const struct mr_svc_info *)a)->name, ((const struct mr_svc_info *)b)->name);
}

int cmd_services(int argc, char **argv)
{
    static const struct option longs[] = { { "json", no_argument, NULL, OPT_JSON }, { 0 } };
    bool json = false;
    int first, rc;
    if ((rc = cli_getopt(argc, argv, "", longs, services_help, services_opt, &json, &first)) >= 0)
        return rc;
    if (first < argc)
        return cli_usage_error("unexpected argument '%s'", argv[first]);

    /* Services come and go between two calls: ask again with more room
     * until the list fits. */
    struct mr_svc_info *list = NULL;
    size_t max = 16;
    int n;
    for (;;) {
        struct mr_svc_info *more = realloc(list, max * sizeof *list);
        if (!more) {
            free(list);
            return cli_fail("services", -ENOMEM, NULL);
        }
        list = more;
        n = mr_svc_list(list, max);
        if (n < 0 || (size_t)n <= max)
            break;
        max = (size_t)n + 16;
    }
    if (n < 0) {
        free(list);
        return cli_fail("services", n, NULL);
    }
    qsort(list, (size_t)n, sizeof *list, by_name);
    if (json) {
        struct cli_json j;
        cli_json_init(&j, stdout);
        cli_json_begin_array(&j);
        for (int i = 0; i < n; i++) {
            cli_json_begin_object(&j);
            cli_json_key(&j, "name");
            cli_json_str(&j, list[i].name);
            cli_json_key(&j, "live");
            cli_json_bool(&j, list[i].live);
            cli_json_key(&j, "pid");
            if (list[i].live)
                cli_json_i64(&j, list[i].pid);
            else
                cli_json_null(&j);
            cli_json_key(&j, "uid");
            if (list[i].live)
                cli_json_u64(&j, list[i].uid);
            else
                cli_json_null(&j);
            cli_json_end_object(&j);
        }
        cli_json_end_array(&j);
        cli_json_end(&j);
    } else {
        int w = 4;
        for (int i = 0; i < n; i++)
            if ((int)strlen(list[i].name) > w)
                w = (int)strlen(list[i].name);
        printf("%-*s %-5s %8s %8s\n", w, "NAME", "STATE", "PID", "UID");
        for (int i = 0; i < n; i++) {
            if (list[i].live)
                printf("%-*s %-5s %8ld %8lu\n", w, list[i].name, "live", (long)list[i].pid,
                       (unsigned long)list[i].uid);
            else
                printf("%-*s %-5s %8s %8s\n", w, list[i].name, "stale", "-", "-");
        }
    }
    free(list);
    return CLI_OK;
}
