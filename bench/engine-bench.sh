#!/bin/sh
# The install engine on the lab's real sshd hosts (tests/lab/lab.sh), side by
# side with parallel-ssh and ansible in one run:
#   (1) a 10-step phase on 50 hosts: the engine (bench/engine_bench: a render
#       built in memory, the real SSH transport, a real journal, no health
#       checks) against the same 10 commands with parallel-ssh (one call per
#       step over all hosts) and with ansible (one play, a raw task per step,
#       forks=50, ControlPersist on, every run starting without masters); host
#       keys checked against the lab's known_hosts by all three;
#   (2) resume after a failure in the last phase (5 phases x 10 steps x 50
#       hosts, the last step failing on node25 until a marker file exists on
#       it) against the fresh run; the resume must run that one step only;
#   (3) peak RSS of the jump-host process: the driver's over (1) and (2), and
#       a real `k8s-wizard apply` of a 50-host plan through its preflight.
# Besides wall time, the CPU each tool cost on this machine (its processes)
# and on the hosts (every process of the lab's hosts: sshd, shells,
# commands), since the lab's hosts share this machine's CPUs.
# Each wall time is the median of RUNS runs (default 3). Targets (issue 8):
# the engine at most 0.1x parallel-ssh's wall time; resume under 5% of the
# fresh run; peak RSS under 64 MB.
#   sh bench/engine-bench.sh [BUILDDIR]    (as root; BUILDDIR holds k8s-wizard
#   and bench/engine_bench; RUNS=N, ANSIBLE_MODULES="raw shell" to add a row
#   with ansible's shell module, K8SW_DEBUG=engine,ssh for the driver's log)
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build}
K8SW=${K8SW:-$build/k8s-wizard}
DRIVER=$build/bench/engine_bench
RUNS=${RUNS:-3}
ANSIBLE_MODULES=${ANSIBLE_MODULES:-raw}
N=50
FAIL_HOST=node25 # lab host 26, the middle of the plan
FAIL_I=26
LAB="$top/tests/lab/lab.sh"
if [ ! -x "$K8SW" ] || [ ! -x "$DRIVER" ]; then
	echo "engine-bench: no $K8SW or $DRIVER: build first (make)" >&2
	exit 1
fi
[ "$(id -u)" = 0 ] || { echo "engine-bench: needs root (the lab)" >&2; exit 1; }

say() { echo "engine-bench: $*" >&2; }

# The reference tools, from Debian.
missing=
command -v parallel-ssh >/dev/null 2>&1 || missing="$missing pssh"
command -v ansible-playbook >/dev/null 2>&1 || missing="$missing ansible-core"
[ -x /usr/bin/time ] || missing="$missing time"
if [ -n "$missing" ]; then
	say "installing$missing"
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing >&2 ||
		{ apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive \
			apt-get install -y -q --no-install-recommends $missing >&2; }
fi

