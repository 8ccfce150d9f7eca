// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for user/core/config.c.  Every file lives in a mkdtemp()
 * directory, which also holds a fake cgroup root (root/shop/{web,batch,db}
 * and a regular file root/shop/file); the group teardown removes it all.
 */
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <cmocka.h>

#include "config.h"

#define MS UINT64_C(1000000)
#define SEC UINT64_C(1000000000)

static char tmpdir[PATH_MAX];
static char root[PATH_MAX + 8];

struct fixture {
	struct cgw_config *cfg; /* ~4 MB: never on the stack */
	struct cgw_diag diag;
	char file[PATH_MAX + 16];
};

/* --- fixtures ------------------------------------------------------------ */

static int rm_entry(const char *path, const struct stat *st, int flag,
		    struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

static int make_tree(void)
{
	static const char *const dirs[] = { "",		  "/shop",
					    "/shop/web",  "/shop/batch",
					    "/shop/db",	  "/shop/api",
					    "/shop/cache" };
	char path[sizeof(root) + 32];
	FILE *f;
	size_t i;

	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s%s", root, dirs[i]);
		if (mkdir(path, 0755))
			return -1;
	}
	snprintf(path, sizeof(path), "%s/shop/file", root);
	f = fopen(path, "we");
	if (!f)
		return -1;
	return fclose(f);
}

static int group_setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/cgw-test-config-XXXXXX");
	if (!mkdtemp(tmpdir))
		return -1;
	snprintf(root, sizeof(root), "%s/root", tmpdir);
	return make_tree();
}

