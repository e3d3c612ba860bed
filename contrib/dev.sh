#!/bin/sh
# The README's three commands. On a fresh Debian 12 machine, as root:
#   sh contrib/dev.sh run     install what is needed, build, start k8s-wizard
#                             in the language of LANG (the locale generated
#                             when missing, the build tree's translations)
#   sh contrib/dev.sh check   install what is needed, build, run every test
#   sh contrib/dev.sh demo    install what is needed, build, start the lab's
#                             hosts (tests/lab/machines.sh) and the wizard on
#                             a plan that points at them; quitting the wizard
#                             stops the hosts
#   sh contrib/dev.sh deb     build the Debian package from the dist tarball,
#                             run lintian, install it, run it, remove it
# "check" is what CI runs: a -Werror build with make check, the same tests
# under AddressSanitizer + UndefinedBehaviorSanitizer, the core library's unit
# tests under valgrind, make distcheck and the deb step.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
jobs=$(nproc 2>/dev/null || echo 2)

# Build dependencies, then what the tests run for real (sshd, etcd, tmux...).
BUILD_DEPS="build-essential autoconf automake autopoint gettext pkg-config
	libncurses-dev libssh-dev libssl-dev libyaml-dev libjson-c-dev libcmocka-dev
	libcurl4-openssl-dev libarchive-dev"
TEST_DEPS="valgrind clang libclang-rt-14-dev tmux locales openssh-server openssh-client
	etcd-server etcd-client golang-cfssl pssh haproxy iproute2 procps time python3 openssl
	sudo attr python3-yaml debootstrap systemd-container util-linux containerd man-db"

# For the deb step only: what dpkg-buildpackage and lintian need, and the
# package's Build-Depends beyond BUILD_DEPS.
DEB_DEPS="debhelper devscripts lintian fakeroot dpkg-dev man-db
	libcurl4-openssl-dev libarchive-dev"

step() {
	printf '\n==> %s\n' "$*"
}

install_deps() {
	missing=
	for p in $BUILD_DEPS ${1:-}; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' ||
			missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	# K8SW_DEV_NO_INSTALL=1 (tests/tui-readme.sh): say what is missing, install nothing.
	if [ "$(id -u)" != 0 ] || [ "${K8SW_DEV_NO_INSTALL:-0}" = 1 ]; then
		echo "missing packages:$missing" >&2
		echo "run this as root, or install them: apt-get install$missing" >&2
		exit 1
	fi
	step "installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q
	# shellcheck disable=SC2086
	apt-get install -y -q --no-install-recommends $missing
}

