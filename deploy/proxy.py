"""Render the nginx configuration for N lab replicas from ``deploy/nginx.conf.template``.

    python deploy/proxy.py                                   # the compose rendering (writes deploy/nginx.conf)
    python deploy/proxy.py --server 10.0.0.5:8501 --server 10.0.0.6:8501 --listen 80 --out /etc/nginx/nginx.conf

In compose, one ``server lab:8501`` line is enough: Docker's DNS answers ``lab`` with the address of every
replica, and nginx makes each address a member of the upstream when it starts (so reload the proxy after
scaling: ``docker compose exec proxy nginx -s reload``).
"""

from __future__ import annotations

import argparse
from pathlib import Path

HERE = Path(__file__).resolve().parent
TEMPLATE = HERE / "nginx.conf.template"
COMPOSE_CONF = HERE / "nginx.conf"
# A replica that refuses a connection is left out for FAIL_TIMEOUT seconds before nginx tries it again.
FAIL_TIMEOUT_S = 10


def render(servers: list[str], *, listen: str = "80", pid: str = "/var/run/nginx.pid",
           temp: str = "/var/cache/nginx") -> str:
    """The nginx.conf text proxying to ``servers`` (``host:port`` each) with sticky sessions and WebSockets."""
    if not servers:
        raise ValueError("at least one lab replica (host:port) is needed")
    for s in servers:
        if not s or any(ch in s for ch in " ;{}\n\t#"):
            raise ValueError(f"not a host:port: {s!r}")
    lines = "\n".join(f"        server {s} max_fails=1 fail_timeout={FAIL_TIMEOUT_S}s;" for s in servers)
    text = TEMPLATE.read_text(encoding="utf-8")
    for key, value in {"servers": lines, "listen": listen, "pid": pid, "temp": temp}.items():
        text = text.replace("{{" + key + "}}", value)
    return text


def compose_config() -> str:
    """The rendering deploy/compose.yaml mounts into the nginx container."""
    return render(["lab:8501"])


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--server", action="append", help="a replica's host:port (repeat); default: compose's lab:8501")
    ap.add_argument("--listen", default="80")
    ap.add_argument("--out", type=Path, default=COMPOSE_CONF)
    args = ap.parse_args(argv)
    text = render(args.server) if args.server else compose_config()
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
