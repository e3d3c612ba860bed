/* Files to upload (a local file, or bytes in memory) with their sha256, and
 * uploads: skipped when the host has the same digest, otherwise streamed
 * into a temporary file next to the destination, checked on the host and
 * renamed over it, so the destination is never a partial file. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hexsum.h"
#include "log.h"
#include "nls.h"
#include "remote_int.h"
#include "shquote.h"
#include "strbuf.h"
#include "xmalloc.h"

struct remote_file {
	char *path;       /* a local file, read by each upload; or NULL */
	const void *data; /* bytes in memory (borrowed) when path is NULL */
	char *name;       /* shown in messages */
	uint64_t size;
	char sha256[65];
};

struct remote_file *remote_file_open(const char *path, char **err)
{
	struct remote_file *f = NULL;
	EVP_MD_CTX *md = NULL;
	unsigned char *buf = NULL;
	struct stat st;
	ssize_t n;
	char ebuf[128];
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) < 0) {
		remote_set_err(err, _("cannot read %s: %s"), path,
			       remote_strerror(errno, ebuf, sizeof ebuf));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		remote_set_err(err, _("%s is not a regular file"), path);
		goto out;
	}
	md = EVP_MD_CTX_new();
	if (md == NULL || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
		xalloc_die("EVP_MD_CTX_new");
	buf = xmalloc(REMOTE_UPLOAD_CHUNK);
	f = xcalloc(1, sizeof *f);
	while ((n = read(fd, buf, REMOTE_UPLOAD_CHUNK)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			remote_set_err(err, _("cannot read %s: %s"), path,
				       remote_strerror(errno, ebuf, sizeof ebuf));
			remote_file_free(&f);
			goto out;
		}
		EVP_DigestUpdate(md, buf, (size_t)n);
		f->size += (uint64_t)n;
	}
	hexsum_final(md, f->sha256);
	f->path = xstrdup(path);
	f->name = xstrdup(path);
out:
	EVP_MD_CTX_free(md);
	free(buf);
	if (fd >= 0)
		close(fd);
	return f;
}

struct remote_file *remote_file_mem(const char *name, const void *data, size_t len)
{
	struct remote_file *f = xcalloc(1, sizeof *f);

	hexsum_data(data, len, f->sha256);
	f->data = data;
	f->size = len;
	f->name = xstrdup(name);
	return f;
}

void remote_file_free(struct remote_file **f)
{
	if (*f == NULL)
		return;
	free((*f)->path);
	free((*f)->name);
	xfree(f);
}

uint64_t remote_file_size(const struct remote_file *f)
{
	return f->size;
}

const char *remote_file_sha256(const struct remote_file *f)
{
	return f->sha256;
}

const char *remote_file_name(const struct remote_file *f)
{
	return f->name;
}

/* The upload's standard input, from the file or from memory, with the
 * progress reported before each piece. */
struct upload_feed {
	struct remote *r;
	const struct remote_upload *up;
	int fd;
	unsigned char *buf;
	uint64_t sent;
};

static ssize_t feed_upload(void *feed, const void **piece, char **err)
{
	struct upload_feed *uf = feed;
	const struct remote_file *file = uf->up->file;
	ssize_t n;
	char ebuf[128];

	if (uf->up->progress != NULL)
		uf->up->progress(uf->r->name, uf->sent, file->size, uf->up->data);
	if (file->path == NULL) {
		uint64_t left = file->size - uf->sent;

		n = (ssize_t)(left < REMOTE_UPLOAD_CHUNK ? left : REMOTE_UPLOAD_CHUNK);
		*piece = (const char *)file->data + uf->sent;
		uf->sent += (uint64_t)n;
		return n;
	}
	do {
		n = read(uf->fd, uf->buf, REMOTE_UPLOAD_CHUNK);
	} while (n < 0 && errno == EINTR);
	if (n < 0) {
		remote_set_err(err, _("cannot read %s: %s"), file->name,
			       remote_strerror(errno, ebuf, sizeof ebuf));
		return -1;
	}
	uf->sent += (uint64_t)n;
	*piece = uf->buf;
	return n;
}

