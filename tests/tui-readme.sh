#!/bin/sh
# The README's quick start, as a new user in China runs it:
# LANG=zh_CN.UTF-8 sh contrib/dev.sh run, here in make check's build tree
# (K8SW_DEV_BUILD) and installing no package (K8SW_DEV_NO_INSTALL). The first
# screen must be in Chinese: dev.sh generates the locale when the system
# lacks it (as root, as the README says) and puts the catalogs where the
# uninstalled program is told to look.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/tui-lib.sh"

has_zh_locale() {
	locale -a 2>/dev/null | grep -qiE '^zh_CN\.utf-?8$'
}
if ! has_zh_locale && [ "$(id -u)" != 0 ]; then
	echo "SKIP: no zh_CN.UTF-8 locale and not root: dev.sh cannot generate it"
	exit 77
fi
command -v dpkg-query >/dev/null 2>&1 || { echo "SKIP: not Debian (no dpkg-query)"; exit 77; }

# The session's shell runs dev.sh exactly as the README says; make check's
# own make variables must not reach its make.
K8SW=/bin/sh tui_start r 80 24 LANG=zh_CN.UTF-8 K8SW_DEV_BUILD="$top_builddir" \
	K8SW_DEV_NO_INSTALL=1 MAKEFLAGS= MFLAGS= MAKELEVEL= K8SW_LOCALEDIR= \
	-- "$top_srcdir/contrib/dev.sh" run || fail "cannot start tmux"

started() {
	tui_has r "missing packages:" || tui_has r "[exited" || tui_has r "F10"
}
tui_until started || { tui_screen r >&2; fail "dev.sh run did not start the wizard"; }
if tui_has r "missing packages:"; then
	tui_screen r
	echo "SKIP: packages dev.sh run needs are missing (K8SW_DEV_NO_INSTALL)"
	exit 77
fi

check "the first screen is in Chinese" tui_wait r "欢迎使用 k8s-wizard"
check "the pages' names in Chinese" tui_wait r "1 欢迎  2 服务器  3 网络"
check "F3 offers English, the other language" tui_wait r "F3 English"
check "dev.sh made the locale" has_zh_locale
leave() {
	tui_keys r F10 && tui_wait r "[exited 0]"
}
check "F10 quits" leave
tui_stop r

finish "tui-readme"
