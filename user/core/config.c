// SPDX-License-Identifier: GPL-2.0
/*
 * cgwarden configuration loader.
 *
 * libinih parses the file: keys, values, comments, white space, inline
 * comments and syntax errors are all its business.  What Debian's build of
 * it does not tell the handler (line numbers, section headers, every syntax
 * error) a shadow reader in front of it finds out: see above classify().
 *
 * Every error is collected in struct cgw_diag as "FILE:LINE: KEY: message",
 * its LINE also kept as a number; parsing never stops at the first one.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <arpa/inet.h>
#include <ini.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <unistd.h>

#include "cgwarden.h"
#include "config.h"
#include "select.h"
#include "trust.h"
#include "units.h"

#define USEC UINT64_C(1000)
#define MSEC UINT64_C(1000000)
#define SEC UINT64_C(1000000000)
#define PERCENT 10000U /* ppm */
#define TEXT_MAX 256 /* section names and keys kept for messages */

enum vtype {
	VT_DURATION,
	VT_SHARE,
	VT_UINT,
	VT_PATH,
	VT_LISTEN,
	VT_SOCKET,
	VT_PCTL, /* a percentile: 99 or 99.9 (or 99%), kept in ppm */
};

struct key_spec {
	const char *name;
	enum vtype type;
	uint64_t min, max, def;
};

enum {
	AK_WINDOW,
	AK_COOLDOWN,
	AK_HOLD,
	AK_MARGIN,
	AK_CLEAR,
	AK_HYST,
	AK_SPAN,
	AK_DEADBAND,
	AK_RETAKE,
	AK_METRICS,
	AK_STATUS,
	AK_NR
};

static const struct key_spec agent_keys[AK_NR] = {
	[AK_WINDOW] = { "window", VT_DURATION, CGW_WINDOW_MIN_NS,
			CGW_WINDOW_MAX_NS, 10 * MSEC },
	[AK_COOLDOWN] = { "cooldown", VT_DURATION, CGW_WINDOW_MIN_NS, 60 * SEC,
			  50 * MSEC },
	[AK_HOLD] = { "hold", VT_DURATION, 0, 600 * SEC, 1 * SEC },
	[AK_MARGIN] = { "margin", VT_SHARE, 0, 50 * PERCENT, 5 * PERCENT },
	[AK_CLEAR] = { "clear_windows", VT_UINT, 1, 100, 2 },
	[AK_HYST] = { "hysteresis", VT_SHARE, 0, 20 * PERCENT, 1 * PERCENT },
	[AK_SPAN] = { "span", VT_DURATION, 2 * CGW_WINDOW_MIN_NS,
		      CGW_SPAN_MAX_WINDOWS *CGW_WINDOW_MAX_NS, 100 * MSEC },
	[AK_DEADBAND] = { "deadband", VT_SHARE, 0, 50 * PERCENT, 10 * PERCENT },
	/* 0: a file someone else changed is never taken back */
	[AK_RETAKE] = { "retake", VT_DURATION, 0, 86400 * SEC, 0 },
	/* strings, stored in struct cgw_config by agent_str_key() */
	[AK_METRICS] = { "metrics", VT_LISTEN, 0, 0, 0 },
	[AK_STATUS] = { "status_socket", VT_SOCKET, 0, 0, 0 },
};

enum { GK_PATH, GK_MIN, GK_MAX, GK_SCOPE, GK_WAIT, GK_WAIT_PCTL, GK_NR };
_Static_assert((int)AK_NR >= (int)GK_NR, "sect_keys.line too small");

static const struct key_spec group_keys[GK_NR] = {
	[GK_PATH] = { "path", VT_PATH, 0, 0, 0 },
	[GK_MIN] = { "min_share", VT_SHARE, 1, CGW_PPM, 0 },
	[GK_MAX] = { "max_share", VT_SHARE, 1, CGW_PPM, 0 },
	[GK_SCOPE] = { "scope", VT_PATH, 0, 0, 0 },
	/* a wait below 10 us is below what a switch costs to measure; one
	 * above 1 s is not a latency promise */
	[GK_WAIT] = { "max_wait", VT_DURATION, 10 * USEC, 1 * SEC, 0 },
	/* p50 .. p99.9: beyond, a span of 100 ms rarely holds the waits
	 * to judge it */
	[GK_WAIT_PCTL] = { "max_wait_percentile", VT_PCTL, 50 * PERCENT,
			   999 * PERCENT / 10, 99 * PERCENT },
};

/* Where each key of a section was set (0: not set). */
struct sect_keys {
	int line[AK_NR]; /* AK_NR >= GK_NR */
	uint32_t bad; /* [agent]: bit per key whose value was rejected */
};

