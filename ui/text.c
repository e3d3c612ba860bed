/* Column-aware text: widths, cutting, wrapping and drawing of the (possibly
 * wide) strings gettext returns, and the line-drawing characters. */
#include "config.h"

#include "text.h"

#include <langinfo.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "../src/termsafe.h"
#include "../src/xmalloc.h"

static bool utf8;

void text_init(void)
{
	const char *ascii = getenv("K8SW_ASCII");

	utf8 = strcmp(nl_langinfo(CODESET), "UTF-8") == 0 &&
	       (ascii == NULL || strcmp(ascii, "1") != 0);
}

bool text_utf8(void)
{
	return utf8;
}

const char *text_symbol(enum text_symbol s)
{
	static const char *const uni[] = { "✗", "!", "✓", "…", "↑", "↓", "> ",
					   "·", "▸", "–", "■", "█", "░" };
	static const char *const ascii[] = { "x", "!", "+", "~", "^", "v", "> ",
					     ".", ">", "-", "s", "#", "." };

	return utf8 ? uni[s] : ascii[s];
}

/* s as wide characters: a new array of *n characters. A byte that does not
 * start a valid character becomes U+FFFD (or '?'), so nothing is lost in
 * the count of columns. */
static wchar_t *widen(const char *s, size_t *n)
{
	size_t len = strlen(s);
	wchar_t *out = xcalloc(len + 1, sizeof *out);
	mbstate_t st;

	memset(&st, 0, sizeof st);
	*n = 0;
	while (*s != '\0') {
		wchar_t wc = 0;
		size_t k = mbrtowc(&wc, s, strlen(s), &st);

		if (k == (size_t)-1 || k == (size_t)-2 || k == 0) {
			memset(&st, 0, sizeof st);
			wc = '?';
			k = 1;
		}
		out[(*n)++] = wc;
		s += k;
	}
	return out;
}

static int char_width(wchar_t wc)
{
	int w = wcwidth(wc);

	return w < 0 ? 1 : w;
}

int text_width(const char *s)
{
	size_t n = 0;
	wchar_t *w = widen(s, &n);
	int cols = 0;

	for (size_t i = 0; i < n; i++)
		cols += char_width(w[i]);
	free(w);
	return cols;
}

int text_draw(WINDOW *win, int y, int x, const char *s, int width, attr_t attr, bool pad)
{
	size_t n = 0, fit = 0;
	wchar_t *w = widen(s, &n);
	int cols = 0, total = 0;
	const char *ell = text_symbol(SYM_ELLIPSIS);
	int ell_w = text_width(ell);

	if (width <= 0) {
		free(w);
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		/* Control characters (escape sequences, C1, bidi overrides)
		 * from a plan or a host: shown, never sent to the terminal. */
		if (termsafe_is_control((uint32_t)w[i]))
			w[i] = '?';
		total += char_width(w[i]);
	}
	/* Keep what fits; when not everything does, leave room for the
	 * ellipsis. */
	for (fit = 0; fit < n; fit++) {
		int cw = char_width(w[fit]);
		int room = total > width ? width - ell_w : width;

		if (cols + cw > room)
			break;
		cols += cw;
	}
	wattrset(win, (int)attr);
	if (fit > 0)
		mvwaddnwstr(win, y, x, w, (int)fit);
	else
		wmove(win, y, x);
	if (fit < n && cols + ell_w <= width) {
		waddstr(win, ell);
		cols += ell_w;
	}
	while (pad && cols < width) {
		waddch(win, ' ');
		cols++;
	}
	wattrset(win, A_NORMAL);
	free(w);
	return cols;
}

/* Append the characters [from, to) of w to the line list, without
 * trailing blanks. */
