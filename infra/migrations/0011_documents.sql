-- A case's dossier documents: metadata and confidentiality here, the bytes in the document store
-- (infra/documents.py: by content hash on disk, or in an S3-compatible bucket). The same content
-- uploaded to the same case again is the same document.
CREATE TABLE documents (
    document_id  uuid        PRIMARY KEY,
    case_id      text        NOT NULL,
    sha256       text        NOT NULL,
    filename     text        NOT NULL,
    media_type   text        NOT NULL,
    size_bytes   bigint      NOT NULL,
    kind         text        NOT NULL,
    description  text,
    confidential boolean     NOT NULL DEFAULT false,
    uploaded_by  text        NOT NULL,
    uploaded_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (case_id, sha256)
);
CREATE INDEX documents_case_idx ON documents (case_id, uploaded_at);
