CREATE TABLE "events" (
	"global_position" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "events_global_position_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"id" text COLLATE "C" NOT NULL,
	"instance_id" text COLLATE "C" NOT NULL,
	"stream_id" text COLLATE "C" NOT NULL,
	"sequence_number" bigint NOT NULL,
	"event_type" text COLLATE "C" NOT NULL,
	"payload" jsonb NOT NULL,
	"metadata" jsonb NOT NULL,
	"timestamp" text COLLATE "C" NOT NULL,
	"event_id" text COLLATE "C"
);
--> statement-breakpoint
CREATE TABLE "instances" (
	"id" text COLLATE "C" PRIMARY KEY NOT NULL,
	"name" text COLLATE "C" NOT NULL,
	"description" text COLLATE "C",
	"created_at" text COLLATE "C" NOT NULL,
	"updated_at" text COLLATE "C" NOT NULL,
	"ord" bigint GENERATED ALWAYS AS IDENTITY (sequence name "instances_ord_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1)
);
--> statement-breakpoint
CREATE TABLE "kv" (
	"namespace" text COLLATE "C" NOT NULL,
	"key" text COLLATE "C" NOT NULL,
	"value" jsonb NOT NULL,
	"version" bigint NOT NULL,
	CONSTRAINT "kv_pkey" PRIMARY KEY("namespace","key")
);
--> statement-breakpoint
CREATE UNIQUE INDEX "events_stream_sequence_key" ON "events" USING btree ("instance_id","stream_id","sequence_number");--> statement-breakpoint
CREATE UNIQUE INDEX "events_event_id_key" ON "events" USING btree ("instance_id","event_id") WHERE "events"."event_id" IS NOT NULL;--> statement-breakpoint
CREATE INDEX "events_instance_position_idx" ON "events" USING btree ("instance_id","global_position");--> statement-breakpoint
CREATE INDEX "events_instance_type_idx" ON "events" USING btree ("instance_id","event_type","global_position");--> statement-breakpoint
CREATE INDEX "events_instance_timestamp_idx" ON "events" USING btree ("instance_id","timestamp","global_position");--> statement-breakpoint
CREATE UNIQUE INDEX "instances_name_key" ON "instances" USING btree ("name");