/* SPDX-License-Identifier: MIT */
/* test/test_helpers.c: the test helper library itself (helpers.h), where a
 * wrong helper would let other tests pass or hang: waiting for a child
 * gives its status, an error for a pid that is not a child (within a
 * bounded time, not a spin), and survives signals. */
#include "helpers.h"

#include <errno.h>
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

int main(void)
{
    MR_TEST_RUN(test_wait_status);
    MR_TEST_RUN(test_wait_not_a_child);
    MR_TEST_RUN(test_wait_interrupted);
    return 0;
}
