// SPDX-License-Identifier: GPL-2.0
/*
 * Stale ring-buffer records (see stale.h).  O(n^2) over one batch, which
 * the agent bounds (a few hundred records).
 */
#include "stale.h"

/* Family of a record: the records of one family for one slot describe
 * one state, the later overriding the earlier.  -1: none (window). */
static int family(const struct cgw_event *e)
{
	switch (e->type) {
	case CGW_EV_BREACH:
	case CGW_EV_PERSIST:
	case CGW_EV_CLEAR:
		return 16 + e->kind;
	case CGW_EV_SURPLUS:
	case CGW_EV_SURPLUS_END:
		return 1;
	case CGW_EV_ACTIVE:
	case CGW_EV_IDLE:
		return 2;
	default:
		return -1;
	}
}

static int acts_now(const struct cgw_event *e)
{
	return e->type == CGW_EV_BREACH || e->type == CGW_EV_PERSIST ||
	       e->type == CGW_EV_ACTIVE;
}

static int too_old(const struct cgw_event *e, uint64_t now, uint64_t max_age)
{
	return now > e->t_event_ns && now - e->t_event_ns > max_age;
}

/* Does a later record of ev[i]'s family supersede it? */
static int superseded(const struct cgw_event *ev, size_t n, size_t i)
{
	int fam = family(&ev[i]);

	for (size_t j = i + 1; j < n; j++) {
		if (ev[j].slot != ev[i].slot || family(&ev[j]) != fam)
			continue;
		if (ev[j].type != CGW_EV_PERSIST ||
		    ev[i].type == CGW_EV_PERSIST)
			return 1;
	}
	return 0;
}

size_t cgw_stale_judge(const struct cgw_event *ev, size_t n, uint64_t now,
		       uint64_t max_age_ns, enum cgw_stale_why *why)
{
	size_t dropped = 0;

	for (size_t i = 0; i < n; i++) {
		why[i] = CGW_STALE_KEEP;
		if (family(&ev[i]) < 0) {
			if (ev[i].type == CGW_EV_WINDOW &&
			    too_old(&ev[i], now, max_age_ns))
				why[i] = CGW_STALE_SHED;
		} else if (superseded(ev, n, i)) {
			why[i] = CGW_STALE_SUPERSEDED;
		} else if (acts_now(&ev[i]) &&
			   too_old(&ev[i], now, max_age_ns)) {
			why[i] = CGW_STALE_OLD;
		}
		dropped += why[i] != CGW_STALE_KEEP;
	}
	return dropped;
}
