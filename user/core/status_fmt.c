// SPDX-License-Identifier: GPL-2.0
/* `cgwarden status` replies: see status_fmt.h. */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "json.h"
#include "status_fmt.h"
#include "units.h"

static const char *const gstate_names[CGW_GS_NR] = {
	[CGW_GS_OK] = "ok",
	[CGW_GS_BREACHED] = "breached",
	[CGW_GS_RELAXING] = "relaxing",
	[CGW_GS_UNREACHABLE] = "unreachable",
	[CGW_GS_RELEASED] = "released",
	[CGW_GS_GONE] = "gone",
};

enum cgw_gstate cgw_gstate_of(const struct cgw_gstate_in *in)
{
	if (in->gone)
		return CGW_GS_GONE;
	if (in->released)
		return CGW_GS_RELEASED;
	if (in->unreachable)
		return CGW_GS_UNREACHABLE;
	if (in->breached)
		return CGW_GS_BREACHED;
	if (in->changed)
		return CGW_GS_RELAXING;
	return CGW_GS_OK;
}

const char *cgw_gstate_name(enum cgw_gstate s)
{
	return (unsigned int)s < CGW_GS_NR ? gstate_names[s] : "unknown";
}

/* "min 50.00%", "max 25.00%", "min 10.00% max 60.00%", "wait 1ms p99" */
static void constraint(const struct cgw_sgroup *g, char *buf, size_t len)
{
	int n = 0;

	buf[0] = '\0';
	if (g->min_ppm)
		n = snprintf(buf, len, "min %u.%02u%%", g->min_ppm / 10000,
			     g->min_ppm / 100 % 100);
	if (g->max_ppm && n >= 0 && (size_t)n < len)
		n += snprintf(buf + n, len - (size_t)n, "%smax %u.%02u%%",
			      n ? " " : "", g->max_ppm / 10000,
			      g->max_ppm / 100 % 100);
	if (g->max_wait_ns && n >= 0 && (size_t)n < len) {
		char d[24];

		cgw_format_duration(g->max_wait_ns, d, sizeof(d));
		if (g->wait_pmil % 10)
			snprintf(buf + n, len - (size_t)n, "%swait %s p%u.%u",
				 n ? " " : "", d, g->wait_pmil / 10,
				 g->wait_pmil % 10);
		else
			snprintf(buf + n, len - (size_t)n, "%swait %s p%u",
				 n ? " " : "", d, g->wait_pmil / 10);
	}
}

/* Column widths of the group table: the longest name and path. */
static void widths(const struct cgw_status *s, int *wn, int *wp)
{
	*wn = 5; /* "GROUP" */
	*wp = 4; /* "PATH" */
	for (size_t i = 0; i < s->ngroups; i++) {
		int n = (int)strlen(s->groups[i].name);
		int p = (int)strlen(s->groups[i].path);

		*wn = n > *wn ? n : *wn;
		*wp = p > *wp ? p : *wp;
	}
}

int cgw_status_text(FILE *f, const struct cgw_status *s)
{
	int wn, wp;

	widths(s, &wn, &wp);

	fprintf(f,
		"cgwarden %s: %zu group%s, %zu cgroup%s watched with competitors, on %s (%s)%s\n",
		s->version, s->ngroups, s->ngroups == 1 ? "" : "s", s->nwatched,
		s->nwatched == 1 ? "" : "s", s->root, s->mode,
		s->dry_run ? ", dry run" : "");
	fprintf(f, "config %s\n\n", s->config);
	fprintf(f, "%-*s  %-*s  %-22s  %8s  %8s  %s\n", wn, "GROUP", wp, "PATH",
		"CONSTRAINT", "SHARE", "DEMAND", "STATE");
	for (size_t i = 0; i < s->ngroups; i++) {
		const struct cgw_sgroup *g = &s->groups[i];
		char c[48], share[16] = "-", demand[16] = "-";

		constraint(g, c, sizeof(c));
		if (g->have_estimate) {
			snprintf(share, sizeof(share), "%u.%02u%%",
				 g->share_ppm / 10000,
				 g->share_ppm / 100 % 100);
			snprintf(demand, sizeof(demand), "%u.%02u%%",
				 g->demand_ppm / 10000,
				 g->demand_ppm / 100 % 100);
		}
		fprintf(f, "%-*s  %-*s  %-22s  %8s  %8s  %s\n", wn, g->name, wp,
			g->path, c, share, demand, cgw_gstate_name(g->state));
	}
	for (size_t i = 0, head = 0; i < s->ngroups; i++) {
		const struct cgw_sgroup *g = &s->groups[i];
		uint32_t pm = g->max_wait_ns ? g->wait_pmil : 990;

		if (!g->have_waits)
			continue;
		if (!head++)
			fprintf(f,
				"\nrun-queue waits over the last span (us; max: its log2 bucket's bound):\n");
		if (pm % 10)
			fprintf(f,
				"  %-*s  %" PRIu64
				" waits, p50 %u, p%u.%u %u, max < %u\n",
				wn, g->name, g->waits, g->wait_p50_us, pm / 10,
				pm % 10, g->wait_pctl_us, g->wait_max_us);
		else
			fprintf(f,
				"  %-*s  %" PRIu64 " waits, p50 %u, p%u %u, max < %u\n",
				wn, g->name, g->waits, g->wait_p50_us, pm / 10,
				g->wait_pctl_us, g->wait_max_us);
	}
	if (s->nchanges)
		fprintf(f, "\nchanged by the agent (original -> now):\n");
	else
		fprintf(f, "\nnothing changed by the agent\n");
	for (size_t i = 0; i < s->nchanges; i++) {
		const struct cgw_schange *c = &s->changes[i];

		fprintf(f, "  [%s] %s %s: %s -> %s", c->group, c->path, c->file,
			c->original, c->current);
		if (!c->released)
			fputc('\n', f);
		else if (c->retake_s < 0)
			fprintf(f,
				" (released %.1f s ago: changed by someone else to %s)\n",
				c->released_s, c->foreign ? c->foreign : "?");
		else
			fprintf(f,
				" (released %.1f s ago: changed by someone else to %s; taken back in %.1f s)\n",
				c->released_s, c->foreign ? c->foreign : "?",
				c->retake_s);
	}
	fprintf(f,
		"\n%" PRIu64 " writes, %" PRIu64
		" skipped (already right), %" PRIu64 " files released\n",
		s->writes, s->skipped, s->released);
	return ferror(f) ? -EIO : 0;
}

