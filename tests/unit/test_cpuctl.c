// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for user/core/cpuctl.c (the managed-file table) and
 * cgw_state_check() (what a state file may ask --restore to write).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cpuctl.h"
#include "state.h"

static void test_table(void)
{
	assert_non_null(cgw_cpuctl_find(CGW_MODE_V1, "cpu.shares"));
	assert_non_null(cgw_cpuctl_find(CGW_MODE_V1, "cpu.cfs_quota_us"));
	assert_non_null(cgw_cpuctl_find(CGW_MODE_V2, "cpu.weight"));
	assert_non_null(cgw_cpuctl_find(CGW_MODE_V2, "cpu.max"));
	/* each file belongs to one hierarchy only */
	assert_null(cgw_cpuctl_find(CGW_MODE_V2, "cpu.shares"));
	assert_null(cgw_cpuctl_find(CGW_MODE_V1, "cpu.max"));
	assert_null(cgw_cpuctl_find(CGW_MODE_NONE, "cpu.shares"));
	static const char *const never[] = {
		"release_agent",     "cgroup.procs",	       "tasks",
		"notify_on_release", "cpu.cfs_period_us",      "cgroup.kill",
		"cpu.weight.nice",   "cgroup.subtree_control", "",
		"../cpu.shares",
	};
	for (size_t i = 0; i < sizeof(never) / sizeof(never[0]); i++) {
		assert_null(cgw_cpuctl_find(CGW_MODE_V1, never[i]));
		assert_null(cgw_cpuctl_find(CGW_MODE_V2, never[i]));
	}
	assert_string_equal(cgw_cpuctl_weight_name(CGW_MODE_V1), "cpu.shares");
	assert_string_equal(cgw_cpuctl_quota_name(CGW_MODE_V2), "cpu.max");
	assert_string_equal(cgw_cpuctl_quota_name(CGW_MODE_V1),
			    "cpu.cfs_quota_us");
	assert_string_equal(cgw_cpuctl_weight_name(CGW_MODE_V2), "cpu.weight");
	/* cpu.idle: both modes, and never taken for a weight or a quota */
	assert_string_equal(cgw_cpuctl_idle_name(CGW_MODE_V1), "cpu.idle");
	assert_string_equal(cgw_cpuctl_idle_name(CGW_MODE_V2), "cpu.idle");
	assert_null(cgw_cpuctl_idle_name(CGW_MODE_NONE));
	assert_int_equal(cgw_cpuctl_weight_dfl(CGW_MODE_V1), 1024);
	assert_int_equal(cgw_cpuctl_weight_dfl(CGW_MODE_V2), 100);
	assert_int_equal(cgw_mode_from_name("cgroup-v1"), CGW_MODE_V1);
	assert_int_equal(cgw_mode_from_name("cgroup-v3"), CGW_MODE_NONE);
}

static int parse(enum cgw_mode m, const char *file, const char *v)
{
	struct cgw_cpuctl_val val;
	char why[128];

	return cgw_cpuctl_parse(cgw_cpuctl_find(m, file), v, &val, why,
				sizeof(why));
}

static void test_ranges(void **state)
{
	(void)state;
	test_table();
	assert_int_equal(parse(CGW_MODE_V1, "cpu.shares", "2"), 0);
	assert_int_equal(parse(CGW_MODE_V1, "cpu.shares", "262144"), 0);
	assert_int_equal(parse(CGW_MODE_V1, "cpu.shares", "1"), -ERANGE);
	assert_int_equal(parse(CGW_MODE_V1, "cpu.shares", "999999999"),
			 -ERANGE);
	assert_int_equal(parse(CGW_MODE_V2, "cpu.weight", "10000"), 0);
	assert_int_equal(parse(CGW_MODE_V2, "cpu.weight", "10001"), -ERANGE);
	assert_int_equal(parse(CGW_MODE_V2, "cpu.weight", "0"), -ERANGE);
	assert_int_equal(parse(CGW_MODE_V1, "cpu.idle", "0"), 0);
	assert_int_equal(parse(CGW_MODE_V2, "cpu.idle", "1"), 0);
	assert_int_equal(parse(CGW_MODE_V1, "cpu.idle", "2"), -ERANGE);
	assert_int_equal(parse(CGW_MODE_V2, "cpu.idle", "-1"), -EINVAL);
	assert_int_equal(parse(CGW_MODE_V2, "cpu.idle", "01"), -EINVAL);
	static const char *const junk[] = {
		"",   "-5",   "+5",
		"05", "5 ",   " 5",
		"5x", "0x10", "99999999999999999999"
	};
	for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++)
		assert_int_equal(parse(CGW_MODE_V1, "cpu.shares", junk[i]),
				 -EINVAL);
	assert_int_equal(parse(CGW_MODE_V1, "cpu.cfs_quota_us", "-1"), 0);
	assert_int_equal(parse(CGW_MODE_V1, "cpu.cfs_quota_us", "1000"), 0);
	assert_int_equal(parse(CGW_MODE_V1, "cpu.cfs_quota_us", "999"),
			 -ERANGE);
	assert_int_equal(parse(CGW_MODE_V1, "cpu.cfs_quota_us", "max"),
			 -EINVAL);
	assert_int_equal(parse(CGW_MODE_V1, "cpu.cfs_quota_us", "1000 100000"),
			 -EINVAL);
	assert_int_equal(parse(CGW_MODE_V2, "cpu.max", "max"), 0);
	assert_int_equal(parse(CGW_MODE_V2, "cpu.max", "max 100000"), 0);
	assert_int_equal(parse(CGW_MODE_V2, "cpu.max", "25000 100000"), 0);
	assert_int_equal(parse(CGW_MODE_V2, "cpu.max", "25000 999"), -ERANGE);
	assert_int_equal(parse(CGW_MODE_V2, "cpu.max", "25000 1000001"),
			 -ERANGE);
	assert_int_equal(parse(CGW_MODE_V2, "cpu.max", "-1"), -EINVAL);
	assert_int_equal(parse(CGW_MODE_V2, "cpu.max", "25000 100000 1"),
			 -EINVAL);
}

