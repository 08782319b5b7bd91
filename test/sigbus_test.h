/* SPDX-License-Identifier: MIT */
/* test/sigbus_test.h: what test_map_sigbus.c and test_guard.c share (static:
 * each test is one program): files of a known pattern in the test's
 * temporary directory, truncated under a mapping by another process, so that
 * a touch of the pages past the new end raises SIGBUS. ps is the page size,
 * set by the test's main. */
#ifndef MEMREGION_TEST_SIGBUS_TEST_H
#define MEMREGION_TEST_SIGBUS_TEST_H

#include "helpers.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

static size_t ps;

/* The byte at offset i of every test file. */
static inline uint8_t mr_test_sigbus_pat(size_t i)
{
    return (uint8_t)((i * 131) ^ (i >> 9) ^ 0x5a);
}

/* A file of npages pages of the pattern. */
static inline const char *mr_test_sigbus_file(const char *name, size_t npages)
{
    const char *p = mr_test_tmp(name);
    unlink(p);
    int fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    ASSERT_GE(fd, 0);
    unsigned char *buf = malloc(ps);
    ASSERT_TRUE(buf != NULL);
    for (size_t k = 0; k < npages; k++) {
        for (size_t i = 0; i < ps; i++)
            buf[i] = mr_test_sigbus_pat(k * ps + i);
        ASSERT_EQ(write(fd, buf, ps), (ssize_t)ps);
    }
    free(buf);
    ASSERT_EQ(close(fd), 0);
    return p;
}

/* Another process truncates the file at path to size bytes. */
struct mr_test_sigbus_trunc {
    const char *path;
    off_t size;
};

static inline void mr_test_sigbus_truncate_child(void *arg)
{
    const struct mr_test_sigbus_trunc *t = arg;
    int fd = open(t->path, O_WRONLY | O_CLOEXEC);
    if (fd < 0 || ftruncate(fd, t->size) < 0)
        _exit(2);
    _exit(0);
}

static inline void mr_test_sigbus_truncate(const char *path, off_t size)
{
    struct mr_test_sigbus_trunc t = { path, size };
    ASSERT_EQ(mr_test_in_child(mr_test_sigbus_truncate_child, &t, 0), 0);
}

/* Read every byte, so that every page is mapped before the truncation (the
 * kernel must take them away, not just never give them). */
static inline unsigned mr_test_sigbus_touch(struct mr_region r)
{
    unsigned s = 0;
    for (size_t i = 0; i < r.len; i += 64)
        s += ((volatile uint8_t *)r.ptr)[i];
    return s;
}

/* Map a new file of npages pages into *m in the given mode, touch every
 * page, and let another process cut the file to keep bytes. The file's
 * path. */
static inline const char *mr_test_sigbus_map_truncated(struct mr_map *m, const char *name,
                                                       size_t npages, enum mr_map_mode mode,
                                                       off_t keep)
{
    const char *p = mr_test_sigbus_file(name, npages);
    ASSERT_OK(mr_map_open(m, p, mode, 0));
    mr_test_sigbus_touch(m->region);
    mr_test_sigbus_truncate(p, keep);
    return p;
}

#endif
