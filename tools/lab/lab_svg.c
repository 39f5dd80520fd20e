/*
 * SVG drawings of the lab: the time-sequence diagram (two time lines,
 * slanted arrows labelled along their length, lost segments crossed out,
 * the states each end enters) and line plots (cwnd and ssthresh per
 * round, offered load against throughput). Plain SVG 1.1 with inline
 * styles: the files open in any browser and embed in the page as they are.
 */
#include "lab.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define PI 3.14159265358979323846

static const char *const palette[] = {"#1c7ed6", "#e8590c", "#2b8a3e", "#868e96",
				      "#ae3ec9"};

/* --- time-sequence diagram -------------------------------------------------- */

#define S_W 780.0
#define S_LEFT 230.0  /* client's time line */
#define S_RIGHT 580.0 /* server's time line */
#define S_TOP 70.0
#define S_ROW 26.0   /* an event row */
#define S_SPACE 30.0 /* a spacer row: time passes, the arrows slant */
#define S_GAP 44.0   /* a spacer before a long wait: drawn dashed */

static double row_h(const struct lab_row *r)
{
	return r->t != UTCP_TIME_NEVER ? S_ROW : r->gap ? S_GAP : S_SPACE;
}

static void seq_head(struct lab_buf *b, const struct lab_seq *s, const char *id, double h)
{
	lab_buf_printf(b,
		       "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"%s\" class=\"seq\" "
		       "viewBox=\"0 0 %.0f %.0f\" width=\"%.0f\" height=\"%.0f\" role=\"img\">\n"
		       "<style>.qtl{stroke:#495057;stroke-width:2}.qtg{stroke:#adb5bd;stroke-width:2;"
		       "stroke-dasharray:3 4}.qhn{font:700 15px system-ui,sans-serif;fill:#212529}"
		       ".qst{font:600 12px ui-monospace,Menlo,Consolas,monospace;fill:#1864ab}"
		       ".qsb{fill:#e7f5ff;stroke:#74c0fc}.qtm{font:11px ui-monospace,Menlo,Consolas,"
		       "monospace;fill:#868e96}.qlb{font:12px ui-monospace,Menlo,Consolas,monospace}"
		       ".qab{stroke-width:1.6;fill:none}.qgp{font:italic 11px system-ui,sans-serif;"
		       "fill:#868e96}</style>\n"
		       "<defs>",
		       id, S_W, h, S_W, h);
	static const char *const ids[] = {"a", "b", "l", "r"};
	static const char *const cols[] = {"#1c7ed6", "#2b8a3e", "#e03131", "#e8590c"};
	for (int i = 0; i < 4; i++)
		lab_buf_printf(b,
			       "<marker id=\"%s-ah-%s\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" "
			       "markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\">"
			       "<path d=\"M0 0L10 5L0 10z\" fill=\"%s\"/></marker>",
			       id, ids[i], cols[i]);
	lab_buf_puts(b, "</defs>\n");
	lab_buf_puts(b, "<text class=\"qtm\" x=\"12\" y=\"30\">t (ms)</text>\n");
	for (int i = 0; i < 2; i++) {
		double x = i ? S_RIGHT : S_LEFT;
		lab_buf_printf(b, "<text class=\"qhn\" x=\"%.0f\" y=\"28\" text-anchor=\"middle\">",
			       x);
		lab_buf_xml(b, s->name[i]);
		lab_buf_puts(b, "</text>\n");
	}
}

/* A state name in a pill beside host h's time line at height y. */
static void seq_state(struct lab_buf *b, int h, double y, const char *name)
{
	double w = 8.0 * (double)strlen(name) + 12;
	double x = h ? S_RIGHT + 8 : S_LEFT - 8 - w;
	lab_buf_printf(b,
		       "<rect class=\"qsb\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"18\" "
		       "rx=\"9\"/><text class=\"qst\" x=\"%.1f\" y=\"%.1f\" "
		       "text-anchor=\"middle\">%s</text>\n",
		       x, y - 9, w, x + w / 2, y + 4, name);
}

