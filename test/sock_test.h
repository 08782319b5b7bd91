/* SPDX-License-Identifier: MIT */
/* test/sock_test.h: what only the socket tests share (static, header-only),
 * on top of helpers.h: whether IPv6 loopback works here. Forked peers are
 * mr_test_start and mr_test_wait, Unix paths go in mr_test_tmpdir(), and
 * every test function runs under MR_TEST_RUN() (all in helpers.h). */
#ifndef MEMREGION_TEST_SOCK_TEST_H
#define MEMREGION_TEST_SOCK_TEST_H

#include "helpers.h"

#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* IPv6 loopback is configured ([::1] can be bound). */
static inline bool mr_test_sock_ipv6(void)
{
    struct mr_addr a;
    struct mr_sock s = MR_SOCK_INIT;
    mr_addr_loopback(&a, AF_INET6, 0);
    int rc = mr_sock_open_bind(&s, &a, SOCK_DGRAM, 0);
    mr_sock_close(&s);
    return rc == 0;
}


#endif
