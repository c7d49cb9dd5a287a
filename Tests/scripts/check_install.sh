#!/usr/bin/env bash
# Installs fad with install.sh into an empty temporary prefix and checks the result:
# - every file is in place (binary, man page, bash/zsh/fish completions, licences);
# - the binary does not load the Swift runtime from the toolchain (--static-swift-stdlib) and
#   needs only the system libraries the README lists;
# - the installed release binary, copied alone into an empty folder and run with the checkout
#   hidden, gives the same `fad REF GEN` and `fad classify` output as in the tree
#   (fadCLITests.InstallTests with FAD_TEST_BINARY pointing at it).
# Usage: bash Tests/scripts/check_install.sh   (from anywhere; builds in release mode)
set -euo pipefail
cd "$(dirname "$0")/../.."
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT

bash install.sh --prefix "$prefix"

fail() { echo "check_install: $*" >&2; exit 1; }
for file in bin/fad share/man/man1/fad.1 share/bash-completion/completions/fad share/zsh/site-functions/_fad \
            share/fish/vendor_completions.d/fad.fish share/doc/fad/musicnn-LICENSE share/doc/fad/README.md; do
    [[ -s "$prefix/$file" ]] || fail "missing or empty: $prefix/$file"
done
grep -q '^\.Dt FAD 1' "$prefix/share/man/man1/fad.1" || fail "fad.1 is not a man page (mdoc)"
grep -q 'classify' "$prefix/share/man/man1/fad.1" || fail "fad.1 does not document the subcommands"
bash -n "$prefix/share/bash-completion/completions/fad" || fail "the bash completion script does not parse"
grep -q 'complete .*-F _fad fad' "$prefix/share/bash-completion/completions/fad" || fail "no bash completion function"
grep -q '#compdef fad' "$prefix/share/zsh/site-functions/_fad" || fail "no zsh completion header"
grep -q "complete -c 'fad'" "$prefix/share/fish/vendor_completions.d/fad.fish" || fail "no fish completions"

if command -v ldd > /dev/null; then
    libraries=$(ldd "$prefix/bin/fad")
    echo "$libraries"
    ! grep -q 'libswift\|libFoundation\|libdispatch' <<< "$libraries" || fail "the binary loads the Swift runtime dynamically"
    ! grep -q 'not found' <<< "$libraries" || fail "a library the binary needs is missing"
fi

FAD_TEST_BINARY="$prefix/bin/fad" swift test --filter fadCLITests.InstallTests
echo "check_install: ok ($(du -h "$prefix/bin/fad" | cut -f1) binary)"
