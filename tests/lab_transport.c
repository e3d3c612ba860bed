/* Driver for tests/lab-transport.sh: the transport's calls that the engine
 * uses, one scenario per run against a lab host, printing what happened as
 * "key value" lines for the shell test to check (the shell test checks the
 * host itself with lab.sh run).
 *
 * Usage: lab_transport [-u USER] [-s] [-P] [-k SECONDS] [-c COUNT] [-b BASTION]
 *                      ADDRESS PORT KEY KNOWN_HOSTS SCENARIO ARGS...
 *   -s sudo without a password; -P sudo with the password in $LAB_PASSWORD
 *   run COMMAND                 run it; "status S exit N cause C ms T"
 *   upload-mem DEST MODE SIZE   SIZE bytes from memory, twice; "sha256 H",
 *                               "first sent|skipped", "second sent|skipped"
 *   cancel-run COMMAND          COMMAND prints "started" first; another thread
 *                               cancels 0.3 s later; "cancelled_ms T", a call
 *                               while cancelled, then after clearing
 *   cancel-upload DEST SIZE     cancel from the progress callback at 1/4
 *   probe ADDR PORT NAME CA CERT|- KEY|- PATH
 *                               remote_tcp_open + probe_http; "status N",
 *                               "body B" or "error E"
 *   tcp ADDR PORT               remote_tcp_open only; "cause C"
 *   cancel-tcp ADDR PORT        a read of 20 s that another thread cancels
 *   dropped COMMAND             run COMMAND (it drops the connection once it
 *                               has returned), wait 2 s idle, run "true"
 *                               (the run that finds it gone) and "echo again"
 *   cancel-connect              connect (to a host that does not answer) and
 *                               cancel 0.3 s later; "rc R cause C
 *                               cancelled_ms T"
 */
#include "config.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "probe.h"
#include "remote.h"
#include "xmalloc.h"

static const char *cause_names[] = { "none", "refused", "unreachable", "lost",
				     "cancelled", "local", "timeout" };
static const char *status_names[] = { "exited", "signalled", "timeout", "lost",
				      "failed", "cancelled" };

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Cancels r from a thread of its own when told to (after delay_ms). */
struct canceller {
	struct remote *r;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool go;
	long delay_ms;
	long at_ms; /* when remote_cancel() was called */
	pthread_t thread;
};

static void *cancel_thread(void *arg)
{
	struct canceller *c = arg;

	pthread_mutex_lock(&c->lock);
	while (!c->go)
		pthread_cond_wait(&c->cond, &c->lock);
	pthread_mutex_unlock(&c->lock);
	if (c->delay_ms > 0)
		usleep((useconds_t)c->delay_ms * 1000);
	c->at_ms = now_ms();
	remote_cancel(c->r);
	return NULL;
}

static void canceller_start(struct canceller *c, struct remote *r, long delay_ms)
{
	c->r = r;
	c->delay_ms = delay_ms;
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->cond, NULL);
	pthread_create(&c->thread, NULL, cancel_thread, c);
}

static void canceller_go(struct canceller *c)
{
	pthread_mutex_lock(&c->lock);
	c->go = true;
	pthread_cond_signal(&c->cond);
	pthread_mutex_unlock(&c->lock);
}

static void canceller_join(struct canceller *c)
{
	pthread_join(c->thread, NULL);
	pthread_mutex_destroy(&c->lock);
	pthread_cond_destroy(&c->cond);
}

static void print_line(const struct remote_line *line, void *data)
{
	struct canceller *c = data;

	printf("line %.*s\n", (int)line->len, line->text);
	fflush(stdout);
	if (c != NULL && line->len == 7 && memcmp(line->text, "started", 7) == 0)
		canceller_go(c);
}

/* -P: the sudo password, from the environment (never on the command line). */
static int answer_secret(const struct remote_secret_request *req, char *buf, size_t len,
			 void *data)
{
	const char *pw = getenv("LAB_PASSWORD");

	(void)data;
	if (req->kind != REMOTE_SECRET_SUDO || pw == NULL || strlen(pw) >= len)
		return -1;
	xsnprintf(buf, len, "%s", pw);
	return 0;
}

static const struct remote_prompts sudo_prompts = { .secret = answer_secret };

static int run_one(struct remote *r, const char *command, struct canceller *c)
{
	struct remote_cmd cmd = { .command = command, .on_line = print_line, .data = c };
	struct remote_result res;
	char *err = NULL;
	long t0 = now_ms();
	int rc = remote_run(r, &cmd, &res, &err);

	printf("rc %d status %s exit %d cause %s ms %ld\n", rc, status_names[res.status],
	       res.exit_code, cause_names[remote_cause(r)], now_ms() - t0);
	if (err != NULL)
		printf("error %s\n", err);
	fflush(stdout);
	free(err);
	return rc;
}

