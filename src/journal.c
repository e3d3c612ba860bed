/* The install journal: append-only records with a checksum each, replayed
 * into the last known state of every run, step, phase and check.
 *
 * A line is TYPE, tab-separated fields (tabs, newlines and backslashes
 * escaped), then a tab and the first 16 hex digits of the SHA-256 of what
 * precedes it. The first line names the format. */
#include "config.h"

#include "journal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hexsum.h"
#include "nls.h"
#include "strbuf.h"
#include "xmalloc.h"

#define JOURNAL_MAGIC "k8s-wizard journal 1"
#define JOURNAL_MAX (256u << 20) /* refuse to replay more than this */
#define SUM_LEN 16
#define MAX_FIELDS 16

struct step_rec {
	struct journal_step s; /* strings owned below */
	char *run, *host, *digest, *what;
};

struct phase_rec {
	struct journal_phase p;
	char *run, *host;
};

struct check_rec {
	struct journal_check c;
	char *run, *host, *name, *detail;
};

struct run_rec {
	struct journal_run r;
	char *id, *command, *log_dir;
};

struct journal {
	pthread_mutex_t lock;
	pthread_mutex_t sync_lock; /* one fdatasync at a time, covering all before it */
	off_t synced;              /* bytes known to be on the disk */
	int fd;
	char *path;
	off_t good_len; /* bytes of whole records; a torn tail starts here */
	bool torn;
	size_t replayed;
	uint64_t seq; /* step records applied so far */

	struct run_rec **runs;
	size_t n_runs;
	struct step_rec **steps; /* first-recorded order */
	size_t n_steps;
	struct step_rec **slots; /* open-addressing index of steps */
	size_t n_slots;
	struct phase_rec **phases;
	size_t n_phases;
	struct check_rec **checks;
	size_t n_checks;
};

static const char *const state_names[] = {
	[JOURNAL_STARTED] = "started", [JOURNAL_DONE] = "done",     [JOURNAL_FAILED] = "failed",
	[JOURNAL_STOPPED] = "stopped", [JOURNAL_SKIPPED] = "skipped",
};

const char *journal_state_name(enum journal_state state)
{
	return state <= JOURNAL_SKIPPED ? state_names[state] : "?";
}

static int state_from_name(const char *s)
{
	for (int i = 0; i <= JOURNAL_SKIPPED; i++) {
		if (strcmp(state_names[i], s) == 0)
			return i;
	}
	return -1;
}

/* --- encoding ------------------------------------------------------------ */

static void add_field(struct strbuf *b, const char *s)
{
	strbuf_addc(b, '\t');
	for (; s != NULL && *s != '\0'; s++) {
		switch (*s) {
		case '\\':
			strbuf_adds(b, "\\\\");
			break;
		case '\t':
			strbuf_adds(b, "\\t");
			break;
		case '\n':
			strbuf_adds(b, "\\n");
			break;
		case '\r':
			strbuf_adds(b, "\\r");
			break;
		default:
			strbuf_addc(b, *s);
		}
	}
}

static void add_int(struct strbuf *b, int64_t v)
{
	strbuf_addf(b, "\t%" PRId64, v);
}

/* The first SUM_LEN hex digits of the line's SHA-256. */
static void checksum(const char *s, size_t len, char out[SUM_LEN + 1])
{
	char full[HEXSUM_LEN + 1];

	hexsum_data(s, len, full);
	memcpy(out, full, SUM_LEN);
	out[SUM_LEN] = '\0';
}

/* Undo add_field in place. */
static void unescape(char *s)
{
	char *w = s;

	for (char *r = s; *r != '\0'; r++) {
		if (*r == '\\' && r[1] != '\0') {
			r++;
			*w++ = *r == 't' ? '\t' : *r == 'n' ? '\n' : *r == 'r' ? '\r' : *r;
		} else {
			*w++ = *r;
		}
	}
	*w = '\0';
}

static bool parse_i64(const char *s, int64_t *out)
{
	char *end = NULL;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0')
		return false;
	*out = v;
	return true;
}

/* --- the in-memory state ------------------------------------------------- */

static uint64_t step_hash(enum phase phase, const char *host, unsigned index)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */

	h = (h ^ (uint64_t)phase) * 1099511628211ull;
	h = (h ^ index) * 1099511628211ull;
	for (const char *p = host; *p != '\0'; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ull;
	return h;
}

