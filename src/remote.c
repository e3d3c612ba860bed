/* The SSH transport on libssh: sessions, host keys, authentication, commands
 * with streamed output, uploads, keepalive and the bastion tunnel.
 *
 * Every session runs in blocking mode inside its own ssh_event. Output comes
 * through channel callbacks, so stdout and stderr keep the order in which
 * their packets arrived. libssh 0.10 has no client keepalive, so the wait
 * loops watch the session's byte counters: after keepalive_interval seconds
 * of silence they send "keepalive@openssh.com" (which sshd must answer), and
 * after keepalive_count unanswered probes the host is declared lost. */
#include "config.h"

#include "remote.h"

#include <errno.h>
#include <fcntl.h>
#include <libssh/callbacks.h>
#include <libssh/libssh.h>
#include <libssh/server.h> /* ssh_send_keepalive(): a client may send it too */
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "grammar.h"
#include "log.h"
#include "nls.h"
#include "shquote.h"
#include "xmalloc.h"

#define DEFAULT_CONNECT_TIMEOUT 10
#define DEFAULT_KEEPALIVE_INTERVAL 5
#define DEFAULT_KEEPALIVE_COUNT 3
#define SECRET_MAX 1024
#define UPLOAD_CHUNK (256 * 1024)
#define KILL_AFTER 5 /* seconds timeout(1) waits after TERM before KILL */

/* aes128-gcm first (fastest here, see notes/ssh-performance.md), then the
 * usual defaults, so a host that refuses it still negotiates. */
static const char ciphers[] = "aes128-gcm@openssh.com,chacha20-poly1305@openssh.com,"
			      "aes256-gcm@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr";

struct keycache {
	char *path;
	ssh_key key;
	struct keycache *next;
};

struct jump;

struct remote_ctx {
	char *known_hosts;
	char *identity_file;
	unsigned connect_timeout;
	unsigned keepalive_interval;
	unsigned keepalive_count;
	const struct remote_prompts *prompts;
	pthread_mutex_t ask_lock;   /* one question to the operator at a time */
	pthread_mutex_t known_lock; /* known_hosts reads and writes */
	pthread_mutex_t key_lock;   /* keys */
	struct keycache *keys;      /* private keys loaded (and decrypted) once */
	struct jump *jump;          /* the bastion; NULL: direct connections */
};

enum sudo_mode { SUDO_NONE, SUDO_NOPASSWD, SUDO_PASSWORD };

struct remote {
	struct remote_ctx *ctx;
	char *name;
	char *address;
	unsigned port;
	char *user;
	bool want_sudo;
	bool sudo_password;
	bool is_jump; /* this is the bastion itself */

	char *label; /* "name (user@address:port)" for messages */
	ssh_session s;
	ssh_event ev;
	struct ssh_counter_struct rx; /* socket bytes, for keepalive */
	bool connected;
	bool lost;
	enum sudo_mode sudo;
	char *sudo_secret; /* the sudo password, wiped on free */

	/* Keepalive bookkeeping of the current wait. */
	uint64_t seen_rx;
	int64_t last_rx_ms;
	unsigned probes;
};

static int jump_open(struct jump *j, const char *host, unsigned port, int *fd, char **err);
static void jump_free(struct jump **j);
static struct jump *jump_new(struct remote_ctx *ctx, const char *spec, const char *user);
static const char *jump_state(struct jump *j);

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Overwrite a secret so that it does not linger in freed memory. */
static void wipe(void *p, size_t len)
{
	volatile unsigned char *b = p;

	while (len-- > 0)
		*b++ = 0;
}

static void free_secret(char **s)
{
	if (*s != NULL) {
		wipe(*s, strlen(*s));
		xfree(s);
	}
}

static void set_err(char **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void set_err(char **err, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return;
	free(*err);
	va_start(ap, fmt);
	*err = xvasprintf(fmt, ap);
	va_end(ap);
}

/* --- context and hosts --------------------------------------------------- */

struct remote_ctx *remote_ctx_new(const struct remote_config *config)
{
	struct remote_ctx *ctx = xcalloc(1, sizeof *ctx);

	ssh_init();
	if (config->known_hosts != NULL)
		ctx->known_hosts = xstrdup(config->known_hosts);
	if (config->identity_file != NULL && config->identity_file[0] != '\0')
		ctx->identity_file = xstrdup(config->identity_file);
	ctx->connect_timeout =
		config->connect_timeout > 0 ? config->connect_timeout : DEFAULT_CONNECT_TIMEOUT;
	ctx->keepalive_interval = config->keepalive_interval > 0 ? config->keepalive_interval
								 : DEFAULT_KEEPALIVE_INTERVAL;
	ctx->keepalive_count =
		config->keepalive_count > 0 ? config->keepalive_count : DEFAULT_KEEPALIVE_COUNT;
	ctx->prompts = config->prompts;
	pthread_mutex_init(&ctx->ask_lock, NULL);
	pthread_mutex_init(&ctx->known_lock, NULL);
	pthread_mutex_init(&ctx->key_lock, NULL);
	if (config->bastion != NULL && config->bastion[0] != '\0')
		ctx->jump = jump_new(ctx, config->bastion, config->bastion_user);
	return ctx;
}

void remote_ctx_free(struct remote_ctx **pctx)
{
	struct remote_ctx *ctx = *pctx;

	if (ctx == NULL)
		return;
	jump_free(&ctx->jump);
	while (ctx->keys != NULL) {
		struct keycache *k = ctx->keys;

		ctx->keys = k->next;
		ssh_key_free(k->key);
		free(k->path);
		free(k);
	}
	pthread_mutex_destroy(&ctx->ask_lock);
	pthread_mutex_destroy(&ctx->known_lock);
	pthread_mutex_destroy(&ctx->key_lock);
	free(ctx->known_hosts);
	free(ctx->identity_file);
	xfree(pctx);
	ssh_finalize(); /* balances remote_ctx_new()'s ssh_init() */
}

struct remote *remote_new(struct remote_ctx *ctx, const struct remote_target *t)
{
	struct remote *r = xcalloc(1, sizeof *r);

	r->ctx = ctx;
	r->address = xstrdup(t->address);
	r->name = xstrdup(t->name != NULL ? t->name : t->address);
	r->port = t->port > 0 ? t->port : 22;
	r->user = xstrdup(t->user != NULL ? t->user : "root");
	r->want_sudo = t->sudo && strcmp(r->user, "root") != 0;
	r->sudo_password = t->sudo_password;
	r->label = xasprintf("%s (%s@%s:%u)", r->name, r->user, r->address, r->port);
	return r;
}

static void disconnect(struct remote *r)
{
	if (r->ev != NULL) {
		ssh_event_remove_session(r->ev, r->s);
		ssh_event_free(r->ev);
		r->ev = NULL;
	}
	if (r->s != NULL) {
		if (r->connected && !r->lost)
			ssh_disconnect(r->s);
		ssh_free(r->s);
		r->s = NULL;
	}
	r->connected = false;
}

void remote_free(struct remote **pr)
{
	struct remote *r = *pr;

	if (r == NULL)
		return;
	disconnect(r);
	free_secret(&r->sudo_secret);
	free(r->name);
	free(r->address);
	free(r->user);
	free(r->label);
	xfree(pr);
}

const char *remote_name(const struct remote *r)
{
	return r->name;
}

bool remote_lost(const struct remote *r)
{
	return r->lost;
}

void remote_target_from_plan(const struct plan *plan, size_t i, struct remote_target *t)
{
	const struct plan_host *h = &plan->hosts[i];

	memset(t, 0, sizeof *t);
	t->name = h->name;
	t->address = h->address;
	t->port = h->port > 0 ? h->port : plan->ssh.port;
	t->user = h->user != NULL ? h->user : plan->ssh.user;
	t->sudo = plan->ssh.sudo;
	t->sudo_password = plan->ssh.sudo_password;
}

void remote_config_from_plan(const struct plan *plan, struct remote_config *c)
{
	c->identity_file = plan->ssh.identity_file;
	c->bastion = plan->ssh.bastion;
	c->bastion_user = plan->ssh.user;
	c->connect_timeout = plan->ssh.connect_timeout;
}

/* --- questions to the operator ------------------------------------------ */

static int ask_secret(struct remote *r, enum remote_secret_kind kind, const char *what,
		      bool echo, char *buf, size_t len)
{
	const struct remote_prompts *p = r->ctx->prompts;
	struct remote_secret_request req = {
		.kind = kind, .user = r->user, .host = r->label, .what = what, .echo = echo,
	};
	int rc;

	if (p == NULL || p->secret == NULL)
		return -1;
	pthread_mutex_lock(&r->ctx->ask_lock);
	rc = p->secret(&req, buf, len, p->data);
	pthread_mutex_unlock(&r->ctx->ask_lock);
	if (rc != 0)
		wipe(buf, len);
	return rc;
}

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

/* --- known_hosts ---------------------------------------------------------- */

/* The name known_hosts files use: "addr", or "[addr]:port" off port 22. */
static char *known_name(const struct remote *r)
{
	if (r->port == 22)
		return xstrdup(r->address);
	return xasprintf("[%s]:%u", r->address, r->port);
}

static char *known_hosts_path(const struct remote_ctx *ctx)
{
	const char *home = getenv("HOME");
	struct passwd *pw = NULL;

	if (ctx->known_hosts != NULL)
		return xstrdup(ctx->known_hosts);
	if (home == NULL || home[0] == '\0') {
		pw = getpwuid(getuid());
		home = pw != NULL ? pw->pw_dir : "/";
	}
	return xasprintf("%s/.ssh/known_hosts", home);
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

bool remote_known_field_matches(const char *field, size_t len, const char *host)
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
		if (remote_known_field_matches(p, n, host)) {
			char *o = xasprintf("%s%s%u", out, out[0] != '\0' ? ", " : "", no);

			free(out);
			out = o;
		}
	}
	if (f != NULL)
		fclose(f);
	return out;
}

