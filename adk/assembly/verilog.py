"""A structural Verilog netlist of a package: the top module, its instances of the parts
and the wires between their ports, every fault with its file, line and column.

    // package.v
    module package_top (VDD, VSS);
      inout VDD, VSS;
      wire d0, d1;
      ASIC ASIC (.VDD(VDD), .VSS(VSS), .DQ0(d0), .DQ1(d1));
      HBM HBM1 (.VDD(VDD), .VSS(VSS), .DQ0(d0), .DQ1(d1), .TEST());
    endmodule

    module ASIC (VDD, VSS, DQ0, DQ1);   // a part's own module: a declaration only
      inout VDD, VSS, DQ0, DQ1;
    endmodule

The subset read: modules (``module NAME [(PORT, ...)]; ... endmodule``), declarations
``input``, ``output``, ``inout`` and ``wire`` of scalar nets, and instances ``CELL NAME
(.PORT(NET), .PORT(), ...);`` with named connections; comments (``//``, ``/* */``) and
compiler directives (lines starting with a backquote) are skipped. The top module is the
one no other module instantiates. Refused, each with its place: buses and ranges, ``assign``,
positional connections, expressions in a connection, anything else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from adk.errors import AdkError, DeckError, Diagnostic
from adk.textfile import TextFault, read_text

MAX_BYTES = 64 * 1024 * 1024
_TOKEN = re.compile(
    r"(?P<space>\s+)|(?P<line>//[^\n]*)|(?P<block>/\*.*?\*/)|(?P<directive>`[^\n]*)"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_$]*|\\\S+)|(?P<punct>[(),;.])|(?P<other>.)",
    re.DOTALL,
)
DECLARATIONS = ("input", "output", "inout", "wire")


@dataclass(frozen=True)
class Connection:
    """``.port(net)`` of an instance; ``net`` "" for ``.port()``, left open."""

    port: str
    net: str
    line: int
    column: int


@dataclass
class Instance:
    cell: str
    name: str
    line: int
    column: int
    connections: list[Connection] = field(default_factory=list)


@dataclass
class Module:
    name: str
    line: int
    column: int
    instances: list[Instance] = field(default_factory=list)


@dataclass(frozen=True)
class Netlist:
    """The top module of a netlist file: its instances, each port's wire."""

    path: str
    module: str
    instances: tuple[Instance, ...]
    text: str


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str
    line: int
    column: int


def load_netlist(path: str) -> Netlist:
    """Read the structural netlist at ``path``; DeckError listing every fault."""
    try:
        text = read_text(path, MAX_BYTES)
    except TextFault as fault:
        fault_text = {
            "unreadable": f"cannot read the netlist: {fault.detail}",
            "too large": f"netlist over the limit of {fault.detail}",
        }.get(fault.kind, "the netlist is not UTF-8 text")
        raise AdkError(f"{path}: {fault_text}") from None
    return parse_netlist(text, path)


def parse_netlist(text: str, path: str) -> Netlist:
    """The top module of ``text``, read as the file ``path``."""
    parser = _Parser(_tokens(text), path)
    modules = parser.modules()
    netlist = None if parser.problems else _top(modules, parser, path, text)
    if parser.problems or netlist is None:
        raise DeckError(parser.problems, {path: text})
    return netlist


def _tokens(text: str) -> list[_Token]:
    tokens = []
    line, start = 1, 0
    for match in _TOKEN.finditer(text):
        kind, value = match.lastgroup or "other", match.group()
        if kind in ("name", "punct", "other"):
            tokens.append(_Token(kind, value, line, match.start() - start + 1))
        newlines = value.count("\n")
        if newlines:
            line += newlines
            start = match.start() + value.rindex("\n") + 1
    return tokens


def _top(modules: list[Module], parser: _Parser, path: str, text: str) -> Netlist | None:
    if not modules:
        parser.problems.append(Diagnostic(path, 1, 1, "the netlist holds no module"))
        return None
    used = {instance.cell for module in modules for instance in module.instances}
    tops = [module for module in modules if module.name not in used]
    if len(tops) != 1:
        names = ", ".join(m.name for m in tops) or "none: they instantiate each other"
        first = tops[1] if len(tops) > 1 else modules[0]
        message = f"one top module expected (a module no other instantiates), found {names}"
        parser.problems.append(Diagnostic(path, first.line, first.column, message))
        return None
    top = tops[0]
    return Netlist(path, top.name, tuple(top.instances), text)


