// SPDX-License-Identifier: GPL-2.0
/* Unit tests for user/core/reload.c: what a SIGHUP may change. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"
#include "reload.h"

static struct cgw_config *two(void)
{
	struct cgw_config *c = calloc(1, sizeof(*c));

	assert_non_null(c);
	cgw_config_defaults(c);
	strcpy(c->groups[0].name, "web");
	strcpy(c->groups[0].path, "shop/web");
	strcpy(c->groups[0].scope, "shop");
	c->groups[0].min_ppm = 500000;
	strcpy(c->groups[1].name, "ctr");
	strcpy(c->groups[1].path, "docker/*");
	strcpy(c->groups[1].scope, "docker");
	c->groups[1].max_ppm = 250000;
	c->ngroups = 2;
	return c;
}

static void test_same_section(void **state)
{
	struct cgw_config *a = two(), *b = two();

	(void)state;
	assert_true(cgw_reload_same_section(&a->groups[0], &b->groups[0]));
	b->groups[0].min_ppm = 600000;
	assert_false(cgw_reload_same_section(&a->groups[0], &b->groups[0]));
	strcpy(b->groups[1].path, "docker/a*");
	assert_false(cgw_reload_same_section(&a->groups[1], &b->groups[1]));
	b->groups[1] = a->groups[1];
	strcpy(b->groups[1].scope, "");
	assert_false(cgw_reload_same_section(&a->groups[1], &b->groups[1]));
	/* the line it is on does not matter */
	b->groups[1] = a->groups[1];
	b->groups[1].line = 99;
	assert_true(cgw_reload_same_section(&a->groups[1], &b->groups[1]));
	free(a);
	free(b);
}

static void test_find(void **state)
{
	struct cgw_config *a = two();

	(void)state;
	assert_int_equal(cgw_reload_find(a, "ctr"), 1);
	assert_int_equal(cgw_reload_find(a, "web"), 0);
	assert_int_equal(cgw_reload_find(a, "nope"), -1);
	free(a);
}

static void test_agent_diff(void **state)
{
	struct cgw_config *a = two(), *b = two();
	char out[256];

	(void)state;
	assert_int_equal(cgw_reload_agent_diff(a, b, out, sizeof(out)), 0);
	assert_string_equal(out, "");
	b->window_ns *= 2;
	b->span_ns *= 2;
	b->hold_ns += 1;
	assert_int_equal(cgw_reload_agent_diff(a, b, out, sizeof(out)), 3);
	assert_string_equal(out, "window, hold, span");
	b = memcpy(b, a, sizeof(*b));
	strcpy(b->metrics, "127.0.0.1:9000");
	b->status_off = true;
	assert_int_equal(cgw_reload_agent_diff(a, b, out, sizeof(out)), 2);
	assert_string_equal(out, "metrics, status_socket");
	free(a);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_section),
		cmocka_unit_test(test_find),
		cmocka_unit_test(test_agent_diff),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
