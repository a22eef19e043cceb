CREATE TABLE "read_model_revisions" (
	"key" text PRIMARY KEY NOT NULL,
	"revision" bigint NOT NULL
);