/* Check the server's key; returns 0 when it may be trusted. */
static int verify_hostkey(struct remote *r, char **err)
{
	ssh_key key = NULL;
	unsigned char *hash = NULL;
	size_t hlen = 0;
	char *fp = NULL, *kh = NULL, *name = NULL, *lines = NULL;
	const char *type = "?";
	enum ssh_known_hosts_e state;
	enum remote_hostkey_answer a;
	int rc = -1;

	if (ssh_get_server_publickey(r->s, &key) != SSH_OK ||
	    ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash, &hlen) != SSH_OK) {
		set_err(err, _("%s: cannot read the host key: %s"), r->label, ssh_get_error(r->s));
		goto out;
	}
	fp = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, hlen);
	type = ssh_key_type_to_char(ssh_key_type(key));
	kh = known_hosts_path(r->ctx);
	name = known_name(r);
	pthread_mutex_lock(&r->ctx->known_lock);
	state = ssh_session_is_known_server(r->s);
	pthread_mutex_unlock(&r->ctx->known_lock);
	switch (state) {
	case SSH_KNOWN_HOSTS_OK:
		rc = 0;
		break;
	case SSH_KNOWN_HOSTS_CHANGED:
	case SSH_KNOWN_HOSTS_OTHER:
		/* A key of another type counts as changed: accepting it would let
		 * an attacker pick the key type the file does not cover. */
		lines = known_lines(kh, name);
		set_err(err,
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
			pthread_mutex_lock(&r->ctx->known_lock);
			rc = ssh_session_update_known_hosts(r->s) == SSH_OK ? 0 : -1;
			pthread_mutex_unlock(&r->ctx->known_lock);
			if (rc < 0)
				set_err(err, _("%s: cannot record the host key in %s: %s"), r->label,
					kh, ssh_get_error(r->s));
			else
				log_info(LOGS_SSH, "%s: recorded %s key %s in %s", r->label, type, fp,
					 kh);
		} else {
			/* L10N: host, key type, fingerprint, key type without ssh-,
			 * known_hosts file. */
			set_err(err,
				_("%s: the host key is not known: %s key %s.\n"
				  "Check it on the host (ssh-keygen -lf /etc/ssh/ssh_host_%s_key.pub), "
				  "then accept it with --accept-new-hostkeys or add it to %s."),
				r->label, type, fp,
				strncmp(type, "ssh-", 4) == 0 ? type + 4 : type, kh);
		}
		break;
	case SSH_KNOWN_HOSTS_ERROR:
	default:
		set_err(err, _("%s: cannot check the host key against %s: %s"), r->label, kh,
			ssh_get_error(r->s));
		break;
	}
out:
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

/* --- authentication ------------------------------------------------------- */

struct pass_ctx {
	struct remote *r;
	const char *file;
	bool asked;
};

/* libssh asks for a key's passphrase: put the question to the operator. */
static int passphrase_cb(const char *prompt, char *buf, size_t len, int echo, int verify,
			 void *userdata)
{
	struct pass_ctx *pc = userdata;

	(void)prompt;
	(void)echo;
	(void)verify;
	pc->asked = true;
	return ask_secret(pc->r, REMOTE_SECRET_PASSPHRASE, pc->file, false, buf, len) == 0 ? 0
												: -1;
}

/* The private key of file, loaded once per run (asking its passphrase once)
 * and shared by all hosts. NULL with *why set when it cannot be read. */
static ssh_key load_key(struct remote *r, const char *file, const char **why)
{
	struct keycache *k;
	struct pass_ctx pc = { .r = r, .file = file };
	ssh_key key = NULL;

	pthread_mutex_lock(&r->ctx->key_lock);
	for (k = r->ctx->keys; k != NULL; k = k->next) {
		if (strcmp(k->path, file) == 0)
			break;
	}
	if (k == NULL) {
		if (ssh_pki_import_privkey_file(file, NULL, passphrase_cb, &pc, &key) != SSH_OK) {
			*why = pc.asked ? _("cannot decrypt it (no or wrong passphrase)")
					: _("cannot read it");
		} else {
			k = xcalloc(1, sizeof *k);
			k->path = xstrdup(file);
			k->key = key;
			k->next = r->ctx->keys;
			r->ctx->keys = k;
		}
	}
	pthread_mutex_unlock(&r->ctx->key_lock);
	return k != NULL ? k->key : NULL;
}

