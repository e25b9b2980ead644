"""The site description: read a site YAML file strictly, validate it against site/schema.json.

The shape is site/schema.json (here as site_schema.json), checked with jsonschema; then the
cross-field rules named in its x-rules run. The Ruby loader (Ipv6Common::Site) does the same
and produces the same normalised site (defaults applied, addresses canonical) and the same
messages; test/unit/test_site_agreement.py holds both to it. A problem is reported with the key
path, a code and a message "<path>: <what was found>; <the fix>", from the schema's x-messages.
"""
from __future__ import annotations

import copy
import dataclasses
import functools
import ipaddress
import json
import re
from pathlib import Path

import jsonschema
import yaml

SCHEMA_FILE = Path(__file__).with_name("site_schema.json")
SCHEMA = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
DEFS = SCHEMA["$defs"]
MESSAGES = SCHEMA["x-messages"]
FILE_PROBLEMS = SCHEMA["x-file-problems"]


def _pattern(name):
    return re.compile(DEFS[name]["pattern"].removesuffix("$") + r"\Z")


NAME_RE = _pattern("name")
DNS_NAME_RE = _pattern("dns_name")
ENV_NAME_RE = re.compile(r"[A-Z_][A-Z0-9_]*\Z")
_OCTET = "(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
IPV4_RE = re.compile(rf"{_OCTET}(?:\.{_OCTET}){{3}}\Z")
IPV6_CHARS_RE = re.compile(r"[0-9A-Fa-f:.]+\Z")
ADDRESS_CLASSES = (("ipv4_mapped", ipaddress.IPv6Network("::ffff:0:0/96")),
                   ("unspecified", ipaddress.IPv6Network("::/128")),
                   ("loopback", ipaddress.IPv6Network("::1/128")),
                   ("link_local", ipaddress.IPv6Network("fe80::/10")),
                   ("multicast", ipaddress.IPv6Network("ff00::/8")))


@dataclasses.dataclass(frozen=True)
class Problem:
    path: str
    code: str
    message: str


class SiteError(Exception):
    """The site file breaks the schema; .problems lists every problem found."""

    def __init__(self, problems):
        self.problems = list(problems)
        super().__init__("\n".join(p.message for p in self.problems))


@dataclasses.dataclass(frozen=True)
class Host:
    name: str
    fqdn: str
    roles: list
    addresses: list  # ipaddress.IPv6Address, in site order


@dataclasses.dataclass(frozen=True)
class Endpoint:
    name: str
    host: str
    fqdn: str
    port: int
    backend_port: int
    cert: str
    key: str
    stand_in: bool = False


@dataclasses.dataclass(frozen=True)
class Site:
    name: str
    zone: str
    ttl: int
    dns_server: str
    ca_bundle: str
    expiry_window_days: int
    hosts: dict
    endpoints: dict
    services: dict  # name -> mapping, defaults applied
    policy: dict  # ipv4_loopback, allowed_listeners, preflight
    tls: dict  # min_version, ciphers, ciphersuites, hsts, hsts_max_age
    pki_policy: dict  # min_rsa_bits, min_ec_bits, signature_hashes, max_validity_days, require_server_auth
    packages: dict  # Debian package name -> version
    data: dict = dataclasses.field(repr=False, compare=False, default_factory=dict)  # the normalised site
    source: str = "site file"

    def host_of_address(self, addr):
        """The Host that owns the address (string or ipaddress object), or None."""
        wanted = ipaddress.ip_address(str(addr))
        for host in self.hosts.values():
            if wanted in host.addresses:
                return host
        return None

    def host_with_role(self, role):
        """The first host (in site order) that has the role, or None."""
        return next((h for h in self.hosts.values() if role in h.roles), None)

    def endpoints_on(self, host_name):
        """The endpoints served by a host, in site order."""
        return [e for e in self.endpoints.values() if e.host == host_name]

    def names(self):
        """Every DNS name the site publishes: (id, owning key, fqdn, expected addresses)."""
        found = [NameExpectation(h.name, f"hosts.{h.name}", h.fqdn, h.addresses) for h in self.hosts.values()]
        found += [NameExpectation(e.name, f"endpoints.{e.name}", e.fqdn, self.hosts[e.host].addresses)
                  for e in self.endpoints.values()]
        return found