/* SIZE bytes of a fixed pattern, different at every offset. */
static unsigned char *pattern(size_t size)
{
	unsigned char *p = xmalloc(size > 0 ? size : 1);
	uint32_t x = 2463534242u;

	for (size_t i = 0; i < size; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = (unsigned char)x;
	}
	return p;
}

static int upload_mem(struct remote *r, const char *dest, unsigned mode, size_t size)
{
	unsigned char *data = pattern(size);
	struct remote_file *f = remote_file_mem("lab data", data, size);
	struct remote_upload up = { .file = f, .dest = dest, .mode = mode };
	bool skipped = false;
	char *err = NULL;
	int rc = 1;

	printf("sha256 %s\n", remote_file_sha256(f));
	for (int i = 0; i < 2; i++) {
		if (remote_upload(r, &up, &skipped, &err) < 0) {
			printf("error %s\n", err);
			goto out;
		}
		printf("%s %s\n", i == 0 ? "first" : "second", skipped ? "skipped" : "sent");
	}
	rc = 0;
out:
	free(err);
	remote_file_free(&f);
	free(data);
	return rc;
}

struct upload_cancel {
	struct remote *r;
	bool done;
};

static void cancel_at_quarter(const char *host, uint64_t sent, uint64_t total, void *data)
{
	struct upload_cancel *uc = data;

	(void)host;
	if (!uc->done && sent >= total / 4) {
		printf("cancel_at %llu\n", (unsigned long long)sent);
		uc->done = true;
		remote_cancel(uc->r);
	}
}

static int cancel_upload(struct remote *r, const char *dest, size_t size)
{
	unsigned char *data = pattern(size);
	struct remote_file *f = remote_file_mem("lab data", data, size);
	struct upload_cancel uc = { .r = r };
	struct remote_upload up = { .file = f, .dest = dest, .mode = 0644,
				    .progress = cancel_at_quarter, .data = &uc };
	bool skipped = false;
	char *err = NULL;
	long t0 = now_ms();
	int rc = remote_upload(r, &up, &skipped, &err);

	printf("rc %d cause %s ms %ld\n", rc, cause_names[remote_cause(r)], now_ms() - t0);
	if (err != NULL)
		printf("error %s\n", err);
	free(err);
	remote_file_free(&f);
	free(data);
	return 0;
}

static char *slurp(const char *path)
{
	FILE *f = NULL;
	char *s = NULL;
	long n;

	if (strcmp(path, "-") == 0)
		return NULL;
	f = fopen(path, "rb");
	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0) {
		fprintf(stderr, "lab_transport: cannot read %s\n", path);
		exit(2);
	}
	rewind(f);
	s = xmalloc((size_t)n + 1);
	if (fread(s, 1, (size_t)n, f) != (size_t)n)
		exit(2);
	s[n] = '\0';
	fclose(f);
	return s;
}

static int probe(struct remote *r, char **a)
{
	struct remote_tcp *t = NULL;
	struct probe_io io;
	char *ca = slurp(a[3]), *cert = slurp(a[4]), *key = slurp(a[5]), *err = NULL;
	struct probe_tls tls = { .ca_pem = ca, .cert_pem = cert, .key_pem = key,
				 .server_name = a[2] };
	struct probe_request rq = { .method = "GET", .path = a[6], .timeout_ms = 5000 };
	struct probe_response resp = { 0 };

	if (remote_tcp_open(r, a[0], (unsigned)strtoul(a[1], NULL, 10), &t, &err) < 0) {
		printf("error %s\ncause %s\n", err, cause_names[remote_cause(r)]);
		goto out;
	}
	probe_io_remote(&io, t);
	if (probe_http(&io, &tls, &rq, &resp, &err) < 0)
		printf("error %s\n", err);
	else
		printf("status %d\nbody %s\n", resp.status, resp.body);
out:
	remote_tcp_close(&t);
	probe_response_clear(&resp);
	free(ca);
	free(cert);
	if (key != NULL)
		explicit_bzero(key, strlen(key));
	free(key);
	free(err);
	return 0;
}

static int tcp(struct remote *r, char **a, bool cancel)
{
	struct remote_tcp *t = NULL;
	struct canceller c = { 0 };
	char *err = NULL, buf[64];
	long t0;
	ssize_t n;

	if (remote_tcp_open(r, a[0], (unsigned)strtoul(a[1], NULL, 10), &t, &err) < 0) {
		printf("cause %s\nerror %s\n", cause_names[remote_cause(r)], err);
		free(err);
		return 0;
	}
	printf("open\n");
	if (cancel) {
		canceller_start(&c, r, 300);
		canceller_go(&c);
		t0 = now_ms();
		n = remote_tcp_read(t, buf, sizeof buf, 20000, &err);
		canceller_join(&c);
		printf("read %zd cause %s cancelled_ms %ld total_ms %ld\n", n,
		       cause_names[remote_cause(r)], now_ms() - c.at_ms, now_ms() - t0);
		n = remote_tcp_read(t, buf, sizeof buf, 20000, &err);
		printf("again %zd cause %s\n", n, cause_names[remote_cause(r)]);
	}
	remote_tcp_close(&t);
	free(err);
	return 0;
}