struct agent_sect {
	struct sect_keys k;
	uint64_t val[AK_NR];
};

enum sect_kind { SK_NONE, SK_AGENT, SK_GROUP, SK_SKIP };

/* The handler call inih owes for a line: none, for a key, a continuation. */
enum call_due { DUE_NONE, DUE_KEY, DUE_CONT };

struct loader {
	const char *file;
	const char *root;
	int root_fd; /* -1: not opened yet */
	bool root_failed;
	struct cgw_config *cfg;
	struct cgw_diag *diag;
	FILE *f;
	char *text; /* the whole file, checked by slurp() */
	int read_err;

	/* reader() state */
	int lineno;
	enum call_due due; /* for this line; the handler clears it */
	bool have_key; /* a key since the last header (inih's prev_name) */
	int first_syntax; /* first syntax error reported, 0: none */

	/* the section being read */
	enum sect_kind kind;
	bool stored; /* kept in cfg: unique, valid name, room left */
	int sect_line;
	char sect_name[TEXT_MAX];
	struct cgw_group_cfg *g;
	struct sect_keys *gk;
	struct agent_sect *as;

	int nsections; /* constraint-set sections, stored or not */
	int agent_line; /* first [agent] header, 0: none */
	bool too_many;
	struct agent_sect agent, agent_dup;
	struct cgw_group_cfg scratch;
	struct sect_keys scratch_keys;
	struct sect_keys gkeys[CGW_MAX_GROUPS];
};

void cgw_diag_add(struct cgw_diag *d, int line, const char *fmt, ...)
{
	va_list ap;

	if (d->n >= CGW_DIAG_MAX) {
		d->dropped++;
		return;
	}
	d->line[d->n] = line;
	va_start(ap, fmt);
	vsnprintf(d->msg[d->n++], sizeof(d->msg[0]), fmt, ap);
	va_end(ap);
}

/* "FILE:LINE: WHAT: message" */
static void __attribute__((format(printf, 4, 5)))
err_at(struct loader *l, int line, const char *what, const char *fmt, ...)
{
	char buf[sizeof(l->diag->msg[0])];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	cgw_diag_add(l->diag, line, "%s:%d: %s: %s", l->file, line, what, buf);
}

#define err_key(l, key, ...) err_at(l, (l)->lineno, key, __VA_ARGS__)

/* "FILE:LINE: [section]: message", LINE being the header's. */
static void __attribute__((format(printf, 2, 3)))
err_sect(struct loader *l, const char *fmt, ...)
{
	char buf[sizeof(l->diag->msg[0])];
	char what[TEXT_MAX + 2];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	snprintf(what, sizeof(what), "[%s]", l->sect_name);
	err_at(l, l->sect_line, what, "%s", buf);
}

static void syntax_error(struct loader *l, int line)
{
	if (!l->first_syntax)
		l->first_syntax = line;
	cgw_diag_add(l->diag, line, "%s:%d: syntax error", l->file, line);
}

static void fmt_value(const struct key_spec *ks, uint64_t v, char *buf,
		      size_t len)
{
	switch (ks->type) {
	case VT_DURATION:
		cgw_format_duration(v, buf, len);
		break;
	case VT_SHARE:
		cgw_format_share((uint32_t)v, buf, len);
		break;
	case VT_PCTL:
		cgw_format_share((uint32_t)v, buf, len);
		buf[strcspn(buf, "%")] = '\0';
		break;
	default:
		snprintf(buf, len, "%" PRIu64, v);
		break;
	}
}

/* Plain decimal integer: digits only. */
static int parse_uint(const char *s, uint64_t *v)
{
	uint64_t n = 0;

	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		if (__builtin_mul_overflow(n, 10, &n) ||
		    __builtin_add_overflow(n, (uint64_t)(*s - '0'), &n))
			return -ERANGE;
	}
	*v = n;
	return 0;
}

static int parse_raw(const struct key_spec *ks, const char *s, uint64_t *v)
{
	uint32_t ppm;
	int err;

	switch (ks->type) {
	case VT_DURATION:
		return cgw_parse_duration(s, v);
	case VT_SHARE:
		err = cgw_parse_share(s, &ppm);
		if (!err)
			*v = ppm;
		return err;
	case VT_PCTL: {
		char buf[32];

		if (snprintf(buf, sizeof(buf), "%s%s", s,
			     s[0] && s[strlen(s) - 1] == '%' ? "" : "%") >=
		    (int)sizeof(buf))
			return -EINVAL;
		err = cgw_parse_share(buf, &ppm);
		if (err)
			return err;
		if (ppm % (PERCENT / 10))
			return -EINVAL; /* one decimal: per mille */
		*v = ppm;
		return 0;
	}
	default:
		return parse_uint(s, v);
	}
}

