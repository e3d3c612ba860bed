/* A scrolling form of plan values, built from schema paths: a screen says
 * "network.podCIDR" and the form takes the label, the help, the type and the
 * way to edit it from the schema, shows the value, and lists under it the
 * problems plancheck_run() reports at that path. Rows can also be headings,
 * text, table rows of cells (the host list), buttons and links (the review
 * page), and values the schema does not describe one by one (the registry
 * mirrors), which the screen reads and writes through callbacks.
 *
 * Build the rows with the planform_add_* functions (again after anything
 * that changes which rows exist: planform_clear() keeps the focus by
 * position), then hand the form draw and key calls. Tab, Shift-Tab and the
 * arrows move the focus, Enter edits, toggles, picks or activates; while a
 * value is being typed, every key that changes the text stores it in the
 * plan at once, so the problems shown are always those of what is on the
 * screen; Esc puts back the value the edit started from. */
#ifndef K8SW_UI_PLANFORM_H
#define K8SW_UI_PLANFORM_H

#include <stdbool.h>
#include <stddef.h>

#include "theme.h"
#include "wizard.h"

enum pf_cell_kind {
	PFC_VALUE,  /* a value: typed, toggled (booleans) or picked (enums) */
	PFC_TOGGLE, /* one role bit of a host */
	PFC_BUTTON, /* an action, activated with Enter */
	PFC_LINK,   /* a line of text that leads somewhere (a problem) */
};

struct pf_cell {
	enum pf_cell_kind kind;
	char *path;  /* plan path: problems at it belong to this cell */
	bool exact;  /* only problems at path itself, not below it */
	const struct plan_field *field; /* the schema's entry; NULL: a custom value */
	const char *help; /* N_(): help of a custom value or a button */
	char *text;  /* a button's caption (msgid) or a link's text (literal) */
	unsigned bit; /* PFC_TOGGLE */
	int action;  /* for the screen's callbacks */
	size_t index, sub;
	int col;     /* the column of a table row */
	bool disabled;
	/* Where the last draw put it: window row (-1 when scrolled away). */
	int y, x, w, h;
	size_t row;
};

struct planform_ops {
	/* A custom value's text, and storing a typed text into it (see
	 * planedit_set(); the cell's path may be updated when it moves). */
	char *(*get)(void *ctx, struct wizard *w, const struct pf_cell *c);
	int (*set)(void *ctx, struct wizard *w, struct pf_cell *c, const char *text, char **err);
	/* What an empty value means, shown dimmed instead ("22" for a host's
	 * port of 0), or NULL to show "(none)". */
	char *(*shown)(void *ctx, struct wizard *w, const struct pf_cell *c);
	/* Buttons and links: returns UI_* flags. */
	int (*activate)(void *ctx, struct wizard *w, struct pf_cell *c);
};

/* A column of a table: its title (N_()), its least width and whether it
 * takes the room left over. */
struct pf_column {
	const char *title;
	int width;
	bool flex;
};

struct planform;

struct planform *planform_new(const struct planform_ops *ops, void *ctx);
void planform_free(struct planform **pf);

/* Drop every row, to build them again. The focus stays at the same position
 * (clamped); an edit in progress is kept. */
void planform_clear(struct planform *pf);

/* Rows. Texts marked msgid are translated at each draw. */
void planform_add_heading(struct planform *pf, const char *msgid, const char *problems);
void planform_add_text(struct planform *pf, const char *text, bool msgid, enum theme_role role);
void planform_add_blank(struct planform *pf);

/* One schema value (with its help line under it when help), or every value
 * of a section, recursing into subsections under their own headings. */
void planform_add_field(struct planform *pf, const char *path, bool help);
void planform_add_section(struct planform *pf, const char *path, bool help);

/* A custom value with a literal label; returns the cell to fill in index,
 * sub and action. */
struct pf_cell *planform_add_custom(struct planform *pf, const char *label, const char *path,
				    const char *help);

/* A row holding one button. */
struct pf_cell *planform_add_button(struct planform *pf, const char *msgid, int action,
				    const char *help);

/* A link: literal text, wrapped, in role; path is where it leads. */
struct pf_cell *planform_add_link(struct planform *pf, const char *text, enum theme_role role,
				  const char *path);

/* A table: set the columns (and add the row of titles), then add rows of
 * cells. problems is the path whose problems are listed under the row. */
void planform_add_columns(struct planform *pf, const struct pf_column *cols, size_t n);
void planform_add_row(struct planform *pf, const char *problems);
struct pf_cell *planform_add_cell_value(struct planform *pf, int col, const char *path);
struct pf_cell *planform_add_cell_toggle(struct planform *pf, int col, const char *path,
					 unsigned bit);

/* Draw into win (the whole window). */
void planform_draw(struct planform *pf, struct wizard *w, WINDOW *win);

/* Handle a key or click; returns UI_* flags (0: not the form's). */
int planform_key(struct planform *pf, struct wizard *w, const struct ui_event *ev);

/* The keys that apply to the focused cell, for the footer. */
void planform_footer(struct planform *pf, struct footer *f);

/* Focus the cell that shows path (or the nearest that contains it). */
bool planform_focus_path(struct planform *pf, const char *path);

/* Focus a cell by its index in the form, and start editing it. */
void planform_focus_cell(struct planform *pf, const struct pf_cell *c);
void planform_edit(struct planform *pf, struct wizard *w);

/* Finish an edit in progress; false when its text cannot be stored (the
 * edit stays open with the reason shown). */
bool planform_commit(struct planform *pf, struct wizard *w, int *flags);

bool planform_editing(const struct planform *pf);
struct pf_cell *planform_focused(struct planform *pf);

/* The help text of the focused cell (translated), or NULL. */
const char *planform_help(struct planform *pf);

/* Put the terminal cursor in the editor; false when not editing. */
bool planform_cursor(struct planform *pf);

#endif
