"""Shared Modbus TCP connections: one per host and port, every call bounded in time."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
import logging

from pymodbus.client import AsyncModbusTcpClient
from pymodbus.exceptions import ModbusException
from pymodbus.pdu import ModbusPDU

from ..wallbox import BackendError
from .registers import Table

_LOGGER = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 3.0  # s per request
DEFAULT_CONNECT_TIMEOUT = 5.0
DEFAULT_BACKOFF_MIN = 1.0  # s before the first reconnect, doubling up to the max
DEFAULT_BACKOFF_MAX = 60.0


class CannotConnect(BackendError):
    """No TCP connection to the wallbox, or it did not answer in time."""


class InvalidUnitId(BackendError):
    """The wallbox (or its gateway) answered, but refused this unit id."""


class ModbusErrorResponse(BackendError):
    """The wallbox answered with a Modbus exception response."""

    def __init__(self, message: str, code: int) -> None:
        """Keep the exception code (e.g. 0x0B: gateway target did not respond)."""
        super().__init__(message)
        self.code = code


Request = Callable[[AsyncModbusTcpClient], Awaitable[ModbusPDU]]


class ModbusLink:
    """One TCP connection, shared by every unit id behind the same host and port.

    Requests are serialised. A failed request drops the connection; the next call
    reconnects once the back-off (doubling from backoff_min to backoff_max) has
    passed, and fails at once before that, so a dead box costs the caller nothing.
    """

    def __init__(
        self,
        host: str,
        port: int,
        *,
        timeout: float,
        connect_timeout: float,
        backoff_min: float,
        backoff_max: float,
    ) -> None:
        """Set up; nothing connects before the first call."""
        self.host = host
        self.port = port
        self._timeout = timeout
        self._connect_timeout = connect_timeout
        self._backoff_min = backoff_min
        self._backoff_max = backoff_max
        self._client: AsyncModbusTcpClient | None = None
        self._lock = asyncio.Lock()
        self._failures = 0
        self._retry_at = 0.0
        # Bumped on every new connection: a box may have rebooted in between.
        self.generation = 0
        self.users = 0

    def __str__(self) -> str:
        """host:port, for messages."""
        return f"{self.host}:{self.port}"

    @property
    def connected(self) -> bool:
        """True while a TCP connection is up."""
        return self._client is not None and self._client.connected

    async def read(
        self, unit: int, table: Table, address: int, count: int
    ) -> list[int]:
        """Read registers (coils come back as 0/1)."""

        async def request(client: AsyncModbusTcpClient) -> ModbusPDU:
            if table is Table.INPUT:
                return await client.read_input_registers(
                    address, count=count, device_id=unit
                )
            if table is Table.COIL:
                return await client.read_coils(address, count=count, device_id=unit)
            return await client.read_holding_registers(
                address, count=count, device_id=unit
            )

        response = await self._call(f"read {table} {address} of unit {unit}", request)
        if table is Table.COIL:
            return [int(bit) for bit in response.bits[:count]]
        return list(response.registers)

    async def write(
        self,
        unit: int,
        table: Table,
        address: int,
        values: list[int],
        *,
        multiple: bool,
    ) -> None:
        """Write registers (FC16 if `multiple` or several, else FC6) or a coil."""

        async def request(client: AsyncModbusTcpClient) -> ModbusPDU:
            if table is Table.COIL:
                return await client.write_coil(address, bool(values[0]), device_id=unit)
            if multiple or len(values) > 1:
                return await client.write_registers(address, values, device_id=unit)
            return await client.write_register(address, values[0], device_id=unit)

        await self._call(f"write {table} {address}={values} to unit {unit}", request)

    async def _call(self, what: str, request: Request) -> ModbusPDU:
        """Run one request within connect + request time; BackendError on failure."""
        task = asyncio.current_task()
        cancelling = task.cancelling() if task else 0
        failed = False
        try:
            # A backstop: pymodbus bounds the request itself, and the lock wait too.
            async with asyncio.timeout(self._connect_timeout + 2 * self._timeout):
                async with self._lock:
                    client = await self._connected()
                    try:
                        response = await request(client)
                    except (ModbusException, OSError) as err:
                        self._failed()
                        failed = True
                        # pymodbus turns a cancellation into ModbusIOException: undo it.
                        if task and task.cancelling() > cancelling:
                            raise asyncio.CancelledError from err
                        raise BackendError(f"{self}: {what} failed: {err}") from err
        except TimeoutError as err:
            if not failed:
                self._failed()
            raise BackendError(f"{self}: {what} timed out") from err
        self._failures = 0  # the box answered, even if with an error
        if response.isError():
            code = int(getattr(response, "exception_code", 0))
            raise ModbusErrorResponse(
                f"{self}: {what}: exception code {code:#04x}", code
            )
        return response

    async def _connected(self) -> AsyncModbusTcpClient:
        """The live client, connecting when due; CannotConnect otherwise."""
        if self._client is not None:
            if self._client.connected:
                return self._client
            # Dropped by the box: reconnect now, without waiting for a back-off.
            self._client.close()
            self._client = None
        loop = asyncio.get_running_loop()
        if (wait := self._retry_at - loop.time()) > 0:
            raise CannotConnect(f"{self}: unreachable, next attempt in {wait:.1f} s")
        # pymodbus would reconnect on its own; back-off is handled here instead.
        client = AsyncModbusTcpClient(
            self.host,
            port=self.port,
            timeout=self._timeout,
            retries=0,
            reconnect_delay=0,
        )
        connected = False
        try:
            async with asyncio.timeout(self._connect_timeout):
                connected = await client.connect()
        except TimeoutError:
            pass
        if not connected:
            client.close()
            self._failed()
            raise CannotConnect(f"cannot connect to {self}")
        self._client = client
        self.generation += 1
        _LOGGER.debug("Connected to %s (connection %d)", self, self.generation)
        return client

    def _failed(self) -> None:
        """Drop the connection and push the next attempt out."""
        self.close()
        self._failures += 1
        delay = min(self._backoff_max, self._backoff_min * 2 ** (self._failures - 1))
        self._retry_at = asyncio.get_running_loop().time() + delay

    def close(self) -> None:
        """Drop the connection (the next call reconnects)."""
        if self._client is not None:
            self._client.close()
            self._client = None


class ModbusHub:
    """Owns the connections: one per (host, port), shared by the wallboxes there."""

    def __init__(
        self,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
        backoff_min: float = DEFAULT_BACKOFF_MIN,
        backoff_max: float = DEFAULT_BACKOFF_MAX,
    ) -> None:
        """Set the time bounds every connection uses."""
        self._timeout = timeout
        self._connect_timeout = connect_timeout
        self._backoff_min = backoff_min
        self._backoff_max = backoff_max
        self._links: dict[tuple[str, int], ModbusLink] = {}

    def acquire(self, host: str, port: int) -> ModbusLink:
        """The connection to host:port, created on first use (no I/O here)."""
        link = self._links.get((host, port))
        if link is None:
            link = self._links[host, port] = ModbusLink(
                host,
                port,
                timeout=self._timeout,
                connect_timeout=self._connect_timeout,
                backoff_min=self._backoff_min,
                backoff_max=self._backoff_max,
            )
        link.users += 1
        return link

    def release(self, link: ModbusLink) -> None:
        """Give a connection back; the last user closes it."""
        link.users -= 1
        if link.users <= 0:
            link.close()
            self._links.pop((link.host, link.port), None)

    async def async_close(self) -> None:
        """Close every connection."""
        for link in self._links.values():
            link.close()
        self._links.clear()
