#!/bin/sh
# k8s-wizard apply, resume and status end to end, on the machines lab
# (tests/lab/machines.sh: systemd-nspawn hosts with real systemd, sshd and
# containerd, Debian's etcd started from the rendered static pod by the lab's
# kubelet stand-in, haproxy at the API's VIP). The run is interrupted the
# ways a real one is, and each time resume must finish the install without
# redoing a step that was done:
#   - an invalid plan contacts no host; unreachable hosts are all named at once
#   - k8s-wizard killed (SIGKILL) during an upload, then during a health check
#   - sshd killed on a host as each phase starts (the run reconnects)
#   - Ctrl-C (SIGINT): a clean stop, exit 130
#   - a step that fails (a unit that cannot start) and a frozen host, then fixed
#   - a second run refused while one holds the cluster
#   - the pod CIDR edited: only the steps it changes run again, and the run
#     says which
# Afterwards the cluster is checked from outside k8s-wizard: etcd 3/3 over
# mutual TLS with etcdctl (with etcd's certificate and with the apiserver's
# own), the nodes with the real kubectl 1.29 through the VIP, the kubelets'
# ports refusing unauthenticated requests, the bootstrap token (an expiring
# Secret, its kubeconfig gone from the workers), the files on the hosts
# against the PKI, no upload leftovers.
# Skips (77) only when the machines lab cannot run here.
. "$top_srcdir/tests/lib.sh"
machines_lab master1 master2 master3 node1 node2

# The lab's kernel has no IPVS: kube-proxy in iptables mode is the one change
# to the lab's plan (the prepare phase's check would say so otherwise).
PLAN="$TMP/plan.yaml"
sed 's/kubeProxyMode: ipvs/kubeProxyMode: iptables/' "$LAB_PLAN" >"$PLAN"
grep -q 'kubeProxyMode: iptables' "$PLAN" || fail "the lab's plan has no kubeProxyMode"

# kw NAME ARGS...: run k8s-wizard with --json (never longer than 15 min: a
# hang fails), events in $TMP/NAME.json, stderr in $TMP/NAME.err, status in
# $TMP/NAME.rc.
kw() {
	name=$1
	shift
	timeout 900 "$K8SW" "$@" --json --known-hosts "$LAB_KNOWN_HOSTS" \
		>"$TMP/$name.json" 2>"$TMP/$name.err"
	echo $? >"$TMP/$name.rc"
}

# bg NAME ARGS...: the same in the background (wait_rc bounds it); the pid of
# k8s-wizard itself in $TMP/NAME.pid.
bg() {
	name=$1
	shift
	: >"$TMP/$name.json"
	(
		"$K8SW" "$@" --json --known-hosts "$LAB_KNOWN_HOSTS" \
			>"$TMP/$name.json" 2>"$TMP/$name.err" &
		echo $! >"$TMP/$name.pid"
		wait $!
		echo $? >"$TMP/$name.rc"
	) &
	until [ -s "$TMP/$name.pid" ]; do sleep 0.05; done
}

# wait_event NAME PATTERN: until a line of NAME's events matches (fails when
# the run ends first, or after 5 min).
wait_event() {
	n=0
	until grep -q -- "$2" "$TMP/$1.json" 2>/dev/null; do
		n=$((n + 1))
		[ "$n" -lt 6000 ] && [ ! -s "$TMP/$1.rc" ] || return 1
		sleep 0.05
	done
}

# wait_rc NAME: until the background run NAME has ended.
wait_rc() {
	n=0
	until [ -s "$TMP/$1.rc" ]; do
		n=$((n + 1))
		[ "$n" -lt 18000 ] || return 1
		sleep 0.05
	done
}

rc_is() {
	[ "$(cat "$TMP/$1.rc")" = "$2" ] || {
		echo "$1: exit $(cat "$TMP/$1.rc"), expected $2; stderr:" >&2
		tail -20 "$TMP/$1.err" >&2
		grep -E '"(step|check)-failed"|"run-failed"' "$TMP/$1.json" | tail -5 >&2
		return 1
	}
}

