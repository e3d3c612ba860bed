/* The bundle's lock file, BUNDLE/bundle.lock: what `bundle fetch` put in the
 * bundle, one line per file (its name in the bundle, sha256, upstream
 * version, whether the sha256 was checked against one the upstream
 * publishes, and the URL it came from), so that `bundle check` can tell a
 * file that changed or is of another version. A bundle assembled by hand has
 * no lock file; its files are then "not recorded", not wrong. */
#ifndef K8SW_BUNDLELOCK_H
#define K8SW_BUNDLELOCK_H

#include <stdbool.h>
#include <stddef.h>

#define BUNDLELOCK_FILE "bundle.lock"

struct bundlelock_entry {
	char *file;      /* "bin/kubelet" */
	char sha256[65]; /* lower-case hex */
	char *version;   /* "v1.29.7" */
	bool verified;   /* checked against the upstream's published sha256 */
	char *url;
};

struct bundlelock {
	struct bundlelock_entry *v;
	size_t n;
};

/* Read DIR/bundle.lock into l (empty when there is none). Lines that do not
 * parse are skipped: the lock is a record, not an input the operator
 * writes. Returns 0, or -1 with *err set (unreadable). Clear l with
 * bundlelock_clear() either way. */
int bundlelock_read(const char *dir, struct bundlelock *l, char **err);

/* The entry of file, or NULL. */
const struct bundlelock_entry *bundlelock_find(const struct bundlelock *l, const char *file);

/* Add or replace the entry of file (the strings are copied). */
void bundlelock_set(struct bundlelock *l, const char *file, const char *sha256,
		    const char *version, bool verified, const char *url);

/* Write l to DIR/bundle.lock atomically. Returns 0, or -1 with *err set. */
int bundlelock_write(const char *dir, const struct bundlelock *l, char **err);

void bundlelock_clear(struct bundlelock *l);

#endif
