/* SPDX-License-Identifier: GPL-2.0 */
/* The cgroup hierarchy that holds the cpu controller.  Pure C, no libbpf. */
#ifndef CGW_CGROUPFS_H
#define CGW_CGROUPFS_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

enum cgw_mode {
	CGW_MODE_NONE = 0,
	CGW_MODE_V1 = 1, /* cgroup v1 "cpu" hierarchy: cpu.shares, cfs_quota */
	CGW_MODE_V2 = 2, /* cgroup v2 with the cpu controller: cpu.weight/max */
};

struct cgw_hier {
	enum cgw_mode mode;
	char root[PATH_MAX];
	int root_fd; /* O_PATH|O_DIRECTORY, -1 when closed */
};

/*
 * Finds the hierarchy holding the cpu controller: cgroup v2 if its root
 * lists "cpu" in cgroup.controllers, else a v1 mount with the cpu option.
 * With @root_override the mode is taken from that directory's filesystem.
 * Returns 0, or -errno with a message in @err.
 */
int cgw_hier_open(const char *root_override, struct cgw_hier *h, char *err,
		  size_t errlen);
void cgw_hier_close(struct cgw_hier *h);
const char *cgw_mode_name(enum cgw_mode mode);

/*
 * Opens @rel (relative, no "..") below the root with openat2(RESOLVE_BENEATH
 * | RESOLVE_NO_SYMLINKS | RESOLVE_NO_XDEV) so that nothing outside the
 * cgroup filesystem can be reached.  Returns an fd or -errno.
 */
int cgw_hier_openat(const struct cgw_hier *h, const char *rel, int flags);

/* The cgroup id (kernfs node id) of directory @rel, as BPF sees it. */
int cgw_hier_cgid(const struct cgw_hier *h, const char *rel, uint64_t *id);

/* Reads a whole small file at @fd (pread from 0) into @buf, NUL-terminated,
 * trailing newline removed.  Returns its length or -errno. */
int cgw_read_fd(int fd, char *buf, size_t len);

/* Writes @s to @fd at offset 0 and checks that all of it was taken. */
int cgw_write_fd(int fd, const char *s);

#endif
