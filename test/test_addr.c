/* SPDX-License-Identifier: MIT */
/* test/test_addr.c: socket addresses as text and as values.
 *
 * A table of valid forms: each parses to the family and port expected,
 * formats to its canonical text, and that text parses back to an equal
 * address. A table of invalid forms: each is refused with the code, the
 * position and the reason expected, and leaves the output untouched. Then
 * formatting into short buffers, the constructors and accessors, v4-mapped
 * conversions, equality, and resolving (numeric forms without a lookup;
 * "localhost" through getaddrinfo; a name that does not exist). */
#include "helpers.h"

#include <memregion/addr.h>

#include <arpa/inet.h>
#include <net/if.h>

struct valid {
    const char *text;
    int family;
    int port;        /* -1: not an IP address */
    const char *canon; /* NULL: the text itself */
};

static const struct valid valid_forms[] = {
    { "127.0.0.1:80", AF_INET, 80, NULL },
    { "0.0.0.0:0", AF_INET, 0, NULL },
    { "255.255.255.255:65535", AF_INET, 65535, NULL },
    { "10.0.0.255:1", AF_INET, 1, NULL },
    { "[::1]:80", AF_INET6, 80, NULL },
    { "[::]:0", AF_INET6, 0, NULL },
    { "[::ffff:127.0.0.1]:8080", AF_INET6, 8080, NULL },
    { "[2001:DB8::1]:443", AF_INET6, 443, "[2001:db8::1]:443" },
    { "[2001:db8:0:0:0:0:0:1]:443", AF_INET6, 443, "[2001:db8::1]:443" },
    { "[ff02::1%1]:5353", AF_INET6, 5353, NULL }, /* canonical form checked below */
    { "unix:/tmp/x.sock", AF_UNIX, -1, NULL },
    { "unix:relative/path", AF_UNIX, -1, NULL },
    { "unix:/path:with:colons", AF_UNIX, -1, NULL },
    { "unix:@abstract", AF_UNIX, -1, NULL },
    { "unix:@with space", AF_UNIX, -1, NULL },
    { "unix:@@", AF_UNIX, -1, NULL },
};

struct invalid {
    const char *text;
    int code;
    size_t pos;
    const char *reason; /* a part of the reason */
};

static const struct invalid invalid_forms[] = {
    { "", -EINVAL, 0, "empty" },
    { "127.0.0.1", -EINVAL, 9, "missing port" },
    { "127.0.0.1:", -EINVAL, 10, "port is empty" },
    { "127.0.0.1:65536", -EINVAL, 10, "above 65535" },
    { "127.0.0.1:99999999999999999999999", -EINVAL, 10, "above 65535" },
    { "127.0.0.1:080", -EINVAL, 10, "leading zero" },
    { "127.0.0.1:-1", -EINVAL, 10, "decimal digits" },
    { "127.0.0.1:+80", -EINVAL, 10, "decimal digits" },
    { "127.0.0.1: 80", -EINVAL, 10, "decimal digits" },
    { "127.0.0.1:80 ", -EINVAL, 12, "decimal digits" },
    { "127.0.0.1:0x50", -EINVAL, 11, "decimal digits" },
    { "127.1:80", -EINVAL, 5, "four parts" },
    { "1.2.3.4.5:80", -EINVAL, 7, "more than four parts" },
    { "256.0.0.1:80", -EINVAL, 0, "above 255" },
    { "1.2.3.1000:80", -EINVAL, 6, "above 255" },
    { "01.2.3.4:80", -EINVAL, 0, "leading zero" },
    { "1..2.3:80", -EINVAL, 2, "empty part" },
    { "1.2.3.:80", -EINVAL, 6, "empty part" },
    { ".1.2.3:80", -EINVAL, 0, "empty part" },
    { "::1:80", -EINVAL, 0, "brackets" },
    { "fe80::1:80", -EINVAL, 0, "brackets" },
    { "1.2.3.4:80:90", -EINVAL, 7, "unexpected ':'" },
    { "[::1]", -EINVAL, 5, "missing port" },
    { "[::1]80", -EINVAL, 5, "expected ':'" },
    { "[::1]:", -EINVAL, 6, "port is empty" },
    { "[::1:80", -EINVAL, 7, "missing ']'" },
    { "[]:80", -EINVAL, 1, "IPv6 address is empty" },
    { "[::g]:80", -EINVAL, 3, "invalid character 'g'" },
    { "[1:2:3:4:5:6:7:8:9]:80", -EINVAL, 1, "malformed IPv6" },
    { "[1::2::3]:80", -EINVAL, 1, "malformed IPv6" },
    { "[::1%lo]:80", -EINVAL, 4, "link-local" },
    { "[fe80::1%]:80", -EINVAL, 9, "zone is empty" },
    { "[fe80::1%0]:80", -EINVAL, 9, "1..4294967295" },
    { "[fe80::1%01]:80", -EINVAL, 9, "leading zero" },
    { "[fe80::1%4294967296]:80", -EINVAL, 9, "1..4294967295" },
    { "[fe80::1%a/b]:80", -EINVAL, 10, "invalid character '/'" },
    { "[fe80::1%abcdefghijklmnop]:80", -EINVAL, 9, "longer than 15" },
    { "[fe80::1%mrnoif0]:80", -ENODEV, 9, "no interface" },
    { "localhost:80", -EINVAL, 0, "host name" },
    { "example.com:443", -EINVAL, 0, "host name" },
    { "exa mple.com:80", -EINVAL, 3, "invalid character 0x20" },
    { "a..b:80", -EINVAL, 2, "empty label" },
    { ":80", -EINVAL, 0, "host is empty" },
    { "unix:", -EINVAL, 5, "needs a path" },
    { "unix:@", -EINVAL, 6, "abstract name is empty" },
    { "UNIX:/x", -EINVAL, 5, "decimal digits" },
};

