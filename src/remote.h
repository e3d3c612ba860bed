/* The SSH transport: one libssh session per host, reused for every command
 * and upload, optionally through a bastion (jump host).
 *
 * Call order: remote_ctx_new() once with what all hosts share (known_hosts,
 * timeouts, the operator's prompts, the bastion); remote_new() per host;
 * remote_connect() (or let the first remote_run()/remote_upload() connect);
 * remote_free() each host, then remote_ctx_free(). Each struct remote is used
 * by one thread at a time (remote_cancel() aside, which any thread may call);
 * different hosts may run in different threads.
 *
 * The transport's files: remote.c (sessions, connecting, commands, cancel),
 * knownhosts.c (host keys), sshauth.c (authentication and sudo), upload.c
 * (files and uploads), bastion.c (the jump host), remotetcp.c (forwarded TCP);
 * what they share is in remote_int.h, not for other modules.
 *
 * Host keys are always checked against known_hosts: an unknown key is put to
 * the prompts (refused when they do not answer), a changed key is refused
 * with OpenSSH's warning and the line to remove. There is no way to turn the
 * check off. Passwords and passphrases are asked through the prompts, used,
 * wiped, and never logged. */
#ifndef K8SW_REMOTE_H
#define K8SW_REMOTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "plan.h"

/* The answer to an unknown host key. */
enum remote_hostkey_answer {
	REMOTE_HOSTKEY_REJECT,
	REMOTE_HOSTKEY_ACCEPT_ONCE, /* trust it for this run only */
	REMOTE_HOSTKEY_ACCEPT_SAVE, /* trust it and record it in known_hosts */
};

/* What a secret is asked for. */
enum remote_secret_kind {
	REMOTE_SECRET_PASSPHRASE, /* of a private key file: what names the file */
	REMOTE_SECRET_PASSWORD,   /* login password or keyboard-interactive answer */
	REMOTE_SECRET_SUDO,       /* the user's password for sudo */
};

struct remote_secret_request {
	enum remote_secret_kind kind;
	const char *user;   /* the login user */
	const char *host;   /* "name (address:port)" */
	const char *what;   /* the key file, or the server's prompt ("Password: ") */
	bool echo;          /* keyboard-interactive: the answer may be shown */
};

/* Questions to the operator, answered by the UI or the terminal front end.
 * Each may be NULL: the question is then refused. They are called from worker
 * threads, one question at a time (the transport serialises them). */
struct remote_prompts {
	enum remote_hostkey_answer (*unknown_hostkey)(const char *host, const char *key_type,
						      const char *fingerprint, void *data);
	/* Write the answer, NUL-terminated, into buf (size len). Returns 0 when
	 * answered, -1 when not. */
	int (*secret)(const struct remote_secret_request *req, char *buf, size_t len, void *data);
	void *data;
};

/* What every host of a run shares. */
struct remote_config {
	const char *known_hosts;     /* NULL: ~/.ssh/known_hosts */
	unsigned connect_timeout;    /* seconds; 0: 10 */
	unsigned keepalive_interval; /* seconds of silence before a probe; 0: 5 */
	unsigned keepalive_count;    /* unanswered probes before giving up; 0: 3 */
	const char *bastion;         /* [user@]host[:port], or NULL */
	const char *bastion_user;    /* default user of the bastion (the plan's) */
	const char *identity_file;   /* NULL: the agent, then ~/.ssh/id_* */
	const struct remote_prompts *prompts;
};

/* One host. */
struct remote_target {
	const char *name;    /* shown in messages and output lines */
	const char *address; /* IP address or name */
	unsigned port;       /* 0: 22 */
	const char *user;    /* NULL: root */
	bool sudo;           /* run commands as root through sudo when user is not root */
	bool sudo_password;  /* sudo needs the user's password (asked once per host) */
};

struct remote_ctx;
struct remote;

/* The context copies what it needs from config; prompts must outlive it. */
struct remote_ctx *remote_ctx_new(const struct remote_config *config);
void remote_ctx_free(struct remote_ctx **ctx);

