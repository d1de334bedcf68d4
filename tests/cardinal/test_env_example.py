""".env.example names every environment variable the deployment reads, and nothing
else, and README's Configuration section describes each: the variables are read
from cardinal/settings.py itself (every env_* or secret() call with a literal
name), so a setting added there is covered at once, and from
deploy/gunicorn.conf.py alike, plus those that deploy/docker-compose.yml takes
from deploy/.env and those deploy/Procfile's commands read (${NAME},
${NAME:-default})."""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = ROOT / "cardinal" / "settings.py"
COMPOSE = ROOT / "deploy" / "docker-compose.yml"
PROCFILE = ROOT / "deploy" / "Procfile"
GUNICORN_CONF = ROOT / "deploy" / "gunicorn.conf.py"


def _reads_environment(call: ast.Call) -> bool:
    func = call.func
    if isinstance(func, ast.Name):
        return func.id.startswith("env_") or func.id == "secret"
    if isinstance(func, ast.Attribute):  # os.environ.get(...), os.getenv(...)
        owner = ast.unparse(func.value)
        return (owner, func.attr) in {("os.environ", "get"), ("os", "getenv")}
    return False


def python_variables(path: Path) -> set[str]:
    """Names of the environment variables a Python file reads (cardinal/settings.py,
    deploy/gunicorn.conf.py)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        literal = None
        if isinstance(node, ast.Call) and _reads_environment(node) and node.args:
            literal = node.args[0]
        elif isinstance(node, ast.Subscript) and ast.unparse(node.value) == "os.environ":
            literal = node.slice
        if isinstance(literal, ast.Constant) and isinstance(literal.value, str):
            names.add(literal.value)
    return names


def shell_variables(path: Path) -> set[str]:
    """The ${NAME} (and ${NAME:-default}, ${NAME:?message}) a file expands."""
    return set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)", path.read_text()))


def deploy_variables() -> set[str]:
    """Every variable the deployment reads: settings, gunicorn's config, the compose
    file, the Procfile."""
    return (
        python_variables(SETTINGS)
        | python_variables(GUNICORN_CONF)
        | shell_variables(COMPOSE)
        | shell_variables(PROCFILE)
    )


def env_example_variables() -> list[str]:
    names = []
    for line in (ROOT / ".env.example").read_text().splitlines():
        match = re.match(r"([A-Z][A-Z0-9_]*)=", line)
        if match:
            names.append(match.group(1))
    return names


def readme_configuration() -> str:
    text = (ROOT / "README.md").read_text()
    return text.split("\n## Configuration", 1)[1].split("\n## ", 1)[0]


def test_the_settings_scan_finds_the_variables_it_should():
    found = python_variables(SETTINGS)
    # Plain reads, secrets, and reads inside an `if` (production only, SMTP only).
    expected = {"DJANGO_DEBUG", "FIELD_HASH_KEY", "TRUSTED_PROXIES", "DJANGO_HSTS_SECONDS"}
    assert expected | {"EMAIL_PORT"} <= found
    assert len(found) >= 30
    assert {"POSTGRES_PASSWORD", "REDIS_PASSWORD"} <= shell_variables(COMPOSE)
    assert {"GUNICORN_INTAKE_BIND", "CELERY_BEAT_SCHEDULE_FILE"} <= shell_variables(PROCFILE)
    gunicorn = {"GUNICORN_BIND", "WEB_CONCURRENCY", "GUNICORN_TIMEOUT", "GUNICORN_MAX_REQUESTS"}
    gunicorn |= {"GUNICORN_FORWARDED_ALLOW_IPS", "GUNICORN_ACCESS_LOG", "GUNICORN_LOG_LEVEL"}
    assert python_variables(GUNICORN_CONF) == gunicorn


def test_env_example_names_every_variable_and_nothing_else():
    listed = env_example_variables()
    assert len(listed) == len(set(listed)), "a variable is listed twice in .env.example"
    wanted = deploy_variables()
    missing = wanted - set(listed)
    unknown = set(listed) - wanted
    assert not missing, f".env.example does not list {sorted(missing)}"
    assert not unknown, f".env.example lists {sorted(unknown)}, which nothing reads"


def test_readme_configuration_describes_every_variable():
    section = readme_configuration()
    described = set(re.findall(r"`([A-Z][A-Z0-9_]*)`", section))
    missing = deploy_variables() - described
    assert not missing, f"README's Configuration section does not describe {sorted(missing)}"