static void check_valid(const struct valid *v)
{
    struct mr_addr a, b;
    struct mr_addr_error err = { 0, "" };
    char text[MR_ADDR_TEXT_MAX], again[MR_ADDR_TEXT_MAX];

    int rc = mr_addr_parse(&a, v->text, &err);
    if (rc != 0)
        mr_test_fail(__FILE__, __LINE__, "\"%s\" refused: %s at %zu", v->text, err.reason, err.pos);
    ASSERT_EQ(mr_addr_family(&a), v->family);
    if (v->port >= 0)
        ASSERT_EQ(mr_addr_port(&a), v->port);
    else
        ASSERT_EQ(mr_addr_port(&a), -EAFNOSUPPORT);

    ssize_t n = mr_addr_format(&a, text, sizeof text);
    ASSERT_GT(n, 0);
    ASSERT_EQ((size_t)n, strlen(text));
    if (strncmp(v->text, "[ff02::1%", 9) != 0)
        ASSERT_STR_EQ(text, v->canon ? v->canon : v->text);
    ASSERT_OK(mr_addr_parse(&b, text, &err));
    ASSERT_TRUE(mr_addr_equal(&a, &b));
    ASSERT_EQ(mr_addr_format(&b, again, sizeof again), n);
    ASSERT_STR_EQ(again, text);

    /* Exactly big enough, then one byte short. */
    char tight[MR_ADDR_TEXT_MAX];
    ASSERT_EQ(mr_addr_format(&a, tight, (size_t)n + 1), n);
    ASSERT_STR_EQ(tight, text);
    ASSERT_ERR(mr_addr_format(&a, tight, (size_t)n), -ENOSPC);
    ASSERT_STR_EQ(tight, "");
}

static void check_invalid(const struct invalid *v)
{
    struct mr_addr a, before;
    struct mr_addr_error err;
    memset(&a, 0x5a, sizeof a);
    before = a;
    memset(&err, 0xa5, sizeof err);
    int rc = mr_addr_parse(&a, v->text, &err);
    if (rc != v->code || err.pos != v->pos || strstr(err.reason, v->reason) == NULL)
        mr_test_fail(__FILE__, __LINE__,
                     "\"%s\": expected %d at %zu with \"%s\"\n    got %d at %zu: \"%s\"", v->text,
                     v->code, v->pos, v->reason, rc, err.pos, rc < 0 ? err.reason : "");
    ASSERT_MEM_EQ(&a, &before, sizeof a);
}