/* A host's connection, not yet connected; target is copied. */
struct remote *remote_new(struct remote_ctx *ctx, const struct remote_target *target);
void remote_free(struct remote **r);

/* The plan's settings for host i (user, port, sudo), pointing into plan. */
void remote_target_from_plan(const struct plan *plan, size_t i, struct remote_target *t);

/* The shared settings of a plan (identity file, bastion, connect timeout). */
void remote_config_from_plan(const struct plan *plan, struct remote_config *c);

/* Connect, check the host key, authenticate and, for sudo, check that sudo
 * works. Returns 0, or -1 with *err set (free it) and remote_cause() saying
 * why: UNREACHABLE (no TCP connection, or no SSH handshake), REFUSED (host
 * key, authentication, sudo), LOST, CANCELLED, LOCAL (known_hosts cannot be
 * read or written). Does nothing when already connected; a connection lost
 * earlier is made again. */
int remote_connect(struct remote *r, char **err);

enum remote_stream { REMOTE_STDOUT, REMOTE_STDERR };

/* One line of a command's output, without its newline. A line longer than
 * REMOTE_MAX_LINE arrives in pieces; the last piece of output without a
 * final newline arrives as a line too. text is valid during the call only. */
struct remote_line {
	const char *host;
	enum remote_stream stream;
	const char *text;
	size_t len;
};

#define REMOTE_MAX_LINE 65536

typedef void (*remote_line_fn)(const struct remote_line *line, void *data);

/* How a command ended. */
enum remote_status {
	REMOTE_EXITED,    /* it ran; exit_code is its status */
	REMOTE_SIGNALLED, /* it was killed by signal */
	REMOTE_TIMEOUT,   /* it ran past its timeout and was ended on the host */
	REMOTE_LOST,      /* the connection dropped or the host stopped answering */
	REMOTE_FAILED,    /* it could not be started (connection, auth, channel) */
	REMOTE_CANCELLED, /* ended by remote_cancel() */
};

/* Why the last call on r failed (remote_cause()). */
enum remote_cause {
	REMOTE_CAUSE_NONE,
	REMOTE_CAUSE_REFUSED,     /* host key, authentication, sudo: retrying cannot help */
	REMOTE_CAUSE_UNREACHABLE, /* no connection: refused, no route, connect timeout */
	REMOTE_CAUSE_LOST,        /* was connected; dropped, or silent past the keepalive bound */
	REMOTE_CAUSE_CANCELLED,   /* remote_cancel() */
	REMOTE_CAUSE_LOCAL,       /* a local error (a file that cannot be read...) */
	REMOTE_CAUSE_TIMEOUT,     /* a TCP stream's peer sent nothing in time (remote_tcp_read) */
};

struct remote_result {
	enum remote_status status;
	int exit_code;  /* REMOTE_EXITED */
	char signal[16]; /* REMOTE_SIGNALLED: "KILL", "TERM"... */
};

struct remote_cmd {
	const char *command; /* a shell command line; quote values with shquote */
	unsigned timeout;    /* seconds; 0: none. The host's timeout(1) ends it. */
	const void *input;   /* standard input (then EOF); NULL: none */
	size_t input_len;
	remote_line_fn on_line; /* NULL: output is dropped */
	void *data;
};

/* Run a command on the host (connecting first if needed), by /bin/sh:
 * through sudo when the target asks for it, under the host's timeout(1) when
 * cmd->timeout asks for it. Output is delivered line by line as it arrives.
 * Returns 0 when the command ran to an end (res says which; REMOTE_CANCELLED
 * when remote_cancel() ended it), -1 with *err set when it could not be
 * started or the connection was lost (res->status REMOTE_FAILED or
 * REMOTE_LOST; remote_cause() says why). */
int remote_run(struct remote *r, const struct remote_cmd *cmd, struct remote_result *res,
	       char **err);

