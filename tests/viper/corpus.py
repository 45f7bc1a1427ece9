"""ViperGPT-style programs over ``ImagePatch``, each with a scene and its answer worked
out by hand (``Case.why``).

Written for visprog (issue 11), not copied from ViperGPT's prompts. Every program is a
``def execute_command(image)`` that starts from ``ImagePatch(image)``. Scenes are
640x480, boxes in visprog root pixels (y down); ViperGPT's ``lower``/``upper``/
``vertical_center`` point **up**: for H = 480, ``lower = 480 - y2``,
``upper = 480 - y1``, ``vertical_center = 480 - (y1 + y2) / 2`` (docs/viper_api.md).

The answers hold whether or not patches get ViperGPT's 10 px crop margin, and whether
``verify_property`` uses VQA or CLIP (tests/viper/test_corpus.py runs every variant).
"""

from __future__ import annotations

from textwrap import dedent

from tests.viper.scene import Case, Scene, Thing, ThingRef

__all__ = ["CASES", "SCENES"]


def _p(source: str) -> str:
    return dedent(source).strip() + "\n"


# -- scenes -------------------------------------------------------------------------

KITCHEN = Scene(
    name="kitchen",
    size=(640, 480),
    things=(
        Thing("cup_blue", "cup", (420, 190, 480, 260), color="blue", depth=7.0, answers={"What is in the cup?": "tea"}, score=0.95),
        Thing("cup_white", "cup", (260, 200, 320, 260), color="white", depth=4.0, answers={"What is in the cup?": "milk"}, score=0.9),
        Thing("cup_red", "cup", (100, 180, 170, 260), color="red", attributes=("ceramic",), depth=5.0,
              answers={"What is in the cup?": "coffee"}, score=0.85),
        Thing("table", "table", (40, 260, 600, 470), color="brown", attributes=("wooden",), depth=6.0, score=0.8),
        Thing("bottle", "bottle", (520, 100, 570, 260), color="green", attributes=("glass",), text="OLIVE OIL", depth=8.0, score=0.8),
        Thing("lamp", "lamp", (280, 20, 360, 100), names=("light",), color="yellow", depth=9.0, score=0.7),
    ),
    answers={"What room is this?": "kitchen"},
    tags=("indoors", "kitchen"),
    llm={"Which animal gives milk?": "cow", "Is olive oil used for frying? Answer yes or no.": "yes"},
)

STREET = Scene(
    name="street",
    size=(640, 480),
    things=(
        Thing("car_right", "car", (400, 320, 600, 440), color="silver", depth=8.0, score=0.95),
        Thing("man", "person", (260, 200, 320, 420), names=("man",), color="green", attributes=("walking",), depth=10.0,
              answers={"What is the man holding?": "umbrella"}, score=0.92),
        Thing("car_left", "car", (50, 300, 230, 420), color="red", depth=12.0, score=0.9),
        Thing("stop_sign", "stop sign", (480, 60, 540, 120), names=("sign",), color="red", attributes=("octagonal",), text="STOP",
              depth=14.0, score=0.88),
        Thing("dog", "dog", (330, 380, 390, 440), color="brown", depth=10.0, answers={"What breed is the dog?": "beagle"}, score=0.85),
        Thing("tree", "tree", (560, 100, 640, 300), color="green", depth=25.0, score=0.7),
        Thing("bird", "bird", (100, 40, 150, 80), color="black", depth=30.0, score=0.6),
    ),
    answers={"What was this kind of dog bred to hunt?": "rabbits", "Which country is this?": "canada"},
    tags=("outdoors", "street", "sunny", "city"),
    llm={
        "What were beagle dogs originally bred to hunt?": "hares",
        "What was this kind of dog bred to hunt?": "hares",
        "Which countries use octagonal red stop signs?": "USA and Canada",
        "In which country was this photo taken?": "Canada",
    },
)

ROOM = Scene(
    name="room",
    size=(640, 480),
    things=(
        Thing("book_b", "book", (110, 80, 150, 180), color="red", text="HAMLET", depth=6.0, score=0.9),
        Thing("book_a", "book", (60, 60, 100, 180), color="blue", text="ODYSSEY", depth=6.0, score=0.88),
        Thing("book_c", "book", (400, 300, 440, 420), color="green", text="DUNE", depth=6.0, score=0.86),
        Thing("clock", "clock", (480, 40, 560, 120), names=("wall clock",), color="white", depth=7.0,
              answers={"What time does the clock show?": "3:10"}, score=0.9),
        Thing("plant", "plant", (200, 260, 300, 420), color="green", attributes=("potted", "leafy"), depth=5.0, score=0.85),
        Thing("shelf_bottom", "shelf", (340, 420, 630, 440), color="brown", attributes=("wooden",), depth=6.5, score=0.82),
        Thing("shelf_top", "shelf", (40, 180, 300, 200), color="brown", attributes=("wooden",), depth=6.5, score=0.8),
    ),
    answers={"Is it day or night?": "day"},
    tags=("indoors", "living room"),
)

