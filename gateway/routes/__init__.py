"""One blueprint per area of the API; gateway.app registers them all (ALL_BLUEPRINTS)."""
from gateway.routes.auth import bp as auth_bp
from gateway.routes.health import bp as health_bp
from gateway.routes.users import bp as users_bp

ALL_BLUEPRINTS = (health_bp, auth_bp, users_bp)
