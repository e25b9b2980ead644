#!/usr/bin/python3
"""The fault catalogue: every problem code the verifier emits, and the fault tests that see it.

    test/faults/catalogue.py            write docs/fault-catalogue.md
    test/faults/catalogue.py --check    exit 1 when docs/fault-catalogue.md is not what it would write

Everything is read with ast, without a lab and without importing the fault tests: the codes, and what
each catches (the comment beside it), from verifier/src/edge_verify/problem.py; the codes the verifier
emits from the string literals of its checks/, facts/ and suites/; the faults from the `fault` markers
of test/faults/test_*.py, on a test or in the marks of one `pytest.param` of its parametrize:

    @pytest.mark.fault('what is broken, in words', codes=('ipv4',), unrepaired=(), note='')

codes: the codes the test sees appear and then, after the repair, sees gone; unrepaired: codes it sees
appear without checking the repair clears them (listed, not counted as covering the code); a marker with
neither is a fault no verifier check sees (the converge refuses it). A marker naming an unknown code, or
one the catalogue cannot read, is an error (exit 2) in both modes.
"""
import argparse
import ast
import dataclasses
import io
import re
import sys
import tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROBLEM = Path('verifier/src/edge_verify/problem.py')
CODE_LISTS = ('SHARED_CODES', 'VERIFIER_CODES')
EMITTERS = tuple(Path('verifier/src/edge_verify') / part for part in ('checks', 'facts', 'suites'))
FAULTS = Path('test/faults')
# Where the codes the verifier's checks do not emit are used instead: Chef's refusals, the site loaders' messages,
# the flags of the Ansible inventory import.
ELSEWHERE = ('cookbooks/*/libraries/*.rb', 'site/schema.json', 'verifier/src/edge_verify/import_ansible.py')
TABLE = Path('docs/fault-catalogue.md')
# Codes whose fault the lab's kernel cannot produce, with the reason; checked on recorded input (test/unit) only.
UNINJECTABLE = {
    'not_v6only': 'Linux sets IPV6_V6ONLY on every socket bound to a specific, non-mapped IPv6 address, whatever the '
                  'program asked (inet6_bind); test/faults/test_no_ipv4.py shows such a socket reported v6only and '
                  'passing, test/unit/test_checks_host.py and test_checks_haproxy.py the check on recorded ss output',
}
MARKER = 'fault'
MARKER_OPTIONS = ('codes', 'unrepaired', 'note')
# Calls whose string arguments name attributes, not codes: getattr(address, "ipv4_mapped").
ATTRIBUTE_CALLS = ('getattr', 'hasattr', 'setattr')
# The call that sees a code in the verifier's report (test/faults/lab_cli.py).
SEES = 'failed_with'


class CatalogueError(Exception):
    """The catalogue cannot be written: the message lists every reason, one a line."""


@dataclasses.dataclass(frozen=True)
class Code:
    name: str
    catches: str    # the comment beside the code in problem.py
    line: int


@dataclasses.dataclass(frozen=True)
class Fault:
    test: str       # the pytest node id: test/faults/FILE::TEST, or ...::TEST[ID] for one parameter
    what: str       # the fault injected, in words
    codes: tuple    # seen, then seen gone after the repair
    unrepaired: tuple  # seen, the repair not checked
    note: str
    where: str      # FILE:LINE of the marker


@dataclasses.dataclass
class Catalogue:
    codes: dict     # name -> Code, in problem.py's order
    emitted: dict   # name -> [FILE:LINE, ...] where a check, fact or suite names it
    elsewhere: dict  # name -> [FILE, ...] of the cookbooks' libraries and the site schema that name it
    faults: list    # Fault, in file and line order
    errors: list    # markers that name unknown codes or cannot be read

    def covering(self, code):
        return [fault for fault in self.faults if code in fault.codes]

    @property
    def uncovered(self):
        """The codes the verifier emits that no fault test sees appear and then go after the repair."""
        return [code for code in self.codes
                if code in self.emitted and not self.covering(code) and code not in UNINJECTABLE]


def read(root=ROOT):
    """The catalogue of the project at root."""
    root = Path(root)
    codes = known_codes(root)
    faults, errors = fault_markers(root)
    for fault in faults:
        unknown = [code for code in fault.codes + fault.unrepaired if code not in codes]
        if unknown:
            errors.append(f'{fault.where}: {fault.test} names {", ".join(unknown)}, not a code of {PROBLEM}')
    return Catalogue(codes, emitted_codes(root, codes), named_elsewhere(root, codes), faults, errors)


