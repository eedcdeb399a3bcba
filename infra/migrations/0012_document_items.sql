-- The Annex I item whose information a document holds, when it holds one item's (CP Art 21): a
-- document marked confidential and tied to an item is public once the item's confidentiality
-- case records its disclosure (Art 21(2)); api/documents.py reads that from the register.
ALTER TABLE documents
    ADD COLUMN annex_i_item text CHECK (annex_i_item ~ '^[a-o]$');
