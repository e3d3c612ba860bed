/* The logger: filters by level and subsystem, formats once and hands the line
 * to the installed sink under a lock. */
#include "config.h"

#include "log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static log_sink log_current_sink;
static void *log_sink_data;
static unsigned log_debug_mask;

static const struct {
	enum log_subsystem sub;
	const char *name;
} log_subsystems[] = {
	{ LOGS_PLAN, "plan" },     { LOGS_SSH, "ssh" },       { LOGS_PKI, "pki" },
	{ LOGS_RENDER, "render" }, { LOGS_ENGINE, "engine" }, { LOGS_UI, "ui" },
};

void log_set_sink(log_sink sink, void *data)
{
	pthread_mutex_lock(&log_lock);
	log_current_sink = sink;
	log_sink_data = data;
	pthread_mutex_unlock(&log_lock);
}

void log_init_from_env(void)
{
	const char *env = getenv("K8SW_DEBUG");
	const size_t n = sizeof log_subsystems / sizeof log_subsystems[0];

	log_debug_mask = 0;
	while (env != NULL && *env != '\0') {
		size_t len = strcspn(env, ",");

		if (len == 3 && strncmp(env, "all", 3) == 0)
			log_debug_mask = ~0u;
		for (size_t i = 0; i < n; i++) {
			if (strlen(log_subsystems[i].name) == len &&
			    strncmp(log_subsystems[i].name, env, len) == 0)
				log_debug_mask |= (unsigned)log_subsystems[i].sub;
		}
		env += len;
		if (*env == ',')
			env++;
	}
}

const char *log_subsystem_name(enum log_subsystem sub)
{
	for (size_t i = 0; i < sizeof log_subsystems / sizeof log_subsystems[0]; i++) {
		if (log_subsystems[i].sub == sub)
			return log_subsystems[i].name;
	}
	return "?";
}

const char *log_level_name(enum log_level level)
{
	static const char *const names[] = { "error", "warning", "info", "debug" };

	return level <= LOG_DEBUG ? names[level] : "?";
}

void log_msg(enum log_level level, enum log_subsystem sub, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	if (level == LOG_DEBUG && !(log_debug_mask & (unsigned)sub))
		return;
	pthread_mutex_lock(&log_lock);
	if (log_current_sink != NULL) {
		va_start(ap, fmt);
		vsnprintf(msg, sizeof msg, fmt, ap);
		va_end(ap);
		log_current_sink(level, sub, msg, log_sink_data);
	}
	pthread_mutex_unlock(&log_lock);
}
