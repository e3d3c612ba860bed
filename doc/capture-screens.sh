#!/bin/sh
# Regenerate doc/screens/: a text capture of every screen of the wizard at
# 80x24, in English and in Chinese, taken from a real run in tmux on a fresh
# home directory (the default plan, with a pod network that overlaps the
# Service network to show a problem, then fixed for the run page).
#
#   sh doc/capture-screens.sh [path/to/k8s-wizard]
#
# Needs tmux, msgfmt and localedef (Debian: tmux gettext locales). The Run
# page during a run (9-run-running, 10-run-failed, 11-run-finished) needs the
# machines lab: tests/tui-run.sh writes those when K8SW_CAPTURE_DIR is set,
#   K8SW_CAPTURE_DIR=$PWD/doc/screens make -C build check TESTS=tests/tui-run.sh
set -eu
top_srcdir=$(cd "$(dirname "$0")/.." && pwd)
top_builddir=$top_srcdir/build
K8SW=${1:-${K8SW:-$top_builddir/k8s-wizard}}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/k8sw-capture.XXXXXX")
fail() {
	echo "capture-screens: $*" >&2
	exit 1
}
[ -x "$K8SW" ] || fail "no program at $K8SW: build it first, or give its path"
. "$top_srcdir/tests/tui-lib.sh"
tui_setup_chinese || fail "cannot build the zh_CN.UTF-8 locale or the catalog"

out=$top_srcdir/doc/screens

# capture SESSION FILE: the screen without trailing blanks.
capture() {
	tui_screen "$1" | sed 's/[[:space:]]*$//' > "$2"
	echo "  $2"
}

# walk DIR WORDS...: walk through the screens; WORDS are what each screen
# shows when it is ready, in the language of the session.
walk() {
	dir=$1
	shift
	rm -rf "$TMP/home"
	mkdir -p "$TMP/home" "$dir"
	# shellcheck disable=SC2086
	tui_start cap 80 24 K8SW_STATE_DIR= XDG_STATE_HOME= $ENVS
	tui_wait cap "$1" && capture cap "$dir/1-welcome.txt"
	tui_keys cap NPage && tui_wait cap "$2" && capture cap "$dir/2-servers.txt"
	tui_keys cap NPage && tui_wait cap "$3"
	tui_keys cap Tab Enter C-u && tui_type cap "192.168.128.0/17" && tui_keys cap Enter
	tui_wait cap "192.168.128.0/17 " && capture cap "$dir/3-network.txt"
	tui_keys cap F1 && tui_wait cap "network.podCIDR" && capture cap "$dir/8-help.txt"
	tui_keys cap Escape
	tui_keys cap NPage && tui_wait cap "$4" && capture cap "$dir/4-registries.txt"
	tui_keys cap NPage && tui_wait cap "$5" && capture cap "$dir/5-options.txt"
	tui_keys cap NPage && tui_wait cap "$6" && tui_wait cap "192.168.128.0/17" &&
		capture cap "$dir/6-review.txt"
	tui_keys cap Enter && tui_wait cap "$3"
	tui_keys cap Enter C-u && tui_type cap "172.18.0.0/16" && tui_keys cap Enter
	tui_wait_gone cap "192.168.128.0/17"
	tui_keys cap NPage NPage NPage NPage && tui_wait cap "$7" && capture cap "$dir/7-run.txt"
	# Fixed back to the default: F10 quits without a question.
	tui_keys cap F10 && tui_wait cap "[exited 0]"
	tui_stop cap
}

echo "capturing into $out"
ENVS=""
walk "$out" "No saved plan yet" "SSH access" "Address ranges" "Registry mirrors and" \
	"Versions, binaries" "Every problem left" "Ready to install cluster"
ENVS="$TUI_ZH_ENV LANG=zh_CN.UTF-8"
walk "$out/zh_CN" "还没有保存的规划" "SSH 登录" "集群的网段和地址" "镜像加速和集群拉取的镜像" \
	"版本、二进制文件" "所有尚存的问题" "准备安装集群"
