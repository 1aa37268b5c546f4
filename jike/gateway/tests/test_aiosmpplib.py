"""A second independent SMPP implementation as the enterprise: aiosmpplib (asyncio ESME).

It encodes Chinese text itself (UCS2, switching to message_payload when long), parses our
receipts with its own parser, and correlates them with the ids from our submit_sm_resp.
"""

import asyncio
import time

from aiosmpplib import ESME, PhoneNumber, SubmitSm
from aiosmpplib.hook import AbstractHook
from aiosmpplib.protocol import DeliverSm, SubmitSmResp

from jike.gateway.tests.helpers import BANK, base_config


class Recorder(AbstractHook):  # type: ignore[misc]
    def __init__(self):
        self.resps = {}
        self.receipts = []
        self.errors = []

    async def sending(self, smpp_message, pdu, client_id):
        pass

    async def received(self, smpp_message, pdu, client_id):
        if isinstance(smpp_message, SubmitSmResp):
            self.resps[smpp_message.log_id] = smpp_message
        elif isinstance(smpp_message, DeliverSm) and smpp_message.is_receipt():
            self.receipts.append(smpp_message.parse_receipt())

    async def send_error(self, smpp_message, error, client_id):
        if error is not None:
            self.errors.append(error)


def test_aiosmpplib_client_submits_chinese_and_gets_receipts(make_env):
    env = make_env()
    env.start(base_config(env.sim_ports()))
    hook = Recorder()
    texts = {
        "short": "【某银行】您的验证码是123456",
        "long": "【某银行】" + "尊敬的客户您好，本月账单已出。" * 8,  # 125 chars: aiosmpplib uses message_payload
    }

    async def scenario():
        esme = ESME("127.0.0.1", env.port, BANK, "bankpw", hook=hook, log_level="WARNING", enquire_link_interval=30.0)
        task = asyncio.create_task(esme.start())
        for log_id, text in texts.items():
            await esme.broker.enqueue(
                SubmitSm(
                    short_message=text,
                    source=PhoneNumber("1069001"),
                    destination=PhoneNumber("13912345678"),
                    log_id=log_id,
                    encoding="ucs2",
                    registered_delivery=1,
                )
            )
        deadline = time.monotonic() + 10
        while (len(hook.resps) < 2 or len(hook.receipts) < 2) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        await esme.stop()
        task.cancel()

    asyncio.run(scenario())
    assert not hook.errors
    assert set(hook.resps) == {"short", "long"}
    ids = {r.message_id for r in hook.resps.values()}
    assert {r["id"] for r in hook.receipts} == ids
    assert all(r["stat"] == "DELIVRD" for r in hook.receipts)
    got = env.wait_received(2)
    assert sorted(r.data.decode("utf-16-be") for r in got) == sorted(texts.values())
    assert env.lt.call(lambda: env.gw.stats.accepted_segments) == 1 + 2
