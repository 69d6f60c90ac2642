"""What waivers and a baseline say about a run's markers, beside the run itself.

A :class:`Review` is keyed by (rule id, position of the marker in the rule's list), so
the markers stay the plain values the checks made and every report reads the same
answer: waived or not (by which waiver), new or existing (against which baseline), and
whether the marker fails the run."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field, replace

from adk.report.baseline import Baseline, match_baseline
from adk.report.matching import Box, BoxIndex, boxes_match, placement_boxes, run_markers
from adk.report.options import DEFAULT_TOLERANCE
from adk.report.waivers import Waiver
from adk.run.result import RuleOutcome, RunResult

MarkerKey = tuple[str, int]


@dataclass(frozen=True)
class MarkerReview:
    """One marker's standing: the waiver that waives it, and whether the baseline had it
    (None when the run has no baseline)."""

    waiver: Waiver | None = None
    existing: bool | None = None

    @property
    def baseline_state(self) -> str | None:
        if self.existing is None:
            return None
        return "existing" if self.existing else "new"


@dataclass(frozen=True)
class Tally:
    markers: int = 0
    waived: int = 0
    new: int = 0
    existing: int = 0
    counted: int = 0  # markers that count: not waived, and new under --fail-on new


@dataclass
class Review:
    waivers_path: str | None = None
    baseline_path: str | None = None
    fail_on: str = "any"
    strict: bool = False
    waived: dict[MarkerKey, Waiver] = field(default_factory=dict)
    existing: set[MarkerKey] | None = None
    stale: list[Waiver] = field(default_factory=list)
    expired: list[tuple[Waiver, int]] = field(default_factory=list)  # with the markers it matches
    unknown_rule: list[Waiver] = field(default_factory=list)
    resolved: int = 0  # baseline markers of the rules run that the run no longer has

    @property
    def active(self) -> bool:
        """Whether waivers or a baseline were given: reports then say more."""
        return self.waivers_path is not None or self.baseline_path is not None

    def of(self, rule: str, index: int) -> MarkerReview:
        existing = None if self.existing is None else (rule, index) in self.existing
        return MarkerReview(self.waived.get((rule, index)), existing)

    def counts(self, rule: str, index: int) -> bool:
        """Whether the marker fails the run, its rule's severity aside."""
        if (rule, index) in self.waived:
            return False
        return self.fail_on == "any" or self.existing is None or (rule, index) not in self.existing

    def counted(self, result: RunResult) -> RunResult:
        """The run with only the markers that fail it, for the exit code."""
        outcomes = [
            replace(
                outcome,
                markers=[
                    m for i, m in enumerate(outcome.markers) if self.counts(outcome.rule.id, i)
                ],
            )
            for outcome in result.outcomes
        ]
        return replace(result, outcomes=outcomes)

    def fails(self, outcome: RuleOutcome) -> bool:
        """Whether the rule fails the run: markers that count, of an error rule (of any
        rule under --strict)."""
        severe = self.strict or outcome.rule.severity == "error"
        return severe and self.tally(outcome).counted > 0

    def tally(self, outcome: RuleOutcome) -> Tally:
        rule = outcome.rule.id
        reviews = [self.of(rule, i) for i in range(len(outcome.markers))]
        return Tally(
            markers=len(reviews),
            waived=sum(r.waiver is not None for r in reviews),
            new=sum(r.existing is False for r in reviews),
            existing=sum(r.existing is True for r in reviews),
            counted=sum(self.counts(rule, i) for i in range(len(reviews))),
        )

    def totals(self, result: RunResult) -> Tally:
        tallies = [self.tally(outcome) for outcome in result.outcomes]
        return Tally(
            *(sum(getattr(t, name) for t in tallies) for name in Tally.__dataclass_fields__)
        )

    def warnings(self, deck_name: str) -> list[str]:
        """Stale, expired and misdirected waivers, one line each."""
        lines = [f"{w.describe()} matches no marker (stale): remove it" for w in self.stale]
        lines += [f"{w.describe()} {_expiry(w, count)}" for w, count in self.expired]
        lines += [
            f"{w.describe()}: deck {deck_name} has no rule {w.rule}" for w in self.unknown_rule
        ]
        return lines

    def with_warnings(self, result: RunResult) -> RunResult:
        """The run with the review's warnings after its own, so that every report lists them."""
        return replace(result, warnings=result.warnings + self.warnings(result.deck.name))

    def summary_lines(self, result: RunResult) -> list[str]:
        """What the terminal and text summaries say beside the rule table."""
        totals = self.totals(result)
        lines = []
        if self.waivers_path is not None:
            lines.append(
                f"waivers {self.waivers_path}: {totals.waived} markers waived, "
                f"{len(self.stale)} stale, {len(self.expired)} expired"
            )
        if self.baseline_path is not None:
            lines.append(
                f"baseline {self.baseline_path}: {totals.new} new, {totals.existing} existing, "
                f"{self.resolved} resolved markers"
                + ("; only new markers fail the run" if self.fail_on == "new" else "")
            )
        return lines


