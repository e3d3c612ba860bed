/* The terminal's answers to the transport's questions (cli/term.c). */
#ifndef K8SW_TERM_H
#define K8SW_TERM_H

#include <stdbool.h>
#include <stddef.h>

#include "remote.h"

struct term {
	bool accept_new; /* trust and record unknown host keys */
	char *password;	 /* the login password, asked once per run */
	char *sudo;	 /* the sudo password, asked once per run */
};

/* remote_prompts callbacks; data is a struct term. */
enum remote_hostkey_answer term_hostkey(const char *host, const char *type, const char *fingerprint,
					void *data);
int term_secret(const struct remote_secret_request *req, char *buf, size_t len, void *data);

/* Wipe and free the secrets kept. */
void term_clear(struct term *t);

/* Print prompt on /dev/tty and read a line (without echo unless echo).
 * Returns 0, or -1 without a terminal or at end of input. */
int term_read(const char *prompt, bool echo, char *buf, size_t len);

#endif
