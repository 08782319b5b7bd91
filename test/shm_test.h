/* test/shm_test.h: what the test_shm_*.c programs share (static: each test
 * is one program). Object names are "/mr-test-<pid>-<tag>"; every name made
 * with shm_test_name is unlinked at exit, also when an assertion fails, and
 * shm_test_end checks that no fd leaked and that /dev/shm holds nothing of
 * this pid. */
#ifndef MEMREGION_TEST_SHM_TEST_H
#define MEMREGION_TEST_SHM_TEST_H

#include "helpers.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#define SHM_TEST_MAX_NAMES 256

__attribute__((unused)) static char shm_test_names[SHM_TEST_MAX_NAMES][MR_SHM_NAME_MAX + 2];
static int shm_test_nnames;
static int shm_test_fds_at_start = -1;

static inline void shm_test_cleanup(void)
{
    for (int i = 0; i < shm_test_nnames; i++) {
        char path[sizeof "/dev/shm" + MR_SHM_NAME_MAX + 2];
        snprintf(path, sizeof path, "/dev/shm%.*s", MR_SHM_NAME_MAX + 1, shm_test_names[i]);
        /* Whatever the test left there: object, symlink, FIFO or directory. */
        if (unlink(path) < 0)
            rmdir(path);
    }
}

/* "/mr-test-<pid>-<tag>" in buf (at least MR_SHM_NAME_MAX + 2 bytes),
 * removed at exit. */
static inline const char *shm_test_name(char *buf, const char *tag)
{
    snprintf(buf, MR_SHM_NAME_MAX + 2, "/mr-test-%ld-%s", (long)getpid(), tag);
    if (shm_test_nnames == SHM_TEST_MAX_NAMES)
        mr_test_fail(__FILE__, __LINE__, "too many test names");
    snprintf(shm_test_names[shm_test_nnames++], MR_SHM_NAME_MAX + 2, "%.*s",
             MR_SHM_NAME_MAX + 1, buf);
    return buf;
}

/* "/dev/shm/<name without its '/'>" in buf. */
static inline const char *shm_test_path(char *buf, size_t size, const char *name)
{
    snprintf(buf, size, "/dev/shm%s", name);
    return buf;
}

/* Entries in /dev/shm whose names hold "-<pid>-": what this test made. */
static inline int shm_test_leftovers(void)
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

static inline void shm_test_begin(void)
{
    struct stat st;
    if (stat("/dev/shm", &st) < 0 || !S_ISDIR(st.st_mode))
        mr_test_skip("no /dev/shm here (mount a tmpfs there: mount -t tmpfs shm /dev/shm)");
    ASSERT_EQ(shm_test_leftovers(), 0);
    atexit(shm_test_cleanup);
    shm_test_fds_at_start = mr_test_count_fds();
}

static inline void shm_test_end(void)
{
    ASSERT_EQ(mr_test_count_fds(), shm_test_fds_at_start);
    ASSERT_EQ(shm_test_leftovers(), 0);
}

/* Does /dev/shm hold name? */
static inline bool shm_test_exists(const char *name)
{
    char path[sizeof "/dev/shm" + MR_SHM_NAME_MAX + 2];
    struct stat st;
    return lstat(shm_test_path(path, sizeof path, name), &st) == 0;
}

static inline bool shm_test_is_cloexec(int fd)
{
    int fl = fcntl(fd, F_GETFD);
    return fl >= 0 && (fl & FD_CLOEXEC);
}

#endif
