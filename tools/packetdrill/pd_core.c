/*
 * The adapter's instance: creation from --so_flags, the virtual clock
 * (usleep, gettimeofday), the network device (netdev_send/receive), and the
 * waiting that makes non-blocking utcp calls block as a kernel's do.
 *
 * Time is virtual and moves only when asked (pd.h): usleep moves it by the
 * amount asked, gettimeofday by one microsecond per look (packetdrill spins
 * on gettimeofday until an event's time comes, so a clock that never moved
 * while watched would hang it), netdev_receive to the stack's next deadline
 * while it has nothing to give, and a blocking call on the main thread to
 * the next deadline while it cannot complete. Timers fire at their exact
 * deadlines, so a run is deterministic and its timing exact.
 */
#define _GNU_SOURCE
#include "pd.h"

#include "utcp/trace.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Where virtual time starts: any fixed point will do; one second keeps
 * gettimeofday's answer away from zero. */
#define PD_EPOCH_US UTCP_SEC(1)
/* The longest a call waits, in real time, for a woken waiter
 * to re-try its call; only a bug (or a thread stopped elsewhere) hits it. */
#define PD_SETTLE_REAL_SECS 2

bool pd_is_main_thread(const struct pd *pd)
{
	return pthread_equal(pthread_self(), pd->main_thread) != 0;
}

/* Something changed: every waiter re-tries its call. */
static void bump(struct pd *pd)
{
	pd->gen++;
	pd->stale = pd->waiting;
	pthread_cond_broadcast(&pd->changed);
}

/* Wait until every waiter woken by the last change has re-tried. */
static void settle(struct pd *pd)
{
	struct timespec limit;
	clock_gettime(CLOCK_REALTIME, &limit);
	limit.tv_sec += PD_SETTLE_REAL_SECS;
	while (pd->stale > 0)
		if (pthread_cond_timedwait(&pd->settled, &pd->mu, &limit) == ETIMEDOUT)
			break;
}

void pd_enter(struct pd *pd)
{
	pthread_mutex_lock(&pd->mu);
	settle(pd);
}

long pd_leave(struct pd *pd, long r)
{
	bump(pd);
	if (!pd_is_main_thread(pd)) {
		pd->has_ret = true;
		pd->ret_thread = pthread_self();
		pd->ret_at = pd->now;
	}
	pthread_mutex_unlock(&pd->mu);
	if (r < 0) {
		errno = (int)-r;
		return -1;
	}
	return r;
}

/* Run the stack's timers at `at` (not before the present) and let every
 * waiter see the result. */
static void poll_at(struct pd *pd, utcp_time_us at)
{
	if (at > pd->now)
		pd->now = at;
	utcp_stack_poll(pd->stack, pd->now);
	bump(pd);
	settle(pd);
}

void pd_advance_to(struct pd *pd, utcp_time_us t)
{
	settle(pd);
	utcp_time_us d;
	unsigned guard = 0;
	while ((d = utcp_stack_next_deadline(pd->stack)) <= t && ++guard < 1000000)
		poll_at(pd, d); /* each timer at its own deadline */
	poll_at(pd, t);
}

int pd_wait(struct pd *pd, utcp_time_us deadline)
{
	if (pd_is_main_thread(pd)) {
		/* Nobody else will change anything: let time pass. */
		utcp_time_us d = utcp_stack_next_deadline(pd->stack);
		if (deadline < d)
			d = deadline;
		if (d == UTCP_TIME_NEVER)
			return -EAGAIN;
		pd_advance_to(pd, d > pd->now ? d : pd->now);
		return 0;
	}
	uint64_t seen = pd->gen;
	pd->waiting++;
	while (pd->gen == seen)
		pthread_cond_wait(&pd->changed, &pd->mu);
	pd->waiting--;
	/* The caller re-tries under the mutex it now holds, so by the time
	 * a settling thread gets it back this waiter has settled. */
	if (pd->stale > 0 && --pd->stale == 0)
		pthread_cond_signal(&pd->settled);
	return 0;
}

