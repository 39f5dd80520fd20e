/*
 * The TCP state diagram (RFC 9293 section 3.3.2, figure 5; the lesson's
 * figure 6) with the transitions a run took: every state-change event of
 * both hosts marks its edge. Drawn as a list on the terminal and as SVG on
 * the page, laid out as the RFC draws it.
 */
#include "lab.h"

#include <math.h>
#include <string.h>

/* CLOSED appears twice, as in the RFC's figure: where connections start
 * (top) and where they end (bottom). */
enum { N_TOP = 0, N_BOTTOM = UTCP_NUM_STATES };

struct edge {
	enum utcp_tcp_state from, to;
	bool to_bottom;  /* into the bottom CLOSED */
	double bend;     /* curvature, pixels off the chord (0: straight) */
	const char *what; /* event / action, as the RFC labels it */
	double cx, cy;   /* control point, when the curve is drawn by hand */
	double lx, ly;   /* label position (start-anchored), when placed by hand */
};

static const struct edge edges[] = {
	{UTCP_CLOSED, UTCP_LISTEN, false, -28, "passive open", 0, 0, 0, 0},
	{UTCP_CLOSED, UTCP_SYN_SENT, false, 0, "connect / SYN", 720, 40, 668, 78},
	{UTCP_LISTEN, UTCP_SYN_RCVD, false, 0, "SYN / SYN,ACK", 0, 0, 0, 0},
	{UTCP_LISTEN, UTCP_SYN_SENT, false, 0, "send / SYN", 0, 0, 0, 0},
	{UTCP_LISTEN, UTCP_CLOSED, false, -28, "close", 0, 0, 0, 0},
	{UTCP_SYN_SENT, UTCP_SYN_RCVD, false, 0, "SYN / SYN,ACK", 0, 0, 0, 0},
	{UTCP_SYN_SENT, UTCP_ESTABLISHED, false, 0, "SYN,ACK / ACK", 0, 0, 0, 0},
	{UTCP_SYN_SENT, UTCP_CLOSED, false, 0, "close, timeout, RST", 0, 0, 572, 140},
	{UTCP_SYN_RCVD, UTCP_ESTABLISHED, false, 0, "ACK", 0, 0, 0, 0},
	{UTCP_SYN_RCVD, UTCP_FIN_WAIT_1, false, 0, "close / FIN", 0, 0, 0, 0},
	{UTCP_SYN_RCVD, UTCP_LISTEN, false, 40, "RST", 0, 0, 0, 0},
	{UTCP_ESTABLISHED, UTCP_FIN_WAIT_1, false, 0, "close / FIN", 0, 0, 0, 0},
	{UTCP_ESTABLISHED, UTCP_CLOSE_WAIT, false, 0, "FIN / ACK", 0, 0, 0, 0},
	{UTCP_FIN_WAIT_1, UTCP_FIN_WAIT_2, false, 0, "ACK", 0, 0, 0, 0},
	{UTCP_FIN_WAIT_1, UTCP_CLOSING, false, 0, "FIN / ACK", 0, 0, 0, 0},
	{UTCP_FIN_WAIT_1, UTCP_TIME_WAIT, false, 0, "FIN,ACK / ACK", 0, 0, 0, 0},
	{UTCP_FIN_WAIT_2, UTCP_TIME_WAIT, false, 0, "FIN / ACK", 0, 0, 0, 0},
	{UTCP_CLOSING, UTCP_TIME_WAIT, false, 0, "ACK", 0, 0, 0, 0},
	{UTCP_TIME_WAIT, UTCP_CLOSED, true, 0, "2MSL timeout", 0, 0, 0, 0},
	{UTCP_CLOSE_WAIT, UTCP_LAST_ACK, false, 0, "close / FIN", 0, 0, 0, 0},
	{UTCP_LAST_ACK, UTCP_CLOSED, true, 0, "ACK", 0, 0, 0, 0},
};
#define N_EDGES (sizeof(edges) / sizeof(edges[0]))
_Static_assert(N_EDGES <= LAB_FSM_MAX_EDGES, "edges fit the taken[] array");

static bool synchronized(enum utcp_tcp_state s)
{
	return s == UTCP_ESTABLISHED || s == UTCP_FIN_WAIT_1 || s == UTCP_FIN_WAIT_2 ||
	       s == UTCP_CLOSE_WAIT || s == UTCP_CLOSING || s == UTCP_LAST_ACK ||
	       s == UTCP_TIME_WAIT || s == UTCP_SYN_RCVD;
}

