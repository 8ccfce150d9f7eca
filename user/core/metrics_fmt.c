// SPDX-License-Identifier: GPL-2.0
/*
 * Prometheus text exposition format (0.0.4): for each metric a # HELP and
 * a # TYPE line, then its samples; label values escaped (\\, \", \n).
 * Shares are ratios (0..1), times are seconds.  `promtool check metrics`
 * must find nothing to say about the page (tests/unit/test_metrics_fmt.c
 * builds one, tests/integration/test_metrics.c lints the agent's).
 */
#include <errno.h>
#include <inttypes.h>

#include "metrics_fmt.h"

static const char *const why_names[CGW_WHY_NR] = {
	[CGW_WHY_SETPOINT] = "setpoint",
	[CGW_WHY_FEEDBACK] = "feedback",
	[CGW_WHY_RELAX] = "relax",
	[CGW_WHY_ORIGINAL] = "original",
	[CGW_WHY_CAP] = "cap",
	[CGW_WHY_ESCALATION] = "escalation",
	[CGW_WHY_UNCAP] = "uncap",
	[CGW_WHY_WAIT] = "wait",
	[CGW_WHY_WAIT_IDLE] = "wait-idle",
	[CGW_WHY_UNIDLE] = "unidle",
};

static const char *const kind_names[CGW_NR_KINDS] = {
	[CGW_KIND_MIN] = "min",
	[CGW_KIND_MAX] = "max",
	[CGW_KIND_WAIT] = "wait",
};

const uint64_t cgw_hist_le_ns[CGW_HIST_NB] = {
	10000,	25000,	 50000,	  100000,  250000,
	500000, 1000000, 2500000, 5000000, 10000000,
};

const char *cgw_why_name(enum cgw_why why)
{
	return (unsigned int)why < CGW_WHY_NR ? why_names[why] : "unknown";
}

void cgw_hist_observe(struct cgw_hist *h, uint64_t ns)
{
	int i = 0;

	while (i < CGW_HIST_NB && ns > cgw_hist_le_ns[i])
		i++;
	h->bucket[i]++;
	h->count++;
	h->sum_ns += ns;
}

