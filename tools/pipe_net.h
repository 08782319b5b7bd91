/* SPDX-License-Identifier: MIT */
/* tools/pipe_net.h: `memregion pipe` across hosts (send --to, recv
 * --listen, in pipe_net.c) and what it shares with the local pipe
 * (cmd_pipe.c).
 *
 * Over the net layer (memregion/net.h) recv listens and send connects,
 * trying again while nobody listens, so either may start first. Two remote
 * channels over the one peer: PIPE_NET_DATA from send to recv carries the
 * local pipe's messages (the info, then the input's bytes, then an empty
 * message for its end), with the NAME as the second message: recv takes
 * only the pipe it was told (NAME says which pipe a listener expects, as
 * locally it names the service). PIPE_NET_ACK from recv to send carries
 * one message, PIPE_NET_DONE, once everything before the end is written
 * out: send's exit status says whether its input arrived, as locally. */
#ifndef MEMREGION_TOOLS_PIPE_NET_H
#define MEMREGION_TOOLS_PIPE_NET_H

#include "net_cli.h"

#define PIPE_NET_DATA 0x70697065u /* "pipe" */
#define PIPE_NET_ACK 0x70697066u
#define PIPE_NET_DONE "MRPIPEok"

struct pipe_opts {
    uint64_t capacity, timeout_s, size;
    bool capacity_set, size_set, quiet;
    const char *to, *listen; /* across hosts */
    struct cli_net_opts net;
};

/* The peer stopped before the end of the input (cmd_pipe.c): rc is -EPIPE
 * (closed), -ECONNRESET (died) or another error; peer is "sender" or
 * "receiver". Says so and returns CLI_FAIL. */
int pipe_peer_gone(const char *name, int rc, const char *peer);
/* Grow fd's kernel pipe, when it is one. */
void pipe_grow(int fd);

/* send NAME --to, with size the input's (PIPE_SIZE_UNKNOWN), and recv NAME
 * --listen: exit statuses. Without the net layer: cli_net_missing(). */
int pipe_net_send(const char *name, const struct pipe_opts *o, uint64_t size);
int pipe_net_recv(const char *name, const struct pipe_opts *o);

#endif
