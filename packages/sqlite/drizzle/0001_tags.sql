CREATE TABLE `event_tags` (
	`instance_pk` integer NOT NULL,
	`tag` text NOT NULL,
	`global_position` integer NOT NULL,
	PRIMARY KEY(`instance_pk`, `tag`, `global_position`)
) WITHOUT ROWID;
--> statement-breakpoint
ALTER TABLE `events` ADD `tags` text;