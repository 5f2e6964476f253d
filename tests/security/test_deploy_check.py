import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


REQUIRED = ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "EMAIL_URL")


def _production_env():
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    return env


def _complete_production_env():
    return {
        **_production_env(),
        "DJANGO_SETTINGS_MODULE": "jeonju_prepay.settings.production",
        "SECRET_KEY": "k" * 20 + "-a-long-random-production-secret-" + "x9Q2z" * 6,
        "ALLOWED_HOSTS": "jeonju.example.kr",
        "DATABASE_URL": os.environ.get("DATABASE_URL") or "postgres://u@127.0.0.1:1/none",
        "REDIS_URL": "redis://127.0.0.1:1/0",
        "EMAIL_URL": "smtp+tls://mailer:secret@smtp.example.kr:587",
    }


def _import_production_settings(env):
    return subprocess.run(
        [sys.executable, "-c", "import jeonju_prepay.settings.production"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_settings_import_with_every_required_variable():
    result = _import_production_settings(_complete_production_env())
    assert result.returncode == 0, result.stderr


def test_production_settings_refuse_to_start_without_database_url():
    env = _complete_production_env()
    del env["DATABASE_URL"]
    result = _import_production_settings(env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "refuse to start without DATABASE_URL." in result.stderr
    # Only what is missing is named: the others were given.
    for name in ("REDIS_URL", "SECRET_KEY", "EMAIL_URL"):
        assert f"  {name}:" not in result.stderr


def test_production_settings_name_every_missing_variable_and_count_empty_as_missing():
    env = {k: v for k, v in _complete_production_env().items() if k not in REQUIRED}
    env["SECRET_KEY"] = "   "  # blank is as good as unset
    result = _import_production_settings(env)
    assert result.returncode != 0
    assert (
        "refuse to start without DATABASE_URL, REDIS_URL, SECRET_KEY, EMAIL_URL." in result.stderr
    )
    for name in REQUIRED:
        assert f"  {name}:" in result.stderr


def test_production_settings_never_start_the_embedded_database():
    """Production without DATABASE_URL refuses before anything could import pgserver (a
    development dependency, absent from the production image)."""
    env = _complete_production_env()
    del env["DATABASE_URL"]
    code = (
        "import sys\n"
        "try:\n"
        "    import jeonju_prepay.settings.production\n"
        "except Exception:\n"
        "    pass\n"
        "print('pgserver' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.stdout.strip() == "False", result.stderr


def test_production_settings_pass_check_deploy_with_no_warning():
    env = _complete_production_env()
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
    env = {**_complete_production_env(), "SECRET_KEY": "k" * 60}
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


def test_check_deploy_refuses_a_city_on_toss_without_keys_and_passes_with_them():
    env = {**_complete_production_env(), "PAYMENT_PROVIDER_BY_CITY": "jeonju=toss"}
    for name in ("TOSS_SECRET_KEY", "TOSS_CLIENT_KEY", "TOSS_SECRET_KEY__JEONJU"):
        env.pop(name, None)
    command = [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"]
    refused = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert refused.returncode != 0
    assert "vouchers.E001" in refused.stderr
    assert "City jeonju takes payments through Toss" in refused.stderr
    env["TOSS_SECRET_KEY__JEONJU"] = "live_sk_jeonju_0123456789"
    env["TOSS_CLIENT_KEY__JEONJU"] = "live_ck_jeonju_0123456789"
    passed = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert passed.returncode == 0, passed.stdout + passed.stderr
