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

/* Snapshots kept per slot for the sliding estimate (a power of two); the
 * estimate spans at most CGW_RING - 1 windows. */
#define CGW_RING 16
#define CGW_SPAN_MAX_WINDOWS (CGW_RING - 1)

#define CGW_WINDOW_MIN_NS 1000000ULL /* 1 ms */
#define CGW_WINDOW_MAX_NS 1000000000ULL /* 1 s */
#define CGW_PPM 1000000U

enum cgw_kind {
	CGW_KIND_MIN = 0, /* min_share */
	CGW_KIND_MAX = 1, /* max_share */
	CGW_KIND_WAIT = 2, /* max_wait: a percentile of run-queue waits */
	CGW_NR_KINDS = 3,
};

enum cgw_ev_type {
	CGW_EV_BREACH = 1, /* breach entered */
	CGW_EV_PERSIST = 2, /* breach still holds, sent at most once a cooldown */
	CGW_EV_CLEAR = 3, /* breach cleared */
	CGW_EV_WINDOW = 4, /* every window of every slot, with --trace-windows */
	CGW_EV_SURPLUS = 5, /* min: share above surplus_ppm, or demand gone */
	CGW_EV_SURPLUS_END = 6, /* ... no longer */
	CGW_EV_ACTIVE = 7, /* a competitor (notify slot) started using CPU */
	CGW_EV_IDLE = 8, /* ... and stopped */
};

/* Ring buffer record: only on edges (breach, clear, surplus, activity)
 * and, while a breach persists, once per cooldown.  Never per context
 * switch.  Figures are those of the sliding estimate that was judged.
 * A CGW_KIND_WAIT record carries waits, not shares: demand_ppm is the
 * number of waits in the span, share_ppm how many of them were above the
 * limit, limit_ppm the limit in us (the agent takes the percentiles from
 * the span's histogram in the lrings map). */
struct cgw_event {
	__u64 cgid; /* cgroup id (kernfs id) in the cpu hierarchy */
	__u64 t_event_ns; /* bpf_ktime_get_ns() when the edge was seen */
	__u64 window_ns; /* span of the sliding estimate */
	__u64 run_ns; /* CPU time of the cgroup over that span */
	__u64 wait_ns; /* run-queue wait of its tasks over that span */
	__u32 slot;
	__u32 share_ppm; /* run_ns / (window_ns * online CPUs), ppm */
	__u32 limit_ppm; /* the constraint that was compared */
	__u8 kind; /* enum cgw_kind */
	__u8 type; /* enum cgw_ev_type */
	__u16 nr_cpus; /* online CPUs used as the denominator */
	__u32 win_share_ppm; /* the last window alone */
	__u32 demand_ppm; /* (run + wait) share over the span */
};
_Static_assert(sizeof(struct cgw_event) == 64, "struct cgw_event layout");

/*
 * Run-queue wait histogram: log2 buckets of whole microseconds, runqlat's
 * (bucket 0: 0-1 us, bucket b >= 1: [2^b, 2^(b+1)) us), so that the two
 * can be compared bucket by bucket; the last bucket also holds every
 * longer wait (>= 2^23 us, 8.4 s).  Plain C shared by the BPF program, the
 * agent and the unit tests.
 */
#define CGW_HIST_BUCKETS 24

static inline __u32 cgw_wait_bucket(__u64 ns)
{
	__u64 us = ns / 1000;
	__u32 b = 0;

	if (us >= 1ULL << 16) {
		us >>= 16;
		b += 16;
	}
	if (us >= 1ULL << 8) {
		us >>= 8;
		b += 8;
	}
	if (us >= 1ULL << 4) {
		us >>= 4;
		b += 4;
	}
	if (us >= 1ULL << 2) {
		us >>= 2;
		b += 2;
	}
	if (us >= 1ULL << 1)
		b += 1;
	return b < CGW_HIST_BUCKETS - 1 ? b : CGW_HIST_BUCKETS - 1;
}

/* Lowest wait in us bucket @b holds, and the lowest of the next. */
static inline __u64 cgw_bucket_lo_us(__u32 b)
{
	return b ? 1ULL << b : 0;
}

static inline __u64 cgw_bucket_hi_us(__u32 b)
{
	return 2ULL << b;
}

/* Slots with a wait promise (max_wait): each keeps the histogram
 * snapshots behind its span in an entry of its own. */
#define CGW_MAX_LAT 256

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
	/* completed waits ended here, by bucket (cgw_wait_bucket);
	 * cumulative, mod 2^32: only differences mean anything */
	__u32 hist[CGW_HIST_BUCKETS];
};
_Static_assert(sizeof(struct cgw_acct) == 128, "struct cgw_acct layout");

