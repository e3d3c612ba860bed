/* Dialog boxes on panels. Buttons and lists are ncurses menus; the input
 * line is a lineedit placed inside the box. Everything is laid out again on
 * each draw, so a resize or a language switch needs nothing special. */
#include "config.h"

#include "dialog.h"

#include <limits.h>
#include <menu.h>
#include <panel.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "../src/nls.h"
#include "../src/xmalloc.h"
#include "lineedit.h"
#include "text.h"
#include "theme.h"

struct dialog {
	char *title;
	char *text;
	char **names; /* item names: the menu keeps pointers to them */
	size_t n_items;
	int selected;
	bool vertical;
	struct lineedit *input;
	bool secret;
	char hidden[DIALOG_SECRET_MAX]; /* the secret typed so far */
	size_t hidden_len;
	int scroll; /* first line of text shown, for long help */
	int text_rows;
	int n_lines;

	WINDOW *win;
	PANEL *panel;
	ITEM **items;
	MENU *menu;
	WINDOW *menu_win;
	int menu_y, menu_x; /* where the menu starts in the box */
};

struct dialog *dialog_new(const char *title, const char *text)
{
	struct dialog *d = xcalloc(1, sizeof *d);

	d->title = xstrdup(title);
	d->text = xstrdup(text);
	return d;
}

static void destroy_menu(struct dialog *d)
{
	if (d->menu != NULL) {
		d->selected = item_index(current_item(d->menu));
		unpost_menu(d->menu);
		free_menu(d->menu);
		d->menu = NULL;
	}
	if (d->items != NULL) {
		for (size_t i = 0; i < d->n_items; i++)
			free_item(d->items[i]);
		xfree(&d->items);
	}
	if (d->menu_win != NULL) {
		delwin(d->menu_win);
		d->menu_win = NULL;
	}
}

static void destroy_window(struct dialog *d)
{
	destroy_menu(d);
	if (d->panel != NULL) {
		del_panel(d->panel);
		d->panel = NULL;
	}
	if (d->win != NULL) {
		delwin(d->win);
		d->win = NULL;
	}
}

void dialog_free(struct dialog **pd)
{
	struct dialog *d = *pd;

	if (d == NULL)
		return;
	destroy_window(d);
	lineedit_free(&d->input);
	explicit_bzero(d->hidden, sizeof d->hidden);
	for (size_t i = 0; i < d->n_items; i++)
		free(d->names[i]);
	free(d->names);
	free(d->title);
	free(d->text);
	free(d);
	*pd = NULL;
}

void dialog_set_items(struct dialog *d, const char *const *items, size_t n, int selected,
		      bool vertical)
{
	d->names = xcalloc(n, sizeof *d->names);
	for (size_t i = 0; i < n; i++)
		d->names[i] = xstrdup(items[i]);
	d->n_items = n;
	d->selected = selected >= 0 && (size_t)selected < n ? selected : 0;
	d->vertical = vertical;
}

void dialog_set_input(struct dialog *d, const char *text)
{
	lineedit_free(&d->input);
	d->input = lineedit_new(text);
}

void dialog_set_secret(struct dialog *d)
{
	d->secret = true;
	explicit_bzero(d->hidden, sizeof d->hidden);
	d->hidden_len = 0;
}

bool dialog_is_secret(const struct dialog *d)
{
	return d->secret;
}

void dialog_scroll_end(struct dialog *d)
{
	/* dialog_draw() brings it back to the last page. */
	d->scroll = INT_MAX / 2;
}

/* A key typed into a secret: characters are added, Backspace takes the last
 * one back, ^U all of them. */
static void secret_key(struct dialog *d, const struct ui_event *ev)
{
	char mb[MB_LEN_MAX];
	mbstate_t st;
	size_t n;

	if (ev->type == EV_CHAR) {
		memset(&st, 0, sizeof st);
		n = wcrtomb(mb, ev->ch, &st);
		if (n != (size_t)-1 && d->hidden_len + n < sizeof d->hidden) {
			memcpy(d->hidden + d->hidden_len, mb, n);
			d->hidden_len += n;
			d->hidden[d->hidden_len] = '\0';
		}
		explicit_bzero(mb, sizeof mb);
		return;
	}
	if (ev->type != EV_KEY)
		return;
	if (ev->key == KEY_BACKSPACE || ev->key == 127 || ev->key == 8) {
		/* Back over one whole UTF-8 character. */
		while (d->hidden_len > 0) {
			unsigned char c = (unsigned char)d->hidden[--d->hidden_len];

			d->hidden[d->hidden_len] = '\0';
			if ((c & 0xc0) != 0x80)
				break;
		}
	} else if (ev->key == UI_KEY_CTRL('u')) {
		explicit_bzero(d->hidden, sizeof d->hidden);
		d->hidden_len = 0;
	}
}

