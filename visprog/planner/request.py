"""What a request offers as argument values: its phrases, quoted strings, numbers, lists
and mentions of catalogue names (emoji).

Constrained decoding (:mod:`visprog.planner.grammar`) draws every string argument from
here, so that a small model cannot invent ``object='red car with a smiley face on it'``
or ``emoji='smiley-smileys'``: object, query and question strings are the request's own
phrases, categories its lists, numbers its numbers, emoji names the catalogue names it
mentions.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "AnswerKind", "RequestFacts", "about_text", "analyse", "answer_kind", "catalogue_mentions", "content_words", "features",
    "asking_clauses", "normalise_request", "question_start", "without_mentions", "without_side_talk",
]

AnswerKind = Literal["yesno", "count", "image", "text"]

_STOP = frozenset(
    """a an the this that these those there here it its is are was were be been being am do does did done
    doing has have had of in on at to for from by with without into onto over under about as and or but
    not no nor if then than so such any some all every each both either neither which what who whom whose
    where when why how many much more most less least few fewer several greater larger smaller bigger exactly
    precisely equal i me my we us our you your he him his
    she her they them their can could should would will shall may might must please just only also very
    one ones image picture photo photograph pic png jpg""".split()
)
#: Words that ask or command rather than name things; never a phrase's first or last word.
_VERBS = frozenset(
    """count tell show find read say says said write written give make hide cover blur replace tag mark
    label describe list name see seen look looks appear appears visible contain contains containing
    mention mentions mentioned spell spells put use using get""".split()
)
_IRREGULAR = {"people": "person", "men": "man", "women": "woman", "children": "child", "mice": "mouse", "teeth": "tooth", "feet": "foot"}
_NUMBER_WORDS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "a dozen": 12, "twenty": 20,
}
_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*|\d+(?:\.\d+)?")
_QUOTED = re.compile(r"[\"\u201c\u2018']([^\"\u201d\u2019']{1,60})[\"\u201d\u2019']")
#: Characters a phrase may keep (it is written inside quotes in a program and in EVAL).
_UNSAFE = re.compile(r"[^A-Za-z0-9 .,!?&-]")
_MAX_PHRASE_WORDS = 4
#: Words that place an emoji mention: "with a smiley", "using hearts", "a cat emoji".
_MARK_BEFORE = frozenset({"with", "by", "using", "use", "put", "into", "as"})
_MARK_AFTER = frozenset({"emoji", "emojis", "emoticon", "emoticons", "sticker", "stickers", "icon", "icons"})
#: Words about places in the image, never emoji mentions ("top" is an emoji name).
_PLACES = frozenset({"top", "bottom", "left", "right", "back", "end", "up", "down", "soon", "free", "new", "ok", "id"})


#: Words about where text is or what holds it, never what a text is searched for.
#: Words about text and what holds it.
_TEXT_WORDS = frozenset(
    """text texts writing written write word words letter letters line lines sign signs poster posters label
    labels caption title page note card banner board say says read mention mentions spell spells""".split()
)
#: Words about people (whose faces the face detector finds).
_PEOPLE_WORDS = frozenset(
    """face faces person persons people anyone anybody someone somebody everyone everybody everyones man men
    woman women child children kid kids boy boys girl girls adult adults human humans crowd headcount""".split()
)
#: Words about where text is or what holds it, or about people: never what a text is
#: searched for, never an object a detector must find.
_META = _TEXT_WORDS | _PEOPLE_WORDS | frozenset(
    """left right top bottom half halves side sides part area corner middle center centre""".split()
)
_YESNO_START = frozenset("is are does do did can could has have was were will would should am isn't aren't doesn't don't".split())
_EDIT_START = frozenset(
    """hide cover blur replace tag mark draw anonymize anonymise censor mask pixelate remove erase paint color colour
    highlight put place swap change make crop zoom cut""".split()
)


def answer_kind(text: str) -> AnswerKind | None:
    """What kind of answer the request asks for, from its form: ``yesno`` ("Is there
    ...?", "Does it say ...?"), ``count`` ("How many ...?"), ``image`` (an edit: "Hide
    ...", "Blur ..."), ``text`` ("What does ... say?", "Read ..."), or None (unsure)."""
    kind = _answer_kind_at_start(question_start(text))
    if kind is None:  # "the people on the right, are they men?": the question is a later clause
        for clause in re.split(r"[,;:?!.]+", text)[1:]:
            kind = _answer_kind_at_start(question_start(clause))
            if kind is not None:
                break
    return kind


#: "how much persons", "how much faces": a count, worded by a learner of English.
LEARNERS_COUNT = re.compile(r"\bhow much (?:\w+ )?(?:persons|people|faces|heads|men|women|kids|children)\b", re.IGNORECASE)


def _answer_kind_at_start(text: str) -> AnswerKind | None:
    words = [w.lower() for w in _WORD.findall(text)]
    if not words:
        return None
    lowered = " ".join(words)
    if lowered.startswith(("how many", "count ", "number of", "the number of", "what is the number", "what's the number")) or words[0] == "count":
        return "count"
    if LEARNERS_COUNT.search(lowered):
        return "count"  # "how much persons are ...": a count, worded by a learner of English
    if words[0] in _YESNO_START or words[0] in ("whether", "any", "anyone", "anybody", "anything", "someone", "somebody"):
        return "yesno"  # "any faces in this pic?", "anyone on the left?"
    if words[0] in _EDIT_START or (words[0] == "please" and len(words) > 1 and words[1] in _EDIT_START):
        return "image"
    if words[0] in ("read", "transcribe", "list") or re.match(r"^(what|which) (does|do) .* (say|read|spell)s?$", lowered) or re.search(
        r"\b(written|text|writing|words?)\b", lowered
    ) and words[0] in ("what", "which"):
        return "text"
    if re.search(r"\bhow many\b", lowered):
        return "count"  # "left side how many faces?"
    if words[0] in _COUNTED_FRAGMENT and not set(words[1:]) & _FRAGMENT_VERBS:
        return "count"  # "faces in the right half?": a noun and where, no verb: how many
    return None


#: A plural noun that opens a request without a verb ("faces?", "people on the left?") asks how many.
_COUNTED_FRAGMENT = frozenset("faces people persons heads humans kids children adults men women".split())
_FRAGMENT_VERBS = _YESNO_START | frozenset("there here visible seen see shown any some none no either neither both each".split())


@dataclass(frozen=True)
class RequestFacts:
    """Argument values a request offers.

    Attributes:
        text: the request.
        phrases: candidate object/query/question strings, lower case, in order of first
            appearance (with singular forms of plural nouns).
        quoted: strings the request puts in quotes, as written.
        numbers: numbers the request states (digits or words), in order.
        lists: enumerations such as "a cat, a dog or a bird" -> ("cat", "dog", "bird").
        comparisons: (operator, number) the request states: "more than two" -> (">", 2),
            "at least 3" -> (">=", 3), "exactly five" -> ("==", 5); empty when a number
            comes without such words (then any comparison with it may be meant).
        sides: the image halves the request names ("left", "top", ...), lower case.
    """

    text: str
    phrases: tuple[str, ...]
    quoted: tuple[str, ...]
    numbers: tuple[int | float, ...]
    lists: tuple[tuple[str, ...], ...]
    comparisons: tuple[tuple[str, int], ...] = ()
    sides: tuple[str, ...] = ()

    def texts(self) -> tuple[str, ...]:
        """Strings to look for in read text: the quoted strings, then the phrases that
        are not about where text is or what holds it ("sign", "left half")."""
        kept = [p for p in self.phrases if not any(w in _META for w in p.split())]
        return tuple(dict.fromkeys([*self.quoted, *kept]))


def _singular(word: str) -> str | None:
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 5 and word.endswith("sses"):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return None


def _clauses(text: str) -> list[list[str]]:
    """Runs of words between punctuation marks, lower case."""
    out: list[list[str]] = []
    for part in re.split(r"[.,;:!?()\[\]\"\u201c\u201d]", text):
        words = [w.lower().strip("'-") for w in _WORD.findall(part)]
        words = [w for w in words if w]
        if words:
            out.append(words)
    return out


def _phrases(text: str) -> list[str]:
    found: list[str] = []
    for words in _clauses(text):
        for size in range(1, _MAX_PHRASE_WORDS + 1):
            for start in range(len(words) - size + 1):
                gram = words[start:start + size]
                if gram[0] in _STOP or gram[-1] in _STOP or gram[0] in _VERBS or gram[-1] in _VERBS:
                    continue
                if any(w.replace(".", "").isdigit() for w in gram) or any(w in _NUMBER_WORDS for w in gram):
                    continue
                phrase = " ".join(gram)
                found.append(phrase)
                if size == 1:
                    single = _singular(gram[0])
                    if single:
                        found.append(single)
                else:
                    last = _singular(gram[-1])
                    if last:
                        found.append(" ".join([*gram[:-1], last]))
    # Longer phrases were found after shorter ones; keep first appearance in the text.
    positions = {p: text.lower().find(p.split()[0]) for p in found}
    ordered = sorted(dict.fromkeys(found), key=lambda p: (positions[p], len(p)))
    return [_UNSAFE.sub("", p).strip() for p in ordered if _UNSAFE.sub("", p).strip()]


def _numbers(text: str) -> list[int | float]:
    lowered = text.lower()
    hits: list[tuple[int, int | float]] = []
    for match in re.finditer(r"(?<![\w.])(\d+(?:\.\d+)?)(?![\w.])", lowered):
        value = float(match.group(1))
        hits.append((match.start(), int(value) if value.is_integer() else value))
    for word, value in _NUMBER_WORDS.items():
        for match in re.finditer(rf"\b{word}\b", lowered):
            hits.append((match.start(), value))
    return list(dict.fromkeys(v for _, v in sorted(hits, key=lambda h: h[0])))


def _item(words: list[str]) -> str | None:
    kept = [w for w in words if w not in _STOP and w not in _VERBS]
    return " ".join(kept[-2:]) if kept else None


def _lists(text: str) -> list[tuple[str, ...]]:
    """Enumerations: items separated by commas and a final "or"/"and"."""
    found: list[tuple[str, ...]] = []
    for sentence in re.split(r"[.;:!?]", text):
        for match in re.finditer(r"\b(or|and)\b", sentence, flags=re.IGNORECASE):
            before, after = sentence[:match.start()], sentence[match.end():]
            right_words = [w.lower() for w in _WORD.findall(re.split(r"[,]", after)[0])]
            right = _item([w for w in right_words if w not in _STOP][:2] if right_words else [])
            chunks = before.split(",")
            items: list[str] = []
            left_last = _item([w.lower() for w in _WORD.findall(chunks[-1])])
            if left_last:
                items.append(left_last)
            for chunk in reversed(chunks[:-1]):
                words = [w.lower() for w in _WORD.findall(chunk)]
                if not words or len(words) > 3:
                    item = _item(words[-2:]) if words else None
                    if item:
                        items.append(item)
                    break
                item = _item(words)
                if item:
                    items.append(item)
            items.reverse()
            if right and items:
                values = tuple(dict.fromkeys([_UNSAFE.sub("", i) for i in [*items, right] if _UNSAFE.sub("", i)]))
                if len(values) >= 2:
                    found.append(values)
    return list(dict.fromkeys(found))


_NUMBER_PATTERN = r"(\d+|" + "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True)) + r")"
_COMPARISONS = (
    (">=", rf"\b(?:at least|no fewer than|no less than|a minimum of) {_NUMBER_PATTERN}\b"),
    (">=", rf"\b{_NUMBER_PATTERN} or more\b"),
    ("<=", rf"\b(?:at most|no more than|not more than|a maximum of|up to) {_NUMBER_PATTERN}\b"),
    ("<=", rf"\b{_NUMBER_PATTERN} or (?:fewer|less)\b"),
    (">", rf"\b(?:more than|over|greater than|above|bigger than|larger than) {_NUMBER_PATTERN}\b"),
    ("<", rf"\b(?:fewer than|less than|under|below|smaller than) {_NUMBER_PATTERN}\b"),
    ("==", rf"\b(?:exactly|precisely|equal to|just) {_NUMBER_PATTERN}\b"),
)
_SIDES = ("left", "right", "top", "bottom")


