/* The bundle: a directory on the jump host holding the binaries the hosts
 * receive and the upstream manifests that are patched (doc/bundle.md). This
 * table is the one place that names its files; with binaries.source: mirror
 * the same relative names are fetched from binaries.mirrorURL instead. */
#ifndef K8SW_BUNDLE_H
#define K8SW_BUNDLE_H

#include <stdbool.h>

#include "plan.h"

enum bundle_item {
	BUNDLE_CONTAINERD,
	BUNDLE_CONTAINERD_SHIM,
	BUNDLE_CTR,
	BUNDLE_RUNC,
	BUNDLE_CRICTL,
	BUNDLE_KUBELET,
	BUNDLE_KUBECTL,
	BUNDLE_CALICO,         /* calico.yaml of versions.calico */
	BUNDLE_METRICS_SERVER, /* metrics-server's components.yaml */
	BUNDLE_CSR_APPROVER,   /* kubelet-csr-approver's deployment manifest */
	BUNDLE_COUNT
};

struct bundle_entry {
	const char *file;      /* relative to the bundle: "bin/kubelet" */
	const char *host_path; /* where hosts get it; NULL for manifests */
	unsigned mode;
	unsigned roles;        /* enum plan_role bits of the hosts that get it */
	const char *what;      /* for people: "kubelet v1.29 (linux/amd64)" */
};

const struct bundle_entry *bundle_entry(enum bundle_item id);

/* The bundle directory of p: "~/" is the home directory, a relative path is
 * taken from base (the plan file's directory; NULL: the current directory).
 * Returns NULL with *err set when p has no bundleDir or no home is known. */
char *bundle_dir(const struct plan *p, const char *base, char **err);

/* dir/file of an item. */
char *bundle_path(const char *dir, enum bundle_item id);

/* Whether p needs the item in the bundle: the binaries with
 * binaries.source: bundle, a manifest when its add-on is enabled. */
bool bundle_needed(const struct plan *p, enum bundle_item id);

/* The upstream release of the item p wants, as upstream names its tag
 * ("v1.29.7", "v1.7.20"; the image's tag for metrics-server and
 * kubelet-csr-approver), or NULL when the plan does not say (an image
 * without a tag). Free it. */
char *bundle_version(const struct plan *p, enum bundle_item id);

/* The tag of an image reference "repo[:port]/name:TAG[@digest]", or NULL
 * when it has none. Free it. */
char *bundle_image_tag(const char *image);

#endif
