/* Field-by-field editing of a plan as text, for the wizard's forms. The
 * conversions follow the YAML loader's rules for each type, with the same
 * messages, so a value typed in the wizard means what it would mean in a
 * plan file. */
#include "config.h"

#include "planedit.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "net.h"
#include "nls.h"
#include "xmalloc.h"

/* The field named by the len bytes at name in table, or NULL. */
static const struct plan_field *find_key(const struct plan_field *table, const char *name,
					 size_t len)
{
	for (const struct plan_field *f = table; f->key != NULL; f++) {
		if (strlen(f->key) == len && strncmp(f->key, name, len) == 0)
			return f;
	}
	return NULL;
}

void *planedit_resolve(struct plan *p, const char *path, const struct plan_field **field)
{
	const struct plan_field *table = plan_schema();
	const struct plan_field *f = NULL;
	void *base = p;

	*field = NULL;
	while (*path != '\0') {
		size_t len = strcspn(path, ".[");

		f = find_key(table, path, len);
		if (f == NULL)
			return NULL;
		path += len;
		if (f->type == PT_HOSTS && *path == '[') {
			char *end = NULL;
			unsigned long i = strtoul(path + 1, &end, 10);

			if (end == path + 1 || *end != ']' || i >= p->n_hosts)
				return NULL;
			base = &p->hosts[i];
			table = f->fields;
			path = end + 1;
		} else if (f->type == PT_SECTION) {
			base = plan_field_ptr(base, f);
			table = f->fields;
		} else if (*path == '\0') {
			break;
		} else {
			return NULL;
		}
		if (*path != '.')
			return NULL;
		path++;
	}
	if (f == NULL || f->type == PT_SECTION || f->type == PT_HOSTS || f->type == PT_MIRRORS)
		return NULL;
	*field = f;
	return base;
}

/* Join list items with sep. */
static char *join(char *const *v, size_t n, const char *sep)
{
	char *out = xstrdup("");

	for (size_t i = 0; i < n; i++) {
		char *next = xasprintf("%s%s%s", out, i > 0 ? sep : "", v[i]);

		free(out);
		out = next;
	}
	return out;
}

char *planedit_get(const void *base, const struct plan_field *f)
{
	const void *ptr = (const char *)base + f->offset;

	switch (f->type) {
	case PT_STRING: {
		const char *s = *(char *const *)ptr;

		return xstrdup(s != NULL ? s : "");
	}
	case PT_UINT:
		return xasprintf("%u", *(const unsigned *)ptr);
	case PT_BOOL:
		return xstrdup(*(const bool *)ptr ? "true" : "false");
	case PT_ENUM:
		return xstrdup(f->enum_names[*(const int *)ptr]);
	case PT_STRLIST: {
		const struct strlist *l = ptr;

		return join(l->v, l->n, ", ");
	}
	case PT_ROLES: {
		const char *names[8];
		size_t n = 0;

		for (unsigned i = 0; f->enum_names[i] != NULL && n < 8; i++) {
			if (*(const unsigned *)ptr & (1u << i))
				names[n++] = f->enum_names[i];
		}
		return join((char *const *)names, n, " ");
	}
	case PT_SECTION:
	case PT_HOSTS:
	case PT_MIRRORS:
		break;
	}
	return xstrdup("");
}

/* The words of text separated by commas and blanks. */
static void split_words(const char *text, struct strlist *out)
{
	const char *seps = ", \t";

	while (*text != '\0') {
		size_t len;

		text += strspn(text, seps);
		len = strcspn(text, seps);
		if (len > 0) {
			char *word = xstrndup(text, len);

			strlist_add(out, word);
			free(word);
		}
		text += len;
	}
}

static int set_roles(unsigned *out, const struct plan_field *f, const char *text, char **err)
{
	struct strlist words = { 0 };
	unsigned roles = 0;
	int rc = 0;

	split_words(text, &words);
	for (size_t i = 0; i < words.n && rc == 0; i++) {
		unsigned bit = 0;

		for (unsigned j = 0; f->enum_names[j] != NULL; j++) {
			if (strcmp(f->enum_names[j], words.v[i]) == 0)
				bit = 1u << j;
		}
		if (bit == 0) {
			char *names = plan_enum_choices(f->enum_names);

			*err = xasprintf(_("unknown role '%s': use %s"), words.v[i], names);
			free(names);
			rc = -1;
		}
		roles |= bit;
	}
	if (rc == 0)
		*out = roles;
	strlist_clear(&words);
	return rc;
}