static void tried_add(char **tried, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void tried_add(char **tried, const char *fmt, ...)
{
	va_list ap;
	char *item, *all;

	va_start(ap, fmt);
	item = xvasprintf(fmt, ap);
	va_end(ap);
	all = xasprintf("%s%s%s", *tried != NULL ? *tried : "", *tried != NULL ? "; " : "", item);
	free(item);
	free(*tried);
	*tried = all;
}

/* Try one key file: offer its public half first (when there is a .pub) so
 * that a key the server would refuse costs no passphrase question. */
static int auth_keyfile(struct remote *r, const char *file, bool explicit, char **tried)
{
	ssh_key pub = NULL, key = NULL;
	char *pubfile = xasprintf("%s.pub", file);
	const char *why = NULL;
	int rc = SSH_AUTH_DENIED;

	if (access(file, F_OK) != 0) {
		if (explicit)
			tried_add(tried, _("key %s: no such file"), file);
		goto out;
	}
	if (ssh_pki_import_pubkey_file(pubfile, &pub) == SSH_OK &&
	    ssh_userauth_try_publickey(r->s, NULL, pub) != SSH_AUTH_SUCCESS) {
		tried_add(tried, _("key %s: refused"), file);
		goto out;
	}
	key = load_key(r, file, &why);
	if (key == NULL) {
		tried_add(tried, _("key %s: %s"), file, why);
		goto out;
	}
	rc = ssh_userauth_publickey(r->s, NULL, key);
	if (rc != SSH_AUTH_SUCCESS)
		tried_add(tried, _("key %s: refused"), file);
out:
	ssh_key_free(pub);
	free(pubfile);
	return rc;
}

static int auth_kbdint(struct remote *r, char **tried)
{
	char answer[SECRET_MAX];
	int rc = ssh_userauth_kbdint(r->s, NULL, NULL);
	bool asked = false;

	while (rc == SSH_AUTH_INFO) {
		int n = ssh_userauth_kbdint_getnprompts(r->s);

		for (int i = 0; i < n; i++) {
			char echo = 0;
			const char *prompt = ssh_userauth_kbdint_getprompt(r->s, (unsigned)i, &echo);

			if (ask_secret(r, REMOTE_SECRET_PASSWORD, prompt, echo != 0, answer,
				       sizeof answer) != 0) {
				tried_add(tried, _("keyboard-interactive: no answer"));
				return SSH_AUTH_DENIED;
			}
			asked = true;
			rc = ssh_userauth_kbdint_setanswer(r->s, (unsigned)i, answer);
			wipe(answer, sizeof answer);
			if (rc < 0)
				return SSH_AUTH_ERROR;
		}
		rc = ssh_userauth_kbdint(r->s, NULL, NULL);
	}
	if (rc != SSH_AUTH_SUCCESS)
		tried_add(tried, asked ? _("keyboard-interactive: refused")
				       : _("keyboard-interactive: no question asked"));
	return rc;
}

static int auth_password(struct remote *r, char **tried)
{
	char pw[SECRET_MAX];
	int rc;

	if (ask_secret(r, REMOTE_SECRET_PASSWORD, _("Password: "), false, pw, sizeof pw) != 0) {
		tried_add(tried, _("password: no answer"));
		return SSH_AUTH_DENIED;
	}
	rc = ssh_userauth_password(r->s, NULL, pw);
	wipe(pw, sizeof pw);
	if (rc != SSH_AUTH_SUCCESS)
		tried_add(tried, _("password: refused"));
	return rc;
}

/* The server's methods, for the failure message. */
static char *method_names(int methods)
{
	char *s = xstrdup("");
	static const struct {
		int bit;
		const char *name;
	} names[] = {
		{ SSH_AUTH_METHOD_PUBLICKEY, "publickey" },
		{ SSH_AUTH_METHOD_PASSWORD, "password" },
		{ SSH_AUTH_METHOD_INTERACTIVE, "keyboard-interactive" },
		{ SSH_AUTH_METHOD_GSSAPI_MIC, "gssapi-with-mic" },
		{ SSH_AUTH_METHOD_HOSTBASED, "hostbased" },
	};

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		if (methods & names[i].bit) {
			char *n = xasprintf("%s%s%s", s, s[0] != '\0' ? ", " : "", names[i].name);

			free(s);
			s = n;
		}
	}
	return s;
}

/* Authenticate in the order: agent, identity file (or ~/.ssh/id_*),
 * keyboard-interactive, password. */
static int authenticate(struct remote *r, char **err)
{
	char *tried = NULL, *accepted = NULL;
	int rc = ssh_userauth_none(r->s, NULL);
	int methods;
	const char *home = getenv("HOME");

	if (rc == SSH_AUTH_SUCCESS)
		return 0;
	if (rc == SSH_AUTH_ERROR)
		goto fail;
	methods = ssh_userauth_list(r->s, NULL);
	if (methods & SSH_AUTH_METHOD_PUBLICKEY) {
		const char *sock = getenv("SSH_AUTH_SOCK");

		if (sock != NULL && sock[0] != '\0') {
			rc = ssh_userauth_agent(r->s, NULL);
			if (rc == SSH_AUTH_SUCCESS)
				goto done;
			tried_add(&tried, _("ssh-agent: no key accepted"));
		}
		if (r->ctx->identity_file != NULL) {
			rc = auth_keyfile(r, r->ctx->identity_file, true, &tried);
			if (rc == SSH_AUTH_SUCCESS)
				goto done;
		} else {
			static const char *const defaults[] = { "id_ed25519", "id_ecdsa", "id_rsa" };

			if (home == NULL || home[0] == '\0') {
				struct passwd *pw = getpwuid(getuid());

				home = pw != NULL ? pw->pw_dir : "/";
			}
			for (size_t i = 0; i < sizeof defaults / sizeof defaults[0]; i++) {
				char *file = xasprintf("%s/.ssh/%s", home, defaults[i]);

				rc = auth_keyfile(r, file, false, &tried);
				free(file);
				if (rc == SSH_AUTH_SUCCESS)
					goto done;
			}
		}
	}
	if (rc == SSH_AUTH_ERROR)
		goto fail;
	if (methods & SSH_AUTH_METHOD_INTERACTIVE) {
		rc = auth_kbdint(r, &tried);
		if (rc == SSH_AUTH_SUCCESS)
			goto done;
	}
	if (rc == SSH_AUTH_ERROR)
		goto fail;
	if (methods & SSH_AUTH_METHOD_PASSWORD) {
		rc = auth_password(r, &tried);
		if (rc == SSH_AUTH_SUCCESS)
			goto done;
	}
	if (rc == SSH_AUTH_ERROR)
		goto fail;
	accepted = method_names(methods);
	/* L10N: host, user, the methods tried ("key FILE: refused; ..."),
	 * the methods the server accepts. */
	set_err(err, _("%s: authentication failed for user %s: tried %s; the server accepts %s"),
		r->label, r->user, tried != NULL ? tried : _("nothing (no key found)"), accepted);
	free(accepted);
	free(tried);
	return -1;
done:
	free(tried);
	return 0;
fail:
	set_err(err, _("%s: authentication of user %s failed: %s"), r->label, r->user,
		ssh_get_error(r->s));
	free(tried);
	return -1;
}

