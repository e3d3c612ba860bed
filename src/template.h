/* A small template language for the files placed on hosts (assets/templates).
 *
 *   {{name}}              the value of name, inserted as it is; it must be made
 *                         of letters, digits and . _ / : @ = , + % ~ [ ] - only,
 *                         else rendering fails (use |q)
 *   {{name|q}}            the value as one quoted scalar of the template's
 *                         syntax: "..." in YAML and TOML, '...' in shell
 *   {{#if name}} {{else}} {{/if}}, {{#unless name}} ... {{/unless}}
 *                         a value "true" or a non-empty list is true; "false",
 *                         "" or an empty list is false
 *   {{#each list}} ... {{/each}}
 *                         once per item; inside, the item's names come first,
 *                         then the enclosing ones; @index (0-based), @number
 *                         (1-based), @first and @last describe the position
 *   {{! comment }}
 *
 * A line holding nothing but one block tag ({{#...}}, {{else}}, {{/...}},
 * {{!...}}) and blanks disappears with its newline, so that templates can be
 * indented like the files they produce. Every name must resolve: an unknown
 * name, an unclosed block or a stray "{{" fails with the template's name and
 * line. Values are expected to have passed src/grammar.h already; the checks
 * here are the second line of defence, not the first. */
#ifndef K8SW_TEMPLATE_H
#define K8SW_TEMPLATE_H

#include <stdbool.h>

enum template_syntax {
	TEMPLATE_TEXT,  /* no quoting syntax: |q is an error */
	TEMPLATE_YAML,  /* .yaml, .yml */
	TEMPLATE_TOML,  /* .toml */
	TEMPLATE_SHELL, /* .sh */
};

/* The syntax a template's file name implies (by its suffix). */
enum template_syntax template_syntax_of(const char *name);

/* Values: a tree of names, each a string or a list of nested value sets. */
struct template_vars;

struct template_vars *template_vars_new(void);
void template_vars_free(struct template_vars **v);

/* Set name (replacing an earlier value) to a copy of value. */
void template_set(struct template_vars *v, const char *name, const char *value);
void template_setf(struct template_vars *v, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void template_set_bool(struct template_vars *v, const char *name, bool value);

/* Make name an empty list if it is not a list yet. */
void template_set_list(struct template_vars *v, const char *name);

/* Append an item to the list name (created if needed) and return it for the
 * caller to fill; it belongs to v. */
struct template_vars *template_add_item(struct template_vars *v, const char *name);

/* Render text (the template called name, for messages) with vars. Returns 0
 * with *out set (free it), or -1 with *err set (free it) naming the template
 * and the line. */
int template_render(const char *name, const char *text, const struct template_vars *vars,
		    char **out, char **err);

/* The developer's override of the built-in templates: $K8SW_ASSETS_DIR when
 * set and not empty (a directory holding templates/), else NULL. */
const char *template_assets_dir(void);

/* The template NAME (a path under assets/templates/): the copy built into the
 * program (assets.h), or DIR/templates/NAME when template_assets_dir() gives
 * a DIR. Returns 0 with *text set (free it), or -1 with *err set. */
int template_read(const char *name, char **text, char **err);

#endif
