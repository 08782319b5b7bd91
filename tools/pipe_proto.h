/* SPDX-License-Identifier: MIT */
/* tools/pipe_proto.h: the messages `memregion pipe send` and `recv` exchange
 * on their Unix socket, besides the channel (mr_chan_share's greeting), as
 * functions the program and the fuzz targets both call (no I/O here).
 *
 *   recv -> send  "MRPIPE1r"        8 bytes, the hello
 *   send -> recv  the channel       mr_chan_share's greeting and fd
 *   send -> recv  "MRPIPE1i" size   16 bytes: the input's size, u64le,
 *                                   PIPE_SIZE_UNKNOWN when not known
 *   recv -> send  'E' or 'Q'        1 byte at the end: PIPE_END_ALL, all of it
 *                                   was written out; PIPE_END_QUIT, recv's
 *                                   reader quit first */
#ifndef MEMREGION_TOOLS_PIPE_PROTO_H
#define MEMREGION_TOOLS_PIPE_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PIPE_HELLO "MRPIPE1r"
#define PIPE_HELLO_LEN 8
#define PIPE_INFO_LEN 16
#define PIPE_SIZE_UNKNOWN UINT64_MAX
#define PIPE_END_ALL 'E'
#define PIPE_END_QUIT 'Q'

/* The n bytes at p are recv's hello. */
bool pipe_hello_ok(const unsigned char *p, size_t n);

/* send's info message for an input of size bytes, into buf. */
void pipe_info_make(unsigned char buf[PIPE_INFO_LEN], uint64_t size);

/* Check the n bytes at p: 0 and *size; or -EPROTO (not send's info). */
int pipe_info_parse(const unsigned char *p, size_t n, uint64_t *size);

/* What recv's last byte says: PIPE_END_ALL or PIPE_END_QUIT; anything else
 * (including nothing, n == 0) is 0, read as "the receiver went away". */
int pipe_end_parse(const unsigned char *p, size_t n);

#endif
