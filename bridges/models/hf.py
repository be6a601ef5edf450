"""A causal language model run in this process with transformers, decoding under the proposal's grammar.

When a prompt carries a spec, a :class:`GrammarLogitsProcessor` masks, at
every step, each token whose bytes would leave the language of the spec's
proposal type (:mod:`assay.bridges.models.grammar`), allows the end of text
only once the value is complete, and keeps the value completable within the
tokens left.  So every output that comes back parses with
``spec.decode_proposal`` and lies in its declared bounds; whether it meets
the spec is still for the kernel to decide.

The mask needs each vocabulary token as bytes: for a byte-level BPE
tokenizer (GPT-2, Llama 3, Qwen) the token strings map back to bytes through
the byte-to-unicode table; SentencePiece tokens have ``▁`` for a space and
``<0xNN>`` byte fallbacks; anything else is decoded one token at a time.
A token that is a fragment of a UTF-8 character is fine: the grammar works on
bytes.  The allowed tokens of a state are found by walking a byte trie of
the vocabulary alongside the grammar, and cached per state.

Only this module of assay imports torch and transformers, and only when it
is imported itself (``assay.bridges.models`` imports it on first use).
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import Any

try:
    import torch
    from transformers import LogitsProcessor, LogitsProcessorList, MaxTimeCriteria, StoppingCriteriaList
except ImportError as e:  # pragma: no cover - exercised only where the extra is missing
    raise ImportError("assay's transformers backend needs torch and transformers: "
                      "pip install 'assay[models]'") from e

from assay.kernel.backends import BackendError, Completion, Prompt

from .grammar import Grammar, State, string_chars

__all__ = ["GrammarLogitsProcessor", "HFBackend", "Vocabulary", "token_bytes"]

_CACHE_STATES = 20_000


# --- the vocabulary as bytes ----------------------------------------------------------------------


def _byte_level_table() -> dict[str, int]:
    """The inverse of byte-level BPE's byte-to-unicode table: printable bytes stand for themselves,
    the others for the code points from U+0100 on, in byte order."""
    printable = [*range(0x21, 0x7F), *range(0xA1, 0xAD), *range(0xAE, 0x100)]
    table = {chr(b): b for b in printable}
    extra = 0
    for b in range(256):
        if b not in printable:
            table[chr(0x100 + extra)] = b
            extra += 1
    return table


def _decoder_kinds(tokenizer: Any) -> str:
    """The JSON of a fast tokenizer's decoder, to tell byte-level from SentencePiece ("" when unknown)."""
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is None:
        return ""
    try:
        return json.dumps(json.loads(backend.to_str()).get("decoder"))
    except (ValueError, AttributeError):
        return ""


def token_bytes(tokenizer: Any) -> list[bytes | None]:
    """Each token id's bytes, None for special tokens (they are never part of a value)."""
    size = len(tokenizer)
    pieces = tokenizer.convert_ids_to_tokens(list(range(size)))
    special = set(tokenizer.all_special_ids)
    decoder = _decoder_kinds(tokenizer)
    table = _byte_level_table()
    byte_level = "ByteLevel" in decoder or (
        not decoder and all(p is None or set(p) <= table.keys() for i, p in enumerate(pieces) if i not in special))
    out: list[bytes | None] = []
    for i, piece in enumerate(pieces):
        if i in special or piece is None:
            out.append(None)
        elif byte_level and set(piece) <= table.keys():
            out.append(bytes(table[c] for c in piece))
        elif len(piece) == 6 and piece.startswith("<0x") and piece.endswith(">"):
            out.append(bytes((int(piece[3:5], 16),)))
        elif "\u2581" in piece or "Metaspace" in decoder:
            out.append(piece.replace("\u2581", " ").encode("utf-8"))
        else:
            text = tokenizer.decode([i])
            out.append(None if "\ufffd" in text else text.encode("utf-8"))
    return [b if b else None for b in out]


def _insert(trie: tuple[dict[int, Any], list[int]], piece: bytes, token: int) -> None:
    node = trie
    for b in piece:
        node = node[0].setdefault(b, ({}, []))
    node[1].append(token)


