/* SPDX-License-Identifier: MIT */
/* test/shm_test.h: what only the test_shm_*.c programs share (static: each
 * test is one program), on top of helpers.h. Object names are
 * "/mr-test-<pid>-<tag>"; every name made with mr_test_shm_name (or kept
 * with mr_test_shm_keep) is unlinked when the program exits, also when an
 * assertion fails, and mr_test_shm_end checks that /dev/shm holds nothing
 * of this pid. */
#ifndef MEMREGION_TEST_SHM_TEST_H
#define MEMREGION_TEST_SHM_TEST_H

#include "helpers.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#define MR_TEST_SHM_MAX_NAMES 256

__attribute__((unused)) static char mr_test_shm_names[MR_TEST_SHM_MAX_NAMES][MR_SHM_NAME_MAX + 2];
static int mr_test_shm_nnames;
static pid_t mr_test_shm_owner;

static inline void mr_test_shm_cleanup(void)
{
    if (getpid() != mr_test_shm_owner)
        return; /* a forked child's exit: the names are its parent's */
    for (int i = 0; i < mr_test_shm_nnames; i++) {
        char path[sizeof "/dev/shm" + MR_SHM_NAME_MAX + 2];
        snprintf(path, sizeof path, "/dev/shm%.*s", MR_SHM_NAME_MAX + 1, mr_test_shm_names[i]);
        /* Whatever the test left there: object, symlink, FIFO or directory. */
        if (unlink(path) < 0)
            rmdir(path);
    }
}

/* Remove name (a "/..." name of this test) at exit. */
static inline void mr_test_shm_keep(const char *name)
{
    if (mr_test_shm_nnames == MR_TEST_SHM_MAX_NAMES)
        mr_test_fail(__FILE__, __LINE__, "too many test names");
    snprintf(mr_test_shm_names[mr_test_shm_nnames++], MR_SHM_NAME_MAX + 2, "%.*s",
             MR_SHM_NAME_MAX + 1, name);
}

/* "/mr-test-<pid>-<tag>" in buf (at least MR_SHM_NAME_MAX + 2 bytes),
 * removed at exit. */
static inline const char *mr_test_shm_name(char *buf, const char *tag)
{
    snprintf(buf, MR_SHM_NAME_MAX + 2, "/mr-test-%ld-%s", (long)getpid(), tag);
    mr_test_shm_keep(buf);
    return buf;
}

/* "/dev/shm/<name without its '/'>" in buf. */
static inline const char *mr_test_shm_path(char *buf, size_t size, const char *name)
{
    snprintf(buf, size, "/dev/shm%s", name);
    return buf;
}

/* Entries in /dev/shm whose names hold "-<pid>-": what this test made. */
static inline int mr_test_shm_leftovers(void)
{
    char pid[32];
    snprintf(pid, sizeof pid, "-%ld-", (long)getpid());
    DIR *d = opendir("/dev/shm");
    if (d == NULL)
        mr_test_skip("no /dev/shm here (mount a tmpfs there: mount -t tmpfs shm /dev/shm)");
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strstr(e->d_name, pid)) {
            fprintf(stderr, "left in /dev/shm: %s\n", e->d_name);
            n++;
        }
    }
    closedir(d);
    return n;
}

/* First thing in main: skips the program where there is no /dev/shm. */
static inline void mr_test_shm_begin(void)
{
    struct stat st;
    if (stat("/dev/shm", &st) < 0 || !S_ISDIR(st.st_mode))
        mr_test_skip("no /dev/shm here (mount a tmpfs there: mount -t tmpfs shm /dev/shm)");
    ASSERT_EQ(mr_test_shm_leftovers(), 0);
    mr_test_shm_owner = getpid();
    atexit(mr_test_shm_cleanup);
}

/* Last thing in main: the test left nothing in /dev/shm. */
static inline void mr_test_shm_end(void)
{
    ASSERT_EQ(mr_test_shm_leftovers(), 0);
}

/* Does /dev/shm hold name? */
static inline bool mr_test_shm_exists(const char *name)
{
    char path[sizeof "/dev/shm" + MR_SHM_NAME_MAX + 2];
    struct stat st;
    return lstat(mr_test_shm_path(path, sizeof path, name), &st) == 0;
}


#endif
