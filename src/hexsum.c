/* SHA-256 sums as lower-case hex: of a finished digest, of bytes in memory,
 * of a file. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "hexsum.h"
#include "nls.h"
#include "xmalloc.h"

static void to_hex(const unsigned char *md, unsigned int n, char out[HEXSUM_LEN + 1])
{
	static const char digits[] = "0123456789abcdef";

	for (unsigned int i = 0; i < n && i < HEXSUM_LEN / 2; i++) {
		out[2 * i] = digits[md[i] >> 4];
		out[2 * i + 1] = digits[md[i] & 0xf];
	}
	out[HEXSUM_LEN] = '\0';
}

void hexsum_final(EVP_MD_CTX *ctx, char out[HEXSUM_LEN + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	if (!EVP_DigestFinal_ex(ctx, md, &n))
		xalloc_die("EVP_DigestFinal_ex");
	to_hex(md, n, out);
}

void hexsum_data(const void *data, size_t len, char out[HEXSUM_LEN + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	if (!EVP_Digest(data, len, md, &n, EVP_sha256(), NULL))
		xalloc_die("EVP_Digest");
	to_hex(md, n, out);
}

int hexsum_file(const char *path, char out[HEXSUM_LEN + 1], char **err)
{
	unsigned char buf[65536];
	EVP_MD_CTX *ctx = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = 0;
	int rc = -1, saved;

	*err = NULL;
	if (fd < 0 && errno == ENOENT)
		return 1;
	if (fd < 0)
		goto fail;
	ctx = EVP_MD_CTX_new();
	if (ctx == NULL || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL))
		xalloc_die("EVP_DigestInit_ex");
	while ((n = read(fd, buf, sizeof buf)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto fail;
		if (!EVP_DigestUpdate(ctx, buf, (size_t)n))
			xalloc_die("EVP_DigestUpdate");
	}
	hexsum_final(ctx, out);
	rc = 0;
	goto out;
fail:
	saved = errno;
	/* L10N: a path and the system's error message. */
	*err = xasprintf(_("cannot read %s: %s"), path, strerror(saved));
	errno = saved;
out:
	EVP_MD_CTX_free(ctx);
	if (fd >= 0)
		close(fd);
	return rc;
}
