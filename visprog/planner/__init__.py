"""The planner: natural-language request -> checked program -> run, with self-repair.

Works with any langchain-core chat model; offline it defaults to a small local model
with grammar-constrained decoding (see :mod:`visprog.planner.grammar`).
"""

from visprog.planner.core import Planner, PlanResult
from visprog.planner.examples import Example, ExampleSelector, load_examples

__all__ = ["Example", "ExampleSelector", "PlanResult", "Planner", "load_examples"]
