"""Render the settings model as the Markdown table in the README (a test keeps the two in sync)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from kb.config import Settings

BEGIN = "<!-- config-table:begin -->"
END = "<!-- config-table:end -->"


def _submodel(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _submodel(arg)
        if found is not None:
            return found
    return None


def _default(field: FieldInfo) -> str:
    if field.is_required():
        return "(required)"
    value = field.get_default(call_default_factory=True)
    if isinstance(value, BaseModel):
        return ""
    text = repr(value) if not isinstance(value, str) else f'"{value}"'
    text = text.replace("PosixPath(", "").replace(")", "") if "PosixPath" in text else text
    return text if len(text) <= 60 else text[:57] + "..."


def rows(model: type[BaseModel] = Settings, prefix: str = "") -> list[tuple[str, str, str]]:
    out: list[tuple[str, str, str]] = []
    for name, field in model.model_fields.items():
        key = f"{prefix}{name}"
        sub = _submodel(field.annotation)
        is_list = get_origin(field.annotation) is list
        if sub is not None:
            nested_prefix = f"{key}[]." if is_list else f"{key}."
            if is_list or field.description:
                out.append((f"[[{key}]]" if is_list else f"[{key}]", "", field.description or ""))
            out.extend(rows(sub, nested_prefix))
            continue
        out.append((key, _default(field), (field.description or "").replace("|", "\\|")))
    return out


def table() -> str:
    lines = [BEGIN, "| key | default | meaning |", "| --- | --- | --- |"]
    for key, default, desc in rows():
        lines.append(f"| `{key}` | {('`' + default + '`') if default else ''} | {desc} |")
    lines.append(END)
    return "\n".join(lines)


def update(readme: Path) -> bool:
    """Rewrite the block between the markers in ``readme``; True when it changed."""
    text = readme.read_text(encoding="utf-8")
    start, end = text.index(BEGIN), text.index(END) + len(END)
    new = text[:start] + table() + text[end:]
    if new != text:
        readme.write_text(new, encoding="utf-8")
    return new != text


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("README.md")
    if target.is_file() and BEGIN in target.read_text(encoding="utf-8"):
        print(f"{target}: {'updated' if update(target) else 'up to date'}")
    else:
        print(table())
