#!/usr/bin/env bash
# A planted bug found by its fuzzer, and the crash replayed to the same
# signature (fuzz/CMakeLists.txt, tests planted_*).
# Usage: planted_test.sh FUZZER SEEDS WORKDIR RUNS SIGNATURE_REGEX [LINE_REGEX]
# The environment selects the bug (MDLKIT_PLANTED) and the options
# (MDLKIT_VERIFIER, MDLKIT_FUZZ_FAULTS). Passes when the fuzzer crashed with
# a signature matching SIGNATURE_REGEX within RUNS runs of a fixed seed, the
# output has a line matching LINE_REGEX (if given), and replaying the crash
# input alone gives the same signature. The signature is mdlkit's line for a
# bug check ("mdlkit-fuzz: SIGNATURE ..."), or for an ASan report its
# SUMMARY line and the first two functions of its stack.
set -u
fuzzer=$1 seeds=$2 work=$3 runs=$4 want=$5 line=${6:-}
rm -rf "$work"
mkdir -p "$work/corpus"
"$fuzzer" -seed=1 -use_value_profile=1 -runs="$runs" -artifact_prefix="$work/" "$work/corpus" "$seeds" >"$work/fuzz.log" 2>&1
signature() {
  local s
  s=$(grep -m1 '^mdlkit-fuzz: SIGNATURE ' "$1" || true)
  if [ -z "$s" ] && grep -q '^SUMMARY: AddressSanitizer' "$1"; then
    s="$(grep -m1 '^SUMMARY: AddressSanitizer' "$1" | sed 's/ (BuildId: [0-9a-f]*)//; s/+0x[0-9a-f]*//') |"
    s="$s $(grep -E '^    #[0-9]+ 0x[0-9a-f]+ in ' "$1" | head -2 | sed -E 's/^ *#[0-9]+ 0x[0-9a-f]+ in ([^ ]+).*/\1/' | tr '\n' ' ')"
  fi
  printf '%s' "$s"
}
sig=$(signature "$work/fuzz.log")
crash=$(ls "$work"/crash-* 2>/dev/null | head -1)
if [ -z "$sig" ] || [ -z "$crash" ]; then
  echo "FAIL: no crash with a signature in $runs runs"; tail -20 "$work/fuzz.log"; exit 1
fi
echo "found: $sig"
if ! grep -Eq "$want" <<<"$sig"; then
  echo "FAIL: the signature does not match /$want/"; exit 1
fi
if [ -n "$line" ] && ! grep -Eq "$line" "$work/fuzz.log"; then
  echo "FAIL: no line matches /$line/"; exit 1
fi
"$fuzzer" "$crash" >"$work/replay.log" 2>&1
again=$(signature "$work/replay.log")
if [ "$again" != "$sig" ]; then
  echo "FAIL: the replay of $crash gave: $again"; exit 1
fi
echo "replayed: same signature"
echo "PASS"
