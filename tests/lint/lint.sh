#!/usr/bin/env bash
# tests/lint/lint.sh - source checks that ctest runs (lint.*):
#
#   lint.sh banned SRC_DIR    no C file uses a function that bites (README.md,
#                             "Working on the code"):
#                             sprintf, strcpy, strcat, strtok, atoi, gets, ...
#   lint.sh standalone SRC_DIR  no file of the repository cites the design
#                             notes kept outside it (the two names the pattern
#                             below spells in pieces): the rules the code
#                             relies on are in its READMEs
#   lint.sh format SRC_DIR    every C file is as clang-format (.clang-format)
#                             would write it; skipped (77) without clang-format
#   lint.sh catalogue SRC_DIR  every word the kiosk's code marks for the
#                             catalogue (kiosk/*.c) has a translation in every
#                             kiosk/po/LANG.po (kiosk/po/extract --check)
#
# Prints each offending place as FILE:LINE: what, exits 1 when there is one.
set -euo pipefail
what=${1:?usage: lint.sh banned|standalone|format|catalogue SRC_DIR}
top=${2:?usage: lint.sh banned|standalone|format|catalogue SRC_DIR}
cd "$top"
mapfile -t files < <(find shared syncd kiosk tests -name '*.[ch]' -not -path '*/build*' | sort)

case $what in
banned)
    # Word-bounded calls; snprintf, vsnprintf and strtok_r stay allowed.
    pattern='\b(sprintf|vsprintf|strcpy|strncpy|strcat|strncat|strtok|atoi|atol|atoll|gets|tmpnam|mktemp)[[:space:]]*\('
    if grep -nE "$pattern" "${files[@]}" | grep -vE '^[^:]+:[0-9]+:[[:space:]]*(/\*|\*|//)'; then
        echo "lint: banned functions above (README.md "Working on the code"): use snprintf and the helpers in shared/text.h" >&2
        exit 1
    fi
    echo "lint: no banned function in ${#files[@]} files"
    ;;
standalone)
    # Every tracked file (git ls-files), or every file when not a checkout.
    if git -C . rev-parse --is-inside-work-tree >/dev/null 2>&1; then
        mapfile -t all < <(git ls-files)
    else
        mapfile -t all < <(find . -type f -not -path './build*' -not -path './.git/*')
    fi
    cites='DESI''GN'"\\"'.md|STY''LE'"\\"'.md' # in pieces: this file cites nothing either
    if grep -nIE "$cites" "${all[@]}"; then
        echo "lint: the places above cite files that are not in the repository: write the rule into the repo's own README and cite that" >&2
        exit 1
    fi
    echo "lint: ${#all[@]} files cite only what is in the repository"
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
catalogue)
    kiosk/po/extract --check
    ;;
*) echo "lint.sh: unknown check '$what' (banned, standalone, format or catalogue)" >&2; exit 2 ;;
esac
