/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The Prometheus endpoint's page: everything it shows, as plain values in
 * struct cgw_metrics, formatted here in the text exposition format
 * (version 0.0.4).  Base units (seconds, ratios), counters end in _total,
 * labels are bounded: a group's section name and fixed words, never a
 * path.  Pure C: user/metrics.c fills the struct and serves the page.
 */
#ifndef CGW_METRICS_FMT_H
#define CGW_METRICS_FMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cgwarden.h"
#include "status_fmt.h"

/* Why the agent wrote a value: the `reason` label of writes_total. */
enum cgw_why {
	CGW_WHY_SETPOINT, /* a minimum's weight, up to the model's setpoint */
	CGW_WHY_FEEDBACK, /* ... above it, the model fell short */
	CGW_WHY_RELAX, /* a weight stepped back toward its original */
	CGW_WHY_ORIGINAL, /* a weight back at its original */
	CGW_WHY_CAP, /* a maximum's quota */
	CGW_WHY_ESCALATION, /* a competitor capped for a minimum */
	CGW_WHY_UNCAP, /* a quota stepped back toward its original */
	CGW_WHY_WAIT, /* a weight raised for a wait promise (max_wait) */
	CGW_WHY_WAIT_IDLE, /* a competitor marked cpu.idle for a wait promise */
	CGW_WHY_UNIDLE, /* cpu.idle back at its original, weight repaired */
	CGW_WHY_NR,
};

const char *cgw_why_name(enum cgw_why why);

/* Breach -> written, in ns; buckets 10 us .. 10 ms, plus +Inf. */
#define CGW_HIST_NB 10
extern const uint64_t cgw_hist_le_ns[CGW_HIST_NB];

struct cgw_hist {
	uint64_t bucket[CGW_HIST_NB + 1]; /* per bucket, the last is +Inf */
	uint64_t count;
	uint64_t sum_ns;
};

void cgw_hist_observe(struct cgw_hist *h, uint64_t ns);

struct cgw_mgroup {
	const char *name; /* section */
	uint32_t min_ppm, max_ppm; /* 0: none */
	bool have_estimate;
	uint32_t share_ppm; /* over the span */
	bool breached[CGW_NR_KINDS]; /* the kernel's flags */
	bool have_usage;
	uint64_t run_ns, wait_ns; /* cumulative, since the agent started */
	uint64_t max_wait_ns; /* 0: no latency promise */
	bool have_hist;
	/* every completed wait since the cgroup was watched, by log2 us
	 * bucket (cgwarden.h) */
	uint32_t hist[CGW_HIST_BUCKETS];
	uint64_t breaches[CGW_NR_KINDS]; /* breach edges */
	enum cgw_gstate state;
};

struct cgw_metrics {
	const char *version;
	uint64_t writes[CGW_WHY_NR];
	uint64_t skipped; /* the file already held the value */
	uint64_t released; /* files let go: someone else changed them */
	uint64_t deferred; /* writes held back by the per-file cooldown/hold */
	uint64_t stale; /* ring-buffer records dropped as stale */
	uint64_t shed; /* --trace-windows records shed under a backlog */
	uint64_t unreachable; /* minimums reported unreachable */
	struct cgw_hist reaction;
	bool have_kernel;
	struct cgw_stats kernel;
	size_t ngroups;
	const struct cgw_mgroup *groups;
};

/* The whole page; 0, or -EIO when @f reports an error. */
int cgw_metrics_format(FILE *f, const struct cgw_metrics *m);

#endif
