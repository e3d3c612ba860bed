#!/bin/sh
# k8s-wizard apply's output when stdout is not a terminal: one greppable line
# per event (TIME PHASE HOST EVENT DETAIL), host text with its control
# characters escaped, checks skipped by name said as such, --json one object
# per line. Against the lab (sshd hosts on 127.0.0.11-12, tests/lab/lab.sh);
# the run always stops in preflight: master1's etcd client port is the lab's
# own sshd port, so its ports check fails and nothing is installed. Skips
# (77) when the lab cannot run here.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/lab/labtest.sh"

command -v python3 >/dev/null 2>&1 || { echo "no python3" >&2; exit 77; }
lab_start 2
export K8SW_STATE_DIR="$TMP/state"
mkdir -p "$K8SW_STATE_DIR"

# A process on master1 whose name carries ESC and BEL holds a port the plan
# needs (etcd's peer port): the ports check names it, as the host says it.
sh "$LAB" run "$LAB_DIR" 1 python3 -c '
import ctypes, socket, time
ctypes.CDLL(None).prctl(15, b"ev\x1bil\x07", 0, 0, 0)
s = socket.socket()
s.bind(("127.0.0.11", 0))
s.listen(1)
print(s.getsockname()[1], flush=True)
time.sleep(600)' >"$TMP/peer_port" 2>"$TMP/peer.err" &
n=0
until [ -s "$TMP/peer_port" ]; do
	n=$((n + 1))
	[ "$n" -lt 100 ] || fail "the listener did not start: $(cat "$TMP/peer.err")"
	sleep 0.1
done
PEER=$(cat "$TMP/peer_port")

# The bundle: the test fixtures' manifests, and placeholders for the
# binaries (never uploaded: the run ends in preflight; never run).
placeholder_bundle "$TMP/bundle"

# etcd's client port is the lab's sshd port (random, 20000-39999), its peer
# port an ephemeral one: the NodePort range stays clear of both.
P="$TMP/plan.yaml"
cat >"$P" <<EOF
apiVersion: k8s-wizard/v1
kind: ClusterPlan
name: lines
hosts:
- name: master1
  address: 127.0.0.11
  roles: [master, etcd]
- name: node1
  address: 127.0.0.12
  roles: [worker]
network:
  apiserverVIP: 127.0.0.11
  serviceNodePortRange: 61000-63000
etcd:
  clientPort: $LAB_PORT
  peerPort: $PEER
ssh:
  port: $LAB_PORT
  identityFile: $LAB_KEY
binaries:
  bundleDir: $TMP/bundle
addons:
  csrApprover:
    providerIPPrefixes: [127.0.0.0/8]
EOF

# kw runs k8s-wizard with stdout a file, not a terminal. Here has and hasnt
# look at stdout, where the lines are.
has() { grep -q -- "$2" "$TMP/$1.out" || { echo "$1: no '$2' in:" >&2; cat "$TMP/$1.out" >&2; return 1; }; }
hasnt() { ! grep -q -- "$2" "$TMP/$1.out" || { echo "$1: '$2' in:" >&2; cat "$TMP/$1.out" >&2; return 1; }; }

# The names of HOST's checks, in order.
checks_of() {
	awk -v h="$2" '$3 == h && $4 ~ /^check-/ { sub(/:$/, "", $5); printf "%s%s", n++ ? " " : "", $5 }' \
		"$TMP/$1.out"
}

# Every event a line TIME PHASE HOST EVENT DETAIL ("-" for what it lacks,
# the detail too); after the last event, the summary's lines.
well_formed() {
	awk '
	/^[0-9]/ {
		if (summary) { print "event after the summary: " $0; bad = 1 }
		if ($1 !~ /^[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]$/ ||
		    $2 !~ /^[a-z-]+$/ || $3 !~ /^[a-z0-9_-]+$/ || $4 !~ /^[a-z]+(-[a-z]+)?$/ ||
		    NF < 5 || / $/) {
			print "malformed: " $0; bad = 1
		}
		next
	}
	{ summary = 1 }
	END { exit bad }' "$TMP/$1.out"
}

