"""The pure pieces of the corpus builders (examples/chorales.py, english.py, rst_prose.py, lm.py)."""
from __future__ import annotations

import math

import numpy as np
import pytest

from lstmvis_dash.examples import lm
from lstmvis_dash.examples.chorales import phrase_positions
from lstmvis_dash.examples.english import chunk_type
from lstmvis_dash.examples.rst_prose import paragraphs

RST = """\
.. _tut-if:

:keyword:`!if` Statements
=========================

Perhaps the most well-known statement type is the :keyword:`if` statement.  For
example::

   >>> x = int(input("Please enter an integer: "))
   >>> if x < 0:
   ...     x = 0

There can be zero or more ``elif`` parts, and the *else* part is optional, see
:func:`~os.path.join` and `the FAQ <https://example.org/faq>`_ for more.

.. code-block:: python

   def f(a, b):
       return a + b

.. note::

   The body of a note is prose as well, and it is kept in the text.

+-------+-------+
| a     | b     |
+-------+-------+

.. This is a comment, not a paragraph of the document at all
   and it goes on here.
"""


def test_rst_prose_keeps_running_text_only():
    assert paragraphs(RST) == [
        "Perhaps the most well-known statement type is the if statement. For example:",
        "There can be zero or more elif parts, and the else part is optional, see join and the FAQ for more.",
        "The body of a note is prose as well, and it is kept in the text.",
    ]


def test_phrase_positions_restart_after_each_phrase_end():
    ends = [False, False, True, False, True, True, False]
    assert phrase_positions(ends) == [0, 1, 2, 0, 1, 0, 0]


def test_chunk_type():
    assert [chunk_type(t) for t in ["B-NP", "I-NP", "B-VP", "O", "I-ADJP"]] == ["NP", "NP", "VP", "O", "ADJP"]


def test_simple_numeral_names_function_and_inversion():
    pytest.importorskip("music21")
    from music21 import chord, key
    c = key.Key("C")
    from lstmvis_dash.examples.chorales import simple_numeral
    assert simple_numeral(chord.Chord(["C4", "E4", "G4"]), c) == "I"
    assert simple_numeral(chord.Chord(["E3", "G4", "C5"]), c) == "I6"
    assert simple_numeral(chord.Chord(["G3", "B3", "D4", "F4"]), c) == "V7"
    assert simple_numeral(chord.Chord(["B2", "D4", "F4", "G4"]), c) == "V65"
    assert simple_numeral(chord.Chord(["A3", "C4", "E4"]), key.Key("a")) == "i"
    assert simple_numeral(chord.Chord(["B3", "D4", "F4"]), c) == "viio"


def test_ngram_baselines_against_a_direct_count():
    rng = np.random.default_rng(0)
    V = 5
    train_ids = rng.integers(0, V, 400)
    eval_ids = rng.integers(0, V, 50)
    uni, big = lm.ngram_baselines(train_ids, eval_ids, V)
    cu = np.bincount(train_ids, minlength=V)
    want_u = -np.mean([math.log((cu[w] + 1) / (len(train_ids) + V)) for w in eval_ids[1:]])
    pair = lambda v, w: sum(1 for a, b in zip(train_ids[:-1], train_ids[1:]) if a == v and b == w)
    want_b = -np.mean([math.log((pair(v, w) + 1) / (sum(pair(v, x) for x in range(V)) + V))
                       for v, w in zip(eval_ids[:-1], eval_ids[1:])])
    assert uni == pytest.approx(want_u) and big == pytest.approx(want_b)
    # interpolated: weight 0 is the unigram; an unseen history falls back to the unigram
    assert lm.ngram_baselines(train_ids, eval_ids, V, 0.0)[1] == pytest.approx(uni)
    _, b = lm.ngram_baselines(np.array([0, 1, 0, 1]), np.array([2, 1]), 3, 0.9)
    assert b == pytest.approx(-math.log(3 / 7))         # history 2 never seen: add-one P(1) = 3 / 7


def test_split_by_name_is_a_stable_tenth_each():
    names = [f"doc{k}" for k in range(2000)]
    train, dev, test = lm.split_by_name(names, str)
    assert sorted(train + dev + test) == sorted(names)
    assert 150 < len(dev) < 250 and 150 < len(test) < 250
    assert lm.split_by_name(names[::-1], str)[2] == test[::-1]


def test_vocabulary_keeps_specials_first():
    vocab, index = lm.vocabulary(["b", "a", "b", "c", "b", "a"], 2, ["<s>", "<unk>"])
    assert vocab == ["<s>", "<unk>", "a", "b"] and index["b"] == 3
