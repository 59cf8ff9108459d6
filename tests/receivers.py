"""Real servers that receive what the product sends: an SMTP server (aiosmtpd) and an HTTP
receiver for Slack-compatible chat webhooks, both on 127.0.0.1 with a port the system picks."""

from __future__ import annotations

import contextlib
import email
import email.policy
import json
import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller


@dataclass
class Mail:
    rcpt_tos: list[str]
    message: EmailMessage
    at: float = field(default_factory=time.time)  # when the server accepted it (for bench/)

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def body(self) -> str:
        """The text as written (SMTP carries CRLF line ends)."""
        return self.message.get_content().replace("\r\n", "\n")


@dataclass
class SmtpServer:
    """Accepts every message, except that the next ``refuse`` ones get a 451 (try again later)."""

    host: str = "127.0.0.1"
    port: int = 0
    refuse: int = 0
    mails: list[Mail] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def to(self, address: str) -> list[Mail]:
        with self.lock:
            return [mail for mail in self.mails if address in mail.rcpt_tos]

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's hook
        with self.lock:
            if self.refuse:
                self.refuse -= 1
                return "451 4.3.0 Mailbox busy, try again later"
            message = email.message_from_bytes(envelope.content, policy=email.policy.default)
            self.mails.append(Mail(list(envelope.rcpt_tos), message))  # type: ignore[arg-type]
        return "250 2.0.0 Message accepted"


class _Controller(Controller):
    """aiosmtpd's controller on a port the system picks (it needs the port to check readiness)."""

    def _trigger_server(self) -> None:
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


@contextlib.contextmanager
def smtp_server() -> Iterator[SmtpServer]:
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every SMTP command
    server = SmtpServer()
    controller = _Controller(server, hostname=server.host, port=0)
    controller.start()
    server.port = controller.port
    try:
        yield server
    finally:
        controller.stop()


@dataclass
class ChatPost:
    path: str
    body: dict[str, Any]
    at: float = field(default_factory=time.time)  # when it arrived (for bench/)


@dataclass
class ChatReceiver:
    """Records every POST; answers the next scripted statuses (then 200 ``ok``, as Slack does)."""

    host: str = "127.0.0.1"
    port: int = 0
    script: list[int] = field(default_factory=list)
    posts: list[ChatPost] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str) -> str:
        return f"http://{self.host}:{self.port}{path}"

    def to(self, path: str) -> list[ChatPost]:
        with self.lock:
            return [post for post in self.posts if post.path == path]


def _chat_handler(receiver: ChatReceiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's name
            pass

        def do_POST(self) -> None:  # noqa: N802
            raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with receiver.lock:
                status = receiver.script.pop(0) if receiver.script else 200
                if status == 200:
                    receiver.posts.append(ChatPost(self.path, json.loads(raw)))
            # Slack answers errors with a short text; this one repeats the path, as a proxy might.
            body = b"ok" if status == 200 else f"no_service for {self.path}".encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler


@contextlib.contextmanager
def chat_receiver() -> Iterator[ChatReceiver]:
    receiver = ChatReceiver()
    httpd = ThreadingHTTPServer((receiver.host, 0), _chat_handler(receiver))
    httpd.daemon_threads = True
    receiver.port = httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        httpd.shutdown()
        httpd.server_close()
