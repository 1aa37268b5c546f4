"""The gateway process: ties the north sessions, the policy pipeline, the store, the south
connectors and the CDR sink together.  Everything runs on one event loop; the only threads are
the WAL writer (write+fsync), the CDR writer (COPY / Parquet) and, during a reload, the snapshot
parser (asyncio.to_thread).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

from jike.gateway import pdu, text
from jike.gateway.cdr import CdrSink
from jike.gateway.concat import Reassembly, evaluate_group
from jike.gateway.config import Settings, Snapshot, load_snapshot
from jike.gateway.message import MO, MT, IdGenerator, Message
from jike.gateway.metrics import Stats
from jike.gateway.native import compiled_modules
from jike.gateway.north import EsmeSession
from jike.gateway.policy import FlowControl, Rejected, evaluate
from jike.gateway.south import Connector, UpstreamSession
from jike.gateway.store import Store

log = logging.getLogger("jike.gateway")

FAILED_STATUSES = frozenset({"REJECTD", "FAILED"})


_minute_cache: dict[int, str] = {}


def _smpp_time(ts: float) -> str:
    """YYMMDDhhmm in Asia/Shanghai, as receipts carry it (cached per minute)."""
    minute = int(ts // 60)
    text = _minute_cache.get(minute)
    if text is None:
        if len(_minute_cache) > 1024:
            _minute_cache.clear()
        text = _minute_cache[minute] = time.strftime("%y%m%d%H%M", time.gmtime(minute * 60 + 8 * 3600))
    return text


class Gateway:
    def __init__(self, settings: Settings, snapshot: Snapshot, config_path: str | None = None) -> None:
        self.settings = settings
        self.snapshot = snapshot
        self.config_path = config_path
        self.stats = Stats()
        data_dir = Path(settings.data_dir)
        data_dir.mkdir(parents=True, exist_ok=True)
        self.store = Store(data_dir / "wal", settings.segment_bytes)
        self.flow = FlowControl(data_dir / "quota.json")
        self.cdr = CdrSink(settings.cdr_dsn, settings.parquet_dir, settings.cdr_flush_s)
        self.cdr.on_done = self.cdr_done
        self.ids = IdGenerator()
        self.concat = Reassembly(settings.concat_timeout_s, settings.concat_max_parts)
        self.messages: dict[int, Message] = {}
        self.awaiting: dict[int, Message] = {}  # submitted upstream, waiting for a receipt
        # per connector name: SMSC message id -> message awaiting its receipt, and receipts that
        # arrived before their submit_sm_resp (shared by a connector and its replacement)
        self.smsc_map: dict[str, dict[str, Message]] = {}
        self.early_receipts: dict[str, dict[str, tuple[str, int]]] = {}
        self.outbox: dict[str, deque[Message]] = {}
        self._outbox_dirty: set[str] = set()
        self._outbox_turn = 0
        self._delivered_ids: list[int] = []
        self.receivers: dict[str, list[EsmeSession]] = {}
        self.bound: dict[str, set[EsmeSession]] = {}
        self.sessions: set[EsmeSession] = set()
        self.connectors: dict[str, Connector] = {}
        self.server: Any = None  # asyncio.Server, or uvloop's (its .sockets is a list, not a tuple)
        self.admin: Any = None
        self._tasks: list[asyncio.Task[None]] = []
        self._config_mtime = 0.0
        self._reload_lock = asyncio.Lock()
        self._reload_tasks: set[asyncio.Task[bool]] = set()
        self.started_at = time.time()

    # --- lifecycle -----------------------------------------------------------------------------

    async def start(self) -> None:
        self.recover()
        self.store.open()
        self.cdr.start()
        for cfg in self.snapshot.connectors.values():
            self._add_connector(cfg.name)
        self._redispatch_recovered()
        loop = asyncio.get_running_loop()
        s = self.settings
        self.server = await loop.create_server(lambda: EsmeSession(self), s.host, s.port, reuse_address=True)
        if s.admin_port >= 0:
            from jike.gateway.admin import start_admin

            self.admin = await start_admin(self, s.admin_host, s.admin_port)
        self._tasks.append(loop.create_task(self._housekeeping()))
        if self.config_path:
            self._config_mtime = os.stat(self.config_path).st_mtime
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(signal.SIGHUP, self.reload_soon)
        self.log_event(
            "gateway_started",
            port=self.port,
            admin_port=self.admin_port,
            recovered=len(self.messages),
            snapshot=self.snapshot.version,
            compiled=",".join(compiled_modules()) or "none",
        )

    @property
    def port(self) -> int:
        assert self.server is not None
        return int(self.server.sockets[0].getsockname()[1])

    @property
    def admin_port(self) -> int:
        return int(self.admin.sockets[0].getsockname()[1]) if self.admin is not None else -1

    async def stop(self) -> None:
        for t in self._tasks:
            t.cancel()
        if self.server is not None:
            self.server.close()
        if self.admin is not None:
            self.admin.close()
        for sess in list(self.sessions):
            sess.close()
        for conn in list(self.connectors.values()):
            await conn.stop()
        await self.cdr.close()
        await self.store.close()
        self.flow.save()
        self.log_event("gateway_stopped")

    def log_event(self, event: str, **fields: Any) -> None:
        log.info(event, extra={"event": event, **fields})

    # --- recovery ------------------------------------------------------------------------------

    def recover(self) -> None:
        msgs: dict[int, Message] = {}
        for seg, rec in self.store.recover():
            kind = rec[0]
            if kind in ("A", "M"):
                m = Message.from_record(rec)
                m.seg = seg
                msgs[m.id] = m
                self.ids.bump(m.id)
                continue
            if kind == "G":  # a held group was judged and accepted: forward (with these bodies)
                bodies = rec[2]
                for mid in rec[1]:
                    m2 = msgs.get(mid)
                    if m2 is not None:
                        m2.held = False
                        m2.body = bodies.get(mid, m2.body)
                continue
            if kind == "C" or kind == "D":
                for mid in rec[1]:
                    m2 = msgs.get(mid)
                    if m2 is not None:
                        if kind == "C":
                            m2.cdr_done = True
                        else:
                            m2.delivered = True
                continue
            m2 = msgs.get(rec[1]) if len(rec) > 1 else None
            if m2 is None:
                continue
            if kind == "S":
                m2.connector, m2.smsc_id, m2.t_submit = rec[2], rec[3], rec[4]
            elif kind == "F":
                m2.status, m2.err, m2.t_done = rec[2], rec[3], rec[4]
                if len(rec) > 5:
                    m2.reason = rec[5]
        for m in msgs.values():
            if m.status and m.delivered and m.cdr_done:
                continue
            self.messages[m.id] = m
            self.store.hold(m.seg)
            if m.status:
                if not m.cdr_done:
                    self.cdr.add(self._cdr_row(m), m.id)
                if not m.delivered:
                    self._outbox_add(m)
            elif m.kind == MO:
                self._outbox_add(m)
            elif m.smsc_id:
                self.awaiting[m.id] = m
                self.smsc_map.setdefault(m.connector, {})[m.smsc_id] = m

    def _redispatch_recovered(self) -> None:
        accounts = self.snapshot.accounts
        now = time.time()  # held parts get a full concat_timeout_s from the restart
        for m in sorted(self.messages.values(), key=lambda m: m.id):
            if m.kind == MT and not m.status and not m.smsc_id:
                acc = accounts.get(m.system_id)
                if acc is not None and acc.ordering == "account":
                    m.okey = (m.system_id, m.queue)
                if m.held:
                    for cause, parts in list(self.concat.add(m, now)):
                        self._release(cause, parts)
                else:
                    self._dispatch(m)

    # --- north: binds --------------------------------------------------------------------------

    def authenticate(self, session: EsmeSession, bind: pdu.Bind) -> int:
        acc = self.snapshot.accounts.get(bind.system_id)
        reason = ""
        status = pdu.ESME_ROK
        if acc is None:
            reason, status = "unknown_system_id", pdu.ESME_RINVSYSID
        elif not acc.check_password(bind.password):
            reason, status = "bad_password", pdu.ESME_RINVPASWD
        elif not acc.enabled:
            reason, status = "disabled", pdu.ESME_RBINDFAIL
        elif not acc.ip_allowed(session.peer):
            reason, status = "ip_not_allowed", pdu.ESME_RBINDFAIL
        elif len(self.bound.get(acc.system_id, ())) >= acc.max_binds:
            reason, status = "max_binds", pdu.ESME_RBINDFAIL
        if reason:
            self.stats.bind_failed[reason] = self.stats.bind_failed.get(reason, 0) + 1
            self.log_event("bind_refused", system_id=bind.system_id, peer=session.peer, reason=reason)
        else:
            self.stats.bind_ok += 1
        return status

    def session_bound(self, session: EsmeSession) -> None:
        sid = session.system_id
        self.bound.setdefault(sid, set()).add(session)
        self.log_event("esme_bound", system_id=sid, peer=session.peer, mode=session.state)
        if session.can_receive:
            self.receivers.setdefault(sid, []).append(session)
            self.pump_outbox(sid)

    def session_closed(self, session: EsmeSession) -> None:
        self.sessions.discard(session)
        sid = session.system_id
        if not sid:
            return
        group = self.bound.get(sid)
        if group is not None and session in group:
            group.discard(session)
            self.log_event("esme_unbound", system_id=sid, peer=session.peer)
        rx = self.receivers.get(sid)
        if rx is not None and session in rx:
            rx.remove(session)
        if session.inflight:
            pending = sorted(session.inflight.values(), key=lambda m: m.id)
            session.inflight.clear()
            self.outbox.setdefault(sid, deque()).extendleft(reversed(pending))
            self.pump_outbox(sid)

    def bind_counts(self) -> dict[str, int]:
        return {sid: len(s) for sid, s in self.bound.items() if s}

    # --- north: submit_sm ----------------------------------------------------------------------

    def submit(self, session: EsmeSession, seq: int, body: bytes) -> None:
        t_mono = time.perf_counter()
        now = time.time()
        snap = self.snapshot
        acc = snap.accounts.get(session.system_id)
        stats = self.stats
        if acc is None or not acc.enabled:
            stats.reject("access")
            session.respond(pdu.SUBMIT_SM_RESP, pdu.ESME_RINVSYSID, seq)
            return
        if len(self.messages) >= self.settings.max_pending:
            stats.reject("overload")
            session.respond(pdu.SUBMIT_SM_RESP, pdu.ESME_RMSGQFUL, seq)
            return
        sm = pdu.decode_sm(body)  # PDUError -> answered by the session with its status
        try:
            ok = evaluate(snap, acc, sm, self.flow, now)
        except Rejected as rej:
            stats.reject(rej.reason)
            session.respond(pdu.SUBMIT_SM_RESP, rej.status, seq)
            mid = self.ids.next()
            self.cdr.add(
                (
                    format(mid, "x"),
                    MT,
                    acc.enterprise_code,
                    acc.system_id,
                    acc.product,
                    acc.content_class,
                    sm.source_addr,
                    sm.destination_addr,
                    1,
                    sm.priority_flag,
                    "",
                    "",
                    now,
                    0.0,
                    now,
                    "REJECTED",
                    rej.status,
                    rej.reason,
                    False,
                ),
                None,
            )
            return
        body, dst, src, queue, connectors, segments, want_receipt, content_class, concat, hold = ok
        msg = Message(
            self.ids.next(),
            MT,
            acc.system_id,
            acc.enterprise_code,
            acc.product,
            content_class,
            src,
            dst,
            body,
            queue,
            want_receipt,
            segments,
            connectors,
            now,
            concat,
            sm.priority_flag,
            hold,
        )
        msg.t_mono = t_mono
        if acc.ordering == "account":
            msg.okey = (acc.system_id, queue)
        self.messages[msg.id] = msg
        store = self.store
        msg.seg = store.append(msg.accept_record(), lambda ok_: self._accepted(session, seq, msg, ok_))
        store.hold(msg.seg)

    def _accepted(self, session: EsmeSession, seq: int, msg: Message, durable: bool) -> None:
        if not durable:
            self.messages.pop(msg.id, None)
            self.store.release(msg.seg)
            session.respond(pdu.SUBMIT_SM_RESP, pdu.ESME_RSYSERR, seq)
            return
        session.respond(pdu.SUBMIT_SM_RESP, pdu.ESME_ROK, seq, msg.hid.encode() + b"\0")
        st = self.stats
        st.accepted += 1
        st.accepted_segments += msg.segments
        st.submit_latency.observe(time.perf_counter() - msg.t_mono)
        if msg.held:
            for cause, parts in list(self.concat.add(msg, time.time())):
                self._release(cause, parts)
            return
        self._dispatch(msg)

    def _release(self, cause: str, parts: list[Message]) -> None:
        """Judge a group of held parts on its joined text (concat.py); forward or refuse every part."""
        st = self.stats
        st.concat_groups[cause] = st.concat_groups.get(cause, 0) + 1
        try:
            rebuilt = evaluate_group(self.snapshot, self.snapshot.accounts.get(parts[0].system_id), parts)
        except (Rejected, pdu.PDUError, text.TextError, ValueError) as exc:
            rej = exc if isinstance(exc, Rejected) else Rejected("content")
            for m in parts:
                m.held = False
                m.reason = rej.reason
                st.reject(rej.reason)
                self._finalize(m, "REJECTD", rej.status)
            return
        # recorded before any part goes upstream: after a crash the parts are forwarded, not held again
        self.store.append(("G", [m.id for m in parts], rebuilt))
        for m in parts:
            m.held = False
            m.body = rebuilt.get(m.id, m.body)
            self._dispatch(m)

    def _dispatch(self, msg: Message) -> None:
        conns = self.connectors
        chosen: Connector | None = None
        for i, name in enumerate(msg.connectors):
            c = conns.get(name)
            if c is None:
                continue
            if chosen is None:
                chosen, msg.conn_idx = c, i
            if c.up:
                chosen, msg.conn_idx = c, i
                break
        if chosen is None:
            self._finalize(msg, "FAILED", pdu.ESME_RINVDSTADR)
            return
        chosen.enqueue(msg)

    # --- south: responses and receipts ---------------------------------------------------------

    def submitted(self, msg: Message, conn: Connector, smsc_id: str, on_durable: Callable[[bool], None]) -> None:
        """The SMSC accepted msg (submit_sm_resp OK): record the id mapping (S record)."""
        name = conn.name
        msg.connector = name
        msg.smsc_id = smsc_id
        t = msg.t_submit = time.time()
        self.stats.upstream_submitted += 1
        self.store.append(("S", msg.id, name, smsc_id, t), on_durable)
        early = conn.early_receipts.pop(smsc_id, None) if conn.early_receipts else None
        if early is not None:
            self._receipt(msg, early[0], early[1], None, 0)
            return
        self.awaiting[msg.id] = msg
        conn.smsc_map[smsc_id] = msg

    def submit_failed(self, msg: Message, status: int) -> None:
        self.stats.upstream_failed += 1
        msg.connector = msg.connectors[msg.conn_idx] if msg.connectors else ""
        self._finalize(msg, "REJECTD", status)

    def upstream_deliver(self, session: UpstreamSession, seq: int, body: bytes) -> None:
        fields = pdu.receipt_fields(body)  # the common case, without building a ShortMessage
        if fields is not None and fields[2] >= 0:
            self._upstream_receipt(session, seq, fields[0], fields[1], fields[2])
            return
        try:
            sm = pdu.decode_sm(body)
        except pdu.PDUError as exc:
            session.respond(pdu.DELIVER_SM_RESP, exc.status, seq)
            return
        if sm.esm_class & 0x3C == pdu.ESM_RECEIPT:
            smsc_id, stat, err = pdu.parse_receipt(sm)
            self._upstream_receipt(session, seq, smsc_id, stat, err)
            return
        # mobile originated: route by the service number it was sent to
        sid = self.snapshot.mo_account(sm.destination_addr)
        acc = self.snapshot.accounts.get(sid) if sid else None
        if acc is None:
            session.respond(pdu.DELIVER_SM_RESP, pdu.ESME_RINVDSTADR, seq)
            return
        self.stats.mo_in += 1
        sm.registered_delivery = 0
        msg = Message(
            self.ids.next(),
            MO,
            acc.system_id,
            acc.enterprise_code,
            acc.product,
            acc.content_class,
            sm.source_addr,
            sm.destination_addr,
            pdu.encode_sm(sm),
            1,
            True,
            1,
            (session.connector.name,),
            time.time(),
        )
        msg.connector = session.connector.name
        self.messages[msg.id] = msg

        def done(ok: bool) -> None:
            if not ok:
                self.messages.pop(msg.id, None)
                self.store.release(msg.seg)
                session.respond(pdu.DELIVER_SM_RESP, pdu.ESME_RSYSERR, seq)
                return
            session.respond(pdu.DELIVER_SM_RESP, pdu.ESME_ROK, seq, b"\0")
            self._outbox_add(msg)

        msg.seg = self.store.append(msg.accept_record(), done)
        self.store.hold(msg.seg)

    def _upstream_receipt(self, session: UpstreamSession, seq: int, smsc_id: str, stat: str, err: int) -> None:
        self.stats.receipts_in += 1
        conn = session.connector
        msg = conn.smsc_map.pop(smsc_id, None)
        if msg is None:
            if len(conn.early_receipts) < 10_000:
                conn.early_receipts[smsc_id] = (stat, err)
            else:
                self.stats.receipts_orphan += 1
            session.respond(pdu.DELIVER_SM_RESP, pdu.ESME_ROK, seq, b"\0")
            return
        del self.awaiting[msg.id]
        self._receipt(msg, stat, err, session, seq)

    def _receipt(self, msg: Message, stat: str, err: int, session: UpstreamSession | None, seq: int) -> None:
        """A final status from the SMSC: F record, then ack the SMSC (if it sent one) and finish."""
        msg.status, msg.err = stat, err
        t = msg.t_done = time.time()

        def done(ok: bool) -> None:
            if session is not None:
                session.respond(pdu.DELIVER_SM_RESP, pdu.ESME_ROK if ok else pdu.ESME_RSYSERR, seq, b"\0")
            self._finalized(msg)

        self.store.append(("F", msg.id, stat, err, t), done)

    def _finalize(self, msg: Message, stat: str, err: int) -> None:
        msg.status, msg.err, msg.t_done = stat, err, time.time()
        self.awaiting.pop(msg.id, None)
        if msg.smsc_id:
            self.smsc_map.get(msg.connector, {}).pop(msg.smsc_id, None)
        if msg.reason:
            self.store.append(("F", msg.id, stat, err, msg.t_done, msg.reason))
        else:
            self.store.append(("F", msg.id, stat, err, msg.t_done))
        self._finalized(msg)

    def _finalized(self, msg: Message) -> None:
        st = self.stats
        st.final[msg.status] = st.final.get(msg.status, 0) + 1
        if msg.t_mono:
            st.e2e_latency.observe(time.perf_counter() - msg.t_mono)
        self.cdr.add(self._cdr_row(msg), msg.id)
        if not msg.delivered:
            self._outbox_add(msg)

    # --- north: receipts and MO to the enterprise ----------------------------------------------

    def _outbox_add(self, msg: Message) -> None:
        sid = msg.system_id
        q = self.outbox.get(sid)
        if q is None:
            q = self.outbox[sid] = deque()
        q.append(msg)
        self._schedule_outbox(sid)

    def _schedule_outbox(self, sid: str) -> None:
        """Pump sid's outbox once at the end of this loop iteration (batches the deliver_sm)."""
        if sid not in self._outbox_dirty and self.receivers.get(sid):
            self._outbox_dirty.add(sid)
            if len(self._outbox_dirty) == 1:
                asyncio.get_running_loop().call_soon(self._pump_outboxes)

    def _pump_outboxes(self) -> None:
        dirty, self._outbox_dirty = self._outbox_dirty, set()
        for sid in dirty:
            self.pump_outbox(sid)

    def pump_outbox(self, sid: str) -> None:
        """Hand queued receipts / MO to the account's receiver binds, each up to its window."""
        q = self.outbox.get(sid)
        rx = self.receivers.get(sid)
        if not q or not rx:
            return
        n = len(rx)
        self._outbox_turn = start = (self._outbox_turn + 1) % n  # rotate the first bind served
        receipt_body = self._receipt_body
        for k in range(n):
            s = rx[(start + k) % n]
            if s.write_paused or s.closed:
                continue
            room = s.window - len(s.inflight)
            deliver = s.deliver
            while room > 0 and q:
                msg = q.popleft()
                deliver(msg, msg.body if msg.kind == MO else receipt_body(msg))
                room -= 1
            if not q:
                return

    def _receipt_body(self, msg: Message) -> bytes:
        status = msg.status
        state = pdu.MESSAGE_STATES.get(status, 7 if status not in FAILED_STATUSES else 8)
        return pdu.receipt_body(
            msg.dst,
            msg.src,
            msg.hid,
            status,
            # err is 3 digits: the gateway's own codes 0x401-0x405 show as 401-405 (hex digits)
            msg.err if msg.err < 1000 else int(format(msg.err, "x")[-3:]),
            _smpp_time(msg.t_accept),
            _smpp_time(msg.t_done or msg.t_accept),
            state,
        )

    def esme_delivered(self, session: EsmeSession, msg: Message, status: int) -> None:
        if status in (0x64, pdu.ESME_RTHROTTLED, pdu.ESME_RMSGQFUL):
            asyncio.get_running_loop().call_later(1.0, self._outbox_add, msg)
            return
        msg.delivered = True
        self._delivered_ids.append(msg.id)
        if len(self._delivered_ids) == 1:
            asyncio.get_running_loop().call_soon(self._flush_delivered)
        if msg.kind == MO:
            self.stats.mo_out += 1
            msg.status, msg.t_done = "DELIVRD", time.time()
            self.stats.final["MO_DELIVRD"] = self.stats.final.get("MO_DELIVRD", 0) + 1
            self.cdr.add(self._cdr_row(msg), msg.id)
        else:
            self.stats.receipts_out += 1
            self._maybe_finished(msg)
        self._schedule_outbox(session.system_id)

    def _flush_delivered(self) -> None:
        ids, self._delivered_ids = self._delivered_ids, []
        if ids:
            self.store.append(("D", ids))

    # --- CDRs ----------------------------------------------------------------------------------

    def _cdr_row(self, m: Message) -> tuple[Any, ...]:
        return (
            m.hid,
            m.kind,
            m.enterprise,
            m.system_id,
            m.product,
            m.content_class,
            m.src,
            m.dst,
            m.segments,
            m.priority,
            m.connector,
            m.smsc_id,
            m.t_accept,
            m.t_submit,
            m.t_done,
            m.status,
            m.err,
            m.reason,
            m.kind == MT and m.status not in FAILED_STATUSES,
        )

    def cdr_done(self, ids: list[int]) -> None:
        get = self.messages.get
        if ids:
            self.store.append(("C", ids))
        for mid in ids:
            m = get(mid)
            if m is None:
                continue
            m.cdr_done = True
            self._maybe_finished(m)

    def _maybe_finished(self, m: Message) -> None:
        if m.status and m.delivered and m.cdr_done and self.messages.pop(m.id, None) is not None:
            self.store.release(m.seg)

    # --- housekeeping: failover, receipt timeouts, reload polling ------------------------------

    async def _housekeeping(self) -> None:
        tick = 0
        while True:
            await asyncio.sleep(0.2)
            tick += 1
            try:
                for cause, parts in list(self.concat.expired(time.time())):
                    self._release(cause, parts)
                self._failover()
                if tick % 5 == 0:
                    self._expire_receipts()
                if tick % 25 == 0:
                    self.flow.save()
                if self.config_path and tick % max(1, int(self.settings.reload_poll_s / 0.2)) == 0:
                    mtime = os.stat(self.config_path).st_mtime
                    if mtime != self._config_mtime and not self._reload_lock.locked():
                        self.reload_soon()
            except Exception:
                log.exception("housekeeping failed")

    def _failover(self) -> None:
        now = time.monotonic()
        for conn in list(self.connectors.values()):
            if conn.up or conn.down_since is None or not conn.queued:
                continue
            if now - conn.down_since < conn.config.failover_after_s:
                continue
            moved = 0
            keep: list[Message] = []
            for msg in conn.take_all():
                target = None
                for i in range(len(msg.connectors)):
                    c = self.connectors.get(msg.connectors[i])
                    if c is not None and c.up:
                        target, msg.conn_idx = c, i
                        break
                if target is None:
                    keep.append(msg)
                else:
                    target.enqueue(msg)
                    moved += 1
            conn.requeue_front(keep)
            if moved:
                self.log_event("failover", connector=conn.name, moved=moved)

    def _expire_receipts(self) -> None:
        limit = time.time() - self.settings.receipt_timeout_s
        expired = []
        for m in self.awaiting.values():
            if m.t_submit > limit:
                break
            expired.append(m)
        for m in expired:
            self._finalize(m, "UNKNOWN", 0)

    async def reload(self) -> bool:
        """Load the snapshot file again and swap it in.

        Reading, parsing and checking a large snapshot takes a while (10,000 accounts: see
        docs/benchmarks.md), so it runs in a worker thread; the event loop keeps serving binds and
        submits meanwhile, on the old snapshot. The new one is swapped in on the loop in one step,
        so no submit_sm ever sees half of it. Reloads are serialised.
        """
        if not self.config_path:
            return False
        async with self._reload_lock:
            path = self.config_path
            try:
                self._config_mtime = os.stat(path).st_mtime
                snap = await asyncio.to_thread(load_snapshot, path)
            except (OSError, ValueError) as exc:  # ConfigError is a ValueError
                self.stats.reload_errors += 1
                log.error("reload failed", extra={"event": "reload_failed", "error": str(exc)})
                return False
            self._swap_snapshot(snap)
            return True

    def reload_soon(self) -> None:
        """Start a reload from a synchronous context (SIGHUP, the file poll)."""
        task = asyncio.get_running_loop().create_task(self.reload())
        self._reload_tasks.add(task)
        task.add_done_callback(self._reload_tasks.discard)

    def _swap_snapshot(self, snap: Snapshot) -> None:
        old = self.snapshot
        self.snapshot = snap
        for name, cfg in snap.connectors.items():
            current = self.connectors.get(name)
            if current is None:
                self._add_connector(name)
            elif current.config != cfg:
                asyncio.get_running_loop().create_task(self._replace_connector(name))
        for name in list(self.connectors):
            if name not in snap.connectors:
                asyncio.get_running_loop().create_task(self._replace_connector(name))
        self.stats.reloads += 1
        self.log_event("config_reloaded", old=old.version, new=snap.version, accounts=len(snap.accounts))

    def _add_connector(self, name: str) -> None:
        conn = Connector(self, self.snapshot.connectors[name])
        self.connectors[name] = conn
        conn.start()

    async def _replace_connector(self, name: str) -> None:
        old = self.connectors.pop(name, None)
        if old is None:
            return
        if name in self.snapshot.connectors:
            self._add_connector(name)  # the new one binds while the old one drains
        await old.stop()  # its unanswered messages come back through redispatch()
        self.redispatch(old.take_all())

    def redispatch(self, msgs: list[Message]) -> None:
        for msg in sorted(msgs, key=lambda m: m.id):
            self._dispatch(msg)

    # --- status --------------------------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        st = self.stats
        return {
            "uptime_s": round(time.time() - self.started_at, 1),
            "snapshot": self.snapshot.version,
            "compiled_modules": compiled_modules(),
            "binds": self.bind_counts(),
            "pending_messages": len(self.messages),
            "awaiting_receipts": len(self.awaiting),
            "concat_held_parts": self.concat.held,
            "outbox": {sid: len(q) for sid, q in self.outbox.items() if q},
            "connectors": {
                c.name: {
                    "state": c.state(),
                    "binds": sum(1 for s in c.sessions if s.bound),
                    "queued": c.depths(),
                    "parked": sum(c.parked_counts),
                    "inflight": c.inflight,
                    "submitted": c.submitted,
                    "throttled": c.throttled,
                    "errors": c.errors,
                    "reconnects": c.reconnects,
                }
                for c in self.connectors.values()
            },
            "counters": {
                "accepted": st.accepted,
                "accepted_segments": st.accepted_segments,
                "rejected": dict(st.rejected),
                "bind_ok": st.bind_ok,
                "bind_failed": dict(st.bind_failed),
                "upstream_submitted": st.upstream_submitted,
                "upstream_throttled": st.upstream_throttled,
                "upstream_failed": st.upstream_failed,
                "receipts_in": st.receipts_in,
                "receipts_out": st.receipts_out,
                "receipts_orphan": st.receipts_orphan,
                "mo_in": st.mo_in,
                "mo_out": st.mo_out,
                "final": dict(st.final),
                "reloads": st.reloads,
                "concat_groups": dict(st.concat_groups),
            },
            "wal": {
                "segment": self.store.segment,
                "batches": self.store.batches,
                "records": self.store.records,
                "last_batch_records": self.store.last_batch_records,
                "fsync_seconds_total": round(self.store.fsync_seconds_total, 3),
            },
            "cdr": {"written": self.cdr.written, "buffered": self.cdr.buffered, "dropped": self.cdr.dropped},
            "latency": {
                "submit_p50_s": st.submit_latency.quantile(0.5),
                "submit_p99_s": st.submit_latency.quantile(0.99),
            },
        }
