#!/bin/sh
# The wizard's Run page against the machines lab (tests/lab/machines.sh:
# systemd-nspawn hosts with real systemd, sshd and containerd; the lab's
# stand-ins for the kubelet, crictl and the API), driven in tmux as an
# operator would, on one lab and one state directory throughout:
#   1. From the Welcome page to the Run page at 80x24 with an empty
#      known_hosts: each host's unknown key is asked (its fingerprint is the
#      host's own) and accepted and saved; the terminal is resized during the
#      run and back; the wizard is killed (SIGKILL) in the middle of the run.
#   2. Started again, in Chinese: the Welcome page says the install did not
#      finish and offers to continue it; Continue finishes it (no key asked
#      again) and the page ends on the summary; kubectl and the journal agree.
#   3. A plan edit re-runs containerd's steps while a drop-in keeps containerd
#      from starting on node1 (NO_COLOR): the failure panel names the host,
#      the step, its exit status and the diagnostics (saved, with journalctl);
#      the log is shown; the cause is fixed and Retry runs; Ctrl-C asks and
#      stops the run cleanly; Enter resumes it and it completes.
#   4. Started again: the Welcome page shows the cluster as installed.
# K8SW_CAPTURE_DIR=DIR writes the Run page's captures (running, failed,
# finished; English and Chinese) there, as doc/screens/ holds them.
# Skips (77) only when the machines lab or the zh_CN locale cannot be had.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/tui-lib.sh"

if ! command -v msgfmt >/dev/null 2>&1 || ! command -v localedef >/dev/null 2>&1; then
	echo "SKIP: needs msgfmt (gettext) and localedef (locales)"
	exit 77
fi
tui_setup_chinese || fail "cannot build the zh_CN.UTF-8 locale or the catalog"

machines_lab master1 node1
trap 'tmux_ kill-server >/dev/null 2>&1; sh "$LAB" stop "$LAB_DIR" >/dev/null 2>&1; rm -rf "$TMP"' EXIT
export K8SW_STATE_DIR="$TUI_STATE"
STATE="$TUI_STATE/kubernetes"
# Generous: a step of the lab may wait on the host's systemd.
TUI_TIMEOUT=240

# The lab's kernel has no IPVS (see tests/lab-install.sh). node1 is frozen
# on purpose while the page is checked: a long connect timeout keeps the run
# waiting on it (each reconnection waits that long) instead of failing it
# first on a slow machine.
PLAN="$TMP/plan.yaml"
sed -e 's/kubeProxyMode: ipvs/kubeProxyMode: iptables/' \
	-e 's/connectTimeout: .*/connectTimeout: 120/' "$LAB_PLAN" >"$PLAN"
grep -q 'connectTimeout: 120' "$PLAN" || fail "the lab's plan has no connectTimeout"
KH="$TMP/known_hosts"
: >"$KH"
RUN_ARGS="--known-hosts $KH --skip-check disk"

on() {
	h=$1
	shift
	sh "$LAB" run "$LAB_DIR" "$h" "$@"
}

# capture SESSION NAME: keep the screen for doc/screens/ when asked.
capture() {
	[ -n "${K8SW_CAPTURE_DIR:-}" ] || return 0
	mkdir -p "$K8SW_CAPTURE_DIR/zh_CN"
	tui_screen "$1" | sed 's/[[:space:]]*$//' >"$K8SW_CAPTURE_DIR/$2.txt"
}

# both SESSION NAME NOW OTHER [zh]: capture in the session's language (zh:
# Chinese, else English), switch with F3, wait for the other language's
# words, capture, and switch back.
both() {
	first=$2
	second=zh_CN/$2
	if [ "${5:-}" = zh ]; then
		first=zh_CN/$2
		second=$2
	fi
	capture "$1" "$first" &&
		tui_keys "$1" F3 && tui_wait "$1" "$4" && capture "$1" "$second" &&
		tui_keys "$1" F3 && tui_wait "$1" "$3"
}

# journal_state STATE: the last run's state, as k8s-wizard status says it.
journal_state() {
	"$K8SW" status --cluster kubernetes --json >"$TMP/status.json" &&
		python3 -c 'import json, sys; sys.exit(json.load(open(sys.argv[1]))["state"] != sys.argv[2])' \
			"$TMP/status.json" "$1"
}

# A fingerprint of the lab's own record of a host's key is on the screen.
fingerprint_shown() {
	for fp in $(ssh-keygen -l -f "$LAB_KNOWN_HOSTS" | awk '{ print $2 }'); do
		tui_has "$1" "$fp" && return 0
	done
	tui_screen "$1" >&2
	return 1
}

# --- 1. a run from the Welcome page, host keys asked, resized, killed --------

