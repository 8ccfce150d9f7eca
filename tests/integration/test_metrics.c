// SPDX-License-Identifier: GPL-2.0
/*
 * The Prometheus endpoint of an agent on real cgroups.
 *  - GET /metrics: the capped group's series, `promtool check metrics`
 *    clean, 404 elsewhere, a port in use stops the start.
 *  - End to end: Debian's prometheus on loopback (free ports, a temporary
 *    storage directory, 1 s scrape interval) scrapes the agent, and a
 *    cgwarden series is read back through its HTTP API (/api/v1/query).
 * prometheus and promtool come from the prometheus package; without them
 * those parts skip, saying so.  Everything started is killed on exit.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "cgtest.h"

/* Static builds have no endpoint (user/metrics.c): skip, saying so. */
#ifdef CGW_NO_METRICS
#define NEED_METRICS()                                                                \
	do {                                                                          \
		print_message(                                                        \
			"SKIP: this build has no metrics endpoint (static build)\n"); \
		skip();                                                               \
	} while (0)
#else
#define NEED_METRICS() \
	do {           \
	} while (0)
#endif

static struct cgt_agent agent;
static char statefile[64], promdir[64];

static int rm_entry(const char *path, const struct stat *st, int flag,
		    struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

static int setup(void **state)
{
	(void)state;

	cgt_fixture_setup(statefile, sizeof(statefile), "metrics");
	promdir[0] = '\0';
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	/* kills prometheus too (cgt_track) */
	cgt_fixture_teardown(&agent, statefile);
	if (promdir[0])
		nftw(promdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}

static bool have(const char *tool)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", tool);
	return !system(cmd);
}

/* A loopback port nobody listens on now. */
static int free_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), port = -1;

	if (fd >= 0 && !bind(fd, (struct sockaddr *)&sa, sizeof(sa)) &&
	    !getsockname(fd, (struct sockaddr *)&sa, &len))
		port = ntohs(sa.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

/* HTTP/1.0 GET on 127.0.0.1:@port; the body into @body, returns the
 * status code or -errno. */
static int http_get(int port, const char *path, char *body, size_t len)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons((uint16_t)port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct timeval tv = { .tv_sec = 5 };
	static char buf[1 << 20];
	size_t got = 0;
	ssize_t n;
	int fd, code = -EIO;
	char *p;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		code = -errno;
		goto cleanup;
	}
	n = snprintf(buf, sizeof(buf),
		     "GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n", path);
	if (write(fd, buf, (size_t)n) != n)
		goto cleanup;
	while (got + 1 < sizeof(buf) &&
	       (n = read(fd, buf + got, sizeof(buf) - 1 - got)) > 0)
		got += (size_t)n;
	buf[got] = '\0';
	p = strstr(buf, "\r\n\r\n");
	if (sscanf(buf, "HTTP/1.%*d %d", &code) != 1 || !p) {
		code = -EIO;
		goto cleanup;
	}
	snprintf(body, len, "%s", p + 4);
cleanup:
	close(fd);
	return code;
}

/* An agent with the endpoint on @port, capping a saturating "batch". */
static void start_capped(int port)
{
	static const char *const args[] = { "--state-file", statefile, NULL };
	static const char *const acted[] = { "\"type\":\"action\"", NULL };
	struct cgt_load sat = { .nthreads = 2, .cpu = -1 };
	char cfg[1024];
	int s = cgt_slow();

	assert_int_equal(cgt_mkcg("batch"), 0);
	snprintf(
		cfg, sizeof(cfg),
		"[agent]\nwindow = %dms\ncooldown = %dms\nhold = %ds\nmetrics = 127.0.0.1:%d\n\n"
		"[batch]\npath = %s\nmax_share = 25%%\n",
		10 * s, 50 * s, 30 * s, port, cgt_relpath("batch"));
	assert_int_equal(cgt_agent_start(&agent, cfg, args), 0);
	assert_true(cgt_spawn("batch", &sat, NULL) > 0);
	if (!cgt_agent_wait(&agent, acted, 5000 * s)) {
		cgt_agent_dump_recent(&agent);
		fail_msg("the agent did not cap batch");
	}
}

static void test_scrape(void **state)
{
	static char page[1 << 20];
	char file[] = "/tmp/cgwtest-metrics-XXXXXX", cmd[256], out[4096];
	int port = free_port(), fd;
	FILE *p;
	size_t n;

	(void)state;
	CGT_NEED_ENV();
	NEED_METRICS();
	assert_true(port > 0);
	start_capped(port);
	assert_int_equal(http_get(port, "/metrics", page, sizeof(page)), 200);
	assert_non_null(strstr(page, "cgwarden_build_info{version=\""));
	assert_non_null(strstr(
		page,
		"cgwarden_group_limit_ratio{group=\"batch\",kind=\"max\"} 0.250000\n"));
	assert_non_null(strstr(
		page,
		"cgwarden_group_breaches_total{group=\"batch\",kind=\"max\"} 1\n"));
	assert_non_null(
		strstr(page, "cgwarden_writes_total{reason=\"cap\"} 1\n"));
	assert_non_null(strstr(
		page, "cgwarden_group_cpu_seconds_total{group=\"batch\"} "));
	assert_non_null(strstr(page, "cgwarden_reaction_seconds_count 1\n"));
	assert_non_null(strstr(page, "cgwarden_kernel_windows_total "));
	/* never a path in a label */
	assert_null(strstr(page, cgt_prefix()));
	assert_int_equal(http_get(port, "/", out, sizeof(out)), 404);

	if (!have("promtool")) {
		print_message(
			"SKIP (lint): promtool not installed (apt-get install prometheus)\n");
		return;
	}
	fd = mkstemp(file);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, page, strlen(page)), (ssize_t)strlen(page));
	close(fd);
	snprintf(cmd, sizeof(cmd), "promtool check metrics <%s 2>&1", file);
	p = popen(cmd, "r");
	assert_non_null(p);
	n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = '\0';
	fd = pclose(p);
	unlink(file);
	print_message(
		"promtool check metrics: exit %d, %zu bytes of output%s%s\n",
		fd, n, n ? ":\n" : "", out);
	assert_int_equal(fd, 0);
	assert_int_equal(n, 0);
}

