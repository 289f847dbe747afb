#!/usr/bin/env bash
# Builds the .deb from the finished build tree with CPack and checks its
# contents, its Depends field, and that the unpacked programs find their
# bundle and the embedded Japanese translation without flags.
# Usage: check_package.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build_dir=$1
source_dir=$2

for program in app/evlf app/evlf-studio; do
  if [ ! -x "$build_dir/$program" ]; then
    echo "FAIL: $build_dir/$program is missing. Build everything before this test: cmake --build build" >&2
    exit 1
  fi
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0
fail() {
  echo "FAIL: $*" >&2
  status=1
}

cpack -G DEB --config "$build_dir/CPackConfig.cmake" -B "$work/package" > "$work/cpack.log" 2>&1 ||
  { cat "$work/cpack.log" >&2; exit 1; }
debs=("$work"/package/*.deb)
deb=${debs[0]}
[ -f "$deb" ] || { cat "$work/cpack.log" >&2; echo "FAIL: cpack wrote no .deb" >&2; exit 1; }
echo "package: $(basename "$deb") ($(du -h "$deb" | cut -f1))"

# Contents.
dpkg-deb -c "$deb" | awk '{print $NF}' > "$work/contents"
expected=(
  ./usr/bin/evlf
  ./usr/bin/evlf-studio
  ./usr/share/applications/io.github.evlf_studio.EVLFStudio.desktop
  ./usr/share/metainfo/io.github.evlf_studio.EVLFStudio.metainfo.xml
  ./usr/share/icons/hicolor/scalable/apps/evlf-studio.svg
  ./usr/share/doc/evlf-studio/copyright
)
if [ -d "$source_dir/resources/models" ]; then
  while IFS= read -r file; do
    expected+=("./usr/share/evlf-studio/models/${file#"$source_dir/resources/models/"}")
  done < <(find "$source_dir/resources/models" -type f)
fi
for path in "${expected[@]}"; do
  grep -qxF "$path" "$work/contents" || fail "$path is not in the package"
done

# Control fields. Every package named in Depends, or one alternative of
# each, must be a real package: installed here, or provided by an installed
# package (dpkg-shlibdeps names libspdlog1.10-fmt9, which libspdlog1.10
# provides), since this machine runs the programs.
dpkg-deb -f "$deb" Package Architecture Depends Recommends > "$work/control"
cat "$work/control"
grep -qx "Package: evlf-studio" "$work/control" || fail "package name is not evlf-studio"
grep -qx "Architecture: $(dpkg --print-architecture)" "$work/control" || fail "architecture differs from this machine's"
depends=$(dpkg-deb -f "$deb" Depends)
for package in libtorch1.13 libqt6widgets6 qt6-qpa-plugins libopencv-core406 libqcustomplot2.1-qt6; do
  grep -Eq "(^|[ ,|])$package([ ,(]|$)" <<< "$depends" || fail "Depends lacks $package"
done
dpkg-query -W -f='${db:Status-Abbrev}|${Package}|${Provides}\n' |
  awk -F'|' '$1 ~ /^ii/ { print $2; n = split($3, provided, ","); for (i = 1; i <= n; i++) print provided[i] }' |
  sed -E 's/\(.*\)//; s/[[:space:]]//g' | sort -u > "$work/installed"
while IFS= read -r alternatives; do
  found=0
  IFS='|' read -ra choices <<< "$alternatives"
  for choice in "${choices[@]}"; do
    name=$(sed -E 's/\(.*\)//; s/:any//; s/[[:space:]]//g' <<< "$choice")
    if grep -qxF "$name" "$work/installed"; then found=1; fi
  done
  [ $found -eq 1 ] || fail "no installed package satisfies the dependency '$alternatives'"
done < <(tr ',' '\n' <<< "$depends")

# The unpacked programs. A stand-in bundle.json shows that evlf finds the
# bundle folder beside its executable when the package ships none.
root="$work/root"
dpkg-deb -x "$deb" "$root"
bundle="$root/usr/share/evlf-studio/models/fashion-mnist"
if [ ! -f "$bundle/bundle.json" ]; then
  mkdir -p "$bundle"
  echo '{}' > "$bundle/bundle.json"
fi
info=$(env -u EVLF_BUNDLE "$root/usr/bin/evlf" info)
grep -qF "model bundle:   $bundle" <<< "$info" || fail "evlf info does not report the bundle in $bundle: $info"

# The Japanese translation is embedded in evlf-studio: its --help text
# follows the system locale unless the saved language setting overrides it.
export XDG_CONFIG_HOME="$work/config" QT_QPA_PLATFORM=offscreen
in_japanese_locale=(env -u LC_ALL -u LC_MESSAGES -u LANGUAGE LANG=ja_JP.UTF-8)
japanese=$("${in_japanese_locale[@]}" "$root/usr/bin/evlf-studio" --help)
grep -q "早期視覚言語融合" <<< "$japanese" || fail "evlf-studio --help under LANG=ja_JP.UTF-8 is not in Japanese: $japanese"
mkdir -p "$XDG_CONFIG_HOME/EVLF Studio"
printf '[General]\nlanguage=en\n' > "$XDG_CONFIG_HOME/EVLF Studio/evlf-studio.conf"
english=$("${in_japanese_locale[@]}" "$root/usr/bin/evlf-studio" --help)
grep -q "early vision-language fusion" <<< "$english" || fail "the saved language=en setting does not override LANG: $english"

exit $status
