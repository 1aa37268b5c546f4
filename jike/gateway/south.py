"""South side: SMPP client connectors to upstream SMSCs.

A connector owns three priority queues (emergency, normal, bulk) and several binds.  Every bind
has a window of outstanding submit_sm; the connector pumps its queues into whichever bind has
room, emergency first.  Lost binds reconnect with exponential back-off; their unanswered
messages are re-queued in order.

Ordering.  Pipelining (a window of outstanding submit_sm over several binds) and upstream
refusals do not mix: if the SMSC throttles message 1 and accepts message 2 that was already in
flight, the SMSC has 2 before 1 and nothing can undo it.  So every message carries an ordering
key (``Message.okey``: account + destination number + priority class by default, account +
priority class for accounts configured with ``"ordering": "account"``) and **at most one message
per key is in flight at a time**.  A message whose key is busy is *parked* behind it; when the
one in flight is accepted (or finally refused) the next parked one goes back to the front of its
queue; when it is throttled or must be retried, it returns to its queue together with everything
parked behind it, in acceptance (id) order.  Messages with different keys are fully pipelined.
On ESME_RTHROTTLED / ESME_RMSGQFUL the whole connector also pauses with exponential back-off.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from jike.gateway import pdu
from jike.gateway.config import ConnectorConfig
from jike.gateway.message import Message
from jike.gateway.session import SmppSession

if TYPE_CHECKING:
    from jike.gateway.core import Gateway

log = logging.getLogger("jike.gateway.south")

RETRY_STATUSES = frozenset({pdu.ESME_RTHROTTLED, pdu.ESME_RMSGQFUL})
TRANSIENT_STATUSES = frozenset({pdu.ESME_RSYSERR, pdu.ESME_RSUBMITFAIL, pdu.ESME_RUNKNOWNERR})
MAX_TRANSIENT_RETRIES = 3


class UpstreamSession(SmppSession):
    name = "upstream"

    def __init__(self, connector: Connector, index: int) -> None:
        super().__init__()
        self.connector = connector
        self.index = index
        self.bound = False
        self.inflight: dict[int, Message] = {}
        # answered by the SMSC but the answer is not yet durable: these still occupy the window,
        # so a crash can make the SMSC see at most `window` duplicates per bind
        self.unconfirmed = 0
        self.confirmed = self._confirmed  # bound once: the WAL callback of every S record
        self.bind_waiter: asyncio.Future[int] = asyncio.get_event_loop().create_future()
        self.lost: asyncio.Future[None] = asyncio.get_event_loop().create_future()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.bound = False
        self.connector._update_up()
        if not self.bind_waiter.done():
            self.bind_waiter.set_exception(ConnectionError("connection lost during bind"))
        if not self.lost.done():
            self.lost.set_result(None)
        self.connector.session_lost(self)

    def handle(self, cid: int, status: int, seq: int, body: bytes) -> None:
        if cid == pdu.SUBMIT_SM_RESP:
            msg = self.inflight.pop(seq, None)
            if msg is not None:
                self.connector.submit_resp(self, msg, status, body)
        elif cid == pdu.DELIVER_SM:
            self.connector.gateway.upstream_deliver(self, seq, body)
        elif cid == pdu.BIND_TRANSCEIVER_RESP:
            if not self.bind_waiter.done():
                self.bind_waiter.set_result(status)
        elif cid == pdu.UNBIND:
            self.respond(pdu.UNBIND_RESP, pdu.ESME_ROK, seq)
            self.close()
        elif cid == pdu.GENERIC_NACK and seq in self.inflight:
            msg = self.inflight.pop(seq)
            self.connector.submit_resp(self, msg, status or pdu.ESME_RSYSERR, b"")
        else:
            self.handle_common(cid, status, seq, body)

    def on_writable(self) -> None:
        self.connector.pump()

    def _confirmed(self, ok: bool) -> None:
        """The S record of an accepted message is durable: its window slot is free again."""
        self.unconfirmed -= 1
        self.connector.schedule_pump()


def _factory(session: UpstreamSession) -> Callable[[], UpstreamSession]:
    return lambda: session


class Connector:
    def __init__(self, gateway: Gateway, config: ConnectorConfig) -> None:
        self.gateway = gateway
        self.config = config
        self.name = config.name
        self.queues: tuple[deque[Message], ...] = (deque(), deque(), deque())
        # ordering: the message in flight per ordering key, and the messages parked behind it
        self.busy: dict[tuple[Any, ...], Message] = {}
        self.parked: dict[tuple[Any, ...], deque[Message]] = {}
        self.parked_counts = [0, 0, 0]
        self.sessions: list[UpstreamSession] = []
        self.up = False  # some bind is bound (kept current by _run_bind / session_lost)
        # owned by the gateway, per connector name, so a replacement connector keeps them
        self.smsc_map = gateway.smsc_map.setdefault(config.name, {})
        self.early_receipts = gateway.early_receipts.setdefault(config.name, {})
        self.paused_until = 0.0
        self.throttle_streak = 0
        self.down_since: float | None = time.monotonic()
        self.tasks: list[asyncio.Task[None]] = []
        self.stopping = False
        self._pump_scheduled = False
        self.loop = asyncio.get_running_loop()
        # statistics
        self.submitted = 0
        self.throttled = 0
        self.errors = 0
        self.reconnects = 0

    # --- state ---------------------------------------------------------------------------------

    def _update_up(self) -> None:
        self.up = any(s.bound for s in self.sessions)

    @property
    def queued(self) -> int:
        return sum(len(q) for q in self.queues) + sum(self.parked_counts)

    def depths(self) -> list[int]:
        """Messages waiting per priority class (queued, or parked behind one of their key)."""
        return [len(q) + p for q, p in zip(self.queues, self.parked_counts, strict=True)]

    @property
    def inflight(self) -> int:
        return sum(len(s.inflight) for s in self.sessions)

    def state(self) -> str:
        if self.up:
            return "paused" if self.paused_until > time.monotonic() else "bound"
        return "down"

    def start(self) -> None:
        for i in range(self.config.binds):
            self.tasks.append(asyncio.get_running_loop().create_task(self._run_bind(i)))

    async def stop(self) -> None:
        self.stopping = True
        for t in self.tasks:
            t.cancel()
        for s in list(self.sessions):
            if s.bound:
                s.respond(pdu.UNBIND, 0, s.next_seq())
            s.close()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        self.tasks = []

    # --- binds ---------------------------------------------------------------------------------

    async def _run_bind(self, index: int) -> None:
        cfg = self.config
        delay = cfg.reconnect_min_s
        loop = asyncio.get_running_loop()
        while not self.stopping:
            session = UpstreamSession(self, index)
            try:
                await asyncio.wait_for(loop.create_connection(_factory(session), cfg.host, cfg.port), 5.0)
                bind = pdu.Bind(cfg.system_id, cfg.password, cfg.system_type)
                session.respond(pdu.BIND_TRANSCEIVER, 0, session.next_seq(), pdu.encode_bind(bind))
                status = await asyncio.wait_for(session.bind_waiter, 5.0)
                if status != pdu.ESME_ROK:
                    raise ConnectionError(f"bind refused: {pdu.STATUS_NAMES.get(status, hex(status))}")
            except (TimeoutError, OSError, ConnectionError) as exc:
                session.abort()
                self.gateway.log_event("connector_bind_failed", connector=self.name, bind=index, error=str(exc))
                await asyncio.sleep(delay)
                delay = min(delay * 2, cfg.reconnect_max_s)
                continue
            delay = cfg.reconnect_min_s
            session.bound = True
            self.sessions.append(session)
            self.up = True
            self.down_since = None
            self.gateway.log_event("connector_bound", connector=self.name, bind=index)
            self.pump()
            await self._keepalive(session)
            if not self.stopping:
                self.reconnects += 1
                await asyncio.sleep(delay)

    async def _keepalive(self, session: UpstreamSession) -> None:
        interval = self.config.enquire_link_s
        while not session.closed:
            try:
                await asyncio.wait_for(asyncio.shield(session.lost), interval)
                return
            except TimeoutError:
                pass
            if time.monotonic() - session.last_rx > interval * 3:
                self.gateway.log_event("connector_link_timeout", connector=self.name, bind=session.index)
                session.abort()
                return
            session.respond(pdu.ENQUIRE_LINK, 0, session.next_seq())

    def session_lost(self, session: UpstreamSession) -> None:
        if session in self.sessions:
            self.sessions.remove(session)
        self._update_up()
        if session.inflight:
            # never answered: send again (the only case where the SMSC may see a duplicate)
            pending: list[Message] = []
            for msg in session.inflight.values():
                pending.extend(self._unblock(msg))
            session.inflight.clear()
            if self.stopping:
                self.gateway.redispatch(pending)
            else:
                self.requeue_front(pending)
        if not self.up and self.down_since is None:
            self.down_since = time.monotonic()
            self.gateway.log_event("connector_down", connector=self.name)
        self.pump()

    # --- queues --------------------------------------------------------------------------------

    def enqueue(self, msg: Message) -> None:
        self.queues[msg.queue].append(msg)
        if not self._pump_scheduled:
            self._pump_scheduled = True
            self.loop.call_soon(self.pump)

    def requeue_front(self, msgs: Iterable[Message]) -> None:
        """Put messages back near the front, each at its place in id (acceptance) order.

        Queues are sorted by id (messages are appended in acceptance order), so inserting at the
        sorted position keeps every key's order however the retries come back.  The scan is
        bounded; the messages given are inserted in id order, each after the previous one.
        """
        last = [-1, -1, -1]
        for m in sorted(msgs, key=lambda m: m.id):
            q = self.queues[m.queue]
            i = last[m.queue] + 1
            limit, mid = min(len(q), i + 4096), m.id
            while i < limit and q[i].id < mid:
                i += 1
            q.insert(i, m)
            last[m.queue] = i

    def _park(self, msg: Message) -> None:
        q = self.parked.get(msg.okey)
        if q is None:
            q = self.parked[msg.okey] = deque()
        q.append(msg)
        self.parked_counts[msg.queue] += 1

    def _release(self, msg: Message) -> None:
        """msg left the window for good (accepted or finally refused): its key's next may go."""
        key = msg.okey
        if self.busy.get(key) is msg:
            del self.busy[key]
            q = self.parked.get(key)
            if q:
                nxt = q.popleft()
                self.parked_counts[nxt.queue] -= 1
                if not q:
                    del self.parked[key]
                self.requeue_front((nxt,))

    def _unblock(self, msg: Message) -> list[Message]:
        """msg comes back unsent: return it with everything parked behind it (to re-queue)."""
        key = msg.okey
        if self.busy.get(key) is msg:
            del self.busy[key]
        back = [msg]
        q = self.parked.pop(key, None)
        if q:
            for m in q:
                self.parked_counts[m.queue] -= 1
            back.extend(q)
        return back

    def take_all(self) -> list[Message]:
        out: list[Message] = []
        for q in self.queues:
            out.extend(q)
            q.clear()
        for pq in self.parked.values():
            out.extend(pq)
        self.parked.clear()
        self.parked_counts = [0, 0, 0]
        out.sort(key=lambda m: m.id)
        return out

    def pump(self) -> None:
        self._pump_scheduled = False
        if self.stopping:
            return
        now = time.monotonic()
        if self.paused_until > now:
            return
        queues = self.queues
        if not (queues[0] or queues[1] or queues[2]):
            return
        window = self.config.window
        header = pdu.HEADER.pack
        busy = self.busy
        for s in self.sessions:
            if not s.bound or s.write_paused:
                continue
            inflight = s.inflight
            room = window - len(inflight) - s.unconfirmed
            while room > 0:
                if queues[0]:
                    msg = queues[0].popleft()
                elif queues[1]:
                    msg = queues[1].popleft()
                elif queues[2]:
                    msg = queues[2].popleft()
                else:
                    return
                key = msg.okey
                if key in busy:
                    self._park(msg)  # one message per ordering key in flight
                    continue
                busy[key] = msg
                seq = s.next_seq()
                inflight[seq] = msg
                body = msg.body
                s.send(header(16 + len(body), pdu.SUBMIT_SM, 0, seq) + body)
                room -= 1

    def schedule_pump(self) -> None:
        if not self._pump_scheduled:
            self._pump_scheduled = True
            self.loop.call_soon(self.pump)

    def _resume(self) -> None:
        self.paused_until = 0.0
        self.pump()

    def submit_resp(self, session: UpstreamSession, msg: Message, status: int, body: bytes) -> None:
        gw = self.gateway
        if status == pdu.ESME_ROK:
            self._release(msg)
            self.submitted += 1
            self.throttle_streak = 0
            session.unconfirmed += 1
            gw.submitted(msg, self, pdu.decode_resp_message_id(body), session.confirmed)
        elif status in RETRY_STATUSES:
            self.throttled += 1
            self.requeue_front(self._unblock(msg))
            now = time.monotonic()
            if self.paused_until <= now:
                self.throttle_streak += 1
                backoff = min(self.config.throttle_backoff_s * (2 ** min(self.throttle_streak - 1, 6)), 5.0)
                self.paused_until = now + backoff
                asyncio.get_running_loop().call_later(backoff, self._resume)
            gw.stats.upstream_throttled += 1
        elif status in TRANSIENT_STATUSES and msg.retries < MAX_TRANSIENT_RETRIES:
            self.errors += 1
            msg.retries += 1
            self.requeue_front(self._unblock(msg))
        else:
            self.errors += 1
            self._release(msg)
            gw.submit_failed(msg, status)
        if not self._pump_scheduled:
            self._pump_scheduled = True
            self.loop.call_soon(self.pump)
