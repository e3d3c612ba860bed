/* bundle fetch: the upstream locations of the bundle's files, their download
 * with libcurl (resumed from a .part file), the check against the published
 * sha256, the extraction of archives with libarchive, the joining of a
 * manifest published in parts, and the lock file. */
#include "config.h"

#include "bundlefetch.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <curl/curl.h>
#include <openssl/evp.h>

#include "bundle.h"
#include "bundlelock.h"
#include "hexsum.h"
#include "fileio.h"
#include "manifest.h"
#include "nls.h"
#include "strbuf.h"
#include "xmalloc.h"

#define SUM_MAX (256 * 1024)
#define ATTEMPTS 4 /* transfers of one URL: the first and three resumptions */
#define MAX_MEMBERS 3
#define MAX_PARTS 4
#define PART_MAX (1024 * 1024) /* one file of a manifest published in parts */

/* A file of a manifest that upstream publishes in parts, one object each. */
struct part {
	const char *name; /* in the release's directory */
	const char *kind; /* of the object it holds */
};

/* kubelet-csr-approver's deploy/k8s/ (every tag from v1.2.2 on), in the
 * order they are joined: what a Deployment needs exists before it. Every
 * object, and the Deployment's container, is named kubelet-csr-approver. */
static const struct part CSR_PARTS[] = {
	{ "serviceaccount.yaml", "ServiceAccount" },
	{ "clusterrole.yaml", "ClusterRole" },
	{ "rolebinding.yaml", "ClusterRoleBinding" },
	{ "deployment.yaml", "Deployment" },
};
#define CSR_NAME "kubelet-csr-approver"

/* One download: a file of an upstream release, giving one or more bundle
 * files (an archive's members). */
struct download {
	const char *official; /* base URL */
	char *path;           /* under the base */
	char *sum_path;       /* the published checksum under the same base; NULL: none */
	char *version;
	enum bundle_item items[MAX_MEMBERS];
	const char *members[MAX_MEMBERS]; /* in the archive; NULL: the download is the file */
	size_t n_items;
	/* A manifest published in parts: path is then "DIR/{A,B}.yaml" (for
	 * people and the lock), each part is DIR/NAME; joined into items[0]. */
	char *dir;
	const struct part *parts;
	size_t n_parts;
};

struct fetch {
	const struct bundlefetch_options *o;
	const char *dir;
	CURL *curl;
	char curl_err[CURL_ERROR_SIZE];
	struct bundlelock lock;
	struct strbuf failed; /* a paragraph per download that failed */
};

static void emit(struct fetch *f, enum bundlefetch_event_type type, const char *file,
		 const char *url, const char *detail, uint64_t done, uint64_t total, bool verified)
{
	struct bundlefetch_event ev = { .type = type, .file = file, .url = url, .detail = detail,
					.done = done, .total = total, .verified = verified };

	if (f->o->event != NULL)
		f->o->event(&ev, f->o->arg);
}

/* --- where upstream publishes each file ------------------------------------ */

static const char K8S[] = "https://dl.k8s.io";
static const char GITHUB[] = "https://github.com";
static const char RAW[] = "https://raw.githubusercontent.com";

static void add_item(struct download *d, enum bundle_item id, const char *member)
{
	d->items[d->n_items] = id;
	d->members[d->n_items++] = member;
}

/* The downloads of p's versions, in the order of the bundle table; returns
 * how many (at most BUNDLE_COUNT). */
