/* SPDX-License-Identifier: MIT */
/* tools/pipe_proto.h: what `memregion pipe send` puts in its channel
 * besides the input's bytes, as functions the program and the fuzz targets
 * both call (no I/O here). The rendezvous, credentials and handing over of
 * the channel are the services' (memregion/svc.h); the whole wire format is
 * in docs/wire.md.
 *
 *   message 1        "MRPIPE2i" size   16 bytes: the input's size, u64le,
 *                                      PIPE_SIZE_UNKNOWN when not known
 *   messages 2...    the input's bytes, one message per read(2)
 *   last message     empty: the end of the input */
#ifndef MEMREGION_TOOLS_PIPE_PROTO_H
#define MEMREGION_TOOLS_PIPE_PROTO_H

#include <stddef.h>
#include <stdint.h>

#define PIPE_INFO_TAG "MRPIPE2i"
#define PIPE_INFO_LEN 16
#define PIPE_SIZE_UNKNOWN UINT64_MAX

/* send's info message for an input of size bytes, into buf. */
void pipe_info_make(unsigned char buf[PIPE_INFO_LEN], uint64_t size);

/* Check the n bytes at p (read once each: they may be in memory the peer
 * writes): 0 and *size; or -EPROTO (not send's info of this version), with
 * *size untouched. */
int pipe_info_parse(const unsigned char *p, size_t n, uint64_t *size);

#endif
