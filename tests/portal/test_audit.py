import sqlalchemy as sa

from portal.services import audit


def test_chain_verifies_and_detects_tampering(session):
    for i in range(5):
        audit.record(session, actor="committee:1", action="theme.rename", target_type="theme",
                     target_id=i, detail={"from": "停车", "to": f"停车难{i}"})
    session.commit()
    report = audit.verify_chain(session)
    assert report.ok and report.checked == 5

    session.execute(sa.text("UPDATE auditevent SET detail = '{\"from\": \"改过\"}' WHERE id = 3"))
    session.commit()
    session.expire_all()
    report = audit.verify_chain(session)
    assert not report.ok and report.first_bad_id == 3


def test_deleting_a_row_breaks_the_chain(session):
    for i in range(3):
        audit.record(session, actor="cli", action="x", target_id=i)
    session.commit()
    session.execute(sa.text("DELETE FROM auditevent WHERE id = 2"))
    session.commit()
    session.expire_all()
    report = audit.verify_chain(session)
    assert not report.ok and report.first_bad_id == 3