static void test_tables(void)
{
    for (size_t i = 0; i < sizeof valid_forms / sizeof valid_forms[0]; i++)
        check_valid(&valid_forms[i]);
    for (size_t i = 0; i < sizeof invalid_forms / sizeof invalid_forms[0]; i++)
        check_invalid(&invalid_forms[i]);

    /* NULL text, and a NULL err is fine. */
    struct mr_addr a;
    struct mr_addr_error err;
    ASSERT_ERR(mr_addr_parse(&a, NULL, &err), -EINVAL);
    ASSERT_ERR(mr_addr_parse(&a, "nope", NULL), -EINVAL);
}

static void test_unix_lengths(void)
{
    char text[16 + MR_ADDR_UNIX_MAX], out[MR_ADDR_TEXT_MAX];
    struct mr_addr a;
    struct mr_addr_error err;

    /* The longest path and the longest abstract name, then one more byte. */
    strcpy(text, "unix:/");
    memset(text + 6, 'p', MR_ADDR_UNIX_MAX - 1);
    text[5 + MR_ADDR_UNIX_MAX] = '\0';
    ASSERT_OK(mr_addr_parse(&a, text, &err));
    ASSERT_EQ(mr_addr_format(&a, out, sizeof out), (ssize_t)strlen(text));
    ASSERT_STR_EQ(out, text);
    strcat(text, "p");
    ASSERT_ERR(mr_addr_parse(&a, text, &err), -ENAMETOOLONG);
    ASSERT_EQ(err.pos, (size_t)5);

    strcpy(text, "unix:@");
    memset(text + 6, 'n', MR_ADDR_UNIX_MAX);
    text[6 + MR_ADDR_UNIX_MAX] = '\0';
    ASSERT_OK(mr_addr_parse(&a, text, &err));
    ASSERT_EQ(a.len, offsetof(struct sockaddr_un, sun_path) + 1 + MR_ADDR_UNIX_MAX);
    ASSERT_EQ(mr_addr_format(&a, out, sizeof out), (ssize_t)strlen(text));
    ASSERT_STR_EQ(out, text);
    strcat(text, "n");
    ASSERT_ERR(mr_addr_parse(&a, text, &err), -ENAMETOOLONG);
    ASSERT_EQ(err.pos, (size_t)6);

    /* A path's length counts its NUL, as the kernel's does. */
    ASSERT_OK(mr_addr_parse(&a, "unix:/a", &err));
    ASSERT_EQ(a.len, offsetof(struct sockaddr_un, sun_path) + 3);
    ASSERT_STR_EQ(a.un.sun_path, "/a");
    ASSERT_OK(mr_addr_parse(&a, "unix:@a", &err));
    ASSERT_EQ(a.len, offsetof(struct sockaddr_un, sun_path) + 2);
    ASSERT_EQ(a.un.sun_path[0], '\0');
    ASSERT_EQ(a.un.sun_path[1], 'a');
}

static void test_zones(void)
{
    struct mr_addr a, b;
    struct mr_addr_error err;
    char text[MR_ADDR_TEXT_MAX], name[IF_NAMESIZE];
    unsigned lo = if_nametoindex("lo");
    if (lo == 0) {
        mr_test_skip_case("zones", "no interface lo here (bring it up: ip link set lo up)");
        return;
    }
    ASSERT_OK(mr_addr_parse(&a, "[fe80::1%lo]:80", &err));
    ASSERT_EQ(a.in6.sin6_scope_id, lo);
    ASSERT_OK(mr_addr_format(&a, text, sizeof text));
    ASSERT_STR_EQ(text, "[fe80::1%lo]:80");

    /* A numeric zone of an interface that exists formats as its name. */
    char num[64];
    snprintf(num, sizeof num, "[fe80::1%%%u]:80", lo);
    ASSERT_OK(mr_addr_parse(&b, num, &err));
    ASSERT_TRUE(mr_addr_equal(&a, &b));
    ASSERT_OK(mr_addr_format(&b, text, sizeof text));
    ASSERT_STR_EQ(text, "[fe80::1%lo]:80");

    /* One that does not exist stays a number, and round-trips. */
    ASSERT_OK(mr_addr_parse(&b, "[fe80::1%4000000000]:80", &err));
    ASSERT_TRUE(if_indextoname(4000000000u, name) == NULL);
    ASSERT_OK(mr_addr_format(&b, text, sizeof text));
    ASSERT_STR_EQ(text, "[fe80::1%4000000000]:80");
    ASSERT_FALSE(mr_addr_equal(&a, &b));
}

