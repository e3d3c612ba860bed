/* The bastion (jump host): one SSH session shared by every target, driven by
 * one pump thread (libssh sessions are not thread-safe) that opens a
 * direct-tcpip channel per target and moves bytes between each channel and a
 * socketpair whose other end is the target's own libssh session. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <libssh/libssh.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "grammar.h"
#include "log.h"
#include "nls.h"
#include "remote_int.h"
#include "xmalloc.h"

#define PUMP_TICK_MS 1000
#define ASK_TICK_MS 100 /* how often a target waiting for its tunnel looks for a cancel */

/* A tunnel: one direct-tcpip channel on the bastion session, carried to the
 * target's libssh session through a socketpair. */
struct bastion_tunnel {
	ssh_channel ch;
	int fd;      /* our end; the target's session owns the other */
	char *pend;  /* channel data not yet written to fd */
	size_t pend_len;
	size_t pend_off;
	bool fd_eof; /* the target closed its end */
	bool ch_eof; /* the channel will send nothing more */
	struct bastion_tunnel *next;
};

/* A target's request for a tunnel. The asker frees it, unless it went away
 * (a cancel) while the pump thread was opening the channel: then the pump
 * thread does. */
struct bastion_request {
	char *host;
	unsigned port;
	int fd;
	char *err;
	bool serving;   /* the pump thread works on it, without the lock */
	bool done;
	bool abandoned;
	struct bastion_request *next;
};

struct bastion_session {
	struct remote *r;
	pthread_mutex_t lock; /* everything below */
	pthread_cond_t cond;
	pthread_t thread;
	bool started;
	bool stop;
	char *dead; /* why the bastion is gone; NULL while it works */
	int wake[2];
	struct bastion_request *reqs;
	struct bastion_tunnel *tunnels; /* the pump thread's alone */
};

struct bastion_session *bastion_new(struct remote_ctx *ctx, const char *spec, const char *user)
{
	struct bastion_session *b = xcalloc(1, sizeof *b);
	struct bastion parts;
	struct remote_target t = { 0 };

	if (grammar_parse_bastion(spec, &parts) < 0) {
		/* Plans are validated before this; a bad value still fails safely. */
		b->dead = xasprintf(_("bastion %s: malformed (use [user@]host[:port])"), spec);
		parts.host[0] = '\0';
	}
	t.name = _("bastion");
	t.address = parts.host[0] != '\0' ? parts.host : spec;
	t.port = parts.port;
	t.user = parts.user[0] != '\0' ? parts.user : user;
	b->r = remote_new(ctx, &t);
	b->r->is_bastion = true;
	pthread_mutex_init(&b->lock, NULL);
	pthread_cond_init(&b->cond, NULL);
	b->wake[0] = b->wake[1] = -1;
	return b;
}

static void tunnel_close(struct bastion_tunnel *t)
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

static void request_free(struct bastion_request *q)
{
	if (q->fd >= 0)
		close(q->fd);
	free(q->host);
	free(q->err);
	free(q);
}

static void request_unlink(struct bastion_session *b, struct bastion_request *q)
{
	for (struct bastion_request **p = &b->reqs; *p != NULL; p = &(*p)->next) {
		if (*p == q) {
			*p = q->next;
			break;
		}
	}
}

/* Open one tunnel (in the pump thread, without the lock). */
static void serve_request(struct bastion_session *b, struct bastion_request *q)
{
	struct bastion_tunnel *t = xcalloc(1, sizeof *t);
	char ebuf[128];
	int sv[2];

	t->fd = -1;
	t->ch = ssh_channel_new(b->r->s);
	if (t->ch == NULL ||
	    ssh_channel_open_forward(t->ch, q->host, (int)q->port, "127.0.0.1", 0) != SSH_OK) {
		/* L10N: the bastion, target address, port, libssh's error. */
		q->err = xasprintf(_("%s cannot reach %s port %u: %s"), b->r->label, q->host,
				   q->port, ssh_get_error(b->r->s));
		tunnel_close(t);
	} else if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		q->err = xasprintf(_("socketpair: %s"), remote_strerror(errno, ebuf, sizeof ebuf));
		tunnel_close(t);
	} else {
		t->fd = sv[0];
		fcntl(t->fd, F_SETFL, fcntl(t->fd, F_GETFL) | O_NONBLOCK);
		q->fd = sv[1];
		t->next = b->tunnels;
		b->tunnels = t;
	}
}

