import { describe, expect, it } from "vitest";
import { renderMarkdown } from "../markdown";

function dom(html: string): HTMLElement {
  const div = document.createElement("div");
  div.innerHTML = html;
  return div;
}

describe("instructions Markdown", () => {
  it("renders ordinary Markdown", () => {
    const html = renderMarkdown("# Title\n\n**bold** and `code`\n\n| a | b |\n|--:|:-:|\n| 1 | 2 |");
    const d = dom(html);
    expect(d.querySelector("h1")?.textContent).toBe("Title");
    expect(d.querySelector("strong")?.textContent).toBe("bold");
    expect(d.querySelector("table")).not.toBeNull();
    // Alignment becomes a class: the CSP forbids style attributes.
    expect(html).not.toContain("style=");
    expect(d.querySelector("th.align-right")).not.toBeNull();
  });

  it("keeps raw HTML inert", () => {
    const html = renderMarkdown(`<script>window.__pwned = 1</script>\n\n<img src=x onerror="alert(1)">\n\n<div style="color:red">x</div>`);
    const d = dom(html);
    expect(d.querySelector("script")).toBeNull();
    expect(d.querySelector("img")).toBeNull();
    expect(d.querySelector("div")).toBeNull();
    expect(d.textContent).toContain("<script>window.__pwned = 1</script>");
    expect(d.querySelector("[onerror], [style]")).toBeNull();
    expect(html).not.toMatch(/<img|<script/i); // only escaped text (&lt;img …) remains
  });

  it("drops javascript: and other non-http links", () => {
    const d = dom(renderMarkdown("[a](javascript:alert(1)) [b](JAVASCRIPT:alert(2)) [c](data:text/html,x) [d](vbscript:x) [e](https://example.com) [f](mailto:a@b.c)"));
    const hrefs = [...d.querySelectorAll("a")].map((a) => a.getAttribute("href"));
    expect(hrefs).toEqual(["https://example.com", "mailto:a@b.c"]);
    expect(d.querySelector('[href^="javascript" i], [href^="data" i], [href^="vbscript" i]')).toBeNull();
    const link = d.querySelector("a")!;
    expect(link.getAttribute("rel")).toBe("noopener noreferrer");
    expect(link.getAttribute("target")).toBe("_blank");
  });

  it("drops images pointing anywhere odd and autolinks only http(s)", () => {
    const d = dom(renderMarkdown("![x](javascript:alert(1)) see www.example.com and javascript:alert(1)"));
    expect(d.querySelector('img[src^="javascript"]')).toBeNull();
    expect([...d.querySelectorAll("a")].every((a) => /^https?:/.test(a.getAttribute("href") ?? ""))).toBe(true);
  });
});
