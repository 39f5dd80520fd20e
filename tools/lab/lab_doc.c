/*
 * A lesson's report as data: a list of blocks (paragraphs, numbered steps,
 * tables, diagrams, plots) that the terminal renderer and the HTML page
 * both read, so the two always show the same run.
 */
#include "lab.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

struct lab_doc *lab_doc_new(const char *lesson, const char *title)
{
	struct lab_doc *d = lab_xalloc(sizeof(*d));
	d->lesson = lesson;
	d->title = lab_strf("%s", title);
	return d;
}

static void table_free(struct lab_table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->nrow * t->ncol; i++)
		free(t->cell[i]);
	free(t->cell);
	free(t);
}

static void plot_free(struct lab_plot *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->ns; i++) {
		free(p->s[i].name);
		free(p->s[i].x);
		free(p->s[i].y);
	}
	for (size_t i = 0; i < p->n_an; i++)
		free(p->an[i].text);
	free(p->an);
	free(p->title);
	free(p->xlabel);
	free(p->ylabel);
	free(p);
}

void lab_doc_free(struct lab_doc *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->n; i++) {
		struct lab_block *k = &d->b[i];
		free(k->id);
		free(k->text);
		for (size_t j = 0; j < k->n_items; j++)
			free(k->items[j]);
		free(k->items);
		table_free(k->tab);
		lab_seq_free(k->seq);
		plot_free(k->plot);
		free(k->fsm);
	}
	free(d->b);
	free(d->title);
	free(d->intro);
	free(d);
}

static struct lab_block *add(struct lab_doc *d, enum lab_bk kind)
{
	d->b = lab_xgrow(d->b, &d->cap, d->n + 1, sizeof(*d->b));
	struct lab_block *k = &d->b[d->n++];
	memset(k, 0, sizeof(*k));
	k->kind = kind;
	return k;
}

static char *vstrf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

static char *vstrf(const char *fmt, va_list ap)
{
	struct lab_buf b = {0};
	va_list ap2;
	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	b.p = lab_xalloc((size_t)(n > 0 ? n : 0) + 1);
	vsnprintf(b.p, (size_t)(n > 0 ? n : 0) + 1, fmt, ap);
	return b.p;
}

#define DOC_TEXT(fn, KIND)                                     \
	void fn(struct lab_doc *d, const char *fmt, ...)       \
	{                                                      \
		va_list ap;                                    \
		va_start(ap, fmt);                             \
		add(d, KIND)->text = vstrf(fmt, ap);           \
		va_end(ap);                                    \
	}
DOC_TEXT(lab_doc_head, LB_HEAD)
DOC_TEXT(lab_doc_para, LB_PARA)
DOC_TEXT(lab_doc_note, LB_NOTE)
DOC_TEXT(lab_doc_code, LB_CODE)

void lab_doc_intro(struct lab_doc *d, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	free(d->intro);
	d->intro = vstrf(fmt, ap);
	va_end(ap);
}

static void add_item(struct lab_block *k, char *item)
{
	k->items = lab_xgrow(k->items, &k->cap_items, k->n_items + 1, sizeof(char *));
	k->items[k->n_items++] = item;
}

void lab_doc_steps_begin(struct lab_doc *d)
{
	add(d, LB_STEPS);
}

void lab_doc_step(struct lab_doc *d, const char *fmt, ...)
{
	if (d->n == 0 || d->b[d->n - 1].kind != LB_STEPS)
		lab_doc_steps_begin(d);
	va_list ap;
	va_start(ap, fmt);
	add_item(&d->b[d->n - 1], vstrf(fmt, ap));
	va_end(ap);
}

void lab_doc_states(struct lab_doc *d, const char *who, const char *states)
{
	if (d->n == 0 || d->b[d->n - 1].kind != LB_STATES)
		add(d, LB_STATES);
	struct lab_block *k = &d->b[d->n - 1];
	/* "CLOSED SYN_SENT ESTABLISHED" -> "CLOSED -> SYN_SENT -> ESTABLISHED"
	 * (the page draws the arrows as arrows) */
	struct lab_buf b = {0};
	lab_buf_printf(&b, "%s\t", who);
	const char *p = states;
	while (*p) {
		size_t n = strcspn(p, " ");
		lab_buf_printf(&b, "%.*s", (int)n, p);
		p += n;
		while (*p == ' ')
			p++;
		if (*p)
			lab_buf_puts(&b, " -> ");
	}
	add_item(k, b.p ? b.p : lab_strf("%s\t", who));
}

