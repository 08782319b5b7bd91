/* SPDX-License-Identifier: MIT */
/* tools/net_cli.h: what the commands that reach other hosts share (net
 * export/get/put, pipe send --to, pipe recv --listen): their options, the
 * net layer's context opened from them, and the messages for its errors.
 *
 * net_cli.c is built only when memregion was built with the net layer
 * (UCX, MR_CLI_NET defined); without it the commands parse their command
 * line as usual and end with cli_net_missing(). */
#ifndef MEMREGION_TOOLS_NET_CLI_H
#define MEMREGION_TOOLS_NET_CLI_H

#include "cli.h"

/* The exit status and message of a network command in a program built
 * without the net layer. */
#define CLI_NET_MISSING_STATUS CLI_USAGE
#define CLI_NET_MISSING_TEXT                                                                \
    "memregion was built without the network layer (UCX): make deps, or apt-get install "   \
    "libucx-dev, and rebuild"

/* Say CLI_NET_MISSING_TEXT and return CLI_NET_MISSING_STATUS. */
int cli_net_missing(void);

/* The options every network command shares. transport's default: tcp (the
 * value of MR_NET_TCP, for code built without memregion/net.h). */
#define CLI_NET_TCP 1
#define CLI_NET_ALLOW_MAX 16
struct cli_net_opts {
    int transport;                          /* an enum mr_net_transport; tcp by default */
    const char *allow[CLI_NET_ALLOW_MAX];   /* --allow, for listeners */
    size_t allow_count;
    uint64_t timeout_s;
};

/* --transport NAME (auto, tcp, sm, rdma) and --allow ADDR[/BITS] (up to
 * CLI_NET_ALLOW_MAX): 0, or CLI_USAGE after saying what is wrong. */
int cli_net_opt_transport(struct cli_net_opts *o, const char *s);
int cli_net_opt_allow(struct cli_net_opts *o, const char *s);

#ifdef MR_CLI_NET
#include <memregion/net.h>

/* Open a context from o: 0 and *out, or CLI_FAIL after saying why. */
int cli_net_open(const struct cli_net_opts *o, struct mr_net **out);

/* Connect to addr within o->timeout_s (0: forever); with wait, a refused
 * connection is tried again until then (the listener may start later).
 * 0 and *out; or the error, reported naming addr, and CLI_FAIL. */
int cli_net_connect(struct mr_net *n, const char *addr, const struct cli_net_opts *o, bool wait,
                    struct mr_net_peer **out);

/* Listen on addr: 0, or CLI_FAIL after saying why. The bound address is
 * written as text into buf. */
int cli_net_listen(struct mr_net *n, const char *addr, char *buf, size_t size);
#endif

#endif
