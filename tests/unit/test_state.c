// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for user/core/state.c.  Every test gets its own mkdtemp()
 * directory; the teardown removes it (and restores the file size limit
 * some tests lower) even when the test failed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cmocka.h>

#include "state.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

struct fixture {
	char dir[64]; /* the mkdtemp() directory */
	bool made; /* ... was created */
	char run[96]; /* dir/run, exists */
	char file[128]; /* dir/run/state */
	char err[1024];
	struct cgw_state st; /* what reads return */
	struct rlimit fsize;
	bool fsize_changed;
};

/* The corruption case being checked, for failure messages. */
static const char *what_case = "";

static int rm_entry(const char *path, const struct stat *sb, int flag,
		    struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (!fx)
		return -1;
	*state = fx;
	what_case = "";
	umask(022);
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/cgw-test-state-XXXXXX");
	if (!mkdtemp(fx->dir))
		return -1;
	fx->made = true;
	snprintf(fx->run, sizeof(fx->run), "%s/run", fx->dir);
	snprintf(fx->file, sizeof(fx->file), "%s/state", fx->run);
	return mkdir(fx->run, 0700);
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	int ret = 0;

	if (!fx)
		return 0;
	if (fx->fsize_changed) {
		setrlimit(RLIMIT_FSIZE, &fx->fsize);
		signal(SIGXFSZ, SIG_DFL);
	}
	cgw_state_free(&fx->st);
	if (fx->made)
		ret = nftw(fx->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(fx);
	return ret;
}

/* --- helpers ------------------------------------------------------------- */

static char *read_bytes(const char *path, size_t *len)
{
	struct stat sb;
	char *buf;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &sb), 0);
	buf = malloc((size_t)sb.st_size + 1);
	assert_non_null(buf);
	assert_int_equal(read(fd, buf, (size_t)sb.st_size), sb.st_size);
	close(fd);
	buf[sb.st_size] = '\0';
	*len = (size_t)sb.st_size;
	return buf;
}

/*
 * No O_TRUNC: ext4 flushes a file truncated to 0 when it is closed, which
 * makes the loops over every byte offset slow.
 */
static void write_bytes(const char *path, const char *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, buf, len, 0), (ssize_t)len);
	assert_int_equal(ftruncate(fd, (off_t)len), 0);
	assert_int_equal(close(fd), 0);
}

/* Number of names in @dir; fails on a leftover temporary file. */
static int count_names(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (strstr(de->d_name, ".tmp."))
			fail_msg("temporary file left behind: %s/%s", dir,
				 de->d_name);
		n++;
	}
	closedir(d);
	return n;
}

static void fill(char *dst, size_t len, char c)
{
	memset(dst, c, len);
	dst[len] = '\0';
}

/*
 * A state with @n entries (n >= 6 uses every special case): an empty
 * value, the root cgroup (empty path), fields of the maximum length,
 * values with spaces and non-ASCII bytes.
 */
static struct cgw_state *make_state(size_t n)
{
	struct cgw_state *st = calloc(1, sizeof(*st));
	size_t i;

	assert_non_null(st);
	snprintf(st->root, sizeof(st->root), "/sys/fs/cgroup");
	snprintf(st->mode, sizeof(st->mode), "cgroup-v2");
	st->n = n;
	st->e = calloc(n, sizeof(*st->e));
	assert_non_null(st->e);
	for (i = 0; i < n; i++) {
		struct cgw_state_entry *e = &st->e[i];

		snprintf(e->path, sizeof(e->path), "shop/svc%zu", i);
		snprintf(e->file, sizeof(e->file), "cpu.weight");
		snprintf(e->value, sizeof(e->value), "%zu", 100 + i);
		e->cgid = 1000 + i * 7919;
		if (i % 2)
			snprintf(e->written, sizeof(e->written), "%zu",
				 200 + i);
		if (i % 3 == 1)
			snprintf(e->next, sizeof(e->next), "%zu", 300 + i);
		switch (i) {
		case 1:
			e->value[0] = '\0';
			break;
		case 2: /* longest path, of many components */
			fill(e->path, sizeof(e->path) - 1, 'p');
			for (size_t j = 10; j < sizeof(e->path) - 1; j += 11)
				e->path[j] = '/';
			snprintf(e->file, sizeof(e->file), "cpu.max");
			snprintf(e->value, sizeof(e->value), "max 100000");
			break;
		case 3:
			fill(e->file, sizeof(e->file) - 1, 'f');
			fill(e->value, sizeof(e->value) - 1, 'v');
			break;
		case 4:
			e->path[0] = '\0';
			snprintf(e->file, sizeof(e->file), "cpu.shares");
			snprintf(e->value, sizeof(e->value),
				 " lead and trail \r\xc3\xa9 ");
			break;
		case 5:
			snprintf(e->path, sizeof(e->path),
				 "a b/c=d/\xe2\x82\xac/.hidden");
			break;
		}
	}
	return st;
}

static void free_state(struct cgw_state *st)
{
	cgw_state_free(st);
	free(st);
}

static void assert_same_state(const struct cgw_state *a,
			      const struct cgw_state *b)
{
	size_t i;

	assert_string_equal(a->root, b->root);
	assert_string_equal(a->mode, b->mode);
	assert_int_equal(a->n, b->n);
	assert_non_null(b->e);
	for (i = 0; i < a->n; i++) {
		assert_string_equal(a->e[i].path, b->e[i].path);
		assert_string_equal(a->e[i].file, b->e[i].file);
		assert_string_equal(a->e[i].value, b->e[i].value);
		assert_int_equal(a->e[i].cgid, b->e[i].cgid);
		assert_string_equal(a->e[i].written, b->e[i].written);
		assert_string_equal(a->e[i].next, b->e[i].next);
	}
}

