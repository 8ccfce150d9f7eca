// SPDX-License-Identifier: GPL-2.0
/*
 * cgwarden: per-cgroup CPU accounting and in-kernel share constraints.
 *
 * What it does
 * ------------
 * Every CPU's time is charged to the cpu-controller cgroup of the task that
 * used it: tp_btf/sched_switch charges the outgoing task.  The cgroup is
 * the one whose scheduling entity the task runs in, task->sched_task_group,
 * so the same code serves the cgroup v2 cpu controller and the v1 cpu
 * hierarchy.  Only *watched* cgroups are charged, and a task's time is
 * credited to every watched ancestor too (a task in web/worker3 counts for
 * web).  Idle time goes to slot 0.  The same switch also charges run-queue
 * wait, from the kernel's own per-task figure: sched_switch is the only
 * hook (no wakeup programs).
 *
 * A window clock (default every 10 ms) closes windows: a bpf_timer, or on
 * PREEMPT_RT kernels, which refuse bpf_timer, a perf cpu-clock event.  Each
 * window pushes every watched cgroup's cumulative run time and wait into a
 * small ring, and the constraints are judged on the sliding estimate the
 * ring gives over a span of windows (default 100 ms): a ring-buffer record
 * goes out only on an edge (breach, clear, surplus, a competitor starting
 * or stopping) or, while a breach persists, once per cooldown.  Nothing is
 * sent per context switch, and nothing at all while nothing changes.
 *
 * Why a span, not a window
 * ------------------------
 * At HZ=250 a 10 ms window holds 2.5 ticks per CPU, and CFS spreads a
 * group's weight over CPUs by PELT load (32 ms half-life): a cgroup whose
 * long-run share is 55 % is below 50 % in a quarter of its 10 ms windows.
 * One window is noise, not a measurement.  The ring keeps the last
 * CGW_RING cumulative snapshots per slot; the estimate over span_windows
 * is a difference of two snapshots, O(1) per slot per window, judged only
 * once the ring spans it.  A collapse still shows within a few windows:
 * the mean moves by drop / span_windows per window.  A slower average
 * (slow_share_ppm, 32 windows) and a long one (long_share_ppm, 256) are
 * published for the agent's model of what a set of siblings gets, so one
 * burst of outside load does not move a setpoint.  The agent reads
 * estimates from the mmap'ed slots map under a per-slot sequence count,
 * never half a window.
 *
 * Edges beyond breach/clear keep the agent asleep at rest: SURPLUS tells
 * it a minimum it raised has room to give back (above surplus_ppm, set by
 * the agent only while it holds a raised value) or that the demand is
 * gone; ACTIVE/IDLE tell it a competitor of a protected cgroup started or
 * stopped wanting CPU (by run + wait, so a starved competitor still
 * competes), which moves the protected cgroup's setpoint at once.
 *
 * Why it is shaped this way
 * -------------------------
 * - The switch costs next to nothing for tasks in no watched cgroup.  Each
 *   CPU keeps a small direct-mapped cache from task_group to its watched
 *   ancestors ("slots"), tagged with a generation number the agent bumps
 *   when the watch set changes: one array lookup per task.  When neither
 *   the outgoing nor the incoming task is watched (nor idle) and the CPU
 *   was charging nobody, the program stops there, without reading the
 *   clock.  The walk up the task_group tree (one hash lookup per level up
 *   to the root: the kernel's cgroup levels are not the agent's when its
 *   cgroup root is nested or namespaced) happens only on a cache miss, so the cost
 *   is flat in the number of cgroups.  Task local storage is created only
 *   for tasks in watched cgroups, which need a per-task memory (below).
 * - No atomics, no shared cache lines.  Counters are per CPU (acct holds
 *   one cgw_acct per CPU and slot, each CPU in a region of its own) and
 *   written with plain adds by their own CPU's sched_switch, inside a
 *   sequence count in that CPU's cgw_cpu.  The window timer only reads:
 *   slot_totals() sums a slot over CPUs under each CPU's sequence count,
 *   O(CPUs x watched) per window, and adds the time in progress on every
 *   CPU whose running task counts for the slot (now - cpu->last).  A torn
 *   read is retried; one that keeps tearing only shifts time between
 *   adjacent windows, never loses it (counters are cumulative).
 * - Exact figures: a task leaving a CPU is charged the growth of its own
 *   se.sum_exec_runtime since it was last charged, the number cpuacct and
 *   the task CPU clocks report (IRQ and steal time excluded where the
 *   kernel excludes them).  Wall time is used only for idle and for time
 *   still in progress.  Because the figure is per task, not per CPU, a
 *   context switch that never reached the tracepoint (measured: ~4% of
 *   switches on a 6.18 guest) misplaces at most a window's in-progress
 *   time, never a task's run time.
 * - Latency promises (max_wait): each wait that ends at a switch-in is also
 *   one count in a per-CPU, per-slot log2 histogram (us buckets, runqlat's)
 *   beside the time counters: one increment per watched slot.  Slots with
 *   a max_wait keep the histogram's snapshots beside their share ring, and
 *   the window clock judges the span without a branch per bucket: waits
 *   above the limit = sum over buckets of count x a weight the agent set
 *   (1 above the limit's bucket, the part above the limit in it, 0 below).
 *   A percentile walk in BPF took the verifier past 1M instructions; the
 *   agent takes percentiles from the span's histogram on an edge.
 * - Run-queue wait, the demand signal of a minimum (breached when the
 *   share over the span < min, the cgroup waited, and its run + wait
 *   share over the span reaches min), comes
 *   from the scheduler's own per-task wait, sched_info.run_delay
 *   (CONFIG_SCHED_INFO, on in distribution kernels).  When a watched task
 *   is switched in, this switch charges the growth of run_delay since the
 *   task was last charged, plus the wait the kernel is about to add to it
 *   (rq->clock - sched_info.last_queued: the tracepoint fires just before
 *   sched_info_arrive()).  That covers waits after a wakeup, after a
 *   preemption, and the parts of a wait spent on another CPU's queue
 *   before a migration, without any wakeup hook.
 * - Waits in progress, so that a cgroup starved for a whole window is seen
 *   in that window: a watched task switched out still runnable (preempted
 *   or yielding) is counted as queued in its CPU's per-slot nr_queued and
 *   the sum of its stamps; the switch that brings it back in takes it out
 *   (on whichever CPU that is).  At window close, in-progress wait =
 *   nr_queued * now - sum of stamps, over all CPUs.
 * - Without CONFIG_SCHED_INFO (checked with CO-RE: task_struct then has no
 *   sched_info), completed waits are those same stamps ended at switch-in:
 *   waits after a preemption are counted, waits after a wakeup are not, so
 *   a minimum is only judged on CPU-bound demand there.
 * - Unreported switches: on some kernels the tracepoint misses context
 *   switches (measured on a 6.18 guest: every switch-out of one process's
 *   threads).  Run time stays exact (per-task figures).  The window timer
 *   compares a CPU's recorded task with rq->curr, read through the rq
 *   pointer the CPU cached (no ksym: kernels without KALLSYMS_ALL cannot
 *   resolve data ksyms), and counts no time in progress there rather than
 *   credit it to the wrong cgroup; the task's next switch-out charges it.
 *
 * Trade-offs
 * ----------
 * - A window close costs O(CPUs x watched): at 1,000 watched cgroups it
 *   reads 1,000 counters per CPU per window (docs/performance.md gives the
 *   figures).  Atomic counters shared by all CPUs would make it O(CPUs +
 *   watched), paid instead on every switch and with bouncing cache lines.
 * - The acct map is CPUs x CGW_MAX_SLOTS x 32 bytes (128 KiB per CPU).
 * - A wait begun by a wakeup is seen only when the task is switched in: a
 *   woken task that waits a whole window without running shows up in the
 *   window its wait ends, not before.  (CPU-bound demand is preempted, not
 *   woken, so it is seen in progress.)
 * - A task moved to another cgroup while it runs is seen there late: until
 *   it next switches out, its time in progress counts for the cgroups its
 *   CPU recorded at switch-in (none, if it came in unwatched).  The
 *   switch-out then charges its run to the new cgroup: since it was last
 *   charged, or, seen for the first time, since the move (its
 *   se.prev_sum_exec_runtime, which sched_move_task() resets).  Never the
 *   wall time since this CPU last charged anybody.
 * - The task_group cache is tagged by address: a task_group freed and
 *   reallocated at the same address, under a different watched ancestor,
 *   without any change of the watch set, is charged as the old one until
 *   the watch set next changes.
 * - Waits of tasks that were already queued when the agent attached are
 *   not seen; they are tracked from their first switch-in on.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "cgwarden.h"

#ifndef __TARGET_ARCH_x86
#error "cgwarden's lock-free CPU state needs x86-64 ordering; port the barriers first"
#endif

char LICENSE[] SEC("license") = "GPL";

#define CLOCK_MONOTONIC 1
/*
 * Every loop here is unrolled (#pragma unroll): the 6.1 verifier rejects a
 * back-edge that is the fall-through of a call ("back-edge from insn X to
 * X+1", seen on Debian's 6.1 with a lookup inside a loop), and the bounds
 * are tiny (CGW_MAX_NEST, a few retries).  Longer walks use bpf_loop.
 */
