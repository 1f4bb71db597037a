"""HTTPS with a throwaway CA (trustme), on the SQLite trial store, set up by the admin CLI."""

from __future__ import annotations

import ssl
from pathlib import Path

import httpx
import pytest
import trustme

from sync_server import cli
from tests.sync_server.store import change
from tools.throwaway_store import Laptop, StoreProcess, enrol_with_code


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    assert cli.main(list(args)) == 0
    return capsys.readouterr().out.strip()


@pytest.fixture
def tls_files(tmp_path: Path) -> tuple[Path, Path, Path]:
    """(CA bundle, server certificate chain, server key) for 127.0.0.1 and localhost."""
    ca = trustme.CA()
    issued = ca.issue_cert("127.0.0.1", "localhost")
    bundle, chain, key = tmp_path / "ca.pem", tmp_path / "server.pem", tmp_path / "server.key"
    ca.cert_pem.write_to_path(str(bundle))
    for blob in issued.cert_chain_pems:
        blob.write_to_path(str(chain), append=True)
    issued.private_key_pem.write_to_path(str(key))
    return bundle, chain, key


def test_https_is_verified_against_the_configured_ca_on_the_sqlite_trial(
        tmp_path: Path, tls_files: tuple[Path, Path, Path],
        capsys: pytest.CaptureFixture[str]) -> None:
    bundle, chain, key = tls_files
    url = f"sqlite:///{tmp_path / 'trial.sqlite3'}"
    _run(capsys, "--database-url", url, "upgrade")
    _run(capsys, "--database-url", url, "create-team", "Trial INT")
    _run(capsys, "--database-url", url, "create-user", "--team", "Trial INT", "--role",
         "nurse", "Trial Nurse")
    code = _run(capsys, "--database-url", url, "issue-enrolment-code", "--user", "Trial Nurse")

    trusted = ssl.create_default_context(cafile=str(bundle))
    server = StoreProcess(url, tmp_path / "trial.log", tls=(chain, key)).start(verify=trusted)
    try:
        health = httpx.get(f"{server.base_url}/api/v1/health", verify=trusted)
        assert health.status_code == 200 and health.headers["X-Shared-Care-Store"] == "1"
        # Without the CA bundle the certificate is not trusted: no answer counts.
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            httpx.get(f"{server.base_url}/api/v1/health")
        stranger = ssl.create_default_context(cafile=str(_other_ca(tmp_path)))
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            httpx.get(f"{server.base_url}/api/v1/health", verify=stranger)

        # The trial store syncs like the real one (no minimum client version is set).
        laptop: Laptop = enrol_with_code(server, code, verify=trusted)
        del laptop.http.headers["X-Client-Version"]
        person = change()
        assert laptop.push([person, person])[1]["status"] == "duplicate"
        assert [c["id"] for c in laptop.pull_all()[0]] == [person["id"]]
        laptop.close()
    finally:
        server.stop()
    listed = _run(capsys, "--database-url", url, "list-devices")
    assert "Trial INT" in listed and "active" in listed


def _other_ca(folder: Path) -> Path:
    path = folder / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(path))
    return path
