/* Patching upstream manifests on their libyaml document trees. Nodes are
 * never edited in place: a new value is a new node that the parent's pair or
 * item points to, so libyaml keeps owning every allocation and the replaced
 * node is freed with its document. The emitter is ours (events from a walk of
 * the tree) because yaml_emitter_dump() would consume the documents. */
#include "config.h"

#include "manifest.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "nls.h"
#include "strbuf.h"
#include "xmalloc.h"
#include "yamlout.h"

struct manifest {
	char *name;
	yaml_document_t *docs;
	size_t n_docs;
};

/* A mapping or sequence created by the patcher: block style. */
#define NEW_MAPPING(d) yaml_document_add_mapping(d, NULL, YAML_BLOCK_MAPPING_STYLE)
#define NEW_SEQUENCE(d) yaml_document_add_sequence(d, NULL, YAML_BLOCK_SEQUENCE_STYLE)

static yaml_node_t *node(const struct manifest *m, size_t doc, int id)
{
	return yaml_document_get_node(&m->docs[doc], id);
}

static const char *scalar_of(const yaml_node_t *n)
{
	return n != NULL && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value
							: NULL;
}

/* The pair of mapping id whose key is key, or NULL. */
static yaml_node_pair_t *pair_of(const struct manifest *m, size_t doc, int id, const char *key,
				 size_t keylen)
{
	yaml_node_t *n = node(m, doc, id);

	if (n == NULL || n->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
	     p++) {
		const char *k = scalar_of(node(m, doc, p->key));

		if (k != NULL && strlen(k) == keylen && strncmp(k, key, keylen) == 0)
			return p;
	}
	return NULL;
}

/* The node at a dotted path below id, or 0. */
static int walk(const struct manifest *m, size_t doc, int id, const char *path)
{
	while (*path != '\0' && id != 0) {
		size_t len = strcspn(path, ".");
		yaml_node_pair_t *p = pair_of(m, doc, id, path, len);

		id = p != NULL ? p->value : 0;
		path += len;
		if (*path == '.')
			path++;
	}
	return id;
}

/* Whether a plain string would be read back as something else in YAML 1.1
 * (a bool, null or number): those are written double-quoted. */
static bool looks_typed(const char *s)
{
	static const char *const words[] = {
		"y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "true", "True", "TRUE",
		"false", "False", "FALSE", "on", "On", "ON", "off", "Off", "OFF", "null", "Null",
		"NULL", "~", ".inf", ".Inf", ".INF", ".nan", ".NaN", ".NAN", "-.inf", "+.inf",
	};

	if (*s == '\0')
		return true;
	for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
		if (strcmp(s, words[i]) == 0)
			return true;
	}
	if ((s[0] == '-' || s[0] == '+' || s[0] == '.') && s[1] >= '0' && s[1] <= '9')
		return true;
	return s[0] >= '0' && s[0] <= '9';
}

static int add_scalar(yaml_document_t *d, const char *value, enum manifest_scalar type)
{
	yaml_scalar_style_t style = type == MANIFEST_STRING && looks_typed(value)
					    ? YAML_DOUBLE_QUOTED_SCALAR_STYLE
					    : YAML_ANY_SCALAR_STYLE;
	int id = yaml_document_add_scalar(d, NULL, (yaml_char_t *)value, (int)strlen(value), style);

	if (id == 0)
		xalloc_die("libyaml: adding a scalar");
	return id;
}

static void append_pair(yaml_document_t *d, int mapping, const char *key, int value)
{
	int k = add_scalar(d, key, MANIFEST_STRING);

	if (!yaml_document_append_mapping_pair(d, mapping, k, value))
		xalloc_die("libyaml: adding a pair");
}

static void append_item(yaml_document_t *d, int sequence, int item)
{
	if (!yaml_document_append_sequence_item(d, sequence, item))
		xalloc_die("libyaml: adding an item");
}