static struct step_rec **step_slot(struct step_rec **slots, size_t n_slots, enum phase phase,
				   const char *host, unsigned index)
{
	size_t i = (size_t)(step_hash(phase, host, index) % n_slots);

	while (slots[i] != NULL && !(slots[i]->s.phase == phase && slots[i]->s.index == index &&
				     strcmp(slots[i]->host, host) == 0))
		i = (i + 1) % n_slots;
	return &slots[i];
}

static void grow_index(struct journal *j)
{
	size_t n = j->n_slots == 0 ? 256 : j->n_slots * 2;
	struct step_rec **slots = xcalloc(n, sizeof *slots);

	for (size_t i = 0; i < j->n_steps; i++) {
		const struct journal_step *s = &j->steps[i]->s;

		*step_slot(slots, n, s->phase, s->host, s->index) = j->steps[i];
	}
	free(j->slots);
	j->slots = slots;
	j->n_slots = n;
}

static void replace(char **slot, const char *value)
{
	free(*slot);
	*slot = xstrdup(value != NULL ? value : "");
}

static void apply_step(struct journal *j, const struct journal_step *s)
{
	struct step_rec **slot = NULL, *r = NULL;

	if (2 * (j->n_steps + 1) > j->n_slots)
		grow_index(j);
	slot = step_slot(j->slots, j->n_slots, s->phase, s->host, s->index);
	r = *slot;
	if (r == NULL) {
		r = xcalloc(1, sizeof *r);
		j->steps = xreallocarray(j->steps, j->n_steps + 1, sizeof *j->steps);
		j->steps[j->n_steps++] = r;
		*slot = r;
	}
	replace(&r->run, s->run);
	replace(&r->host, s->host);
	replace(&r->digest, s->digest);
	replace(&r->what, s->what);
	r->s = *s;
	r->s.run = r->run;
	r->s.host = r->host;
	r->s.digest = r->digest;
	r->s.what = r->what;
	r->s.seq = ++j->seq;
}

