/* SPDX-License-Identifier: MIT */
/* src/svc_internal.h: what the svc layer's sources share: the greeting's
 * layout (docs/svc.md), the name-to-address step, and the system-call
 * wrappers only this layer uses (src/svc_sys.c). */
#ifndef MEMREGION_SRC_SVC_INTERNAL_H
#define MEMREGION_SRC_SVC_INTERNAL_H

#include "internal.h"

#include <memregion/svc.h>

/* The greeting: client -> server, then server -> client. */
#define MR__SVC_HELLO_LEN 16
#define MR__SVC_REPLY_LEN 32
#define MR__SVC_VERSION 1u
#define MR__SVC_KIND_CONNECT 1u
#define MR__SVC_KIND_LOOK 2u
#define MR__SVC_KIND_INFO 3u /* a protocol on top asks for figures (topics); others refuse it */
#define MR__SVC_SHAPE_C2S 0x1u /* a channel from the client to the server */
#define MR__SVC_SHAPE_S2C 0x2u /* a channel from the server to the client */
#define MR__SVC_REPLY_FENCED 0x1u

/* Where name lives: its socket address into *addr. For a path name, the
 * private directory is checked (and made first when make is true), and
 * its open fd (O_DIRECTORY, close-on-exec) returned in *dirfd for the
 * caller to close; -1 for an abstract name. 0; or -EINVAL (name),
 * -ENAMETOOLONG, -EPERM, -EACCES, -ENOTDIR, -ENOENT (no directory and
 * make false), ... */
int mr__svc_where(const char *name, bool make, struct mr_addr *addr, int *dirfd);

/* The client's hello of the given kind, into buf. */
void mr__svc_hello_make(unsigned char buf[MR__SVC_HELLO_LEN], uint32_t kind);

/* The kind of the hello in buf (n bytes): MR__SVC_KIND_*; or -EPROTO. */
int mr__svc_hello_parse(const unsigned char *buf, size_t n);

/* The server's reply: status 0 (accepted, with shape, flags and capacity)
 * or EACCES (refused, the rest zero). */
void mr__svc_reply_make(unsigned char buf[MR__SVC_REPLY_LEN], uint32_t status, uint32_t shape,
                        uint32_t flags, uint64_t capacity);

/* Check a reply of n bytes: 0 with *shape, *flags, *capacity set; -EACCES
 * (refused); -EPROTO (anything else). */
int mr__svc_reply_parse(const unsigned char *buf, size_t n, uint32_t *shape, uint32_t *flags,
                        uint64_t *capacity);

/* mr_svc_accept, also taking kind MR__SVC_KIND_INFO hellos when info is
 * true (answered as a connection, *kind says which); false: refused with
 * the reply status ENOPROTOOPT. *kind (if not NULL) is the hello's kind. */
int mr__svc_accept_kind(struct mr_svc *s, struct mr_svc_conn *out, int timeout_ms, bool info,
                        int *kind);

/* mr_svc_connect with a hello of the given kind (MR__SVC_KIND_CONNECT or
 * MR__SVC_KIND_INFO); for INFO also -ENOPROTOOPT: the server refused it
 * (not a service that answers it). */
int mr__svc_connect_kind(struct mr_svc_conn *out, const char *name, const struct mr_svc_opts *opts,
                         int timeout_ms, uint32_t kind);

/* System calls only the svc layer makes (src/svc_sys.c): -errno on
 * failure. mkdir is not retried (it does not sleep interruptibly); flock
 * retries EINTR. */
int mr__sys_mkdir(const char *path, mode_t mode);
int mr__sys_flock(int fd, int op);

#endif
