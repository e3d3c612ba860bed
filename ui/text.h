/* Text on the terminal measured in columns, not bytes: a Chinese character
 * takes two columns, so labels, tables and wrapped messages are laid out with
 * wcwidth(). Also the few symbols and lines the screens draw, in UTF-8 or, on
 * a terminal that is not UTF-8 (or with K8SW_ASCII=1), in plain ASCII. */
#ifndef K8SW_UI_TEXT_H
#define K8SW_UI_TEXT_H

#include <curses.h>
#include <stdbool.h>
#include <stddef.h>

/* Decide between UTF-8 and ASCII drawing; after setlocale(). */
void text_init(void);
bool text_utf8(void);

enum text_symbol {
	SYM_ERROR,    /* before an error */
	SYM_WARNING,  /* before a warning */
	SYM_OK,       /* before a success */
	SYM_ELLIPSIS, /* the end of text cut short */
	SYM_UP,       /* more above */
	SYM_DOWN,     /* more below */
	SYM_CURRENT,  /* the current choice in a list */
	SYM_PENDING,  /* a step or phase not reached yet */
	SYM_RUNNING,  /* ...under way */
	SYM_SKIPPED,  /* ...not needed */
	SYM_STOPPED,  /* ...stopped by the operator */
	SYM_BAR_FULL, /* the done part of a progress bar */
	SYM_BAR_EMPTY, /* the rest of it */
};

const char *text_symbol(enum text_symbol s);

/* Columns that s takes; an invalid sequence counts one column per byte. */
int text_width(const char *s);

/* Draw s at y, x in at most width columns, cut short with an ellipsis when
 * it does not fit, then spaces up to width when pad. Returns the columns
 * drawn. Control characters are drawn as '?'. */
int text_draw(WINDOW *win, int y, int x, const char *s, int width, attr_t attr, bool pad);

/* Split s into lines of at most width columns, breaking at blanks, after wide
 * characters, or anywhere when a word is longer than a line. Newlines in s
 * start a new line. Returns the number of lines (at least 1) and, when lines
 * is not NULL, sets *lines to an array of new strings to free with
 * text_lines_free(). */
size_t text_wrap(const char *s, int width, char ***lines);
void text_lines_free(char ***lines, size_t n);

/* Lines and boxes in the terminal's character set. */
void text_hline(WINDOW *win, int y, int x, int n, attr_t attr);
void text_box(WINDOW *win, attr_t attr);

#endif
