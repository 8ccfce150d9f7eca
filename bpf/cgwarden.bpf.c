// SPDX-License-Identifier: GPL-2.0
/*
 * cgwarden: per-cgroup CPU accounting and in-kernel share constraints.
 *
 * What it does
 * ------------
 * Every CPU's time is charged to the cpu-controller cgroup of the task that
 * used it: tp_btf/sched_switch charges [last switch, now] to the outgoing
 * task.  The cgroup is the one whose scheduling entity the task runs in,
 * task->sched_task_group, so the same code serves the cgroup v2 cpu
 * controller and the v1 cpu hierarchy.  Only *watched* cgroups are charged,
 * and a task's time is credited to every watched ancestor too (a task in
 * web/worker3 counts for web).  Idle time goes to slot 0.
 *
 * A window clock (default every 10 ms) closes windows: a bpf_timer, or on
 * PREEMPT_RT kernels, which refuse bpf_timer, a perf cpu-clock event.  It
 * compares each watched cgroup's share of the machine in that window with
 * its constraints, and sends a ring-buffer record only on a breach edge
 * (enter, clear) or, while a breach persists, once per cooldown.  Nothing
 * is sent per context switch.
 *
 * Why it is shaped this way
 * -------------------------
 * - Per-switch cost is flat in the number of cgroups.  A task's watched
 *   ancestors ("slots") are resolved once and cached in task local storage,
 *   keyed by the task's task_group and a generation number the agent bumps
 *   when the watch set changes.  A switch then costs one storage lookup for
 *   the incoming task and one atomic add per watched ancestor of the
 *   outgoing one; the walk up the task_group tree (one hash lookup per
 *   level within the watched levels) happens only on a cache miss.
 * - Exact figures: a task leaving a CPU is charged the growth of its own
 *   se.sum_exec_runtime since it was last charged, the number cpuacct and
 *   the task CPU clocks report (IRQ and steal time excluded where the
 *   kernel excludes them).  Wall time is used only for idle and for time
 *   still in progress.  Because the figure is per task, not per CPU, a
 *   context switch that never reached the tracepoint (measured: ~4% of
 *   switches on a 6.18 guest) costs at most a window's misplaced
 *   in-progress time, never a task's run time.
 * - Long-running tasks: a CPU running one task for seconds never switches.
 *   The timer therefore also charges the time in progress on every CPU.  It
 *   and the switch both "claim" [cpu->last, now] with a cmpxchg on
 *   cpu->last, so every nanosecond is charged exactly once whoever gets
 *   there first.  The running task's slots are copied into the CPU's state
 *   at switch-in under a sequence count; the timer skips a CPU whose copy
 *   it sees changing (that interval is then charged by the next switch).
 *   This relies on x86-64's ordered stores and loads; the build refuses
 *   other architectures until barriers are added.
 * - Counters are cumulative and global (atomic adds), so the timer's work is
 *   O(CPUs + watched cgroups) per window, not O(CPUs x cgroups), and a torn
 *   read only shifts time between adjacent windows, never loses it.
 * - Run-queue wait, the demand signal of a minimum (breached when share <
 *   min, the cgroup waited, and an EWMA of run + wait reaches min): a tracked task's
 *   enqueue time is stored at wakeup or preemption and charged at switch-in.
 *   Waits still in progress are counted through per-slot nr_queued and the
 *   sum of enqueue stamps (in-progress wait = nr_queued * now - sum), so a
 *   cgroup starved for a whole window is seen in that window.
 *
 * - Unreported switches: on some kernels the tracepoint misses context
 *   switches (measured on a 6.18 guest: every switch-out of one process's
 *   threads).  Run time stays exact (per-task figures).  The window timer
 *   compares each CPU's recorded task with rq->curr, read through the rq
 *   pointer the CPU cached (no ksym: kernels without KALLSYMS_ALL cannot
 *   resolve data ksyms), and attributes time in progress to the real task.
 *
 * Trade-offs
 * ----------
 * - A task switched in unreported while it was queued keeps its wait
 *   counted as pending until its next reported switch (ending it from the
 *   timer needs a trusted task pointer: bpf_task_from_pid, Linux 6.2).
 * - A task moved to another cgroup while it runs keeps being charged to the
 *   old one until it next switches in.
 * - Waits of tasks that were already queued when the agent attached are
 *   not seen; they are tracked from their first switch-in on.
 * - Hot slots shared by many CPUs (a parent credited from every CPU) make
 *   their counter's cache line bounce on large machines; per-CPU counters
 *   would trade that for an O(CPUs x cgroups) timer.
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
#define barrier() asm volatile("" ::: "memory")
#define READ_ONCE_U64(x) (*(volatile __u64 *)&(x))

/* Set by the agent before load. */
const volatile __u64 window_ns = 10000000;
const volatile __u64 cooldown_ns = 50000000;
const volatile __u32 clear_windows = 2;
const volatile __u32 hyst_ppm = 10000;
const volatile __u32 nr_cpu_ids = 1;
const volatile bool trace_windows; /* diagnostics: a record per window */
const volatile __u32 span_windows = 10; /* windows in the sliding estimate */
const volatile __u32 active_ppm = 5000; /* a competitor is busy above this */

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

