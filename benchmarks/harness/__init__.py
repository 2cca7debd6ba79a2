"""What the benchmark scripts beside this package share.

- `common`: the seed recipe, the timing loop and the memory probes (no framework imported).
- `devices`: choosing CPU or GPU before the backend loads, and describing the machine.
- `keras_cases`: gan1d and the two usual Keras training loops, as timed cases.
- `reference_jax`, `reference_tf`: the seed recipe written by hand in each backend.
- `reporting`: the loop-speed report, as JSON, Markdown and a chart.
- `study_worker`: a study's worker, timed in a fresh process for `study_costs.py`.
"""
