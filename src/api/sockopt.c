/*
 * setsockopt / getsockopt. Values are ints unless the header says
 * otherwise; a value of the wrong size is -EINVAL, an unknown option
 * -ENOPROTOOPT (Linux's answers).
 */
#include "api/api_internal.h"

#include "tcp/cc.h"

#include <errno.h>
#include <string.h>

static int get_int(const void *val, size_t len, int *out)
{
	if (!val || len < sizeof(int))
		return -EINVAL;
	memcpy(out, val, sizeof(int));
	return 0;
}

static int put_bytes(void *val, size_t *len, const void *src, size_t n)
{
	if (!val || !len || *len < n)
		return -EINVAL;
	memcpy(val, src, n);
	*len = n;
	return 0;
}

static int put_int(void *val, size_t *len, int v)
{
	return put_bytes(val, len, &v, sizeof(v));
}

static int set_buf_size(struct usock *u, uint32_t *field, int v)
{
	if (v < 256)
		v = 256; /* as Linux, a floor rather than an error */
	if (v > (1 << 30))
		v = 1 << 30;
	*field = (uint32_t)v;
	tcp_params_changed(&u->tcp, u->stack->now);
	return 0;
}

static int set_socket_level(struct usock *u, int name, const void *val, size_t len)
{
	struct tcp_params *p = &u->tcp.p;
	int v, r;
	if (name == UTCP_SO_LINGER) {
		if (!val || len < sizeof(struct utcp_linger))
			return -EINVAL;
		memcpy(&u->linger, val, sizeof(u->linger));
		return 0;
	}
	if ((r = get_int(val, len, &v)) != 0)
		return r;
	switch (name) {
	case UTCP_SO_REUSEADDR:
		u->reuseaddr = v != 0;
		return 0;
	case UTCP_SO_REUSEPORT:
		u->reuseport = v != 0;
		return 0;
	case UTCP_SO_KEEPALIVE:
		p->keepalive = v != 0;
		tcp_keepalive_changed(&u->tcp, u->stack->now);
		return 0;
	case UTCP_SO_SNDBUF:
		return set_buf_size(u, &p->sndbuf, v);
	case UTCP_SO_RCVBUF:
		return set_buf_size(u, &p->rcvbuf, v);
	default:
		return -ENOPROTOOPT;
	}
}

static int set_seconds(utcp_time_us *field, int v, int max)
{
	if (v < 1 || v > max)
		return -EINVAL;
	*field = UTCP_SEC(v);
	return 0;
}

static int set_tcp_level(struct usock *u, int name, const void *val, size_t len)
{
	struct tcp_params *p = &u->tcp.p;
	int v, r;
	if (name == UTCP_TCP_CONGESTION) {
		char buf[16] = {0};
		if (!val || len == 0)
			return -EINVAL;
		memcpy(buf, val, len < 15 ? len : 15);
		const struct tcp_cc_ops *ops = tcp_cc_find(buf);
		if (!ops)
			return -ENOENT; /* Linux's answer for an unknown algorithm */
		p->cc = ops;
		if (!tcp_state_synchronized(u->tcp.state))
			u->tcp.cc_ops = ops;
		else
			tcp_params_changed(&u->tcp, u->stack->now);
		return 0;
	}
	if ((r = get_int(val, len, &v)) != 0)
		return r;
	switch (name) {
	case UTCP_TCP_NODELAY:
		p->nodelay = v != 0;
		return 0;
	case UTCP_TCP_MAXSEG:
		if (v < 88 || v > 65495)
			return -EINVAL;
		p->user_mss = (uint16_t)v;
		return 0;
	case UTCP_TCP_KEEPIDLE:
		if ((r = set_seconds(&p->keep_idle, v, 32767)) != 0)
			return r;
		/* The new idle time applies to a running timer too (Linux). */
		tcp_keepalive_changed(&u->tcp, u->stack->now);
		return 0;
	case UTCP_TCP_KEEPINTVL:
		return set_seconds(&p->keep_intvl, v, 32767);
	case UTCP_TCP_KEEPCNT:
		if (v < 1 || v > 127)
			return -EINVAL;
		p->keep_cnt = (uint32_t)v;
		return 0;
	case UTCP_TCP_USER_TIMEOUT:
		if (v < 0)
			return -EINVAL;
		p->user_timeout = UTCP_MS(v);
		return 0;
	case UTCP_TCP_QUICKACK:
		p->delack = v ? 0 : u->stack->cfg.delack;
		return 0;
	default:
		return -ENOPROTOOPT;
	}
}