/* A script's output, for its error message: the last lines that fit in
 * UPLOAD_OUT_MAX bytes (where a failure is explained) and how many came
 * before them. Each line costs time in proportion to its own length and
 * the bound, never to all that came before: a host may print without end. */
#define UPLOAD_OUT_MAX 4096

struct collect {
	struct strbuf b;
	unsigned long dropped;
};

static void collect_line(const struct remote_line *line, void *data)
{
	struct collect *c = data;
	size_t n = line->len < UPLOAD_OUT_MAX ? line->len : UPLOAD_OUT_MAX;

	if (c->b.len > 0)
		strbuf_addc(&c->b, '\n');
	strbuf_add(&c->b, line->text, n);
	while (c->b.len > UPLOAD_OUT_MAX) {
		/* The first line goes: every line is shorter than the bound. */
		const char *nl = memchr(c->b.s, '\n', c->b.len);
		size_t cut = (size_t)(nl - c->b.s) + 1;

		memmove(c->b.s, c->b.s + cut, c->b.len - cut + 1);
		c->b.len -= cut;
		c->dropped++;
	}
}

/* The collected text (NULL when there was none); c is emptied. */
static char *collect_text(struct collect *c)
{
	char *text = NULL;

	if (c->b.len == 0 && c->dropped == 0)
		return NULL;
	if (c->dropped == 0) {
		text = strbuf_detach(&c->b, NULL);
	} else {
		/* L10N: how many lines, then the host's last lines. */
		text = xasprintf(P_("(%lu earlier line left out)\n%s",
				    "(%lu earlier lines left out)\n%s", c->dropped),
				 c->dropped, c->b.s != NULL ? c->b.s : "");
		strbuf_clear(&c->b);
	}
	c->dropped = 0;
	return text;
}

char *upload_script(const char *dest, const struct remote_file *file, unsigned mode,
		    const char *owner, bool check_only)
{
	/* OpenSSL's digest uses the CPU's SHA instructions: about three times
	 * coreutils' speed, which matters for hundreds of megabytes. */
	static const char hash[] = "if command -v openssl >/dev/null 2>&1; then "
				   "h() { openssl dgst -sha256 -r | cut -c1-64; }; "
				   "else h() { sha256sum | cut -c1-64; }; fi; ";
	char *d = shquote_arg(dest), *h = shquote_arg(file->sha256), *o = NULL, *s = NULL;
	char *chown = NULL;

	if (owner != NULL) {
		o = shquote_arg(owner);
		chown = xasprintf(" && chown -h -- %s \"$f\"", o);
	}
	if (check_only) {
		/* Same content: only make sure of mode and owner. A symbolic link
		 * is never the same: chmod would change what it points to, so the
		 * upload replaces the link itself. */
		s = xasprintf("%sf=%s; if [ ! -L \"$f\" ] && [ -f \"$f\" ] && "
			      "[ \"$(h < \"$f\")\" = %s ]; "
			      "then chmod %04o \"$f\"%s && echo same; else echo differs; fi",
			      hash, d, h, mode, chown != NULL ? chown : "");
	} else {
		/* The temporary file is next to dest, so the rename is atomic and a
		 * partial upload is never seen under dest's name. Its name is set
		 * before the file is made (0600, never over another file), so that
		 * the trap removes it whenever a cancel's TERM comes. The file is
		 * hashed after it is written rather than through a tee as it
		 * arrives: measured on the lab, the extra processes of the pipe cost
		 * more than the second pass they save. A destination that is a
		 * directory (or a link to one) is refused, not filled; mv -T
		 * renames over dest itself, so a symbolic link there is replaced,
		 * never followed. */
		s = xasprintf("%sd=%s; dir=$(dirname -- \"$d\"); f=; "
			      "trap '[ -z \"$f\" ] || rm -f -- \"$f\"; exit 143' TERM INT HUP; "
			      "if [ -d \"$d\" ]; then echo \"the destination is a directory\" >&2; "
			      "exit 1; fi; "
			      "mkdir -p -- \"$dir\" && t=$(mktemp -u \"$dir/.k8sw-upload.XXXXXX\") && "
			      "f=$t && (umask 077; set -C; : > \"$f\") || { f=; exit 1; }; "
			      "if cat > \"$f\" && [ \"$(h < \"$f\")\" = %s ] && "
			      "chmod %04o \"$f\"%s && mv -f -T -- \"$f\" \"$d\"; then exit 0; fi; "
			      "rm -f -- \"$f\"; echo \"sha256 or placement check failed\" >&2; exit 1",
			      hash, d, h, mode, chown != NULL ? chown : "");
	}
	free(d);
	free(h);
	free(o);
	free(chown);
	return s;
}

