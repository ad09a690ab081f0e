"""MkDocs hooks: the README is the site's front page, CHANGELOG.md its changelog page.

docs/index.md and docs/changelog.md are placeholders; at build time their content becomes
README.md and CHANGELOG.md with links made right for the site: ``docs/x.md`` becomes ``x.md``,
and links to other files of the repository (examples, benchmark results), which the site does
not carry, become their path in code font.
Links in docs pages that leave docs/ (``../examples/x.py``) get the same treatment.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
LINK = re.compile(r"(?<!!)\[(?P<text>[^\]]+)\]\((?P<target>[^)\s]+)\)")
INCLUDED = {"index.md": "README.md", "changelog.md": "CHANGELOG.md"}
"""Site pages whose content is a file at the repository's root."""
IMAGE = re.compile(r"!\[(?P<alt>[^\]]*)\]\(docs/(?P<target>[^)\s]+)\)")


def site_links(markdown: str, *, from_root: bool) -> str:
    """Rewrite relative links of *markdown* (README when *from_root*, else a docs page)."""

    def fix(match: re.Match[str]) -> str:
        text, target = match["text"], match["target"]
        if re.match(r"^[a-z][a-z0-9+.-]*:|^#", target):
            return match[0]  # absolute URL or anchor
        if from_root and target.startswith("docs/"):
            return f"[{text}]({target[len('docs/') :]})"
        if from_root or target.startswith("../"):
            path = target if from_root else target[len("../") :]
            return text if text.strip("`") == path else f"{text} (`{path}`)"
        return match[0]

    if from_root:
        markdown = IMAGE.sub(lambda m: f"![{m['alt']}]({m['target']})", markdown)
    return LINK.sub(fix, markdown)


def on_page_markdown(markdown: str, page: Any, **_: Any) -> str:
    if page.file.src_uri in INCLUDED:
        text = (ROOT / INCLUDED[page.file.src_uri]).read_text(encoding="utf-8")
        return site_links(text, from_root=True)
    return site_links(markdown, from_root=False)
