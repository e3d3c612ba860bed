/* TCP connections made by a host on our behalf: a direct-tcpip channel on
 * the host's SSH session, so that health probes reach ports that listen only
 * on the host (or behind it) with nothing installed there. Reads wait in the
 * session's own loop, so keepalive and cancel apply as to commands. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "nls.h"
#include "remote_int.h"
#include "xmalloc.h"

#define TCP_TICK_MS 1000

struct remote_tcp {
	struct remote *r;
	ssh_channel ch;
	unsigned generation; /* of r's session: another one has freed ch */
	char *label; /* "host -> addr:port", for messages */
};

/* sshd's reason codes for a refused channel (RFC 4254 5.1), which libssh
 * only puts in its message: "... error (1) ...". */
static bool open_prohibited(const char *libssh_error)
{
	return strstr(libssh_error, "error (1)") != NULL;
}

int remote_tcp_open(struct remote *r, const char *addr, unsigned port, struct remote_tcp **out,
		    char **err)
{
	struct remote_tcp *t = NULL;
	int64_t deadline;
	int rc = -1, o;

	*out = NULL;
	if (remote_connect(r, err) < 0)
		return -1;
	t = xcalloc(1, sizeof *t);
	t->r = r;
	t->label = xasprintf("%s -> %s:%u", r->name, addr, port);
	t->generation = r->generation;
	t->ch = ssh_channel_new(r->s);
	if (t->ch == NULL)
		xalloc_die("ssh_channel_new");
	/* Opening waits for sshd to connect: in non-blocking mode, in our loop,
	 * so that a cancel and a silent host are seen. */
	deadline = remote_now_ms() + (int64_t)r->ctx->connect_timeout * 1000;
	ssh_set_blocking(r->s, 0);
	for (;;) {
		o = ssh_channel_open_forward(t->ch, addr, (int)port, "127.0.0.1", 0);
		if (o != SSH_AGAIN)
			break;
		if (remote_now_ms() >= deadline) {
			r->cause = REMOTE_CAUSE_UNREACHABLE;
			/* L10N: host, address, port. */
			remote_set_err(err, _("%s: no connection to %s port %u in time"), r->label,
				       addr, port);
			goto out;
		}
		switch (remote_wait(r, 100, false)) {
		case REMOTE_WAIT_CANCELLED:
			remote_set_cancelled(r, err);
			goto out;
		case REMOTE_WAIT_LOST:
			remote_set_lost(r, err);
			goto out;
		case REMOTE_WAIT_OK:
		default:
			break;
		}
	}
	if (o != SSH_OK) {
		if (!ssh_is_connected(r->s)) {
			remote_set_lost(r, err);
			goto out;
		}
		r->cause = open_prohibited(ssh_get_error(r->s)) ? REMOTE_CAUSE_REFUSED
								: REMOTE_CAUSE_UNREACHABLE;
		/* L10N: host, address, port, libssh's error. */
		remote_set_err(err, _("%s: cannot connect to %s port %u: %s"), r->label, addr, port,
			       ssh_get_error(r->s));
		goto out;
	}
	log_debug(LOGS_SSH, "%s: open", t->label);
	r->cause = REMOTE_CAUSE_NONE;
	*out = t;
	t = NULL;
	rc = 0;
out:
	ssh_set_blocking(r->s, 1);
	remote_tcp_close(&t);
	return rc;
}

/* A call that cannot go on: r is cancelled, or the stream's session is gone
 * (lost, then connected again). */
static bool stale(struct remote_tcp *t, char **err)
{
	if (remote_cancelled(t->r)) {
		remote_set_cancelled(t->r, err);
		return true;
	}
	if (t->r->s != NULL && t->generation == t->r->generation && !t->r->broken)
		return false;
	t->r->cause = REMOTE_CAUSE_LOST;
	/* L10N: the TCP connection's label (host and target). */
	remote_set_err(err, _("%s: the connection it went through is gone"), t->label);
	return true;
}

ssize_t remote_tcp_read(struct remote_tcp *t, void *buf, size_t len, int timeout_ms, char **err)
{
	struct remote *r = t->r;
	int64_t deadline = remote_now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
	uint32_t want = len > UINT32_MAX ? UINT32_MAX : (uint32_t)len;

	if (stale(t, err))
		return -1;
	r->cause = REMOTE_CAUSE_NONE;
	remote_alive_reset(r);
	for (;;) {
		int64_t left = deadline - remote_now_ms();
		int n;

		if (remote_cancelled(r)) {
			remote_set_cancelled(r, err);
			return -1;
		}
		n = ssh_channel_read_nonblocking(t->ch, buf, want, 0);
		if (n > 0)
			return n;
		if (n == SSH_ERROR) {
			if (!ssh_is_connected(r->s)) {
				remote_set_lost(r, err);
			} else {
				r->cause = REMOTE_CAUSE_LOST;
				/* L10N: the TCP connection's label, libssh's reason. */
				remote_set_err(err, _("%s: read error: %s"), t->label,
					       ssh_get_error(r->s));
			}
			return -1;
		}
		if (ssh_channel_is_eof(t->ch) || ssh_channel_is_closed(t->ch))
			return 0;
		if (left <= 0) {
			r->cause = REMOTE_CAUSE_TIMEOUT;
			/* L10N: "host -> address:port", milliseconds. */
			remote_set_err(err, _("%s: nothing received in %d ms"), t->label,
				       timeout_ms);
			return -1;
		}
		switch (remote_wait(r, left < TCP_TICK_MS ? (int)left : TCP_TICK_MS, false)) {
		case REMOTE_WAIT_CANCELLED:
			remote_set_cancelled(r, err);
			return -1;
		case REMOTE_WAIT_LOST:
			remote_set_lost(r, err);
			return -1;
		case REMOTE_WAIT_OK:
		default:
			break;
		}
	}
}

int remote_tcp_write(struct remote_tcp *t, const void *buf, size_t len, char **err)
{
	struct remote *r = t->r;

	if (stale(t, err))
		return -1;
	r->cause = REMOTE_CAUSE_NONE;
	switch (remote_write_all(r, t->ch, buf, len, false)) {
	case 0:
		return 0;
	case -2:
		remote_set_cancelled(r, err);
		return -1;
	case -1:
		remote_set_lost(r, err);
		return -1;
	default:
		r->cause = REMOTE_CAUSE_LOST;
		/* L10N: the TCP connection's label (host and target). */
		remote_set_err(err, _("%s: closed by the peer"), t->label);
		return -1;
	}
}

void remote_tcp_close(struct remote_tcp **pt)
{
	struct remote_tcp *t = *pt;

	if (t == NULL)
		return;
	if (t->ch != NULL && t->r->s != NULL && t->generation == t->r->generation) {
		if (!ssh_channel_is_closed(t->ch) && ssh_is_connected(t->r->s))
			ssh_channel_close(t->ch);
		ssh_channel_free(t->ch);
	}
	free(t->label);
	xfree(pt);
}
