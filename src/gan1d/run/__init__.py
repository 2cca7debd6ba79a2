"""One run: its config, the GAN built from it, its folder and files, `train` and `resume`, signals."""
