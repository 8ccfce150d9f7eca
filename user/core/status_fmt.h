/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What `cgwarden status` shows: each group's state, decided here from the
 * agent's flags, and the reply formatted as text or JSON.  Pure C: the
 * agent fills struct cgw_status from its own tables (user/status.c).
 */
#ifndef CGW_STATUS_FMT_H
#define CGW_STATUS_FMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum cgw_gstate {
	CGW_GS_OK, /* constraint kept, nothing of ours in place */
	CGW_GS_BREACHED, /* the kernel reports the constraint broken */
	CGW_GS_RELAXING, /* kept again; our values step back to the originals */
	CGW_GS_UNREACHABLE, /* the minimum cannot be given by weights */
	CGW_GS_RELEASED, /* someone else changed a file of ours: hands off */
	CGW_GS_GONE, /* the cgroup vanished: no longer watched */
	CGW_GS_NR,
};

/* What a group's state is decided from. */
struct cgw_gstate_in {
	bool gone;
	bool released; /* a file of the group was released */
	bool unreachable; /* its minimum was reported unreachable */
	bool breached; /* the kernel's breach flag, min or max */
	bool changed; /* a value written for it is still in place */
};

/* Precedence: gone, released, unreachable, breached, relaxing, ok. */
enum cgw_gstate cgw_gstate_of(const struct cgw_gstate_in *in);
const char *cgw_gstate_name(enum cgw_gstate s);

struct cgw_sgroup {
	const char *name, *path, *scope;
	uint32_t min_ppm, max_ppm; /* 0: none */
	bool have_estimate; /* the kernel has judged a window of it */
	uint32_t share_ppm; /* over the span */
	uint32_t slow_share_ppm; /* slow average */
	uint32_t demand_ppm; /* run + wait over the span */
	uint64_t max_wait_ns; /* 0: no latency promise */
	uint32_t wait_pmil; /* its percentile, per mille */
	/* run-queue waits over the last span judged (groups with a
	 * max_wait): how many, p50, the promise's percentile and the
	 * longest wait's bucket bound, in us */
	bool have_waits;
	uint64_t waits;
	uint32_t wait_p50_us, wait_pctl_us, wait_max_us;
	enum cgw_gstate state;
};

/* A file the agent changed (or let go of). */
struct cgw_schange {
	const char *group; /* the section it was changed for, "-": none */
	const char *path, *file;
	const char *original; /* before the agent's first write */
	const char *current; /* the agent's last write */
	bool released; /* someone else changed it since: left alone */
	const char *foreign; /* released: the value found then */
	double released_s; /* released: seconds ago */
	double retake_s; /* released: taken back in (<0: never) */
};

struct cgw_status {
	const char *version, *config, *root, *mode;
	bool dry_run;
	size_t nwatched; /* cgroups followed: groups and their competitors */
	uint64_t writes, skipped, released;
	size_t ngroups;
	const struct cgw_sgroup *groups;
	size_t nchanges;
	const struct cgw_schange *changes;
};

/* Return 0, or -EIO when @f reports an error. */
int cgw_status_text(FILE *f, const struct cgw_status *s);
int cgw_status_json(FILE *f, const struct cgw_status *s);

#endif
