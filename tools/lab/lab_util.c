/* Small helpers of the lab: growing strings, allocation, number formats, files. */
#include "lab.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* The lab is a command: out of memory ends it, with a message. */
static _Noreturn void oom(void)
{
	fputs("utcp lab: out of memory\n", stderr);
	exit(1);
}

void *lab_xalloc(size_t n)
{
	void *p = calloc(1, n ? n : 1);
	if (!p)
		oom();
	return p;
}

void *lab_xgrow(void *p, size_t *cap, size_t need, size_t size)
{
	if (need <= *cap)
		return p;
	size_t n = *cap ? *cap : 8;
	while (n < need)
		n *= 2;
	void *q = realloc(p, n * size);
	if (!q)
		oom();
	*cap = n;
	return q;
}

static void buf_vprintf(struct lab_buf *b, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

static void buf_vprintf(struct lab_buf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return;
	b->p = lab_xgrow(b->p, &b->cap, b->len + (size_t)n + 1, 1);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
}

void lab_buf_printf(struct lab_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	buf_vprintf(b, fmt, ap);
	va_end(ap);
}

void lab_buf_puts(struct lab_buf *b, const char *s)
{
	size_t n = strlen(s);
	b->p = lab_xgrow(b->p, &b->cap, b->len + n + 1, 1);
	memcpy(b->p + b->len, s, n + 1);
	b->len += n;
}

void lab_buf_xml(struct lab_buf *b, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': lab_buf_puts(b, "&amp;"); break;
		case '<': lab_buf_puts(b, "&lt;"); break;
		case '>': lab_buf_puts(b, "&gt;"); break;
		case '"': lab_buf_puts(b, "&quot;"); break;
		default: {
			char c[2] = {*s, 0};
			lab_buf_puts(b, c);
		}
		}
	}
}

void lab_buf_free(struct lab_buf *b)
{
	free(b->p);
	*b = (struct lab_buf){0};
}

int lab_write_file(const char *path, const char *head, const struct lab_buf *b)
{
	FILE *f = fopen(path, "w");
	int err = 0;
	if (!f || (head && fputs(head, f) < 0) || fwrite(b->p, 1, b->len, f) != b->len)
		err = -errno;
	if (f && fclose(f) != 0 && !err)
		err = -errno;
	if (err)
		fprintf(stderr, "utcp lab: %s: %s\n", path, strerror(-err));
	return err;
}

char *lab_strf(const char *fmt, ...)
{
	struct lab_buf b = {0};
	va_list ap;
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	if (!b.p)
		b.p = lab_xalloc(1);
	return b.p;
}

const char *lab_ms(utcp_time_us t, char *buf, size_t len)
{
	if (t % 1000 == 0)
		snprintf(buf, len, "%llu", (unsigned long long)(t / 1000));
	else if (t % 100 == 0)
		snprintf(buf, len, "%.1f", t / 1000.0);
	else
		snprintf(buf, len, "%.3f", t / 1000.0);
	return buf;
}

const char *lab_tcol(utcp_time_us t, char *buf, size_t len)
{
	if (t < UTCP_SEC(10))
		return lab_ms(t, buf, len);
	snprintf(buf, len, "%.*f s", t % UTCP_SEC(1) == 0 ? 0 : t % UTCP_MS(100) == 0 ? 1 : 3,
		 t / 1e6);
	return buf;
}

const char *lab_human(utcp_time_us t, char *buf, size_t len)
{
	if (t >= UTCP_SEC(1) && t % UTCP_MS(100) == 0)
		snprintf(buf, len, t % UTCP_SEC(1) ? "%.1f s" : "%.0f s", t / 1e6);
	else if (t >= UTCP_SEC(1))
		snprintf(buf, len, "%.3f s", t / 1e6);
	else
		snprintf(buf, len, "%s ms", lab_ms(t, (char[24]){0}, 24));
	return buf;
}

const char *lab_errname(int err)
{
	static const struct {
		int e;
		const char *name;
	} names[] = {
		{ECONNREFUSED, "ECONNREFUSED"}, {ECONNRESET, "ECONNRESET"},
		{ETIMEDOUT, "ETIMEDOUT"},       {EADDRINUSE, "EADDRINUSE"},
		{EADDRNOTAVAIL, "EADDRNOTAVAIL"}, {EPIPE, "EPIPE"},
		{EAGAIN, "EAGAIN"},             {EINPROGRESS, "EINPROGRESS"},
		{ENOTCONN, "ENOTCONN"},         {EBADF, "EBADF"},
		{EINVAL, "EINVAL"},             {EISCONN, "EISCONN"},
		{EALREADY, "EALREADY"},         {ENOPROTOOPT, "ENOPROTOOPT"},
		{ENOMEM, "ENOMEM"},             {0, "0"},
	};
	if (err < 0)
		err = -err;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].e == err)
			return names[i].name;
	return strerror(err);
}

int lab_fail(const char *lesson, const char *what, int err)
{
	if (err)
		fprintf(stderr, "utcp lab %s: %s: %s (%s)\n", lesson, what, lab_errname(err),
			strerror(err < 0 ? -err : err));
	else
		fprintf(stderr, "utcp lab %s: %s\n", lesson, what);
	return 1;
}

double lab_nice_step(double range, int n)
{
	if (range <= 0)
		return 1;
	double raw = range / n, p = pow(10, floor(log10(raw)));
	double m = raw / p;
	return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
}
