// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for the controller of a minimum in user/core/policy.c: the
 * CFS model (water-filling), the setpoint, the breach/feedback/relax
 * decisions, and a closed loop of the controller against the CFS model
 * with per-window noise, judged the way the kernel side judges (a sliding
 * mean over a span of windows).  Expected values are computed by hand from
 * the documented formulas.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "policy.h"

#define PPM 1000000U
#define MS UINT64_C(1000000)
#define SEC UINT64_C(1000000000)
#define V1 CGW_SHARES_MIN, CGW_SHARES_MAX

static struct cgw_member busy(uint64_t w, uint32_t share)
{
	struct cgw_member m = { .weight = w,
				.share_ppm = share,
				.demand_ppm = PPM,
				.active = true };
	return m;
}

/* --- the model ---------------------------------------------------------- */

static void test_model_by_weight(void **state)
{
	/* every member saturates: shares follow weights */
	struct cgw_member m[] = { busy(2048, 0), busy(1024, 0), busy(1024, 0) };

	(void)state;
	assert_int_equal(cgw_model_share(m, 3, 0, 2048, PPM), 500000);
	assert_int_equal(cgw_model_share(m, 3, 1, 1024, PPM), 250000);
	/* self's own weight is the one given, not m[self].weight */
	assert_int_equal(cgw_model_share(m, 3, 0, 1024, PPM), 333333);
	/* what the set gets is shared, not the machine */
	assert_int_equal(cgw_model_share(m, 3, 0, 2048, 600000), 300000);
}

static void test_model_water_fill(void **state)
{
	/* m[1] wants 10 %, less than its part: it gets 10 %, and self and
	 * m[2] share the other 90 % by weight (1:1) */
	struct cgw_member m[] = { busy(1024, 0), busy(1024, 0), busy(1024, 0) };

	(void)state;
	m[1].demand_ppm = 100000;
	assert_int_equal(cgw_model_share(m, 3, 0, 1024, PPM), 450000);
	/* both others want little: self takes the rest */
	m[2].demand_ppm = 200000;
	assert_int_equal(cgw_model_share(m, 3, 0, 1024, PPM), 700000);
	/* a member that wants exactly its part is satisfied: same result */
	m[1].demand_ppm = 333333;
	m[2].demand_ppm = PPM;
	assert_int_equal(cgw_model_share(m, 3, 0, 1024, PPM), 333333);
}

static void test_model_inactive(void **state)
{
	struct cgw_member m[] = { busy(1024, 0), busy(1024, 0), busy(3072, 0) };

	(void)state;
	m[2].active = false; /* does not compete: gets nothing */
	assert_int_equal(cgw_model_share(m, 3, 0, 1024, PPM), 500000);
	assert_int_equal(cgw_model_share(m, 1, 0, 1024, PPM), PPM);
}

/* --- the setpoint ------------------------------------------------------- */

static void test_setpoint_study(void **state)
{
	/* the 2015 study: c1 at 2048 against c2, c3 at 1024, saturating, the
	 * set holding the whole machine; min 50 % + margin 5 %:
	 * w / (w + 2048) >= 0.55  <=>  w >= 2503.1 */
	struct cgw_member m[] = { busy(2048, 500000), busy(1024, 250000),
				  busy(1024, 250000), busy(1024, 0) };
	struct cgw_setpoint sp;

	(void)state;
	m[3].active = false; /* c4 not started */
	assert_int_equal(cgw_setpoint(m, 4, 0, NULL, 500000, 50000, V1, &sp), 0);
	assert_int_equal(sp.weight, 2504);
	assert_int_equal(sp.nominal, 2504);
	assert_int_equal(sp.target_ppm, 550000);
	assert_int_equal(sp.cap_ppm, PPM);
	assert_false(sp.unreachable);
	assert_false(sp.alone);
	assert_in_range(sp.predicted_ppm, 550000, 550100);
	/* c4 starts: w / (w + 3072) >= 0.55  <=>  w >= 3754.7 */
	m[3].active = true;
	assert_int_equal(cgw_setpoint(m, 4, 0, NULL, 500000, 50000, V1, &sp), 0);
	assert_int_equal(sp.weight, 3755);
	/* from the weights, not from the last value: a lower current weight
	 * gives the same setpoint, and so does a higher one */
	m[0].weight = 100000;
	assert_int_equal(cgw_setpoint(m, 4, 0, NULL, 500000, 50000, V1, &sp), 0);
	assert_int_equal(sp.weight, 3755);
}