int manifest_parse(const char *name, const char *text, size_t len, struct manifest **out,
		   char **err)
{
	struct manifest *m = xcalloc(1, sizeof *m);
	yaml_parser_t parser;
	int rc = -1;

	*out = NULL;
	*err = NULL;
	m->name = xstrdup(name);
	if (!yaml_parser_initialize(&parser))
		xalloc_die("libyaml: parser");
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	for (;;) {
		yaml_document_t doc;

		if (!yaml_parser_load(&parser, &doc)) {
			const char *problem = parser.problem != NULL ? parser.problem
								     : _("invalid YAML");

			*err = xasprintf("%s:%zu:%zu: %s", name, parser.problem_mark.line + 1,
					 parser.problem_mark.column + 1, problem);
			goto out;
		}
		if (yaml_document_get_root_node(&doc) == NULL) {
			yaml_document_delete(&doc);
			break;
		}
		m->docs = xreallocarray(m->docs, m->n_docs + 1, sizeof *m->docs);
		m->docs[m->n_docs++] = doc;
	}
	*out = m;
	m = NULL;
	rc = 0;
out:
	yaml_parser_delete(&parser);
	manifest_free(&m);
	return rc;
}

int manifest_load(const char *path, struct manifest **out, char **err)
{
	struct strbuf b = { 0 };
	char chunk[16384];
	FILE *f = fopen(path, "r");
	size_t n;
	int rc = -1;

	*out = NULL;
	*err = NULL;
	if (f == NULL) {
		/* L10N: a path and the system's error message. */
		*err = xasprintf(_("cannot read %s: %s"), path, strerror(errno));
		return -1;
	}
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		strbuf_add(&b, chunk, n);
	if (ferror(f))
		/* L10N: a path and the system's error message. */
		*err = xasprintf(_("cannot read %s: %s"), path, strerror(errno));
	else
		rc = manifest_parse(path, b.s != NULL ? b.s : "", b.len, out, err);
	fclose(f);
	strbuf_clear(&b);
	return rc;
}

void manifest_free(struct manifest **mp)
{
	struct manifest *m = *mp;

	if (m == NULL)
		return;
	for (size_t i = 0; i < m->n_docs; i++)
		yaml_document_delete(&m->docs[i]);
	free(m->docs);
	free(m->name);
	free(m);
	*mp = NULL;
}

int manifest_find(const struct manifest *m, const char *kind, const char *name,
		  struct manifest_ref *out, char **err)
{
	*err = NULL;
	for (size_t d = 0; d < m->n_docs; d++) {
		yaml_node_t *root = yaml_document_get_root_node(&m->docs[d]);
		int id = 1; /* the root is node 1 */
		const char *k = NULL, *n = NULL;

		if (root == NULL || root->type != YAML_MAPPING_NODE)
			continue;
		k = scalar_of(node(m, d, walk(m, d, id, "kind")));
		n = scalar_of(node(m, d, walk(m, d, id, "metadata.name")));
		if (k != NULL && n != NULL && strcmp(k, kind) == 0 && strcmp(n, name) == 0) {
			out->doc = d;
			out->node = id;
			return 0;
		}
	}
	/* L10N: the file, a kind (DaemonSet...) and a name. */
	*err = xasprintf(_("%s: no %s named %s: is this the upstream manifest the plan's "
			   "version expects?"), m->name, kind, name);
	return -1;
}

/* The pod spec of a workload object, or 0. */
static int pod_spec(const struct manifest *m, const struct manifest_ref *obj)
{
	const char *kind = scalar_of(node(m, obj->doc, walk(m, obj->doc, obj->node, "kind")));

	if (kind == NULL)
		return 0;
	if (strcmp(kind, "Pod") == 0)
		return walk(m, obj->doc, obj->node, "spec");
	if (strcmp(kind, "CronJob") == 0)
		return walk(m, obj->doc, obj->node, "spec.jobTemplate.spec.template.spec");
	return walk(m, obj->doc, obj->node, "spec.template.spec");
}

static const char *const container_lists[] = { "initContainers", "containers" };

