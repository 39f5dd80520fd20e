/*
 * A lesson's report on a terminal, 80 columns: wrapped paragraphs (with
 * Chinese text measured at two columns a character), tables, and the
 * time-sequence diagram drawn with two time lines and stepped, slanted
 * arrows:
 *
 *   t (ms)       client                                            server
 *                CLOSED |                                          | LISTEN
 *        0     SYN_SENT |--SYN 100(0) <mss 1024>--.                |
 *                       |                          '-------------->| SYN_RCVD
 */
#include "lab.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define WIDTH 78

enum { C_NONE, C_LOST, C_RTX, C_STATE, C_DIM, C_BOLD, C_HEAD };

static const char *const ansi[] = {"", "\033[31m", "\033[33m", "\033[36m", "\033[2m",
				   "\033[1m", "\033[1;34m"};

static void color_on(FILE *f, const struct lab_opts *o, int c)
{
	if (o->color && c)
		fputs(ansi[c], f);
}

static void color_off(FILE *f, const struct lab_opts *o, int c)
{
	if (o->color && c)
		fputs("\033[0m", f);
}

/* --- UTF-8 widths ----------------------------------------------------------- */

/* Bytes in the UTF-8 character at s, and its code point. */
static size_t u8_char(const char *s, uint32_t *cp)
{
	const unsigned char *u = (const unsigned char *)s;
	if (u[0] < 0x80) {
		*cp = u[0];
		return 1;
	}
	size_t n = u[0] >= 0xf0 ? 4 : u[0] >= 0xe0 ? 3 : 2;
	uint32_t c = u[0] & (0x3f >> (n - 1));
	for (size_t i = 1; i < n; i++) {
		if ((u[i] & 0xc0) != 0x80) {
			*cp = '?';
			return i;
		}
		c = (c << 6) | (u[i] & 0x3f);
	}
	*cp = c;
	return n;
}

/* Chinese punctuation that must not begin a line (it stays with the word
 * before it, even one column past the margin). */
static bool closing_punct(uint32_t c)
{
	static const uint32_t p[] = {0xff0c, 0x3002, 0xff1a, 0xff1b, 0xff09, 0x3001,
				     0xff01, 0xff1f, 0x201d, 0x300d};
	for (size_t i = 0; i < sizeof(p) / sizeof(p[0]); i++)
		if (c == p[i])
			return true;
	return false;
}

/* East Asian wide characters take two columns. */
static bool wide(uint32_t c)
{
	return (c >= 0x1100 && c <= 0x115f) || (c >= 0x2e80 && c <= 0xa4cf) ||
	       (c >= 0xac00 && c <= 0xd7a3) || (c >= 0xf900 && c <= 0xfaff) ||
	       (c >= 0xfe30 && c <= 0xfe4f) || (c >= 0xff00 && c <= 0xff60) ||
	       (c >= 0xffe0 && c <= 0xffe6);
}

static int u8_width(const char *s)
{
	int w = 0;
	uint32_t c;
	while (*s) {
		s += u8_char(s, &c);
		w += wide(c) ? 2 : 1;
	}
	return w;
}

/* Print text wrapped to WIDTH: `first` before the first line, `indent`
 * spaces before the others. Breaks at spaces, and between wide characters
 * (Chinese has no spaces). A newline in the text starts a new line. */
static void wrap(FILE *f, const char *text, const char *first, int indent)
{
	int col = u8_width(first);
	fputs(first, f);
	bool space = false, line_empty = true;
	const char *p = text;
	while (*p) {
		uint32_t c;
		size_t n = u8_char(p, &c), len = n;
		int w = wide(c) ? 2 : 1;
		if (*p == '`') {
			/* a `code` span and what sticks to it ("`x`,"): one
			 * token, never broken; the marks are dropped */
			const char *end = strchr(p + 1, '`');
			len = end ? (size_t)(end - p - 1) : strlen(p + 1);
			size_t tail = end ? strcspn(end + 1, " \n`") : 0;
			char tmp[320];
			snprintf(tmp, sizeof(tmp), "%.*s%.*s", (int)len, p + 1, (int)tail,
				 end ? end + 1 : "");
			w = u8_width(tmp);
			int sep = space && !line_empty ? 1 : 0;
			if (!line_empty && col + sep + w > WIDTH) {
				fprintf(f, "\n%*s", indent, "");
				col = indent;
				sep = 0;
			}
			fprintf(f, "%*s%s", sep, "", tmp);
			col += sep + w;
			line_empty = false;
			space = false;
			p += 1 + len + (end ? 1 : 0) + tail;
			continue;
		} else if (*p == ' ' || *p == '\n') {
			if (*p == '\n') {
				fprintf(f, "\n%*s", indent, "");
				col = indent;
				line_empty = true;
				space = false;
			} else {
				space = true;
			}
			p++;
			continue;
		} else if (!wide(c)) {
			while (p[len] && p[len] != ' ' && p[len] != '\n' && p[len] != '`') {
				uint32_t c2;
				size_t k = u8_char(p + len, &c2);
				if (wide(c2))
					break;
				len += k;
				w++;
			}
		}
		int sep = space && !line_empty ? 1 : 0;
		if (!line_empty && col + sep + w > WIDTH && !closing_punct(c)) {
			fprintf(f, "\n%*s", indent, "");
			col = indent;
			sep = 0;
		}
		fprintf(f, "%*s%.*s", sep, "", (int)len, p);
		col += sep + w;
		line_empty = false;
		space = false;
		p += len;
	}
	fputc('\n', f);
}