def _comparisons(text: str) -> list[tuple[str, int]]:
    lowered = text.lower()
    found: list[tuple[int, str, int]] = []
    taken: list[tuple[int, int]] = []
    for operator, pattern in _COMPARISONS:
        for match in re.finditer(pattern, lowered):
            if any(a <= match.start() < b for a, b in taken):
                continue
            word = match.group(1)
            value = int(word) if word.isdigit() else _NUMBER_WORDS.get(word)
            if value is not None:
                found.append((match.start(), operator, value))
                taken.append((match.start(), match.end()))
    return list(dict.fromkeys((op, n) for _, op, n in sorted(found)))


def analyse(text: str) -> RequestFacts:
    """The argument values ``text`` offers (see :class:`RequestFacts`)."""
    quoted = [q.strip() for q in _QUOTED.findall(text) if q.strip()]
    quoted = [_UNSAFE.sub("", q).strip() for q in quoted]
    words = {w.lower() for w in _WORD.findall(text)}
    return RequestFacts(
        text=text,
        phrases=tuple(_phrases(text)),
        quoted=tuple(q for q in dict.fromkeys(quoted) if q),
        numbers=tuple(_numbers(text)),
        lists=tuple(_lists(text)),
        comparisons=tuple(_comparisons(text)),
        sides=tuple(side for side in _SIDES if side in words),
    )


