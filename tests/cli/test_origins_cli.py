"""``crossorigin origins …`` and ``crossorigin policy …``: exit codes, messages, --json, JSON lines."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from crossorigin._cli.dispatch import main as crossorigin_main
from crossorigin._cli.origins import origins_main, policy_main


def run(main: object, *args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(args), out, err)  # type: ignore[operator]
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite://{tmp_path}/origins.db"


def test_add_list_remove(url: str) -> None:
    assert run(origins_main, "add", "https://a.example", "https://*.b.example", "--tenant", "acme",
               "--note", "shop", "--store", url)[:2] == (0, f"added 2 origins to {url}\n")  # fmt: skip
    code, out, _ = run(origins_main, "list", "--json", "--store", url)
    assert code == 0
    listed = json.loads(out)
    assert [(e["origin"], e["tenant"], e["note"], e["expires"]) for e in listed] == [
        ("https://*.b.example", "acme", "shop", None),
        ("https://a.example", "acme", "shop", None),
    ]
    assert set(listed[0]) == {"origin", "tenant", "note", "expires", "added"}
    code, out, _ = run(origins_main, "list", "--store", url)
    assert (
        out
        == "https://*.b.example  tenant=acme  note=shop\nhttps://a.example  tenant=acme  note=shop\n"
    )
    assert run(origins_main, "remove", "https://a.example", "--store", url)[:2] == (
        0,
        "removed 1 origin\n",
    )
    code, _, err = run(origins_main, "remove", "https://a.example", "--store", url)
    assert (code, err) == (1, f"Error: 'https://a.example' is not in the store {url}\n")
    assert run(origins_main, "remove", "--tenant", "acme", "--store", url)[:2] == (
        0,
        "removed 1 origin\n",
    )
    assert run(origins_main, "list", "--json", "--store", url)[1] == "[]\n"


def test_add_refuses_every_bad_origin_at_once_and_writes_nothing(url: str) -> None:
    code, out, err = run(origins_main, "add", "https://ok.example", "https://a.example/", "null",
                         "http://plain.example", "--store", url)  # fmt: skip
    assert (code, out) == (1, "")
    assert err == (
        "Error: 3 problems in the CORS configuration:\n"
        "  - entry 2: crossorigin: invalid origin 'https://a.example/': an origin has no path, query or trailing slash; did you mean 'https://a.example'?\n"
        "  - entry 3: crossorigin: prohibited origin 'null': the null origin is sent by sandboxed iframes, file: pages and redirects, so any site can forge it; remove it; allow_origins=['*'] is the only way to serve null origins\n"
        "  - entry 4: crossorigin: prohibited origin 'http://plain.example': with credentials, a plain-http origin lets network attackers read responses; use https, or set dangerously_allow_insecure_origins=True (crossorigin origins add --dangerously-allow-insecure-origins)\n"
    )
    assert run(origins_main, "add", "http://plain.example", "--dangerously-allow-insecure-origins",
               "--store", url)[0] == 0  # fmt: skip
    assert [
        e["origin"] for e in json.loads(run(origins_main, "list", "--json", "--store", url)[1])
    ] == ["http://plain.example"]


def test_ttl_and_expires(url: str) -> None:
    assert run(origins_main, "add", "https://a.example", "--ttl", "3600", "--store", url)[0] == 0
    assert (
        run(
            origins_main,
            "add",
            "https://b.example",
            "--expires",
            "2999-01-01T00:00:00Z",
            "--store",
            url,
        )[0]
        == 0
    )
    listed = json.loads(run(origins_main, "list", "--json", "--store", url)[1])
    assert listed[1]["expires"] == "2999-01-01T00:00:00Z"
    assert listed[0]["expires"] is not None
    code, _, err = run(
        origins_main,
        "add",
        "https://c.example",
        "--expires",
        "2000-01-01T00:00:00Z",
        "--store",
        url,
    )
    assert code == 1
    assert "is in the past; give a future time" in err


def test_export_then_import_round_trips(url: str, tmp_path: Path) -> None:
    run(origins_main, "add", "https://a.example", "--tenant", "t", "--store", url)
    run(
        origins_main,
        "add",
        "https://b.example",
        "--expires",
        "2999-01-01T00:00:00Z",
        "--store",
        url,
    )
    target = tmp_path / "export.jsonl"
    assert run(origins_main, "export", str(target), "--store", url)[0] == 0
    lines = target.read_text().splitlines()
    assert [json.loads(line)["origin"] for line in lines] == [
        "https://a.example",
        "https://b.example",
    ]
    other = f"sqlite://{tmp_path}/other.db"
    assert run(origins_main, "import", str(target), "--store", other)[:2] == (
        0,
        "imported 2 origins\n",
    )
    strip = [{k: v for k, v in json.loads(line).items() if k != "added"} for line in lines]
    _, exported, _ = run(origins_main, "export", "--store", other)
    assert [
        {k: v for k, v in json.loads(line).items() if k != "added"}
        for line in exported.splitlines()
    ] == strip


def test_import_is_all_or_nothing(url: str, tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text(
        '{"origin": "https://a.example"}\nnot json\n{"origin": "https://b.example/"}\n{"origin": "https://c.example", "color": 1}\n'
    )
    code, _, err = run(origins_main, "import", str(source), "--store", url)
    assert code == 1
    assert err.splitlines()[1:] == [
        "  - crossorigin: invalid import 'line 2': is not JSON: Expecting value: line 1 column 1 (char 0)",
        "  - crossorigin: invalid import 'line 4': has unknown keys ['color']",
    ]
    source.write_text('{"origin": "https://a.example"}\n{"origin": "https://b.example/"}\n')
    code, _, err = run(origins_main, "import", str(source), "--store", url)
    assert code == 1
    assert "entry 2: crossorigin: invalid origin 'https://b.example/'" in err
    assert run(origins_main, "list", "--json", "--store", url)[0] == 1  # nothing was created


def test_import_replace(url: str, tmp_path: Path) -> None:
    run(origins_main, "add", "https://old.example", "--store", url)
    source = tmp_path / "in.jsonl"
    source.write_text('{"origin": "https://new.example", "tenant": "t"}\n')
    assert run(origins_main, "import", str(source), "--replace", "--store", url)[0] == 0
    assert [
        e["origin"] for e in json.loads(run(origins_main, "list", "--json", "--store", url)[1])
    ] == ["https://new.example"]


def test_policy_push_show_withdraw(url: str, tmp_path: Path) -> None:
    doc = tmp_path / "policy.json"
    doc.write_text('{"allow_origins": ["https://app.example"], "allow_stored_origins": true}')
    code, out, _ = run(policy_main, "push", str(doc), "--store", url)
    assert (code, out) == (0, f"policy pushed to {url} (version 1)\n")
    assert json.loads(run(policy_main, "show", "--store", url)[1]) == {
        "allow_origins": ["https://app.example"], "allow_stored_origins": True
    }  # fmt: skip
    assert run(policy_main, "withdraw", "--store", url)[:2] == (
        0,
        f"policy withdrawn from {url} (version 2)\n",
    )
    assert (
        run(policy_main, "show", "--store", url)[1]
        == "no policy document (workers use their own policy)\n"
    )


def test_policy_push_lists_every_problem(url: str, tmp_path: Path) -> None:
    doc = tmp_path / "policy.json"
    doc.write_text(
        '{"allow_origins": ["*"], "allow_credentials": true, "max_age": "10", "colour": 1}'
    )
    code, _, err = run(policy_main, "push", str(doc), "--store", url)
    assert code == 1
    assert err.splitlines() == [
        "Error: 3 problems in the CORS configuration:",
        "  - policy: crossorigin: invalid colour 1: is not a CORSConfig field",
        "  - policy: crossorigin: incompatible allow_origins '*': '*' with allow_credentials=True would let every site read responses with the user's cookies; list the trusted origins explicitly, or set allow_credentials=False",
        "  - policy: crossorigin: invalid max_age '10': must be a whole number of seconds from 0 to 86400; use 0 to disable preflight caching, or None to let browsers use 5 s",
    ]


def test_unreadable_store_and_usage_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, _, err = run(origins_main, "list", "--store", f"sqlite://{tmp_path}/missing.db")
    assert (code, err) == (
        1,
        f"Error: origin store sqlite://{tmp_path}/missing.db is unreadable: unable to open database file\n",
    )
    monkeypatch.delenv("CROSSORIGIN_STORE", raising=False)
    with pytest.raises(SystemExit) as info:
        origins_main(["list"])
    assert info.value.code == 2
    assert "--store URL is required (or set CROSSORIGIN_STORE)" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        origins_main(["list", "--store", "mysql://x"])
    assert "unsupported origin store URL 'mysql://x'" in capsys.readouterr().err


def test_the_store_url_may_come_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CROSSORIGIN_STORE", f"sqlite://{tmp_path}/env.db")
    assert run(origins_main, "add", "https://a.example")[0] == 0
    assert (tmp_path / "env.db").exists()


def test_dispatcher_knows_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    assert crossorigin_main(["--help"]) == 0
    usage = capsys.readouterr().out
    assert "  origins add, remove, list, import or export an origin store's origins" in usage
    assert "  policy  push a whole policy document to an origin store" in usage
