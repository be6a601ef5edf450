"""Re-offload over samples: how many times to ask the model again, and when to answer, from assay's verdicts.

LINC asks the model for ten formalisations of each problem and takes the
majority of Prover9's labels (Errors dropped).  Here each sample's label is
assay's own verdict on it (:func:`sample_answer`: the answer of an ACCEPTED
or REPAIRED verdict; nothing for MALFORMED, VACUOUS or UNKNOWN), and two
policies read the samples in the order the model gave them:

* :func:`majority_vote`, the published method: all ten samples, the most
  frequent answer (ties go to the answer seen first, as Python's
  ``Counter.most_common`` does in LINC's code);
* :func:`sequential`, assay's: take samples one at a time and answer as soon
  as one answer leads every other by ``k`` verified samples (two agreeing
  samples settle it when nothing disagrees).  Disagreement costs more
  samples; when the budget is spent the unique plurality answers and a tie
  abstains (or, with ``at_budget="abstain"``, any remaining disagreement
  abstains).

Both are pure functions of the per-sample answers, so a replay of recorded
samples and a live loop (which asks for the next sample only when the policy
wants it) make the same decision.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from assay.kernel.verdicts import Outcome, Verdict

__all__ = ["Decision", "majority_vote", "sample_answer", "sequential"]


@dataclass(frozen=True)
class Decision:
    """What a policy concluded: the answer (None: abstain), how many samples it read, and why."""

    answer: str | None
    samples_used: int
    reason: str


def sample_answer(verdict: Verdict) -> str | None:
    """The answer a sample's verdict vouches for: only an ACCEPTED or REPAIRED verdict has one."""
    answer = verdict.answer
    if verdict.outcome in (Outcome.ACCEPTED, Outcome.REPAIRED) and isinstance(answer, str):
        return answer
    return None


def majority_vote(answers: Sequence[str | None]) -> Decision:
    """LINC's rule: the most frequent answer over all samples, samples without an answer dropped."""
    counts = Counter(a for a in answers if a is not None)
    if not counts:
        return Decision(None, len(answers), "no sample has an answer")
    (top, n), *rest = counts.most_common()
    return Decision(top, len(answers), f"{top} in {n} of {len(answers)} samples"
                    + (f" (next: {rest[0][0]} in {rest[0][1]})" if rest else ""))


def sequential(answers: Iterable[str | None], *, k: int = 2, budget: int = 10,
               at_budget: str = "plurality") -> Decision:
    """Read samples one by one; answer as soon as one answer leads every other by ``k`` verified samples.

    When the budget is spent without such a lead, ``at_budget="plurality"``
    answers the unique most frequent answer (abstaining on a tie) and
    ``"abstain"`` abstains.  Either way the policy stops early once the rest
    of the budget cannot change what it would decide.  ``answers`` may be
    lazy (a generator that asks the model for the next sample): at most
    ``budget`` are read.  A sample with no answer (malformed, vacuous,
    undecided) counts as read and adds no vote.
    """
    if k < 1 or budget < 1 or at_budget not in ("plurality", "abstain"):
        raise ValueError(f"need k >= 1, budget >= 1 and at_budget 'plurality' or 'abstain'; got k={k}, "
                         f"budget={budget}, at_budget={at_budget!r}")
    counts: Counter[str] = Counter()
    used = 0
    for answer in answers:
        used += 1
        if answer is not None:
            counts[answer] += 1
        ranked = counts.most_common(2)
        top = ranked[0] if ranked else ("", 0)
        lead = top[1] - (ranked[1][1] if len(ranked) > 1 else 0)
        left = budget - used
        if lead >= k:
            return Decision(top[0], used, f"{top[0]} leads by {lead} after {used} samples ({_show(counts)})")
        # The leader gains at most one vote per sample left; any other answer is at most as well placed.
        if at_budget == "abstain" and lead + left < k:
            return Decision(None, used, f"no answer can lead by {k} with {left} sample(s) left ({_show(counts)})")
        if at_budget == "plurality" and top[1] and lead > left:
            return Decision(top[0], used, f"{top[0]} leads by {lead} with {left} sample(s) left, so it has the "
                            f"plurality at the budget ({_show(counts)})")
        if used >= budget:
            break
    ranked = counts.most_common(2)
    if at_budget == "plurality" and ranked and (len(ranked) == 1 or ranked[0][1] > ranked[1][1]):
        return Decision(ranked[0][0], used, f"{ranked[0][0]} has the plurality after {used} samples "
                        f"({_show(counts)})")
    return Decision(None, used, f"no answer leads by {k} after {used} samples ({_show(counts)})")


def _show(counts: Counter[str]) -> str:
    return ", ".join(f"{a}: {n}" for a, n in counts.most_common()) or "no answers"
