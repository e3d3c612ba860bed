/* What the SSH transport's files share: the context and host structs, the
 * wait loop with keepalive and cancel, running a channel, and each file's
 * entry points for the others. Not for other modules: they use remote.h.
 * The unit tests include it for the parts that need no host. */
#ifndef K8SW_REMOTE_INT_H
#define K8SW_REMOTE_INT_H

#include <libssh/libssh.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "remote.h"

#define REMOTE_SECRET_MAX 1024
#define REMOTE_UPLOAD_CHUNK (256 * 1024)
#define REMOTE_KILL_AFTER 5 /* seconds timeout(1) waits after TERM before KILL */

struct sshauth_key;
struct bastion_session;

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
	struct sshauth_key *keys;   /* private keys loaded (and decrypted) once */
	struct bastion_session *bastion; /* NULL: direct connections */
};

enum remote_sudo { REMOTE_SUDO_NONE, REMOTE_SUDO_NOPASSWD, REMOTE_SUDO_PASSWORD };

struct remote {
	struct remote_ctx *ctx;
	char *name;
	char *address;
	unsigned port;
	char *user;
	bool want_sudo;
	bool sudo_password;
	bool is_bastion; /* this is the bastion itself */

	char *label; /* "name (user@address:port)" for messages */
	ssh_session s;
	ssh_event ev;
	struct ssh_counter_struct rx; /* socket bytes, for keepalive */
	bool connected;
	bool broken; /* the session is gone: the next call connects again */
	unsigned generation; /* of the session, counted by disconnects */
	enum remote_cause cause;
	enum remote_sudo sudo;
	char *sudo_secret; /* "password\n" for sudo -S, wiped on free */
	char *sudo_prompt; /* the line sudo -S asks for it with (unique per session) */
	char *sudo_prefix; /* "sudo -S -k -p PROMPT -- " */

	/* Keepalive bookkeeping of the current wait. */
	uint64_t seen_rx;
	int64_t last_rx_ms;
	unsigned probes;

	/* Cancel: the flag, a pipe that wakes the wait loops, and while a
	 * connection is being set up a duplicate of its socket, which
	 * remote_cancel() shuts down to end libssh's blocking handshake. */
	pthread_mutex_t cancel_lock;
	bool cancel;
	int cancel_pipe[2];
	int connecting_fd;
};

/* --- remote.c ------------------------------------------------------------ */

int64_t remote_now_ms(void);

/* strerror(e) into buf, for worker threads. */
const char *remote_strerror(int e, char *buf, size_t len);

/* The user's home directory: $HOME, or the password database's. */
char *remote_home_dir(void);