# events NAME EVENT: how many events of that kind NAME printed.
events() {
	grep -c "\"event\":\"$2\"" "$TMP/$1.json"
}

# Logins sshd accepted, on every host: to prove a run contacted none.
logins() {
	for h in $LAB_HOSTS; do
		on "$h" journalctl -q -u ssh --no-pager | grep -c 'Accepted publickey'
	done | awk '{ n += $1 } END { print n }'
}

# --- bad input ------------------------------------------------------------

before=$(logins)
sed 's#podCIDR: .*#podCIDR: 172.18.0.0/33#' "$PLAN" >"$TMP/bad.yaml"
kw bad apply -f "$TMP/bad.yaml"
check "an invalid plan: exit 2" rc_is bad 2
check "an invalid plan: the field, line and column named" \
	grep -q "bad.yaml:[0-9]*:[0-9]*: network.podCIDR" "$TMP/bad.err"
check "an invalid plan: no state written" test ! -e "$STATE"
check "an invalid plan: no host contacted" test "$(logins)" = "$before"

# Two hosts that do not exist (in the lab's subnet, where nothing answers):
# both named in the same run, quickly.
sub=${LAB_VIP%.*}
sed -e 's/^name: .*/name: unreachable/' -e 's/connectTimeout: .*/connectTimeout: 3/' \
	-e "/^hosts:/a\\
- name: ghost1\\
  address: $sub.61\\
  roles: [worker]\\
- name: ghost2\\
  address: $sub.62\\
  roles: [worker]" "$PLAN" >"$TMP/ghosts.yaml"
t0=$(date +%s)
kw ghosts apply -f "$TMP/ghosts.yaml"
t1=$(date +%s)
check "unreachable hosts: the run fails" rc_is ghosts 1
check "unreachable hosts: both named in one run" sh -c "
	grep '\"check-failed\"' '$TMP/ghosts.json' | grep '\"check\":\"connect\"' |
		grep -c -e '\"host\":\"ghost1\"' -e '\"host\":\"ghost2\"' | grep -qx 2"
check "unreachable hosts: the others passed preflight" sh -c "
	[ \$(grep '\"check-passed\"' '$TMP/ghosts.json' | grep -c '\"check\":\"connect\"') = 5 ]"
check "unreachable hosts: no step ran" test "$(events ghosts step-start)" = 0
check "unreachable hosts: not tried again (preflight reports them)" \
	test "$(grep -c 'trying again' "$TMP/ghosts.json")" = 0
# At once, not one after the other: both connections gave up within one
# connect timeout (3 s) of each other (in $((t1 - t0)) s in all).
check "unreachable hosts: both given up at the same time" python3 -c '
import json, sys
from datetime import datetime
t = {}
for line in open(sys.argv[1]):
    ev = json.loads(line)
    if ev["event"] == "check-failed" and ev.get("check") == "connect":
        t[ev["host"]] = datetime.fromisoformat(ev["time"].replace("Z", "+00:00"))
sys.exit(0 if len(t) == 2 and abs((t["ghost1"] - t["ghost2"]).total_seconds()) < 3 else 1)' \
	"$TMP/ghosts.json"

# node1 resolves as Ubuntu's servers do, through systemd-resolved's stub:
# /etc/resolv.conf names 127.0.0.53, resolved's own list the real server (here
# the lab's gateway; nothing answers there, nothing asks it).
on node1 sh -c "printf 'nameserver 127.0.0.53\noptions edns0 trust-ad\n' >/etc/resolv.conf &&
	mkdir -p /run/systemd/resolve && printf 'nameserver ${LAB_VIP%.*}.254\n' >/run/systemd/resolve/resolv.conf" ||
	fail "could not give node1 systemd-resolved's files"

