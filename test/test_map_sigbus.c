/* test/test_map_sigbus.c: the SIGBUS guard. A file is mapped, another
 * process truncates it, and the guarded copies out of and into the vanished
 * pages return -EFAULT, again and again, also for a range half inside the
 * file and half past it, for shared, read-only and private maps, from a
 * signal handler, and from two threads at once; populate reports the
 * vanished pages too. Every other SIGBUS still reaches whoever had it
 * before: an unguarded touch kills a child with SIGBUS, a SIGBUS sent with
 * raise kills it too (or is ignored if SIGBUS was), and a handler installed
 * before the guard is still called, with the fault's address. */
#include "helpers.h"

#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

int mr__map_touch(const void *p, size_t len);

/* The sanitizers handle SIGBUS themselves by default (a report, exit code
 * 1 or 66), and memregion passes the faults it does not own on to them as
 * it would to any earlier handler. This test checks that the default action
 * follows, so they keep out of SIGBUS here; the guard works either way.
 * Exported, against the build's hidden default, so that their runtimes find
 * these. */
__attribute__((visibility("default"))) const char *__asan_default_options(void);
__attribute__((visibility("default"))) const char *__tsan_default_options(void);
const char *__asan_default_options(void)
{
    return "handle_sigbus=0";
}
const char *__tsan_default_options(void)
{
    return "handle_sigbus=0";
}

static size_t ps;
static char dir[256];
static pid_t owner;

/* ---- files --------------------------------------------------------------- */

static const char *path_of(const char *name)
{
    static char buf[4][512];
    static int next;
    char *p = buf[next++ % 4];
    snprintf(p, sizeof buf[0], "%s/%s", dir, name);
    return p;
}

static void remove_dir(void)
{
    if (getpid() != owner || dir[0] == '\0')
        return;
    DIR *d = opendir(dir);
    if (d != NULL) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL)
            if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
                unlink(path_of(e->d_name));
        closedir(d);
    }
    rmdir(dir);
}

static void make_dir(void)
{
    const char *tmp = getenv("TMPDIR");
    char prefix[200];
    snprintf(prefix, sizeof prefix, "%s/mr-test-map-sigbus", tmp && *tmp ? tmp : "/tmp");
    mr_test_name(dir, sizeof dir, prefix, "dir");
    owner = getpid();
    if (mkdir(dir, 0700) < 0)
        mr_test_fail(__FILE__, __LINE__, "cannot create %s", dir);
    atexit(remove_dir); /* also when an assertion fails */
}

static uint8_t pat(size_t i)
{
    return (uint8_t)((i * 131) ^ (i >> 9) ^ 0x5a);
}

/* A file of npages pages of the pattern. */
static const char *make_file(const char *name, size_t npages)
{
    const char *p = path_of(name);
    unlink(p);
    int fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    ASSERT_GE(fd, 0);
    unsigned char *buf = malloc(ps);
    ASSERT_TRUE(buf != NULL);
    for (size_t k = 0; k < npages; k++) {
        for (size_t i = 0; i < ps; i++)
            buf[i] = pat(k * ps + i);
        ASSERT_EQ(write(fd, buf, ps), (ssize_t)ps);
    }
    free(buf);
    ASSERT_EQ(close(fd), 0);
    return p;
}

/* Another process truncates the file at path to size bytes. */
struct trunc {
    const char *path;
    off_t size;
};

static void truncate_child(void *arg)
{
    const struct trunc *t = arg;
    int fd = open(t->path, O_WRONLY | O_CLOEXEC);
    if (fd < 0 || ftruncate(fd, t->size) < 0)
        _exit(2);
    _exit(0);
}

static void truncate_elsewhere(const char *path, off_t size)
{
    struct trunc t = { path, size };
    ASSERT_EQ(mr_test_in_child(truncate_child, &t, 0), 0);
}

/* Read every byte, so that every page is mapped before the truncation (the
 * kernel must take them away, not just never give them). */
static unsigned touch_all(struct mr_region r)
{
    unsigned s = 0;
    for (size_t i = 0; i < r.len; i += 64)
        s += ((volatile uint8_t *)r.ptr)[i];
    return s;
}

