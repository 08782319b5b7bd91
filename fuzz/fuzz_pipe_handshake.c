/* SPDX-License-Identifier: MIT */
/* fuzz/fuzz_pipe_handshake.c: what `memregion pipe` believes of the bytes
 * its peer sends on the socket (tools/pipe_proto.c), on arbitrary input.
 *
 * The whole input is offered as each of the three messages in turn:
 * recv's hello, send's info, recv's last byte. Checked: the hello is
 * accepted exactly when it is the 8 bytes of PIPE_HELLO; the info exactly
 * when it is 16 bytes starting with its tag, and then the size is the
 * message's and making an info from it gives the same bytes back (a
 * refusal is -EPROTO and leaves the size alone); the last byte is 'E' or
 * 'Q' when it is one byte saying so, and 0 otherwise. */
#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "pipe_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    bool hello = pipe_hello_ok(data, size);
    CHECK(hello == (size == PIPE_HELLO_LEN && memcmp(data, PIPE_HELLO, PIPE_HELLO_LEN) == 0));

    uint64_t got = 0x5a5a5a5a5a5a5a5aull;
    int rc = pipe_info_parse(data, size, &got);
    if (rc == 0) {
        unsigned char again[PIPE_INFO_LEN];
        CHECK(size == PIPE_INFO_LEN);
        pipe_info_make(again, got);
        CHECK(memcmp(again, data, PIPE_INFO_LEN) == 0);
    } else {
        CHECK(rc == -EPROTO);
        CHECK(got == 0x5a5a5a5a5a5a5a5aull);
    }

    int end = pipe_end_parse(data, size);
    if (size == 1 && (data[0] == PIPE_END_ALL || data[0] == PIPE_END_QUIT))
        CHECK(end == data[0]);
    else
        CHECK(end == 0);
    return 0;
}
