/* Plans as YAML: a schema-driven walk of libyaml's document tree for loading,
 * and libyaml's event emitter for saving. */
#include "config.h"

#include "planfile.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

#include "fileio.h"
#include "nls.h"
#include "xmalloc.h"
#include "yamlout.h"

/* Plans are small; a larger file is a mistake, not a plan. */
#define PLANFILE_MAX_SIZE (16u << 20)

struct loader {
	yaml_document_t *doc;
	struct plan *plan;
	struct problems *problems;
	unsigned char *visited; /* one flag per node: aliases are refused */
	size_t n_nodes;
	size_t errors;
	bool walked; /* the document was a mapping: a partial plan means something */
};

static void loader_error(struct loader *l, const char *path, const yaml_node_t *node,
			 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void loader_error(struct loader *l, const char *path, const yaml_node_t *node,
			 const char *fmt, ...)
{
	char *msg = NULL;
	va_list ap;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	problems_add_at(l->problems, PROBLEM_ERROR, path,
			node != NULL ? (unsigned)node->start_mark.line + 1 : 0,
			node != NULL ? (unsigned)node->start_mark.column + 1 : 0, "%s", msg);
	free(msg);
	l->errors++;
}

static const char *node_kind(const yaml_node_t *node)
{
	switch (node->type) {
	case YAML_SCALAR_NODE:
		return _("a scalar");
	case YAML_SEQUENCE_NODE:
		return _("a list");
	case YAML_MAPPING_NODE:
		return _("a mapping");
	default:
		return _("nothing");
	}
}

/* Fetch a node, refusing one reached a second time (an alias). An alias has
 * no position of its own in the document tree, so the problem is reported at
 * where, the key or the list that holds it. */
static yaml_node_t *loader_node(struct loader *l, int id, const char *path,
				const yaml_node_t *where)
{
	yaml_node_t *node = yaml_document_get_node(l->doc, id);

	if (node == NULL)
		return NULL;
	if (l->visited[id - 1]) {
		loader_error(l, path, where, _("aliases (*name) are not supported in a plan"));
		return NULL;
	}
	l->visited[id - 1] = 1;
	return node;
}

static const char *scalar(const yaml_node_t *node)
{
	return (const char *)node->data.scalar.value;
}

static bool scalar_is_plain(const yaml_node_t *node)
{
	return node->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
}

/* A plain "", "~" or "null" is YAML's null. */
static bool scalar_is_null(const yaml_node_t *node)
{
	const char *s = scalar(node);

	return scalar_is_plain(node) &&
	       (*s == '\0' || strcmp(s, "~") == 0 || strcmp(s, "null") == 0 ||
		strcmp(s, "Null") == 0 || strcmp(s, "NULL") == 0);
}

static void record_mark(struct loader *l, const char *path, const yaml_node_t *node)
{
	plan_set_mark(l->plan, path, (unsigned)node->start_mark.line + 1,
		      (unsigned)node->start_mark.column + 1);
}

/* Read a scalar that must be a string (or null). Returns NULL on a type error. */
static const char *load_string_node(struct loader *l, const char *path, const yaml_node_t *node)
{
	if (node->type != YAML_SCALAR_NODE) {
		loader_error(l, path, node, _("expected a string, found %s"), node_kind(node));
		return NULL;
	}
	/* A "\0" escape would silently cut the C string short. */
	if (strlen(scalar(node)) != node->data.scalar.length) {
		loader_error(l, path, node, _("the value contains a NUL character"));
		return NULL;
	}
	return scalar_is_null(node) ? "" : scalar(node);
}

static void load_uint(struct loader *l, const char *path, const yaml_node_t *node,
		      unsigned *out)
{
	const char *s = NULL;
	unsigned long v = 0;

	if (node->type != YAML_SCALAR_NODE || !scalar_is_plain(node)) {
		loader_error(l, path, node, _("expected a number, found %s"),
			     node->type == YAML_SCALAR_NODE ? _("a quoted string") : node_kind(node));
		return;
	}
	s = scalar(node);
	if (*s == '\0' || strspn(s, "0123456789") != strlen(s) || strlen(s) > 9) {
		loader_error(l, path, node, _("'%s' is not a whole number"), s);
		return;
	}
	v = strtoul(s, NULL, 10);
	/* YAML 1.1 readers take 022 for octal 18: the number must mean the same
	 * to every reader. */
	if (s[0] == '0' && s[1] != '\0') {
		loader_error(l, path, node,
			     /* L10N: '%1$s' is the number as written, %2$lu without its zeros. */
			     _("'%s' starts with 0, which YAML 1.1 reads as octal: write %lu"), s, v);
		return;
	}
	*out = (unsigned)v;
}

static void load_bool(struct loader *l, const char *path, const yaml_node_t *node, bool *out)
{
	static const char *const yes[] = { "true", "True", "TRUE", NULL };
	static const char *const no[] = { "false", "False", "FALSE", NULL };
	const char *s = NULL;

	if (node->type == YAML_SCALAR_NODE && scalar_is_plain(node)) {
		s = scalar(node);
		for (size_t i = 0; yes[i] != NULL; i++) {
			if (strcmp(s, yes[i]) == 0) {
				*out = true;
				return;
			}
			if (strcmp(s, no[i]) == 0) {
				*out = false;
				return;
			}
		}
		loader_error(l, path, node, _("'%s' is not a boolean: use true or false"), s);
		return;
	}
	loader_error(l, path, node, _("expected true or false, found %s"),
		     node->type == YAML_SCALAR_NODE ? _("a quoted string") : node_kind(node));
}

static void load_enum(struct loader *l, const char *path, const yaml_node_t *node,
		      const char *const *names, int *out)
{
	const char *s = load_string_node(l, path, node);
	char *choices = NULL;

	if (s == NULL)
		return;
	for (int i = 0; names[i] != NULL; i++) {
		if (strcmp(names[i], s) == 0) {
			*out = i;
			return;
		}
	}
	choices = plan_enum_choices(names);
	loader_error(l, path, node, _("'%s' is not valid: use %s"), s, choices);
	free(choices);
}

static void load_strlist(struct loader *l, const char *path, const yaml_node_t *node,
			 struct strlist *out)
{
	strlist_clear(out);
	if (node->type != YAML_SEQUENCE_NODE) {
		loader_error(l, path, node, _("expected a list, found %s"), node_kind(node));
		return;
	}
	for (yaml_node_item_t *it = node->data.sequence.items.start;
	     it < node->data.sequence.items.top; it++) {
		char *ipath = plan_path_index(path, (size_t)(it - node->data.sequence.items.start));
		yaml_node_t *item = loader_node(l, *it, ipath, node);
		const char *s = item != NULL ? load_string_node(l, ipath, item) : NULL;

		if (s != NULL) {
			record_mark(l, ipath, item);
			strlist_add(out, s);
		}
		free(ipath);
	}
}

static void load_roles(struct loader *l, const char *path, const yaml_node_t *node,
		       unsigned *out)
{
	*out = 0;
	if (node->type != YAML_SEQUENCE_NODE) {
		loader_error(l, path, node, _("expected a list of roles, found %s"), node_kind(node));
		return;
	}
	for (yaml_node_item_t *it = node->data.sequence.items.start;
	     it < node->data.sequence.items.top; it++) {
		yaml_node_t *item = loader_node(l, *it, path, node);
		const char *s = item != NULL ? load_string_node(l, path, item) : NULL;
		unsigned bit = 0;

		if (s == NULL)
			continue;
		for (unsigned i = 0; plan_role_names[i] != NULL; i++) {
			if (strcmp(plan_role_names[i], s) == 0)
				bit = 1u << i;
		}
		if (bit == 0) {
			char *choices = plan_enum_choices(plan_role_names);

			loader_error(l, path, item, _("unknown role '%s': use %s"), s, choices);
			free(choices);
		} else if (*out & bit) {
			loader_error(l, path, item, _("role '%s' is listed twice"), s);
		}
		*out |= bit;
	}
}

typedef void (*pair_fn)(struct loader *l, const char *path, const yaml_node_t *key,
			yaml_node_t *value, void *ctx);

/* Walk a mapping: keys must be unique scalars; fn gets each pair. */
static void walk_mapping(struct loader *l, const char *path, const yaml_node_t *node,
			 pair_fn fn, void *ctx)
{
	yaml_node_pair_t *start = node->data.mapping.pairs.start;

	for (yaml_node_pair_t *pair = start; pair < node->data.mapping.pairs.top; pair++) {
		yaml_node_t *key = loader_node(l, pair->key, path, node);
		yaml_node_t *value = NULL;
		char *kpath = NULL;
		bool duplicate = false;

		if (key == NULL)
			continue;
		if (key->type != YAML_SCALAR_NODE) {
			loader_error(l, path, key, _("a key must be a plain word, found %s"),
				     node_kind(key));
			continue;
		}
		/* A "\0" escape would cut the key short: "name\0junk" would read as name. */
		if (strlen(scalar(key)) != key->data.scalar.length) {
			loader_error(l, path, key, _("a key contains a NUL character"));
			continue;
		}
		for (yaml_node_pair_t *prev = start; prev < pair && !duplicate; prev++) {
			yaml_node_t *pk = yaml_document_get_node(l->doc, prev->key);

			duplicate = pk != NULL && pk->type == YAML_SCALAR_NODE &&
				    strcmp(scalar(pk), scalar(key)) == 0;
		}
		kpath = plan_path_join(path, scalar(key));
		if (duplicate)
			loader_error(l, kpath, key, _("duplicate key '%s'"), scalar(key));
		else
			value = loader_node(l, pair->value, kpath, key);
		if (value != NULL)
			fn(l, path, key, value, ctx);
		free(kpath);
	}
}

static void load_table(struct loader *l, const char *path, const yaml_node_t *node,
		       const struct plan_field *fields, void *base);

static void unknown_key(struct loader *l, const char *path, const yaml_node_t *key,
			const struct plan_field *fields)
{
	char *kpath = plan_path_join(path, scalar(key));
	char *valid = xstrdup("");

	for (const struct plan_field *f = fields; f->key != NULL; f++) {
		char *next = xasprintf("%s%s%s", valid, *valid ? ", " : "", f->key);

		free(valid);
		valid = next;
	}
	/* Point at the key: the value may be far below it. */
	loader_error(l, kpath, key, _("unknown key '%s' (valid keys here: %s)"), scalar(key), valid);
	free(valid);
	free(kpath);
}

struct table_ctx {
	const struct plan_field *fields;
	void *base;
};

static void load_hosts(struct loader *l, const char *path, const yaml_node_t *node);
static void load_mirrors(struct loader *l, const char *path, const yaml_node_t *node);

static void table_pair(struct loader *l, const char *path, const yaml_node_t *knode,
		       yaml_node_t *value, void *ctx)
{
	const char *key = scalar(knode);
	struct table_ctx *t = ctx;
	const struct plan_field *f = NULL;
	char *fpath = NULL;
	void *ptr = NULL;

	for (const struct plan_field *it = t->fields; it->key != NULL; it++) {
		if (strcmp(it->key, key) == 0)
			f = it;
	}
	if (f == NULL) {
		unknown_key(l, path, knode, t->fields);
		return;
	}
	fpath = plan_path_join(path, key);
	record_mark(l, fpath, value);
	ptr = plan_field_ptr(t->base, f);
	switch (f->type) {
	case PT_SECTION:
		load_table(l, fpath, value, f->fields, ptr);
		break;
	case PT_STRING: {
		const char *s = load_string_node(l, fpath, value);

		if (s != NULL)
			plan_set_string(ptr, s);
		break;
	}
	case PT_UINT:
		load_uint(l, fpath, value, ptr);
		break;
	case PT_BOOL:
		load_bool(l, fpath, value, ptr);
		break;
	case PT_ENUM:
		load_enum(l, fpath, value, f->enum_names, ptr);
		break;
	case PT_STRLIST:
		load_strlist(l, fpath, value, ptr);
		break;
	case PT_ROLES:
		load_roles(l, fpath, value, ptr);
		break;
	case PT_HOSTS:
		load_hosts(l, fpath, value);
		break;
	case PT_MIRRORS:
		load_mirrors(l, fpath, value);
		break;
	}
	free(fpath);
}

static void load_table(struct loader *l, const char *path, const yaml_node_t *node,
		       const struct plan_field *fields, void *base)
{
	struct table_ctx t = { fields, base };

	if (node->type != YAML_MAPPING_NODE) {
		loader_error(l, path, node, _("expected a mapping of keys, found %s"), node_kind(node));
		return;
	}
	walk_mapping(l, path, node, table_pair, &t);
}

static void load_hosts(struct loader *l, const char *path, const yaml_node_t *node)
{
	struct plan *p = l->plan;

	for (size_t i = 0; i < p->n_hosts; i++)
		plan_host_clear(&p->hosts[i]);
	p->n_hosts = 0;
	if (node->type != YAML_SEQUENCE_NODE) {
		loader_error(l, path, node, _("expected a list of hosts, found %s"), node_kind(node));
		return;
	}
	for (yaml_node_item_t *it = node->data.sequence.items.start;
	     it < node->data.sequence.items.top; it++) {
		char *hpath = plan_path_index(path, p->n_hosts);
		yaml_node_t *item = loader_node(l, *it, hpath, node);

		if (item != NULL) {
			record_mark(l, hpath, item);
			load_table(l, hpath, item, plan_host_schema(), plan_add_host(p, NULL));
		}
		free(hpath);
	}
}

static void mirror_pair(struct loader *l, const char *path, const yaml_node_t *key,
			yaml_node_t *value, void *ctx)
{
	char *mpath = plan_path_join(path, scalar(key));

	(void)ctx;
	record_mark(l, mpath, value);
	load_strlist(l, mpath, value, &plan_add_mirror(l->plan, scalar(key))->endpoints);
	free(mpath);
}

static void load_mirrors(struct loader *l, const char *path, const yaml_node_t *node)
{
	struct plan *p = l->plan;

	while (p->registries.n_mirrors > 0)
		plan_remove_mirror(p, p->registries.n_mirrors - 1);
	if (node->type != YAML_MAPPING_NODE) {
		loader_error(l, path, node, _("expected a mapping of registry: [endpoints], found %s"),
			     node_kind(node));
		return;
	}
	walk_mapping(l, path, node, mirror_pair, NULL);
}

struct root_ctx {
	bool seen_api, seen_kind, seen_hosts;
};

static void root_pair(struct loader *l, const char *path, const yaml_node_t *knode,
		      yaml_node_t *value, void *ctx)
{
	const char *key = scalar(knode);
	struct root_ctx *r = ctx;
	struct table_ctx t = { plan_schema(), l->plan };
	const char *s = NULL;

	if (strcmp(key, "apiVersion") == 0 || strcmp(key, "kind") == 0) {
		bool api = key[0] == 'a';
		const char *want = api ? PLAN_API_VERSION : PLAN_KIND;

		*(api ? &r->seen_api : &r->seen_kind) = true;
		s = load_string_node(l, key, value);
		if (s != NULL && strcmp(s, want) != 0)
			loader_error(l, key, value, _("'%s' is not supported: this version reads %s"),
				     s, want);
		return;
	}
	if (strcmp(key, "hosts") == 0)
		r->seen_hosts = true;
	table_pair(l, path, knode, value, &t);
}

static void load_root(struct loader *l, const yaml_node_t *root)
{
	struct root_ctx r = { false, false, false };

	if (root->type != YAML_MAPPING_NODE) {
		loader_error(l, "apiVersion", root,
			     _("a plan is a mapping starting with apiVersion: %s, found %s"),
			     PLAN_API_VERSION, node_kind(root));
		return;
	}
	record_mark(l, "", root);
	l->walked = true;
	walk_mapping(l, "", root, root_pair, &r);
	if (!r.seen_api)
		loader_error(l, "apiVersion", root, _("apiVersion is missing: add apiVersion: %s"),
			     PLAN_API_VERSION);
	if (!r.seen_kind)
		loader_error(l, "kind", root, _("kind is missing: add kind: %s"), PLAN_KIND);
	if (!r.seen_hosts)
		loader_error(l, "hosts", root, _("hosts is missing: a plan lists its servers"));
}

static void parser_problem(struct problems *problems, const yaml_parser_t *parser)
{
	const yaml_mark_t *mark = &parser->problem_mark;
	const char *what = parser->problem != NULL ? parser->problem : _("unreadable YAML");

	if (parser->context != NULL)
		problems_add_at(problems, PROBLEM_ERROR, "yaml", (unsigned)mark->line + 1,
				(unsigned)mark->column + 1, _("syntax error: %s %s"), what,
				parser->context);
	else
		problems_add_at(problems, PROBLEM_ERROR, "yaml", (unsigned)mark->line + 1,
				(unsigned)mark->column + 1, _("syntax error: %s"), what);
}

/* A limit of check_shape() passed at mark: one error there. Returns false. */
static bool shape_problem(struct problems *problems, const yaml_mark_t *mark, const char *fmt,
			  int limit) __attribute__((format(printf, 3, 0)));

static bool shape_problem(struct problems *problems, const yaml_mark_t *mark, const char *fmt,
			  int limit)
{
	char *msg = xasprintf(fmt, limit);

	problems_add_at(problems, PROBLEM_ERROR, "yaml", (unsigned)mark->line + 1,
			(unsigned)mark->column + 1, "%s", msg);
	free(msg);
	return false;
}

/* Refuse text that nests deeper or holds more values than any plan, before
 * libyaml builds a document tree of it: the tree costs about 160 bytes a
 * value (an 11 MB flat list took 912 MB), and deep flow collections cost time
 * quadratic in their depth. The event parser stops at the first value past a
 * limit, so this pass is linear and small. Syntax errors are left for the
 * loader to report. Returns false when a limit was passed (problem added). */
static bool check_shape(const char *text, size_t len, struct problems *problems)
{
	yaml_parser_t parser;
	yaml_event_t event;
	size_t depth = 0, values = 0;
	bool ok = true, done = false;

	if (!yaml_parser_initialize(&parser))
		return true;
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	while (!done && ok && yaml_parser_parse(&parser, &event)) {
		const yaml_mark_t *m = &event.start_mark;

		switch (event.type) {
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			depth++;
			values++;
			if (depth > PLANFILE_MAX_DEPTH)
				ok = shape_problem(problems, m,
						   /* L10N: %d is the number of levels allowed. */
						   _("lists and mappings nest deeper than %d "
						     "levels here (a plan needs 4)"),
						   PLANFILE_MAX_DEPTH);
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			depth--;
			break;
		case YAML_SCALAR_EVENT:
		case YAML_ALIAS_EVENT:
			values++;
			break;
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		default:
			break;
		}
		if (ok && values > PLANFILE_MAX_VALUES)
			ok = shape_problem(problems, m,
					   /* L10N: %d is the number of values allowed. */
					   _("the file holds more than %d values by here: a plan "
					     "of 10,000 hosts needs fewer"),
					   PLANFILE_MAX_VALUES);
		yaml_event_delete(&event);
	}
	yaml_parser_delete(&parser);
	return ok;
}

/* Refuse a second document, which would otherwise be ignored. */
static void check_single_document(struct loader *l, yaml_parser_t *parser)
{
	yaml_document_t extra;
	yaml_node_t *root = NULL;

	if (!yaml_parser_load(parser, &extra)) {
		parser_problem(l->problems, parser);
		l->errors++;
		return;
	}
	root = yaml_document_get_root_node(&extra);
	if (root != NULL) {
		loader_error(l, "yaml", root, _("a plan file holds one YAML document; found another"));
	}
	yaml_document_delete(&extra);
}

struct plan *planfile_parse(const char *text, size_t len, struct problems *problems,
			    struct plan **partial)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *root = NULL;
	struct loader l = { 0 };
	struct plan *plan = NULL;
	bool have_doc = false;

	l.problems = problems;
	l.plan = plan_new_empty();
	if (partial != NULL)
		*partial = NULL;
	if (!yaml_parser_initialize(&parser)) {
		problems_add(problems, PROBLEM_ERROR, "yaml", _("cannot start the YAML parser"));
		goto out;
	}
	if (!check_shape(text, len, problems))
		goto out;
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &doc)) {
		parser_problem(problems, &parser);
		goto out;
	}
	have_doc = true;
	root = yaml_document_get_root_node(&doc);
	if (root == NULL) {
		problems_add_at(problems, PROBLEM_ERROR, "apiVersion", 1, 1,
				_("the file is empty: a plan starts with apiVersion: %s"),
				PLAN_API_VERSION);
		goto out;
	}
	l.doc = &doc;
	l.n_nodes = (size_t)(doc.nodes.top - doc.nodes.start);
	l.visited = xcalloc(l.n_nodes, 1);
	l.visited[0] = 1; /* the root */
	load_root(&l, root);
	check_single_document(&l, &parser);
	if (l.errors == 0) {
		plan = l.plan;
		l.plan = NULL;
	}