/* The value goes somewhere: valgrind drops a load whose value is unused,
 * and with it the fault. */
static volatile uint8_t sink;

static void touch_byte(void *p)
{
    sink = *(volatile uint8_t *)p;
}

static void write_byte(void *p)
{
    *(volatile uint8_t *)p = 1;
}

/* ---- earlier dispositions (each in a child that has not installed the guard) --- */

static volatile uintptr_t vanished; /* the address the fault must report */

static void user_siginfo_handler(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    _exit(sig == SIGBUS && si->si_code > 0 && (uintptr_t)si->si_addr == vanished ? 42 : 43);
}

static void user_plain_handler(int sig)
{
    _exit(sig == SIGBUS ? 44 : 45);
}

/* Map a file, truncate it (here: any process will do), and prove the guard
 * works; then touch the vanished page without it. */
static void guard_then_touch(const char *name)
{
    const char *p = make_file(name, 2);
    struct mr_map m;
    uint8_t buf[16];
    if (mr_map_open(&m, p, MR_MAP_SHARED, 0) < 0 || truncate(p, 0) < 0)
        _exit(2);
    if (mr_map_copy_out(&m, ps, buf, sizeof buf) != -EFAULT)
        _exit(3);
    if (mr_map_copy_in(&m, 0, buf, sizeof buf) != -EFAULT)
        _exit(4);
    vanished = (uintptr_t)m.region.ptr + ps + 5;
    touch_byte((void *)vanished);
    _exit(5); /* the fault must not return */
}

static void child_siginfo(void *arg)
{
    (void)arg;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = user_siginfo_handler;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGBUS, &sa, NULL) < 0)
        _exit(2);
    guard_then_touch("siginfo");
}

static void child_plain(void *arg)
{
    (void)arg;
    if (signal(SIGBUS, user_plain_handler) == SIG_ERR)
        _exit(2);
    guard_then_touch("plain");
}

/* SIG_IGN before the guard: a sent SIGBUS stays ignored, a fault kills. */
static void child_ignored(void *arg)
{
    (void)arg;
    if (signal(SIGBUS, SIG_IGN) == SIG_ERR || mr_guard_install() < 0)
        _exit(2);
    raise(SIGBUS);
    guard_then_touch("ignored");
}

/* SIG_DFL before the guard: a sent SIGBUS kills. */
static void child_raise(void *arg)
{
    (void)arg;
    if (mr_guard_install() < 0)
        _exit(2);
    raise(SIGBUS);
    _exit(3);
}

static void test_earlier_dispositions(void)
{
    ASSERT_EQ(mr_test_in_child(child_siginfo, NULL, 0), 42);
    ASSERT_EQ(mr_test_in_child(child_plain, NULL, 0), 44);
    ASSERT_EQ(mr_test_in_child(child_ignored, NULL, 0), 1000 + SIGBUS);
    ASSERT_EQ(mr_test_in_child(child_raise, NULL, 0), 1000 + SIGBUS);
}

/* ---- the guard ----------------------------------------------------------- */