static void test_port_in_use(void **state)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	char cfg[512], cfgfile[] = "/tmp/cgwtest-cfg3-XXXXXX", out[4096];
	const char *argv[] = { cgt_bin("cgwarden"), "-c",      cfgfile,
			       "--state-file",	    statefile, NULL };
	int busy, fd;

	(void)state;
	CGT_NEED_ENV();
	NEED_METRICS();
	busy = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(busy >= 0);
	assert_int_equal(bind(busy, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(busy, 1), 0);
	assert_int_equal(getsockname(busy, (struct sockaddr *)&sa, &len), 0);
	assert_int_equal(cgt_mkcg("busy"), 0);
	snprintf(
		cfg, sizeof(cfg),
		"[agent]\nmetrics = 127.0.0.1:%d\n[busy]\npath = %s\nmax_share = 50%%\n",
		ntohs(sa.sin_port), cgt_relpath("busy"));
	fd = mkstemp(cfgfile);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, cfg, strlen(cfg)), (ssize_t)strlen(cfg));
	close(fd);
	assert_int_equal(cgt_run(argv, out, sizeof(out)), 1);
	unlink(cfgfile);
	close(busy);
	assert_non_null(strstr(out, "Address already in use"));
	/* refused before anything was loaded */
	assert_null(strstr(out, "watching"));
}

/*
 * Debian's prometheus scrapes the agent every second; the query API must
 * then return the capped group's maximum.
 */
static void test_prometheus_end_to_end(void **state)
{
	static char body[1 << 16];
	int aport = free_port(), pport, tries;
	char yml[256], listen[64], tsdb[128], path[512];
	const char *val = NULL;
	FILE *f;
	pid_t pid;

	(void)state;
	CGT_NEED_ENV();
	NEED_METRICS();
	if (!have("prometheus")) {
		print_message(
			"SKIP: prometheus not installed (apt-get install prometheus)\n");
		skip();
	}
	snprintf(promdir, sizeof(promdir), "/tmp/cgwtest-prom-%d", getpid());
	assert_int_equal(mkdir(promdir, 0700), 0);
	snprintf(yml, sizeof(yml), "%s/prometheus.yml", promdir);
	snprintf(tsdb, sizeof(tsdb), "%s/data", promdir);
	f = fopen(yml, "we");
	assert_non_null(f);
	fprintf(f,
		"global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
		"scrape_configs:\n  - job_name: cgwarden\n"
		"    static_configs:\n      - targets: ['127.0.0.1:%d']\n",
		aport);
	assert_int_equal(fclose(f), 0);
	start_capped(aport);

	pport = free_port();
	assert_true(pport > 0);
	snprintf(listen, sizeof(listen), "--web.listen-address=127.0.0.1:%d",
		 pport);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char cfgarg[300], dbarg[200], logf[200];
		int fd;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		snprintf(cfgarg, sizeof(cfgarg), "--config.file=%s", yml);
		snprintf(dbarg, sizeof(dbarg), "--storage.tsdb.path=%s", tsdb);
		snprintf(logf, sizeof(logf), "%s/prometheus.log", promdir);
		fd = open(logf, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execlp("prometheus", "prometheus", cfgarg, dbarg, listen,
		       "--log.level=warn", (char *)NULL);
		_exit(127);
	}
	assert_int_equal(cgt_track(pid), 0);

	/* ready, scraped once, and the sample stored: well under 30 s */
	snprintf(
		path, sizeof(path),
		"/api/v1/query?query=cgwarden_group_limit_ratio%%7Bgroup%%3D%%22batch%%22%%2Ckind%%3D%%22max%%22%%7D");
	for (tries = 0; tries < 60 * cgt_slow(); tries++) {
		cgt_sleep_ms(500);
		if (http_get(pport, path, body, sizeof(body)) == 200 &&
		    strstr(body, "\"result\":[{")) {
			val = strstr(body, "\"value\":[");
			break;
		}
	}
	if (!val) {
		char log[600];

		snprintf(log, sizeof(log), "%s/prometheus.log", promdir);
		print_message("last reply: %s\n", body);
		f = fopen(log, "re");
		while (f && fgets(path, sizeof(path), f))
			print_message("prometheus: %s", path);
		if (f)
			fclose(f);
		fail_msg("prometheus never returned the series");
	}
	print_message("prometheus /api/v1/query: %s\n", body);
	assert_non_null(strstr(body, "\"status\":\"success\""));
	assert_non_null(strstr(body, "\"job\":\"cgwarden\""));
	assert_non_null(strstr(val, ",\"0.25\"]"));

	/* the histogram of reaction times made it too */
	snprintf(path, sizeof(path),
		 "/api/v1/query?query=cgwarden_reaction_seconds_count");
	assert_int_equal(http_get(pport, path, body, sizeof(body)), 200);
	print_message(
		"prometheus /api/v1/query cgwarden_reaction_seconds_count: %s\n",
		body);
	assert_non_null(strstr(body, ",\"1\"]"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_scrape, setup, teardown),
		cmocka_unit_test_setup_teardown(test_port_in_use, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_prometheus_end_to_end,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
