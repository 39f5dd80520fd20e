/*
 * `utcp lab [LESSON] [OPTIONS]`: run one lesson, or the tour of all of
 * them, print each on the terminal and, with --out DIR, write its
 * diagrams (SVG), captures (pcap), traces (JSON lines) and DIR/index.html.
 */
#include "../args.h"
#include "../tools.h"
#include "lab.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const struct lab_lesson lessons[] = {
	{"handshake", "L1 Connection timing: three-way handshake, data, four-way close",
	 "L1 TCP 通信时序：三次握手、数据传输、四次挥手",
	 "  --client-isn N   the client's initial sequence number (default 100)\n"
	 "  --server-isn N   the server's (default 800)\n"
	 "  --mss N          the MSS both ends announce (default 1024)\n",
	 lab_handshake},
	{"window", "L2 Flow control: the sliding window", "L2 TCP 流量控制（滑动窗口）",
	 "  --client-isn N   the sender A's ISN (default 0)\n"
	 "  --server-isn N   the receiver B's ISN (default 8000)\n"
	 "  --mss N          the receiver B's MSS (default 1024; A announces 1460)\n"
	 "  --rwnd SIZE      B's receive buffer, the window it starts with (default 6144)\n"
	 "  --bytes SIZE     what A sends in all (default: the window + 2048)\n",
	 lab_window},
	{"collapse", "L3 Why congestion control: offered load and throughput",
	 "L3 为什么需要拥塞控制：输入负荷与吞吐量",
	 "  --senders N      most senders sharing the bottleneck (default 16)\n",
	 lab_collapse},
	{"congestion", "L3 Congestion control: the cwnd curve, textbook and modern",
	 "L3 TCP 拥塞控制：拥塞窗口曲线，教科书模型与现代实现",
	 "  --ssthresh N     the initial ssthresh, segments (default 16)\n"
	 "  --mss N          segment size (default 1000)\n",
	 lab_congestion},
	{"fast-retransmit", "L3 Fast retransmit: M1 ... M6", "L3 快重传：M1 ... M6",
	 "  --drop N         which data segment is lost (default 3: M3)\n"
	 "  --mss N          segment size (default 1000)\n",
	 lab_fast_retransmit},
	{"states", "L4 The state machine: every transition", "L4 TCP 状态转换：每一条转换",
	 "  --msl DURATION   MSL, TIME_WAIT lasts twice as long (default 30s)\n",
	 lab_states_lesson},
	{"half-close", "L5 Half-close: shutdown versus close", "L5 TCP 半关闭：shutdown 与 close",
	 "", lab_half_close},
	{"time-wait", "L6 TIME_WAIT and 2MSL", "L6 TIME_WAIT 与 2MSL",
	 "  --msl DURATION   MSL (default 30s)\n"
	 "  --ports N        ephemeral ports of the client (default 10)\n",
	 lab_time_wait},
	{"reuse", "L7 Port reuse: SO_REUSEADDR and SO_REUSEPORT",
	 "L7 端口复用：SO_REUSEADDR 与 SO_REUSEPORT", "", lab_reuse},
};
#define N_LESSONS (sizeof(lessons) / sizeof(lessons[0]))

static const char common_help[] =
	"Options (every lesson; each has the lesson's own numbers by default):\n"
	"  --rtt DURATION   round-trip time of the simulated link (default 20ms)\n"
	"  --loss P         random loss each way, e.g. 5% (default 0)\n"
	"  --seed N         seed of the simulated network (default 1)\n"
	"  --msl DURATION   maximum segment lifetime (default 30s)\n"
	"  --out DIR        write SVG diagrams, pcap captures, JSON-lines traces and\n"
	"                   DIR/index.html, one page with every lesson\n"
	"  --lang en|zh     narration in English (default) or Chinese\n"
	"  --no-color       no colours on the terminal\n"
	"  --help           this help (utcp lab LESSON --help: the lesson's options)\n";

