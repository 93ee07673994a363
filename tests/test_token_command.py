"""`contracts token` says which key it signed with, and refuses one the service cannot use.

Run with another DATA_DIR than the service's, it used to create a new development secret
silently and print a token that the service then refused as UNAUTHENTICATED.
"""

from __future__ import annotations

import json
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from api.cli import main
from api.settings import DEV_SECRET_FILE

SECRET = "a-jwt-secret-of-at-least-32-bytes-" + "x" * 8


@pytest.fixture
def environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("MONGODB_URI", "JWT_SECRET", "JWT_PUBLIC_KEYS", "JWT_JWKS_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    return tmp_path


def test_without_the_services_development_secret_it_refuses(
    environment: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as refused:
        main(["token", "compliance"])
    assert refused.value.code == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert str(environment / DEV_SECRET_FILE) in captured.err
    assert "JWT_SECRET" in captured.err
    # Nothing was created: a secret made here would be one the service never uses.
    assert not (environment / DEV_SECRET_FILE).exists()


def test_with_the_development_secret_it_says_so(
    environment: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    secret = "s" * 64
    (environment / DEV_SECRET_FILE).write_text(secret)
    main(["token", "compliance"])
    captured = capsys.readouterr()
    claims = jwt.decode(captured.out.strip(), secret, algorithms=["HS256"])
    assert claims["role"] == "compliance"
    assert f"the development secret in {environment / DEV_SECRET_FILE}" in captured.err


def test_with_jwt_secret_it_says_so(
    environment: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("JWT_SECRET", SECRET)
    main(["token", "compliance"])
    captured = capsys.readouterr()
    jwt.decode(captured.out.strip(), SECRET, algorithms=["HS256"])
    assert "JWT_SECRET" in captured.err
    assert not (environment / DEV_SECRET_FILE).exists()


def test_with_public_keys_only_it_needs_the_private_key(
    environment: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    keys = environment / "jwks.json"
    keys.write_text(json.dumps({"keys": []}))
    monkeypatch.setenv("JWT_PUBLIC_KEYS", str(keys))
    with pytest.raises(SystemExit) as refused:
        main(["token", "compliance"])
    assert refused.value.code == 1
    assert "--private-key" in capsys.readouterr().err
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = environment / "key.pem"
    pem.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    main(["token", "compliance", "--private-key", str(pem), "--kid", "k1"])
    captured = capsys.readouterr()
    assert jwt.get_unverified_header(captured.out.strip())["kid"] == "k1"
    assert str(pem) in captured.err
    assert "k1" in captured.err
