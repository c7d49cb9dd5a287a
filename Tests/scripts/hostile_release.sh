#!/usr/bin/env bash
# Runs the hostile-input CLI tests (fadCLITests.HostileInputTests) against the release build of
# `fad`, which is what users run: the test bundle is the debug one, the binary under test comes
# from `swift build -c release` through FAD_BINARY.
set -euo pipefail
cd "$(dirname "$0")/../.."
swift build -c release --product fad
export FAD_BINARY=$PWD/.build/release/fad
swift test --filter fadCLITests.HostileInputTests