/* Store the trimmed text in the field; see planedit_set(). */
static int set_trimmed(void *ptr, const struct plan_field *f, const char *text, char **err)
{
	bool empty = *text == '\0';
	const char *value = empty && f->def != NULL ? f->def : text;

	switch (f->type) {
	case PT_STRING:
		plan_set_string(ptr, text);
		return 0;
	case PT_UINT:
		/* At most 9 digits, as in a plan file: the range check is the
		 * validator's, this only keeps the number representable. */
		if (*value == '\0' || strspn(value, "0123456789") != strlen(value) ||
		    strlen(value) > 9) {
			*err = xasprintf(_("'%s' is not a whole number"), text);
			return -1;
		}
		*(unsigned *)ptr = (unsigned)strtoul(value, NULL, 10);
		return 0;
	case PT_BOOL:
		if (strcmp(value, "true") == 0 || strcmp(value, "True") == 0 ||
		    strcmp(value, "TRUE") == 0) {
			*(bool *)ptr = true;
			return 0;
		}
		if (strcmp(value, "false") == 0 || strcmp(value, "False") == 0 ||
		    strcmp(value, "FALSE") == 0) {
			*(bool *)ptr = false;
			return 0;
		}
		*err = xasprintf(_("'%s' is not a boolean: use true or false"), text);
		return -1;
	case PT_ENUM:
		for (int i = 0; f->enum_names[i] != NULL; i++) {
			if (strcmp(f->enum_names[i], value) == 0) {
				*(int *)ptr = i;
				return 0;
			}
		}
		{
			char *names = plan_enum_choices(f->enum_names);

			*err = xasprintf(_("'%s' is not valid: use %s"), text, names);
			free(names);
		}
		return -1;
	case PT_STRLIST:
		strlist_clear(ptr);
		split_words(text, ptr);
		return 0;
	case PT_ROLES:
		return set_roles(ptr, f, text, err);
	case PT_SECTION:
	case PT_HOSTS:
	case PT_MIRRORS:
		break;
	}
	*err = xstrdup(_("this field cannot be edited as text"));
	return -1;
}

int planedit_set(void *base, const struct plan_field *f, const char *text, char **err)
{
	size_t start = 0, end = strlen(text);
	char *trimmed = NULL;
	int rc;

	*err = NULL;
	while (start < end && isspace((unsigned char)text[start]))
		start++;
	while (end > start && isspace((unsigned char)text[end - 1]))
		end--;
	trimmed = xstrndup(text + start, end - start);
	rc = set_trimmed(plan_field_ptr(base, f), f, trimmed, err);
	free(trimmed);
	return rc;
}

static bool name_used(const struct plan *p, const char *name)
{
	for (size_t i = 0; i < p->n_hosts; i++) {
		if (p->hosts[i].name != NULL && strcmp(p->hosts[i].name, name) == 0)
			return true;
	}
	return false;
}

static bool address_used(const struct plan *p, const struct net_addr *a)
{
	for (size_t i = 0; i < p->n_hosts; i++) {
		struct net_addr b;

		if (p->hosts[i].address != NULL && net_addr_parse(p->hosts[i].address, &b) == 0 &&
		    net_addr_equal(a, &b))
			return true;
	}
	return false;
}

/* The first name after name, by its trailing number, that p does not use. */
static char *next_name(const struct plan *p, const char *name)
{
	size_t stem = strlen(name);
	unsigned long n = 1;
	char *out = NULL;

	while (stem > 0 && isdigit((unsigned char)name[stem - 1]))
		stem--;
	/* Nine digits at most: a longer run is not a counter worth keeping. */
	if (stem < strlen(name) && strlen(name) - stem <= 9)
		n = strtoul(name + stem, NULL, 10);
	else
		stem = strlen(name);
	do {
		free(out);
		out = xasprintf("%.*s%lu", (int)stem, name, ++n);
	} while (name_used(p, out));
	return out;
}

/* The first address after text that p does not use, or NULL. */
static char *next_address(const struct plan *p, const char *text)
{
	struct net_addr a;
	char buf[NET_ADDRSTRLEN];

	if (text == NULL || net_addr_parse(text, &a) < 0)
		return NULL;
	do {
		if (net_addr_next(&a, &a) < 0)
			return NULL;
	} while (address_used(p, &a));
	net_addr_format(&a, buf, sizeof buf);
	return xstrdup(buf);
}

size_t planedit_duplicate_host(struct plan *p, size_t i)
{
	struct plan_host copy = p->hosts[i];
	struct plan_host added;
	char *name = copy.name != NULL ? next_name(p, copy.name) : NULL;
	char *address = next_address(p, copy.address);

	copy.name = name;
	copy.address = address;
	plan_add_host(p, &copy);
	/* Move the new host from the end to just after its original. */
	added = p->hosts[p->n_hosts - 1];
	memmove(&p->hosts[i + 2], &p->hosts[i + 1], (p->n_hosts - i - 2) * sizeof *p->hosts);
	p->hosts[i + 1] = added;
	free(name);
	free(address);
	return i + 1;
}
