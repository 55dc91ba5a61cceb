CREATE TABLE `stream_floors` (
	`instance_pk` integer NOT NULL,
	`stream_id` text NOT NULL,
	`version` integer NOT NULL,
	PRIMARY KEY(`instance_pk`, `stream_id`)
) WITHOUT ROWID;
--> statement-breakpoint
ALTER TABLE `instances` ADD `retention_max_age_ms` integer;--> statement-breakpoint
ALTER TABLE `instances` ADD `retention_max_events` integer;