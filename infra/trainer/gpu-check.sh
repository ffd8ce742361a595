#!/usr/bin/env bash
# GPU check of the trainer: tiny SFT, LoRA SFT, FSDP SFT over every GPU (2+; on CPU: 2 DDP gloo
# ranks) and GRPO on CUDA in bf16, then one checkpoint
# served and asked for a completion over HTTP, all through the CLI the worker runs
# (`python -m trainyard_trainer sft|grpo|serve --config FILE.json`). Prints PASS or FAIL per step
# with tokens/s (and steps/s for GRPO); exits 1 if any step fails. About 2-4 minutes on one GPU
# (budget: 8).
#
#   bash infra/trainer/gpu-check.sh [--device cuda|cpu] [--python PY] [--keep] [WHEEL_DIR]
#
# The machine needs a CUDA GPU and a Python with torch (a stock PyTorch machine usually has
# transformers, PEFT and accelerate too, but not TRL or datasets). Every package of the trainer
# that is missing there, or at another version than infra/trainer/requirements.lock pins, is
# installed without its dependencies into an overlay folder put first on PYTHONPATH (the
# machine's own site-packages are left alone): from WHEEL_DIR when given
# (`pip install --no-index --find-links WHEEL_DIR`), else, or when that fails, from the package
# index if the machine is online. Make WHEEL_DIR on a machine with pip access:
#   bash infra/trainer/gpu-wheels.sh WHEEL_DIR [--python-version 3.12]
# and carry it over.
#
# Data: a Sokoban-shaped JSONL written here. Rewards: the real `node apps/cli/bin/trainyard.js
# env batch` when node and the built CLI are here, else a small Python script speaking the same
# line protocol. Serving: backend auto (`vllm serve` where vLLM is installed, else the trainer's
# transformers server).
#
# Options:
#   --device cpu   the same check on CPU in float32 with a smaller model (tests this script on a
#                  machine without a GPU); default cuda (bfloat16). Env: GPU_CHECK_DEVICE.
#   --python PY    the interpreter (env: PYTHON); default python3, or this checkout's .venv with
#                  --device cpu when it exists.
#   --keep         keep the work folder (configs, data, checkpoints, logs) and print its path.
set -uo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
LOCK="$ROOT/infra/trainer/requirements.lock"
DEVICE="${GPU_CHECK_DEVICE:-cuda}"
PY="${PYTHON:-}"
KEEP=0
WHEELS=""
while [ $# -gt 0 ]; do
  case "$1" in
    --device) DEVICE="${2:-}"; shift 2 ;;
    --device=*) DEVICE="${1#*=}"; shift ;;
    --python) PY="${2:-}"; shift 2 ;;
    --python=*) PY="${1#*=}"; shift ;;
    --keep) KEEP=1; shift ;;
    -h|--help) sed -n '2,30p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "gpu-check: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) WHEELS="$1"; shift ;;
  esac
done
case "$DEVICE" in cuda|cpu) ;; *) echo "gpu-check: --device must be cuda or cpu" >&2; exit 2 ;; esac
if [ -z "$PY" ]; then
  if [ "$DEVICE" = cpu ] && [ -x "$ROOT/.venv/bin/python" ]; then PY="$ROOT/.venv/bin/python"; else PY=python3; fi
fi
if [ -n "$WHEELS" ] && [ ! -d "$WHEELS" ]; then
  echo "gpu-check: WHEEL_DIR $WHEELS is not a directory" >&2; exit 2
fi

started=$(date +%s)
WORK="$(mktemp -d "${TMPDIR:-/tmp}/trainyard-gpu-check.XXXXXX")"
if [ "$KEEP" = 1 ]; then echo "work folder: $WORK"; else trap 'rm -rf "$WORK"' EXIT; fi

fail() { printf 'FAIL %-9s %s\n' "$1" "$2"; echo "FAILED: $1 (nothing else ran) in $(( $(date +%s) - started )) s"; exit 1; }

