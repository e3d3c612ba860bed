#!/bin/sh
# The machines lab (tests/lab/machines.sh): three hosts booted as servers,
# checked over real SSH as the installer will meet them: systemd as PID 1,
# their names and addresses, empty installer directories, containerd
# installed the installer's way answering through the crictl stand-in, the
# modprobe and sysctl stand-ins, sshd killed and restarted, a host frozen
# and thawed, haproxy at the VIP, the safety of the routes, and a stop that
# leaves nothing behind. Skips (77) only when this machine cannot run the lab.
. "$top_srcdir/tests/lib.sh"
LAB="$top_srcdir/tests/lab/machines.sh"

sh "$LAB" start --dir "$TMP/lab" master1 node1 node2 >"$TMP/lab.env" 2>"$TMP/lab.err"
rc=$?
if [ "$rc" = 77 ]; then
	cat "$TMP/lab.err"
	exit 77
fi
[ "$rc" = 0 ] || fail "the lab did not start: $(cat "$TMP/lab.err")"
grep -v '^machines.sh: debootstrap' "$TMP/lab.err"
. "$TMP/lab.env"
trap 'sh "$LAB" stop "$LAB_DIR" >/dev/null 2>&1; rm -rf "$TMP"' EXIT
unset SSH_AUTH_SOCK
export HOME="$TMP/home" # no keys or known_hosts of the real user
mkdir -p "$HOME"

# on NAME CMD: CMD on host NAME over SSH, as the installer's transport would
# (the lab's key, its known hosts, host key checking on), at most 60 s.
on() {
	_h=$1
	shift
	eval "_a=\$LAB_ADDR_$_h"
	timeout 60 ssh -F /dev/null -i "$LAB_KEY" -o IdentitiesOnly=yes -o BatchMode=yes \
		-o UserKnownHostsFile="$LAB_KNOWN_HOSTS" -o StrictHostKeyChecking=yes \
		-o ConnectTimeout=5 "root@$_a" "$@"
}

# upload NAME FILE PATH MODE: the installer's way (temporary file, mode, rename).
upload() {
	on "$1" "install -d \"\$(dirname $3)\" && cat >$3.tmp && chmod $4 $3.tmp && mv $3.tmp $3" <"$2"
}

# --- the env ---
env_complete() {
	for v in LAB_DIR LAB_ID LAB_HOSTS LAB_ADDR_master1 LAB_ADDR_node1 LAB_ADDR_node2 \
		LAB_SUBNET LAB_BRIDGE LAB_VIP LAB_KEY LAB_KNOWN_HOSTS LAB_BUNDLE LAB_PLAN; do
		eval "[ -n \"\${$v:-}\" ]" || { echo "no $v in the env" >&2; return 1; }
	done
	[ "$LAB_HOSTS" = "master1 node1 node2" ] || return 1
	n=${LAB_SUBNET%.0/24}
	case $n in 198.18.*) ;; *) echo "subnet $LAB_SUBNET not in 198.18.0.0/15" >&2; return 1 ;; esac
	[ "$LAB_ADDR_master1" = "$n.11" ] && [ "$LAB_ADDR_node1" = "$n.12" ] &&
		[ "$LAB_ADDR_node2" = "$n.13" ] && [ "$LAB_VIP" = "$n.10" ]
}
check "the env names every host, address, key, bundle and plan" env_complete
check "the client key is 0600" test "$(stat -c %a "$LAB_KEY")" = 600
bundle_complete() {
	for f in containerd containerd-shim-runc-v2 ctr runc crictl kubelet kubectl; do
		[ -x "$LAB_BUNDLE/bin/$f" ] || { echo "no bin/$f in the bundle" >&2; return 1; }
	done
	for f in calico.yaml metrics-server.yaml kubelet-csr-approver.yaml; do
		[ -f "$LAB_BUNDLE/manifests/$f" ] || { echo "no manifests/$f" >&2; return 1; }
	done
}
check "the bundle has every file doc/bundle.md names" bundle_complete
plan_valid() {
	"$K8SW" plan check -f "$LAB_PLAN" >/dev/null 2>&1
}
check "the plan is valid" plan_valid

