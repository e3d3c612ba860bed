#!/bin/bash
# The bash completion (contrib/bash-completion/k8s-wizard), driven as bash
# drives it: COMP_WORDS and COMP_CWORD set, the function called, COMPREPLY
# read. Commands, options per command, plan files after -f, the groups and
# host names of the plan for --hosts, preflight check names.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# shellcheck source=tests/lib.sh
. "$top_srcdir/tests/lib.sh"
# shellcheck disable=SC1091
. "$top_srcdir/contrib/bash-completion/k8s-wizard"
complete -p k8s-wizard >/dev/null || fail "the file registers no completion for k8s-wizard"
LC_ALL=C
export LC_ALL

# comp WORD...: what completing the last WORD offers, sorted, one a line.
comp() {
	COMP_WORDS=("$@")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMPREPLY=()
	_k8s_wizard "$K8SW" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
	((${#COMPREPLY[@]} == 0)) || printf '%s\n' "${COMPREPLY[@]}" | sort
}

# expect "WORDS" EXPECTED...: comp WORDS (split at spaces; '' is an empty
# word) offers exactly EXPECTED.
expect() {
	local -a words
	local got want
	read -ra words <<<"$1"
	[[ ${words[${#words[@]} - 1]} == "''" ]] && words[${#words[@]} - 1]=
	shift
	got=$(comp "$K8SW" "${words[@]}")
	want=$( (($# == 0)) || printf '%s\n' "$@" | sort)
	if [[ $got == "$want" ]]; then
		echo "ok - $K8SW ${words[*]}<TAB>"
	else
		echo "not ok - $K8SW ${words[*]}<TAB>: got [${got//$'\n'/ }], want [${want//$'\n'/ }]" >&2
		failures=$((failures + 1))
	fi
}

cd "$TMP" || fail "no $TMP"
export K8SW_STATE_DIR="$TMP/state"
"$K8SW" plan init -o plan.yaml || fail "plan init failed"
mkdir sub other.yaml.d "with space"
: >b.yml
: >notes.txt
cp plan.yaml "with space/p.yaml"
# A plan with errors: export refuses it; its "name" is not a host name.
sed 's/name: master1/name: "$(touch pwned)"/' plan.yaml >bad.yaml
"$K8SW" plan check -f bad.yaml 2>/dev/null && fail "bad.yaml should not be a valid plan"

expect "''" apply bundle copy exec pki plan render resume status
expect "bundle ''" check fetch
expect "bundle fetch --" --dir --file --list --mirror --no-official
expect "bundle check -d ''" other.yaml.d sub "with space"
expect "pl" plan
expect "plan ''" check export init
expect "plan i" init
expect "plan init --" --force --output
expect "plan init -" -o --output --force
expect "render -" -f --file -o --out
expect "--" --demo --help --known-hosts --plan --skip-check --version
expect "apply --s" --skip-check --step-timeout
expect "status --" --cluster --file --json
expect "copy --" --accept-new-hostkeys --file --hosts --keepalive --known-hosts --mode --owner --parallel
# Plan files and directories after -f, --file, --plan; directories for --out.
expect "render -f ''" b.yml bad.yaml other.yaml.d plan.yaml sub "with space"
expect "--plan p" plan.yaml
expect "render -f plan.yaml --out ''" other.yaml.d sub "with space"
expect "render -f plan.yaml -o s" sub
# --hosts: the groups and the plan's hosts, after a comma too.
hosts="all etcd masters workers master1 master2 master3 node1 node2"
# shellcheck disable=SC2086
expect "exec -f plan.yaml --hosts ''" $hosts
expect "exec -f plan.yaml --hosts m" masters master1 master2 master3
expect "copy --file plan.yaml --hosts masters,no" masters,node1 masters,node2
expect "exec --file = plan.yaml --hosts n" node1 node2
expect "exec --hosts ''" all etcd masters workers
expect "exec -f bad.yaml --hosts ''" all etcd masters workers
[ ! -e pwned ] || fail "completing --hosts ran what the plan holds"
# A host of the plan a path with a space names; a plan renamed in it.
sed 's/name: node2/name: edge7/' "with space/p.yaml" >"with space/q.yaml"
for typed in 'with\ space/q.yaml' "'with space/q.yaml'" '"with space/q.yaml"'; do
	check "--hosts of $typed" [ "$(comp "$K8SW" exec -f "$typed" --hosts e)" = "edge7
etcd" ]
done
# Preflight check names, from apply --help.
expect "apply -f plan.yaml --skip-check ti" time-skew
expect "apply --skip-check arch,c" arch,cgroup2
expect "--skip-check h" hostname
# Clusters with a state directory.
mkdir -p "$K8SW_STATE_DIR/prod" "$K8SW_STATE_DIR/kubernetes"
expect "status --cluster ''" kubernetes prod
# After "--" exec completes a command for the hosts.
[[ $(comp "$K8SW" exec -f plan.yaml -- systemc) == *systemctl* ]] ||
	check "exec -- systemc offers systemctl" false
expect "exec -f plan.yaml ''"
expect "bogus ''"
finish "bash completion"