/* --- connecting ----------------------------------------------------------- */

static int run_plain(struct remote *r, const char *command, const char *input,
		     struct remote_result *res, char **err);
static int check_sudo(struct remote *r, char **err);

int remote_connect(struct remote *r, char **err)
{
	long timeout = (long)r->ctx->connect_timeout;
	int yes = 1, no = 0, port = (int)r->port, fd = -1;
	char *kh = NULL;

	if (r->connected && !r->lost)
		return 0;
	disconnect(r);
	r->lost = false;
	r->s = ssh_new();
	if (r->s == NULL)
		xalloc_die("ssh_new");
	kh = known_hosts_path(r->ctx);
	ssh_options_set(r->s, SSH_OPTIONS_HOST, r->address);
	ssh_options_set(r->s, SSH_OPTIONS_PORT, &port);
	ssh_options_set(r->s, SSH_OPTIONS_USER, r->user);
	ssh_options_set(r->s, SSH_OPTIONS_TIMEOUT, &timeout);
	ssh_options_set(r->s, SSH_OPTIONS_NODELAY, &yes);
	ssh_options_set(r->s, SSH_OPTIONS_PROCESS_CONFIG, &no);
	ssh_options_set(r->s, SSH_OPTIONS_KNOWNHOSTS, kh);
	if (r->ctx->known_hosts != NULL) /* a file of our own: only that one */
		ssh_options_set(r->s, SSH_OPTIONS_GLOBAL_KNOWNHOSTS, "/dev/null");
	ssh_options_set(r->s, SSH_OPTIONS_CIPHERS_C_S, ciphers);
	ssh_options_set(r->s, SSH_OPTIONS_CIPHERS_S_C, ciphers);
	free(kh);
	if (r->ctx->jump != NULL && !r->is_jump) {
		if (jump_open(r->ctx->jump, r->address, r->port, &fd, err) < 0) {
			r->lost = true;
			return -1;
		}
		ssh_options_set(r->s, SSH_OPTIONS_FD, &fd);
	}
	ssh_set_counters(r->s, &r->rx, NULL);
	if (ssh_connect(r->s) != SSH_OK) {
		set_err(err, _("%s: cannot connect: %s"), r->label, ssh_get_error(r->s));
		r->lost = true;
		return -1;
	}
	r->connected = true;
	if (verify_hostkey(r, err) < 0 || authenticate(r, err) < 0) {
		disconnect(r);
		return -1;
	}
	/* From here on a blocking call waits one keepalive interval at most;
	 * the wait loops decide when silence means a lost host. */
	timeout = (long)r->ctx->keepalive_interval;
	ssh_options_set(r->s, SSH_OPTIONS_TIMEOUT, &timeout);
	r->ev = ssh_event_new();
	if (r->ev == NULL)
		xalloc_die("ssh_event_new");
	ssh_event_add_session(r->ev, r->s);
	log_debug(LOGS_SSH, "%s: connected, cipher %s", r->label, ssh_get_cipher_out(r->s));
	if (r->want_sudo && check_sudo(r, err) < 0) {
		disconnect(r);
		return -1;
	}
	return 0;
}

/* --- running commands ----------------------------------------------------- */

/* Start a keepalive period: what was received so far counts as an answer. */
static void alive_reset(struct remote *r)
{
	r->seen_rx = r->rx.in_bytes;
	r->last_rx_ms = now_ms();
	r->probes = 0;
}

/* Called whenever a wait made no progress: probe a silent host and decide
 * whether it is gone. Returns false when it is. */
static bool alive_check(struct remote *r)
{
	int64_t interval = (int64_t)r->ctx->keepalive_interval * 1000;

	if (!ssh_is_connected(r->s))
		return false;
	if (r->rx.in_bytes != r->seen_rx) {
		alive_reset(r);
		return true;
	}
	if (now_ms() - r->last_rx_ms < interval * (r->probes + 1))
		return true;
	if (r->probes >= r->ctx->keepalive_count)
		return false;
	r->probes++;
	log_debug(LOGS_SSH, "%s: silent, keepalive probe %u", r->label, r->probes);
	/* Blocks one interval at most (the session timeout) for the answer. */
	ssh_send_keepalive(r->s);
	if (r->rx.in_bytes != r->seen_rx)
		alive_reset(r);
	return ssh_is_connected(r->s);
}

/* Say how the connection was lost: closed, or silent past the keepalive
 * bound; for a host behind the bastion, what became of the bastion. */
static void lost_message(struct remote *r, char **err)
{
	char *why = NULL;
	struct jump *j = r->is_jump ? NULL : r->ctx->jump;

	if (ssh_is_connected(r->s))
		why = xasprintf(_("no answer for %lld s (%u keepalive probes)"),
				(long long)((now_ms() - r->last_rx_ms) / 1000), r->probes);
	else
		why = xasprintf(_("closed: %s"), ssh_get_error(r->s));
	/* L10N: host, why ("no answer for 7 s..."), "; through " or nothing,
	 * the bastion's state or nothing. */
	set_err(err, _("%s: connection lost: %s%s%s"), r->label, why,
		j != NULL ? _("; through ") : "", j != NULL ? jump_state(j) : "");
	free(why);
}

struct run {
	struct remote *r;
	remote_line_fn on_line;
	void *data;
	char *buf[2];
	size_t len[2];
	bool got_status;
	int status;
	bool got_signal;
	char signal[16];
	bool eof;
	bool closed;
};

static void emit(struct run *run, int stream, const char *text, size_t len)
{
	struct remote_line line = {
		.host = run->r->name,
		.stream = stream != 0 ? REMOTE_STDERR : REMOTE_STDOUT,
		.text = text,
		.len = len,
	};

	if (run->on_line != NULL)
		run->on_line(&line, run->data);
}

/* Split what arrived into lines; keep the unfinished one for later. */
static int on_data(ssh_session s, ssh_channel ch, void *data, uint32_t len, int is_stderr,
		   void *userdata)
{
	struct run *run = userdata;
	int st = is_stderr != 0;
	const char *p = data, *end = p + len;

	(void)s;
	(void)ch;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);

		if (run->len[st] + n > REMOTE_MAX_LINE) {
			/* A very long line: hand over what we have as a piece. */
			size_t room = REMOTE_MAX_LINE - run->len[st];

			memcpy(run->buf[st] + run->len[st], p, room);
			emit(run, st, run->buf[st], REMOTE_MAX_LINE);
			run->len[st] = 0;
			p += room;
			continue;
		}
		if (nl != NULL && run->len[st] == 0) {
			emit(run, st, p, n); /* the common case: no copy */
		} else {
			memcpy(run->buf[st] + run->len[st], p, n);
			run->len[st] += n;
			if (nl != NULL) {
				emit(run, st, run->buf[st], run->len[st]);
				run->len[st] = 0;
			}
		}
		p += n + (nl != NULL ? 1 : 0);
	}
	return (int)len;
}

static void on_eof(ssh_session s, ssh_channel ch, void *userdata)
{
	(void)s;
	(void)ch;
	((struct run *)userdata)->eof = true;
}

static void on_close(ssh_session s, ssh_channel ch, void *userdata)
{
	(void)s;
	(void)ch;
	((struct run *)userdata)->closed = true;
}

