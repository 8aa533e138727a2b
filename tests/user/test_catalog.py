"""Finding and listing routines: user folders, shadowing, broken files, and the list cache."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from nightvoice import __version__
from nightvoice.base import paths, writing
from nightvoice.cli import run
from nightvoice.core.errors import RoutineNotFound
from nightvoice.user import catalog, listlengths

GOOD = "nightvoice: 1\ntitle: {title}\nsteps:\n  - say: Hello.\n    pause: 10\n"


def user_routine(name: str, text: str) -> Path:
    folder = paths.routines_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_nightvoice_home_holds_everything(private_home: Path) -> None:
    assert paths.routines_dir() == private_home / "scripts"
    assert paths.config_file() == private_home / "config.yaml"
    assert paths.log_file().parent == private_home
    assert paths.cache_dir().is_relative_to(private_home)


def test_xdg_folders_are_honoured_without_the_override(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if os.name != "posix" or os.uname().sysname != "Linux":
        pytest.skip("XDG is the Linux convention")
    monkeypatch.delenv("NIGHTVOICE_HOME")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "conf"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert paths.routines_dir() == tmp_path / "conf" / "nightvoice" / "scripts"
    assert paths.config_file() == tmp_path / "conf" / "nightvoice" / "config.yaml"
    assert paths.log_file() == tmp_path / "data" / "nightvoice" / "episodes.csv"
    assert paths.cache_dir() == tmp_path / "cache" / "nightvoice"


def test_a_broken_routine_is_listed_with_its_first_problem_and_the_rest_still_list(
    capsys: pytest.CaptureFixture[str],
) -> None:
    user_routine("good", GOOD.format(title="Good one"))
    broken = user_routine("broken", "nightvoice: 1\ntitle: Broken\nsteps:\n  - hold: -3\n")
    user_routine("garbage", "steps: [unclosed\n")
    assert run(["list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    by_name = {line.split()[0]: line for line in lines}
    assert "Good one" in by_name["good"] and "0:1" in by_name["good"]
    assert "BROKEN" in by_name["broken"] and f"{broken}:4:" in by_name["broken"]
    assert "BROKEN" in by_name["garbage"]
    assert {"calf-cramp", "calm-breathing"} <= set(by_name)


def test_a_broken_user_routine_never_stops_another_from_playing() -> None:
    user_routine("broken", "nightvoice: 1\ntitle: [\n")
    assert catalog.resolve("calf-cramp").origin == "built-in"
    assert catalog.resolve(None).name == "calf-cramp"


def test_shadowing_is_stated(capsys: pytest.CaptureFixture[str]) -> None:
    user_routine("calm-breathing", GOOD.format(title="My breathing"))
    ref = catalog.resolve("calm-breathing")
    assert (ref.origin, ref.shadows_builtin) == ("user", True)
    assert run(["list"]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("calm-breathing"))
    assert "My breathing" in line and "replaces the built-in" in line


@pytest.mark.parametrize("name", ["../secrets", "..", "a/../b", "/etc/passwd", ".hidden"])
def test_names_never_reach_outside_the_folder(name: str) -> None:
    if "/" in name:  # a path is a file path, never a name: it must exist to be played
        with pytest.raises(RoutineNotFound, match="no routine file"):
            catalog.resolve(name + ".yaml")
    with pytest.raises(RoutineNotFound):
        catalog.check_name(name)


def test_the_list_cache_skips_parsing_unchanged_files(monkeypatch: pytest.MonkeyPatch) -> None:
    path = user_routine("mine", GOOD.format(title="First"))
    first = {item.ref.name: item for item in catalog.list_routines()}
    assert first["mine"].title == "First"
    assert (paths.cache_dir() / catalog.LIST_CACHE).is_file()

    def must_not_parse(path: Path, config: object) -> None:
        raise AssertionError(f"parsed {path} again")

    summarise = catalog._summarise
    monkeypatch.setattr(catalog, "_summarise", must_not_parse)
    again = {item.ref.name: item for item in catalog.list_routines()}
    assert again == first
    monkeypatch.setattr(catalog, "_summarise", summarise)

    path.write_text(GOOD.format(title="Second, longer title"))  # new size: read again
    assert {i.ref.name: i for i in catalog.list_routines()}["mine"].title.startswith("Second")


def test_a_corrupt_or_old_cache_is_ignored() -> None:
    user_routine("mine", GOOD.format(title="Mine"))
    cache = paths.cache_dir() / catalog.LIST_CACHE
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text("{not json")
    assert any(i.title == "Mine" for i in catalog.list_routines())
    cache.write_text('{"version": "0.0.0-old", "entries": {"x": [1, 2, "t", 3, null, 0]}}')
    listed = catalog.list_routines()
    assert any(i.title == "Mine" for i in listed)
    assert __version__ in cache.read_text()


def test_an_unwritable_cache_only_costs_speed(monkeypatch: pytest.MonkeyPatch) -> None:
    user_routine("mine", GOOD.format(title="Mine"))

    def fail(*args: object, **kwargs: object) -> None:
        raise PermissionError("read-only")

    monkeypatch.setattr(writing, "write_atomically", fail)
    assert any(i.title == "Mine" for i in catalog.list_routines())


def test_five_hundred_user_routines_list_from_the_cache() -> None:
    """Not a timing test (that is bench work): the second listing parses nothing."""
    text = GOOD.format(title="Routine")
    for n in range(500):
        user_routine(f"r{n:03d}", text)
    assert len(catalog.list_routines()) >= 500
    entries = (paths.cache_dir() / catalog.LIST_CACHE).read_text().count("Routine")
    assert entries == 500


def test_write_atomically_follows_a_symlink_and_keeps_it(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere" / "mine.yaml"
    target.parent.mkdir()
    target.write_text("old")
    link = tmp_path / "link.yaml"
    link.symlink_to(target)
    writing.write_atomically(link, b"new")
    assert link.is_symlink() and target.read_text() == "new"


def test_list_gives_the_length_show_gives_with_the_config_applied(
    capsys: pytest.CaptureFixture[str],
) -> None:
    def lengths() -> tuple[str, str]:
        capsys.readouterr()
        assert run(["list"]) == 0
        listed = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("calf-"))
        assert listed.split()[1].startswith("~")  # too many new sentences: estimated
        assert listlengths.measure()  # what `list` started in the background
        assert run(["list"]) == 0
        listed = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("calf-"))
        assert run(["show", "calf-cramp"]) == 0
        total = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("Total"))
        return listed.split()[1], total.split()[2]

    plain_list, plain_show = lengths()  # fills the list cache
    assert plain_list == plain_show
    assert run(["config", "set", "rate", "80"]) == 0
    assert run(["config", "set", "chime", "false"]) == 0
    slow_list, slow_show = lengths()  # the cache must not answer for the old config
    assert slow_list == slow_show != plain_list


def test_any_failure_in_one_file_lists_it_broken_and_never_stops_the_list(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    user_routine("good", GOOD.format(title="Good one"))
    crashing = user_routine("crashing", GOOD.format(title="Crashes the loader"))
    load = catalog.load_routine

    def load_routine(path: Path) -> object:
        if path == crashing:
            raise KeyError("side\nsecond line")
        return load(path)

    monkeypatch.setattr(catalog, "load_routine", load_routine)
    assert run(["list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    by_name = {line.split()[0]: line for line in lines}
    assert "BROKEN" in by_name["crashing"] and f"{crashing}:1:1:" in by_name["crashing"]
    assert "KeyError" in by_name["crashing"] and len(lines) == len(by_name)
    assert "Good one" in by_name["good"] and "calf-cramp" in by_name
    monkeypatch.setattr(catalog, "load_routine", load)  # fixed: read again, not cached broken
    listed = {item.ref.name: item for item in catalog.list_routines()}
    assert listed["crashing"].title == "Crashes the loader"


def test_resolving_a_name_goes_straight_to_its_file(monkeypatch: pytest.MonkeyPatch) -> None:
    mine = user_routine("mine", GOOD.format(title="Mine"))
    yml = paths.routines_dir() / "other.yml"
    yml.write_text(GOOD.format(title="Other"))
    user_routine("calm-breathing", GOOD.format(title="My breathing"))
    listed = catalog._routines_in

    def must_not_list(folder: Path) -> dict[str, Path]:
        raise AssertionError(f"listed {folder} to find one name")

    monkeypatch.setattr(catalog, "_routines_in", must_not_list)
    assert catalog.resolve("mine") == catalog.RoutineRef("mine", mine, "user")
    assert catalog.resolve("other").path == yml
    assert catalog.resolve(None).origin == "built-in"
    assert catalog.resolve("calm-breathing").shadows_builtin
    monkeypatch.setattr(catalog, "_routines_in", listed)  # only the not-found message lists
    with pytest.raises(RoutineNotFound, match="did you mean `mine`"):
        catalog.resolve("mien")
