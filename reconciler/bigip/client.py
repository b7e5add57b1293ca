"""One BIG-IP over iControl REST: f5-sdk's ManagementRoot and its icontrol session.

We let f5-sdk log in (token auth, renewal) and build URIs, and we send the requests through
its session ourselves, with the exact verbs and bodies the plan needs: a create is one POST,
an update one PATCH of the changed fields, a delete one DELETE — no load-before-modify
round trips. Reads and transaction setup are retried with tenacity on connection errors and
5xx, and once on a 401 for a token the device dropped (with a fresh login). A refused login
is not retried: it closes the device's LoginGate (``logins``) for a growing while, shared by
every connection to the device — a wrong password must not lock the account. f5-sdk's ``debug`` (which records auth headers) is never
turned on.
"""

from __future__ import annotations

import contextlib
import functools
import ssl
from collections.abc import Callable, Iterator, Sequence
from typing import Any
from urllib.parse import quote

import requests
from f5.bigip import ManagementRoot
from f5.bigip.contexts import TransactionContextManager
from f5.sdk_exception import TransactionSubmitException
from icontrol.authtoken import iControlRESTTokenAuth
from icontrol.exceptions import iControlUnexpectedHTTPError
from requests.adapters import HTTPAdapter
from requests.auth import HTTPBasicAuth
from tenacity import (
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    wait_random_exponential,
)
from urllib3.util.ssl_ import create_urllib3_context

from reconciler.bigip.logins import LoginGate
from reconciler.concurrency import Siblings
from reconciler.coordination import NotOwner
from reconciler.logs import get_logger
from reconciler.settings import DeviceSettings
from reconciler.tcp import PromptAdapter

log = get_logger("bigip.client")