TMP=$(mktemp -d /tmp/k8sw-eb.XXXXXX) # short: ssh control sockets live here
LAB_DIR=
cleanup() {
	close_masters 2>/dev/null || true
	[ -z "$LAB_DIR" ] || sh "$LAB" stop "$LAB_DIR" >/dev/null 2>&1 || true
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say "starting $N lab hosts..."
sh "$LAB" start "$N" --port auto --dir "$TMP/lab" >"$TMP/lab.env"
. "$TMP/lab.env"
unset SSH_AUTH_SOCK
export HOME="$TMP/home" # no key, known_hosts or ansible setting of the real user
mkdir -p "$HOME"

hosts() {
	i=1
	while [ "$i" -le "$N" ]; do
		echo "127.0.0.$((10 + i))"
		i=$((i + 1))
	done
}

# Only loopback is contacted: every host must route through lo.
for h in $(hosts); do
	ip route get "$h" | grep -q ' dev lo ' || { say "$h does not route through lo: stopping"; exit 1; }
done

# The plan: master1 on lab host 1, node1..node49 on the others.
plan_hosts() {
	printf 'apiVersion: k8s-wizard/v1\nkind: ClusterPlan\nname: bench\nhosts:\n'
	printf -- '- name: master1\n  address: 127.0.0.11\n  roles: [master, etcd]\n'
	i=2
	while [ "$i" -le "$N" ]; do
		printf -- '- name: node%d\n  address: 127.0.0.%d\n  roles: [worker]\n' $((i - 1)) $((10 + i))
		i=$((i + 1))
	done
	printf 'ssh:\n  port: %s\n  identityFile: %s\n' "$LAB_PORT" "$LAB_KEY"
}
{
	plan_hosts
	printf 'addons:\n  csrApprover:\n    providerIPPrefixes: [127.0.0.0/8]\n'
} >"$TMP/plan.yaml"

now() { date +%s.%N; }
calc() { awk "BEGIN { print $* }"; }
median() {
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}
maxof() {
	printf '%s\n' "$@" | sort -g | tail -n 1
}

# CPU seconds used so far by the lab's hosts: every process of their PID
# namespaces, with what they reaped (sshd reaps its connections, which reap
# their sessions, which reap their commands).
host_cpu() {
	nss=$(i=1; while [ "$i" -le "$N" ]; do
		readlink "/proc/$(cat "$LAB_DIR/h$i/nspid")/ns/pid"; i=$((i + 1)); done)
	for p in /proc/[0-9]*; do
		ns=$(readlink "$p/ns/pid" 2>/dev/null) || continue
		case "$nss" in *"$ns"*) cat "$p/stat" 2>/dev/null || true ;; esac
	done | sed 's/.*) //' | awk -v hz="$(getconf CLK_TCK)" \
		'{ s += $12 + $13 + $14 + $15 } END { printf "%.2f\n", s / hz }'
}

# CPU seconds of this shell's finished children so far (from `times`,
# run in this shell: a subshell would have its own).
children_cpu() {
	sed -n 2p "$1" | tr 'ms' '  ' | awk '{ printf "%.3f\n", $1 * 60 + $2 + $3 * 60 + $4 }'
}

# run_timed NAME CMD...: run it (it must succeed), output in $TMP/NAME.out,
# then set wall (seconds), cpu (this machine: the command and what it
# waited for) and hcpu (the hosts).
run_timed() {
	name=$1
	shift
	h0=$(host_cpu)
	times >"$TMP/times0"
	t0=$(now)
	"$@" >"$TMP/$name.out" 2>"$TMP/$name.err" || {
		say "failed: $name: $*"
		tail -n 30 "$TMP/$name.out" "$TMP/$name.err" >&2
		exit 1
	}
	t1=$(now)
	times >"$TMP/times1"
	case $name in ansible-*) close_masters ;; esac
	h1=$(host_cpu)
	wall=$(calc "$t1 - $t0")
	cpu=$(calc "$(children_cpu "$TMP/times1") - $(children_cpu "$TMP/times0")")
	hcpu=$(calc "$h1 - $h0")
}

# Field KEY of the driver's line of figures in FILE.
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p; s/^$1=\([^ ]*\).*/\1/p" "$2" | head -n 1; }

f3() { printf '%.3f' "$1"; }

# --- (1) one phase of 10 steps on 50 hosts ------------------------------
"$DRIVER" --print-steps >"$TMP/steps"
SSHOPTS="-i $LAB_KEY -o UserKnownHostsFile=$LAB_KNOWN_HOSTS -o StrictHostKeyChecking=yes"
SSHOPTS="$SSHOPTS -o BatchMode=yes"
hosts | sed "s/\$/:$LAB_PORT/" >"$TMP/pssh-hosts"

engine_phase() {
	rm -rf "$TMP/state"
	"$DRIVER" -f "$TMP/plan.yaml" --known-hosts "$LAB_KNOWN_HOSTS" --state "$TMP/state"
}

pssh_phase() {
	while IFS= read -r c; do
		parallel-ssh -h "$TMP/pssh-hosts" -p "$N" -l root -t 120 -x "$SSHOPTS" "$c" || return 1
	done <"$TMP/steps"
}

