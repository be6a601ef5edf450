"""The ledger: one SQLite row per attempt, committed as it happens, and one per decided task.

``ledger.sqlite`` lives in the store folder (``.assay/`` by default).  Every
attempt of the offload loop (a model call, a repair, a solver run) is a row in
``attempts`` with what it decided and what it cost; the task's final verdict
is a row in ``decisions``, with its answer (ACCEPTED, REPAIRED) or the
proposal its verdict judged (REFUTED, VACUOUS, MALFORMED; none when there was
no proposal).  Rows are committed one at a time in WAL mode, so a run that is
killed loses at most the attempt in flight (DESIGN rule 7), and a run resumed
with the same run id skips the tasks it already decided.  The file is not
trusted: a resumed run derives each recorded verdict again from the spec and
that proposal (:meth:`assay.kernel.loop._Run.resume`).

The allocator reads it back: :meth:`Ledger.history` summarises what each
strategy cost and how often it was right on one spec, and ``assay report``
prints :meth:`Ledger.summary`.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assay.specs import Spec

from .verdicts import Verdict

if TYPE_CHECKING:
    from .trace import AttemptRecord, Trace

__all__ = ["LEDGER_FILE", "Ledger", "StrategyStats", "default_store", "ledger_path"]

LEDGER_FILE = "ledger.sqlite"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS attempts (
    id INTEGER PRIMARY KEY,
    run_id TEXT NOT NULL,
    task_id TEXT NOT NULL,
    spec_ref TEXT NOT NULL,
    spec_hash TEXT NOT NULL,
    strategy TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    action TEXT NOT NULL,
    proposal_hash TEXT NOT NULL,
    verdict TEXT NOT NULL,
    reason TEXT NOT NULL,
    solver_seconds REAL NOT NULL,
    prompt_tokens INTEGER NOT NULL,
    completion_tokens INTEGER NOT NULL,
    history_tokens INTEGER NOT NULL,
    calls INTEGER NOT NULL,
    wall_seconds REAL NOT NULL,
    error_kind TEXT NOT NULL,
    timestamp REAL NOT NULL,
    model TEXT NOT NULL DEFAULT '',
    cost REAL,
    UNIQUE (run_id, task_id, attempt, action)
);
CREATE TABLE IF NOT EXISTS decisions (
    run_id TEXT NOT NULL,
    task_id TEXT NOT NULL,
    spec_ref TEXT NOT NULL,
    spec_hash TEXT NOT NULL,
    strategy TEXT NOT NULL,
    verdict TEXT NOT NULL,
    reason TEXT NOT NULL,
    answer TEXT,
    wall_seconds REAL NOT NULL,
    trace TEXT NOT NULL,
    timestamp REAL NOT NULL,
    PRIMARY KEY (run_id, task_id)
);
CREATE INDEX IF NOT EXISTS attempts_by_task ON attempts (run_id, task_id);
CREATE INDEX IF NOT EXISTS decisions_by_spec ON decisions (spec_hash, strategy);
"""

_OUTCOMES = ("accepted", "repaired", "refuted", "unknown", "malformed", "vacuous")


def default_store() -> Path:
    """The state folder when none is named: ``$ASSAY_HOME``, else ``.assay`` in the current folder."""
    return Path(os.environ.get("ASSAY_HOME") or ".assay")


def ledger_path(store: str | Path | None = None) -> Path:
    """The ledger file of a store folder (or of the default store); a ``.sqlite`` path is taken as it is."""
    path = Path(store) if store is not None else default_store()
    return path if path.suffix == ".sqlite" else path / LEDGER_FILE


@dataclass(frozen=True)
class StrategyStats:
    """What one strategy did on one spec, over the tasks the ledger holds: the allocator's evidence."""

    strategy: str
    tasks: int
    decided: int  # ACCEPTED or REPAIRED
    calls: int
    tokens: int
    solver_seconds: float
    wall_seconds: float

    @property
    def accuracy(self) -> float:
        return self.decided / self.tasks if self.tasks else 0.0

    def mean(self, what: str) -> float:
        total = float(getattr(self, what))
        return total / self.tasks if self.tasks else 0.0


