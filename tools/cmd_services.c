/* SPDX-License-Identifier: MIT */
/* tools/cmd_services.c: `memregion services`: the services offered in this
 * user's directory (mr_svc_list), live or stale, with each server's pid
 * and uid, and what kind each is: a topic's publisher is asked for its
 * subscribers and how far behind each is (mr_topic_info). */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

static const char services_help[] =
    "usage: memregion services [--json] [-s]\n"
    "\n"
    "List the services offered in this user's directory\n"
    "($XDG_RUNTIME_DIR/memregion-UID, or /tmp/memregion-UID), sorted by name:\n"
    "NAME, STATE (live: a server accepts on it; stale: a socket file left by a\n"
    "server that died, replaced by the next one to offer the name), the\n"
    "server's PID and UID (asked over a connection that says it only looks;\n"
    "'-' when stale), and KIND: topic ('memregion pub', mr_topic_create),\n"
    "pipe (a 'memregion pipe send' waiting), service (any other), or '-' when\n"
    "the server did not answer within 1 s (busy). A topic's publisher is asked\n"
    "for its figures without subscribing: SUBS, its live subscribers, and\n"
    "BEHIND, the most messages one of them has not yet read. Services in the\n"
    "abstract namespace ('@NAME') are not listed: they have no directory to be\n"
    "found in.\n"
    "\n"
    "options:\n"
    "  --json             one JSON array of objects with name, live (true or\n"
    "                     false), pid and uid (null when stale), kind (null\n"
    "                     when stale or unknown); a topic's also with\n"
    "                     published (messages) and subscribers: an array of\n"
    "                     objects with pid, behind_messages, behind_bytes and\n"
    "                     lapped\n"
    "  -s, --subscribers  under each topic, one line per subscriber: its PID and\n"
    "                     how far behind it is, in messages and bytes\n"
    "  -h, --help         show this help\n";

enum { OPT_JSON = 1000 };

/* How long a server may take to say whether it is a topic. */
#define ASK_MS 1000

struct services_opts {
    bool json;
    bool subs;
};

static int services_opt(int c, const char *arg, void *ctx)
{
    struct services_opts *o = ctx;
    (void)arg;
    if (c == OPT_JSON)
        o->json = true;
    else if (c == 's')
        o->subs = true;
    else
        return CLI_USAGE;
    return 0;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const struct mr_svc_info *)a)->name, ((const struct mr_svc_info *)b)->name);
}

/* What one live service is: a topic with its figures, or not. */
struct kind {
    const char *name; /* NULL: did not answer */
    struct mr_topic_info ti;
    struct mr_topic_sub_info subs[MR_TOPIC_SUBS_MAX];
    unsigned nsubs;    /* entries of subs */
    uint64_t behind;   /* the largest behind_messages */
};

static void kind_of(const struct mr_svc_info *svc, struct kind *k)
{
    int n = mr_topic_info(svc->name, NULL, &k->ti, k->subs, MR_TOPIC_SUBS_MAX, ASK_MS);
    k->nsubs = 0;
    k->behind = 0;
    if (n >= 0) {
        k->name = "topic";
        k->nsubs = (unsigned)n < MR_TOPIC_SUBS_MAX ? (unsigned)n : MR_TOPIC_SUBS_MAX;
        for (unsigned i = 0; i < k->nsubs; i++)
            if (k->subs[i].behind_messages > k->behind)
                k->behind = k->subs[i].behind_messages;
    } else if (n == -EPROTOTYPE || n == -EPROTO || n == -EACCES) {
        k->name = strncmp(svc->name, "pipe-", 5) == 0 ? "pipe" : "service";
    } else {
        k->name = NULL;
    }
}

