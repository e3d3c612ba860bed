/* Driver for tests/lab-ssh.sh: an upload whose stream ends half-way, as when
 * the connection or the client dies mid-transfer. Runs the transport's own
 * upload script with only the first half of the data and checks that the
 * script refuses it. The shell test then checks the destination on the host.
 * Usage: lab_upload ADDRESS PORT KEY KNOWN_HOSTS FILE DEST */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "remote.h"
#include "remote_int.h"
#include "xmalloc.h"

int main(int argc, char **argv)
{
	struct remote_config config = { 0 };
	struct remote_target target = { 0 };
	struct remote_ctx *ctx = NULL;
	struct remote *r = NULL;
	struct remote_file *file = NULL;
	struct remote_result res;
	struct remote_cmd cmd = { 0 };
	char *err = NULL, *script = NULL, *half = NULL;
	size_t len = 1 << 20;
	FILE *f = NULL;
	int rc = 1;

	if (argc != 7) {
		fprintf(stderr, "usage: lab_upload ADDRESS PORT KEY KNOWN_HOSTS FILE DEST\n");
		return 2;
	}
	config.identity_file = argv[3];
	config.known_hosts = argv[4];
	target.name = argv[1];
	target.address = argv[1];
	target.port = (unsigned)strtoul(argv[2], NULL, 10);
	file = remote_file_open(argv[5], &err);
	f = fopen(argv[5], "rb");
	if (file == NULL || f == NULL) {
		fprintf(stderr, "lab_upload: %s\n", err != NULL ? err : argv[5]);
		goto out;
	}
	half = xmalloc(len);
	if (fread(half, 1, len, f) != len || remote_file_size(file) <= len) {
		fprintf(stderr, "lab_upload: %s is too small\n", argv[5]);
		goto out;
	}
	ctx = remote_ctx_new(&config);
	r = remote_new(ctx, &target);
	script = upload_script(argv[6], file, 0644, NULL, false);
	cmd.command = script;
	cmd.input = half;
	cmd.input_len = len;
	if (remote_run(r, &cmd, &res, &err) < 0) {
		fprintf(stderr, "lab_upload: %s\n", err);
		goto out;
	}
	if (res.status != REMOTE_EXITED || res.exit_code == 0) {
		fprintf(stderr, "lab_upload: the host accepted a partial upload\n");
		goto out;
	}
	rc = 0;
out:
	if (f != NULL)
		fclose(f);
	free(half);
	free(script);
	free(err);
	remote_free(&r);
	remote_ctx_free(&ctx);
	remote_file_free(&file);
	return rc;
}