def known_codes(root):
    """name -> Code of every code in problem.py's code lists, with the comment on its line."""
    text = (root / PROBLEM).read_text()
    comments = {token.start[0]: token.string.lstrip('#').strip()
                for token in tokenize.generate_tokens(io.StringIO(text).readline) if token.type == tokenize.COMMENT}
    codes = {}
    for node in ast.parse(text, str(PROBLEM)).body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id in CODE_LISTS for t in node.targets):
            for constant in ast.walk(node.value):
                if isinstance(constant, ast.Constant) and isinstance(constant.value, str):
                    codes[constant.value] = Code(constant.value, comments.get(constant.lineno, ''), constant.lineno)
    return codes


def emitted_codes(root, codes):
    """name -> [FILE:LINE] of every string literal of the checks, facts and suites that is a code."""
    emitted = {}
    for directory in EMITTERS:
        for path in sorted((root / directory).rglob('*.py')):
            tree = ast.parse(path.read_text(), str(path))
            attributes = {id(node.args[1]) for node in ast.walk(tree)
                          if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                          and node.func.id in ATTRIBUTE_CALLS and len(node.args) > 1}
            for node in ast.walk(tree):
                if isinstance(node, ast.Constant) and node.value in codes and id(node) not in attributes:
                    emitted.setdefault(node.value, []).append(f'{path.relative_to(root)}:{node.lineno}')
    return {code: sorted(set(places), key=_place_order) for code, places in emitted.items()}


def _place_order(place):
    path, _, line = place.rpartition(':')
    return path, int(line)


def named_elsewhere(root, codes):
    """name -> [FILE] of the cookbooks' libraries and the site schema that name the code as a string or a
    symbol."""
    found = {}
    for path in sorted(path for pattern in ELSEWHERE for path in root.glob(pattern)):
        text = path.read_text()
        for code in codes:
            if re.search(rf"""(['"]){code}\1|:{code}\b""", text):
                found.setdefault(code, []).append(str(path.relative_to(root)))
    return found


def _is_mark(node, name):
    """node is the call pytest.mark.NAME(...)."""
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == name
            and isinstance(node.func.value, ast.Attribute) and node.func.value.attr == 'mark'
            and isinstance(node.func.value.value, ast.Name) and node.func.value.value.id == 'pytest')


def _is_param(node):
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == 'param'
            and isinstance(node.func.value, ast.Name) and node.func.value.id == 'pytest')


def _keyword(call, name):
    return next((keyword.value for keyword in call.keywords if keyword.arg == name), None)


def _param_values(decorator, assigned):
    """The argvalues of a parametrize decorator as an ast list or tuple (a module-level name is followed), or
    None when they are computed."""
    values = decorator.args[1] if len(decorator.args) > 1 else _keyword(decorator, 'argvalues')
    if isinstance(values, ast.Name):
        values = assigned.get(values.id)
    return values.elts if isinstance(values, (ast.List, ast.Tuple)) else None


def _param_marks(param):
    marks = _keyword(param, 'marks')
    if marks is None:
        return []
    return list(marks.elts) if isinstance(marks, (ast.List, ast.Tuple)) else [marks]


def _param_id(param):
    """The id pytest gives the parameter: id=, else its one value when that is a string."""
    ident = _keyword(param, 'id')
    if isinstance(ident, ast.Constant) and isinstance(ident.value, str):
        return ident.value
    if ident is None and len(param.args) == 1 and isinstance(param.args[0], ast.Constant) \
            and isinstance(param.args[0].value, str):
        return param.args[0].value
    return None


def _literal(node, assigned):
    """The value of a literal, or of a module-level name bound to one."""
    if isinstance(node, ast.Name) and node.id in assigned:
        node = assigned[node.id]
    return ast.literal_eval(node)


def _fault(test, call, where, assigned, errors):
    """The Fault a marker call states, or None after adding why it cannot be read to errors."""
    try:
        (what,) = [_literal(arg, assigned) for arg in call.args]
        options = {keyword.arg: _literal(keyword.value, assigned) for keyword in call.keywords}
    except (ValueError, TypeError, SyntaxError):
        errors.append(f'{where}: the fault marker of {test} takes one text and options that are literals '
                      '(or module-level names bound to literals)')
        return None
    unknown = sorted(set(options) - set(MARKER_OPTIONS))
    lists = [options.get(name, ()) for name in ('codes', 'unrepaired')]
    if not isinstance(what, str) or not what.strip() or unknown or not isinstance(options.get('note', ''), str) \
            or not all(isinstance(codes, (tuple, list)) and all(isinstance(c, str) for c in codes) for codes in lists):
        errors.append(f'{where}: the fault marker of {test} must be fault(TEXT, codes=(CODE, ...), '
                      'unrepaired=(CODE, ...), note=TEXT)' + (f'; not {", ".join(unknown)}' if unknown else ''))
        return None
    codes, unrepaired = (tuple(codes) for codes in lists)
    return Fault(test, ' '.join(what.split()), codes, unrepaired, ' '.join(options.get('note', '').split()), where)


