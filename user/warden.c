// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <linux/perf_event.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "log.h"
#include "policy.h"
#include "privs.h"
#include "probe.h"
#include "warden.h"
#include "cgwarden.skel.h"

static bool verbose;

static int print_fn(enum libbpf_print_level level, const char *fmt,
		    va_list args)
{
	if (level == LIBBPF_DEBUG && !verbose)
		return 0;
	cgw_vlog_plain(level == LIBBPF_WARN ? CGW_LOG_WARNING :
		       level == LIBBPF_INFO ? CGW_LOG_INFO :
					      CGW_LOG_DEBUG,
		       fmt, args);
	return 0;
}

uint64_t cgw_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The same checks as `cgwarden --probe` (probe.c), so that the table and
 * a refused start never disagree. */
int warden_probe(char *err, size_t errlen)
{
	return probe_kernel(err, errlen);
}

/* PREEMPT_RT kernels refuse bpf_timer: they get the perf clock. */
static bool kernel_is_rt(void)
{
	char c = 0;
	FILE *f = fopen("/sys/kernel/realtime", "re");

	if (f) {
		if (fread(&c, 1, 1, f) != 1)
			c = 0;
		fclose(f);
	}
	return c == '1';
}

const char *warden_clock_name(const struct warden *w)
{
	return w->perf_clock ? "perf cpu-clock" : "bpf_timer";
}

int warden_load(struct warden *w, const struct warden_opts *o, char *err,
		size_t errlen)
{
	struct cgwarden_bpf *skel;
	int ret;

	memset(w, 0, sizeof(*w));
	w->next_slot = 1;
	verbose = o->verbose;
	libbpf_set_print(print_fn);

	w->nr_cpus = libbpf_num_possible_cpus();
	if (w->nr_cpus <= 0 || w->nr_cpus > CGW_MAX_CPUS) {
		snprintf(err, errlen, "unsupported number of possible CPUs: %d",
			 w->nr_cpus);
		return -ENOTSUP;
	}

	/* open */
	skel = cgwarden_bpf__open();
	if (!skel) {
		ret = -errno;
		snprintf(err, errlen, "cannot open BPF object: %s",
			 strerror(errno));
		return ret;
	}
	/* set read-only configuration */
	skel->rodata->window_ns = o->window_ns;
	skel->rodata->cooldown_ns = o->cooldown_ns;
	skel->rodata->clear_windows = o->clear_windows;
	skel->rodata->hyst_ppm = o->hyst_ppm;
	skel->rodata->nr_cpu_ids = (uint32_t)w->nr_cpus;
	skel->rodata->trace_windows = o->trace_windows;
	skel->rodata->span_windows = o->span_windows ?: 10;
	skel->rodata->active_ppm = o->active_ppm ?: 5000;
	skel->rodata->guard_ppm = o->guard_ppm;
	w->window_ns = o->window_ns;
	w->perf_fd = -1;
	w->perf_clock = o->clock == WARDEN_CLOCK_PERF ||
			(o->clock == WARDEN_CLOCK_AUTO && kernel_is_rt());
	bpf_program__set_autoload(skel->progs.cgw_arm, !w->perf_clock);
	bpf_program__set_autoload(skel->progs.cgw_tick, w->perf_clock);
	/* per-CPU state, counters and slot caches: one region per CPU */
	bpf_map__set_max_entries(skel->maps.cpus, (uint32_t)w->nr_cpus);
	bpf_map__set_max_entries(skel->maps.acct,
				 (uint32_t)w->nr_cpus * CGW_MAX_SLOTS);
	bpf_map__set_max_entries(skel->maps.tgc,
				 (uint32_t)w->nr_cpus * CGW_TGC_WAYS);

	/* load and verify */
	ret = cgwarden_bpf__load(skel);
	if (ret) {
		snprintf(
			err, errlen,
			"cannot load BPF programs: %s (run with -v for the verifier log)",
			strerror(-ret));
		goto cleanup;
	}
	w->slots_len = sizeof(struct cgw_slot) * CGW_MAX_SLOTS;
	/* writable for the two configuration words set at run time */
	w->slots = mmap(NULL, w->slots_len, PROT_READ | PROT_WRITE, MAP_SHARED,
			bpf_map__fd(skel->maps.slots), 0);
	if (w->slots == MAP_FAILED) {
		ret = -errno;
		w->slots = NULL;
		snprintf(err, errlen, "cannot mmap the slots map: %s",
			 strerror(errno));
		goto cleanup;
	}
	/* slot 0, idle time: evaluated for its share, never judged */
	{
		struct cgw_slot idle = { .active = 1 };
		uint32_t zero = 0;

		ret = bpf_map__update_elem(skel->maps.slots, &zero,
					   sizeof(zero), &idle, sizeof(idle),
					   BPF_ANY);
		if (ret) {
			snprintf(err, errlen, "cannot set up the idle slot: %s",
				 strerror(-ret));
			goto cleanup;
		}
	}
	skel->bss->nr_online = (uint32_t)sysconf(_SC_NPROCESSORS_ONLN);
	skel->bss->nr_slots = 1;
	w->skel = skel;
	return 0;

cleanup:
	w->skel = skel;
	warden_close(w);
	return ret;
}

