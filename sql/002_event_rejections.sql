-- Event-level isolation: an event a batch holds that cannot be stored is counted on the batch's record,
-- by reason, and the rest of the batch loads. A batch is `rejected` only when it cannot be read at all.
ALTER TABLE batches
  ADD COLUMN rejected_count integer NOT NULL DEFAULT 0,  -- events of this batch that were not stored
  ADD COLUMN rejections     jsonb;                       -- {"<reason>": <count>, …}