static void on_exit_status(ssh_session s, ssh_channel ch, int status, void *userdata)
{
	struct run *run = userdata;

	(void)s;
	(void)ch;
	run->got_status = true;
	run->status = status;
}

static void on_exit_signal(ssh_session s, ssh_channel ch, const char *signal, int core,
			   const char *errmsg, const char *lang, void *userdata)
{
	struct run *run = userdata;

	(void)s;
	(void)ch;
	(void)core;
	(void)errmsg;
	(void)lang;
	run->got_signal = true;
	xsnprintf(run->signal, sizeof run->signal, "%s", signal != NULL ? signal : "?");
}

/* What feeds a command's standard input, one piece at a time: returns the
 * length of the next piece (0 at the end) or -1 with *err set. */
typedef ssize_t (*feed_fn)(void *feed, const void **piece, char **err);

/* Write all of buf to the channel. Returns 0, 1 when the command stopped
 * reading (its channel closed), -1 when the host was lost. */
static int write_all(struct remote *r, ssh_channel ch, const void *buf, size_t len)
{
	const char *p = buf;

	alive_reset(r);
	while (len > 0) {
		uint32_t n = len > UINT32_MAX ? UINT32_MAX : (uint32_t)len;
		int w = ssh_channel_write(ch, p, n);

		if (w == SSH_ERROR)
			return ssh_is_connected(r->s) ? 1 : -1;
		if (w > 0) {
			p += w;
			len -= (size_t)w;
			alive_reset(r);
		} else if (ssh_channel_is_closed(ch)) {
			return 1;
		} else if (!alive_check(r)) {
			return -1;
		}
	}
	return 0;
}

/* Run command (already wrapped) on one channel: feed its input, deliver its
 * output, wait for its end. deadline_ms 0: none. */
static int run_channel(struct remote *r, const char *command, const char *secret_line,
		       feed_fn feed, void *feed_data, int64_t deadline_ms, remote_line_fn on_line,
		       void *data, struct remote_result *res, char **err)
{
	struct run run = { .r = r, .on_line = on_line, .data = data };
	struct ssh_channel_callbacks_struct cb = {
		.userdata = &run,
		.channel_data_function = on_data,
		.channel_eof_function = on_eof,
		.channel_close_function = on_close,
		.channel_exit_status_function = on_exit_status,
		.channel_exit_signal_function = on_exit_signal,
	};
	ssh_channel ch = NULL;
	bool lost = false, timed_out = false, stopped_reading = false;
	int rc = -1, w;

	memset(res, 0, sizeof *res);
	res->status = REMOTE_FAILED;
	ssh_callbacks_init(&cb);
	run.buf[0] = xmalloc(REMOTE_MAX_LINE);
	run.buf[1] = xmalloc(REMOTE_MAX_LINE);
	ch = ssh_channel_new(r->s);
	if (ch == NULL || ssh_channel_open_session(ch) != SSH_OK) {
		lost = !ssh_is_connected(r->s);
		set_err(err, _("%s: cannot open a channel: %s"), r->label, ssh_get_error(r->s));
		goto out;
	}
	ssh_set_channel_callbacks(ch, &cb);
	if (ssh_channel_request_exec(ch, command) != SSH_OK) {
		lost = !ssh_is_connected(r->s);
		set_err(err, _("%s: cannot start the command: %s"), r->label, ssh_get_error(r->s));
		goto out;
	}
	/* Standard input: the sudo password line, then the data. */
	w = 0;
	if (secret_line != NULL)
		w = write_all(r, ch, secret_line, strlen(secret_line));
	while (w == 0 && feed != NULL) {
		const void *piece = NULL;
		ssize_t n = feed(feed_data, &piece, err);

		if (n < 0) {
			/* A local read error: end the command without EOF. */
			ssh_channel_close(ch);
			goto out;
		}
		if (n == 0)
			break;
		w = write_all(r, ch, piece, (size_t)n);
	}
	if (w < 0) {
		lost = true;
		goto wait_done;
	}
	stopped_reading = w > 0;
	if (!ssh_channel_is_closed(ch))
		ssh_channel_send_eof(ch);
	alive_reset(r);
	while (!run.closed && !(run.eof && (run.got_status || run.got_signal))) {
		int64_t now = now_ms();
		int tick = 1000;

		if (deadline_ms > 0 && now >= deadline_ms) {
			timed_out = true;
			break;
		}
		if (deadline_ms > 0 && deadline_ms - now < tick)
			tick = (int)(deadline_ms - now);
		if (ssh_event_dopoll(r->ev, tick) == SSH_ERROR || !ssh_is_connected(r->s)) {
			lost = true;
			break;
		}
		if (ssh_channel_is_closed(ch))
			break;
		if (!alive_check(r)) {
			lost = true;
			break;
		}
	}
wait_done:
	/* Whatever is left without a final newline is a line too. */
	for (int st = 0; st < 2; st++) {
		if (run.len[st] > 0)
			emit(&run, st, run.buf[st], run.len[st]);
	}
	if (lost) {
		lost_message(r, err);
		goto out;
	}
	if (timed_out) {
		res->status = REMOTE_TIMEOUT;
		rc = 0;
		goto out;
	}
	if (run.got_signal) {
		res->status = REMOTE_SIGNALLED;
		memcpy(res->signal, run.signal, sizeof res->signal);
		rc = 0;
	} else if (run.got_status) {
		res->status = REMOTE_EXITED;
		res->exit_code = run.status;
		rc = 0;
	} else {
		set_err(err, _("%s: the command ended without an exit status%s"), r->label,
			stopped_reading ? _(" (it stopped reading its input)") : "");
	}
out:
	if (lost) {
		r->lost = true;
		res->status = REMOTE_LOST;
	}
	if (ch != NULL) {
		if (!lost && !ssh_channel_is_closed(ch))
			ssh_channel_close(ch);
		ssh_channel_free(ch);
	}
	free(run.buf[0]);
	free(run.buf[1]);
	return rc;
}

struct mem_feed {
	const char *p;
	size_t len;
};

static ssize_t feed_mem(void *feed, const void **piece, char **err)
{
	struct mem_feed *m = feed;
	size_t n = m->len;

	(void)err;
	*piece = m->p;
	m->p += n;
	m->len = 0;
	return (ssize_t)n;
}

/* sudo's prefix for a command run as root, or "" when none is needed. */
static const char *sudo_prefix(const struct remote *r)
{
	switch (r->sudo) {
	case SUDO_NOPASSWD:
		return "sudo -n -- ";
	case SUDO_PASSWORD:
		/* -k: sudo always asks, so the password line on stdin is always
		 * consumed by sudo and never reaches the command. */
		return "sudo -S -k -p '' -- ";
	case SUDO_NONE:
	default:
		return "";
	}
}

char *remote_wrap_command(const char *command, const char *sudo, unsigned timeout)
{
	char *quoted = NULL, *out = NULL;

	if (sudo[0] == '\0' && timeout == 0)
		return xstrdup(command);
	quoted = shquote_arg(command);
	if (timeout > 0)
		out = xasprintf("%stimeout -k %u %u sh -c %s", sudo, KILL_AFTER, timeout, quoted);
	else
		out = xasprintf("%ssh -c %s", sudo, quoted);
	free(quoted);
	return out;
}

