/*
 * Lesson L3, why congestion control: N senders share one bottleneck
 *
 *     S1 ..  SN  --(fast links)-->  router  --(10 Mbit/s, 100-packet queue)-->  D
 *
 * Each sender always has data and may have W segments in flight (D's
 * window). Offered load is what the senders would push if the network
 * had no queue: N * W segments per base round trip. Delivered throughput
 * is what D's applications receive, once, in order (goodput). Twice for
 * every N: without congestion control (a fixed window, the "fixed"
 * algorithm, and an aggressive retransmission timer that neither backs
 * off nor grows past twice the base round trip), and with it (utcp's
 * Reno and the RFC 6298 timer). The lesson's figure: ideal, with, without.
 */
#include "lab.h"

#include <stdlib.h>
#include <string.h>

#define CL_RATE 10000000u /* bottleneck, bits/s */
#define CL_QUEUE 100      /* bottleneck queue, packets */
#define CL_MSS 1460
#define CL_W 4            /* segments each sender may have in flight */
#define CL_PORT 5001
#define CL_WARMUP UTCP_SEC(1)
#define CL_MEASURE UTCP_SEC(3)
#define CL_MAX 32

struct cl_point {
	uint32_t senders;
	double offered; /* times the bottleneck's capacity */
	double goodput[2]; /* [0] without, [1] with congestion control */
	double rtx_share[2]; /* retransmitted segments / segments sent */
};

struct cl_net {
	struct utcp_sim *w;
	int recv, router, snd[CL_MAX], bottleneck;
	int lfd, sfd[CL_MAX], rfd[CL_MAX];
	uint32_t n, n_acc;
	uint64_t got;
};

/* Stack configuration: classic TCP; without congestion control, the
 * "fixed" window and a retransmission timer kept short. */
static void cl_cfg(struct utcp_stack_config *c, bool cc, utcp_time_us rtt)
{
	utcp_stack_config_default(c);
	c->sack = false;
	c->timestamps = false;
	c->retries_r2 = 1000000; /* never give up: the lesson is the waste */
	c->delack = 0;
	if (!cc) {
		c->cc = "fixed";
		c->initial_window = CL_W;
		c->rto_min = rtt / 2;
		c->rto_initial = c->rto_max = 2 * rtt;
	}
}

static int cl_build(struct cl_net *net, uint32_t n, bool cc, const struct lab_opts *o,
		    const char *pcap)
{
	utcp_time_us rtt = lab_dur(o->rtt, UTCP_MS(20));
	memset(net, 0, sizeof(*net));
	net->n = n;
	if (!(net->w = utcp_sim_new(o->seed)))
		return -ENOMEM;
	struct utcp_stack_config c;
	cl_cfg(&c, cc, rtt);
	if ((net->recv = utcp_sim_host_add(net->w, "D", utcp_ipv4(10, 0, 2, 1), 8, 0, &c)) < 0)
		return net->recv;
	if ((net->router = utcp_sim_router_add(net->w, "router")) < 0)
		return net->router;
	/* a quarter of the round trip on each of the four hops of a round trip */
	struct utcp_sim_channel_config fast = {.delay = rtt / 4, .loss = o->loss};
	struct utcp_sim_channel_config neck = {.delay = rtt / 4, .rate_bps = CL_RATE,
					       .queue_pkts = CL_QUEUE, .loss = o->loss};
	int back, err = 0;
	if ((err = utcp_sim_connect(net->w, net->router, net->recv, &neck, &fast, &net->bottleneck, &back)) ||
	    (err = utcp_sim_route_add(net->w, net->router, utcp_ipv4(10, 0, 2, 1), 32, net->bottleneck)))
		return err;
	for (uint32_t i = 0; i < n; i++) {
		int to_s;
		char name[16];
		snprintf(name, sizeof(name), "S%u", i + 1);
		uint32_t addr = utcp_ipv4(10, 0, 1, (uint8_t)(i + 1));
		if ((net->snd[i] = utcp_sim_host_add(net->w, name, addr, 8, 0, &c)) < 0)
			return net->snd[i];
		if ((err = utcp_sim_connect(net->w, net->snd[i], net->router, &fast, &fast, NULL, &to_s)) ||
		    (err = utcp_sim_route_add(net->w, net->router, addr, 32, to_s)))
			return err;
	}
	return pcap ? utcp_sim_capture(net->w, net->bottleneck, pcap, true) : 0;
}

