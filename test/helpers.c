/* SPDX-License-Identifier: MIT */
/* test/helpers.c: the out-of-line part of the test helper library, and the
 * fd-leak check that runs around every test program's main. */
#include "helpers.h"

#include "internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define HAVE_VALGRIND_H 1
#endif
#endif

/* The process that ran main: the fd check and the temporary directory are
 * its own, never a forked child's. Set before main, by the constructor. */
static pid_t main_pid;
static int fds_at_start = -1;
static bool ended; /* failed or skipped: the fd count means nothing then */
static unsigned skipped_cases;

void mr_test_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    ended = true;
    fprintf(stderr, "FAIL %s:%d: ", file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

void mr_test_skip(const char *fmt, ...)
{
    va_list ap;
    ended = true;
    fputs("SKIP: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(MR_TEST_SKIP);
}

void mr_test_skip_case(const char *what, const char *fmt, ...)
{
    va_list ap;
    skipped_cases++;
    fprintf(stderr, "SKIP case %s: ", what);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

size_t mr_test_first_diff(const void *a, const void *b, size_t n)
{
    const unsigned char *x = a, *y = b;
    size_t i = 0;
    while (i < n && x[i] == y[i])
        i++;
    return i;
}

size_t mr_test_first_not(const void *p, size_t n, unsigned char v)
{
    const unsigned char *x = p;
    size_t i = 0;
    while (i < n && x[i] == v)
        i++;
    return i;
}

/* ---- processes --------------------------------------------------------------- */

/* In a child of mr_test_fork: its parent's pid. */
static pid_t forked_by;

pid_t mr_test_fork(void)
{
    fflush(NULL);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0)
        mr_test_fail(__FILE__, __LINE__, "fork failed: %s", strerror(errno));
    if (pid == 0)
        forked_by = parent;
    return pid;
}

void mr_test_die_with_parent(void)
{
    /* The parent may have died before the call: then it never fires. */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != forked_by)
        _exit(1);
}

static pid_t start(void (*fn)(void *), void *arg, int sig)
{
    pid_t pid = mr_test_fork();
    if (pid == 0) {
        if (sig > 0)
            signal(sig, SIG_DFL);
        fn(arg);
        _exit(0);
    }
    return pid;
}

pid_t mr_test_start(void (*fn)(void *), void *arg)
{
    return start(fn, arg, 0);
}

int mr_test_wait(pid_t pid)
{
    int status;
    /* Only EINTR is worth another try: ECHILD and EINVAL stay as they are. */
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -errno;
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    return 1000 + WTERMSIG(status);
}

int mr_test_in_child(void (*fn)(void *), void *arg, int sig)
{
    return mr_test_wait(start(fn, arg, sig));
}

/* ---- file descriptors ------------------------------------------------------------ */

int mr_test_count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (d == NULL)
        mr_test_fail(__FILE__, __LINE__, "cannot read /proc/self/fd");
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n - 1; /* the directory's own */
}

bool mr_test_is_cloexec(int fd)
{
    int fl = fcntl(fd, F_GETFD);
    return fl >= 0 && (fl & FD_CLOEXEC);
}

static void list_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (d == NULL)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        char link[300], target[PATH_MAX];
        if (e->d_name[0] == '.' || atoi(e->d_name) == dirfd(d))
            continue;
        snprintf(link, sizeof link, "/proc/self/fd/%s", e->d_name);
        ssize_t k = readlink(link, target, sizeof target - 1);
        target[k > 0 ? k : 0] = '\0';
        fprintf(stderr, "    fd %s: %s\n", e->d_name, target);
    }
    closedir(d);
}

/* Registered before main runs, so it runs after every atexit handler the
 * test registers (they close what they opened first). A leak changes the
 * exit status with _exit: exit must not be called again from here. */
static void check_fds_at_exit(void)
{
    if (getpid() != main_pid || ended)
        return;
    int now = mr_test_count_fds();
    if (now != fds_at_start) {
        fprintf(stderr, "FAIL: the program ends with %d fds open, and began with %d:\n", now,
                fds_at_start);
        list_fds();
        fflush(stderr);
        _exit(1);
    }
    if (skipped_cases)
        fprintf(stderr, "passed, with %u case%s skipped (SKIP lines above)\n", skipped_cases,
                skipped_cases == 1 ? "" : "s");
}

__attribute__((constructor)) static void before_main(void)
{
    main_pid = getpid();
    fds_at_start = mr_test_count_fds();
    atexit(check_fds_at_exit);
}

/* ---- time and the build ------------------------------------------------------------ */

int64_t mr_test_now_ms(void)
{
    return mr__now_ns() / 1000000;
}

bool mr_test_under_valgrind(void)
{
#ifdef HAVE_VALGRIND_H
    if (RUNNING_ON_VALGRIND)
        return true;
#endif
    return getenv("MR_UNDER_VALGRIND") != NULL;
}

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define SANITIZED 1
#endif
#endif
#ifndef SANITIZED
#define SANITIZED 0
#endif

