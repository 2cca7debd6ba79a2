"""What a GAN learns and how well it did: expressions, targets, the shape of a curve, metrics.

NumPy on the host; a target also draws its points inside a compiled loop through
`gan1d.backend`'s random ops. Nothing here knows about the GAN.
"""
