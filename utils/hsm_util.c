// SPDX-License-Identifier: MIT
/*
 * hsm: messages and the progress bar.
 */
#include "hsm.h"

/* ---- messages ---- */

__attribute__((format(printf, 2, 3)))
void warnx(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, PROG ": %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* a key or name for a message: printable, bounded */
const char *esc(const char *s, size_t len, char *out, size_t cap)
{
	size_t o = 0;

	for (size_t i = 0; i < len && o + 8 < cap; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch >= 0x20 && ch < 0x7f && ch != '\\')
			out[o++] = (char)ch;
		else
			o += (size_t)snprintf(out + o, cap - o, "\\x%02x", ch);
		if (i + 1 < len && o + 8 >= cap && o + 4 <= cap) {
			memcpy(out + o, "...", 3);
			o += 3;
		}
	}
	out[o] = '\0';
	return out;
}

int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const char *human(uint64_t b, char *buf, size_t len)
{
	static const char *u[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
	double v = (double)b;
	int i = 0;

	while (v >= 1024 && i < 5) {
		v /= 1024;
		i++;
	}
	snprintf(buf, len, i ? "%.1f %s" : "%.0f %s", v, u[i]);
	return buf;
}

/* ---- progress bar (only on a terminal) ---- */

void progress_init(struct progress *p, const char *what,
		   uint64_t total, bool bytes)
{
	memset(p, 0, sizeof(*p));
	p->what = what;
	p->total = total;
	p->bytes = bytes;
	p->tty = isatty(1);
}

void progress_show(struct progress *p, bool final)
{
	char bar[31], a[32], b[32];
	uint64_t d = atomic_load(&p->done);
	int pct = p->total ? (int)(d * 100 / p->total) : 100;
	int n = pct * 30 / 100;
	int64_t t = now_ms();

	if (!p->tty || (!final && t - p->last < 100))
		return;
	p->last = t;
	for (int i = 0; i < 30; i++)
		bar[i] = i < n ? '#' : '.';
	bar[30] = '\0';
	if (p->bytes)
		printf("\r%s [%s] %3d%% %s of %s   ", p->what, bar, pct,
		       human(d, a, sizeof(a)), human(p->total, b, sizeof(b)));
	else
		printf("\r%s [%s] %3d%% %" PRIu64 "/%" PRIu64 "   ", p->what,
		       bar, pct, d, p->total);
	if (final)
		printf("\n");
	fflush(stdout);
	p->shown = true;
}