def content_words(text: str) -> list[str]:
    """Single words of the request that name things or qualities: not stop words, verbs
    of asking, numbers, or words about text, people or image halves."""
    return [w for w in analyse(text).phrases if " " not in w and w not in _META and w not in _VERBS and w not in _STOP and not w.isdigit()]


def about_text(text: str) -> bool:
    """Does the request speak of text ("sign", "written", "say", ...)?"""
    return bool({w.lower() for w in _WORD.findall(text)} & _TEXT_WORDS)


def features(text: str) -> tuple[AnswerKind | None, frozenset[str], bool, frozenset[str]]:
    """What a request's program must do, as far as its words tell: the kind of answer,
    the image halves it names, whether it states a number, and the comparisons it
    states. Used to pick in-context examples that need the same program shape."""
    facts = analyse(text)
    return answer_kind(text), frozenset(facts.sides), bool(facts.numbers), frozenset(op for op, _ in facts.comparisons)


def _mention_spans(text: str, names: Iterable[str]) -> tuple[list[str], list[tuple[int, int, str, bool]]]:
    """The request's words, and the maximal spans of them that spell catalogue names:
    (start, end, name, marked), where *marked* means placed as an emoji is ("with a
    smiley", "a cat emoji")."""
    words = [w.lower() for w in _WORD.findall(text)]
    singular = [(_singular(w) or w) for w in words]
    spans: list[tuple[int, int, str]] = []
    by_words: dict[tuple[str, ...], str] = {}
    for name in names:
        if " " in name or not name:
            continue
        key = tuple(part for part in name.split("_") if part)
        # Names made of small words ("a", "it", "on", "top", "two") are everyday words
        # in requests, not emoji mentions.
        if not key or all(part in _STOP or part in _NUMBER_WORDS or len(part) < 3 or part in _PLACES for part in key):
            continue
        if key not in by_words:
            by_words[key] = name
    longest = max((len(k) for k in by_words), default=0)
    for start in range(len(words)):
        for size in range(min(longest, len(words) - start), 0, -1):
            for sequence in (tuple(words[start:start + size]), tuple(singular[start:start + size])):
                hit = by_words.get(sequence)
                if hit is not None:
                    spans.append((start, start + size, hit))
                    break
    # Keep maximal spans (the longest name covering a stretch of words).
    spans.sort(key=lambda s: (s[0], -(s[1] - s[0])))
    kept: list[tuple[int, int, str, bool]] = []
    for start, end, name in spans:
        if any(k[0] <= start and end <= k[1] for k in kept):
            continue
        before = words[max(0, start - 2):start]
        after = words[end:end + 1]
        marked = bool(_MARK_BEFORE & set(before)) or bool(after and after[0] in _MARK_AFTER)
        kept.append((start, end, name, marked))
    return words, kept


