/* Shared pieces of the utcp subcommands. */
#ifndef UTCP_TOOLS_TOOLS_H
#define UTCP_TOOLS_TOOLS_H

#include "utcp/trace.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

int cmd_sim(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_lab(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_connect(int argc, char **argv);
int cmd_get(int argc, char **argv);
int cmd_netstat(int argc, char **argv);

/* A trace sink writing JSON lines; ctx of utcp_stack_config.trace. */
struct tool_trace {
	FILE *f;
	const char *host;
};
void tool_trace_write(void *ctx, const struct utcp_trace_event *ev);

/* True when `name` is a congestion control algorithm utcp has. */
bool tool_cc_known(const char *name);

/* Progress on stderr, only when it is a terminal; redrawn a few times a
 * second, erased at the end. */
struct tool_progress {
	const char *what;
	bool tty;
	struct timespec last;
	bool shown;
	struct timespec start; /* for tool_progress_update_wall's rate */
};
void tool_progress_start(struct tool_progress *p, const char *what);
void tool_progress_update(struct tool_progress *p, uint64_t done, uint64_t total,
			  uint64_t sim_us);
void tool_progress_end(struct tool_progress *p);
/* On a real link: bytes moved so far and the rate, in wall-clock time. */
void tool_progress_update_wall(struct tool_progress *p, uint64_t bytes);

#endif
