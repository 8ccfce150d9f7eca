// SPDX-License-Identifier: GPL-2.0
/* `cgwarden status`: see status.h. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "state.h"
#include "privs.h"
#include "status.h"
#include "status_fmt.h"
#include "trust.h"

#define STATUS_WAIT_MS 500 /* for a client's request, and its reading */

int status_path(const struct cgw_config *cfg, const char *state_file, char *buf,
		size_t len)
{
	int n;

	if (cfg && cfg->status_off) {
		buf[0] = '\0';
		return 0;
	}
	if (cfg && cfg->status_socket[0])
		n = snprintf(buf, len, "%s", cfg->status_socket);
	else
		n = snprintf(buf, len, "%s.sock", state_file);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static int sockaddr_of(const char *path, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path))
		return -ENAMETOOLONG;
	memcpy(sa->sun_path, path, strlen(path) + 1);
	return 0;
}

/* A socket file left by an agent that did not remove it: gone once no
 * one answers on it.  -EADDRINUSE when another agent does. */
static int clear_stale(const char *path, const struct sockaddr_un *sa)
{
	struct stat st;
	int fd, ret = 0;

	if (lstat(path, &st))
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (!connect(fd, (const struct sockaddr *)sa, sizeof(*sa)))
		ret = -EADDRINUSE;
	else if (unlink(path) && errno != ENOENT)
		ret = -errno;
	close(fd);
	return ret;
}

int status_listen(struct status_srv *s, const char *path)
{
	char dir[CGW_SOCKET_PATH_MAX + 1], err[PATH_MAX + 256];
	struct sockaddr_un sa;
	char *slash;
	mode_t old;
	int ret;

	s->fd = -1;
	s->path[0] = '\0';
	if (!path[0])
		return 0;
	ret = sockaddr_of(path, &sa);
	if (ret) {
		cgw_err("status socket %s: path too long", path);
		return ret;
	}
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0700) && errno != EEXIST) {
			ret = -errno;
			cgw_err("status socket: mkdir %s: %s", dir,
				strerror(errno));
			return ret;
		}
	}
	ret = cgw_trust_dir_of(path, err, sizeof(err));
	if (ret) {
		cgw_err("status socket %s", err);
		return ret;
	}
	ret = clear_stale(path, &sa);
	if (ret) {
		cgw_err("status socket %s: %s", path,
			ret == -EADDRINUSE ? "another cgwarden answers there" :
			ret == -EEXIST	   ? "exists and is not a socket" :
					     strerror(-ret));
		return ret;
	}
	s->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s->fd < 0) {
		ret = -errno;
		goto fail;
	}
	old = umask(0177); /* the socket is born 0600 */
	ret = bind(s->fd, (const struct sockaddr *)&sa, sizeof(sa)) ? -errno :
								      0;
	umask(old);
	if (!ret && listen(s->fd, 8))
		ret = -errno;
	if (!ret) {
		snprintf(s->path, sizeof(s->path), "%s", path);
		return 0;
	}
fail:
	cgw_err("status socket %s: %s", path, strerror(-ret));
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	return ret;
}

void status_close(struct status_srv *s)
{
	if (s->fd < 0)
		return;
	close(s->fd);
	unlink(s->path);
	s->fd = -1;
}

static double released_s(const struct cgw_file *f, uint64_t now)
{
	return f->released && now > f->released_ns ?
		       (double)(now - f->released_ns) / 1e9 :
		       0;
}

/* Seconds until [agent] retake takes @f back; -1: never. */
static double retake_s(const struct cgw_file *f, uint64_t after_ns,
		       uint64_t now)
{
	uint64_t at = cgw_file_retake_at(f, after_ns);

	if (!at)
		return -1;
	return at > now ? (double)(at - now) / 1e9 : 0;
}

