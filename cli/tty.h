/* The terminal's answers to the transport's questions (cli/tty.c). */
#ifndef K8SW_TTY_H
#define K8SW_TTY_H

#include <stdbool.h>
#include <stddef.h>

#include "remote.h"

struct tty_answers {
	bool accept_new; /* trust and record unknown host keys */
	char *password;	 /* the login password, asked once per run */
	char *sudo;	 /* the sudo password, asked once per run */
};

/* remote_prompts callbacks; data is a struct tty_answers. */
enum remote_hostkey_answer tty_hostkey(const char *host, const char *type, const char *fingerprint,
					void *data);
int tty_secret(const struct remote_secret_request *req, char *buf, size_t len, void *data);

/* Wipe and free the secrets kept. */
void tty_clear(struct tty_answers *t);

/* Print prompt on /dev/tty and read a line (without echo unless echo).
 * Returns 0, or -1 without a terminal or at end of input. */
int tty_read(const char *prompt, bool echo, char *buf, size_t len);

#endif
