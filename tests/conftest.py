import pytest


@pytest.fixture(autouse=True)
def hermetic_environment(monkeypatch, tmp_path):
    """Keep a developer's colour settings and user catalog out of every test."""
    for name in ("NO_COLOR", "FORCE_COLOR", "TERM", "COLUMNS", "LINES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
