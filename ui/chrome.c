/* What the manager draws around the current screen: the step bar (each
 * step a click target), the title line with the plan's problem count, the
 * help line, the footer of keys (click targets too), the dialog on top, and
 * the message that the terminal is too small. One function draws it all,
 * once per turn of the loop that found something changed. */
#include "config.h"

#include <stdlib.h>

#include "../src/nls.h"
#include "../src/xmalloc.h"
#include "manager.h"
#include "text.h"
#include "theme.h"

void chrome_add_hotspot(struct manager *m, int y, int x, int w, int key, int screen)
{
	if (m->n_hot < MAX_HOTSPOTS)
		m->hot[m->n_hot++] = (struct hotspot){ y, x, w, key, screen };
}

static void draw_bar(struct manager *m)
{
	int x = 0;

	wattrset(m->base, (int)theme_attr(ROLE_BAR));
	mvwhline(m->base, ROW_BAR, 0, ' ', COLS);
	for (size_t i = 0; i < N_SCREENS; i++) {
		char *label = xasprintf(" %zu %s ", i + 1, _(manager_screens[i]->title));
		int lw = text_width(label);
		enum theme_role role = i == m->w.screen ? ROLE_BAR_CURRENT
				       : i == SCREEN_RUN && m->w.errors > 0 ? ROLE_BAR_DISABLED
									     : ROLE_BAR;

		if (x + lw > COLS) {
			free(label);
			break;
		}
		text_draw(m->base, ROW_BAR, x, label, lw, theme_attr(role), false);
		chrome_add_hotspot(m, ROW_BAR, x, lw, 0, (int)i);
		x += lw;
		free(label);
	}
	if (x + 12 <= COLS)
		text_draw(m->base, ROW_BAR, COLS - 11, PACKAGE, 10, theme_attr(ROLE_BAR), false);
}

static void draw_title(struct manager *m)
{
	struct wizard *w = &m->w;
	char *summary = NULL;
	enum theme_role role = ROLE_OK;
	int sw;

	/* L10N: the title line's summary: a symbol (✗, ! or ✓) and a count. */
	if (w->errors > 0) {
		summary = xasprintf(P_("%s %zu error", "%s %zu errors", w->errors),
				    text_symbol(SYM_ERROR), w->errors);
		role = ROLE_ERROR;
	} else if (w->warnings > 0) {
		summary = xasprintf(P_("%s %zu warning", "%s %zu warnings", w->warnings),
				    text_symbol(SYM_WARNING), w->warnings);
		role = ROLE_WARNING;
	} else {
		summary = xasprintf(_("%s no problems"), text_symbol(SYM_OK));
	}
	sw = text_width(summary);
	text_draw(m->base, ROW_TITLE, 1, _(manager_screens[w->screen]->intro), COLS - sw - 4,
		  theme_attr(ROLE_TITLE), false);
	text_draw(m->base, ROW_TITLE, COLS - sw - 1, summary, sw, theme_attr(role), false);
	chrome_add_hotspot(m, ROW_TITLE, COLS - sw - 1, sw, 0, SCREEN_REVIEW);
	free(summary);
}

/* One footer line, and the keys' places for clicks. Keys are two columns
 * apart, or one when that is what makes them fit. */
static void draw_footer_line(struct manager *m, int y, const struct footer *f)
{
	int x = 0, gap = 2, total = 0;

	for (size_t i = 0; i < f->n; i++)
		total += text_width(f->keys[i].name) + 1 + text_width(_(f->keys[i].what)) + 2;
	if (total - 2 > COLS)
		gap = 1;
	for (size_t i = 0; i < f->n; i++) {
		const char *what = _(f->keys[i].what);
		int kw = text_width(f->keys[i].name), ww = text_width(what);

		if (x + kw + 1 + ww > COLS)
			break;
		text_draw(m->base, y, x, f->keys[i].name, kw, theme_attr(ROLE_FOOTER_KEY), false);
		text_draw(m->base, y, x + kw + 1, what, ww, theme_attr(ROLE_FOOTER), false);
		chrome_add_hotspot(m, y, x, kw + 1 + ww, f->keys[i].key, -1);
		x += kw + 1 + ww + gap;
	}
}