def catalogue_mentions(text: str, names: Iterable[str], *, generic: Iterable[str] = ()) -> list[str]:
    """Catalogue names (``smiley``, ``smiling_face_with_sunglasses``) the request mentions,
    longest first, each spelled as in the catalogue (underscore form).

    A name counts when its words appear in the request as whole words (plural forms
    too). A name placed as an emoji is (after "with", "using", "put"; before "emoji")
    wins over other mentions; ``generic`` names (such as "face", which a request about
    faces mentions without meaning an emoji) count only in such a position.
    """
    _, spans = _mention_spans(text, names)
    generic_set = set(generic)
    preferred = [s for s in spans if s[3]]
    chosen = preferred or [s for s in spans if s[2] not in generic_set]
    return list(dict.fromkeys(s[2] for s in sorted(chosen, key=lambda s: -(s[1] - s[0]))))


def without_mentions(text: str, names: Iterable[str]) -> str:
    """``text`` without the catalogue names placed as emoji are ("Put a cat emoji on each
    face" -> "put a emoji on each face"): what the request asks, apart from which emoji.
    Lower case; unmarked words ("How many cats") stay."""
    words, spans = _mention_spans(text, names)
    drop = {i for start, end, _, marked in spans if marked for i in range(start, end)}
    return " ".join(w for i, w in enumerate(words) if i not in drop)