static void test_setpoint_idle_counts_as_capacity(void **state)
{
	/* the set took 80 %, 20 % was idle: the idle part is the set's */
	struct cgw_member m[] = { busy(1024, 300000), busy(1024, 500000) };
	struct cgw_member idle = { .share_ppm = 200000 };
	struct cgw_setpoint sp;

	(void)state;
	assert_int_equal(cgw_setpoint(m, 2, 0, &idle, 500000, 50000, V1, &sp),
			 0);
	assert_int_equal(sp.cap_ppm, PPM);
	assert_int_equal(sp.weight, 1252); /* w / (w + 1024) >= 0.55 */
}

static void test_setpoint_burst_outside_the_set(void **state)
{
	/* c1..c4 at 3755:1024:1024:1024 (c1 at 55 % of a whole machine).  A
	 * monitoring burst outside the set has taken 40 % of the last span
	 * and pulled the slow average to 80 %, but over seconds the set got
	 * 97 %: the setpoint stays near the whole-machine one instead of
	 * chasing the burst. */
	struct cgw_member m[4];
	struct cgw_setpoint sp, burst;

	(void)state;
	m[0] = busy(3755, 440000);
	for (int i = 1; i < 4; i++)
		m[i] = busy(1024, 120000);
	for (int i = 0; i < 4; i++) {
		m[i].span_ppm = m[i].share_ppm * 3 / 4;
		m[i].long_ppm = i ? 140000 : 550000;
	}
	assert_int_equal(cgw_setpoint(m, 4, 0, NULL, 500000, 50000, V1, &sp),
			 0);
	assert_int_equal(sp.cap_ppm, 970000);
	assert_false(sp.unreachable);
	assert_in_range(sp.weight, 3755, 4300);
	/* the same set read from the slow average alone: 80 % */
	for (int i = 0; i < 4; i++)
		m[i].long_ppm = 0;
	assert_int_equal(
		cgw_setpoint(m, 4, 0, NULL, 500000, 50000, V1, &burst), 0);
	assert_int_equal(burst.cap_ppm, 800000);
	assert_true(burst.weight > sp.weight * 3 / 2);
	/* load outside that stays shows in every horizon: taken */
	for (int i = 0; i < 4; i++)
		m[i].long_ppm = m[i].share_ppm;
	assert_int_equal(
		cgw_setpoint(m, 4, 0, NULL, 500000, 50000, V1, &burst), 0);
	assert_int_equal(burst.cap_ppm, 800000);
}

static void test_setpoint_unreachable(void **state)
{
	/* load outside the set leaves it 50 %: no weight gets c1 55 % */
	struct cgw_member m[] = { busy(2048, 300000), busy(1024, 100000),
				  busy(1024, 100000) };
	struct cgw_setpoint sp;

	(void)state;
	assert_int_equal(cgw_setpoint(m, 3, 0, NULL, 500000, 50000, V1, &sp), 0);
	assert_int_equal(sp.cap_ppm, 500000);
	assert_true(sp.unreachable);
	assert_int_equal(sp.weight, sp.nominal); /* best effort, not wmax */
	assert_int_equal(sp.nominal, 2504);
	/* 58 %: reachable in theory with w = 2048 * .55 / .03 = 37547,
	 * but that is 15x the nominal setpoint: unreachable, not forced */
	m[0].share_ppm = 380000;
	assert_int_equal(cgw_setpoint(m, 3, 0, NULL, 500000, 50000, V1, &sp), 0);
	assert_int_equal(sp.cap_ppm, 580000);
	assert_true(sp.unreachable);
	assert_int_equal(sp.weight, 2504);
	/* 80 %: w / (w + 2048) * 0.8 >= 0.55  <=>  w >= 4505.6, < 2x */
	m[0].share_ppm = 600000;
	assert_int_equal(cgw_setpoint(m, 3, 0, NULL, 500000, 50000, V1, &sp), 0);
	assert_false(sp.unreachable);
	assert_int_equal(sp.weight, 4506);
}