/* D listens (its window: W segments); every sender connects. */
static int cl_open(struct cl_net *net)
{
	struct utcp_stack *d = utcp_sim_stack(net->w, net->recv);
	int err = 0;
	net->lfd = utcp_socket(d);
	int win = CL_W * CL_MSS, mss = CL_MSS;
	if (net->lfd < 0 ||
	    (err = utcp_setsockopt(d, net->lfd, UTCP_SOL_SOCKET, UTCP_SO_RCVBUF, &win, sizeof(win))))
		return net->lfd < 0 ? net->lfd : err;
	struct utcp_sockaddr any = {0, CL_PORT};
	if ((err = utcp_bind(d, net->lfd, &any)) || (err = utcp_listen(d, net->lfd, CL_MAX)))
		return err;
	for (uint32_t i = 0; i < net->n; i++) {
		struct utcp_stack *s = utcp_sim_stack(net->w, net->snd[i]);
		int fd = utcp_socket(s), big = 1 << 20;
		net->sfd[i] = fd;
		if (fd < 0)
			return fd;
		utcp_setsockopt(s, fd, UTCP_SOL_SOCKET, UTCP_SO_SNDBUF, &big, sizeof(big));
		utcp_setsockopt(s, fd, UTCP_SOL_TCP, UTCP_TCP_MAXSEG, &mss, sizeof(mss));
		struct utcp_sockaddr to = {utcp_ipv4(10, 0, 2, 1), CL_PORT};
		if ((err = utcp_connect(s, fd, &to)) != -EINPROGRESS)
			return err;
	}
	return 0;
}

/* One millisecond of the applications: senders top up their buffers,
 * D accepts and reads everything (counting it after the warm-up). */
static void cl_apps(struct cl_net *net, bool count)
{
	static uint8_t buf[65536];
	struct utcp_stack *d = utcp_sim_stack(net->w, net->recv);
	for (uint32_t i = 0; i < net->n; i++)
		while (utcp_send(utcp_sim_stack(net->w, net->snd[i]), net->sfd[i], buf, sizeof(buf), 0) > 0)
			;
	int fd;
	while (net->n_acc < CL_MAX && (fd = utcp_accept(d, net->lfd, NULL)) >= 0)
		net->rfd[net->n_acc++] = fd;
	for (uint32_t i = 0; i < net->n_acc; i++) {
		ssize_t r;
		while ((r = utcp_recv(d, net->rfd[i], buf, sizeof(buf), 0)) > 0)
			if (count)
				net->got += (uint64_t)r;
	}
}

/* Goodput (times the capacity) of n senders, and the share of segments
 * that were retransmissions. */
static int cl_point(uint32_t n, bool cc, const struct lab_opts *o, const char *pcap,
		    double *goodput, double *rtx)
{
	struct cl_net net;
	int err = cl_build(&net, n, cc, o, pcap);
	if (!err)
		err = cl_open(&net);
	if (!err) {
		utcp_time_us end = CL_WARMUP + CL_MEASURE;
		for (utcp_time_us t = 0; t < end; t += UTCP_MS(1)) {
			utcp_sim_run_until(net.w, t);
			cl_apps(&net, t >= CL_WARMUP);
		}
		*goodput = (double)net.got * 8 / ((double)CL_MEASURE / 1e6) / CL_RATE;
		uint64_t sent = 0, again = 0;
		for (uint32_t i = 0; i < n; i++) {
			struct utcp_stats st;
			utcp_stack_stats(utcp_sim_stack(net.w, net.snd[i]), &st);
			sent += st.tcp_out;
			again += st.tcp_retransmit;
		}
		*rtx = sent ? (double)again / (double)sent : 0;
	}
	utcp_sim_free(net.w);
	return err;
}

