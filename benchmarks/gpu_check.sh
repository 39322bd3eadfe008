#!/usr/bin/env bash
# The GPU check: PEL on Keras' JAX and PyTorch backends on one GPU, in under 8 minutes, on a host that has
# JAX, PyTorch, OpenCV, NumPy, SciPy, scikit-image, matplotlib, absl-py, tqdm, h5py, TensorBoard and
# ml-dtypes, but no TensorFlow, no Keras and no network. Per backend it reports:
#   - two-stream B4 training images/s at 320 px, batch 32, in float32, bfloat16 and float16 (Keras' loss
#     scaling), and inference images/s at batch 1 and 32 in each (benchmarks/model_throughput.py);
#   - a short train.py run of the demo configuration (demo.flags, --epochs=$GPU_CHECK_DEMO_EPOCHS) on the
#     GPU and its held-out test AUC (evaluate.py on the run).
#
# 1. Prepare, once, on a host with pip's registry and the project's CPU environment (TensorFlow, yuface):
#        benchmarks/gpu_check.sh prepare [MORE_REQUIREMENTS...]
#    It writes .whl/ (keras and the wheels keras needs beyond the GPU host's packages, for CPython 3.12 on
#    manylinux_2_28_x86_64; name more, e.g. what the TensorFlow-free input needs, as arguments) with
#        pip download --no-deps --only-binary=:all: --python-version 3.12 --platform manylinux_2_28_x86_64 \
#            keras==3.15.1 namex==0.1.0 optree==0.20.0 rich==15.0.0 markdown-it-py==4.3.0 mdurl==0.1.2 \
#            pygments==2.21.0 -d .whl
#    and demo_data/demo, the demo's faces (found with yuface, which has no wheel for 3.12).
# 2. Copy the repository with .whl/ and demo_data/ (both git-ignored: with the device tool, carry
#    [".whl", "demo_data"]) to the GPU host and run, from the repository's root:
#        benchmarks/gpu_check.sh
#    Where keras cannot be imported it installs the wheels with
#        pip install --no-index --no-deps --target /tmp/pel-site .whl/*.whl
#    (nothing downloaded) and puts /tmp/pel-site on PYTHONPATH. Logs go to $GPU_CHECK_OUT/<part>.log.
#
# Settings (environment):
#   GPU_CHECK_QUICK=1        a reduced check that runs on a CPU: B0, 64 px, batch 4, 2 steps, one demo epoch
#                            of 3 steps, no time budget
#   GPU_CHECK_BACKENDS       default "jax torch"
#   GPU_CHECK_BUDGET         seconds for the whole check (default 470); each part stops at its share and
#                            the summary says which did not finish
#   GPU_CHECK_DEMO_EPOCHS    demo epochs of 50 steps (default 5; demo.flags trains 20)
#   GPU_CHECK_OUT            where the logs and the demo runs go (default runs/gpu_check)
set -u
cd "$(dirname "$0")/.."


WHEELS=(keras==3.15.1 namex==0.1.0 optree==0.20.0 rich==15.0.0 markdown-it-py==4.3.0 mdurl==0.1.2 pygments==2.21.0)
OUT=${GPU_CHECK_OUT:-runs/gpu_check}
BACKENDS=${GPU_CHECK_BACKENDS:-jax torch}
if [[ "${GPU_CHECK_QUICK:-0}" == 1 ]]; then
    THROUGHPUT=(--backbone=efficientnet_b0 --image_size=64 --batch_size=4 --steps=2 --infer_batch_sizes=1,4)
    DEMO=(--epochs=1 --steps_per_epoch=3)
    BUDGET=${GPU_CHECK_BUDGET:-100000}
else
    THROUGHPUT=(--backbone=efficientnet_b4 --image_size=320 --batch_size=32 --steps=10 --infer_batch_sizes=1,32)
    DEMO=(--epochs="${GPU_CHECK_DEMO_EPOCHS:-5}")
    BUDGET=${GPU_CHECK_BUDGET:-470}
fi
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" TF_CPP_MIN_LOG_LEVEL=2 PYTHONUNBUFFERED=1

# prepare [MORE_REQUIREMENTS...]: step 1 above.
prepare() {
    pip download --no-deps --only-binary=:all: --python-version 3.12 --platform manylinux_2_28_x86_64 \
        "${WHEELS[@]}" "$@" -d .whl || exit 1
    demo_data || exit 1
    echo "Ready: .whl/ ($(ls .whl | wc -l) wheels) and demo_data/; carry both to the GPU host."
}

# demo_data: builds demo_data/demo as train.py --flagfile=demo.flags does (it needs yuface).
demo_data() {
    python - <<'PYTHON'
from absl import flags

import train
from pel_keras.demo import prepare_demo_data

train.define_flags()
flags.FLAGS(["train.py", "--flagfile=demo.flags"])
prepare_demo_data(train.config_from_flags())
PYTHON
}