static void head(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A label value, escaped as the format wants. */
static void label(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			fprintf(f, "\\%c", *s);
		else if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

/* ns or ppm as a decimal with up to 9 or 6 places, no float rounding. */
static void fixed(FILE *f, uint64_t v, uint64_t unit, int places)
{
	fprintf(f, "%" PRIu64 ".%0*" PRIu64, v / unit, places, v % unit);
}

static void seconds(FILE *f, uint64_t ns)
{
	fixed(f, ns, 1000000000, 9);
}

static void ratio(FILE *f, uint32_t ppm)
{
	fixed(f, ppm, 1000000, 6);
}

static void group_sample(FILE *f, const char *metric, const char *group,
			 const char *kind)
{
	fprintf(f, "%s{group=", metric);
	label(f, group);
	if (kind) {
		fputs(",kind=", f);
		label(f, kind);
	}
	fputs("} ", f);
}

enum kind_value { KV_LIMIT, KV_BREACHED, KV_BREACHES };

/* One series per group and configured kind (min, max): the limit, the
 * breached flag or the breach count. */
static void per_kind(FILE *f, const struct cgw_metrics *m, const char *metric,
		     const char *type, const char *help, enum kind_value v)
{
	head(f, metric, type, help);
	for (size_t i = 0; i < m->ngroups; i++) {
		const struct cgw_mgroup *g = &m->groups[i];
		uint32_t lim[CGW_NR_KINDS] = { g->min_ppm, g->max_ppm,
					       g->max_wait_ns ? 1 : 0 };

		for (int k = 0; k < CGW_NR_KINDS; k++) {
			if (!lim[k])
				continue;
			/* a wait limit is no ratio: it has its own gauge */
			if (v == KV_LIMIT && k == CGW_KIND_WAIT)
				continue;
			group_sample(f, metric, g->name, kind_names[k]);
			if (v == KV_LIMIT)
				ratio(f, lim[k]);
			else if (v == KV_BREACHED)
				fputs(g->breached[k] ? "1" : "0", f);
			else
				fprintf(f, "%" PRIu64, g->breaches[k]);
			fputc('\n', f);
		}
	}
}

static void groups(FILE *f, const struct cgw_metrics *m)
{
	head(f, "cgwarden_group_share_ratio", "gauge",
	     "Share of the machine (all online CPUs) the group used over the sliding estimate (span).");
	for (size_t i = 0; i < m->ngroups; i++) {
		if (!m->groups[i].have_estimate)
			continue;
		group_sample(f, "cgwarden_group_share_ratio", m->groups[i].name,
			     NULL);
		ratio(f, m->groups[i].share_ppm);
		fputc('\n', f);
	}
	per_kind(
		f, m, "cgwarden_group_limit_ratio", "gauge",
		"The group's promised minimum (kind=min) or allowed maximum (kind=max) share of the machine.",
		KV_LIMIT);
	per_kind(
		f, m, "cgwarden_group_breached", "gauge",
		"1 while the kernel side reports the group's constraint broken, else 0.",
		KV_BREACHED);
	per_kind(f, m, "cgwarden_group_breaches_total", "counter",
		 "Breach edges the kernel side reported for the group.",
		 KV_BREACHES);
	head(f, "cgwarden_group_cpu_seconds_total", "counter",
	     "CPU time of the group's tasks (and its watched descendants') since the agent started.");
	for (size_t i = 0; i < m->ngroups; i++) {
		if (!m->groups[i].have_usage)
			continue;
		group_sample(f, "cgwarden_group_cpu_seconds_total",
			     m->groups[i].name, NULL);
		seconds(f, m->groups[i].run_ns);
		fputc('\n', f);
	}
	head(f, "cgwarden_group_runqueue_wait_seconds_total", "counter",
	     "Time the group's runnable tasks waited on a run queue since the agent started.");
	for (size_t i = 0; i < m->ngroups; i++) {
		if (!m->groups[i].have_usage)
			continue;
		group_sample(f, "cgwarden_group_runqueue_wait_seconds_total",
			     m->groups[i].name, NULL);
		seconds(f, m->groups[i].wait_ns);
		fputc('\n', f);
	}
	head(f, "cgwarden_group_max_wait_seconds", "gauge",
	     "The group's latency promise (max_wait): the limit its run-queue waits' percentile (max_wait_percentile) keeps under.");
	for (size_t i = 0; i < m->ngroups; i++) {
		if (!m->groups[i].max_wait_ns)
			continue;
		group_sample(f, "cgwarden_group_max_wait_seconds",
			     m->groups[i].name, NULL);
		seconds(f, m->groups[i].max_wait_ns);
		fputc('\n', f);
	}
	head(f, "cgwarden_group_runqueue_waits_seconds", "histogram",
	     "Each run-queue wait of the group's tasks, counted by the kernel side at switch-in in log2 buckets of microseconds, since the agent started watching it.");
	for (size_t i = 0; i < m->ngroups; i++) {
		const struct cgw_mgroup *g = &m->groups[i];
		uint64_t cum = 0;

		if (!g->have_hist)
			continue;
		/* the last bucket has no upper bound: it is +Inf */
		for (int b = 0; b < CGW_HIST_BUCKETS - 1; b++) {
			cum += g->hist[b];
			fputs("cgwarden_group_runqueue_waits_seconds_bucket{group=",
			      f);
			label(f, g->name);
			fputs(",le=\"", f);
			seconds(f, cgw_bucket_hi_us((uint32_t)b) * 1000);
			fprintf(f, "\"} %" PRIu64 "\n", cum);
		}
		cum += g->hist[CGW_HIST_BUCKETS - 1];
		fputs("cgwarden_group_runqueue_waits_seconds_bucket{group=", f);
		label(f, g->name);
		fprintf(f, ",le=\"+Inf\"} %" PRIu64 "\n", cum);
		group_sample(f, "cgwarden_group_runqueue_waits_seconds_sum",
			     g->name, NULL);
		seconds(f, g->wait_ns);
		fputc('\n', f);
		group_sample(f, "cgwarden_group_runqueue_waits_seconds_count",
			     g->name, NULL);
		fprintf(f, "%" PRIu64 "\n", cum);
	}
	head(f, "cgwarden_group_state", "gauge",
	     "1 for the group's current state (ok, breached, relaxing, unreachable, released, gone), 0 for the others.");
	for (size_t i = 0; i < m->ngroups; i++) {
		for (int s = 0; s < CGW_GS_NR; s++) {
			fputs("cgwarden_group_state{group=", f);
			label(f, m->groups[i].name);
			fprintf(f, ",state=\"%s\"} %d\n",
				cgw_gstate_name((enum cgw_gstate)s),
				m->groups[i].state == (enum cgw_gstate)s);
		}
	}
}

static void reaction(FILE *f, const struct cgw_hist *h)
{
	uint64_t cum = 0;

	head(f, "cgwarden_reaction_seconds", "histogram",
	     "From the kernel seeing a breach to the agent's write returning.");
	for (int i = 0; i < CGW_HIST_NB; i++) {
		cum += h->bucket[i];
		fputs("cgwarden_reaction_seconds_bucket{le=\"", f);
		seconds(f, cgw_hist_le_ns[i]);
		fprintf(f, "\"} %" PRIu64 "\n", cum);
	}
	fprintf(f,
		"cgwarden_reaction_seconds_bucket{le=\"+Inf\"} %" PRIu64 "\n",
		h->count);
	fputs("cgwarden_reaction_seconds_sum ", f);
	seconds(f, h->sum_ns);
	fprintf(f, "\ncgwarden_reaction_seconds_count %" PRIu64 "\n", h->count);
}

static void counter(FILE *f, const char *name, const char *help, uint64_t v)
{
	head(f, name, "counter", help);
	fprintf(f, "%s %" PRIu64 "\n", name, v);
}

static void kernel(FILE *f, const struct cgw_stats *k)
{
	counter(f, "cgwarden_kernel_windows_total",
		"Windows the kernel side evaluated.", k->windows);
	counter(f, "cgwarden_kernel_events_sent_total",
		"Records the kernel side sent through the ring buffer.",
		k->events_sent);
	counter(f, "cgwarden_kernel_events_dropped_total",
		"Records lost because the ring buffer was full.",
		k->events_dropped);
	counter(f, "cgwarden_kernel_late_windows_total",
		"Windows that closed more than one window late.",
		k->timer_late);
	counter(f, "cgwarden_kernel_nest_overflow_total",
		"Tasks with more watched ancestors than fit (the outer ones are not credited).",
		k->nest_overflow);
	counter(f, "cgwarden_kernel_stale_cpu_total",
		"Times in progress skipped because a CPU ran a task no reported switch brought in.",
		k->stale_cpu);
	counter(f, "cgwarden_kernel_wait_rejected_total",
		"Impossible in-progress run-queue waits not counted.",
		k->wait_rejected);
}

int cgw_metrics_format(FILE *f, const struct cgw_metrics *m)
{
	head(f, "cgwarden_build_info", "gauge",
	     "Always 1; the agent's version in a label.");
	fputs("cgwarden_build_info{version=", f);
	label(f, m->version);
	fputs("} 1\n", f);
	groups(f, m);
	head(f, "cgwarden_writes_total", "counter",
	     "Values the agent wrote to cgroup files, by reason.");
	for (int i = 0; i < CGW_WHY_NR; i++)
		fprintf(f, "cgwarden_writes_total{reason=\"%s\"} %" PRIu64 "\n",
			why_names[i], m->writes[i]);
	counter(f, "cgwarden_writes_skipped_total",
		"Writes not made because the file already held the value.",
		m->skipped);
	counter(f, "cgwarden_files_released_total",
		"Files let go because someone else changed them after the agent.",
		m->released);
	counter(f, "cgwarden_writes_deferred_total",
		"Writes held back by the file's cooldown or hold (per-file rule).",
		m->deferred);
	counter(f, "cgwarden_records_stale_total",
		"Ring-buffer records dropped as stale: superseded by a later edge, or an action older than the span.",
		m->stale);
	counter(f, "cgwarden_records_shed_total",
		"--trace-windows records shed because they were older than the span (a backlog).",
		m->shed);
	counter(f, "cgwarden_unreachable_total",
		"Minimums reported unreachable by weights (once an episode).",
		m->unreachable);
	reaction(f, &m->reaction);
	if (m->have_kernel)
		kernel(f, &m->kernel);
	return ferror(f) ? -EIO : 0;
}
