CREATE TABLE "event_tags" (
	"instance_id" text COLLATE "C" NOT NULL,
	"tag" text COLLATE "C" NOT NULL,
	"global_position" bigint NOT NULL,
	CONSTRAINT "event_tags_pkey" PRIMARY KEY("instance_id","tag","global_position")
);
--> statement-breakpoint
ALTER TABLE "events" ADD COLUMN "tags" jsonb;