/* SPDX-License-Identifier: MIT */
/* tools/share_proto.c: making and checking the greeting of `memregion share`
 * (the layout is in share_proto.h). The greeting is the peer's word: every
 * field is checked before any of it is believed. */
#include "share_proto.h"

#include <errno.h>
#include <string.h>

#include <memregion/region.h>

size_t share_greeting_make(unsigned char *buf, const char *name, uint64_t size)
{
    size_t len = strlen(name) > SHARE_NAME_MAX ? SHARE_NAME_MAX : strlen(name);
    struct mr_region h = mr_region_make(buf, SHARE_GREETING_MAX);
    memcpy(buf, SHARE_MAGIC, 8);
    mr_region_set_u64le(h, 8, size);
    mr_region_set_u16le(h, 16, (uint16_t)len);
    memcpy(buf + SHARE_HDR, name, len);
    return SHARE_HDR + len;
}

int share_greeting_parse(const unsigned char *p, size_t n, size_t nfd, struct share_greeting *out,
                         const char **why)
{
    struct mr_region h = mr_region_make_ro(p, n);
    uint16_t len = 0;
    if (n == 0) {
        *why = "the peer closed without sending anything";
        return -EPROTO;
    }
    if (n < SHARE_HDR || memcmp(p, SHARE_MAGIC, 8) != 0 || mr_region_get_u16le(h, 16, &len) < 0 ||
        len > SHARE_NAME_MAX || n != SHARE_HDR + (size_t)len) {
        *why = "the peer sent something that is not an object from 'memregion share'";
        return -EPROTO;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = p[SHARE_HDR + i];
        if (c < 0x20 || c == 0x7f) {
            *why = "the object's name holds a control character";
            return -EPROTO;
        }
    }
    if (nfd == 0) {
        *why = "the greeting of 'memregion share' arrived without its file descriptor "
               "(a relay that cannot pass descriptors, such as socat or ssh, is in between?)";
        return -EPROTO;
    }
    if (nfd != 1) {
        *why = "the peer sent more than one file descriptor";
        return -EPROTO;
    }
    mr_region_get_u64le(h, 8, &out->size);
    memcpy(out->name, p + SHARE_HDR, len);
    out->name[len] = '\0';
    return 0;
}
