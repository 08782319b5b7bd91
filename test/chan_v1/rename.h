/* SPDX-License-Identifier: MIT */
/* test/chan_v1/rename.h: force-included (-include) into every file of the
 * frozen channel (test/chan_v1/, main's commit a53502b), so that what those
 * files define links beside today's channel in one test program: every
 * name they give a global symbol or a type gets the prefix v1_. What they
 * call from the rest of the library (mr_shm_*, mr_sock_*, mr_region_*,
 * mr__now_ns, mr__deadline, mr__sys_close, mr__sys_mmap, ...) keeps its
 * name and links to today's library. */
#ifndef MEMREGION_TEST_CHAN_V1_RENAME_H
#define MEMREGION_TEST_CHAN_V1_RENAME_H

/* include/memregion/chan.h: the struct tags (a later change of today's
 * struct mr_chan cannot reach the copy), the enum and every call. */
#define mr_chan v1_mr_chan
#define mr_chan_role v1_mr_chan_role
#define mr_chan_stats v1_mr_chan_stats
#define mr_chan_create v1_mr_chan_create
#define mr_chan_create_named v1_mr_chan_create_named
#define mr_chan_attach_fd v1_mr_chan_attach_fd
#define mr_chan_attach_named v1_mr_chan_attach_named
#define mr_chan_share v1_mr_chan_share
#define mr_chan_attach_sock v1_mr_chan_attach_sock
#define mr_chan_watch_pid v1_mr_chan_watch_pid
#define mr_chan_close v1_mr_chan_close
#define mr_chan_reserve v1_mr_chan_reserve
#define mr_chan_commit v1_mr_chan_commit
#define mr_chan_send v1_mr_chan_send
#define mr_chan_try_reserve v1_mr_chan_try_reserve
#define mr_chan_try_send v1_mr_chan_try_send
#define mr_chan_peek v1_mr_chan_peek
#define mr_chan_release v1_mr_chan_release
#define mr_chan_recv v1_mr_chan_recv
#define mr_chan_try_peek v1_mr_chan_try_peek
#define mr_chan_try_recv v1_mr_chan_try_recv
#define mr_chan_check_peer v1_mr_chan_check_peer
#define mr_chan_capacity v1_mr_chan_capacity
#define mr_chan_max_msg v1_mr_chan_max_msg
#define mr_chan_fd v1_mr_chan_fd

/* src/chan_internal.h and the core's sources: what they define, static
 * inline functions included (today's headers may come to declare one of
 * those names). */
#define mr__ring v1_mr__ring
#define mr__ring_map v1_mr__ring_map
#define mr__ring_unmap v1_mr__ring_unmap
#define mr__wake v1_mr__wake
#define mr__wake_check v1_mr__wake_check
#define mr__waiter v1_mr__waiter
#define mr__wait v1_mr__wait
#define mr__wake_join v1_mr__wake_join
#define mr__chan_no_membarrier v1_mr__chan_no_membarrier
#define mr__sys_futex_wait v1_mr__sys_futex_wait
#define mr__sys_futex_wake v1_mr__sys_futex_wake
#define mr__sys_membarrier v1_mr__sys_membarrier
#define mr__sys_sched_yield v1_mr__sys_sched_yield
#define mr__sock_stream_unix v1_mr__sock_stream_unix
#define mr__watch_pid v1_mr__watch_pid
#define mr__watch_sock v1_mr__watch_sock
#define mr__watch_replace v1_mr__watch_replace
#define mr__watch_gone v1_mr__watch_gone
#define mr__sys_pidfd_open v1_mr__sys_pidfd_open
#define mr__handover_send v1_mr__handover_send
#define mr__handover_recv v1_mr__handover_recv

#endif