first_run() {
	# shellcheck disable=SC2086
	tui_start w 80 24 $TUI_ZH_ENV -- --plan "$PLAN" $RUN_ARGS &&
		tui_wait w "Plan: $PLAN" &&
		tui_keys w NPage NPage NPage NPage NPage NPage &&
		tui_wait w "Ready to install cluster kubernetes" &&
		tui_wait w "Host keys are checked against $KH" &&
		tui_keys w Enter
}
check "the Run page is reached from the Welcome page and starts" first_run

accept_key() {
	tui_wait w "Unknown host key" &&
		fingerprint_shown w &&
		tui_wait w "Accept and save" &&
		tui_keys w Left Enter &&
		tui_wait_gone w "Unknown host key"
}
check "an unknown host key is asked, with the host's own fingerprint" accept_key
check "the second host's key is asked too" accept_key
check "both keys are saved in known_hosts" sh -c "
	n=0; while [ \$(grep -c . '$KH') != 2 ] && [ \$n -lt 100 ]; do sleep 0.1; n=\$((n+1)); done
	ssh-keygen -F '$LAB_ADDR_master1' -f '$KH' >/dev/null && ssh-keygen -F '$LAB_ADDR_node1' -f '$KH' >/dev/null"

# node1 freezes (every process stopped, as a host that hangs) once the run
# is under way: the page stays live while the run waits on it.
frozen() {
	tui_wait_re w "✓ preflight" &&
		sh "$LAB" freeze "$LAB_DIR" node1
}
check "node1 frozen during the run" frozen

# The dashboard at 80x24: the progress line, every phase, the hosts, a pane.
dashboard() {
	tui_wait_re w '[0-9]+/[0-9]+ steps' &&
		tui_wait w "metrics-server" &&
		tui_wait_re w "▸ [a-z-]+ +[0-9.:]+s?" &&
		tui_wait_re w 'master1 +[✓▸·✗–■]' &&
		tui_wait_re w 'node1 +[✓▸·✗–■]' &&
		tui_wait w "output" &&
		tui_wait w "F10 stop"
}
check "the dashboard fits 80x24: progress, phases, hosts, output, keys" dashboard

resized() {
	tui_resize w 120 40 &&
		tui_wait_re w 'master1 +[✓▸·✗–■ ]+ +[^ ].{40,}' &&
		tui_resize w 80 24 &&
		tui_wait w "metrics-server" &&
		tui_wait_re w '[0-9]+/[0-9]+ steps' &&
		[ "$(tui_screen w | wc -L)" -le 80 ]
}
check "resized during the run to 120x40 and back, it is laid out again" resized

# Keys still work while the run waits: the focus moves to the next host.
# Until a key is pressed, "follow" puts the focus on whichever host printed
# last; Up stops that, then Down must move it one row.
focused() {
	tui_screen w | sed -n 's/.* \([a-z0-9-]*\): output.*/\1/p' | head -1
}
keys_live() {
	tui_keys w Up && sleep 0.5 &&
		case $(focused) in
		master1) next=node1 ;;
		node1) next=cluster ;;
		cluster) next=master1 ;;
		*) return 1 ;;
		esac &&
		tui_keys w Down && tui_wait w "$next: output"
}
check "keys work while the run waits on a host" keys_live

# A click on a host's row focuses it, as Up/Down do.
clicked() {
	y=$(tui_screen w | grep -n 'master1 ' | head -1 | cut -d: -f1) &&
		x=$(tui_column w "master1 ") &&
		tui_click w "$x" $((y - 1)) &&
		tui_wait w "master1: output"
}
check "a click on a host's row focuses it" clicked
check "the running page in English and in Chinese (F3 during the run)" \
	both w 9-run-running "F10 stop" "F10 停止"

killed() {
	kill -KILL "$(tui_pid w)" && tui_wait w "[exited 137]"
}
check "killed (SIGKILL) during the run" killed
tui_stop w
sh "$LAB" thaw "$LAB_DIR" node1
check "the journal says the run never ended" journal_state started

# --- 2. in Chinese: the Welcome page offers to continue, and it completes ---

resumed() {
	# shellcheck disable=SC2086
	tui_start z 80 24 $TUI_ZH_ENV LANG=zh_CN.UTF-8 -- $RUN_ARGS &&
		tui_wait z "集群 kubernetes 的安装尚未完成" &&
		tui_wait z "继续安装" &&
		tui_keys z Enter &&
		tui_wait_re z '[0-9]+/[0-9]+ 步' &&
		tui_wait z "集群 kubernetes 已安装且健康" &&
		tui_lacks z "未知的主机密钥"
}
check "restarted in Chinese: Welcome offers to continue, the run completes" resumed