class Vocabulary:
    """A tokenizer's tokens as bytes, in a trie, with its end-of-text ids."""

    def __init__(self, pieces: Sequence[bytes | None], eos_ids: Sequence[int]) -> None:
        if not eos_ids:
            raise ValueError("constrained decoding needs an end-of-text token; the tokenizer has none")
        self.pieces = list(pieces)
        self.eos_ids = sorted(set(eos_ids))
        # A trie node: (children by byte, ids of the tokens that end here).
        self.trie: tuple[dict[int, Any], list[int]] = ({}, [])
        for i, piece in enumerate(self.pieces):
            if piece is not None and i not in self.eos_ids:
                _insert(self.trie, piece, i)
        self.single_bytes = {p[0] for p in self.pieces if p is not None and len(p) == 1}
        # Tokens that are plain string content, with their length in characters; the rest in a trie of their own.
        plain = [(i, string_chars(p)) for i, p in enumerate(self.pieces) if p is not None and i not in self.eos_ids]
        self.plain_ids = torch.tensor([i for i, n in plain if n is not None], dtype=torch.long)
        self.plain_chars = torch.tensor([n for _, n in plain if n is not None], dtype=torch.long)
        self.other_trie: tuple[dict[int, Any], list[int]] = ({}, [])
        for i, n in plain:
            if n is None:
                _insert(self.other_trie, self.pieces[i] or b"", i)

    @classmethod
    def of(cls, tokenizer: Any, eos_ids: Sequence[int]) -> Vocabulary:
        return cls(token_bytes(tokenizer), eos_ids)


class _Masker:
    """The tokens each state of one grammar allows, with the shortest completion after each; cached."""

    def __init__(self, grammar: Grammar, vocab: Vocabulary) -> None:
        self.grammar, self.vocab = grammar, vocab
        self._cache: dict[State, tuple[torch.Tensor, torch.Tensor]] = {}

    def successors(self, state: State) -> tuple[torch.Tensor, torch.Tensor]:
        """The token ids that keep ``state`` in the language, and the bytes still due after each."""
        hit = self._cache.get(state)
        if hit is not None:
            return hit
        ids: list[int] = []
        due: list[int] = []
        room = self.grammar.string_room(state)
        trie = self.vocab.trie if room is None else self.vocab.other_trie
        stack = [(trie, state)]
        while stack:
            (children, _), s = stack.pop()
            for b, child in children.items():
                t = self.grammar.feed(s, b)
                if t is None:
                    continue
                if child[1]:
                    rest = self.grammar.min_remaining(t)
                    ids.extend(child[1])
                    due.extend([rest] * len(child[1]))
                if child[0]:
                    stack.append((child, t))
        hit = (torch.tensor(ids, dtype=torch.long), torch.tensor(due, dtype=torch.long))
        if room is not None:  # inside a string: plain content is decided at once by its length
            fits = self.vocab.plain_ids[self.vocab.plain_chars <= room]
            unchanged = torch.full_like(fits, self.grammar.min_remaining(state))
            hit = (torch.cat([hit[0], fits]), torch.cat([hit[1], unchanged]))
        if len(self._cache) < _CACHE_STATES:
            self._cache[state] = hit
        return hit

    def allowed(self, state: State, left: int) -> torch.Tensor:
        """The ids allowed with ``left`` tokens to go, this one included: the value must still fit."""
        ids, due = self.successors(state)
        # Each byte of a shortest completion is a token of its own at worst, so `due` tokens always suffice.
        keep = ids[due <= left - 1]
        if self.grammar.accepting(state):
            keep = torch.cat([keep, torch.tensor(self.vocab.eos_ids, dtype=torch.long)])
        return keep

    def advance(self, state: State | None, token: int) -> State | None:
        piece = self.vocab.pieces[token] if token < len(self.vocab.pieces) else None
        return None if piece is None or state is None else self.grammar.feed_bytes(state, piece)