static int watch(struct warden *w, uint64_t cgid, uint32_t min_ppm,
		 uint32_t max_ppm, uint32_t clear_max, uint32_t *slot)
{
	struct cgw_slot st = {
		.cgid = cgid,
		.min_ppm = min_ppm,
		.max_ppm = max_ppm,
		.active = 1,
		.clear_windows_max = clear_max,
	};
	uint32_t s = w->next_slot;
	int ret;

	/* Already watched without constraints, as the sibling of a group
	 * configured earlier: give that slot this group's constraints. */
	if (!bpf_map__lookup_elem(w->skel->maps.watch, &cgid, sizeof(cgid), &s,
				  sizeof(s), 0)) {
		struct cgw_slot cur;

		ret = bpf_map__lookup_elem(w->skel->maps.slots, &s, sizeof(s),
					   &cur, sizeof(cur), 0);
		if (ret)
			return ret;
		if (cur.min_ppm || cur.max_ppm)
			return -EEXIST;
		/* the window timer runs once attached: it owns the slot */
		if (w->skel->links.cgw_switch)
			return -EBUSY;
		cur.min_ppm = min_ppm;
		cur.max_ppm = max_ppm;
		cur.clear_windows_max = clear_max;
		ret = bpf_map__update_elem(w->skel->maps.slots, &s, sizeof(s),
					   &cur, sizeof(cur), BPF_EXIST);
		if (!ret)
			*slot = s;
		return ret;
	}
	s = w->next_slot;
	if (s >= CGW_MAX_SLOTS)
		return -ENOSPC;
	/* slot state first, then publish it in the watch map (its counters
	 * are still zero: slots are never reused) */
	ret = bpf_map__update_elem(w->skel->maps.slots, &s, sizeof(s), &st,
				   sizeof(st), BPF_ANY);
	if (!ret)
		ret = bpf_map__update_elem(w->skel->maps.watch, &cgid,
					   sizeof(cgid), &s, sizeof(s),
					   BPF_NOEXIST);
	if (ret)
		return ret;
	w->next_slot++;
	w->skel->bss->nr_slots = w->next_slot;
	/* each CPU re-resolves a task_group on its next switch */
	__atomic_add_fetch(&w->skel->bss->watch_gen, 1, __ATOMIC_SEQ_CST);
	*slot = s;
	return 0;
}

/* Map updates are bpf() calls: CAP_BPF is raised around them only
 * (user/privs.h) once the agent has dropped to its minimum. */