static void test_shared(off_t keep)
{
    const char *p = make_file("shared", 4);
    struct mr_map m;
    uint8_t buf[300], *base;

    ASSERT_OK(mr_map_open(&m, p, MR_MAP_SHARED, 0));
    base = m.region.ptr;
    touch_all(m.region);
    truncate_elsewhere(p, keep);

    /* Out of a vanished page, twice; and half inside, half past the end. */
    ASSERT_ERR(mr_map_copy_out(&m, 2 * ps, buf, 100), -EFAULT);
    ASSERT_ERR(mr_map_copy_out(&m, 2 * ps, buf, 100), -EFAULT);
    ASSERT_ERR(mr_map_copy_out(&m, 4 * ps - 1, buf, 1), -EFAULT);
    ASSERT_ERR(mr_map_copy_out(&m, ps - 150, buf, 300), -EFAULT);
    /* Into one. */
    ASSERT_ERR(mr_map_copy_in(&m, 3 * ps, buf, 10), -EFAULT);
    ASSERT_ERR(mr_map_copy_in(&m, ps - 150, buf, 300), -EFAULT);
    /* The other forms. */
    ASSERT_ERR(mr_guard_copy(buf, base + ps, 1), -EFAULT);
    ASSERT_ERR(mr_guard_copy(base + ps + 7, buf, 1), -EFAULT);
    ASSERT_ERR(mr_guard_read(m.region, 2 * ps, buf, sizeof buf), -EFAULT);
    ASSERT_ERR(mr_guard_write(m.region, 2 * ps, buf, sizeof buf), -EFAULT);
    /* Populating meets the vanished pages and says so, with or without
     * MADV_POPULATE_READ. */
    ASSERT_ERR(mr_map_populate(&m), -EFAULT);
    ASSERT_ERR(mr__map_touch(m.region.ptr, m.region.len), -EFAULT);

    if (keep > 0) {
        /* What is left of the file still works, both ways. */
        ASSERT_OK(mr_map_copy_out(&m, 0, buf, 200));
        for (size_t i = 0; i < 200; i++)
            ASSERT_EQ(buf[i], pat(i));
        ASSERT_OK(mr_map_copy_in(&m, ps - 4, "tail", 4));
        ASSERT_MEM_EQ(base + ps - 4, "tail", 4);
        ASSERT_OK(mr__map_touch(m.region.ptr, (size_t)keep));
    } else {
        ASSERT_ERR(mr_map_copy_out(&m, 0, buf, 1), -EFAULT);
    }
    /* The guard still works after all those jumps. */
    ASSERT_ERR(mr_map_copy_out(&m, 2 * ps, buf, 100), -EFAULT);
    mr_map_close(&m);
}

static void test_read_only(void)
{
    const char *p = make_file("readonly", 3);
    struct mr_map m;
    uint8_t buf[64];

    ASSERT_OK(mr_map_open(&m, p, MR_MAP_READ, 0));
    touch_all(m.region);
    truncate_elsewhere(p, 0);
    ASSERT_ERR(mr_map_copy_out(&m, 0, buf, sizeof buf), -EFAULT);
    ASSERT_ERR(mr_map_copy_out(&m, 2 * ps + 1, buf, sizeof buf), -EFAULT);
    ASSERT_ERR(mr_map_copy_in(&m, 0, buf, sizeof buf), -EACCES); /* refused before any touch */
    ASSERT_ERR(mr_map_copy_out(&m, 3 * ps, buf, 1), -ERANGE);
    mr_map_close(&m);
}

static void test_private(void)
{
    const char *p = make_file("private", 3);
    struct mr_map m;
    uint8_t buf[64];

    ASSERT_OK(mr_map_open(&m, p, MR_MAP_PRIVATE, 0));
    touch_all(m.region);
    ASSERT_OK(mr_map_copy_in(&m, ps, "cow", 3)); /* page 1 is now this process's copy */
    truncate_elsewhere(p, 0);
    ASSERT_ERR(mr_map_copy_out(&m, 2 * ps, buf, sizeof buf), -EFAULT);
    ASSERT_ERR(mr_map_copy_in(&m, 0, buf, sizeof buf), -EFAULT);
    mr_map_close(&m);
}

/* Faults the guard does not own still end the process, as without it. */
static void test_passed_on(void)
{
    const char *p = make_file("passon", 2);
    struct mr_map m;

    ASSERT_OK(mr_guard_install());
    ASSERT_OK(mr_map_open(&m, p, MR_MAP_SHARED, 0));
    truncate_elsewhere(p, (off_t)ps);
    uint8_t *gone = (uint8_t *)m.region.ptr + ps + 9;
    /* sig 0: the child keeps the handler it inherited. */
    ASSERT_EQ(mr_test_in_child(touch_byte, gone, 0), 1000 + SIGBUS);
    ASSERT_EQ(mr_test_in_child(write_byte, gone, 0), 1000 + SIGBUS);
    ASSERT_EQ(mr_test_in_child(child_raise, NULL, 0), 1000 + SIGBUS);
    /* And the parent, which did not touch, still guards. */
    uint8_t b;
    ASSERT_ERR(mr_map_copy_out(&m, ps + 9, &b, 1), -EFAULT);
    ASSERT_OK(mr_map_copy_out(&m, ps - 1, &b, 1));
    ASSERT_EQ(b, pat(ps - 1));
    mr_map_close(&m);
}

