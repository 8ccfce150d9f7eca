/* SPDX-License-Identifier: GPL-2.0 */
/*
 * `cgwarden status`: a unix socket the agent answers on its event loop
 * (one more fd in epoll: no wakeup while nobody asks), and the client.
 *
 * The socket is status_socket from the config, else the state file's path
 * plus ".sock" (/run/cgwarden/state.sock by default).  Its directory is
 * created 0700 if missing and must pass the same trust checks as the state
 * file's; the socket is 0600 and only root or the agent's user is
 * answered (SO_PEERCRED).  A request is one line, "text" or "json"; the
 * reply is the whole status (core/status_fmt.c), then the agent closes.
 */
#ifndef CGW_STATUS_H
#define CGW_STATUS_H

#include <stdbool.h>
#include <stddef.h>

#include "actuate.h"
#include "config.h"
#include "warden.h"

struct status_srv {
	int fd; /* -1: not serving */
	char path[CGW_SOCKET_PATH_MAX + 1];
};

/* The socket's path for @cfg (NULL: no config) and @state_file; "" when
 * status_socket = off.  Returns -ENAMETOOLONG if it does not fit. */
int status_path(const struct cgw_config *cfg, const char *state_file, char *buf,
		size_t len);

/* Creates the socket at @path ("" : off).  0 or -errno, with a message. */
int status_listen(struct status_srv *s, const char *path);

struct status_src {
	const struct act_ctx *act;
	const struct cgw_config *cfg;
	const struct cgw_hier *hier;
	struct warden *w;
	bool dry_run;
};

/* The socket is readable: answers one client (bounded waits). */
void status_answer(struct status_srv *s, const struct status_src *src);

/* Closes and removes the socket. */
void status_close(struct status_srv *s);

/* `cgwarden status [--json] [--socket PATH] [--state-file FILE]`;
 * @argv[0] is "status".  Returns the exit status. */
int status_client(int argc, char **argv);

#endif
