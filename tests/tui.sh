#!/bin/sh
# The wizard on a terminal, read back as an operator sees it (tmux
# capture-pane): the guide's plan, a host added, a network problem shown and
# fixed, export, quitting and reopening, --plan, resizing, mouse clicks, help,
# colours and their absence, ASCII line drawing, and the terminal restored
# after SIGTERM and ^C. The Chinese screens are tests/tui-zh.sh.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/tui-lib.sh"

# A fresh state directory for each scenario.
fresh_state() {
	rm -rf "$TUI_STATE"
	mkdir -p "$TUI_STATE"
}

# The guide's five hosts, each on its own row with its roles.
default_hosts() {
	s=$(tui_screen w)
	for row in 'master1 +10\.1\.1\.1 +22 +root +\[x\] +\[x\] +\[ \]' \
		'master2 +10\.1\.1\.2 +22 +root +\[x\] +\[x\] +\[ \]' \
		'master3 +10\.1\.1\.3 +22 +root +\[x\] +\[x\] +\[ \]' \
		'node1 +10\.1\.1\.4 +22 +root +\[ \] +\[ \] +\[x\]' \
		'node2 +10\.1\.1\.5 +22 +root +\[ \] +\[ \] +\[x\]'; do
		echo "$s" | grep -qE "$row" || { echo "no row /$row/:" >&2; echo "$s" >&2; return 1; }
	done
}

# Start on the default plan and go to the server plan.
open_servers() {
	tui_start w 80 24 &&
		tui_wait w "No saved plan yet" &&
		tui_keys w NPage &&
		tui_wait w "SSH access"
}

add_worker() {
	# From master1's name, four rows down is node2; + duplicates it.
	tui_keys w Down Down Down Down + &&
		tui_wait_re w 'node3 +10\.1\.1\.6 +22 +root +\[ \] +\[ \] +\[x\]' &&
		tui_wait w "Added node3 at 10.1.1.6"
}

overlap_on_network() {
	tui_keys w NPage &&
		tui_wait w "Address ranges" &&
		tui_keys w Tab Enter C-u &&
		tui_type w "192.168.128.0/17" &&
		tui_keys w Enter &&
		tui_wait w "192.168.128.0/17 overlaps serviceCIDR 192.168.0.0/16" &&
		tui_wait w "1 error"
}

overlap_on_review() {
	tui_keys w NPage NPage NPage &&
		tui_wait w "Every problem left" &&
		tui_wait w "Network > Pod network: 192.168.128.0/17 overlaps serviceCIDR" &&
		tui_wait w "Bundle ~/k8s-bundle: 0 of 10 files present; all missing"
}

run_disabled() {
	# PgDn on the review page would start the run: refused, and we stay.
	tui_keys w NPage &&
		tui_wait w "fix it on the review page before the run" &&
		tui_wait w "Every problem left"
}

link_back() {
	# The first link is focused: Enter goes to the field.
	tui_keys w Escape Enter &&
		tui_wait w "Address ranges" &&
		tui_wait w "must not overlap Services or hosts"
}

fix_network() {
	# The pod network is focused: type the guide's value back.
	tui_keys w Enter C-u &&
		tui_type w "172.18.0.0/16" &&
		tui_keys w Enter &&
		tui_wait_gone w "overlaps serviceCIDR" &&
		tui_wait w "no problems" &&
		tui_keys w NPage NPage NPage &&
		tui_wait w "No problems: the plan is ready to run."
}

export_plan() {
	tui_keys w F2 &&
		tui_wait w "Export the plan" &&
		tui_keys w C-u &&
		tui_type w "$TMP/exported.yaml" &&
		tui_keys w Enter &&
		tui_wait w "Plan written to $TMP/exported.yaml" &&
		"$K8SW" plan check -f "$TMP/exported.yaml" &&
		grep -A2 -- '- name: node3' "$TMP/exported.yaml" | grep -q 'address: 10.1.1.6'
}

# ~/ in the path is the home directory, as in a shell.
export_home() {
	tui_keys w F2 &&
		tui_wait w "Export the plan" &&
		tui_keys w C-u &&
		tui_type w "~/exported.yaml" &&
		tui_keys w Enter &&
		tui_wait w "Plan written to $TMP/home/exported.yaml" &&
		cmp -s "$TMP/exported.yaml" "$TMP/home/exported.yaml"
}

export_overwrite_asks() {
	tui_keys w F2 &&
		tui_wait w "Export the plan" &&
		tui_keys w Enter &&
		tui_wait w "File exists" &&
		tui_wait w "exported.yaml exists." &&
		tui_keys w Enter &&
		tui_wait w "Export cancelled."
}

quit_and_reopen() {
	tui_keys w F10 &&
		tui_wait w "The plan has changed" &&
		tui_keys w Enter &&
		tui_wait w "[exited 0]" &&
		tui_wait w "[tty icanon echo ]" &&
		tui_stop w &&
		tui_start w 80 24 &&
		tui_wait w "A saved plan was found: cluster kubernetes, 6 hosts" &&
		tui_keys w Enter &&
		tui_wait w "Every problem left" &&
		tui_wait_re w 'node3 +10\.1\.1\.6 +worker' &&
		tui_keys w PPage PPage PPage PPage &&
		tui_wait_re w 'node3 +10\.1\.1\.6 +22 +root +\[ \] +\[ \] +\[x\]' &&
		default_hosts &&
		tui_keys w F10 &&
		tui_wait w "[exited 0]"
}

