"""The office data folder: found the same way by every clerk, cron job and the scheduler."""

from __future__ import annotations

from pathlib import Path

import pytest
from award.workflow.errors import ConfigError
from award.workflow.home import locate_home


def test_award_home_wins_and_its_config_is_read_relative_to_it(tmp_path: Path) -> None:
    home = tmp_path / "office"
    home.mkdir()
    (home / "award.toml").write_text('database = "data/award.db"\ndeployment = "deploy.yaml"\n', encoding="utf-8")
    found = locate_home(None, {"AWARD_HOME": str(home), "AWARD_SYSTEM_CONFIG": str(tmp_path / "none.toml")})
    assert found.root == home.resolve()
    assert found.get("database") == str((home / "data/award.db").resolve())
    assert found.get("deployment") == str((home / "deploy.yaml").resolve())
    assert found.path("calendars") == home.resolve() / "calendars"
    assert not found.path("files").exists()
    assert found.folder("files").is_dir()


def test_the_system_config_names_the_home_for_everyone(tmp_path: Path) -> None:
    system = tmp_path / "etc-award.toml"
    system.write_text(f'home = "{tmp_path / "shared"}"\ndatabase = "postgresql://award@db/award"\n',
                      encoding="utf-8")
    found = locate_home(None, {"AWARD_SYSTEM_CONFIG": str(system)})
    assert found.root == (tmp_path / "shared").resolve()
    assert found.get("database") == "postgresql://award@db/award"
    assert found.sources == (system,)


def test_the_folder_config_overrides_the_system_one(tmp_path: Path) -> None:
    system = tmp_path / "sys.toml"
    system.write_text(f'home = "{tmp_path / "h"}"\ndatabase = "a.db"\n', encoding="utf-8")
    (tmp_path / "h").mkdir()
    (tmp_path / "h" / "award.toml").write_text('database = "b.db"\n', encoding="utf-8")
    found = locate_home(None, {"AWARD_SYSTEM_CONFIG": str(system)})
    assert found.get("database") == str((tmp_path / "h" / "b.db").resolve())


def test_default_is_the_users_data_folder(tmp_path: Path) -> None:
    found = locate_home(None, {"XDG_DATA_HOME": str(tmp_path), "AWARD_SYSTEM_CONFIG": str(tmp_path / "x.toml")})
    assert found.root == tmp_path / "award"


@pytest.mark.parametrize(("text", "message"), [
    pytest.param('databse = "x.db"\n', "未知的设置 databse", id="typo_key"),
    pytest.param("database = [1]\n", "应为非空字符串", id="wrong_type"),
    pytest.param("database = \n", "格式有误", id="broken_toml"),
    pytest.param('home = "/elsewhere"\n', "home 只能写在系统配置文件", id="home_in_folder_config"),
])
def test_a_bad_config_is_refused_with_the_file_named(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "award.toml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message) as info:
        locate_home(str(tmp_path), {"AWARD_SYSTEM_CONFIG": str(tmp_path / "none.toml")})
    assert str(tmp_path) in str(info.value)


def test_the_cli_uses_the_home_database_by_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from award.cli import cli
    from click.testing import CliRunner

    monkeypatch.setenv("AWARD_HOME", str(tmp_path / "office"))
    monkeypatch.chdir(tmp_path)
    r = CliRunner().invoke(cli, ["init"])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "office" / "award.db").is_file()
    assert not (tmp_path / "award.db").exists()
