"""Adapting a library entry to a request: re-binding its slots from the request's words.

A library program is written with concrete slot values (``'LEFT'``, ``'EXIT'``,
``> 1``, ``'smiley'``, ``'dog'``); adapting it puts in the request's own: the sides it
names, the word it asks about, the comparison it states, the emoji it mentions, the
object it names. When the request does not offer a value a slot needs (no side for a
per-half entry, no word for a word-search entry), the entry does not fit and the
planner tries the next one. Question words, fillers and verbs never become objects or
words to find.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Container, Iterable, Sequence
from typing import Any

import numpy as np

from visprog.planner.request import (
    _META,
    _NUMBER_WORDS,
    _QUOTED,
    _STOP,
    _TEXT_WORDS,
    _VERBS,
    _WORD,
    LEARNERS_COUNT,
    _singular,
    analyse,
    answer_kind,
    asking_clauses,
    catalogue_mentions,
    question_start,
    without_mentions,
    without_side_talk,
)

__all__ = [
    "adapt", "agreement", "asks_alternative", "asks_colour", "asks_kind_of_people", "asks_open", "comparison", "items", "line_index", "object_phrase", "other_things", "people_mentioned",
    "price_comparison", "price_direction", "sides", "unexplained", "word_to_find",
]

#: Words that never name a thing to detect or a word to find: question words, fillers,
#: participles and adverbs that requests are full of.
FILLERS = frozenset(
    """what whats what's which who whom whose where when why how there here anywhere somewhere everywhere
    shown show showing displayed display visible seen see seeing pictured present appear appears appearing
    looking look looks standing sitting written write writing say says saying said read reads reading
    tell kindly please thanks thank photo photograph picture pic image images pictures photos shot frame
    scene view lens side sides half halves part left right top bottom upper lower middle centre center
    number amount total count counting word words text letters sign signs tag tags label labels price cost
    costs thing things something anything stuff kind type exactly least most more less fewer many much
    yes no true false okay ok really actually currently also too either neither both each every whole
    turn swap change replace make keep cover hide blur put draw mark crop zoom cut colour color pop highlight
    censor anonymize anonymise mask remove erase paint pixelate find spot detect locate identify out aloud loud""".split()
)
_PEOPLE = frozenset(
    """face faces person persons people anyone anybody someone somebody everyone everybody nobody man men woman women
    child children kid kids boy boys girl girls head heads human humans individual individuals adult adults headcount
    guy guys lady ladies gentleman gentlemen""".split()
)
#: Kinds of people: a face or person detector finds them but cannot tell them apart, so
#: a count or a yes/no about them ("How many kids?", "Is it a man or a woman?") is not a
#: count of faces; an edit of "the guy" is an edit of the person.
_PEOPLE_KINDS = frozenset(
    """man men woman women child children kid kids boy boys girl girls adult adults baby babies guy guys lady ladies
    gentleman gentlemen teenager teenagers teen teens toddler toddlers male males female females elderly
    photographer photographers astronaut astronauts player players worker workers doctor doctors nurse nurses chef chefs
    bride groom student students teacher teachers singer singers soldier soldiers officer officers guest guests""".split()
)
#: Qualities no offline tool measures: never where text is, never a kind of text asked for.
_QUALITIES = frozenset(
    """colour color colours colors coloured colored red green blue yellow black white orange purple pink brown grey gray
    gold silver dark light bright font fonts typeface size big small large tiny huge tall short long wide height width
    shape round square material made wooden metal plastic language old new age handwritten bold italic neon
    faded clean dirty broken""".split()
)
#: Words about text and what holds it: never a thing a detector must find.
_TEXT_THINGS = frozenset(
    """text texts writing word words letter letters sign signs poster posters label labels board tag tags price prices
    number numbers note card banner page caption title""".split()
)
#: Words after which a request about people names a thing they have ("wearing hats").
_ATTRIBUTE = frozenset({"wearing", "holding", "carrying", "with", "riding", "eating", "drinking", "playing", "using", "has", "have", "having"})
_SIDE_WORDS = {"left": "LEFT", "right": "RIGHT", "top": "TOP", "bottom": "BOTTOM", "upper": "TOP", "lower": "BOTTOM",
               "first": "LEFT", "second": "RIGHT", "leftmost": "LEFT", "rightmost": "RIGHT", "topmost": "TOP", "bottommost": "BOTTOM"}
#: Words after which a request names the word it asks about ("the word EXIT", "say open").
_WORD_MARKERS = frozenset({"word", "words", "say", "says", "saying", "read", "reads", "spell", "spells", "mention", "mentions", "text"})
_OPERATORS = {">", ">=", "<", "<=", "=="}
_INPUT_COUNTS = re.compile(
    r"\b(?:two|2|both)\s+(?:of the\s+)?(?:pictures?|images?|photos?|photographs?|halves|sides|panels?)\b", re.IGNORECASE
)
_EMOJI_CLAUSE = re.compile(
    r"\b(?:with|using|by|into|for)\b[^.,;!?]*?\b(?:emojis?|emoticons?|smileys?|stickers?|icons?)\b", re.IGNORECASE
)
_MORE = re.compile(r"\b(?:more|greater|larger|bigger|busier|most)\b", re.IGNORECASE)
_FEWER = re.compile(r"\b(?:fewer|less|smaller|lower|least)\b", re.IGNORECASE)
_SAME = re.compile(r"\b(?:same|equal|equally|as many)\b", re.IGNORECASE)
_HALVES = re.compile(r"\b(?:half|halves|side|sides)\b", re.IGNORECASE)
_BOTH_HALVES = re.compile(r"\b(?:both|each|two) (?:halves|sides)\b|\bhalves\b", re.IGNORECASE)


#: Words about prices, money and buying: never an item's name.
_PRICE_WORDS = frozenset(
    """price prices priced cost costs costing cheap cheaper cheapest expensive pricier priciest pricey dear dearer
    costlier money pay paid dollar dollars euro euros pound pounds buck bucks cent cents usd eur gbp together total
    sum add added plus worth sale sells sell selling sold buy buying bought item items product products one ones
    each per apiece value amount charge charged spend menu list shop store number numbers digit digits figure
    next beside besides near nearby after before close closest right left written hi hello hey
    higher lower greater bigger larger smaller exceed exceeds exceeding whats want wants wanted asking ask asks damage
    up everything anything altogether overall highest lowest biggest smallest largest maximum minimum max min whole entire
    cheapest priciest dearest expensive dish dishes option options food foods drink drinks meal meals article articles
    order ordered ordering get getting""".split()
)
_ITEM_TOKEN = re.compile(r"[A-Za-z][A-Za-z'-]*|[$\u20ac\u00a3]?\d+(?:[.,]\d+)?[$\u20ac\u00a3]?|[,:;?!()/&+]")
_CONNECTORS = frozenset({"or", "and", "vs", "versus", "than", "compared", "with"})
_PLACE_PREPOSITIONS = frozenset({"on", "in", "from", "at"})
_PRICE_HOLDERS = frozenset(
    "receipt receipts bill bills menu menus tag tags label labels sign signs board boards shelf shelves slip till display".split()
)


def _from_question_starts(text: str) -> str:
    """``text`` with each clause (between punctuation) from where its question starts:
    without lead-ins ("my mum wants to know how much ..." -> "how much ...")."""
    return "".join(question_start(part) if k % 2 == 0 else part for k, part in enumerate(re.split(r"([,;:?!]+)", text)))


def items(request: str) -> list[str]:
    """The things a request about prices names, as programs match them (see
    :func:`item_names`)."""
    return [found for found, _ in item_names(request)]


def item_names(request: str) -> list[tuple[str, str]]:
    """The things a request about prices names, in order, upper case, last word
    singular ("Which is cheaper, the apple or the bread?" -> ``['APPLE', 'BREAD']``;
    "how much for a cheese pizza" -> ``['CHEESE PIZZA']``): runs of words that are not
    question words, fillers, verbs, numbers or words about prices, split at "or",
    "and", "vs", "than" and punctuation; at most three words a run. Each comes with the
    words as the request wrote them, lower case ("the nails" -> ``('NAIL', 'nails')``),
    which an answer that names the item uses."""
    runs: list[list[str]] = [[]]
    place = False  # after "on", "in", "from", "at": where the price is written ("the map on this receipt")
    holder = False  # the next word after such a place word
    # "..., i cant make out the tag": no item; "my mum wants to know how much ...": MUM is no item
    for token in _ITEM_TOKEN.findall(_from_question_starts(without_side_talk(request))):
        word = token.lower().strip("'-")
        if word.endswith("'s"):
            word = word[:-2]
        if word in _PLACE_PREPOSITIONS:
            place = any(runs)  # after an item named; "the price on the sandwich" names the item after "on"
            holder = True
        elif word in _CONNECTORS or not word[:1].isalpha():
            place = holder = False
        elif holder and word not in _STOP:
            holder = False
            if word in _PRICE_HOLDERS:  # "every price on this receipt": the receipt holds prices
                if runs[-1]:
                    runs.append([])
                continue
        if place:
            if runs[-1]:
                runs.append([])
            continue
        if (not word or not word[0].isalpha() or word in _CONNECTORS or word in _STOP or word in FILLERS or word in _VERBS
                or word in _PRICE_WORDS or word in _NUMBER_WORDS or word in _PEOPLE or word in _IMAGE_WORDS):
            if runs[-1]:
                runs.append([])
            continue
        runs[-1].append(word)
    out: list[tuple[str, str]] = []
    for run in runs:
        if not run:
            continue
        run = run[-3:]
        last = _singular(run[-1]) or run[-1]
        if not run[-1].startswith(last):
            last = run[-1]  # "fries" is found as FRIES (programs match the start of a word), never "fry"
        phrase = re.sub(r"[^A-Z0-9 &-]", "", " ".join([*run[:-1], last]).upper()).strip()
        shown = re.sub(r"[^a-z0-9 &-]", "", " ".join(run)).strip()
        if phrase and phrase not in [found for found, _ in out]:
            out.append((phrase, shown))
    return out


_AMOUNT = r"(?:[$\u20ac\u00a3]\s?)?(\d+(?:[.,]\d{1,2})?)"
_PRICE_OPERATORS = (
    (">=", r"at least|no less than|not less than|a minimum of|minimum of"),
    ("<=", r"at most|no more than|not more than|up to|a maximum of|maximum of|with only|with just|with"),
    (">", r"more than|over|above|greater than|higher than|bigger than|larger than|exceeds?|exceeding|more expensive than|pricier than|costlier than|dearer than|upwards of"),
    ("<", r"less than|under|below|cheaper than|lower than|less expensive than|smaller than|beneath"),
    ("==", r"exactly|equal to|precisely|just"),
)


def price_comparison(request: str) -> tuple[str, int | float] | None:
    """The comparison a request states with an amount of money ("Is the apple more than
    $5?" -> ``(">", 5)``; "under 2.50 euros" -> ``("<", 2.5)``; "does it cost $3?" ->
    ``("==", 3)``), or None."""
    lowered = re.sub(r"\b(?:a|one) (dollar|euro|pound|buck)\b", r"1 \1", request.lower())
    for operator, words in _PRICE_OPERATORS:
        match = re.search(rf"\b(?:{words})\s+(?:of\s+|than\s+)?{_AMOUNT}", lowered)
        if match:
            return operator, _amount(match.group(1))
    bare = re.search(r"[$\u20ac\u00a3]\s?(\d+(?:[.,]\d{1,2})?)|\b(\d+(?:[.,]\d{1,2})?)\s*(?:dollars?|euros?|pounds?|bucks|[$\u20ac\u00a3])", lowered)
    if bare:
        return "==", _amount(bare.group(1) or bare.group(2))
    return None


def _amount(text: str) -> int | float:
    value = float(text.replace(",", "."))
    return int(value) if value.is_integer() else value


_SUPERLATIVE_PRICE = re.compile(
    r"\b(?:cheapest|priciest|dearest|most expensive|least expensive|most affordable|highest|lowest|costs? (?:the )?(?:most|least))\b",
    re.IGNORECASE,
)


def asks_which_item(request: str) -> bool:
    """Does a request about prices ask which item (a name: "Which thing costs the
    most?") rather than an amount ("What is the highest price?", "How much is the
    cheapest?")?"""
    if re.search(r"\b(?:price|prices|amount|how much|number|figure)\b", request, re.IGNORECASE):
        return False
    return bool(re.search(r"\b(?:which|what|name)\b|\b(?:item|thing|product|dish|option|one)\b", request, re.IGNORECASE))


#: Words that say an edit is of everything but the things found ("blur the background").
_REST = re.compile(
    r"\b(?:background|backdrop|behind|rest|except|but|other than|everything|surroundings|around|sharp|bokeh|portrait)\b",
    re.IGNORECASE,
)
_PRICE_TALK = re.compile(r"\b(?:price|prices|cost|costs|cheap\w*|expensive|dollars?|euros?)\b", re.IGNORECASE)
_CHEAPER = re.compile(
    r"\b(?:cheaper|cheapest|less expensive|least expensive|costs? less|lower price|lowest price|less money|lower priced|more affordable|most affordable|"
    r"more cheap|most cheap|less pricey|less costly)\b",
    re.IGNORECASE,
)
_PRICIER = re.compile(
    r"\b(?:pricier|priciest|more expensive|most expensive|costs? more|higher price|highest price|more money|dearer|costlier|higher priced|"
    r"more pricey|more costly|most costly|less cheap)\b",
    re.IGNORECASE,
)


def price_direction(request: str) -> str | None:
    """Which way a request about two prices compares them: ``cheaper``, ``pricier``, or None."""
    cheaper, pricier = _CHEAPER.search(request), _PRICIER.search(request)
    if cheaper and not pricier:
        return "cheaper"
    if pricier and not cheaper:
        return "pricier"
    return None


def sides(request: str) -> list[str]:
    """The image halves a request names, in order of mention (``LEFT``, ``TOP``...)."""
    out: list[str] = []
    for word in (w.lower() for w in _WORD.findall(request)):
        side = _SIDE_WORDS.get(word.removesuffix("-hand"))
        if word in ("first", "second"):
            continue  # only for two-image requests (handled by the entry's inputs)
        if side and side not in out:
            out.append(side)
    return out


_IMAGE_WORDS = {"left": "LEFT", "right": "RIGHT", "first": "LEFT", "second": "RIGHT", "former": "LEFT", "latter": "RIGHT",
                "1st": "LEFT", "2nd": "RIGHT", "top": "LEFT", "bottom": "RIGHT"}
_ALTERNATIVE = re.compile(
    r"\b(left|right|top|bottom|upper|lower)\b[^.?!]*?\bor\b[^.?!]*?\b(left|right|top|bottom|upper|lower)\b", re.IGNORECASE
)


_NEGATION = re.compile(
    r"\b(?:no|nobody|none|not|empty|without|free of|nothing|isn't|aren't|doesn't|don't|no one|noone|missing|absent|lacks?|neither)\b",
    re.IGNORECASE,
)


def negated(request: str) -> bool:
    """Does a yes/no request ask about absence ("Is nobody there?", "Is the word
    missing?") rather than presence? ("... or not?" does not count.)"""
    plain = re.sub(r"\bor not\b", " ", request, flags=re.IGNORECASE)
    plain = re.sub(r"\b(?:say|says|saying|read|reads|spell|spells|word|words)\s+['\"]?(?:no|not|none)\b", " ", plain, flags=re.IGNORECASE)
    return bool(_NEGATION.search(plain))


def image_order(request: str) -> list[str]:
    """The images of a pair a request names, in order of mention: ``LEFT`` for "left",
    "first", "former"; ``RIGHT`` for "right", "second", "latter"."""
    out: list[str] = []
    for word in (w.lower() for w in _WORD.findall(request)):
        side = _IMAGE_WORDS.get(word.removesuffix("-hand"))
        if side and side not in out:
            out.append(side)
    return out


def asks_which_side(request: str) -> bool:
    """Does the request offer sides as alternatives ("left or right", "on the right or
    the left?"): it asks which one, not yes or no."""
    return bool(_ALTERNATIVE.search(request)) or bool(re.search(r"\b(?:which|what) (?:side|half|part)\b|\bwhere\b", request, re.IGNORECASE))


def word_to_find(request: str) -> str | None:
    """The word a request asks to find in text: a quoted word, a word in capitals, or
    the word after "the word"/"say"/"read"; upper case. None when there is none."""
    facts = analyse(request)
    if facts.quoted:
        return facts.quoted[0].upper()
    tokens: list[str] = _WORD.findall(request)
    shouting = sum(1 for t in tokens if t.isupper()) * 2 > len(tokens)  # a request typed in capitals
    for k, token in enumerate(tokens[1:], start=1):
        if len(token) >= 2 and token.isupper() and token.isalpha():
            run = [token]  # "does either sign say KEEP CLEAR": the words in capitals, together
            for following in tokens[k + 1:k + 4]:
                if shouting or not (following.isupper() and following.isalpha()):
                    break
                run.append(following)
            return " ".join(run)
    lowered = [t.lower() for t in tokens]
    before = re.search(r"\b(?:a|an|the|any)\s+([a-z]+)\s+(?:mentioned|written|printed)\b", request, re.IGNORECASE)
    if before and before.group(1).lower() not in _STOP | FILLERS | _PEOPLE:  # "is there a detour mentioned anywhere"
        return before.group(1).upper()
    for k, word in enumerate(lowered[:-1]):
        if word in _WORD_MARKERS:
            for following in lowered[k + 1:k + 5]:  # "does it say anything about a password"
                if following in _STOP or following in FILLERS or following in _VERBS or following in _PEOPLE or following == "about":
                    continue
                return str(following).upper()
    return None


_ORDINALS = {
    "first": 0, "1st": 0, "top": 0, "topmost": 0, "upper": 0, "uppermost": 0, "opening": 0, "one": 0, "1": 0,
    "second": 1, "2nd": 1, "two": 1, "2": 1, "third": 2, "3rd": 2, "three": 2, "3": 2, "fourth": 3, "4th": 3,
    "four": 3, "4": 3, "fifth": 4, "5th": 4, "five": 4, "5": 4,
    "last": -1, "bottom": -1, "bottommost": -1, "final": -1, "lowest": -1, "lower": -1,
}
_LINE = r"(?:line|row)"


def line_index(request: str) -> int | None:
    """Which line of text a request asks about, counted from 0 at the top (-1: the last,
    -2: the one before it): "the second line" -> 1, "line 3" -> 2, "the bottom row" -> -1,
    "the second to last line" -> -2. None when it names no line."""
    lowered = request.lower()
    if re.search(rf"\b(?:second|2nd) (?:to|from) (?:the )?(?:last|bottom) {_LINE}|\bpenultimate {_LINE}", lowered):
        return -2
    before = re.search(rf"\b([a-z0-9]+)(?: (?:text|written|printed))? {_LINE}\b", lowered)
    if before and before.group(1) in _ORDINALS and not before.group(1).isdigit() and before.group(1) not in ("one", "two", "three", "four", "five"):
        return _ORDINALS[before.group(1)]
    after = re.search(rf"\b{_LINE} (?:number |no\.? |#)?([a-z0-9]+)\b", lowered)
    if after and after.group(1) in _ORDINALS and (after.group(1).isdigit() or after.group(1) in ("one", "two", "three", "four", "five")):
        return _ORDINALS[after.group(1)]
    at_bottom = re.search(rf"\b{_LINE} at the (?:very )?(top|bottom)\b", lowered)
    if at_bottom:
        return _ORDINALS[at_bottom.group(1)]
    return None


def comparison(request: str) -> tuple[str, int] | None:
    """The comparison a request states ("more than two" -> ``(">", 2)``; a bare number
    -> ``("==", n)``), or None."""
    facts = analyse(request)
    if facts.comparisons:
        return facts.comparisons[0]
    lowered = request.lower()
    cheaper = re.search(r"\b(?:cheaper|less|lower) than \$?(\d+)", lowered)
    if cheaper:
        return ("<", int(cheaper.group(1)))
    # A bare number is a count to compare with, unless it counts the pictures or halves
    # themselves ("the two pictures", "both 2 halves") or "one" stands for a thing ("the
    # second one").
    lowered = _INPUT_COUNTS.sub(" ", lowered)
    lowered = re.sub(r"\b(?:first|second|third|last|other|this|that|each|every|which|the|any|no|left|right|top|bottom) one\b", " ", lowered)
    numbers = [n for n in analyse(lowered).numbers if isinstance(n, int)]
    if numbers:
        return ("==", numbers[0])
    return None


def direction(request: str) -> str | None:
    """The comparison a request makes between two counts: ``more``, ``fewer``,
    ``same``, or None (a comparison with a stated number is :func:`comparison`'s)."""
    if comparison(request) is not None and not re.search(r"\bthan (?:on|in|at|the)\b", request, re.IGNORECASE):
        return None
    if _SAME.search(request):
        return "same"
    if _FEWER.search(request):
        return "fewer"
    if _MORE.search(request):
        return "more"
    return None


def quantifier(request: str) -> str | None:
    """The quantifier a request uses over images or halves: ``both``, ``either``
    (at least one), ``neither`` (none), ``one`` (exactly one), or None."""
    lowered = request.lower()
    if re.search(r"\b(?:only|exactly|just) one\b", lowered):
        return "one"
    if re.search(r"\b(?:neither|none of|no face in either|without)\b", lowered):
        return "neither"
    if re.search(r"\b(?:either|at least one of|one of the|any of)\b", lowered):
        return "either"
    if re.search(r"\b(?:both|each|all)\b", lowered):
        return "both"
    return None


def object_phrase(request: str) -> str | None:
    """What a request asks a detector to find, singular ("How many dogs are there?" ->
    ``dog``): its first phrase with no question word, filler, verb or number in it,
    preferring things over people. None when it names nothing."""
    facts = analyse(request)
    candidates = []
    for phrase in facts.phrases:
        words = phrase.split()
        if len(words) > 2 or any(w in FILLERS or w in _STOP or w in _VERBS or w in _NUMBER_WORDS or w.endswith("ing")
                                 or w in _NOT_A_THING or w in _HOW_EDITED for w in words):  # "the background blurry"
            continue
        candidates.append(phrase)
    if not candidates:
        return None
    things = [c for c in candidates if not any(w in _PEOPLE for w in c.split())] or candidates
    first = things[0].split()[0]
    chosen = max((c for c in things if c.split()[0] == first), key=lambda c: len(c.split()))
    last = chosen.split()[-1]
    single = _singular(last)
    return " ".join([*chosen.split()[:-1], single]) if single else chosen


def people_mentioned(request: str) -> bool:
    """Does the request speak of people or faces?"""
    return any(w.lower() in _PEOPLE for w in _WORD.findall(request))


def other_things(request: str) -> list[str]:
    """Things a request names that a face detector cannot find: with people named,
    what they wear, hold or carry ("How many people are wearing hats?" -> ``hats``);
    without, any thing it names that is not text or a filler ("Is there a cat?")."""
    request = _EMOJI_CLAUSE.sub(" ", request)  # "with a winking face emoji" names the emoji, not a thing
    words = [w.lower() for w in _WORD.findall(request)]
    found: list[str] = []
    if people_mentioned(request):
        for k, word in enumerate(words[:-1]):
            if word in _ATTRIBUTE:
                for following in words[k + 1:k + 3]:
                    if following in _STOP or following in FILLERS or following in _NUMBER_WORDS:
                        continue
                    if following not in _PEOPLE and following not in _TEXT_THINGS and following not in _VERBS and not following.endswith("ing"):
                        found.append(following)
                    break
        return found
    thing = object_phrase(request)
    if thing is not None and not any(w in _TEXT_THINGS or w in _PEOPLE for w in thing.split()):
        found.append(thing)
    return found


def agreement(request: str, entry: Any) -> float:
    """Bonus (or malus) to an entry's similarity from the request's form: the same kind
    of answer, sides named when the entry re-binds sides (and not otherwise), a word to
    find when the entry searches for one, a comparison when the entry states one."""
    bonus = 0.0
    kind = answer_kind(request)
    entry_kind = answer_kind(entry.requests[0])
    if kind is not None and entry_kind is not None:
        bonus += 0.06 if kind == entry_kind else -0.15
    wanted = quantifier(request)
    offered = quantifier(entry.requests[0])
    if wanted is not None and offered is not None and len(entry.inputs) > 1:
        bonus += 0.04 if wanted == offered else -0.1
    wanted_direction = direction(request)
    offered_direction = direction(entry.requests[0])
    if wanted_direction is not None and offered_direction is not None:
        bonus += 0.04 if wanted_direction == offered_direction else -0.15
    if kind in (None, "yesno") and entry_kind == "yesno" and "'yes'" in entry.program:
        bonus += 0.03 if negated(request) == negated(entry.requests[0]) else -0.12
    wanted_price = price_direction(request)
    offered_price = price_direction(entry.requests[0])
    if wanted_price is not None and offered_price is not None:
        bonus += 0.05 if wanted_price == offered_price else -0.2
    slots = entry.slots
    if not ("item" in slots or "items" in slots or "word" in slots) and _PRICE_TALK.search(" ".join(entry.requests[:3])) and items(request):
        bonus -= 0.1  # "Price of the blue shirt?": the price of a named item, not any number
    if "item" in slots:
        found = len(items(request))
        bonus += 0.05 if found == 1 else -0.1 if found > 1 else -0.2
    if sides(request) and sides(entry.requests[0]) and len(entry.inputs) == 1:
        bonus += 0.04 if asks_which_side(request) == asks_which_side(entry.requests[0]) else -0.15
    if len(entry.inputs) > 1:
        wanted_order, offered_order = image_order(request), image_order(entry.requests[0])
        if len(wanted_order) == 1 and "side" not in slots and "sides" not in slots and not offered_order:
            bonus -= 0.1  # "Is there a face in the right image?": about one image, not the pair
        if wanted_order and offered_order and "side" not in slots:
            bonus += 0.05 if wanted_order[0] == offered_order[0] else -0.2
        ordinal = bool(re.search(r"\b(?:first|second|1st|2nd|former|latter)\b", request, re.IGNORECASE))
        answers_ordinal = "'first'" in entry.program
        if answers_ordinal or "'left'" in entry.program:  # it answers which image: in the request's words
            bonus += 0.05 if ordinal == answers_ordinal else -0.1
    if "items" in slots:
        bonus += 0.08 if len(items(request)) >= 2 else -0.25
    if "price" in slots:
        bonus += 0.06 if price_comparison(request) else -0.15
    named = image_order(request) if len(entry.inputs) > 1 else sides(request)
    if (entry.inputs == ("IMAGE",) and not named and not _HALVES.search(request) and not asks_which_side(request)
            and (sides(entry.requests[0]) or _HALVES.search(entry.requests[0]))):
        bonus -= 0.1  # "count everyone": not a count per half
    if "sides" in slots:
        bonus += 0.06 if len(named) >= 2 else -0.1
    elif "side" in slots:
        bonus += 0.06 if len(named) == 1 else -0.1
    elif len(named) == 1 and entry.inputs == ("IMAGE",) and "line" not in slots:
        bonus -= 0.2  # "What text is at the bottom?": not the whole image's text
    if "word" in slots:
        bonus += 0.04 if word_to_find(request) else -0.1
    if not ({"item", "items", "word"} & set(slots)) and _SUPERLATIVE_PRICE.search(entry.requests[0]) and _SUPERLATIVE_PRICE.search(request):
        # "Which item is the dearest?" wants a name; "What is the highest price?" an amount.
        bonus += 0.05 if asks_which_item(request) == asks_which_item(entry.requests[0]) else -0.1
    if re.search(r"\bbg_blur\(", entry.program) and not _REST.search(request):
        bonus -= 0.15  # "Blur the faces": the faces, not everything but them
    if "line" in slots:
        bonus += 0.08 if line_index(request) is not None else -0.3
    elif line_index(request) is not None and reads_text(entry.program):
        bonus -= 0.15  # "What does the top line say?": one line, not the top half's text
    faces = "detect_faces(" in entry.program or "FACEDET(" in entry.program
    if faces or "object" in slots:
        others = other_things(request)
        if faces and others:
            bonus -= 0.3  # "How many people wear hats?", "Is there a cat?": not a face count
        elif "object" in slots:
            bonus += 0.05 if others else -0.3
    if "compare" in slots:
        bonus += 0.06 if comparison(request) else -0.12
    elif comparison(request) is not None and kind == "yesno":
        bonus -= 0.06
    return bonus


def _quoted(value: str) -> str:
    return "'" + value.replace("\\", "").replace("'", "") + "'"


def adapt(entry: Any, request: str, *, emoji_names: Iterable[str] = (), generic: Sequence[str] = ()) -> tuple[str, dict[str, Any]] | None:
    """The entry's program with its slots re-bound from ``request``, and the values
    used; None when the request lacks a value a slot needs.

    Args:
        entry: a :class:`visprog.planner.library.Entry`.
        request: the user's words.
        emoji_names: the emoji catalogue (names in underscore form), for ``emoji`` slots.
        generic: catalogue names that count only where placed as an emoji ("face").
    """
    program: str = entry.program
    used: dict[str, Any] = {}
    for kind, value in entry.slots.items():
        if kind == "side":
            named = image_order(request) if len(entry.inputs) > 1 else sides(request)
            if len(named) != 1:
                return None
            program = program.replace(_quoted(value), _quoted(named[0]))
            used[kind] = named[0]
        elif kind == "sides":
            named = sides(request)
            if not named and _BOTH_HALVES.search(request):
                named = list(value)  # "both halves": the entry's own pair of sides
            if len(named) < 2 or not isinstance(value, list) or len(value) != 2:
                return None
            marker = ["\0a\0", "\0b\0"]
            for old, tmp in zip(value, marker):
                program = program.replace(_quoted(old), tmp)
            for tmp, new in zip(marker, named[:2]):
                program = program.replace(tmp, _quoted(new))
            used[kind] = named[:2]
        elif kind == "images":  # the two pictures of a pair in the order the request names them
            named = image_order(request)
            if len(named) != 2 or not isinstance(value, list) or len(value) != 2:
                return None
            marker = ["\0a\0", "\0b\0"]
            for old, tmp in zip(value, marker):
                program = program.replace(_quoted(old), tmp)
            for tmp, new in zip(marker, named):
                program = program.replace(tmp, _quoted(new))
            used[kind] = named
        elif kind == "word":
            word = word_to_find(request)
            if word is None:
                return None
            program = program.replace(_quoted(str(value)), _quoted(word))
            used[kind] = word
        elif kind == "compare":
            stated = comparison(request)
            if stated is None or not isinstance(value, str):
                return None
            operator, number = stated
            if operator not in _OPERATORS:
                return None
            pattern = re.compile(r"(?<![<>=!])" + re.escape(value) + r"(?![\d.])")
            program, hits = pattern.subn(f"{operator} {number}", program, count=1)
            if not hits:
                return None
            used[kind] = f"{operator} {number}"
        elif kind == "emoji":
            mentioned = catalogue_mentions(request, emoji_names, generic=generic)
            if mentioned:
                program = program.replace(_quoted(str(value)), _quoted(mentioned[0]))
                used[kind] = mentioned[0]
        elif kind == "object":
            thing = object_phrase(request)
            if thing is None:
                return None
            program = program.replace(_quoted(str(value)), _quoted(thing))
            used[kind] = thing
        elif kind == "item":
            found = items(request)
            if not found:
                return None
            program = program.replace(_quoted(str(value)), _quoted(found[0]))
            used[kind] = found[0]
        elif kind == "items":
            named_items = item_names(request)
            found = [match for match, _ in named_items]
            if len(found) < 2 or not isinstance(value, list) or len(value) != 2:
                return None
            marker = ["\0a\0", "\0b\0"]
            for old, tmp in zip(value, marker):
                program = program.replace(f"{_quoted(str(old))}.lower()", tmp + "shown")
                program = program.replace(_quoted(str(old)), tmp)
            for tmp, (new, shown) in zip(marker, named_items[:2]):
                program = program.replace(tmp + "shown", _quoted(shown))  # the answer names it as the user did
                program = program.replace(tmp, _quoted(new))
            used[kind] = found[:2]
        elif kind == "price":
            stated_price = price_comparison(request)
            if stated_price is None or not isinstance(value, str):
                return None
            pattern = re.compile(r"(?<![<>=!])" + re.escape(value) + r"(?![\d.])")
            program, hits = pattern.subn(f"{stated_price[0]} {stated_price[1]}", program, count=1)
            if not hits:
                return None
            used[kind] = f"{stated_price[0]} {stated_price[1]}"
        elif kind == "line":
            index = line_index(request)
            if index is None or not isinstance(value, str):
                return None
            program, hits = re.subn(rf"^{re.escape(value)}$", f"n = {index}", program, count=1, flags=re.MULTILINE)
            if not hits:
                return None
            used[kind] = index
        elif kind in ("question", "prompt"):
            text = " ".join(request.split())
            if kind == "prompt":
                match = re.search(r"\b(?:with|for|into)\s+(.+?)[.?!]*$", text, flags=re.IGNORECASE)
                if match is None:
                    return None
                text = match.group(1)
            safe = re.sub(r"[^A-Za-z0-9 .,?!-]", "", text).strip()
            if not safe:
                return None
            program = program.replace(_quoted(str(value)), _quoted(safe))
            used[kind] = safe
    return program, used


# -- does an entry answer everything the request asks? ---------------------------------

#: Words a request may carry without asking anything more of the program: where things
#: are relative to each other, other names for the picture, chat openings. (Words of
#: structure, people, text, sides and numbers are left out as well: see ``_NEUTRAL``.)
_CASUAL = frozenset(
    """next near nearby beside besides behind front above below beneath under underneath over around inside within
    across between corner corners edge edges hand far close centre center middle bit area region spot place
    snapshot shot screenshot frame scene capture camera viewer lens gimme lemme wanna gonna quick question
    kindly guys folks currently right now just actually really need needs know
    want wants wonder wondering curious whether if let like quickly simply given attached provided uploaded
    privacy private anonymity anonymous safety security reason reasons recognise recognize recognisable recognizable
    identifiable before post posting share sharing upload uploading send sending online internet social media
    together altogether combined overall single being else rest lose ditch obviously honestly basically literally seriously
    later wait software app ai computer system flyer collage postcard selfie meme painting
    drawing little bit while again whatever nice yo sup apart got came come showed attended arrived tight tightly closely
    neatly snugly properly clearly even ever still already yet maybe perhaps probably possibly definitely surely
    certainly somehow other others version copy original herself himself themselves itself myself yourself flipped mirrored mirror rotated sideways turned orientation took snapped
    up down out off away back i'm im i've ive i'd i'll you're we're they're it's that's there's here's let's
    put putting go going try trying help check checking confirm verify figure work working mean meaning""".split()
)
#: Interjections, discourse markers, chat abbreviations and sign-offs (a closed class):
#: they never ask anything of a program ("oh well, ...", "erm what does it say", "..., regards").
_INTERJECTIONS = frozenset(
    """oh ah aah aw aww ooh oops whoa wow gosh golly jeez geez blimey ugh meh huh hm hmm hmmm er erm um umm uh uhh
    ok okay okey k kk alright well so anyway anyways anyhow also plus yeah yea yep yup nope nah yes
    dear darling sweetie hun buddy pal mate bro dude sis hello hi hiya hey howdy
    greetings morning afternoon evening bye goodbye regards sincerely cheers thanks thank thx thanx thnx ty
    tysm tyvm please pls plz sorry apologies excuse lol lmao rofl haha hahaha hehe omg omfg btw fyi tbh imo imho idk
    idc iirc afaik ngl fr rn asap lmk nvm jk smh ikr xx xxx xoxo""".split()
)
#: Things that carry text: for an entry that reads text, where the text is, not a question.
_TEXT_HOLDERS = frozenset(
    """receipt receipts menu menus screen screens whiteboard blackboard chalkboard paper papers document documents book
    books cover page pages package packaging box boxes bottle bottles can cans jar jars door doors wall walls window
    windows plate plates badge badges sticker stickers billboard billboards placard placards notice notices flyer flyers
    leaflet leaflets ticket tickets mug cup packet packets envelope envelopes letterhead slide slides
    display displays storefront shopfront shop store truck bus van car gate gates room rooms house building street road
    station platform hotel restaurant cafe bar bakery pharmacy office entrance exit shelf shelves counter desk locker""".split()
)
_SIGNS = frozenset("sign signs poster posters label labels board boards card cards note notes banner banners page pages tag tags plate plates".split())
#: Words for the picture itself: the word before one describes the picture ("this
#: mirrored photo"), not what to find in it.
_PICTURE_WORDS = frozenset("photo photos picture pictures image images pic pics shot snapshot screenshot photograph scan frame".split())
#: (Colour words are fillers where they ask for an edit, "colour pop the person"; here
#: they ask about a quality.)
_NEUTRAL = (_STOP | _VERBS | (FILLERS - {"colour", "color", "colours", "colors"}) | _PEOPLE | _META | _CASUAL | _INTERJECTIONS
            | frozenset(_NUMBER_WORDS) | frozenset(_SIDE_WORDS))
#: Below this MiniLM similarity to every word of an entry's wordings, a word of the
#: request is something the entry does not answer ("smiling" in "Is the person on the
#: right smiling?" against "Is somebody on the right side?").
EXPLAINED_SIMILARITY = 0.6
_OPEN_START = re.compile(r"^(?:what|what's|whats|which|who|who's|whose|why|how(?! many| much))\b", re.IGNORECASE)


_COLOURS = re.compile(
    r"\b(?:colou?rs?|colou?red|red|green|blue|yellow|orange|purple|pink|brown|gr[ae]y|golden|silver|beige|turquoise)\b",
    re.IGNORECASE,
)


_GREYSCALE = re.compile(r"\bblack (?:and|&|n) white\b|\bb&w\b|\bgr[ae]yscale\b|\bmonochrome\b", re.IGNORECASE)
_SEEN_QUALITIES = re.compile(
    r"\b(?:older|oldest|newer|newest|younger|youngest|prettier|nicer|uglier|happier|sadder|cleaner|dirtier|brighter|darker|"
    r"faded|rusty|shiny|wooden|metal|plastic|handwritten|material|style|font|age|aged|how old)\b",
    re.IGNORECASE,
)


def asks_colour(request: str) -> bool:
    """Does the request ask about colours or other qualities only a model that sees
    tells ("are the two signs the same colour?", "which sign looks older?")? Edits
    are not questions ("colour pop the person", "make the sky blue")."""
    plain = _GREYSCALE.sub(" ", request)  # "everything in black and white apart from the lady" is an edit
    return answer_kind(request) != "image" and bool(_COLOURS.search(plain) or _SEEN_QUALITIES.search(plain))


def asks_alternative(request: str) -> bool:
    """Does a question ask which of two things something is ("is the honey raw or
    processed?"), not which side or picture?"""
    return answer_kind(request) != "image" and _content_alternative(request)


def asks_kind_of_people(request: str) -> bool:
    """Does a question ask about kinds of people ("are they both men?", "how many kids
    are there?"), which the face and person detectors do not tell apart?"""
    return answer_kind(request) != "image" and any(_forms(w) & _PEOPLE_KINDS for w in _tokens(request))


def asks_open(request: str) -> bool:
    """Does the request ask an open question ("What colour is ...?", "Who is ...?",
    "How old ...?"), which a yes or a no cannot answer?"""
    return bool(_OPEN_START.match(question_start(request)))


#: Words that show an open question is about text: what is written, said, called, priced.
_ABOUT_TEXT = re.compile(
    r"\b(?:text|texts|writing|written|write|words?|letters?|line|lines|say|says|said|saying|read|reads|spell|spells|"
    r"called|named|name|names|title|titled|label\w*|sign\w*|poster\w*|tag\w*|note|notes|caption|banner|number|numbers|"
    r"price\w*|cost\w*|cheap\w*|expensive|pricier|dear\w*|afford\w*|total|sum|dollars?|euros?|much|receipt\w*|menu\w*|brand|logo|"
    r"printed|inscribed|scrawl\w*|scribbl\w*|message\w*|slogan\w*|headline\w*|heading\w*|graffiti|notice\w*|"
    r"placard\w*|board\w*|display\w*|screen\w*|platform\w*|gate|gates|track|aisle|terminal|bay|desk|locker)\b",
    re.IGNORECASE,
)


_ASKS_NUMBER = re.compile(r"\b(?:headcount|number|count|total|amount|tally|sum|figure)\b", re.IGNORECASE)


def answers_closed(entry: Any, result_kinds: frozenset[str] | None = None) -> bool:
    """Does the entry answer with a yes or a no, a count or an image (answers that an
    open question, "What colour ...?", "What is he doing?", cannot take)? From the
    checker's result kinds of its program when given, and from its wordings."""
    kind = answer_kind(entry.requests[0])
    if result_kinds is not None and result_kinds <= {"Image", "int", "float", "bool"}:
        return True
    return kind in ("count", "image") or (kind == "yesno" and "'yes'" in entry.program)


#: Words before a thing that says where text is ("the sign next to the door", "the label
#: on the bottle"): for an entry that reads text, the thing is a place, not a question.
_PLACE_BEFORE = frozenset(
    "next beside near by behind above below under over on at in of from around inside underneath across atop".split()
)


#: Place words that say what something is beside ("the man next to the sign"), not "in it".
_BESIDE = frozenset("next beside near by behind above below under underneath".split())


def _place_references(words: list[str], place_words: frozenset[str] = _PLACE_BEFORE) -> set[str]:
    """Words that name where text is: the word after a place word (skipping articles),
    unless it is a quality ("written in red" asks a colour)."""
    out: set[str] = set()
    for k, word in enumerate(words[:-1]):
        if word in place_words:
            for following in words[k + 1:k + 4]:
                if following in _STOP or following in _PLACE_BEFORE:
                    continue
                if following not in _QUALITIES:
                    out.add(following)
                break
    return out


#: Words that open a noun phrase naming one thing ("my ...", "the ...").
_POSSESSIVES = frozenset("my our your his her their the".split())


def _before_holders(words: list[str]) -> set[str]:
    """The words of a noun phrase that ends in a thing carrying text, after a possessive
    or an article ("my kid's school canteen receipt" -> kid, school, canteen): which
    thing, not a question. Qualities ("the green sign") are left out."""
    out: set[str] = set()
    for k, word in enumerate(words):
        if word in _TEXT_HOLDERS or word in _SIGNS:
            before: list[str] = []
            for previous in reversed(words[max(0, k - 4):k]):
                if previous in _STOP:
                    if previous in _POSSESSIVES | {"this", "that", "a", "an"}:
                        out.update(w for w in before if w not in _QUALITIES)
                    break
                before.append(previous)
    return out


def _venue(words: list[str]) -> set[str]:
    """The place after "at the" ("at the gym", "at my sister's wedding"): where the picture
    was taken, not what to find in it. Qualities stay questions."""
    out: set[str] = set()
    for k, word in enumerate(words[:-1]):
        if word == "at" and words[k + 1] in _POSSESSIVES | {"a"}:
            out.update(w for w in words[k + 2:k + 4] if w not in _QUALITIES and w not in _STOP)
    return out


def _picture_context(words: list[str]) -> set[str]:
    """Words that say what a picture is of or from ("this shot of my desk", "a photo
    from our reunion", "this pic of the kitchen"): the picture, not what to find in it.
    Only after "my", "our", "your", "his", "her", "their" or "the"."""
    out: set[str] = set()
    for k, word in enumerate(words[:-3]):
        if word in _PICTURE_WORDS and words[k + 1] in ("of", "from", "at") and words[k + 2] in _POSSESSIVES:
            out.update(words[k + 3:k + 5])
    return out


def _forms(word: str) -> set[str]:
    """``word`` and its plain forms ("recognised" -> "recognise", "posting" -> "post")."""
    forms = {word}
    single = _singular(word)
    if single:
        forms.add(single)
    for suffix, plain in (("ied", "y"), ("ed", ""), ("d", ""), ("ing", ""), ("ing", "e"), ("ly", ""), ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            forms.add(word[: len(word) - len(suffix)] + plain)
    return forms


_CLOSED_KINDS = frozenset({"yesno", "count", "image"})
#: People in general: beside a kind of people ("Is the person on the left a woman?") the
#: request asks which kind someone is.
_GENERIC_PEOPLE = frozenset("person persons people face faces someone somebody anyone anybody one ones individual human".split())
#: A clause that says why or for what the user asks ("I'm putting together a seating
#: chart, ...", "... so I can post it", "for my report"): up to the next comma or stop.
_CONTEXT_CLAUSE = re.compile(
    r"(?:(?:^|(?<=[,.;:!?]))\s*(?:i'm|i am|im|we're|we are|i'll|i will|i've|i have|i was|for my|for our|for a)|"
    r"\b(?:because|since|so (?:that|i|we|she|he|they|it|you|people|nobody|no one|the|my|our|his|her|their)|before i|before we|in order to))\b[^,.;:!?]*",
    re.IGNORECASE,
)
#: Chatter about where the picture came from or how the user is ("my aunt sent me this",
#: "a friend took this", "my glasses are in the car", "nothing else"): not what to do.
_CHATTER = re.compile(
    r"\b(?:my|our|a|his|her|their)\s+(?:\w+\s+){0,2}?(?:sent|gave|showed|shared|forwarded|texted|emailed|posted|took|snapped|made)"
    r"\s+(?:me|us|him|her|them)?\s*(?:this|it|these|that)\b|"
    r"(?:^|(?<=[,.;:!?]))\s*my\s+(?:\w+\s+){1,2}?(?:is|are|was|were|isn't|aren't|wasn't|won't|can't|don't|doesn't)\b[^,.;:!?]*|"
    r"\b(?:my|our|his|her|their)\s+\w+\s+(?:made|took|sent|drew|shot|printed|designed|posted|shared)\b|"
    r"\b(?:nothing else|that'?s all|that'?s it|if you can|if possible|thanks in advance|thx|lol|lmao|haha|btw|tbh|idk|fyi)\b|"
    r"\bor (?:is it|is that|are they|was it) just\b[^,.;:!?]*|\bor am i \w+ing(?: it| things)?\b|"
    r"\b(?:(?:it )?does ?n[o']?t matter how|any ?way you (?:like|want)|or whatever)\b|"
    r"\b(?:(?:just )?in case|if) (?:that|it|this) (?:matters|helps|is useful)\b|"
    r"\bi (?:think|guess|reckon|suppose|believe)\b",
    re.IGNORECASE,
)


#: What a request is for, at the end of a clause ("count the faces for the newsletter",
#: "blur them for the blog please"): why, not what. Not after a word of swapping ("swap
#: the background for a beach" names what to put in), not whom or how many ("for each").
_PURPOSE = re.compile(
    r"\bfor\s+(?:(?:the|a|an|my|our|his|her|their|this|that|some|next|tomorrow's|today's)\s+)?"
    r"(?!(?:each|every|both|all|me|us|him|her|them|it|you|sale|one|two|three)\b)[a-z'-]+(?:\s+[a-z'-]+){0,2}"
    r"(?=\s*(?:please|pls|plz|thanks|thank you|thx|asap)?\s*(?:$|[,.;:!?]))",
    re.IGNORECASE,
)
_SWAPPING = re.compile(r"\b(?:swap\w*|replac\w*|chang\w*|exchang\w*|trad\w*|switch\w*|substitut\w*|turn\w*|mistak\w*)\b",
                       re.IGNORECASE)
#: A sign-off with a name at the end ("..., regards Ann", "thanks, Bob", "- Maria").
_SIGN_OFF = re.compile(
    r"(?:\b(?:kind |best |warm )?regards|\bsincerely|\bbest wishes|\bcheers|\bthanks|\bthank you|\bthx|\blove|\s[-\u2013\u2014])"
    r"[,!.]?\s+(?-i:[A-Z][a-z]+)\s*[.!]*\s*$|\b(?:kind |best |warm )?regards\b|\bbest wishes\b",
    re.IGNORECASE,
)


#: An infinitive of purpose at the end of a clause ("how many name cards to print").
_TO_DO = re.compile(r"\b(?:in order |so as )?to\s+([a-z]+)(?=\s*(?:$|[,.;:!?]))", re.IGNORECASE)


def _purpose_removed(text: str) -> str:
    """``text`` without a phrase at the end of a clause that says what the request is for
    ("for the newsletter", "to print")."""
    text = _TO_DO.sub(lambda m: m.group(0) if _forms(m.group(1).lower()) & _NEUTRAL else " ", text)
    return text if _SWAPPING.search(text) else _PURPOSE.sub(" ", text)


_READS_TEXT = re.compile(r"\b(?:read_text|ocr)\(")


def reads_text(program: str) -> bool:
    """Does ``program`` read the picture's text (calls ``read_text(`` or ``ocr(``)?"""
    return bool(_READS_TEXT.search(program))


def edit_kinds(result_kinds: frozenset[str] | None) -> bool:
    """Do the checker's result kinds say the program answers with an image?"""
    return result_kinds is not None and result_kinds <= {"Image"}


#: Whom an edit of found faces or people acts on: a request that names none of these
#: ("make the picture black and white") asks an edit of the whole picture, which an entry
#: that edits the person ("Keep the person in colour ...") does not do.
_EDIT_TARGETS = _PEOPLE | _PEOPLE_KINDS | _GENERIC_PEOPLE | frozenset(
    """me him her them us she he they myself himself herself themselves his my our their everyone everybody astronaut player athlete
    runner dancer worker doctor nurse chef cook bride groom student teacher model singer soldier officer cop rider skier
    surfer climber driver pilot speaker friend friends mum mom dad mother father brother sister son daughter wife husband
    boss colleague customer""".split()
)
#: What :func:`unexplained` says of an edit that names no target.
WHOLE_PICTURE_EDIT = "a whole-picture edit"
#: Words that imply the faces as the target ("anonymise this photo", "for privacy").
_PRIVACY = re.compile(r"\b(?:privacy|private|anonym\w*|identif\w*|recogni[sz]\w*|censor\w*)\b", re.IGNORECASE)
#: Programs that edit what a detector found (not the whole picture, not a half of it).
_EDITS_FOUND = re.compile(r"\b(?:detect_faces|detect_people|detect|hands|pose)\(")


def names_a_target(words: Sequence[str], used: dict[str, Any], similarity: Callable[[list[str], list[str]], np.ndarray] | None) -> bool:
    """Does a request (its words) name whom or what an edit acts on: a face, a person, a
    kind of person, a pronoun, an object slot value, a word that implies the faces
    (privacy), or (with MiniLM) a word close to "person" ("player")?"""
    if "object" in used or any(_forms(w) & _EDIT_TARGETS for w in words):
        return True
    if _PRIVACY.search(" ".join(words)):
        return True
    others = [w for w in words if len(w) > 2 and not _forms(w) & _NEUTRAL]
    if others and similarity is not None:
        return bool(float(similarity(others, ["person", "face"]).max()) >= EXPLAINED_SIMILARITY)
    return False


_CROPS_FACE = re.compile(r"\b(?:crop|color_pop)\(IMAGE, faces\b")  # edits where the body matters
_WHOLE_PERSON = re.compile(r"\b(?:person|people|man|woman|guy|girl|boy|kid|child|body|bodies|figure|them|him|her)\b", re.IGNORECASE)
_CROPS_PERSON = re.compile(r"\bcrop\(IMAGE, max\(people\b")
_BODY_WORDS = re.compile(r"\b(?:body|bodies|whole|full|figure|head to toe|all of)\b", re.IGNORECASE)
_FACE_WORDS = re.compile(r"\b(?:face|faces|head|heads|headshot|portrait)\b", re.IGNORECASE)
_COVERING = re.compile(
    r"\b(?:hide|hiding|cover\w*|mask\w*|put|place|over|swap\w*|replac\w*|emojis?|emoticons?|stickers?|smileys?|icons?|"
    r"censor\w*|anonymi[sz]\w*|block\w*|conceal\w*|obscur\w*|privacy|into|turn|with|instead)\b",
    re.IGNORECASE,
)
#: Words that ask about money: without one a request does not ask a price entry's question.
_ASKS_PRICE = re.compile(
    r"[$\u20ac\u00a3]|\d[.,]\d\d\b|\b(?:pric\w*|cost\w*|cheap\w*|expensive|dear\w*|much|pay\w*|paid|dollars?|euros?|"
    r"pounds?|bucks?|cents?|worth|total\w*|spend\w*|spent|afford\w*|sum|add|adds|added|budget|money|bill|charge\w*|"
    r"sells?|sold|buy\w*|bought|tag|tags|menu|receipt)\b",
    re.IGNORECASE,
)
#: What an edit acts on: the word after the edit's verb and an article ("zoom in on the camera").
_EDIT_OBJECT = re.compile(
    r"\b(?:zoom in on|zoom into|crop(?: out| to)?|cut out|blur|pixelate|hide|cover|colou?r pop|highlight|tag|mask|censor|"
    r"remove|erase|delete|get rid of|take out|take away|replace|swap|change)\s+"
    r"(?:the|a|an|his|her|their|my|this|that|its)\s+(\w+)",
    re.IGNORECASE,
)
_HOW_EDITED = frozenset("blurry blurred sharp sharper focus focused grey gray colour color coloured colored pixelated".split())
#: How an edit leaves what it keeps ("only the woman must stay clear"): no other edit.
_LEFT_AS_IS = frozenset("sharp sharper focus focused clear crisp untouched intact stay stays remain remains".split())
_NOT_A_THING = frozenset("background backdrop rest everything area part bit side half top bottom left right middle centre center".split())
_EXTREME = re.compile(r"\b(?:cheapest|priciest|dearest|highest|lowest|top|most|least|max\w*|min\w*|biggest|smallest|largest)\b",
                      re.IGNORECASE)
_EVERY_ITEM = re.compile(r"\b(?:everything|every (?:item|thing|one)|each (?:item|thing)|one of each|all (?:of )?(?:the )?(?:items|things|of it|of them))\b",
                         re.IGNORECASE)
_WHERE_TAKEN = re.compile(r"\b(?:somewhere in|located in|taken in|taken at|from which|in which (?:country|city|town))\b", re.IGNORECASE)
#: When a picture was taken: no tool tells ("what time of day was this taken?").
_WHEN_TAKEN = re.compile(
    r"\btime of (?:the )?day\b|\b(?:when|what time|what day|which day|what year|what season) (?:was|were|is) (?:this|it|that|these|the)\b"
    r"[^?.!]*\b(?:taken|shot|photographed|snapped|made)\b",
    re.IGNORECASE,
)
_CONVERSION = re.compile(r"\b(?:convert\w*|conversion|exchange rate)\b|\bin (?:euros|dollars|pounds|yen|francs|rupees)\b", re.IGNORECASE)
_VALUE_JUDGEMENT = re.compile(
    r"\b(?:good|fair|bad|great|decent|reasonable) (?:price|deal|value)\b|\bripped off\b|\brip-?off\b|\boverpriced\b|"
    r"\bworth (?:it|the (?:money|price))\b|\btoo (?:expensive|pricey|much)\b|\bvalue for money\b|"
    r"\blooks? (?:more |less |the most |the least )?(?:expensive|cheap\w*|pricey|pricier|posh\w*|fancy|fancier)\b",
    re.IGNORECASE,
)
#: Putting something to wear on people ("put sunglasses on him"): a generative edit, unless
#: it asks for an emoji or a sticker.
_WEARABLE = re.compile(
    r"\b(?:put|add|give|draw|wear)\w*\s+(?:a\s+|an\s+|some\s+)?(?:\w+\s+)?(?:sun)?(?:glasses|hats?|caps?|crowns?|wigs?|beards?|moustaches?|"
    r"mustaches?|earrings|necklaces?|scarf|scarves|ties?|make-?up|lipstick|bunny ears)\b(?!.*\b(?:emojis?|stickers?|icons?|smiley\w*))",
    re.IGNORECASE,
)
#: What an edit asks that no tool here does: a question-answering model does not do it either.
FACE_SWAP_EDIT = "a face swap"
LOOKS_EDIT = "an edit that changes how people look"
EDIT_GAPS = frozenset({FACE_SWAP_EDIT, LOOKS_EDIT})
_FACE_SWAP = re.compile(r"\bswap\w*\s+(?:their|the|our|his|her|both|two)\s+(?:\w+\s+)?faces?\b(?!.*\b(?:with|for|emojis?|smile\w*|stickers?))",
                        re.IGNORECASE)
#: Every price listed, not their total ("list every price on this receipt").
_EVERY_PRICE = re.compile(r"\b(?:list|every|each|all(?: of)?(?: the)?)\s+(?:\w+\s+)?prices?\b", re.IGNORECASE)
_SUMS = re.compile(r"\b(?:total|sum|add|altogether|together)\b", re.IGNORECASE)
_DIFFERENCE = re.compile(r"\bhow many (?:more|fewer|less)\b|\bdifference\b|\bby how many\b", re.IGNORECASE)
_ALTERNATIVE_PAIR = re.compile(r"\b([a-z]+) or (?:a |an |the )?([a-z]+)\b", re.IGNORECASE)


#: A second doing offered after "or" ("looking at the camera or looking away", "is he
#: standing or sitting"): a choice of two, never a yes or a no.
_OR_DOING = re.compile(r"\bor\s+(?:is\s+|are\s+)?(?:he\s+|she\s+|they\s+|it\s+)?(?!(?:nothing|something|anything|everything|thing)\b)([a-z]{3,}ing)\b",
                       re.IGNORECASE)


_NUMBER = r"(?:\d+|" + "|".join(sorted(w for w in _NUMBER_WORDS if " " not in w)) + ")"
#: Two numbers offered ("2 faces or 3?", "three or four people?"): which of the two, a count.
_OR_NUMBER = re.compile(rf"\b{_NUMBER}\s+(?:\w+\s+)?or\s+{_NUMBER}\b", re.IGNORECASE)


_FINDS_PEOPLE = re.compile(r"\b(?:detect_faces|detect_people)\(")
_TEXT_THINGS_LOCATED = frozenset("sign signs text writing word words letters label labels poster notice tag tags board banner".split())


def _located_thing(request: str) -> str | None:
    """What a "which side ...?" request locates: ``"person"`` or ``"text"``, whichever it
    names first ("which side is the guy next to the sign on" -> person), or None."""
    for word in _tokens(request):
        if _forms(word) & (_PEOPLE | _PEOPLE_KINDS | _GENERIC_PEOPLE):
            return "person"
        if word in _TEXT_THINGS_LOCATED:
            return "text"
    return None


def _content_alternative(request: str) -> bool:
    """Does the request offer two things to choose between ("raw or processed", "a cat
    or a dog", "looking at the camera or looking away"), not sides, pictures, yes or no
    ("or not", "or is it empty")?"""
    if _OR_DOING.search(request) or _OR_NUMBER.search(request):
        return True
    for first, second in _ALTERNATIVE_PAIR.findall(request):
        pair = [first.lower(), second.lower()]
        if all(len(w) > 2 and not _forms(w) & (_NEUTRAL | _EDIT_TARGETS) and w not in _IMAGE_WORDS for w in pair):
            return True
    return False


_WHO_IS = re.compile(
    r"^(?:who|whom|whose|who's|whos)\b(?=.*\b(?:person|people|man|men|woman|women|guy|lady|girl|boy|kid|child|he|she|they|face|him|her)\b)",
    re.IGNORECASE,
)
#: For whom one asks ("privacy for the kids"), not whom to pick.
_FOR_WHOM = re.compile(r"\bfor (?:the|my|our|your|their) \w+", re.IGNORECASE)
_PLURAL_KINDS = re.compile(
    r"\b(?:men|women|kids|children|boys|girls|guys|ladies|adults|babies|teens|teenagers|males|females|gentlemen)\b", re.IGNORECASE
)
_SAME_PERSON = re.compile(r"\bsame (?:person|people|face|faces|man|woman|guy|girl|boy|individual|kid|child)\b", re.IGNORECASE)


def _tokens(text: str) -> list[str]:
    """Lower-case words, possessives cut ("astronaut's" -> "astronaut")."""
    words = (t.lower().strip("'-") for t in _WORD.findall(text))
    return [w.removesuffix("'s") for w in words if w]


def _worded_for(request: str, entry: Any) -> bool:
    """Are the request's words of substance all words of the entry's wordings ("So what's
    the damage?" for a learned "What's the damage on this tag?")?"""
    vocabulary = set(entry_vocabulary(entry))
    content = [w for w in _tokens(question_start(request)) if not _forms(w) & (_STOP | FILLERS | _VERBS | _META)]
    return bool(content) and all(_forms(w) & vocabulary for w in content)


def entry_vocabulary(entry: Any) -> list[str]:
    """The words of an entry's wordings, lower case, with singular forms: what the entry
    is known to answer."""
    words: set[str] = set()
    for wording in entry.requests:
        for word in _tokens(wording):
            words.add(word)
            words.add(_singular(word) or word)
    return sorted(words)


def _answer_gaps(
    request: str,
    asked_text: str,
    entry: Any,
    used: dict[str, Any],
    *,
    asked: str | None,
    entry_kind: str | None,
    given: str | None,
    result_kinds: frozenset[str] | None,
    similarity: Callable[[list[str], list[str]], np.ndarray] | None,
) -> list[str]:
    """What kind of answer ``request`` asks that ``entry`` does not give, apart from its
    words (see :func:`unexplained`): a yes or no, a count, a number, a price, a choice
    between two things, who someone is, an edit of whom ... Each rule says what it is
    and gives one example. ``asked_text`` is the request without the chat around it;
    ``asked``, ``entry_kind`` and ``given`` are the answer kinds of the request, of the
    entry's first wording, and of what the entry's program gives."""
    edit = given == "image"
    out: list[str] = []
    if asked in _CLOSED_KINDS and given in _CLOSED_KINDS and asked != given:
        out.append(f"a {asked} answer")  # "Is there a man on the left?" is not answered with a crop
    if _SAME_PERSON.search(request) or _WHO_IS.search(question_start(request)):
        out.append("who someone is")  # no offline tool tells
    if (asked == "yesno" and entry_kind != "yesno" and not edit and not answers_closed(entry, result_kinds)
            and not re.search(r"\bor\b", request, re.IGNORECASE)):  # "is it on the left or the right?" asks which
        out.append("a yes-or-no question of this kind")  # "is the burger vegetarian?" is not answered with its price
    if asked == "count" and entry_kind != "count" and not edit and not answers_closed(entry, result_kinds):
        out.append("a count of this kind")  # "how many pieces of fruit?" is not answered with a price
    if (entry_kind == "yesno" and "'yes'" in entry.program and asked not in ("yesno", None)
            or asked is None and "'yes'" in entry.program and _ASKS_NUMBER.search(request)
            and not (_SAME.search(request) or _MORE.search(request) or _FEWER.search(request) or " than " in request)):
        out.append("a number")  # "total faces in both photos?" is not answered with a yes
    if set(entry.slots) & {"item", "items", "price"} and not _ASKS_PRICE.search(request):
        out.append("a price")  # "is the animal in the first photo a dog?" names two things, but no price
    if _EXTREME.search(entry.requests[0]) and not _EXTREME.search(request) and not _SUPERLATIVE_PRICE.search(request):
        out.append("the highest or the lowest")  # "how much would one of everything come to?" is no lowest price
    if "'yes'" in entry.program and negated(entry.requests[0]) and not negated(request):
        out.append("a negation")  # "is there anybody on the right?" is not "is there nobody on the right?"
    if edit and _EDITS_FOUND.search(entry.program):
        thing = _EDIT_OBJECT.search(request)
        if thing and not _forms(thing.group(1).lower()) & (_EDIT_TARGETS | _PICTURE_WORDS | _NOT_A_THING):
            out.append(thing.group(1).lower())  # "zoom in on the camera he's using": the camera, not the person
    if "item" in entry.slots and _EVERY_ITEM.search(request):
        out.append("every item")  # "one of everything on this menu" is no one item's price
    if asked == "yesno" and _WHERE_TAKEN.search(request):
        out.append("where the picture was taken")  # "is this sign somewhere in the uk?"
    if (asked != "count" and given == "count" and re.search(r"\bhow much\b", asked_text, re.IGNORECASE)
            and not LEARNERS_COUNT.search(asked_text)):
        out.append("a price, not a count")  # "if i get one of everything, how much is that?" is no count of prices
    if _CONVERSION.search(request):
        out.append("a currency conversion")  # "convert the total to euros": no tool knows exchange rates
    if _VALUE_JUDGEMENT.search(request):
        out.append("whether a price is good")  # "is that a good price for diesel?"
    if edit and _WEARABLE.search(request):
        out.append(LOOKS_EDIT)  # "put sunglasses on him" is drawn, not an emoji over the face
    if edit and _FACE_SWAP.search(request):
        out.append(FACE_SWAP_EDIT)  # "swap their faces": not emoji, blur or pixels over them
    if asked == "text" and given == "count":
        out.append("the text, not a count")  # "list all the prices" is not how many there are
    if _WHEN_TAKEN.search(request):
        out.append("when the picture was taken")  # "what time of day was this sign photo taken?"
    if _EVERY_PRICE.search(request) and _SUMS.search(entry.requests[0]) and not _SUMS.search(request):
        out.append("every price")  # "list every price on this receipt" is not their total
    if _DIFFERENCE.search(request) and " - " not in entry.program:
        out.append("a difference")  # "how many more faces in the first than the second?" is no total
    located = _located_thing(asked_text) if asks_which_side(asked_text) else None
    if located == "person" and reads_text(entry.program) and not _FINDS_PEOPLE.search(entry.program):
        out.append("where a person is")  # "which side is the guy next to the sign on?" is not where the sign is
    elif located == "text" and _FINDS_PEOPLE.search(entry.program) and not reads_text(entry.program):
        out.append("where the text is")  # "which side is the sign next to the man on?"
    if "'yes'" in entry.program and _content_alternative(request):
        out.append("which of the two")  # "is the honey raw or processed?" is not answered with a yes
    if "emoji(" in entry.program and not _COVERING.search(request):
        out.append(LOOKS_EDIT)  # "make everyone smile" is no emoji over their faces
    if edit and _PLURAL_KINDS.search(_FOR_WHOM.sub(" ", asked_text)):
        out.append("which kind of person someone is")  # "blur the faces of the men": a detector does not tell men apart
    if edit and _EDITS_FOUND.search(entry.program) and not names_a_target(_tokens(request), used, similarity):
        out.append(WHOLE_PICTURE_EDIT)  # "make the picture black and white" is not a colour pop of the person
    if edit and _CROPS_FACE.search(entry.program) and _WHOLE_PERSON.search(request) and not _FACE_WORDS.search(request):
        out.append("an edit of the whole person")  # "cut the person out": a crop of the face leaves the body out
    if edit and _CROPS_PERSON.search(entry.program) and _FACE_WORDS.search(request) and not _BODY_WORDS.search(request):
        out.append("an edit of the face only")  # "crop to the person's face": not the whole body
    return out


def unexplained(
    request: str,
    entry: Any,
    used: dict[str, Any],
    *,
    emoji_names: Iterable[str] = (),
    result_kinds: frozenset[str] | None = None,
    similarity: Callable[[list[str], list[str]], np.ndarray] | None = None,
    dictionary: Container[str] | None = None,
) -> list[str]:
    """What ``request`` asks that ``entry`` (adapted with slot values ``used``) does not
    answer: its words that are not words of structure, people, text, sides or numbers,
    not slot values, and neither words of the entry's wordings nor (with
    ``similarity``, MiniLM) close to one; plus ``"what"`` when an open question would
    get a yes or a no. Empty when the entry answers all of it.

    Args:
        request: the user's words (normalised).
        entry: a :class:`visprog.planner.library.Entry`.
        used: the slot values :func:`adapt` took from the request.
        emoji_names: the emoji catalogue (a name placed as an emoji is a slot value).
        result_kinds: the checker's result kinds of the adapted program, when known.
        similarity: ``(words, vocabulary) -> (len(words), len(vocabulary))`` cosines;
            without it only the entry's own words count.
        dictionary: English words (MiniLM's word-piece vocabulary): a word not in it that
            is spelled nearly like a word the entry knows is a misspelling of that word
            ("thier", "hlaf"); without it misspellings are not forgiven. ("male" is a
            word: never read as "make".)
    """
    if "question" in used or "prompt" in used:
        return []  # the request itself is the tool's argument (VQA, captioning)
    reads = reads_text(entry.program)
    asked, entry_kind = answer_kind(request), answer_kind(entry.requests[0])
    given = "image" if edit_kinds(result_kinds) else entry_kind  # what the entry answers with
    edit = given == "image"
    open_question = asks_open(request) and asked != "count" and not (
        entry_kind == "count" and _ASKS_NUMBER.search(request))  # "What's the headcount?"
    out = ["what"] if open_question and answers_closed(entry, result_kinds) else []
    if open_question and reads and not out and not _ABOUT_TEXT.search(request) and not _worded_for(request, entry):
        out = ["what"]  # "What is the man doing?" is not answered by the text in the picture
    asked_text = asking_clauses(request)[0]  # "Good afternoon. ... Thank you in advance.": chat, not what to do
    out += _answer_gaps(request, asked_text, entry, used, asked=asked, entry_kind=entry_kind, given=given,
                        result_kinds=result_kinds, similarity=similarity)
    text_asked = open_question and reads and not out and bool(_ABOUT_TEXT.search(request))
    # Clauses first: without_mentions drops the punctuation that ends them.
    text = without_side_talk(asked_text)  # "..., my phone saved it sideways": not what to do
    text = _CONTEXT_CLAUSE.sub(" ", text)  # "I'm making a seating chart, ...": why, not what
    text = _from_question_starts(text)  # "my mum wants to know how much ...": a lead-in
    text = _CHATTER.sub(" ", _SIGN_OFF.sub(" ", text))  # "my aunt sent me this": where the picture came from, not what to do
    text = _purpose_removed(text)  # "count the faces for the newsletter": what for, not what to do
    text = _QUOTED.sub(" ", without_mentions(text, emoji_names))
    whole = _tokens(text)
    values = [str(v) for value in used.values() for v in (value if isinstance(value, list) else [value])]
    for value in values:
        for part in re.split(r"[\s_]+", value.lower()):
            if part:
                text = re.sub(rf"\b{re.escape(part)}\w*", " ", text, flags=re.IGNORECASE)
    vocabulary = entry_vocabulary(entry)
    known = set(vocabulary)
    tokens = _tokens(text)
    if _PRICE_TALK.search(" ".join(entry.requests)):
        known |= _PRICE_WORDS  # an entry about prices answers "buy", "pay", "altogether"
    if edit:
        known |= _LEFT_AS_IS  # "blur the background, only the woman must stay clear"
    if edit and "color_pop(" in entry.program:
        known |= _NOT_A_THING  # "make the background black and white, keep the person in colour": what a colour pop greys
    if not reads and (edit or asks_which_side(asked_text)) and _located_thing(asked_text) == "person":
        # "which side is the guy next to the bakery sign on", "blur the man next to the vet sign": where he is
        known |= _place_references(whole, _BESIDE) | {w for w, following in zip(whole, whole[1:]) if following in _SIGNS}
    if reads:
        known |= _place_references(whole)  # "What does the sign next to the door say?"
        known |= _TEXT_HOLDERS
        # A word before a thing that carries text picks the thing ("the green sign"); before
        # the text itself it may ask a quality of it ("green letters").
        known |= {w for w, following in zip(whole, whole[1:])
                  if following in _TEXT_HOLDERS or following in _SIGNS or (following in _TEXT_WORDS and w not in _QUALITIES)}
        known |= _before_holders(whole)  # "my kid's school canteen receipt"
    # "this mirrored photo", "family reunion pic, ...": words before a word for the picture say what it is
    known |= {w for w, following in zip(whole, whole[1:]) if following in _PICTURE_WORDS}
    known |= {w for w, _, following in zip(whole, whole[1:], whole[2:])
              if following in _PICTURE_WORDS and not _forms(w) & (_QUALITIES | _PEOPLE_KINDS)}
    known |= _picture_context(whole)  # "this shot of my desk", "the photo from our reunion"
    known |= _venue(whole)  # "how many ppl r at the gym"
    kind_words = {w for w in whole if _forms(w) & _PEOPLE_KINDS}
    kinds_asked = asked == "count" or (len({_singular(w) or w for w in kind_words}) > 1 and bool(
        re.search(r"\b(?:or|vs|versus)\b", request, re.IGNORECASE))) or bool(  # "a man or a woman?", not "the photographer guy"
        kind_words and {w for w in whole if w in _GENERIC_PEOPLE})
    words = []
    for word in tokens:
        forms = _forms(word)
        if forms & _PEOPLE_KINDS:
            # "How many kids?", "a man or a woman?", "Is the person a woman?": only an entry
            # that says so answers it ("Which side is the guy on?" asks where a person is;
            # in an edit, "the player" names whom it acts on).
            if not edit and kinds_asked and not forms & known and word not in words:
                words.append(word)
            continue
        if len(word) < 2 or word[0].isdigit() or forms & _NEUTRAL or forms & known:
            continue
        if text_asked and not forms & _QUALITIES:
            continue  # "Which town does the sign name?": the text answers it, whatever it names
        if word not in words:
            words.append(word)
    if words and dictionary is not None:  # a misspelling of a word it knows ("thier", "hlaf") asks nothing more
        spelled = sorted(known | _NEUTRAL)
        words = [w for w in words if len(w) < 4 or w in dictionary or not difflib.get_close_matches(w, spelled, n=1, cutoff=0.75)]
    if words and similarity is not None and vocabulary:
        closest = similarity(words, vocabulary).max(axis=1)
        # A kind of people or a quality ("handwritten") is asked however close a word of the entry is.
        words = [w for w, s in zip(words, closest) if float(s) < EXPLAINED_SIMILARITY or _forms(w) & (_PEOPLE_KINDS | _QUALITIES)]
    return out + [w for w in words if w not in out]
