/* SPDX-License-Identifier: MIT */
/* src/chan_wake.c: the sleep/wake protocol on a shared 32-bit word: spin,
 * yield, announce, membarrier or fence, look again, futex sleep in slices;
 * the wake; membarrier registration; and the futex, membarrier and
 * sched_yield wrappers. Why each step is there: docs/chan.md, "Waiting,
 * and the lost wake-up". */
#include "chan_internal.h"

#include <linux/futex.h>
#include <linux/membarrier.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

/* ---- system calls ------------------------------------------------------------
 * Raw syscall(2): the C library wraps neither futex nor membarrier.
 * FUTEX_WAIT, not FUTEX_WAIT_PRIVATE: the words live in memory shared with
 * other processes, and a private futex is keyed by this process's address
 * space. */

int mr__sys_futex_wait(uint32_t *addr, uint32_t expected, const struct timespec *rel)
{
    long rc = syscall(SYS_futex, addr, FUTEX_WAIT, expected, rel, NULL, 0);
    return rc < 0 ? -errno : 0;
}

int mr__sys_futex_wake(uint32_t *addr, int n)
{
    long rc = syscall(SYS_futex, addr, FUTEX_WAKE, n, NULL, NULL, 0);
    return rc < 0 ? -errno : (int)rc;
}

int mr__sys_membarrier(int cmd, unsigned flags)
{
#ifdef SYS_membarrier
    long rc = syscall(SYS_membarrier, cmd, flags, 0);
    return rc < 0 ? -errno : (int)rc;
#else
    (void)cmd;
    (void)flags;
    return -ENOSYS;
#endif
}

void mr__sys_sched_yield(void)
{
    /* Cannot fail on Linux. */
    (void)sched_yield();
}

/* ---- membarrier ----------------------------------------------------------------- */

static bool no_membarrier;

void mr__chan_no_membarrier(bool on)
{
    __atomic_store_n(&no_membarrier, on, __ATOMIC_RELAXED);
}

int mr__wake_join(void)
{
    if (__atomic_load_n(&no_membarrier, __ATOMIC_RELAXED))
        return -ENOSYS;
    int rc = mr__sys_membarrier(MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED, 0);
    return rc < 0 ? rc : 0;
}

/* ---- waking ----------------------------------------------------------------------- */

__attribute__((noinline)) uint32_t mr__wake(uint32_t *word, int n, uint64_t *wakes)
{
    /* Cleared before the wake: a sleeper between its look and its
     * futex_wait then returns at once (EAGAIN). */
    uint32_t old = __atomic_exchange_n(word, 0, __ATOMIC_SEQ_CST);
    if (old == 0)
        return 0;
    if (old != MR__WAKE_FD)
        mr__sys_futex_wake(word, n);
    if (wakes)
        (*wakes)++;
    return old;
}

int mr__wait_arm(const struct mr__waiter *w, int n, int *out)
{
    /* S1 and S2 of the protocol, as a sleep's first slice makes them, for
     * every waiter with one barrier; the "sleep" is the caller's poll(2). */
    bool light = false;
    for (int i = 0; i < n; i++) {
        __atomic_store_n(w[i].word, MR__WAKE_FD, __ATOMIC_SEQ_CST);
        light |= w[i].light;
    }
    int rc = light ? mr__sys_membarrier(MEMBARRIER_CMD_GLOBAL_EXPEDITED, 0) : 0;
    int k = 0;
    for (int i = 0; i < n; i++) {
        int r = rc != 0 ? rc : w[i].ready(w[i].ctx);
        if (r != 0) {
            __atomic_store_n(w[i].word, 0, __ATOMIC_RELAXED);
            k++;
        }
        out[i] = r < 0 ? r : r > 0;
    }
    return k;
}

/* ---- waiting ----------------------------------------------------------------------
 * The spin budget adapts (docs/chan.md, "Waiting"): doubled plus a step
 * when a spin sees progress, halved down to nothing when it does not; at
 * nothing, every PROBE_EVERY-th wait spins PROBE_NS anyway. */
