/* Authentication and sudo: the agent, key files (each loaded and decrypted
 * once per run, shared by all hosts), keyboard-interactive and password
 * logins, and how sudo works for the login user. Secrets asked for go
 * through the operator's prompts, are used, wiped, and never logged. */
#include "config.h"

#include <libssh/libssh.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "log.h"
#include "nls.h"
#include "remote_int.h"
#include "shquote.h"
#include "xmalloc.h"

struct sshauth_key {
	char *path;
	ssh_key key;
	struct sshauth_key *next;
};

/* Put a question for a secret to the operator, one question at a time. */
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
		explicit_bzero(buf, len);
	return rc;
}

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
	struct sshauth_key *k;
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
	char answer[REMOTE_SECRET_MAX];
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
			explicit_bzero(answer, sizeof answer);
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
	char pw[REMOTE_SECRET_MAX];
	int rc;

	if (ask_secret(r, REMOTE_SECRET_PASSWORD, _("Password: "), false, pw, sizeof pw) != 0) {
		tried_add(tried, _("password: no answer"));
		return SSH_AUTH_DENIED;
	}
	rc = ssh_userauth_password(r->s, NULL, pw);
	explicit_bzero(pw, sizeof pw);
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

int sshauth_authenticate(struct remote *r, char **err)
{
	char *tried = NULL, *accepted = NULL, *home = NULL;
	int rc = ssh_userauth_none(r->s, NULL);
	int methods, ret = -1;

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

			home = remote_home_dir();
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
	remote_set_err(err, _("%s: authentication failed for user %s: tried %s; the server accepts %s"),
		r->label, r->user, tried != NULL ? tried : _("nothing (no key found)"), accepted);
	r->cause = REMOTE_CAUSE_REFUSED;
	goto out;
done:
	ret = 0;
	goto out;
fail:
	/* An error, not a refusal: the connection broke (or was cancelled). */
	remote_set_err(err, _("%s: authentication of user %s failed: %s"), r->label, r->user,
		       ssh_get_error(r->s));
	r->cause = ssh_is_connected(r->s) ? REMOTE_CAUSE_REFUSED : REMOTE_CAUSE_LOST;
out:
	free(accepted);
	free(home);
	free(tried);
	return ret;
}

const char *sshauth_sudo_prefix(const struct remote *r)
{
	switch (r->sudo) {
	case REMOTE_SUDO_NOPASSWD:
		return "sudo -n -- ";
	case REMOTE_SUDO_PASSWORD:
		return r->sudo_prefix;
	case REMOTE_SUDO_NONE:
	default:
		return "";
	}
}

const char *sshauth_sudo_line(const struct remote *r)
{
	return r->sudo == REMOTE_SUDO_PASSWORD ? r->sudo_secret : NULL;
}

const char *sshauth_sudo_prompt(const struct remote *r)
{
	return r->sudo == REMOTE_SUDO_PASSWORD ? r->sudo_prompt : NULL;
}

/* A prompt for sudo -S -p that nothing else prints: the password is sent
 * only in answer to it. -k: sudo asks every time unless a NOPASSWD rule
 * lets the command run without asking, and then the password stays here. */
static void new_sudo_prompt(struct remote *r)
{
	unsigned char rnd[8];
	char hex[2 * sizeof rnd + 1], *line = NULL, *quoted = NULL;

	if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd)
		xalloc_die("getrandom"); /* cannot happen after boot: no entropy is fatal */
	for (size_t i = 0; i < sizeof rnd; i++)
		xsnprintf(hex + 2 * i, 3, "%02x", rnd[i]);
	free(r->sudo_prompt);
	free(r->sudo_prefix);
	r->sudo_prompt = xasprintf("[k8s-wizard sudo %s]", hex);
	/* A whole line: the newline ends it for the line splitter. */
	line = xasprintf("%s\n", r->sudo_prompt);
	quoted = shquote_arg(line);
	r->sudo_prefix = xasprintf("sudo -S -k -p %s -- ", quoted);
	free(quoted);
	free(line);
}

/* One of the transport's own short commands; *ok when it exited 0. With
 * secret (the password line), command runs wrapped behind sudo's password
 * prefix, so that the password answers sudo's prompt and nothing else.
 * Returns -1 with *err and r->cause set when it could not run (or was
 * cancelled). */
static int run_check(struct remote *r, const char *command, const char *secret, bool *ok,
		     char **err)
{
	struct remote_exec x = { .command = command };
	struct remote_result res;
	char *wrapped = NULL;
	int rc = -1;

	if (secret != NULL) {
		wrapped = remote_wrap_command(command, r->sudo_prefix, 0);
		x.command = wrapped;
		x.killable = true;
		x.secret_line = secret;
		x.secret_prompt = r->sudo_prompt;
	}
	*ok = false;
	if (remote_exec(r, &x, &res, err) < 0)
		goto out;
	if (res.status == REMOTE_CANCELLED)
		goto out; /* remote_exec() set the cause and the message */
	*ok = res.status == REMOTE_EXITED && res.exit_code == 0;
	rc = 0;
out:
	free(wrapped);
	return rc;
}

int sshauth_check_sudo(struct remote *r, char **err)
{
	char pw[REMOTE_SECRET_MAX];
	char *line = NULL;
	bool ok = false;
	int rc = -1;

	r->sudo = REMOTE_SUDO_NONE;
	if (run_check(r, "sudo -n true 2>/dev/null", NULL, &ok, err) < 0)
		goto out;
	if (ok) {
		r->sudo = REMOTE_SUDO_NOPASSWD;
		rc = 0;
		goto out;
	}
	r->cause = REMOTE_CAUSE_REFUSED;
	if (!r->sudo_password) {
		remote_set_err(err,
			       _("%s: sudo needs a password for user %s: allow it without one "
				 "(NOPASSWD in sudoers) or set ssh.sudoPassword in the plan"),
			       r->label, r->user);
		goto out;
	}
	if (ask_secret(r, REMOTE_SECRET_SUDO, "sudo", false, pw, sizeof pw) != 0) {
		remote_set_err(err, _("%s: sudo needs the password of user %s and none was given"),
			       r->label, r->user);
		goto out;
	}
	line = xasprintf("%s\n", pw);
	explicit_bzero(pw, sizeof pw);
	new_sudo_prompt(r);
	if (run_check(r, "true", line, &ok, err) < 0)
		goto out;
	if (!ok) {
		r->cause = REMOTE_CAUSE_REFUSED;
		remote_set_err(err, _("%s: sudo refused the password of user %s"), r->label,
			       r->user);
		goto out;
	}
	r->sudo = REMOTE_SUDO_PASSWORD;
	xfree_secret(&r->sudo_secret);
	r->sudo_secret = line;
	line = NULL;
	rc = 0;
out:
	xfree_secret(&line);
	return rc;
}

void sshauth_free_keys(struct remote_ctx *ctx)
{
	while (ctx->keys != NULL) {
		struct sshauth_key *k = ctx->keys;

		ctx->keys = k->next;
		ssh_key_free(k->key);
		free(k->path);
		free(k);
	}
}