/* The reply, from the agent's own tables; NULL when out of memory. */
static char *build(const struct status_src *src, bool json, size_t *len)
{
	const struct act_ctx *a = src->act;
	uint64_t now = cgw_now_ns();
	size_t ng = src->cfg->ngroups, nc = 0;
	struct cgw_sgroup *g = calloc(ng ?: 1, sizeof(*g));
	struct cgw_gstate_in *in = calloc(ng ?: 1, sizeof(*in));
	struct cgw_schange *c = calloc(a->nnodes * 3 + 1, sizeof(*c));
	struct cgw_status s = { .version = CGW_VERSION };
	char *out = NULL;
	FILE *f;

	if (!g || !in || !c)
		goto cleanup;
	act_group_flags(a, in);
	for (size_t i = 0; i < ng; i++) {
		const struct cgw_group_cfg *gc = &src->cfg->groups[i];
		const struct act_node *n = &a->nodes[a->group_node[i]];
		struct cgw_slot st;

		g[i] = (struct cgw_sgroup){ .name = gc->name,
					    .path = gc->path,
					    .scope = gc->scope,
					    .min_ppm = gc->min_ppm,
					    .max_ppm = gc->max_ppm,
					    .max_wait_ns = gc->max_wait_ns,
					    .wait_pmil = gc->wait_pmil };
		uint32_t h[CGW_HIST_BUCKETS];
		struct cgw_hist_stats hs;
		int ret;
		if (!warden_last_window(src->w, n->slot, &st) && st.nwin) {
			g[i].have_estimate = true;
			g[i].share_ppm = st.share_ppm;
			g[i].slow_share_ppm = st.slow_share_ppm;
			g[i].demand_ppm = st.demand_ppm;
			in[i].breached = st.breached[0] || st.breached[1] ||
					 st.breached[2];
		}
		/* the span the window clock judged, for groups with a
		 * promise: one lookup each, so that the event loop that
		 * answers stays quick (every group's waits: the metrics) */
		ret = -ENOENT;
		if (gc->max_wait_ns) {
			privs_raise_bpf(); /* a map lookup: see privs.h */
			ret = warden_wait_span(src->w, n->slot, h);
			privs_lower();
		}
		if (!ret) {
			cgw_hist_stats(h, gc->wait_pmil, 500, &hs);
			g[i].have_waits = hs.count > 0;
			g[i].waits = hs.count;
			g[i].wait_pctl_us = hs.us[0];
			g[i].wait_p50_us = hs.us[1];
			g[i].wait_max_us = hs.max_us;
		}
		g[i].state = cgw_gstate_of(&in[i]);
	}
	for (size_t i = 0; i < a->nnodes; i++) {
		const struct act_node *n = &a->nodes[i];
		const struct cgw_file *fs[] = { &n->idle, &n->weight,
						&n->quota };
		int owner = n->group >= 0      ? n->group :
			    n->capped_for >= 0 ? n->capped_for :
						 n->idled_for;

		for (int k = 0; k < 3; k++) {
			if (!fs[k]->changed && !fs[k]->released)
				continue;
			/* a weight on file only for cpu.idle's sake (the
			 * kernel resets it when cpu.idle ends): not changed */
			if (fs[k] == &n->weight && n->idle.changed &&
			    !n->weight.released && n->group < 0)
				continue;
			c[nc++] = (struct cgw_schange){
				.group = owner >= 0 ?
						 src->cfg->groups[owner].name :
						 "-",
				.path = n->rel,
				.file = fs[k]->name,
				.original = fs[k]->original,
				.current = fs[k]->written,
				.released = fs[k]->released,
				.foreign = fs[k]->foreign,
				.released_s = released_s(fs[k], now),
				.retake_s =
					retake_s(fs[k], a->cfg->retake_ns, now),
			};
		}
	}
	s.config = src->cfg->file;
	s.root = src->hier->root;
	s.mode = cgw_mode_name(src->hier->mode);
	s.dry_run = src->dry_run;
	s.nwatched = a->nnodes;
	s.writes = a->writes;
	s.skipped = a->skipped;
	s.released = a->released;
	s.ngroups = ng;
	s.groups = g;
	s.nchanges = nc;
	s.changes = c;
	f = open_memstream(&out, len);
	if (!f)
		goto cleanup;
	if ((json ? cgw_status_json(f, &s) : cgw_status_text(f, &s)) |
	    fclose(f)) {
		free(out);
		out = NULL;
	}
cleanup:
	free(g);
	free(in);
	free(c);
	return out;
}