static size_t plan_downloads(const struct plan *p, struct download *out)
{
	char *k8s = bundle_version(p, BUNDLE_KUBELET);
	char *containerd = bundle_version(p, BUNDLE_CONTAINERD);
	char *runc = bundle_version(p, BUNDLE_RUNC);
	char *crictl = bundle_version(p, BUNDLE_CRICTL);
	char *calico = bundle_version(p, BUNDLE_CALICO);
	char *metrics = bundle_version(p, BUNDLE_METRICS_SERVER);
	char *csr = bundle_version(p, BUNDLE_CSR_APPROVER);
	struct download *d = out;

	/* containerd-1.7.20-linux-amd64.tar.gz: the tag without its "v". */
	if (containerd != NULL) {
		*d = (struct download){ .official = GITHUB, .version = containerd };
		d->path = xasprintf("containerd/containerd/releases/download/%s/containerd-%s-"
				    "linux-amd64.tar.gz", containerd, containerd + 1);
		d->sum_path = xasprintf("%s.sha256sum", d->path);
		add_item(d, BUNDLE_CONTAINERD, "bin/containerd");
		add_item(d, BUNDLE_CONTAINERD_SHIM, "bin/containerd-shim-runc-v2");
		add_item(d, BUNDLE_CTR, "bin/ctr");
		d++;
	}
	/* runc publishes one list of checksums for all of a release's files. */
	if (runc != NULL) {
		*d = (struct download){ .official = GITHUB, .version = runc };
		d->path = xasprintf("opencontainers/runc/releases/download/%s/runc.amd64", runc);
		d->sum_path = xasprintf("opencontainers/runc/releases/download/%s/runc.sha256sum",
					runc);
		add_item(d, BUNDLE_RUNC, NULL);
		d++;
	}
	if (crictl != NULL) {
		*d = (struct download){ .official = GITHUB, .version = crictl };
		d->path = xasprintf("kubernetes-sigs/cri-tools/releases/download/%s/crictl-%s-"
				    "linux-amd64.tar.gz", crictl, crictl);
		d->sum_path = xasprintf("%s.sha256", d->path);
		add_item(d, BUNDLE_CRICTL, "crictl");
		d++;
	}
	if (k8s != NULL) {
		for (int i = 0; i < 2; i++) {
			const char *name = i == 0 ? "kubelet" : "kubectl";

			*d = (struct download){ .official = K8S,
						.version = i == 0 ? k8s : xstrdup(k8s) };
			d->path = xasprintf("release/%s/bin/linux/amd64/%s", k8s, name);
			d->sum_path = xasprintf("%s.sha256", d->path);
			add_item(d, i == 0 ? BUNDLE_KUBELET : BUNDLE_KUBECTL, NULL);
			d++;
		}
	}
	/* Calico publishes the manifest in its source tree, without a checksum. */
	if (calico != NULL) {
		*d = (struct download){ .official = RAW, .version = calico };
		d->path = xasprintf("projectcalico/calico/%s/manifests/calico.yaml", calico);
		add_item(d, BUNDLE_CALICO, NULL);
		d++;
	}
	/* A release asset, also without a checksum. */
	if (metrics != NULL) {
		*d = (struct download){ .official = GITHUB, .version = metrics };
		d->path = xasprintf("kubernetes-sigs/metrics-server/releases/download/%s/"
				    "components.yaml", metrics);
		add_item(d, BUNDLE_METRICS_SERVER, NULL);
		d++;
	}
	/* No single manifest, no checksum: loose files in the source tree. */
	if (csr != NULL) {
		struct strbuf names = { 0 };

		*d = (struct download){ .official = RAW, .version = csr, .parts = CSR_PARTS,
					.n_parts = sizeof CSR_PARTS / sizeof CSR_PARTS[0] };
		d->dir = xasprintf("postfinance/kubelet-csr-approver/%s/deploy/k8s", csr);
		for (size_t i = 0; i < d->n_parts; i++)
			strbuf_addf(&names, "%s%.*s", i > 0 ? "," : "",
				    (int)(strlen(CSR_PARTS[i].name) - strlen(".yaml")),
				    CSR_PARTS[i].name);
		d->path = xasprintf("%s/{%s}.yaml", d->dir, names.s);
		strbuf_clear(&names);
		add_item(d, BUNDLE_CSR_APPROVER, NULL);
		d++;
	}
	return (size_t)(d - out);
}

static void download_clear(struct download *d)
{
	free(d->path);
	free(d->sum_path);
	free(d->version);
	free(d->dir);
}

/* --- HTTP -------------------------------------------------------------------- */

static char *join_url(const char *base, const char *path)
{
	size_t len = strlen(base);

	while (len > 0 && base[len - 1] == '/')
		len--;
	return xasprintf("%.*s/%s", (int)len, base, path);
}

static void setup(struct fetch *f, const char *url)
{
	CURL *c = f->curl;

	curl_easy_reset(c);
	f->curl_err[0] = '\0';
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, f->curl_err);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	/* Release downloads redirect (dl.k8s.io to a CDN, GitHub to its
	 * object store); only to HTTP(S). */
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
	/* A stalled transfer is given up after a minute (and resumed). */
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, PACKAGE "/" VERSION);
}

/* Why a transfer failed: the HTTP status, or curl's words. */
static char *transfer_error(struct fetch *f, CURLcode rc)
{
	long code = 0;

	curl_easy_getinfo(f->curl, CURLINFO_RESPONSE_CODE, &code);
	if (rc == CURLE_HTTP_RETURNED_ERROR)
		/* L10N: an HTTP status code such as 404. */
		return xasprintf(_("HTTP status %ld"), code);
	return xstrdup(f->curl_err[0] != '\0' ? f->curl_err : curl_easy_strerror(rc));
}

struct memsink {
	struct strbuf b;
	bool too_big;
};

static size_t mem_write(char *data, size_t size, size_t n, void *arg)
{
	struct memsink *m = arg;
	size_t len = size * n;

	if (m->b.len + len > SUM_MAX) {
		m->too_big = true;
		return 0;
	}
	strbuf_add(&m->b, data, len);
	return len;
}