int warden_watch(struct warden *w, uint64_t cgid, uint32_t min_ppm,
		 uint32_t max_ppm, uint32_t clear_max, uint32_t *slot)
{
	int ret;

	privs_raise();
	ret = watch(w, cgid, min_ppm, max_ppm, clear_max, slot);
	privs_lower();
	return ret;
}

static int unwatch(struct warden *w, uint32_t slot)
{
	struct cgw_slot st;
	int ret;

	ret = bpf_map__lookup_elem(w->skel->maps.slots, &slot, sizeof(slot),
				   &st, sizeof(st), 0);
	if (ret)
		return ret;
	ret = bpf_map__delete_elem(w->skel->maps.watch, &st.cgid,
				   sizeof(st.cgid), 0);
	if (ret && ret != -ENOENT)
		return ret;
	/* The timer owns the window state; clearing `active` alone is a
	 * single aligned store it tolerates at any moment. */
	st.active = 0;
	ret = bpf_map__update_elem(w->skel->maps.slots, &slot, sizeof(slot),
				   &st, sizeof(st), BPF_EXIST);
	__atomic_add_fetch(&w->skel->bss->watch_gen, 1, __ATOMIC_SEQ_CST);
	return ret;
}

int warden_unwatch(struct warden *w, uint32_t slot)
{
	int ret;

	privs_raise();
	ret = unwatch(w, slot);
	privs_lower();
	return ret;
}

/* The perf window clock: a cpu-clock event on CPU 0 every window. */
static int attach_perf_clock(struct warden *w, char *err, size_t errlen)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_SOFTWARE,
		.size = sizeof(attr),
		.config = PERF_COUNT_SW_CPU_CLOCK,
		.sample_period = w->window_ns,
	};
	int ret;

	w->perf_fd = (int)syscall(SYS_perf_event_open, &attr, -1, 0, -1,
				  PERF_FLAG_FD_CLOEXEC);
	if (w->perf_fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot open the perf window clock: %s",
			 strerror(errno));
		return ret;
	}
	w->tick = bpf_program__attach_perf_event(w->skel->progs.cgw_tick,
						 w->perf_fd);
	if (!w->tick) {
		ret = -errno;
		snprintf(err, errlen, "cannot attach the perf window clock: %s",
			 strerror(errno));
		return ret;
	}
	return 0;
}

/* The bpf_timer clock is armed by running cgw_arm once: no second
 * sched_switch probe (bpf/cgwarden.bpf.c says why). */
static int arm_timer_clock(struct warden *w, char *err, size_t errlen)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts);
	int ret;

	ret = bpf_prog_test_run_opts(bpf_program__fd(w->skel->progs.cgw_arm),
				     &opts);
	if (ret) {
		ret = -errno;
		snprintf(err, errlen, "cannot arm the window timer: %s",
			 strerror(errno));
		return ret;
	}
	if (!w->skel->bss->timer_armed) {
		snprintf(err, errlen, "the window timer was not armed");
		return -ETIME;
	}
	return 0;
}

int warden_attach(struct warden *w, char *err, size_t errlen)
{
	int ret = cgwarden_bpf__attach(w->skel);

	if (ret) {
		snprintf(err, errlen, "cannot attach to sched_switch: %s",
			 strerror(-ret));
		return ret;
	}
	return w->perf_clock ? attach_perf_clock(w, err, errlen) :
			       arm_timer_clock(w, err, errlen);
}

static int read_cpus(struct warden *w, struct cgw_cpu *c)
{
	for (uint32_t cpu = 0; cpu < (uint32_t)w->nr_cpus; cpu++)
		if (bpf_map__lookup_elem(w->skel->maps.cpus, &cpu, sizeof(cpu),
					 &c[cpu], sizeof(c[cpu]), 0))
			return -errno;
	return 0;
}

static bool cpus_equal(const struct cgw_cpu *a, const struct cgw_cpu *b, int n)
{
	for (int i = 0; i < n; i++)
		if (a[i].seq != b[i].seq || (a[i].seq & 1))
			return false;
	return true;
}

