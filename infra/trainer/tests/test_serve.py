"""Serve mode over real HTTP: OpenAI-shaped answers, usage, seeds, batching, shutdown."""
from __future__ import annotations

import json
import signal
import threading
import urllib.error
import urllib.request

import pytest

from conftest import of_type, start_trainer

PROMPT = "You are a solver.\nRules: answer with the direction of the colour.\nColour: green\nDecide the next action:"


def tokenizer(path: str):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(path)


def start_server(cfg: dict, tmp) -> tuple:
    p = start_trainer("serve", cfg, tmp)
    seen = []
    assert p.stdout is not None
    for line in p.stdout:
        seen.append(json.loads(line))
        if seen[-1]["type"] == "error" or seen[-1].get("state") == "serving":
            break
    assert seen[-1].get("state") == "serving", seen
    return p, seen[-1]["message"], seen


def post(url: str, body: dict) -> tuple[int, dict]:
    req = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


@pytest.fixture(scope="module")
def server(tmp_path_factory, sft_run):
    _, events, _ = sft_run
    ckpt = of_type(events, "checkpoint")[-1]["path"]
    tmp = tmp_path_factory.mktemp("serve")
    # A long batching window so concurrent test requests reliably meet in one batch.
    p, url, seen = start_server({"checkpoint": ckpt, "port": 0, "batch_wait_ms": 300, "max_batch_size": 8}, tmp)
    state = {"proc": p, "url": url, "ckpt": ckpt, "events": seen}
    yield state
    if p.poll() is None:
        p.kill()
        p.wait()


def test_health_and_models(server):
    with urllib.request.urlopen(server["url"] + "/health", timeout=10) as r:
        assert r.status == 200
    with urllib.request.urlopen(server["url"] + "/v1/models", timeout=10) as r:
        models = json.loads(r.read())
    assert models["object"] == "list"
    assert models["data"][0]["id"] == "out/checkpoint-40"  # <run dir>/<checkpoint dir>


def test_completion_usage_and_greedy_answer(server):
    tok = tokenizer(server["ckpt"])
    status, body = post(server["url"] + "/v1/completions", {"model": "out/checkpoint-40", "prompt": PROMPT, "max_tokens": 8, "temperature": 0})
    assert status == 200, body
    assert body["object"] == "text_completion" and body["model"] == "out/checkpoint-40"
    choice = body["choices"][0]
    assert choice["text"] == " <answer> Down </answer>\n" and choice["finish_reason"] == "stop"
    usage = body["usage"]
    assert usage["prompt_tokens"] == len(tok(PROMPT)["input_ids"])
    assert usage["completion_tokens"] == len(tok(choice["text"], add_special_tokens=False)["input_ids"]) + 1  # + EOS
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]


def test_chat_uses_the_tokenizer_template_and_stop_strings(server):
    tok = tokenizer(server["ckpt"])
    messages = [{"role": "user", "content": "Colour: red"}]
    status, body = post(server["url"] + "/v1/chat/completions", {"messages": messages, "max_tokens": 6, "temperature": 1.0, "seed": 1})
    assert status == 200 and body["object"] == "chat.completion"
    assert body["choices"][0]["message"]["role"] == "assistant"
    rendered = tok.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
    assert rendered.endswith("<|im_start|>assistant\n")
    assert body["usage"]["prompt_tokens"] == len(tok(rendered)["input_ids"])
    assert body["usage"]["completion_tokens"] <= 6
    _, stopped = post(server["url"] + "/v1/completions", {"prompt": PROMPT, "max_tokens": 8, "temperature": 0, "stop": ["Down"]})
    assert stopped["choices"][0]["text"] == " <answer> " and stopped["choices"][0]["finish_reason"] == "stop"


def test_seed_reproduces_and_seeds_differ(server):
    req = {"prompt": "Colour: nothing at all", "max_tokens": 12, "temperature": 2.0, "top_p": 0.95}
    texts = [post(server["url"] + "/v1/completions", {**req, "seed": s})[1]["choices"][0]["text"] for s in (11, 11, 12, 13, 14)]
    assert texts[0] == texts[1]
    assert len(set(texts[1:])) > 1


