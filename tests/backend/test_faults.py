"""The fault tests' pause points (backend/faults.py) never hold a process without the setting."""

import threading

from backend.faults import pause_point
from tests.backend.test_settings import run_production


def _returns_at_once(name: str) -> bool:
    thread = threading.Thread(target=pause_point, args=(name,), daemon=True)
    thread.start()
    thread.join(5)
    return not thread.is_alive()


def test_a_pause_point_does_nothing_without_the_setting(settings, tmp_path):
    settings.FAULT_PAUSE_DIR = ""
    (tmp_path / "settle.before_commit.pause").touch()  # armed, but no directory is set
    assert _returns_at_once("settle.before_commit")
    assert list(tmp_path.iterdir()) == [tmp_path / "settle.before_commit.pause"]


def test_an_armed_pause_point_holds_until_released(settings, tmp_path):
    settings.FAULT_PAUSE_DIR = str(tmp_path)
    assert _returns_at_once("refund.after_stripe")  # not armed: runs through
    (tmp_path / "refund.after_stripe.pause").touch()
    thread = threading.Thread(target=pause_point, args=("refund.after_stripe",), daemon=True)
    thread.start()
    thread.join(0.5)
    assert thread.is_alive() and (tmp_path / "refund.after_stripe.reached").exists()
    (tmp_path / "refund.after_stripe.go").touch()
    thread.join(5)
    assert not thread.is_alive()


def test_production_settings_never_pause():
    result = run_production(
        {
            "FAULT_PAUSE_DIR": "/tmp",
            "DJANGO_SECRET_KEY": "s" * 60,
            "RESIDENCE_CODE_KEY": "r",
            "BALLOT_KEY": "b",
            "DJANGO_ALLOWED_HOSTS": "x.org",
        },
        "shell",
        "-c",
        "from django.conf import settings; print(repr(settings.FAULT_PAUSE_DIR))",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "''"
