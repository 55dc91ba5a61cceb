CREATE TABLE "event_type_counts" (
	"instance_id" text COLLATE "C" NOT NULL,
	"event_type" text COLLATE "C" NOT NULL,
	"n" bigint NOT NULL,
	CONSTRAINT "event_type_counts_pkey" PRIMARY KEY("instance_id","event_type")
);
--> statement-breakpoint
-- Stores written before the counters: count what they hold.
INSERT INTO "event_type_counts" ("instance_id", "event_type", "n")
  SELECT "instance_id", "event_type", count(*) FROM "events" GROUP BY "instance_id", "event_type";
