"""Simulated tablets for the load test (Locust, run headless by bench/loadtest.py in its own
process, against loopback only).

Each simulated tablet is one investigator's evening: sign in (login page, CSRF token, the
assignments page), fetch its assignments from the API, then send its queued records back to
back (a burst, each household record with one photo), then replay two of them (a queue that
lost its acknowledgements), then it is done. As the real tablet queue does, a record is sent
again after a connection error or a 5xx, with back-off, until acknowledged (at most 8 tries).

    python bench/load/tablets.py --host URL --data tablets.json --path /api/v1/submissions \
        --spawn-rate 10 --time-limit 180 --out result.json
"""

from __future__ import annotations

import argparse
import json
import random
import re
import time
from pathlib import Path

import gevent
from locust import FastHttpUser, events, task
from locust.env import Environment
from locust.exception import StopUser

TABLETS: list[dict] = []
PATH = "/api/v1/submissions"
ACKED: dict[str, int] = {}  # instance id -> status of its acknowledgement
UNACKED: list[str] = []
DONE: list[int] = []
TRIES = 8


class Tablet(FastHttpUser):
    def on_start(self):
        if not TABLETS:
            raise StopUser()
        self.me = TABLETS.pop()
        # A sign-in cut off (a worker killed, a timeout) is tried again, as a person would;
        # a tablet that never signs in keeps its records: they count as never acknowledged.
        for attempt in range(TRIES):
            try:
                self.sign_in()
                return
            except Exception as exc:  # noqa: BLE001 - any failure: try again, then give up
                events.request.fire(request_type="TABLET", name="sign in (again)",
                                    response_time=0, response_length=0, exception=exc)
                gevent.sleep(min(8.0, 0.25 * 2 ** attempt) * random.uniform(0.5, 1.0))
        UNACKED.extend(instance for instance, _ in self.me["records"])
        self.me["records"] = []
        raise StopUser()  # not counted as finished

    def sign_in(self) -> None:
        page = self.client.get("/auth/login", name="sign in: page").text
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        with self.client.post("/auth/login", name="sign in: post", data={
                "username": self.me["username"], "password": self.me["password"],
                "csrf_token": token}, allow_redirects=False, catch_response=True) as response:
            if response.status_code != 302:
                response.failure(f"{response.status_code}: not signed in")
                raise RuntimeError(f"sign-in answered {response.status_code}")
        page = self.client.get("/assignments", name="assignments page").text
        self.csrf = re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)
        self.client.get("/api/v1/assignments", name="assignments API")

    def send(self, body: str, instance: str, expected: tuple[int, ...], name: str) -> None:
        for attempt in range(TRIES):
            with self.client.post(PATH, data=body, name=name, catch_response=True, headers={
                    "Content-Type": "application/json", "X-CSRFToken": self.csrf}) as response:
                if response.status_code in expected:
                    ACKED[instance] = response.status_code
                    response.success()
                    return
                response.failure(f"{response.status_code}: {(response.text or '')[:200]}")
                if response.status_code and response.status_code < 500:
                    break  # refused: kept on the tablet with the reason, not retried
            gevent.sleep(min(8.0, 0.25 * 2 ** attempt) * random.uniform(0.5, 1.0))
        UNACKED.append(instance)

    @task
    def evening(self):
        for instance, body in self.me["records"]:
            self.send(body, instance, (201, 200), "records (burst)")
        for instance, body in random.sample(self.me["records"], min(2, len(self.me["records"]))):
            self.send(body, instance, (200,) if PATH.startswith("/api/") else (201, 200),
                      "replay")
        DONE.append(1)
        raise StopUser()


def main() -> None:
    global PATH
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", required=True)
    parser.add_argument("--data", required=True)
    parser.add_argument("--path", default=PATH)
    parser.add_argument("--spawn-rate", type=float, default=10)
    parser.add_argument("--time-limit", type=float, default=180)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    if not args.host.startswith(("http://127.", "http://localhost")):
        raise SystemExit("the load test only targets this machine (loopback)")
    PATH = args.path
    TABLETS.extend(reversed(json.loads(Path(args.data).read_text(encoding="utf-8"))))
    count = len(TABLETS)
    Tablet.host = args.host
    environment = Environment(user_classes=[Tablet], events=events)
    runner = environment.create_local_runner()
    started = time.perf_counter()
    runner.start(count, spawn_rate=args.spawn_rate)
    while len(DONE) < count and time.perf_counter() - started < args.time_limit:
        gevent.sleep(0.2)
        if not TABLETS and runner.user_count == 0 and time.perf_counter() - started > 5:
            break
    wall = time.perf_counter() - started
    runner.quit()
    stats = environment.stats
    rows = {}
    for (name, _method), entry in sorted(stats.entries.items()):
        rows[name] = {"requests": entry.num_requests, "failures": entry.num_failures,
                      "p50": entry.get_response_time_percentile(0.5),
                      "p95": entry.get_response_time_percentile(0.95),
                      "p99": entry.get_response_time_percentile(0.99),
                      "max": entry.max_response_time}
    errors = {f"{e.name}: {e.error}": e.occurrences for e in stats.errors.values()}
    Path(args.out).write_text(json.dumps({
        "wall": wall, "tablets": count, "finished": len(DONE), "rows": rows, "errors": errors,
        "acked": ACKED, "unacked": UNACKED, "timed_out": len(DONE) < count}), encoding="utf-8")


if __name__ == "__main__":
    main()