static int group_teardown(void **state)
{
	(void)state;
	if (!tmpdir[0])
		return 0;
	return nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static int setup(void **state)
{
	static int seq;
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (!fx)
		return -1;
	fx->cfg = malloc(sizeof(*fx->cfg));
	if (!fx->cfg) {
		free(fx);
		return -1;
	}
	snprintf(fx->file, sizeof(fx->file), "%s/t%d.conf", tmpdir, seq++);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	unlink(fx->file);
	free(fx->cfg);
	free(fx);
	return 0;
}

/* --- helpers ------------------------------------------------------------- */

static void write_raw(struct fixture *fx, const char *text)
{
	FILE *f = fopen(fx->file, "we");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

/* lines[i] is line i + 1 of the file; NULL ends the list. */
static void write_lines(struct fixture *fx, const char *const *lines)
{
	FILE *f = fopen(fx->file, "we");

	assert_non_null(f);
	for (; *lines; lines++)
		fprintf(f, "%s\n", *lines);
	assert_int_equal(fclose(f), 0);
}

static int load(struct fixture *fx)
{
	return cgw_config_load(fx->file, root, fx->cfg, &fx->diag);
}

static void dump_diag(const struct fixture *fx)
{
	size_t i;

	for (i = 0; i < fx->diag.n; i++)
		print_message("  diag: %s\n", fx->diag.msg[i]);
}

/*
 * Is there a message starting "FILE:LINE: WHAT" ("FILE: WHAT" if !line),
 * stored with that line?
 */
static int has_msg(const struct fixture *fx, int line, const char *what)
{
	char want[sizeof(fx->file) + 300];
	size_t i;

	if (line)
		snprintf(want, sizeof(want), "%s:%d: %s", fx->file, line,
			 what);
	else
		snprintf(want, sizeof(want), "%s: %s", fx->file, what);
	for (i = 0; i < fx->diag.n; i++)
		if (!strncmp(fx->diag.msg[i], want, strlen(want)) &&
		    fx->diag.line[i] == line)
			return 1;
	return 0;
}

#define assert_msg(fx, line, what)                                          \
	do {                                                                \
		if (!has_msg(fx, line, what)) {                             \
			dump_diag(fx);                                      \
			fail_msg("no message '%s' at line %d", what, line); \
		}                                                           \
	} while (0)

#define assert_nmsg(fx, count)                                  \
	do {                                                    \
		if ((fx)->diag.n != (size_t)(count)) {          \
			dump_diag(fx);                          \
			fail_msg("%zu messages, want %d",       \
				 (fx)->diag.n, (int)(count));   \
		}                                               \
	} while (0)

/* Loads @lines and expects exactly one error, at @line, about @what. */
static void expect_one(struct fixture *fx, const char *const *lines,
		       int line, const char *what)
{
	write_lines(fx, lines);
	assert_int_equal(load(fx), -EINVAL);
	assert_msg(fx, line, what);
	assert_nmsg(fx, 1);
}

static void expect_ok(struct fixture *fx, const char *const *lines)
{
	int rc;

	write_lines(fx, lines);
	rc = load(fx);
	if (rc)
		dump_diag(fx);
	assert_int_equal(rc, 0);
	assert_nmsg(fx, 0);
}

/* --- valid files --------------------------------------------------------- */

static void test_example(void **state)
{
	static const char *const f[] = {
		"[agent]",	       "window = 10ms",	 "cooldown = 50ms",
		"",		       "[web]",		 "path = shop/web",
		"min_share = 50%",     "",		 "[batch]",
		"path = shop/batch",   "max_share = 25%", NULL,
	};
	struct fixture *fx = *state;
	struct cgw_config *c = fx->cfg;

	expect_ok(fx, f);
	assert_int_equal(c->window_ns, 10 * MS);
	assert_int_equal(c->cooldown_ns, 50 * MS);
	assert_string_equal(c->file, fx->file);
	assert_int_equal(c->ngroups, 2);
	assert_string_equal(c->groups[0].name, "web");
	assert_string_equal(c->groups[0].path, "shop/web");
	assert_int_equal(c->groups[0].min_ppm, 500000);
	assert_int_equal(c->groups[0].max_ppm, 0);
	assert_int_equal(c->groups[0].line, 5);
	assert_string_equal(c->groups[1].name, "batch");
	assert_string_equal(c->groups[1].path, "shop/batch");
	assert_int_equal(c->groups[1].min_ppm, 0);
	assert_int_equal(c->groups[1].max_ppm, 250000);
	assert_int_equal(c->groups[1].line, 9);
}

static void check_defaults(const struct cgw_config *c)
{
	assert_int_equal(c->window_ns, 10 * MS);
	assert_int_equal(c->cooldown_ns, 50 * MS);
	assert_int_equal(c->hold_ns, SEC);
	assert_int_equal(c->margin_ppm, 50000);
	assert_int_equal(c->clear_windows, 2);
	assert_int_equal(c->hyst_ppm, 10000);
}

static void test_defaults(void **state)
{
	static const char *const f[] = {
		"[web]", "path = shop/web", "max_share = 10%", NULL,
	};
	struct fixture *fx = *state;

	memset(fx->cfg, 0xa5, sizeof(*fx->cfg));
	cgw_config_defaults(fx->cfg);
	check_defaults(fx->cfg);
	assert_int_equal(fx->cfg->ngroups, 0);

	memset(fx->cfg, 0xa5, sizeof(*fx->cfg));
	expect_ok(fx, f);
	check_defaults(fx->cfg);
	assert_int_equal(fx->cfg->ngroups, 1);
}

static void test_agent_all_keys(void **state)
{
	static const char *const f[] = {
		"[web]",	    "path = shop/web",	  "min_share = 0.01%",
		"[agent]",	    "window = 1.5ms",	  "cooldown = 60s",
		"hold = 0ms",	    "margin = 50%",	  "clear_windows = 100",
		"hysteresis = 20%", NULL,
	};
	struct fixture *fx = *state;
	struct cgw_config *c = fx->cfg;

	expect_ok(fx, f);
	assert_int_equal(c->window_ns, 1500000);
	assert_int_equal(c->cooldown_ns, 60 * SEC);
	assert_int_equal(c->hold_ns, 0);
	assert_int_equal(c->margin_ppm, 500000);
	assert_int_equal(c->clear_windows, 100);
	assert_int_equal(c->hyst_ppm, 200000);
	assert_int_equal(c->groups[0].min_ppm, 100);
}

static void test_window_bounds_ok(void **state)
{
	static const char *const lo[] = {
		"[agent]", "window = 1ms", "cooldown = 1ms", "hold = 600s",
		"clear_windows = 1", "margin = 0%",
		"[web]", "path = shop/web", "max_share = 100%", NULL,
	};
	static const char *const hi[] = {
		"[agent]", "window = 1s", "cooldown = 1s",
		"[web]", "path = shop/web", "min_share = 10%", NULL,
	};
	struct fixture *fx = *state;

	expect_ok(fx, lo);
	assert_int_equal(fx->cfg->window_ns, MS);
	assert_int_equal(fx->cfg->cooldown_ns, MS);
	assert_int_equal(fx->cfg->hold_ns, 600 * SEC);
	assert_int_equal(fx->cfg->clear_windows, 1);
	assert_int_equal(fx->cfg->margin_ppm, 0);
	assert_int_equal(fx->cfg->groups[0].max_ppm, 1000000);
	expect_ok(fx, hi);
	assert_int_equal(fx->cfg->window_ns, SEC);
}

static void test_comments_crlf_bom(void **state)
{
	struct fixture *fx = *state;

	write_raw(fx, "\xEF\xBB\xBF; cgwarden\r\n"
		      "# comment\r\n"
		      "[agent]\r\n"
		      "  window = 20ms ; inline comment\r\n"
		      "\r\n"
		      "[web] ; shop front\r\n"
		      "path=shop/web\r\n"
		      "min_share:12.5%\r\n");
	assert_int_equal(load(fx), 0);
	assert_nmsg(fx, 0);
	assert_int_equal(fx->cfg->window_ns, 20 * MS);
	assert_string_equal(fx->cfg->groups[0].name, "web");
	assert_int_equal(fx->cfg->groups[0].line, 6);
	assert_int_equal(fx->cfg->groups[0].min_ppm, 125000);
}

static void test_path_trailing_slash(void **state)
{
	static const char *const f[] = {
		"[web]", "path = shop/web/", "min_share = 5%", NULL,
	};
	struct fixture *fx = *state;

	expect_ok(fx, f);
	assert_string_equal(fx->cfg->groups[0].path, "shop/web");
}

static void test_no_root_skips_existence(void **state)
{
	static const char *const f[] = {
		"[web]", "path = not/there", "min_share = 5%", NULL,
	};
	struct fixture *fx = *state;

	write_lines(fx, f);
	assert_int_equal(cgw_config_load(fx->file, NULL, fx->cfg, &fx->diag),
			 0);
	assert_nmsg(fx, 0);
	assert_string_equal(fx->cfg->groups[0].path, "not/there");
	/* the same file against the fake root */
	assert_int_equal(load(fx), -EINVAL);
	assert_msg(fx, 2, "path: 'not/there' does not exist");
	assert_nmsg(fx, 1);
}

static void test_min_and_max(void **state)
{
	static const char *const f[] = {
		"[web]", "path = shop/web", "max_share = 50%",
		"min_share = 49.9999%", NULL,
	};
	struct fixture *fx = *state;

	expect_ok(fx, f);
	assert_int_equal(fx->cfg->groups[0].min_ppm, 499999);
	assert_int_equal(fx->cfg->groups[0].max_ppm, 500000);
}

static void test_max_wait(void **state)
{
	static const char *const f[] = {
		"[web]", "path = shop/web", "max_wait = 1ms", "[api]",
		"path = shop/batch", "max_wait = 250us", "min_share = 10%",
		"max_wait_percentile = 99.9", "[db]", "path = shop/db",
		"max_wait = 2ms", "max_wait_percentile = 50%", NULL,
	};
	struct fixture *fx = *state;

	expect_ok(fx, f);
	assert_int_equal(fx->cfg->groups[0].max_wait_ns, 1000000);
	assert_int_equal(fx->cfg->groups[0].wait_pmil, 990);
	assert_int_equal(fx->cfg->groups[0].min_ppm, 0);
	assert_int_equal(fx->cfg->groups[1].max_wait_ns, 250000);
	assert_int_equal(fx->cfg->groups[1].wait_pmil, 999);
	assert_int_equal(fx->cfg->groups[1].min_ppm, 100000);
	assert_int_equal(fx->cfg->groups[2].wait_pmil, 500);
}

static void test_max_wait_errors(void **state)
{
	static const char *const f[] = {
		"[a]",				/* 1 */
		"path = shop/web",		/* 2 */
		"max_wait = 5us",		/* 3 */
		"[b]",				/* 4 */
		"path = shop/batch",		/* 5 */
		"max_wait = 1ms",		/* 6 */
		"max_wait_percentile = 99.95",	/* 7 */
		"[c]",				/* 8 */
		"path = shop/db",		/* 9 */
		"max_wait = 1ms",		/* 10 */
		"max_wait_percentile = 100",	/* 11 */
		"[d]",				/* 12 */
		"path = shop/api",		/* 13 */
		"min_share = 10%",		/* 14 */
		"max_wait_percentile = 99",	/* 15 */
		"[e]",				/* 16 */
		"path = shop/cache",		/* 17 */
		"max_wait = soon",		/* 18 */
		NULL,
	};
	struct fixture *fx = *state;

	write_lines(fx, f);
	assert_int_equal(load(fx), -EINVAL);
	assert_msg(fx, 3, "max_wait: '5us' is out of range (10us..1s)");
	assert_msg(fx, 7,
		   "max_wait_percentile: '99.95' is not a percentile such as 99 or 99.9");
	assert_msg(fx, 11,
		   "max_wait_percentile: '100' is out of range (50..99.9)");
	assert_msg(fx, 15,
		   "max_wait_percentile: needs max_wait in the same section");
	assert_msg(fx, 18,
		   "max_wait: 'soon' is not a duration such as 10ms, 250us or 1.5s");
	assert_nmsg(fx, 5);
}

static void test_name_charset(void **state)
{
	static const char *const f[] = {
		"[Web_2.a-b]",
		"path = shop/web",
		"min_share = 1%",
		"[123456789012345678901234567890123456789012345678901234567890"
		"123]",
		"path = shop/db",
		"min_share = 1%",
		NULL,
	};
	struct fixture *fx = *state;

	expect_ok(fx, f);
	assert_string_equal(fx->cfg->groups[0].name, "Web_2.a-b");
	assert_int_equal(strlen(fx->cfg->groups[1].name), 63);
}

static void test_diag_reset(void **state)
{
	static const char *const bad[] = { "[web]", NULL };
	static const char *const good[] = {
		"[web]", "path = shop/web", "min_share = 1%", NULL,
	};
	struct fixture *fx = *state;

	write_lines(fx, bad);
	assert_int_equal(load(fx), -EINVAL);
	assert_int_not_equal(fx->diag.n, 0);
	expect_ok(fx, good); /* each load starts a fresh diag */
}

/* --- [agent] errors ------------------------------------------------------ */

static void test_window_too_small(void **state)
{
	static const char *const f[] = {
		"[agent]", "window = 999us",
		"[web]",   "path = shop/web", "min_share = 1%", NULL,
	};

	expect_one(*state, f, 2, "window: '999us' is out of range (1ms..1s)");
}

static void test_window_too_large(void **state)
{
	static const char *const f[] = {
		"[web]",   "path = shop/web", "min_share = 1%",
		"[agent]", "cooldown = 2s",   "window = 1001ms", NULL,
	};

	expect_one(*state, f, 6, "window: '1001ms' is out of range");
}

static void test_bad_units(void **state)
{
	static const char *const f[] = {
		"[agent]",		   /* 1 */
		"window = 10",		   /* 2 */
		"cooldown = 10ns",	   /* 3 */
		"hold = 1.5",		   /* 4 */
		"margin = 5",		   /* 5 */
		"clear_windows = two",	   /* 6 */
		"[web]",		   /* 7 */
		"path = shop/web",	   /* 8 */
		"min_share = 50",	   /* 9 */
		"max_share = 60 %",	   /* 10 */
		NULL,
	};
	struct fixture *fx = *state;

	write_lines(fx, f);
	assert_int_equal(load(fx), -EINVAL);
	assert_msg(fx, 2, "window: '10' is not a duration");
	assert_msg(fx, 3, "cooldown: '10ns' is not a duration");
	assert_msg(fx, 4, "hold: '1.5' is not a duration");
	assert_msg(fx, 5, "margin: '5' is not a share");
	assert_msg(fx, 6, "clear_windows: 'two' is not a whole number");
	assert_msg(fx, 9, "min_share: '50' is not a share");
	assert_msg(fx, 10, "max_share: '60 %' is not a share");
	assert_nmsg(fx, 7);
}

/* A bad cooldown is not compared with the window as if it were 50ms. */
static void test_bad_value_no_cascade(void **state)
{
	static const char *const f[] = {
		"[agent]", "window = 100ms", "cooldown = soon",
		"[web]",   "path = shop/web", "min_share = 1%", NULL,
	};

	expect_one(*state, f, 3, "cooldown: 'soon' is not a duration");
}

static void test_agent_out_of_range(void **state)
{
	static const char *const f[] = {
		"[agent]",			/* 1 */
		"cooldown = 61s",		/* 2 */
		"hold = 601s",			/* 3 */
		"margin = 50.0001%",		/* 4 */
		"clear_windows = 0",		/* 5 */
		"hysteresis = 21%",		/* 6 */
		"[web]",			/* 7 */
		"path = shop/web",		/* 8 */
		"min_share = 1%",		/* 9 */
		NULL,
	};
	struct fixture *fx = *state;

	write_lines(fx, f);
	assert_int_equal(load(fx), -EINVAL);
	assert_msg(fx, 2, "cooldown: '61s' is out of range (1ms..60s)");
	assert_msg(fx, 3, "hold: '601s' is out of range (0s..600s)");
	assert_msg(fx, 4, "margin: '50.0001%' is out of range (0%..50%)");
	assert_msg(fx, 5, "clear_windows: '0' is out of range (1..100)");
	assert_msg(fx, 6, "hysteresis: '21%' is out of range (0%..20%)");
	assert_nmsg(fx, 5);
	/* bad values leave the defaults in place */
	check_defaults(fx->cfg);
}

static void test_clear_windows_range(void **state)
{
	static const char *const big[] = {
		"[web]", "path = shop/web", "min_share = 1%",
		"[agent]", "clear_windows = 101", NULL,
	};
	static const char *const huge[] = {
		"[agent]", "clear_windows = 99999999999999999999999",
		"[web]", "path = shop/web", "min_share = 1%", NULL,
	};
	static const char *const neg[] = {
		"[agent]", "clear_windows = -1",
		"[web]", "path = shop/web", "min_share = 1%", NULL,
	};

	expect_one(*state, big, 5, "clear_windows: '101' is out of range");
	expect_one(*state, huge, 2, "clear_windows: '9999");
	expect_one(*state, neg, 2, "clear_windows: '-1' is not a whole");
}

static void test_cooldown_below_window(void **state)
{
	static const char *const f[] = {
		"[agent]", "cooldown = 10ms", "window = 20ms",
		"[web]",   "path = shop/web", "min_share = 1%", NULL,
	};

	expect_one(*state, f, 2,
		   "cooldown: cooldown (10ms) must not be shorter than "
		   "window (20ms)");
}

static void test_window_above_default_cooldown(void **state)
{
	static const char *const f[] = {
		"[web]",   "path = shop/web", "min_share = 1%",
		"[agent]", "hold = 2s",	      "window = 100ms", NULL,
	};

	expect_one(*state, f, 6, "window: cooldown (50ms) must not be");
}

static void test_unknown_agent_key(void **state)
{
	static const char *const f[] = {
		"[agent]", "window = 10ms", "windw = 20ms",
		"[web]",   "path = shop/web", "min_share = 1%", NULL,
	};

	expect_one(*state, f, 3, "windw: unknown key in [agent]");
}

static void test_duplicate_agent(void **state)
{
	static const char *const f[] = {
		"[agent]",	 /* 1 */
		"window = 10ms", /* 2 */
		"[web]",	 /* 3 */
		"path = shop/web", "min_share = 1%",
		"[agent]",	 /* 6 */
		"window = 20ms", /* 7: checked, not used */
		"hold = 5ms",	 /* 8 */
		"margin = 70%",	 /* 9: out of range, still reported */
		NULL,
	};
	struct fixture *fx = *state;

	write_lines(fx, f);
	assert_int_equal(load(fx), -EINVAL);
	assert_msg(fx, 6, "[agent]: duplicate section (first at line 1)");
	assert_msg(fx, 9, "margin: '70%' is out of range");
	assert_nmsg(fx, 2);
	assert_int_equal(fx->cfg->window_ns, 10 * MS);
	assert_int_equal(fx->cfg->hold_ns, SEC);
}

/* --- group errors -------------------------------------------------------- */

static void test_unknown_group_key(void **state)
{
	static const char *const f[] = {
		"[web]", "path = shop/web", "min_share = 1%", "weight = 5",
		NULL,
	};

	expect_one(*state, f, 4, "weight: unknown key");
}

static void test_key_outside_section(void **state)
{
	static const char *const f[] = {
		"# leading comment", "window = 10ms",
		"[web]", "path = shop/web", "min_share = 1%", NULL,
	};

	expect_one(*state, f, 2, "window: key outside of any section");
}

static void test_missing_path(void **state)
{
	static const char *const f[] = {
		"[agent]", "", "[web]", "min_share = 50%", NULL,
	};
	struct fixture *fx = *state;

	expect_one(fx, f, 3, "[web]: missing 'path'");
	assert_int_equal(fx->cfg->ngroups, 1);
}

static void test_empty_section(void **state)
{
	static const char *const f[] = {
		"[web]", "path = shop/web", "min_share = 1%", "", "[batch]",
		"", "; nothing here", NULL,
	};
	struct fixture *fx = *state;

	write_lines(fx, f);
	assert_int_equal(load(fx), -EINVAL);
	assert_msg(fx, 5, "[batch]: missing 'path'");
	assert_msg(fx, 5, "[batch]: needs min_share, max_share or max_wait");
	assert_nmsg(fx, 2);
}

static void test_path_not_found(void **state)
{
	static const char *const f[] = {
		"[web]", "min_share = 1%", "path = shop/nope", NULL,
	};
	struct fixture *fx = *state;
	char want[PATH_MAX + 64];

	snprintf(want, sizeof(want),
		 "path: 'shop/nope' does not exist under %s", root);
	expect_one(fx, f, 3, want);
}

static void test_path_not_dir(void **state)
{
	static const char *const f[] = {
		"[web]", "min_share = 1%", "path = shop/file", NULL,
	};

	expect_one(*state, f, 3, "path: 'shop/file' under ");
}

static void test_path_syntax(void **state)
{
	static const char *const f[] = {
		"[a]", "min_share = 1%", "path = shop/../shop/web",   /* 3 */
		"[b]", "min_share = 1%", "path = ..",		      /* 6 */
		"[c]", "min_share = 1%", "path = shop/..",	      /* 9 */
		"[d]", "min_share = 1%", "path = /shop/web",	      /* 12 */
		"[e]", "min_share = 1%", "path = shop//web",	      /* 15 */
		"[f]", "min_share = 1%", "path = ./shop/web",	      /* 18 */
		"[g]", "min_share = 1%", "path =",		      /* 21 */
		"[h]", "min_share = 1%", "path = shop/web//",	      /* 24 */
		"[i]", "min_share = 1%", "path = /",		      /* 27 */
		NULL,
	};
	struct fixture *fx = *state;

	write_lines(fx, f);
	assert_int_equal(load(fx), -EINVAL);
	assert_msg(fx, 3, "path: 'shop/../shop/web' has a '..' component");
	assert_msg(fx, 6, "path: '..' has a '..' component");
	assert_msg(fx, 9, "path: 'shop/..' has a '..' component");

	assert_msg(fx, 15, "path: 'shop//web' has an empty component");
	assert_msg(fx, 18, "path: './shop/web' has a '.' component");
	assert_msg(fx, 21, "path: is empty");
	assert_msg(fx, 24, "path: 'shop/web//' has an empty component");
	assert_msg(fx, 27, "path: '/' is the cgroup root");
	assert_nmsg(fx, 8);
}

/* "/shop/web", as /proc/PID/cgroup prints it, is the same cgroup */
static void test_path_leading_slash(void **state)
{
	static const char *const f[] = {
		"[web]",
		"path = /shop/web",
		"min_share = 5%",
		NULL,
	};
	struct fixture *fx = *state;

	write_lines(fx, f);
	assert_int_equal(load(fx), 0);
	assert_string_equal(fx->cfg->groups[0].path, "shop/web");
	assert_string_equal(fx->cfg->groups[0].scope, "shop");
	assert_false(fx->cfg->groups[0].pattern);
}

/* A pattern may match nothing at start: it is not checked for existence;
 * its scope is its literal top-level cgroup. */
static void test_path_pattern(void **state)
{
	static const char *const f[] = {
		"[ctr]",  "path = /docker/*",  "min_share = 5%", /* 1 */
		"[pods]", "path = */x*.scope", "max_share = 5%", /* 4 */
		"[shop]", "path = shop/*",     "min_share = 5%", /* 7 */
		"[lit]",  "path = shop/nope",  "min_share = 5%", NULL, /* 10 */
	};
	struct fixture *fx = *state;

	write_lines(fx, f);
	assert_int_equal(load(fx), -EINVAL);
	assert_string_equal(fx->cfg->groups[0].path, "docker/*");
	assert_true(fx->cfg->groups[0].pattern);
	assert_string_equal(fx->cfg->groups[0].scope, "docker");
	assert_true(fx->cfg->groups[1].pattern);
	assert_string_equal(fx->cfg->groups[1].scope, "");
	assert_string_equal(fx->cfg->groups[2].scope, "shop");
	/* a literal path that does not exist stays an error */
	assert_msg(fx, 11, "path: 'shop/nope' does not exist");
	assert_nmsg(fx, 1);
}

/* [agent] retake: off by default, a duration when set */
static void test_retake(void **state)
{
	static const char *const f[] = {
		"[agent]",	   "retake = 30s",   "[web]",
		"path = shop/web", "min_share = 5%", NULL,
	};
	struct fixture *fx = *state;

	assert_int_equal(fx->cfg->retake_ns, 0);
	write_lines(fx, f);
	assert_int_equal(load(fx), 0);
	assert_int_equal(fx->cfg->retake_ns, 30 * SEC);
}

static void test_root_missing(void **state)
{
	static const char *const f[] = {
		"[web]", "path = shop/web", "min_share = 1%", NULL,
	};
	struct fixture *fx = *state;
	char missing[sizeof(root) + 16];

	snprintf(missing, sizeof(missing), "%s/nope", root);
	write_lines(fx, f);
	assert_int_equal(cgw_config_load(fx->file, missing, fx->cfg,
					 &fx->diag),
			 -EINVAL);
	assert_nmsg(fx, 1);
	assert_int_equal(strncmp(fx->diag.msg[0], missing, strlen(missing)),
			 0);
	assert_non_null(strstr(fx->diag.msg[0], ": cannot open: "));
}

static void test_duplicate_section(void **state)
{
	static const char *const f[] = {
		"[web]",	     /* 1 */
		"path = shop/web",   /* 2 */
		"min_share = 10%",   /* 3 */
		"[batch]",	     /* 4 */
		"path = shop/batch", /* 5 */
		"max_share = 10%",   /* 6 */
		"[web]",	     /* 7 */
		"max_share = 20%",   /* 8 */
		NULL,
	};
	struct fixture *fx = *state;

	expect_one(fx, f, 7, "[web]: duplicate section (first at line 1)");
	assert_int_equal(fx->cfg->ngroups, 2);
	assert_int_equal(fx->cfg->groups[0].max_ppm, 0);
}

static void test_duplicate_key(void **state)
{
	static const char *const f[] = {
		"[web]", "min_share = 10%", "path = shop/web",
		"min_share = 20%", NULL,
	};
	struct fixture *fx = *state;

	expect_one(fx, f, 4, "min_share: duplicate key (first set at line 2)");
	assert_int_equal(fx->cfg->groups[0].min_ppm, 100000);
}

static void test_duplicate_agent_key(void **state)
{
	static const char *const f[] = {
		"[agent]", "window = 10ms", "window = 20ms",
		"[web]", "path = shop/web", "min_share = 1%", NULL,
	};

	expect_one(*state, f, 3, "window: duplicate key (first set at line 2)");
}

static void test_duplicate_path(void **state)
{
	static const char *const f[] = {
		"[web]",	    /* 1 */
		"path = shop/web",  /* 2 */
		"min_share = 10%",  /* 3 */
		"[web2]",	    /* 4 */
		"max_share = 10%",  /* 5 */
		"path = shop/web/", /* 6 */
		NULL,
	};

	expect_one(*state, f, 6,
		   "path: 'shop/web' is already used by [web] (line 1)");
}

static void test_no_share(void **state)
{
	static const char *const f[] = {
		"[web]", "path = shop/web", "min_share = 1%", "",
		"[batch]", "path = shop/batch", NULL,
	};

	expect_one(*state, f, 5, "[batch]: needs min_share, max_share or max_wait");
}

static void test_min_not_below_max(void **state)
{
	static const char *const eq[] = {
		"[web]", "path = shop/web", "min_share = 50%",
		"max_share = 50%", NULL,
	};
	static const char *const gt[] = {
		"[web]", "max_share = 25%", "path = shop/web",
		"min_share = 60%", NULL,
	};

	expect_one(*state, eq, 4,
		   "max_share: min_share (50%) must be below max_share "
		   "(50%)");
	expect_one(*state, gt, 4,
		   "min_share: min_share (60%) must be below max_share "
		   "(25%)");
}

static void test_share_out_of_range(void **state)
{
	static const char *const f[] = {
		"[web]",		/* 1 */
		"path = shop/web",	/* 2 */
		"min_share = 0%",	/* 3 */
		"max_share = 100.0001%", /* 4 */
		NULL,
	};
	struct fixture *fx = *state;

	write_lines(fx, f);
	assert_int_equal(load(fx), -EINVAL);
	assert_msg(fx, 3, "min_share: '0%' is out of range (0.0001%..100%)");
	assert_msg(fx, 4, "max_share: '100.0001%' is out of range");
	assert_nmsg(fx, 2);
}

static void test_invalid_section_name(void **state)
{
	static const char *const f[] = {
		"[bad name]",	  /* 1 */
		"path = shop/web",
		"min_share = 1%",
		"[]",		  /* 4 */
		"path = shop/db",
		"min_share = 1%",
		"[1234567890123456789012345678901234567890123456789012345678901"
		"234]",		  /* 7: 64 characters */
		"path = shop/batch",
		"min_share = 1%",
		"[web]",	  /* 10 */
		"path = shop/web", "min_share = 1%",
		NULL,
	};
	struct fixture *fx = *state;

	write_lines(fx, f);
	assert_int_equal(load(fx), -EINVAL);
	assert_msg(fx, 1, "[bad name]: invalid name");
	assert_msg(fx, 4, "[]: invalid name");
	assert_msg(fx, 7, "[1234567890");
	assert_nmsg(fx, 3);
	/* invalid sections are not kept, so [web] may use shop/web */
	assert_int_equal(fx->cfg->ngroups, 1);
	assert_string_equal(fx->cfg->groups[0].name, "web");
}

static void test_too_many_groups(void **state)
{
	struct fixture *fx = *state;
	FILE *f = fopen(fx->file, "we");
	int i;

	assert_non_null(f);
	for (i = 0; i <= CGW_MAX_GROUPS + 1; i++) /* 1026 groups */
		fprintf(f, "[g%d]\npath = p/%d\nmin_share = 1%%\n", i, i);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(cgw_config_load(fx->file, NULL, fx->cfg, &fx->diag),
			 -EINVAL);
	assert_msg(fx, 3 * CGW_MAX_GROUPS + 1,
		   "[g1024]: too many groups (at most 1024)");
	assert_nmsg(fx, 1);
	assert_int_equal(fx->cfg->ngroups, CGW_MAX_GROUPS);
	assert_string_equal(fx->cfg->groups[CGW_MAX_GROUPS - 1].name, "g1023");
}

/* --- file-level errors --------------------------------------------------- */

/* No groups is valid (the agent idles): the commented config a package
 * installs in /etc must pass --check. */
static void test_empty_file(void **state)
{
	static const char *const variants[] = {
		"", "; just comments\n# and more\n", "[agent]\nwindow = 20ms\n",
	};
	struct fixture *fx = *state;

	for (size_t i = 0; i < sizeof(variants) / sizeof(variants[0]); i++) {
		write_raw(fx, variants[i]);
		assert_int_equal(load(fx), 0);
		assert_nmsg(fx, 0);
		assert_int_equal(fx->cfg->ngroups, 0);
	}
	assert_int_equal(fx->cfg->window_ns, 20000000);
}

static void test_cannot_open(void **state)
{
	struct fixture *fx = *state;

	assert_int_equal(load(fx), -ENOENT); /* never written */
	assert_msg(fx, 0, "cannot open: No such file or directory");
	assert_nmsg(fx, 1);
}

static void test_cannot_read(void **state)
{
	struct fixture *fx = *state;

	assert_int_equal(cgw_config_load(tmpdir, root, fx->cfg, &fx->diag),
			 -EISDIR);
	assert_int_equal(fx->diag.n, 1);
	assert_non_null(strstr(fx->diag.msg[0], "Is a directory"));
}

static void test_syntax_errors(void **state)
{
	static const char *const f[] = {
		"[web]",		/* 1 */
		"path = shop/web",	/* 2 */
		"this is not ini",	/* 3 */
		"min_share = 1%",	/* 4 */
		"[unterminated",	/* 5 */
		"max_share = 5%",	/* 6: still in [web] */
		"also ; = not ini",	/* 7 */
		NULL,
	};
	struct fixture *fx = *state;

	write_lines(fx, f);
	assert_int_equal(load(fx), -EINVAL);
	assert_msg(fx, 3, "syntax error");
	assert_msg(fx, 5, "syntax error");
	assert_msg(fx, 7, "syntax error");
	assert_nmsg(fx, 3);
	assert_int_equal(fx->cfg->groups[0].max_ppm, 50000);
}

static void test_continuation_line(void **state)
{
	static const char *const f[] = {
		"[web]", "path = shop/web", "  /more", "min_share = 1%", NULL,
	};

	expect_one(*state, f, 3,
		   "path: continuation lines are not supported");
}

static void test_long_line(void **state)
{
	struct fixture *fx = *state;
	char text[1024];

	snprintf(text, sizeof(text),
		 "[web]\npath = shop/web\n; %0300d\nmin_share = 1%%\n", 0);
	write_raw(fx, text);
	assert_int_equal(load(fx), -EINVAL);
	assert_msg(fx, 3, "line too long");
	assert_nmsg(fx, 1);
	/* the lines after it are read as usual */
	assert_int_equal(fx->cfg->groups[0].min_ppm, 10000);
}

static void test_long_header(void **state)
{
	struct fixture *fx = *state;
	char text[1024];

	snprintf(text, sizeof(text),
		 "[web]\npath = shop/web\nmin_share = 1%%\n"
		 "[a%0300d]\npath = shop/batch\nmin_share = 2%%\n", 0);
	write_raw(fx, text);
	assert_int_equal(load(fx), -EINVAL);
	assert_msg(fx, 4, "line too long");
	/* its keys are dropped, not taken as duplicates in [web] */
	assert_nmsg(fx, 1);
	assert_int_equal(fx->cfg->ngroups, 1);
	assert_int_equal(fx->cfg->groups[0].min_ppm, 10000);
}

/* inih rejects "[a ;b]" (';' starts a comment): both views are reported. */
static void test_header_with_comment(void **state)
{
	static const char *const f[] = {
		"[web]", "path = shop/web", "min_share = 1%", "[a ;b]", NULL,
	};
	struct fixture *fx = *state;

	write_lines(fx, f);
	assert_int_equal(load(fx), -EINVAL);
	assert_msg(fx, 4, "[a ;b]: invalid name");
	assert_msg(fx, 4, "syntax error");
	assert_nmsg(fx, 2);
}

static void test_diag_overflow(void **state)
{
	struct fixture *fx = *state;
	FILE *f = fopen(fx->file, "we");
	int i;

	assert_non_null(f);
	fprintf(f, "[web]\npath = shop/web\nmin_share = 1%%\n");
	for (i = 0; i < 70; i++)
		fprintf(f, "bogus%d = 1\n", i);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(load(fx), -EINVAL);
	assert_int_equal(fx->diag.n, 64);
	assert_int_equal(fx->diag.dropped, 6);
	assert_msg(fx, 4, "bogus0: unknown key");
	assert_msg(fx, 67, "bogus63: unknown key");
}

static void test_many_errors_one_pass(void **state)
{
	static const char *const f[] = {
		"[agent]",		/* 1 */
		"window = 999us",	/* 2 */
		"colldown = 50ms",	/* 3 */
		"",			/* 4 */
		"[web]",		/* 5 */
		"path = shop/../web",	/* 6 */
		"min_share = 50",	/* 7 */
		"",			/* 8 */
		"[batch]",		/* 9 */
		"max_share = 25%",	/* 10 */
		"",			/* 11 */
		"[db]",			/* 12 */
		"path = shop/missing",	/* 13 */
		"min_share = 10%",	/* 14 */
		"max_share = 5%",	/* 15 */
		"junk",			/* 16 */
		"[web]",		/* 17 */
		"path = shop/web",	/* 18 */
		"min_share = 1%",	/* 19 */
		NULL,
	};
	struct fixture *fx = *state;

	write_lines(fx, f);
	assert_int_equal(load(fx), -EINVAL);
	assert_msg(fx, 2, "window: '999us' is out of range");
	assert_msg(fx, 3, "colldown: unknown key in [agent]");
	assert_msg(fx, 6, "path: 'shop/../web' has a '..' component");
	assert_msg(fx, 7, "min_share: '50' is not a share");
	assert_msg(fx, 9, "[batch]: missing 'path'");
	assert_msg(fx, 13, "path: 'shop/missing' does not exist");
	assert_msg(fx, 15, "max_share: min_share (10%) must be below");
	assert_msg(fx, 16, "syntax error");
	assert_msg(fx, 17, "[web]: duplicate section (first at line 5)");
	assert_nmsg(fx, 9);
	/* in line order, although [batch] is checked when it ends */
	assert_true(strstr(fx->diag.msg[4], ":9: [batch]: missing 'path'"));
	assert_true(strstr(fx->diag.msg[6], ":15: max_share: "));
	assert_true(strstr(fx->diag.msg[7], ":16: syntax error"));
}

/*
 * Each message keeps its line as a number, and they come sorted on it
 * whatever the order they were found in: here 5 (seen when line 6 is read),
 * 7, 3 (when [batch] ends at line 8), then the cgroup root's (line 9; about
 * no line, so it goes first).
 */
static void test_diag_lines_sorted(void **state)
{
	static const char *const f[] = {
		"; lines 3, 5 and 7 are wrong", /* 1 */
		"",				/* 2 */
		"[batch]",			/* 3: no path */
		"max_share = 25%",		/* 4 */
		"junk",				/* 5 */
		"",				/* 6 */
		"bogus = 1",			/* 7 */
		"[web]",			/* 8 */
		"path = shop/web",		/* 9: the root is missing */
		"min_share = 1%",		/* 10 */
		NULL,
	};
	static const int want[] = { 0, 3, 5, 7 };
	struct fixture *fx = *state;
	char missing[sizeof(root) + 16];
	char prefix[sizeof(fx->file) + 16];

	snprintf(missing, sizeof(missing), "%s/nope", root);
	write_lines(fx, f);
	assert_int_equal(cgw_config_load(fx->file, missing, fx->cfg, &fx->diag),
			 -EINVAL);
	assert_nmsg(fx, 4);
	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(fx->diag.line[i], want[i]);
		if (!want[i])
			continue;
		snprintf(prefix, sizeof(prefix), "%s:%d: ", fx->file, want[i]);
		assert_int_equal(
			strncmp(fx->diag.msg[i], prefix, strlen(prefix)), 0);
	}
	assert_int_equal(strncmp(fx->diag.msg[0], missing, strlen(missing)), 0);
	assert_msg(fx, 3, "[batch]: missing 'path'");
	assert_msg(fx, 5, "syntax error");
	assert_msg(fx, 7, "bogus: unknown key");
}

/* A control byte is refused before inih sees the file, with its line. */
static void test_control_byte_line(void **state)
{
	static const char text[] =
		"[web]\npath = shop/web\nmin\001_share = 1%\n";
	struct fixture *fx = *state;
	FILE *f = fopen(fx->file, "we");

	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, sizeof(text) - 1, f),
			 sizeof(text) - 1);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(load(fx), -EINVAL);
	assert_msg(fx, 3, "control byte 0x01: the file must be text");
	assert_nmsg(fx, 1);
}