void lab_doc_seq(struct lab_doc *d, const char *id, struct lab_seq *seq)
{
	struct lab_block *k = add(d, LB_SEQ);
	k->id = lab_strf("%s-%s", d->lesson, id);
	k->seq = seq;
}

void lab_doc_plot(struct lab_doc *d, const char *id, struct lab_plot *p)
{
	struct lab_block *k = add(d, LB_PLOT);
	k->id = lab_strf("%s-%s", d->lesson, id);
	k->plot = p;
}

struct lab_table *lab_doc_table(struct lab_doc *d, size_t ncol, uint32_t right_cols)
{
	struct lab_block *k = add(d, LB_TABLE);
	k->tab = lab_xalloc(sizeof(*k->tab));
	k->tab->ncol = ncol;
	k->tab->right = right_cols;
	k->tab->highlight_col = -1;
	return k->tab;
}

void lab_table_row(struct lab_table *t, ...)
{
	t->cell = realloc(t->cell, (t->nrow + 1) * t->ncol * sizeof(char *));
	if (!t->cell) {
		fputs("utcp lab: out of memory\n", stderr);
		exit(1);
	}
	va_list ap;
	va_start(ap, t);
	for (size_t c = 0; c < t->ncol; c++) {
		const char *s = va_arg(ap, const char *);
		t->cell[t->nrow * t->ncol + c] = lab_strf("%s", s ? s : "");
	}
	va_end(ap);
	t->nrow++;
}

void lab_doc_fsm(struct lab_doc *d, const char *id, const struct lab_fsm *f)
{
	struct lab_block *k = add(d, LB_FSM);
	k->id = lab_strf("%s-%s", d->lesson, id);
	k->fsm = lab_xalloc(sizeof(*k->fsm));
	*k->fsm = *f;
}

void lab_doc_files(struct lab_doc *d, const struct lab_world *lw)
{
	if (lw->files)
		lab_doc_filenames(d, lw->stem, lw->stem);
}

void lab_doc_filenames(struct lab_doc *d, const char *pcap_stem, const char *jsonl_stem)
{
	struct lab_block *k = add(d, LB_FILES);
	add_item(k, lab_strf("%s.pcap", pcap_stem));
	add_item(k, lab_strf("%s.jsonl", jsonl_stem));
}

struct lab_plot *lab_plot_new(const char *title, const char *xlabel, const char *ylabel)
{
	struct lab_plot *p = lab_xalloc(sizeof(*p));
	p->title = lab_strf("%s", title);
	p->xlabel = lab_strf("%s", xlabel);
	p->ylabel = lab_strf("%s", ylabel);
	return p;
}

struct lab_series *lab_plot_series(struct lab_plot *p, const char *name,
				   enum lab_style style, int color)
{
	if (p->ns == sizeof(p->s) / sizeof(p->s[0]))
		return NULL;
	struct lab_series *s = &p->s[p->ns++];
	memset(s, 0, sizeof(*s));
	s->name = lab_strf("%s", name);
	s->style = style;
	s->color = color;
	return s;
}

void lab_series_add(struct lab_series *s, double x, double y)
{
	size_t cap = s->cap;
	s->x = lab_xgrow(s->x, &cap, s->n + 1, sizeof(double));
	cap = s->cap;
	s->y = lab_xgrow(s->y, &cap, s->n + 1, sizeof(double));
	s->cap = cap;
	s->x[s->n] = x;
	s->y[s->n] = y;
	s->n++;
}

double lab_plot_max(const struct lab_plot *p, bool x)
{
	double m = x ? p->xmax : p->ymax;
	if (m > 0)
		return m;
	for (size_t i = 0; i < p->ns; i++)
		for (size_t k = 0; k < p->s[i].n; k++) {
			double v = x ? p->s[i].x[k] : p->s[i].y[k];
			m = v > m ? v : m;
		}
	return m > 0 ? m : 1;
}

void lab_plot_annot(struct lab_plot *p, double x, double y, const char *text)
{
	size_t cap = p->n_an; /* grows to at least n_an + 1 */
	p->an = lab_xgrow(p->an, &cap, p->n_an + 1, sizeof(*p->an));
	p->an[p->n_an++] = (struct lab_annot){x, y, lab_strf("%s", text)};
}
