// SPDX-License-Identifier: GPL-2.0
/* The managed-file actuator on plain files standing in for cgroup files. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "cgfile.h"

struct fx {
	char dir[64];
	struct cgw_hier h;
	struct cgw_file f;
};

static void put(struct fx *x, const char *val)
{
	char p[128];
	FILE *fp;

	snprintf(p, sizeof(p), "%s/web/cpu.weight", x->dir);
	fp = fopen(p, "we");
	assert_non_null(fp);
	fprintf(fp, "%s\n", val);
	assert_int_equal(fclose(fp), 0);
}

static const char *get(struct fx *x)
{
	static char buf[128];

	assert_true(cgw_file_read(&x->f, buf, sizeof(buf)) >= 0);
	return buf;
}

static int setup(void **state)
{
	struct fx *x = calloc(1, sizeof(*x));
	char p[128];

	strcpy(x->dir, "/tmp/cgw-cgfile-XXXXXX");
	if (!mkdtemp(x->dir))
		return -1;
	snprintf(p, sizeof(p), "%s/web", x->dir);
	mkdir(p, 0755);
	put(x, "100");
	snprintf(x->h.root, sizeof(x->h.root), "%s", x->dir);
	x->h.root_fd = open(x->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (x->h.root_fd < 0 || cgw_file_open(&x->f, &x->h, "web", "cpu.weight"))
		return -1;
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct fx *x = *state;
	char p[160];

	cgw_file_close(&x->f);
	close(x->h.root_fd);
	snprintf(p, sizeof(p), "%s/web/cpu.weight", x->dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/web", x->dir);
	rmdir(p);
	rmdir(x->dir);
	free(x);
	return 0;
}

static void test_same_value_not_written(void **state)
{
	struct fx *x = *state;
	enum cgw_set r;
	char old[64];

	assert_int_equal(cgw_file_set(&x->f, "100", false, old, sizeof(old), &r), 0);
	assert_int_equal(r, CGW_SET_SAME);
	assert_false(x->f.changed);
	assert_string_equal(old, "100");
}

static void test_write_saves_original_once(void **state)
{
	struct fx *x = *state;
	enum cgw_set r;
	char old[64];

	assert_int_equal(cgw_file_set(&x->f, "250", false, old, sizeof(old), &r), 0);
	assert_int_equal(r, CGW_SET_WRITTEN);
	assert_string_equal(old, "100");
	assert_string_equal(get(x), "250");
	assert_int_equal(cgw_file_set(&x->f, "400", false, old, sizeof(old), &r), 0);
	assert_int_equal(r, CGW_SET_WRITTEN);
	assert_string_equal(old, "250");
	assert_string_equal(x->f.original, "100"); /* first value kept */
	assert_int_equal(cgw_file_restore(&x->f, false, old, sizeof(old), &r), 0);
	assert_int_equal(r, CGW_SET_WRITTEN);
	assert_string_equal(get(x), "100");
	assert_false(x->f.changed);
}

static void test_external_change_releases(void **state)
{
	struct fx *x = *state;
	enum cgw_set r;
	char old[64];

	assert_int_equal(cgw_file_set(&x->f, "250", false, old, sizeof(old), &r), 0);
	put(x, "777"); /* someone else */
	assert_int_equal(cgw_file_set(&x->f, "300", false, old, sizeof(old), &r), 0);
	assert_int_equal(r, CGW_SET_FOREIGN);
	assert_true(x->f.released);
	assert_string_equal(get(x), "777"); /* not fought */
	/* and never again, even with its old value back */
	put(x, "250");
	assert_int_equal(cgw_file_set(&x->f, "300", false, old, sizeof(old), &r), 0);
	assert_int_equal(r, CGW_SET_FOREIGN);
	assert_int_equal(cgw_file_restore(&x->f, false, old, sizeof(old), &r), 0);
	assert_string_equal(get(x), "250"); /* restore leaves it alone */
}

/* [agent] retake: released, then managed again from the value found */
static void test_retake(void **state)
{
	struct fx *x = *state;
	enum cgw_set r;
	char old[64];

	assert_int_equal(cgw_file_retake_at(&x->f, 1000), 0); /* not released */
	assert_int_equal(
		cgw_file_set(&x->f, "250", false, old, sizeof(old), &r), 0);
	put(x, "777");
	assert_int_equal(
		cgw_file_set(&x->f, "300", false, old, sizeof(old), &r), 0);
	assert_int_equal(r, CGW_SET_FOREIGN);
	assert_string_equal(x->f.foreign, "777");
	x->f.released_ns = 5000;
	/* off: never */
	assert_int_equal(cgw_file_retake_at(&x->f, 0), 0);
	assert_false(cgw_file_retake(&x->f, UINT64_MAX, 0));
	assert_int_equal(cgw_file_retake_at(&x->f, 1000), 6000);
	assert_false(cgw_file_retake(&x->f, 5999, 1000));
	assert_true(x->f.released);
	assert_true(cgw_file_retake(&x->f, 6000, 1000));
	assert_false(x->f.released);
	assert_false(x->f.changed);
	/* managed again: 777 is the new original */
	assert_int_equal(
		cgw_file_set(&x->f, "300", false, old, sizeof(old), &r), 0);
	assert_int_equal(r, CGW_SET_WRITTEN);
	assert_string_equal(x->f.original, "777");
	assert_int_equal(cgw_file_restore(&x->f, false, old, sizeof(old), &r),
			 0);
	assert_string_equal(get(x), "777");
}

static void test_restore_after_foreign_change(void **state)
{
	struct fx *x = *state;
	enum cgw_set r;
	char cur[64];

	assert_int_equal(cgw_file_set(&x->f, "250", false, cur, sizeof(cur), &r), 0);
	put(x, "640");
	assert_int_equal(cgw_file_restore(&x->f, false, cur, sizeof(cur), &r), 0);
	assert_int_equal(r, CGW_SET_FOREIGN);
	assert_string_equal(cur, "640");
	assert_string_equal(get(x), "640");
}

static void test_dry_run_writes_nothing(void **state)
{
	struct fx *x = *state;
	enum cgw_set r;
	char old[64];

	assert_int_equal(cgw_file_set(&x->f, "900", true, old, sizeof(old), &r), 0);
	assert_int_equal(r, CGW_SET_DRY);
	assert_string_equal(get(x), "100");
	assert_false(x->f.changed);
}

static void test_open_refuses_escape(void **state)
{
	struct fx *x = *state;
	struct cgw_file f;

	assert_true(cgw_file_open(&f, &x->h, "web/../..", "cpu.weight") < 0);
	assert_true(cgw_file_open(&f, &x->h, "nope", "cpu.weight") < 0);
	assert_int_equal(f.fd, -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_same_value_not_written,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_saves_original_once,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_external_change_releases,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_restore_after_foreign_change, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retake, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dry_run_writes_nothing,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_refuses_escape, setup,
						teardown),
	};

	return cmocka_run_group_tests_name("cgfile", tests, NULL, NULL);
}