/* A small text (a checksum file) into *out. Returns 0, or -1 with *err set. */
static int get_text(struct fetch *f, const char *url, char **out, char **err)
{
	struct memsink m = { 0 };
	CURLcode rc;

	setup(f, url);
	curl_easy_setopt(f->curl, CURLOPT_WRITEFUNCTION, mem_write);
	curl_easy_setopt(f->curl, CURLOPT_WRITEDATA, &m);
	rc = curl_easy_perform(f->curl);
	if (m.too_big) {
		/* L10N: a URL. */
		*err = xasprintf(_("%s: too large for a checksum file"), url);
	} else if (rc != CURLE_OK) {
		char *why = transfer_error(f, rc);

		/* L10N: a URL and why it could not be fetched. */
		*err = xasprintf(_("%s: %s"), url, why);
		free(why);
	}
	if (*err != NULL) {
		strbuf_clear(&m.b);
		return -1;
	}
	*out = strbuf_detach(&m.b, NULL);
	return 0;
}

struct filesink {
	struct fetch *f;
	const char *file, *url;
	int fd;
	uint64_t offset;   /* bytes in the .part before this transfer */
	uint64_t received; /* in this transfer */
	uint64_t shown;
	int error;         /* errno of a failed write */
};

static size_t file_write(char *data, size_t size, size_t n, void *arg)
{
	struct filesink *s = arg;
	size_t len = size * n, off = 0;

	while (off < len) {
		ssize_t w = write(s->fd, data + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			s->error = errno;
			return 0;
		}
		off += (size_t)w;
	}
	s->received += len;
	return len;
}

static int file_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
			 curl_off_t ulnow)
{
	struct filesink *s = arg;
	uint64_t done = s->offset + (uint64_t)dlnow;

	(void)ultotal;
	(void)ulnow;
	if (done != s->shown) {
		s->shown = done;
		emit(s->f, BUNDLEFETCH_PROGRESS, s->file, s->url, NULL, done,
		     dltotal > 0 ? s->offset + (uint64_t)dltotal : 0, false);
	}
	return 0;
}

/* Download url into part, continuing what part holds. A transfer cut off
 * after some bytes is resumed up to ATTEMPTS times; a server that ignores
 * the Range (or finds it past the end: a stale .part) gets the file again
 * from its start. Returns 0, or -1 with *err set (part is kept: the next
 * base or run resumes it). */
static int get_file(struct fetch *f, const char *file, const char *url, const char *part,
		    char **err)
{
	struct filesink s = { .f = f, .file = file, .url = url, .fd = -1 };
	struct stat st;
	char *why = NULL;
	int rc = -1;

	for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
		CURLcode cc;
		long code = 0;

		s.fd = open(part, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (s.fd < 0 || fstat(s.fd, &st) < 0) {
			/* L10N: a path and the system's error message. */
			why = xasprintf(_("cannot write %s: %s"), part, strerror(errno));
			goto out;
		}
		s.offset = (uint64_t)st.st_size;
		s.received = 0;
		s.shown = 0;
		setup(f, url);
		curl_easy_setopt(f->curl, CURLOPT_WRITEFUNCTION, file_write);
		curl_easy_setopt(f->curl, CURLOPT_WRITEDATA, &s);
		curl_easy_setopt(f->curl, CURLOPT_XFERINFOFUNCTION, file_progress);
		curl_easy_setopt(f->curl, CURLOPT_XFERINFODATA, &s);
		curl_easy_setopt(f->curl, CURLOPT_NOPROGRESS, 0L);
		if (s.offset > 0)
			curl_easy_setopt(f->curl, CURLOPT_RESUME_FROM_LARGE, (curl_off_t)s.offset);
		emit(f, BUNDLEFETCH_START, file, url, NULL, s.offset, 0, false);
		cc = curl_easy_perform(f->curl);
		curl_easy_getinfo(f->curl, CURLINFO_RESPONSE_CODE, &code);
		if (s.error == 0 && fsync(s.fd) < 0)
			s.error = errno;
		close(s.fd);
		s.fd = -1;
		if (s.error != 0) {
			/* L10N: a path and the system's error message. */
			why = xasprintf(_("cannot write %s: %s"), part, strerror(s.error));
			goto out;
		}
		if (cc == CURLE_OK) {
			rc = 0;
			goto out;
		}
		why = transfer_error(f, cc);
		if (s.offset > 0 && (cc == CURLE_RANGE_ERROR || code == 416)) {
			/* The server ignored the Range, or the .part is not a
			 * beginning of this file: start again. */
			emit(f, BUNDLEFETCH_RETRY, file, url, why, 0, 0, false);
			if (truncate(part, 0) < 0) {
				free(why);
				/* L10N: a path and the system's error message. */
				why = xasprintf(_("cannot write %s: %s"), part, strerror(errno));
				goto out;
			}
		} else if (cc == CURLE_HTTP_RETURNED_ERROR || s.received == 0) {
			goto out;
		} else {
			emit(f, BUNDLEFETCH_RETRY, file, url, why, s.offset + s.received, 0, false);
		}
		xfree(&why);
	}
out:
	if (s.fd >= 0)
		close(s.fd);
	/* Nothing came: no .part to resume (an error page is not kept). */
	if (rc < 0 && stat(part, &st) == 0 && st.st_size == 0)
		unlink(part);
	if (rc < 0)
		/* L10N: a URL and why it could not be fetched. */
		*err = xasprintf(_("%s: %s"), url, why != NULL ? why : _("interrupted too often"));
	free(why);
	return rc;
}

