/*
 * `utcp lab`: every lesson of LESSONS.md run on the stack, drawn and
 * explained. The pieces:
 *
 *   lab_cmd.c      the command: options, the lesson table, the tour
 *   lab_world.c    a simulated world of two hosts whose trace events are
 *                  recorded (and written as JSON lines and pcap)
 *   lab_seq.c      a time-sequence diagram built from the recorded events:
 *                  one arrow per segment, lost ones marked, state changes
 *   lab_doc.c      a lesson's report: paragraphs, numbered steps, tables,
 *                  diagrams, plots, as data both renderers read
 *   lab_term.c     the report on a terminal
 *   lab_svg.c      diagrams and plots as SVG
 *   lab_fsm.c      the RFC 9293 state diagram, transitions taken highlighted
 *   lab_html.c     DIR/index.html: every lesson on one self-contained page
 *   lab_<lesson>.c one file per lesson: the run, then the report from its trace
 *
 * Nothing a lesson prints is canned: the numbers, states and diagrams come
 * from the trace of the run the lesson just made, so changing a parameter
 * (--client-isn, --mss, --loss, ...) changes what is shown.
 */
#ifndef UTCP_TOOLS_LAB_H
#define UTCP_TOOLS_LAB_H

#include "utcp/utcp.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* --- options ------------------------------------------------------------- */

/* A value given on the command line, or not (each lesson has its own
 * defaults: the lesson's numbers). */
struct lab_u32 {
	bool set;
	uint32_t v;
};
struct lab_dur {
	bool set;
	utcp_time_us v;
};

struct lab_opts {
	bool zh;          /* --lang zh: narration in Chinese */
	bool color;       /* ANSI colours on the terminal */
	const char *out;  /* --out DIR: files and index.html; NULL: none */
	struct lab_u32 client_isn, server_isn, mss, rwnd, drop, ssthresh;
	struct lab_u32 senders, ports, bytes;
	struct lab_dur rtt, msl;
	double loss;
	uint64_t seed;
};

static inline uint32_t lab_u32(struct lab_u32 v, uint32_t dflt)
{
	return v.set ? v.v : dflt;
}

static inline utcp_time_us lab_dur(struct lab_dur v, utcp_time_us dflt)
{
	return v.set ? v.v : dflt;
}

/* English or Chinese text; both literal, so printf formats stay checked. */
#define TR(o, en_, zh_) ((o)->zh ? (zh_) : (en_))

/* --- growing strings ------------------------------------------------------ */