#define barrier() asm volatile("" ::: "memory")
#define READ_ONCE_U32(x) (*(volatile __u32 *)&(x))

/* Set by the agent before load. */
const volatile __u64 window_ns = 10000000;
const volatile __u64 cooldown_ns = 50000000;
const volatile __u32 clear_windows = 2;
const volatile __u32 hyst_ppm = 10000;
const volatile __u32 nr_cpu_ids = 1;
const volatile bool trace_windows; /* diagnostics: a record per window */
const volatile __u32 span_windows = 10; /* windows in the sliding estimate */
const volatile __u32 active_ppm = 5000; /* a competitor is busy above this */
const volatile __u32 guard_ppm = 50000; /* min breaches need mid < min + this */

/* Written by the agent at run time through the mmap'ed .bss (all zero
 * until it sets them before attaching). */
__u32 nr_online; /* denominator of a share */
__u32 nr_slots; /* highest slot in use + 1 */
__u32 watch_gen; /* bumped after each change of the watch map */

struct cgw_stats stats;
__u64 timer_armed;
__u64 last_eval_ns;
__u64 first_eval_ns; /* no tracked wait can start before this */

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, CGW_MAX_SLOTS);
	__type(key, __u64); /* cgroup id */
	__type(value, __u32); /* slot */
} watch SEC(".maps");

/* acct[cpu * CGW_MAX_SLOTS + slot]; sized by the agent (CPUs x slots). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, CGW_MAX_SLOTS);
	__type(key, __u32);
	__type(value, struct cgw_acct);
} acct SEC(".maps");

/* mmap'ed read-only by the agent: its policy reads the last window of
 * every sibling without a syscall. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, CGW_MAX_SLOTS);
	__type(key, __u32);
	__type(value, struct cgw_slot);
} slots SEC(".maps");

/* Per wait-promised slot (cgw_slot.wait_lat - 1): the histogram
 * snapshots behind its span (timer only). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, CGW_MAX_LAT);
	__type(key, __u32);
	__type(value, struct cgw_lring);
} lrings SEC(".maps");

/* Per slot: the snapshots behind its sliding estimate (timer only). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, CGW_MAX_SLOTS);
	__type(key, __u32);
	__type(value, struct cgw_ring);
} rings SEC(".maps");

/* One per possible CPU, one cache line each; see cgw_cpu in cgwarden.h. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, CGW_MAX_CPUS);
	__type(key, __u32);
	__type(value, struct cgw_cpu);
} cpus SEC(".maps");

/* Per CPU, a direct-mapped cache task_group -> watched slots, at
 * tgc[cpu * CGW_TGC_WAYS + hash(tg)]; sized by the agent.  Only its own
 * CPU touches it. */
