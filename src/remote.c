/* The SSH transport's core on libssh: sessions and connecting, commands with
 * streamed output, keepalive, and cancelling what runs on a host.
 *
 * Every session runs in blocking mode inside its own ssh_event. Output comes
 * through channel callbacks, so stdout and stderr keep the order in which
 * their packets arrived. libssh 0.10 has no client keepalive, so the wait
 * loops watch the session's byte counters: after keepalive_interval seconds
 * of silence they send "keepalive@openssh.com" (which sshd must answer), and
 * after keepalive_count unanswered probes the host is declared lost. A pipe
 * in the same ssh_event lets remote_cancel() wake those loops from any
 * thread; a cancelled command's session on the host is then ended over a
 * second channel. */
#include "config.h"

#include "remote.h"

#include <errno.h>
#include <fcntl.h>
#include <libssh/callbacks.h>
#include <libssh/libssh.h>
#include <libssh/server.h> /* ssh_send_keepalive(): a client may send it too */
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "homedir.h"
#include "log.h"
#include "nls.h"
#include "remote_int.h"
#include "shquote.h"
#include "xmalloc.h"

#define DEFAULT_CONNECT_TIMEOUT 10
#define DEFAULT_KEEPALIVE_INTERVAL 5
#define DEFAULT_KEEPALIVE_COUNT 3
#define WAIT_TICK_MS 1000
/* How long a cancel waits for a command that was just started to announce
 * its session, and for the kill to be done. */
#define ANNOUNCE_WAIT_MS 3000
#define KILL_WAIT_MS 8000
/* How long sudo may take to ask for the password or start the command. */
#define SUDO_WAIT_MS 60000

/* aes128-gcm first (fastest here, see notes/ssh-performance.md), then the
 * usual defaults, so a host that refuses it still negotiates. */
static const char ciphers[] = "aes128-gcm@openssh.com,chacha20-poly1305@openssh.com,"
			      "aes256-gcm@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr";

/* The first line a wrapped command writes on stderr: \001, this, the id of
 * its session on the host. */
#define SESSION_TAG "\001k8sw-session "

int64_t remote_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const char *remote_strerror(int e, char *buf, size_t len)
{
	return strerror_r(e, buf, len); /* the GNU form: returns the text */
}

char *remote_home_dir(void)
{
	char *err = NULL;
	char *home = homedir_get(&err);

	free(err);
	return home != NULL ? home : xstrdup("/");
}

void remote_set_err(char **err, const char *fmt, ...)
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
	char *err = NULL;

	ssh_init();
	if (config->known_hosts != NULL)
		ctx->known_hosts = xstrdup(config->known_hosts);
	/* The plan may say ~/.ssh/key, as ssh_config does; without a home the
	 * path stays as written and the key's read error names it. */
	if (config->identity_file != NULL && config->identity_file[0] != '\0') {
		ctx->identity_file = homedir_expand(config->identity_file, &err);
		if (ctx->identity_file == NULL)
			ctx->identity_file = xstrdup(config->identity_file);
		free(err);
	}
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
		ctx->bastion = bastion_new(ctx, config->bastion, config->bastion_user);
	return ctx;
}