out:
	if (have_doc)
		yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	free(l.visited);
	if (partial != NULL && l.walked) {
		*partial = l.plan;
		l.plan = NULL;
	}
	plan_free(&l.plan);
	return plan;
}

static void emit_scalar(struct yamlout *y, const char *s, bool is_string)
{
	yamlout_scalar(y, s, is_string ? YAMLOUT_STRING : YAMLOUT_PLAIN);
}

static void emit_start(struct yamlout *y, bool mapping, bool flow)
{
	if (mapping)
		yamlout_mapping(y, flow);
	else
		yamlout_sequence(y, flow);
}

static void emit_strlist(struct yamlout *e, const struct strlist *l, bool flow)
{
	emit_start(e, false, flow || l->n == 0);
	for (size_t i = 0; i < l->n; i++)
		emit_scalar(e, l->v[i], true);
	yamlout_close(e, false);
}

static void emit_table(struct yamlout *e, const struct plan *p, const void *base,
		       const struct plan_field *fields, bool is_host);

static void emit_hosts(struct yamlout *e, const struct plan *p)
{
	emit_start(e, false, p->n_hosts == 0);
	for (size_t i = 0; i < p->n_hosts; i++)
		emit_table(e, p, &p->hosts[i], plan_host_schema(), true);
	yamlout_close(e, false);
}