static void test_setpoint_demand_and_alone(void **state)
{
	/* one thread on two CPUs: c1 demands 52 %, between min and min +
	 * margin: the target is its demand */
	struct cgw_member m[] = { busy(1024, 500000), busy(1024, 500000) };
	struct cgw_setpoint sp;

	(void)state;
	m[0].demand_ppm = 520000;
	assert_int_equal(cgw_setpoint(m, 2, 0, NULL, 500000, 50000, V1, &sp), 0);
	assert_int_equal(sp.target_ppm, 520000);
	assert_int_equal(sp.weight, 1110); /* w / (w + 1024) >= .52 */
	/* nobody else competes: a weight takes nothing from nobody */
	m[1].active = false;
	assert_int_equal(cgw_setpoint(m, 2, 0, NULL, 500000, 50000, V1, &sp), 0);
	assert_true(sp.alone);
	assert_int_equal(sp.weight, 0);
	/* bad arguments */
	assert_int_equal(cgw_setpoint(m, 2, 2, NULL, 500000, 0, V1, &sp), -EINVAL);
	assert_int_equal(cgw_setpoint(m, 2, 0, NULL, 0, 0, V1, &sp), -EINVAL);
	assert_int_equal(cgw_setpoint(NULL, 2, 0, NULL, 500000, 0, V1, &sp),
			 -EINVAL);
	assert_int_equal(cgw_setpoint(m, 2, 0, NULL, 500000, 0, 10, 9, &sp),
			 -EINVAL);
}

static void test_setpoint_clamped(void **state)
{
	/* v2 range: 99 busy siblings at 10000 need more than 10000 */
	struct cgw_member m[100];
	struct cgw_setpoint sp;

	(void)state;
	for (int i = 0; i < 100; i++)
		m[i] = busy(10000, 10000);
	assert_int_equal(cgw_setpoint(m, 100, 0, NULL, 500000, 50000,
				      CGW_WEIGHT_MIN, CGW_WEIGHT_MAX, &sp),
			 0);
	assert_true(sp.clamped);
	assert_int_equal(sp.nominal, CGW_WEIGHT_MAX);
	assert_int_equal(sp.weight, CGW_WEIGHT_MAX);
}

/* --- decisions ---------------------------------------------------------- */

static const struct cgw_ctl_params P = {
	.min_ppm = 500000,
	.deadband_ppm = 100000,
	.settle_ns = 400 * MS,
	.wmin = CGW_SHARES_MIN,
	.wmax = CGW_SHARES_MAX,
};

static struct cgw_setpoint spt(uint64_t w, uint64_t nominal, bool unreachable)
{
	struct cgw_setpoint sp = { .weight = w,
				   .nominal = nominal,
				   .unreachable = unreachable,
				   .target_ppm = 550000,
				   .cap_ppm = PPM };
	return sp;
}

static void test_breach_setpoint_and_deadband(void **state)
{
	struct cgw_ctl c = { .orig = 2048 };
	struct cgw_setpoint sp = spt(2504, 2504, false);
	struct cgw_ctl_out o;

	(void)state;
	cgw_ctl_breach(&c, &P, &sp, 2048, 480000, CGW_CTL_EV_BREACH, SEC, &o);
	assert_int_equal(o.why, CGW_CTL_SETPOINT);
	assert_int_equal(o.weight, 2504);
	/* 2300 -> 2504 is 8.9 %: inside the 10 % deadband, no write */
	cgw_ctl_breach(&c, &P, &sp, 2300, 480000, CGW_CTL_EV_BREACH, SEC, &o);
	assert_int_equal(o.why, CGW_CTL_NONE);
	/* at or above the setpoint a fresh breach writes nothing, and the
	 * breach path never lowers a weight */
	cgw_ctl_breach(&c, &P, &sp, 5000, 480000, CGW_CTL_EV_BREACH, SEC, &o);
	assert_int_equal(o.why, CGW_CTL_NONE);
	assert_false(o.escalate);
}

