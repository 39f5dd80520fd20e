/*
 * Socket options, fcntl and ioctl: Linux's names and values (the host's
 * headers: packetdrill runs on the same machine) onto utcp's own. An
 * option utcp does not have fails with ENOPROTOOPT, Linux's answer for an
 * option it does not know; TCP_INFO is translated into Linux's struct.
 */
#define _GNU_SOURCE
#include "pd.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <string.h>
#include <sys/ioctl.h>

/* Linux (level, name) -> utcp (level, name). Returns false if unknown. */
static bool map_option(int level, int name, int *ulevel, int *uname)
{
	static const struct {
		int level, name, ulevel, uname;
	} map[] = {
		{SOL_SOCKET, SO_REUSEADDR, UTCP_SOL_SOCKET, UTCP_SO_REUSEADDR},
		{SOL_SOCKET, SO_REUSEPORT, UTCP_SOL_SOCKET, UTCP_SO_REUSEPORT},
		{SOL_SOCKET, SO_LINGER, UTCP_SOL_SOCKET, UTCP_SO_LINGER},
		{SOL_SOCKET, SO_KEEPALIVE, UTCP_SOL_SOCKET, UTCP_SO_KEEPALIVE},
		{SOL_SOCKET, SO_SNDBUF, UTCP_SOL_SOCKET, UTCP_SO_SNDBUF},
		{SOL_SOCKET, SO_RCVBUF, UTCP_SOL_SOCKET, UTCP_SO_RCVBUF},
		{SOL_SOCKET, SO_ERROR, UTCP_SOL_SOCKET, UTCP_SO_ERROR},
		{SOL_SOCKET, SO_ACCEPTCONN, UTCP_SOL_SOCKET, UTCP_SO_ACCEPTCONN},
		{SOL_SOCKET, SO_OOBINLINE, UTCP_SOL_SOCKET, UTCP_SO_OOBINLINE},
		{SOL_SOCKET, SO_TYPE, UTCP_SOL_SOCKET, UTCP_SO_TYPE},
		{IPPROTO_TCP, TCP_NODELAY, UTCP_SOL_TCP, UTCP_TCP_NODELAY},
		{IPPROTO_TCP, TCP_MAXSEG, UTCP_SOL_TCP, UTCP_TCP_MAXSEG},
		{IPPROTO_TCP, TCP_KEEPIDLE, UTCP_SOL_TCP, UTCP_TCP_KEEPIDLE},
		{IPPROTO_TCP, TCP_KEEPINTVL, UTCP_SOL_TCP, UTCP_TCP_KEEPINTVL},
		{IPPROTO_TCP, TCP_KEEPCNT, UTCP_SOL_TCP, UTCP_TCP_KEEPCNT},
		{IPPROTO_TCP, TCP_CONGESTION, UTCP_SOL_TCP, UTCP_TCP_CONGESTION},
		{IPPROTO_TCP, TCP_USER_TIMEOUT, UTCP_SOL_TCP, UTCP_TCP_USER_TIMEOUT},
		{IPPROTO_TCP, TCP_QUICKACK, UTCP_SOL_TCP, UTCP_TCP_QUICKACK},
		{IPPROTO_IP, IP_TOS, UTCP_SOL_UTCP, UTCP_UTCP_TOS},
		{IPPROTO_IP, IP_TTL, UTCP_SOL_UTCP, UTCP_UTCP_TTL},
	};
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (map[i].level == level && map[i].name == name) {
			*ulevel = map[i].ulevel;
			*uname = map[i].uname;
			return true;
		}
	return false;
}

static uint8_t linux_state(enum utcp_tcp_state s)
{
	static const uint8_t map[UTCP_NUM_STATES] = {
		[UTCP_CLOSED] = 7,       [UTCP_LISTEN] = 10,     [UTCP_SYN_SENT] = 2,
		[UTCP_SYN_RCVD] = 3,     [UTCP_ESTABLISHED] = 1, [UTCP_FIN_WAIT_1] = 4,
		[UTCP_FIN_WAIT_2] = 5,   [UTCP_CLOSE_WAIT] = 8,  [UTCP_CLOSING] = 11,
		[UTCP_LAST_ACK] = 9,     [UTCP_TIME_WAIT] = 6,
	};
	return s < UTCP_NUM_STATES ? map[s] : 7;
}

/* Linux's tcp_info from utcp's: Linux counts cwnd, ssthresh and unacked
 * in segments, times in microseconds. */
static void linux_info(const struct utcp_tcp_info *u, struct tcp_info *t)
{
	uint32_t mss = u->snd_mss ? u->snd_mss : 536;
	memset(t, 0, sizeof(*t));
	t->tcpi_state = linux_state(u->state);
	t->tcpi_ca_state = u->in_recovery ? 3 : 0; /* TCP_CA_Recovery : Open */
	t->tcpi_retransmits = (uint8_t)(u->backoff > 255 ? 255 : u->backoff);
	t->tcpi_backoff = t->tcpi_retransmits;
	if (u->snd_wscale || u->rcv_wscale)
		t->tcpi_options |= TCPI_OPT_WSCALE;
	t->tcpi_snd_wscale = u->snd_wscale & 0xf;
	t->tcpi_rcv_wscale = u->rcv_wscale & 0xf;
	t->tcpi_rto = u->rto_us;
	t->tcpi_snd_mss = u->snd_mss;
	t->tcpi_rcv_mss = u->rcv_mss;
	t->tcpi_unacked = (u->unacked + mss - 1) / mss;
	t->tcpi_rtt = u->srtt_us;
	t->tcpi_rttvar = u->rttvar_us;
	t->tcpi_snd_ssthresh = u->ssthresh >= 0x7fffffff ? 0x7fffffff : u->ssthresh / mss;
	t->tcpi_snd_cwnd = u->cwnd / mss;
	t->tcpi_advmss = u->rcv_mss;
	t->tcpi_total_retrans = u->retransmits;
}

