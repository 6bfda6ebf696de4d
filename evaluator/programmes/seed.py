"""A synthetic programme (模拟数据) of many units, for demonstrations, tests and benchmarks.

Each unit is the synthetic demo bundle (evaluator.bundle.demo: its own seed, so its own
households, answers, findings) brought into the database as ``make run``'s demo evaluation is
(evaluator.fieldwork.manage.demo: every record through the app's own operations), then made a
unit of the programme. Everything is marked synthetic: the programme, every evaluation, every
unit's name (（模拟）); nobody could take it for a real province.
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Callable
from pathlib import Path

import yaml
from sqlalchemy.orm import Session

from evaluator.auth.models import User
from evaluator.fieldwork.models import Evaluation
from evaluator.programmes.models import Programme
from evaluator.storage import Storage

#: Synthetic regions (cities) the units are spread over, in turn.
REGIONS = ("甲市（模拟）", "乙市（模拟）", "丙市（模拟）", "丁市（模拟）", "戊市（模拟）",
           "己市（模拟）", "庚市（模拟）", "辛市（模拟）")


def unit_files(programme: Programme, number: int, households: int, seed: int) -> dict[str, bytes]:
    """The demo bundle of unit ``number`` (1, 2, ...), named as a unit of the programme."""
    from evaluator.bundle.demo import EVALUATION_FILE, demo_files

    files = demo_files(households, seed)
    meta = yaml.safe_load(files[EVALUATION_FILE].decode("utf-8"))
    meta["id"] = unit_key(programme, number)
    meta["evaluated_unit"] = f"第{number:03d}号县总工会（模拟）"
    files[EVALUATION_FILE] = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False).encode()
    return files


def unit_key(programme: Programme, number: int) -> str:
    return f"{programme.key}-{number:03d}"


def seed_unit(db: Session, programme: Programme, number: int, *, households: int, seed: int,
              lead: User, evaluator: User, viewer: User, storage: Storage) -> Evaluation:
    """Unit ``number``: its synthetic bundle imported as an evaluation of the programme."""
    from sqlalchemy import select

    from evaluator.bundle.writer import write_files
    from evaluator.fieldwork.manage.demo import create_demo_evaluation

    with tempfile.TemporaryDirectory(prefix="evaluator-seed-") as folder:
        path = Path(folder) / "bundle"
        write_files(unit_files(programme, number, households, seed), path)
        create_demo_evaluation(db, path, lead=lead, evaluator=evaluator, viewer=viewer,
                               storage=storage)
    evaluation = db.scalar(select(Evaluation).where(Evaluation.key == unit_key(programme, number)))
    if evaluation is None:  # create_demo_evaluation found the key taken by another evaluation
        raise ValueError(f"evaluation {unit_key(programme, number)} was not created")
    evaluation.programme_id = programme.id
    evaluation.region = REGIONS[(number - 1) % len(REGIONS)]
    evaluation.latitude, evaluation.longitude = unit_location(number)
    evaluation.synthetic = True
    db.flush()
    return evaluation


def unit_location(number: int) -> tuple[float, float]:
    """A made-up location for unit ``number``: its region's centre on a 4 x 2 grid, the unit
    around it on a golden-angle spiral (no two units on one spot). Not a real place: the map
    draws it on a blank base, as every synthetic thing here is marked."""
    region = (number - 1) % len(REGIONS)
    turn = (number - 1) // len(REGIONS)
    radius = 0.08 + 0.035 * turn
    angle = turn * 2.399963
    return (round(31.0 + 1.4 * (region // 4) + radius * math.sin(angle), 5),
            round(115.0 + 1.6 * (region % 4) + radius * math.cos(angle), 5))


def _user(db: Session, user_id: int) -> User:
    found = db.get(User, user_id)
    if found is None:
        raise ValueError(f"no user {user_id}")
    return found


def unit_sizes(count: int, households: int) -> list[int]:
    """Roster sizes of ``count`` units around ``households`` (0.6x to 1.4x, in turn): units
    differ in size as counties do, so frame weights matter in the pooled estimates."""
    return [max(60, int(households * (0.6 + 0.8 * ((k * 37) % count) / max(1, count - 1))))
            for k in range(count)]


def seed_units(db_factory: Callable[[], Session], programme_id: int, *, count: int,
               households: int, seed: int, lead_id: int, evaluator_id: int, viewer_id: int,
               storage: Storage, progress: Callable[[int, Evaluation], None] | None = None
               ) -> int:
    """Units 1..count of the programme, one transaction each (an interrupted run keeps the
    units made so far; running it again adds only the missing ones). Returns how many were
    made now."""
    from sqlalchemy import select

    made = 0
    for number, size in enumerate(unit_sizes(count, households), 1):
        with db_factory() as db, db.begin():
            programme = db.get(Programme, programme_id)
            if programme is None:
                raise ValueError(f"no programme {programme_id}")
            if db.scalar(select(Evaluation.id).where(
                    Evaluation.key == unit_key(programme, number))) is not None:
                continue
            lead, evaluator, viewer = (_user(db, i) for i in (lead_id, evaluator_id, viewer_id))
            evaluation = seed_unit(db, programme, number, households=size, seed=seed + number,
                                   lead=lead, evaluator=evaluator, viewer=viewer, storage=storage)
            made += 1
            if progress is not None:
                progress(number, evaluation)
    return made
