"""django-q2 entry points of the knowledge base. Tasks take primary keys and claim before work."""

from __future__ import annotations

from knowledge.services import kb_embed_documents, kb_embed_sweep


def kb_embed_batch(doc_ids: list[str]) -> dict[str, int]:
    """Embed one batch of documents; documents already claimed or embedded are skipped."""
    outcome = kb_embed_documents(doc_ids=doc_ids)
    return {"claimed": outcome.claimed, "embedded": outcome.embedded, "failed": outcome.failed}


def kb_embed_pending() -> int:
    """Periodic sweep: re-queue documents whose job was lost or failed (retried until max attempts)."""
    return kb_embed_sweep()
