"""The local message sink: masks, records, the JSON-lines file and GET /_pool/messages."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from loadtest.pool.messages import (
    Medium,
    MessageSink,
    Purpose,
    challenge_parameters,
    code_delivery_details,
    mask_email,
    mask_phone,
    send_code,
)
from loadtest.pool.store import Store
from tests.conftest import PoolServer


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        ("+15550100008", "+*******0008"),  # cognito-facts §15: +*******0008
        ("+4915550101234", "+*********1234"),
        ("+1 555-010-0008", "+*******0008"),
    ],
)
def test_phone_numbers_are_masked_as_cognito_masks_them(number: str, masked: str) -> None:
    assert mask_phone(number) == masked


def test_email_addresses_are_masked_as_cognito_masks_them() -> None:
    assert mask_email("jane.doe@example.com") == "j***@e***"


def _send(sink: MessageSink, username: str, purpose: Purpose = Purpose.SMS_MFA) -> str:
    message = send_code(
        sink,
        pool_id="us-east-1_Sink",
        username=username,
        medium=Medium.SMS,
        destination="+15550100042",
        purpose=purpose,
        now=1000.0,
    )
    return message.code


def test_send_code_keeps_the_message_and_appends_a_private_json_line(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "state.sqlite3")
    sink = MessageSink(store=store, file=tmp_path / "messages.jsonl")
    first, second = _send(sink, "ann"), _send(sink, "ann", Purpose.SMS_OTP)
    assert len(first) == 6
    assert first.isdigit()
    assert len(second) == 8
    kept = store.messages.find(username="ann")
    assert [m.code for m in kept] == [first, second]
    lines = [json.loads(line) for line in (tmp_path / "messages.jsonl").read_text().splitlines()]
    assert [line["code"] for line in lines] == [first, second]
    assert lines[0]["destination"] == "+*******0042"
    assert lines[0]["medium"] == "SMS"
    assert stat.S_IMODE((tmp_path / "messages.jsonl").stat().st_mode) == 0o600
    assert challenge_parameters(kept[0]) == {
        "CODE_DELIVERY_DELIVERY_MEDIUM": "SMS",
        "CODE_DELIVERY_DESTINATION": "+*******0042",
    }
    assert code_delivery_details(kept[0])["AttributeName"] == "phone_number"
    store.close()


def test_the_pool_serves_its_messages_newest_last_filtered_by_user_and_pool(
    pool_server: object,
) -> None:
    server: PoolServer = pool_server()  # type: ignore[operator]
    store = Store.open(server.state)  # a second connection, as another worker would be
    sink = MessageSink(store=store)
    codes = [_send(sink, "bob"), _send(sink, "carol"), _send(sink, "bob")]
    store.close()
    answer = server.get_json("/_pool/messages?username=bob")
    assert [m["code"] for m in answer["messages"]] == [codes[0], codes[2]]
    assert set(answer["messages"][0]) == {
        "pool_id", "username", "medium", "destination", "purpose", "code", "sent_at",
    }  # fmt: skip
    assert server.get_json("/_pool/messages?pool_id=us-east-1_Other") == {"messages": []}
    assert len(server.get_json("/_pool/messages?pool_id=us-east-1_Sink")["messages"]) == 3


def test_the_local_sink_code_source_reads_the_newest_code_of_its_purpose(
    pool_server: object,
) -> None:
    from loadtest.flows import CodeRequest, CodeUnavailable, LocalSinkCodes

    server: PoolServer = pool_server()  # type: ignore[operator]
    store = Store.open(server.state)
    sink = MessageSink(store=store)
    _send(sink, "dan")
    newest = _send(sink, "dan")
    _send(sink, "dan", Purpose.SMS_OTP)
    store.close()
    source = LocalSinkCodes(base_url=server.url)
    request = CodeRequest(
        pool_id="us-east-1_Sink", username="dan", medium="SMS", destination="", purpose="SMS_MFA"
    )
    assert source(request) == newest
    with pytest.raises(CodeUnavailable):
        source(CodeRequest(
            pool_id="us-east-1_Sink", username="eve", medium="SMS", destination="",
            purpose="SMS_MFA",
        ))  # fmt: skip