# --- the install, interrupted ----------------------------------------------

# 1. Killed during the upload of containerd (the largest file): no partial
# file and no temporary file may remain on any host.
bg run1 apply -f "$PLAN" --skip-check disk
wait_event run1 '"text":"upload /usr/local/bin/containerd"' ||
	fail "run 1 never uploaded containerd: $(tail -5 "$TMP/run1.err")"
kill -KILL "$(cat "$TMP/run1.pid")"
wait_rc run1
check "killed in an upload: the process died of SIGKILL" rc_is run1 137
sleep 2
leftovers() {
	for h in $LAB_HOSTS; do
		on "$h" find /etc /usr/local /var/lib/kubelet -name '.k8sw-upload.*' 2>/dev/null
	done
}
check "killed in an upload: no temporary file on any host" test -z "$(leftovers)"
whole() {
	want=$(sha256sum <"$LAB_BUNDLE/bin/containerd" | cut -c1-64)
	for h in $LAB_HOSTS; do
		got=$(on "$h" sh -c 'sha256sum </usr/local/bin/containerd 2>/dev/null | cut -c1-64')
		[ -z "$got" ] || [ "$got" = "$want" ] || return 1
	done
}
check "killed in an upload: containerd absent or whole on every host" whole
# Preflight says which resolv.conf each host has (the events of run 1).
check "preflight: node1's stub is seen, pods get resolved's list" sh -c "
	grep '\"check-passed\"' '$TMP/run1.json' | grep '\"host\":\"node1\"' |
		grep '\"check\":\"resolv-conf\"' | grep -q 'systemd-resolved.s stub): pods get /run/systemd/resolve/resolv.conf'"
check "preflight: node2's resolv.conf is used as it is" sh -c "
	grep '\"check-passed\"' '$TMP/run1.json' | grep '\"host\":\"node2\"' |
		grep '\"check\":\"resolv-conf\"' | grep -q 'saw /etc/resolv.conf ('"
check "the skipped check is said so" sh -c "
	grep '\"check-skipped\"' '$TMP/run1.json' | grep -q '\"check\":\"disk\"'"

# kill_sshd_at NAME PHASE:HOST...: as each phase starts, kill the host's
# sshd (its connections drop) and bring it back a second later.
kill_sshd_at() {
	name=$1
	shift
	for spec in "$@"; do
		wait_event "$name" "\"event\":\"phase-start\",\"phase\":\"${spec%%:*}\"" || return 0
		sh "$LAB" kill-sshd "$LAB_DIR" "${spec#*:}"
		sleep 1
		sh "$LAB" start-sshd "$LAB_DIR" "${spec#*:}"
	done
}

# 2. sshd killed as pki and kubelet start, then k8s-wizard killed during a
# health check (etcd's, which polls until the members find each other).
bg run2 resume --cluster kubernetes
kill_sshd_at run2 pki:node2 kubelet:master3
wait_event run2 '"event":"check-[a-z]*","phase":"etcd"' ||
	fail "run 2 never reached etcd's checks: $(tail -5 "$TMP/run2.err")"
kill -KILL "$(cat "$TMP/run2.pid")"
wait_rc run2
check "killed in a health check: SIGKILL" rc_is run2 137

# 3. sshd killed on a host as each later phase starts (master1 runs the
# cluster's steps and checks); the run reconnects and goes on.
bg run3 resume --cluster kubernetes
kill_sshd_at run3 etcd:master1 apiserver:master2 controller-manager:master3 \
	scheduler:master1 workers:node1 calico:master1 coredns:master1 nodelocaldns:node2 \
	csr-approver:master1 metrics-server:master1
wait_rc run3
check "sshd killed during phases: the run completes" rc_is run3 0
check "sshd killed during phases: steps were retried on a new connection" sh -c "
	grep -q 'trying again' '$TMP/run3.json'"