fresh_state
check "welcome, then the servers" open_servers
check "the guide's five hosts" default_hosts
check "duplicate node2 adds node3 at the next address" add_worker
check "pod CIDR overlapping the service CIDR: error on the network screen" overlap_on_network
check "the same error on the review page" overlap_on_review
check "run refused while an error remains" run_disabled
check "a problem links back to its field" link_back
check "fixing it clears it on both screens" fix_network
check "F2 exports a plan that plan check accepts, with the new worker" export_plan
check "F2 warns before overwriting" export_overwrite_asks
check "F2 expands ~/ to the home directory" export_home
check "quit, reopen: the same plan" quit_and_reopen
tui_stop w

# --plan FILE opens that plan.
plan_file() {
	"$K8SW" plan init -o "$TMP/edge.yaml" &&
		sed -i 's/node2/edge7/; s/10\.1\.1\.5/10.1.1.77/' "$TMP/edge.yaml" &&
		tui_start f 80 24 -- --plan "$TMP/edge.yaml" &&
		tui_wait f "Plan: $TMP/edge.yaml" &&
		tui_keys f NPage &&
		tui_wait_re f 'edge7 +10\.1\.1\.77 ' &&
		tui_keys f F10 &&
		tui_wait f "[exited 0]"
}
fresh_state
check "--plan FILE opens on that plan" plan_file
tui_stop f

# Resizing keeps the screen and what is being typed. Right after a resize
# tmux still shows the old picture, so wait for the whole new layout.
laid_out() { # laid_out NAME LINES: header on top, footer at the bottom, the edit kept
	[ "$(tui_screen "$1" | wc -l)" -eq "$2" ] &&
		tui_screen "$1" | head -n 1 | grep -q '1 Welcome.*7 Run' &&
		tui_screen "$1" | tail -n 1 | grep -q 'F10 quit' &&
		tui_screen "$1" | grep -qE 'master1 +10\.9\.9\.9'
}

resize() {
	tui_start r 80 24 &&
		tui_wait r "No saved plan yet" &&
		tui_keys r NPage &&
		tui_wait r "SSH access" &&
		tui_keys r Tab Enter C-u &&
		tui_type r "10.9.9.9" &&
		tui_resize r 200 60 &&
		tui_until laid_out r 60 &&
		tui_screen r | head -n 1 | grep -q '1 Welcome.*7 Run.*k8s-wizard' &&
		tui_resize r 80 24 &&
		tui_until laid_out r 24 &&
		default_hosts_after_edit r
}

default_hosts_after_edit() {
	tui_screen "$1" | grep -qE 'node2 +10\.1\.1\.5 +22 +root'
}

too_small() {
	tui_resize r 60 20 &&
		tui_wait r "The terminal is 60x20; k8s-wizard needs at least 80x24." &&
		tui_resize r 80 24 &&
		tui_wait_re r 'master1 +10\.9\.9\.9' &&
		tui_keys r Escape &&
		tui_wait_re r 'master1 +10\.1\.1\.1 ' &&
		tui_keys r F10 &&
		tui_wait r "[exited 0]"
}
fresh_state
check "resize to 200x60 and back to 80x24 keeps the screen and the input" resize
check "too small a terminal says so, and recovers" too_small
tui_stop r

# The mouse: a click on a step goes there; a click on a role switch flips it.
mouse() {
	tui_start m 80 24 &&
		tui_wait m "No saved plan yet" &&
		tui_click m 55 0 &&
		tui_wait m "Versions, binaries, etcd" &&
		tui_click m 12 0 &&
		tui_wait m "SSH access" &&
		col=$(tui_column m worker) &&
		tui_click m $((col + 1)) 4 &&
		tui_wait m "a host is a master or a worker, not both" &&
		tui_keys m F10 &&
		tui_wait m "The plan has changed" &&
		tui_keys m Right Enter &&
		tui_wait m "[exited 0]" &&
		[ ! -e "$TUI_STATE/kubernetes/plan.yaml" ]
}
fresh_state
check "mouse clicks on the step bar and a role switch; quit with Discard" mouse
tui_stop m

# F1: the focused field's help, its plan key and what it accepts.
help() {
	tui_start h 80 24 &&
		tui_wait h "No saved plan yet" &&
		tui_keys h NPage NPage &&
		tui_wait h "Address ranges" &&
		tui_keys h Tab F1 &&
		tui_wait h "In the plan file: network.podCIDR" &&
		tui_wait h "Default: 172.18.0.0/16" &&
		tui_screen h | grep -q '┌' &&
		tui_keys h Escape &&
		tui_wait_gone h "In the plan file" &&
		tui_keys h F10 &&
		tui_wait h "[exited 0]"
}
fresh_state
check "F1 shows the field's help" help
tui_stop h