int manifest_find_container(const struct manifest *m, const struct manifest_ref *obj,
			    const char *name, struct manifest_ref *out, char **err)
{
	int spec = pod_spec(m, obj);

	*err = NULL;
	for (size_t l = 0; l < 2 && spec != 0; l++) {
		yaml_node_t *seq = node(m, obj->doc, walk(m, obj->doc, spec, container_lists[l]));

		if (seq == NULL || seq->type != YAML_SEQUENCE_NODE)
			continue;
		for (yaml_node_item_t *it = seq->data.sequence.items.start;
		     it < seq->data.sequence.items.top; it++) {
			int id = walk(m, obj->doc, *it, "name");
			const char *n = scalar_of(node(m, obj->doc, id));

			if (n != NULL && strcmp(n, name) == 0) {
				out->doc = obj->doc;
				out->node = *it;
				return 0;
			}
		}
	}
	/* L10N: the file, a kind, the object's name, a container name. */
	*err = xasprintf(_("%s: %s %s has no container named %s"), m->name,
			 manifest_get(m, obj, "kind"), manifest_get(m, obj, "metadata.name"), name);
	return -1;
}

const char *manifest_get(const struct manifest *m, const struct manifest_ref *at,
			 const char *path)
{
	return scalar_of(node(m, at->doc, walk(m, at->doc, at->node, path)));
}

int manifest_set(struct manifest *m, const struct manifest_ref *at, const char *path,
		 const char *value, enum manifest_scalar type, char **err)
{
	yaml_document_t *d = &m->docs[at->doc];
	const char *p = path;
	int id = at->node;

	*err = NULL;
	for (;;) {
		size_t len = strcspn(p, ".");
		bool last = p[len] == '\0';
		yaml_node_pair_t *pair = NULL;
		char *key = NULL;

		if (node(m, at->doc, id)->type != YAML_MAPPING_NODE) {
			/* L10N: the file, a dotted path, and the part of it already walked. */
			*err = xasprintf(_("%s: cannot set %s: %.*s is not a mapping"), m->name,
					 path, (int)(p - path > 0 ? p - path - 1 : 0), path);
			return -1;
		}
		pair = pair_of(m, at->doc, id, p, len);
		if (last) {
			int v = add_scalar(d, value, type);

			/* Look the pair up again: adding a node may move the pairs. */
			pair = pair_of(m, at->doc, id, p, len);
			if (pair != NULL) {
				pair->value = v;
			} else {
				key = xstrndup(p, len);
				append_pair(d, id, key, v);
				free(key);
			}
			return 0;
		}
		if (pair != NULL) {
			id = pair->value;
		} else {
			int child = NEW_MAPPING(d);

			if (child == 0)
				xalloc_die("libyaml: adding a mapping");
			key = xstrndup(p, len);
			append_pair(d, id, key, child);
			free(key);
			id = child;
		}
		p += len + 1;
	}
}

/* The env list item called name, or 0; *env gets the env sequence (0 when
 * the container has none). */
static int env_item(const struct manifest *m, const struct manifest_ref *c, const char *name,
		    int *env)
{
	yaml_node_t *seq = NULL;

	*env = walk(m, c->doc, c->node, "env");
	seq = node(m, c->doc, *env);
	if (seq == NULL || seq->type != YAML_SEQUENCE_NODE) {
		*env = 0;
		return 0;
	}
	for (yaml_node_item_t *it = seq->data.sequence.items.start;
	     it < seq->data.sequence.items.top; it++) {
		const char *n = scalar_of(node(m, c->doc, walk(m, c->doc, *it, "name")));

		if (n != NULL && strcmp(n, name) == 0)
			return *it;
	}
	return 0;
}

const char *manifest_get_env(const struct manifest *m, const struct manifest_ref *container,
			     const char *name)
{
	int env = 0;
	int item = env_item(m, container, name, &env);

	if (item == 0)
		return NULL;
	return scalar_of(node(m, container->doc, walk(m, container->doc, item, "value")));
}

