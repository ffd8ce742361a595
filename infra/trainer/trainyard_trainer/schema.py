"""Dump every config dataclass as JSON: `python -m trainyard_trainer.schema`.

Output: {"SftConfig": [{"name", "type", "default", "help", ...}], "GrpoConfig": [...], ...}.
Types: "int" | "float" | "str" | "bool" | "list[str]" | "enum" (with "choices") |
"object" (with "fields", "nullable"). The contracts vitest checks this against the zod schemas.
"""
from __future__ import annotations

import dataclasses
import json
import sys
from typing import Any, Literal, Union, get_args, get_origin, get_type_hints

from .config import LoraConfig, CONFIGS


def describe(cls: type) -> list[dict[str, Any]]:
    hints = get_type_hints(cls)
    out = []
    for f in dataclasses.fields(cls):
        tp = hints[f.name]
        entry: dict[str, Any] = {"name": f.name, "help": f.metadata.get("help", "")}
        nullable = False
        if get_origin(tp) is Union:
            nullable = True
            tp = [a for a in get_args(tp) if a is not type(None)][0]
        if get_origin(tp) is Literal:
            entry.update(type="enum", choices=list(get_args(tp)))
        elif get_origin(tp) is list:
            entry["type"] = "list[str]"
        elif dataclasses.is_dataclass(tp):
            entry.update(type="object", fields=describe(tp))
        else:
            entry["type"] = tp.__name__
        entry["nullable"] = nullable
        if f.default is not dataclasses.MISSING:
            entry["default"] = f.default
        else:
            entry["default"] = f.default_factory()  # type: ignore[misc]
        out.append(entry)
    return out


def schema() -> dict[str, Any]:
    names = {"sft": "SftConfig", "grpo": "GrpoConfig", "serve": "ServeConfig"}
    out = {names[mode]: describe(cls) for mode, cls in CONFIGS.items()}
    out["LoraConfig"] = describe(LoraConfig)
    return out


if __name__ == "__main__":
    json.dump(schema(), sys.stdout, indent=1)
    sys.stdout.write("\n")
