"""After rendering: keep only the chosen ABI generation's SDK layer.

`nylon-ring new` prunes the other generation's files itself; this hook makes a plain
`cookiecutter templates/cpp` render give the same project. Which files belong to
which generation is read from the template's nylon-ring-template.toml.
"""

import pathlib
import tomllib

TEMPLATE = pathlib.Path("{{ cookiecutter._template }}")
ABI = "{{ cookiecutter.abi }}"


def main() -> None:
    spec = tomllib.loads((TEMPLATE / "nylon-ring-template.toml").read_text(encoding="utf-8"))
    generations = spec.get("generations", {})
    keep = set(generations.get(ABI, {}).get("files", ()))
    for generation, table in generations.items():
        for rel in table.get("files", ()):
            path = pathlib.Path(rel)
            if generation != ABI and rel not in keep and path.is_file():
                path.unlink()


main()