static void emit_mirrors(struct yamlout *e, const struct plan *p)
{
	const struct plan_registries *r = &p->registries;

	emit_start(e, true, r->n_mirrors == 0);
	for (size_t i = 0; i < r->n_mirrors; i++) {
		emit_scalar(e, r->mirrors[i].registry, true);
		emit_strlist(e, &r->mirrors[i].endpoints, false);
	}
	yamlout_close(e, true);
}

static void emit_field(struct yamlout *e, const struct plan *p, const struct plan_field *f,
		       const void *ptr)
{
	char num[16];

	switch (f->type) {
	case PT_SECTION:
		emit_table(e, p, ptr, f->fields, false);
		break;
	case PT_STRING: {
		const char *s = *(char *const *)ptr;

		emit_scalar(e, s != NULL ? s : "", true);
		break;
	}
	case PT_UINT:
		xsnprintf(num, sizeof num, "%u", *(const unsigned *)ptr);
		emit_scalar(e, num, false);
		break;
	case PT_BOOL:
		emit_scalar(e, *(const bool *)ptr ? "true" : "false", false);
		break;
	case PT_ENUM:
		emit_scalar(e, f->enum_names[*(const int *)ptr], false);
		break;
	case PT_STRLIST:
		emit_strlist(e, ptr, false);
		break;
	case PT_ROLES: {
		unsigned roles = *(const unsigned *)ptr;

		emit_start(e, false, true);
		for (unsigned i = 0; plan_role_names[i] != NULL; i++) {
			if (roles & (1u << i))
				emit_scalar(e, plan_role_names[i], false);
		}
		yamlout_close(e, false);
		break;
	}
	case PT_HOSTS:
		emit_hosts(e, p);
		break;
	case PT_MIRRORS:
		emit_mirrors(e, p);
		break;
	}
}

