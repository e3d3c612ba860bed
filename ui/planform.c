/* The form the plan screens are made of: rows built from schema paths, laid
 * out by display width, scrolled to keep the focus in view, with the
 * problems of each value listed under it. Editing goes through planedit, so
 * the form itself knows no rule about any value. */
#include "config.h"

#include "planform.h"

#include <stdlib.h>
#include <string.h>

#include "../src/nls.h"
#include "../src/planedit.h"
#include "../src/xmalloc.h"
#include "lineedit.h"
#include "text.h"

#define PF_MAX_COLS 10
/* The left margin, and how far values and help sit from their labels. */
#define PF_MARGIN 1
#define PF_GAP 2
/* A table's flexible column grows to this at most: an IPv6 address. */
#define PF_FLEX_MAX 40

enum pf_row_kind {
	PFR_HEADING,
	PFR_TEXT,
	PFR_BLANK,
	PFR_FIELD,
	PFR_COLUMNS,
	PFR_CELLS,
	PFR_BUTTON,
	PFR_LINK,
};

struct pf_row {
	enum pf_row_kind kind;
	char *text;
	bool msgid;
	int level; /* PFR_HEADING: 0 for a section, 1 for a subsection */
	enum theme_role role;
	char *problems; /* path whose problems are listed under the row */
	bool problems_exact;
	bool help;
	size_t first, n; /* its cells */
	int vy, h;       /* where the last layout put it, in form lines */
};

struct planform {
	const struct planform_ops *ops;
	void *ctx;
	struct pf_row *rows;
	size_t n_rows;
	struct pf_cell *cells;
	size_t n_cells;
	struct pf_column cols[PF_MAX_COLS];
	int col_x[PF_MAX_COLS], col_w[PF_MAX_COLS];
	size_t n_cols;

	size_t focus;
	int top;     /* first form line in view */
	bool follow; /* scroll to the focus at the next draw */
	int label_w;
	int total_h;
	int win_y, win_x; /* the window's origin on the terminal */

	struct lineedit *edit;
	size_t edit_cell;
	char *edit_orig;
	char *edit_err;
};

/* A message under a row. */
struct pf_note {
	enum theme_role role;
	const char *text;
};

struct planform *planform_new(const struct planform_ops *ops, void *ctx)
{
	struct planform *pf = xcalloc(1, sizeof *pf);

	pf->ops = ops;
	pf->ctx = ctx;
	pf->follow = true;
	return pf;
}

static void stop_edit(struct planform *pf)
{
	lineedit_free(&pf->edit);
	xfree(&pf->edit_orig);
	xfree(&pf->edit_err);
}

void planform_clear(struct planform *pf)
{
	for (size_t i = 0; i < pf->n_rows; i++) {
		free(pf->rows[i].text);
		free(pf->rows[i].problems);
	}
	for (size_t i = 0; i < pf->n_cells; i++) {
		free(pf->cells[i].path);
		free(pf->cells[i].text);
	}
	xfree(&pf->rows);
	xfree(&pf->cells);
	pf->n_rows = pf->n_cells = pf->n_cols = 0;
}

void planform_free(struct planform **ppf)
{
	struct planform *pf = *ppf;

	if (pf == NULL)
		return;
	stop_edit(pf);
	planform_clear(pf);
	free(pf);
	*ppf = NULL;
}

static struct pf_row *add_row(struct planform *pf, enum pf_row_kind kind, const char *text,
			      bool msgid)
{
	struct pf_row *r = NULL;

	pf->rows = xreallocarray(pf->rows, pf->n_rows + 1, sizeof *pf->rows);
	r = &pf->rows[pf->n_rows++];
	memset(r, 0, sizeof *r);
	r->kind = kind;
	r->text = text != NULL ? xstrdup(text) : NULL;
	r->msgid = msgid;
	r->role = ROLE_NORMAL;
	r->first = pf->n_cells;
	return r;
}

static struct pf_cell *add_cell(struct planform *pf, enum pf_cell_kind kind, const char *path)
{
	struct pf_cell *c = NULL;

	pf->cells = xreallocarray(pf->cells, pf->n_cells + 1, sizeof *pf->cells);
	c = &pf->cells[pf->n_cells++];
	memset(c, 0, sizeof *c);
	c->kind = kind;
	c->path = xstrdup(path != NULL ? path : "");
	c->row = pf->n_rows - 1;
	c->y = -1;
	pf->rows[pf->n_rows - 1].n++;
	return c;
}

/* The schema entry of a path, host fields ("hosts[2].name") included. */
static const struct plan_field *schema_lookup(const char *path)
{
	if (strncmp(path, "hosts[", 6) == 0) {
		const char *dot = strchr(path, '.');

		if (dot == NULL)
			return NULL;
		for (const struct plan_field *f = plan_host_schema(); f->key != NULL; f++) {
			if (strcmp(f->key, dot + 1) == 0)
				return f;
		}
		return NULL;
	}
	return plan_schema_find(path);
}