# --- safety: every address goes through this lab's bridge ---
routes_ok() {
	for a in "$LAB_ADDR_master1" "$LAB_ADDR_node1" "$LAB_ADDR_node2"; do
		r=$(ip route get "$a") || return 1
		case " $r " in
		*" via "*) echo "$a via a gateway: $r" >&2; return 1 ;;
		*" dev $LAB_BRIDGE "*) ;;
		*) echo "$a not through $LAB_BRIDGE: $r" >&2; return 1 ;;
		esac
	done
	ip -4 -o addr show dev "$LAB_BRIDGE" | grep -q " inet $LAB_VIP/" ||
		{ echo "VIP $LAB_VIP not on $LAB_BRIDGE" >&2; return 1; }
	[ "$(cat "/proc/sys/net/ipv4/conf/$LAB_BRIDGE/forwarding")" = 0 ] ||
		{ echo "$LAB_BRIDGE forwards" >&2; return 1; }
}
check "every host address and the VIP are on the lab's bridge, which does not forward" routes_ok

# --- each host, over SSH, looks like a freshly installed server ---
running() {
	case $(on "$1" systemctl is-system-running) in
	running | degraded) ;;
	*) return 1 ;;
	esac
}
EMPTY_DIRS="/etc/kubernetes /etc/containerd /usr/local/bin /var/lib/kubelet /var/lib/etcd /data"
EMPTY_DIRS="$EMPTY_DIRS /etc/cni /opt/cni"
for h in $LAB_HOSTS; do
	eval "a=\$LAB_ADDR_$h"
	check "$h: systemd is PID 1" test "$(on "$h" cat /proc/1/comm)" = systemd
	check "$h: the system is running" running "$h"
	check "$h: hostname is $h" test "$(on "$h" hostname)" = "$h"
	check "$h: eth0 has $a/24" test "$(on "$h" ip -4 -o addr show dev eth0 | awk '{print $4}')" = "$a/24"
	# shellcheck disable=SC2016
	check "$h: the installer's directories are empty" on "$h" 'for d in '"$EMPTY_DIRS"'; do
		[ ! -e "$d" ] || [ -z "$(ls -A "$d")" ] || { echo "$d: $(ls -A "$d")" >&2; exit 1; }; done'
	check "$h: the packaged containerd unit is not enabled" \
		test "$(on "$h" systemctl is-enabled containerd.service)" = disabled
	check "$h: containerd is not running" \
		test "$(on "$h" systemctl is-active containerd.service)" = inactive
	check "$h: cgroup v2 (what preflight checks)" \
		test "$(on "$h" stat -fc %T /sys/fs/cgroup/)" = cgroup2fs
done

# Each host has a key of its own, and only LAB_KEY gets in.
wrong_host_key() {
	grep "^$LAB_ADDR_master1 " "$LAB_KNOWN_HOSTS" | sed "s/^$LAB_ADDR_master1 /$LAB_ADDR_node1 /" \
		>"$TMP/wrong_known_hosts"
	! timeout 30 ssh -F /dev/null -i "$LAB_KEY" -o IdentitiesOnly=yes -o BatchMode=yes \
		-o UserKnownHostsFile="$TMP/wrong_known_hosts" -o StrictHostKeyChecking=yes \
		"root@$LAB_ADDR_node1" true 2>/dev/null
}
check "a host's key is its own (node1 with master1's key is refused)" wrong_host_key
other_key() {
	ssh-keygen -q -t ed25519 -N '' -f "$TMP/other_key"
	! timeout 30 ssh -F /dev/null -i "$TMP/other_key" -o IdentitiesOnly=yes -o BatchMode=yes \
		-o UserKnownHostsFile="$LAB_KNOWN_HOSTS" -o StrictHostKeyChecking=yes \
		"root@$LAB_ADDR_node1" true 2>/dev/null
}
check "root logs in with LAB_KEY only" other_key