#: Common words of other languages that English requests do not use ("¿Cuántas caras hay
#: en la foto?", "Combien de visages", "Wie viele Gesichter gibt es").
_FOREIGN = frozenset(
    """el los las una unos del en hay es son está están qué que cuántos cuántas cuantas cuantos cuál dónde por para con
    sin foto imagen caras personas le les des une est sont dans sur avec combien quel quelle visages y il
    der die das dem den ein eine ist sind gibt wie viele welche mit auf im bild gesichter und nicht steht hier wo zu
    di della delle sono quanti quante immagine volti uma umas quantos quantas rostos não""".split()
)
_ENGLISH = _STOP | _VERBS | frozenset(
    """face faces person people sign text word left right top bottom half side say count many much""".split()
)


#: Chat shorthand and common misspellings, written out before a request is matched
#: ("how many ppl r there" -> "how many people are there").
_SHORTHAND = {
    "ppl": "people", "ppls": "people", "peeps": "people", "pple": "people", "poeple": "people", "peole": "people",
    "r": "are", "u": "you", "ur": "your", "pls": "please", "plz": "please", "thx": "thanks", "ty": "thanks",
    "pic": "picture", "pics": "pictures", "img": "image", "imgs": "images", "pix": "pictures", "photo's": "photos",
    "teh": "the", "hte": "the", "waht": "what", "wat": "what", "wht": "what", "hw": "how", "hwo": "how", "mnay": "many",
    "manny": "many", "fcaes": "faces", "faeces": "faces", "facs": "faces", "whats": "what is", "what's": "what is", "where's": "where is", "who's": "who is", "hows": "how is",
    "wheres": "where is", "theres": "there is", "isnt": "is not", "doesnt": "does not", "dont": "do not", "arent": "are not",
    "tho": "though", "b4": "before", "2nd": "second", "1st": "first", "lhs": "left", "rhs": "right", "pricey": "expensive",
    "rigth": "right", "rihgt": "right", "riht": "right", "lft": "left", "letf": "left",
    "cheeper": "cheaper", "reciept": "receipt", "reciepts": "receipts", "recipt": "receipt", "reciet": "receipt", "expencive": "expensive", "expesive": "expensive", "prise": "price"
}


_TAG_QUESTION = re.compile(r",\s*(?:right|correct|yes or no|true|no|yes|ok|okay|isn't it|is it|aren't they)\s*[?!.]*\s*$", re.IGNORECASE)
#: Polite openings before a command ("can you read ...", "could you please tell me ...").
_POLITE = re.compile(
    r"^(?:(?:please|pls|kindly|hey|hi)[,!]?\s+)?(?:(?:can|could|would|will)\s+(?:you|u)\s+(?:please\s+|pls\s+|kindly\s+)?)?"
    r"(?:be so kind as to\s+|possibly\s+|just\s+)?"
    r"(?=(?:read|transcribe|tell|count|hide|blur|cover|give|show|say|list|crop|put|replace|mark|draw|pixelate|add|sum|total|"
    r"work out|figure out|let me know|find|check|cut|zoom|colou?r|make|turn|keep|remove|erase|mask|censor|anonymi[sz]e|"
    r"highlight|circle|compare|spell|translate|type|copy)\b)"
    r"(?:tell\s+me\s+(?=how|what|which|where|whether|if)|)",
    re.IGNORECASE,
)


