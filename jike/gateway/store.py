"""The write-ahead store: an append-only segment log with group commit.

A record is a tuple of plain values (the first element is the record type).  The hot path
appends records to an in-memory batch; one writer encodes the whole batch as one frame
``length (u32) | crc32 (u32) | marshal(list of records)``, writes it with a single ``write`` and
``fsync`` in a worker thread and then runs the callbacks of that batch (this is where the
gateway sends submit_sm_resp / deliver_sm_resp).  While one batch is being synced the next one
fills up, so the fsync cost is shared by every message of a batch (group commit).  A batch is
acknowledged only as a whole, after its fsync, so a torn batch at the tail (a crash in the
middle of its write) holds nothing anybody was told about, and recovery drops it whole.  Logs
written before batch framing hold one frame per record (a marshalled tuple); both are read.

Segments are numbered files ``wal-00000001.log``.  The gateway holds a reference on the segment
where each unfinished message was accepted; a segment is deleted when it and every older
segment hold nothing, so every state record of an unfinished message is always still on disk.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import marshal
import os
import struct
import time
import zlib
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

log = logging.getLogger("jike.gateway.store")

_FRAME = struct.Struct(">II")
Callback = Callable[[bool], None]


class Store:
    def __init__(self, directory: str | Path, segment_bytes: int = 64 * 1024 * 1024) -> None:
        self.dir = Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.segment_bytes = segment_bytes
        self.segment = 0
        self._fd = -1
        self._size = 0
        self._buf: list[tuple[Any, ...]] = []
        self._cbs: list[Callback] = []
        self._wake = asyncio.Event()
        self._woken = False  # mirrors _wake.is_set() without a method call per append
        self._task: asyncio.Task[None] | None = None
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="jike-wal")
        self._holds: dict[int, int] = {}
        self._closed = False
        # statistics
        self.batches = 0
        self.records = 0
        self.bytes_written = 0
        self.last_batch_records = 0
        self.fsync_seconds_total = 0.0

    # --- recovery ------------------------------------------------------------------------------

    def segments(self) -> list[int]:
        out = []
        for p in self.dir.glob("wal-*.log"):
            try:
                out.append(int(p.stem[4:]))
            except ValueError:
                continue
        return sorted(out)

    def _path(self, seg: int) -> Path:
        return self.dir / f"wal-{seg:08d}.log"

    def recover(self) -> Iterator[tuple[int, tuple[Any, ...]]]:
        """Yield (segment, record) for every intact record on disk, oldest first.

        A torn or corrupt tail (a crash in the middle of a write) is truncated away.
        """
        for seg in self.segments():
            path = self._path(seg)
            data = path.read_bytes()
            pos = 0
            n = len(data)
            while pos + 8 <= n:
                length, crc = _FRAME.unpack_from(data, pos)
                end = pos + 8 + length
                if end > n:
                    break
                payload = data[pos + 8 : end]
                if zlib.crc32(payload) != crc:
                    break
                try:
                    record = marshal.loads(payload)
                except (EOFError, ValueError, TypeError):
                    break
                if isinstance(record, list):  # a batch frame
                    for rec in record:
                        yield seg, rec
                else:  # one record per frame (logs written by older versions)
                    yield seg, record
                pos = end
            if pos != n:
                log.warning("truncating torn WAL tail", extra={"segment": seg, "at": pos, "size": n})
                with open(path, "r+b") as f:
                    f.truncate(pos)
        self.segment = max(self.segments(), default=0)

    # --- writing -------------------------------------------------------------------------------

    def open(self) -> None:
        """Start a fresh segment after recovery, and the writer task."""
        self._roll()
        self._task = asyncio.get_running_loop().create_task(self._writer(), name="wal-writer")

    def _roll(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
        self.segment += 1
        self._fd = os.open(self._path(self.segment), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o640)
        self._size = 0
        dir_fd = os.open(self.dir, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
        self._delete_free_prefix()

    def append(self, record: tuple[Any, ...], callback: Callback | None = None) -> int:
        """Queue a record for the next group commit; returns the segment it lands in.

        The record must not be changed afterwards (it is encoded when its batch is written).
        """
        self._buf.append(record)
        if callback is not None:
            self._cbs.append(callback)
        if not self._woken:
            self._woken = True
            self._wake.set()
        return self.segment

    @property
    def pending(self) -> int:
        return len(self._buf)

    def _write_sync(self, records: list[tuple[Any, ...]]) -> tuple[float, int]:
        t0 = time.perf_counter()
        payload = marshal.dumps(records)
        data = _FRAME.pack(len(payload), zlib.crc32(payload)) + payload
        view = memoryview(data)
        while view:
            written = os.write(self._fd, view)
            view = view[written:]
        os.fsync(self._fd)
        return time.perf_counter() - t0, len(data)

    async def _writer(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await self._wake.wait()
            self._wake.clear()
            self._woken = False
            if not self._buf:
                if self._closed:
                    return
                continue
            buf, cbs = self._buf, self._cbs
            self._buf, self._cbs = [], []
            ok = True
            size = 0
            try:
                seconds, size = await loop.run_in_executor(self._pool, self._write_sync, buf)
                self.fsync_seconds_total += seconds
            except (OSError, ValueError):
                log.exception("WAL write failed")
                ok = False
            self.batches += 1
            self.records += len(buf)
            self.last_batch_records = len(buf)
            self.bytes_written += size
            self._size += size
            for cb in cbs:
                try:
                    cb(ok)
                except Exception:
                    log.exception("WAL callback failed")
            if self._size >= self.segment_bytes:
                self._roll()
            if self._buf:
                self._woken = True
                self._wake.set()

    async def flush(self) -> None:
        """Wait until everything appended so far is durable."""
        if not self._buf:
            await asyncio.sleep(0)
        done: asyncio.Future[bool] = asyncio.get_running_loop().create_future()

        def finished(ok: bool) -> None:
            if not done.done():
                done.set_result(ok)

        self.append(("N",), finished)
        await done

    async def close(self) -> None:
        if self._task is not None:
            await self.flush()
            self._closed = True
            self._wake.set()
            await self._task
            self._task = None
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
        self._pool.shutdown(wait=True)

    # --- segment references --------------------------------------------------------------------

    def hold(self, seg: int) -> None:
        self._holds[seg] = self._holds.get(seg, 0) + 1

    def release(self, seg: int) -> None:
        left = self._holds.get(seg, 0) - 1
        if left > 0:
            self._holds[seg] = left
            return
        self._holds.pop(seg, None)
        if seg < self.segment:
            self._delete_free_prefix()

    def _delete_free_prefix(self) -> None:
        oldest_held = min(self._holds, default=self.segment)
        for seg in self.segments():
            if seg >= min(oldest_held, self.segment):
                break
            with contextlib.suppress(FileNotFoundError):
                self._path(seg).unlink()
