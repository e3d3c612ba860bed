#!/bin/sh
# The ways of reaching the apiservers (plan network.apiserverEndpoint):
# renders of local and keepalived (IPv4, IPv6, one master) checked by
# render_checks.py endpoint, every rendered haproxy.cfg by `haproxy -c`, and
# every rendered keepalived.conf by `keepalived --config-test` after the
# rendered step that finds the interface has run, in a private mount and
# network namespace where a veth holds the master's plan address. Then the
# same on broken renders, which must fail. haproxy and keepalived are
# Debian's, installed when missing (as root); without root their part skips.
. "$top_srcdir/tests/lib.sh"

export K8SW_STATE_DIR="$TMP/state"
fixtures="$top_srcdir/tests/fixtures/bundle"

command -v python3 >/dev/null && python3 -c 'import yaml' 2>/dev/null ||
	{ echo "SKIP: python3 with PyYAML is needed"; exit 77; }

# Debian's haproxy and keepalived, without starting their services here.
missing=
[ -x /usr/sbin/haproxy ] || missing="$missing haproxy"
[ -x /usr/sbin/keepalived ] || missing="$missing keepalived"
if [ -n "$missing" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
	echo "endpoint.sh: installing$missing" >&2
	. "$top_srcdir/tests/lab/apt.sh"
	# shellcheck disable=SC2086
	apt_install $missing || true
fi
have_haproxy=; [ -x /usr/sbin/haproxy ] && have_haproxy=1
have_keepalived=; [ -x /usr/sbin/keepalived ] && [ "$(id -u)" = 0 ] &&
	unshare -mn true 2>/dev/null && have_keepalived=1
[ -n "$have_haproxy" ] || echo "# haproxy -c skipped: no /usr/sbin/haproxy" >&2
[ -n "$have_keepalived" ] || echo "# keepalived's test skipped: needs root, unshare and keepalived" >&2

# plan NAME MODE [SED...]: a plan of masters 198.51.100.1-3 and workers .4-5
# (TEST-NET-2: nothing is contacted), the VIP .10, with the endpoint MODE.
plan() {
	name=$1 mode=$2
	shift 2
	"$K8SW" plan init -o "$TMP/$name.yaml" --force >/dev/null || fail "plan init"
	sed -i -e "s|^  bundleDir: .*|  bundleDir: $fixtures|" -e 's/10\.1\.1\./198.51.100./' \
		-e "s/^  apiserverEndpoint: .*/  apiserverEndpoint: $mode/" \
		-e 's|^  - 10.1.1.0/24|  - 198.51.100.0/24|' "$TMP/$name.yaml"
	for expr in "$@"; do
		sed -i "$expr" "$TMP/$name.yaml"
	done
	"$K8SW" render -f "$TMP/$name.yaml" --out "$TMP/$name" >"$TMP/$name.log" 2>&1 ||
		fail "render of $name: $(grep -v 'No such file' "$TMP/$name.log")"
}

plan external external
plan local local 's/^  apiserverVIP: .*/  apiserverVIP: ""/'
plan keepalived keepalived
plan keepalived6 keepalived 's/198\.51\.100\./fd00::/' 's|^  serviceCIDR: .*|  serviceCIDR: fd00:10::/108|' \
	's|^  podCIDR: .*|  podCIDR: fd00:20::/64|' 's|^  clusterDNS: .*|  clusterDNS: fd00:10::a|' \
	's|^  calicoIPIPMode: .*|  calicoIPIPMode: Never|' 's|^  - 198.51.100.0/24|  - fd00::/64|' \
	'/^  calico:$/{n;s/enabled: true/enabled: false/}'
# One master and its VIP: keepalived without peers.
plan keepalived1 keepalived '/^- name: master[23]$/,/^  roles:/d'
grep -q 'address: fd00::1' "$TMP/keepalived6.yaml" || fail "no IPv6 plan"
[ "$(grep -c '^- name: master' "$TMP/keepalived1.yaml")" = 1 ] || fail "no one-master plan"

for r in external local keepalived keepalived6 keepalived1; do
	mode=$(sed -n 's/^  apiserverEndpoint: //p' "$TMP/$r.yaml")
	check "$r: render checks of the $mode endpoint" \
		python3 "$top_srcdir/tests/render_checks.py" endpoint "$TMP/$r" "$mode"
	check "$r: the other render checks" sh -c "
		python3 '$top_srcdir/tests/render_checks.py' consistency '$TMP/$r' >/dev/null &&
		python3 '$top_srcdir/tests/render_checks.py' syntax '$TMP/$r' >/dev/null &&
		python3 '$top_srcdir/tests/render_checks.py' secure '$TMP/$r' >/dev/null &&
		python3 '$top_srcdir/tests/render_checks.py' addresses '$TMP/$r' >/dev/null"
done
check "external: no haproxy or keepalived anywhere" \
	test -z "$(find "$TMP/external" -path '*/etc/haproxy*' -o -path '*/etc/keepalived*')"
check "keepalived with one master: no unicast peers" \
	sh -c "! grep -q unicast '$TMP/keepalived1/master1/etc/keepalived/keepalived.conf'"
check "local: packages installed in prepare only when missing" grep -qx \
	"pkgs=; \[ -x /usr/sbin/haproxy \] || pkgs=haproxy; \[ -z \"\$pkgs\" \] || { apt-get -q update && DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -q \$pkgs; }" \
	"$TMP/local/node1/steps"

not() {
	! "$@"
}

# haproxy_ok FILE: haproxy itself accepts it.
haproxy_ok() {
	/usr/sbin/haproxy -c -q -f "$1" >"$TMP/haproxy.out" 2>&1 || { cat "$TMP/haproxy.out" >&2; return 1; }
}

# keepalived_ok DIR HOST: in a namespace of their own, a veth holds HOST's
# plan address, /etc/keepalived is a tmpfs with HOST's keepalived.conf, the
# rendered step that writes the interface runs as rendered, then keepalived
# tests the configuration. KEEPALIVED_ADDR overrides the address the veth has.
keepalived_ok() {
	dir=$1 host=$2
	addr=$(sed -n 's/^# The commands [^ ]* (\([^)]*\)).*/\1/p' "$dir/$host/steps")
	grep '^i=$(ip -o addr show to' "$dir/$host/steps" >"$TMP/iface.sh" || echo true >"$TMP/iface.sh"
	unshare -mn sh -euc '
		addr=$1 conf=$2 step=$3
		ip link add k8swep0 type veth peer name k8swep1
		ip link set k8swep0 up
		case $addr in *:*) ip addr add "$addr/64" dev k8swep0 nodad ;; *) ip addr add "$addr/24" dev k8swep0 ;; esac
		mkdir -p /etc/keepalived
		mount -t tmpfs tmpfs /etc/keepalived
		cp "$conf" /etc/keepalived/keepalived.conf
		sh "$step"
		keepalived --config-test -f /etc/keepalived/keepalived.conf' sh \
		"${KEEPALIVED_ADDR:-$addr}" "$dir/$host/etc/keepalived/keepalived.conf" "$TMP/iface.sh" \
		>"$TMP/keepalived.out" 2>&1 || { cat "$TMP/keepalived.out" >&2; return 1; }
}