static void test_same(void **state)
{
	const struct cgw_cpuctl *max = cgw_cpuctl_find(CGW_MODE_V2, "cpu.max");
	const struct cgw_cpuctl *sh =
		cgw_cpuctl_find(CGW_MODE_V1, "cpu.shares");

	(void)state;
	assert_true(cgw_cpuctl_same(max, "max", "max 100000"));
	assert_true(cgw_cpuctl_same(max, "25000 100000", "25000 100000"));
	assert_false(cgw_cpuctl_same(max, "25000 100000", "25000 50000"));
	assert_false(cgw_cpuctl_same(max, "max 100000", "25000 100000"));
	assert_true(cgw_cpuctl_same(sh, "1024", "1024"));
	assert_false(cgw_cpuctl_same(sh, "1024", "2048"));
	assert_false(cgw_cpuctl_same(sh, "junk", "junk"));
}

static void check(const char *path, const char *file, const char *value,
		  const char *written, int want, const char *msg)
{
	struct cgw_state_entry e[2] = {
		{ .path = "ok",
		  .file = "cpu.shares",
		  .cgid = 7,
		  .value = "1024",
		  .written = "4096" },
	};
	struct cgw_state st = { .root = "/sys/fs/cgroup/cpu",
				.mode = "cgroup-v1",
				.n = 2,
				.e = e };
	char err[512] = "";

	snprintf(e[1].path, sizeof(e[1].path), "%s", path);
	snprintf(e[1].file, sizeof(e[1].file), "%s", file);
	snprintf(e[1].value, sizeof(e[1].value), "%s", value);
	snprintf(e[1].written, sizeof(e[1].written), "%s", written);
	e[1].cgid = 8;
	assert_int_equal(cgw_state_check("S", &st, CGW_MODE_V1,
					 "/sys/fs/cgroup/cpu", err,
					 sizeof(err)),
			 want);
	if (msg && !strstr(err, msg))
		fail_msg("'%s' does not say '%s'", err, msg);
	if (want && strncmp(err, "S: entry 2 ", 11))
		fail_msg("'%s' does not name the entry", err);
}

static void test_state_check(void **state)
{
	struct cgw_state st = { .root = "/sys/fs/cgroup/cpu",
				.mode = "cgroup-v1" };
	char err[256];

	(void)state;
	check("a/b", "cpu.shares", "2048", "", 0, NULL);
	check("", "cpu.cfs_quota_us", "-1", "50000", 0, NULL);
	check("a", "cgroup.procs", "1", "", -EPERM, "not a file cgwarden");
	check("", "release_agent", "/bin/sh", "", -EPERM, "not a file");
	check("a", "cpu.weight", "100", "", -EPERM, "not a file");
	check("a", "cpu.shares", "999999999", "", -EPERM, "out of range");
	check("a", "cpu.shares", "", "", -EPERM, "not a cpu.shares value");
	check("a", "cpu.shares", "1024", "1", -EPERM, "out of range");
	check("a/../..", "cpu.shares", "1024", "", -EPERM, "'..'");
	check("/a", "cpu.shares", "1024", "", -EPERM, "absolute");
	check("a//b", "cpu.shares", "1024", "", -EPERM, "empty path");
	check("a/", "cpu.shares", "1024", "", -EPERM, "trailing");
	check("./a", "cpu.shares", "1024", "", -EPERM, "'.'");
	assert_int_equal(cgw_state_check("S", &st, CGW_MODE_V2,
					 "/sys/fs/cgroup/cpu", err,
					 sizeof(err)),
			 -EPERM);
	assert_int_equal(cgw_state_check("S", &st, CGW_MODE_V1, "/tmp", err,
					 sizeof(err)),
			 -EPERM);
}

