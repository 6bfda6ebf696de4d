"""Benchmark: how long a wrong password takes, for a user that exists and for one that does not.

    .venv/bin/python bench/login_timing.py [--tries 15]

* floor: one bare argon2 verification (argon2-cffi, no product code): the cost a sign-in must
  pay in every case;
* product: ``POST /auth/login`` with a wrong password through the app (in process, SQLite in a
  temporary folder), for an existing user and for an unknown name, interleaved, each try from
  its own address so the throttle's delay never applies.

Printed: medians, and the ratio existing / unknown (1.0 is the goal: a timing that tells
nothing; before the dummy hash it was ~35). A benchmark, not a test: it never fails.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import tempfile
import time

from argon2 import PasswordHasher


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tries", type=int, default=15)
    args = parser.parse_args()

    hasher = PasswordHasher()
    stored = hasher.hash("the-right-password")
    floor = []
    for _ in range(args.tries):
        started = time.perf_counter()
        with contextlib.suppress(Exception):
            hasher.verify(stored, "wrong")
        floor.append(time.perf_counter() - started)

    from evaluator.app import create_app
    from evaluator.auth.models import User
    from evaluator.migrate import upgrade

    with tempfile.TemporaryDirectory() as folder:
        app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{folder}/b.sqlite3",
                          "INSTANCE_PATH": folder, "SECRET_KEY": "bench",
                          "WTF_CSRF_ENABLED": False})
        upgrade(app.extensions["evaluator.engine"])
        with app.extensions["evaluator.sessionmaker"]() as db, db.begin():
            db.add(User(username="lead", role="lead", password_hash=stored))
        client = app.test_client()
        client.post("/auth/login", data={"username": "warm-up", "password": "x"})
        known, unknown = [], []
        for i in range(args.tries):
            for name, times in (("lead", known), (f"ghost-{i}", unknown)):
                started = time.perf_counter()
                response = client.post("/auth/login", data={"username": name, "password": "no"},
                                       environ_base={"REMOTE_ADDR": f"10.9.{i}.{len(times)}"})
                times.append(time.perf_counter() - started)
                assert response.status_code == 401, response.status_code

    def ms(values):
        return f"{statistics.median(values) * 1000:7.1f} ms"

    print(f"floor   argon2 verify (bare)        {ms(floor)}")
    print(f"product wrong password, user exists {ms(known)}")
    print(f"product wrong password, unknown     {ms(unknown)}")
    print(f"ratio   exists / unknown            {statistics.median(known) / statistics.median(unknown):7.2f}")
    print(f"ratio   product / floor             {statistics.median(known) / statistics.median(floor):7.2f}")


if __name__ == "__main__":
    main()
