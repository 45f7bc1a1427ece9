"""Noun phrases for prompt templates: "a photo of {}" needs "a car", "an apple",
"the red car" or "apples", never "a the red car" or "a an apple".

CLIP and OWL were trained on captions, and their published prompt recipes put an
article before a singular class name (open_clip's zero-shot templates,
"a photo of a {c}."; OWLv2's card, "a photo of a cat"). A name a user or program writes
may already hold a determiner ("the red car", "an apple", "two dogs") or be plural
("apples"); :func:`noun_phrase` adds an article only where English needs one.
"""

from __future__ import annotations

import re

__all__ = ["noun_phrase", "with_template"]

#: Words that already determine a noun phrase: no article goes before them.
DETERMINERS = frozenset(
    "a an the this that these those my your his her its our their some any no every each either neither "
    "another other several many few much more most all both one two three four five six seven eight nine ten".split()
)
#: Vowel-letter words said with a consonant sound ("a unicorn", "a one-way sign", "a European car").
_CONSONANT_SOUND = re.compile(r"^(uni|use|usu|uti|ure|eu|ewe|one|once|ubiq|uk|ufo)", re.IGNORECASE)
#: Consonant-letter words said with a vowel sound ("an hour", "an honest man").
_VOWEL_SOUND = re.compile(r"^(hour|honest|honou?r|heir)", re.IGNORECASE)
#: Plural endings: "cars", "boxes", "berries" (not "glass", "bus", "iris", "grass").
_PLURAL = re.compile(r"[^su]s$|[^aeiou]ies$|(ch|sh|x|z)es$", re.IGNORECASE)
_PLURAL_WORDS = frozenset("people men women children teeth feet mice geese sheep deer fish police cattle".split())


def _article(word: str) -> str:
    if _VOWEL_SOUND.match(word):
        return "an"
    if _CONSONANT_SOUND.match(word):
        return "a"
    return "an" if word[:1].lower() in "aeiou" else "a"


def noun_phrase(name: str) -> str:
    """``name`` with an indefinite article when English needs one.

    Kept as written: a name that starts with a determiner or number ("the red car",
    "an apple", "two dogs", "3 cups") or ends in a plural ("apples", "people") or is
    upper-case VisProg special text. Otherwise "a"/"an" by the first word's sound
    ("a car", "an apple", "an hour", "a unicorn").
    """
    text = " ".join(name.split())
    if not text:
        return text
    words = text.split(" ")
    first = words[0].lower()
    last = words[-1].lower()
    if first in DETERMINERS or first[:1].isdigit() or last in _PLURAL_WORDS or _PLURAL.search(last):
        return text
    return f"{_article(first)} {text}"


def with_template(template: str, name: str) -> str:
    """``template`` (with one ``{}``, where the noun phrase goes) filled with
    :func:`noun_phrase` of ``name``: ``with_template("a photo of {}.", "apple")`` is
    ``"a photo of an apple."``."""
    return template.replace("{}", noun_phrase(name), 1)