@dataclasses.dataclass(frozen=True)
class NameExpectation:
    id: str
    key: str
    fqdn: str
    addresses: list


# ---------------------------------------------------------------- predicates and messages
# The same predicates as Ipv6Common::Validate.

def name_ok(value):
    return isinstance(value, str) and bool(NAME_RE.match(value))


def dns_name_ok(value):
    return isinstance(value, str) and bool(DNS_NAME_RE.match(value))


def port_ok(value):
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 65535


@functools.lru_cache(maxsize=65536)
def _ipv6_text(value):
    return _ipv6(value)


def _ipv6(value):
    if not isinstance(value, str) or ":" not in value or not IPV6_CHARS_RE.match(value):
        return None
    try:
        return ipaddress.IPv6Address(value)
    except ValueError:
        return None


def address_class(value, allow=()):
    """The class that makes an address literal unfit (a problem code), or None."""
    if value.startswith("[") or value.endswith("]"):
        code = "bracketed"
    elif IPV4_RE.match(value):
        code = "ipv4"
    else:
        addr = _ipv6_text(value)
        if addr is None:
            code = "not_an_address"
        else:
            code = next((c for c, net in ADDRESS_CLASSES if addr in net), None)
    return None if code in allow else code


def canonical_address(value):
    """RFC 5952 text of a valid literal."""
    return _ipv6_text(value).compressed


def classify_address(value):
    """(canonical IPv6Address or None, problem code or None) for one site literal."""
    if not isinstance(value, str):
        return None, "type"
    code = address_class(value)
    return (None, code) if code else (ipaddress.IPv6Address(value), None)


def secret_problem(value):
    """None for {file: ABSOLUTE_PATH} or {env: NAME}; otherwise the problem code."""
    if not isinstance(value, (dict, list)):
        return "inline_secret"
    if not isinstance(value, dict) or len(value) != 1:
        return "bad_secret_ref"
    (kind, target), = value.items()
    ok = isinstance(target, str) and ((kind == "file" and target.startswith("/"))
                                      or (kind == "env" and ENV_NAME_RE.match(target)))
    return None if ok else "bad_secret_ref"


def _number(value):
    if value != value:
        return "nan"
    if value in (float("inf"), float("-inf")):
        return "inf" if value > 0 else "-inf"
    return "%g" % value


def describe(value):
    """How messages name a value found in the site (same text as the Ruby loader)."""
    if value is None:
        return "nothing"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return f"a string ({_json(value)})"
    if isinstance(value, bool):
        return f"a boolean ({'true' if value else 'false'})"
    if isinstance(value, int):
        return f"an integer ({value})"
    if isinstance(value, float):
        return f"a number ({_number(value)})"
    return f"a {type(value).__name__.lower()}"


def _json(value):
    return json.dumps(value, ensure_ascii=False)


def show(value):
    if isinstance(value, str):
        return value
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return _number(value)
    return str(value)


def quoted(value):
    return _json(value) if isinstance(value, str) else show(value)


_FIELD_RE = re.compile(r"\{\{|\}\}|\{([a-z_]+)\}")


def render(template, variables):
    """Fills an x-messages template: {name} from variables, {{ and }} as braces."""
    def one(match):
        if match.group(0) in ("{{", "}}"):
            return match.group(0)[0]
        return show(variables[match.group(1)])
    return _FIELD_RE.sub(one, template)


def problem(path, code, template=None, **variables):
    return Problem(path, code, render(template or MESSAGES[code], {**variables, "path": path}))


# ---------------------------------------------------------------- strict YAML

_BOOL_RE = re.compile(r"(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)\Z")
_TRUE = {"yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"}
_NULL_RE = re.compile(r"(?:~|null|Null|NULL|)\Z")
_INT_RE = re.compile(r"(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+"
                     r"|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)\Z")
_FLOAT_RE = re.compile(r"(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?"
                       r"|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)"
                       r"|[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+)\Z")
