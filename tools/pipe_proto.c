/* SPDX-License-Identifier: MIT */
/* tools/pipe_proto.c: making and checking the info message of `memregion
 * pipe` (the layout is in pipe_proto.h). The message is copied out of the
 * ring before it is looked at, so that a sender changing it meanwhile
 * cannot make the check and the use see different bytes. */
#include "pipe_proto.h"

#include <errno.h>
#include <string.h>

#include <memregion/region.h>

void pipe_info_make(unsigned char buf[PIPE_INFO_LEN], uint64_t size)
{
    memcpy(buf, PIPE_INFO_TAG, 8);
    mr_region_set_u64le(mr_region_make(buf, PIPE_INFO_LEN), 8, size);
}

int pipe_info_parse(const unsigned char *p, size_t n, uint64_t *size)
{
    unsigned char m[PIPE_INFO_LEN];
    if (n != PIPE_INFO_LEN)
        return -EPROTO;
    memcpy(m, p, sizeof m);
    if (memcmp(m, PIPE_INFO_TAG, 8) != 0)
        return -EPROTO;
    return mr_region_get_u64le(mr_region_make_ro(m, sizeof m), 8, size) < 0 ? -EPROTO : 0;
}
