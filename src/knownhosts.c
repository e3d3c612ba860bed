/* Host keys: the server's key of a session checked against known_hosts
 * (OpenSSH's format, plain or hashed names), unknown keys put to the
 * operator, changed keys refused with OpenSSH's warning and the line to
 * remove, revoked keys (@revoked lines, which libssh skips) always refused.
 * Host certificates are not checked: a @cert-authority line trusts nothing,
 * so a host whose key is only covered by one is an unknown host. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <libssh/libssh.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "nls.h"
#include "remote_int.h"
#include "xmalloc.h"

/* Put an unknown key to the operator, one question at a time. */
static enum remote_hostkey_answer ask_hostkey(struct remote *r, const char *type,
					      const char *fingerprint)
{
	const struct remote_prompts *p = r->ctx->prompts;
	enum remote_hostkey_answer a;

	if (p == NULL || p->unknown_hostkey == NULL)
		return REMOTE_HOSTKEY_REJECT;
	pthread_mutex_lock(&r->ctx->ask_lock);
	a = p->unknown_hostkey(r->label, type, fingerprint, p->data);
	pthread_mutex_unlock(&r->ctx->ask_lock);
	return a;
}

/* The name known_hosts files use: "addr", or "[addr]:port" off port 22. */
static char *known_name(const struct remote *r)
{
	if (r->port == 22)
		return xstrdup(r->address);
	return xasprintf("[%s]:%u", r->address, r->port);
}

char *knownhosts_path(const struct remote_ctx *ctx)
{
	char *home = NULL, *path = NULL;

	if (ctx->known_hosts != NULL)
		return xstrdup(ctx->known_hosts);
	home = remote_home_dir();
	path = xasprintf("%s/.ssh/known_hosts", home);
	free(home);
	return path;
}

/* mkdir -p of dir, each new directory 0700. Returns 0, or -1 with errno. */
static int make_dirs(char *dir)
{
	for (char *p = dir + 1;; p++) {
		char c = *p;
		int rc;

		if (c != '/' && c != '\0')
			continue;
		*p = '\0';
		rc = mkdir(dir, 0700);
		*p = c;
		if (rc < 0 && errno != EEXIST)
			return -1;
		if (c == '\0')
			return 0;
	}
}

/* Make known_hosts (and its directory) before libssh first writes it, mode
 * 0600 whatever the umask: libssh's append would create it with the
 * process's umask (0666 under umask 000, where anyone could add a key). An
 * existing file is left as it is. Returns 0, or -1 with errno. */
static int known_create(const char *path)
{
	char *dir = xstrdup(path), *slash = strrchr(dir, '/');
	int fd = -1, rc = -1;

	if (slash != NULL && slash != dir) {
		*slash = '\0';
		if (make_dirs(dir) < 0)
			goto out;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		if (errno == EEXIST)
			rc = 0;
		goto out;
	}
	rc = fchmod(fd, 0600);
out:
	if (fd >= 0)
		close(fd);
	free(dir);
	return rc;
}

/* Decode base64 text; returns the length, or -1. */
static int unbase64(const char *in, size_t inlen, unsigned char *out, size_t outlen)
{
	int n;
	size_t pad = 0;

	if (inlen == 0 || inlen % 4 != 0 || inlen / 4 * 3 > outlen)
		return -1;
	n = EVP_DecodeBlock(out, (const unsigned char *)in, (int)inlen);
	if (n < 0)
		return -1;
	while (pad < 2 && in[inlen - 1 - pad] == '=')
		pad++;
	return n - (int)pad;
}

bool knownhosts_field_matches(const char *field, size_t len, const char *host)
{
	if (len > 3 && strncmp(field, "|1|", 3) == 0) {
		const char *salt = field + 3;
		const char *bar = memchr(salt, '|', len - 3);
		unsigned char s[64], want[64], got[EVP_MAX_MD_SIZE];
		unsigned gotlen = 0;
		int slen, wlen;

		if (bar == NULL)
			return false;
		slen = unbase64(salt, (size_t)(bar - salt), s, sizeof s);
		wlen = unbase64(bar + 1, len - (size_t)(bar + 1 - field), want, sizeof want);
		if (slen <= 0 || wlen != 20)
			return false;
		if (HMAC(EVP_sha1(), s, slen, (const unsigned char *)host, strlen(host), got,
			 &gotlen) == NULL)
			return false;
		return gotlen == 20 && memcmp(got, want, 20) == 0;
	}
	while (len > 0) {
		const char *comma = memchr(field, ',', len);
		size_t n = comma != NULL ? (size_t)(comma - field) : len;

		if (n == strlen(host) && strncmp(field, host, n) == 0)
			return true;
		if (comma == NULL)
			break;
		len -= n + 1;
		field = comma + 1;
	}
	return false;
}