/* Per task: its resolved slots (a cache) and its pending run-queue wait. */
struct cgw_task {
	__u64 tg; /* task_group the slots were resolved for */
	__u64 queued_ts; /* enqueue time while waiting, else 0 */
	__u32 gen; /* watch_gen at resolution */
	__u32 nslots;
	__u32 slot[CGW_MAX_NEST];
	__u32 nq; /* slots charged with the pending wait */
	__u32 qslot[CGW_MAX_NEST];
	__u64 rt_charged; /* se.sum_exec_runtime when last charged, 0: never */
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
		return BPF_CORE_READ(t, __state);
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
	for (int i = 0; i < CGW_MAX_NEST; i++)
		out[i] = w.out[i];
	return w.n;
}

/* The task's storage with its slots up to date, or NULL. */
static __always_inline struct cgw_task *task_slots(struct task_struct *p,
						   __u64 flags)
{
	struct cgw_task *t;
	__u64 tg;
	__u32 gen = watch_gen;

	t = bpf_task_storage_get(&tasks, p, 0, flags);
	if (!t)
		return NULL;
	tg = (__u64)p->sched_task_group;
	if (t->tg != tg || t->gen != gen) {
		t->nslots = resolve((struct task_group *)tg, t->slot);
		t->tg = tg;
		t->gen = gen;
	}
	return t;
}

/* Adds @delta of run time to the @n slots in @slot. */
static __always_inline void charge(const __u32 *slot, __u32 n, __u64 delta)
{
	for (__u32 i = 0; i < CGW_MAX_NEST; i++) {
		struct cgw_acct *a;
		__u32 s;

		if (i >= n)
			break;
		s = slot[i];
		a = bpf_map_lookup_elem(&acct, &s);
		if (a)
			__sync_fetch_and_add(&a->run_ns, delta);
	}
}

/* Switch side: claims [c->last, now] for the task leaving @c and returns its
 * length.  Retries if the window timer claimed in between. */
static __always_inline __u64 claim(struct cgw_cpu *c, __u64 now)
{
	__u64 old = c->last, seen;

	for (int i = 0; i < 3; i++) {
		if (old >= now)
			return 0; /* the timer already claimed past now */
		seen = __sync_val_compare_and_swap(&c->last, old, now);
		if (seen == old)
			return old ? now - old : 0;
		old = seen;
	}
	return 0;
}

/*
 * Pending run-queue wait.  queued_ts is published last (after qslot[]) and
 * taken back with a cmpxchg, so the switch path and the window timer (for
 * a task it finds running unreported) cannot both end the same wait.
 */
static __always_inline void mark_queued(struct cgw_task *t, __u64 now)
{
	__u32 n = t->nslots;

	if (!n || t->queued_ts)
		return;
	t->nq = n;
	for (__u32 i = 0; i < CGW_MAX_NEST; i++)
		t->qslot[i] = t->slot[i];
	barrier();
	if (__sync_val_compare_and_swap(&t->queued_ts, 0, now) != 0)
		return;
	for (__u32 i = 0; i < CGW_MAX_NEST; i++) {
		struct cgw_acct *a;
		__u32 s;

		if (i >= n)
			break;
		s = t->qslot[i];
		a = bpf_map_lookup_elem(&acct, &s);
		if (a) {
			/* sum before count: see eval_slot_cb */
			__sync_fetch_and_add(&a->queued_ts_sum, now);
			__sync_fetch_and_add(&a->nr_queued, 1);
		}
	}
}

