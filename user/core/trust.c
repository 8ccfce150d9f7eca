// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "trust.h"

bool cgw_trust_insecure(void)
{
	const char *s = getenv(CGW_TRUST_ENV);

	return s && !strcmp(s, "1");
}

static bool trusted_owner(uid_t uid)
{
	return uid == 0 || uid == geteuid();
}

/* Why directory @dir (stat @sb) may not be trusted, or NULL. */
static const char *dir_problem(const struct stat *sb)
{
	if (!S_ISDIR(sb->st_mode))
		return "not a directory";
	if (!trusted_owner(sb->st_uid))
		return "directory owned by another user";
	if ((sb->st_mode & (S_IWGRP | S_IWOTH)) && !(sb->st_mode & S_ISVTX))
		return "directory writable by group or others (and not sticky)";
	return NULL;
}

/* Checks every directory from "/" down to @real (absolute, resolved). */
static int check_chain(const char *what, const char *real, char *err,
		       size_t errlen)
{
	char buf[PATH_MAX];
	const char *why;
	struct stat sb;
	size_t len = strlen(real);

	if (len >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, real, len + 1);
	for (;;) {
		if (stat(buf[0] ? buf : "/", &sb)) {
			snprintf(err, errlen, "%s: %s: %s", what,
				 buf[0] ? buf : "/", strerror(errno));
			return -errno;
		}
		why = cgw_trust_insecure() ? NULL : dir_problem(&sb);
		if (why) {
			snprintf(err, errlen, "%s: not trusted: %s: %s", what,
				 buf[0] ? buf : "/", why);
			return -EPERM;
		}
		if (!buf[0])
			return 0;
		*strrchr(buf, '/') = '\0';
	}
}

/* @path split into its resolved directory and its last component. */
static int split_resolve(const char *path, char *dir, char *base, char *err,
			 size_t errlen)
{
	char tmp[PATH_MAX], *slash;
	size_t len = strlen(path);

	if (!len || len >= sizeof(tmp)) {
		snprintf(err, errlen, "%s: bad file name", path);
		return -EINVAL;
	}
	memcpy(tmp, path, len + 1);
	while (len > 1 && tmp[len - 1] == '/')
		tmp[--len] = '\0';
	slash = strrchr(tmp, '/');
	if (!slash) {
		snprintf(base, NAME_MAX + 1, "%s", tmp);
		snprintf(tmp, sizeof(tmp), ".");
	} else {
		snprintf(base, NAME_MAX + 1, "%s", slash + 1);
		if (slash == tmp)
			slash[1] = '\0';
		else
			*slash = '\0';
	}
	if (!realpath(tmp, dir)) {
		int ret = -errno;

		snprintf(err, errlen, "%s: %s: %s", path, tmp, strerror(errno));
		return ret;
	}
	if (!strcmp(dir, "/"))
		dir[0] = '\0'; /* the chain walk's spelling of "/" */
	return 0;
}

int cgw_trust_open(const char *path, char *err, size_t errlen)
{
	char dir[PATH_MAX], base[NAME_MAX + 1], full[PATH_MAX + NAME_MAX + 2];
	struct stat sb;
	int fd, ret;

	ret = split_resolve(path, dir, base, err, errlen);
	if (ret)
		return ret;
	snprintf(full, sizeof(full), "%s/%s", dir, base);
	fd = open(full, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		if (errno == ELOOP)
			snprintf(err, errlen,
				 "%s: not trusted: a symbolic link", path);
		else
			snprintf(err, errlen, "%s: cannot open: %s", path,
				 strerror(errno));
		return ret == -ELOOP ? -EPERM : ret;
	}
	if (fstat(fd, &sb)) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	ret = -EISDIR;
	if (S_ISDIR(sb.st_mode)) {
		snprintf(err, errlen, "%s: %s", path, strerror(EISDIR));
		goto fail;
	}
	ret = -EPERM;
	if (!S_ISREG(sb.st_mode)) {
		snprintf(err, errlen, "%s: not trusted: not a regular file",
			 path);
		goto fail;
	}
	if (!cgw_trust_insecure() && !trusted_owner(sb.st_uid)) {
		snprintf(err, errlen,
			 "%s: not trusted: owned by uid %u, not root", path,
			 (unsigned int)sb.st_uid);
		goto fail;
	}
	if (!cgw_trust_insecure() && (sb.st_mode & (S_IWGRP | S_IWOTH))) {
		snprintf(
			err, errlen,
			"%s: not trusted: writable by group or others (mode %04o)",
			path, (unsigned int)(sb.st_mode & 07777));
		goto fail;
	}
	ret = check_chain(path, dir, err, errlen);
	if (ret)
		goto fail;
	/* a regular file: blocking reads from here on */
	if (fcntl(fd, F_SETFL, 0)) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return ret;
}

int cgw_trust_dir_of(const char *path, char *err, size_t errlen)
{
	char tmp[PATH_MAX], real[PATH_MAX], *slash;
	size_t len = strlen(path);

	if (!len || len >= sizeof(tmp)) {
		snprintf(err, errlen, "%s: bad file name", path);
		return -EINVAL;
	}
	memcpy(tmp, path, len + 1);
	/* the deepest ancestor that exists */
	for (;;) {
		slash = strrchr(tmp, '/');
		if (!slash) {
			snprintf(tmp, sizeof(tmp), ".");
		} else if (slash == tmp) {
			tmp[1] = '\0';
		} else {
			*slash = '\0';
		}
		if (realpath(tmp, real))
			break;
		if (errno != ENOENT || !strcmp(tmp, ".") || !strcmp(tmp, "/")) {
			int ret = -errno;

			snprintf(err, errlen, "%s: %s: %s", path, tmp,
				 strerror(errno));
			return ret;
		}
	}
	if (!strcmp(real, "/"))
		real[0] = '\0';
	return check_chain(path, real, err, errlen);
}