class GrammarLogitsProcessor(LogitsProcessor):
    """Masks every token that would take a sequence out of the grammar's language, or past its budget.

    ``prompt_len`` is where generation starts in ``input_ids``; ``max_new_tokens``
    is the budget the value must be complete within.
    """

    def __init__(self, masker: _Masker, prompt_len: int, max_new_tokens: int) -> None:
        self.masker = masker
        self.prompt_len = prompt_len
        self.max_new_tokens = max_new_tokens
        self.states: list[State | None] = []
        self.fed: list[int] = []

    def __call__(self, input_ids: torch.Tensor, scores: torch.Tensor) -> torch.Tensor:
        rows = input_ids.shape[0]
        if not self.states:
            self.states = [self.masker.grammar.start()] * rows
            self.fed = [0] * rows
        mask = torch.full_like(scores, float("-inf"))
        eos = self.masker.vocab.eos_ids
        for r in range(rows):
            generated = input_ids[r, self.prompt_len:].tolist()
            for token in generated[self.fed[r]:]:
                if token not in eos:
                    self.states[r] = self.masker.advance(self.states[r], token)
            self.fed[r] = len(generated)
            state = self.states[r]
            if state is None or (generated and generated[-1] in eos):
                mask[r, eos] = 0  # a finished row (or one that left the language: never, by construction)
                continue
            allowed = self.masker.allowed(state, self.max_new_tokens - len(generated))
            allowed = allowed[allowed < scores.shape[-1]]
            mask[r, allowed.to(scores.device)] = 0
        return scores + mask


# --- the backend ----------------------------------------------------------------------------------


def _eos_ids(model: Any, tokenizer: Any) -> list[int]:
    ids: list[int] = []
    for source in (getattr(getattr(model, "generation_config", None), "eos_token_id", None),
                   tokenizer.eos_token_id):
        if isinstance(source, int):
            ids.append(source)
        elif isinstance(source, list | tuple):
            ids.extend(i for i in source if isinstance(i, int))
    return sorted({i for i in ids if 0 <= i < len(tokenizer)})


