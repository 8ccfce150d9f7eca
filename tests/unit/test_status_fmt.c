// SPDX-License-Identifier: GPL-2.0
/* Unit tests for user/core/status_fmt.c: group states, text and JSON. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "status_fmt.h"

static char *out;

static void render(const struct cgw_status *s, bool json)
{
	size_t len = 0;
	FILE *f;

	free(out);
	out = NULL;
	f = open_memstream(&out, &len);
	assert_non_null(f);
	assert_int_equal(json ? cgw_status_json(f, s) : cgw_status_text(f, s),
			 0);
	assert_int_equal(fclose(f), 0);
}

#define assert_has(s)                                        \
	do {                                                 \
		if (!strstr(out, s))                         \
			fail_msg("no '%s' in:\n%s", s, out); \
	} while (0)

static void test_state_precedence(void **state)
{
	struct cgw_gstate_in in = { .gone = false };

	(void)state;
	assert_int_equal(cgw_gstate_of(&in), CGW_GS_OK);
	in.changed = true;
	assert_int_equal(cgw_gstate_of(&in), CGW_GS_RELAXING);
	in.breached = true;
	assert_int_equal(cgw_gstate_of(&in), CGW_GS_BREACHED);
	in.unreachable = true;
	assert_int_equal(cgw_gstate_of(&in), CGW_GS_UNREACHABLE);
	in.released = true;
	assert_int_equal(cgw_gstate_of(&in), CGW_GS_RELEASED);
	in.gone = true;
	assert_int_equal(cgw_gstate_of(&in), CGW_GS_GONE);
	/* breached without anything of ours in place */
	in = (struct cgw_gstate_in){ .breached = true };
	assert_int_equal(cgw_gstate_of(&in), CGW_GS_BREACHED);
	assert_string_equal(cgw_gstate_name(CGW_GS_OK), "ok");
	assert_string_equal(cgw_gstate_name(CGW_GS_RELAXING), "relaxing");
	assert_string_equal(cgw_gstate_name(CGW_GS_UNREACHABLE), "unreachable");
	assert_string_equal(cgw_gstate_name(CGW_GS_RELEASED), "released");
	assert_string_equal(cgw_gstate_name(CGW_GS_NR), "unknown");
}

static const struct cgw_sgroup groups[] = {
	{ .name = "web",
	  .path = "shop/web",
	  .scope = "shop",
	  .min_ppm = 500000,
	  .have_estimate = true,
	  .share_ppm = 444500,
	  .slow_share_ppm = 450000,
	  .demand_ppm = 998300,
	  .state = CGW_GS_BREACHED },
	{ .name = "batch",
	  .path = "shop/batch",
	  .scope = "shop",
	  .min_ppm = 100000,
	  .max_ppm = 250000,
	  .state = CGW_GS_OK },
};

static const struct cgw_schange changes[] = {
	{ .group = "web",
	  .path = "shop/web",
	  .file = "cpu.weight",
	  .original = "100",
	  .current = "180" },
	{ .group = "web",
	  .path = "shop/\"odd\"",
	  .file = "cpu.max",
	  .original = "max 100000",
	  .current = "25000 100000",
	  .released = true,
	  .foreign = "50000 100000",
	  .released_s = 12.5,
	  .retake_s = -1 },
};

static void sample(struct cgw_status *s)
{
	*s = (struct cgw_status){
		.version = "0.1.0",
		.config = "/etc/cgwarden.ini",
		.root = "/sys/fs/cgroup",
		.mode = "v2",
		.nwatched = 5,
		.writes = 3,
		.skipped = 1,
		.released = 1,
		.ngroups = 2,
		.groups = groups,
		.nchanges = 2,
		.changes = changes,
	};
}

static void test_text(void **state)
{
	struct cgw_status s;

	(void)state;
	sample(&s);
	render(&s, false);
	assert_has(
		"cgwarden 0.1.0: 2 groups, 5 cgroups watched with competitors, on /sys/fs/cgroup (v2)\n");
	assert_has("config /etc/cgwarden.ini\n");
	assert_has(
		"GROUP  PATH        CONSTRAINT                 SHARE    DEMAND  STATE\n");
	assert_has(
		"web    shop/web    min 50.00%                44.45%    99.83%  breached\n");
	assert_has(
		"batch  shop/batch  min 10.00% max 25.00%          -         -  ok\n");
	assert_has("changed by the agent (original -> now):\n");
	assert_has("  [web] shop/web cpu.weight: 100 -> 180\n");
	assert_has(
		"  [web] shop/\"odd\" cpu.max: max 100000 -> 25000 100000 (released 12.5 s ago: changed by someone else to 50000 100000)\n");
	assert_has("3 writes, 1 skipped (already right), 1 files released\n");
}