static const char *const type_hint[] = {
	[VT_DURATION] = "a duration such as 10ms, 250us or 1.5s",
	[VT_SHARE] = "a share such as 50% or 12.5%",
	[VT_UINT] = "a whole number",
	[VT_PCTL] = "a percentile such as 99 or 99.9",
};

/* Parses and range-checks a value; reports and returns -1 if it is bad. */
static int parse_value(struct loader *l, const struct key_spec *ks,
		       const char *s, uint64_t *out)
{
	char lo[32], hi[32];
	uint64_t v;
	int err;

	err = parse_raw(ks, s, &v);
	if (err == -EINVAL) {
		err_key(l, ks->name, "'%s' is not %s", s, type_hint[ks->type]);
		return -1;
	}
	if (err || v < ks->min || v > ks->max) {
		fmt_value(ks, ks->min, lo, sizeof(lo));
		fmt_value(ks, ks->max, hi, sizeof(hi));
		err_key(l, ks->name, "'%s' is out of range (%s..%s)", s, lo,
			hi);
		return -1;
	}
	*out = v;
	return 0;
}

static int find_key(const struct key_spec *keys, int n, const char *name)
{
	int i;

	for (i = 0; i < n; i++)
		if (!strcmp(keys[i].name, name))
			return i;
	return -1;
}

/* Records where key @i was set; reports and returns -1 if set before. */
static int claim_key(struct loader *l, struct sect_keys *k, int i,
		     const char *name)
{
	if (k->line[i]) {
		err_key(l, name, "duplicate key (first set at line %d)",
			k->line[i]);
		return -1;
	}
	k->line[i] = l->lineno;
	return 0;
}

/*
 * "ADDRESS:PORT" with a numeric IPv4 address or a bracketed IPv6 one
 * ("[::1]:9477"), port 1..65535.  No host names: nothing is resolved
 * before the agent starts, so what it binds is what the file says.
 */
static int parse_listen(const char *s, struct sockaddr_storage *ss,
			socklen_t *len)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *colon, *h = s;
	uint64_t port;
	size_t n;

	colon = strrchr(s, ':');
	if (!colon || parse_uint(colon + 1, &port) || port < 1 || port > 65535)
		return -EINVAL;
	n = (size_t)(colon - s);
	if (s[0] == '[') {
		if (n < 2 || s[n - 1] != ']')
			return -EINVAL;
		h = s + 1;
		n -= 2;
	}
	if (n == 0 || n >= sizeof(host))
		return -EINVAL;
	memcpy(host, h, n);
	host[n] = '\0';
	memset(ss, 0, sizeof(*ss));
	if (s[0] != '[') {
		struct sockaddr_in *in = (struct sockaddr_in *)ss;

		if (inet_pton(AF_INET, host, &in->sin_addr) != 1)
			return -EINVAL;
		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)port);
		*len = sizeof(*in);
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

		if (inet_pton(AF_INET6, host, &in6->sin6_addr) != 1)
			return -EINVAL;
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*in6);
	}
	return 0;
}

/* metrics and status_socket: kept only from the first [agent] section. */
static int agent_str_key(struct loader *l, int i, const char *value)
{
	bool keep = l->as == &l->agent;
	struct cgw_config *cfg = l->cfg;
	struct sockaddr_storage ss;
	size_t n = strlen(value);
	socklen_t len;

	if (!strcmp(value, "off")) {
		if (keep && i == AK_STATUS)
			cfg->status_off = true;
		return 0;
	}
	if (i == AK_METRICS) {
		if (n >= sizeof(cfg->metrics) ||
		    parse_listen(value, &ss, &len)) {
			err_key(l, "metrics",
				"'%s' is not ADDRESS:PORT (an IPv4 address or [IPv6], port 1-65535; e.g. 127.0.0.1:9477) or off",
				value);
			return -1;
		}
		if (keep) {
			memcpy(cfg->metrics, value, n + 1);
			cfg->metrics_addr = ss;
			cfg->metrics_addrlen = len;
		}
		return 0;
	}
	if (value[0] != '/' || value[n - 1] == '/') {
		err_key(l, "status_socket",
			"'%s' is not an absolute path to a socket file, or off",
			value);
		return -1;
	}
	if (n > CGW_SOCKET_PATH_MAX) {
		err_key(l, "status_socket",
			"is too long (at most %d characters)",
			CGW_SOCKET_PATH_MAX);
		return -1;
	}
	if (keep)
		memcpy(cfg->status_socket, value, n + 1);
	return 0;
}