void manifest_set_env(struct manifest *m, const struct manifest_ref *container, const char *name,
		      const char *value)
{
	yaml_document_t *d = &m->docs[container->doc];
	int env = 0;
	int item = env_item(m, container, name, &env);
	int fresh = 0;

	if (env == 0) {
		env = NEW_SEQUENCE(d);
		if (env == 0)
			xalloc_die("libyaml: adding a sequence");
		append_pair(d, container->node, "env", env);
	}
	/* A new item replaces the old one in place: that drops valueFrom. */
	fresh = NEW_MAPPING(d);
	if (fresh == 0)
		xalloc_die("libyaml: adding a mapping");
	append_pair(d, fresh, "name", add_scalar(d, name, MANIFEST_STRING));
	append_pair(d, fresh, "value", add_scalar(d, value, MANIFEST_STRING));
	if (item != 0) {
		yaml_node_t *seq = node(m, container->doc, env);

		for (yaml_node_item_t *it = seq->data.sequence.items.start;
		     it < seq->data.sequence.items.top; it++) {
			if (*it == item)
				*it = fresh;
		}
	} else {
		append_item(d, env, fresh);
	}
}

/* Whether arg is flag itself or flag=... */
static bool arg_is(const char *arg, const char *flag)
{
	size_t n = strlen(flag);

	return arg != NULL && strncmp(arg, flag, n) == 0 && (arg[n] == '\0' || arg[n] == '=');
}

void manifest_set_arg(struct manifest *m, const struct manifest_ref *container, const char *flag,
		      const char *value)
{
	yaml_document_t *d = &m->docs[container->doc];
	int args = walk(m, container->doc, container->node, "args");
	char *text = value != NULL ? xasprintf("%s=%s", flag, value) : xstrdup(flag);
	int item = add_scalar(d, text, MANIFEST_STRING);
	yaml_node_t *seq = NULL;

	free(text);
	if (args == 0 || node(m, container->doc, args)->type != YAML_SEQUENCE_NODE) {
		args = NEW_SEQUENCE(d);
		if (args == 0)
			xalloc_die("libyaml: adding a sequence");
		append_pair(d, container->node, "args", args);
	}
	seq = node(m, container->doc, args);
	for (yaml_node_item_t *it = seq->data.sequence.items.start;
	     it < seq->data.sequence.items.top; it++) {
		if (arg_is(scalar_of(node(m, container->doc, *it)), flag)) {
			*it = item;
			return;
		}
	}
	append_item(d, args, item);
}

bool manifest_remove_arg(struct manifest *m, const struct manifest_ref *container,
			 const char *flag)
{
	int args = walk(m, container->doc, container->node, "args");
	yaml_node_t *seq = node(m, container->doc, args);
	bool removed = false;

	if (seq == NULL || seq->type != YAML_SEQUENCE_NODE)
		return false;
	for (yaml_node_item_t *it = seq->data.sequence.items.start;
	     it < seq->data.sequence.items.top;) {
		if (arg_is(scalar_of(node(m, container->doc, *it)), flag)) {
			size_t rest = (size_t)(seq->data.sequence.items.top - it - 1);

			memmove(it, it + 1, rest * sizeof *it);
			seq->data.sequence.items.top--;
			removed = true;
		} else {
			it++;
		}
	}
	return removed;
}

int manifest_set_port(struct manifest *m, const struct manifest_ref *container, const char *name,
		      unsigned port, char **err)
{
	int ports = walk(m, container->doc, container->node, "ports");
	yaml_node_t *seq = node(m, container->doc, ports);
	char num[16];
	bool found = false;

	*err = NULL;
	xsnprintf(num, sizeof num, "%u", port);
	for (size_t i = 0; seq != NULL && seq->type == YAML_SEQUENCE_NODE &&
			   seq->data.sequence.items.start + i < seq->data.sequence.items.top;
	     i++) {
		struct manifest_ref item = { container->doc, seq->data.sequence.items.start[i] };
		const char *n = manifest_get(m, &item, "name");

		if (n != NULL && strcmp(n, name) == 0) {
			if (manifest_set(m, &item, "containerPort", num, MANIFEST_PLAIN, err) < 0)
				return -1;
			found = true;
			/* manifest_set may have moved the sequence's storage. */
			seq = node(m, container->doc,
				   walk(m, container->doc, container->node, "ports"));
		}
	}
	if (!found) {
		/* L10N: the file, a container, a port name. */
		*err = xasprintf(_("%s: container %s has no port named %s"), m->name,
				 manifest_get(m, container, "name"), name);
		return -1;
	}
	return 0;
}