struct cgw_tgc {
	__u64 tg; /* task_group the slots were resolved for */
	__u32 gen; /* watch_gen at resolution */
	__u32 nslots;
	__u32 slot[CGW_MAX_NEST];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, CGW_TGC_WAYS);
	__type(key, __u32);
	__type(value, struct cgw_tgc);
} tgc SEC(".maps");

/* Per watched task: what it was last charged, and its wait in progress.
 * Only touched at the task's own switches, which never overlap. */
struct cgw_task {
	__u64 rt_charged; /* se.sum_exec_runtime when last charged, 0: never */
	__u64 rd_charged; /* run_delay (+ the wait ending) when last charged */
	__u64 queued_ts; /* switched out runnable at this time, else 0 */
	__u32 nq; /* slots that count the wait in progress */
	__u32 qslot[CGW_MAX_NEST];
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct cgw_task);
} tasks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

struct timer_elem {
	struct bpf_timer t;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct timer_elem);
} window_timer SEC(".maps");

/* task_struct::state was renamed __state in 5.14 (2f064a59a11f). */
struct task_struct___pre514 {
	long state;
} __attribute__((preserve_access_index));

static __always_inline unsigned int task_state(struct task_struct *t)
{
	if (bpf_core_field_exists(t->__state))
		return t->__state;
	return BPF_CORE_READ((struct task_struct___pre514 *)t, state);
}

struct walk {
	struct task_group *tg;
	__u32 n;
	__u32 out[CGW_MAX_NEST];
};

/* One level of the walk up the task_group tree (a bpf_loop body, so the
 * verifier sees it once instead of CGW_MAX_DEPTH unrolled copies). */
static int walk_step(__u32 i, void *arg)
{
	struct walk *w = arg;
	struct task_group *tg = w->tg; /* a local: CO-RE relocates only it */
	struct cgroup *cg;
	__u32 *slot;
	__u64 id;

	if (!tg)
		return 1;
	/*
	 * Every level up to the root is looked up: comparing levels with
	 * the agent's idea of them breaks as soon as the agent's cgroup root
	 * is not the kernel's (a nested --cgroup-root, a cgroup namespace),
	 * and this walk only runs on a cache miss.  Autogroups have no
	 * cgroup: their parent is the root.
	 */
	cg = BPF_CORE_READ(tg, css.cgroup);
	if (cg) {
		id = BPF_CORE_READ(cg, kn, id);
		slot = bpf_map_lookup_elem(&watch, &id);
		if (slot && w->n < CGW_MAX_NEST)
			w->out[w->n++ & (CGW_MAX_NEST - 1)] = *slot;
		else if (slot)
			__sync_fetch_and_add(&stats.nest_overflow, 1);
	}
	w->tg = BPF_CORE_READ(tg, parent);
	return 0;
}

/*
 * Collects the watched cgroups among @tg and its ancestors.  Runs only on a
 * cache miss, so probe reads (valid from any context) are fine here.
 */
static __noinline __u32 resolve(struct task_group *tg, __u32 *out)
{
	struct walk w = { .tg = tg };

	bpf_loop(CGW_MAX_DEPTH, walk_step, &w, 0);
	#pragma unroll
	for (int i = 0; i < CGW_MAX_NEST; i++)
		out[i] = w.out[i];
	return w.n;
}

/* Watched slots of @p's task_group, from this CPU's cache, into @out. */
static __always_inline __u32 task_slots(__u32 cpu, struct task_struct *p,
					__u32 *out)
{
	__u64 tg = (__u64)p->sched_task_group;
	__u32 gen = watch_gen;
	__u32 k = cpu * CGW_TGC_WAYS +
		  (((tg >> 9) ^ (tg >> 17)) & (CGW_TGC_WAYS - 1));
	struct cgw_tgc *e = bpf_map_lookup_elem(&tgc, &k);

	if (!e)
		return 0;
	if (e->tg != tg || e->gen != gen) {
		e->nslots = resolve((struct task_group *)tg, e->slot);
		e->tg = tg;
		e->gen = gen;
	}
	#pragma unroll
	for (int i = 0; i < CGW_MAX_NEST; i++)
		out[i] = e->slot[i];
	return e->nslots;
}

static __always_inline struct cgw_acct *acct_of(__u32 cpu, __u32 slot)
{
	__u32 k = cpu * CGW_MAX_SLOTS + slot;

	return bpf_map_lookup_elem(&acct, &k);
}

/* The counters of @cpu (the current one) for the @n slots in @slot: adds
 * @run, @wait and @dq waits begun (+1) or ended (-1) with stamp @ts. */
static __always_inline void add(__u32 cpu, const __u32 *slot, __u32 n,
				__u64 run, __u64 wait, __s64 dq, __u64 ts)
{
	#pragma unroll
	for (__u32 i = 0; i < CGW_MAX_NEST; i++) {
		struct cgw_acct *a = i < n ? acct_of(cpu, slot[i]) : NULL;

		if (a) {
			a->run_ns += run;
			a->wait_ns += wait;
			a->nr_queued += dq;
			a->queued_ts_sum += dq * ts;
		}
	}
}

/* One completed run-queue wait of @wait ns for the @n slots in @slot:
 * its time, and one count in its histogram bucket, on this CPU. */
static __always_inline void add_wait(__u32 cpu, const __u32 *slot, __u32 n,
				     __u64 wait)
{
	__u32 b = cgw_wait_bucket(wait);

	#pragma unroll
	for (__u32 i = 0; i < CGW_MAX_NEST; i++) {
		struct cgw_acct *a = i < n ? acct_of(cpu, slot[i]) : NULL;

		if (a) {
			a->wait_ns += wait;
			if (b < CGW_HIST_BUCKETS)
				a->hist[b]++;
		}
	}
}