# Ansible: ControlPersist on, host keys checked by ssh against the lab's
# known_hosts, no pty (the lab's hosts have no devpts), 50 forks.
mkdir -p "$TMP/cp" "$TMP/ansible"
hosts | sed "s/\$/ ansible_port=$LAB_PORT/" >"$TMP/ansible/inventory"
cat >"$TMP/ansible/ansible.cfg" <<EOF
[defaults]
inventory = $TMP/ansible/inventory
forks = $N
host_key_checking = True
gathering = explicit
remote_user = root
private_key_file = $LAB_KEY
interpreter_python = /usr/bin/python3
[ssh_connection]
ssh_args = -o ControlMaster=auto -o ControlPersist=60s -o UserKnownHostsFile=$LAB_KNOWN_HOSTS -o StrictHostKeyChecking=yes -o BatchMode=yes
control_path_dir = $TMP/cp
pipelining = True
usetty = False
EOF
export ANSIBLE_CONFIG="$TMP/ansible/ansible.cfg" ANSIBLE_HOME="$TMP/ansible/home"
export ANSIBLE_LOCAL_TEMP="$TMP/ansible/home/tmp" ANSIBLE_NOCOLOR=1
for m in $ANSIBLE_MODULES; do
	{
		printf -- '- hosts: all\n  gather_facts: false\n  tasks:\n'
		while IFS= read -r c; do
			printf "    - %s: '%s'\n" "$m" "$(printf '%s' "$c" | sed "s/'/''/g")"
		done <"$TMP/steps"
	} >"$TMP/ansible/$m.yml"
done

