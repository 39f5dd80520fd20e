/*
 * DIR/index.html: every lesson of the run on one page that needs nothing
 * but itself (inline CSS, inline SVG, no script, no web font), for a
 * student's laptop screen: a readable column, each diagram beside its
 * narration when the screen is wide enough, tables with aligned numbers.
 */
#include "lab.h"

#include <stdlib.h>
#include <string.h>

static const char css[] =
	":root{--ink:#1f2933;--muted:#616e7c;--line:#e4e7eb;--accent:#1c7ed6;--bg:#f5f7fa}"
	"*{box-sizing:border-box}"
	"body{margin:0;background:var(--bg);color:var(--ink);"
	"font:16px/1.6 system-ui,-apple-system,'Segoe UI',Roboto,'Noto Sans',"
	"'Noto Sans CJK SC','PingFang SC','Microsoft YaHei',sans-serif}"
	"header.top{background:#102a43;color:#f0f4f8;padding:28px 0 22px}"
	".wrap{max-width:1360px;margin:0 auto;padding:0 28px}"
	"header.top h1{margin:0 0 6px;font-size:30px;letter-spacing:.2px}"
	"header.top p{margin:0;color:#bcccdc;max-width:900px}"
	"nav{display:flex;flex-wrap:wrap;gap:8px;margin-top:16px}"
	"nav a{color:#102a43;background:#d9e2ec;border-radius:999px;padding:3px 12px;"
	"text-decoration:none;font-size:14px;font-weight:600}"
	"nav a:hover{background:#fff}"
	"section.lesson{background:#fff;border:1px solid var(--line);border-radius:12px;"
	"margin:26px 0;padding:22px 30px 26px;box-shadow:0 1px 3px rgba(16,42,67,.06)}"
	"section.lesson h2{margin:0 0 6px;font-size:24px;color:#102a43}"
	".tag{display:inline-block;font:700 13px ui-monospace,Menlo,Consolas,monospace;"
	"background:#e7f5ff;color:#1864ab;border-radius:6px;padding:2px 8px;margin-right:10px;"
	"vertical-align:3px}"
	"p.intro{color:var(--muted);max-width:900px;margin-top:4px}"
	"h3{font-size:18px;margin:26px 0 8px;color:#243b53;border-top:1px solid var(--line);"
	"padding-top:18px}"
	"p{max-width:900px}"
	"code,pre,td.n,td.m{font-family:ui-monospace,Menlo,Consolas,'Liberation Mono',monospace}"
	"code{font-size:.9em;background:#f1f3f5;border-radius:4px;padding:1px 5px;"
	"white-space:nowrap}"
	"pre{background:#102a43;color:#e4e7eb;border-radius:8px;padding:12px 16px;"
	"font-size:14px;overflow-x:auto;max-width:900px}"
	".pair{display:grid;grid-template-columns:minmax(0,800px) minmax(300px,1fr);gap:28px;"
	"align-items:start}"
	"@media (max-width:1180px){.pair{grid-template-columns:1fr}}"
	"figure{margin:12px 0;overflow-x:auto}"
	"figure svg{max-width:100%;height:auto;display:block;background:#fff}"
	"figcaption{font-size:13px;color:var(--muted);margin-top:4px}"
	"ol.steps{padding-left:0;list-style:none;counter-reset:s;margin:8px 0}"
	"ol.steps li{counter-increment:s;position:relative;padding:6px 0 6px 40px;"
	"border-bottom:1px dashed var(--line)}"
	"ol.steps li:before{content:counter(s);position:absolute;left:0;top:7px;width:26px;"
	"height:26px;border-radius:50%;background:#1c7ed6;color:#fff;font-size:13px;"
	"font-weight:700;text-align:center;line-height:26px}"
	".note{background:#fff9db;border-left:4px solid #f59f00;padding:10px 14px;"
	"border-radius:6px;max-width:900px;margin:12px 0}"
	".note b{color:#a35f00}"
	"table{border-collapse:collapse;margin:10px 0;font-size:14px}"
	"th{text-align:left;border-bottom:2px solid #bcccdc;padding:5px 12px;color:#334e68}"
	"td{border-bottom:1px solid var(--line);padding:4px 12px}"
	"tr:nth-child(even) td{background:#f8fafc}"
	"td.n,th.n{text-align:right}td.m{font-size:13px;white-space:nowrap}"
	"td .bar{display:inline-block;height:10px;background:#74c0fc;border-radius:2px;"
	"vertical-align:middle}"
	"table.states td{border:none;padding:3px 12px 3px 0}"
	".chip{display:inline-block;font:600 13px ui-monospace,Menlo,Consolas,monospace;"
	"background:#e7f5ff;color:#1864ab;border:1px solid #a5d8ff;border-radius:999px;"
	"padding:1px 9px;margin:2px 0}"
	".arrow{color:#829ab1;margin:0 4px}"
	"p.files{font-size:14px;color:var(--muted)}"
	"p.files a{color:var(--accent)}"
	"footer{color:var(--muted);font-size:13px;padding:10px 0 40px}";

