#!/bin/sh
# The command-line contract: help, version, usage errors (exit 2), and the
# plan commands end to end on real files.
. "$top_srcdir/tests/lib.sh"
export LC_ALL=C LANGUAGE=
cd "$TMP"

runs() { # runs RC COMMAND...: the command exits with RC
	want=$1
	shift
	rc=0
	"$@" >out 2>err || rc=$?
	[ "$rc" -eq "$want" ] || { echo "exit $rc, wanted $want: $*" >&2; cat err >&2; return 1; }
}
has() { grep -q -- "$2" "$1" || { echo "$1 lacks '$2':" >&2; cat "$1" >&2; return 1; }; }

check "--version" runs 0 "$K8SW" --version
check "--version prints the version" has out "^k8s-wizard [0-9]"
check "--help" runs 0 "$K8SW" --help
check "--help lists plan check" has out "plan check"
check "-h" runs 0 "$K8SW" -h
check "unknown option" runs 2 "$K8SW" --frobnicate
check "unknown option: usage on stderr" has err "Usage: k8s-wizard"
check "unknown command" runs 2 "$K8SW" frobnicate
check "unknown command named" has err "unknown command 'frobnicate'"
check "plan alone" runs 2 "$K8SW" plan
check "plan alone lists subcommands" has err "plan check"
check "plan --help" runs 0 "$K8SW" plan --help
check "unknown plan subcommand" runs 2 "$K8SW" plan frob
for c in init check export; do
	check "plan $c --help" runs 0 "$K8SW" plan $c --help
	check "plan $c --help is usage" has out "Usage: k8s-wizard plan $c"
	check "plan $c bad option" runs 2 "$K8SW" plan $c --bogus
	check "plan $c bad option explained" has err "unknown option --bogus"
done
check "plan check needs -f" runs 2 "$K8SW" plan check
check "plan check -f needs a value" runs 2 "$K8SW" plan check -f
check "plan check extra argument" runs 2 "$K8SW" plan check -f x y
check "plan init takes no -f" runs 2 "$K8SW" plan init -f x
check "--plan with a command" runs 2 "$K8SW" --plan x plan check -f x
check "wizard needs a terminal" runs 2 "$K8SW" </dev/null
check "wizard says so" has err "needs a terminal"

# init, check, export on real files.
check "plan init to stdout" runs 0 "$K8SW" plan init
cp out default.yaml
check "default plan has the guide's hosts" has default.yaml "address: 10.1.1.5"
check "plan init -o" runs 0 "$K8SW" plan init -o plan.yaml
check "init -o wrote the same" cmp -s plan.yaml default.yaml
echo "changed" >>plan.yaml
check "init refuses to overwrite" runs 2 "$K8SW" plan init -o plan.yaml
check "init says --force" has err "use --force"
check "refused overwrite kept the file" has plan.yaml "^changed"
check "init --force overwrites" runs 0 "$K8SW" plan init -o plan.yaml --force
check "forced file is the default" cmp -s plan.yaml default.yaml
check "plan check on the default" runs 0 "$K8SW" plan check -f plan.yaml
check "check says valid" has out "the plan is valid: 5 hosts (3 masters, 3 etcd members, 2 workers)"
check "check quiet on stderr" [ ! -s err ]
check "missing file" runs 2 "$K8SW" plan check -f nothere.yaml
check "missing file explained" has err "^nothere.yaml: file: cannot read the plan: No such file"

# A hand-written plan: comments, another order, defaults left out.
cat >hand.yaml <<'PLAN'
# our lab cluster
kind: ClusterPlan
apiVersion: k8s-wizard/v1
network:
  podCIDR: 10.244.0.0/16   # calico pool
hosts:
  - {name: m1, address: 10.1.1.1, roles: [etcd, master]}
  - name: w1
    address: 10.1.1.4
    roles: [worker]
    port: 2222
name: lab
PLAN
check "hand plan checks with a warning" runs 0 "$K8SW" plan check -f hand.yaml
check "single etcd member warns" has err "^hand.yaml:7:3: hosts: warning: a single etcd member"
check "export hand plan" runs 0 "$K8SW" plan export -f hand.yaml
cp out canon.yaml
check "export is canonical" has canon.yaml "^  roles: \[master, etcd\]"
check "export fills defaults" has canon.yaml "serviceCIDR: 192.168.0.0/16"
check "export keeps values" has canon.yaml "podCIDR: 10.244.0.0/16"
check "export keeps host port" has canon.yaml "  port: 2222"
check "export has no comments" sh -c '! grep -q "#" canon.yaml'
check "export of export" runs 0 "$K8SW" plan export -f canon.yaml
check "export is idempotent" cmp -s out canon.yaml
check "export -o" runs 0 "$K8SW" plan export -f hand.yaml -o exported.yaml
check "export -o wrote it" cmp -s exported.yaml canon.yaml
check "export -o refuses to overwrite" runs 2 "$K8SW" plan export -f hand.yaml -o exported.yaml
check "export -o --force" runs 0 "$K8SW" plan export -f hand.yaml -o exported.yaml --force
check "export to a missing directory" runs 1 "$K8SW" plan export -f hand.yaml -o no/such/dir.yaml
check "export failure explained" has err "cannot create a file next to no/such/dir.yaml"
check "no directory made for it" [ ! -e no ]
check "no temporary file left" sh -c '! ls exported.yaml.tmp.* 2>/dev/null'

# A plan kept as a link is read, and exported through the link the link stays.
mkdir real
cp canon.yaml real/plan.yaml
ln -s real/plan.yaml link.yaml
check "plan check follows a link" runs 0 "$K8SW" plan check -f link.yaml
check "export -o LINK --force" runs 0 "$K8SW" plan export -f default.yaml -o link.yaml --force
check "the link is still a link" [ -L link.yaml ]
check "its target got the plan" cmp -s real/plan.yaml default.yaml
# A FIFO is refused at once, not waited on for a writer.
mkfifo fifo.yaml
check "a FIFO is refused" runs 2 timeout 10 "$K8SW" plan check -f fifo.yaml
check "the FIFO refusal says why" has err "not a regular file"
finish "command line"
