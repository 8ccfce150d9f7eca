// SPDX-License-Identifier: GPL-2.0
/*
 * One log function (log.h).  A message is formatted into a buffer first and
 * written with one fwrite() per line under the stream lock, so a line from
 * another thread never lands inside it; a message longer than the buffer
 * is cut, never split across writes.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "log.h"

#define LOG_LINE_MAX 4096

static FILE *out;
static int prefix = -1; /* -1: not decided yet */

bool cgw_log_is_journal(const char *js, int fd)
{
	uintmax_t dev, ino;
	struct stat st;
	char *end;

	if (!js || !*js)
		return false;
	dev = strtoumax(js, &end, 10);
	if (end == js || *end != ':')
		return false;
	js = end + 1;
	ino = strtoumax(js, &end, 10);
	if (end == js || *end)
		return false;
	if (fstat(fd, &st))
		return false;
	return (uintmax_t)st.st_dev == dev && (uintmax_t)st.st_ino == ino;
}

void cgw_log_init(void)
{
	prefix = cgw_log_is_journal(getenv("JOURNAL_STREAM"), 2);
}

void cgw_log_set_output(FILE *f, bool with_prefix)
{
	out = f;
	prefix = with_prefix;
}

static void emit(int level, const char *head, const char *fmt, va_list ap)
{
	char buf[LOG_LINE_MAX], pfx[8] = "";
	FILE *f = out ? out : stderr;
	const char *line, *nl;
	int n;

	if (prefix < 0)
		cgw_log_init();
	if (level < CGW_LOG_ERR)
		level = CGW_LOG_ERR;
	if (level > CGW_LOG_DEBUG)
		level = CGW_LOG_DEBUG;
	if (prefix)
		snprintf(pfx, sizeof(pfx), "<%d>", level);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	if (n < 0)
		return;
	flockfile(f);
	for (line = buf;; line = nl + 1) {
		nl = strchr(line, '\n');
		if (!nl && !*line)
			break; /* the message ended in a newline */
		fputs(pfx, f);
		fputs(head, f);
		fwrite(line, 1, nl ? (size_t)(nl - line) : strlen(line), f);
		fputc('\n', f);
		if (!nl)
			break;
	}
	funlockfile(f);
	fflush(f);
}

void cgw_vlog(int level, const char *fmt, va_list ap)
{
	emit(level, "cgwarden: ", fmt, ap);
}

void cgw_vlog_plain(int level, const char *fmt, va_list ap)
{
	emit(level, "", fmt, ap);
}

void cgw_log(int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cgw_vlog(level, fmt, ap);
	va_end(ap);
}

void cgw_log_plain(int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cgw_vlog_plain(level, fmt, ap);
	va_end(ap);
}
