#!/usr/bin/env bash
# Builds fad in release mode and installs it into a prefix:
#   PREFIX/bin/fad                                    the binary (the default models are inside it)
#   PREFIX/share/man/man1/fad.1                       the man page (swift-argument-parser's generate-manual plugin)
#   PREFIX/share/bash-completion/completions/fad      completions (fad --generate-completion-script)
#   PREFIX/share/zsh/site-functions/_fad
#   PREFIX/share/fish/vendor_completions.d/fad.fish
#   PREFIX/share/doc/fad/                             README, licences of the embedded weights and labels
#
# Usage: bash install.sh [--prefix DIR] [--dynamic-swift-stdlib] [--no-build]
#   --prefix DIR              where to install (default: $HOME/.local)
#   --dynamic-swift-stdlib    link the Swift runtime dynamically: the binary then needs this
#                             toolchain's usr/lib/swift/linux at run time (default: linked in)
#   --no-build                install what the last run of this script built
#
# The binary still needs the system's C libraries at run time: libsndfile, libsamplerate, FFTW
# (single precision), OpenBLAS, LAPACKE and libcurl (.ci/install-deps.sh installs them; on
# Debian/Ubuntu the runtime packages are libsndfile1 libsamplerate0 libfftw3-single3 libopenblas0
# liblapacke libcurl4), plus glibc and libstdc++. Nothing is read from the checkout: it can be
# moved or deleted.
set -euo pipefail
cd "$(dirname "$0")"

prefix="$HOME/.local"
static=(--static-swift-stdlib)
build=1
while (($#)); do
    case "$1" in
        --prefix) prefix="${2:?--prefix needs a folder}"; shift 2 ;;
        --prefix=*) prefix="${1#--prefix=}"; shift ;;
        --dynamic-swift-stdlib) static=(); shift ;;
        --no-build) build=0; shift ;;
        -h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "install.sh: unknown option $1 (see --help)" >&2; exit 64 ;;
    esac
done
mkdir -p "$prefix"
prefix=$(cd "$prefix" && pwd)

if ((build)); then
    # Foundation's networking part (`fad models fetch`) links libcurl: a static Swift runtime
    # needs its development files (libcurl.so) to link against.
    if ((${#static[@]})) && [[ $(uname) == Linux ]] && ! pkg-config --exists libcurl 2> /dev/null; then
        echo "install.sh: linking the Swift runtime in needs libcurl's development files" \
             "(Debian/Ubuntu: apt-get install libcurl4-openssl-dev; .ci/install-deps.sh installs it)," \
             "or pass --dynamic-swift-stdlib" >&2
        exit 69
    fi
    swift build -c release --product fad "${static[@]}"
fi
bin=$(swift build -c release "${static[@]}" --show-bin-path)
[[ -x "$bin/fad" ]] || { echo "install.sh: $bin/fad not built (run without --no-build)" >&2; exit 66; }

# Staged first, so that a failure leaves the prefix as it was.
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/bin" "$stage/share/man/man1" "$stage/share/bash-completion/completions" \
         "$stage/share/zsh/site-functions" "$stage/share/fish/vendor_completions.d" "$stage/share/doc/fad"
cp "$bin/fad" "$stage/bin/fad"
# Debug info is most of the size (103 MB -> 90 MB on Linux); the symbol table stays for backtraces.
if [[ $(uname) == Linux ]] && command -v strip > /dev/null; then strip --strip-debug "$stage/bin/fad"; fi
"$stage/bin/fad" --generate-completion-script bash > "$stage/share/bash-completion/completions/fad"
"$stage/bin/fad" --generate-completion-script zsh > "$stage/share/zsh/site-functions/_fad"
"$stage/bin/fad" --generate-completion-script fish > "$stage/share/fish/vendor_completions.d/fad.fish"

# The plugin builds the package's executables itself and runs its generate-manual tool on them:
# one page, fad.1, with every subcommand. It cannot pass --static-swift-stdlib (a compile flag
# too), so a release build there would redo the one above; the help text is the same in a debug
# build, which `swift build` / `swift test` have usually made already.
if ((build)) || ! compgen -G ".build/plugins/GenerateManual/outputs/fad/*.1" > /dev/null; then
    swift package plugin generate-manual --configuration debug > "$stage/manual.log" 2>&1 \
        || { cat "$stage/manual.log" >&2; echo "install.sh: generate-manual failed" >&2; exit 70; }
fi
cp .build/plugins/GenerateManual/outputs/fad/*.1 "$stage/share/man/man1/"

cp README.md "$stage/share/doc/fad/README.md"
cp Models/musicnn/LICENSE "$stage/share/doc/fad/musicnn-LICENSE"
cp Models/audioset/README.md "$stage/share/doc/fad/audioset-labels-README.md"

# Each file renamed into place, so that a running fad is not overwritten under itself.
(cd "$stage" && find bin share -type f) | while read -r file; do
    mkdir -p "$(dirname "$prefix/$file")"
    cp "$stage/$file" "$prefix/$file.new.$$"
    chmod "$([[ $file == bin/* ]] && echo 755 || echo 644)" "$prefix/$file.new.$$"
    mv -f "$prefix/$file.new.$$" "$prefix/$file"
done
echo "installed fad $("$prefix/bin/fad" --version 2>/dev/null || true) into $prefix"
case ":$PATH:" in
    *":$prefix/bin:"*) ;;
    *) echo "note: $prefix/bin is not on PATH" ;;
esac
