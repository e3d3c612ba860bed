/* The template engine: the text is cut into tokens (text, values, block
 * tags), blank lines around block tags are trimmed, and the token list is
 * walked recursively with a chain of scopes, one per enclosing loop. */
#include "config.h"

#include "template.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "assets.h"
#include "nls.h"
#include "shquote.h"
#include "strbuf.h"
#include "xmalloc.h"

struct template_entry {
	char *name;
	char *value;                  /* NULL for a list */
	struct template_vars **items; /* list items */
	size_t n_items;
};

struct template_vars {
	struct template_entry *v;
	size_t n;
};

enum token_type {
	TOK_TEXT,
	TOK_VALUE,
	TOK_IF,
	TOK_UNLESS,
	TOK_EACH,
	TOK_ELSE,
	TOK_END,
	TOK_COMMENT,
};

struct token {
	enum token_type type;
	const char *start; /* TOK_TEXT: the text; others: the name */
	size_t len;
	bool quote;        /* TOK_VALUE: |q */
	unsigned line;
	size_t match;      /* opening tags: index of their {{/...}}; TOK_ELSE: of the end */
	size_t else_at;    /* opening tags: index of their {{else}}, or 0 */
};

/* One loop in progress, innermost first through outer. */
struct scope {
	const struct template_vars *vars;
	size_t index, count; /* position in the enclosing list; count 0 at the root */
	const struct scope *outer;
};

struct renderer {
	const char *name;
	enum template_syntax syntax;
	struct token *tok;
	size_t n_tok;
	struct strbuf out;
	char *err;
};

enum template_syntax template_syntax_of(const char *name)
{
	size_t n = strlen(name);
	static const struct {
		const char *suffix;
		enum template_syntax syntax;
	} suffixes[] = {
		{ ".yaml", TEMPLATE_YAML },
		{ ".yml", TEMPLATE_YAML },
		{ ".toml", TEMPLATE_TOML },
		{ ".sh", TEMPLATE_SHELL },
	};

	for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
		size_t s = strlen(suffixes[i].suffix);

		if (n >= s && strcmp(name + n - s, suffixes[i].suffix) == 0)
			return suffixes[i].syntax;
	}
	return TEMPLATE_TEXT;
}

struct template_vars *template_vars_new(void)
{
	return xcalloc(1, sizeof(struct template_vars));
}

void template_vars_free(struct template_vars **vp)
{
	struct template_vars *v = *vp;

	if (v == NULL)
		return;
	for (size_t i = 0; i < v->n; i++) {
		free(v->v[i].name);
		free(v->v[i].value);
		for (size_t j = 0; j < v->v[i].n_items; j++)
			template_vars_free(&v->v[i].items[j]);
		free(v->v[i].items);
	}
	free(v->v);
	free(v);
	*vp = NULL;
}

static struct template_entry *entry_find(const struct template_vars *v, const char *name,
					 size_t len)
{
	for (size_t i = 0; i < v->n; i++) {
		if (strlen(v->v[i].name) == len && strncmp(v->v[i].name, name, len) == 0)
			return &v->v[i];
	}
	return NULL;
}

/* The entry called name, created empty if missing. */
static struct template_entry *entry_get(struct template_vars *v, const char *name)
{
	struct template_entry *e = entry_find(v, name, strlen(name));

	if (e != NULL)
		return e;
	v->v = xreallocarray(v->v, v->n + 1, sizeof *v->v);
	e = &v->v[v->n++];
	memset(e, 0, sizeof *e);
	e->name = xstrdup(name);
	return e;
}

void template_set(struct template_vars *v, const char *name, const char *value)
{
	struct template_entry *e = entry_get(v, name);

	for (size_t j = 0; j < e->n_items; j++)
		template_vars_free(&e->items[j]);
	xfree(&e->items);
	e->n_items = 0;
	free(e->value);
	e->value = xstrdup(value);
}

