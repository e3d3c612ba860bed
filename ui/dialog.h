/* Dialogs: a box on a panel above the screens, with a title, wrapped text
 * and either nothing more (a message), a row of buttons or a list to pick
 * from (an ncurses menu), or a line to type in. The screen manager owns the
 * one open dialog, passes it keys and reports the answer. */
#ifndef K8SW_UI_DIALOG_H
#define K8SW_UI_DIALOG_H

#include <stdbool.h>
#include <stddef.h>

#include "wizard.h"

struct dialog;

/* title and text are copied (already translated). */
struct dialog *dialog_new(const char *title, const char *text);
void dialog_free(struct dialog **d);

/* Buttons side by side, or a vertical list; selected is the initial one. */
void dialog_set_items(struct dialog *d, const char *const *items, size_t n, int selected,
		      bool vertical);

/* A line to type in, starting with text. */
void dialog_set_input(struct dialog *d, const char *text);

/* The longest secret a dialog takes, with its NUL. */
#define DIALOG_SECRET_MAX 1024

/* A secret to type in (a passphrase, a password): nothing of it is drawn,
 * not even its length; it is kept in the dialog only, and wiped when the
 * dialog is freed. dialog_input() returns it. */
void dialog_set_secret(struct dialog *d);
bool dialog_is_secret(const struct dialog *d);

/* Show the end of a long text first (a log). */
void dialog_scroll_end(struct dialog *d);

/* Draw the dialog centered on the terminal (again after a resize). */
void dialog_draw(struct dialog *d);

/* Give the dialog a key. Returns true when it is answered: *choice is the
 * item chosen (0 for a message or an input confirmed with Enter), or -1 when
 * the operator cancelled with Esc. */
bool dialog_key(struct dialog *d, const struct ui_event *ev, int *choice);

/* The typed line of an input dialog. */
const char *dialog_input(struct dialog *d);

/* Place the terminal cursor for an input; false when the dialog has none. */
bool dialog_cursor(struct dialog *d);

#endif
