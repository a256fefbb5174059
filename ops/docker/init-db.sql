-- Run once by the postgres image on an empty volume (docker-entrypoint-initdb.d), as the
-- POSTGRES_USER (aarya, a superuser there). One database per service, plus its _test twin so the
-- suite can run against the compose stack too. Same list as config/*.yaml DB_URIS.
CREATE DATABASE users_db OWNER aarya;
CREATE DATABASE products_db OWNER aarya;
CREATE DATABASE orders_db OWNER aarya;
CREATE DATABASE payments_db OWNER aarya;
CREATE DATABASE notifications_db OWNER aarya;
CREATE DATABASE analytics_db OWNER aarya;
CREATE DATABASE recommendations_db OWNER aarya;
CREATE DATABASE search_db OWNER aarya;
CREATE DATABASE audit_db OWNER aarya;
CREATE DATABASE users_db_test OWNER aarya;
CREATE DATABASE products_db_test OWNER aarya;
CREATE DATABASE orders_db_test OWNER aarya;
CREATE DATABASE payments_db_test OWNER aarya;
CREATE DATABASE notifications_db_test OWNER aarya;
CREATE DATABASE analytics_db_test OWNER aarya;
CREATE DATABASE recommendations_db_test OWNER aarya;
CREATE DATABASE search_db_test OWNER aarya;
CREATE DATABASE audit_db_test OWNER aarya;
