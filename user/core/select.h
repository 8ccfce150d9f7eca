/* SPDX-License-Identifier: GPL-2.0 */
// Selectors: a section's `path` names one cgroup, or many through an
// fnmatch(3) glob with FNM_PATHNAME, e.g. docker/*, system.slice/docker-*.scope,
// kubepods.slice/*/*pod*.slice/*.scope (a * never crosses a '/').  The
// rules of matching, walking and naming live here.  Pure C, no libbpf.
#ifndef CGW_SELECT_H
#define CGW_SELECT_H

#include <stdbool.h>
#include <stddef.h>

/* True when @path holds a glob character (*, ? or [). */
bool cgw_sel_is_pattern(const char *path);

/* True when cgroup @rel (relative to the root) is selected by @pattern. */
bool cgw_sel_match(const char *pattern, const char *rel);

/*
 * True when directory @dir (relative, "" for the root) may hold a cgroup
 * @pattern selects: each of its components matches the pattern's
 * component at that depth, and the pattern goes deeper.  The walk of the
 * hierarchy descends only into such directories.
 */
bool cgw_sel_may_descend(const char *pattern, const char *dir);

// The leading components of @pattern free of glob characters ("docker"
// for docker/*, "" for */x): the directory a walk of the hierarchy starts from.
void cgw_sel_fixed_prefix(const char *pattern, char *out, size_t len);

/*
 * The name a selected cgroup is reported under: the section's name for a
 * literal path, "section/cgroup" for a pattern's match.  Returns -1 when
 * it does not fit in @len (then @out is truncated).
 */
int cgw_sel_name(const char *section, const char *pattern, const char *rel,
		 char *out, size_t len);

#endif