def test_n_choices_are_seeded_and_counted_in_usage(server):
    req = {"prompt": "Colour: nothing at all", "max_tokens": 8, "temperature": 2.0, "n": 3, "seed": 7}
    _, a = post(server["url"] + "/v1/completions", req)
    _, b = post(server["url"] + "/v1/completions", req)
    assert [c["index"] for c in a["choices"]] == [0, 1, 2]
    assert [c["text"] for c in a["choices"]] == [c["text"] for c in b["choices"]]
    assert len({c["text"] for c in a["choices"]}) > 1
    tok = tokenizer(server["ckpt"])
    assert a["usage"]["completion_tokens"] >= sum(len(tok(c["text"], add_special_tokens=False)["input_ids"]) for c in a["choices"])


def test_omitted_sampling_fields_come_from_generation_config(server):
    """The checkpoint says do_sample with temperature 0.5: two unseeded requests at a high-entropy
    prompt may differ; temperature 0 sent explicitly is greedy and stable."""
    greedy = [post(server["url"] + "/v1/completions", {"prompt": PROMPT, "max_tokens": 8, "temperature": 0})[1]["choices"][0]["text"] for _ in range(2)]
    assert greedy[0] == greedy[1] == " <answer> Down </answer>\n"
    _, body = post(server["url"] + "/v1/completions", {"prompt": PROMPT})  # no max_tokens: default_max_tokens
    assert body["choices"][0]["finish_reason"] == "stop"


def test_invalid_requests_get_openai_errors(server):
    u = server["url"]
    assert post(u + "/v1/completions", {"prompt": PROMPT, "n": 0})[0] == 400
    assert post(u + "/v1/completions", {"prompt": PROMPT, "stream": True})[0] == 400
    code, body = post(u + "/v1/completions", {"prompt": PROMPT, "model": "nope"})
    assert code == 404 and body["error"]["code"] == "model_not_found"
    code, body = post(u + "/v1/completions", {"prompt": PROMPT, "max_tokens": 10_000})
    assert code == 400 and body["error"]["param"] == "max_tokens" and "context length" in body["error"]["message"]
    assert post(u + "/v1/chat/completions", {"messages": "hi"})[0] == 400


def test_concurrent_requests_are_batched_then_sigterm_stops(server):
    results: list[dict] = []
    def one(i: int) -> None:
        results.append(post(server["url"] + "/v1/completions", {"prompt": PROMPT, "max_tokens": 8, "temperature": 0, "seed": i})[1])
    threads = [threading.Thread(target=one, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # Batched greedy answers equal the unbatched one.
    assert [r["choices"][0]["text"] for r in results] == [" <answer> Down </answer>\n"] * 6
    p = server["proc"]
    p.send_signal(signal.SIGTERM)
    out, _ = p.communicate(timeout=30)
    events = [json.loads(line) for line in out.splitlines()]
    assert p.returncode == 0
    assert [e.get("state") for e in events[-2:]] == ["stopping", None] and events[-1]["type"] == "done"
    assert events[-1]["result"]["max_batch"] > 1, events[-1]
    # The six asked the same prompt: it was prefilled once, in this batch or an earlier one, and
    # the five others reused it (their greedy answers, above, equal the first one's).
    result = events[-1]["result"]
    assert result["prompt_cache_hits"] >= 5 and result["prompt_cache_misses"] >= 1, result
    assert result["generate_s"] > 0, result


def test_a_server_whose_parent_died_stops_and_writes_nothing_more(monkeypatch):
    """A SIGKILLed worker's model server used to serve for ever (the eval SIGKILL drill)."""
    import io
    import time

    from trainyard_trainer import serve
    from trainyard_trainer.protocol import Emitter, StopFlag

    ppid = [4242]
    monkeypatch.setattr(serve.os, "getppid", lambda: ppid[0])
    out = io.StringIO()
    emit, stop = Emitter(out), StopFlag()
    serve.stop_when_orphaned(emit, stop, poll_s=0.01)
    emit.log("before")
    assert not stop.is_set
    ppid[0] = 1  # re-parented: the process that started the server is gone
    deadline = time.monotonic() + 5
    while not stop.is_set and time.monotonic() < deadline:
        time.sleep(0.01)
    assert stop.is_set and stop.signal_name == "parent exited"
    emit.log("after")  # the pipe's reader is gone: nothing is written, nothing raises
    assert "before" in out.getvalue() and "after" not in out.getvalue()
