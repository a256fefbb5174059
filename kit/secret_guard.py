"""A production config refuses to start with a default, empty or short secret.

Dev and test configs carry throwaway secrets on purpose (`dev-only-secret-change-me-…`), with
`${JWT_SECRET:…}` so a deployment overrides them. Nothing stops a deployment from forgetting:
a config that sets `SECURITY: {refuse_weak_secrets: true}` (every production config must) makes
every process refuse to start while any secret below is empty, shorter than MIN_LENGTH, or still
a committed default. The gateway checks in create_app; every service through kit.sidedoor.

    SECURITY:
      refuse_weak_secrets: true
"""
from nameko.extensions import DependencyProvider

MIN_LENGTH = 32
# (section, key) of every secret the platform reads
SECRETS = (("AUTH", "jwt_secret"), ("PAYMENTS", "webhook_secret"))
DEFAULT_MARKERS = ("dev-only", "test-only", "change-me", "changeme", "secret-change", "example")


class WeakSecrets(RuntimeError):
    pass


def problems(config):
    found = []
    for section, key in SECRETS:
        if section not in config:
            continue
        value = str((config.get(section) or {}).get(key) or "")
        name = f"{section}.{key}"
        if not value.strip():
            found.append(f"{name} is empty")
        elif len(value) < MIN_LENGTH:
            found.append(f"{name} is shorter than {MIN_LENGTH} characters")
        elif any(marker in value.lower() for marker in DEFAULT_MARKERS):
            found.append(f"{name} is a committed default")
    return found


def check(config):
    """Raise WeakSecrets (naming each secret, never its value) if this config must refuse."""
    if not (config.get("SECURITY") or {}).get("refuse_weak_secrets"):
        return
    found = problems(config)
    if found:
        raise WeakSecrets("refusing to start with weak secrets: " + "; ".join(found)
                          + " (set them from the environment, e.g. JWT_SECRET)")


class SecretGuard(DependencyProvider):
    """In every service (kit.sidedoor.SideDoor): the container fails to start on weak secrets."""

    def setup(self):
        check(self.container.config)

    def get_dependency(self, worker_ctx):
        return None
