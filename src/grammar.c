/* Strict grammars for plan values: hand-written recognisers, one per kind of
 * value, so that what reaches a host is known character by character. */
#include "config.h"

#include "grammar.h"

#include <stdlib.h>
#include <string.h>

#include "net.h"
#include "nls.h"
#include "resyntax.h"
#include "xmalloc.h"

static bool is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_alnum(char c)
{
	return is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

/* An RFC 1123 label of n characters at s. */
static bool label_ok(const char *s, size_t n)
{
	if (n == 0 || n > 63 || !is_lower_alnum(s[0]) || !is_lower_alnum(s[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!is_lower_alnum(s[i]) && s[i] != '-')
			return false;
	}
	return true;
}

/* A DNS name of n characters at s: labels joined by dots. */
static bool domain_ok(const char *s, size_t n)
{
	size_t start = 0;

	if (n == 0 || n > 253)
		return false;
	for (size_t i = 0; i <= n; i++) {
		if (i == n || s[i] == '.') {
			if (!label_ok(s + start, i - start))
				return false;
			start = i + 1;
		}
	}
	return true;
}

/* A decimal port 1-65535 of n characters at s. */
static bool port_ok(const char *s, size_t n, unsigned *out)
{
	unsigned v = 0;

	if (n == 0 || n > 5 || s[0] == '0')
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!is_digit(s[i]))
			return false;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (out != NULL)
		*out = v;
	return v >= 1 && v <= 65535;
}

static bool addr_ok(const char *s, size_t n, enum net_family want)
{
	char buf[NET_ADDRSTRLEN];
	struct net_addr a;

	if (n == 0 || n >= sizeof buf)
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return net_addr_parse(buf, &a) == 0 && (want == 0 || a.family == want);
}

/* host[:port], host a DNS name, an IPv4 address or [IPv6]. The end of the host
 * is returned in *host_end. */
static bool hostport_ok(const char *s, size_t n, size_t *host_end, unsigned *port)
{
	size_t h = 0;

	if (port != NULL)
		*port = 0;
	if (n > 0 && s[0] == '[') {
		const char *close = memchr(s, ']', n);

		if (close == NULL || !addr_ok(s + 1, (size_t)(close - s) - 1, NET_IPV6))
			return false;
		h = (size_t)(close - s) + 1;
	} else {
		const char *colon = memchr(s, ':', n);

		h = colon != NULL ? (size_t)(colon - s) : n;
		if (!domain_ok(s, h) && !addr_ok(s, h, NET_IPV4))
			return false;
	}
	if (host_end != NULL)
		*host_end = h;
	if (h == n)
		return true;
	return s[h] == ':' && port_ok(s + h + 1, n - h - 1, port);
}

/* One path component of an image name: [a-z0-9]+ joined by '.', '_', '__' or
 * runs of '-'. */
static bool image_component_ok(const char *s, size_t n)
{
	if (n == 0 || !is_lower_alnum(s[0]) || !is_lower_alnum(s[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (is_lower_alnum(s[i]))
			continue;
		if (s[i] == '.' || s[i] == '_') {
			size_t run = s[i] == '_' && s[i + 1] == '_' ? 2 : 1;

			if (!is_lower_alnum(s[i + run]))
				return false;
			i += run - 1;
			continue;
		}
		if (s[i] != '-')
			return false;
	}
	return true;
}

/* A repository: [registry/]component(/component)*. The registry is the first
 * part when it has a '.', a ':' or is "localhost", as in Docker. */
static bool repo_ok(const char *s, size_t n)
{
	const char *slash = memchr(s, '/', n);
	size_t start = 0;

	if (n == 0 || n > 255)
		return false;
	if (slash != NULL) {
		size_t first = (size_t)(slash - s);

		if (memchr(s, '.', first) != NULL || memchr(s, ':', first) != NULL ||
		    (first == 9 && memcmp(s, "localhost", 9) == 0)) {
			if (!hostport_ok(s, first, NULL, NULL))
				return false;
			start = first + 1;
		}
	}
	for (size_t i = start; i <= n; i++) {
		if (i == n || s[i] == '/') {
			if (!image_component_ok(s + start, i - start))
				return false;
			start = i + 1;
		}
	}
	return true;
}

static bool tag_ok(const char *s, size_t n)
{
	if (n == 0 || n > 128 || !(is_alnum(s[0]) || s[0] == '_'))
		return false;
	for (size_t i = 1; i < n; i++) {
		if (!is_alnum(s[i]) && s[i] != '_' && s[i] != '.' && s[i] != '-')
			return false;
	}
	return true;
}

static bool digest_ok(const char *s)
{
	size_t n = strlen(s);

	if (strncmp(s, "sha256:", 7) != 0 || n != 7 + 64)
		return false;
	for (size_t i = 7; i < n; i++) {
		if (!is_digit(s[i]) && !(s[i] >= 'a' && s[i] <= 'f'))
			return false;
	}
	return true;
}

/* repository[:tag][@sha256:digest], with a tag or a digest (no implicit latest). */
static bool image_ok(const char *s)
{
	const char *at = strchr(s, '@');
	size_t n = at != NULL ? (size_t)(at - s) : strlen(s);
	const char *last_slash = NULL;
	const char *colon = NULL;

	if (at != NULL && !digest_ok(at + 1))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '/')
			last_slash = s + i;
	}
	colon = memchr(last_slash != NULL ? last_slash : s, ':',
		       n - (size_t)((last_slash != NULL ? last_slash : s) - s));
	if (colon == NULL)
		return at != NULL && repo_ok(s, n);
	return repo_ok(s, (size_t)(colon - s)) && tag_ok(colon + 1, n - (size_t)(colon - s) - 1);
}

/* Characters allowed in a path: no shell, TOML or YAML specials. */
static bool path_chars_ok(const char *s)
{
	for (; *s != '\0'; s++) {
		if (!is_alnum(*s) && strchr("._/+-", *s) == NULL)
			return false;
	}
	return true;
}

/* True when some component of the path is "..". */
static bool has_dotdot(const char *s)
{
	for (const char *c = s; (c = strstr(c, "..")) != NULL; c += 2) {
		if ((c == s || c[-1] == '/') && (c[2] == '\0' || c[2] == '/'))
			return true;
	}
	return false;
}

/* A path on a host is absolute and says plainly where it goes; one on the jump
 * host may be relative or start with ~/. */
static bool path_ok(const char *s, bool local)
{
	size_t n = strlen(s);

	if (n == 0 || n > 4096)
		return false;
	if (local && strncmp(s, "~/", 2) == 0)
		s += 2;
	else if (!local && (s[0] != '/' || has_dotdot(s)))
		return false;
	return path_chars_ok(s);
}

static bool url_ok(const char *s)
{
	const char *rest = NULL;
	size_t hp;

	if (strncmp(s, "https://", 8) == 0)
		rest = s + 8;
	else if (strncmp(s, "http://", 7) == 0)
		rest = s + 7;
	else
		return false;
	if (strlen(s) > 2048)
		return false;
	hp = strcspn(rest, "/");
	if (!hostport_ok(rest, hp, NULL, NULL))
		return false;
	for (const char *c = rest + hp; *c != '\0'; c++) {
		if (!is_alnum(*c) && strchr("._~/%+-", *c) == NULL)
			return false;
	}
	return true;
}

/* A registry mirror: a URL whose path containerd takes as written. '%' would
 * be decoded by containerd (so the path it asks for is not the one shown), and
 * empty, '.' and '..' segments would be folded by its path.Clean. */
static bool mirror_ok(const char *s)
{
	const char *p = NULL;
	size_t len;

	if (!url_ok(s))
		return false;
	p = strchr(strstr(s, "://") + 3, '/');
	if (p == NULL)
		return true;
	if (strchr(p, '%') != NULL)
		return false;
	len = strlen(p);
	while (len > 0 && p[len - 1] == '/')
		len--;
	for (size_t i = 0; i < len;) {
		size_t seg = strcspn(p + i + 1, "/");

		if (seg == 0 || (seg == 1 && p[i + 1] == '.') ||
		    (seg == 2 && p[i + 1] == '.' && p[i + 2] == '.'))
			return false;
		i += seg + 1;
	}
	return true;
}

static bool version_ok(const char *s)
{
	size_t i = s[0] == 'v' ? 1 : 0;

	for (int part = 0; part < 3; part++) {
		size_t start = i;

		while (is_digit(s[i]))
			i++;
		if (i == start || i - start > 6)
			return false;
		if (part < 2 && s[i++] != '.')
			return false;
	}
	if (s[i] == '\0')
		return true;
	if (s[i] != '-' || s[i + 1] == '\0')
		return false;
	for (i++; s[i] != '\0'; i++) {
		if (!is_alnum(s[i]) && s[i] != '.' && s[i] != '-')
			return false;
	}
	return true;
}

static bool user_ok(const char *s, size_t n)
{
	if (n == 0 || n > 32 || !((s[0] >= 'a' && s[0] <= 'z') || s[0] == '_'))
		return false;
	for (size_t i = 1; i < n; i++) {
		if (!is_lower_alnum(s[i]) && s[i] != '_' && s[i] != '-')
			return false;
	}
	return true;
}

int grammar_parse_bastion(const char *s, struct bastion *out)
{
	const char *at = strchr(s, '@');
	const char *host = at != NULL ? at + 1 : s;
	size_t n = strlen(host);
	size_t host_end = 0;

	memset(out, 0, sizeof *out);
	if (at != NULL) {
		if (!user_ok(s, (size_t)(at - s)))
			return -1;
		memcpy(out->user, s, (size_t)(at - s));
	}
	if (!hostport_ok(host, n, &host_end, &out->port))
		return -1;
	if (host[0] == '[')
		memcpy(out->host, host + 1, host_end - 2);
	else
		memcpy(out->host, host, host_end);
	return 0;
}

int grammar_parse_port_range(const char *s, unsigned *low, unsigned *high)
{
	const char *dash = strchr(s, '-');

	if (dash == NULL || !port_ok(s, (size_t)(dash - s), low) ||
	    !port_ok(dash + 1, strlen(dash + 1), high) || *low > *high)
		return -1;
	return 0;
}

static bool subject_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 64 || s[0] == ' ' || s[n - 1] == ' ')
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!is_alnum(s[i]) && strchr(" ._:-", s[i]) == NULL)
			return false;
	}
	return true;
}

