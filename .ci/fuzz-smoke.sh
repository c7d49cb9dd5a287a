#!/usr/bin/env bash
# CI: runs every libFuzzer target briefly (FAD_FUZZ_SECONDS, default 20 s each) from the committed
# seeds, so that a parser regression shows, then the hostile-input CLI tests against the release
# build. Fails on the first crash or failing test. Long runs: Tests/scripts/fuzz.sh TARGET SECONDS.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${FAD_FUZZ_SECONDS:-20}
Tests/scripts/fuzz.sh --build-only
for target in $(Tests/scripts/fuzz.sh --list); do
    echo "fuzz-smoke: $target for ${seconds}s"
    log=.build-fuzz/smoke-$target.log
    if ! Tests/scripts/fuzz.sh "$target" "$seconds" > "$log" 2>&1; then
        tail -n 60 "$log"
        echo "fuzz-smoke: $target FAILED (inputs in .build-fuzz/crashes/$target/)"
        exit 1
    fi
    grep -E "^(Done|stat::number_of_executed_units)" "$log" || true
done
bash Tests/scripts/hostile_release.sh