void planform_add_heading(struct planform *pf, const char *msgid, const char *problems)
{
	struct pf_row *r = add_row(pf, PFR_HEADING, msgid, true);

	r->problems = problems != NULL ? xstrdup(problems) : NULL;
	r->problems_exact = true;
}

void planform_add_text(struct planform *pf, const char *text, bool msgid, enum theme_role role)
{
	add_row(pf, PFR_TEXT, text, msgid)->role = role;
}

void planform_add_blank(struct planform *pf)
{
	add_row(pf, PFR_BLANK, NULL, false);
}

void planform_add_field(struct planform *pf, const char *path, bool help)
{
	const struct plan_field *f = schema_lookup(path);
	struct pf_row *r = NULL;
	struct pf_cell *c = NULL;

	if (f == NULL)
		return;
	r = add_row(pf, PFR_FIELD, f->label, true);
	r->help = help;
	c = add_cell(pf, PFC_VALUE, path);
	c->field = f;
}

void planform_add_section(struct planform *pf, const char *path, bool help)
{
	const struct plan_field *s = plan_schema_find(path);
	size_t n = 0;

	if (s == NULL || s->type != PT_SECTION)
		return;
	for (const struct plan_field *f = s->fields; f->key != NULL; f++)
		n++;
	for (const struct plan_field *f = s->fields; f->key != NULL; f++) {
		char *sub = xasprintf("%s.%s", path, f->key);

		if (f->type == PT_SECTION) {
			size_t m = 0;

			for (const struct plan_field *g = f->fields; g->key != NULL; g++)
				m++;
			/* A subsection of one value ("calico.enabled") needs
			 * no heading of its own: the value's label says it. */
			if (m > 1) {
				struct pf_row *r = add_row(pf, PFR_HEADING, f->label, true);

				r->level = 1;
			}
			planform_add_section(pf, sub, help);
		} else if (f->type != PT_HOSTS && f->type != PT_MIRRORS) {
			planform_add_field(pf, sub, help);
		}
		free(sub);
	}
}

struct pf_cell *planform_add_custom(struct planform *pf, const char *label, const char *path,
				    const char *help)
{
	struct pf_cell *c = NULL;

	add_row(pf, PFR_FIELD, label, false);
	c = add_cell(pf, PFC_VALUE, path);
	c->exact = true;
	c->help = help;
	return c;
}

struct pf_cell *planform_add_button(struct planform *pf, const char *msgid, int action,
				    const char *help)
{
	struct pf_cell *c = NULL;

	add_row(pf, PFR_BUTTON, NULL, false);
	c = add_cell(pf, PFC_BUTTON, NULL);
	c->text = xstrdup(msgid);
	c->action = action;
	c->help = help;
	return c;
}

struct pf_cell *planform_add_link(struct planform *pf, const char *text, enum theme_role role,
				  const char *path)
{
	struct pf_cell *c = NULL;

	add_row(pf, PFR_LINK, NULL, false)->role = role;
	c = add_cell(pf, PFC_LINK, path);
	c->text = xstrdup(text);
	return c;
}

void planform_add_columns(struct planform *pf, const struct pf_column *cols, size_t n)
{
	pf->n_cols = n < PF_MAX_COLS ? n : PF_MAX_COLS;
	memcpy(pf->cols, cols, pf->n_cols * sizeof *cols);
	add_row(pf, PFR_COLUMNS, NULL, false);
}

void planform_add_row(struct planform *pf, const char *problems)
{
	struct pf_row *r = add_row(pf, PFR_CELLS, NULL, false);

	r->problems = problems != NULL ? xstrdup(problems) : NULL;
}

struct pf_cell *planform_add_cell_value(struct planform *pf, int col, const char *path)
{
	struct pf_cell *c = add_cell(pf, PFC_VALUE, path);

	c->field = schema_lookup(path);
	c->col = col;
	return c;
}

struct pf_cell *planform_add_cell_toggle(struct planform *pf, int col, const char *path,
					 unsigned bit)
{
	struct pf_cell *c = add_cell(pf, PFC_TOGGLE, path);

	c->field = schema_lookup(path);
	c->col = col;
	c->bit = bit;
	return c;
}

/* Values. */

/* The stored text of a value cell: a new string. */
static char *value_text(struct planform *pf, struct wizard *w, const struct pf_cell *c)
{
	const struct plan_field *f = NULL;
	void *base = NULL;

	if (c->field == NULL)
		return pf->ops->get != NULL ? pf->ops->get(pf->ctx, w, c) : xstrdup("");
	base = planedit_resolve(w->plan, c->path, &f);
	return base != NULL ? planedit_get(base, f) : xstrdup("");
}