static void test_feedback_bounded(void **state)
{
	struct cgw_ctl c = { .orig = 2048 };
	struct cgw_setpoint sp = spt(2504, 2504, false);
	struct cgw_ctl_out o = { .why = CGW_CTL_SETPOINT, .weight = 2504 };
	uint64_t t = SEC, w = 2504;
	uint32_t share = 400000;
	int steps = 0;

	(void)state;
	cgw_ctl_wrote(&c, &o, share, t);
	/* persisting, but the setpoint has not had settle_ns to show */
	cgw_ctl_breach(&c, &P, &sp, w, share, CGW_CTL_EV_PERSIST, t + 100 * MS,
		       &o);
	assert_int_equal(o.why, CGW_CTL_NONE);
	assert_false(o.escalate);
	/* each step helps a little (+4 points): x1.5 at most, never above
	 * 2x the nominal setpoint (5008) */
	for (int i = 0; i < 10; i++) {
		t += 500 * MS;
		share += 40000;
		if (share >= P.min_ppm)
			share = P.min_ppm - 1;
		cgw_ctl_breach(&c, &P, &sp, w, share, CGW_CTL_EV_PERSIST, t, &o);
		if (o.why == CGW_CTL_NONE)
			break;
		assert_int_equal(o.why, CGW_CTL_FEEDBACK);
		assert_true(o.weight <= w + w / 2);
		assert_true(o.weight <= 2 * sp.nominal);
		w = o.weight;
		cgw_ctl_wrote(&c, &o, share, t);
		steps++;
	}
	assert_int_equal(steps, 2); /* 2504 -> 3756 -> 5008 */
	assert_int_equal(w, 5008);
	assert_true(c.exhausted);
	assert_true(o.escalate); /* reachable, weights exhausted */
}

static void test_feedback_stops_when_it_does_not_help(void **state)
{
	struct cgw_ctl c = { .orig = 2048 };
	struct cgw_setpoint sp = spt(2504, 2504, false);
	struct cgw_ctl_out o = { .why = CGW_CTL_SETPOINT, .weight = 2504 };

	(void)state;
	cgw_ctl_wrote(&c, &o, 400000, SEC);
	cgw_ctl_breach(&c, &P, &sp, 2504, 400000, CGW_CTL_EV_PERSIST,
		       SEC + 500 * MS, &o);
	assert_int_equal(o.why, CGW_CTL_FEEDBACK); /* first step: try */
	cgw_ctl_wrote(&c, &o, 400000, SEC + 500 * MS);
	/* +1 point of a 10-point gap: less than a quarter, stop */
	cgw_ctl_breach(&c, &P, &sp, o.weight, 410000, CGW_CTL_EV_PERSIST,
		       2 * SEC, &o);
	assert_int_equal(o.why, CGW_CTL_NONE);
	assert_true(c.exhausted);
	assert_true(o.escalate);
	/* a clear starts a new episode */
	assert_int_equal(cgw_ctl_clear(&c), 0);
	assert_false(c.exhausted);
}

static void test_unreachable_reported_once_never_escalates(void **state)
{
	struct cgw_ctl c = { .orig = 2048 };
	struct cgw_setpoint sp = spt(2504, 2504, true);
	struct cgw_ctl_out o;
	uint64_t w = 2048, t = SEC;
	int edges = 0;

	(void)state;
	for (int i = 0; i < 20; i++, t += 500 * MS) {
		cgw_ctl_breach(&c, &P, &sp, w, 300000, CGW_CTL_EV_PERSIST, t, &o);
		edges += o.unreachable_edge;
		assert_false(o.escalate);
		if (o.why != CGW_CTL_NONE) {
			w = o.weight;
			cgw_ctl_wrote(&c, &o, 300000, t);
		}
		assert_true(w <= 2 * sp.nominal);
	}
	assert_int_equal(edges, 1);
	assert_int_equal(cgw_ctl_clear(&c), -1); /* "reachable again" */
}