static int do_read(struct fixture *fx)
{
	cgw_state_free(&fx->st);
	/* junk that a failed read must not leave behind */
	fx->st.n = 12345;
	fx->st.e = (struct cgw_state_entry *)fx;
	fx->err[0] = '\0';
	return cgw_state_read(fx->file, &fx->st, fx->err, sizeof(fx->err));
}

static void write_ok(struct fixture *fx, const struct cgw_state *st)
{
	int ret;

	fx->err[0] = '\0';
	ret = cgw_state_write(fx->file, st, fx->err, sizeof(fx->err));
	if (ret)
		fail_msg("write: %d: %s", ret, fx->err);
}

/*
 * The last read was refused as corrupt: -EBADMSG, nothing returned, and a
 * message "FILE:LINE: ..." ("FILE: ..." when @line is 0, either when it
 * is -1) containing @what (unless NULL).
 */
static void check_refused(struct fixture *fx, int ret, int line,
			  const char *what)
{
	char want[256];

	if (ret != -EBADMSG)
		fail_msg("[%s] read returned %d (%s), want -EBADMSG", what_case,
			 ret, fx->err);
	assert_null(fx->st.e);
	assert_int_equal(fx->st.n, 0);
	if (line > 0)
		snprintf(want, sizeof(want), "%s:%d: ", fx->file, line);
	else if (line < 0) /* any line, or none */
		snprintf(want, sizeof(want), "%s:", fx->file);
	else
		snprintf(want, sizeof(want), "%s: ", fx->file);
	if (strncmp(fx->err, want, strlen(want)))
		fail_msg("[%s] message '%s' does not start with '%s'",
			 what_case, fx->err, want);
	if (!line && fx->err[strlen(want)] >= '0' &&
	    fx->err[strlen(want)] <= '9')
		fail_msg("[%s] message '%s' names a line", what_case, fx->err);
	if (what && !strstr(fx->err, what))
		fail_msg("[%s] message '%s' does not mention '%s'", what_case,
			 fx->err, what);
}

/* @body, then (if @end_n >= 0) "end <end_n> <crc of body>" */
static void put_file(struct fixture *fx, const char *body, size_t len,
		     int end_n)
{
	char *buf = malloc(len + 64);
	int n = 0;

	assert_non_null(buf);
	memcpy(buf, body, len);
	if (end_n >= 0)
		n = snprintf(buf + len, 64, "end\t%d\t%08lx\n", end_n,
			     crc32(0L, (const Bytef *)body, (uInt)len));
	write_bytes(fx->file, buf, len + (size_t)n);
	free(buf);
}

static void expect_refused(struct fixture *fx, const char *body, int end_n,
			   int line, const char *what)
{
	put_file(fx, body, strlen(body), end_n);
	check_refused(fx, do_read(fx), line, what);
}

#define HDR "cgwarden-state\t2\n"
#define ROOT "root\t/sys/fs/cgroup\n"
#define MODE "mode\tcgroup-v2\n"
#define E1 "entry\tshop/web\tcpu.weight\t4242\t100\t400\t\n"
#define E2 "entry\tshop/db\tcpu.max\t4243\tmax 100000\t50000 100000\t\n"
#define BODY HDR ROOT MODE E1 E2

/* --- round trip ---------------------------------------------------------- */

