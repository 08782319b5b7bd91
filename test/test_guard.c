/* SPDX-License-Identifier: MIT */
/* test/test_guard.c: the SIGBUS guard (memregion/guard.h). Its checks on
 * any memory (bounds, read-only regions, installing twice); on a file
 * truncated under its mapping by another process, guarded copies out of and
 * into the vanished pages return -EFAULT, for a vanished source and a
 * vanished destination, from a signal handler, nested in a handler that
 * interrupted a guarded copy, and from two threads at once (which also race
 * to install it). Every other SIGBUS still reaches whoever had it before: an
 * unguarded touch kills a child with SIGBUS, a SIGBUS sent with raise kills
 * it too (or is ignored if SIGBUS was, also with SA_SIGINFO in the flags,
 * and a read it interrupts goes on), and a handler installed before the
 * guard is still called, with the fault's address, once if it is a one-shot
 * (SA_RESETHAND) one. The truncated files are mapped with mr_map_open, and
 * some copies go through mr_map_copy_out and mr_map_copy_in, which are
 * guarded copies of the map's region. */
#include "sigbus_test.h"

#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>

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
    const char *p = mr_test_sigbus_file(name, 2);
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

/* A one-shot handler (SA_RESETHAND), as crash reporters install: the kernel
 * resets SIGBUS to SIG_DFL as it calls it, so the handler ends the process
 * by raising the signal again (or by returning to the fault, which recurs;
 * not done here: under valgrind the access re-runs with stale registers).
 * It must be called once, not again and again. */
static int resethand_calls;

static void user_resethand_handler(int sig, siginfo_t *si, void *uc)
{
    struct sigaction now;
    (void)si;
    (void)uc;
    if (++resethand_calls > 1)
        _exit(46);
    if (sigaction(SIGBUS, NULL, &now) < 0 || now.sa_handler != SIG_DFL)
        _exit(47);
    raise(sig);
}

static void child_resethand(void *arg)
{
    (void)arg;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = user_resethand_handler;
    sa.sa_flags = SA_SIGINFO | SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGBUS, &sa, NULL) < 0)
        _exit(2);
    guard_then_touch("resethand");
}

/* SIG_DFL or SIG_IGN set with SA_SIGINFO in the flags, as a program does
 * that resets its handler with the struct it installed it with: the kernel
 * goes by the handler field alone, and so must the guard (there is no
 * function to call). SIG_IGN: a sent SIGBUS stays ignored; either way a fault
 * kills with SIGBUS. */
static void child_siginfo_default(void *arg)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = arg ? SIG_IGN : SIG_DFL;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGBUS, &sa, NULL) < 0 || mr_guard_install() < 0)
        _exit(2);
    if (arg)
        raise(SIGBUS);
    guard_then_touch(arg ? "siginfo-ign" : "siginfo-dfl");
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

/* A SIGBUS sent (not a fault) while the thread waits in read(2): ignored
 * before the guard, it must not interrupt the read now (an ignored signal
 * never does); caught by a handler installed with SA_RESTART, the read must
 * be restarted, as it would have been without the guard. A SIGUSR1 (with
 * SA_RESTART) follows the SIGBUS: a thread's pending standard signals are
 * delivered lowest number first, so once the SIGUSR1 handler has run, the
 * SIGBUS has been dealt with, and only then is the byte written. */
static int restart_pipe[2];
static pid_t restart_reader;
static int restart_usr1_seen;

static void on_usr1_seen(int sig)
{
    (void)sig;
    __atomic_store_n(&restart_usr1_seen, 1, __ATOMIC_RELEASE);
}

static void user_restart_handler(int sig)
{
    (void)sig;
}

/* Is thread tid blocked in read(2) on fd? (/proc/<tid>/syscall: the system
 * call's number and arguments, or "running".) -1 if the kernel does not say. */
static int blocked_in_read(pid_t tid, int fd)
{
    char path[64], buf[256];
    snprintf(path, sizeof path, "/proc/self/task/%ld/syscall", (long)tid);
    int f = open(path, O_RDONLY | O_CLOEXEC);
    if (f < 0)
        return -1;
    ssize_t n = read(f, buf, sizeof buf - 1);
    close(f);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    long nr;
    unsigned long arg0;
    return sscanf(buf, "%ld 0x%lx", &nr, &arg0) == 2 && nr == SYS_read && arg0 == (unsigned long)fd;
}

static void *restart_signaller(void *arg)
{
    (void)arg;
    int b;
    while ((b = blocked_in_read(restart_reader, restart_pipe[0])) == 0)
        sched_yield();
    if (b < 0)
        _exit(77);
    if (syscall(SYS_tgkill, getpid(), restart_reader, SIGBUS) < 0 ||
        syscall(SYS_tgkill, getpid(), restart_reader, SIGUSR1) < 0)
        _exit(7);
    while (!__atomic_load_n(&restart_usr1_seen, __ATOMIC_ACQUIRE))
        sched_yield();
    if (write(restart_pipe[1], "x", 1) != 1)
        _exit(8);
    return NULL;
}