/* @slot's counters on every CPU, into @a[cpu]. */
static int read_acct(struct warden *w, uint32_t slot, struct cgw_acct *a)
{
	for (uint32_t cpu = 0; cpu < (uint32_t)w->nr_cpus; cpu++) {
		uint32_t k = cpu * CGW_MAX_SLOTS + slot;

		if (bpf_map__lookup_elem(w->skel->maps.acct, &k, sizeof(k),
					 &a[cpu], sizeof(a[cpu]), 0))
			return -errno;
	}
	return 0;
}

int warden_usage(struct warden *w, uint32_t slot, uint64_t *run_ns,
		 uint64_t *wait_ns)
{
	struct cgw_cpu before[CGW_MAX_CPUS], after[CGW_MAX_CPUS];
	struct cgw_acct a[CGW_MAX_CPUS];
	uint64_t now = 0, run = 0, wait = 0, nq = 0, qsum = 0;
	int ret, tries;

	if (slot >= CGW_MAX_SLOTS)
		return -EINVAL;
	/* Every CPU's counters plus its time in progress, read so that no
	 * switch (which moves time from "in progress" to the counters)
	 * happens in between. */
	for (tries = 0; tries < 100; tries++) {
		ret = read_cpus(w, before);
		if (!ret) {
			now = cgw_now_ns();
			ret = read_acct(w, slot, a);
		}
		if (!ret)
			ret = read_cpus(w, after);
		if (ret)
			return ret;
		if (cpus_equal(before, after, w->nr_cpus))
			break;
	}
	for (int cpu = 0; cpu < w->nr_cpus; cpu++) {
		const struct cgw_cpu *c = &after[cpu];

		/* a wait begun on one CPU and ended on another: only the
		 * sums mean anything (mod 2^64) */
		run += a[cpu].run_ns;
		wait += a[cpu].wait_ns;
		nq += a[cpu].nr_queued;
		qsum += a[cpu].queued_ts_sum;
		/* the BPF side keeps each CPU's times on its rq->clock */
		if (!c->last || (int64_t)(now - c->off - c->last) <= 0)
			continue;
		for (uint32_t i = 0; i < c->nslots && i < CGW_MAX_NEST; i++)
			if (c->slot[i] == slot)
				run += now - c->off - c->last;
	}
	now -= after[0].off;
	if ((int64_t)nq > 0 && (int64_t)(nq * now - qsum) > 0)
		wait += nq * now - qsum;
	*run_ns = run;
	if (wait_ns)
		*wait_ns = wait;
	return 0;
}

int warden_last_window(struct warden *w, uint32_t slot, struct cgw_slot *out)
{
	volatile struct cgw_slot *st;
	uint32_t s1, s2;

	if (slot >= CGW_MAX_SLOTS || !w->slots)
		return -EINVAL;
	st = &w->slots[slot];
	/* the window clock rewrites an estimate in well under a microsecond:
	 * a few tries always find a quiet moment */
	for (int i = 0; i < 1000; i++) {
		s1 = __atomic_load_n(&st->seq, __ATOMIC_ACQUIRE);
		if (s1 & 1)
			continue;
		memcpy(out, (const void *)st, sizeof(*out));
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		s2 = __atomic_load_n(&st->seq, __ATOMIC_RELAXED);
		if (s1 == s2)
			return 0;
	}
	return -EAGAIN;
}

void warden_set_surplus(struct warden *w, uint32_t slot, uint32_t ppm)
{
	if (slot && slot < CGW_MAX_SLOTS && w->slots)
		__atomic_store_n(&w->slots[slot].surplus_ppm, ppm,
				 __ATOMIC_RELEASE);
}

