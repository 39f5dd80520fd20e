/* Shared pieces of the utcp subcommands; see tools.h. */
#include "tools.h"

#include "utcp/utcp.h"

#include <string.h>
#include <unistd.h>

void tool_trace_write(void *ctx, const struct utcp_trace_event *ev)
{
	struct tool_trace *t = ctx;
	char line[1024];
	size_t n = utcp_trace_json(ev, t->host, line, sizeof(line));
	if (n >= sizeof(line))
		n = sizeof(line) - 1;
	line[n] = '\n';
	fwrite(line, 1, n + 1, t->f);
}

bool tool_cc_known(const char *name)
{
	return utcp_cc_known(name);
}

void tool_progress_start(struct tool_progress *p, const char *what)
{
	p->what = what;
	p->tty = isatty(STDERR_FILENO) == 1;
	p->shown = false;
	clock_gettime(CLOCK_MONOTONIC, &p->last);
	p->start = p->last;
}

static double seconds_between(const struct timespec *from, const struct timespec *to)
{
	return (double)(to->tv_sec - from->tv_sec) + (to->tv_nsec - from->tv_nsec) / 1e9;
}

/* Whether to redraw the line: only on a terminal, and at most every
 * 0.2 s so that printing costs nothing. When it says yes, *now is the
 * time and the line counts as shown. */
static bool progress_due(struct tool_progress *p, struct timespec *now)
{
	if (!p->tty)
		return false;
	clock_gettime(CLOCK_MONOTONIC, now);
	if (seconds_between(&p->last, now) < 0.2)
		return false;
	p->last = *now;
	p->shown = true;
	return true;
}

void tool_progress_update(struct tool_progress *p, uint64_t done, uint64_t total,
			  uint64_t sim_us)
{
	struct timespec now;
	if (!progress_due(p, &now))
		return;
	fprintf(stderr, "\r%s: %3.0f%%  %.1f MB  %.3f s simulated ", p->what,
		total ? 100.0 * done / total : 0.0, done / 1e6, sim_us / 1e6);
	fflush(stderr);
}

void tool_progress_end(struct tool_progress *p)
{
	if (p->shown)
		fprintf(stderr, "\r\033[K");
}

void tool_progress_update_wall(struct tool_progress *p, uint64_t bytes)
{
	struct timespec now;
	if (!progress_due(p, &now))
		return;
	double el = seconds_between(&p->start, &now);
	fprintf(stderr, "\r%s: %.1f MB  %.1f Mbit/s ", p->what, bytes / 1e6,
		el > 0 ? bytes * 8 / el / 1e6 : 0.0);
	fflush(stderr);
}
