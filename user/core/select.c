// SPDX-License-Identifier: GPL-2.0
/*
 * Selectors (select.h).  fnmatch(3) with FNM_PATHNAME does the matching, so
 * a pattern means what it means to a shell.  Matching one component at a
 * time is the same as matching the whole path with FNM_PATHNAME (a wildcard
 * never matches a '/'), which is what lets a walk prune a directory as soon
 * as one of its components fails.
 */
#include <fnmatch.h>
#include <stdio.h>
#include <string.h>

#include "select.h"

bool cgw_sel_is_pattern(const char *path)
{
	return strpbrk(path, "*?[") != NULL;
}

bool cgw_sel_match(const char *pattern, const char *rel)
{
	return fnmatch(pattern, rel, FNM_PATHNAME) == 0;
}

/* Copies component @i of @s (0-based) into @out; false if there is none. */
static bool component(const char *s, int i, char *out, size_t len)
{
	const char *end;

	for (; i > 0; i--) {
		s = strchr(s, '/');
		if (!s)
			return false;
		s++;
	}
	end = strchrnul(s, '/');
	if ((size_t)(end - s) >= len)
		return false;
	memcpy(out, s, (size_t)(end - s));
	out[end - s] = '\0';
	return true;
}

bool cgw_sel_may_descend(const char *pattern, const char *dir)
{
	char pc[256], dc[256];
	int i;

	if (!dir[0])
		return true; /* the root: every pattern starts below it */
	for (i = 0; component(dir, i, dc, sizeof(dc)); i++) {
		if (!component(pattern, i, pc, sizeof(pc)) ||
		    fnmatch(pc, dc, 0))
			return false;
	}
	/* the pattern must have a component below @dir's last one */
	return component(pattern, i, pc, sizeof(pc));
}

void cgw_sel_fixed_prefix(const char *pattern, char *out, size_t len)
{
	size_t n = 0;
	const char *c = pattern, *end;

	for (;;) {
		end = strchrnul(c, '/');
		/* the last component is the cgroup itself, never the start */
		if (!*end || memchr(c, '*', (size_t)(end - c)) ||
		    memchr(c, '?', (size_t)(end - c)) ||
		    memchr(c, '[', (size_t)(end - c)))
			break;
		n = (size_t)(end - pattern);
		c = end + 1;
	}
	snprintf(out, len, "%.*s", (int)n, pattern);
}

int cgw_sel_name(const char *section, const char *pattern, const char *rel,
		 char *out, size_t len)
{
	int n;

	if (!cgw_sel_is_pattern(pattern))
		n = snprintf(out, len, "%s", section);
	else
		n = snprintf(out, len, "%s/%s", section, rel);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}