#: Ways of asking a price whose words would read as item names ("set me back", "go for").
_PRICE_IDIOM = re.compile(
    r"\b(?:set|sets|setting)\s+(?:me|us|you|them|him|her)\s+back\b|\b(?:go|goes|going|went|sell|sells|selling|sold)\s+for\b|\b(?:come|comes|came|coming)\s+to\b(?!\s+the\s+(?:left|right))",
    re.IGNORECASE,
)
#: Openings before a question that say the user wants to know ("i need to know how many
#: ...", "just tell me the number of ..."): the question starts after them.
#: Interjections that open a clause ("ok so ...", "hmm, ..."): :func:`question_start` drops them first.
_INTERJECTED = re.compile(
    r"^(?:(?:so|and|but|anyway|anyways|ok|okay|well|oh|ah|hey|hi|hello|yo|um|umm|uh|er|erm|hmm|hm|wait|yeah|yes|alright|"
    r"quick question|quick one|good (?:morning|afternoon|evening)|hello there|hi there|hey there)\s*[,:!]?\s+)*",
    re.IGNORECASE,
)
_LEAD_IN = re.compile(
    r"^(?:(?:i|we|(?:my|our)\s+\w+)\s+(?:really\s+)?(?:need|needs|want|wants|would like|'d like|should like|would love|'d love|"
    r"wanna|have|has)\s+to\s+"
    r"(?:know|find out|check)\s+|"
    r"i\s+(?:wonder|was wondering|am wondering|'m wondering|m wondering)\s+(?:if\s+|whether\s+)?|"
    r"(?:i|we)\s+(?:only\s+|just\s+|really\s+)?(?:would like|'d like|should like|would love|'d love|want|need)\s+(?:you\s+to\s+)?"
    r"(?!to\b|(?:one|a (?:photo|picture|pic|image|shot)|an image|something|some|pictures|photos)\b)|"
    r"(?:just\s+)?(?:(?:can|could|would)\s+(?:you|u)\s+)?(?:please\s+|pls\s+)?tell\s+(?:me|us)\s+)?",
    re.IGNORECASE,
)


#: Words that open a clause of side talk, not of the question ("its for a reunion
#: poster", "my phone saved it sideways", "trying to work out the seating", "sorry its
#: sideways", "i flipped the photo before sending").
_SIDE_TALK_START = frozenset(
    """i im i'm ive i've id i'd my we we're our its it's it was they he she trying sorry btw lol haha tbh idk fyi need needed gonna
    took sent got had just like cause cuz coz because since doesnt doesn't dont don't not no for
    taken shot snapped saved flipped rotated mirrored edited posted uploaded printed scanned""".split()
)
#: What people in a picture do: a clause opening so says which ones, not why one asks.
_DOING = frozenset(
    """standing sitting looking wearing holding smiling lying walking running facing showing raising waving pointing
    carrying riding playing eating drinking talking reading writing""".split()
)
#: Words that open a question or a command: a clause opening so is not side talk.
_ASKING_START = frozenset(
    """what whats what's which who whom whose where when why how is are does do did can could would will should has have
    was were am any anyone anybody anything someone somebody count read tell give show find say list""".split()
)


def without_side_talk(text: str) -> str:
    """``text`` without clauses of side talk: a clause after the first (between
    punctuation) that opens with a word of side talk ("my phone saved it sideways", "its
    going in the group chat") and asks nothing (no lead-in, no question word, no
    command). The first clause always stays."""
    parts = re.split(r"([,;:?!.]+)", text)
    kept = [parts[0]]
    for k in range(1, len(parts) - 1, 2):
        mark, clause = parts[k], parts[k + 1]
        words = [w.lower() for w in _WORD.findall(clause)]
        asking = _opens_a_question(clause)
        side = bool(words) and (words[0] in _SIDE_TALK_START or (  # "planning a dinner", not "standing on the left"
            words[0].endswith("ing") and len(words[0]) > 5 and words[0] not in _DOING))
        if words and side and not asking:
            kept.append(mark)
            continue
        kept.extend([mark, clause])
    if len(parts) % 2 == 0:
        kept.append(parts[-1])
    return "".join(kept)


