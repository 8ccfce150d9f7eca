// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cgroupfs.h"

const char *cgw_mode_name(enum cgw_mode mode)
{
	switch (mode) {
	case CGW_MODE_V1:
		return "cgroup-v1";
	case CGW_MODE_V2:
		return "cgroup-v2";
	default:
		return "none";
	}
}

static int has_word(const char *list, const char *word, const char *seps)
{
	char buf[1024], *save, *tok;

	snprintf(buf, sizeof(buf), "%s", list);
	for (tok = strtok_r(buf, seps, &save); tok;
	     tok = strtok_r(NULL, seps, &save))
		if (!strcmp(tok, word))
			return 1;
	return 0;
}

static int v2_has_cpu(const char *root)
{
	char path[PATH_MAX + 32], buf[1024];
	int fd, n;

	snprintf(path, sizeof(path), "%s/cgroup.controllers", root);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = cgw_read_fd(fd, buf, sizeof(buf));
	close(fd);
	return n >= 0 && has_word(buf, "cpu", " \n");
}

static int v1_has_cpu(const char *root)
{
	char path[PATH_MAX + 32];

	snprintf(path, sizeof(path), "%s/cpu.shares", root);
	return access(path, F_OK) == 0;
}

/* /proc/self/mountinfo: "... mountpoint opts - fstype source superopts" */
static int find_mount(char *v2, char *v1, size_t len)
{
	char line[4096], mnt[PATH_MAX], fstype[64], sopts[1024];
	FILE *f = fopen("/proc/self/mountinfo", "re");

	if (!f)
		return -errno;
	v2[0] = v1[0] = '\0';
	while (fgets(line, sizeof(line), f)) {
		char *dash = strstr(line, " - ");

		if (!dash || sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1)
			continue;
		if (sscanf(dash + 3, "%63s %*s %1023s", fstype, sopts) != 2)
			continue;
		if (!strcmp(fstype, "cgroup2") && !v2[0] && v2_has_cpu(mnt))
			snprintf(v2, len, "%s", mnt);
		else if (!strcmp(fstype, "cgroup") && !v1[0] &&
			 has_word(sopts, "cpu", ","))
			snprintf(v1, len, "%s", mnt);
	}
	fclose(f);
	return 0;
}

int cgw_hier_open(const char *root_override, struct cgw_hier *h, char *err,
		  size_t errlen)
{
	char v2[PATH_MAX], v1[PATH_MAX];
	struct statfs sf;
	int ret;

	memset(h, 0, sizeof(*h));
	h->root_fd = -1;
	if (root_override) {
		if (statfs(root_override, &sf)) {
			ret = -errno;
			snprintf(err, errlen, "%s: %s", root_override,
				 strerror(errno));
			return ret;
		}
		snprintf(h->root, sizeof(h->root), "%s", root_override);
		if (sf.f_type == CGROUP2_SUPER_MAGIC &&
		    access(root_override, F_OK) == 0)
			h->mode = CGW_MODE_V2;
		else if (sf.f_type == CGROUP_SUPER_MAGIC &&
			 v1_has_cpu(root_override))
			h->mode = CGW_MODE_V1;
		else {
			snprintf(err, errlen,
				 "%s: not a cgroup directory with the cpu controller",
				 root_override);
			return -ENOTSUP;
		}
	} else {
		ret = find_mount(v2, v1, sizeof(v2));
		if (ret) {
			snprintf(err, errlen, "/proc/self/mountinfo: %s",
				 strerror(-ret));
			return ret;
		}
		if (v2[0]) {
			h->mode = CGW_MODE_V2;
			snprintf(h->root, sizeof(h->root), "%s", v2);
		} else if (v1[0]) {
			h->mode = CGW_MODE_V1;
			snprintf(h->root, sizeof(h->root), "%s", v1);
		} else {
			snprintf(err, errlen,
				 "no cgroup hierarchy with the cpu controller: neither a cgroup2 mount listing 'cpu' in cgroup.controllers nor a cgroup v1 mount with the cpu option");
			return -ENOENT;
		}
	}
	h->root_fd = open(h->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (h->root_fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", h->root, strerror(errno));
		return ret;
	}
	return 0;
}

void cgw_hier_close(struct cgw_hier *h)
{
	if (h->root_fd >= 0)
		close(h->root_fd);
	h->root_fd = -1;
}

int cgw_hier_openat(const struct cgw_hier *h, const char *rel, int flags)
{
	struct open_how how = {
		.flags = (uint64_t)flags | O_CLOEXEC,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
			   RESOLVE_NO_XDEV | RESOLVE_NO_MAGICLINKS,
	};
	int fd;

	if (!rel[0])
		rel = ".";
	fd = syscall(SYS_openat2, h->root_fd, rel, &how, sizeof(how));
	return fd < 0 ? -errno : fd;
}

int cgw_hier_cgid(const struct cgw_hier *h, const char *rel, uint64_t *id)
{
	struct {
		struct file_handle fh;
		uint64_t id;
	} hd;
	int fd, mount_id, ret = 0;

	fd = cgw_hier_openat(h, rel, O_PATH | O_DIRECTORY);
	if (fd < 0)
		return fd;
	hd.fh.handle_bytes = sizeof(hd.id);
	if (name_to_handle_at(fd, "", &hd.fh, &mount_id, AT_EMPTY_PATH))
		ret = -errno;
	else if (hd.fh.handle_bytes != sizeof(hd.id))
		ret = -EOVERFLOW;
	else
		memcpy(id, &hd.id, sizeof(*id));
	close(fd);
	return ret;
}

int cgw_read_fd(int fd, char *buf, size_t len)
{
	ssize_t n = pread(fd, buf, len - 1, 0);

	if (n < 0)
		return -errno;
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return (int)n;
}

int cgw_write_fd(int fd, const char *s)
{
	size_t len = strlen(s);
	ssize_t n = pwrite(fd, s, len, 0);

	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}
