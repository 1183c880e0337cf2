#!/usr/bin/env bash
# tests/lint/lint.sh - source checks that ctest runs (lint.*):
#
#   lint.sh banned SRC_DIR    no C file uses a function that bites (STYLE.md):
#                             sprintf, strcpy, strcat, strtok, atoi, gets, ...
#   lint.sh format SRC_DIR    every C file is as clang-format (.clang-format)
#                             would write it; skipped (77) without clang-format
#
# Prints each offending place as FILE:LINE: what, exits 1 when there is one.
set -euo pipefail
what=${1:?usage: lint.sh banned|format SRC_DIR}
top=${2:?usage: lint.sh banned|format SRC_DIR}
cd "$top"
mapfile -t files < <(find shared syncd kiosk tests -name '*.[ch]' -not -path '*/build*' | sort)

case $what in
banned)
    # Word-bounded calls; snprintf, vsnprintf and strtok_r stay allowed.
    pattern='\b(sprintf|vsprintf|strcpy|strncpy|strcat|strncat|strtok|atoi|atol|atoll|gets|tmpnam|mktemp)[[:space:]]*\('
    if grep -nE "$pattern" "${files[@]}" | grep -vE '^[^:]+:[0-9]+:[[:space:]]*(/\*|\*|//)'; then
        echo "lint: banned functions above (STYLE.md): use snprintf and the helpers in shared/text.h" >&2
        exit 1
    fi
    echo "lint: no banned function in ${#files[@]} files"
    ;;
format)
    command -v clang-format >/dev/null || { echo "lint: clang-format is not installed"; exit 77; }
    bad=0
    for f in "${files[@]}"; do
        if ! clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then
            echo "$f: not clang-formatted (run: clang-format -i $f)"
            bad=1
        fi
    done
    ((bad == 0)) || exit 1
    echo "lint: ${#files[@]} files clang-formatted"
    ;;
*) echo "lint.sh: unknown check '$what' (banned or format)" >&2; exit 2 ;;
esac