/* Store text in a value cell. Returns 0, or -1 with *err set. */
static int value_set(struct planform *pf, struct wizard *w, struct pf_cell *c, const char *text,
		     char **err)
{
	const struct plan_field *f = NULL;
	void *base = NULL;

	*err = NULL;
	if (c->field == NULL) {
		if (pf->ops->set == NULL) {
			*err = xstrdup(_("this value cannot be changed here"));
			return -1;
		}
		return pf->ops->set(pf->ctx, w, c, text, err);
	}
	base = planedit_resolve(w->plan, c->path, &f);
	if (base == NULL) {
		*err = xstrdup(_("this value cannot be changed here"));
		return -1;
	}
	return planedit_set(base, f, text, err);
}

static unsigned *roles_ptr(struct wizard *w, const struct pf_cell *c)
{
	const struct plan_field *f = NULL;
	void *base = planedit_resolve(w->plan, c->path, &f);

	return base != NULL && f->type == PT_ROLES ? plan_field_ptr(base, f) : NULL;
}

/* What a value cell shows: a new string, *dim when it is a stand-in for an
 * empty value. */
static char *shown_text(struct planform *pf, struct wizard *w, const struct pf_cell *c,
			bool *dim)
{
	char *text = NULL;

	*dim = false;
	if (c->kind == PFC_TOGGLE) {
		unsigned *roles = roles_ptr(w, c);

		return xstrdup(roles != NULL && (*roles & c->bit) ? "[x]" : "[ ]");
	}
	if (c->kind == PFC_BUTTON)
		return xasprintf("[ %s ]", _(c->text));
	if (c->kind == PFC_LINK)
		return xstrdup(c->text);
	text = value_text(pf, w, c);
	if (c->field != NULL && c->field->type == PT_BOOL) {
		char *box = xstrdup(strcmp(text, "true") == 0 ? "[x]" : "[ ]");

		free(text);
		return box;
	}
	if (*text == '\0' || (c->field != NULL && c->field->type == PT_UINT &&
			      strcmp(text, "0") == 0 && c->field->min == 0)) {
		char *instead = pf->ops->shown != NULL ? pf->ops->shown(pf->ctx, w, c) : NULL;

		if (instead != NULL || *text == '\0') {
			free(text);
			*dim = true;
			return instead != NULL ? instead : xstrdup(_("(none)"));
		}
	}
	return text;
}

/* Problems. */

static bool cell_matches(const struct pf_cell *c, const struct problem *p)
{
	return *c->path != '\0' && problems_match(p, c->path, c->exact);
}

/* The role a cell is drawn in when it has problems: errors first. */
static enum theme_role cell_severity(struct wizard *w, const struct pf_cell *c)
{
	enum theme_role role = ROLE_COUNT;

	if (c->kind == PFC_LINK || c->kind == PFC_BUTTON)
		return role;
	for (size_t i = 0; i < w->problems.n; i++) {
		if (!cell_matches(c, &w->problems.v[i]))
			continue;
		if (w->problems.v[i].severity == PROBLEM_ERROR)
			return ROLE_ERROR;
		role = ROLE_WARNING;
	}
	return role;
}

/* The messages listed under a row: the edit's own, then the problems. */
static size_t row_notes(struct planform *pf, struct wizard *w, const struct pf_row *r,
			struct pf_note *notes, size_t max)
{
	size_t n = 0;

	if (pf->edit != NULL && pf->edit_err != NULL && pf->cells[pf->edit_cell].row ==
	    (size_t)(r - pf->rows) && n < max)
		notes[n++] = (struct pf_note){ ROLE_ERROR, pf->edit_err };
	for (size_t i = 0; i < w->problems.n && n < max; i++) {
		const struct problem *p = &w->problems.v[i];
		bool match = false;

		if (r->problems != NULL)
			match = problems_match(p, r->problems, r->problems_exact);
		if (r->kind == PFR_FIELD || r->kind == PFR_BUTTON) {
			for (size_t j = r->first; j < r->first + r->n && !match; j++)
				match = cell_matches(&pf->cells[j], p);
		}
		if (match)
			notes[n++] = (struct pf_note){
				p->severity == PROBLEM_ERROR ? ROLE_ERROR : ROLE_WARNING, p->message
			};
	}
	return n;
}

#define PF_MAX_NOTES 8

/* Lines the notes of a row take at width. */
static int notes_height(struct planform *pf, struct wizard *w, const struct pf_row *r, int width)
{
	struct pf_note notes[PF_MAX_NOTES];
	size_t n = row_notes(pf, w, r, notes, PF_MAX_NOTES);
	int h = 0;

	for (size_t i = 0; i < n; i++)
		h += (int)text_wrap(notes[i].text, width - 2, NULL);
	return h;
}

