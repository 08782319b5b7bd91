/* SPDX-License-Identifier: MIT */
/* src/addr.c: socket addresses: the parser (numeric and Unix forms, never a
 * lookup), the resolver (getaddrinfo for host names), the formatter, the
 * constructors and comparisons, and the name-service wrappers only this
 * layer calls. */
#include "addr_internal.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <netdb.h>
#include <stdarg.h>
#include <string.h>

/* Room for a DNS name (253 bytes, a trailing dot and a NUL). */
#define HOST_MAX 256

_Static_assert(MR_ADDR_TEXT_MAX >= sizeof "unix:@" + MR_ADDR_UNIX_MAX + 1,
               "MR_ADDR_TEXT_MAX holds the longest abstract name");
_Static_assert(MR_ADDR_TEXT_MAX >= sizeof "[]:65535" + INET6_ADDRSTRLEN + IF_NAMESIZE,
               "MR_ADDR_TEXT_MAX holds the longest IPv6 address with a zone");

/* ==== parsing ============================================================= */

int mr__addr_fail(struct mr_addr_error *err, size_t pos, int code, const char *fmt, ...)
{
    if (err != NULL) {
        va_list ap;
        err->pos = pos;
        va_start(ap, fmt);
        vsnprintf(err->reason, sizeof err->reason, fmt, ap);
        va_end(ap);
    }
    return code;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_hex(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool is_host_char(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' || c == '_';
}

/* A printable rendering of a byte for a reason text. */
static const char *show_byte(char c, char buf[8])
{
    unsigned char u = (unsigned char)c;
    if (u > 0x20 && u < 0x7f && u != '\'')
        snprintf(buf, 8, "'%c'", c);
    else
        snprintf(buf, 8, "0x%02x", u);
    return buf;
}

/* Decimal 0..65535 in p[0..n), which starts at offset base of the text. */
static int parse_port(const char *p, size_t n, size_t base, unsigned *out,
                      struct mr_addr_error *err)
{
    char b[8];
    if (n == 0)
        return mr__addr_fail(err, base, -EINVAL, "port is empty: expected a number 0..65535");
    unsigned v = 0;
    for (size_t i = 0; i < n; i++) {
        if (!is_digit(p[i]))
            return mr__addr_fail(err, base + i, -EINVAL, "port must be decimal digits, not %s",
                                 show_byte(p[i], b));
        /* Stop growing past the limit, so that no count of digits overflows. */
        if (v <= 65535)
            v = v * 10 + (unsigned)(p[i] - '0');
    }
    if (n > 1 && p[0] == '0')
        return mr__addr_fail(err, base, -EINVAL, "port has a leading zero");
    if (v > 65535)
        return mr__addr_fail(err, base, -EINVAL, "port is above 65535");
    *out = v;
    return 0;
}

/* Four decimal parts 0..255, no leading zeros: inet_aton's other forms
 * (127.1, 0x7f.1, 0177.0.0.1) are refused, since they read differently in
 * different programs. p[0..n) holds only digits and dots. */
static int parse_ipv4(const char *p, size_t n, size_t base, struct in_addr *out,
                      struct mr_addr_error *err)
{
    unsigned char b[4];
    size_t part = 0, i = 0;
    for (;;) {
        size_t start = i;
        unsigned v = 0;
        while (i < n && is_digit(p[i])) {
            if (v <= 255)
                v = v * 10 + (unsigned)(p[i] - '0');
            i++;
        }
        if (i == start)
            return mr__addr_fail(err, base + i, -EINVAL, "IPv4 address has an empty part");
        if (i - start > 1 && p[start] == '0')
            return mr__addr_fail(err, base + start, -EINVAL,
                                 "IPv4 part has a leading zero (octal is not accepted)");
        if (v > 255)
            return mr__addr_fail(err, base + start, -EINVAL, "IPv4 part is above 255");
        b[part++] = (unsigned char)v;
        if (i == n)
            break;
        /* p[i] is a dot. */
        if (part == 4)
            return mr__addr_fail(err, base + i, -EINVAL, "IPv4 address has more than four parts");
        i++;
    }
    if (part != 4)
        return mr__addr_fail(err, base + n, -EINVAL,
                             "IPv4 address needs four parts (a.b.c.d), this has %zu", part);
    memcpy(&out->s_addr, b, 4);
    return 0;
}

/* The zone after '%': a decimal interface index or an interface name. */
static int parse_zone(const char *p, size_t n, size_t base, uint32_t *out,
                      struct mr_addr_error *err)
{
    char b[8];
    if (n == 0)
        return mr__addr_fail(err, base, -EINVAL, "zone is empty after '%%'");
    bool numeric = true;
    for (size_t i = 0; i < n; i++)
        numeric = numeric && is_digit(p[i]);
    if (numeric) {
        uint64_t v = 0;
        for (size_t i = 0; i < n && v <= UINT32_MAX; i++)
            v = v * 10 + (uint64_t)(p[i] - '0');
        if (n > 1 && p[0] == '0')
            return mr__addr_fail(err, base, -EINVAL, "zone index has a leading zero");
        if (v == 0 || v > UINT32_MAX)
            return mr__addr_fail(err, base, -EINVAL, "zone index must be 1..4294967295");
        *out = (uint32_t)v;
        return 0;
    }
    if (n >= IF_NAMESIZE)
        return mr__addr_fail(err, base, -EINVAL, "interface name is longer than %d bytes",
                             IF_NAMESIZE - 1);
    /* The characters the kernel refuses in interface names. */
    for (size_t i = 0; i < n; i++) {
        unsigned char u = (unsigned char)p[i];
        if (u <= 0x20 || u >= 0x7f || u == '/' || u == ':' || u == '%')
            return mr__addr_fail(err, base + i, -EINVAL, "invalid character %s in interface name",
                                 show_byte(p[i], b));
    }
    char name[IF_NAMESIZE];
    memcpy(name, p, n);
    name[n] = '\0';
    unsigned idx;
    int rc = mr__sys_if_nametoindex(name, &idx);
    if (rc < 0)
        return mr__addr_fail(err, base, rc, "no interface \"%s\" here: %s", name, mr_strerror(rc));
    *out = idx;
    return 0;
}

/* The inside of [...]: an IPv6 address and an optional zone. */
static int parse_ipv6(const char *p, size_t n, size_t base, struct sockaddr_in6 *out,
                      struct mr_addr_error *err)
{
    char b[8];
    const char *pct = memchr(p, '%', n);
    size_t an = pct ? (size_t)(pct - p) : n;
    if (an == 0)
        return mr__addr_fail(err, base, -EINVAL, "IPv6 address is empty");
    for (size_t i = 0; i < an; i++) {
        if (!is_hex(p[i]) && p[i] != ':' && p[i] != '.')
            return mr__addr_fail(err, base + i, -EINVAL, "invalid character %s in IPv6 address",
                                 show_byte(p[i], b));
    }
    char text[INET6_ADDRSTRLEN];
    if (an >= sizeof text)
        return mr__addr_fail(err, base, -EINVAL, "IPv6 address is too long");
    memcpy(text, p, an);
    text[an] = '\0';
    if (inet_pton(AF_INET6, text, &out->sin6_addr) != 1)
        return mr__addr_fail(err, base, -EINVAL, "malformed IPv6 address \"%s\"", text);
    if (pct) {
        const struct in6_addr *a = &out->sin6_addr;
        if (!IN6_IS_ADDR_LINKLOCAL(a) && !IN6_IS_ADDR_MULTICAST(a))
            return mr__addr_fail(err, base + an, -EINVAL,
                                 "a zone applies only to link-local (fe80::/10) and multicast "
                                 "addresses");
        uint32_t zone = 0;
        int rc = parse_zone(pct + 1, n - an - 1, base + an + 1, &zone, err);
        if (rc < 0)
            return rc;
        out->sin6_scope_id = zone;
    }
    return 0;
}

static int parse_unix(struct mr_addr *out, const char *p, size_t base, struct mr_addr_error *err)
{
    struct mr_addr a;
    memset(&a, 0, sizeof a);
    a.un.sun_family = AF_UNIX;
    size_t n = strlen(p);
    if (n == 0)
        return mr__addr_fail(err, base, -EINVAL, "\"unix:\" needs a path or an @name after it");
    if (p[0] == '@') {
        if (n == 1)
            return mr__addr_fail(err, base + 1, -EINVAL, "abstract name is empty after '@'");
        if (n - 1 > MR_ADDR_UNIX_MAX)
            return mr__addr_fail(err, base + 1, -ENAMETOOLONG,
                                 "abstract name is %zu bytes, longer than %zu", n - 1,
                                 (size_t)MR_ADDR_UNIX_MAX);
        memcpy(a.un.sun_path + 1, p + 1, n - 1);
        a.len = (socklen_t)(MR__UNIX_PATH_OFF + n);
    } else {
        if (n > MR_ADDR_UNIX_MAX)
            return mr__addr_fail(err, base, -ENAMETOOLONG,
                                 "Unix path is %zu bytes, longer than %zu", n,
                                 (size_t)MR_ADDR_UNIX_MAX);
        memcpy(a.un.sun_path, p, n);
        /* The length counts the NUL, as the kernel's getsockname does. */
        a.len = (socklen_t)(MR__UNIX_PATH_OFF + n + 1);
    }
    *out = a;
    return 0;
}

/* A DNS name: labels of letters, digits, '-' and '_', 1..63 bytes each,
 * 253 in all, an optional final dot. Returns the offset of the first
 * problem with *why set, or n when the name is good. */
static size_t host_name_problem(const char *p, size_t n, const char **why)
{
    size_t label = 0;
    if (n > 254 || (n == 254 && p[253] != '.')) {
        *why = "host name is longer than 253 bytes";
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '.') {
            if (label == 0) {
                *why = "host name has an empty label";
                return i;
            }
            label = 0;
            continue;
        }
        if (!is_host_char(p[i])) {
            *why = NULL;
            return i;
        }
        if (++label > 63) {
            *why = "host name has a label longer than 63 bytes";
            return i;
        }
    }
    return n;
}

/* Parse text: 0 with *out set for a numeric or Unix address; 1 for a
 * well-formed host name, left in host with the port in *port; or the error. */
static int parse_text(struct mr_addr *out, const char *text, struct mr_addr_error *err,
                      char host[HOST_MAX], unsigned *port)
{
    char b[8];
    if (text == NULL)
        return mr__addr_fail(err, 0, -EINVAL, "address text is NULL");
    size_t len = strlen(text);
    if (len == 0)
        return mr__addr_fail(err, 0, -EINVAL, "address is empty");
    if (strncmp(text, "unix:", 5) == 0)
        return parse_unix(out, text + 5, 5, err);

    struct mr_addr a;
    memset(&a, 0, sizeof a);
    int rc;
    if (text[0] == '[') {
        const char *close = strchr(text, ']');
        if (close == NULL)
            return mr__addr_fail(err, len, -EINVAL, "missing ']' after the IPv6 address");
        size_t cpos = (size_t)(close - text);
        rc = parse_ipv6(text + 1, cpos - 1, 1, &a.in6, err);
        if (rc < 0)
            return rc;
        if (close[1] != ':')
            return mr__addr_fail(err, cpos + 1, -EINVAL, "%s",
                                 close[1] ? "expected ':' and a port after ']'"
                                          : "missing port: expected [ADDRESS]:PORT");
        unsigned p;
        rc = parse_port(close + 2, len - cpos - 2, cpos + 2, &p, err);
        if (rc < 0)
            return rc;
        a.in6.sin6_family = AF_INET6;
        a.in6.sin6_port = htons((uint16_t)p);
        a.len = sizeof a.in6;
        *out = a;
        return 0;
    }

    const char *colon = strrchr(text, ':');
    if (colon == NULL)
        return mr__addr_fail(err, len, -EINVAL, "missing port: expected HOST:PORT");
    size_t hn = (size_t)(colon - text);
    const char *first = memchr(text, ':', hn);
    if (first != NULL) {
        char t6[INET6_ADDRSTRLEN];
        struct in6_addr x;
        bool v6 = false;
        if (len < sizeof t6) {
            memcpy(t6, text, len + 1);
            v6 = inet_pton(AF_INET6, t6, &x) == 1;
            t6[hn] = '\0';
            v6 = v6 || inet_pton(AF_INET6, t6, &x) == 1;
        }
        if (v6)
            return mr__addr_fail(err, 0, -EINVAL,
                                 "an IPv6 address must be in brackets: [ADDRESS]:PORT");
        return mr__addr_fail(err, (size_t)(first - text), -EINVAL,
                             "unexpected ':' (expected HOST:PORT, or [ADDRESS]:PORT for IPv6)");
    }
    if (hn == 0)
        return mr__addr_fail(err, 0, -EINVAL,
                             "host is empty: write 0.0.0.0 or [::] for every local address");
    bool numeric = true;
    for (size_t i = 0; i < hn; i++)
        numeric = numeric && (is_digit(text[i]) || text[i] == '.');
    if (numeric) {
        rc = parse_ipv4(text, hn, 0, &a.in4.sin_addr, err);
        if (rc < 0)
            return rc;
    } else {
        const char *why;
        size_t at = host_name_problem(text, hn, &why);
        if (at < hn) {
            if (why == NULL)
                return mr__addr_fail(err, at, -EINVAL, "invalid character %s in host",
                                     show_byte(text[at], b));
            return mr__addr_fail(err, at, -EINVAL, "%s", why);
        }
    }
    unsigned p;
    rc = parse_port(colon + 1, len - hn - 1, hn + 1, &p, err);
    if (rc < 0)
        return rc;
    if (!numeric) {
        memcpy(host, text, hn);
        host[hn] = '\0';
        *port = p;
        return 1;
    }
    a.in4.sin_family = AF_INET;
    a.in4.sin_port = htons((uint16_t)p);
    a.len = sizeof a.in4;
    *out = a;
    return 0;
}

int mr_addr_parse(struct mr_addr *out, const char *text, struct mr_addr_error *err)
{
    char host[HOST_MAX];
    unsigned port;
    int rc = parse_text(out, text, err, host, &port);
    if (rc == 1)
        return mr__addr_fail(err, 0, -EINVAL,
                             "\"%s\" is a host name: mr_addr_parse never looks names up "
                             "(mr_addr_resolve does)", host);
    return rc;
}

int mr_addr_resolve(const char *text, int type, struct mr_addr *out, size_t max,
                    struct mr_addr_error *err)
{
    if (type != SOCK_STREAM && type != SOCK_DGRAM)
        return mr__addr_fail(err, 0, -EINVAL, "type must be SOCK_STREAM or SOCK_DGRAM");
    if (out == NULL || max == 0)
        return mr__addr_fail(err, 0, -EINVAL, "no room for an address (max is 0)");
    char host[HOST_MAX];
    unsigned port;
    struct mr_addr a;
    int rc = parse_text(&a, text, err, host, &port);
    if (rc < 0)
        return rc;
    if (rc == 0) {
        out[0] = a;
        return 1;
    }

    /* The resolver reads 127.1, 0x7f.1 and 2130706433 as 127.0.0.1; the
     * parser refuses those forms (programs read them differently), and a
     * name that is really a number must not slip past an allow-list that
     * checked the text. */
    struct in_addr v4;
    if (inet_aton(host, &v4) != 0)
        return mr__addr_fail(err, 0, -EINVAL,
                             "\"%s\" is an IPv4 address in a form other than a.b.c.d", host);

    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = type;
    int gai;
    rc = mr__sys_getaddrinfo(host, &hints, &res, &gai);
    if (rc < 0)
        return mr__addr_fail(err, 0, rc, "cannot resolve \"%s\": %s", host,
                             gai == EAI_SYSTEM ? mr_strerror(rc) : gai_strerror(gai));
    size_t n = 0;
    for (const struct addrinfo *ai = res; ai != NULL && n < max; ai = ai->ai_next) {
        if ((ai->ai_family != AF_INET && ai->ai_family != AF_INET6) ||
            mr_addr_from_sockaddr(&out[n], ai->ai_addr, ai->ai_addrlen) < 0)
            continue;
        mr_addr_set_port(&out[n], port);
        n++;
    }
    freeaddrinfo(res);
    if (n == 0)
        return mr__addr_fail(err, 0, -ENXIO, "\"%s\" has no IPv4 or IPv6 address", host);
    return (int)n;
}

/* ==== everything else ===================================================== */

ssize_t mr_addr_format(const struct mr_addr *a, char *buf, size_t size)
{
    char tmp[MR_ADDR_TEXT_MAX];
    char host[INET6_ADDRSTRLEN];
    int n;
    switch (mr_addr_family(a)) {
    case AF_INET:
        if (a->len < sizeof a->in4 ||
            inet_ntop(AF_INET, &a->in4.sin_addr, host, sizeof host) == NULL)
            return -EINVAL;
        n = snprintf(tmp, sizeof tmp, "%s:%u", host, (unsigned)ntohs(a->in4.sin_port));
        break;
    case AF_INET6:
        if (a->len < sizeof a->in6 ||
            inet_ntop(AF_INET6, &a->in6.sin6_addr, host, sizeof host) == NULL)
            return -EINVAL;
        if (a->in6.sin6_scope_id != 0) {
            char zone[IF_NAMESIZE > 11 ? IF_NAMESIZE : 11];
            if (mr__sys_if_indextoname(a->in6.sin6_scope_id, zone) < 0)
                snprintf(zone, sizeof zone, "%u", (unsigned)a->in6.sin6_scope_id);
            n = snprintf(tmp, sizeof tmp, "[%s%%%s]:%u", host, zone,
                         (unsigned)ntohs(a->in6.sin6_port));
        } else {
            n = snprintf(tmp, sizeof tmp, "[%s]:%u", host, (unsigned)ntohs(a->in6.sin6_port));
        }
        break;
    case AF_UNIX: {
        if (a->len < MR__UNIX_PATH_OFF || a->len > sizeof a->un)
            return -EINVAL;
        size_t nb = a->len - MR__UNIX_PATH_OFF;
        if (nb == 0) {
            n = snprintf(tmp, sizeof tmp, "unix:");
        } else if (a->un.sun_path[0] == '\0') {
            if (memchr(a->un.sun_path + 1, '\0', nb - 1) != NULL)
                return -EINVAL;
            memcpy(tmp, "unix:@", 6);
            memcpy(tmp + 6, a->un.sun_path + 1, nb - 1);
            n = (int)(nb + 5);
            tmp[n] = '\0';
        } else {
            size_t pn = strnlen(a->un.sun_path, nb);
            memcpy(tmp, "unix:", 5);
            memcpy(tmp + 5, a->un.sun_path, pn);
            n = (int)(pn + 5);
            tmp[n] = '\0';
        }
        break;
    }
    default:
        return -EINVAL;
    }
    if (n < 0 || (size_t)n >= size) {
        if (size > 0)
            buf[0] = '\0';
        return -ENOSPC;
    }
    memcpy(buf, tmp, (size_t)n + 1);
    return n;
}

int mr_addr_port(const struct mr_addr *a)
{
    switch (mr_addr_family(a)) {
    case AF_INET:
        return ntohs(a->in4.sin_port);
    case AF_INET6:
        return ntohs(a->in6.sin6_port);
    default:
        return -EAFNOSUPPORT;
    }
}

int mr_addr_set_port(struct mr_addr *a, unsigned port)
{
    int fam = mr_addr_family(a);
    if (fam != AF_INET && fam != AF_INET6)
        return -EAFNOSUPPORT;
    if (port > 65535)
        return -ERANGE;
    if (fam == AF_INET)
        a->in4.sin_port = htons((uint16_t)port);
    else
        a->in6.sin6_port = htons((uint16_t)port);
    return 0;
}

static int addr_ip(struct mr_addr *out, int family, unsigned port, bool loopback)
{
    if (family != AF_INET && family != AF_INET6)
        return -EAFNOSUPPORT;
    if (port > 65535)
        return -ERANGE;
    memset(out, 0, sizeof *out);
    if (family == AF_INET) {
        out->in4.sin_family = AF_INET;
        out->in4.sin_port = htons((uint16_t)port);
        out->in4.sin_addr.s_addr = htonl(loopback ? INADDR_LOOPBACK : INADDR_ANY);
        out->len = sizeof out->in4;
    } else {
        out->in6.sin6_family = AF_INET6;
        out->in6.sin6_port = htons((uint16_t)port);
        if (loopback)
            out->in6.sin6_addr.s6_addr[15] = 1;
        out->len = sizeof out->in6;
    }
    return 0;
}

int mr_addr_loopback(struct mr_addr *out, int family, unsigned port)
{
    return addr_ip(out, family, port, true);
}

int mr_addr_any(struct mr_addr *out, int family, unsigned port)
{
    return addr_ip(out, family, port, false);
}

int mr_addr_unix(struct mr_addr *out, const char *path)
{
    if (path == NULL || path[0] == '\0')
        return -EINVAL;
    size_t n = strlen(path);
    if (n > MR_ADDR_UNIX_MAX)
        return -ENAMETOOLONG;
    memset(out, 0, sizeof *out);
    out->un.sun_family = AF_UNIX;
    memcpy(out->un.sun_path, path, n);
    out->len = (socklen_t)(MR__UNIX_PATH_OFF + n + 1);
    return 0;
}

int mr_addr_unix_abstract(struct mr_addr *out, const void *name, size_t len)
{
    if (len == 0 || name == NULL)
        return -EINVAL;
    if (len > MR_ADDR_UNIX_MAX)
        return -ENAMETOOLONG;
    memset(out, 0, sizeof *out);
    out->un.sun_family = AF_UNIX;
    memcpy(out->un.sun_path + 1, name, len);
    out->len = (socklen_t)(MR__UNIX_PATH_OFF + 1 + len);
    return 0;
}

int mr_addr_from_sockaddr(struct mr_addr *out, const struct sockaddr *sa, size_t len)
{
    if (sa == NULL || len < sizeof(sa_family_t))
        return -EINVAL;
    switch (sa->sa_family) {
    case AF_INET:
        if (len < sizeof(struct sockaddr_in))
            return -EINVAL;
        len = sizeof(struct sockaddr_in);
        break;
    case AF_INET6:
        if (len < sizeof(struct sockaddr_in6))
            return -EINVAL;
        len = sizeof(struct sockaddr_in6);
        break;
    case AF_UNIX:
        if (len > sizeof(struct sockaddr_un))
            return -EINVAL;
        break;
    default:
        return -EINVAL;
    }
    memset(out, 0, sizeof *out);
    memcpy(&out->storage, sa, len);
    out->len = (socklen_t)len;
    return 0;
}

bool mr_addr_equal(const struct mr_addr *a, const struct mr_addr *b)
{
    int fam = mr_addr_family(a);
    if (fam != mr_addr_family(b))
        return false;
    switch (fam) {
    case AF_UNSPEC:
        return true;
    case AF_INET:
        return a->in4.sin_port == b->in4.sin_port &&
               a->in4.sin_addr.s_addr == b->in4.sin_addr.s_addr;
    case AF_INET6:
        return a->in6.sin6_port == b->in6.sin6_port &&
               a->in6.sin6_scope_id == b->in6.sin6_scope_id &&
               memcmp(&a->in6.sin6_addr, &b->in6.sin6_addr, sizeof a->in6.sin6_addr) == 0;
    case AF_UNIX: {
        size_t na = a->len > MR__UNIX_PATH_OFF ? a->len - MR__UNIX_PATH_OFF : 0;
        size_t nb = b->len > MR__UNIX_PATH_OFF ? b->len - MR__UNIX_PATH_OFF : 0;
        if (na == 0 || nb == 0)
            return na == nb;
        bool abs_a = a->un.sun_path[0] == '\0', abs_b = b->un.sun_path[0] == '\0';
        if (abs_a != abs_b)
            return false;
        if (abs_a)
            return na == nb && memcmp(a->un.sun_path, b->un.sun_path, na) == 0;
        /* A path's length may or may not count its NUL. */
        size_t pa = strnlen(a->un.sun_path, na), pb = strnlen(b->un.sun_path, nb);
        return pa == pb && memcmp(a->un.sun_path, b->un.sun_path, pa) == 0;
    }
    default:
        return a->len == b->len && memcmp(&a->storage, &b->storage, a->len) == 0;
    }
}

bool mr_addr_is_v4mapped(const struct mr_addr *a)
{
    return mr_addr_family(a) == AF_INET6 && a->len >= sizeof a->in6 &&
           IN6_IS_ADDR_V4MAPPED(&a->in6.sin6_addr);
}

int mr_addr_map_v4(const struct mr_addr *in, struct mr_addr *out)
{
    if (mr_addr_family(in) != AF_INET || in->len < sizeof in->in4)
        return -EINVAL;
    struct mr_addr a;
    memset(&a, 0, sizeof a);
    a.in6.sin6_family = AF_INET6;
    a.in6.sin6_port = in->in4.sin_port;
    a.in6.sin6_addr.s6_addr[10] = 0xff;
    a.in6.sin6_addr.s6_addr[11] = 0xff;
    memcpy(&a.in6.sin6_addr.s6_addr[12], &in->in4.sin_addr, 4);
    a.len = sizeof a.in6;
    *out = a;
    return 0;
}

int mr_addr_unmap_v4(const struct mr_addr *in, struct mr_addr *out)
{
    if (!mr_addr_is_v4mapped(in))
        return -EINVAL;
    struct mr_addr a;
    memset(&a, 0, sizeof a);
    a.in4.sin_family = AF_INET;
    a.in4.sin_port = in->in6.sin6_port;
    memcpy(&a.in4.sin_addr, &in->in6.sin6_addr.s6_addr[12], 4);
    a.len = sizeof a.in4;
    *out = a;
    return 0;
}

/* ==== system-call wrappers ================================================ */

int mr__sys_if_nametoindex(const char *name, unsigned *index)
{
    errno = 0;
    unsigned i = if_nametoindex(name);
    if (i == 0)
        return errno > 0 ? -errno : -ENODEV;
    *index = i;
    return 0;
}

int mr__sys_if_indextoname(unsigned index, char *name)
{
    return if_indextoname(index, name) == NULL ? -errno : 0;
}

int mr__sys_getaddrinfo(const char *host, const struct addrinfo *hints, struct addrinfo **res,
                        int *gai)
{
    errno = 0;
    int rc = getaddrinfo(host, NULL, hints, res);
    *gai = rc;
    switch (rc) {
    case 0:
        return 0;
    case EAI_NONAME:
    case EAI_NODATA:
    case EAI_ADDRFAMILY:
        return -ENXIO;
    case EAI_AGAIN:
        return -EAGAIN;
    case EAI_FAIL:
        return -EIO;
    case EAI_MEMORY:
        return -ENOMEM;
    case EAI_FAMILY:
        return -EAFNOSUPPORT;
    case EAI_SOCKTYPE:
        return -ESOCKTNOSUPPORT;
    case EAI_SYSTEM:
        return errno ? -errno : -EIO;
    default:
        return -EINVAL;
    }
}