PARK = Scene(
    name="park",
    size=(640, 480),
    things=(
        Thing("woman", "person", (60, 120, 140, 400), names=("woman",), color="red", attributes=("standing",), depth=9.0,
              answers={"What is this person doing?": "reading"}, score=0.95),
        Thing("man", "person", (250, 150, 330, 400), names=("man",), color="blue", attributes=("sitting",), depth=6.0,
              answers={"What is this person doing?": "eating"}, score=0.9),
        Thing("child", "person", (480, 250, 540, 400), names=("child", "kid"), color="yellow", attributes=("standing",), depth=12.0,
              answers={"What is this person doing?": "running"}, score=0.88),
        Thing("bench", "bench", (220, 300, 380, 420), color="brown", attributes=("wooden",), depth=6.5, score=0.8),
        Thing("ball", "ball", (560, 360, 600, 400), color="white", depth=12.0, score=0.75),
        Thing("kite", "kite", (420, 30, 500, 90), color="orange", attributes=("flying",), depth=40.0, score=0.7),
    ),
    answers={"What season is it?": "autumn"},
    tags=("outdoors", "park", "autumn"),
    llm={"What happens to tree leaves in autumn?": "They change colour and fall from the trees."},
)

FRUIT = Scene(
    name="fruit",
    size=(640, 480),
    things=(
        Thing("banana", "banana", (300, 280, 420, 340), names=("fruit",), color="yellow", attributes=("ripe",), depth=5.0, score=0.93),
        Thing("apple_red", "apple", (100, 300, 160, 360), names=("fruit",), color="red", depth=5.0, score=0.9),
        Thing("orange", "orange", (450, 300, 510, 360), names=("fruit",), color="orange", depth=6.0, score=0.88),
        Thing("apple_green", "apple", (180, 310, 240, 370), names=("fruit",), color="green", depth=5.5, score=0.86),
        Thing("bowl", "bowl", (80, 260, 540, 420), color="white", attributes=("ceramic",), depth=6.2, score=0.8),
        Thing("knife", "knife", (560, 380, 630, 400), color="silver", attributes=("sharp", "metal"), depth=5.0, score=0.75),
    ),
    tags=("indoors", "kitchen", "fruit"),
    llm={"Which vitamin are oranges rich in?": "vitamin C"},
)

DESK = Scene(
    name="desk",
    size=(640, 480),
    things=(
        Thing("laptop", "laptop", (100, 150, 340, 330), names=("computer",), color="silver", depth=7.0,
              answers={"What brand is the laptop?": "acme"}, score=0.92),
        Thing("mug", "mug", (380, 230, 450, 330), names=("cup",), color="black", text="BOSS", depth=6.0, score=0.9),
        Thing("notebook", "notebook", (200, 340, 330, 420), color="yellow", attributes=("closed",), text="MATH", depth=5.0, score=0.85),
        Thing("phone", "phone", (480, 300, 560, 340), names=("cell phone",), color="black", depth=6.5, score=0.8),
        Thing("desk_lamp", "lamp", (500, 40, 600, 230), color="white", depth=9.0, score=0.7),
        Thing("pen", "pen", (350, 360, 470, 375), color="blue", depth=5.0, score=0.6),
    ),
    answers={"Is it day or night?": "night"},
    tags=("indoors", "office", "night"),
    llm={"In which country is the company acme based?": "Canada"},
)

SCENES = (KITCHEN, STREET, ROOM, PARK, FRUIT, DESK)


# -- cases -----------------------------------------------------------------------------

