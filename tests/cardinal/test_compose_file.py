"""deploy/docker-compose.yml holds no credential: the passwords of PostgreSQL and
Redis come from deploy/.env, are required there, and Redis asks for its own;
every service restarts after a crash."""

import re
from pathlib import Path

COMPOSE = Path(__file__).resolve().parents[2] / "deploy" / "docker-compose.yml"


def compose() -> str:
    return COMPOSE.read_text()


def service_blocks() -> dict[str, str]:
    """Each service's lines, by name (the file's two-space YAML layout)."""
    services = re.split(r"\n\n(?=\S)", compose().split("\nservices:\n", 1)[1])[0]
    blocks = re.split(r"^  (\w+):\n", services, flags=re.M)[1:]
    return dict(zip(blocks[::2], blocks[1::2], strict=True))


def test_no_password_is_written_in_the_compose_file():
    text = compose()
    credentials = re.findall(r"://(.*)@[\w.-]+:\d+/", text)  # user:password@ in a URL
    assert credentials, "the compose file builds no service URL"
    for credential in credentials:
        user, _, password = credential.partition(":")
        assert re.fullmatch(r"\$\{[A-Z_]+:\?[^}]+\}", password), credential
    assert re.search(r"POSTGRES_PASSWORD: \$\{POSTGRES_PASSWORD:\?", text)


def test_redis_requires_the_password_from_the_environment():
    redis = service_blocks()["redis"]
    assert "--requirepass" in redis
    assert re.search(r"REDISCLI_AUTH: \$\{REDIS_PASSWORD:\?", redis)


def test_every_service_restarts_unless_stopped():
    blocks = service_blocks()
    assert set(blocks) == {"postgres", "redis", "web", "intake", "worker", "beat"}
    app_restarts = "restart: unless-stopped" in compose().split("\nservices:\n", 1)[0]
    for name, block in blocks.items():
        inherits = "<<: *app\n" in block
        assert "restart: unless-stopped" in block or (inherits and app_restarts), name
