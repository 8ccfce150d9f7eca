// SPDX-License-Identifier: GPL-2.0
/*
 * The state file: the original value of every cgroup file the agent has
 * changed, so that `cgwarden --restore` can put them back after a crash.
 *
 * Text, one record per line, fields separated by a single TAB:
 *
 *	cgwarden-state	1
 *	root	<root path>
 *	mode	<mode>
 *	entry	<path>	<file>	<cgid>	<value>	<written>	<next>	(zero or more)
 *	end	<n entries>	<crc32>
 *
 * <crc32> is zlib's crc32() of every byte before the "end" line, as eight
 * lowercase hex digits.  Every line, the last included, ends with '\n', so
 * a file cut at any byte offset lacks either its end record or a newline.
 * Fields must not contain TAB, newline or NUL; an entry's path (the root
 * cgroup is "") and its three values may be empty, nothing else may.
 * <cgid> is a decimal cgroup id, never 0.  Version 2 added <cgid>,
 * <written> and <next> (issue 14): a version 1 file is refused.
 *
 * Reading is strict: whatever does not match the format exactly is refused
 * as a whole, since restoring half of a damaged file could leave cgroups in
 * a state nobody asked for.
 */
#include <ctype.h>
#include <inttypes.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "cpuctl.h"
#include "state.h"
#include "trust.h"

#define MAGIC "cgwarden-state"
#define VERSION "2"
#define MAX_FIELDS 7 /* "entry" path file cgid value written next */
/* Longest valid line: "entry" TAB path TAB file TAB cgid TAB three
 * values '\n' (each sizeof() counts one byte for a separator). */
#define LINE_MAX_LEN                                                     \
	(sizeof("entry") + sizeof(((struct cgw_state_entry *)0)->path) + \
	 sizeof(((struct cgw_state_entry *)0)->file) + 21 +              \
	 3 * sizeof(((struct cgw_state_entry *)0)->value))
/* "end" TAB up to 20 digits TAB 8 hex digits '\n' */
#define END_MAX_LEN (sizeof("end\t\t\n") + 20 + 8)