/* Ends @t's wait in progress on this CPU; returns its length. */
static __always_inline __u64 end_wait(__u32 cpu, struct cgw_task *t, __u64 now)
{
	__u64 q = t->queued_ts;

	if (!q)
		return 0;
	add(cpu, t->qslot, t->nq, 0, 0, -1, q);
	t->queued_ts = 0;
	return now > q ? now - q : 0;
}

/* @p, watched, leaves the CPU: its run time since last charged, and a
 * wait in progress if it stays runnable. */
static __always_inline void switch_out(__u32 cpu, struct cgw_cpu *c,
				       struct task_struct *p, bool runnable,
				       const __u32 *s, __u32 n, __u64 now)
{
	struct cgw_task *t;
	__u64 rt = p->se.sum_exec_runtime, ran;

	t = bpf_task_storage_get(&tasks, p, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!t)
		return;
	if (t->rt_charged) {
		ran = rt - t->rt_charged;
	} else if (c->cur != (__u64)p) {
		ran = 0; /* first sight, running since before attach */
	} else if (p->policy == 0 || p->policy == 3 || p->policy == 5) {
		/* first sight of a fair task this CPU switched in unwatched:
		 * it was moved into a watched cgroup while it ran.  Its run
		 * since it was last picked; sched_move_task() picks a
		 * running task again, so this is its run since the move. */
		ran = rt - p->se.prev_sum_exec_runtime;
		__sync_fetch_and_add(&stats.moved_in, 1);
	} else { /* not fair: prev_sum_exec_runtime is not kept */
		ran = c->last ? now - c->last : 0;
	}
	if ((__s64)ran < 0)
		ran = 0;
	t->rt_charged = rt ?: 1;
	/* switched in unreported, it still looks queued: end that wait (its
	 * length reaches the counters through run_delay) */
	end_wait(cpu, t, now);
	add(cpu, s, n, ran, 0, 0, 0);
	if (runnable) {
		t->nq = n;
		#pragma unroll
		for (int i = 0; i < CGW_MAX_NEST; i++)
			t->qslot[i] = s[i];
		t->queued_ts = now;
		add(cpu, s, n, 0, 0, 1, now);
	}
}

/* @p, watched, comes in: the run-queue wait it ends now, and every wait
 * the kernel added to its run_delay since it was last charged. */
static __always_inline void switch_in(__u32 cpu, struct task_struct *p,
				      const __u32 *s, __u32 n, __u64 now,
				      __u64 off)
{
	struct cgw_task *t;
	__u64 waited, rd, pend = 0;
	bool ends = false; /* a wait the kernel stamped ends now: pend */

	t = bpf_task_storage_get(&tasks, p, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!t)
		return;
	if (!t->rt_charged)
		t->rt_charged = p->se.sum_exec_runtime ?: 1;
	waited = end_wait(cpu, t, now);
	if (!bpf_core_field_exists(p->sched_info)) {
		if (waited)
			add_wait(cpu, s, n, waited);
		return;
	}
	rd = p->sched_info.run_delay;
	/* sched_info_arrive() has not run yet: add the wait it will add */
	if (p->sched_info.last_queued &&
	    bpf_core_field_exists(p->se.cfs_rq->rq)) {
		__u64 q = p->sched_info.last_queued;
		__u64 clk = p->se.cfs_rq->rq->clock;

		pend = clk > q ? clk - q : 0;
		rd += pend;
		ends = true;
	}
	/*
	 * The wait that ends now (pend) is one sample of the histogram; the
	 * time charged is the growth of run_delay, which also holds waits
	 * whose switch-in this program missed (their time counts, their
	 * sample is lost).
	 */
	if (t->rd_charged) {
		__u64 d = rd - t->rd_charged;

		if (ends)
			add_wait(cpu, s, n, pend);
		if (d > pend)
			add(cpu, s, n, 0, d - pend, 0, 0);
	} else if (pend && first_eval_ns && pend < now + off - first_eval_ns) {
		add_wait(cpu, s, n, pend); /* first sight: its wait now */
	}
	t->rd_charged = rd ?: 1;
}

/* --- window timer ------------------------------------------------------ */

struct eval_ctx {
	__u64 now;
	__u64 elapsed;
};

struct est {
	__u64 span, run, wait; /* the sliding estimate */
	__u32 share, demand, win_share, win_demand;
	bool full; /* spans span_windows windows: may be judged */
	/* wait_lat slots: the span's waits, and those above the limit */
	__u32 wcount, wover;
};

static __always_inline int emit(struct cgw_slot *st, __u32 slot, __u32 kind,
				__u32 type, __u64 now, const struct est *e)
{
	struct cgw_event *ev;

	ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);
	if (!ev) {
		__sync_fetch_and_add(&stats.events_dropped, 1);
		return -1;
	}
	ev->cgid = st->cgid;
	ev->t_event_ns = now;
	ev->window_ns = e->span;
	ev->run_ns = e->run;
	ev->wait_ns = e->wait;
	ev->slot = slot;
	ev->kind = kind;
	ev->type = type;
	ev->nr_cpus = nr_online;
	if (kind == CGW_KIND_WAIT) {
		ev->share_ppm = e->wover;
		ev->limit_ppm = st->wait_limit_us;
		ev->demand_ppm = e->wcount;
		ev->win_share_ppm = 0;
	} else {
		ev->share_ppm = e->share;
		ev->limit_ppm = kind == CGW_KIND_MIN ? st->min_ppm :
				kind == CGW_KIND_MAX ? st->max_ppm : 0;
		ev->win_share_ppm = e->win_share;
		ev->demand_ppm = e->demand;
	}
	bpf_ringbuf_submit(ev, 0);
	__sync_fetch_and_add(&stats.events_sent, 1);
	return 0;
}