def fault_markers(root):
    """([Fault, ...], [error, ...]) from the fault markers of every test module of test/faults."""
    faults, errors = [], []
    for path in sorted((root / FAULTS).glob('test_*.py')):
        relative = path.relative_to(root)
        tree = ast.parse(path.read_text(), str(path))
        assigned = {target.id: node.value for node in tree.body if isinstance(node, ast.Assign)
                    for target in node.targets if isinstance(target, ast.Name)}
        placed = set()

        def add(test, mark):
            placed.add(id(mark))
            fault = _fault(test, mark, f'{relative}:{mark.lineno}', assigned, errors)
            if fault is not None:
                faults.append(fault)

        for node in tree.body:
            if not isinstance(node, ast.FunctionDef) or not node.name.startswith('test_'):
                continue
            test = f'{relative}::{node.name}'
            marked = [d for d in node.decorator_list if _is_mark(d, MARKER)]
            for mark in marked:
                add(test, mark)
            params, unlisted = [], False
            for decorator in (d for d in node.decorator_list if _is_mark(d, 'parametrize')):
                values = _param_values(decorator, assigned)
                unlisted = unlisted or values is None
                params += [value for value in values or () if _is_param(value)]
            for param in params:
                for mark in (m for m in _param_marks(param) if _is_mark(m, MARKER)):
                    ident = _param_id(param)
                    if ident is None:
                        placed.add(id(mark))
                        errors.append(f'{relative}:{param.lineno}: a pytest.param of {node.name} with a fault marker '
                                      'needs id=TEXT (or one string value)')
                    elif marked:
                        placed.add(id(mark))
                        errors.append(f'{relative}:{mark.lineno}: {node.name} has a fault marker of its own and on '
                                      f'its parameter {ident}: mark the test or each parameter')
                    else:
                        add(f'{test}[{ident}]', mark)
            sees = any(isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == SEES
                       for call in ast.walk(node))
            if sees and not marked:
                if unlisted:
                    errors.append(f'{relative}:{node.lineno}: {node.name} sees codes ({SEES}) but its parameters are '
                                  'computed: list them as pytest.param(..., marks=pytest.mark.fault(...))')
                elif not params or any(not any(_is_mark(m, MARKER) for m in _param_marks(p)) for p in params):
                    errors.append(f'{relative}:{node.lineno}: {node.name} sees codes ({SEES}) without a fault marker '
                                  '(on the test, or on each of its parameters)')
        for mark in ast.walk(tree):
            if _is_mark(mark, MARKER) and id(mark) not in placed:
                errors.append(f'{relative}:{mark.lineno}: a fault marker outside a test and its parametrize: '
                              'the catalogue cannot tell which test it is')
    return faults, errors


def _cell(text):
    return ' '.join(str(text).split()).replace('|', '\\|')


def _code(name):
    return f'`{name}`'


