"""`datasets.yml`: the list of datasets the dashboard serves. Errors name the file and the line."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl

import yaml

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_KEYS = {"name", "path", "shards", "cluster", "description", "presets"}
# the view keys of a shareable URL (SPEC section 5) a preset may set; `dataset` is the entry's own
PRESET_VIEW_KEYS = ("layer", "pos", "width", "sel", "pad", "threshold", "exclude", "length",
                    "annotation", "transform", "compare")
_CLUSTER = re.compile(r"^((tcp|tls|ucx|inproc|ws|wss)://\S+|[A-Za-z0-9_.-]+:\d+)$")


class ConfigError(ValueError):
    """A problem in the config file; the message starts with `file:line:`."""


@dataclass(frozen=True)
class Preset:
    """A saved view of a dataset (e.g. a finding's selection): a link label and the view's query
    string (SPEC section 5 keys, without `dataset`)."""
    label: str
    query: str
    line: int = 0


@dataclass(frozen=True)
class DatasetEntry:
    name: str
    path: Path              # the folder; for a sharded entry, its first shard
    description: str
    line: int
    presets: tuple = ()
    shards: tuple = ()      # the shard folders of a sharded entry (SPEC.md section 7), else ()
    cluster: str = ""       # a dask.distributed scheduler address for its matches, or "" (local)

    @property
    def folders(self) -> tuple:
        """Every folder the entry reads."""
        return self.shards or (self.path,)


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


def _presets(node, file) -> tuple:
    """The `presets:` list of one entry: mappings with a `label` and a `query` (see Preset)."""
    if not isinstance(node, yaml.SequenceNode):
        raise ConfigError(f"{file}:{node.start_mark.line + 1}: presets must be a list of "
                          "{label: ..., query: ...} mappings")
    out = []
    for item in node.value:
        line = item.start_mark.line + 1
        if not isinstance(item, yaml.MappingNode):
            raise ConfigError(f"{file}:{line}: each preset must be a mapping with label and query")
        fields = {k.value: v for k, v in item.value}
        unknown = sorted(set(fields) - {"label", "query"})
        if unknown:
            raise ConfigError(f"{file}:{line}: unknown preset key {unknown[0]!r}; allowed are label, query")
        for key in ("label", "query"):
            if key not in fields:
                raise ConfigError(f"{file}:{line}: preset is missing {key!r}")
        label = _scalar(fields["label"], file, "a preset's label")
        query = _scalar(fields["query"], file, "a preset's query").lstrip("?")
        qline = fields["query"].start_mark.line + 1
        try:
            pairs = parse_qsl(query, keep_blank_values=True, strict_parsing=True)
        except ValueError:
            raise ConfigError(f"{file}:{qline}: preset query {query!r} is not a query string "
                              "(key=value pairs joined by &)") from None
        for key, _ in pairs:
            if key not in PRESET_VIEW_KEYS:
                raise ConfigError(f"{file}:{qline}: preset query key {key!r} is not a view key; "
                                  f"allowed are {', '.join(PRESET_VIEW_KEYS)}")
        out.append(Preset(label, query, line))
    return tuple(out)


def _folder(text: str, file: Path) -> Path:
    path = Path(text).expanduser()
    return path if path.is_absolute() else (file.parent / path).resolve()


def _shard_list(node, file: Path) -> tuple:
    if not isinstance(node, yaml.SequenceNode) or not node.value:
        raise ConfigError(f"{file}:{node.start_mark.line + 1}: shards must be a non-empty list of folders")
    out = []
    for item in node.value:
        folder = _folder(_scalar(item, file, "each shard"), file)
        if folder in out:
            raise ConfigError(f"{file}:{item.start_mark.line + 1}: shard {item.value!r} is listed twice")
        out.append(folder)
    return tuple(out)


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
        if "name" not in fields:
            raise ConfigError(f"{file}:{line}: dataset is missing 'name'")
        if "path" not in fields and "shards" not in fields:
            raise ConfigError(f"{file}:{line}: dataset is missing 'path' (a folder) or 'shards' (a list of folders)")
        if "path" in fields and "shards" in fields:
            raise ConfigError(f"{file}:{line}: dataset has both 'path' and 'shards'; give one of them")
        name = _scalar(fields["name"], file, "name")
        if not _NAME.match(name):
            raise ConfigError(f"{file}:{fields['name'].start_mark.line + 1}: name {name!r} must be letters, "
                              "digits, '_', '.', '-' (at most 64, starting with a letter or digit)")
        if name in seen:
            raise ConfigError(f"{file}:{line}: dataset name {name!r} is already used on line {seen[name]}")
        seen[name] = line
        shards = _shard_list(fields["shards"], file) if "shards" in fields else ()
        path = shards[0] if shards else _folder(_scalar(fields["path"], file, "path"), file)
        cluster = ""
        if "cluster" in fields:
            cluster = _scalar(fields["cluster"], file, "cluster")
            if not _CLUSTER.match(cluster):
                raise ConfigError(f"{file}:{fields['cluster'].start_mark.line + 1}: cluster {cluster!r} must be "
                                  "a dask scheduler address such as tcp://host:8786")
        desc = _scalar(fields["description"], file, "description") if "description" in fields else ""
        presets = _presets(fields["presets"], file) if "presets" in fields else ()
        entries.append(DatasetEntry(name, path, desc, line, presets, shards, cluster))
    if not entries:
        raise ConfigError(f"{file}:{seq.start_mark.line + 1}: the 'datasets' list is empty")
    return Config(file.resolve(), tuple(entries))
