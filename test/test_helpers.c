/* SPDX-License-Identifier: MIT */
/* test/test_helpers.c: the test helper library itself (helpers.h), where a
 * wrong helper would let other tests pass or hang: waiting for a child
 * gives its status, an error for a pid that is not a child (within a
 * bounded time, not a spin), and survives signals; the generator is
 * splitmix64; the byte checks find the first odd byte; and a program that
 * leaves an fd open fails, with no call of its own (this program runs
 * itself again with an argument naming what to do wrong). */
#include "helpers.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

/* Longer than any wait here may take: a helper that spins dies of SIGALRM,
 * which ctest reports as a failure. */
#define BOUND_S 10

static void exit_with(void *arg)
{
    _exit((int)(intptr_t)arg);
}

static void kill_self(void *arg)
{
    (void)arg;
    raise(SIGKILL);
}

static void fail_assertion(void *arg)
{
    (void)arg;
    if (freopen("/dev/null", "w", stderr) == NULL) /* the FAIL line is expected */
        _exit(2);
    ASSERT_TRUE(arg != NULL);
}

static void test_wait_status(void)
{
    ASSERT_EQ(mr_test_wait(mr_test_start(exit_with, (void *)(intptr_t)0)), 0);
    ASSERT_EQ(mr_test_wait(mr_test_start(exit_with, (void *)(intptr_t)42)), 42);
    ASSERT_EQ(mr_test_wait(mr_test_start(kill_self, NULL)), 1000 + SIGKILL);
    ASSERT_EQ(mr_test_in_child(fail_assertion, NULL, 0), 1);
    ASSERT_EQ(mr_test_in_child(exit_with, (void *)(intptr_t)7, 0), 7);
}

/* A pid that is not a child, and one already waited for: -ECHILD at once. */
static void test_wait_not_a_child(void)
{
    alarm(BOUND_S);
    int64_t t0 = mr_test_now_ms();
    ASSERT_ERR(mr_test_wait(getppid()), -ECHILD);
    ASSERT_ERR(mr_test_wait(1), -ECHILD);
    pid_t pid = mr_test_start(exit_with, (void *)(intptr_t)3);
    ASSERT_EQ(mr_test_wait(pid), 3);
    ASSERT_ERR(mr_test_wait(pid), -ECHILD);
    ASSERT_LT(mr_test_now_ms() - t0, 1000 * BOUND_S);
    alarm(0);
}

/* Signals that interrupt the wait (no SA_RESTART) do not end it: the
 * child's status still comes back. */
static volatile sig_atomic_t interruptions;

static void count_signal(int sig)
{
    (void)sig;
    interruptions++;
}

static void signal_parent(void *arg)
{
    (void)arg;
    struct timespec ms = { 0, 1000000 };
    for (int i = 0; i < 50; i++) {
        kill(getppid(), SIGUSR1);
        nanosleep(&ms, NULL);
    }
    _exit(9);
}

static void test_wait_interrupted(void)
{
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = count_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;
    ASSERT_EQ(sigaction(SIGUSR1, &sa, &old), 0);
    alarm(BOUND_S);
    ASSERT_EQ(mr_test_wait(mr_test_start(signal_parent, NULL)), 9);
    alarm(0);
    ASSERT_EQ(sigaction(SIGUSR1, &old, NULL), 0);
    ASSERT_GT(interruptions, 0);
}

/* The published splitmix64 outputs for the state 0; any state works. */
static void test_rand(void)
{
    uint64_t s = 0;
    ASSERT_EQ(mr_test_rand(&s), UINT64_C(0xe220a8397b1dcdaf));
    ASSERT_EQ(mr_test_rand(&s), UINT64_C(0x6e789e6aa1b965f4));
    ASSERT_EQ(mr_test_rand(&s), UINT64_C(0x06c45d188009454f));
    uint64_t a = 12345, b = 12345;
    for (int i = 0; i < 100; i++)
        ASSERT_EQ(mr_test_rand(&a), mr_test_rand(&b));
    ASSERT_NE(mr_test_mix(1), mr_test_mix(2));
}

static void test_bytes(void)
{
    unsigned char b[16];
    memset(b, 0x5c, sizeof b);
    ASSERT_EQ(mr_test_first_not(b, sizeof b, 0x5c), sizeof b);
    ASSERT_EQ(mr_test_first_not(b, 0, 0x00), (size_t)0);
    ASSERT_ALL_BYTES(b, sizeof b, 0x5c);
    b[9] = 0;
    ASSERT_EQ(mr_test_first_not(b, sizeof b, 0x5c), (size_t)9);
    ASSERT_EQ(mr_test_first_not(b, 9, 0x5c), (size_t)9);
    ASSERT_EQ(mr_test_first_diff(b, b, sizeof b), sizeof b);
}

/* ---- the fd check that every program gets -------------------------------- */

static const char *self;

static int run_self(const char *what)
{
    pid_t pid = mr_test_fork();
    if (pid == 0) {
        if (freopen("/dev/null", "w", stderr) == NULL) /* its FAIL line is expected */
            _exit(2);
        execl(self, self, what, (char *)NULL);
        _exit(127);
    }
    return mr_test_wait(pid);
}

/* What this program does when run again with an argument. */
static int misbehave(const char *what)
{
    if (strcmp(what, "clean") == 0)
        return 0;
    if (strcmp(what, "leak") == 0)
        return open("/dev/null", O_RDONLY) < 0 ? 3 : 0;
    if (strcmp(what, "leak-exit") == 0)
        exit(open("/dev/null", O_RDONLY) < 0 ? 3 : 0);
    if (strcmp(what, "skip-case") == 0) {
        mr_test_skip_case("one case", "not here");
        return 0;
    }
    if (strcmp(what, "close-stdin") == 0)
        return close(0) < 0 ? 3 : 0;
    if (strcmp(what, "leak-skip") == 0) {
        if (open("/dev/null", O_RDONLY) < 0)
            return 3;
        mr_test_skip("nothing to test");
    }
    if (strcmp(what, "leak-in-child") == 0) {
        int fd = open("/dev/null", O_RDONLY);
        if (fd < 0 || mr_test_wait(mr_test_start(exit_with, (void *)(intptr_t)0)) != 0)
            return 3;
        pid_t pid = mr_test_fork();
        if (pid == 0) /* the child's exit runs the parent's atexit handlers */
            exit(open("/dev/null", O_RDONLY) < 0 ? 3 : 0);
        int st = mr_test_wait(pid);
        close(fd);
        return st;
    }
    return 4;
}

static void test_fd_check(void)
{
    alarm(BOUND_S);
    ASSERT_EQ(run_self("clean"), 0);
    ASSERT_EQ(run_self("leak"), 1);
    ASSERT_EQ(run_self("leak-exit"), 1);
    ASSERT_EQ(run_self("close-stdin"), 1);
    ASSERT_EQ(run_self("leak-skip"), MR_TEST_SKIP);
    ASSERT_EQ(run_self("skip-case"), 0); /* it tested the rest: a pass */
    ASSERT_EQ(run_self("leak-in-child"), 0);
    alarm(0);
}

int main(int argc, char **argv)
{
    if (argc > 1)
        return misbehave(argv[1]);
    self = argv[0];
    MR_TEST_RUN(test_wait_status);
    MR_TEST_RUN(test_wait_not_a_child);
    MR_TEST_RUN(test_wait_interrupted);
    MR_TEST_RUN(test_rand);
    MR_TEST_RUN(test_bytes);
    MR_TEST_RUN(test_fd_check);
    return 0;
}
