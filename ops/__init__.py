"""Operations tooling: server install/start (servers.sh) and the process supervisor (platformctl)."""
