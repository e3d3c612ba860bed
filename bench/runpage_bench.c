/* Driver for bench/runpage-bench.sh: the wizard's Run page, on a terminal,
 * watching the real install engine run over SSH on the light lab's hosts a
 * render built here: one step per host that prints LINES lines as fast as
 * the host can (seq), no health checks. The page is the wizard's own (ui_run
 * opened on the Run page and started at once); the loop's figures go to
 * STATS when the wizard quits (F10 once the run has ended).
 *
 *   runpage_bench -f PLAN --known-hosts FILE --lines N --stats FILE
 *
 * The state directory is K8SW_STATE_DIR's. Only plans whose hosts are all on
 * 127.0.0.0/8, without a bastion, are run. */
#include "config.h"

#include <arpa/inet.h>
#include <getopt.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "nls.h"
#include "phase.h"
#include "plan.h"
#include "plancheck.h"
#include "planfile.h"
#include "problem.h"
#include "render.h"
#include "xmalloc.h"
#include "../ui/ui.h"

/* No health checks: a table with no entry (NULL would mean the built-in ones). */
static const struct check no_checks[1];

static struct plan *load_plan(const char *file)
{
	struct problems problems = { 0 };
	struct plan *p = planfile_load(file, &problems, NULL);

	if (p != NULL)
		plancheck_run(p, &problems);
	if (problems_count(&problems, PROBLEM_ERROR) > 0) {
		fprintf(stderr, "runpage_bench: %s: the plan has errors (k8s-wizard plan check)\n",
			file);
		plan_free(&p);
	}
	problems_clear(&problems);
	for (size_t i = 0; p != NULL && i < p->n_hosts; i++) {
		struct in_addr a;

		if (inet_pton(AF_INET, p->hosts[i].address, &a) != 1 ||
		    (ntohl(a.s_addr) >> 24) != 127) {
			fprintf(stderr, "runpage_bench: %s is not on loopback: refused\n",
				p->hosts[i].address);
			plan_free(&p);
		}
	}
	if (p != NULL && p->ssh.bastion != NULL && p->ssh.bastion[0] != '\0') {
		fprintf(stderr, "runpage_bench: the benchmark runs without a bastion\n");
		plan_free(&p);
	}
	return p;
}

/* Each host: one step of the prepare phase that prints lines lines. */
static struct render *build_render(const struct plan *p, unsigned long lines)
{
	struct render *r = xcalloc(1, sizeof *r);

	r->n_hosts = p->n_hosts;
	r->hosts = xcalloc(p->n_hosts + 1, sizeof *r->hosts);
	for (size_t i = 0; i < p->n_hosts; i++) {
		struct render_host *h = &r->hosts[i];

		h->name = xstrdup(p->hosts[i].name);
		h->address = xstrdup(p->hosts[i].address);
		h->roles = p->hosts[i].roles;
		h->n_steps = 1;
		h->steps = xcalloc(2, sizeof *h->steps);
		h->steps[0].phase = PHASE_PREPARE;
		h->steps[0].type = RENDER_STEP_RUN;
		h->steps[0].command = xasprintf("seq -f '%s line %%.0f of the Run page benchmark, "
						"as long as a line of a real log' 1 %lu",
						h->name, lines);
	}
	return r;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "file", required_argument, NULL, 'f' },
		{ "known-hosts", required_argument, NULL, 'k' },
		{ "lines", required_argument, NULL, 'n' },
		{ "stats", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	const char *file = NULL;
	struct ui_options o = { .start_run = true, .checks = no_checks, .n_checks = 0 };
	unsigned long lines = 0;
	struct plan *p = NULL;
	struct render *r = NULL;
	char *end = NULL;
	int c, rc = 2;

	setlocale(LC_ALL, "");
	while ((c = getopt_long(argc, argv, "f:", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			file = optarg;
			break;
		case 'k':
			o.known_hosts = optarg;
			break;
		case 'n':
			lines = strtoul(optarg, &end, 10);
			if (*end != '\0')
				lines = 0;
			break;
		case 's':
			o.stats_file = optarg;
			break;
		default:
			return 2;
		}
	}
	if (file == NULL || o.known_hosts == NULL || o.stats_file == NULL || lines == 0) {
		fprintf(stderr, "usage: runpage_bench -f PLAN --known-hosts FILE --lines N "
				"--stats FILE\n");
		return 2;
	}
	p = load_plan(file);
	if (p != NULL) {
		r = build_render(p, lines);
		o.render = r;
		rc = ui_run(p, file, &o);
	}
	render_free(&r);
	plan_free(&p);
	return rc;
}