static void agent_key(struct loader *l, const char *name, const char *value)
{
	struct agent_sect *as = l->as;
	int i = find_key(agent_keys, AK_NR, name);
	int err;

	if (i < 0) {
		err_key(l, name, "unknown key in [agent]");
		return;
	}
	if (claim_key(l, &as->k, i, name))
		return;
	if (agent_keys[i].type == VT_LISTEN || agent_keys[i].type == VT_SOCKET)
		err = agent_str_key(l, i, value);
	else
		err = parse_value(l, &agent_keys[i], value, &as->val[i]);
	if (err)
		as->k.bad |= 1U << i;
}

/* What is wrong with one component of a path, or NULL. */
static const char *bad_component(const char *comp, size_t n)
{
	if (n == 0)
		return "an empty";
	if (n == 1 && comp[0] == '.')
		return "a '.'";
	if (n == 2 && comp[0] == '.' && comp[1] == '.')
		return "a '..'";
	return NULL;
}

/* Syntax of a group path; copies it without a trailing '/' to @out. */
static int check_path_key(struct loader *l, const char *key, const char *s,
			  char *out)
{
	size_t len = strlen(s);
	const char *comp, *end, *bad;

	if (!len) {
		err_key(l, key, "is empty");
		return -1;
	}
	/* "/docker/ID", as /proc/PID/cgroup prints it, is "docker/ID" */
	if (s[0] == '/') {
		s++;
		len--;
		if (!len) {
			err_key(l, key,
				"'/' is the cgroup root, not a cgroup below it");
			return -1;
		}
	}
	if (len >= PATH_MAX) {
		err_key(l, key, "is too long");
		return -1;
	}
	memcpy(out, s, len + 1);
	if (out[len - 1] == '/')
		out[len - 1] = '\0'; /* "shop/web/" is "shop/web" */
	for (comp = out;; comp = end + 1) {
		end = strchrnul(comp, '/');
		bad = bad_component(comp, (size_t)(end - comp));
		if (bad) {
			err_key(l, key, "'%s' has %s component", s, bad);
			return -1;
		}
		if (!*end)
			return 0;
	}
}

static int check_path(struct loader *l, const char *s, char *out)
{
	return check_path_key(l, "path", s, out);
}