/* Open the channels asked for (in this, the pump thread). */
static void serve_requests(struct bastion_session *b)
{
	struct bastion_request *q;

	pthread_mutex_lock(&b->lock);
	q = b->reqs;
	while (q != NULL) {
		if (q->done || q->serving) {
			q = q->next;
			continue;
		}
		q->serving = true;
		pthread_mutex_unlock(&b->lock);
		serve_request(b, q);
		pthread_mutex_lock(&b->lock);
		q->serving = false;
		q->done = true;
		if (q->abandoned) {
			/* Its asker was cancelled: the tunnel's socket goes too,
			 * which ends the tunnel. Start over: q->next is q's. */
			request_unlink(b, q);
			request_free(q);
			q = b->reqs;
			continue;
		}
		pthread_cond_broadcast(&b->cond);
		q = q->next;
	}
	pthread_mutex_unlock(&b->lock);
}

/* Move what can be moved without blocking on a target; returns true when
 * something moved. Removes tunnels that are finished. */
static bool pump(struct bastion_session *b, struct pollfd *pfds, size_t npfds)
{
	char buf[32768];
	bool moved = false;

	for (struct bastion_tunnel **tp = &b->tunnels; *tp != NULL;) {
		struct bastion_tunnel *t = *tp;
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
			ssize_t w = send(t->fd, t->pend + t->pend_off, t->pend_len - t->pend_off,
					 MSG_NOSIGNAL); /* a closed target is no SIGPIPE */

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
				if (remote_write_all(b->r, t->ch, buf, (size_t)n, true) != 0)
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

static void *pump_thread(void *arg)
{
	struct bastion_session *b = arg;
	struct pollfd *pfds = NULL;
	size_t cap = 0;

	remote_alive_reset(b->r);
	for (;;) {
		size_t n = 0;
		bool stop;
		char drain[64];

		pthread_mutex_lock(&b->lock);
		stop = b->stop;
		pthread_mutex_unlock(&b->lock);
		if (stop)
			break;
		serve_requests(b);
		n = 2;
		for (struct bastion_tunnel *t = b->tunnels; t != NULL; t = t->next)
			n++;
		if (n > cap) {
			cap = n * 2;
			pfds = xreallocarray(pfds, cap, sizeof *pfds);
		}
		pfds[0] = (struct pollfd){ .fd = ssh_get_fd(b->r->s), .events = POLLIN };
		pfds[1] = (struct pollfd){ .fd = b->wake[0], .events = POLLIN };
		n = 2;
		for (struct bastion_tunnel *t = b->tunnels; t != NULL; t = t->next) {
			short ev = 0;

			if (!t->fd_eof)
				ev |= POLLIN;
			if (t->pend_off < t->pend_len)
				ev |= POLLOUT;
			pfds[n++] = (struct pollfd){ .fd = t->fd, .events = ev };
		}
		if (poll(pfds, n, PUMP_TICK_MS) < 0 && errno != EINTR)
			break;
		if (pfds[1].revents & POLLIN) {
			while (read(b->wake[0], drain, sizeof drain) > 0)
				;
		}
		/* Let libssh read what came from the bastion into the channels. */
		if (pfds[0].revents & (POLLIN | POLLHUP | POLLERR))
			ssh_event_dopoll(b->r->ev, 0);
		while (pump(b, pfds, n)) {
			for (size_t i = 0; i < n; i++)
				pfds[i].revents = 0; /* only poll's answers count as readable */
		}
		if (!remote_alive_check(b->r)) {
			pthread_mutex_lock(&b->lock);
			b->dead = xasprintf(_("%s: connection lost"), b->r->label);
			pthread_mutex_unlock(&b->lock);
			b->r->broken = true;
			break;
		}
	}
	/* Gone or stopping: every target's connection ends with it. */
	while (b->tunnels != NULL) {
		struct bastion_tunnel *t = b->tunnels;

		b->tunnels = t->next;
		tunnel_close(t);
	}
	pthread_mutex_lock(&b->lock);
	if (b->dead == NULL)
		b->dead = xasprintf(_("%s: closed"), b->r->label);
	pthread_cond_broadcast(&b->cond);
	pthread_mutex_unlock(&b->lock);
	free(pfds);
	return NULL;
}

/* Wake the pump thread (from another thread). */
static void wake_pump(struct bastion_session *b)
{
	if (write(b->wake[1], "x", 1) < 0 && errno != EAGAIN)
		log_warn(LOGS_SSH, "bastion: cannot wake its thread");
}

int bastion_open(struct bastion_session *b, struct remote *r, const char *host, unsigned port,
		 int *fd, char **err)
{
	struct bastion_request *q = NULL;
	int rc = -1;

	pthread_mutex_lock(&b->lock);
	/* The first target connects the bastion (others wait on the lock). */
	if (!b->started && b->dead == NULL) {
		char *berr = NULL;

		if (remote_connect(b->r, &berr) < 0) {
			b->dead = xstrdup(berr);
			free(berr);
		} else if (pipe2(b->wake, O_CLOEXEC | O_NONBLOCK) < 0 ||
			   pthread_create(&b->thread, NULL, pump_thread, b) != 0) {
			b->dead = xasprintf(_("%s: cannot start its thread"), b->r->label);
		} else {
			b->started = true;
		}
	}
	if (b->dead != NULL) {
		remote_set_err(err, "%s", b->dead);
		goto out;
	}
	q = xcalloc(1, sizeof *q);
	q->host = xstrdup(host);
	q->port = port;
	q->fd = -1;
	q->next = b->reqs;
	b->reqs = q;
	wake_pump(b);
	while (!q->done && b->dead == NULL) {
		struct timespec until;

		if (remote_cancelled(r)) {
			remote_set_cancelled(r, err);
			if (q->serving) {
				q->abandoned = true;
			} else {
				request_unlink(b, q);
				request_free(q);
			}
			q = NULL;
			goto out;
		}
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += ASK_TICK_MS * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&b->cond, &b->lock, &until);
	}
	request_unlink(b, q);
	if (q->done && q->err == NULL) {
		*fd = q->fd;
		q->fd = -1;
		rc = 0;
	} else {
		remote_set_err(err, "%s", q->err != NULL ? q->err : b->dead);
	}
	request_free(q);
out:
	pthread_mutex_unlock(&b->lock);
	return rc;
}

const char *bastion_state(struct bastion_session *b)
{
	const char *s;

	pthread_mutex_lock(&b->lock);
	s = b->dead != NULL ? b->dead : b->r->label;
	pthread_mutex_unlock(&b->lock);
	return s;
}

void bastion_free(struct bastion_session **pb)
{
	struct bastion_session *b = *pb;

	if (b == NULL)
		return;
	if (b->started) {
		pthread_mutex_lock(&b->lock);
		b->stop = true;
		pthread_mutex_unlock(&b->lock);
		wake_pump(b);
		pthread_join(b->thread, NULL);
	}
	if (b->wake[0] >= 0)
		close(b->wake[0]);
	if (b->wake[1] >= 0)
		close(b->wake[1]);
	remote_free(&b->r);
	pthread_mutex_destroy(&b->lock);
	pthread_cond_destroy(&b->cond);
	free(b->dead);
	xfree(pb);
}
