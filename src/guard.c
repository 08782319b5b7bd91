/* SPDX-License-Identifier: MIT */
/* src/guard.c: the SIGBUS guard that turns a fault on a vanished page of a
 * mapping (a file truncated under it) into -EFAULT for the guarded copies,
 * and the signal calls its handler makes. */
#include "internal.h"

#include <memregion/guard.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <string.h>

/* ---- system calls ---------------------------------------------------------------
 * The signal calls are used inside the SIGBUS handler, so they must stay
 * async-signal-safe: no locks, no allocation (the handler saves and restores
 * errno around them). */

static int mr__sys_sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
    return sigaction(sig, act, old) < 0 ? -errno : 0;
}

static int mr__sys_sigmask(int how, const sigset_t *set, sigset_t *old)
{
    /* pthread_sigmask returns the error number instead of setting errno. */
    int rc = pthread_sigmask(how, set, old);
    return rc ? -rc : 0;
}

static int mr__sys_raise(int sig)
{
    return raise(sig) != 0 ? -errno : 0;
}

/* ==== the SIGBUS guard =======================================================
 *
 * A guarded copy pushes a record (its sigjmp_buf and the two byte ranges it
 * copies between) on a per-thread stack, copies, and pops it. The handler
 * looks only at the top record of the thread the fault happened in: when
 * the fault is the kernel's (si_code > 0, so no kill(2) is mistaken for one)
 * and its address is in one of the two ranges, it siglongjmps back into the
 * copy, which returns -EFAULT. Anything else is passed on (guard_pass_on).
 *
 * Async-signal-safety of the handler: it reads a thread-local pointer and a
 * record on the copying thread's own stack, both written only by that thread
 * before and after the copy (ordered with signal fences); it calls only
 * siglongjmp, sigaction, pthread_sigmask, sigemptyset, sigaddset and raise, all
 * async-signal-safe, and saves errno around them. Jumping out of the handler
 * is allowed because what it interrupted is memcpy, itself async-signal-safe,
 * holding no lock and no state.
 *
 * The signal mask: the copies use sigsetjmp(env, 0), which saves no mask,
 * because a 1 costs a rt_sigprocmask system call on every copy, far more
 * than the rest of the guard. So the jump restores none, and a mask changed
 * by entering the handler would stay changed: with SIGBUS left blocked, the
 * next fault in that thread would kill the process (the kernel forces the
 * default action on a blocked fault). The handler is installed with
 * SA_NODEFER and an empty sa_mask, so the kernel itself changes nothing on
 * entry; but a runtime that interposes sigaction (ThreadSanitizer installs
 * its own handler with every signal blocked, and calls ours from it) does.
 * So before jumping, the handler sets the mask saved in the ucontext, the
 * one the copy ran with: a system call only when a fault is caught. */

struct guard {
    sigjmp_buf env;
    struct guard *outer; /* the guard this one interrupted (in a signal handler), or NULL */
    uintptr_t dst, src;
    size_t n;
};

/* The initial-exec model makes this one %fs-relative access. In the default
 * model of a shared library, a thread's first access may go through
 * __tls_get_addr, which can allocate: not something a signal handler may do. */
static _Thread_local struct guard *guard_top __attribute__((tls_model("initial-exec")));

static pthread_once_t guard_once = PTHREAD_ONCE_INIT;
static int guard_ready;          /* 1 once the handler is installed (release/acquire) */
static int guard_install_rc;     /* what installing it returned */
static struct sigaction guard_prev; /* the disposition before ours; read-only after install */

/* Hand a SIGBUS that is not ours to whoever had it before. Called from the
 * handler only. */
static void guard_pass_on(int sig, siginfo_t *si, void *uc)
{
    /* A fault comes from the kernel (si_code > 0); kill(2) and raise(3) have
     * si_code <= 0, and an ignored one stays ignored. */
    bool fault = si->si_code > 0;
    /* The handler field alone says SIG_DFL or SIG_IGN, as for the kernel:
     * SA_SIGINFO may be set with either (a handler reset with the struct it
     * was installed with), and there is then no function to call. */
    bool is_func = guard_prev.sa_handler != SIG_DFL && guard_prev.sa_handler != SIG_IGN;

    if (is_func) {
        /* The kernel would have blocked the handler's sa_mask, and SIGBUS
         * itself unless SA_NODEFER, while it runs; ours blocks nothing. The
         * mask is restored by sigreturn when we return. With SA_RESETHAND
         * it would also have set SIG_DFL: a one-shot crash handler that
         * returns expects the fault to recur and end the process, not to be
         * called again forever. The disposition is reset, not guard_prev,
         * which handlers in other threads read; the guard is gone with it. */
        sigset_t mask = guard_prev.sa_mask;
        if (!(guard_prev.sa_flags & SA_NODEFER))
            sigaddset(&mask, sig);
        if (guard_prev.sa_flags & SA_RESETHAND) {
            struct sigaction dfl;
            memset(&dfl, 0, sizeof dfl);
            dfl.sa_handler = SIG_DFL;
            sigemptyset(&dfl.sa_mask);
            mr__sys_sigaction(sig, &dfl, NULL);
        }
        mr__sys_sigmask(SIG_BLOCK, &mask, NULL);
        if (guard_prev.sa_flags & SA_SIGINFO)
            guard_prev.sa_sigaction(sig, si, uc);
        else
            guard_prev.sa_handler(sig);
        return;
    }
    if (guard_prev.sa_handler == SIG_IGN && !fault)
        return;
    /* The default action, which the kernel also takes for an ignored fault:
     * SIG_DFL, and the signal raised again, so that the process dies of
     * SIGBUS as it would have. Returning to re-run the faulting access would
     * keep the fault's own address in the core dump, but under valgrind the
     * access re-runs with stale registers (only the stack and instruction
     * pointers are exact at a memory access by default) and faults
     * elsewhere; and were the page back by then, the process would go on
     * with the guard gone. */
    struct sigaction dfl;
    sigset_t only;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    mr__sys_sigaction(sig, &dfl, NULL);
    sigemptyset(&only);
    sigaddset(&only, sig);
    mr__sys_sigmask(SIG_UNBLOCK, &only, NULL);
    mr__sys_raise(sig);
}

