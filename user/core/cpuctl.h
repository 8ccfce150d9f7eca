/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The cgroup files cgwarden manages, in one table: their names, the
 * hierarchy mode each belongs to and the values the kernel accepts.  A file
 * that is not in this table is never written by the agent nor by
 * `cgwarden --restore`, whatever a state file says.  A new managed file
 * (e.g. cpu.idle) joins the table in cpuctl.c.  Pure C, no libbpf.
 */
#ifndef CGW_CPUCTL_H
#define CGW_CPUCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cgroupfs.h"

enum cgw_cpuctl_kind {
	CGW_CPUCTL_WEIGHT, /* one integer in [min, max] */
	CGW_CPUCTL_QUOTA_V1, /* "-1" or a quota in us */
	CGW_CPUCTL_QUOTA_V2, /* "max|QUOTA [PERIOD]" in us */
};

struct cgw_cpuctl {
	const char *name; /* e.g. "cpu.shares" */
	enum cgw_mode mode; /* the hierarchy it exists in */
	enum cgw_cpuctl_kind kind;
	uint64_t min, max; /* range of a weight */
};

/* A parsed value: quota CGW_CPUCTL_UNLIMITED for "max"/"-1", period 0
 * when the value does not name one. */
struct cgw_cpuctl_val {
	uint64_t v; /* weight, or quota in us */
	uint64_t period_us;
};

#define CGW_CPUCTL_UNLIMITED UINT64_MAX
/* The kernel's bounds for CFS bandwidth (kernel/sched/core.c): a period
 * of 1 ms .. 1 s, a quota of at least 1 ms and below 2^44 us. */
#define CGW_QUOTA_MIN_US 1000ULL
#define CGW_QUOTA_MAX_US ((1ULL << 44) - 1)
#define CGW_PERIOD_MIN_US 1000ULL
#define CGW_PERIOD_MAX_US 1000000ULL

/* The managed file @name of hierarchy @mode, or NULL if it is not one. */
const struct cgw_cpuctl *cgw_cpuctl_find(enum cgw_mode mode, const char *name);

/* The weight and the quota file of @mode ("cpu.shares", "cpu.max", ...). */
const char *cgw_cpuctl_weight_name(enum cgw_mode mode);
const char *cgw_cpuctl_quota_name(enum cgw_mode mode);

/* "cgroup-v1"/"cgroup-v2" (cgw_mode_name()'s words) -> mode, else NONE. */
enum cgw_mode cgw_mode_from_name(const char *name);

/*
 * Parses @s as a value of @c, within the kernel's range.  Returns 0, or
 * -EINVAL (not a value of that file) / -ERANGE (out of range) with the
 * reason in @why.
 */
int cgw_cpuctl_parse(const struct cgw_cpuctl *c, const char *s,
		     struct cgw_cpuctl_val *val, char *why, size_t whylen);

/* Do @a and @b mean the same setting of @c?  ("max" and "max 100000" do
 * when one names no period.)  Unparsable values are never the same. */
bool cgw_cpuctl_same(const struct cgw_cpuctl *c, const char *a, const char *b);

#endif
