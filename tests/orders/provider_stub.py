"""A stand-in for the providers' and carriers' servers: a real HTTP server on 127.0.0.1
that records every request and answers with what the test says, plus the key material a
provider would hand out (RSA keys, a self-signed "platform certificate"), made in the
test. Nothing here is the shop's code: the adapters speak real HTTP to it."""

import base64
import datetime
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID


@dataclass
class Seen:
    method: str
    path: str  # with the query
    headers: dict
    body: bytes

    @property
    def form(self) -> dict:
        return dict(parse_qsl(self.body.decode(), keep_blank_values=True))

    @property
    def query(self) -> dict:
        return dict(parse_qsl(urlsplit(self.path).query))

    def json(self):
        return json.loads(self.body)


@dataclass
class Stub:
    """``answer(seen) -> (status, headers, body bytes)`` decides each answer."""

    url: str
    requests: list = field(default_factory=list)
    answer: object = None


def serve(answer=None):
    """Start a stub server; returns (stub, stop)."""
    stub = Stub(url="")

    class Handler(BaseHTTPRequestHandler):
        def _handle(self):
            length = int(self.headers.get("Content-Length") or 0)
            seen = Seen(
                self.command, self.path, dict(self.headers.items()), self.rfile.read(length)
            )
            stub.requests.append(seen)
            status, headers, body = stub.answer(seen)
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _handle

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    stub.url = f"http://127.0.0.1:{server.server_address[1]}"
    stub.answer = answer
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def stop():
        server.shutdown()
        server.server_close()

    return stub, stop


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def private_pem(key) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def public_base64(key) -> bytes:
    """A public key as Alipay's console shows it: bare base64, no PEM armour."""
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(der)


def certificate(key, *, serial: int, days: int = 365, expired: bool = False) -> x509.Certificate:
    now = datetime.datetime.now(datetime.UTC)
    start = now - datetime.timedelta(days=2 * days if expired else 1)
    end = now - datetime.timedelta(days=1) if expired else now + datetime.timedelta(days=days)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Tenpay.com Root CA (test)")])
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(start)
        .not_valid_after(end)
        .sign(key, hashes.SHA256())
    )


def cert_pem(cert) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def rsa_sign(key, message: str | bytes) -> str:
    if isinstance(message, str):
        message = message.encode()
    return base64.b64encode(key.sign(message, padding.PKCS1v15(), hashes.SHA256())).decode()


def rsa_verify(public_key, message: str | bytes, signature: str) -> bool:
    if isinstance(message, str):
        message = message.encode()
    try:
        public_key.verify(base64.b64decode(signature), message, padding.PKCS1v15(), hashes.SHA256())
    except Exception:
        return False
    return True