def render(catalogue):
    """docs/fault-catalogue.md as text; CatalogueError when a marker is wrong."""
    if catalogue.errors:
        raise CatalogueError('\n'.join(catalogue.errors))
    codes = catalogue.codes
    emitted = [code for code in codes if code in catalogue.emitted]
    silent = [code for code in codes if code not in catalogue.emitted]
    gaps = catalogue.uncovered
    refused = [fault for fault in catalogue.faults if not fault.codes and not fault.unrepaired]
    unrepaired = [(code, fault) for fault in catalogue.faults for code in fault.unrepaired]
    lines = [
        '# Fault catalogue',
        '',
        'Every problem code the verifier emits, what it catches, and the fault tests that inject that fault in '
        'the lab, see the verifier fail with the code, repair the lab and see the check pass again.',
        '',
        f'Written by `{FAULTS}/catalogue.py` from the `fault` markers of `{FAULTS}/test_*.py` and the code '
        f'lists of `{PROBLEM}` (what a code catches is the comment beside it there): do not edit it by hand. '
        f'`{FAULTS}/catalogue.py --check` fails while this file is stale, and `test/unit/test_fault_catalogue.py` '
        'fails on an emitted code without a fault test, on a stale file and on a marker naming an unknown code. '
        'A code counts as emitted when a string literal of the verifier\'s '
        + ', '.join(f'`{directory.name}/`' for directory in EMITTERS) + ' names it.',
        '',
        'A fault test runs against the shared lab (`test/lab/README.md`, Tests), one at a time with its id: '
        f'`flock /run/v6lab.lock /usr/bin/python3 -m pytest -q \'{FAULTS}/test_FILE.py::TEST[ID]\'`.',
        '',
        f'{len(codes)} codes: {len(emitted)} emitted by the verifier ({len(emitted) - len(gaps)} with a fault test, '
        f'{len(gaps)} without), {len(silent)} not emitted by the verifier.',
        '',
        '## Checks and the faults that prove them',
        '',
        '| check (code) | what it catches | fault injected | test |',
        '|---|---|---|---|',
    ]
    for code in emitted:
        for fault in catalogue.covering(code):
            what = fault.what + (f'; {fault.note}' if fault.note else '')
            lines.append(f'| {_code(code)} | {_cell(codes[code].catches)} | {_cell(what)} | `{fault.test}` |')
    lines += ['', '## Gaps: emitted, no fault test', '']
    if gaps:
        lines += ['| check (code) | what it catches | emitted at |', '|---|---|---|']
        lines += [f'| {_code(code)} | {_cell(codes[code].catches)} | '
                  f'{", ".join(f"`{place}`" for place in catalogue.emitted[code])} |' for code in gaps]
    else:
        lines.append('None: every code the verifier emits has a fault test.')
    lines += ['', '## Not injectable in the lab', '', '| check (code) | what it catches | why |', '|---|---|---|']
    lines += [f'| {_code(code)} | {_cell(codes[code].catches)} | {_cell(why)} |'
              for code, why in UNINJECTABLE.items() if code in catalogue.emitted]
    if unrepaired:
        lines += ['', '## Seen, the repair not checked', '',
                  'These tests see the code appear but do not check that the repair clears it.', '',
                  '| check (code) | fault injected | test |', '|---|---|---|']
        lines += [f'| {_code(code)} | {_cell(fault.what)} | `{fault.test}` |' for code, fault in unrepaired]
    lines += ['', '## Faults without a verifier code', '',
              'Faults no check of the verifier is run against: the converge refuses them (chef-client stops, '
              'naming the problem, before it changes anything), or another check proves them (the note says '
              'which).', '',
              '| fault injected | test | note |', '|---|---|---|']
    lines += [f'| {_cell(fault.what)} | `{fault.test}` | {_cell(fault.note)} |' for fault in refused]
    lines += ['', '## Codes the verifier does not emit', '',
              'No check, fact or suite of the verifier emits these. The Ruby side uses them (the cookbooks\' '
              'libraries: chef-client refuses the converge with the code), and so do the site loaders (the messages '
              'of `site/schema.json`) and the Ansible inventory import (`edge-verify import-ansible` flags hosts '
              'with them); a code named nowhere is left over.', '',
              '| code | what it catches | named in |', '|---|---|---|']
    for code in silent:
        places = catalogue.elsewhere.get(code)
        named = ', '.join(f'`{path}`' for path in places) if places else 'nowhere'
        lines.append(f'| {_code(code)} | {_cell(codes[code].catches)} | {named} |')
    return '\n'.join(lines) + '\n'


def stale(root, text):
    table = Path(root) / TABLE
    return not table.exists() or table.read_text() != text


def main(argv=None):
    parser = argparse.ArgumentParser(prog='catalogue.py', description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--check', action='store_true', help=f'exit 1 when {TABLE} is stale; write nothing')
    parser.add_argument('--root', type=Path, default=ROOT, help='the project (default: this clone)')
    args = parser.parse_args(argv)
    catalogue = read(args.root)
    try:
        text = render(catalogue)
    except CatalogueError as error:
        print(f'catalogue: the fault markers are wrong:\n{error}', file=sys.stderr)
        return 2
    if catalogue.uncovered:
        print(f'catalogue: emitted without a fault test: {", ".join(catalogue.uncovered)}', file=sys.stderr)
    if args.check:
        if stale(args.root, text):
            print(f'catalogue: {TABLE} is stale; write it with {FAULTS}/catalogue.py and commit it', file=sys.stderr)
            return 1
        return 0
    table = args.root / TABLE
    table.parent.mkdir(parents=True, exist_ok=True)
    table.write_text(text)
    print(f'{TABLE}: {sum(1 for c in catalogue.codes if c in catalogue.emitted)} codes emitted, '
          f'{len(catalogue.uncovered)} without a fault test, {len(catalogue.faults)} fault markers')
    return 0


if __name__ == '__main__':
    sys.exit(main())