/*
 * Breach state machine of one constraint.  @bad: the estimate breaches it.
 * @ok: the estimate is clear of it by the hysteresis band; estimates in
 * between neither breach nor count towards clearing.
 */
static __always_inline void judge(struct cgw_slot *st, __u32 slot,
				  __u32 kind, bool bad, bool ok, __u64 now,
				  const struct est *e)
{
	if (bad) {
		st->ok_windows[kind] = 0;
		if (!st->breached[kind]) {
			if (!emit(st, slot, kind, CGW_EV_BREACH, now, e)) {
				st->breached[kind] = 1;
				st->last_emit_ns[kind] = now;
			}
		} else if (now - st->last_emit_ns[kind] >= cooldown_ns) {
			if (!emit(st, slot, kind, CGW_EV_PERSIST, now, e))
				st->last_emit_ns[kind] = now;
		}
		return;
	}
	if (!st->breached[kind])
		return;
	if (!ok) {
		st->ok_windows[kind] = 0;
		return;
	}
	/* A capped cgroup runs and is throttled in turn within each CFS
	 * period: a max breach clears only after a whole period of good
	 * windows (clear_windows_max, set by the agent from the period). */
	if (++st->ok_windows[kind] < (kind == CGW_KIND_MAX &&
						      st->clear_windows_max ?
					      st->clear_windows_max :
					      clear_windows))
		return;
	if (!emit(st, slot, kind, CGW_EV_CLEAR, now, e)) {
		st->breached[kind] = 0;
		st->ok_windows[kind] = 0;
	}
}

/* An edge of a two-state flag: sends @on_type when @on, @off_type when
 * @off, and remembers what it sent (a record that could not be sent is
 * tried again next window). */
static __always_inline void edge(struct cgw_slot *st, __u32 slot, __u32 *flag,
				 bool on, bool off, __u32 on_type,
				 __u32 off_type, __u32 kind, __u64 now,
				 const struct est *e)
{
	if (!*flag && on) {
		if (!emit(st, slot, kind, on_type, now, e))
			*flag = 1;
	} else if (*flag && off) {
		if (!emit(st, slot, kind, off_type, now, e))
			*flag = 0;
	}
}

static __always_inline __u32 share_ppm(__u64 run, __u64 elapsed, __u32 ncpu)
{
	__u64 cap = elapsed * ncpu;

	if (!cap)
		return 0;
	if (run < (1ULL << 44))
		return run * CGW_PPM / cap;
	return run / (cap / CGW_PPM ?: 1);
}

struct sum_ctx {
	__u64 now, off;
	__u64 run, wait, nq, qsum;
	__u32 slot;
	__u32 lat; /* wait_lat slots: 1 + its lrings entry, else 0 */
	__u32 snap; /* the lrings snapshot this sum goes to */
};

/*
 * Adds one CPU's counters of a slot, read under that CPU's sequence
 * count, and the time in progress there if the running task counts for
 * the slot.  A read that keeps tearing is taken as it is: each counter is
 * cumulative, so that only shifts time between adjacent windows (and a
 * torn queue pair is caught by the bound in slot_totals).
 */
static int sum_cpu_cb(__u32 cpu, void *arg)
{
	struct sum_ctx *x = arg;
	struct cgw_cpu *c = bpf_map_lookup_elem(&cpus, &cpu);
	struct cgw_acct *a = acct_of(cpu, x->slot);
	__u64 run = 0, wait = 0, nq = 0, qsum = 0, last = 0, cur = 0, off = 0;
	__u32 seq, n = 0, s[CGW_MAX_NEST] = {};
	bool mine = false, torn = true;
	struct rq *rq;

	if (!c || !a)
		return 0;
	#pragma unroll
	for (int tries = 0; tries < 4; tries++) {
		if (!torn)
			continue;
		seq = READ_ONCE_U32(c->seq);
		barrier();
		run = a->run_ns;
		wait = a->wait_ns;
		nq = a->nr_queued;
		qsum = a->queued_ts_sum;
		last = c->last;
		off = c->off;
		cur = c->cur;
		n = c->nslots;
		#pragma unroll
		for (int i = 0; i < CGW_MAX_NEST; i++)
			s[i] = c->slot[i];
		barrier();
		torn = (seq & 1) || seq != READ_ONCE_U32(c->seq);
	}
	x->run += run;
	x->wait += wait;
	x->nq += nq;
	x->qsum += qsum;
	if (x->lat) {
		/* counts only grow: read outside the sequence count, a torn
		 * read only moves a wait into the next window */
		__u32 li = x->lat - 1;
		struct cgw_lring *lr = bpf_map_lookup_elem(&lrings, &li);

		if (lr) {
			__u32 *h = lr->h[x->snap & (CGW_RING - 1)];

			#pragma unroll
			for (int b = 0; b < CGW_HIST_BUCKETS; b++)
				h[b] += a->hist[b];
		}
	}
	if (off && !x->off)
		x->off = off; /* one CPU's offset serves for the queue stamps */
	#pragma unroll
	for (__u32 i = 0; i < CGW_MAX_NEST; i++)
		if (i < n && s[i] == x->slot)
			mine = true;
	/* the window's end on this CPU's rq->clock */
	if (!mine || torn || !last || (__s64)(x->now - off - last) <= 0)
		return 0;
	/* rq->curr through the rq pointer the CPU cached (no ksym needed);
	 * a local, since CO-RE must relocate only the rq access */
	rq = (struct rq *)c->rq;
	if (rq && (__u64)BPF_CORE_READ(rq, curr) != cur) {
		__sync_fetch_and_add(&stats.stale_cpu, 1);
		return 0;
	}
	x->run += x->now - off - last;
	return 0;
}

