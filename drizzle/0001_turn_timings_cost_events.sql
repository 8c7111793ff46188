CREATE TABLE "call_events" (
	"call_id" text NOT NULL,
	"seq" integer NOT NULL,
	"kind" text NOT NULL,
	"at_ms" double precision NOT NULL,
	"code" text,
	"message" text,
	CONSTRAINT "call_events_call_id_seq_pk" PRIMARY KEY("call_id","seq")
);
--> statement-breakpoint
ALTER TABLE "barge_ins" ADD COLUMN "at_ms" double precision;--> statement-breakpoint
ALTER TABLE "turns" ADD COLUMN "at_ms" double precision;--> statement-breakpoint
ALTER TABLE "turns" ADD COLUMN "caller_speech_ms" double precision;--> statement-breakpoint
ALTER TABLE "turns" ADD COLUMN "endpointing_ms" double precision;--> statement-breakpoint
ALTER TABLE "turns" ADD COLUMN "first_audio_ms" double precision;--> statement-breakpoint
ALTER TABLE "turns" ADD COLUMN "reply_ms" double precision;--> statement-breakpoint
ALTER TABLE "turns" ADD COLUMN "reply_at_ms" double precision;--> statement-breakpoint
ALTER TABLE "call_events" ADD CONSTRAINT "call_events_call_id_calls_id_fk" FOREIGN KEY ("call_id") REFERENCES "public"."calls"("id") ON DELETE cascade ON UPDATE no action;