/* --- checksums ----------------------------------------------------------------- */

bool bundlefetch_parse_sum(const char *text, const char *name, char out[65])
{
	const char *line = text;
	size_t nlen = strlen(name);

	while (line != NULL && *line != '\0') {
		const char *end = strchr(line, '\n');
		const char *p = line, *file = NULL;
		size_t len = end != NULL ? (size_t)(end - line) : strlen(line);
		size_t hex = 0, flen = 0;

		while (hex < len && strchr("0123456789abcdefABCDEF", p[hex]) != NULL)
			hex++;
		if (hex == 64 && (hex == len || p[hex] == ' ' || p[hex] == '\t' || p[hex] == '\r')) {
			file = p + hex;
			while (file < line + len && (*file == ' ' || *file == '\t'))
				file++;
			if (file < line + len && *file == '*') /* sha256sum's binary mark */
				file++;
			flen = (size_t)(line + len - file);
			while (flen > 0 && (file[flen - 1] == '\r' || file[flen - 1] == ' '))
				flen--;
			/* A bare hash is the checksum of the file it sits beside;
			 * a list names each file, perhaps with a directory. */
			if (flen == 0 || (flen == nlen && memcmp(file, name, nlen) == 0) ||
			    (flen > nlen && file[flen - nlen - 1] == '/' &&
			     memcmp(file + flen - nlen, name, nlen) == 0)) {
				for (size_t i = 0; i < 64; i++)
					out[i] = (char)(p[i] >= 'A' && p[i] <= 'F' ? p[i] - 'A' + 'a'
										   : p[i]);
				out[64] = '\0';
				return true;
			}
		}
		line = end != NULL ? end + 1 : NULL;
	}
	return false;
}

/* --- a manifest published in parts ------------------------------------------ */

/* Whether the line at s (up to end) is a YAML document marker: "---" alone
 * or before a comment. */
static bool is_marker(const char *s, const char *end)
{
	if (end - s < 3 || memcmp(s, "---", 3) != 0)
		return false;
	for (s += 3; s < end && (*s == ' ' || *s == '\t' || *s == '\r'); s++)
		;
	return s == end || *s == '#';
}

static bool is_blank(const char *s, const char *end)
{
	for (; s < end; s++) {
		if (*s != ' ' && *s != '\t' && *s != '\r')
			return false;
	}
	return true;
}

char *bundlefetch_join(const char *const *parts, const size_t *lens, size_t n, size_t *len)
{
	struct strbuf b = { 0 };

	for (size_t i = 0; i < n; i++) {
		const char *s = parts[i], *end = parts[i] + lens[i];

		/* Blank lines and a document marker before the object. */
		for (;;) {
			const char *nl = memchr(s, '\n', (size_t)(end - s));
			const char *eol = nl != NULL ? nl : end;

			if (s == end || !(is_blank(s, eol) || is_marker(s, eol)))
				break;
			s = nl != NULL ? nl + 1 : end;
		}
		/* Blank lines and a document marker after it. */
		while (end > s) {
			const char *eol = end[-1] == '\n' ? end - 1 : end;
			const char *bol = eol;

			while (bol > s && bol[-1] != '\n')
				bol--;
			if (!is_blank(bol, eol) && !is_marker(bol, eol))
				break;
			end = bol;
		}
		if (i > 0)
			strbuf_adds(&b, "---\n");
		strbuf_add(&b, s, (size_t)(end - s));
		if (end > s && end[-1] != '\n')
			strbuf_addc(&b, '\n');
	}
	return strbuf_detach(&b, len);
}

/* --- putting files in place -------------------------------------------------- */

