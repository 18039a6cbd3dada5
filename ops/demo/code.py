"""The demo staff accounts' second factor: every one has the same authenticator key
(``DEMO_TOTP_BASE32``, to type into an authenticator app), and this prints the code it
shows now, for trying the shop without one:  .venv/bin/python -m ops.demo.code"""

import binascii
import time

from django_otp.oath import totp

DEMO_TOTP_KEY_HEX = "6d616c6c2d64656d6f2d7365636f6e642d666163"
DEMO_TOTP_BASE32 = "NVQWY3BNMRSW23ZNONSWG33OMQWWMYLD"  # the same key, as apps take it


def current_code() -> str:
    return f"{totp(binascii.unhexlify(DEMO_TOTP_KEY_HEX), t0=0, step=30, digits=6):06d}"


if __name__ == "__main__":
    print(current_code(), f"(valid for {30 - int(time.time()) % 30} more seconds)")
