/** Markdown to safe HTML for the instructions (markdown-it, then DOMPurify). */

import DOMPurify from "dompurify";
import MarkdownIt from "markdown-it";

/** Only these link schemes survive (everything else, `javascript:` included, is dropped). */
const SAFE_LINK = /^(https?:|mailto:)/i;

const md = new MarkdownIt({ html: false, linkify: true, typographer: false, breaks: false });

md.validateLink = (url: string): boolean => SAFE_LINK.test(url.trim());

// Table alignment: markdown-it writes `style="text-align:…"`, which the CSP would refuse.
// Write a class instead.
for (const rule of ["th_open", "td_open"] as const) {
  md.renderer.rules[rule] = (tokens, idx, options, _env, self) => {
    const token = tokens[idx];
    const style = token.attrGet("style");
    if (style) {
      const align = /text-align:\s*(left|right|center)/.exec(String(style))?.[1];
      token.attrs = (token.attrs ?? []).filter(([name]) => name !== "style");
      if (align) token.attrJoin("class", `align-${align}`);
    }
    return self.renderToken(tokens, idx, options);
  };
}

// Links open outside the app, without handing it over.
const defaultLinkOpen =
  md.renderer.rules.link_open ?? ((tokens, idx, options, _env, self) => self.renderToken(tokens, idx, options));
md.renderer.rules.link_open = (tokens, idx, options, env, self) => {
  tokens[idx].attrSet("target", "_blank");
  tokens[idx].attrSet("rel", "noopener noreferrer");
  return defaultLinkOpen(tokens, idx, options, env, self);
};

let purifier: ReturnType<typeof DOMPurify> | null = null;

function purify(): ReturnType<typeof DOMPurify> {
  if (purifier) return purifier;
  purifier = DOMPurify(window);
  // A second line of defence: drop any link that is not http(s) or mailto.
  purifier.addHook("afterSanitizeAttributes", (node) => {
    if (node.hasAttribute("href") && !SAFE_LINK.test((node.getAttribute("href") ?? "").trim())) {
      node.removeAttribute("href");
    }
  });
  return purifier;
}

/**
 * Renders template instructions: Markdown without raw HTML, only http(s)/mailto links, then
 * sanitised by DOMPurify. The only HTML the app ever injects comes from here.
 */
export function renderMarkdown(source: string): string {
  const html = md.render(source ?? "");
  return purify().sanitize(html, {
    USE_PROFILES: { html: true },
    FORBID_TAGS: ["style", "script", "iframe", "object", "embed", "form", "input", "button"],
    FORBID_ATTR: ["style", "srcset"],
    ADD_ATTR: ["target"],
    ALLOW_DATA_ATTR: false,
  });
}
