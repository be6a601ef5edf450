"""The proposal grammar, and the transformers backend decoding under it with a tiny random GPT-2.

The grammar tests need no model: a table of texts in and out of each
domain's language, random values of each domain written both compactly and
with spaces, and random walks that check the shortest-completion count the
budget guard relies on.  The model tests build a 2-layer GPT-2 with random
weights and a byte-level BPE tokenizer trained here on a few strings (no
download), sample from it with several seeds, and check that every output
parses with ``spec.decode_proposal`` and lies in its declared bounds.
"""

from __future__ import annotations

import enum
import json
import random
from dataclasses import dataclass
from typing import Annotated, Any

import pytest
from assay.bridges.models.grammar import Grammar, State
from assay.kernel.backends import BackendError, Message, Prompt
from assay.specs import Between, Length, MaxLen, Proposal, spec
from assay.specs.domains import (
    BoolDomain,
    Domain,
    EnumDomain,
    IntDomain,
    ListDomain,
    RecordDomain,
    StrDomain,
    TupleDomain,
    domain_of,
)
from assay.specs.library.accounts import account_policy
from assay.specs.library.queens import n_queens
from assay.specs.library.scheduling import meeting_schedule
from assay.specs.library.sudoku import sudoku_grid
from assay.specs.library.word_problem import chickens_and_rabbits


class Colour(enum.Enum):
    RED = 1
    GREEN = 2
    BLUE = 3


@dataclass(frozen=True)
class Badge:
    label: Annotated[str, MaxLen(4)]
    colour: Colour
    shown: bool
    corner: tuple[Annotated[int, Between(-3, 3)], Annotated[int, Between(10, 12)]]


@dataclass(frozen=True)
class Nothing:
    pass


@spec
def badges(chosen: Proposal[Annotated[list[Badge], Length(2)]]) -> bool:
    """Two badges; a spec only to give the grammar a record with an enum, a bool, a tuple and a string."""
    return len(chosen) == 2


SPECS = [sudoku_grid, n_queens, chickens_and_rabbits, meeting_schedule, account_policy, badges]


def in_domain(spec_: Any, text: str) -> bool:
    """Whether ``text`` is JSON that the spec's proposal domain decodes, with every part in its bounds."""
    value = spec_.decode_proposal(json.loads(text))
    return spec_.out_of_bounds(value) == []


# --- the grammar ---------------------------------------------------------------------------------

