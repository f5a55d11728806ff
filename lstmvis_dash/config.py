"""`datasets.yml`: the list of datasets the dashboard serves. Errors name the file and the line."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_KEYS = {"name", "path", "description"}


class ConfigError(ValueError):
    """A problem in the config file; the message starts with `file:line:`."""


@dataclass(frozen=True)
class DatasetEntry:
    name: str
    path: Path
    description: str
    line: int


@dataclass(frozen=True)
class Config:
    file: Path
    datasets: tuple

    def names(self) -> list[str]:
        return [d.name for d in self.datasets]

    def entry(self, name: str) -> DatasetEntry:
        for d in self.datasets:
            if d.name == name:
                return d
        raise ValueError(f"dataset {name!r} is not in {self.file}; datasets are {self.names()}")


def _scalar(node, file, what) -> str:
    if not isinstance(node, yaml.ScalarNode) or node.value == "":
        raise ConfigError(f"{file}:{node.start_mark.line + 1}: {what} must be a non-empty text value")
    return node.value


def load_config(file) -> Config:
    """Parse and check a datasets.yml; dataset folders are not opened here (that may fail per dataset)."""
    file = Path(file)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as e:
        raise ConfigError(f"{file}:0: cannot read the config ({e.strerror or e})") from None
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = mark.line + 1 if mark else 0
        raise ConfigError(f"{file}:{line}: not valid YAML: {getattr(e, 'problem', e)}") from None
    if root is None or not isinstance(root, yaml.MappingNode):
        raise ConfigError(f"{file}:1: expected a mapping with a 'datasets' list")
    top = {k.value: v for k, v in root.value}
    if "datasets" not in top:
        raise ConfigError(f"{file}:1: missing the 'datasets' list")
    seq = top["datasets"]
    if not isinstance(seq, yaml.SequenceNode):
        raise ConfigError(f"{file}:{seq.start_mark.line + 1}: 'datasets' must be a list")
    entries, seen = [], {}
    for item in seq.value:
        line = item.start_mark.line + 1
        if not isinstance(item, yaml.MappingNode):
            raise ConfigError(f"{file}:{line}: each dataset must be a mapping with name and path")
        fields = {}
        for k, v in item.value:
            if k.value not in _KEYS:
                raise ConfigError(f"{file}:{k.start_mark.line + 1}: unknown key {k.value!r}; "
                                  f"allowed are {sorted(_KEYS)}")
            fields[k.value] = v
        for key in ("name", "path"):
            if key not in fields:
                raise ConfigError(f"{file}:{line}: dataset is missing {key!r}")
        name = _scalar(fields["name"], file, "name")
        if not _NAME.match(name):
            raise ConfigError(f"{file}:{fields['name'].start_mark.line + 1}: name {name!r} must be letters, "
                              "digits, '_', '.', '-' (at most 64, starting with a letter or digit)")
        if name in seen:
            raise ConfigError(f"{file}:{line}: dataset name {name!r} is already used on line {seen[name]}")
        seen[name] = line
        path = Path(_scalar(fields["path"], file, "path")).expanduser()
        if not path.is_absolute():
            path = (file.parent / path).resolve()
        desc = _scalar(fields["description"], file, "description") if "description" in fields else ""
        entries.append(DatasetEntry(name, path, desc, line))
    if not entries:
        raise ConfigError(f"{file}:{seq.start_mark.line + 1}: the 'datasets' list is empty")
    return Config(file.resolve(), tuple(entries))
