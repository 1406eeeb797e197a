"""Fine-tune the small model for this one job, on the CPU: LoRA on SmolLM2-135M-Instruct.

Read top to bottom: settings, data, model, one loop with evaluation and checkpoints in
plain sight, then the adapter is written as a GGUF file llama.cpp loads. ``voice-agent
train`` is the way in (see :mod:`agent.commands.train`).

The format is the one the daemon decodes (:mod:`agent.slm.prompt`): BOS, ``Command:``, the
normalised utterance, ``\\nAction:``, then the answer's words each written after a space,
then a newline. Tokens come from llama.cpp's own tokenizer (the GGUF's vocabulary), so the
training tokens and the run-time tokens are the same by construction. Only the answer is
taught (the prompt's tokens have no loss); an alias the model cannot know masks the target.

Why LoRA and not a full fine-tune: the full model would ship as a ~100 MB GGUF per home and
train 3x slower here; the adapter is a few MB, loads in milliseconds on top of the model
the user already has, and r=16 on the attention output and MLP projections learns this
task (see the manifest's validation figures). The q/k projections are left out: llama.cpp
permutes them when converting llama models, and the adapter would need the same
permutation.
"""

from __future__ import annotations

import json
import math
import os
import random
import signal
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Sequence

from .corpus import Example


