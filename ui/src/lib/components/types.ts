export type Mode = "annotate" | "review";