/* --- metrics and status_socket (issue 11) ---------------------------------- */

static void test_metrics_off_by_default(void **state)
{
	static const char *const f[] = {
		"[web]", "path = shop/web", "max_share = 10%", NULL,
	};
	struct fixture *fx = *state;

	expect_ok(fx, f);
	assert_int_equal(fx->cfg->metrics_addrlen, 0);
	assert_string_equal(fx->cfg->metrics, "");
	assert_string_equal(fx->cfg->status_socket, "");
	assert_false(fx->cfg->status_off);
}

static void test_metrics_ipv4(void **state)
{
	static const char *const f[] = {
		"[agent]", "metrics = 127.0.0.1:9477", "[web]",
		"path = shop/web", "max_share = 10%", NULL,
	};
	struct fixture *fx = *state;
	const struct sockaddr_in *in =
		(const struct sockaddr_in *)&fx->cfg->metrics_addr;

	expect_ok(fx, f);
	assert_string_equal(fx->cfg->metrics, "127.0.0.1:9477");
	assert_int_equal(fx->cfg->metrics_addrlen, sizeof(*in));
	assert_int_equal(in->sin_family, AF_INET);
	assert_int_equal(ntohs(in->sin_port), 9477);
	assert_int_equal(ntohl(in->sin_addr.s_addr), 0x7f000001);
}