/* --- the time-sequence diagram ------------------------------------------------ */

#define D_TIME 10                      /* "  60.285 s" */
#define D_STATE 13                     /* " ESTABLISHED " */
#define D_LEFT (D_TIME + D_STATE)      /* column of the client's time line */
#define D_LANE 42
#define D_RIGHT (D_LEFT + 1 + D_LANE)  /* column of the server's time line */
#define D_COLS (D_RIGHT + D_STATE + 1)

struct canvas {
	char *c;
	uint8_t *color;
	size_t rows;
};

static void put(struct canvas *cv, size_t r, int col, char ch, int color)
{
	if (r >= cv->rows || col < 0 || col >= D_COLS)
		return;
	cv->c[r * D_COLS + (size_t)col] = ch;
	cv->color[r * D_COLS + (size_t)col] = (uint8_t)color;
}

static void puts_at(struct canvas *cv, size_t r, int col, const char *s, int color)
{
	for (; *s; s++, col++)
		put(cv, r, col, *s, color);
}

/* Lane column x (0 .. D_LANE-1) as seen from the sender: mirrored for
 * arrows going right to left. */
static int lane_col(bool l2r, int x)
{
	return l2r ? D_LEFT + 1 + x : D_RIGHT - 1 - x;
}

/* An arrow leaving on row rs and arriving on row rr, drawn as a
 * staircase: a run of dashes on every row it crosses, each run starting
 * where the one above ended, the first carrying the label. A lost one
 * (rr < 0) stops short on its first row at an X. */
static void draw_arrow(struct canvas *cv, size_t rs, int rr, bool l2r, const char *label,
		       int color)
{
	int lab = (int)strlen(label);
	int n = rr < 0 ? 1 : rr - (int)rs;
	if (n < 1)
		n = 1;
	int first = D_LANE / (n + 1);
	if (first < lab + 5)
		first = lab + 5;
	if (first > D_LANE - n)
		first = D_LANE - n;
	if (first < 4)
		first = 4;
	for (int x = 0; x < first; x++)
		put(cv, rs, lane_col(l2r, x), '-', color);
	if (rr < 0) { /* lost: falls short, crossed out */
		put(cv, rs, lane_col(l2r, first), 'X', color);
	} else {
		put(cv, rs, lane_col(l2r, first - 1), '.', color);
		int rest = D_LANE - first;
		for (int i = 1; i <= n; i++) {
			int x0 = first + ((i - 1) * rest) / n, x1 = first + (i * rest) / n;
			size_t r = rs + (size_t)i;
			if (i < n && x1 - x0 <= 3) { /* steep: a slanted stroke */
				put(cv, r, lane_col(l2r, x0), l2r ? '\\' : '/', color);
				continue;
			}
			for (int x = x0; x < x1; x++)
				put(cv, r, lane_col(l2r, x), '-', color);
			put(cv, r, lane_col(l2r, x0), x1 - x0 >= 2 ? '\'' : (l2r ? '\\' : '/'), color);
			put(cv, r, lane_col(l2r, x1 - 1), i == n ? (l2r ? '>' : '<') : '.', color);
		}
	}
	/* the label, on top, two columns from the sender's line */
	int start = l2r ? lane_col(true, 2) : lane_col(false, 2) - lab + 1;
	puts_at(cv, rs, start, label, color);
}

static void draw_states(struct canvas *cv, size_t r, const struct lab_seq *s,
			const struct lab_row *row)
{
	for (int h = 0; h < 2; h++) {
		if (row->mark[h] < 0)
			continue;
		const char *name = utcp_state_name(s->m[row->mark[h]].to);
		int col = h == 0 ? D_LEFT - 1 - (int)strlen(name) : D_RIGHT + 2;
		puts_at(cv, r, col, name, C_STATE);
	}
}

