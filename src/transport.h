/* What the install engine needs of its connections to the hosts, as a table
 * of operations: the SSH transport is one implementation (transport_ssh.c),
 * the unit tests' scripted hosts another. One handle per plan host, used by
 * one thread at a time; cancel may come from any thread. */
#ifndef K8SW_TRANSPORT_H
#define K8SW_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "remote.h"

/* Why an operation failed, beyond "the command exited non-zero". */
enum transport_cause {
	TRANSPORT_OK,
	TRANSPORT_REFUSED,     /* host key, authentication, sudo: retrying cannot help */
	TRANSPORT_UNREACHABLE, /* no connection could be made */
	TRANSPORT_LOST,        /* the connection dropped or the host went silent */
	TRANSPORT_CANCELLED,   /* cancel() */
	TRANSPORT_LOCAL,       /* something on the jump host (a bundle file unreadable) */
	TRANSPORT_FAILED,      /* the host refused the operation (a failed upload check) */
};

/* A file to place on a host: bytes in memory or a file of the bundle. */
struct transport_file {
	const char *dest;      /* absolute path on the host */
	unsigned mode;
	const char *owner;     /* "root:root" or NULL */
	const void *data;      /* in memory (rendered), or NULL */
	size_t len;
	const char *path;      /* a bundle file on the jump host, when data is NULL */
	bool secret;           /* never show the content */
};

typedef void (*transport_progress_fn)(uint64_t sent, uint64_t total, void *data);

/* A byte stream from the host to a TCP port it can reach. */
struct transport_stream {
	ssize_t (*read)(void *ctx, void *buf, size_t len, int timeout_ms, char **err);
	int (*write)(void *ctx, const void *buf, size_t len, char **err);
	void *ctx;
};

struct transport_ops {
	/* The handle of plan host i (not yet connected). */
	void *(*open)(void *ctx, size_t host);
	void (*close)(void *h);
	/* Connect (and check sudo) if not connected. 0, or -1 with *err. */
	int (*connect)(void *h, char **err);
	/* As remote_run(): 0 when the command ran to an end (res says how). */
	int (*run)(void *h, const struct remote_cmd *cmd, struct remote_result *res, char **err);
	/* Place a file; *skipped when the host had it already. 0, or -1. */
	int (*upload)(void *h, const struct transport_file *f, transport_progress_fn progress,
		      void *data, bool *skipped, char **err);
	/* Open a stream to addr:port as seen from the host; close it with
	 * stream_close. 0, or -1 with *err. */
	int (*stream_open)(void *h, const char *addr, unsigned port, struct transport_stream *s,
			   char **err);
	void (*stream_close)(struct transport_stream *s);
	/* End what runs on h now and refuse new work until cancel_clear(). */
	void (*cancel)(void *h);
	void (*cancel_clear)(void *h);
	/* Why the last failed operation on h failed. */
	enum transport_cause (*cause)(void *h);
};

/* "lost", "refused"... for messages and logs. */
const char *transport_cause_name(enum transport_cause cause);

#endif