static void test_round_trip(void **state)
{
	struct fixture *fx = *state;
	struct cgw_state *st = make_state(8);
	struct stat sb;

	write_ok(fx, st);
	assert_int_equal(stat(fx->file, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0600);
	assert_int_equal(count_names(fx->run), 1);
	assert_int_equal(do_read(fx), 0);
	assert_same_state(st, &fx->st);
	free_state(st);
}

static void test_format(void **state)
{
	struct fixture *fx = *state;
	struct cgw_state *st = make_state(2);
	char want[512];
	size_t len;
	char *got;
	const char *body = HDR ROOT MODE
		"entry\tshop/svc0\tcpu.weight\t1000\t100\t\t\n"
		"entry\tshop/svc1\tcpu.weight\t8919\t\t201\t301\n";

	write_ok(fx, st);
	got = read_bytes(fx->file, &len);
	snprintf(want, sizeof(want), "%send\t2\t%08lx\n", body,
		 crc32(0L, (const Bytef *)body, (uInt)strlen(body)));
	assert_string_equal(got, want);
	assert_int_equal(len, strlen(want));
	free(got);
	free_state(st);
}

static void test_overwrite(void **state)
{
	struct fixture *fx = *state;
	struct cgw_state *big = make_state(20), *small = make_state(1);

	write_ok(fx, big);
	snprintf(small->mode, sizeof(small->mode), "cgroup-v1");
	write_ok(fx, small);
	assert_int_equal(do_read(fx), 0);
	assert_same_state(small, &fx->st);
	assert_int_equal(count_names(fx->run), 1);
	free_state(big);
	free_state(small);
}

/* A file written by hand in the format is accepted. */
static void test_read_handmade(void **state)
{
	struct fixture *fx = *state;

	put_file(fx, BODY, strlen(BODY), 2);
	assert_int_equal(do_read(fx), 0);
	assert_string_equal(fx->st.root, "/sys/fs/cgroup");
	assert_string_equal(fx->st.mode, "cgroup-v2");
	assert_int_equal(fx->st.n, 2);
	assert_string_equal(fx->st.e[1].path, "shop/db");
	assert_string_equal(fx->st.e[1].file, "cpu.max");
	assert_string_equal(fx->st.e[1].value, "max 100000");
}

static void test_many_entries(void **state)
{
	struct fixture *fx = *state;
	struct cgw_state *st = make_state(3000);

	write_ok(fx, st);
	assert_int_equal(do_read(fx), 0);
	assert_same_state(st, &fx->st);
	free_state(st);
}

static void test_null_err(void **state)
{
	struct fixture *fx = *state;
	struct cgw_state *st = make_state(2);

	assert_int_equal(cgw_state_write(fx->file, st, NULL, 0), 0);
	st->e[0].value[0] = '\t';
	assert_int_equal(cgw_state_write(fx->file, st, NULL, 0), -EINVAL);
	assert_int_equal(cgw_state_read(fx->file, &fx->st, NULL, 0), 0);
	assert_int_equal(fx->st.n, 2);
	free_state(st);
}

/* --- write: input checks, atomicity ------------------------------------- */

enum mutation {
	M_TAB_VALUE,
	M_NL_VALUE,
	M_TAB_PATH,
	M_NL_PATH,
	M_TAB_FILE,
	M_NL_FILE,
	M_EMPTY_FILE,
	M_TAB_ROOT,
	M_NL_ROOT,
	M_EMPTY_ROOT,
	M_TAB_MODE,
	M_EMPTY_MODE,
	M_LONG_PATH,
	M_LONG_FILE,
	M_LONG_VALUE,
	M_LONG_ROOT,
	M_LONG_MODE,
	M_NO_ARRAY,
	M_NR,
};

static const char *mutate(struct cgw_state *st, enum mutation m)
{
	struct cgw_state_entry *e = &st->e[st->n - 1];

	switch (m) {
	case M_TAB_VALUE:
		snprintf(e->value, sizeof(e->value), "max\t100000");
		return "value contains a TAB";
	case M_NL_VALUE:
		snprintf(e->value, sizeof(e->value), "100\n");
		return "value contains a newline";
	case M_TAB_PATH:
		snprintf(e->path, sizeof(e->path), "a\tb");
		return "path contains a TAB";
	case M_NL_PATH:
		snprintf(e->path, sizeof(e->path), "a\nb");
		return "path contains a newline";
	case M_TAB_FILE:
		snprintf(e->file, sizeof(e->file), "\tcpu.max");
		return "file name contains a TAB";
	case M_NL_FILE:
		snprintf(e->file, sizeof(e->file), "cpu.max\n");
		return "file name contains a newline";
	case M_EMPTY_FILE:
		e->file[0] = '\0';
		return "file name is empty";
	case M_TAB_ROOT:
		snprintf(st->root, sizeof(st->root), "/sys/fs\t/cgroup");
		return "root contains a TAB";
	case M_NL_ROOT:
		snprintf(st->root, sizeof(st->root), "/sys/fs/cgroup\n");
		return "root contains a newline";
	case M_EMPTY_ROOT:
		st->root[0] = '\0';
		return "root is empty";
	case M_TAB_MODE:
		snprintf(st->mode, sizeof(st->mode), "cgroup\tv2");
		return "mode contains a TAB";
	case M_EMPTY_MODE:
		st->mode[0] = '\0';
		return "mode is empty";
	case M_LONG_PATH:
		memset(e->path, 'p', sizeof(e->path));
		return "path is too long";
	case M_LONG_FILE:
		memset(e->file, 'f', sizeof(e->file));
		return "file name is too long";
	case M_LONG_VALUE:
		memset(e->value, 'v', sizeof(e->value));
		return "value is too long";
	case M_LONG_ROOT:
		memset(st->root, 'r', sizeof(st->root));
		return "root is too long";
	case M_LONG_MODE:
		memset(st->mode, 'm', sizeof(st->mode));
		return "mode is too long";
	case M_NO_ARRAY:
		free(st->e);
		st->e = NULL;
		return "no array";
	default:
		return NULL;
	}
}

/*
 * Bad input is refused with -EINVAL and a message, and the good state file
 * already there stays exactly as it was.
 */
static void test_write_refuses_bad_input(void **state)
{
	struct fixture *fx = *state;
	struct cgw_state *good = make_state(6);
	size_t len0, len1;
	char *before, *after;
	enum mutation m;

	write_ok(fx, good);
	before = read_bytes(fx->file, &len0);
	for (m = 0; m < M_NR; m++) {
		struct cgw_state *bad = make_state(3);
		const char *what = mutate(bad, m);
		char prefix[256];
		int ret;

		fx->err[0] = '\0';
		ret = cgw_state_write(fx->file, bad, fx->err, sizeof(fx->err));
		if (ret != -EINVAL)
			fail_msg("mutation %d: got %d (%s), want -EINVAL", m,
				 ret, fx->err);
		snprintf(prefix, sizeof(prefix), "%s: ", fx->file);
		if (strncmp(fx->err, prefix, strlen(prefix)) ||
		    !strstr(fx->err, what))
			fail_msg("mutation %d: message '%s', want '%s...%s'", m,
				 fx->err, prefix, what);
		after = read_bytes(fx->file, &len1);
		assert_int_equal(len0, len1);
		assert_memory_equal(before, after, len0);
		free(after);
		assert_int_equal(count_names(fx->run), 1);
		free_state(bad);
	}
	assert_int_equal(do_read(fx), 0);
	assert_same_state(good, &fx->st);
	free(before);
	free_state(good);
}

static void test_write_bad_name(void **state)
{
	struct fixture *fx = *state;
	struct cgw_state *st = make_state(1);
	char *long_name = malloc(PATH_MAX + 16);

	assert_int_equal(cgw_state_write("", st, fx->err, sizeof(fx->err)),
			 -EINVAL);
	assert_non_null(long_name);
	fill(long_name, PATH_MAX + 8, 'x');
	long_name[0] = '/';
	assert_int_equal(
		cgw_state_write(long_name, st, fx->err, sizeof(fx->err)),
		-ENAMETOOLONG);
	assert_non_null(strstr(fx->err, "too long"));
	free(long_name);
	free_state(st);
}

/* A write() that fails half way (the file size limit) changes nothing. */
static void test_write_fails_midway(void **state)
{
	struct fixture *fx = *state;
	struct cgw_state *good = make_state(3), *big = make_state(40);
	struct rlimit lim;
	size_t len0, len1;
	char *before, *after;
	int ret;

	write_ok(fx, good);
	before = read_bytes(fx->file, &len0);

	assert_int_equal(getrlimit(RLIMIT_FSIZE, &fx->fsize), 0);
	fx->fsize_changed = true;
	signal(SIGXFSZ, SIG_IGN);
	lim = fx->fsize;
	lim.rlim_cur = 2048;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	ret = cgw_state_write(fx->file, big, fx->err, sizeof(fx->err));
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &fx->fsize), 0);
	signal(SIGXFSZ, SIG_DFL);
	fx->fsize_changed = false;

	assert_int_equal(ret, -EFBIG);
	assert_non_null(strstr(fx->err, "write"));
	after = read_bytes(fx->file, &len1);
	assert_int_equal(len0, len1);
	assert_memory_equal(before, after, len0);
	assert_int_equal(count_names(fx->run), 1);
	assert_int_equal(do_read(fx), 0);
	assert_same_state(good, &fx->st);
	free(before);
	free(after);
	free_state(good);
	free_state(big);
}