/* Layout. */

static const char *row_text(const struct pf_row *r)
{
	return r->text == NULL ? "" : r->msgid ? _(r->text) : r->text;
}

static const char *field_help(const struct pf_cell *c)
{
	if (c->field != NULL && c->field->help != NULL)
		return _(c->field->help);
	return c->help != NULL ? _(c->help) : NULL;
}

static void layout_columns(struct planform *pf, int width)
{
	int used = PF_MARGIN + 1, flex = -1;

	for (size_t i = 0; i < pf->n_cols; i++) {
		int tw = text_width(_(pf->cols[i].title));

		pf->col_w[i] = tw > pf->cols[i].width ? tw : pf->cols[i].width;
		used += pf->col_w[i] + (i > 0 ? PF_GAP : 0);
		if (pf->cols[i].flex && flex < 0)
			flex = (int)i;
	}
	if (flex >= 0 && used < width - 1) {
		pf->col_w[flex] += width - 1 - used;
		if (pf->col_w[flex] > PF_FLEX_MAX && pf->cols[flex].width <= PF_FLEX_MAX)
			pf->col_w[flex] = PF_FLEX_MAX;
	}
	for (size_t i = 0, x = PF_MARGIN + 1; i < pf->n_cols; i++) {
		pf->col_x[i] = (int)x;
		x += (size_t)pf->col_w[i] + PF_GAP;
	}
}

static void layout(struct planform *pf, struct wizard *w, int width)
{
	int vy = 0;
	int value_x;

	pf->label_w = 8;
	for (size_t i = 0; i < pf->n_rows; i++) {
		int lw = text_width(row_text(&pf->rows[i]));

		if (pf->rows[i].kind == PFR_FIELD && lw > pf->label_w)
			pf->label_w = lw;
	}
	if (pf->label_w > width * 2 / 5)
		pf->label_w = width * 2 / 5;
	value_x = PF_MARGIN + 1 + pf->label_w + PF_GAP;
	layout_columns(pf, width);

	for (size_t i = 0; i < pf->n_rows; i++) {
		struct pf_row *r = &pf->rows[i];
		int h = 1;

		if (r->kind == PFR_HEADING && r->level == 0 && i > 0)
			h = 2;
		else if (r->kind == PFR_TEXT)
			h = (int)text_wrap(row_text(r), width - PF_MARGIN * 2 - 1, NULL);
		else if (r->kind == PFR_LINK)
			h = (int)text_wrap(pf->cells[r->first].text, width - PF_MARGIN * 2 - 3, NULL);
		if (r->kind == PFR_FIELD && r->help && r->n > 0 && field_help(&pf->cells[r->first]))
			h += (int)text_wrap(field_help(&pf->cells[r->first]),
					    width - PF_MARGIN - 4 - 1, NULL);
		if (r->kind != PFR_LINK && r->kind != PFR_TEXT && r->kind != PFR_BLANK &&
		    r->kind != PFR_COLUMNS)
			h += notes_height(pf, w, r, width - PF_MARGIN - 4);
		r->vy = vy;
		r->h = h;
		vy += h;
		for (size_t j = r->first; j < r->first + r->n; j++) {
			struct pf_cell *c = &pf->cells[j];

			c->h = 1;
			if (r->kind == PFR_CELLS) {
				c->x = pf->col_x[c->col];
				c->w = pf->col_w[c->col];
			} else if (r->kind == PFR_FIELD) {
				c->x = value_x;
				c->w = width - value_x - 1;
			} else if (r->kind == PFR_BUTTON) {
				c->x = PF_MARGIN + 1;
				c->w = text_width(_(c->text)) + 4;
			} else {
				c->x = PF_MARGIN + 1;
				c->w = width - PF_MARGIN * 2 - 1;
				c->h = h;
			}
		}
	}
	pf->total_h = vy;
}

/* Drawing. */

/* Draw text at form line vy if it is in view. */
static void put(struct planform *pf, WINDOW *win, int vy, int x, const char *s, int width,
		attr_t attr, bool pad)
{
	int y = vy - pf->top;

	if (y >= 0 && y < getmaxy(win))
		text_draw(win, y, x, s, width, attr, pad);
}

static void draw_notes(struct planform *pf, struct wizard *w, WINDOW *win, const struct pf_row *r,
		       int vy, int width)
{
	struct pf_note notes[PF_MAX_NOTES];
	size_t n = row_notes(pf, w, r, notes, PF_MAX_NOTES);
	int x = PF_MARGIN + 3;

	for (size_t i = 0; i < n; i++) {
		char **lines = NULL;
		size_t m = text_wrap(notes[i].text, width - x - 3, &lines);
		const char *sym = text_symbol(notes[i].role == ROLE_ERROR ? SYM_ERROR : SYM_WARNING);

		for (size_t j = 0; j < m; j++, vy++) {
			if (j == 0)
				put(pf, win, vy, x, sym, 1, theme_attr(notes[i].role), false);
			put(pf, win, vy, x + 2, lines[j], width - x - 3, theme_attr(notes[i].role),
			    false);
		}
		text_lines_free(&lines, m);
	}
}