# demo BACKEND: trains the demo configuration on BACKEND, then evaluates best.keras on the held-out test split.
demo() {
    local run="$OUT/demo-$1"
    rm -rf "$run"
    [[ -d demo_data/demo ]] || demo_data || exit 1
    KERAS_BACKEND=$1 python train.py --flagfile=demo.flags --nodemo --workdir="$run" "${DEMO[@]}" || exit 1
    KERAS_BACKEND=$1 python evaluate.py --workdir="$run" || exit 1
    python - "$run" <<'PYTHON' || exit 1
import json
import sys

from pel_keras.evaluation.eval_config import EvalConfig

evaluation = EvalConfig(workdir=sys.argv[1])
with open(f"{evaluation.eval_dir}/results.json", encoding="utf-8") as file:
    datasets = json.load(file)["intra"][evaluation.model_name]["datasets"]
(record,) = (entry for entry in datasets if entry["dataset"] == "demo")
print(
    f"held-out test AUC: {record['frame']['auc']:.4f} per frame, {record['video']['auc']:.4f} per video "
    f"({record['frames']} frames, {record['videos']} videos)"
)
PYTHON
}

case "${1:-}" in
    prepare) shift; prepare "$@"; exit 0 ;;
    demo) demo "$2"; exit 0 ;;  # a part of the check: a process of its own, which timeout can stop
esac

DEADLINE=$((SECONDS + BUDGET))
mkdir -p "$OUT"
if ! python -c "import keras" 2>/dev/null; then
    if ! ls .whl/*.whl >/dev/null 2>&1; then
        echo "keras is not installed and .whl/ holds no wheels: run benchmarks/gpu_check.sh prepare first." >&2
        exit 1
    fi
    pip install --quiet --no-index --no-deps --target /tmp/pel-site .whl/*.whl || exit 1
    export PYTHONPATH="$PYTHONPATH:/tmp/pel-site"
fi

PARTS=()
for backend in $BACKENDS; do PARTS+=("$backend-throughput"); done
for backend in $BACKENDS; do PARTS+=("$backend-demo"); done

# percent NAME: the share of the budget planned for a part (JAX compiles each precision's steps).
percent() {
    case $1 in
        jax-throughput) echo 45 ;;
        *-throughput) echo 20 ;;
        *) echo 17 ;;
    esac
}

# part NAME COMMAND...: runs COMMAND with its output in $OUT/NAME.log until the deadline, less the shares
# planned for the parts after it (so a part that ends early leaves its time to the next); writes how it
# ended to $OUT/NAME.status.
part() {
    local name=$1 later=0 after=0 other share
    shift
    for other in "${PARTS[@]}"; do
        ((after)) && later=$((later + $(percent "$other")))
        [[ $other == "$name" ]] && after=1
    done
    share=$((DEADLINE - SECONDS - BUDGET * later / 100))
    if ((share < 30)); then
        echo "not run: no time left" >"$OUT/$name.status"
        return
    fi
    echo "== $name (at most ${share}s)"
    timeout --kill-after=10 "$share" "$@" >"$OUT/$name.log" 2>&1
    case $? in
        0) echo "finished" >"$OUT/$name.status" ;;
        124 | 137) echo "stopped after ${share}s, partial" >"$OUT/$name.status" ;;
        *) echo "failed, see $OUT/$name.log" >"$OUT/$name.status" ;;
    esac
    grep -E "images/s|held-out test AUC|Error" "$OUT/$name.log" | tail -20
}

echo "GPU check, $(date -u +%Y-%m-%dT%H:%MZ), budget ${BUDGET}s, logs in $OUT"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null || echo "no NVIDIA GPU"
python - <<'PYTHON'
import importlib.metadata
import platform

versions = []
for name in ("keras", "jax", "jaxlib", "torch", "tensorflow", "numpy", "opencv-python-headless"):
    try:
        versions.append(f"{name} {importlib.metadata.version(name)}")
    except importlib.metadata.PackageNotFoundError:
        versions.append(f"no {name}")
print(f"Python {platform.python_version()}: {', '.join(versions)}")
PYTHON

for backend in $BACKENDS; do
    part "$backend-throughput" env KERAS_BACKEND="$backend" \
        python benchmarks/model_throughput.py "${THROUGHPUT[@]}" --precisions=float32,bfloat16,float16
done
for backend in $BACKENDS; do
    part "$backend-demo" benchmarks/gpu_check.sh demo "$backend"
done

echo
echo "== Summary, ${SECONDS}s"
for name in "${PARTS[@]}"; do
    echo "$name: $(cat "$OUT/$name.status")"
    if [[ -f "$OUT/$name.log" ]]; then
        grep -E "^backend=|images/s|held-out test AUC" "$OUT/$name.log" | sed 's/^/    /'
    fi
done
