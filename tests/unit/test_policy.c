// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for user/core/policy.c: weight raise, v1 <-> v2 conversion,
 * caps and quotas, the relax state machine and relax steps.  Every
 * expected value below is computed by hand from the documented formulas.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "policy.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MS UINT64_C(1000000)
#define SEC UINT64_C(1000000000)
#define PPM 1000000U
#define ACTIVE_PPM 10000U /* 1 %: the activity threshold of most cases */
#define MAX_SIBS 52

/* --- helpers ------------------------------------------------------------ */

static struct cgw_sib sib(uint64_t weight, uint32_t share, uint64_t wait)
{
	struct cgw_sib s = { .weight = weight,
			     .share_ppm = share,
			     .wait_ns = wait };

	return s;
}

/* Saturating competitors: busy and waiting. */
static struct cgw_sib busy(uint64_t weight, uint32_t share)
{
	return sib(weight, share, 1000);
}

/* Sum of the weights of the active siblings other than self. */
static uint64_t active_weight(const struct cgw_sib *s, size_t n, size_t self,
			      uint32_t active_ppm)
{
	uint64_t w = 0;
	size_t i;

	for (i = 0; i < n; i++)
		if (i != self && cgw_sib_active(&s[i], active_ppm))
			w += s[i].weight;
	return w;
}

static uint64_t active_share(const struct cgw_sib *s, size_t n,
			     uint32_t active_ppm)
{
	uint64_t g = 0;
	size_t i;

	for (i = 0; i < n; i++)
		if (cgw_sib_active(&s[i], active_ppm))
			g += s[i].share_ppm;
	return g;
}

/* Expected share of self at weight w: w / (w + W) * G >= target? */
static bool reaches(uint64_t w, uint64_t W, uint64_t G, uint64_t target)
{
	return (unsigned __int128)w * G >= (unsigned __int128)target * (w + W);
}

/* --- v1 <-> v2 conversion (CGW_WEIGHT_CONV_VERSION 1) --------------------- */

static void test_conv_version(void **state)
{
	(void)state;
	assert_int_equal(CGW_WEIGHT_CONV_VERSION, 1);
}

static void test_shares_to_weight(void **state)
{
	static const uint64_t c[][2] = {
		{ 1024, 100 }, /* the defaults map onto each other */
		{ 2048, 200 },
		{ 2, 1 }, /* 0.195 -> 0, clamped up to 1 */
		{ 0, 1 },
		{ 5, 1 }, /* 0.488 rounds down, clamped */
		{ 6, 1 }, /* 0.586 rounds up */
		{ 127, 12 }, /* 12.40 */
		{ 128, 13 }, /* exactly 12.5: half up */
		{ 129, 13 },
		{ 1018, 99 }, /* 99.41 */
		{ 1019, 100 }, /* 99.51 */
		{ 26214, 2560 }, /* 2559.96 */
		{ 102399, 10000 }, /* 9999.90 */
		{ 102400, 10000 },
		{ 262144, 10000 }, /* 25600, clamped to the v2 maximum */
		{ UINT64_MAX, 10000 }, /* no overflow */
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(c); i++)
		if (cgw_shares_to_weight(c[i][0]) != c[i][1])
			fail_msg("shares %ju: weight %ju, want %ju",
				 (uintmax_t)c[i][0],
				 (uintmax_t)cgw_shares_to_weight(c[i][0]),
				 (uintmax_t)c[i][1]);
}

