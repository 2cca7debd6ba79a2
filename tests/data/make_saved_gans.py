"""Writes the saved GANs that tests/test_gan.py loads under the other backend.

Run once per backend: `KERAS_BACKEND=jax python tests/data/make_saved_gans.py`, then
with `KERAS_BACKEND=tensorflow`. Each writes `gan-<backend>.keras` (a default-preset
GAN with a residual, scaled generator and instance noise, trained 30 steps) and `gan-<backend>.npz` (what it generates and scores).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

HERE = Path(__file__).parent


def main() -> None:
    import keras

    from gan1d.config import TrainConfig
    from gan1d.models import build_gan

    backend = keras.backend.backend()
    config = TrainConfig.from_preset(function="cube", residual=True, normalize=True, instance_noise=0.1, epochs=100)
    gan = build_gan(config)
    gan.fit_target(config.target(), epochs=30, batch_size=64)
    gan.save(HERE / f"gan-{backend}.keras")
    points = gan.generate(16, seed=0)
    np.savez(HERE / f"gan-{backend}.npz", points=points, scores=gan.discriminate(points))


if __name__ == "__main__":
    main()
