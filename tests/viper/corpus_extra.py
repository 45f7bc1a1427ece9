"""More ViperGPT-style programs, written with visprog's ImagePatch (issue 11): two more
scenes (a market stall, a parking lot) and programs on the corpus's scenes that use what
the first set uses less: patches of crops, ``ImagePatch(image, left, lower, right,
upper)``, ``coerce_to_numeric``, sets with ``&``, tuple keys, ``*`` into ``crop`` and
``format``, more than two guesses, variables named like tools (``count``). Each answer
is worked out by hand in ``Case.why`` and holds with or without ViperGPT's 10 px crop
margin (tests/viper/test_corpus.py runs every variant).

Imported at the end of :mod:`tests.viper.corpus`, which appends these to ``CASES`` and
``SCENES``.
"""

from __future__ import annotations

from textwrap import dedent

from tests.viper.corpus import DESK, FRUIT, KITCHEN, PARK, ROOM, STREET
from tests.viper.scene import Case, Scene, Thing, ThingRef

__all__ = ["EXTRA_CASES", "EXTRA_SCENES", "MARKET", "PARKING"]


def _p(source: str) -> str:
    return dedent(source).strip() + "\n"


MARKET = Scene(
    name="market",
    size=(640, 480),
    things=(
        Thing("vendor", "person", (260, 120, 360, 460), names=("vendor", "man"), color="blue", depth=9.0,
              answers={"What is the man wearing?": "apron"}, score=0.95),
        Thing("sign_apples", "sign", (60, 40, 180, 90), color="white", text="APPLES 3", depth=8.0, score=0.92),
        Thing("sign_pears", "sign", (400, 40, 520, 90), color="white", text="PEARS 5", depth=8.0, score=0.91),
        Thing("crate_left", "crate", (40, 200, 240, 420), color="brown", attributes=("wooden",), depth=6.5, score=0.9),
        Thing("crate_right", "crate", (380, 200, 580, 420), color="brown", attributes=("plastic",), depth=7.5, score=0.89),
        Thing("apple1", "apple", (70, 230, 110, 270), names=("fruit",), color="red", depth=6.0, score=0.9),
        Thing("apple2", "apple", (130, 300, 170, 340), names=("fruit",), color="red", depth=6.0, score=0.88),
        Thing("apple3", "apple", (180, 250, 220, 290), names=("fruit",), color="green", depth=6.0, score=0.86),
        Thing("pear1", "pear", (420, 240, 460, 290), names=("fruit",), color="green", depth=7.0, score=0.9),
        Thing("pear2", "pear", (500, 320, 540, 370), names=("fruit",), color="yellow", depth=7.0, score=0.87),
    ),
    answers={"What do people buy here?": "apples"},
    tags=("outdoors", "market"),
    llm={"What do people buy here?": "fruit", "Why does a vendor wear an apron?": "to stay clean"},
)

PARKING = Scene(
    name="parking",
    size=(640, 480),
    things=(
        Thing("car_a", "car", (20, 300, 180, 400), color="red", depth=5.0, score=0.95),
        Thing("car_b", "car", (220, 280, 360, 380), color="white", depth=9.0, score=0.93),
        Thing("car_c", "car", (400, 260, 520, 340), color="blue", depth=14.0, score=0.9),
        Thing("car_d", "car", (540, 250, 630, 320), color="red", depth=20.0, score=0.88),
        Thing("truck", "truck", (250, 120, 450, 250), names=("vehicle",), color="gray", depth=25.0, score=0.85),
        Thing("sign", "sign", (580, 40, 620, 120), color="blue", text="P", depth=15.0, score=0.8),
        Thing("woman", "person", (180, 250, 215, 400), names=("woman",), color="green", depth=6.0,
              answers={"What is the woman holding?": "keys"}, score=0.9),
    ),
    tags=("outdoors", "parking lot"),
)

EXTRA_SCENES = (MARKET, PARKING)