static int pd_setsockopt(void *ud, int fd, int level, int name, const void *val,
			 socklen_t len)
{
	struct pd *pd = ud;
	pd_enter(pd);
	int ufd, ul, un;
	long r = pd_sock(pd, fd, &ufd);
	if (r == 0 && !map_option(level, name, &ul, &un))
		r = -ENOPROTOOPT;
	else if (r == 0 && (un == UTCP_SO_ERROR || un == UTCP_SO_ACCEPTCONN ||
			    un == UTCP_SO_TYPE))
		r = -ENOPROTOOPT; /* read-only, as Linux */
	else if (r == 0)
		r = utcp_setsockopt(pd->stack, ufd, ul, un, val, len);
	return (int)pd_leave(pd, r);
}

static long get_tcp_info(struct pd *pd, int ufd, void *val, socklen_t *len)
{
	struct utcp_tcp_info u;
	size_t n = sizeof(u);
	long r = utcp_getsockopt(pd->stack, ufd, UTCP_SOL_TCP, UTCP_TCP_INFO, &u, &n);
	if (r)
		return r;
	struct tcp_info t;
	linux_info(&u, &t);
	/* Linux copies min(len, sizeof) and says how much. */
	size_t k = *len < sizeof(t) ? *len : sizeof(t);
	memcpy(val, &t, k);
	*len = (socklen_t)k;
	return 0;
}

static int pd_getsockopt(void *ud, int fd, int level, int name, void *val, socklen_t *len)
{
	struct pd *pd = ud;
	pd_enter(pd);
	int ufd, ul, un;
	long r = pd_sock(pd, fd, &ufd);
	if (r == 0 && (!val || !len))
		r = -EFAULT;
	else if (r == 0 && level == IPPROTO_TCP && name == TCP_INFO)
		r = get_tcp_info(pd, ufd, val, len);
	else if (r == 0 && !map_option(level, name, &ul, &un))
		r = -ENOPROTOOPT;
	else if (r == 0) {
		size_t n = *len;
		r = utcp_getsockopt(pd->stack, ufd, ul, un, val, &n);
		if (r == 0)
			*len = (socklen_t)n;
	}
	return (int)pd_leave(pd, r);
}

/* fcntl: the status flags (O_NONBLOCK) and the descriptor flags
 * (FD_CLOEXEC). packetdrill passes an int argument to the setters only. */
static int pd_fcntl(void *ud, int fd, int cmd, ...)
{
	struct pd *pd = ud;
	int arg = 0;
	if (cmd == F_SETFL || cmd == F_SETFD) {
		va_list ap;
		va_start(ap, cmd);
		arg = va_arg(ap, int);
		va_end(ap);
	}
	pd_enter(pd);
	struct pd_file *f = pd_fd_get(pd, fd);
	long r = 0;
	if (!f)
		r = -EBADF;
	else if (cmd == F_GETFL)
		r = O_RDWR | (f->nonblock ? O_NONBLOCK : 0);
	else if (cmd == F_SETFL)
		f->nonblock = (arg & O_NONBLOCK) != 0;
	else if (cmd == F_GETFD)
		r = f->cloexec ? FD_CLOEXEC : 0;
	else if (cmd == F_SETFD)
		f->cloexec = (arg & FD_CLOEXEC) != 0;
	else
		r = -EINVAL;
	return (int)pd_leave(pd, r);
}

/* Bytes readable (FIONREAD/SIOCINQ) or not yet acknowledged (SIOCOUTQ). */
static long queue_bytes(struct pd *pd, int ufd, unsigned long req, int *out)
{
	struct utcp_tcp_info u;
	size_t n = sizeof(u);
	long r = utcp_getsockopt(pd->stack, ufd, UTCP_SOL_TCP, UTCP_TCP_INFO, &u, &n);
	if (r)
		return r;
	if (u.state == UTCP_LISTEN)
		return -EINVAL; /* Linux */
	*out = (int)(req == FIONREAD ? u.recv_queue : u.send_queue);
	return 0;
}

static int pd_ioctl(void *ud, int fd, unsigned long req, ...)
{
	struct pd *pd = ud;
	va_list ap;
	va_start(ap, req);
	int *argp = va_arg(ap, int *);
	va_end(ap);
	pd_enter(pd);
	int ufd;
	long r = pd_sock(pd, fd, &ufd);
	if (r == 0 && !argp)
		r = -EFAULT;
	else if (r == 0 && (req == FIONREAD || req == TIOCOUTQ))
		r = queue_bytes(pd, ufd, req, argp);
	else if (r == 0 && req == SIOCATMARK) {
		r = utcp_sockatmark(pd->stack, ufd);
		if (r >= 0) {
			*argp = (int)r;
			r = 0;
		}
	} else if (r == 0 && req == FIONBIO)
		pd_fd_get(pd, fd)->nonblock = *argp != 0;
	else if (r == 0)
		r = -ENOTTY; /* Linux's answer for a request it does not know */
	return (int)pd_leave(pd, r);
}

void pd_opt_fill(struct packetdrill_interface *ifc)
{
	ifc->setsockopt = pd_setsockopt;
	ifc->getsockopt = pd_getsockopt;
	ifc->fcntl = pd_fcntl;
	ifc->ioctl = pd_ioctl;
}
