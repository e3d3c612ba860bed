#!/bin/sh
# What a formatter cannot see: banned calls, raw allocation outside xmalloc.c
# and a stale po/POTFILES.in.
. "$top_srcdir/tests/lib.sh"
cd "$top_srcdir"
files=$(ls src/*.c src/*.h cli/*.c cli/*.h ui/*.c ui/*.h)
banned='\b(sprintf|vsprintf|strcpy|strcat|strtok|atoi|atol|gets|system|popen)[[:space:]]*\('
bad=$(grep -nE "$banned" $files | grep -v '!checksrc! allow')
[ -z "$bad" ] || fail "banned calls (use xsnprintf, xasprintf, strtoul, posix_spawn...):
$bad"
# Hosts run in worker threads: libc calls with one static result are banned.
banned='\b(getpwuid|getpwnam|getgrgid|getgrnam|localtime|gmtime|ctime|asctime)[[:space:]]*\('
bad=$(grep -nE "$banned" $files | grep -v '!checksrc! allow')
[ -z "$bad" ] || fail "not thread-safe (use homedir_get(), getpwuid_r(), localtime_r()...):
$bad"
raw='(^|[^x_a-z])(malloc|calloc|realloc|reallocarray|strdup|strndup|asprintf|vasprintf)[[:space:]]*\('
bad=$(grep -nE "$raw" $(echo "$files" | grep -v 'src/xmalloc\.[ch]') | grep -v '!checksrc! allow')
[ -z "$bad" ] || fail "raw allocation outside src/xmalloc.c (use the x-helpers):
$bad"
# Secrets are wiped one way: explicit_bzero(), xfree_secret() for strings.
# Other ways are refused, and so is a memset() before a free() of the same
# memory (the compiler may drop it) or a memset() of anything named like a
# secret.
bad=$(grep -nE '(^|[^_a-zA-Z0-9])(OPENSSL_cleanse|bzero|memset_s)[[:space:]]*\(' $files |
	grep -v '!checksrc! allow')
[ -z "$bad" ] || fail "wipe secrets with explicit_bzero() or xfree_secret():
$bad"
bad=$(awk '
FNR == 1 { arg = "" }
/memset[[:space:]]*\(/ {
	a = $0
	sub(/.*memset[[:space:]]*\([[:space:]]*/, "", a)
	sub(/[[:space:]]*,.*/, "", a)
	gsub(/[&*() ]/, "", a)
	arg = a
	at = FNR
	if (tolower(a) ~ /pass|secret|token|key|pw|pin/)
		print FILENAME ":" FNR ": " $0
	next
}
arg != "" && FNR <= at + 3 && /free[[:space:]]*\(/ {
	f = $0
	sub(/.*free[[:space:]]*\([[:space:]]*/, "", f)
	sub(/\).*/, "", f)
	gsub(/[&*() ]/, "", f)
	if (f == arg)
		print FILENAME ":" FNR ": " $0 " (freed after a memset)"
}' $files | grep -v '!checksrc! allow')
[ -z "$bad" ] || fail "memset() may be optimised away before free(): use explicit_bzero() or xfree_secret():
$bad"
sh po/update-potfiles "$TMP/POTFILES.in"
cmp -s po/POTFILES.in "$TMP/POTFILES.in" || fail "po/POTFILES.in is stale: run po/update-potfiles"
pass "style"