static void test_weight_to_shares(void **state)
{
	static const uint64_t c[][2] = {
		{ 100, 1024 },
		{ 200, 2048 },
		{ 1, 10 }, /* 10.24 */
		{ 0, 2 }, /* clamped up to the v1 minimum */
		{ 2, 20 }, /* 20.48 */
		{ 50, 512 },
		{ 99, 1014 }, /* 1013.76 */
		{ 2560, 26214 }, /* 26214.4 */
		{ 9999, 102390 }, /* 102389.76 */
		{ 10000, 102400 },
		{ 25599, 262134 }, /* 262133.76 */
		{ 25600, 262144 },
		{ 25601, 262144 }, /* clamped */
		{ UINT64_MAX, 262144 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(c); i++)
		if (cgw_weight_to_shares(c[i][0]) != c[i][1])
			fail_msg("weight %ju: shares %ju, want %ju",
				 (uintmax_t)c[i][0],
				 (uintmax_t)cgw_weight_to_shares(c[i][0]),
				 (uintmax_t)c[i][1]);
}

static void test_conv_round_trip(void **state)
{
	uint64_t w, s, prev = 0;

	(void)state;
	for (w = CGW_WEIGHT_MIN; w <= CGW_WEIGHT_MAX; w++) {
		s = cgw_weight_to_shares(w);
		assert_in_range(s, CGW_SHARES_MIN, CGW_SHARES_MAX);
		assert_true(s > prev); /* strictly increasing */
		if (cgw_shares_to_weight(s) != w)
			fail_msg("weight %ju -> %ju shares -> weight %ju",
				 (uintmax_t)w, (uintmax_t)s,
				 (uintmax_t)cgw_shares_to_weight(s));
		prev = s;
	}
	/* shares -> weight is monotonic over the whole v1 range */
	prev = 0;
	for (s = 0; s <= CGW_SHARES_MAX + 10; s++) {
		w = cgw_shares_to_weight(s);
		assert_true(w >= prev);
		assert_in_range(w, CGW_WEIGHT_MIN, CGW_WEIGHT_MAX);
		prev = w;
	}
}

/* --- weight raise --------------------------------------------------------- */

static void test_sib_active(void **state)
{
	struct cgw_sib s;

	(void)state;
	s = sib(100, ACTIVE_PPM, 0);
	assert_true(cgw_sib_active(&s, ACTIVE_PPM)); /* >= threshold */
	s = sib(100, ACTIVE_PPM - 1, 0);
	assert_false(cgw_sib_active(&s, ACTIVE_PPM));
	s = sib(100, 0, 1); /* waited: wants CPU */
	assert_true(cgw_sib_active(&s, ACTIVE_PPM));
	s = sib(100, 0, 0);
	assert_true(cgw_sib_active(&s, 0)); /* threshold 0: everyone */
}

struct raise_case {
	const char *name;
	struct cgw_sib s[8];
	size_t n;
	uint32_t target;
	uint64_t wmin, wmax;
	uint64_t weight;
	unsigned int flags; /* CL, HL, NC */
};

#define CL 1 /* clamped */
#define HL 2 /* hopeless */
#define NC 4 /* no_competition */

/* clang-format off */
#define SIB(w, s, t) { .weight = (w), .share_ppm = (s), .wait_ns = (t) }
#define BUSY(w, s) SIB(w, s, 1000)
#define V1 CGW_SHARES_MIN, CGW_SHARES_MAX
#define V2 CGW_WEIGHT_MIN, CGW_WEIGHT_MAX
#define PAPER_V1                                                  \
	SIB(2048, 400000, 500), BUSY(1024, 200000), BUSY(1024, 200000), \
		BUSY(1024, 200000)

static const struct raise_case raise_cases[] = {
	/* W = 3072, G = 1e6: ceil(3072 * 0.55 / 0.45) = ceil(3754.67) */
	{ "paper v1", { PAPER_V1 }, 4, 550000, V1, 3755, 0 },
	/* the same set in v2 units: ceil(300 * 0.55 / 0.45) = 367 */
	{ "paper v2",
	  { SIB(200, 400000, 0), BUSY(100, 200000), BUSY(100, 200000),
	    BUSY(100, 200000) },
	  4, 550000, V2, 367, 0 },
	/* an idle sibling with a huge weight changes nothing */
	{ "idle huge", { PAPER_V1, SIB(262144, 0, 0) }, 5, 550000, V1,
	  3755, 0 },
	/* nor does one below the activity threshold that never waited */
	{ "below threshold",
	  { PAPER_V1, SIB(262144, ACTIVE_PPM - 1, 0) },
	  5, 550000, V1, 3755, 0 },
	/* one that only waited competes: W = 4096, ceil(5006.2) */
	{ "waiting only", { PAPER_V1, SIB(1024, 0, 1) }, 5, 550000, V1,
	  5007, 0 },
	/* never lower the current weight */
	{ "no lowering",
	  { SIB(5000, 400000, 0), BUSY(1024, 200000), BUSY(1024, 200000),
	    BUSY(1024, 200000) },
	  4, 550000, V1, 5000, 0 },
	/* a set that gets more than the machine (noise): ceil(84.6) */
	{ "G > 1e6", { SIB(10, 600000, 0), BUSY(100, 600000) }, 2, 550000, V2,
	  85, 0 },
	/* need 270000 > 10000 */
	{ "clamp v2",
	  { SIB(100, 100000, 0), BUSY(10000, 300000), BUSY(10000, 300000),
	    BUSY(10000, 300000) },
	  4, 900000, V2, 10000, CL },
	{ "clamp v1",
	  { SIB(1024, 100000, 0), BUSY(262144, 300000),
	    BUSY(262144, 300000), BUSY(262144, 300000) },
	  4, 900000, V1, 262144, CL },
	/* need exactly wmax: not clamped; one ppm more: clamped */
	{ "wmax v2 exact", { SIB(100, 500000, 0), BUSY(1000, 500000) }, 2,
	  909090, V2, 10000, 0 },
	{ "wmax v2 over", { SIB(100, 500000, 0), BUSY(1000, 500000) }, 2,
	  909091, V2, 10000, CL },
	{ "wmax v1 exact", { SIB(1024, 500000, 0), BUSY(262144, 500000) }, 2,
	  500000, V1, 262144, 0 },
	{ "wmax v1 over", { SIB(1024, 500000, 0), BUSY(262144, 500000) }, 2,
	  500001, V1, 262144, CL },
	/* the set gets 500000 < 550000: hopeless, raise to wmax */
	{ "hopeless", { SIB(1024, 300000, 0), BUSY(1024, 200000) }, 2, 550000,
	  V1, 262144, HL },
	{ "hopeless G == target", { SIB(100, 300000, 0), BUSY(100, 250000) },
	  2, 550000, V2, 10000, HL },
	/* no active sibling: weights cannot help, the weight stays */
	{ "alone", { SIB(1024, 900000, 0) }, 1, 550000, V1, 1024, NC },
	{ "only idle siblings",
	  { SIB(1024, 600000, 0), SIB(4096, 5000, 0), SIB(2, 0, 0) },
	  3, 550000, V1, 1024, NC },
	{ "alone below wmin", { SIB(1, 900000, 0) }, 1, 550000, V1, 2, NC },
	{ "alone and short", { SIB(100, 300000, 0), SIB(100, 5000, 0) }, 2,
	  550000, V2, 100, HL | NC },
	/* need ceil(1e5 / 9e5) = 1, raised to wmin */
	{ "wmin", { SIB(1, 500000, 0), BUSY(1, 500000) }, 2, 100000, 5,
	  10000, 5, 0 },
	{ "need 1", { SIB(1, 500000, 0), BUSY(1, 500000) }, 2, 100000, V2,
	  1, 0 },
};
/* clang-format on */

static void check_raise(const struct raise_case *c)
{
	struct cgw_raise r;

	memset(&r, 0xa5, sizeof(r));
	assert_int_equal(cgw_policy_raise(c->s, c->n, 0, c->target, ACTIVE_PPM,
					  c->wmin, c->wmax, &r),
			 0);
	if (r.weight != c->weight || r.clamped != !!(c->flags & CL) ||
	    r.hopeless != !!(c->flags & HL) ||
	    r.no_competition != !!(c->flags & NC))
		fail_msg("%s: weight %ju clamped %d hopeless %d none %d, want "
			 "%ju flags %#x",
			 c->name, (uintmax_t)r.weight, r.clamped, r.hopeless,
			 r.no_competition, (uintmax_t)c->weight, c->flags);
}

static void test_raise_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(raise_cases); i++)
		check_raise(&raise_cases[i]);
}

/* The scenario of the paper: c1 (self) must reach 55 %. */
static void test_raise_paper(void **state)
{
	const struct cgw_sib s[] = { PAPER_V1 };
	struct cgw_raise r;

	(void)state;
	assert_int_equal(cgw_policy_raise(s, 4, 0, 550000, ACTIVE_PPM, V1, &r),
			 0);
	assert_int_equal(r.weight, 3755);
	assert_false(r.clamped || r.hopeless || r.no_competition);
	/* 3755 / (3755 + 3072) = 55.002 % >= 55 %; 3754 gives 54.996 % */
	assert_int_equal(r.weight * PPM / (r.weight + 3072), 550021);
	assert_true(reaches(r.weight, 3072, PPM, 550000));
	assert_false(reaches(r.weight - 1, 3072, PPM, 550000));
	/* before: 2048 / 5120 = 40 % */
	assert_false(reaches(2048, 3072, PPM, 550000));
}

