/* SPDX-License-Identifier: MIT */
/* memregion/guard.h: the SIGBUS guard.
 *
 * SIGBUS. A page can still vanish after mapping: when another process
 * truncates the file, touching a page past the new end raises SIGBUS, whose
 * default action ends the process. The guarded copies below (mr_guard_*, and
 * mr_map_copy_out and mr_map_copy_in of memregion/map.h, which use them)
 * turn that fault into an error (-EFAULT) instead.
 * They install one process-wide SIGBUS handler on first use (or at
 * mr_guard_install), which stays (unless it hands a SIGBUS to a one-shot
 * handler, below). It handles only a fault that hits the bytes a guarded copy
 * of the faulting thread is copying; every other SIGBUS goes on to the
 * handler that was installed before it (called as the kernel would have:
 * SA_SIGINFO or not, with its sa_mask blocked, SIGBUS reset to SIG_DFL first
 * if it has SA_RESETHAND; a system call the signal interrupts is restarted if
 * it had SA_RESTART or was ignored), or, if that was the default (or
 * SIG_IGN, which the kernel overrides for a fault), ends the process with
 * SIGBUS, raised again under the default action (a core dump's stack then
 * shows the handler above the faulting access). A program that installs its
 * own SIGBUS handler after memregion's must call the previous one for faults
 * it does not own, as memregion does, or guarded copies fault as plain ones.
 * Plain access to mapped memory (mr_region_get_*, memcpy) is not guarded.
 *
 * For any mapping, not only a struct mr_map's (the memregion program uses
 * them on mapped shared-memory objects and files; inside the library only
 * the map layer calls them). The error is -EFAULT, what the kernel itself
 * returns when it copies through such a page (read(2) or write(2) on a
 * truncated mapping, and MADV_POPULATE_READ), so callers see one code for
 * "the memory is gone". Faults the guard cannot catch: in a thread that
 * blocks SIGBUS, the kernel ends the process for a fault whatever the
 * handler; and a SIGSEGV (a pointer to no mapping at all) is not a SIGBUS and
 * is never caught.
 *
 * Thread-safety: the guard is thread-safe and async-signal-safe once
 * installed (see mr_guard_copy).
 */
#ifndef MEMREGION_GUARD_H
#define MEMREGION_GUARD_H

#include <memregion/region.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Install memregion's SIGBUS handler now; the first guarded copy does it
 * otherwise. 0, or what sigaction(2) says. Idempotent and thread-safe; not
 * async-signal-safe (the first guarded copy must not run in a signal handler
 * unless this was called before). The handler stays installed, unless a
 * SIGBUS it does not own goes to an earlier SA_RESETHAND handler (see the
 * top of this header); it is not installed again then. */
MR_API int mr_guard_install(void);

/* memcpy(dst, src, n), except that a SIGBUS raised by a byte of src or dst
 * returns -EFAULT instead of killing the process (some bytes may have been
 * copied). 0 on success. The ranges must not overlap. Thread-safe, and
 * async-signal-safe once the handler is installed (guards nest: a guarded
 * copy in a signal handler that interrupted another one works). */
MR_API int mr_guard_copy(void *dst, const void *src, size_t n);

/* Guarded copy of the n bytes at off of region r to dst: 0, -ERANGE (they do
 * not fit in r; nothing copied) or -EFAULT. Thread-safe. */
MR_API int mr_guard_read(struct mr_region r, size_t off, void *dst, size_t n);

/* Guarded copy of n bytes from src to region r at off: 0, -EACCES (r is
 * read-only), -ERANGE (they do not fit; nothing copied) or -EFAULT. */
MR_API int mr_guard_write(struct mr_region r, size_t off, const void *src, size_t n);

#ifdef __cplusplus
}
#endif

#endif
