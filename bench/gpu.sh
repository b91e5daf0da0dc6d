#!/usr/bin/env bash
# GPU checks and benchmarks in one short run (the README's GPU figures come from it).
# On a CUDA machine without registry access, carry the missing wheels in .whl/ (docs/training.md).
# Writes every log under $OUT (default /tmp/nerloop-gpu); each step has its own time limit.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-/tmp/nerloop-gpu}
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 PYTHONPATH="$PWD"
if compgen -G ".whl/*.whl" >/dev/null; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl \
    && export PYTHONPATH="$PWD:/tmp/site"
fi
step() { # name, seconds, command...
  local name=$1 limit=$2; shift 2
  echo "== $name" | tee -a "$OUT/summary.txt"
  local t0=$SECONDS
  timeout "$limit" "$@" >"$OUT/$name.txt" 2>&1
  echo "   rc=$? in $((SECONDS - t0)) s" | tee -a "$OUT/summary.txt"
}
step versions 60 bash -c 'python3 -c "import torch, transformers, peft; print(torch.__version__, transformers.__version__, peft.__version__, torch.cuda.get_device_name(0))"; nvidia-smi --query-gpu=name,memory.total --format=csv; nproc'
step generate 120 python3 -m nerloop generate --out /tmp/gen -n 6000 --seed 7 --reference-date 2026-11-25 --db sqlite:////tmp/gen.db
step gpu-tests 150 env NERLOOP_GENERATED=/tmp/gen python3 -m pytest -q -m gpu -p no:cacheprovider tests/integration/test_generative_model.py
step infer-base 150 python3 bench/infer.py --device cuda --size base --n-queries 20000 --batch-sizes 64,256,1024 --repeat 2
step train-base 120 python3 bench/train.py --device cuda --size base --n 6000 --steps 60 --batch-sizes 64,256
step generative-0.5b 180 python3 bench/train_generative.py --size qwen2-0.5b --vocab full --device cuda --batch-size 64 --data /tmp/gen/train.jsonl --steps 10 --gen-queries 256 --gen-batch 64
cat "$OUT/summary.txt"