#: Where a request splits into clauses: punctuation, brackets, a dash, and before "or"
#: opening a second question ("... on the right or did my grandson leave them out?").
_CLAUSE_BREAK = re.compile(
    r"(?:[?!;:()\[\]]|(?<!\d)[.,]|[.,](?!\d))+|\s[-\u2013\u2014]+\s|\s(?=or\s+(?:did|does|do|is|are|was|were|has|have|can|could|will|would|it)\b)|\s+but\s+"
    # a word that joins a clause with its own subject ("... before they go on the blog",
    # "my grandson sent me this and i was wondering ...", "... so how many faces are there")
    r"|\s(?=(?:so|and|because|cause|cuz|coz|since|before|after|when|while|once|until)\s+"
    r"(?:i|we|you|u|he|she|they|it|my|our|your|his|her|their|people|everyone|everybody|nobody|no one)\s)"
    r"|\s(?=(?:because|cause|cuz|coz|since|before|after)\s+(?:the|this|that|these|those)\s)"
    r"|\s(?=so\s+(?:how|what|which|who|where|is|are|does|do|can|could)\b)"
    r"|(?<=[a-z])\s+(?=(?:can|could|would|will)\s+(?:you|u)\s)",  # "... back at work can you add up ..."
    re.IGNORECASE,
)


def _opens_a_question(clause: str) -> bool:
    """Does a clause open with a question or a command: a polite opening or a lead-in
    ("could you ...", "i need to know ..."), a question word, a verb of a yes/no
    question, or a command?"""
    start = question_start(clause)
    words = [w.lower() for w in _WORD.findall(start)]
    opened = _INTERJECTED.sub("", clause.strip(), count=1)  # "ok so ..." opens nothing by itself
    return bool(words) and (start != opened or words[0] in _ASKING_START or words[0] in _EDIT_START)


#: A clause that is only where the user is ("At the pharmacy queue, ...", "in the bakery -
#: ..."), not a part of the picture ("on the left, ...", "in the top half").
_WHERE_THE_USER_IS = re.compile(
    r"^\s*(?:at|in|inside|outside)\s+(?:the|a|an|my|our|this|work|home|school)\b(?![^,]*\b(?:left|right|top|bottom|half|side|"
    r"middle|centre|center|corner|picture|photo|image|pic|first|second|one)\b)[a-z' ]*$",
    re.IGNORECASE,
)


def _foreign(clause: str) -> bool:
    """Is every word of a clause a word of another language ("cuantas caras... sorry, how many faces")?"""
    words = [w.lower() for w in re.findall(r"[^\W\d_]+", clause)]
    return bool(words) and all(w in _FOREIGN for w in words)


def _not_about_the_picture(clause: str) -> bool:
    """Is a clause only where the user is, or in another language?"""
    return bool(_WHERE_THE_USER_IS.match(clause)) or _foreign(clause)


def _first_word(clause: str) -> str:
    words = _WORD.findall(clause)
    return words[0].lower() if words else ""


def _asks(clause: str) -> bool:
    """Does a clause ask something or give a command (it opens with one, or asks "how
    many" further on), other than the second answer of an either-or ("or did my
    grandson leave them out")?"""
    start = question_start(clause)
    words = [w.lower() for w in _WORD.findall(start)]
    if not words or words[0] == "or":
        return False
    if words[0] in _COUNTED_FRAGMENT and _answer_kind_at_start(start) == "count":
        return True  # "faces on the right hand side?": a bare plural asks how many
    # "how many" further on asks, unless the clause is the user's own statement ("cant remember how many i put")
    further = words[0] not in _USER_STATEMENT_START
    return _opens_a_question(clause) or further and bool(re.search(r"\bhow (?:many|much)\b", start, re.IGNORECASE))


#: Words that open a statement of the user's own with its subject left out ("cant remember how many ...").
_USER_STATEMENT_START = frozenset("cant can't cannot couldnt couldn't forgot forget remember wonder wondering no never".split())


#: Words of a clause that talks to the assistant or about the user rather than naming
#: what to look at: persons, greetings and thanks, verbs ("my son swears ...", "Good
#: afternoon.", "It is for a card.", "phone saved this one sideways sorry").
_CHATTY = re.compile(
    r"\b(?:i|i'm|im|i've|ive|i'd|id|me|my|mine|we|we're|us|our|you|your|u|ur|thanks|thank|thx|cheers|afternoon|morning|dear|sir|madam|"
    r"evening|hello|hi|hey|yo|please|pls|plz|sorry|lol|haha|again|whatever|quick|anyway|is|are|was|were|am|be|been|came|come|"
    r"did|does|do|want|wants|need|needs|took|sent|made|got|has|have|had|its|it's|thats|that's|swears?|think|guess|hope|"
    r"know|mean|let|because|cause|cuz|coz|since|before|after|when|while|once|until|cant|can't|cannot|couldnt|couldn't|"
    r"forgot|remember|rotated|flipped|mirrored|turned|saved|uploaded|posted|edited|taken|didn't|didnt|don't|dont|doesn't|doesnt|isn't|isnt|wasn't|wasnt|weren't|won't|wont|haven't|hasn't|"
    r"reckon|suppose|believe)\b",
    re.IGNORECASE,
)


