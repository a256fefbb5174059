"""The process's recommendation engine as a nameko dependency (one per container)."""
from nameko.extensions import DependencyProvider

from kit.recs_cache import Keys
from services.recommendations.serving import Engine


class RecommendationEngine(DependencyProvider):
    def setup(self):
        self.engine = Engine(Keys.from_config(self.container.config))

    def get_dependency(self, worker_ctx):
        return self.engine