static void seq_arrow(struct lab_buf *b, const struct lab_arrow *a, double y0, double y1,
		      const char *id)
{
	bool l2r = a->from == LAB_A;
	double x0 = l2r ? S_LEFT : S_RIGHT, x1 = l2r ? S_RIGHT : S_LEFT;
	const char *col = a->lost ? "#e03131" : a->rtx ? "#e8590c" : l2r ? "#1c7ed6" : "#2b8a3e";
	const char *mk = a->lost ? "l" : a->rtx ? "r" : l2r ? "a" : "b";
	if (a->lost) { /* falls short of the other line, crossed out */
		x1 = x0 + (x1 - x0) * 0.55;
		y1 = y0 + S_ROW * 0.9;
		lab_buf_printf(b,
			       "<path class=\"qab\" stroke=\"%s\" stroke-dasharray=\"6 4\" "
			       "d=\"M%.1f %.1fL%.1f %.1f\"/><path stroke=\"%s\" stroke-width=\"2.5\" "
			       "d=\"M%.1f %.1fl12 12m0 -12l-12 12\"/>\n",
			       col, x0, y0, x1, y1, col, x1 - 6, y1 - 6);
	} else {
		lab_buf_printf(b,
			       "<path class=\"qab\" stroke=\"%s\" d=\"M%.1f %.1fL%.1f %.1f\" "
			       "marker-end=\"url(#%s-ah-%s)\"/>\n",
			       col, x0, y0, x1, y1, id, mk);
	}
	/* the label along the arrow, above it, starting near the sender */
	double ang = atan2(y1 - y0, x1 - x0) * 180 / PI;
	if (!l2r)
		ang -= 180; /* keep the text upright */
	double lx = x0 + (x1 - x0) * 0.06, ly = y0 + (y1 - y0) * 0.06;
	lab_buf_printf(b,
		       "<text class=\"qlb\" fill=\"%s\" transform=\"translate(%.1f %.1f) "
		       "rotate(%.2f)\" x=\"0\" y=\"-5\" text-anchor=\"%s\">",
		       col, lx, ly, ang, l2r ? "start" : "end");
	lab_buf_xml(b, a->label);
	if (a->lost)
		lab_buf_puts(b, " \xe2\x9c\x97");
	lab_buf_puts(b, "</text>\n");
}

void lab_svg_seq(struct lab_buf *b, const struct lab_seq *s, const char *id,
		 const struct lab_opts *o)
{
	struct lab_layout l;
	lab_seq_layout(s, &l);
	double *y = lab_xalloc((l.n_rows + 1) * sizeof(double));
	double cur = S_TOP + 24;
	for (size_t i = 0; i < l.n_rows; i++) {
		double h = row_h(&l.row[i]);
		y[i] = cur + h / 2;
		cur += h;
	}
	double bottom = cur + S_ROW * 1.5;
	seq_head(b, s, id, bottom + 10);
	/* time lines, dashed across long waits */
	double from = S_TOP - 12;
	for (size_t i = 0; i <= l.n_rows; i++) {
		if (i < l.n_rows && !l.row[i].gap)
			continue;
		double to = i < l.n_rows ? y[i] - S_GAP / 2 : bottom;
		for (int h = 0; h < 2; h++)
			lab_buf_printf(b, "<path class=\"qtl\" d=\"M%.0f %.1fV%.1f\"/>\n",
				       h ? S_RIGHT : S_LEFT, from, to);
		if (i == l.n_rows)
			break;
		for (int h = 0; h < 2; h++)
			lab_buf_printf(b, "<path class=\"qtg\" d=\"M%.0f %.1fV%.1f\"/>\n",
				       h ? S_RIGHT : S_LEFT, to, to + S_GAP);
		char g[32];
		lab_buf_printf(b, "<text class=\"qgp\" x=\"12\" y=\"%.1f\">%s %s</text>\n", y[i] + 4,
			       lab_human(l.row[i].gap, g, sizeof(g)), TR(o, "later", "之后"));
		from = to + S_GAP;
	}
	for (int h = 0; h < 2; h++)
		if (s->first[h] != UTCP_NUM_STATES)
			seq_state(b, h, S_TOP + 6, utcp_state_name(s->first[h]));
	for (size_t i = 0; i < l.n_rows; i++) {
		const struct lab_row *r = &l.row[i];
		if (r->show_time) {
			char t[24];
			lab_buf_printf(b, "<text class=\"qtm\" x=\"12\" y=\"%.1f\">%s</text>\n", y[i] + 4,
				       lab_tcol(r->t - s->t0, t, sizeof(t)));
		}
		for (int h = 0; h < 2; h++)
			if (r->mark[h] >= 0)
				seq_state(b, h, y[i], utcp_state_name(s->m[r->mark[h]].to));
	}
	for (size_t i = 0; i < s->n_a; i++) {
		const struct lab_arrow *a = &s->a[i];
		double y0 = y[l.send_row[i]];
		double y1 = a->lost ? y0 : y[l.recv_row[i]];
		seq_arrow(b, a, y0, y1, id);
	}
	lab_buf_puts(b, "</svg>\n");
	free(y);
	lab_layout_free(&l);
}

