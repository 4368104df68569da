"""Fixtures for the error-tracking tests: a local SMTP server (aiosmtpd) with STARTTLS,
implicit TLS or plain, and a self-signed certificate for it."""

from __future__ import annotations

import ssl
import subprocess

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from tests.net import free_port


class Inbox:
    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd handler hook
        self.envelopes.append(envelope)
        return "250 OK"


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = auth_data.login == b"alerts" and auth_data.password == b"s3cret"
    return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    directory = tmp_path_factory.mktemp("tls")
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )
    return cert, key


def server_context(certificate):
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    return context


@pytest.fixture
def smtp_server(request, certificate):
    """mode: 'starttls' (required, with login), 'ssl' (implicit TLS, with login) or 'none'."""
    mode = getattr(request, "param", "starttls")
    inbox, port = Inbox(), free_port()
    options = {}
    if mode == "starttls":
        options = {"tls_context": server_context(certificate), "require_starttls": True,
                   "authenticator": authenticator, "auth_required": True}
    elif mode == "ssl":
        # implicit TLS: aiosmtpd only counts STARTTLS as TLS, so let AUTH through explicitly
        options = {"ssl_context": server_context(certificate), "authenticator": authenticator,
                   "auth_required": True, "auth_require_tls": False}
    controller = Controller(inbox, hostname="127.0.0.1", port=port, **options)
    controller.start()
    yield inbox, port, mode
    controller.stop()
