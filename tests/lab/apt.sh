# Sourced by the lab and the tests that need Debian packages installed.
#
# apt_install PKG...: install them, as root, without starting their services on
# this machine (a policy-rc.d that refuses every start while apt runs, removed
# after unless it was there before); the package lists are updated only when
# the first try fails (a fresh machine). apt's output goes to stderr. Returns
# non-zero when they could not be installed.
apt_install() {
	apt_policy=
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
		chmod 755 /usr/sbin/policy-rc.d
		apt_policy=1
	fi
	apt_rc=0
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" >&2 ||
		{ apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive \
			apt-get install -y -q --no-install-recommends "$@" >&2; } || apt_rc=1
	[ -z "$apt_policy" ] || rm -f /usr/sbin/policy-rc.d
	return $apt_rc
}
