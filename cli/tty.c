/* The terminal's answers to the transport's questions, for the headless
 * commands: unknown host keys are refused unless --accept-new-hostkeys,
 * secrets are read from /dev/tty without echo and kept for the run only. */
#include "config.h"

#include "tty.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "nls.h"
#include "xmalloc.h"

enum remote_hostkey_answer tty_hostkey(const char *host, const char *type, const char *fingerprint,
					void *data)
{
	struct tty_answers *t = data;

	if (!t->accept_new)
		return REMOTE_HOSTKEY_REJECT;
	/* L10N: host, key type, SHA256 fingerprint. */
	fprintf(stderr, _("k8s-wizard: %s: accepted new %s host key %s\n"), host, type,
		fingerprint);
	return REMOTE_HOSTKEY_ACCEPT_SAVE;
}

/* Read a line from the terminal without echo (unless echo). */
int tty_read(const char *prompt, bool echo, char *buf, size_t len)
{
	struct termios old, quiet;
	int fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
	bool restore = false;
	size_t n = 0;
	int rc = -1;

	if (fd < 0)
		return -1;
	if (write(fd, prompt, strlen(prompt)) < 0)
		goto out;
	if (!echo && tcgetattr(fd, &old) == 0) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		restore = tcsetattr(fd, TCSANOW, &quiet) == 0;
	}
	while (n + 1 < len) {
		char c;
		ssize_t r = read(fd, &c, 1);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		if (c == '\n' || c == '\r') {
			rc = 0;
			break;
		}
		buf[n++] = c;
	}
	buf[n] = '\0';
	if (restore) {
		tcsetattr(fd, TCSANOW, &old);
		if (write(fd, "\n", 1) < 0)
			rc = -1;
	}
out:
	close(fd);
	return rc;
}

/* Ask for a secret on the terminal; the login and sudo passwords are asked
 * once and reused for every host of the run (kept in memory only). */
int tty_secret(const struct remote_secret_request *req, char *buf, size_t len, void *data)
{
	struct tty_answers *t = data;
	char **cache = NULL;
	char *prompt = NULL;
	int rc;

	if (req->kind == REMOTE_SECRET_PASSWORD && !req->echo)
		cache = &t->password;
	else if (req->kind == REMOTE_SECRET_SUDO)
		cache = &t->sudo;
	if (cache != NULL && *cache != NULL) {
		xsnprintf(buf, len, "%s", *cache);
		return 0;
	}
	switch (req->kind) {
	case REMOTE_SECRET_PASSPHRASE:
		prompt = xasprintf(_("Passphrase of %s: "), req->what);
		break;
	case REMOTE_SECRET_SUDO:
		prompt = xasprintf(_("sudo password of %s (all hosts): "), req->user);
		break;
	case REMOTE_SECRET_PASSWORD:
	default:
		/* L10N: user, host, the server's own prompt ("Password: "). */
		prompt = xasprintf(_("%s@%s %s"), req->user, req->host, req->what);
		break;
	}
	rc = tty_read(prompt, req->echo, buf, len);
	free(prompt);
	if (rc == 0 && cache != NULL)
		*cache = xstrdup(buf);
	return rc;
}

void tty_clear(struct tty_answers *t)
{
	xfree_secret(&t->password);
	xfree_secret(&t->sudo);
}
