from jike.gateway.tests.helpers import BANK, Esme, base_config, receipt_id


def test_submit_and_receipt_roundtrip(make_env):
    env = make_env()
    env.start(base_config(env.sim_ports()))
    esme = Esme(env.port)
    esme.bind(BANK, "bankpw")
    seq = esme.submit_text("13912345678", "【某银行】您的账户余额为100元", registered_delivery=1)
    resp = esme.wait_resps([seq])[0]
    assert resp.status == 0
    got = env.wait_received(1)
    assert got[0].destination == "13912345678"
    assert got[0].data.decode("utf-16-be") == "【某银行】您的账户余额为100元"
    delivers = esme.wait_delivers(1)
    assert receipt_id(delivers[0]) == resp.message_id.decode()
    assert b"stat:DELIVRD" in delivers[0].short_message
    esme.close()
