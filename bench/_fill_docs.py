"""Copy bench/results/latest.md and e2e.md into docs/performance.md (between the markers)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _body(path: Path) -> str:
    """The report without its title, headings demoted by two levels."""
    lines = path.read_text().splitlines()[1:]
    return "\n".join(("##" + line) if line.startswith("#") else line for line in lines).strip()


def main() -> None:
    doc = ROOT / "docs" / "performance.md"
    text = doc.read_text()
    for name, source in (("micro", "latest.md"), ("e2e", "e2e.md")):
        title = "Microbenchmark" if name == "micro" else "End to end"
        body = _body(ROOT / "bench" / "results" / source)
        block = f"<!-- {name} -->\n### {title}\n\n{body}\n<!-- /{name} -->"
        pattern = re.compile(rf"<!-- {name} -->.*?(<!-- /{name} -->|(?=\n\n<!--|\n\n## ))", re.S)
        text = pattern.sub(lambda _m, b=block: b, text, count=1)
    doc.write_text(text)


if __name__ == "__main__":
    main()