static void test_format_edges(void)
{
    struct mr_addr a;
    char buf[MR_ADDR_TEXT_MAX];

    memset(&a, 0, sizeof a);
    ASSERT_EQ(mr_addr_family(&a), AF_UNSPEC);
    ASSERT_ERR(mr_addr_format(&a, buf, sizeof buf), -EINVAL);

    /* Unnamed Unix (a socket pair's end): "unix:", which does not parse. */
    a.un.sun_family = AF_UNIX;
    a.len = sizeof(sa_family_t);
    ASSERT_EQ(mr_addr_format(&a, buf, sizeof buf), 5);
    ASSERT_STR_EQ(buf, "unix:");

    /* An abstract name holding a NUL has no text form. */
    ASSERT_OK(mr_addr_unix_abstract(&a, "a\0b", 3));
    ASSERT_ERR(mr_addr_format(&a, buf, sizeof buf), -EINVAL);
    ASSERT_OK(mr_addr_unix_abstract(&a, "ab", 2));
    ASSERT_EQ(mr_addr_format(&a, buf, sizeof buf), 8);
    ASSERT_STR_EQ(buf, "unix:@ab");

    /* A length too short for the family. */
    ASSERT_OK(mr_addr_loopback(&a, AF_INET, 1));
    a.len = 4;
    ASSERT_ERR(mr_addr_format(&a, buf, sizeof buf), -EINVAL);
    ASSERT_OK(mr_addr_loopback(&a, AF_INET6, 1));
    a.len = sizeof(struct sockaddr_in);
    ASSERT_ERR(mr_addr_format(&a, buf, sizeof buf), -EINVAL);

    /* size 0: nothing written at all. */
    ASSERT_OK(mr_addr_loopback(&a, AF_INET, 1));
    buf[0] = 'x';
    ASSERT_ERR(mr_addr_format(&a, buf, 0), -ENOSPC);
    ASSERT_EQ(buf[0], 'x');
}

static void test_constructors(void)
{
    struct mr_addr a, b;
    char buf[MR_ADDR_TEXT_MAX];

    ASSERT_OK(mr_addr_loopback(&a, AF_INET, 8080));
    ASSERT_OK(mr_addr_format(&a, buf, sizeof buf));
    ASSERT_STR_EQ(buf, "127.0.0.1:8080");
    ASSERT_OK(mr_addr_loopback(&a, AF_INET6, 0));
    ASSERT_OK(mr_addr_format(&a, buf, sizeof buf));
    ASSERT_STR_EQ(buf, "[::1]:0");
    ASSERT_OK(mr_addr_any(&a, AF_INET, 1));
    ASSERT_OK(mr_addr_format(&a, buf, sizeof buf));
    ASSERT_STR_EQ(buf, "0.0.0.0:1");
    ASSERT_OK(mr_addr_any(&a, AF_INET6, 65535));
    ASSERT_OK(mr_addr_format(&a, buf, sizeof buf));
    ASSERT_STR_EQ(buf, "[::]:65535");
    ASSERT_ERR(mr_addr_loopback(&a, AF_UNIX, 1), -EAFNOSUPPORT);
    ASSERT_ERR(mr_addr_any(&a, AF_INET, 65536), -ERANGE);

    ASSERT_OK(mr_addr_set_port(&a, 7));
    ASSERT_EQ(mr_addr_port(&a), 7);
    ASSERT_ERR(mr_addr_set_port(&a, 70000), -ERANGE);
    ASSERT_EQ(mr_addr_port(&a), 7);

    ASSERT_OK(mr_addr_unix(&a, "@not-abstract"));
    ASSERT_EQ(a.un.sun_path[0], '@');
    ASSERT_OK(mr_addr_format(&a, buf, sizeof buf));
    ASSERT_STR_EQ(buf, "unix:@not-abstract"); /* the text form reads as abstract: no escapes */
    ASSERT_ERR(mr_addr_set_port(&a, 1), -EAFNOSUPPORT);
    ASSERT_ERR(mr_addr_unix(&a, ""), -EINVAL);
    ASSERT_ERR(mr_addr_unix(&a, NULL), -EINVAL);
    char longp[MR_ADDR_UNIX_MAX + 2];
    memset(longp, 'x', sizeof longp - 1);
    longp[sizeof longp - 1] = '\0';
    ASSERT_ERR(mr_addr_unix(&a, longp), -ENAMETOOLONG);
    longp[sizeof longp - 2] = '\0';
    ASSERT_OK(mr_addr_unix(&a, longp));
    ASSERT_ERR(mr_addr_unix_abstract(&a, "x", 0), -EINVAL);
    ASSERT_ERR(mr_addr_unix_abstract(&a, longp, MR_ADDR_UNIX_MAX + 1), -ENAMETOOLONG);

    /* from_sockaddr checks the length against the family. */
    struct sockaddr_in sin;
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_port = htons(99);
    sin.sin_addr.s_addr = htonl(0x7f000001);
    ASSERT_OK(mr_addr_from_sockaddr(&a, (struct sockaddr *)&sin, sizeof sin));
    ASSERT_OK(mr_addr_loopback(&b, AF_INET, 99));
    ASSERT_TRUE(mr_addr_equal(&a, &b));
    ASSERT_ERR(mr_addr_from_sockaddr(&a, (struct sockaddr *)&sin, sizeof sin - 1), -EINVAL);
    sin.sin_family = AF_APPLETALK;
    ASSERT_ERR(mr_addr_from_sockaddr(&a, (struct sockaddr *)&sin, sizeof sin), -EINVAL);
    ASSERT_ERR(mr_addr_from_sockaddr(&a, NULL, 16), -EINVAL);
}

