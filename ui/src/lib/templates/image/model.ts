/** The image-caption payload (types generated from Rust), its normaliser, object ids and coordinates. */

import type { ImageObject, ImagePayload, Relationship } from "../../bindings";
import { asArray, asNumber, asObject, asString } from "../json";

export type { ImageObject, ImagePayload, Relationship };

export function normalizeImage(raw: unknown): ImagePayload {
  const o = asObject(raw);
  return {
    objects: asArray(o.objects).map((x) => {
      const ob = asObject(x);
      return {
        id: asString(ob.id),
        x: asNumber(ob.x),
        y: asNumber(ob.y),
        name: asString(ob.name),
        description: asString(ob.description),
      };
    }),
    relationships: asArray(o.relationships).map((x) => {
      const r = asObject(x);
      return { subject: asString(r.subject), relation: asString(r.relation), object: asString(r.object) };
    }),
    setting: asString(o.setting),
    caption: asString(o.caption),
  };
}

/** The next free object id: o1, o2, … */
export function nextObjectId(objects: ImageObject[]): string {
  let max = 0;
  for (const o of objects) {
    const m = /^o(\d+)$/.exec(o.id);
    if (m) max = Math.max(max, Number(m[1]));
  }
  return `o${max + 1}`;
}

/** Rounds a coordinate to 1/100 pixel (plenty for a point; keeps payloads short). */
export function roundCoord(v: number): number {
  return Math.round(v * 100) / 100;
}
