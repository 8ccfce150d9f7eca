// SPDX-License-Identifier: GPL-2.0
/* The table of selected cgroups and following the hierarchy: follow.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "follow.h"
#include "log.h"
#include "reload.h"
#include "select.h"

#define FOLLOW_MASK \
	(IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_ONLYDIR)

void follow_init(struct follow *f, const struct cgw_hier *h,
		 const struct cgw_config *sect, struct cgw_config *tab)
{
	memset(f, 0, sizeof(*f));
	f->hier = h;
	f->sect = sect;
	f->tab = tab;
	f->ifd = -1;
	/* the [agent] values; the entries come from follow_select() */
	memcpy(tab, sect, offsetof(struct cgw_config, groups));
	tab->ngroups = 0;
}

/* A notification for mkdir/rmdir below @rel ("" is the root). */
static void watch_dir(struct follow *f, const char *rel)
{
	char proc[64];
	int fd;

	if (f->ifd < 0)
		return;
	fd = cgw_hier_openat(f->hier, rel[0] ? rel : ".", O_PATH | O_DIRECTORY);
	if (fd < 0)
		return; /* not there (yet): an ancestor's watch sees it come */
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	if (inotify_add_watch(f->ifd, proc, FOLLOW_MASK) < 0)
		cgw_log(CGW_LOG_WARNING,
			"cannot follow %s/%s: %s (cgroups created there are not seen)",
			f->hier->root, rel, strerror(errno));
	close(fd);
}

/* @rel and every directory above it, up to the root. */
static void watch_chain(struct follow *f, const char *rel)
{
	char dir[PATH_MAX];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", rel);
	for (;;) {
		watch_dir(f, dir);
		if (!dir[0])
			return;
		slash = strrchr(dir, '/');
		if (slash)
			*slash = '\0';
		else
			dir[0] = '\0';
	}
}

static void parent_of(const char *rel, char *out, size_t len)
{
	const char *slash = strrchr(rel, '/');

	snprintf(out, len, "%.*s", slash ? (int)(slash - rel) : 0, rel);
}

static bool entry_live(const struct follow *f, size_t i)
{
	if (!f->act)
		return true;
	return !f->act->nodes[f->act->group_node[i]].gone;
}

/* Cgroup @rel, selected by section @si: a new table entry unless a live
 * entry has it already.  Returns 1 when added, 0 when not, <0 error. */
static int candidate(struct follow *f, size_t si, const char *rel)
{
	const struct cgw_group_cfg *s = &f->sect->groups[si];
	struct cgw_config *t = f->tab;
	struct cgw_group_cfg *e;
	size_t n = t->ngroups;
	int ret;

	for (size_t i = 0; i < n; i++)
		if (!strcmp(t->groups[i].path, rel) && entry_live(f, i))
			return 0; /* an earlier section has it, or it is known */
	if (n >= CGW_MAX_GROUPS) {
		cgw_log(CGW_LOG_ERR,
			"[%s] %s: not watched: the agent's table of %d cgroups is full (restart the agent)",
			s->name, rel, CGW_MAX_GROUPS);
		return -ENOSPC;
	}
	e = &t->groups[n];
	*e = *s;
	e->sect = (int)si;
	e->pattern = false;
	if (cgw_sel_name(s->name, s->path, rel, e->name, sizeof(e->name)) ||
	    snprintf(e->path, sizeof(e->path), "%s", rel) >=
		    (int)sizeof(e->path)) {
		cgw_log(CGW_LOG_ERR, "[%s] %s: path too long", s->name, rel);
		return -ENAMETOOLONG;
	}
	if (!s->scope[0]) /* a glob at the top: its own top-level cgroup */
		snprintf(e->scope, sizeof(e->scope), "%.*s",
			 (int)strcspn(rel, "/"), rel);
	t->ngroups++;
	if (!f->act)
		return 1;
	ret = act_watch_group(f->act, (int)n);
	if (ret) {
		/* not published yet (the metrics see it after the update) */
		t->ngroups--;
		if (ret != -ENOENT) /* gone as soon as it came */
			cgw_log(CGW_LOG_ERR, "[%s] %s: cannot watch: %s",
				e->name, rel, strerror(-ret));
		return ret;
	}
	cgw_log(CGW_LOG_NOTICE, "cgroup [%s] %s appeared: watched", e->name,
		rel);
	return 1;
}

/* Every cgroup below @dir that @pattern selects, for section @si. */
static int walk(struct follow *f, size_t si, const char *pattern,
		const char *dir, int depth)
{
	char child[PATH_MAX];
	struct dirent *d;
	int fd, found = 0;
	DIR *dp;

	if (depth > 64)
		return 0;
	watch_dir(f, dir);
	fd = cgw_hier_openat(f->hier, dir[0] ? dir : ".",
			     O_RDONLY | O_DIRECTORY);
	dp = fd >= 0 ? fdopendir(fd) : NULL;
	if (!dp) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	while ((d = readdir(dp))) {
		if (d->d_type != DT_DIR || d->d_name[0] == '.')
			continue;
		if (snprintf(child, sizeof(child), "%s%s%s", dir,
			     dir[0] ? "/" : "",
			     d->d_name) >= (int)sizeof(child))
			continue;
		if (cgw_sel_match(pattern, child))
			found += candidate(f, si, child) >= 0;
		else if (cgw_sel_may_descend(pattern, child))
			found += walk(f, si, pattern, child, depth + 1);
	}
	closedir(dp);
	return found;
}

