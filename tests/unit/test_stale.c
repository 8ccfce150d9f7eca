// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for user/core/stale.c: after a stall, records superseded by
 * a later edge or older than a window are dropped; the last clear of an
 * episode never is; diagnostics are shed under a backlog.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "stale.h"

#define MS UINT64_C(1000000)
#define WIN (10 * MS)
#define NOW (100000 * MS)

static struct cgw_event ev(uint32_t slot, uint8_t type, uint8_t kind,
			   uint64_t t)
{
	struct cgw_event e = {
		.slot = slot, .type = type, .kind = kind, .t_event_ns = t
	};

	return e;
}

static void test_fresh_kept(void **s)
{
	struct cgw_event e[] = {
		ev(1, CGW_EV_BREACH, CGW_KIND_MIN, NOW - 1 * MS),
		ev(2, CGW_EV_ACTIVE, 0, NOW - 2 * MS),
		ev(3, CGW_EV_WINDOW, 0, NOW - WIN),
	};
	enum cgw_stale_why why[3];

	(void)s;
	assert_int_equal(cgw_stale_judge(e, 3, NOW, WIN, why), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(why[i], CGW_STALE_KEEP);
}

/* The SIGSTOP case: a breach that cleared while the agent slept. */
static void test_breach_then_clear_after_stall(void **s)
{
	struct cgw_event e[] = {
		ev(1, CGW_EV_BREACH, CGW_KIND_MIN, NOW - 4000 * MS),
		ev(1, CGW_EV_PERSIST, CGW_KIND_MIN, NOW - 3900 * MS),
		ev(1, CGW_EV_CLEAR, CGW_KIND_MIN, NOW - 2000 * MS),
	};
	enum cgw_stale_why why[3];

	(void)s;
	assert_int_equal(cgw_stale_judge(e, 3, NOW, WIN, why), 2);
	assert_int_equal(why[0], CGW_STALE_SUPERSEDED);
	assert_int_equal(why[1], CGW_STALE_SUPERSEDED);
	assert_int_equal(why[2], CGW_STALE_KEEP); /* old, but the last word */
}

static void test_old_breach_dropped_alone(void **s)
{
	struct cgw_event e[] = {
		ev(1, CGW_EV_BREACH, CGW_KIND_MAX, NOW - WIN - 1),
		ev(2, CGW_EV_ACTIVE, 0, NOW - 5000 * MS),
		ev(3, CGW_EV_IDLE, 0, NOW - 5000 * MS),
		ev(4, CGW_EV_SURPLUS, CGW_KIND_MIN, NOW - 5000 * MS),
	};
	enum cgw_stale_why why[4];

	(void)s;
	assert_int_equal(cgw_stale_judge(e, 4, NOW, WIN, why), 2);
	assert_int_equal(why[0], CGW_STALE_OLD);
	assert_int_equal(why[1], CGW_STALE_OLD);
	assert_int_equal(why[2], CGW_STALE_KEEP);
	assert_int_equal(why[3], CGW_STALE_KEEP);
}

/* Families and slots do not supersede each other; a persist does not
 * supersede the breach that opened the episode. */
static void test_families(void **s)
{
	struct cgw_event e[] = {
		ev(1, CGW_EV_BREACH, CGW_KIND_MIN, NOW - 1 * MS),
		ev(1, CGW_EV_CLEAR, CGW_KIND_MAX, NOW - 1 * MS),
		ev(2, CGW_EV_CLEAR, CGW_KIND_MIN, NOW - 1 * MS),
		ev(1, CGW_EV_SURPLUS_END, CGW_KIND_MIN, NOW - 1 * MS),
		ev(1, CGW_EV_PERSIST, CGW_KIND_MIN, NOW - 1 * MS),
		ev(5, CGW_EV_ACTIVE, 0, NOW - 1 * MS),
		ev(5, CGW_EV_IDLE, 0, NOW - 1 * MS),
		ev(5, CGW_EV_ACTIVE, 0, NOW),
	};
	enum cgw_stale_why why[8];

	(void)s;
	assert_int_equal(cgw_stale_judge(e, 8, NOW, WIN, why), 2);
	assert_int_equal(why[0], CGW_STALE_KEEP);
	assert_int_equal(why[4], CGW_STALE_KEEP);
	assert_int_equal(why[5], CGW_STALE_SUPERSEDED);
	assert_int_equal(why[6], CGW_STALE_SUPERSEDED);
	assert_int_equal(why[7], CGW_STALE_KEEP);
}

static void test_window_records_shed(void **s)
{
	struct cgw_event e[] = {
		ev(1, CGW_EV_WINDOW, 0, NOW - WIN - 1),
		ev(1, CGW_EV_WINDOW, 0, NOW - 1),
		ev(1, CGW_EV_WINDOW, 0, NOW + 5), /* clock skew: fresh */
	};
	enum cgw_stale_why why[3];

	(void)s;
	assert_int_equal(cgw_stale_judge(e, 3, NOW, WIN, why), 1);
	assert_int_equal(why[0], CGW_STALE_SHED);
	assert_int_equal(why[1], CGW_STALE_KEEP);
	assert_int_equal(why[2], CGW_STALE_KEEP);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fresh_kept),
		cmocka_unit_test(test_breach_then_clear_after_stall),
		cmocka_unit_test(test_old_breach_dropped_alone),
		cmocka_unit_test(test_families),
		cmocka_unit_test(test_window_records_shed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