static void seterr(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int remove_records(const char *file, char *err, size_t errlen);
static int merge_records(const char *file, struct cgw_state *st, char *err,
			 size_t errlen);

static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

void cgw_state_free(struct cgw_state *st)
{
	free(st->e);
	st->e = NULL;
	st->n = 0;
}

/* --- reading ------------------------------------------------------------ */

struct reader {
	FILE *f;
	const char *name;
	unsigned long lineno;
	char *err;
	size_t errlen;
};

static int bad(struct reader *r, bool with_line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* "FILE:LINE: what" (or "FILE: what"); always -EBADMSG. */
static int bad(struct reader *r, bool with_line, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (with_line)
		seterr(r->err, r->errlen, "%s:%lu: %s", r->name, r->lineno,
		       msg);
	else
		seterr(r->err, r->errlen, "%s: %s", r->name, msg);
	return -EBADMSG;
}

enum line_status {
	LINE_OK, /* a whole line, '\n' included */
	LINE_EOF, /* end of file, nothing read */
	LINE_PARTIAL, /* end of file before '\n' */
	LINE_TOO_LONG,
	LINE_ERROR, /* read error, errno set */
};

static enum line_status read_line(FILE *f, char *buf, size_t cap, size_t *len)
{
	size_t n = 0;
	int c;

	while ((c = getc(f)) != EOF) {
		if (n == cap)
			return LINE_TOO_LONG;
		buf[n++] = (char)c;
		if (c == '\n') {
			*len = n;
			return LINE_OK;
		}
	}
	if (ferror(f))
		return LINE_ERROR;
	*len = n;
	return n ? LINE_PARTIAL : LINE_EOF;
}

/* Splits @line (no '\n') at TABs in place; returns the field count. */
static size_t split(char *line, char **fields, size_t max)
{
	size_t n = 0;
	char *p = line;

	for (;;) {
		char *tab = strchr(p, '\t');

		if (n < max)
			fields[n] = p;
		n++;
		if (!tab)
			return n;
		*tab = '\0';
		p = tab + 1;
	}
}

/* @s for a message: at most 32 characters, unprintable ones as '?'. */
static const char *shown(const char *s, char *buf, size_t size)
{
	size_t i;

	for (i = 0; s[i] && i < size - 1 && i < 32; i++)
		buf[i] = isprint((unsigned char)s[i]) ? s[i] : '?';
	buf[i] = '\0';
	return buf;
}

static int take(struct reader *r, char *dst, size_t size, const char *src,
		const char *what, bool may_be_empty)
{
	size_t len = strlen(src);

	if (len >= size)
		return bad(r, true, "%s too long (%zu bytes, at most %zu)",
			   what, len, size - 1);
	if (!len && !may_be_empty)
		return bad(r, true, "empty %s", what);
	memcpy(dst, src, len + 1);
	return 0;
}

static bool is_count(const char *s)
{
	size_t len = strlen(s);

	if (!len || len > 20 || (s[0] == '0' && len > 1))
		return false;
	return strspn(s, "0123456789") == len;
}

static bool is_crc(const char *s)
{
	return strlen(s) == 8 && strspn(s, "0123456789abcdef") == 8;
}

static int add_entry(struct reader *r, struct cgw_state *st, size_t *cap,
		     char **fields)
{
	struct cgw_state_entry *e;
	int ret;

	if (st->n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;

		if (ncap > SIZE_MAX / sizeof(*e)) {
			seterr(r->err, r->errlen, "%s: too many entries",
			       r->name);
			return -ENOMEM;
		}
		e = realloc(st->e, ncap * sizeof(*e));
		if (!e) {
			seterr(r->err, r->errlen, "%s: out of memory", r->name);
			return -ENOMEM;
		}
		st->e = e;
		*cap = ncap;
	}
	e = &st->e[st->n];
	if (!is_count(fields[3]) || !strcmp(fields[3], "0"))
		return bad(r, true, "bad cgroup id '%.24s'", fields[3]);
	errno = 0;
	e->cgid = strtoull(fields[3], NULL, 10);
	if (errno == ERANGE)
		return bad(r, true, "cgroup id '%.24s' out of range",
			   fields[3]);
	ret = take(r, e->path, sizeof(e->path), fields[1], "path", true);
	if (!ret)
		ret = take(r, e->file, sizeof(e->file), fields[2], "file name",
			   false);
	if (!ret)
		ret = take(r, e->value, sizeof(e->value), fields[4], "value",
			   true);
	if (!ret)
		ret = take(r, e->written, sizeof(e->written), fields[5],
			   "written value", true);
	if (!ret)
		ret = take(r, e->next, sizeof(e->next), fields[6], "next value",
			   true);
	if (!ret)
		st->n++;
	return ret;
}

enum rstate { R_HEADER, R_ROOT, R_MODE, R_ENTRIES, R_DONE };
enum rtype { T_HEADER, T_ROOT, T_MODE, T_ENTRY, T_END };

static const struct {
	const char *name;
	enum rstate where; /* the only place it may appear */
	size_t nfields;
} records[] = {
	[T_HEADER] = { MAGIC, R_HEADER, 2 },
	[T_ROOT] = { "root", R_ROOT, 2 },
	[T_MODE] = { "mode", R_MODE, 2 },
	[T_ENTRY] = { "entry", R_ENTRIES, 7 },
	[T_END] = { "end", R_ENTRIES, 3 },
};

static const char *const expected[] = {
	[R_HEADER] = "the '" MAGIC "' header",
	[R_ROOT] = "'root'",
	[R_MODE] = "'mode'",
	[R_ENTRIES] = "'entry' or 'end'",
	[R_DONE] = "nothing",
};

static int check_end(struct reader *r, const struct cgw_state *st,
		     char **fields, uLong crc)
{
	char want[24];

	if (!is_count(fields[1]))
		return bad(r, true, "bad entry count '%.24s'", fields[1]);
	snprintf(want, sizeof(want), "%zu", st->n);
	if (strcmp(fields[1], want))
		return bad(
			r, true,
			"entry count mismatch: 'end' says %s, the file has %zu entries",
			fields[1], st->n);
	if (!is_crc(fields[2]))
		return bad(
			r, true,
			"bad checksum field '%.24s' (want 8 lowercase hex digits)",
			fields[2]);
	snprintf(want, sizeof(want), "%08lx", (unsigned long)crc);
	if (strcmp(fields[2], want))
		return bad(
			r, true,
			"checksum mismatch: 'end' says %s, the contents give %s",
			fields[2], want);
	return 0;
}

/* One line, '\n' replaced by NUL; @body_crc covers the lines before it. */
static int parse_line(struct reader *r, struct cgw_state *st, size_t *cap,
		      enum rstate *rs, char *line, uLong body_crc)
{
	char *fields[MAX_FIELDS], sbuf[40];
	size_t nf = split(line, fields, MAX_FIELDS);
	enum rtype t;
	int ret = 0;

	if (*rs == R_HEADER && strcmp(fields[0], MAGIC))
		return bad(r, true,
			   "not a cgwarden state file (no '" MAGIC "' header)");
	for (t = T_HEADER; t <= T_END; t++)
		if (!strcmp(fields[0], records[t].name))
			break;
	if (t > T_END)
		return bad(r, true, "unknown record type '%s'",
			   shown(fields[0], sbuf, sizeof(sbuf)));
	if (records[t].where != *rs)
		return bad(r, true, "unexpected '%s' record, expected %s",
			   records[t].name, expected[*rs]);
	if (nf != records[t].nfields)
		return bad(r, true, "'%s' record with %zu fields, want %zu",
			   records[t].name, nf, records[t].nfields);

	switch (t) {
	case T_HEADER:
		if (strcmp(fields[1], VERSION))
			return bad(r, true, "unsupported version '%s', want %s",
				   shown(fields[1], sbuf, sizeof(sbuf)),
				   VERSION);
		break;
	case T_ROOT:
		ret = take(r, st->root, sizeof(st->root), fields[1], "root",
			   false);
		break;
	case T_MODE:
		ret = take(r, st->mode, sizeof(st->mode), fields[1], "mode",
			   false);
		break;
	case T_ENTRY:
		return add_entry(r, st, cap, fields);
	case T_END:
		ret = check_end(r, st, fields, body_crc);
		break;
	}
	if (!ret)
		(*rs)++;
	return ret;
}

static int parse(struct reader *r, struct cgw_state *st)
{
	char line[LINE_MAX_LEN];
	enum rstate rs = R_HEADER;
	uLong crc = crc32(0L, Z_NULL, 0), body_crc;
	size_t len, cap = 0;
	int ret;

	for (;;) {
		enum line_status ls = read_line(r->f, line, sizeof(line), &len);

		if (ls == LINE_ERROR) {
			ret = errno ? -errno : -EIO;
			seterr(r->err, r->errlen, "%s: %s", r->name,
			       strerror(-ret));
			return ret;
		}
		if (ls == LINE_EOF) {
			if (rs == R_DONE)
				return 0;
			if (!r->lineno)
				return bad(r, false, "empty file");
			return bad(r, false,
				   "no 'end' record (truncated file?)");
		}
		r->lineno++;
		if (rs == R_DONE)
			return bad(r, true, "data after the 'end' record");
		if (ls == LINE_PARTIAL)
			return bad(
				r, true,
				"last line does not end with a newline (truncated file?)");
		if (ls == LINE_TOO_LONG)
			return bad(r, true, "line longer than %zu bytes",
				   sizeof(line));
		if (memchr(line, '\0', len))
			return bad(r, true, "NUL byte in line");
		body_crc = crc;
		crc = crc32(crc, (const Bytef *)line, (uInt)len);
		line[len - 1] = '\0';
		ret = parse_line(r, st, &cap, &rs, line, body_crc);
		if (ret)
			return ret;
	}
}

int cgw_state_read(const char *file, struct cgw_state *st, char *err,
		   size_t errlen)
{
	struct reader r = {
		.name = file,
		.err = err,
		.errlen = errlen,
	};
	int fd, ret;

	memset(st, 0, sizeof(*st));
	fd = cgw_trust_open(file, err, errlen);
	if (fd < 0)
		return fd;
	r.f = fdopen(fd, "r");
	if (!r.f) {
		ret = -errno;
		close(fd);
		seterr(err, errlen, "%s: %s", file, strerror(-ret));
		return ret;
	}
	errno = 0;
	ret = parse(&r, st);
	fclose(r.f);
	if (!ret)
		ret = merge_records(file, st, err, errlen);
	if (ret) {
		cgw_state_free(st);
		memset(st, 0, sizeof(*st));
	}
	return ret;
}

/* --- writing ------------------------------------------------------------ */

/* Why @s (a field of @size bytes) cannot be written, or NULL. */
static const char *field_problem(const char *s, size_t size, bool may_be_empty)
{
	size_t len = strnlen(s, size);

	if (len == size)
		return "is too long (no NUL within its field)";
	if (!len && !may_be_empty)
		return "is empty";
	if (memchr(s, '\t', len))
		return "contains a TAB";
	if (memchr(s, '\n', len))
		return "contains a newline";
	return NULL;
}

static int check_state(const char *file, const struct cgw_state *st, char *err,
		       size_t errlen)
{
	const char *why;
	size_t i;

	why = field_problem(st->root, sizeof(st->root), false);
	if (why) {
		seterr(err, errlen, "%s: root %s", file, why);
		return -EINVAL;
	}
	why = field_problem(st->mode, sizeof(st->mode), false);
	if (why) {
		seterr(err, errlen, "%s: mode %s", file, why);
		return -EINVAL;
	}
	if (!st->e) {
		seterr(err, errlen, "%s: %zu entries but no array", file,
		       st->n);
		return -EINVAL;
	}
	for (i = 0; i < st->n; i++) {
		const struct cgw_state_entry *e = &st->e[i];
		const char *what = "path";

		why = field_problem(e->path, sizeof(e->path), true);
		if (!why) {
			what = "file name";
			why = field_problem(e->file, sizeof(e->file), false);
		}
		if (!why) {
			what = "value";
			why = field_problem(e->value, sizeof(e->value), true);
		}
		if (!why) {
			what = "written value";
			why = field_problem(e->written, sizeof(e->written),
					    true);
		}
		if (!why) {
			what = "next value";
			why = field_problem(e->next, sizeof(e->next), true);
		}
		if (!why && !e->cgid) {
			what = "cgroup id";
			why = "is 0";
		}
		if (why) {
			seterr(err, errlen, "%s: entry %zu of %zu: %s %s", file,
			       i + 1, st->n, what, why);
			return -EINVAL;
		}
	}
	return 0;
}

/* The whole file in a malloc'ed buffer; the fields were checked. */
static char *format_state(const struct cgw_state *st, size_t *lenp)
{
	size_t i, len;
	char *buf, *p;
	uLong crc;

	/* every line is at most LINE_MAX_LEN bytes long */
	if (st->n > SIZE_MAX / LINE_MAX_LEN - 4)
		return NULL;
	len = (st->n + 3) * LINE_MAX_LEN + END_MAX_LEN;
	buf = malloc(len);
	if (!buf)
		return NULL;
	p = buf;
	p += sprintf(p, "%s\t%s\n", MAGIC, VERSION);
	p += sprintf(p, "root\t%s\n", st->root);
	p += sprintf(p, "mode\t%s\n", st->mode);
	for (i = 0; i < st->n; i++)
		p += sprintf(p, "entry\t%s\t%s\t%" PRIu64 "\t%s\t%s\t%s\n",
			     st->e[i].path, st->e[i].file, st->e[i].cgid,
			     st->e[i].value, st->e[i].written, st->e[i].next);
	crc = crc32_z(crc32(0L, Z_NULL, 0), (const Bytef *)buf,
		      (z_size_t)(p - buf));
	p += sprintf(p, "end\t%zu\t%08lx\n", st->n, (unsigned long)crc);
	*lenp = (size_t)(p - buf);
	return buf;
}

/* The directory @file is in: "." or "/" when that is what it is. */
static int parent_dir(const char *file, char *dir, size_t size)
{
	char *slash;

	if (snprintf(dir, size, "%s", file) >= (int)size)
		return -ENAMETOOLONG;
	slash = strrchr(dir, '/');
	if (!slash)
		snprintf(dir, size, ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	return 0;
}

static int fsync_dir(const char *dir)
{
	int fd, ret = 0;

	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fsync(fd))
		ret = -errno;
	if (close(fd) && !ret)
		ret = -errno;
	return ret;
}

/* mkdir -p @dir with mode 0700; each new directory is fsync'ed into its
 * parent so that it survives a crash together with the file. */
static int mkdir_p(char *dir, const char *file, char *err, size_t errlen)
{
	struct stat sb;
	char *p, *slash;
	int ret;

	if (!stat(dir, &sb) && S_ISDIR(sb.st_mode))
		return 0;
	for (p = dir + 1;; p++) {
		if (*p && *p != '/')
			continue;
		if (p[-1] != '/') {
			char c = *p;

			*p = '\0';
			if (!mkdir(dir, 0700)) {
				slash = strrchr(dir, '/');
				if (!slash) {
					ret = fsync_dir(".");
				} else if (slash == dir) {
					ret = fsync_dir("/");
				} else {
					*slash = '\0';
					ret = fsync_dir(dir);
					*slash = '/';
				}
			} else {
				ret = errno == EEXIST ? 0 : -errno;
			}
			if (ret) {
				seterr(err, errlen,
				       "%s: cannot create directory %s: %s",
				       file, dir, strerror(-ret));
				*p = c;
				return ret;
			}
			*p = c;
		}
		if (!*p)
			return 0;
	}
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (!n)
			return -EIO;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static int write_file(const char *file, const char *buf, size_t len, char *err,
		      size_t errlen)
{
	char dir[PATH_MAX], tmp[PATH_MAX];
	const char *step;
	int fd, ret;

	if (parent_dir(file, dir, sizeof(dir)) ||
	    snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", file, (long)getpid()) >=
		    (int)sizeof(tmp)) {
		seterr(err, errlen, "state file name too long (%zu bytes)",
		       strlen(file));
		return -ENAMETOOLONG;
	}
	ret = mkdir_p(dir, file, err, errlen);
	if (ret)
		return ret;

	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 && errno == EEXIST) {
		/*
		 * Our own pid's name: left by an earlier process with this
		 * pid that died mid-write (a container's pid 1 always has
		 * the same pid).  Nobody else owns it.
		 */
		if (!unlink(tmp) || errno == ENOENT)
			fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
				  0600);
	}
	if (fd < 0) {
		ret = -errno;
		seterr(err, errlen, "%s: %s", tmp, strerror(errno));
		return ret;
	}
	step = "write";
	ret = write_all(fd, buf, len);
	if (!ret) {
		step = "fsync";
		if (fsync(fd))
			ret = -errno;
	}
	/* Linux releases the fd even when close() fails */
	if (close(fd) && !ret) {
		step = "close";
		ret = -errno;
	}
	if (!ret) {
		step = "rename";
		if (rename(tmp, file))
			ret = -errno;
	}
	if (ret) {
		seterr(err, errlen, "%s: %s: %s", tmp, step, strerror(-ret));
		unlink(tmp);
		return ret;
	}
	/*
	 * The new file is in place; without this the rename may not survive
	 * a crash.  Report the failure: the caller must not count on the
	 * state being durable.
	 */
	ret = fsync_dir(dir);
	if (ret)
		seterr(err, errlen, "%s: fsync of directory %s: %s", file, dir,
		       strerror(-ret));
	return ret;
}

int cgw_state_remove(const char *file, char *err, size_t errlen)
{
	char dir[PATH_MAX];
	int ret;

	if (unlink(file) && errno != ENOENT) {
		ret = -errno;
		seterr(err, errlen, "%s: %s", file, strerror(errno));
		return ret;
	}
	ret = remove_records(file, err, errlen);
	if (ret)
		return ret;
	/* make the removal durable too; no directory is fine */
	if (parent_dir(file, dir, sizeof(dir)))
		return 0; /* unlink() would have said ENAMETOOLONG */
	ret = fsync_dir(dir);
	if (ret && ret != -ENOENT) {
		seterr(err, errlen, "%s: fsync of directory %s: %s", file, dir,
		       strerror(-ret));
		return ret;
	}
	return 0;
}

int cgw_state_write(const char *file, const struct cgw_state *st, char *err,
		    size_t errlen)
{
	size_t len;
	char *buf;
	int ret;

	if (!file || !file[0]) {
		seterr(err, errlen, "state file: empty name");
		return -EINVAL;
	}
	if (!st->n)
		return cgw_state_remove(file, err, errlen);
	ret = check_state(file, st, err, errlen);
	if (ret)
		return ret;
	buf = format_state(st, &len);
	if (!buf) {
		seterr(err, errlen, "%s: out of memory", file);
		return -ENOMEM;
	}
	ret = write_file(file, buf, len, err, errlen);
	free(buf);
	/* the state file now holds the latest values: older records go */
	return ret ?: remove_records(file, err, errlen);
}

/* --- the record file ---------------------------------------------------- */

#define REC_CRC_AT (CGW_STATE_REC_SIZE - 9) /* 8 hex digits, then '\n' */

int cgw_state_rec_name(const char *file, char *buf, size_t len)
{
	return snprintf(buf, len, "%s.rec", file) >= (int)len ? -ENAMETOOLONG :
								0;
}

int cgw_state_rec_create(const char *file, char *err, size_t errlen)
{
	char name[PATH_MAX];
	int fd;

	if (cgw_state_rec_name(file, name, sizeof(name))) {
		seterr(err, errlen, "%s: record file name too long", file);
		return -ENAMETOOLONG;
	}
	fd = open(name, O_RDWR | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
		  0600);
	if (fd < 0) {
		fd = -errno;
		seterr(err, errlen, "%s: %s", name, strerror(errno));
	}
	return fd;
}

static bool rec_value_ok(const char *v)
{
	return !field_problem(v, CGW_STATE_REC_VALUE_MAX + 1, true);
}

int cgw_state_rec_put(int fd, size_t idx, uint32_t seq, uint64_t cgid,
		      const char *name, const char *written, const char *next)
{
	char slot[CGW_STATE_REC_SIZE], hex[9];
	off_t off;
	uLong crc;
	int n;

	if (!rec_value_ok(written) || !rec_value_ok(next) ||
	    field_problem(name, 64, false) ||
	    idx > (size_t)(INT64_MAX / (2 * CGW_STATE_REC_SIZE)) - 1)
		return -E2BIG;
	n = snprintf(slot, sizeof(slot),
		     "rec\t%zu\t%" PRIu32 "\t%" PRIu64 "\t%s\t%s\t%s\t", idx,
		     seq, cgid, name, written, next);
	if (n < 0 || n > REC_CRC_AT)
		return -E2BIG;
	memset(slot + n, ' ', (size_t)(REC_CRC_AT - n));
	crc = crc32_z(crc32(0L, Z_NULL, 0), (const Bytef *)slot, REC_CRC_AT);
	snprintf(hex, sizeof(hex), "%08lx", (unsigned long)crc);
	memcpy(slot + REC_CRC_AT, hex, 8); /* no NUL: the slot ends in '\n' */
	slot[CGW_STATE_REC_SIZE - 1] = '\n';
	off = (off_t)(2 * idx + (seq & 1)) * CGW_STATE_REC_SIZE;
	n = (int)pwrite(fd, slot, sizeof(slot), off);
	if (n < 0)
		return -errno;
	return n == (int)sizeof(slot) ? 0 : -EIO;
}

/* Parses @slot as entry @idx's record; false when it is not a valid one. */
static bool rec_parse(const char *slot, size_t idx, const char *file,
		      uint64_t cgid, uint32_t *seq, char *written, char *next)
{
	char buf[CGW_STATE_REC_SIZE], *f[8], *p, *end;
	unsigned long long v;
	uLong crc;
	int n = 0;

	if (slot[CGW_STATE_REC_SIZE - 1] != '\n')
		return false;
	crc = crc32_z(crc32(0L, Z_NULL, 0), (const Bytef *)slot, REC_CRC_AT);
	snprintf(buf, sizeof(buf), "%08lx", (unsigned long)crc);
	if (memcmp(buf, slot + REC_CRC_AT, 8))
		return false;
	memcpy(buf, slot, REC_CRC_AT);
	buf[REC_CRC_AT] = '\0';
	for (p = buf; n < 8 && (end = strchr(p, '\t')); p = end + 1) {
		*end = '\0';
		f[n++] = p;
	}
	if (n != 7 || strcmp(f[0], "rec") || strspn(p, " ") != strlen(p))
		return false;
	errno = 0;
	v = strtoull(f[1], &end, 10);
	if (errno || *end || !f[1][0] || v != idx)
		return false;
	v = strtoull(f[2], &end, 10);
	if (errno || *end || !f[2][0] || v > UINT32_MAX)
		return false;
	*seq = (uint32_t)v;
	v = strtoull(f[3], &end, 10);
	if (errno || *end || !f[3][0] || v != cgid || strcmp(f[4], file) ||
	    strlen(f[5]) > CGW_STATE_REC_VALUE_MAX ||
	    strlen(f[6]) > CGW_STATE_REC_VALUE_MAX)
		return false;
	strcpy(written, f[5]);
	strcpy(next, f[6]);
	return true;
}

/* Fills rwritten/rnext of @st's entries from @file's record file. */
static int merge_records(const char *file, struct cgw_state *st, char *err,
			 size_t errlen)
{
	char name[PATH_MAX], slot[2][CGW_STATE_REC_SIZE];
	int fd;

	for (size_t i = 0; i < st->n; i++)
		st->e[i].rwritten[0] = st->e[i].rnext[0] = '\0';
	if (cgw_state_rec_name(file, name, sizeof(name))) {
		seterr(err, errlen, "%s: record file name too long", file);
		return -ENAMETOOLONG;
	}
	fd = cgw_trust_open(name, err, errlen);
	if (fd == -ENOENT)
		return 0;
	if (fd < 0)
		return fd;
	for (size_t i = 0; i < st->n; i++) {
		struct cgw_state_entry *e = &st->e[i];
		char w[2][CGW_STATE_REC_VALUE_MAX + 1];
		char x[2][CGW_STATE_REC_VALUE_MAX + 1];
		uint32_t seq[2];
		bool ok[2];
		ssize_t got;
		int best;

		got = pread(fd, slot, sizeof(slot),
			    (off_t)(2 * i) * CGW_STATE_REC_SIZE);
		if (got <= 0)
			break; /* records are written lazily: none further */
		for (int k = 0; k < 2; k++)
			ok[k] = got >= (k + 1) * CGW_STATE_REC_SIZE &&
				rec_parse(slot[k], i, e->file, e->cgid, &seq[k],
					  w[k], x[k]);
		if (!ok[0] && !ok[1])
			continue;
		/* the newer one; seq wraps, so compare by difference */
		best = !ok[0] || (ok[1] && (int32_t)(seq[1] - seq[0]) > 0);
		_Static_assert(sizeof(w[0]) <= sizeof(e->rwritten),
			       "record values fit an entry");
		memcpy(e->rwritten, w[best], sizeof(w[0]));
		memcpy(e->rnext, x[best], sizeof(x[0]));
	}
	close(fd);
	return 0;
}

/* Removes @file's record file: the state file now holds what it held. */
static int remove_records(const char *file, char *err, size_t errlen)
{
	char name[PATH_MAX];

	if (cgw_state_rec_name(file, name, sizeof(name)))
		return 0;
	if (unlink(name) && errno != ENOENT) {
		seterr(err, errlen, "%s: %s", name, strerror(errno));
		return -errno;
	}
	return 0;
}

/* --- what a state file may ask for ----------------------------------- */

/* Why @path is not a plain relative cgroup path, or NULL. */
static const char *path_problem(const char *path)
{
	const char *p = path;

	if (path[0] == '/')
		return "absolute path";
	while (*p) {
		size_t n = strcspn(p, "/");

		if (!n)
			return "empty path component";
		if ((n == 1 && p[0] == '.') ||
		    (n == 2 && p[0] == '.' && p[1] == '.'))
			return "'.' or '..' in the path";
		p += n;
		if (*p == '/' && !*++p)
			return "trailing '/'";
	}
	return NULL;
}

static int check_entry(const struct cgw_state_entry *e, enum cgw_mode mode,
		       char *why, size_t len)
{
	const char *vals[] = { e->value, e->written, e->next, e->rwritten,
			       e->rnext };
	const struct cgw_cpuctl *c;
	struct cgw_cpuctl_val v;
	const char *p;

	p = path_problem(e->path);
	if (p) {
		snprintf(why, len, "%s", p);
		return -EPERM;
	}
	c = cgw_cpuctl_find(mode, e->file);
	if (!c) {
		snprintf(why, len,
			 "'%.64s' is not a file cgwarden manages on %s",
			 e->file, cgw_mode_name(mode));
		return -EPERM;
	}
	for (int i = 0; i < 5; i++) {
		/* the original must be a value; the others may be unset */
		if (i && !vals[i][0])
			continue;
		if (cgw_cpuctl_parse(c, vals[i], &v, why, len))
			return -EPERM;
	}
	return 0;
}

int cgw_state_check(const char *file, const struct cgw_state *st,
		    enum cgw_mode mode, const char *root, char *err,
		    size_t errlen)
{
	char why[160];
	int ret;

	if (cgw_mode_from_name(st->mode) != mode) {
		seterr(err, errlen,
		       "%s: mode '%.16s' is not the %s hierarchy the agent uses",
		       file, st->mode, cgw_mode_name(mode));
		return -EPERM;
	}
	if (strcmp(st->root, root)) {
		seterr(err, errlen,
		       "%s: root %.256s is not the cpu hierarchy %.256s", file,
		       st->root, root);
		return -EPERM;
	}
	for (size_t i = 0; i < st->n; i++) {
		ret = check_entry(&st->e[i], mode, why, sizeof(why));
		if (ret) {
			seterr(err, errlen, "%s: entry %zu (%.256s/%.64s): %s",
			       file, i + 1, st->e[i].path, st->e[i].file, why);
			return ret;
		}
	}
	return 0;
}
