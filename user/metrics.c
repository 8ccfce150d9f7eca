// SPDX-License-Identifier: GPL-2.0
/* The Prometheus endpoint: see metrics.h. */
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "metrics.h"
#include "privs.h"

#ifdef CGW_NO_METRICS
/* Static builds (the qemu initramfs): Debian ships libmicrohttpd.a but
 * not every static library of its TLS dependencies. */
int metrics_bind(struct metrics *m, const struct cgw_config *cfg, char *err,
		 size_t errlen)
{
	memset(m, 0, sizeof(*m));
	m->listen_fd = -1;
	m->stop_fd = -1;
	if (!cfg->metrics_addrlen)
		return 0;
	snprintf(
		err, errlen,
		"%s: metrics = %s: this cgwarden was built without the metrics endpoint (static build)",
		cfg->file, cfg->metrics);
	return -ENOTSUP;
}

int metrics_start(struct metrics *m, struct warden *w, char *err, size_t errlen)
{
	(void)m, (void)w, (void)err, (void)errlen;
	return 0;
}

void metrics_publish(struct metrics *m, const struct act_ctx *a)
{
	(void)m, (void)a;
}

void metrics_stop(struct metrics *m)
{
	(void)m;
}
#else
#include <microhttpd.h>

#define METRICS_CONN_MAX 16 /* concurrent scrapes */
#define METRICS_CONN_TIMEOUT_S 10 /* a client that stalls is dropped */
#define METRICS_STACK (1 << 20)

int metrics_bind(struct metrics *m, const struct cgw_config *cfg, char *err,
		 size_t errlen)
{
	int one = 1, fd;

	memset(m, 0, sizeof(*m));
	m->listen_fd = -1;
	m->stop_fd = -1;
	m->cfg = cfg;
	if (!cfg->metrics_addrlen)
		return 0;
	fd = socket(cfg->metrics_addr.ss_family,
		    SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (const struct sockaddr *)&cfg->metrics_addr,
		 cfg->metrics_addrlen) ||
	    listen(fd, METRICS_CONN_MAX)) {
		int e = errno;

		snprintf(err, errlen, "%s: metrics = %s: %s", cfg->file,
			 cfg->metrics, strerror(e));
		if (fd >= 0)
			close(fd);
		return -e;
	}
	m->listen_fd = fd;
	return 0;
}

/* One consistent page: the published part under the lock, the kernel's
 * figures read here. */
