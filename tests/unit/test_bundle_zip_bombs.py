"""Zip bombs are refused while they expand, in bounded memory: a member is decompressed a chunk
at a time and stopped at 100x its compressed size, at 128 MB, or when the whole zip passes
512 MB or 100x; nothing declared in the zip is trusted."""

import tracemalloc
import zipfile

import pytest
from click.testing import CliRunner

from evaluator.bundle import archive
from evaluator.cli import main

EVALUATION = "id: bomb\n"


def bomb(path, members, size):
    """A zip of ``members`` files each holding ``size`` bytes of one repeated line."""
    line = b"H0001,town,town,x,y,1,1,2020-01-01,\r\n"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("evaluation.yaml", EVALUATION)
        for name in members:
            with z.open(name, "w", force_zip64=True) as handle:
                block = line * (1024 * 1024 // len(line) + 1)
                for _ in range(size // len(block)):
                    handle.write(block)
    return path


def read_peak(path):
    tracemalloc.start()
    try:
        files, problems = archive.read_zip(path)
        return files, problems, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_member_that_expands_too_far_is_refused_early(tmp_path):
    path = bomb(tmp_path / "bomb.zip", ["roster.csv"], 120 * 1024 * 1024)
    assert path.stat().st_size < 1024 * 1024  # 120 MB in well under 1 MB
    files, problems, peak = read_peak(path)
    assert files is None and "expands more than 100 times" in problems[0].message
    assert problems[0].where == "roster.csv"
    assert peak < 64 * 1024 * 1024  # stopped at 100x its ~200 kB, never held whole


def test_a_member_declared_larger_than_the_limit_is_refused_unread(tmp_path):
    path = bomb(tmp_path / "bomb.zip", ["roster.csv"], 300 * 1024 * 1024)
    files, problems, peak = read_peak(path)
    assert files is None and "larger than 134217728 bytes" in problems[0].message
    assert peak < 16 * 1024 * 1024


def test_many_members_are_bounded_in_total(tmp_path, monkeypatch):
    monkeypatch.setattr(archive, "MAX_TOTAL_BYTES", 40 * 1024 * 1024)
    monkeypatch.setattr(archive, "MAX_RATIO", 10_000)  # only the total stops this one
    names = [f"s{i}.csv" for i in range(6)]
    path = bomb(tmp_path / "wide.zip", names, 10 * 1024 * 1024)
    files, problems, _ = read_peak(path)
    assert files is None and f"expands to more than {40 * 1024 * 1024} bytes" in problems[0].message


def test_a_declared_size_over_the_limit_is_refused_before_reading(tmp_path, monkeypatch):
    monkeypatch.setattr(archive, "MAX_FILE_BYTES", 1024 * 1024)
    path = bomb(tmp_path / "big.zip", ["roster.csv"], 2 * 1024 * 1024)
    files, problems, _ = read_peak(path)
    assert files is None and f"larger than {1024 * 1024} bytes uncompressed" in problems[0].message


def test_a_real_bundle_passes(tmp_path):
    from evaluator.bundle.demo import demo_files
    from evaluator.bundle.writer import zip_bytes

    path = tmp_path / "demo.zip"
    path.write_bytes(zip_bytes(demo_files(2000, 7, {})))
    files, problems = archive.read_zip(path)
    assert problems == [] and "roster.csv" in files


@pytest.mark.parametrize("command", [["score"], ["bundle", "check"], ["report", "--out", "x.pdf"]])
def test_the_commands_refuse_a_bomb_with_a_message(tmp_path, command):
    path = bomb(tmp_path / "bomb.zip", ["roster.csv"], 100 * 1024 * 1024)
    args = command[:1] + [str(path)] + command[1:] if command[0] != "bundle" else \
        command + [str(path)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1, result.output
    assert "zip bomb" in result.output and "Traceback" not in result.output