/* Self is never a competitor, whatever it did. */
static void test_raise_self_excluded(void **state)
{
	struct cgw_sib s[] = { PAPER_V1 };
	struct cgw_raise r;
	size_t i;

	(void)state;
	/* any of the four as self: W is the other three */
	for (i = 1; i < 4; i++) {
		assert_int_equal(
			cgw_policy_raise(s, 4, i, 300000, ACTIVE_PPM, V1, &r),
			0);
		/* W = 4096: ceil(4096 * 3 / 7) = ceil(1755.4) */
		assert_int_equal(r.weight, 1756);
	}
}

/*
 * n siblings of equal weight, each with 1e6 / n: the result is the least
 * weight whose expected share reaches the target, or wmax and clamped.
 */
static void check_equal_set(size_t n, uint64_t wc, uint64_t wmin, uint64_t wmax,
			    uint32_t target, unsigned *nclamped)
{
	struct cgw_sib s[MAX_SIBS];
	struct cgw_raise r, r2;
	uint64_t W, G;
	size_t i;

	for (i = 0; i < n; i++)
		s[i] = busy(i ? wc : wmin, PPM / n);
	W = active_weight(s, n, 0, ACTIVE_PPM);
	G = active_share(s, n, ACTIVE_PPM);
	assert_int_equal(W, (n - 1) * wc);
	assert_int_equal(
		cgw_policy_raise(s, n, 0, target, ACTIVE_PPM, wmin, wmax, &r),
		0);
	assert_false(r.hopeless || r.no_competition);
	assert_in_range(r.weight, wmin, wmax);
	if (r.clamped) {
		assert_int_equal(r.weight, wmax);
		assert_false(reaches(wmax, W, G, target));
		(*nclamped)++;
	} else {
		assert_true(reaches(r.weight, W, G, target));
		if (r.weight > wmin)
			assert_false(reaches(r.weight - 1, W, G, target));
	}
	/* an idle sibling with the largest weight changes nothing */
	s[n] = sib(CGW_SHARES_MAX, 0, 0);
	assert_int_equal(cgw_policy_raise(s, n + 1, 0, target, ACTIVE_PPM, wmin,
					  wmax, &r2),
			 0);
	assert_memory_equal(&r, &r2, sizeof(r));
}

static void test_raise_equal_siblings(void **state)
{
	static const uint32_t targets[] = { 100000, 300000, 550000, 900000 };
	unsigned nclamped = 0;
	size_t n, t;

	(void)state;
	for (n = 2; n <= 50; n++) {
		for (t = 0; t < ARRAY_SIZE(targets); t++) {
			check_equal_set(n, 1024, V1, targets[t], &nclamped);
			check_equal_set(n, 100, V2, targets[t], &nclamped);
		}
	}
	/*
	 * v1 clamps at 900000 once 9 * 1024 (n - 1) > 262144 (n >= 30, 21
	 * sets), never below; v2 at 900000 once 900 (n - 1) > 10000 (n >=
	 * 13, 38 sets), at 550000 once 122.2 (n - 1) > 10000 (n >= 83:
	 * never).  G = n * floor(1e6 / n) is a bit less than 1e6, which
	 * does not move these edges.
	 */
	assert_int_equal(nclamped, 21 + 38);
}

/* Exact values of the equal-set loop at its ends. */
static void test_raise_equal_exact(void **state)
{
	struct cgw_sib s[MAX_SIBS];
	struct cgw_raise r;
	size_t i;

	(void)state;
	for (i = 0; i < 50; i++)
		s[i] = busy(i ? 1024 : 2, 20000);
	/* W = 50176, G = 1e6: ceil(50176 * 3 / 7) = ceil(21503.99) */
	assert_int_equal(cgw_policy_raise(s, 50, 0, 300000, ACTIVE_PPM, V1, &r),
			 0);
	assert_int_equal(r.weight, 21504);
	assert_false(r.clamped);
	/* n = 2: ceil(1024 * 3 / 7) = ceil(438.86) */
	s[0] = busy(2, 500000);
	s[1] = busy(1024, 500000);
	assert_int_equal(cgw_policy_raise(s, 2, 0, 300000, ACTIVE_PPM, V1, &r),
			 0);
	assert_int_equal(r.weight, 439);
}

static void test_raise_einval(void **state)
{
	const struct cgw_sib s[] = { PAPER_V1 };
	struct cgw_raise r;

	(void)state;
	assert_int_equal(cgw_policy_raise(s, 0, 0, 550000, 0, V1, &r), -EINVAL);
	assert_int_equal(cgw_policy_raise(s, 4, 4, 550000, 0, V1, &r), -EINVAL);
	assert_int_equal(cgw_policy_raise(s, 4, 0, 0, 0, V1, &r), -EINVAL);
	assert_int_equal(cgw_policy_raise(s, 4, 0, PPM + 1, 0, V1, &r),
			 -EINVAL);
	assert_int_equal(cgw_policy_raise(s, 4, 0, 550000, 0, 10, 9, &r),
			 -EINVAL);
	assert_int_equal(cgw_policy_raise(NULL, 4, 0, 550000, 0, V1, &r),
			 -EINVAL);
	assert_int_equal(cgw_policy_raise(s, 4, 0, 550000, 0, V1, NULL),
			 -EINVAL);
	/* target 1e6 is valid; the set gets exactly 1e6: hopeless */
	assert_int_equal(cgw_policy_raise(s, 4, 0, PPM, 0, V1, &r), 0);
	assert_true(r.hopeless);
	assert_int_equal(r.weight, CGW_SHARES_MAX);
}

/* --- quotas and caps ---------------------------------------------------- */

