/* The bundle's lock file: read, update and write the record of what
 * `bundle fetch` downloaded. */
#include "config.h"

#include "bundlelock.h"

#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "nls.h"
#include "strbuf.h"
#include "xmalloc.h"

#define LOCK_MAX (64 * 1024)

static bool is_sha256(const char *s, size_t len)
{
	if (len != 64)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (strchr("0123456789abcdef", s[i]) == NULL || s[i] == '\0')
			return false;
	}
	return true;
}

/* One line: FILE TAB SHA256 TAB VERSION TAB verified|unverified TAB URL. */
static void parse_line(struct bundlelock *l, char *line)
{
	char *field[5] = { NULL };
	size_t n = 0;
	char *p = line;

	while (n < 5) {
		field[n++] = p;
		p = strchr(p, '\t');
		if (p == NULL)
			break;
		*p++ = '\0';
	}
	if (n != 5 || field[0][0] == '\0' || !is_sha256(field[1], strlen(field[1])))
		return;
	if (strcmp(field[3], "verified") != 0 && strcmp(field[3], "unverified") != 0)
		return;
	bundlelock_set(l, field[0], field[1], field[2], strcmp(field[3], "verified") == 0,
		       field[4]);
}

int bundlelock_read(const char *dir, struct bundlelock *l, char **err)
{
	char *path = xasprintf("%s/%s", dir, BUNDLELOCK_FILE);
	char *text = NULL, *line = NULL, *next = NULL;
	int rc;

	*err = NULL;
	memset(l, 0, sizeof *l);
	rc = fileio_read(path, LOCK_MAX, &text, NULL, err);
	if (rc != 0)
		goto out;
	for (line = text; line != NULL; line = next) {
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		if (line[0] != '#' && line[0] != '\0')
			parse_line(l, line);
	}
out:
	free(text);
	free(path);
	return rc < 0 ? -1 : 0;
}

const struct bundlelock_entry *bundlelock_find(const struct bundlelock *l, const char *file)
{
	for (size_t i = 0; i < l->n; i++) {
		if (strcmp(l->v[i].file, file) == 0)
			return &l->v[i];
	}
	return NULL;
}

void bundlelock_set(struct bundlelock *l, const char *file, const char *sha256,
		    const char *version, bool verified, const char *url)
{
	struct bundlelock_entry *e = (struct bundlelock_entry *)bundlelock_find(l, file);

	if (e == NULL) {
		l->v = xreallocarray(l->v, l->n + 1, sizeof *l->v);
		e = &l->v[l->n++];
		e->file = xstrdup(file);
	} else {
		free(e->version);
		free(e->url);
	}
	xsnprintf(e->sha256, sizeof e->sha256, "%s", sha256);
	e->version = xstrdup(version != NULL ? version : "-");
	e->verified = verified;
	e->url = xstrdup(url != NULL ? url : "-");
}

int bundlelock_write(const char *dir, const struct bundlelock *l, char **err)
{
	char *path = xasprintf("%s/%s", dir, BUNDLELOCK_FILE);
	struct strbuf b = { 0 };
	int rc;

	strbuf_adds(&b, "# Written by k8s-wizard bundle fetch; read by bundle check.\n"
			"# file\tsha256\tversion\tverified|unverified\turl\n");
	for (size_t i = 0; i < l->n; i++) {
		const struct bundlelock_entry *e = &l->v[i];

		strbuf_addf(&b, "%s\t%s\t%s\t%s\t%s\n", e->file, e->sha256, e->version,
			    e->verified ? "verified" : "unverified", e->url);
	}
	rc = fileio_write_atomic(path, b.s, b.len, 0644, err);
	strbuf_clear(&b);
	free(path);
	return rc;
}

void bundlelock_clear(struct bundlelock *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].file);
		free(l->v[i].version);
		free(l->v[i].url);
	}
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

