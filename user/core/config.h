/* SPDX-License-Identifier: GPL-2.0 */
/* cgwarden configuration: INI parsed with libinih.  Pure C, no libbpf. */
#ifndef CGW_CONFIG_H
#define CGW_CONFIG_H

#include <limits.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#define CGW_NAME_MAX 63
/* sun_path holds 108 bytes with the NUL */
#define CGW_SOCKET_PATH_MAX 107
#define CGW_MAX_GROUPS 1024

/* a section's name, or "section/cgroup" for a pattern's match */
#define CGW_LABEL_MAX (CGW_NAME_MAX + 1 + PATH_MAX)

struct cgw_group_cfg {
	char name[CGW_LABEL_MAX]; /* section name (see select.h) */
	/* relative to the cpu-controller root, without a leading '/'; a
	 * glob (select.h) when @pattern */
	char path[PATH_MAX];
	bool pattern;
	uint32_t min_ppm; /* 0: no minimum */
	uint32_t max_ppm; /* 0: no maximum */
	/* max_wait: this percentile (per mille, default 990) of the group's
	 * run-queue waits stays at or below max_wait_ns (0: no promise) */
	uint64_t max_wait_ns;
	uint32_t wait_pmil;
	/* the subtree the agent may write in for this group: the group's
	 * path or an ancestor of it; default its top-level cgroup ("" for
	 * a pattern with a glob at the top: each match's top-level one) */
	char scope[PATH_MAX];
	int line; /* line of the [section] header */
	int sect; /* in the agent's table of cgroups: index of its section */
};

struct cgw_config {
	char file[PATH_MAX];
	uint64_t window_ns; /* [agent] window, 1ms..1s, default 10ms */
	uint64_t cooldown_ns; /* [agent] cooldown, >= window, default 50ms */
	uint64_t hold_ns; /* [agent] hold, relax delay after clear, default 1s */
	uint32_t margin_ppm; /* [agent] margin, default 5% */
	uint32_t clear_windows; /* [agent] clear_windows, 1..100, default 2 */
	uint32_t hyst_ppm; /* [agent] hysteresis, 0..20%, default 1% */
	uint64_t span_ns; /* [agent] span of the sliding estimate, default
			   * 100ms, 2..15 windows */
	uint32_t deadband_ppm; /* [agent] deadband, 0..50%, default 10% */
	/* [agent] retake: a file released to someone else is managed again
	 * this long after (its value then is the new original); 0, the
	 * default: never */
	uint64_t retake_ns;
	/* [agent] metrics = ADDRESS:PORT (IPv4, or [IPv6]): the Prometheus
	 * endpoint; off (metrics_addrlen 0) unless set */
	char metrics[64]; /* as written */
	struct sockaddr_storage metrics_addr;
	socklen_t metrics_addrlen;
	/* [agent] status_socket = PATH | off: the `cgwarden status` socket;
	 * "" is the default, derived from the state file (see status.h) */
	char status_socket[CGW_SOCKET_PATH_MAX + 1];
	bool status_off;
	size_t ngroups;
	struct cgw_group_cfg groups[CGW_MAX_GROUPS];
};

#define CGW_DIAG_MAX 64

/* Every problem found, each one "file:line: key: message". */
struct cgw_diag {
	size_t n;
	char msg[CGW_DIAG_MAX][256];
	int line[CGW_DIAG_MAX]; /* the line msg[i] is about; 0: the whole file */
	size_t dropped; /* beyond the CGW_DIAG_MAX kept */
};

void cgw_config_defaults(struct cgw_config *cfg);

/*
 * Parses @file into @cfg.  @cgroup_root, if not NULL, is the directory that
 * holds the cpu controller: each group's literal path (not a pattern,
 * which may match nothing yet) must then name an existing
 * directory below it.  Returns 0 when the file is valid, otherwise -EINVAL
 * with every error found in @diag (or -errno if the file cannot be read,
 * also with a message in @diag).
 *
 * @diag is cleared first; its messages come in line order.  @cfg (about
 * 13 MB: allocate it on the heap) holds the defaults plus every valid value
 * even when -EINVAL is returned.  Group paths are stored without a leading
 * or a trailing '/'.  Lines may hold at most 198 characters (libinih's
 * buffer); indented continuation lines are rejected.
 */
int cgw_config_load(const char *file, const char *cgroup_root,
		    struct cgw_config *cfg, struct cgw_diag *diag);

/* Adds a message about @line of the file (0: about no line in particular). */
void cgw_diag_add(struct cgw_diag *d, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
