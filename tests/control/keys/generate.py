#!/usr/bin/env python3
"""Makes the test keys and the tokens signed with them (run once, offline;
the outputs are committed). Needs python3 and the openssl command.

The tokens expire in 2100 (`exp` 4102444800), except `rs256-expired.jwt`
(2001), so the suite needs no signing code for RSA or ECDSA: it checks these
tokens against the public keys. HS256 tokens are made by the tests."""

import base64
import json
import subprocess
from pathlib import Path

HERE = Path(__file__).resolve().parent


def run(*args, data=None):
    return subprocess.run(args, input=data, check=True, capture_output=True).stdout


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def der_ecdsa_to_raw(der: bytes) -> bytes:
    """ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER } into r || s (32 bytes each)."""
    assert der[0] == 0x30
    i = 2
    out = b""
    for _ in range(2):
        assert der[i] == 0x02
        length = der[i + 1]
        value = der[i + 2 : i + 2 + length].lstrip(b"\x00")
        out += value.rjust(32, b"\x00")
        i += 2 + length
    return out


def sign(alg: str, claims: dict, key: Path) -> str:
    header = b64(json.dumps({"alg": alg, "typ": "JWT"}, separators=(",", ":")).encode())
    payload = b64(json.dumps(claims, separators=(",", ":")).encode())
    signing_input = f"{header}.{payload}".encode()
    signature = run("openssl", "dgst", "-sha256", "-sign", str(key), data=signing_input)
    if alg == "ES256":
        signature = der_ecdsa_to_raw(signature)
    return f"{header}.{payload}.{b64(signature)}"


def main():
    rsa = HERE / "rs256-private.pem"
    ec = HERE / "es256-private.pem"
    if not rsa.exists():
        run("openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", str(rsa))
    if not ec.exists():
        run("openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", str(ec))
    (HERE / "rs256-public.pem").write_bytes(run("openssl", "pkey", "-in", str(rsa), "-pubout"))
    (HERE / "es256-public.pem").write_bytes(run("openssl", "pkey", "-in", str(ec), "-pubout"))
    tokens = {
        "rs256-valid.jwt": sign("RS256", {"sub": "rsa-user", "exp": 4102444800, "role": "admin"}, rsa),
        "rs256-expired.jwt": sign("RS256", {"sub": "rsa-user", "exp": 1000000000}, rsa),
        "es256-valid.jwt": sign("ES256", {"sub": "ec-user", "exp": 4102444800, "role": "viewer"}, ec),
    }
    for name, token in tokens.items():
        (HERE / name).write_text(token + "\n")


if __name__ == "__main__":
    main()