static void json_kv(FILE *f, const char *key, const char *val, bool comma)
{
	fprintf(f, "%s\"%s\":", comma ? "," : "", key);
	cgw_json_str(f, val);
}

int cgw_status_json(FILE *f, const struct cgw_status *s)
{
	fputc('{', f);
	json_kv(f, "version", s->version, false);
	json_kv(f, "config", s->config, true);
	json_kv(f, "root", s->root, true);
	json_kv(f, "mode", s->mode, true);
	fprintf(f,
		",\"dry_run\":%s,\"watched\":%zu,\"writes\":%" PRIu64
		",\"skipped\":%" PRIu64 ",\"released\":%" PRIu64
		",\"groups\":[",
		s->dry_run ? "true" : "false", s->nwatched, s->writes,
		s->skipped, s->released);
	for (size_t i = 0; i < s->ngroups; i++) {
		const struct cgw_sgroup *g = &s->groups[i];

		fputs(i ? ",{" : "{", f);
		json_kv(f, "name", g->name, false);
		json_kv(f, "path", g->path, true);
		json_kv(f, "scope", g->scope, true);
		fprintf(f, ",\"min_share_ppm\":%u,\"max_share_ppm\":%u",
			g->min_ppm, g->max_ppm);
		if (g->have_estimate)
			fprintf(f,
				",\"share_ppm\":%u,\"slow_share_ppm\":%u,\"demand_ppm\":%u",
				g->share_ppm, g->slow_share_ppm, g->demand_ppm);
		else
			fputs(",\"share_ppm\":null,\"slow_share_ppm\":null,\"demand_ppm\":null",
			      f);
		fprintf(f, ",\"max_wait_ns\":%" PRIu64 ",\"max_wait_pmil\":%u",
			g->max_wait_ns, g->max_wait_ns ? g->wait_pmil : 0);
		if (g->have_waits)
			fprintf(f,
				",\"waits\":{\"count\":%" PRIu64
				",\"p50_us\":%u,\"pctl_us\":%u,\"pctl_pmil\":%u,\"max_us\":%u}",
				g->waits, g->wait_p50_us, g->wait_pctl_us,
				g->max_wait_ns ? g->wait_pmil : 990,
				g->wait_max_us);
		else
			fputs(",\"waits\":null", f);
		json_kv(f, "state", cgw_gstate_name(g->state), true);
		fputc('}', f);
	}
	fputs("],\"changes\":[", f);
	for (size_t i = 0; i < s->nchanges; i++) {
		const struct cgw_schange *c = &s->changes[i];

		fputs(i ? ",{" : "{", f);
		json_kv(f, "group", c->group, false);
		json_kv(f, "path", c->path, true);
		json_kv(f, "file", c->file, true);
		json_kv(f, "original", c->original, true);
		json_kv(f, "current", c->current, true);
		fprintf(f, ",\"released\":%s", c->released ? "true" : "false");
		if (c->released) {
			json_kv(f, "released_why", "changed by someone else",
				true);
			json_kv(f, "foreign", c->foreign ? c->foreign : "",
				true);
			fprintf(f, ",\"released_s\":%.3f", c->released_s);
			if (c->retake_s >= 0)
				fprintf(f, ",\"retake_in_s\":%.3f",
					c->retake_s);
		}
		fputc('}', f);
	}
	fputs("]}\n", f);
	return ferror(f) ? -EIO : 0;
}