static void test_equal_and_mapped(void)
{
    struct mr_addr a, b, m;
    struct mr_addr_error err;
    char buf[MR_ADDR_TEXT_MAX];

    /* A Unix path with and without its NUL counted is the same path. */
    ASSERT_OK(mr_addr_unix(&a, "/tmp/s"));
    b = a;
    b.len--;
    ASSERT_TRUE(mr_addr_equal(&a, &b));
    ASSERT_OK(mr_addr_unix(&b, "/tmp/t"));
    ASSERT_FALSE(mr_addr_equal(&a, &b));
    /* A path and an abstract name of the same bytes differ; so do abstract
     * names of different lengths. */
    ASSERT_OK(mr_addr_parse(&a, "unix:@s", &err));
    ASSERT_OK(mr_addr_parse(&b, "unix:s", &err));
    ASSERT_FALSE(mr_addr_equal(&a, &b));
    ASSERT_OK(mr_addr_unix_abstract(&b, "s\0", 2));
    ASSERT_FALSE(mr_addr_equal(&a, &b));
    /* Families differ; ports differ. */
    ASSERT_OK(mr_addr_parse(&a, "127.0.0.1:1", &err));
    ASSERT_OK(mr_addr_parse(&b, "[::ffff:127.0.0.1]:1", &err));
    ASSERT_FALSE(mr_addr_equal(&a, &b));
    ASSERT_OK(mr_addr_parse(&b, "127.0.0.1:2", &err));
    ASSERT_FALSE(mr_addr_equal(&a, &b));

    /* v4-mapped both ways, in place too. */
    ASSERT_OK(mr_addr_parse(&a, "192.0.2.7:53", &err));
    ASSERT_FALSE(mr_addr_is_v4mapped(&a));
    ASSERT_OK(mr_addr_map_v4(&a, &m));
    ASSERT_TRUE(mr_addr_is_v4mapped(&m));
    ASSERT_OK(mr_addr_format(&m, buf, sizeof buf));
    ASSERT_STR_EQ(buf, "[::ffff:192.0.2.7]:53");
    ASSERT_OK(mr_addr_unmap_v4(&m, &m));
    ASSERT_TRUE(mr_addr_equal(&a, &m));
    ASSERT_OK(mr_addr_map_v4(&m, &m));
    ASSERT_ERR(mr_addr_map_v4(&m, &b), -EINVAL); /* an IPv6 address does not map */
    ASSERT_OK(mr_addr_parse(&a, "[::1]:53", &err));
    ASSERT_ERR(mr_addr_unmap_v4(&a, &b), -EINVAL);
}