static void mark(struct lab_fsm *f, enum utcp_tcp_state from, enum utcp_tcp_state to)
{
	f->state_seen[from] = f->state_seen[to] = true;
	for (size_t i = 0; i < N_EDGES; i++)
		if (edges[i].from == from && edges[i].to == to) {
			f->taken[i] = true;
			return;
		}
	/* Not an edge of the figure: a reset (or abort) from a synchronized
	 * state, which the RFC's figure leaves out to stay readable. */
	if (to == UTCP_CLOSED && synchronized(from))
		f->rst_taken = true;
}

void lab_fsm_add_world(struct lab_fsm *f, const struct lab_world *lw)
{
	for (size_t i = 0; i < lw->n_ev; i++)
		if (lw->ev[i].ev.type == UTCP_TR_STATE)
			mark(f, lw->ev[i].ev.u.state.from, lw->ev[i].ev.u.state.to);
}

void lab_term_fsm(FILE *out, const struct lab_fsm *f, const struct lab_opts *o)
{
	size_t n = 0;
	for (size_t i = 0; i < N_EDGES; i++)
		n += f->taken[i];
	fprintf(out, "  %s %zu/%zu%s\n",
		TR(o, "Transitions of the state diagram taken:", "状态图中走过的转换："), n,
		N_EDGES, f->rst_taken ? TR(o, ", and reset to CLOSED", "，以及复位到 CLOSED") : "");
	for (size_t i = 0; i < N_EDGES; i++) {
		char name[40];
		snprintf(name, sizeof(name), "%s -> %s", utcp_state_name(edges[i].from),
			 utcp_state_name(edges[i].to));
		if (o->color && f->taken[i])
			fputs("\033[36m", out);
		fprintf(out, "    [%c] %-28s %s", f->taken[i] ? 'x' : ' ', name, edges[i].what);
		if (o->color && f->taken[i])
			fputs("\033[0m", out);
		fputc('\n', out);
	}
	fprintf(out, "    [%c] %-28s %s\n", f->rst_taken ? 'x' : ' ',
		TR(o, "synchronized -> CLOSED", "已同步状态 -> CLOSED"), "RST / abort");
}

/* --- SVG -------------------------------------------------------------------- */

#define BOX_W 128.0
#define BOX_H 34.0

struct pos {
	double x, y;
};

/* Box centres, RFC 9293 figure 5's arrangement; index N_BOTTOM is the
 * second CLOSED. */
static const struct pos at[UTCP_NUM_STATES + 1] = {
	[UTCP_CLOSED] = {430, 40},      [UTCP_LISTEN] = {430, 140},
	[UTCP_SYN_RCVD] = {150, 250},   [UTCP_SYN_SENT] = {710, 250},
	[UTCP_ESTABLISHED] = {430, 350}, [UTCP_FIN_WAIT_1] = {150, 450},
	[UTCP_CLOSE_WAIT] = {710, 450}, [UTCP_FIN_WAIT_2] = {150, 590},
	[UTCP_CLOSING] = {430, 520},    [UTCP_LAST_ACK] = {710, 590},
	[UTCP_TIME_WAIT] = {430, 660},  [N_BOTTOM] = {710, 690},
};

/* Where the ray from a box's centre towards (dx, dy) leaves the box. */
static struct pos box_exit(struct pos c, double dx, double dy)
{
	double len = sqrt(dx * dx + dy * dy);
	if (len == 0)
		return c;
	double tx = dx ? (BOX_W / 2 + 3) / fabs(dx) : 1e9;
	double ty = dy ? (BOX_H / 2 + 3) / fabs(dy) : 1e9;
	double t = tx < ty ? tx : ty;
	return (struct pos){c.x + dx * t, c.y + dy * t};
}