BADGE = domain_of(Badge)
CASES: list[tuple[Domain, str, bool]] = [
    (IntDomain(1, 9), "5", True),
    (IntDomain(1, 9), "0", False),
    (IntDomain(1, 9), "10", False),
    (IntDomain(1, 9), "05", False),
    (IntDomain(-5, -3), "-4", True),
    (IntDomain(-5, -3), "-6", False),
    (IntDomain(-5, 20), "-0", False),
    (IntDomain(-5, 20), "0", True),
    (IntDomain(-5, 20), "-", False),
    (IntDomain(-5, 20), "19", True),
    (IntDomain(-5, 20), "21", False),
    (IntDomain(), "-123456789012345678901234567890", True),
    (IntDomain(100, None), "99", False),
    (IntDomain(100, None), "1000000", True),
    (IntDomain(0, 5), "3 ", False),
    (BoolDomain(), "true", True),
    (BoolDomain(), "false", True),
    (BoolDomain(), "True", False),
    (BoolDomain(), "1", False),
    (EnumDomain(Colour), '"GREEN"', True),
    (EnumDomain(Colour), '"GRE"', False),
    (EnumDomain(Colour), "2", False),
    (StrDomain(3), '"abc"', True),
    (StrDomain(3), '"abcd"', False),
    (StrDomain(3), '"日本語"', True),  # three characters, nine bytes
    (StrDomain(3), '"日本語!"', False),
    (StrDomain(3), '"a\\"b"', True),
    (StrDomain(3), '"a\\qb"', False),
    (StrDomain(3), '"a\\u0041"', False),
    (StrDomain(3), '"a\nb"', False),
    (StrDomain(), '"\U0002a6a5"', True),
    (StrDomain(), '"\U00030000"', False),  # past U+2FFFF, outside SMT-LIB strings
    (StrDomain(), '"abc', False),
    (ListDomain(IntDomain(0, 9), 2, 2), "[1,2]", True),
    (ListDomain(IntDomain(0, 9), 2, 2), "[1, 2]", True),
    (ListDomain(IntDomain(0, 9), 2, 2), "[1,  2]", False),
    (ListDomain(IntDomain(0, 9), 2, 2), "[1]", False),
    (ListDomain(IntDomain(0, 9), 2, 2), "[1,2,3]", False),
    (ListDomain(IntDomain(0, 9), 0, 3), "[]", True),
    (ListDomain(IntDomain(0, 9), 0, 3), "[1,2,3,4]", False),
    (ListDomain(IntDomain(0, 9), 0, 3), "[1,]", False),
    (ListDomain(IntDomain(0, 9)), "[" + ",".join("7" * 1 for _ in range(50)) + "]", True),
    (TupleDomain((BoolDomain(), IntDomain(0, 3))), "[true, 3]", True),
    (TupleDomain((BoolDomain(), IntDomain(0, 3))), "[true]", False),
    (TupleDomain((BoolDomain(), IntDomain(0, 3))), "[3, true]", False),
    (BADGE, '{"label": "ok", "colour": "RED", "shown": false, "corner": [-3, 12]}', True),
    (BADGE, '{"label":"ok","colour":"RED","shown":false,"corner":[-3,12]}', True),
    (BADGE, '{"colour": "RED", "label": "ok", "shown": false, "corner": [-3, 12]}', False),  # fields in order
    (BADGE, '{"label": "ok", "colour": "RED", "shown": false}', False),
    (BADGE, '{"label": "ok", "colour": "RED", "shown": false, "corner": [-3, 13]}', False),
    (domain_of(Nothing), "{}", True),
    (domain_of(Nothing), "{ }", False),
]


@pytest.mark.parametrize(("domain", "text", "expected"), CASES, ids=[f"{t}-{e}" for _, t, e in CASES])
def test_the_grammar_accepts_exactly_the_values_of_the_domain(domain: Domain, text: str, expected: bool) -> None:
    assert Grammar(domain).matches(text.encode("utf-8")) is expected
    if expected:  # and what it accepts, the domain decodes, in bounds
        value = domain.decode(json.loads(text), "proposal")
        assert list(domain.out_of_bounds(value, "proposal")) == []


def random_value(domain: Domain, rng: random.Random) -> Any:
    """A random JSON value of ``domain`` (strings from a small alphabet with multi-byte characters)."""
    if isinstance(domain, BoolDomain):
        return rng.random() < 0.5
    if isinstance(domain, IntDomain):
        lo = -10**6 if domain.lo is None else domain.lo
        return rng.randint(lo, 10**6 if domain.hi is None else domain.hi)
    if isinstance(domain, StrDomain):
        n = rng.randint(0, 6 if domain.max_len is None else domain.max_len)
        return "".join(rng.choice('ab "\\é日😀/\t') for _ in range(n))
    if isinstance(domain, EnumDomain):
        return rng.choice(list(domain.cls.__members__))
    if isinstance(domain, ListDomain):
        n = rng.randint(domain.min_len, domain.min_len + 3 if domain.max_len is None else domain.max_len)
        return [random_value(domain.elem, rng) for _ in range(n)]
    if isinstance(domain, TupleDomain):
        return [random_value(d, rng) for d in domain.items]
    assert isinstance(domain, RecordDomain)
    return {name: random_value(d, rng) for name, d in domain.fields}


@pytest.mark.parametrize("spec_", SPECS, ids=lambda s: s.name)
def test_every_value_of_the_domain_is_in_the_language(spec_: Any) -> None:
    grammar = Grammar.for_spec(spec_)
    rng = random.Random(7)
    for _ in range(30):
        value = random_value(spec_.proposal.domain, rng)
        for separators in ((",", ":"), (", ", ": ")):
            text = json.dumps(value, separators=separators, ensure_ascii=False)
            assert grammar.matches(text.encode("utf-8")), text