static void test_quota_us(void **state)
{
	static const unsigned int cpus[] = { 1, 2, 3, 64, 1024 };
	static const uint64_t periods[] = { 1000, 100000, 1000000 };
	/* [share][cpus][period] */
	static const uint64_t want[3][5][3] = {
		{ /* 25 % */
		  { 1000, 25000, 250000 },
		  { 1000, 50000, 500000 },
		  { 1000, 75000, 750000 },
		  { 16000, 1600000, 16000000 },
		  { 256000, 25600000, 256000000 } },
		{ /* 33.3333 %: rounded down */
		  { 1000, 33333, 333333 },
		  { 1000, 66666, 666666 },
		  { 1000, 99999, 999999 },
		  { 21333, 2133331, 21333312 },
		  { 341332, 34133299, 341332992 } },
		{ /* 100 % */
		  { 1000, 100000, 1000000 },
		  { 2000, 200000, 2000000 },
		  { 3000, 300000, 3000000 },
		  { 64000, 6400000, 64000000 },
		  { 1024000, 102400000, 1024000000 } },
	};
	static const uint32_t shares[] = { 250000, 333333, PPM };
	size_t s, c, p;

	(void)state;
	for (s = 0; s < 3; s++)
		for (c = 0; c < 5; c++)
			for (p = 0; p < 3; p++)
				assert_int_equal(cgw_quota_us(shares[s],
							      cpus[c],
							      periods[p]),
						 want[s][c][p]);
	/* the 1000 us floor */
	assert_int_equal(cgw_quota_us(0, 1024, 1000000), 1000);
	assert_int_equal(cgw_quota_us(999, 1, 1000000), 1000);
	assert_int_equal(cgw_quota_us(1001, 1, 1000000), 1001);
	assert_int_equal(cgw_quota_us(1, 1024, 1000000), 1024);
	assert_int_equal(cgw_quota_us(100000, 1, 1000), 1000); /* 100 */
	/* no overflow, saturates */
	assert_int_equal(cgw_quota_us(UINT32_MAX, UINT_MAX, UINT64_MAX),
			 UINT64_MAX);
	assert_int_equal(cgw_quota_us(PPM, 1024, UINT64_MAX / 1024),
			 UINT64_MAX / 1024 * 1024);
}

static uint64_t cap_sum(const uint32_t *cap, size_t n)
{
	uint64_t sum = 0;
	size_t i;

	for (i = 0; i < n; i++)
		sum += cap[i];
	return sum;
}

struct caps_case {
	const char *name;
	struct cgw_sib c[6];
	size_t n;
	uint32_t target;
	int ret;
	uint32_t cap[6];
};

/* clang-format off */
static const struct caps_case caps_cases[] = {
	/* the paper's competitors: 450000 split three ways */
	{ "paper",
	  { BUSY(1024, 200000), BUSY(1024, 200000), BUSY(1024, 200000) },
	  3, 550000, 3, { 150000, 150000, 150000 } },
	{ "2:1", { BUSY(1, 400000), BUSY(1, 200000) }, 2, 550000, 2,
	  { 300000, 150000 } },
	/* inactive ones neither count nor get a cap */
	{ "inactive",
	  { BUSY(1, 500000), BUSY(1, 300000), SIB(1, ACTIVE_PPM - 1, 0),
	    SIB(1, 0, 0) },
	  4, 550000, 2, { 281250, 168750, 0, 0 } },
	/* together below the budget: nothing to cap */
	{ "below", { BUSY(1, 100000), BUSY(1, 200000) }, 2, 600000, 0, { 0 } },
	/* exactly at their parts: nothing to cap either */
	{ "at part", { BUSY(1, 200000), BUSY(1, 200000) }, 2, 600000, 0,
	  { 0 } },
	/* one ppm over: both capped at their parts, rounded down */
	{ "over", { BUSY(1, 200000), BUSY(1, 200001) }, 2, 600000, 2,
	  { 199999, 200000 } },
	/* a competitor that only waited uses nothing: no cap */
	{ "waiting only", { BUSY(1, 500000), SIB(1, 0, 5) }, 2, 550000, 1,
	  { 450000, 0 } },
	/* floor(0.5) = 0 raised to 1, paid from the rounding slack */
	{ "1 ppm floor", { BUSY(1, 999000), BUSY(1, 500) }, 2, 999000, 2,
	  { 999, 1 } },
	/* 99 + 1 + 1 > 100: the largest cap pays */
	{ "1 ppm fit", { BUSY(1, 999900), BUSY(1, 50), BUSY(1, 50) }, 3,
	  999900, 3, { 98, 1, 1 } },
	/* 49 + 49 + 3 > 100: of two largest caps, the first pays */
	{ "1 ppm tie",
	  { BUSY(1, 499970), BUSY(1, 499970), BUSY(1, 20), BUSY(1, 20),
	    BUSY(1, 20) },
	  5, 999900, 5, { 48, 49, 1, 1, 1 } },
	/* less than 1 ppm per competitor to cap */
	{ "no room", { BUSY(1, 500000) }, 1, PPM, -EINVAL, { 0 } },
	{ "no room 2", { BUSY(1, 500000), BUSY(1, 400000) }, 2, 999999,
	  -EINVAL, { 0 } },
	{ "exact room", { BUSY(1, 500000), BUSY(1, 400000) }, 2, 999998, 2,
	  { 1, 1 } },
	/* 100 % for the protected cgroup is fine if nobody competes */
	{ "all free", { SIB(1, 5000, 0), BUSY(1, 0) }, 2, PPM, 0, { 0 } },
	{ "none", { BUSY(1, 0) }, 0, 550000, 0, { 0 } },
	{ "target 0", { BUSY(1, 500000) }, 1, 0, -EINVAL, { 0 } },
	{ "target > 1e6", { BUSY(1, 500000) }, 1, PPM + 1, -EINVAL, { 0 } },
};
/* clang-format on */

static void test_caps_table(void **state)
{
	const struct caps_case *c;
	uint32_t cap[6];
	size_t i;
	int ret;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(caps_cases); i++) {
		c = &caps_cases[i];
		memset(cap, 0, sizeof(cap));
		ret = cgw_policy_caps(c->c, c->n, c->target, ACTIVE_PPM, cap);
		if (ret != c->ret || memcmp(cap, c->cap, sizeof(cap)))
			fail_msg("%s: %d [%u %u %u %u %u], "
				 "want %d [%u %u %u %u %u]",
				 c->name, ret, cap[0], cap[1], cap[2], cap[3],
				 cap[4], c->ret, c->cap[0], c->cap[1],
				 c->cap[2], c->cap[3], c->cap[4]);
		if (c->target <= PPM)
			assert_true(cap_sum(cap, 6) <= PPM - c->target);
	}
}

/* A deterministic pseudo-random sequence (Knuth's MMIX LCG). */
static uint64_t lcg(uint64_t *x)
{
	*x = *x * 6364136223846793005ULL + 1442695040888963407ULL;
	return *x >> 33;
}

/* Invariants of one cap vector against its inputs. */
static void check_caps(const struct cgw_sib *c, size_t n, uint32_t target,
		       const uint32_t *cap, int ret)
{
	uint64_t budget = PPM - target, total, part;
	size_t i, ncap = 0;

	total = active_share(c, n, ACTIVE_PPM);
	assert_true(cap_sum(cap, n) <= budget);
	for (i = 0; i < n; i++) {
		part = total ? budget * c[i].share_ppm / total : 0;
		if (!cgw_sib_active(&c[i], ACTIVE_PPM) ||
		    c[i].share_ppm <= part) {
			assert_int_equal(cap[i], 0);
			continue;
		}
		ncap++;
		assert_in_range(cap[i], 1, c[i].share_ppm);
		/* proportional, rounded down; the floor costs <= ncap */
		if (part)
			assert_in_range(cap[i], part > n ? part - n : 1, part);
		else
			assert_int_equal(cap[i], 1);
	}
	assert_int_equal(ret, (int)ncap);
}