static void draw_cell(struct planform *pf, struct wizard *w, WINDOW *win, struct pf_cell *c,
		      int vy)
{
	bool focused = c == &pf->cells[pf->focus];
	bool dim = false;
	char *text = shown_text(pf, w, c, &dim);
	enum theme_role sev = cell_severity(w, c);
	enum theme_role role = c->kind == PFC_BUTTON ? ROLE_BUTTON : ROLE_VALUE;
	int y = vy - pf->top;

	if (c->disabled)
		role = ROLE_DISABLED;
	else if (sev != ROLE_COUNT)
		role = sev;
	else if (dim)
		role = ROLE_DEFAULTED;
	if (c->kind == PFC_LINK) {
		char **lines = NULL;
		size_t m = text_wrap(text, c->w - 2, &lines);
		struct pf_row *r = &pf->rows[c->row];

		/* Lines after the first are indented under the text after the
		 * symbol. */
		for (size_t j = 0; j < m; j++)
			put(pf, win, vy + (int)j, j == 0 ? c->x : c->x + 2, lines[j],
			    j == 0 ? c->w : c->w - 2,
			    focused ? theme_attr(ROLE_FOCUS) : theme_attr(r->role), focused);
		text_lines_free(&lines, m);
	} else {
		put(pf, win, vy, c->x, text, c->w, theme_attr(focused ? ROLE_FOCUS : role),
		    focused && c->kind != PFC_BUTTON);
	}
	c->y = y >= 0 && y < getmaxy(win) ? y : -1;
	free(text);
}

static void draw_row(struct planform *pf, struct wizard *w, WINDOW *win, struct pf_row *r,
		     int width)
{
	int vy = r->vy;
	int x = PF_MARGIN + 1;

	switch (r->kind) {
	case PFR_HEADING:
		if (r->h == 2)
			vy++;
		put(pf, win, vy, r->level == 0 ? PF_MARGIN : x, row_text(r), width - x,
		    theme_attr(r->level == 0 ? ROLE_HEADING : ROLE_TITLE), false);
		draw_notes(pf, w, win, r, vy + 1, width);
		return;
	case PFR_TEXT: {
		char **lines = NULL;
		size_t m = text_wrap(row_text(r), width - PF_MARGIN * 2 - 1, &lines);

		for (size_t j = 0; j < m; j++)
			put(pf, win, vy + (int)j, x, lines[j], width - x, theme_attr(r->role), false);
		text_lines_free(&lines, m);
		return;
	}
	case PFR_BLANK:
		return;
	case PFR_COLUMNS:
		for (size_t i = 0; i < pf->n_cols; i++)
			put(pf, win, vy, pf->col_x[i], _(pf->cols[i].title), pf->col_w[i],
			    theme_attr(ROLE_TITLE), false);
		return;
	case PFR_FIELD:
		put(pf, win, vy, x, row_text(r), pf->label_w, theme_attr(ROLE_LABEL), false);
		break;
	case PFR_CELLS:
	case PFR_BUTTON:
	case PFR_LINK:
		break;
	}
	for (size_t j = r->first; j < r->first + r->n; j++)
		draw_cell(pf, w, win, &pf->cells[j], vy);
	if (r->kind == PFR_LINK)
		return;
	vy++;
	if (r->kind == PFR_FIELD && r->help && r->n > 0 && field_help(&pf->cells[r->first])) {
		char **lines = NULL;
		size_t m = text_wrap(field_help(&pf->cells[r->first]), width - x - 4, &lines);

		for (size_t j = 0; j < m; j++, vy++)
			put(pf, win, vy, x + 2, lines[j], width - x - 3, theme_attr(ROLE_HELP), false);
		text_lines_free(&lines, m);
	}
	draw_notes(pf, w, win, r, vy, width);
}

/* Scroll so that the focused cell's row is in view, with the heading above
 * it when there is room. */
static void follow_focus(struct planform *pf, int height)
{
	const struct pf_row *r = NULL;
	int from, to;

	if (pf->n_cells == 0)
		return;
	r = &pf->rows[pf->cells[pf->focus].row];
	from = r->vy;
	to = r->vy + r->h;
	if (pf->cells[pf->focus].row > 0 && r[-1].kind != PFR_CELLS && r[-1].kind != PFR_FIELD &&
	    r[-1].kind != PFR_BUTTON && r[-1].kind != PFR_LINK)
		from = r[-1].vy;
	if (to - from > height)
		to = from + height;
	if (from < pf->top)
		pf->top = from;
	if (to > pf->top + height)
		pf->top = to - height;
}