static void test_resolve(void)
{
    struct mr_addr list[8];
    struct mr_addr_error err;
    char buf[MR_ADDR_TEXT_MAX];

    /* Numeric and Unix forms give one address, without a lookup. */
    ASSERT_EQ(mr_addr_resolve("127.0.0.1:9", SOCK_STREAM, list, 8, &err), 1);
    ASSERT_OK(mr_addr_format(&list[0], buf, sizeof buf));
    ASSERT_STR_EQ(buf, "127.0.0.1:9");
    ASSERT_EQ(mr_addr_resolve("unix:@x", SOCK_DGRAM, list, 8, &err), 1);
    ASSERT_EQ(mr_addr_family(&list[0]), AF_UNIX);

    /* Malformed text and bad arguments never reach the resolver. */
    ASSERT_ERR(mr_addr_resolve("localhost", SOCK_STREAM, list, 8, &err), -EINVAL);
    ASSERT_TRUE(strstr(err.reason, "missing port") != NULL);
    ASSERT_ERR(mr_addr_resolve("bad host:1", SOCK_STREAM, list, 8, &err), -EINVAL);
    ASSERT_ERR(mr_addr_resolve("localhost:1", SOCK_RAW, list, 8, &err), -EINVAL);
    ASSERT_ERR(mr_addr_resolve("localhost:1", SOCK_STREAM, list, 0, &err), -EINVAL);

    /* IPv4 numbers in forms the parser refuses are not names either: the
     * resolver would take 127.1 or 0x7f.1 for 127.0.0.1. Most are refused
     * by the parser's own rules; hex ones look like names to it. */
    static const char *const odd_v4[] = { "127.1:80", "0x7f.1:80", "0x7f000001:80",
                                          "2130706433:80", "0177.0.0.1:80", "127.0.1:80" };
    for (size_t i = 0; i < sizeof odd_v4 / sizeof odd_v4[0]; i++)
        ASSERT_ERR(mr_addr_resolve(odd_v4[i], SOCK_STREAM, list, 8, &err), -EINVAL);
    ASSERT_ERR(mr_addr_resolve("0x7f.1:80", SOCK_STREAM, list, 8, &err), -EINVAL);
    ASSERT_TRUE(strstr(err.reason, "form other than a.b.c.d") != NULL);
    ASSERT_ERR(mr_addr_resolve("0x7f000001:80", SOCK_STREAM, list, 8, &err), -EINVAL);
    ASSERT_TRUE(strstr(err.reason, "form other than a.b.c.d") != NULL);

    /* localhost: every result is a loopback address with the port. */
    int n = mr_addr_resolve("localhost:4242", SOCK_STREAM, list, 8, &err);
    if (n < 0)
        mr_test_fail(__FILE__, __LINE__, "localhost: %d %s", n, err.reason);
    ASSERT_GE(n, 1);
    for (int i = 0; i < n; i++) {
        ASSERT_EQ(mr_addr_port(&list[i]), 4242);
        ASSERT_OK(mr_addr_format(&list[i], buf, sizeof buf));
        ASSERT_TRUE(strcmp(buf, "127.0.0.1:4242") == 0 || strcmp(buf, "[::1]:4242") == 0);
    }
    /* max caps the count. */
    ASSERT_EQ(mr_addr_resolve("localhost:1", SOCK_DGRAM, list, 1, &err), 1);

    /* .invalid never exists (RFC 2606). No name server here may also mean
     * "try again" or an I/O error. */
    int rc = mr_addr_resolve("no-such-host.invalid:80", SOCK_STREAM, list, 8, &err);
    ASSERT_TRUE(rc == -ENXIO || rc == -EAGAIN || rc == -EIO);
    ASSERT_TRUE(strstr(err.reason, "no-such-host.invalid") != NULL);
}

int main(void)
{
    MR_TEST_RUN(test_tables);
    MR_TEST_RUN(test_unix_lengths);
    MR_TEST_RUN(test_zones);
    MR_TEST_RUN(test_format_edges);
    MR_TEST_RUN(test_constructors);
    MR_TEST_RUN(test_equal_and_mapped);
    MR_TEST_RUN(test_resolve);
    return 0;
}