/* The line numbers of file naming host, as " 3, 7" (empty when none). */
static char *known_lines(const char *file, const char *host)
{
	FILE *f = fopen(file, "r");
	char line[8192];
	char *out = xstrdup("");
	unsigned no = 0;

	while (f != NULL && fgets(line, sizeof line, f) != NULL) {
		const char *p = line;
		size_t n;

		no++;
		p += strspn(p, " \t");
		if (*p == '#' || *p == '\n' || *p == '\0')
			continue;
		if (*p == '@') /* @cert-authority / @revoked: not a host's key */
			continue;
		n = strcspn(p, " \t\n");
		if (knownhosts_field_matches(p, n, host)) {
			char *o = xasprintf("%s%s%u", out, out[0] != '\0' ? ", " : "", no);

			free(out);
			out = o;
		}
	}
	if (f != NULL)
		fclose(f);
	return out;
}

/* What libssh does not read in file: the line (counted from 1) that marks
 * key revoked, or 0; and whether the file has @cert-authority lines. A
 * revoked key is refused for every host, whichever hosts its line names: a
 * key known to be compromised proves nothing anywhere. */
static unsigned known_markers(const char *file, ssh_key key, bool *has_ca)
{
	FILE *f = fopen(file, "r");
	char *line = NULL;
	size_t cap = 0;
	unsigned no = 0, revoked = 0;

	*has_ca = false;
	while (f != NULL && revoked == 0 && getline(&line, &cap, f) >= 0) {
		char *p = line, *type = NULL, *blob = NULL;
		ssh_key k = NULL;

		no++;
		p += strspn(p, " \t");
		if (strncmp(p, "@cert-authority", 15) == 0 && strchr(" \t", p[15]) != NULL) {
			*has_ca = true;
			continue;
		}
		if (strncmp(p, "@revoked", 8) != 0 || p[8] == '\0' || strchr(" \t", p[8]) == NULL)
			continue;
		/* "@revoked HOSTS TYPE BASE64 [COMMENT]" */
		p += 8;
		p += strspn(p, " \t");
		p += strcspn(p, " \t\n");
		p += strspn(p, " \t");
		type = p;
		p += strcspn(p, " \t\n");
		if (*p == '\0')
			continue;
		*p++ = '\0';
		p += strspn(p, " \t");
		blob = p;
		blob[strcspn(blob, " \t\r\n")] = '\0';
		if (ssh_pki_import_pubkey_base64(blob, ssh_key_type_from_name(type), &k) == SSH_OK &&
		    ssh_key_cmp(k, key, SSH_KEY_CMP_PUBLIC) == 0)
			revoked = no;
		ssh_key_free(k);
	}
	free(line);
	if (f != NULL)
		fclose(f);
	return revoked;
}

