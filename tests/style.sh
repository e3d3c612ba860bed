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
raw='(^|[^x_a-z])(malloc|calloc|realloc|reallocarray|strdup|strndup|asprintf|vasprintf)[[:space:]]*\('
bad=$(grep -nE "$raw" $(echo "$files" | grep -v 'src/xmalloc\.[ch]') | grep -v '!checksrc! allow')
[ -z "$bad" ] || fail "raw allocation outside src/xmalloc.c (use the x-helpers):
$bad"
sh po/update-potfiles "$TMP/POTFILES.in"
cmp -s po/POTFILES.in "$TMP/POTFILES.in" || fail "po/POTFILES.in is stale: run po/update-potfiles"
pass "style"