#define SPIN_STEP_NS 500u
#define PROBE_NS 2000u
#define PROBE_EVERY 16u
#define YIELDS 4u
#define SLICE_NS ((int64_t)MR_CHAN_DEATH_CHECK_MS * 1000000)
/* A slice's length when membarrier failed after registering (a kernel bug):
 * a lost wake-up then costs at most this. */
#define SHORT_SLICE_NS ((int64_t)1000000)

static inline int done(int rc)
{
    return rc < 0 ? rc : 0;
}

/* Announce, barrier, look, sleep a slice; look at the peer by the clock
 * (a signal that cuts every slice short must not hide a dead peer). */
static int wait_asleep(const struct mr__waiter *w, int64_t deadline)
{
    uint32_t *word = w->word, *fw = w->futex ? w->futex : w->word;
    int64_t check_at = mr__now_ns() + SLICE_NS;
    for (;;) {
        /* A shared futex's value before the announcement: a waker that
         * sees the announcement changes it after, so the sleep below
         * returns at once (EAGAIN) instead of missing the wake. */
        uint32_t expect = w->futex ? __atomic_load_n(fw, __ATOMIC_ACQUIRE) : MR__WAKE_FUTEX;
        __atomic_store_n(word, MR__WAKE_FUTEX, __ATOMIC_SEQ_CST);
        int64_t cap = SLICE_NS;
        if (w->light && mr__sys_membarrier(MEMBARRIER_CMD_GLOBAL_EXPEDITED, 0) < 0)
            cap = SHORT_SLICE_NS;
        int rc = w->ready(w->ctx);
        if (rc != 0) {
            __atomic_store_n(word, 0, __ATOMIC_RELAXED);
            return done(rc);
        }
        int64_t now = mr__now_ns();
        if (now >= deadline) {
            __atomic_store_n(word, 0, __ATOMIC_RELAXED);
            return -ETIMEDOUT;
        }
        struct timespec rel = mr__timespec_ns(deadline - now < cap ? deadline - now : cap);
        (*w->sleeps)++;
        int frc = mr__sys_futex_wait(fw, expect, &rel);
        __atomic_store_n(word, 0, __ATOMIC_RELAXED);
        if (frc != 0 && frc != -ETIMEDOUT && frc != -EAGAIN && frc != -EINTR)
            return frc;
        if ((now = mr__now_ns()) >= check_at || frc == -ETIMEDOUT) {
            check_at = now + SLICE_NS;
            if (w->check)
                w->check(w->ctx);
        }
        /* Most likely woken by progress: look before announcing again,
         * which would cost another membarrier. */
        if ((rc = w->ready(w->ctx)) != 0)
            return done(rc);
    }
}

int mr__wait(const struct mr__waiter *w, int64_t deadline)
{
    int rc;
    (*w->waits)++;
    uint32_t spin = *w->spin_ns;
    if (spin == 0 && *w->waits % PROBE_EVERY == 0)
        spin = PROBE_NS;
    if (spin > 0) {
        int64_t spin_end = mr__now_ns() + spin;
        /* The clock every 64 turns: a vDSO call costs about 64 pauses. */
        for (unsigned i = 1;; i++) {
            mr__cpu_relax();
            rc = w->ready(w->ctx);
            if (rc != 0) {
                if (rc > 0)
                    *w->spin_ns = spin * 2 + SPIN_STEP_NS < MR__WAKE_SPIN_MAX_NS ? spin * 2 + SPIN_STEP_NS : MR__WAKE_SPIN_MAX_NS;
                return done(rc);
            }
            if ((i & 63) == 0) {
                int64_t now = mr__now_ns();
                if (now >= spin_end || now >= deadline)
                    break;
            }
        }
        /* A failed probe leaves the budget at zero. */
        *w->spin_ns = *w->spin_ns / 2 >= SPIN_STEP_NS ? *w->spin_ns / 2 : 0;
    }
    /* A peer runnable on this CPU runs at once when we yield, and fills or
     * drains the ring before it yields back: one system call, no wake-up.
     * Its turn may last a time slice: not past the deadline. */
    for (unsigned i = 0; i < YIELDS && mr__now_ns() < deadline; i++) {
        mr__sys_sched_yield();
        if ((rc = w->ready(w->ctx)) != 0)
            return done(rc);
    }
    return wait_asleep(w, deadline);
}