static void test_relax(void **state)
{
	struct cgw_ctl c = { .orig = 2048 };
	struct cgw_setpoint sp = spt(2504, 2504, false);
	struct cgw_ctl_out o;

	(void)state;
	/* a competitor left: down toward the setpoint, at most halving */
	cgw_ctl_relax(&c, &P, &sp, 3755, true, &o);
	assert_int_equal(o.why, CGW_CTL_RELAX);
	assert_int_equal(o.weight, 2504);
	cgw_ctl_relax(&c, &P, &sp, 20000, true, &o);
	assert_int_equal(o.weight, 10000);
	/* within the deadband of the setpoint: stay */
	cgw_ctl_relax(&c, &P, &sp, 2700, true, &o);
	assert_int_equal(o.why, CGW_CTL_NONE);
	/* demand gone: back to the original, even inside the deadband */
	cgw_ctl_relax(&c, &P, &sp, 2100, false, &o);
	assert_int_equal(o.why, CGW_CTL_ORIGINAL);
	assert_int_equal(o.weight, 2048);
	/* the setpoint below the original: the original */
	sp = spt(1500, 1500, false);
	cgw_ctl_relax(&c, &P, &sp, 2504, true, &o);
	assert_int_equal(o.why, CGW_CTL_ORIGINAL);
	/* at the original: nothing */
	cgw_ctl_relax(&c, &P, &sp, 2048, false, &o);
	assert_int_equal(o.why, CGW_CTL_NONE);
	assert_int_equal(cgw_ctl_surplus_ppm(500000, 50000), 600000);
	assert_int_equal(cgw_ctl_surplus_ppm(500000, 0), 520000);
	assert_int_equal(cgw_ctl_surplus_ppm(990000, 50000), PPM);
}

/* --- closed loop --------------------------------------------------------
 *
 * The plant: cgroups c1..c4 under one parent, 2 busy threads each, the set
 * owning the machine.  What c1 gets follows the CFS model at the current
 * weights, reached with a first-order lag (PELT-like, 32 ms), plus
 * Gaussian noise per 10 ms window (sigma 8 points, as measured at
 * HZ=250).  The kernel side is mimicked: a sliding mean over 10 windows,
 * breach below min with the state machine's clear after 2 good windows,
 * PERSIST once per 50 ms cooldown, SURPLUS above the threshold the agent
 * asks for, ACTIVE when c4 starts.  The agent: cgw_setpoint from the
 * weights and slow shares, cgw_ctl_breach / cgw_ctl_relax, one write per
 * 50 ms, relax after a 1 s hold.
 */

struct rng {
	uint64_t s;
};

static double uniform(struct rng *r)
{
	r->s ^= r->s << 13;
	r->s ^= r->s >> 7;
	r->s ^= r->s << 17;
	return (double)(r->s >> 11) / 9007199254740992.0;
}

static double gauss(struct rng *r)
{
	double u = uniform(r), v = uniform(r);

	if (u < 1e-12)
		u = 1e-12;
	return sqrt(-2 * log(u)) * cos(2 * M_PI * v);
}

#define NW 10 /* windows in a span */
#define WIN (10 * MS)

struct loop {
	/* plant */
	uint64_t w[4];
	bool on[4];
	double eff; /* c1's share after the lag */
	double ring[NW];
	unsigned int nring;
	double slow[4];
	unsigned int age;
	/* kernel side */
	bool breached, surplus;
	unsigned int ok;
	uint64_t last_emit;
	uint32_t surplus_ppm;
	/* agent */
	struct cgw_ctl c;
	uint64_t last_write, hold_start;
	bool holding;
	/* results */
	unsigned int writes, breaches, writes_after[2];
	uint64_t max_w, nominal_max;
	double sum_share_tail;
	unsigned int n_tail;
};