if [ -n "$have_haproxy" ]; then
	for f in local/node1 local/node2 keepalived/master1 keepalived/master3 keepalived6/master2 \
		keepalived1/master1; do
		check "haproxy -c accepts $f's haproxy.cfg" haproxy_ok "$TMP/$f/etc/haproxy/haproxy.cfg"
	done
	sed 's/^    server /    srv /' "$TMP/local/node1/etc/haproxy/haproxy.cfg" >"$TMP/bad-haproxy.cfg"
	check "haproxy -c refuses a broken haproxy.cfg" not haproxy_ok "$TMP/bad-haproxy.cfg" 2>/dev/null
fi
if [ -n "$have_keepalived" ]; then
	for f in keepalived/master1 keepalived/master2 keepalived6/master3 keepalived1/master1; do
		check "keepalived --config-test accepts $f's keepalived.conf" keepalived_ok "$TMP/${f%/*}" "${f#*/}"
	done
	# The interface file is needed, and the step fails when the address is
	# nowhere: the rendered steps stop there, not at keepalived's start.
	cp -a "$TMP/keepalived" "$TMP/nostep"
	sed -i 's/^i=$(ip -o addr show to .*/true/' "$TMP/nostep/master1/steps"
	check "keepalived --config-test refuses it without the interface step" \
		not keepalived_ok "$TMP/nostep" master1 2>/dev/null
	check "... because the interface file is missing" \
		grep -q "Config files missing '/etc/keepalived/k8s-wizard-interface.conf'" "$TMP/keepalived.out"
	KEEPALIVED_ADDR=198.51.100.99
	check "the interface step fails when no interface has the plan's address" \
		not keepalived_ok "$TMP/keepalived" master1 2>/dev/null
	check "the interface step says which address is missing" grep -q \
		"no interface of master1 has its plan address 198.51.100.1\$" "$TMP/keepalived.out"
	unset KEEPALIVED_ADDR
fi

# The checks reject renders of another mode, or broken ones.
for pair in local:keepalived keepalived:local external:local local:external; do
	check "render_checks endpoint rejects a ${pair%%:*} render as ${pair#*:}" sh -c "
		! python3 '$top_srcdir/tests/render_checks.py' endpoint '$TMP/${pair%%:*}' '${pair#*:}' >/dev/null"
done
cp -a "$TMP/local" "$TMP/broken"
sed -i 's|^    server: https://127.0.0.1:|    server: https://198.51.100.10:|' \
	"$TMP/broken/node2/etc/kubernetes/kubelet-bootstrap.kubeconfig"
check "render_checks endpoint rejects a worker that bypasses its proxy" sh -c "
	! python3 '$top_srcdir/tests/render_checks.py' endpoint '$TMP/broken' local >/dev/null"
# Packages: only the host's own endpoint's, only when missing, after update.
insecure() {
	rm -rf "$TMP/broken" && cp -a "$TMP/$1" "$TMP/broken" && shift &&
		"$@" && ! python3 "$top_srcdir/tests/render_checks.py" secure "$TMP/broken" >/dev/null
}
check "render_checks secure rejects an install without apt-get update" \
	insecure local sed -i 's/apt-get -q update && //' "$TMP/broken/node1/steps"
check "render_checks secure rejects an install of what the host has" \
	insecure keepalived sed -i 's/\[ -x \/usr\/sbin\/keepalived \] || pkgs=/pkgs=/' "$TMP/broken/master2/steps"
check "render_checks secure rejects keepalived on a host without its configuration" \
	insecure local sed -i 's/|| pkgs=haproxy;/&[ -x \/usr\/sbin\/keepalived ] || pkgs="$pkgs keepalived"; /' \
	"$TMP/broken/node2/steps"
finish "the API endpoint modes"
