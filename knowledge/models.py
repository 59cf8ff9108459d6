from __future__ import annotations

import uuid

from django.contrib.postgres.functions import RandomUUID
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.db import models
from django.db.models.functions import Now
from pgvector.django import HnswIndex, VectorField

EMBEDDING_DIMENSIONS = 1536
# The text-search configuration of the generated tsvector column. It is part of the column's
# definition (a migration), not a setting: changing it means rewriting the column.
FULL_TEXT_CONFIG = "english"


class EmbeddingStatus(models.TextChoices):
    PENDING = "pending", "waiting for its vector"
    EMBEDDING = "embedding", "claimed by an embedding job"
    READY = "ready", "embedded"
    FAILED = "failed", "embedding failed"


class KbDocumentQuerySet(models.QuerySet["KbDocument"]):
    def for_source(self, path: str) -> KbDocumentQuerySet:
        """All chunks of one source document."""
        return self.filter(path=path)

    @staticmethod
    def vector_current_condition(model: str) -> models.Q:
        # "ready" refers to embedding_model: a vector of another model is stale (written once here).
        return models.Q(embedding_status=EmbeddingStatus.READY, embedding_model=model)

    def waiting_for_vector(self, model: str) -> KbDocumentQuerySet:
        """Documents without a current vector of ``model`` (pending, claimed, failed or stale)."""
        return self.exclude(self.vector_current_condition(model))

    def embedded_with(self, model: str) -> KbDocumentQuerySet:
        """Documents whose vector is of ``model``."""
        return self.filter(self.vector_current_condition(model))

    def with_vector_state(self, model: str) -> KbDocumentQuerySet:
        """Each document with ``waiting_for_vector`` (bool) for ``model``, by the same condition."""
        return self.annotate(
            waiting_for_vector=models.ExpressionWrapper(
                ~self.vector_current_condition(model), output_field=models.BooleanField()
            )
        )


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
    # Hash of the whole rendered source and its chunk count: an unchanged file is skipped
    # without re-chunking it.
    source_hash = models.TextField(default="", db_default="", blank=True)
    chunk_count = models.IntegerField(default=1, db_default=1)
    updated_at = models.DateTimeField(auto_now=True, db_default=Now())
    # Embedding lifecycle. "ready" refers to ``embedding_model``: after a model change every
    # document waits again until ``kb_reembed`` has given it a vector of the new model.
    embedding_status = models.TextField(
        choices=EmbeddingStatus.choices, default=EmbeddingStatus.PENDING, db_default=EmbeddingStatus.PENDING
    )
    embedding_model = models.TextField(default="", db_default="", blank=True)
    embedding_attempts = models.IntegerField(default=0, db_default=0)
    embedding_error = models.TextField(default="", db_default="", blank=True)
    embedding_claimed_at = models.DateTimeField(null=True, blank=True)
    embedded_at = models.DateTimeField(null=True, blank=True)
    # Full-text search of hybrid mode: maintained by PostgreSQL itself, GIN-indexed.
    search_vector = models.GeneratedField(
        expression=SearchVector("content", config=FULL_TEXT_CONFIG),
        output_field=SearchVectorField(),
        db_persist=True,
    )

    objects = KbDocumentQuerySet.as_manager()
    # Set on rows read through ``KbDocument.objects.with_vector_state(model)``.
    waiting_for_vector: bool

    class Meta:
        db_table = "kb_documents"
        verbose_name = "knowledge document"
        indexes = [
            models.Index(fields=["project", "persona"], name="kb_documents_scope_idx"),
            GinIndex(fields=["search_vector"], name="kb_documents_fts_gin"),
            # The embedding sweep looks for the few rows that are not ready.
            models.Index(
                fields=["embedding_status"],
                condition=~models.Q(embedding_status=EmbeddingStatus.READY),
                name="kb_documents_not_ready_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["path", "chunk_index"], name="kb_documents_path_chunk_uniq"),
            models.CheckConstraint(
                condition=models.Q(embedding_status__in=EmbeddingStatus.values),
                name="kb_documents_embedding_status_valid",
            ),
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
    created_at = models.DateTimeField(db_default=Now())

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