void template_setf(struct template_vars *v, const char *name, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	template_set(v, name, s);
	free(s);
}

void template_set_bool(struct template_vars *v, const char *name, bool value)
{
	template_set(v, name, value ? "true" : "false");
}

void template_set_list(struct template_vars *v, const char *name)
{
	struct template_entry *e = entry_get(v, name);

	xfree(&e->value);
}

struct template_vars *template_add_item(struct template_vars *v, const char *name)
{
	struct template_entry *e = entry_get(v, name);

	xfree(&e->value);
	e->items = xreallocarray(e->items, e->n_items + 1, sizeof *e->items);
	e->items[e->n_items] = template_vars_new();
	return e->items[e->n_items++];
}

static void fail(struct renderer *r, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Record the first error only: later ones are consequences. */
static void fail(struct renderer *r, unsigned line, const char *fmt, ...)
{
	va_list ap;
	char *msg = NULL;

	if (r->err != NULL)
		return;
	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	r->err = xasprintf("%s:%u: %s", r->name, line, msg);
	free(msg);
}

static bool is_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '.' || c == '-' || c == '@';
}

static void add_token(struct renderer *r, const struct token *t)
{
	r->tok = xreallocarray(r->tok, r->n_tok + 1, sizeof *r->tok);
	r->tok[r->n_tok++] = *t;
}

/* Parse the inside of one {{...}} (without the braces) into t. */
static int parse_tag(struct renderer *r, const char *s, size_t len, struct token *t)
{
	static const struct {
		const char *word;
		enum token_type type;
	} blocks[] = {
		{ "#if ", TOK_IF }, { "#unless ", TOK_UNLESS }, { "#each ", TOK_EACH },
		{ "/if", TOK_END }, { "/unless", TOK_END },     { "/each", TOK_END },
	};
	size_t i = 0;

	while (len > 0 && (s[0] == ' ' || s[0] == '\t')) {
		s++;
		len--;
	}
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	if (len > 0 && s[0] == '!') {
		t->type = TOK_COMMENT;
		return 0;
	}
	if (len == 4 && memcmp(s, "else", 4) == 0) {
		t->type = TOK_ELSE;
		return 0;
	}
	t->type = TOK_VALUE;
	for (i = 0; i < sizeof blocks / sizeof blocks[0]; i++) {
		size_t w = strlen(blocks[i].word);

		if (len >= w && memcmp(s, blocks[i].word, w) == 0) {
			t->type = blocks[i].type;
			s += w;
			len -= w;
			break;
		}
	}
	if (t->type == TOK_END) {
		/* Remember which block the end names, to match it with its opening. */
		t->start = s - (strlen(blocks[i].word) - 1);
		t->len = strlen(blocks[i].word) - 1;
		if (len != 0) {
			fail(r, t->line, _("unexpected text after {{/%.*s}}"), (int)t->len,
			     t->start);
			return -1;
		}
		return 0;
	}
	while (len > 0 && s[0] == ' ') {
		s++;
		len--;
	}
	t->start = s;
	t->len = 0;
	while (t->len < len && is_name_char(s[t->len]))
		t->len++;
	if (t->type == TOK_VALUE && len - t->len == 2 && memcmp(s + t->len, "|q", 2) == 0)
		t->quote = true;
	else if (t->len != len || t->len == 0) {
		fail(r, t->line, _("malformed tag {{%.*s}}: expected a name, #if, #unless, #each, "
				   "else or a closing tag"), (int)len, s);
		return -1;
	}
	return 0;
}

