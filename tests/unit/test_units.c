// SPDX-License-Identifier: GPL-2.0
/* Unit tests for user/core/units.c: durations and shares. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "units.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MS UINT64_C(1000000)
#define SEC UINT64_C(1000000000)

struct dur_case {
	const char *s;
	int err;
	uint64_t ns;
};

struct share_case {
	const char *s;
	int err;
	uint32_t ppm;
};

static void check_durations(const struct dur_case *c, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		uint64_t ns = 0xdeadbeef;
		int err = cgw_parse_duration(c[i].s, &ns);

		if (err != c[i].err)
			fail_msg("'%s': got %d, want %d", c[i].s, err,
				 c[i].err);
		/* on error the output is left alone */
		assert_int_equal(ns, c[i].err ? 0xdeadbeef : c[i].ns);
	}
}

static void check_shares(const struct share_case *c, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		uint32_t ppm = 0xdead;
		int err = cgw_parse_share(c[i].s, &ppm);

		if (err != c[i].err)
			fail_msg("'%s': got %d, want %d", c[i].s, err,
				 c[i].err);
		assert_int_equal(ppm, c[i].err ? 0xdead : c[i].ppm);
	}
}

static void test_duration_valid(void **state)
{
	static const struct dur_case c[] = {
		{ "10ms", 0, 10 * MS },
		{ "250us", 0, 250000 },
		{ "1s", 0, SEC },
		{ "1.5ms", 0, 1500000 },
		{ "0ms", 0, 0 },
		{ "0s", 0, 0 },
		{ "007ms", 0, 7 * MS },
		{ "1.001s", 0, SEC + MS },
		{ "1.05s", 0, 1050 * MS },
		{ "1.5us", 0, 1500 },
		{ "0.001us", 0, 1 },
		{ "600s", 0, 600 * SEC },
		{ "999us", 0, 999000 },
		{ "1001ms", 0, 1001 * MS },
	};

	(void)state;
	check_durations(c, ARRAY_SIZE(c));
}

static void test_duration_malformed(void **state)
{
	static const struct dur_case c[] = {
		{ "", -EINVAL, 0 },	  { "ms", -EINVAL, 0 },
		{ "10", -EINVAL, 0 },	  { "10 ms", -EINVAL, 0 },
		{ " 10ms", -EINVAL, 0 },  { "10ms ", -EINVAL, 0 },
		{ "-10ms", -EINVAL, 0 },  { "+10ms", -EINVAL, 0 },
		{ "1.ms", -EINVAL, 0 },	  { ".5ms", -EINVAL, 0 },
		{ "1.0001s", -EINVAL, 0 }, { "10ns", -EINVAL, 0 },
		{ "10m", -EINVAL, 0 },	  { "10MS", -EINVAL, 0 },
		{ "10mss", -EINVAL, 0 },  { "1..5ms", -EINVAL, 0 },
		{ "1e3ms", -EINVAL, 0 },  { "1,5ms", -EINVAL, 0 },
		{ "10sms", -EINVAL, 0 },  { "0x10ms", -EINVAL, 0 },
		{ "1 0ms", -EINVAL, 0 },  { "1.5", -EINVAL, 0 },
	};

	(void)state;
	check_durations(c, ARRAY_SIZE(c));
}

static void test_duration_null(void **state)
{
	uint64_t ns = 7;

	(void)state;
	assert_int_equal(cgw_parse_duration(NULL, &ns), -EINVAL);
	assert_int_equal(ns, 7);
}

static void test_duration_overflow(void **state)
{
	static const struct dur_case c[] = {
		/* UINT64_MAX ns is 18446744073709551.615us */
		{ "18446744073709551.615us", 0, UINT64_MAX },
		{ "18446744073709551.616us", -ERANGE, 0 },
		{ "18446744073s", 0, 18446744073 * SEC },
		{ "18446744074s", -ERANGE, 0 },
		{ "18446744073709551616us", -ERANGE, 0 },
		{ "99999999999999999999999999s", -ERANGE, 0 },
		/* malformed beats too large */
		{ "99999999999999999999999999", -EINVAL, 0 },
		{ "99999999999999999999999999xs", -EINVAL, 0 },
	};

	(void)state;
	check_durations(c, ARRAY_SIZE(c));
}

