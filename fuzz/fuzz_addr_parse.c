/* SPDX-License-Identifier: MIT */
/* fuzz/fuzz_addr_parse.c: the address parser on arbitrary text.
 *
 * The input, up to its first NUL byte, is the text. mr_addr_parse is the
 * parser that never looks names up, so no input reaches DNS (a zone name
 * asks the kernel for an interface index, nothing more); mr_addr_resolve is
 * never called here.
 *
 * Checked on every input: a refusal is -EINVAL, -ENAMETOOLONG or -ENODEV,
 * with a reason and a position inside the text, and the output untouched.
 * On success: a family the parser makes; the text formats, in at most
 * MR_ADDR_TEXT_MAX bytes, to text that parses to an equal address and
 * formats the same again; every buffer shorter than the text is refused
 * with -ENOSPC; an IPv4 address maps to v4-mapped IPv6 and back. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include <memregion/addr.h>
#include <string.h>

#include "fuzz.h"

static void check_formats(const struct mr_addr *a)
{
    char text[MR_ADDR_TEXT_MAX], again[MR_ADDR_TEXT_MAX], small[MR_ADDR_TEXT_MAX];
    ssize_t n = mr_addr_format(a, text, sizeof text);
    CHECK(n > 0 && (size_t)n < sizeof text && strlen(text) == (size_t)n);

    struct mr_addr b;
    struct mr_addr_error err;
    int rc = mr_addr_parse(&b, text, &err);
    if (rc != 0) {
        fprintf(stderr, "formatted text \"%s\" does not parse: %s at %zu\n", text, err.reason,
                err.pos);
        abort();
    }
    CHECK(mr_addr_equal(a, &b));
    CHECK(mr_addr_format(&b, again, sizeof again) == n);
    CHECK(strcmp(text, again) == 0);

    for (size_t size = 0; size <= (size_t)n; size++)
        CHECK(mr_addr_format(a, small, size) == -ENOSPC);
    CHECK(mr_addr_format(a, small, (size_t)n + 1) == n);
    CHECK(strcmp(small, text) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    CHECK(text != NULL);
    if (size)
        memcpy(text, data, size);
    text[size] = '\0';
    size_t len = strlen(text);

    struct mr_addr a, before;
    struct mr_addr_error err;
    memset(&a, 0x5a, sizeof a);
    before = a;
    memset(&err, 0xa5, sizeof err);
    int rc = mr_addr_parse(&a, text, &err);
    if (rc < 0) {
        CHECK(rc == -EINVAL || rc == -ENAMETOOLONG || rc == -ENODEV);
        CHECK(err.pos <= len);
        CHECK(memchr(err.reason, '\0', sizeof err.reason) != NULL);
        CHECK(err.reason[0] != '\0');
        CHECK(memcmp(&a, &before, sizeof a) == 0);
        free(text);
        return 0;
    }
    CHECK(rc == 0);
    int fam = mr_addr_family(&a);
    CHECK(fam == AF_INET || fam == AF_INET6 || fam == AF_UNIX);
    if (fam == AF_UNIX) {
        CHECK(mr_addr_port(&a) == -EAFNOSUPPORT);
    } else {
        int port = mr_addr_port(&a);
        CHECK(port >= 0 && port <= 65535);
    }
    check_formats(&a);

    if (fam == AF_INET) {
        struct mr_addr m, back;
        CHECK(mr_addr_map_v4(&a, &m) == 0);
        CHECK(mr_addr_is_v4mapped(&m));
        CHECK(mr_addr_unmap_v4(&m, &back) == 0);
        CHECK(mr_addr_equal(&a, &back));
        check_formats(&m);
    }
    free(text);
    return 0;
}
