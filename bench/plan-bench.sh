#!/bin/sh
# Load + validate + export a plan with 1000 workers, printing wall time and
# peak memory, beside PyYAML with libyaml's C loader and dumper doing only the
# load and dump of the same file (no validation) in the same run.
# Usage: bench/plan-bench.sh [K8SW-BINARY] [RUNS]
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
k8sw=${1:-$top/build/k8s-wizard}
runs=${2:-10}
work=$(mktemp -d "${TMPDIR:-/tmp}/k8sw-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
[ -x "$k8sw" ] || { echo "no binary at $k8sw: build first or pass its path" >&2; exit 2; }

# 3 masters and 1000 workers on 10.2.0.0/16.
{
	printf 'apiVersion: k8s-wizard/v1\nkind: ClusterPlan\nname: big\nhosts:\n'
	for i in 1 2 3; do
		printf -- '- name: master%d\n  address: 10.1.1.%d\n  roles: [master, etcd]\n' "$i" "$i"
	done
	i=1
	while [ $i -le 1000 ]; do
		printf -- '- name: node%d\n  address: 10.2.%d.%d\n  roles: [worker]\n' \
			"$i" $((i / 250)) $((i % 250 + 1))
		i=$((i + 1))
	done
	printf 'addons:\n  csrApprover:\n    providerIPPrefixes: [10.2.0.0/16]\n'
} >"$work/plan.yaml"
"$k8sw" plan check -f "$work/plan.yaml" >/dev/null

# measure NAME COMMAND...: median wall time (ms, from a nanosecond clock) and
# peak RSS (KiB) of RUNS runs.
measure() {
	name=$1
	shift
	: >"$work/times"
	n=0
	while [ $n -lt "$runs" ]; do
		start=$(date +%s%N)
		/usr/bin/time -f '%M' -o "$work/rss" "$@" >/dev/null
		end=$(date +%s%N)
		echo "$(((end - start) / 1000)) $(cat "$work/rss")" >>"$work/times"
		n=$((n + 1))
	done
	sort -n "$work/times" | awk -v name="$name" '
		{ t[NR] = $1 / 1000; if ($2 > m) m = $2 }
		END { printf "%-44s %8.1f ms %8d KiB\n", name, t[int((NR + 1) / 2)], m }'
}

echo "plan: 1003 hosts, $(wc -c <"$work/plan.yaml") bytes; median of $runs runs"
printf '%-44s %11s %12s\n' "" "wall" "peak RSS"
measure "k8s-wizard plan export (load+validate+emit)" \
	"$k8sw" plan export -f "$work/plan.yaml" -o "$work/out.yaml" --force
if /usr/bin/python3 -c 'import yaml; yaml.CSafeLoader' 2>/dev/null; then
	measure "python3 PyYAML C load+dump (no validation)" /usr/bin/python3 -c '
import sys, yaml
d = yaml.load(open(sys.argv[1]), Loader=yaml.CSafeLoader)
yaml.dump(d, open(sys.argv[2], "w"), Dumper=yaml.CSafeDumper)' "$work/plan.yaml" "$work/py.yaml"
	measure "python3 startup alone" /usr/bin/python3 -c 'import yaml'
else
	echo "python3-yaml with libyaml is not installed: no reference figures"
fi
# Instructions do not depend on the machine's load: a figure to compare runs.
if command -v valgrind >/dev/null; then
	valgrind --tool=callgrind --callgrind-out-file="$work/cg" "$k8sw" plan export \
		-f "$work/plan.yaml" -o "$work/out.yaml" --force 2>"$work/cg.err" >/dev/null
	sed -n 's/.*Collected : \([0-9]*\)/\1/p' "$work/cg.err" |
		awk '{ printf "%-44s %8.1f M instructions\n", "k8s-wizard plan export", $1 / 1e6 }'
fi