/* Cut text into tokens. */
static int tokenize(struct renderer *r, const char *text)
{
	const char *p = text;
	unsigned line = 1;

	while (*p != '\0') {
		const char *open = strstr(p, "{{");
		const char *close = NULL;
		struct token t = { 0 };
		bool comment = false;

		if (open == NULL)
			open = p + strlen(p);
		if (open > p) {
			t.type = TOK_TEXT;
			t.start = p;
			t.len = (size_t)(open - p);
			t.line = line;
			add_token(r, &t);
			for (const char *c = p; c < open; c++)
				line += *c == '\n';
		}
		if (*open == '\0')
			break;
		close = strstr(open + 2, "}}");
		/* Only a comment may span lines. */
		comment = open[2 + strspn(open + 2, " \t")] == '!';
		if (close == NULL ||
		    (!comment && memchr(open + 2, '\n', (size_t)(close - open - 2)) != NULL)) {
			fail(r, line, comment ? _("'{{!' without '}}'")
					      : _("'{{' without '}}' on the same line"));
			return -1;
		}
		memset(&t, 0, sizeof t);
		t.line = line;
		if (parse_tag(r, open + 2, (size_t)(close - open - 2), &t) < 0)
			return -1;
		add_token(r, &t);
		for (const char *c = open; c < close; c++)
			line += *c == '\n';
		p = close + 2;
	}
	return 0;
}

static bool is_block(enum token_type t)
{
	return t != TOK_TEXT && t != TOK_VALUE;
}

/* Drop the blanks and the newline around block tags that stand alone on
 * their line. The decision is taken on the untrimmed text, then applied. */
static void trim_standalone(struct renderer *r)
{
	bool *alone = xcalloc(r->n_tok + 1, sizeof *alone);

	for (size_t i = 0; i < r->n_tok; i++) {
		const struct token *prev = i > 0 ? &r->tok[i - 1] : NULL;
		const struct token *next = i + 1 < r->n_tok ? &r->tok[i + 1] : NULL;
		bool before = false, after = false;

		if (!is_block(r->tok[i].type))
			continue;
		if (prev == NULL) {
			before = true;
		} else if (prev->type == TOK_TEXT) {
			size_t k = prev->len;

			while (k > 0 && (prev->start[k - 1] == ' ' || prev->start[k - 1] == '\t'))
				k--;
			before = k == 0 ? i == 1 : prev->start[k - 1] == '\n';
		}
		if (next == NULL) {
			after = true;
		} else if (next->type == TOK_TEXT) {
			size_t k = 0;

			while (k < next->len && (next->start[k] == ' ' || next->start[k] == '\t'))
				k++;
			after = k == next->len ? i + 2 == r->n_tok : next->start[k] == '\n';
		}
		alone[i] = before && after;
	}
	for (size_t i = 0; i < r->n_tok; i++) {
		struct token *t = &r->tok[i];

		if (t->type != TOK_TEXT)
			continue;
		if (i + 1 < r->n_tok && alone[i + 1]) {
			while (t->len > 0 &&
			       (t->start[t->len - 1] == ' ' || t->start[t->len - 1] == '\t'))
				t->len--;
		}
		if (i > 0 && alone[i - 1]) {
			const char *nl = memchr(t->start, '\n', t->len);

			if (nl != NULL) {
				t->len -= (size_t)(nl + 1 - t->start);
				t->start = nl + 1;
			} else {
				t->len = 0;
			}
		}
	}
	free(alone);
}