static bool token_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 128)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!is_alnum(s[i]) && strchr("._-", s[i]) == NULL)
			return false;
	}
	return true;
}

bool grammar_check(enum plan_grammar g, const char *s, const char **why)
{
	struct net_cidr c;
	const char *cwhy = NULL;
	struct bastion b;
	bool ok = false;
	const char *msg = NULL;

	switch (g) {
	case GR_NONE:
		return true;
	case GR_LABEL:
		ok = label_ok(s, strlen(s));
		msg = N_("use 1 to 63 lowercase letters, digits and '-', starting and ending "
			 "with a letter or digit (RFC 1123)");
		break;
	case GR_DOMAIN:
		ok = domain_ok(s, strlen(s));
		msg = N_("use a DNS name: lowercase labels of letters, digits and '-' joined "
			 "by dots, like cluster.local");
		break;
	case GR_REGISTRY:
		ok = hostport_ok(s, strlen(s), NULL, NULL);
		msg = N_("use a registry host name with an optional port, like docker.io or "
			 "registry.local:5000");
		break;
	case GR_ADDR:
		ok = addr_ok(s, strlen(s), 0);
		msg = N_("use an IPv4 address like 10.1.1.1 or an IPv6 address like fd00::1");
		break;
	case GR_ADDR4:
		ok = addr_ok(s, strlen(s), NET_IPV4);
		msg = N_("use an IPv4 address like 169.254.20.10");
		break;
	case GR_CIDR:
	case GR_CIDR4:
		ok = net_cidr_parse(s, &c, &cwhy) == 0 &&
		     (g == GR_CIDR || c.addr.family == NET_IPV4);
		msg = g == GR_CIDR ? N_("use a network as ADDRESS/PREFIX with the host bits zero, "
					"like 192.168.0.0/16 or fd00:10::/108")
				   : N_("use an IPv4 network as ADDRESS/PREFIX with the host bits "
					"zero, like 10.1.1.0/24");
		break;
	case GR_IMAGE:
		ok = image_ok(s);
		msg = N_("use an image reference with a tag, like registry.example.com/team/"
			 "name:v1.2.3 (lowercase repository, tag of letters, digits, '.', '_', '-')");
		break;
	case GR_REPO:
		ok = repo_ok(s, strlen(s));
		msg = N_("use a repository without a tag, like registry.example.com/team");
		break;
	case GR_URL:
		ok = url_ok(s);
		/* xgettext:no-c-format */
		msg = N_("use an http:// or https:// URL like https://mirror.example.com/path "
			 "(letters, digits and ._~/%+- in the path; no spaces, quotes or queries)");
		break;
	case GR_MIRROR:
		ok = mirror_ok(s);
		/* xgettext:no-c-format */
		msg = N_("use an http:// or https:// URL like https://mirror.example.com or "
			 "https://mirror.example.com/docker.io (letters, digits and ._~/+- in the "
			 "path; no empty, '.' or '..' parts, no spaces, quotes, '%' or queries)");
		break;
	case GR_PATH:
		ok = path_ok(s, false);
		msg = N_("use an absolute path of letters, digits and ._/+- like /data/etcd");
		break;
	case GR_LOCALPATH:
		ok = path_ok(s, true);
		msg = N_("use a path of letters, digits and ._/+- (it may start with ~/)");
		break;
	case GR_VERSION:
		ok = version_ok(s);
		msg = N_("use a version like v1.29.7 or 1.7.20");
		break;
	case GR_USER:
		ok = user_ok(s, strlen(s));
		msg = N_("use a user name of lowercase letters, digits, '_' and '-' starting "
			 "with a letter or '_' (at most 32)");
		break;
	case GR_BASTION:
		ok = grammar_parse_bastion(s, &b) == 0;
		msg = N_("use [user@]host[:port], like ops@jump.example.com:22");
		break;
	case GR_REGEX:
		/* The approver is written in Go: RE2 syntax, within fixed bounds. */
		ok = resyntax_check(s, &msg);
		break;
	case GR_SUBJECT:
		ok = subject_ok(s);
		msg = N_("use 1 to 64 letters, digits, spaces and ._:- (no commas, slashes or "
			 "quotes)");
		break;
	case GR_COUNTRY:
		ok = strlen(s) == 2 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z';
		msg = N_("use a two-letter country code in capitals, like CN");
		break;
	case GR_TOKEN:
		ok = token_ok(s);
		msg = N_("use letters, digits and ._- (at most 128)");
		break;
	case GR_PORTRANGE: {
		unsigned low, high;

		ok = grammar_parse_port_range(s, &low, &high) == 0;
		msg = N_("use a range of ports LOW-HIGH, both 1 to 65535, like 30000-32767");
		break;
	}
	case GR_HOST:
		ok = domain_ok(s, strlen(s)) || addr_ok(s, strlen(s), 0);
		msg = N_("use a DNS name like ntp.aliyun.com or an IPv4 or IPv6 address");
		break;
	}
	if (!ok && why != NULL)
		*why = _(msg);
	return ok;
}

char *grammar_mirror_root(const char *url, bool *override_path)
{
	const char *host = NULL, *p = NULL;
	char *root = NULL;
	size_t len;
	bool has_v2 = false;

	*override_path = false;
	if (!mirror_ok(url))
		goto out;
	host = strstr(url, "://") + 3;
	p = host + strcspn(host, "/");
	len = strlen(p);
	while (len > 0 && p[len - 1] == '/')
		len--;
	for (size_t i = 0; i < len; i += strcspn(p + i + 1, "/") + 1) {
		if (strncmp(p + i, "/v2", 3) == 0 && (i + 3 == len || p[i + 3] == '/'))
			has_v2 = true;
	}
	*override_path = len > 0;
	root = xasprintf("%.*s%s", (int)(p - url + len), url, len > 0 && !has_v2 ? "/v2" : "");
out:
	return root;
}