# --- containerd, installed the installer's way, and crictl through it ---
K8SW_STATE_DIR="$TMP/state" "$K8SW" render -f "$LAB_PLAN" --out "$TMP/render" \
	>"$TMP/render.out" 2>"$TMP/render.err" || fail "render: $(cat "$TMP/render.err")"
check "render finds every bundle file" sh -c "! grep -q 'missing' '$TMP/render.err'"
R="$TMP/render/node1"
for b in containerd containerd-shim-runc-v2 ctr crictl; do
	upload node1 "$LAB_BUNDLE/bin/$b" "/usr/local/bin/$b" 0755
done
upload node1 "$LAB_BUNDLE/bin/runc" /usr/local/sbin/runc 0755
for f in /etc/containerd/config.toml /etc/containerd/certs.d/docker.io/hosts.toml \
	/etc/containerd/certs.d/quay.io/hosts.toml /etc/systemd/system/containerd.service \
	/etc/crictl.yaml /etc/sysctl.d/99-k8s-wizard.conf; do
	upload node1 "$R$f" "$f" 0644
done
check "containerd starts under the installer's unit" on node1 \
	'systemctl daemon-reload && systemctl enable -q containerd && systemctl restart containerd'
check "the running containerd is /usr/local/bin/containerd (the installer's unit won)" \
	test "$(on node1 'readlink /proc/$(systemctl show -p MainPID --value containerd)/exe')" = \
	/usr/local/bin/containerd
crictl_version() {
	real=$(on node1 /usr/local/bin/containerd --version | awk '{print $3}')
	on node1 crictl version >"$TMP/crictl.out" 2>"$TMP/crictl.err" || return 1
	grep -qx "RuntimeVersion:  $real" "$TMP/crictl.out" ||
		{ echo "crictl version: $(cat "$TMP/crictl.out"); containerd: $real" >&2; return 1; }
	head -1 "$TMP/crictl.err" | grep -q 'stand-in'
}
check "crictl version answers from the real containerd (and says it is a stand-in)" crictl_version
check "crictl info: RuntimeReady, NetworkReady false without a CNI config" on node1 \
	'crictl info 2>/dev/null | python3 -c "import json, sys