static void cl_report(struct lab_doc *d, const struct cl_point *p, size_t n, bool have_fixed,
		      const struct lab_opts *o)
{
	struct lab_plot *pl = lab_plot_new(TR(o, "Offered load and delivered throughput (the lesson's figure)",
					      "输入负荷与吞吐量（课文中的图）"),
					   TR(o, "offered load (times the bottleneck's capacity)", "输入负荷（瓶颈容量的倍数）"),
					   TR(o, "throughput delivered (times capacity)", "吞吐量（容量的倍数）"));
	struct lab_series *ideal = lab_plot_series(pl, TR(o, "ideal", "理想的拥塞控制"), LAB_DASHED, 3);
	struct lab_series *with = lab_plot_series(pl, TR(o, "with congestion control (Reno)", "有拥塞控制（Reno）"), LAB_POINTS, 2);
	struct lab_series *without = have_fixed ? lab_plot_series(pl, TR(o, "without (fixed window, eager timer)", "无拥塞控制（固定窗口，激进重传）"), LAB_POINTS, 1) : NULL;
	double xmax = n ? p[n - 1].offered * 1.05 : 1;
	lab_series_add(ideal, 0, 0);
	lab_series_add(ideal, 1, 1);
	lab_series_add(ideal, xmax, 1);
	pl->xmax = xmax;
	pl->ymax = 1.2;
	struct lab_table *t = lab_doc_table(d, 5, 0x1f);
	lab_table_row(t, TR(o, "senders", "发送方"), TR(o, "offered load", "输入负荷"),
		      TR(o, "without: throughput", "无控制：吞吐量"), TR(o, "resent", "重传比例"),
		      TR(o, "with: throughput", "有控制：吞吐量"));
	for (size_t i = 0; i < n; i++) {
		char c[5][24];
		snprintf(c[0], 24, "%u", p[i].senders);
		snprintf(c[1], 24, "%.2f", p[i].offered);
		snprintf(c[2], 24, have_fixed ? "%.2f" : "-", p[i].goodput[0]);
		snprintf(c[3], 24, have_fixed ? "%.0f%%" : "-", 100 * p[i].rtx_share[0]);
		snprintf(c[4], 24, "%.2f", p[i].goodput[1]);
		lab_table_row(t, c[0], c[1], c[2], c[3], c[4]);
		lab_series_add(with, p[i].offered, p[i].goodput[1]);
		if (without)
			lab_series_add(without, p[i].offered, p[i].goodput[0]);
	}
	lab_doc_plot(d, "collapse", pl);
}

static void cl_narrate(struct lab_doc *d, const struct cl_point *p, size_t n, bool have_fixed,
		       const struct lab_opts *o)
{
	if (n == 0)
		return;
	size_t best = 0;
	for (size_t i = 0; i < n; i++)
		if (p[i].goodput[0] > p[best].goodput[0])
			best = i;
	lab_doc_steps_begin(d);
	lab_doc_step(d, TR(o, "Below the capacity every sender gets what it asks for, with or without congestion control: %u sender(s) offer %.2f and get %.2f.",
			   "负荷低于容量时，有没有拥塞控制，每个发送方都得到它要求的：%u 个发送方提供 %.2f 的负荷，得到 %.2f。"),
		     p[0].senders, p[0].offered, p[0].goodput[1]);
	if (have_fixed) {
		lab_doc_step(d, TR(o, "Without congestion control throughput peaks at %.2f (%u senders). Beyond, the queue overflows and stays full; the round trip grows past the fixed retransmission timer, so segments are sent again although they were only waiting, and the bottleneck spends its capacity on copies: at %u senders %.0f%% of all segments sent are retransmissions and throughput falls to %.2f.",
				   "没有拥塞控制时吞吐量在 %.2f 达到峰值（%u 个发送方）。再往上，队列溢出并一直是满的；往返时间超过固定的重传定时器，报文段只是在排队却被重传，瓶颈的容量被浪费在副本上：%u 个发送方时 %.0f%% 的报文段是重传，吞吐量降到 %.2f。"),
			     p[best].goodput[0], p[best].senders, p[n - 1].senders,
			     100 * p[n - 1].rtx_share[0], p[n - 1].goodput[0]);
	}
	lab_doc_step(d, TR(o, "With congestion control the senders slow down when segments are lost (cwnd halves, the timer backs off), and the bottleneck keeps delivering new data: %.2f of its capacity at %u senders.",
			   "有拥塞控制时，发送方在丢包时放慢（cwnd 减半，定时器退避），瓶颈持续传送新数据：达到容量的 %.2f（%u 个发送方）。"),
		     p[n - 1].goodput[1], p[n - 1].senders);
}