EXTRA_CASES: list[Case] = [
    # ---- market ----
    Case(
        "market_apple_price", "How much do the apples cost?",
        _p('''
        def execute_command(image) -> str:
            image_patch = ImagePatch(image)
            for sign in image_patch.find("sign"):
                text = sign.simple_query("What is written on the sign?")
                if "APPLES" in text:
                    return str(coerce_to_numeric(text))
            return image_patch.simple_query("How much do the apples cost?")
        '''),
        MARKET, "3", "the signs say APPLES 3 and PEARS 5; the first number on the apple sign is 3",
    ),
    Case(
        "market_price_total", "What do one apple and one pear cost together?",
        _p('''
        def execute_command(image) -> int:
            image_patch = ImagePatch(image)
            signs = image_patch.find("sign")
            return sum([coerce_to_numeric(s.simple_query("What is written on the sign?")) for s in signs])
        '''),
        MARKET, 8, "3 + 5",
    ),
    Case(
        "market_apples_in_left_crate", "How many apples are in the left crate?",
        _p('''
        def execute_command(image) -> int:
            image_patch = ImagePatch(image)
            crate = min(image_patch.find("crate"), key=lambda c: c.horizontal_center)
            return len(crate.find("apple"))
        '''),
        MARKET, 3, "the left crate (x 40..240, y 200..420) holds all three apples; find inside a patch only sees the patch",
    ),
    Case(
        "market_apple_colors", "How many apple colours are there, and is one green?",
        _p('''
        def execute_command(image) -> str:
            image_patch = ImagePatch(image)
            colors = set()
            for apple in image_patch.find("apple"):
                colors.add(apple.simple_query("What color is the apple?"))
            return "{} colors, green: {}".format(len(colors), bool_to_yesno("green" in colors))
        '''),
        MARKET, "2 colors, green: yes", "red, red and green: two colours, one of them green",
    ),
    Case(
        "market_fruit_kinds_of_interest", "Which of apples and bananas are sold here?",
        _p('''
        def execute_command(image) -> str:
            image_patch = ImagePatch(image)
            found = set()
            for name in sorted({"apple", "pear", "banana"}):
                if image_patch.exists(name):
                    found.add(name)
            return ", ".join(sorted(found & {"apple", "banana"}))
        '''),
        MARKET, "apple", "apples and pears are there, bananas are not; of apples and bananas only apples",
    ),
    Case(
        "market_vendor_between_crates", "Does the vendor stand between the two crates?",
        _p('''
        def execute_command(image) -> str:
            image_patch = ImagePatch(image)
            left, right = sorted(image_patch.find("crate"), key=lambda c: c.horizontal_center)
            vendor = image_patch.find("vendor")[0]
            return bool_to_yesno(left.right <= vendor.left and vendor.right <= right.left)
        '''),
        MARKET, "yes", "left crate ends at x 240, the vendor spans 260..360, the right crate starts at 380",
    ),
    Case(
        "market_higher_fruit", "Which sits higher: the highest apple or the highest pear?",
        _p('''
        def execute_command(image) -> str:
            image_patch = ImagePatch(image)
            top_apple = max(image_patch.find("apple"), key=lambda a: a.vertical_center)
            top_pear = max(image_patch.find("pear"), key=lambda p: p.vertical_center)
            return "apple" if top_apple.vertical_center > top_pear.vertical_center else "pear"
        '''),
        MARKET, "apple",
        "vertical_center (y up): apples 230, 160, 210; pears 215, 135; the highest apple (230) beats the highest pear (215)",
    ),
    Case(
        "market_right_crate_material", "What is the right crate made of?",
        _p('''
        def execute_command(image) -> str:
            image_patch = ImagePatch(image)
            crate = max(image_patch.find("crate"), key=lambda c: c.horizontal_center)
            return crate.best_text_match(["wooden", "plastic"], prefix="a crate made of")
        '''),
        MARKET, "plastic", "the right crate is plastic; the prefix only frames the options",
    ),
    Case(
        "market_fruit_nearest_vendor", "the fruit closest to the vendor",
        _p('''
        def execute_command(image):
            image_patch = ImagePatch(image)
            vendor = image_patch.find("vendor")[0]
            fruits = image_patch.find("apple") + image_patch.find("pear")
            return min(fruits, key=lambda f: distance(f, vendor))
        '''),
        MARKET, ThingRef("apple3"), "edge gaps to the vendor (x 260..360): green apple 40, left pear 60, others farther",
    ),
    Case(
        "market_top_half_contents", "How many signs and pears are in the top half?",
        _p('''
        def execute_command(image) -> str:
            image_patch = ImagePatch(image)
            top = image_patch.crop(0, image_patch.height // 2, image_patch.width, image_patch.height)
            return "{} signs, {} pears".format(len(top.find("sign")), len(top.find("pear")))
        '''),
        MARKET, "2 signs, 0 pears", "the top half (y up 240..480) is rows 0..240: both signs (rows 40..90); the pears start at row 240",
    ),
    Case(
        "market_pears_in_right_crate", "How many pears are in the right crate?",
        _p('''
        def execute_command(image) -> str:
            image_patch = ImagePatch(image)
            crate = max(image_patch.find("crate"), key=lambda c: c.horizontal_center)
            edges = (crate.left, crate.lower, crate.right, crate.upper)
            return str(len(image_patch.crop(*edges).find("pear")))
        '''),
        MARKET, "2", "both pears lie inside the right crate's rectangle",
    ),
    Case(
        "market_what_is_bought", "What do people buy here?",
        _p('''
        def execute_command(image) -> str:
            image_patch = ImagePatch(image)
            guesses = [image_patch.simple_query("What do people buy here?")]
            guesses.append("vegetables")
            guesses.append(image_patch.best_text_match(["market", "harbour"]))
            return process_guesses("What do people buy here?", guesses)
        '''),
        MARKET, "fruit", "guesses apples, vegetables and market (the picture is a market); the chat model answers fruit",
    ),
    Case(
        "market_crates_by_depth", "What are the crates made of, nearest first?",
        _p('''
        def execute_command(image) -> str:
            image_patch = ImagePatch(image)
            crates = sorted(image_patch.find("crate"), key=lambda c: c.compute_depth())
            return ", ".join([c.best_text_match(["wooden", "plastic"]) for c in crates])
        '''),
        MARKET, "wooden, plastic", "left crate: depth 6.5 under most of it, wooden; right crate: 7.5, plastic",
    ),
    Case(
        "market_vendor_apron", "Why does the vendor wear what he wears?",
        _p('''
        def execute_command(image) -> str:
            image_patch = ImagePatch(image)
            vendor = image_patch.find("vendor")[0]
            clothing = vendor.simple_query("What is the man wearing?")
            return llm_query(f"Why does a vendor wear an {clothing}?", long_answer=False)
        '''),
        MARKET, "to stay clean", "he wears an apron; the chat model's short answer",
    ),
    # ---- parking ----
    Case(
        "parking_red_cars", "How many red cars are there, and is the farthest on the left or the right?",
        _p('''
        def execute_command(image) -> str:
            image_patch = ImagePatch(image)
            reds = [c for c in image_patch.find("car") if c.verify_property("car", "red")]
            reds.sort(key=lambda c: c.compute_depth(), reverse=True)
            side = "right" if reds[0].horizontal_center > image_patch.horizontal_center else "left"
            return "{} red cars; the farthest is on the {}".format(len(reds), side)
        '''),
        PARKING, "2 red cars; the farthest is on the right", "red cars a (depth 5, x 20..180) and d (depth 20, x 540..630)",
    ),
    Case(
        "parking_third_car_color", "What colour is the third car from the left?",
        _p('''
        def execute_command(image) -> str:
            image_patch = ImagePatch(image)
            cars = image_patch.find("car")
            cars.sort(key=lambda c: c.left)
            return cars[2].simple_query("What color is the car?")
        '''),
        PARKING, "blue", "left edges 20, 220, 400, 540: the third is the blue car",
    ),
    Case(
        "parking_car_next_to_woman", "the car next to the woman",
        _p('''
        def execute_command(image):
            image_patch = ImagePatch(image)
            woman = image_patch.find("woman")[0]
            return min(image_patch.find("car"), key=lambda c: distance(c, woman))
        '''),
        PARKING, ThingRef("car_a"), "car a touches the woman (gap 0); car b is 5 px away; with a margin both overlap her, car a more",
    ),
    Case(
        "parking_truck_behind_cars", "Is the truck farther away than every car?",
        _p('''
        def execute_command(image) -> str:
            image_patch = ImagePatch(image)
            truck_depth = image_patch.find("truck")[0].compute_depth()
            return bool_to_yesno(all(truck_depth > c.compute_depth() for c in image_patch.find("car")))
        '''),
        PARKING, "yes", "truck depth 25; cars 5, 9, 14, 20",
    ),
    Case(
        "parking_sign_and_count", "What does the sign say, and how many cars are parked?",
        _p('''
        def execute_command(image) -> str:
            image_patch = ImagePatch(image)
            count = 0
            for car in image_patch.find("car"):
                count += 1
            text = image_patch.find("sign")[0].simple_query("What is written on the sign?")
            return "{}: {} cars".format(text, count)
        '''),
        PARKING, "P: 4 cars", "the sign says P; four cars (a variable may be called count, like the tool)",
    ),
    Case(
        "parking_lowest_car_depth_rank", "Counting from the nearest, where is the car lowest in the picture?",
        _p('''
        def execute_command(image) -> str:
            image_patch = ImagePatch(image)
            cars = image_patch.find("car")
            lowest = min(cars, key=lambda c: c.lower)
            by_depth = sorted(cars, key=lambda c: c.compute_depth())
            return str(by_depth.index(lowest) + 1)
        '''),
        PARKING, "1", "lower edges (y up): a 80, b 100, c 140, d 160; car a is also the nearest (depth 5)",
    ),
    Case(
        "parking_top_half_vehicles", "Is there a truck but no car in the top half?",
        _p('''
        def execute_command(image) -> str:
            image_patch = ImagePatch(image)
            top = ImagePatch(image, 0, image_patch.height // 2, image_patch.width, image_patch.height)
            return bool_to_yesno(top.exists("truck") and not top.exists("car"))
        '''),
        PARKING, "yes", "top half = rows 0..240: the truck (rows 120..250) mostly; the highest car starts at row 250",
    ),
    Case(
        "parking_shared_colors", "Which car colours appear on both sides of the woman?",
        _p('''
        def execute_command(image) -> str:
            image_patch = ImagePatch(image)
            woman = image_patch.find("woman")[0]
            left_colors = set()
            right_colors = set()
            for car in image_patch.find("car"):
                color = car.simple_query("What color is the car?")
                if car.horizontal_center < woman.horizontal_center:
                    left_colors.add(color)
                else:
                    right_colors.add(color)
            return ", ".join(sorted(left_colors & right_colors))
        '''),
        PARKING, "red", "left of her: red; right: white, blue, red; shared: red",
    ),
    # ---- the first corpus's scenes ----
    Case(
        "room_titles_by_shelf_row", "List the book titles, top row first, left to right.",
        _p('''
        def execute_command(image) -> str:
            image_patch = ImagePatch(image)
            books = sorted(image_patch.find("book"), key=lambda b: (-b.lower, b.left))
            return ", ".join([b.simple_query("What is written on the book?") for b in books])
        '''),
        ROOM, "ODYSSEY, HAMLET, DUNE", "lower edges (y up): ODYSSEY 300, HAMLET 300, DUNE 60; same row left to right",
    ),
    Case(
        "kitchen_cup_contents_numbered", "What is in each cup, from left to right?",
        _p('''
        def execute_command(image) -> str:
            image_patch = ImagePatch(image)
            cups = sorted(image_patch.find("cup"), key=lambda c: c.horizontal_center)
            return "; ".join("{}: {}".format(i + 1, c.simple_query("What is in the cup?")) for i, c in enumerate(cups))
        '''),
        KITCHEN, "1: coffee; 2: milk; 3: tea", "left to right: red (coffee), white (milk), blue (tea)",
    ),
    Case(
        "desk_right_half_objects", "Which of these are in the right half: laptop, mug, phone, lamp, pen?",
        _p('''
        def execute_command(image) -> str:
            image_patch = ImagePatch(image)
            right_half = image_patch.crop(image_patch.width // 2, 0, image_patch.width, image_patch.height)
            names = [n for n in ["laptop", "mug", "phone", "lamp", "pen"] if right_half.exists(n)]
            return ", ".join(names)
        '''),
        DESK, "mug, phone, lamp, pen", "x >= 320: the mug, phone, lamp and pen; only 20 of the laptop's 240 columns",
    ),
    Case(
        "park_activities_left_to_right", "What are the people doing, from left to right?",
        _p('''
        def execute_command(image) -> str:
            image_patch = ImagePatch(image)
            people = sorted(image_patch.find("person"), key=lambda p: p.left)
            activities = [p.simple_query("What is this person doing?") for p in people]
            return "{}, then {}, then {}".format(*activities)
        '''),
        PARK, "reading, then eating, then running", "woman (x 60) reads, man (250) eats, child (480) runs",
    ),
    Case(
        "fruit_banana_in_front_of_bowl", "Is the banana in the bowl and nearer than it?",
        _p('''
        def execute_command(image) -> str:
            image_patch = ImagePatch(image)
            bowl = image_patch.find("bowl")[0]
            banana = image_patch.find("banana")[0]
            inside = banana.overlaps_with(bowl.left, bowl.lower, bowl.right, bowl.upper)
            return bool_to_yesno(inside and banana.compute_depth() < bowl.compute_depth())
        '''),
        FRUIT, "yes", "the banana lies in the bowl's rectangle; banana depth 5, the bowl's median 6.2 (fruit covers under a quarter)",
    ),
    Case(
        "street_top_right_sign_and_tree", "Are the stop sign and the tree in the top right quarter?",
        _p('''
        def execute_command(image) -> str:
            image_patch = ImagePatch(image)
            quarter = image_patch.crop(image_patch.width // 2, image_patch.height // 2, image_patch.width, image_patch.height)
            return bool_to_yesno(len(quarter.find("sign")) == 1 and quarter.exists("tree"))
        '''),
        STREET, "yes", "the quarter is x 320..640, rows 0..240: the sign (rows 60..120) and 70% of the tree (rows 100..300)",
    ),
]
