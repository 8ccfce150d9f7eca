// SPDX-License-Identifier: GPL-2.0
/* Unit tests for user/core/select.c: which cgroups a section's path selects. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "select.h"

#define ID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define KPOD \
	"kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1a2b.slice"

static void test_is_pattern(void **state)
{
	(void)state;
	assert_true(cgw_sel_is_pattern("docker/*"));
	assert_true(cgw_sel_is_pattern("c?"));
	assert_true(cgw_sel_is_pattern("c[12]"));
	assert_false(cgw_sel_is_pattern("docker/" ID));
	assert_false(cgw_sel_is_pattern("system.slice/docker-x.scope"));
}

static void test_match_docker(void **state)
{
	(void)state;
	assert_true(cgw_sel_match("docker/*", "docker/" ID));
	/* a * never crosses a '/': the container's own children are not it */
	assert_false(cgw_sel_match("docker/*", "docker/" ID "/init"));
	assert_false(cgw_sel_match("docker/*", "docker"));
	assert_false(cgw_sel_match("docker/*", "dockerd/x"));
	assert_true(cgw_sel_match("system.slice/docker-*.scope",
				  "system.slice/docker-" ID ".scope"));
	assert_false(cgw_sel_match("system.slice/docker-*.scope",
				   "system.slice/containerd.service"));
	/* a literal path selects itself only */
	assert_true(cgw_sel_match("shop/web", "shop/web"));
	assert_false(cgw_sel_match("shop/web", "shop/web2"));
}

static void test_match_kubepods(void **state)
{
	static const char pat[] = "kubepods.slice/*/*pod*.slice/*.scope";

	(void)state;
	assert_true(cgw_sel_match(pat, KPOD "/cri-containerd-" ID ".scope"));
	assert_false(cgw_sel_match(pat, KPOD));
	assert_false(cgw_sel_match(pat, "kubepods.slice/"
					"x.scope"));
	assert_false(cgw_sel_match(
		pat, "kubepods.slice/a/b/kubepods-pod1.slice/c.scope"));
}

static void test_may_descend(void **state)
{
	static const char pat[] = "kubepods.slice/*/*pod*.slice/*.scope";

	(void)state;
	assert_true(cgw_sel_may_descend(pat, ""));
	assert_true(cgw_sel_may_descend(pat, "kubepods.slice"));
	assert_true(cgw_sel_may_descend(
		pat, "kubepods.slice/kubepods-burstable.slice"));
	assert_true(cgw_sel_may_descend(pat, KPOD));
	/* at the pattern's depth: a candidate itself, nothing below */
	assert_false(cgw_sel_may_descend(pat, KPOD "/x.scope"));
	assert_false(cgw_sel_may_descend(pat, "system.slice"));
	assert_false(cgw_sel_may_descend(
		pat, "kubepods.slice/kubepods-burstable.slice/other.slice"));
	assert_true(cgw_sel_may_descend("docker/*", "docker"));
	assert_false(cgw_sel_may_descend("docker/*", "docker/" ID));
	assert_false(cgw_sel_may_descend("docker/*", "lxc"));
}

static void test_fixed_prefix(void **state)
{
	char out[256];

	(void)state;
	cgw_sel_fixed_prefix("docker/*", out, sizeof(out));
	assert_string_equal(out, "docker");
	cgw_sel_fixed_prefix("a/b/c*/d", out, sizeof(out));
	assert_string_equal(out, "a/b");
	cgw_sel_fixed_prefix("*/x", out, sizeof(out));
	assert_string_equal(out, "");
	cgw_sel_fixed_prefix("c?", out, sizeof(out));
	assert_string_equal(out, "");
	/* a literal path: its parent */
	cgw_sel_fixed_prefix("shop/web", out, sizeof(out));
	assert_string_equal(out, "shop");
}

static void test_name(void **state)
{
	char out[64];

	(void)state;
	assert_int_equal(
		cgw_sel_name("web", "shop/web", "shop/web", out, sizeof(out)),
		0);
	assert_string_equal(out, "web");
	assert_int_equal(
		cgw_sel_name("ctr", "docker/*", "docker/abc", out, sizeof(out)),
		0);
	assert_string_equal(out, "ctr/docker/abc");
	assert_int_equal(
		cgw_sel_name("ctr", "docker/*", "docker/" ID, out, sizeof(out)),
		-1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_is_pattern),
		cmocka_unit_test(test_match_docker),
		cmocka_unit_test(test_match_kubepods),
		cmocka_unit_test(test_may_descend),
		cmocka_unit_test(test_fixed_prefix),
		cmocka_unit_test(test_name),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