class Ledger:
    """An open ledger file.  Use as a context manager, or call :meth:`close`."""

    def __init__(self, store: str | Path | None = None) -> None:
        self.path = ledger_path(store)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Autocommit (isolation_level=None): each row is its own transaction, on disk when the call returns.
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30.0)
        self._db.row_factory = sqlite3.Row
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._check_tables()
            self._db.executescript(_SCHEMA)
            self._upgrade()
        except sqlite3.DatabaseError as exc:
            self._db.close()
            raise ValueError(f"{self.path}: not an assay ledger ({exc}); name another store") from None
        except ValueError:
            self._db.close()
            raise

    def _columns(self) -> set[str]:
        return {row["name"] for row in self._db.execute("PRAGMA table_info(attempts)")}

    def _check_tables(self) -> None:
        """Refuse a file whose attempts table is not the ledger's (before anything is written to it)."""
        columns = self._columns()
        needed = {"run_id", "task_id", "spec_ref", "spec_hash", "strategy", "attempt", "action", "verdict",
                  "prompt_tokens", "completion_tokens", "calls", "solver_seconds", "wall_seconds"}
        if columns and not needed <= columns:
            raise ValueError(f"{self.path}: not an assay ledger (its attempts table lacks "
                             f"{', '.join(sorted(needed - columns))}); name another store")

    def _upgrade(self) -> None:
        """Add what a ledger written by an older assay lacks; its rows keep their meaning (no model named, no
        cost known)."""
        columns = self._columns()
        for name, kind in (("model", "TEXT NOT NULL DEFAULT ''"), ("cost", "REAL")):
            if name not in columns:
                self._db.execute(f"ALTER TABLE attempts ADD COLUMN {name} {kind}")

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self._db.close()

    # -- writing --

    def record(self, run_id: str, task_id: str, spec: Spec, strategy: str, step: AttemptRecord) -> None:
        """One attempt, committed now."""
        self._db.execute(
            "INSERT INTO attempts (run_id, task_id, spec_ref, spec_hash, strategy, attempt, action, proposal_hash,"
            " verdict, reason, solver_seconds, prompt_tokens, completion_tokens, history_tokens, calls,"
            " wall_seconds, error_kind, timestamp, model, cost) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (run_id, task_id, spec.ref, spec.source_hash, strategy, step.attempt, step.action, step.proposal_hash,
             step.outcome, step.reason, step.solver_seconds, step.prompt_tokens, step.completion_tokens,
             step.history_tokens, step.calls, step.wall_seconds, step.error, time.time(), step.model, step.cost))

    def decide(self, run_id: str, task_id: str, spec: Spec, strategy: str, *, verdict: Verdict, answer: Any,
               trace: Trace) -> None:
        """A task's final verdict (and answer), committed now; a task is decided once per run."""
        self._db.execute(
            "INSERT OR IGNORE INTO decisions (run_id, task_id, spec_ref, spec_hash, strategy, verdict, reason,"
            " answer, wall_seconds, trace, timestamp) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (run_id, task_id, spec.ref, spec.source_hash, strategy, verdict.outcome.value, verdict.reason,
             None if answer is None else json.dumps(answer), trace.spent.wall_seconds,
             json.dumps(trace.to_json()), time.time()))

    # -- reading --

    def decision(self, run_id: str, task_id: str) -> sqlite3.Row | None:
        """The recorded decision of a task in a run, or None."""
        row: sqlite3.Row | None = self._db.execute(
            "SELECT * FROM decisions WHERE run_id = ? AND task_id = ?", (run_id, task_id)).fetchone()
        return row

    def attempts(self, run_id: str, task_id: str) -> int:
        """The highest attempt number recorded for a task in a run (0 when none)."""
        row = self._db.execute("SELECT MAX(attempt) FROM attempts WHERE run_id = ? AND task_id = ?",
                               (run_id, task_id)).fetchone()
        return int(row[0] or 0)

    def rows(self, table: str = "attempts") -> Iterator[dict[str, Any]]:
        """Every row of ``attempts`` or ``decisions``, oldest first."""
        if table not in ("attempts", "decisions"):
            raise ValueError(f"no ledger table {table!r} (attempts or decisions)")
        order = "id" if table == "attempts" else "timestamp"
        for row in self._db.execute(f"SELECT * FROM {table} ORDER BY {order}"):
            yield dict(row)

    def history(self, spec: Spec) -> dict[str, StrategyStats]:
        """Per strategy, what tasks of this spec (this exact source) cost and how often they were decided."""
        out: dict[str, StrategyStats] = {}
        for row in self._db.execute(_HISTORY, (spec.source_hash,)):
            out[row["strategy"]] = StrategyStats(row["strategy"], int(row["tasks"]), int(row["decided"] or 0),
                                                 int(row["calls"] or 0), int(row["tokens"] or 0),
                                                 float(row["solver"] or 0.0), float(row["wall"] or 0.0))
        return out

    def summary(self, by: str = "strategy") -> list[dict[str, Any]]:
        """Per strategy (``by="strategy"``) or per spec (``by="spec"``): tasks, verdicts, and total costs."""
        if by not in ("strategy", "spec"):
            raise ValueError(f"summary by strategy or spec, got by={by!r}")
        key = "strategy" if by == "strategy" else "spec_ref"
        groups: dict[str, dict[str, Any]] = {}

        def group(name: str) -> dict[str, Any]:
            return groups.setdefault(name, {by: name, "tasks": 0, **dict.fromkeys(_OUTCOMES, 0), "undecided": 0,
                                            "model_calls": 0, "prompt_tokens": 0, "completion_tokens": 0,
                                            "tokens": 0, "cost": None, "solver_seconds": 0.0,
                                            "wall_seconds": 0.0})

        for row in self._db.execute(f"SELECT {key} AS k, verdict, COUNT(*) AS n, SUM(wall_seconds) AS wall "
                                    f"FROM decisions GROUP BY k, verdict"):
            g = group(row["k"])
            g["tasks"] += row["n"]
            g[row["verdict"]] = g.get(row["verdict"], 0) + row["n"]
            g["wall_seconds"] += row["wall"] or 0.0
        for row in self._db.execute(
                f"SELECT {key} AS k, SUM(calls) AS calls, SUM(prompt_tokens) AS p, "
                f"SUM(completion_tokens) AS c, SUM(solver_seconds) AS s, SUM(cost) AS cost FROM attempts "
                f"GROUP BY k"):
            g = group(row["k"])
            g["model_calls"] += row["calls"] or 0
            g["prompt_tokens"] += row["p"] or 0
            g["completion_tokens"] += row["c"] or 0
            g["tokens"] = g["prompt_tokens"] + g["completion_tokens"]
            g["solver_seconds"] += row["s"] or 0.0
            if row["cost"] is not None:
                g["cost"] = (g["cost"] or 0.0) + row["cost"]
        for row in self._db.execute(
                f"SELECT a.{key} AS k, COUNT(DISTINCT a.run_id || char(0) || a.task_id) AS n FROM attempts a "
                "LEFT JOIN decisions d ON a.run_id = d.run_id AND a.task_id = d.task_id "
                "WHERE d.task_id IS NULL GROUP BY k"):
            group(row["k"])["undecided"] += row["n"]
        return [groups[k] for k in sorted(groups)]

    def by_model(self) -> list[dict[str, Any]]:
        """Per model that answered a model attempt (as its backend named it; a cascade names each member): calls,
        tasks, answers accepted or repaired, tokens and cost (None where no call of it had a price)."""
        out = []
        for row in self._db.execute(
                "SELECT model, COUNT(DISTINCT run_id || char(0) || task_id) AS tasks, SUM(calls) AS calls, "
                "SUM(CASE WHEN verdict IN ('accepted', 'repaired') THEN 1 ELSE 0 END) AS answered, "
                "SUM(prompt_tokens) AS p, SUM(completion_tokens) AS c, SUM(cost) AS cost "
                "FROM attempts WHERE action = 'model' GROUP BY model ORDER BY model"):
            out.append({"model": row["model"] or "(unnamed)", "tasks": row["tasks"], "model_calls": row["calls"] or 0,
                        "accepted": row["answered"] or 0, "prompt_tokens": row["p"] or 0,
                        "completion_tokens": row["c"] or 0, "tokens": (row["p"] or 0) + (row["c"] or 0),
                        "cost": row["cost"]})
        return out


_HISTORY = """
SELECT d.strategy AS strategy, COUNT(*) AS tasks,
       SUM(CASE WHEN d.verdict IN ('accepted', 'repaired') THEN 1 ELSE 0 END) AS decided,
       SUM(d.wall_seconds) AS wall,
       SUM(a.calls) AS calls, SUM(a.tokens) AS tokens, SUM(a.solver) AS solver
FROM decisions d
LEFT JOIN (SELECT run_id, task_id, SUM(calls) AS calls, SUM(prompt_tokens + completion_tokens) AS tokens,
                  SUM(solver_seconds) AS solver
           FROM attempts GROUP BY run_id, task_id) a
       ON a.run_id = d.run_id AND a.task_id = d.task_id
WHERE d.spec_hash = ?
GROUP BY d.strategy
"""
