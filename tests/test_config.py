"""Configuration: defaults, instance/config.py with a generated secret, TRACKER_* variables."""

from tracker import create_app


def test_first_start_writes_a_secret_key_into_the_instance_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("TRACKER_INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("TRACKER_SECRET_KEY", raising=False)
    app = create_app()
    config_file = tmp_path / "config.py"
    assert config_file.exists()
    assert len(app.config["SECRET_KEY"]) == 64
    assert oct(config_file.stat().st_mode)[-3:] == "600"
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'tracker.sqlite3'}"
    again = create_app()
    assert again.config["SECRET_KEY"] == app.config["SECRET_KEY"]


def test_environment_overrides_instance_config(tmp_path, monkeypatch):
    monkeypatch.setenv("TRACKER_INSTANCE_PATH", str(tmp_path))
    (tmp_path / "config.py").write_text("SECRET_KEY = 'from-file'\nPUBLIC_BASE_URL = 'https://a.example'\n")
    monkeypatch.setenv("TRACKER_PUBLIC_BASE_URL", "https://cds.thainguyen.gov.vn")
    monkeypatch.setenv("TRACKER_DATABASE_URL", "postgresql+psycopg://u@db/tracker")
    monkeypatch.setenv("TRACKER_HTTPS", "true")
    app = create_app()
    assert app.config["SECRET_KEY"] == "from-file"
    assert app.config["PUBLIC_BASE_URL"] == "https://cds.thainguyen.gov.vn"
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@db/tracker"
    assert app.config["SESSION_COOKIE_SECURE"] is True
