-- The exporters' and importers' contact records on the Biosafety Clearing-House, created once and
-- referenced by every decision that names the same party (activities/bch_contacts.py). A row is
-- keyed by the realm and the party's public details (organisation, address, country, e-mails);
-- the identifier is derived from that key, so a lost row finds its record again on the BCH.
CREATE TABLE bch_contacts (
    contact_key  text PRIMARY KEY,
    realm        text        NOT NULL,
    identifier   text        NOT NULL,   -- the contact record's GUID on the BCH
    revision     integer,                -- its published revision; NULL until published
    request_id   text,                   -- its publication request, while one is open
    document     jsonb       NOT NULL,   -- the contact record as we sent it
    created_at   timestamptz NOT NULL DEFAULT now(),
    published_at timestamptz
);
CREATE UNIQUE INDEX bch_contacts_identifier_idx ON bch_contacts (realm, identifier);