static void svg_edge(struct lab_buf *b, const struct edge *e, bool taken)
{
	struct pos p = at[e->from], q = at[e->to_bottom ? N_BOTTOM : e->to];
	/* the control point: the chord's middle moved sideways by bend */
	double mx = (p.x + q.x) / 2, my = (p.y + q.y) / 2;
	double dx = q.x - p.x, dy = q.y - p.y, len = sqrt(dx * dx + dy * dy);
	struct pos c = {mx - dy / len * e->bend, my + dx / len * e->bend};
	if (e->cx)
		c = (struct pos){e->cx, e->cy};
	struct pos s = box_exit(p, c.x - p.x, c.y - p.y), t = box_exit(q, c.x - q.x, c.y - q.y);
	const char *cls = taken ? "fe taken" : "fe";
	lab_buf_printf(b,
		       "<path class=\"%s\" d=\"M%.1f %.1f Q%.1f %.1f %.1f %.1f\" "
		       "marker-end=\"url(#%s)\"/>\n",
		       cls, s.x, s.y, c.x, c.y, t.x, t.y, taken ? "fsm-ah-t" : "fsm-ah");
	/* the label near the curve's middle, on the bulging side */
	double lx = 0.25 * s.x + 0.5 * c.x + 0.25 * t.x, ly = 0.25 * s.y + 0.5 * c.y + 0.25 * t.y;
	double off = e->bend ? (e->bend > 0 ? 1 : -1) * 9 : 9;
	lx += -dy / len * off;
	ly += dx / len * off;
	const char *anchor = fabs(dy) < 1 ? "middle" : (-dy / len * off) >= 0 ? "start" : "end";
	if (e->lx) {
		lx = e->lx;
		ly = e->ly;
		anchor = "start";
	}
	lab_buf_printf(b, "<text class=\"%s\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\">",
		       taken ? "fel taken" : "fel", lx, ly + 4, anchor);
	lab_buf_xml(b, e->what);
	lab_buf_puts(b, "</text>\n");
}

static void svg_box(struct lab_buf *b, struct pos c, const char *name, bool seen)
{
	lab_buf_printf(b,
		       "<rect class=\"%s\" x=\"%.0f\" y=\"%.0f\" width=\"%.0f\" height=\"%.0f\" "
		       "rx=\"8\"/><text class=\"fsn\" x=\"%.0f\" y=\"%.0f\" "
		       "text-anchor=\"middle\">%s</text>\n",
		       seen ? "fst seen" : "fst", c.x - BOX_W / 2, c.y - BOX_H / 2, BOX_W, BOX_H, c.x,
		       c.y + 5, name);
}

void lab_svg_fsm(struct lab_buf *b, const struct lab_fsm *f, const char *id)
{
	lab_buf_printf(b,
		       "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"%s\" class=\"fsm\" "
		       "viewBox=\"0 0 860 730\" width=\"860\" height=\"730\" role=\"img\">\n"
		       "<style>.fst{fill:#fff;stroke:#adb5bd;stroke-width:1.5}"
		       ".fst.seen{fill:#e7f5ff;stroke:#1c7ed6;stroke-width:2}"
		       ".fsn{font:600 13px ui-monospace,Menlo,Consolas,monospace;fill:#212529}"
		       ".fe{fill:none;stroke:#ced4da;stroke-width:1.3}"
		       ".fe.taken{stroke:#e8590c;stroke-width:2.6}"
		       ".fel{font:11px system-ui,sans-serif;fill:#adb5bd}"
		       ".fel.taken{fill:#c2410c;font-weight:600}</style>\n"
		       "<defs><marker id=\"fsm-ah\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" "
		       "markerWidth=\"7\" markerHeight=\"7\" orient=\"auto\"><path d=\"M0 0L10 5L0 "
		       "10z\" fill=\"#ced4da\"/></marker><marker id=\"fsm-ah-t\" viewBox=\"0 0 10 10\" "
		       "refX=\"9\" refY=\"5\" markerWidth=\"6\" markerHeight=\"6\" orient=\"auto\">"
		       "<path d=\"M0 0L10 5L0 10z\" fill=\"#e8590c\"/></marker></defs>\n",
		       id);
	for (int pass = 0; pass < 2; pass++) /* taken edges on top */
		for (size_t i = 0; i < N_EDGES; i++)
			if (f->taken[i] == (pass == 1))
				svg_edge(b, &edges[i], f->taken[i]);
	for (int s = 0; s < UTCP_NUM_STATES; s++)
		svg_box(b, at[s], utcp_state_name((enum utcp_tcp_state)s), f->state_seen[s]);
	svg_box(b, at[N_BOTTOM], "CLOSED", f->state_seen[UTCP_CLOSED]);
	lab_buf_printf(b,
		       "<text class=\"fel%s\" x=\"20\" y=\"718\">%s reset or abort from any "
		       "synchronized state: CLOSED</text>\n</svg>\n",
		       f->rst_taken ? " taken" : "", f->rst_taken ? "\xe2\x9c\x93" : "\xe2\x80\x93");
}

bool lab_fsm_taken(const struct lab_fsm *f, enum utcp_tcp_state from, enum utcp_tcp_state to)
{
	for (size_t i = 0; i < N_EDGES; i++)
		if (edges[i].from == from && edges[i].to == to)
			return f->taken[i];
	return false;
}