/*
 * Cumulative run time and run-queue wait of @slot up to @now, waits still
 * in progress included: the sum of every CPU's counters.  The one place
 * that reads the switch path's counters: the window logic below only sees
 * these two totals.
 */
static __always_inline int slot_totals(__u32 slot, __u64 now, __u64 *run_out,
				       __u64 *wait_out, __u32 lat, __u32 snap)
{
	struct sum_ctx x = { .now = now, .slot = slot, .lat = lat,
			     .snap = snap };
	__u64 inprog;

	if (slot >= CGW_MAX_SLOTS)
		return -1;
	if (lat) {
		/* the histogram's sum goes where the ring's next snapshot
		 * goes */
		__u32 li = lat - 1;
		struct cgw_lring *lr = bpf_map_lookup_elem(&lrings, &li);

		if (!lr)
			return -1;
		__builtin_memset(lr->h[snap & (CGW_RING - 1)], 0,
				 sizeof(lr->h[0]));
		if (lr->n < CGW_RING)
			lr->n++;
	}
	bpf_loop(nr_cpu_ids, sum_cpu_cb, &x, 0);
	/* Sum of (now - stamp) over waiting tasks.  Modular arithmetic makes
	 * the per-CPU +1/-1 and overflow harmless. */
	inprog = x.nq * (now - x.off) - x.qsum;
	if ((__s64)x.nq > 0 && (__s64)inprog > 0) {
		/* Tasks are tracked only after attach: nq waits cannot add
		 * up to more than nq * (time since the first window + one
		 * window).  Anything above is a torn or skewed read; it is
		 * not counted (and never ratchets prev_wait up). */
		if (inprog <= x.nq * (now - first_eval_ns + window_ns))
			x.wait += inprog;
		else
			__sync_fetch_and_add(&stats.wait_rejected, 1);
	}
	*run_out = x.run;
	*wait_out = x.wait;
	return 0;
}

/*
 * Pushes this window's totals into the slot's ring and computes the
 * sliding estimate over the last span_windows windows (fewer while the
 * ring fills).  Deltas of cumulative counters: a torn or late read only
 * moves time between adjacent windows, and a span of many windows
 * averages that away.
 */
static __always_inline void estimate(struct cgw_ring *r, __u64 now, __u64 run,
				     __u64 wait, __u64 win_run, __u64 win_wait,
				     __u64 elapsed, struct est *e)
{
	__u32 h = r->head, back = r->n < span_windows ? r->n : span_windows;
	__u32 o = (h - back) & (CGW_RING - 1);
	__u64 drun, dwait;

	e->full = back >= span_windows;
	e->span = back ? now - r->t[o] : 0;
	drun = back ? run - r->run[o] : 0;
	dwait = back ? wait - r->wait[o] : 0;
	/* an exact-runtime correction can step run back a little, and an
	 * in-progress wait can end shorter than estimated */
	e->run = (__s64)drun > 0 ? drun : 0;
	e->wait = (__s64)dwait > 0 ? dwait : 0;
	e->share = share_ppm(e->run, e->span, nr_online);
	e->demand = share_ppm(e->run + e->wait, e->span, nr_online);
	if (e->demand > CGW_PPM)
		e->demand = CGW_PPM;
	e->win_share = share_ppm(win_run, elapsed, nr_online);
	e->win_demand = share_ppm(win_run + win_wait, elapsed, nr_online);
	h &= CGW_RING - 1;
	r->t[h] = now;
	r->run[h] = run;
	r->wait[h] = wait;
	r->head = h + 1;
	if (r->n < CGW_RING)
		r->n++;
}

/* Publishes the estimate for the agent, under the slot's sequence count. */
static __always_inline void publish(struct cgw_slot *st, const struct est *e,
				    __u32 nwin, __u32 age, __u32 long_age,
				    __u64 elapsed)
{
	st->seq++;
	barrier();
	st->nwin = nwin;
	st->span_ns = e->span;
	st->span_run_ns = e->run;
	st->span_wait_ns = e->wait;
	st->share_ppm = e->share;
	st->demand_ppm = e->demand;
	/* about 32 windows of memory (a running mean until there are 32):
	 * what the agent's model takes as the capacity a set gets, so that
	 * one short burst of load outside the set does not move a setpoint */
	st->slow_share_ppm = ((__u64)(age - 1) * st->slow_share_ppm + e->share) /
			     age;
	/* about 256 windows: load outside a set that comes in bursts (a
	 * monitoring loop, a cron job) shows in the span and in the slow
	 * average exactly when a minimum breaches, so at breach time both
	 * read the set's capacity low; this one does not */
	st->long_share_ppm =
		((__u64)(long_age - 1) * st->long_share_ppm + e->share) /
		long_age;
	st->last_window_ns = elapsed;
	st->wait_count = e->wcount;
	st->wait_over = e->wover;
	barrier();
	st->seq++;
}

/*
 * The span's waits of a wait_lat slot, from the newest histogram snapshot
 * (the entry before @head) less the one the span starts at (@back entries
 * earlier), into @e and the entry's span histogram (for the agent's
 * percentiles).  1 if the promise is breached: more waits above the limit
 * than the percentile allows, and at least two; 0 if it holds with room
 * (at most half that many, or too few waits to judge); -1 in between.
 * Straight-line code: the count above the limit is a sum of products with
 * the agent's per-bucket weights.
 */
