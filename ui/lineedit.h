/* A one-line text editor for a value being typed: an ncurses form of one
 * field in a window of its own, on a panel above the screen it edits, so
 * that the screen can be redrawn (or the language or terminal size change)
 * without disturbing the text or the cursor. */
#ifndef K8SW_UI_LINEEDIT_H
#define K8SW_UI_LINEEDIT_H

#include "wizard.h"

struct lineedit;

/* An editor holding text, not yet shown. */
struct lineedit *lineedit_new(const char *text);
void lineedit_free(struct lineedit **e);

/* Show it at y, x of the terminal, width columns wide, above every panel
 * shown so far. Moving keeps the cursor; another width puts the cursor at
 * the end of the text. */
void lineedit_place(struct lineedit *e, int y, int x, int width);
void lineedit_hide(struct lineedit *e);

/* Editing keys: characters, Left, Right, Home, End (or ^A, ^E), Backspace,
 * Delete, ^U (clear the whole line) and ^K (clear to the end). Returns
 * LINEEDIT_CHANGED when the text changed, LINEEDIT_MOVED when only the
 * cursor did, 0 for a key that is not the editor's (Enter, Tab, Esc and
 * function keys are left to the caller). */
enum { LINEEDIT_MOVED = 1, LINEEDIT_CHANGED = 2 };
int lineedit_key(struct lineedit *e, const struct ui_event *ev);

/* The text, without the field's padding. Valid until the next call. */
const char *lineedit_text(struct lineedit *e);

/* Put the terminal cursor where the editor's is; call just before
 * update_panels(). */
void lineedit_cursor(struct lineedit *e);

#endif
