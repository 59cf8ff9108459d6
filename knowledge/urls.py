from __future__ import annotations

from django.urls import path

from knowledge.api import KbDocumentsView, KbDocumentView, KbSearchView

urlpatterns = [
    path("kb/documents", KbDocumentsView.as_view(), name="kb-documents"),
    path("kb/documents/<uuid:doc_id>", KbDocumentView.as_view(), name="kb-document"),
    path("kb/search", KbSearchView.as_view(), name="kb-search"),
]