static double model_c1(const struct loop *l)
{
	struct cgw_member m[4];

	for (int i = 0; i < 4; i++)
		m[i] = busy(l->w[i], 0), m[i].active = l->on[i];
	return cgw_model_share(m, 4, 0, l->w[0], PPM) / 1e6;
}

static void agent_setpoint(struct loop *l, struct cgw_setpoint *sp)
{
	struct cgw_member m[4];

	for (int i = 0; i < 4; i++) {
		m[i] = busy(l->w[i], (uint32_t)(l->slow[i] * 1e6));
		m[i].active = l->on[i];
	}
	assert_int_equal(cgw_setpoint(m, 4, 0, NULL, 500000, 50000, V1, sp), 0);
	if (sp->nominal > l->nominal_max)
		l->nominal_max = sp->nominal;
}

static void agent_write(struct loop *l, const struct cgw_ctl_out *o,
			uint32_t share, uint64_t now, int phase)
{
	if (o->why == CGW_CTL_NONE ||
	    (l->last_write && now - l->last_write < 50 * MS))
		return;
	l->w[0] = o->weight;
	l->last_write = now;
	l->writes++;
	l->writes_after[phase]++;
	cgw_ctl_wrote(&l->c, o, share, now);
	l->surplus_ppm = o->why == CGW_CTL_ORIGINAL ?
				 0 :
				 cgw_ctl_surplus_ppm(500000, 50000);
	if (l->w[0] > l->max_w)
		l->max_w = l->w[0];
}

static void agent_breach(struct loop *l, enum cgw_ctl_ev ev, uint32_t share,
			 uint64_t now, int phase)
{
	struct cgw_setpoint sp;
	struct cgw_ctl_out o;

	l->holding = false;
	agent_setpoint(l, &sp);
	cgw_ctl_breach(&l->c, &P, &sp, l->w[0], share, ev, now, &o);
	agent_write(l, &o, share, now, phase);
}

static void run_loop(struct loop *l, uint64_t seed, uint64_t c4_on_ns,
		     uint64_t end_ns, uint64_t switch_ns)
{
	struct rng r = { seed };
	const struct cgw_ctl_params *p = &P;

	memset(l, 0, sizeof(*l));
	l->w[0] = 2048;
	l->w[1] = l->w[2] = l->w[3] = 1024;
	l->on[0] = l->on[1] = l->on[2] = true;
	l->c.orig = 2048;
	l->eff = 0.5;
	for (uint64_t now = WIN; now <= end_ns; now += WIN) {
		int phase = now >= c4_on_ns;
		bool c4 =
			now >= c4_on_ns &&
			(!switch_ns || ((now - c4_on_ns) / switch_ns) % 2 == 0);
		double target, win, slide = 0;
		uint32_t share;

		if (c4 != l->on[3]) {
			l->on[3] = c4;
			if (c4) /* ACTIVE edge in the window c4 first runs */
				agent_breach(l, CGW_CTL_EV_ACTIVE,
					     (uint32_t)(l->slow[0] * 1e6), now,
					     phase);
			else if (l->surplus && l->c.orig != l->w[0])
				l->holding = true, l->hold_start = now;
		}
		target = model_c1(l);
		l->eff += (target - l->eff) * (1 - exp(-10.0 / 32));
		win = l->eff + 0.08 * gauss(&r);
		win = win < 0 ? 0 : win > 1 ? 1 : win;
		l->ring[l->nring++ % NW] = win;
		/* as the kernel: a running mean, then an EWMA of 1/32 */
		l->age += l->age < 32;
		for (int i = 0; i < 4; i++) {
			double s = i == 0   ? win :
				   l->on[i] ? (1 - win) / (2 + l->on[3]) :
					      0;
			l->slow[i] += (s - l->slow[i]) / l->age;
		}
		if (now >= c4_on_ns + 5 * SEC && now < c4_on_ns + 10 * SEC) {
			l->sum_share_tail += target;
			l->n_tail++;
		}
		if (l->nring < NW)
			continue;
		for (int i = 0; i < NW; i++)
			slide += l->ring[i] / NW;
		share = (uint32_t)(slide * 1e6);
		/* kernel: the min state machine */
		if (share < p->min_ppm) {
			l->ok = 0;
			if (!l->breached) {
				l->breached = true;
				l->breaches++;
				l->last_emit = now;
				agent_breach(l, CGW_CTL_EV_BREACH,
					     (uint32_t)(l->slow[0] * 1e6), now,
					     phase);
			} else if (now - l->last_emit >= 50 * MS) {
				l->last_emit = now;
				agent_breach(l, CGW_CTL_EV_PERSIST,
					     (uint32_t)(l->slow[0] * 1e6), now,
					     phase);
			}
		} else if (l->breached && share >= p->min_ppm + 10000 &&
			   ++l->ok >= 2) {
			l->breached = false;
			cgw_ctl_clear(&l->c);
		}
		/* kernel: surplus edges, agent: hold then relax */
		if (l->surplus_ppm && !l->surplus && share >= l->surplus_ppm) {
			l->surplus = true;
			l->holding = true;
			l->hold_start = now;
		} else if (l->surplus && (!l->surplus_ppm ||
					  share + 10000 < l->surplus_ppm)) {
			l->surplus = false;
			l->holding = false;
		}
		if (l->holding && now - l->hold_start >= SEC &&
		    (!l->last_write || now - l->last_write >= 50 * MS)) {
			struct cgw_setpoint sp;
			struct cgw_ctl_out o;

			agent_setpoint(l, &sp);
			cgw_ctl_relax(&l->c, p, &sp, l->w[0], true, &o);
			if (o.why == CGW_CTL_NONE)
				l->holding = false;
			agent_write(l, &o, share, now, phase);
		}
	}
}

