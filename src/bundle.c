/* The bundle's layout, and where its directory is. */
#include "config.h"

#include "bundle.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "homedir.h"
#include "nls.h"
#include "xmalloc.h"

#define ALL (ROLE_MASTER | ROLE_ETCD | ROLE_WORKER)

static const struct bundle_entry entries[BUNDLE_COUNT] = {
	[BUNDLE_CONTAINERD] = { "bin/containerd", "/usr/local/bin/containerd", 0755, ALL,
				"containerd (from containerd-VERSION-linux-amd64.tar.gz)" },
	[BUNDLE_CONTAINERD_SHIM] = { "bin/containerd-shim-runc-v2",
				     "/usr/local/bin/containerd-shim-runc-v2", 0755, ALL,
				     "containerd-shim-runc-v2 (same archive)" },
	[BUNDLE_CTR] = { "bin/ctr", "/usr/local/bin/ctr", 0755, ALL, "ctr (same archive)" },
	[BUNDLE_RUNC] = { "bin/runc", "/usr/local/sbin/runc", 0755, ALL, "runc.amd64, renamed" },
	[BUNDLE_CRICTL] = { "bin/crictl", "/usr/local/bin/crictl", 0755, ALL,
			    "crictl (from crictl-VERSION-linux-amd64.tar.gz)" },
	[BUNDLE_KUBELET] = { "bin/kubelet", "/usr/local/bin/kubelet", 0755, ALL,
			     "kubelet (dl.k8s.io/VERSION/bin/linux/amd64/kubelet)" },
	[BUNDLE_KUBECTL] = { "bin/kubectl", "/usr/local/bin/kubectl", 0755, ROLE_MASTER,
			     "kubectl (dl.k8s.io/VERSION/bin/linux/amd64/kubectl)" },
	[BUNDLE_CALICO] = { "manifests/calico.yaml", NULL, 0644, 0,
			    "calico.yaml (projectcalico/calico VERSION manifests/calico.yaml)" },
	[BUNDLE_METRICS_SERVER] = { "manifests/metrics-server.yaml", NULL, 0644, 0,
				    "metrics-server components.yaml" },
	[BUNDLE_CSR_APPROVER] = { "manifests/kubelet-csr-approver.yaml", NULL, 0644, 0,
				  "kubelet-csr-approver deployment manifest" },
};

const struct bundle_entry *bundle_entry(enum bundle_item id)
{
	return &entries[id];
}

char *bundle_dir(const struct plan *p, const char *base, char **err)
{
	const char *dir = p->binaries.bundle_dir;
	char *full = NULL;

	*err = NULL;
	if (dir == NULL) {
		*err = xstrdup(_("binaries.bundleDir is not set: name the directory holding the "
				 "upstream manifests (see doc/bundle.md)"));
		return NULL;
	}
	if (dir[0] == '/')
		return xstrdup(dir);
	if (dir[0] == '~' && dir[1] == '/') {
		full = homedir_expand(dir, err);
		if (full == NULL) {
			xfree(err);
			*err = xasprintf(_("%s: no home directory to expand ~ in: set HOME"), dir);
		}
		return full;
	}
	return xasprintf("%s/%s", base != NULL ? base : ".", dir);
}

char *bundle_path(const char *dir, enum bundle_item id)
{
	return xasprintf("%s/%s", dir, entries[id].file);
}

bool bundle_needed(const struct plan *p, enum bundle_item id)
{
	switch (id) {
	case BUNDLE_CALICO:
		return p->addons.calico.enabled;
	case BUNDLE_METRICS_SERVER:
		return p->addons.metrics_server.enabled;
	case BUNDLE_CSR_APPROVER:
		return p->addons.csr_approver.enabled;
	default:
		return p->binaries.source == BINARIES_BUNDLE;
	}
}

/* "v" and the version without its own "v": the plan accepts both forms,
 * release tags have it. */
static char *tag(const char *version)
{
	if (version == NULL)
		return NULL;
	return xasprintf("v%s", version[0] == 'v' ? version + 1 : version);
}

char *bundle_image_tag(const char *image)
{
	const char *name = NULL, *colon = NULL;
	size_t len;

	if (image == NULL)
		return NULL;
	name = strrchr(image, '/');
	name = name != NULL ? name + 1 : image;
	len = strcspn(name, "@");
	colon = memchr(name, ':', len);
	if (colon == NULL || colon + 1 == name + len)
		return NULL;
	return xstrndup(colon + 1, (size_t)(name + len - colon - 1));
}

char *bundle_version(const struct plan *p, enum bundle_item id)
{
	switch (id) {
	case BUNDLE_CONTAINERD:
	case BUNDLE_CONTAINERD_SHIM:
	case BUNDLE_CTR:
		return tag(p->versions.containerd);
	case BUNDLE_RUNC:
		return tag(p->versions.runc);
	case BUNDLE_CRICTL:
		return tag(p->versions.crictl);
	case BUNDLE_KUBELET:
	case BUNDLE_KUBECTL:
		return tag(p->versions.kubernetes);
	case BUNDLE_CALICO:
		return tag(p->versions.calico);
	case BUNDLE_METRICS_SERVER:
		return bundle_image_tag(p->registries.metrics_server_image);
	case BUNDLE_CSR_APPROVER:
		return bundle_image_tag(p->registries.csr_approver_image);
	default:
		return NULL;
	}
}
