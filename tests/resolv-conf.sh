#!/bin/sh
# The kubelet's resolvConf (/etc/kubernetes/resolv.conf) is a link the
# rendered step makes on the host: to systemd-resolved's list of the real
# name servers when /etc/resolv.conf names a resolver on the host's loopback
# (Ubuntu's stub), to /etc/resolv.conf otherwise. The step is taken from a
# render, as written, and run for each case in a mount namespace of its own
# where /etc is a copy-on-write overlay and /run a tmpfs, so that this
# machine's files are never touched. The cases are test_health's resolv_conf
# (the preflight check that reports the same rule). Needs root and overlayfs.
. "$top_srcdir/tests/lib.sh"

export K8SW_STATE_DIR="$TMP/state"
[ "$(id -u)" = 0 ] && unshare -m true 2>/dev/null && grep -qw overlay /proc/filesystems ||
	{ echo "SKIP: needs root, unshare and overlayfs"; exit 77; }

"$K8SW" plan init -o "$TMP/plan.yaml" --force >/dev/null || fail "plan init"
sed -i "s|^  bundleDir: .*|  bundleDir: $top_srcdir/tests/fixtures/bundle|" "$TMP/plan.yaml"
"$K8SW" render -f "$TMP/plan.yaml" --out "$TMP/out" >/dev/null 2>&1 || fail "render"
for h in master1 node1; do
	grep -c ' /etc/kubernetes/resolv.conf$' "$TMP/out/$h/steps" | grep -qx 1 ||
		fail "$h: no one step that links /etc/kubernetes/resolv.conf"
done
grep ' /etc/kubernetes/resolv.conf$' "$TMP/out/node1/steps" >"$TMP/step.sh"
check "the step is the same on masters and workers" sh -c \
	"grep ' /etc/kubernetes/resolv.conf\$' '$TMP/out/master1/steps' | cmp -s - '$TMP/step.sh'"
check "the step runs before the kubelet (re)starts" sh -c "
	awk '/ \\/etc\\/kubernetes\\/resolv.conf\$/ { l = NR } /^systemctl restart kubelet\$/ { r = NR }
		END { exit !(l && r && l < r) }' '$TMP/out/node1/steps'"

# link ETC_RESOLV RESOLVED: /etc/resolv.conf holding ETC_RESOLV (name servers,
# blank-separated), systemd-resolved's file holding RESOLVED (- for none),
# the step run twice; prints where the link points.
link() {
	unshare -m sh -euc '
		tmp=$1 step=$2 etc=$3 real=$4
		mount -t tmpfs tmpfs "$tmp/ov"
		mkdir "$tmp/ov/u" "$tmp/ov/w"
		mount -t overlay overlay -o "lowerdir=/etc,upperdir=$tmp/ov/u,workdir=$tmp/ov/w" /etc
		mount -t tmpfs tmpfs /run
		mkdir -p /etc/kubernetes
		rm -f /etc/resolv.conf
		{ echo "# test"; for ns in $etc; do echo "nameserver $ns"; done; echo "options edns0"; } \
			>/etc/resolv.conf
		if [ "$real" != - ]; then
			mkdir -p /run/systemd/resolve
			for ns in $real; do echo "nameserver $ns"; done >/run/systemd/resolve/resolv.conf
		fi
		sh "$step"
		first=$(readlink /etc/kubernetes/resolv.conf)
		sh "$step"
		[ "$(readlink /etc/kubernetes/resolv.conf)" = "$first" ] || { echo "not idempotent"; exit 1; }
		[ -z "$(ls -A /etc/kubernetes | grep -vx resolv.conf)" ] || { echo "stray files"; exit 1; }
		echo "$first"' sh "$TMP" "$TMP/step.sh" "$1" "$2"
}

mkdir -p "$TMP/ov"
before=$(ls -la /etc/kubernetes 2>&1; sha256sum /etc/resolv.conf)
stub=/run/systemd/resolve/resolv.conf
# etc resolv.conf | resolved's | the link
while IFS='|' read -r etc real want; do
	got=$(link "$etc" "$real" 2>&1)
	check "/etc/resolv.conf '$etc', resolved '$real': $want (got $got)" test "$got" = "$want"
done <<EOF
127.0.0.53|10.0.0.2 10.0.0.3|$stub
10.0.0.2|10.0.0.9|/etc/resolv.conf
|-|/etc/resolv.conf
::1|fd00::53|$stub
127.0.0.53|-|/etc/resolv.conf
127.0.0.53||/etc/resolv.conf
127.0.0.53|127.0.0.1 10.0.0.2|/etc/resolv.conf
10.0.0.2 127.0.0.1|10.0.0.2|$stub
EOF
check "this machine's /etc is untouched" test "$(ls -la /etc/kubernetes 2>&1; sha256sum /etc/resolv.conf)" = "$before"
finish "the kubelet's resolv.conf"
