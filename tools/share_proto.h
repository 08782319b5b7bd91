/* SPDX-License-Identifier: MIT */
/* tools/share_proto.h: the message `memregion share` sends with the fd, and
 * the one-byte answer of `memregion attach`, as functions the program and
 * the fuzz targets both call (nothing here does I/O).
 *
 * The greeting, with the fd attached to its first byte:
 *   0  "MRSHARE1"   8 bytes
 *   8  size         u64le, the object's size when it was sent (informative:
 *                   the receiver trusts only fstat of the fd it got)
 *   16 name length  u16le, at most SHARE_NAME_MAX
 *   18 name         that many bytes, printable (no control byte, no NUL)
 * The answer, receiver to sender once it holds the object: SHARE_ACK_OK, or
 * SHARE_ACK_REFUSED when it got something it would not use. A sender that
 * gets neither (the receiver closed, or a relay that cannot carry fds, such
 * as socat, sat between) does not count the object as delivered. */
#ifndef MEMREGION_TOOLS_SHARE_PROTO_H
#define MEMREGION_TOOLS_SHARE_PROTO_H

#include <stddef.h>
#include <stdint.h>

#define SHARE_MAGIC "MRSHARE1"
#define SHARE_HDR 18
#define SHARE_NAME_MAX 255
#define SHARE_GREETING_MAX (SHARE_HDR + SHARE_NAME_MAX)
#define SHARE_ACK_OK 'Y'
#define SHARE_ACK_REFUSED 'N'

struct share_greeting {
    uint64_t size;                    /* what the sender said */
    char name[SHARE_NAME_MAX + 1];    /* NUL-terminated */
};

/* The greeting for an object called name (cut to SHARE_NAME_MAX bytes) of
 * size bytes, into buf (SHARE_GREETING_MAX bytes); returns its length. */
size_t share_greeting_make(unsigned char *buf, const char *name, uint64_t size);

/* Check what arrived: n bytes at p, with nfd descriptors. 0 and *out
 * filled; or -EPROTO with *why set to a sentence for the user (static). */
int share_greeting_parse(const unsigned char *p, size_t n, size_t nfd, struct share_greeting *out,
                         const char **why);

#endif
