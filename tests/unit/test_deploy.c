// SPDX-License-Identifier: GPL-2.0
/*
 * docs/deploy/ (issue 11): the Kubernetes manifest, the Prometheus
 * configuration and the alert rules are yamllint-clean, the rules pass
 * `promtool check rules` and their unit tests (`promtool test rules`), and
 * the config the DaemonSet ships is valid for the agent's own parser and
 * mounted the way the agent's trust checks accept (subPath: a regular
 * file, not a ConfigMap volume's symlink).  Runs from the source tree;
 * each tool's absence is a skip that names the package.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"

#define DEPLOY "docs/deploy"

static void need(const char *tool, const char *pkg)
{
	char cmd[128];

	if (access(DEPLOY, R_OK)) {
		print_message("SKIP: no %s here (run from the source tree)\n",
			      DEPLOY);
		skip();
	}
	snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", tool);
	if (tool[0] && system(cmd)) {
		print_message("SKIP: %s not installed (apt-get install %s)\n",
			      tool, pkg);
		skip();
	}
}

/* Runs @cmd, prints its output, returns its exit status. */
static int run(const char *cmd)
{
	char line[512];
	FILE *p = popen(cmd, "r");

	assert_non_null(p);
	while (fgets(line, sizeof(line), p))
		print_message("%s", line);
	return pclose(p);
}

static void test_yamllint(void **state)
{
	(void)state;
	need("yamllint", "yamllint");
	assert_int_equal(run("yamllint -s " DEPLOY " 2>&1"), 0);
}

static void test_rules(void **state)
{
	(void)state;
	need("promtool", "prometheus");
	assert_int_equal(
		run("promtool check rules " DEPLOY "/cgwarden.rules.yml 2>&1"),
		0);
	assert_int_equal(
		run("cd " DEPLOY
		    " && promtool test rules cgwarden.rules.test.yml 2>&1"),
		0);
}

static char *slurp(const char *path)
{
	static char buf[65536];
	FILE *f = fopen(path, "re");
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* The ConfigMap's cgwarden.ini passes the agent's parser. */
static void test_daemonset_config(void **state)
{
	static struct cgw_config cfg;
	static struct cgw_diag diag;
	char file[] = "/tmp/cgw-deploy-XXXXXX";
	const char *ds, *p;
	FILE *f;
	int fd;

	(void)state;
	need("", "");
	ds = slurp(DEPLOY "/cgwarden-daemonset.yaml");
	p = strstr(ds, "\n  cgwarden.ini: |\n");
	assert_non_null(p);
	p = strchr(p + 1, '\n') + 1;
	fd = mkstemp(file);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	/* the block: every line indented by 4, or empty */
	while (*p && (!strncmp(p, "    ", 4) || *p == '\n')) {
		const char *end = strchrnul(p, '\n');

		if (*p != '\n')
			fprintf(f, "%.*s\n", (int)(end - p - 4), p + 4);
		else
			fputc('\n', f);
		p = *end ? end + 1 : end;
	}
	assert_int_equal(fclose(f), 0);
	fd = cgw_config_load(file, NULL, &cfg, &diag);
	for (size_t i = 0; i < diag.n; i++)
		print_message("%s\n", diag.msg[i]);
	unlink(file);
	assert_int_equal(fd, 0);
	assert_int_equal(cfg.ngroups, 2);
	assert_string_equal(cfg.groups[0].scope, "kubepods.slice");
	assert_true(cfg.metrics_addrlen > 0);
	/* mounted as a file, and the agent uses that file */
	assert_non_null(strstr(ds, "mountPath: /etc/cgwarden/cgwarden.ini\n"
				   "              subPath: cgwarden.ini\n"));
	assert_non_null(strstr(ds, "- /etc/cgwarden/cgwarden.ini\n"));
	assert_non_null(strstr(ds, "- --restore\n"));
	assert_non_null(strstr(ds, "hostPID: true\n"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_yamllint),
		cmocka_unit_test(test_rules),
		cmocka_unit_test(test_daemonset_config),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
