"""Signatures of check kinds: what the language accepts for each kind."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from adk.lang.model import Constraint, ParamValue
from adk.lang.units import Dim

# a kind's own rules beyond its signature: the fault in a call, or None
Validator = Callable[[Mapping[str, ParamValue], tuple[Constraint, ...]], str | None]

# parameter value kinds
LAYER = "layer"
LENGTH = "length"
WORD = "word"


@dataclass(frozen=True)
class Param:
    """A keyword parameter such as ``window 1 mm`` or ``within DIE``."""

    name: str
    kind: str
    required: bool = False
    choices: tuple[str, ...] = ()
    doc: str = ""
    zero_allowed: bool = False  # a length of 0 makes sense (a tolerance)

    def value_hint(self) -> str:
        """What the value may be, for signatures: ``LENGTH``, ``pairs|areas``."""
        return "|".join(self.choices) if self.choices else self.kind.upper()


# accepted by every kind whose markers are edge pairs; see adk.checks.grouping
MARKERS = Param(
    "markers",
    WORD,
    choices=("pairs", "areas"),
    doc="`areas` (default): one marker per violation area, the edge pairs whose areas touch "
    "or overlap joined into their merged area, with the smallest value and the number of "
    "pairs (a lone pair stays an edge pair); `pairs`: a marker per pair of violating edges",
)


@dataclass(frozen=True)
class Prop:
    """A measured property a constraint may bound, with the operators that make sense."""

    name: str
    dim: Dim
    ops: tuple[str, ...] = (">=", ">")
    positive: bool = True  # a limit of zero or less is an error
    doc: str = ""


@dataclass(frozen=True)
class CheckSpec:
    """The signature of one check kind."""

    kind: str
    summary: str
    layers: tuple[str, ...]  # names of the positional layer arguments
    props: tuple[Prop, ...]
    params: tuple[Param, ...] = ()
    variadic: bool = False  # the last positional layer may repeat
    constraint_required: bool = True
    polygon: bool = True  # polygon rule (Region) or object rule (numpy/rtree)
    validate: Validator | None = None

    @property
    def default_prop(self) -> Prop | None:
        """What a constraint without a property name bounds; None for a kind that measures
        nothing (it flags shapes as they are)."""
        return self.props[0] if self.props else None

    def prop(self, name: str) -> Prop | None:
        return next((p for p in self.props if p.name == name), None)

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)

    def signature(self) -> str:
        args = list(self.layers)
        if self.variadic:
            args[-1] += "..."
        args += [
            f"{p.name} {p.value_hint()}" if p.required else f"[{p.name} {p.value_hint()}]"
            for p in self.params
        ]
        return f"{self.kind}({', '.join(args)})"


MIN = (">=", ">")
MAX = ("<=", "<")
ANY = (">=", ">", "<=", "<", "==")