/* Entries per CPU of the task_group -> slots cache (a power of two). */
#define CGW_TGC_WAYS 64

/*
 * Per-slot constraint and window state, in an mmap'ed array.  The
 * configuration part is written by userspace: all of it before the slot is
 * published in the watch map, afterwards only the single aligned words
 * surplus_ppm and notify.  The window clock (one writer) owns the rest and
 * publishes the estimate under `seq` (odd while it rewrites it), so the
 * agent never reads half a window.
 */
struct cgw_slot {
	/* configuration (userspace) */
	__u64 cgid;
	__u32 min_ppm; /* 0: no minimum */
	__u32 max_ppm; /* 0: no maximum */
	__u32 active; /* 1 once the slot may be evaluated, 2 once it was */
	__u32 clear_windows_max; /* windows to clear a max breach */
	__u32 surplus_ppm; /* min: report SURPLUS above this, 0: never */
	__u32 notify; /* report ACTIVE/IDLE edges of this slot */
	/* max_wait (config too): judged when wait_lat != 0 */
	__u32 wait_lat; /* 1 + its entry in the lrings map, 0: no promise */
	__u32 wait_limit_us; /* the limit, for the records */
	__u32 wait_pmil; /* the percentile judged, per mille (990: p99) */
	__u32 wait_min; /* waits a span needs to be judged */
	/* window state (window clock only) */
	__u64 last_emit_ns[CGW_NR_KINDS];
	__u32 breached[CGW_NR_KINDS];
	__u32 ok_windows[CGW_NR_KINDS];
	__u32 surplus; /* SURPLUS sent, SURPLUS_END not yet */
	__u32 busy; /* ACTIVE sent, IDLE not yet */
	/* published estimate, under seq */
	__u32 seq;
	__u32 nwin; /* windows in the estimate (span_windows once full) */
	__u64 span_ns; /* length of the estimate */
	__u64 span_run_ns; /* CPU time over it */
	__u64 span_wait_ns; /* run-queue wait over it */
	__u32 share_ppm; /* span_run_ns as a share of the machine */
	__u32 demand_ppm; /* (run + wait) share over the span, <= 1e6 */
	__u32 long_share_ppm; /* running mean, then EWMA (1/256 per window),
			       * of the share: what a set gets over seconds */
	__u32 slow_share_ppm; /* running mean, then EWMA (1/32 per window),
			       * of the share */
	__u64 last_window_ns; /* length of the last window */
	/* the span's waits (wait_lat slots only), under seq */
	__u32 wait_count; /* completed waits */
	__u32 wait_over; /* of which above the limit (cgw_lring.wgt) */
	__u32 pad[6];
};
_Static_assert(sizeof(struct cgw_slot) == 192, "struct cgw_slot layout");

/* The cumulative wait histogram of a wait_lat slot at each of the ring's
 * snapshots, parallel to cgw_ring (timer only). */
struct cgw_lring {
	__u32 h[CGW_RING][CGW_HIST_BUCKETS];
	/* the agent's: how much of a wait in each bucket counts as above
	 * the limit, in 1/1024ths (1024 above the limit's bucket, the part
	 * of that bucket above it, 0 below): the window clock's count of
	 * waits above the limit is a sum of products, without a branch */
	__u32 wgt[CGW_HIST_BUCKETS];
	/* the window clock's */
	__u32 span[CGW_HIST_BUCKETS]; /* the last span's histogram */
	__u32 n; /* snapshots taken, saturating at CGW_RING */
	__u32 pad;
};

/* The last snapshots of a slot's cumulative counters, one per window. */
struct cgw_ring {
	__u64 t[CGW_RING];
	__u64 run[CGW_RING];
	__u64 wait[CGW_RING];
	__u32 head; /* next entry to write */
	__u32 n; /* entries written, saturating at CGW_RING */
	__u32 age; /* estimates in slow_share_ppm, saturating at 32 */
	__u32 mid_ppm; /* running mean, then EWMA (1/8 per window), of the
			* span's share: the guard of a minimum's breach */
	__u32 long_age; /* estimates in long_share_ppm, saturating at 256 */
	__u32 pad0;
	__u64 pad[5];
};
_Static_assert(sizeof(struct cgw_ring) == 448, "struct cgw_ring layout");

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
	__u64 moved_in; /* tasks first charged after a move while running */
};
_Static_assert(sizeof(struct cgw_stats) == 64, "struct cgw_stats layout");

#endif /* CGWARDEN_H */