/* End what runs on r, from any thread (thread-safe), within about a second:
 * a command's whole process tree on the host (every process of its session,
 * TERM then KILL), an upload (no temporary file is left and dest is not
 * touched), a TCP stream or a connection being made. remote_run() then
 * returns 0 with REMOTE_CANCELLED; the other calls return -1 with cause
 * REMOTE_CAUSE_CANCELLED. The flag is sticky: every later call on r returns
 * CANCELLED at once, without contacting the host, until remote_cancel_clear()
 * (by the thread that uses r, between calls). A cancel that arrives between
 * two calls is never lost. A host that does not answer cannot be told to end
 * its processes; the call still returns. */
void remote_cancel(struct remote *r);
void remote_cancel_clear(struct remote *r);

/* Why the last call on r failed; REMOTE_CAUSE_NONE after a success (also
 * when a command ran and exited non-zero). */
enum remote_cause remote_cause(const struct remote *r);

/* Did the last failure of r come from the connection (REMOTE_CAUSE_LOST or
 * REMOTE_CAUSE_UNREACHABLE) as opposed to a refusal (host key,
 * authentication, sudo), a cancel or a local error? */
bool remote_lost(const struct remote *r);

/* A file to upload, with its size and sha256 computed once for all hosts. */
struct remote_file;

/* A local file, read once now for its digest and again by each upload.
 * NULL with *err set when it cannot be read or is not a regular file. */
struct remote_file *remote_file_open(const char *path, char **err);

/* A file whose bytes are in memory (rendered configs, keys, tokens): data is
 * borrowed and must outlive the struct; name (copied) is shown in messages
 * instead of a path. Never NULL. The bytes go from memory to the host: no
 * temporary file on this machine. */
struct remote_file *remote_file_mem(const char *name, const void *data, size_t len);

void remote_file_free(struct remote_file **f);
uint64_t remote_file_size(const struct remote_file *f);
const char *remote_file_sha256(const struct remote_file *f); /* lowercase hex */
const char *remote_file_name(const struct remote_file *f);   /* path, or the given name */

typedef void (*remote_progress_fn)(const char *host, uint64_t sent, uint64_t total,
				   void *data);

struct remote_upload {
	const struct remote_file *file;
	const char *dest;  /* absolute path on the host */
	unsigned mode;     /* e.g. 0644 */
	const char *owner; /* user[:group], or NULL to leave it (the login user) */
	remote_progress_fn progress; /* NULL: none */
	void *data;
};

/* Upload a file: skipped when dest already has the same sha256 (its mode and
 * owner are still set); otherwise streamed into a temporary file next to
 * dest, checked with sha256 on the host, given its mode and owner, and
 * renamed over dest, so dest is never a partial file. *skipped tells which.
 * Returns 0, or -1 with *err set and remote_cause() saying why. */
int remote_upload(struct remote *r, const struct remote_upload *up, bool *skipped, char **err);

/* A TCP connection from the host to addr:port: a direct-tcpip channel on r's
 * session (so through the bastion too when there is one), for health probes.
 * Used by the thread that uses r, between commands; close it before
 * remote_free(r). remote_cancel(r) ends it.
 *
 * remote_tcp_open() connects r first when needed. Returns 0 with *out set,
 * or -1 with *err set and remote_cause(r): UNREACHABLE when the host could
 * not connect to addr:port (nothing listening...), REFUSED when sshd does
 * not allow forwarding, LOST, CANCELLED...
 *
 * remote_tcp_read() waits at most timeout_ms (0: do not wait) for bytes and
 * returns how many it read (at most len), 0 at EOF, -1 with *err set on an
 * error, a cancel or a timeout (cause REMOTE_CAUSE_TIMEOUT when the host
 * answers but the peer sent nothing; a silent host is declared lost as in
 * remote_run()). remote_tcp_write() writes all of buf: 0, or -1 with *err. */
struct remote_tcp;
int remote_tcp_open(struct remote *r, const char *addr, unsigned port, struct remote_tcp **out,
		    char **err);
ssize_t remote_tcp_read(struct remote_tcp *t, void *buf, size_t len, int timeout_ms, char **err);
int remote_tcp_write(struct remote_tcp *t, const void *buf, size_t len, char **err);
void remote_tcp_close(struct remote_tcp **t);

#endif