@dataclass
class TrainSettings:
    out: Path
    """Folder for the checkpoint, the adapter and the manifest."""
    base: Path
    """The base model's GGUF file (the one the daemon runs)."""
    seed: int = 1
    epochs: float = 1.0
    batch: int = 16
    lr: float = 3e-4
    warmup: int = 30
    rank: int = 16
    alpha: int = 32
    dropout: float = 0.05
    targets: tuple[str, ...] = ("v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
    layers: int = 16
    """LoRA on the top this-many transformer layers (SmolLM2-135M has 30): the layers below
    then need no backward pass, which halves the time per step here."""
    threads: int = 1
    """Torch threads. One is fastest on a busy machine (two threads waited on each other and
    ran at a quarter of the speed here); on an idle board try the number of cores."""
    bf16: bool | None = None
    """Matrix products in bfloat16 (None: where the CPU has native bfloat16, e.g. AMX or
    AVX512-BF16; 2.4x faster here). The LoRA weights and optimizer stay float32."""
    eval_every: int = 200
    """Steps between validation passes (and checkpoints)."""
    max_steps: int | None = None
    """Stop after this many steps (a smoke test); None: the epochs decide."""
    name: str = "adapter"
    start: Path | None = None
    """A GGUF adapter to start from (a personal model starts from the shipped one)."""
    extra: dict = field(default_factory=dict)
    """Anything else the manifest should record (corpus hash, the command)."""


# ---------------------------------------------------------------------------- tokens
class Tokenizer:
    """llama.cpp's tokenizer for the base GGUF (vocabulary only: no weights loaded)."""

    def __init__(self, gguf: Path) -> None:
        import llama_cpp

        self.llm = llama_cpp.Llama(model_path=str(gguf), vocab_only=True, verbose=False)
        vocab = llama_cpp.llama_model_get_vocab(self.llm.model)
        self.bos = [self.llm.token_bos()] if llama_cpp.llama_vocab_get_add_bos(vocab) else []
        self.eos = self.llm.token_eos()
        self._cache: dict[str, list[int]] = {}

    def __call__(self, text: str) -> list[int]:
        got = self._cache.get(text)
        if got is None:
            got = self._cache[text] = self.llm.tokenize(text.encode("utf-8"), add_bos=False, special=False)
        return got


def encode(tok: Tokenizer, ex: Example) -> tuple[list[int], list[int]]:
    """Token ids and labels (-100: no loss) for one example, in the daemon's format."""
    prompt = tok.bos + tok("Command:") + tok(" " + ex.text + "\nAction:")
    ids, labels = list(prompt), [-100] * len(prompt)
    for i, word in enumerate(ex.answer):
        t = tok(" " + word)
        ids += t
        labels += [-100] * len(t) if (ex.mask_target and i == 1) else t
    end = tok("\n")
    return ids + end, labels + end


def batches(rows: Sequence[tuple[list[int], list[int]]], size: int, rng: random.Random) -> list[list[int]]:
    """Indices in batches of similar length (less padding), batches in random order."""
    order = sorted(range(len(rows)), key=lambda i: (len(rows[i][0]), rng.random()))
    out = [order[i:i + size] for i in range(0, len(order), size)]
    rng.shuffle(out)
    return out


def collate(rows, idx, pad: int):
    import torch

    width = max(len(rows[i][0]) for i in idx)
    ids = torch.full((len(idx), width), pad, dtype=torch.long)
    lab = torch.full((len(idx), width), -100, dtype=torch.long)
    att = torch.zeros((len(idx), width), dtype=torch.long)
    for j, i in enumerate(idx):
        a, b = rows[i]
        ids[j, :len(a)] = torch.tensor(a)
        lab[j, :len(b)] = torch.tensor(b)
        att[j, :len(a)] = 1
    return ids, lab, att


# ---------------------------------------------------------------------------- model
def load_model(s: TrainSettings):
    """The base model from its GGUF (dequantized to float32), with fresh LoRA weights."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    torch.manual_seed(s.seed)
    base = AutoModelForCausalLM.from_pretrained(str(s.base.parent), gguf_file=s.base.name,
                                                dtype=torch.float32)
    n = base.config.num_hidden_layers
    cfg = LoraConfig(r=s.rank, lora_alpha=s.alpha, lora_dropout=s.dropout,
                     target_modules=list(s.targets), bias="none", task_type="CAUSAL_LM",
                     layers_to_transform=list(range(max(0, n - s.layers), n)))
    model = get_peft_model(base, cfg)
    if s.start is not None:
        read_gguf_adapter(model, s.start)
    return model


def native_bf16() -> bool:
    """Does this CPU multiply bfloat16 natively (so autocast pays off)?"""
    try:
        flags = open("/proc/cpuinfo", encoding="ascii", errors="replace").read()
    except OSError:
        return False
    return "amx_bf16" in flags or "avx512_bf16" in flags


def answer_loss(model, ids, lab, att, reduction: str = "mean"):
    """Cross-entropy on the answer tokens only. The vocabulary projection (49,152 x 576) runs
    only where a label is, not over the whole prompt: a third of the work saved per step."""
    import torch

    inner = model.base_model.model
    hidden = inner.model(input_ids=ids, attention_mask=att).last_hidden_state
    target = lab[:, 1:]
    keep = target != -100
    logits = inner.lm_head(hidden[:, :-1][keep]).float()
    loss = torch.nn.functional.cross_entropy(logits, target[keep], reduction=reduction)
    return loss, logits, target, keep


@dataclass
class Scores:
    loss: float
    exact: float
    """Share of examples whose every answer token is the model's top choice."""
    n: int


def evaluate(model, rows, pad: int, size: int = 64, bf16: bool = False) -> Scores:
    import torch

    model.eval()
    total, count, exact = 0.0, 0, 0
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        for start in range(0, len(rows), size):
            idx = list(range(start, min(len(rows), start + size)))
            ids, lab, att = collate(rows, idx, pad)
            loss, logits, target, keep = answer_loss(model, ids, lab, att, reduction="sum")
            total += float(loss)
            count += int(keep.sum())
            right = torch.ones_like(target, dtype=torch.bool)
            right[keep] = logits.argmax(-1) == target[keep]
            exact += int(right.all(dim=1).sum())
    model.train()
    return Scores(total / max(1, count), exact / max(1, len(rows)), len(rows))


# ---------------------------------------------------------------------------- the loop
def train(s: TrainSettings, train_set: list[Example], val_set: list[Example],
          log: Callable[[str], None] = print) -> dict:
    """Train, checkpointing to ``s.out``; resumes from a checkpoint found there. Returns the
    manifest (also written to ``s.out/manifest.json``) after writing the GGUF adapter."""
    import torch

    torch.set_num_threads(s.threads)
    bf16 = native_bf16() if s.bf16 is None else s.bf16
    s.out.mkdir(parents=True, exist_ok=True)
    tok = Tokenizer(s.base)
    pad = tok.eos
    rows = [encode(tok, ex) for ex in train_set]
    val = [encode(tok, ex) for ex in val_set]
    rng = random.Random(s.seed)
    steps_per_epoch = math.ceil(len(rows) / s.batch)
    total = s.max_steps or max(1, int(steps_per_epoch * s.epochs))
    plan = [b for e in range(math.ceil(total / steps_per_epoch)) for b in batches(rows, s.batch, rng)][:total]

    model = load_model(s)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=s.lr, weight_decay=0.0)
    ckpt = s.out / "checkpoint.pt"
    step, history, spent = 0, [], 0.0
    if ckpt.exists():
        state = torch.load(ckpt, weights_only=False)
        if state["plan_len"] == total and state["rows"] == len(rows):
            model.load_state_dict(state["lora"], strict=False)
            opt.load_state_dict(state["opt"])
            step, history, spent = state["step"], state["history"], state["spent"]
            torch.set_rng_state(state["torch_rng"])
            log(f"resuming at step {step}/{total} from {ckpt}")
        else:
            log(f"ignoring {ckpt}: it belongs to a different run")

    def lr_at(i: int) -> float:
        if i < s.warmup:
            return s.lr * (i + 1) / s.warmup
        return s.lr * 0.5 * (1 + math.cos(math.pi * (i - s.warmup) / max(1, total - s.warmup)))

    def save() -> None:
        lora = {k: v for k, v in model.state_dict().items() if "lora_" in k}
        tmp = ckpt.with_suffix(".tmp")
        torch.save({"lora": lora, "opt": opt.state_dict(), "step": step, "history": history,
                    "spent": spent, "plan_len": total, "rows": len(rows),
                    "torch_rng": torch.get_rng_state()}, tmp)
        os.replace(tmp, ckpt)

    stop = {"now": False}
    old = signal.signal(signal.SIGINT, lambda *_: stop.update(now=True))
    model.train()
    step0, spent0, tokens_done = step, spent, 0
    t0 = time.perf_counter()
    try:
        while step < total and not stop["now"]:
            ids, lab, att = collate(rows, plan[step], pad)
            for g in opt.param_groups:
                g["lr"] = lr_at(step)
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                loss = answer_loss(model, ids, lab, att)[0]
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            opt.zero_grad(set_to_none=True)
            step += 1
            tokens_done += int(att.sum())
            elapsed = time.perf_counter() - t0
            spent = spent0 + elapsed
            if step % 10 == 0 or step == total:
                eta = (total - step) * elapsed / (step - step0)
                log(f"step {step}/{total} [{'#' * int(30 * step / total):30}] loss {float(loss.detach()):.3f} "
                    f"{tokens_done / elapsed:.0f} tok/s, ETA {fmt(eta)}")
            if step % s.eval_every == 0 or step == total:
                sc = evaluate(model, val, pad, bf16=bf16)
                history.append({"step": step, "loss": round(sc.loss, 4), "exact": round(sc.exact, 4),
                                "seconds": round(spent, 1)})
                log(f"validation at step {step}: loss {sc.loss:.3f}, exact answers {100 * sc.exact:.1f}% of {sc.n}")
                save()
    finally:
        signal.signal(signal.SIGINT, old)
    if stop["now"] and step < total:
        save()
        log(f"interrupted at step {step}/{total}; run the same command again to resume")
        return {}
    last = history[-1] if history and history[-1]["step"] == step else None
    final = Scores(last["loss"], last["exact"], len(val)) if last else evaluate(model, val, pad, bf16=bf16)
    path = s.out / f"{s.name}.gguf"
    write_gguf_adapter(model, s, path)
    manifest = {
        "adapter": path.name, "base_model": s.base.name, "base_sha256": sha256(s.base),
        "adapter_sha256": sha256(path), "settings": _jsonable(asdict(s)),
        "train_examples": len(rows), "validation_examples": len(val), "steps": step,
        "train_seconds": round(spent, 1), "validation": {"loss": round(final.loss, 4),
                                                         "exact": round(final.exact, 4)},
        "history": history, **s.extra,
    }
    (s.out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    ckpt.unlink(missing_ok=True)
    log(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB); validation exact {100 * final.exact:.1f}%, "
        f"{fmt(spent)} of training")
    return manifest


