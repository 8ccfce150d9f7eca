/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Types shared by cgwarden.bpf.c and the userspace agent.  Fixed-width types
 * only; every struct's size is pinned with a static assertion so that a change
 * on one side cannot silently desynchronise the other.
 */
#ifndef CGWARDEN_H
#define CGWARDEN_H

#ifdef __bpf__
/* vmlinux.h provides __u8.. __u64 */
#else
#include <linux/types.h>
#endif

/* Slot 0 is the idle pseudo-cgroup; watched cgroups use 1..CGW_MAX_SLOTS-1. */
#define CGW_MAX_SLOTS 4096
#define CGW_IDLE_SLOT 0
/* Watched ancestors (including itself) one task can be credited to. */
#define CGW_MAX_NEST 4
/* Deepest cgroup level the kernel side walks up from. */
#define CGW_MAX_DEPTH 32
#define CGW_MAX_CPUS 1024

#define CGW_WINDOW_MIN_NS 1000000ULL /* 1 ms */
#define CGW_WINDOW_MAX_NS 1000000000ULL /* 1 s */
#define CGW_PPM 1000000U

enum cgw_kind {
	CGW_KIND_MIN = 0, /* min_share */
	CGW_KIND_MAX = 1, /* max_share */
	CGW_NR_KINDS = 2,
};

enum cgw_ev_type {
	CGW_EV_BREACH = 1, /* breach entered */
	CGW_EV_PERSIST = 2, /* breach still holds, sent at most once a cooldown */
	CGW_EV_CLEAR = 3, /* breach cleared */
	CGW_EV_WINDOW = 4, /* every window of every slot, with --trace-windows */
};

/* Ring buffer record: only on breach edges and, while a breach persists,
 * once per cooldown.  Never per context switch. */
struct cgw_event {
	__u64 cgid; /* cgroup id (kernfs id) in the cpu hierarchy */
	__u64 t_event_ns; /* bpf_ktime_get_ns() when the breach was seen */
	__u64 window_ns; /* length of the window that was evaluated */
	__u64 run_ns; /* CPU time of the cgroup in that window */
	__u64 wait_ns; /* run-queue wait of its tasks in that window */
	__u32 slot;
	__u32 share_ppm; /* run_ns / (window_ns * online CPUs), ppm */
	__u32 limit_ppm; /* the constraint that was compared */
	__u8 kind; /* enum cgw_kind */
	__u8 type; /* enum cgw_ev_type */
	__u16 nr_cpus; /* online CPUs used as the denominator */
};
_Static_assert(sizeof(struct cgw_event) == 56, "struct cgw_event layout");

/* Cumulative counters of one slot on one CPU: the acct map holds one per
 * (CPU, slot), at cpu * CGW_MAX_SLOTS + slot, so each CPU's counters sit in
 * a region of their own.  Written only by that CPU's sched_switch, with
 * plain adds, under its cgw_cpu.seq; summed over CPUs when a window closes
 * (and by the agent).  A wait begun on one CPU and ended on another leaves
 * +1/-1 in the two CPUs' nr_queued: only the sum over CPUs (mod 2^64) means
 * anything. */
struct cgw_acct {
	__u64 run_ns; /* CPU time charged here */
	__u64 wait_ns; /* completed run-queue wait charged here */
	__u64 nr_queued; /* waits begun here less waits ended here */
	__u64 queued_ts_sum; /* their start stamps, begun less ended */
};
_Static_assert(sizeof(struct cgw_acct) == 32, "struct cgw_acct layout");

/* Entries per CPU of the task_group -> slots cache (a power of two). */
#define CGW_TGC_WAYS 64

/* Per-slot constraint and window state.  Written by userspace before a slot
 * is published in the watch map; afterwards only the window timer writes
 * the state part. */
struct cgw_slot {
	/* configuration (userspace) */
	__u64 cgid;
	__u32 min_ppm; /* 0: no minimum */
	__u32 max_ppm; /* 0: no maximum */
	__u32 active; /* 1 once the slot may be evaluated */
	__u32 pad0;
	/* window state (timer) */
	__u64 prev_run_ns;
	__u64 prev_wait_ns;
	__u64 last_emit_ns[CGW_NR_KINDS];
	__u32 breached[CGW_NR_KINDS];
	__u32 ok_windows[CGW_NR_KINDS];
	/* last closed window, readable by the agent for its policy */
	__u64 last_run_ns;
	__u64 last_wait_ns;
	__u64 last_window_ns;
	__u32 last_share_ppm;
	__u32 demand_ppm; /* EWMA (1/2) of (run + wait) share: sustained demand */
	__u32 clear_windows_max; /* configuration: windows to clear a max */
	__u32 share_avg_ppm; /* EWMA (1/4) of the share: what policy uses */
	__u64 pad2[2];
};
_Static_assert(sizeof(struct cgw_slot) == 128, "struct cgw_slot layout");

/* Per-CPU state, one cache line, indexed by CPU number.  Written only by
 * its own CPU in sched_switch; the window timer and the agent read it, and
 * that CPU's acct counters, under `seq` (odd while they change). */
struct cgw_cpu {
	__u64 last; /* rq->clock at the last switch that brought in a watched
		     * or idle task: the start of the time in progress */
	__u32 seq; /* odd while this CPU's state or counters change */
	__u32 nslots; /* watched slots of the running task */
	__u32 slot[CGW_MAX_NEST];
	__u64 cur; /* task switched in by the last reported switch */
	__u64 rq; /* this CPU's struct rq, to read rq->curr remotely */
	__u64 off; /* CLOCK_MONOTONIC - rq->clock, refreshed now and then */
	__u64 pad;
};
_Static_assert(sizeof(struct cgw_cpu) == 64, "struct cgw_cpu layout");

/* Global counters, reported on exit and with -v. */
struct cgw_stats {
	__u64 events_sent;
	__u64 events_dropped; /* ring buffer full */
	__u64 windows; /* windows evaluated */
	__u64 timer_late; /* windows that closed more than 1 window late */
	__u64 nest_overflow; /* tasks with more watched ancestors than fit */
	__u64 stale_cpu; /* time in progress skipped: CPU runs an unreported task */
	__u64 wait_rejected; /* impossible in-progress waits not counted */
	__u64 pad;
};
_Static_assert(sizeof(struct cgw_stats) == 64, "struct cgw_stats layout");

#endif /* CGWARDEN_H */
