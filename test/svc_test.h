/* SPDX-License-Identifier: MIT */
/* test/svc_test.h: what only the service tests share (static, header-only),
 * on top of helpers.h: the test's private service directory, placed in
 * mr_test_tmpdir() through XDG_RUNTIME_DIR (which exec'd peers inherit),
 * and how many entries are left in it. */
#ifndef MEMREGION_TEST_SVC_TEST_H
#define MEMREGION_TEST_SVC_TEST_H

#include "helpers.h"

#include <dirent.h>
#include <unistd.h>

static char mr_test_svc_dir[512];

/* Point this process's services (and its children's) at a directory of
 * its own: call first, before forking. */
static inline void mr_test_svc_setup(void)
{
    setenv("XDG_RUNTIME_DIR", mr_test_tmpdir(), 1);
    snprintf(mr_test_svc_dir, sizeof mr_test_svc_dir, "%s/memregion-%lu", mr_test_tmpdir(),
             (unsigned long)geteuid());
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

#endif
