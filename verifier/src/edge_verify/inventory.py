"""Ansible inventories read without Ansible: INI and YAML files, with the vars directories beside them.

    inv = inventory.load("hosts.ini")      # or .yml/.yaml/.json; InventoryError with one line
    inv.hosts                              # inventory hostname -> InventoryHost, ranges expanded
    inv.groups_of("ctl1")                  # every group the host is in, through `children`
    inv.host_vars("ctl1")                  # name -> Var(value, where), merged as Ansible merges them

What is read, as Ansible reads it (ansible-core 2.14):
- INI: `[group]` host lines with inline `key=value` variables (values read as Python literals, else as
  text), `[group:vars]`, `[group:children]`, hosts before any section (ungrouped), `#` and `;` comments.
- YAML (and JSON): groups mapped to `hosts`, `vars` and `children`, nested to any depth, host variables
  under each host. Another key in a group is an error here (Ansible skips it with a warning).
- Host patterns: ranges `cmp[1:3]`, `cmp[01:10]`, `cmp[1:9:2]`, `rack[a:c]`, several in one name;
  `name:port` and `[ipv6]:port` set ansible_port.
- `group_vars/` and `host_vars/` beside the inventory file: `NAME`, `NAME.yml`, `NAME.yaml`,
  `NAME.json`, or a directory `NAME/` of such files. A vault-encrypted file cannot be read; it is
  listed in `unread`.
- Precedence, lowest first: the groups' variables in the inventory file (`all` first, then the host's
  other groups by depth below `all`, then by name), the groups' group_vars files in the same order,
  the host's own variables, its host_vars files. `ansible_group_priority` is not read.

Not read: inventory plugin configurations (`plugin:`), scripts, directories of inventories, Jinja2
templates in values (kept as text).
"""
from __future__ import annotations

import ast
import dataclasses
import ipaddress
import re
import shlex
import string
import warnings
from pathlib import Path

import yaml

YAML_SUFFIXES = (".yml", ".yaml", ".json")
INI_SUFFIXES = (".ini", ".cfg", ".hosts")
VARS_SUFFIXES = ("", ".yml", ".yaml", ".json")
GROUP_KEYS = ("hosts", "vars", "children")
IMPLICIT_GROUPS = ("all", "ungrouped")
VAULT_HEADER = "$ANSIBLE_VAULT"

_SECTION_RE = re.compile(r"\[(?P<name>[^:\]\s]+)(?::(?P<kind>\w+))?\]\s*(?:[#;].*)?\Z")
_GROUP_NAME_RE = re.compile(r"(?P<name>[^:\]\s]+)\s*(?:[#;].*)?\Z")
_RANGE_RE = re.compile(r"\[([^\]\[]*)\]")
_PORT_RE = re.compile(r"(?P<host>[^:\[\]]+|.*\][^:]*):(?P<port>[0-9]+)\Z")
_BRACKETED_RE = re.compile(r"\[(?P<address>[^\]]+)\](?::(?P<port>[0-9]+))?\Z")
_LETTERS = string.ascii_letters


class InventoryError(Exception):
    """The inventory cannot be read; str() is one line naming the file (and the line) and the fix."""


@dataclasses.dataclass(frozen=True)
class Where:
    """Where a host, group or variable is written: a file and a line (1-based) when known."""
    file: str
    line: int | None = None

    def __str__(self):
        return f"{self.file} line {self.line}" if self.line else self.file


@dataclasses.dataclass(frozen=True)
class Var:
    value: object
    where: Where


@dataclasses.dataclass
class Group:
    name: str
    where: Where | None = None
    vars: dict = dataclasses.field(default_factory=dict)  # name -> Var (from the inventory file)
    hosts: list = dataclasses.field(default_factory=list)  # inventory hostnames, in file order
    children: list = dataclasses.field(default_factory=list)  # group names, in file order

    def add_host(self, name):
        if name not in self.hosts:
            self.hosts.append(name)

    def add_child(self, name):
        if name not in self.children:
            self.children.append(name)


@dataclasses.dataclass
class InventoryHost:
    name: str
    where: Where  # the first line that names it
    vars: dict = dataclasses.field(default_factory=dict)  # name -> Var (from the inventory file)