# ---- dependencies ------------------------------------------------------------------------------
"$PY" -c 'import torch' 2>/dev/null || fail deps "$PY has no torch: run this with the Python that holds PyTorch (--python PY)"
pin() { grep -i -m1 "^$1==" "$LOCK"; }
# Exact pins (pure Python wheels), then packages any version of which will do (binary wheels).
PINNED=(trl datasets transformers peft accelerate dill multiprocess fsspec)
ANY=(pyarrow xxhash)
specs=()
for n in "${PINNED[@]}"; do specs+=("$(pin "$n")"); done
need=$("$PY" - "${specs[@]}" "${ANY[@]}" <<'EOF'
import importlib.metadata as md, sys
for spec in sys.argv[1:]:
    name, _, want = spec.partition("==")
    try:
        have = md.version(name)
    except md.PackageNotFoundError:
        have = None
    if have is None or (want and have != want):
        print(spec)
EOF
)
installed_note="all present at the pinned versions"
if [ -n "$need" ]; then
  read -r -a need_list <<<"$(echo $need)"
  # Binary packages: the pinned version where WHEEL_DIR has it, else whatever version it holds.
  for i in "${!need_list[@]}"; do
    for n in "${ANY[@]}"; do
      if [ "${need_list[$i]}" = "$n" ] && [ -n "$WHEELS" ] && ls "$WHEELS"/"$n"-"$(pin "$n" | cut -d= -f3)"-*.whl >/dev/null 2>&1; then
        need_list[$i]="$(pin "$n")"
      fi
    done
  done
  OVERLAY="$WORK/site"
  pip_base=("$PY" -m pip install -q --disable-pip-version-check --no-deps --no-compile --no-cache-dir --upgrade --target "$OVERLAY")
  how=""
  if [ -n "$WHEELS" ] && "${pip_base[@]}" --no-index --find-links "$WHEELS" "${need_list[@]}" >"$WORK/pip.log" 2>&1; then
    how="from $WHEELS"
  elif "${pip_base[@]}" "${need_list[@]}" >>"$WORK/pip.log" 2>&1; then
    how="from the package index"
  else
    tail -n 5 "$WORK/pip.log" | sed 's/^/     /'
    fail deps "cannot install ${need_list[*]}: give a WHEEL_DIR made by infra/trainer/gpu-wheels.sh (for this machine's Python), or run online"
  fi
  export PYTHONPATH="$OVERLAY${PYTHONPATH:+:$PYTHONPATH}"
  installed_note="installed ${need_list[*]} $how into an overlay on PYTHONPATH"
fi
export PYTHONPATH="$ROOT/infra/trainer${PYTHONPATH:+:$PYTHONPATH}"
versions=$("$PY" -c '
import importlib.metadata as md
import torch, transformers, trl, peft, accelerate, datasets
import trainyard_trainer.sft, trainyard_trainer.grpo, trainyard_trainer.serve
print(", ".join(f"{n} {md.version(n)}" for n in ("torch", "transformers", "trl", "peft", "accelerate", "datasets")))
' 2>"$WORK/import.log") || { tail -n 5 "$WORK/import.log" | sed 's/^/     /'; fail deps "the trainer does not import ($installed_note)"; }
printf 'PASS %-9s %s (%s)\n' deps "$versions" "$installed_note"

# ---- the steps -----------------------------------------------------------------------------------
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}" PYTHONUNBUFFERED=1
"$PY" - "$DEVICE" "$ROOT" "$WORK" "$started" <<'EOF'
import json, math, os, random, shutil, signal, struct, subprocess, sys, time, urllib.error, urllib.request

DEVICE, ROOT, WORK, STARTED = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
PY = sys.executable
DTYPE = "bfloat16" if DEVICE == "cuda" else "float32"
# GPU: a tiny model still big enough to keep the GPU busy; CPU: small enough for two cores.
if DEVICE == "cuda":
    MODEL = {"d_model": 256, "layers": 4, "heads": 8, "vocab_size": 2048, "context_length": 512}
    SFT_STEPS, BATCH, GRPO_STEPS, ROWS = 60, 64, 4, 1024
else:
    MODEL = {"d_model": 64, "layers": 1, "heads": 4, "vocab_size": 1024, "context_length": 512}
    SFT_STEPS, BATCH, GRPO_STEPS, ROWS = 12, 8, 2, 256
