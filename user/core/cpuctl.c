// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "cpuctl.h"

/* Every file the agent may write.  Add new managed files here only. */
static const struct cgw_cpuctl files[] = {
	{ "cpu.shares", CGW_MODE_V1, CGW_CPUCTL_WEIGHT, CGW_SHARES_MIN,
	  CGW_SHARES_MAX },
	{ "cpu.cfs_quota_us", CGW_MODE_V1, CGW_CPUCTL_QUOTA_V1, 0, 0 },
	{ "cpu.weight", CGW_MODE_V2, CGW_CPUCTL_WEIGHT, CGW_WEIGHT_MIN,
	  CGW_WEIGHT_MAX },
	{ "cpu.max", CGW_MODE_V2, CGW_CPUCTL_QUOTA_V2, 0, 0 },
	/* SCHED_IDLE for a whole group (5.15+, both modes); setting it
	 * back to 0 resets the group's weight to the default */
	{ "cpu.idle", CGW_MODE_V1, CGW_CPUCTL_FLAG, 0, 1 },
	{ "cpu.idle", CGW_MODE_V2, CGW_CPUCTL_FLAG, 0, 1 },
};

const struct cgw_cpuctl *cgw_cpuctl_find(enum cgw_mode mode, const char *name)
{
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		if (files[i].mode == mode && !strcmp(files[i].name, name))
			return &files[i];
	return NULL;
}

static const char *name_of(enum cgw_mode mode, enum cgw_cpuctl_kind k1,
			   enum cgw_cpuctl_kind k2)
{
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		if (files[i].mode == mode &&
		    (files[i].kind == k1 || files[i].kind == k2))
			return files[i].name;
	return NULL;
}

const char *cgw_cpuctl_weight_name(enum cgw_mode mode)
{
	return name_of(mode, CGW_CPUCTL_WEIGHT, CGW_CPUCTL_WEIGHT);
}

const char *cgw_cpuctl_quota_name(enum cgw_mode mode)
{
	return name_of(mode, CGW_CPUCTL_QUOTA_V1, CGW_CPUCTL_QUOTA_V2);
}

const char *cgw_cpuctl_idle_name(enum cgw_mode mode)
{
	return name_of(mode, CGW_CPUCTL_FLAG, CGW_CPUCTL_FLAG);
}

/* --- weights ------------------------------------------------------------ */

static uint64_t clamp_u64(uint64_t v, uint64_t lo, uint64_t hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/*
 * CGW_WEIGHT_CONV_VERSION 1: the kernel's linear mapping, 1024 shares ==
 * weight 100, rounded half up (DIV_ROUND_CLOSEST, as the kernel converts
 * cpu.weight to and from its 1024-based load weight) and clamped to the
 * target range:
 *
 *   weight = clamp((shares * 100 + 512) / 1024, 1, 10000)
 *   shares = clamp((weight * 1024 + 50) / 100, 2, 262144)
 *
 * e.g. 1024 <-> 100, 2 -> 1, 128 -> 13 (12.5 rounds up), 262144 -> 10000
 * (25600 clamped), 10000 -> 102400, 1 -> 10.  weight * 1024 / 100 is never
 * exactly x.5, so only the shares -> weight direction ever rounds a tie.
 * Every weight 1..10000 survives weight -> shares -> weight: the shares
 * are within 0.5 of weight * 10.24, which maps back within 0.05 of weight.
 * Inputs at or above the value that maps to the top of the range return
 * the maximum directly, so the products cannot overflow.
 */
#define CONV_SHARES 1024ULL
#define CONV_WEIGHT 100ULL

/* round(v * num / den), clamped to [lo, hi]; inputs that map at or above
 * hi return hi directly, so the product cannot overflow. */
static uint64_t rescale(uint64_t v, uint64_t num, uint64_t den, uint64_t lo,
			uint64_t hi)
{
	if (v >= hi * den / num)
		return hi;
	return clamp_u64((v * num + den / 2) / den, lo, hi);
}

uint64_t cgw_shares_to_weight(uint64_t shares)
{
	return rescale(shares, CONV_WEIGHT, CONV_SHARES, CGW_WEIGHT_MIN,
		       CGW_WEIGHT_MAX);
}

uint64_t cgw_weight_to_shares(uint64_t weight)
{
	return rescale(weight, CONV_SHARES, CONV_WEIGHT, CGW_SHARES_MIN,
		       CGW_SHARES_MAX);
}

uint64_t cgw_cpuctl_weight_min(enum cgw_mode mode)
{
	return mode == CGW_MODE_V2 ? CGW_WEIGHT_MIN : CGW_SHARES_MIN;
}

uint64_t cgw_cpuctl_weight_max(enum cgw_mode mode)
{
	return mode == CGW_MODE_V2 ? CGW_WEIGHT_MAX : CGW_SHARES_MAX;
}

uint64_t cgw_cpuctl_weight_dfl(enum cgw_mode mode)
{
	return mode == CGW_MODE_V2 ? CGW_WEIGHT_DFL : CGW_SHARES_DFL;
}

uint64_t cgw_cpuctl_weight_of_shares(enum cgw_mode mode, uint64_t shares)
{
	return mode == CGW_MODE_V2 ?
		       cgw_shares_to_weight(shares) :
		       clamp_u64(shares, CGW_SHARES_MIN, CGW_SHARES_MAX);
}

/* --- quota and period --------------------------------------------------- */

uint64_t cgw_cpuctl_quota_of(const char *s, uint64_t *period)
{
	unsigned long long p;
	char q[32];

	if (sscanf(s, "%31s %llu", q, &p) == 2 && period)
		*period = p;
	if (!strcmp(q, "max") || !strcmp(q, "-1"))
		return CGW_CPUCTL_UNLIMITED;
	return strtoull(q, NULL, 10);
}

void cgw_cpuctl_format_quota(enum cgw_mode mode, uint64_t quota,
			     uint64_t period, char *buf, size_t len)
{
	if (mode == CGW_MODE_V2) {
		if (quota == CGW_CPUCTL_UNLIMITED)
			snprintf(buf, len, "max %" PRIu64, period);
		else
			snprintf(buf, len, "%" PRIu64 " %" PRIu64, quota,
				 period);
	} else {
		if (quota == CGW_CPUCTL_UNLIMITED)
			snprintf(buf, len, "-1");
		else
			snprintf(buf, len, "%" PRIu64, quota);
	}
}

const char *cgw_cpuctl_period_name(enum cgw_mode mode)
{
	return mode == CGW_MODE_V2 ? "cpu.max" : "cpu.cfs_period_us";
}

uint64_t cgw_cpuctl_period_of(enum cgw_mode mode, const char *s)
{
	uint64_t p = 0;

	if (mode == CGW_MODE_V2)
		cgw_cpuctl_quota_of(s, &p);
	else
		p = strtoull(s, NULL, 10);
	return p ?: CGW_PERIOD_DFL_US;
}

enum cgw_mode cgw_mode_from_name(const char *name)
{
	if (!strcmp(name, cgw_mode_name(CGW_MODE_V1)))
		return CGW_MODE_V1;
	if (!strcmp(name, cgw_mode_name(CGW_MODE_V2)))
		return CGW_MODE_V2;
	return CGW_MODE_NONE;
}

/* A plain decimal number: digits only, no sign, no leading zero. */
static int parse_dec(const char *s, size_t len, uint64_t *v)
{
	uint64_t n = 0;

	if (!len || len > 19 || (s[0] == '0' && len > 1))
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		n = n * 10 + (uint64_t)(s[i] - '0');
	}
	*v = n;
	return 0;
}

