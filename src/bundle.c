/* The bundle's layout, and where its directory is. */
#include "config.h"

#include "bundle.h"

#include <stdlib.h>
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
