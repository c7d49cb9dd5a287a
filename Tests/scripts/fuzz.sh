#!/usr/bin/env bash
# Builds and runs one libFuzzer target over fad's parsers of outside bytes.
#
#   Tests/scripts/fuzz.sh TARGET SECONDS [libFuzzer options...]
#   Tests/scripts/fuzz.sh --build-only [TARGET...]
#   Tests/scripts/fuzz.sh --list
#
# TARGET is a file name under Tests/Fuzz/Targets (npy, cache-entry, torch-zip, pickle,
# safetensors, fadstats, path-list). The parser modules are compiled straight with swiftc and
# -sanitize=fuzzer,address into .build-fuzz/ (SwiftPM has no libFuzzer mode, and the normal
# build must stay free of sanitizer flags); only the modules the targets need are built, so
# swift-crypto is not (checkpoint digests are computed in the `fad` command); torch-zip and
# pickle exercise FADTorch. The run starts from the committed seeds in Tests/Fuzz/Corpus/TARGET
# and keeps what it learns in .build-fuzz/corpus/TARGET; crashes are written to
# .build-fuzz/crashes/TARGET/. SECONDS = 0 runs until stopped. Exits non-zero on a crash.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
out=$root/.build-fuzz
modules=$out/modules
mkdir -p "$modules"

flags=(-sanitize=fuzzer,address -O -g -parse-as-library -swift-version 6)
cflags() { for lib in "$@"; do for f in $(pkg-config --cflags-only-I "$lib"); do printf -- '-Xcc\n%s\n' "$f"; done; done; }
mapfile -t blas < <(cflags openblas)
mapfile -t sndfile < <(cflags sndfile)

build_module() {
    local name=$1; shift
    local sources
    mapfile -t sources < <(find "$root/Sources/$name" -name '*.swift' | sort)
    echo "fuzz.sh: compiling $name" >&2
    swiftc "${flags[@]}" -module-name "$name" -wmo -emit-module -emit-module-path "$modules/$name.swiftmodule" \
        -emit-object -o "$modules/$name.o" -I "$modules" "$@" "${sources[@]}"
}

# The C target that compiles the shipped model files in (C23 #embed): an object beside the
# Swift modules' objects, and the module map SwiftPM would synthesise for its include/ folder.
build_embedded_models() {
    echo "fuzz.sh: compiling CEmbeddedModels" >&2
    mkdir -p "$modules/CEmbeddedModels"
    printf 'module CEmbeddedModels {\n    header "%s"\n    export *\n}\n' \
        "$root/Sources/CEmbeddedModels/include/CEmbeddedModels.h" > "$modules/CEmbeddedModels/module.modulemap"
    clang -std=c23 -O1 -c -I "$root/Sources/CEmbeddedModels/include" \
        "$root/Sources/CEmbeddedModels/EmbeddedModels.c" -o "$modules/CEmbeddedModels.o"
}

# The resampler's AVX2 kernel, a C target FADAudio imports: compiled the same way.
build_polyphase_kernel() {
    echo "fuzz.sh: compiling CPolyphaseKernel" >&2
    mkdir -p "$modules/CPolyphaseKernel"
    printf 'module CPolyphaseKernel {\n    header "%s"\n    export *\n}\n' \
        "$root/Sources/CPolyphaseKernel/include/CPolyphaseKernel.h" > "$modules/CPolyphaseKernel/module.modulemap"
    clang -O2 -c -I "$root/Sources/CPolyphaseKernel/include" \
        "$root/Sources/CPolyphaseKernel/PolyphaseKernel.c" -o "$modules/CPolyphaseKernel.o"
}

# All modules are rebuilt when any of their sources (or this script) changed: simple, and the
# sanitized objects never mix two versions of the code.
build_modules() {
    local hash
    hash=$( (cat "$0"; find "$root"/Sources/{FADArrays,FADTorch,FADNumerics,FADNN,FADStats,FADFeatures,FADAudio,FADModels,CEmbeddedModels,CPolyphaseKernel} -name '*.[swifch]*' \
        | sort | xargs cat) | sha256sum | cut -c1-16)
    [[ -f $modules/stamp && $(cat "$modules/stamp") == "$hash" ]] && return
    rm -f "$modules/stamp"
    build_module FADArrays
    build_module FADTorch
    build_module FADNumerics -I "$root/Sources/COpenBLAS" "${blas[@]}"
    build_module FADNN -I "$root/Sources/COpenBLAS" "${blas[@]}"
    build_module FADStats -I "$root/Sources/COpenBLAS" "${blas[@]}"
    build_module FADFeatures -I "$root/Sources/CFFTW"
    build_polyphase_kernel
    build_module FADAudio -I "$root/Sources/CSndFile" -I "$root/Sources/CSampleRate" -I "$modules/CPolyphaseKernel" "${sndfile[@]}"
    build_embedded_models
    build_module FADModels -I "$root/Sources/COpenBLAS" -I "$root/Sources/CFFTW" -I "$root/Sources/CSndFile" \
        -I "$root/Sources/CSampleRate" -I "$modules/CEmbeddedModels" -I "$modules/CPolyphaseKernel" "${blas[@]}" "${sndfile[@]}"
    echo "$hash" > "$modules/stamp"
}

build_target() {
    local target=$1
    local source=$root/Tests/Fuzz/Targets/$target.swift
    [[ -f $source ]] || { echo "fuzz.sh: no target '$target' (see --list)" >&2; exit 64; }
    local binary=$out/fuzz-$target
    if [[ -f $binary && $binary -nt $source && $binary -nt $modules/stamp ]]; then
        return
    fi
    echo "fuzz.sh: linking fuzz-$target" >&2
    swiftc "${flags[@]}" -module-name "FuzzTarget" -I "$modules" -I "$modules/CEmbeddedModels" -I "$modules/CPolyphaseKernel" -I "$root/Sources/COpenBLAS" -I "$root/Sources/CFFTW" \
        -I "$root/Sources/CSndFile" -I "$root/Sources/CSampleRate" "${blas[@]}" "${sndfile[@]}" \
        "$source" "$modules"/*.o \
        $(pkg-config --libs openblas fftw3f sndfile samplerate) -o "$binary"
}

targets() { for f in "$root"/Tests/Fuzz/Targets/*.swift; do basename "$f" .swift; done; }

# One build at a time (two fuzz runs may start together).
exec 9>"$out/build.lock"

case "${1:-}" in
    --list) targets; exit 0 ;;
    --build-only)
        shift
        flock 9
        build_modules
        for t in "${@:-$(targets)}"; do for x in $t; do build_target "$x"; done; done
        exit 0 ;;
    ""|-h|--help) sed -n '2,16p' "$0"; exit 64 ;;
esac

target=$1
seconds=${2:-60}
shift 2 || shift $#
flock 9
build_modules
build_target "$target"
flock -u 9
corpus=$out/corpus/$target
crashes=$out/crashes/$target
mkdir -p "$corpus" "$crashes"
seeds=$root/Tests/Fuzz/Corpus/$target
# Memory: libFuzzer's own limit (MB) catches any input that makes a parser allocate past it.
exec "$out/fuzz-$target" "$corpus" "$seeds" -max_total_time="$seconds" -rss_limit_mb=2048 -malloc_limit_mb=2048 \
    -timeout=10 -artifact_prefix="$crashes/" -print_final_stats=1 "$@"