static int64_t ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits for @events on @fd until @deadline (ms_now()); 0 when ready. */
static int wait_fd(int fd, short events, int64_t deadline)
{
	struct pollfd p = { .fd = fd, .events = events };
	int64_t left = deadline - ms_now();

	if (left <= 0 || poll(&p, 1, (int)left) <= 0)
		return -ETIMEDOUT;
	return 0;
}

void status_answer(struct status_srv *s, const struct status_src *src)
{
	int64_t deadline = ms_now() + STATUS_WAIT_MS;
	struct ucred cred;
	socklen_t clen = sizeof(cred);
	char req[16] = "", *out = NULL;
	size_t len = 0, off = 0;
	ssize_t n;
	int fd;

	fd = accept4(s->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0)
		return;
	/* the socket is 0600 already; this holds should its mode change */
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) ||
	    (cred.uid != 0 && cred.uid != geteuid()))
		goto cleanup;
	if (wait_fd(fd, POLLIN, deadline))
		goto cleanup;
	n = read(fd, req, sizeof(req) - 1);
	if (n <= 0)
		goto cleanup;
	req[n] = '\0';
	out = build(src, !strncmp(req, "json", 4), &len);
	if (!out) {
		out = strdup("cgwarden: out of memory\n");
		len = out ? strlen(out) : 0;
	}
	while (off < len && !wait_fd(fd, POLLOUT, deadline)) {
		n = send(fd, out + off, len - off, MSG_NOSIGNAL);
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			break;
		if (n > 0)
			off += (size_t)n;
	}
cleanup:
	free(out);
	close(fd);
}

static void client_usage(FILE *f)
{
	fprintf(f,
		"Usage: cgwarden status [--json] [--socket PATH | --state-file FILE]\n"
		"\n"
		"Asks the running agent what it watches, each group's share, constraint\n"
		"and state, and what it changed from which original.\n"
		"\n"
		"      --json             one JSON object\n"
		"      --socket PATH      the agent's status socket (its status_socket)\n"
		"      --state-file FILE  the agent's state file: the socket is FILE.sock\n"
		"                         (default " CGW_STATE_DEFAULT
		".sock)\n"
		"  -h, --help             this text\n");
}

int status_client(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "socket", required_argument, NULL, 's' },
		{ "state-file", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	const char *sock = NULL, *state = CGW_STATE_DEFAULT;
	char path[CGW_SOCKET_PATH_MAX + 1], buf[65536];
	struct timeval tv = { .tv_sec = 5 };
	struct sockaddr_un sa;
	bool json = false, any = false;
	ssize_t n;
	int c, fd, ret = 1;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 's':
			sock = optarg;
			break;
		case 'f':
			state = optarg;
			break;
		case 'h':
			client_usage(stdout);
			return 0;
		default:
			client_usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "cgwarden status: unexpected argument '%s'\n",
			argv[optind]);
		client_usage(stderr);
		return 2;
	}
	if (sock)
		snprintf(path, sizeof(path), "%s", sock);
	if ((!sock && status_path(NULL, state, path, sizeof(path))) ||
	    (sock && strlen(sock) >= sizeof(path)) || sockaddr_of(path, &sa)) {
		fprintf(stderr, "cgwarden status: socket path too long\n");
		return 2;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (const struct sockaddr *)&sa, sizeof(sa))) {
		if (errno == ENOENT || errno == ECONNREFUSED)
			fprintf(stderr,
				"cgwarden status: no agent answers on %s: %s (is cgwarden running? a config's status_socket or --state-file moves the socket)\n",
				path, strerror(errno));
		else
			fprintf(stderr,
				"cgwarden status: cannot connect to %s: %s%s\n",
				path, strerror(errno),
				errno == EACCES ? " (root only)" : "");
		goto cleanup;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (send(fd, json ? "json\n" : "text\n", 5, MSG_NOSIGNAL) != 5) {
		fprintf(stderr, "cgwarden status: %s: %s\n", path,
			strerror(errno));
		goto cleanup;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		any = true;
		if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n)
			break;
	}
	if (n < 0 || !any) {
		fprintf(stderr, "cgwarden status: %s: %s\n", path,
			n < 0 ? strerror(errno) :
				"the agent closed the connection without a reply (not root?)");
		goto cleanup;
	}
	ret = fflush(stdout) ? 1 : 0;
cleanup:
	if (fd >= 0)
		close(fd);
	return ret;
}
