"""The Python emitter against the committed TypeScript mirror (trainer-protocol.ts)."""
from __future__ import annotations

import io
import json
import re

import pytest

from conftest import REPO_ROOT
from trainyard_trainer.protocol import ERROR_CODES, FAILURE_KINDS, LEVELS, STATES, Emitter, TrainerError

TS = (REPO_ROOT / "packages" / "contracts" / "src" / "trainer-protocol.ts").read_text(encoding="utf-8")


def ts_objects() -> dict[str, dict[str, str]]:
    """{event type: {field: zod expression}} parsed from the `z.object({...})` blocks."""
    out = {}
    for m in re.finditer(r"export const Trainer\w+Event = z\.object\(\{(.*?)\n\}\);", TS, re.S):
        body = re.sub(r"/\*\*.*?\*/", "", m.group(1), flags=re.S)
        fields = dict(re.findall(r"^\s+(\w+): (.+?),?$", body, re.M))
        out[re.search(r'z\.literal\("(\w+)"\)', fields["type"]).group(1)] = fields
    return out


def ts_enum(expr: str) -> list[str]:
    return re.findall(r'"(\w+)"', re.search(r"z\.enum\(\[(.*?)\]\)", expr).group(1))


def one_of_each() -> list[dict]:
    buf = io.StringIO()
    e = Emitter(buf)
    e.status("training", "3 steps")
    e.log("hello", "warn")
    e.metrics(1, 3, {"loss": 1.5, "nan": float("nan"), "n": 4})
    e.checkpoint(1, "/tmp/x/checkpoint-1", "a" * 64)
    e.done(3, {"final_loss": 0.5})
    e.error("TY_ERR_TRAINER_CONFIG", "bad", "user_error")
    return [json.loads(line) for line in buf.getvalue().splitlines()]


def test_ts_mirror_has_the_six_event_types():
    assert sorted(ts_objects()) == ["checkpoint", "done", "error", "log", "metrics", "status"]


def test_field_names_match_the_ts_schema():
    ts = ts_objects()
    for ev in one_of_each():
        fields = ts[ev["type"]]
        optional = {k for k, v in fields.items() if ".optional()" in v or ".default(" in v}
        assert set(ev) <= set(fields), (ev["type"], set(ev) - set(fields))
        assert set(fields) - optional <= set(ev), (ev["type"], set(fields) - optional - set(ev))


def test_enums_match_the_ts_schema():
    ts = ts_objects()
    assert ts_enum(ts["status"]["state"]) == list(STATES)
    assert ts_enum(ts["log"]["level"]) == list(LEVELS)
    assert ts_enum(ts["error"]["failure_kind"]) == list(FAILURE_KINDS)


def test_codes_match_the_ts_pattern_and_the_protocol_doc():
    pattern = re.search(r'code: z\.string\(\)\.regex\(/(.*?)/\)', TS).group(1)
    doc = (REPO_ROOT / "infra" / "trainer" / "PROTOCOL.md").read_text(encoding="utf-8")
    for code, kind in ERROR_CODES.items():
        assert re.fullmatch(pattern, code)
        assert kind in FAILURE_KINDS
        assert re.search(rf"{code}\s+{kind}", doc), f"{code} missing from PROTOCOL.md's header"


def test_metrics_drop_non_finite_values_and_lines_are_json():
    metrics = [e for e in one_of_each() if e["type"] == "metrics"][0]
    assert metrics["values"] == {"loss": 1.5, "n": 4.0}


def test_trainer_error_rejects_unknown_codes():
    assert TrainerError("TY_ERR_TRAINER_IO", "x").failure_kind == "infra_error"
    with pytest.raises(ValueError):
        TrainerError("TY_ERR_NOPE", "x")
