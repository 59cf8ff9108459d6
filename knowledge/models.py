from __future__ import annotations

import uuid

from django.contrib.postgres.functions import RandomUUID
from django.db import models
from django.db.models.functions import Now
from pgvector.django import HnswIndex, VectorField

EMBEDDING_DIMENSIONS = 1536


class KbDocument(models.Model):
    """A knowledge-base document, or one chunk of a large source file."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, db_default=RandomUUID(), editable=False)
    project = models.TextField(null=True, blank=True)
    persona = models.TextField(null=True, blank=True)
    path = models.TextField()
    content = models.TextField()
    created_at = models.DateTimeField(db_default=Now())
    # Additions: re-ingest is idempotent by (path, chunk_index) and content_hash.
    chunk_index = models.IntegerField(default=0, db_default=0)
    content_hash = models.TextField(default="", db_default="")

    class Meta:
        db_table = "kb_documents"
        verbose_name = "knowledge document"
        indexes = [models.Index(fields=["project", "persona"], name="kb_documents_scope_idx")]
        constraints = [
            models.UniqueConstraint(fields=["path", "chunk_index"], name="kb_documents_path_chunk_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.path}#{self.chunk_index}"


class KbEmbedding(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, db_default=RandomUUID(), editable=False)
    doc = models.ForeignKey(
        KbDocument, on_delete=models.CASCADE, db_column="doc_id", related_name="embeddings"
    )
    embedding = VectorField(dimensions=EMBEDDING_DIMENSIONS)
    # Vectors of different models are never compared: search filters on the active model.
    model = models.TextField(default="", db_default="")

    class Meta:
        db_table = "kb_embeddings"
        verbose_name = "knowledge embedding"
        indexes = [
            HnswIndex(
                name="kb_embeddings_hnsw_cosine",
                fields=["embedding"],
                m=16,
                ef_construction=64,
                opclasses=["vector_cosine_ops"],
            )
        ]
        constraints = [models.UniqueConstraint(fields=["doc", "model"], name="kb_embeddings_doc_model_uniq")]

    def __str__(self) -> str:
        return f"embedding of {self.doc_id} ({self.model})"