static int open_root(struct loader *l)
{
	if (l->root_fd >= 0 || l->root_failed)
		return l->root_fd;
	l->root_fd = open(l->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (l->root_fd < 0) {
		l->root_failed = true;
		cgw_diag_add(l->diag, 0, "%s: cannot open: %s", l->root,
			     strerror(errno));
	}
	return l->root_fd;
}

/* Without a cgroup root only the syntax of paths is checked. */
static int check_dir_key(struct loader *l, const char *key, const char *path)
{
	struct stat st;
	int fd;

	if (!l->root)
		return 0;
	fd = open_root(l);
	if (fd < 0)
		return -1;
	if (fstatat(fd, path, &st, 0)) {
		if (errno == ENOENT)
			err_key(l, key, "'%s' does not exist under %s",
				path, l->root);
		else
			err_key(l, key, "'%s' under %s: %s", path, l->root,
				strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		err_key(l, key, "'%s' under %s is not a directory", path,
			l->root);
		return -1;
	}
	return 0;
}

static int check_dir(struct loader *l, const char *path)
{
	return check_dir_key(l, "path", path);
}

static const struct cgw_group_cfg *find_path(struct loader *l,
					     const char *path)
{
	size_t i;

	for (i = 0; i < l->cfg->ngroups; i++)
		if (!strcmp(l->cfg->groups[i].path, path))
			return &l->cfg->groups[i];
	return NULL;
}

static int set_path(struct loader *l, const char *value)
{
	const struct cgw_group_cfg *other;
	char path[PATH_MAX];

	if (check_path(l, value, path))
		return -1;
	/* a pattern may match nothing yet: the agent follows the hierarchy */
	l->g->pattern = cgw_sel_is_pattern(path);
	if (!l->g->pattern && check_dir(l, path))
		return -1;
	other = l->stored ? find_path(l, path) : NULL;
	if (other) {
		err_key(l, "path", "'%s' is already used by [%s] (line %d)",
			path, other->name, other->line);
		return -1;
	}
	memcpy(l->g->path, path, strlen(path) + 1);
	return 0;
}

static void group_key(struct loader *l, const char *name, const char *value)
{
	int i = find_key(group_keys, GK_NR, name);
	uint64_t v = 0;
	int err;

	if (i < 0) {
		err_key(l, name, "unknown key");
		return;
	}
	if (claim_key(l, l->gk, i, name))
		return;
	if (i == GK_PATH)
		err = set_path(l, value);
	else if (i == GK_SCOPE)
		err = check_path_key(l, "scope", value, l->g->scope) ||
		      check_dir_key(l, "scope", l->g->scope);
	else
		err = parse_value(l, &group_keys[i], value, &v);
	if (err)
		return;
	if (i == GK_MIN)
		l->g->min_ppm = (uint32_t)v;
	else if (i == GK_MAX)
		l->g->max_ppm = (uint32_t)v;
	else if (i == GK_WAIT)
		l->g->max_wait_ns = v;
	else if (i == GK_WAIT_PCTL)
		l->g->wait_pmil = (uint32_t)(v / (PERCENT / 10));
}

static int handler(void *user, const char *section, const char *name,
		   const char *value)
{
	struct loader *l = user;
	bool cont;

	(void)section; /* classify() opens sections: see above it */
	cont = l->due == DUE_CONT;
	l->due = DUE_NONE;
	l->have_key = true;
	if (cont) {
		err_key(l, name, "continuation lines are not supported");
		return 1;
	}
	switch (l->kind) {
	case SK_NONE:
		err_key(l, name, "key outside of any section");
		break;
	case SK_AGENT:
		agent_key(l, name, value);
		break;
	case SK_GROUP:
		group_key(l, name, value);
		break;
	case SK_SKIP:
		break;
	}
	return 1; /* errors are collected, inih must go on */
}

/*
 * The scope must contain the path (be it or an ancestor of it); without a
 * `scope` key it is the path's top-level cgroup, so that the agent never
 * writes beside the hierarchy root's children (system.slice, ...).
 */
static void check_scope(struct loader *l, const struct sect_keys *k,
			struct cgw_group_cfg *g)
{
	size_t n = strlen(g->scope);

	if (!g->path[0])
		return;
	if (!k->line[GK_SCOPE]) {
		n = strcspn(g->path, "/");
		/* a glob at the top: each match's own top-level cgroup */
		if (cgw_sel_is_pattern(g->path) && strcspn(g->path, "*?[") < n)
			n = 0;
		memcpy(g->scope, g->path, n);
		g->scope[n] = '\0';
		return;
	}
	if (!g->scope[0])
		return; /* already reported */
	if (strncmp(g->path, g->scope, n) ||
	    (g->path[n] != '\0' && g->path[n] != '/'))
		err_at(l, k->line[GK_SCOPE], "scope",
		       "'%s' does not contain path '%s'", g->scope, g->path);
}

/* Checks that need the whole section: run when the next one starts. */
static void check_group(struct loader *l)
{
	const struct sect_keys *k = l->gk;
	struct cgw_group_cfg *g = l->g;
	char lo[16], hi[16];
	int i;

	if (!k->line[GK_PATH])
		err_sect(l, "missing 'path'");
	if (!k->line[GK_MIN] && !k->line[GK_MAX] && !k->line[GK_WAIT])
		err_sect(l, "needs min_share, max_share or max_wait");
	if (k->line[GK_WAIT_PCTL] && !k->line[GK_WAIT])
		err_at(l, k->line[GK_WAIT_PCTL], "max_wait_percentile",
		       "needs max_wait in the same section");
	check_scope(l, k, l->g);
	if (g->max_wait_ns && !g->wait_pmil)
		g->wait_pmil = 990;
	if (!g->min_ppm || !g->max_ppm || g->min_ppm < g->max_ppm)
		return;
	cgw_format_share(g->min_ppm, lo, sizeof(lo));
	cgw_format_share(g->max_ppm, hi, sizeof(hi));
	i = k->line[GK_MIN] > k->line[GK_MAX] ? GK_MIN : GK_MAX;
	err_at(l, k->line[i], group_keys[i].name,
	       "min_share (%s) must be below max_share (%s)", lo, hi);
}

static void close_section(struct loader *l)
{
	if (l->kind == SK_GROUP && l->stored)
		check_group(l);
	l->kind = SK_NONE;
}

static bool name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
}

static bool valid_name(const char *s)
{
	size_t n;

	for (n = 0; s[n]; n++)
		if (!name_char(s[n]))
			return false;
	return n >= 1 && n <= CGW_NAME_MAX;
}

static const struct cgw_group_cfg *find_group(struct loader *l,
					      const char *name)
{
	size_t i;

	for (i = 0; i < l->cfg->ngroups; i++)
		if (!strcmp(l->cfg->groups[i].name, name))
			return &l->cfg->groups[i];
	return NULL;
}

static void open_agent(struct loader *l)
{
	l->kind = SK_AGENT;
	l->stored = !l->agent_line;
	if (l->stored) {
		l->agent_line = l->sect_line;
		l->as = &l->agent;
		return;
	}
	err_sect(l, "duplicate section (first at line %d)", l->agent_line);
	memcpy(&l->agent_dup, &l->agent, sizeof(l->agent_dup));
	memset(&l->agent_dup.k, 0, sizeof(l->agent_dup.k));
	l->as = &l->agent_dup; /* checked, not used */
}

/* A group that is not kept is still read, to report errors in its keys. */
static void open_group(struct loader *l)
{
	struct cgw_config *cfg = l->cfg;
	const struct cgw_group_cfg *dup;

	l->kind = SK_GROUP;
	l->stored = false;
	l->nsections++;
	l->g = &l->scratch;
	l->gk = &l->scratch_keys;
	memset(l->g, 0, sizeof(*l->g));
	memset(l->gk, 0, sizeof(*l->gk));
	if (!valid_name(l->sect_name)) {
		err_sect(l, "invalid name (1 to %d of A-Z a-z 0-9 _ . -)",
			 CGW_NAME_MAX);
		return;
	}
	dup = find_group(l, l->sect_name);
	if (dup) {
		err_sect(l, "duplicate section (first at line %d)", dup->line);
		return;
	}
	if (cfg->ngroups == CGW_MAX_GROUPS) {
		if (!l->too_many)
			err_sect(l, "too many groups (at most %d)",
				 CGW_MAX_GROUPS);
		l->too_many = true;
		return;
	}
	l->g = &cfg->groups[cfg->ngroups];
	l->gk = &l->gkeys[cfg->ngroups++];
	strcpy(l->g->name, l->sect_name); /* valid_name() checked the size */
	l->g->line = l->sect_line;
	l->stored = true;
}

static void open_section(struct loader *l, const char *name, size_t len)
{
	close_section(l);
	l->have_key = false;
	l->sect_line = l->lineno;
	if (len >= sizeof(l->sect_name))
		len = sizeof(l->sect_name) - 1;
	memcpy(l->sect_name, name, len);
	l->sect_name[len] = '\0';
	if (!strcmp(l->sect_name, "agent"))
		open_agent(l);
	else
		open_group(l);
}

static const char *skip_space(const char *p)
{
	while (*p && isspace((unsigned char)*p))
		p++;
	return p;
}

/*
 * The shadow reader.  inih reads the file through reader(), which looks at
 * each line before inih does, only to make up for what Debian's libinih (r55,
 * built without INI_HANDLER_LINENO and INI_CALL_HANDLER_ON_NEW_SECTION) does
 * not tell the handler:
 *  - the line: reader() counts lines, l->lineno is the handler's line;
 *  - section headers: the handler is never called for one, so an empty
 *    section, a header's line and a repeated header would go unseen (and
 *    the name inih passes is cut to 49 bytes); classify() opens sections;
 *  - syntax errors: inih returns the first one's line, and no more;
 *    classify() notes the lines inih owes a handler call (l->due), reader()
 *    reports those it did not get (parse() adds inih's first if another,
 *    as for "[a ;b]", which inih does not take as a header);
 *  - continuation lines: inih passes one as the previous key again; telling
 *    them apart takes mirroring inih's prev_name (l->have_key);
 *  - long lines: r55 splits one longer than its buffer and reads the rest
 *    as further lines; too_long() drops the rest instead.
 * It parses no key and no value: those are the handler's.
 */

/*
 * What inih will make of a line, in the order it decides: comment or blank,
 * continuation of the previous value, "[section]", otherwise "key = value".
 */
static void classify(struct loader *l, const char *line)
{
	const char *p = line, *s, *end;

	if (l->lineno == 1 && !strncmp(p, "\xEF\xBB\xBF", 3))
		p += 3; /* UTF-8 BOM, skipped by inih too */
	s = skip_space(p);
	if (!*s || strchr(";#", *s))
		return;
	if (s > p && l->have_key) {
		l->due = DUE_CONT;
		return;
	}
	end = *s == '[' ? strchr(s, ']') : NULL;
	if (end)
		open_section(l, s + 1, (size_t)(end - s - 1));
	else
		l->due = DUE_KEY;
}

/* inih's buffer is @num bytes: a longer line is reported and dropped. */
static bool too_long(struct loader *l, char *str, int num)
{
	size_t len = strlen(str);
	int c;

	if ((len && str[len - 1] == '\n') || (int)len < num - 1)
		return false;
	c = getc(l->f);
	if (c == EOF)
		return false;
	while (c != '\n' && c != EOF)
		c = getc(l->f);
	cgw_diag_add(l->diag, l->lineno,
		     "%s:%d: line too long (at most %d characters)", l->file,
		     l->lineno, num - 2);
	if (*skip_space(str) == '[') {
		close_section(l); /* its keys would land in the wrong one */
		l->kind = SK_SKIP;
	}
	strcpy(str, "\n");
	return true;
}

/* Called by inih for each line; checks the line inih has just handled. */
static char *reader(char *str, int num, void *stream)
{
	struct loader *l = stream;

	if (l->due != DUE_NONE)
		syntax_error(l, l->lineno);
	l->due = DUE_NONE;
	errno = 0;
	if (!fgets(str, num, l->f)) {
		if (ferror(l->f))
			l->read_err = errno ? errno : EIO;
		return NULL;
	}
	l->lineno++;
	if (!too_long(l, str, num))
		classify(l, str);
	return str;
}

/*
 * The sliding estimate spans whole windows, 2 to CGW_SPAN_MAX_WINDOWS.  An
 * unset span is the default brought within those bounds for the window.
 */
static void check_span(struct loader *l)
{
	struct agent_sect *as = &l->agent;
	uint64_t w = as->val[AK_WINDOW], sp = as->val[AK_SPAN];
	char ws[32], ss[32];

	if (as->k.bad & ((1U << AK_WINDOW) | (1U << AK_SPAN)))
		return;
	if (!as->k.line[AK_SPAN]) {
		if (sp < 2 * w)
			sp = 2 * w;
		if (sp > CGW_SPAN_MAX_WINDOWS * w)
			sp = CGW_SPAN_MAX_WINDOWS * w;
		as->val[AK_SPAN] = sp;
		return;
	}
	if (sp >= 2 * w && sp <= CGW_SPAN_MAX_WINDOWS * w)
		return;
	cgw_format_duration(w, ws, sizeof(ws));
	cgw_format_duration(sp, ss, sizeof(ss));
	err_at(l, as->k.line[AK_SPAN] ?: as->k.line[AK_WINDOW],
	       as->k.line[AK_SPAN] ? "span" : "window",
	       "span (%s) must hold 2 to %d windows (window %s)", ss,
	       CGW_SPAN_MAX_WINDOWS, ws);
}

static void check_agent(struct loader *l)
{
	const struct agent_sect *as = &l->agent;
	uint32_t bad = (1U << AK_WINDOW) | (1U << AK_COOLDOWN);
	char w[32], c[32];
	int i;

	check_span(l);
	if ((as->k.bad & bad) || as->val[AK_COOLDOWN] >= as->val[AK_WINDOW])
		return;
	cgw_format_duration(as->val[AK_WINDOW], w, sizeof(w));
	cgw_format_duration(as->val[AK_COOLDOWN], c, sizeof(c));
	/* blame the key that was written; cooldown if both were */
	i = as->k.line[AK_COOLDOWN] ? AK_COOLDOWN : AK_WINDOW;
	err_at(l, as->k.line[i], agent_keys[i].name,
	       "cooldown (%s) must not be shorter than window (%s)", c, w);
}

/*
 * Section-level checks run when a section ends, after its keys: put the
 * messages back in the order of d->line (insertion sort, stable, at most
 * CGW_DIAG_MAX).
 */
static void sort_diag(struct cgw_diag *d)
{
	char tmp[sizeof(d->msg[0])];
	size_t i, j;
	int line;

	for (i = 1; i < d->n; i++) {
		line = d->line[i];
		for (j = i; j > 0 && d->line[j - 1] > line; j--)
			;
		if (j == i)
			continue;
		memcpy(tmp, d->msg[i], sizeof(tmp));
		memmove(d->msg[j + 1], d->msg[j], (i - j) * sizeof(tmp));
		memcpy(d->msg[j], tmp, sizeof(tmp));
		memmove(&d->line[j + 1], &d->line[j], (i - j) * sizeof(line));
		d->line[j] = line;
	}
}

static void finish(struct loader *l)
{
	struct cgw_config *cfg = l->cfg;

	close_section(l);
	check_agent(l);
	cfg->window_ns = l->agent.val[AK_WINDOW];
	cfg->cooldown_ns = l->agent.val[AK_COOLDOWN];
	cfg->hold_ns = l->agent.val[AK_HOLD];
	cfg->margin_ppm = (uint32_t)l->agent.val[AK_MARGIN];
	cfg->clear_windows = (uint32_t)l->agent.val[AK_CLEAR];
	cfg->hyst_ppm = (uint32_t)l->agent.val[AK_HYST];
	cfg->span_ns = l->agent.val[AK_SPAN];
	cfg->deadband_ppm = (uint32_t)l->agent.val[AK_DEADBAND];
	cfg->retake_ns = l->agent.val[AK_RETAKE];
	/* no groups is valid: the agent idles (the commented example config
	 * a package installs must pass --check) */
	sort_diag(l->diag);
}

void cgw_config_defaults(struct cgw_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->window_ns = agent_keys[AK_WINDOW].def;
	cfg->cooldown_ns = agent_keys[AK_COOLDOWN].def;
	cfg->hold_ns = agent_keys[AK_HOLD].def;
	cfg->margin_ppm = (uint32_t)agent_keys[AK_MARGIN].def;
	cfg->clear_windows = (uint32_t)agent_keys[AK_CLEAR].def;
	cfg->hyst_ppm = (uint32_t)agent_keys[AK_HYST].def;
	cfg->span_ns = agent_keys[AK_SPAN].def;
	cfg->deadband_ppm = (uint32_t)agent_keys[AK_DEADBAND].def;
	cfg->retake_ns = agent_keys[AK_RETAKE].def;
}

static void loader_init(struct loader *l, const char *file, const char *root,
			struct cgw_config *cfg, struct cgw_diag *diag)
{
	int i;

	l->file = file;
	l->root = root;
	l->root_fd = -1;
	l->cfg = cfg;
	l->diag = diag;
	for (i = 0; i < AK_NR; i++)
		l->agent.val[i] = agent_keys[i].def;
}

/* A configuration is a few kilobytes; this bounds what is read. */
#define CONFIG_MAX_BYTES (1 << 20)

/*
 * Reads the whole file through cgw_trust_open() (a symlink, FIFO, or a
 * file others could write is refused) into l->text and refuses NUL and
 * other control bytes, naming the line: fgets() and strlen() would stop
 * at a NUL and silently drop or re-attribute what follows it.  Tabs, CR
 * and LF are fine.
 */
static int slurp(struct loader *l)
{
	char err[PATH_MAX + 128];
	size_t len = 0;
	ssize_t n;
	int fd, line = 1, rc = 0; /* CONFIG_MAX_BYTES bounds line */

	fd = cgw_trust_open(l->file, err, sizeof(err));
	if (fd < 0) {
		cgw_diag_add(l->diag, 0, "%s", err);
		return fd;
	}
	l->text = malloc(CONFIG_MAX_BYTES + 1);
	if (!l->text) {
		close(fd);
		cgw_diag_add(l->diag, 0, "%s: %s", l->file, strerror(ENOMEM));
		return -ENOMEM;
	}
	while ((n = read(fd, l->text + len, CONFIG_MAX_BYTES + 1 - len)) > 0)
		len += (size_t)n;
	if (n < 0) {
		rc = -errno;
		cgw_diag_add(l->diag, 0, "%s: cannot read: %s", l->file,
			     strerror(errno));
	} else if (len > CONFIG_MAX_BYTES) {
		rc = -EFBIG;
		cgw_diag_add(l->diag, 0, "%s: larger than %d bytes", l->file,
			     CONFIG_MAX_BYTES);
	}
	close(fd);
	for (size_t i = 0; !rc && i < len; i++) {
		unsigned char c = (unsigned char)l->text[i];

		if (c == '\n')
			line++;
		else if ((c < 0x20 && c != '\t' && c != '\r') || c == 0x7f)
			rc = -EINVAL;
		if (rc)
			cgw_diag_add(
				l->diag, line,
				"%s:%d: %s byte 0x%02x: the file must be text",
				l->file, line, c ? "control" : "NUL", c);
	}
	l->text[len] = '\0';
	if (!rc) {
		l->f = fmemopen(l->text, len ? len : 1, "r");
		if (!l->f) {
			rc = -errno;
			cgw_diag_add(l->diag, 0, "%s: %s", l->file,
				     strerror(errno));
		}
	}
	return rc;
}

static int parse(struct loader *l)
{
	int rc;

	rc = slurp(l);
	if (rc)
		return rc;
	rc = ini_parse_stream(reader, l, handler, l);
	if (l->read_err) {
		cgw_diag_add(l->diag, 0, "%s: cannot read: %s", l->file,
			     strerror(l->read_err));
		return -l->read_err;
	}
	if (rc < 0) {
		cgw_diag_add(l->diag, 0, "%s: %s", l->file, strerror(ENOMEM));
		return -ENOMEM;
	}
	if (rc > 0 && rc != l->first_syntax)
		syntax_error(l, rc); /* e.g. "[a ;b]": see above classify() */
	finish(l);
	return l->diag->n || l->diag->dropped ? -EINVAL : 0;
}

int cgw_config_load(const char *file, const char *cgroup_root,
		    struct cgw_config *cfg, struct cgw_diag *diag)
{
	struct loader *l;
	int err;

	memset(diag, 0, sizeof(*diag));
	cgw_config_defaults(cfg);
	snprintf(cfg->file, sizeof(cfg->file), "%s", file);
	l = calloc(1, sizeof(*l));
	if (!l) {
		cgw_diag_add(diag, 0, "%s: %s", file, strerror(ENOMEM));
		return -ENOMEM;
	}
	loader_init(l, file, cgroup_root, cfg, diag);
	err = parse(l);
	if (l->f)
		fclose(l->f);
	free(l->text);
	if (l->root_fd >= 0)
		close(l->root_fd);
	free(l);
	return err;
}
