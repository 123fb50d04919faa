"""Reads an env file the way docker compose's ``env_file`` does, for the rules the emulator's
blocks use: ``KEY=VALUE`` lines, ``#`` comments, values in single or double quotes."""

from __future__ import annotations

from pathlib import Path


def parse(text: str) -> dict[str, str]:
    values = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line[len("export "):].lstrip()
        key, sep, value = line.partition("=")
        key = key.strip()
        if not sep or not key.replace("_", "").isalnum():
            raise ValueError(f"line {number} is not KEY=VALUE: {raw!r}")
        values[key] = _value(value.strip())
    return values


def _value(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == "'":
        return value[1:-1]
    if len(value) >= 2 and value[0] == value[-1] == '"':
        inner = value[1:-1]
        return inner.replace('\\"', '"').replace("\\n", "\n").replace("\\\\", "\\")
    # unquoted: a " #" starts a comment
    comment = value.find(" #")
    return value[:comment].rstrip() if comment >= 0 else value


def load(path: str | Path) -> dict[str, str]:
    return parse(Path(path).read_text())