summary() {
	tui_wait_re z 'node1 +Ready' &&
		tui_wait z "admin.kubeconfig" &&
		tui_wait_re z 'metrics-server +[0-9.]+s' &&
		tui_wait z "runs/" &&
		both z 11-run-finished "已安装且健康" "is installed and healthy" zh
}
check "the summary: nodes, admin kubeconfig, time per phase, logs" summary

outside() {
	"$KUBECTL" --kubeconfig "$STATE/admin.kubeconfig" get nodes --no-headers >"$TMP/nodes" &&
		grep -q '^node1 .* Ready ' "$TMP/nodes" &&
		journal_state done
}
check "kubectl 1.29 sees node1 Ready; the journal says done" outside
check "no key was asked again" test "$(grep -c . "$KH")" = 2
quit_z() {
	tui_keys z F10 && tui_wait z "[exited 0]"
}
check "F10 quits once the run has ended" quit_z
tui_stop z

# --- 3. a failing step, its diagnostics, the fix and Retry --------------------

# A changed sandbox image runs containerd's steps again; a drop-in left on
# node1 keeps containerd from starting.
sed 's#sandboxImage: .*#sandboxImage: registry.k8s.io/pause:3.9#' "$PLAN" >"$TMP/plan2.yaml"
on node1 sh -c 'mkdir -p /etc/systemd/system/containerd.service.d &&
	printf "[Service]\nExecStartPre=/bin/false\n" >/etc/systemd/system/containerd.service.d/broken.conf'

failing() {
	# shellcheck disable=SC2086
	tui_start f 80 24 $TUI_ZH_ENV NO_COLOR=1 -- --plan "$TMP/plan2.yaml" $RUN_ARGS &&
		tui_wait f "Cluster kubernetes is installed" &&
		tui_keys f Down Enter &&
		tui_wait f "SSH access" &&
		tui_keys f NPage NPage NPage NPage NPage &&
		tui_wait f "Ready to install cluster kubernetes" &&
		tui_wait f "The cluster's journal has an earlier run" &&
		tui_keys f Enter &&
		tui_wait f "node1 failed in phase containerd" &&
		tui_wait f "Step: systemctl" &&
		tui_wait_re f "[Ee]xit status [1-9]" &&
		tui_wait f "Look first at:" &&
		tui_wait f "node1.diag" &&
		tui_wait_re f "failed$" &&
		tui_wait f "r retry"
}
check "a failing step: the failure panel names host, step, exit status, diagnostics" failing

diag_saved() {
	d=$(ls "$STATE"/runs/*/node1.diag 2>/dev/null | tail -1)
	[ -n "$d" ] && grep -q 'journalctl -u containerd' "$d" && [ "$(stat -c %a "$d")" = 600 ]
}
check "the diagnostics file holds containerd's journal, mode 0600" diag_saved
check "with NO_COLOR the failure is drawn in symbols, no colour" sh -c "
	tmux -S '$TUI_SOCK' capture-pane -e -p -t f | grep -q '✗' &&
	! tmux -S '$TUI_SOCK' capture-pane -e -p -t f | grep -q '\[3[1-7]m'"
check "the failed page in English and in Chinese" both f 10-run-failed "r retry" "r 重试"

show_log() {
	tui_keys f l && tui_wait f "Log of node1" && tui_wait f "step containerd/" &&
		tui_keys f Escape && tui_wait_gone f "Log of node1"
}
check "l shows the failed host's log" show_log

on node1 sh -c 'rm -r /etc/systemd/system/containerd.service.d && systemctl daemon-reload'
# Retry, then Ctrl-C asks before it stops; once stopped, Enter resumes.
stopped() {
	tui_keys f r &&
		tui_wait_re f "▸ [a-z-]+ +[0-9.:]+s?" &&
		tui_keys f C-c &&
		tui_wait f "Stop the install?" &&
		tui_keys f Enter &&
		tui_wait_re f "stopped$" &&
		tui_wait f "Enter resume"
}
check "fixed, Retry runs; Ctrl-C asks, then stops the run cleanly" stopped
check "the journal says stopped" journal_state stopped
retried() {
	tui_keys f Enter &&
		tui_wait f "Cluster kubernetes is installed and healthy" &&
		tui_keys f F10 && tui_wait f "[exited 0]"
}
check "Enter resumes, and the install completes" retried
tui_stop f
check "the journal says done again" journal_state done

# --- 4. a finished cluster on the Welcome page ---------------------------------

finished() {
	# shellcheck disable=SC2086
	tui_start d 80 24 $TUI_ZH_ENV -- $RUN_ARGS &&
		tui_wait d "Cluster kubernetes is installed: its last run ended" &&
		tui_wait d "Check the cluster" &&
		tui_keys d F10 && tui_wait d "[exited 0]"
}
check "started again, the Welcome page shows the cluster as installed" finished
tui_stop d

finish "the Run page on the machines lab"