# What was done before is never done again: each step has one step-done, in
# every run taken together.
no_redo() {
	python3 -c '
import json, sys, collections
done = collections.Counter()
for path in sys.argv[1:]:
    lines = open(path).read().splitlines()
    for i, line in enumerate(lines):
        try:
            e = json.loads(line)
        except ValueError:
            if i == len(lines) - 1:  # the last line of a run killed while writing it
                continue
            raise
        if e.get("event") == "step-done":
            done[(e["phase"], e["host"], e["step"])] += 1
again = [k for k, n in done.items() if n > 1]
print(len(done), "steps done,", len(again), "done twice:", again[:5])
sys.exit(1 if again else 0)' "$@"
}
check "interrupted runs: no done step redone" no_redo "$TMP/run1.json" "$TMP/run2.json" \
	"$TMP/run3.json"

# --- the cluster, seen from outside ---------------------------------------

etcd_ok() {
	ETCDCTL_API=3 etcdctl --endpoints "https://$LAB_ADDR_master1:4001" \
		--cacert "$STATE/pki/etcd-ca.pem" --cert "$STATE/pki/etcd-peer.pem" \
		--key "$STATE/pki/etcd-peer-key.pem" member list >"$TMP/members" &&
		[ "$(wc -l <"$TMP/members")" = 3 ] &&
		ETCDCTL_API=3 etcdctl --cacert "$STATE/pki/etcd-ca.pem" \
			--cert "$STATE/pki/etcd-peer.pem" --key "$STATE/pki/etcd-peer-key.pem" \
			--endpoints "https://$LAB_ADDR_master1:4001,https://$LAB_ADDR_master2:4001,https://$LAB_ADDR_master3:4001" \
			endpoint health 2>&1 | grep -c 'is healthy' | grep -qx 3
}
check "etcd: 3 members, 3 healthy, over mutual TLS (etcdctl)" etcd_ok
check "etcd: the apiservers' own client certificate is accepted" sh -c "
	ETCDCTL_API=3 etcdctl --endpoints https://$LAB_ADDR_master2:4001 --cacert '$STATE/pki/etcd-ca.pem' \
		--cert '$STATE/pki/apiserver-etcd-client.pem' --key '$STATE/pki/apiserver-etcd-client-key.pem' \
		--dial-timeout 3s endpoint health 2>&1 | grep -q 'is healthy'"
check "etcd: a client without a certificate is refused" sh -c "
	! ETCDCTL_API=3 etcdctl --endpoints https://$LAB_ADDR_master1:4001 \
		--cacert '$STATE/pki/etcd-ca.pem' --dial-timeout 3s member list >/dev/null 2>&1"