/* A command without sudo wrapping, for the transport's own checks. */
static int run_plain(struct remote *r, const char *command, const char *input,
		     struct remote_result *res, char **err)
{
	struct mem_feed m = { input, input != NULL ? strlen(input) : 0 };

	return run_channel(r, command, NULL, input != NULL ? feed_mem : NULL, &m, 0, NULL, NULL,
			   res, err);
}

/* Find out how sudo works for this user: without a password, or with the
 * one the operator gives (checked here, once per host). */
static int check_sudo(struct remote *r, char **err)
{
	struct remote_result res;
	char pw[SECRET_MAX];
	char *line = NULL;
	int rc = -1;

	if (run_plain(r, "sudo -n true 2>/dev/null", NULL, &res, err) < 0)
		return -1;
	if (res.status == REMOTE_EXITED && res.exit_code == 0) {
		r->sudo = SUDO_NOPASSWD;
		return 0;
	}
	if (!r->sudo_password) {
		set_err(err,
			_("%s: sudo needs a password for user %s: allow it without one "
			  "(NOPASSWD in sudoers) or set ssh.sudoPassword in the plan"),
			r->label, r->user);
		return -1;
	}
	if (ask_secret(r, REMOTE_SECRET_SUDO, "sudo", false, pw, sizeof pw) != 0) {
		set_err(err, _("%s: sudo needs the password of user %s and none was given"),
			r->label, r->user);
		return -1;
	}
	line = xasprintf("%s\n", pw);
	wipe(pw, sizeof pw);
	if (run_plain(r, "sudo -S -k -p '' true 2>/dev/null", line, &res, err) < 0)
		goto out;
	if (res.status != REMOTE_EXITED || res.exit_code != 0) {
		set_err(err, _("%s: sudo refused the password of user %s"), r->label, r->user);
		goto out;
	}
	r->sudo = SUDO_PASSWORD;
	r->sudo_secret = line;
	line = NULL;
	rc = 0;
out:
	free_secret(&line);
	return rc;
}

int remote_run(struct remote *r, const struct remote_cmd *cmd, struct remote_result *res,
	       char **err)
{
	char *wrapped = NULL;
	struct mem_feed m = { cmd->input, cmd->input_len };
	int64_t deadline = 0;
	int rc;

	memset(res, 0, sizeof *res);
	res->status = REMOTE_FAILED;
	if (remote_connect(r, err) < 0) {
		if (r->lost)
			res->status = REMOTE_LOST;
		return -1;
	}
	wrapped = remote_wrap_command(cmd->command, sudo_prefix(r), cmd->timeout);
	/* The host's timeout(1) ends the command; this deadline only covers a
	 * host that cannot (no timeout(1), or it hangs itself). */
	if (cmd->timeout > 0)
		deadline = now_ms() + ((int64_t)cmd->timeout + KILL_AFTER +
				       2 * r->ctx->keepalive_interval + 5) * 1000;
	log_debug(LOGS_SSH, "%s: run %s", r->label, cmd->command);
	rc = run_channel(r, wrapped, r->sudo == SUDO_PASSWORD ? r->sudo_secret : NULL,
			 cmd->input != NULL ? feed_mem : NULL, &m, deadline, cmd->on_line, cmd->data,
			 res, err);
	/* timeout(1) reports 124 (TERM) or 137 (KILL) when it ended the command. */
	if (rc == 0 && cmd->timeout > 0 && res->status == REMOTE_EXITED &&
	    (res->exit_code == 124 || res->exit_code == 137))
		res->status = REMOTE_TIMEOUT;
	free(wrapped);
	return rc;
}

/* --- uploads -------------------------------------------------------------- */

struct remote_file {
	char *path;
	uint64_t size;
	char sha256[65];
};

