CREATE TABLE `event_type_counts` (
	`instance_pk` integer NOT NULL,
	`event_type` text NOT NULL,
	`n` integer NOT NULL,
	PRIMARY KEY(`instance_pk`, `event_type`)
) WITHOUT ROWID;
--> statement-breakpoint
-- Stores written before the counters: count what they hold.
INSERT INTO `event_type_counts` (`instance_pk`, `event_type`, `n`)
  SELECT `instance_pk`, `event_type`, count(*) FROM `events` GROUP BY `instance_pk`, `event_type`;
