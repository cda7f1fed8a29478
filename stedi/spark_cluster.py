"""A standalone Spark cluster on this machine, for the `spark_cluster` dbt target.

`python -m stedi.spark_cluster up|down|status|port` (or `make spark-cluster-up` /
`make spark-cluster-down`). `up` starts, on 127.0.0.1 and free ports, one master, N workers
(each its own JVM with its own cores and memory) and Spark's Thrift server
(HiveThriftServer2, submitted to the master with `spark-submit … spark-internal`), all with
pyspark's own `bin/spark-class` and `bin/spark-submit`. The Thrift server's Derby metastore,
its warehouse, the workers' folders (the executors' working folders) and every log live in
the cluster folder, `target/spark-cluster/` by default. `up` waits until every worker is
alive in the master's JSON status and the Thrift port answers, then writes the process ids
and ports to `state.json` there. `down` stops exactly those processes (and the executors the
workers started), identified by process id and start time.

Settings (environment variables): STEDI_SPARK_CLUSTER_DIR, STEDI_SPARK_WORKERS (2),
STEDI_SPARK_WORKER_CORES (1), STEDI_SPARK_WORKER_MEMORY (1g), STEDI_SPARK_EXECUTOR_MEMORY
(the worker's memory), STEDI_SPARK_THRIFT_MEMORY (the Thrift server's driver, 1g),
STEDI_SPARK_DAEMON_MEMORY (master and worker JVMs, 256m), STEDI_SPARK_SHUFFLE_PARTITIONS (4),
STEDI_SPARK_PORT (the Thrift port; a free one when unset), STEDI_SPARK_STARTUP_TIMEOUT (180 s).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import psutil

from stedi import spark_jars

PROJECT_DIR = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
EPHEMERAL_RANGE_FILE = "/proc/sys/net/ipv4/ip_local_port_range"
THRIFT_CLASS = "org.apache.spark.sql.hive.thriftserver.HiveThriftServer2"
MASTER_CLASS = "org.apache.spark.deploy.master.Master"
WORKER_CLASS = "org.apache.spark.deploy.worker.Worker"
APP_NAME = "STEDI Thrift server"


class ClusterError(Exception):
    """A problem the user can act on: printed as one line, no traceback."""


@dataclass
class Process:
    name: str
    pid: int
    started: float  # psutil create_time, so a reused process id is never signalled
    log: str


@dataclass
class State:
    folder: str
    master_url: str
    master_webui: int
    thrift_host: str
    thrift_port: int
    driver_ui: int
    workers: int
    worker_cores: int
    worker_memory: str
    executor_memory: str
    worker_webuis: list[int] = field(default_factory=list)
    processes: list[Process] = field(default_factory=list)

    @property
    def status_page(self) -> str:
        return f"http://{HOST}:{self.master_webui}/"

    @property
    def status_json(self) -> str:
        return f"http://{HOST}:{self.master_webui}/json/"

    @property
    def application_api(self) -> str:
        return f"http://{HOST}:{self.driver_ui}/api/v1/applications"


def cluster_folder() -> Path:
    folder = Path(os.environ.get("STEDI_SPARK_CLUSTER_DIR", "target/spark-cluster"))
    return (folder if folder.is_absolute() else PROJECT_DIR / folder).resolve()


def state_path(folder: Path) -> Path:
    return folder / "state.json"


def read_state(folder: Path) -> State | None:
    path = state_path(folder)
    if not path.is_file():
        return None
    raw = json.loads(path.read_text())
    raw["processes"] = [Process(**process) for process in raw["processes"]]
    return State(**raw)


def write_state(state: State) -> None:
    path = state_path(Path(state.folder))
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(asdict(state), indent=2))
    temporary.replace(path)


def running(process: Process) -> psutil.Process | None:
    """The live process this entry started, or None (ended, or its id now names another)."""
    try:
        live = psutil.Process(process.pid)
        if abs(live.create_time() - process.started) > 1 or live.status() == psutil.STATUS_ZOMBIE:
            return None
        return live
    except psutil.Error:
        return None


def spark_home() -> Path:
    try:
        import pyspark
    except ImportError as missing:
        raise ClusterError(
            "pyspark is not installed: `make setup-spark` installs requirements-spark.txt"
        ) from missing
    return Path(pyspark.__file__).resolve().parent


def ephemeral_ports() -> range:
    """The ports the kernel hands to outgoing connections (Linux's default when unknown)."""
    try:
        low, high = map(int, Path(EPHEMERAL_RANGE_FILE).read_text().split())
    except (OSError, ValueError):
        low, high = 32768, 60999
    return range(low, high + 1)


def free_ports(count: int, besides: set[int | None] = frozenset()) -> list[int]:
    """Distinct ports free now, outside the ephemeral range and `besides`: a port from that
    range can be taken by any outgoing connection between this check and Spark binding it
    (a Thrift server once failed so, its UI port taken while the workers started)."""
    ephemeral = ephemeral_ports()
    candidates = [
        port for port in range(10_000, 65_536) if port not in ephemeral and port not in besides
    ]
    ports: list[int] = []
    for port in random.sample(candidates, len(candidates)):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind((HOST, port))
            except OSError:
                continue
        ports.append(port)
        if len(ports) == count:
            return ports
    raise ClusterError(f"Found no {count} free ports on {HOST} outside {ephemeral}.")


def port_answers(port: int, host: str = HOST) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


def master_status(state: State) -> dict[str, Any]:
    with urllib.request.urlopen(state.status_json, timeout=5) as response:
        return json.load(response)


def alive_workers(state: State) -> int:
    try:
        workers = master_status(state)["workers"]
    except (OSError, ValueError, KeyError):
        return 0
    return sum(1 for worker in workers if worker["state"] == "ALIVE")


def log_tail(path: str, lines: int = 5) -> str:
    try:
        text = Path(path).read_text(errors="replace").strip().splitlines()
    except OSError:
        return ""
    interesting = [line for line in text if "ERROR" in line or "Exception" in line]
    return " | ".join((interesting or text)[-lines:])


def setting(name: str, default: str) -> str:
    return os.environ.get(name, "").strip() or default


def number_setting(
    name: str, default: str, kind: type[int] | type[float] = int, most: float | None = None
) -> Any:
    """A positive number from the environment, or one clear line saying what is wrong."""
    text = setting(name, default)
    try:
        value = kind(text)
    except ValueError:
        value = 0
    if value <= 0 or (most is not None and value > most):
        what = "a whole number" if kind is int else "a number"
        bounds = f" from 1 to {most:g}" if most is not None else " above 0"
        raise ClusterError(f"{name}={text!r}: it must be {what}{bounds}.")
    return value


class Launcher:
    def __init__(self, state: State, env: dict[str, str]) -> None:
        self.state = state
        self.env = env
        self.bin = spark_home() / "bin"

    def start(self, name: str, command: list[str], cwd: Path) -> Process:
        log = Path(self.state.folder) / "logs" / f"{name}.log"
        with log.open("ab") as output:
            popen = subprocess.Popen(
                command,
                cwd=cwd,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # not stopped by the terminal's Ctrl-C of `make`
            )
        process = Process(name, popen.pid, psutil.Process(popen.pid).create_time(), str(log))
        self.state.processes.append(process)
        write_state(self.state)
        return process

    def master(self) -> None:
        self.start(
            "master",
            [
                str(self.bin / "spark-class"),
                MASTER_CLASS,
                "--host",
                HOST,
                "--port",
                self.state.master_url.rsplit(":", 1)[1],
                "--webui-port",
                str(self.state.master_webui),
            ],
            Path(self.state.folder),
        )

    def worker(self, number: int) -> None:
        work_dir = Path(self.state.folder) / f"worker-{number}"
        work_dir.mkdir(exist_ok=True)
        self.start(
            f"worker-{number}",
            [
                str(self.bin / "spark-class"),
                WORKER_CLASS,
                "--host",
                HOST,
                "--cores",
                str(self.state.worker_cores),
                "--memory",
                self.state.worker_memory,
                "--webui-port",
                str(self.state.worker_webuis[number - 1]),
                "--work-dir",
                str(work_dir),
                self.state.master_url,
            ],
            work_dir,
        )

    def thrift_server(self) -> None:
        folder = Path(self.state.folder)
        log_config = PROJECT_DIR / "spark" / "log4j2.properties"
        confs = {
            "spark.app.name": APP_NAME,
            "spark.driver.host": HOST,
            "spark.driver.bindAddress": HOST,
            "spark.driver.memory": setting("STEDI_SPARK_THRIFT_MEMORY", "1g"),
            "spark.executor.memory": self.state.executor_memory,
            "spark.ui.port": str(self.state.driver_ui),
            "spark.ui.showConsoleProgress": "false",
            "spark.port.maxRetries": "0",  # the UI port written to the state file, or fail
            "spark.sql.warehouse.dir": str(folder / "warehouse"),
            "spark.sql.shuffle.partitions": setting("STEDI_SPARK_SHUFFLE_PARTITIONS", "4"),
            "spark.hadoop.javax.jdo.option.ConnectionURL": (
                f"jdbc:derby:;databaseName={folder / 'metastore'};create=true"
            ),
            "spark.driver.extraJavaOptions": (
                f"-Dderby.stream.error.file={folder / 'logs' / 'derby.log'}"
                f" -Dlog4j2.configurationFile={log_config}"
            ),
            "spark.executor.extraJavaOptions": f"-Dlog4j2.configurationFile={log_config}",
        }
        command = [str(self.bin / "spark-submit"), "--master", self.state.master_url]
        for name, value in confs.items():
            command += ["--conf", f"{name}={value}"]
        command += [
            "--class",
            THRIFT_CLASS,
            "spark-internal",
            "--hiveconf",
            f"hive.server2.thrift.port={self.state.thrift_port}",
            "--hiveconf",
            f"hive.server2.thrift.bind.host={HOST}",
        ]
        # spark-submit sizes the Thrift server's JVM with SPARK_DAEMON_MEMORY, as a daemon
        self.env = dict(self.env, SPARK_DAEMON_MEMORY=confs["spark.driver.memory"])
        # the driver works in the cluster folder, not the project: dbt makes every path it
        # sends absolute (spark__location), and a path it did not would land here, visibly
        self.start("thrift-server", command, folder)


def wait_for(what: str, ready: Any, state: State, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        for process in state.processes:
            if running(process) is None:
                raise ClusterError(
                    f"{process.name} (pid {process.pid}) ended while waiting for {what}:"
                    f" {log_tail(process.log)} (log: {process.log})"
                )
        if time.monotonic() > deadline:
            raise ClusterError(f"Timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.5)


def cluster_env(state: State) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        SPARK_HOME=str(spark_home()),
        SPARK_LOCAL_IP=HOST,
        SPARK_LOCAL_HOSTNAME="localhost",
        SPARK_DAEMON_MEMORY=setting("STEDI_SPARK_DAEMON_MEMORY", "256m"),
        SPARK_LOG_DIR=str(Path(state.folder) / "logs"),
        SPARK_PID_DIR=str(Path(state.folder)),
        SPARK_WORKER_DIR=str(Path(state.folder)),
        # the master's REST submission server would listen on the fixed port 6066
        SPARK_MASTER_OPTS="-Dspark.master.rest.enabled=false",
    )
    # the pseudonym key reaches the server per session (profiles.yml), never at start-up
    env.pop("STEDI_PSEUDONYM_KEY", None)
    return env


def describe(state: State) -> str:
    return (
        f"Spark cluster: master {state.master_url}, status page {state.status_page}"
        f" ({state.workers} workers, {state.worker_cores} core(s) and {state.worker_memory}"
        f" each); Thrift server {state.thrift_host}:{state.thrift_port}"
        f" (application UI http://{HOST}:{state.driver_ui}/); folder {state.folder}"
    )


def up() -> int:
    folder = cluster_folder()
    existing = read_state(folder)
    if existing is not None:
        live = [process for process in existing.processes if running(process)]
        if live:
            dead_workers = [
                process
                for process in existing.processes
                if process.name.startswith("worker-") and not running(process)
            ]
            names = {process.name for process in live}
            if dead_workers and {"master", "thrift-server"} <= names:
                return restart_workers(existing, dead_workers)
            print(
                f"A Spark cluster started here is already running"
                f" (pids {', '.join(str(p.pid) for p in live)}). {describe(existing)}."
                " `make spark-cluster-down` stops it."
            )
            return 0
        state_path(folder).unlink()  # every process of it has ended: a stale state file

    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        raise ClusterError("Java is not installed: Spark needs Java 17 (`java` on PATH).")
    if not spark_jars.installed():
        raise ClusterError(
            f"pyspark's jars lack {spark_jars.JAR}, without which the Thrift server fails"
            " to close some sessions: `make setup-spark` adds it (stedi/spark_jars.py)."
        )
    workers = number_setting("STEDI_SPARK_WORKERS", "2")
    worker_cores = number_setting("STEDI_SPARK_WORKER_CORES", "1")
    timeout = number_setting("STEDI_SPARK_STARTUP_TIMEOUT", "180", float)
    requested_port = (
        number_setting("STEDI_SPARK_PORT", "", most=65_535)
        if setting("STEDI_SPARK_PORT", "")
        else None
    )
    master_port, master_webui, driver_ui, free_thrift_port, *worker_webuis = free_ports(
        4 + workers, besides={requested_port}
    )
    thrift_port = requested_port or free_thrift_port
    if requested_port and port_answers(thrift_port):
        raise ClusterError(
            f"STEDI_SPARK_PORT={thrift_port}: something already listens on {HOST}:{thrift_port}."
        )
    worker_memory = setting("STEDI_SPARK_WORKER_MEMORY", "1g")
    for sub in ("logs", "warehouse"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    state = State(
        folder=str(folder),
        master_url=f"spark://{HOST}:{master_port}",
        master_webui=master_webui,
        thrift_host=HOST,
        thrift_port=thrift_port,
        driver_ui=driver_ui,
        workers=workers,
        worker_cores=worker_cores,
        worker_memory=worker_memory,
        executor_memory=setting("STEDI_SPARK_EXECUTOR_MEMORY", worker_memory),
        worker_webuis=worker_webuis,
    )
    write_state(state)
    launcher = Launcher(state, cluster_env(state))
    try:
        launcher.master()
        for number in range(1, workers + 1):
            launcher.worker(number)
        wait_for(
            f"{workers} alive workers at {state.status_json}",
            lambda: alive_workers(state) >= workers,
            state,
            timeout,
        )
        launcher.thrift_server()
        wait_for(
            f"the Thrift server on {HOST}:{thrift_port}",
            lambda: port_answers(thrift_port),
            state,
            timeout,
        )
    except (ClusterError, KeyboardInterrupt):
        stop(state)
        raise
    print(describe(state))
    print(
        f"Build on it: make run TARGET=spark_cluster (or STEDI_TARGET=spark_cluster"
        f" STEDI_SPARK_HOST={HOST} STEDI_SPARK_PORT={thrift_port} .venv/bin/dbt build)."
        " Stop it: make spark-cluster-down"
    )
    return 0


def restart_workers(state: State, dead: list[Process]) -> int:
    """`up` on a cluster that lost workers (killed or crashed) starts them again."""
    launcher = Launcher(state, cluster_env(state))
    for process in dead:
        state.processes.remove(process)
        launcher.worker(int(process.name.split("-")[1]))
    wait_for(
        f"{state.workers} alive workers at {state.status_json}",
        lambda: alive_workers(state) >= state.workers,
        state,
        number_setting("STEDI_SPARK_STARTUP_TIMEOUT", "180", float),
    )
    print(f"Restarted {', '.join(p.name for p in dead)}. {describe(state)}.")
    return 0


def stop(state: State) -> list[str]:
    """Stop the cluster's processes, the Thrift server first, then workers, then the master;
    each with SIGTERM, then SIGKILL after 30 s. Executors the workers started go with them."""
    stopped = []
    for process in reversed(state.processes):
        live = running(process)
        if live is None:
            continue
        try:
            children = live.children(recursive=True)
            live.send_signal(signal.SIGTERM)
            try:
                live.wait(30)
            except psutil.TimeoutExpired:
                live.kill()
                live.wait(10)
            _, leftover = psutil.wait_procs(children, timeout=10)
            for child in leftover:
                child.kill()
        except psutil.NoSuchProcess:
            pass
        stopped.append(f"{process.name} (pid {process.pid})")
    state_path(Path(state.folder)).unlink(missing_ok=True)
    return stopped


def down() -> int:
    folder = cluster_folder()
    state = read_state(folder)
    if state is None:
        print(f"No Spark cluster started here is running (no {state_path(folder)}).")
        return 0
    stopped = stop(state)
    print("Stopped " + (", ".join(stopped) if stopped else "nothing: its processes had ended"))
    return 0


def status() -> int:
    state = read_state(cluster_folder())
    if state is None:
        print("No Spark cluster started here is running.")
        return 1
    for process in state.processes:
        print(f"{process.name}: pid {process.pid}, {'running' if running(process) else 'ended'}")
    print(f"{alive_workers(state)} of {state.workers} workers alive. {describe(state)}")
    return 0


def running_thrift_port() -> int | None:
    """The Thrift port of the cluster started here, when it is running."""
    state = read_state(cluster_folder())
    if state is not None and any(running(process) for process in state.processes):
        return state.thrift_port
    return None


def port() -> int:
    """The running cluster's Thrift port (for the Makefile), or nothing."""
    thrift_port = running_thrift_port()
    if thrift_port is not None:
        print(thrift_port)
    return 0


def check() -> int:
    """One line, before a build, when no Thrift server answers where the profile points."""
    host = os.environ.get("STEDI_SPARK_HOST", "").strip() or HOST
    port = os.environ.get("STEDI_SPARK_PORT", "").strip() or "10000"
    if not port.isdigit() or not port_answers(int(port), host):
        raise ClusterError(
            f"No Spark Thrift server answers on {host}:{port} (STEDI_SPARK_HOST,"
            " STEDI_SPARK_PORT): start one with `make spark-cluster-up`."
        )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m stedi.spark_cluster", description=__doc__.split("\n")[0]
    )
    parser.add_argument("command", choices=["up", "down", "status", "port", "check"])
    arguments = parser.parse_args(argv)
    commands = {"up": up, "down": down, "status": status, "port": port, "check": check}
    try:
        return commands[arguments.command]()
    except ClusterError as error:
        print(f"spark-cluster {arguments.command}: {error}", file=sys.stderr)
        return 1
    except urllib.error.URLError as error:
        print(f"spark-cluster {arguments.command}: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
