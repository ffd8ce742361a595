"""Distributed launch: one supervisor per node starting `processes` ranks of the same trainer.

`python -m trainyard_trainer sft|grpo --config FILE` with `processes × nodes > 1` does not train
itself: it starts the ranks (`python -m trainyard_trainer ... ` again, with the torchrun
environment RANK, LOCAL_RANK, WORLD_SIZE, LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT, which
`torch.distributed` and accelerate read through `init_method="env://"`) and stays between them and
the worker. We spawn the ranks ourselves rather than through `torchrun` because the job's
contract needs three things torchrun does differently:

* SIGTERM goes to every rank at once and the supervisor waits for their collective save
  (torchrun kills its workers 30 s after forwarding a signal; a 7B FSDP save takes longer);
* each rank's stderr is kept in `<output_dir>/logs/rank-<R>.stderr.log` and forwarded here with a
  `[rank R]` prefix, and a crash of any rank fails the job with that rank's stderr tail;
* exactly one protocol stream: rank 0's stdout passes through; its terminal `done` is only
  forwarded once every rank has exited 0 (a rank that crashed after rank 0 finished still fails
  the job), the other ranks' stdout is discarded (they emit nothing but errors, on stderr).

Rendezvous, multi-node: MASTER_ADDR / MASTER_PORT / NODE_RANK from the environment (the
Kubernetes backend sets them from the Indexed Job's headless service), else from Slurm's
allocation (the first host of SLURM_JOB_NODELIST, SLURM_NODEID), else this host and a free port.
"""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import deque
from typing import Any

from .protocol import Emitter, StopFlag, TrainerError

RANK_ENV = "TRAINYARD_RANK_PROCESS"  # set in the ranks: they train instead of launching again
TERMINAL = ("done", "error")
CRASH_GRACE_S = 10.0  # after one rank fails, how long the others get to exit on SIGTERM before SIGKILL


def world(cfg: Any) -> int:
    return int(getattr(cfg, "processes", 1)) * int(getattr(cfg, "nodes", 1))


def should_launch(mode: str, cfg: Any) -> bool:
    return mode in ("sft", "grpo") and world(cfg) > 1 and os.environ.get(RANK_ENV) != "1"


def is_rank_process() -> bool:
    return os.environ.get(RANK_ENV) == "1"


def lead_node() -> bool:
    """False in the launcher of another node than rank 0's (it speaks only errors, on stderr)."""
    for key in ("NODE_RANK", "JOB_COMPLETION_INDEX", "SLURM_NODEID"):
        if os.environ.get(key):
            return os.environ[key] == "0"
    return True