/* Text with `code` spans: escaped, backticks turned into <code>, and
 * "A -> B" (outside code) drawn with an arrow. */
static void html_text(struct lab_buf *b, const char *s)
{
	bool code = false;
	for (; *s; s++) {
		if (!code && !strncmp(s, "->", 2)) {
			lab_buf_puts(b, "\xe2\x86\x92");
			s++;
			continue;
		}
		if (*s == '`') {
			lab_buf_puts(b, code ? "</code>" : "<code>");
			code = !code;
			continue;
		}
		char c[2] = {*s, 0};
		lab_buf_xml(b, c);
	}
	if (code)
		lab_buf_puts(b, "</code>");
}

static void html_table(struct lab_buf *b, const struct lab_table *t)
{
	double max = 0;
	if (t->highlight_col >= 0)
		for (size_t r = 1; r < t->nrow; r++) {
			double v = atof(t->cell[r * t->ncol + (size_t)t->highlight_col]);
			max = v > max ? v : max;
		}
	lab_buf_puts(b, "<table>\n");
	for (size_t r = 0; r < t->nrow; r++) {
		lab_buf_puts(b, "<tr>");
		for (size_t c = 0; c < t->ncol; c++) {
			const char *cell = t->cell[r * t->ncol + c];
			bool right = (t->right & (1u << c)) != 0, mono = r && (t->mono & (1u << c));
			lab_buf_printf(b, "<%s%s>", r ? "td" : "th",
				       right ? " class=\"n\"" : mono ? " class=\"m\"" : "");
			html_text(b, cell);
			if (r && (int)c == t->highlight_col && max > 0)
				lab_buf_printf(b, " <span class=\"bar\" style=\"width:%.0fpx\"></span>",
					       atof(cell) / max * 160);
			lab_buf_printf(b, "</%s>", r ? "td" : "th");
		}
		lab_buf_puts(b, "</tr>\n");
	}
	lab_buf_puts(b, "</table>\n");
}

static void html_states(struct lab_buf *b, const struct lab_block *k)
{
	lab_buf_puts(b, "<table class=\"states\">\n");
	for (size_t i = 0; i < k->n_items; i++) {
		const char *it = k->items[i], *tab = strchr(it, '\t');
		lab_buf_puts(b, "<tr><td><b>");
		lab_buf_printf(b, "%.*s", tab ? (int)(tab - it) : 0, it);
		lab_buf_puts(b, "</b></td><td>");
		const char *p = tab ? tab + 1 : it;
		while (*p) {
			const char *arrow = strstr(p, " -> ");
			size_t n = arrow ? (size_t)(arrow - p) : strlen(p);
			lab_buf_printf(b, "<span class=\"chip\">%.*s</span>", (int)n, p);
			p += n;
			if (arrow) {
				lab_buf_puts(b, "<span class=\"arrow\">\xe2\x86\x92</span>");
				p += 4;
			}
		}
		lab_buf_puts(b, "</td></tr>\n");
	}
	lab_buf_puts(b, "</table>\n");
}

static void html_figure(struct lab_buf *b, const struct lab_block *k, const struct lab_opts *o)
{
	lab_buf_puts(b, "<figure>");
	lab_block_svg(b, k, o);
	lab_buf_printf(b, "<figcaption><a href=\"%s.svg\">%s.svg</a></figcaption></figure>\n",
		       k->id, k->id);
}

