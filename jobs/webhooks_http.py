"""One webhook POST, safe against server-side request forgery.

    target = await resolve_target(url, allow_private=False)   # or raises RefusedTarget
    answer = await post_webhook(client, target, body, headers, time_limit=10.0)

A webhook URL is chosen by a user and fetched by our workers, so it must not
reach what only the workers can reach (the metadata service, Redis, an admin
port on localhost). The rules:

- http and https only, no credentials in the URL;
- the host is resolved once, and every address it resolves to must be public
  (not loopback, private, link-local — which holds 169.254.169.254, the cloud
  metadata address —, shared, reserved, unspecified or multicast; IPv4 mapped
  into IPv6 is judged as IPv4); one bad address refuses the whole name, so a
  name cannot pair a public address with an internal one;
- the request goes to the address that was checked: the URL's host is swapped
  for the IP and the name travels as the Host header and, for https, as the TLS
  server name (certificates are still verified against the name), so DNS is
  never asked again between the check and the connection;
- no redirects, a total timeout, and at most MAX_RESPONSE_BYTES of the answer
  are read.

`allow_private` (WEBHOOK_ALLOW_PRIVATE) lifts the address rule only; the
scheme rule and everything else stay.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit, urlunsplit

import httpx

MAX_RESPONSE_BYTES = 4096
# A resolver that hangs must not hold a createWebhook request or a delivery for long.
RESOLVE_SECONDS = 5.0
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class RefusedTarget(ValueError):
    """The URL may not be called; the message says why (shown to the webhook's owner)."""


class Unresolvable(RefusedTarget):
    """The name does not resolve now; unlike a refusal, that may change (a retry may succeed)."""


@dataclass(frozen=True, slots=True)
class Target:
    url: str  # as the user gave it
    host: str  # the name, for the Host header and TLS
    address: IPAddress  # the checked address the request goes to
    request_url: str  # the URL with the address in place of the name


@dataclass(frozen=True, slots=True)
class Answer:
    status_code: int | None
    seconds: float
    error: str | None = None
    retry_after: float | None = None
    excerpt: bytes = b""
    # The URL broke the rules (scheme, address): no retry can succeed.
    refused: bool = False


def check_url(url: str) -> SplitResult:
    """The rules that need no DNS: scheme, host, no credentials."""
    try:
        parts = urlsplit(url)
        _ = parts.port  # raises on a bad port
    except ValueError as exc:
        raise RefusedTarget(f"not a valid URL: {exc}") from exc
    if parts.scheme not in ("http", "https"):
        raise RefusedTarget("only http and https URLs are allowed")
    if not parts.hostname:
        raise RefusedTarget("the URL has no host")
    if parts.username or parts.password:
        raise RefusedTarget("credentials in the URL are not allowed")
    return parts


def is_public(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    # is_global is False for loopback, private, link-local (169.254.169.254), shared
    # (100.64/10), reserved, documentation and unspecified ranges; multicast is checked apart
    # because some multicast ranges count as global.
    return address.is_global and not address.is_multicast


async def _resolve(host: str, port: int) -> list[IPAddress]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    try:
        async with asyncio.timeout(RESOLVE_SECONDS):
            infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except TimeoutError as exc:
        raise Unresolvable(f"{host} did not resolve within {RESOLVE_SECONDS:g} s") from exc
    except OSError as exc:
        raise Unresolvable(f"{host} does not resolve: {exc.strerror or exc}") from exc
    addresses: list[IPAddress] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise Unresolvable(f"{host} does not resolve")
    return addresses


async def resolve_target(url: str, *, allow_private: bool) -> Target:
    parts = check_url(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    addresses = await _resolve(host, port)
    if not allow_private:
        for address in addresses:
            if not is_public(address):
                raise RefusedTarget(
                    f"{host} resolves to {address}, a loopback, private, link-local or otherwise "
                    "non-public address"
                )
    address = addresses[0]
    literal = f"[{address}]" if address.version == 6 else str(address)
    netloc = f"{literal}:{parts.port}" if parts.port else literal
    request_url = urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))
    return Target(url=url, host=host, address=address, request_url=request_url)


def _host_header(target: Target) -> str:
    port = urlsplit(target.url).port
    host = f"[{target.host}]" if ":" in target.host else target.host
    return f"{host}:{port}" if port else host


def _retry_after(value: str | None) -> float | None:
    """Retry-After in seconds (an HTTP date is ignored: delta-seconds is what servers send)."""
    if not value:
        return None
    try:
        return max(0.0, float(value.strip()))
    except ValueError:
        return None


async def post_webhook(
    client: httpx.AsyncClient, target: Target, body: bytes, headers: dict[str, str], *, time_limit: float
) -> Answer:
    """POST `body` to the checked address; never raises for what the receiver does."""
    started = time.perf_counter()
    request_headers = {
        **headers,
        "host": _host_header(target),
        "content-type": "application/json",
        "user-agent": "docat-webhooks/1",
    }
    extensions = {"sni_hostname": target.host} if target.request_url.startswith("https:") else {}
    try:
        async with asyncio.timeout(time_limit):
            request = client.build_request(
                "POST", target.request_url, content=body, headers=request_headers, extensions=extensions
            )
            response = await client.send(request, stream=True, follow_redirects=False)
            try:
                excerpt = b""
                async for piece in response.aiter_raw():
                    excerpt += piece
                    if len(excerpt) >= MAX_RESPONSE_BYTES:
                        break
            finally:
                await response.aclose()
    except TimeoutError:
        return Answer(None, time.perf_counter() - started, f"timed out after {time_limit:g} s")
    except httpx.HTTPError as exc:
        return Answer(None, time.perf_counter() - started, f"{type(exc).__name__}: {exc}"[:500])
    return Answer(
        response.status_code,
        time.perf_counter() - started,
        None,
        _retry_after(response.headers.get("retry-after")),
        excerpt[:MAX_RESPONSE_BYTES],
    )