static void usage(const struct lab_lesson *l)
{
	if (l) {
		printf("usage: utcp lab %s [OPTIONS]\n\n%s\n\n", l->name, l->title_en);
		if (*l->help)
			printf("Options of this lesson:\n%s\n", l->help);
		fputs(common_help, stdout);
		return;
	}
	fputs("usage: utcp lab [LESSON] [OPTIONS]\n\n"
	      "Run the lessons of the TCP lab on the simulated network and draw them: a\n"
	      "time-sequence diagram, the states, a numbered narration, windows and cwnd.\n"
	      "Without LESSON: the tour of all of them.\n\nLessons:\n",
	      stdout);
	for (size_t i = 0; i < N_LESSONS; i++)
		printf("  %-16s %s\n", lessons[i].name, lessons[i].title_en);
	printf("\nEach lesson's own options (utcp lab LESSON --help says more):\n");
	for (size_t i = 0; i < N_LESSONS; i++) {
		if (!*lessons[i].help)
			continue;
		printf("  %-16s", lessons[i].name);
		/* the option names of its help: "  --name ARG  what\n" lines */
		const char *sep = " ";
		for (const char *p = lessons[i].help; (p = strstr(p, "  --")) != NULL; p += 4) {
			int n = (int)strcspn(p + 2, " \n");
			printf("%s%.*s", sep, n, p + 2);
			sep = ", ";
		}
		putchar('\n');
	}
	putchar('\n');
	fputs(common_help, stdout);
}

static bool needs_value(const char *name)
{
	return strcmp(name, "help") && strcmp(name, "no-color") && strcmp(name, "color");
}

static const struct lab_lesson *find_lesson(const char *name)
{
	for (size_t i = 0; i < N_LESSONS; i++)
		if (!strcmp(lessons[i].name, name))
			return &lessons[i];
	return NULL;
}

static struct lab_u32 u32v(const char *name, const char *v, uint64_t lo, uint64_t hi)
{
	return (struct lab_u32){true, (uint32_t)parse_uint(name, v, lo, hi)};
}

/* One option; false when the name is not one of ours. */
static bool parse_opt(struct lab_opts *o, const char *name, const char *v)
{
	if (!strcmp(name, "client-isn"))
		o->client_isn = u32v(name, v, 0, UINT32_MAX);
	else if (!strcmp(name, "server-isn"))
		o->server_isn = u32v(name, v, 0, UINT32_MAX);
	else if (!strcmp(name, "mss"))
		o->mss = u32v(name, v, 64, 1460);
	else if (!strcmp(name, "rwnd"))
		o->rwnd = (struct lab_u32){true, (uint32_t)parse_size(name, v)};
	else if (!strcmp(name, "bytes"))
		o->bytes = (struct lab_u32){true, (uint32_t)parse_size(name, v)};
	else if (!strcmp(name, "drop"))
		o->drop = u32v(name, v, 1, 6);
	else if (!strcmp(name, "ssthresh"))
		o->ssthresh = u32v(name, v, 2, 64);
	else if (!strcmp(name, "senders"))
		o->senders = u32v(name, v, 1, 32);
	else if (!strcmp(name, "ports"))
		o->ports = u32v(name, v, 1, 200);
	else if (!strcmp(name, "rtt"))
		o->rtt = (struct lab_dur){true, parse_duration(name, v)};
	else if (!strcmp(name, "msl"))
		o->msl = (struct lab_dur){true, parse_duration(name, v)};
	else if (!strcmp(name, "loss"))
		o->loss = parse_fraction(name, v);
	else if (!strcmp(name, "seed"))
		o->seed = parse_uint(name, v, 0, UINT64_MAX);
	else if (!strcmp(name, "out"))
		o->out = v;
	else if (!strcmp(name, "lang")) {
		if (strcmp(v, "en") && strcmp(v, "zh"))
			args_usage_error("bad value '%s' for --lang: en or zh", v);
		o->zh = !strcmp(v, "zh");
	} else if (!strcmp(name, "no-color"))
		o->color = false;
	else if (!strcmp(name, "color"))
		o->color = true;
	else
		return false;
	return true;
}

