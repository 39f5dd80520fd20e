/* HTTP/1.1 head parsing shared by the server and the client (RFC 9112). */
#include "app/http.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

size_t http_head_len(const char *p, size_t len)
{
	/* RFC 9112 2.2: a recipient MAY take a bare LF as the line end. */
	for (size_t i = 0; i + 1 < len; i++) {
		if (p[i] != '\n')
			continue;
		if (p[i + 1] == '\n')
			return i + 2;
		if (i + 2 < len && p[i + 1] == '\r' && p[i + 2] == '\n')
			return i + 3;
	}
	return 0;
}

bool http_field(const char *head, size_t len, const char *name, char *out, size_t cap)
{
	size_t nlen = strlen(name);
	const char *end = head + len;
	const char *line = memchr(head, '\n', len); /* skip the start line */
	while (line && ++line < end) {
		const char *eol = memchr(line, '\n', (size_t)(end - line));
		if (!eol)
			eol = end;
		if ((size_t)(eol - line) > nlen && line[nlen] == ':' &&
		    strncasecmp(line, name, nlen) == 0) {
			const char *v = line + nlen + 1, *ve = eol;
			while (v < ve && (*v == ' ' || *v == '\t'))
				v++;
			while (ve > v && (ve[-1] == '\r' || ve[-1] == ' ' || ve[-1] == '\t'))
				ve--;
			size_t n = (size_t)(ve - v) < cap - 1 ? (size_t)(ve - v) : cap - 1;
			memcpy(out, v, n);
			out[n] = 0;
			return true;
		}
		line = eol;
	}
	return false;
}

bool http_has_token(const char *value, const char *token)
{
	size_t tlen = strlen(token);
	const char *p = value;
	while (*p) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		const char *start = p;
		while (*p && *p != ',')
			p++;
		const char *e = p;
		while (e > start && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		if ((size_t)(e - start) == tlen && strncasecmp(start, token, tlen) == 0)
			return true;
	}
	return false;
}

int http_parse_length(const char *value, uint64_t *out)
{
	uint64_t v = 0;
	if (!*value)
		return -1;
	for (const char *p = value; *p; p++) {
		if (!isdigit((unsigned char)*p) || v > (UINT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	*out = v;
	return 0;
}
