-- Retention that holds: events older than the retention window when their batch loads are not stored,
-- and counted here (their raw batch is kept); maintenance alone drops whole day partitions.
ALTER TABLE batches ADD COLUMN expired_count integer NOT NULL DEFAULT 0;
