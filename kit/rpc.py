"""`@rpc` for our services: ServiceError subclasses are expected outcomes, not crashes.

nameko logs every exception raised by an entrypoint with a traceback unless it is declared
expected; a wrong password is not an incident.
"""
from nameko.rpc import Rpc

from kit.errors import ServiceError

rpc = Rpc.decorator(expected_exceptions=(ServiceError,))
