"""The one way a page saves a change, and reads something that may be refused.

A page never commits, never opens a Session and never catches ``ServiceError`` itself
(tests/test_architecture.py checks this). It hands a service to ``save``, which runs it in
``portal.db.unit_of_work`` (one transaction, committed once, retried while SQLite is busy) and
shows the service's Chinese message when the change is refused. The page does not rerun on a
refusal, so what the user typed stays in the form to be corrected.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import streamlit as st

from portal.db import unit_of_work
from portal.services.errors import ServiceError
from portal.ui.resources import db_session, engine
from portal.ui.widgets import flash_and_rerun


@dataclass(frozen=True)
class Outcome:
    """What a service call came to: true when it succeeded (``value``), else its ``error``."""

    ok: bool
    value: Any = None
    error: str = ""

    def __bool__(self) -> bool:
        return self.ok


def _refused(exc: ServiceError, error_key: str | None) -> Outcome:
    if error_key is None:
        st.error(str(exc))
    else:  # in a widget callback: shown by show_error(error_key) when the page runs next
        st.session_state[error_key] = str(exc)
    return Outcome(False, error=str(exc))


def save(fn: Callable[..., Any], /, *, error_key: str | None = None, **kwargs: Any) -> Outcome:
    """Run the writing service ``fn(session, **kwargs)`` as one unit of work and commit it once.

    A ``ServiceError`` rolls everything back and its message is shown with ``st.error`` (or, from
    a widget callback, left in ``session_state[error_key]`` for ``show_error``). Returns an
    ``Outcome`` that is true when the change was saved.
    """
    try:
        value = unit_of_work(engine(), lambda session: fn(session, **kwargs))
    except ServiceError as exc:
        return _refused(exc, error_key)
    return Outcome(True, value)


def save_and_flash(flash_key: str, message: str | Callable[[Any], str], fn: Callable[..., Any], /,
                   **kwargs: Any) -> Outcome:
    """``save``, then on success leave ``message`` (or ``message(result)``) for ``show_flash``
    and rerun the page. On a refusal the error is shown and the page carries on."""
    done = save(fn, **kwargs)
    if done:
        flash_and_rerun(flash_key, message(done.value) if callable(message) else message)
    return done


def save_in_steps(fn: Callable[..., Any], /, *, unfinished: str, **kwargs: Any) -> Outcome:
    """Run a long service that commits its own steps, ``fn(engine, **kwargs)`` (an analysis run).

    A ``ServiceError`` is shown as it is; any other failure as ``unfinished`` plus the reason
    (such a service leaves the previous results untouched when it fails).
    """
    try:
        value = fn(engine(), **kwargs)
    except ServiceError as exc:
        return _refused(exc, None)
    except Exception as exc:  # noqa: BLE001 - the committee needs to see why, the page carries on
        st.error(f"{unfinished}原因：{type(exc).__name__}: {exc}")
        return Outcome(False, error=str(exc))
    return Outcome(True, value)


def read(fn: Callable[..., Any], /, *, show: str = "error", error_key: str | None = None,
         **kwargs: Any) -> Outcome:
    """Call a reading service ``fn(session, **kwargs)`` that may refuse (not found, not allowed,
    a file that cannot be read); its message is shown with ``st.error`` (``show="caption"``
    for a quiet note). Nothing is committed."""
    try:
        with db_session() as session:
            value = fn(session, **kwargs)
    except ServiceError as exc:
        if show == "caption" and error_key is None:
            st.caption(str(exc))
            return Outcome(False, error=str(exc))
        return _refused(exc, error_key)
    return Outcome(True, value)


def show_error(error_key: str) -> None:
    """Show (once) the message a refused action left in ``session_state[error_key]``."""
    if message := st.session_state.pop(error_key, None):
        st.error(message)
