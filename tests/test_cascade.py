"""`assay replay CHEAP --cascade STRONG`: which formalisations a cascade reads, what it delivers, what it costs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from assay.bridges.models import estimate_tokens

from assay.cascade import DEFAULT_PRICES, CascadeTally, Price, parse_price, replay_cascade
from assay.cli import main
from assay.errors import UsageError
from assay.replay import replay_file

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "datasets" / "logic-lm"

UNCERTAIN = "Premises:\nDog(rex)\nConclusion:\nCat(rex)\n"  # settles neither way: option C, resting on no proof
TRUE = "Premises:\nDog(rex)\nConclusion:\nDog(rex)\n"  # option A, proved
FALSE = "Premises:\n¬Dog(rex)\nConclusion:\nDog(rex)\n"  # option B, proved
BROKEN = "Premises:\nDog(rex\nConclusion:\nCat(rex)\n"  # malformed
OPTIONS = ["A) True", "B) False", "C) Uncertain"]


def folio(tmp_path: Path, model: str, records: dict[str, tuple[str, str]]) -> Path:
    """A FOLIO file of ``model``: record id -> (program, gold letter)."""
    p = tmp_path / f"FOLIO_dev_{model}.json"
    p.write_text(json.dumps([{"id": rid, "context": f"context of {rid}", "question": "Is it?", "options": OPTIONS,
                              "answer": gold, "raw_logic_programs": [program]}
                             for rid, (program, gold) in records.items()]), encoding="utf-8")
    return p


def rows(tmp_path: Path, paths: list[Path], **kwargs: object) -> tuple[CascadeTally, dict[str, dict[str, object]]]:
    out = tmp_path / "rows.jsonl"
    with out.open("w") as details:
        t = replay_cascade(paths, details=details, **kwargs)  # type: ignore[arg-type]
    return t, {str(r["id"]): r for r in map(json.loads, out.read_text().splitlines())}


@pytest.fixture
def pair(tmp_path: Path) -> tuple[Path, Path]:
    cheap = folio(tmp_path, "cheap", {"proved": (TRUE, "A"), "broken": (BROKEN, "A"), "open": (UNCERTAIN, "A"),
                                      "both-broken": (BROKEN, "B"), "only-cheap": (BROKEN, "A")})
    strong = folio(tmp_path, "strong", {"proved": (FALSE, "A"), "broken": (TRUE, "A"), "open": (TRUE, "A"),
                                        "both-broken": (BROKEN, "B")})
    return cheap, strong


def test_the_next_model_is_read_only_where_the_kernel_does_not_answer(tmp_path: Path,
                                                                      pair: tuple[Path, Path]) -> None:
    t, r = rows(tmp_path, list(pair))
    # "proved": the cheap answer is proved, so the strong file (which says B) is never read.
    assert [(r[k]["answer"], r[k]["answered_by"], len(r[k]["reads"])) for k in r] == [  # type: ignore[arg-type]
        ("A", "cheap", 1), ("A", "strong", 2), ("C", "cheap", 1), (None, None, 2), (None, None, 1)]
    assert (t.total, t.accepted, t.correct, t.wrong, t.malformed, t.escalations) == (5, 3, 2, 1, 2, 2)
    assert (dict(t.answered_by), dict(t.reads)) == ({"cheap": 2, "strong": 1}, {"cheap": 5, "strong": 2})
    assert r["only-cheap"]["verdict"] == "malformed"


def test_escalate_open_reads_the_next_model_for_an_answer_resting_on_no_proof(tmp_path: Path,
                                                                              pair: tuple[Path, Path]) -> None:
    t, r = rows(tmp_path, list(pair), escalate="open")
    assert (r["open"]["answer"], r["open"]["answered_by"]) == ("A", "strong")
    assert r["proved"]["answer"] == "A" and len(r["proved"]["reads"]) == 1  # type: ignore[arg-type]
    assert (t.correct, t.wrong, t.escalations) == (3, 0, 3)


def test_an_open_answer_is_kept_where_the_next_model_gives_none(tmp_path: Path) -> None:
    cheap = folio(tmp_path, "cheap", {"u": (UNCERTAIN, "C")})
    strong = folio(tmp_path, "strong", {"u": (BROKEN, "C")})
    _, r = rows(tmp_path, [cheap, strong], escalate="open")
    assert (r["u"]["answer"], r["u"]["answered_by"], len(r["u"]["reads"])) == ("C", "cheap", 2)  # type: ignore[arg-type]


def test_a_three_model_cascade_goes_on_until_one_answers(tmp_path: Path) -> None:
    a = folio(tmp_path, "a", {"x": (BROKEN, "B"), "y": (TRUE, "A")})
    b = folio(tmp_path, "b", {"x": (BROKEN, "B")})
    c = folio(tmp_path, "c", {"x": (FALSE, "B"), "y": (FALSE, "A")})
    t, r = rows(tmp_path, [a, b, c])
    assert [(r[k]["answer"], r[k]["answered_by"]) for k in ("x", "y")] == [("B", "c"), ("A", "a")]
    assert (dict(t.reads), t.escalations) == ({"a": 2, "b": 1, "c": 1}, 1)


def test_answers_come_from_the_kernel_not_from_the_gold(tmp_path: Path) -> None:
    """Changing every gold letter changes only the scoring: the answers delivered are the same."""
    programs = {"p": TRUE, "q": BROKEN, "r": UNCERTAIN}
    strong = {"p": FALSE, "q": FALSE, "r": TRUE}
    answers = []
    for gold in ("A", "B"):
        sub = tmp_path / gold
        sub.mkdir()
        files = [folio(sub, "cheap", {k: (v, gold) for k, v in programs.items()}),
                 folio(sub, "strong", {k: (v, gold) for k, v in strong.items()})]
        _, r = rows(sub, files)
        answers.append([r[k]["answer"] for k in programs])
    assert answers[0] == answers[1] == ["A", "B", "C"]


def test_cost_is_each_read_at_its_models_price(tmp_path: Path, pair: tuple[Path, Path]) -> None:
    prices = {"cheap": Price(1.0, 2.0), "strong": Price(10.0, 30.0)}
    t, r = rows(tmp_path, list(pair), prices=prices)
    records = {m: {x["id"]: x for x in json.loads(p.read_text())}
               for m, p in zip(("cheap", "strong"), pair, strict=True)}
    expected = 0.0
    for rid, row in r.items():
        for read in row["reads"]:  # type: ignore[attr-defined]
            rec = records[read["model"]][rid]
            prompt = estimate_tokens("\n".join([rec["context"], rec["question"], "\n".join(OPTIONS)]))
            completion = estimate_tokens(rec["raw_logic_programs"][0])
            assert read["tokens"] == [prompt, completion]
            expected += (prompt * prices[read["model"]].prompt + completion * prices[read["model"]].completion) / 1000
    assert t.cost == pytest.approx(expected)
    assert t.to_json()["cost"] == round(expected, 4)


def test_a_model_without_a_price_leaves_the_cost_uncounted_and_says_so(tmp_path: Path, pair: tuple[Path, Path],
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    t = replay_cascade(list(pair), prices={"cheap": Price(1.0, 1.0)})
    assert t.cost is None and t.to_json()["unpriced"] == ["strong"]
    assert "no price for strong: cost not counted; pass --price NAME=IN,OUT" in capsys.readouterr().err


def test_default_prices_are_the_recorded_models(tmp_path: Path) -> None:
    cheap = folio(tmp_path, "gpt-3.5-turbo", {"x": (BROKEN, "A")})
    strong = folio(tmp_path, "gpt-4", {"x": (TRUE, "A")})
    t, r = rows(tmp_path, [cheap, strong])
    reads = r["x"]["reads"]
    by_model = {x["model"]: x for x in reads}  # type: ignore[attr-defined]
    for model in ("gpt-3.5-turbo", "gpt-4"):
        p, c = by_model[model]["tokens"]
        assert by_model[model]["cost"] == round(DEFAULT_PRICES[model].cost(p, c), 6)
    assert DEFAULT_PRICES["gpt-4"].prompt > DEFAULT_PRICES["gpt-3.5-turbo"].prompt
    assert t.cost is not None and t.cost > 0


@pytest.mark.parametrize(("text", "message"), [
    ("gpt-4", "expected NAME=IN,OUT"), ("gpt-4=0.03", "expected NAME=IN,OUT"), ("=1,2", "expected NAME=IN,OUT"),
    ("gpt-4=a,b", "'a,b' is not two numbers IN,OUT"), ("gpt-4=-1,2", "not negative"),
    ("gpt-4=nan,2", "a price is a finite number"),
])
def test_a_bad_price_is_a_usage_error_naming_it(text: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        parse_price(text)


def test_a_good_price_parses() -> None:
    assert parse_price(" gpt-4 =0.03,0.06") == ("gpt-4", Price(0.03, 0.06))


def test_the_cli_names_each_wrong_use(tmp_path: Path, pair: tuple[Path, Path],
                                      capsys: pytest.CaptureFixture[str]) -> None:
    cheap, strong = pair
    other = tmp_path / "LogicalDeduction_dev_x.json"
    other.write_text(json.dumps([{"id": "proved", "options": ["A) x"], "answer": "A",
                                  "raw_logic_programs": ["Domain:\n1: a\nVariables:\n"]}]))
    linc = tmp_path / "gens.json"
    linc.write_text(json.dumps([["FOL: P(a)"]]))
    cases = [
        (["replay", str(cheap), str(strong), "--cascade", str(strong)], "--cascade replays one cheap model's file"),
        (["replay", str(cheap), "--cascade", str(strong), "--corroborate", str(strong)],
         "--cascade and --corroborate do not go together"),
        (["replay", str(cheap), "--cascade", str(other)], f"{cheap} is a Logic-LM FOLIO file but {other} "
                                                           "(--cascade) is a Logic-LM LogicalDeduction file"),
        (["replay", str(cheap), "--cascade", str(linc)], f"{linc}: a cascade reads Logic-LM record files"),
        (["replay", str(cheap), "--cascade", str(strong), "--price", "strong=1"], "--price 'strong=1': expected"),
        (["replay", str(cheap), "--price", "strong=1,2"], "--price, --escalate and --baselines belong to a cascade"),
        (["replay", str(cheap), "--cascade", str(tmp_path / "nope.json")], "nope.json: no such file"),
    ]
    for argv, message in cases:
        assert main(argv) == 2, argv
        assert message in capsys.readouterr().err, argv


def test_the_cli_prints_json_with_cost_and_escalations(tmp_path: Path, pair: tuple[Path, Path],
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    cheap, strong = pair
    details = tmp_path / "d.jsonl"
    assert main(["replay", str(cheap), "--cascade", str(strong), "--format", "json", "--price", "cheap=1,1",
                 "--price", "strong=10,10", "--details", str(details)]) == 0
    j = json.loads(capsys.readouterr().out)
    assert (j["escalations"], j["escalated_share"], j["answered_by"], j["currency"]) == (2, 0.4, {"cheap": 2,
                                                                                               "strong": 1}, "USD")
    assert j["cost"] > 0 and j["cascade"] == [str(cheap), str(strong)]
    assert [json.loads(line)["answered_by"] for line in details.read_text().splitlines()] == [
        "cheap", "strong", "cheap", None, None]
    assert main(["replay", str(cheap), "--cascade", str(strong)]) == 0
    text = capsys.readouterr().out
    assert f"escalated 2 of 5 (40.0 %) to {strong.name} (unanswered); answered by cheap 2, strong 1; cost " in text


def test_baselines_are_computed_from_every_reading(tmp_path: Path) -> None:
    # cheap right on a, wrong on b (open), no answer on c and d; strong right on b, c and d, wrong on a.
    cheap = folio(tmp_path, "cheap", {"a": (TRUE, "A"), "b": (UNCERTAIN, "A"), "c": (BROKEN, "B"),
                                      "d": (BROKEN, "A")})
    strong = folio(tmp_path, "strong", {"a": (FALSE, "A"), "b": (TRUE, "A"), "c": (FALSE, "B"), "d": (TRUE, "A")})
    prices = {"cheap": Price(0.0, 0.0), "strong": Price(0.0, 0.0)}
    t = replay_cascade([cheap, strong], prices=prices, with_baselines=True)
    b = t.baselines
    assert b is not None
    assert [(b["alone"][m]["correct"], b["alone"][m]["wrong"]) for m in ("cheap", "strong")] == [(1, 1), (3, 1)]
    assert (b["cascade_unanswered"]["correct"], b["cascade_unanswered"]["wrong"],
            b["cascade_unanswered"]["escalated_share"], b["cascade_unanswered"]["gap_recovered"]) == (3, 1, 0.5, 1.0)
    assert (b["cascade_open"]["correct"], b["cascade_open"]["wrong"], b["cascade_open"]["escalated_share"]) == (
        4, 0, 0.75)
    # The router sends half the records to strong at random: expected 1 + 0.5 * (3 - 1) right.
    assert (b["random_router"]["correct"], b["random_router"]["escalated_share"]) == (2, 0.5)
    assert (b["oracle"]["correct"], b["oracle"]["wrong"], b["oracle"]["escalated_share"]) == (4, 0, 0.75)
    assert [(p["escalate"], p["correct"], p["wrong"]) for p in b["curve"]] == [
        ("nothing", 1, 1), ("+ unanswered", 3, 1), ("+ open", 4, 0), ("+ proved", 3, 1)]


def _real(name: str) -> Path:
    p = DATA / name
    if not p.exists():
        pytest.skip(f"{p} is not here (../shared/datasets)")
    return p


@pytest.mark.parametrize("dataset", ["LogicalDeduction", "ProofWriter"])
def test_a_real_cascade_adds_up_from_each_files_own_verdicts(tmp_path: Path, dataset: str) -> None:
    """Each record's answer is the cheap file's where it answers, else the strong file's, each replayed alone."""
    cheap, strong = _real(f"{dataset}_dev_gpt-3.5-turbo.json"), _real(f"{dataset}_dev_gpt-4.json")
    limit = 30
    ids = {str(r["id"]) for r in json.loads(cheap.read_text())[:limit]}
    # The strong model's records of the same ids, in a file of their own (its order may differ).
    picked = tmp_path / strong.name
    picked.write_text(json.dumps([r for r in json.loads(strong.read_text()) if str(r["id"]) in ids]))
    alone = []
    for path in (cheap, picked):
        out = tmp_path / f"{path.stem}.jsonl"
        with out.open("w") as details:
            replay_file(path, details=details, limit=limit)
        alone.append({str(r["id"]): r for r in map(json.loads, out.read_text().splitlines())})
    t, r = rows(tmp_path, [cheap, strong], limit=limit)
    first, second = alone
    assert list(r) == list(first)
    for rid, row in r.items():
        expected = first[rid]["answer"] if first[rid]["answer"] is not None else second[rid]["answer"]
        assert row["answer"] == expected, rid
    assert t.escalations == sum(first[rid]["answer"] is None for rid in first)