/* True when row r holds only blanks and time lines. */
static bool row_blank(const struct canvas *cv, size_t r)
{
	for (int col = 0; col < D_COLS; col++) {
		char ch = cv->c[r * D_COLS + (size_t)col];
		if (ch != ' ' && ch != '|')
			return false;
	}
	return true;
}

static void print_canvas(FILE *f, const struct canvas *cv, const struct lab_opts *o)
{
	for (size_t r = 0; r < cv->rows; r++) {
		int cur = C_NONE, end = D_COLS;
		while (end > 0 && cv->c[r * D_COLS + (size_t)end - 1] == ' ')
			end--;
		for (int col = 0; col < end; col++) {
			int c = cv->color[r * D_COLS + (size_t)col];
			if (c != cur) {
				color_off(f, o, cur);
				color_on(f, o, c);
				cur = c;
			}
			fputc(cv->c[r * D_COLS + (size_t)col], f);
		}
		color_off(f, o, cur);
		fputc('\n', f);
	}
}

static void term_seq(FILE *f, const struct lab_seq *s, const struct lab_opts *o)
{
	struct lab_layout l;
	lab_seq_layout(s, &l);
	struct canvas cv = {.rows = l.n_rows + 3};
	cv.c = lab_xalloc(cv.rows * D_COLS);
	cv.color = lab_xalloc(cv.rows * D_COLS);
	memset(cv.c, ' ', cv.rows * D_COLS);
	puts_at(&cv, 0, 1, TR(o, "t (ms)", "t (ms)"), C_DIM);
	puts_at(&cv, 0, D_LEFT - (int)strlen(s->name[0]) / 2, s->name[0], C_BOLD);
	puts_at(&cv, 0, D_RIGHT - (int)strlen(s->name[1]) / 2, s->name[1], C_BOLD);
	for (int h = 0; h < 2; h++)
		if (s->first[h] != UTCP_NUM_STATES) {
			const char *name = utcp_state_name(s->first[h]);
			puts_at(&cv, 1, h ? D_RIGHT + 2 : D_LEFT - 1 - (int)strlen(name), name, C_STATE);
		}
	for (size_t r = 1; r < cv.rows; r++) {
		bool gap = r >= 2 && r - 2 < l.n_rows && l.row[r - 2].gap;
		put(&cv, r, D_LEFT, gap ? ':' : '|', C_DIM);
		put(&cv, r, D_RIGHT, gap ? ':' : '|', C_DIM);
	}
	for (size_t i = 0; i < l.n_rows; i++) {
		const struct lab_row *row = &l.row[i];
		if (row->gap) {
			char g[32], txt[48];
			snprintf(txt, sizeof(txt), "(%s)", lab_human(row->gap, g, sizeof(g)));
			puts_at(&cv, i + 2, D_LEFT + 1 + (D_LANE - (int)strlen(txt)) / 2, txt, C_DIM);
		}
		if (row->show_time) {
			char t[24];
			lab_tcol(row->t - s->t0, t, sizeof(t));
			puts_at(&cv, i + 2, D_TIME - 1 - (int)strlen(t), t, C_DIM);
		}
	}
	for (size_t i = 0; i < s->n_a; i++) {
		const struct lab_arrow *a = &s->a[i];
		int rr = a->lost ? -1 : l.recv_row[i] + 2;
		draw_arrow(&cv, (size_t)l.send_row[i] + 2, rr, a->from == LAB_A, a->label,
			   a->lost ? C_LOST : a->rtx ? C_RTX : C_NONE);
	}
	for (size_t i = 0; i < l.n_rows; i++)
		draw_states(&cv, i + 2, s, &l.row[i]);
	/* trailing rows with nothing but the time lines go */
	while (cv.rows > 2 && row_blank(&cv, cv.rows - 1))
		cv.rows--;
	print_canvas(f, &cv, o);
	lab_layout_free(&l);
	free(cv.c);
	free(cv.color);
}

/* --- tables and plots ------------------------------------------------------------ */

/* Print a line without its trailing blanks. */
static void put_line(FILE *f, struct lab_buf *b)
{
	while (b->len && b->p[b->len - 1] == ' ')
		b->p[--b->len] = 0;
	fprintf(f, "%s\n", b->p ? b->p : "");
	b->len = 0;
	if (b->p)
		b->p[0] = 0;
}

