"""Whether to compute in bf16: one answer for training (``--bf16``) and one for inference."""

from __future__ import annotations

import torch


def use_bf16(setting: str) -> bool:
    """Training: ``yes``/``no`` force it; ``auto`` only on a CUDA device that supports bf16."""
    if setting == "yes":
        return True
    if setting == "no":
        return False
    return torch.cuda.is_available() and torch.cuda.is_bf16_supported()


def fast_bf16(device: torch.device) -> bool:
    """Inference: whether bf16 autocast speeds it up here: CUDA with bf16, or a CPU with AMX."""
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    if device.type != "cpu":
        return False
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as stream:
            return any(line.startswith("flags") and "amx_bf16" in line for line in stream)
    except OSError:
        return False
