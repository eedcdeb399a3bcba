"""A local stand-in for the Biosafety Clearing-House (BCH) API, ``api.cbd.int``, for dev and tests.

It speaks the documented API (scbd/clearing-house-documentation; reference/bch-api.md in the
project's shared folder): token, drafts (save, read, info, delete), validation, publication requests
(``publishNationalRecord`` for decisions, ``publishReferenceRecord`` for contacts), published
records, a minimal search index and the public thesaurus. National users can only *request* the
publication of a national record; the national focal point approves or rejects, here through the
stand-in-only control endpoints under ``/_standin/`` (which also inject faults). Reference
records (contacts) are published at once unless ``/_standin/config`` says otherwise: whether the
real BCH does so is for bch-dev to settle (README, "Before going live"). State is kept in memory
and, given a state folder, in ``<folder>/state.json`` too (documents, drafts, publication
requests, document numbers; written atomically after every change, read at start), so a restart
forgets no publication request. Tokens are not kept: after a restart the BCH client's old token
is answered 401 and it fetches a new one, as with the real BCH.

Validation is as strict as the documentation describes it (infra/bch_standin_rules.py): unknown
properties, wrong types, undeclared locales, terms outside their domain, missing mandatory fields,
and references that do not name an existing revision of a record of the right kind are refused;
an invalid document is answered 400 with the ``errors`` list. A draft locked by a pending
publication request cannot be changed (``Error.RecordLocked``).

Besides the records published here, a small registry of public records is always present
(``SEEDED_AUTHORITY_RECORDS``, ``SEEDED_LMO_RECORDS``, ``SEEDED_RISK_ASSESSMENT_RECORDS`` in
infra/bch_standin_state.py, with the records and the state file): the
dev stack's competent national authority (the settings' placeholder), and sample
``modifiedOrganism`` and ``nationalRiskAssessment`` records with fixed ids, readable at
``GET /api/v2013/documents/{uid}`` and searchable, e.g.
``GET /api/v2013/index?q=uniqueIdentification_s:MON-00810-6`` (a slashed zero Ø matches a plain
0). Their content is a stand-in summary, not the BCH's record.

This module builds the app and runs it. Its routes, by resource, are in infra/bch_standin_auth.py
(token, session), bch_standin_drafts.py (drafts, validation), bch_standin_workflows.py
(publication requests), bch_standin_published.py (records, index, thesaurus) and
bch_standin_controls.py (``/_standin/``).

Standalone: ``python -m infra.bch_standin --port 8300 [--state-dir .stack/bch] [--auto-approve]``.
"""

from __future__ import annotations

import argparse
import asyncio
import threading
import time
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from infra.bch_standin_auth import auth_router, bearer_session
from infra.bch_standin_controls import controls_router
from infra.bch_standin_drafts import drafts_router
from infra.bch_standin_published import published_router
from infra.bch_standin_records import ApiError
from infra.bch_standin_state import STATE_FILE, StandinState, iso_z, load_state, save_state, utc_now
from infra.bch_standin_workflows import workflows_router

API = "/api/v2013"


# --- the app -------------------------------------------------------------------------------------


