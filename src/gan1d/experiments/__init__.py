"""Many runs: sweeps of seeds, and studies of variants x targets x seeds, here or on a Ray cluster."""