static void test_share_valid(void **state)
{
	static const struct share_case c[] = {
		{ "50%", 0, 500000 },	  { "12.5%", 0, 125000 },
		{ "0.01%", 0, 100 },	  { "100%", 0, 1000000 },
		{ "100.0000%", 0, 1000000 }, { "0%", 0, 0 },
		{ "0.0001%", 0, 1 },	  { "99.9999%", 0, 999999 },
		{ "25%", 0, 250000 },	  { "005%", 0, 50000 },
		{ "33.3333%", 0, 333333 },
	};

	(void)state;
	check_shares(c, ARRAY_SIZE(c));
}

static void test_share_malformed(void **state)
{
	static const struct share_case c[] = {
		{ "50", -EINVAL, 0 },	   { "5 0%", -EINVAL, 0 },
		{ "-5%", -EINVAL, 0 },	   { "+5%", -EINVAL, 0 },
		{ "%", -EINVAL, 0 },	   { "", -EINVAL, 0 },
		{ "50 %", -EINVAL, 0 },	   { " 50%", -EINVAL, 0 },
		{ "50% ", -EINVAL, 0 },	   { ".5%", -EINVAL, 0 },
		{ "5.%", -EINVAL, 0 },	   { "0.00001%", -EINVAL, 0 },
		{ "50%%", -EINVAL, 0 },	   { "5e1%", -EINVAL, 0 },
		{ "abc", -EINVAL, 0 },	   { "0.5", -EINVAL, 0 },
		{ "12.34567%", -EINVAL, 0 }, { "50ms", -EINVAL, 0 },
	};

	(void)state;
	check_shares(c, ARRAY_SIZE(c));
	assert_int_equal(cgw_parse_share(NULL, &(uint32_t){ 0 }), -EINVAL);
}

static void test_share_range(void **state)
{
	static const struct share_case c[] = {
		{ "100.0001%", -ERANGE, 0 },
		{ "101%", -ERANGE, 0 },
		{ "1000%", -ERANGE, 0 },
		{ "4294967296%", -ERANGE, 0 },
		/* * 10000 wraps to 8384 in 64 bits */
		{ "1844674407370956%", -ERANGE, 0 },
		{ "99999999999999999999999%", -ERANGE, 0 },
	};

	(void)state;
	check_shares(c, ARRAY_SIZE(c));
}

static void check_format(uint64_t ns, const char *want)
{
	char buf[32];
	uint64_t back = ~ns;

	memset(buf, 'x', sizeof(buf));
	cgw_format_duration(ns, buf, sizeof(buf));
	assert_string_equal(buf, want);
	/* what is printed parses back to the same value */
	assert_int_equal(cgw_parse_duration(buf, &back), 0);
	assert_int_equal(back, ns);
}

static void test_format(void **state)
{
	(void)state;
	check_format(0, "0s");
	check_format(SEC, "1s");
	check_format(60 * SEC, "60s");
	check_format(10 * MS, "10ms");
	check_format(1001 * MS, "1001ms");
	check_format(1500000, "1500us");
	check_format(250000, "250us");
	check_format(1500, "1.5us");
	check_format(1, "0.001us");
	check_format(1010, "1.01us");
	check_format(UINT64_MAX, "18446744073709551.615us");
}

static void test_format_small_buffer(void **state)
{
	char buf[8] = "xxxxxxx";

	(void)state;
	cgw_format_duration(10 * MS, buf, 3);
	assert_string_equal(buf, "10");
	cgw_format_duration(10 * MS, buf, 0); /* writes nothing */
	assert_string_equal(buf, "10");
}

static void check_share(uint32_t ppm, const char *want)
{
	char buf[32];
	uint32_t back = ~ppm;

	cgw_format_share(ppm, buf, sizeof(buf));
	assert_string_equal(buf, want);
	assert_int_equal(cgw_parse_share(buf, &back), 0);
	assert_int_equal(back, ppm);
}

static void test_format_share(void **state)
{
	char buf[4] = "xxx";

	(void)state;
	check_share(0, "0%");
	check_share(500000, "50%");
	check_share(1000000, "100%");
	check_share(125000, "12.5%");
	check_share(1, "0.0001%");
	check_share(10, "0.001%");
	check_share(333333, "33.3333%");
	cgw_format_share(500000, buf, 3);
	assert_string_equal(buf, "50");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_duration_valid),
		cmocka_unit_test(test_duration_malformed),
		cmocka_unit_test(test_duration_null),
		cmocka_unit_test(test_duration_overflow),
		cmocka_unit_test(test_share_valid),
		cmocka_unit_test(test_share_malformed),
		cmocka_unit_test(test_share_range),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_format_small_buffer),
		cmocka_unit_test(test_format_share),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
