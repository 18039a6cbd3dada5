"""Reading the providers' keys and certificates from the files the environment names, and
the RSA signatures (SHA256withRSA, PKCS#1 v1.5) that Alipay's RSA2 and WeChat Pay's API v3
both use. Keys never live in the repository: only paths (and ids) come from settings.
"""

import base64
import datetime
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa


class KeyProblem(Exception):
    """A key or certificate is not configured, not readable, or expired."""


def read_file(path: str, what: str) -> bytes:
    if not path:
        raise KeyProblem(f"{what}: no file configured")
    try:
        return Path(path).read_bytes()
    except OSError as error:
        raise KeyProblem(f"{what}: cannot read {path} ({error.strerror})") from error


def _pem(data: bytes, kind: str) -> bytes:
    # Alipay's console hands out keys as bare base64 lines, without PEM armour.
    text = data.decode("ascii", errors="replace").strip()
    if text.startswith("-----BEGIN"):
        return text.encode()
    body = "\n".join(text[i : i + 64] for i in range(0, len(text), 64))
    return f"-----BEGIN {kind}-----\n{body}\n-----END {kind}-----\n".encode()


def private_key(path: str, what: str) -> rsa.RSAPrivateKey:
    data = read_file(path, what)
    try:
        key = serialization.load_pem_private_key(_pem(data, "PRIVATE KEY"), password=None)
    except ValueError as error:
        raise KeyProblem(f"{what}: {path} is not a PEM private key") from error
    if not isinstance(key, rsa.RSAPrivateKey):
        raise KeyProblem(f"{what}: {path} is not an RSA key")
    return key


def public_key(path: str, what: str) -> rsa.RSAPublicKey:
    data = read_file(path, what)
    pem = _pem(data, "PUBLIC KEY")
    try:
        if b"CERTIFICATE" in pem:
            key = x509.load_pem_x509_certificate(pem).public_key()
        else:
            key = serialization.load_pem_public_key(pem)
    except ValueError as error:
        raise KeyProblem(f"{what}: {path} is not a PEM public key or certificate") from error
    if not isinstance(key, rsa.RSAPublicKey):
        raise KeyProblem(f"{what}: {path} is not an RSA key")
    return key


def certificates(path: str, what: str, *, now=None) -> dict[str, x509.Certificate]:
    """The certificates in one PEM file (WeChat Pay publishes one or two platform
    certificates at a time), by serial number in upper-case hex, as the
    ``Wechatpay-Serial`` header names them. Raises ``KeyProblem`` when none is valid now."""
    data = read_file(path, what)
    try:
        found = x509.load_pem_x509_certificates(data)
    except ValueError as error:
        raise KeyProblem(f"{what}: {path} holds no PEM certificate") from error
    now = now or datetime.datetime.now(datetime.UTC)
    valid = {
        format(cert.serial_number, "X"): cert
        for cert in found
        if cert.not_valid_before_utc <= now <= cert.not_valid_after_utc
    }
    if not valid:
        latest = max(cert.not_valid_after_utc for cert in found)
        raise KeyProblem(f"{what}: every certificate in {path} expired (latest {latest:%Y-%m-%d})")
    return valid


def sign(key: rsa.RSAPrivateKey, message: str) -> str:
    signature = key.sign(message.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(signature).decode("ascii")


def verify(key: rsa.RSAPublicKey, message: str | bytes, signature: str) -> bool:
    if isinstance(message, str):
        message = message.encode("utf-8")
    try:
        key.verify(
            base64.b64decode(signature, validate=True), message, padding.PKCS1v15(), hashes.SHA256()
        )
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True