/* Every quota the agent formats reads back as the same quota and period,
 * and is a value the file's strict parser accepts. */
static void test_quota_format(void **state)
{
	static const uint64_t quotas[] = { CGW_QUOTA_MIN_US, 50000, 150000,
					   CGW_CPUCTL_UNLIMITED };
	static const enum cgw_mode modes[] = { CGW_MODE_V1, CGW_MODE_V2 };
	char buf[64], why[128];

	(void)state;
	for (size_t m = 0; m < 2; m++) {
		const struct cgw_cpuctl *c = cgw_cpuctl_find(
			modes[m], cgw_cpuctl_quota_name(modes[m]));

		assert_non_null(c);
		for (size_t i = 0; i < sizeof(quotas) / sizeof(quotas[0]);
		     i++) {
			struct cgw_cpuctl_val v;
			uint64_t p = 0;

			cgw_cpuctl_format_quota(modes[m], quotas[i], 250000,
						buf, sizeof(buf));
			assert_int_equal(cgw_cpuctl_quota_of(buf, &p),
					 quotas[i]);
			/* v1 keeps the period in a file of its own */
			assert_int_equal(p,
					 modes[m] == CGW_MODE_V2 ? 250000 : 0);
			assert_int_equal(
				cgw_cpuctl_parse(c, buf, &v, why, sizeof(why)),
				0);
		}
	}
	cgw_cpuctl_format_quota(CGW_MODE_V1, CGW_CPUCTL_UNLIMITED, 0, buf,
				sizeof(buf));
	assert_string_equal(buf, "-1");
	cgw_cpuctl_format_quota(CGW_MODE_V2, 50000, 100000, buf, sizeof(buf));
	assert_string_equal(buf, "50000 100000");
}

static void test_period(void **state)
{
	(void)state;
	assert_string_equal(cgw_cpuctl_period_name(CGW_MODE_V1),
			    "cpu.cfs_period_us");
	assert_string_equal(cgw_cpuctl_period_name(CGW_MODE_V2), "cpu.max");
	assert_int_equal(cgw_cpuctl_period_of(CGW_MODE_V1, "250000\n"), 250000);
	assert_int_equal(cgw_cpuctl_period_of(CGW_MODE_V2, "max 50000\n"),
			 50000);
	assert_int_equal(cgw_cpuctl_period_of(CGW_MODE_V2, "20000 80000"),
			 80000);
	/* unreadable or empty: the kernel's default */
	assert_int_equal(cgw_cpuctl_period_of(CGW_MODE_V1, ""),
			 CGW_PERIOD_DFL_US);
	assert_int_equal(cgw_cpuctl_period_of(CGW_MODE_V2, "max"),
			 CGW_PERIOD_DFL_US);
}

/* "Weights 2:1:1" on either mode: v1 as given (within the range), v2 by
 * the agent's own rounding (1535 shares -> 150, where a floor gave 149). */
static void test_weight_of_shares(void **state)
{
	(void)state;
	assert_int_equal(cgw_cpuctl_weight_of_shares(CGW_MODE_V1, 2048), 2048);
	assert_int_equal(cgw_cpuctl_weight_of_shares(CGW_MODE_V1, 1),
			 CGW_SHARES_MIN);
	assert_int_equal(cgw_cpuctl_weight_of_shares(CGW_MODE_V2, 2048), 200);
	assert_int_equal(cgw_cpuctl_weight_of_shares(CGW_MODE_V2, 1535), 150);
	assert_int_equal(cgw_cpuctl_weight_of_shares(CGW_MODE_V2, 2), 1);
	assert_int_equal(cgw_cpuctl_weight_min(CGW_MODE_V1), CGW_SHARES_MIN);
	assert_int_equal(cgw_cpuctl_weight_max(CGW_MODE_V2), CGW_WEIGHT_MAX);
	assert_string_equal(cgw_cpuctl_weight_name(CGW_MODE_V2), "cpu.weight");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ranges),
		cmocka_unit_test(test_same),
		cmocka_unit_test(test_state_check),
		cmocka_unit_test(test_quota_format),
		cmocka_unit_test(test_period),
		cmocka_unit_test(test_weight_of_shares),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