static char *render(struct metrics *m, size_t *len)
{
	/* the table grows while the agent runs: entries below the
	 * published count never change */
	struct cgw_mgroup *g = calloc(CGW_MAX_GROUPS, sizeof(*g));
	struct cgw_gstate_in *in = calloc(CGW_MAX_GROUPS, sizeof(*in));
	uint32_t *slots = calloc(CGW_MAX_GROUPS, sizeof(*slots));
	struct cgw_metrics pm;
	char *page = NULL;
	size_t n;
	FILE *f;

	if (!g || !in || !slots)
		goto cleanup;
	pthread_mutex_lock(&m->lock);
	pm = m->pub;
	n = m->n;
	memcpy(slots, m->slots, n * sizeof(*slots));
	memcpy(in, m->flags, n * sizeof(*in));
	for (size_t i = 0; i < n; i++)
		memcpy(g[i].breaches, m->breaches[i], sizeof(g[i].breaches));
	pthread_mutex_unlock(&m->lock);

	privs_raise_bpf(); /* map lookups: see privs.h */
	for (size_t i = 0; i < n; i++) {
		const struct cgw_group_cfg *gc = &m->cfg->groups[i];
		struct cgw_slot st;

		g[i].name = gc->name;
		g[i].min_ppm = gc->min_ppm;
		g[i].max_ppm = gc->max_ppm;
		if (!warden_last_window(m->w, slots[i], &st) && st.nwin) {
			g[i].have_estimate = true;
			g[i].share_ppm = st.share_ppm;
			for (int k = 0; k < CGW_NR_KINDS; k++)
				g[i].breached[k] = st.breached[k];
			in[i].breached = st.breached[0] || st.breached[1] ||
					 st.breached[2];
		}
		g[i].have_usage = !in[i].gone &&
				  !warden_usage(m->w, slots[i], &g[i].run_ns,
						&g[i].wait_ns);
		g[i].max_wait_ns = gc->max_wait_ns;
		g[i].have_hist = g[i].have_usage &&
				 !warden_wait_hist(m->w, slots[i], g[i].hist);
		g[i].state = cgw_gstate_of(&in[i]);
	}
	privs_lower();
	pm.version = CGW_VERSION;
	pm.have_kernel = true;
	warden_stats(m->w, &pm.kernel);
	pm.ngroups = n;
	pm.groups = g;
	f = open_memstream(&page, len);
	if (!f)
		goto cleanup;
	if (cgw_metrics_format(f, &pm) | fclose(f)) {
		free(page);
		page = NULL;
	}
cleanup:
	free(g);
	free(in);
	free(slots);
	return page;
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned int code,
			     const char *text)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(
		strlen(text), (void *)text, MHD_RESPMEM_PERSISTENT);
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
				"text/plain; charset=utf-8");
	if (code == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ret = MHD_queue_response(c, code, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c,
				  const char *url, const char *method,
				  const char *version, const char *data,
				  size_t *data_len, void **con_cls)
{
	struct metrics *m = cls;
	struct MHD_Response *r;
	enum MHD_Result ret;
	size_t len = 0;
	char *page;

	(void)version;
	(void)data;
	(void)data_len;
	(void)con_cls;
	if (strcmp(method, "GET") && strcmp(method, "HEAD"))
		return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED,
			     "only GET and HEAD\n");
	if (strcmp(url, "/metrics"))
		return reply(c, MHD_HTTP_NOT_FOUND,
			     "cgwarden: the metrics are at /metrics\n");
	page = render(m, &len);
	if (!page)
		return reply(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
			     "cgwarden: out of memory\n");
	r = MHD_create_response_from_buffer(len, page, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(page);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
				"text/plain; version=0.0.4; charset=utf-8");
	ret = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

/*
 * The scrape thread: sleeps in poll() on libmicrohttpd's epoll fd and the
 * stop eventfd, with libmicrohttpd's own timeout only while a connection
 * is open: no wakeups while nobody scrapes.
 */
static void *serve(void *arg)
{
	struct metrics *m = arg;
	const union MHD_DaemonInfo *di =
		MHD_get_daemon_info(m->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	struct pollfd p[2] = { { .fd = di ? di->epoll_fd : -1,
				 .events = POLLIN },
			       { .fd = m->stop_fd, .events = POLLIN } };

	for (;;) {
		MHD_UNSIGNED_LONG_LONG ms;
		int timeout = -1;

		if (MHD_get_timeout(m->mhd, &ms) == MHD_YES)
			timeout = ms > 60000 ? 60000 : (int)ms;
		if (poll(p, 2, timeout) < 0 && errno != EINTR)
			break;
		if (p[1].revents)
			break;
		MHD_run(m->mhd);
	}
	return NULL;
}

int metrics_start(struct metrics *m, struct warden *w, char *err, size_t errlen)
{
	size_t n = CGW_MAX_GROUPS;
	pthread_attr_t attr;
	int ret;

	if (m->listen_fd < 0)
		return 0;
	m->w = w;
	m->slots = calloc(n, sizeof(*m->slots));
	m->flags = calloc(n, sizeof(*m->flags));
	m->breaches = calloc(n, sizeof(*m->breaches));
	if (!m->slots || !m->flags || !m->breaches) {
		snprintf(err, errlen, "metrics: out of memory");
		return -ENOMEM;
	}
	pthread_mutex_init(&m->lock, NULL);
	m->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (m->stop_fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "metrics: eventfd: %s", strerror(errno));
		return ret;
	}
	m->mhd = MHD_start_daemon(
		MHD_USE_EPOLL, 0, NULL, NULL, on_request, m,
		MHD_OPTION_LISTEN_SOCKET, m->listen_fd,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned int)METRICS_CONN_MAX,
		MHD_OPTION_CONNECTION_TIMEOUT,
		(unsigned int)METRICS_CONN_TIMEOUT_S, MHD_OPTION_END);
	if (!m->mhd) {
		snprintf(err, errlen,
			 "metrics: libmicrohttpd did not start on %s",
			 m->cfg->metrics);
		return -EIO;
	}
	m->listen_fd = -1; /* MHD_stop_daemon() closes it now */
	/*
	 * Never at the agent's --rt-priority: a scrape must not compete with
	 * the event thread.  Lowering the policy needs no privilege.
	 */
	pthread_attr_init(&attr);
	pthread_attr_setinheritsched(&attr, PTHREAD_EXPLICIT_SCHED);
	pthread_attr_setschedpolicy(&attr, SCHED_OTHER);
	/* else glibc takes the creator's priority, invalid for SCHED_OTHER */
	pthread_attr_setschedparam(&attr, &(struct sched_param){ 0 });
	/* warden_usage() takes ~160 kB of stack; with --rt-priority all of
	 * it is locked (MCL_FUTURE): not the default 8 MB */
	pthread_attr_setstacksize(&attr, METRICS_STACK);
	ret = -pthread_create(&m->thread, &attr, serve, m);
	pthread_attr_destroy(&attr);
	if (ret) {
		snprintf(err, errlen, "metrics: thread: %s", strerror(-ret));
		return ret;
	}
	pthread_setname_np(m->thread, "cgw-metrics");
	m->running = true;
	return 0;
}

void metrics_publish(struct metrics *m, const struct act_ctx *a)
{
	size_t n = a->cfg->ngroups;

	if (!m->running)
		return;
	pthread_mutex_lock(&m->lock);
	m->n = n;
	for (size_t i = 0; i < n; i++)
		m->slots[i] = a->nodes[a->group_node[i]].slot;
	memcpy(m->pub.writes, a->writes_by, sizeof(m->pub.writes));
	m->pub.skipped = a->skipped;
	m->pub.released = a->released;
	m->pub.deferred = a->deferred;
	m->pub.stale = a->stale;
	m->pub.shed = a->shed;
	m->pub.unreachable = a->unreachable;
	m->pub.reaction = a->reaction;
	act_group_flags(a, m->flags);
	memcpy(m->breaches, a->breaches, n * sizeof(*m->breaches));
	pthread_mutex_unlock(&m->lock);
}

void metrics_stop(struct metrics *m)
{
	uint64_t one = 1;

	if (m->running) {
		if (write(m->stop_fd, &one, sizeof(one)) != sizeof(one))
			cgw_err("metrics: stop: %s", strerror(errno));
		pthread_join(m->thread, NULL);
		m->running = false;
		pthread_mutex_destroy(&m->lock);
	}
	if (m->mhd)
		MHD_stop_daemon(m->mhd);
	m->mhd = NULL;
	if (m->listen_fd >= 0)
		close(m->listen_fd);
	if (m->stop_fd >= 0)
		close(m->stop_fd);
	m->listen_fd = -1;
	m->stop_fd = -1;
	free(m->slots);
	free(m->flags);
	free(m->breaches);
	m->slots = NULL;
	m->flags = NULL;
	m->breaches = NULL;
}
#endif /* CGW_NO_METRICS */
