#!/bin/sh
# The wizard in Chinese: every screen with LANG=zh_CN.UTF-8, wide
# characters aligned in the table and the form, problems in Chinese, and F3
# switching languages both ways without losing what is being typed. The
# zh_CN.UTF-8 locale is built here (Debian's locales, localedef into $TMP)
# when the system lacks it; the catalog comes from po/zh_CN.po.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/tui-lib.sh"

if ! command -v msgfmt >/dev/null 2>&1 || ! command -v localedef >/dev/null 2>&1; then
	echo "SKIP: needs msgfmt (gettext) and localedef (locales)"
	exit 77
fi
tui_setup_chinese || fail "cannot build the zh_CN.UTF-8 locale or the catalog"

# Start in Chinese (or in English with the catalog at hand).
start_zh() {
	# shellcheck disable=SC2086
	tui_start "$1" 80 24 $TUI_ZH_ENV LANG=zh_CN.UTF-8
}

same_column() {
	a=$(tui_column "$1" "$2")
	b=$(tui_column "$1" "$3")
	[ -n "$a" ] && [ "$a" -eq "$b" ] || {
		echo "'$2' at column $a but '$3' at column $b:" >&2
		tui_screen "$1" >&2
		return 1
	}
}

welcome() {
	start_zh z &&
		tui_wait z "欢迎使用 k8s-wizard" &&
		tui_wait z "1 欢迎  2 服务器  3 网络  4 镜像仓库  5 选项  6 检查  7 安装" &&
		tui_wait z "还没有保存的规划" &&
		tui_wait z "F10 退出"
}

servers() {
	tui_keys z NPage &&
		tui_wait z "主机、角色，以及登录主机的方式" &&
		tui_wait z "SSH 登录" &&
		same_column z "地址" "10.1.1.1" &&
		same_column z "端口" "22     root" &&
		same_column z "用户" "root" &&
		same_column z "master  etcd" "[x]     [x]"
}

# Labels of different widths, values in one column.
network() {
	tui_keys z NPage &&
		tui_wait z "集群的网段和地址" &&
		same_column z "192.168.0.0/16" "172.18.0.0/16" &&
		same_column z "172.18.0.0/16" "169.254.20.10" &&
		same_column z "169.254.20.10" "cluster.local" &&
		tui_keys z Tab Enter C-u &&
		tui_type z "192.168.128.0/17" &&
		tui_keys z Enter &&
		tui_wait z "192.168.128.0/17 与 serviceCIDR 192.168.0.0/16 重叠" &&
		tui_wait z "1 个错误"
}

other_screens() {
	tui_keys z NPage &&
		tui_wait z "镜像加速和集群拉取的镜像" &&
		tui_wait z "上游镜像仓库" &&
		tui_keys z NPage &&
		tui_wait z "版本、二进制文件、etcd、证书和插件" &&
		tui_wait z "集群名称" &&
		tui_keys z NPage &&
		tui_wait z "所有尚存的问题，以及完整的规划" &&
		tui_wait z "网络 > Pod 网段：192.168.128.0/17 与 serviceCIDR" &&
		tui_keys z F1 &&
		tui_wait z "按键：Tab 和 Shift-Tab" &&
		tui_keys z Escape &&
		tui_wait_gone z "按键：Tab" &&
		tui_keys z Home Enter &&
		tui_wait z "集群的网段和地址" &&
		tui_keys z F1 &&
		tui_wait z "规划文件中的键：network.podCIDR" &&
		tui_keys z Escape
}

# F3 in the middle of typing: the text stays, the words change.
switch() {
	tui_keys z Down Enter C-u &&
		tui_type z "192.168.0.99" &&
		tui_keys z F3 &&
		tui_wait z "Address ranges and addresses of the cluster" &&
		tui_wait z "192.168.0.99" &&
		tui_wait z "F3 中文" &&
		tui_keys z F3 &&
		tui_wait z "集群的网段和地址" &&
		tui_wait z "192.168.0.99" &&
		tui_keys z Enter &&
		tui_wait_re z "集群 DNS 地址 +192\.168\.0\.99" &&
		tui_keys z F10 &&
		tui_wait z "规划已修改" &&
		tui_keys z Enter &&
		tui_wait z "[exited 0]" &&
		grep -q 'clusterDNS: 192.168.0.99' "$TUI_STATE/kubernetes/plan.yaml"
}

# An English session (C.UTF-8) switches to Chinese too.
from_english() {
	# shellcheck disable=SC2086
	tui_start e 80 24 $TUI_ZH_ENV &&
		tui_wait e "A saved plan was found" &&
		tui_keys e F3 &&
		tui_wait e "找到已保存的规划" &&
		tui_keys e F3 &&
		tui_wait e "A saved plan was found" &&
		tui_keys e F10 &&
		tui_wait e "[exited 0]"
}

# LANG=zh_CN.UTF-8 without a catalog: English, F3 offers Chinese and says
# why it cannot switch, instead of pretending to.
no_catalog() {
	mkdir -p "$TMP/no-catalog"
	# shellcheck disable=SC2086
	tui_start n 80 24 $TUI_ZH_ENV K8SW_LOCALEDIR="$TMP/no-catalog" LANG=zh_CN.UTF-8 &&
		tui_wait n "Welcome to k8s-wizard" &&
		tui_wait n "Chinese is not available here: press F3 to see why." &&
		tui_wait n "F3 中文" &&
		tui_keys n F3 &&
		tui_wait n "No Chinese translation found" &&
		tui_wait n "$TMP/no-catalog/zh_CN/LC_MESSAGES" &&
		tui_keys n Enter &&
		tui_wait_gone n "No Chinese translation found" &&
		tui_wait n "Welcome to k8s-wizard" &&
		tui_wait n "F3 中文" &&
		tui_keys n F10 &&
		tui_wait n "[exited 0]"
}

# LANG names a locale this system does not have: setlocale() fails, and F3
# says the locale is missing and how to make it.
no_locale() {
	mkdir -p "$TMP/no-locales"
	# shellcheck disable=SC2086
	tui_start l 80 24 $TUI_ZH_ENV LOCPATH="$TMP/no-locales" LANG=zh_CN.UTF-8 &&
		tui_wait l "Chinese is not available here: press F3 to see why." &&
		tui_keys l F3 &&
		tui_wait l "The locale zh_CN.UTF-8 is not installed" &&
		tui_wait l "localedef -i zh_CN -f UTF-8 zh_CN.UTF-8" &&
		tui_keys l Enter &&
		tui_wait_gone l "The locale zh_CN.UTF-8" &&
		tui_keys l F10 &&
		tui_wait l "[exited 0]"
}

check "no catalog: F3 says so and stays in English" no_catalog
tui_stop n
check "no locale: F3 says so and how to make it" no_locale
tui_stop l
check "welcome in Chinese" welcome
check "servers: the table and the form aligned with wide characters" servers
check "network: values aligned, the problem in Chinese" network
check "registries, options, review and help in Chinese" other_screens
check "F3 switches language and keeps the value being typed" switch
tui_stop z
check "F3 from an English session" from_english
tui_stop e

finish "tui-zh"
