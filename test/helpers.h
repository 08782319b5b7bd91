/* SPDX-License-Identifier: MIT */
/* test/helpers.h: the one helper library of the test programs: assertions,
 * skipping, forked children, temporary names, a random generator, the
 * allocator-block patterns, and the fd-leak check every test program gets.
 *
 * A test program exits 0 when it passes, 1 when an assertion fails (the
 * assertion prints both sides and the line), 77 when it must be skipped.
 * Every name here starts with mr_test_ (functions) or MR_TEST_ / ASSERT_
 * (macros); what only one layer's tests need lives in <layer>_test.h on top
 * of this file, under mr_test_<layer>_. */
#ifndef MEMREGION_TEST_HELPERS_H
#define MEMREGION_TEST_HELPERS_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include <memregion.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#define MR_TEST_SKIP 77

/* The number of elements of an array (not a pointer). */
#define MR_TEST_COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* ---- how a test ends -------------------------------------------------------
 * mr_test_fail prints "FAIL file:line: ..." and exits 1. mr_test_skip prints
 * "SKIP: ..." (one line: what is missing here and how to get it) and exits
 * 77, for a program that can test nothing here. mr_test_skip_case prints
 * "SKIP case WHAT: ..." and returns: the program goes on with its other
 * cases and passes on them, and says at exit how many cases it skipped. */