static void test_metrics_ipv6(void **state)
{
	static const char *const f[] = {
		"[agent]", "metrics = [::1]:9100", "[web]",
		"path = shop/web", "max_share = 10%", NULL,
	};
	struct fixture *fx = *state;
	const struct sockaddr_in6 *in6 =
		(const struct sockaddr_in6 *)&fx->cfg->metrics_addr;

	expect_ok(fx, f);
	assert_int_equal(fx->cfg->metrics_addrlen, sizeof(*in6));
	assert_int_equal(in6->sin6_family, AF_INET6);
	assert_int_equal(ntohs(in6->sin6_port), 9100);
	assert_true(IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr));
}

static void test_metrics_off(void **state)
{
	static const char *const f[] = {
		"[agent]", "metrics = off", "status_socket = off", "[web]",
		"path = shop/web", "max_share = 10%", NULL,
	};
	struct fixture *fx = *state;

	expect_ok(fx, f);
	assert_int_equal(fx->cfg->metrics_addrlen, 0);
	assert_true(fx->cfg->status_off);
}

static void test_metrics_bad(void **state)
{
	static const char *const bad[] = {
		"localhost:9477", "127.0.0.1",	 "127.0.0.1:0",
		"127.0.0.1:65536", ":9477",	 "127.0.0.1:94x",
		"::1:9477",	  "[::1]",	 "[]:9477",
		"[127.0.0.1]:9477", "1.2.3:9477", "",
	};
	struct fixture *fx = *state;
	char line[128];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *f[] = { "[agent]", line, "[web]",
				    "path = shop/web", "max_share = 10%", NULL };

		snprintf(line, sizeof(line), "metrics = %s", bad[i]);
		expect_one(fx, f, 2, "metrics: '");
		assert_non_null(strstr(fx->diag.msg[0], "is not ADDRESS:PORT"));
		assert_int_equal(fx->cfg->metrics_addrlen, 0);
	}
}

