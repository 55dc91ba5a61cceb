CREATE TABLE "stream_floors" (
	"instance_id" text COLLATE "C" NOT NULL,
	"stream_id" text COLLATE "C" NOT NULL,
	"version" bigint NOT NULL,
	CONSTRAINT "stream_floors_pkey" PRIMARY KEY("instance_id","stream_id")
);
--> statement-breakpoint
ALTER TABLE "instances" ADD COLUMN "retention_max_age_ms" bigint;--> statement-breakpoint
ALTER TABLE "instances" ADD COLUMN "retention_max_events" bigint;