STEP_TIMEOUT = 360
LABELS = ["Up", "Down", "Left", "Right"]
HEAD = ("<|im_start|>user\nYou are a Sokoban solver.\n\nSokoban Quick Guide\nGoal: Push all boxes (X) onto targets (O).\n\n"
        "Symbols:\n# Wall | _ Floor | O Target | X Box | P You | √ = Box on Target | S = You on Target\n\n"
        "Rules:\n1. Push boxes (can't pull).\n2. Avoid walls (#).\n\n"
        "Answers:\n<answer> Up </answer> | <answer> Down </answer> | <answer> Left </answer> | <answer> Right </answer>\n\n"
        "Rewards:\nMove: -0.1\nBox on target: +1.0\nAll boxes placed: +10.0\n\n\n[Current Observation]:\n")
TAIL = ("\nDecide the next action:\nAlways output: <think> [Your thoughts] </think> <answer> [your answer] </answer> "
        "with no extra text. Strictly follow this format. <|im_end|>\n<|im_start|>assistant\n<think>")
REWARD_SCRIPT = r'''
import json, sys
LABELS = ["Up", "Down", "Left", "Right"]
for line in sys.stdin:
    req = json.loads(line)
    if req.get("op") != "reward" or req.get("answerId") not in (1, 2, 3, 4):
        out = {"ok": False, "error": {"code": "TY_ERR_ENV_BAD_REQUEST", "message": "bad request"}}
    else:
        out = {"ok": True, "reward": 1.0 if "<answer> %s </answer>" % LABELS[req["answerId"] - 1] in req["response"] else 0.0}
    sys.stdout.write(json.dumps(out) + "\n")
    sys.stdout.flush()
'''
results: list[bool] = []


def report(ok: bool, step: str, text: str, log: str = "") -> None:
    results.append(ok)
    print(f"{'PASS' if ok else 'FAIL'} {step:<9} {text}", flush=True)
    if not ok and log and os.path.isfile(log):
        with open(log, encoding="utf-8", errors="replace") as f:
            lines = f.read().splitlines()[-25:]
        print("\n".join("     " + l for l in lines), flush=True)


def write_data() -> str:
    # The fixed instruction text and the answer format of the Sokoban dataset, random 6x6 boards
    # (the answer is random too: a throughput check, not a learning one).
    r = random.Random(0)
    path = os.path.join(WORK, "sokoban-toy.jsonl")
    with open(path, "w", encoding="utf-8") as f:
        for i in range(ROWS):
            grid = "\n".join("".join(f" {r.choice('#___XOP')} \t" for _ in range(6)) for _ in range(6))
            answer = r.randint(1, 4)
            f.write(json.dumps({"prompt": HEAD + grid + TAIL, "completion": f"</think> <answer> {LABELS[answer - 1]} </answer>\n",
                                "reward": {"op": "reward", "env": "sokoban", "answerId": answer}}, ensure_ascii=False) + "\n")
    return path


def reward_command() -> tuple[list[str], str]:
    node, cli = shutil.which("node"), os.path.join(ROOT, "apps", "cli", "bin", "trainyard.js")
    if node and os.path.isfile(cli) and os.path.isdir(os.path.join(ROOT, "apps", "cli", "dist")):
        req = {"op": "reward", "env": "sokoban", "answerId": 1, "prompt": HEAD + TAIL, "response": "</think> <answer> Up </answer>"}
        try:
            p = subprocess.run([node, cli, "env", "batch"], input=json.dumps(req) + "\n", capture_output=True, text=True, timeout=60)
            if p.returncode == 0 and json.loads(p.stdout.splitlines()[0]).get("ok") is True:
                return [node, cli, "env", "batch"], "trainyard env batch"
        except (OSError, ValueError, IndexError, subprocess.TimeoutExpired):
            pass
    script = os.path.join(WORK, "reward.py")
    with open(script, "w", encoding="utf-8") as f:
        f.write(REWARD_SCRIPT)
    return [PY, script], "a Python reward script"


