-- Replays keep each batch's history: `replay` loads a batch the database already knows again and updates
-- its record in place (never deletes it). The counts of a record are those of the batch's latest load;
-- loaded_at stays the time it was first recorded.
ALTER TABLE batches
  ADD COLUMN replay_count   integer NOT NULL DEFAULT 0,  -- loads after the first one (`replay`)
  ADD COLUMN replayed_at    timestamptz,                 -- the latest of them
  -- The oldest and newest time among the batch's events (stored or not), so that a replay of some event
  -- days finds its batches without reading every raw batch. NULL for a rejected batch, and for batches
  -- recorded before this migration until they are loaded again.
  ADD COLUMN first_event_at timestamptz,
  ADD COLUMN last_event_at  timestamptz;
