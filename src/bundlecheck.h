/* `bundle check`: the state of each file of the bundle for a plan, as data
 * for the command line's table and the wizard's Review page. */
#ifndef K8SW_BUNDLECHECK_H
#define K8SW_BUNDLECHECK_H

#include <stdbool.h>
#include <stddef.h>

#include "bundle.h"
#include "plan.h"

enum bundlecheck_state {
	BUNDLECHECK_OK,
	BUNDLECHECK_MISSING,
	BUNDLECHECK_WRONG,    /* present but unusable: see problem */
	BUNDLECHECK_UNNEEDED, /* the plan does not use it (an add-on off, binaries from a mirror) */
};

enum bundlecheck_sum {
	BUNDLECHECK_SUM_NONE,       /* missing, or not hashed (quick check) */
	BUNDLECHECK_SUM_MATCHES,    /* the lock file's sha256 */
	BUNDLECHECK_SUM_DIFFERS,    /* changed since bundle fetch wrote it */
	BUNDLECHECK_SUM_UNRECORDED, /* no lock entry: put there by hand */
};

struct bundlecheck_item {
	enum bundle_item id;
	enum bundlecheck_state state;
	char *want;    /* the version the plan asks for, or NULL */
	char *version; /* the version the lock file records, else the tag of a
			* manifest's image (calico/node...), or NULL */
	enum bundlecheck_sum sum;
	bool verified; /* the lock says its sha256 was checked against upstream's */
	char *arch;    /* binaries: "x86-64", "aarch64", "not an ELF file"...; NULL */
	char *problem; /* why it is WRONG (or why it could not be read), or NULL */
};

struct bundlecheck {
	char *dir;
	struct bundlecheck_item items[BUNDLE_COUNT];
	size_t n_ok, n_missing, n_wrong;
};

enum { BUNDLECHECK_QUICK = 1 << 0 }; /* no sha256 (the wizard redraws often) */

/* Check the bundle directory dir (bundle_dir(), or the operator's choice)
 * against p into out; clear it with bundlecheck_clear(). A file is WRONG
 * when it is not a regular file, is empty, a binary is not an x86-64 ELF
 * executable, the lock file records another version than the plan's or
 * another sha256 than the file's, or (no lock entry) calico.yaml's images
 * are of another version than the plan's. */
void bundlecheck_run(const struct plan *p, const char *dir, unsigned flags,
		     struct bundlecheck *out);

/* Whether apply can run: no needed file missing or wrong. */
bool bundlecheck_ok(const struct bundlecheck *c);

/* One line for people: "10 of 10 files present", "8 of 10 files present;
 * missing: bin/kubelet, ...; wrong: ..." or "0 of 10 files present; all
 * missing". Free it. */
char *bundlecheck_summary(const struct bundlecheck *c);

void bundlecheck_clear(struct bundlecheck *c);

#endif