static void add_line(char ***lines, size_t *n, const wchar_t *w, size_t from, size_t to)
{
	wchar_t *part = NULL;
	size_t size;
	char *line = NULL;

	while (to > from && w[to - 1] == ' ')
		to--;
	(*n)++;
	if (lines == NULL)
		return;
	part = xcalloc(to - from + 1, sizeof *part);
	memcpy(part, w + from, (to - from) * sizeof *part);
	size = wcstombs(NULL, part, 0);
	if (size == (size_t)-1) {
		line = xstrdup("?");
	} else {
		line = xmalloc(size + 1);
		wcstombs(line, part, size + 1);
	}
	free(part);
	*lines = xreallocarray(*lines, *n, sizeof **lines);
	(*lines)[*n - 1] = line;
}

/* Punctuation that must not start a line of Chinese text. */
static bool no_line_start(wchar_t c)
{
	return c != 0 && wcschr(L"。，、；：？！）」』》〉】”’…", c) != NULL;
}

size_t text_wrap(const char *s, int width, char ***lines)
{
	size_t n = 0, count = 0;
	wchar_t *w = widen(s, &n);
	size_t start = 0, brk_end = 0, brk_next = 0;
	int acc = 0;

	if (lines != NULL)
		*lines = NULL;
	if (width < 2)
		width = 2;
	for (size_t i = 0; i < n; i++) {
		int cw = char_width(w[i]);

		if (w[i] == '\n') {
			add_line(lines, &count, w, start, i);
			start = i + 1;
			acc = 0;
			brk_end = brk_next = 0;
			continue;
		}
		if (acc + cw > width && acc > 0) {
			if (brk_end > start) {
				add_line(lines, &count, w, start, brk_end);
				start = brk_next;
			} else {
				/* No break: cut here, or before the character
				 * a closing mark must stay with. */
				size_t cut = no_line_start(w[i]) && i > start + 1 ? i - 1 : i;

				add_line(lines, &count, w, start, cut);
				start = cut;
			}
			while (start < i && w[start] == ' ')
				start++;
			acc = 0;
			for (size_t j = start; j < i; j++)
				acc += char_width(w[j]);
			brk_end = brk_next = 0;
		}
		if (w[i] == ' ' && i > start) {
			brk_end = i;
			brk_next = i + 1;
		}
		if (w[i] == ' ' && i == start) {
			/* A blank that starts a line is dropped. */
			start++;
			continue;
		}
		acc += cw;
		if (cw == 2 && !(i + 1 < n && no_line_start(w[i + 1]))) {
			/* Chinese text breaks between any two characters,
			 * except before a closing mark. */
			brk_end = i + 1;
			brk_next = i + 1;
		}
	}
	if (start < n || count == 0)
		add_line(lines, &count, w, start, n);
	free(w);
	return count;
}

void text_lines_free(char ***lines, size_t n)
{
	if (*lines == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		free((*lines)[i]);
	xfree(lines);
}

/* One line-drawing character: the Unicode one, or ASCII. */
static void line_char(cchar_t *out, const wchar_t *uni, char ascii, attr_t attr)
{
	wchar_t s[2] = { utf8 ? uni[0] : (wchar_t)ascii, 0 };

	setcchar(out, s, attr & ~A_COLOR, (short)PAIR_NUMBER((int)attr), NULL);
}

void text_hline(WINDOW *win, int y, int x, int n, attr_t attr)
{
	cchar_t c;

	line_char(&c, L"─", '-', attr);
	mvwhline_set(win, y, x, &c, n);
}

void text_box(WINDOW *win, attr_t attr)
{
	cchar_t ls, rs, ts, bs, tl, tr, bl, br;

	line_char(&ls, L"│", '|', attr);
	line_char(&rs, L"│", '|', attr);
	line_char(&ts, L"─", '-', attr);
	line_char(&bs, L"─", '-', attr);
	line_char(&tl, L"┌", '+', attr);
	line_char(&tr, L"┐", '+', attr);
	line_char(&bl, L"└", '+', attr);
	line_char(&br, L"┘", '+', attr);
	wborder_set(win, &ls, &rs, &ts, &bs, &tl, &tr, &bl, &br);
}
