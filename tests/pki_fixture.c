/* Fixtures of the PKI tests: a throw-away state directory and valid plans. */
#include "config.h"

#include "pki_fixture.h"

#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/pem.h>

#include "fileio.h"
#include "plancheck.h"
#include "problem.h"
#include "statedir.h"
#include "xmalloc.h"

static char *fixture_root;

int pki_fixture_setup(void **state)
{
	const char *tmp = getenv("TMPDIR");

	(void)state;
	fixture_root = xasprintf("%s/k8sw-pki-test.XXXXXX", tmp != NULL && *tmp == '/' ? tmp : "/tmp");
	if (mkdtemp(fixture_root) == NULL)
		return -1;
	return setenv("K8SW_STATE_DIR", fixture_root, 1);
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

int pki_fixture_teardown(void **state)
{
	(void)state;
	if (fixture_root != NULL)
		nftw(fixture_root, remove_one, 16, FTW_DEPTH | FTW_PHYS);
	xfree(&fixture_root);
	return 0;
}

struct plan *pki_fixture_plan(const char *name, int algorithm, unsigned ca_bits,
			      unsigned leaf_bits)
{
	struct plan *p = plan_new_default();

	plan_set_string(&p->name, name);
	p->pki.algorithm = algorithm;
	p->pki.ca_key_size = ca_bits;
	p->pki.leaf_key_size = leaf_bits;
	pki_fixture_check(p);
	return p;
}

void pki_fixture_check(const struct plan *p)
{
	struct problems problems = { 0 };

	plancheck_run(p, &problems);
	for (size_t i = 0; i < problems.n; i++)
		print_message("plan %s: %s: %s\n", p->name, problems.v[i].path,
			      problems.v[i].message);
	assert_int_equal(problems_count(&problems, PROBLEM_ERROR), 0);
	problems_clear(&problems);
}

char *pki_fixture_dir(const char *name)
{
	char *err = NULL;
	char *base = statedir_path(name, &err);
	char *dir = NULL;

	assert_non_null(base);
	dir = xasprintf("%s/pki", base);
	free(base);
	return dir;
}

struct certs *pki_fixture_ensure(const struct plan *p)
{
	struct certs *c = NULL;
	char *err = NULL;
	char *dir = pki_fixture_dir(p->name);
	int rc = certs_ensure(p, dir, &c, &err);

	if (rc != 0)
		print_message("certs_ensure: %s\n", err);
	assert_int_equal(rc, 0);
	assert_null(err);
	assert_non_null(c);
	free(dir);
	return c;
}

X509 *pki_fixture_x509(const char *pem)
{
	BIO *bio = BIO_new_mem_buf(pem, -1);
	X509 *x = PEM_read_bio_X509(bio, NULL, NULL, NULL);

	BIO_free(bio);
	assert_non_null(x);
	return x;
}

EVP_PKEY *pki_fixture_key(const char *pem)
{
	BIO *bio = BIO_new_mem_buf(pem, -1);
	EVP_PKEY *k = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);

	BIO_free(bio);
	assert_non_null(k);
	return k;
}

char *pki_fixture_read(const char *dir, const char *name)
{
	char *path = xasprintf("%s/%s", dir, name);
	char *text = NULL, *err = NULL;
	int rc = fileio_read(path, 1 << 20, &text, NULL, &err);

	if (rc < 0)
		print_message("%s\n", err);
	assert_true(rc >= 0);
	free(path);
	return rc == 0 ? text : NULL;
}
