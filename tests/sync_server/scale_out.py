"""Helpers of the scale-out tests (test_store_scale_out.py): a round-robin load balancer in
front of several store processes, laptops syncing at the same moment, and a fresh database
for a group of processes."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import httpx

from desktop_app.services.sync import SyncClient, SyncOptions, SyncResult
from sync_server.config import normalise_database_url
from sync_server.database import make_engine, upgrade
from tests.sync.laptops import Forwarding, VaultLaptop
from tools.throwaway_store import PostgresCluster, StoreProcess


class RoundRobin(Forwarding):
    """A load balancer in front of several store processes: each request goes to the next
    process in turn, whatever address the laptop holds. The client sends from several
    threads at once (batches in flight, the next page fetched while one is written)."""

    def __init__(self, *servers: StoreProcess) -> None:
        super().__init__()
        self.ports = [server.port for server in servers]
        self.lock = threading.Lock()
        self.sent: list[tuple[str, int]] = []  # (endpoint, port) in the order sent

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            port = self.ports[len(self.sent) % len(self.ports)]
            self.sent.append((request.url.path.rsplit("/", 1)[-1], port))
        request.url = request.url.copy_with(port=port)
        request.headers["Host"] = f"{request.url.host}:{port}"
        return self.forward(request)

    def reached(self, endpoint: str) -> set[int]:
        """The ports that received requests to ``endpoint`` (``push``, ``pull``)."""
        return {port for name, port in self.sent if name == endpoint}


def sync_together(runs: list[tuple[VaultLaptop, httpx.BaseTransport | None, SyncOptions]]
                  ) -> list[SyncResult]:
    """Several laptops syncing at the same moment. Each run's network work goes on a thread
    of its own; its vault work comes back to this thread (the vaults' connections belong to
    it), as the app's database thread serves its sync worker."""
    jobs: queue.Queue[tuple[Callable[[], Any], Future[Any]]] = queue.Queue()

    def on_this_thread(fn: Callable[[], Any]) -> Any:
        done: Future[Any] = Future()
        jobs.put((fn, done))
        return done.result()

    with ThreadPoolExecutor(len(runs), thread_name_prefix="laptop") as pool:
        futures = [pool.submit(SyncClient(options, db=on_this_thread).run, laptop.uow,
                               laptop.progress.append, lambda: False, transport=transport)
                   for laptop, transport, options in runs]
        while not all(f.done() for f in futures):
            try:
                fn, done = jobs.get(timeout=0.005)
            except queue.Empty:
                continue
            try:
                done.set_result(fn())
            except BaseException as exc:  # handed to the run that asked, which re-raises
                done.set_exception(exc)
    return [f.result() for f in futures]


def fresh_database(postgres: PostgresCluster) -> str:
    """A new database owned by the store's role, its schema made directly on PostgreSQL
    (``upgrade``, as docs/sync-server.md says to do before starting the processes): its URL.
    Nothing another test leaves behind (teams, wrong enrolment codes) is in it."""
    url = postgres.database_url(postgres.new_database("scp_scale"))
    engine = make_engine(normalise_database_url(url))
    try:
        upgrade(engine)
    finally:
        engine.dispose()
    return url


def start_together(servers: list[StoreProcess]) -> None:
    """Start the processes at the same moment (``serve`` checks the schema first, under the
    migration lock, one after the other); stop them all if one fails."""
    try:
        with ThreadPoolExecutor(len(servers)) as pool:
            list(pool.map(StoreProcess.start, servers))
    except BaseException:
        for server in servers:
            server.stop()
        raise


class LoseFirstPush(httpx.BaseTransport):
    """Forwards through ``inner``; the first push's reply is lost after the store committed."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner
        self.lost = False

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if request.url.path.endswith("/push") and not self.lost:
            self.lost = True
            raise httpx.ReadError("connection reset by peer", request=request)
        return response