class Inventory:
    """Groups and hosts of one inventory file, plus its group_vars/ and host_vars/."""

    def __init__(self, source):
        self.source = str(source)
        self.groups = {name: Group(name) for name in IMPLICIT_GROUPS}
        self.hosts = {}
        self.group_files = {}  # group -> {name: Var} from group_vars/
        self.host_files = {}  # host -> {name: Var} from host_vars/
        self.unread = []  # Where of vars files that could not be read (vault-encrypted)

    # ------------------------------------------------------------ building

    def group(self, name, where=None):
        group = self.groups.get(name)
        if group is None:
            group = self.groups[name] = Group(name)
        if group.where is None and where is not None and name not in IMPLICIT_GROUPS:
            group.where = where
        return group

    def host(self, name, where):
        host = self.hosts.get(name)
        if host is None:
            host = self.hosts[name] = InventoryHost(name, where)
        return host

    def finish(self):
        """Top-level groups become children of all; ungrouped holds the hosts of no other group; refuses
        a loop of children."""
        children = {child for group in self.groups.values() for child in group.children}
        for name in self.groups:
            if name not in IMPLICIT_GROUPS and name not in children:
                self.groups["all"].add_child(name)
        self.groups["all"].add_child("ungrouped")
        for name in self.groups:
            self._check_loop(name, [name])
        self._parents = {name: [] for name in self.groups}
        for name, group in sorted(self.groups.items()):
            for child in group.children:
                self._parents[child].append(name)
        self._depths = {}
        grouped = {h for name, g in self.groups.items() if name not in IMPLICIT_GROUPS for h in g.hosts}
        self.groups["all"].hosts = []
        self.groups["ungrouped"].hosts = [h for h in self.hosts if h not in grouped]
        return self

    def _check_loop(self, name, path):
        for child in self.groups[name].children:
            if child in path:
                where = self.groups[name].where or Where(self.source)
                raise InventoryError(f"{where}: group {child} is its own descendant "
                                     f"({' > '.join(path + [child])}); remove one of the children entries")
            self._check_loop(child, path + [child])

    # ------------------------------------------------------------ reading

    def parents(self, name):
        return self._parents[name]

    def depth(self, name):
        """Ansible's group depth: 0 for all, else one more than the deepest parent."""
        if name not in self._depths:
            self._depths[name] = 0 if name == "all" else 1 + max(self.depth(p) for p in self.parents(name))
        return self._depths[name]

    def groups_of(self, host):
        """Every group the host is in, directly or through children (all included)."""
        found = set()
        pending = [g.name for g in self.groups.values() if host in g.hosts]
        while pending:
            name = pending.pop()
            if name not in found:
                found.add(name)
                pending += self.parents(name)
        return found | {"all"}

    def members(self, group):
        """Every host of a group, directly or through its children, sorted."""
        found, pending, seen = set(), [group], set()
        while pending:
            name = pending.pop()
            if name in seen:
                continue
            seen.add(name)
            found.update(self.groups[name].hosts)
            pending += self.groups[name].children
        return sorted(found)

    def host_vars(self, host):
        """The host's variables as Ansible merges them: name -> Var (see the module's precedence)."""
        others = sorted((g for g in self.groups_of(host) if g != "all"), key=lambda g: (self.depth(g), g))
        merged = {}
        groups = ["all", *others]
        layers = [self.groups[g].vars for g in groups] + [self.group_files.get(g, {}) for g in groups]
        layers += [self.hosts[host].vars, self.host_files.get(host, {})]
        for layer in layers:
            merged.update(layer)
        return merged


# ---------------------------------------------------------------- host patterns

def _expand_range(text, where):
    """The names of one range's body ("1:3", "01:10:2", "a:c")."""
    parts = text.split(":")
    if len(parts) not in (2, 3) or not all(parts[:2]):
        raise InventoryError(f"{where}: the host range [{text}] is not [begin:end] or [begin:end:step]")
    begin, end = parts[0], parts[1]
    try:
        step = int(parts[2]) if len(parts) == 3 and parts[2] else 1
    except ValueError:
        raise InventoryError(f"{where}: the step of the host range [{text}] is not a number") from None
    if step < 1:
        raise InventoryError(f"{where}: the step of the host range [{text}] must be 1 or more")
    if begin.isdigit() and end.isdigit():
        width = len(begin) if begin.startswith("0") and len(begin) > 1 else 0
        if width and len(end) != width:
            raise InventoryError(f"{where}: the host range [{text}] is zero-padded, so begin and end must "
                                 "have the same width")
        return [str(n).zfill(width) for n in range(int(begin), int(end) + 1, step)]
    if len(begin) == 1 and len(end) == 1 and begin in _LETTERS and end in _LETTERS:
        first, last = _LETTERS.index(begin), _LETTERS.index(end)
        if first > last:
            raise InventoryError(f"{where}: the host range [{text}] ends before it begins")
        return list(_LETTERS[first:last + 1:step])
    raise InventoryError(f"{where}: the host range [{text}] is neither numeric nor single letters")