struct lab_buf {
	char *p;
	size_t len, cap;
};
void lab_buf_printf(struct lab_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void lab_buf_puts(struct lab_buf *b, const char *s);
/* Append s with &, <, >, " escaped for XML/HTML. */
void lab_buf_xml(struct lab_buf *b, const char *s);
void lab_buf_free(struct lab_buf *b);
/* Write `head` (NULL: nothing) then b's text to the file at path. On
 * failure say so on stderr; returns 0 or -errno. */
int lab_write_file(const char *path, const char *head, const struct lab_buf *b);
/* A malloc'ed formatted string (exits on out of memory). */
char *lab_strf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void *lab_xalloc(size_t n);                 /* zeroed; exits on failure */
void *lab_xgrow(void *p, size_t *cap, size_t need, size_t size);

/* "12.5" for 12500 us: milliseconds, decimals only when needed. */
const char *lab_ms(utcp_time_us t, char *buf, size_t len);
/* A time for a diagram's time column: milliseconds below 10 s ("12.5"),
 * seconds above ("60.12 s"), so that it stays narrow. */
const char *lab_tcol(utcp_time_us t, char *buf, size_t len);
/* "60 s", "200 ms", "1.5 s": a duration for prose. */
const char *lab_human(utcp_time_us t, char *buf, size_t len);
/* A tick step of 1, 2 or 5 times a power of ten giving about n ticks. */
double lab_nice_step(double range, int n);
/* "ECONNREFUSED" for -ECONNREFUSED (or a positive errno). */
const char *lab_errname(int err);

/* --- the world and its recorder ------------------------------------------ */

#define LAB_A 0 /* client, 10.0.0.1 */
#define LAB_B 1 /* server, 10.0.0.2 */
#define LAB_ADDR_A 0x0a000001u
#define LAB_ADDR_B 0x0a000002u

struct lab_ev {
	int host;
	struct utcp_trace_event ev; /* drop reasons are static strings */
};

struct lab_world;
struct lab_tctx {
	struct lab_world *lw;
	int host;
};

/* How a lesson wants its two hosts and the link between them. */
struct lab_world_cfg {
	const char *names[2]; /* "client", "server" unless the lesson says */
	struct utcp_stack_config cfg[2];
	utcp_time_us delay; /* one way */
	double loss;        /* each way */
	uint64_t seed;
};

struct lab_world {
	struct utcp_sim *w;
	int node[2];
	int ch[2]; /* ch[0]: A -> B, ch[1]: B -> A */
	struct utcp_stack *s[2];
	const char *name[2];
	utcp_time_us delay;
	struct lab_ev *ev;
	size_t n_ev, cap_ev;
	struct lab_tctx tctx[2];
	FILE *jsonl;
	char *stem; /* files DIR/stem.pcap, DIR/stem.jsonl when --out */
	bool files;
};

/* Defaults for a lab world: the stack defaults, the lab's seed, one-way
 * delay rtt/2 (--rtt, default 20 ms), --loss, --msl. */
void lab_world_cfg_init(struct lab_world_cfg *c, const struct lab_opts *o);
/* Build the world; with --out, capture the client's link to DIR/stem.pcap
 * and write every trace event to DIR/stem.jsonl. Returns 0 or -errno. */
int lab_world_open(struct lab_world *lw, const struct lab_world_cfg *c,
		   const struct lab_opts *o, const char *stem);
void lab_world_close(struct lab_world *lw);

utcp_time_us lab_now(const struct lab_world *lw);
void lab_run_until(struct lab_world *lw, utcp_time_us t);
void lab_run_for(struct lab_world *lw, utcp_time_us d);
/* Run until fd on host h shows any of `events` (UTCP_POLL*), for at most
 * `limit` more. Returns true when it did. */
bool lab_run_until_ready(struct lab_world *lw, int h, int fd, unsigned events,
			 utcp_time_us limit);
/* Set an int option; returns 0 or -errno. */
int lab_setint(struct lab_world *lw, int h, int fd, int level, int name, int v);
/* A socket on host h with this MSS (0: default), buffer sizes (0:
 * default) and pinned ISN (when isn_set). Returns the fd or -errno. */
int lab_socket(struct lab_world *lw, int h, uint32_t mss, uint32_t rcvbuf, uint32_t sndbuf,
	       bool isn_set, uint32_t isn);
/* Listen on host h, port `port`; returns 0 or -errno. */
int lab_listen(struct lab_world *lw, int h, int fd, uint16_t port);
/* Connect fd on host h to the other host's port (addr 0) or to addr. */
int lab_connect(struct lab_world *lw, int h, int fd, uint32_t addr, uint16_t port);
/* The lessons' usual connection: B listens on port 80 with ISN 800, A
 * connects with ISN 100, both with 4 KiB buffers (so no window scaling).
 * With `accept`, run until B accepts it, then 50 ms more (the handshake's
 * last ACK is in); without, *b is -1 and A's SYN is on its way. Sets
 * *lfd, *a, *b as far as it gets. Returns 0 or -errno. */
int lab_pair(struct lab_world *lw, bool accept, int *lfd, int *a, int *b);
/* A closes fd a; run until B reads the end of the stream on fd b.
 * Returns 0, or -EIO when B does not see it within 600 s. */
int lab_close_eof(struct lab_world *lw, int a, int b);
/* State of the connection behind fd (CLOSED when none). */
enum utcp_tcp_state lab_state(struct lab_world *lw, int h, int fd);
/* Connection id behind fd (0 when none). */
uint32_t lab_conn_id(struct lab_world *lw, int h, int fd);
/* Pending error of fd (positive errno, 0 if none; reading clears it). */
int lab_so_error(struct lab_world *lw, int h, int fd);
/* How many connections of host h are in state st. */
uint32_t lab_count(struct lab_world *lw, int h, enum utcp_tcp_state st);

/* "CLOSED SYN_SENT ESTABLISHED ...": the states connection conn of host h
 * went through, in order. */
const char *lab_states(const struct lab_world *lw, int h, uint32_t conn, char *buf,
		       size_t len);
/* The first connection of host h that entered state st at or after event
 * index `from` (0 when none). */
uint32_t lab_conn_entering(const struct lab_world *lw, int h, enum utcp_tcp_state st,
			   size_t from);
/* When connection conn of host h last entered st (UTCP_TIME_NEVER if not). */
utcp_time_us lab_state_at(const struct lab_world *lw, int h, uint32_t conn,
			  enum utcp_tcp_state st);

/* --- segments and the time-sequence diagram ------------------------------ */

enum {
	LAB_LBL_WIN = 1,  /* show the window: "ack 6145 win 2048" */
	LAB_LBL_OPTS = 2, /* show options: "<mss 1024>" */
};

/* A segment in the lesson's notation: "SYN 100(0) <mss 1024>",
 * "801(10) ack 121", "FIN 7169(1024) ack 8001 win 4096". */
const char *lab_seg_label(const struct utcp_trace_seg *g, unsigned flags, char *buf,
			  size_t len);

struct lab_arrow {
	utcp_time_us t_send, t_recv; /* t_recv meaningless when lost */
	int from;                    /* LAB_A or LAB_B */
	bool lost, rtx;
	size_t ev, ev_in;            /* indexes of the seg_out and seg_in events */
	struct utcp_trace_seg seg;
	char label[112];
};

struct lab_mark {
	utcp_time_us t;
	size_t ev;
	int host;
	enum utcp_tcp_state from, to;
};

struct lab_seq {
	char *title;
	char *name[2];
	struct lab_arrow *a;
	size_t n_a;
	struct lab_mark *m;
	size_t n_m;
	enum utcp_tcp_state first[2]; /* the state each side starts in */
	utcp_time_us t0;              /* times print relative to this */
};

/* The diagram of events [from, to) of the world (to 0: all): every
 * segment either host sent, paired with its arrival at the other host (or
 * marked lost), and every state change. Only connections whose local
 * port is in `ports` (0-terminated; NULL: all) are drawn. */
struct lab_seq *lab_seq_build(const struct lab_world *lw, size_t from, size_t to,
			      unsigned label_flags, const uint16_t *ports);
void lab_seq_free(struct lab_seq *s);

/* Rows of a drawn diagram: events in the order they happened, one row
 * each (a state change shares the row of the event that caused it), a
 * spacer row wherever time moves on, a marked one for a long wait. Both
 * the terminal and the SVG draw from this, so they agree. */
struct lab_row {
	utcp_time_us t;   /* time of the row's events; UTCP_TIME_NEVER: spacer */
	utcp_time_us gap; /* spacer before a long wait: its length, else 0 */
	bool show_time;   /* first row at this time */
	int mark[2];      /* index of the state change on each side, or -1 */
};
struct lab_layout {
	struct lab_row *row;
	size_t n_rows;
	int *send_row, *recv_row; /* per arrow; recv_row -1 when lost */
};
void lab_seq_layout(const struct lab_seq *s, struct lab_layout *l);
void lab_layout_free(struct lab_layout *l);
/* How many arrows host h sent. */
size_t lab_seq_count(const struct lab_seq *s, int from_host);

/* The first arrow at index >= *pos sent by host `from` with all of the
 * flags `has`, none of `not`, and payload (data 1), none (0) or either
 * (-1); lost ones only when `lost_ok`. Sets *pos past it. NULL if none. */
const struct lab_arrow *lab_seq_find(const struct lab_seq *s, size_t *pos, int from,
				     uint8_t has, uint8_t not, int data, bool lost_ok);
/* When host h entered state st in the diagram (UTCP_TIME_NEVER if not). */
utcp_time_us lab_seq_state_at(const struct lab_seq *s, int h, enum utcp_tcp_state st);

/* --- a lesson's report ---------------------------------------------------- */

enum lab_bk {
	LB_HEAD,   /* a sub-heading */
	LB_PARA,   /* a paragraph */
	LB_NOTE,   /* where utcp departs from the lesson's figure, and why */
	LB_SEQ,    /* a time-sequence diagram */
	LB_STATES, /* each end's states, one line per end */
	LB_STEPS,  /* numbered narration */
	LB_TABLE,
	LB_PLOT,
	LB_FSM,    /* the state diagram with the transitions taken */
	LB_CODE,   /* preformatted text (netstat counts, API calls) */
	LB_FILES,  /* the files written for a run */
};

struct lab_table {
	size_t ncol, nrow; /* row 0 is the header */
	char **cell;       /* nrow * ncol */
	uint32_t right;    /* bit c: column c is right-aligned (numbers) */
	uint32_t mono;     /* bit c: column c holds segments, code (monospace) */
	int highlight_col; /* -1, or a column drawn as a bar chart */
};

enum lab_style { LAB_LINE, LAB_STEP, LAB_POINTS, LAB_DASHED };

struct lab_series {
	char *name;
	double *x, *y;
	size_t n, cap;
	enum lab_style style;
	bool dashed; /* a LAB_STEP or LAB_LINE drawn dashed */
	int color;   /* index into the palette */
};

struct lab_annot {
	double x, y;
	char *text;
};

struct lab_plot {
	char *title, *xlabel, *ylabel;
	struct lab_series s[4];
	size_t ns;
	struct lab_annot *an;
	size_t n_an;
	double xmax, ymax; /* 0: from the data */
	bool integer_x;    /* ticks on whole numbers (rounds) */
};

#define LAB_FSM_MAX_EDGES 32
struct lab_fsm {
	bool taken[LAB_FSM_MAX_EDGES];
	bool rst_taken; /* reset from a synchronized state */
	bool state_seen[UTCP_NUM_STATES];
};

struct lab_block {
	enum lab_bk kind;
	char *id;   /* file stem of its SVG (diagrams, plots) */
	char *text; /* HEAD, PARA, NOTE, CODE, caption of others */
	char **items;
	size_t n_items, cap_items;
	struct lab_table *tab;
	struct lab_seq *seq;
	struct lab_plot *plot;
	struct lab_fsm *fsm;
};

struct lab_doc {
	const char *lesson; /* "handshake" */
	char *title;        /* "L1 Connection timing" */
	char *intro;
	struct lab_block *b;
	size_t n, cap;
};

struct lab_doc *lab_doc_new(const char *lesson, const char *title);
void lab_doc_free(struct lab_doc *d);
void lab_doc_intro(struct lab_doc *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void lab_doc_head(struct lab_doc *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void lab_doc_para(struct lab_doc *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void lab_doc_note(struct lab_doc *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void lab_doc_code(struct lab_doc *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Numbered narration: steps_begin opens a list, step appends to it. */
void lab_doc_steps_begin(struct lab_doc *d);
void lab_doc_step(struct lab_doc *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* One line per end: "client: CLOSED -> SYN_SENT -> ...". */
void lab_doc_states(struct lab_doc *d, const char *who, const char *states);
/* The block takes ownership of seq / plot / table. id names its SVG. */
void lab_doc_seq(struct lab_doc *d, const char *id, struct lab_seq *seq);
void lab_doc_plot(struct lab_doc *d, const char *id, struct lab_plot *p);
struct lab_table *lab_doc_table(struct lab_doc *d, size_t ncol, uint32_t right_cols);
#define LAB_COL(c) (1u << (c))
void lab_table_row(struct lab_table *t, ...); /* ncol strings (copied) */
void lab_doc_fsm(struct lab_doc *d, const char *id, const struct lab_fsm *f);
void lab_doc_files(struct lab_doc *d, const struct lab_world *lw);
/* The same for files a lesson wrote itself: DIR/<pcap>.pcap, DIR/<jsonl>.jsonl. */
void lab_doc_filenames(struct lab_doc *d, const char *pcap_stem, const char *jsonl_stem);
/* A step of narration for every lost segment of a diagram: when, and
 * when (and after how long) it was sent again. */
void lab_doc_losses(struct lab_doc *d, const struct lab_world *lw, const struct lab_seq *s,
		    const struct lab_opts *o);
/* A step of narration for every state change of a diagram: when, which
 * end, and what caused it (the segment that arrived, or the call or
 * timer that did). */
void lab_doc_transitions(struct lab_doc *d, const struct lab_seq *s, const struct lab_opts *o);
/* A table of a diagram's segments: #, time, direction, segment, note. */
void lab_doc_segments(struct lab_doc *d, const struct lab_seq *s, const struct lab_opts *o);

struct lab_plot *lab_plot_new(const char *title, const char *xlabel, const char *ylabel);
struct lab_series *lab_plot_series(struct lab_plot *p, const char *name,
				   enum lab_style style, int color);
void lab_series_add(struct lab_series *s, double x, double y);
void lab_plot_annot(struct lab_plot *p, double x, double y, const char *text);
/* The largest x (x true) or y of the plot's data, or p->xmax / p->ymax
 * when set; 1 for an empty plot, so that an axis never has length 0. */
double lab_plot_max(const struct lab_plot *p, bool x);

/* --- renderers ------------------------------------------------------------ */

void lab_term_doc(const struct lab_doc *d, const struct lab_opts *o, FILE *f);
void lab_svg_seq(struct lab_buf *b, const struct lab_seq *s, const char *id,
		 const struct lab_opts *o);
void lab_svg_plot(struct lab_buf *b, const struct lab_plot *p, const char *id);
void lab_svg_fsm(struct lab_buf *b, const struct lab_fsm *f, const char *id);
/* The SVG of a block (diagram, plot, state diagram) into b; false when the
 * block has none. */
bool lab_block_svg(struct lab_buf *b, const struct lab_block *k, const struct lab_opts *o);
/* Write DIR/<id>.svg for every block that has one. Returns 0 or -errno. */
int lab_doc_write_svgs(const struct lab_doc *d, const struct lab_opts *o);
/* Write DIR/index.html with every lesson. Returns 0 or -errno. */
int lab_html_write(struct lab_doc *const *docs, size_t n, const struct lab_opts *o);

/* The state diagram: its edges, and marking the ones a world's trace took. */
void lab_fsm_add_world(struct lab_fsm *f, const struct lab_world *lw);
bool lab_fsm_taken(const struct lab_fsm *f, enum utcp_tcp_state from, enum utcp_tcp_state to);
void lab_term_fsm(FILE *out, const struct lab_fsm *f, const struct lab_opts *o);

/* --- lessons ---------------------------------------------------------------- */

struct lab_lesson {
	const char *name;
	const char *title_en, *title_zh;
	const char *help; /* the lesson's options, for `utcp lab NAME --help` */
	/* Run the lesson and fill d. Returns 0, or 1 when the run failed (the
	 * reason printed on stderr). */
	int (*run)(const struct lab_opts *o, struct lab_doc *d);
};

int lab_handshake(const struct lab_opts *o, struct lab_doc *d);
int lab_window(const struct lab_opts *o, struct lab_doc *d);
int lab_congestion(const struct lab_opts *o, struct lab_doc *d);
int lab_fast_retransmit(const struct lab_opts *o, struct lab_doc *d);
int lab_states_lesson(const struct lab_opts *o, struct lab_doc *d);
int lab_half_close(const struct lab_opts *o, struct lab_doc *d);
int lab_time_wait(const struct lab_opts *o, struct lab_doc *d);
int lab_reuse(const struct lab_opts *o, struct lab_doc *d);
int lab_collapse(const struct lab_opts *o, struct lab_doc *d);

/* Report a failed step of a lesson on stderr; returns 1. */
int lab_fail(const char *lesson, const char *what, int err);

#endif
