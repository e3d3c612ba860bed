#!/bin/sh
# k8s-wizard apply with network.apiserverEndpoint: local, on the machines lab
# (tests/lab/machines.sh), one master and one worker: no VIP; the worker's
# haproxy (Debian's, from the lab's base, started by the rendered steps with
# the rendered haproxy.cfg) listens on 127.0.0.1:7443 and forwards to the
# master, and the worker's kubelet (the lab's stand-in) bootstraps and
# registers through it. Checked: the run passes the local-endpoint check on
# the worker and never asks a VIP; haproxy runs on the worker only, listening
# on 127.0.0.1; the kubeconfig the kubelet wrote names 127.0.0.1; the node is
# Ready through the admin kubeconfig, which names the master.
# Skips (77) only when the machines lab cannot run here.
. "$top_srcdir/tests/lib.sh"
machines_lab master1 node1

# The lab's plan with the local endpoint and no VIP (and iptables: the lab's
# kernel has no IPVS).
PLAN="$TMP/plan.yaml"
sed -e 's/kubeProxyMode: ipvs/kubeProxyMode: iptables/' \
	-e 's/^  apiserverEndpoint: .*/  apiserverEndpoint: local/' \
	-e 's/^  apiserverVIP: .*/  apiserverVIP: ""/' "$LAB_PLAN" >"$PLAN"
grep -q '^  apiserverEndpoint: local' "$PLAN" && grep -q '^  apiserverVIP: ""' "$PLAN" ||
	fail "could not set the local endpoint in the lab's plan"
"$K8SW" plan check -f "$PLAN" >"$TMP/check.out" 2>&1 || fail "plan check: $(cat "$TMP/check.out")"

t0=$(date +%s)
timeout 900 "$K8SW" apply -f "$PLAN" --skip-check disk --json --known-hosts "$LAB_KNOWN_HOSTS" \
	>"$TMP/run.json" 2>"$TMP/run.err"
rc=$?
t1=$(date +%s)
echo "# apply with the local endpoint: exit $rc in $((t1 - t0)) s"
if [ "$rc" != 0 ]; then
	tail -20 "$TMP/run.err" >&2
	grep -E '"(step|check)-failed"' "$TMP/run.json" | tail -5 >&2
	fail "apply with apiserverEndpoint local failed (exit $rc)"
fi

check "the worker's proxy answered with the apiserver's certificate (local-endpoint)" sh -c "
	grep '\"check-passed\"' '$TMP/run.json' | grep '\"host\":\"node1\"' |
		grep -q '\"check\":\"local-endpoint\"'"
check "no VIP was asked (api-endpoint did not run)" sh -c "
	! grep -q '\"check\":\"api-endpoint\"' '$TMP/run.json'"
check "haproxy runs on the worker" test "$(on node1 systemctl is-active haproxy)" = active
check "... listening on 127.0.0.1:7443 only" sh -c "
	[ \"\$(sh '$LAB' run '$LAB_DIR' node1 ss -Htln 'sport = :7443' | awk '{ print \$4 }')\" = 127.0.0.1:7443 ]"
check "no haproxy on the master" sh -c "
	! sh '$LAB' run '$LAB_DIR' master1 systemctl is-active --quiet haproxy"
check "the kubeconfig the kubelet wrote names its proxy" sh -c "
	sh '$LAB' run '$LAB_DIR' node1 grep -q 'server: https://127.0.0.1:7443$' /etc/kubernetes/kubelet.kubeconfig"
check "the admin kubeconfig names the master" \
	grep -q "server: https://$LAB_ADDR_master1:7443$" "$STATE/admin.kubeconfig"
nodes_ready() {
	"$KUBECTL" --kubeconfig "$STATE/admin.kubeconfig" get nodes --no-headers >"$TMP/nodes" &&
		grep -q '^node1 *Ready ' "$TMP/nodes"
}
check "kubectl 1.29: node1 Ready" nodes_ready
finish "apply with apiserverEndpoint local on the machines lab"
