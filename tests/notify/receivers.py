"""What the delivery tests send to, started by the tests themselves on 127.0.0.1: an HTTP(S) receiver
in a thread (http.server) that records each request and answers with the status codes it is told,
and an SMTP server (aiosmtpd) with STARTTLS and a login. TLS uses a certificate made here for
127.0.0.1, which the clients trust through REQUESTS_CA_BUNDLE (requests: Apprise's chat plugins)
and SSL_CERT_FILE (ssl's default context: Apprise's SMTP), so nothing is told to skip verification."""
from __future__ import annotations

import datetime as dt
import email
import email.policy
import ipaddress
import json
import socket
import ssl
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

SMTP_USER, SMTP_PASSWORD = "opsmetrics@example.com", "smtp-Pa55:w/rd@%planted"  # the server's login


@dataclass(frozen=True)
class Certificate:
    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert, self.key)
        return context


def make_certificate(folder: Path) -> Certificate:
    """A self-signed certificate for 127.0.0.1 and localhost, valid for a day."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "opsmetrics test receiver")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(hours=1)).not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                                                        x509.DNSName("localhost")]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    out = Certificate(folder / "cert.pem", folder / "key.pem")
    out.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    out.key.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    return out


@dataclass
class Received:
    path: str  # with its query
    headers: dict[str, str]
    body: str

    @property
    def json(self) -> dict:
        return json.loads(self.body)


@dataclass
class Receiver:
    """An HTTP(S) server on 127.0.0.1 recording every POST. `statuses`: the status of each request in
    turn, then `otherwise` (200)."""

    certificate: Certificate | None = None
    statuses: list[int] = field(default_factory=list)
    otherwise: int = 200
    received: list[Received] = field(default_factory=list)

    def __post_init__(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode("utf-8")
                receiver.received.append(Received(self.path, dict(self.headers), body))
                status = receiver.statuses.pop(0) if receiver.statuses else receiver.otherwise
                # what each service answers on success: Slack's hooks "ok", DingTalk and Feishu a code 0
                answer = b"ok" if self.path.startswith("/services/") else b'{"errcode": 0, "code": 0}'
                self.send_response(status)
                self.send_header("Content-Type", "text/plain" if answer == b"ok" else "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args) -> None:  # quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        if self.certificate is not None:
            self.server.socket = self.certificate.server_context().wrap_socket(self.server.socket, server_side=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    @property
    def base(self) -> str:
        return f"{'https' if self.certificate else 'http'}://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclass
class Mail:
    sender: str
    recipients: list[str]
    subject: str
    body: str
    raw: str


class SmtpServer:
    """aiosmtpd on 127.0.0.1 with STARTTLS required and a login (`user`, `password`)."""

    def __init__(self, certificate: Certificate, user: str, password: str) -> None:
        self.mails: list[Mail] = []
        self.logins: list[tuple[str, str]] = []
        server = self

        class Handler:
            async def handle_DATA(self, smtp, session, envelope):  # noqa: N802 - aiosmtpd's name
                message = email.message_from_bytes(envelope.content, policy=email.policy.default)
                server.mails.append(Mail(envelope.mail_from, list(envelope.rcpt_tos), str(message["Subject"]),
                                         message.get_body(("plain", "html")).get_content(),
                                         envelope.content.decode("utf-8", "replace")))
                return "250 OK"

        def authenticate(smtp, session, envelope, mechanism, auth_data):
            login = (auth_data.login.decode(), auth_data.password.decode())
            self.logins.append(login)
            return AuthResult(success=login == (user, password), handled=False)

        self.port = free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port,
                                     tls_context=certificate.server_context(), require_starttls=True,
                                     authenticator=authenticate, auth_require_tls=True)
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