PRONTO = """Predicates:
Round($x, bool) ::: Is x round?
Big($x, bool) ::: Is x big?
Red($x, bool) ::: Is x red?
Facts:
Round(Anne, True) ::: Anne is round.
Rules:
Round($x, True) >>> Big($x, False) ::: Round things are not big.
Query:
{query}
"""


def pronto(tmp_path: Path, model: str, records: dict[str, tuple[str, str, str]]) -> Path:
    """A ProntoQA file: record id -> (query, the question's statement, gold letter)."""
    p = tmp_path / f"ProntoQA_dev_{model}.json"
    p.write_text(json.dumps([{"id": rid, "context": "Anne is round. Round things are not big.",
                              "question": f"Is the following statement true or false? {statement}",
                              "options": ["A) True", "B) False"], "answer": gold,
                              "raw_logic_programs": [PRONTO.format(query=query)]}
                             for rid, (query, statement, gold) in records.items()]), encoding="utf-8")
    return p


def test_a_closed_world_false_is_doubted_only_when_its_opposite_is_not_derived(tmp_path: Path) -> None:
    cheap = pronto(tmp_path, "cheap", {"proved": ("Big(Anne, True)", "Anne is big.", "B"),
                                       "absent": ("Red(Anne, True)", "Anne is red.", "A")})
    strong = pronto(tmp_path, "strong", {"proved": ("Big(Anne, False)", "Anne is big.", "B"),
                                         "absent": ("Round(Anne, True)", "Anne is red.", "A")})
    t, r = rows(tmp_path, [cheap, strong], escalate="open")
    first = {rid: row["reads"][0] for rid, row in r.items()}  # type: ignore[index]
    assert [(first[k]["answer"], first[k]["open_question"], bool(first[k]["doubt"])) for k in ("proved", "absent")] \
        == [("B", True, False), ("B", True, True)]
    # Big(Anne, True) is False because Big(Anne, False) is derived: the answer stands, the strong file is not read.
    assert (r["proved"]["answered_by"], len(r["proved"]["reads"])) == ("cheap", 1)  # type: ignore[arg-type]
    assert (r["absent"]["answered_by"], r["absent"]["answer"]) == ("strong", "A")
    assert "neither is its opposite" in first["absent"]["doubt"]
    assert t.escalations == 1