/* --- the link: the stack's output queues datagrams for netdev_receive --- */

static int link_output(void *ctx, const uint8_t *packet, size_t len)
{
	struct pd *pd = ctx;
	struct pd_pkt *p = malloc(sizeof(*p) + len);
	if (!p)
		return -ENOMEM;
	p->next = NULL;
	p->at = pd->now;
	p->len = len;
	memcpy(p->data, packet, len);
	if (pd->out_tail)
		pd->out_tail->next = p;
	else
		pd->out_head = p;
	pd->out_tail = p;
	return 0;
}

static const struct utcp_link_ops pd_link_ops = {.output = link_output};

static int pd_netdev_send(void *ud, const void *buf, size_t count)
{
	struct pd *pd = ud;
	pd_enter(pd);
	utcp_stack_input(pd->stack, pd->iface, buf, count, pd->now);
	return (int)pd_leave(pd, 0);
}

static int pd_netdev_receive(void *ud, void *buf, size_t *count, long long *time_usecs)
{
	struct pd *pd = ud;
	pd_enter(pd);
	utcp_time_us horizon = pd->now + PD_HORIZON_US;
	while (!pd->out_head) {
		utcp_time_us d = utcp_stack_next_deadline(pd->stack);
		if (d == UTCP_TIME_NEVER || d > horizon) {
			/* Nothing will ever leave: say so (packetdrill
			 * reports the packet it expected as missing). */
			*count = 0;
			*time_usecs = (long long)pd->now;
			return (int)pd_leave(pd, 0);
		}
		pd_advance_to(pd, d > pd->now ? d : pd->now);
	}
	struct pd_pkt *p = pd->out_head;
	pd->out_head = p->next;
	if (!pd->out_head)
		pd->out_tail = NULL;
	size_t n = p->len < *count ? p->len : *count;
	memcpy(buf, p->data, n);
	*count = n;
	*time_usecs = (long long)p->at;
	free(p);
	return (int)pd_leave(pd, 0);
}

static int pd_usleep(void *ud, useconds_t usec)
{
	struct pd *pd = ud;
	pd_enter(pd);
	pd_advance_to(pd, pd->now + usec);
	return (int)pd_leave(pd, 0);
}

static int pd_gettimeofday(void *ud, struct timeval *tv, struct timezone *tz)
{
	struct pd *pd = ud;
	(void)tz;
	pd_enter(pd);
	utcp_time_us t;
	if (pd->has_ret && pthread_equal(pd->ret_thread, pthread_self())) {
		t = pd->ret_at; /* when this thread's call returned */
		pd->has_ret = false;
	} else {
		pd_advance_to(pd, pd->now + 1); /* a look takes a microsecond */
		t = pd->now;
	}
	pthread_mutex_unlock(&pd->mu);
	tv->tv_sec = (time_t)(t / 1000000u);
	tv->tv_usec = (suseconds_t)(t % 1000000u);
	return 0;
}

/* --- stack callbacks --- */

static void on_event(void *ctx, int ufd, unsigned events)
{
	struct pd *pd = ctx;
	(void)events;
	int fd = pd_fd_of_ufd(pd, ufd);
	if (fd >= 0)
		pd_epoll_notify(pd, fd);
}

static void on_trace(void *ctx, const struct utcp_trace_event *ev)
{
	struct pd *pd = ctx;
	char line[1024];
	utcp_trace_json(ev, "utcp", line, sizeof(line));
	fprintf(pd->trace, "%s\n", line);
}

/* --- instance --- */

