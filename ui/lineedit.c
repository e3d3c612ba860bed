/* The line editor: ncurses' form library does the editing (insertion,
 * deletion, horizontal scrolling, wide characters); this file gives it a
 * window and a panel and maps our keys onto its requests. */
#include "config.h"

#include "lineedit.h"

#include <form.h>
#include <panel.h>
#include <stdlib.h>
#include <string.h>

#include "../src/xmalloc.h"
#include "theme.h"

struct lineedit {
	char *text; /* the text while no form exists, and the last one read */
	FIELD *fields[2];
	FORM *form;
	WINDOW *win;
	PANEL *panel;
	int width;
};

struct lineedit *lineedit_new(const char *text)
{
	struct lineedit *e = xcalloc(1, sizeof *e);

	e->text = xstrdup(text);
	return e;
}

/* Take the text out of the form before it goes away. */
static void sync_text(struct lineedit *e)
{
	if (e->form == NULL)
		return;
	lineedit_text(e);
}

static void destroy_form(struct lineedit *e)
{
	sync_text(e);
	if (e->form != NULL) {
		unpost_form(e->form);
		free_form(e->form);
		e->form = NULL;
	}
	if (e->fields[0] != NULL) {
		free_field(e->fields[0]);
		e->fields[0] = NULL;
	}
	if (e->panel != NULL) {
		del_panel(e->panel);
		e->panel = NULL;
	}
	if (e->win != NULL) {
		delwin(e->win);
		e->win = NULL;
	}
	e->width = 0;
}

void lineedit_free(struct lineedit **pe)
{
	struct lineedit *e = *pe;

	if (e == NULL)
		return;
	destroy_form(e);
	free(e->text);
	free(e);
	*pe = NULL;
}

static void create_form(struct lineedit *e, int y, int x, int width)
{
	e->win = newwin(1, width, y, x);
	if (e->win == NULL)
		return;
	e->panel = new_panel(e->win);
	e->fields[0] = new_field(1, width, 0, 0, 0, 0);
	e->fields[1] = NULL;
	/* A dynamic field scrolls sideways for text longer than the window;
	 * O_BLANK would wipe the text at the first key typed. */
	field_opts_off(e->fields[0], O_STATIC | O_AUTOSKIP | O_BLANK);
	set_max_field(e->fields[0], 0);
	set_field_back(e->fields[0], theme_attr(ROLE_EDIT));
	set_field_fore(e->fields[0], theme_attr(ROLE_EDIT));
	wbkgdset(e->win, ' ' | theme_attr(ROLE_EDIT));
	werase(e->win);
	set_field_buffer(e->fields[0], 0, e->text);
	e->form = new_form(e->fields);
	set_form_win(e->form, e->win);
	set_form_sub(e->form, e->win);
	post_form(e->form);
	form_driver(e->form, REQ_END_LINE);
	e->width = width;
}

void lineedit_place(struct lineedit *e, int y, int x, int width)
{
	if (width < 1)
		width = 1;
	if (e->form != NULL && e->width != width)
		destroy_form(e);
	if (e->form == NULL) {
		create_form(e, y, x, width);
		return;
	}
	move_panel(e->panel, y, x);
	show_panel(e->panel);
	top_panel(e->panel);
}

void lineedit_hide(struct lineedit *e)
{
	if (e->panel != NULL)
		hide_panel(e->panel);
}

int lineedit_key(struct lineedit *e, const struct ui_event *ev)
{
	int req = 0;

	if (e->form == NULL)
		return 0;
	if (ev->type == EV_CHAR) {
		form_driver_w(e->form, OK, ev->ch);
		return LINEEDIT_CHANGED;
	}
	if (ev->type != EV_KEY)
		return 0;
	switch (ev->key) {
	case KEY_LEFT:
		req = REQ_PREV_CHAR;
		break;
	case KEY_RIGHT:
		req = REQ_NEXT_CHAR;
		break;
	case KEY_HOME:
	case UI_KEY_CTRL('a'):
		req = REQ_BEG_LINE;
		break;
	case KEY_END:
	case UI_KEY_CTRL('e'):
		req = REQ_END_LINE;
		break;
	case KEY_BACKSPACE:
	case 127:
	case UI_KEY_CTRL('h'):
		form_driver(e->form, REQ_DEL_PREV);
		return LINEEDIT_CHANGED;
	case KEY_DC:
	case UI_KEY_CTRL('d'):
		form_driver(e->form, REQ_DEL_CHAR);
		return LINEEDIT_CHANGED;
	case UI_KEY_CTRL('u'):
		form_driver(e->form, REQ_CLR_FIELD);
		return LINEEDIT_CHANGED;
	case UI_KEY_CTRL('k'):
		form_driver(e->form, REQ_CLR_EOL);
		return LINEEDIT_CHANGED;
	default:
		return 0;
	}
	form_driver(e->form, req);
	return LINEEDIT_MOVED;
}

const char *lineedit_text(struct lineedit *e)
{
	const char *buf = NULL;
	size_t len;

	if (e->form == NULL)
		return e->text;
	/* REQ_VALIDATION copies what is on screen into the field's buffer. */
	form_driver(e->form, REQ_VALIDATION);
	buf = field_buffer(e->fields[0], 0);
	if (buf == NULL)
		return e->text;
	len = strlen(buf);
	while (len > 0 && buf[len - 1] == ' ')
		len--;
	free(e->text);
	e->text = xstrndup(buf, len);
	return e->text;
}

void lineedit_cursor(struct lineedit *e)
{
	if (e->form != NULL)
		pos_form_cursor(e->form);
}
