"""The demo pipeline: iggy → ideate gate → riley → alex → prepublish gate → quinn, as a LangGraph graph.

The personas are deterministic stand-ins (no LLM, no network beyond our own server), wired
through the real services: iggy searches the knowledge base (``retrieval.trace`` + ``citations``)
and writes ``idea`` artifacts; gates are opened with ``runs.services.gate_open`` and wait in a
LangGraph ``interrupt()``; riley's clip and alex's render arrive as signed kie.ai and Shotstack
callbacks POSTed to our own ``/api/v1/webhooks/{provider}`` endpoint, whose handlers record the
artifacts; quinn publishes through ``socials.services.publication_request``.

Opening a gate and waiting at it are two nodes on purpose: LangGraph re-runs the interrupted
node from its start on resume, and ``gate_open`` must not run a second time then.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Protocol, TypedDict

import httpx
from django.conf import settings
from django.templatetags.static import static
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.types import interrupt

from artifacts.models import Artifact, ArtifactType
from artifacts.services import artifact_create
from knowledge.services import kb_search
from runs.models import Gate, GateRequest, GateStatus, Run, RunStatus
from runs.services import gate_open, run_get, run_transition
from socials.models import PublicationStatus
from socials.services import publication_request

PERSONAS = ("iggy", "riley", "alex", "quinn")
# Gate names as plain strings: they key the graph's state and go into checkpoints as they are.
IDEATE, PREPUBLISH = Gate.IDEATE.value, Gate.PREPUBLISH.value
IDEA_TEMPLATES = (
    "Slow close-up of {topic}, one continuous take, no music: only the sound",
    "Three textures of {topic} in thirty seconds, each cut on a sound peak",
    "Hands-only {topic}, top-down, natural light, whispered count to ten",
)
NodeCounter = Callable[[str], None]


class PipelineError(Exception):
    """A stand-in step could not complete (e.g. its callback was never processed)."""


class PipelineState(TypedDict, total=False):
    run_id: str
    project: str
    topic: str
    base_url: str
    ideas: list[dict[str, str]]
    citations: list[str]
    citations_id: str
    ideate_gate: int
    ideate: dict[str, str]
    clip: dict[str, str]
    render: dict[str, str]
    prepublish_gate: int
    prepublish: dict[str, str]
    publish_url: str | None
    outcome: str


class Node(Protocol):
    """A node of the graph. LangGraph's node protocols match the ``state`` parameter by name,
    which a plain ``Callable[[PipelineState], PipelineState]`` does not carry."""

    def __call__(self, state: PipelineState) -> PipelineState: ...


def actor(persona: str) -> str:
    return f"persona:{persona}"


# --- iggy: ideas from the knowledge base ----------------------------------------------------------


def iggy(state: PipelineState) -> PipelineState:
    """Search the knowledge base (recording the RAG audit trail) and write three ideas."""
    run_id, project, topic = state["run_id"], state["project"], state["topic"]
    ensure_running(run_id, "iggy")
    found = kb_search(
        query=f"{project} short video ideas about {topic}",
        actor=actor("iggy"),
        k=3,
        project=project,
        persona="iggy",
        mode="hybrid",  # works before the documents' embeddings are computed
        run_id=run_id,
    )
    sources = [hit.path for hit in found.hits]
    ideas = []
    for index, template in enumerate(IDEA_TEMPLATES):
        text = template.format(topic=topic)
        idea, _ = artifact_create(
            run_id=run_id,
            type=ArtifactType.IDEA,
            actor=actor("iggy"),
            persona="iggy",
            checksum=f"demo-idea-{index}",
            metadata={"text": text, "index": index, "sources": sources, "citations_id": found.citations_id},
        )
        ideas.append({"artifact_id": str(idea.pk), "text": text})
    return {"ideas": ideas, "citations": sources, "citations_id": found.citations_id or ""}


# --- gates ------------------------------------------------------------------------------------------


def ideate_review(state: PipelineState) -> list[str]:
    """The ideas and the RAG citations they came from: what the operator needs to judge them."""
    citations = [state["citations_id"]] if state.get("citations_id") else []
    return [idea["artifact_id"] for idea in state["ideas"]] + citations


def open_gate(gate: str, persona: str, artifacts: Callable[[PipelineState], list[str]]) -> Node:
    def node(state: PipelineState) -> PipelineState:
        gate_request, _ = gate_open(
            run_id=state["run_id"],
            gate=gate,
            actor=actor(persona),
            summary=f"{persona} asks for the {gate} review",
            artifact_ids=artifacts(state),
        )
        return {f"{gate}_gate": gate_request.pk}  # type: ignore[misc]

    return node


def await_gate(gate: str) -> Node:
    def node(state: PipelineState) -> PipelineState:
        gate_request = GateRequest.objects.get(pk=state[f"{gate}_gate"])  # type: ignore[literal-required]
        if gate_request.status == GateStatus.OPEN:
            # Waits here: the run sits in the operators' queue until pipeline_resume brings
            # the decision back, keyed by this interrupt's id.
            decision = interrupt(
                {"gate": gate, "gate_request_id": gate_request.pk, "run_id": state["run_id"]}
            )
        else:  # decided before we got here (a disabled gate, a very fast operator)
            decision = gate_decision(gate_request)
        return {gate: decision}  # type: ignore[misc]

    return node


def gate_decision(gate_request: GateRequest) -> dict[str, str]:
    """What resumes a gate's interrupt: the gate's closing status, who, why, and the idea the run
    goes ahead with (the id of the one chosen at an approved ideate gate, else empty)."""
    return {
        "status": gate_request.status,
        "by": gate_request.decided_by,
        "comment": gate_request.decision_comment,
        "idea": str(gate_request.chosen_idea_id or ""),
    }


def after_gate(gate: str, next_node: str) -> Callable[[PipelineState], str]:
    def route(state: PipelineState) -> str:
        return next_node if state[gate]["status"] == GateStatus.APPROVED else "stopped"  # type: ignore[literal-required]

    return route


def stopped(state: PipelineState) -> PipelineState:
    """A gate was rejected, expired or cancelled: the runs services already ended the run."""
    decided = state.get("prepublish") or state.get("ideate") or {}  # the state's keys (PipelineState)
    return {"outcome": decided.get("status", "stopped")}


# --- riley and alex: provider callbacks through our own webhook endpoint ---------------------------


def riley(state: PipelineState) -> PipelineState:
    """Produce the clip: kie.ai 'calls back' (a signed POST to our endpoint) with its result."""
    run_id = state["run_id"]
    ensure_running(run_id, "riley")
    task_id = f"demo-{run_id}-clip-0"
    body = {
        "code": 200,
        "msg": "success",
        "data": {
            "taskId": task_id,
            "info": {
                "resultUrls": [demo_media_url(state, "clip.webm")],
                "originUrls": [],
                "resolution": "1080p",
            },
            "fallbackFlag": False,
            "metadata": {"videoIndex": 0},
        },
    }
    timestamp = str(int(time.time()))
    secret = provider_secret("kieai")
    signature = base64.b64encode(
        hmac.new(secret.encode(), f"{task_id}.{timestamp}".encode(), hashlib.sha256).digest()
    )
    post_callback(
        state,
        "kieai",
        body,
        headers={"X-Webhook-Timestamp": timestamp, "X-Webhook-Signature": signature.decode()},
    )
    clip = wait_for_artifact(run_id, ArtifactType.CLIP)
    return {"clip": {"artifact_id": str(clip.pk), "url": clip.url or ""}}


def alex(state: PipelineState) -> PipelineState:
    """Edit and render: Shotstack 'calls back' (token-authenticated) with the final video."""
    run_id = state["run_id"]
    ensure_running(run_id, "alex")
    body = {
        "type": "edit",
        "action": "render",
        "id": f"demo-{run_id}-render",
        "owner": "demo",
        "status": "done",
        "url": demo_media_url(state, "final.webm"),
        "error": None,
        "completed": datetime.now(UTC).isoformat(),
    }
    post_callback(state, "shotstack", body, params={"token": provider_secret("shotstack")})
    render = wait_for_artifact(run_id, ArtifactType.RENDER_URL)
    return {"render": {"artifact_id": str(render.pk), "url": render.url or ""}}


def demo_media_url(state: PipelineState, name: str) -> str:
    """Small real video files this server serves itself (static/demo/), so the console's players
    play them: the stand-in personas produce no video, and a made-up CDN URL never loads."""
    return f"{state['base_url'].rstrip('/')}{static('demo/' + name)}"


def provider_secret(provider: str) -> str:
    config = settings.WEBHOOK_PROVIDERS.get(provider)
    if config is None or not config.secrets:
        variable = f"WEBHOOK_SECRET_{provider.upper().replace('-', '_')}"
        raise PipelineError(f"The demo signs its {provider} callbacks with {variable}; set it (any value)")
    return config.secrets[0]


def post_callback(
    state: PipelineState,
    provider: str,
    body: dict[str, Any],
    *,
    headers: dict[str, str] | None = None,
    params: dict[str, str] | None = None,
) -> None:
    """POST a provider's callback to our own endpoint over real HTTP, as the provider would."""
    url = f"{state['base_url'].rstrip('/')}/api/v1/webhooks/{provider}"
    try:
        response = httpx.post(
            url,
            json=body,
            params={"run_id": state["run_id"], **(params or {})},
            headers=headers or {},
            timeout=settings.LANGGRAPH_DEMO_HTTP_TIMEOUT,
        )
    except httpx.TransportError as exc:
        raise PipelineError(f"{provider} callback to {url} failed: {type(exc).__name__}: {exc}") from exc
    if response.status_code >= 300:
        raise PipelineError(
            f"{provider} callback to {url} answered {response.status_code}: {response.text[:300]}"
        )