def fmt(seconds: float) -> str:
    seconds = int(max(0, seconds))
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m" if seconds >= 3600 else f"{seconds // 60}m{seconds % 60:02d}s"


def sha256(path: Path) -> str:
    import hashlib

    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _jsonable(d):
    return {k: (str(v) if isinstance(v, Path) else list(v) if isinstance(v, tuple) else v) for k, v in d.items()}


# ---------------------------------------------------------------------------- export
GGUF_NAMES = {"v_proj": "attn_v", "o_proj": "attn_output", "gate_proj": "ffn_gate",
              "up_proj": "ffn_up", "down_proj": "ffn_down"}


def write_gguf_adapter(model, s: TrainSettings, path: Path) -> None:
    """peft's LoRA weights as a llama.cpp LoRA adapter (GGUF, ``general.type = adapter``):
    per adapted weight ``blk.N.<name>.weight.lora_a`` ([r, in]) and ``.lora_b`` ([out, r]),
    float16 (half the size, no measurable change in the answers)."""
    import gguf
    import numpy as np

    w = gguf.GGUFWriter(str(path), arch="llama")
    w.add_string("general.type", "adapter")
    w.add_string("adapter.type", "lora")
    w.add_float32("adapter.lora.alpha", float(s.alpha))
    w.add_string("general.name", s.name)
    count = 0
    for key, value in model.state_dict().items():
        if "lora_A" not in key and "lora_B" not in key:
            continue
        # base_model.model.model.layers.3.self_attn.v_proj.lora_A.default.weight
        parts = key.split(".")
        layer = int(parts[parts.index("layers") + 1])
        proj = next(p for p in parts if p in GGUF_NAMES)
        which = "lora_a" if "lora_A" in key else "lora_b"
        w.add_tensor(f"blk.{layer}.{GGUF_NAMES[proj]}.weight.{which}",
                     value.detach().float().numpy().astype(np.float16))
        count += 1
    if not count:
        raise ValueError("the model holds no LoRA weights to export")
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def read_gguf_adapter(model, path: Path) -> None:
    """Load a GGUF LoRA adapter written by :func:`write_gguf_adapter` into the peft model
    (same rank, layers and projections; anything else is an error naming the mismatch)."""
    import gguf
    import torch

    by_name = {t.name: t for t in gguf.GGUFReader(str(path)).tensors}
    state = model.state_dict()
    loaded = 0
    for key, value in state.items():
        if "lora_A" not in key and "lora_B" not in key:
            continue
        parts = key.split(".")
        layer = int(parts[parts.index("layers") + 1])
        proj = next(p for p in parts if p in GGUF_NAMES)
        name = f"blk.{layer}.{GGUF_NAMES[proj]}.weight.{'lora_a' if 'lora_A' in key else 'lora_b'}"
        t = by_name.get(name)
        if t is None:
            raise ValueError(f"{path} has no tensor {name}: it was trained with other layers or projections")
        data = torch.from_numpy(t.data.astype("float32").reshape(tuple(reversed([int(d) for d in t.shape]))))
        if data.shape != value.shape:
            raise ValueError(f"{path}: {name} is {tuple(data.shape)}, this run needs {tuple(value.shape)} "
                             "(another --rank?)")
        value.copy_(data)
        loaded += 1
    if not loaded:
        raise ValueError(f"{path} holds no LoRA weights this run can use")


if __name__ == "__main__":  # pragma: no cover - use `voice-agent train`
    sys.exit("use: voice-agent train --help")
