"""Hypothesis strategies built from the name grammar itself (translator/names.py).

A grammar's facts (first characters, following characters, longest stem, optional suffix) are
all a strategy needs, so the generated names follow any change to the grammar. The stem's length
is drawn so that the extremes (one character, the maximum) come up often.
"""

from __future__ import annotations

from hypothesis import strategies as st

from translator.names import NameGrammar


def names(grammar: NameGrammar) -> st.SearchStrategy[str]:
    rest_length = st.one_of(
        st.just(0), st.just(grammar.max_length - 1), st.integers(0, grammar.max_length - 1)
    )
    stem = st.builds(
        lambda first, rest: first + rest,
        st.sampled_from(grammar.first),
        rest_length.flatmap(lambda n: st.text(alphabet=grammar.rest, min_size=n, max_size=n)),
    )
    if not grammar.suffix:
        return stem
    suffix = st.one_of(st.just(""), st.from_regex(grammar.suffix, fullmatch=True))
    return st.builds(lambda s, x: s + x, stem, suffix)


def not_names(grammar: NameGrammar) -> st.SearchStrategy[str]:
    """Text that is not a name of the grammar: anything, minus what happens to fit it."""
    return st.text(max_size=grammar.longest + 2).filter(lambda text: not grammar.is_valid(text))
