"""Entry point: `python -m trainyard_trainer <sft|grpo|serve> --config FILE.json`.

Every way of ending maps to the protocol: `done` and exit 0, or one `error` event (code and
failure kind) and exit 1. A crash that kills the interpreter outright leaves no `error` line;
the worker treats that as `crashed`.
"""
from __future__ import annotations

import importlib.util
import json
import os
import sys
import traceback

from . import __version__
from .config import CONFIGS, from_dict
from . import launch
from .protocol import Emitter, StopFlag, TrainerError, claim_stdout_for_rank

REQUEST_ID_ENV = "TRAINYARD_REQUEST_ID"  # the submitting API request's id (x-request-id), set by the worker
USAGE = "usage: python -m trainyard_trainer <sft|grpo|serve> --config FILE.json"


def _parse_argv(argv: list[str]) -> tuple[str, str]:
    if len(argv) == 3 and argv[0] in CONFIGS and argv[1] == "--config":
        return argv[0], argv[2]
    if len(argv) == 2 and argv[0] in CONFIGS and argv[1].startswith("--config="):
        return argv[0], argv[1].split("=", 1)[1]
    raise TrainerError("TY_ERR_TRAINER_CONFIG", f"bad arguments {argv!r}; {USAGE}")


def _load_config(mode: str, path: str):
    try:
        with open(path, encoding="utf-8") as f:
            raw = json.load(f)
    except OSError as e:
        raise TrainerError("TY_ERR_TRAINER_CONFIG", f"cannot read config {path}: {e.strerror}") from e
    except json.JSONDecodeError as e:
        raise TrainerError("TY_ERR_TRAINER_CONFIG", f"config {path} is not JSON: {e.msg} at line {e.lineno}") from e
    return from_dict(CONFIGS[mode], raw)


def run(mode: str, cfg, emit: Emitter, stop: StopFlag) -> None:
    # Threads are set before the first `import torch` (OpenBLAS reads them then); each mode
    # imports its libraries itself, so a missing one is a clean TY_ERR_NOT_AVAILABLE.
    missing = [m for m in ("torch", "transformers", "trl", "peft", "datasets") if importlib.util.find_spec(m) is None]
    if missing:
        raise TrainerError(
            "TY_ERR_NOT_AVAILABLE",
            f"the trainer needs {', '.join(missing)}, missing in {sys.executable}: run scripts/setup.sh (it makes .venv) or use the trainer image",
        )
    from .models import configure_runtime, pick_device

    configure_runtime(cfg.num_threads)
    if launch.is_rank_process():
        launch.init_rank(pick_device(cfg.device))
    if mode == "sft":
        from . import sft as script
    elif mode == "grpo":
        from . import grpo as script
    else:
        from . import serve as script
    script.run(cfg, emit, stop)


def start_message(mode: str) -> str:
    """The `starting` line; names the API request that submitted the experiment (TRAINYARD_REQUEST_ID) when there is one."""
    rid = os.environ.get(REQUEST_ID_ENV, "").strip()
    return f"trainyard_trainer {__version__} {mode}" + (f" request {rid}" if rid else "")


def main(argv: list[str] | None = None) -> int:
    emit = claim_stdout_for_rank(launch.rank() if launch.is_rank_process() else (0 if launch.lead_node() else 1))
    stop = StopFlag().install()
    try:
        mode, path = _parse_argv(list(sys.argv[1:] if argv is None else argv))
        if not launch.is_rank_process():  # the launcher said it already
            emit.status("starting", start_message(mode))
        cfg = _load_config(mode, path)
        if launch.should_launch(mode, cfg):
            return launch.supervise(mode, path, cfg, emit, stop)
        run(mode, cfg, emit, stop)
        return 0
    except TrainerError as e:
        emit.error(e.code, str(e), e.failure_kind)
    except MemoryError as e:
        emit.error("TY_ERR_TRAINER_OOM", f"out of host memory: {e}", "infra_error")
    except RuntimeError as e:
        # torch reports CUDA and CPU allocation failures as RuntimeError subclasses.
        if "out of memory" in str(e).lower() or "can't allocate memory" in str(e).lower():
            emit.error("TY_ERR_TRAINER_OOM", str(e)[:500], "infra_error")
        else:
            traceback.print_exc()
            emit.error("TY_ERR_TRAINER_INTERNAL", f"{type(e).__name__}: {str(e)[:500]}", "crashed")
    except OSError as e:
        emit.error("TY_ERR_TRAINER_IO", f"{type(e).__name__}: {e}", "infra_error")
    except Exception as e:  # a bug: say so, with the traceback on stderr
        traceback.print_exc()
        emit.error("TY_ERR_TRAINER_INTERNAL", f"{type(e).__name__}: {str(e)[:500]}", "crashed")
    finally:
        launch.leave()
    return 1


if __name__ == "__main__":
    sys.exit(main())
