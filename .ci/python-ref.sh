#!/usr/bin/env bash
# The Python reference stack the interop and fixture tests call (a test tool, never a runtime
# dependency): torch (CPU), transformers 5.17, sentence-transformers 6.0.1, peft 0.21, scipy, pillow,
# datasets 5.0.1 (mine_hard_negatives takes and gives a datasets.Dataset), in a
# virtual environment at $EMBTUNE_PYREF (default ~/.cache/embtune/pyref). Wheels on this machine
# are used when present (offline: folders under /opt holding torch or sentence-transformers wheels,
# or $EMBTUNE_WHEELS, colon-separated); otherwise the ordinary package index.
set -euo pipefail
dir="${EMBTUNE_PYREF:-$HOME/.cache/embtune/pyref}"
check='import torch, transformers, sentence_transformers, peft, scipy, PIL, datasets'
if [ -x "$dir/bin/python" ] && "$dir/bin/python" -c "$check" 2>/dev/null; then
  echo "python-ref: $dir ready"; exit 0
fi
pkgs=(torch transformers==5.17.0 sentence-transformers==6.0.1 peft==0.21.0 scipy pillow datasets==5.0.1)
links=()
wheel_dirs="${EMBTUNE_WHEELS:-$(find /opt -maxdepth 4 \( -name 'torch-*.whl' -o -name 'sentence_transformers-*.whl' \) -printf '%h\n' 2>/dev/null | sort -u | paste -sd: -)}"
IFS=: read -ra found <<< "$wheel_dirs"
for d in "${found[@]}"; do [ -n "$d" ] && links+=(--find-links "$d"); done
python3 -m venv "$dir"
if [ ${#links[@]} -gt 0 ]; then
  echo "python-ref: installing from wheels in $wheel_dirs"
  "$dir/bin/pip" install -q --no-index "${links[@]}" "${pkgs[@]}"
else
  echo "python-ref: installing from the package index"
  "$dir/bin/pip" install -q --extra-index-url https://download.pytorch.org/whl/cpu "${pkgs[@]}"
fi
"$dir/bin/python" -c "$check" && echo "python-ref: $dir ready"