struct remote_file *remote_file_open(const char *path, char **err)
{
	struct remote_file *f = NULL;
	EVP_MD_CTX *md = NULL;
	unsigned char digest[EVP_MAX_MD_SIZE], *buf = NULL;
	unsigned dlen = 0;
	struct stat st;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) < 0) {
		set_err(err, _("cannot read %s: %s"), path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		set_err(err, _("%s is not a regular file"), path);
		goto out;
	}
	md = EVP_MD_CTX_new();
	if (md == NULL || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
		xalloc_die("EVP_MD_CTX_new");
	buf = xmalloc(UPLOAD_CHUNK);
	f = xcalloc(1, sizeof *f);
	while ((n = read(fd, buf, UPLOAD_CHUNK)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			set_err(err, _("cannot read %s: %s"), path, strerror(errno));
			remote_file_free(&f);
			goto out;
		}
		EVP_DigestUpdate(md, buf, (size_t)n);
		f->size += (uint64_t)n;
	}
	EVP_DigestFinal_ex(md, digest, &dlen);
	for (unsigned i = 0; i < dlen && i < 32; i++)
		xsnprintf(f->sha256 + 2 * i, 3, "%02x", digest[i]);
	f->path = xstrdup(path);
out:
	EVP_MD_CTX_free(md);
	free(buf);
	if (fd >= 0)
		close(fd);
	return f;
}

void remote_file_free(struct remote_file **f)
{
	if (*f == NULL)
		return;
	free((*f)->path);
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

struct file_feed {
	struct remote *r;
	const struct remote_upload *up;
	int fd;
	unsigned char *buf;
	uint64_t sent;
};

static ssize_t feed_file(void *feed, const void **piece, char **err)
{
	struct file_feed *ff = feed;
	ssize_t n;

	if (ff->up->progress != NULL)
		ff->up->progress(ff->r->name, ff->sent, ff->up->file->size, ff->up->data);
	do {
		n = read(ff->fd, ff->buf, UPLOAD_CHUNK);
	} while (n < 0 && errno == EINTR);
	if (n < 0) {
		set_err(err, _("cannot read %s: %s"), ff->up->file->path, strerror(errno));
		return -1;
	}
	ff->sent += (uint64_t)n;
	*piece = ff->buf;
	return n;
}

/* Collect a command's output lines into one string, for error messages. */
static void collect_line(const struct remote_line *line, void *data)
{
	char **all = data;
	char *n = xasprintf("%s%s%.*s", *all != NULL ? *all : "", *all != NULL ? "\n" : "",
			    (int)line->len, line->text);

	free(*all);
	*all = n;
}

char *remote_upload_script(const char *dest, const struct remote_file *file, unsigned mode,
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
		chown = xasprintf(" && chown -- %s \"$f\"", o);
	}
	if (check_only) {
		/* Same content: only make sure of mode and owner. */
		s = xasprintf("%sf=%s; if [ -f \"$f\" ] && [ \"$(h < \"$f\")\" = %s ]; "
			      "then chmod %04o \"$f\"%s && echo same; else echo differs; fi",
			      hash, d, h, mode, chown != NULL ? chown : "");
	} else {
		/* mktemp makes a 0600 file next to dest, so the rename is atomic and
		 * a partial upload is never seen under dest's name. The file is
		 * hashed after it is written rather than through a tee as it
		 * arrives: measured on the lab, the extra processes of the pipe cost
		 * more than the second pass they save. */
		s = xasprintf("%sd=%s; dir=$(dirname -- \"$d\"); mkdir -p -- \"$dir\" && "
			      "f=$(mktemp \"$dir/.k8sw-upload.XXXXXX\") || exit 1; "
			      "if cat > \"$f\" && [ \"$(h < \"$f\")\" = %s ] && "
			      "chmod %04o \"$f\"%s && mv -f -- \"$f\" \"$d\"; then exit 0; fi; "
			      "rm -f -- \"$f\"; echo \"sha256 or placement check failed\" >&2; exit 1",
			      hash, d, h, mode, chown != NULL ? chown : "");
	}
	free(d);
	free(h);
	free(o);
	free(chown);
	return s;
}

int remote_upload(struct remote *r, const struct remote_upload *up, bool *skipped, char **err)
{
	struct remote_result res;
	struct file_feed ff = { .r = r, .up = up, .fd = -1 };
	char *script = NULL, *wrapped = NULL, *out = NULL;
	int rc = -1;

	*skipped = false;
	if (remote_connect(r, err) < 0)
		return -1;
	script = remote_upload_script(up->dest, up->file, up->mode, up->owner, true);
	wrapped = remote_wrap_command(script, sudo_prefix(r), 0);
	if (run_channel(r, wrapped, r->sudo == SUDO_PASSWORD ? r->sudo_secret : NULL, NULL, NULL,
			0, collect_line, &out, &res, err) < 0)
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
	free(wrapped);
	xfree(&out);
	script = remote_upload_script(up->dest, up->file, up->mode, up->owner, false);
	wrapped = remote_wrap_command(script, sudo_prefix(r), 0);
	ff.fd = open(up->file->path, O_RDONLY | O_CLOEXEC);
	if (ff.fd < 0) {
		set_err(err, _("cannot read %s: %s"), up->file->path, strerror(errno));
		goto out;
	}
	ff.buf = xmalloc(UPLOAD_CHUNK);
	if (run_channel(r, wrapped, r->sudo == SUDO_PASSWORD ? r->sudo_secret : NULL, feed_file,
			&ff, 0, collect_line, &out, &res, err) < 0)
		goto out;
	if (res.status != REMOTE_EXITED || res.exit_code != 0) {
		set_err(err, _("%s: upload to %s failed: %s"), r->label, up->dest,
			out != NULL ? out : _("no message"));
		goto out;
	}
	if (up->progress != NULL)
		up->progress(r->name, ff.sent, up->file->size, up->data);
	rc = 0;
out:
	if (ff.fd >= 0)
		close(ff.fd);
	free(ff.buf);
	free(script);
	free(wrapped);
	free(out);
	return rc;
}

/* --- the bastion ---------------------------------------------------------- */

/* A tunnel: one direct-tcpip channel on the bastion session, carried to the
 * target's libssh session through a socketpair. */
struct tunnel {
	ssh_channel ch;
	int fd;            /* our end; the target's session owns the other */
	char *pend;        /* channel data not yet written to fd */
	size_t pend_len;
	size_t pend_off;
	bool fd_eof;       /* the target closed its end */
	bool ch_eof;       /* the channel will send nothing more */
	struct tunnel *next;
};

struct jump_req {
	char *host;
	unsigned port;
	int fd;
	char *err;
	bool done;
	struct jump_req *next;
};

/* The bastion: one session shared by every target, driven by one thread
 * (libssh sessions are not thread-safe) that opens the channels asked for and
 * moves bytes between each channel and its socketpair. */
struct jump {
	struct remote *r;
	pthread_mutex_t lock; /* everything below */
	pthread_cond_t cond;
	pthread_t thread;
	bool started;
	bool stop;
	char *dead; /* why the bastion is gone; NULL while it works */
	int wake[2];
	struct jump_req *reqs;
	struct tunnel *tunnels; /* the pump thread's alone */
};

static struct jump *jump_new(struct remote_ctx *ctx, const char *spec, const char *user)
{
	struct jump *j = xcalloc(1, sizeof *j);
	struct bastion b;
	struct remote_target t = { 0 };

	if (grammar_parse_bastion(spec, &b) < 0) {
		/* Plans are validated before this; a bad value still fails safely. */
		j->dead = xasprintf(_("bastion %s: malformed (use [user@]host[:port])"), spec);
		b.host[0] = '\0';
	}
	t.name = _("bastion");
	t.address = b.host[0] != '\0' ? b.host : spec;
	t.port = b.port;
	t.user = b.user[0] != '\0' ? b.user : user;
	j->r = remote_new(ctx, &t);
	j->r->is_jump = true;
	pthread_mutex_init(&j->lock, NULL);
	pthread_cond_init(&j->cond, NULL);
	j->wake[0] = j->wake[1] = -1;
	return j;
}

static void tunnel_close(struct tunnel *t)
{
	if (t->ch != NULL) {
		if (!ssh_channel_is_closed(t->ch))
			ssh_channel_close(t->ch);
		ssh_channel_free(t->ch);
	}
	if (t->fd >= 0)
		close(t->fd);
	free(t->pend);
	free(t);
}

/* Open the channels asked for (in this, the pump thread). */
static void jump_serve_requests(struct jump *j)
{
	struct jump_req *q;

	pthread_mutex_lock(&j->lock);
	for (q = j->reqs; q != NULL; q = q->next) {
		struct tunnel *t = NULL;
		int sv[2];

		if (q->done)
			continue;
		pthread_mutex_unlock(&j->lock);
		t = xcalloc(1, sizeof *t);
		t->fd = -1;
		t->ch = ssh_channel_new(j->r->s);
		if (t->ch == NULL ||
		    ssh_channel_open_forward(t->ch, q->host, (int)q->port, "127.0.0.1", 0) != SSH_OK) {
			/* L10N: the bastion, target address, port, libssh's error. */
			q->err = xasprintf(_("%s cannot reach %s port %u: %s"), j->r->label,
					   q->host, q->port, ssh_get_error(j->r->s));
			tunnel_close(t);
		} else if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
			q->err = xasprintf(_("socketpair: %s"), strerror(errno));
			tunnel_close(t);
		} else {
			t->fd = sv[0];
			fcntl(t->fd, F_SETFL, fcntl(t->fd, F_GETFL) | O_NONBLOCK);
			q->fd = sv[1];
			t->next = j->tunnels;
			j->tunnels = t;
		}
		pthread_mutex_lock(&j->lock);
		q->done = true;
		pthread_cond_broadcast(&j->cond);
	}
	pthread_mutex_unlock(&j->lock);
}

/* Move what can be moved without blocking on a target; returns true when
 * something moved. Removes tunnels that are finished. */
