/* SPDX-License-Identifier: MIT */
/* fuzz/fuzz_pipe_info.c: what `memregion pipe recv` believes of the first
 * message in its channel, send's info (tools/pipe_proto.c), on arbitrary
 * input.
 *
 * Checked: the info is accepted exactly when it is 16 bytes starting with
 * its tag, and then the size is the message's and making an info from it
 * gives the same bytes back; a refusal is -EPROTO and leaves the size
 * alone. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "fuzz.h"
#include "pipe_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint64_t got = 0x5a5a5a5a5a5a5a5aull;
    int rc = pipe_info_parse(data, size, &got);
    bool ok = size == PIPE_INFO_LEN && memcmp(data, PIPE_INFO_TAG, 8) == 0;
    CHECK((rc == 0) == ok);
    if (rc == 0) {
        unsigned char again[PIPE_INFO_LEN];
        pipe_info_make(again, got);
        CHECK(memcmp(again, data, PIPE_INFO_LEN) == 0);
    } else {
        CHECK(rc == -EPROTO);
        CHECK(got == 0x5a5a5a5a5a5a5a5aull);
    }
    return 0;
}