static __always_inline void end_wait(struct cgw_task *t, __u64 now)
{
	__u32 n = t->nq, qs[CGW_MAX_NEST];
	__u64 q = t->queued_ts, wait;

	if (!q)
		return;
	for (int i = 0; i < CGW_MAX_NEST; i++)
		qs[i] = t->qslot[i];
	barrier();
	if (__sync_val_compare_and_swap(&t->queued_ts, q, 0) != q)
		return; /* someone else ended it */
	wait = now > q ? now - q : 0;
	for (__u32 i = 0; i < CGW_MAX_NEST; i++) {
		struct cgw_acct *a;
		__u32 s;

		if (i >= n)
			break;
		s = qs[i];
		a = bpf_map_lookup_elem(&acct, &s);
		if (a) {
			__sync_fetch_and_add(&a->wait_ns, wait);
			/* count before sum: see eval_slot_cb */
			__sync_fetch_and_sub(&a->nr_queued, 1);
			__sync_fetch_and_sub(&a->queued_ts_sum, q);
		}
	}
}

/*
 * Charges @prev, leaving @c, with the kernel's own figure: the growth of
 * its se.sum_exec_runtime since we last charged it (current here:
 * update_curr ran in put_prev/dequeue), less the wall time the window
 * timer already charged it for time in progress.  Keyed on the task, not
 * on the CPU's history, so a context switch the tracepoint never reported
 * (seen on some kernels) cannot move one task's time to another.  @d is
 * the wall time just claimed, used only the first time a task is seen.
 */
static __always_inline void charge_task(struct cgw_cpu *c, struct cgw_task *t,
					struct task_struct *prev, __u64 d)
{
	__u64 rt = prev->se.sum_exec_runtime;
	__u64 by_timer = c->tc_task == (__u64)prev ? c->tc_ns : 0;

	if (!t->rt_charged) { /* first sight: running since before attach */
		t->rt_charged = rt ?: 1;
		if (d)
			charge(t->slot, t->nslots, d);
		return;
	}
	/* may come out negative when the timer's wall time included IRQ or
	 * steal time the kernel does not count: wraps, by design */
	charge(t->slot, t->nslots, rt - t->rt_charged - by_timer);
	t->rt_charged = rt;
}

/* --- window timer ------------------------------------------------------ */

struct eval_ctx {
	__u64 now;
	__u64 elapsed;
};

/*
 * The CPU runs a task no reported switch brought in (some kernels do not
 * report every switch): resolve who it really is.  Its pending run-queue
 * wait, if it had one, is ended only at its next reported switch.
 */
static __noinline __u32 stale_slots(struct task_struct *curr, __u32 *slot)
{
	__sync_fetch_and_add(&stats.stale_cpu, 1);
	if (!curr)
		return 0;
	if (!BPF_CORE_READ(curr, pid)) {
		slot[0] = CGW_IDLE_SLOT;
		return 1;
	}
	return resolve(BPF_CORE_READ(curr, sched_task_group), slot);
}

static int claim_cpu_cb(__u32 cpu, void *arg)
{
	struct eval_ctx *ctx = arg;
	struct cgw_cpu *c = bpf_map_lookup_elem(&cpus, &cpu);
	struct task_struct *curr;
	struct cgw_cpu snap;
	struct rq *rq;
	__u64 old, d;
	__u32 seq;
	bool stale;

	if (!c)
		return 0;
	/* rq->curr through the rq pointer the CPU cached: no ksym needed */
	rq = (struct rq *)c->rq;
	curr = rq ? BPF_CORE_READ(rq, curr) : (struct task_struct *)c->cur;
	/* Order matters: stamp, then a consistent copy of the slots, then one
	 * cmpxchg from that stamp.  If it succeeds no switch claimed since we
	 * read the stamp, so the copy names who ran in [old, now]. */
	old = c->last;
	barrier();
	seq = c->seq;
	barrier();
	snap.nslots = c->nslots;
	for (int i = 0; i < CGW_MAX_NEST; i++)
		snap.slot[i] = c->slot[i];
	stale = c->cur != (__u64)curr;
	barrier();
	if ((seq & 1) || seq != c->seq)
		return 0; /* mid-switch: the switch charges this interval */
	if (!old || old >= ctx->now)
		return 0;
	/* resolved again every window for as long as the CPU stays stale */
	if (stale)
		snap.nslots = stale_slots(curr, snap.slot);
	if (__sync_val_compare_and_swap(&c->last, old, ctx->now) != old)
		return 0;
	d = ctx->now - old;
	charge(snap.slot, snap.nslots, d);
	if (c->tc_task != (__u64)curr) {
		c->tc_task = (__u64)curr;
		c->tc_ns = 0;
	}
	__sync_fetch_and_add(&c->tc_ns, d);
	return 0;
}