static void json_one(struct cli_json *j, const struct mr_svc_info *svc, const struct kind *k)
{
    cli_json_begin_object(j);
    cli_json_key(j, "name");
    cli_json_str(j, svc->name);
    cli_json_key(j, "live");
    cli_json_bool(j, svc->live);
    cli_json_key(j, "pid");
    if (svc->live)
        cli_json_i64(j, svc->pid);
    else
        cli_json_null(j);
    cli_json_key(j, "uid");
    if (svc->live)
        cli_json_u64(j, svc->uid);
    else
        cli_json_null(j);
    cli_json_key(j, "kind");
    if (svc->live && k->name)
        cli_json_str(j, k->name);
    else
        cli_json_null(j);
    if (svc->live && k->name && strcmp(k->name, "topic") == 0) {
        cli_json_key(j, "published");
        cli_json_u64(j, k->ti.published);
        cli_json_key(j, "subscribers");
        cli_json_begin_array(j);
        for (unsigned i = 0; i < k->nsubs; i++) {
            cli_json_begin_object(j);
            cli_json_key(j, "pid");
            cli_json_i64(j, k->subs[i].pid);
            cli_json_key(j, "behind_messages");
            cli_json_u64(j, k->subs[i].behind_messages);
            cli_json_key(j, "behind_bytes");
            cli_json_u64(j, k->subs[i].behind_bytes);
            cli_json_key(j, "lapped");
            cli_json_bool(j, (k->subs[i].flags & MR_TOPIC_SUB_LAPPED) != 0);
            cli_json_end_object(j);
        }
        cli_json_end_array(j);
    }
    cli_json_end_object(j);
}

static void text_one(int w, const struct mr_svc_info *svc, const struct kind *k, bool subs)
{
    if (!svc->live) {
        printf("%-*s %-5s %8s %8s\n", w, svc->name, "stale", "-", "-");
        return;
    }
    printf("%-*s %-5s %8ld %8lu %s", w, svc->name, "live", (long)svc->pid, (unsigned long)svc->uid,
           k->name ? k->name : "-");
    if (k->name && strcmp(k->name, "topic") == 0)
        printf("   %5u %10llu", k->ti.subscribers, (unsigned long long)k->behind);
    printf("\n");
    if (subs && k->name && strcmp(k->name, "topic") == 0)
        for (unsigned i = 0; i < k->nsubs; i++)
            printf("  subscriber %ld: %llu messages, %llu bytes behind%s\n", (long)k->subs[i].pid,
                   (unsigned long long)k->subs[i].behind_messages,
                   (unsigned long long)k->subs[i].behind_bytes,
                   k->subs[i].flags & MR_TOPIC_SUB_LAPPED ? " (lapped: losing messages)" : "");
}

int cmd_services(int argc, char **argv)
{
    static const struct option longs[] = { { "json", no_argument, NULL, OPT_JSON },
                                           { "subscribers", no_argument, NULL, 's' },
                                           { 0 } };
    struct services_opts o = { false, false };
    int first, rc;
    if ((rc = cli_getopt(argc, argv, "s", longs, services_help, services_opt, &o, &first)) >= 0)
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
    struct kind *k = malloc(sizeof *k);
    if (!k) {
        free(list);
        return cli_fail("services", -ENOMEM, NULL);
    }
    struct cli_json j;
    int w = 4;
    for (int i = 0; i < n; i++)
        if ((int)strlen(list[i].name) > w)
            w = (int)strlen(list[i].name);
    if (o.json) {
        cli_json_init(&j, stdout);
        cli_json_begin_array(&j);
    } else {
        printf("%-*s %-5s %8s %8s %-7s %5s %10s\n", w, "NAME", "STATE", "PID", "UID", "KIND", "SUBS",
               "BEHIND");
    }
    for (int i = 0; i < n; i++) {
        if (list[i].live)
            kind_of(&list[i], k);
        if (o.json)
            json_one(&j, &list[i], k);
        else
            text_one(w, &list[i], k, o.subs);
    }
    if (o.json) {
        cli_json_end_array(&j);
        cli_json_end(&j);
    }
    free(k);
    free(list);
    return CLI_OK;
}