/* The points: every sender count up to 6, then every second one. */
static size_t cl_counts(uint32_t max, uint32_t *out)
{
	size_t n = 0;
	for (uint32_t k = 1; k <= max; k += k < 6 ? 1 : 2)
		out[n++] = k;
	if (out[n - 1] != max)
		out[n++] = max;
	return n;
}

int lab_collapse(const struct lab_opts *o, struct lab_doc *d)
{
	uint32_t counts[CL_MAX];
	size_t n = cl_counts(lab_u32(o->senders, 16), counts);
	struct cl_point p[CL_MAX];
	utcp_time_us rtt = lab_dur(o->rtt, UTCP_MS(20));
	bool have_fixed = true;
	FILE *jl = NULL;
	char *pcap = NULL;
	if (o->out) {
		char *path = lab_strf("%s/collapse.jsonl", o->out);
		jl = fopen(path, "w");
		free(path);
		pcap = lab_strf("%s/collapse.pcap", o->out);
	}
	lab_doc_intro(d, "%s", TR(o, "Why congestion control at all: when senders offer more than a link can carry and nobody slows down, the network does not just saturate, it collapses: it spends its capacity on copies of segments that were only waiting in a queue.",
				  "为什么需要拥塞控制：当发送方提供的负荷超过链路能承载的，而又没有人减速时，网络不只是饱和，而是崩溃：它把容量花在那些只是在队列中等待的报文段的副本上。"));
	for (size_t i = 0; i < n; i++) {
		p[i] = (struct cl_point){.senders = counts[i]};
		p[i].offered = (double)counts[i] * CL_W * CL_MSS * 8 / ((double)rtt / 1e6) / CL_RATE;
		for (int cc = 0; cc < 2; cc++) {
			if (!cc && !have_fixed)
				continue;
			/* the capture: the bottleneck of the biggest run without control */
			const char *cap = !cc && i + 1 == n ? pcap : NULL;
			int err = cl_point(counts[i], cc, o, cap, &p[i].goodput[cc], &p[i].rtx_share[cc]);
			if (err == -EINVAL && !cc) {
				have_fixed = false; /* "fixed" is not registered */
				continue;
			}
			if (err) {
				free(pcap);
				if (jl)
					fclose(jl);
				return lab_fail("collapse", "a run failed", err);
			}
		}
		if (jl)
			fprintf(jl, "{\"senders\":%u,\"offered\":%.4f,\"goodput_without\":%.4f,"
				    "\"resent_without\":%.4f,\"goodput_with\":%.4f,\"resent_with\":%.4f}\n",
				p[i].senders, p[i].offered, have_fixed ? p[i].goodput[0] : 0,
				have_fixed ? p[i].rtx_share[0] : 0, p[i].goodput[1], p[i].rtx_share[1]);
	}
	char t[24];
	lab_doc_head(d, "%s", TR(o, "Offered load against delivered throughput", "输入负荷与吞吐量"));
	lab_doc_para(d, TR(o, "1 to %u senders share a bottleneck of %u Mbit/s with a %u-packet queue; base round trip %s. Each may have %u segments of %u bytes in flight, so each offers %.2f of the capacity. Throughput counts what the receiver's applications get: new bytes, once.",
			   "1 到 %u 个发送方共享一个 %u Mbit/s、队列 %u 个分组的瓶颈；基本往返时间 %s。每个发送方最多有 %u 个 %u 字节的报文段在途，所以每个提供容量的 %.2f。吞吐量只计接收方应用程序得到的新字节，每个字节只算一次。"),
		     counts[n - 1], CL_RATE / 1000000, CL_QUEUE, lab_human(rtt, t, sizeof(t)), CL_W, CL_MSS,
		     n ? p[0].offered : 0);
	cl_report(d, p, n, have_fixed, o);
	cl_narrate(d, p, n, have_fixed, o);
	if (!have_fixed)
		lab_doc_note(d, "%s", TR(o, "This build has no \"fixed\" congestion-control algorithm (src/tcp/cc_fixed.c must be listed in src/tcp/cc.c), so only the run with congestion control is shown.",
					 "此版本没有 \"fixed\" 拥塞控制算法（src/tcp/cc_fixed.c 需要列入 src/tcp/cc.c），因此只显示有拥塞控制的运行。"));
	if (o->out && have_fixed)
		lab_doc_filenames(d, "collapse", "collapse");
	free(pcap);
	if (jl)
		fclose(jl);
	return 0;
}
