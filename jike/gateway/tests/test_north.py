"""North side: binds, bind failures, protocol basics — checked with smpplib as the client."""

import socket
import struct

import pytest
import smpplib.consts
import smpplib.exceptions
import smpplib.smpp

from jike.gateway import pdu
from jike.gateway.tests.helpers import BANK, SCHOOL, Esme, account, base_config


def bind_status(port, system_id, password, mode="transceiver"):
    esme = Esme(port)
    try:
        esme.bind(system_id, password, mode)
        return 0, esme
    except smpplib.exceptions.PDUError as exc:
        esme.close()
        return exc.args[1], None


@pytest.fixture
def env(make_env):
    env = make_env()
    cfg = base_config(env.sim_ports())
    account(cfg, SCHOOL)["allowed_ips"] = ["10.1.2.0/24"]
    env.start(cfg)
    return env


def test_bind_failures_have_their_own_codes(env):
    assert bind_status(env.port, "nobody", "x")[0] == pdu.ESME_RINVSYSID
    assert bind_status(env.port, BANK, "wrong")[0] == pdu.ESME_RINVPASWD
    # the school's account only admits 10.1.2.0/24 (hashed password "123" is right)
    assert bind_status(env.port, SCHOOL, "123")[0] == pdu.ESME_RBINDFAIL
    status = env.lt.call(lambda: env.gw.status()["counters"]["bind_failed"])
    assert status == {"unknown_system_id": 1, "bad_password": 1, "ip_not_allowed": 1}


def test_max_binds_per_account(env):
    sessions = []
    for mode in ("transmitter", "receiver", "transceiver"):
        status, esme = bind_status(env.port, BANK, "bankpw", mode)
        assert status == 0
        sessions.append(esme)
    assert bind_status(env.port, BANK, "bankpw")[0] == pdu.ESME_RBINDFAIL
    sessions[0].client.unbind()
    sessions[0].close()
    # the freed bind slot is usable again
    import time

    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        status, esme = bind_status(env.port, BANK, "bankpw")
        if status == 0:
            sessions.append(esme)
            break
        time.sleep(0.05)
    assert status == 0
    for s in sessions[1:]:
        s.close()


def test_submit_needs_a_transmitting_bind(env):
    esme = Esme(env.port)
    # not bound at all: force smpplib past its own state check
    esme.client.state = smpplib.consts.SMPP_CLIENT_STATE_BOUND_TX
    seq = esme.submit_text("13912345678", "【某银行】hello")
    assert esme.status_of(seq) == pdu.ESME_RINVBNDSTS
    esme.close()
    rx = Esme(env.port)
    rx.bind(BANK, "bankpw", "receiver")
    rx.client.state = smpplib.consts.SMPP_CLIENT_STATE_BOUND_TRX
    seq = rx.submit_text("13912345678", "【某银行】hello")
    assert rx.status_of(seq) == pdu.ESME_RINVBNDSTS
    rx.close()


def test_enquire_link_unbind_and_generic_nack(env):
    esme = Esme(env.port)
    esme.bind(BANK, "bankpw")
    link = smpplib.smpp.make_pdu("enquire_link", client=esme.client)
    esme.client.send_pdu(link)
    resp = esme.read()
    assert resp.command == "enquire_link_resp" and resp.sequence == link.sequence
    # an unknown command id gets generic_nack ESME_RINVCMDID (raw bytes: smpplib can't send it)
    esme.client._socket.sendall(struct.pack(">IIII", 16, 0x00000077, 0, 4242))
    nack = esme.read()
    assert nack.command == "generic_nack"
    assert nack.status == pdu.ESME_RINVCMDID and nack.sequence == 4242
    unbind = esme.client.unbind()
    assert unbind.command == "unbind_resp" and unbind.status == 0
    esme.close()


def test_invalid_command_length_closes_with_generic_nack(env):
    s = socket.create_connection(("127.0.0.1", env.port), timeout=5)
    s.sendall(struct.pack(">IIII", 8, pdu.ENQUIRE_LINK, 0, 1))
    data = s.recv(64)
    _length, cid, status, _ = struct.unpack(">IIII", data[:16])
    assert cid == pdu.GENERIC_NACK and status == pdu.ESME_RINVCMDLEN
    assert s.recv(64) == b""  # connection closed
    s.close()


def test_windowed_submits_all_answered_in_order_of_sequence(env):
    esme = Esme(env.port)
    esme.bind(BANK, "bankpw")
    seqs = [esme.submit_text(f"139{i:08d}", f"【某银行】第{i}条") for i in range(50)]
    resps = esme.wait_resps(seqs)
    assert [r.status for r in resps] == [0] * 50
    ids = {r.message_id for r in resps}
    assert len(ids) == 50
    got = env.wait_received(50)
    assert len(got) == 50
    esme.close()