bool mr_test_sanitized(void)
{
    return SANITIZED;
}

uint64_t mr_test_scale(uint64_t n)
{
    uint64_t d = mr_test_under_valgrind() ? 20 : mr_test_sanitized() ? 10 : 1;
    return n / d ? n / d : 1;
}

/* ---- random numbers ------------------------------------------------------------------ */

uint64_t mr_test_mix(uint64_t x)
{
    x ^= x >> 30;
    x *= UINT64_C(0xbf58476d1ce4e5b9);
    x ^= x >> 27;
    x *= UINT64_C(0x94d049bb133111eb);
    x ^= x >> 31;
    return x;
}

uint64_t mr_test_rand(uint64_t *state)
{
    *state += UINT64_C(0x9e3779b97f4a7c15);
    return mr_test_mix(*state);
}

/* ---- allocator blocks ---------------------------------------------------------------- */

struct mr_region mr_test_sentinel(void)
{
    return (struct mr_region){ (void *)(uintptr_t)0x5a5a50, 77, 0x40 };
}

unsigned char mr_test_pattern(unsigned seed, size_t i)
{
    return (unsigned char)(seed * 131u + i * 7u + 1u);
}

void mr_test_fill(struct mr_region r, unsigned seed)
{
    unsigned char *p = r.ptr;
    for (size_t i = 0; i < r.len; i++)
        p[i] = mr_test_pattern(seed, i);
}

size_t mr_test_first_bad(struct mr_region r, unsigned seed, size_t n)
{
    const unsigned char *p = r.ptr;
    for (size_t i = 0; i < n; i++)
        if (p[i] != mr_test_pattern(seed, i))
            return i;
    return n;
}

/* ---- temporary files ------------------------------------------------------------------ */

/* Unix socket paths hold 107 bytes: the directory keeps most of them free. */
#define TMPDIR_BASE_MAX 48

static char tmpdir[TMPDIR_BASE_MAX + 32];
static pid_t tmpdir_owner;

static void tmpdir_remove(void)
{
    if (tmpdir[0] == '\0' || getpid() != tmpdir_owner)
        return;
    DIR *d = opendir(tmpdir);
    if (d != NULL) {
        struct dirent *e;
        char p[sizeof tmpdir + 258];
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            snprintf(p, sizeof p, "%s/%s", tmpdir, e->d_name);
            if (unlink(p) < 0)
                rmdir(p);
        }
        closedir(d);
    }
    rmdir(tmpdir);
}

const char *mr_test_tmpdir(void)
{
    if (tmpdir[0] == '\0') {
        const char *base = getenv("TMPDIR");
        if (base == NULL || *base == '\0' || strlen(base) > TMPDIR_BASE_MAX)
            base = "/tmp";
        snprintf(tmpdir, sizeof tmpdir, "%s/mr-test-%ld-XXXXXX", base, (long)getpid());
        if (mkdtemp(tmpdir) == NULL)
            mr_test_fail(__FILE__, __LINE__, "cannot create a temporary directory in %s", base);
        tmpdir_owner = getpid();
        atexit(tmpdir_remove);
    }
    return tmpdir;
}

const char *mr_test_tmp_path(char *buf, size_t size, const char *name)
{
    snprintf(buf, size, "%s/%s", mr_test_tmpdir(), name);
    return buf;
}

const char *mr_test_tmp(const char *name)
{
    static char buf[8][sizeof tmpdir + 256];
    static unsigned next;
    return mr_test_tmp_path(buf[next++ % 8], sizeof buf[0], name);
}

/* ---- the out-of-memory walk ------------------------------------------------------------- */

long mr_test_oom_walk(const char *name, int (*fn)(struct mr_allocator *a), int final_rc,
                      long at_least, long max_n)
{
    long n;
    for (n = 0;; n++) {
        struct mr_failing f;
        mr_failing_init(&f, NULL, n);
        int rc = fn(mr_failing_allocator(&f));
        if (f.live_blocks != 0 || f.live_bytes != 0)
            mr_test_fail(__FILE__, __LINE__, "%s: %zu blocks (%zu bytes) leaked with N = %ld",
                         name, f.live_blocks, f.live_bytes, n);
        if (rc == final_rc && f.failures == 0)
            break;
        if (rc != -ENOMEM)
            mr_test_fail(__FILE__, __LINE__, "%s: N = %ld failed with %d (%s), not -ENOMEM",
                         name, n, rc, mr_strerror(rc));
        /* The refusal happened at allocation N + 1, and the scenario stopped there. */
        ASSERT_EQ(f.failures, (size_t)1);
        ASSERT_EQ(f.attempts, (size_t)n + 1);
        if (n >= max_n)
            mr_test_fail(__FILE__, __LINE__, "%s: never succeeds", name);
    }
    fprintf(stderr, "%s: %ld allocation failures walked\n", name, n);
    if (n < at_least)
        mr_test_fail(__FILE__, __LINE__, "%s: only %ld allocations, expected at least %ld", name,
                     n, at_least);
    return n;
}
