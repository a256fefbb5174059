"""Redis as a nameko dependency: one client (connection pool) per process, shared by workers."""
import redis
from nameko.extensions import DependencyProvider


class RedisClient(redis.Redis):
    def ping(self, **kwargs):  # health probe: True or raise
        return super().ping(**kwargs)


class Redis(DependencyProvider):
    def setup(self):
        self.client = RedisClient.from_url(self.container.config["REDIS_URI"],
                                           decode_responses=True)

    def stop(self):
        self.client.close()

    def get_dependency(self, worker_ctx):
        return self.client
