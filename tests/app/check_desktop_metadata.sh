#!/usr/bin/env bash
# Validates the desktop entry and the AppStream metadata that the package
# installs, and checks that the metadata lists the project's version.
# Usage: check_desktop_metadata.sh SOURCE_DIR VERSION
set -euo pipefail
source_dir=$1
version=$2
desktop="$source_dir/packaging/io.github.evlf_studio.EVLFStudio.desktop"
metainfo="$source_dir/packaging/io.github.evlf_studio.EVLFStudio.metainfo.xml"

desktop-file-validate "$desktop"
appstreamcli validate --no-net "$metainfo"

if ! grep -q "<release version=\"$version\"" "$metainfo"; then
  echo "FAIL: $metainfo has no <release version=\"$version\"> entry for the project version" >&2
  exit 1
fi
echo "desktop entry and AppStream metadata valid"
