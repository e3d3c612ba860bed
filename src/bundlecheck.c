/* The bundle's files against what the plan needs: present, missing or
 * wrong, with the version and sha256 the lock file records and the
 * architecture read from each binary's ELF header. */
#include "config.h"

#include "bundlecheck.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bundlelock.h"
#include "hexsum.h"
#include "fileio.h"
#include "nls.h"
#include "strbuf.h"
#include "xmalloc.h"

#define MANIFEST_MAX (16 * 1024 * 1024)

/* The machine of an ELF header: NULL when the file is not a 64-bit
 * little-endian ELF executable. */
static char *elf_arch(const char *path)
{
	unsigned char h[EI_NIDENT + 4];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, h, sizeof h) : -1;
	unsigned machine;

	if (fd >= 0)
		close(fd);
	if (n != (ssize_t)sizeof h || memcmp(h, ELFMAG, SELFMAG) != 0)
		return NULL;
	if (h[EI_CLASS] != ELFCLASS64 || h[EI_DATA] != ELFDATA2LSB)
		return xstrdup(_("ELF, not 64-bit little-endian"));
	/* e_machine follows e_type, both 16 bits, after e_ident. */
	machine = (unsigned)h[EI_NIDENT + 2] | (unsigned)h[EI_NIDENT + 3] << 8;
	switch (machine) {
	case EM_X86_64:
		return xstrdup("x86-64");
	case EM_AARCH64:
		return xstrdup("aarch64");
	default:
		/* L10N: an ELF machine number. */
		return xasprintf(_("ELF machine %u"), machine);
	}
}

/* The image whose version a manifest is of: its last path component. */
static const char *manifest_image(enum bundle_item id)
{
	switch (id) {
	case BUNDLE_CALICO:
		return "node";
	case BUNDLE_METRICS_SERVER:
		return "metrics-server";
	case BUNDLE_CSR_APPROVER:
		return "kubelet-csr-approver";
	default:
		return NULL;
	}
}

/* The tag of the first image named name in a manifest ("image:
 * docker.io/calico/node:v3.27.4" for "node"), or NULL. A text search: the
 * manifest is parsed and checked by render, this only reads a version. */
static char *manifest_version(const char *path, const char *name)
{
	char *text = NULL, *err = NULL, *tag = NULL;
	const char *p = NULL;

	if (fileio_read(path, MANIFEST_MAX, &text, NULL, &err) != 0)
		goto out;
	for (p = strstr(text, "image:"); p != NULL && tag == NULL; p = strstr(p, "image:")) {
		char *image = NULL;
		const char *slash = NULL, *colon = NULL;
		size_t len;

		p += 6;
		p += strspn(p, " \t\"'");
		len = strcspn(p, " \t\"'\r\n#");
		image = xstrndup(p, len);
		slash = strrchr(image, '/');
		slash = slash != NULL ? slash + 1 : image;
		colon = strchr(slash, ':');
		if (colon != NULL && (size_t)(colon - slash) == strlen(name) &&
		    strncmp(slash, name, strlen(name)) == 0)
			tag = bundle_image_tag(image);
		free(image);
	}
out:
	free(err);
	free(text);
	return tag;
}