/* Pair every opening tag with its {{else}} and its end. */
static int match_blocks(struct renderer *r)
{
	size_t *stack = xcalloc(r->n_tok + 1, sizeof *stack);
	size_t depth = 0;
	int rc = 0;

	for (size_t i = 0; i < r->n_tok && rc == 0; i++) {
		struct token *t = &r->tok[i];

		switch (t->type) {
		case TOK_IF:
		case TOK_UNLESS:
		case TOK_EACH:
			stack[depth++] = i;
			break;
		case TOK_ELSE:
			if (depth == 0 || r->tok[stack[depth - 1]].type == TOK_EACH ||
			    r->tok[stack[depth - 1]].else_at != 0) {
				fail(r, t->line, _("{{else}} outside an #if or #unless block"));
				rc = -1;
				break;
			}
			r->tok[stack[depth - 1]].else_at = i;
			break;
		case TOK_END: {
			struct token *open = NULL;
			const char *want = NULL;

			if (depth == 0) {
				fail(r, t->line, _("{{/%.*s}} closes nothing"), (int)t->len,
				     t->start);
				rc = -1;
				break;
			}
			open = &r->tok[stack[--depth]];
			want = open->type == TOK_IF ? "if" : "each";
			if (open->type == TOK_UNLESS)
				want = "unless";
			if (strlen(want) != t->len || strncmp(want, t->start, t->len) != 0) {
				/* L10N: the closing tag's block, the open block, its line. */
				fail(r, t->line, _("{{/%.*s}} closes the {{#%s}} of line %u"),
				     (int)t->len, t->start, want, open->line);
				rc = -1;
				break;
			}
			open->match = i;
			if (open->else_at != 0)
				r->tok[open->else_at].match = i;
			break;
		}
		case TOK_TEXT:
		case TOK_VALUE:
		case TOK_COMMENT:
			break;
		}
	}
	if (rc == 0 && depth > 0) {
		const struct token *open = &r->tok[stack[depth - 1]];

		/* L10N: the block (if, unless, each) and its name. */
		fail(r, open->line, _("{{#%s %.*s}} is never closed"),
		     open->type == TOK_IF ? "if" : open->type == TOK_UNLESS ? "unless" : "each",
		     (int)open->len, open->start);
		rc = -1;
	}
	free(stack);
	return rc;
}

/* Look name up from the innermost scope out. A position name (@index...)
 * is answered by the innermost loop and written into buf. */
static const struct template_entry *lookup(const struct scope *s, const char *name, size_t len,
					   const char **pos_value, char *buf, size_t bufsize)
{
	*pos_value = NULL;
	if (len > 0 && name[0] == '@') {
		if (s->count == 0)
			return NULL;
		if (len == 6 && memcmp(name, "@index", 6) == 0)
			xsnprintf(buf, bufsize, "%zu", s->index);
		else if (len == 7 && memcmp(name, "@number", 7) == 0)
			xsnprintf(buf, bufsize, "%zu", s->index + 1);
		else if (len == 6 && memcmp(name, "@first", 6) == 0)
			xsnprintf(buf, bufsize, "%s", s->index == 0 ? "true" : "false");
		else if (len == 5 && memcmp(name, "@last", 5) == 0)
			xsnprintf(buf, bufsize, "%s", s->index + 1 == s->count ? "true" : "false");
		else
			return NULL;
		*pos_value = buf;
		return NULL;
	}
	for (; s != NULL; s = s->outer) {
		const struct template_entry *e = entry_find(s->vars, name, len);

		if (e != NULL)
			return e;
	}
	return NULL;
}

/* Characters a value may carry unquoted into any of our output syntaxes. */
static bool plain_value(const char *s)
{
	for (; *s != '\0'; s++) {
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || strchr("._/:@=,+%~[]-", *s) != NULL))
			return false;
	}
	return true;
}

/* s as a double-quoted YAML scalar or TOML basic string: both accept the
 * escapes \" \\ \n \t and \uXXXX for other control characters. */
static void add_double_quoted(struct strbuf *b, const char *s)
{
	strbuf_addc(b, '"');
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			strbuf_addc(b, '\\');
			strbuf_addc(b, (char)c);
		} else if (c == '\n') {
			strbuf_adds(b, "\\n");
		} else if (c == '\t') {
			strbuf_adds(b, "\\t");
		} else if (c < 0x20 || c == 0x7f) {
			strbuf_addf(b, "\\u%04x", c);
		} else {
			strbuf_addc(b, (char)c);
		}
	}
	strbuf_addc(b, '"');
}

/* Whether the output's current line has an open double-quoted string. */
static bool in_double_quotes(const struct strbuf *out)
{
	const char *line = out->s != NULL ? out->s + out->len : "";
	bool open = false;

	while (line > out->s && line[-1] != '\n')
		line--;
	for (const char *c = line; c < out->s + out->len; c++) {
		if (*c == '\\' && open && c + 1 < out->s + out->len)
			c++;
		else if (*c == '"')
			open = !open;
	}
	return open;
}