class HFBackend:
    """A transformers causal LM: a local path or hub id, or a built ``model`` with its ``tokenizer``.

    ``device``: None puts a loaded model on CUDA when there is one, else the
    CPU (a model object given stays where it is); ``"cpu"``/``"cuda"`` move it
    there; ``"auto"`` loads with accelerate's ``device_map="auto"``.
    ``constrain=False`` turns the grammar off (the output may then not parse).
    ``seed`` makes sampling reproducible: each call seeds torch with
    ``seed + attempt``.
    """

    def __init__(self, model_or_path: Any, *, device: str | None = None, tokenizer: Any = None,
                 max_new_tokens: int = 1024, name: str | None = None, constrain: bool = True,
                 seed: int | None = None) -> None:
        if device not in (None, "cpu", "cuda", "auto") and not str(device).startswith("cuda:"):
            raise ValueError(f"device must be None, 'cpu', 'cuda' or 'auto', got {device!r}")
        if isinstance(model_or_path, str):
            from transformers import AutoModelForCausalLM, AutoTokenizer

            placement = {"device_map": "auto"} if device == "auto" else {}
            loaded: Any = AutoModelForCausalLM.from_pretrained(model_or_path, dtype="auto", **placement)
            if device != "auto":
                loaded = loaded.to(device or ("cuda" if torch.cuda.is_available() else "cpu"))
            self.model: Any = loaded
            self.tokenizer: Any = tokenizer if tokenizer is not None else AutoTokenizer.from_pretrained(model_or_path)
            self.name = name or f"hf:{model_or_path}"
        else:
            if tokenizer is None:
                raise ValueError("a model object needs its tokenizer: HFBackend(model, tokenizer=...)")
            self.model, self.tokenizer = model_or_path, tokenizer
            if device not in (None, "auto"):
                self.model.to(device)
            self.name = name or f"hf:{type(model_or_path).__name__}"
        self.model.eval()
        self.max_new_tokens = max_new_tokens
        self.constrain = constrain
        self.seed = seed
        self.eos_ids = _eos_ids(self.model, self.tokenizer)
        self._vocab: Vocabulary | None = None
        self._maskers: dict[Any, _Masker] = {}

    @property
    def device(self) -> torch.device:
        device: torch.device = next(self.model.parameters()).device
        return device

    def _masker(self, spec: Any) -> _Masker:
        domain = spec.proposal.domain
        if domain not in self._maskers:
            if self._vocab is None:
                self._vocab = Vocabulary.of(self.tokenizer, self.eos_ids)
            self._maskers[domain] = _Masker(Grammar.for_spec(spec), self._vocab)
        return self._maskers[domain]

    def encode_prompt(self, prompt: Prompt) -> list[int]:
        """The prompt's token ids: through the chat template when the tokenizer has one, else role-labelled
        messages one after another, ending with ``assistant:``."""
        messages = [{"role": m.role, "content": m.content} for m in prompt.messages]
        if getattr(self.tokenizer, "chat_template", None):
            text = self.tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
            ids = self.tokenizer(text, add_special_tokens=False)["input_ids"]
        else:
            text = "".join(f"{m['role']}: {m['content']}\n\n" for m in messages) + "assistant:"
            ids = self.tokenizer(text)["input_ids"]
        return list(ids)

    def complete(self, prompt: Prompt, *, timeout: float) -> Completion:
        """Generate an answer to ``prompt``; under the grammar of ``prompt.spec`` when there is one."""
        started = time.monotonic()
        if timeout <= 0:
            raise BackendError("timeout", f"no time left (timeout={timeout})")
        ids = self.encode_prompt(prompt)
        budget = min(prompt.max_tokens, self.max_new_tokens)
        masker = self._masker(prompt.spec) if self.constrain and prompt.spec is not None else None

        def fail(kind: str, detail: str, completion_tokens: int = 0) -> BackendError:
            return BackendError(kind, detail, prompt_tokens=len(ids), completion_tokens=completion_tokens,
                                seconds=time.monotonic() - started)

        if masker is not None:
            shortest = masker.grammar.min_remaining(masker.grammar.start())
            if shortest > budget:
                raise fail("crash", f"max_tokens={budget} cannot hold any value of the proposal type "
                                    f"(the shortest is {shortest} bytes)")
        if self.seed is not None:
            torch.manual_seed(self.seed + prompt.attempt)
        try:
            new = self._generate(ids, prompt, budget, masker, timeout=timeout, started=started)
        except BackendError:
            raise
        except Exception as e:  # a model fault costs this attempt, not the run
            raise fail("crash", f"{type(e).__name__}: {e}") from e
        finished = bool(new) and new[-1] in self.eos_ids
        body = new[:-1] if finished else new
        if masker is not None:
            state = masker.grammar.feed_bytes(masker.grammar.start(), b"".join(
                masker.vocab.pieces[t] or b"" for t in body))
            if state is None or not masker.grammar.accepting(state):
                if time.monotonic() - started >= timeout:
                    raise fail("timeout", f"the value was not complete within {timeout:g}s", len(new))
                raise fail("crash", "constrained decoding stopped before the value was complete", len(new))
            text = b"".join(masker.vocab.pieces[t] or b"" for t in body).decode("utf-8")
        else:
            if not finished and len(new) < budget and time.monotonic() - started >= timeout:
                raise fail("timeout", f"generation did not finish within {timeout:g}s", len(new))
            text = str(self.tokenizer.decode(body, skip_special_tokens=True))
        if not text.strip():
            raise fail("empty", "the model generated no text", len(new))
        return Completion(text=text, prompt_tokens=len(ids), completion_tokens=len(new),
                          seconds=time.monotonic() - started, estimated=False, model=self.name)

    def _generate(self, ids: list[int], prompt: Prompt, budget: int, masker: _Masker | None, *,
                  timeout: float, started: float) -> list[int]:
        """The new token ids (the end-of-text token included when one was generated)."""
        input_ids = torch.tensor([ids], dtype=torch.long, device=self.device)
        options: dict[str, Any] = {"max_new_tokens": budget, "do_sample": prompt.temperature > 0}
        if prompt.temperature > 0:
            options["temperature"] = prompt.temperature
        if masker is not None:
            options["logits_processor"] = LogitsProcessorList([GrammarLogitsProcessor(masker, len(ids), budget)])
        pad = self.tokenizer.pad_token_id
        with torch.no_grad():
            out = self.model.generate(
                input_ids=input_ids, attention_mask=torch.ones_like(input_ids),
                stopping_criteria=StoppingCriteriaList([MaxTimeCriteria(timeout, initial_timestamp=time.time()
                                                                        - (time.monotonic() - started))]),
                eos_token_id=self.eos_ids or None, pad_token_id=pad if pad is not None else (self.eos_ids or [0])[0],
                **options)
        new: list[int] = out[0, len(ids):].tolist()
        if self.eos_ids:
            for i, t in enumerate(new):
                if t in self.eos_ids:
                    return new[:i + 1]
        return new