/* rename() fails (the target is a directory): the temp file goes away. */
static void test_write_rename_fails(void **state)
{
	struct fixture *fx = *state;
	struct cgw_state *st = make_state(2);
	char inner[256];
	struct stat sb;

	assert_int_equal(mkdir(fx->file, 0700), 0);
	snprintf(inner, sizeof(inner), "%s/keep", fx->file);
	write_bytes(inner, "x", 1);
	assert_int_equal(
		cgw_state_write(fx->file, st, fx->err, sizeof(fx->err)),
		-EISDIR);
	assert_non_null(strstr(fx->err, "rename"));
	assert_int_equal(count_names(fx->run), 1);
	assert_int_equal(stat(inner, &sb), 0);
	free_state(st);
}

/* A temporary file left by a dead process with our pid is replaced. */
static void test_write_stale_temp(void **state)
{
	struct fixture *fx = *state;
	struct cgw_state *st = make_state(2);
	char tmp[256];

	snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", fx->file, (long)getpid());
	write_bytes(tmp, "junk", 4);
	write_ok(fx, st);
	assert_int_equal(count_names(fx->run), 1);
	assert_int_equal(do_read(fx), 0);
	assert_same_state(st, &fx->st);
	free_state(st);
}

/* --- write: directories, removal ----------------------------------------- */