c = {x[\"type\"]: x[\"status\"] for x in json.load(sys.stdin)[\"status\"][\"conditions\"]}
sys.exit(not (c[\"RuntimeReady\"] and not c[\"NetworkReady\"]))"'
check "crictl version fails while containerd is stopped" on node1 \
	'systemctl stop containerd && ! crictl version 2>/dev/null && systemctl start containerd &&
	crictl version >/dev/null 2>&1'

# The kubelet stand-in's records, as crictl ps/logs show them.
crictl_records() {
	now=$(date +%s)
	# shellcheck disable=SC2016
	on node1 'mkdir -p /run/k8sw-lab/containers /var/log/pods/kube-system_etcd-node1/etcd &&
		printf "%s\n" "2026-01-01T00:00:00.000000000Z stderr F etcd: member failed to start" \
			>/var/log/pods/kube-system_etcd-node1/etcd/0.log &&
		printf "{\"id\": \"4f2a9c0e11d3aa\", \"name\": \"etcd\", \"pod\": \"etcd-node1\",
			\"namespace\": \"kube-system\", \"state\": \"exited\", \"started\": '"$now"',
			\"finished\": '"$now"', \"exit_code\": 1,
			\"log\": \"/var/log/pods/kube-system_etcd-node1/etcd/0.log\"}" \
			>/run/k8sw-lab/containers/4f2a9c0e11d3aa.json' || return 1
	on node1 crictl ps -a 2>/dev/null | grep -q '^4f2a9c0e11d3a .* Exited .* etcd .* etcd-node1$' ||
		{ on node1 crictl ps -a >&2; return 1; }
	[ -z "$(on node1 crictl ps -q 2>/dev/null)" ] || { echo "crictl ps shows exited" >&2; return 1; }
	[ "$(on node1 crictl logs 4f2a 2>&1 | tail -1)" = "etcd: member failed to start" ] ||
		{ on node1 crictl logs 4f2a >&2; return 1; }
	on node1 crictl pods 2>/dev/null | grep -q ' NotReady .* etcd-node1 .* kube-system ' || return 1
	# A record that says running is believed only while its process lives.
	pid=$(on node1 'nohup sleep 300 >/dev/null 2>&1 & echo $!')
	# shellcheck disable=SC2016
	on node1 'printf "{\"id\": \"77aa0b1c2d3e4f\", \"name\": \"kube-apiserver\",
		\"pod\": \"kube-apiserver-node1\", \"namespace\": \"kube-system\",
		\"state\": \"running\", \"pid\": '"$pid"', \"pid_start\": \"$(cut -d")" -f2 \
		/proc/'"$pid"'/stat | cut -d" " -f21)\", \"log\": \"/dev/null\"}" \
		>/run/k8sw-lab/containers/77aa0b1c2d3e4f.json' || return 1
	on node1 crictl ps 2>/dev/null | grep -q '^77aa0b1c2d3e4 .* Running .* kube-apiserver ' ||
		{ on node1 crictl ps >&2; return 1; }
	on node1 kill "$pid"
	! on node1 crictl ps -q 2>/dev/null | grep -q 77aa ||
		{ echo "a dead process still shows as running" >&2; return 1; }
	on node1 crictl ps -a 2>/dev/null | grep -q '^77aa0b1c2d3e4 .* Unknown .* kube-apiserver '
}
check "crictl ps -a, ps, logs and pods show the kubelet stand-in's records" crictl_records

# --- the kernel stand-ins ---
check "modprobe accepts overlay and records it (saying it is a stand-in)" on node1 \
	'modprobe overlay 2>/tmp/mp.err && grep -qx overlay /run/k8sw-lab/modules &&
	head -1 /tmp/mp.err | grep -q stand-in'
check "modprobe refuses a module that does not exist" on node1 \
	'! modprobe no_such_module 2>/dev/null && ! grep -qx no_such_module /run/k8sw-lab/modules'
check "sysctl -p of the rendered settings succeeds" on node1 \
	'sysctl -p /etc/sysctl.d/99-k8s-wizard.conf >/dev/null 2>&1'
check "net.* is set for real (net.core.somaxconn)" \
	test "$(on node1 cat /proc/sys/net/core/somaxconn)" = 32768
check "vm.* is recorded and read back (vm.max_map_count)" on node1 \
	'[ "$(sysctl -n vm.max_map_count 2>/dev/null)" = 262144 ] &&
	grep -qx vm.max_map_count=262144 /run/k8sw-lab/sysctl &&
	[ "$(cat /proc/sys/vm/max_map_count)" != 262144 ]'
check "sysctl refuses a key the kernel does not have" on node1 \
	'! sysctl -w no.such.key=1 2>/dev/null'
check "apt-get install -y ipvsadm ipset succeeds offline" on node1 \
	'DEBIAN_FRONTEND=noninteractive apt-get install -y -q ipvsadm ipset >/dev/null'

# --- haproxy at the VIP forwards to a master's :7443 ---
on master1 'nohup python3 -c "
import socket
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((\"0.0.0.0\", 7443))
s.listen()
while True:
    c, _ = s.accept()
    c.sendall(b\"master1 answers\n\")
    c.close()
" >/dev/null 2>&1 &'
via_vip() {
	n=0
	# haproxy's health check (every 2 s) must first see master1 up.
	until python3 -c "import socket, sys
s = socket.create_connection(('$LAB_VIP', 7443), timeout=3)
sys.exit(s.recv(100) != b'master1 answers\n')" 2>/dev/null; do
		n=$((n + 1))
		[ "$n" -lt 30 ] || return 1
		sleep 0.5
	done
}
check "haproxy on the VIP :7443 reaches master1's :7443" via_vip

# --- kill-sshd drops connections; start-sshd brings sshd back ---
kill_sshd() {
	on node2 'sleep 30' >/dev/null 2>&1 &
	pid=$!
	sleep 1
	kill -0 "$pid" 2>/dev/null || return 1
	sh "$LAB" kill-sshd "$LAB_DIR" node2 || return 1
	n=0
	while kill -0 "$pid" 2>/dev/null; do
		n=$((n + 1))
		[ "$n" -lt 50 ] || { echo "the open connection survived" >&2; kill "$pid"; return 1; }
		sleep 0.1
	done
	! on node2 true 2>/dev/null || { echo "a new connection got in" >&2; return 1; }
	sh "$LAB" start-sshd "$LAB_DIR" node2 && on node2 true
}
check "kill-sshd drops a connection and refuses new ones; start-sshd restores sshd" kill_sshd

# --- freeze makes a host silent; thaw revives it ---
freeze_thaw() {
	sh "$LAB" freeze "$LAB_DIR" node2 || return 1
	if timeout 10 ssh -F /dev/null -i "$LAB_KEY" -o IdentitiesOnly=yes -o BatchMode=yes \
		-o UserKnownHostsFile="$LAB_KNOWN_HOSTS" -o ConnectTimeout=2 \
		"root@$LAB_ADDR_node2" true 2>/dev/null; then
		echo "a frozen host answered" >&2
		sh "$LAB" thaw "$LAB_DIR" node2
		return 1
	fi
	sh "$LAB" thaw "$LAB_DIR" node2 && [ "$(on node2 hostname)" = node2 ]
}
check "freeze makes a host silent, thaw revives it" freeze_thaw

# --- stop leaves nothing behind ---
state=$(cat "$LAB_DIR/lab.state")
veths=$(echo "$state" | sed -n 's/^veth //p')
t0=$(date +%s.%N)
check "stop succeeds" sh "$LAB" stop "$LAB_DIR"
echo "stopped in $(echo "$(date +%s.%N) $t0" | awk '{printf "%.2f", $1 - $2}') s"
check "stop removed the lab directory" test ! -e "$LAB_DIR"
check "no mount of the lab is left" sh -c "! grep -qF '$LAB_DIR' /proc/mounts"
links_gone() {
	for l in "$LAB_BRIDGE" $veths; do
		! ip link show "$l" >/dev/null 2>&1 || { echo "$l is still there" >&2; return 1; }
	done
}
check "no veth or bridge of the lab is left" links_gone
# Live processes only: the last ones may be zombies for an instant, until
# their parent (init) reaps them.
procs_gone() {
	n=0
	while :; do
		left=
		for p in /proc/[0-9]*; do
			grep -q "$LAB_ID" "$p/cgroup" 2>/dev/null ||
				{ tr '\0' ' ' <"$p/cmdline"; } 2>/dev/null | grep -qF "$LAB_DIR" || continue
			[ "$(awk '{print $3}' "$p/stat" 2>/dev/null)" = Z ] || left="$left ${p#/proc/}"
		done
		[ -n "$left" ] || break
		n=$((n + 1))
		[ "$n" -lt 20 ] || { ps -o pid,stat,args -p "${left# }" >&2; return 1; }
		sleep 0.1
	done
	! ps -eo args | grep -v grep | grep -qF "$LAB_DIR"
}
check "no process of the lab is left" procs_gone
check "no cgroup of the lab is left" sh -c \
	"! find /sys/fs/cgroup -maxdepth 4 -name '$LAB_ID' 2>/dev/null | grep -q ."
trap 'rm -rf "$TMP"' EXIT
finish "the machines lab"
