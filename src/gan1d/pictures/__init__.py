"""The pictures of a run: stills, the scene every frame draws, the animation, the report page.

Pure NumPy and matplotlib (no deep-learning framework), pyplot-free. Pictures take
plain arrays and a `Scene`; they never import the run that calls them.
"""
