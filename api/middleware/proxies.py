"""Which proxies to believe: ``trusted_proxies`` (addresses or networks, comma-separated;
empty by default) decides, and nothing else.

With none trusted, the client's address is the socket's peer and ``X-Forwarded-For`` /
``X-Forwarded-Proto`` are ignored, from loopback too (uvicorn's own default trusts
127.0.0.1, so anyone on the host, or a proxy that passes the header through, could choose
the address the sign-in throttle counts against). With proxies listed, uvicorn takes the
client as the right-most hop in ``X-Forwarded-For`` that is not a trusted proxy, and the
scheme from ``X-Forwarded-Proto``, only when the peer itself is trusted.

Every place that starts uvicorn passes these options (``samflow serve``, the benchmark; the
deploy files run ``samflow serve``).
"""

from __future__ import annotations

import ipaddress
from typing import Any

from engine.domain.errors import InvalidInput
from engine.settings import Settings


def trusted(settings: Settings) -> list[str]:
    """The trusted proxies, each checked: an address or a network (``10.0.0.0/8``)."""
    found = [p.strip() for p in settings.trusted_proxies.split(",") if p.strip()]
    for item in found:
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError:
            raise InvalidInput.field(
                "SAMFLOW_TRUSTED_PROXIES",
                f"{item!r} is not an address or a network",
                f"{item!r} är inte en adress eller ett nät",
            ) from None
    return found


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """``proxy_headers`` and ``forwarded_allow_ips`` for ``uvicorn.run``/``uvicorn.Config``."""
    proxies = trusted(settings)
    return {"proxy_headers": bool(proxies), "forwarded_allow_ips": ",".join(proxies)}


def uvicorn_args(settings: Settings) -> list[str]:
    """The same as ``uvicorn`` command-line options."""
    proxies = trusted(settings)
    if not proxies:
        return ["--no-proxy-headers"]
    return ["--proxy-headers", "--forwarded-allow-ips", ",".join(proxies)]