def start(mode: str, name: str, cfg: dict) -> tuple[subprocess.Popen, str]:
    cfg_path = os.path.join(WORK, f"{name}.json")
    with open(cfg_path, "w", encoding="utf-8") as f:
        json.dump(cfg, f)
    log = os.path.join(WORK, f"{name}.stderr.log")
    p = subprocess.Popen([PY, "-m", "trainyard_trainer", mode, "--config", cfg_path], stdout=subprocess.PIPE,
                         stderr=open(log, "w", encoding="utf-8"), text=True)
    return p, log


def train(mode: str, name: str, cfg: dict) -> tuple[int, list[tuple[float, dict]], str]:
    """Run to the end; returns (exit code, [(arrival time, event)], stderr log)."""
    p, log = start(mode, name, cfg)
    events = []
    deadline = time.monotonic() + STEP_TIMEOUT
    assert p.stdout is not None
    for line in p.stdout:
        events.append((time.monotonic(), json.loads(line)))
        if time.monotonic() > deadline:
            p.kill()
            events.append((time.monotonic(), {"type": "error", "message": f"over {STEP_TIMEOUT} s"}))
            break
    p.wait()
    return p.returncode, events, log


def weights_dtype(path: str) -> str:
    """The dtype of the first tensor in a safetensors file (its JSON header)."""
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
    return next(v["dtype"] for k, v in header.items() if k != "__metadata__")


def summary(rc: int, events: list[tuple[float, dict]]) -> tuple[str | None, dict]:
    """(what went wrong or None, figures) of a training run."""
    evs = [e for _, e in events]
    if rc != 0 or not evs or evs[-1]["type"] != "done":
        err = next((e for e in reversed(evs) if e["type"] == "error"), None)
        return f"exit {rc}: {err.get('code', '')} {err.get('message', '')[:300]}" if err else f"exit {rc}, no done event", {}
    metrics = [(t, e) for t, e in events if e["type"] == "metrics"]
    ckpts = [e["path"] for e in evs if e["type"] == "checkpoint"]
    if not metrics or not ckpts or not os.path.isdir(ckpts[-1]):
        return "no metrics or no checkpoint", {}
    (t0, first), (t1, last) = metrics[0], metrics[-1]
    steps = last["step"] - first["step"]
    tokens = last["values"].get("num_tokens", 0.0) - first["values"].get("num_tokens", 0.0)
    losses = [e["values"]["loss"] for _, e in metrics if "loss" in e["values"]]
    return None, {"steps": last["step"], "secs": t1 - t0, "tps": tokens / (t1 - t0) if t1 > t0 else 0.0,
                  "sps": steps / (t1 - t0) if t1 > t0 else 0.0, "losses": losses, "ckpt": ckpts[-1], "metrics": [e for _, e in metrics]}


