#!/bin/sh
# SSH fan-out and upload speed of k8s-wizard against OpenSSH and pssh, on the
# lab's real sshd hosts (tests/lab/lab.sh), side by side in one run:
#   (a) a trivial command on 5, 20 and 50 hosts: k8s-wizard exec, ssh in a
#       loop, parallel-ssh;
#   (b) a 100 MiB upload to 1 and 5 hosts: k8s-wizard copy, scp (one per
#       host, concurrently), parallel-scp.
# Each figure is the median of RUNS runs (default 3). Goals: faster than pssh
# at fan-out; at least as fast as scp per host.
#   sh bench/ssh-bench.sh [BUILDDIR]    (as root; BUILDDIR holds k8s-wizard)
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build}
K8SW=${K8SW:-$build/k8s-wizard}
RUNS=${RUNS:-3}
LAB="$top/tests/lab/lab.sh"
[ -x "$K8SW" ] || { echo "ssh-bench: no $K8SW: build first" >&2; exit 1; }
command -v parallel-ssh >/dev/null 2>&1 || { echo "ssh-bench: needs pssh (apt-get install pssh)" >&2; exit 1; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/k8sw-bench.XXXXXX")
LAB_DIR=
cleanup() {
	[ -z "$LAB_DIR" ] || sh "$LAB" stop "$LAB_DIR" >/dev/null 2>&1 || true
	rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

echo "starting 50 lab hosts..." >&2
sh "$LAB" start 50 --port auto --dir "$TMP/lab" >"$TMP/lab.env"
. "$TMP/lab.env"
SSHOPTS="-i $LAB_KEY -o UserKnownHostsFile=$LAB_KNOWN_HOSTS -o StrictHostKeyChecking=yes -o BatchMode=yes"

# plan N FILE: lab hosts 1..N (master1, then node1...); at least 2 hosts, as
# a valid plan needs a worker (the runs with one host select master1).
plan() {
	{
		printf 'apiVersion: k8s-wizard/v1\nkind: ClusterPlan\nname: bench\nhosts:\n'
		printf -- '- name: master1\n  address: 127.0.0.11\n  roles: [master, etcd]\n'
		i=2
		while [ "$i" -le "$1" ] || [ "$i" -le 2 ]; do
			printf -- '- name: node%d\n  address: 127.0.0.%d\n  roles: [worker]\n' \
				$((i - 1)) $((10 + i))
			i=$((i + 1))
		done
		printf 'ssh:\n  port: %s\n  identityFile: %s\n' "$LAB_PORT" "$LAB_KEY"
		printf 'addons:\n  csrApprover:\n    providerIPPrefixes: [127.0.0.0/8]\n'
	} >"$2"
}

hosts() {
	i=1
	while [ "$i" -le "$1" ]; do
		echo "127.0.0.$((10 + i))"
		i=$((i + 1))
	done
}

now() { date +%s.%N; }

calc() { awk "BEGIN { print $* }"; }

# median SECONDS...: the middle value.
median() {
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

# timed CMD...: seconds the command took (it must succeed).
timed() {
	t0=$(now)
	"$@" >"$TMP/out" 2>&1 || { echo "ssh-bench: failed: $*" >&2; cat "$TMP/out" >&2; exit 1; }
	t1=$(now)
	calc "$t1 - $t0"
}

ssh_loop() {
	for h in $(hosts "$1"); do
		# shellcheck disable=SC2086
		ssh $SSHOPTS -p "$LAB_PORT" "root@$h" true
	done
}

pssh_run() {
	hosts "$1" | sed "s/\$/:$LAB_PORT/" >"$TMP/hosts$1"
	parallel-ssh -h "$TMP/hosts$1" -p "$1" -l root -t 120 -x "$SSHOPTS" true
}

kw_exec() {
	"$K8SW" exec -f "$TMP/plan$1.yaml" --known-hosts "$LAB_KNOWN_HOSTS" --parallel "$1" -- true
}

f3() { printf '%.3f' "$1"; }

echo
echo "(a) fan-out: 'true' on N hosts, seconds (median of $RUNS)"
printf '%-6s %12s %12s %12s %16s %16s\n' hosts k8s-wizard "ssh loop" parallel-ssh "pssh/k8s-wizard" "loop/k8s-wizard"
for n in 5 20 50; do
	plan "$n" "$TMP/plan$n.yaml"
	kw= sl= ps=
	r=0
	while [ "$r" -lt "$RUNS" ]; do
		kw="$kw $(timed kw_exec "$n")"
		sl="$sl $(timed ssh_loop "$n")"
		ps="$ps $(timed pssh_run "$n")"
		r=$((r + 1))
	done
	# shellcheck disable=SC2086
	kwm=$(median $kw) slm=$(median $sl) psm=$(median $ps)
	printf '%-6s %12s %12s %12s %15.1fx %15.1fx\n' "$n" "$(f3 "$kwm")" "$(f3 "$slm")" \
		"$(f3 "$psm")" "$(calc "$psm / $kwm")" "$(calc "$slm / $kwm")"
done

head -c 100M /dev/urandom >"$TMP/big"
bytes=$(stat -c %s "$TMP/big")

kw_copy() {
	sel=all
	[ "$1" != 1 ] || sel=master1
	"$K8SW" copy -f "$TMP/plan$1.yaml" --known-hosts "$LAB_KNOWN_HOSTS" --hosts "$sel" \
		"$TMP/big" "/data/kw$2"
}

scp_each() {
	for h in $(hosts "$1"); do
		# shellcheck disable=SC2086
		scp -q $SSHOPTS -P "$LAB_PORT" "$TMP/big" "root@$h:/data/scp$2" &
	done
	wait
}

pscp_run() {
	hosts "$1" | sed "s/\$/:$LAB_PORT/" >"$TMP/hosts$1"
	parallel-scp -h "$TMP/hosts$1" -p "$1" -l root -t 300 -x "$SSHOPTS" "$TMP/big" "/data/pscp$2"
}

echo
echo "(b) upload of 100 MiB to N hosts, MB/s in total (median of $RUNS; MB = 10^6 bytes)"
printf '%-6s %12s %12s %12s %16s %16s\n' hosts k8s-wizard scp parallel-scp "k8s-wizard/scp" "k8s-wizard/pscp"
for n in 1 5; do
	plan "$n" "$TMP/plan$n.yaml"
	kw= sc= ps=
	r=0
	while [ "$r" -lt "$RUNS" ]; do
		# A new name each run: k8s-wizard would (rightly) skip a file already there.
		kw="$kw $(timed kw_copy "$n" "$r")"
		sc="$sc $(timed scp_each "$n" "$r")"
		ps="$ps $(timed pscp_run "$n" "$r")"
		r=$((r + 1))
	done
	# shellcheck disable=SC2086
	kwm=$(median $kw) scm=$(median $sc) psm=$(median $ps)
	mb() { calc "$bytes * $n / $1 / 1000000"; }
	printf '%-6s %12.0f %12.0f %12.0f %15.2fx %15.2fx\n' "$n" "$(mb "$kwm")" "$(mb "$scm")" \
		"$(mb "$psm")" "$(calc "$scm / $kwm")" "$(calc "$psm / $kwm")"
done

# A second copy of a file the hosts already have: what resuming costs.
t=$(timed kw_copy 5 0)
echo
printf 'k8s-wizard copy again to 5 hosts that have the file: %.3f s (nothing sent)\n' "$t"
