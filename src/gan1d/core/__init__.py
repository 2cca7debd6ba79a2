"""The GAN and its training: losses, layers and networks, the GAN class with its one pure step,
the compiled many-step loop, what the loop captures for the pictures, and the callbacks.

Start reading at `gan1d.core.gan`: the GAN class, its `train_step` and the step itself.
"""
