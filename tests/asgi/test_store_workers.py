"""Two real uvicorn worker processes follow one SQLite origin store: every worker allows an
origin added with the CLI, denies it after removal, and follows a pushed policy."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from tests.store_workers import cli, probe, until_every_worker, worker_pids, workers

TENANT = "https://shop.customer-one.example"


def test_every_worker_follows_the_store(tmp_path: Path) -> None:
    url = f"sqlite://{tmp_path}/origins.db"
    assert cli("origins", "add", "https://first.example", "--store", url).returncode == 0
    with workers(url, count=2) as base:
        pids = worker_pids(base, 2)
        assert all(not probe(base, TENANT)[1] for _ in range(4))

        added = cli("origins", "add", TENANT, "--tenant", "customer-one", "--store", url)
        assert (added.returncode, added.stderr) == (0, "")
        until_every_worker(base, TENANT, True, pids)
        # /admin/* does not take stored origins, in any worker.
        for _ in range(6):
            assert probe(base, TENANT, "/admin/users")[1] is False

        listed = cli("origins", "list", "--json", "--store", url)
        assert [e["origin"] for e in json.loads(listed.stdout)] == ["https://first.example", TENANT]

        removed = cli("origins", "remove", TENANT, "--store", url)
        assert removed.returncode == 0
        until_every_worker(base, TENANT, False, pids)

        # Expiry needs no write: every worker stops allowing it on its own.
        preview = "https://pr-42.preview.example"
        assert cli("origins", "add", preview, "--ttl", "8", "--store", url).returncode == 0
        until_every_worker(base, preview, True, pids)
        until_every_worker(base, preview, False, pids)

        policy = tmp_path / "policy.json"
        policy.write_text(
            json.dumps({"routes": [["/admin/*", {"allow_origins": ["https://ops.example"]}],
                                   ["/api/*", None]]})
        )  # fmt: skip
        pushed = cli("policy", "push", str(policy), "--store", url)
        assert pushed.returncode == 0, pushed.stderr
        until_every_worker(base, "https://ops.example", True, pids, path="/admin/users")
        until_every_worker(base, "https://first.example", False, pids)

        bad = tmp_path / "bad.json"
        bad.write_text('{"allow_origins": ["https://a.example/"], "max_age": 99999}')
        refused = cli("policy", "push", str(bad), "--store", url)
        assert refused.returncode == 1
        assert refused.stderr.count("  - ") == 2
        health = httpx.get(f"{base}/health", timeout=5).json()
        assert health["outage"] is None