static int set_utcp_level(struct usock *u, int name, const void *val, size_t len)
{
	struct tcp_params *p = &u->tcp.p;
	uint32_t v32;
	int v;
	if (name == UTCP_UTCP_SOURCE_ROUTE) {
		struct utcp_source_route r;
		if (!val || len != sizeof(r))
			return -EINVAL;
		memcpy(&r, val, sizeof(r));
		if (r.n > UTCP_SOURCE_ROUTE_MAX)
			return -EINVAL;
		if (u->kind != USOCK_NEW)
			return -EISCONN; /* MUST-51: on the active open */
		u->app_route = r;
		return 0;
	}
	switch (name) {
	case UTCP_UTCP_ISN:
	case UTCP_UTCP_SSTHRESH:
	case UTCP_UTCP_INITIAL_WINDOW:
		if (!val || len != sizeof(uint32_t))
			return -EINVAL;
		memcpy(&v32, val, sizeof(v32));
		if (name == UTCP_UTCP_ISN) {
			u->tcp.pinned_isn = v32;
			u->tcp.has_pinned_isn = true;
		} else if (name == UTCP_UTCP_SSTHRESH) {
			p->initial_ssthresh = v32;
		} else {
			if (v32 == 0 || v32 > 1000)
				return -EINVAL;
			p->initial_window = v32;
		}
		return 0;
	case UTCP_UTCP_TTL:
	case UTCP_UTCP_TOS:
		if (get_int(val, len, &v) != 0 || v < 0 || v > 255 ||
		    (name == UTCP_UTCP_TTL && v == 0))
			return -EINVAL;
		if (name == UTCP_UTCP_TTL)
			p->ttl = (uint8_t)v;
		else
			p->tos = (uint8_t)v;
		return 0;
	case UTCP_UTCP_MSL:
		if (!val || len != sizeof(uint64_t))
			return -EINVAL;
		memcpy(&p->msl, val, sizeof(p->msl));
		return 0;
	case UTCP_UTCP_ECN:
		if (get_int(val, len, &v) != 0 || v < UTCP_ECN_OFF || v > UTCP_ECN_ACCEPT)
			return -EINVAL;
		p->ecn = (uint8_t)v; /* for the next handshake, like SACK */
		return 0;
	case UTCP_UTCP_SOFT_ERRORS:
	case UTCP_UTCP_SACK:
	case UTCP_UTCP_TIMESTAMPS:
		if (get_int(val, len, &v) != 0)
			return -EINVAL;
		if (name == UTCP_UTCP_SOFT_ERRORS)
			p->report_soft_errors = v != 0;
		else if (name == UTCP_UTCP_SACK)
			p->sack = v != 0;
		else
			p->timestamps = v != 0;
		return 0;
	default:
		return -ENOPROTOOPT;
	}
}

int utcp_setsockopt(struct utcp_stack *s, int fd, int level, int name, const void *val,
		    size_t len)
{
	struct usock *u = fd_get(s, fd);
	if (!u)
		return -EBADF;
	stack_enter(s);
	int r;
	switch (level) {
	case UTCP_SOL_SOCKET:
		r = set_socket_level(u, name, val, len);
		break;
	case UTCP_SOL_TCP:
		r = set_tcp_level(u, name, val, len);
		break;
	case UTCP_SOL_UTCP:
		r = set_utcp_level(u, name, val, len);
		break;
	default:
		r = -ENOPROTOOPT;
		break;
	}
	if (r == 0 && u->kind == USOCK_CONN)
		conn_sync(u);
	stack_leave(s);
	return r;
}

static int get_socket_level(struct usock *u, int name, void *val, size_t *len)
{
	const struct tcp_params *p = &u->tcp.p;
	switch (name) {
	case UTCP_SO_REUSEADDR:
		return put_int(val, len, u->reuseaddr);
	case UTCP_SO_REUSEPORT:
		return put_int(val, len, u->reuseport);
	case UTCP_SO_LINGER:
		return put_bytes(val, len, &u->linger, sizeof(u->linger));
	case UTCP_SO_KEEPALIVE:
		return put_int(val, len, p->keepalive);
	case UTCP_SO_SNDBUF:
		return put_int(val, len, (int)p->sndbuf);
	case UTCP_SO_RCVBUF:
		return put_int(val, len, (int)p->rcvbuf);
	case UTCP_SO_ERROR: {
		int e = u->tcp.err;
		u->tcp.err = 0;
		return put_int(val, len, e);
	}
	case UTCP_SO_ACCEPTCONN:
		return put_int(val, len, u->kind == USOCK_LISTENER);
	case UTCP_SO_OOBINLINE:
		return put_int(val, len, 1);
	case UTCP_SO_TYPE:
		return put_int(val, len, 1);
	default:
		return -ENOPROTOOPT;
	}
}