/* Section @si's cgroups: returns how many exist, or <0 (a literal path
 * missing, when @strict). */
static int select_section(struct follow *f, size_t si, bool strict)
{
	const struct cgw_group_cfg *s = &f->sect->groups[si];
	char dir[PATH_MAX];
	int fd;

	if (s->pattern) {
		cgw_sel_fixed_prefix(s->path, dir, sizeof(dir));
		watch_chain(f, dir);
		return walk(f, si, s->path, dir, 0);
	}
	parent_of(s->path, dir, sizeof(dir));
	watch_chain(f, dir);
	fd = cgw_hier_openat(f->hier, s->path, O_PATH | O_DIRECTORY);
	if (fd < 0) {
		if (strict)
			cgw_log(CGW_LOG_ERR, "%s:%d: [%s] %s/%s: %s",
				f->sect->file, s->line, s->name, f->hier->root,
				s->path, strerror(-fd));
		return strict ? fd : 0;
	}
	close(fd);
	candidate(f, si, s->path);
	return 1;
}

int follow_select(struct follow *f)
{
	for (size_t si = 0; si < f->sect->ngroups; si++) {
		const struct cgw_group_cfg *s = &f->sect->groups[si];
		int ret = select_section(f, si, true);

		if (ret < 0)
			return ret;
		if (s->pattern)
			cgw_log(CGW_LOG_NOTICE, "[%s] %s: %d cgroup%s%s",
				s->name, s->path, ret, ret == 1 ? "" : "s",
				ret ? "" : " yet: followed");
	}
	return 0;
}

/* Watches, and new matches and siblings. */
static void scan(struct follow *f)
{
	char dir[PATH_MAX];

	for (size_t si = 0; si < f->sect->ngroups; si++)
		select_section(f, si, false);
	act_refresh(f->act);
	/* where siblings of each selected cgroup appear */
	for (size_t i = 0; i < f->tab->ngroups; i++) {
		if (!entry_live(f, i))
			continue;
		parent_of(f->tab->groups[i].path, dir, sizeof(dir));
		watch_chain(f, dir);
	}
}

int follow_start(struct follow *f, struct act_ctx *act)
{
	f->act = act;
	f->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (f->ifd < 0) {
		int ret = -errno;

		cgw_log(CGW_LOG_ERR, "inotify: %s", strerror(errno));
		return ret;
	}
	scan(f);
	return 0;
}

int follow_fd(const struct follow *f)
{
	return f->ifd;
}

void follow_update(struct follow *f)
{
	char buf[4096]
		__attribute__((aligned(__alignof__(struct inotify_event))));

	if (!f->act)
		return;
	/* what changed does not matter: the table is compared with the
	 * hierarchy as it is now */
	while (f->ifd >= 0 && read(f->ifd, buf, sizeof(buf)) > 0)
		;
	for (size_t i = 0; i < f->act->nnodes; i++)
		act_check_gone(f->act, &f->act->nodes[i]);
	scan(f);
}

void follow_reload(struct follow *f, const struct cgw_config *sect,
		   struct follow_counts *c)
{
	const struct cgw_config *old = f->sect;

	memset(c, 0, sizeof(*c));
	for (size_t si = 0; si < sect->ngroups; si++) {
		int oi = cgw_reload_find(old, sect->groups[si].name);

		if (oi >= 0 && cgw_reload_same_section(&old->groups[oi],
						       &sect->groups[si]))
			c->unchanged++;
		else
			c->added++;
	}
	for (size_t si = 0; si < old->ngroups; si++) {
		int ni = cgw_reload_find(sect, old->groups[si].name);

		if (ni < 0 || !cgw_reload_same_section(&old->groups[si],
						       &sect->groups[ni]))
			c->removed++;
	}
	/* entries of sections kept follow their section's new index; the
	 * others are put back as they were and let go */
	for (size_t i = 0; i < f->tab->ngroups; i++) {
		struct cgw_group_cfg *e = &f->tab->groups[i];
		const struct cgw_group_cfg *s;
		int ni;

		if (e->sect < 0 || !entry_live(f, i))
			continue;
		s = &old->groups[e->sect];
		ni = cgw_reload_find(sect, s->name);
		if (ni >= 0 && cgw_reload_same_section(s, &sect->groups[ni])) {
			e->sect = ni;
			continue;
		}
		cgw_log(CGW_LOG_NOTICE,
			"cgroup [%s] %s: section %s on reload: restored and released",
			e->name, e->path, ni < 0 ? "removed" : "changed");
		act_release_group(f->act, (int)i,
				  ni < 0 ? "section removed on reload" :
					   "section changed on reload");
		e->sect = -1;
	}
	f->sect = sect;
	follow_update(f);
}

void follow_close(struct follow *f)
{
	if (f->ifd >= 0)
		close(f->ifd);
	f->ifd = -1;
}
