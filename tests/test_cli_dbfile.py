"""Only `award init` creates a SQLite file; any other command on a missing file exits 6 naming it."""

from __future__ import annotations

from tests.conftest import make_runner


def test_a_missing_database_file_is_never_created(tmp_path):
    missing = tmp_path / "typo.db"
    run = make_runner(str(missing), tmp_path)
    for argv in (["cases"], ["tick"], ["show", "SHA-2026-001"], ["staff", "list"]):
        result = run(*argv, who=None)
        assert result.code == 6, (argv, result)
        assert str(missing) in result.err and "award init" in result.err
        assert not missing.exists()
    assert run("init", "--admin", "admin", who=None).code == 0  # the login running init is the administrator
    assert missing.exists()
    assert run("cases", who=None).code == 0


def test_the_default_database_lives_in_the_office_data_folder(tmp_path, monkeypatch):
    home = tmp_path / "office"
    monkeypatch.setenv("AWARD_HOME", str(home))
    monkeypatch.chdir(tmp_path)
    run = make_runner("", tmp_path)  # no --db: the default

    def plain(*argv):
        return run(*argv, who=None)

    result = plain("cases")
    assert result.code == 6 and str(home / "award.db") in result.err
    assert not (tmp_path / "award.db").exists() and not (home / "award.db").exists()
    assert plain("init").code == 0
    assert (home / "award.db").exists() and not (tmp_path / "award.db").exists()
