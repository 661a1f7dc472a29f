"""The office data folder (`AWARD_HOME`) and its config file: the one place the office's own data lives.

Everything the office adds or the engine keeps outside the database lives here, never inside the
installed package (a reinstall wipes site-packages): calendar years, template overrides, stored
attachments, the mail spool, exports, the key that seals the history. Every clerk, cron job and the
scheduler find the same folder without each setting a variable:

1. `--home` or `AWARD_HOME`, if given;
2. else `home = "..."` in the system config file `/etc/award/award.toml` (`AWARD_SYSTEM_CONFIG`
   names another file);
3. else `~/.local/share/award` (`$XDG_DATA_HOME/award`).

The folder's own `award.toml` (keys as in `KEYS`) is read over the system file, so a setting there
wins. Paths in a config file are relative to the file's folder. Only `tomllib` (stdlib) is imported:
start-up stays light.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ConfigError

__all__ = ["CONFIG_NAME", "KEYS", "OfficeHome", "locate_home", "system_config_path"]

CONFIG_NAME = "award.toml"
_SYSTEM_CONFIG = Path("/etc/award") / CONFIG_NAME
_MAX_CONFIG_BYTES = 256 * 1024

#: Every key a config file may hold, with what it means (README, "The office data folder").
KEYS: dict[str, str] = {
    "home": "办公数据目录（仅系统配置文件中有效）",
    "database": "数据库：SQLite 文件路径或 SQLAlchemy URL",
    "deployment": "部署文件（地址与通知渠道）",
    "definitions": "流程定义目录",
    "identity": "身份模式：bound（默认，按系统登录名）或 shared（共用电脑，必须 --as）",
    "durability": "提交的持久程度：full（默认）或 normal（更快，断电可能丢失最后几次提交）",
    "busy_timeout": "另一个写入者占用数据库时最多等待的秒数（默认 5），超时则退出码 5、不做改动",
    "office_name": "办公室名称，写在公示文件的落款（如 上海市政府质量奖审定委员会办公室）",
    "office_contact": "公示文件中的联系方式（联系人、电话、地址、电子邮箱）",
}

#: The sub-folders of the office data folder, by purpose.
FOLDERS: dict[str, str] = {
    "calendars": "calendars",   # the office's calendar years (YYYY.yaml), over the bundled ones
    "templates": "templates",   # template overrides, per procedure
    "files": "files",           # attachments, content-addressed (sha256)
    "spool": "spool",           # mail written as .eml files by a spool notifier
    "exports": "exports",       # spreadsheets and documents written for the office
    "secrets": "secrets",       # keys the database must not hold (history seal)
}


def system_config_path(env: Mapping[str, str] | None = None) -> Path:
    """The system-wide config file: `/etc/award/award.toml`, or `AWARD_SYSTEM_CONFIG`."""
    env = os.environ if env is None else env
    return Path(env["AWARD_SYSTEM_CONFIG"]) if env.get("AWARD_SYSTEM_CONFIG") else _SYSTEM_CONFIG


def _read_config(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    import tomllib  # only where there is a file to read: its parser's patterns cost a command ~2 ms

    try:
        if path.stat().st_size > _MAX_CONFIG_BYTES:
            raise ConfigError(f"配置文件 {path} 超过 {_MAX_CONFIG_BYTES // 1024} KiB，不像是配置文件")
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"配置文件 {path} 不是 UTF-8 文本") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"配置文件 {path} 格式有误：{exc}") from None
    except OSError as exc:
        raise ConfigError(f"无法读取配置文件 {path}：{exc.strerror}") from None
    unknown = sorted(set(data) - set(KEYS))
    if unknown:
        raise ConfigError(f"配置文件 {path} 有未知的设置 {'、'.join(unknown)}；可用的设置：{'、'.join(KEYS)}")
    for key, value in data.items():
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(f"配置文件 {path} 的 {key} 应为非空字符串")
    base = path.parent
    resolved: dict[str, Any] = {}
    for key, value in data.items():
        if key in ("home", "database", "deployment", "definitions") and "://" not in value:
            resolved[key] = str((base / Path(value).expanduser()).resolve())
        else:
            resolved[key] = value
    return resolved


@dataclass(frozen=True)
class OfficeHome:
    """The office data folder and the settings read from its config files.

    Attributes:
        root: the folder (it may not exist yet; `folder()` creates what is written to).
        settings: merged config: the system file, then the folder's own `award.toml`.
        sources: the config files that were read, in order.
    """

    root: Path
    settings: Mapping[str, str] = field(default_factory=dict)
    sources: tuple[Path, ...] = ()

    @property
    def config_file(self) -> Path:
        return self.root / CONFIG_NAME

    def path(self, purpose: str) -> Path:
        """The sub-folder for one purpose (`calendars`, `files`, `spool`, ...), not created."""
        return self.root / FOLDERS[purpose]

    def folder(self, purpose: str) -> Path:
        """The sub-folder for one purpose, created if missing (for writers)."""
        target = self.path(purpose)
        try:
            target.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(f"无法创建办公数据目录 {target}：{exc.strerror}；"
                              "用 --home 或 AWARD_HOME 指定一个可写的目录") from None
        return target

    def get(self, key: str) -> str | None:
        return self.settings.get(key)


def locate_home(explicit: str | None = None, env: Mapping[str, str] | None = None) -> OfficeHome:
    """Find the office data folder and read its config (see the module docstring for the order)."""
    env = os.environ if env is None else env
    system_file = system_config_path(env)
    system = _read_config(system_file)
    chosen = explicit or env.get("AWARD_HOME") or system.get("home")
    if chosen:
        if len(chosen) > 1024 or "\x00" in chosen:
            raise ConfigError("办公数据目录的路径过长或含有非法字符；用 --home 或 AWARD_HOME 指定一个正常的目录")
        root = Path(chosen).expanduser().resolve()
    else:
        data_home = env.get("XDG_DATA_HOME") or str(Path("~/.local/share").expanduser())
        root = Path(data_home) / "award"
    if root.exists() and not root.is_dir():
        raise ConfigError(f"办公数据目录 {root} 不是目录")
    own = _read_config(root / CONFIG_NAME)
    if "home" in own:
        raise ConfigError(f"{root / CONFIG_NAME}：home 只能写在系统配置文件 {system_file} 中")
    merged = {k: v for k, v in system.items() if k != "home"} | own
    sources = tuple(p for p, d in ((system_file, system), (root / CONFIG_NAME, own)) if d)
    return OfficeHome(root=root, settings=merged, sources=sources)