__attribute__((noreturn)) void mr_test_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
__attribute__((noreturn)) void mr_test_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void mr_test_skip_case(const char *what, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define ASSERT_TRUE(c)                                                          \
    do {                                                                        \
        if (!(c))                                                               \
            mr_test_fail(__FILE__, __LINE__, "expected true: %s", #c);          \
    } while (0)

#define ASSERT_FALSE(c)                                                         \
    do {                                                                        \
        if (c)                                                                  \
            mr_test_fail(__FILE__, __LINE__, "expected false: %s", #c);         \
    } while (0)

/* Integers of any type: compared in their own types, printed as signed and hex. */
#define MR__ASSERT_CMP(a, op, b)                                                \
    do {                                                                        \
        __typeof__(a) a_ = (a);                                                 \
        __typeof__(b) b_ = (b);                                                 \
        if (!(a_ op b_))                                                        \
            mr_test_fail(__FILE__, __LINE__,                                    \
                         "expected %s " #op " %s\n    left:  %lld (0x%llx)\n    right: %lld (0x%llx)", \
                         #a, #b, (long long)a_, (unsigned long long)a_,         \
                         (long long)b_, (unsigned long long)b_);                \
    } while (0)
#define ASSERT_EQ(a, b) MR__ASSERT_CMP(a, ==, b)
#define ASSERT_NE(a, b) MR__ASSERT_CMP(a, !=, b)
#define ASSERT_LT(a, b) MR__ASSERT_CMP(a, <, b)
#define ASSERT_LE(a, b) MR__ASSERT_CMP(a, <=, b)
#define ASSERT_GT(a, b) MR__ASSERT_CMP(a, >, b)
#define ASSERT_GE(a, b) MR__ASSERT_CMP(a, >=, b)

/* Floating point, compared exactly (bit patterns are tested separately). */
#define ASSERT_FEQ(a, b)                                                        \
    do {                                                                        \
        double a_ = (a), b_ = (b);                                              \
        if (!(a_ == b_))                                                        \
            mr_test_fail(__FILE__, __LINE__, "expected %s == %s\n    left:  %.17g\n    right: %.17g", \
                         #a, #b, a_, b_);                                       \
    } while (0)

#define ASSERT_PTR_EQ(a, b)                                                     \
    do {                                                                        \
        const void *a_ = (a), *b_ = (b);                                        \
        if (a_ != b_)                                                           \
            mr_test_fail(__FILE__, __LINE__, "expected %s == %s\n    left:  %p\n    right: %p", \
                         #a, #b, a_, b_);                                       \
    } while (0)

/* A memregion call succeeded (returned >= 0). */
#define ASSERT_OK(expr)                                                         \
    do {                                                                        \
        long long rc_ = (long long)(expr);                                      \
        if (rc_ < 0)                                                            \
            mr_test_fail(__FILE__, __LINE__, "expected success: %s\n    got: %lld (%s)", \
                         #expr, rc_, mr_strerror((int)rc_));                    \
    } while (0)

/* A memregion call failed with exactly this code (negative errno). */
#define ASSERT_ERR(expr, code)                                                  \
    do {                                                                        \
        long long rc_ = (long long)(expr);                                      \
        long long want_ = (long long)(code);                                    \
        if (rc_ != want_)                                                       \
            mr_test_fail(__FILE__, __LINE__, "expected %s to fail with %lld (%s)\n    got: %lld (%s)", \
                         #expr, want_, mr_strerror((int)want_), rc_,            \
                         rc_ < 0 ? mr_strerror((int)rc_) : "success");          \
    } while (0)

#define ASSERT_STR_EQ(a, b)                                                     \
    do {                                                                        \
        const char *a_ = (a), *b_ = (b);                                        \
        if (strcmp(a_, b_) != 0)                                                \
            mr_test_fail(__FILE__, __LINE__, "expected %s == %s\n    left:  \"%s\"\n    right: \"%s\"", \
                         #a, #b, a_, b_);                                       \
    } while (0)

/* ---- bytes -------------------------------------------------------------------
 * The index of the first byte at which the n bytes at a and b differ, and of
 * the first of the n bytes at p that is not v; n when there is none. */
size_t mr_test_first_diff(const void *a, const void *b, size_t n);
size_t mr_test_first_not(const void *p, size_t n, unsigned char v);

#define ASSERT_MEM_EQ(a, b, n)                                                  \
    do {                                                                        \
        size_t n_ = (n);                                                        \
        if (n_ && memcmp((a), (b), n_) != 0)                                    \
            mr_test_fail(__FILE__, __LINE__, "expected %zu bytes of %s == %s (first difference at %zu)", \
                         n_, #a, #b, mr_test_first_diff((a), (b), n_));         \
    } while (0)

/* Every one of the n bytes at p is v. */
#define ASSERT_ALL_BYTES(p, n, v)                                               \
    do {                                                                        \
        const unsigned char *p_ = (const unsigned char *)(p);                   \
        size_t n_ = (n), at_ = mr_test_first_not(p_, n_, (unsigned char)(v));   \
        if (at_ != n_)                                                          \
            mr_test_fail(__FILE__, __LINE__, "expected the %zu bytes of %s to be %s (0x%02x)\n" \
                         "    byte %zu is 0x%02x", n_, #p, #v, (unsigned char)(v), at_, p_[at_]); \
    } while (0)

/* A region of exactly these fields: pointer, length and flags. */
#define ASSERT_REGION(r, p, l, f)                                               \
    do {                                                                        \
        struct mr_region rr_ = (r);                                             \
        ASSERT_PTR_EQ(rr_.ptr, (p));                                            \
        ASSERT_EQ(rr_.len, (size_t)(l));                                        \
        ASSERT_EQ(rr_.flags, (unsigned)(f));                                    \
    } while (0)

/* Two regions with the same pointer, length and flags. */
#define ASSERT_REGION_EQ(x, y)                                                  \
    do {                                                                        \
        struct mr_region x_ = (x), y_ = (y);                                    \
        ASSERT_PTR_EQ(x_.ptr, y_.ptr);                                          \
        ASSERT_EQ(x_.len, y_.len);                                              \
        ASSERT_EQ(x_.flags, y_.flags);                                          \
    } while (0)

/* align is a power of two. */
#define ASSERT_ALIGNED(p, align) ASSERT_EQ((uintptr_t)(p) & ((uintptr_t)(align) - 1), (uintptr_t)0)

/* ---- temporary files ---------------------------------------------------------
 * This program's private temporary directory, made on first use:
 * "mr-test-<pid>-XXXXXX" (mkdtemp, mode 0700) in $TMPDIR when that is short
 * enough to leave room for Unix socket paths under it, else in /tmp. It is
 * removed with what is in it (files, empty directories) when the process
 * that made it exits, also after a failed assertion; forked children leave
 * it alone. Call it before forking: a child that makes it owns it. */
const char *mr_test_tmpdir(void);

/* "<mr_test_tmpdir()>/<name>", into buf. */
const char *mr_test_tmp_path(char *buf, size_t size, const char *name);

/* The same in one of eight rotating static buffers, for a few paths at once. */
const char *mr_test_tmp(const char *name);

/* ---- processes ---------------------------------------------------------------
 * mr_test_fork flushes stdio and forks: 0 in the child, the child's pid in
 * the parent; a failed fork fails the test. mr_test_start forks a child
 * that runs fn(arg) and exits 0 when it returns (1 when an assertion fails
 * in it). mr_test_wait waits for the child pid and returns how it ended:
 * its exit status (0..255), 1000 + the signal number if a signal killed it,
 * or -errno when waitpid fails for another reason than EINTR (-ECHILD: pid
 * is not a child of this process, or was already waited for). */
pid_t mr_test_fork(void);
pid_t mr_test_start(void (*fn)(void *), void *arg);
/* In a child of mr_test_fork or mr_test_start: be killed with the parent
 * (a parent that fails must not leave a child holding ctest's pipes), or
 * exit 1 at once when it is already gone. */
void mr_test_die_with_parent(void);
int mr_test_wait(pid_t pid);

/* mr_test_start and mr_test_wait in one: the child's default handler for
 * sig is restored first when sig > 0 (sanitizers install their own), so a
 * fault kills it as it would kill a plain program. */
int mr_test_in_child(void (*fn)(void *), void *arg, int sig);

/* ---- file descriptors ----------------------------------------------------------
 * Open fds: the entries of /proc/self/fd, not counting the one that reads
 * it. Fails the test if /proc/self/fd cannot be read.
 *
 * Every test program is checked for leaks for free: the count is taken
 * before main runs, and a program that ends with more or fewer fds open
 * than it started with (returning from main or calling exit, not after a
 * failed assertion or a skip, and never in a forked child) fails, listing
 * what is open. MR_TEST_RUN checks one test function the same way, so that
 * the failure names it. */
int mr_test_count_fds(void);

/* fd has FD_CLOEXEC set. */
bool mr_test_is_cloexec(int fd);

/* Run a test function and fail if it leaves an fd open. */
#define MR_TEST_RUN(fn)                                                         \
    do {                                                                        \
        int before_ = mr_test_count_fds();                                      \
        fn();                                                                   \
        int after_ = mr_test_count_fds();                                       \
        if (before_ != after_)                                                  \
            mr_test_fail(__FILE__, __LINE__, "%s leaked fds: %d open before, %d after", \
                         #fn, before_, after_);                                 \
    } while (0)

/* ---- time and the build ----------------------------------------------------------
 * CLOCK_MONOTONIC in milliseconds. */
int64_t mr_test_now_ms(void);

/* The test runs under valgrind (valgrind says so, where its header is
 * installed, or MR_UNDER_VALGRIND is set as ctest's valgrind_* tests do),
 * so it can do less work or skip what valgrind cannot run. */
bool mr_test_under_valgrind(void);

/* The tests were built with AddressSanitizer or ThreadSanitizer. */
bool mr_test_sanitized(void);

/* How much work fits this run: n for a plain build, n / 10 under a
 * sanitizer, n / 20 under valgrind (never 0). */
uint64_t mr_test_scale(uint64_t n);

/* ---- random numbers --------------------------------------------------------------
 * One deterministic generator, so that failures reproduce from the seed:
 * splitmix64 over the caller's state (any value), which it advances; it
 * returns the next 64 random bits. mr_test_mix is its output function: 64
 * bits that depend on every bit of x, to derive a seed from a number. */
uint64_t mr_test_rand(uint64_t *state);
uint64_t mr_test_mix(uint64_t x);

/* ---- allocator blocks ------------------------------------------------------------
 * A region no allocator returns: a failing call must leave it as it is. */
struct mr_region mr_test_sentinel(void);

/* Byte i of block seed's content; mr_test_fill writes it over all of r, and
 * mr_test_first_bad finds the first of the n first bytes of r that lost it
 * (n if none did). */
unsigned char mr_test_pattern(unsigned seed, size_t i);
void mr_test_fill(struct mr_region r, unsigned seed);
size_t mr_test_first_bad(struct mr_region r, unsigned seed, size_t n);

#define ASSERT_FILLED_N(r, seed, n)                                             \
    do {                                                                        \
        size_t n__ = (n), bad_ = mr_test_first_bad((r), (seed), n__);           \
        if (bad_ != n__)                                                        \
            mr_test_fail(__FILE__, __LINE__, "block %u (%p) lost its content at byte %zu of %zu", \
                         (unsigned)(seed), (r).ptr, bad_, n__);                 \
    } while (0)
#define ASSERT_FILLED(r, seed) ASSERT_FILLED_N(r, seed, (r).len)

/* The out-of-memory walk: run fn over an allocator that refuses its
 * (N+1)th allocation, for N = 0, 1, ..., until fn returns final_rc without
 * a refusal. Every other run must return -ENOMEM after exactly one refusal,
 * at attempt N + 1; no run may leave a block allocated. More than max_n
 * runs, or fewer than at_least, fail the test. Returns N, the runs that
 * met a refusal. */
long mr_test_oom_walk(const char *name, int (*fn)(struct mr_allocator *a), int final_rc,
                      long at_least, long max_n);


#endif
