CREATE TABLE `events` (
	`global_position` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`instance_pk` integer NOT NULL,
	`stream_id` text NOT NULL,
	`sequence_number` integer NOT NULL,
	`event_type` text NOT NULL,
	`id` text NOT NULL,
	`event_id` text,
	`timestamp` text NOT NULL,
	`payload` blob NOT NULL,
	`metadata` blob NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `events_stream_sequence` ON `events` (`instance_pk`,`stream_id`,`sequence_number`);--> statement-breakpoint
CREATE INDEX `events_instance_type` ON `events` (`instance_pk`,`event_type`);--> statement-breakpoint
CREATE INDEX `events_instance_timestamp` ON `events` (`instance_pk`,`timestamp`);--> statement-breakpoint
CREATE UNIQUE INDEX `events_instance_event_id` ON `events` (`instance_pk`,`event_id`) WHERE "events"."event_id" IS NOT NULL;--> statement-breakpoint
CREATE INDEX `events_instance_position` ON `events` (`instance_pk`,`global_position`);--> statement-breakpoint
CREATE TABLE `instances` (
	`pk` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`id` text NOT NULL,
	`name` text NOT NULL,
	`description` text,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `instances_id_unique` ON `instances` (`id`);--> statement-breakpoint
CREATE UNIQUE INDEX `instances_name_unique` ON `instances` (`name`);--> statement-breakpoint
CREATE TABLE `kv` (
	`namespace` text NOT NULL,
	`key` text NOT NULL,
	`value` text NOT NULL,
	`version` integer NOT NULL,
	PRIMARY KEY(`namespace`, `key`)
);
