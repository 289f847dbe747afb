#!/usr/bin/env bash
# Checks that the .ts files match the current sources: lupdate runs on
# temporary copies, and any unfinished (new or untranslated) or vanished
# (removed from the sources) message fails the test. The fix is
# `cmake --build build --target update_translations`, then translating the
# new messages in Qt Linguist.
# Usage: check_translations.sh LUPDATE SOURCE_DIR SOURCE_FILE...
set -euo pipefail
lupdate=$1
source_dir=$2
shift 2

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0

# check_file TS_NAME [LUPDATE_OPTION...]
check_file() {
  local name=$1
  shift
  local copy="$work/$name"
  cp "$source_dir/translations/$name" "$copy"
  "$lupdate" -silent -locations none "$@" -I "$source_dir" "${sources[@]}" -ts "$copy"

  local state
  for state in unfinished vanished obsolete; do
    if grep -q "type=\"$state\"" "$copy"; then
      echo "FAIL: $name has $state messages after lupdate:" >&2
      grep -B3 "type=\"$state\"" "$copy" | grep '<source>' >&2 || true
      status=1
    fi
  done
  # A finished message with an empty translation would show as blank text.
  if grep -Eq '<translation>\s*</translation>|<numerusform>\s*</numerusform>' "$copy"; then
    echo "FAIL: $name has empty translations" >&2
    status=1
  fi
}

sources=("$@")
if [ ${#sources[@]} -eq 0 ]; then
  echo "FAIL: no source files given" >&2
  exit 1
fi

check_file evlf_studio_ja.ts
check_file evlf_studio_en.ts -pluralonly

if [ $status -ne 0 ]; then
  echo "Run 'cmake --build build --target update_translations' and translate the new messages." >&2
  exit 1
fi
echo "translations match ${#sources[@]} source files"
