"""``evaluator sample``: draw a stratified household sample from a roster and print the plan.

The printed plan is what goes into the evaluation's working papers: the rule and its parameters,
N_h, n_h, reserves and weights per stratum, the seed, the roster's sha256 and its detected
encoding. With ``-o`` the draw goes to a UTF-8 CSV and the plan to standard output; without it the
CSV goes to standard output and the plan to standard error, so ``> sample.csv`` still works.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

import click

from evaluator.sampling.draw import SAMPLE_COLUMNS, Draw, draw
from evaluator.sampling.plan import plan_allocation, sample_plan
from evaluator.sampling.roster import Roster, read_roster


class Fraction01(click.ParamType):
    """A proportion written as 0.05 or 5%; bare numbers >= 1 are refused rather than guessed."""

    name = "fraction"

    def convert(self, value, param, ctx):
        if isinstance(value, float):
            number = value
        else:
            text = str(value).strip()
            try:
                number = float(text[:-1]) / 100 if text.endswith("%") else float(text)
            except ValueError:
                self.fail(f"{value!r} is not a number like 0.05 or 5%", param, ctx)
        if not 0 < number < 1:
            self.fail(f"{value!r} must be between 0 and 1 (write 0.05 or 5%, not 5)", param, ctx)
        return number


FRACTION = Fraction01()


@click.command("sample")
@click.argument("roster", type=click.Path(dir_okay=False))
@click.option("--stratum", "stratum_column", required=True, metavar="COLUMN",
              help="Roster column that defines the strata, e.g. township (乡镇/街道).")
@click.option("--margin", type=FRACTION, help="Margin of error E, e.g. 0.05 or 5%.")
@click.option("--confidence", type=FRACTION, help="Confidence level C, e.g. 0.95 (default 0.95 with --threshold).")
@click.option("--p", "p", type=FRACTION, help="Anticipated proportion for --margin (default 0.5, the safe choice).")
@click.option("--threshold", type=FRACTION, help="Show the error rate is below T, e.g. 0.02.")
@click.option("--expected-errors", type=click.IntRange(min=0), help="Errors K expected in the sample (with --threshold).")
@click.option("--size", type=click.IntRange(min=0), help="Fixed total sample size N.")
@click.option("--min-per-stratum", type=click.IntRange(min=0), default=0, show_default=True,
              help="At least this many households per stratum (all of a smaller stratum).")
@click.option("--reserve", type=click.IntRange(min=0), default=0, show_default=True,
              help="Reserve (replacement) households per stratum, in order of use.")
@click.option("--seed", type=click.IntRange(min=0), required=True,
              help="Random seed; the same roster and seed give the same sample.")
@click.option("--id-column", default="household_id", show_default=True, help="Household id column.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the sample CSV here.")
@click.option("--plan", "plan_path", type=click.Path(dir_okay=False),
              help="Also write the plan as YAML (for the bundle's evaluation.yaml).")
def sample(roster, stratum_column, margin, confidence, p, threshold, expected_errors, size,
           min_per_stratum, reserve, seed, id_column, output, plan_path):
    """Draw a stratified random sample of households from ROSTER (.csv or .xlsx).

    Give exactly one size rule: --margin E --confidence C [--p P], or
    --threshold T --expected-errors K [--confidence C], or --size N.
    """
    rule = _size_rule(margin, confidence, p, threshold, expected_errors, size)
    frame = read_roster(roster, stratum_column=stratum_column, id_column=id_column)
    try:
        plan = sample_plan(
            frame.frame_sizes(), seed=seed, min_per_stratum=min_per_stratum, reserve=reserve,
            roster=frame.describe(), **rule,
        )
        draws = draw(frame.frame, plan_allocation(plan), reserve, seed=seed)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None

    report = format_plan(plan, frame)
    csv_text = sample_csv(draws)
    try:
        if plan_path:
            import yaml

            Path(plan_path).write_text(
                yaml.safe_dump({"sampling": plan}, allow_unicode=True, sort_keys=False),
                encoding="utf-8",
            )
        if output:
            Path(output).write_text(csv_text, encoding="utf-8", newline="")
    except OSError as exc:
        raise click.ClickException(f"cannot write: {exc}") from None

    if output:
        click.echo(report)
        click.echo(f"Wrote {len(draws)} households to {output}.")
    else:
        click.echo(report, err=True)
        click.echo(csv_text, nl=False)


def _size_rule(margin, confidence, p, threshold, expected_errors, size) -> dict:
    """Check the option combination; return the keyword arguments for ``sample_plan``."""
    given = [name for name, value in (("--margin", margin), ("--threshold", threshold),
                                      ("--size", size)) if value is not None]
    if len(given) != 1:
        raise click.UsageError(
            "give exactly one size rule: --margin E --confidence C [--p P], "
            "--threshold T --expected-errors K [--confidence C], or --size N"
            + (f" (got {' and '.join(given)})" if given else "")
        )
    if p is not None and margin is None:
        raise click.UsageError("--p only applies with --margin")
    if expected_errors is not None and threshold is None:
        raise click.UsageError("--expected-errors only applies with --threshold")
    if size is not None and confidence is not None:
        raise click.UsageError("--confidence does not apply with --size")
    if margin is not None:
        if confidence is None:
            raise click.UsageError("--margin needs --confidence (e.g. --confidence 0.95)")
        return {"margin": margin, "confidence": confidence, "p": 0.5 if p is None else p}
    if threshold is not None:
        if expected_errors is None:
            raise click.UsageError("--threshold needs --expected-errors (e.g. 0)")
        return {"threshold": threshold, "expected_errors": expected_errors,
                "confidence": 0.95 if confidence is None else confidence}
    return {"size": size}


def sample_csv(draws: list[Draw]) -> str:
    """The draw as CSV text with the columns household_id, stratum, role, order (formula-like
    ids and strata neutralised: ``evaluator.sheets``)."""
    from evaluator.sheets import csv_text

    return csv_text(SAMPLE_COLUMNS, ([str(item.as_row()[c]) for c in SAMPLE_COLUMNS]
                                     for item in draws))


def format_plan(plan: dict, roster: Roster) -> str:
    """The plan as the text printed by the command."""
    params = plan["parameters"]
    if plan["method"] == "margin":
        rule = (f"margin ±{_pct(params['margin'])} at {_pct(params['confidence'])} confidence, "
                f"p = {params['p']:.4g}")
    elif plan["method"] == "threshold":
        rule = (f"error rate at most {_pct(params['threshold'])} with {params['expected_errors']} "
                f"error(s) expected, {_pct(params['confidence'])} confidence")
    else:
        rule = f"fixed size {params['size']}"
    lines = [
        f"Roster: {roster.path} (detected: {roster.encoding_name}; {len(roster.frame)} households)",
        f"Roster sha256: {roster.sha256}",
        f"Columns: id {roster.id_column}, stratum {roster.stratum_column}",
        f"Method: {rule}",
        f"Formula: {plan['formula']}",
        f"Sample size: {plan['required']} (frame N = {plan['population']}); "
        f"minimum per stratum {plan['min_per_stratum']}; reserve per stratum "
        f"{plan['reserve_per_stratum']}",
        f"Seed: {plan['seed']}",
    ]
    achieved = plan.get("achieved", {})
    if "margin" in achieved:
        lines.append(f"Achieved margin: ±{achieved['margin'] * 100:.2f}% with this allocation "
                     f"(planned ±{_pct(params['margin'])})")
    if "bound_with_expected_errors" in achieved:
        lines.append(f"Bound with {params['expected_errors']} error(s) at this allocation: "
                     f"{achieved['bound_with_expected_errors'] * 100:.2f}% "
                     f"(weights' design effect {achieved['weight_deff']:.3f})")
    if "warning" in achieved:
        lines.append(f"WARNING: {achieved['warning']}")
    lines.append("")
    header = ["stratum", "N_h", "n_h", "reserve", "weight N_h/n_h"]
    table = [header]
    for s in plan["strata"]:
        weight = "-" if s["weight"] is None else f"{s['weight']:.4f}"
        table.append([s["stratum"], str(s["population"]), str(s["sample"]), str(s["reserve"]), weight])
    table.append(["total", str(plan["population"]), str(plan["sample"]), str(plan["reserve"]), ""])
    widths = [max(_width(row[i]) for row in table) for i in range(len(header))]
    for row in table:
        cells = [_pad(row[0], widths[0], left=True)]
        cells += [_pad(cell, width, left=False) for cell, width in zip(row[1:], widths[1:], strict=True)]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def _pct(fraction: float) -> str:
    return f"{fraction * 100:.4g}%"


def _width(text: str) -> int:
    """Display width in a terminal: Chinese characters take two columns."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int, *, left: bool) -> str:
    space = " " * (width - _width(text))
    return text + space if left else space + text