static void test_metrics_duplicate(void **state)
{
	static const char *const f[] = {
		"[agent]", "metrics = 127.0.0.1:1", "metrics = 127.0.0.1:2",
		"[web]", "path = shop/web", "max_share = 10%", NULL,
	};
	struct fixture *fx = *state;

	expect_one(fx, f, 3, "metrics: duplicate key (first set at line 2)");
}

static void test_status_socket(void **state)
{
	static const char *const f[] = {
		"[agent]", "status_socket = /run/cgw/status.sock", "[web]",
		"path = shop/web", "max_share = 10%", NULL,
	};
	struct fixture *fx = *state;

	expect_ok(fx, f);
	assert_string_equal(fx->cfg->status_socket, "/run/cgw/status.sock");
	assert_false(fx->cfg->status_off);
}

static void test_status_socket_bad(void **state)
{
	static const char *const rel[] = {
		"[agent]", "status_socket = run/status", "[web]",
		"path = shop/web", "max_share = 10%", NULL,
	};
	static const char *const dir[] = {
		"[agent]", "status_socket = /run/cgwarden/", "[web]",
		"path = shop/web", "max_share = 10%", NULL,
	};
	char line[256] = "status_socket = /";
	const char *const longp[] = { "[agent]", line, "[web]",
				      "path = shop/web", "max_share = 10%",
				      NULL };
	struct fixture *fx = *state;

	expect_one(fx, rel, 2, "status_socket: 'run/status' is not an absolute path");
	expect_one(fx, dir, 2, "status_socket: '/run/cgwarden/' is not an absolute path");
	memset(line + strlen(line), 'x', CGW_SOCKET_PATH_MAX);
	line[strlen("status_socket = ") + CGW_SOCKET_PATH_MAX + 1] = '\0';
	expect_one(fx, longp, 2, "status_socket: is too long (at most 107");
	assert_string_equal(fx->cfg->status_socket, "");
}

