"""Trainyard trainer: one package, one stdout protocol (see infra/trainer/PROTOCOL.md).

Modes: ``python -m trainyard_trainer <sft|grpo|serve> --config FILE.json``.
"""

__version__ = "0.1.0"