static void test_caps_random(void **state)
{
	struct cgw_sib c[16];
	uint32_t cap[16], target;
	uint64_t x = 42;
	int i, ret, nerr = 0;
	size_t n, j;

	(void)state;
	for (i = 0; i < 20000; i++) {
		n = 1 + lcg(&x) % 16;
		for (j = 0; j < n; j++)
			c[j] = sib(1, lcg(&x) % (2 * PPM / n),
				   lcg(&x) % 4 ? 1 : 0);
		/* targets near 1e6 exercise the 1 ppm floor */
		target = i % 2 ? 1 + lcg(&x) % PPM : PPM - lcg(&x) % 64;
		ret = cgw_policy_caps(c, n, target, ACTIVE_PPM, cap);
		if (ret == -EINVAL) {
			nerr++;
			assert_int_equal(cap_sum(cap, n), 0);
			continue;
		}
		check_caps(c, n, target, cap, ret);
	}
	assert_true(nerr > 0 && nerr < 10000);
}

/* --- relax state machine ---------------------------------------------- */

#define HOLD SEC
#define COOLDOWN (50 * MS)
#define T0 (1000 * SEC)

static bool due(struct cgw_relax *r, uint64_t now, uint64_t *next)
{
	*next = 0xdead;
	return cgw_relax_due(r, now, HOLD, COOLDOWN, next);
}

static void assert_not_due(struct cgw_relax *r, uint64_t now, uint64_t next)
{
	uint64_t n;

	assert_false(due(r, now, &n));
	assert_int_equal(n, next);
}

/*
 * breach at T0 raises the weight 2048 -> 3755 (the paper), clears at
 * T0 + 100 ms, holds 1 s, then relaxes one step per cooldown.
 */
static void test_relax_episode(void **state)
{
	static const uint64_t steps[] = { 2902, 2475, 2262, 2155, 2048 };
	const struct cgw_sib s[] = { PAPER_V1 };
	struct cgw_relax r = { 0 };
	struct cgw_raise rs;
	uint64_t w, now, next;
	size_t i;

	(void)state;
	assert_not_due(&r, T0, 0);
	cgw_relax_breach(&r);
	assert_int_equal(r.state, CGW_RELAX_ACTIVE);
	assert_true(cgw_relax_may_write(&r, T0, COOLDOWN)); /* never wrote */
	assert_int_equal(cgw_policy_raise(s, 4, 0, 550000, ACTIVE_PPM, V1, &rs),
			 0);
	w = rs.weight;
	cgw_relax_wrote(&r, T0, false);
	assert_int_equal(r.last_write_ns, T0);
	assert_int_equal(r.state, CGW_RELAX_ACTIVE);
	assert_not_due(&r, T0 + 10 * MS, 0); /* ACTIVE: nothing pending */
	assert_false(cgw_relax_may_write(&r, T0 + 50 * MS - 1, COOLDOWN));
	assert_true(cgw_relax_may_write(&r, T0 + 50 * MS, COOLDOWN));

	cgw_relax_clear(&r, T0 + 100 * MS);
	assert_int_equal(r.state, CGW_RELAX_HOLD);
	assert_int_equal(r.hold_start_ns, T0 + 100 * MS);
	assert_not_due(&r, T0 + 100 * MS, T0 + 1100 * MS);
	cgw_relax_clear(&r, T0 + 200 * MS); /* does not restart the hold */
	assert_int_equal(r.hold_start_ns, T0 + 100 * MS);
	assert_not_due(&r, T0 + 1100 * MS - 1, T0 + 1100 * MS);
	assert_int_equal(r.state, CGW_RELAX_HOLD);

	now = T0 + 1100 * MS;
	for (i = 0; i < ARRAY_SIZE(steps); i++, now += COOLDOWN) {
		assert_not_due(&r, now - 1, i ? now : T0 + 1100 * MS);
		assert_true(due(&r, now, &next));
		assert_int_equal(next, now + COOLDOWN);
		assert_int_equal(r.state, CGW_RELAX_RELAX);
		w = cgw_relax_weight(w, 2048);
		assert_int_equal(w, steps[i]);
		cgw_relax_wrote(&r, now, w == 2048);
		if (w != 2048)
			assert_not_due(&r, now, now + COOLDOWN);
	}
	assert_int_equal(r.state, CGW_RELAX_IDLE);
	assert_int_equal(r.last_write_ns, T0 + 1300 * MS);
	assert_not_due(&r, now, 0);
	assert_not_due(&r, now + 10 * SEC, 0);
}

static void test_relax_breach_in_relax(void **state)
{
	struct cgw_relax r = { 0 };
	uint64_t next;

	(void)state;
	cgw_relax_clear(&r, T0); /* IDLE: no effect */
	assert_int_equal(r.state, CGW_RELAX_IDLE);
	cgw_relax_breach(&r);
	cgw_relax_wrote(&r, T0, false);
	cgw_relax_clear(&r, T0 + 10 * MS);
	assert_true(due(&r, T0 + 10 * MS + HOLD, &next));
	assert_int_equal(r.state, CGW_RELAX_RELAX);
	cgw_relax_wrote(&r, T0 + 10 * MS + HOLD, false);
	cgw_relax_clear(&r, T0 + 20 * MS + HOLD); /* RELAX: no effect */
	assert_int_equal(r.state, CGW_RELAX_RELAX);
	assert_int_equal(r.hold_start_ns, T0 + 10 * MS);
	cgw_relax_breach(&r);
	assert_int_equal(r.state, CGW_RELAX_ACTIVE);
	assert_not_due(&r, T0 + 100 * SEC, 0);
	/* a breach in HOLD too */
	cgw_relax_clear(&r, T0 + 2 * SEC);
	assert_int_equal(r.state, CGW_RELAX_HOLD);
	cgw_relax_breach(&r);
	assert_int_equal(r.state, CGW_RELAX_ACTIVE);
	/* and a new clear starts a new hold */
	cgw_relax_clear(&r, T0 + 3 * SEC);
	assert_int_equal(r.hold_start_ns, T0 + 3 * SEC);
	assert_not_due(&r, T0 + 3 * SEC, T0 + 3 * SEC + HOLD);
}