static bool jump_pump(struct jump *j, struct pollfd *pfds, size_t npfds)
{
	char buf[32768];
	bool moved = false;

	for (struct tunnel **tp = &j->tunnels; *tp != NULL;) {
		struct tunnel *t = *tp;
		bool readable = false;

		for (size_t i = 0; i < npfds; i++) {
			if (pfds[i].fd == t->fd)
				readable = (pfds[i].revents & (POLLIN | POLLHUP | POLLERR)) != 0;
		}
		/* Channel to target. */
		if (t->pend_len == t->pend_off && !t->ch_eof) {
			int n = ssh_channel_read_nonblocking(t->ch, buf, sizeof buf, 0);

			if (n > 0) {
				free(t->pend);
				t->pend = xmalloc((size_t)n);
				memcpy(t->pend, buf, (size_t)n);
				t->pend_len = (size_t)n;
				t->pend_off = 0;
				moved = true;
			} else if (n == SSH_ERROR || ssh_channel_is_eof(t->ch)) {
				t->ch_eof = true;
				shutdown(t->fd, SHUT_WR);
			}
		}
		if (t->pend_off < t->pend_len) {
			ssize_t w = write(t->fd, t->pend + t->pend_off, t->pend_len - t->pend_off);

			if (w > 0) {
				t->pend_off += (size_t)w;
				moved = true;
			} else if (w < 0 && errno != EAGAIN && errno != EINTR) {
				t->fd_eof = t->ch_eof = true;
			}
		}
		/* Target to channel. */
		if (readable && !t->fd_eof) {
			ssize_t n = read(t->fd, buf, sizeof buf);

			if (n > 0) {
				if (write_all(j->r, t->ch, buf, (size_t)n) != 0)
					t->fd_eof = t->ch_eof = true;
				moved = true;
			} else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
				t->fd_eof = true;
				if (!ssh_channel_is_closed(t->ch))
					ssh_channel_send_eof(t->ch);
			}
		}
		if ((t->fd_eof && t->ch_eof) || ssh_channel_is_closed(t->ch)) {
			*tp = t->next;
			tunnel_close(t);
			continue;
		}
		tp = &t->next;
	}
	return moved;
}

static void *jump_thread(void *arg)
{
	struct jump *j = arg;
	struct pollfd *pfds = NULL;
	size_t cap = 0;

	alive_reset(j->r);
	for (;;) {
		size_t n = 0;
		bool stop;
		char drain[64];

		pthread_mutex_lock(&j->lock);
		stop = j->stop;
		pthread_mutex_unlock(&j->lock);
		if (stop)
			break;
		jump_serve_requests(j);
		n = 2;
		for (struct tunnel *t = j->tunnels; t != NULL; t = t->next)
			n++;
		if (n > cap) {
			cap = n * 2;
			pfds = xreallocarray(pfds, cap, sizeof *pfds);
		}
		pfds[0] = (struct pollfd){ .fd = ssh_get_fd(j->r->s), .events = POLLIN };
		pfds[1] = (struct pollfd){ .fd = j->wake[0], .events = POLLIN };
		n = 2;
		for (struct tunnel *t = j->tunnels; t != NULL; t = t->next) {
			short ev = 0;

			if (!t->fd_eof)
				ev |= POLLIN;
			if (t->pend_off < t->pend_len)
				ev |= POLLOUT;
			pfds[n++] = (struct pollfd){ .fd = t->fd, .events = ev };
		}
		if (poll(pfds, n, 1000) < 0 && errno != EINTR)
			break;
		if (pfds[1].revents & POLLIN) {
			while (read(j->wake[0], drain, sizeof drain) > 0)
				;
		}
		/* Let libssh read what came from the bastion into the channels. */
		if (pfds[0].revents & (POLLIN | POLLHUP | POLLERR))
			ssh_event_dopoll(j->r->ev, 0);
		while (jump_pump(j, pfds, n)) {
			for (size_t i = 0; i < n; i++)
				pfds[i].revents = 0; /* only poll's answers count as readable */
		}
		if (!alive_check(j->r)) {
			pthread_mutex_lock(&j->lock);
			j->dead = xasprintf(_("%s: connection lost"), j->r->label);
			pthread_mutex_unlock(&j->lock);
			j->r->lost = true;
			break;
		}
	}
	/* Gone or stopping: every target's connection ends with it. */
	while (j->tunnels != NULL) {
		struct tunnel *t = j->tunnels;

		j->tunnels = t->next;
		tunnel_close(t);
	}
	pthread_mutex_lock(&j->lock);
	if (j->dead == NULL)
		j->dead = xasprintf(_("%s: closed"), j->r->label);
	pthread_cond_broadcast(&j->cond);
	pthread_mutex_unlock(&j->lock);
	free(pfds);
	return NULL;
}

/* A connected socket to host:port through the bastion. */
static int jump_open(struct jump *j, const char *host, unsigned port, int *fd, char **err)
{
	struct jump_req q = { .host = (char *)host, .port = port, .fd = -1 };
	int rc = -1;

	pthread_mutex_lock(&j->lock);
	/* The first target connects the bastion (others wait on the lock). */
	if (!j->started && j->dead == NULL) {
		char *jerr = NULL;

		if (remote_connect(j->r, &jerr) < 0) {
			j->dead = xstrdup(jerr);
			free(jerr);
		} else if (pipe2(j->wake, O_CLOEXEC | O_NONBLOCK) < 0 ||
			   pthread_create(&j->thread, NULL, jump_thread, j) != 0) {
			j->dead = xasprintf(_("%s: cannot start its thread"), j->r->label);
		} else {
			j->started = true;
		}
	}
	if (j->dead != NULL) {
		set_err(err, "%s", j->dead);
		goto out;
	}
	q.next = j->reqs;
	j->reqs = &q;
	if (write(j->wake[1], "x", 1) < 0 && errno != EAGAIN)
		log_warn(LOGS_SSH, "bastion: wake: %s", strerror(errno));
	while (!q.done && j->dead == NULL)
		pthread_cond_wait(&j->cond, &j->lock);
	for (struct jump_req **p = &j->reqs; *p != NULL; p = &(*p)->next) {
		if (*p == &q) {
			*p = q.next;
			break;
		}
	}
	if (q.done && q.err == NULL) {
		*fd = q.fd;
		rc = 0;
	} else {
		set_err(err, "%s", q.err != NULL ? q.err : j->dead);
		if (q.fd >= 0)
			close(q.fd);
	}
	free(q.err);
out:
	pthread_mutex_unlock(&j->lock);
	return rc;
}

/* "bastion NAME (...)" or why it is gone; for messages. The text stays
 * valid until the context is freed. */
static const char *jump_state(struct jump *j)
{
	const char *s;

	pthread_mutex_lock(&j->lock);
	s = j->dead != NULL ? j->dead : j->r->label;
	pthread_mutex_unlock(&j->lock);
	return s;
}

static void jump_free(struct jump **pj)
{
	struct jump *j = *pj;

	if (j == NULL)
		return;
	if (j->started) {
		pthread_mutex_lock(&j->lock);
		j->stop = true;
		pthread_mutex_unlock(&j->lock);
		if (write(j->wake[1], "x", 1) < 0 && errno != EAGAIN)
			log_warn(LOGS_SSH, "bastion: wake: %s", strerror(errno));
		pthread_join(j->thread, NULL);
	}
	if (j->wake[0] >= 0)
		close(j->wake[0]);
	if (j->wake[1] >= 0)
		close(j->wake[1]);
	remote_free(&j->r);
	pthread_mutex_destroy(&j->lock);
	pthread_cond_destroy(&j->cond);
	free(j->dead);
	xfree(pj);
}
