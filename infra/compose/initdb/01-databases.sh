#!/bin/sh
# First start of the compose PostgreSQL only (an empty data volume): the roles and databases of
# Temporal (history and visibility) and of the case register, with the passwords from the
# environment (infra/compose.yaml).
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" \
     -v temporal_pw="$TEMPORAL_DB_PASSWORD" -v biosafety_pw="$BIOSAFETY_DB_PASSWORD" <<'SQL'
CREATE ROLE temporal LOGIN PASSWORD :'temporal_pw';
CREATE DATABASE temporal OWNER temporal;
CREATE DATABASE temporal_visibility OWNER temporal;
CREATE ROLE biosafety LOGIN PASSWORD :'biosafety_pw';
CREATE DATABASE biosafety OWNER biosafety;
SQL
