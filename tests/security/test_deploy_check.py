import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _production_env():
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    return env


def test_production_settings_pass_check_deploy_with_no_warning():
    env = {
        **_production_env(),
        "DJANGO_SETTINGS_MODULE": "jeonju_prepay.settings.production",
        "SECRET_KEY": "k" * 20 + "-a-long-random-production-secret-" + "x9Q2z" * 6,
        "ALLOWED_HOSTS": "jeonju.example.kr",
        "DATABASE_URL": os.environ.get("DATABASE_URL") or "postgres://u@127.0.0.1:1/none",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_seed_demo_refuses_production_settings():
    env = {
        **_production_env(),
        "DJANGO_SETTINGS_MODULE": "jeonju_prepay.settings.production",
        "SECRET_KEY": "k" * 60,
        "ALLOWED_HOSTS": "jeonju.example.kr",
        "DATABASE_URL": os.environ.get("DATABASE_URL") or "postgres://u@127.0.0.1:1/none",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "seed_demo"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "refuses to run with production settings" in result.stderr
