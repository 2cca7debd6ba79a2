#!/usr/bin/env bash
# The GPU benchmarks in one call, under JAX, on a machine that has JAX with CUDA
# but no network: benchmarks/loop_speed.py --device gpu, then the seeds throughput
# (benchmarks/seed_throughput.py, N = 1 ... 4096 copies vectorized).
#
#   benchmarks/gpu.sh wheels      # where pip reaches the package index: gan1d and the
#                                 # packages a CUDA JAX image usually lacks, as wheels
#                                 # in benchmarks/wheels (PYTHON_VERSION=3.12 by default)
#   benchmarks/gpu.sh run [OUT]   # on the GPU machine, offline: installs the wheels into
#                                 # a temporary folder, runs both, writes OUT/loop_speed
#                                 # and OUT/seed_throughput (default: benchmarks/loop_speed
#                                 # and benchmarks/seed_throughput, beside the scripts)
#   benchmarks/gpu.sh seeds-cpu   # the seeds throughput on this machine's CPU, small N
#
# Copy the checkout with benchmarks/wheels to the GPU machine. Numpy, SciPy,
# matplotlib, Pillow, h5py, ml-dtypes, rich and absl-py come from its Python; the
# wheels bring keras, namex, optree and gan1d. LOOP_SPEED_ARGS go to
# loop_speed.py (e.g. LOOP_SPEED_ARGS=--quick), SEED_THROUGHPUT_ARGS to seed_throughput.py
# (e.g. SEED_THROUGHPUT_ARGS="--seeds 1 64 4096").
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
wheels=$here/wheels
python=${PYTHON:-python3}

case "${1:-}" in
wheels)
    version=${PYTHON_VERSION:-3.12}
    mkdir -p "$wheels"
    rm -f "$wheels"/*.whl
    "$python" -m pip wheel --quiet --no-deps --wheel-dir "$wheels" "$root"
    platforms=()
    for tag in manylinux_2_28_x86_64 manylinux_2_27_x86_64 manylinux_2_17_x86_64 manylinux2014_x86_64; do
        platforms+=(--platform "$tag")
    done
    "$python" -m pip download --quiet --no-deps --only-binary=:all: --implementation cp \
        --python-version "$version" "${platforms[@]}" --dest "$wheels" \
        "keras==${KERAS_VERSION:-3.15.1}" namex optree
    ls -l "$wheels"
    ;;
run)
    out=$(realpath -m "${2:-$here}")
    site=$(mktemp -d)
    "$python" -m pip install --quiet --no-index --no-deps --target "$site" "$wheels"/*.whl
    export PYTHONPATH="$site${PYTHONPATH:+:$PYTHONPATH}" KERAS_BACKEND=jax PYTHONUNBUFFERED=1
    cd "$root"
    "$python" -c "import jax, keras, gan1d; print('jax', jax.__version__, jax.devices(), 'keras', keras.__version__)"
    # shellcheck disable=SC2086
    "$python" benchmarks/loop_speed.py --device gpu --out "$out/loop_speed" ${LOOP_SPEED_ARGS:-}
    # shellcheck disable=SC2086
    "$python" benchmarks/seed_throughput.py --device gpu --out "$out/seed_throughput" ${SEED_THROUGHPUT_ARGS:-}
    ;;
seeds-cpu)
    cd "$root"
    # shellcheck disable=SC2086
    PYTHONPATH="$root/src${PYTHONPATH:+:$PYTHONPATH}" KERAS_BACKEND=jax \
        "$python" benchmarks/seed_throughput.py --device cpu --quick ${SEED_THROUGHPUT_ARGS:-}
    ;;
*)
    sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac
