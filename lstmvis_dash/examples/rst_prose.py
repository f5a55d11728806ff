"""English prose paragraphs from reStructuredText sources (the Python documentation's `_sources`).

Keeps the running text of a document and leaves out what is not prose: code and literal blocks
(after ``::`` and under code directives), interactive sessions, tables, headings, directive lines,
comments, option and field lists. Inline markup is reduced to its text (``:func:`~os.path.join```
-> ``join``, ````x```` -> ``x``, ```text <url>`_`` -> ``text``).
"""
from __future__ import annotations

import re

# directives whose body is not prose
_SKIP_DIRECTIVES = {
    "code-block", "code", "sourcecode", "testcode", "testoutput", "testsetup", "testcleanup",
    "doctest", "productionlist", "index", "toctree", "csv-table", "list-table", "table",
    "literalinclude", "highlight", "raw", "image", "figure", "moduleauthor", "sectionauthor",
    "only", "include", "tabularcolumns", "c:function", "c:macro", "c:member", "c:type", "c:var",
    "opcode", "cmdoption", "option", "envvar", "audit-event", "audit-event-table", "availability",
    "pdbcommand", "2to3fixer", "program", "math", "parsed-literal", "graphviz", "digraph",
}
_ROLE = re.compile(r":[a-zA-Z:+-]+:`!?~?([^`<]*?)\s*(?:<[^`>]*>)?`")
_LITERAL = re.compile(r"``([^`]+)``")
_LINK = re.compile(r"`([^`<]+?)\s*(?:<[^`>]*>)?`__?")
_EMPH = re.compile(r"(\*\*|\*)(\S(?:.*?\S)?)\1")
_SUBST = re.compile(r"\|([^|\s][^|]*)\|")
_HEADING = re.compile(r"^([=\-~^\"'`#*+:.<>_])\1{2,}\s*$")
_BULLET = re.compile(r"^(?:[-*+•]|\d+\.|#\.|\(\w\)|\w\))\s+")
_WORD = re.compile(r"[A-Za-z][a-z]*(?:'[a-z]+)?[.,;:!?]?$")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _inline(text: str) -> str:
    text = _ROLE.sub(lambda m: m.group(1).split(".")[-1] if "~" in m.group(0) else m.group(1), text)
    text = _LITERAL.sub(r"\1", text)
    text = _LINK.sub(r"\1", text)
    text = _EMPH.sub(r"\2", text)
    text = _SUBST.sub(r"\1", text)
    text = text.replace("\\ ", "").replace("\\", "")
    return re.sub(r"\s+", " ", text).strip()


def _is_prose(text: str, min_words: int) -> bool:
    words = text.split()
    if len(words) < min_words:
        return False
    return sum(bool(_WORD.match(w)) for w in words) >= 0.75 * len(words)


def paragraphs(source: str, min_words: int = 8) -> list[str]:
    """The prose paragraphs of one reST document, inline markup reduced to text (see module doc)."""
    blocks, current = [], []
    for line in source.splitlines():
        if line.strip():
            current.append(line.rstrip())
        elif current:
            blocks.append(current)
            current = []
    if current:
        blocks.append(current)
    out = []
    skip_deeper_than = None         # indent of the block that opened a literal/skipped body
    for block in blocks:
        ind = _indent(block[0])
        if skip_deeper_than is not None:
            if ind > skip_deeper_than:
                continue
            skip_deeper_than = None
        first = block[0].strip()
        if first.startswith(".. "):
            m = re.match(r"\.\.\s+([\w:+-]+)::", first)
            if m is None or m.group(1) in _SKIP_DIRECTIVES:
                skip_deeper_than = ind          # a comment or a non-prose directive: its body too
                continue
            block = [ln for ln in block[1:] if not ln.strip().startswith(":")]   # its options
            if not block:
                continue
            first = block[0].strip()
        if block[-1].endswith("::"):
            skip_deeper_than = ind
        if first.startswith((">>>", "+-", "|", "=====", "$ ", "% ")) or any(_HEADING.match(ln.strip()) for ln in block):
            continue
        if first.startswith(":") or first.startswith("-") and not _BULLET.match(first):
            continue
        text = _inline(" ".join(_BULLET.sub("", ln.strip()) if k == 0 else ln.strip()
                                for k, ln in enumerate(block)))
        if text.endswith("::"):
            text = text[:-2].rstrip() + ":"
        if _is_prose(text, min_words):
            out.append(text)
    return out