def expand_names(name, where):
    """Every hostname a name with ranges stands for, in order."""
    match = _RANGE_RE.search(name)
    if match is None:
        if "[" in name or "]" in name:
            raise InventoryError(f"{where}: the host pattern {name} has an unmatched bracket")
        return [name]
    head, tail = name[:match.start()], name[match.end():]
    return [head + middle + rest for middle in _expand_range(match.group(1), where)
            for rest in expand_names(tail, where)]


def is_ip(text):
    """True for an IPv4 or IPv6 literal (an IPv6 zone id allowed)."""
    try:
        ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return False
    return True


def parse_pattern(pattern, where):
    """(hostnames, port or None) of a host pattern: ranges expanded, `:port` and `[v6]:port` split off."""
    if pattern.endswith(":"):
        raise InventoryError(f"{where}: the host pattern {pattern} ends in ':'; write NAME:PORT or NAME")
    bracketed = _BRACKETED_RE.match(pattern)
    if bracketed and ":" in bracketed.group("address") and is_ip(bracketed.group("address")):
        port = bracketed.group("port")
        return [bracketed.group("address")], int(port) if port else None
    if is_ip(pattern):
        return [pattern], None
    port = None
    match = _PORT_RE.match(pattern)
    if match and _RANGE_RE.sub("", match.group("host")).count(":") == 0:
        pattern, port = match.group("host"), int(match.group("port"))
    return expand_names(pattern, where), port


# ---------------------------------------------------------------- INI

def ini_value(text):
    """A value as Ansible's INI reader takes it: a Python literal when it is one, else the text."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return text


def read_ini(text, source):
    inventory = Inventory(source)
    group, kind = "ungrouped", "hosts"
    pending = {}  # a group named by [x:children] or [x:vars] before its own section -> (Where, text)
    defined = set(IMPLICIT_GROUPS)
    for number, raw in enumerate(text.splitlines(), 1):
        where = Where(source, number)
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("["):
            section = _SECTION_RE.match(line)
            if section:
                group, kind = section.group("name"), section.group("kind") or "hosts"
                if kind not in ("hosts", "vars", "children"):
                    raise InventoryError(f"{where}: the section [{group}:{kind}] has an unknown type; use "
                                         f"[{group}], [{group}:vars] or [{group}:children]")
                if kind == "vars":
                    if group not in defined:
                        pending.setdefault(group, (where, f"[{group}:vars] is for the group {group}"))
                else:
                    inventory.group(group, where)
                    defined.add(group)
                    pending.pop(group, None)
                continue
            if line.split("#", 1)[0].rstrip().endswith("]"):
                raise InventoryError(f"{where}: {line} is not a section header; write [group], [group:vars] "
                                     "or [group:children], without spaces")
        if kind == "hosts":
            _ini_host_line(inventory, group, line, where)
        elif kind == "vars":
            name, equals, value = line.partition("=")
            if not equals or not name.strip():
                raise InventoryError(f"{where}: expected key=value in [{group}:vars], got {line}")
            inventory.group(group).vars[name.strip()] = Var(ini_value(value.strip()), where)
        else:
            child = _GROUP_NAME_RE.match(line)
            if child is None:
                raise InventoryError(f"{where}: {line} is not a group name (in [{group}:children])")
            name = child.group("name")
            inventory.group(group).add_child(name)
            if name not in defined:
                pending.setdefault(name, (where, f"[{group}:children] names the group {name}"))
    if pending:
        name, (where, what) = min(pending.items(), key=lambda item: item[1][0].line)
        raise InventoryError(f"{where}: {what}, which has no section; add a [{name}] section "
                             f"(or [{name}:children])")
    return inventory.finish()


def _ini_host_line(inventory, group, line, where):
    try:
        tokens = shlex.split(line, comments=True)
    except ValueError as error:
        raise InventoryError(f"{where}: cannot read the host line ({error}); close the quotes") from None
    if not tokens:
        return
    names, port = parse_pattern(tokens[0], where)
    variables = {}
    for token in tokens[1:]:
        name, equals, value = token.partition("=")
        if not equals or not name:
            raise InventoryError(f"{where}: expected key=value after the host {tokens[0]}, got {token}")
        variables[name] = Var(ini_value(value), where)
    if port is not None:
        variables.setdefault("ansible_port", Var(port, where))
    for name in names:
        inventory.host(name, where).vars.update(variables)
        inventory.group(group).add_host(name)


# ---------------------------------------------------------------- YAML

class _Loader(yaml.SafeLoader):
    """SafeLoader that keeps Ansible's !vault and !unsafe values as text."""


