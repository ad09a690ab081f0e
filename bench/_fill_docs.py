"""Copy bench/results/latest.md, e2e.md and soak.md into docs/performance.md (between markers)."""

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
    titles = {"micro": "Microbenchmark", "e2e": "End to end", "soak": "Soak"}
    for name, source in (("micro", "latest.md"), ("e2e", "e2e.md"), ("soak", "soak.md")):
        title = titles[name]
        path = ROOT / "bench" / "results" / source
        if not path.exists():
            continue
        body = _body(path)
        if name == "soak":  # the chart sits next to soak.md; the page links it from docs/
            body = body.replace("](soak.png)", "](../bench/results/soak.png)")
        block = f"<!-- {name} -->\n### {title}\n\n{body}\n<!-- /{name} -->"
        pattern = re.compile(rf"<!-- {name} -->.*?(<!-- /{name} -->|(?=\n\n<!--|\n\n## ))", re.S)
        text = pattern.sub(lambda _m, b=block: b, text, count=1)
    doc.write_text(text)


if __name__ == "__main__":
    main()