# Deleting a host asks first; the answer defaults to Cancel.
delete_host() {
	tui_start d 80 24 &&
		tui_wait d "No saved plan yet" &&
		tui_keys d NPage &&
		tui_wait d "SSH access" &&
		tui_keys d Down Down Down Down DC &&
		tui_wait d "Delete host node2 (10.1.1.5) from the plan?" &&
		tui_keys d Enter &&
		tui_wait_gone d "Delete host node2" &&
		tui_wait_re d 'node2 +10\.1\.1\.5' &&
		tui_keys d DC &&
		tui_wait d "Delete host node2" &&
		tui_keys d Left Enter &&
		tui_wait_gone d "node2" &&
		tui_keys d F10 &&
		tui_wait d "The plan has changed" &&
		tui_keys d Enter &&
		tui_wait d "[exited 0]" &&
		! grep -q node2 "$TUI_STATE/kubernetes/plan.yaml" &&
		grep -q node1 "$TUI_STATE/kubernetes/plan.yaml"
}
fresh_state
check "deleting a host asks, and Cancel is the default" delete_host
tui_stop d

# NO_COLOR: attributes only. Without it: colours.
colours() {
	tui_start c 80 24 &&
		tui_wait c "No saved plan yet" &&
		tui_screen_escapes c | grep -qE '\[([0-9;]*;)?(3[0-7]|4[0-7]|9[0-7])(;[0-9;]*)?m' &&
		tui_keys c F10 &&
		tui_wait c "[exited 0]" &&
		tui_stop c &&
		tui_start c 80 24 NO_COLOR=1 &&
		tui_wait c "No saved plan yet" &&
		! tui_screen_escapes c | grep -qE '\[([0-9;]*;)?(3[0-7]|4[0-7]|9[0-7]|38|48)(;[0-9;]*)?m' &&
		tui_screen_escapes c | grep -qE '\[([0-9;]*;)?(1|7)(;[0-9;]*)?m' &&
		tui_keys c F10 &&
		tui_wait c "[exited 0]"
}
fresh_state
check "colours, and none with NO_COLOR" colours
tui_stop c

# A terminal that is not UTF-8: ASCII lines and symbols, no language key.
ascii() {
	tui_start a 80 24 LANG=C &&
		tui_wait a "No saved plan yet" &&
		tui_wait a "+ no problems" &&
		! tui_screen a | grep -q 'F3' &&
		tui_keys a NPage NPage &&
		tui_wait a "Address ranges" &&
		tui_keys a F1 &&
		tui_wait a "In the plan file: network.serviceCIDR" &&
		tui_screen a | grep -qF -- '+- ' &&
		! tui_screen a | grep -q '─' &&
		tui_keys a Escape F10 &&
		tui_wait a "[exited 0]"
}
fresh_state
check "ASCII drawing on a terminal that is not UTF-8" ascii
tui_stop a

# SIGTERM and ^C: the terminal comes back sane, and what was typed is kept.
sigterm() {
	tui_start s 80 24 &&
		tui_wait s "No saved plan yet" &&
		tui_keys s NPage &&
		tui_wait s "SSH access" &&
		tui_keys s a &&
		tui_type s "edge1" &&
		tui_wait_re s 'edge1 +\(none\)' &&
		kill -TERM "$(tui_pid s)" &&
		tui_wait s "[exited 143]" &&
		tui_wait s "[tty icanon echo ]" &&
		grep -q 'name: edge1' "$TUI_STATE/kubernetes/plan.yaml"
}

sigint() {
	tui_start i 80 24 &&
		tui_wait i "A saved plan was found" &&
		tui_keys i C-c &&
		tui_wait i "[exited 130]" &&
		tui_wait i "[tty icanon echo ]"
}
# The Network page chooses how the apiservers are reached: local uses no VIP,
# says so while one is set, and the VIP can be cleared.
endpoint_choice() {
	tui_start e 80 30 &&
		tui_wait e "No saved plan yet" &&
		tui_keys e NPage NPage &&
		tui_wait e "Address ranges" &&
		tui_keys e Tab Tab Tab Tab Tab Enter &&
		tui_wait e "> external" &&
		tui_keys e Down Enter &&
		tui_wait_re e 'API endpoint +local' &&
		tui_wait e "10.1.1.10 is not used with apiserverEndpoint: local" &&
		tui_wait e "1 warning" &&
		tui_keys e Tab Enter C-u Enter &&
		tui_wait_re e 'API server VIP +\(none\)' &&
		tui_wait e "no problems" &&
		tui_keys e F10 &&
		tui_wait e "The plan has changed" &&
		tui_keys e Enter &&
		tui_wait e "[exited 0]" &&
		grep -q 'apiserverEndpoint: local' "$TUI_STATE/kubernetes/plan.yaml" &&
		grep -q 'apiserverVIP: ""' "$TUI_STATE/kubernetes/plan.yaml"
}
fresh_state
check "the Network page: apiserverEndpoint local, the VIP cleared" endpoint_choice
tui_stop e

fresh_state
check "SIGTERM restores the terminal and keeps the plan" sigterm
check "^C restores the terminal" sigint
tui_stop s
tui_stop i

finish "tui"
