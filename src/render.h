/* What a plan installs, host by host: every file each host receives (path,
 * mode, owner, content or where the content comes from) and, phase by phase,
 * the commands it runs; and the cluster-level manifests with the commands
 * that apply them. Nothing is contacted and nothing is written: templates are
 * read from the assets directory and upstream manifests from the bundle, and
 * the caller (k8s-wizard render, the engine) does the rest.
 *
 * The plan must have passed plancheck_run(): every value is trusted to match
 * its grammar, and is quoted again on the way into a file or command. */
#ifndef K8SW_RENDER_H
#define K8SW_RENDER_H

#include <stdbool.h>
#include <stddef.h>

#include "certs.h"
#include "phase.h"
#include "plan.h"

enum render_source {
	RENDER_TEXT,   /* content holds the bytes */
	RENDER_BUNDLE, /* source is a file of the bundle on the jump host */
	RENDER_MIRROR, /* source is a URL the host fetches */
};

struct render_file {
	char *path;  /* absolute on the host; for the cluster, a file name */
	unsigned mode;
	const char *owner; /* "root:root" */
	enum phase phase;
	enum render_source source_type;
	char *content; /* RENDER_TEXT */
	size_t len;
	char *source;  /* RENDER_BUNDLE: local path; RENDER_MIRROR: URL */
	bool secret;   /* key material or a token: never log the content */
};

enum render_step_type {
	RENDER_STEP_RUN,    /* a shell command line */
	RENDER_STEP_UPLOAD, /* write file (index into files) with its mode and owner */
	RENDER_STEP_APPLY,  /* cluster: kubectl apply of file (index) on stdin */
};

struct render_step {
	enum phase phase;
	enum render_step_type type;
	char *command; /* RUN, APPLY: the command line */
	size_t file;   /* UPLOAD, APPLY */
};

struct render_host {
	char *name;    /* the plan's host name, or "_cluster" */
	char *address; /* NULL for the cluster */
	unsigned roles;
	struct render_file *files;
	size_t n_files;
	struct render_step *steps; /* in phase order */
	size_t n_steps;
};

/* Within a phase the cluster's steps come first: the workers phase applies
 * the bootstrap RBAC before the workers' kubelets start and ask for their
 * certificates. The cluster's steps run on apply_host with each manifest on
 * standard input. */
struct render {
	struct render_host *hosts; /* the plan's hosts in order, then the cluster */
	size_t n_hosts;
	char *apply_host;          /* the master that runs the cluster's steps */
};

/* The name of the pseudo-host of cluster-level manifests. */
#define RENDER_CLUSTER "_cluster"

struct render_options {
	const char *base_dir; /* where a relative bundleDir starts; NULL: "." */
};

/* Build everything p installs, with the certificates of c. Returns 0; -2
 * with *err set (free it) when the input is at fault: no bundle directory, an
 * upstream manifest missing from it or not of the shape or version the plan
 * expects; -1 with *err set for anything else (a template that does not
 * render: an installation or program error). */
int render_build(const struct plan *p, const struct certs *c, const struct render_options *o,
		 struct render **out, char **err);

void render_free(struct render **r);

/* The steps of one host as text, phase by phase, as `k8s-wizard render`
 * writes them: shell commands, with uploads and applies as comments. */
char *render_steps_text(const struct render *r, const struct render_host *h);

#endif