def shortest_completion(grammar: Grammar, state: State) -> bytes:
    """Follow, byte by byte, a byte that lowers min_remaining by one, until the value is complete."""
    out = b""
    while not grammar.accepting(state):
        need = grammar.min_remaining(state)
        for b in range(256):
            nxt = grammar.feed(state, b)
            if nxt is not None and grammar.min_remaining(nxt) == need - 1:
                state, out = nxt, out + bytes((b,))
                break
        else:
            raise AssertionError(f"no byte brings {out!r} closer to a complete value (min_remaining {need})")
    return out


@pytest.mark.parametrize("spec_", SPECS, ids=lambda s: s.name)
def test_from_every_state_the_shortest_completion_has_min_remaining_bytes(spec_: Any) -> None:
    """The budget guard's premise: min_remaining is exact and each of its bytes can be taken one at a time."""
    grammar = Grammar.for_spec(spec_)
    rng = random.Random(3)
    for _ in range(12):
        state, prefix = grammar.start(), b""
        for _ in range(rng.randint(0, 60)):
            options = [b for b in range(256) if grammar.feed(state, b) is not None]
            if not options:
                break
            b = rng.choice(options)
            state, prefix = grammar.feed(state, b), prefix + bytes((b,))  # type: ignore[assignment]
        tail = shortest_completion(grammar, state)
        assert len(tail) == grammar.min_remaining(grammar.feed_bytes(grammar.start(), prefix))  # type: ignore[arg-type]
        assert in_domain(spec_, (prefix + tail).decode("utf-8")), prefix + tail


def test_the_shortest_values_are_as_short_as_json_allows() -> None:
    assert Grammar.for_spec(chickens_and_rabbits).min_remaining(Grammar.for_spec(chickens_and_rabbits).start()) \
        == len('{"chickens":0,"rabbits":0}')
    g = Grammar.for_spec(sudoku_grid)
    assert g.min_remaining(g.start()) == len(json.dumps([[1] * 9] * 9, separators=(",", ":")))
    g = Grammar(IntDomain(-500, -120))
    assert g.min_remaining(g.start()) == len("-120")


# --- the transformers backend ------------------------------------------------------------------

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
tokenizers = pytest.importorskip("tokenizers")

from assay.bridges.models.hf import HFBackend, token_bytes  # noqa: E402  (only where torch is installed)

TRAINING_TEXT = ['{"chickens": 12, "rabbits": 3}', "[[1,2,3],[4,5,6],[7,8,9]]", "hello world é ü 日本語 😀",
                 '{"username": "bob", "password": "secret"}', "the answer is"]


def tiny_tokenizer() -> Any:
    """A byte-level BPE tokenizer of about 400 tokens (all 256 bytes among them), trained here."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=400, special_tokens=["<|endoftext|>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(TRAINING_TEXT * 3, trainer)
    return transformers.PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|endoftext|>")


def tiny_model(tokenizer: Any, seed: int = 0) -> Any:
    """A 2-layer GPT-2 with random weights over ``tokenizer``'s vocabulary."""
    torch.manual_seed(seed)
    eos = tokenizer.eos_token_id
    config = transformers.GPT2Config(vocab_size=len(tokenizer), n_positions=512, n_layer=2, n_head=2, n_embd=64,
                                     bos_token_id=eos, eos_token_id=eos)
    return transformers.GPT2LMHeadModel(config)