void manifest_foreach_container(struct manifest *m, manifest_container_fn fn, void *data)
{
	static const char *const workloads[] = { "Pod", "Deployment", "DaemonSet", "StatefulSet",
						 "ReplicaSet", "Job", "CronJob" };

	for (size_t d = 0; d < m->n_docs; d++) {
		struct manifest_ref obj = { d, 1 };
		const char *kind = NULL;
		bool workload = false;
		int spec = 0;

		if (yaml_document_get_root_node(&m->docs[d]) == NULL)
			continue;
		kind = manifest_get(m, &obj, "kind");
		for (size_t w = 0; kind != NULL && w < sizeof workloads / sizeof workloads[0]; w++)
			workload |= strcmp(kind, workloads[w]) == 0;
		spec = workload ? pod_spec(m, &obj) : 0;
		for (size_t l = 0; l < 2 && spec != 0; l++) {
			yaml_node_t *seq = node(m, d, walk(m, d, spec, container_lists[l]));
			size_t n = seq != NULL && seq->type == YAML_SEQUENCE_NODE
					   ? (size_t)(seq->data.sequence.items.top -
						      seq->data.sequence.items.start)
					   : 0;

			for (size_t i = 0; i < n; i++) {
				struct manifest_ref c = { d, 0 };

				/* Re-read: fn may have added nodes and moved storage. */
				seq = node(m, d, walk(m, d, spec, container_lists[l]));
				c.node = seq->data.sequence.items.start[i];
				fn(m, &obj, &c, data);
			}
		}
	}
}

static void emit_node(struct yamlout *e, yaml_document_t *d, int id)
{
	yaml_node_t *n = yaml_document_get_node(d, id);
	yaml_event_t ev;

	switch (n->type) {
	case YAML_SCALAR_NODE:
		yaml_scalar_event_initialize(&ev, NULL, NULL, n->data.scalar.value,
					     (int)n->data.scalar.length, 1, 1,
					     n->data.scalar.style);
		yamlout_event(e, &ev);
		break;
	case YAML_SEQUENCE_NODE:
		yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, n->data.sequence.style);
		yamlout_event(e, &ev);
		for (yaml_node_item_t *it = n->data.sequence.items.start;
		     it < n->data.sequence.items.top; it++)
			emit_node(e, d, *it);
		yaml_sequence_end_event_initialize(&ev);
		yamlout_event(e, &ev);
		break;
	case YAML_MAPPING_NODE:
		yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, n->data.mapping.style);
		yamlout_event(e, &ev);
		for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
		     p < n->data.mapping.pairs.top; p++) {
			emit_node(e, d, p->key);
			emit_node(e, d, p->value);
		}
		yaml_mapping_end_event_initialize(&ev);
		yamlout_event(e, &ev);
		break;
	case YAML_NO_NODE:
		break;
	}
}

char *manifest_emit(const struct manifest *m, size_t *len)
{
	struct yamlout y;

	yamlout_begin(&y, false);
	for (size_t i = 0; i < m->n_docs; i++) {
		yaml_node_t *root = yaml_document_get_root_node(&m->docs[i]);

		/* A document of comments only loads as an empty scalar. */
		if (root->type == YAML_SCALAR_NODE && root->data.scalar.length == 0)
			continue;
		yamlout_document(&y, false);
		emit_node(&y, &m->docs[i], 1);
	}
	return yamlout_end(&y, len);
}