def _expiry(waiver: Waiver, count: int) -> str:
    said = f"expired on {waiver.expires} (owner {waiver.owner})"
    if not count:
        return f"{said}, and matches no marker: remove it"
    return f"{said}: {count} marker{'' if count == 1 else 's'} no longer waived"


def review_run(
    result: RunResult,
    waivers: list[Waiver] | None = None,
    baseline: Baseline | None = None,
    *,
    waivers_path: str | None = None,
    tolerance: float = DEFAULT_TOLERANCE,
    fail_on: str = "any",
    strict: bool = False,
    today: datetime.date | None = None,
) -> Review:
    """Match the waivers and the baseline against the run's markers. A waiver of a rule
    the run did not check (left out with --rule, or not checked) is neither used nor
    stale; ``tolerance`` is the baseline's (each waiver carries its own)."""
    review = Review(
        waivers_path=waivers_path,
        baseline_path=baseline.path if baseline is not None else None,
        fail_on=fail_on,
        strict=strict,
    )
    if waivers:
        _apply_waivers(review, result, waivers, today or datetime.date.today())
    if baseline is not None:
        match = match_baseline(result, baseline, tolerance)
        review.existing, review.resolved = match.existing, len(match.resolved)
    return review


def _apply_waivers(
    review: Review, result: RunResult, waivers: list[Waiver], today: datetime.date
) -> None:
    """The first waiver in file order that matches a marker waives it. A marker filed in a
    cell is one violation at every placement of the cell: a waiver matching it at any
    placement waives it. A waiver naming a net matches the markers involving the net
    (and, with a box too, at that box)."""
    index: BoxIndex[MarkerKey] = BoxIndex(max(w.tolerance for w in waivers))
    by_net: dict[tuple[str, str], list[tuple[MarkerKey, list[Box]]]] = defaultdict(list)
    for rule, position, marker in run_markers(result):
        boxes = placement_boxes(marker)
        for box in boxes:
            index.add(rule, box, (rule, position))
        for net in marker.nets:
            by_net[(rule, net)].append(((rule, position), boxes))
    checked = {outcome.rule.id for outcome in result.outcomes if outcome.checked}
    in_deck = {rule.id for rule in result.deck.rules}
    for waiver in waivers:
        if waiver.rule not in in_deck:
            review.unknown_rule.append(waiver)
            continue
        if waiver.rule not in checked:
            continue
        hits = _hits(waiver, index, by_net)
        if waiver.expired(today):
            review.expired.append((waiver, len(hits)))
            continue
        if not hits:
            review.stale.append(waiver)
        for key in hits:
            review.waived.setdefault(key, waiver)


def _hits(
    waiver: Waiver,
    index: BoxIndex[MarkerKey],
    by_net: dict[tuple[str, str], list[tuple[MarkerKey, list[Box]]]],
) -> list[MarkerKey]:
    """The markers a waiver matches, in the run's order."""
    if not waiver.net:
        assert waiver.box is not None  # the reader requires a box or a net
        return list(dict.fromkeys(index.find(waiver.rule, waiver.box, waiver.tolerance)))
    box = waiver.box
    return [
        key
        for key, boxes in by_net.get((waiver.rule, waiver.net), [])
        if box is None or any(boxes_match(box, placed, waiver.tolerance) for placed in boxes)
    ]


def describe_waiver(waiver: Waiver) -> dict[str, object]:
    """A waiver as the JSON and SARIF reports give it (``net`` only for one naming a net)."""
    described: dict[str, object] = {
        "reason": waiver.reason,
        "owner": waiver.owner,
        "expires": waiver.expires.isoformat() if waiver.expires else None,
        "waiver": waiver.where,
        "box_um": None if waiver.box is None else list(waiver.box),
    }
    if waiver.net:
        described["net"] = waiver.net
    return described
