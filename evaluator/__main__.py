"""``python -m evaluator``: the same command as ``evaluator``."""

from evaluator.cli import main

main(prog_name="evaluator")
