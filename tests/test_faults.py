"""A create missing a field the client cannot write: a logged 500, never a 422 naming it."""

from __future__ import annotations

import logging
from typing import Annotated, Any

import pytest
from beanie import Document
from starlette.requests import Request

from autoapi import Access, Hidden
from autoapi.faults import MISSING, missing_unwritable
from autoapi.introspect import inspect_model
from tests.conftest import MakeClient, assert_problem


class Badge(Document):
    name: str
    owner: str  # required: a policy stamps it, or leaves it to the client
    code: Annotated[str, Hidden]  # required, hidden, no default: a hook must set it

    class Settings:
        name = "badges"


MODEL_SPEC = inspect_model(Badge)
STAMPED = Access(stamp={"owner": "ann"})
NAME_ONLY = Access(write_fields={"name"})


def missing(field: str) -> dict[str, str]:
    return {"field": field, "message": MISSING}


@pytest.mark.parametrize(
    ("access", "errors", "expected"),
    [
        (Access(), [missing("code")], ["code"]),  # hidden
        (Access(), [missing("name")], []),  # the client's to give
        (Access(), [missing("owner"), missing("name")], []),
        (STAMPED, [missing("owner")], ["owner"]),  # stamped
        (NAME_ONLY, [missing("owner")], ["owner"]),  # outside write_fields
        (NAME_ONLY, [missing("name")], []),
        (Access(), [{"field": "code", "message": "must be a string"}], []),  # given, not missing
        (Access(), [missing("[3].code"), missing("[4].code")], ["code"]),  # bulk entries
        (Access(), [missing("code.part")], ["code.part"]),  # inside a hidden field
        (Access(), [missing("body")], []),
    ],
)
def test_missing_unwritable(
    access: Access, errors: list[dict[str, str]], expected: list[str]
) -> None:
    assert missing_unwritable(MODEL_SPEC, access, errors) == expected


class Minted(Document):
    name: str
    owner: str
    code: Annotated[str, Hidden] = "minted"

    class Settings:
        name = "minted"


def stamps_owner(request: Request, model: Any) -> Access:
    return Access(stamp={"owner": "ann"})


async def test_a_hidden_required_field_left_unset_is_a_logged_500(
    make_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    api = await make_client(models=[Badge])
    with caplog.at_level(logging.ERROR, logger="autoapi"):
        sent = await api.post("/api/badges", json={"name": "a", "owner": "o"})
    body = assert_problem(sent, 500)
    assert body["code"] == "internal" and body["request_id"] == sent.headers["X-Request-ID"]
    assert "code" not in body["detail"] and "errors" not in body
    lines = [r.getMessage() for r in caplog.records if "cannot write" in r.getMessage()]
    assert len(lines) == 1 and "without code" in lines[0] and body["request_id"] in lines[0]
    assert (await api.get("/api/badges")).json()["total"] == 0


async def test_a_field_the_client_can_write_stays_its_fault(make_client: MakeClient) -> None:
    api = await make_client(models=[Minted])
    assert_problem(await api.post("/api/minted", json={"name": "a"}), 422, "owner")
    stamped = await make_client(models=[Minted], policy=stamps_owner)
    body = assert_problem(await stamped.post("/api/minted", json={}), 422, "name")
    assert "owner" not in str(body)
    assert (await stamped.post("/api/minted", json={"name": "a"})).json()["owner"] == "ann"


@pytest.mark.parametrize("bulk", [False, True])
async def test_outside_write_fields_left_unset_is_a_500(
    make_client: MakeClient, bulk: bool, caplog: pytest.LogCaptureFixture
) -> None:
    api = await make_client(models=[Minted], policy=lambda r, m: Access(write_fields={"name"}))
    body: Any = [{"name": "a"}, {"name": "b"}] if bulk else {"name": "a"}
    with caplog.at_level(logging.ERROR, logger="autoapi"):
        sent = await api.post("/api/minted", json=body)
    assert assert_problem(sent, 500)["code"] == "internal"
    assert "owner" not in sent.text
    assert any("without owner" in r.getMessage() for r in caplog.records)
