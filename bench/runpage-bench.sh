#!/bin/sh
# The wizard's Run page under a flood of output: 1,000,000 lines streamed
# from the light lab's hosts (tests/lab/lab.sh: real sshd on 127.0.0.11...)
# through the real engine and SSH transport into the Run page on a real
# terminal (tmux, 80x24), by bench/runpage_bench (the wizard opened on the Run
# page with a render whose one step per host prints LINES/HOSTS lines; no
# health checks). Measured:
#   - the page's peak RSS (VmHWM; target under 64 MB) and its RSS over time;
#   - the redraw rate (frames a second the loop drew) and the time a frame
#     takes, from the loop's own figures;
#   - key response, two ways: inside the program (from reading a key to its
#     frame on the terminal) and from outside (tmux send-keys of Down until
#     the pane shows the next host focused, polled every 5 ms), every second
#     of the run;
#   - lines: what the hosts printed (the run's log files have them all),
#     what the page took, and what the queue dropped because the page was
#     slower than the hosts (the bound of src/event.h).
#   sh bench/runpage-bench.sh [BUILDDIR]   (as root; HOSTS=10, LINES=1000000)
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build}
DRIVER=$build/bench/runpage_bench
HOSTS=${HOSTS:-10}
LINES=${LINES:-1000000}
PER=$((LINES / HOSTS))
LAB="$top/tests/lab/lab.sh"
say() { echo "runpage-bench: $*" >&2; }
[ -x "$DRIVER" ] || { say "no $DRIVER: build first (make)"; exit 1; }
[ "$(id -u)" = 0 ] || { say "needs root (the lab)"; exit 1; }
command -v tmux >/dev/null 2>&1 || { say "needs tmux"; exit 1; }

TMP=$(mktemp -d /tmp/k8sw-rpb.XXXXXX)
LAB_DIR=
SOCK="$TMP/tmux.sock"
tm() { tmux -S "$SOCK" -f /dev/null -u "$@"; }
cleanup() {
	tm kill-server >/dev/null 2>&1 || true
	[ -z "$LAB_DIR" ] || sh "$LAB" stop "$LAB_DIR" >/dev/null 2>&1 || true
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say "starting $HOSTS lab hosts..."
sh "$LAB" start "$HOSTS" --port auto --dir "$TMP/lab" >"$TMP/lab.env"
. "$TMP/lab.env"
unset SSH_AUTH_SOCK
mkdir -p "$TMP/home" "$TMP/state"
{
	printf 'apiVersion: k8s-wizard/v1\nkind: ClusterPlan\nname: runpage-bench\nhosts:\n'
	printf -- '- name: master1\n  address: 127.0.0.11\n  roles: [master, etcd]\n'
	i=2
	while [ "$i" -le "$HOSTS" ]; do
		printf -- '- name: node%d\n  address: 127.0.0.%d\n  roles: [worker]\n' $((i - 1)) $((10 + i))
		i=$((i + 1))
	done
	printf 'ssh:\n  port: %s\n  identityFile: %s\n' "$LAB_PORT" "$LAB_KEY"
	printf 'addons:\n  csrApprover:\n    providerIPPrefixes: [127.0.0.0/8]\n'
} >"$TMP/plan.yaml"

# The names in the order the page lists them: Down moves to the next.
names="master1"
i=1
while [ "$i" -lt "$HOSTS" ]; do
	names="$names node$i"
	i=$((i + 1))
done

cat >"$TMP/run.sh" <<EOF
#!/bin/sh
export HOME='$TMP/home' K8SW_STATE_DIR='$TMP/state' LANG=C.UTF-8 TERM=tmux-256color
echo \$\$ >'$TMP/pid'
exec '$DRIVER' -f '$TMP/plan.yaml' --known-hosts '$LAB_KNOWN_HOSTS' --lines $PER --stats '$TMP/stats'
EOF
chmod +x "$TMP/run.sh"
say "$LINES lines: $PER from each of $HOSTS hosts, through the Run page at 80x24"
t0=$(date +%s.%N)
tm new-session -d -s b -x 80 -y 24 "$TMP/run.sh; echo '[exited]'; sleep 3600"
until [ -s "$TMP/pid" ]; do sleep 0.05; done
PID=$(cat "$TMP/pid")

now_ms() { date +%s%3N; }
title() { tm capture-pane -p -t b | grep -o '[a-z0-9]*: output' | head -1 | cut -d: -f1; }
ended() { tm capture-pane -p -t b | grep -qE 'is installed and healthy|The run could not start| failed$'; }

# The host after $1 in the page's list (the cluster's row last).
next_host() {
	case " $names cluster " in
	*" $1 "*) ;;
	*) echo master1; return ;;
	esac
	echo "$names cluster master1" | tr ' ' '\n' | awk -v h="$1" 'seen { print; exit } $0 == h { seen = 1 }'
}

