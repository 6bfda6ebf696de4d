"""``evaluator programme``: programmes (评估项目总体) from the command line.

    evaluator programme score DIR [--format json|table]   pooled estimates and the ranking

DIR holds one bundle per unit (sub-folders or .zip files, as ``/programmes/N/programme.zip``
unpacks) and, optionally, programme.yaml. The JSON is the web's ``/programmes/N/result.json``
byte for byte for the same data.
"""

from __future__ import annotations

from pathlib import Path

import click


@click.group("programme")
def programme() -> None:
    """Programmes (评估项目总体): many units scored, pooled and ranked together."""


@programme.command("score")
@click.argument("folder", type=click.Path(path_type=Path, file_okay=False))
@click.option("--format", "output", type=click.Choice(["json", "table"]), default="json",
              show_default=True)
@click.option("--rubric", "rubric_path", type=click.Path(exists=True, dir_okay=False),
              help="Rubric YAML; default: the shipped rubric the bundles name.")
@click.option("--surveys", "surveys_dir", type=click.Path(exists=True),
              help="Survey definitions (folder or file); default: the shipped surveys.")
def score(folder: Path, output: str, rubric_path: str | None, surveys_dir: str | None) -> None:
    """Score every unit bundle in FOLDER: pooled estimates per indicator and the ranking."""
    from evaluator.programmes.folder import load_programme
    from evaluator.programmes.result import programme_result, result_json

    loaded = load_programme(folder, rubric_path, surveys_dir)
    result = programme_result(loaded.rubric, loaded.meta, loaded.units)
    if output == "json":
        click.echo(result_json(result), nl=False)
        return
    click.echo(format_table(result))


def format_table(result: dict) -> str:
    """The ranking and the pooled indicators as plain text (rounding happens here only)."""
    lines = [f"{result['programme']['title']['zh']} ({result['programme']['id']}): "
             f"{len(result['ranking']['units'])} units, "
             f"{result['ranking']['distinguished']} of {result['ranking']['pairs']} pairs "
             "told apart (Holm, 5 %)", "",
             "tier  ranks    total  95% interval   unit"]
    for u in result["ranking"]["units"]:
        ranks = f"{u['best_rank']}-{u['worst_rank']}"
        lines.append(f"{u['tier']:>4}  {ranks:<7} {u['total']:6.2f}  "
                     f"{u['ci_low']:6.2f}-{u['ci_high']:<6.2f}  {u['name']}")
    lines += ["", "code  estimate  95% interval        n  verdict"]
    for i in result["pooled"]["indicators"]:
        if i["estimate"] is None:
            lines.append(f"{i['code']:<5} {'-':>8}  {'':18} {i['n']:>5}  {i['pooling']}")
            continue
        interval = (f"{i['ci_low']:.4f}-{i['ci_high']:.4f}" if i["ci_low"] is not None else "")
        lines.append(f"{i['code']:<5} {i['estimate']:8.4f}  {interval:<18} {i['n']:>5}  "
                     f"{i['verdict'] or i['pooling']}")
    return "\n".join(lines)