/* A guarded copy inside a signal handler. */
static struct mr_map *handler_map;
static volatile int handler_rc;

static void on_usr1(int sig)
{
    (void)sig;
    uint8_t b;
    sigset_t bus;
    /* A fault while SIGBUS is blocked ends the process whatever the handler
     * (map.h). The kernel blocks only SIGUSR1 here, but ThreadSanitizer runs
     * handlers with every signal blocked. */
    sigemptyset(&bus);
    sigaddset(&bus, SIGBUS);
    pthread_sigmask(SIG_UNBLOCK, &bus, NULL);
    handler_rc = mr_map_copy_out(handler_map, ps, &b, 1);
}

static void test_in_handler(void)
{
    const char *p = make_file("handler", 2);
    struct mr_map m;

    ASSERT_OK(mr_map_open(&m, p, MR_MAP_READ, 0));
    truncate_elsewhere(p, (off_t)ps);
    handler_map = &m;
    handler_rc = 1;
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sigemptyset(&sa.sa_mask);
    ASSERT_EQ(sigaction(SIGUSR1, &sa, &old), 0);
    ASSERT_EQ(raise(SIGUSR1), 0);
    ASSERT_EQ(sigaction(SIGUSR1, &old, NULL), 0);
    ASSERT_EQ(handler_rc, -EFAULT);
    mr_map_close(&m);
}

/* ---- threads ------------------------------------------------------------- */

#define THREAD_ROUNDS 200

struct worker {
    struct mr_map m;
    int faults, oks, wrong;
};

static void *worker_run(void *arg)
{
    struct worker *w = arg;
    uint8_t buf[128];
    for (int i = 0; i < THREAD_ROUNDS; i++) {
        int rc = mr_map_copy_out(&w->m, ps + (size_t)i, buf, sizeof buf);
        if (rc == -EFAULT)
            w->faults++;
        rc = mr_map_copy_out(&w->m, (size_t)i, buf, sizeof buf);
        if (rc == 0 && buf[0] == pat((size_t)i))
            w->oks++;
        else
            w->wrong++;
        rc = mr_map_copy_in(&w->m, 2 * ps, buf, sizeof buf);
        if (rc == -EFAULT)
            w->faults++;
    }
    return NULL;
}

/* Two threads, two truncated maps, guarded copies at once. Run in a child
 * that has not installed the guard yet, so that the two also race to
 * install it. */
static void threads_child(void *arg)
{
    (void)arg;
    struct worker w[2];
    pthread_t t[2];
    const char *names[2] = { "thread0", "thread1" };

    memset(w, 0, sizeof w);
    for (int k = 0; k < 2; k++) {
        const char *p = make_file(names[k], 3);
        ASSERT_OK(mr_map_open(&w[k].m, p, MR_MAP_SHARED, 0));
        ASSERT_EQ(truncate(p, (off_t)ps), 0);
    }
    for (int k = 0; k < 2; k++)
        ASSERT_EQ(pthread_create(&t[k], NULL, worker_run, &w[k]), 0);
    for (int k = 0; k < 2; k++)
        ASSERT_EQ(pthread_join(t[k], NULL), 0);
    for (int k = 0; k < 2; k++) {
        ASSERT_EQ(w[k].faults, 2 * THREAD_ROUNDS);
        ASSERT_EQ(w[k].oks, THREAD_ROUNDS);
        ASSERT_EQ(w[k].wrong, 0);
        mr_map_close(&w[k].m);
        unlink(path_of(names[k]));
    }
    _exit(0);
}

int main(void)
{
    ps = (size_t)sysconf(_SC_PAGESIZE);
    make_dir();
    /* First, while this process has not installed the guard: children
     * that install their own handlers before it. */
    test_earlier_dispositions();
    ASSERT_EQ(mr_test_in_child(threads_child, NULL, 0), 0);

    test_shared(0);
    test_shared((off_t)ps);
    test_read_only();
    test_private();
    test_passed_on();
    test_in_handler();
    remove_dir();
    dir[0] = '\0';
    return 0;
}