/* --- plots ---------------------------------------------------------------------- */

#define P_W 780.0
#define P_H 380.0
#define P_L 70.0  /* left margin: y tick labels */
#define P_R 24.0
#define P_T 70.0  /* title, then the legend in one row */
#define P_B 56.0

struct frame {
	double xm, ym;
};

static double px(const struct frame *f, double x)
{
	return P_L + x / f->xm * (P_W - P_L - P_R);
}

static double py(const struct frame *f, double y)
{
	return P_H - P_B - y / f->ym * (P_H - P_T - P_B);
}

static void plot_axes(struct lab_buf *b, const struct lab_plot *p, const struct frame *f)
{
	double xs = lab_nice_step(f->xm, 10), ys = lab_nice_step(f->ym, 6);
	if (p->integer_x && xs < 1)
		xs = 1;
	for (double y = 0; y <= f->ym + 1e-9; y += ys)
		lab_buf_printf(b,
			       "<path class=\"qgr\" d=\"M%.1f %.1fH%.1f\"/><text class=\"qtk\" "
			       "x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%g</text>\n",
			       P_L, py(f, y), P_W - P_R, P_L - 8, py(f, y) + 4, y);
	for (double x = 0; x <= f->xm + 1e-9; x += xs)
		lab_buf_printf(b,
			       "<path class=\"qgr\" d=\"M%.1f %.1fV%.1f\"/><text class=\"qtk\" "
			       "x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%g</text>\n",
			       px(f, x), P_T, P_H - P_B, px(f, x), P_H - P_B + 18, x);
	lab_buf_printf(b, "<path class=\"qax\" d=\"M%.1f %.1fV%.1fH%.1f\"/>\n", P_L, P_T,
		       P_H - P_B, P_W - P_R);
	lab_buf_printf(b, "<text class=\"qal\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">",
		       (P_L + P_W - P_R) / 2, P_H - 14);
	lab_buf_xml(b, p->xlabel);
	lab_buf_printf(b,
		       "</text><text class=\"qal\" transform=\"translate(18 %.1f) rotate(-90)\" "
		       "text-anchor=\"middle\">",
		       (P_T + P_H - P_B) / 2);
	lab_buf_xml(b, p->ylabel);
	lab_buf_puts(b, "</text>\n<text class=\"qpt\" x=\"70\" y=\"24\">");
	lab_buf_xml(b, p->title);
	lab_buf_puts(b, "</text>\n");
}

