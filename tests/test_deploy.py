"""deploy/: the proxy configuration renders, nginx accepts it, and compose mounts the rendering it should."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "deploy"))
import proxy  # noqa: E402

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def test_committed_compose_config_is_the_rendering_of_the_template():
    assert (ROOT / "deploy" / "nginx.conf").read_text() == proxy.compose_config(), \
        "deploy/nginx.conf is stale: run `python deploy/proxy.py`"


@pytest.mark.skipif(not Path(NGINX).exists(), reason="nginx not installed (apt-get install -y nginx; .ci/run does)")
def test_nginx_accepts_the_rendered_configuration(tmp_path):
    conf = tmp_path / "nginx.conf"
    conf.write_text(proxy.render(["127.0.0.1:18501", "127.0.0.1:18502", "[::1]:18503"], listen="127.0.0.1:18500",
                                 pid=str(tmp_path / "nginx.pid"), temp=str(tmp_path)))
    check = subprocess.run([NGINX, "-t", "-c", str(conf), "-p", str(tmp_path)], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    text = conf.read_text()
    assert text.count("max_fails=1 fail_timeout=10s;") == 3 and "{{" not in text


@pytest.mark.parametrize("bad", ["", "lab:8501; include /etc/passwd", "lab:8501\n}", "a b", "x{y}"])
def test_render_refuses_what_is_not_a_host_port(bad):
    with pytest.raises(ValueError):
        proxy.render([bad])


def test_compose_shares_what_replicas_must_share():
    compose = yaml.safe_load((ROOT / "deploy" / "compose.yaml").read_text())
    services = compose["services"]
    assert {"db", "init", "lab", "proxy"} <= set(services)
    env = services["lab"]["environment"]
    for name in ("LAB_DATABASE_URL", "LAB_TEACHER_PASSCODE", "STREAMLIT_SERVER_COOKIE_SECRET"):
        assert "${" in env[name], f"{name} must come from deploy/.env, the same for every replica"
    assert any(v.startswith("demo-identity:") for v in services["lab"]["volumes"])
    assert services["init"]["volumes"] == services["lab"]["volumes"]
    assert "./nginx.conf:/etc/nginx/nginx.conf:ro" in services["proxy"]["volumes"]
    assert services["lab"]["depends_on"]["init"]["condition"] == "service_completed_successfully"
    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text()
    assert "download.pytorch.org/whl/cpu" in dockerfile and "\nUSER lab\n" in dockerfile
    assert "/_stcore/health" in dockerfile