def rank() -> int:
    return int(os.environ.get("RANK", "0"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _slurm_first_host(nodelist: str) -> str:
    try:
        out = subprocess.run(["scontrol", "show", "hostnames", nodelist], capture_output=True, text=True, timeout=30, check=True).stdout
        return out.split()[0]
    except (OSError, subprocess.SubprocessError, IndexError):
        return nodelist.split(",")[0].split("[")[0]


def rendezvous(nodes: int, env: dict[str, str] | None = None) -> tuple[str, int, int]:
    """(master address, master port, this node's rank) for a job of `nodes` nodes."""
    env = dict(os.environ if env is None else env)
    if nodes == 1:
        return "127.0.0.1", int(env.get("MASTER_PORT") or _free_port()), 0
    if env.get("MASTER_ADDR"):
        node_rank = env.get("NODE_RANK") or env.get("JOB_COMPLETION_INDEX") or env.get("SLURM_NODEID") or "0"
        return env["MASTER_ADDR"], int(env.get("MASTER_PORT") or 29500), int(node_rank)
    if env.get("SLURM_JOB_NODELIST"):
        # Every node derives the same port from the job id: no side channel is needed.
        port = int(env.get("MASTER_PORT") or 20000 + int(env.get("SLURM_JOB_ID", "0")) % 20000)
        return _slurm_first_host(env["SLURM_JOB_NODELIST"]), port, int(env.get("SLURM_NODEID", "0"))
    raise TrainerError(
        "TY_ERR_TRAINER_CONFIG",
        f"nodes: {nodes} nodes need a rendezvous: set MASTER_ADDR (and NODE_RANK) or run inside a Slurm allocation",
    )


def rank_env(base: dict[str, str], *, local_rank: int, processes: int, nodes: int, node_rank: int, addr: str, port: int, device: str) -> dict[str, str]:
    env = dict(base)
    env.update({
        RANK_ENV: "1",
        "RANK": str(node_rank * processes + local_rank),
        "LOCAL_RANK": str(local_rank),
        "WORLD_SIZE": str(processes * nodes),
        "LOCAL_WORLD_SIZE": str(processes),
        "GROUP_RANK": str(node_rank),
        "NODE_RANK": str(node_rank),
        "MASTER_ADDR": addr,
        "MASTER_PORT": str(port),
        "PYTHONUNBUFFERED": "1",
    })
    if device == "cpu":
        # gloo on CPU; keep accelerate from picking a GPU that may be visible.
        env["ACCELERATE_USE_CPU"] = "true"
    return env


class _Rank:
    def __init__(self, r: int, proc: subprocess.Popen, log_path: str):
        self.rank, self.proc, self.log_path = r, proc, log_path
        self.tail: deque[str] = deque(maxlen=40)
        self.exited_at: float | None = None


def _pump_stderr(rk: _Rank) -> None:
    assert rk.proc.stderr is not None
    with open(rk.log_path, "a", encoding="utf-8") as log:
        for line in rk.proc.stderr:
            log.write(line)
            log.flush()
            rk.tail.append(line.rstrip("\n"))
            sys.stderr.write(f"[rank {rk.rank}] {line}")
            sys.stderr.flush()


def supervise(mode: str, config_path: str, cfg: Any, emit: Emitter, stop: StopFlag) -> int:
    """Start the ranks, relay rank 0's events, end as the job should (0 = every rank ended cleanly)."""
    processes, nodes = int(cfg.processes), int(cfg.nodes)
    addr, port, node_rank = rendezvous(nodes)
    from .models import pick_device

    device = pick_device(cfg.device)
    check_strategy(cfg, device)
    logs = os.path.join(cfg.output_dir, "logs")
    os.makedirs(logs, exist_ok=True)
    emit.log(f"launching {processes} process(es) on node {node_rank} of {nodes} (world {processes * nodes}, {device}, "
             f"rendezvous {addr}:{port}); rank stderr in {logs}")
    ranks: list[_Rank] = []
    for local in range(processes):
        r = node_rank * processes + local
        env = rank_env(dict(os.environ), local_rank=local, processes=processes, nodes=nodes, node_rank=node_rank,
                       addr=addr, port=port, device=device)
        log_path = os.path.join(logs, f"rank-{r}.stderr.log")
        open(log_path, "w").close()
        proc = subprocess.Popen(
            [sys.executable, "-m", "trainyard_trainer", mode, "--config", config_path],
            stdout=subprocess.PIPE if r == 0 else subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env,
        )
        rk = _Rank(r, proc, log_path)
        threading.Thread(target=_pump_stderr, args=(rk,), daemon=True).start()
        ranks.append(rk)

    emit.log("ranks started: " + ", ".join(f"rank {rk.rank} pid {rk.proc.pid}" for rk in ranks))
    forwarded = threading.Event()

    def forward_signal() -> None:
        # Every rank gets the signal at once: the training loop agrees on the stop step through an
        # all-reduce, so all ranks save the same step together.
        for rk in ranks:
            if rk.proc.poll() is None:
                try:
                    rk.proc.send_signal(signal.SIGTERM)
                except OSError:
                    pass
        forwarded.set()

    stop.on_stop(forward_signal)
    if stop.is_set:  # signalled while the ranks were being started
        forward_signal()

    terminal: list[dict] = []
    lead = ranks[0] if ranks[0].rank == 0 else None

    def pump_stdout() -> None:
        assert lead is not None and lead.proc.stdout is not None
        for line in lead.proc.stdout:
            try:
                ev = json.loads(line)
            except ValueError:
                sys.stderr.write(f"[rank 0 stdout] {line}")
                continue
            if isinstance(ev, dict) and ev.get("type") in TERMINAL:
                terminal.append(ev)  # held back until every rank has exited
            else:
                emit.raw(ev)

    reader = threading.Thread(target=pump_stdout, daemon=True) if lead else None
    if reader:
        reader.start()

    failed: _Rank | None = None
    while True:
        alive = [rk for rk in ranks if rk.proc.poll() is None]
        now_failed = []
        for rk in ranks:
            if rk.exited_at is None and rk.proc.returncode is not None:
                rk.exited_at = time.monotonic()
                if rk.proc.returncode != 0:
                    now_failed.append(rk)
        if now_failed and failed is None:
            # Ranks that died in the same poll: one killed by a signal (an OOM kill, a segfault)
            # is the cause; the others failed in their next collective because of it.
            failed = min(now_failed, key=lambda rk: (rk.proc.returncode >= 0, rk.rank))
        if not alive:
            break
        if failed is not None:
            # One rank is gone: the others would block in the next collective until its timeout.
            for rk in alive:
                try:
                    rk.proc.send_signal(signal.SIGTERM)
                except OSError:
                    pass
            deadline = time.monotonic() + CRASH_GRACE_S
            while time.monotonic() < deadline and any(rk.proc.poll() is None for rk in alive):
                time.sleep(0.1)
            for rk in alive:
                if rk.proc.poll() is None:
                    rk.proc.kill()
            for rk in alive:
                rk.proc.wait()
            break
        time.sleep(0.1)
    if reader:
        reader.join(timeout=30)
    time.sleep(0.2)  # the stderr pumps drain the last lines

    codes = {rk.rank: rk.proc.returncode for rk in ranks}
    if failed is None and all(c == 0 for c in codes.values()):
        if lead is None:  # another node's supervisor: rank 0 speaks for the job
            return 0
        if terminal and terminal[-1]["type"] == "done":
            emit.raw(terminal[-1])
            return 0
        emit.error("TY_ERR_TRAINER_INTERNAL", "rank 0 exited 0 without a done event", "crashed")
        return 1
    first = failed or next(rk for rk in ranks if rk.proc.returncode != 0)
    # rank 0's own error event (a config or data error: every rank raised the same) says it best.
    own = next((e for e in terminal if e["type"] == "error"), None)
    if own is not None and first.rank == 0:
        emit.raw(own)
        return 1
    # Another rank's error event (its emitter writes it to its stderr): keep its code and kind
    # (an OOM is infra_error and retried), say which rank.
    for line in reversed(first.tail):
        try:
            ev = json.loads(line)
        except ValueError:
            continue
        if isinstance(ev, dict) and ev.get("type") == "error" and "code" in ev:
            emit.error(ev["code"], f"rank {first.rank} of {world(cfg)}: {ev.get('message', '')}", ev.get("failure_kind", "crashed"))
            return 1
    tail = "\n".join(list(first.tail)[-15:])
    code = first.proc.returncode
    how = f"signal {signal.Signals(-code).name}" if code < 0 and -code in signal.Signals._value2member_map_ else f"exit {code}"
    emit.error(
        "TY_ERR_TRAINER_RANK",
        f"rank {first.rank} of {world(cfg)} failed ({how}); its stderr ({first.log_path}) ends:\n{tail}"[-3000:],
        "crashed",
    )
    return 1


def check_strategy(cfg: Any, device: str) -> None:
    if cfg.resolved_strategy(device) == "fsdp" and device != "cuda":
        # accelerate's FSDP plugin refuses to build without an accelerator (checked with
        # accelerate 1.15 / torch 2.13 CPU): say so before starting any rank.
        raise TrainerError("TY_ERR_TRAINER_CONFIG", "strategy: fsdp needs GPUs (accelerate has no CPU FSDP); use ddp on CPU")


def init_rank(device: str) -> None:
    """In a rank process: join the process group before anything collective (the tiny build's barrier)."""
    import datetime

    import torch
    import torch.distributed as dist

    if dist.is_initialized():
        return
    if device == "cuda":
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
        backend = "nccl"
    else:
        backend = "gloo"
    dist.init_process_group(backend=backend, init_method="env://", timeout=datetime.timedelta(minutes=30))


def barrier() -> None:
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        dist.barrier()


def any_rank(flag: bool) -> bool:
    """True on every rank if it is True on any (the stop decision, taken together)."""
    import torch
    import torch.distributed as dist

    if not (dist.is_available() and dist.is_initialized()) or dist.get_world_size() == 1:
        return flag
    dev = torch.device("cuda", torch.cuda.current_device()) if dist.get_backend() == "nccl" else torch.device("cpu")
    t = torch.tensor([1 if flag else 0], dtype=torch.int32, device=dev)
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    return bool(t.item())


def leave() -> None:
    """Leave the process group at exit (a rank that skips it warns, and NCCL may hang at teardown)."""
    try:
        import torch.distributed as dist

        if dist.is_available() and dist.is_initialized():
            dist.destroy_process_group()
    except Exception:  # noqa: BLE001 - exiting anyway
        pass
