"""Key derivation for the settings (importable before Django is configured)."""

import base64
import hashlib


def derived_key(secret: str, purpose: str) -> str:
    """A Fernet key derived from ``secret``: the development default only."""
    digest = hashlib.sha256(f"{purpose}:{secret}".encode()).digest()
    return base64.urlsafe_b64encode(digest).decode()
