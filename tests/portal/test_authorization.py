"""Each committee action against each role: allowed exactly for the roles in PERMISSIONS, refused
with a Chinese message (and nothing changed) for everyone else, audited when it happens."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from sqlmodel import Session

from portal.models import Role
from portal.services.actors import PERMISSIONS, ResidentActor
from portal.services.errors import PermissionDenied
from tests.portal.committee_actions import (  # noqa: F401  (fixtures)
    ACTIONS,
    audit_rows,
    dump,
    world,
    world_template,
)
from tests.support_faults import use_keyword_model

SERVICES = Path(__file__).resolve().parents[2] / "portal" / "services"
ACTORS = ["admin", "reviewer", "clerk", "resident", "visitor"]


@pytest.fixture
def keyword_model(monkeypatch):
    use_keyword_model(monkeypatch)


def _actor(world, who: str):  # noqa: F811
    if who in {r.value for r in Role}:
        return world.committee[Role(who)]
    if who == "resident":
        return ResidentActor(resident_id=world.residents[0], community_id=world.community_id,
                             area_id=world.area_id, area_name="3号楼", grid="第一网格")
    return None


@pytest.mark.parametrize("who", ACTORS)
@pytest.mark.parametrize("action", ACTIONS, ids=[a.id for a in ACTIONS])
def test_every_committee_action_against_every_role(world, keyword_model, action, who):  # noqa: F811
    engine = world.engine
    actor = _actor(world, who)
    allowed = who in {r.value for r in PERMISSIONS[action.permission]}
    before = dump(engine)
    events_before = audit_rows(engine)
    with Session(engine, expire_on_commit=False) as s:
        if allowed:
            action.perform(s, world, actor)
        else:
            with pytest.raises(PermissionDenied) as denied:
                action.perform(s, world, actor)
            message = str(denied.value)
            assert "权限" in message or "登录" in message
            assert message.endswith("。")
    if allowed and action.changes_data:
        new = audit_rows(engine)[len(events_before):]
        assert any(a == actor.audit_name for a, _ in new), f"{action.id} left no audit event: {new}"
    elif allowed:
        assert dump(engine) == before, f"{action.id} is a read but changed data"
    else:
        assert dump(engine) == before, f"refused {action.id} still changed data"


def _permission_calls(tree: ast.Module) -> dict[str, set[str]]:
    """public function name -> permissions it checks with require(actor, ...), directly or
    through functions of the same module it calls."""
    direct: dict[str, set[str]] = {}
    calls: dict[str, set[str]] = {}
    for fn in tree.body:
        if not isinstance(fn, ast.FunctionDef):
            continue
        direct[fn.name], calls[fn.name] = set(), set()
        for node in ast.walk(fn):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                if node.func.id == "require" and len(node.args) >= 2:
                    direct[fn.name] |= {c.value for c in ast.walk(node.args[1])
                                        if isinstance(c, ast.Constant) and isinstance(c.value, str)}
                calls[fn.name].add(node.func.id)

    def perms(name: str, seen: frozenset[str] = frozenset()) -> set[str]:
        out = set(direct.get(name, ()))
        for callee in calls.get(name, ()):
            if callee in direct and callee not in seen:
                out |= perms(callee, seen | {name})
        return out

    return {name: p for name in direct if not name.startswith("_") and (p := perms(name))}


def test_every_permission_checked_service_function_is_in_the_matrix():
    """A new committee action must get a scenario in tests/portal/committee_actions.py, so it is
    tested against every role and for its audit event."""
    covered: dict[str, set[str]] = {}
    for a in ACTIONS:
        covered.setdefault(a.name, set()).add(a.permission)
    missing, wrong = [], []
    for path in sorted(SERVICES.glob("*.py")):
        for fn, perms in _permission_calls(ast.parse(path.read_text(encoding="utf-8"))).items():
            name = f"{path.stem}.{fn}"
            if name not in covered:
                missing.append(f"{name} {sorted(perms)}")
            elif not covered[name] <= perms:
                wrong.append(f"{name}: checks {sorted(perms)}, matrix has {sorted(covered[name])}")
    assert not missing, "committee actions without a role/audit scenario: " + "; ".join(missing)
    assert not wrong, "; ".join(wrong)


def test_every_permission_is_exercised_by_some_action():
    """A permission no service checks is a forgotten check (or dead weight)."""
    used = {a.permission for a in ACTIONS}
    assert set(PERMISSIONS) - used <= {"view_audit"}, sorted(set(PERMISSIONS) - used)