static __always_inline int judge_waits(struct cgw_slot *st, __u32 head,
				       __u32 back, struct est *e)
{
	__u32 li = st->wait_lat - 1, h = (head - 1) & (CGW_RING - 1);
	__u32 o = (head - 1 - back) & (CGW_RING - 1);
	struct cgw_lring *lr = bpf_map_lookup_elem(&lrings, &li);
	__u64 count = 0, over = 0, allowed;

	if (!lr)
		return 0;
	#pragma unroll
	for (int b = 0; b < CGW_HIST_BUCKETS; b++) {
		__u32 n = lr->h[h][b] - lr->h[o][b];

		lr->span[b] = n;
		count += n;
		over += (__u64)n * lr->wgt[b];
	}
	e->wcount = count;
	e->wover = over >> 10;
	/* judged only once the entry holds a whole span of snapshots */
	if (lr->n <= back || count < st->wait_min || st->wait_pmil >= 1000)
		return 0;
	/* waits allowed above the limit, in 1/1024ths: (1 - pctl) of them */
	allowed = (count * (1000 - st->wait_pmil) << 10) / 1000;
	if (over > allowed && over >= 2 << 10)
		return 1;
	return over * 2 <= allowed ? 0 : -1;
}

static int eval_slot_cb(__u32 i, void *arg)
{
	struct eval_ctx *ctx = arg;
	__u32 slot = i; /* slot 0, idle, only gets its estimate published */
	struct cgw_slot *st = bpf_map_lookup_elem(&slots, &slot);
	struct cgw_ring *r = bpf_map_lookup_elem(&rings, &slot);
	__u64 run, wait, now = ctx->now, win_run, win_wait;
	__u32 last, lat;
	__u32 nwin;
	int wbad = 0;
	struct est e = {};

	if (!st || !r || !st->active)
		return 0;
	lat = st->wait_lat <= CGW_MAX_LAT ? st->wait_lat : 0;
	if (st->active == 1)
		r->head = 0; /* the baseline below goes to entry 0 */
	if (slot_totals(slot, now, &run, &wait, lat, r->head))
		return 0;
	if (st->active == 1) { /* first window: just take the baseline */
		r->n = 0;
		r->head = 0;
		r->age = 0;
		r->long_age = 0;
		r->mid_ppm = 0;
		estimate(r, now, run, wait, 0, 0, ctx->elapsed, &e);
		st->active = 2;
		return 0;
	}
	last = (r->head - 1) & (CGW_RING - 1);
	win_run = run - r->run[last];
	win_wait = wait - r->wait[last];
	if ((__s64)win_run < 0)
		win_run = 0;
	if ((__s64)win_wait < 0)
		win_wait = 0;
	estimate(r, now, run, wait, win_run, win_wait, ctx->elapsed, &e);
	nwin = r->n - 1 < span_windows ? r->n - 1 : span_windows;
	if (r->age < 32)
		r->age++;
	if (r->long_age < 256)
		r->long_age++;
	if (lat)
		wbad = judge_waits(st, r->head, nwin, &e);
	r->mid_ppm = ((__u64)((r->age < 8 ? r->age : 8) - 1) * r->mid_ppm +
		      e.share) /
		     (r->age < 8 ? r->age : 8);
	publish(st, &e, nwin, r->age ?: 1, r->long_age ?: 1, ctx->elapsed);

	if (trace_windows && slot)
		emit(st, slot, st->min_ppm ? CGW_KIND_MIN : CGW_KIND_MAX,
		     CGW_EV_WINDOW, now, &e);
	/*
	 * Competitors the agent models: an edge when one starts wanting CPU
	 * (run + wait in this window reached 2 * active_ppm, and over the
	 * estimate so far active_ppm: a newcomer shows in its first window,
	 * a rare blip does not), and when its demand over a whole span falls
	 * below active_ppm / 2.  Demand, not share: a starved competitor
	 * still competes.
	 */
	if (st->notify && slot)
		edge(st, slot, &st->busy,
		     e.win_demand >= 2 * active_ppm && e.demand >= active_ppm,
		     e.full && e.demand < active_ppm / 2, CGW_EV_ACTIVE,
		     CGW_EV_IDLE, CGW_KIND_MIN, now, &e);
	if (!e.full)
		return 0; /* judged only on a whole span: one window is noise */
	/*
	 * A minimum is owed only to demand: the cgroup waited on a run queue
	 * over the span and its run + wait share reaches the minimum.  An
	 * idle, sleeping or I/O-bound cgroup never breaches, and one whose
	 * demand goes away clears.
	 */
	if (st->min_ppm) {
		bool demand = e.wait > 0 && e.demand >= st->min_ppm;
		__u32 sp = st->surplus_ppm;
		/* a dip of the span's mean while an average over ~8 more
		 * windows sits guard_ppm above the minimum is noise (at
		 * 60 % a 100 ms mean still dips under 50 % now and then);
		 * a real fall drags that average down within a few windows
		 * (50 % -> 10 %: below 35 % after 4 windows) */
		bool low = e.share < st->min_ppm &&
			   r->mid_ppm < st->min_ppm + guard_ppm;

		judge(st, slot, CGW_KIND_MIN, demand && low,
		      !demand || e.share >= st->min_ppm + hyst_ppm, now, &e);
		/* surplus: the agent may give back what it raised (it
		 * turns the report off by setting surplus_ppm to 0).  It
		 * starts when the span and the slow average (~32 windows)
		 * are both at the threshold, and ends when both are a
		 * hysteresis below it (or the minimum breaches).  The span
		 * alone has noise of sd 2-5 points at 100 ms: a cgroup held
		 * near the threshold crossed it several times a second, and
		 * with the end judged on the span alone (as it was) a pair
		 * of edges cancelled every relax before its hold was over,
		 * so a raised cgroup never gave back (measured: c1 at 60 %
		 * for a 50 % promise, 5-10 agent wakeups a second). */
		if (!sp)
			st->surplus = 0;
		else
			edge(st, slot, &st->surplus,
			     !demand ||
				     (e.share >= sp && st->slow_share_ppm >= sp),
			     demand && e.share + hyst_ppm < sp &&
				     st->slow_share_ppm + hyst_ppm < sp,
			     CGW_EV_SURPLUS, CGW_EV_SURPLUS_END, CGW_KIND_MIN,
			     now, &e);
	}
	if (st->max_ppm)
		judge(st, slot, CGW_KIND_MAX, e.share > st->max_ppm,
		      e.share + hyst_ppm <= st->max_ppm, now, &e);
	/* a wait promise is owed to waits that happened: too few of them
	 * in the span neither breach nor keep a breach open */
	if (lat)
		judge(st, slot, CGW_KIND_WAIT, wbad > 0, wbad == 0, now, &e);
	return 0;
}