class DeviceError(RuntimeError):
    """A request the device refused or could not answer; ``status`` is None for transport.
    ``fenced``: never sent, because this replica may not write to the device now."""

    def __init__(
        self,
        message: str,
        status: int | None = None,
        body: Any = None,
        fenced: bool = False,
        login_refused: bool = False,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.body = body
        self.fenced = fenced
        self.login_refused = login_refused  # the credentials, not a token, were refused
        self.gated = False  # this refusal is known to the LoginGate (counted, or its own)

    @property
    def transient(self) -> bool:
        return self.status is None or self.status >= 500 or self.status == 401


class FencedWrite(requests.RequestException):
    """A write the fence refused (``reconciler.coordination``); raised before sending."""


Fence = Callable[[], "float | None"]
LOGIN_PATH = "/mgmt/shared/authn/login"
TOKENS_PATH = "/mgmt/shared/authz/tokens/"
# Logging in and out change nothing the fence guards: never fenced.
_UNFENCED = (LOGIN_PATH, TOKENS_PATH)


class _DeviceAdapter(PromptAdapter):
    """Every request that changes the device asks the fence first, and may take no longer
    than the lease the fence has left (reads go out unfenced); every request says who sends
    it in its User-Agent (set here: f5-sdk blanks the session's headers to commit a
    transaction). Its connections are immune to the delayed-ACK stall (``reconciler.tcp``)."""

    def __init__(self, fence: Fence, user_agent: str, verify: bool | str = True) -> None:
        self.verify = verify
        super().__init__()
        self.fence = fence
        self.user_agent = user_agent

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        # Unverified connections share one TLS context: otherwise urllib3 makes one per
        # connection and loads the system's CA store into it (~0.15 s of CPU each, for a
        # store it never consults). A verified connection keeps urllib3's own handling.
        if self.verify is False:
            kwargs.setdefault("ssl_context", _unverified_context())
        super().init_poolmanager(*args, **kwargs)

    def send(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        if self.user_agent:
            request.headers["User-Agent"] = self.user_agent
        if request.method not in ("GET", "HEAD") and not request.path_url.startswith(_UNFENCED):
            try:
                left = self.fence()
            except NotOwner as exc:
                raise FencedWrite(str(exc), request=request) from None
            if left is not None:
                kwargs["timeout"] = _capped(kwargs.get("timeout"), left)
        return super().send(request, *args, **kwargs)


@functools.cache
def _unverified_context() -> ssl.SSLContext:
    context = create_urllib3_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def _capped(timeout: Any, limit: float) -> Any:
    if isinstance(timeout, tuple):
        return tuple(limit if t is None else min(t, limit) for t in timeout)
    return limit if timeout is None else min(float(timeout), limit)


class _ManagementRoot(ManagementRoot):
    """ManagementRoot whose session is ours from its first request: it goes through
    ``adapter`` (our User-Agent, the fence), ignores REQUESTS_CA_BUNDLE & co., and logs in
    through itself.

    requests lets those variables override ``session.verify`` (psf/requests#3829), so a
    machine-wide CA bundle would silently turn certificate checks on for a device we were told
    not to verify, or swap the bundle we were told to use. The device connection follows our
    configuration only.
    """

    def __init__(self, *args: Any, adapter: HTTPAdapter, **kwargs: Any) -> None:
        self._adapter = adapter  # before super(): its constructor already sends requests
        super().__init__(*args, **kwargs)

    def _get_icr_session(self, *args: Any, **kwargs: Any) -> Any:
        icrs = super()._get_icr_session(*args, **kwargs)
        session = icrs.session
        session.trust_env = False
        session.mount("https://", self._adapter)
        if isinstance(session.auth, iControlRESTTokenAuth):
            session.auth = _SessionLogin(
                kwargs["username"], kwargs["password"], session, kwargs["timeout"]
            )
        return icrs


class _SessionLogin(iControlRESTTokenAuth):
    """f5-sdk's token auth, with the login sent through the device session.

    f5-sdk posts ``/mgmt/shared/authn/login`` with plain ``requests``: no User-Agent of ours
    (the device's audit log would show ``python-requests``), no timeout, the environment's CA
    bundle. The token's bookkeeping (expiry, renewal before it) stays f5-sdk's.
    """

    def __init__(self, username: str, password: str, session: Any, timeout: float) -> None:
        super().__init__(username, password, verify=session.verify)
        self._session = session
        self._timeout = timeout

    def get_new_token(self, netloc: str) -> None:
        response = self._session.post(
            f"https://{netloc}{LOGIN_PATH}",
            json={
                "username": self.username,
                "password": self.password,
                "loginProviderName": self.login_provider_name,
            },
            auth=HTTPBasicAuth(self.username, self.password),  # not this auth: no token yet
            timeout=self._timeout,
        )
        self.attempts += 1
        if not response.ok:
            raise iControlUnexpectedHTTPError(
                f"{response.status_code} Unexpected Error: {response.reason} for uri: "
                f"{response.url}\nText: {response.text!r}",
                response=response,
            )
        token = self._get_token_from_response(response.json())
        created = self._get_last_update_micros(token)
        expires = self._get_expiration_micros(token, created)
        self.expiration = self._get_token_expiration_time(created, expires)


LOGIN_PATH = "/mgmt/shared/authn/login"


def _response(exc: BaseException) -> Any:
    response = getattr(exc, "response", None)
    if response is None and exc.args and hasattr(exc.args[0], "response"):
        response = exc.args[0].response
    return response


def _device_message(exc: BaseException) -> tuple[str, int | None, Any]:
    response = _response(exc)
    if response is None:
        return f"{type(exc).__name__}: {exc}", None, None
    try:
        body = response.json()
        message = body.get("message") or response.text
    except ValueError:
        body, message = None, response.text[:300]
    return str(message), response.status_code, body


def as_device_error(exc: BaseException) -> DeviceError:
    if isinstance(exc, DeviceError):
        return exc
    if isinstance(exc, FencedWrite):
        return DeviceError(f"write not sent: {exc}", fenced=True)
    message, status, body = _device_message(exc)
    login = status == 401 and LOGIN_PATH in str(getattr(_response(exc), "url", ""))
    if login:
        message = f"login refused: {message}"
    return DeviceError(message, status, body, login_refused=login)


def _is_transient(exc: BaseException) -> bool:
    """Worth another try within this call: not a write the fence held back, and not a
    refused login (retrying one only counts against the account's lockout). A 401 for a
    token the device dropped is: the token is forgotten, the next try logs in afresh."""
    error = as_device_error(exc)
    return error.transient and not error.fenced and not error.login_refused


class DeviceClient:
    """A connection to one device. Not thread-safe: one worker owns it. ``connections``: how
    many connections a pass may use side by side (``pool``: this one and siblings, one
    partition each); each sibling logs in once and keeps its token across passes."""

    def __init__(
        self,
        settings: DeviceSettings,
        verify: bool | str = False,
        timeout: float = 30.0,
        attempts: int = 4,
        on_call: Callable[[str], None] | None = None,
        fence: Fence | None = None,
        user_agent: str = "",
        connections: int = 1,
        logins: LoginGate | None = None,
    ) -> None:
        self.settings = settings
        self.logins = logins or LoginGate()  # shared with the siblings: one device, one gate
        self.connections = max(1, int(connections))
        self._siblings = Siblings(self, self.sibling, self.connections)
        self.fence = fence
        self.user_agent = user_agent
        self.name = settings.name
        self.verify = verify
        self.timeout = timeout
        self.attempts = attempts
        self._mgmt: Any = None
        self.on_call = on_call or (lambda verb: None)  # counts REST calls (metrics, benches)
        self.base = f"https://{settings.address}:{settings.port}/mgmt/tm/"

    # -- connection -------------------------------------------------------------------------

    def sibling(self) -> DeviceClient:
        """Another connection to the same device: same settings, call counter and User-Agent,
        and this client's fence (looked up per write, so a fence set later holds for it too);
        its own session and token."""
        return DeviceClient(
            self.settings,
            verify=self.verify,
            timeout=self.timeout,
            attempts=self.attempts,
            on_call=self.on_call,
            fence=self._fence,
            user_agent=self.user_agent,
            logins=self.logins,
        )

    def pool(self, wanted: int | None = None) -> list[DeviceClient]:
        """Up to ``connections`` clients for work done side by side (this one first); the
        siblings are made once and kept, so their tokens serve every later pass (f5-sdk's
        token logins count against the device's limit of 100 per user)."""
        return self._siblings.take(wanted)

    @property
    def mgmt(self) -> Any:
        if self._mgmt is None:
            self._mgmt = self._retrying(self._connect)
        return self._mgmt

    def _connect(self) -> Any:
        s = self.settings
        try:
            mgmt = _ManagementRoot(
                s.address,
                s.username,
                s.password.reveal(),
                port=s.port,
                token=True,
                verify=self.verify,
                timeout=self.timeout,
                # The fence is looked up per request: a one-shot pass sets it once it holds
                # the set.
                adapter=_DeviceAdapter(self._fence, self.user_agent, self.verify),
            )
        except (requests.RequestException, KeyError, ValueError) as exc:
            raise as_device_error(exc) from None
        return mgmt

    def close(self) -> None:
        """Log out: revoke the tokens this client and its siblings hold. A device keeps at
        most 100 live tokens per user, each for 20 minutes: one-shot passes that left theirs
        behind would use that up for everybody logging in as that user."""
        for client in (*self._siblings.made(), self):
            client._logout()

    def _logout(self) -> None:
        mgmt, self._mgmt = self._mgmt, None
        token = getattr(mgmt.icrs.session.auth, "token", None) if mgmt is not None else None
        if not token:
            return
        url = self.base.replace("/mgmt/tm/", TOKENS_PATH) + token
        try:
            mgmt.icrs.session.delete(url, timeout=self.timeout)
        except requests.RequestException as exc:  # it expires by itself in the end
            log.debug("logout failed", device=self.name, error=str(exc))

    def _fence(self) -> float | None:
        return self.fence() if self.fence is not None else None

    def _forget_token(self) -> None:
        if self._mgmt is not None:
            auth = self._mgmt.icrs.session.auth
            if hasattr(auth, "token"):
                auth.token = None

    def _retrying(self, call: Any, *args: Any, **kwargs: Any) -> Any:
        for attempt in Retrying(
            retry=retry_if_exception(_is_transient),
            stop=stop_after_attempt(self.attempts),
            wait=wait_random_exponential(multiplier=0.2, max=3),
            reraise=True,
        ):
            with attempt:
                return self._through_gate(call, *args, **kwargs)
        raise AssertionError("unreachable")

    def _through_gate(self, call: Any, *args: Any, **kwargs: Any) -> Any:
        """One call, unless the device's logins are backing off (then a DeviceError at once,
        the device not asked). A 401 drops the token; a refused login closes the gate."""
        wait = self.logins.closed_for()
        if wait > 0:
            state = self.logins.state
            refused = state.message if state else "login refused"
            closed = DeviceError(
                f"{refused} (not tried again for {wait:.0f} s)", 401, login_refused=True
            )
            closed.gated = True
            raise closed
        try:
            result = call(*args, **kwargs)
        except (DeviceError, requests.RequestException, iControlUnexpectedHTTPError) as exc:
            error = as_device_error(exc)
            if error.status == 401:
                self._forget_token()
            if error.login_refused and not error.gated:
                error.gated = True  # an outer call sees the same error: count it once
                self.logins.refused(str(error))
            raise error from None
        self.logins.accepted()
        return result

    # -- URLs ------------------------------------------------------------------------------

    def url(self, path: str, partition: str = "", name: str = "", parent: str = "") -> str:
        """``ltm/pool`` + P + name → .../ltm/pool/~P~name (names percent-quoted: ``%RD``)."""
        url = self.base + path
        if parent:
            url += f"/~{partition}~{quote(parent, safe=':')}/members"
        if name:
            url += f"/~{partition}~{quote(name, safe=':')}" if partition else f"/{quote(name)}"
        elif partition and not parent:
            url += f"/~{partition}"
        return url

    # -- reads -----------------------------------------------------------------------------

    def get(self, url: str, params: dict[str, str] | None = None) -> Any:
        def call() -> Any:
            self.on_call("GET")
            return self.mgmt.icrs.get(url, params=params).json()

        return self._retrying(call)

    def collection(
        self, path: str, partition: str | None = None, expand: bool = False, page: int = 1000
    ) -> list[dict[str, Any]]:
        """Every item of a collection, one paged GET at a time (``$top``/``$skip``)."""
        items: list[dict[str, Any]] = []
        skip = 0
        while True:
            params = {"$top": str(page), "$skip": str(skip)}
            if partition:
                params["$filter"] = f"partition eq {partition}"
            if expand:
                params["expandSubcollections"] = "true"
            answer = self.get(self.base + path, params)
            batch = answer.get("items") or []
            items.extend(batch)
            if not answer.get("nextLink") or not batch:
                return items
            skip += len(batch)

    # -- writes ----------------------------------------------------------------------------

    def send(self, verb: str, url: str, body: dict[str, Any] | None = None) -> Any:
        """One write, not retried (a transaction decides what a failure means)."""

        def call() -> Any:
            self.on_call(verb)
            method = getattr(self.mgmt.icrs, verb.lower())
            return method(url, json=body) if body is not None else method(url)

        response = self._through_gate(call)
        return response.json() if response.content else None

    def upload(self, name: str, data: bytes) -> None:
        """One file to ``/mgmt/shared/file-transfer/uploads/<name>`` (one chunk: certificates
        and keys are small). Sent through the session directly, not f5-sdk's upload helper,
        which logs the bytes it sends at DEBUG: those bytes include private keys."""
        url = self.base.replace("/mgmt/tm/", "/mgmt/shared/file-transfer/uploads/") + quote(name)
        headers = {
            "Content-Type": "application/octet-stream",
            "Content-Range": f"0-{len(data) - 1}/{len(data)}",
        }

        def call() -> None:
            self.mgmt.icrs.post(url, data=data, headers=headers)

        self._retrying(call)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """Writes inside go into one iControl transaction, committed on exit (all or nothing)."""
        tx = self.mgmt.tm.transactions.transaction
        manager = TransactionContextManager(tx)

        def begin() -> None:
            self.on_call("POST")
            manager.__enter__()

        self._retrying(begin)
        try:
            yield
        except BaseException:
            # Abandon: drop the coordination header; the device discards an uncommitted tx.
            manager.icr.session.headers = manager.original_headers
            raise
        self.on_call("PATCH")
        try:
            manager.__exit__(None, None, None)
        except TransactionSubmitException as exc:
            inner = exc.args[0] if exc.args else exc
            raise as_device_error(inner) from None
        except (requests.RequestException, iControlUnexpectedHTTPError) as exc:
            raise as_device_error(exc) from None

    def save_config(self, partitions: Sequence[str] | None = None) -> None:
        """``tmsh save sys config``: without it a reboot loses what we wrote (agent #806).
        ``partitions``: only those (``save sys config partitions { … }``; a whole save of
        a large device takes seconds). A device that refuses the partitions option gets a
        whole save instead: saving more than asked is always safe."""
        body: dict[str, Any] = {"command": "save"}
        if partitions:
            body["options"] = [{"partitions": "{ " + " ".join(partitions) + " }"}]
        try:
            self._retrying(self.send, "POST", self.base + "sys/config", body)
        except DeviceError as exc:
            if not partitions or exc.status != 400:
                raise
            log.warning("partitioned save refused; saving the whole config", error=str(exc))
            self._retrying(self.send, "POST", self.base + "sys/config", {"command": "save"})
