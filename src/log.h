/* One logger for the whole program: levels, subsystem masks and a swappable
 * sink. Until a front end installs a sink, messages go nowhere (the library
 * never prints); K8SW_DEBUG=ssh,engine (or "all") turns on debug messages of
 * those subsystems. Secrets never reach a log call: pass names, not values. */
#ifndef K8SW_LOG_H
#define K8SW_LOG_H

enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };

enum log_subsystem {
	LOGS_PLAN = 1 << 0,
	LOGS_SSH = 1 << 1,
	LOGS_PKI = 1 << 2,
	LOGS_RENDER = 1 << 3,
	LOGS_ENGINE = 1 << 4,
	LOGS_UI = 1 << 5,
};

/* A sink receives each message that passes the filters, without newline. It
 * may be called from any thread; log serialises calls. */
typedef void (*log_sink)(enum log_level level, enum log_subsystem sub, const char *msg,
			 void *data);

void log_set_sink(log_sink sink, void *data);

/* Read K8SW_DEBUG; called once by main(). */
void log_init_from_env(void);

void log_msg(enum log_level level, enum log_subsystem sub, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define log_debug(sub, ...) log_msg(LOG_DEBUG, sub, __VA_ARGS__)
#define log_info(sub, ...) log_msg(LOG_INFO, sub, __VA_ARGS__)
#define log_warn(sub, ...) log_msg(LOG_WARN, sub, __VA_ARGS__)
#define log_error(sub, ...) log_msg(LOG_ERROR, sub, __VA_ARGS__)

/* The name of a subsystem ("ssh") and of a level ("debug"). */
const char *log_subsystem_name(enum log_subsystem sub);
const char *log_level_name(enum log_level level);

#endif