static int get_tcp_level(struct usock *u, int name, void *val, size_t *len)
{
	const struct tcp_params *p = &u->tcp.p;
	switch (name) {
	case UTCP_TCP_NODELAY:
		return put_int(val, len, p->nodelay);
	case UTCP_TCP_MAXSEG:
		return put_int(val, len, u->tcp.snd_mss && tcp_state_synchronized(u->tcp.state)
						 ? u->tcp.snd_mss
						 : (p->user_mss ? p->user_mss : 536));
	case UTCP_TCP_KEEPIDLE:
		return put_int(val, len, (int)(p->keep_idle / 1000000));
	case UTCP_TCP_KEEPINTVL:
		return put_int(val, len, (int)(p->keep_intvl / 1000000));
	case UTCP_TCP_KEEPCNT:
		return put_int(val, len, (int)p->keep_cnt);
	case UTCP_TCP_USER_TIMEOUT:
		return put_int(val, len, (int)(p->user_timeout / 1000));
	case UTCP_TCP_QUICKACK:
		return put_int(val, len, p->delack == 0);
	case UTCP_TCP_CONGESTION: {
		char buf[16] = {0};
		strncpy(buf, p->cc->name, sizeof(buf) - 1);
		return put_bytes(val, len, buf, sizeof(buf));
	}
	case UTCP_TCP_INFO: {
		struct utcp_tcp_info info;
		tcp_get_info(&u->tcp, &info);
		return put_bytes(val, len, &info, sizeof(info));
	}
	default:
		return -ENOPROTOOPT;
	}
}

static int get_utcp_level(struct usock *u, int name, void *val, size_t *len)
{
	const struct tcp_params *p = &u->tcp.p;
	if (name == UTCP_UTCP_SOURCE_ROUTE)
		return put_bytes(val, len, &u->app_route, sizeof(u->app_route));
	switch (name) {
	case UTCP_UTCP_ISN:
		return put_bytes(val, len, &u->tcp.iss, sizeof(uint32_t));
	case UTCP_UTCP_SSTHRESH:
		return put_bytes(val, len, &u->tcp.cc.ssthresh, sizeof(uint32_t));
	case UTCP_UTCP_INITIAL_WINDOW:
		return put_bytes(val, len, &p->initial_window, sizeof(uint32_t));
	case UTCP_UTCP_TTL:
		return put_int(val, len, p->ttl);
	case UTCP_UTCP_TOS:
		return put_int(val, len, p->tos);
	case UTCP_UTCP_MSL:
		return put_bytes(val, len, &p->msl, sizeof(p->msl));
	case UTCP_UTCP_SOFT_ERROR: {
		int e = u->tcp.soft_err;
		u->tcp.soft_err = 0;
		return put_int(val, len, e);
	}
	case UTCP_UTCP_SOFT_ERRORS:
		return put_int(val, len, p->report_soft_errors);
	case UTCP_UTCP_SACK:
		return put_int(val, len, p->sack);
	case UTCP_UTCP_TIMESTAMPS:
		return put_int(val, len, p->timestamps);
	case UTCP_UTCP_ECN:
		return put_int(val, len, p->ecn);
	default:
		return -ENOPROTOOPT;
	}
}

int utcp_getsockopt(struct utcp_stack *s, int fd, int level, int name, void *val,
		    size_t *len)
{
	struct usock *u = fd_get(s, fd);
	if (!u)
		return -EBADF;
	switch (level) {
	case UTCP_SOL_SOCKET:
		return get_socket_level(u, name, val, len);
	case UTCP_SOL_TCP:
		return get_tcp_level(u, name, val, len);
	case UTCP_SOL_UTCP:
		return get_utcp_level(u, name, val, len);
	default:
		return -ENOPROTOOPT;
	}
}