static int why(char *buf, size_t len, int ret, const char *fmt,
	       const char *name)
{
	if (buf && len)
		snprintf(buf, len, fmt, name);
	return ret;
}

static int parse_quota(const struct cgw_cpuctl *c, const char *s, size_t len,
		       uint64_t *q, char *w, size_t wl)
{
	if (c->kind == CGW_CPUCTL_QUOTA_V1 && len == 2 && !memcmp(s, "-1", 2)) {
		*q = CGW_CPUCTL_UNLIMITED;
		return 0;
	}
	if (c->kind == CGW_CPUCTL_QUOTA_V2 && len == 3 &&
	    !memcmp(s, "max", 3)) {
		*q = CGW_CPUCTL_UNLIMITED;
		return 0;
	}
	if (parse_dec(s, len, q))
		return why(w, wl, -EINVAL, "not a %s quota", c->name);
	if (*q < CGW_QUOTA_MIN_US || *q > CGW_QUOTA_MAX_US)
		return why(w, wl, -ERANGE, "%s quota outside 1000..2^44-1 us",
			   c->name);
	return 0;
}

int cgw_cpuctl_parse(const struct cgw_cpuctl *c, const char *s,
		     struct cgw_cpuctl_val *val, char *w, size_t wl)
{
	const char *sp;
	int ret;

	memset(val, 0, sizeof(*val));
	switch (c->kind) {
	case CGW_CPUCTL_WEIGHT:
	case CGW_CPUCTL_FLAG:
		if (parse_dec(s, strlen(s), &val->v))
			return why(w, wl, -EINVAL, "not a %s value", c->name);
		if (val->v < c->min || val->v > c->max)
			return why(w, wl, -ERANGE, "%s value out of range",
				   c->name);
		return 0;
	case CGW_CPUCTL_QUOTA_V1:
		return parse_quota(c, s, strlen(s), &val->v, w, wl);
	case CGW_CPUCTL_QUOTA_V2:
		sp = strchr(s, ' ');
		ret = parse_quota(c, s, sp ? (size_t)(sp - s) : strlen(s),
				  &val->v, w, wl);
		if (ret || !sp)
			return ret;
		if (parse_dec(sp + 1, strlen(sp + 1), &val->period_us))
			return why(w, wl, -EINVAL, "not a %s period", c->name);
		if (val->period_us < CGW_PERIOD_MIN_US ||
		    val->period_us > CGW_PERIOD_MAX_US)
			return why(w, wl, -ERANGE,
				   "%s period outside 1000..1000000 us",
				   c->name);
		return 0;
	}
	return why(w, wl, -EINVAL, "%s: unknown kind", c->name);
}

bool cgw_cpuctl_same(const struct cgw_cpuctl *c, const char *a, const char *b)
{
	struct cgw_cpuctl_val va, vb;

	if (cgw_cpuctl_parse(c, a, &va, NULL, 0) ||
	    cgw_cpuctl_parse(c, b, &vb, NULL, 0))
		return false;
	return va.v == vb.v &&
	       (va.period_us == vb.period_us || !va.period_us || !vb.period_us);
}