def wait_for_artifact(run_id: str, type_: str) -> Artifact:
    """The webhook is processed by the webhook loop after the 2xx: wait for its artifact."""
    deadline = time.monotonic() + settings.LANGGRAPH_DEMO_WAIT_SECONDS
    while True:
        found = Artifact.objects.filter(run_id=run_id, type=type_).order_by("-created_at").first()
        if found is not None:
            return found
        if time.monotonic() > deadline:
            raise PipelineError(
                f"No {type_} artifact on run {run_id} after {settings.LANGGRAPH_DEMO_WAIT_SECONDS}s: "
                "is the webhook loop running (`manage.py process_webhooks`; make run starts it)?"
            )
        time.sleep(0.2)


# --- quinn: publish ---------------------------------------------------------------------------------


def quinn(state: PipelineState) -> PipelineState:
    """Publish the render through the socials service and wait for the run to be published."""
    run_id = state["run_id"]
    ensure_running(run_id, "quinn")
    # Every demo run renders the same small video: a caption naming the run makes each run's post
    # its own content (the same video and caption again would be refused as a duplicate post).
    publication, _ = publication_request(
        run_id=run_id,
        actor=actor("quinn"),
        video_url=state["render"]["url"],
        caption=f"{state['project']} demo: {state['topic']} ({run_id})",
    )
    deadline = time.monotonic() + settings.LANGGRAPH_DEMO_WAIT_SECONDS
    while True:
        publication.refresh_from_db()
        if publication.status == PublicationStatus.PUBLISHED:
            return {"publish_url": publication.publish_url, "outcome": RunStatus.PUBLISHED}
        if publication.status == PublicationStatus.FAILED:
            raise PipelineError(f"Publication {publication.pk} failed: {publication.error}")
        if time.monotonic() > deadline:
            # A real provider may answer later (upload_completed webhook): socials finishes it.
            return {"outcome": f"publishing ({publication.status})"}
        time.sleep(0.2)