static void check_item(const struct plan *p, const struct bundlelock *lock, unsigned flags,
		       const char *dir, struct bundlecheck_item *it)
{
	const struct bundle_entry *e = bundle_entry(it->id);
	const struct bundlelock_entry *le = bundlelock_find(lock, e->file);
	char *path = bundle_path(dir, it->id);
	char sha[65], *err = NULL;
	struct stat st;

	it->want = bundle_version(p, it->id);
	if (le != NULL) {
		it->version = xstrdup(le->version);
		it->verified = le->verified;
	}
	if (lstat(path, &st) < 0) {
		it->state = errno == ENOENT ? BUNDLECHECK_MISSING : BUNDLECHECK_WRONG;
		if (errno != ENOENT)
			it->problem = xstrdup(strerror(errno));
		goto out;
	}
	it->state = BUNDLECHECK_WRONG;
	if (!S_ISREG(st.st_mode)) {
		it->problem = xstrdup(_("not a regular file"));
		goto out;
	}
	if (st.st_size == 0) {
		it->problem = xstrdup(_("empty"));
		goto out;
	}
	if (e->host_path != NULL) {
		it->arch = elf_arch(path);
		if (it->arch == NULL) {
			it->arch = xstrdup(_("not an ELF file"));
			it->problem = xstrdup(_("not a Linux executable"));
			goto out;
		}
		if (strcmp(it->arch, "x86-64") != 0) {
			/* L10N: the architecture read from the file. */
			it->problem = xasprintf(_("built for %s; the hosts need x86-64"),
						it->arch);
			goto out;
		}
	}
	/* A manifest put there by hand says its version in its images;
	 * Calico's must be the plan's (render refuses others), the other two
	 * get the plan's image anyway. */
	if (le == NULL && manifest_image(it->id) != NULL) {
		it->version = manifest_version(path, manifest_image(it->id));
		if (it->id == BUNDLE_CALICO && it->version != NULL && it->want != NULL &&
		    strcmp(it->version, it->want) != 0) {
			/* L10N: two versions: of the manifest's images and the plan's. */
			it->problem = xasprintf(_("images of version %s; the plan asks for %s"),
						it->version, it->want);
			goto out;
		}
	}
	if (le != NULL && it->want != NULL && strcmp(le->version, it->want) != 0) {
		/* L10N: two versions: the file's (from the lock file) and the plan's. */
		it->problem = xasprintf(_("version %s; the plan asks for %s"), le->version,
					it->want);
		goto out;
	}
	if (le == NULL) {
		it->sum = BUNDLECHECK_SUM_UNRECORDED;
	} else if (!(flags & BUNDLECHECK_QUICK)) {
		if (hexsum_file(path, sha, &err) != 0) {
			it->problem = err != NULL ? err : xstrdup(strerror(ENOENT));
			err = NULL;
			goto out;
		}
		it->sum = strcmp(sha, le->sha256) == 0 ? BUNDLECHECK_SUM_MATCHES
						       : BUNDLECHECK_SUM_DIFFERS;
		if (it->sum == BUNDLECHECK_SUM_DIFFERS) {
			/* L10N: a sha256 recorded by bundle fetch. */
			it->problem = xasprintf(_("changed since it was fetched (sha256 recorded: "
						  "%s)"),
						le->sha256);
			goto out;
		}
	}
	it->state = BUNDLECHECK_OK;
out:
	free(err);
	free(path);
}

void bundlecheck_run(const struct plan *p, const char *dir, unsigned flags,
		     struct bundlecheck *out)
{
	struct bundlelock lock = { 0 };
	char *lock_err = NULL;

	memset(out, 0, sizeof *out);
	out->dir = xstrdup(dir);
	/* An unreadable lock is as good as none: the files are still checked. */
	bundlelock_read(out->dir, &lock, &lock_err);
	free(lock_err);
	for (int i = 0; i < BUNDLE_COUNT; i++) {
		struct bundlecheck_item *it = &out->items[i];

		it->id = (enum bundle_item)i;
		if (!bundle_needed(p, it->id)) {
			it->state = BUNDLECHECK_UNNEEDED;
			it->want = bundle_version(p, it->id);
			continue;
		}
		check_item(p, &lock, flags, out->dir, it);
		out->n_ok += it->state == BUNDLECHECK_OK;
		out->n_missing += it->state == BUNDLECHECK_MISSING;
		out->n_wrong += it->state == BUNDLECHECK_WRONG;
	}
	bundlelock_clear(&lock);
}

bool bundlecheck_ok(const struct bundlecheck *c)
{
	return c->n_missing == 0 && c->n_wrong == 0;
}

static void list(struct strbuf *b, const struct bundlecheck *c, enum bundlecheck_state state,
		 const char *label)
{
	bool first = true;

	for (int i = 0; i < BUNDLE_COUNT; i++) {
		if (c->items[i].state != state)
			continue;
		if (first)
			/* L10N: the summary so far, a label ("missing") and a
			   file: "0 of 10 files present; missing: bin/runc". */
			strbuf_addf(b, _("; %s: %s"), label, bundle_entry(i)->file);
		else
			/* L10N: the next file of a list. */
			strbuf_addf(b, _(", %s"), bundle_entry(i)->file);
		first = false;
	}
}

char *bundlecheck_summary(const struct bundlecheck *c)
{
	struct strbuf b = { 0 };
	size_t needed = c->n_ok + c->n_missing + c->n_wrong;

	/* L10N: counts of bundle files: "8 of 10 files present". */
	strbuf_addf(&b, P_("%zu of %zu file present", "%zu of %zu files present", needed),
		    c->n_ok, needed);
	/* Nothing there yet: the list would only repeat the table. */
	if (c->n_missing == needed && needed > 0)
		/* L10N: the summary so far, then "all missing". */
		strbuf_addf(&b, _("; %s"), _("all missing"));
	else
		list(&b, c, BUNDLECHECK_MISSING, _("missing"));
	list(&b, c, BUNDLECHECK_WRONG, _("wrong"));
	return strbuf_detach(&b, NULL);
}

void bundlecheck_clear(struct bundlecheck *c)
{
	for (int i = 0; i < BUNDLE_COUNT; i++) {
		free(c->items[i].want);
		free(c->items[i].version);
		free(c->items[i].arch);
		free(c->items[i].problem);
	}
	xfree(&c->dir);
}