static void child_restart(void *arg)
{
    struct sigaction sa;
    pthread_t t;
    char c;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sa.sa_handler = arg ? user_restart_handler : SIG_IGN;
    if (sigaction(SIGBUS, &sa, NULL) < 0 || mr_guard_install() < 0)
        _exit(2);
    sa.sa_handler = on_usr1_seen;
    if (sigaction(SIGUSR1, &sa, NULL) < 0 || pipe2(restart_pipe, O_CLOEXEC) < 0)
        _exit(3);
    restart_reader = (pid_t)syscall(SYS_gettid);
    if (pthread_create(&t, NULL, restart_signaller, NULL) != 0)
        _exit(4);
    ssize_t n = read(restart_pipe[0], &c, 1);
    int err = errno;
    pthread_join(t, NULL);
    _exit(n == 1 ? 0 : n < 0 && err == EINTR ? 5 : 6);
}

/* ThreadSanitizer holds back a signal that arrives in a system call until
 * the call returns, which a restarted read never does: there the restart
 * cannot be watched this way. */
#if defined(__SANITIZE_THREAD__)
#define UNDER_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define UNDER_TSAN 1
#endif
#endif
#ifndef UNDER_TSAN
#define UNDER_TSAN 0
#endif

static void test_earlier_dispositions(void)
{
    ASSERT_EQ(mr_test_in_child(child_siginfo, NULL, 0), 42);
    ASSERT_EQ(mr_test_in_child(child_plain, NULL, 0), 44);
    ASSERT_EQ(mr_test_in_child(child_resethand, NULL, 0), 1000 + SIGBUS);
    ASSERT_EQ(mr_test_in_child(child_ignored, NULL, 0), 1000 + SIGBUS);
    ASSERT_EQ(mr_test_in_child(child_siginfo_default, NULL, 0), 1000 + SIGBUS);
    ASSERT_EQ(mr_test_in_child(child_siginfo_default, (void *)1, 0), 1000 + SIGBUS);
    ASSERT_EQ(mr_test_in_child(child_raise, NULL, 0), 1000 + SIGBUS);
    for (int k = 0; k < 2 && !UNDER_TSAN; k++) {
        int rc = mr_test_in_child(child_restart, k ? (void *)1 : NULL, 0);
        if (rc == 77) {
            mr_test_skip_case("restart after SIGBUS", "no /proc/<tid>/syscall here "
                              "(a kernel with CONFIG_HAVE_ARCH_TRACEHOOK has it)");
            break;
        }
        ASSERT_EQ(rc, 0);
    }
}

/* ---- checks on any memory ---------------------------------------------- */

static void test_checks(void)
{
    ASSERT_OK(mr_guard_install());
    ASSERT_OK(mr_guard_install());

    /* The region forms, on any memory. */
    char a[16] = "abcdefghijklmno", b[16] = { 0 };
    ASSERT_OK(mr_guard_read(MR_REGION_OF(a), 3, b, 4));
    ASSERT_MEM_EQ(b, "defg", 4);
    ASSERT_ERR(mr_guard_read(MR_REGION_OF(a), 13, b, 4), -ERANGE);
    ASSERT_OK(mr_guard_write(MR_REGION_OF(a), 0, "XY", 2));
    ASSERT_MEM_EQ(a, "XYcd", 4);
    ASSERT_ERR(mr_guard_write(mr_region_ro(MR_REGION_OF(a)), 0, "XY", 2), -EACCES);
    ASSERT_ERR(mr_guard_write(MR_REGION_OF(a), 15, "XY", 2), -ERANGE);
    ASSERT_OK(mr_guard_copy(b, a, sizeof a));
    ASSERT_MEM_EQ(b, a, sizeof a);
    ASSERT_OK(mr_guard_copy(NULL, NULL, 0));
}

/* ---- the guard ----------------------------------------------------------- */

/* The guard's own forms on a truncated file: a vanished source, a vanished
 * destination, and the region forms. */
static void test_vanished(off_t keep)
{
    struct mr_map m;
    uint8_t buf[300], *base;

    mr_test_sigbus_map_truncated(&m, "vanished", 4, MR_MAP_SHARED, keep);
    base = m.region.ptr;

    ASSERT_ERR(mr_guard_copy(buf, base + ps, 1), -EFAULT);
    ASSERT_ERR(mr_guard_copy(base + ps + 7, buf, 1), -EFAULT);
    ASSERT_ERR(mr_guard_read(m.region, 2 * ps, buf, sizeof buf), -EFAULT);
    ASSERT_ERR(mr_guard_write(m.region, 2 * ps, buf, sizeof buf), -EFAULT);
    mr_map_close(&m);
}

