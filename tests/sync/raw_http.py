"""Raw HTTP/1.1 for the store's hardening tests: a chunked upload on a plain socket that reads
while it sends, so a test can tell when the store answered and whether it stopped reading.
"""

from __future__ import annotations

import select
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tools.throwaway_store import CLIENT_VERSION, StoreProcess


@dataclass
class Exchange:
    """What happened to one chunked upload on a raw socket."""

    status: int | None
    headers: dict[str, str]
    body: bytes
    sent: int  # bytes handed to the socket after the headers (chunk framing included)
    sent_before_answer: int | None  # ... when the answer's headers had arrived
    cut_off: bool  # the server closed the connection while the client was still sending


def _chunks(prefix: bytes, total: int, size: int = 256 * 1024) -> Iterator[bytes]:
    """``total`` body bytes: ``prefix`` then spaces (JSON whitespace), as HTTP chunks."""
    yield b"%x\r\n%s\r\n" % (len(prefix), prefix)
    left = total - len(prefix)
    pad = b" " * size
    while left > 0:
        piece = pad[:min(size, left)]
        left -= len(piece)
        yield b"%x\r\n%s\r\n" % (len(piece), piece)
    yield b"0\r\n\r\n"


def upload(server: StoreProcess, path: str, prefix: bytes, total: int, *,
           token: str | None = None, after_answer: int = 0, deadline_s: float = 20.0
           ) -> Exchange:
    """POST a chunked body of ``total`` bytes, reading while sending; after the answer, go on
    sending up to ``after_answer`` more bytes (as a careless client would)."""
    head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"X-Client-Version: {CLIENT_VERSION}\r\nTransfer-Encoding: chunked\r\n"
            + (f"Authorization: Bearer {token}\r\n" if token else "") + "\r\n").encode()
    chunks = _chunks(prefix, total)
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    sock.sendall(head)
    sock.setblocking(False)
    answer, pending, sent, answered, cut_off = b"", b"", 0, None, False
    finished_sending = False
    stop = time.monotonic() + deadline_s
    try:
        while time.monotonic() < stop:
            writing = not finished_sending and (answered is None or sent - answered < after_answer)
            readable, writable, _ = select.select([sock], [sock] if writing else [], [], 5)
            if readable:
                try:
                    data = sock.recv(65536)
                except ConnectionResetError:
                    data = b""
                answer += data
                if answered is None and b"\r\n\r\n" in answer:
                    answered = sent
                if not data:
                    cut_off = writing
                    break
                if answered is not None and not writing and _complete(answer):
                    break
            if writable:
                if not pending:
                    pending = next(chunks, b"")
                    finished_sending = not pending
                try:
                    n = sock.send(pending)
                except (BrokenPipeError, ConnectionResetError):
                    # The answer (and the reset after it) may have arrived between select and
                    # send: what the kernel queued before the reset is still there to read.
                    cut_off = True
                    answer = _drain(sock, answer)
                    if answered is None and b"\r\n\r\n" in answer:
                        answered = sent
                    break
                pending, sent = pending[n:], sent + n
            if not writing and answered is not None and _complete(answer):
                break
    finally:
        sock.close()
    return _exchange(answer, sent, answered, cut_off)


def _drain(sock: socket.socket, answer: bytes) -> bytes:
    """Read what is left queued on a connection the server has closed."""
    sock.settimeout(1.0)
    while True:
        try:
            data = sock.recv(65536)
        except OSError:
            return answer
        if not data:
            return answer
        answer += data


def _complete(answer: bytes) -> bool:
    head, _, body = answer.partition(b"\r\n\r\n")
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return len(body) >= int(value)
    return False


def _exchange(answer: bytes, sent: int, answered: int | None, cut_off: bool) -> Exchange:
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1]) if lines[0].startswith("HTTP/") else None
    headers = {k.strip().lower(): v.strip() for k, _, v in (x.partition(":") for x in lines[1:])}
    return Exchange(status, headers, body, sent, answered, cut_off)


def rss_bytes(server: StoreProcess) -> int:
    assert server.proc is not None
    for line in Path(f"/proc/{server.proc.pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")