/* Hosts leave out an unset port and user: they inherit ssh.port and ssh.user. */
static bool host_field_unset(const struct plan_field *f, const void *ptr)
{
	if (f->type == PT_UINT)
		return *(const unsigned *)ptr == 0;
	if (f->type == PT_STRING && f->optional)
		return *(char *const *)ptr == NULL;
	return false;
}

static void emit_table(struct yamlout *e, const struct plan *p, const void *base,
		       const struct plan_field *fields, bool is_host)
{
	emit_start(e, true, false);
	for (const struct plan_field *f = fields; f->key != NULL; f++) {
		const void *ptr = (const char *)base + f->offset;

		if (is_host && host_field_unset(f, ptr))
			continue;
		emit_scalar(e, f->key, false);
		emit_field(e, p, f, ptr);
	}
	yamlout_close(e, true);
}

char *planfile_emit(const struct plan *p, size_t *len)
{
	struct yamlout y;

	yamlout_begin(&y, false);
	yamlout_document(&y, true);
	yamlout_mapping(&y, false);
	yamlout_pair(&y, "apiVersion", PLAN_API_VERSION);
	yamlout_pair(&y, "kind", PLAN_KIND);
	for (const struct plan_field *f = plan_schema(); f->key != NULL; f++) {
		emit_scalar(&y, f->key, false);
		emit_field(&y, p, f, (const char *)p + f->offset);
	}
	yamlout_close(&y, true);
	return yamlout_end(&y, len);
}

