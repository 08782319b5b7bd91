/* test/helpers.c: the out-of-line part of the test assertions. */
#include "helpers.h"

#include <signal.h>
#include <stdarg.h>
#include <sys/wait.h>
#include <unistd.h>

void mr_test_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "FAIL %s:%d: ", file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

void mr_test_skip(const char *why)
{
    fprintf(stderr, "SKIP: %s\n", why);
    exit(MR_TEST_SKIP);
}

size_t mr_test_first_diff(const void *a, const void *b, size_t n)
{
    const unsigned char *x = a, *y = b;
    size_t i = 0;
    while (i < n && x[i] == y[i])
        i++;
    return i;
}

const char *mr_test_name(char *buf, size_t size, const char *prefix, const char *tag)
{
    snprintf(buf, size, "%s-%ld-%s", prefix, (long)getpid(), tag);
    return buf;
}

int mr_test_in_child(void (*fn)(void *), void *arg, int sig)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        mr_test_fail(__FILE__, __LINE__, "fork failed");
    if (pid == 0) {
        if (sig > 0)
            signal(sig, SIG_DFL);
        fn(arg);
        _exit(0);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        ;
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    return 1000 + WTERMSIG(status);
}