static void test_closed_loop_study(void **state)
{
	(void)state;
	for (uint64_t seed = 1; seed <= 20; seed++) {
		struct loop l;
		double mean;

		run_loop(&l, seed * 0x9e3779b97f4a7c15ull, 20 * SEC, 40 * SEC,
			 0);
		mean = l.sum_share_tail / l.n_tail;
		/* before c4 (c1 at exactly 50 % by weights): at most one
		 * write; c4: one or two; nothing else */
		assert_true(l.writes_after[0] <= 1);
		assert_true(l.writes_after[1] >= 1 && l.writes_after[1] <= 3);
		/* converged into the band, no overshoot past it */
		assert_true(mean >= 0.52 && mean <= 0.60);
		/* never beyond twice the model's setpoint */
		assert_true(l.max_w <= 2 * l.nominal_max);
	}
}

static void test_closed_loop_square_wave(void **state)
{
	(void)state;
	/* c4 on/off every second for 60 s: at most 2 writes per switch */
	for (uint64_t seed = 1; seed <= 10; seed++) {
		struct loop l;

		run_loop(&l, seed * 0x2545f4914f6cdd1dull, 5 * SEC, 65 * SEC,
			 SEC);
		assert_true(l.writes_after[1] <= 2 * 60);
		assert_true(l.max_w <= 2 * l.nominal_max);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_model_by_weight),
		cmocka_unit_test(test_model_water_fill),
		cmocka_unit_test(test_model_inactive),
		cmocka_unit_test(test_setpoint_study),
		cmocka_unit_test(test_setpoint_idle_counts_as_capacity),
		cmocka_unit_test(test_setpoint_burst_outside_the_set),
		cmocka_unit_test(test_setpoint_unreachable),
		cmocka_unit_test(test_setpoint_demand_and_alone),
		cmocka_unit_test(test_setpoint_clamped),
		cmocka_unit_test(test_breach_setpoint_and_deadband),
		cmocka_unit_test(test_feedback_bounded),
		cmocka_unit_test(test_feedback_stops_when_it_does_not_help),
		cmocka_unit_test(
			test_unreachable_reported_once_never_escalates),
		cmocka_unit_test(test_relax),
		cmocka_unit_test(test_closed_loop_study),
		cmocka_unit_test(test_closed_loop_square_wave),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