struct plan *planfile_load(const char *filename, struct problems *problems,
			   struct plan **partial)
{
	struct plan *plan = NULL;
	char *text = NULL, *err = NULL;
	size_t len = 0;
	int rc = fileio_read_named(filename, PLANFILE_MAX_SIZE, &text, &len, &err);

	if (partial != NULL)
		*partial = NULL;
	if (rc == 1)
		problems_add(problems, PROBLEM_ERROR, "file", _("cannot read the plan: %s"),
			     strerror(ENOENT));
	else if (rc < 0)
		problems_add(problems, PROBLEM_ERROR, "file", "%s", err);
	else
		plan = planfile_parse(text, len, problems, partial);
	free(text);
	free(err);
	return plan;
}

int planfile_save(const struct plan *p, const char *filename, char **err)
{
	struct stat st;
	size_t len = 0;
	char *text = NULL;
	char *target = NULL;
	int rc = -1;

	*err = NULL;
	/* The rename would replace a link with a file: an operator who keeps
	 * plan.yaml as a link into a repository expects the file changed. */
	if (lstat(filename, &st) == 0 && S_ISLNK(st.st_mode)) {
		target = realpath(filename, NULL);
		if (target == NULL) {
			*err = xasprintf(_("cannot save through the link %s: %s"), filename,
					 strerror(errno));
			goto out;
		}
	}
	text = planfile_emit(p, &len);
	rc = fileio_write_atomic(target != NULL ? target : filename, text, len, 0644, err);
out:
	free(text);
	free(target);
	return rc;
}
