// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for user/core/ratelimit.c: one write per cooldown per file,
 * no relax before hold since the file's last raise, no A -> B -> A inside
 * hold, whatever order the write paths ask in.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "ratelimit.h"

#define MS UINT64_C(1000000)
#define CD (50 * MS)
#define HOLD (1000 * MS)

static void test_first_write_free(void **s)
{
	struct cgw_rl r = { 0 };

	(void)s;
	assert_int_equal(cgw_rl_check(&r, CGW_RL_RAISE, 5, CD, HOLD),
			 CGW_RL_OK);
	assert_int_equal(cgw_rl_check(&r, CGW_RL_RELAX, 5, CD, HOLD),
			 CGW_RL_OK);
	assert_int_equal(cgw_rl_next(&r, CGW_RL_RELAX, CD, HOLD), 0);
}

static void test_cooldown_any_direction(void **s)
{
	struct cgw_rl r = { 0 };
	uint64_t t = 1000 * MS;

	(void)s;
	cgw_rl_wrote(&r, CGW_RL_RAISE, t);
	/* a cap 13 ms after a raise of the same file: refused */
	assert_int_equal(cgw_rl_check(&r, CGW_RL_RAISE, t + 13 * MS, CD, HOLD),
			 CGW_RL_COOLDOWN);
	assert_int_equal(cgw_rl_check(&r, CGW_RL_RAISE, t + CD - 1, CD, HOLD),
			 CGW_RL_COOLDOWN);
	assert_int_equal(cgw_rl_check(&r, CGW_RL_RAISE, t + CD, CD, HOLD),
			 CGW_RL_OK);
	assert_int_equal(cgw_rl_next(&r, CGW_RL_RAISE, CD, HOLD), t + CD);
	/* a relax after a relax: cooldown only */
	cgw_rl_wrote(&r, CGW_RL_RELAX, t + 2 * HOLD);
	assert_int_equal(cgw_rl_check(&r, CGW_RL_RELAX, t + 2 * HOLD + 10 * MS,
				      CD, HOLD),
			 CGW_RL_COOLDOWN);
	assert_int_equal(
		cgw_rl_check(&r, CGW_RL_RELAX, t + 2 * HOLD + CD, CD, HOLD),
		CGW_RL_OK);
}

static void test_hold_since_last_raise(void **s)
{
	struct cgw_rl r = { 0 };
	uint64_t t = 1000 * MS;

	(void)s;
	cgw_rl_wrote(&r, CGW_RL_RAISE, t);
	cgw_rl_wrote(&r, CGW_RL_RAISE, t + 400 * MS); /* a tighter cap */
	/* hold counts from the last raise, not the first */
	assert_int_equal(cgw_rl_check(&r, CGW_RL_RELAX, t + HOLD, CD, HOLD),
			 CGW_RL_HOLD);
	assert_int_equal(cgw_rl_check(&r, CGW_RL_RELAX, t + 400 * MS + HOLD - 1,
				      CD, HOLD),
			 CGW_RL_HOLD);
	assert_int_equal(cgw_rl_next(&r, CGW_RL_RELAX, CD, HOLD),
			 t + 400 * MS + HOLD);
	assert_int_equal(
		cgw_rl_check(&r, CGW_RL_RELAX, t + 400 * MS + HOLD, CD, HOLD),
		CGW_RL_OK);
	/* a raise is not held back by hold */
	assert_int_equal(cgw_rl_check(&r, CGW_RL_RAISE, t + 500 * MS, CD, HOLD),
			 CGW_RL_OK);
}

static void test_relax_does_not_restart_hold(void **s)
{
	struct cgw_rl r = { 0 };
	uint64_t t = 10 * MS;

	(void)s;
	cgw_rl_wrote(&r, CGW_RL_RAISE, t);
	cgw_rl_wrote(&r, CGW_RL_RELAX, t + HOLD);
	/* the next relax step needs a cooldown, not another hold */
	assert_int_equal(cgw_rl_next(&r, CGW_RL_RELAX, CD, HOLD),
			 t + HOLD + CD);
}