# show_failures DIR: the logs of the tests that failed in build tree
# DIR, each whole up to its last 400 lines (a CI log shows nothing else).
show_failures() {
	for trs in "$1"/tests/*.trs; do
		grep -qE '^:test-result: (FAIL|ERROR|XPASS)' "$trs" 2>/dev/null || continue
		log=${trs%.trs}.log
		printf '\n==> %s failed; its log:\n' "${log#"$1"/}"
		tail -n 400 "$log"
	done
}

# ensure_locale: the locale LC_ALL, LC_MESSAGES or LANG asks for, generated
# when this system lacks it (a fresh Debian has only C.UTF-8); without it
# setlocale() fails and the wizard runs in English, without UTF-8. It is
# also added to /etc/locale.gen, so that locale-gen keeps it.
ensure_locale() {
	want=${LC_ALL:-${LC_MESSAGES:-${LANG:-}}}
	case $want in
	'' | C | POSIX | C.*) return 0 ;;
	esac
	norm=$(printf '%s' "$want" | tr 'A-Z' 'a-z' | sed 's/utf-8$/utf8/')
	locale -a 2>/dev/null | tr 'A-Z' 'a-z' | grep -qxF "$norm" && return 0
	# The locale and its charset as Debian's list spells them.
	line=$(awk -v w="$norm" '{ n = tolower($1); sub(/utf-8$/, "utf8", n) } n == w { print; exit }' \
		/usr/share/i18n/SUPPORTED 2>/dev/null)
	if [ -z "$line" ]; then
		echo "the locale $want is not installed, nor one Debian can generate: k8s-wizard runs in English" >&2
		return 0
	fi
	if [ "$(id -u)" != 0 ]; then
		echo "the locale $want is not installed: k8s-wizard runs in English. As root:" >&2
		echo "  echo '$line' >>/etc/locale.gen && locale-gen" >&2
		return 0
	fi
	step "generating the locale $want"
	grep -qxF "$line" /etc/locale.gen 2>/dev/null || echo "$line" >>/etc/locale.gen
	name=${line%% *}
	localedef -i "${name%%.*}" -f "${line##* }" "$name"
}

# configure_build DIR FLAGS...: a build tree of its own for each flavour.
configure_build() {
	dir=$1
	shift
	[ -x "$top/configure" ] || (cd "$top" && autoreconf -fi)
	mkdir -p "$dir"
	(cd "$dir" && "$top/configure" -q "$@")
}

# build_for_run: what run and demo need before the wizard starts: the
# packages, the build tree $build (K8SW_DEV_BUILD, else build/; tests/tui-readme.sh
# uses make check's), the translations where the uninstalled program is told
# to look (K8SW_LOCALEDIR=$build/locale) and the locale LANG asks for.
build_for_run() {
	install_deps locales
	build=${K8SW_DEV_BUILD:-$top/build}
	[ -f "$build/Makefile" ] || configure_build "$build"
	step "building"
	make -C "$build" -j"$jobs" -s
	make -C "$build/po" -s install localedir="$build/locale" >/dev/null
	ensure_locale
	K8SW_LOCALEDIR="$build/locale"
	export K8SW_LOCALEDIR
}

# deb_package DIR: the Debian package built from DIR's make dist tarball in a
# directory of its own (the source tree and its build trees are left as they
# are), lintian (errors fail), then installed, run (--version, render of the
# default plan) with a throw-away HOME and state, and removed again.
deb_package() {
	dir=$1
	if dpkg-query -W -f='${Status}\n' k8s-wizard 2>/dev/null | grep -q '^install ok installed'; then
		echo "k8s-wizard is installed on this machine; the deb step installs and" >&2
		echo "removes its own package: apt-get remove k8s-wizard first" >&2
		exit 1
	fi
	[ -f "$dir/Makefile" ] || configure_build "$dir"
	version=$(sed -n 's/^PACKAGE_VERSION = //p' "$dir/Makefile")
	deb=$(mktemp -d /tmp/k8sw-deb.XXXXXX)
	installed=
	deb_cleanup() {
		[ -z "$installed" ] || apt-get remove -y -q k8s-wizard >/dev/null || true
		rm -rf "$deb"
	}
	trap deb_cleanup EXIT
	trap 'exit 130' INT TERM HUP
	step "make dist, unpacked in $deb"
	make -C "$dir" -s dist-gzip
	tar -xzf "$dir/k8s-wizard-$version.tar.gz" -C "$deb"
	step "dpkg-buildpackage -us -uc -b (unit tests only)"
	(cd "$deb/k8s-wizard-$version" &&
		DEB_BUILD_OPTIONS="parallel=$jobs ${DEB_BUILD_OPTIONS:-}" dpkg-buildpackage -us -uc -b)
	step "lintian (errors fail, warnings are shown)"
	lintian --fail-on error --display-info "$deb"/k8s-wizard_"$version"_*.changes
	step "apt-get install ./k8s-wizard_${version}_*.deb"
	installed=1
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$deb"/k8s-wizard_"$version"_*.deb
	step "the installed program, with HOME and state in $deb"
	mkdir -p "$deb/home/k8s-bundle" "$deb/state"
	# The add-ons' manifests render needs: the tests' small stand-ins of the
	# upstream ones (tests/fixtures/bundle/manifests); no binaries.
	cp -R "$top/tests/fixtures/bundle/manifests" "$deb/home/k8s-bundle/"
	(
		cd "$deb"
		unset K8SW_ASSETS_DIR K8SW_LOCALEDIR
		HOME=$deb/home K8SW_STATE_DIR=$deb/state
		export HOME K8SW_STATE_DIR
		set -x
		/usr/bin/k8s-wizard --version
		/usr/bin/k8s-wizard plan init -o "$deb/plan.yaml"
		/usr/bin/k8s-wizard render -f "$deb/plan.yaml" --out "$deb/out"
		test -s "$deb/out/master1/MANIFEST"
		man -w k8s-wizard
		test -f /usr/share/bash-completion/completions/k8s-wizard
		test -f /usr/share/locale/zh_CN/LC_MESSAGES/k8s-wizard.mo
	)
	step "apt-get remove -y k8s-wizard"
	apt-get remove -y -q k8s-wizard
	installed=
	deb_cleanup
	trap - EXIT INT TERM HUP
}

case ${1:-} in
run)
	build_for_run
	shift
	exec "$build/k8s-wizard" "$@"
	;;
demo)
	build_for_run
	shift
	demo=$(mktemp -d /tmp/k8sw-demo.XXXXXX)
	lab_dir=
	# Everything the demo started goes when the wizard ends, however.
	cleanup() {
		[ -z "$lab_dir" ] || sh "$top/tests/lab/machines.sh" stop "$lab_dir" >/dev/null 2>&1 || true
		rm -rf "$demo"
	}
	trap cleanup EXIT
	trap 'exit 130' INT TERM HUP
	step "starting the lab's hosts: master1, node1, node2 (systemd-nspawn; the first time, the base image is built)"
	K8SW="$build/k8s-wizard" sh "$top/tests/lab/machines.sh" start --dir "$demo/lab" \
		master1 node1 node2 >"$demo/lab.env"
	. "$demo/lab.env"
	lab_dir=$LAB_DIR
	# The lab's kernel has no IPVS: kube-proxy in iptables mode.
	sed 's/kubeProxyMode: ipvs/kubeProxyMode: iptables/' "$LAB_PLAN" >"$demo/plan.yaml"
	step "the wizard on $demo/plan.yaml; state in $demo/state (removed at the end)"
	K8SW_STATE_DIR="$demo/state"
	export K8SW_STATE_DIR
	# Not exec: the hosts are stopped when the wizard ends.
	"$build/k8s-wizard" --plan "$demo/plan.yaml" --known-hosts "$LAB_KNOWN_HOSTS" \
		--demo "$@" || true
	step "stopping the lab's hosts"
	;;
check)
	install_deps "$TEST_DEPS"
	step "autoreconf"
	(cd "$top" && autoreconf -fi)
	step "build with -Werror and make check"
	configure_build "$top/build-check" --enable-werror
	make -C "$top/build-check" -j"$jobs" check || {
		show_failures "$top/build-check"
		exit 1
	}
	step "the same tests under AddressSanitizer + UndefinedBehaviorSanitizer"
	configure_build "$top/build-asan" --enable-werror --enable-asan --enable-debug
	ASAN_OPTIONS=detect_leaks=1 LSAN_OPTIONS=suppressions="$top/tests/lsan.supp" \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		make -C "$top/build-asan" -j"$jobs" check || {
		show_failures "$top/build-asan"
		exit 1
	}
	step "the core library's unit tests under valgrind (leaks are errors)"
	K8SW_VALGRIND=1 make -C "$top/build-check" -j"$jobs" check \
		TESTS="$(make -s -C "$top/build-check" print-unit-tests)" || {
		show_failures "$top/build-check"
		exit 1
	}
	step "make distcheck"
	make -C "$top/build-check" -j"$jobs" distcheck || {
		for d in "$top"/build-check/k8s-wizard-*/_build/sub; do
			show_failures "$d"
		done
		exit 1
	}
	step "the Debian package"
	install_deps "$DEB_DEPS"
	deb_package "$top/build-check"
	step "all checks passed"
	;;
deb)
	install_deps "$DEB_DEPS"
	[ -x "$top/configure" ] || (cd "$top" && autoreconf -fi)
	deb_package "$top/build-deb"
	;;
*)
	echo "usage: sh contrib/dev.sh run|check|demo|deb" >&2
	exit 2
	;;
esac
