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

* :func:`bayes_sequential`, the default re-offload policy of ``assay
  replay``: the answers are not equally reliable (on LINC's GPT-3.5 samples a
  verified "False" is right 98 % of the time, "True" 85 %, "Uncertain" only
  55 %: a broken formalisation tends to prove nothing, hence "Uncertain"), so
  each sample is weighed by how likely it is under each gold label
  (:class:`Calibration`, fitted by :func:`calibrate` on files that are not
  the ones evaluated) and the policy stops once the posterior of one label
  reaches ``threshold``; at the budget the most probable label answers.

All are pure functions of the per-sample answers, so a replay of recorded
samples and a live loop (which asks for the next sample only when the policy
wants it) make the same decision.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from assay.kernel.verdicts import Outcome, Verdict

__all__ = ["LINC_GPT35", "Calibration", "Decision", "bayes_sequential", "calibrate", "from_counts", "majority_vote",
           "posterior", "sample_answer", "sequential"]


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


@dataclass(frozen=True)
class Calibration:
    """How often each label is the gold one, and how often a sample gives each answer under each gold label.

    ``prior[label]`` and ``likelihood[label][answer]`` are probabilities;
    ``answer`` None stands for a sample without a verified answer.  Fitted by
    :func:`calibrate` from samples whose gold labels are known.
    """

    prior: Mapping[str, float]
    likelihood: Mapping[str, Mapping[str | None, float]]


def calibrate(rows: Sequence[Sequence[str | None]], gold: Sequence[str], *, alpha: float = 1.0) -> Calibration:
    """Fit a :class:`Calibration` by counting: each row holds one problem's sample answers, ``gold`` its label.

    Counts are smoothed by ``alpha`` (add-alpha) so that an answer never seen
    under some label is rare there, not impossible: one sample can then never
    rule a label out for good.  The labels are the gold labels seen; the
    answers are those and None.
    """
    if len(rows) != len(gold) or not gold:
        raise ValueError(f"need one gold label per row and at least one row; got {len(rows)} rows, "
                         f"{len(gold)} labels")
    labels = sorted(set(gold))
    answers: list[str | None] = [*labels, None]
    stray = {a for row in rows for a in row if a not in answers}
    if stray:
        raise ValueError(f"sample answers {sorted(map(str, stray))} are not among the gold labels {labels}")
    counts = {g: Counter[str | None]() for g in labels}
    for row, g in zip(rows, gold, strict=True):
        counts[g].update(row)
    return from_counts(Counter(gold), counts, alpha=alpha)


def from_counts(labels: Mapping[str, int], answers: Mapping[str, Mapping[str | None, int]], *,
                alpha: float = 1.0) -> Calibration:
    """A :class:`Calibration` from counts: problems per gold label, and sample answers per gold label.

    Add-``alpha`` smoothing over the labels' answers and None, so that an
    answer never seen under some label is rare there, not impossible.
    """
    if alpha <= 0 or not labels or set(labels) != set(answers):
        raise ValueError(f"need alpha > 0 and answer counts for exactly the labels {sorted(labels)}; got "
                         f"alpha={alpha}, answer counts for {sorted(answers)}")
    kinds: list[str | None] = [*sorted(labels), None]
    total = sum(labels.values())
    likelihood = {g: {a: (answers[g].get(a, 0) + alpha) / (sum(answers[g].values()) + alpha * len(kinds))
                      for a in kinds} for g in sorted(labels)}
    return Calibration({g: labels[g] / total for g in sorted(labels)}, likelihood)


# Fitted on LINC's GPT-3.5 FOLIO samples with 1, 2 and 4 examples in the prompt (182 problems x 10 samples each,
# answers = assay's verdicts; None = no verified answer), never on the 8-shot file, which is held out:
#     python bench/replay_fol_quick.py --only linc --save /tmp/linc_policy_cache.json
#     python bench/replay_fol_quick.py --policies /tmp/linc_policy_cache.json
LINC_GPT35 = from_counts(
    {"False": 162, "True": 189, "Uncertain": 195},
    {"False": {"False": 579, "True": 86, "Uncertain": 500, None: 455},
     "True": {"False": 10, "True": 767, "Uncertain": 610, None: 503},
     "Uncertain": {"False": 0, "True": 49, "Uncertain": 1374, None: 527}})


def posterior(answers: Iterable[str | None], calibration: Calibration) -> dict[str, float]:
    """Each label's probability given the samples, read as independent given the label (naive Bayes).

    An answer the calibration does not know adds no evidence.
    """
    log = {g: math.log(p) for g, p in calibration.prior.items()}
    for a in answers:
        _weigh(log, a, calibration)
    return _normalise(log)


def bayes_sequential(answers: Iterable[str | None], *, calibration: Calibration | None = None,
                     threshold: float = 0.75, budget: int = 10) -> Decision:
    """Read samples one by one; answer once one label's posterior reaches ``threshold``.

    ``calibration`` defaults to :data:`LINC_GPT35`.  When the budget is spent
    (or the samples run out) the most probable label answers, unless no
    sample had a verified answer: then the policy abstains, since the prior
    alone is no evidence about this problem.  ``answers`` may be lazy; at most
    ``budget`` are read.  Samples are not truly independent (one problem's
    formalisations fail alike), so the posterior is overconfident: the
    threshold is chosen on held-apart files, not read as a probability.
    """
    cal = LINC_GPT35 if calibration is None else calibration
    if not 0 < threshold <= 1 or budget < 1:
        raise ValueError(f"need 0 < threshold <= 1 and budget >= 1; got threshold={threshold}, budget={budget}")
    log = {g: math.log(p) for g, p in cal.prior.items()}
    counts: Counter[str] = Counter()
    used = 0
    for answer in answers:
        used += 1
        if answer is not None:
            counts[answer] += 1
        _weigh(log, answer, cal)
        post = _normalise(log)
        best = max(post, key=post.__getitem__)
        if counts and post[best] >= threshold:
            return Decision(best, used, f"{best} has posterior {post[best]:.2f} >= {threshold} after {used} "
                            f"samples ({_show(counts)})")
        if used >= budget:
            break
    if not counts:
        return Decision(None, used, f"no sample of {used} has a verified answer")
    post = _normalise(log)
    best = max(post, key=post.__getitem__)
    return Decision(best, used, f"{best} is the most probable (posterior {post[best]:.2f}) after {used} samples "
                    f"({_show(counts)})")


def _weigh(log: dict[str, float], answer: str | None, cal: Calibration) -> None:
    if all(answer in cal.likelihood[g] for g in log):
        for g in log:
            log[g] += math.log(cal.likelihood[g][answer])


def _normalise(log: Mapping[str, float]) -> dict[str, float]:
    top = max(log.values())
    weights = {g: math.exp(v - top) for g, v in log.items()}
    total = sum(weights.values())
    return {g: w / total for g, w in weights.items()}
