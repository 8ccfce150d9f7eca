/* SPDX-License-Identifier: GPL-2.0 */
/* The BPF side of the agent: load, watch cgroups, attach, read counters. */
#ifndef CGW_WARDEN_H
#define CGW_WARDEN_H

#include <stdbool.h>
#include <stdint.h>

#include "cgwarden.h"

struct cgw_wait_params; /* core/policy.h */

struct cgwarden_bpf;
struct ring_buffer;

enum warden_clock {
	WARDEN_CLOCK_AUTO = 0, /* perf on PREEMPT_RT, else timer */
	WARDEN_CLOCK_TIMER, /* bpf_timer */
	WARDEN_CLOCK_PERF, /* perf cpu-clock event on one CPU */
};

struct warden_opts {
	uint64_t window_ns;
	uint64_t cooldown_ns;
	uint32_t clear_windows;
	uint32_t hyst_ppm;
	bool verbose; /* libbpf debug output */
	bool trace_windows; /* a record for every window of every slot */
	uint32_t span_windows; /* windows in the sliding estimate, 1..15 */
	uint32_t active_ppm; /* a competitor is busy above this share */
	uint32_t guard_ppm; /* a min breach needs the slow average below
			     * min + guard (the agent's margin) */
	enum warden_clock clock;
};

struct warden {
	struct cgwarden_bpf *skel;
	int nr_cpus; /* possible CPUs */
	uint32_t next_slot;
	uint32_t next_lat; /* next free entry of the lrings map */
	volatile struct cgw_slot *slots; /* mmap of the slots map */
	size_t slots_len;
	bool perf_clock; /* windows closed by cgw_tick, not bpf_timer */
	uint64_t window_ns;
	int perf_fd;
	struct bpf_link *tick;
};

const char *warden_clock_name(const struct warden *w);

/* Checks the kernel for what the BPF side needs; names what is missing. */
int warden_probe(char *err, size_t errlen);

/* open -> set read-only config -> load.  Nothing is attached yet. */
int warden_load(struct warden *w, const struct warden_opts *o, char *err,
		size_t errlen);

/* Starts watching cgroup @cgid with the given constraints (0:
 * none); a max breach clears after @clear_max good windows (0: the global
 * clear_windows).  The slot can be used at once; returns it in @slot.
 * A cgroup already watched without constraints (a sibling found for an
 * earlier group) keeps its slot and takes these constraints: only before
 * warden_attach(), since the whole slot is rewritten.  -EEXIST if it has
 * constraints already. */
int warden_watch(struct warden *w, uint64_t cgid, uint32_t min_ppm,
		 uint32_t max_ppm, uint32_t clear_max, uint32_t *slot);

/* The last span's wait histogram of @slot, which has a wait promise (a
 * bpf() lookup: on events, not per window; the caller raises CAP_BPF,
 * privs.h); -ENOENT without a promise. */
int warden_wait_span(struct warden *w, uint32_t slot,
		     uint32_t hist[CGW_HIST_BUCKETS]);

/* @slot's wait histogram since it was watched, summed over CPUs (mod
 * 2^32 per bucket: use differences; bpf() lookups, like warden_usage()). */
int warden_wait_hist(struct warden *w, uint32_t slot,
		     uint32_t hist[CGW_HIST_BUCKETS]);

/* Gives @slot a wait promise (max_wait, judged by the window clock with
 * @p: core/policy.h), or new limits for the one it has.  Its histogram
 * history starts afresh.  -ENOSPC past CGW_MAX_LAT promises. */
int warden_set_wait(struct warden *w, uint32_t slot,
		    const struct cgw_wait_params *p);

/* SURPLUS edges of @slot's minimum above @ppm (0: none), and ACTIVE/IDLE
 * edges of @slot as a competitor: single words the window clock reads. */
void warden_set_surplus(struct warden *w, uint32_t slot, uint32_t ppm);
void warden_set_notify(struct warden *w, uint32_t slot, bool on);

/* Stops watching a slot (its cgroup vanished).  Slots are not reused. */
int warden_unwatch(struct warden *w, uint32_t slot);

int warden_attach(struct warden *w, char *err, size_t errlen);

/* Cumulative CPU time and run-queue wait of @slot up to now, including the
 * time in progress on every CPU (CLOCK_MONOTONIC == bpf_ktime_get_ns). */
int warden_usage(struct warden *w, uint32_t slot, uint64_t *run_ns,
		 uint64_t *wait_ns);

/* The estimate @slot's last window published (no syscall): a consistent
 * copy taken under the slot's sequence count.  -EAGAIN if the window clock
 * kept rewriting it, -EINVAL for a bad slot. */
int warden_last_window(struct warden *w, uint32_t slot, struct cgw_slot *out);

void warden_stats(struct warden *w, struct cgw_stats *st);
int warden_events_fd(struct warden *w);
/* Detaches the programs (sched_switch, the window clock): no more
 * records; maps stay readable until warden_close(). */
void warden_detach(struct warden *w);
void warden_close(struct warden *w);

uint64_t cgw_now_ns(void);

#endif