void planform_draw(struct planform *pf, struct wizard *w, WINDOW *win)
{
	int height = getmaxy(win), width = getmaxx(win);

	getbegyx(win, pf->win_y, pf->win_x);
	if (pf->focus >= pf->n_cells)
		pf->focus = pf->n_cells > 0 ? pf->n_cells - 1 : 0;
	layout(pf, w, width);
	if (pf->follow)
		follow_focus(pf, height);
	if (pf->top > pf->total_h - height)
		pf->top = pf->total_h - height;
	if (pf->top < 0)
		pf->top = 0;
	for (size_t i = 0; i < pf->n_cells; i++)
		pf->cells[i].y = -1;
	for (size_t i = 0; i < pf->n_rows; i++) {
		struct pf_row *r = &pf->rows[i];

		if (r->vy + r->h > pf->top && r->vy < pf->top + height)
			draw_row(pf, w, win, r, width);
	}
	if (pf->top > 0)
		text_draw(win, 0, width - 2, text_symbol(SYM_UP), 1, theme_attr(ROLE_HELP), false);
	if (pf->top + height < pf->total_h)
		text_draw(win, height - 1, width - 2, text_symbol(SYM_DOWN), 1,
			  theme_attr(ROLE_HELP), false);
	if (pf->edit != NULL) {
		const struct pf_cell *c = &pf->cells[pf->edit_cell];

		if (c->y >= 0)
			lineedit_place(pf->edit, pf->win_y + c->y, pf->win_x + c->x, c->w);
		else
			lineedit_hide(pf->edit);
	}
}

/* Focus and keys. */

static void set_focus(struct planform *pf, size_t i)
{
	if (i < pf->n_cells) {
		pf->focus = i;
		pf->follow = true;
	}
}

void planform_focus_cell(struct planform *pf, const struct pf_cell *c)
{
	if (c >= pf->cells && c < pf->cells + pf->n_cells)
		set_focus(pf, (size_t)(c - pf->cells));
}

/* The cell in the row after (dir 1) or before (-1) the focused one, in the
 * same column when both are table rows. */
static void move_row(struct planform *pf, int dir)
{
	const struct pf_cell *cur = &pf->cells[pf->focus];
	size_t row = cur->row;

	for (;;) {
		const struct pf_row *r = NULL;

		if ((dir < 0 && row == 0) || (dir > 0 && row + 1 >= pf->n_rows))
			return;
		row = (size_t)((long)row + dir);
		r = &pf->rows[row];
		if (r->n == 0)
			continue;
		for (size_t j = r->first; j < r->first + r->n; j++) {
			if (r->kind == PFR_CELLS && pf->cells[j].col == cur->col) {
				set_focus(pf, j);
				return;
			}
		}
		set_focus(pf, r->first);
		return;
	}
}

static int toggle_bool(struct planform *pf, struct wizard *w, struct pf_cell *c)
{
	char *text = value_text(pf, w, c);
	char *err = NULL;
	int rc = value_set(pf, w, c, strcmp(text, "true") == 0 ? "false" : "true", &err);

	free(text);
	free(err);
	return rc == 0 ? UI_CHANGED | UI_SAVE | UI_REDRAW | UI_HANDLED : UI_HANDLED;
}

static int pick_done(struct wizard *w, void *ctx, int choice, const char *text)
{
	struct planform *pf = ctx;
	struct pf_cell *c = &pf->cells[pf->focus];
	char *err = NULL;
	int rc;

	(void)text;
	if (choice < 0 || c->field == NULL || c->field->type != PT_ENUM)
		return UI_REDRAW;
	rc = value_set(pf, w, c, c->field->enum_names[choice], &err);
	free(err);
	return rc == 0 ? UI_CHANGED | UI_SAVE | UI_REDRAW : UI_REDRAW;
}