/* Values of a duplicate [agent] section are checked but never used. */
static void test_metrics_duplicate_section(void **state)
{
	static const char *const f[] = {
		"[agent]", "[agent]", "metrics = 127.0.0.1:1", "[web]",
		"path = shop/web", "max_share = 10%", NULL,
	};
	struct fixture *fx = *state;

	expect_one(fx, f, 2, "[agent]: duplicate section");
	assert_int_equal(fx->cfg->metrics_addrlen, 0);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_example),
		T(test_defaults),
		T(test_agent_all_keys),
		T(test_window_bounds_ok),
		T(test_comments_crlf_bom),
		T(test_path_trailing_slash),
		T(test_no_root_skips_existence),
		T(test_min_and_max),
		T(test_max_wait),
		T(test_max_wait_errors),
		T(test_name_charset),
		T(test_diag_reset),
		T(test_window_too_small),
		T(test_window_too_large),
		T(test_bad_units),
		T(test_bad_value_no_cascade),
		T(test_agent_out_of_range),
		T(test_clear_windows_range),
		T(test_cooldown_below_window),
		T(test_window_above_default_cooldown),
		T(test_unknown_agent_key),
		T(test_duplicate_agent),
		T(test_unknown_group_key),
		T(test_key_outside_section),
		T(test_missing_path),
		T(test_empty_section),
		T(test_path_not_found),
		T(test_path_not_dir),
		T(test_path_syntax),
		T(test_path_leading_slash),
		T(test_path_pattern),
		T(test_retake),
		T(test_root_missing),
		T(test_duplicate_section),
		T(test_duplicate_key),
		T(test_duplicate_agent_key),
		T(test_duplicate_path),
		T(test_no_share),
		T(test_min_not_below_max),
		T(test_share_out_of_range),
		T(test_invalid_section_name),
		T(test_too_many_groups),
		T(test_empty_file),
		T(test_cannot_open),
		T(test_cannot_read),
		T(test_syntax_errors),
		T(test_continuation_line),
		T(test_long_line),
		T(test_long_header),
		T(test_header_with_comment),
		T(test_diag_overflow),
		T(test_many_errors_one_pass),
		T(test_diag_lines_sorted),
		T(test_control_byte_line),
		T(test_metrics_off_by_default),
		T(test_metrics_ipv4),
		T(test_metrics_ipv6),
		T(test_metrics_off),
		T(test_metrics_bad),
		T(test_metrics_duplicate),
		T(test_status_socket),
		T(test_status_socket_bad),
		T(test_metrics_duplicate_section),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
