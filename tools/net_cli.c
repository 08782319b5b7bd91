/* SPDX-License-Identifier: MIT */
/* tools/net_cli.c: options, contexts, connecting and listening for the
 * memregion program's network commands (net_cli.h). The parts that call
 * the net layer are built only with it (MR_CLI_NET). */
#include "net_cli.h"

#include <string.h>
#include <time.h>

int cli_net_missing(void)
{
    fprintf(stderr, "memregion: %s: %s\n", cli_command(), CLI_NET_MISSING_TEXT);
    return CLI_NET_MISSING_STATUS;
}

int cli_net_opt_transport(struct cli_net_opts *o, const char *s)
{
    static const char *const names[] = { "auto", "tcp", "sm", "rdma" };
    for (int i = 0; i < 4; i++) {
        if (strcmp(s, names[i]) == 0) {
            o->transport = i; /* the order of enum mr_net_transport */
            return 0;
        }
    }
    return cli_usage_error("invalid transport '%s': auto, tcp, sm or rdma", s);
}

int cli_net_opt_allow(struct cli_net_opts *o, const char *s)
{
    if (o->allow_count == CLI_NET_ALLOW_MAX)
        return cli_usage_error("at most %d --allow", CLI_NET_ALLOW_MAX);
    o->allow[o->allow_count++] = s;
    return 0;
}

#ifdef MR_CLI_NET

int cli_net_open(const struct cli_net_opts *o, struct mr_net **out)
{
    struct mr_net_opts no = { .transport = (enum mr_net_transport)o->transport,
                              .allow = o->allow_count ? o->allow : NULL,
                              .allow_count = o->allow_count };
    int rc = mr_net_open(out, &no);
    if (rc == -EINVAL && o->allow_count)
        return cli_fail("--allow", rc, "an entry is not an address or ADDR/BITS");
    if (rc == -ENODEV)
        return cli_fail("network", rc, "UCX found no transport of this kind (--transport)");
    if (rc < 0)
        return cli_fail("network", rc, "cannot start UCX: %s", mr_strerror(rc));
    return 0;
}

int cli_net_connect(struct mr_net *n, const char *addr, const struct cli_net_opts *o, bool wait,
                    struct mr_net_peer **out)
{
    int ms = cli_timeout_ms(o->timeout_s);
    int64_t end = ms == MR_FOREVER ? INT64_MAX : cli_now_ms() + ms;
    int rc;
    for (;;) {
        /* A connection refused is a listener not there yet (the other side
         * may start second) or an allow-list: try again until the time is
         * up, then say both. Each try has the time left: a refusal comes
         * at once, a greeting on a busy machine may take a while. */
        rc = mr_net_connect(n, addr, cli_left_ms(end), out);
        if (rc != -ECONNREFUSED || !wait)
            break;
        if (end != INT64_MAX && cli_now_ms() + 100 > end)
            break;
        nanosleep(&(struct timespec){ 0, 100 * 1000 * 1000 }, NULL);
    }
    if (rc == -ECONNREFUSED)
        return cli_fail(addr, rc, "connection refused%s (nobody listens there, or its --allow "
                                  "list does not name this host)", wait ? " until the timeout" : "");
    if (rc == -ETIMEDOUT)
        return cli_fail(addr, rc, "no answer (the address is unreachable, or a firewall drops "
                                  "the connection)");
    if (rc == -EPROTO)
        return cli_fail(addr, rc, "the other side is not memregion's network layer of this "
                                  "version");
    if (rc == -EINVAL)
        return cli_fail(addr, rc, "not an address: expected HOST:PORT");
    if (rc < 0)
        return cli_fail(addr, rc, NULL);
    return 0;
}

int cli_net_listen(struct mr_net *n, const char *addr, char *buf, size_t size)
{
    struct mr_addr bound;
    int rc = mr_net_listen(n, addr, &bound);
    if (rc == -EINVAL)
        return cli_fail(addr, rc, "not an address to listen on: expected ADDR:PORT "
                                  "(0.0.0.0:7117, [::]:0, 127.0.0.1:0)");
    if (rc == -EADDRINUSE)
        return cli_fail(addr, rc, "the address is in use (another program listens there)");
    if (rc < 0)
        return cli_fail(addr, rc, NULL);
    if (mr_addr_format(&bound, buf, size) < 0)
        snprintf(buf, size, "%s", addr);
    return 0;
}

#endif
