/* SPDX-License-Identifier: MIT */
/* test/test_base.c: mr_version and mr_strerror. */
#include "helpers.h"

#include <limits.h>

static void test_version(void)
{
    const char *v = mr_version();
    ASSERT_TRUE(v != NULL);
    ASSERT_STR_EQ(v, MR_VERSION_STRING);

    /* The string is exactly "MAJOR.MINOR.PATCH" with the three numbers of
     * version.h, and nothing after them. */
    int major = -1, minor = -1, patch = -1, used = -1;
    ASSERT_EQ(sscanf(v, "%d.%d.%d%n", &major, &minor, &patch, &used), 3);
    ASSERT_EQ(major, MR_VERSION_MAJOR);
    ASSERT_EQ(minor, MR_VERSION_MINOR);
    ASSERT_EQ(patch, MR_VERSION_PATCH);
    ASSERT_EQ((size_t)used, strlen(v));

    char built[64];
    snprintf(built, sizeof built, "%d.%d.%d", MR_VERSION_MAJOR, MR_VERSION_MINOR, MR_VERSION_PATCH);
    ASSERT_STR_EQ(v, built);

    /* MR_VERSION_HEX is the library's three numbers, a byte each (checked
     * against the numbers mr_version() gave, not against its own macro). */
    ASSERT_GE(major, 0);
    ASSERT_GE(minor, 0);
    ASSERT_GE(patch, 0);
    ASSERT_LE(minor, 255);
    ASSERT_LE(patch, 255);
    ASSERT_EQ(MR_VERSION_HEX, (major << 16) | (minor << 8) | patch);

    /* Static string: the same text on every call. */
    ASSERT_STR_EQ(mr_version(), v);
}

static void assert_text(const char *s, int code)
{
    if (s == NULL)
        mr_test_fail(__FILE__, __LINE__, "mr_strerror(%d) returned NULL", code);
    if (s[0] == '\0')
        mr_test_fail(__FILE__, __LINE__, "mr_strerror(%d) returned an empty string", code);
}

static void test_strerror_sign_and_success(void)
{
    ASSERT_STR_EQ(mr_strerror(0), "Success");

    /* -E and E read the same, for every code, including ones nobody knows. */
    for (int e = 1; e <= 200; e++) {
        const char *pos = mr_strerror(e);
        const char *neg = mr_strerror(-e);
        assert_text(pos, e);
        assert_text(neg, -e);
        if (strcmp(pos, neg) != 0)
            mr_test_fail(__FILE__, __LINE__, "mr_strerror(%d) = \"%s\" but mr_strerror(%d) = \"%s\"",
                         e, pos, -e, neg);
    }
    const int big[] = { 1000, 4095, 4096, 65535, 1 << 20, INT_MAX - 1, INT_MAX };
    for (size_t i = 0; i < sizeof big / sizeof big[0]; i++) {
        ASSERT_STR_EQ(mr_strerror(big[i]), mr_strerror(-big[i]));
    }
}

static void test_strerror_library_codes(void)
{
    /* The library's own meanings, not the C library's "Numerical result out
     * of range" and friends. */
    const int own[] = { ERANGE, E2BIG, EPROTO };
    for (size_t i = 0; i < sizeof own / sizeof own[0]; i++) {
        int e = own[i];
        const char *s = mr_strerror(-e);
        assert_text(s, -e);
        ASSERT_STR_EQ(s, mr_strerror(e));
        const char *libc = strerror(e);
        if (strcmp(s, libc) == 0)
            mr_test_fail(__FILE__, __LINE__, "mr_strerror(-%d) is the C library's text \"%s\"", e, s);
        ASSERT_TRUE(strcmp(s, "Unknown error") != 0);
    }
    ASSERT_STR_EQ(mr_strerror(-ERANGE), "Out of bounds: offset or length outside the region");
    ASSERT_STR_EQ(mr_strerror(-E2BIG), "Too big: larger than the allocator or object can ever hold");
    ASSERT_STR_EQ(mr_strerror(-EPROTO), "Protocol error: the peer broke the shared-memory contract");
    /* The three are different from each other. */
    ASSERT_TRUE(strcmp(mr_strerror(ERANGE), mr_strerror(E2BIG)) != 0);
    ASSERT_TRUE(strcmp(mr_strerror(ERANGE), mr_strerror(EPROTO)) != 0);
    ASSERT_TRUE(strcmp(mr_strerror(E2BIG), mr_strerror(EPROTO)) != 0);
}

static void test_strerror_libc_codes(void)
{
    /* Codes without a library meaning read as the C library's text (the test
     * runs in the "C" locale, where strerror is untranslated). */
    const int plain[] = { EINVAL, EACCES, ENOMEM, ETIMEDOUT, ENOENT, EIO, EBADF, EAGAIN, EINTR, EPERM };
    for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++) {
        int e = plain[i];
        char libc[256];
        snprintf(libc, sizeof libc, "%s", strerror(e));
        ASSERT_STR_EQ(mr_strerror(-e), libc);
        ASSERT_STR_EQ(mr_strerror(e), libc);
    }
    ASSERT_STR_EQ(mr_strerror(-EINVAL), "Invalid argument");
    ASSERT_STR_EQ(mr_strerror(-EACCES), "Permission denied");
    ASSERT_STR_EQ(mr_strerror(ENOMEM), "Cannot allocate memory");
}

static void test_strerror_unknown(void)
{
    /* INT_MIN has no positive counterpart: it must not be negated. */
    ASSERT_STR_EQ(mr_strerror(INT_MIN), "Unknown error");
    ASSERT_STR_EQ(mr_strerror(INT_MAX), "Unknown error");
    ASSERT_STR_EQ(mr_strerror(-INT_MAX), "Unknown error");
    ASSERT_STR_EQ(mr_strerror(INT_MIN + 1), "Unknown error");
    ASSERT_STR_EQ(mr_strerror(1000), "Unknown error");
    ASSERT_STR_EQ(mr_strerror(-1000), "Unknown error");
    ASSERT_STR_EQ(mr_strerror(4096), "Unknown error");
    ASSERT_STR_EQ(mr_strerror(-123456), "Unknown error");

    /* Whatever the C library knows in 1..200, every answer is text; and any
     * code the C library does not know is exactly "Unknown error" (never
     * glibc's "Unknown error 150" from a shared buffer). */
    for (int e = 1; e <= 200; e++) {
        const char *s = mr_strerror(-e);
        assert_text(s, -e);
        if (strncmp(s, "Unknown error", 13) == 0)
            ASSERT_STR_EQ(s, "Unknown error");
    }
}

static void test_strerror_static(void)
{
    /* The strings are static: a later call does not overwrite an earlier one. */
    const char *a = mr_strerror(-EINVAL);
    const char *b = mr_strerror(-ERANGE);
    const char *c = mr_strerror(999999);
    ASSERT_STR_EQ(a, "Invalid argument");
    ASSERT_STR_EQ(b, "Out of bounds: offset or length outside the region");
    ASSERT_STR_EQ(c, "Unknown error");
    ASSERT_PTR_EQ(mr_strerror(-ERANGE), b);
}

int main(void)
{
    test_version();
    test_strerror_sign_and_success();
    test_strerror_library_codes();
    test_strerror_libc_codes();
    test_strerror_unknown();
    test_strerror_static();
    return 0;
}