static void pd_free(void *ud)
{
	struct pd *pd = ud;
	if (!pd)
		return;
	pd_fd_release_all(pd);
	utcp_stack_free(pd->stack);
	while (pd->out_head) {
		struct pd_pkt *p = pd->out_head;
		pd->out_head = p->next;
		free(p);
	}
	if (pd->trace && pd->trace != stderr)
		fclose(pd->trace);
	pthread_cond_destroy(&pd->changed);
	pthread_cond_destroy(&pd->settled);
	pthread_mutex_destroy(&pd->mu);
	free(pd);
}

static int open_trace(struct pd *pd)
{
	const char *path = pd->cfg.trace_path;
	if (!path[0])
		return 0;
	pd->trace = strcmp(path, "-") == 0 ? stderr : fopen(path, "w");
	if (!pd->trace)
		return -errno;
	pd->cfg.stack.trace = on_trace;
	pd->cfg.stack.trace_ctx = pd;
	return 0;
}

/* Build the stack of one instance. Returns 0 or -errno. */
static int pd_start(struct pd *pd)
{
	int r = open_trace(pd);
	if (r)
		return r;
	pd->cfg.stack.cc = pd->cfg.cc;
	pd->cfg.stack.on_event = on_event;
	pd->cfg.stack.event_ctx = pd;
	if ((r = utcp_stack_new(&pd->cfg.stack, &pd->stack)) != 0)
		return r;
	struct utcp_iface_config ic = {
		.name = "pd0",
		.addr = pd->cfg.local_ip,
		.prefix_len = pd->cfg.prefix_len,
		.mtu = pd->cfg.mtu,
		.ops = &pd_link_ops,
		.link_ctx = pd,
	};
	if ((pd->iface = utcp_iface_add(pd->stack, &ic)) < 0)
		return pd->iface;
	pd->now = PD_EPOCH_US;
	utcp_stack_poll(pd->stack, pd->now);
	return 0;
}

static struct pd *pd_new(const char *flags)
{
	char err[256];
	struct pd *pd = calloc(1, sizeof(*pd));
	if (!pd) {
		fprintf(stderr, "libutcp_packetdrill: out of memory\n");
		return NULL;
	}
	pthread_mutex_init(&pd->mu, NULL);
	pthread_cond_init(&pd->changed, NULL);
	pthread_cond_init(&pd->settled, NULL);
	pd->main_thread = pthread_self();
	if (pd_flags_parse(flags, &pd->cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "libutcp_packetdrill: --so_flags: %s\n", err);
		pd_free(pd);
		return NULL;
	}
	int r = pd_start(pd);
	if (r) {
		fprintf(stderr, "libutcp_packetdrill: cannot start the stack: %s\n",
			strerror(-r));
		pd_free(pd);
		return NULL;
	}
	return pd;
}

/* Check --so_flags without starting anything (for tests and scripts).
 * Returns 0, or -EINVAL with the reason in err. */
__attribute__((visibility("default"))) int utcp_packetdrill_check_flags(const char *flags,
									char *err,
									size_t errlen);
int utcp_packetdrill_check_flags(const char *flags, char *err, size_t errlen)
{
	struct pd_config cfg;
	return pd_flags_parse(flags, &cfg, err, errlen);
}

/* packetdrill's entry point. The table has no way to report failure, and
 * packetdrill would call through it regardless: bad flags end the process
 * with a message, as packetdrill itself does with a bad option. */
__attribute__((visibility("default"))) void
packetdrill_interface_init(const char *flags, struct packetdrill_interface *ifc);
void packetdrill_interface_init(const char *flags, struct packetdrill_interface *ifc)
{
	memset(ifc, 0, sizeof(*ifc));
	struct pd *pd = pd_new(flags);
	if (!pd)
		exit(EXIT_FAILURE);
	ifc->userdata = pd;
	ifc->free = pd_free;
	ifc->netdev_send = pd_netdev_send;
	ifc->netdev_receive = pd_netdev_receive;
	ifc->usleep = pd_usleep;
	ifc->gettimeofday = pd_gettimeofday;
	pd_sock_fill(ifc);
	pd_opt_fill(ifc);
	pd_poll_fill(ifc);
}
