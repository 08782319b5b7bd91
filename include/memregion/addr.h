/* SPDX-License-Identifier: MIT */
/* memregion/addr.h: socket addresses, as values and as text: parsed without
 * any lookup, resolved by name, formatted, built and compared.
 *
 * ADDRESSES. struct mr_addr is a value: a socket address and its length.
 * Its text forms are
 *   127.0.0.1:80        IPv4: four decimal parts 0..255, no leading zeros
 *   [::1]:80            IPv6, in brackets; [::ffff:10.0.0.1]:80 is v4-mapped
 *   [fe80::1%eth0]:80   a zone (interface name or index), only on link-local
 *                       (fe80::/10) and multicast (ff00::/8) addresses
 *   host:port           a name: only mr_addr_resolve looks it up (getaddrinfo)
 *   unix:/path          a Unix path (relative ones too): 1..MR_ADDR_UNIX_MAX bytes
 *   unix:@name          a name in Linux's abstract namespace: 1..MR_ADDR_UNIX_MAX bytes
 * A port is 0..65535 in decimal digits, without sign, space or leading zero.
 * Text is taken byte for byte (no escapes), so abstract names that hold a
 * NUL byte have no text form. mr_addr_parse never looks anything up in DNS:
 * it is safe on untrusted text.
 */
#ifndef MEMREGION_ADDR_H
#define MEMREGION_ADDR_H

#include <memregion/base.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The longest Unix path, and the longest abstract name (its leading NUL not
 * counted): sun_path less one byte (107 on Linux). */
#define MR_ADDR_UNIX_MAX (sizeof(((struct sockaddr_un *)0)->sun_path) - 1)

/* A buffer of this many bytes holds the text of any address, NUL included. */
#define MR_ADDR_TEXT_MAX 128

struct mr_addr {
    MR__EXTENSION union { /* anonymous: standard in C11 and C++, an extension in C99 */
        struct sockaddr sa;
        struct sockaddr_in in4;
        struct sockaddr_in6 in6;
        struct sockaddr_un un;
        struct sockaddr_storage storage;
    };
    socklen_t len; /* bytes in use; 0: no address */
};

/* Why a text was refused: the byte offset of the problem and a sentence,
 * in the shape of struct mr_layout_error. */
#define MR_ADDR_REASON_MAX 192
struct mr_addr_error {
    size_t pos;
    char reason[MR_ADDR_REASON_MAX];
};

/* Parse a numeric or Unix address (see the forms above). 0 and *out set; or
 * -EINVAL (malformed, or a host name: only mr_addr_resolve takes those),
 * -ENAMETOOLONG (a Unix path or abstract name over MR_ADDR_UNIX_MAX bytes),
 * -ENODEV (a zone naming no interface here); then *out is untouched and
 * *err (if not NULL) says where and why. Never blocks, never uses DNS.
 * Thread-safe. */
MR_API int mr_addr_parse(struct mr_addr *out, const char *text, struct mr_addr_error *err);

/* Every address of text for sockets of the given type (SOCK_STREAM or
 * SOCK_DGRAM): a numeric or Unix form gives one, without any lookup; a
 * "host:port" goes to getaddrinfo, and its results are stored in its order
 * (the order to try them in), at most max of them. Returns the count (>= 1),
 * or -EINVAL (malformed text, a host that is not a valid DNS name, an IPv4
 * number in a form other than a.b.c.d such as 0x7f.1, which the resolver
 * would read as an address, max 0, bad type), -ENXIO (no such host), -EAGAIN (the name server did not answer,
 * try later), -EIO, -ENOMEM and the errors of mr_addr_parse, with *err (if
 * not NULL) filled. May block on the network. Thread-safe. */
MR_API int mr_addr_resolve(const char *text, int type, struct mr_addr *out, size_t max,
                           struct mr_addr_error *err);

/* Write a's text and a NUL into buf (MR_ADDR_TEXT_MAX bytes always do).
 * Returns the text's length; -ENOSPC if size is too small (buf then holds
 * "" if size > 0); -EINVAL for no address, another family, a malformed
 * length, or an abstract name holding a NUL byte. An unnamed Unix address
 * (a socket pair's, an unbound client's) is "unix:", which does not parse
 * back; every address that mr_addr_parse makes formats to text that parses
 * to an equal address. A zone is written as the interface's name when it
 * has one here, else as its index. Thread-safe. */
MR_API ssize_t mr_addr_format(const struct mr_addr *a, char *buf, size_t size);

/* AF_INET, AF_INET6, AF_UNIX, or AF_UNSPEC when a holds no address. */
MR_INLINE int mr_addr_family(const struct mr_addr *a)
{
    return a->len == 0 ? AF_UNSPEC : a->sa.sa_family;
}

/* The port of an IPv4 or IPv6 address (0..65535), or -EAFNOSUPPORT. */
MR_API int mr_addr_port(const struct mr_addr *a);

/* Set the port of an IPv4 or IPv6 address: 0, -ERANGE (port over 65535) or
 * -EAFNOSUPPORT. */
MR_API int mr_addr_set_port(struct mr_addr *a, unsigned port);

/* 127.0.0.1 or ::1 (family AF_INET or AF_INET6) with the port: 0, or
 * -EAFNOSUPPORT / -ERANGE with *out untouched. */
MR_API int mr_addr_loopback(struct mr_addr *out, int family, unsigned port);

/* 0.0.0.0 or :: (every local address) with the port: as mr_addr_loopback. */
MR_API int mr_addr_any(struct mr_addr *out, int family, unsigned port);

/* A Unix path address (no "unix:" prefix; a leading '@' is part of the
 * path): 0, -EINVAL (NULL or empty) or -ENAMETOOLONG. */
MR_API int mr_addr_unix(struct mr_addr *out, const char *path);

/* An abstract Unix address of the len bytes at name (any bytes, NUL too):
 * 0, -EINVAL (len 0) or -ENAMETOOLONG (len > MR_ADDR_UNIX_MAX). */
MR_API int mr_addr_unix_abstract(struct mr_addr *out, const void *name, size_t len);

/* Copy len bytes of a socket address (from recvfrom, getaddrinfo, ...):
 * 0, or -EINVAL when the family is not IPv4, IPv6 or Unix or the length
 * does not fit the family. */
MR_API int mr_addr_from_sockaddr(struct mr_addr *out, const struct sockaddr *sa, size_t len);

/* Same family and same address: IPv4 address and port; IPv6 address, port
 * and zone (not the flow label); Unix path, or abstract name and its length,
 * or both unnamed. Two empty addresses are equal. */
MR_API bool mr_addr_equal(const struct mr_addr *a, const struct mr_addr *b);

/* An IPv6 address in ::ffff:0:0/96, the form IPv4 peers take on a
 * dual-stack socket. */
MR_API bool mr_addr_is_v4mapped(const struct mr_addr *a);

/* The v4-mapped IPv6 form of an IPv4 address (port kept): 0, or -EINVAL if
 * in is not IPv4. in and out may be the same. */
MR_API int mr_addr_map_v4(const struct mr_addr *in, struct mr_addr *out);

/* The IPv4 address behind a v4-mapped IPv6 one (port kept): 0, or -EINVAL
 * if in is not v4-mapped. in and out may be the same. */
MR_API int mr_addr_unmap_v4(const struct mr_addr *in, struct mr_addr *out);

#ifdef __cplusplus
}
#endif

#endif