static void emit_value(struct renderer *r, const struct token *t, const char *value)
{
	char *q = NULL;

	if (!t->quote) {
		if (!plain_value(value))
			/* L10N: a name, its value, the name again. */
			fail(r, t->line, _("the value of %.*s ('%s') cannot be inserted unquoted: "
					   "write {{%.*s|q}}"),
			     (int)t->len, t->start, value, (int)t->len, t->start);
		else if (r->syntax == TEMPLATE_YAML && *value != '\0' &&
			 value[strlen(value) - 1] == ':' && !in_double_quotes(&r->out))
			/* An IPv6 address like fd00:: would end a plain scalar with ':'. */
			/* L10N: a name and its value. */
			fail(r, t->line, _("the value of %.*s ('%s') ends with ':', which ends a "
					   "YAML plain scalar: quote the scalar it is part of"),
			     (int)t->len, t->start, value);
		else
			strbuf_adds(&r->out, value);
		return;
	}
	switch (r->syntax) {
	case TEMPLATE_YAML:
	case TEMPLATE_TOML:
		add_double_quoted(&r->out, value);
		break;
	case TEMPLATE_SHELL:
		q = shquote_arg(value);
		strbuf_adds(&r->out, q);
		free(q);
		break;
	case TEMPLATE_TEXT:
		fail(r, t->line, _("{{%.*s|q}}: this template's syntax has no quoting (name it "
				   ".yaml, .toml or .sh)"), (int)t->len, t->start);
		break;
	}
}

/* The truth of a condition or the list of a loop. */
static int resolve_block(struct renderer *r, const struct token *t, const struct scope *s,
			 bool *truth, const struct template_entry **list)
{
	char buf[32];
	const char *pos = NULL;
	const struct template_entry *e = lookup(s, t->start, t->len, &pos, buf, sizeof buf);
	const char *v = pos != NULL ? pos : e != NULL ? e->value : NULL;

	*list = NULL;
	if (pos == NULL && e == NULL) {
		fail(r, t->line, _("unknown name '%.*s'"), (int)t->len, t->start);
		return -1;
	}
	if (t->type == TOK_EACH) {
		if (v != NULL) {
			fail(r, t->line, _("{{#each %.*s}}: not a list"), (int)t->len, t->start);
			return -1;
		}
		*list = e;
		return 0;
	}
	if (v == NULL) {
		*truth = e->n_items > 0;
	} else if (strcmp(v, "true") == 0) {
		*truth = true;
	} else if (strcmp(v, "false") == 0 || *v == '\0') {
		*truth = false;
	} else {
		/* L10N: a name and its value. */
		fail(r, t->line, _("'%.*s' is '%s', not true or false"), (int)t->len, t->start, v);
		return -1;
	}
	return 0;
}

