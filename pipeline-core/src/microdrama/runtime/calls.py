"""Around every gRPC call, written once: deadline required, credential, request id, logs, span, metrics.

Servicers raise the domain errors of microdrama.errors; they become one status code each here,
so no servicer formats a status itself and an unexpected error never leaks its details.
"""

from __future__ import annotations

import asyncio
import contextvars
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

import grpc
from opentelemetry import trace
from opentelemetry.propagate import extract

from microdrama.errors import Conflict, InputError, NotFound, PermissionDenied, Unauthenticated
from microdrama.keys import KeyError_
from microdrama.logs import get_logger
from microdrama.runtime.metrics import Metrics

log = get_logger(__name__)

_STATUS: list[tuple[type[BaseException], grpc.StatusCode]] = [
    (Unauthenticated, grpc.StatusCode.UNAUTHENTICATED),
    (PermissionDenied, grpc.StatusCode.PERMISSION_DENIED),
    (NotFound, grpc.StatusCode.NOT_FOUND),
    (Conflict, grpc.StatusCode.FAILED_PRECONDITION),
    (InputError, grpc.StatusCode.INVALID_ARGUMENT),
    (KeyError_, grpc.StatusCode.INVALID_ARGUMENT),
]
# Calls any client may make without a credential or deadline: probes and discovery.
OPEN_PREFIXES = ("/grpc.health.v1.Health/", "/grpc.reflection.")


@dataclass(frozen=True)
class Caller:
    """Who is calling: a tenant (partner key), the admin, or a peer service (mutual TLS)."""

    tenant: str | None = None
    admin: bool = False


class Authenticator(Protocol):
    async def authenticate(self, method: str, metadata: dict[str, str]) -> Caller | None:
        """The caller of `method`, or raise Unauthenticated/PermissionDenied; None = no credential needed."""


# The caller of the call being served; set per call by the interceptor, read by servicers.
CALLER: contextvars.ContextVar[Caller] = contextvars.ContextVar("md_caller")


def caller() -> Caller:
    return CALLER.get()


def tenant() -> str:
    who = CALLER.get()
    if who.tenant is None:
        raise PermissionDenied("this call needs a tenant's API key")
    return who.tenant


def status_of(exc: BaseException) -> grpc.StatusCode:
    for kind, code in _STATUS:
        if isinstance(exc, kind):
            return code
    return grpc.StatusCode.INTERNAL


class CallInterceptor(grpc.aio.ServerInterceptor):
    def __init__(self, auth: Authenticator | None, metrics: Metrics | None, service: str) -> None:
        self.auth = auth
        self.metrics = metrics
        self.tracer = trace.get_tracer(f"microdrama.{service}")

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(details)
        if handler is None or details.method.startswith(OPEN_PREFIXES):
            return handler
        method = details.method
        metadata = {k: v for k, v in (details.invocation_metadata or ()) if isinstance(v, str)}
        if handler.unary_unary or handler.stream_unary:
            inner = handler.unary_unary or handler.stream_unary

            async def unary(request: Any, context: grpc.aio.ServicerContext) -> Any:
                async with _Call(self, method, metadata, context):
                    return await inner(request, context)

            make = grpc.unary_unary_rpc_method_handler if handler.unary_unary else grpc.stream_unary_rpc_method_handler
            return make(
                unary,
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        inner_stream = handler.unary_stream or handler.stream_stream

        async def streaming(request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
            async with _Call(self, method, metadata, context):
                async for response in inner_stream(request, context):
                    yield response

        make_stream = (
            grpc.unary_stream_rpc_method_handler if handler.unary_stream else grpc.stream_stream_rpc_method_handler
        )
        return make_stream(
            streaming,
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )


class _Call:
    """The async context of one call: checks on entry, status mapping, log, span and metrics on exit."""

    def __init__(
        self, owner: CallInterceptor, method: str, metadata: dict[str, str], context: grpc.aio.ServicerContext
    ) -> None:
        self.owner = owner
        self.method = method
        self.metadata = metadata
        self.context = context
        self.request_id = metadata.get("x-request-id") or uuid.uuid4().hex
        self.log = log.bind(method=method, request_id=self.request_id)

    async def __aenter__(self) -> None:
        self.started = time.perf_counter()
        self.span_cm = self.owner.tracer.start_as_current_span(
            self.method, context=extract(self.metadata), kind=trace.SpanKind.SERVER
        )
        self.span = self.span_cm.__enter__()
        self.span.set_attribute("md.request_id", self.request_id)
        await self.context.send_initial_metadata((("x-request-id", self.request_id),))
        who: Caller | None = None
        try:
            if self.context.time_remaining() is None:
                raise InputError("a deadline is required on every call (set a timeout on the client)")
            if self.owner.auth:
                who = await self.owner.auth.authenticate(self.method, self.metadata)
        except Exception as exc:
            await self._fail(exc)
        who = who or Caller()
        self.token = CALLER.set(who)
        if who.tenant:
            self.log = self.log.bind(tenant=who.tenant)
            self.span.set_attribute("md.tenant", who.tenant)

    async def _fail(self, exc: BaseException) -> None:
        code = status_of(exc)
        message = str(exc) if code is not grpc.StatusCode.INTERNAL else f"internal error (request {self.request_id})"
        if code is grpc.StatusCode.INTERNAL:
            self.log.exception("call failed", exc_info=exc)
        self._finish(code)
        await self.context.abort(code, message)

    def _finish(self, code: grpc.StatusCode) -> None:
        elapsed = time.perf_counter() - self.started
        self.span.set_attribute("rpc.grpc.status_code", code.value[0])
        self.span_cm.__exit__(None, None, None)
        self.log.info("call", code=code.name, ms=round(elapsed * 1000, 1))
        if self.owner.metrics:
            self.owner.metrics.calls.labels(self.method, code.name).inc()
            self.owner.metrics.call_seconds.labels(self.method).observe(elapsed)

    async def __aexit__(self, t: type[BaseException] | None, exc: BaseException | None, tb: Any) -> None:
        CALLER.reset(self.token)
        if exc is None:
            self._finish(grpc.StatusCode.OK)
        elif isinstance(exc, grpc.aio.AbortError):
            self._finish(self.context.code() or grpc.StatusCode.UNKNOWN)
        elif isinstance(exc, asyncio.CancelledError):
            self._finish(grpc.StatusCode.CANCELLED)
        else:
            await self._fail(exc)