/* Closes a window: judges every slot on its totals up to now. */
static __always_inline void close_window(void)
{
	struct eval_ctx ctx = { .now = bpf_ktime_get_ns() };
	__u64 prev = last_eval_ns;

	if (!first_eval_ns)
		first_eval_ns = ctx.now;
	if (prev && ctx.now > prev) {
		ctx.elapsed = ctx.now - prev;
		if (ctx.elapsed > 2 * window_ns)
			__sync_fetch_and_add(&stats.timer_late, 1);
		bpf_loop(nr_slots, eval_slot_cb, &ctx, 0);
		__sync_fetch_and_add(&stats.windows, 1);
	}
	last_eval_ns = ctx.now;
}

/*
 * Window clock, first choice: a bpf_timer, armed once by cgw_arm, a
 * syscall program the agent runs once through BPF_PROG_TEST_RUN.
 *
 * Not from a second sched_switch program (as before): attaching and
 * detaching a probe of sched_switch makes the kernel rewrite the
 * tracepoint's call site inside __schedule() (static_call and jump
 * label, text_poke_bp: int3 + an IPI to every CPU), and on the 6.1
 * guests that rewrite livelocked (soft lockup in
 * smp_call_function_many_cond under tracepoint_probe_unregister, the
 * other CPU stuck on the int3 in __schedule; docs/kernels.md).  The
 * agent now changes sched_switch's probes twice per run (attach, detach
 * of cgw_switch), not four times.
 */
static int window_cb(void *map, __u32 *key, struct timer_elem *te)
{
	close_window();
	bpf_timer_start(&te->t, window_ns, 0);
	return 0;
}

SEC("syscall")
int cgw_arm(void *ctx)
{
	struct timer_elem *te;
	__u32 zero = 0;

	if (timer_armed || __sync_val_compare_and_swap(&timer_armed, 0, 1))
		return 0;
	te = bpf_map_lookup_elem(&window_timer, &zero);
	if (!te)
		return 0;
	bpf_timer_init(&te->t, &window_timer, CLOCK_MONOTONIC);
	bpf_timer_set_callback(&te->t, window_cb);
	bpf_timer_start(&te->t, window_ns, 0);
	return 0;
}

/*
 * Window clock, second choice: PREEMPT_RT kernels refuse bpf_timer
 * ("bpf_timer cannot be used for PREEMPT_RT", 6.1-rt), so there the agent
 * loads this instead, on a CPU-wide software cpu-clock perf event whose
 * sample period is one window.
 */
SEC("perf_event")
int cgw_tick(void *ctx)
{
	close_window();
	return 0;
}

/* --- scheduler hook ---------------------------------------------------- */

/*
 * The switch's clock: this CPU's rq->clock, which __schedule() has just
 * updated, read with three plain loads.  bpf_ktime_get_ns() costs ~185 ns
 * per call on a kvm-clock guest without a stable TSC (its cmpxchg on a
 * global last_value bounces between CPUs), so it is called only one
 * switch in 256, to refresh c->off, the offset the window timer and the
 * agent use to turn their CLOCK_MONOTONIC into this CPU's rq->clock.
 */
static __always_inline __u64 switch_clock(__u32 cpu, struct cgw_cpu *c,
					  struct task_struct *next)
{
	struct rq *rq;
	__u64 clk;

	if (!bpf_core_field_exists(next->se.cfs_rq->rq))
		return bpf_ktime_get_ns() - c->off;
	rq = next->se.cfs_rq->rq;
	if (!rq || rq->cpu != cpu)
		return bpf_ktime_get_ns() - c->off;
	clk = rq->clock;
	if (!c->rq)
		c->rq = (__u64)rq;
	if (!(c->seq & 0x1fe))
		c->off = bpf_ktime_get_ns() - clk;
	return clk;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(cgw_switch, bool preempt, struct task_struct *prev,
	     struct task_struct *next)
{
	__u32 cpu = bpf_get_smp_processor_id();
	__u32 pn = 0, nn = 0, ps[CGW_MAX_NEST] = {}, ns[CGW_MAX_NEST] = {};
	struct cgw_cpu *c = bpf_map_lookup_elem(&cpus, &cpu);
	__u64 now;

	if (!c)
		return 0;
	if (prev->pid)
		pn = task_slots(cpu, prev, ps);
	if (!next->pid) {
		ns[0] = CGW_IDLE_SLOT;
		nn = 1;
	} else {
		nn = task_slots(cpu, next, ns);
	}
	/* nobody watched leaves or comes, and the CPU was charging nobody */
	if (!pn && !nn && !c->nslots) {
		c->cur = (__u64)next;
		c->last = 0; /* this switch's time is not read: unknown */
		return 0;
	}

	c->seq++;
	barrier();
	now = switch_clock(cpu, c, next);
	if (!prev->pid) {
		__u32 idle = CGW_IDLE_SLOT;

		if (c->last && c->cur == (__u64)prev)
			add(cpu, &idle, 1, now - c->last, 0, 0, 0);
	} else if (pn) {
		/* still runnable: preempted, yielded, or woken before it slept */
		switch_out(cpu, c, prev, preempt || task_state(prev) == 0, ps,
			   pn, now);
	}
	if (next->pid && nn)
		switch_in(cpu, next, ns, nn, now, c->off);
	c->last = now;
	c->cur = (__u64)next;
	c->nslots = nn;
	#pragma unroll
	for (int i = 0; i < CGW_MAX_NEST; i++)
		c->slot[i] = ns[i];
	barrier();
	c->seq++;
	return 0;
}