/* Render tokens [from, to) in scope s. */
static void render_range(struct renderer *r, size_t from, size_t to, const struct scope *s)
{
	for (size_t i = from; i < to && r->err == NULL; i++) {
		const struct token *t = &r->tok[i];
		const struct template_entry *list = NULL;
		const char *pos = NULL;
		char buf[32];
		bool truth = false;

		switch (t->type) {
		case TOK_TEXT:
			strbuf_add(&r->out, t->start, t->len);
			break;
		case TOK_COMMENT:
			break;
		case TOK_VALUE: {
			const struct template_entry *e = lookup(s, t->start, t->len, &pos, buf,
								sizeof buf);

			if (pos != NULL)
				emit_value(r, t, pos);
			else if (e == NULL)
				fail(r, t->line, _("unknown name '%.*s'"), (int)t->len, t->start);
			else if (e->value == NULL)
				/* L10N: the same name twice. */
				fail(r, t->line, _("'%.*s' is a list: use {{#each %.*s}}"),
				     (int)t->len, t->start, (int)t->len, t->start);
			else
				emit_value(r, t, e->value);
			break;
		}
		case TOK_IF:
		case TOK_UNLESS:
			if (resolve_block(r, t, s, &truth, &list) < 0)
				return;
			if (t->type == TOK_UNLESS)
				truth = !truth;
			if (truth)
				render_range(r, i + 1, t->else_at != 0 ? t->else_at : t->match, s);
			else if (t->else_at != 0)
				render_range(r, t->else_at + 1, t->match, s);
			i = t->match;
			break;
		case TOK_EACH:
			if (resolve_block(r, t, s, &truth, &list) < 0)
				return;
			for (size_t k = 0; k < list->n_items; k++) {
				struct scope inner = { .vars = list->items[k], .index = k,
						       .count = list->n_items, .outer = s };

				render_range(r, i + 1, t->match, &inner);
			}
			i = t->match;
			break;
		case TOK_ELSE:
		case TOK_END:
			break;
		}
	}
}

int template_render(const char *name, const char *text, const struct template_vars *vars,
		    char **out, char **err)
{
	struct renderer r = { .name = name, .syntax = template_syntax_of(name) };
	struct scope root = { .vars = vars };
	int rc = -1;

	*out = NULL;
	*err = NULL;
	if (tokenize(&r, text) < 0 || match_blocks(&r) < 0)
		goto out;
	trim_standalone(&r);
	render_range(&r, 0, r.n_tok, &root);
	if (r.err != NULL)
		goto out;
	*out = strbuf_detach(&r.out, NULL);
	rc = 0;
out:
	if (rc < 0) {
		*err = r.err;
		r.err = NULL;
	}
	strbuf_clear(&r.out);
	free(r.tok);
	free(r.err);
	return rc;
}

const char *template_assets_dir(void)
{
	const char *env = getenv("K8SW_ASSETS_DIR");

	return env != NULL && *env != '\0' ? env : NULL;
}

/* The developer's override: DIR/templates/NAME from the disk. */
static int read_from_dir(const char *dir, const char *name, char **text, char **err)
{
	char *path = xasprintf("%s/templates/%s", dir, name);
	struct strbuf b = { 0 };
	char chunk[8192];
	FILE *f = fopen(path, "r");
	size_t n;
	int rc = -1;

	if (f == NULL) {
		/* L10N: a path and the system's error message. K8SW_ASSETS_DIR
		 * is the name of an environment variable: keep it. */
		*err = xasprintf(_("cannot read template %s: %s (K8SW_ASSETS_DIR is set: unset it "
				   "to use the templates built into k8s-wizard)"), path, strerror(errno));
		goto out;
	}
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		strbuf_add(&b, chunk, n);
	if (ferror(f)) {
		/* L10N: a path and the system's error message. */
		*err = xasprintf(_("cannot read template %s: %s"), path, strerror(errno));
		goto out;
	}
	*text = strbuf_detach(&b, NULL);
	rc = 0;
out:
	if (f != NULL)
		fclose(f);
	strbuf_clear(&b);
	free(path);
	return rc;
}

int template_read(const char *name, char **text, char **err)
{
	const char *dir = template_assets_dir();
	const struct assets_file *file = NULL;
	char *path = NULL;
	int rc = -1;

	*text = NULL;
	*err = NULL;
	if (dir != NULL) {
		rc = read_from_dir(dir, name, text, err);
		goto out;
	}
	path = xasprintf("templates/%s", name);
	file = assets_find(path);
	if (file == NULL) {
		/* L10N: the name of a template, e.g. kubelet/kubelet.env. */
		*err = xasprintf(_("no template %s is built into k8s-wizard"), name);
		goto out;
	}
	/* With the NUL that ends every built-in file. */
	*text = xmalloc(file->size + 1);
	memcpy(*text, file->data, file->size + 1);
	rc = 0;
out:
	free(path);
	return rc;
}
