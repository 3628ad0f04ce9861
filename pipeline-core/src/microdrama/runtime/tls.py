"""TLS for gRPC from file paths: server credentials (mutual when a CA is given) and channel credentials."""

from __future__ import annotations

from pathlib import Path

import grpc

from microdrama.errors import InputError


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read the {what}: {exc.strerror}", file=str(path)) from exc


def server_credentials(
    cert_file: Path | None, key_file: Path | None, ca_file: Path | None, *, require_client_cert: bool
) -> grpc.ServerCredentials | None:
    """None means plaintext (development only). With a CA file, a client certificate it signed is required."""
    if cert_file is None and key_file is None:
        if ca_file is not None:
            raise InputError("MD_TLS_CA_FILE is set without MD_TLS_CERT_FILE and MD_TLS_KEY_FILE")
        return None
    if cert_file is None or key_file is None:
        raise InputError("TLS needs both MD_TLS_CERT_FILE and MD_TLS_KEY_FILE")
    pair = (_read(key_file, "TLS key"), _read(cert_file, "TLS certificate"))
    ca = _read(ca_file, "TLS CA bundle") if ca_file else None
    return grpc.ssl_server_credentials(
        [pair], root_certificates=ca, require_client_auth=require_client_cert and ca is not None
    )


def channel_credentials(
    ca_file: Path | None, cert_file: Path | None = None, key_file: Path | None = None
) -> grpc.ChannelCredentials:
    """Verifies the server with the CA (system roots when None); presents a client certificate if given."""
    ca = _read(ca_file, "TLS CA bundle") if ca_file else None
    key = _read(key_file, "TLS key") if key_file else None
    cert = _read(cert_file, "TLS certificate") if cert_file else None
    return grpc.ssl_channel_credentials(root_certificates=ca, private_key=key, certificate_chain=cert)
