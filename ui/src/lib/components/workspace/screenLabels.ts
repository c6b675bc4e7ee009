/**
 * What the screen calls the parts of an answer, for the validation summary: ranking responses
 * by their letters (A, B…), dimensions by their titles, image objects by their names.
 */

import type { ItemView } from "../../bindings";
import { fieldValue, type TemplateView } from "../../template";
import { responsesOf } from "../../templates/ranking/model";
import type { ScreenLabels } from "../../validation";

export function screenLabels(template: TemplateView, item: ItemView | null, payload: unknown): ScreenLabels {
  if (template.kind === "ranking" && item) {
    const responses = responsesOf(fieldValue(item.content, template.fields.responses));
    const dims = template.rules.dimensions;
    const classes = template.rules.classifications;
    return {
      response: (id) => responses.find((r) => r.id === id)?.label ?? null,
      dimension: (name) => {
        const d = dims.find((x) => x.name === name || (x.title ?? x.name) === name);
        return d ? (d.title ?? d.name) : null;
      },
      classification: (name) => (classes.some((c) => c.name === name) ? name.replace(/[_-]+/g, " ") : null),
    };
  }
  if (template.kind === "image-caption" && payload) {
    const objects = ((payload as { objects?: unknown }).objects ?? []) as Array<{ id: string; name: string }>;
    return {
      object: (i) => (objects[i] ? { id: objects[i].id, name: objects[i].name } : null),
      objectById: (id) => {
        const o = objects.find((x) => x.id === id);
        return o ? { id: o.id, name: o.name } : null;
      },
    };
  }
  return {};
}