struct est {
	__u64 span, run, wait; /* the sliding estimate */
	__u32 share, demand, win_share, win_demand;
	bool full; /* spans span_windows windows: may be judged */
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
	ev->share_ppm = e->share;
	ev->limit_ppm = kind == CGW_KIND_MIN ? st->min_ppm :
			kind == CGW_KIND_MAX ? st->max_ppm : 0;
	ev->kind = kind;
	ev->type = type;
	ev->nr_cpus = nr_online;
	ev->win_share_ppm = e->win_share;
	ev->demand_ppm = e->demand;
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

/*
 * Cumulative run time and run-queue wait of @slot up to @now, waits still
 * in progress included.  The one place that reads the switch path's
 * counters: the window logic below only sees these two totals.
 */
static __always_inline int slot_totals(__u32 slot, __u64 now, __u64 *run_out,
				       __u64 *wait_out)
{
	struct cgw_acct *a = bpf_map_lookup_elem(&acct, &slot);
	__u64 run, wait, nq, qsum;

	if (!a)
		return -1;
	run = a->run_ns;
	wait = a->wait_ns;
	/* count, then sum, in this order (the writers add the sum first and
	 * take the count first): a torn pair can then only come out short.
	 * Without the barrier the compiler may load the sum first, and a
	 * task counted without its stamp reads as a wait of `now` (seen:
	 * 56.8 s of wait in one 50 ms window). */
	nq = READ_ONCE_U64(a->nr_queued);
	barrier();
	qsum = READ_ONCE_U64(a->queued_ts_sum);
	/* Sum of (now - enqueue stamp) over waiting tasks.  Modular
	 * arithmetic makes overflow harmless; writers order their updates
	 * so that a torn read can only come out negative (then ignored). */
	if (nq && (__s64)(nq * now - qsum) > 0) {
		__u64 inprog = nq * now - qsum;

		/* Tasks are tracked only after attach: nq waits cannot add
		 * up to more than nq * (time since the first window + one
		 * window).  Anything above is a torn or skewed pair; it is
		 * not counted (and never ratchets prev_wait up). */
		if (inprog <= nq * (now - first_eval_ns + window_ns))
			wait += inprog;
		else
			__sync_fetch_and_add(&stats.wait_rejected, 1);
	}
	*run_out = run;
	*wait_out = wait;
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
				    __u32 nwin, __u32 age, __u64 elapsed)
{
	st->seq++;
	barrier();
	st->nwin = nwin;
	st->span_ns = e->span;
	st->span_run_ns = e->run;
	st->span_wait_ns = e->wait;
	st->share_ppm = e->share;
	st->demand_ppm = e->demand;
	st->win_share_ppm = e->win_share;
	/* about 32 windows of memory (a running mean until there are 32):
	 * what the agent's model takes as the capacity a set gets, so that
	 * one short burst of load outside the set does not move a setpoint */
	st->slow_share_ppm = ((__u64)(age - 1) * st->slow_share_ppm + e->share) /
			     age;
	st->last_window_ns = elapsed;
	barrier();
	st->seq++;
}

static int eval_slot_cb(__u32 i, void *arg)
{
	struct eval_ctx *ctx = arg;
	__u32 slot = i; /* slot 0, idle, only gets its estimate published */
	struct cgw_slot *st = bpf_map_lookup_elem(&slots, &slot);
	struct cgw_ring *r = bpf_map_lookup_elem(&rings, &slot);
	__u64 run, wait, now = ctx->now, win_run, win_wait;
	__u32 last;
	__u32 nwin;
	struct est e;

	if (!st || !r || !st->active)
		return 0;
	if (slot_totals(slot, now, &run, &wait))
		return 0;
	if (st->active == 1) { /* first window: just take the baseline */
		r->n = 0;
		r->head = 0;
		r->age = 0;
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
	publish(st, &e, nwin, r->age ?: 1, ctx->elapsed);

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

		judge(st, slot, CGW_KIND_MIN, demand && e.share < st->min_ppm,
		      !demand || e.share >= st->min_ppm + hyst_ppm, now, &e);
		/* surplus: the agent may give back what it raised (it
		 * turns the report off by setting surplus_ppm to 0) */
		if (!sp)
			st->surplus = 0;
		else
			edge(st, slot, &st->surplus,
			     !demand || e.share >= sp,
			     demand && e.share + hyst_ppm < sp, CGW_EV_SURPLUS,
			     CGW_EV_SURPLUS_END, CGW_KIND_MIN, now, &e);
	}
	if (st->max_ppm)
		judge(st, slot, CGW_KIND_MAX, e.share > st->max_ppm,
		      e.share + hyst_ppm <= st->max_ppm, now, &e);
	return 0;
}

/* Closes a window: claims time in progress everywhere, judges slots. */
static __always_inline void close_window(void)
{
	struct eval_ctx ctx = { .now = bpf_ktime_get_ns() };
	__u64 prev = last_eval_ns;

	if (!first_eval_ns)
		first_eval_ns = ctx.now;
	bpf_loop(nr_cpu_ids, claim_cpu_cb, &ctx, 0);
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
 * Window clock, first choice: a bpf_timer, armed once by cgw_arm (whose
 * link the agent drops as soon as timer_armed is set).
 */
static int window_cb(void *map, __u32 *key, struct timer_elem *te)
{
	close_window();
	bpf_timer_start(&te->t, window_ns, 0);
	return 0;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(cgw_arm)
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

/* --- scheduler hooks ------------------------------------------------- */

static __always_inline void on_switch(bool preempt, struct task_struct *prev,
				      struct task_struct *next)
{
	__u64 now = bpf_ktime_get_ns(), d;
	__u32 cpu = bpf_get_smp_processor_id();
	struct cgw_cpu *c = bpf_map_lookup_elem(&cpus, &cpu);
	struct cgw_task *t;
	__u32 n = 0, s[CGW_MAX_NEST] = {};

	if (!c)
		return;

	d = claim(c, now);
	t = prev->pid ? task_slots(prev, BPF_LOCAL_STORAGE_GET_F_CREATE) : NULL;
	if (t) {
		/* switched in unseen (see stale_slots), it may still look
		 * queued: its wait ended when it began this run */
		if (t->queued_ts && t->rt_charged) {
			__u64 ran = prev->se.sum_exec_runtime - t->rt_charged;

			end_wait(t, now > ran ? now - ran : now);
		}
		charge_task(c, t, prev, d);
		/* still runnable: preempted, yielded, or woken before it slept */
		if (preempt || task_state(prev) == 0)
			mark_queued(t, now);
	} else if (d) {
		charge(c->slot, c->nslots, d); /* idle, or no storage: wall time */
	}

	if (!next->pid) {
		s[0] = CGW_IDLE_SLOT;
		n = 1;
	} else {
		t = task_slots(next, BPF_LOCAL_STORAGE_GET_F_CREATE);
		if (t) {
			if (!t->rt_charged)
				t->rt_charged = next->se.sum_exec_runtime ?: 1;
			end_wait(t, now);
			n = t->nslots;
			for (int i = 0; i < CGW_MAX_NEST; i++)
				s[i] = t->slot[i];
		}
	}

	c->cur = (__u64)next;
	c->tc_task = (__u64)next;
	c->tc_ns = 0;
	if (!c->rq && bpf_core_field_exists(struct cfs_rq, rq))
		c->rq = (__u64)BPF_CORE_READ(next, se.cfs_rq, rq);
	c->seq++;
	barrier();
	c->nslots = n;
	for (int i = 0; i < CGW_MAX_NEST; i++)
		c->slot[i] = s[i];
	barrier();
	c->seq++;
}

static __always_inline void on_wakeup(struct task_struct *p, __u64 flags)
{
	struct cgw_task *t;

	/* a wakeup of a task that is still on its CPU does not queue it */
	if (BPF_CORE_READ(p, on_cpu))
		return;
	t = task_slots(p, flags);
	if (t)
		mark_queued(t, bpf_ktime_get_ns());
}

SEC("tp_btf/sched_switch")
int BPF_PROG(cgw_switch, bool preempt, struct task_struct *prev,
	     struct task_struct *next)
{
	on_switch(preempt, prev, next);
	return 0;
}

SEC("tp_btf/sched_wakeup")
int BPF_PROG(cgw_wakeup, struct task_struct *p)
{
	on_wakeup(p, 0);
	return 0;
}

SEC("tp_btf/sched_wakeup_new")
int BPF_PROG(cgw_wakeup_new, struct task_struct *p)
{
	on_wakeup(p, BPF_LOCAL_STORAGE_GET_F_CREATE);
	return 0;
}
