// SPDX-License-Identifier: GPL-2.0
/* Unit tests for user/core/log.c: journal detection and line prefixes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "log.h"

static char buf[1024];

/* What cgw_log wrote, through a memory stream. */
static const char *logged(bool prefix, void (*fn)(void))
{
	FILE *f = fmemopen(buf, sizeof(buf), "w");

	assert_non_null(f);
	cgw_log_set_output(f, prefix);
	fn();
	fclose(f);
	cgw_log_set_output(NULL, false);
	return buf;
}

static void one_err(void)
{
	cgw_err("cannot write '%s': %s", "200", "Permission denied");
}

static void two_lines(void)
{
	cgw_log(CGW_LOG_NOTICE, "first\nsecond\n");
}

static void plain_warning(void)
{
	cgw_log_plain(CGW_LOG_WARNING, "libbpf: %s\n", "map 'x': failed");
}

static void out_of_range(void)
{
	cgw_log(99, "debug");
	cgw_log(0, "emergency");
}

static void test_prefixes(void **state)
{
	(void)state;
	assert_string_equal(
		logged(false, one_err),
		"cgwarden: cannot write '200': Permission denied\n");
	assert_string_equal(
		logged(true, one_err),
		"<3>cgwarden: cannot write '200': Permission denied\n");
	assert_string_equal(logged(true, two_lines),
			    "<5>cgwarden: first\n<5>cgwarden: second\n");
	assert_string_equal(logged(true, plain_warning),
			    "<4>libbpf: map 'x': failed\n");
	assert_string_equal(logged(false, plain_warning),
			    "libbpf: map 'x': failed\n");
	assert_string_equal(logged(true, out_of_range),
			    "<7>cgwarden: debug\n<3>cgwarden: emergency\n");
}

/* $JOURNAL_STREAM is "DEV:INO" of the stream systemd connected: it must
 * name this very file, not any file, for prefixes to be used. */
static void test_journal_stream(void **state)
{
	char path[] = "/tmp/cgwtest-log-XXXXXX", js[64];
	struct stat st;
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	unlink(path);
	assert_int_equal(fstat(fd, &st), 0);
	snprintf(js, sizeof(js), "%ju:%ju", (uintmax_t)st.st_dev,
		 (uintmax_t)st.st_ino);
	assert_true(cgw_log_is_journal(js, fd));
	snprintf(js, sizeof(js), "%ju:%ju", (uintmax_t)st.st_dev,
		 (uintmax_t)st.st_ino + 1);
	assert_false(cgw_log_is_journal(js, fd));
	assert_false(cgw_log_is_journal(NULL, fd));
	assert_false(cgw_log_is_journal("", fd));
	assert_false(cgw_log_is_journal("12", fd));
	assert_false(cgw_log_is_journal("12:", fd));
	assert_false(cgw_log_is_journal("x:1", fd));
	assert_false(cgw_log_is_journal("1:2x", fd));
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prefixes),
		cmocka_unit_test(test_journal_stream),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