def sft(name: str, data: str, lora: dict | None, layout: dict | None = None) -> str | None:
    cfg = {"model": "tiny", **MODEL, "train_file": data, "output_dir": os.path.join(WORK, name), "device": DEVICE, "dtype": DTYPE,
           "max_steps": SFT_STEPS, "batch_size": BATCH, "save_steps": 0, "logging_steps": 1, "seed": 0,
           "learning_rate": 1e-2 if lora else 3e-3, "warmup_ratio": 0.1, "lora": lora, **(layout or {})}
    rc, events, log = train("sft", name, cfg)
    problem, s = summary(rc, events)
    if problem is None:
        weights = os.path.join(s["ckpt"], "adapter_model.safetensors" if lora else "model.safetensors")
        if not os.path.isfile(weights):
            problem = f"{os.path.basename(weights)} missing in {s['ckpt']}"
        elif not all(math.isfinite(x) for x in s["losses"]) or not s["losses"][-1] < s["losses"][0]:
            problem = f"loss did not fall: {s['losses'][0]:.3f} → {s['losses'][-1]:.3f}"
    if problem:
        report(False, name, problem, log)
        return None
    dt = weights_dtype(weights)
    if problem is None and layout:
        # A distributed run: one stream (rank 0 only) and a checkpoint AutoModelForCausalLM loads.
        steps = [e["step"] for _, e in events if e["type"] == "metrics"]
        if len(steps) != len(set(steps)) or [e["type"] for _, e in events].count("done") != 1:
            problem = "more than one rank emitted events"
        else:
            p = subprocess.run([PY, "-c", "import sys; from transformers import AutoModelForCausalLM as M; M.from_pretrained(sys.argv[1])", s["ckpt"]],
                               capture_output=True, text=True, timeout=300)
            if p.returncode != 0:
                problem = f"the gathered checkpoint does not load: {p.stderr.strip().splitlines()[-1:]}"
        if problem:
            report(False, name, problem, log)
            return None
        report(True, name, f"{layout['processes']} ranks, {layout['strategy']}: {s['steps']} steps × {BATCH} rows, {s['tps']:,.0f} tokens/s, "
                           f"loss {s['losses'][0]:.2f} → {s['losses'][-1]:.2f}, gathered weights {dt} load with AutoModelForCausalLM")
        return s["ckpt"]
    if DEVICE == "cuda" and not lora and dt != "BF16":
        report(False, name, f"weights saved as {dt}, not BF16", log)
        return None
    report(True, name, f"{s['steps']} steps × {BATCH} rows, {s['tps']:,.0f} tokens/s ({s['sps']:.1f} steps/s), "
                       f"loss {s['losses'][0]:.2f} → {s['losses'][-1]:.2f}, weights {dt}, {os.path.basename(s['ckpt'])}")
    return s["ckpt"]


def grpo(data: str, init_from: str | None) -> None:
    if init_from is None:
        report(False, "grpo", "no SFT checkpoint to start from (sft failed)")
        return
    argv, rewards = reward_command()
    try:
        import importlib.util
        vllm = DEVICE == "cuda" and importlib.util.find_spec("vllm") is not None
    except ValueError:
        vllm = False
    cfg = {**MODEL, "train_file": data, "output_dir": os.path.join(WORK, "grpo"), "init_from": init_from, "device": DEVICE,
           "dtype": DTYPE, "max_steps": GRPO_STEPS, "num_generations": 8, "prompts_per_batch": 16, "mini_batch_prompts": 16,
           "max_completion_length": 32, "temperature": 1.0, "learning_rate": 1e-3, "save_steps": 0, "logging_steps": 1,
           "seed": 0, "reward_command": argv}
    rc, events, log = train("grpo", "grpo", cfg)
    problem, s = summary(rc, events)
    if problem is None and not all("reward" in m["values"] for m in s["metrics"]):
        problem = "a metrics event without reward"
    if problem:
        report(False, "grpo", problem, log)
        return
    m = s["metrics"]
    tps = sum(e["values"].get("tokens_per_second", 0.0) for e in m) / len(m)
    reward = sum(e["values"]["reward"] for e in m) / len(m)
    report(True, "grpo", f"{s['steps']} steps of 8 × 16 completions, {s['sps']:.2f} steps/s, {tps:,.0f} tokens/s, "
                         f"mean reward {reward:.2f}; rollouts by {'vLLM (colocate)' if vllm else 'transformers generate'}, rewards by {rewards}")