static void term_table(FILE *f, const struct lab_table *t, const struct lab_opts *o)
{
	int w[16] = {0};
	size_t nc = t->ncol < 16 ? t->ncol : 16;
	for (size_t r = 0; r < t->nrow; r++)
		for (size_t c = 0; c < nc; c++) {
			int cw = u8_width(t->cell[r * t->ncol + c]);
			w[c] = cw > w[c] ? cw : w[c];
		}
	struct lab_buf line = {0};
	for (size_t r = 0; r < t->nrow; r++) {
		lab_buf_puts(&line, " ");
		for (size_t c = 0; c < nc; c++) {
			const char *s = t->cell[r * t->ncol + c];
			int pad = w[c] - u8_width(s);
			bool right = t->right & (1u << c);
			lab_buf_printf(&line, " %*s%s%*s", right ? pad : 0, "", s, right ? 0 : pad, "");
			if (c + 1 < nc)
				lab_buf_puts(&line, " ");
		}
		if (r == 0)
			color_on(f, o, C_BOLD);
		put_line(f, &line);
		if (r == 0) {
			color_off(f, o, C_BOLD);
			lab_buf_puts(&line, " ");
			for (size_t c = 0; c < nc; c++) {
				lab_buf_puts(&line, " ");
				for (int k = 0; k < w[c]; k++)
					lab_buf_puts(&line, "-");
				if (c + 1 < nc)
					lab_buf_puts(&line, " ");
			}
			put_line(f, &line);
		}
	}
	lab_buf_free(&line);
}

#define P_W 60
#define P_H 14

/* The value of a series at x: the last point at or before x (steps), or
 * linear between points (lines). NAN outside the series. */
static double series_at(const struct lab_series *s, double x, bool *ok)
{
	*ok = false;
	if (s->n == 0 || x < s->x[0] || (s->style != LAB_STEP && x > s->x[s->n - 1]))
		return 0;
	size_t k = 0;
	while (k + 1 < s->n && s->x[k + 1] <= x)
		k++;
	*ok = true;
	if (s->style == LAB_STEP || k + 1 >= s->n || s->x[k + 1] == s->x[k])
		return s->y[k];
	double f = (x - s->x[k]) / (s->x[k + 1] - s->x[k]);
	return s->y[k] + f * (s->y[k + 1] - s->y[k]);
}

static void term_plot(FILE *f, const struct lab_plot *p, const struct lab_opts *o)
{
	static const char glyph[] = "*o+.";
	char grid[P_H][P_W + 1];
	memset(grid, ' ', sizeof(grid));
	double xs = lab_nice_step(lab_plot_max(p, true), 6);
	double ys = lab_nice_step(lab_plot_max(p, false), 4);
	double xm = ceil(lab_plot_max(p, true) / xs - 1e-9) * xs;
	double ym = ceil(lab_plot_max(p, false) * 1.02 / ys) * ys;
	for (size_t i = p->ns; i-- > 0;) {
		const struct lab_series *s = &p->s[i];
		for (int col = 0; col < P_W; col++) {
			bool ok = false;
			double y = 0;
			if (s->style == LAB_POINTS) {
				for (size_t k = 0; k < s->n && !ok; k++)
					if ((int)(s->x[k] / xm * (P_W - 1) + 0.5) == col) {
						y = s->y[k];
						ok = true;
					}
			} else {
				y = series_at(s, col * xm / (P_W - 1), &ok);
			}
			int row = (int)(y / ym * (P_H - 1) + 0.5);
			if (ok && row >= 0 && row < P_H)
				grid[P_H - 1 - row][col] = glyph[i % 4];
		}
	}
	color_on(f, o, C_BOLD);
	fprintf(f, "  %s\n", p->title);
	color_off(f, o, C_BOLD);
	int last_label = -1;
	for (int r = 0; r < P_H; r++) {
		double y = (P_H - 1 - r) * ym / (P_H - 1);
		int k = (int)floor(y / ys + 1e-9);
		/* a label on the row closest to each multiple of the step */
		bool label = k != last_label && fabs(y - k * ys) < ym / (P_H - 1) / 2 + 1e-9;
		if (label) {
			fprintf(f, "%8g |", k * ys);
			last_label = k;
		} else {
			fprintf(f, "%8s |", "");
		}
		int end = P_W;
		while (end > 0 && grid[r][end - 1] == ' ')
			end--;
		fprintf(f, "%.*s\n", end, grid[r]);
	}
	char axis[P_W + 1], labels[P_W + 16];
	memset(axis, '-', P_W);
	axis[P_W] = 0;
	memset(labels, ' ', sizeof(labels));
	for (double x = 0; x <= xm + 1e-9; x += xs) {
		int col = (int)(x / xm * (P_W - 1) + 0.5);
		char v[16];
		int n = snprintf(v, sizeof(v), "%g", x);
		axis[col] = '+';
		int at = col - n / 2 < 0 ? 0 : col - n / 2;
		if (at + n < (int)sizeof(labels))
			memcpy(labels + at, v, (size_t)n);
	}
	int end = (int)sizeof(labels) - 1;
	while (end > 0 && labels[end - 1] == ' ')
		end--;
	fprintf(f, "%8s +%s\n%8s  %.*s\n", "", axis, "", end, labels);
	fprintf(f, "%8s   %s  (%s)\n", "", p->xlabel, p->ylabel);
	for (size_t i = 0; i < p->ns; i++)
		fprintf(f, "%8s   %c  %s\n", "", glyph[i % 4], p->s[i].name);
}

