/* The install engine's transport on libssh: thin adapters over remote.h,
 * and a cache of bundle files so that a binary is read and hashed once
 * however many hosts receive it. */
#include "config.h"

#include "transport_ssh.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"

struct cached_file {
	char *path;
	struct remote_file *file;
	char *err; /* why it could not be read */
};

struct transport_ssh {
	const struct plan *plan;
	struct remote_ctx *ctx;
	pthread_mutex_t lock; /* files */
	struct cached_file *files;
	size_t n_files;
};

struct ssh_host {
	struct transport_ssh *t;
	struct remote *r;
	bool local_error; /* the last failure was on this machine */
};

struct transport_ssh *transport_ssh_new(const struct plan *plan,
					const struct remote_config *config)
{
	struct transport_ssh *t = xcalloc(1, sizeof *t);

	t->plan = plan;
	t->ctx = remote_ctx_new(config);
	pthread_mutex_init(&t->lock, NULL);
	return t;
}

void transport_ssh_free(struct transport_ssh **pt)
{
	struct transport_ssh *t = *pt;

	if (t == NULL)
		return;
	for (size_t i = 0; i < t->n_files; i++) {
		free(t->files[i].path);
		remote_file_free(&t->files[i].file);
		free(t->files[i].err);
	}
	free(t->files);
	remote_ctx_free(&t->ctx);
	pthread_mutex_destroy(&t->lock);
	free(t);
	*pt = NULL;
}

static void *ssh_open(void *ctx, size_t i)
{
	struct transport_ssh *t = ctx;
	struct ssh_host *h = xcalloc(1, sizeof *h);
	struct remote_target target;

	remote_target_from_plan(t->plan, i, &target);
	h->t = t;
	h->r = remote_new(t->ctx, &target);
	return h;
}

static void ssh_close(void *vh)
{
	struct ssh_host *h = vh;

	remote_free(&h->r);
	free(h);
}

static int ssh_connect(void *vh, char **err)
{
	struct ssh_host *h = vh;

	h->local_error = false;
	return remote_connect(h->r, err);
}

static int ssh_run(void *vh, const struct remote_cmd *cmd, struct remote_result *res,
		   char **err)
{
	struct ssh_host *h = vh;

	h->local_error = false;
	return remote_run(h->r, cmd, res, err);
}

/* A bundle file, opened and hashed on first use. */
static const struct remote_file *bundle_file(struct transport_ssh *t, const char *path,
					     char **err)
{
	struct cached_file *c = NULL;

	pthread_mutex_lock(&t->lock);
	for (size_t i = 0; i < t->n_files && c == NULL; i++) {
		if (strcmp(t->files[i].path, path) == 0)
			c = &t->files[i];
	}
	if (c == NULL) {
		t->files = xreallocarray(t->files, t->n_files + 1, sizeof *t->files);
		c = &t->files[t->n_files++];
		memset(c, 0, sizeof *c);
		c->path = xstrdup(path);
		c->file = remote_file_open(path, &c->err);
	}
	pthread_mutex_unlock(&t->lock);
	if (c->file == NULL)
		*err = xstrdup(c->err);
	return c->file;
}

struct progress_relay {
	transport_progress_fn fn;
	void *data;
};

static void relay_progress(const char *host, uint64_t sent, uint64_t total, void *data)
{
	struct progress_relay *p = data;

	(void)host;
	p->fn(sent, total, p->data);
}

static int ssh_upload(void *vh, const struct transport_file *f, transport_progress_fn progress,
		      void *data, bool *skipped, char **err)
{
	struct ssh_host *h = vh;
	struct remote_file *mem = NULL;
	const struct remote_file *file = NULL;
	struct progress_relay relay = { progress, data };
	struct remote_upload up = { .dest = f->dest, .mode = f->mode, .owner = f->owner,
				    .progress = progress != NULL ? relay_progress : NULL,
				    .data = &relay };
	int rc;

	h->local_error = false;
	*skipped = false;
	if (f->data != NULL) {
		mem = remote_file_mem(f->dest, f->data, f->len);
		file = mem;
	} else {
		file = bundle_file(h->t, f->path, err);
		if (file == NULL) {
			h->local_error = true;
			return -1;
		}
	}
	up.file = file;
	rc = remote_upload(h->r, &up, skipped, err);
	remote_file_free(&mem);
	return rc;
}

static ssize_t stream_read(void *ctx, void *buf, size_t len, int timeout_ms, char **err)
{
	return remote_tcp_read(ctx, buf, len, timeout_ms, err);
}

static int stream_write(void *ctx, const void *buf, size_t len, char **err)
{
	return remote_tcp_write(ctx, buf, len, err);
}

static int ssh_stream_open(void *vh, const char *addr, unsigned port, struct transport_stream *s,
			   char **err)
{
	struct ssh_host *h = vh;
	struct remote_tcp *tcp = NULL;

	h->local_error = false;
	if (remote_tcp_open(h->r, addr, port, &tcp, err) < 0)
		return -1;
	s->read = stream_read;
	s->write = stream_write;
	s->ctx = tcp;
	return 0;
}

static void ssh_stream_close(struct transport_stream *s)
{
	struct remote_tcp *tcp = s->ctx;

	remote_tcp_close(&tcp);
	s->ctx = NULL;
}

static void ssh_cancel(void *vh)
{
	remote_cancel(((struct ssh_host *)vh)->r);
}

static void ssh_cancel_clear(void *vh)
{
	remote_cancel_clear(((struct ssh_host *)vh)->r);
}

static enum transport_cause ssh_cause(void *vh)
{
	struct ssh_host *h = vh;

	if (h->local_error)
		return TRANSPORT_LOCAL;
	switch (remote_cause(h->r)) {
	case REMOTE_CAUSE_NONE:
		return TRANSPORT_OK;
	case REMOTE_CAUSE_REFUSED:
		return TRANSPORT_REFUSED;
	case REMOTE_CAUSE_UNREACHABLE:
		return TRANSPORT_UNREACHABLE;
	case REMOTE_CAUSE_LOST:
		return TRANSPORT_LOST;
	case REMOTE_CAUSE_CANCELLED:
		return TRANSPORT_CANCELLED;
	case REMOTE_CAUSE_LOCAL:
		return TRANSPORT_LOCAL;
	default:
		return TRANSPORT_FAILED;
	}
}

const struct transport_ops transport_ssh_ops = {
	.open = ssh_open,
	.close = ssh_close,
	.connect = ssh_connect,
	.run = ssh_run,
	.upload = ssh_upload,
	.stream_open = ssh_stream_open,
	.stream_close = ssh_stream_close,
	.cancel = ssh_cancel,
	.cancel_clear = ssh_cancel_clear,
	.cause = ssh_cause,
};