class _Parser:
    """Reads the subset, one statement at a time; after a fault it skips to the next
    ``;`` so that one reading reports every fault."""

    def __init__(self, tokens: list[_Token], path: str):
        self.tokens = tokens
        self.at = 0
        self.path = path
        self.problems: list[Diagnostic] = []

    # ------------------------------------------------------------ tokens
    def _peek(self) -> _Token | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def _next(self, what: str) -> _Token:
        token = self._peek()
        if token is None:
            last = self.tokens[-1] if self.tokens else _Token("other", "", 1, 1)
            raise _Fault(last, f"the netlist ends where {what} is expected")
        self.at += 1
        return token

    def _expect(self, text: str) -> _Token:
        token = self._next(f"'{text}'")
        if token.text != text:
            raise _Fault(token, f"expected '{text}', not '{token.text}'")
        return token

    def _name(self, what: str) -> _Token:
        token = self._next(what)
        if token.kind != "name":
            raise _Fault(token, f"expected {what}, not '{token.text}'")
        return token

    def _skip_statement(self) -> None:
        while (token := self._peek()) is not None and token.text not in (";", "endmodule"):
            self.at += 1
        if token is not None and token.text == ";":
            self.at += 1

    def _fault(self, fault: _Fault) -> None:
        token = fault.token
        length = max(1, len(token.text))
        self.problems.append(Diagnostic(self.path, token.line, token.column, fault.message, length))

    # ------------------------------------------------------------ modules
    def modules(self) -> list[Module]:
        modules = []
        while (token := self._peek()) is not None:
            if token.text != "module":
                self._fault(_Fault(token, f"expected 'module', not '{token.text}'"))
                self._skip_statement()
                continue
            module = self._module()
            if module is not None:
                modules.append(module)
        return modules

    def _module(self) -> Module | None:
        self._expect("module")
        start = self.tokens[self.at - 1]
        try:
            name = self._name("a module name")
            if (token := self._peek()) is not None and token.text == "(":
                self._names_in_parentheses("a port name")
            self._expect(";")
        except _Fault as fault:
            self._fault(fault)
            self._skip_statement()
            return self._body(None, start)
        return self._body(Module(name.text, name.line, name.column), start)

    def _body(self, module: Module | None, start: _Token) -> Module | None:
        while (token := self._peek()) is not None:
            if token.text == "endmodule":
                self.at += 1
                return module
            try:
                self._statement(module)
            except _Fault as fault:
                self._fault(fault)
                self._skip_statement()
        self._fault(_Fault(start, "the module has no 'endmodule'"))
        return None

    def _statement(self, module: Module | None) -> None:
        token = self._name("a declaration or an instance")
        if token.text in DECLARATIONS:
            self._declaration()
        elif token.text in ("assign", "reg", "parameter", "always", "initial", "generate"):
            raise _Fault(token, f"'{token.text}' is not read: a structural netlist only")
        else:
            instance = self._instance(token)
            if module is not None and any(i.name == instance.name for i in module.instances):
                at = _Token("name", instance.name, instance.line, instance.column)
                self._fault(_Fault(at, f"instance '{instance.name}' is given twice"))
            elif module is not None:
                module.instances.append(instance)

    def _declaration(self) -> None:
        while True:
            if (token := self._peek()) is not None and token.text == "[":
                raise _Fault(token, "ranges are not read: scalar nets only, no buses")
            self._name("a net name")
            token = self._next("',' or ';'")
            if token.text == ";":
                return
            if token.text != ",":
                raise _Fault(token, f"expected ',' or ';', not '{token.text}' (buses are not read)")

    def _names_in_parentheses(self, what: str) -> None:
        self._expect("(")
        if (token := self._peek()) is not None and token.text == ")":
            self.at += 1
            return
        while True:
            self._name(what)
            token = self._next("',' or ')'")
            if token.text == ")":
                return
            if token.text != ",":
                raise _Fault(token, f"expected ',' or ')', not '{token.text}'")

    def _instance(self, cell: _Token) -> Instance:
        name = self._name("an instance name")
        instance = Instance(cell.text, name.text, name.line, name.column)
        self._expect("(")
        if (token := self._peek()) is not None and token.text == ")":
            self.at += 1
        else:
            while True:
                connection = self._connection()
                if any(c.port == connection.port for c in instance.connections):
                    at = _Token("name", connection.port, connection.line, connection.column)
                    raise _Fault(at, f"port '{connection.port}' of '{name.text}' is given twice")
                instance.connections.append(connection)
                token = self._next("',' or ')'")
                if token.text == ")":
                    break
                if token.text != ",":
                    raise _Fault(token, f"expected ',' or ')', not '{token.text}'")
        self._expect(";")
        return instance

    def _connection(self) -> Connection:
        dot = self._next("'.PORT(NET)'")
        if dot.text != ".":
            raise _Fault(dot, "positional connections are not read: name each port, .PORT(NET)")
        port = self._name("a port name")
        self._expect("(")
        token = self._next("a net or ')'")
        if token.text == ")":
            return Connection(port.text, "", port.line, port.column)
        if token.kind != "name":
            raise _Fault(token, f"expected a net, not '{token.text}' (expressions are not read)")
        closing = self._next("')'")
        if closing.text != ")":
            raise _Fault(closing, f"expected ')', not '{closing.text}' (buses are not read)")
        return Connection(port.text, token.text, port.line, port.column)


class _Fault(Exception):
    def __init__(self, token: _Token, message: str):
        super().__init__(message)
        self.token = token
        self.message = message
