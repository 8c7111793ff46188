CREATE TABLE "barge_ins" (
	"call_id" text NOT NULL,
	"seq" integer NOT NULL,
	"source" text NOT NULL,
	"response_id" text,
	"heard_ms" double precision NOT NULL,
	"sent_ms" double precision NOT NULL,
	"dropped_ms" double precision NOT NULL,
	"reaction_ms" double precision NOT NULL,
	CONSTRAINT "barge_ins_call_id_seq_pk" PRIMARY KEY("call_id","seq")
);
--> statement-breakpoint
CREATE TABLE "calls" (
	"id" text PRIMARY KEY NOT NULL,
	"carrier" text NOT NULL,
	"carrier_call_id" text,
	"stream_id" text,
	"parameters" jsonb NOT NULL,
	"model" text NOT NULL,
	"started_at" timestamp (3) with time zone NOT NULL,
	"ended_at" timestamp (3) with time zone NOT NULL,
	"duration_ms" integer NOT NULL,
	"end_reason" text NOT NULL,
	"end_reason_label" text NOT NULL,
	"error" boolean NOT NULL,
	"reply_latency_median_ms" double precision,
	"reply_latency_max_ms" double precision,
	"frames_in" integer NOT NULL,
	"frames_out" integer NOT NULL,
	"underruns" integer NOT NULL,
	"barge_ins" integer NOT NULL,
	"false_interruptions" integer NOT NULL,
	"model_stats" jsonb NOT NULL,
	"usage" jsonb,
	"cost_usd" double precision,
	"history" jsonb NOT NULL,
	"handoff" jsonb
);
--> statement-breakpoint
CREATE TABLE "tool_calls" (
	"call_id" text NOT NULL,
	"seq" integer NOT NULL,
	"name" text NOT NULL,
	"arguments" jsonb,
	"ok" boolean NOT NULL,
	"result" jsonb,
	"duration_ms" double precision NOT NULL,
	"error" text,
	"at_ms" double precision,
	"held_caller" boolean,
	CONSTRAINT "tool_calls_call_id_seq_pk" PRIMARY KEY("call_id","seq")
);
--> statement-breakpoint
CREATE TABLE "transcript_entries" (
	"call_id" text NOT NULL,
	"seq" integer NOT NULL,
	"role" text NOT NULL,
	"text" text NOT NULL,
	"at_ms" double precision NOT NULL,
	CONSTRAINT "transcript_entries_call_id_seq_pk" PRIMARY KEY("call_id","seq")
);
--> statement-breakpoint
CREATE TABLE "turns" (
	"call_id" text NOT NULL,
	"seq" integer NOT NULL,
	"turn" integer NOT NULL,
	"response_id" text NOT NULL,
	"user_text" text NOT NULL,
	"assistant_text" text NOT NULL,
	"reply_latency_ms" double precision,
	"interrupted" boolean NOT NULL,
	"heard_ms" double precision,
	CONSTRAINT "turns_call_id_seq_pk" PRIMARY KEY("call_id","seq")
);
--> statement-breakpoint
ALTER TABLE "barge_ins" ADD CONSTRAINT "barge_ins_call_id_calls_id_fk" FOREIGN KEY ("call_id") REFERENCES "public"."calls"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tool_calls" ADD CONSTRAINT "tool_calls_call_id_calls_id_fk" FOREIGN KEY ("call_id") REFERENCES "public"."calls"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "transcript_entries" ADD CONSTRAINT "transcript_entries_call_id_calls_id_fk" FOREIGN KEY ("call_id") REFERENCES "public"."calls"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "turns" ADD CONSTRAINT "turns_call_id_calls_id_fk" FOREIGN KEY ("call_id") REFERENCES "public"."calls"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "calls_started_at_id_idx" ON "calls" USING btree ("started_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "calls_carrier_call_id_idx" ON "calls" USING btree ("carrier_call_id");--> statement-breakpoint
CREATE INDEX "transcript_entries_text_idx" ON "transcript_entries" USING gin (to_tsvector('simple', "text"));