void remote_ctx_free(struct remote_ctx **pctx)
{
	struct remote_ctx *ctx = *pctx;

	if (ctx == NULL)
		return;
	bastion_free(&ctx->bastion);
	sshauth_free_keys(ctx);
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
	pthread_mutex_init(&r->cancel_lock, NULL);
	r->connecting_fd = -1;
	if (pipe2(r->cancel_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
		xalloc_die("pipe2"); /* out of descriptors: as fatal as out of memory */
	return r;
}

/* The session set up (or not) by remote_connect(), in the order it was. */
static void disconnect(struct remote *r)
{
	if (r->ev != NULL) {
		ssh_event_remove_fd(r->ev, r->cancel_pipe[0]);
		ssh_event_remove_session(r->ev, r->s);
		ssh_event_free(r->ev);
		r->ev = NULL;
	}
	if (r->s != NULL) {
		if (r->connected && !r->broken)
			ssh_disconnect(r->s);
		ssh_free(r->s); /* and every channel of it */
		r->s = NULL;
		r->generation++;
	}
	r->connected = false;
}

void remote_free(struct remote **pr)
{
	struct remote *r = *pr;

	if (r == NULL)
		return;
	disconnect(r);
	xfree_secret(&r->sudo_secret);
	free(r->sudo_prompt);
	free(r->sudo_prefix);
	close(r->cancel_pipe[0]);
	close(r->cancel_pipe[1]);
	if (r->connecting_fd >= 0)
		close(r->connecting_fd);
	pthread_mutex_destroy(&r->cancel_lock);
	free(r->name);
	free(r->address);
	free(r->user);
	free(r->label);
	xfree(pr);
}

enum remote_cause remote_cause(const struct remote *r)
{
	return r->cause;
}

bool remote_lost(const struct remote *r)
{
	return r->cause == REMOTE_CAUSE_LOST || r->cause == REMOTE_CAUSE_UNREACHABLE;
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

/* --- cancel --------------------------------------------------------------- */

void remote_cancel(struct remote *r)
{
	pthread_mutex_lock(&r->cancel_lock);
	r->cancel = true;
	/* The byte wakes whichever poll waits; a full pipe is awake already. */
	if (write(r->cancel_pipe[1], "c", 1) < 0 && errno != EAGAIN)
		log_warn(LOGS_SSH, "%s: cancel: cannot wake the wait", r->label);
	/* libssh's handshake and authentication block in calls we cannot wake:
	 * ending the socket under them makes them fail at once. */
	if (r->connecting_fd >= 0)
		shutdown(r->connecting_fd, SHUT_RDWR);
	pthread_mutex_unlock(&r->cancel_lock);
}

static void drain_cancel_pipe(struct remote *r)
{
	char buf[64];

	while (read(r->cancel_pipe[0], buf, sizeof buf) > 0)
		;
}

void remote_cancel_clear(struct remote *r)
{
	pthread_mutex_lock(&r->cancel_lock);
	r->cancel = false;
	drain_cancel_pipe(r);
	pthread_mutex_unlock(&r->cancel_lock);
}

bool remote_cancelled(struct remote *r)
{
	bool c;

	pthread_mutex_lock(&r->cancel_lock);
	c = r->cancel;
	pthread_mutex_unlock(&r->cancel_lock);
	return c;
}

void remote_set_cancelled(struct remote *r, char **err)
{
	r->cause = REMOTE_CAUSE_CANCELLED;
	/* L10N: the host ("node1 (root@10.1.1.4:22)"). */
	remote_set_err(err, _("%s: cancelled"), r->label);
}

/* The cancel pipe in the session's ssh_event: empty it, so that the poll
 * sleeps again; the flag is what counts. */
static int on_cancel_pipe(socket_t fd, int revents, void *userdata)
{
	(void)fd;
	(void)revents;
	drain_cancel_pipe(userdata);
	return 0;
}

/* Remember (a duplicate of) the socket being set up, so that remote_cancel()
 * can shut it down; -1 forgets it. */
static void set_connecting_fd(struct remote *r, int fd)
{
	pthread_mutex_lock(&r->cancel_lock);
	if (r->connecting_fd >= 0)
		close(r->connecting_fd);
	r->connecting_fd = fd >= 0 ? fcntl(fd, F_DUPFD_CLOEXEC, 0) : -1;
	if (fd >= 0 && r->cancel)
		shutdown(fd, SHUT_RDWR);
	pthread_mutex_unlock(&r->cancel_lock);
}

/* --- connecting ----------------------------------------------------------- */

/* A TCP connection to the host, made here rather than by libssh so that a
 * cancel can stop it and a failure says exactly why. */
static int tcp_connect(struct remote *r, int *out, char **err)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
	struct addrinfo *ai = NULL;
	char port[16], ebuf[128];
	int64_t deadline = remote_now_ms() + (int64_t)r->ctx->connect_timeout * 1000;
	int fd = -1, last = ETIMEDOUT, rc = -1, yes = 1, g;

	xsnprintf(port, sizeof port, "%u", r->port);
	g = getaddrinfo(r->address, port, &hints, &ai);
	if (g != 0) {
		r->cause = REMOTE_CAUSE_UNREACHABLE;
		remote_set_err(err, _("%s: cannot connect: %s"), r->label,
			       g == EAI_SYSTEM ? remote_strerror(errno, ebuf, sizeof ebuf)
					       : gai_strerror(g));
		goto out;
	}
	for (struct addrinfo *a = ai; a != NULL && rc < 0; a = a->ai_next) {
		struct pollfd pfd[2];
		socklen_t sl = sizeof last;

		fd = socket(a->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			last = errno;
			continue;
		}
		if (connect(fd, a->ai_addr, a->ai_addrlen) == 0) {
			rc = 0;
			break;
		}
		last = errno;
		while (last == EINPROGRESS) {
			int64_t left = deadline - remote_now_ms();

			if (remote_cancelled(r)) {
				close(fd);
				remote_set_cancelled(r, err);
				rc = -2;
				goto out;
			}
			if (left <= 0) {
				last = ETIMEDOUT;
				break;
			}
			pfd[0] = (struct pollfd){ .fd = fd, .events = POLLOUT };
			pfd[1] = (struct pollfd){ .fd = r->cancel_pipe[0], .events = POLLIN };
			if (poll(pfd, 2, left > WAIT_TICK_MS ? WAIT_TICK_MS : (int)left) < 0 &&
			    errno != EINTR) {
				last = errno;
				break;
			}
			if (pfd[1].revents & POLLIN)
				drain_cancel_pipe(r);
			if (pfd[0].revents != 0 &&
			    getsockopt(fd, SOL_SOCKET, SO_ERROR, &last, &sl) == 0 && last == 0)
				rc = 0;
		}
		if (rc < 0) {
			close(fd);
			fd = -1;
		}
	}
	if (rc < 0) {
		r->cause = REMOTE_CAUSE_UNREACHABLE;
		remote_set_err(err, _("%s: cannot connect: %s"), r->label,
			       remote_strerror(last, ebuf, sizeof ebuf));
		goto out;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
	*out = fd;
out:
	if (ai != NULL)
		freeaddrinfo(ai);
	return rc < 0 ? -1 : 0;
}

/* A failure while setting up the session: a cancel says so, whatever libssh
 * made of the socket it shut down. */
static int connect_failed(struct remote *r, char **err)
{
	if (remote_cancelled(r))
		remote_set_cancelled(r, err);
	set_connecting_fd(r, -1);
	disconnect(r);
	return -1;
}

int remote_connect(struct remote *r, char **err)
{
	long timeout = (long)r->ctx->connect_timeout;
	int yes = 1, no = 0, port = (int)r->port, fd = -1;
	char *kh = NULL;

	if (remote_cancelled(r)) {
		remote_set_cancelled(r, err);
		return -1;
	}
	r->cause = REMOTE_CAUSE_NONE;
	if (r->connected && !r->broken)
		return 0;
	disconnect(r);
	r->broken = false;
	r->s = ssh_new();
	if (r->s == NULL)
		xalloc_die("ssh_new");
	kh = knownhosts_path(r->ctx);
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
	if (r->ctx->bastion != NULL && !r->is_bastion) {
		if (bastion_open(r->ctx->bastion, r, r->address, r->port, &fd, err) < 0) {
			if (remote_cancelled(r))
				remote_set_cancelled(r, err);
			else
				r->cause = REMOTE_CAUSE_UNREACHABLE;
			return connect_failed(r, err);
		}
	} else if (tcp_connect(r, &fd, err) < 0) {
		return connect_failed(r, err);
	}
	/* libssh owns fd from here and closes it with the session. */
	ssh_options_set(r->s, SSH_OPTIONS_FD, &fd);
	set_connecting_fd(r, fd);
	ssh_set_counters(r->s, &r->rx, NULL);
	if (ssh_connect(r->s) != SSH_OK) {
		r->cause = REMOTE_CAUSE_UNREACHABLE;
		remote_set_err(err, _("%s: cannot connect: %s"), r->label, ssh_get_error(r->s));
		return connect_failed(r, err);
	}
	r->connected = true;
	if (knownhosts_verify(r, err) < 0 || sshauth_authenticate(r, err) < 0)
		return connect_failed(r, err);
	set_connecting_fd(r, -1);
	/* From here on a blocking call waits one keepalive interval at most;
	 * the wait loops decide when silence means a lost host. */
	timeout = (long)r->ctx->keepalive_interval;
	ssh_options_set(r->s, SSH_OPTIONS_TIMEOUT, &timeout);
	r->ev = ssh_event_new();
	if (r->ev == NULL)
		xalloc_die("ssh_event_new");
	ssh_event_add_session(r->ev, r->s);
	if (ssh_event_add_fd(r->ev, r->cancel_pipe[0], POLLIN, on_cancel_pipe, r) != SSH_OK)
		xalloc_die("ssh_event_add_fd");
	log_debug(LOGS_SSH, "%s: connected, cipher %s", r->label, ssh_get_cipher_out(r->s));
	if (r->want_sudo && sshauth_check_sudo(r, err) < 0) {
		disconnect(r);
		return -1;
	}
	r->cause = REMOTE_CAUSE_NONE;
	return 0;
}

/* --- waiting: keepalive and cancel ---------------------------------------- */

void remote_alive_reset(struct remote *r)
{
	r->seen_rx = r->rx.in_bytes;
	r->last_rx_ms = remote_now_ms();
	r->probes = 0;
}

bool remote_alive_check(struct remote *r)
{
	int64_t interval = (int64_t)r->ctx->keepalive_interval * 1000;

	if (!ssh_is_connected(r->s))
		return false;
	if (r->rx.in_bytes != r->seen_rx) {
		remote_alive_reset(r);
		return true;
	}
	if (remote_now_ms() - r->last_rx_ms < interval * (r->probes + 1))
		return true;
	if (r->probes >= r->ctx->keepalive_count)
		return false;
	r->probes++;
	log_debug(LOGS_SSH, "%s: silent, keepalive probe %u", r->label, r->probes);
	/* Blocks one interval at most (the session timeout) for the answer. */
	ssh_send_keepalive(r->s);
	if (r->rx.in_bytes != r->seen_rx)
		remote_alive_reset(r);
	return ssh_is_connected(r->s);
}

void remote_set_lost(struct remote *r, char **err)
{
	char *why = NULL;
	struct bastion_session *b = r->is_bastion ? NULL : r->ctx->bastion;

	if (ssh_is_connected(r->s))
		why = xasprintf(_("no answer for %lld s (%u keepalive probes)"),
				(long long)((remote_now_ms() - r->last_rx_ms) / 1000), r->probes);
	else
		why = xasprintf(_("closed: %s"), ssh_get_error(r->s));
	/* L10N: host, why ("no answer for 7 s..."), "; through " or nothing,
	 * the bastion's state or nothing. */
	remote_set_err(err, _("%s: connection lost: %s%s%s"), r->label, why,
		       b != NULL ? _("; through ") : "", b != NULL ? bastion_state(b) : "");
	free(why);
	r->broken = true;
	r->cause = REMOTE_CAUSE_LOST;
}

enum remote_wait remote_wait(struct remote *r, int timeout_ms, bool ignore_cancel)
{
	/* Wake when the next keepalive probe is due, so that a silent host is
	 * declared lost keepalive_count + 1 intervals after it went quiet. */
	int64_t due = r->last_rx_ms + (int64_t)r->ctx->keepalive_interval * 1000 * (r->probes + 1) -
		      remote_now_ms();

	if (due < timeout_ms)
		timeout_ms = due > 0 ? (int)due : 0;
	if (!ignore_cancel && remote_cancelled(r))
		return REMOTE_WAIT_CANCELLED;
	/* A signal that interrupts the poll is no reason to give up the host. */
	if ((ssh_event_dopoll(r->ev, timeout_ms) == SSH_ERROR && errno != EINTR) ||
	    !ssh_is_connected(r->s))
		return REMOTE_WAIT_LOST;
	if (!ignore_cancel && remote_cancelled(r))
		return REMOTE_WAIT_CANCELLED;
	return remote_alive_check(r) ? REMOTE_WAIT_OK : REMOTE_WAIT_LOST;
}

int remote_write_all(struct remote *r, ssh_channel ch, const void *buf, size_t len,
		     bool ignore_cancel)
{
	const char *p = buf;

	remote_alive_reset(r);
	while (len > 0) {
		uint32_t window = ssh_channel_window_size(ch);
		uint32_t n = len < window ? (uint32_t)len : window;
		int w;

		if (!ignore_cancel && remote_cancelled(r))
			return -2;
		if (ssh_channel_is_closed(ch))
			return ssh_is_connected(r->s) ? 1 : -1;
		if (n == 0) {
			/* Wait for the peer to open the window, as libssh would,
			 * but awake to a cancel and a silent host. */
			switch (remote_wait(r, WAIT_TICK_MS, ignore_cancel)) {
			case REMOTE_WAIT_CANCELLED:
				return -2;
			case REMOTE_WAIT_LOST:
				return -1;
			case REMOTE_WAIT_OK:
			default:
				continue;
			}
		}
		w = ssh_channel_write(ch, p, n);
		if (w == SSH_ERROR)
			return ssh_is_connected(r->s) ? 1 : -1;
		if (w > 0) {
			p += w;
			len -= (size_t)w;
			remote_alive_reset(r);
		} else if (!remote_alive_check(r)) {
			return -1;
		}
	}
	return 0;
}

/* --- commands ------------------------------------------------------------- */

struct run {
	struct remote *r;
	remote_line_fn on_line;
	void *data;
	char *buf[2];
	size_t len[2];
	bool want_session; /* a wrapped command: its first stderr line is its session */
	long session;      /* its session on the host, or 0 while not known */
	const char *secret_prompt; /* sudo's prompt, watched for until the session */
	unsigned prompts;          /* how many times sudo asked */
	bool got_status;
	int status;
	bool got_signal;
	char signal[16];
	bool eof;
	bool closed;
};

long remote_parse_session(const char *text, size_t len)
{
	size_t tag = sizeof SESSION_TAG - 1;
	long v = 0;

	if (len <= tag || len > tag + 10 || memcmp(text, SESSION_TAG, tag) != 0)
		return -1;
	for (size_t i = tag; i < len; i++) {
		if (text[i] < '0' || text[i] > '9')
			return -1;
		v = v * 10 + (text[i] - '0');
	}
	/* 0 and 1 are never a command's session: init's, or no session. */
	return v > 1 ? v : -1;
}

static void emit(struct run *run, int stream, const char *text, size_t len)
{
	struct remote_line line = {
		.host = run->r->name,
		.stream = stream != 0 ? REMOTE_STDERR : REMOTE_STDOUT,
		.text = text,
		.len = len,
	};

	if (stream != 0 && run->want_session && run->session == 0) {
		long sid = remote_parse_session(text, len);

		if (sid > 0) {
			run->session = sid;
			return;
		}
		/* Before the command starts only sudo writes to stderr. */
		if (run->secret_prompt != NULL && len == strlen(run->secret_prompt) &&
		    memcmp(text, run->secret_prompt, len) == 0) {
			run->prompts++;
			return;
		}
	}
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

static bool run_ended(const struct run *run)
{
	return run->closed || (run->eof && (run->got_status || run->got_signal));
}

/* Log a line of the kill's output (it says which processes survived). */
static void log_kill_line(const struct remote_line *line, void *data)
{
	log_warn(LOGS_SSH, "%s: cancel: %.*s", (const char *)data, (int)line->len, line->text);
}

/* End the session of a wrapped command on the host: wait a little for it to
 * announce its session (when it was only just started), then run the kill
 * script over a second channel. Returns false when the host could not be
 * told (it is gone or silent). */
static bool kill_session(struct remote *r, ssh_channel ch, struct run *run)
{
	struct remote_exec kx = { .on_line = log_kill_line, .data = r->label,
				  .ignore_cancel = true };
	struct remote_result kres;
	char *script = NULL, *quoted = NULL, *wrapped = NULL, *kerr = NULL;
	int64_t until = remote_now_ms() + ANNOUNCE_WAIT_MS;
	bool ok = false;

	while (run->session == 0 && !run_ended(run) && remote_now_ms() < until) {
		if (remote_wait(r, 100, true) != REMOTE_WAIT_OK)
			return false;
		if (ssh_channel_is_closed(ch))
			break;
	}
	if (run->session == 0) {
		/* It ended on its own, or never said where it runs: nothing we
		 * can end beyond closing its channel. */
		log_debug(LOGS_SSH, "%s: cancel: no session to end", r->label);
		return true;
	}
	script = remote_kill_script(run->session);
	kx.secret_line = sshauth_sudo_line(r);
	kx.secret_prompt = sshauth_sudo_prompt(r);
	if (kx.secret_line != NULL) {
		/* Wrapped, so that the password waits for sudo's prompt. */
		wrapped = remote_wrap_command(script, sshauth_sudo_prefix(r), 0);
	} else {
		quoted = shquote_arg(script);
		wrapped = xasprintf("%ssh -c %s", sshauth_sudo_prefix(r), quoted);
	}
	kx.command = wrapped;
	kx.deadline_ms = remote_now_ms() + KILL_WAIT_MS;
	log_debug(LOGS_SSH, "%s: cancel: ending session %ld", r->label, run->session);
	if (remote_exec(r, &kx, &kres, &kerr) == 0)
		ok = kres.status == REMOTE_EXITED;
	else
		log_warn(LOGS_SSH, "%s: cancel: %s", r->label, kerr);
	free(kerr);
	free(script);
	free(quoted);
	free(wrapped);
	return ok;
}

/* With sudo's password: wait until the command has started (announced its
 * session), answering sudo's own prompt with the password, once. Nothing
 * else is written before: a command sudo runs without asking never reads
 * the password, whatever it reads. Returns 0 when the command started, 1
 * when it ended or sudo asked again (the password was refused: its input
 * is closed), -1 when the host was lost, -2 when cancelled, -4 when sudo
 * neither asked nor started the command in time (*err set). */
static int await_start(struct remote *r, ssh_channel ch, const struct remote_exec *x,
		       struct run *run, char **err)
{
	int64_t until = remote_now_ms() + SUDO_WAIT_MS;
	bool sent = false;

	remote_alive_reset(r);
	while (run->session == 0) {
		int64_t now = remote_now_ms();
		int w;

		if (run->prompts > 1)
			return 1; /* the caller's EOF ends sudo's second question */
		if (run->prompts == 1 && !sent) {
			w = remote_write_all(r, ch, x->secret_line, strlen(x->secret_line),
					     x->ignore_cancel);
			if (w != 0)
				return w;
			sent = true;
			until = now + SUDO_WAIT_MS;
		}
		if (run_ended(run) || ssh_channel_is_closed(ch) ||
		    (x->deadline_ms > 0 && now >= x->deadline_ms))
			return 1;
		if (now >= until) {
			/* L10N: host, seconds. */
			remote_set_err(err, _("%s: sudo neither asked for the password nor ran the "
					      "command within %d s"),
				       r->label, SUDO_WAIT_MS / 1000);
			return -4;
		}
		switch (remote_wait(r, WAIT_TICK_MS, x->ignore_cancel)) {
		case REMOTE_WAIT_LOST:
			return -1;
		case REMOTE_WAIT_CANCELLED:
			return -2;
		case REMOTE_WAIT_OK:
		default:
			break;
		}
	}
	return 0;
}

/* Feed the command's standard input. Returns 0, 1 when it stopped reading,
 * -1 when the host was lost, -2 when cancelled, -3 on a local error. */
static int feed_input(struct remote *r, ssh_channel ch, const struct remote_exec *x, char **err)
{
	int w = 0;

	while (w == 0 && x->feed != NULL) {
		const void *piece = NULL;
		ssize_t n = x->feed(x->feed_data, &piece, err);

		if (n < 0)
			return -3;
		if (n == 0)
			break;
		w = remote_write_all(r, ch, piece, (size_t)n, x->ignore_cancel);
	}
	return w;
}

int remote_exec(struct remote *r, const struct remote_exec *x, struct remote_result *res,
		char **err)
{
	struct run run = { .r = r, .on_line = x->on_line, .data = x->data,
			   .want_session = x->killable || x->secret_prompt != NULL,
			   .secret_prompt = x->secret_prompt };
	struct ssh_channel_callbacks_struct cb = {
		.userdata = &run,
		.channel_data_function = on_data,
		.channel_eof_function = on_eof,
		.channel_close_function = on_close,
		.channel_exit_status_function = on_exit_status,
		.channel_exit_signal_function = on_exit_signal,
	};
	ssh_channel ch = NULL;
	bool lost = false, timed_out = false, cancelled = false, stopped_reading = false;
	int rc = -1, w;

	memset(res, 0, sizeof *res);
	res->status = REMOTE_FAILED;
	r->cause = REMOTE_CAUSE_NONE;
	if (!x->ignore_cancel && remote_cancelled(r)) {
		res->status = REMOTE_CANCELLED;
		remote_set_cancelled(r, err);
		return 0;
	}
	ssh_callbacks_init(&cb);
	run.buf[0] = xmalloc(REMOTE_MAX_LINE);
	run.buf[1] = xmalloc(REMOTE_MAX_LINE);
	ch = ssh_channel_new(r->s);
	if (ch == NULL || ssh_channel_open_session(ch) != SSH_OK) {
		lost = !ssh_is_connected(r->s);
		r->cause = REMOTE_CAUSE_REFUSED;
		remote_set_err(err, _("%s: cannot open a channel: %s"), r->label,
			       ssh_get_error(r->s));
		goto out;
	}
	ssh_set_channel_callbacks(ch, &cb);
	if (ssh_channel_request_exec(ch, x->command) != SSH_OK) {
		lost = !ssh_is_connected(r->s);
		r->cause = REMOTE_CAUSE_REFUSED;
		remote_set_err(err, _("%s: cannot start the command: %s"), r->label,
			       ssh_get_error(r->s));
		goto out;
	}
	/* Standard input: sudo's password when it asks, then the data. */
	w = x->secret_line != NULL ? await_start(r, ch, x, &run, err) : 0;
	if (w == -4) {
		r->cause = REMOTE_CAUSE_REFUSED;
		goto out;
	}
	if (w == 0)
		w = feed_input(r, ch, x, err);
	if (w == -3) {
		/* A local read error: end the command, not with an EOF that would
		 * make a partial input look whole. */
		r->cause = REMOTE_CAUSE_LOCAL;
		if (x->killable)
			kill_session(r, ch, &run);
		goto out;
	}
	if (w == -1) {
		lost = true;
		goto wait_done;
	}
	cancelled = w == -2;
	stopped_reading = w > 0;
	if (!cancelled && !ssh_channel_is_closed(ch))
		ssh_channel_send_eof(ch);
	remote_alive_reset(r);
	while (!cancelled && !run_ended(&run)) {
		int64_t now = remote_now_ms();
		int tick = WAIT_TICK_MS;

		if (x->deadline_ms > 0 && now >= x->deadline_ms) {
			timed_out = true;
			break;
		}
		if (x->deadline_ms > 0 && x->deadline_ms - now < tick)
			tick = (int)(x->deadline_ms - now);
		switch (remote_wait(r, tick, x->ignore_cancel)) {
		case REMOTE_WAIT_LOST:
			lost = true;
			break;
		case REMOTE_WAIT_CANCELLED:
			/* A command that has just ended keeps its result. */
			cancelled = !run_ended(&run);
			break;
		case REMOTE_WAIT_OK:
		default:
			break;
		}
		if (lost || ssh_channel_is_closed(ch))
			break;
	}
	if ((cancelled || timed_out) && x->killable && !kill_session(r, ch, &run)) {
		/* The host could not be told: its session is of no further use. */
		log_warn(LOGS_SSH, "%s: the command may still run on the host", r->label);
		r->broken = true;
	}
wait_done:
	/* Whatever is left without a final newline is a line too. */
	for (int st = 0; st < 2; st++) {
		if (run.len[st] > 0)
			emit(&run, st, run.buf[st], run.len[st]);
	}
	if (lost) {
		remote_set_lost(r, err);
		goto out;
	}
	if (cancelled) {
		res->status = REMOTE_CANCELLED;
		remote_set_cancelled(r, err);
		rc = 0;
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
		r->cause = REMOTE_CAUSE_LOST;
		remote_set_err(err, _("%s: the command ended without an exit status%s"), r->label,
			       stopped_reading ? _(" (it stopped reading its input)") : "");
	}
out:
	if (lost) {
		r->broken = true;
		r->cause = REMOTE_CAUSE_LOST;
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

char *remote_wrap_command(const char *command, const char *sudo, unsigned timeout)
{
	/* The session id is field 6 of /proc/$$/stat, counted after the
	 * command name in parentheses (which may hold spaces). Read by the
	 * shell itself, so nothing here needs procps. */
	static const char prelude[] =
		"read -r s </proc/$$/stat && s=${s##*\") \"} && s=${s#* } && s=${s#* } && "
		"s=${s#* } && printf '\\001k8sw-session %s\\n' \"${s%% *}\" >&2; exec \"$@\"";
	char *quoted = shquote_arg(command), *pre = shquote_arg(prelude), *t = NULL, *out = NULL;

	if (timeout > 0)
		t = xasprintf("timeout -k %u %u ", REMOTE_KILL_AFTER, timeout);
	out = xasprintf("%s%ssh -c %s sh sh -c %s", sudo, t != NULL ? t : "", pre, quoted);
	free(t);
	free(pre);
	free(quoted);
	return out;
}

char *remote_kill_script(long sid)
{
	/* Every process of the session but zombies (already dead, waiting for
	 * their parent), from /proc: fields after the command name, which is in
	 * parentheses and may hold ") " itself. One cat and one awk per look:
	 * the shell's read builtin takes a system call per byte. TERM, up to
	 * 0.8 s for them to go, then KILL until none is left. */
	return xasprintf(
		"s=%ld; list() { cat /proc/[0-9]*/stat 2>/dev/null | awk -v s=\"$s\" "
		"'{ r = $0; while ((i = index(r, \") \")) > 0) r = substr(r, i + 2); "
		"split(r, f, \" \"); if (f[4] == s && f[1] != \"Z\") printf \"%%s \", $1 }'; }; "
		"p=$(list); [ -n \"$p\" ] || exit 0; kill -TERM $p 2>/dev/null; "
		"kill -CONT $p 2>/dev/null; i=0; while [ $i -lt 8 ]; do sleep 0.1; "
		"p=$(list); [ -n \"$p\" ] || exit 0; i=$((i + 1)); done; "
		"i=0; while [ -n \"$p\" ] && [ $i -lt 10 ]; do kill -KILL $p 2>/dev/null; "
		"sleep 0.05; p=$(list); i=$((i + 1)); done; "
		"[ -z \"$p\" ] || { echo \"still running: $p\" >&2; exit 1; }",
		sid);
}

int remote_run(struct remote *r, const struct remote_cmd *cmd, struct remote_result *res,
	       char **err)
{
	struct mem_feed m = { cmd->input, cmd->input_len };
	struct remote_exec x = {
		.secret_line = NULL,
		.feed = cmd->input != NULL ? feed_mem : NULL,
		.feed_data = &m,
		.on_line = cmd->on_line,
		.data = cmd->data,
		.killable = true,
	};
	char *wrapped = NULL;
	int rc;

	memset(res, 0, sizeof *res);
	res->status = REMOTE_FAILED;
	if (remote_cancelled(r)) {
		res->status = REMOTE_CANCELLED;
		r->cause = REMOTE_CAUSE_CANCELLED;
		return 0;
	}
	if (remote_connect(r, err) < 0) {
		if (r->cause == REMOTE_CAUSE_CANCELLED) {
			/* A result, not an error: no message to free. */
			if (err != NULL)
				xfree(err);
			res->status = REMOTE_CANCELLED;
			return 0;
		}
		if (remote_lost(r))
			res->status = REMOTE_LOST;
		return -1;
	}
	wrapped = remote_wrap_command(cmd->command, sshauth_sudo_prefix(r), cmd->timeout);
	x.command = wrapped;
	x.secret_line = sshauth_sudo_line(r);
	x.secret_prompt = sshauth_sudo_prompt(r);
	/* The host's timeout(1) ends the command; this deadline only covers a
	 * host that cannot (no timeout(1), or it hangs itself). */
	if (cmd->timeout > 0)
		x.deadline_ms = remote_now_ms() + ((int64_t)cmd->timeout + REMOTE_KILL_AFTER +
						   2 * r->ctx->keepalive_interval + 5) * 1000;
	log_debug(LOGS_SSH, "%s: run %s", r->label, cmd->command);
	rc = remote_exec(r, &x, res, err);
	if (rc == 0 && res->status == REMOTE_CANCELLED && err != NULL)
		xfree(err);
	/* timeout(1) reports 124 (TERM) or 137 (KILL) when it ended the command. */
	if (rc == 0 && cmd->timeout > 0 && res->status == REMOTE_EXITED &&
	    (res->exit_code == 124 || res->exit_code == 137))
		res->status = REMOTE_TIMEOUT;
	free(wrapped);
	return rc;
}
