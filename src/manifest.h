/* Upstream Kubernetes manifests (calico.yaml, metrics-server's
 * components.yaml, kubelet-csr-approver's deployment) patched on their YAML
 * tree with libyaml's document API: load every document, find objects by kind
 * and name, containers by name, then set env vars, args, images, ports or any
 * scalar by path, and emit the result.
 *
 * Finding is strict: an expected object, container or field that is missing
 * is an error naming it and the file, never a silent no-op, because a
 * manifest of another shape than the one we patch must not be applied
 * half-patched. Comments of the original are not kept. */
#ifndef K8SW_MANIFEST_H
#define K8SW_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>

struct manifest;

/* A node inside a manifest: valid until the manifest is freed. */
struct manifest_ref {
	size_t doc;
	int node;
};

/* Parse every document of text; name (the file, for messages) is copied.
 * Returns 0, or -1 with *err set (free it): NAME:LINE:COLUMN: problem. */
int manifest_parse(const char *name, const char *text, size_t len, struct manifest **out,
		   char **err);

/* Read and parse a file. */
int manifest_load(const char *path, struct manifest **out, char **err);

void manifest_free(struct manifest **m);

/* The top-level object of that kind whose metadata.name is name. Returns 0,
 * or -1 with *err set ("calico.yaml: no DaemonSet named calico-node"). */
int manifest_find(const struct manifest *m, const char *kind, const char *name,
		  struct manifest_ref *out, char **err);

/* The container called name in a workload object (spec.template.spec or, for
 * a Pod, spec; initContainers too). Returns 0, or -1 with *err set. */
int manifest_find_container(const struct manifest *m, const struct manifest_ref *obj,
			    const char *name, struct manifest_ref *out, char **err);

/* The scalar at a dotted path below at ("metadata.namespace"), or NULL. */
const char *manifest_get(const struct manifest *m, const struct manifest_ref *at,
			 const char *path);

/* How a scalar set by the patcher is written. */
enum manifest_scalar {
	MANIFEST_STRING, /* a string: quoted when it would read as another type */
	MANIFEST_PLAIN,  /* as is: true, 10251 */
};

/* Set the scalar at a dotted path below at, creating the mappings on the way
 * (a sequence or scalar in the way is an error). Returns 0 or -1 with *err. */
int manifest_set(struct manifest *m, const struct manifest_ref *at, const char *path,
		 const char *value, enum manifest_scalar type, char **err);

/* The value of the env var name of a container (NULL when it has none, or
 * when it comes from valueFrom). */
const char *manifest_get_env(const struct manifest *m, const struct manifest_ref *container,
			     const char *name);

/* Give a container the env var name=value: replace its value (or valueFrom)
 * when present, else append it. */
void manifest_set_env(struct manifest *m, const struct manifest_ref *container, const char *name,
		      const char *value);

/* Set the argument --flag=value (value NULL: a bare --flag) in a container's
 * args: the item "--flag" or "--flag=..." is replaced, else the item is
 * appended (args is created when missing). */
void manifest_set_arg(struct manifest *m, const struct manifest_ref *container, const char *flag,
		      const char *value);

/* Remove "--flag" and "--flag=..." from a container's args. Returns whether
 * one was there. */
bool manifest_remove_arg(struct manifest *m, const struct manifest_ref *container,
			 const char *flag);

/* Give the container port called name the number port. Returns 0, or -1 with
 * *err set when the container has no such port. */
int manifest_set_port(struct manifest *m, const struct manifest_ref *container, const char *name,
		      unsigned port, char **err);

/* Call fn for every container and init container of every workload object
 * (Pod, Deployment, DaemonSet, StatefulSet, ReplicaSet, Job, CronJob). */
typedef void (*manifest_container_fn)(struct manifest *m, const struct manifest_ref *obj,
				      const struct manifest_ref *container, void *data);
void manifest_foreach_container(struct manifest *m, manifest_container_fn fn, void *data);

/* The whole manifest as YAML text, documents separated by "---" (empty
 * documents are left out). The caller frees it. */
char *manifest_emit(const struct manifest *m, size_t *len);

#endif
