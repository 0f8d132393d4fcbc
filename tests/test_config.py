from __future__ import annotations

from pathlib import Path

import pytest

from pollwatch.config import load_settings
from pollwatch.errors import ConfigError


def test_settings_file_has_path_sender_and_rules_sections(tmp_path: Path) -> None:
    file = tmp_path / "pollwatch.toml"
    file.write_text('[path]\nhome_country = "US"\n[sender]\nidentities = ["a.yml"]\n'
                    'builtin_identities = false\n[rules]\nfolders = ["r"]\n')
    settings = load_settings(file)
    assert settings.path.home_country == "US"
    assert settings.sender.identities == ("a.yml",) and not settings.sender.builtin_identities
    assert settings.rules.folders == ("r",)


def test_unknown_setting_names_the_file_and_the_path(tmp_path: Path) -> None:
    file = tmp_path / "pollwatch.toml"
    file.write_text("[rules]\nfolder = []\n")
    with pytest.raises(ConfigError) as info:
        load_settings(file)
    assert str(file) in str(info.value) and "$.rules" in str(info.value)