def asking_clauses(text: str) -> tuple[str, str]:
    """``text`` split into what it asks and the chat around it: the clauses that ask or
    command, with fragments that name what to look at ("left half - how many faces?",
    "the dog on the left, how many?"), and the clauses that only talk ("Good
    afternoon.", "my son swears ...", "Thank you so much in advance."). When no clause
    asks ("the person on the right: smiling?"), all of it is what it asks."""
    clauses = [c for c in _CLAUSE_BREAK.split(text) if c and c.strip()]
    asks = [_asks(c) for c in clauses]
    if not any(asks):
        # "2 faces or 3? cant remember how many i put on this poster": the user's own statement is chat
        stated = [c for c in clauses if _CHATTY.search(c) and _first_word(c) in _SIDE_TALK_START | _USER_STATEMENT_START
                  or _not_about_the_picture(c)]
        if not stated or len(stated) == len(clauses):
            return text, ""
        return " , ".join(c for c in clauses if c not in stated), " , ".join(stated)
    asked = [c for c, ask in zip(clauses, asks) if ask or not (_CHATTY.search(c) or _not_about_the_picture(c))]
    if len(asked) == len(clauses):
        return text, ""  # nothing set aside: the request as written, punctuation and all
    return " , ".join(asked), " , ".join(c for c in clauses if c not in asked)


def question_start(text: str) -> str:
    """``text`` from where its question or command starts: without a polite opening
    ("could you please ...") or a lead-in ("i need to know ...", "just tell me ...")."""
    opened = _INTERJECTED.sub("", text.strip(), count=1)  # "ok, could you ...", "hmm so ..."
    return _LEAD_IN.sub("", _POLITE.sub("", opened, count=1), count=1)


def normalise_request(text: str) -> str:
    """``text`` with chat shorthand and a few common misspellings written out (see
    ``_SHORTHAND``), words otherwise as written. Used before matching a request to the
    library; quoted words are left alone."""
    quoted = {q.lower() for q in _QUOTED.findall(text)}

    def replace(match: re.Match[str]) -> str:
        word = match.group(0)
        full = _SHORTHAND.get(word.lower())
        if full is None or word.lower() in quoted or word.isupper():
            return word
        return full

    letters = [c for c in text if c.isalpha()]
    if len(text.split()) > 1 and letters and all(c.isupper() for c in letters):
        text = text.lower()  # "HOW MUCH FOR A WAFFLE": shouting, not a word to find
    text = _TAG_QUESTION.sub("?", text)  # "no one is there, right?": not the right half
    text = _PRICE_IDIOM.sub("cost", text)  # "what did the muffin set me back": not a muffin set
    return re.sub(r"[A-Za-z0-9][A-Za-z0-9']*", replace, text)


def blank_or_unreadable(text: str) -> str | None:
    """Why the offline planner cannot read ``text``, in one line, or None: it is empty
    or blank, or it is not in English (the library and the offline model are English)."""
    if not text or not text.strip():
        return "the question is empty: say what to do with the image, e.g. \"How many faces are there?\""
    words = [w.lower() for w in re.findall(r"[^\W\d_]+", text)]
    if not words:
        return f"the question {text.strip()!r} has no words in it: cannot plan it; say what to do with the image, e.g. \"How many faces are there?\""
    non_latin = sum(1 for w in words if any(ord(c) > 0x24F for c in w))
    foreign = sum(1 for w in words if w in _FOREIGN)
    english = sum(1 for w in words if w in _ENGLISH)
    if non_latin * 2 >= len(words) or (foreign >= 2 and foreign > english) or (foreign >= 1 and english == 0 and len(words) >= 2):
        return (
            f"the offline planner reads English only, and {text.strip()!r} does not look English: ask in English, "
            "or use a chat model that reads your language (--model hf:PATH_OR_ID or openai:MODEL)"
        )
    return None
