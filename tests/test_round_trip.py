"""forms.round_trip's hooks (validate_more, on_stale) and the password change that goes through it."""

import re

from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired

from tracker.errors import StaleVersion, ValidationError
from tracker.forms import round_trip


class _Form(FlaskForm):
    class Meta:
        csrf = False

    name = StringField(validators=[DataRequired("name is required")])
    code = StringField()


def _never():
    raise AssertionError("an invalid form is never saved")


def test_validate_more_names_only_the_fields_the_form_left_alone(app):
    ran = []

    def more():
        ran.append(True)
        raise ValidationError({"name": "name again", "code": "bad code", "row 3": "not a field"})

    with app.test_request_context(method="POST", data={"name": "", "code": "x"}):
        form = _Form()
        page, status = round_trip(form, _never, lambda: "page", _never, validate_more=more)
    assert (page, status, ran) == ("page", 400, [True])
    assert form.name.errors == ["name is required"]  # said once, by the form itself
    assert form.code.errors == ["bad code"]
    assert form.form_errors == ["not a field"]


def test_validate_more_does_not_run_on_a_get(app):
    with app.test_request_context(method="GET"):
        form = _Form()
        assert round_trip(form, _never, lambda: "page", _never, validate_more=_never) == ("page", 200)


def test_on_stale_answers_409_with_its_own_page(app):
    def save():
        raise StaleVersion()

    with app.test_request_context(method="POST", data={"name": "a"}):
        form = _Form()
        answer = round_trip(form, save, lambda: "the submitted form", _never, on_stale=lambda: "reloaded")
    assert answer == ("reloaded", 409)
    assert form.form_errors == []


def _field_error(page, name: str) -> str:
    match = re.search(rf'data-field="{name}">([^<]*)<', page.get_data(as_text=True))
    return match.group(1) if match else ""


def test_a_wrong_current_password_is_named_on_its_field_and_changes_nothing(client, auth, users):
    auth.login("member")
    new = "Mot-mat-khau-moi-2026"
    response = client.post("/password", data={"current": "not-the-password", "password": new, "confirm": new})
    assert response.status_code == 400
    assert _field_error(response, "current") == "Mật khẩu hiện tại không đúng."
    assert client.get("/").status_code == 200  # the session was not ended
    auth.logout()
    assert auth.login("member", new).status_code != 302
    assert auth.login("member").status_code == 302  # the old password still opens the account
