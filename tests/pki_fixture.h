/* Shared by the PKI tests: a state directory of their own (K8SW_STATE_DIR
 * pointing into a temporary directory that the group teardown removes),
 * plans that pass validation, and PEM decoding. */
#ifndef K8SW_TESTS_PKI_FIXTURE_H
#define K8SW_TESTS_PKI_FIXTURE_H

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "certs.h"
#include "plan.h"

int pki_fixture_setup(void **state);
int pki_fixture_teardown(void **state);

/* The default plan named name with the given key algorithm and sizes; fails
 * the test unless plancheck_run() finds no error. */
struct plan *pki_fixture_plan(const char *name, int algorithm, unsigned ca_bits,
			      unsigned leaf_bits);

/* Fail the test unless plancheck_run() finds no error in p. */
void pki_fixture_check(const struct plan *p);

/* The PKI directory of cluster name in the test's state directory. */
char *pki_fixture_dir(const char *name);

/* certs_ensure() on plan p in its PKI directory; fails the test on error. */
struct certs *pki_fixture_ensure(const struct plan *p);

X509 *pki_fixture_x509(const char *pem);
EVP_PKEY *pki_fixture_key(const char *pem);

/* The whole file at dir/name, or NULL when it does not exist. */
char *pki_fixture_read(const char *dir, const char *name);

#endif