_CONTROL_RE = re.compile("[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_CORE = "tag:yaml.org,2002:"
# The first characters of a plain scalar that may be anything but a string (as PyYAML's resolver).
_IMPLICIT_FIRST = frozenset("yYnNtTfFoO-+0123456789.~<")


class _Refused(Exception):
    def __init__(self, kind, mark, **variables):
        super().__init__(kind)
        self.kind, self.variables = kind, {"line": mark.line + 1, "column": mark.column + 1, **variables}


def file_problem(kind, file, **variables):
    """The Problem (path '.') of one kind of x-file-problems."""
    code, found, fix = FILE_PROBLEMS[kind]
    variables = {**variables, "file": file}
    return problem(".", code, file=file, found=render(found, variables), fix=render(fix, variables))


def _sign(text):
    text = text.replace("_", "")
    if text.startswith("-"):
        return -1, text[1:]
    return 1, text.removeprefix("+")


def _sexagesimal(text, convert):
    total = 0
    for digits in text.split(":"):
        total = total * 60 + convert(digits)
    return total


def _int(value):
    sign, text = _sign(value)
    if text == "0":
        return 0
    if text.startswith("0b"):
        return sign * int(text[2:], 2)
    if text.startswith("0x"):
        return sign * int(text[2:], 16)
    if text.startswith("0"):
        return sign * int(text, 8)
    if ":" in text:
        return sign * _sexagesimal(text, int)
    return sign * int(text)


def _float(value):
    sign, text = _sign(value.lower())
    if text == ".inf":
        return sign * float("inf")
    if text == ".nan":
        return float("nan")
    if ":" in text:
        return sign * _sexagesimal(text, float)
    return sign * float(text)


def _scalar(value, tag, plain, mark):
    """Scalar text to the value YAML 1.1 reads (SafeLoader's rules, 1e3 a float, dates strings)."""
    if tag == "!":
        tag = None
    if tag is not None:
        kind = tag.removeprefix(_CORE)
    elif not plain or (value and value[0] not in _IMPLICIT_FIRST):
        return value
    elif _BOOL_RE.match(value):
        kind = "bool"
    elif _INT_RE.match(value):
        kind = "int"
    elif _FLOAT_RE.match(value):
        kind = "float"
    elif _NULL_RE.match(value):
        kind = "null"
    elif value == "<<":
        raise _Refused("merge", mark)
    else:
        kind = "str"
    if kind == "str":
        return value
    if kind == "bool":
        return value in _TRUE
    if kind == "null":
        return None
    if kind == "int":
        return _int(value)
    if kind == "float":
        return _float(value)
    raise _Refused("tag", mark, tag=tag)


class _Frame:
    __slots__ = ("value", "path", "key", "lines")

    def __init__(self, value, path):
        self.value, self.path, self.key, self.lines = value, path, None, {}


def _child_path(stack):
    if not stack:
        return ""
    frame = stack[-1]
    if isinstance(frame.value, list):
        return f"{frame.path}[{len(frame.value)}]"
    return f"{frame.path}.{frame.key}" if frame.path else frame.key


def _events_to_data(loader):
    stack, root, documents = [], None, 0

    def add(value):
        nonlocal root
        if not stack:
            root = value
            return
        frame = stack[-1]
        if isinstance(frame.value, dict):
            frame.value[frame.key] = value
            frame.key = None
        else:
            frame.value.append(value)

    def start(value, event, core):
        if event.tag not in (None, "!", _CORE + core):
            raise _Refused("tag", event.start_mark, tag=event.tag)
        if stack and isinstance(stack[-1].value, dict) and stack[-1].key is None:
            raise _Refused("complex_key", event.start_mark)
        stack.append(_Frame(value, _child_path(stack)))

    scalar_event, end = yaml.ScalarEvent, yaml.StreamEndEvent
    while True:
        event = loader.get_event()
        kind = type(event)
        if kind is scalar_event:
            frame = stack[-1] if stack else None
            plain = event.implicit[0]
            if frame is not None and isinstance(frame.value, dict) and frame.key is None:
                text, mark = event.value, event.start_mark
                if plain and event.tag is None and text == "<<":
                    raise _Refused("merge", mark)
                if event.tag not in (None, "!", _CORE + "str"):
                    raise _Refused("tag", mark, tag=event.tag)
                if text in frame.lines:
                    path = f"{frame.path}.{text}" if frame.path else text
                    raise SiteError([problem(path, "duplicate_key", key=text, line=mark.line + 1,
                                             column=mark.column + 1, first_line=frame.lines[text])])
                frame.lines[text] = mark.line + 1
                frame.key = text
            else:
                add(_scalar(event.value, event.tag, plain, event.start_mark))
        elif kind is yaml.MappingStartEvent:
            start({}, event, "map")
        elif kind is yaml.SequenceStartEvent:
            start([], event, "seq")
        elif kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
            add(stack.pop().value)
        elif kind is yaml.AliasEvent:
            raise _Refused("alias", event.start_mark)
        elif kind is yaml.DocumentStartEvent:
            documents += 1
            if documents > 1:
                raise _Refused("documents", event.start_mark)
        elif kind is end:
            return documents, root


def load_text(text, file):
    """The data of a YAML text (strict: one document, no aliases, no duplicate keys); file names it."""
    text = text.removeprefix("\ufeff")
    control = _CONTROL_RE.search(text)
    if control:
        offset = control.start()
        line = text.count("\n", 0, offset) + 1
        column = offset - text.rfind("\n", 0, offset)
        raise SiteError([file_problem("control", file, char="U+%04X" % ord(control.group()), line=line,
                                      column=column)])
    loader = yaml.CSafeLoader(text)
    try:
        documents, root = _events_to_data(loader)
    except _Refused as refused:
        raise SiteError([file_problem(refused.kind, file, tag=str(refused.variables.pop("tag", "")),
                                      **refused.variables)]) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.context_mark if exc.context and exc.context_mark else exc.problem_mark
        text_of = f"{exc.problem}, {exc.context} that starts there" if exc.context else str(exc.problem)
        raise SiteError([file_problem("syntax", file, line=mark.line + 1, column=mark.column + 1,
                                      problem=text_of)]) from None
    except yaml.YAMLError as exc:
        raise SiteError([file_problem("syntax", file, line=1, column=1, problem=str(exc))]) from None
    finally:
        loader.dispose()
    if documents == 0:
        raise SiteError([file_problem("empty", file)])
    return root


def read(path):
    """The plain data of a site file, or SiteError with its one problem."""
    file = str(path)
    path = Path(path)
    try:
        if path.is_dir():
            raise SiteError([file_problem("directory", file)])
        raw = path.read_bytes()
    except (FileNotFoundError, NotADirectoryError):
        raise SiteError([file_problem("missing", file)]) from None
    except IsADirectoryError:
        raise SiteError([file_problem("directory", file)]) from None
    except PermissionError:
        raise SiteError([file_problem("denied", file)]) from None
    except OSError as exc:
        raise SiteError([file_problem("io", file, reason=exc.strerror or str(exc))]) from None
    except ValueError:  # a NUL byte in the path
        raise SiteError([file_problem("missing", file)]) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SiteError([file_problem("not_utf8", file, offset=exc.start)]) from None
    data = load_text(text, file)
    if not isinstance(data, dict):
        raise SiteError([file_problem("not_mapping", file, found=describe(data))])
    return data


# ---------------------------------------------------------------- schema and rules

@functools.lru_cache(maxsize=None)
def _compiled(pattern):
    # ECMA-262 semantics: $ is the end of the string, not also before a final newline.
    return re.compile(pattern[:-1] + r"\Z" if pattern.endswith("$") else pattern)


def _pattern_keyword(validator, pattern, instance, schema):
    if validator.is_type(instance, "string") and not _compiled(pattern).search(instance):
        yield jsonschema.ValidationError(f"{instance!r} does not match {pattern!r}")


_Validator = jsonschema.validators.extend(jsonschema.Draft202012Validator, {"pattern": _pattern_keyword})
VALIDATOR = _Validator(SCHEMA)


# The keywords the schema may use: the compiled form knows exactly these (x-* are annotations), so a
# new keyword cannot slip past the fast check unnoticed.
KEYWORDS = {"$schema", "$defs", "$ref", "title", "description", "default", "type", "properties", "required",
            "additionalProperties", "propertyNames", "items", "minItems", "minProperties", "minLength", "minimum",
            "maximum", "enum", "pattern"}


def _rules(node):
    rule = node.get("x-rule")
    return [rule] if isinstance(rule, str) else list(rule or [])


def compile_schema(node):
    """The schema with every $ref replaced by its target (siblings win), the rules of both under x-rule
    as a list, patterns compiled."""
    if not isinstance(node, dict):
        return node
    unknown = [k for k in node if not k.startswith("x-") and k not in KEYWORDS]
    if unknown:
        raise ValueError(f"site schema: keyword(s) {', '.join(unknown)} not supported by the loader")
    rules = []
    if "$ref" in node:
        target = DEFS[node["$ref"].removeprefix("#/$defs/")]
        rules += _rules(target)
        node = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
    rules += [r for r in _rules(node) if r not in rules]
    out = {}
    for key, value in node.items():
        if key == "properties":
            value = {k: compile_schema(v) for k, v in value.items()}
        elif key in ("additionalProperties", "propertyNames", "items"):
            value = compile_schema(value)
        elif key == "pattern":
            value = _compiled(value)
        out[key] = value
    out["x-rule"] = rules
    # whether any node below has a rule: the walk skips subtrees without one
    below = [v for k, v in out.items() if k in ("additionalProperties", "items") and isinstance(v, dict)]
    below += list((out.get("properties") or {}).values())
    out["x-deep"] = any(sub["x-rule"] or sub["x-deep"] for sub in below)
    return out


COMPILED = compile_schema({k: v for k, v in SCHEMA.items() if k != "$defs"})


def _child(node, key):
    sub = (node.get("properties") or {}).get(key)
    if sub is None and isinstance(node.get("additionalProperties"), dict):
        sub = node["additionalProperties"]
    return sub


_TYPES = {
    "object": lambda v: isinstance(v, dict), "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str), "boolean": lambda v: isinstance(v, bool),
    "integer": lambda v: not isinstance(v, bool) and (isinstance(v, int) or (isinstance(v, float) and v.is_integer())),
}


def fast_valid(node, value):
    """True when value satisfies the compiled schema: the fast check of a valid site. Only when it fails
    does jsonschema run to report (test_site_agreement holds both to the same verdict)."""
    kind = node.get("type")
    if kind and not _TYPES[kind](value):
        return False
    if isinstance(value, dict):
        if "minProperties" in node and len(value) < node["minProperties"]:
            return False
        if any(k not in value for k in node.get("required", ())):
            return False
        props, extra, names = node.get("properties") or {}, node.get("additionalProperties"), node.get("propertyNames")
        for key, item in value.items():
            if names is not None and not fast_valid(names, key):
                return False
            sub = props.get(key, extra)
            if sub is False or (isinstance(sub, dict) and not fast_valid(sub, item)):
                return False
        return True
    if isinstance(value, list):
        if "minItems" in node and len(value) < node["minItems"]:
            return False
        items = node.get("items")
        return items is None or all(fast_valid(items, v) for v in value)
    if isinstance(value, str):
        if "minLength" in node and len(value) < node["minLength"]:
            return False
        if "pattern" in node and not node["pattern"].search(value):
            return False
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        if "minimum" in node and value < node["minimum"] or "maximum" in node and value > node["maximum"]:
            return False
    return "enum" not in node or any(value == e and type(value) is type(e) for e in node["enum"])


def normalise(data, node=COMPILED):
    """Defaults applied, integral floats of integer keys as int, addresses canonical. data must be valid."""
    if isinstance(data, dict):
        out = {k: (normalise(v, sub) if (sub := _child(node, k)) is not None else v) for k, v in data.items()}
        for key, sub in (node.get("properties") or {}).items():
            if key not in out and "default" in sub:
                out[key] = normalise(copy.deepcopy(sub["default"]), sub)
        return out
    if isinstance(data, list):
        items = node.get("items")
        return [normalise(v, items) for v in data] if items is not None else data
    if isinstance(data, float) and node.get("type") == "integer":
        return int(data)
    if isinstance(data, str) and "address" in node["x-rule"]:
        return canonical_address(data)
    return data


def _path_of(tokens):
    out = []
    for i, token in enumerate(tokens):
        out.append(f"[{token}]" if isinstance(token, int) else (token if i == 0 else f".{token}"))
    return "".join(out)


class _Checker:
    def __init__(self, data):
        self.data = data
        self.found = []  # (tokens, Problem)
        self.marked = set()
        self.addresses = {}

    def run(self):
        if not isinstance(self.data, dict):
            return [file_problem("not_mapping", "the site", found=describe(self.data))]
        if not fast_valid(COMPILED, self.data):
            self.schema_problems()
        typed = {p.path for _, p in self.found if p.code == "type"}
        self.found = [(t, p) for t, p in self.found if p.code == "type" or p.path not in typed]
        dns = self.data.get("dns")
        zone = dns.get("zone") if isinstance(dns, dict) else None
        self.zone = zone if dns_name_ok(zone) else None
        self.hosts = self.data["hosts"] if isinstance(self.data.get("hosts"), dict) else None
        self.rules = {name: getattr(self, "rule_" + name) for name in SCHEMA["x-rules"]}
        self.walk(COMPILED, self.data, [])
        return [p for _, p in sorted(self.found, key=self.order)]

    def add(self, tokens, code, node=None, template=None, **variables):
        tokens = list(tokens)
        path = _path_of(tokens)
        if template is None and isinstance(node, dict):
            template = (node.get("x-messages") or {}).get(code)
        self.marked.add(path)
        self.found.append((tokens, problem(path, code, template=template, **variables)))

    def value_at(self, tokens):
        value = self.data
        for token in tokens:
            value = value[token]
        return value

    def schema_problems(self):
        for error in VALIDATOR.iter_errors(self.data):
            tokens = list(error.absolute_path)
            node, keyword = error.schema, error.validator
            if keyword == "required":
                for key in node["required"]:
                    if key not in error.instance and error.message == f"{key!r} is a required property":
                        self.add(tokens + [key], "missing", node)
            elif keyword == "additionalProperties":
                allowed = node.get("properties") or {}
                for key in error.instance:
                    if key not in allowed:
                        self.add(tokens + [key], "unknown_key", node, allowed=", ".join(allowed))
            elif isinstance(self.value_at(tokens), dict) and isinstance(error.instance, str):
                # propertyNames: the error names the mapping, the instance is the key
                self.keyword_problem(tokens + [error.instance], keyword, node, error.instance)
            else:
                self.keyword_problem(tokens, keyword, node, error.instance)

    def keyword_problem(self, tokens, keyword, node, value):
        code = "type" if keyword == "type" else node.get("x-code") or SCHEMA["x-codes"][keyword]
        self.add(tokens, code, node, found=describe(value),
                 expected=node.get("x-expected") or SCHEMA["x-types"].get(node.get("type"), ""),
                 value=show(value), quoted=quoted(value), what=node.get("x-what"), hint=node.get("x-hint"),
                 item=node.get("x-item") or "item", choices=", ".join(node.get("enum") or []),
                 min=node.get("minimum"), max=node.get("maximum"))

    def walk(self, node, value, tokens):
        for rule in node["x-rule"]:
            if self.marked and _path_of(tokens) in self.marked:
                break
            self.rules[rule](value, tokens, node)
        if not node["x-deep"]:
            return
        if isinstance(value, dict):
            for key, item in value.items():
                sub = _child(node, key)
                if sub is not None:
                    tokens.append(key)
                    self.walk(sub, item, tokens)
                    tokens.pop()
        elif isinstance(value, list) and "items" in node:
            items = node["items"]
            for i, item in enumerate(value):
                tokens.append(i)
                self.walk(items, item, tokens)
                tokens.pop()

    def rule_address(self, value, tokens, node):
        if not isinstance(value, str):
            return
        code = address_class(value, node.get("x-allow") or ())
        if code:
            self.add(tokens, code, value=value, quoted=quoted(value), bare=value.replace("[", "").replace("]", ""))

    def rule_duplicate_address(self, value, tokens, node):
        canonical = canonical_address(value)
        first = self.addresses.get(canonical)
        if first:
            self.add(tokens, "duplicate_address", canonical=canonical, first=_path_of(first))
        else:
            self.addresses[canonical] = tuple(tokens)

    def rule_host_ref(self, value, tokens, node):
        if isinstance(value, str) and self.hosts is not None and value not in self.hosts:
            self.add(tokens, "unknown_host", quoted=quoted(value), hosts=", ".join(self.hosts))

    def rule_dns_host(self, value, tokens, node):
        host = self.hosts.get(value) if isinstance(value, str) and self.hosts is not None else None
        roles = host.get("roles") if isinstance(host, dict) else None
        if isinstance(roles, list) and "dns" not in roles:
            self.add(tokens, "not_dns_host", value=value)

    def rule_in_zone(self, value, tokens, node):
        if self.zone and isinstance(value, str) and not value.endswith("." + self.zone):
            self.add(tokens, "out_of_zone", value=value, zone=self.zone)

    def rule_endpoint_ports(self, value, tokens, node):
        if not isinstance(value, dict):
            return
        seen = {}
        for name, endpoint in value.items():
            if not (isinstance(endpoint, dict) and isinstance(endpoint.get("host"), str)
                    and port_ok(endpoint.get("port"))):
                continue
            port_tokens = tokens + [name, "port"]
            if _path_of(port_tokens) in self.marked:
                continue
            key = (endpoint["host"], endpoint["port"])
            if key in seen:
                self.add(port_tokens, "port_conflict", port=endpoint["port"], host=endpoint["host"], first=seen[key])
            else:
                seen[key] = _path_of(tokens + [name])

    def rule_secret(self, value, tokens, node):
        code = secret_problem(value)
        if code:
            self.add(tokens, code)

    def order(self, item):
        """File order: each key by its place in its mapping (an absent key after the present ones, by
        name), each item by index; then code and message."""
        tokens, found = item
        value, place = self.data, []
        for token in tokens:
            if isinstance(value, dict):
                keys = list(value)
                place.append((keys.index(token), "") if token in value else (len(keys), str(token)))
                value = value.get(token)
            else:
                place.append((token if isinstance(token, int) else 0, ""))
                value = value[token] if isinstance(value, list) and isinstance(token, int) else None
        return (tuple(place), found.code, found.message)


def problems(data):
    """Every problem in the parsed YAML, in file order: schema first checked, then the named rules."""
    return _Checker(data).run()


def from_data(data, source="site file"):
    """A Site from plain data, or SiteError with every problem."""
    found = problems(data)
    if found:
        raise SiteError(found)
    return _build(normalise(data), source)


def load(path, source=None):
    """Read and validate a site file; raise SiteError with ALL problems.

    source is how messages name the file (default: path as given).
    """
    return from_data(read(path), source or str(path))


@functools.lru_cache(maxsize=None)
def load_option(option, root):
    """load() for a command-line value: relative to root unless absolute; messages cite it from root."""
    path = Path(option)
    if not path.is_absolute():
        path = Path(root) / path
    try:
        source = str(path.resolve().relative_to(Path(root).resolve()))
    except ValueError:
        source = str(path)
    return load(path, source=source)


def _build(data, source):
    dns, pki = data["dns"], data["pki"]
    hosts = {
        name: Host(name, raw["fqdn"], list(raw["roles"]), [ipaddress.IPv6Address(a) for a in raw["addresses"]])
        for name, raw in data["hosts"].items()
    }
    endpoints = {name: Endpoint(name=name, **raw) for name, raw in data["endpoints"].items()}
    return Site(name=data["name"], zone=dns["zone"], ttl=dns["ttl"], dns_server=dns["server"],
                ca_bundle=pki["ca_bundle"], expiry_window_days=pki["expiry_window_days"], hosts=hosts,
                endpoints=endpoints, services=data["services"], policy=data["policy"], tls=data["tls"],
                pki_policy=pki["policy"], packages=data["packages"], data=data, source=source)
