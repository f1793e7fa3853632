"""`nylon-ring new`: name validation, refusing to overwrite, --force, no template leftovers."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from nylon_ring_sdk.cli import app
from nylon_ring_sdk.errors import ScaffoldError
from nylon_ring_sdk.schema import parse_abi
from nylon_ring_sdk.scaffold import (available_languages, binding_files, load_template, new_project,
                                     template_project_dir, validate_name)

runner = CliRunner()
LANGS = ["c", "cpp", "rust", "go", "zig"]


EMBEDDED_ONLY = {"c", "go", "rust", "zig"}


def test_every_language_has_a_template():
    assert available_languages() == LANGS
    for lang in LANGS:
        spec = load_template(lang)
        assert spec.description and spec.bindings, lang


@pytest.mark.parametrize("bad, why", [
    ("", "empty"),
    ("../evil", "path separator"),
    ("a/b", "path separator"),
    ("{{cookiecutter.x}}", "template syntax"),
    ("My-Plugin", "not a valid plugin name"),
    ("1plugin", "not a valid plugin name"),
    ("my--plugin", "not a valid plugin name"),
    ("type", "reserved word"),
    ("match", "reserved word"),
    ("x" * 65, "at most 64"),
])
def test_bad_names_are_refused(bad, why):
    with pytest.raises(ScaffoldError, match=re.escape(why)):
        validate_name(bad)


@pytest.mark.parametrize("good", ["my-plugin", "auth_filter", "p2", "rate-limit-v2"])
def test_good_names(good):
    assert validate_name(good) == good


@pytest.mark.parametrize("lang", LANGS)
def test_new_renders_a_clean_project(lang, tmp_path):
    project = new_project(lang, "demo-plugin", tmp_path)
    assert project == tmp_path / "demo-plugin"
    leftovers = []
    for path in project.rglob("*"):
        if ".github" in path.parts:
            continue  # GitHub Actions' own ${{ }} syntax is legitimate there
        if path.is_file():
            text = path.read_text(errors="replace")
            if "{{" in text or "{%" in text or "cookiecutter" in text:
                leftovers.append(str(path.relative_to(project)))
        if "{{" in path.name:
            leftovers.append(path.name)
    assert not leftovers
    # These ABI 2 projects ship no manifest file: the library embeds it (nylon_ring_manifest()).
    assert (project / "nylon-ring.toml").is_file() == (lang not in EMBEDDED_ONLY)
    assert (project / "README.md").is_file()
    assert (project / ".github" / "workflows" / "ci.yml").is_file()
    assert (project / ".gitignore").is_file()
    # the freshly generated bindings were written where the template declares them
    files = binding_files(load_template(lang), project, parse_abi(None))  # `new` without --abi: the default generation
    assert files
    for dest, content in files.items():
        assert dest.read_text() == content, dest
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".demo-plugin.")]


def test_existing_project_is_refused_then_forced(tmp_path):
    project = new_project("c", "keep-me", tmp_path)
    mine = project / "NOTES.md"
    mine.write_text("my notes\n")
    readme = project / "README.md"
    readme.write_text("my readme\n")
    with pytest.raises(ScaffoldError, match="exists and is not empty; pass --force"):
        new_project("c", "keep-me", tmp_path)
    assert readme.read_text() == "my readme\n"
    new_project("c", "keep-me", tmp_path, force=True)
    assert mine.read_text() == "my notes\n"          # not the template's: kept
    assert readme.read_text() != "my readme\n"       # the template's: replaced, as --force asked


def test_cli_new_list_and_errors(tmp_path):
    listed = runner.invoke(app, ["new", "--list"])
    assert listed.exit_code == 0
    for lang in LANGS:
        assert re.search(rf"^{lang}\s", listed.output, re.M), listed.output
    bad = subprocess.run([sys.executable, "-m", "nylon_ring_sdk", "new", "--lang", "c", "../x", "--dir", str(tmp_path)],
                         capture_output=True, text=True)
    assert bad.returncode == 1 and "Traceback" not in bad.stderr
    assert bad.stderr.strip().startswith("error: NAME: '../x' contains a path separator")
    unknown = runner.invoke(app, ["new", "--lang", "cobol", "x", "--dir", str(tmp_path)])
    assert unknown.exit_code == 1 and "no template for 'cobol'" in unknown.output
    made = runner.invoke(app, ["new", "--lang", "c", "cli-made", "--dir", str(tmp_path)])
    assert made.exit_code == 0 and (tmp_path / "cli-made").is_dir()
    again = runner.invoke(app, ["new", "--lang", "c", "cli-made", "--dir", str(tmp_path)])
    assert again.exit_code == 1 and "--force" in again.output


def test_target_that_is_a_file_is_refused(tmp_path):
    (tmp_path / "taken").write_text("x")
    with pytest.raises(ScaffoldError, match="is not a directory"):
        new_project("c", "taken", tmp_path)


def test_template_bindings_copies_are_current():
    """`cookiecutter templates/<lang>` alone must give working bindings too."""
    stale = []
    for lang in LANGS:
        spec = load_template(lang)
        for dest, content in binding_files(spec, template_project_dir(spec), max(spec.generations)).items():
            if not dest.is_file() or dest.read_text() != content:
                stale.append(str(dest))
    assert not stale, "stale template bindings; run `python -m nylon_ring_sdk.committed`: " + ", ".join(stale)
