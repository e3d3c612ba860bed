# Driving the wizard in tmux, as an operator would: a private tmux server, a
# terminal of a fixed size, keys sent in, the screen read back as text.
# Sourced by the screen tests after tests/lib.sh (which sets TMP and K8SW) and
# by doc/capture-screens.sh. Every wait polls the screen until what it waits
# for is there, with a generous timeout: nothing depends on how fast the
# machine is.

if ! command -v tmux >/dev/null 2>&1; then
	echo "SKIP: tmux is not installed (apt-get install tmux)"
	exit 77
fi

# The server's socket lives in $TMP, so nothing is left behind.
TUI_SOCK="$TMP/tmux.sock"
TUI_TIMEOUT=${TUI_TIMEOUT:-90}
TUI_STATE="$TMP/state"
mkdir -p "$TUI_STATE" "$TMP/home"

tmux_() {
	tmux -S "$TUI_SOCK" -f /dev/null -u "$@"
}

trap 'tmux_ kill-server >/dev/null 2>&1 || true; rm -rf "$TMP"' EXIT

# tui_start NAME COLS LINES [VAR=VALUE...] [-- ARGS...]: start the wizard in
# a session of that size, with that environment (LANG defaults to
# C.UTF-8) and those arguments. When it exits, the pane shows
# "[exited STATUS]" and the terminal's icanon and echo settings.
tui_start() {
	tui_name=$1
	tui_cols=$2
	tui_lines=$3
	shift 3
	tui_script="$TMP/$tui_name.run"
	{
		echo '#!/bin/sh'
		echo "cd '$TMP'"
		echo "export HOME='$TMP/home' K8SW_STATE_DIR='$TUI_STATE' LANG=C.UTF-8"
		echo "unset LC_ALL LANGUAGE NO_COLOR K8SW_ASCII"
		while [ $# -gt 0 ] && [ "$1" != "--" ]; do
			echo "export '$1'"
			shift
		done
		[ "${1:-}" = "--" ] && shift
		# The shell survives ^C (a handler, not an ignore, so the wizard
		# gets SIGINT's default disposition), and reports afterwards.
		echo "trap 'true' INT"
		printf "sh -c 'echo \$\$ > \"%s\"; exec \"\$0\" \"\$@\"' '%s'" "$TMP/$tui_name.pid" "$K8SW"
		for tui_arg in "$@"; do
			printf " '%s'" "$tui_arg"
		done
		echo
		echo 'echo "[exited $?]"'
		echo 'echo "[tty $(stty -a | tr " ;" "\n\n" | grep -E "^-?(icanon|echo)$" | tr "\n" " ")]"'
		echo 'exec sleep 3600'
	} > "$tui_script"
	chmod +x "$tui_script"
	rm -f "$TMP/$tui_name.pid"
	# Right after tui_stop of the last session the server may still be on
	# its way out ("server exited unexpectedly"): a new one is started then.
	for _try in 1 2 3 4 5; do
		tmux_ new-session -d -s "$tui_name" -x "$tui_cols" -y "$tui_lines" "$tui_script" &&
			return 0
		sleep 0.2
	done
	return 1
}

# The screen as text.
tui_screen() {
	tmux_ capture-pane -p -t "$1"
}

# The screen with its colours and attributes as escape sequences.
tui_screen_escapes() {
	tmux_ capture-pane -e -p -t "$1"
}

tui_keys() {
	tui_name=$1
	shift
	tmux_ send-keys -t "$tui_name" "$@"
}

# Type text literally.
tui_type() {
	tmux_ send-keys -t "$1" -l "$2"
}

# A click of button 1 at column x, row y (0-based): a press and a release in
# the X10 encoding the terminal description announces (kmous=\E[M).
tui_click() {
	tui_cx=$(printf "\\$(printf %o $(($2 + 33)))")
	tui_cy=$(printf "\\$(printf %o $(($3 + 33)))")
	tmux_ send-keys -t "$1" -l "$(printf '\033[M') $tui_cx$tui_cy"
	tmux_ send-keys -t "$1" -l "$(printf '\033[M')#$tui_cx$tui_cy"
}

# tui_until COMMAND...: poll until COMMAND succeeds, for TUI_TIMEOUT seconds.
tui_until() {
	tui_i=0
	while [ $tui_i -lt $((TUI_TIMEOUT * 10)) ]; do
		"$@" && return 0
		sleep 0.1
		tui_i=$((tui_i + 1))
	done
	echo "timed out waiting for: $*" >&2
	return 1
}

# tui_has NAME TEXT / tui_has_re NAME REGEX / tui_lacks NAME TEXT: the screen
# now holds TEXT, matches REGEX, or does not hold TEXT.
tui_has() { tui_screen "$1" | grep -qF -- "$2"; }
tui_has_re() { tui_screen "$1" | grep -qE -- "$2"; }
tui_lacks() { ! tui_has "$1" "$2"; }

# tui_wait NAME TEXT, tui_wait_re NAME REGEX, tui_wait_gone NAME TEXT: wait for
# one of those, showing the screen when it does not come.
tui_wait() { tui_until tui_has "$1" "$2" || { tui_screen "$1" >&2; return 1; }; }
tui_wait_re() { tui_until tui_has_re "$1" "$2" || { tui_screen "$1" >&2; return 1; }; }
tui_wait_gone() { tui_until tui_lacks "$1" "$2" || { tui_screen "$1" >&2; return 1; }; }

# The wizard's process id in a session.
tui_pid() {
	tui_i=0
	while [ ! -s "$TMP/$1.pid" ] && [ $tui_i -lt $((TUI_TIMEOUT * 10)) ]; do
		sleep 0.1
		tui_i=$((tui_i + 1))
	done
	cat "$TMP/$1.pid"
}

tui_stop() {
	tmux_ kill-session -t "$1" >/dev/null 2>&1 || true
}

# tui_resize NAME COLS LINES
tui_resize() {
	tmux_ resize-window -t "$1" -x "$2" -y "$3"
}

# The display column (0-based) where TEXT starts on the first line of the
# screen that holds it: wide characters count two columns.
tui_column() {
	tui_line=$(tui_screen "$1" | grep -F -- "$2" | head -n 1)
	printf '%s' "${tui_line%%"$2"*}" | LC_ALL=C.UTF-8 wc -L
}

# Build the zh_CN.UTF-8 locale (in $TMP, with LOCPATH, when the system has
# none) and the Chinese catalog from po/zh_CN.po, for a session started with
# the variables in TUI_ZH_ENV. Returns 1 when the locale cannot be built.
tui_setup_chinese() {
	mkdir -p "$TMP/locale/zh_CN/LC_MESSAGES"
	msgfmt -o "$TMP/locale/zh_CN/LC_MESSAGES/k8s-wizard.mo" "$top_srcdir/po/zh_CN.po" || return 1
	TUI_ZH_ENV="K8SW_LOCALEDIR=$TMP/locale"
	if locale -a 2>/dev/null | grep -qiE '^zh_CN\.utf-?8$'; then
		return 0
	fi
	mkdir -p "$TMP/locales"
	localedef -i zh_CN -f UTF-8 "$TMP/locales/zh_CN.UTF-8" >/dev/null 2>&1 || return 1
	TUI_ZH_ENV="$TUI_ZH_ENV LOCPATH=$TMP/locales"
}