def _tagged_text(loader, node):
    return loader.construct_scalar(node) if isinstance(node, yaml.ScalarNode) else "(tagged value)"


_Loader.add_constructor("!vault", _tagged_text)
_Loader.add_constructor("!unsafe", _tagged_text)


def _compose(text, source):
    try:
        return yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        raise InventoryError(f"{Where(source, mark.line + 1)}: cannot be read as YAML: "
                             f"{error.problem or error.context} (column {mark.column + 1})") from None
    except yaml.YAMLError as error:
        raise InventoryError(f"{source}: cannot be read as YAML: {' '.join(str(error).split())}") from None


def _construct(node, source):
    loader = _Loader("")
    try:
        return loader.construct_object(node, deep=True)
    except yaml.YAMLError as error:
        line = getattr(getattr(error, "problem_mark", None), "line", node.start_mark.line)
        raise InventoryError(f"{Where(source, line + 1)}: {' '.join(str(getattr(error, 'problem', error)).split())}"
                             ) from None
    finally:
        loader.dispose()


def _pairs(node, what, source):
    """(key text, key line, value node) of a mapping node; an empty value (null) gives no pairs."""
    if isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:null":
        return []
    if not isinstance(node, yaml.MappingNode):
        raise InventoryError(f"{Where(source, node.start_mark.line + 1)}: {what} must be a mapping")
    pairs = []
    for key, value in node.value:
        if not isinstance(key, yaml.ScalarNode):
            raise InventoryError(f"{Where(source, key.start_mark.line + 1)}: a key in {what} is not a name")
        pairs.append((key.value, Where(source, key.start_mark.line + 1), value))
    return pairs


def _vars(node, what, source):
    variables = {}
    for name, where, value in _pairs(node, what, source):
        variables[name] = Var(_construct(value, source), where)
    return variables


def read_yaml(text, source):
    root = _compose(text, source)
    if root is None:
        raise InventoryError(f"{source}: holds nothing; write the groups as a YAML mapping (all: hosts: ...)")
    if not isinstance(root, yaml.MappingNode):
        raise InventoryError(f"{Where(source, root.start_mark.line + 1)}: the inventory must be a mapping of "
                             "groups (all: hosts: ...)")
    keys = [key.value for key, _ in root.value if isinstance(key, yaml.ScalarNode)]
    if "plugin" in keys:
        raise InventoryError(f"{source}: is an inventory plugin configuration (plugin:); export a static "
                             f"inventory first: ansible-inventory -i {source} --list --yaml > static.yml")
    if "_meta" in keys:
        raise InventoryError(f"{source}: is `ansible-inventory --list` output; export YAML instead: "
                             "ansible-inventory -i SOURCE --list --yaml > static.yml")
    inventory = Inventory(source)
    for name, where, value in _pairs(root, "the inventory", source):
        _yaml_group(inventory, name, where, value, source)
    return inventory.finish()


