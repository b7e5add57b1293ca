"""A real ZooKeeper server for tests, and a TCP relay that can cut a client off from it.

``ZooKeeperServer`` runs Debian's ZooKeeper (package ``zookeeper``: its jar in
/usr/share/java) standalone on a free loopback port with a data directory of its own, so
tests never share state with each other or with anything else on the machine.
``ensure_zookeeper_installed()`` installs the package with apt-get when it is missing and the
tests run as root (as on CI's fresh machines); otherwise it says what to install.

``Relay`` forwards one client's connections to the server; ``freeze()`` stops forwarding
without closing anything — a network partition as the client sees it (its session then
expires on the server, which the client only learns later).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path

from tests.support.polling import free_port

JAR = Path("/usr/share/java/zookeeper.jar")
CONF = Path("/etc/zookeeper/conf_example")  # holds the log4j configuration the jar expects


def ensure_zookeeper_installed() -> None:
    if JAR.exists() and shutil.which("java"):
        return
    if os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(
            ["apt-get", "install", "-y", "-q", "zookeeper"],
            check=False,
            capture_output=True,
            timeout=600,
            env=env,
        )
    if not JAR.exists():
        raise RuntimeError(
            "ZooKeeper is not installed: install the Debian package `zookeeper` "
            "(apt-get install zookeeper), which the coordination tests run"
        )


class ZooKeeperServer:
    """One standalone server; ``hosts`` is the connection string for kazoo."""

    def __init__(self, directory: Path, tick_ms: int = 250) -> None:
        self.directory = directory
        self.port = free_port()
        self.tick_ms = tick_ms
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def hosts(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> ZooKeeperServer:
        ensure_zookeeper_installed()
        data = self.directory / "data"
        data.mkdir(parents=True, exist_ok=True)
        config = self.directory / "zoo.cfg"
        # Session timeouts between 2 and 60 s are accepted whatever the tick.
        config.write_text(
            f"tickTime={self.tick_ms}\ndataDir={data}\nclientPort={self.port}\n"
            "clientPortAddress=127.0.0.1\nadmin.enableServer=false\n"
            "minSessionTimeout=1000\nmaxSessionTimeout=60000\n"
            "4lw.commands.whitelist=ruok\n"
        )
        log = open(self.directory / "zookeeper.log", "wb")  # noqa: SIM115 - the child owns it
        self.process = subprocess.Popen(
            [
                shutil.which("java") or "java",
                "-Xmx256m",
                f"-Dzookeeper.log.dir={self.directory}",
                "-cp",
                f"{JAR}:{CONF}",
                "org.apache.zookeeper.server.quorum.QuorumPeerMain",
                str(config),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"zookeeper exited; see {self.directory / 'zookeeper.log'}")
            if self._ruok():
                return self
            time.sleep(0.2)
        raise RuntimeError(f"zookeeper did not answer on {self.hosts} within {timeout:.0f}s")

    def _ruok(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                s.sendall(b"ruok")
                return s.recv(4) == b"imok"
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


class Relay:
    """Forwards 127.0.0.1:<port> to the server until frozen (a partition: nothing flows,
    nothing closes), or until stopped."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self.frozen = threading.Event()
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def hosts(self) -> str:
        return f"127.0.0.1:{self.port}"

    def freeze(self) -> None:
        self.frozen.set()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self.frozen.is_set():
                continue  # accepted and never answered, like a black hole
            try:
                server = socket.create_connection(("127.0.0.1", self.target_port))
            except OSError:
                client.close()
                continue
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                if self.frozen.is_set():
                    self.frozen.wait()  # hold the bytes forever: the link is cut
                    while not self._closed:
                        time.sleep(1)
                    return
                sink.sendall(data)
        except OSError:
            pass
        finally:
            if not self.frozen.is_set():
                for s in (source, sink):
                    with contextlib.suppress(OSError):
                        s.close()

    def stop(self) -> None:
        self._closed = True
        self.listener.close()