static int sync_dir(const char *path)
{
	char *dir = xstrdup(path);
	char *slash = strrchr(dir, '/');
	int fd, rc;

	if (slash != NULL)
		*slash = '\0';
	fd = open(slash != NULL ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	rc = fd >= 0 ? fsync(fd) : -1;
	if (fd >= 0)
		close(fd);
	free(dir);
	return rc;
}

/* mkdir -p, each new directory with mode. */
static int make_dirs(const char *path, mode_t mode, char **err)
{
	char *copy = xstrdup(path);
	int rc = 0;

	for (char *p = copy + 1; rc == 0; p++) {
		bool last = *p == '\0';

		if (*p != '/' && !last)
			continue;
		*p = '\0';
		if (mkdir(copy, mode) < 0 && errno != EEXIST) {
			/* L10N: a path and the system's error message. */
			*err = xasprintf(_("cannot create %s: %s"), copy, strerror(errno));
			rc = -1;
		}
		if (last)
			break;
		*p = '/';
	}
	free(copy);
	return rc;
}

/* Move the verified download into place as the bundle file id. */
static int install_raw(struct fetch *f, const char *part, enum bundle_item id, char **err)
{
	const struct bundle_entry *e = bundle_entry(id);
	char *final = bundle_path(f->dir, id);
	int rc = -1;

	if (chmod(part, e->mode) < 0 || rename(part, final) < 0 || sync_dir(final) < 0) {
		/* L10N: a path and the system's error message. */
		*err = xasprintf(_("cannot write %s: %s"), final, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	free(final);
	return rc;
}

/* Write the current archive entry to path (created with mode), its sha256
 * into sha. */
static int extract_entry(struct archive *a, const char *path, mode_t mode, char sha[65],
			 char **err)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int fd = -1, rc = -1;
	const void *buf = NULL;
	size_t size = 0;
	la_int64_t offset = 0;
	int r;

	if (ctx == NULL || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL))
		xalloc_die("EVP_DigestInit_ex");
	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		goto fail;
	while ((r = archive_read_data_block(a, &buf, &size, &offset)) == ARCHIVE_OK) {
		/* Blocks come in order for tar; a sparse gap would be a
		 * different file than upstream's. */
		if (pwrite(fd, buf, size, (off_t)offset) != (ssize_t)size)
			goto fail;
		if (!EVP_DigestUpdate(ctx, buf, size))
			xalloc_die("EVP_DigestUpdate");
	}
	if (r != ARCHIVE_EOF) {
		/* L10N: a path in the bundle and libarchive's error message. */
		*err = xasprintf(_("cannot extract %s: %s"), path, archive_error_string(a));
		goto out;
	}
	if (fchmod(fd, mode) < 0 || fsync(fd) < 0)
		goto fail;
	hexsum_final(ctx, sha);
	rc = 0;
	goto out;
fail:
	/* L10N: a path and the system's error message. */
	*err = xasprintf(_("cannot write %s: %s"), path, strerror(errno));
out:
	if (fd >= 0)
		close(fd);
	if (rc < 0)
		unlink(path);
	EVP_MD_CTX_free(ctx);
	return rc;
}

/* Extract d's members from the verified archive (fetched from url) into
 * place: each is written beside its final name, then all are renamed (a
 * failure leaves none half-written). sums gets each one's sha256. */
static int install_archive(struct fetch *f, const struct download *d, const char *archive_path,
			   const char *url, char sums[][65], char **err)
{
	struct archive *a = archive_read_new();
	struct archive_entry *entry = NULL;
	char *tmp[MAX_MEMBERS] = { NULL };
	bool found[MAX_MEMBERS] = { false };
	int rc = -1, r;

	archive_read_support_filter_gzip(a);
	archive_read_support_format_tar(a);
	if (archive_read_open_filename(a, archive_path, 65536) != ARCHIVE_OK) {
		/* L10N: a path and libarchive's error message. */
		*err = xasprintf(_("cannot read the archive %s: %s"), url, archive_error_string(a));
		goto out;
	}
	while ((r = archive_read_next_header(a, &entry)) == ARCHIVE_OK) {
		const char *name = archive_entry_pathname(entry);

		while (name[0] == '.' && name[1] == '/')
			name += 2;
		for (size_t i = 0; i < d->n_items; i++) {
			if (found[i] || strcmp(name, d->members[i]) != 0)
				continue;
			if (archive_entry_filetype(entry) != AE_IFREG) {
				/* L10N: a file in an archive, and the archive. */
				*err = xasprintf(_("%s in %s is not a regular file"), name, url);
				goto out;
			}
			tmp[i] = xasprintf("%s/%s.tmp", f->dir, bundle_entry(d->items[i])->file);
			if (extract_entry(a, tmp[i], bundle_entry(d->items[i])->mode, sums[i], err) < 0)
				goto out;
			found[i] = true;
		}
	}
	if (r != ARCHIVE_EOF) {
		/* L10N: a path and libarchive's error message. */
		*err = xasprintf(_("cannot read the archive %s: %s"), url, archive_error_string(a));
		goto out;
	}
	for (size_t i = 0; i < d->n_items; i++) {
		if (!found[i]) {
			/* L10N: a file name and the archive that should hold it. */
			*err = xasprintf(_("%s is not in the archive %s"), d->members[i], url);
			goto out;
		}
	}
	for (size_t i = 0; i < d->n_items; i++) {
		char *final = bundle_path(f->dir, d->items[i]);

		if (rename(tmp[i], final) < 0) {
			/* L10N: a path and the system's error message. */
			*err = xasprintf(_("cannot write %s: %s"), final, strerror(errno));
			free(final);
			goto out;
		}
		xfree(&tmp[i]);
		sync_dir(final);
		free(final);
	}
	rc = 0;
out:
	for (size_t i = 0; i < MAX_MEMBERS; i++) {
		if (tmp[i] != NULL)
			unlink(tmp[i]);
		free(tmp[i]);
	}
	archive_read_free(a);
	return rc;
}

/* --- one download ---------------------------------------------------------------- */

/* Whether every file of d is there as the lock records it, at d's version. */
static bool already_there(struct fetch *f, const struct download *d)
{
	for (size_t i = 0; i < d->n_items; i++) {
		const char *file = bundle_entry(d->items[i])->file;
		const struct bundlelock_entry *e = bundlelock_find(&f->lock, file);
		char *path = bundle_path(f->dir, d->items[i]);
		char sha[65], *err = NULL;
		int rc;

		rc = e != NULL && strcmp(e->version, d->version) == 0
			     ? hexsum_file(path, sha, &err)
			     : 1;
		free(err);
		free(path);
		if (rc != 0 || strcmp(sha, e->sha256) != 0)
			return false;
	}
	return true;
}

/* The .part of a download: its path under the base, flattened. */
static char *part_path(const struct fetch *f, const char *under_base)
{
	char *name = xstrdup(under_base), *path = NULL;

	for (char *p = name; *p != '\0'; p++) {
		if (*p == '/')
			*p = '_';
	}
	path = xasprintf("%s/.download/%s.part", f->dir, name);

	free(name);
	return path;
}

/* The one file of d (an archive: its members) from one base, checked
 * against the sha256 published beside it if any; sums gets the sha256 of
 * each file put in place. Returns 0, or -1 with *why set. */
static int fetch_file(struct fetch *f, const struct download *d, const char *base,
		      const char *url, char sums[][65], char **why)
{
	const char *first = bundle_entry(d->items[0])->file;
	const char *slash = strrchr(d->path, '/');
	char *part = part_path(f, d->path), *sum_url = NULL, *sum_text = NULL;
	char expected[65] = "", got[65] = "";
	int rc = -1;

	if (d->sum_path != NULL) {
		sum_url = join_url(base, d->sum_path);
		if (get_text(f, sum_url, &sum_text, why) < 0)
			goto out;
		if (!bundlefetch_parse_sum(sum_text, slash + 1, expected)) {
			/* L10N: the URL of a checksum file and the file it should name. */
			*why = xasprintf(_("%s: no sha256 of %s in it"), sum_url, slash + 1);
			goto out;
		}
	}
	if (get_file(f, first, url, part, why) < 0)
		goto out;
	if (hexsum_file(part, got, why) != 0)
		goto out;
	if (d->sum_path != NULL && strcmp(expected, got) != 0) {
		unlink(part);
		/* L10N: a URL, the sha256 its upstream publishes, the sha256 of
		 * what was downloaded. */
		*why = xasprintf(_("%s: sha256 mismatch: expected %s, got %s; the download was "
				   "refused and removed"),
				 url, expected, got);
		goto out;
	}
	if (d->members[0] == NULL) {
		if (install_raw(f, part, d->items[0], why) < 0)
			goto out;
		xsnprintf(sums[0], sizeof sums[0], "%s", got);
		rc = 0;
	} else {
		/* Checked and read: not to be resumed, whatever came of it. */
		rc = install_archive(f, d, part, url, sums, why);
		unlink(part);
	}
out:
	free(part);
	free(sum_url);
	free(sum_text);
	return rc;
}

/* Whether the joined manifest of d (fetched from url) holds what render
 * patches: an object of each part's kind and the Deployment's container,
 * all named CSR_NAME, with the env vars render sets. Returns 0, or -1 with
 * *why set. */
static int check_joined(const struct download *d, const char *url, const char *text,
			size_t len, char **why)
{
	static const char *const env[] = { "PROVIDER_REGEX", "PROVIDER_IP_PREFIXES" };
	struct manifest *m = NULL;
	struct manifest_ref obj, c;
	char *err = NULL;
	int rc = -1;

	if (manifest_parse(bundle_entry(d->items[0])->file, text, len, &m, &err) < 0)
		goto out;
	for (size_t i = 0; i < d->n_parts; i++) {
		if (manifest_find(m, d->parts[i].kind, CSR_NAME, &obj, &err) < 0)
			goto out;
	}
	if (manifest_find(m, "Deployment", CSR_NAME, &obj, &err) < 0 ||
	    manifest_find_container(m, &obj, CSR_NAME, &c, &err) < 0)
		goto out;
	for (size_t i = 0; i < sizeof env / sizeof env[0]; i++) {
		if (manifest_get_env(m, &c, env[i]) == NULL) {
			/* L10N: a container and an environment variable. */
			err = xasprintf(_("container %s has no env %s"), CSR_NAME, env[i]);
			goto out;
		}
	}
	rc = 0;
out:
	if (rc < 0)
		/* L10N: a URL (of several files joined) and what is wrong with them. */
		*why = xasprintf(_("%s: not the manifest expected, not written: %s"), url, err);
	free(err);
	manifest_free(&m);
	return rc;
}

/* A manifest published in parts, from one base: each part downloaded to its
 * .part, the parts joined (bundlefetch_join), checked (check_joined) and
 * written into place; sha gets the sha256 of the joined file. The .part
 * files are removed whatever comes of it: they are small, and the file is
 * made of the parts of one base. Returns 0, or -1 with *why set and the
 * bundle's file as it was. */
static int fetch_parts(struct fetch *f, const struct download *d, const char *base,
		       const char *url, char sha[65], char **why)
{
	const char *file = bundle_entry(d->items[0])->file;
	char *part[MAX_PARTS] = { NULL }, *text[MAX_PARTS] = { NULL };
	size_t len[MAX_PARTS] = { 0 }, joined_len = 0;
	char *under = NULL, *part_url = NULL, *joined = NULL, *final = NULL;
	int rc = -1;

	for (size_t i = 0; i < d->n_parts; i++) {
		under = xasprintf("%s/%s", d->dir, d->parts[i].name);
		part[i] = part_path(f, under);
		part_url = join_url(base, under);
		xfree(&under);
		if (get_file(f, file, part_url, part[i], why) < 0)
			goto out;
		if (fileio_read(part[i], PART_MAX, &text[i], &len[i], why) != 0) {
			if (*why == NULL)
				/* L10N: a path. */
				*why = xasprintf(_("%s: vanished"), part[i]);
			goto out;
		}
		xfree(&part_url);
	}
	joined = bundlefetch_join((const char *const *)text, len, d->n_parts, &joined_len);
	if (check_joined(d, url, joined, joined_len, why) < 0)
		goto out;
	final = bundle_path(f->dir, d->items[0]);
	if (fileio_write_atomic(final, joined, joined_len, bundle_entry(d->items[0])->mode,
				why) < 0 ||
	    hexsum_file(final, sha, why) != 0)
		goto out;
	rc = 0;
out:
	for (size_t i = 0; i < MAX_PARTS; i++) {
		if (part[i] != NULL)
			unlink(part[i]);
		free(part[i]);
		free(text[i]);
	}
	free(under);
	free(part_url);
	free(joined);
	free(final);
	return rc;
}

/* Try d from one base URL and record what it put in place in the lock.
 * Returns 0, or -1 with *why set (the next base is tried). */
static int fetch_from(struct fetch *f, const struct download *d, const char *base, char **why)
{
	char *url = join_url(base, d->path);
	char sums[MAX_MEMBERS][65];
	bool verified = d->sum_path != NULL;
	int rc;

	rc = d->n_parts > 0 ? fetch_parts(f, d, base, url, sums[0], why)
			    : fetch_file(f, d, base, url, sums, why);
	if (rc < 0)
		goto out;
	for (size_t i = 0; i < d->n_items; i++) {
		const char *file = bundle_entry(d->items[i])->file;

		bundlelock_set(&f->lock, file, sums[i], d->version, verified, url);
		emit(f, BUNDLEFETCH_DONE, file, url, sums[i], 0, 0, verified);
	}
	rc = bundlelock_write(f->dir, &f->lock, why);
out:
	free(url);
	return rc;
}

static void fetch_one(struct fetch *f, const struct download *d)
{
	const char *first = bundle_entry(d->items[0])->file;
	struct strbuf tried = { 0 };
	size_t n_bases = f->o->n_mirrors + (f->o->no_official ? 0 : 1);

	if (already_there(f, d)) {
		for (size_t i = 0; i < d->n_items; i++)
			emit(f, BUNDLEFETCH_PRESENT, bundle_entry(d->items[i])->file, NULL, NULL, 0,
			     0, false);
		goto out;
	}
	for (size_t i = 0; i < n_bases; i++) {
		const char *base = i < f->o->n_mirrors ? f->o->mirrors[i] : d->official;
		char *why = NULL;

		if (fetch_from(f, d, base, &why) == 0)
			goto out;
		emit(f, BUNDLEFETCH_RETRY, first, NULL, why, 0, 0, false);
		strbuf_addf(&tried, "\n  %s", why);
		free(why);
	}
	/* L10N: a file of the bundle, then one indented line per URL tried. */
	strbuf_addf(&f->failed, _("%s: could not be fetched:%s"), first,
		    tried.s != NULL ? tried.s : _(" no base URL to try"));
	strbuf_addc(&f->failed, '\n');
out:
	strbuf_clear(&tried);
}

static bool download_needed(const struct plan *p, const struct download *d)
{
	for (size_t k = 0; k < d->n_items; k++) {
		if (bundle_needed(p, d->items[k]))
			return true;
	}
	return false;
}

char *bundlefetch_list(const struct plan *p, const struct bundlefetch_options *o)
{
	struct download d[BUNDLE_COUNT];
	size_t n = plan_downloads(p, d);
	size_t n_bases = o->n_mirrors + (o->no_official ? 0 : 1);
	struct strbuf b = { 0 };

	for (size_t i = 0; i < n; i++) {
		const char *file = bundle_entry(d[i].items[0])->file;

		for (size_t k = 0; k < n_bases && download_needed(p, &d[i]); k++) {
			const char *base = k < o->n_mirrors ? o->mirrors[k] : d[i].official;
			char *url = NULL;

			for (size_t j = 0; j < d[i].n_parts; j++) {
				char *under = xasprintf("%s/%s", d[i].dir, d[i].parts[j].name);

				url = join_url(base, under);
				strbuf_addf(&b, "%s %s\n", file, url);
				xfree(&url);
				free(under);
			}
			if (d[i].n_parts == 0) {
				url = join_url(base, d[i].path);
				strbuf_addf(&b, "%s %s\n", file, url);
				xfree(&url);
			}
			if (d[i].sum_path != NULL) {
				url = join_url(base, d[i].sum_path);
				strbuf_addf(&b, "%s %s\n", file, url);
				free(url);
			}
		}
		download_clear(&d[i]);
	}
	return strbuf_detach(&b, NULL);
}

int bundlefetch_run(const struct plan *p, const char *dir, const struct bundlefetch_options *o,
		    char **err)
{
	static const char *const subdirs[] = { "bin", "manifests", ".download" };
	struct fetch f = { .o = o, .dir = dir };
	struct download d[BUNDLE_COUNT];
	size_t n = plan_downloads(p, d);
	char *sub = NULL;
	int rc = -1;

	*err = NULL;
	for (int i = 0; i < BUNDLE_COUNT; i++) {
		char *v = bundle_version(p, (enum bundle_item)i);

		if (v == NULL && bundle_needed(p, (enum bundle_item)i))
			/* L10N: a file of the bundle. */
			*err = xasprintf(_("the plan gives no version of %s (versions.*, or the "
					   "tag of its image)"),
					 bundle_entry((enum bundle_item)i)->file);
		free(v);
		if (*err != NULL)
			goto out;
	}
	if (bundlelock_read(dir, &f.lock, err) < 0)
		goto out;
	for (size_t i = 0; i < sizeof subdirs / sizeof subdirs[0]; i++) {
		sub = xasprintf("%s/%s", dir, subdirs[i]);
		if (make_dirs(sub, strcmp(subdirs[i], ".download") == 0 ? 0700 : 0755, err) < 0)
			goto out;
		xfree(&sub);
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		*err = xstrdup(_("cannot initialise libcurl"));
		goto out;
	}
	f.curl = curl_easy_init();
	if (f.curl == NULL)
		xalloc_die("curl_easy_init");
	for (size_t i = 0; i < n; i++) {
		if (download_needed(p, &d[i]))
			fetch_one(&f, &d[i]);
	}
	curl_easy_cleanup(f.curl);
	curl_global_cleanup();
	sub = xasprintf("%s/.download", dir);
	rmdir(sub); /* when empty: nothing is left to resume */
	if (f.failed.len > 0) {
		f.failed.s[--f.failed.len] = '\0';
		*err = strbuf_detach(&f.failed, NULL);
		goto out;
	}
	rc = 0;
out:
	for (size_t i = 0; i < n; i++)
		download_clear(&d[i]);
	strbuf_clear(&f.failed);
	bundlelock_clear(&f.lock);
	free(sub);
	return rc;
}
