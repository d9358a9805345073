-- API keys as SparkPost has them, and the primary account as a subaccount code.
-- See src/core/api-keys.ts (keys, grants, the cache) and src/core/query/sql.ts (subaccount scoping).

-- Keys created with `keys create` or POST /api/v1/api-keys. Keys from API_KEYS / Secrets Manager are not
-- here: they stay in the configuration and are admin keys.
--
-- Only the SHA-256 digest of a key is kept. A key is 24 random bytes (192 bits, as 48 hex characters), so
-- an unsalted fast hash is enough: there is no dictionary to try, and 2^176 guesses (the short key gives
-- away 16 bits) are out of reach with any hash. A salt or a slow hash (bcrypt, scrypt) only helps
-- low-entropy secrets such as passwords, and would rule out finding the key by its digest through the
-- index below. That lookup compares digests, not keys: its timing can at most tell an attacker how many
-- leading bytes of the digest of a key of their choosing match a stored digest, which does not help to
-- find a key whose digest matches (that is a SHA-256 preimage).
CREATE TABLE api_keys (
  id            text COLLATE "C" PRIMARY KEY,
  label         text NOT NULL,
  digest        bytea NOT NULL UNIQUE CHECK (octet_length(digest) = 32),
  -- SparkPost's `short_key`: the first 4 characters of the key, to tell keys apart in a list.
  short_key     text NOT NULL,
  -- SparkPost's grant names (`message_events/view`, `api_keys/manage`).
  grants        text[] NOT NULL,
  -- NULL: the primary account's key, which sees every subaccount; otherwise that subaccount only.
  subaccount_id bigint CHECK (subaccount_id > 0),
  created_at    timestamptz NOT NULL DEFAULT now(),
  -- Written at most once a minute per key (src/core/api-keys.ts), not on every request.
  last_used_at  timestamptz
);

-- The primary account. From this version on, the loader gives an event without a subaccount (or with a
-- subaccount_id that is not an integer) the subaccount code `s=0`, as it gives `subaccount_id: 0` ones, so
-- "the primary account" is one code, found through the codes index like any subaccount.
--
-- Events stored before do not carry it, and are not rewritten: adding a code to every stored row would
-- update (copy) each of them, about 25 s a million rows, and leave the old day partitions ~60% larger for
-- good (measured, PostgreSQL 15, 1M rows). Instead, for a query window reaching before `indexed_from`,
-- the query layer finds the primary account's events as those with no code of another subaccount: the
-- same answer, by a scan of the window instead of the index. `indexed_from` is after the newest event
-- stored now and at least two days ahead, so that events loaded during an upgrade by a loader of the
-- previous version (on AWS the schema is migrated before the functions are updated) fall before it.
-- On a database with no events yet, every day is indexed.
CREATE TABLE primary_account_code (
  indexed_from timestamptz NOT NULL
);
INSERT INTO primary_account_code (indexed_from)
SELECT CASE
  WHEN EXISTS (SELECT 1 FROM events) THEN greatest(
    (SELECT date_trunc('day', max(ts) AT TIME ZONE 'UTC') + interval '1 day' FROM events),
    date_trunc('day', now() AT TIME ZONE 'UTC') + interval '2 days'
  ) AT TIME ZONE 'UTC'
  ELSE '-infinity'::timestamptz
END;