static void plot_series(struct lab_buf *b, const struct lab_series *s, const struct frame *f)
{
	const char *col = palette[s->color % 5];
	if (s->n == 0)
		return;
	lab_buf_printf(b, "<path fill=\"none\" stroke=\"%s\" stroke-width=\"%s\"%s d=\"", col,
		       s->style == LAB_POINTS ? "1.4" : "2.4",
		       s->style == LAB_DASHED || s->dashed ? " stroke-dasharray=\"7 5\"" : "");
	for (size_t k = 0; k < s->n; k++) {
		if (s->style == LAB_STEP && k > 0)
			lab_buf_printf(b, "H%.1f", px(f, s->x[k]));
		lab_buf_printf(b, "%c%.1f %.1f", k ? 'L' : 'M', px(f, s->x[k]), py(f, s->y[k]));
	}
	if (s->style == LAB_STEP)
		lab_buf_printf(b, "H%.1f", px(f, f->xm));
	lab_buf_puts(b, "\"/>\n");
	if (s->style == LAB_POINTS)
		for (size_t k = 0; k < s->n; k++)
			lab_buf_printf(b, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.6\" fill=\"%s\"/>\n",
				       px(f, s->x[k]), py(f, s->y[k]), col);
}

void lab_svg_plot(struct lab_buf *b, const struct lab_plot *p, const char *id)
{
	struct frame f = {lab_plot_max(p, true), lab_plot_max(p, false) * 1.08};
	lab_buf_printf(b,
		       "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"%s\" class=\"plot\" "
		       "viewBox=\"0 0 %.0f %.0f\" width=\"%.0f\" height=\"%.0f\" role=\"img\">\n"
		       "<style>.qgr{stroke:#e9ecef;stroke-width:1}.qax{stroke:#495057;fill:none;"
		       "stroke-width:1.5}.qtk{font:12px system-ui,sans-serif;fill:#495057}"
		       ".qal{font:13px system-ui,sans-serif;fill:#212529}.qpt{font:700 15px "
		       "system-ui,sans-serif;fill:#212529}.qlg{font:13px system-ui,sans-serif;"
		       "fill:#212529}.qan{font:12px system-ui,sans-serif;fill:#495057}</style>\n",
		       id, P_W, P_H, P_W, P_H);
	plot_axes(b, p, &f);
	for (size_t i = 0; i < p->ns; i++)
		plot_series(b, &p->s[i], &f);
	for (size_t i = 0; i < p->n_an; i++) {
		const struct lab_annot *a = &p->an[i];
		lab_buf_printf(b, "<text class=\"qan\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">",
			       px(&f, a->x), py(&f, a->y) - 10);
		lab_buf_xml(b, a->text);
		lab_buf_puts(b, "</text>\n");
	}
	/* the legend: one row under the title, clear of the data */
	double x = P_L;
	for (size_t i = 0; i < p->ns; i++) {
		lab_buf_printf(b,
			       "<rect x=\"%.1f\" y=\"44\" width=\"22\" height=\"4\" fill=\"%s\"/>"
			       "<text class=\"qlg\" x=\"%.1f\" y=\"50\">",
			       x, palette[p->s[i].color % 5], x + 28);
		lab_buf_xml(b, p->s[i].name);
		lab_buf_puts(b, "</text>\n");
		x += 28 + 7.2 * (double)strlen(p->s[i].name) + 26;
	}
	lab_buf_puts(b, "</svg>\n");
}

/* --- files ----------------------------------------------------------------------- */

bool lab_block_svg(struct lab_buf *b, const struct lab_block *k, const struct lab_opts *o)
{
	switch (k->kind) {
	case LB_SEQ:
		lab_svg_seq(b, k->seq, k->id, o);
		return true;
	case LB_PLOT:
		lab_svg_plot(b, k->plot, k->id);
		return true;
	case LB_FSM:
		lab_svg_fsm(b, k->fsm, k->id);
		return true;
	default:
		return false;
	}
}

int lab_doc_write_svgs(const struct lab_doc *d, const struct lab_opts *o)
{
	for (size_t i = 0; i < d->n; i++) {
		struct lab_buf b = {0};
		if (!lab_block_svg(&b, &d->b[i], o))
			continue;
		char *path = lab_strf("%s/%s.svg", o->out, d->b[i].id);
		int err = lab_write_file(path, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", &b);
		free(path);
		lab_buf_free(&b);
		if (err)
			return err;
	}
	return 0;
}
