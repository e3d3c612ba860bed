#!/bin/sh
# Build a libFuzzer target with clang from the core library's sources.
# Called by `make fuzz`: build.sh OUTPUT TARGET.c SOURCES...
# CFLAGS_EXTRA and LIBS come from the environment (set by the Makefile).
set -eu
out=$1
target=$2
shift 2
srcs=
for f in "$@"; do
	case $f in *.c) srcs="$srcs $f" ;; esac
done
# shellcheck disable=SC2086
exec ${FUZZ_CC:-clang} -g -O1 -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=all $CFLAGS_EXTRA -o "$out" "$target" $srcs $LIBS