def post(url: str, body: dict, timeout: float = 120) -> tuple[int, dict]:
    req = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def serve(checkpoint: str | None, prompt: str) -> None:
    if checkpoint is None:
        report(False, "serve", "no SFT checkpoint to serve (sft failed)")
        return
    p, log = start("serve", "serve", {"checkpoint": checkpoint, "port": 0, "device": DEVICE, "dtype": DTYPE, "backend": "auto",
                                      "max_model_len": MODEL["context_length"]})
    seen: list[dict] = []
    problem = None
    try:
        assert p.stdout is not None
        deadline = time.monotonic() + STEP_TIMEOUT
        for line in p.stdout:
            seen.append(json.loads(line))
            if seen[-1]["type"] == "error" or seen[-1].get("state") == "serving" or time.monotonic() > deadline:
                break
        if not seen or seen[-1].get("state") != "serving":
            problem = f"not serving: {seen[-1] if seen else 'no output'}"
        else:
            url = seen[-1]["message"]
            backend = "vllm serve" if any(e.get("state") == "loading" and str(e.get("message", "")).startswith("vllm ") for e in seen) else "transformers"
            with urllib.request.urlopen(url + "/v1/models", timeout=30) as r:
                name = json.loads(r.read())["data"][0]["id"]
            status, body = post(url + "/v1/completions", {"model": name, "prompt": prompt, "max_tokens": 16, "temperature": 0})
            if status != 200 or not isinstance(body.get("choices", [{}])[0].get("text"), str):
                problem = f"/v1/completions answered {status}: {json.dumps(body)[:300]}"
            else:
                greedy = body["choices"][0]["text"]
                t0 = time.monotonic()
                status, body = post(url + "/v1/completions", {"model": name, "prompt": prompt, "max_tokens": 32, "temperature": 1.0, "n": 8, "seed": 1})
                secs = time.monotonic() - t0
                if status != 200 or len(body.get("choices", [])) != 8:
                    problem = f"/v1/completions with n 8 answered {status}: {json.dumps(body)[:300]}"
    except (OSError, ValueError, KeyError, IndexError) as e:
        problem = f"{type(e).__name__}: {e}"
    finally:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                rest = p.communicate(timeout=60)[0]
                seen += [json.loads(l) for l in rest.splitlines() if l.strip()]
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
    if problem is None and (p.returncode != 0 or seen[-1]["type"] != "done"):
        problem = f"SIGTERM did not end it cleanly (exit {p.returncode})"
    if problem:
        report(False, "serve", problem, log)
        return
    tokens = body["usage"]["completion_tokens"]
    report(True, "serve", f"{backend}, model {name!r}, greedy {greedy!r}; n 8 × 32 tokens: {tokens} tokens in {secs:.2f} s "
                          f"= {tokens / secs:,.0f} tokens/s; SIGTERM → done")


import torch  # noqa: E402

if DEVICE == "cuda":
    if not torch.cuda.is_available():
        report(False, "device", f"torch {torch.__version__} sees no CUDA GPU (run with --device cpu to check the rest on CPU)")
    elif not torch.cuda.is_bf16_supported():
        report(False, "device", f"{torch.cuda.get_device_name(0)} has no bfloat16 support")
    else:
        free, total = torch.cuda.mem_get_info()
        report(True, "device", f"cuda: {torch.cuda.get_device_name(0)}, {total / 2**30:.0f} GiB ({free / 2**30:.0f} free), bf16, "
                               f"torch CUDA {torch.version.cuda}")
else:
    report(True, "device", f"cpu ({os.cpu_count()} cores, torch threads {os.environ.get('OMP_NUM_THREADS')}), float32: --device cpu, no GPU used")

if all(results):
    data = write_data()
    with open(data, encoding="utf-8") as f:
        prompt = json.loads(f.readline())["prompt"]
    full = sft("sft", data, None)
    sft("lora-sft", data, {"rank": 8, "alpha": 16, "dropout": 0.0, "target_modules": ["all-linear"]})
    # Distributed: FSDP full shard (bf16 mixed precision, activation checkpointing) over every GPU;
    # on CPU, two gloo ranks of DDP (accelerate has no CPU FSDP).
    gpus = torch.cuda.device_count() if DEVICE == "cuda" else 0
    if DEVICE == "cpu":
        sft("ddp-cpu", data, None, {"processes": 2, "strategy": "ddp"})
    elif gpus >= 2:
        sft("fsdp", data, None, {"processes": gpus, "strategy": "fsdp"})
    else:
        print(f"SKIP fsdp      one GPU: FSDP needs 2 or more (one rank per GPU)", flush=True)
    grpo(data, full)
    serve(full, prompt)

total = time.time() - STARTED
failed = results.count(False)
print(f"{'ALL PASS' if not failed else f'FAILED: {failed} of {len(results)} steps'} in {total:.0f} s "
      f"(device {DEVICE}, dtype {DTYPE}; budget 480 s)")
sys.exit(1 if failed else 0)
EOF
rc=$?
exit $rc
