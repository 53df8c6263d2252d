#!/usr/bin/env bash
# Turns natural still photographs from Debian packages into short training clips by smooth synthetic camera motion
# (pan, zoom in or out, small rotation), so the tokenizer sees more scenes than the videos hold (issue 13).
# Writes data/stills/*.mp4 (git-ignored; listed in data/bundled.csv as training rows). Needs apt-get (download +
# dpkg -x, nothing installed) and ffmpeg with libx264.
# Photos: kphotoalbum's demo album (usr/share/kphotoalbum/demo, GPL-2+, its Qt logo left out), the phone photos of
# forensics-samples-files (original-files/pic*/IMG*, CC-BY-SA-4.0), and the photographic desktop backgrounds of
# mate-backgrounds (nature/*, GPL-2+), plasma-workspace-wallpapers (the photographs among them, GPL-2+) and
# lomiri-wallpapers-16.04 / -20.04 (the photographs; CC-BY-4.0, CC-BY-SA-3.0/4.0 or CC0-1.0 each, as the package's
# copyright file says; data/bundled.csv names each file's licence). The backgrounds are far more colourful than the
# videos, whose mean saturation is low: without them the bundled models learned to drop colour.
# Each photo gives one clip: 120 frames at 24 fps, 384x288; the motion (4 kinds) and the rotation follow its index.
# Usage: scripts/make-still-clips.sh [target dir, default data/stills]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
target="${1:-$root/data/stills}"
work="$(mktemp -d)"
chmod 755 "$work"
trap 'rm -rf "$work"' EXIT
mkdir -p "$target"
# A finished run leaves a marker so later calls (scripts/train-bundled.sh makes sure the clips exist) download nothing;
# the marker names the list of sources, so adding a source makes the next call fetch the packages again and make the
# clips it lacks (clips already made are kept; each photo's motion follows its place in the whole list).
marker="complete-v2"
[[ -f "$target/.$marker" ]] && { echo "have the still-photo clips in $target"; exit 0; }

# package | folder inside the package | file globs (space-separated) | name prefix
# A clip is named after its photo's file name, or after the folder two levels up when the file is named by its size
# (plasma's <name>/contents/images/2560x1600.jpg, the one size every chosen wallpaper ships).
plasma_photos=""
for w in BytheWater ColdRipple ColorfulCups EveningGlow FallenLeaf Kite OneStandsOut Path summer_1am; do
  plasma_photos+=" $w/contents/images/2560x1600.jpg"
done
sources=(
  "kphotoalbum|usr/share/kphotoalbum/demo|*.jpg|kphotoalbum"
  "forensics-samples-files|usr/share/forensics-samples/original-files|pic*/IMG*|forensics"
  "mate-backgrounds|usr/share/backgrounds/mate/nature|*.jpg|mate"
  "plasma-workspace-wallpapers|usr/share/wallpapers|$plasma_photos|plasma"
  "lomiri-wallpapers-16.04|usr/share/backgrounds|*_by_*.jpg|lomiri"
  "lomiri-wallpapers-20.04|usr/share/backgrounds|Infinite-Sea_by_Aury88.jpg Kleiber_by_Lukas_Baubkus.jpg|lomiri"
)
# Not photographs (gradients, patterns): left out.
skip="qt-logo.jpg analogpattern_by_Peter_Nerlich.jpg umang_by_Abhishek_Mudgal.jpg"
frames=120
eased="(1-cos(PI*on/$frames))/2"   # 0 to 1 over the clip, smooth at both ends
motions=(
  "z='1.2':x='(iw-iw/zoom)*$eased':y='(ih-ih/zoom)*0.5'"                                  # pan left to right
  "z='1+0.3*$eased':x='(iw-iw/zoom)*0.4':y='(ih-ih/zoom)*0.45'"                           # zoom in
  "z='1.3-0.3*$eased':x='(iw-iw/zoom)*0.6':y='(ih-ih/zoom)*(0.3+0.4*$eased)'"              # zoom out, drifting down
  "z='1.25':x='(iw-iw/zoom)*(1-$eased)':y='(ih-ih/zoom)*$eased'"                          # diagonal pan
)

i=0
for entry in "${sources[@]}"; do
  IFS='|' read -r pkg dir globs prefix <<<"$entry"
  (cd "$work" && apt-get download -qq "$pkg" 2>/dev/null) || { echo "cannot download $pkg" >&2; exit 1; }
  dpkg -x "$work"/"${pkg}"_*.deb "$work/$pkg"
  rm -f "$work"/"${pkg}"_*.deb
  photos=()
  for glob in $globs; do photos+=("$work/$pkg/$dir"/$glob); done
  for photo in "${photos[@]}"; do
    [[ -f "$photo" ]] || { echo "$pkg: no photo $photo" >&2; exit 1; }
    base="$(basename "$photo")"
    [[ " $skip " == *" $base "* ]] && continue
    stem="${base%.*}"
    [[ "$stem" =~ ^[0-9]+x[0-9]+$ ]] && stem="$(basename "$(dirname "$(dirname "$(dirname "$photo")")")")"
    name="still_${prefix}_${stem}.mp4"
    motion="${motions[$((i % 4))]}"
    angle=0; (( i % 2 == 1 )) && angle="0.03*sin(2*PI*t/5)"   # about +-1.7 degrees, every other clip
    i=$((i + 1))
    [[ -s "$target/$name" ]] && { echo "have $name"; continue; }
    ffmpeg -v error -y -loop 1 -framerate 24 -i "$photo" -frames:v "$frames" \
      -vf "crop='min(iw,ih*4/3)':'min(ih,iw*3/4)',scale=1536:1152,zoompan=$motion:d=1:s=432x324:fps=24,rotate='$angle':ow=384:oh=288,format=yuv420p" \
      -c:v libx264 -crf 16 -preset medium "$target/.$name.tmp.mp4"
    mv "$target/.$name.tmp.mp4" "$target/$name"
    echo "made $name ($pkg)"
  done
done
touch "$target/.$marker"