static void html_block(struct lab_buf *b, const struct lab_block *k, const struct lab_opts *o)
{
	switch (k->kind) {
	case LB_HEAD:
		lab_buf_puts(b, "<h3>");
		html_text(b, k->text);
		lab_buf_puts(b, "</h3>\n");
		break;
	case LB_PARA:
		lab_buf_puts(b, "<p>");
		html_text(b, k->text);
		lab_buf_puts(b, "</p>\n");
		break;
	case LB_NOTE:
		lab_buf_printf(b, "<div class=\"note\"><b>%s</b> ", TR(o, "Note.", "注："));
		html_text(b, k->text);
		lab_buf_puts(b, "</div>\n");
		break;
	case LB_CODE:
		lab_buf_puts(b, "<pre>");
		lab_buf_xml(b, k->text);
		lab_buf_puts(b, "</pre>\n");
		break;
	case LB_STEPS:
		lab_buf_puts(b, "<ol class=\"steps\">\n");
		for (size_t i = 0; i < k->n_items; i++) {
			lab_buf_puts(b, "<li>");
			html_text(b, k->items[i]);
			lab_buf_puts(b, "</li>\n");
		}
		lab_buf_puts(b, "</ol>\n");
		break;
	case LB_STATES:
		html_states(b, k);
		break;
	case LB_TABLE:
		html_table(b, k->tab);
		break;
	case LB_SEQ:
	case LB_PLOT:
	case LB_FSM:
		html_figure(b, k, o);
		break;
	case LB_FILES:
		lab_buf_printf(b,
			       "<p class=\"files\">%s <a href=\"%s\">%s</a> (%s) &middot; "
			       "<a href=\"%s\">%s</a> (%s)</p>\n",
			       TR(o, "Files of this run:", "本次运行的文件："), k->items[0],
			       k->items[0], TR(o, "open in Wireshark", "可用 Wireshark 打开"),
			       k->items[1], k->items[1], TR(o, "trace, JSON lines", "跟踪记录，JSON 行"));
		break;
	}
}

static void html_lesson(struct lab_buf *b, const struct lab_doc *d, size_t num,
			const struct lab_opts *o)
{
	lab_buf_printf(b, "<section class=\"lesson\" id=\"lesson-%s\">\n<h2><span class=\"tag\">",
		       d->lesson);
	lab_buf_printf(b, "%zu &middot; %s</span>", num, d->lesson);
	lab_buf_xml(b, d->title);
	lab_buf_puts(b, "</h2>\n");
	if (d->intro) {
		lab_buf_puts(b, "<p class=\"intro\">");
		html_text(b, d->intro);
		lab_buf_puts(b, "</p>\n");
	}
	for (size_t i = 0; i < d->n; i++) {
		/* a diagram and the narration that follows it, side by side */
		if (d->b[i].kind == LB_SEQ && i + 1 < d->n && d->b[i + 1].kind == LB_STEPS) {
			lab_buf_puts(b, "<div class=\"pair\"><div>");
			html_block(b, &d->b[i], o);
			lab_buf_puts(b, "</div><div>");
			html_block(b, &d->b[i + 1], o);
			lab_buf_puts(b, "</div></div>\n");
			i++;
			continue;
		}
		html_block(b, &d->b[i], o);
	}
	lab_buf_puts(b, "</section>\n");
}

int lab_html_write(struct lab_doc *const *docs, size_t n, const struct lab_opts *o)
{
	struct lab_buf b = {0};
	lab_buf_printf(&b,
		       "<!DOCTYPE html>\n<html lang=\"%s\">\n<head>\n<meta charset=\"utf-8\">\n"
		       "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\n"
		       "<title>utcp lab</title>\n<style>%s</style>\n</head>\n<body>\n"
		       "<header class=\"top\"><div class=\"wrap\"><h1>%s</h1><p>%s</p><nav>",
		       o->zh ? "zh" : "en", css, TR(o, "utcp lab: TCP, run and drawn", "utcp 实验：运行并画出 TCP"),
		       TR(o,
			  "Every lesson of the TCP lab, run on utcp's simulated network. Each "
			  "number, arrow and state on this page comes from the trace of a real run; "
			  "change a parameter (utcp lab --help) and the page changes with it.",
			  "TCP 实验的每一课都在 utcp 的模拟网络上实际运行。本页的每个数字、箭头和状态"
			  "都来自真实运行的跟踪记录；修改参数（utcp lab --help），页面随之改变。"));
	for (size_t i = 0; i < n; i++)
		lab_buf_printf(&b, "<a href=\"#lesson-%s\">%s</a>", docs[i]->lesson,
			       docs[i]->lesson);
	lab_buf_puts(&b, "</nav></div></header>\n<main class=\"wrap\">\n");
	for (size_t i = 0; i < n; i++)
		html_lesson(&b, docs[i], i + 1, o);
	lab_buf_printf(&b, "</main>\n<footer class=\"wrap\">%s</footer>\n</body>\n</html>\n",
		       TR(o, "Made by utcp lab from the trace of each run; the pcap files open in "
			     "Wireshark.",
			  "由 utcp lab 根据每次运行的跟踪记录生成；pcap 文件可用 Wireshark 打开。"));
	char *path = lab_strf("%s/index.html", o->out);
	int err = lab_write_file(path, NULL, &b);
	free(path);
	lab_buf_free(&b);
	return err;
}
