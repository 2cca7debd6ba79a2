"""How a GAN is saved and loaded by Keras: its configuration, its compile settings and its own variables.

`GAN` inherits this from `SavedGAN`; Keras calls these methods from
`model.save(...)` and `keras.saving.load_model(...)`.
"""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from gan1d.errors import Gan1dError

__all__ = ["SavedGAN"]


class SavedGAN(keras.Model):
    """Keras's saving protocol for `gan1d.GAN`: everything but the networks' own weights, which Keras saves."""

    def get_config(self) -> dict[str, Any]:
        noise = self.instance_noise
        if callable(noise) and not isinstance(noise, keras.optimizers.schedules.LearningRateSchedule):
            raise Gan1dError(
                "this GAN's instance_noise is a Python callable, which cannot be saved; use a number or a "
                "keras.optimizers.schedules.LearningRateSchedule"
            )
        return {
            **super().get_config(),
            "discriminator": keras.saving.serialize_keras_object(self.discriminator),
            "generator": keras.saving.serialize_keras_object(self.generator),
            "latent_dim": self.latent_dim,
            "seed": self.seed,
            "pack": self.pack,
            "instance_noise": keras.saving.serialize_keras_object(noise) if callable(noise) else noise,
            "noise": self.noise,
            "ema": self.ema,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: Any = None) -> Any:
        config = dict(config)
        for name in ("discriminator", "generator"):
            config[name] = keras.saving.deserialize_keras_object(config[name], custom_objects=custom_objects)
        if isinstance(config.get("instance_noise"), dict):
            config["instance_noise"] = keras.saving.deserialize_keras_object(
                config["instance_noise"], custom_objects=custom_objects
            )
        return cls(**config)

    def get_compile_config(self) -> dict[str, Any]:
        if not self.compiled:
            return {}
        return {
            "d_optimizer": keras.saving.serialize_keras_object(self.d_optimizer),
            "g_optimizer": keras.saving.serialize_keras_object(self.g_optimizer),
            "loss_fn": keras.saving.serialize_keras_object(self.loss_fn),
            **self.method(),
        }

    def compile_from_config(self, config: dict[str, Any]) -> None:
        if config:
            objects = ("d_optimizer", "g_optimizer", "loss_fn")
            settings = {name: value for name, value in config.items() if name not in objects}
            self.compile(**{name: keras.saving.deserialize_keras_object(config[name]) for name in objects}, **settings)

    def save_own_variables(self, store: Any) -> None:
        # The random state is not a layer variable; keeping it makes a loaded GAN
        # draw what the saved one would have drawn next.
        store["seed_state"] = self.seed_generator.state
        for i, average in enumerate(self.generator_average):
            store[f"average_{i}"] = average

    def load_own_variables(self, store: Any) -> None:
        if "seed_state" in store:
            self.seed_generator.state.assign(ops.cast(store["seed_state"], self.seed_generator.state.dtype))
        for i, average in enumerate(self.generator_average):
            average.assign(store[f"average_{i}"])
