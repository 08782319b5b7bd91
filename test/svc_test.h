/* SPDX-License-Identifier: MIT */
/* test/svc_test.h: what the tests of services and of what is built on
 * them (topics) share (static, header-only), on top of helpers.h: the
 * test's private service directory, placed in mr_test_tmpdir() through
 * XDG_RUNTIME_DIR (which exec'd peers inherit), names unique to the
 * program, and how many entries are left in the directory. */
#ifndef MEMREGION_TEST_SVC_TEST_H
#define MEMREGION_TEST_SVC_TEST_H

#include "helpers.h"

#include <dirent.h>
#include <signal.h>
#include <unistd.h>

static char mr_test_svc_dir[512];

/* Point this process's services (and its children's) at a directory of
 * its own: call first, before forking. SIGPIPE is ignored: a server
 * writing to a client that died must not die of it. */
static inline void mr_test_svc_setup(void)
{
    signal(SIGPIPE, SIG_IGN);
    setenv("XDG_RUNTIME_DIR", mr_test_tmpdir(), 1);
    snprintf(mr_test_svc_dir, sizeof mr_test_svc_dir, "%s/memregion-%lu", mr_test_tmpdir(),
             (unsigned long)geteuid());
}

/* base with this pid appended ("@" kept in front of an abstract name), in
 * one of eight rotating static buffers. */
static inline const char *mr_test_svc_name(const char *base)
{
    static char buf[8][96];
    static int k;
    char *b = buf[k++ % 8];
    snprintf(b, sizeof buf[0], "%s%s-%ld", base[0] == '@' ? "@" : "",
             base[0] == '@' ? base + 1 : base, (long)getpid());
    return b;
}

/* The entries of the service directory (0 when it does not exist). */
static inline int mr_test_svc_dir_entries(void)
{
    DIR *d = opendir(mr_test_svc_dir);
    if (!d)
        return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            n++;
    closedir(d);
    return n;
}

/* Run a test function: it leaves no fd (MR_TEST_RUN) and no socket file. */
#define MR_TEST_SVC_RUN(fn)                                                     \
    do {                                                                        \
        MR_TEST_RUN(fn);                                                        \
        ASSERT_EQ(mr_test_svc_dir_entries(), 0);                                \
    } while (0)

#endif
