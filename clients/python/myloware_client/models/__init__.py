"""Contains all the data models used in inputs/outputs"""

from .artifact import Artifact
from .artifact_create_request import ArtifactCreateRequest
from .artifact_page import ArtifactPage
from .checkpoint import Checkpoint
from .checkpoint_put_request import CheckpointPutRequest
from .citation import Citation
from .citations import Citations
from .decision import Decision
from .embedding_status_enum import EmbeddingStatusEnum
from .error import Error
from .error_body import ErrorBody
from .error_details import ErrorDetails
from .gate import Gate
from .gate_approve_in_decision_enum import GateApproveInDecisionEnum
from .gate_approve_in_request import GateApproveInRequest
from .gate_callback_status_enum import GateCallbackStatusEnum
from .gate_decision_enum import GateDecisionEnum
from .gate_decision_out import GateDecisionOut
from .gate_name_enum import GateNameEnum
from .gate_notification import GateNotification
from .gate_notification_channel_enum import GateNotificationChannelEnum
from .gate_notification_kind_enum import GateNotificationKindEnum
from .gate_notification_status_enum import GateNotificationStatusEnum
from .gate_open_request import GateOpenRequest
from .gate_page import GatePage
from .gate_reject_in_decision_enum import GateRejectInDecisionEnum
from .gate_reject_in_request import GateRejectInRequest
from .gate_status_enum import GateStatusEnum
from .intake_response import IntakeResponse
from .intake_response_status_enum import IntakeResponseStatusEnum
from .json_object import JsonObject
from .kb_delete_response import KbDeleteResponse
from .kb_document import KbDocument
from .kb_document_detail import KbDocumentDetail
from .kb_document_page import KbDocumentPage
from .kb_document_upsert_request import KbDocumentUpsertRequest
from .kb_search_hit import KbSearchHit
from .kb_search_request import KbSearchRequest
from .kb_search_response import KbSearchResponse
from .kb_upsert_response import KbUpsertResponse
from .kb_upsert_response_status_enum import KbUpsertResponseStatusEnum
from .link import Link
from .link_create_request import LinkCreateRequest
from .me import Me
from .mode_enum import ModeEnum
from .outcome_enum import OutcomeEnum
from .patched_run_patch_request import PatchedRunPatchRequest
from .patched_social_write_request import PatchedSocialWriteRequest
from .payload_drop_reason_enum import PayloadDropReasonEnum
from .project_social_page import ProjectSocialPage
from .publication import Publication
from .publication_page import PublicationPage
from .publication_status_enum import PublicationStatusEnum
from .publish_request import PublishRequest
from .publish_response import PublishResponse
from .replay_result import ReplayResult
from .retrieval_trace import RetrievalTrace
from .run import Run
from .run_create_request import RunCreateRequest
from .run_create_status_enum import RunCreateStatusEnum
from .run_list_item import RunListItem
from .run_page import RunPage
from .run_stats import RunStats
from .run_stats_counts import RunStatsCounts
from .run_status_enum import RunStatusEnum
from .scope_enum import ScopeEnum
from .signature_status_enum import SignatureStatusEnum
from .social import Social
from .social_page import SocialPage
from .social_write_request import SocialWriteRequest
from .timeline import Timeline
from .timeline_event import TimelineEvent
from .timeline_event_details import TimelineEventDetails
from .timeline_event_kind_enum import TimelineEventKindEnum
from .transition import Transition
from .transition_in_request import TransitionInRequest
from .webhook_dlq import WebhookDLQ
from .webhook_dlq_detail import WebhookDLQDetail
from .webhook_dlq_page import WebhookDLQPage
from .webhook_event import WebhookEvent
from .webhook_event_detail import WebhookEventDetail
from .webhook_event_detail_headers import WebhookEventDetailHeaders
from .webhook_event_detail_query import WebhookEventDetailQuery
from .webhook_event_headers import WebhookEventHeaders
from .webhook_event_page import WebhookEventPage
from .webhook_event_query import WebhookEventQuery
from .webhook_event_status_enum import WebhookEventStatusEnum
from .webhooks_receive_data_body import WebhooksReceiveDataBody
from .webhooks_receive_json_body import WebhooksReceiveJsonBody

__all__ = (
    "Artifact",
    "ArtifactCreateRequest",
    "ArtifactPage",
    "Checkpoint",
    "CheckpointPutRequest",
    "Citation",
    "Citations",
    "Decision",
    "EmbeddingStatusEnum",
    "Error",
    "ErrorBody",
    "ErrorDetails",
    "Gate",
    "GateApproveInDecisionEnum",
    "GateApproveInRequest",
    "GateCallbackStatusEnum",
    "GateDecisionEnum",
    "GateDecisionOut",
    "GateNameEnum",
    "GateNotification",
    "GateNotificationChannelEnum",
    "GateNotificationKindEnum",
    "GateNotificationStatusEnum",
    "GateOpenRequest",
    "GatePage",
    "GateRejectInDecisionEnum",
    "GateRejectInRequest",
    "GateStatusEnum",
    "IntakeResponse",
    "IntakeResponseStatusEnum",
    "JsonObject",
    "KbDeleteResponse",
    "KbDocument",
    "KbDocumentDetail",
    "KbDocumentPage",
    "KbDocumentUpsertRequest",
    "KbSearchHit",
    "KbSearchRequest",
    "KbSearchResponse",
    "KbUpsertResponse",
    "KbUpsertResponseStatusEnum",
    "Link",
    "LinkCreateRequest",
    "Me",
    "ModeEnum",
    "OutcomeEnum",
    "PatchedRunPatchRequest",
    "PatchedSocialWriteRequest",
    "PayloadDropReasonEnum",
    "ProjectSocialPage",
    "Publication",
    "PublicationPage",
    "PublicationStatusEnum",
    "PublishRequest",
    "PublishResponse",
    "ReplayResult",
    "RetrievalTrace",
    "Run",
    "RunCreateRequest",
    "RunCreateStatusEnum",
    "RunListItem",
    "RunPage",
    "RunStats",
    "RunStatsCounts",
    "RunStatusEnum",
    "ScopeEnum",
    "SignatureStatusEnum",
    "Social",
    "SocialPage",
    "SocialWriteRequest",
    "Timeline",
    "TimelineEvent",
    "TimelineEventDetails",
    "TimelineEventKindEnum",
    "Transition",
    "TransitionInRequest",
    "WebhookDLQ",
    "WebhookDLQDetail",
    "WebhookDLQPage",
    "WebhookEvent",
    "WebhookEventDetail",
    "WebhookEventDetailHeaders",
    "WebhookEventDetailQuery",
    "WebhookEventHeaders",
    "WebhookEventPage",
    "WebhookEventQuery",
    "WebhookEventStatusEnum",
    "WebhooksReceiveDataBody",
    "WebhooksReceiveJsonBody",
)