/* One line per end: "client  CLOSED -> SYN_SENT -> ...", names aligned. */
static void term_states(FILE *f, const struct lab_block *k, const struct lab_opts *o)
{
	int wmax = 6;
	for (size_t i = 0; i < k->n_items; i++) {
		const char *tab = strchr(k->items[i], '\t');
		int n = tab ? (int)(tab - k->items[i]) : 0;
		wmax = n > wmax ? n : wmax;
	}
	for (size_t i = 0; i < k->n_items; i++) {
		const char *tab = strchr(k->items[i], '\t');
		int n = tab ? (int)(tab - k->items[i]) : 0;
		fprintf(f, "  %-*.*s  ", wmax, n, k->items[i]);
		color_on(f, o, C_STATE);
		fprintf(f, "%s\n", tab ? tab + 1 : k->items[i]);
		color_off(f, o, C_STATE);
	}
}

/* --- the document ---------------------------------------------------------------- */

static void term_block(FILE *f, const struct lab_block *k, const struct lab_opts *o)
{
	switch (k->kind) {
	case LB_HEAD: {
		color_on(f, o, C_HEAD);
		int w = u8_width(k->text);
		fprintf(f, "\xe2\x94\x80\xe2\x94\x80 %s ", k->text);
		for (int i = w + 4; i < WIDTH; i++)
			fputs("\xe2\x94\x80", f);
		fputc('\n', f);
		color_off(f, o, C_HEAD);
		break;
	}
	case LB_PARA:
		wrap(f, k->text, "", 0);
		break;
	case LB_NOTE:
		color_on(f, o, C_RTX);
		wrap(f, k->text, TR(o, "Note: ", "注："), 6);
		color_off(f, o, C_RTX);
		break;
	case LB_CODE: {
		const char *p = k->text;
		while (*p) {
			size_t n = strcspn(p, "\n");
			fprintf(f, "    %.*s\n", (int)n, p);
			p += n + (p[n] == '\n');
		}
		break;
	}
	case LB_STEPS:
		for (size_t i = 0; i < k->n_items; i++) {
			char num[32];
			snprintf(num, sizeof(num), "%3zu. ", i + 1);
			wrap(f, k->items[i], num, 5);
		}
		break;
	case LB_STATES:
		term_states(f, k, o);
		break;
	case LB_SEQ:
		term_seq(f, k->seq, o);
		break;
	case LB_TABLE:
		term_table(f, k->tab, o);
		break;
	case LB_PLOT:
		term_plot(f, k->plot, o);
		break;
	case LB_FSM:
		lab_term_fsm(f, k->fsm, o);
		break;
	case LB_FILES:
		color_on(f, o, C_DIM);
		fprintf(f, "  %s %s/%s, %s/%s\n", TR(o, "files:", "文件："), o->out, k->items[0],
			o->out, k->items[1]);
		color_off(f, o, C_DIM);
		break;
	}
}

void lab_term_doc(const struct lab_doc *d, const struct lab_opts *o, FILE *f)
{
	char rule[WIDTH + 1];
	memset(rule, '=', WIDTH);
	rule[WIDTH] = 0;
	color_on(f, o, C_HEAD);
	fprintf(f, "%s\n", rule);
	fprintf(f, " utcp lab %s: %s\n", d->lesson, d->title);
	fprintf(f, "%s\n", rule);
	color_off(f, o, C_HEAD);
	if (d->intro)
		wrap(f, d->intro, "", 0);
	for (size_t i = 0; i < d->n; i++) {
		/* a blank line between blocks; a heading's paragraph follows it */
		if (!(d->b[i].kind == LB_PARA && i > 0 && d->b[i - 1].kind == LB_HEAD))
			fputc('\n', f);
		term_block(f, &d->b[i], o);
	}
	fputc('\n', f);
}
