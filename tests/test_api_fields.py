"""The API fields programs and tasks brought to tracker.api.fields (Decimal, DecimalText, Boolean, Choice's null):
Vietnamese messages naming the field, the typed values they load, and what the OpenAPI document says of them."""

from decimal import Decimal as D

import marshmallow as ma
import pytest

from tracker.api.contract import field_messages
from tracker.api.fields import Body, Boolean, Choice, Decimal, DecimalText
from tracker.programs.models import MeasureKind


class Sample(Body):
    amount = Decimal(allow_none=True)
    flag = Boolean()
    kind = Choice(MeasureKind)


class Shown(ma.Schema):
    amount = DecimalText(allow_none=True)


def problems(data) -> dict[str, str]:
    schema = Sample()
    with pytest.raises(ma.ValidationError) as caught:
        schema.load(data)
    return field_messages({"json": caught.value.messages}, schema)


@pytest.mark.parametrize(
    "data, message",
    [
        ({"amount": "4,03"}, "Trường “amount”: “4,03” không phải là số dạng máy đọc: dùng dấu chấm thập phân"),
        ({"amount": "1e3"}, "Trường “amount”: “1e3” không phải là số dạng máy đọc"),
        ({"amount": True}, 'Trường “amount” phải là số, ví dụ 4.03 hoặc "4.03".'),
        ({"amount": [1]}, 'Trường “amount” phải là số, ví dụ 4.03 hoặc "4.03".'),
        ({"amount": float("nan")}, "Trường “amount”: “nan” không phải là số."),
        ({"flag": "true"}, "Trường “flag” phải là true hoặc false."),
        ({"flag": 1}, "Trường “flag” phải là true hoặc false."),
        ({"flag": None}, "Trường “flag” phải là true hoặc false."),
        ({"kind": None}, "Giá trị “null” của “kind” không có; dùng một trong: count, percent, amount"),
        ({"kind": "COUNT"}, "Giá trị “COUNT” của “kind” không có; dùng một trong: count"),
    ],
)
def test_the_fields_name_the_field_in_vietnamese(app, data, message):
    with app.test_request_context():
        found = problems(data)
    assert list(found) == list(data)
    assert found[next(iter(data))].startswith(message), found


def test_decimals_load_from_numbers_and_plain_strings_and_show_as_plain_strings(app):
    with app.test_request_context():
        loaded = [Sample().load({"amount": value})["amount"] for value in ("1234.5", " -3 ", 4.03, 10**25, None)]
        assert loaded == [D("1234.5"), D(-3), D("4.03"), D(10**25), None]
        assert Sample().load({"flag": False, "kind": "amount"}) == {"flag": False, "kind": "amount"}
    shown = [Shown().dump({"amount": value})["amount"] for value in (D("4.0300"), D(600), D("1E+3"), D(0), None)]
    assert shown == ["4.03", "600", "1000", "0", None]


def test_the_document_says_what_the_fields_take(app):
    from apispec import APISpec
    from apispec.ext.marshmallow import MarshmallowPlugin

    spec = APISpec("t", "1", "3.1.0", plugins=[MarshmallowPlugin()])
    spec.components.schema("Sample", schema=Sample)
    spec.components.schema("Shown", schema=Shown)
    sample = spec.to_dict()["components"]["schemas"]["Sample"]["properties"]
    assert sample["amount"]["type"] == ["string", "number", "null"]
    assert sample["flag"]["type"] == "boolean"
    assert sample["kind"]["enum"] == [k.value for k in MeasureKind]
    shown = spec.to_dict()["components"]["schemas"]["Shown"]["properties"]["amount"]
    assert shown["type"] == ["string", "null"] and shown["pattern"] == r"^-?\d+(\.\d+)?$"


def test_a_field_without_an_example_of_its_own_still_names_itself(app):
    """Day reads its values itself; a problem marshmallow raises around it still gets a Vietnamese message naming
    the field, never an exception."""
    from tracker.api.fields import Day

    assert Day(data_key="issued_on").make_error("invalid").messages == ["Trường “issued_on” không hợp lệ."]
