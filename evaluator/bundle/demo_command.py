"""``evaluator demo-data``: write the synthetic demo bundle (evaluator.bundle.demo).

A pure command, in a module of its own so that ``evaluator score`` and ``bundle check`` (which
import ``bundle.commands``) never import the demo generator.
"""

from __future__ import annotations

from pathlib import Path

import click

from evaluator.bundle.demo import DEFAULT_HOUSEHOLDS, DEFAULT_SEED, demo_files
from evaluator.bundle.demo_population import parse_error_rates
from evaluator.bundle.reader import build_bundle
from evaluator.bundle.writer import write_files


@click.command("demo-data")
@click.argument("out", type=click.Path(path_type=Path))
@click.option("--households", type=click.IntRange(min=11), default=DEFAULT_HOUSEHOLDS, show_default=True,
              help="Registered households in the synthetic county (the sampling frame).")
@click.option("--seed", type=click.IntRange(min=0), default=DEFAULT_SEED, show_default=True,
              help="Random seed: the same seed gives the same bytes.")
@click.option("--error-rates", default="", metavar="NAME=SHARE,...",
              help="Planted error rates, e.g. wrong_exit=0.1,dissatisfied=15% (docs/bundle.md).")
@click.option("--force", is_flag=True, help="Overwrite an existing OUT.")
def demo_data(out: Path, households: int, seed: int, error_rates: str, force: bool) -> None:
    """Write a SYNTHETIC demo bundle (演示数据) to OUT (a folder, or a file ending .zip)."""
    try:
        rates = parse_error_rates(error_rates)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--error-rates") from None
    files = demo_files(households, seed, rates)
    write_files(files, out, overwrite=force)
    bundle_, _ = build_bundle(files)
    sample = sum(1 for s in bundle_.sample if s.role == "sample") if bundle_ else 0
    reserve = len(bundle_.sample) - sample if bundle_ else 0
    click.echo(
        f"Wrote SYNTHETIC demo bundle {out}: {households} households, sample {sample} + {reserve} reserve, "
        f"seed {seed}; data {bundle_.data_hash if bundle_ else ''}"
    )