static void test_text_nothing_changed(void **state)
{
	struct cgw_status s;

	(void)state;
	sample(&s);
	s.nchanges = 0;
	s.dry_run = true;
	render(&s, false);
	assert_has(" (v2), dry run\n");
	assert_has("nothing changed by the agent\n");
}

static void test_json(void **state)
{
	struct cgw_status s;

	(void)state;
	sample(&s);
	render(&s, true);
	assert_string_equal(
		out,
		"{\"version\":\"0.1.0\",\"config\":\"/etc/cgwarden.ini\",\"root\":\"/sys/fs/cgroup\",\"mode\":\"v2\","
		"\"dry_run\":false,\"watched\":5,\"writes\":3,\"skipped\":1,\"released\":1,\"groups\":["
		"{\"name\":\"web\",\"path\":\"shop/web\",\"scope\":\"shop\",\"min_share_ppm\":500000,\"max_share_ppm\":0,"
		"\"share_ppm\":444500,\"slow_share_ppm\":450000,\"demand_ppm\":998300,"
		"\"max_wait_ns\":0,\"max_wait_pmil\":0,\"waits\":null,\"state\":\"breached\"},"
		"{\"name\":\"batch\",\"path\":\"shop/batch\",\"scope\":\"shop\",\"min_share_ppm\":100000,\"max_share_ppm\":250000,"
		"\"share_ppm\":null,\"slow_share_ppm\":null,\"demand_ppm\":null,"
		"\"max_wait_ns\":0,\"max_wait_pmil\":0,\"waits\":null,\"state\":\"ok\"}],"
		"\"changes\":["
		"{\"group\":\"web\",\"path\":\"shop/web\",\"file\":\"cpu.weight\",\"original\":\"100\",\"current\":\"180\",\"released\":false},"
		"{\"group\":\"web\",\"path\":\"shop/\\\"odd\\\"\",\"file\":\"cpu.max\",\"original\":\"max 100000\",\"current\":\"25000 100000\",\"released\":true,\"released_why\":\"changed by someone else\",\"foreign\":\"50000 100000\",\"released_s\":12.500}]}\n");
}

static void test_json_empty(void **state)
{
	struct cgw_status s;

	(void)state;
	sample(&s);
	s.ngroups = 0;
	s.nchanges = 0;
	render(&s, true);
	assert_has("\"groups\":[],\"changes\":[]}\n");
}

static int teardown(void **state)
{
	(void)state;
	free(out);
	out = NULL;
	return 0;
}

/* A latency promise: in the constraint column, and the last span's waits
 * in a table of their own and in the JSON. */
static void test_waits(void **state)
{
	static const struct cgw_sgroup g[] = {
		{ .name = "api",
		  .path = "shop/api",
		  .scope = "shop",
		  .max_ppm = 250000,
		  .max_wait_ns = 1000000,
		  .wait_pmil = 999,
		  .have_waits = true,
		  .waits = 4200,
		  .wait_p50_us = 1,
		  .wait_pctl_us = 1536,
		  .wait_max_us = 8192,
		  .state = CGW_GS_OK },
		{ .name = "db",
		  .path = "shop/db",
		  .scope = "shop",
		  .max_wait_ns = 250000,
		  .wait_pmil = 990,
		  .state = CGW_GS_OK },
	};
	struct cgw_status s;

	(void)state;
	sample(&s);
	s.groups = g;
	s.ngroups = 2;
	render(&s, false);
	assert_has("max 25.00% wait 1ms p99.9");
	assert_has("  wait 250us p99  ");
	assert_has(
		"run-queue waits over the last span (us; max: its log2 bucket's bound):\n");
	assert_has("  api    4200 waits, p50 1, p99.9 1536, max < 8192\n");
	assert_null(strstr(out, "  db  ")); /* no waits seen: no line */
	render(&s, true);
	assert_has(
		"\"max_wait_ns\":1000000,\"max_wait_pmil\":999,\"waits\":{\"count\":4200,\"p50_us\":1,\"pctl_us\":1536,\"pctl_pmil\":999,\"max_us\":8192}");
	assert_has("\"max_wait_ns\":250000,\"max_wait_pmil\":990,\"waits\":null");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_state_precedence),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_text_nothing_changed),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_waits),
		cmocka_unit_test(test_json_empty),
	};

	return cmocka_run_group_tests(tests, NULL, teardown);
}