@pytest.fixture(scope="module")
def tiny() -> Any:
    """The backend over the tiny model, with torch on one thread (the test machines have two cores, shared)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    tokenizer = tiny_tokenizer()
    yield HFBackend(tiny_model(tokenizer), tokenizer=tokenizer, device="cpu")
    torch.set_num_threads(threads)


def ask(spec_: Any = None, **kw: Any) -> Prompt:
    return Prompt(messages=(Message("user", "Solve it. Answer in JSON."),), spec=spec_, **kw)


def test_token_bytes_of_a_byte_level_tokenizer_join_to_the_text() -> None:
    tokenizer = tiny_tokenizer()
    pieces = token_bytes(tokenizer)
    assert pieces[tokenizer.eos_token_id] is None
    assert {p for p in pieces if p is not None and len(p) == 1} == {bytes((b,)) for b in range(256)}
    for text in ["日本語 😀 and ü", '{"chickens": 12}', "\t\n"]:
        ids = tokenizer(text)["input_ids"]
        assert b"".join(pieces[i] or b"" for i in ids).decode("utf-8") == text
    # Some token is a fragment of a UTF-8 character, and that is why the grammar works on bytes.
    assert any(p is not None and not _is_utf8(p) for p in pieces)


def test_token_bytes_of_a_sentencepiece_tokenizer_read_spaces_and_byte_fallbacks() -> None:
    """Llama-2-style: ``▁`` for a space, ``<0xNN>`` for bytes with no token of their own."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers

    vocab = {"<unk>": 0, "<s>": 1, "</s>": 2} | {f"<0x{b:02X}>": 3 + b for b in range(256)}
    for piece in ["\u2581", "t", "h", "e", "1", "2", "\u2581t", "he", "\u2581the", "12"]:
        vocab[piece] = len(vocab)
    merges = [("\u2581", "t"), ("h", "e"), ("\u2581t", "he"), ("1", "2")]
    tok = Tokenizer(models.BPE(vocab=vocab, merges=merges, byte_fallback=True, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="first")
    tok.decoder = decoders.Sequence([decoders.Replace("\u2581", " "), decoders.ByteFallback(), decoders.Fuse(),
                                     decoders.Strip(" ", 1, 0)])
    tokenizer = transformers.PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="</s>",
                                                     unk_token="<unk>")
    pieces = token_bytes(tokenizer)
    ids = tokenizer("the 12 日本", add_special_tokens=False)["input_ids"]
    assert [pieces[i] for i in ids] == [b" the", b" ", b"12", b" ", *(bytes((b,)) for b in "日本".encode())]
    assert pieces[tokenizer.eos_token_id] is None and pieces[tokenizer.bos_token_id] is None


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


@pytest.mark.parametrize("spec_", SPECS, ids=lambda s: s.name)
def test_every_sampled_output_parses_and_lies_in_its_domain(tiny: HFBackend, spec_: Any) -> None:
    for seed in range(3):
        tiny.seed = seed
        c = tiny.complete(ask(spec_, temperature=1.0, max_tokens=400), timeout=120)
        assert in_domain(spec_, c.text), c.text
        assert c.estimated is False and c.completion_tokens >= 1
        assert c.prompt_tokens == len(tiny.encode_prompt(ask(spec_)))


def test_greedy_decoding_is_constrained_too(tiny: HFBackend) -> None:
    c = tiny.complete(ask(badges, temperature=0.0), timeout=120)
    assert in_domain(badges, c.text), c.text


@pytest.mark.parametrize("spec_", [chickens_and_rabbits, account_policy, n_queens, meeting_schedule],
                         ids=lambda s: s.name)
def test_a_tight_budget_still_ends_in_a_complete_value(tiny: HFBackend, spec_: Any) -> None:
    """With barely more tokens than the shortest value needs, the guard steers to a complete one."""
    grammar = Grammar.for_spec(spec_)
    budget = grammar.min_remaining(grammar.start()) + 2
    for seed in range(5):
        tiny.seed = seed
        c = tiny.complete(ask(spec_, temperature=1.5, max_tokens=budget), timeout=120)
        assert in_domain(spec_, c.text), c.text
        assert c.completion_tokens <= budget


def test_a_budget_below_the_shortest_value_is_refused(tiny: HFBackend) -> None:
    with pytest.raises(BackendError) as info:
        tiny.complete(ask(chickens_and_rabbits, max_tokens=10), timeout=120)
    assert info.value.kind == "crash"
    assert info.value.detail == "max_tokens=10 cannot hold any value of the proposal type (the shortest is 26 bytes)"


def test_without_a_spec_decoding_is_free(tiny: HFBackend) -> None:
    tiny.seed = 0
    c = tiny.complete(ask(None, temperature=1.0, max_tokens=12), timeout=120)
    assert c.completion_tokens <= 12 and c.text.strip()