/* Enter (or Space, or a click) on the focused cell. */
static int activate(struct planform *pf, struct wizard *w, bool space)
{
	struct pf_cell *c = &pf->cells[pf->focus];

	if (pf->n_cells == 0)
		return 0;
	switch (c->kind) {
	case PFC_TOGGLE: {
		unsigned *roles = roles_ptr(w, c);

		if (roles == NULL)
			return UI_HANDLED;
		*roles ^= c->bit;
		return UI_CHANGED | UI_SAVE | UI_REDRAW | UI_HANDLED;
	}
	case PFC_BUTTON:
	case PFC_LINK:
		if (c->disabled || pf->ops->activate == NULL)
			return UI_HANDLED | UI_REDRAW;
		return pf->ops->activate(pf->ctx, w, c) | UI_HANDLED;
	case PFC_VALUE:
		break;
	}
	if (c->field != NULL && c->field->type == PT_BOOL)
		return toggle_bool(pf, w, c);
	if (c->field != NULL && c->field->type == PT_ENUM) {
		char *cur = value_text(pf, w, c);
		size_t n = 0;
		int sel = 0;

		for (; c->field->enum_names[n] != NULL; n++) {
			if (strcmp(c->field->enum_names[n], cur) == 0)
				sel = (int)n;
		}
		free(cur);
		if (space) {
			char *err = NULL;
			int rc = value_set(pf, w, c, c->field->enum_names[((size_t)sel + 1) % n], &err);

			free(err);
			return rc == 0 ? UI_CHANGED | UI_SAVE | UI_REDRAW | UI_HANDLED : UI_HANDLED;
		}
		wizard_choose(w, _(c->field->label), _(c->field->help), c->field->enum_names, n, sel,
			      true, pick_done, pf);
		return UI_HANDLED | UI_REDRAW;
	}
	planform_edit(pf, w);
	return UI_HANDLED | UI_REDRAW;
}

void planform_edit(struct planform *pf, struct wizard *w)
{
	struct pf_cell *c = NULL;

	if (pf->n_cells == 0 || pf->edit != NULL)
		return;
	c = &pf->cells[pf->focus];
	if (c->kind != PFC_VALUE)
		return;
	pf->edit_orig = value_text(pf, w, c);
	pf->edit = lineedit_new(pf->edit_orig);
	pf->edit_cell = pf->focus;
	pf->follow = true;
}

bool planform_commit(struct planform *pf, struct wizard *w, int *flags)
{
	char *err = NULL;

	if (pf->edit == NULL)
		return true;
	if (value_set(pf, w, &pf->cells[pf->edit_cell], lineedit_text(pf->edit), &err) < 0) {
		free(pf->edit_err);
		pf->edit_err = err;
		*flags |= UI_REDRAW;
		return false;
	}
	stop_edit(pf);
	*flags |= UI_CHANGED | UI_SAVE | UI_REDRAW;
	return true;
}

/* Esc: back to the value the edit started from. */
static int cancel_edit(struct planform *pf, struct wizard *w)
{
	char *err = NULL;

	value_set(pf, w, &pf->cells[pf->edit_cell], pf->edit_orig, &err);
	free(err);
	stop_edit(pf);
	return UI_CHANGED | UI_REDRAW | UI_HANDLED;
}

static int edit_key(struct planform *pf, struct wizard *w, const struct ui_event *ev)
{
	int flags = UI_HANDLED;
	int r;

	if (ev->type == EV_KEY) {
		switch (ev->key) {
		case UI_KEY_ESC:
			return cancel_edit(pf, w);
		case UI_KEY_ENTER:
		case KEY_ENTER:
			planform_commit(pf, w, &flags);
			return flags;
		case UI_KEY_TAB:
		case KEY_BTAB:
		case KEY_UP:
		case KEY_DOWN:
			if (!planform_commit(pf, w, &flags))
				return flags;
			return flags | planform_key(pf, w, ev);
		default:
			break;
		}
	}
	if (ev->type == EV_CLICK) {
		if (!planform_commit(pf, w, &flags))
			return flags;
		return flags | planform_key(pf, w, ev);
	}
	r = lineedit_key(pf->edit, ev);
	if (r == LINEEDIT_CHANGED) {
		char *err = NULL;

		/* Store as typed, so the problems shown are the text's. */
		xfree(&pf->edit_err);
		if (value_set(pf, w, &pf->cells[pf->edit_cell], lineedit_text(pf->edit), &err) < 0)
			pf->edit_err = err;
		return UI_HANDLED | UI_CHANGED | UI_REDRAW;
	}
	return r != 0 ? UI_HANDLED | UI_REDRAW : 0;
}

/* The cell under a click in window coordinates, or -1. */
static long cell_at(struct planform *pf, int y, int x)
{
	for (size_t i = 0; i < pf->n_cells; i++) {
		const struct pf_cell *c = &pf->cells[i];

		if (c->y >= 0 && y >= c->y && y < c->y + c->h && x >= c->x && x < c->x + c->w)
			return (long)i;
	}
	return -1;
}

