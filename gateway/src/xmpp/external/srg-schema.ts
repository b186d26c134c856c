// mod_shared_roster's two tables as ejabberd 23.01 has them with `new_sql_schema: true`
// (priv/sql/lite.new.sql, sql/pg.new.sql; Debian ships only the SQLite file): ejabberd does not make
// its tables itself, so `herald-gateway ejabberd config` does (with mod_mam's), and srg-tables.ts again
// before writing (IF NOT EXISTS: an archive file made before the shared roster moved to SQL).
export const SQLITE_SRG_SCHEMA = `
CREATE TABLE IF NOT EXISTS sr_group (
    name text NOT NULL,
    server_host text NOT NULL,
    opts text NOT NULL,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (server_host, name)
);
CREATE UNIQUE INDEX IF NOT EXISTS i_sr_group_sh_name ON sr_group (server_host, name);
CREATE TABLE IF NOT EXISTS sr_user (
    jid text NOT NULL,
    server_host text NOT NULL,
    grp text NOT NULL,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (server_host, jid, grp)
);
CREATE UNIQUE INDEX IF NOT EXISTS i_sr_user_sh_jid_grp ON sr_user (server_host, jid, grp);
CREATE INDEX IF NOT EXISTS i_sr_user_sh_jid ON sr_user (server_host, jid);
CREATE INDEX IF NOT EXISTS i_sr_user_sh_grp ON sr_user (server_host, grp);
`;

export const PG_SRG_SCHEMA = `
CREATE TABLE IF NOT EXISTS sr_group (
    name text NOT NULL,
    server_host text NOT NULL,
    opts text NOT NULL,
    created_at TIMESTAMP NOT NULL DEFAULT now(),
    PRIMARY KEY (server_host, name)
);
CREATE UNIQUE INDEX IF NOT EXISTS i_sr_group_sh_name ON sr_group USING btree (server_host, name);
CREATE TABLE IF NOT EXISTS sr_user (
    jid text NOT NULL,
    server_host text NOT NULL,
    grp text NOT NULL,
    created_at TIMESTAMP NOT NULL DEFAULT now(),
    PRIMARY KEY (server_host, jid, grp)
);
CREATE UNIQUE INDEX IF NOT EXISTS i_sr_user_sh_jid_grp ON sr_user USING btree (server_host, jid, grp);
CREATE INDEX IF NOT EXISTS i_sr_user_sh_jid ON sr_user USING btree (server_host, jid);
CREATE INDEX IF NOT EXISTS i_sr_user_sh_grp ON sr_user USING btree (server_host, grp);
`;