/* Faults the guard does not own still end the process, as without it. */
static void test_passed_on(void)
{
    const char *p = mr_test_sigbus_file("passon", 2);
    struct mr_map m;

    ASSERT_OK(mr_guard_install());
    ASSERT_OK(mr_map_open(&m, p, MR_MAP_SHARED, 0));
    mr_test_sigbus_truncate(p, (off_t)ps);
    uint8_t *gone = (uint8_t *)m.region.ptr + ps + 9;
    /* sig 0: the child keeps the handler it inherited. */
    ASSERT_EQ(mr_test_in_child(touch_byte, gone, 0), 1000 + SIGBUS);
    ASSERT_EQ(mr_test_in_child(write_byte, gone, 0), 1000 + SIGBUS);
    ASSERT_EQ(mr_test_in_child(child_raise, NULL, 0), 1000 + SIGBUS);
    /* And the parent, which did not touch, still guards. */
    uint8_t b;
    ASSERT_ERR(mr_map_copy_out(&m, ps + 9, &b, 1), -EFAULT);
    ASSERT_OK(mr_map_copy_out(&m, ps - 1, &b, 1));
    ASSERT_EQ(b, mr_test_sigbus_pat(ps - 1));
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
    const char *p = mr_test_sigbus_file("handler", 2);
    struct mr_map m;

    ASSERT_OK(mr_map_open(&m, p, MR_MAP_READ, 0));
    mr_test_sigbus_truncate(p, (off_t)ps);
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

/* Guards nest (map.h): a signal handler that interrupts a guarded copy may
 * make guarded copies of its own, faulting ones too, and the interrupted copy
 * is still guarded when it resumes. The interruption comes at an exact point:
 * the copy's destination starts out read-only, so its first store raises
 * SIGSEGV, whose handler makes a faulting guarded copy, truncates the outer
 * copy's source file, and makes the destination writable. The resumed copy
 * then meets vanished pages, and must return -EFAULT, not die. (In a child:
 * the SIGSEGV handler stays.) */
static struct {
    struct mr_map src, other;
    const char *src_path;
    uint8_t *dst;
    size_t len;
    int segvs, inner_rc;
} nest;

static void on_segv_nest(int sig, siginfo_t *si, void *uc)
{
    uint8_t b;
    sigset_t bus;
    (void)sig;
    (void)uc;
    if (nest.segvs++ > 0 || (uintptr_t)si->si_addr - (uintptr_t)nest.dst >= nest.len)
        _exit(10); /* not the one fault expected */
    sigemptyset(&bus);
    sigaddset(&bus, SIGBUS);
    pthread_sigmask(SIG_UNBLOCK, &bus, NULL); /* see on_usr1 */
    /* One that faults and one that does not: both must leave the outer
     * copy's guard on top. */
    nest.inner_rc = mr_map_copy_out(&nest.other, ps, &b, 1);
    if (mr_map_copy_out(&nest.other, 0, &b, 1) != 0)
        _exit(12);
    if (truncate(nest.src_path, 0) < 0 || mprotect(nest.dst, nest.len, PROT_READ | PROT_WRITE) < 0)
        _exit(11);
}

static void child_nested(void *arg)
{
    (void)arg;
    uint8_t b;
    const char *other = mr_test_sigbus_file("nest-other", 2);
    nest.src_path = mr_test_sigbus_file("nest-src", 8);
    nest.len = 8 * ps;
    if (mr_map_open(&nest.src, nest.src_path, MR_MAP_READ, 0) < 0 ||
        mr_map_open(&nest.other, other, MR_MAP_READ, 0) < 0 || truncate(other, (off_t)ps) < 0)
        _exit(2);
    mr_test_sigbus_touch(nest.src.region);
    nest.dst = mmap(NULL, nest.len, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (nest.dst == MAP_FAILED)
        _exit(3);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_segv_nest;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGSEGV, &sa, NULL) < 0)
        _exit(4);
    int rc = mr_map_copy_out(&nest.src, 0, nest.dst, nest.len);
    if (nest.segvs != 1)
        _exit(5);
    if (nest.inner_rc != -EFAULT)
        _exit(6);
    if (rc != -EFAULT)
        _exit(7);
    /* And nothing of either copy is left on the guard stack. */
    if (mr_map_copy_out(&nest.other, ps, &b, 1) != -EFAULT ||
        mr_map_copy_out(&nest.other, 0, &b, 1) != 0 || b != mr_test_sigbus_pat(0))
        _exit(8);
    _exit(0);
}

static void test_nested(void)
{
    ASSERT_EQ(mr_test_in_child(child_nested, NULL, 0), 0);
    unlink(mr_test_tmp("nest-src"));
    unlink(mr_test_tmp("nest-other"));
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
        if (rc == 0 && buf[0] == mr_test_sigbus_pat((size_t)i))
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
        const char *p = mr_test_sigbus_file(names[k], 3);
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
        unlink(mr_test_tmp(names[k]));
    }
    _exit(0);
}

int main(void)
{
    mr_test_tmpdir(); /* before any fork: the directory is this process's */
    ps = (size_t)sysconf(_SC_PAGESIZE);
    /* First, while this process has not installed the guard: children
     * that install their own handlers before it. */
    test_earlier_dispositions();
    ASSERT_EQ(mr_test_in_child(threads_child, NULL, 0), 0);

    test_checks();
    test_vanished(0);
    test_vanished((off_t)ps);
    test_passed_on();
    test_in_handler();
    test_nested();
    return 0;
}