int planform_key(struct planform *pf, struct wizard *w, const struct ui_event *ev)
{
	if (pf->edit != NULL)
		return edit_key(pf, w, ev);
	if (ev->type == EV_SCROLL) {
		pf->top += ev->delta;
		pf->follow = false;
		return UI_HANDLED | UI_REDRAW;
	}
	if (ev->type == EV_CLICK) {
		long i = cell_at(pf, ev->y - pf->win_y, ev->x - pf->win_x);

		if (i < 0)
			return 0;
		if ((size_t)i == pf->focus || pf->cells[i].kind != PFC_VALUE) {
			set_focus(pf, (size_t)i);
			return activate(pf, w, false);
		}
		set_focus(pf, (size_t)i);
		return UI_HANDLED | UI_REDRAW;
	}
	if (pf->n_cells == 0)
		return 0;
	if (ev->type == EV_CHAR && ev->ch == ' ')
		return activate(pf, w, true);
	if (ev->type != EV_KEY)
		return 0;
	switch (ev->key) {
	case UI_KEY_TAB:
		set_focus(pf, (pf->focus + 1) % pf->n_cells);
		break;
	case KEY_BTAB:
		set_focus(pf, (pf->focus + pf->n_cells - 1) % pf->n_cells);
		break;
	case KEY_DOWN:
		move_row(pf, 1);
		break;
	case KEY_UP:
		move_row(pf, -1);
		break;
	case KEY_LEFT:
	case KEY_RIGHT: {
		const struct pf_cell *c = &pf->cells[pf->focus];
		const struct pf_row *r = &pf->rows[c->row];
		size_t i = pf->focus;

		if (ev->key == KEY_LEFT && i > r->first)
			set_focus(pf, i - 1);
		else if (ev->key == KEY_RIGHT && i + 1 < r->first + r->n)
			set_focus(pf, i + 1);
		else
			return 0;
		break;
	}
	case KEY_HOME:
		set_focus(pf, 0);
		break;
	case KEY_END:
		set_focus(pf, pf->n_cells - 1);
		break;
	case UI_KEY_ENTER:
	case KEY_ENTER:
		return activate(pf, w, false);
	default:
		return 0;
	}
	return UI_HANDLED | UI_REDRAW;
}

void planform_footer(struct planform *pf, struct footer *f)
{
	const struct pf_cell *c = NULL;

	if (pf->edit != NULL) {
		/* L10N: footer words: keep them short. */
		footer_add(f, "Enter", N_("done"), UI_KEY_ENTER);
		footer_add(f, "Esc", N_("undo"), UI_KEY_ESC);
		footer_add(f, "^U", N_("clear"), UI_KEY_CTRL('u'));
		return;
	}
	if (pf->n_cells == 0)
		return;
	c = &pf->cells[pf->focus];
	if (c->kind == PFC_TOGGLE || (c->field != NULL && c->field->type == PT_BOOL))
		footer_add(f, "Enter", N_("switch"), UI_KEY_ENTER);
	else if (c->field != NULL && c->field->type == PT_ENUM)
		footer_add(f, "Enter", N_("choose"), UI_KEY_ENTER);
	else if (c->kind == PFC_VALUE)
		footer_add(f, "Enter", N_("edit"), UI_KEY_ENTER);
	else if (c->kind == PFC_LINK)
		footer_add(f, "Enter", N_("go to field"), UI_KEY_ENTER);
	else if (!c->disabled)
		footer_add(f, "Enter", c->text, UI_KEY_ENTER);
}

bool planform_focus_path(struct planform *pf, const char *path)
{
	long best = -1;
	size_t best_len = 0;

	for (size_t i = 0; i < pf->n_cells; i++) {
		const struct pf_cell *c = &pf->cells[i];
		size_t len = strlen(c->path);

		if (c->kind == PFC_LINK || len == 0)
			continue;
		if (strcmp(c->path, path) == 0) {
			set_focus(pf, i);
			return true;
		}
		/* The cell shows a value that contains path's. */
		if (!c->exact && strncmp(path, c->path, len) == 0 &&
		    (path[len] == '.' || path[len] == '[') && len > best_len) {
			best = (long)i;
			best_len = len;
		}
	}
	if (best >= 0) {
		set_focus(pf, (size_t)best);
		return true;
	}
	/* A row that lists path's problems: its first cell, or the first one
	 * after it (a heading). */
	for (size_t i = 0; i < pf->n_rows; i++) {
		const struct pf_row *r = &pf->rows[i];
		struct problem probe = { .path = (char *)path };

		if (r->problems == NULL || !problems_match(&probe, r->problems, r->problems_exact))
			continue;
		for (size_t j = r->first; j < pf->n_cells; j++) {
			if (pf->cells[j].kind != PFC_LINK) {
				set_focus(pf, j);
				return true;
			}
		}
	}
	return false;
}

bool planform_editing(const struct planform *pf)
{
	return pf->edit != NULL;
}

struct pf_cell *planform_focused(struct planform *pf)
{
	return pf->n_cells > 0 ? &pf->cells[pf->focus] : NULL;
}

const char *planform_help(struct planform *pf)
{
	return pf->n_cells > 0 ? field_help(&pf->cells[pf->focus]) : NULL;
}

bool planform_cursor(struct planform *pf)
{
	if (pf->edit == NULL || pf->cells[pf->edit_cell].y < 0)
		return false;
	lineedit_cursor(pf->edit);
	return true;
}