# End the ControlPersist masters ansible left (each run starts without them,
# as the engine starts without connections); their hosts' sshd then exits.
close_masters() {
	for s in "$TMP"/cp/*; do
		[ -S "$s" ] || continue
		ssh -o ControlPath="$s" -O exit x >/dev/null 2>&1 || true
	done
	n=0
	while ls "$TMP"/cp/* >/dev/null 2>&1 && [ "$n" -lt 100 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	sleep 0.5 # the hosts' sshd reap the connections
}

ansible_phase() {
	ansible-playbook "$TMP/ansible/$1.yml"
}

echo
echo "(1) a 10-step phase on $N hosts: wall seconds, median of $RUNS runs"
ew='' pw='' ec='' ph='' pc='' eh='' rss1=''
for m in $ANSIBLE_MODULES; do eval "aw_$m= ac_$m= ah_$m="; done
r=1
while [ "$r" -le "$RUNS" ]; do
	run_timed engine engine_phase
	if [ "$(field steps_run "$TMP/engine.out")" != $((N * 10)) ]; then
		say "the engine did not run $((N * 10)) steps"
		cat "$TMP/engine.out" >&2
		exit 1
	fi
	ew="$ew $wall" ec="$ec $cpu" eh="$eh $hcpu" rss1="$rss1 $(field maxrss_kb "$TMP/engine.out")"
	say "run $r/$RUNS: engine $(f3 "$wall") s"
	run_timed pssh pssh_phase
	pw="$pw $wall" pc="$pc $cpu" ph="$ph $hcpu"
	say "run $r/$RUNS: parallel-ssh $(f3 "$wall") s"
	for m in $ANSIBLE_MODULES; do
		run_timed "ansible-$m" ansible_phase "$m"
		grep -q "ok=10 .*unreachable=0 *failed=0" "$TMP/ansible-$m.out" ||
			{ say "ansible ($m) failed somewhere"; tail -n 60 "$TMP/ansible-$m.out" >&2; exit 1; }
		[ "$(grep -c "ok=10 .*unreachable=0 *failed=0" "$TMP/ansible-$m.out")" = "$N" ] ||
			{ say "ansible ($m) did not finish on every host"; exit 1; }
		eval "aw_$m=\"\$aw_$m $wall\" ac_$m=\"\$ac_$m $cpu\" ah_$m=\"\$ah_$m $hcpu\""
		say "run $r/$RUNS: ansible ($m) $(f3 "$wall") s"
	done
	r=$((r + 1))
done
# shellcheck disable=SC2086
ewm=$(median $ew) pwm=$(median $pw)
printf '%-30s %9s %14s %12s %14s\n' tool "wall s" "jump-host CPU" "hosts CPU" "engine/tool"
# shellcheck disable=SC2086
printf '%-30s %9s %14.2f %12.2f\n' "k8s-wizard engine" "$(f3 "$ewm")" "$(median $ec)" \
	"$(median $eh)"
# shellcheck disable=SC2086
printf '%-30s %9s %14.2f %12.2f %13.3fx\n' "parallel-ssh (10 calls)" "$(f3 "$pwm")" \
	"$(median $pc)" \
	"$(median $ph)" "$(calc "$ewm / $pwm")"
for m in $ANSIBLE_MODULES; do
	w='' c='' h=''
	eval "w=\$aw_$m c=\$ac_$m h=\$ah_$m"
	# shellcheck disable=SC2086
	awm=$(median $w)
	# shellcheck disable=SC2086
	printf '%-30s %9s %14.2f %12.2f %13.3fx\n' "ansible ($m, ControlPersist)" "$(f3 "$awm")" \
		"$(median $c)" "$(median $h)" "$(calc "$ewm / $awm")"
done
ratio=$(calc "$ewm / $pwm")
if awk "BEGIN { exit !($ratio <= 0.1) }"; then
	printf 'target engine <= 0.1x parallel-ssh: met (%.3fx)\n' "$ratio"
else
	printf 'target engine <= 0.1x parallel-ssh: MISSED (%.3fx; %.2f s over the %.2f s allowed)\n' \
		"$ratio" "$(calc "$ewm - $pwm / 10")" "$(calc "$pwm / 10")"
fi

# --- (2) resume after a failure in the last phase ------------------------
PHASES=5
on_fail_host() { sh "$LAB" run "$LAB_DIR" "$FAIL_I" "$@"; }
engine_fresh() {
	"$DRIVER" -f "$TMP/plan.yaml" --known-hosts "$LAB_KNOWN_HOSTS" --state "$TMP/rstate" \
		--phases "$PHASES" --fail "$FAIL_HOST" --expect failed
}
engine_resume() {
	"$DRIVER" -f "$TMP/plan.yaml" --known-hosts "$LAB_KNOWN_HOSTS" --state "$TMP/rstate" \
		--phases "$PHASES" --fail "$FAIL_HOST"
}
total=$((PHASES * 10 * N))
echo
echo "(2) resume after a failure in the last phase ($PHASES phases x 10 steps x $N hosts," \
	"the last step failing on $FAIL_HOST): median of $RUNS"
fw='' rw='' rss2=''
r=1
while [ "$r" -le "$RUNS" ]; do
	rm -rf "$TMP/rstate"
	on_fail_host rm -f /tmp/k8sw-bench-go
	run_timed fresh engine_fresh
	if [ "$(field steps_failed "$TMP/fresh.out")" != 1 ] ||
		[ "$(field journal_ran "$TMP/fresh.out")" != "$total" ]; then
		say "the fresh run did not run $total steps with one failure"
		cat "$TMP/fresh.out" >&2
		exit 1
	fi
	fw="$fw $wall" rss2="$rss2 $(field maxrss_kb "$TMP/fresh.out")"
	on_fail_host touch /tmp/k8sw-bench-go
	run_timed resume engine_resume
	rw="$rw $wall" rss2="$rss2 $(field maxrss_kb "$TMP/resume.out")"
	ran=$(field steps_run "$TMP/resume.out")
	jran=$(field journal_ran "$TMP/resume.out")
	what=$(field ran "$TMP/resume.out")
	say "run $r/$RUNS: fresh $(f3 "$(echo "$fw" | awk '{ print $NF }')") s, resume $(f3 "$wall") s," \
		"ran $ran step(s): $what"
	if [ "$ran" != 1 ] || [ "$jran" != 1 ] ||
		[ "$(field steps_skipped "$TMP/resume.out")" != $((total - 1)) ] ||
		! expr "$what" : "[a-z-]*/$FAIL_HOST/9:done\$" >/dev/null; then
		echo "RESUME RAN THE WRONG STEPS: $ran run (journal: $jran): $what;" \
			"expected only the failed one, */$FAIL_HOST/9" >&2
		cat "$TMP/resume.out" >&2
		exit 1
	fi
	r=$((r + 1))
done
# shellcheck disable=SC2086
fwm=$(median $fw) rwm=$(median $rw)
printf '%-40s %9s\n' "" "wall s"
printf '%-40s %9s\n' "fresh run ($total steps, fails at the last)" "$(f3 "$fwm")"
printf '%-40s %9s\n' "resume (same journal)" "$(f3 "$rwm")"
printf 'resume / fresh: %.1f%% (target under 5%%); steps the resume ran: %s (%s)\n' \
	"$(calc "100 * $rwm / $fwm")" "$ran" "$what"

# --- (3) peak RSS ---------------------------------------------------------
echo
echo "(3) peak RSS of the jump-host process (target under 64 MB = 65536 KiB)"
# shellcheck disable=SC2086
printf '%-58s %8s KiB\n' "engine_bench, 1 phase x 10 steps x $N hosts (max of $RUNS)" \
	"$(maxof $rss1)"
# shellcheck disable=SC2086
printf '%-58s %8s KiB\n' "engine_bench, $PHASES phases, fresh and resume (max of $((2 * RUNS)))" \
	"$(maxof $rss2)"

# A real apply of a 50-host plan, stopped by its preflight: on this lab a
# preflight check must fail, since prepare's modprobe and sysctl -p would
# act on this machine's own kernel (the light lab's hosts share it). The
# binaries come from a mirror (never fetched before prepare) and the add-ons
# whose upstream manifests need a bundle are off.
{
	plan_hosts
	printf 'binaries:\n  source: mirror\n  mirrorURL: http://127.0.0.1:9/k8s\n'
	printf 'addons:\n  calico:\n    enabled: false\n  metricsServer:\n    enabled: false\n'
	printf '  csrApprover:\n    enabled: false\n'
} >"$TMP/apply.yaml"
cg=$(sh "$LAB" run "$LAB_DIR" 1 stat -fc %T /sys/fs/cgroup 2>/dev/null || echo none)
if [ "$cg" = cgroup2fs ]; then
	echo "k8s-wizard apply: not measured: the lab's hosts pass the cgroup2 check here, so" \
		"prepare would run against this machine's kernel"
else
	export K8SW_ASSETS_DIR="$top/assets" K8SW_STATE_DIR="$TMP/kwstate"
	t0=$(now)
	rc=0
	timeout 600 /usr/bin/time -f '%M' -o "$TMP/apply.rss" "$K8SW" apply -f "$TMP/apply.yaml" \
		--known-hosts "$LAB_KNOWN_HOSTS" >"$TMP/apply.out" 2>"$TMP/apply.err" || rc=$?
	t1=$(now)
	if [ "$rc" != 1 ] || ! grep -q ' preflight - phase-failed' "$TMP/apply.out" ||
		grep -q ' prepare ' "$TMP/apply.out"; then
		say "k8s-wizard apply did not stop in preflight as expected (exit $rc)"
		tail -n 20 "$TMP/apply.out" "$TMP/apply.err" >&2
		exit 1
	fi
	passed=$(grep -c ' preflight .* check-passed ' "$TMP/apply.out" || true)
	failed=$(grep -c ' preflight .* check-failed ' "$TMP/apply.out" || true)
	names=$(sed -n 's/.* preflight .* check-failed \([a-z0-9-]*\):.*/\1/p' "$TMP/apply.out" |
		sort -u | tr '\n' ' ')
	printf '%-58s %8s KiB\n' "k8s-wizard apply, $N hosts, fresh state, through preflight" \
		"$(tail -n 1 "$TMP/apply.rss")"
	printf '  (%.1f s: PKI generated, %d hosts rendered, connected, %d preflight checks\n' \
		"$(calc "$t1 - $t0")" "$N" $((passed + failed))
	printf '   run: %d passed, %d failed (%s): the run stopped before prepare, as intended)\n' \
		"$passed" "$failed" "${names% }"
fi