int warden_set_wait(struct warden *w, uint32_t slot,
		    const struct cgw_wait_params *p)
{
	volatile struct cgw_slot *st;
	struct cgw_lring fresh;
	uint32_t li;
	int ret;

	if (!slot || slot >= CGW_MAX_SLOTS || !w->slots)
		return -EINVAL;
	st = &w->slots[slot];
	if (st->wait_lat) {
		li = st->wait_lat - 1;
	} else {
		if (w->next_lat >= CGW_MAX_LAT)
			return -ENOSPC;
		li = w->next_lat;
	}
	/* a fresh history: the window clock judges the entry only once it
	 * took a whole span of snapshots into it */
	memset(&fresh, 0, sizeof(fresh));
	memcpy(fresh.wgt, p->wgt, sizeof(fresh.wgt));
	privs_raise();
	__atomic_store_n(&st->wait_lat, 0, __ATOMIC_RELEASE);
	ret = bpf_map__update_elem(w->skel->maps.lrings, &li, sizeof(li),
				   &fresh, sizeof(fresh), BPF_ANY);
	privs_lower();
	if (ret)
		return ret;
	if (li == w->next_lat)
		w->next_lat++;
	st->wait_limit_us = p->limit_us;
	st->wait_pmil = p->pmil;
	st->wait_min = p->min;
	/* the configuration above, then the word that enables it */
	__atomic_store_n(&st->wait_lat, li + 1, __ATOMIC_RELEASE);
	return 0;
}

int warden_wait_span(struct warden *w, uint32_t slot,
		     uint32_t hist[CGW_HIST_BUCKETS])
{
	struct cgw_lring lr;
	uint32_t li;
	int ret;

	if (!slot || slot >= CGW_MAX_SLOTS || !w->slots ||
	    !w->slots[slot].wait_lat)
		return -ENOENT;
	li = w->slots[slot].wait_lat - 1;
	ret = bpf_map__lookup_elem(w->skel->maps.lrings, &li, sizeof(li), &lr,
				   sizeof(lr), 0);
	if (ret)
		return ret;
	memcpy(hist, lr.span, sizeof(lr.span));
	return 0;
}

int warden_wait_hist(struct warden *w, uint32_t slot,
		     uint32_t hist[CGW_HIST_BUCKETS])
{
	struct cgw_acct a;
	int ret = 0;

	if (slot >= CGW_MAX_SLOTS)
		return -EINVAL;
	memset(hist, 0, CGW_HIST_BUCKETS * sizeof(hist[0]));
	for (uint32_t cpu = 0; cpu < (uint32_t)w->nr_cpus && !ret; cpu++) {
		uint32_t k = cpu * CGW_MAX_SLOTS + slot;

		ret = bpf_map__lookup_elem(w->skel->maps.acct, &k, sizeof(k),
					   &a, sizeof(a), 0);
		for (int b = 0; !ret && b < CGW_HIST_BUCKETS; b++)
			hist[b] += a.hist[b];
	}
	return ret;
}

void warden_set_notify(struct warden *w, uint32_t slot, bool on)
{
	if (slot && slot < CGW_MAX_SLOTS && w->slots)
		__atomic_store_n(&w->slots[slot].notify, on ? 1 : 0,
				 __ATOMIC_RELEASE);
}

void warden_stats(struct warden *w, struct cgw_stats *st)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	memcpy(st, &w->skel->bss->stats, sizeof(*st));
}

int warden_events_fd(struct warden *w)
{
	return bpf_map__fd(w->skel->maps.events);
}

void warden_detach(struct warden *w)
{
	bpf_link__destroy(w->tick);
	w->tick = NULL;
	if (w->perf_fd >= 0)
		close(w->perf_fd);
	w->perf_fd = -1;
	if (w->skel)
		cgwarden_bpf__detach(w->skel);
}

void warden_close(struct warden *w)
{
	warden_detach(w);
	if (w->slots)
		munmap((void *)w->slots, w->slots_len);
	w->slots = NULL;
	cgwarden_bpf__destroy(w->skel);
	w->skel = NULL;
}
