/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The cgroup files cgwarden manages, in one table: their names, the
 * hierarchy mode each belongs to and the values the kernel accepts.  A file
 * that is not in this table is never written by the agent nor by
 * `cgwarden --restore`, whatever a state file says.  A new managed file
 * joins the table in cpuctl.c.  Everything else the agent
 * knows about v1 against v2 is here too: weight ranges, the v1 <-> v2
 * weight conversion, quota and period formats.  Pure C, no libbpf, no I/O.
 */
#ifndef CGW_CPUCTL_H
#define CGW_CPUCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cgroupfs.h"

#define CGW_SHARES_MIN 2ULL /* cgroup v1 cpu.shares */
#define CGW_SHARES_MAX 262144ULL
#define CGW_SHARES_DFL 1024ULL
#define CGW_WEIGHT_MIN 1ULL /* cgroup v2 cpu.weight */
#define CGW_WEIGHT_MAX 10000ULL
#define CGW_WEIGHT_DFL 100ULL
#define CGW_PERIOD_DFL_US 100000ULL /* the kernel's default CFS period */

/*
 * v1 <-> v2 weight conversion, version 1: the kernel's own linear mapping
 * (1024 shares == weight 100), rounded to nearest, clamped to the target
 * range.  Not runc's pre-1.3 formula, which mapped 1024 to 39.
 */
#define CGW_WEIGHT_CONV_VERSION 1
uint64_t cgw_shares_to_weight(uint64_t shares);
uint64_t cgw_weight_to_shares(uint64_t weight);

enum cgw_cpuctl_kind {
	CGW_CPUCTL_WEIGHT, /* one integer in [min, max] */
	CGW_CPUCTL_QUOTA_V1, /* "-1" or a quota in us */
	CGW_CPUCTL_QUOTA_V2, /* "max|QUOTA [PERIOD]" in us */
	CGW_CPUCTL_FLAG, /* 0 or 1 (cpu.idle) */
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
/* "cpu.idle": SCHED_IDLE for a whole group.  The kernel refuses weight
 * writes while it is 1 and resets the weight to the default
 * (cgw_cpuctl_weight_dfl()) when it goes back to 0. */
const char *cgw_cpuctl_idle_name(enum cgw_mode mode);

/* The weight range of @mode (shares 2..262144, weight 1..10000). */
uint64_t cgw_cpuctl_weight_min(enum cgw_mode mode);
uint64_t cgw_cpuctl_weight_max(enum cgw_mode mode);
/* The kernel's default weight of @mode (shares 1024, weight 100). */
uint64_t cgw_cpuctl_weight_dfl(enum cgw_mode mode);

/* The weight of @mode in the ratio @shares (cpu.shares) names: v1 the
 * shares themselves, v2 cgw_shares_to_weight(@shares).  The one rule for
 * tests, benchmarks and the demo to set "weights 2:1:1" on either mode. */
uint64_t cgw_cpuctl_weight_of_shares(enum cgw_mode mode, uint64_t shares);

/*
 * A quota file's text as the kernel prints it ("-1", "50000", "max 100000",
 * "50000 100000"): the quota in us, CGW_CPUCTL_UNLIMITED for "-1"/"max",
 * and the period into *@period when the text names one (@period may be
 * NULL).  Lenient: for values read back from the kernel, not for input.
 */
uint64_t cgw_cpuctl_quota_of(const char *s, uint64_t *period);

/* @quota (CGW_CPUCTL_UNLIMITED: none) as @mode's quota file takes it: v1
 * "-1" or "Q", v2 "max P" or "Q P". */
void cgw_cpuctl_format_quota(enum cgw_mode mode, uint64_t quota,
			     uint64_t period, char *buf, size_t len);

/* The file that holds @mode's CFS period ("cpu.cfs_period_us", "cpu.max"),
 * and the period its text @s gives (CGW_PERIOD_DFL_US if none). */
const char *cgw_cpuctl_period_name(enum cgw_mode mode);
uint64_t cgw_cpuctl_period_of(enum cgw_mode mode, const char *s);

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
