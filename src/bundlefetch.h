/* `bundle fetch`: download the files of the bundle (bundle.h) from their
 * upstream release locations or from mirrors of them, check each against
 * the sha256 its upstream publishes beside it, and put them in place.
 *
 * Where files come from: each file has an official base URL
 * ("https://dl.k8s.io", "https://github.com",
 * "https://raw.githubusercontent.com") and a path under it
 * ("release/v1.29.7/bin/linux/amd64/kubelet"). A mirror is a base URL that
 * takes the official base's place, path kept: with mirror
 * "https://m.example.cn/k8s" kubelet is fetched from
 * "https://m.example.cn/k8s/release/v1.29.7/bin/linux/amd64/kubelet". The
 * mirrors are tried in the order given, then the official base (unless
 * official is false); the checksum always comes from the same base as the
 * file. A base that fails (no checksum, HTTP error, a file that does not
 * match) is reported through the event callback and the next one is tried.
 *
 * Downloads go to BUNDLE/.download/NAME.part and are resumed from there with
 * an HTTP Range request (on the next attempt, or the next run); a server that
 * ignores the Range gets the file again from its start. A verified download
 * is moved into place with the mode of the bundle table (archives: the named
 * members are extracted, each written beside its final name and renamed).
 * A file that does not match its checksum is removed, .part included.
 *
 * Upstreams that publish no checksum (the Calico and metrics-server
 * manifests) are fetched unverified: their sha256 is recorded in the lock
 * file (bundlelock.h) and the DONE event says verified = false.
 * kubelet-csr-approver publishes no manifest at all (only a Helm chart): it
 * is left to the operator (event MANUAL). */
#ifndef K8SW_BUNDLEFETCH_H
#define K8SW_BUNDLEFETCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "plan.h"

enum bundlefetch_event_type {
	BUNDLEFETCH_START,    /* file, url: a transfer starts; done: bytes already in .part */
	BUNDLEFETCH_PROGRESS, /* file, url; done, total (0: not known) bytes */
	BUNDLEFETCH_RETRY,    /* file, url; detail: why this transfer stopped; it is
			       * resumed or the next base is tried */
	BUNDLEFETCH_DONE,     /* file (one per bundle file), url; detail: its sha256;
			       * verified: checked against the upstream's sha256 */
	BUNDLEFETCH_PRESENT,  /* file: already there as recorded in the lock; not fetched */
	BUNDLEFETCH_MANUAL,   /* file: needed, missing, and no upstream publishes it */
};

struct bundlefetch_event {
	enum bundlefetch_event_type type;
	const char *file; /* in the bundle: "bin/kubelet"; for an archive, its first file */
	const char *url;
	const char *detail;
	uint64_t done, total;
	bool verified;
};

struct bundlefetch_options {
	const char *const *mirrors; /* base URLs, tried in this order */
	size_t n_mirrors;
	bool no_official; /* never the official base URLs (tests, offline mirrors) */
	/* Called in the caller's thread as things happen; may be NULL. */
	void (*event)(const struct bundlefetch_event *ev, void *arg);
	void *arg;
};

/* Fetch every file p needs into the bundle directory dir (created when
 * missing), skipping those already there with the version and sha256 the
 * lock file records. Every download is tried even when one fails. Returns 0
 * when every file that has an upstream is in place; -1 with *err set (free
 * it): one line per file that could not be fetched, naming each URL tried
 * and why it failed. */
int bundlefetch_run(const struct plan *p, const char *dir, const struct bundlefetch_options *o,
		    char **err);

/* What bundlefetch_run() would fetch for p, without fetching: a line per
 * URL, "FILE URL" for each download and "FILE URL" of its checksum file,
 * for each base in the order they are tried (FILE: the first bundle file it
 * gives; manifests p does not need and kubelet-csr-approver are left out).
 * For an operator filling a mirror. Free it. */
char *bundlefetch_list(const struct plan *p, const struct bundlefetch_options *o);

/* The sha256 that a published checksum text (sha256sum output: "HEX  NAME"
 * lines, or a bare "HEX") gives for name, in lower case into out. Returns
 * false when it names no such file. */
bool bundlefetch_parse_sum(const char *text, const char *name, char out[65]);

#endif
