CREATE TABLE `instance_stream_counts` (
	`instance_pk` integer PRIMARY KEY NOT NULL,
	`n` integer NOT NULL
);
--> statement-breakpoint
-- Stores written before the counter: count the streams they hold.
INSERT INTO `instance_stream_counts` (`instance_pk`, `n`)
  SELECT `instance_pk`, count(DISTINCT `stream_id`) FROM `events` GROUP BY `instance_pk`;
