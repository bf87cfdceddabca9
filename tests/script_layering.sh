#!/usr/bin/env bash
# script_layering.sh -- the layering rule of docs/layout.md, checked.
#
# Every source file under src/ belongs to the layer of its folder
# (src/port/ndis/x.c -> port). A file may include the internal header of,
# and call a routine defined in, its own layer, the layers the table below
# allows, and the floor (src/mk_base.h: runtime record, thread state, bug
# checks, exceptions -- implemented in ke/ and rt/). Everything a lower layer
# tells the verifier goes through the hook table of src/mk_verifier.h, which
# is itself held to the machine layer: no lower layer names a verifier
# routine.
#
# Checked: `#include "..."` lines, and calls of every non-static function
# defined under src/ (found by its definition at the start of a line),
# comments left out. Fails (exit 1) on an upward include or call; only
# reports (does not fail) for a layer of the table that has no folder yet
# and for an internal header it cannot place.
# Usage: script_layering.sh SOURCE_DIR [BUILD_DIR]
set -euo pipefail
self=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
root=$(cd "${1:-$(dirname "$self")/..}" && pwd)
cd "$root/src"

# ---- the rule: caller layer -> the layers it may call and include ----
# (each layer may also use itself and the floor)
declare -A ALLOW=(
  [rt]="verifier port io hal dev ex ob ps ke mm rtl machine hooks"
  [verifier]="port io hal dev ex ob ps ke mm rtl machine hooks"
  [port]="io hal ex ob ps ke mm rtl machine hooks"
  [io]="hal ex ob ps ke mm rtl machine hooks"
  [hal]="mm ke rtl machine hooks"
  [dev]="hal machine hooks"
  [ex]="ke mm rtl machine hooks"
  [ob]="ke mm rtl machine hooks"
  [ps]="ob ex ke mm rtl machine hooks"
  [mm]="ke rtl machine hooks"
  [ke]="rtl machine hooks"
  [rtl]="machine hooks"
  [machine]="hooks"
  [hooks]="machine"
)
# internal headers in src/ and the layer each belongs to; other
# src/mk_<folder>*.h headers belong to <folder>
declare -A HEADER=(
  [mk_base.h]=floor [mk_hooks.h]=hooks [mk_verifier.h]=hooks [mk_machine.h]=machine
  [mk_pool.h]=mm [mk_mdl.h]=mm [mk_driver.h]=io [mk_port.h]=port
  [mk_options.h]=rt
)
layers="rt verifier port io hal dev ex ob ps mm ke rtl machine"

# Known uses waiting for their owner (reported, not failed), one
# "file<TAB>what" per line (what: an "included.h" or a routine): layers
# that stop another layer instead of leaving it to rt/'s sequence.
PENDING=$(printf '%s\n' \
  $'ps/psthread.c\tmk_ke_init' $'ps/psthread.c\tmk_ke_shutdown' $'ps/psthread.c\tmk_timer_shutdown' \
  $'ps/psthread.c\tmk_dpc_shutdown' $'ps/psthread.c\tmk_ob_shutdown' $'ps/psthread.c\tmk_ob_event_shutdown' \
  $'ps/psthread.c\tmk_ex_resource_shutdown' $'ps/psthread.c\tmk_ex_workitem_shutdown' \
  $'port/portcommon.c\tmk_driver_shutdown_all' $'port/storport/adapter.c\tmk_pci_shutdown' \
  $'io/driver.c\tmk_sysdma_reset')

fail=0
note() { echo "layering: $*"; }
bad() { # file what message
  if printf '%s\n' "$PENDING" | grep -qxF "$1"$'\t'"$2"; then
    echo "layering: pending (owner to fix): $3"
  else
    echo "layering: UPWARD: $3"
    fail=1
  fi
}

for l in $layers; do
  [ -d "$l" ] || note "no src/$l/ yet (the rule covers it once it exists)"
done

layer_of_file() { # path relative to src/
  case $1 in
    mk_*.h) layer_of_header "$1" ;;
    */*) echo "${1%%/*}" ;;
    *) echo "?" ;;
  esac
}
layer_of_header() {
  local h=$1 l
  if [ -n "${HEADER[$h]:-}" ]; then echo "${HEADER[$h]}"; return; fi
  for l in $layers; do
    case $h in mk_"$l".h | mk_"$l"_*.h) echo "$l"; return ;; esac
  done
  case $h in mk_storport*.h | mk_ndis*.h) echo port; return ;; esac
  echo "?"
}
allowed() { # caller callee
  [ "$1" = "$2" ] && return 0
  [ "$2" = floor ] && return 0
  case " ${ALLOW[$1]:-} " in *" $2 "*) return 0 ;; esac
  return 1
}

mapfile -t files < <(find . -name '*.[ch]' | sed 's|^\./||' | sort)

# ---- includes ----
for f in "${files[@]}"; do
  from=$(layer_of_file "$f")
  [ "$from" = "?" ] && { note "$f: not in a layer's folder"; continue; }
  while IFS= read -r inc; do
    case $inc in
      */*) to=${inc%%/*}; [ "$to" = ".." ] && to=$(echo "$inc" | cut -d/ -f2) ;;
      mk_*.h) to=$(layer_of_header "$inc") ;;
      *) if [ -f "$(dirname "$f")/$inc" ]; then to=$from; else continue; fi ;;
    esac
    if [ "$to" = "?" ]; then note "$f: cannot place \"$inc\" in a layer (name it src/mk_<layer>*.h)"; continue; fi
    allowed "$from" "$to" || bad "$f" "\"$inc\"" "$f ($from) includes \"$inc\" ($to)"
  done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f")
done

# ---- calls ----
# Comments out (block and line), string literals emptied.
strip() { sed -e 's:"\([^"\\]\|\\.\)*":"":g' "$1" | awk '
  { s = $0; out = "";
    while (length(s)) {
      if (inc) { i = index(s, "*/"); if (!i) { s = ""; break } s = substr(s, i + 2); inc = 0; continue }
      i = index(s, "/*"); j = index(s, "//");
      if (j && (!i || j < i)) { out = out substr(s, 1, j - 1); s = ""; break }
      if (!i) { out = out s; s = ""; break }
      out = out substr(s, 1, i - 1); s = substr(s, i + 2); inc = 1
    }
    print out }'; }