/* Columns the menu of items takes: each item is as wide as the widest name
 * plus the mark; side by side they are two columns apart. */
static int items_width(const struct dialog *d)
{
	int w = 0;

	for (size_t i = 0; i < d->n_items; i++) {
		if (text_width(d->names[i]) > w)
			w = text_width(d->names[i]);
	}
	w += text_width(d->vertical ? text_symbol(SYM_CURRENT) : " ");
	return d->vertical ? w : (int)d->n_items * w + ((int)d->n_items - 1) * 2;
}

static void create_menu(struct dialog *d, int y, int x, int rows, int cols)
{
	d->items = xcalloc(d->n_items + 1, sizeof *d->items);
	for (size_t i = 0; i < d->n_items; i++)
		d->items[i] = new_item(d->names[i], "");
	d->menu = new_menu(d->items);
	menu_opts_off(d->menu, O_SHOWDESC);
	set_menu_mark(d->menu, d->vertical ? text_symbol(SYM_CURRENT) : " ");
	if (d->vertical)
		set_menu_format(d->menu, rows, 1);
	else
		set_menu_format(d->menu, 1, (int)d->n_items);
	set_menu_spacing(d->menu, 0, 1, 2);
	set_menu_fore(d->menu, theme_attr(ROLE_DIALOG_FOCUS));
	set_menu_back(d->menu, theme_attr(ROLE_DIALOG));
	set_menu_grey(d->menu, theme_attr(ROLE_DIALOG));
	d->menu_win = derwin(d->win, rows, cols, y, x);
	d->menu_y = y;
	d->menu_x = x;
	set_menu_win(d->menu, d->win);
	set_menu_sub(d->menu, d->menu_win);
	set_current_item(d->menu, d->items[d->selected]);
	post_menu(d->menu);
}

void dialog_draw(struct dialog *d)
{
	char **lines = NULL;
	const char *hint = d->input != NULL ? _("Enter: confirm   Esc: cancel")
			   : d->secret	     ? _("Enter: confirm   Esc: refuse")
			   : d->n_items == 0 ? _("Enter or Esc: close")
					     : NULL;
	int width = text_width(d->title) + 6;
	int height, text_w, rows = 0, y;

	destroy_window(d);
	if (hint != NULL && text_width(hint) + 4 > width)
		width = text_width(hint) + 4;
	if (items_width(d) + 4 > width)
		width = items_width(d) + 4;
	if ((d->input != NULL || d->secret) && width < 64)
		width = 64;
	if (text_width(d->text) + 4 > width)
		width = text_width(d->text) + 4 < 72 ? text_width(d->text) + 4 : 72;
	if (width > COLS - 2)
		width = COLS - 2;
	text_w = width - 4;
	d->n_lines = (int)text_wrap(d->text, text_w, &lines);
	if (d->n_items > 0)
		rows = d->vertical ? (int)d->n_items : 1;
	/* Borders, a blank line, text, a blank line, then the input, the items
	 * or the hint. */
	height = 2 + 1 + d->n_lines + 1 + (d->input != NULL || d->secret ? 2 : 0) +
		 (rows > 0 ? rows : 0) + (hint != NULL ? 1 : 0);
	if (height > LINES - 2) {
		int over = height - (LINES - 2);

		height = LINES - 2;
		/* Long text scrolls; a long list keeps at least three rows. */
		if (rows > 3 && over > 0) {
			int cut = rows - 3 < over ? rows - 3 : over;

			rows -= cut;
			over -= cut;
		}
		d->text_rows = d->n_lines - over;
	} else {
		d->text_rows = d->n_lines;
	}
	if (d->text_rows < 1)
		d->text_rows = 1;
	if (d->scroll > d->n_lines - d->text_rows)
		d->scroll = d->n_lines - d->text_rows;
	if (d->scroll < 0)
		d->scroll = 0;

	d->win = newwin(height, width, (LINES - height) / 2, (COLS - width) / 2);
	if (d->win == NULL) {
		text_lines_free(&lines, (size_t)d->n_lines);
		return;
	}
	d->panel = new_panel(d->win);
	wbkgd(d->win, ' ' | theme_attr(ROLE_DIALOG));
	werase(d->win);
	text_box(d->win, theme_attr(ROLE_DIALOG));
	text_draw(d->win, 0, 2, " ", 1, theme_attr(ROLE_DIALOG), false);
	text_draw(d->win, 0, 3, d->title, width - 6, theme_attr(ROLE_DIALOG_TITLE), false);
	text_draw(d->win, 0, 3 + text_width(d->title) < width - 2 ? 3 + text_width(d->title)
								 : width - 2,
		  " ", 1, theme_attr(ROLE_DIALOG), false);
	for (int i = 0; i < d->text_rows; i++)
		text_draw(d->win, 2 + i, 2, lines[d->scroll + i], text_w, theme_attr(ROLE_DIALOG),
			  false);
	if (d->scroll > 0)
		text_draw(d->win, 1, width - 3, text_symbol(SYM_UP), 1, theme_attr(ROLE_DIALOG),
			  false);
	if (d->scroll + d->text_rows < d->n_lines)
		text_draw(d->win, 2 + d->text_rows, width - 3, text_symbol(SYM_DOWN), 1,
			  theme_attr(ROLE_DIALOG), false);
	text_lines_free(&lines, (size_t)d->n_lines);
	y = 2 + d->text_rows + 1;
	if (d->input != NULL) {
		lineedit_place(d->input, (LINES - height) / 2 + y, (COLS - width) / 2 + 2, text_w);
		y += 2;
	} else if (d->secret) {
		/* Where it is typed, and that it is not shown: nothing of it. */
		text_draw(d->win, y, 2, _("(typing is not shown)"), text_w,
			  theme_attr(ROLE_DIALOG), false);
		y += 2;
	}
	if (rows > 0) {
		int cols = items_width(d);

		if (cols > text_w)
			cols = text_w;
		create_menu(d, y, d->vertical ? 2 : (width - cols) / 2, rows, cols);
		y += rows;
	}
	if (hint != NULL)
		text_draw(d->win, y, width - 2 - text_width(hint), hint, text_width(hint),
			  theme_attr(ROLE_DIALOG), false);
}