/*
 * Breach at even 10 ms ticks, clear at odd ones, for 2 s: the hold never
 * runs out, so no relax step; writes on breaches are one per cooldown at
 * most: at 0, 60, 120, ..., 1980 ms (the first breach >= 50 ms after the
 * last write), 34 of them.
 */
static void test_relax_square_wave(void **state)
{
	struct cgw_relax r = { 0 };
	uint64_t now, last = 0, next;
	unsigned int tick, writes = 0;

	(void)state;
	for (tick = 0; tick < 200; tick++) {
		now = T0 + tick * 10 * MS;
		if (tick % 2) {
			cgw_relax_clear(&r, now);
			assert_not_due(&r, now, now + HOLD);
			continue;
		}
		cgw_relax_breach(&r);
		assert_not_due(&r, now, 0);
		if (!cgw_relax_may_write(&r, now, COOLDOWN))
			continue;
		if (writes)
			assert_true(now - last >= COOLDOWN);
		assert_int_equal(now, T0 + writes * 60 * MS);
		cgw_relax_wrote(&r, now, false);
		last = now;
		writes++;
	}
	assert_int_equal(writes, 34);
	/* last clear at 1990 ms: the first step is due a hold later */
	now = T0 + 1990 * MS;
	for (tick = 1; tick < 1000; tick++)
		assert_not_due(&r, now + tick * MS, now + HOLD);
	assert_true(due(&r, now + HOLD, &next));
	assert_int_equal(next, now + HOLD + COOLDOWN);
}

static void test_relax_cooldown_outlasts_hold(void **state)
{
	struct cgw_relax r = { 0 };
	uint64_t next;

	(void)state;
	cgw_relax_breach(&r);
	cgw_relax_wrote(&r, T0, false);
	cgw_relax_clear(&r, T0 + 1 * MS);
	/* hold 10 ms ends at T0 + 11 ms, the cooldown at T0 + 50 ms */
	assert_false(cgw_relax_due(&r, T0 + 1 * MS, 10 * MS, COOLDOWN, &next));
	assert_int_equal(next, T0 + 50 * MS);
	assert_false(cgw_relax_due(&r, T0 + 20 * MS, 10 * MS, COOLDOWN, &next));
	assert_int_equal(r.state, CGW_RELAX_RELAX);
	assert_int_equal(next, T0 + 50 * MS);
	/* due now: next is one cooldown on, when the step after it can be */
	assert_true(cgw_relax_due(&r, T0 + 50 * MS, 10 * MS, COOLDOWN, &next));
	assert_int_equal(next, T0 + 100 * MS);
	/* a step not taken stays due */
	assert_true(cgw_relax_due(&r, T0 + 100 * MS, 10 * MS, COOLDOWN, &next));
	assert_int_equal(next, T0 + 150 * MS);
	cgw_relax_wrote(&r, T0 + 100 * MS, false);
	assert_false(
		cgw_relax_due(&r, T0 + 100 * MS, 10 * MS, COOLDOWN, &next));
	assert_int_equal(next, T0 + 150 * MS);
	/* hold 0: due at once; next_ns may be NULL */
	cgw_relax_breach(&r);
	cgw_relax_clear(&r, T0 + SEC);
	assert_true(cgw_relax_due(&r, T0 + SEC, 0, COOLDOWN, NULL));
}

static void test_relax_may_write(void **state)
{
	struct cgw_relax r = { 0 };

	(void)state;
	assert_true(cgw_relax_may_write(&r, 0, COOLDOWN));
	assert_true(cgw_relax_may_write(&r, T0, UINT64_MAX));
	cgw_relax_wrote(&r, T0, false);
	assert_false(cgw_relax_may_write(&r, T0, COOLDOWN));
	assert_true(cgw_relax_may_write(&r, T0, 0));
	assert_false(cgw_relax_may_write(&r, T0 - 1, 0)); /* backwards */
	assert_false(cgw_relax_may_write(&r, T0 + COOLDOWN - 1, COOLDOWN));
	assert_true(cgw_relax_may_write(&r, T0 + COOLDOWN, COOLDOWN));
	assert_false(cgw_relax_may_write(&r, UINT64_MAX, UINT64_MAX));
	/* a write at time 0 is remembered */
	cgw_relax_wrote(&r, 0, false);
	assert_int_equal(r.last_write_ns, 1);
	assert_false(cgw_relax_may_write(&r, 10, COOLDOWN));
}

static void test_relax_saturation(void **state)
{
	struct cgw_relax r = { 0 };
	uint64_t next;

	(void)state;
	cgw_relax_breach(&r);
	cgw_relax_wrote(&r, UINT64_MAX - 10, false);
	cgw_relax_clear(&r, UINT64_MAX - 5);
	assert_false(cgw_relax_due(&r, UINT64_MAX - 5, HOLD, COOLDOWN, &next));
	assert_int_equal(next, UINT64_MAX);
}

/* --- relax steps ---------------------------------------------------------- */

static size_t weight_steps(uint64_t cur, uint64_t orig)
{
	uint64_t prev, dist;
	size_t n = 0, bound;

	dist = cur > orig ? cur - orig : orig - cur;
	/* the distance goes d -> ceil(d / 2): <= ceil(log2(d)) + 1 steps */
	bound = dist > 1 ? (size_t)(64 - __builtin_clzll(dist - 1)) + 1 : dist;
	while (cur != orig) {
		prev = cur;
		cur = cgw_relax_weight(cur, orig);
		/* toward orig, never past it, at least one unit */
		if (prev > orig)
			assert_in_range(cur, orig, prev - 1);
		else
			assert_in_range(cur, prev + 1, orig);
		n++;
		assert_true(n <= 65);
	}
	assert_true(n <= bound);
	return n;
}

