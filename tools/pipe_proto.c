/* SPDX-License-Identifier: MIT */
/* tools/pipe_proto.c: making and checking the messages of `memregion pipe`
 * (the layout is in pipe_proto.h). What the peer sent is checked whole
 * before any of it is used. */
#include "pipe_proto.h"

#include <errno.h>
#include <string.h>

#include <memregion/region.h>

#define PIPE_INFO "MRPIPE1i"

bool pipe_hello_ok(const unsigned char *p, size_t n)
{
    return n == PIPE_HELLO_LEN && memcmp(p, PIPE_HELLO, PIPE_HELLO_LEN) == 0;
}

void pipe_info_make(unsigned char buf[PIPE_INFO_LEN], uint64_t size)
{
    memcpy(buf, PIPE_INFO, 8);
    mr_region_set_u64le(mr_region_make(buf, PIPE_INFO_LEN), 8, size);
}

int pipe_info_parse(const unsigned char *p, size_t n, uint64_t *size)
{
    if (n != PIPE_INFO_LEN || memcmp(p, PIPE_INFO, 8) != 0)
        return -EPROTO;
    return mr_region_get_u64le(mr_region_make_ro(p, n), 8, size) < 0 ? -EPROTO : 0;
}

int pipe_end_parse(const unsigned char *p, size_t n)
{
    if (n != 1 || (p[0] != PIPE_END_ALL && p[0] != PIPE_END_QUIT))
        return 0;
    return p[0];
}