int main(int argc, char **argv)
{
	struct remote_config config = { 0 };
	struct remote_target target = { 0 };
	struct remote_ctx *ctx = NULL;
	struct remote *r = NULL;
	const char *scenario;
	char **a;
	int opt, rc = 2;

	while ((opt = getopt(argc, argv, "u:sPk:c:b:")) != -1) {
		switch (opt) {
		case 'u':
			target.user = optarg;
			break;
		case 's':
			target.sudo = true;
			break;
		case 'P':
			target.sudo = true;
			target.sudo_password = true;
			config.prompts = &sudo_prompts;
			break;
		case 'k':
			config.keepalive_interval = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'c':
			config.keepalive_count = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'b':
			config.bastion = optarg;
			config.bastion_user = "root";
			break;
		default:
			return 2;
		}
	}
	if (argc - optind < 5) {
		fprintf(stderr, "usage: lab_transport [options] ADDRESS PORT KEY KNOWN_HOSTS "
				"SCENARIO ARGS...\n");
		return 2;
	}
	target.name = argv[optind];
	target.address = argv[optind];
	target.port = (unsigned)strtoul(argv[optind + 1], NULL, 10);
	config.identity_file = argv[optind + 2];
	config.known_hosts = argv[optind + 3];
	config.connect_timeout = 5;
	scenario = argv[optind + 4];
	a = argv + optind + 5;
	ctx = remote_ctx_new(&config);
	r = remote_new(ctx, &target);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (strcmp(scenario, "run") == 0 && a[0] != NULL) {
		run_one(r, a[0], NULL);
		rc = 0;
	} else if (strcmp(scenario, "upload-mem") == 0 && a[0] != NULL && a[1] != NULL &&
		   a[2] != NULL) {
		rc = upload_mem(r, a[0], (unsigned)strtoul(a[1], NULL, 8),
				(size_t)strtoull(a[2], NULL, 10));
	} else if (strcmp(scenario, "cancel-run") == 0 && a[0] != NULL) {
		struct canceller c = { 0 };
		long t0;

		/* 0.3 s after "started": the worker is asleep in its wait by then,
		 * so only the wake-up can end the wait early. */
		canceller_start(&c, r, 300);
		run_one(r, a[0], &c);
		canceller_join(&c);
		printf("cancelled_ms %ld\n", now_ms() - c.at_ms);
		/* Sticky: the next call is refused at once, without the host. */
		t0 = now_ms();
		run_one(r, "echo must-not-run", NULL);
		printf("while_cancelled_ms %ld\n", now_ms() - t0);
		remote_cancel_clear(r);
		run_one(r, "echo again", NULL);
		rc = 0;
	} else if (strcmp(scenario, "cancel-upload") == 0 && a[0] != NULL && a[1] != NULL) {
		rc = cancel_upload(r, a[0], (size_t)strtoull(a[1], NULL, 10));
	} else if (strcmp(scenario, "probe") == 0 && a[0] != NULL && a[1] != NULL &&
		   a[2] != NULL && a[3] != NULL && a[4] != NULL && a[5] != NULL && a[6] != NULL) {
		rc = probe(r, a);
	} else if (strcmp(scenario, "tcp") == 0 && a[0] != NULL && a[1] != NULL) {
		rc = tcp(r, a, false);
	} else if (strcmp(scenario, "dropped") == 0 && a[0] != NULL) {
		/* Nothing reads the socket while idle: the next command is the
		 * first to meet the closed connection. */
		run_one(r, a[0], NULL);
		sleep(2);
		run_one(r, "true", NULL);
		run_one(r, "echo again", NULL);
		rc = 0;
	} else if (strcmp(scenario, "cancel-connect") == 0) {
		struct canceller c = { 0 };
		char *err = NULL;
		int crc;

		canceller_start(&c, r, 300);
		canceller_go(&c);
		crc = remote_connect(r, &err);
		canceller_join(&c);
		printf("rc %d cause %s cancelled_ms %ld\n", crc, cause_names[remote_cause(r)],
		       now_ms() - c.at_ms);
		if (err != NULL)
			printf("error %s\n", err);
		free(err);
		rc = 0;
	} else if (strcmp(scenario, "cancel-tcp") == 0 && a[0] != NULL && a[1] != NULL) {
		rc = tcp(r, a, true);
	} else {
		fprintf(stderr, "lab_transport: unknown scenario or missing arguments\n");
	}
	remote_free(&r);
	remote_ctx_free(&ctx);
	return rc;
}
