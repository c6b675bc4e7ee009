/** Small types shared by the screens. */

export type Mode = "annotate" | "review";
