"""README's Layout table describes the tree as it is."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def layout_paths() -> list[str]:
    text = (ROOT / "README.md").read_text()
    table = text.split("## Layout", 1)[1].split("\n\n", 2)[1]
    paths = []
    for row in table.splitlines()[2:]:
        first_cell = row.split("|")[1]
        paths += re.findall(r"`([^`]+)`", first_cell)
    return paths


def tracked_top_level_folders() -> set[str]:
    """Top-level folders holding files git would track (not ignored, not hidden)."""
    ignored = {"node_modules", "test-artifacts", "staticfiles"}
    return {
        path.name + "/"
        for path in ROOT.iterdir()
        if path.is_dir()
        and not path.name.startswith(".")
        and path.name not in ignored
        and any(path.rglob("*.*"))
    }


def test_every_path_in_the_layout_table_exists():
    paths = layout_paths()
    assert len(paths) >= 10
    for path in paths:
        assert list(ROOT.glob(path.rstrip("/"))), f"README Layout names {path}, which is missing"


def test_every_top_level_folder_is_in_the_layout_table():
    listed = set(layout_paths())
    missing = tracked_top_level_folders() - listed
    assert not missing, f"README Layout does not describe {sorted(missing)}"