def ensure_running(run_id: str, persona: str) -> Run:
    """A persona works on a running run (an approval may leave it ``pending``, per gate policy)."""
    run = run_get(run_id=run_id)
    if run.status == RunStatus.PENDING:
        run = run_transition(
            run_id=run_id, to=RunStatus.RUNNING, actor=actor(persona), reason=f"{persona} started"
        )
    return run


# --- the graph -------------------------------------------------------------------------------------


def build_graph(checkpointer: Any, *, counter: NodeCounter | None = None) -> CompiledStateGraph:
    """The compiled pipeline; ``counter(node)`` is told of every node execution (tests count)."""

    def counted(name: str, fn: Node) -> Node:
        if counter is None:
            return fn

        def node(state: PipelineState) -> PipelineState:
            counter(name)
            return fn(state)

        return node

    builder = StateGraph(PipelineState)
    nodes: dict[str, Node] = {
        "iggy": iggy,
        "open_ideate_gate": open_gate(IDEATE, "iggy", ideate_review),
        "ideate_gate": await_gate(IDEATE),
        "riley": riley,
        "alex": alex,
        "open_prepublish_gate": open_gate(
            PREPUBLISH, "alex", lambda s: [s["clip"]["artifact_id"], s["render"]["artifact_id"]]
        ),
        "prepublish_gate": await_gate(PREPUBLISH),
        "quinn": quinn,
        "stopped": stopped,
    }
    for name, fn in nodes.items():
        builder.add_node(name, counted(name, fn))
    builder.add_edge(START, "iggy")
    builder.add_edge("iggy", "open_ideate_gate")
    builder.add_edge("open_ideate_gate", "ideate_gate")
    builder.add_conditional_edges("ideate_gate", after_gate(IDEATE, "riley"), ["riley", "stopped"])
    builder.add_edge("riley", "alex")
    builder.add_edge("alex", "open_prepublish_gate")
    builder.add_edge("open_prepublish_gate", "prepublish_gate")
    builder.add_conditional_edges("prepublish_gate", after_gate(PREPUBLISH, "quinn"), ["quinn", "stopped"])
    builder.add_edge("quinn", END)
    builder.add_edge("stopped", END)
    return builder.compile(checkpointer=checkpointer)