def _yaml_group(inventory, name, where, node, source):
    group = inventory.group(name, where)
    for key, key_where, value in _pairs(node, f"the group {name}", source):
        if key not in GROUP_KEYS:
            raise InventoryError(f"{key_where}: the group {name} has the key {key}; use hosts, vars or children "
                                 "(a typo is not ignored)")
        if key == "vars":
            group.vars.update(_vars(value, f"the vars of {name}", source))
        elif key == "hosts":
            for pattern, host_where, host_node in _pairs(value, f"the hosts of {name}", source):
                names, port = parse_pattern(pattern, host_where)
                variables = _vars(host_node, f"the host {pattern}", source)
                if port is not None:
                    variables.setdefault("ansible_port", Var(port, host_where))
                for host in names:
                    inventory.host(host, host_where).vars.update(variables)
                    group.add_host(host)
        else:
            for child, child_where, child_node in _pairs(value, f"the children of {name}", source):
                group.add_child(child)
                _yaml_group(inventory, child, child_where, child_node, source)


# ---------------------------------------------------------------- files

def _text(path, what):
    try:
        if Path(path).is_dir():
            raise InventoryError(f"{path}: is a directory; name the inventory file itself")
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        raise InventoryError(f"{path}: does not exist; check the path") from None
    except PermissionError:
        raise InventoryError(f"{path}: cannot be read (permission denied)") from None
    except OSError as error:
        raise InventoryError(f"{path}: cannot be read ({error.strerror or error})") from None
    try:
        return raw.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as error:
        raise InventoryError(f"{path}: is not UTF-8 text (invalid byte at offset {error.start}); "
                             f"{what}") from None


def form_of(path, text):
    """'yaml' or 'ini': by the file's extension, else by its content (a YAML mapping is YAML)."""
    suffix = Path(path).suffix.lower()
    if suffix in YAML_SUFFIXES:
        return "yaml"
    if suffix in INI_SUFFIXES:
        return "ini"
    if text.lstrip().startswith(VAULT_HEADER):
        return "vault"
    try:
        data = yaml.load(text, Loader=_Loader)
    except yaml.YAMLError:
        return "ini"
    return "yaml" if isinstance(data, dict) else "ini"


def _vars_files(directory, name):
    files = [directory / f"{name}{suffix}" for suffix in VARS_SUFFIXES if (directory / f"{name}{suffix}").is_file()]
    if (directory / name).is_dir():
        files += sorted(path for path in (directory / name).rglob("*")
                        if path.is_file() and path.suffix in VARS_SUFFIXES and not path.name.startswith(".")
                        and not path.name.endswith("~"))
    return files


def _read_vars_dir(inventory, directory, names, target):
    for name in names:
        for path in _vars_files(directory, name):
            text = _text(path, "save it as UTF-8")
            if text.lstrip().startswith(VAULT_HEADER):
                inventory.unread.append(Where(str(path)))
                continue
            root = _compose(text, str(path))
            if root is not None:
                target.setdefault(name, {}).update(_vars(root, str(path), str(path)))


def load(path):
    """The inventory in path (INI or YAML), with group_vars/ and host_vars/ beside it; InventoryError."""
    path = Path(path)
    text = _text(path, "save it as UTF-8")
    form = form_of(path, text)
    if form == "vault":
        raise InventoryError(f"{path}: is vault-encrypted; decrypt a copy first (ansible-vault view)")
    inventory = (read_yaml if form == "yaml" else read_ini)(text, str(path))
    if not inventory.hosts:
        raise InventoryError(f"{path}: holds no host; name the inventory file that lists the hosts")
    base = path.parent
    _read_vars_dir(inventory, base / "group_vars", sorted(inventory.groups), inventory.group_files)
    _read_vars_dir(inventory, base / "host_vars", sorted(inventory.hosts), inventory.host_files)
    return inventory


# ---------------------------------------------------------------- the verifier's hosts from an inventory

def site_host_named(site, name):
    """The site Host an inventory hostname stands for: the one whose key, else whose fqdn, it is; or None."""
    if name in site.hosts:
        return site.hosts[name]
    return next((host for host in site.hosts.values() if host.fqdn == name), None)


def site_hosts_in(site, names):
    """(testinfra host specs `ansible://NAME` in site order, site host keys the inventory lacks), for the
    inventory hostnames names: each site host is matched to the name equal to its key, else its fqdn."""
    names = set(names)
    specs, missing = [], []
    for key, host in site.hosts.items():
        name = key if key in names else host.fqdn if host.fqdn in names else None
        if name is None:
            missing.append(key)
        else:
            specs.append(f"ansible://{name}")
    return specs, missing
