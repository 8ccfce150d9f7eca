/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What this machine offers the agent (`cgwarden --probe`), one check per
 * requirement.  The kernel checks are also what a start refuses on
 * (warden_probe), so the table and the refusal never disagree.
 */
#ifndef CGW_PROBE_H
#define CGW_PROBE_H

#include <stddef.h>
#include <stdio.h>

struct cgw_config;

enum probe_status {
	PROBE_OK,
	PROBE_WARN, /* the agent runs, with less than it could */
	PROBE_FAIL, /* the agent cannot run */
};

/* The checks a start needs (BTF, maps, helpers, lockdown): 0, or -errno
 * with the first failing requirement in @err. */
int probe_kernel(char *err, size_t errlen);

/* A warning a start logs but does not refuse on (sched_ext); 0 if none. */
int probe_start_warnings(char *msg, size_t len);

/*
 * Prints the table of every requirement to @out: kernel, BPF features,
 * window clock, cgroup mode, cpu controller (for each group of @cfg when
 * given, else at the root), capabilities, lockdown, sched_ext.  Returns
 * the number of failing lines (0: the agent can run here).
 */
int probe_print(FILE *out, const char *cgroup_root,
		const struct cgw_config *cfg);

#endif
