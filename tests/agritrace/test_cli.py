from sqlalchemy import select

from agritrace.models import AuditEntry, User


def test_users_create_makes_an_admin_with_a_hashed_password(app, db):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "create", "--email", "Boss@Example.VN", "--name",
                                 "Boss", "--role", "admin", "--password", "s3cret-enough"])
    assert result.exit_code == 0, result.output
    user = db.scalar(select(User).where(User.email == "boss@example.vn"))
    assert user is not None and user.password_hash.startswith("$argon2id$")
    assert db.scalar(select(AuditEntry).where(AuditEntry.entity == "user",
                                              AuditEntry.entity_id == str(user.id)))


def test_users_create_refuses_a_weak_password(app, db):
    result = app.test_cli_runner().invoke(args=[
        "users", "create", "--email", "x@example.vn", "--name", "X", "--role", "admin",
        "--password", "short"])
    assert result.exit_code != 0
    assert "at least 12 characters" in result.output
    assert db.scalar(select(User).where(User.email == "x@example.vn")) is None


def test_users_create_refuses_an_official_without_province(app, db):
    result = app.test_cli_runner().invoke(args=[
        "users", "create", "--email", "o@example.vn", "--name", "O", "--role", "official",
        "--password", "long-enough-1"])
    assert result.exit_code != 0
    assert "province" in result.output
