/* SPDX-License-Identifier: MIT */
/* fuzz/fuzz_share_greeting.c: what `memregion attach` believes of the
 * greeting a peer sends (tools/share_proto.c), on arbitrary bytes.
 *
 * The first input byte is the number of fds that came with it (0, 1 or 2);
 * the rest is the message. Checked on every input: a refusal is -EPROTO
 * with a reason; an acceptance has exactly one fd, a message of exactly
 * header plus name length, the magic, a name of printable bytes that is the
 * message's, and the size the message says; making a greeting from what
 * was accepted gives the same bytes back. */
#include <errno.h>
#include <string.h>

#include <memregion/region.h>

#include "fuzz.h"
#include "share_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    size_t nfd = data[0] % 3;
    const unsigned char *p = data + 1;
    size_t n = size - 1;

    struct share_greeting g;
    memset(&g, 0x5a, sizeof g);
    const char *why = NULL;
    int rc = share_greeting_parse(p, n, nfd, &g, &why);
    if (rc != 0) {
        CHECK(rc == -EPROTO);
        CHECK(why != NULL && why[0] != '\0');
        return 0;
    }
    CHECK(why == NULL);
    CHECK(nfd == 1);
    CHECK(n >= SHARE_HDR && n <= SHARE_GREETING_MAX);
    CHECK(memcmp(p, SHARE_MAGIC, 8) == 0);
    size_t len = strlen(g.name);
    CHECK(n == SHARE_HDR + len);
    CHECK(memcmp(g.name, p + SHARE_HDR, len) == 0);
    for (size_t i = 0; i < len; i++)
        CHECK((unsigned char)g.name[i] >= 0x20 && (unsigned char)g.name[i] != 0x7f);
    uint64_t said = 0;
    CHECK(mr_region_get_u64le(mr_region_make_ro(p, n), 8, &said) == 0);
    CHECK(g.size == said);

    unsigned char again[SHARE_GREETING_MAX];
    CHECK(share_greeting_make(again, g.name, g.size) == n);
    CHECK(memcmp(again, p, n) == 0);
    return 0;
}