def csp_file(tmp_path: Path, model: str, records: dict[str, tuple[str, str]]) -> Path:
    p = tmp_path / f"LogicalDeduction_dev_{model}.json"
    p.write_text(json.dumps([{"id": rid, "context": "Three books.", "question": "Which is true?",
                              "options": ["A) The red book is the leftmost.", "B) The blue book is the leftmost."],
                              "answer": gold, "raw_logic_programs": [program]}
                             for rid, (program, gold) in records.items()]), encoding="utf-8")
    return p


CSP = """Domain:
1: leftmost
3: rightmost
Variables:
red [IN] [1, 2, 3]
blue [IN] [1, 2, 3]
green [IN] [1, 2, 3]
Constraints:
red == 1 ::: The red book is the leftmost.
{extra}
AllDifferentConstraint([red, blue, green]) ::: All books are in different places.
Query:
A) red == 1 ::: The red book is the leftmost.
B) blue == 1 ::: The blue book is the leftmost.
"""


def test_a_program_with_two_arrangements_is_doubted(tmp_path: Path) -> None:
    fixed = CSP.format(extra="blue > green ::: The blue book is right of the green book.")
    loose = CSP.format(extra="")
    cheap = csp_file(tmp_path, "cheap", {"fixed": (fixed, "A"), "loose": (loose, "A")})
    strong = csp_file(tmp_path, "strong", {"fixed": (fixed, "A"), "loose": (fixed, "A")})
    t, r = rows(tmp_path, [cheap, strong], escalate="open")
    assert [(r[k]["reads"][0]["answer"], bool(r[k]["reads"][0]["doubt"])) for k in ("fixed", "loose")] == [  # type: ignore[index]
        ("A", False), ("A", True)]
    assert [len(r[k]["reads"]) for k in ("fixed", "loose")] == [1, 2]  # type: ignore[arg-type]
    assert "more than one arrangement" in r["loose"]["reads"][0]["doubt"]  # type: ignore[index]
    # The plain rule never looks for doubt (no solver queries spent on it) and escalates neither.
    t, r = rows(tmp_path, [cheap, strong])
    assert t.escalations == 0 and r["loose"]["reads"][0]["doubt"] == ""  # type: ignore[index]