defs=$(mktemp)
uses=$(mktemp)
floor=$(mktemp)
trap "rm -f $defs $uses $floor" EXIT
for f in "${files[@]}"; do
  case $f in *.c) ;; *) continue ;; esac
  l=$(layer_of_file "$f")
  strip "$f" | awk -v f="$f" -v l="$l" '
    /^[A-Za-z_]/ && !/^(static|typedef|extern|struct|union|enum|return)[^A-Za-z0-9_]/ && !/;[[:space:]]*$/ && !/^#/ {
      if (match($0, /[A-Za-z_][A-Za-z0-9_]*[[:space:]]*\(/)) {
        line = $0
        # the last identifier before the first "(" is the function name
        n = split(substr(line, 1, RSTART + RLENGTH - 2), w, /[^A-Za-z0-9_]+/)
        name = w[n]; if (name == "") name = w[n - 1]
        if (name != "" && name !~ /^(if|while|for|switch|sizeof|return|MK_[A-Z_]+|__attribute__|_Static_assert)$/) print name "\t" l "\t" f
      }
    }' >>"$defs"
done
# the floor: routines declared in mk_base.h and implemented in ke/ or rt/,
# and the harness's questions about the runtime record (mk_rt in mk_base.h)
{ strip mk_base.h | grep -o '\bmk_[a-z0-9_]*[[:space:]]*(' || true; } | tr -d ' (' | sort -u >"$floor"
printf '%s\n' mdlkit_is_initialized mdlkit_current_config >>"$floor"
for f in "${files[@]}"; do
  l=$(layer_of_file "$f")
  [ "$l" = "?" ] && continue
  # in a header only indented lines (inline bodies, macros) can call;
  # a declaration starts at the left margin
  case $f in *.h) filt='/^[[:space:]]/' ;; *) filt=1 ;; esac
  { strip "$f" | awk "$filt" | grep -o '\b[A-Za-z_][A-Za-z0-9_]*[[:space:]]*(' || true; } | tr -d ' \t(' | sort -u |
    awk -v f="$f" -v l="$l" '{ print $0 "\t" l "\t" f }' >>"$uses"
done
[ -n "${LAYERING_DEBUG:-}" ] && cp "$defs" /tmp/layering.defs && cp "$uses" /tmp/layering.uses
while IFS=$'\t' read -r name to def from f; do
  if [ "$to" = ke ] || [ "$to" = rt ]; then
    grep -qx "$name" "$floor" && continue
  fi
  allowed "$from" "$to" || bad "$f" "$name" "$f ($from) calls $name, defined in $def ($to)"
  # no layer starts, stops or resets another's state: only rt/ does
  case $name in
    mk_*_init | mk_*_shutdown | mk_*_shutdown_all | mk_*_reset | mk_*_reset_*)
      [ "$from" = rt ] || [ "$from" = "$to" ] ||
        bad "$f" "$name" "$f ($from) starts/stops/resets another layer: $name, defined in $def ($to) (rt/ sequences the layers)" ;;
  esac
done < <(awk -F'\t' 'NR == FNR { if (!($1 in d)) { d[$1] = $2; df[$1] = $3 } next }
                     ($1 in d) && df[$1] != $3 { print $1 "\t" d[$1] "\t" df[$1] "\t" $2 "\t" $3 }' "$defs" "$uses")

# The check itself: an upward include planted in a copy of the tree must
# fail it.
if [ -z "${LAYERING_SELFTEST:-}" ] && [ $fail -eq 0 ]; then
  t=$(mktemp -d)
  cp -r "$root/src" "$t/src"
  echo '#include "mk_port.h"' >>"$t/src/mm/mdlsup.c"
  rc=0
  LAYERING_SELFTEST=1 bash "$self" "$t" >/dev/null || rc=$?
  if [ $rc -ne 1 ]; then
    echo "layering: the check missed an upward include planted in mm/mdlsup.c (exit $rc)"
    fail=1
  fi
  rm -rf "$t"
fi

if [ $fail -ne 0 ]; then
  echo "layering: FAILED (the rule: docs/layout.md)"
  exit 1
fi
echo "layering: ok"