nodes_ready() {
	"$KUBECTL" --kubeconfig "$STATE/admin.kubeconfig" get nodes --no-headers >"$TMP/nodes" &&
		[ "$(grep -c ' Ready ' "$TMP/nodes")" = 2 ]
}
check "kubectl 1.29 through the VIP: 2 nodes Ready" nodes_ready
# The kubelets' ports, as anyone on the network sees them: the masters'
# kubelet is on loopback only (and refuses anonymous requests there), no
# read-only port anywhere, a worker's kubelet API wants a client certificate.
connect_refused() { # URL: curl cannot even connect (exit 7)
	curl -sk --max-time 5 -o /dev/null "$1"
	[ $? = 7 ]
}
check "a master's kubelet port is closed to the network" connect_refused "https://$LAB_ADDR_master1:10250/pods"
check "a worker's read-only port is closed" connect_refused "http://$LAB_ADDR_node1:10255/pods"
check "a master's read-only port is closed" connect_refused "http://$LAB_ADDR_master2:10255/pods"
check "a worker's kubelet refuses an unauthenticated request" sh -c "
	[ \"\$(curl -sk --max-time 5 -o /dev/null -w '%{http_code}' https://$LAB_ADDR_node2:10250/pods)\" = 401 ]"
loopback_kubelet_says() { # HOST CODE: its kubelet answers CODE to no credentials on 127.0.0.1
	[ "$(on "$1" python3 -c '
import ssl, urllib.request, urllib.error
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
try:
    urllib.request.urlopen("https://127.0.0.1:10250/pods", context=ctx, timeout=5); print(200)
except urllib.error.HTTPError as e:
    print(e.code)')" = "$2" ]
}
check "a master's kubelet refuses an unauthenticated request on loopback" \
	loopback_kubelet_says master3 401

# The bootstrap token: a Secret that expires; once the workers have their
# own certificates its kubeconfig is gone from them.
check "the bootstrap token is an expiring Secret of kube-system" sh -c "
	'$KUBECTL' --kubeconfig '$STATE/admin.kubeconfig' -n kube-system get secret \
		bootstrap-token-\$(head -c 6 '$STATE/pki/bootstrap-token') \
		-o jsonpath='{.type} {.data.expiration}' | grep -q '^bootstrap.kubernetes.io/token [A-Za-z0-9+/=]'"
for h in node1 node2; do
	check "$h: no bootstrap kubeconfig left, its own client certificate there" \
		on "$h" sh -c 'test ! -e /etc/kubernetes/kubelet-bootstrap.kubeconfig &&
			test -s /etc/kubernetes/kubelet.kubeconfig && test -s /etc/kubernetes/pki/kubelet-client-current.pem'
done
check "the masters have no token.csv" sh -c "
	! sh '$LAB' run '$LAB_DIR' master1 ls /etc/kubernetes/pki/token.csv 2>/dev/null | grep -q ."

same_file() {
	want=$(sha256sum <"$STATE/pki/$2" | cut -c1-64)
	got=$(on "$1" sh -c "sha256sum <'$3' | cut -c1-64")
	[ "$want" = "$got" ]
}
check "files: master2's apiserver certificate is the PKI's" \
	same_file master2 apiserver.pem /etc/kubernetes/pki/apiserver.pem
check "files: master3's etcd key is the PKI's, mode 0600" sh -c "
	[ \"\$(sh '$LAB' run '$LAB_DIR' master3 stat -c %a /etc/etcdssl/etcd-peer-key.pem)\" = 600 ]"
check "files: no CA key but kubelet-signing-ca's on a master" sh -c "
	[ \"\$(sh '$LAB' run '$LAB_DIR' master1 sh -c 'ls /etc/kubernetes/pki/*-ca-key.pem /etc/etcdssl/*-ca-key.pem' 2>/dev/null)\" = /etc/kubernetes/pki/kubelet-signing-ca-key.pem ]"
check "files: no temporary upload file left" test -z "$(leftovers)"
# The kubelets' resolvConf: the real list on node1 (behind the stub), the
# host's own elsewhere; the stand-in kubelet started their static pods and
# calico's install-cni from it (it cannot read a missing one).
check "resolvConf: node1's links to systemd-resolved's list" test \
	"$(on node1 readlink /etc/kubernetes/resolv.conf)" = /run/systemd/resolve/resolv.conf
check "resolvConf: node2's and master1's to /etc/resolv.conf" sh -c "
	[ \"\$(sh '$LAB' run '$LAB_DIR' node2 readlink /etc/kubernetes/resolv.conf)\" = /etc/resolv.conf ] &&
	[ \"\$(sh '$LAB' run '$LAB_DIR' master1 readlink /etc/kubernetes/resolv.conf)\" = /etc/resolv.conf ]"

status_done() {
	"$K8SW" status --cluster kubernetes --json >"$TMP/status.json" &&
		python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))
bad = [(p["phase"], h, c) for p in s["phases"] for h, c in p["hosts"].items()
       if c not in ("done", "-")]
print(s["state"], bad)
sys.exit(0 if s["state"] == "done" and not bad else 1)' "$TMP/status.json"
}
check "status: the last run done, every cell done or -" status_done

# --- again: only the checks -------------------------------------------------

kw again apply -f "$PLAN" --skip-check disk
check "apply on a finished cluster: exit 0" rc_is again 0
check "apply on a finished cluster: no step runs" test "$(events again step-start)" = 0
check "apply on a finished cluster: it says so" grep -q 'cluster is complete' "$TMP/again.json"
check "apply on a finished cluster: the health checks ran" \
	test "$(events again check-passed)" -ge 40
check "apply on a finished cluster: the cluster DNS answered on both workers" sh -c "
	[ \$(grep '\"check-passed\"' '$TMP/again.json' | grep -c '\"check\":\"cluster-dns\"') = 2 ]"

# --- Ctrl-C ----------------------------------------------------------------

# A changed sandbox image re-runs containerd's steps on every host; SIGINT
# stops the run cleanly (exit 130), and resume finishes.
sed 's#sandboxImage: .*#sandboxImage: registry.k8s.io/pause:3.9#' "$PLAN" >"$TMP/plan2.yaml"
bg int apply -f "$TMP/plan2.yaml" --skip-check disk
wait_event int '"event":"step-done","phase":"containerd"' || fail "no containerd step ran"
kill -INT "$(cat "$TMP/int.pid")"
wait_rc int
check "Ctrl-C: exit 130" rc_is int 130
check "Ctrl-C: the journal says stopped" sh -c "
	'$K8SW' status --cluster kubernetes --json | grep -q '\"state\":\"stopped\"'"

# --- a failing step and a frozen host ----------------------------------------

# On node2 a drop-in someone left keeps containerd from starting (the
# restart step fails), and node1 freezes while the containerd phase runs:
# the run fails, names the step and leaves diagnostics; once both are fixed,
# resume finishes.
on node2 sh -c 'mkdir -p /etc/systemd/system/containerd.service.d &&
	printf "[Service]\nExecStartPre=/bin/false\n" >/etc/systemd/system/containerd.service.d/broken.conf'
bg fault resume -f "$TMP/plan2.yaml" --skip-check disk
wait_event fault '"event":"step-start","phase":"containerd","host":"node1"' ||
	fail "node1 never started containerd's steps: $(tail -5 "$TMP/fault.err")"
sh "$LAB" freeze "$LAB_DIR" node1
wait_rc fault
sh "$LAB" thaw "$LAB_DIR" node1
check "a failing step: the run fails" rc_is fault 1
check "a failing step: node2's step is named" sh -c "
	grep '\"step-failed\"' '$TMP/fault.json' | grep -q '\"host\":\"node2\"'"
check "a frozen host: node1 is given up after its retries" sh -c "
	grep -E '\"(step|check)-failed\"' '$TMP/fault.json' | grep -q '\"host\":\"node1\"'"
diag=$(sed -n 's/.*"event":"diagnostics","phase":"containerd","host":"node2","text":"\([^"]*\)".*/\1/p' \
	"$TMP/fault.json" | head -1)
check "a failing step: diagnostics saved with containerd's journal" sh -c "
	[ -n '$diag' ] && grep -q 'journalctl -u containerd' '$diag' && [ \$(stat -c %a '$diag') = 600 ]"
check "status names the failed step and its log" sh -c "
	'$K8SW' status --cluster kubernetes >'$TMP/status.txt' && grep -q 'failed: phase containerd on node' '$TMP/status.txt' &&
	grep -q 'node[12].log' '$TMP/status.txt'"
on node2 sh -c 'rm -r /etc/systemd/system/containerd.service.d && systemctl daemon-reload'
kw fixed resume --cluster kubernetes --skip-check disk
check "fixed: resume completes" rc_is fixed 0
check "fixed: no step done with the new plan redone" no_redo "$TMP/int.json" \
	"$TMP/fault.json" "$TMP/fixed.json"

# --- the lock, and an edited pod CIDR ---------------------------------------

sed 's#podCIDR: .*#podCIDR: 172.30.0.0/16#' "$TMP/plan2.yaml" >"$TMP/plan3.yaml"
bg cidr resume -f "$TMP/plan3.yaml" --skip-check disk
wait_event cidr '"event":"run-start"' || fail "the pod CIDR run did not start"
kw locked resume -f "$TMP/plan3.yaml"
check "a second run while one runs: exit 1" rc_is locked 1
check "a second run while one runs: the holder named" \
	grep -q "in use by another run (pid $(cat "$TMP/cidr.pid"): k8s-wizard resume" "$TMP/locked.err"
wait_rc cidr
check "pod CIDR edited: resume completes" rc_is cidr 0
ran_phases() {
	grep '"event":"step-done"' "$TMP/cidr.json" | sed 's/.*"phase":"\([^"]*\)".*/\1/' | sort -u |
		paste -sd' '
}
echo "pod CIDR edit re-ran steps of: $(ran_phases)"
check "pod CIDR edited: calico's manifest applied again" sh -c "
	grep '\"step-done\"' '$TMP/cidr.json' | grep '\"phase\":\"calico\"' | grep -q 'apply calico.yaml'"
# The pod CIDR is in calico's pool and in kube-proxy's clusterCIDR: those two
# manifests are applied again, and nothing else runs.
check "pod CIDR edited: only calico.yaml and kube-proxy.yaml applied again" sh -c "
	[ \"\$(grep '\"step-done\"' '$TMP/cidr.json' | sed 's/.*\"text\":\"\\([^\"]*\\)\".*/\\1/' |
		sort | paste -sd,)\" = 'apply calico.yaml,apply kube-proxy.yaml' ]"
check "pod CIDR edited: the run says which steps run again" sh -c "
	grep '\"event\":\"note\"' '$TMP/cidr.json' | grep 'calico' | grep -q 'changed since it was done'"
check "the calico pool has the new CIDR (API)" sh -c "
	'$KUBECTL' --kubeconfig '$STATE/admin.kubeconfig' -n kube-system get daemonset calico-node -o yaml |
		grep -q 172.30.0.0/16"

# The cluster DNS Service IP from inside each worker, over TCP as the
# engine's check asks it: the kubernetes Service's name is its cluster IP
# (the lab's stand-ins for kube-proxy's and CoreDNS's part answer there,
# tests/lab/standin/README). Addresses and domain from the plan.
net() { python3 -c 'import sys, yaml; print(yaml.safe_load(open(sys.argv[1]))["network"][sys.argv[2]])' "$PLAN" "$1"; }
dns_ip=$(net clusterDNS)
k8s_name=kubernetes.default.svc.$(net clusterDomain)
first_ip=$(python3 -c 'import ipaddress, sys; print(next(ipaddress.ip_network(sys.argv[1]).hosts()))' \
	"$(net serviceCIDR)")
resolves_on() {
	n=0
	until [ "$(on "$1" python3 - --tcp "$dns_ip" "$k8s_name" <"$top_srcdir/tests/lab/dnsquery.py" 2>&1)" = \
		"$k8s_name NOERROR aa A $first_ip" ]; do
		n=$((n + 1))
		[ "$n" -lt 20 ] || return 1
		sleep 1
	done
}
for h in $LAB_HOSTS; do
	case $h in master*) continue ;; esac
	check "on $h, $dns_ip answers: $k8s_name is $first_ip" resolves_on "$h"
done

# K8SW_TEST_KEEP=DIR keeps every run's events and errors for a look.
if [ -n "${K8SW_TEST_KEEP:-}" ]; then
	mkdir -p "$K8SW_TEST_KEEP"
	cp "$TMP"/*.json "$TMP"/*.err "$K8SW_TEST_KEEP"/ 2>/dev/null
	cp -r "$STATE/runs" "$K8SW_TEST_KEEP"/ 2>/dev/null
fi
finish "apply, resume and status on the machines lab"