static void test_clock_backwards(void **s)
{
	struct cgw_rl r = { 0 };

	(void)s;
	cgw_rl_wrote(&r, CGW_RL_RAISE, 5 * HOLD);
	assert_int_equal(cgw_rl_check(&r, CGW_RL_RAISE, HOLD, CD, HOLD),
			 CGW_RL_COOLDOWN);
	assert_int_equal(cgw_rl_check(&r, CGW_RL_RELAX, HOLD, CD, HOLD),
			 CGW_RL_COOLDOWN);
}

static void test_write_at_zero_remembered(void **s)
{
	struct cgw_rl r = { 0 };

	(void)s;
	cgw_rl_wrote(&r, CGW_RL_RAISE, 0);
	assert_int_equal(cgw_rl_check(&r, CGW_RL_RAISE, 10, CD, HOLD),
			 CGW_RL_COOLDOWN);
	assert_int_equal(cgw_rl_check(&r, CGW_RL_RELAX, CD + 10, CD, HOLD),
			 CGW_RL_HOLD);
}

static void test_saturation(void **s)
{
	struct cgw_rl r = { 0 };

	(void)s;
	cgw_rl_wrote(&r, CGW_RL_RAISE, UINT64_MAX - 5);
	assert_int_equal(cgw_rl_next(&r, CGW_RL_RELAX, CD, HOLD), UINT64_MAX);
	assert_int_equal(
		cgw_rl_check(&r, CGW_RL_RAISE, UINT64_MAX - 1, CD, HOLD),
		CGW_RL_COOLDOWN);
}

/*
 * A square wave: every 1 ms for 60 s, two write paths (raise/cap and
 * relax) each ask to write the same file, alternating with a 1 s period,
 * as a competitor switching on and off makes them.  Whatever is granted
 * keeps every gap >= cooldown, no relax before hold since the last raise,
 * and no A -> B -> A inside hold.
 */
static void test_square_wave_properties(void **s)
{
	struct cgw_rl r = { 0 };
	uint64_t t, last = 0, last_raise = 0, prev_t = 0, writes = 0;
	int val = 0, prev_val = 0, prev2_val = 0;
	uint64_t prev2_t = 0;

	(void)s;
	for (t = MS; t < 60000 * MS; t += MS) {
		enum cgw_rl_dir dir =
			(t / (1000 * MS)) % 2 ? CGW_RL_RELAX : CGW_RL_RAISE;

		if (cgw_rl_check(&r, dir, t, CD, HOLD) != CGW_RL_OK)
			continue;
		if (last)
			assert_true(t - last >= CD);
		if (dir == CGW_RL_RELAX && last_raise)
			assert_true(t - last_raise >= HOLD);
		cgw_rl_wrote(&r, dir, t);
		prev2_val = prev_val;
		prev2_t = prev_t;
		prev_val = val;
		prev_t = last;
		val = dir == CGW_RL_RAISE ? val + 1 : val - 1;
		/* A -> B -> A within hold */
		if (writes >= 2 && val == prev2_val)
			assert_true(t - prev2_t >= HOLD || prev2_t == 0);
		last = t;
		if (dir == CGW_RL_RAISE)
			last_raise = t;
		writes++;
	}
	assert_true(writes > 10);
	print_message("square wave: %llu writes granted in 60 s\n",
		      (unsigned long long)writes);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_write_free),
		cmocka_unit_test(test_cooldown_any_direction),
		cmocka_unit_test(test_hold_since_last_raise),
		cmocka_unit_test(test_relax_does_not_restart_hold),
		cmocka_unit_test(test_clock_backwards),
		cmocka_unit_test(test_write_at_zero_remembered),
		cmocka_unit_test(test_saturation),
		cmocka_unit_test(test_square_wave_properties),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
