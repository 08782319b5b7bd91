/* SPDX-License-Identifier: MIT */
/* src/addr_internal.h: what the addr layer's sources share with the layers
 * above it (the sock layer fills a struct mr_addr_error, and measures Unix
 * addresses), and the name-service wrappers only this layer calls. */
#ifndef MEMREGION_ADDR_INTERNAL_H
#define MEMREGION_ADDR_INTERNAL_H

#include "internal.h"

#include <memregion/addr.h>

/* Where a Unix address's path starts: its length less this is the path's. */
#define MR__UNIX_PATH_OFF offsetof(struct sockaddr_un, sun_path)

/* Fill *err (if not NULL) with pos and the formatted reason; returns code. */
__attribute__((format(printf, 4, 5))) int mr__addr_fail(struct mr_addr_error *err, size_t pos,
                                                        int code, const char *fmt, ...);

/* Name services: -errno on failure, read exactly once here.
 * mr__sys_if_nametoindex gives -ENODEV for no such interface.
 * mr__sys_getaddrinfo returns 0 or a negative errno chosen for the EAI_*
 * code, which it leaves in *gai for the message: EAI_NONAME/EAI_NODATA/
 * EAI_ADDRFAMILY -ENXIO, EAI_AGAIN -EAGAIN, EAI_FAIL -EIO, EAI_MEMORY
 * -ENOMEM, EAI_FAMILY -EAFNOSUPPORT, EAI_SOCKTYPE -ESOCKTNOSUPPORT,
 * EAI_SYSTEM errno, others -EINVAL. */
struct addrinfo;
int mr__sys_if_nametoindex(const char *name, unsigned *index);
int mr__sys_if_indextoname(unsigned index, char *name);
int mr__sys_getaddrinfo(const char *host, const struct addrinfo *hints, struct addrinfo **res,
                        int *gai);

#endif
