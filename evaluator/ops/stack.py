"""A local production stack on loopback, for tests, benchmarks and trying the deployment:
a throwaway PostgreSQL cluster, Redis (Debian's redis-server), an S3-compatible object store
(moto's server mode), gunicorn with N workers and M queue workers, all started from the
project's own code and stopped cleanly (each in its own process group, ended by its id).

    evaluator stack [--workers 4] [--queue-workers 2] [--no-s3]    # until Ctrl-C

    with Stack(folder, web_workers=4, queue_workers=2) as stack:   # tests and bench/
        requests.get(stack.url + "/readyz")

Ports are free ones picked at start, or taken from EVALUATOR_STACK_PG_PORT, _REDIS_PORT,
_S3_PORT and _HTTP_PORT, so parallel runs do not collide. Everything lives in one temporary
folder (database cluster, Redis, instance folder, logs/), removed at stop.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

PGBIN = Path(os.environ.get("PGBIN", "/usr/lib/postgresql/15/bin"))
BUCKET = "evaluator-stack"


class StackError(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _port(name: str) -> int:
    given = os.environ.get(f"EVALUATOR_STACK_{name}_PORT")
    return int(given) if given else free_port()


def _as_postgres(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


class Stack:
    def __init__(self, folder: str | os.PathLike[str] | None = None, *, web_workers: int = 4,
                 queue_workers: int = 2, s3: bool = True, threads: int = 4,
                 wsgi_app: str | None = None, pythonpath: str | None = None):
        """``wsgi_app`` ("module:app"): serve another WSGI app under the same gunicorn
        settings (a benchmark's app with an extra endpoint), found on ``pythonpath``."""
        self.folder = Path(folder or tempfile.mkdtemp(prefix="evaluator-stack-"))
        self.wsgi_app, self.pythonpath = wsgi_app, pythonpath
        self.web_workers, self.queue_workers, self.s3, self.threads = (
            web_workers, queue_workers, s3, threads)
        self.processes: dict[str, subprocess.Popen] = {}
        self.pg_port, self.redis_port = _port("PG"), _port("REDIS")
        self.s3_port, self.http_port = _port("S3"), _port("HTTP")
        self.url = f"http://127.0.0.1:{self.http_port}"
        self.env: dict[str, str] = {}
        self._pg_started = False

    # -- life cycle ------------------------------------------------------------------------

    def __enter__(self) -> Stack:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> None:
        (self.folder / "logs").mkdir(parents=True, exist_ok=True)
        self.folder.chmod(0o711)  # the postgres user reaches its own pg/ sub-folder
        self._start_postgres()
        self._spawn("redis", ["redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1",
                              "--save", "", "--appendonly", "no", "--dir", str(self.folder),
                              "--protected-mode", "yes"])
        self.env = self._environment()
        if self.s3:
            self._spawn("s3", [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p",
                               str(self.s3_port)])
        self._wait_port(self.redis_port, "redis")
        if self.s3:
            self._wait_port(self.s3_port, "s3")
            self._make_bucket()
        self.evaluator("db", "upgrade")
        self.evaluator("load-definitions")
        if self.wsgi_app is None:
            self._spawn("web", [sys.executable, "-m", "evaluator", "serve", "--production",
                                "--host", "127.0.0.1", "--port", str(self.http_port),
                                "--workers", str(self.web_workers), "--allow", "plain-http"])
        else:
            self.env.update({"EVALUATOR_BIND": f"127.0.0.1:{self.http_port}",
                             "EVALUATOR_WORKERS": str(self.web_workers),
                             "EVALUATOR_ALLOW": "plain-http"})
            self._spawn("web", [str(Path(sys.executable).with_name("gunicorn")), "-c",
                                "python:evaluator.ops.gunicorn_conf", self.wsgi_app])
        for number in range(self.queue_workers):
            self.start_queue_worker(number)
        self._wait_ready()

    def stop(self) -> None:
        """End every process (newest first), the database last; one that will not stop does
        not keep the others running."""
        for name in reversed(list(self.processes)):
            try:
                self._end(name)
            except Exception as exc:  # noqa: BLE001 - go on with the rest
                print(f"stack: could not stop {name}: {exc}", file=sys.stderr)
        if self._pg_started:
            subprocess.run(_as_postgres([str(PGBIN / "pg_ctl"), "-D", str(self.pgdata), "-m",
                                         "fast", "-w", "stop"]), capture_output=True)
            self._pg_started = False
        if os.environ.get("EVALUATOR_STACK_KEEP"):
            print(f"stack folder kept: {self.folder}", file=sys.stderr)
        else:
            shutil.rmtree(self.folder, ignore_errors=True)

    # -- what tests and benchmarks use ---------------------------------------------------------

    def evaluator(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        """Run an ``evaluator`` command against the stack."""
        done = subprocess.run([sys.executable, "-m", "evaluator", *args], env=self.env,
                              capture_output=True, text=True)
        if check and done.returncode != 0:
            raise StackError(f"evaluator {' '.join(args)}: {done.stderr[-2000:]}")
        return done

    def start_queue_worker(self, number: int) -> None:
        self._spawn(f"queue-{number}", [sys.executable, "-m", "evaluator", "worker",
                                        "--name", f"stack-{os.getpid()}-{number}-{time.time_ns()}"])

    def pid(self, name: str) -> int:
        return self.processes[name].pid

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        """Kill one of the stack's processes (and its children) as a crash would."""
        process = self.processes.pop(name)
        os.killpg(process.pid, sig)
        process.wait(30)

    def web_worker_pids(self) -> list[int]:
        """gunicorn's worker processes (children of its master)."""
        master = self.pid("web")
        children = Path(f"/proc/{master}/task/{master}/children")
        return [int(p) for p in children.read_text().split()] if children.exists() else []

    def cpu_seconds(self) -> dict[str, float]:
        """CPU seconds (user + system) the stack's processes have used so far, per part: each
        part's session with the children it has reaped (a killed gunicorn worker's time stays
        in its master's count). Benchmarks take the difference over a run: on a shared machine
        that is what a record costs, whatever the others' load does to the wall clock."""
        sessions: dict[int, str] = {}
        for name, process in self.processes.items():
            sessions[_session_of(process.pid)] = name.split("-")[0]
        postmaster = self.pgdata / "postmaster.pid"
        server = int(postmaster.read_text().split()[0]) if postmaster.exists() else -1
        sessions[_session_of(server)] = "database"
        used: dict[str, float] = {}
        ticks = os.sysconf("SC_CLK_TCK")
        for stat in Path("/proc").glob("[0-9]*/stat"):
            fields = _stat_fields(stat)
            if not fields:
                continue
            # PostgreSQL's backends (one per connection) start sessions of their own: they
            # are the postmaster's children.
            part = sessions.get(int(fields[3])) or ("database" if int(fields[1]) == server
                                                    else None)
            if part is not None:
                used[part] = used.get(part, 0.0) + sum(int(f) for f in fields[11:15]) / ticks
        return used

    # -- parts ---------------------------------------------------------------------------------

    @property
    def pgdata(self) -> Path:
        return self.folder / "pg" / "data"

    def _start_postgres(self) -> None:
        if not (PGBIN / "initdb").exists():
            raise StackError(f"no PostgreSQL at {PGBIN} (apt-get install postgresql)")
        pg = self.folder / "pg"
        pg.mkdir()
        if os.geteuid() == 0:
            shutil.chown(pg, "postgres", "postgres")
        self._run(_as_postgres([str(PGBIN / "initdb"), "-D", str(self.pgdata), "--auth=trust",
                                "-U", "postgres", "-E", "UTF8"]), "initdb")
        self._run(_as_postgres([str(PGBIN / "pg_ctl"), "-D", str(self.pgdata), "-l",
                                str(pg / "server.log"), "-w", "start", "-o",
                                f"-p {self.pg_port} -k {pg} -c listen_addresses=127.0.0.1 "
                                "-c max_connections=200 -c shared_buffers=256MB "
                                "-c synchronous_commit=on"]), "pg_ctl start")
        self._pg_started = True

    def _environment(self) -> dict[str, str]:
        env = {key: value for key, value in os.environ.items()
               if not key.startswith(("EVALUATOR_", "AWS_"))}
        env.update({
            "EVALUATOR_DATABASE_URL":
                f"postgresql+psycopg://postgres@127.0.0.1:{self.pg_port}/postgres",
            "EVALUATOR_QUEUE_URL": f"redis://127.0.0.1:{self.redis_port}/0",
            "EVALUATOR_INSTANCE_PATH": str(self.folder / "instance"),
            "EVALUATOR_SECRET_KEY": secrets.token_hex(32),
            "EVALUATOR_THREADS": str(self.threads),
            "PYTHONUNBUFFERED": "1",
        })
        if self.pythonpath:
            env["PYTHONPATH"] = os.pathsep.join(filter(None, (self.pythonpath,
                                                              env.get("PYTHONPATH"))))
        if self.s3:
            env.update({"EVALUATOR_STORAGE_URL": f"s3://{BUCKET}/files",
                        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{self.s3_port}",
                        "AWS_ACCESS_KEY_ID": "stack", "AWS_SECRET_ACCESS_KEY": "stack-secret",
                        "AWS_DEFAULT_REGION": "us-east-1"})
        return env

    def _make_bucket(self) -> None:
        import boto3

        boto3.client("s3", endpoint_url=self.env["AWS_ENDPOINT_URL"],
                     aws_access_key_id="stack", aws_secret_access_key="stack-secret",
                     region_name="us-east-1").create_bucket(Bucket=BUCKET)

    def _spawn(self, name: str, command: list[str]) -> None:
        log = open(self.folder / "logs" / f"{name}.log", "ab")  # noqa: SIM115 - the child's
        self.processes[name] = subprocess.Popen(
            command, env=self.env or None, stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True, cwd=self.folder)
        log.close()

    def _end(self, name: str) -> None:
        process = self.processes.pop(name)
        if process.poll() is None:
            try:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(10)
            except ProcessLookupError:
                pass

    def _run(self, command: list[str], what: str) -> None:
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0:
            raise StackError(f"{what} failed: {done.stdout[-1000:]}{done.stderr[-1000:]}")

    def _wait_port(self, port: int, name: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._check_alive(name)
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    return
            time.sleep(0.05)
        raise StackError(f"{name} did not listen on {port} within {timeout} s")

    def _check_alive(self, name: str) -> None:
        process = self.processes.get(name)
        if process is not None and process.poll() is not None:
            log = (self.folder / "logs" / f"{name}.log").read_text(errors="replace")[-3000:]
            raise StackError(f"{name} exited with {process.returncode}:\n{log}")

    def _wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            self._check_alive("web")
            try:
                with urllib.request.urlopen(self.url + "/readyz", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError as exc:
                last = str(exc)
            time.sleep(0.1)
        raise StackError(f"the stack was not ready within {timeout} s: {last}")


def _stat_fields(path: Path) -> list[str]:
    """/proc/PID/stat after the command name: state, ppid, pgrp, session, ..., utime (index 11),
    stime, cutime, cstime (14). Empty when the process has gone."""
    try:
        text = path.read_text()
    except OSError:
        return []
    return text[text.rindex(")") + 2:].split()


def _session_of(pid: int) -> int:
    fields = _stat_fields(Path(f"/proc/{pid}/stat"))
    return int(fields[3]) if fields else -1


def serve_stack(workers: int, queue_workers: int, s3: bool) -> None:
    """Start the stack, print its address and environment, stop it on Ctrl-C or SIGTERM."""
    stack = Stack(web_workers=workers, queue_workers=queue_workers, s3=s3)
    stopping = []
    for number in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):  # SIGINT too: a shell may
        signal.signal(number, lambda *_: stopping.append(1))      # have it ignored for us
    with stack:
        print(f"evaluator stack ready at {stack.url} (Ctrl-C stops and removes it)", flush=True)
        print("its environment, for `evaluator` commands against it:")
        for key in sorted(stack.env):
            if key.startswith(("EVALUATOR_", "AWS_")):
                print(f"  export {key}={stack.env[key]}", flush=True)
        while not stopping:
            time.sleep(0.5)
        print("stopping the stack", file=sys.stderr)
