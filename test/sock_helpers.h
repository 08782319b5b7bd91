/* test/sock_helpers.h: what the socket tests share (static, header-only, so
 * that test/CMakeLists.txt needs no change): forked peers, and whether IPv6
 * loopback works here. Unix paths go in mr_test_tmpdir() (helpers.h).
 *
 * Every test function runs under MR_TEST_RUN() (helpers.h), which counts
 * the entries of /proc/self/fd before and after it: a test that leaves an fd
 * open fails. */
#ifndef MEMREGION_TEST_SOCK_HELPERS_H
#define MEMREGION_TEST_SOCK_HELPERS_H

#include "helpers.h"

#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Run fn(arg) in a forked child, which exits 0 when fn returns (an
 * assertion that fails in it exits 1). */
static inline pid_t start_child(void (*fn)(void *), void *arg)
{
    return mr_test_start(fn, arg);
}

/* The child's exit status, or 1000 + the signal that killed it
 * (mr_test_wait). */
static inline int wait_child(pid_t pid)
{
    return mr_test_wait(pid);
}

/* IPv6 loopback is configured ([::1] can be bound). */
static inline bool ipv6_loopback_works(void)
{
    struct mr_addr a;
    struct mr_sock s = MR_SOCK_INIT;
    mr_addr_loopback(&a, AF_INET6, 0);
    int rc = mr_sock_open_bind(&s, &a, SOCK_DGRAM, 0);
    mr_sock_close(&s);
    return rc == 0;
}

/* A region of a whole array: a shorter spelling for the tests. */
#define REG(arr) MR_REGION_OF_ARRAY(arr)

#endif
