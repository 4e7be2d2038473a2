"""DPoP (RFC 9449): access tokens bound to a key this connection holds, proven on every request.

With ``OAuth(dpop=True)`` each connection makes an EC P-256 key pair (``DPoPKey``) that never
leaves the process: not stored, not shown in a repr, not logged. Every token request carries a
proof signed with it (``DPoP:`` header, RFC 9449 §5), so the authorization server can bind the
token it issues to the key; a token issued as ``token_type: DPoP`` is then sent as
``Authorization: DPoP <token>`` with a fresh proof naming the request and the token (§7), so a
stolen token is useless without the key. Servers may insist on a nonce of theirs in the proofs
(§8, §9): the one a server hands out in ``DPoP-Nonce`` is kept per server and used from then on,
and a request refused with ``use_dpop_nonce`` is sent again, once, with it.

An authorization server that does not do DPoP issues ordinary bearer tokens, and those are sent
as bearer tokens. The SDK's OAuth flow knows nothing of this: ``OAuthAuth`` passes each request it
sends through ``DPoP.outgoing`` and each response through ``DPoP.incoming``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from urllib.parse import parse_qs

import httpx2
import jwt
from cryptography.hazmat.primitives.asymmetric import ec

__all__ = ["DPoP", "DPoPKey"]

_ALGORITHM = "ES256"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _origin(url: httpx2.URL) -> str:
    return f"{url.scheme}://{url.netloc.decode('ascii')}"


class DPoPKey:
    """A key pair for one connection's proofs. Its private half is never shown or written."""

    def __init__(self) -> None:
        self._private = ec.generate_private_key(ec.SECP256R1())
        numbers = self._private.public_key().public_numbers()
        self.jwk = {
            "kty": "EC",
            "crv": "P-256",
            "x": _b64url(numbers.x.to_bytes(32, "big")),
            "y": _b64url(numbers.y.to_bytes(32, "big")),
        }

    def __repr__(self) -> str:
        return "<DPoPKey P-256>"

    def __reduce__(self) -> tuple[object, ...]:  # a copy is a new key, never this one's private half
        raise TypeError("a DPoP key cannot be copied or pickled")

    def proof(self, method: str, url: httpx2.URL, access_token: str | None = None, nonce: str | None = None) -> str:
        """A proof for one request (RFC 9449 §4.2): fresh ``jti``, the method and the URL without
        query or fragment, ``ath`` binding the access token, the server's nonce when it gave one."""
        claims: dict[str, object] = {
            "jti": secrets.token_urlsafe(16),
            "htm": method.upper(),
            "htu": str(url.copy_with(query=None, fragment=None)),
            "iat": int(time.time()),
        }
        if access_token is not None:
            claims["ath"] = _b64url(hashlib.sha256(access_token.encode("ascii")).digest())
        if nonce is not None:
            claims["nonce"] = nonce
        return jwt.encode(claims, self._private, algorithm=_ALGORITHM, headers={"typ": "dpop+jwt", "jwk": self.jwk})


def _is_token_request(request: httpx2.Request) -> bool:
    if request.method != "POST" or "x-www-form-urlencoded" not in request.headers.get("content-type", ""):
        return False
    try:
        return "grant_type" in parse_qs(request.content.decode("ascii", "replace"))
    except httpx2.RequestNotRead:
        return False


async def _json(response: httpx2.Response) -> object:
    """The body of a token endpoint's answer (read here: the transport streams responses)."""
    try:
        return json.loads(await response.aread())
    except ValueError:
        return None


class DPoP:
    """DPoP for one connection: its key, the nonces its servers handed out, its bound tokens."""

    def __init__(self) -> None:
        self.key = DPoPKey()
        self._nonces: dict[str, str] = {}  # server origin -> the latest DPoP-Nonce it sent
        self._bound: set[str] = set()  # access tokens issued as token_type DPoP

    def __repr__(self) -> str:
        return f"<DPoP {self.key!r}, {len(self._bound)} bound token(s)>"

    def outgoing(self, request: httpx2.Request) -> httpx2.Request:
        """Add a fresh proof to a token request, or to a request carrying a bound token (whose
        scheme becomes ``DPoP``); anything else goes as it is."""
        nonce = self._nonces.get(_origin(request.url))
        if _is_token_request(request):
            request.headers["DPoP"] = self.key.proof("POST", request.url, nonce=nonce)
            return request
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() in ("bearer", "dpop") and token in self._bound:
            request.headers["Authorization"] = f"DPoP {token}"
            request.headers["DPoP"] = self.key.proof(request.method, request.url, access_token=token, nonce=nonce)
        return request

    async def incoming(self, response: httpx2.Response) -> bool:
        """Keep the nonce a server sends; True when the request was refused for want of it and
        should go again (with a fresh proof carrying it)."""
        request = response.request
        nonce = response.headers.get("dpop-nonce")
        if nonce:
            self._nonces[_origin(request.url)] = nonce
        if not nonce or "dpop" not in request.headers:
            return False
        if response.status_code == 401:
            return "use_dpop_nonce" in response.headers.get("www-authenticate", "")
        if response.status_code != 400 or not _is_token_request(request):
            return False
        body = await _json(response)
        return isinstance(body, dict) and body.get("error") == "use_dpop_nonce"

    async def token_response(self, response: httpx2.Response) -> httpx2.Response:
        """A token response as the SDK can read it: a ``token_type: DPoP`` token is remembered as
        bound, and handed on as a bearer token (the SDK knows no other type; ``outgoing`` sends it
        as DPoP)."""
        if response.status_code != 200 or not _is_token_request(response.request):
            return response
        body = await _json(response)
        if not isinstance(body, dict) or str(body.get("token_type", "")).lower() != "dpop":
            return response
        self._bound.add(str(body.get("access_token")))
        body["token_type"] = "Bearer"
        kept = {k: v for k, v in response.headers.items() if k.lower() not in ("content-length", "content-encoding")}
        return httpx2.Response(response.status_code, headers=kept, json=body, request=response.request)
