import json

import pytest

from tests.helpers import make_registry, noop, tags
from visprog import Alias, Registry, RegistryError, tool
from visprog.errors import ToolError


def test_tool_from_signature_and_docstring():
    assert noop.name == "noop"
    assert noop.description == "Return the number given."
    [param] = noop.params
    assert (param.name, param.type_name, param.default, param.description) == ("x", "int", 0, "any integer.")
    assert noop.returns == "int" and noop.returns_doc == "The same integer."


def test_json_schema_generated_from_signature():
    schema = tags.input_schema
    assert schema["properties"]["names"]["type"] == "array"
    assert schema["properties"]["names"]["items"] == {"type": "string"}
    assert schema["required"] == ["names"]
    assert schema["additionalProperties"] is False


def test_value_types_are_marked_in_schemas():
    from visprog_tools.image_ops import crop

    props = crop.input_schema["properties"]
    assert props["image"]["x-visprog-type"] == "Image"
    assert props["margin"] == {"type": "number", "description": props["margin"]["description"], "default": 1.5}


def test_call_validates_arguments():
    assert tags(names=["a", "b"]) == 2
    with pytest.raises(ToolError, match="argument 'names'"):
        tags(names="ab")
    with pytest.raises(ToolError, match="unknown argument 'nope'"):
        noop(nope=1)
    with pytest.raises(ToolError, match="expected int, got str"):
        noop(x="1")


def test_tool_definitions_need_types_and_docs():
    with pytest.raises(RegistryError, match="docstring"):
        @tool
        def undocumented(x: int) -> int:
            return x

    with pytest.raises(RegistryError, match="type annotation"):
        @tool
        def untyped(x) -> int:  # type: ignore[no-untyped-def]
            """Doc.

            Args:
                x: a value.
            """
            return x

    with pytest.raises(RegistryError, match="ordinary named parameter"):
        @tool
        def varargs(*xs: int) -> int:
            """Doc."""
            return 0


def test_registry_compose_and_clash():
    first = Registry([noop])
    second = Registry([tags])
    both = first | second
    assert both.names() == ["noop", "tags"]
    with pytest.raises(RegistryError, match="already registered"):
        first | Registry([noop])
    assert len((first.merged(Registry([noop]), override=True)).tools) == 1


def test_aliases_map_argument_names():
    registry = Registry([noop], [Alias("NOOP", "noop", {"value": "x"})])
    resolved = registry.resolve("NOOP")
    assert resolved.tool is noop and resolved.canonical_argument("value") == "x"
    with pytest.raises(RegistryError, match="unknown argument"):
        registry.add_alias(Alias("BAD", "noop", {"y": "nope"}))
    with pytest.raises(RegistryError, match="unknown tool"):
        registry.add_alias(Alias("BAD", "missing"))


def test_stubs_render_typed_python_with_docstrings():
    stubs = make_registry().stubs(["noop"])
    assert stubs.startswith("def noop(x: int = 0) -> int:\n    \"\"\"Return the number given.")
    assert "    Args:\n        x: any integer." in stubs
    compile(stubs + "\n    ...\n", "<stubs>", "exec")  # valid Python once given a body


def test_default_registry_has_visprog_names():
    from visprog import default_registry

    names = set(default_registry().names())
    expected = {
        "LOC", "COUNT", "CROP", "CROP_LEFTOF", "CROP_RIGHTOF", "CROP_ABOVE", "CROP_BELOW", "CROP_FRONTOF",
        "CROP_INFRONT", "CROP_INFRONTOF", "CROP_BEHIND", "CROP_AHEAD", "VQA", "EVAL", "RESULT", "SEG", "SELECT",
        "COLORPOP", "BGBLUR", "REPLACE", "EMOJI", "FACEDET", "LIST", "CLASSIFY", "TAG",
    }
    assert expected <= names


def test_json_export_round_trips_through_json():
    from visprog import default_registry

    exported = default_registry().to_json()
    again = json.loads(json.dumps(exported))
    detect = next(d for d in again if d["name"] == "detect")
    assert {"name": "LOC", "arguments": {"image": "image", "object": "query"}} in detect["aliases"]
    assert detect["parameters"]["properties"]["threshold"]["default"] == 0.1


def test_langchain_export():
    from langchain_core.tools import BaseTool
    from langchain_core.utils.function_calling import convert_to_openai_tool

    lc_tools = make_registry().to_langchain()
    assert all(isinstance(t, BaseTool) for t in lc_tools)
    lc_noop = next(t for t in lc_tools if t.name == "noop")
    assert lc_noop.invoke({"x": 4}) == 4
    spec = convert_to_openai_tool(next(t for t in lc_tools if t.name == "tags"))
    assert spec["function"]["parameters"]["properties"]["names"]["type"] == "array"


def test_closest_name_suggestions():
    registry = make_registry()
    assert registry.closest("NOOP") == "noop"
    assert registry.closest("fnid") == "find"
    assert registry.closest("zzzzzz") is None