/* Run one of the upload's scripts, its last output lines into *out. Returns
 * 0 when it ran to an end (res says how), -1 with *err and r->cause set when
 * it could not run or was cancelled. */
static int run_script(struct remote *r, const char *script, struct upload_feed *feed,
		      struct remote_result *res, char **out, char **err)
{
	struct collect c = { { 0 }, 0 };
	struct remote_exec x = {
		.secret_line = sshauth_sudo_line(r),
		.secret_prompt = sshauth_sudo_prompt(r),
		.feed = feed != NULL ? feed_upload : NULL,
		.feed_data = feed,
		.on_line = collect_line,
		.data = &c,
		.killable = true,
	};
	char *wrapped = remote_wrap_command(script, sshauth_sudo_prefix(r), 0);
	int rc;

	x.command = wrapped;
	rc = remote_exec(r, &x, res, err);
	free(wrapped);
	*out = collect_text(&c);
	/* remote_exec() set the cause and the message of a cancel. */
	return rc < 0 || res->status == REMOTE_CANCELLED ? -1 : 0;
}

int remote_upload(struct remote *r, const struct remote_upload *up, bool *skipped, char **err)
{
	struct upload_feed uf = { .r = r, .up = up, .fd = -1 };
	struct remote_result res;
	char *script = NULL, *out = NULL, ebuf[128];
	int rc = -1;

	*skipped = false;
	if (remote_connect(r, err) < 0)
		return -1;
	script = upload_script(up->dest, up->file, up->mode, up->owner, true);
	if (run_script(r, script, NULL, &res, &out, err) < 0)
		goto out;
	if (res.status == REMOTE_EXITED && res.exit_code == 0 && out != NULL &&
	    strcmp(out, "same") == 0) {
		*skipped = true;
		if (up->progress != NULL)
			up->progress(r->name, up->file->size, up->file->size, up->data);
		rc = 0;
		goto out;
	}
	free(script);
	xfree(&out);
	script = upload_script(up->dest, up->file, up->mode, up->owner, false);
	if (up->file->path != NULL) {
		uf.fd = open(up->file->path, O_RDONLY | O_CLOEXEC);
		if (uf.fd < 0) {
			r->cause = REMOTE_CAUSE_LOCAL;
			remote_set_err(err, _("cannot read %s: %s"), up->file->path,
				       remote_strerror(errno, ebuf, sizeof ebuf));
			goto out;
		}
		uf.buf = xmalloc(REMOTE_UPLOAD_CHUNK);
	}
	if (run_script(r, script, &uf, &res, &out, err) < 0)
		goto out;
	if (res.status != REMOTE_EXITED || res.exit_code != 0) {
		r->cause = REMOTE_CAUSE_REFUSED;
		/* L10N: host, destination path, what the host said. */
		remote_set_err(err, _("%s: upload to %s failed: %s"), r->label, up->dest,
			       out != NULL ? out : _("no message"));
		goto out;
	}
	if (up->progress != NULL)
		up->progress(r->name, uf.sent, up->file->size, up->data);
	log_debug(LOGS_SSH, "%s: uploaded %s to %s", r->label, up->file->name, up->dest);
	rc = 0;
out:
	if (uf.fd >= 0)
		close(uf.fd);
	free(uf.buf);
	free(script);
	free(out);
	return rc;
}