static bool same_host(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static void apply_phase(struct journal *j, const struct journal_phase *p)
{
	struct phase_rec *r = NULL;

	for (size_t i = 0; i < j->n_phases && r == NULL; i++) {
		if (j->phases[i]->p.phase == p->phase && same_host(j->phases[i]->p.host, p->host))
			r = j->phases[i];
	}
	if (r == NULL) {
		r = xcalloc(1, sizeof *r);
		j->phases = xreallocarray(j->phases, j->n_phases + 1, sizeof *j->phases);
		j->phases[j->n_phases++] = r;
	}
	replace(&r->run, p->run);
	free(r->host);
	r->host = p->host != NULL ? xstrdup(p->host) : NULL;
	r->p = *p;
	r->p.run = r->run;
	r->p.host = r->host;
}

static void apply_check(struct journal *j, const struct journal_check *c)
{
	struct check_rec *r = NULL;

	for (size_t i = 0; i < j->n_checks && r == NULL; i++) {
		const struct journal_check *o = &j->checks[i]->c;

		if (o->phase == c->phase && strcmp(o->host, c->host) == 0 &&
		    strcmp(o->name, c->name) == 0)
			r = j->checks[i];
	}
	if (r == NULL) {
		r = xcalloc(1, sizeof *r);
		j->checks = xreallocarray(j->checks, j->n_checks + 1, sizeof *j->checks);
		j->checks[j->n_checks++] = r;
	}
	replace(&r->run, c->run);
	replace(&r->host, c->host);
	replace(&r->name, c->name);
	replace(&r->detail, c->detail);
	r->c = *c;
	r->c.run = r->run;
	r->c.host = r->host;
	r->c.name = r->name;
	r->c.detail = r->detail;
}

static struct run_rec *find_run(struct journal *j, const char *id)
{
	for (size_t i = j->n_runs; i > 0; i--) {
		if (strcmp(j->runs[i - 1]->id, id) == 0)
			return j->runs[i - 1];
	}
	return NULL;
}

static void apply_run(struct journal *j, const struct journal_run *run)
{
	struct run_rec *r = xcalloc(1, sizeof *r);

	r->id = xstrdup(run->id);
	r->command = xstrdup(run->command != NULL ? run->command : "");
	r->log_dir = xstrdup(run->log_dir != NULL ? run->log_dir : "");
	r->r = *run;
	r->r.id = r->id;
	r->r.command = r->command;
	r->r.log_dir = r->log_dir;
	r->r.state = JOURNAL_STARTED;
	j->runs = xreallocarray(j->runs, j->n_runs + 1, sizeof *j->runs);
	j->runs[j->n_runs++] = r;
}

static void apply_run_end(struct journal *j, const char *id, enum journal_state state,
			  int64_t end_ms)
{
	struct run_rec *r = find_run(j, id);

	if (r != NULL) {
		r->r.state = state;
		r->r.end_ms = end_ms;
	}
}

/* --- replay -------------------------------------------------------------- */

/* Apply one record (its fields, unescaped). Returns false when it does not
 * make sense. */
static bool replay_record(struct journal *j, char **f, size_t n)
{
	int64_t v[8] = { 0 };
	int phase = -1, state = -1;

	switch (f[0][0]) {
	case 'R':
		if (n != 5 || !parse_i64(f[3], &v[0]))
			return false;
		apply_run(j, &(struct journal_run){ .id = f[1], .command = f[2], .start_ms = v[0],
						    .log_dir = f[4] });
		return true;
	case 'E':
		state = n == 4 ? state_from_name(f[2]) : -1;
		if (state < 0 || !parse_i64(f[3], &v[0]))
			return false;
		apply_run_end(j, f[1], (enum journal_state)state, v[0]);
		return true;
	case 'S':
		if (n != 12)
			return false;
		phase = phase_from_name(f[2]);
		state = state_from_name(f[5]);
		if (phase < 0 || state < 0 || !parse_i64(f[4], &v[0]) || !parse_i64(f[6], &v[1]) ||
		    !parse_i64(f[7], &v[2]) || !parse_i64(f[8], &v[3]) || !parse_i64(f[9], &v[4]) ||
		    v[0] < 0 || v[0] > UINT32_MAX || v[1] < 0 || v[1] > UINT32_MAX)
			return false;
		apply_step(j, &(struct journal_step){
				      .run = f[1], .phase = (enum phase)phase, .host = f[3],
				      .index = (unsigned)v[0], .state = (enum journal_state)state,
				      .attempt = (unsigned)v[1], .start_ms = v[2], .end_ms = v[3],
				      .exit_code = (int)v[4], .digest = f[10], .what = f[11] });
		return true;
	case 'P':
		if (n != 6)
			return false;
		phase = phase_from_name(f[2]);
		state = state_from_name(f[4]);
		if (phase < 0 || state < 0 || !parse_i64(f[5], &v[0]))
			return false;
		apply_phase(j, &(struct journal_phase){ .run = f[1], .phase = (enum phase)phase,
							.host = f[3][0] != '\0' ? f[3] : NULL,
							.state = (enum journal_state)state,
							.time_ms = v[0] });
		return true;
	case 'C':
		if (n != 8)
			return false;
		phase = phase_from_name(f[2]);
		if (phase < 0 || !parse_i64(f[5], &v[0]) || !parse_i64(f[6], &v[1]))
			return false;
		apply_check(j, &(struct journal_check){ .run = f[1], .phase = (enum phase)phase,
							.host = f[3], .name = f[4], .ok = v[0] != 0,
							.time_ms = v[1], .detail = f[7] });
		return true;
	default:
		return false;
	}
}

/* Check and apply one line (without its newline). */
static bool replay_line(struct journal *j, char *line, size_t len)
{
	char sum[SUM_LEN + 1];
	char *fields[MAX_FIELDS];
	size_t n = 0;
	char *p = NULL;

	if (len < SUM_LEN + 2 || line[len - SUM_LEN - 1] != '\t')
		return false;
	checksum(line, len - SUM_LEN - 1, sum);
	if (memcmp(sum, line + len - SUM_LEN, SUM_LEN) != 0)
		return false;
	line[len - SUM_LEN - 1] = '\0';
	if (memchr(line, '\0', len - SUM_LEN - 1) != NULL)
		return false;
	p = line;
	while (n < MAX_FIELDS) {
		char *tab = strchr(p, '\t');

		fields[n++] = p;
		if (tab == NULL)
			break;
		*tab = '\0';
		p = tab + 1;
	}
	if (n == MAX_FIELDS || strlen(fields[0]) != 1)
		return false;
	for (size_t i = 1; i < n; i++)
		unescape(fields[i]);
	return replay_record(j, fields, n);
}

static int replay(struct journal *j, char *buf, size_t len, char **err)
{
	size_t lineno = 1;
	char *p = buf, *end = buf + len;
	char *nl = memchr(buf, '\n', len);

	if (nl == NULL || (size_t)(nl - buf) != strlen(JOURNAL_MAGIC) ||
	    memcmp(buf, JOURNAL_MAGIC, strlen(JOURNAL_MAGIC)) != 0) {
		/* L10N: the journal's path. */
		*err = xasprintf(_("%s is not a k8s-wizard journal (or one written by a newer "
				   "k8s-wizard)"), j->path);
		return -1;
	}
	p = nl + 1;
	j->good_len = p - buf;
	while (p < end) {
		lineno++;
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL || !replay_line(j, p, (size_t)(nl - p))) {
			/* Only the very last line may be torn by a crash. */
			if (nl == NULL || nl + 1 == end) {
				j->torn = true;
				return 0;
			}
			/* L10N: path, line number. */
			*err = xasprintf(_("%s: line %zu is damaged; the install cannot know what "
					   "is done. Move the file aside to start over (every step "
					   "runs again; steps are safe to repeat)"),
					 j->path, lineno);
			return -1;
		}
		j->replayed++;
		p = nl + 1;
		j->good_len = p - buf;
	}
	return 0;
}