/* The item under a click at screen y, x, or -1. */
static int item_at(struct dialog *d, int y, int x)
{
	int wy, wx, rows = 0, cols = 0;

	if (d->menu == NULL)
		return -1;
	getbegyx(d->menu_win, wy, wx);
	getmaxyx(d->menu_win, rows, cols);
	y -= wy;
	x -= wx;
	if (y < 0 || x < 0 || x >= cols || y >= rows)
		return -1;
	if (d->vertical)
		return top_row(d->menu) + y < (int)d->n_items ? top_row(d->menu) + y : -1;
	if (y != 0)
		return -1;
	/* Side by side, every item is as wide as the widest, plus spacing. */
	return x * (int)d->n_items / (cols + 2);
}

bool dialog_key(struct dialog *d, const struct ui_event *ev, int *choice)
{
	*choice = -1;
	if (ev->type == EV_KEY && ev->key == UI_KEY_ESC)
		return true;
	if (ev->type == EV_CLICK) {
		int i = item_at(d, ev->y, ev->x);

		if (i >= 0) {
			*choice = i;
			return true;
		}
		return false;
	}
	if (d->secret) {
		if (ev->type == EV_KEY && (ev->key == UI_KEY_ENTER || ev->key == KEY_ENTER)) {
			*choice = 0;
			return true;
		}
		secret_key(d, ev);
		return false;
	}
	if (d->input != NULL) {
		if (ev->type == EV_KEY && (ev->key == UI_KEY_ENTER || ev->key == KEY_ENTER)) {
			*choice = 0;
			return true;
		}
		lineedit_key(d->input, ev);
		return false;
	}
	if (ev->type == EV_SCROLL || (ev->type == EV_KEY && (ev->key == KEY_UP || ev->key == KEY_DOWN) &&
				      d->n_items == 0)) {
		d->scroll += ev->type == EV_SCROLL ? ev->delta : ev->key == KEY_UP ? -1 : 1;
		return false;
	}
	if (d->menu == NULL) {
		/* A message: any key that is not a scroll closes it. */
		*choice = 0;
		return ev->type == EV_KEY || ev->type == EV_CHAR;
	}
	if (ev->type != EV_KEY)
		return false;
	switch (ev->key) {
	case UI_KEY_ENTER:
	case KEY_ENTER:
		*choice = item_index(current_item(d->menu));
		return true;
	case KEY_LEFT:
	case KEY_BTAB:
		menu_driver(d->menu, d->vertical ? REQ_UP_ITEM : REQ_LEFT_ITEM);
		break;
	case KEY_RIGHT:
	case UI_KEY_TAB:
		menu_driver(d->menu, d->vertical ? REQ_DOWN_ITEM : REQ_RIGHT_ITEM);
		break;
	case KEY_UP:
		menu_driver(d->menu, REQ_UP_ITEM);
		break;
	case KEY_DOWN:
		menu_driver(d->menu, REQ_DOWN_ITEM);
		break;
	case KEY_HOME:
		menu_driver(d->menu, REQ_FIRST_ITEM);
		break;
	case KEY_END:
		menu_driver(d->menu, REQ_LAST_ITEM);
		break;
	default:
		break;
	}
	d->selected = item_index(current_item(d->menu));
	return false;
}

const char *dialog_input(struct dialog *d)
{
	if (d->secret)
		return d->hidden;
	return d->input != NULL ? lineedit_text(d->input) : NULL;
}

bool dialog_cursor(struct dialog *d)
{
	if (d->input == NULL)
		return false;
	lineedit_cursor(d->input);
	return true;
}