static void draw_footer(struct manager *m)
{
	const struct screen_ops *ops = manager_screens[m->w.screen];
	struct footer own = { .n = 0 }, global = { .n = 0 };
	bool busy = manager_busy_screen(m, NULL) != NULL;

	if (m->dialog != NULL) {
		footer_add(&own, "Enter", N_("confirm"), UI_KEY_ENTER);
		footer_add(&own, "Esc", N_("cancel"), UI_KEY_ESC);
	} else if (ops->footer != NULL) {
		ops->footer(m->state[m->w.screen], &m->w, &own);
	}
	/* L10N: footer words: keep them short, the footer holds every key in
	 * 80 columns. */
	if (!busy) {
		footer_add(&global, "Tab/S-Tab", N_("field"), UI_KEY_TAB);
		footer_add(&global, "PgDn", N_("next"), KEY_NPAGE);
		footer_add(&global, "PgUp", N_("back"), KEY_PPAGE);
	} else {
		/* While a run goes, the page's own keys; paging is its scrolling. */
		footer_add(&global, "PgUp/PgDn", N_("scroll"), KEY_PPAGE);
	}
	footer_add(&global, "F1", N_("help"), KEY_F(1));
	footer_add(&global, "F2", N_("export"), KEY_F(2));
	/* The switch names the other language in that language. */
	if (text_utf8())
		footer_add(&global, "F3", fkeys_chinese() ? "English" : "中文", KEY_F(3));
	footer_add(&global, "F10", busy ? N_("stop") : N_("quit"), KEY_F(10));
	draw_footer_line(m, LINES - 2, &own);
	draw_footer_line(m, LINES - 1, &global);
}

static void draw_help_line(struct manager *m)
{
	struct wizard *w = &m->w;
	const struct screen_ops *ops = manager_screens[w->screen];
	const struct plan_field *f = NULL;
	const char *path = NULL, *help = NULL;
	int y = LINES - ROWS_BELOW;

	if (w->status != NULL) {
		enum theme_role role = w->status_kind == STATUS_ERROR ? ROLE_ERROR
				       : w->status_kind == STATUS_OK   ? ROLE_OK
								       : ROLE_NORMAL;

		text_draw(m->base, y, 1, w->status, COLS - 2, theme_attr(role), false);
		return;
	}
	if (ops->focused != NULL && ops->focused(m->state[w->screen], w, &f, &path, &help) &&
	    help != NULL)
		text_draw(m->base, y, 1, _(help), COLS - 2, theme_attr(ROLE_HELP), false);
}

static void hide_panels_above_base(struct manager *m)
{
	for (PANEL *p = panel_above(NULL); p != NULL; p = panel_above(p)) {
		if (p != m->base_panel)
			hide_panel(p);
	}
}

static void draw_too_small(struct manager *m)
{
	/* L10N: the terminal's columns and lines, then the least of each. */
	char *text = xasprintf(_("The terminal is %dx%d; k8s-wizard needs at least %dx%d. "
				 "Enlarge it to go on: nothing you typed is lost."),
			       COLS, LINES, UI_MIN_COLS, UI_MIN_LINES);
	char **lines = NULL;
	size_t n = text_wrap(text, COLS > 4 ? COLS - 2 : 2, &lines);

	hide_panels_above_base(m);
	for (size_t i = 0; i < n && (int)i < LINES; i++)
		text_draw(m->base, (LINES - (int)n) / 2 + (int)i, 1, lines[i], COLS - 2,
			  theme_attr(ROLE_WARNING), false);
	text_lines_free(&lines, n);
	free(text);
}

void chrome_draw(struct manager *m)
{
	const struct screen_ops *ops = manager_screens[m->w.screen];
	bool cursor = false;

	werase(m->base);
	m->n_hot = 0;
	if (m->too_small) {
		draw_too_small(m);
		curs_set(0);
		update_panels();
		doupdate();
		return;
	}
	draw_bar(m);
	draw_title(m);
	werase(m->content);
	if (ops->draw != NULL)
		ops->draw(m->state[m->w.screen], &m->w, m->content);
	draw_help_line(m);
	draw_footer(m);
	if (m->dialog != NULL) {
		dialog_draw(m->dialog);
		cursor = dialog_cursor(m->dialog);
	} else if (ops->cursor != NULL) {
		cursor = ops->cursor(m->state[m->w.screen], &m->w);
	}
	curs_set(cursor ? 1 : 0);
	update_panels();
	doupdate();
}

