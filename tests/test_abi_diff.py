"""`nylon-ring abi diff`: every rule has a case that triggers it and a near miss that must not."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from nylon_ring_sdk import abidiff
from nylon_ring_sdk.schema import parse_schema

ROOT = Path(__file__).resolve().parent.parent
BASE = (ROOT / "tests/fixtures/abidiff/base.toml").read_text()

VTABLE_HEAD = '''[structs.VTable]
doc = "Slots."
fields = [
'''
PAIR_B = '{ name = "b", type = "u32", doc = "Second." },'
PAIR_C = '{ name = "c", type = "u64", doc = "Third." },'
INFO_VT = '{ name = "vtable", type = "ptr<const VTable>", doc = "Slots." },'
SPARE = '{ name = "spare", type = "fn<SpareFn>", doc = "Spare." },'
INIT = '{ name = "init", type = "fn?<InitFn>", doc = "Init." },'
HANDLE = '{ name = "handle", type = "fn?<HandleFn>", doc = "Handle." },'
GONE = '{ name = "Gone", value = 2, doc = "Went away." },'
VIEW_LEN = '{ name = "len", type = "u32", doc = "Length." },'
BUMP = ("version = 1\ndoc = \"A small", "version = 2\ndoc = \"A small")
OPTIONAL_EXPORT = '\n[exports.demo_more]\ntype = "GetFn"\nrequired = false\ndoc = "More."\n'
REQUIRED_EXPORT = '\n[exports.demo_more]\ntype = "GetFn"\nrequired = true\ndoc = "More."\n'
NEW_STRUCT = '\n[structs.Fresh]\ndoc = "New."\nfields = [{ name = "v", type = "u8", doc = "V." }]\n'
NEW_ENUM = '\n[enums.Kind]\nrepr = "u8"\ndoc = "Kind."\nvalues = [{ name = "A", value = 0, doc = "A." }]\n'
NEW_CONST = '\n[constants.MORE]\ntype = "u8"\nvalue = 1\ndoc = "More."\n'
NEW_FN = '\n[functions.FreshFn]\ndoc = "New."\nreturns = "void"\nparams = []\n'
EXTRA = '[structs.Extra]\ndoc = "Unused by the rest."\nfields = [\n    { name = "x", type = "u64", doc = "X." },\n]\n'
MODE = '[enums.Mode]\nrepr = "u32"\ndoc = "A mode."\nvalues = [\n    { name = "Fast", value = 0, doc = "Fast." },\n]\n'
LONELY = '[functions.LonelyFn]\ndoc = "Referenced by nothing."\nreturns = "void"\nparams = [\n    { name = "n", type = "u64" },\n]\n'
PROBE = '[exports.demo_probe]\ntype = "GetFn"\nrequired = false\ndoc = "Optional symbol."\n'

Edit = tuple[str, str]
# rule id -> (edits that must trigger it, edits of a near miss that must not)
CASES: dict[str, tuple[list[Edit], list[Edit]]] = {
    "abi.version-not-bumped": ([(PAIR_C, "")], [(PAIR_C, ""), BUMP]),
    "abi.version-bumped": ([BUMP], [('doc = "Two numbers."', 'doc = "Two."')]),
    "abi.pointer-widths-narrowed": ([("version = 1\n", "version = 1\npointer_bits = [64]\n")],
                                    [("version = 1\n", "version = 1\npointer_bits = [32, 64]\n")]),
    "export.removed": ([("[exports.demo_get]\ntype = \"GetFn\"\nrequired = true\ndoc = \"Entry symbol.\"\n", ""),
                        ("required = false\ndoc = \"Optional symbol.\"", "required = true\ndoc = \"Optional symbol.\"")],
                       [("[exports.demo_get]", "[exports.demo_get2]")]),
    "export.renamed": ([("[exports.demo_get]", "[exports.demo_get2]")], [('doc = "Entry symbol."', 'doc = "Entry."')]),
    "export.optional-removed": ([(PROBE, "")], [('doc = "Optional symbol."', 'doc = "Optional."')]),
    "export.added": ([(PROBE, PROBE + OPTIONAL_EXPORT)], [(PROBE, PROBE + REQUIRED_EXPORT)]),
    "export.required-added": ([(PROBE, PROBE + REQUIRED_EXPORT)], [(PROBE, PROBE + OPTIONAL_EXPORT)]),
    "export.required-changed": ([("required = false\ndoc = \"Optional symbol.\"", "required = true\ndoc = \"Optional symbol.\"")],
                                [('doc = "Optional symbol."', 'doc = "Optional."')]),
    "export.retyped": ([('type = "GetFn"\nrequired = false', 'type = "SpareFn"\nrequired = false')],
                       [('doc = "Optional symbol."', 'doc = "Optional."')]),
    "struct.removed": ([(EXTRA, "")], [('doc = "Unused by the rest."', 'doc = "Unused."')]),
    "struct.added": ([(EXTRA, EXTRA + NEW_STRUCT)], [(EXTRA, EXTRA + NEW_ENUM)]),
    "struct.size-changed": ([('{ name = "x", type = "u64"', '{ name = "x", type = "u32"')],
                            [('{ name = "x", type = "u64"', '{ name = "x", type = "i64"')]),
    "struct.align-changed": ([('{ name = "c", type = "u64"', '{ name = "c", type = "[u32; 2]"')],
                             [('{ name = "c", type = "u64"', '{ name = "c", type = "i64"')]),
    "struct.extended": ([(INFO_VT, INFO_VT + '\n    { name = "flags", type = "u64", doc = "F." },')],
                        [(PAIR_C, PAIR_C + '\n    { name = "d", type = "u64", doc = "D." },')]),
    "struct.extended-without-size-rule": ([(PAIR_C, PAIR_C + '\n    { name = "d", type = "u64", doc = "D." },')],
                                          [(INFO_VT, INFO_VT + '\n    { name = "flags", type = "u64", doc = "F." },')]),
    "struct.tail-padding-used": ([(VIEW_LEN, VIEW_LEN + '\n    { name = "reserved", type = "u32", doc = "R." },')],
                                 [(VIEW_LEN, VIEW_LEN + '\n    { name = "more", type = "u64", doc = "M." },')]),
    "field.removed": ([(PAIR_B, "")], [(PAIR_B, PAIR_B.replace('"b"', '"bee"'))]),
    "field.inserted": ([('{ name = "a", type = "u32"', '{ name = "z", type = "u32", doc = "Z." },\n    { name = "a", type = "u32"')],
                       [(PAIR_C, PAIR_C + '\n    { name = "z", type = "u32", doc = "Z." },')]),
    "field.renamed": ([(PAIR_B, PAIR_B.replace('"b"', '"bee"'))],
                      [(PAIR_B, PAIR_B.replace('"b", type = "u32"', '"bee", type = "i32"'))]),
    "field.retyped": ([('{ name = "a", type = "u32"', '{ name = "a", type = "i32"')],
                      [('type = "ptr<mut u8>", doc = "Out."', 'type = "ptr<const u8>", doc = "Out."')]),
    "field.moved": ([('{ name = "a", type = "u32", doc = "First." },\n    ' + PAIR_B,
                      PAIR_B + '\n    { name = "a", type = "u32", doc = "First." },')],
                    [('doc = "First."', 'doc = "1st."')]),
    "field.constness-changed": ([('type = "ptr<mut u8>", doc = "Out."', 'type = "ptr<const u8>", doc = "Out."')],
                                [('type = "ptr<mut u8>", doc = "Out."', 'type = "ptr<mut u16>", doc = "Out."')]),
    "field.nullability-tightened": ([(INIT, INIT.replace("fn?<", "fn<"))], [(SPARE, SPARE.replace("fn<", "fn?<"))]),
    "field.nullability-relaxed": ([(SPARE, SPARE.replace("fn<", "fn?<"))], [(INIT, INIT.replace("fn?<", "fn<"))]),
    "vtable.slot-removed": ([(HANDLE, "")], [(HANDLE, HANDLE.replace('"handle"', '"on_handle"'))]),
    "vtable.slot-inserted": ([(VTABLE_HEAD, VTABLE_HEAD + '    { name = "first", type = "fn?<SpareFn>", doc = "F." },\n')],
                             [(SPARE, SPARE + '\n    { name = "last", type = "fn?<SpareFn>", doc = "L." },')]),
    "vtable.slot-moved": ([(INIT + "\n    " + HANDLE, HANDLE + "\n    " + INIT)],
                          [(SPARE, SPARE + '\n    { name = "last", type = "fn?<SpareFn>", doc = "L." },')]),
    "vtable.slot-appended": ([(SPARE, SPARE + '\n    { name = "last", type = "fn?<SpareFn>", doc = "L." },')],
                             [(VTABLE_HEAD, VTABLE_HEAD + '    { name = "first", type = "fn?<SpareFn>", doc = "F." },\n')]),
    "function.removed": ([(LONELY, "")], [('doc = "Referenced by nothing."', 'doc = "Unused."')]),
    "function.added": ([(LONELY, LONELY + NEW_FN)], [(LONELY, LONELY + NEW_STRUCT)]),
    "function.params-changed": ([('{ name = "sid", type = "u64" }', '{ name = "sid", type = "u32" }')],
                                [('{ name = "sid", type = "u64" }', '{ name = "stream", type = "u64" }')]),
    "function.returns-changed": ([('doc = "Spare."\nreturns = "void"', 'doc = "Spare."\nreturns = "Status"')],
                                 [('{ name = "n", type = "u64" }', '{ name = "count", type = "u64" }')]),
    "function.param-renamed": ([('{ name = "n", type = "u64" }', '{ name = "count", type = "u64" }')],
                               [('{ name = "n", type = "u64" }', '{ name = "n", type = "u32" }')]),
    "enum.removed": ([(MODE, "")], [('doc = "A mode."', 'doc = "Mode."')]),
    "enum.added": ([(MODE, MODE + NEW_ENUM)], [(MODE, MODE + NEW_CONST)]),
    "enum.repr-changed": ([('repr = "u32"\ndoc = "A mode."', 'repr = "u16"\ndoc = "A mode."')],
                          [('doc = "A mode."', 'doc = "Mode."')]),
    "enum.value-changed": ([('{ name = "Err", value = 1', '{ name = "Err", value = 7')],
                           [(GONE, GONE + '\n    { name = "Boom", value = 7, doc = "B." },')]),
    "enum.value-removed": ([(GONE, "")], [(GONE, GONE.replace('"Gone"', '"Away"'))]),
    "enum.value-reused": ([(GONE, '{ name = "Boom", value = 2, doc = "B." },\n    { name = "Gone", value = 3, doc = "Went away." },')],
                          [(GONE, GONE.replace('"Gone"', '"Away"'))]),
    "enum.value-renamed": ([(GONE, GONE.replace('"Gone"', '"Away"'))], [(GONE, "")]),
    "enum.value-added": ([(GONE, GONE + '\n    { name = "Boom", value = 7, doc = "B." },')],
                         [('doc = "Went away."', 'doc = "Gone."')]),
    "constant.removed": ([("[constants.LIMIT]\ntype = \"u32\"\nvalue = 8\ndoc = \"A limit.\"\n", "")],
                         [('doc = "A limit."', 'doc = "Limit."')]),
    "constant.added": ([(MODE, MODE + NEW_CONST)], [(MODE, MODE + NEW_ENUM)]),
    "constant.changed": ([("value = 8", "value = 9")], [("value = 1\ndoc = \"Version.\"", "value = 2\ndoc = \"Version.\"")]),
    "doc.changed": ([('doc = "Two numbers."', 'doc = "Two."')], [("# The schema every", "# The schema each")]),
}


def edited(edits: list[Edit]) -> str:
    text = BASE
    for old, new in edits:
        assert old in text, f"case edit does not apply: {old!r}"
        text = text.replace(old, new, 1)
    return text


def rules_of(new_text: str) -> set[str]:
    old = parse_schema(BASE, "base.toml")
    new = parse_schema(new_text, "new.toml")
    return {c.rule for c in abidiff.diff(old, new)}


def test_every_rule_has_a_case():
    assert sorted(CASES) == sorted(abidiff.load_rules())


@pytest.mark.parametrize("rule", sorted(CASES))
def test_rule_triggers(rule):
    trigger, _ = CASES[rule]
    assert rule in rules_of(edited(trigger))


@pytest.mark.parametrize("rule", sorted(CASES))
def test_rule_near_miss_does_not_trigger(rule):
    _, near = CASES[rule]
    assert rule not in rules_of(edited(near))


def test_identical_and_comment_only_schemas_have_no_changes():
    assert rules_of(BASE) == set()
    assert rules_of(BASE.replace("# The schema every", "# Each")) == set()


def test_severities_come_from_the_rule_table():
    rules = abidiff.load_rules()
    assert {r.severity for r in rules.values()} <= set(abidiff.SEVERITIES)
    old = parse_schema(BASE, "base.toml")
    for change in abidiff.diff(old, parse_schema(edited(CASES["field.removed"][0]), "new.toml")):
        assert change.severity == rules[change.rule].severity


def test_documented_rule_table_matches_the_rules():
    readme = (ROOT / "docs/abi-diff.md").read_text()
    rows = dict(re.findall(r"^\| `([a-z.-]+)` \| (breaking|needs-version-bump|compatible) \|", readme, re.M))
    assert rows == {r.id: r.severity for r in abidiff.load_rules().values()}


# The real case: every break between the two bundled generations, and nothing else breaking.
V1_TO_V2_BREAKING = {
    ("abi.pointer-widths-narrowed", "abi.pointer_bits"),
    ("struct.removed", "NrHeader"), ("struct.removed", "NrRequest"), ("struct.removed", "NrHostExt"),
    ("vtable.slot-removed", "NrPluginVTable.handle_raw"),
    ("vtable.slot-moved", "NrPluginVTable.shutdown"), ("vtable.slot-moved", "NrPluginVTable.stream_data"),
    ("vtable.slot-moved", "NrPluginVTable.stream_close"),
    ("function.params-changed", "NrSendResultFn"), ("function.returns-changed", "NrSendResultFn"),
    ("function.params-changed", "NrInitFn"), ("function.params-changed", "NrHandleFn"),
    ("function.params-changed", "NrShutdownFn"), ("function.params-changed", "NrStreamDataFn"),
    ("function.params-changed", "NrStreamCloseFn"),
    ("function.removed", "NrHandleRawFn"), ("function.removed", "NrSetStateFn"),
    ("function.removed", "NrGetStateFn"), ("function.removed", "NrSetHostExtFn"),
    ("export.renamed", "nylon_ring_get_plugin_v1"),
}


def test_abi1_to_abi2_lists_the_real_breaks():
    changes = abidiff.diff(abidiff.load_side("abi:1"), abidiff.load_side("abi:2"))
    breaking = {(c.rule, c.path) for c in changes if c.severity == "breaking"}
    assert breaking == V1_TO_V2_BREAKING
    others = {(c.rule, c.path) for c in changes if c.severity != "breaking"}
    assert ("enum.value-added", "NrStatus.Panic") in others
    assert ("enum.value-added", "NrStatus.Backpressure") in others
    assert ("vtable.slot-appended", "NrPluginVTable.resolve_entry") in others
    assert ("abi.version-bumped", "abi.version") in others
    assert ("abi.version-not-bumped", "abi.version") not in others | breaking


def cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "nylon_ring_sdk", "abi", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=60)


def test_cli_exit_codes_and_allow():
    assert cli("diff", "abi:1", "abi:1").returncode == 0
    done = cli("diff", "abi:1", "abi:2")
    assert done.returncode == 1, done.stderr
    assert "export.renamed" in done.stdout and done.stdout.rstrip().splitlines()[-1].startswith("abi diff abi:1 -> abi:2:")
    breaking = ",".join(sorted({rule for rule, _ in V1_TO_V2_BREAKING}))
    allowed = cli("diff", "abi:1", "abi:2", "--allow", breaking)
    assert allowed.returncode == 0, allowed.stdout
    assert "(allowed)" in allowed.stdout


def test_cli_usage_errors_exit_2_with_one_line():
    for args, text in ((("diff", "abi:3", "abi:1"), "abi:3: unknown bundled generation"),
                       (("diff", "no/such.toml", "abi:1"), "no/such.toml: no such schema file"),
                       (("diff", "abi:1", "abi:2", "--allow", "field.nope"), "--allow: unknown rule id 'field.nope'"),
                       (("frob",), "invalid choice: 'frob'"),
                       (("diff", "abi:1"), "diff needs OLD and NEW")):
        done = cli(*args)
        assert done.returncode == 2, (args, done.stdout, done.stderr)
        assert text in done.stderr and "Traceback" not in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1


def test_cli_json_and_github(tmp_path):
    data = json.loads(cli("diff", "abi:1", "abi:2", "--json").stdout)
    assert data["exit_code"] == 1
    assert {"rule": "struct.removed", "severity": "breaking", "path": "NrRequest",
            "detail": "struct NrRequest (72 bytes) removed"} in data["changes"]
    new = tmp_path / "new.toml"
    new.write_text(edited(CASES["field.removed"][0]))
    (tmp_path / "old.toml").write_text(BASE)
    out = cli("diff", "old.toml", "new.toml", "--format", "github", cwd=tmp_path).stdout.splitlines()
    line = BASE.splitlines().index("[structs.Pair]") + 1
    assert f"::error file=new.toml,line={line},title=abi field.removed::Pair.b: offset 4 removed" in out


def test_git_revision_side(tmp_path):
    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True)

    git("init", "-q")
    (tmp_path / "abi.toml").write_text(BASE)
    git("add", "abi.toml")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "base")
    (tmp_path / "abi.toml").write_text(edited(CASES["vtable.slot-removed"][0]))
    done = cli("diff", "HEAD:abi.toml", "abi.toml", cwd=tmp_path)
    assert done.returncode == 1
    assert "vtable.slot-removed" in done.stdout and "VTable.handle: slot 1 (offset 8) removed" in done.stdout
    assert "abi.version-not-bumped" in done.stdout
    bad = cli("diff", "HEAD~5:abi.toml", "abi.toml", cwd=tmp_path)
    assert bad.returncode == 2 and "HEAD~5:abi.toml: not readable from git" in bad.stderr