kw lines apply -f "$P" --known-hosts "$LAB_KNOWN_HOSTS"
check "a failed preflight exits 1" rc_is lines 1
check "lines: TIME PHASE HOST EVENT ..." well_formed lines
check "lines: the run starts first" sh -c "head -n 1 '$TMP/lines.out' | grep -q '^[^ ]* - - run-start '"
check "lines: the run's end is the last event" \
	sh -c "grep '^[0-9]' '$TMP/lines.out' | tail -n 1 | grep -q ' - - run-failed [a-z0-9]*: health check '"
check "lines: every preflight check of master1, in order" \
	test "$(checks_of lines master1)" = "connect arch os cgroup2 swap time-skew disk ports resolv-conf"
check "lines: and of node1, with its hostname" \
	test "$(checks_of lines node1)" = "connect arch os cgroup2 swap time-skew disk ports hostname resolv-conf"
# The clock of a host that shares this machine's: through SSH, the offset
# the check saw is within the error it gives (half the round trip).
grep ' check-passed time-skew: ' "$TMP/lines.out" | sed 's/^/# /'
check "lines: time-skew measured through SSH, within its error" sh -c "
	grep ' preflight master1 check-passed time-skew: ' '$TMP/lines.out' |
	sed -n 's/.*; saw \\([+-][0-9]*\\) ms (+-\\([0-9]*\\) ms)\$/\\1 \\2/p' |
	awk '{ o = \$1 < 0 ? -\$1 : \$1; ok = \$2 >= 1 && o <= \$2 } END { exit !(NR == 1 && ok) }'"
check "lines: the port held by sshd is named" has lines "ports: expected .*; saw .*$LAB_PORT held by sshd"
check "lines: control characters from the host are escaped" \
	has lines "$PEER held by ev\\\\x1bil\\\\x07"
check "lines: no control character reaches the output" \
	sh -c "! LC_ALL=C grep -q '[[:cntrl:]]' '$TMP/lines.out'"
check "lines: nothing after preflight" hasnt lines " prepare "
check "lines: the phase failed" has lines " preflight - phase-failed"
check "lines: then the summary" has lines "^fix the cause, then: k8s-wizard resume --cluster lines"

# Checks skipped by name: the run says so, for every host.
kw skip apply -f "$P" --known-hosts "$LAB_KNOWN_HOSTS" --skip-check swap --skip-check disk,arch
check "skip: still stops in preflight" rc_is skip 1
check "skip: swap skipped on master1, and said so" \
	has skip " preflight master1 check-skipped swap: skipped on request (--skip-check swap)$"
check "skip: on node1 too" \
	has skip " preflight node1 check-skipped disk: skipped on request (--skip-check disk)$"
check "skip: arch too" has skip " preflight node1 check-skipped arch: "
check "skip: the others still run" has skip " preflight master1 check-failed ports: "
kw badskip apply -f "$P" --known-hosts "$LAB_KNOWN_HOSTS" --skip-check connect
check "skip: only skippable checks, by name" rc_is badskip 2

# --json: one object per line and event.
kw json apply -f "$P" --known-hosts "$LAB_KNOWN_HOSTS" --json
check "json: exits 1 as well" rc_is json 1
check "json: every line is an object with time and event; checks name theirs" python3 -c '
import json, sys
n = 0
for line in open(sys.argv[1]):
    o = json.loads(line)
    assert isinstance(o, dict) and "time" in o and "event" in o, line
    if o["event"].startswith("check-"):
        assert o.get("check") and o.get("host") in ("master1", "node1"), line
    n += 1
assert n > 10, n
' "$TMP/json.out"
check "json: the summary is for the operator, on stderr" \
	sh -c "grep -q '^fix the cause, then: ' '$TMP/json.err'"
check "json: no control character reaches the output" \
	sh -c "! LC_ALL=C grep -q '[[:cntrl:]]' '$TMP/json.out'"
check "json: the host text arrives whole once decoded" python3 -c '
import json, sys
ok = any("ev\x1bil\x07" in (json.loads(l).get("detail") or "") for l in open(sys.argv[1]))
sys.exit(0 if ok else 1)
' "$TMP/json.out"

finish "apply's greppable lines and JSON against the lab"
