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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ranges),
		cmocka_unit_test(test_same),
		cmocka_unit_test(test_state_check),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