# Every second: the RSS, and one key's response seen from outside, once the
# dashboard is up (a key while the run is being prepared moves nothing).
: >"$TMP/rss"
: >"$TMP/keys"
until [ -n "$(title)" ] || ended; do
	sleep 0.05
done
while ! ended; do
	awk '/^VmRSS/ { print $2 }' "/proc/$PID/status" >>"$TMP/rss"
	want=$(next_host "$(title)")
	k0=$(now_ms)
	tm send-keys -t b Down
	k=0
	while [ "$(title)" != "$want" ] && [ "$k" -lt 1000 ]; do
		sleep 0.005
		k=$((k + 1))
	done
	echo $(($(now_ms) - k0)) >>"$TMP/keys"
	sleep 1
done
t1=$(date +%s.%N)
awk '/^VmHWM/ { print $2 }' "/proc/$PID/status" >"$TMP/hwm"
tm capture-pane -p -t b >"$TMP/final"
tm send-keys -t b F10
n=0
until tm capture-pane -p -t b | grep -q '\[exited\]' || [ "$n" -gt 200 ]; do
	sleep 0.1
	n=$((n + 1))
done

# The hosts' lines, not the logged command that printed them.
printed=$(cat "$TMP"/state/runpage-bench/runs/*/*.log | grep -cE 'line [0-9]+ of the Run page benchmark' || true)
fig() { awk -v k="$1" '$1 == k { print $2 }' "$TMP/stats"; }
sorted=$(sort -n "$TMP/keys")
count=$(echo "$sorted" | grep -c . || true)
median=$(echo "$sorted" | awk -v n="$count" 'NR == int((n + 1) / 2) { print }')
worst=$(echo "$sorted" | tail -1)
rss_max=$(sort -n "$TMP/rss" | tail -1)

echo
echo "Run page benchmark: $HOSTS hosts x $PER lines, 80x24, $(date -u +%Y-%m-%d)"
echo "  run (start to the page's summary)     $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f s", b - a }')"
echo "  lines the hosts printed (logs)        $printed"
echo "  lines the page took / dropped         $(fig lines_shown) / $(fig lines_dropped)"
echo "  bytes of lines the page held at end   $(fig line_bytes_held)"
echo "  peak RSS (VmHWM)                      $(($(cat "$TMP/hwm") / 1024)) MiB (sampled max $((rss_max / 1024)) MiB; target < 64)"
echo "  frames drawn, per second              $(fig frames), $(fig frames_per_second)"
echo "  frame time avg / max                  $(fig frame_ms_avg) / $(fig frame_ms_max) ms"
echo "  key to frame, inside: avg / max       $(fig key_ms_avg) / $(fig key_ms_max) ms ($(fig keys) keys)"
echo "  key to screen, via tmux: median / max $median / $worst ms ($count keys)"
grep -q 'is installed and healthy' "$TMP/final" || { say "the run did not end well:"; cat "$TMP/final" >&2; exit 1; }
[ "$printed" -eq "$LINES" ] || { say "the logs hold $printed lines, not $LINES"; exit 1; }
[ "$(cat "$TMP/hwm")" -lt 65536 ] || { say "peak RSS over 64 MB"; exit 1; }
