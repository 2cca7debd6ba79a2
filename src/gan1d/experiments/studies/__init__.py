"""Studies: a plan read from a TOML file, cut into blocks of seeds, run by an executor
(this process, or a Ray cluster), logged one trial per line, and summarized.

- `plan`: the study file, its targets, variants and blocks.
- `blocks`: one block of seeds trained and scored; the unit of work of every executor.
- `log`: `trials.jsonl`, appended as blocks finish and read back to skip finished trials.
- `summary`: the tables and the picture.
- `runner`: `study()`, and the local executor.
- `ray_executor`: the blocks as Ray tasks.
"""
