// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cgfile.h"

void cgw_file_init(struct cgw_file *f)
{
	memset(f, 0, sizeof(*f));
	f->fd = -1;
	f->rec = -1;
}

int cgw_file_open(struct cgw_file *f, const struct cgw_hier *h, const char *rel,
		  const char *name)
{
	char path[PATH_MAX + 64];
	int fd;

	cgw_file_init(f);
	if (snprintf(f->rel, sizeof(f->rel), "%s", rel) >=
		    (int)sizeof(f->rel) ||
	    snprintf(f->name, sizeof(f->name), "%s", name) >=
		    (int)sizeof(f->name) ||
	    snprintf(path, sizeof(path), "%s/%s", rel[0] ? rel : ".", name) >=
		    (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = cgw_hier_openat(h, path, O_RDWR);
	if (fd < 0)
		return fd;
	f->fd = fd;
	return 0;
}

void cgw_file_close(struct cgw_file *f)
{
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
}

int cgw_file_read(struct cgw_file *f, char *buf, size_t len)
{
	if (f->fd < 0)
		return -EBADF;
	return cgw_read_fd(f->fd, buf, len);
}

static void copy(char *dst, size_t len, const char *src)
{
	if (len)
		snprintf(dst, len, "%s", src);
}

int cgw_file_check(struct cgw_file *f, const char *want, bool dry_run,
		   char *cur, size_t len, enum cgw_set *res)
{
	int ret;

	ret = cgw_file_read(f, cur, len);
	if (ret < 0)
		return ret;
	if (f->released) {
		*res = CGW_SET_FOREIGN;
		return 0;
	}
	if (f->changed && strcmp(cur, f->written)) {
		/* someone else wrote it: let go rather than fight */
		f->released = true;
		copy(f->foreign, sizeof(f->foreign), cur);
		f->changed = false;
		*res = CGW_SET_FOREIGN;
		return 0;
	}
	if (!strcmp(cur, want))
		*res = CGW_SET_SAME;
	else
		*res = dry_run ? CGW_SET_DRY : CGW_SET_WRITTEN;
	return 0;
}

int cgw_file_commit(struct cgw_file *f, const char *want, const char *cur)
{
	char back[CGW_STATE_VALUE_MAX];
	int ret;

	ret = cgw_write_fd(f->fd, want);
	if (ret)
		return ret;
	/* the kernel may normalise what it stores ("max" -> "max 100000") */
	ret = cgw_file_read(f, back, sizeof(back));
	if (ret < 0)
		return ret;
	if (!f->changed) {
		copy(f->original, sizeof(f->original), cur);
		f->changed = true;
	}
	copy(f->written, sizeof(f->written), back);
	return 0;
}

int cgw_file_set(struct cgw_file *f, const char *want, bool dry_run, char *old,
		 size_t oldlen, enum cgw_set *res)
{
	char cur[CGW_STATE_VALUE_MAX];
	int ret;

	ret = cgw_file_check(f, want, dry_run, cur, sizeof(cur), res);
	copy(old, oldlen, ret < 0 ? "" : cur);
	if (ret < 0 || *res != CGW_SET_WRITTEN)
		return ret;
	return cgw_file_commit(f, want, cur);
}

uint64_t cgw_file_retake_at(const struct cgw_file *f, uint64_t after_ns)
{
	if (!f->released || !after_ns)
		return 0;
	return f->released_ns + after_ns ?: 1;
}

bool cgw_file_retake(struct cgw_file *f, uint64_t now_ns, uint64_t after_ns)
{
	uint64_t at = cgw_file_retake_at(f, after_ns);

	if (!at || now_ns < at)
		return false;
	f->released = false;
	f->changed = false;
	f->original[0] = f->written[0] = f->foreign[0] = '\0';
	f->released_ns = 0;
	return true;
}

void cgw_file_adopt(struct cgw_file *f, const char *original,
		    const char *written)
{
	copy(f->original, sizeof(f->original), original);
	copy(f->written, sizeof(f->written), written);
	f->changed = true;
	f->released = false;
}

int cgw_file_restore(struct cgw_file *f, bool dry_run, char *cur, size_t len,
		     enum cgw_set *res)
{
	char now[CGW_STATE_VALUE_MAX];
	int ret;

	ret = cgw_file_read(f, now, sizeof(now));
	if (ret < 0)
		return ret;
	copy(cur, len, now);
	if (!f->changed || f->released || strcmp(now, f->written)) {
		*res = f->changed && !f->released ? CGW_SET_FOREIGN :
						    CGW_SET_SAME;
		if (*res == CGW_SET_FOREIGN)
			f->released = true;
		f->changed = false;
		return 0;
	}
	if (!strcmp(now, f->original)) {
		*res = CGW_SET_SAME;
	} else if (dry_run) {
		*res = CGW_SET_DRY;
	} else {
		ret = cgw_write_fd(f->fd, f->original);
		if (ret)
			return ret;
		*res = CGW_SET_WRITTEN;
	}
	f->changed = false;
	return 0;
}