/* Checks the parsers cannot make alone. */
static void check_opts(const struct lab_opts *o)
{
	if (o->rtt.set && (o->rtt.v < 2 || o->rtt.v > UTCP_SEC(10)))
		args_usage_error("bad value for --rtt: expected 2us to 10s");
	if (o->msl.set && (o->msl.v < UTCP_MS(1) || o->msl.v > UTCP_SEC(600)))
		args_usage_error("bad value for --msl: expected 1ms to 600s");
	if (o->rwnd.set && (o->rwnd.v < 256 || o->rwnd.v > 65535))
		args_usage_error("bad value for --rwnd: expected 256 to 65535 bytes");
	if (o->bytes.set && (o->bytes.v < 1 || o->bytes.v > 1000000))
		args_usage_error("bad value for --bytes: expected 1 to 1000000");
	if (o->loss > 0.5)
		args_usage_error("bad value for --loss: at most 50%% (the lessons must finish)");
}

static const struct lab_lesson *parse(int argc, char **argv, struct lab_opts *o)
{
	*o = (struct lab_opts){.seed = 1, .color = isatty(STDOUT_FILENO) == 1};
	const struct lab_lesson *lesson = NULL;
	bool help = false;
	struct args a;
	const char *name, *v;
	bool pos;
	args_init(&a, argc, argv);
	while ((name = args_next(&a, needs_value, &v, &pos))) {
		if (pos) {
			if (lesson)
				args_usage_error("unexpected argument '%s' (one lesson at a time)", v);
			if (!(lesson = find_lesson(v)))
				args_usage_error("unknown lesson '%s'", v);
		} else if (!strcmp(name, "help")) {
			help = true;
		} else if (!parse_opt(o, name, v)) {
			args_usage_error("unknown option '--%s'", name);
		}
	}
	if (help) {
		usage(lesson);
		exit(0);
	}
	if (getenv("NO_COLOR"))
		o->color = false;
	check_opts(o);
	return lesson;
}

static int make_dir(const char *dir)
{
	char *p = lab_strf("%s", dir);
	int err = 0;
	for (char *s = p + 1; ; s++) { /* mkdir -p */
		bool end = *s == 0;
		if (*s == '/' || end) {
			*s = 0;
			if (mkdir(p, 0777) != 0 && errno != EEXIST)
				err = -errno;
			if (!end)
				*s = '/';
		}
		if (end || err)
			break;
	}
	free(p);
	return err;
}

/* Run one lesson: its report on stdout, its files in DIR. */
static int run_one(const struct lab_lesson *l, const struct lab_opts *o, struct lab_doc **out)
{
	struct lab_doc *d = lab_doc_new(l->name, o->zh ? l->title_zh : l->title_en);
	int st = l->run(o, d);
	lab_term_doc(d, o, stdout);
	fflush(stdout);
	if (o->out && lab_doc_write_svgs(d, o) != 0)
		st = 1;
	*out = d;
	return st;
}

int cmd_lab(int argc, char **argv)
{
	args_prog = "utcp lab";
	struct lab_opts o;
	const struct lab_lesson *only = parse(argc, argv, &o);
	if (o.out) {
		int err = make_dir(o.out);
		if (err) {
			fprintf(stderr, "utcp lab: %s: %s\n", o.out, strerror(-err));
			return 1;
		}
	}
	struct lab_doc *docs[N_LESSONS];
	size_t n = 0;
	int status = 0;
	for (size_t i = 0; i < N_LESSONS; i++) {
		if (only && only != &lessons[i])
			continue;
		if (run_one(&lessons[i], &o, &docs[n++]) != 0)
			status = 1;
	}
	if (o.out) {
		if (lab_html_write(docs, n, &o) != 0)
			status = 1;
		else
			printf("%s %s/index.html\n",
			       TR(&o, "The lab page (every lesson, its diagrams and tables):",
				  "实验页面（每一课及其图表）："),
			       o.out);
	}
	for (size_t i = 0; i < n; i++)
		lab_doc_free(docs[i]);
	return status;
}