int knownhosts_verify(struct remote *r, char **err)
{
	ssh_key key = NULL;
	unsigned char *hash = NULL;
	size_t hlen = 0;
	char *fp = NULL, *kh = NULL, *name = NULL, *lines = NULL;
	const char *type = "?";
	enum ssh_known_hosts_e state;
	enum remote_hostkey_answer a;
	enum remote_cause cause = REMOTE_CAUSE_REFUSED;
	unsigned revoked;
	bool has_ca = false;
	int rc = -1;

	if (ssh_get_server_publickey(r->s, &key) != SSH_OK ||
	    ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash, &hlen) != SSH_OK) {
		remote_set_err(err, _("%s: cannot read the host key: %s"), r->label, ssh_get_error(r->s));
		goto out;
	}
	fp = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, hlen);
	type = ssh_key_type_to_char(ssh_key_type(key));
	kh = knownhosts_path(r->ctx);
	name = known_name(r);
	pthread_mutex_lock(&r->ctx->known_lock);
	revoked = known_markers(kh, key, &has_ca);
	state = ssh_session_is_known_server(r->s);
	pthread_mutex_unlock(&r->ctx->known_lock);
	if (revoked > 0) {
		/* Whatever else the file says, and never put to the operator. */
		remote_set_err(err,
			/* L10N: host, key type, fingerprint, known_hosts file, line
			 * number. Keep the first line in English capitals: operators
			 * know it from OpenSSH. */
			_("%s: REVOKED HOST KEY DETECTED!\n"
			  "The %s key sent by the remote host (%s) is marked as revoked in %s, "
			  "line %u.\n"
			  "Host key verification failed: not connecting."),
			r->label, type, fp, kh, revoked);
		goto out;
	}
	switch (state) {
	case SSH_KNOWN_HOSTS_OK:
		rc = 0;
		break;
	case SSH_KNOWN_HOSTS_CHANGED:
	case SSH_KNOWN_HOSTS_OTHER:
		/* A key of another type counts as changed: accepting it would let
		 * an attacker pick the key type the file does not cover. */
		lines = known_lines(kh, name);
		remote_set_err(err,
			/* L10N: host, key type, fingerprint, known_hosts name, file,
			 * ", line ", line numbers, file, known_hosts name. Keep the first
			 * two lines in English capitals: operators know them from OpenSSH. */
			_("%s: WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!\n"
			  "IT IS POSSIBLE THAT SOMEONE IS DOING SOMETHING NASTY!\n"
			  "Someone could be eavesdropping on you right now (man-in-the-middle "
			  "attack)!\n"
			  "It is also possible that a host key has just been changed.\n"
			  "The fingerprint for the %s key sent by the remote host is\n%s.\n"
			  "Offending key for %s in %s%s%s\n"
			  "If the host was reinstalled, remove the old key with:\n"
			  "  ssh-keygen -f '%s' -R '%s'\n"
			  "Host key verification failed: not connecting."),
			r->label, type, fp, name, kh, lines[0] != '\0' ? _(", line ") : "",
			lines, kh, name);
		break;
	case SSH_KNOWN_HOSTS_NOT_FOUND:
	case SSH_KNOWN_HOSTS_UNKNOWN:
		a = ask_hostkey(r, type, fp);
		if (a == REMOTE_HOSTKEY_ACCEPT_ONCE) {
			rc = 0;
		} else if (a == REMOTE_HOSTKEY_ACCEPT_SAVE) {
			char ebuf[128];

			pthread_mutex_lock(&r->ctx->known_lock);
			rc = known_create(kh);
			if (rc < 0) {
				cause = REMOTE_CAUSE_LOCAL;
				remote_set_err(err, _("%s: cannot record the host key in %s: %s"),
					       r->label, kh, remote_strerror(errno, ebuf, sizeof ebuf));
			} else if (ssh_session_update_known_hosts(r->s) != SSH_OK) {
				rc = -1;
				cause = REMOTE_CAUSE_LOCAL;
				remote_set_err(err, _("%s: cannot record the host key in %s: %s"),
					       r->label, kh, ssh_get_error(r->s));
			}
			pthread_mutex_unlock(&r->ctx->known_lock);
			if (rc == 0)
				log_info(LOGS_SSH, "%s: recorded %s key %s in %s", r->label, type,
					 fp, kh);
		} else {
			/* L10N: host, key type, fingerprint, key type without ssh-,
			 * known_hosts file, and the note on @cert-authority or nothing. */
			remote_set_err(err,
				_("%s: the host key is not known: %s key %s.\n"
				  "Check it on the host (ssh-keygen -lf /etc/ssh/ssh_host_%s_key.pub), "
				  "then accept it with --accept-new-hostkeys or add it to %s.%s"),
				r->label, type, fp,
				strncmp(type, "ssh-", 4) == 0 ? type + 4 : type, kh,
				has_ca ? _("\nThe file's @cert-authority lines are not used: k8s-wizard "
					   "does not check host certificates; list the host's own key.")
				       : "");
		}
		break;
	case SSH_KNOWN_HOSTS_ERROR:
	default:
		cause = REMOTE_CAUSE_LOCAL;
		remote_set_err(err, _("%s: cannot check the host key against %s: %s"), r->label, kh,
			       ssh_get_error(r->s));
		break;
	}
out:
	if (rc < 0)
		r->cause = cause;
	free(lines);
	free(name);
	free(kh);
	if (fp != NULL)
		ssh_string_free_char(fp);
	if (hash != NULL)
		ssh_clean_pubkey_hash(&hash);
	ssh_key_free(key);
	return rc;
}
