from kit.migrate import run_migrations

run_migrations()