static void guard_on_sigbus(int sig, siginfo_t *si, void *uc)
{
    struct guard *g = __atomic_load_n(&guard_top, __ATOMIC_RELAXED);
    if (g != NULL && si->si_code > 0) {
        uintptr_t a = (uintptr_t)si->si_addr;
        if (a - g->src < g->n || a - g->dst < g->n) {
            if (uc != NULL)
                mr__sys_sigmask(SIG_SETMASK, &((ucontext_t *)uc)->uc_sigmask, NULL);
            siglongjmp(g->env, 1);
        }
    }
    int saved = errno;
    guard_pass_on(sig, si, uc);
    errno = saved;
}

static void guard_install_once(void)
{
    struct sigaction sa;

    /* Read the old disposition first and install ours second, so that
     * guard_prev is complete before our handler can run in any thread. */
    int rc = mr__sys_sigaction(SIGBUS, NULL, &guard_prev);
    if (rc == 0) {
        memset(&sa, 0, sizeof sa);
        sa.sa_sigaction = guard_on_sigbus;
        sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
        /* A sent SIGBUS that interrupts a system call: restarted as before,
         * if it was ignored (which never interrupts) or caught with
         * SA_RESTART. A fault never lands in a system call. */
        if (guard_prev.sa_handler == SIG_IGN || (guard_prev.sa_flags & SA_RESTART))
            sa.sa_flags |= SA_RESTART;
        sigemptyset(&sa.sa_mask);
        rc = mr__sys_sigaction(SIGBUS, &sa, NULL);
    }
    guard_install_rc = rc;
    if (rc == 0)
        __atomic_store_n(&guard_ready, 1, __ATOMIC_RELEASE);
}

int mr_guard_install(void)
{
    if (__atomic_load_n(&guard_ready, __ATOMIC_ACQUIRE))
        return 0;
    pthread_once(&guard_once, guard_install_once);
    return guard_install_rc;
}

/* The copy in a frame of its own, which is still live whenever the handler
 * jumps (a jump into a returned frame is undefined). Everything used after
 * the second return of sigsetjmp lives in g and is not changed after it, so
 * no variable is left indeterminate by the jump. */
static __attribute__((noinline)) int guard_copy(void *dst, const void *src, size_t n)
{
    struct guard g;

    g.outer = __atomic_load_n(&guard_top, __ATOMIC_RELAXED);
    g.dst = (uintptr_t)dst;
    g.src = (uintptr_t)src;
    g.n = n;
    if (sigsetjmp(g.env, 0) != 0) {
        __atomic_store_n(&guard_top, g.outer, __ATOMIC_RELAXED);
        return -EFAULT;
    }
    __atomic_store_n(&guard_top, &g, __ATOMIC_RELAXED);
    /* The compiler must not move the copy's accesses out of the guarded
     * window; the handler runs on this thread, so a signal fence is enough. */
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    memcpy((void *)g.dst, (const void *)g.src, g.n);
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    __atomic_store_n(&guard_top, g.outer, __ATOMIC_RELAXED);
    return 0;
}

static int guard_copy_checked(void *dst, const void *src, size_t n)
{
    if (n == 0)
        return 0;
    if (MR_UNLIKELY(!__atomic_load_n(&guard_ready, __ATOMIC_ACQUIRE))) {
        int rc = mr_guard_install();
        if (rc < 0)
            return rc;
    }
    return guard_copy(dst, src, n);
}

int mr_guard_copy(void *dst, const void *src, size_t n)
{
    return guard_copy_checked(dst, src, n);
}

int mr_guard_read(struct mr_region r, size_t off, void *dst, size_t n)
{
    if (!mr_region_fits(r, off, n))
        return -ERANGE;
    if (n == 0)
        return 0;
    return guard_copy_checked(dst, (const unsigned char *)r.ptr + off, n);
}

int mr_guard_write(struct mr_region r, size_t off, const void *src, size_t n)
{
    if (mr_region_is_ro(r))
        return -EACCES;
    if (!mr_region_fits(r, off, n))
        return -ERANGE;
    if (n == 0)
        return 0;
    return guard_copy_checked((unsigned char *)r.ptr + off, src, n);
}