CASES: list[Case] = [
    # ---- kitchen ----
    Case(
        "kitchen_nearest_cup_color", "What color is the cup closest to the camera?",
        _p('''
        def execute_command(image) -> str:
            image_patch = ImagePatch(image)
            cup_patches = image_patch.find("cup")
            if len(cup_patches) == 0:
                return image_patch.simple_query("What color is the cup closest to the camera?")
            nearest = min(cup_patches, key=lambda cup: cup.compute_depth())
            return nearest.simple_query("What color is the cup?")
        '''),
        KITCHEN, "white", "cup depths: blue 7, white 4, red 5; the smallest depth is the nearest: white",
    ),
    Case(
        "kitchen_leftmost_cup_contents", "What is in the leftmost cup?",
        _p('''
        def execute_command(image) -> str:
            image_patch = ImagePatch(image)
            cup_patches = image_patch.find("cup")
            cup_patches.sort(key=lambda c: c.horizontal_center)
            return cup_patches[0].simple_query("What is in the cup?")
        '''),
        KITCHEN, "coffee", "horizontal centers: red 135, white 290, blue 450; the red cup holds coffee",
    ),
    Case(
        "kitchen_farthest_cup_contents", "What is in the cup farthest away?",
        _p('''
        def execute_command(image) -> str:
            image_patch = ImagePatch(image)
            by_distance = sorted(image_patch.find("cup"), key=lambda cup: cup.compute_depth(), reverse=True)
            return by_distance[0].simple_query("What is in the cup?")
        '''),
        KITCHEN, "tea", "largest depth first: blue (7) holds tea",
    ),
    Case(
        "kitchen_lamp_above_bottle", "Is the lamp above the bottle?",
        _p('''
        def execute_command(image) -> str:
            image_patch = ImagePatch(image)
            lamp_patches = image_patch.find("lamp")
            bottle_patches = image_patch.find("bottle")
            if len(lamp_patches) == 0 or len(bottle_patches) == 0:
                return "no"
            return bool_to_yesno(lamp_patches[0].vertical_center > bottle_patches[0].vertical_center)
        '''),
        KITCHEN, "yes", "vertical_center (y up): lamp 480-60=420, bottle 480-180=300; 420 > 300",
    ),
    Case(
        "kitchen_table_below_cups", "Is the table below all the cups?",
        _p('''
        def execute_command(image) -> str:
            image_patch = ImagePatch(image)
            table = image_patch.find("table")[0]
            cups = image_patch.find("cup")
            return bool_to_yesno(all(table.vertical_center < cup.vertical_center for cup in cups))
        '''),
        KITCHEN, "yes", "table vertical_center 480-365=115; cups 255, 250, 260: all higher",
    ),
    Case(
        "kitchen_cup_color_count", "How many different colors do the cups have?",
        _p('''
        def execute_command(image) -> int:
            image_patch = ImagePatch(image)
            colors = set()
            for cup_patch in image_patch.find("cup"):
                colors.add(cup_patch.simple_query("What color is the cup?"))
            return len(colors)
        '''),
        KITCHEN, 3, "blue, white and red: three colours",
    ),
    Case(
        "kitchen_bottle_label_and_material", "What does the bottle say, and what is it made of?",
        _p('''
        def execute_command(image) -> str:
            image_patch = ImagePatch(image)
            bottle = image_patch.find("bottle")[0]
            label = bottle.simple_query("What is written on the bottle?")
            material = bottle.best_text_match(["glass", "plastic", "metal"])
            return "{text} in a {material} bottle".format(text=label, material=material)
        '''),
        KITCHEN, "OLIVE OIL in a glass bottle", "the bottle's text is OLIVE OIL and it is glass",
    ),
    Case(
        "kitchen_lamp_in_bottom_half", "Is there a lamp in the bottom half of the picture?",
        _p('''
        def execute_command(image) -> str:
            image_patch = ImagePatch(image)
            bottom_half = image_patch.crop(0, 0, image_patch.width, image_patch.height // 2)
            return bool_to_yesno(bottom_half.exists("lamp"))
        '''),
        KITCHEN, "no",
        "crop(0, 0, 640, 240) with y up is visprog's rows 240..480; the lamp is at rows 20..100 (top)",
    ),
    Case(
        "kitchen_things_touching_table", "How many cups, bottles and lamps touch the table?",
        _p('''
        def execute_command(image) -> str:
            image_patch = ImagePatch(image)
            table = image_patch.find("table")[0]
            table_box = (table.left, table.lower, table.right, table.upper)
            count = 0
            for name in ["cup", "bottle", "lamp"]:
                for thing in image_patch.find(name):
                    if thing.overlaps_with(*table_box):
                        count += 1
            return str(count)
        '''),
        KITCHEN, "4",
        "table: lower 10, upper 220; cups and bottle have lower 220 (touching counts), the lamp's lower is 380",
    ),
    Case(
        "kitchen_bottle_is_tall", "Is the bottle taller than it is wide?",
        _p('''
        def execute_command(image) -> str:
            image_patch = ImagePatch(image)
            bottle = image_patch.find("bottle")[0]
            return bool_to_yesno(bottle.height > bottle.width)
        '''),
        KITCHEN, "yes", "the bottle is 50 wide and 160 tall",
    ),
    Case(
        "kitchen_red_cup_contents", "What is in the red cup?",
        _p('''
        def execute_command(image) -> str:
            image_patch = ImagePatch(image)
            cup_patches = image_patch.find("cup")
            red_cup = best_image_match(cup_patches, ["red cup"])
            return red_cup.simple_query("What is in the cup?")
        '''),
        KITCHEN, "coffee", "the red cup holds coffee",
    ),
    Case(
        "kitchen_blue_cup_position", "Counting from the left, which cup is the blue one?",
        _p('''
        def execute_command(image) -> str:
            image_patch = ImagePatch(image)
            cups = sorted(image_patch.find("cup"), key=lambda c: c.horizontal_center)
            index = best_image_match(cups, ["blue cup"], return_index=True)
            return str(index + 1)
        '''),
        KITCHEN, "3", "left to right: red (135), white (290), blue (450)",
    ),
    Case(
        "kitchen_cup_nearest_bottle", "What is in the cup closest to the bottle?",
        _p('''
        def execute_command(image) -> str:
            image_patch = ImagePatch(image)
            bottle = image_patch.find("bottle")[0]
            cups = image_patch.find("cup")
            cups.sort(key=lambda c: distance(c, bottle))
            return cups[0].simple_query("What is in the cup?")
        '''),
        KITCHEN, "tea", "edge gaps to the bottle (x 520..570): blue 40, white 200, red 350",
    ),
    Case(
        "kitchen_white_cup_animal", "Which animal does the drink in the white cup come from?",
        _p('''
        def execute_command(image) -> str:
            image_patch = ImagePatch(image)
            white_cups = [c for c in image_patch.find("cup") if c.verify_property("cup", "white")]
            if len(white_cups) == 0:
                return image_patch.simple_query("Which animal does the drink in the white cup come from?")
            drink = white_cups[0].simple_query("What is in the cup?")
            return white_cups[0].llm_query(f"Which animal gives {drink}?", long_answer=False)
        '''),
        KITCHEN, "cow", "the white cup holds milk; the chat model says milk comes from a cow",
    ),
    Case(
        "kitchen_bottle_for_frying", "Can you fry with what is in the bottle?",
        _p('''
        def execute_command(image) -> str:
            image_patch = ImagePatch(image)
            bottle = image_patch.find("bottle")[0]
            contents = bottle.simple_query("What is written on the bottle?")
            return llm_query("Is {} used for frying? Answer yes or no.".format(contents.lower()), long_answer=False)
        '''),
        KITCHEN, "yes", "the label says OLIVE OIL; the chat model says olive oil is used for frying",
    ),
    Case(
        "kitchen_lamp_over_white_cup", "Is the lamp directly above the white cup?",
        _p('''
        def execute_command(image) -> str:
            image_patch = ImagePatch(image)
            lamp = image_patch.find("lamp")[0]
            white_cup = best_image_match(image_patch.find("cup"), ["white cup"])
            over = lamp.left < white_cup.right and lamp.right > white_cup.left
            return bool_to_yesno(over and lamp.lower > white_cup.upper)
        '''),
        KITCHEN, "yes", "lamp x 280..360 overlaps the cup's 260..320; lamp lower 380 > cup upper 280",
    ),
    Case(
        "kitchen_indoor_kitchen", "Is this an indoor kitchen?",
        _p('''
        def execute_command(image) -> str:
            image_patch = ImagePatch(image)
            is_indoors = image_patch.best_text_match(["indoors", "outdoors"]) == "indoors"
            room = image_patch.simple_query("What room is this?")
            return bool_to_yesno(is_indoors and room == "kitchen")
        '''),
        KITCHEN, "yes", "the picture is tagged indoors and its room is a kitchen",
    ),
    # ---- street ----
    Case(
        "street_closer_car_side", "Which car is closer to the camera, the left one or the right one?",
        _p('''
        def execute_command(image) -> str:
            image_patch = ImagePatch(image)
            car_patches = image_patch.find("car")
            car_patches.sort(key=lambda car: car.horizontal_center)
            left_car, right_car = car_patches[0], car_patches[-1]
            return "left" if left_car.compute_depth() < right_car.compute_depth() else "right"
        '''),
        STREET, "right", "left car depth 12, right car depth 8: the right one is nearer",
    ),
    Case(
        "street_bird_above_sign", "Is the bird higher up than the stop sign?",
        _p('''
        def execute_command(image) -> str:
            image_patch = ImagePatch(image)
            bird = image_patch.find("bird")[0]
            sign = image_patch.find("stop sign")[0]
            return bool_to_yesno(bird.vertical_center > sign.vertical_center)
        '''),
        STREET, "yes", "vertical_center: bird 480-60=420, sign 480-90=390",
    ),
    Case(
        "street_lower_car", "the lower of the two cars",
        _p('''
        def execute_command(image):
            image_patch = ImagePatch(image)
            car_patches = image_patch.find("car")
            return min(car_patches, key=lambda car: car.vertical_center)
        '''),
        STREET, ThingRef("car_right"), "vertical_center: right car 480-380=100, left car 480-360=120",
    ),
    Case(
        "street_car_nearest_bottom_color", "What color is the car that reaches closest to the bottom of the photo?",
        _p('''
        def execute_command(image) -> str:
            image_patch = ImagePatch(image)
            car = min(image_patch.find("car"), key=lambda c: c.lower)
            return car.simple_query("What color is the car?")
        '''),
        STREET, "silver", "lower edges: right car 480-440=40, left car 480-420=60; the right car is silver",
    ),
    Case(
        "street_sign_right_of_man", "Is the stop sign to the right of the man?",
        _p('''
        def execute_command(image) -> str:
            image_patch = ImagePatch(image)
            man = image_patch.find("man")[0]
            sign = image_patch.find("stop sign")[0]
            return bool_to_yesno(sign.left > man.right)
        '''),
        STREET, "yes", "sign left 480 > man right 320",
    ),
    Case(
        "street_man_holding", "What is the man holding?",
        _p('''
        def execute_command(image) -> str:
            image_patch = ImagePatch(image)
            if not image_patch.exists("man"):
                return image_patch.simple_query("What is the man holding?")
            man = image_patch.find("man")[0]
            return man.simple_query("What is the man holding?")
        '''),
        STREET, "umbrella", "the man's answer table says umbrella",
    ),
    Case(
        "street_dog_bred_to_hunt", "What was this kind of dog bred to hunt?",
        _p('''
        def execute_command(image) -> str:
            image_patch = ImagePatch(image)
            dog = image_patch.find("dog")[0]
            breed = dog.simple_query("What breed is the dog?")
            reasoned = llm_query("What were {} dogs originally bred to hunt?".format(breed), long_answer=False)
            direct = image_patch.simple_query("What was this kind of dog bred to hunt?")
            return process_guesses("What was this kind of dog bred to hunt?", [reasoned, direct])
        '''),
        STREET, "hares", "a beagle; guesses 'hares' (chat model) and 'rabbits' (VQA); the chat model picks hares",
    ),
    Case(
        "street_country", "In which country was this photo taken?",
        _p('''
        def execute_command(image) -> str:
            image_patch = ImagePatch(image)
            sign = image_patch.find("stop sign")[0]
            shape = sign.best_text_match(["octagonal", "round", "triangular"])
            guess1 = llm_query("Which countries use {} red stop signs?".format(shape), long_answer=False)
            guess2 = image_patch.simple_query("Which country is this?")
            return process_guesses("In which country was this photo taken?", guess1, guess2)
        '''),
        STREET, "Canada", "the sign is octagonal; guesses 'USA and Canada' and 'canada'; the chat model answers Canada",
    ),
    Case(
        "street_sign_is_red", "Is the stop sign red?",
        _p('''
        def execute_command(image) -> str:
            image_patch = ImagePatch(image)
            sign_patches = image_patch.find("stop sign")
            if len(sign_patches) == 0:
                return "no"
            return bool_to_yesno(sign_patches[0].verify_property("stop sign", "red"))
        '''),
        STREET, "yes", "the sign is red",
    ),
    Case(
        "street_cars_not_red", "How many cars are not red?",
        _p('''
        def execute_command(image) -> int:
            image_patch = ImagePatch(image)
            count = 0
            for car in image_patch.find("car"):
                if not car.verify_property("car", "red"):
                    count += 1
            return count
        '''),
        STREET, 1, "one red car and one silver car",
    ),
    Case(
        "street_weather", "What is the weather like?",
        _p('''
        def execute_command(image) -> str:
            image_patch = ImagePatch(image)
            return image_patch.best_text_match(["sunny", "rainy", "snowy"])
        '''),
        STREET, "sunny", "the picture is tagged sunny",
    ),
    Case(
        "street_dog_as_far_as_man", "Is the dog about as far away as the man?",
        _p('''
        def execute_command(image) -> str:
            image_patch = ImagePatch(image)
            dog = image_patch.find("dog")[0]
            man = image_patch.find("man")[0]
            return bool_to_yesno(distance(dog.compute_depth(), man.compute_depth()) < 1)
        '''),
        STREET, "yes", "both at depth 10; distance of two numbers is their absolute difference",
    ),
    Case(
        "street_vehicle_kinds", "Which kinds of vehicles are in the picture?",
        _p('''
        def execute_command(image) -> str:
            image_patch = ImagePatch(image)
            vehicles = {"car", "bus", "truck", "motorcycle"}
            found = set()
            for name in sorted(vehicles):
                if image_patch.exists(name):
                    found.add(name)
            return ", ".join(sorted(found))
        '''),
        STREET, "car", "only cars are in the scene",
    ),
    Case(
        "street_dog_crop", "the dog",
        _p('''
        def execute_command(image):
            image_patch = ImagePatch(image)
            dog_patches = image_patch.find("dog")
            return dog_patches[0].cropped_image
        '''),
        STREET, ThingRef("dog"), "the crop of the only dog",
    ),
    Case(
        "street_bird_in_top_third", "Is there a bird in the top third of the picture?",
        _p('''
        def execute_command(image) -> str:
            image_patch = ImagePatch(image)
            top_third = image_patch.crop(0, image_patch.height * 2 // 3, image_patch.width, image_patch.height)
            return bool_to_yesno(top_third.exists("bird"))
        '''),
        STREET, "yes", "crop(0, 320, 640, 480) with y up is rows 0..160; the bird is at rows 40..80",
    ),
    Case(
        "street_man_between_cars", "Is the man between the two cars?",
        _p('''
        def execute_command(image) -> str:
            image_patch = ImagePatch(image)
            cars = sorted(image_patch.find("car"), key=lambda c: c.horizontal_center)
            man = image_patch.find("man")[0]
            return bool_to_yesno(cars[0].right < man.horizontal_center < cars[-1].left)
        '''),
        STREET, "yes", "left car right edge 230 < man center 290 < right car left edge 400",
    ),
    Case(
        "street_sign_top_above_tree_top", "Does the stop sign reach higher than the tree?",
        _p('''
        def execute_command(image) -> str:
            image_patch = ImagePatch(image)
            sign = image_patch.find("stop sign")[0]
            tree = image_patch.find("tree")[0]
            return bool_to_yesno(sign.upper > tree.upper)
        '''),
        STREET, "yes", "upper edges: sign 480-60=420, tree 480-100=380",
    ),
    # ---- room ----
    Case(
        "room_highest_book_title", "What is the title of the highest book?",
        _p('''
        def execute_command(image) -> str:
            image_patch = ImagePatch(image)
            book_patches = image_patch.find("book")
            highest = max(book_patches, key=lambda b: b.vertical_center)
            return highest.simple_query("What is written on the book?")
        '''),
        ROOM, "ODYSSEY", "vertical_center: ODYSSEY 360, HAMLET 350, DUNE 120",
    ),
    Case(
        "room_titles_top_to_bottom", "List the book titles from top to bottom.",
        _p('''
        def execute_command(image) -> str:
            image_patch = ImagePatch(image)
            books = sorted(image_patch.find("book"), key=lambda b: b.upper, reverse=True)
            titles = [book.simple_query("What is written on the book?") for book in books]
            return ", ".join(titles)
        '''),
        ROOM, "ODYSSEY, HAMLET, DUNE", "upper edges: ODYSSEY 420, HAMLET 400, DUNE 180",
    ),
    Case(
        "room_books_on_lower_shelf", "Which books are on the lower shelf?",
        _p('''
        def execute_command(image) -> str:
            image_patch = ImagePatch(image)
            shelves = image_patch.find("shelf")
            shelves.sort(key=lambda s: s.vertical_center)
            lower_shelf = shelves[0]
            titles = []
            for book in image_patch.find("book"):
                above_it = book.vertical_center > lower_shelf.vertical_center
                if lower_shelf.left <= book.horizontal_center <= lower_shelf.right and above_it:
                    titles.append(book.simple_query("What is written on the book?"))
            return ", ".join(titles)
        '''),
        ROOM, "DUNE", "lower shelf (vertical_center 50) spans x 340..630; only DUNE (x center 420) stands on it",
    ),
    Case(
        "room_clock_time_and_color", "What time is it, and what color is the clock?",
        _p('''
        def execute_command(image) -> str:
            image_patch = ImagePatch(image)
            clock = image_patch.find("clock")[0]
            time = clock.simple_query("What time does the clock show?")
            color = clock.simple_query("What color is the clock?")
            return "The clock shows {} and it is {}.".format(time, color)
        '''),
        ROOM, "The clock shows 3:10 and it is white.", "the clock's table says 3:10; it is white",
    ),
    Case(
        "room_plant_potted", "Is the plant in a pot?",
        _p('''
        def execute_command(image) -> str:
            image_patch = ImagePatch(image)
            plant = image_patch.find("plant")[0]
            return bool_to_yesno(plant.verify_property("plant", "potted"))
        '''),
        ROOM, "yes", "the plant is potted",
    ),
    Case(
        "room_no_television", "Is the television on?",
        _p('''
        def execute_command(image) -> str:
            image_patch = ImagePatch(image)
            tv_patches = image_patch.find("television")
            if len(tv_patches) == 0:
                return "no"
            return tv_patches[0].simple_query("Is the television on?")
        '''),
        ROOM, "no", "there is no television",
    ),
    Case(
        "room_clock_or_plant_right", "Which is farther right, the clock or the plant?",
        _p('''
        def execute_command(image) -> str:
            image_patch = ImagePatch(image)
            clock = image_patch.find("clock")[0]
            plant = image_patch.find("plant")[0]
            return "clock" if clock.horizontal_center > plant.horizontal_center else "plant"
        '''),
        ROOM, "clock", "horizontal centers: clock 520, plant 250",
    ),
    Case(
        "room_wider_shelf", "Is the wider shelf the top one or the bottom one?",
        _p('''
        def execute_command(image) -> str:
            image_patch = ImagePatch(image)
            widest = max(image_patch.find("shelf"), key=lambda s: s.width)
            return "top" if widest.vertical_center > image_patch.vertical_center else "bottom"
        '''),
        ROOM, "bottom", "widths 260 (top) and 290 (bottom); the bottom shelf's vertical_center 50 < 240",
    ),
    Case(
        "room_books_and_shelves", "How many books and shelves are there?",
        _p('''
        def execute_command(image) -> str:
            image_patch = ImagePatch(image)
            books = image_patch.find("book")
            shelves = image_patch.find("shelf")
            return "There are {n} books and {m} shelves".format(n=len(books), m=len(shelves))
        '''),
        ROOM, "There are 3 books and 2 shelves", "three books, two shelves",
    ),
    Case(
        "room_plant_nearer_than_books", "Is the plant closer to the camera than every book?",
        _p('''
        def execute_command(image) -> str:
            image_patch = ImagePatch(image)
            plant = image_patch.find("plant")[0]
            plant_depth = plant.compute_depth()
            return bool_to_yesno(all(plant_depth < book.compute_depth() for book in image_patch.find("book")))
        '''),
        ROOM, "yes", "plant depth 5, books 6",
    ),
    # ---- park ----
    Case(
        "park_nearest_person_activity", "What is the person closest to the camera doing?",
        _p('''
        def execute_command(image) -> str:
            image_patch = ImagePatch(image)
            people = image_patch.find("person")
            nearest = min(people, key=lambda p: p.compute_depth())
            return nearest.simple_query("What is this person doing?")
        '''),
        PARK, "eating", "person depths: woman 9, man 6, child 12; the man is eating",
    ),
    Case(
        "park_standing_count", "How many people are standing?",
        _p('''
        def execute_command(image) -> int:
            image_patch = ImagePatch(image)
            standing = [p for p in image_patch.find("person") if p.verify_property("person", "standing")]
            return len(standing)
        '''),
        PARK, 2, "the woman and the child stand; the man sits",
    ),
    Case(
        "park_kite_above_people", "Is the kite above all the people?",
        _p('''
        def execute_command(image) -> str:
            image_patch = ImagePatch(image)
            kite = image_patch.find("kite")[0]
            people = image_patch.find("person")
            return bool_to_yesno(all(kite.vertical_center > p.upper for p in people))
        '''),
        PARK, "yes", "kite vertical_center 420; people's upper edges 360, 330, 230",
    ),
    Case(
        "park_person_on_bench", "What is the person on the bench doing?",
        _p('''
        def execute_command(image) -> str:
            image_patch = ImagePatch(image)
            bench = image_patch.find("bench")[0]
            for person in image_patch.find("person"):
                if person.overlaps_with(bench.left, bench.lower, bench.right, bench.upper):
                    return person.simple_query("What is this person doing?")
            return "nobody"
        '''),
        PARK, "eating", "only the man (x 250..330) overlaps the bench (x 220..380); he is eating",
    ),
    Case(
        "park_second_from_right", "What is the second person from the right doing?",
        _p('''
        def execute_command(image) -> str:
            image_patch = ImagePatch(image)
            people = image_patch.find("person")
            people.sort(key=lambda p: p.horizontal_center, reverse=True)
            return people[1].simple_query("What is this person doing?")
        '''),
        PARK, "eating", "right to left: child 510, man 290, woman 100",
    ),
    Case(
        "park_kite_flying", "Is the kite flying or on the ground?",
        _p('''
        def execute_command(image) -> str:
            image_patch = ImagePatch(image)
            kite = image_patch.find("kite")[0]
            return kite.best_text_match(["flying", "on the ground"])
        '''),
        PARK, "flying", "the kite is flying",
    ),
    Case(
        "park_season_leaves", "What happens to leaves in this season?",
        _p('''
        def execute_command(image) -> str:
            image_patch = ImagePatch(image)
            season = image_patch.simple_query("What season is it?")
            return image_patch.llm_query("What happens to tree leaves in {}?".format(season))
        '''),
        PARK, "They change colour and fall from the trees.", "autumn; the chat model's long answer",
    ),
    Case(
        "park_person_nearest_ball", "What is the person closest to the ball doing?",
        _p('''
        def execute_command(image) -> str:
            image_patch = ImagePatch(image)
            ball = image_patch.find("ball")[0]
            closest = min(image_patch.find("person"), key=lambda p: distance(p, ball))
            return closest.simple_query("What is this person doing?")
        '''),
        PARK, "running", "edge gaps to the ball (x 560..600): child 20, man 230, woman 420",
    ),
    Case(
        "park_people_and_tallest", "How many people are there, and what is the tallest doing?",
        _p('''
        def execute_command(image) -> str:
            image_patch = ImagePatch(image)
            people = image_patch.find("person")
            tallest = max(people, key=lambda p: p.height)
            doing = tallest.simple_query("What is this person doing?")
            return "{n} people; the tallest is {doing}".format(n=len(people), doing=doing)
        '''),
        PARK, "3 people; the tallest is reading", "heights: woman 280, man 250, child 150",
    ),
    Case(
        "park_child_shorter", "Is the child shorter than the woman?",
        _p('''
        def execute_command(image) -> str:
            image_patch = ImagePatch(image)
            child = image_patch.find("child")[0]
            woman = image_patch.find("woman")[0]
            return bool_to_yesno(child.height < woman.height)
        '''),
        PARK, "yes", "child 150 tall, woman 280",
    ),
    # ---- fruit ----
    Case(
        "fruit_kinds_in_bowl", "How many kinds of fruit are in the bowl?",
        _p('''
        def execute_command(image) -> int:
            image_patch = ImagePatch(image)
            bowl = image_patch.find("bowl")[0]
            kinds = set()
            for name in ["apple", "banana", "orange", "pear"]:
                if bowl.exists(name):
                    kinds.add(name)
            return len(kinds)
        '''),
        FRUIT, 3, "apples, a banana and an orange; no pear",
    ),
    Case(
        "fruit_right_apple_color", "What color is the apple on the right?",
        _p('''
        def execute_command(image) -> str:
            image_patch = ImagePatch(image)
            apples = image_patch.find("apple")
            right_apple = max(apples, key=lambda a: a.horizontal_center)
            return right_apple.simple_query("What color is the apple?")
        '''),
        FRUIT, "green", "apple centers: red 130, green 210",
    ),
    Case(
        "fruit_yellow_fruit_ripe", "Is the yellow fruit ripe?",
        _p('''
        def execute_command(image) -> str:
            image_patch = ImagePatch(image)
            fruit_patches = image_patch.find("fruit")
            yellow_fruit = best_image_match(fruit_patches, ["yellow fruit", "banana"])
            return yellow_fruit.simple_query("Is the banana ripe?")
        '''),
        FRUIT, "yes", "the banana is the yellow fruit, and it is ripe",
    ),
    Case(
        "fruit_knife_right_of_bowl", "Is the knife to the right of the bowl?",
        _p('''
        def execute_command(image) -> str:
            image_patch = ImagePatch(image)
            knife = image_patch.find("knife")[0]
            bowl = image_patch.find("bowl")[0]
            return bool_to_yesno(knife.horizontal_center > bowl.right)
        '''),
        FRUIT, "yes", "knife center 595 > bowl right edge 540",
    ),
    Case(
        "fruit_orange_vitamin", "Which vitamin is this orange fruit rich in?",
        _p('''
        def execute_command(image) -> str:
            image_patch = ImagePatch(image)
            fruit = image_patch.find("orange")[0]
            name = fruit.simple_query("What is this?")
            return llm_query("Which vitamin are {}s rich in?".format(name), long_answer=False)
        '''),
        FRUIT, "vitamin C", "it is an orange; the chat model says vitamin C",
    ),
    Case(
        "fruit_apples_in_bowl_region", "How many apples are inside the bowl's area?",
        _p('''
        def execute_command(image) -> str:
            image_patch = ImagePatch(image)
            bowl = image_patch.find("bowl")[0]
            bowl_coords = (bowl.left, bowl.lower, bowl.right, bowl.upper)
            bowl_area = image_patch.crop(*bowl_coords)
            return str(len(bowl_area.find("apple")))
        '''),
        FRUIT, "2", "both apples lie inside the bowl's box",
    ),
    Case(
        "fruit_knife_sharp_material", "Is the knife sharp, and what is it made of?",
        _p('''
        def execute_command(image) -> str:
            image_patch = ImagePatch(image)
            knife = image_patch.find("knife")[0]
            sharp = bool_to_yesno(knife.verify_property("knife", "sharp"))
            material = knife.best_text_match(["metal", "wood", "plastic"])
            return "{sharp}, {material}".format(sharp=sharp, material=material)
        '''),
        FRUIT, "yes, metal", "the knife is sharp and metal",
    ),
    Case(
        "fruit_biggest", "What is the biggest fruit?",
        _p('''
        def execute_command(image) -> str:
            image_patch = ImagePatch(image)
            fruits = sorted(image_patch.find("fruit"), key=lambda f: f.width * f.height, reverse=True)
            return fruits[0].simple_query("What is this?")
        '''),
        FRUIT, "banana", "areas: banana 120x60, apples and orange 60x60",
    ),
    Case(
        "fruit_nearest_knife", "Which fruit is closest to the knife?",
        _p('''
        def execute_command(image) -> str:
            image_patch = ImagePatch(image)
            knife = image_patch.find("knife")[0]
            fruits = image_patch.find("fruit")
            fruits.sort(key=lambda f: distance(f, knife))
            return fruits[0].simple_query("What is this?")
        '''),
        FRUIT, "orange", "gaps to the knife: orange about 54, banana about 145, apples farther",
    ),
    # ---- desk ----
    Case(
        "desk_mug_text", "What is written on the mug?",
        _p('''
        def execute_command(image) -> str:
            image_patch = ImagePatch(image)
            mug_patches = image_patch.find("mug")
            if len(mug_patches) == 0:
                return image_patch.simple_query("What is written on the mug?")
            return mug_patches[0].simple_query("What is written on the mug?")
        '''),
        DESK, "BOSS", "the mug says BOSS",
    ),
    Case(
        "desk_mug_left_of_laptop", "Is the mug to the left of the laptop?",
        _p('''
        def execute_command(image) -> str:
            image_patch = ImagePatch(image)
            mug = image_patch.find("mug")[0]
            laptop = image_patch.find("laptop")[0]
            return bool_to_yesno(mug.horizontal_center < laptop.horizontal_center)
        '''),
        DESK, "no", "mug center 415, laptop center 220",
    ),
    Case(
        "desk_phone_same_color_as_mug", "Is the phone the same color as the mug?",
        _p('''
        def execute_command(image) -> str:
            image_patch = ImagePatch(image)
            phone = image_patch.find("phone")[0]
            mug = image_patch.find("mug")[0]
            same = phone.simple_query("What color is the phone?") == mug.simple_query("What color is the mug?")
            return bool_to_yesno(same)
        '''),
        DESK, "yes", "both are black",
    ),
    Case(
        "desk_notebook_in_front_of_laptop", "Is the notebook in front of the laptop?",
        _p('''
        def execute_command(image) -> str:
            image_patch = ImagePatch(image)
            notebook = image_patch.find("notebook")[0]
            laptop = image_patch.find("laptop")[0]
            return bool_to_yesno(notebook.compute_depth() < laptop.compute_depth())
        '''),
        DESK, "yes", "notebook depth 5, laptop 7",
    ),
    Case(
        "desk_closest_of_three", "Which is closest to the camera: the laptop, the mug or the notebook?",
        _p('''
        def execute_command(image) -> str:
            image_patch = ImagePatch(image)
            candidates = []
            for name in ["laptop", "mug", "notebook"]:
                found = image_patch.find(name)
                if len(found) > 0:
                    candidates.append((found[0].compute_depth(), name))
            return min(candidates)[1]
        '''),
        DESK, "notebook", "depths: laptop 7, mug 6, notebook 5",
    ),
    Case(
        "desk_pen_below_mug", "Is there a pen below the mug?",
        _p('''
        def execute_command(image) -> str:
            image_patch = ImagePatch(image)
            mug = image_patch.find("mug")[0]
            pens = image_patch.find("pen")
            return bool_to_yesno(any(pen.vertical_center < mug.lower for pen in pens))
        '''),
        DESK, "yes", "pen vertical_center 480-367.5=112.5 < mug lower edge 150",
    ),
    Case(
        "desk_lamp_taller_than_laptop", "Is the lamp taller than the laptop?",
        _p('''
        def execute_command(image) -> str:
            image_patch = ImagePatch(image)
            lamp = image_patch.find("lamp")[0]
            laptop = image_patch.find("laptop")[0]
            return bool_to_yesno(lamp.height > laptop.height)
        '''),
        DESK, "yes", "lamp 190 tall, laptop 180",
    ),
    Case(
        "desk_laptop_company_country", "In which country is the company that made the laptop based?",
        _p('''
        def execute_command(image) -> str:
            image_patch = ImagePatch(image)
            laptop = image_patch.find("laptop")[0]
            brand = laptop.simple_query("What brand is the laptop?")
            return laptop.llm_query("In which country is the company {} based?".format(brand), long_answer=False)
        '''),
        DESK, "Canada", "brand acme; the chat model says Canada",
    ),
    Case(
        "desk_day_or_night", "Is it day or night?",
        _p('''
        def execute_command(image) -> str:
            image_patch = ImagePatch(image)
            return image_patch.simple_query("Is it day or night?")
        '''),
        DESK, "night", "the picture's table says night",
    ),
    Case(
        "desk_phone_right_of_mug_below_lamp", "Is the phone right of the mug and below the lamp?",
        _p('''
        def execute_command(image) -> str:
            image_patch = ImagePatch(image)
            phone = image_patch.find("phone")[0]
            mug = image_patch.find("mug")[0]
            lamp = image_patch.find("lamp")[0]
            return bool_to_yesno(phone.left > mug.right and phone.upper < lamp.lower)
        '''),
        DESK, "yes", "phone left 480 > mug right 450; phone upper 180 < lamp lower 250",
    ),
]


# More programs, written with visprog's ImagePatch: tests/viper/corpus_extra.py (it reads
# this module's scenes, so it is imported last).
from tests.viper.corpus_extra import EXTRA_CASES, EXTRA_SCENES  # noqa: E402

SCENES = (*SCENES, *EXTRA_SCENES)
CASES.extend(EXTRA_CASES)