/* Replace *err (when err is not NULL) with the formatted message. */
void remote_set_err(char **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Has remote_cancel() been called (and not cleared)? */
bool remote_cancelled(struct remote *r);

/* r->cause = CANCELLED and the message that says so. */
void remote_set_cancelled(struct remote *r, char **err);

/* Keepalive: start a period (what was received so far counts as an answer),
 * and after a wait that made no progress, probe a silent host and decide
 * whether it is gone (false). */
void remote_alive_reset(struct remote *r);
bool remote_alive_check(struct remote *r);

/* Why the connection was lost, into *err, and mark r broken (cause LOST). */
void remote_set_lost(struct remote *r, char **err);

enum remote_wait {
	REMOTE_WAIT_OK,        /* keep going */
	REMOTE_WAIT_LOST,      /* closed, or silent past the keepalive bound */
	REMOTE_WAIT_CANCELLED, /* remote_cancel() */
};

/* Wait at most timeout_ms for the session (libssh runs the callbacks of what
 * arrives), then apply the keepalive rule. A cancel ends the wait at once
 * unless ignore_cancel. */
enum remote_wait remote_wait(struct remote *r, int timeout_ms, bool ignore_cancel);

/* Write all of buf to the channel, never more than its window at a time, so
 * that a cancel or a lost host is seen between pieces. Returns 0, 1 when the
 * peer closed the channel, -1 when the host was lost, -2 when cancelled
 * (unless ignore_cancel). */
int remote_write_all(struct remote *r, ssh_channel ch, const void *buf, size_t len,
		     bool ignore_cancel);

/* What feeds a command's standard input, one piece at a time: returns the
 * length of the next piece (0 at the end) or -1 with *err set. */
typedef ssize_t (*remote_feed_fn)(void *feed, const void **piece, char **err);

/* One command on one channel. */
struct remote_exec {
	const char *command;     /* as sent: already wrapped */
	/* sudo's password: secret_line is written to stdin once, and only
	 * when the command printed the line secret_prompt on stderr (sudo -S
	 * -p asking for it). Both or neither; with them the command must be
	 * wrapped by remote_wrap_command(), and its input (feed) is held back
	 * until it announced its session: a command that sudo runs without
	 * asking (a NOPASSWD rule) never receives the password. */
	const char *secret_line;
	const char *secret_prompt;
	remote_feed_fn feed;     /* stdin, or NULL */
	void *feed_data;
	int64_t deadline_ms;     /* 0: none */
	remote_line_fn on_line;  /* NULL: output dropped */
	void *data;
	bool killable;      /* wrapped by remote_wrap_command(): a cancel or the
			     * deadline ends its session on the host */
	bool ignore_cancel; /* the transport's own work after a cancel */
};

/* Run x on a new channel of r's session (connected): feed its input, deliver
 * its output, wait for its end. Returns 0 with res set when it ended (also
 * REMOTE_CANCELLED, REMOTE_TIMEOUT at the deadline), -1 with *err and
 * r->cause set when it could not run or the host was lost. */
int remote_exec(struct remote *r, const struct remote_exec *x, struct remote_result *res,
		char **err);

/* command as sent to the host: /bin/sh runs it, behind the sudo prefix
 * (e.g. "sudo -n -- ") and timeout(1) when they are asked for, after a
 * prelude that announces the session id on stderr (a line the transport
 * takes out), so that a cancel can end the command's whole session. */
char *remote_wrap_command(const char *command, const char *sudo, unsigned timeout);

/* The announcement line of a session (without newline), or -1 when text is
 * not one. */
long remote_parse_session(const char *text, size_t len);

/* The script that ends every process of session sid: TERM, a short grace,
 * then KILL. */
char *remote_kill_script(long sid);

/* --- knownhosts.c -------------------------------------------------------- */

/* known_hosts of the context: its own file, or ~/.ssh/known_hosts. */
char *knownhosts_path(const struct remote_ctx *ctx);

/* Check the server's key of r's session; returns 0 when it may be trusted,
 * -1 with *err and r->cause set. */
int knownhosts_verify(struct remote *r, char **err);

/* Does one host field of a known_hosts line (comma-separated names, or a
 * hashed "|1|salt|hash") name host ("addr" or "[addr]:port")? */
bool knownhosts_field_matches(const char *field, size_t len, const char *host);

/* --- sshauth.c ----------------------------------------------------------- */

/* Authenticate r's session: agent, identity file (or ~/.ssh/id_*),
 * keyboard-interactive, password. 0, or -1 with *err and r->cause set. */
int sshauth_authenticate(struct remote *r, char **err);

/* Find out how sudo works on r (without a password, or with the one the
 * operator gives, checked once). 0, or -1 with *err and r->cause set. */
int sshauth_check_sudo(struct remote *r, char **err);

/* sudo's prefix for a command run as root ("" when none is needed); the
 * password line to answer its prompt with and that prompt (without its
 * newline), both NULL when sudo needs no password. For struct
 * remote_exec's secret_line and secret_prompt. */
const char *sshauth_sudo_prefix(const struct remote *r);
const char *sshauth_sudo_line(const struct remote *r);
const char *sshauth_sudo_prompt(const struct remote *r);

/* Free the context's key cache. */
void sshauth_free_keys(struct remote_ctx *ctx);

/* --- upload.c ------------------------------------------------------------ */

/* The script that checks whether dest already has the file (check_only),
 * or receives it on stdin and puts it in place. */
char *upload_script(const char *dest, const struct remote_file *file, unsigned mode,
		    const char *owner, bool check_only);

/* --- bastion.c ----------------------------------------------------------- */

/* The bastion of the context, from "[user@]host[:port]" (user: the plan's
 * default). Not connected before the first bastion_open(). */
struct bastion_session *bastion_new(struct remote_ctx *ctx, const char *spec, const char *user);
void bastion_free(struct bastion_session **b);

/* A connected socket to host:port through the bastion, for r's session (a
 * cancel of r stops the wait). 0 with *fd set, or -1 with *err set. */
int bastion_open(struct bastion_session *b, struct remote *r, const char *host, unsigned port,
		 int *fd, char **err);

/* "bastion NAME (...)" or why it is gone; for messages. The text stays
 * valid until the context is freed. */
const char *bastion_state(struct bastion_session *b);

#endif
