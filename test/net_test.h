/* SPDX-License-Identifier: MIT */
/* net_test.h: what the net layer's tests share: contexts on loopback
 * (UCX_NET_DEVICES=lo through mr_net_opts, never the environment), a skip
 * when UCX finds no transport here, and a pipe to hand a child's words to
 * its parent. On top of helpers.h. */
#ifndef MEMREGION_NET_TEST_H
#define MEMREGION_NET_TEST_H

#include "helpers.h"

#include <memregion/net.h>
#include <unistd.h>

/* A context on loopback with transport t (allow-list: the default).
 * Returns 0, or skips the case (returns -ENODEV) when UCX has no transport
 * of that kind here. */
static inline int mr_test_net_open(struct mr_net **out, enum mr_net_transport t)
{
    struct mr_net_opts o = { 0 };
    o.transport = t;
    o.devices = "lo";
    int rc = mr_net_open(out, &o);
    if (rc == -ENODEV)
        mr_test_skip_case("transport", "UCX finds no transport of kind %d here", (int)t);
    else
        ASSERT_EQ(rc, 0);
    return rc;
}

/* A context with transport t, connected to the listener at text: the
 * connecting side of a test's two processes. */
static inline struct mr_net_peer *mr_test_net_dial(enum mr_net_transport t, const char *text,
                                                   struct mr_net **n)
{
    ASSERT_EQ(mr_test_net_open(n, t), 0);
    struct mr_net_peer *p = NULL;
    ASSERT_EQ(mr_net_connect(*n, text, 5000, &p), 0);
    return p;
}

/* The listener's "127.0.0.1:PORT" for bound. */
static inline const char *mr_test_net_text(const struct mr_addr *bound, char *buf, size_t size)
{
    ASSERT_GT(mr_addr_format(bound, buf, size), 0);
    return buf;
}

static inline void mr_test_net_write(int fd, const void *p, size_t n)
{
    ASSERT_EQ(write(fd, p, n), (ssize_t)n);
}

static inline void mr_test_net_read(int fd, void *p, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, (char *)p + got, n - got);
        ASSERT_GT(r, 0);
        got += (size_t)r;
    }
}

#endif
