/* SPDX-License-Identifier: MIT */
/* memregion/base.h: what every layer shares: the export macro, the version,
 * and the error convention.
 *
 * Errors are values. Every function that can fail returns an int or ssize_t:
 * >= 0 is success (a count where it means one), a negative errno value is
 * failure. No public function leaves its result in errno. The codes used with
 * a library-wide meaning are:
 *   -EINVAL  an argument is malformed (unknown flag bit, bad alignment, ...)
 *   -ERANGE  an offset or length reaches outside its region (also on overflow)
 *   -EACCES  a write to a read-only region (or a permission the OS refused)
 *   -ENOMEM  the allocator is out of memory right now
 *   -E2BIG   the request is larger than the allocator can ever satisfy
 *   -ETIMEDOUT  a deadline passed
 *   -EPROTO  another process broke the shared-memory protocol
 *
 * Timeouts, in every layer that waits, are int milliseconds: MR_FOREVER (-1)
 * waits without limit, 0 looks once without waiting, and a call whose time
 * runs out returns -ETIMEDOUT. Other negative values are -EINVAL. Deadlines
 * run on CLOCK_MONOTONIC, and a signal that interrupts a wait does not
 * extend them.
 */
#ifndef MEMREGION_BASE_H
#define MEMREGION_BASE_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <errno.h>

#include <memregion/version.h>

#if defined(__GNUC__) || defined(__clang__)
#define MR_API __attribute__((visibility("default")))
#define MR_INLINE static inline __attribute__((always_inline))
#define MR_LIKELY(x) __builtin_expect(!!(x), 1)
#define MR_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define MR_NODISCARD __attribute__((warn_unused_result))
#define MR_DEPRECATED(msg) __attribute__((deprecated(msg)))
#else
#define MR_API
#define MR_INLINE static inline
#define MR_LIKELY(x) (x)
#define MR_UNLIKELY(x) (x)
#define MR_NODISCARD
#define MR_DEPRECATED(msg)
#endif

#if defined(__cplusplus) && __cplusplus >= 201103L
#define MR__STATIC_ASSERT(cond, msg) static_assert(cond, msg)
#elif !defined(__cplusplus) && defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
#define MR__STATIC_ASSERT(cond, msg) _Static_assert(cond, msg)
#elif !defined(__cplusplus) && (defined(__GNUC__) || defined(__clang__))
#define MR__STATIC_ASSERT(cond, msg) __extension__ _Static_assert(cond, msg)
#else
#define MR__PASTE2(a, b) a##b
#define MR__PASTE(a, b) MR__PASTE2(a, b)
#define MR__STATIC_ASSERT(cond, msg) \
    typedef char MR__PASTE(mr__static_assert_, __LINE__)[(cond) ? 1 : -1]
#endif

/* A compile-time assertion, as a declaration (at file or block scope), in
 * every dialect the headers support: static_assert in C++11 and later,
 * _Static_assert in C11 and later (and, as an extension that -pedantic
 * accepts, in C99 with GCC or Clang), else a typedef of an array whose size
 * is negative when cond is false (msg then shows only as the macro's
 * argument in the compiler's note). */
#define MR_STATIC_ASSERT(cond, msg) MR__STATIC_ASSERT(cond, msg)

/* Marks a GNU C construct in a public header (such as struct mr_addr's
 * anonymous union, standard only from C11) so that C99 -pedantic accepts it. */
#if defined(__GNUC__) || defined(__clang__)
#define MR__EXTENSION __extension__
#else
#define MR__EXTENSION
#endif

/* A timeout_ms that waits without limit. */
#define MR_FOREVER (-1)

#ifdef __cplusplus
extern "C" {
#endif

/* The library's version as "MAJOR.MINOR.PATCH", from the library actually
 * loaded (which may differ from MR_VERSION_STRING the caller compiled with).
 * The string is static. Thread-safe. */
MR_API const char *mr_version(void);

/* Text for an error code, negative (-ERANGE) or positive (ERANGE); 0 is
 * "Success". Codes the library gives a specific meaning (see above) read as
 * that meaning; others as the C library's text; unknown codes as
 * "Unknown error". The string is static and never NULL. Thread-safe. */
MR_API const char *mr_strerror(int code);

#ifdef __cplusplus
}
#endif

#endif