int journal_open(const char *path, struct journal **out, char **err)
{
	struct journal *j = xcalloc(1, sizeof *j);
	struct stat st;
	char *buf = NULL;
	ssize_t got = 0;
	size_t len = 0;
	int rc = -1;

	*out = NULL;
	pthread_mutex_init(&j->lock, NULL);
	pthread_mutex_init(&j->sync_lock, NULL);
	j->path = xstrdup(path);
	j->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (j->fd < 0 || fstat(j->fd, &st) < 0) {
		/* L10N: path, the system's error message. */
		*err = xasprintf(_("cannot open the journal %s: %s"), path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size > JOURNAL_MAX) {
		/* L10N: the journal's path. */
		*err = xasprintf(_("%s is not a regular file of a sensible size"), path);
		goto out;
	}
	if (st.st_size == 0) {
		char sum_line[] = JOURNAL_MAGIC "\n";

		if (write(j->fd, sum_line, strlen(sum_line)) != (ssize_t)strlen(sum_line) ||
		    fdatasync(j->fd) < 0) {
			/* L10N: path, the system's error message. */
			*err = xasprintf(_("cannot write the journal %s: %s"), path,
					 strerror(errno));
			goto out;
		}
		j->good_len = (off_t)strlen(sum_line);
		rc = 0;
		goto out;
	}
	len = (size_t)st.st_size;
	buf = xmalloc(len + 1);
	while ((size_t)got < len) {
		ssize_t n = pread(j->fd, buf + got, len - (size_t)got, got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			/* L10N: path, the system's error message. */
			*err = xasprintf(_("cannot read the journal %s: %s"), path,
					 n < 0 ? strerror(errno) : _("file shrank"));
			goto out;
		}
		got += n;
	}
	buf[len] = '\0';
	rc = replay(j, buf, len, err);
out:
	free(buf);
	if (rc < 0)
		journal_close(&j);
	*out = j;
	return rc;
}

void journal_close(struct journal **pj)
{
	struct journal *j = *pj;

	if (j == NULL)
		return;
	if (j->fd >= 0)
		close(j->fd);
	for (size_t i = 0; i < j->n_runs; i++) {
		free(j->runs[i]->id);
		free(j->runs[i]->command);
		free(j->runs[i]->log_dir);
		free(j->runs[i]);
	}
	for (size_t i = 0; i < j->n_steps; i++) {
		free(j->steps[i]->run);
		free(j->steps[i]->host);
		free(j->steps[i]->digest);
		free(j->steps[i]->what);
		free(j->steps[i]);
	}
	for (size_t i = 0; i < j->n_phases; i++) {
		free(j->phases[i]->run);
		free(j->phases[i]->host);
		free(j->phases[i]);
	}
	for (size_t i = 0; i < j->n_checks; i++) {
		free(j->checks[i]->run);
		free(j->checks[i]->host);
		free(j->checks[i]->name);
		free(j->checks[i]->detail);
		free(j->checks[i]);
	}
	free(j->runs);
	free(j->steps);
	free(j->slots);
	free(j->phases);
	free(j->checks);
	free(j->path);
	pthread_mutex_destroy(&j->sync_lock);
	pthread_mutex_destroy(&j->lock);
	free(j);
	*pj = NULL;
}

/* --- appending ----------------------------------------------------------- */

/* Write one record (b holds "TYPE\tfields"), checksum and newline added.
 * Called with the lock held; *end gets the offset just past it. */
static int append(struct journal *j, struct strbuf *b, off_t *end, char **err)
{
	char sum[SUM_LEN + 1];
	ssize_t n;

	checksum(b->s, b->len, sum);
	strbuf_addf(b, "\t%s\n", sum);
	/* A torn tail left by a crash goes first, so the file stays whole. */
	if (j->torn) {
		if (ftruncate(j->fd, j->good_len) < 0)
			goto fail;
		j->torn = false;
	}
	n = pwrite(j->fd, b->s, b->len, j->good_len);
	if (n != (ssize_t)b->len) {
		if (n >= 0)
			errno = ENOSPC;
		/* Do not leave half a record for the next append to build on. */
		if (ftruncate(j->fd, j->good_len) < 0)
			j->torn = true;
		goto fail;
	}
	j->good_len += n;
	*end = j->good_len;
	return 0;
fail:
	/* L10N: path, the system's error message. */
	*err = xasprintf(_("cannot write the journal %s: %s"), j->path, strerror(errno));
	return -1;
}

/* Make the journal durable up to end. Threads that ask at the same time
 * share one fdatasync: the first covers every record written before it
 * started, and those it covered return without one of their own. */
static int sync_to(struct journal *j, off_t end, char **err)
{
	off_t target;
	int rc = 0;

	pthread_mutex_lock(&j->sync_lock);
	if (j->synced < end) {
		pthread_mutex_lock(&j->lock);
		target = j->good_len;
		pthread_mutex_unlock(&j->lock);
		if (fdatasync(j->fd) < 0) {
			/* L10N: path, the system's error message. */
			*err = xasprintf(_("cannot write the journal %s: %s"), j->path,
					 strerror(errno));
			rc = -1;
		} else {
			j->synced = target;
		}
	}
	pthread_mutex_unlock(&j->sync_lock);
	return rc;
}

/* Append, apply and (when durable) sync one record. */
static int record(struct journal *j, struct strbuf *b, bool durable,
		  void (*apply_fn)(struct journal *, const void *), const void *rec, char **err)
{
	off_t end = 0;
	int rc;

	pthread_mutex_lock(&j->lock);
	rc = append(j, b, &end, err);
	if (rc == 0)
		apply_fn(j, rec);
	pthread_mutex_unlock(&j->lock);
	strbuf_clear(b);
	if (rc == 0 && durable)
		rc = sync_to(j, end, err);
	return rc;
}

static void apply_run_rec(struct journal *j, const void *rec)
{
	apply_run(j, rec);
}

struct run_end_rec {
	const char *run;
	enum journal_state state;
	int64_t end_ms;
};

static void apply_run_end_rec(struct journal *j, const void *rec)
{
	const struct run_end_rec *r = rec;

	apply_run_end(j, r->run, r->state, r->end_ms);
}

static void apply_step_rec(struct journal *j, const void *rec)
{
	apply_step(j, rec);
}

static void apply_phase_rec(struct journal *j, const void *rec)
{
	apply_phase(j, rec);
}

static void apply_check_rec(struct journal *j, const void *rec)
{
	apply_check(j, rec);
}

int journal_run_begin(struct journal *j, const struct journal_run *run, char **err)
{
	struct strbuf b = { 0 };

	strbuf_adds(&b, "R");
	add_field(&b, run->id);
	add_field(&b, run->command);
	add_int(&b, run->start_ms);
	add_field(&b, run->log_dir);
	return record(j, &b, true, apply_run_rec, run, err);
}

static int64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int journal_run_end(struct journal *j, const char *run, enum journal_state state, char **err)
{
	struct run_end_rec r = { run, state, wall_ms() };
	struct strbuf b = { 0 };

	strbuf_adds(&b, "E");
	add_field(&b, run);
	add_field(&b, journal_state_name(state));
	add_int(&b, r.end_ms);
	return record(j, &b, true, apply_run_end_rec, &r, err);
}

int journal_step(struct journal *j, const struct journal_step *s, char **err)
{
	struct strbuf b = { 0 };

	strbuf_adds(&b, "S");
	add_field(&b, s->run);
	add_field(&b, phase_name(s->phase));
	add_field(&b, s->host);
	add_int(&b, s->index);
	add_field(&b, journal_state_name(s->state));
	add_int(&b, s->attempt);
	add_int(&b, s->start_ms);
	add_int(&b, s->end_ms);
	add_int(&b, s->exit_code);
	add_field(&b, s->digest);
	add_field(&b, s->what);
	/* A step's end is what resume trusts; its start only says it began. */
	return record(j, &b, s->state != JOURNAL_STARTED, apply_step_rec, s, err);
}

int journal_phase(struct journal *j, const struct journal_phase *p, char **err)
{
	struct strbuf b = { 0 };

	strbuf_adds(&b, "P");
	add_field(&b, p->run);
	add_field(&b, phase_name(p->phase));
	add_field(&b, p->host);
	add_field(&b, journal_state_name(p->state));
	add_int(&b, p->time_ms);
	/* A host's part of a phase sums up its steps, which are durable
	 * themselves; the phase as a whole is synced. */
	return record(j, &b, p->host == NULL && p->state != JOURNAL_STARTED, apply_phase_rec, p,
		      err);
}

int journal_check(struct journal *j, const struct journal_check *c, char **err)
{
	struct strbuf b = { 0 };

	strbuf_adds(&b, "C");
	add_field(&b, c->run);
	add_field(&b, phase_name(c->phase));
	add_field(&b, c->host);
	add_field(&b, c->name);
	add_int(&b, c->ok ? 1 : 0);
	add_int(&b, c->time_ms);
	add_field(&b, c->detail);
	return record(j, &b, false, apply_check_rec, c, err);
}

/* --- lookups ------------------------------------------------------------- */

const struct journal_step *journal_find_step(const struct journal *j, enum phase phase,
					     const char *host, unsigned index)
{
	struct step_rec *r = NULL;

	if (j->n_slots == 0)
		return NULL;
	r = *step_slot(j->slots, j->n_slots, phase, host, index);
	return r != NULL ? &r->s : NULL;
}

const struct journal_phase *journal_find_phase(const struct journal *j, enum phase phase,
					       const char *host)
{
	for (size_t i = 0; i < j->n_phases; i++) {
		if (j->phases[i]->p.phase == phase && same_host(j->phases[i]->p.host, host))
			return &j->phases[i]->p;
	}
	return NULL;
}

size_t journal_n_runs(const struct journal *j)
{
	return j->n_runs;
}

const struct journal_run *journal_get_run(const struct journal *j, size_t i)
{
	return i < j->n_runs ? &j->runs[i]->r : NULL;
}

const struct journal_run *journal_last_run(const struct journal *j)
{
	return j->n_runs > 0 ? &j->runs[j->n_runs - 1]->r : NULL;
}

size_t journal_n_steps(const struct journal *j)
{
	return j->n_steps;
}

const struct journal_step *journal_get_step(const struct journal *j, size_t i)
{
	return i < j->n_steps ? &j->steps[i]->s : NULL;
}

size_t journal_n_checks(const struct journal *j)
{
	return j->n_checks;
}

const struct journal_check *journal_get_check(const struct journal *j, size_t i)
{
	return i < j->n_checks ? &j->checks[i]->c : NULL;
}

const struct journal_step *journal_failed_step(const struct journal *j, const char *run)
{
	const struct journal_step *found = NULL;

	for (size_t i = 0; i < journal_n_steps(j); i++) {
		const struct journal_step *s = journal_get_step(j, i);

		if (strcmp(s->run, run) == 0 && s->state == JOURNAL_FAILED &&
		    (found == NULL || s->end_ms > found->end_ms))
			found = s;
	}
	return found;
}

const struct journal_check *journal_failed_check(const struct journal *j, const char *run)
{
	for (size_t i = 0; i < journal_n_checks(j); i++) {
		const struct journal_check *c = journal_get_check(j, i);

		if (strcmp(c->run, run) == 0 && !c->ok)
			return c;
	}
	return NULL;
}

size_t journal_replayed(const struct journal *j)
{
	return j->replayed;
}

bool journal_had_torn_tail(const struct journal *j)
{
	return j->torn;
}
