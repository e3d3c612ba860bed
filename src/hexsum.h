/* SHA-256 sums as lower-case hex, the form the journal, the bundle lock,
 * uploads and render MANIFESTs compare. Allocation failures inside OpenSSL
 * end the program (xalloc_die), as elsewhere. */
#ifndef K8SW_HEXSUM_H
#define K8SW_HEXSUM_H

#include <stddef.h>

#define HEXSUM_LEN 64

struct evp_md_ctx_st;

/* Finish ctx (started with EVP_sha256()) into out. */
void hexsum_final(struct evp_md_ctx_st *ctx, char out[HEXSUM_LEN + 1]);

/* The sum of len bytes. */
void hexsum_data(const void *data, size_t len, char out[HEXSUM_LEN + 1]);

/* The sum of a file's content. Returns 0; 1 when the file does not exist;
 * -1 with *err set (caller frees) and errno kept when it cannot be read. */
int hexsum_file(const char *path, char out[HEXSUM_LEN + 1], char **err);

#endif