def test_a_timeout_mid_generation_is_a_timeout_with_the_tokens_spent(tiny: HFBackend) -> None:
    with pytest.raises(BackendError) as info:
        tiny.complete(ask(sudoku_grid, temperature=1.0), timeout=0.001)
    e = info.value
    assert e.kind == "timeout" and e.prompt_tokens == len(tiny.encode_prompt(ask(sudoku_grid)))


def test_a_model_that_raises_is_a_crash_with_the_prompt_counted() -> None:
    tokenizer = tiny_tokenizer()
    model = tiny_model(tokenizer)

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("CUDA out of memory (simulated)")

    model.forward = broken
    with pytest.raises(BackendError) as info:
        HFBackend(model, tokenizer=tokenizer).complete(ask(chickens_and_rabbits), timeout=60)
    assert info.value.kind == "crash" and info.value.detail == "RuntimeError: CUDA out of memory (simulated)"
    assert info.value.prompt_tokens > 0


def test_the_chat_template_is_used_when_the_tokenizer_has_one() -> None:
    tokenizer = tiny_tokenizer()
    tokenizer.chat_template = "{% for m in messages %}<{{ m.role }}>{{ m.content }}{% endfor %}<assistant>"
    backend = HFBackend(tiny_model(tokenizer), tokenizer=tokenizer)
    ids = backend.encode_prompt(ask())
    assert tokenizer.decode(ids) == "<user>Solve it. Answer in JSON.<assistant>"
    tokenizer.chat_template = None
    assert tokenizer.decode(backend.encode_prompt(ask())) == "user: Solve it. Answer in JSON.\n\nassistant:"


def test_a_model_object_needs_its_tokenizer_and_a_known_device() -> None:
    with pytest.raises(ValueError, match=r"a model object needs its tokenizer: HFBackend\(model, tokenizer=...\)"):
        HFBackend(object())
    with pytest.raises(ValueError, match="device must be None, 'cpu', 'cuda' or 'auto', got 'tpu'"):
        HFBackend(object(), device="tpu")


@pytest.mark.parametrize("prefix", [b'{"username": "', b'{"username": "ab\\\\', "{\"username\": \"日本".encode()[:-1],
                                    b'{"username": "' + b"x" * 30, b'{"username": "' + b"x" * 32,
                                    b'{"username": "a", "password": "p', b"{", b'{"username": "a"'])
def test_the_mask_allows_exactly_the_tokens_that_stay_in_the_language(prefix: bytes) -> None:
    """The trie walk and the whole-vocabulary shortcut inside strings against feeding every token one by one."""
    from assay.bridges.models.hf import Vocabulary, _Masker

    tokenizer = tiny_tokenizer()
    masker = _Masker(Grammar.for_spec(account_policy), Vocabulary.of(tokenizer, [tokenizer.eos_token_id]))
    g = masker.grammar
    state = g.feed_bytes(g.start(), prefix)
    assert state is not None
    expected = {}
    for i, piece in enumerate(masker.vocab.pieces):
        after = g.feed_bytes(state, piece) if piece is not None and i != tokenizer.eos_token_id else None
        if after is not None:
            expected[i] = g.min_remaining(after)
    ids, due = masker.successors(state)
    assert dict(zip(ids.tolist(), due.tolist(), strict=True)) == expected
    assert len(ids) == len(set(ids.tolist()))


@pytest.mark.parametrize("device", ["cpu", "auto"])
def test_a_model_loads_from_a_local_path(tmp_path: Any, device: str) -> None:
    """The path a user takes: save_pretrained's folder (or a hub id), placed by accelerate when "auto"."""
    pytest.importorskip("accelerate")
    tokenizer = tiny_tokenizer()
    tiny_model(tokenizer).save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)
    backend = HFBackend(str(tmp_path), device=device, seed=0)
    assert backend.name == f"hf:{tmp_path}" and backend.device.type == "cpu"
    c = backend.complete(ask(chickens_and_rabbits, temperature=1.0), timeout=120)
    assert in_domain(chickens_and_rabbits, c.text), c.text
