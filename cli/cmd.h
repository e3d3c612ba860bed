/* The command line: a table of commands, each a function that gets its own
 * argc/argv (argv[0] is the command's name) and returns the exit status. */
#ifndef K8SW_CMD_H
#define K8SW_CMD_H

#include <stdbool.h>
#include <stdio.h>

struct problems;

struct plan;
struct journal;

enum {
	EXIT_OK = 0,
	EXIT_FAILED = 1, /* the command ran and failed (a file could not be written) */
	EXIT_USAGE = 2,  /* bad usage or bad input: nothing was done */
};

struct cmd_entry {
	const char *name;    /* "plan init" */
	const char *usage;   /* after the name: "[-o FILE]" */
	const char *summary; /* one line, N_()-marked */
	const char *help;    /* options and details for --help, N_()-marked */
	int (*exec)(int argc, char **argv);
};

extern const struct cmd_entry cmd_plan_init_entry;
extern const struct cmd_entry cmd_plan_check_entry;
extern const struct cmd_entry cmd_plan_export_entry;
extern const struct cmd_entry cmd_pki_list_entry;
extern const struct cmd_entry cmd_exec_entry;
extern const struct cmd_entry cmd_copy_entry;
extern const struct cmd_entry cmd_render_entry;
extern const struct cmd_entry cmd_apply_entry;
extern const struct cmd_entry cmd_resume_entry;
extern const struct cmd_entry cmd_status_entry;
extern const struct cmd_entry cmd_bundle_fetch_entry;
extern const struct cmd_entry cmd_bundle_check_entry;

/* Print "Usage: k8s-wizard NAME USAGE" and the summary to f. */
void cmd_usage(FILE *f, const struct cmd_entry *e);

/* The usage on stderr and EXIT_USAGE, for a bad option or argument. */
/* cmd_bad_usage() for what getopt_long() refused: an option without its
 * value (missing_value) or an unknown one; opt is the word it stopped at. */
int cmd_option_error(const struct cmd_entry *e, bool missing_value, const char *opt);

int cmd_bad_usage(const struct cmd_entry *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Print "k8s-wizard[ WHO]: ERR" on stderr with err's control characters
 * escaped (termsafe.h); its newlines are kept, as the message's layout
 * (errors quote hosts and plans: no raw escape reaches the terminal). */
void cmd_error(const char *who, const char *err);

/* Print list (sorted first) on stderr as FILE:LINE:COLUMN: FIELD: message,
 * each problem on one line with every part escaped (termsafe.h). */
void cmd_print_problems(const char *file, struct problems *list);

/* Load and validate a plan file (cmd_common.c). Loader errors come first;
 * validation problems of fields the loader already rejected are left out (they
 * would describe the default that stood in). Every problem is printed on
 * stderr as FILE:LINE:COLUMN: FIELD: message, every part escaped on one
line (termsafe.h), so a plan cannot print a line of its own. Returns the plan, or NULL when
 * it has errors; *had_warnings says whether warnings were printed. */
struct plan *cmd_load_plan(const char *file, bool *had_warnings);

/* The cluster a command without -f means: name when given (checked), else
 * the only cluster whose state directory has a journal. NULL with *err set
 * (saying what to give) otherwise; *none then tells whether no cluster has
 * a run at all (as opposed to a bad name or several to choose from). */
char *cmd_find_cluster(const char *name, bool *none, char **err);

/* The plan file the last run of cluster used (STATE/runs/RUN/plan.yaml), or
 * NULL with *err set when the cluster has no run. */
char *cmd_last_run_plan(const char *cluster, char **err);

/* Open cluster's journal without creating it: NULL with *err set when there
 * is none. */
struct journal *cmd_open_journal(const char *cluster, char **err);

/* An option's number in base (10, or 8 for modes), at most max. */
bool cmd_parse_uint(const char *s, unsigned base, unsigned long max, unsigned *out);

/* Remove path and, when it is a directory, everything under it, following
 * no symbolic link; an absent path is not an error. Returns 0, or -1 with
 * errno set. */
int cmd_remove_tree(const char *path);

/* Make what the command will leave behind (a throw-away directory: make(arg)
 * returns 0, or -1 with errno set), then go on with the command in a child
 * process and wait for it here: what it leaves is then removed however the
 * child ends, be it an error, SIGPIPE from a closed pipe, Ctrl-C or kill
 * (not SIGKILL of this process). INT, TERM, HUP and QUIT wait from before
 * make() until they can be passed on to the child. Returns 0 in the child,
 * which goes on; 1 in this process once the child has ended, with *status its
 * exit status (128 + the signal's number when a signal ended it); -1 with
 * errno set when make() failed or no child could be made. Call it while no
 * other thread runs. */
int cmd_guard(int (*make)(void *arg), void *arg, int *status);

/* Columns s takes on a terminal (wide characters count two); its length in
 * bytes when it is not valid in the locale's encoding. */
size_t cmd_text_width(const char *s);

#endif