static void test_relax_weight_exact(void **state)
{
	/* clang-format off */
	static const uint64_t down[] = {
		10000, 5050, 2575, 1338, 719, 410, 255, 178, 139, 120, 110, 100
	};
	/* clang-format on */
	static const uint64_t up[] = { 100, 5050, 7525, 8762, 9381, 10000 };
	uint64_t w;
	size_t i;

	(void)state;
	for (i = 1, w = down[0]; i < ARRAY_SIZE(down); i++) {
		w = cgw_relax_weight(w, 100);
		assert_int_equal(w, down[i]);
	}
	for (i = 1, w = up[0]; i < ARRAY_SIZE(up); i++) {
		w = cgw_relax_weight(w, 10000);
		assert_int_equal(w, up[i]);
	}
	/* 110 is within 10 % (> 5 %), 105 within 5 %: snap */
	assert_int_equal(cgw_relax_weight(120, 100), 110);
	assert_int_equal(cgw_relax_weight(110, 100), 100);
	assert_int_equal(cgw_relax_weight(100, 100), 100);
	assert_int_equal(cgw_relax_weight(101, 100), 100); /* step < 1 */
	assert_int_equal(cgw_relax_weight(3, 1), 2);
	assert_int_equal(cgw_relax_weight(2, 1), 1);
	assert_int_equal(cgw_relax_weight(0, 1), 1);
	assert_int_equal(cgw_relax_weight(UINT64_MAX, 0), UINT64_MAX / 2 + 1);
	/* d = 2^64 - 2: 64 halvings to 1, then the last unit */
	assert_int_equal(weight_steps(UINT64_MAX, 1), 65);
	assert_int_equal(weight_steps(1, UINT64_MAX), 5);
}

static void test_relax_weight_bounded(void **state)
{
	/* clang-format off */
	static const uint64_t v[] = {
		1, 2, 3, 10, 50, 100, 101, 200, 1024, 2048, 3755, 10000,
		25600, 102400, 262144
	};
	/* clang-format on */
	size_t i, j, n, max = 0;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(v); i++) {
		for (j = 0; j < ARRAY_SIZE(v); j++) {
			n = weight_steps(v[i], v[j]);
			max = n > max ? n : max;
		}
	}
	/* 262144 -> 1: 18 halvings and one snap */
	assert_int_equal(max, 19);
	assert_int_equal(weight_steps(3755, 2048), 5);
}

static void test_relax_quota_exact(void **state)
{
	(void)state;
	/* 4 CPUs x 100 ms: 400000 us no longer limits */
	assert_int_equal(cgw_relax_quota(50000, CGW_QUOTA_MAX, 4, 100000),
			 100000);
	assert_int_equal(cgw_relax_quota(100000, CGW_QUOTA_MAX, 4, 100000),
			 200000);
	assert_int_equal(cgw_relax_quota(200000, CGW_QUOTA_MAX, 4, 100000),
			 CGW_QUOTA_MAX);
	assert_int_equal(cgw_relax_quota(199999, CGW_QUOTA_MAX, 4, 100000),
			 399998);
	/* toward a finite original */
	assert_int_equal(cgw_relax_quota(30000, 200000, 4, 100000), 60000);
	assert_int_equal(cgw_relax_quota(60000, 200000, 4, 100000), 120000);
	assert_int_equal(cgw_relax_quota(120000, 200000, 4, 100000), 200000);
	assert_int_equal(cgw_relax_quota(100000, 200000, 4, 100000), 200000);
	/* a finite original above the machine is still reached exactly */
	assert_int_equal(cgw_relax_quota(300000, 900000, 4, 100000), 600000);
	/* never shrinks toward a smaller original */
	assert_int_equal(cgw_relax_quota(500000, 200000, 4, 100000), 200000);
	assert_int_equal(
		cgw_relax_quota(CGW_QUOTA_MAX, CGW_QUOTA_MAX, 4, 100000),
		CGW_QUOTA_MAX);
	/* below the kernel minimum: straight to 1000 us */
	assert_int_equal(cgw_relax_quota(0, CGW_QUOTA_MAX, 4, 100000), 1000);
	assert_int_equal(cgw_relax_quota(400, 600, 4, 100000), 600);
	/* no overflow */
	assert_int_equal(cgw_relax_quota(UINT64_MAX / 2 + 1, CGW_QUOTA_MAX,
					 UINT_MAX, UINT64_MAX),
			 CGW_QUOTA_MAX);
	assert_int_equal(
		cgw_relax_quota(UINT64_MAX / 2 - 1, UINT64_MAX - 1, 1, 1),
		UINT64_MAX - 3);
}

static size_t quota_steps(uint64_t cur, uint64_t orig, unsigned int ncpus,
			  uint64_t period)
{
	uint64_t prev;
	size_t n = 0;

	while (cur != orig) {
		prev = cur;
		cur = cgw_relax_quota(cur, orig, ncpus, period);
		if (cur != orig)
			assert_int_equal(cur, prev < 500 ? 1000 : prev * 2);
		n++;
		assert_true(n <= 65);
	}
	return n;
}

static void test_relax_quota_bounded(void **state)
{
	static const unsigned int cpus[] = { 1, 2, 3, 64, 1024 };
	static const uint64_t periods[] = { 1000, 100000, 1000000 };
	static const uint32_t shares[] = { 0, 1, 10000, 250000, 999999 };
	size_t c, p, s, n, max = 0;
	uint64_t q;

	(void)state;
	for (c = 0; c < ARRAY_SIZE(cpus); c++) {
		for (p = 0; p < ARRAY_SIZE(periods); p++) {
			for (s = 0; s < ARRAY_SIZE(shares); s++) {
				q = cgw_quota_us(shares[s], cpus[c],
						 periods[p]);
				n = quota_steps(q, CGW_QUOTA_MAX, cpus[c],
						periods[p]);
				max = n > max ? n : max;
				n = quota_steps(q, cpus[c] * periods[p] / 2,
						cpus[c], periods[p]);
				max = n > max ? n : max;
			}
		}
	}
	/* 1000 us -> 1024 CPUs x 1 s: 2^20 > 1024000 */
	assert_int_equal(max, 20);
	assert_int_equal(quota_steps(50000, CGW_QUOTA_MAX, 4, 100000), 3);
}

/* --- latency promises ------------------------------------------------ */

static void test_wait_bucket_is_runqlat(void **state)
{
	(void)state;
	/* runqlat: slot = log2(us), 0 for 0 and 1 us */
	assert_int_equal(cgw_wait_bucket(0), 0);
	assert_int_equal(cgw_wait_bucket(1999), 0);
	assert_int_equal(cgw_wait_bucket(2000), 1);
	assert_int_equal(cgw_wait_bucket(3999), 1);
	assert_int_equal(cgw_wait_bucket(4000), 2);
	assert_int_equal(cgw_wait_bucket(1023999), 9);
	assert_int_equal(cgw_wait_bucket(1024000), 10);
	assert_int_equal(cgw_wait_bucket(UINT64_MAX), CGW_HIST_BUCKETS - 1);
	for (uint32_t b = 1; b < CGW_HIST_BUCKETS - 1; b++) {
		assert_int_equal(cgw_wait_bucket(cgw_bucket_lo_us(b) * 1000),
				 b);
		assert_int_equal(
			cgw_wait_bucket(cgw_bucket_hi_us(b) * 1000 - 1), b);
	}
}

