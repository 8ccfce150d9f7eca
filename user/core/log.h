/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The agent's one log function.  Each message is one line on stderr,
 * "cgwarden: ..." as before; when stderr is the journal ($JOURNAL_STREAM
 * names stderr's device and inode, as systemd sets it for a service), each
 * line starts with the sd-daemon level prefix "<3>".."<7>", so that
 * `journalctl -p warning` sees errors and warnings apart from actions.
 * Pure C, no libbpf: unit-tested in tests/unit/test_log.c.
 */
#ifndef CGW_LOG_H
#define CGW_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

/* syslog(3) levels, as sd-daemon(3) prefixes use them */
enum cgw_log_level {
	CGW_LOG_ERR = 3, /* something failed: the agent or a write */
	CGW_LOG_WARNING = 4, /* a promise broken, a file given up, ... */
	CGW_LOG_NOTICE = 5, /* an action: old -> new (why); start, stop */
	CGW_LOG_INFO = 6, /* edges and counters */
	CGW_LOG_DEBUG = 7, /* libbpf debug output, window traces */
};

/* Decides once whether lines get level prefixes: when $JOURNAL_STREAM
 * ("DEV:INO") matches stderr.  Also called lazily by the first cgw_log(). */
void cgw_log_init(void);

/* Is "DEV:INO" (the $JOURNAL_STREAM value) the file of @fd? */
bool cgw_log_is_journal(const char *journal_stream, int fd);

/* Writes to @f instead of stderr, with or without prefixes (tests). */
void cgw_log_set_output(FILE *f, bool prefix);

/* "cgwarden: " + message.  Several lines get the prefix each. */
void cgw_log(int level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void cgw_vlog(int level, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

/* The message as is, without "cgwarden: " ("FILE:LINE: key: ..."). */
void cgw_log_plain(int level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void cgw_vlog_plain(int level, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

#define cgw_err(...) cgw_log(CGW_LOG_ERR, __VA_ARGS__)
#define cgw_warn(...) cgw_log(CGW_LOG_WARNING, __VA_ARGS__)
#define cgw_notice(...) cgw_log(CGW_LOG_NOTICE, __VA_ARGS__)
#define cgw_info(...) cgw_log(CGW_LOG_INFO, __VA_ARGS__)

#endif