static void test_write_creates_dirs(void **state)
{
	struct fixture *fx = *state;
	struct cgw_state *st = make_state(2);
	char a[80], b[96];
	struct stat sb;

	snprintf(a, sizeof(a), "%s/a", fx->dir);
	snprintf(b, sizeof(b), "%s/b", a);
	snprintf(fx->file, sizeof(fx->file), "%s/state", b);
	write_ok(fx, st);
	assert_int_equal(stat(a, &sb), 0);
	assert_true(S_ISDIR(sb.st_mode));
	assert_int_equal(sb.st_mode & 07777, 0700);
	assert_int_equal(stat(b, &sb), 0);
	assert_true(S_ISDIR(sb.st_mode));
	assert_int_equal(sb.st_mode & 07777, 0700);
	assert_int_equal(stat(fx->file, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0600);
	assert_int_equal(do_read(fx), 0);
	assert_same_state(st, &fx->st);
	free_state(st);
}

/* An existing directory keeps its mode. */
static void test_write_existing_dir_untouched(void **state)
{
	struct fixture *fx = *state;
	struct cgw_state *st = make_state(1);
	struct stat sb;

	assert_int_equal(chmod(fx->run, 0755), 0);
	write_ok(fx, st);
	assert_int_equal(stat(fx->run, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0755);
	free_state(st);
}

static void test_write_dir_is_a_file(void **state)
{
	struct fixture *fx = *state;
	struct cgw_state *st = make_state(1);
	char f[96];

	snprintf(f, sizeof(f), "%s/plain", fx->dir);
	write_bytes(f, "x", 1);
	snprintf(fx->file, sizeof(fx->file), "%s/sub/state", f);
	assert_int_equal(
		cgw_state_write(fx->file, st, fx->err, sizeof(fx->err)),
		-ENOTDIR);
	assert_non_null(strstr(fx->err, fx->file));
	free_state(st);
}

static void test_write_empty_removes(void **state)
{
	struct fixture *fx = *state;
	struct cgw_state *st = make_state(3);
	struct cgw_state empty = { .n = 0 };
	struct stat sb;

	write_ok(fx, st);
	assert_int_equal(stat(fx->file, &sb), 0);
	write_ok(fx, &empty);
	assert_int_equal(stat(fx->file, &sb), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(count_names(fx->run), 0);
	/* again: no file is fine, and so is no directory */
	write_ok(fx, &empty);
	snprintf(fx->file, sizeof(fx->file), "%s/nodir/state", fx->dir);
	write_ok(fx, &empty);
	free_state(st);
}

/* --- read ----------------------------------------------------------------- */

static void test_read_missing(void **state)
{
	struct fixture *fx = *state;
	char want[256];
	int ret = do_read(fx);

	assert_int_equal(ret, -ENOENT);
	assert_null(fx->st.e);
	assert_int_equal(fx->st.n, 0);
	snprintf(want, sizeof(want), "%s: ", fx->file);
	assert_int_equal(strncmp(fx->err, want, strlen(want)), 0);
}

struct corrupt_case {
	const char *name;
	const char *body;
	int end_n; /* append a correct "end" with this count; -1: don't */
	int line; /* 0: the message names no line */
	const char *what;
};

static const struct corrupt_case corrupt_cases[] = {
	{ "empty", "", -1, 0, "empty file" },
	{ "only newline", "\n", -1, 1, "not a cgwarden state file" },
	{ "bad magic", "cgwarden-stat\t1\n" ROOT MODE E1 E2, 2, 1,
	  "not a cgwarden state file" },
	{ "no header", ROOT MODE E1 E2, 2, 1, "not a cgwarden state file" },
	{ "bad version", "cgwarden-state\t3\n" ROOT MODE E1 E2, 2, 1,
	  "unsupported version '3'" },
	{ "version 1 (no cgroup ids)", "cgwarden-state\t1\n" ROOT MODE E1 E2, 2,
	  1, "unsupported version '1'" },
	{ "cgroup id 0", HDR ROOT MODE "entry\tshop\tcpu.max\t0\t1\t\t\n", 1, 4,
	  "bad cgroup id '0'" },
	{ "cgroup id not a number",
	  HDR ROOT MODE "entry\tshop\tcpu.max\t12a\t1\t\t\n", 1, 4,
	  "bad cgroup id" },
	{ "cgroup id overflows",
	  HDR ROOT MODE "entry\tshop\tcpu.max\t99999999999999999999\t1\t\t\n",
	  1, 4, "out of range" },
	{ "version 01", "cgwarden-state\t01\n" ROOT MODE E1 E2, 2, 1,
	  "unsupported version" },
	{ "header extra field", "cgwarden-state\t2\t\n" ROOT MODE E1 E2, 2, 1,
	  "3 fields, want 2" },
	{ "header no version", "cgwarden-state\n" ROOT MODE E1 E2, 2, 1,
	  "1 fields, want 2" },
	{ "CRLF", "cgwarden-state\t2\r\nroot\t/sys/fs/cgroup\r\n", 0, 1,
	  "unsupported version" },
	{ "unknown record", HDR ROOT MODE "entri\tshop/web\tcpu.weight\t1\n", 1,
	  4, "unknown record type 'entri'" },
	{ "record with space", HDR ROOT MODE "entry shop/web\tcpu.weight\t1\n",
	  1, 4, "unknown record type" },
	{ "empty line", HDR ROOT MODE E1 "\n" E2, 2, 5,
	  "unknown record type ''" },
	{ "entry 3 fields", HDR ROOT MODE "entry\tshop/web\tcpu.weight\n" E2, 2,
	  4, "3 fields, want 7" },
	{ "entry 5 fields", HDR ROOT MODE E1 "entry\ta\tb\tc\td\n", 2, 5,
	  "5 fields, want 7" },
	{ "entry 1 field", HDR ROOT MODE "entry\n", 1, 4, "1 fields, want 7" },
	{ "root 3 fields", HDR "root\t/sys\t/fs\n" MODE E1, 1, 2,
	  "3 fields, want 2" },
	{ "mode 1 field", HDR ROOT "mode\n" E1, 1, 3, "1 fields, want 2" },
	{ "end 2 fields", BODY "end\t2\n", -1, 6, "2 fields, want 3" },
	{ "end 4 fields", BODY "end\t2\t00000000\t\n", -1, 6,
	  "4 fields, want 3" },
	{ "missing root", HDR MODE E1, 1, 2,
	  "unexpected 'mode' record, expected 'root'" },
	{ "missing mode", HDR ROOT E1, 1, 3,
	  "unexpected 'entry' record, expected 'mode'" },
	{ "root twice", HDR ROOT ROOT MODE E1, 1, 3, "unexpected 'root'" },
	{ "mode twice", HDR ROOT MODE MODE E1, 1, 4, "unexpected 'mode'" },
	{ "mode after entries", HDR ROOT MODE E1 MODE, 1, 5,
	  "unexpected 'mode'" },
	{ "header twice", HDR HDR ROOT MODE E1, 1, 2,
	  "unexpected 'cgwarden-state'" },
	{ "end first", "end\t0\t00000000\n", -1, 1,
	  "not a cgwarden state file" },
	{ "end before mode", HDR ROOT, 0, 3, "unexpected 'end'" },
	{ "empty root", HDR "root\t\n" MODE E1, 1, 2, "empty root" },
	{ "empty mode", HDR ROOT "mode\t\n" E1, 1, 3, "empty mode" },
	{ "empty file name", HDR ROOT MODE "entry\tshop\t\t1\t100\t\t\n", 1, 4,
	  "empty file name" },
	{ "missing end", BODY, -1, 0, "no 'end' record" },
	{ "header only", HDR, -1, 0, "no 'end' record" },
	{ "no final newline", BODY "end\t2\t00000000", -1, 6,
	  "does not end with a newline" },
	{ "line after end", BODY "end\t2\t%CRC%\n" E1, -1, 7,
	  "data after the 'end' record" },
	{ "empty line after end", BODY "end\t2\t%CRC%\n\n", -1, 7,
	  "data after the 'end' record" },
	{ "bytes after end", BODY "end\t2\t%CRC%\nx", -1, 7,
	  "data after the 'end' record" },
	{ "second end", BODY "end\t2\t%CRC%\nend\t2\t%CRC%\n", -1, 7,
	  "data after the 'end' record" },
	{ "count too high", BODY, 3, 6,
	  "entry count mismatch: 'end' says 3, the file has 2" },
	{ "count too low", BODY, 1, 6, "entry count mismatch" },
	{ "count zero", BODY, 0, 6, "entry count mismatch" },
	{ "count leading zero", BODY "end\t02\t%CRC%\n", -1, 6,
	  "bad entry count '02'" },
	{ "count plus", BODY "end\t+2\t%CRC%\n", -1, 6, "bad entry count" },
	{ "count space", BODY "end\t2 \t%CRC%\n", -1, 6, "bad entry count" },
	{ "count empty", BODY "end\t\t%CRC%\n", -1, 6, "bad entry count" },
	{ "count huge", BODY "end\t123456789012345678901\t%CRC%\n", -1, 6,
	  "bad entry count" },
	{ "count overflow", BODY "end\t18446744073709551618\t%CRC%\n", -1, 6,
	  "entry count mismatch" },
	{ "checksum wrong", BODY "end\t2\t12345678\n", -1, 6,
	  "checksum mismatch: 'end' says 12345678" },
	{ "checksum of empty", BODY "end\t2\t00000000\n", -1, 6,
	  "checksum mismatch" },
	{ "checksum uppercase", BODY "end\t2\t%CRCU%\n", -1, 6,
	  "bad checksum field" },
	{ "checksum short", BODY "end\t2\t%CRC7%\n", -1, 6,
	  "bad checksum field" },
	{ "checksum long", BODY "end\t2\t%CRC%0\n", -1, 6,
	  "bad checksum field" },
	{ "checksum empty", BODY "end\t2\t\n", -1, 6, "bad checksum field" },
	{ "checksum 0x", BODY "end\t2\t0x%CRC7%\n", -1, 6,
	  "bad checksum field" },
	{ "checksum space", BODY "end\t2\t%CRC% \n", -1, 6,
	  "bad checksum field" },
};

/* Replaces %CRC% (8 lowercase digits of crc(BODY)), %CRCU% (uppercase) and
 * %CRC7% (the first 7) in @s. */
static char *expand(const char *s)
{
	char crc[16], crcu[16], *out = malloc(strlen(s) * 2 + 1), *o = out;
	unsigned long c = crc32(0L, (const Bytef *)BODY, strlen(BODY));

	assert_non_null(out);
	snprintf(crc, sizeof(crc), "%08lx", c);
	snprintf(crcu, sizeof(crcu), "%08lX", c);
	/* make sure the uppercase case really differs */
	assert_string_not_equal(crc, crcu);
	while (*s) {
		if (!strncmp(s, "%CRC%", 5)) {
			o = stpcpy(o, crc);
			s += 5;
		} else if (!strncmp(s, "%CRCU%", 6)) {
			o = stpcpy(o, crcu);
			s += 6;
		} else if (!strncmp(s, "%CRC7%", 6)) {
			memcpy(o, crc, 7);
			o += 7;
			s += 6;
		} else {
			*o++ = *s++;
		}
	}
	*o = '\0';
	return out;
}

static void test_read_corrupt(void **state)
{
	struct fixture *fx = *state;
	char *body, *sanity;
	size_t i;

	/* the cases' pieces make a valid file */
	sanity = expand(BODY "end\t2\t%CRC%\n");
	write_bytes(fx->file, sanity, strlen(sanity));
	assert_int_equal(do_read(fx), 0);
	free(sanity);

	for (i = 0; i < ARRAY_SIZE(corrupt_cases); i++) {
		const struct corrupt_case *c = &corrupt_cases[i];

		what_case = c->name;
		body = expand(c->body);
		expect_refused(fx, body, c->end_n, c->line, c->what);
		free(body);
	}
	what_case = "";
}

static void test_read_field_too_long(void **state)
{
	struct fixture *fx = *state;
	struct cgw_state_entry e;
	char *body = malloc(3 * PATH_MAX), *p;

	assert_non_null(body);
	/* file name: 63 bytes are fine, 64 are not */
	p = body + sprintf(body, HDR ROOT MODE "entry\tshop\t");
	fill(p, sizeof(e.file) - 1, 'f');
	strcat(p, "\t1\t1\t\t\n");
	put_file(fx, body, strlen(body), 1);
	assert_int_equal(do_read(fx), 0);
	fill(p, sizeof(e.file), 'f');
	strcat(p, "\t1\t1\t\t\n");
	expect_refused(fx, body, 1, 4, "file name too long");

	/* value */
	p = body + sprintf(body, HDR ROOT MODE E1 "entry\tshop\tcpu.max\t1\t");
	fill(p, sizeof(e.value) - 1, 'v');
	strcat(p, "\t\t\n");
	put_file(fx, body, strlen(body), 2);
	assert_int_equal(do_read(fx), 0);
	fill(p, sizeof(e.value), 'v');
	strcat(p, "\t\t\n");
	expect_refused(fx, body, 2, 5, "value too long");

	/* path */
	p = body + sprintf(body, HDR ROOT MODE "entry\t");
	fill(p, sizeof(e.path) - 1, 'p');
	strcat(p, "\tcpu.max\t1\t1\t\t\n");
	put_file(fx, body, strlen(body), 1);
	assert_int_equal(do_read(fx), 0);
	fill(p, sizeof(e.path), 'p');
	strcat(p, "\tcpu.max\t1\t1\t\t\n");
	expect_refused(fx, body, 1, 4, "path too long");

	/* root */
	p = body + sprintf(body, HDR "root\t");
	fill(p, sizeof(fx->st.root), 'r');
	strcat(p, "\n" MODE E1);
	expect_refused(fx, body, 1, 2, "root too long");

	/* mode: 15 fine, 16 not */
	p = body + sprintf(body, HDR ROOT "mode\t");
	fill(p, sizeof(fx->st.mode) - 1, 'm');
	strcat(p, "\n" E1);
	put_file(fx, body, strlen(body), 1);
	assert_int_equal(do_read(fx), 0);
	fill(p, sizeof(fx->st.mode), 'm');
	strcat(p, "\n" E1);
	expect_refused(fx, body, 1, 3, "mode too long");

	/* a line longer than any valid one */
	p = body + sprintf(body, HDR ROOT MODE E1 "entry\tshop\tcpu.max\t");
	fill(p, 2 * PATH_MAX, 'v');
	strcat(p, "\n");
	expect_refused(fx, body, 2, 5, "line longer than");
	free(body);
}

static void test_read_nul_byte(void **state)
{
	struct fixture *fx = *state;
	char body[] = BODY;

	body[strlen(HDR ROOT MODE) + 10] = '\0';
	put_file(fx, body, sizeof(body) - 1, 2);
	check_refused(fx, do_read(fx), 4, "NUL");
}

/* A file cut at any byte offset is refused. */
static void test_read_truncated(void **state)
{
	struct fixture *fx = *state;
	struct cgw_state *st = make_state(6);
	size_t len, cut;
	char *full;

	write_ok(fx, st);
	full = read_bytes(fx->file, &len);
	for (cut = 0; cut < len; cut++) {
		int ret;

		write_bytes(fx->file, full, cut);
		ret = do_read(fx);
		if (ret != -EBADMSG)
			fail_msg("cut at %zu of %zu: got %d", cut, len, ret);
		check_refused(fx, ret, cut ? -1 : 0, NULL);
	}
	write_bytes(fx->file, full, len);
	assert_int_equal(do_read(fx), 0);
	assert_same_state(st, &fx->st);
	free(full);
	free_state(st);
}

/*
 * Is offset @i inside a field value (not a record type, not a separator)
 * of a root, mode or entry line?  Changing such a byte keeps the file well
 * formed: only the checksum can tell.
 */
static bool in_value(const char *buf, size_t end_off, size_t i)
{
	size_t ls = i, j;

	if (i >= end_off || buf[i] == '\t' || buf[i] == '\n')
		return false;
	while (ls && buf[ls - 1] != '\n')
		ls--;
	if (strncmp(buf + ls, "root\t", 5) && strncmp(buf + ls, "mode\t", 5) &&
	    strncmp(buf + ls, "entry\t", 6))
		return false;
	for (j = ls; buf[j] != '\t'; j++)
		;
	if (i > j && !strncmp(buf + ls, "entry\t", 6)) {
		size_t tabs = 0, k;

		/* an entry's cgroup id must be digits: not a free value */
		for (k = ls; k < i; k++)
			tabs += buf[k] == '\t';
		if (tabs == 3)
			return false;
	}
	return i > j;
}

/* Any single changed byte anywhere is refused, by the checksum when the
 * change leaves the file well formed. */
static void test_read_flipped(void **state)
{
	struct fixture *fx = *state;
	struct cgw_state *st = make_state(6);
	size_t len, i, end_off, by_crc = 0;
	char *full, *copy;
	int bit;

	write_ok(fx, st);
	full = read_bytes(fx->file, &len);
	copy = malloc(len);
	assert_non_null(copy);
	end_off = (size_t)(strstr(full, "\nend\t") - full) + 1;
	for (i = 0; i < len; i++) {
		for (bit = -1; bit < 8; bit++) {
			int ret;

			memcpy(copy, full, len);
			if (bit < 0) /* another printable character */
				copy[i] = in_value(full, end_off, i) ?
						  (full[i] == 'a' ? 'b' : 'a') :
						  'x';
			else
				copy[i] = (char)(full[i] ^ (1 << bit));
			if (copy[i] == full[i])
				continue;
			write_bytes(fx->file, copy, len);
			ret = do_read(fx);
			if (ret != -EBADMSG)
				fail_msg("byte %zu: 0x%02x -> 0x%02x: got %d",
					 i, (unsigned char)full[i],
					 (unsigned char)copy[i], ret);
			check_refused(fx, ret, -1, NULL);
			if (bit < 0 && in_value(full, end_off, i)) {
				if (!strstr(fx->err, "checksum mismatch"))
					fail_msg("byte %zu: '%s'", i, fx->err);
				by_crc++;
			}
		}
	}
	/* the long path alone is most of the file */
	assert_true(by_crc > PATH_MAX);
	free(copy);
	free(full);
	free_state(st);
}

/* --- the record file ---------------------------------------------------- */

static int rec_fd(struct fixture *fx)
{
	int fd = cgw_state_rec_create(fx->file, fx->err, sizeof(fx->err));

	if (fd < 0)
		fail_msg("rec_create: %d: %s", fd, fx->err);
	return fd;
}

static bool rec_exists(struct fixture *fx)
{
	char name[PATH_MAX];

	assert_int_equal(cgw_state_rec_name(fx->file, name, sizeof(name)), 0);
	return access(name, F_OK) == 0;
}

/* cgw_state_rec_put() of entry @i of @st, with its cgroup and file. */
static int put(int fd, const struct cgw_state *st, size_t i, uint32_t seq,
	       const char *written, const char *next)
{
	return cgw_state_rec_put(fd, i, seq, st->e[i].cgid, st->e[i].file,
				 written, next);
}

/* The newest valid record of an entry reaches rwritten/rnext; entries
 * without one, or with a record for another cgroup, get nothing. */
static void test_records_merge(void **state)
{
	struct fixture *fx = *state;
	struct cgw_state *st = make_state(3);
	int fd;

	write_ok(fx, st);
	fd = rec_fd(fx);
	assert_int_equal(put(fd, st, 0, 1, "", "500"), 0);
	assert_int_equal(put(fd, st, 0, 2, "500", "600"), 0);
	/* entry 2: a record for another cgroup id, and one for entry 1's
	 * slot pair naming entry 2 (index mismatch) */
	assert_int_equal(cgw_state_rec_put(fd, 2, 1, st->e[2].cgid + 1,
					   st->e[2].file, "1", "2"),
			 0);
	assert_int_equal(cgw_state_rec_put(fd, 1, 5, st->e[2].cgid,
					   st->e[2].file, "3", "4"),
			 0);
	close(fd);
	assert_int_equal(do_read(fx), 0);
	assert_int_equal(fx->st.n, 3);
	assert_string_equal(fx->st.e[0].rwritten, "500");
	assert_string_equal(fx->st.e[0].rnext, "600");
	/* the state file's own values are untouched */
	assert_string_equal(fx->st.e[0].written, st->e[0].written);
	for (size_t i = 1; i < 3; i++) {
		assert_string_equal(fx->st.e[i].rwritten, "");
		assert_string_equal(fx->st.e[i].rnext, "");
	}
	free_state(st);
}

/* A record torn (or flipped) in place leaves the other slot's, older one;
 * a record file cut short is no error. */
static void test_records_torn(void **state)
{
	struct fixture *fx = *state;
	struct cgw_state *st = make_state(2);
	char name[PATH_MAX];
	int fd;

	write_ok(fx, st);
	fd = rec_fd(fx);
	for (uint32_t seq = 7; seq <= 9; seq++) {
		char w[16], x[16];

		snprintf(w, sizeof(w), "%u", 100 * seq);
		snprintf(x, sizeof(x), "%u", 100 * seq + 1);
		assert_int_equal(put(fd, st, 1, seq, w, x), 0);
	}
	/* seq 9 is in slot 1 of entry 1: offset 3 * size; flip a byte */
	assert_int_equal(pwrite(fd, "X", 1, 3 * CGW_STATE_REC_SIZE + 30), 1);
	assert_int_equal(do_read(fx), 0);
	assert_string_equal(fx->st.e[1].rwritten, "800");
	assert_string_equal(fx->st.e[1].rnext, "801");
	/* cut inside entry 1's first slot: nothing valid for it, no error */
	assert_int_equal(ftruncate(fd, 2 * CGW_STATE_REC_SIZE + 100), 0);
	close(fd);
	assert_int_equal(do_read(fx), 0);
	assert_string_equal(fx->st.e[1].rwritten, "");
	assert_string_equal(fx->st.e[1].rnext, "");
	assert_int_equal(cgw_state_rec_name(fx->file, name, sizeof(name)), 0);
	free_state(st);
}

/* Sequence numbers wrap: 0 is newer than UINT32_MAX. */
static void test_records_seq_wraps(void **state)
{
	struct fixture *fx = *state;
	struct cgw_state *st = make_state(1);
	int fd;

	write_ok(fx, st);
	fd = rec_fd(fx);
	assert_int_equal(put(fd, st, 0, UINT32_MAX, "1", "2"), 0);
	assert_int_equal(put(fd, st, 0, 0, "2", "3"), 0);
	close(fd);
	assert_int_equal(do_read(fx), 0);
	assert_string_equal(fx->st.e[0].rwritten, "2");
	assert_string_equal(fx->st.e[0].rnext, "3");
	free_state(st);
}

/* A rewrite or a removal of the state file takes the record file along:
 * the state file then holds the newest values itself. */
static void test_records_go_with_rewrite(void **state)
{
	struct fixture *fx = *state;
	struct cgw_state *st = make_state(2), empty = { .n = 0 };
	int fd;

	write_ok(fx, st);
	fd = rec_fd(fx);
	assert_int_equal(put(fd, st, 0, 1, "7", "8"), 0);
	close(fd);
	assert_true(rec_exists(fx));
	write_ok(fx, st);
	assert_false(rec_exists(fx));
	assert_int_equal(do_read(fx), 0);
	assert_string_equal(fx->st.e[0].rnext, "");
	close(rec_fd(fx));
	write_ok(fx, &empty);
	assert_false(rec_exists(fx));
	assert_int_equal(access(fx->file, F_OK), -1);
	free_state(st);
}

/* What does not fit a slot is refused, so that the caller rewrites the
 * state file instead; values that do fit are read back as written. */
static void test_records_limits(void **state)
{
	struct fixture *fx = *state;
	struct cgw_state *st = make_state(1);
	char big[CGW_STATE_REC_VALUE_MAX + 2], max[CGW_STATE_REC_VALUE_MAX + 1];
	int fd;

	write_ok(fx, st);
	fd = rec_fd(fx);
	memset(big, '9', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memset(max, '8', sizeof(max) - 1);
	max[sizeof(max) - 1] = '\0';
	assert_int_equal(put(fd, st, 0, 1, big, ""), -E2BIG);
	assert_int_equal(put(fd, st, 0, 1, "1", "a\tb"), -E2BIG);
	assert_int_equal(put(fd, st, 0, 1, max, "max 100000"), 0);
	close(fd);
	assert_int_equal(do_read(fx), 0);
	assert_string_equal(fx->st.e[0].rwritten, max);
	assert_string_equal(fx->st.e[0].rnext, "max 100000");
	free_state(st);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_round_trip),
		T(test_format),
		T(test_overwrite),
		T(test_read_handmade),
		T(test_many_entries),
		T(test_null_err),
		T(test_write_refuses_bad_input),
		T(test_write_bad_name),
		T(test_write_fails_midway),
		T(test_write_rename_fails),
		T(test_write_stale_temp),
		T(test_write_creates_dirs),
		T(test_write_existing_dir_untouched),
		T(test_write_dir_is_a_file),
		T(test_write_empty_removes),
		T(test_read_missing),
		T(test_read_corrupt),
		T(test_read_field_too_long),
		T(test_read_nul_byte),
		T(test_read_truncated),
		T(test_read_flipped),
		T(test_records_merge),
		T(test_records_torn),
		T(test_records_seq_wraps),
		T(test_records_go_with_rewrite),
		T(test_records_limits),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