static void test_wait_params(void **state)
{
	struct cgw_wait_params p;

	(void)state;
	/* 1 ms sits in [512, 1024) us: 23 of its 512 whole-us values are
	 * above 1000 us */
	assert_int_equal(cgw_wait_params(1000000, 990, &p), 0);
	assert_int_equal(p.limit_us, 1000);
	assert_int_equal(p.pmil, 990);
	assert_int_equal(p.min, CGW_WAIT_MIN_SAMPLES);
	for (uint32_t b = 0; b < 9; b++)
		assert_int_equal(p.wgt[b], 0);
	assert_int_equal(p.wgt[9], (23 << 10) / 512);
	for (uint32_t b = 10; b < CGW_HIST_BUCKETS; b++)
		assert_int_equal(p.wgt[b], 1024);
	/* a limit at a bucket's top: nothing of its bucket is above it */
	assert_int_equal(cgw_wait_params(1023000, 990, &p), 0);
	assert_int_equal(p.wgt[9], 0);
	assert_int_equal(p.wgt[10], 1024);
	/* a limit at a bucket's bottom: all but one value is above it */
	assert_int_equal(cgw_wait_params(1024000, 500, &p), 0);
	assert_int_equal(p.wgt[10], (1023 << 10) / 1024);
	assert_int_equal(p.wgt[9], 0);
	assert_int_equal(cgw_wait_params(999, 990, &p), -EINVAL);
	assert_int_equal(cgw_wait_params(1000000, 1000, &p), -EINVAL);
	assert_int_equal(cgw_wait_params(1000000, 0, &p), -EINVAL);
}

static void test_hist_stats(void **state)
{
	uint32_t d[CGW_HIST_BUCKETS] = { 0 };
	struct cgw_hist_stats s;

	(void)state;
	cgw_hist_stats(d, 990, 500, &s);
	assert_int_equal(s.count, 0);
	assert_int_equal(s.us[0], 0);
	assert_int_equal(s.max_us, 0);
	/* 98 waits of 0-1 us, 2 of 4-8 ms: p50 in bucket 0, p99 (rank 99)
	 * half-way through bucket 12, the max its bound */
	d[0] = 98;
	d[12] = 2;
	cgw_hist_stats(d, 990, 500, &s);
	assert_int_equal(s.count, 100);
	assert_int_equal(s.us[1], 2 * 50 / 98);
	assert_int_equal(s.us[0], 4096 + 4096 / 2);
	assert_int_equal(s.max_us, 8192);
	/* rank 98 is the last of bucket 0: its top */
	cgw_hist_stats(d, 980, 10, &s);
	assert_int_equal(s.us[0], 2);
	assert_int_equal(s.us[1], 0);
	/* one wait: every percentile is it */
	memset(d, 0, sizeof(d));
	d[5] = 1;
	cgw_hist_stats(d, 990, 1, &s);
	assert_int_equal(s.us[0], 64);
	assert_int_equal(s.us[1], 64);
}

static void test_wait_raise(void **state)
{
	(void)state;
	/* doubles from where it is, up to 16 x the original */
	assert_int_equal(cgw_wait_raise(1024, 1024, 262144), 2048);
	assert_int_equal(cgw_wait_raise(8192, 1024, 262144), 16384);
	assert_int_equal(cgw_wait_raise(16384, 1024, 262144), 16384);
	assert_int_equal(cgw_wait_raise(12000, 1024, 262144), 16384);
	/* and the hierarchy's maximum */
	assert_int_equal(cgw_wait_raise(5000, 1000, 10000), 10000);
	assert_int_equal(cgw_wait_raise(10000, 1000, 10000), 10000);
	/* an operator's value above the bound is left alone */
	assert_int_equal(cgw_wait_raise(50000, 1024, 262144), 50000);
	/* a zero weight (bad read) still moves */
	assert_int_equal(cgw_wait_raise(0, 0, 10000), 2);
	assert_int_equal(CGW_WAIT_RAISE_MAX, 16);
}

static void test_wait_idle_pick(void **state)
{
	const struct cgw_wait_comp ok = { .busy = true, .has_idle = true };
	struct cgw_wait_comp c;

	(void)state;
	assert_true(cgw_wait_idle_pick(&ok));
	c = ok;
	c.busy = false; /* not competing now: nothing to gain */
	assert_false(cgw_wait_idle_pick(&c));
	c = ok;
	c.promised = true; /* its own promise comes first */
	assert_false(cgw_wait_idle_pick(&c));
	c = ok;
	c.weight_ours = true; /* cpu.idle would discard the agent's weight */
	assert_false(cgw_wait_idle_pick(&c));
	c = ok;
	c.has_idle = false; /* kernel without cpu.idle, or released */
	assert_false(cgw_wait_idle_pick(&c));
	c = ok;
	c.idle = true; /* idle already: the operator's */
	assert_false(cgw_wait_idle_pick(&c));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conv_version),
		cmocka_unit_test(test_shares_to_weight),
		cmocka_unit_test(test_weight_to_shares),
		cmocka_unit_test(test_conv_round_trip),
		cmocka_unit_test(test_sib_active),
		cmocka_unit_test(test_raise_table),
		cmocka_unit_test(test_raise_paper),
		cmocka_unit_test(test_raise_self_excluded),
		cmocka_unit_test(test_raise_equal_siblings),
		cmocka_unit_test(test_raise_equal_exact),
		cmocka_unit_test(test_raise_einval),
		cmocka_unit_test(test_quota_us),
		cmocka_unit_test(test_caps_table),
		cmocka_unit_test(test_caps_random),
		cmocka_unit_test(test_relax_episode),
		cmocka_unit_test(test_relax_breach_in_relax),
		cmocka_unit_test(test_relax_square_wave),
		cmocka_unit_test(test_relax_cooldown_outlasts_hold),
		cmocka_unit_test(test_relax_may_write),
		cmocka_unit_test(test_relax_saturation),
		cmocka_unit_test(test_relax_weight_exact),
		cmocka_unit_test(test_relax_weight_bounded),
		cmocka_unit_test(test_relax_quota_exact),
		cmocka_unit_test(test_relax_quota_bounded),
		cmocka_unit_test(test_wait_bucket_is_runqlat),
		cmocka_unit_test(test_wait_params),
		cmocka_unit_test(test_hist_stats),
		cmocka_unit_test(test_wait_raise),
		cmocka_unit_test(test_wait_idle_pick),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