def create_app(
    token_ttl_seconds: float = 3600, auto_approve: bool = False, state_dir: Path | None = None
) -> FastAPI:
    """The stand-in's app; with ``state_dir``, its state is kept in ``state_dir/state.json``
    (loaded now, saved after every request that may change it), otherwise in memory only."""
    app = FastAPI(
        title="Biosafety Clearing-House stand-in",
        description="Local stand-in for api.cbd.int (BCH). State is in memory"
        + (f", and in {state_dir / STATE_FILE}." if state_dir else "."),
    )
    state = StandinState(token_ttl_seconds=token_ttl_seconds, auto_approve=auto_approve)
    state_file = state_dir / STATE_FILE if state_dir is not None else None
    if state_file is not None:
        load_state(state, state_file)
    app.state.bch = state

    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> JSONResponse:
        body = {"statusCode": exc.status, "code": exc.code, "message": exc.message, **exc.extra}
        return JSONResponse(body, status_code=exc.status)

    @app.middleware("http")
    async def faults_and_call_log(request: Request, call_next: Any) -> Response:
        entry: dict[str, Any] = {
            "at": iso_z(utc_now()),
            "method": request.method,
            "path": request.url.path,
            "query": request.url.query,
            "accept": request.headers.get("accept"),
        }
        if request.url.path.startswith("/api/"):
            state.calls.append(entry)
            del state.calls[:-5000]  # a long dev session keeps only the recent calls
            if state.fault_mode == "fail":
                entry["status"] = 503
                return JSONResponse(
                    {
                        "statusCode": 503,
                        "code": "ServiceUnavailable",
                        "message": "(stand-in fault)",
                    },
                    status_code=503,
                )
            if state.fault_mode == "hang":
                await asyncio.sleep(state.hang_seconds)
        response: Response = await call_next(request)
        entry["status"] = response.status_code
        if state_file is not None and request.method not in ("GET", "HEAD", "OPTIONS"):
            # Before the answer leaves: a client that saw its request accepted finds it again
            # after a restart. (Handlers change the state without awaiting: no torn snapshot.)
            save_state(state, state_file)
        return response

    # In the order the routes were always declared: the OpenAPI document lists them so.
    session = bearer_session(state)
    app.include_router(auth_router(state), prefix=API)
    app.include_router(drafts_router(state, session), prefix=API)
    app.include_router(workflows_router(state, session), prefix=API)
    app.include_router(published_router(state, session), prefix=API)
    controls = controls_router(
        state, auto_approve=auto_approve, token_ttl_seconds=token_ttl_seconds
    )
    app.include_router(controls, prefix="/_standin")
    return app


# --- running it ----------------------------------------------------------------------------------


class BchStandinServer:
    """Runs the stand-in with uvicorn in a background thread (tests); with ``state_dir``, its
    state survives a restart (see ``create_app``)."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        token_ttl_seconds: float = 3600,
        auto_approve: bool = False,
        state_dir: Path | None = None,
    ) -> None:
        import uvicorn

        from infra.serve import tcp_listener, uvicorn_config
        from infra.settings import Settings

        self.app = create_app(
            token_ttl_seconds=token_ttl_seconds, auto_approve=auto_approve, state_dir=state_dir
        )
        self._socket = tcp_listener(host, port)
        self.host, self.port = host, self._socket.getsockname()[1]
        config = uvicorn_config(
            self.app,
            Settings(),
            log_level="warning",
            lifespan="off",
            timeout_graceful_shutdown=1,
        )
        self._server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def state(self) -> StandinState:
        return self.app.state.bch  # type: ignore[no-any-return]

    def start(self, timeout: float = 10.0) -> None:
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the BCH stand-in did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        self._socket.close()


def main(argv: list[str] | None = None) -> None:
    import uvicorn

    from infra.serve import uvicorn_config
    from infra.settings import get_settings

    parser = argparse.ArgumentParser(description="Local Biosafety Clearing-House stand-in.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8300)
    parser.add_argument("--token-ttl", type=float, default=3600)
    parser.add_argument("--auto-approve", action="store_true")
    parser.add_argument(
        "--state-dir",
        type=Path,
        default=None,
        help=f"keep the state in STATE_DIR/{STATE_FILE} across restarts (default: memory only)",
    )
    args = parser.parse_args(argv)
    where = f"state in {args.state_dir / STATE_FILE}" if args.state_dir else "state in memory"
    print(
        f"BCH stand-in on http://{args.host}:{args.port}{API} "
        f"(controls under /_standin/, state at /_standin/state, OpenAPI at /docs; {where})",
        flush=True,
    )
    app = create_app(
        token_ttl_seconds=args.token_ttl, auto_approve=args.auto_approve, state_dir=args.state_dir
    )
    # The same slow-client limits as the API's server (infra/serve.py).
    config = uvicorn_config(app, get_settings(), host=args.host, port=args.port, log_level="info")
    uvicorn.Server(config).run()


if __name__ == "__main__":
    main()
